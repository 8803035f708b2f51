"""RAdam: Adam with the variance of the adaptive learning rate rectified (torch's update)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import TRACES, Optimizer, hyper, lerp, new_step, zeros_like


@functools.partial(jax.jit, static_argnames=("maximize", "decoupled", "decay"))
def _radam(params, grads, exp_avgs, exp_avg_sqs, steps, hp, *, maximize, decoupled, decay):
    TRACES["radam"] += 1  # runs only while tracing
    lr, beta1, beta2, eps, wd = hp[0], hp[1], hp[2], hp[3], hp[4]
    out = ([], [], [], [])
    for p, g, m, v, s in zip(params, grads, exp_avgs, exp_avg_sqs, steps):
        dt = p.dtype
        if maximize:
            g = -g
        s = s + 1
        step = s.astype(jnp.float64)
        if decay:
            if decoupled:
                p = p * (1 - lr * wd).astype(dt)
            else:
                g = g + wd.astype(dt) * p
        m = lerp(m, g, (1 - beta1).astype(dt))
        v = v * beta2.astype(dt) + (1 - beta2).astype(dt) * g * g
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        corrected = m / bias_correction1.astype(dt)
        # the length of the approximated simple moving average, its maximum, and the
        # rectification term (Python doubles in torch)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
        rect = jnp.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        # torch's `scalar / tensor` is `tensor.reciprocal() * scalar`
        adaptive = (1 / (jnp.sqrt(v) + eps.astype(dt))) * jnp.sqrt(bias_correction2).astype(dt)
        rectified = corrected * lr.astype(dt) * adaptive * rect.astype(dt)
        p = p - jnp.where(rho_t > 5.0, rectified, corrected * lr.astype(dt))
        for lst, x in zip(out, (p, m, v, s)):
            lst.append(x)
    return out


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False) -> None:
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
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
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
                state["exp_avg_sq"] = zeros_like(p)
            states.append(state)
        beta1, beta2 = group["betas"]
        new = _radam(
            [p._data for p in params], [p._grad._data for p in params],
            [s["exp_avg"]._data for s in states], [s["exp_avg_sq"]._data for s in states],
            [s["step"]._data for s in states],
            hyper(group["lr"], beta1, beta2, group["eps"], group["weight_decay"]),
            maximize=bool(group["maximize"]),
            decoupled=bool(group["decoupled_weight_decay"]),
            decay=group["weight_decay"] != 0)
        for i, (p, state) in enumerate(zip(params, states)):
            p._set_data(new[0][i])
            for key, values in zip(("exp_avg", "exp_avg_sq", "step"), new[1:]):
                state[key]._set_data(values[i])
