"""torch-level helpers on dtypes and tensors: result_type, promote_types, can_cast, numel."""
from __future__ import annotations

from . import _dtype as D
from ._tensor import Tensor

__all__ = ["result_type", "promote_types", "can_cast", "numel", "is_floating_point",
           "is_complex", "is_nonzero", "finfo", "iinfo", "set_default_tensor_type",
           "use_deterministic_algorithms", "set_num_threads", "get_num_threads", "compile"]


def promote_types(type1: D.dtype, type2: D.dtype) -> D.dtype:
    return D.promote_types(type1, type2)


def result_type(tensor1, tensor2) -> D.dtype:
    from .ops._registry import promoted
    return promoted((tensor1, tensor2))


def can_cast(from_: D.dtype, to: D.dtype) -> bool:
    return D._CATEGORY[from_.kind] <= D._CATEGORY[to.kind]


def numel(input: Tensor) -> int:
    return input.numel()


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    return input.is_complex()


def is_nonzero(input: Tensor) -> bool:
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


class finfo:
    """torch.finfo."""

    def __init__(self, type: D.dtype | None = None):
        import numpy as np
        t = type or D.get_default_dtype()
        info = np.finfo(t.np)
        self.bits, self.eps, self.max, self.min = info.bits, float(info.eps), float(info.max), \
            float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = float(info.resolution)
        self.dtype = t.name


class iinfo:
    """torch.iinfo."""

    def __init__(self, type: D.dtype):
        import numpy as np
        info = np.iinfo(type.np)
        self.bits, self.max, self.min, self.dtype = info.bits, int(info.max), int(info.min), \
            type.name


def set_default_tensor_type(t) -> None:
    name = t if isinstance(t, str) else t.__name__
    D.set_default_dtype(D.float64 if "Double" in name else D.float32)


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """XLA kernels are deterministic on CPU; accepted for compatibility."""


def set_num_threads(n: int) -> None:
    """XLA manages its own thread pool; accepted for compatibility."""


def get_num_threads() -> int:
    import os
    return os.cpu_count() or 1


def compile(model=None, **kwargs):
    """torch.compile: ops already run as compiled XLA kernels; returns the model unchanged."""
    if model is None:
        return lambda m: m
    return model
