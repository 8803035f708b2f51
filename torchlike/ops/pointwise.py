"""Pointwise ops: arithmetic, unary math, comparisons, logical and bitwise ops."""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from .._tensor import Tensor, _SHORT
from ._bind import public
from ._registry import op, run

_i = isinstance


def _t(x) -> bool:
    return _i(x, Tensor)


def _check_operand(name, x):
    if not (_t(x) or _i(x, (bool, int, float, complex))):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(x).__name__}")


# ---- arithmetic --------------------------------------------------------------------------
_add = op("add", "AddBackward0", edges=2, saves=False)(lambda a, b: a + b)
_add_alpha = op("add_alpha", "AddBackward0", edges=2, saves=False)(lambda a, b, s: a + s * b)
_sub = op("sub", "SubBackward0", edges=2, saves=False)(lambda a, b: a - b)
_sub_alpha = op("sub_alpha", "SubBackward0", edges=2, saves=False)(lambda a, b, s: a - s * b)
_rsub = op("rsub", "RsubBackward1", saves=False)(lambda a, b: b - a)
_mul = op("mul", "MulBackward0", edges=2)(lambda a, b: a * b)
_div = op("div", "DivBackward0", dtypes="float", edges=2)(lambda a, b: a / b)
_div_trunc = op("div_trunc", "DivBackward2", edges=2)(
    lambda a, b: jnp.trunc(a / b) if jnp.issubdtype(a.dtype, jnp.inexact) else _idiv(a, b, True))
_div_floor = op("div_floor", "DivBackward2", edges=2)(
    lambda a, b: jnp.floor(a / b) if jnp.issubdtype(a.dtype, jnp.inexact) else _idiv(a, b, False))
_reciprocal = op("reciprocal", "ReciprocalBackward0", dtypes="float")(lambda a: 1 / a)


def _idiv(a, b, trunc):
    q = lax.div(a, b) if trunc else jnp.floor_divide(a, b)
    return q


def _no_bool_sub(name, a, b):
    if (_t(a) and a.dtype is D.bool) and (not _t(b) or b.dtype is D.bool):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")


@public(inplace=True)
def add(input, other, *, alpha=1, out=None):
    _check_operand("add", other)
    if alpha == 1:
        return run(_add, (input, other))
    return run(_add_alpha, (input, other, alpha))


@public("sub", "subtract", inplace=True)
def sub(input, other, *, alpha=1, out=None):
    _check_operand("sub", other)
    _no_bool_sub("sub", input, other)
    if alpha == 1:
        return run(_sub, (input, other))
    return run(_sub_alpha, (input, other, alpha))


@public(inplace=True)
def rsub(input, other, *, alpha=1):
    return run(_rsub, (input, other)) if alpha == 1 else sub(other, input, alpha=alpha)


@public("mul", "multiply", inplace=True)
def mul(input, other, *, out=None):
    _check_operand("mul", other)
    return run(_mul, (input, other))


@public("div", "divide", inplace=True)
def div(input, other, *, rounding_mode=None, out=None):
    _check_operand("div", other)
    if rounding_mode is None:
        return run(_div, (input, other))
    if rounding_mode == "trunc":
        return run(_div_trunc, (input, other))
    if rounding_mode == "floor":
        return run(_div_floor, (input, other))
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                     f"found '{rounding_mode}'")


@public(inplace=True)
def true_divide(input, other, *, out=None):
    return div(input, other)


@public(inplace=True)
def floor_divide(input, other, *, out=None):
    return run(_div_floor, (input, other))


@public(inplace=True)
def reciprocal(input, *, out=None):
    return run(_reciprocal, (input,))


def _rtruediv(self, other):
    # torch computes `2 / x` as reciprocal(x) * 2: MulBackward0 over ReciprocalBackward0.
    return mul(reciprocal(self), other)


_remainder = op("remainder", None, edges=2)(
    lambda a, b: jnp.remainder(a, b))
_fmod = op("fmod", "FmodBackward0")(lambda a, b: jnp.fmod(a, b))


@public(inplace=True)
def remainder(input, other, *, out=None):
    return run(_remainder, (input, other))


@public(inplace=True)
def fmod(input, other, *, out=None):
    return run(_fmod, (input, other))


# pow: torch special-cases small integral exponents (x*x for 2); XLA's pow differs in the
# last bit there, so integral exponents up to 4 in magnitude are static (lax.integer_pow).
def _pow_static_rule(op_, operands, statics):
    r = operands[0].dtype
    if r.kind in "biu" and _i(statics[0][1], float):
        r = D.get_default_dtype()
    return r, r


_pow_static = op("pow_int", "PowBackward0", dtypes=_pow_static_rule)(
    lambda a, n: lax.integer_pow(a, int(n)))
_pow_scalar = op("pow_scalar", "PowBackward0")(jnp.power)
_pow_tensor = op("pow_tensor", "PowBackward1")(jnp.power)
_rpow = op("rpow", "PowBackward2")(lambda a, b: jnp.power(b, a))
_pow_half = op("pow_half", "PowBackward0", dtypes="float")(jnp.sqrt)


@public(inplace=True)
def pow(input, exponent, *, out=None):
    if not _t(input):
        return run(_rpow, (exponent, input))
    if _t(exponent):
        return run(_pow_tensor, (input, exponent))
    if input.dtype.kind in "biu" and _i(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if _i(exponent, (int, float)) and float(exponent).is_integer() and 2 <= builtins.abs(exponent) <= 4:
        return run(_pow_static, (input,), (("n", exponent),))
    if exponent == 0.5 and input.dtype.kind == "f":
        return run(_pow_half, (input,))
    return run(_pow_scalar, (input, exponent))


@public(inplace=True)
def neg(input, *, out=None):
    if input.dtype is D.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return run(_neg, (input,))


_neg = op("neg", "NegBackward0", dtypes="same", saves=False)(jnp.negative)
public("negative", inplace=True)(neg)


# ---- unary math (one table) --------------------------------------------------------------
def _unary(name, body, grad_fn, dtypes="float", aliases=()):
    o = op(name, grad_fn, dtypes=dtypes)(body)

    def fn(input, *, out=None):
        return run(o, (input,))
    fn.__name__ = name
    public(name, *aliases, inplace=True)(fn)
    for a in aliases:
        public(a, inplace=True)(fn)
    return fn


def _relu(a):
    return jnp.maximum(a, jnp.zeros((), a.dtype))


exp = _unary("exp", jnp.exp, "ExpBackward0")
exp2 = _unary("exp2", jnp.exp2, "Exp2Backward0")
expm1 = _unary("expm1", jnp.expm1, "Expm1Backward0")
log = _unary("log", jnp.log, "LogBackward0")
log2 = _unary("log2", jnp.log2, "Log2Backward0")
log10 = _unary("log10", jnp.log10, "Log10Backward0")
log1p = _unary("log1p", jnp.log1p, "Log1PBackward0")
sqrt = _unary("sqrt", jnp.sqrt, "SqrtBackward0")
rsqrt = _unary("rsqrt", lax.rsqrt, "RsqrtBackward0")
sin = _unary("sin", jnp.sin, "SinBackward0")
cos = _unary("cos", jnp.cos, "CosBackward0")
tan = _unary("tan", jnp.tan, "TanBackward0")
asin = _unary("asin", jnp.arcsin, "AsinBackward0", aliases=("arcsin",))
acos = _unary("acos", jnp.arccos, "AcosBackward0", aliases=("arccos",))
atan = _unary("atan", jnp.arctan, "AtanBackward0", aliases=("arctan",))
sinh = _unary("sinh", jnp.sinh, "SinhBackward0")
cosh = _unary("cosh", jnp.cosh, "CoshBackward0")
tanh = _unary("tanh", jnp.tanh, "TanhBackward0")
asinh = _unary("asinh", jnp.arcsinh, "AsinhBackward0", aliases=("arcsinh",))
acosh = _unary("acosh", jnp.arccosh, "AcoshBackward0", aliases=("arccosh",))
atanh = _unary("atanh", jnp.arctanh, "AtanhBackward0", aliases=("arctanh",))
sigmoid = _unary("sigmoid", jax.nn.sigmoid, "SigmoidBackward0")
erf = _unary("erf", jax.scipy.special.erf, "ErfBackward0")
erfc = _unary("erfc", jax.scipy.special.erfc, "ErfcBackward0")
erfinv = _unary("erfinv", jax.scipy.special.erfinv, "ErfinvBackward0")
lgamma = _unary("lgamma", jax.scipy.special.gammaln, "LgammaBackward0")
digamma = _unary("digamma", jax.scipy.special.digamma, "DigammaBackward0")
square = None  # defined below (torch computes it as pow(x, 2))
relu = _unary("relu", _relu, "ReluBackward0", dtypes="same")
abs = _unary("abs", jnp.abs, "AbsBackward0", dtypes="same", aliases=("absolute",))
sign = _unary("sign", jnp.sign, "SignBackward0", dtypes="same")
sgn = _unary("sgn", jnp.sign, "SgnBackward0", dtypes="same")
floor = _unary("floor", lambda a: jnp.floor(a) if jnp.issubdtype(a.dtype, jnp.inexact) else a,
               "FloorBackward0", dtypes="same")
ceil = _unary("ceil", lambda a: jnp.ceil(a) if jnp.issubdtype(a.dtype, jnp.inexact) else a,
              "CeilBackward0", dtypes="same")
trunc = _unary("trunc", lambda a: jnp.trunc(a) if jnp.issubdtype(a.dtype, jnp.inexact) else a,
               "TruncBackward0", dtypes="same", aliases=("fix",))
frac = _unary("frac", lambda a: a - jnp.trunc(a), "FracBackward0", dtypes="same")


@public(inplace=True)
def square(input, *, out=None):
    return pow(input, 2)


_round = op("round", "RoundBackward0", dtypes="same")(jnp.round)
_round_dec = op("round_decimals", "RoundBackward1", dtypes="same")(
    lambda a, decimals: jnp.round(a * 10.0 ** decimals) / 10.0 ** decimals)


@public(inplace=True)
def round(input, *, decimals: int = 0, out=None):
    if decimals == 0:
        return run(_round, (input,))
    return run(_round_dec, (input,), (("decimals", decimals),))


_logit = op("logit", "LogitBackward0", dtypes="float")(lambda a: jnp.log(a / (1 - a)))
_logit_eps = op("logit_eps", "LogitBackward0", dtypes="float")(
    lambda a, eps: (lambda z: jnp.log(z / (1 - z)))(jnp.clip(a, eps, 1 - eps)))


@public(inplace=True)
def logit(input, eps=None, *, out=None):
    return run(_logit, (input,)) if eps is None else run(_logit_eps, (input, eps))


# ---- clamp, minimum / maximum, lerp, where -----------------------------------------------
_clamp = op("clamp", "ClampBackward1", promote=(0, 1, 2))(
    lambda a, lo, hi: jnp.minimum(jnp.maximum(a, lo) if lo is not None else a, hi)
    if hi is not None else jnp.maximum(a, lo))
_clamp_t = op("clamp_tensor", "ClampBackward0", edges=3)(
    lambda a, lo, hi: jnp.minimum(jnp.maximum(a, lo) if lo is not None else a, hi)
    if hi is not None else jnp.maximum(a, lo))


@public("clamp", "clip", inplace=True)
def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if _t(min) or _t(max):
        return run(_clamp_t, (input, min, max))
    return run(_clamp, (input, min, max))


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


public("clamp_min", inplace=True)(clamp_min)
public("clamp_max", inplace=True)(clamp_max)

_maximum = op("maximum", "MaximumBackward0")(jnp.maximum)
_minimum = op("minimum", "MinimumBackward0")(jnp.minimum)
_fmax = op("fmax", "FmaxBackward0")(jnp.fmax)
_fmin = op("fmin", "FminBackward0")(jnp.fmin)


@public()
def maximum(input, other, *, out=None):
    return run(_maximum, (input, other))


@public()
def minimum(input, other, *, out=None):
    return run(_minimum, (input, other))


@public()
def fmax(input, other, *, out=None):
    return run(_fmax, (input, other))


@public()
def fmin(input, other, *, out=None):
    return run(_fmin, (input, other))


_where = op("where", "WhereBackward0", promote=(1, 2), edges=(1, 2))(
    lambda c, a, b: jnp.where(c, a, b))


@public()
def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if condition.dtype is not D.bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_SHORT[condition.dtype.name]}")
    return run(_where, (condition, input, other))


_lerp = op("lerp", "LerpBackward0")(lambda a, b, w: a + w * (b - a))
_lerp_t = op("lerp_tensor", "LerpBackward1")(lambda a, b, w: a + w * (b - a))


@public(inplace=True)
def lerp(input, end, weight, *, out=None):
    return run(_lerp_t if _t(weight) else _lerp, (input, end, weight))


_addcmul = op("addcmul", "AddcmulBackward0", promote=(0, 1, 2, 3))(
    lambda a, t1, t2, v: a + v * t1 * t2)
_addcdiv = op("addcdiv", "AddcdivBackward0", promote=(0, 1, 2, 3))(
    lambda a, t1, t2, v: a + v * t1 / t2)


@public(inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    return run(_addcmul, (input, tensor1, tensor2, value))


@public(inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    return run(_addcdiv, (input, tensor1, tensor2, value))


_atan2 = op("atan2", "Atan2Backward0", dtypes="float")(jnp.arctan2)
_hypot = op("hypot", "HypotBackward0", dtypes="float")(jnp.hypot)


@public("atan2", "arctan2", inplace=True)
def atan2(input, other, *, out=None):
    return run(_atan2, (input, other))


@public(inplace=True)
def hypot(input, other, *, out=None):
    return run(_hypot, (input, other))


_nan_to_num = op("nan_to_num", "NanToNumBackward0", dtypes="same")(
    lambda a, nan, posinf, neginf: jnp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf))


@public(inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    if input.dtype.kind not in "fc":
        return input.clone()
    return run(_nan_to_num, (input,), (("nan", nan), ("posinf", posinf), ("neginf", neginf)))


# ---- comparisons, predicates, logical, bitwise -------------------------------------------
def _binary_bool(name, body, aliases=(), rule="compare", methods_inplace=True):
    o = op(name, None, dtypes=rule)(body)

    def fn(input, other, *, out=None):
        if not (_t(other) or _i(other, (bool, int, float, complex))):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                            f"{type(other).__name__}")
        return run(o, (input, other))
    fn.__name__ = name
    for n in (name, *aliases):
        public(n, inplace=methods_inplace)(fn)
    return fn


eq = _binary_bool("eq", jnp.equal)
ne = _binary_bool("ne", jnp.not_equal, ("not_equal",))
lt = _binary_bool("lt", jnp.less, ("less",))
le = _binary_bool("le", jnp.less_equal, ("less_equal",))
gt = _binary_bool("gt", jnp.greater, ("greater",))
ge = _binary_bool("ge", jnp.greater_equal, ("greater_equal",))
logical_and = _binary_bool("logical_and", jnp.logical_and, rule="bool")
logical_or = _binary_bool("logical_or", jnp.logical_or, rule="bool")
logical_xor = _binary_bool("logical_xor", jnp.logical_xor, rule="bool")


def _unary_bool(name, body, inplace=False):
    o = op(name, None, dtypes="bool")(body)

    def fn(input):
        return run(o, (input,))
    fn.__name__ = name
    public(name, inplace=inplace)(fn)
    return fn


logical_not = _unary_bool("logical_not", jnp.logical_not, inplace=True)
isnan = _unary_bool("isnan", jnp.isnan)
isinf = _unary_bool("isinf", jnp.isinf)
isfinite = _unary_bool("isfinite", jnp.isfinite)
isposinf = _unary_bool("isposinf", jnp.isposinf)
isneginf = _unary_bool("isneginf", jnp.isneginf)
signbit = _unary_bool("signbit", jnp.signbit)


def _bitwise(name, body):
    o = op(name, None)(body)

    def fn(input, other, *, out=None):
        if (_t(input) and input.dtype.kind in "fc") or (_t(other) and other.dtype.kind in "fc") \
                or _i(other, float) or _i(input, float):
            raise RuntimeError(f'"{name}_cpu" not implemented for '
                               f"'{_SHORT[(input if _t(input) else other).dtype.name]}'")
        return run(o, (input, other))
    fn.__name__ = name
    public(name, inplace=True)(fn)
    return fn


bitwise_and = _bitwise("bitwise_and", jnp.bitwise_and)
bitwise_or = _bitwise("bitwise_or", jnp.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", jnp.bitwise_xor)
bitwise_left_shift = _bitwise("bitwise_left_shift", jnp.left_shift)
bitwise_right_shift = _bitwise("bitwise_right_shift", jnp.right_shift)
_bitwise_not = op("bitwise_not", None, dtypes="same")(
    lambda a: jnp.logical_not(a) if a.dtype == jnp.bool_ else jnp.invert(a))


@public(inplace=True)
def bitwise_not(input, *, out=None):
    if input.dtype.kind in "fc":
        raise RuntimeError(f"\"bitwise_not_cpu\" not implemented for '{_SHORT[input.dtype.name]}'")
    return run(_bitwise_not, (input,))


_isclose = op("isclose", None, dtypes="bool")(
    lambda a, b, rtol, atol, equal_nan: jnp.isclose(a, b, rtol=rtol, atol=atol,
                                                    equal_nan=equal_nan))


@public()
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return run(_isclose, (input, other), (("rtol", rtol), ("atol", atol),
                                          ("equal_nan", equal_nan)))


@public()
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


@public()
def equal(input, other) -> bool:
    return input.shape == other.shape and bool(eq(input, other).all())
