"""ASGD: averaged stochastic gradient descent (torch's update)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .._tensor import Tensor, _wrap
from .optimizer import TRACES, Optimizer, hyper, new_step, zeros_like


@functools.partial(jax.jit, static_argnames=("maximize", "decay"))
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
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def _update_group(self, group) -> None:
        params = self._with_grads(group)
        if not params:
            return
        states = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = new_step()
                dt = state["step"]._data.dtype
                state["eta"] = _wrap(jnp.asarray(float(group["lr"]), dt))
                state["mu"] = _wrap(jnp.ones((), dt))
                state["ax"] = zeros_like(p)
            states.append(state)
        new = _asgd(
            [p._data for p in params], [p._grad._data for p in params],
            [s["ax"]._data for s in states], [s["mu"]._data for s in states],
            [s["eta"]._data for s in states], [s["step"]._data for s in states],
            hyper(group["lr"], group["lambd"], group["alpha"], group["t0"],
                  group["weight_decay"]),
            maximize=bool(group["maximize"]), decay=group["weight_decay"] != 0)
        for i, (p, state) in enumerate(zip(params, states)):
            p._set_data(new[0][i])
            for key, values in zip(("ax", "mu", "eta", "step"), new[1:]):
                state[key]._set_data(values[i])
