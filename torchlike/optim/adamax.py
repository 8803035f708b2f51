"""Adamax: Adam with the infinity norm in place of the second moment (torch's update)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import TRACES, Optimizer, hyper, lerp, new_step, zeros_like


@functools.partial(jax.jit, static_argnames=("maximize", "decay"))
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
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False,
                 capturable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
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
                state["exp_avg"] = zeros_like(p)
                state["exp_inf"] = zeros_like(p)
            states.append(state)
        beta1, beta2 = group["betas"]
        new = _adamax(
            [p._data for p in params], [p._grad._data for p in params],
            [s["exp_avg"]._data for s in states], [s["exp_inf"]._data for s in states],
            [s["step"]._data for s in states],
            hyper(group["lr"], beta1, beta2, group["eps"], group["weight_decay"]),
            maximize=bool(group["maximize"]), decay=group["weight_decay"] != 0)
        for i, (p, state) in enumerate(zip(params, states)):
            p._set_data(new[0][i])
            for key, values in zip(("exp_avg", "exp_inf", "step"), new[1:]):
                state[key]._set_data(values[i])
