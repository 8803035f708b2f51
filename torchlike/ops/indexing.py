"""Indexing: __getitem__ / __setitem__ (basic and advanced), select, narrow, index_select,
gather, masked_fill, nonzero."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap, _wrap_dim
from ._bind import public
from ._registry import inplace, op, run

_select = op("select", "SelectBackward0", dtypes="same", saves=False)(
    lambda a, dim, index: jnp.take(a, index, axis=dim))
_slice = op("slice", "SliceBackward0", dtypes="same", saves=False)(
    lambda a, dim, start, stop, step: a[(slice(None),) * dim + (slice(start, stop, step),)])
_unsqueeze = op("unsqueeze", "UnsqueezeBackward0", dtypes="same", saves=False)(
    lambda a, dim: jnp.expand_dims(a, dim))
_alias = op("alias", "AliasBackward0", dtypes="same", saves=False)(lambda a: a)


def _from_np(values: np.ndarray) -> Tensor:
    return _wrap(jnp.asarray(values))


def _rebuild(spec, arrays):
    """Index tuple from a static spec, with arrays filled in where the spec says 'T'."""
    it = iter(arrays)
    return tuple(next(it) if s == "T" else s for s in spec)


@public()
def select(input, dim, index):
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"index {index} is out of bounds for dimension {d} with size {n}")
    return run(_select, (input,), (("dim", d), ("index", index % n)))


@public()
def narrow(input, dim, start, length):
    d = _wrap_dim(dim, input.ndim)
    start = int(start) % input.shape[d] if start < 0 else int(start)
    if start + length > input.shape[d]:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({input.shape[d]}).")
    return run(_slice, (input,), (("dim", d), ("start", start), ("stop", start + length),
                                  ("step", 1)))


def _expand_index(index, ndim):
    if not isinstance(index, tuple):
        index = (index,)
    consumed = sum(1 for i in index if i is not None and i is not Ellipsis and not (
        isinstance(i, Tensor) and i.dtype is D.bool) and not isinstance(i, bool))
    consumed += sum(i.ndim for i in index if isinstance(i, Tensor) and i.dtype is D.bool)
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if Ellipsis in [i for i in index if not isinstance(i, (Tensor, np.ndarray, list))]:
        pos = [k for k, i in enumerate(index) if i is Ellipsis and not isinstance(i, Tensor)][0]
        index = index[:pos] + (slice(None),) * (ndim - consumed) + index[pos + 1:]
    return index


def _is_advanced(i) -> bool:
    return isinstance(i, (Tensor, list, np.ndarray, bool))


def getitem(self, index):
    """Tensor.__getitem__: a chain of Select/Slice/Unsqueeze nodes, or IndexBackward0."""
    idx = _expand_index(index, self.ndim)
    if any(_is_advanced(i) for i in idx):
        return _advanced(self, idx)
    out, dim = self, 0
    for i in idx:
        if i is None:
            out = run(_unsqueeze, (out,), (("dim", dim),))
            dim += 1
        elif isinstance(i, slice):
            n = out.shape[dim]
            start, stop, step = i.start, i.stop, i.step
            if step is not None and step <= 0:
                raise ValueError("step must be greater than zero")
            start, stop, step = slice(start, stop, step).indices(n)
            stop = max(stop, start)
            if (start, stop, step) != (0, n, 1):
                out = run(_slice, (out,), (("dim", dim), ("start", start), ("stop", stop),
                                           ("step", step)))
            dim += 1
        else:
            i = int(i)
            n = out.shape[dim]
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {n}")
            out = run(_select, (out,), (("dim", dim), ("index", i % n)))
    if out is self:
        out = run(_alias, (self,)) if self._rg else _view_of(self)
    return out


def _view_of(t):
    from .shape import view
    return view(t, t.shape)


def _to_index_tensor(i, dim_size=None):
    if isinstance(i, Tensor):
        return i
    from .._creation import tensor
    return tensor(i)


def _advanced_spec(self, idx):
    spec, arrays, dim = [], [], 0
    for i in idx:
        if i is None:
            spec.append(None)
            continue
        if isinstance(i, bool):
            spec.append(i)
            continue
        if isinstance(i, slice):
            spec.append(i)
            dim += 1
            continue
        if _is_advanced(i):
            t = _to_index_tensor(i)
            if t.dtype is D.bool:
                if tuple(t.shape) != tuple(self.shape[dim:dim + t.ndim]):
                    raise IndexError(f"The shape of the mask {list(t.shape)} at index {dim} does "
                                     f"not match the shape of the indexed tensor "
                                     f"{list(self.shape)} at index {dim}")
                # data-dependent shape: turn the mask into integer indices on the host
                for nz in np.nonzero(np.asarray(t._data)):
                    spec.append("T")
                    arrays.append(_from_np(nz.astype(np.int64)))
                dim += t.ndim
                continue
            if t.dtype.kind not in "iu":
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            n = self.shape[dim]
            vals = np.asarray(t._data)
            if vals.size and (vals.max() >= n or vals.min() < -n):
                bad = vals.max() if vals.max() >= n else vals.min()
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with "
                                 f"size {n}")
            spec.append("T")
            arrays.append(t)
            dim += 1
            continue
        i = int(i)
        n = self.shape[dim]
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {n}")
        spec.append(i)
        dim += 1
    return tuple(spec), arrays


def _hashable(spec):
    return tuple((s.start, s.stop, s.step, "slice") if isinstance(s, slice) else s
                 for s in spec)


def _unhash(spec):
    return tuple(slice(s[0], s[1], s[2]) if isinstance(s, tuple) else s for s in spec)


def _advanced(self, idx):
    spec, arrays = _advanced_spec(self, idx)
    return run(_index_h, (self, *arrays), (("spec", _hashable(spec)),))


_index_h = op("index", "IndexBackward0", dtypes="same")(
    lambda a, *idx, spec: a[_rebuild(_unhash(spec), idx)])


_index_put = op("index_put", "IndexPutBackward0", dtypes="same", promote=())(
    lambda a, v, *idx, spec: a.at[_rebuild(_unhash(spec), idx)].set(v.astype(a.dtype)))
_copy_slices = op("copy_slices", "CopySlices", dtypes="same", promote=())(
    lambda a, v, *idx, spec: a.at[_rebuild(_unhash(spec), idx)].set(v.astype(a.dtype)))


def setitem(self, index, value):
    """Tensor.__setitem__: an in-place indexed write (`.at[].set`), CopySlices in autograd."""
    idx = _expand_index(index, self.ndim)
    spec, arrays = _advanced_spec(self, idx)
    if not isinstance(value, Tensor):
        from .._creation import tensor
        value = tensor(value, dtype=self.dtype)
    o = _index_put if arrays else _copy_slices
    res = run(o, (self, value, *arrays), (("spec", _hashable(spec)),))
    inplace(self, res)


_index_select = op("index_select", "IndexSelectBackward0", dtypes="same")(
    lambda a, i, dim: jnp.take(a, i, axis=dim))


@public()
def index_select(input, dim, index, *, out=None):
    return run(_index_select, (input, index), (("dim", _wrap_dim(dim, input.ndim)),))


_gather = op("gather", "GatherBackward0", dtypes="same")(
    lambda a, i, dim: jnp.take_along_axis(a, i, axis=dim))


@public()
def gather(input, dim, index, *, sparse_grad=False, out=None):
    return run(_gather, (input, index), (("dim", _wrap_dim(dim, input.ndim)),))


_masked_fill = op("masked_fill", "MaskedFillBackward0", dtypes="same", promote=())(
    lambda a, m, v: jnp.where(m, jnp.asarray(v, a.dtype), a))


@public(inplace=True)
def masked_fill(input, mask, value):
    if mask.dtype is not D.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name if mask.dtype.name != 'int64' else 'long int'}")
    return run(_masked_fill, (input, mask, value))


@public()
def nonzero(input, *, as_tuple=False, out=None):
    nz = np.nonzero(np.asarray(input._data))
    if as_tuple:
        return tuple(_from_np(n.astype(np.int64)) for n in nz)
    return _from_np(np.stack(nz, axis=1).astype(np.int64) if nz else
                           np.zeros((1, 0), np.int64))


@public()
def argwhere(input):
    return nonzero(input)


@public()
def masked_select(input, mask):
    from .shape import broadcast_tensors
    a, m = broadcast_tensors(input, mask)
    return getitem(a, m)
