"""Pointwise arithmetic and math: add ... pow, the unary math table, lerp, addcmul, atan2.

Comparisons, logical and bitwise ops, clamp, maximum/minimum and where live in compare.py and
are re-exported here (the operator table in ops/__init__.py reads them from this module).
"""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from .._tensor import Tensor, _SHORT
from ._bind import public
from ._registry import inplace as _inplace
from ._registry import op, promoted, run
from .compare import _NUM, _i, _t, check_other, no_derivative, not_impl

def _inexact(a) -> bool:
    return jnp.issubdtype(a.dtype, jnp.inexact)


# ---- add / sub / mul ---------------------------------------------------------------------
_add = op("add", "AddBackward0", edges=2, saves=False)(lambda a, b: a + b)
_add_alpha = op("add_alpha", "AddBackward0", edges=2, saves=False, promote=(0, 1))(
    lambda a, b, s: a + s * b)
_sub = op("sub", "SubBackward0", edges=2, saves=False)(lambda a, b: a - b)
_sub_alpha = op("sub_alpha", "SubBackward0", edges=2, saves=False, promote=(0, 1))(
    lambda a, b, s: a - s * b)
_rsub = op("rsub", lambda s, p: "RsubBackward0" if p[1] == "t" else "RsubBackward1",
           saves=False)(lambda a, b: b - a)
_rsub_alpha = op("rsub_alpha", lambda s, p: "RsubBackward0" if p[1] == "t" else
                 "RsubBackward1", saves=False, promote=(0, 1))(lambda a, b, s: b - s * a)
_mul = op("mul", "MulBackward0", edges=2)(lambda a, b: a * b)


def _check_alpha(input, other, alpha):
    r = promoted((input, other))
    if _i(alpha, bool) and r is not D.bool:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if _i(alpha, float) and r.kind in "biu":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")


def _no_bool_sub(a, b):
    da = a.dtype if _t(a) else D.scalar_dtype(a)
    db = b.dtype if _t(b) else D.scalar_dtype(b)
    if da is D.bool and db is D.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if da is D.bool or db is D.bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


@public(inplace=True)
def add(input, other, *, alpha=1, out=None):
    check_other("add", other)
    if type(alpha) is int and alpha == 1:
        return run(_add, (input, other))
    _check_alpha(input, other, alpha)
    return run(_add_alpha, (input, other, alpha))


@public(inplace=True)
def sub(input, other, *, alpha=1, out=None):
    check_other("sub", other)
    _no_bool_sub(input, other)
    if type(alpha) is int and alpha == 1:
        return run(_sub, (input, other))
    _check_alpha(input, other, alpha)
    return run(_sub_alpha, (input, other, alpha))


public("subtract", inplace=True)(sub)


@public(method=False)
def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    check_other("rsub", other)
    _no_bool_sub(input, other)
    if type(alpha) is int and alpha == 1:
        return run(_rsub, (input, other))
    _check_alpha(input, other, alpha)
    return run(_rsub_alpha, (input, other, alpha))


@public(inplace=True)
def mul(input, other, *, out=None):
    check_other("mul", other)
    return run(_mul, (input, other))


public("multiply", inplace=True)(mul)


# ---- division ----------------------------------------------------------------------------
def _floor_div_float(a, b):
    # torch's div_floor for floating types (python-style floor division, IEEE on b == 0)
    mod = jnp.fmod(a, b)
    div = (a - mod) / b
    div = jnp.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
    fl = jnp.floor(div)
    fl = jnp.where(div - fl > 0.5, fl + 1, fl)
    fl = jnp.where(div == 0, jnp.copysign(jnp.zeros_like(div), a / b), fl)
    return jnp.where(b == 0, a / b, fl)


def _floor_div(a, b):
    return _floor_div_float(a, b) if _inexact(a) else jnp.floor_divide(a, b)


def _trunc_div(a, b):
    return jnp.trunc(a / b) if _inexact(a) else lax.div(*jnp.broadcast_arrays(a, b))


_div = op("div", "DivBackward0", dtypes="float", edges=2)(lambda a, b: a / b)
# DivBackward2's gradient is zero everywhere: stop_gradient gives exactly that.
_div_trunc = op("div_trunc", "DivBackward2", edges=2)(
    lambda a, b: lax.stop_gradient(_trunc_div(a, b)))
_div_floor = op("div_floor", "DivBackward2", edges=2)(
    lambda a, b: lax.stop_gradient(_floor_div(a, b)))
_floor_divide = op("floor_divide", "NotImplemented", edges=2)(
    no_derivative(_floor_div, "floor_divide"))
_reciprocal = op("reciprocal", "ReciprocalBackward0", dtypes="float")(lambda a: 1 / a)


def int_zero_check(input, other, kernel) -> None:
    """Integer division by zero raises in torch (floating division gives inf/nan)."""
    r = promoted((input, other))
    if r.kind == "b" or r.kind == "c":
        raise not_impl(kernel, r)
    if r.kind not in "iu":
        return
    if _t(other):
        if other.numel() and bool(jnp.any(other._data == 0)):
            raise RuntimeError("ZeroDivisionError")
    elif other == 0:
        raise RuntimeError("ZeroDivisionError")


@public(inplace=True)
def div(input, other, *, rounding_mode=None, out=None):
    check_other("div", other)
    if rounding_mode is None:
        return run(_div, (input, other))
    if rounding_mode == "trunc":
        int_zero_check(input, other, "div_trunc_cpu")
        return run(_div_trunc, (input, other))
    if rounding_mode == "floor":
        int_zero_check(input, other, "div_floor_cpu")
        return run(_div_floor, (input, other))
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


public("divide", inplace=True)(div)


@public(inplace=True)
def true_divide(input, other, *, out=None):
    return div(input, other)


@public(inplace=True)
def floor_divide(input, other, *, out=None):
    check_other("floor_divide", other)
    int_zero_check(input, other, "div_floor_cpu")
    return run(_floor_divide, (input, other))


@public(inplace=True)
def reciprocal(input, *, out=None):
    return run(_reciprocal, (input,))


def _rtruediv(self, other):
    # torch computes `2 / x` as reciprocal(x) * 2: MulBackward0 over ReciprocalBackward0.
    return mul(reciprocal(self), other)


_remainder = op("remainder", lambda s, p: "RemainderBackward1" if p[1] == "t" else
                "RemainderBackward0")(jnp.remainder)
_rremainder = op("rremainder", "NotImplemented")(no_derivative(jnp.remainder, "remainder"))
_fmod = op("fmod", lambda s, p: "FmodBackward1" if p[1] == "t" else "FmodBackward0")(jnp.fmod)


@public(inplace=True)
def remainder(input, other, *, out=None):
    check_other("remainder", other)
    int_zero_check(input, other, "remainder_cpu")
    return run(_remainder if _t(input) else _rremainder, (input, other))


@public(inplace=True)
def fmod(input, other, *, out=None):
    check_other("fmod", other)
    int_zero_check(input, other, "fmod_cpu")
    return run(_fmod, (input, other))


# ---- pow ---------------------------------------------------------------------------------
def _ipow(a, b):
    """Integer powers as torch computes them (negative exponents: 1, +-1 or 0)."""
    a, b = jnp.broadcast_arrays(a, b)
    pos = jnp.power(a, jnp.maximum(b, 0).astype(b.dtype))
    one = jnp.ones_like(a)
    neg = jnp.where(a == 1, one, jnp.where(a == -1, jnp.where((b & 1) == 0, one, -one),
                                           jnp.zeros_like(a)))
    return jnp.where(b < 0, neg, pos)


def _pow_body(a, b):
    if jnp.issubdtype(a.dtype, jnp.integer):
        return _ipow(a, b)
    return jnp.power(a, b)


def _pow_static_body(a, n):
    # torch special-cases these exponents (x*x, sqrt, rsqrt, 1/x); XLA's pow differs in the
    # last bit there, so integral exponents up to 4 in magnitude and +-0.5 are static.
    if n == 0.5:
        return jnp.sqrt(a)
    if n == -0.5:
        return lax.rsqrt(a)
    return lax.integer_pow(a, int(n))


def _pow_static_rule(op_, operands, statics):
    r = promoted((operands[0], dict(statics)["n"]))
    return r, r


def _float_power_rule(op_, operands, statics):
    st = dict(statics)
    r = promoted(tuple(operands) + ((st["n"],) if "n" in st else ()))
    r = D.complex128 if r.kind == "c" else D.float64
    return r, r


_pow_static = op("pow_int", "PowBackward0", dtypes=_pow_static_rule)(_pow_static_body)
_pow_scalar = op("pow_scalar", "PowBackward0")(_pow_body)
_pow_tensor = op("pow_tensor", "PowBackward1")(_pow_body)
_rpow = op("rpow", "PowBackward2")(lambda a, b: _pow_body(b, a))
_fpow_static = op("float_power_int", "PowBackward0", dtypes=_float_power_rule)(
    _pow_static_body)
_fpow_scalar = op("float_power_scalar", "PowBackward0", dtypes=_float_power_rule)(jnp.power)
_fpow_tensor = op("float_power_tensor", "PowBackward1", dtypes=_float_power_rule)(jnp.power)
_rfpow = op("rfloat_power", "PowBackward2", dtypes=_float_power_rule)(
    lambda a, b: jnp.power(b, a))


def _static_exponent(e) -> bool:
    return _i(e, (int, float)) and not _i(e, bool) and (
        e in (0.5, -0.5) or (float(e).is_integer() and 2 <= builtins.abs(e) <= 4))


def _pow(name, input, exponent, ops):
    static, scalar, tensor, reflected = ops
    if not _t(input):
        check_other(name, exponent, True, arg="exponent")
        r = promoted((input, exponent))
        if r is D.bool and name == "pow":
            raise not_impl("pow", r)
        return run(reflected, (exponent, input))
    check_other(name, exponent, arg="exponent")
    r = promoted((input, exponent))
    if r is D.bool and name == "pow" and _t(exponent):
        raise not_impl("pow", r)
    if _t(exponent):
        return run(tensor, (input, exponent))
    if r.kind in "biu" and _i(exponent, int) and exponent < 0 and name == "pow":
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if _static_exponent(exponent) and (r.kind in "fc" or _i(exponent, int)):
        return run(static, (input,), (("n", exponent),))
    return run(scalar, (input, exponent))


_POW = (_pow_static, _pow_scalar, _pow_tensor, _rpow)
_FPOW = (_fpow_static, _fpow_scalar, _fpow_tensor, _rfpow)


@public(inplace=True)
def pow(input, exponent, *, out=None):
    return _pow("pow", input, exponent, _POW)


@public()
def float_power(input, exponent, *, out=None):
    return _pow("float_power", input, exponent, _FPOW)


def _float_power_(self, exponent):
    r = _float_power_rule(None, (self, exponent), ())[0]
    if self.dtype is not r:
        raise RuntimeError(f"the base given to float_power_ has dtype {_SHORT[self.dtype.name]} "
                           f"but the operation's result requires dtype {_SHORT[r.name]}")
    return _inplace(self, float_power(self, exponent))


public("float_power_", function=False)(_float_power_)


@public(inplace=True)
def square(input, *, out=None):
    return pow(input, 2)


# ---- neg, positive -----------------------------------------------------------------------
_neg = op("neg", "NegBackward0", dtypes="same", saves=False)(jnp.negative)


@public(inplace=True)
def neg(input, *, out=None):
    if input.dtype is D.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return run(_neg, (input,))


public("negative", inplace=True)(neg)


@public()
def positive(input):
    if input.dtype is D.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# ---- unary math (one table) --------------------------------------------------------------
_COMPLEX_MSG = {"floor": "floor is not supported for complex inputs",
                "ceil": "ceil is not supported for complex inputs",
                "trunc": "trunc is not supported for complex inputs",
                "sign": "Unlike NumPy, torch.sign is not intended to support complex numbers. "
                        "Please use torch.sgn instead."}


def _unary(name, body, grad_fn, dtypes="float", reject="", kernel=None, aliases=()):
    """One unary op; `reject`: dtype kinds torch has no `kernel` for (NotImplementedError)."""
    o = op(name, grad_fn, dtypes=dtypes)(body)
    kname = kernel or f"{name}_vml_cpu"

    def fn(input, *, out=None):
        if input.dtype.kind in reject:
            if input.dtype.kind == "c" and name in _COMPLEX_MSG:
                raise NotImplementedError(_COMPLEX_MSG[name])
            raise not_impl(kname, input.dtype)
        return run(o, (input,))
    fn.__name__ = name
    for n in (name, *aliases):
        public(n, inplace=True)(fn)
    return fn


def _digamma(a):
    # torch: digamma(+-0) = -+inf (jax gives nan there)
    r = jax.scipy.special.digamma(a)
    return jnp.where(a == 0, jnp.copysign(jnp.full_like(a, jnp.inf), -a), r)


def _rounding(fn):
    return lambda a: fn(a) if _inexact(a) else a


def _sign(a):
    # torch: sign(nan) = 0 and sign(-0.) = 0.
    if a.dtype == jnp.bool_ or jnp.issubdtype(a.dtype, jnp.complexfloating):
        return a if a.dtype == jnp.bool_ else jnp.sign(a)
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)


def _to_real(op_, operands, statics):
    return None, operands[0].dtype.to_real()


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
erf = _unary("erf", jax.scipy.special.erf, "ErfBackward0", reject="c")
erfc = _unary("erfc", jax.scipy.special.erfc, "ErfcBackward0", reject="c")
erfinv = _unary("erfinv", jax.scipy.special.erfinv, "ErfinvBackward0", reject="c")
lgamma = _unary("lgamma", jax.scipy.special.gammaln, "LgammaBackward0", reject="c")
digamma = _unary("digamma", _digamma, "DigammaBackward0", reject="c", kernel="digamma")
abs = _unary("abs", jnp.abs, "AbsBackward0", dtypes=_to_real, reject="b", kernel="abs_cpu",
             aliases=("absolute",))
sign = _unary("sign", _sign, "SignBackward0", dtypes="same", reject="c")
sgn = _unary("sgn", _sign, "SgnBackward0", dtypes="same")
floor = _unary("floor", _rounding(jnp.floor), "FloorBackward0", dtypes="same", reject="bc")
ceil = _unary("ceil", _rounding(jnp.ceil), "CeilBackward0", dtypes="same", reject="bc")
trunc = _unary("trunc", _rounding(jnp.trunc), "TruncBackward0", dtypes="same", reject="bc",
               aliases=("fix",))
frac = _unary("frac", lambda a: a - jnp.trunc(a), "FracBackward0", dtypes="same",
              reject="biuc", kernel="frac_cpu")


def _relu(a):
    return jnp.maximum(a, jnp.zeros((), a.dtype))


_relu_op = op("relu", "ReluBackward0", dtypes="same")(_relu)


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


_round = op("round", "RoundBackward0", dtypes="same")(_rounding(jnp.round))
_round_decimals = op("round_decimals", "RoundBackward1", dtypes="same")(_round_dec)


@public(inplace=True)
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
def logit(input, eps=None, *, out=None):
    if input.dtype.kind == "c":
        raise not_impl("logit_cpu", input.dtype)
    return run(_logit, (input,)) if eps is None else run(_logit_eps, (input, float(eps)))


# ---- lerp, addcmul / addcdiv, atan2, hypot, nan_to_num -----------------------------------
def _lerp_body(a, b, w):
    # torch's formula (exact at w == 0 and w == 1)
    return jnp.where(jnp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


_lerp = op("lerp", "LerpBackward0", promote=(0, 1))(_lerp_body)
_lerp_t = op("lerp_tensor", "LerpBackward1")(_lerp_body)

_CTYPE = {"float32": "float", "float64": "double", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
          "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
          "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


@public(inplace=True)
def lerp(input, end, weight, *, out=None):
    if not _t(end) or not (_t(weight) or _i(weight, _NUM)):
        raise TypeError(f"lerp() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(end).__name__}, "
                        f"{type(weight).__name__})")
    for what, t in (("end", end), ("weight", weight)):
        if _t(t) and t.dtype is not input.dtype:
            raise RuntimeError(f"expected dtype {_CTYPE[input.dtype.name]} for `{what}` but got "
                               f"dtype {_CTYPE[t.dtype.name]}")
    if input.dtype.kind not in "fc":
        raise not_impl("lerp_kernel_tensor" if _t(weight) else "lerp_kernel_scalar",
                       input.dtype)
    return run(_lerp_t if _t(weight) else _lerp, (input, end, weight))


_addcmul = op("addcmul", "AddcmulBackward0", promote=(0, 1, 2))(
    lambda a, t1, t2, v: a + v * t1 * t2)
_addcdiv = op("addcdiv", "AddcdivBackward0", promote=(0, 1, 2))(
    lambda a, t1, t2, v: a + v * (t1 / t2))


@public(inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    return run(_addcmul, (input, tensor1, tensor2, value))


@public(inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    if tensor1.dtype.kind in "biu" and tensor2.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    return run(_addcdiv, (input, tensor1, tensor2, value))


_atan2 = op("atan2", "Atan2Backward0", dtypes="float")(jnp.arctan2)
_hypot = op("hypot", "HypotBackward0")(jnp.hypot)


@public(inplace=True)
def atan2(input, other, *, out=None):
    check_other("atan2", other, True)
    r = promoted((input, other))
    if r.kind == "c":
        raise not_impl("atan2_cpu", r)
    return run(_atan2, (input, other))


public("arctan2", inplace=True)(atan2)


@public(inplace=True)
def hypot(input, other, *, out=None):
    check_other("hypot", other, True)
    r = promoted((input, other))
    if r.kind != "f":
        raise not_impl("hypot_cpu", r)
    return run(_hypot, (input, other))


_nan_to_num = op("nan_to_num", "NanToNumBackward0", dtypes="same")(
    lambda a, nan, posinf, neginf: jnp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf))


@public(inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    if input.dtype.kind not in "fc":
        return input.clone()
    return run(_nan_to_num, (input,), (("nan", nan), ("posinf", posinf), ("neginf", neginf)))


# ---- the rest of the pointwise family (the operator table reads these names here) --------
from .compare import (  # noqa: E402,F401
    allclose, bitwise_and, bitwise_left_shift, bitwise_not, bitwise_or, bitwise_right_shift,
    bitwise_xor, clamp, clamp_max, clamp_min, eq, equal, fmax, fmin, ge, gt, isclose, isfinite,
    isinf, isnan, isneginf, isposinf, le, logical_and, logical_not, logical_or, logical_xor, lt,
    maximum, minimum, ne, signbit, where)
