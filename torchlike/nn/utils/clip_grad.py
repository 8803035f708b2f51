"""Gradient clipping: one jitted function over all gradients (max_norm / clip_value are
run-time arguments, so changing them never recompiles)."""
from __future__ import annotations

import functools
import math
import types
import warnings

import jax.numpy as jnp

from ..._compile import jit
from ..._tensor import Tensor, _wrap


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad for p in parameters if p._grad is not None]


def _norm(x, p):
    a = jnp.abs(x)
    if p == math.inf:
        return jnp.max(a)
    if p == -math.inf:
        return jnp.min(a)
    if p == 2:
        return jnp.sqrt(jnp.sum(x * x))
    if p == 0:
        return jnp.sum(a != 0).astype(x.dtype)
    return jnp.sum(a ** p) ** (1.0 / p)


@functools.partial(jit, static_argnames=("norm_type",))
def _total_norm(grads, norm_type):
    return _norm(jnp.stack([_norm(g, norm_type) for g in grads]), norm_type)


@jit
def _scale(grads, max_norm, total):
    coef = jnp.minimum(max_norm / (total + 1e-6), 1.0).astype(total.dtype)
    return [g * coef.astype(g.dtype) for g in grads]


@jit
def _clamp(grads, clip_value):
    return [jnp.clip(g, -clip_value.astype(g.dtype), clip_value.astype(g.dtype)) for g in grads]


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The norm of the norms of `tensors` (all treated as one vector)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if not tensors:
        return _wrap(jnp.zeros((), jnp.float32))
    total = _total_norm([t._data for t in tensors], float(norm_type))
    if error_if_nonfinite and not bool(jnp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {float(norm_type)} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return _wrap(total)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor,
                          foreach=None) -> None:
    grads = _grads(parameters)
    if not grads:
        return
    new = _scale([g._data for g in grads], jnp.asarray(float(max_norm), jnp.float64),
                 total_norm._data)
    for g, n in zip(grads, new):
        g._set_data(n)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale gradients in place so their total norm is at most max_norm; returns the norm."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient to [-clip_value, clip_value] in place."""
    grads = _grads(parameters)
    if not grads:
        return
    new = _clamp([g._data for g in grads], jnp.asarray(float(clip_value), jnp.float64))
    for g, n in zip(grads, new):
        g._set_data(n)
