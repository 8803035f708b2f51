"""Optimizer base: param_groups, per-parameter state, state_dict in torch's format, zero_grad,
step hooks. A subclass writes `_update_group(group, params)` for a group's parameters that have
gradients: gather their arrays and states (`_states`), call ONE jitted update over all of them
(hyperparameters as run-time arguments), write the results back with `_write_back`."""
from __future__ import annotations

import functools
import warnings
from collections import Counter, OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap
from ..autograd import grad_mode
from ..nn.modules._utils import RemovableHandle, typename, zero_grads

# How often each jitted update was traced (= compiled): a new structure or dtype retraces, a
# new learning rate must not. Tests read it.
TRACES: Counter = Counter()


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def hyper(*values) -> np.ndarray:
    """Hyperparameters as one float64 argument of the jitted update (never baked in)."""
    return np.array([float(v) for v in values], np.float64)


def new_step() -> Tensor:
    """state['step']: a scalar tensor of the default float dtype, as torch keeps it."""
    return _wrap(jnp.zeros((), D.get_default_dtype().np))


def zeros_like(p: Tensor) -> Tensor:
    return _wrap(jnp.zeros_like(p._data))


# the options most optimizers' __setstate__ fills, in their torch order
SETSTATE_FLAGS = (("foreach", None), ("maximize", False), ("differentiable", False),
                  ("capturable", False))

_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def check_nonnegative(**values) -> None:
    """torch's constructor checks `0.0 <= value`, in the order given, with its messages; a
    Tensor lr must first have one element."""
    for name, value in values.items():
        if name == "lr" and isinstance(value, Tensor) and value.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_LABELS.get(name, name + ' value')}: {value}")


def check_betas(betas) -> None:
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def check_adam(lr, betas, eps, weight_decay) -> None:
    """The Adam family's checks, in torch's order: lr, eps, betas, weight_decay."""
    check_nonnegative(lr=lr, eps=eps)
    check_betas(betas)
    check_nonnegative(weight_decay=weight_decay)


def lerp(a, b, w):
    """torch's lerp kernel: a + w (b - a) for w < 0.5, else b - (b - a)(1 - w)."""
    return jnp.where(w < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def _hooked(step):
    """`step` with the optimizer's step pre- and post-hooks around it, as torch runs them: a
    pre-hook sees (self, args, kwargs) and may return new (args, kwargs)."""
    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        for hook in list(self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
                args, kwargs = result
        out = step(*args, **kwargs)
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, args, kwargs)
        return out
    wrapper.hooked = True
    return wrapper


class Optimizer:
    """Base class of all optimizers."""

    # the (option, default) pairs __setstate__ fills into a group that lacks them (an old
    # checkpoint's), in the subclass's torch order: the order of a group's keys is compared
    _setstate_defaults: tuple = ()

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(dict(group))

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_optimizer_step_post_hooks", OrderedDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, value in self._setstate_defaults:
                group.setdefault(key, value)

    def __repr__(self) -> str:
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = params
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing")
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grads((p for g in self.param_groups for p in g["params"]), set_to_none)

    # ---- step ------------------------------------------------------------------------------
    def __init_subclass__(cls, **kwargs) -> None:
        # torch runs the step hooks around every optimizer's step, a user subclass's own too
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _hooked(cls.__dict__["step"])

    def step(self, closure=None):
        """One update of every parameter group; `closure` re-evaluates the loss."""
        if type(self)._update_group is Optimizer._update_group:
            raise NotImplementedError  # torch's base step: before the closure runs
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        with grad_mode.no_grad():
            for group in self.param_groups:
                params = [p for p in group["params"] if p._grad is not None]
                if params:
                    self._update_group(group, params)
        return loss

    def _update_group(self, group: dict, params: list) -> None:
        raise NotImplementedError

    def _states(self, params: list, init) -> list:
        """Each parameter's state; at its first step, the dict `init(p)` fills it."""
        states = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state.update(init(p))
            states.append(state)
        return states

    @staticmethod
    def _gather(params: list, states: list, keys: tuple) -> tuple:
        """A jitted update's array arguments: the parameters, their gradients, then one list per
        state key of `keys` (an empty list for a None key: a buffer this configuration skips)."""
        return ([p._data for p in params], [p._grad._data for p in params],
                *([] if key is None else [s[key]._data for s in states] for key in keys))

    @staticmethod
    def _write_back(params: list, states: list, new, keys: tuple) -> None:
        """A jitted update's results into the tensors: `new[0]` the parameters, then one list
        per state key of `keys`. A None is a buffer this configuration doesn't keep; a key the
        state lacks is made (SGD's momentum buffer, at its first step)."""
        for p, value in zip(params, new[0]):
            p._set_data(value)
        for key, values in zip(keys, new[1:]):
            for state, value in zip(states, values):
                if value is None:
                    continue
                if state.get(key) is None:
                    state[key] = _wrap(value)
                else:
                    state[key]._set_data(value)

    def register_step_pre_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    # ---- state_dict ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}."""
        mapping: dict = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start)
                            if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed
        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = state_dict.copy()
        groups = self.param_groups
        saved = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                if key == "step":
                    return value
                if param.is_floating_point():
                    return value.to(dtype=param.dtype, device=param.device)
                return value.to(device=param.device)
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):  # LBFGS's histories: new lists, as torch's
                return type(value)(cast(param, v) for v in value)
            return value
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v)
            else:
                state[k] = v
        new_groups = []
        for g, ng in zip(groups, saved):
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            new_groups.append(ng)
        self.__setstate__({"state": state, "param_groups": new_groups})


Optimizer.step = _hooked(Optimizer.__dict__["step"])

from .._errors import missing as _missing  # noqa: E402
__getattr__ = _missing("torch.optim.optimizer")  # names torchlike lacks: NotImplementedError
