"""Adam and AdamW (decoupled weight decay), with amsgrad and maximize (torch's update)."""
from __future__ import annotations

import functools

import jax.numpy as jnp

from .._compile import jit
from .optimizer import TRACES, Optimizer, check_adam, hyper, lerp, new_step, zeros_like


@functools.partial(jit, static_argnames=("amsgrad", "maximize", "decoupled", "decay"))
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
    _setstate_defaults = (("amsgrad", False), ("maximize", False), ("foreach", None),
                          ("capturable", False), ("differentiable", False),
                          ("decoupled_weight_decay", False), ("fused", None))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False) -> None:
        check_adam(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        amsgrad = bool(group["amsgrad"])

        def init(p):
            state = {"step": new_step(), "exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}
            if amsgrad:
                state["max_exp_avg_sq"] = zeros_like(p)
            return state
        states = self._states(params, init)
        beta1, beta2 = group["betas"]
        keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq" if amsgrad else None, "step")
        new = _adam(
            *self._gather(params, states, keys),
            hyper(group["lr"], beta1, beta2, group["eps"], group["weight_decay"]),
            amsgrad=amsgrad, maximize=bool(group["maximize"]),
            decoupled=bool(group["decoupled_weight_decay"]),
            decay=group["weight_decay"] != 0)
        self._write_back(params, states, new, keys)


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
