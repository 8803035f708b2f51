"""Samplers with tensor parameters: torch.normal(mean, std), poisson, binomial, _standard_gamma
(with its reparameterized gradient, _standard_gamma_grad) and _sample_dirichlet.

The draws are torch's (torchlike._random_sequential, torchlike._random); the values are made on
the host, in torch's order of roundings, and recorded as graph nodes with torch's names: normal
and poisson have zero gradients, _standard_gamma has Gamma's reparameterized one, and
_sample_dirichlet and binomial raise on backward as torch does ("NotImplemented" nodes).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.scipy.special import digamma

from .. import _bounds
from .. import _device
from .. import _dtype as D
from .. import _random_sequential as _seq
from .._random import rng
from .._tensor import _SHORT, Tensor, _wrap
from ._bind import public
from ._registry import op, run


def _no_derivative(aten: str):
    """(parameter, drawn) -> drawn, whose backward raises torch's error."""
    @jax.custom_vjp
    def sampled(param, drawn):
        return drawn

    def bwd(_, g):
        raise RuntimeError(f"derivative for aten::{aten} is not implemented")

    sampled.defvjp(lambda param, drawn: (drawn, None), bwd)
    return sampled


def _need_float(kernel, *tensors):
    for t in tensors:
        if t.dtype.kind != "f":
            raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                      f"'{_SHORT[t.dtype.name]}'")


# ---- normal(mean, std) -------------------------------------------------------------------
def _normal_name(statics, pattern):
    if pattern[0] == "t":
        return "NormalBackward3" if pattern[1] == "t" else "NormalBackward1"
    return "NormalBackward2"


_normal = op("normal", _normal_name, promote=(2,), saves=False)(
    lambda m, s, drawn: lax.stop_gradient(drawn))


@public(method=False)
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           layout=None, device=None, requires_grad=False):
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        from .._creation import _meta_or_checked, _place, _where
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
        shape, where = _bounds.size((size,)), _where(device)
        made = _meta_or_checked(shape, dt, where, requires_grad)
        if made is not None:
            return made
        return _place(rng(generator).normal(shape, dt.np, mean, std), where, requires_grad)
    if st and (np.asarray(std._data) < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not st and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    from .shape import broadcast_shape
    shape = broadcast_shape(mean.shape if mt else (), std.shape if st else ())
    dt = (mean if mt else std).dtype.np
    g = rng(generator)
    # torch: normal_(0, std) then add_(mean) for a number std; else normal_(0, 1), mul_(std),
    # add_(mean), each in place in the output's dtype
    if not st:
        drawn = g.normal(shape, dt, 0.0, std) + np.asarray(mean._data)
    else:
        drawn = (g.normal(shape, dt) * np.asarray(std._data)).astype(dt)
        drawn = drawn + (np.asarray(mean._data) if mt else np.asarray(mean, dt))
    return run(_normal, (mean, std, _wrap(_device.as_array(drawn.astype(dt)))))


# ---- poisson, binomial, _sample_dirichlet ---------------------------------------------------
_poisson = op("poisson", "PoissonBackward0", dtypes="same", saves=False, edges=(0,))(
    lambda rates, drawn: lax.stop_gradient(drawn))


@public(method=False)
def poisson(input, generator=None):
    _need_float("poisson_cpu", input)
    lam = np.asarray(input._data, np.float64)
    if not (lam >= 0).all():  # (nan too)
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    drawn = _seq.poisson(rng(generator), lam).astype(input.dtype.np)
    return run(_poisson, (input, _wrap(_device.as_array(drawn))))


_binomial = op("binomial", "NotImplemented", promote=(2,), saves=False)(
    lambda count, prob, drawn: _no_derivative("binomial")(count + prob, drawn))


@public(method=False)
def binomial(count, prob, generator=None):
    if count.dtype.kind != "f":
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{_SHORT[count.dtype.name]}")
    if prob.dtype.kind != "f":
        raise ValueError(f"binomial only supports floating-point dtypes for prob, got: "
                         f"{_SHORT[prob.dtype.name]}")
    _need_float("binomial_cpu", count)
    drawn = _seq.binomial(rng(generator), np.asarray(count._data), np.asarray(prob._data))
    return run(_binomial, (count, prob, _wrap(_device.as_array(drawn.astype(count.dtype.np)))))


_dirichlet = op("_sample_dirichlet", "NotImplemented", dtypes="same", saves=False, edges=(0,))(
    lambda alpha, drawn: _no_derivative("_sample_dirichlet")(alpha, drawn))


@public(method=False)
def _sample_dirichlet(input, generator=None):
    _need_float("dirichlet", input)
    drawn = _seq.sample_dirichlet(rng(generator), np.asarray(input._data))
    return run(_dirichlet, (input, _wrap(_device.as_array(np.array(drawn)))))


# ---- _standard_gamma and its gradient -----------------------------------------------------
_F = lambda v: float(np.float32(v))  # noqa: E731  (the kernel's float literals, in double)
_COEF_UV = np.array([
    [0.16009398, -0.094634809, 0.025146376, -0.0030648343,
     1, 0.32668115, 0.10406089, 0.0014179084],
    [0.53487893, 0.1298071, 0.065735949, -0.0015649758,
     0.16639465, 0.020070113, -0.0035938915, -0.00058392623],
    [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
     0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07]])


def _gamma_grad64(alpha, x):
    """standard_gamma_grad_one in double: -(d/dalpha cdf(x; alpha)) / pdf(x; alpha), from a
    Taylor series (small x), Rice's saddle point expansion (large alpha) or a bivariate
    rational approximation."""
    numer, denom = jnp.ones_like(x), alpha
    series1, series2 = numer / denom, numer / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-x / i)
        denom = denom + 1
        series1 = series1 + numer / denom
        series2 = series2 + numer / (denom * denom)
    pow_x_alpha = x ** alpha
    pdf = x ** (alpha - 1) * jnp.exp(-x)
    cdf_alpha = (jnp.log(x) - digamma(alpha)) * (pow_x_alpha * series1) - pow_x_alpha * series2
    small = -cdf_alpha / pdf
    small = jnp.where(jnp.isnan(small), 0.0, small)

    near = ((1 + 24 * alpha * (1 + 12 * alpha))
            * (1440 * (alpha * alpha) + 6 * x * (53 - 120 * x) - 65 * x * x / alpha
               + alpha * (107 + 3600 * x))
            / (1244160 * (alpha * alpha) * (alpha * alpha)))
    root = jnp.sqrt(8 * alpha)
    term2 = root / (alpha - x)
    term3 = (x - alpha - alpha * jnp.log(x / alpha)) ** -1.5
    term23 = jnp.where(x < alpha, term2 - term3, term2 + term3)
    term1 = (jnp.log(x / alpha) * term23
             - jnp.sqrt(2 / alpha) * (alpha + x) / ((alpha - x) * (alpha - x)))
    stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
    far = -stirling * (x * term1) / root

    u, v = jnp.log(x / alpha), jnp.log(alpha)
    cv = [_COEF_UV[0, i] + u * (_COEF_UV[1, i] + u * _COEF_UV[2, i]) for i in range(8)]
    p = cv[0] + v * (cv[1] + v * (cv[2] + v * cv[3]))
    q = cv[4] + v * (cv[5] + v * (cv[6] + v * cv[7]))
    rational = jnp.exp(p / q)

    mid = (_F(0.9) * alpha <= x) & (x <= _F(1.1) * alpha)
    return jnp.where(x < _F(0.8), small,
                     jnp.where(alpha > 8, jnp.where(mid, near, far), rational))


def _gamma_grad(alpha, x):
    return _gamma_grad64(alpha.astype(jnp.float64), x.astype(jnp.float64)).astype(alpha.dtype)


_gamma_grad_op = op("_standard_gamma_grad", "StandardGammaGradBackward0", dtypes="same",
                    saves=False)(
    lambda alpha, x: _no_derivative("_standard_gamma_grad")(alpha, _gamma_grad(alpha, x)))


@public(method=False)
def _standard_gamma_grad(input, output):
    return run(_gamma_grad_op, (input, output))


@jax.custom_vjp
def _gamma_sampled(alpha, drawn):
    return drawn


def _gamma_bwd(res, g):
    alpha, drawn = res
    return g * _gamma_grad(alpha, drawn), jnp.zeros_like(drawn)


_gamma_sampled.defvjp(lambda alpha, drawn: (drawn, (alpha, drawn)), _gamma_bwd)
_gamma = op("_standard_gamma", "StandardGammaBackward0", dtypes="same", saves=False,
            edges=(0,))(_gamma_sampled)


@public(method=False)
def _standard_gamma(input, generator=None):
    _need_float("gamma_cpu", input)
    drawn = _seq.standard_gamma(rng(generator), np.asarray(input._data))
    return run(_gamma, (input, _wrap(_device.as_array(np.array(drawn)))))
