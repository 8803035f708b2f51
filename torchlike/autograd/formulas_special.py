"""torch's backward formulas for special functions (derivatives.yaml, FunctionsManual.cpp), in
torchlike ops: polygamma and mvlgamma, the modified Bessel functions i0/i0e/i1/i1e, the normal
distribution's ndtri/log_ndtr (ndtr is composed of ops, as in torch), entr, erfcx, xlog1py,
zeta, igamma/igammac; the pointwise leftovers frexp, ldexp and nextafter; the Tensor-Scalar
arithmetic that C++ formulas record (MulBackward1, AddBackward1, ...); and the backward
kernels of sigmoid and tanh (whose own derivatives make a third-order gradient)."""
from __future__ import annotations

import math

import numpy as np

from .._creation import arange, zeros_like
from ..ops import spectral as S
from ..ops.compare import where
from ..ops._registry import run
from .formulas import (_sigmoid_backward, _tanh_backward, add_scalar, all_real, div_scalar,
                       formula, forward, mul_scalar, sub_scalar)


# ---- gamma family --------------------------------------------------------------------------
@formula("polygamma")
def _polygamma(g, xs, st, diff):
    return {0: g * S.polygamma(st["n"] + 1, xs[0])}


@formula("mvlgamma")
def _mvlgamma(g, xs, st, diff):
    """torch's mvlgamma_backward: grad * sum of digamma(x - j / 2) over j < p (the offsets an
    arange that needs no gradient, added to x.unsqueeze(-1))."""
    x, p = xs[0], st["p"]
    args = arange(-p / 2 + 0.5, 0.5, 0.5, dtype=x.dtype) + x.unsqueeze(-1)
    return {0: g * args.digamma().sum(-1)}


def _regularized_gamma_grad(g, a, x):
    """d/dx P(a, x): grad * exp((a - 1) log x - x - lgamma(a)) (torch differentiates the
    regularized gamma functions in x only)."""
    return g * (sub_scalar(a, 1) * x.log() - x - a.lgamma()).exp()


@formula("igamma")
def _igamma(g, xs, st, diff):
    if 0 in diff:  # torch: not implemented (the jax vjp raises torch's error)
        return None
    return {1: _regularized_gamma_grad(g, *xs)}


@formula("igammac")
def _igammac(g, xs, st, diff):
    if 0 in diff:
        return None
    return {1: _regularized_gamma_grad(-g, *xs)}


@formula("special_zeta")
def _zeta(g, xs, st, diff):
    """Hurwitz zeta(x, q), in q only: grad * -x * zeta(x + 1, q)."""
    x, q = xs
    if 0 in diff:  # torch: not implemented (the jax vjp raises torch's error)
        return None
    if isinstance(x, (int, float)):
        return {1: mul_scalar(g, -x) * S.zeta(x + 1.0, q)}
    return {1: g * -x * S.zeta(add_scalar(x, 1.0), q)}


# ---- Bessel functions ----------------------------------------------------------------------
@formula("i0")
def _i0(g, xs, st, diff):
    return {0: g * S.i1(xs[0])}


@formula("special_i0e")
def _i0e(g, xs, st, diff):
    x = xs[0]
    return {0: g * (S.i1e(x) - x.sgn() * forward("special_i0e", xs, st))}


def _away_from_zero(x):
    """torch's i1_backward guard: where |x| > eps, and x clamped to eps elsewhere."""
    eps = float(np.finfo(x.dtype.np).eps)
    big = x.abs() > eps
    return big, where(big, x, eps)


@formula("special_i1")
def _i1(g, xs, st, diff):
    """torch's i1_backward: i0(x) - i1(x) / x, and 0.5 at |x| <= eps."""
    big, safe = _away_from_zero(xs[0])
    d = safe.i0() - forward("special_i1", xs, st) * safe.reciprocal()
    return {0: g * where(big, d, 0.5)}


@formula("special_i1e")
def _i1e(g, xs, st, diff):
    """torch's i1e_backward: i0e(x) - i1e(x) (sgn x + 1 / x), and 0.5 at |x| <= eps."""
    big, safe = _away_from_zero(xs[0])
    d = S.i0e(safe) - forward("special_i1e", xs, st) * (safe.sgn() + safe.reciprocal())
    return {0: g * where(big, d, 0.5)}


# ---- the normal distribution, entr, erfcx --------------------------------------------------
@formula("special_ndtri")
def _ndtri(g, xs, st, diff):
    r = forward("special_ndtri", xs, st)
    return {0: mul_scalar(g, math.sqrt(2 * math.pi)) * div_scalar(r.square(), 2).exp()}


@formula("special_log_ndtr")
def _log_ndtr(g, xs, st, diff):
    x = xs[0]
    r = forward("special_log_ndtr", xs, st)
    return {0: div_scalar(g, math.sqrt(2 * math.pi)) * (r + div_scalar(x.pow(2), 2)).neg().exp()}


@formula("special_entr")
def _entr(g, xs, st, diff):
    return {0: g * -add_scalar(xs[0].log(), 1)}


@formula("special_erfcx")
def _erfcx(g, xs, st, diff):
    x = xs[0]
    r = forward("special_erfcx", xs, st)
    return {0: sub_scalar(mul_scalar(x, 2.0) * r, 2.0 / math.sqrt(math.pi)) * g}


@formula("special_xlog1py")
def _xlog1py(g, xs, st, diff):
    """d/dx: xlog1py(grad, y), 0 where x == 0 and y <= -1 (a masked_fill, only when y is a
    tensor or a number <= -1); d/dy: grad * x / (y + 1)."""
    x, y = xs
    out = {}
    if 0 in diff:
        d = S.xlog1py(g, y)
        if not isinstance(y, (int, float)):
            d = d.masked_fill((x == 0.0) & (y <= -1.0), 0.0)
        elif y <= -1:
            d = d.masked_fill(x == 0.0, 0.0)
        out[0] = d
    if 1 in diff:
        num = mul_scalar(g, x) if isinstance(x, (int, float)) else g * x
        out[1] = num / add_scalar(y, 1)
    return out


# ---- frexp, ldexp, nextafter ---------------------------------------------------------------
@formula("frexp")
def _frexp(g, xs, st, diff):
    return {0: g / xs[0].detach().frexp()[1].exp2()}


@formula("ldexp")
def _ldexp(g, xs, st, diff):
    """d/dx: grad * 2 ** other (in integers for an integer exponent: 0 below 0, as torch);
    d/dother: grad * result * log 2."""
    from ..ops.pointwise import pow as power
    x, e = xs
    return {0: g * power(2, e) if 0 in diff else None,
            1: mul_scalar(g * forward("ldexp", xs, st), math.log(2)) if 1 in diff else None}


@formula("nextafter")
def _nextafter(g, xs, st, diff):
    x, y = xs
    return {0: where(x != y, g, 0) if 0 in diff else None,
            1: zeros_like(y) if 1 in diff else None}


# ---- Tensor-Scalar arithmetic (formulas.py's mul_scalar, ...) -----------------------------
@formula("mul_scalar_formula")
def _mul_scalar(g, xs, st, diff):
    return {0: mul_scalar(g, xs[1])} if all_real(xs[1]) else None


@formula("div_scalar_formula")
def _div_scalar(g, xs, st, diff):
    return {0: div_scalar(g, xs[1])} if all_real(xs[1]) else None


@formula("add_scalar_formula", "sub_scalar_formula")
def _add_scalar(g, xs, st, diff):
    return {0: g}


# ---- the backward kernels of sigmoid and tanh ----------------------------------------------
@formula("sigmoid_backward")
def _sigmoid_backward_grad(g, xs, st, diff):
    """grad_output: sigmoid_backward(grad, y); y: grad * grad_output * (1 - 2 y)."""
    go, y = xs
    return {0: run(_sigmoid_backward, (g, y)) if 0 in diff else None,
            1: g * go * add_scalar(mul_scalar(y, -2), 1) if 1 in diff else None}


@formula("tanh_backward")
def _tanh_backward_grad(g, xs, st, diff):
    """grad_output: tanh_backward(grad, y); y: grad * (-2 y * grad_output)."""
    go, y = xs
    return {0: run(_tanh_backward, (g, y)) if 0 in diff else None,
            1: g * (mul_scalar(y, -2) * go) if 1 in diff else None}
