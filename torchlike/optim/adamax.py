"""Adamax: Adam with the infinity norm in place of the second moment (torch's update)."""
from __future__ import annotations

import functools

import jax.numpy as jnp

from .._compile import jit
from .optimizer import (
    SETSTATE_FLAGS,
    TRACES,
    Optimizer,
    check_adam,
    hyper,
    lerp,
    new_step,
    zeros_like,
)


@functools.partial(jit, static_argnames=("maximize", "decay"))
def _adamax(params, grads, exp_avgs, exp_infs, steps, hp, *, maximize, decay):
    TRACES["adamax"] += 1  # runs only while tracing
    lr, beta1, beta2, eps, wd = hp[0], hp[1], hp[2], hp[3], hp[4]
    out = ([], [], [], [])
    for p, g, m, u, s in zip(params, grads, exp_avgs, exp_infs, steps):
        dt = p.dtype
        s = s + 1
        if maximize:
            g = -g
        if decay:
            g = g + wd.astype(dt) * p
        m = lerp(m, g, (1 - beta1).astype(dt))
        u = jnp.maximum(u * beta2.astype(dt), jnp.abs(g) + eps.astype(dt))
        # torch's bias correction: Python doubles from the step count
        clr = lr / (1 - beta1 ** s.astype(jnp.float64))
        p = p + (-clr).astype(dt) * m / u
        for lst, x in zip(out, (p, m, u, s)):
            lst.append(x)
    return out


class Adamax(Optimizer):
    _setstate_defaults = SETSTATE_FLAGS

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False,
                 capturable=False) -> None:
        check_adam(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        states = self._states(params, lambda p: {
            "step": new_step(), "exp_avg": zeros_like(p), "exp_inf": zeros_like(p)})
        beta1, beta2 = group["betas"]
        keys = ("exp_avg", "exp_inf", "step")
        new = _adamax(
            *self._gather(params, states, keys),
            hyper(group["lr"], beta1, beta2, group["eps"], group["weight_decay"]),
            maximize=bool(group["maximize"]), decay=group["weight_decay"] != 0)
        self._write_back(params, states, new, keys)
