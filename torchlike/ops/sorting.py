"""Sorting and selection: sort, argsort, msort, topk, kthvalue, searchsorted, bucketize.

Values are gathered at indices (NaN sorts as the largest value, as in torch), so each gradient
goes to the selected element (torch's SortBackward / TopkBackward). Which of several equal
elements torch picks is up to its CPU algorithms: topk, kthvalue and the unstable sort of the
dtypes std::sort handles replay them on the host (`_cpu_order`); the rest use a stable sort.
"""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from .._tensor import Tensor, _wrap, _wrap_dim
from . import _cpu_order as cpu
from ._bind import public
from ._common import return_type
from ._registry import op, run
from .compare import check_other, not_impl, outable

_UNSET = object()


def _none_rule(op_, operands, statics):
    return None, None


def _order(a, dim, descending):
    return jnp.argsort(lax.stop_gradient(a), axis=dim, descending=descending, stable=True)


def _sort_body(a, dim, descending):
    if a.ndim == 0:
        return a, jnp.zeros((), jnp.int64)
    idx = _order(a, dim, descending)
    return jnp.take_along_axis(a, idx, axis=dim), idx.astype(jnp.int64)


_sort = op("sort", "SortBackward0", dtypes=_none_rule, nout=2)(_sort_body)
_sort_stable = op("sort_stable", "SortBackward1", dtypes=_none_rule, nout=2)(_sort_body)
_argsort = op("argsort", None, dtypes="long")(
    lambda a, dim, descending: _order(a, dim, descending) if a.ndim else
    jnp.zeros((), jnp.int64))
_msort = op("msort", "SortBackward0", dtypes="same")(
    lambda a: _sort_body(a, 0, False)[0])


def _take_body(a, idx, dim, keepdim=True):
    """(a gathered at the host-computed idx, idx); keepdim=False drops the size-1 dim."""
    if a.ndim == 0:
        return a, idx
    v = jnp.take_along_axis(a, idx, axis=dim)
    if not keepdim:
        v, idx = jnp.squeeze(v, dim), jnp.squeeze(idx, dim)
    return v, idx


def _taking(name, grad_fn):
    return op(name, grad_fn, dtypes=_none_rule, nout=2, edges=(0,))(_take_body)


_sort_std = _taking("sort_std", "SortBackward0")
_sort_std_stable_arg = _taking("sort_std_stable_arg", "SortBackward1")
# x86-simd-sort takes these in sort(stable=False); its tie order is not replayed (a stable
# sort stands in). The other dtypes go through std::sort, replayed exactly.
_XSS = ("float32", "float64", "int32", "int64")


def _host_indices(input, dim, fn):
    """Indices computed on the host by fn on the (rows, n) view with `dim` last."""
    if input.ndim == 0:
        return _wrap(jnp.zeros((), jnp.int64))
    x = cpu.host(input._data)
    return _wrap(jnp.asarray(cpu.along(x, dim, fn), jnp.int64))


def _std_sort(input, d, descending):
    """torch's unstable CPU sort through std::sort, or None where torch uses x86-simd-sort."""
    if input.dtype.name in _XSS:
        return None
    return _host_indices(input, d, lambda x: cpu.sort_indices(x, descending))


def _no_complex(name, input):
    if input.dtype.kind == "c":
        raise not_impl(name, input.dtype)


@public()
@outable
def sort(input, dim=-1, descending=False, stable=_UNSET, *, out=None):
    # the `stable=` overload (even stable=False / None) is torch's sort.stable: SortBackward1
    _no_complex("sort", input)
    d = _wrap_dim(dim, input.ndim)
    if stable is _UNSET or not stable:
        idx = _std_sort(input, d, bool(descending))
        if idx is not None:
            o = _sort_std if stable is _UNSET else _sort_std_stable_arg
            return return_type("sort")(*run(o, (input, idx), (("dim", d),)))
    o = _sort if stable is _UNSET else _sort_stable
    return return_type("sort")(*run(o, (input,), (("dim", d), ("descending", bool(descending)))))


@public()
def argsort(input, dim=-1, descending=False, stable=False):
    _no_complex("sort", input)
    d = _wrap_dim(dim, input.ndim)
    idx = None if stable else _std_sort(input, d, bool(descending))
    if idx is not None:
        return idx
    return run(_argsort, (input,), (("dim", d), ("descending", bool(descending))))


@public()
@outable
def msort(input, *, out=None):
    _no_complex("sort", input)
    _wrap_dim(0, input.ndim)
    idx = _std_sort(input, 0, False)
    if idx is not None:
        return run(_sort_std, (input, idx), (("dim", 0),))[0]
    return run(_msort, (input,))


_topk = _taking("topk", "TopkBackward0")


@public()
@outable
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    # sorted=False: the order torch's nth_element leaves (replayed, as are ties)
    if input.dtype is D.bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    _no_complex("topk_cpu", input)
    d = _wrap_dim(dim, input.ndim)
    size = input.shape[d] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    k = int(k)
    idx = _host_indices(input, d, lambda x: cpu.topk_indices(x, k, bool(largest), bool(sorted)))
    return return_type("topk")(*run(_topk, (input, idx), (("dim", d),)))


_kthvalue = _taking("kthvalue", "KthvalueBackward0")


@public()
@outable
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    if input.dtype.kind in "bc":
        raise not_impl("kthvalue_cpu", input.dtype)
    d = _wrap_dim(dim, input.ndim)
    size = input.shape[d] if input.ndim else 1
    if input.ndim and size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    k = int(k)
    idx = _host_indices(input, d, lambda x: cpu.kthvalue_indices(x, k))
    return return_type("kthvalue")(*run(_kthvalue, (input, idx), (("dim", d),
                                                                  ("keepdim", bool(keepdim)))))


# ---- searchsorted / bucketize ------------------------------------------------------------
def _search_rule(op_, operands, statics):
    seq, v = operands[0], operands[1]
    vd = v.dtype if isinstance(v, Tensor) else D.scalar_dtype(v)
    out = D.int32 if dict(statics)["int32"] else D.int64
    return D.promote_types(seq.dtype, vd), out


def _bsearch(seq, v, side):
    """torch's binary search on one sorted row: its raw comparisons (a NaN value goes past
    every element; NaNs at the end of the row are passed too), unlike jnp's total order."""
    n = seq.shape[0]
    lo = jnp.zeros(v.shape, jnp.int64)
    hi = jnp.full(v.shape, n, jnp.int64)

    def step(_, state):
        lo, hi = state
        mid = (lo + hi) // 2
        m = seq[jnp.clip(mid, 0, builtins.max(n - 1, 0))]
        right = ~(m > v) if side == "right" else ~(m >= v)
        active = lo < hi
        return jnp.where(active & right, mid + 1, lo), jnp.where(active & ~right, mid, hi)
    lo, _ = lax.fori_loop(0, n.bit_length() + 1, step, (lo, hi))
    return lo


def _search_body(seq, v, sorter, side, int32):
    if sorter is not None:
        seq = jnp.take_along_axis(seq, sorter, axis=-1)
    if seq.ndim <= 1:
        return _bsearch(seq.reshape(-1), v, side)
    lead = seq.shape[:-1]
    flat_s = seq.reshape((-1, seq.shape[-1]))
    flat_v = v.reshape((flat_s.shape[0], -1))
    r = jax.vmap(lambda s, x: _bsearch(s, x, side))(flat_s, flat_v)
    return r.reshape(lead + v.shape[len(lead):])


_searchsorted = op("searchsorted", None, dtypes=_search_rule, promote=(0, 1))(_search_body)


def _side(right, side):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        return side
    return "right" if right else "left"


@public(method=False)
@outable
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    check_other("searchsorted", input, arg="input")
    s = _side(right, side)
    if sorted_sequence.ndim > 1:
        vs = tuple(input.shape) if isinstance(input, Tensor) else ()
        if len(vs) != sorted_sequence.ndim or vs[:-1] != tuple(sorted_sequence.shape[:-1]):
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(sorted_sequence.shape)} and input value tensor "
                f"{list(vs)}")
    return run(_searchsorted, (sorted_sequence, input, sorter),
               (("side", s), ("int32", bool(out_int32))))


@public(method=False)
@outable
def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)

