"""interpolate (nearest, nearest-exact, linear, bilinear, bicubic, area): separable per-axis
gathers or interpolation matrices built on the host from the static sizes, one table op per
call."""
from __future__ import annotations

import math
import warnings

import jax.numpy as jnp
import numpy as np

from ..ops._registry import op, run
from ._functional_conv import adaptive_avg_pool1d, adaptive_avg_pool2d

_NAMES = {"nearest": "UpsampleNearest%dDBackward0", "nearest-exact":
          "UpsampleNearestExact%dDBackward0", "linear": "UpsampleLinear1DBackward0",
          "bilinear": "UpsampleBilinear2DBackward0", "bicubic": "UpsampleBicubic2DBackward0"}


def _source(n_in, n_out, scale, mode, align_corners):
    """Per output position: (low index, high index, weight of high) along one axis."""
    dst = np.arange(n_out, dtype=np.float64)
    if mode in ("nearest", "nearest-exact"):
        s = n_in / n_out if scale is None else 1.0 / scale
        src = np.floor((dst + 0.5) * s if mode == "nearest-exact" else dst * s)
        i = np.minimum(src.astype(np.int64), n_in - 1)
        return i, i, np.zeros(n_out)
    if align_corners:
        s = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        src = dst * s
    else:
        s = n_in / n_out if scale is None else 1.0 / scale
        src = np.maximum((dst + 0.5) * s - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, src - lo


def _cubic_taps(n_in, n_out, scale, align_corners):
    """Per output position: the four source indices (clamped to the edges) and weights of
    torch's cubic convolution (A = -0.75) along one axis."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:  # unlike linear, the source position is not clamped at 0
        src = (dst + 0.5) * (n_in / n_out if scale is None else 1.0 / scale) - 0.5
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    t = np.clip(src - lo, 0.0, 1.0)
    a = -0.75

    def near(d):
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    idx = [np.clip(lo - 1 + k, 0, n_in - 1) for k in range(4)]
    return idx, [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _interp(x, out, scales, mode, align_corners):
    nd = len(out)
    for j in range(nd):
        axis = x.ndim - nd + j
        shape = [1] * x.ndim
        shape[axis] = -1
        if mode == "bicubic":
            idx, ws = _cubic_taps(x.shape[axis], out[j], scales[j], align_corners)
            x = sum(jnp.take(x, jnp.asarray(i), axis=axis) * jnp.asarray(w.reshape(shape),
                                                                         x.dtype)
                    for i, w in zip(idx, ws))
            continue
        lo, hi, w = _source(x.shape[axis], out[j], scales[j], mode, align_corners)
        a = jnp.take(x, jnp.asarray(lo), axis=axis)
        if mode.startswith("nearest"):
            x = a
            continue
        b = jnp.take(x, jnp.asarray(hi), axis=axis)
        wt = jnp.asarray(w.reshape(shape), x.dtype)
        x = a + (b - a) * wt
    return x


interpolate_op = op("upsample", lambda s, p: _NAMES[dict(s)["mode"]].replace(
    "%d", str(len(dict(s)["out"]))), dtypes="same")(_interp)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    nd = input.ndim - 2
    if nd < 1:
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                         f"{input.ndim}D) for the modes: nearest | linear | bilinear | bicubic "
                         f"| trilinear | area | nearest-exact (got {mode})")
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out = tuple(size) if isinstance(size, (tuple, list)) else (size,) * nd
        scales = (None,) * nd
    else:
        sf = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else \
            (scale_factor,) * nd
        out = tuple(int(math.floor(n * f)) for n, f in zip(input.shape[2:], sf))
        scales = (None,) * nd if recompute_scale_factor else tuple(float(f) for f in sf)
    if mode == "area":
        return (adaptive_avg_pool1d if nd == 1 else adaptive_avg_pool2d)(input, out)
    wrong_rank = (mode == "linear" and nd != 1) or (mode in ("bilinear", "bicubic") and nd != 2)
    if mode not in _NAMES or wrong_rank or antialias:
        from .._errors import NotImplementedOp
        raise NotImplementedOp(f"interpolate(mode={mode!r}) on {input.ndim}-D input")
    return run(interpolate_op, (input,), (("out", tuple(int(o) for o in out)),
                                          ("scales", scales), ("mode", mode),
                                          ("align_corners", bool(align_corners))))


def _deprecated(name):
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=3)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
