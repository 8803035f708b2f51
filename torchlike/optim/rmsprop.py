"""RMSprop and Adagrad (torch's update rules)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .._tensor import _wrap
from .optimizer import TRACES, Optimizer, hyper, lerp, new_step, zeros_like


@functools.partial(jax.jit, static_argnames=("centered", "momentum_on", "maximize", "decay"))
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
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def _update_group(self, group) -> None:
        params = self._with_grads(group)
        if not params:
            return
        centered, momentum_on = bool(group["centered"]), group["momentum"] > 0
        states = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = new_step()
                state["square_avg"] = zeros_like(p)
                if momentum_on:
                    state["momentum_buffer"] = zeros_like(p)
                if centered:
                    state["grad_avg"] = zeros_like(p)
            states.append(state)
        new = _rmsprop(
            [p._data for p in params], [p._grad._data for p in params],
            [s["square_avg"]._data for s in states],
            [s["grad_avg"]._data for s in states] if centered else [],
            [s["momentum_buffer"]._data for s in states] if momentum_on else [],
            [s["step"]._data for s in states],
            hyper(group["lr"], group["alpha"], group["eps"], group["weight_decay"],
                  group["momentum"]),
            centered=centered, momentum_on=momentum_on, maximize=bool(group["maximize"]),
            decay=group["weight_decay"] != 0)
        for i, (p, state) in enumerate(zip(params, states)):
            p._set_data(new[0][i])
            state["square_avg"]._set_data(new[1][i])
            if centered:
                state["grad_avg"]._set_data(new[2][i])
            if momentum_on:
                state["momentum_buffer"]._set_data(new[3][i])
            state["step"]._set_data(new[4][i])


@functools.partial(jax.jit, static_argnames=("maximize", "decay"))
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
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p) -> dict:
        # the constructor's initial_accumulator_value, never a group's (as torch)
        state = self.state[p]
        state["step"] = new_step()
        state["sum"] = _wrap(jnp.full_like(p._data, self.defaults["initial_accumulator_value"]))
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def _update_group(self, group) -> None:
        params = self._with_grads(group)
        if not params:
            return
        # a group added later starts its state at its first step
        states = [self.state[p] or self._init_state(p) for p in params]
        new = _adagrad([p._data for p in params], [p._grad._data for p in params],
                       [s["sum"]._data for s in states], [s["step"]._data for s in states],
                       hyper(group["lr"], group["lr_decay"], group["weight_decay"],
                             group["eps"]),
                       maximize=bool(group["maximize"]), decay=group["weight_decay"] != 0)
        for i, (p, state) in enumerate(zip(params, states)):
            p._set_data(new[0][i])
            state["sum"]._set_data(new[1][i])
            state["step"]._set_data(new[2][i])
