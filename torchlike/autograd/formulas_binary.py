"""torch's backward formulas for pointwise ops of two or three operands (derivatives.yaml,
FunctionsManual.cpp), in torchlike ops: maximum/minimum, fmax/fmin, addcmul/addcdiv, lerp,
hypot, logaddexp/logaddexp2, xlogy, the rounding divisions, remainder/fmod and pow with a
tensor exponent or a number base.

C++ writes `grad * 2.0` as a Tensor-Scalar op (MulBackward1), and `1 - t` or `v / t` as a
tensor filled with the number, then the tensor op (SubBackward0 / DivBackward0 with no edge
for the filled tensor): mul_scalar, scalar_minus and scalar_over record them so."""
from __future__ import annotations

import math

from .._creation import zeros_like
from ..ops.compare import where
from .formulas import (add_scalar, all_real, div_scalar, formula, forward, mul_scalar, scalar_minus,
                       scalar_over, sub_scalar)


# ---- maximum / minimum / fmax / fmin ---------------------------------------------------------
def _max_min(name):
    """torch: the gradient halved at ties, else to the operand that was picked (both where
    a NaN makes neither compare)."""
    def backward(g, xs, st, diff):
        a, b = (t.detach() for t in xs)
        lost = (a < b, a > b) if name == "maximum" else (a > b, a < b)
        split = where(a == b, div_scalar(g, 2), g)
        return {i: split.masked_fill(lost[i], 0) for i in diff}
    return backward


def _fmax_fmin(name):
    """torch: the gradient to self where it was picked (self wins ties and a NaN other),
    to other elsewhere."""
    def backward(g, xs, st, diff):
        a, b = (t.detach() for t in xs)
        picked = ((a >= b) if name == "fmax" else (a <= b)) | b.isnan()
        return {0: g.masked_fill(picked.logical_not(), 0) if 0 in diff else None,
                1: g.masked_fill(picked, 0) if 1 in diff else None}
    return backward


for _name in ("maximum", "minimum"):
    formula(_name)(_max_min(_name))
for _name in ("fmax", "fmin"):
    formula(_name)(_fmax_fmin(_name))


# ---- addcmul / addcdiv / lerp / hypot ------------------------------------------------------
@formula("addcmul")
def _addcmul(g, xs, st, diff):
    c, t1, t2, value = xs
    if not all_real(g, t1, t2, value):
        return None
    return {0: g, 1: g * mul_scalar(t2, value) if 1 in diff else None,
            2: g * mul_scalar(t1, value) if 2 in diff else None}


@formula("addcdiv")
def _addcdiv(g, xs, st, diff):
    c, t1, t2, value = xs
    if not all_real(g, t1, t2, value):
        return None
    return {0: g, 1: g * scalar_over(value, t2) if 1 in diff else None,
            2: -g * (mul_scalar(t1, value) / (t2 * t2)) if 2 in diff else None}


@formula("lerp")
def _lerp(g, xs, st, diff):
    a, b, w = xs
    if not all_real(g, a, b, w):
        return None
    return {0: mul_scalar(g, 1 - w) if 0 in diff else None,
            1: mul_scalar(g, w) if 1 in diff else None}


@formula("lerp_tensor")
def _lerp_tensor(g, xs, st, diff):
    a, b, w = xs
    if not all_real(g, a, b, w):
        return None
    return {0: g * scalar_minus(1, w) if 0 in diff else None,
            1: g * w if 1 in diff else None,
            2: g * (b - a) if 2 in diff else None}


@formula("hypot")
def _hypot(g, xs, st, diff):
    a, b = xs
    r = forward("hypot", xs, st)
    return {0: g * a / r if 0 in diff else None, 1: g * b / r if 1 in diff else None}


# ---- logaddexp / xlogy -----------------------------------------------------------------------
@formula("logaddexp")
def _logaddexp(g, xs, st, diff):
    a, b = xs
    return {0: g / add_scalar((b - a).exp(), 1) if 0 in diff else None,
            1: g / add_scalar((a - b).exp(), 1) if 1 in diff else None}


@formula("logaddexp2")
def _logaddexp2(g, xs, st, diff):
    a, b = xs
    return {0: g / add_scalar(2 ** (b - a), 1) if 0 in diff else None,
            1: g / add_scalar(2 ** (a - b), 1) if 1 in diff else None}


@formula("xlogy")
def _xlogy(g, xs, st, diff):
    """torch: zero (not nan) for self where self == 0 and other <= 0 (see derivatives.yaml's
    note on xlogy at x = 0)."""
    a, b = xs
    if not all_real(g, a, b):
        return None
    if not hasattr(a, "detach"):  # xlogy(number, tensor)
        return {1: mul_scalar(g, a) / b}
    if not hasattr(b, "detach"):  # xlogy(tensor, number)
        ga = g.xlogy(b)
        return {0: ga if b > 0 else ga.masked_fill(a.detach() == 0, 0)}
    out = {}
    if 0 in diff:
        out[0] = g.xlogy(b).masked_fill((a.detach() == 0) & (b.detach() <= 0), 0)
    if 1 in diff:
        out[1] = g * a / b
    return out


# ---- rounding division, remainder, fmod ------------------------------------------------------
@formula("div_trunc", "div_floor")
def _div_rounding(g, xs, st, diff):
    """torch: zeros, which depend on no input."""
    return {i: zeros_like(g) for i in diff}


def _remainder_like(mode):
    """torch: the gradient itself for self; -grad * self.div(other, rounding_mode) for other."""
    def backward(g, xs, st, diff):
        a, b = xs
        if not hasattr(b, "detach"):
            return {0: g}
        return {0: g if 0 in diff else None,
                1: -g * a.div(b, rounding_mode=mode) if 1 in diff else None}
    return backward


formula("remainder")(_remainder_like("floor"))
formula("fmod")(_remainder_like("trunc"))


# ---- pow with a tensor exponent or a number base -----------------------------------------
@formula("pow_tensor")
def _pow_tensor(g, xs, st, diff):
    """torch's pow_backward_self / pow_backward_exponent: zero where the exponent is 0 (for
    self), and where self is 0 with a non-negative exponent (for the exponent)."""
    a, e = xs
    if not all_real(g, a, e):
        return None
    out = {}
    if 0 in diff:
        out[0] = where(e.detach() == 0, 0.0, g * (e * a.pow(sub_scalar(e, 1))))
    if 1 in diff:
        r = forward("pow_tensor", xs, st)
        zero = (a.detach() == 0) & (e.detach() >= 0)
        out[1] = g * where(zero, 0.0, r * a.log())
    return out


def _log_of(base: float) -> float:
    if base > 0:
        return math.log(base)
    return -math.inf if base == 0 else math.nan


@formula("rpow")
def _rpow(g, xs, st, diff):
    """torch's pow_backward_exponent for a number base: grad * result * log(base), zero
    where the exponent is non-negative for base 0."""
    e, base = xs
    if not all_real(g, e, base):
        return None
    r = forward("rpow", xs, st)
    scaled = mul_scalar(r, _log_of(base))
    if base == 0:
        scaled = where(e.detach() >= 0, 0.0, scaled)
    return {0: g * scaled}
