"""Ops that build new layouts: cat/stack and the *stack family, repeat/tile/repeat_interleave,
flip/roll/rot90, diag/diag_embed/diagflat, tril/triu."""
from __future__ import annotations

import builtins

import jax.numpy as jnp
import numpy as np

from .._tensor import Tensor, _wrap, _wrap_dim
from ._bind import method_only, public
from ._registry import op, run
from .shape import flatten, unsqueeze, view

# ---- cat / stack -------------------------------------------------------------------------
_cat = op("cat", "CatBackward0", saves=False, host=True)(
    lambda *xs, dim, xp=jnp: xp.concatenate(xs, axis=dim))
_stack = op("stack", "StackBackward0", saves=False, host=True)(
    lambda *xs, dim, xp=jnp: xp.stack(xs, axis=dim))


@public("cat", "concat", "concatenate", method=False)
def cat(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    # torch skips legacy empty 1-D tensors of shape (0,) (they only take part in promotion)
    live = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]
    if not live:
        live = tensors[:1]
    live_ids = {id(t) for t in live}
    d = _wrap_dim(dim, live[0].ndim)
    ref = live[0]
    for i, t in enumerate(tensors):
        if id(t) not in live_ids:
            continue
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} "
                               f"and {t.ndim}")
        for j in range(ref.ndim):
            if j != d and t.shape[j] != ref.shape[j]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref.shape[j]} but got size {t.shape[j]} "
                                   f"for tensor number {i} in the list.")
    if len(live) < len(tensors) and any(t.dtype is not live[0].dtype for t in tensors):
        # promotion still sees the skipped tensors: cast the live ones to the common dtype
        from ._registry import promoted
        dt = promoted(tensors)
        live = [t.to(dt) for t in live]
    return run(_cat, tuple(live), (("dim", d),))


@public(method=False)
def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at "
                               f"entry {i}")
    return run(_stack, tuple(tensors), (("dim", _wrap_dim(dim, tensors[0].ndim + 1)),))


@public(method=False)
def atleast_1d(*tensors):
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = tuple(view(t, 1) if t.ndim == 0 else t for t in ts)
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


@public(method=False)
def atleast_2d(*tensors):
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = tuple(view(t, 1, 1) if t.ndim == 0 else unsqueeze(t, 0) if t.ndim == 1 else t
                for t in ts)
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


def _to_3d(t):
    if t.ndim == 0:
        return view(t, 1, 1, 1)
    if t.ndim == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    if t.ndim == 2:
        return unsqueeze(t, -1)
    return t


@public(method=False)
def atleast_3d(*tensors):
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = tuple(_to_3d(t) for t in ts)
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


def _nonempty(name, tensors):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


@public(method=False)
def hstack(tensors, *, out=None):
    ts = list(atleast_1d(_nonempty("hstack", tensors)))
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


@public("vstack", "row_stack", method=False)
def vstack(tensors, *, out=None):
    return cat(list(atleast_2d(_nonempty("vstack", tensors))), 0)


@public(method=False)
def dstack(tensors, *, out=None):
    return cat(list(atleast_3d(_nonempty("dstack", tensors))), 2)


@public(method=False)
def column_stack(tensors, *, out=None):
    ts = _nonempty("column_stack", tensors)
    return cat([view(t, t.numel(), 1) if t.ndim <= 1 else t for t in ts], 1)


# ---- repeat / tile / repeat_interleave ---------------------------------------------------
_repeat = op("repeat", "RepeatBackward0", dtypes="same", saves=False)(
    lambda a, reps: jnp.tile(a, reps))


def _sizes(sizes) -> tuple:
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    return tuple(int(s) for s in sizes)


@method_only("repeat")
def repeat(input, *sizes):
    sizes = _sizes(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(sizes) - input.ndim) + tuple(input.shape)
    target = [a * b for a, b in zip(shape, sizes)]
    for s in target:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {target}")
    return run(_repeat, (input,), (("reps", sizes),))


@public()
def tile(input, dims):
    dims = _sizes((dims,))
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


_rep_int = op("repeat_interleave", "ViewBackward0", dtypes="same", saves=False)(
    lambda a, r, dim: jnp.repeat(a, r, axis=dim))


@public()
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # torch.repeat_interleave(repeats): indices repeated
        r = np.asarray(input._data)
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if (r < 0).any():
            raise RuntimeError("repeats can not be negative")
        return _wrap(jnp.asarray(np.repeat(np.arange(r.size), r.reshape(-1))))
    if dim is None:
        input, d = flatten(input), 0
    else:
        d = _wrap_dim(dim, input.ndim)
    if isinstance(repeats, int):
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        return run(_rep_int, (input,), (("r", repeats), ("dim", d)))
    from .scatter import index_select
    r = np.asarray(repeats._data)
    if r.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    n = input.shape[d] if input.ndim else 1
    if r.size == 1:
        r = np.full(n, r.reshape(()).item())
    elif r.size != n:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {r.size} and input.size({d}) = {n}")
    if (r < 0).any():
        raise RuntimeError("repeats can not be negative")
    idx = _wrap(jnp.asarray(np.repeat(np.arange(n), r)))
    return index_select(input, d, idx)


# ---- flip / roll / rot90 -----------------------------------------------------------------
_flip = op("flip", "FlipBackward0", dtypes="same", saves=False, host=True)(
    lambda a, dims, xp=jnp: xp.flip(a, dims) if dims else a)


def _dim_list(dims, ndim):
    out = tuple(_wrap_dim(d, ndim) for d in dims)
    for d in out:
        if out.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


@public()
def flip(input, *dims):
    dims = _sizes(dims)
    return run(_flip, (input,), (("dims", _dim_list(dims, input.ndim)),))


@public()
def fliplr(input):
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


@public()
def flipud(input):
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


_roll = op("roll", "RollBackward0", dtypes="same", saves=False, host=True)(
    lambda a, shifts, dims, xp=jnp: xp.roll(a, shifts, dims))


@public()
def roll(input, shifts, dims=None):
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return run(_roll, (input,), (("shifts", shifts[0]), ("dims", None)))
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    dims = tuple(_wrap_dim(d, input.ndim) for d in dims)
    return run(_roll, (input,), (("shifts", shifts), ("dims", dims)))


_rot90 = op("rot90", "Rot90Backward0", dtypes="same", saves=False)(
    lambda a, k, dims: jnp.rot90(a, k, dims))


@public()
def rot90(input, k=1, dims=(0, 1)):
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _wrap_dim(dims[0], input.ndim), _wrap_dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    return run(_rot90, (input,), (("k", int(k) % 4), ("dims", (d0, d1))))


# ---- diag / diag_embed / tril / triu -----------------------------------------------------
def _diag_embed_body(a, offset, d1, d2):
    m = a.shape[-1]
    n = m + builtins.abs(offset)
    k = np.arange(m)
    rows, cols = k + builtins.max(-offset, 0), k + builtins.max(offset, 0)
    out = jnp.zeros(a.shape[:-1] + (n, n), a.dtype).at[..., rows, cols].set(a)
    return jnp.moveaxis(out, (-2, -1), (d1, d2))


_diag_embed = op("diag_embed", "DiagEmbedBackward0", dtypes="same", saves=False)(
    _diag_embed_body)
_diag_copy = op("diag", "DiagonalBackward0_copy", dtypes="same", saves=False)(
    lambda a, offset: jnp.diagonal(a, offset))


@public()
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    n = input.ndim + 1
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if input.ndim == 0:
        input = view(input, 1)
    return run(_diag_embed, (input,), (("offset", int(offset)), ("d1", d1), ("d2", d2)))


@public()
def diag(input, diagonal=0, *, out=None):
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return run(_diag_copy, (input,), (("offset", int(diagonal)),))


@public()
def diagflat(input, offset=0):
    return diag_embed(flatten(input), offset)


def _tri(name, fn, grad_fn):
    o = op(name, grad_fn, dtypes="same", saves=False, host=True)(
        lambda a, k, xp=jnp: getattr(xp, fn.__name__)(a, k))

    def f(input, diagonal=0, *, out=None):
        if input.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return run(o, (input,), (("k", int(diagonal)),))
    f.__name__ = name
    return public(name, inplace=True)(f)


tril = _tri("tril", jnp.tril, "TrilBackward0")
triu = _tri("triu", jnp.triu, "TriuBackward0")
