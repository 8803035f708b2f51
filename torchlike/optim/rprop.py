"""Rprop: resilient backpropagation, per-element step sizes from gradient signs (torch's)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .._tensor import Tensor, _wrap
from .optimizer import TRACES, Optimizer, hyper, new_step, zeros_like


@functools.partial(jax.jit, static_argnames=("maximize",))
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
    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False,
                 differentiable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable,
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
                state["prev"] = zeros_like(p)
                state["step_size"] = _wrap(jnp.full_like(p._grad._data, float(group["lr"])))
            states.append(state)
        etaminus, etaplus = group["etas"]
        size_min, size_max = group["step_sizes"]
        new = _rprop(
            [p._data for p in params], [p._grad._data for p in params],
            [s["prev"]._data for s in states], [s["step_size"]._data for s in states],
            [s["step"]._data for s in states],
            hyper(etaminus, etaplus, size_min, size_max), maximize=bool(group["maximize"]))
        for i, (p, state) in enumerate(zip(params, states)):
            p._set_data(new[0][i])
            for key, values in zip(("prev", "step_size", "step"), new[1:]):
                state[key]._set_data(values[i])
