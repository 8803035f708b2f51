"""RAdam: Adam with the variance of the adaptive learning rate rectified (torch's update)."""
from __future__ import annotations

import functools

import jax.numpy as jnp

from .._compile import jit
from .optimizer import TRACES, Optimizer, check_adam, hyper, lerp, new_step, zeros_like


@functools.partial(jit, static_argnames=("maximize", "decoupled", "decay"))
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
    _setstate_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                          ("decoupled_weight_decay", False), ("capturable", False))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False) -> None:
        check_adam(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        states = self._states(params, lambda p: {
            "step": new_step(), "exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)})
        beta1, beta2 = group["betas"]
        keys = ("exp_avg", "exp_avg_sq", "step")
        new = _radam(
            *self._gather(params, states, keys),
            hyper(group["lr"], beta1, beta2, group["eps"], group["weight_decay"]),
            maximize=bool(group["maximize"]),
            decoupled=bool(group["decoupled_weight_decay"]),
            decay=group["weight_decay"] != 0)
        self._write_back(params, states, new, keys)
