"""Scans: cumsum, cumprod, cummax/cummin (with indices), logcumsumexp."""
from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from .._tensor import _wrap_dim
from ._bind import public
from ._common import return_type
from ._registry import op, run
from .compare import not_impl, outable
from .reduction import _sum_rule  # cumsum/cumprod promote as sum does (ints -> int64)


def _scan(fn):
    return lambda a, dim, dtype: fn(a, axis=dim) if a.ndim else a


_cumsum = op("cumsum", "CumsumBackward0", dtypes=_sum_rule)(_scan(jnp.cumsum))
_cumprod = op("cumprod", "CumprodBackward0", dtypes=_sum_rule)(_scan(jnp.cumprod))


def _cum_args(input, dim, dtype):
    return (("dim", _wrap_dim(dim, input.ndim)),
            ("dtype", None if dtype is None else D.to_dtype(dtype)))


@public(inplace=True)
@outable
def cumsum(input, dim, *, dtype=None, out=None):
    return run(_cumsum, (input,), _cum_args(input, dim, dtype))


@public(inplace=True)
@outable
def cumprod(input, dim, *, dtype=None, out=None):
    return run(_cumprod, (input,), _cum_args(input, dim, dtype))


def _cum_extreme(running):
    """(values, indices) of a running max/min: a NaN wins (a later NaN too); ties take the
    later index, as torch's cummax/cummin do. The index is the last "record" so far: an element
    equal to the running extreme at its own position (after it, none equals it, or the
    extreme would have moved). `lax.cummax`/`cummin` compile ~5x faster than an
    associative scan over (value, index) pairs. The values are gathered at the indices, so the
    gradient goes to the selected elements (torch's CummaxBackward0) and the sign of a zero is
    the selected element's."""
    def body(a, dim):
        if a.ndim == 0:
            return a, jnp.zeros((), jnp.int64)
        if a.shape[dim] == 0:
            return a, jnp.zeros(a.shape, jnp.int64)
        b = lax.stop_gradient(a)
        if b.dtype == jnp.bool_:
            b = b.astype(jnp.uint8)
        extreme = running(b, axis=dim)
        record = b == extreme
        if jnp.issubdtype(b.dtype, jnp.inexact):
            record |= jnp.isnan(b) & jnp.isnan(extreme)
        iota = lax.broadcasted_iota(jnp.int64, a.shape, dim)
        idx = lax.cummax(jnp.where(record, iota, -1), axis=dim)
        return jnp.take_along_axis(a, idx, axis=dim), idx
    return body


def _none_rule(op_, operands, statics):
    return None, None


_cummax = op("cummax", "CummaxBackward0", dtypes=_none_rule, nout=2)(_cum_extreme(lax.cummax))
_cummin = op("cummin", "CumminBackward0", dtypes=_none_rule, nout=2)(_cum_extreme(lax.cummin))


@public()
@outable
def cummax(input, dim, *, out=None):
    return return_type("cummax")(*run(_cummax, (input,),
                                      (("dim", _wrap_dim(dim, input.ndim)),)))


@public()
@outable
def cummin(input, dim, *, out=None):
    return return_type("cummin")(*run(_cummin, (input,),
                                      (("dim", _wrap_dim(dim, input.ndim)),)))


_logcumsumexp = op("logcumsumexp", "LogcumsumexpBackward0", dtypes="same")(
    lambda a, dim: lax.cumlogsumexp(a, axis=dim) if a.ndim and a.size else a)


@public()
@outable
def logcumsumexp(input, dim, *, out=None):
    if input.dtype.kind not in "fc":
        raise not_impl("logcumsumexp_out_cpu", input.dtype)
    return run(_logcumsumexp, (input,), (("dim", _wrap_dim(dim, input.ndim)),))
