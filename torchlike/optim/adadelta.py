"""Adadelta: step sizes from running averages of squared gradients and updates (torch's)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import TRACES, Optimizer, hyper, new_step, zeros_like


@functools.partial(jax.jit, static_argnames=("maximize", "decay"))
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
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
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
                state["square_avg"] = zeros_like(p)
                state["acc_delta"] = zeros_like(p)
            states.append(state)
        new = _adadelta(
            [p._data for p in params], [p._grad._data for p in params],
            [s["square_avg"]._data for s in states], [s["acc_delta"]._data for s in states],
            [s["step"]._data for s in states],
            hyper(group["lr"], group["rho"], group["eps"], group["weight_decay"]),
            maximize=bool(group["maximize"]), decay=group["weight_decay"] != 0)
        for i, (p, state) in enumerate(zip(params, states)):
            p._set_data(new[0][i])
            for key, values in zip(("square_avg", "acc_delta", "step"), new[1:]):
                state[key]._set_data(values[i])
