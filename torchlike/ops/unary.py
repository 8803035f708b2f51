"""Unary pointwise math: exp, log, trig, special functions, rounding, sign, abs, relu,
logit, nan_to_num (function, method and in-place forms)."""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from ._bind import METHODS, public
from ._registry import inplace, op, run
from .compare import no_derivative, not_impl, outable


def _inexact(a) -> bool:
    return jnp.issubdtype(a.dtype, jnp.inexact)


# ---- the table --------------------------------------------------------------------------
_COMPLEX_MSG = {"floor": "floor is not supported for complex inputs",
                "ceil": "ceil is not supported for complex inputs",
                "trunc": "trunc is not supported for complex inputs",
                "sign": "Unlike NumPy, torch.sign is not intended to support complex numbers. "
                        "Please use torch.sgn instead."}


def _unary(name, body, grad_fn, dtypes="float", reject="", kernel=None, aliases=(),
           saves=True, no_inplace_grad=False):
    """One unary op; `reject`: dtype kinds torch has no `kernel` for (NotImplementedError);
    `saves`: what torch keeps for backward (its input, "out" its result, False nothing);
    `no_inplace_grad`: torch's in-place form records ...Backward1, whose backward raises."""
    o = op(name, grad_fn, dtypes=dtypes, saves=saves, elementwise=True)(body)
    kname = kernel or f"{name}_vml_cpu"

    def fn(input, *, out=None):
        if input.dtype.kind in reject:
            if input.dtype.kind == "c" and name in _COMPLEX_MSG:
                raise NotImplementedError(_COMPLEX_MSG[name])
            raise not_impl(kname, input.dtype)
        return run(o, (input,))
    fn.__name__ = name
    fn = outable(fn)
    for n in (name, *aliases):
        public(n, inplace=True)(fn)
    if no_inplace_grad:
        io = op(name + "_", grad_fn[:-1] + "1", dtypes=dtypes, saves=False)(no_derivative(
            body, name, f"the derivative for 'inplace version of {name}' is not implemented.",
            NotImplementedError))

        def fn_(input):
            if input.dtype.kind in reject:
                raise not_impl(kname, input.dtype)
            return inplace(input, run(io, (input,)))
        for n in (name, *aliases):
            METHODS[n + "_"] = fn_
    return fn


def in_double(fn):
    """fn evaluated in float64 for narrower floats: XLA's float32 lgamma/digamma/erfc lose
    many digits (lgamma(1) = 4.8e-07) where torch's are within an ulp or two."""
    def f(a, *rest, **kw):
        if a.dtype in (jnp.float32, jnp.float16, jnp.bfloat16):
            return fn(a.astype(jnp.float64), *rest, **kw).astype(a.dtype)
        return fn(a, *rest, **kw)
    return f


def _digamma(a):
    # torch: digamma(+-0) = -+inf (jax gives nan there)
    r = jax.scipy.special.digamma(a)
    return jnp.where(a == 0, jnp.copysign(jnp.full_like(a, jnp.inf), -a), r)


def _rounding(fn):
    return lambda a: fn(a) if _inexact(a) else a


def _sign(a):
    # torch: sign(nan) = 0 and sign(-0.) = 0.
    if a.dtype == jnp.bool_:
        return a
    if jnp.issubdtype(a.dtype, jnp.complexfloating):  # z / |z|, written out: jnp.sign of a
        m = jnp.abs(a)                                 # complex has no derivative in jax
        return jnp.where(m == 0, 0, a / jnp.where(m == 0, 1, m))
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)


exp = _unary("exp", jnp.exp, "ExpBackward0", saves="out")
exp2 = _unary("exp2", jnp.exp2, "Exp2Backward0", saves="out")
expm1 = _unary("expm1", jnp.expm1, "Expm1Backward0", saves="out")
log = _unary("log", jnp.log, "LogBackward0")
log2 = _unary("log2", jnp.log2, "Log2Backward0")
log10 = _unary("log10", jnp.log10, "Log10Backward0")
log1p = _unary("log1p", jnp.log1p, "Log1PBackward0")
sqrt = _unary("sqrt", jnp.sqrt, "SqrtBackward0", saves="out")
rsqrt = _unary("rsqrt", lax.rsqrt, "RsqrtBackward0", saves="out")
sin = _unary("sin", jnp.sin, "SinBackward0")
cos = _unary("cos", jnp.cos, "CosBackward0")
tan = _unary("tan", jnp.tan, "TanBackward0", saves="out")
asin = _unary("asin", jnp.arcsin, "AsinBackward0", aliases=("arcsin",))
acos = _unary("acos", jnp.arccos, "AcosBackward0", aliases=("arccos",))
atan = _unary("atan", jnp.arctan, "AtanBackward0", aliases=("arctan",))
sinh = _unary("sinh", jnp.sinh, "SinhBackward0")
cosh = _unary("cosh", jnp.cosh, "CoshBackward0")
tanh = _unary("tanh", jnp.tanh, "TanhBackward0", saves="out")
asinh = _unary("asinh", jnp.arcsinh, "AsinhBackward0", aliases=("arcsinh",),
               no_inplace_grad=True)
@jax.custom_jvp
def _acosh_complex(z):
    return jnp.arccosh(z)


@_acosh_complex.defjvp
def _acosh_complex_jvp(primals, tangents):
    # torch's derivative 1 / (sqrt(z + 1) sqrt(z - 1)); JAX's 1 / sqrt(z^2 - 1) takes the
    # other sign on part of the plane
    (z,), (t,) = primals, tangents
    return jnp.arccosh(z), t * (lax.rsqrt(z + 1) * lax.rsqrt(z - 1))


def _acosh(a):
    return _acosh_complex(a) if jnp.iscomplexobj(a) else jnp.arccosh(a)


acosh = _unary("acosh", _acosh, "AcoshBackward0", aliases=("arccosh",),
               no_inplace_grad=True)
atanh = _unary("atanh", jnp.arctanh, "AtanhBackward0", aliases=("arctanh",),
               no_inplace_grad=True)
sigmoid = _unary("sigmoid", jax.nn.sigmoid, "SigmoidBackward0", saves="out")
erf = _unary("erf", jax.scipy.special.erf, "ErfBackward0", reject="c")
erfc = _unary("erfc", in_double(jax.scipy.special.erfc), "ErfcBackward0", reject="c")
erfinv = _unary("erfinv", jax.scipy.special.erfinv, "ErfinvBackward0", reject="c")
lgamma = _unary("lgamma", in_double(jax.scipy.special.gammaln), "LgammaBackward0",
                reject="c")
digamma = _unary("digamma", in_double(_digamma), "DigammaBackward0", reject="c",
                 kernel="digamma")
def _abs(a):
    # a * sign(a) has torch's gradient at 0 (zero); jnp.abs's is one (nan for complex 0)
    return at_nonzero(jnp.abs, a) if jnp.iscomplexobj(a) else a * jnp.sign(a)


def at_nonzero(f, a):
    """f(a), differentiated only where a != 0 (torch's gradient at 0 is zero where jax's
    formula divides by |a|)."""
    zero = a == 0
    return jnp.where(zero, lax.stop_gradient(f(a)), f(jnp.where(zero, 1, a)))


abs = _unary("abs", _abs, "AbsBackward0", dtypes="real", reject="b", kernel="abs_cpu",
             aliases=("absolute",))
sign = _unary("sign", _sign, "SignBackward0", dtypes="same", reject="c", saves=False)
sgn = _unary("sgn", _sign, "SgnBackward0", dtypes="same")
floor = _unary("floor", _rounding(jnp.floor), "FloorBackward0", dtypes="same", reject="bc",
               saves=False)
ceil = _unary("ceil", _rounding(jnp.ceil), "CeilBackward0", dtypes="same", reject="bc",
              saves=False)
trunc = _unary("trunc", _rounding(jnp.trunc), "TruncBackward0", dtypes="same", reject="bc",
               saves=False,
               aliases=("fix",))
frac = _unary("frac", lambda a: a - jnp.trunc(a), "FracBackward0", dtypes="same",
              reject="biuc", kernel="frac_cpu", saves=False)


def _relu(a):
    # torch keeps -0.0 and nan, and its gradient is 1 only where a > 0 (maximum's splits
    # at 0): the non-positive branch carries no gradient.
    rest = jax.lax.stop_gradient(jnp.where(a < 0, jnp.zeros((), a.dtype), a))
    return jnp.where(a > 0, a, rest)


_relu_op = op("relu", "ReluBackward0", dtypes="same", saves="out", elementwise=True)(
    _relu)


@public(inplace=True)
def relu(input):
    if input.dtype is D.bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    if input.dtype.kind == "c":
        raise NotImplementedError("clamp is not supported for complex types")
    return run(_relu_op, (input,))


def _round_dec(a, decimals):
    p = jnp.asarray(10.0 ** builtins.abs(decimals), a.dtype)
    if decimals < 0:
        return jnp.round(a / p) * p
    return jnp.round(a * p) / p


_round = op("round", "RoundBackward0", dtypes="same", saves=False)(_rounding(jnp.round))
_round_decimals = op("round_decimals", "RoundBackward1", dtypes="same", saves=False)(
    _round_dec)


@public(inplace=True)
@outable
def round(input, *, decimals: int = 0, out=None):
    if decimals == 0:
        if input.dtype.kind in "bc":
            raise not_impl("round_vml_cpu", input.dtype)
        return run(_round, (input,))
    if input.dtype.kind not in "f":
        raise not_impl("round_cpu", input.dtype)
    return run(_round_decimals, (input,), (("decimals", int(decimals)),))


_logit = op("logit", "LogitBackward0", dtypes="float")(lambda a: jnp.log(a / (1 - a)))
_logit_eps = op("logit_eps", "LogitBackward0", dtypes="float", promote=(0,))(
    lambda a, eps: (lambda z: jnp.log(z / (1 - z)))(jnp.clip(a, eps, 1 - eps)))


@public(inplace=True)
@outable
def logit(input, eps=None, *, out=None):
    if input.dtype.kind == "c":
        raise not_impl("logit_cpu", input.dtype)
    return run(_logit, (input,)) if eps is None else run(_logit_eps, (input, float(eps)))


_nan_to_num = op("nan_to_num", "NanToNumBackward0", dtypes="same")(
    lambda a, nan, posinf, neginf: jnp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf))


@public(inplace=True)
@outable
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    if input.dtype.kind not in "fc":
        return input.clone()
    return run(_nan_to_num, (input,), (("nan", nan), ("posinf", posinf), ("neginf", neginf)))


