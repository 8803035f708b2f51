"""RMSprop and Adagrad (torch's update rules)."""
from __future__ import annotations

import functools

import jax.numpy as jnp

from .._compile import jit
from .._tensor import _wrap
from .optimizer import TRACES, Optimizer, check_nonnegative, hyper, lerp, new_step, zeros_like


@functools.partial(jit, static_argnames=("centered", "momentum_on", "maximize", "decay"))
def _rmsprop(params, grads, square_avgs, grad_avgs, bufs, steps, hp, *, centered,
             momentum_on, maximize, decay):
    TRACES["rmsprop"] += 1  # runs only while tracing
    lr, alpha, eps, wd, momentum = hp[0], hp[1], hp[2], hp[3], hp[4]
    out = ([], [], [], [], [])
    for i, (p, g, sq, s) in enumerate(zip(params, grads, square_avgs, steps)):
        dt = p.dtype
        if maximize:
            g = -g
        if decay:
            g = g + wd.astype(dt) * p
        sq = sq * alpha.astype(dt) + (1 - alpha).astype(dt) * g * g
        ga = buf = None
        if centered:
            ga = lerp(grad_avgs[i], g, (1 - alpha).astype(dt))
            avg = jnp.sqrt(sq + (-1.0) * ga * ga)
        else:
            avg = jnp.sqrt(sq)
        avg = avg + eps.astype(dt)
        if momentum_on:
            buf = bufs[i] * momentum.astype(dt) + g / avg
            p = p + (-lr).astype(dt) * buf
        else:
            p = p + (-lr).astype(dt) * g / avg
        for lst, x in zip(out, (p, sq, ga, buf, s + 1)):
            lst.append(x)
    return out


class RMSprop(Optimizer):
    _setstate_defaults = (("momentum", 0), ("centered", False), ("foreach", None),
                          ("maximize", False), ("differentiable", False), ("capturable", False))

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False) -> None:
        check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                          alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        centered, momentum_on = bool(group["centered"]), group["momentum"] > 0

        def init(p):
            state = {"step": new_step(), "square_avg": zeros_like(p)}
            if momentum_on:
                state["momentum_buffer"] = zeros_like(p)
            if centered:
                state["grad_avg"] = zeros_like(p)
            return state
        states = self._states(params, init)
        keys = ("square_avg", "grad_avg" if centered else None,
                "momentum_buffer" if momentum_on else None, "step")
        new = _rmsprop(
            *self._gather(params, states, keys),
            hyper(group["lr"], group["alpha"], group["eps"], group["weight_decay"],
                  group["momentum"]),
            centered=centered, momentum_on=momentum_on, maximize=bool(group["maximize"]),
            decay=group["weight_decay"] != 0)
        self._write_back(params, states, new, keys)


@functools.partial(jit, static_argnames=("maximize", "decay"))
def _adagrad(params, grads, sums, steps, hp, *, maximize, decay):
    TRACES["adagrad"] += 1  # runs only while tracing
    lr, lr_decay, wd, eps = hp[0], hp[1], hp[2], hp[3]
    out = ([], [], [])
    for p, g, acc, s in zip(params, grads, sums, steps):
        dt = p.dtype
        s = s + 1
        if maximize:
            g = -g
        if decay:
            g = g + wd.astype(dt) * p
        clr = lr / (1 + (s.astype(jnp.float64) - 1) * lr_decay)
        acc = acc + g * g
        p = p + (-clr).astype(dt) * g / (jnp.sqrt(acc) + eps.astype(dt))
        for lst, x in zip(out, (p, acc, s)):
            lst.append(x)
    return out


class Adagrad(Optimizer):
    _setstate_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                          ("fused", None))

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None) -> None:
        check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            self._states(group["params"], self._new_state)

    def _new_state(self, p) -> dict:
        # the constructor's initial_accumulator_value, never a group's (as torch)
        return {"step": new_step(),
                "sum": _wrap(jnp.full_like(p._data, self.defaults["initial_accumulator_value"]))}

    def _update_group(self, group, params) -> None:
        # a group added later starts its state at its first step
        states = self._states(params, self._new_state)
        keys = ("sum", "step")
        new = _adagrad(*self._gather(params, states, keys),
                       hyper(group["lr"], group["lr_decay"], group["weight_decay"],
                             group["eps"]),
                       maximize=bool(group["maximize"]), decay=group["weight_decay"] != 0)
        self._write_back(params, states, new, keys)
