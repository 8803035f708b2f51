"""torch._dirichlet_grad, on the host: the reparameterized gradient of a Dirichlet sample x
with respect to its concentration alpha (total = the concentrations' sum), scaled as
-(d/dalpha cdf(x; alpha, total - alpha)) / pdf(x) / (1 - x).

torch's CPU kernel picks one of four approximations per element (Taylor series near x = 0 and
x = 1, a saddle-point expansion when both Beta parameters are large, a fitted rational
correction otherwise); this follows it branch for branch, in its precisions: for float32 the
series run in float32 and the rest in float64, as ATen's dirichlet_grad_one<float, double>,
with the C library's log and pow (numpy's vectorized ones differ in the last bit, which the
series' cancellations magnify).
"""
from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

import torchlike as torch

_PSI_10 = 2.25175258906672110764
_DIGAMMA_ASYMPTOTIC = (8.33333333333333333333E-2, -2.10927960927960927961E-2,
                       7.57575757575757575758E-3, -4.16666666666666666667E-3,
                       3.96825396825396825397E-3, -8.33333333333333333333E-3,
                       8.33333333333333333333E-2)
# the rational correction's coefficients: [numerator, denominator][power of u][power of a]
# [power of b], fitted by torch's authors
_RATIONAL = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]],
])


def _libm_ufuncs():
    """log and pow of the C library, as ufuncs for float32 (logf, powf) and float64 arrays;
    numpy's where no C library is found."""
    name = ctypes.util.find_library("m")
    if name is None:
        return {}
    libm = ctypes.CDLL(name)
    found = {}
    for fn, ctype, nargs, dtype in (("logf", ctypes.c_float, 1, np.float32),
                                    ("powf", ctypes.c_float, 2, np.float32),
                                    ("log", ctypes.c_double, 1, np.float64),
                                    ("pow", ctypes.c_double, 2, np.float64)):
        c = getattr(libm, fn)
        c.restype, c.argtypes = ctype, [ctype] * nargs
        found[fn.rstrip("f"), np.dtype(dtype)] = np.frompyfunc(c, nargs, 1)
    return found


_LIBM = _libm_ufuncs()


def _log(x: np.ndarray) -> np.ndarray:
    fn = _LIBM.get(("log", x.dtype))
    return np.log(x) if fn is None or not x.size else fn(x).astype(x.dtype)


def _pow(x: np.ndarray, y) -> np.ndarray:
    fn = _LIBM.get(("pow", x.dtype))
    return np.power(x, y) if fn is None or not x.size else fn(x, y).astype(x.dtype)


def _digamma(x: np.ndarray) -> np.ndarray:
    """ATen's digamma_one: the recurrence up to 10, then the asymptotic series; the steps on x
    in x's precision, the sum in float64, the result rounded to x's precision."""
    x = x.copy()
    scalar = x.dtype.type
    extra = np.zeros(x.shape, np.float64)
    negative = x < 0
    extra[negative] = -np.pi / np.tan(scalar(np.pi) * x[negative])
    x[negative] = 1 - x[negative]
    result = np.zeros(x.shape, np.float64)
    low = x < 10
    while low.any():
        result[low] -= 1 / x[low]
        x[low] += 1
        low = x < 10
    z = 1.0 / (x * x).astype(np.float64)
    poly = np.full(x.shape, _DIGAMMA_ASYMPTOTIC[0])
    for coef in _DIGAMMA_ASYMPTOTIC[1:]:
        poly = poly * z + coef
    y = np.where(x < 1e17, z * poly, 0.0)
    out = result + _log(x) - (scalar(0.5) / x) - y + extra
    out = np.where(x == 10, result + _PSI_10 + extra, out)
    pole = (x == 0) | (negative & (x == np.floor(x)))
    return np.where(pole, np.inf, out).astype(x.dtype)


def _alpha_small(x, alpha, beta):
    """Taylor series for x near 0 (x's precision)."""
    one = x.dtype.type(1)
    factor = _digamma(alpha) - _digamma(alpha + beta) - _log(x)
    numer = np.ones_like(x)
    series = numer / alpha * (factor + one / alpha)
    for i in range(1, 11):
        i = x.dtype.type(i)
        numer = numer * ((i - beta) * x / i)
        denom = alpha + i
        series = series + numer / denom * (factor + one / denom)
    result = x * _pow(1 - x, -beta) * series
    return np.where(np.isnan(result), 0, result)


def _beta_small(x, alpha, beta):
    """Taylor series (in the other Beta parameter) for x near 0 (x's precision)."""
    factor = _digamma(alpha + beta) - _digamma(beta)
    numer, betas, dbetas = np.ones_like(x), np.ones_like(x), np.zeros_like(x)
    series = factor / alpha
    for i in range(1, 9):
        i = x.dtype.type(i)
        numer = numer * (-x / i)
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series = series + numer / (alpha + i) * (dbetas + factor * betas)
    result = -_pow(1 - x, 1 - beta) * series
    return np.where(np.isnan(result), 0, result)


def _alpha_mid(x, alpha, beta):
    """Rice saddle-point expansion for large alpha and beta (float64)."""
    total = alpha + beta
    mean = alpha / total
    std = np.sqrt(alpha * beta / (total + 1)) / total
    b2 = beta * beta
    poly = 47 * x * b2 * b2 + alpha * (
        (43 + 20 * (16 + 27 * beta) * x) * b2 * beta + alpha * (
            3 * (59 + 180 * beta - 90 * x) * b2 + alpha * (
                (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (
                    8 * (1 - x) * (135 * beta - 11)))))
    near_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
    near_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
    near = near_num / (1 - x) * poly / near_den  # at the mean, where the series is singular
    prefactor = -x / np.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha))
                * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    axbx = alpha * (x - 1) + beta * x
    term1 = ((2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * b2)
             / (np.sqrt(2 * alpha / beta) * _pow(total, 1.5) * axbx * axbx))
    term2 = 0.5 * _log(alpha / (total * x))
    term3 = np.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
    term4 = _pow(beta * _log(beta / (total * (1 - x)))
                 + alpha * _log(alpha / (total * x)), -1.5)
    far = stirling * prefactor * (term1 + term2 * (term3 + np.where(x < mean, term4, -term4)))
    return np.where((mean - 0.1 * std <= x) & (x <= mean + 0.1 * std), near, far)


def _rational(x, alpha, total, x_, alpha_, total_, beta_):
    """The fitted rational correction to x (digamma(total) - digamma(alpha)) / beta."""
    u = _log(x_)
    a = _log(alpha_) - u
    b = _log(total_) - a
    p = np.zeros_like(x_)
    q = np.zeros_like(x_)
    for i, pu in enumerate((1, u, u * u)):
        for j, pa in enumerate((1, a, a * a)):
            ua = pu * pa
            cp, cq = _RATIONAL[0, i, j], _RATIONAL[1, i, j]
            p = p + ua * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
            q = q + ua * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
    # digamma_one takes x's precision: total_ and alpha_ are rounded to it first
    approx = x_ * (_digamma(total) - _digamma(alpha)).astype(np.float64) / beta_
    return p / q * approx


def dirichlet_grad(x, alpha, total):
    """torch._dirichlet_grad(x, alpha, total) (see the module docstring)."""
    shape = torch.broadcast_shapes(x.shape, alpha.shape, total.shape)
    xs, al, tot = (np.broadcast_to(t.detach().cpu().numpy(), shape).ravel()
                   for t in (x, alpha, total))
    x_, alpha_, total_ = (v.astype(np.float64) for v in (xs, al, tot))
    beta, beta_ = tot - al, total_ - alpha_
    boundary = tot * xs * (1 - xs)
    near0 = (xs <= 0.5) & (boundary < 2.5)
    near1 = ~near0 & (xs >= 0.5) & (boundary < 0.75)
    large = ~near0 & ~near1 & (al > 6) & (beta > 6)
    other = ~(near0 | near1 | large)
    out = np.empty(xs.shape, xs.dtype)
    with np.errstate(all="ignore"):
        out[near0] = _alpha_small(xs[near0], al[near0], beta[near0])
        out[near1] = -_beta_small(1 - xs[near1], beta[near1], al[near1])
        out[large] = _alpha_mid(x_[large], alpha_[large], beta_[large])
        out[other] = _rational(xs[other], al[other], tot[other], x_[other], alpha_[other],
                               total_[other], beta_[other])
    return torch.as_tensor(out.reshape(shape), device=x.device)
