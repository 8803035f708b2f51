"""Adadelta: step sizes from running averages of squared gradients and updates (torch's)."""
from __future__ import annotations

import functools

import jax.numpy as jnp

from .._compile import jit
from .optimizer import (
    SETSTATE_FLAGS,
    TRACES,
    Optimizer,
    check_nonnegative,
    hyper,
    new_step,
    zeros_like,
)


@functools.partial(jit, static_argnames=("maximize", "decay"))
def _adadelta(params, grads, square_avgs, acc_deltas, steps, hp, *, maximize, decay):
    TRACES["adadelta"] += 1  # runs only while tracing
    lr, rho, eps, wd = hp[0], hp[1], hp[2], hp[3]
    out = ([], [], [], [])
    for p, g, sq, acc, s in zip(params, grads, square_avgs, acc_deltas, steps):
        dt = p.dtype
        if maximize:
            g = -g
        if decay:
            g = g + wd.astype(dt) * p
        sq = sq * rho.astype(dt) + (1 - rho).astype(dt) * g * g
        std = jnp.sqrt(sq + eps.astype(dt))
        delta = jnp.sqrt(acc + eps.astype(dt)) / std * g
        acc = acc * rho.astype(dt) + (1 - rho).astype(dt) * delta * delta
        p = p + (-lr).astype(dt) * delta
        for lst, x in zip(out, (p, sq, acc, s + 1)):
            lst.append(x)
    return out


class Adadelta(Optimizer):
    _setstate_defaults = SETSTATE_FLAGS

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False) -> None:
        check_nonnegative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative(eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        states = self._states(params, lambda p: {
            "step": new_step(), "square_avg": zeros_like(p), "acc_delta": zeros_like(p)})
        keys = ("square_avg", "acc_delta", "step")
        new = _adadelta(
            *self._gather(params, states, keys),
            hyper(group["lr"], group["rho"], group["eps"], group["weight_decay"]),
            maximize=bool(group["maximize"]), decay=group["weight_decay"] != 0)
        self._write_back(params, states, new, keys)
