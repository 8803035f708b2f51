"""Pointwise arithmetic: add ... div, remainder, pow, neg, lerp, addcmul, atan2, hypot.

The unary math table lives in unary.py; comparisons, logical and bitwise ops, clamp,
maximum/minimum and where in compare.py; both are re-exported here (the operator table in
ops/__init__.py reads them from this module).
"""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype as D
from .._tensor import _SHORT
from ._common import invalid_arguments
from ._bind import public
from ._registry import inplace as _inplace
from ._registry import in_float, op, promoted, run
from .compare import _CTYPE, _NUM, _i, _t, check_other, no_derivative, not_impl, outable


def _inexact(a) -> bool:
    return jnp.issubdtype(a.dtype, jnp.inexact)


# ---- add / sub / mul ---------------------------------------------------------------------
_add = op("add", "AddBackward0", edges=2, saves=False, host=True)(lambda a, b, xp=jnp: a + b)
_add_alpha = op("add_alpha", "AddBackward0", edges=2, saves=False, promote=(0, 1))(
    in_float(lambda a, b, s: a + s * b))
_sub = op("sub", "SubBackward0", edges=2, saves=False, host=True)(lambda a, b, xp=jnp: a - b)
_sub_alpha = op("sub_alpha", "SubBackward0", edges=2, saves=False, promote=(0, 1))(
    in_float(lambda a, b, s: a - s * b))
_rsub = op("rsub", lambda s, p: "RsubBackward0" if p[1] == "t" else "RsubBackward1",
           saves=False, host=True)(lambda a, b, xp=jnp: b - a)
_rsub_alpha = op("rsub_alpha", lambda s, p: "RsubBackward0" if p[1] == "t" else
                 "RsubBackward1", saves=False, promote=(0, 1))(
                     in_float(lambda a, b, s: b - s * a))
# torch saves each factor only for the other's gradient (so `y * 2` saves no tensor)
def _complex_mul(a, b):
    """(x + yi)(c + di) with each of the four products rounded, as torch's vector kernel does.
    XLA's compiler fuses a product used once into the addition after it (one rounding): a
    second use (the nan test, which keeps nan results nan) prevents that."""
    a, b = jnp.broadcast_arrays(a, b)
    x, y, c, d = a.real, a.imag, b.real, b.imag
    xc, yd, xd, yc = x * c, y * d, x * d, y * c
    re = jnp.where((xc != xc) | (yd != yd), xc + yd, xc - yd)
    im = jnp.where((xd != xd) | (yc != yc), xd - yc, xd + yc)
    return lax.complex(re, im)


_mul = op("mul", "MulBackward0", edges=2, opmath=True, saves=lambda diff: [1 - i for i in diff],
          host=True)(lambda a, b, xp=jnp: _complex_mul(a, b) if jnp.iscomplexobj(a) else a * b)


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
@outable
def add(input, other, *, alpha=1, out=None):
    check_other("add", other)
    if type(alpha) is int and alpha == 1:
        return run(_add, (input, other))
    _check_alpha(input, other, alpha)
    return run(_add_alpha, (input, other, alpha))


@public(inplace=True)
@outable
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


def unbool(a, b, true_div=False):
    """Bool tensors converted before a float product or quotient: inside one kernel XLA
    rewrites `float(mask) * x` as a select, which loses inf * 0 = nan."""
    r = promoted((a, b))
    if true_div and r.kind in "biu":
        r = D.get_default_dtype()
    if r.kind in "fc":
        if _t(a) and a.dtype is D.bool:
            a = a.to(r)
        if _t(b) and b.dtype is D.bool:
            b = b.to(r)
    return a, b


@public(inplace=True)
@outable
def mul(input, other, *, out=None):
    check_other("mul", other)
    if (_t(input) and input.dtype is D.bool) or (_t(other) and other.dtype is D.bool):
        input, other = unbool(input, other)
    return run(_mul, (input, other))


public("multiply", inplace=True)(mul)


# ---- division ----------------------------------------------------------------------------
@jax.custom_jvp
def _complex_div(a, b):
    """torch's (and numpy's) complex quotient: Smith's algorithm, scaled by the larger of the
    divisor's parts; 0 / 0 divides each part by zero. torch's compiler fuses each `p + q * r`
    into one rounding: so does XLA's, as long as every product has a single use (so each
    branch computes its own)."""
    a = jnp.broadcast_to(a, b.shape)
    x, y, c, d = a.real, a.imag, b.real, b.imag
    rat = d / c
    scl = 1 / (c + d * rat)
    wide = ((x + y * rat) * scl, (y - x * rat) * scl)
    rat = c / d
    scl = 1 / (d + c * rat)
    narrow = ((x * rat + y) * scl, (y * rat - x) * scl)
    ac, ad = jnp.abs(c), jnp.abs(d)
    zero = (ac == 0) & (ad == 0)
    re = jnp.where(zero, x / ac, jnp.where(ac >= ad, wide[0], narrow[0]))
    im = jnp.where(zero, y / ad, jnp.where(ac >= ad, wide[1], narrow[1]))
    return lax.complex(re, im)


@_complex_div.defjvp
def _complex_div_jvp(primals, tangents):
    # the quotient rule by a plain division: the branch not taken (d / c for a real
    # divisor) would otherwise carry its nan into the gradient
    (a, b), (ta, tb) = primals, tangents
    q = _complex_div(a, b)
    return q, (ta - q * tb) / b


def quotient(a, b, xp=jnp):
    """a / b as torch's CPU kernels compute it: a correctly rounded quotient. (XLA rewrites a
    division by a broadcast as a product with the reciprocal, which is 1 ulp off in about half
    the cases: the broadcast divisor is materialised behind a barrier instead.) Half and
    bfloat16 divided by a number divide in float (the number is a float32 here). (numpy
    divides as written.)"""
    if xp is not jnp:
        return a / b
    shape = jnp.broadcast_shapes(a.shape, b.shape)
    if b.shape != shape:
        b = lax.optimization_barrier(jnp.broadcast_to(b, shape))
    return _complex_div(a, b) if jnp.iscomplexobj(a) else a / b


def _floor_div_float(a, b):
    # torch's div_floor for floating types (python-style floor division, IEEE on b == 0)
    mod = jnp.fmod(a, b)
    div = quotient(a - mod, b)
    div = jnp.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
    fl = jnp.floor(div)
    fl = jnp.where(div - fl > 0.5, fl + 1, fl)
    q = quotient(a, b)
    fl = jnp.where(div == 0, jnp.copysign(jnp.zeros_like(div), q), fl)
    return jnp.where(b == 0, q, fl)


def _floor_div(a, b):
    return _floor_div_float(a, b) if _inexact(a) else jnp.floor_divide(a, b)


def _trunc_div(a, b):
    return jnp.trunc(quotient(a, b)) if _inexact(a) else lax.div(*jnp.broadcast_arrays(a, b))


# torch saves the divisor, and the dividend only for the divisor's gradient
_div = op("div", "DivBackward0", dtypes="float", edges=2, opmath=True,
          saves=lambda diff: (1, 0) if 1 in diff else (1,), host=True)(quotient)
# DivBackward2's gradient is zero everywhere: stop_gradient gives exactly that.
_div_trunc = op("div_trunc", "DivBackward2", edges=2, opmath=True)(
    lambda a, b: lax.stop_gradient(_trunc_div(a, b)))
_div_floor = op("div_floor", "DivBackward2", edges=2, opmath=True)(
    lambda a, b: lax.stop_gradient(_floor_div(a, b)))
_floor_divide = op("floor_divide", "NotImplemented", edges=2, opmath=True)(
    no_derivative(_floor_div, "floor_divide"))
_reciprocal = op("reciprocal", "ReciprocalBackward0", dtypes="float", saves="out")(
    lambda a: quotient(jnp.ones_like(a), a))


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
@outable
def div(input, other, *, rounding_mode=None, out=None):
    check_other("div", other)
    if rounding_mode is None:
        if (_t(input) and input.dtype is D.bool) or (_t(other) and other.dtype is D.bool):
            input, other = unbool(input, other, True)
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
@outable
def true_divide(input, other, *, out=None):
    return div(input, other)


@public(inplace=True)
@outable
def floor_divide(input, other, *, out=None):
    check_other("floor_divide", other)
    int_zero_check(input, other, "div_floor_cpu")
    return run(_floor_divide, (input, other))


@public(inplace=True)
@outable
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
@outable
def remainder(input, other, *, out=None):
    check_other("remainder", other)
    int_zero_check(input, other, "remainder_cpu")
    return run(_remainder if _t(input) else _rremainder, (input, other))


@public(inplace=True)
@outable
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


def _pow_static_body(a, n, xp=jnp):
    # torch special-cases these exponents (x*x, sqrt, rsqrt, 1/x); XLA's pow differs in the
    # last bit there, so integral exponents up to 4 in magnitude and +-0.5 are static.
    if xp is not jnp:
        return _integer_pow_np(a, n)
    if n == 0.5:
        return jnp.sqrt(a)
    if n == -0.5:
        return lax.rsqrt(a)
    return lax.integer_pow(a, int(n))


def _integer_pow_np(a, n):
    """lax.integer_pow's products in numpy, in the order JAX lowers them (binary powers,
    then 1 / the power for a negative n): the compiled kernel's bits."""
    if n != int(n) or n == 0 or a.dtype.kind not in "f":
        raise NotImplementedError  # sqrt and rsqrt, ones, integer powers: compiled
    m, acc = abs(int(n)), None
    while m:
        if m & 1:
            acc = a if acc is None else acc * a
        m >>= 1
        if m:
            a = a * a
    return np.asarray(1, acc.dtype) / acc if n < 0 else acc


def _pow_static_rule(op_, operands, statics):
    r = promoted((operands[0], dict(statics)["n"]))
    return r, r


def _float_power_dtype(*operands):
    return D.complex128 if promoted(operands).kind == "c" else D.float64


_pow_static = op("pow_int", "PowBackward0", dtypes=_pow_static_rule, host=True)(
    _pow_static_body)
_pow_scalar = op("pow_scalar", "PowBackward0")(_pow_body)
_pow_tensor = op("pow_tensor", "PowBackward1")(_pow_body)
_rpow = op("rpow", "PowBackward2")(lambda a, b: _pow_body(b, a))

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


@public(inplace=True)
@outable
def pow(input, exponent, *, out=None):
    return _pow("pow", input, exponent, _POW)


@public()
@outable
def float_power(input, exponent, *, out=None):
    # torch converts both operands to double first (ToCopyBackward0 where the dtype changes)
    check_other("float_power", exponent, arg="exponent")
    dt = _float_power_dtype(input, exponent)
    if _t(input) and input.dtype is not dt:
        input = input.to(dt)
    if _t(exponent) and exponent.dtype is not dt:
        exponent = exponent.to(dt)
    if not _t(input):
        input = complex(input) if dt.kind == "c" else float(input)
    return _pow("float_power", input, exponent, _POW)


def _float_power_(self, exponent):
    r = _float_power_dtype(self, exponent)
    if self.dtype is not r:
        raise RuntimeError(f"the base given to float_power_ has dtype {_SHORT[self.dtype.name]} "
                           f"but the operation's result requires dtype {_SHORT[r.name]}")
    return _inplace(self, float_power(self, exponent))


public("float_power_", function=False)(_float_power_)


@public(inplace=True)
@outable
def square(input, *, out=None):
    return pow(input, 2)


# ---- neg, positive -----------------------------------------------------------------------
_neg = op("neg", "NegBackward0", dtypes="same", saves=False, host=True)(
    lambda a, xp=jnp: xp.negative(a))


@public(inplace=True)
@outable
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


# ---- lerp, addcmul / addcdiv, atan2, hypot -----------------------------------------------
def _lerp_body(a, b, w):
    # torch's formula (exact at w == 0 and w == 1)
    return jnp.where(jnp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


_lerp = op("lerp", "LerpBackward0", promote=(0, 1), opmath=True)(in_float(_lerp_body))
_lerp_t = op("lerp_tensor", "LerpBackward1")(in_float(_lerp_body))


@public(inplace=True)
@outable
def lerp(input, end, weight, *, out=None):
    if not _t(end) or not (_t(weight) or _i(weight, _NUM)):
        raise invalid_arguments("lerp", (input, end, weight),
                                "Tensor input, Tensor end, Tensor weight, *, Tensor out = None",
                                "Tensor input, Tensor end, Number weight, *, Tensor out = None")
    for what, t in (("end", end), ("weight", weight)):
        if _t(t) and t.dtype is not input.dtype:
            raise RuntimeError(f"expected dtype {_CTYPE[input.dtype.name]} for `{what}` but got "
                               f"dtype {_CTYPE[t.dtype.name]}")
    if input.dtype.kind not in "fc":
        raise not_impl("lerp_kernel_tensor" if _t(weight) else "lerp_kernel_scalar",
                       input.dtype)
    return run(_lerp_t if _t(weight) else _lerp, (input, end, weight))


_addcmul = op("addcmul", "AddcmulBackward0", promote=(0, 1, 2), opmath=True)(
    lambda a, t1, t2, v: a + v * t1 * t2)
_addcdiv = op("addcdiv", "AddcdivBackward0", promote=(0, 1, 2), opmath=True)(
    in_float(lambda a, t1, t2, v: a + quotient(v * t1, t2)))  # torch's order of rounding


@public(inplace=True)
@outable
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    if input.dtype.kind == "b":
        raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
    return run(_addcmul, (input, tensor1, tensor2, value))


@public(inplace=True)
@outable
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
@outable
def atan2(input, other, *, out=None):
    check_other("atan2", other, True)
    r = promoted((input, other))
    if r.kind == "c":
        raise not_impl("atan2_cpu", r)
    return run(_atan2, (input, other))


public("arctan2", inplace=True)(atan2)


@public(inplace=True)
@outable
def hypot(input, other, *, out=None):
    check_other("hypot", other, True)
    r = promoted((input, other))
    if r.kind != "f":
        raise not_impl("hypot_cpu", r)
    return run(_hypot, (input, other))


# ---- the rest of the pointwise family (the operator table reads these names here) --------
from .unary import (  # noqa: E402,F401
    abs, acos, acosh, asin, asinh, atan, atanh, ceil, cos, cosh, digamma, erf, erfc, erfinv, exp,
    exp2, expm1, floor, frac, lgamma, log, log10, log1p, log2, logit, nan_to_num, relu, round,
    rsqrt, sgn, sigmoid, sign, sin, sinh, sqrt, tan, tanh, trunc)
from .compare import (  # noqa: E402,F401
    allclose, bitwise_and, bitwise_left_shift, bitwise_not, bitwise_or, bitwise_right_shift,
    bitwise_xor, clamp, clamp_max, clamp_min, eq, equal, fmax, fmin, ge, gt, isclose, isfinite,
    isinf, isnan, isneginf, isposinf, le, logical_and, logical_not, logical_or, logical_xor, lt,
    maximum, minimum, ne, signbit, where)
