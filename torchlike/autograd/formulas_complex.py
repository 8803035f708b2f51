"""torch's backward formulas for complex numbers (derivatives.yaml, FunctionsManual.cpp), in
torchlike ops: the views and conversions (view_as_real, view_as_complex, conj, conj_physical,
_neg_view, complex, polar), angle and sgn; and the complex forms of the pointwise formulas
(arithmetic, exp/log/sqrt/pow, the trigonometric and hyperbolic functions, tanh, sigmoid,
sinc) and of mm / addmm.

torch writes a gradient for complex operands with a conj() of the derivative
(`grad * other.conj()`: a lazy conj, a ConjBackward0 node), and gives a real operand of a
complex op the real part of its gradient (handle_r_to_c: at::real, a select of
view_as_real). The other families' formulas are written for real operands; `complex_form`
registers, for the same op, a formula that keeps the real one for real operands and takes
torch's complex form otherwise (None, the op's jax vjp as one node, where no complex form is
written here)."""
from __future__ import annotations

import math

import jax.numpy as jnp

from .._creation import zeros
from ..ops._registry import op, run
from ..ops.compare import where
from ..ops.cplx import _view_as_complex, _view_as_real
# the families whose formulas are wrapped here register first
from . import formulas_distance as formulas_distance  # noqa: F401
from . import formulas_linalg as formulas_linalg  # noqa: F401
from . import formulas_pointwise as formulas_pointwise  # noqa: F401
from . import formulas_reductions as formulas_reductions  # noqa: F401
from .formulas import (FORMULAS, add_scalar, all_real, formula, forward, mul_scalar, scalar_minus,
                       sub_scalar, times)


def complex_form(*names):
    """Register the decorated formula for complex operands of the ops `names` (a complex
    tensor, gradient or number); real operands keep the formula the op has."""
    def deco(fn):
        for name in names:
            FORMULAS[name] = _either(FORMULAS.get(name), fn)
        return fn
    return deco


def _either(real, cplx):
    def backward(g, xs, st, diff):
        if real is not None and all_real(g, *xs):
            return real(g, xs, st, diff)
        return cplx(g, xs, st, diff)
    return backward


def _is_complex(v) -> bool:
    return isinstance(v, complex) or hasattr(v, "is_complex") and v.is_complex()


def conj(v):
    """v.conj() for a tensor (a lazy conj; a real tensor itself) or a Python number."""
    if isinstance(v, (bool, int, float, complex)):
        return v.conjugate()
    return v.conj()


def r2c(x, g):
    """torch's handle_r_to_c: the real part of a complex gradient for a real operand."""
    return g.real if g.is_complex() and not _is_complex(x) else g


def _contiguous(t):
    """grad.contiguous(): a copy (CloneBackward0) only where the layout is not contiguous."""
    return t if t.is_contiguous() else t.contiguous()


# ---- views and conversions -------------------------------------------------------------
@formula("view_as_real")
def _view_as_real_backward(g, xs, st, diff):
    return {0: run(_view_as_complex, (_contiguous(g),))}


@formula("view_as_complex")
def _view_as_complex_backward(g, xs, st, diff):
    return {0: run(_view_as_real, (_contiguous(g).resolve_conj(),))}


@formula("conj")
def _conj(g, xs, st, diff):
    return {0: g.conj()}


@formula("conj_physical")
def _conj_physical(g, xs, st, diff):
    return {0: g.conj_physical()}


@formula("_neg_view")
def _neg_view(g, xs, st, diff):
    return {0: g.neg()}


@formula("complex")
def _complex(g, xs, st, diff):
    return {0: g.real if 0 in diff else None, 1: g.imag if 1 in diff else None}


@formula("polar")
def _polar(g, xs, st, diff):
    """torch's polar_backward: re(conj(grad) * sgn(result)) for abs, re(conj(grad) * result
    * 1j) for angle."""
    result, gc = forward("polar", xs, st), g.conj()
    return {0: (gc * result.sgn()).real if 0 in diff else None,
            1: (gc * mul_scalar(result, 1j)).real if 1 in diff else None}


@formula("angle")
def _angle(g, xs, st, diff):
    """torch's angle_backward: zeros (which depend on no input) for a real operand; for a
    complex one grad * z / |z|^2 * 1j, and 0 where z is 0."""
    x = xs[0]
    if not x.is_complex():
        return {0: zeros(tuple(x.shape), dtype=x.dtype)}
    out = mul_scalar(g * x / x.abs().pow(2), 1j)
    return {0: where(x.detach() == 0, zeros((), dtype=x.dtype), out)}


@complex_form("sgn")
def _sgn(g, xs, st, diff):
    """torch's sgn_backward: (grad - sgn^2 * conj(grad)) / (2 |z|), 0 where z is 0."""
    x = xs[0]
    s, a = x.sgn(), x.abs()
    return {0: ((g - s * s * g.conj()) / mul_scalar(a, 2.0)).masked_fill(a.detach() == 0, 0.0)}


# ---- arithmetic ------------------------------------------------------------------------
def _signed(s0, s1):
    """add / sub / rsub: the gradient, or its negation, for each operand."""
    def backward(g, xs, st, diff):
        a, b = xs
        return {0: r2c(a, g if s0 > 0 else -g) if 0 in diff else None,
                1: r2c(b, g if s1 > 0 else -g) if 1 in diff else None}
    return backward


complex_form("add")(_signed(1, 1))
complex_form("sub")(_signed(1, -1))
complex_form("rsub")(_signed(-1, 1))


def _alpha(sign):
    """torch: grad for self, grad * alpha.conj() for other (-grad for sub)."""
    def backward(g, xs, st, diff):
        a, b, alpha = xs
        return {0: r2c(a, g) if 0 in diff else None,
                1: r2c(b, times(g if sign > 0 else -g, conj(alpha))) if 1 in diff else None}
    return backward


complex_form("add_alpha")(_alpha(1))
complex_form("sub_alpha")(_alpha(-1))


@complex_form("mul")
def _mul(g, xs, st, diff):
    a, b = xs
    return {0: r2c(a, g * conj(b)) if 0 in diff else None,
            1: r2c(b, g * conj(a)) if 1 in diff else None}


@complex_form("div")
def _div(g, xs, st, diff):
    a, b = xs
    return {0: r2c(a, g / conj(b)) if 0 in diff else None,
            1: r2c(b, -g * conj((a / b) / b)) if 1 in diff else None}


@complex_form("pow_int", "pow_scalar")
def _pow(g, xs, st, diff):
    """torch's pow_backward: grad * (e * self^(e - 1)).conj(), zeros for e == 0."""
    a = xs[0]
    e = st["n"] if "n" in st else xs[1]
    if e == 0:
        return {0: zeros(tuple(a.shape), dtype=a.dtype)}
    return {0: r2c(a, g * mul_scalar(a.pow(e - 1), e).conj())}


# ---- unary functions: grad times the conjugated derivative ------------------------------
def _times_conj(derivative):
    def backward(g, xs, st, diff):
        return {0: g * derivative(xs[0]).conj()}
    return backward


for _name, _derivative in (("exp", lambda x: x.exp()), ("sin", lambda x: x.cos()),
                           ("sinh", lambda x: x.cosh()), ("cosh", lambda x: x.sinh())):
    complex_form(_name)(_times_conj(_derivative))


@complex_form("cos")
def _cos(g, xs, st, diff):
    return {0: g * -xs[0].sin().conj()}


@complex_form("log")
def _log(g, xs, st, diff):
    return {0: g.div(xs[0].conj())}


@complex_form("sqrt")
def _sqrt(g, xs, st, diff):
    return {0: g / mul_scalar(xs[0].sqrt().conj(), 2)}


@complex_form("reciprocal")
def _reciprocal(g, xs, st, diff):
    y = xs[0].reciprocal()
    return {0: -g * (y * y).conj()}


# torch's tanh_backward / sigmoid_backward kernels conjugate the derivative for complex
# dtypes (the nodes keep their names)
_tanh_backward = op("tanh_backward_complex", "TanhBackwardBackward0", dtypes="same")(
    lambda g, y: g * jnp.conj(1 - y * y))
_sigmoid_backward = op("sigmoid_backward_complex", "SigmoidBackwardBackward0", dtypes="same")(
    lambda g, y: g * jnp.conj((1 - y) * y))


@complex_form("tanh")
def _tanh(g, xs, st, diff):
    return {0: run(_tanh_backward, (g, xs[0].tanh()))}


@complex_form("sigmoid")
def _sigmoid(g, xs, st, diff):
    return {0: run(_sigmoid_backward, (g, xs[0].sigmoid()))}



@complex_form("expm1")
def _expm1(g, xs, st, diff):
    return {0: g * add_scalar(xs[0].expm1().conj(), 1)}


@complex_form("exp2")
def _exp2(g, xs, st, diff):
    return {0: mul_scalar(g * xs[0].exp2().conj(), math.log(2.0))}


@complex_form("tan")
def _tan(g, xs, st, diff):
    return {0: g * add_scalar(xs[0].tan().pow(2), 1).conj()}


@complex_form("log1p")
def _log1p(g, xs, st, diff):
    return {0: g / add_scalar(xs[0], 1).conj()}


def _log_base(base):
    def backward(g, xs, st, diff):
        return {0: g / mul_scalar(xs[0].conj(), math.log(base))}
    return backward


complex_form("log2")(_log_base(2.0))
complex_form("log10")(_log_base(10.0))


@complex_form("rsqrt")
def _rsqrt(g, xs, st, diff):
    return {0: mul_scalar(g, -0.5) * xs[0].rsqrt().pow(3).conj()}


def _one_minus_square(x):
    return add_scalar(-x * x, 1)  # torch's `-self * self + 1`


@complex_form("asin")
def _asin(g, xs, st, diff):
    return {0: g * _one_minus_square(xs[0]).rsqrt().conj()}


@complex_form("acos")
def _acos(g, xs, st, diff):
    return {0: g * -_one_minus_square(xs[0]).rsqrt().conj()}


@complex_form("atan")
def _atan(g, xs, st, diff):
    x = xs[0]
    return {0: g / add_scalar(x * x, 1).conj()}


@complex_form("asinh")
def _asinh(g, xs, st, diff):
    return {0: g * add_scalar(xs[0].pow(2), 1).rsqrt().conj()}


@complex_form("acosh")
def _acosh(g, xs, st, diff):
    """torch's complex form: grad * ((z + 1).rsqrt() * (z - 1).rsqrt()).conj()."""
    x = xs[0]
    return {0: g * (add_scalar(x, 1).rsqrt() * sub_scalar(x, 1).rsqrt()).conj()}


@complex_form("atanh")
def _atanh(g, xs, st, diff):
    return {0: mul_scalar(g, 1) / scalar_minus(1, xs[0].pow(2)).conj()}


@complex_form("sinc")
def _sinc(g, xs, st, diff):
    x = xs[0]
    xpi, x2pi = mul_scalar(x, math.pi), mul_scalar(x * x, math.pi)
    out = g * ((xpi * xpi.cos() - xpi.sin()) / x2pi).conj()
    return {0: where(x2pi.detach() == 0, zeros((), dtype=g.dtype), out)}


# ---- matrix products -------------------------------------------------------------------
@complex_form("mm")
def _mm(g, xs, st, diff):
    a, b = xs
    return {0: r2c(a, g.mm(b.t().conj())) if 0 in diff else None,
            1: r2c(b, a.t().conj().mm(g)) if 1 in diff else None}


@complex_form("addmm")
def _addmm(g, xs, st, diff):
    c, a, b, beta, alpha = xs
    return {0: r2c(c, times(g, conj(beta))) if 0 in diff else None,
            1: r2c(a, times(g.mm(b.t().conj()), conj(alpha))) if 1 in diff else None,
            2: r2c(b, times(a.t().conj().mm(g), conj(alpha))) if 2 in diff else None}


# formulas written for real operands only, whose complex forms are not written here: complex
# operands take the op's jax vjp as one node (values right, the node named as the forward's)
complex_form("prod", "logsumexp", "linear_mm", "linear_addmm", "normalize",
             "cosine_similarity", "pairwise_distance")(lambda g, xs, st, diff: None)
