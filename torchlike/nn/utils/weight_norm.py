"""torch.nn.utils.weight_norm (the deprecated forward pre-hook form): weight = g * v / |v|,
with weight_g and weight_v the parameters; and the two ATen functions it is computed with,
torch._weight_norm and torch.norm_except_dim (also used by parametrizations.weight_norm).

torch._weight_norm runs ATen's fused kernel (WeightNormInterfaceBackward0) when dim is the
first or last dimension and no operand is float16, else composes v * (g / norm): so here."""
from __future__ import annotations

import warnings
from typing import Any, TypeVar

import jax.numpy as jnp

from ... import _dtype as D
from ..._errors import missing as _missing
from ..._tensor import Tensor
from ...ops._registry import op, run
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["WeightNorm", "remove_weight_norm", "weight_norm"]


@op("_weight_norm_interface", "WeightNormInterfaceBackward0")
def _fused(v, g, dim):
    out = v.dtype
    if out == jnp.bfloat16:  # ATen's kernel computes in float32, rounds once
        v, g = v.astype(jnp.float32), g.astype(jnp.float32)
    axes = tuple(i for i in range(v.ndim) if i != dim)
    return (v * (g / jnp.sqrt(jnp.sum(v * v, axis=axes, keepdims=True)))).astype(out)


def norm_except_dim(v: Tensor, pow: int = 2, dim: int = 0) -> Tensor:
    """The `pow`-norm of v over every dimension but `dim`, keeping v's rank (dim=-1: the
    norm of all of v, a scalar); composed as ATen composes it."""
    if dim == -1:
        return v.norm(pow)
    if dim == 0:
        size = (v.size(0),) + (1,) * (v.dim() - 1)
        return v.contiguous().view(v.size(0), -1).norm(pow, 1).view(size)
    if dim == v.dim() - 1:
        size = (1,) * (v.dim() - 1) + (v.size(-1),)
        return v.contiguous().view(-1, v.size(-1)).norm(pow, 0).view(size)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """torch._weight_norm: v * (g / norm_except_dim(v, 2, dim))."""
    if v.device != g.device:
        raise RuntimeError(f"weight_norm: expected v_in and g_in to be on the same device, but "
                           f"v_in is on {v.device} and g_in is on {g.device}")
    half = v.dtype is D.float16 or g.dtype is D.float16
    if not half and (dim == 0 or dim == v.dim() - 1):
        return run(_fused, (v.contiguous(), g.contiguous()), (("dim", dim),))
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes `name` from `name`_g and `name`_v."""

    name: str
    dim: int

    def __init__(self, name: str, dim: int) -> None:
        if dim is None:
            dim = -1
        self.name = name
        self.dim = dim

    def compute_weight(self, module: Module) -> Any:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name: str, dim: int) -> WeightNorm:
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        if dim is None:
            dim = -1
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


T_module = TypeVar("T_module", bound=Module)


def weight_norm(module: T_module, name: str = "weight", dim: int = 0) -> T_module:
    """Reparametrize module.<name> as g * v / |v| (norm over all dims but `dim`; None: all)."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo weight_norm: module.<name> becomes a parameter holding g * v / |v|."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")


__getattr__ = _missing("torch.nn.utils.weight_norm")  # names torchlike lacks
