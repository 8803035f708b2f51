"""Reductions: sum, mean, prod, max/min (with dim: (values, indices)), amax/amin, arg*,
norm, std/var, logsumexp, all/any, cumsum/cumprod."""
from __future__ import annotations

import math

import jax.numpy as jnp

from .. import _dtype as D
from .._tensor import Tensor, _SHORT, _wrap_dim
from ._bind import public
from ._common import dims as _dims
from ._common import return_type
from ._registry import op, run


def _sum_rule(op_, operands, statics):
    dt = dict(statics).get("dtype")
    if dt is None:
        dt = operands[0].dtype
        if dt.kind in "biu":
            dt = D.int64
    return dt, dt


def _axis(statics):
    return dict(statics)["dim"]


_sum = op("sum", lambda s, p: "SumBackward0" if dict(s)["dim"] is None else "SumBackward1",
          dtypes=_sum_rule, saves=False)(
    lambda a, dim, keepdim, dtype: jnp.sum(a, axis=dim, keepdims=keepdim))
_nansum = op("nansum", "NansumBackward0", dtypes=_sum_rule)(
    lambda a, dim, keepdim, dtype: jnp.nansum(a, axis=dim, keepdims=keepdim))
_prod = op("prod", lambda s, p: "ProdBackward0" if dict(s)["dim"] is None else "ProdBackward1",
           dtypes=_sum_rule)(lambda a, dim, keepdim, dtype: jnp.prod(a, axis=dim,
                                                                     keepdims=keepdim))


def _mean_rule(op_, operands, statics):
    dt = dict(statics).get("dtype") or operands[0].dtype
    if dt.kind not in "fc":
        raise RuntimeError(f"{op_.name}(): could not infer output dtype. Input dtype must be "
                           "either a floating point or complex dtype. Got: "
                           f"{_SHORT[dt.name]}")
    return dt, dt


_mean = op("mean", lambda s, p: "MeanBackward0" if dict(s)["dim"] is None else "MeanBackward1",
           dtypes=_mean_rule, saves=False)(
    lambda a, dim, keepdim, dtype: jnp.mean(a, axis=dim, keepdims=keepdim))
_nanmean = op("nanmean", "NanmeanBackward0", dtypes=_mean_rule)(
    lambda a, dim, keepdim, dtype: jnp.nanmean(a, axis=dim, keepdims=keepdim))


def _reduce_args(input, dim, keepdim, dtype):
    d = _dims(dim, input.ndim)
    if d == ():
        d = None
    return (("dim", d), ("keepdim", bool(keepdim)),
            ("dtype", None if dtype is None else D.to_dtype(dtype)))


@public()
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    return run(_sum, (input,), _reduce_args(input, dim, keepdim, dtype))


@public()
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    return run(_nansum, (input,), _reduce_args(input, dim, keepdim, dtype))


@public()
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    return run(_mean, (input,), _reduce_args(input, dim, keepdim, dtype))


@public()
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    return run(_nanmean, (input,), _reduce_args(input, dim, keepdim, dtype))


@public()
def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if dim is not None and not isinstance(dim, int):
        raise TypeError("prod(): argument 'dim' must be int")
    return run(_prod, (input,), _reduce_args(input, dim, keepdim, dtype))


# ---- max / min ---------------------------------------------------------------------------
def _full_extreme(fn):
    return lambda a: fn(a)


def _dim_extreme(fn, argfn):
    def body(a, dim, keepdim):
        v = fn(a, axis=dim, keepdims=keepdim)
        i = argfn(a, axis=dim, keepdims=keepdim).astype(jnp.int64)
        return v, i
    return body


def _check_nonempty(name, input, dim=None):
    if input.numel() == 0 and dim is None:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")


_max_all = op("max_all", "MaxBackward1", dtypes="same")(jnp.max)
_min_all = op("min_all", "MinBackward1", dtypes="same")(jnp.min)
_max_dim = op("max_dim", "MaxBackward0", dtypes="same", nout=2)(
    _dim_extreme(jnp.max, jnp.argmax))
_min_dim = op("min_dim", "MinBackward0", dtypes="same", nout=2)(
    _dim_extreme(jnp.min, jnp.argmin))


def _extreme(name, all_op, dim_op, binary):
    def fn(input, dim=None, keepdim=False, *, out=None):
        if isinstance(dim, Tensor):
            return binary(input, dim)
        if dim is None:
            _check_nonempty(name, input)
            return run(all_op, (input,))
        d = _wrap_dim(dim, input.ndim)
        v, i = run(dim_op, (input,), (("dim", d), ("keepdim", bool(keepdim))))
        return return_type(name)(v, i)
    fn.__name__ = name
    return public(name)(fn)


def _lazy_binary(name):
    def f(a, b):
        from . import pointwise
        return getattr(pointwise, name)(a, b)
    return f


max = _extreme("max", _max_all, _max_dim, _lazy_binary("maximum"))
min = _extreme("min", _min_all, _min_dim, _lazy_binary("minimum"))

_amax = op("amax", "AmaxBackward0", dtypes="same")(
    lambda a, dim, keepdim: jnp.max(a, axis=dim, keepdims=keepdim))
_amin = op("amin", "AminBackward0", dtypes="same")(
    lambda a, dim, keepdim: jnp.min(a, axis=dim, keepdims=keepdim))


@public()
def amax(input, dim=(), keepdim=False, *, out=None):
    return run(_amax, (input,), (("dim", _dims(dim, input.ndim) or None),
                                 ("keepdim", bool(keepdim))))


@public()
def amin(input, dim=(), keepdim=False, *, out=None):
    return run(_amin, (input,), (("dim", _dims(dim, input.ndim) or None),
                                 ("keepdim", bool(keepdim))))


@public()
def aminmax(input, *, dim=None, keepdim=False):
    return return_type("aminmax", ("min", "max"))(amin(input, () if dim is None else dim,
                                                       keepdim),
                                                  amax(input, () if dim is None else dim,
                                                       keepdim))


_argmax = op("argmax", None, dtypes="long")(
    lambda a, dim, keepdim: jnp.argmax(a, axis=dim, keepdims=keepdim))
_argmin = op("argmin", None, dtypes="long")(
    lambda a, dim, keepdim: jnp.argmin(a, axis=dim, keepdims=keepdim))


@public()
def argmax(input, dim=None, keepdim=False):
    d = None if dim is None else _wrap_dim(dim, input.ndim)
    return run(_argmax, (input,), (("dim", d), ("keepdim", bool(keepdim) and d is not None)))


@public()
def argmin(input, dim=None, keepdim=False):
    d = None if dim is None else _wrap_dim(dim, input.ndim)
    return run(_argmin, (input,), (("dim", d), ("keepdim", bool(keepdim) and d is not None)))


# ---- norms and moments -------------------------------------------------------------------
def _vector_norm(a, ord, dim, keepdim):
    x = jnp.abs(a)
    if ord == float("inf"):
        return jnp.max(x, axis=dim, keepdims=keepdim)
    if ord == float("-inf"):
        return jnp.min(x, axis=dim, keepdims=keepdim)
    if ord == 0:
        return jnp.sum((x != 0).astype(a.dtype), axis=dim, keepdims=keepdim)
    if ord == 2:
        return jnp.sqrt(jnp.sum(x * x, axis=dim, keepdims=keepdim))
    if ord == 1:
        return jnp.sum(x, axis=dim, keepdims=keepdim)
    return jnp.sum(x ** ord, axis=dim, keepdims=keepdim) ** (1.0 / ord)


def _norm_rule(op_, operands, statics):
    dt = dict(statics).get("dtype") or operands[0].dtype
    if dt.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_SHORT[dt.name]}")
    return dt, dt.to_real()


_vnorm = op("linalg_vector_norm", "LinalgVectorNormBackward0", dtypes=_norm_rule)(
    lambda a, ord, dim, keepdim, dtype: _vector_norm(a, ord, dim, keepdim))


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    return run(_vnorm, (x,), (("ord", float(ord)), ("dim", _dims(dim, x.ndim)),
                              ("keepdim", bool(keepdim)),
                              ("dtype", None if dtype is None else D.to_dtype(dtype))))


@public()
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        from .. import linalg
        return linalg.matrix_norm(input, p, dim or (-2, -1), keepdim, dtype=dtype)
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


def _var_body(a, dim, correction, keepdim):
    n = a.size if dim is None else math.prod(a.shape[d] for d in dim)
    m = jnp.mean(a, axis=dim, keepdims=True)
    d = a - m
    return jnp.sum(d * jnp.conj(d), axis=dim, keepdims=keepdim).real / jnp.maximum(
        n - correction, 0)


_var = op("var", "VarBackward0", dtypes=_mean_rule)(_var_body)
_std = op("std", "StdBackward0", dtypes=_mean_rule)(
    lambda a, dim, correction, keepdim: jnp.sqrt(_var_body(a, dim, correction, keepdim)))


def _moment_args(input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # std(x, True) is the old unbiased= positional
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return (("dim", _dims(dim, input.ndim)), ("correction", correction),
            ("keepdim", bool(keepdim)))


@public()
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return run(_var, (input,), _moment_args(input, dim, unbiased, keepdim, correction))


@public()
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return run(_std, (input,), _moment_args(input, dim, unbiased, keepdim, correction))


@public(method=False)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


@public(method=False)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


_logsumexp = op("logsumexp", "LogsumexpBackward0", dtypes="float")(
    lambda a, dim, keepdim: _lse(a, dim, keepdim))


def _lse(a, dim, keepdim):
    import jax.scipy.special as sp
    return sp.logsumexp(a, axis=dim, keepdims=keepdim)


@public()
def logsumexp(input, dim, keepdim=False, *, out=None):
    return run(_logsumexp, (input,), (("dim", _dims(dim, input.ndim)),
                                      ("keepdim", bool(keepdim))))


_all = op("all", None, dtypes="bool")(lambda a, dim, keepdim: jnp.all(a, axis=dim,
                                                                      keepdims=keepdim))
_any = op("any", None, dtypes="bool")(lambda a, dim, keepdim: jnp.any(a, axis=dim,
                                                                      keepdims=keepdim))


@public()
def all(input, dim=None, keepdim=False, *, out=None):
    return run(_all, (input,), (("dim", _dims(dim, input.ndim)), ("keepdim", bool(keepdim))))


@public()
def any(input, dim=None, keepdim=False, *, out=None):
    return run(_any, (input,), (("dim", _dims(dim, input.ndim)), ("keepdim", bool(keepdim))))


_count_nonzero = op("count_nonzero", None, dtypes="long")(
    lambda a, dim: jnp.sum(a != 0, axis=dim))


@public()
def count_nonzero(input, dim=None):
    return run(_count_nonzero, (input,), (("dim", _dims(dim, input.ndim)),))


def _cum_rule(op_, operands, statics):
    return _sum_rule(op_, operands, statics)


_cumsum = op("cumsum", "CumsumBackward0", dtypes=_cum_rule)(
    lambda a, dim, dtype: jnp.cumsum(a, axis=dim))
_cumprod = op("cumprod", "CumprodBackward0", dtypes=_cum_rule)(
    lambda a, dim, dtype: jnp.cumprod(a, axis=dim))


@public(inplace=True)
def cumsum(input, dim, *, dtype=None, out=None):
    return run(_cumsum, (input,), (("dim", _wrap_dim(dim, input.ndim)),
                                   ("dtype", None if dtype is None else D.to_dtype(dtype))))


@public(inplace=True)
def cumprod(input, dim, *, dtype=None, out=None):
    return run(_cumprod, (input,), (("dim", _wrap_dim(dim, input.ndim)),
                                    ("dtype", None if dtype is None else D.to_dtype(dtype))))
