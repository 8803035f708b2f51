"""Order statistics and counting: median, nanmedian, mode, quantile, nanquantile, unique,
unique_consecutive, bincount, histc."""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype as D
from .._tensor import Tensor, _wrap, _wrap_dim
from ._bind import public
from . import _cpu_order as cpu
from ._common import return_type
from ._registry import op, run
from .compare import no_derivative, not_impl, outable
from .sorting import _taking


def _none_rule(op_, operands, statics):
    return None, None


def evenly(x, v):
    """v, with a gradient spread evenly over the elements of x equal to v (NaN: over the NaNs),
    as torch's evenly_distribute_backward does. The value stays v exactly (-0.0, inf)."""
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return v
    mask = jnp.where(jnp.isnan(v), jnp.isnan(x), x == v)
    return _spread(x, lax.stop_gradient(v), mask)


@jax.custom_jvp
def _spread(x, v, mask):
    return v


@_spread.defjvp
def _spread_jvp(primals, tangents):
    x, v, mask = primals
    t = jnp.sum(jnp.where(mask, tangents[0], jnp.zeros((), x.dtype))) / jnp.sum(mask)
    return v, t.astype(v.dtype)


def _isnan(x):
    return jnp.isnan(x) if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.zeros(x.shape, bool)


# ---- median / nanmedian ------------------------------------------------------------------
def _median_all(a, i):
    # i: the flat index of the element torch's std::nth_element leaves in the middle
    x = a.reshape(-1)
    if x.size == 0:
        return jnp.full((), jnp.nan, a.dtype)
    return evenly(x, x[i])


def _median_dim(a, dim, keepdim, ignore_nan):
    if a.ndim == 0:
        return a, jnp.zeros((), jnp.int64)
    xs = lax.stop_gradient(a)
    order = jnp.argsort(xs, axis=dim, stable=True)   # NaN sorts last
    nan = _isnan(xs)
    if ignore_nan:
        cnt = jnp.sum(~nan, axis=dim, keepdims=True)
        idx = jnp.take_along_axis(order, jnp.maximum((cnt - 1) // 2, 0), axis=dim)
    else:
        k = (a.shape[dim] - 1) // 2
        idx = lax.slice_in_dim(order, k, k + 1, axis=dim)
        # a NaN anywhere in the row: the result is the first NaN
        first_nan = jnp.argmax(nan, axis=dim, keepdims=True)
        idx = jnp.where(jnp.any(nan, axis=dim, keepdims=True), first_nan, idx)
    v = jnp.take_along_axis(a, idx, axis=dim)
    if not keepdim:
        v, idx = jnp.squeeze(v, dim), jnp.squeeze(idx, dim)
    return v, idx.astype(jnp.int64)


_median = op("median", "MedianBackward0", dtypes="same", edges=(0,))(_median_all)
_nanmedian = op("nanmedian", "NanmedianBackward0", dtypes="same", edges=(0,))(_median_all)
_median_d = op("median_dim", "MedianBackward1", dtypes=_none_rule, nout=2)(
    lambda a, dim, keepdim: _median_dim(a, dim, keepdim, False))
_nanmedian_d = op("nanmedian_dim", "NanmedianBackward1", dtypes=_none_rule, nout=2)(
    lambda a, dim, keepdim: _median_dim(a, dim, keepdim, True))


def _check_sizes(name, input, d):
    if input.ndim and input.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _median_fn(name, all_op, dim_op):
    def fn(input, dim=None, keepdim=False, *, out=None):
        if input.dtype.kind in "bc":
            raise not_impl("median_cpu" if dim is None else "median_out", input.dtype)
        if dim is None:
            i = 0 if input.numel() == 0 else cpu.median_flat_index(cpu.host(input._data),
                                                                   name == "nanmedian")
            return run(all_op, (input, i))
        d = _wrap_dim(dim, input.ndim)
        _check_sizes(name, input, d)
        return return_type(name)(*run(dim_op, (input,), (("dim", d),
                                                         ("keepdim", bool(keepdim)))))
    fn.__name__ = name
    fn = outable(fn)
    return public(name)(fn)


median = _median_fn("median", _median, _median_d)
nanmedian = _median_fn("nanmedian", _nanmedian, _nanmedian_d)


# ---- mode --------------------------------------------------------------------------------
# the index torch's CPU kernel picks (`_cpu_order.mode_indices`), the value gathered there
_mode = _taking("mode", "ModeBackward0")


@public()
def mode(input, dim=-1, keepdim=False):
    if input.dtype.kind == "c":
        raise not_impl("mode_cpu", input.dtype)
    d = _wrap_dim(dim, input.ndim)
    _check_sizes("mode", input, d)
    if input.ndim == 0:
        idx = _wrap(jnp.zeros((), jnp.int64))
    else:
        idx = _wrap(jnp.asarray(cpu.along(cpu.host(input._data), d, cpu.mode_indices),
                                jnp.int64))
    return return_type("mode")(*run(_mode, (input, idx), (("dim", d),
                                                          ("keepdim", bool(keepdim)))))


# ---- quantile / nanquantile --------------------------------------------------------------
_INTERP = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_body(a, q, dim, keepdim, interpolation, ignore_nan):
    # torch's quantile_compute: sort, ranks from q, gather below/above, lerp
    q = jnp.asarray(q)
    q1 = q.reshape(-1)
    x = a.reshape(-1) if dim is None else (jnp.moveaxis(a, dim, -1) if a.ndim
                                            else a.reshape(1))
    s = jnp.sort(x, axis=-1)
    n = s.shape[-1]
    s = jnp.broadcast_to(s[..., None, :], s.shape[:-1] + (q1.size, n))
    nan = jnp.isnan(s)
    qcol = q1[:, None]
    if ignore_nan:
        cnt = jnp.sum(~nan, -1, keepdims=True)
        ranks = qcol * (cnt - 1).astype(q1.dtype)
        ranks = jnp.where(ranks < 0, 0, ranks)
    else:
        ranks = jnp.broadcast_to(qcol * (n - 1), s.shape[:-1] + (1,))
        ranks = jnp.where(jnp.any(nan, -1, keepdims=True), jnp.asarray(n - 1, q1.dtype), ranks)
    if interpolation == "lower":
        ranks = jnp.floor(ranks)
    elif interpolation == "higher":
        ranks = jnp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = jnp.round(ranks)
    below = lax.stop_gradient(ranks).astype(jnp.int64)
    r = jnp.take_along_axis(s, below, -1)
    if interpolation in ("linear", "midpoint"):
        w = jnp.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        above = jnp.take_along_axis(s, jnp.ceil(lax.stop_gradient(ranks)).astype(jnp.int64), -1)
        r = jnp.where(jnp.abs(w) < 0.5, r + w * (above - r), above - (above - r) * (1 - w))
    r = jnp.moveaxis(r[..., 0], -1, 0)          # (Q, *kept dims)
    if keepdim:
        if dim is None:
            r = r.reshape((q1.size,) + (1,) * a.ndim)
        elif a.ndim:
            r = jnp.expand_dims(r, dim + 1)
    elif dim is not None and a.ndim == 0:
        r = r.reshape((q1.size,))
    return r[0] if q.ndim == 0 else r


def _quantile_rule(op_, operands, statics):
    return operands[0].dtype, operands[0].dtype


_quantile_op = op("quantile", "SqueezeBackward4", dtypes=_quantile_rule, promote=(0,))(
    _quantile_body)


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    if input.dtype.kind != "f" or input.dtype.name not in ("float32", "float64"):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        if q.numel() and not bool(jnp.all((q._data >= 0) & (q._data <= 1))):
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
        q = float(q)
    if interpolation not in _INTERP:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    d = None if dim is None else _wrap_dim(dim, input.ndim)
    return run(_quantile_op, (input, q), (("dim", d), ("keepdim", bool(keepdim)),
                                       ("interpolation", interpolation),
                                       ("ignore_nan", ignore_nan)))


@public()
@outable
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, False)


@public()
@outable
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, True)


# ---- unique / unique_consecutive (data-dependent shapes: computed on the host) -----------
_UNIQUE_MSG = "the derivative for '{}' is not implemented."


def _gather_op(name, grad_fn, aten):
    return op(name, grad_fn, dtypes="same", edges=(0,))(no_derivative(
        lambda a, idx, dim: a.reshape(-1)[idx] if dim is None else jnp.take(a, idx, axis=dim),
        aten, _UNIQUE_MSG.format(aten), NotImplementedError))


_unique_vals = _gather_op("unique_values", "Unique2Backward0", "_unique2")
_unique_dim_vals = _gather_op("unique_dim_values", "UniqueDimBackward0", "unique_dim")
_unique_consec_vals = _gather_op("unique_consecutive_values", "UniqueConsecutiveBackward0",
                                 "unique_consecutive")


def _values(input, first, dim, o, np_values):
    """The unique values: gathered by an op when autograd needs a grad_fn, else from numpy."""
    if input.requires_grad:
        return run(o, (input, _wrap(jnp.asarray(first, jnp.int64))), (("dim", dim),))
    return _wrap(jnp.asarray(np_values))


def _long(x):
    return _wrap(jnp.asarray(np.asarray(x, np.int64)))


def _pack(values, inverse, counts, return_inverse, return_counts):
    if not (return_inverse or return_counts):
        return values
    out = [values]
    if return_inverse:
        out.append(_long(inverse))
    if return_counts:
        out.append(_long(counts))
    return tuple(out)


def _unique_dim(input, dim):
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, input.ndim)
    if input.numel() == 0 and any(n == 0 for k, n in enumerate(input.shape) if k != d):
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                           "cannot be applied")
    return d


@public()
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    x = np.asarray(input._data)
    if dim is None:
        vals, first, inv, cnt = np.unique(x.reshape(-1), return_index=True,
                                          return_inverse=True, return_counts=True,
                                          equal_nan=False)
        return _pack(_values(input, first, None, _unique_vals, vals), inv.reshape(x.shape),
                     cnt, return_inverse, return_counts)
    d = _unique_dim(input, dim)
    if x.shape[d] == 0:
        return _pack(_values(input, np.zeros(0, np.int64), d, _unique_dim_vals, x),
                     np.zeros(0, np.int64), np.zeros(0, np.int64), return_inverse,
                     return_counts)
    vals, first, inv, cnt = np.unique(x, return_index=True, return_inverse=True,
                                      return_counts=True, axis=d, equal_nan=False)
    return _pack(_values(input, first, d, _unique_dim_vals, vals), inv.reshape(-1), cnt,
                 return_inverse, return_counts)


@public()
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    x = np.asarray(input._data)
    if dim is None:
        d, rows = None, x.reshape(-1, 1)
    else:
        d = _unique_dim(input, dim)
        rows = np.moveaxis(x, d, 0).reshape(x.shape[d], x.size // builtins.max(x.shape[d], 1))
    n = rows.shape[0]
    if n == 0:
        starts = np.zeros(0, np.int64)
    else:
        change = np.any(rows[1:] != rows[:-1], axis=1)
        starts = np.concatenate([[0], np.nonzero(change)[0] + 1]).astype(np.int64)
    inv = np.cumsum(np.isin(np.arange(n), starts)) - 1
    cnt = np.diff(np.append(starts, n))
    vals = x.reshape(-1)[starts] if d is None else np.take(x, starts, axis=d)
    return _pack(_values(input, starts, d, _unique_consec_vals, vals),
                 inv.reshape(x.shape) if d is None else inv, cnt, return_inverse,
                 return_counts)


# ---- bincount / histc --------------------------------------------------------------------
_bincount = op("bincount", "NotImplemented", dtypes=lambda o, x, s: (None, None), edges=(1,))(
    no_derivative(lambda x, w, length: jnp.bincount(x, w, length=length), "bincount"))


@public()
def bincount(input, weights=None, minlength=0):
    if input.dtype.kind not in "iu":
        raise not_impl("bincount_cpu", input.dtype)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    x = np.asarray(input._data)
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != x.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    length = builtins.max(int(x.max()) + 1 if x.size else 0, int(minlength))
    if weights is None:
        return _wrap(jnp.asarray(np.bincount(x, minlength=length).astype(np.int64)))
    wdt = weights.dtype if weights.dtype.kind == "f" else D.float64
    w = weights.to(wdt)
    if w.requires_grad:
        return run(_bincount, (input, w), (("length", length),))
    out = np.bincount(x, np.asarray(w._data), minlength=length)
    return _wrap(jnp.asarray(out.astype(wdt.np)))


def _histc_body(a, lo, hi, bins):
    x = a.reshape(-1)
    # XLA rewrites `v / scalar` as `v * (1 / scalar)`, which moves values sitting on a bin
    # edge into the bin below; an opaque full-size divisor keeps torch's true division
    span = lax.optimization_barrier(jnp.broadcast_to(hi - lo, x.shape))
    pos = ((x - lo) * bins / span)
    valid = (x >= lo) & (x <= hi)
    pos = jnp.where(valid, pos, 0).astype(jnp.int64)
    pos = jnp.where(pos == bins, bins - 1, pos)
    return jnp.zeros(bins, a.dtype).at[jnp.where(valid, pos, bins)].add(1, mode="drop")


_histc = op("histc", None, dtypes=_quantile_rule, promote=(0,))(_histc_body)


def _cfmt(v: float) -> str:
    return f"{v:g}"


@public()
@outable
def histc(input, bins=100, min=0, max=0, *, out=None):
    if input.dtype.kind != "f":
        raise not_impl("linspace_cpu" if input.dtype is D.bool else "histogram_cpu", input.dtype)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and input.numel() > 0:
        lo, hi = float(input._data.min()), float(input._data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_cfmt(lo)}, {_cfmt(hi)}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    return run(_histc, (input, lo, hi), (("bins", int(bins)),))

