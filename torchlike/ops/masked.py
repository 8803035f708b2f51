"""Mask- and flat-index ops: masked_fill / masked_select / masked_scatter, take / put,
nonzero / argwhere. Data-dependent shapes (masks, nonzero) are resolved on the host."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .. import _device
from .. import _dtype as D
from .._tensor import _CTYPE, _SHORT, Tensor, _wrap
from ._bind import public
from ._registry import op, run


# ---- masked ops ----------------------------------------------------------------------------
_masked_fill = op("masked_fill", "MaskedFillBackward0", dtypes="same", promote=(),
                  edges=(0,), host=True)(
    lambda a, m, v, xp=jnp: xp.where(m, xp.asarray(v).astype(a.dtype), a))
_masked_fill_t = op("masked_fill_t", "MaskedFillBackward1", dtypes="same", promote=(),
                    host=True)(lambda a, m, v, xp=jnp: xp.where(m, v.astype(a.dtype), a))


@public(inplace=True)
def masked_fill(input, mask, value):
    if mask.dtype is not D.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_CTYPE[mask.dtype.name]}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
        return run(_masked_fill_t, (input, mask, value))
    return run(_masked_fill, (input, mask, value))


_masked_select = op("masked_select", "MaskedSelectBackward0", dtypes="same")(
    lambda a, *nz, shape: jnp.broadcast_to(a, shape)[nz])


@public()
def masked_select(input, mask, *, out=None):
    if mask.dtype is not D.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    from .shape import broadcast_shape
    shape = broadcast_shape(mask.shape, input.shape)
    m = np.broadcast_to(np.asarray(mask._data), shape)
    nz = tuple(_wrap(_device.as_array(k.astype(np.int64))) for k in np.nonzero(m))
    return run(_masked_select, (input, *nz), (("shape", shape),))


def _masked_scatter_body(a, src, pos):
    flat = a.reshape(-1).at[pos].set(src.reshape(-1)[:pos.shape[0]])
    return flat.reshape(a.shape)


_masked_scatter = op("masked_scatter", "MaskedScatterBackward0", dtypes="same", promote=())(
    _masked_scatter_body)


@public(inplace=True)
def masked_scatter(input, mask, source):
    if mask.dtype is not D.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {_CTYPE[mask.dtype.name]}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{_SHORT[input.dtype.name]} and {_SHORT[source.dtype.name]}")
    from .shape import broadcast_shape, expand
    shape = broadcast_shape(input.shape, mask.shape)
    m = np.broadcast_to(np.asarray(mask._data), shape).reshape(-1)
    pos = np.flatnonzero(m)
    if pos.size > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    if tuple(input.shape) != shape:
        input = expand(input, shape)
    pos_t = _wrap(_device.as_array(pos.astype(np.int64)))
    return run(_masked_scatter, (input, source, pos_t))


# ---- take / put ------------------------------------------------------------------------------
def _check_flat(input, index, what):
    if index.dtype is not D.int64:
        raise RuntimeError(f"{what}(): Expected a long tensor for index, but got "
                           f"{_SHORT[index.dtype.name]}")
    n = input.numel()
    vals = np.asarray(index._data)
    if vals.size and (vals.max() >= n or vals.min() < -n):
        bad = int(vals.max() if vals.max() >= n else vals.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")


_take_op = op("take", "TakeBackward0", dtypes="same")(lambda a, i: a.reshape(-1)[i])


@public()
def take(input, index, *, out=None):
    _check_flat(input, index, "take")
    return run(_take_op, (input, index))


def _put_body(a, i, s, accumulate):
    flat = a.reshape(-1)
    s = s.reshape(-1).astype(a.dtype)
    flat = flat.at[i.reshape(-1)].add(s) if accumulate else flat.at[i.reshape(-1)].set(s)
    return flat.reshape(a.shape)


_put_op = op("put", "PutBackward0", dtypes="same", promote=())(_put_body)


@public(inplace=True)
def put(input, index, source, accumulate=False):
    _check_flat(input, index, "put")
    if index.numel() != source.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {index.numel()}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_SHORT[input.dtype.name]} and source.dtype = "
                           f"{_SHORT[source.dtype.name]}")
    return run(_put_op, (input, index, source), (("accumulate", bool(accumulate)),))


# ---- nonzero / argwhere ----------------------------------------------------------------------
@public()
def nonzero(input, *, as_tuple=False, out=None):
    a = np.asarray(input._data)
    if as_tuple:
        if a.ndim == 0:
            return (_wrap(_device.as_array(np.zeros(int(a != 0), np.int64))),)
        return tuple(_wrap(_device.as_array(n.astype(np.int64))) for n in np.nonzero(a))
    if a.ndim == 0:
        return _wrap(jnp.zeros((int(a != 0), 0), jnp.int64))
    return _wrap(_device.as_array(np.argwhere(a).astype(np.int64)))


@public()
def argwhere(input):
    return nonzero(input)
