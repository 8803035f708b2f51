"""add_embedding's files for TensorBoard's projector: the points (tensors.tsv), their labels
(metadata.tsv), their images tiled in one square sprite (sprite.png), and the
projector_config.pbtxt that lists every embedding of the run."""
from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
from tensorboard.compat import tf

from ._convert import make_grid, make_np


def _join(a: str, b: str) -> str:
    # tensorboard's TensorFlow stub has no gfile.join (real TensorFlow has)
    gfile = tf.io.gfile
    return gfile.join(a, b) if hasattr(gfile, "join") else gfile.get_filesystem(a).join(a, b)


def _write(path: str, data: bytes) -> None:
    with tf.io.gfile.GFile(path, "wb") as f:
        f.write(data)


def _metadata_tsv(metadata: list, header: list | None) -> bytes:
    if not header:
        lines = [str(x) for x in metadata]
    else:
        if len(header) != len(metadata[0]):
            raise AssertionError(
                "len of header must be equal to the number of columns in metadata")
        lines = ["\t".join(str(e) for e in row) for row in [header] + metadata]
    return tf.compat.as_bytes("\n".join(lines) + "\n")


def _sprite_png(label_img: Any) -> bytes:
    """The images (N, C, H, W) tiled on a square grid, on a square black canvas, as PNG."""
    from PIL import Image

    per_row = math.ceil(label_img.shape[0] ** 0.5)
    grid = make_grid(make_np(label_img), ncols=per_row).transpose(1, 2, 0)  # HWC
    side = grid.shape[1]
    square = np.zeros((side, side, 3))
    square[:grid.shape[0], :, :] = grid
    with io.BytesIO() as out:
        Image.fromarray(np.uint8((square * 255).clip(0, 255))).save(out, format="PNG")
        return out.getvalue()


def _tensors_tsv(mat: np.ndarray) -> bytes:
    return b"".join(tf.compat.as_bytes("\t".join(str(v.item()) for v in row) + "\n")
                    for row in mat)


def write_embedding(logdir: str, mat: np.ndarray, metadata: list | None, label_img: Any,
                    global_step: int, dirname: str, tag: str,
                    metadata_header: list | None) -> Any:
    """Write one embedding's files under <logdir>/<step, 5 digits>/<dirname>; its
    EmbeddingInfo for the projector config."""
    from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo

    subdir = f"{str(global_step).zfill(5)}/{dirname}"
    save_path = _join(logdir, subdir)
    if not tf.io.gfile.exists(save_path):
        tf.io.gfile.makedirs(save_path)
    elif tf.io.gfile.isdir(save_path):
        print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
    else:
        raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. Cannot proceed.")
    if metadata is not None:
        if mat.shape[0] != len(metadata):
            raise AssertionError("#labels should equal with #data points")
        _write(_join(save_path, "metadata.tsv"), _metadata_tsv(metadata, metadata_header))
    if label_img is not None:
        if mat.shape[0] != label_img.shape[0]:
            raise AssertionError("#images should equal with #data points")
        _write(_join(save_path, "sprite.png"), _sprite_png(label_img))
    if mat.ndim != 2:
        raise AssertionError("mat should be 2D, where mat.size(0) is the number of data points")
    _write(_join(save_path, "tensors.tsv"), _tensors_tsv(mat))

    info = EmbeddingInfo(tensor_name=f"{tag}:{str(global_step).zfill(5)}",
                         tensor_path=_join(subdir, "tensors.tsv"))
    if metadata is not None:
        info.metadata_path = _join(subdir, "metadata.tsv")
    if label_img is not None:
        info.sprite.image_path = _join(subdir, "sprite.png")
        info.sprite.single_image_dim.extend([label_img.shape[3], label_img.shape[2]])
    return info


def write_projector_config(logdir: str, config: Any) -> None:
    """The projector's config, listing every embedding written so far."""
    from google.protobuf import text_format

    _write(_join(logdir, "projector_config.pbtxt"),
           tf.compat.as_bytes(text_format.MessageToString(config)))
