"""torch.backends.cudnn: cuDNN's switches with torch's defaults. XLA picks its GPU kernels
itself, so `benchmark`, `deterministic` and `allow_tf32` are kept but change nothing."""
from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager

from .. import cuda as _cuda
from .._errors import missing as _missing
from ._switch import Switch, check_precision

_state = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True,
          "fp32_precision": "none"}


def is_available() -> bool:
    """Whether cuDNN can be used: when JAX has a GPU backend (XLA calls cuDNN there)."""
    return _cuda.is_available()


def version() -> int | None:
    """None: torchlike does not know which cuDNN XLA loaded (torch's CPU build says None too)."""
    return None


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None,
              _allow_tf32=None, _fp32_precision="none", _depthwise_kernel=None) -> tuple:
    """Set the given switches; return the previous ones in this argument order."""
    module = sys.modules[__name__]
    orig = (module.enabled, module.benchmark, module.benchmark_limit if is_available() else None,
            module.deterministic, module.allow_tf32, module.fp32_precision,
            module.depthwise_kernel)
    for name, value in (("enabled", _enabled), ("benchmark", _benchmark),
                        ("deterministic", _deterministic), ("allow_tf32", _allow_tf32),
                        ("fp32_precision", _fp32_precision),
                        ("depthwise_kernel", _depthwise_kernel)):
        if value is not None:
            setattr(module, name, value)
    if _benchmark_limit is not None and is_available():
        module.benchmark_limit = _benchmark_limit
    return orig


@contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True, fp32_precision="none", depthwise_kernel="auto") -> Iterator[None]:
    """Set the switches for the duration of a `with` block."""
    orig = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32,
                     fp32_precision, depthwise_kernel)
    try:
        yield
    finally:
        set_flags(*orig)


class _CudnnModule(types.ModuleType):
    """The module's class: its switches check their values on assignment, as torch's do."""

    enabled = Switch(_state, "set_enabled_cudnn")
    benchmark = Switch(_state, "set_benchmark_cudnn")
    deterministic = Switch(_state, "set_deterministic_cudnn")
    allow_tf32 = Switch(_state, "set_allow_tf32_cublas")  # sic: torch's message says cublas

    @property
    def fp32_precision(self) -> str:
        return _state["fp32_precision"]

    @fp32_precision.setter
    def fp32_precision(self, value: str) -> None:
        _state["fp32_precision"] = check_precision(value)


benchmark_limit = 10 if is_available() else None
depthwise_kernel = "auto"
sys.modules[__name__].__class__ = _CudnnModule

__getattr__ = _missing("torch.backends.cudnn")  # names torchlike lacks: NotImplementedError
