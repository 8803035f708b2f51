"""ASGD: averaged stochastic gradient descent (torch's update)."""
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


@functools.partial(jit, static_argnames=("maximize", "decay"))
def _asgd(params, grads, axs, mus, etas, steps, hp, *, maximize, decay):
    TRACES["asgd"] += 1  # runs only while tracing
    lr, lambd, alpha, t0, wd = hp[0], hp[1], hp[2], hp[3], hp[4]
    out = ([], [], [], [], [])
    for p, g, ax, mu, eta, s in zip(params, grads, axs, mus, etas, steps):
        dt = p.dtype
        if maximize:
            g = -g
        s = s + 1
        if decay:
            g = g + wd.astype(dt) * p
        eta64 = eta.astype(jnp.float64)
        p = p * (1 - lambd * eta64).astype(dt)
        p = p + (-eta64).astype(dt) * g
        # torch copies the parameter while mu is 1, and averages after
        ax = jnp.where(mu != 1, ax + (p - ax) * mu.astype(dt), p)
        step = s.astype(jnp.float64)
        eta = (lr / (1 + lambd * lr * step) ** alpha).astype(eta.dtype)
        mu = (1 / jnp.maximum(1.0, step - t0)).astype(mu.dtype)
        for lst, x in zip(out, (p, ax, mu, eta, s)):
            lst.append(x)
    return out


class ASGD(Optimizer):
    _setstate_defaults = SETSTATE_FLAGS

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False) -> None:
        check_nonnegative(lr=lr, weight_decay=weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        def init(p):
            step = new_step()
            dt = step._data.dtype
            return {"step": step, "eta": _wrap(jnp.asarray(float(group["lr"]), dt)),
                    "mu": _wrap(jnp.ones((), dt)), "ax": zeros_like(p)}
        states = self._states(params, init)
        keys = ("ax", "mu", "eta", "step")
        new = _asgd(
            *self._gather(params, states, keys),
            hyper(group["lr"], group["lambd"], group["alpha"], group["t0"],
                  group["weight_decay"]),
            maximize=bool(group["maximize"]), decay=group["weight_decay"] != 0)
        self._write_back(params, states, new, keys)
