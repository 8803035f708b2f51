"""torch's backward formulas for pointwise ops (derivatives.yaml, FunctionsManual.cpp), in
torchlike ops: the unary functions whose formula is a chain of ops (exp2, log2/log10/log1p,
sinh/cosh, tan, asin/acos, rsqrt, asinh/acosh/atanh, erfc/erfinv, lgamma/digamma, logit,
sinc, nan_to_num, deg2rad/rad2deg), the rounding ops (zero gradients), atan2, clamp and its
variants, where and masked_fill."""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from .._tensor import _wrap
from ..ops.compare import where
from ..ops.masked import _masked_select
from ..ops._registry import op, run
from .formulas import add_scalar, formula, mul_scalar, scalar_minus, sub_scalar

# torch's masked_select node has one edge (the mask is no operand of its gradient)
_masked_select_grad = op("masked_select_formula", "MaskedSelectBackward0", dtypes="same",
                         edges=(0,))(_masked_select.body)


def masked_select(t, mask):
    """t.masked_select(mask) as torch records it: MaskedSelectBackward0 over t alone."""
    from ..ops.shape import broadcast_shape
    shape = broadcast_shape(mask.shape, t.shape)
    m = np.broadcast_to(np.asarray(mask._data), shape)
    nz = tuple(_wrap(jnp.asarray(k.astype(np.int64))) for k in np.nonzero(m))
    return run(_masked_select_grad, (t, *nz), (("shape", tuple(shape)),))


# ---- unary functions -------------------------------------------------------------------------
@formula("exp2")
def _exp2(g, xs, st, diff):
    return {0: mul_scalar(g * xs[0].exp2(), math.log(2.0))}


@formula("log2")
def _log2(g, xs, st, diff):
    return {0: g / mul_scalar(xs[0], math.log(2.0))}


@formula("log10")
def _log10(g, xs, st, diff):
    return {0: g / mul_scalar(xs[0], math.log(10.0))}


@formula("log1p")
def _log1p(g, xs, st, diff):
    return {0: g / add_scalar(xs[0], 1)}


@formula("sinh")
def _sinh(g, xs, st, diff):
    return {0: g * xs[0].cosh()}


@formula("cosh")
def _cosh(g, xs, st, diff):
    return {0: g * xs[0].sinh()}


@formula("tan")
def _tan(g, xs, st, diff):
    return {0: g * add_scalar(xs[0].tan().pow(2), 1)}


def _one_minus_square(x):
    """torch's `-self * self + 1`."""
    return add_scalar(-x * x, 1)


@formula("asin")
def _asin(g, xs, st, diff):
    return {0: g * _one_minus_square(xs[0]).rsqrt()}


@formula("acos")
def _acos(g, xs, st, diff):
    return {0: g * -_one_minus_square(xs[0]).rsqrt()}


@formula("rsqrt")
def _rsqrt(g, xs, st, diff):
    return {0: mul_scalar(g, -0.5) * xs[0].rsqrt().pow(3)}


@formula("asinh")
def _asinh(g, xs, st, diff):
    return {0: g * add_scalar(xs[0].pow(2), 1).rsqrt()}


@formula("acosh")
def _acosh(g, xs, st, diff):
    x = xs[0]
    return {0: g * sub_scalar(x * x, 1).rsqrt()}


@formula("atanh")
def _atanh(g, xs, st, diff):
    return {0: mul_scalar(g, 1) / scalar_minus(1, xs[0].pow(2))}


@formula("erfc")
def _erfc(g, xs, st, diff):
    return {0: mul_scalar((-xs[0].pow(2)).exp(), -2.0 / math.sqrt(math.pi)) * g}


@formula("erfinv")
def _erfinv(g, xs, st, diff):
    return {0: mul_scalar(xs[0].erfinv().pow(2).exp(), 0.5 * math.sqrt(math.pi)) * g}


@formula("lgamma")
def _lgamma(g, xs, st, diff):
    return {0: g * xs[0].digamma()}


@formula("digamma")
def _digamma(g, xs, st, diff):
    from ..ops.spectral import polygamma
    return {0: g * polygamma(1, xs[0])}


@formula("logit", "logit_eps")
def _logit(g, xs, st, diff):
    """torch's infinitely_differentiable_logit_backward: nan outside [0, 1] (0 outside
    [eps, 1 - eps] with eps)."""
    x = xs[0]
    lo, outside = (0.0, math.nan) if len(xs) == 1 else (xs[1], 0.0)
    d = x.detach()
    return {0: where((d >= lo) & (d <= 1.0 - lo), g / (x * scalar_minus(1.0, x)), outside)}


@formula("nan_to_num")
def _nan_to_num(g, xs, st, diff):
    return {0: g * xs[0].detach().isfinite()}


@formula("deg2rad")
def _deg2rad(g, xs, st, diff):
    return {0: mul_scalar(g, math.pi / 180)}


@formula("rad2deg")
def _rad2deg(g, xs, st, diff):
    return {0: mul_scalar(g, 180 / math.pi)}


@formula("sinc")
def _sinc(g, xs, st, diff):
    """torch's sinc_backward: (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at x == 0."""
    x = xs[0]
    xpi, x2pi = mul_scalar(x, math.pi), mul_scalar(x * x, math.pi)
    out = g * ((xpi * xpi.cos() - xpi.sin()) / x2pi)
    return {0: where(x2pi.detach() == 0, 0.0, out)}


@formula("floor", "ceil", "trunc", "round", "round_decimals", "sign", "sgn")
def _zero(g, xs, st, diff):
    """torch: zeros, which depend on no input (sgn's formula for complex inputs is not)."""
    if xs[0].is_complex():
        return None
    from .._creation import zeros_like
    return {0: zeros_like(g)}


@formula("frac")
def _frac(g, xs, st, diff):
    return {0: g}


@formula("atan2")
def _atan2(g, xs, st, diff):
    a, b = xs
    den = a * a + b * b
    recip = den.reciprocal().masked_fill(den.detach() == 0, 0)
    return {0: g * b * recip if 0 in diff else None,
            1: g * -a * recip if 1 in diff else None}


# ---- clamp -------------------------------------------------------------------------------
def _pass_where(cond, g):
    """torch's where(cond, grad, scalar_tensor(0.)): the gradient where cond holds."""
    return where(cond, g, 0.0)


def _within(x, lo, hi):
    """torch's clamp_backward condition: lo <= x <= hi for the bounds given."""
    if lo is not None and hi is not None:
        return (x >= lo) & (x <= hi)
    return x >= lo if lo is not None else x <= hi


@formula("clamp")
def _clamp(g, xs, st, diff):
    x, lo, hi = xs
    if lo is None and hi is None:
        return {0: g}
    return {0: _pass_where(_within(x.detach(), lo, hi), g)}


@formula("clamp_min")
def _clamp_min(g, xs, st, diff):
    return {0: _pass_where(xs[0].detach() >= xs[1], g)}


@formula("clamp_max")
def _clamp_max(g, xs, st, diff):
    return {0: _pass_where(xs[0].detach() <= xs[1], g)}


@formula("clamp_min_tensor")
def _clamp_min_tensor(g, xs, st, diff):
    x, lo = xs[0].detach(), xs[1].detach()
    return {0: _pass_where(x >= lo, g) if 0 in diff else None,
            1: _pass_where(x < lo, g) if 1 in diff else None}


@formula("clamp_max_tensor")
def _clamp_max_tensor(g, xs, st, diff):
    x, hi = xs[0].detach(), xs[1].detach()
    return {0: _pass_where(x <= hi, g) if 0 in diff else None,
            1: _pass_where(x > hi, g) if 1 in diff else None}


@formula("clamp_tensor")
def _clamp_tensor(g, xs, st, diff):
    x, lo, hi = (None if t is None else t.detach() for t in xs[:3])
    out = {}
    if 0 in diff:
        out[0] = g if lo is None and hi is None else _pass_where(_within(x, lo, hi), g)
    # torch's clamp_backward_min_max: a bound above the other one passes nothing to min
    if lo is not None and hi is not None:
        if 1 in diff:
            out[1] = _pass_where((x < lo) & (lo < hi), g)
        if 2 in diff:
            out[2] = _pass_where((x > hi) | (hi < lo), g)
    elif lo is not None and 1 in diff:
        out[1] = _pass_where(x < lo, g)
    elif hi is not None and 2 in diff:
        out[2] = _pass_where(x > hi, g)
    return out


# ---- where / masked_fill ---------------------------------------------------------------------
@formula("where")
def _where(g, xs, st, diff):
    c = xs[0]
    return {1: where(c, g, 0) if 1 in diff else None,
            2: where(c, 0, g) if 2 in diff else None}


@formula("masked_fill")
def _masked_fill(g, xs, st, diff):
    return {0: g.masked_fill(xs[1], 0)}


@formula("masked_fill_t")
def _masked_fill_t(g, xs, st, diff):
    m = xs[1]
    return {0: g.masked_fill(m, 0) if 0 in diff else None,
            2: masked_select(g, m).sum() if 2 in diff else None}


# ---- conversion ------------------------------------------------------------------------------
@formula("to_copy")
def _to_copy(g, xs, st, diff):
    """torch's _to_copy_backward: the gradient in the operand's dtype (the engine's cast,
    gradients() here), its real part for a real operand."""
    return {0: g.real if g.is_complex() and not xs[0].is_complex() else g}
