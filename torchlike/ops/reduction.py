"""Reductions: sum, mean, prod, max/min (with dim: (values, indices)), amax/amin, arg*,
aminmax, all/any, count_nonzero, std/var (+ _mean), logsumexp. Norms: norms.py."""
from __future__ import annotations

import builtins
import functools
import math
import warnings

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
from jax import lax

from .. import _dtype as D
from .._tensor import Tensor, _SHORT, _wrap_dim
from ._bind import public
from ._common import dims as _dims
from ._common import invalid_arguments, return_type
from ._registry import op, run
from .compare import outable


def axes(dim, ndim):
    """torch dims -> jnp axes: None (all) or a tuple; a 0-d tensor has no axis to reduce."""
    if dim is None:
        return None
    return () if ndim == 0 else dim


def _dim_arg(input, dim, empty_is_all=True):
    """Normalized dims (sorted tuple) or None; `()` means every dim for most reductions."""
    if dim is None:
        return None
    d = _dims(dim, input.ndim)
    if d == () and empty_is_all:
        d = tuple(range(input.ndim))
    return d


def _opt_dtype(dtype):
    return None if dtype is None else D.to_dtype(dtype)


def _reduced_sizes_nonzero(name, input, d):
    for k in d:
        if input.ndim and input.shape[k] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {k} to have non-zero size.")


def _need_dim_if_empty(name, input, err=RuntimeError, hint=True):
    if input.numel() == 0:
        extra = " Specify the reduction dim with the 'dim' argument." if hint else ""
        raise err(f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
                  f"{extra}")


# ---- sum / mean / prod -------------------------------------------------------------------
def _sum_rule(op_, operands, statics):
    dt = dict(statics).get("dtype")
    if dt is None:
        dt = operands[0].dtype
        if dt.kind in "biu":
            dt = D.int64
    return dt, dt


def _mean_rule(op_, operands, statics):
    dt = dict(statics).get("dtype") or operands[0].dtype
    if dt.kind not in "fc":
        raise RuntimeError(f"{op_.name}(): could not infer output dtype. Input dtype must be "
                           "either a floating point or complex dtype. Got: "
                           f"{_SHORT[dt.name]}")
    return dt, dt


def _given(name0, name1):
    return lambda s, p: name0 if dict(s)["dim"] is None else name1


def _nansum_body(a, axis, keepdims):
    if not jnp.issubdtype(a.dtype, jnp.inexact):
        return jnp.sum(a, axis=axis, keepdims=keepdims)
    return _nansum_nd(a, axis, keepdims)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _nansum_nd(a, axis, keepdims):
    return jnp.nansum(a, axis=axis, keepdims=keepdims)


@_nansum_nd.defjvp
def _nansum_nd_jvp(axis, keepdims, primals, tangents):
    (a,), (t,) = primals, tangents
    # torch multiplies the gradient by the mask (NaN * 0 stays NaN); the barrier keeps XLA
    # from turning `x * float(mask)` into a select
    mask = lax.optimization_barrier((~jnp.isnan(a)).astype(t.dtype))
    return _nansum_nd(a, axis, keepdims), jnp.sum(t * mask, axis=axis, keepdims=keepdims)


_sum = op("sum", _given("SumBackward0", "SumBackward1"), dtypes=_sum_rule, saves=False)(
    lambda a, dim, keepdim, dtype: jnp.sum(a, axis=axes(dim, a.ndim), keepdims=keepdim))
_nansum = op("nansum", "NansumBackward0", dtypes=_sum_rule)(
    lambda a, dim, keepdim, dtype: _nansum_body(a, axes(dim, a.ndim), keepdim))
_prod = op("prod", _given("ProdBackward0", "ProdBackward1"), dtypes=_sum_rule)(
    lambda a, dim, keepdim, dtype: jnp.prod(a, axis=axes(dim, a.ndim), keepdims=keepdim))
_mean = op("mean", _given("MeanBackward0", "MeanBackward1"), dtypes=_mean_rule, saves=False)(
    lambda a, dim, keepdim, dtype: jnp.mean(a, axis=axes(dim, a.ndim), keepdims=keepdim))
_not_nan_count = op("not_nan_count", None, dtypes="long")(
    lambda a, dim, keepdim: jnp.sum(~jnp.isnan(a), axis=axes(dim, a.ndim), keepdims=keepdim))


def _reduce_args(input, dim, keepdim, dtype):
    return (("dim", _dim_arg(input, dim)), ("keepdim", bool(keepdim)),
            ("dtype", _opt_dtype(dtype)))


@public()
@outable
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    return run(_sum, (input,), _reduce_args(input, dim, keepdim, dtype))


@public()
@outable
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if input.dtype.kind == "c":
        raise RuntimeError("nansum does not support complex inputs")
    return run(_nansum, (input,), _reduce_args(input, dim, keepdim, dtype))


@public()
@outable
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    _mean_rule(_mean, (input,), (("dtype", _opt_dtype(dtype)),))
    return run(_mean, (input,), _reduce_args(input, dim, keepdim, dtype))


@public()
@outable
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if input.dtype.kind not in "fc":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_SHORT[input.dtype.name]}")
    # torch's composite: nansum(x) / count of non-NaN (grad_fn DivBackward0 over Nansum)
    args = _reduce_args(input, dim, keepdim, None)
    count = run(_not_nan_count, (input,), args[:2])
    from .pointwise import div
    return div(nansum(input, dim, keepdim, dtype=dtype), count)


@public()
@outable
def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool)):
        # the method's words (the function's add its Tensor input, which this cannot tell)
        raise invalid_arguments("prod", (dim,), "*, torch.dtype dtype = None",
                                "int dim, bool keepdim = False, *, torch.dtype dtype = None")
    return run(_prod, (input,), _reduce_args(input, dim, keepdim, dtype))


# ---- max / min ---------------------------------------------------------------------------
def _select_body(argfn):
    # values gathered at the index: the gradient goes to that one element (torch's
    # value_selecting_reduction_backward), not spread over ties as jnp.max's would be
    def body(a, dim, keepdim):
        if a.ndim == 0:
            return a, jnp.zeros((), jnp.int64)
        i = argfn(a, axis=dim, keepdims=True)
        v = jnp.take_along_axis(a, i, axis=dim)
        if not keepdim:
            v, i = jnp.squeeze(v, dim), jnp.squeeze(i, dim)
        return v, i.astype(jnp.int64)
    return body


def _evenly(fn):
    # the value of fn, with torch's evenly_distribute_backward (a NaN result: over the NaNs)
    def body(a):
        from .stats import evenly
        return evenly(a.reshape(-1), fn(lax.stop_gradient(a)))
    return body


_max_all = op("max_all", "MaxBackward1", dtypes="same")(_evenly(jnp.max))
_min_all = op("min_all", "MinBackward1", dtypes="same")(_evenly(jnp.min))
_max_dim = op("max_dim", "MaxBackward0", dtypes=lambda o, x, s: (None, None), nout=2)(
    _select_body(jnp.argmax))
_min_dim = op("min_dim", "MinBackward0", dtypes=lambda o, x, s: (None, None), nout=2)(
    _select_body(jnp.argmin))


def _extreme(name, all_op, dim_op, binary):
    def fn(input, dim=None, keepdim=False, *, out=None):
        if isinstance(dim, Tensor):
            return binary(input, dim)
        if dim is None:
            _need_dim_if_empty(name, input)
            return run(all_op, (input,))
        d = _wrap_dim(dim, input.ndim)
        _reduced_sizes_nonzero(name, input, (d,))
        v, i = run(dim_op, (input,), (("dim", d), ("keepdim", bool(keepdim))))
        return return_type(name)(v, i)
    fn.__name__ = name
    fn = outable(fn)
    return public(name)(fn)


def _lazy_binary(name):
    def f(a, b):
        from . import compare
        return getattr(compare, name)(a, b)
    return f


max = _extreme("max", _max_all, _max_dim, _lazy_binary("maximum"))
min = _extreme("min", _min_all, _min_dim, _lazy_binary("minimum"))

_amax = op("amax", "AmaxBackward0", dtypes="same")(
    lambda a, dim, keepdim: jnp.max(a, axis=axes(dim, a.ndim), keepdims=keepdim))
_amin = op("amin", "AminBackward0", dtypes="same")(
    lambda a, dim, keepdim: jnp.min(a, axis=axes(dim, a.ndim), keepdims=keepdim))


def _amax_args(name, input, dim, keepdim):
    d = _dim_arg(input, dim)
    if d is None or d == tuple(range(input.ndim)):
        if input.numel() == 0 and (d is None or dim == () or input.ndim == 0):
            _need_dim_if_empty(name, input)
    if d is not None:
        _reduced_sizes_nonzero(name, input, d)
    return (("dim", d), ("keepdim", bool(keepdim)))


@public()
def amax(input, dim=(), keepdim=False, *, out=None):
    return run(_amax, (input,), _amax_args("amax", input, dim, keepdim))


@public()
def amin(input, dim=(), keepdim=False, *, out=None):
    return run(_amin, (input,), _amax_args("amin", input, dim, keepdim))


_aminmax = op("aminmax", "AminmaxBackward0", dtypes=lambda o, x, s: (None, None), nout=2)(
    lambda a, dim, keepdim: (jnp.min(a, axis=dim, keepdims=keepdim),
                             jnp.max(a, axis=dim, keepdims=keepdim)))


@public()
@outable
def aminmax(input, *, dim=None, keepdim=False, out=None):
    d = None if dim is None else _wrap_dim(dim, input.ndim)
    if d is None and input.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if d is not None and input.ndim and input.shape[d] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    if d is None and keepdim:
        d = tuple(range(input.ndim))
    elif d is not None:
        d = axes((d,), input.ndim)
    return return_type("aminmax", ("min", "max"))(
        *run(_aminmax, (input,), (("dim", d), ("keepdim", bool(keepdim)))))


def _arg_body(fn):
    return lambda a, dim, keepdim: fn(a, axis=dim, keepdims=keepdim) if a.ndim else \
        jnp.zeros((), jnp.int64)


_argmax = op("argmax", None, dtypes="long")(_arg_body(jnp.argmax))
_argmin = op("argmin", None, dtypes="long")(_arg_body(jnp.argmin))


def _arg(name, o, input, dim, keepdim):
    if input.dtype is D.bool:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if input.numel() == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        d = None
    else:
        d = _wrap_dim(dim, input.ndim)
        _reduced_sizes_nonzero(name, input, (d,))
    return run(o, (input,), (("dim", d), ("keepdim", bool(keepdim))))


@public()
def argmax(input, dim=None, keepdim=False):
    return _arg("argmax", _argmax, input, dim, keepdim)


@public()
def argmin(input, dim=None, keepdim=False):
    return _arg("argmin", _argmin, input, dim, keepdim)


# ---- all / any / count_nonzero -----------------------------------------------------------
def _bool_rule(op_, operands, statics):
    return None, D.uint8 if operands[0].dtype is D.uint8 else D.bool


_all = op("all", None, dtypes=_bool_rule)(
    lambda a, dim, keepdim: jnp.all(a, axis=axes(dim, a.ndim), keepdims=keepdim))
_any = op("any", None, dtypes=_bool_rule)(
    lambda a, dim, keepdim: jnp.any(a, axis=axes(dim, a.ndim), keepdims=keepdim))


@public()
@outable
def all(input, dim=None, keepdim=False, *, out=None):
    # all/any over dim=() reduce nothing (unlike sum)
    return run(_all, (input,), (("dim", _dim_arg(input, dim, False)), ("keepdim", bool(keepdim))))


@public()
@outable
def any(input, dim=None, keepdim=False, *, out=None):
    return run(_any, (input,), (("dim", _dim_arg(input, dim, False)), ("keepdim", bool(keepdim))))


_count_nonzero = op("count_nonzero", None, dtypes="long")(
    lambda a, dim: jnp.sum(a != 0, axis=axes(dim, a.ndim)))


@public()
def count_nonzero(input, dim=None):
    return run(_count_nonzero, (input,), (("dim", _dim_arg(input, dim)),))


# ---- moments -----------------------------------------------------------------------------
@jax.custom_jvp
def _sqrt0(v):
    return jnp.sqrt(v)


@_sqrt0.defjvp
def _sqrt0_jvp(primals, tangents):
    # torch's std backward: zero (not nan) where the std is zero
    y = jnp.sqrt(primals[0])
    return y, jnp.where(y == 0, 0, tangents[0] / (2 * jnp.where(y == 0, 1, y)))


def _var_body(a, dim, correction, keepdim):
    ax = axes(dim, a.ndim)
    n = a.size if ax is None else math.prod(a.shape[d] for d in ax)
    m = jnp.mean(a, axis=ax, keepdims=True)
    d = a - m
    sq = (d * jnp.conj(d)).real if jnp.iscomplexobj(d) else d * d
    return jnp.sum(sq, axis=ax, keepdims=keepdim) / builtins.max(n - correction, 0)


def _moment_rule(op_, operands, statics, what="std and var"):
    dt = operands[0].dtype
    if dt.kind not in "fc":
        raise RuntimeError(f"{what} only support floating point and complex dtypes")
    return dt, dt.to_real()


def _two_rule(op_, operands, statics):
    _moment_rule(op_, operands, statics)
    return operands[0].dtype, None


def _mean_of(a, dim, keepdim):
    return jnp.mean(a, axis=axes(dim, a.ndim), keepdims=keepdim)


_var = op("var", "VarBackward0", dtypes=_moment_rule)(_var_body)
_std = op("std", "StdBackward0", dtypes=_moment_rule)(
    lambda a, dim, correction, keepdim: _sqrt0(_var_body(a, dim, correction, keepdim)))
_var_mean = op("var_mean", "VarMeanBackward0", dtypes=_two_rule, nout=2)(
    lambda a, dim, correction, keepdim: (_var_body(a, dim, correction, keepdim),
                                         _mean_of(a, dim, keepdim)))
_std_mean = op("std_mean", "StdMeanBackward0", dtypes=_two_rule, nout=2)(
    lambda a, dim, correction, keepdim: (_sqrt0(_var_body(a, dim, correction, keepdim)),
                                         _mean_of(a, dim, keepdim)))


def _moment_args(name, input, dim, unbiased, keepdim, correction):
    _moment_rule(None, (input,), (), name if name.endswith("_mean") else "std and var")
    if isinstance(dim, bool):  # std(x, True) is the old unbiased= positional
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    d = _dim_arg(input, dim)
    n = input.numel() if d is None else math.prod(input.shape[k] for k in d) \
        if input.ndim else 1
    if input.dtype.kind in "fc" and n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return (("dim", d), ("correction", correction), ("keepdim", bool(keepdim)))


@public()
@outable
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return run(_var, (input,), _moment_args("var", input, dim, unbiased, keepdim, correction))


@public()
@outable
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return run(_std, (input,), _moment_args("std", input, dim, unbiased, keepdim, correction))


@public(method=False)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return run(_var_mean, (input,),
               _moment_args("var_mean", input, dim, unbiased, keepdim, correction))


@public(method=False)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return run(_std_mean, (input,),
               _moment_args("std_mean", input, dim, unbiased, keepdim, correction))


# ---- logsumexp ---------------------------------------------------------------------------
_logsumexp = op("logsumexp", "LogsumexpBackward0", dtypes="float")(
    lambda a, dim, keepdim: jsp.logsumexp(a, axis=axes(dim, a.ndim), keepdims=keepdim)
    if a.size else jnp.full(jnp.sum(a, axis=axes(dim, a.ndim), keepdims=keepdim).shape,
                            -jnp.inf, a.dtype))


@public()
@outable
def logsumexp(input, dim, keepdim=False, *, out=None):
    d = _dims(dim, input.ndim)
    if d == () and input.ndim:
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape "
                           f"{[1] * input.ndim}")
    return run(_logsumexp, (input,), (("dim", d), ("keepdim", bool(keepdim))))


# torch.linalg.vector_norm is imported from here
from .norms import norm, vector_norm  # noqa: E402,F401
