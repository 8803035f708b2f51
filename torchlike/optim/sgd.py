"""SGD with momentum, dampening, Nesterov, weight decay and maximize (torch's update rule)."""
from __future__ import annotations

import functools

from .._compile import jit
from .optimizer import TRACES, Optimizer, hyper


@functools.partial(jit, static_argnames=("momentum_on", "nesterov", "maximize", "decay"))
def _sgd(params, grads, bufs, hp, *, momentum_on, nesterov, maximize, decay):
    TRACES["sgd"] += 1  # runs only while tracing
    lr, momentum, dampening, wd = hp[0], hp[1], hp[2], hp[3]
    new_params, new_bufs = [], []
    for i, (p, g) in enumerate(zip(params, grads)):
        dt = p.dtype
        if maximize:
            g = -g
        if decay:
            g = g + wd.astype(dt) * p
        if momentum_on:
            b = bufs[i]
            b = g if b is None else b * momentum.astype(dt) + (1 - dampening).astype(dt) * g
            new_bufs.append(b)
            g = g + momentum.astype(dt) * b if nesterov else b
        new_params.append(p + (-lr).astype(dt) * g)
    return new_params, new_bufs


class SGD(Optimizer):
    _setstate_defaults = (("nesterov", False), ("maximize", False), ("foreach", None),
                          ("differentiable", False), ("fused", False))

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update_group(self, group, params) -> None:
        momentum_on = group["momentum"] != 0
        # torch keeps no state while momentum is off
        states = [self.state[p] for p in params] if momentum_on else []
        bufs = [s.get("momentum_buffer") for s in states]
        new = _sgd(
            [p._data for p in params], [p._grad._data for p in params],
            [None if b is None else b._data for b in bufs],
            hyper(group["lr"], group["momentum"], group["dampening"], group["weight_decay"]),
            momentum_on=momentum_on, nesterov=bool(group["nesterov"]),
            maximize=bool(group["maximize"]), decay=group["weight_decay"] != 0)
        self._write_back(params, states, new, ("momentum_buffer",))
