"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule (torch's update)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .._tensor import Tensor, _wrap
from .optimizer import TRACES, Optimizer, hyper, lerp, new_step, zeros_like


@functools.partial(jax.jit, static_argnames=("maximize", "decoupled", "decay"))
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
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False) -> None:
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
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)

    def _update_group(self, group) -> None:
        params = self._with_grads(group)
        if not params:
            return
        states = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = new_step()
                state["mu_product"] = _wrap(jnp.ones((), state["step"]._data.dtype))
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
            states.append(state)
        beta1, beta2 = group["betas"]
        new = _nadam(
            [p._data for p in params], [p._grad._data for p in params],
            [s["exp_avg"]._data for s in states], [s["exp_avg_sq"]._data for s in states],
            [s["mu_product"]._data for s in states], [s["step"]._data for s in states],
            hyper(group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                  group["momentum_decay"]),
            maximize=bool(group["maximize"]),
            decoupled=bool(group["decoupled_weight_decay"]),
            decay=group["weight_decay"] != 0)
        keys = ("exp_avg", "exp_avg_sq", "mu_product", "step")
        for i, (p, state) in enumerate(zip(params, states)):
            p._set_data(new[0][i])
            for key, values in zip(keys, new[1:]):
                state[key]._set_data(values[i])
