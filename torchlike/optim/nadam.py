"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule (torch's update)."""
from __future__ import annotations

import functools

import jax.numpy as jnp

from .._compile import jit
from .._tensor import _wrap
from .optimizer import (
    TRACES,
    Optimizer,
    check_adam,
    check_nonnegative,
    hyper,
    lerp,
    new_step,
    zeros_like,
)


@functools.partial(jit, static_argnames=("maximize", "decoupled", "decay"))
def _nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, steps, hp, *, maximize,
           decoupled, decay):
    TRACES["nadam"] += 1  # runs only while tracing
    lr, beta1, beta2, eps, wd, psi = hp[0], hp[1], hp[2], hp[3], hp[4], hp[5]
    out = ([], [], [], [], [])
    for p, g, m, v, mp, s in zip(params, grads, exp_avgs, exp_avg_sqs, mu_products, steps):
        dt = p.dtype
        if maximize:
            g = -g
        s = s + 1
        step = s.astype(jnp.float64)
        bias_correction2 = 1 - beta2 ** step
        if decay:
            if decoupled:
                p = p * (1 - lr * wd).astype(dt)
            else:
                g = g + wd.astype(dt) * p
        # the momentum schedule mu_t, mu_{t+1} in doubles; the product is kept in the state's
        # dtype, as torch's `mu_product *= mu`
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        mp = mp * mu.astype(mp.dtype)
        m = lerp(m, g, (1 - beta1).astype(dt))
        v = v * beta2.astype(dt) + (1 - beta2).astype(dt) * g * g
        denom = jnp.sqrt(v / bias_correction2.astype(dt)) + eps.astype(dt)
        mp64 = mp.astype(jnp.float64)
        p = p + (-lr * (1.0 - mu) / (1.0 - mp64)).astype(dt) * g / denom
        p = p + ((-lr * mu_next) / (1.0 - mp64 * mu_next)).astype(dt) * m / denom
        for lst, x in zip(out, (p, m, v, mp, s)):
            lst.append(x)
    return out


class NAdam(Optimizer):
    _setstate_defaults = (("maximize", False), ("foreach", None), ("capturable", False),
                          ("differentiable", False), ("decoupled_weight_decay", False))

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False) -> None:
        check_adam(lr, betas, eps, weight_decay)
        check_nonnegative(momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        def init(p):
            step = new_step()
            return {"step": step, "mu_product": _wrap(jnp.ones((), step._data.dtype)),
                    "exp_avg": zeros_like(p), "exp_avg_sq": zeros_like(p)}
        states = self._states(params, init)
        beta1, beta2 = group["betas"]
        keys = ("exp_avg", "exp_avg_sq", "mu_product", "step")
        new = _nadam(
            *self._gather(params, states, keys),
            hyper(group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                  group["momentum_decay"]),
            maximize=bool(group["maximize"]),
            decoupled=bool(group["decoupled_weight_decay"]),
            decay=group["weight_decay"] != 0)
        self._write_back(params, states, new, keys)
