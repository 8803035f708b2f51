"""torch.utils.tensorboard.summary: values as TensorBoard `Summary` protobufs (tensorboard's own
protobuf classes, as in torch). Scalars, tensors, histograms, images, audio and video here; the
summaries that carry a plugin's metadata (text, hparams, PR curves, layouts, meshes) live in
_plugin_summaries."""
from __future__ import annotations

import io
import logging
import struct
from typing import Any

import numpy as np
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

from ._convert import convert_to_HWC, make_np, prepare_video
from ._plugin_summaries import compute_curve as compute_curve
from ._plugin_summaries import custom_scalars as custom_scalars
from ._plugin_summaries import hparams as hparams
from ._plugin_summaries import mesh as mesh
from ._plugin_summaries import pr_curve as pr_curve
from ._plugin_summaries import pr_curve_raw as pr_curve_raw
from ._plugin_summaries import text as text

__all__ = [
    "half_to_int", "int_to_half", "hparams", "scalar", "histogram_raw", "histogram",
    "make_histogram", "image", "image_boxes", "draw_boxes", "make_image", "video",
    "make_video", "audio", "custom_scalars", "text", "tensor_proto", "pr_curve_raw",
    "pr_curve", "compute_curve", "mesh",
]

logger = logging.getLogger(__name__)


def half_to_int(f: float) -> int:
    """The bits of `f` as a float32, read as an int32 (what torch stores in `half_val`)."""
    return struct.unpack("i", struct.pack("f", f))[0]


def int_to_half(i: int) -> float:
    """The inverse of half_to_int."""
    return struct.unpack("f", struct.pack("i", i))[0]


def _as_half_bits(t: Any) -> list[int]:
    return [half_to_int(v) for v in t.detach().flatten().tolist()]


def _as_real_pairs(t: Any) -> list[float]:
    values = t.detach().cpu().numpy()
    return np.stack([values.real, values.imag], -1).reshape(-1).tolist()


def _as_list(t: Any) -> list[Any]:
    return t.detach().flatten().tolist()


# torch dtype name -> (TensorProto dtype, the TensorProto field holding the values, converter)
_TENSOR_FIELDS = {
    "float16": ("DT_HALF", "half_val", _as_half_bits),
    "bfloat16": ("DT_BFLOAT16", "half_val", _as_half_bits),
    "float32": ("DT_FLOAT", "float_val", _as_list),
    "float64": ("DT_DOUBLE", "double_val", _as_list),
    "int8": ("DT_INT8", "int_val", _as_list),
    "qint8": ("DT_UINT8", "int_val", _as_list),
    "int16": ("DT_INT16", "int_val", _as_list),
    **dict.fromkeys(["int32", "qint32"], ("DT_INT32", "int_val", _as_list)),
    "int64": ("DT_INT64", "int64_val", _as_list),
    "complex32": ("DT_COMPLEX32", "scomplex_val", _as_real_pairs),
    "complex64": ("DT_COMPLEX64", "scomplex_val", _as_real_pairs),
    "complex128": ("DT_COMPLEX128", "dcomplex_val", _as_real_pairs),
    "bool": ("DT_BOOL", "bool_val", _as_list),
    **dict.fromkeys(["uint8", "quint8", "quint4x2"], ("DT_UINT8", "uint32_val", _as_list)),
}


def _shape(dims: Any) -> TensorShapeProto:
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in dims])


def tensor_proto(tag: str, tensor: Any) -> Summary:
    """A tensor's values, dtype and shape as a summary for the "tensor" plugin."""
    if tensor.numel() * tensor.element_size() >= (1 << 31):
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    entry = _TENSOR_FIELDS.get(str(tensor.dtype).replace("torch.", ""))
    if entry is None:
        raise ValueError(f"{tag} has unsupported tensor dtype {tensor.dtype}")
    dtype, field, convert = entry
    proto = TensorProto(dtype=dtype, tensor_shape=_shape(tensor.shape),
                        **{field: convert(tensor)})
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="tensor"))
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=proto)])


def scalar(name: str, tensor: Any, collections: Any = None, new_style: bool = False,
           double_precision: bool = False) -> Summary:
    """One number: in `simple_value`, or with new_style as a float (double_precision: double)
    tensor for the "scalars" plugin."""
    array = make_np(tensor).squeeze()
    if array.ndim != 0:
        raise AssertionError(
            "Tensor should contain one element (0 dimensions). "
            f"            Was given size: {array.size} and {array.ndim} dimensions.")
    value = float(array)
    if not new_style:
        return Summary(value=[Summary.Value(tag=name, simple_value=value)])
    if double_precision:
        proto = TensorProto(double_val=[value], dtype="DT_DOUBLE")
    else:
        proto = TensorProto(float_val=[value], dtype="DT_FLOAT")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=name, tensor=proto, metadata=metadata)])


def histogram_raw(name: str, min: float, max: float, num: int, sum: float,  # noqa: A002
                  sum_squares: float, bucket_limits: Any, bucket_counts: Any) -> Summary:
    """A histogram from precomputed statistics and buckets."""
    histo = HistogramProto(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                           bucket_limit=bucket_limits, bucket=bucket_counts)
    return Summary(value=[Summary.Value(tag=name, histo=histo)])


def histogram(name: str, values: Any, bins: Any, max_bins: int | None = None) -> Summary:
    """A histogram of `values` (as float64) over `bins` (np.histogram's bins)."""
    histo = make_histogram(make_np(values).astype(float), bins, max_bins)
    return Summary(value=[Summary.Value(tag=name, histo=histo)])


def make_histogram(values: np.ndarray, bins: Any, max_bins: int | None = None) -> HistogramProto:
    """np.histogram's counts (merged down to at most `max_bins` buckets), trimmed to the
    buckets from the one before the first non-empty bucket to the last non-empty one. A
    bucket's limit is its right edge."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        group = len(counts) // max_bins
        if len(counts) % group:  # pad with empty buckets to whole groups
            counts = np.pad(counts, [[0, group - len(counts) % group]], mode="constant")
        counts = counts.reshape(-1, group).sum(axis=-1)
        limits = np.concatenate([limits[:-1:group], limits[-1:]]).astype(limits.dtype)
    # first: the first non-empty bucket; last: one past the last non-empty bucket
    nonempty_so_far = np.cumsum(np.greater(counts, 0))
    first, last = np.searchsorted(nonempty_so_far, [0, nonempty_so_far[-1] - 1], side="right")
    first, last = int(first), int(last) + 1
    if first > 0:
        counts = counts[first - 1:last]
    else:  # an empty bucket in front, to close the histogram on the left
        counts = np.concatenate([[0], counts[:last]])
    limits = limits[first:last + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return HistogramProto(min=values.min(), max=values.max(), num=len(values),
                          sum=values.sum(), sum_squares=values.dot(values),
                          bucket_limit=limits.tolist(), bucket=counts.tolist())


def _to_uint8(array: np.ndarray) -> np.ndarray:
    # uint8 images are stored as they are; any other dtype is read as [0, 1] and scaled
    scale = 1 if array.dtype == np.uint8 else 255
    return (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


def image(tag: str, tensor: Any, rescale: float = 1, dataformats: str = "NCHW") -> Summary:
    """An image (a batch: tiled on a grid) encoded as PNG."""
    array = convert_to_HWC(make_np(tensor), dataformats)
    return Summary(value=[Summary.Value(tag=tag, image=make_image(_to_uint8(array),
                                                                  rescale=rescale))])


def image_boxes(tag: str, tensor_image: Any, tensor_boxes: Any, rescale: float = 1,
                dataformats: str = "CHW", labels: list[str] | None = None) -> Summary:
    """An image with boxes (rows of xmin, ymin, xmax, ymax) drawn on it."""
    array = convert_to_HWC(make_np(tensor_image), dataformats)
    encoded = make_image(_to_uint8(array), rescale=rescale, rois=make_np(tensor_boxes),
                         labels=labels)
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])


def _draw_box(picture: Any, xmin: float, ymin: float, xmax: float, ymax: float,
              label: str | None, color: str = "black", color_text: str = "black",
              thickness: int = 2) -> Any:
    from PIL import ImageDraw, ImageFont

    font = ImageFont.load_default()
    draw = ImageDraw.Draw(picture)
    corners = [(xmin, ymin), (xmin, ymax), (xmax, ymax), (xmax, ymin), (xmin, ymin)]
    draw.line(corners, width=thickness, fill=color)
    if label:  # the label on a filled band above the box's bottom edge
        left, top, right, bottom = font.getbbox(label)
        text_width, text_height = right - left, bottom - top
        margin = np.ceil(0.05 * text_height)
        draw.rectangle([(xmin, ymax - text_height - 2 * margin), (xmin + text_width, ymax)],
                       fill=color)
        draw.text((xmin + margin, ymax - text_height - margin), label, fill=color_text,
                  font=font)
    return picture


def draw_boxes(disp_image: Any, boxes: np.ndarray, labels: list[str] | None = None) -> Any:
    """Red boxes (and labels) drawn on a PIL image."""
    for i in range(boxes.shape[0]):
        disp_image = _draw_box(disp_image, boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3],
                               None if labels is None else labels[i], color="Red")
    return disp_image


def make_image(tensor: np.ndarray, rescale: float = 1, rois: Any = None,
               labels: Any = None) -> Summary.Image:
    """An HWC uint8 array as a PNG `Summary.Image` (resized by `rescale`; the size recorded
    is the array's, as in torch)."""
    from PIL import Image

    height, width, channels = tensor.shape
    picture = Image.fromarray(tensor)
    if rois is not None:
        picture = draw_boxes(picture, rois, labels=labels)
    picture = picture.resize((int(width * rescale), int(height * rescale)),
                             Image.Resampling.LANCZOS)
    with io.BytesIO() as out:
        picture.save(out, format="PNG")
        encoded = out.getvalue()
    return Summary.Image(height=height, width=width, colorspace=channels,
                         encoded_image_string=encoded)


def video(tag: str, tensor: Any, fps: int = 4) -> Summary:
    """A (B, T, C, H, W) batch of videos as one animated GIF (needs moviepy, as in torch)."""
    frames = _to_uint8(prepare_video(make_np(tensor)))
    return Summary(value=[Summary.Value(tag=tag, image=make_video(frames, fps))])


def make_video(tensor: np.ndarray, fps: int) -> Summary.Image | None:
    """THWC uint8 frames as a GIF `Summary.Image`; None (after a message) without moviepy."""
    try:
        import moviepy  # noqa: F401
    except ImportError:
        print("add_video needs package moviepy")
        return None
    try:
        from moviepy import editor
    except ImportError:
        print("moviepy is installed, but can't import moviepy.editor.",
              "Some packages could be missing [imageio, requests]")
        return None
    import tempfile

    _, height, width, channels = tensor.shape
    clip = editor.ImageSequenceClip(list(tensor), fps=fps)
    with tempfile.NamedTemporaryFile(suffix=".gif") as f:
        # moviepy's keyword for silencing its progress output changed between versions
        for quiet in ({"logger": None}, {"progress_bar": False}, {}):
            try:
                clip.write_gif(f.name, verbose=False, **quiet)
                break
            except TypeError:
                if not quiet:
                    raise
        f.seek(0)
        encoded = f.read()
    return Summary.Image(height=height, width=width, colorspace=channels,
                         encoded_image_string=encoded)


def audio(tag: str, tensor: Any, sample_rate: int = 44100) -> Summary:
    """A mono waveform in [-1, 1] (clipped, with a warning, if beyond) as 16-bit WAV."""
    import wave

    array = make_np(tensor).squeeze()
    if abs(array).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        array = array.clip(-1, 1)
    if array.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    array = (array * np.iinfo(np.int16).max).astype("<i2")
    with io.BytesIO() as out:
        with wave.open(out, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(array.data)
        encoded = out.getvalue()
    sound = Summary.Audio(sample_rate=sample_rate, num_channels=1,
                          length_frames=array.shape[-1], encoded_audio_string=encoded,
                          content_type="audio/wav")
    return Summary(value=[Summary.Value(tag=tag, audio=sound)])
