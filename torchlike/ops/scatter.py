"""gather / scatter family and index_select / index_add / index_copy / index_fill,
take_along_dim. Index bounds are checked on the host with torch's exception types."""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype as D
from .._tensor import _SHORT, Tensor, _wrap_dim
from ._bind import public
from ._registry import op, run


def _mesh(idx, dim):
    """Index tuple addressing a[..., idx, ...]: iotas over idx's shape, idx itself at dim."""
    grids = [lax.broadcasted_iota(jnp.int64, idx.shape, d) for d in range(idx.ndim)]
    grids[dim] = idx
    return tuple(grids)


def _gather_np(a, idx, dim):
    """gather in numpy: a cut to idx's extent on the other dimensions, then indexed along dim."""
    a = a[tuple(slice(None) if d == dim else slice(0, s) for d, s in enumerate(idx.shape))]
    return np.take_along_axis(a, idx, dim)


def _crop(src, shape):
    return src[tuple(slice(0, s) for s in shape)]


def _bounds(index, n, dim, exc=RuntimeError, prefix="", allow_negative=False):
    vals = np.asarray(index._data)
    if not vals.size:
        return
    lo = -n if allow_negative else 0
    if vals.max() >= n or vals.min() < lo:
        bad = int(vals[(vals >= n) | (vals < lo)].flat[0])  # torch names the first in order
        raise exc(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {n}")


def _check_scatter_like(name, input, dim, index, src=None):
    if index.dtype is not D.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    n_in, n_idx = max(input.ndim, 1), max(index.ndim, 1)
    if index.numel() and n_in != n_idx:
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    if src is not None and index.numel() and max(src.ndim, 1) != n_idx:
        raise RuntimeError("Index tensor must have the same number of dimensions as src "
                           "tensor")
    d = _wrap_dim(dim, input.ndim)
    ishape = tuple(index.shape) if index.ndim else (1,)
    sshape = tuple(input.shape) if input.ndim else (1,)
    if index.numel():
        bad = any(ishape[k] > sshape[k] for k in range(len(ishape)) if k != d)
        if src is not None:
            src_shape = tuple(src.shape) if src.ndim else (1,)
            if bad or any(ishape[k] > src_shape[k] for k in range(len(ishape))):
                raise RuntimeError(f"Expected index {list(ishape)} to be no larger than self "
                                   f"{list(sshape)} apart from dimension {d} and to be no "
                                   f"larger size than src {list(src_shape)}")
        elif bad:
            k = next(k for k in range(len(ishape)) if k != d and ishape[k] > sshape[k])
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(ishape)} to be no larger than self {list(sshape)} apart "
                               f"from dimension {d}")
        _bounds(index, sshape[d], d)
    return d


def _nd(f):
    """Run a gather/scatter body on 0-d operands as 1-element vectors."""
    def body(a, i, *rest, **kw):
        if a.ndim == 0:
            out = f(a.reshape(1), i.reshape(-1), *[r.reshape(-1) if hasattr(r, "ndim") and
                                                   r.ndim == 0 else r for r in rest], **kw)
            return out.reshape(())
        return f(a, i, *rest, **kw)
    return body


# ---- gather / take_along_dim --------------------------------------------------------------
_gather = op("gather", "GatherBackward0", dtypes="same", edges=(0,), host=True)(
    lambda a, i, dim, xp=jnp: a.reshape(1)[i.reshape(-1)].reshape(i.shape) if a.ndim == 0
    else a[_mesh(i, dim)] if xp is jnp else _gather_np(a, i, dim))


@public()
def gather(input, dim, index, *, sparse_grad=False, out=None):
    if index.dtype.kind not in "iu":
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    d = _check_scatter_like("gather", input, dim, index.long() if index.dtype is not D.int64
                            else index)
    return run(_gather, (input, index), (("dim", d),))


@public()
def take_along_dim(input, indices, dim=None, *, out=None):
    from .shape import broadcast_shape, expand, flatten
    if indices.dtype is not D.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_SHORT[indices.dtype.name]}")
    if dim is None:
        return gather(flatten(input), 0, flatten(indices))
    if input.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, "
                           f"and {indices.ndim} dimensions for indices")
    d = _wrap_dim(dim, input.ndim)
    ishape, xshape = list(indices.shape), list(input.shape)
    ishape[d], xshape[d] = 1, 1
    bshape = list(broadcast_shape(ishape, xshape))
    x_to = bshape.copy()
    x_to[d] = input.shape[d]
    i_to = bshape.copy()
    i_to[d] = indices.shape[d]
    if list(input.shape) != x_to:
        input = expand(input, x_to)
    if list(indices.shape) != i_to:
        indices = expand(indices, i_to)
    return gather(input, d, indices)


# ---- scatter family -----------------------------------------------------------------------
def _scatter_body(a, i, s, dim, reduce):
    m = _mesh(i, dim)
    v = _crop(s, i.shape) if hasattr(s, "ndim") and s.ndim else jnp.asarray(s).astype(a.dtype)
    v = jnp.broadcast_to(v.astype(a.dtype), i.shape)
    if reduce is not None:
        return _no_derivative(a, v, m, reduce)
    return a.at[m].set(v)


@partial(jax.custom_vjp, nondiff_argnums=(3,))
def _no_derivative(a, v, m, reduce):
    return a.at[m].add(v) if reduce == "add" else a.at[m].multiply(v)


def _nd_fwd(a, v, m, reduce):
    return _no_derivative(a, v, m, reduce), None


def _nd_bwd(reduce, res, g):
    # torch records a NotImplemented node: backward through scatter(reduce=) fails
    raise RuntimeError("derivative for aten::scatter is not implemented")


_no_derivative.defvjp(_nd_fwd, _nd_bwd)


def _scatter_name(statics, pattern):
    s = dict(statics)
    if s["reduce"] is not None:
        return "NotImplemented"
    return "ScatterBackward0" if pattern[2] == "t" else "ScatterBackward1"


_scatter = op("scatter", _scatter_name, dtypes="same", promote=(),
              edges=lambda pattern: (0, 2) if pattern[2] == "t" else (0,))(_nd(_scatter_body))
_scatter_add = op("scatter_add", "ScatterAddBackward0", dtypes="same", promote=(), edges=(0, 2))(
    _nd(lambda a, i, s, dim: a.at[_mesh(i, dim)].add(_crop(s, i.shape))))


@public(inplace=True)
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    if src is None:
        src = value
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if isinstance(src, Tensor):
        if src.dtype is not input.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        d = _check_scatter_like("scatter", input, dim, index, src if src.ndim else None)
    else:
        d = _check_scatter_like("scatter", input, dim, index)
    return run(_scatter, (input, index, src), (("dim", d), ("reduce", reduce)))


@public(inplace=True)
def scatter_add(input, dim, index, src):
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    d = _check_scatter_like("scatter_add", input, dim, index, src)
    return run(_scatter_add, (input, index, src), (("dim", d),))


def _extreme(dtype, low):
    if jnp.issubdtype(dtype, jnp.floating):
        return -jnp.inf if low else jnp.inf
    if dtype == jnp.bool_:
        return not low
    info = jnp.iinfo(dtype)
    return info.min if low else info.max


def _reduce_fwd_value(a, src, m, reduce, include_self):
    if reduce == "prod":
        base = a if include_self else a.at[m].set(1)
        return base.at[m].multiply(src)
    base = a if include_self else a.at[m].set(_extreme(a.dtype, reduce == "amax"))
    return base.at[m].max(src) if reduce == "amax" else base.at[m].min(src)


@partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _scatter_extreme(a, src, m, reduce, include_self):
    return _reduce_fwd_value(a, src, m, reduce, include_self)


def _extreme_fwd(a, src, m, reduce, include_self):
    out = _reduce_fwd_value(a, src, m, reduce, include_self)
    return out, (a, src, m, out)


def _extreme_bwd(reduce, include_self, res, g):
    # torch's scatter_reduce_backward (FunctionsManual.cpp), formula for formula
    a, src, m, out = res
    if reduce == "prod":
        one = jnp.ones((), a.dtype)
        masked_self = jnp.where(a == 0, one, a)
        grad_a = g * _reduce_fwd_value(masked_self, src, m, reduce, include_self) / masked_self
        src_zero = src == 0
        nzeros = jnp.zeros_like(a).at[m].add(src_zero.astype(a.dtype))[m]
        single = src_zero & (nzeros == 1)
        masked_src_result = _reduce_fwd_value(a, jnp.where(single, one, src), m, reduce,
                                              include_self)
        grad_src = jnp.where(single, (g * masked_src_result)[m],
                             (g * out)[m] / jnp.where(src_zero, one, src))
    else:
        value = out[m]
        self_is = (a == out).astype(a.dtype)
        src_is = (src == value).astype(a.dtype)
        n = self_is.at[m].add(src_is)
        dist = g / n
        grad_a = self_is * dist
        grad_src = src_is * dist[m]
    if not include_self:
        grad_a = jnp.where(jnp.zeros(a.shape, bool).at[m].set(True), 0, grad_a)
    return grad_a, grad_src, None


_scatter_extreme.defvjp(_extreme_fwd, _extreme_bwd)


def _scatter_reduce_body(a, i, s, dim, reduce, include_self):
    m = _mesh(i, dim)
    src = _crop(s, i.shape)
    if reduce == "sum":
        base = a if include_self else a.at[m].set(0)
        return base.at[m].add(src)
    if reduce in ("prod", "amax", "amin"):
        if jnp.issubdtype(a.dtype, jnp.floating):
            return _scatter_extreme(a, src, m, reduce, include_self)
        return _reduce_fwd_value(a, src, m, reduce, include_self)
    # mean
    base = a if include_self else a.at[m].set(0)
    total = base.at[m].add(src)
    count = jnp.full(a.shape, 1 if include_self else 0, a.dtype).at[m].add(
        jnp.ones_like(src))
    count = jnp.where(count == 0, jnp.ones_like(count), count)
    if jnp.issubdtype(a.dtype, jnp.floating):
        return total / count
    return jnp.floor_divide(total, count)


_scatter_reduce = op("scatter_reduce", "ScatterReduceBackward0", dtypes="same", promote=())(
    _nd(_scatter_reduce_body))


@public(inplace=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    d = _check_scatter_like("scatter_reduce", input, dim, index, src)
    return run(_scatter_reduce, (input, index, src),
               (("dim", d), ("reduce", reduce), ("include_self", bool(include_self))))


# ---- index_* ------------------------------------------------------------------------------
def _index_vector(name, index):
    if index.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index")


def _along(dim, i, ndim):
    return (slice(None),) * dim + (i.reshape(-1),) + (slice(None),) * (ndim - dim - 1)


_index_select = op("index_select", "IndexSelectBackward0", dtypes="same", edges=(0,),
                   host=True)(
    lambda a, i, dim, xp=jnp: xp.take(a, i.reshape(-1), axis=dim) if a.ndim else
    a.reshape(1)[i.reshape(-1)].reshape(i.shape))


@public()
def index_select(input, dim, index, *, out=None):
    _index_vector("index_select", index)
    d = _wrap_dim(dim, input.ndim)
    vals = np.asarray(index._data)
    n = input.shape[d] if input.ndim else 1
    if vals.size and (vals.max() >= n or vals.min() < 0):
        raise IndexError("index out of range in self")
    return run(_index_select, (input, index), (("dim", d),))


def _check_source(name, input, d, index, source):
    if source.dtype is not input.dtype:
        raise RuntimeError(f"{name}(): self ({_SHORT[input.dtype.name]}) and source "
                           f"({_SHORT[source.dtype.name]}) must have the same scalar type")
    ns = source.shape[d] if source.ndim else 1
    if index.numel() != ns:
        raise RuntimeError(f"{name}(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim): ({ns}), for dim: {d}")
    want = [s for k, s in enumerate(input.shape) if k != d]
    got = [s for k, s in enumerate(source.shape) if k != d]
    if source.ndim and want != got:
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {list(source.shape)}")


def _index_add_body(a, i, s, alpha, dim):
    if a.ndim == 0:
        return a + alpha * s.reshape(())
    return a.at[_along(dim, i, a.ndim)].add(alpha * s.astype(a.dtype))


_index_add = op("index_add", "IndexAddBackward0", dtypes="same", promote=())(
    lambda a, i, s, alpha, dim: _index_add_body(a, i, s, jnp.asarray(alpha).astype(a.dtype),
                                                dim))


@public(inplace=True)
def index_add(input, dim, index, source, *, alpha=1):
    _index_vector("index_add_", index)
    d = _wrap_dim(dim, input.ndim)
    _check_source("index_add_", input, d, index, source)
    n = input.shape[d] if input.ndim else 1
    if input.ndim > 1 and d in (0, input.ndim - 1):  # torch's CPU kernel checks by scatter_add
        _bounds(index, n, d)
    elif index.numel() and not bool(((index >= 0) & (index < n)).all()):
        raise IndexError("index out of range in self")
    return run(_index_add, (input, index, source, alpha), (("dim", d),))


_index_copy = op("index_copy", "IndexCopyBackward0", dtypes="same", promote=())(
    lambda a, i, s, dim: s.reshape(()) if a.ndim == 0 else
    a.at[_along(dim, i, a.ndim)].set(s))


@public(inplace=True)
def index_copy(input, dim, index, source):
    _index_vector("index_copy_", index)
    d = _wrap_dim(dim, input.ndim)
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {_SHORT[input.dtype.name]} and (source) "
                           f"{_SHORT[source.dtype.name]}")
    ns = source.shape[d] if source.ndim else 1
    if index.numel() != ns:
        raise IndexError(f"index_copy_(): Number of indices ({index.numel()}) should be equal "
                         f"to source.size(dim) ({ns})")
    _bounds(index, input.shape[d] if input.ndim else 1, d, IndexError, "index_copy_(): ")
    return run(_index_copy, (input, index, source), (("dim", d),))


def _index_fill_body(a, i, v, dim):
    v = jnp.asarray(v).astype(a.dtype)
    if a.ndim == 0:
        return jnp.where(i.size > 0, v, a)
    return a.at[_along(dim, i, a.ndim)].set(v)


_index_fill = op("index_fill", lambda s, p: "IndexFillBackward1" if p[2] == "t" else
                 "IndexFillBackward0", dtypes="same", promote=())(_index_fill_body)


@public(inplace=True)
def index_fill(input, dim, index, value):
    _index_vector("index_fill_", index)
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    d = _wrap_dim(dim, input.ndim)
    _bounds(index, input.shape[d] if input.ndim else 1, d, IndexError, allow_negative=True)
    return run(_index_fill, (input, index, value), (("dim", d),))
