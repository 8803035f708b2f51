"""affine_grid and grid_sample: two table ops (AffineGridGeneratorBackward0,
GridSampler{2,3}DBackward0) with the coordinate arithmetic of torch's CPU kernels (the
vectorised 2-D one, the scalar 3-D one), and torch.grid_sampler* / torch.affine_grid_generator.
Gradients are jax's of the same arithmetic: the clamps and reflections are written with
`where` so that a coordinate on a border gets torch's zero gradient."""
from __future__ import annotations

import itertools
import math
import warnings

import jax.numpy as jnp
import numpy as np

from .._tensor import _SHORT
from ..ops._bind import public
from ..ops._registry import op, run

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the old "
                  "behavior is desired. See the documentation of grid_sample for details.")


# ---- affine_grid ---------------------------------------------------------------------------
def _linspace(n, align, dtype):
    """torch's linspace(-1, 1, n) in `dtype` (both halves computed from their own end), scaled
    by (n - 1) / n unless align_corners; a single step is 0."""
    if n <= 1:
        return np.zeros(max(n, 0), dtype)
    one, step = dtype.type(1), dtype.type(2) / dtype.type(n - 1)
    i = np.arange(n)
    r = np.where(i < n // 2, -one + step * i.astype(dtype),
                 one - step * (n - 1 - i).astype(dtype)).astype(dtype)
    if not align:
        r = (r * dtype.type(n - 1) / dtype.type(n)).astype(dtype)
    return r


def _base_grid(spatial, align, dt):
    """(prod(spatial), nd + 1): each position's (x, y[, z], 1), x along the last axis."""
    nd, cols = len(spatial), []
    for k in range(nd):
        axis = nd - 1 - k
        shape = [1] * nd
        shape[axis] = spatial[axis]
        cols.append(np.broadcast_to(_linspace(spatial[axis], align, dt).reshape(shape),
                                    spatial))
    cols.append(np.ones(spatial, dt))
    return np.stack(cols, -1).reshape(-1, nd + 1)


def _affine_grid(theta, size, align):
    spatial = size[2:]
    base = jnp.asarray(_base_grid(spatial, align, np.dtype(theta.dtype)))
    grid = jnp.einsum("pk,njk->npj", base, theta, precision="highest")
    return grid.reshape((size[0], *spatial, len(spatial)))


affine_grid_op = op("affine_grid_generator", "AffineGridGeneratorBackward0", dtypes="same")(
    _affine_grid)


@public("affine_grid_generator", method=False)
def affine_grid_generator(theta, size, align_corners):
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise RuntimeError("AffineGridGenerator needs 4d (spatial) or 5d (volumetric) inputs.")
    k = len(size) - 1
    if theta.ndim != 3 or theta.shape[0] != size[0] or theta.shape[2] != k:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {k}] but got: [{theta.shape[0]}, "
                           f"{theta.shape[2] if theta.ndim == 3 else theta.shape[-1]}].")
    if theta.shape[1] != k - 1:
        out = [size[0], *size[2:], k - 1]
        raise RuntimeError(f"shape '{out}' is invalid for input of size "
                           f"{math.prod(size[2:]) * size[0] * theta.shape[1]}")
    return run(affine_grid_op, (theta,), (("size", size), ("align", bool(align_corners))))


def affine_grid(theta, size, align_corners=None):
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return affine_grid_generator(theta, size, align_corners)


# ---- grid_sample: coordinates --------------------------------------------------------------
def _unnormalize(g, size, align, nd):
    """[-1, 1] to pixel positions: the 2-D kernel's formula, or the 3-D kernel's."""
    if nd == 2:
        return (g + 1) * ((size - 1) / 2) if align else (g + 1) * (size / 2) - 0.5
    return (g + 1) / 2 * (size - 1) if align else ((g + 1) * size - 1) / 2


def _clip(x, size):
    # a position on (or past) a border has gradient 0, as in torch
    return jnp.where(x > 0, jnp.where(x < size - 1, x, size - 1), 0)


def _reflect(x, size, align):
    if align and size <= 1:
        return jnp.zeros_like(x)
    low, twice_span = (0.0, 2 * (size - 1)) if align else (-0.5, 2 * size)
    a = x - low
    a = jnp.where(a < 0, -a, a)
    extra = a - jnp.trunc(a / twice_span) * twice_span
    return jnp.where(extra > twice_span - extra, twice_span - extra, extra) + low


def _pad(x, size, padding, align):
    if padding == 1:
        return _clip(x, size)
    if padding == 2:
        return _clip(_reflect(x, size, align), size)
    return x


def _read(flat, idx, sizes):
    """flat (N, C, P) at integer positions idx[k] (N, Q, K) along spatial axis k: (N, C, Q, K),
    0 outside. One gather for all K taps (one scatter-add in the gradient)."""
    ok, lin = True, 0
    for i, s in zip(idx, sizes):
        i = jnp.clip(i, -1, s).astype(jnp.int64)  # clipped first: huge values stay outside
        ok = ok & (i >= 0) & (i < s)
        lin = lin * s + i
    n, q, k = lin.shape
    lin = jnp.where(ok, lin, 0).reshape(n, 1, q * k)
    vals = jnp.take_along_axis(flat, lin, axis=2).reshape(n, flat.shape[1], q, k)
    return jnp.where(ok[:, None], vals, 0)


def _cubic(t):
    """torch's cubic convolution coefficients (A = -0.75) for the four taps around t."""
    a = -0.75

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1
    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _weighted(vals, weights):
    """sum_k vals[..., k] * weights[k], added in torch's order."""
    out = None
    for j, w in enumerate(weights):
        v = vals[..., j] * w[:, None, :]
        out = v if out is None else out + v
    return out


def _grid_sample(inp, grid, mode, padding, align):
    nd = grid.shape[-1]
    n, c, sizes = inp.shape[0], inp.shape[1], inp.shape[2:]
    flat = inp.reshape(n, c, math.prod(sizes))
    g = grid.reshape(n, math.prod(grid.shape[1:-1]), nd)
    coords = [g[..., nd - 1 - k] for k in range(nd)]  # grid's last axis holds (x, y[, z])
    if mode == 2:
        out = _bicubic(flat, coords, sizes, padding, align)
    else:
        locs = [_pad(_unnormalize(x, s, align, nd), s, padding, align)
                for x, s in zip(coords, sizes)]
        if mode == 1:  # half to even, as nearbyint
            out = _read(flat, [jnp.round(x)[..., None] for x in locs], sizes)[..., 0]
        else:
            out = _linear(flat, locs, sizes, nd)
    return out.reshape((n, c) + grid.shape[1:-1])


def _linear(flat, locs, sizes, nd):
    lo = [jnp.floor(x) for x in locs]
    corners = list(itertools.product((0, 1), repeat=nd))
    offsets = [np.array([cr[k] for cr in corners]) for k in range(nd)]
    vals = _read(flat, [f[..., None] + o for f, o in zip(lo, offsets)], sizes)
    if nd == 2:  # the 2-D kernel: weights from the distance to the low corner
        w = [(1 - (x - f), x - f) for x, f in zip(locs, lo)]
        order = range(nd)
    else:  # the 3-D kernel: from the opposite corner, the x factor first
        w = [((f + 1) - x, x - f) for x, f in zip(locs, lo)]
        order = range(nd - 1, -1, -1)
    weights = []
    for corner in corners:
        weight = None
        for k in order:
            weight = w[k][corner[k]] if weight is None else weight * w[k][corner[k]]
        weights.append(weight)
    return _weighted(vals, weights)


def _bicubic(flat, coords, sizes, padding, align):
    h, w = sizes
    y, x = (_unnormalize(v, s, align, 2) for v, s in zip(coords, sizes))
    iy, ix = jnp.floor(y), jnp.floor(x)
    cy, cx = _cubic(y - iy), _cubic(x - ix)
    dy, dx = np.repeat(np.arange(-1, 3), 4), np.tile(np.arange(-1, 3), 4)
    yy = _pad(iy[..., None] + dy, h, padding, align)
    xx = _pad(ix[..., None] + dx, w, padding, align)
    vals = _read(flat, [jnp.trunc(yy), jnp.trunc(xx)], sizes)
    rows = [_weighted(vals[..., 4 * i:4 * i + 4], cx) for i in range(4)]
    out = None
    for i in range(4):
        v = cy[i][:, None, :] * rows[i]
        out = v if out is None else out + v
    return out


grid_sampler_2d_op = op("grid_sampler_2d", "GridSampler2DBackward0", dtypes="same")(
    _grid_sample)
grid_sampler_3d_op = op("grid_sampler_3d", "GridSampler3DBackward0", dtypes="same")(
    _grid_sample)


# ---- grid_sample: checks and entry points ---------------------------------------------------
def _check_common(input, grid):
    if input.device != grid.device:
        raise RuntimeError(f"grid_sampler(): expected input and grid to be on same device, but "
                           f"input is on {input.device} and grid is on {grid.device}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last "
                           f"dimension, but got grid with sizes {list(grid.shape)}")
    for i in range(2, input.ndim):
        if input.shape[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")


def _sampler(input, grid, interpolation_mode, padding_mode, align_corners, nd):
    if input.ndim != nd + 2 or grid.ndim != nd + 2:
        raise RuntimeError(f"grid_sampler(): expected {nd + 2}D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(input.shape)} and "
                           f"grid with sizes {list(grid.shape)}")
    if nd == 3 and interpolation_mode == 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype.kind != "f":
        kernel = "grid_sampler_2d_cpu_kernel_impl" if nd == 2 else "grid_sampler3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{_SHORT[input.dtype.name]}'")
    if grid.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_SHORT[input.dtype.name]} but found "
                           f"{_SHORT[grid.dtype.name]}")
    return run(grid_sampler_2d_op if nd == 2 else grid_sampler_3d_op, (input, grid),
               (("mode", int(interpolation_mode)), ("padding", int(padding_mode)),
                ("align", bool(align_corners))))


@public("grid_sampler_2d", method=False)
def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    _check_common(input, grid)
    return _sampler(input, grid, interpolation_mode, padding_mode, align_corners, 2)


@public("grid_sampler_3d", method=False)
def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    _check_common(input, grid)
    return _sampler(input, grid, interpolation_mode, padding_mode, align_corners, 3)


@public("grid_sampler", method=False)
def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    _check_common(input, grid)
    return _sampler(input, grid, interpolation_mode, padding_mode, align_corners,
                    2 if input.ndim == 4 else 3)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    return grid_sampler(input, grid, _MODES[mode], _PADDINGS[padding_mode], align_corners)
