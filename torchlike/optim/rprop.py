"""Rprop: resilient backpropagation, per-element step sizes from gradient signs (torch's)."""
from __future__ import annotations

import functools

import jax.numpy as jnp

from .._compile import jit
from .._tensor import _wrap
from .optimizer import (
    SETSTATE_FLAGS,
    TRACES,
    Optimizer,
    check_nonnegative,
    hyper,
    new_step,
    zeros_like,
)


@functools.partial(jit, static_argnames=("maximize",))
def _rprop(params, grads, prevs, step_sizes, steps, hp, *, maximize):
    TRACES["rprop"] += 1  # runs only while tracing
    etaminus, etaplus, size_min, size_max = hp[0], hp[1], hp[2], hp[3]
    out = ([], [], [], [])
    for p, g, prev, size, s in zip(params, grads, prevs, step_sizes, steps):
        dt = p.dtype
        if maximize:
            g = -g
        em, ep = etaminus.astype(dt), etaplus.astype(dt)
        sign = jnp.sign(g * prev)
        # torch's masked writes: a nan sign stays nan
        sign = jnp.where(sign > 0, ep, jnp.where(sign < 0, em, jnp.where(sign == 0, 1, sign)))
        size = jnp.clip(size * sign, size_min.astype(dt), size_max.astype(dt))
        # where the sign flipped, no step now and no sign memory for the next one
        g = jnp.where(sign == em, 0, g)
        p = p + -jnp.sign(g) * size
        for lst, x in zip(out, (p, g, size, s + 1)):
            lst.append(x)
    return out


class Rprop(Optimizer):
    _setstate_defaults = SETSTATE_FLAGS

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False,
                 differentiable=False) -> None:
        check_nonnegative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        states = self._states(params, lambda p: {
            "step": new_step(), "prev": zeros_like(p),
            "step_size": _wrap(jnp.full_like(p._grad._data, float(group["lr"])))})
        etaminus, etaplus = group["etas"]
        size_min, size_max = group["step_sizes"]
        keys = ("prev", "step_size", "step")
        new = _rprop(
            *self._gather(params, states, keys),
            hyper(etaminus, etaplus, size_min, size_max), maximize=bool(group["maximize"]))
        self._write_back(params, states, new, keys)
