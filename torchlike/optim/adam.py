"""Adam and AdamW (decoupled weight decay), with amsgrad and maximize (torch's update)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .optimizer import TRACES, Optimizer, hyper, lerp, new_step, zeros_like


@functools.partial(jax.jit, static_argnames=("amsgrad", "maximize", "decoupled", "decay"))
def _adam(params, grads, exp_avgs, exp_avg_sqs, max_sqs, steps, hp, *, amsgrad, maximize,
          decoupled, decay):
    TRACES["adam"] += 1  # runs only while tracing
    lr, beta1, beta2, eps, wd = hp[0], hp[1], hp[2], hp[3], hp[4]
    out = ([], [], [], [], [])
    for i, (p, g, m, v, s) in enumerate(zip(params, grads, exp_avgs, exp_avg_sqs, steps)):
        dt = p.dtype
        s = s + 1
        if maximize:
            g = -g
        if decay:
            if decoupled:
                p = p * (1 - lr * wd).astype(dt)
            else:
                g = g + wd.astype(dt) * p
        m = lerp(m, g, (1 - beta1).astype(dt))
        v = v * beta2.astype(dt) + (1 - beta2).astype(dt) * g * g
        # torch computes the bias corrections in Python doubles from the step count
        step = s.astype(jnp.float64)
        step_size = lr / (1 - beta1 ** step)
        bc2_sqrt = jnp.sqrt(1 - beta2 ** step)
        vmax = None
        if amsgrad:
            vmax = jnp.maximum(max_sqs[i], v)
            denom = jnp.sqrt(vmax) / bc2_sqrt.astype(dt) + eps.astype(dt)
        else:
            denom = jnp.sqrt(v) / bc2_sqrt.astype(dt) + eps.astype(dt)
        p = p + (-step_size).astype(dt) * m / denom
        for lst, x in zip(out, (p, m, v, vmax, s)):
            lst.append(x)
    return out


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False) -> None:
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
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)

    def _update_group(self, group) -> None:
        params = self._with_grads(group)
        if not params:
            return
        amsgrad = bool(group["amsgrad"])
        states = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = new_step()
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = zeros_like(p)
            states.append(state)
        beta1, beta2 = group["betas"]
        new = _adam(
            [p._data for p in params], [p._grad._data for p in params],
            [s["exp_avg"]._data for s in states], [s["exp_avg_sq"]._data for s in states],
            [s["max_exp_avg_sq"]._data for s in states] if amsgrad else [],
            [s["step"]._data for s in states],
            hyper(group["lr"], beta1, beta2, group["eps"], group["weight_decay"]),
            amsgrad=amsgrad, maximize=bool(group["maximize"]),
            decoupled=bool(group["decoupled_weight_decay"]),
            decay=group["weight_decay"] != 0)
        keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step")
        for i, (p, state) in enumerate(zip(params, states)):
            p._set_data(new[0][i])
            for key, values in zip(keys, new[1:]):
                if key != "max_exp_avg_sq" or amsgrad:
                    state[key]._set_data(values[i])


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
