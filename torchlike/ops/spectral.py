"""Spectral and special-function ops: torch's three FFT primitives (_fft_c2c, _fft_r2c,
_fft_c2r; torch.fft composes the rest from them) and the torch.special functions that no
other family registers (i0/i1 and their scaled forms, erfcx, ndtr/ndtri/log_ndtr, entr,
xlog1py, polygamma, mvlgamma, zeta, bessel_j0/j1)."""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp
from jax.custom_derivatives import SymbolicZero

from ._common import BINARY_OVERLOADS, invalid_arguments
from .. import _dtype as D
from .._tensor import _SHORT
from ._bind import _make_inplace, method_only, public
from ._registry import in_float, op, promoted, run
from .compare import _t, not_impl, outable
from .extra import _sum_to
from .unary import in_double


# ---- FFT primitives ----------------------------------------------------------------------
# Statics: dim (tuple), norm (torch's fft_norm_mode: 0 none, 1 by_root_n, 2 by_n).
def _scale(y, sizes, norm):
    if norm == 0:
        return y
    n = math.prod(sizes)
    f = 1 / math.sqrt(n) if norm == 1 else 1 / n
    return y * jnp.asarray(f, y.real.dtype)


def _c2c(x, dim, norm, forward):
    y = jnp.fft.fftn(x, axes=dim) if forward else jnp.fft.ifftn(x, axes=dim, norm="forward")
    return _scale(y, [x.shape[d] for d in dim], norm)


def _r2c(x, dim, norm, onesided):
    y = jnp.fft.rfftn(x, axes=dim) if onesided else jnp.fft.fftn(x, axes=dim)
    return _scale(y, [x.shape[d] for d in dim], norm)


def _c2r(x, dim, norm, last_size):
    sizes = [x.shape[d] for d in dim[:-1]] + [last_size]
    return _scale(jnp.fft.irfftn(x, s=sizes, axes=dim, norm="forward"), sizes, norm)


def _to_complex(op_, operands, statics):
    return None, operands[0].dtype.to_complex()


fft_c2c = op("fft_c2c", "FftC2CBackward0", dtypes="same", saves=False)(_c2c)
fft_r2c = op("fft_r2c", "FftR2CBackward0", dtypes=_to_complex, saves=False)(_r2c)
fft_c2r = op("fft_c2r", "FftC2RBackward0", dtypes="real", saves=False)(_c2r)


def c2c(x, dim, norm: int, forward: bool):
    return run(fft_c2c, (x,), (("dim", tuple(dim)), ("norm", norm), ("forward", forward)))


def r2c(x, dim, norm: int, onesided: bool):
    return run(fft_r2c, (x,), (("dim", tuple(dim)), ("norm", norm), ("onesided", onesided)))


def c2r(x, dim, norm: int, last_size: int):
    return run(fft_c2r, (x,), (("dim", tuple(dim)), ("norm", norm),
                               ("last_size", int(last_size))))


# ---- special functions -------------------------------------------------------------------
def _unary(name, body, grad_fn, reject="c", kernel=None):
    """A floating unary op published as torch.special.<name> (and torch.<name> where
    torch has one); integer inputs go to the default float dtype."""
    o = op(name, grad_fn, dtypes="float")(in_float(body))
    kname = kernel or f"{name}_cpu"

    @outable
    def fn(input, *, out=None):
        if input.dtype.kind in reject:
            raise not_impl(kname, input.dtype)
        return run(o, (input,))
    fn.__name__ = name
    return fn


def _with_derivative(f, deriv):
    """f with torch's derivative formula deriv(x, f(x)) (where jax's is missing or differs
    at a point)."""
    @jax.custom_jvp
    def g(x):
        return f(x)

    @g.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        y = f(x)
        return y, deriv(x, y) * t
    return g


def _recip(x):
    return 1 / jnp.where(x == 0, 1, x)


_i0 = _with_derivative(jsp.i0, lambda x, y: jsp.i1(x))
_i0e = _with_derivative(jsp.i0e, lambda x, y: jsp.i1e(x) - jnp.sign(x) * y)
_i1e = _with_derivative(jsp.i1e, lambda x, y: jnp.where(
    x == 0, 0.5, jsp.i0e(x) - y * (jnp.sign(x) + _recip(x))))
_i1 = _with_derivative(jsp.i1, lambda x, y: jnp.where(x == 0, 0.5, jsp.i0(x) - y * _recip(x)))
_log_ndtr = _with_derivative(jsp.log_ndtr, lambda x, y: jnp.exp(-(y + x * x / 2)) / jnp.asarray(
    math.sqrt(2 * math.pi), x.dtype))


def _entr_value(x):
    # torch: -x log x for x > 0, 0 at 0, -inf below, nan stays nan
    safe = jnp.where(x > 0, x, 1)
    r = jnp.where(x > 0, -safe * jnp.log(safe), jnp.where(x == 0, 0, -jnp.inf))
    return jnp.where(jnp.isnan(x), x, r)


_entr = _with_derivative(_entr_value, lambda x, y: -(1 + jnp.log(x)))


# Cephes' rational approximations for J0 and J1, as torch's CPU kernels use them.
_J_PI4 = (0.785398163397448309615660845819875721, 2.356194490192344928846982537459627163)
_J = {  # order: (PP, PQ, QP, QQ, RP, RQ, squared zeros of the small-x factor)
    0: ((7.96936729297347051624e-04, 8.28352392107440799803e-02, 1.23953371646414299388e+00,
         5.44725003058768775090e+00, 8.74716500199817011941e+00, 5.30324038235394892183e+00,
         9.99999999999999997821e-01),
        (9.24408810558863637013e-04, 8.56288474354474431428e-02, 1.25352743901058953537e+00,
         5.47097740330417105182e+00, 8.76190883237069594232e+00, 5.30605288235394617618e+00,
         1.00000000000000000218e+00),
        (-1.13663838898469149931e-02, -1.28252718670509318512e+00, -1.95539544257735972385e+01,
         -9.32060152123768231369e+01, -1.77681167980488050595e+02,
         -1.47077505154951170175e+02, -5.14105326766599330220e+01,
         -6.05014350600728481186e+00),
        (6.43178256118178023184e+01, 8.56430025976980587198e+02, 3.88240183605401609683e+03,
         7.24046774195652478189e+03, 5.93072701187316984827e+03, 2.06209331660327847417e+03,
         2.42005740240291393179e+02),
        (-4.79443220978201773821e+09, 1.95617491946556577543e+12, -2.49248344360967716204e+14,
         9.70862251047306323952e+15),
        (4.99563147152651017219e+02, 1.73785401676374683123e+05, 4.84409658339962045305e+07,
         1.11855537045356834862e+10, 2.11277520115489217587e+12, 3.10518229857422583814e+14,
         3.18121955943204943306e+16, 1.71086294081043136091e+18),
        (5.78318596294678452118e+00, 3.04712623436620863991e+01)),
    1: ((7.62125616208173112003e-04, 7.31397056940917570436e-02, 1.12719608129684925192e+00,
         5.11207951146807644818e+00, 8.42404590141772420927e+00, 5.21451598682361504063e+00,
         1.00000000000000000254e+00),
        (5.71323128072548699714e-04, 6.88455908754495404082e-02, 1.10514232634061696926e+00,
         5.07386386128601488557e+00, 8.39985554327604159757e+00, 5.20982848682361821619e+00,
         9.99999999999999997461e-01),
        (5.10862594750176621635e-02, 4.98213872951233449420e+00, 7.58238284132545283818e+01,
         3.66779609360150777800e+02, 7.10856304998926107277e+02, 5.97489612400613639965e+02,
         2.11688757100572135698e+02, 2.52070205858023719784e+01),
        (7.42373277035675149943e+01, 1.05644886038262816351e+03, 4.98641058337653607651e+03,
         9.56231892404756170795e+03, 7.99704160447350683650e+03, 2.82619278517639096600e+03,
         3.36093607810698293419e+02),
        (-8.99971225705559398224e+08, 4.52228297998194034323e+11, -7.27494245221818276015e+13,
         3.68295732863852883286e+15),
        (6.20836478118054335476e+02, 2.56987256757748830383e+05, 8.35146791431949253037e+07,
         2.21511595479792499675e+10, 4.74914122079991414898e+12, 7.84369607876235854894e+14,
         8.95222336184627338078e+16, 5.32278620332680085395e+18),
        (1.46819706421238932572e+01, 4.92184563216946036703e+01)),
}


def _bessel_j(order):
    """J0 or J1 (torch has no derivative for them: the op records no grad_fn)."""
    pp, pq, qp, qq, rp, rq, zeros = _J[order]

    def body(x):
        def poly(c, v):
            return jnp.polyval(jnp.asarray(c, x.dtype), v)
        a = jnp.abs(x)
        x2 = a * a
        small = poly(rp, x2) / poly(rq, x2) * (x2 - zeros[0]) * (x2 - zeros[1])
        if order == 0:
            small = jnp.where(a < 1e-5, 1 - x2 / 4, small)
        else:
            small = small * a
        big_a = jnp.where(a <= 5, 6, a)  # keeps the unused branch finite
        w = 25 / (big_a * big_a)
        phase = big_a - jnp.asarray(_J_PI4[order], x.dtype)
        big = (poly(pp, w) / poly(pq, w) * jnp.cos(phase) - 5 / big_a * (poly(qp, w) / poly(
            qq, w)) * jnp.sin(phase)) * jnp.asarray(0.797884560802865355879892119868763737,
                                                      x.dtype) / jnp.sqrt(big_a)
        r = jnp.where(a <= 5, small, big)
        return r if order == 0 else jnp.sign(x) * r
    return body


i0 = _unary("i0", _i0, "I0Backward0", reject="c", kernel="i0_vml_cpu")
i0e = _unary("special_i0e", _i0e, "SpecialI0EBackward0", reject="c", kernel="i0e_cpu")
i1 = _unary("special_i1", _i1, "SpecialI1Backward0", reject="c", kernel="i1_cpu")
i1e = _unary("special_i1e", _i1e, "SpecialI1EBackward0", reject="c", kernel="i1e_cpu")
erfcx = _unary("special_erfcx", in_double(jsp.erfcx), "SpecialErfcxBackward0", reject="c",
               kernel="erfcx_cpu")
ndtri = _unary("special_ndtri", jsp.ndtri, "SpecialNdtriBackward0", reject="c",
               kernel="ndtri_cpu")
log_ndtr = _unary("special_log_ndtr", _log_ndtr, "SpecialLogNdtrBackward0", reject="c",
                  kernel="log_ndtr_cpu")
entr = _unary("special_entr", _entr, "SpecialEntrBackward0", reject="c", kernel="entr_cpu")
bessel_j0 = _unary("special_bessel_j0", _bessel_j(0), None, reject="c",
                   kernel="bessel_j0_cpu")
bessel_j1 = _unary("special_bessel_j1", _bessel_j(1), None, reject="c",
                   kernel="bessel_j1_cpu")
public("i0", inplace=True)(i0)


@outable
def ndtr(input, *, out=None):
    """torch's composite (1 + erf(x * M_SQRT1_2)) * 0.5, with its nodes and its values (0 in
    float32 far below the mean, where erf rounds to -1)."""
    from ..autograd.formulas import add_scalar, mul_scalar
    return mul_scalar(add_scalar(mul_scalar(input, math.sqrt(0.5)).erf(), 1), 0.5)


def _xlog1py_value(x, y):
    # torch: 0 where x == 0 (unless y is nan)
    return jnp.where(jnp.isnan(y), y, jnp.where(x == 0, 0, x * jnp.log1p(y)))


# torch's gradients, not the ones jax derives from the where()s: d/dx = xlog1py(grad, y), 0
# where x == 0 and y <= -1 (so 0 for a zero grad, even where log1p(y) is nan); d/dy =
# grad * x / (y + 1)
_xlog1py_body = jax.custom_vjp(_xlog1py_value)
_xlog1py_body.defvjp(lambda x, y: (_xlog1py_value(x, y), (x, y)), lambda res, g: (
    _sum_to(jnp.where((res[0] == 0) & (res[1] <= -1), 0, _xlog1py_value(g, res[1])),
            jnp.shape(res[0])),
    _sum_to(g * res[0] / (res[1] + 1), jnp.shape(res[1]))))


_xlog1py = op("special_xlog1py",
              lambda s, p: "SpecialXlog1PyBackward0" if p == "tt" else
              "SpecialXlog1PyBackward2" if p[0] == "t" else "SpecialXlog1PyBackward1",
              dtypes="float")(in_float(_xlog1py_body))


@outable
def xlog1py(input, other, *, out=None):
    if not _t(input) and not _t(other):
        raise invalid_arguments("special_xlog1py", (input, other), *BINARY_OVERLOADS)
    return run(_xlog1py, (input, other))


@functools.partial(jax.custom_jvp)
def _zeta_body(x, q):
    return jsp.zeta(x, q)


@functools.partial(_zeta_body.defjvp, symbolic_zeros=True)
def _(primals, tangents):
    # torch differentiates zeta in q only; d/dq zeta(x, q) = -x zeta(x + 1, q)
    (x, q), (tx, tq) = primals, tangents
    if not isinstance(tx, SymbolicZero):
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")
    return jsp.zeta(x, q), -x * jsp.zeta(x + 1, q) * tq


_zeta = op("special_zeta",
           lambda s, p: "SpecialZetaBackward0" if p == "tt" else
           "SpecialZetaBackward2" if p[0] == "t" else "SpecialZetaBackward1",
           dtypes="float")(in_float(lambda x, q: _zeta_body(x, q)))


@outable
def zeta(input, other, *, out=None):
    return run(_zeta, (input, other))


_polygamma = op("polygamma", "PolygammaBackward0", dtypes="float")(
    in_double(lambda x, n: jsp.digamma(x) if n == 0 else jsp.polygamma(n, x)))


@public(method=False)
@outable
def polygamma(n: int, input, *, out=None):
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if input.dtype.kind in "bc":
        raise not_impl("polygamma", input.dtype)
    return run(_polygamma, (input,), (("n", int(n)),))


_mvlgamma = op("mvlgamma", "MvlgammaBackward0", dtypes="float")(
    in_double(lambda x, p: jsp.multigammaln(x, p)))


@public()
@outable
def mvlgamma(input, p: int, *, out=None):
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if input.dtype.kind == "b":
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if input.dtype.kind == "c":
        raise not_impl("arange_cpu", input.dtype)  # (torch fails in building its sum's terms)
    return run(_mvlgamma, (input,), (("p", int(p)),))


_mvlgamma_ = _make_inplace(mvlgamma, "mvlgamma_")


@method_only("mvlgamma_")
def mvlgamma_(self, p: int):
    if self.dtype.kind in "iu":  # (torch names the two types this way round)
        raise RuntimeError(f"mvlgamma: result type {_SHORT[self.dtype.name]} can't be cast to "
                           f"the desired output type {_SHORT[D.get_default_dtype().name]}")
    return _mvlgamma_(self, p)


def _regularized_gamma(upper: bool):
    """P(a, x) (igamma) or Q(a, x) (igammac), differentiable in x only, as torch."""
    name = "igammac" if upper else "igamma"

    @jax.custom_jvp
    def body(a, x):
        return jsp.gammaincc(a, x) if upper else jsp.gammainc(a, x)

    @functools.partial(body.defjvp, symbolic_zeros=True)
    def _(primals, tangents):
        (a, x), (ta, tx) = primals, tangents
        if not isinstance(ta, SymbolicZero):
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        d = jnp.exp((a - 1) * jnp.log(x) - x - jsp.gammaln(a))  # torch's formula
        return body(a, x), (-d if upper else d) * tx
    return body


_igamma = op("igamma", "IgammaBackward0")(_regularized_gamma(False))
_igammac = op("igammac", "IgammacBackward0")(_regularized_gamma(True))


def _igamma_check(name, input, other):
    if not _t(input) or not _t(other):
        raise invalid_arguments(name, (input, other), *BINARY_OVERLOADS)
    common = promoted((input, other))
    if common.kind != "f":
        raise not_impl(f"{name}_cpu", common)


@public("igamma", inplace="igamma_")
def igamma(input, other, *, out=None):
    _igamma_check("igamma", input, other)
    return run(_igamma, (input, other))


@public("igammac", inplace="igammac_")
def igammac(input, other, *, out=None):
    _igamma_check("igammac", input, other)
    return run(_igammac, (input, other))
