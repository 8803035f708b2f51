"""Inputs to numpy arrays, and image / video layouts to the HWC arrays summaries encode."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor


def make_np(x: Any) -> np.ndarray:
    """A numpy array of `x`: a numpy array as is, a scalar as a 1-element array, a tensor's
    data (bfloat16 as float16, which numpy knows; a meta tensor as one random number, as in
    torch)."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        if x.device.type == "meta":
            return np.random.randn(1)
        if str(x.dtype) == "torch.bfloat16":
            x = x.half()
        return x.detach().cpu().numpy()
    raise NotImplementedError(
        f"Got {type(x)}, but numpy array or torch tensor are expected.")


def make_grid(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """N 3-channel (or 1-channel, repeated) CHW images tiled row by row into one CHW canvas of
    min(N, ncols) columns, the rest zeros."""
    if not isinstance(images, np.ndarray):
        raise AssertionError("plugin error, should pass numpy array here")
    if images.shape[1] == 1:
        images = np.concatenate([images] * 3, 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    count, _, height, width = images.shape
    ncols = min(count, ncols)
    nrows = int(np.ceil(float(count) / ncols))
    canvas = np.zeros((3, height * nrows, width * ncols), dtype=images.dtype)
    for i in range(count):
        row, col = divmod(i, ncols)
        canvas[:, row * height:(row + 1) * height, col * width:(col + 1) * width] = images[i]
    return canvas


def convert_to_HWC(tensor: np.ndarray, input_format: str) -> np.ndarray:  # noqa: N802
    """An image array laid out as `input_format` (letters N, C, H, W) as one HWC image: a
    batch tiled by make_grid, a single channel or an HW image repeated into three."""
    if len(set(input_format)) != len(input_format):
        raise AssertionError("You can not use the same dimension shorthand twice. \
            input_format: {}".format(input_format))
    if len(tensor.shape) != len(input_format):
        raise AssertionError("size of input tensor and input format are different. \
        tensor shape: {}, input_format: {}".format(tensor.shape, input_format))
    input_format = input_format.upper()
    if len(input_format) == 4:
        nchw = tensor.transpose([input_format.find(c) for c in "NCHW"])
        return make_grid(nchw).transpose(1, 2, 0)
    if len(input_format) == 3:
        hwc = tensor.transpose([input_format.find(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, 2) if hwc.shape[2] == 1 else hwc
    hw = tensor.transpose([input_format.find(c) for c in "HW"])
    return np.stack([hw] * 3, 2)


def prepare_video(video: np.ndarray) -> np.ndarray:
    """A (B, T, C, H, W) batch of videos as T frames (THWC), the B videos tiled on a grid of
    power-of-two rows, the batch padded with blank videos to a power of two."""
    batch, frames, channels, height, width = video.shape
    if video.dtype == np.uint8:
        video = np.float32(video) / 255.0
    if batch == 0 or batch & (batch - 1):  # not a power of two: pad
        extra = int(2 ** batch.bit_length() - batch)
        video = np.concatenate(
            (video, np.zeros(shape=(extra, frames, channels, height, width))), axis=0)
    rows = 2 ** ((batch.bit_length() - 1) // 2)
    cols = video.shape[0] // rows
    video = np.reshape(video, (rows, cols, frames, channels, height, width))
    video = np.transpose(video, axes=(2, 0, 4, 1, 5, 3))
    return np.reshape(video, (frames, rows * height, cols * width, channels))


def figure_to_image(figures: Any, close: bool = True) -> np.ndarray:
    """A matplotlib figure rendered to a CHW uint8 RGB array (a list of them: NCHW)."""
    import matplotlib.backends.backend_agg as backend_agg
    import matplotlib.pyplot as plt

    def render(figure: Any) -> np.ndarray:
        canvas = backend_agg.FigureCanvasAgg(figure)
        canvas.draw()
        rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8)
        width, height = figure.canvas.get_width_height()
        chw = np.moveaxis(rgba.reshape([height, width, 4])[:, :, :3], 2, 0)
        if close:
            plt.close(figure)
        return chw

    if isinstance(figures, list):
        return np.stack([render(figure) for figure in figures])
    return render(figures)
