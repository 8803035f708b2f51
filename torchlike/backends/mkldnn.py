"""torch.backends.mkldnn: oneDNN's switches with torch's defaults. torchlike computes with XLA,
not oneDNN, so `is_available()` is False and the switches are kept and read back (the matmul
precision moving with torch.set_float32_matmul_precision, as in torch) but change nothing."""
from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager

from .._errors import missing as _missing
from . import _precision
from ._switch import Switch

_state = {"enabled": True, "deterministic": False, "allow_tf32": None}
VERBOSE_OFF, VERBOSE_ON, VERBOSE_ON_CREATION = 0, 1, 2


def is_available() -> bool:
    return False


def _check(value: str) -> str:
    if value not in ("none", "ieee", "tf32", "bf16"):
        raise RuntimeError(f"Unknown precision: {value}")
    return value


class _FP32Precision:
    """`torch.backends.mkldnn.matmul` / `.conv` / `.rnn`: one op's fp32_precision."""

    def __init__(self, op: str) -> None:
        self.backend, self.op = "mkldnn", op

    @property
    def fp32_precision(self) -> str:
        return _precision.fp32["mkldnn", self.op]

    @fp32_precision.setter
    def fp32_precision(self, value: str) -> None:
        _precision.fp32["mkldnn", self.op] = _check(value)


matmul, conv, rnn = _FP32Precision("matmul"), _FP32Precision("conv"), _FP32Precision("rnn")


class verbose:
    """torch.backends.mkldnn.verbose(level): oneDNN's logging, a no-op context here."""

    def __init__(self, enable: int) -> None:
        self.enable = enable

    def __enter__(self) -> "verbose":
        return self

    def __exit__(self, *exc: object) -> bool:
        return False


def set_flags(_enabled=None, _deterministic=None, _allow_tf32=None,
              _fp32_precision="none") -> tuple:
    """Set the given switches; return the previous ones in this argument order."""
    module = sys.modules[__name__]
    orig = (module.enabled, module.deterministic, module.allow_tf32, module.fp32_precision)
    for name, value in (("enabled", _enabled), ("deterministic", _deterministic),
                        ("allow_tf32", _allow_tf32)):
        if value is not None:
            setattr(module, name, value)
    module.fp32_precision = _fp32_precision
    return orig


@contextmanager
def flags(enabled=False, deterministic=False, allow_tf32=True,
          fp32_precision="none") -> Iterator[None]:
    """Set the switches for the duration of a `with` block."""
    orig = set_flags(enabled, deterministic, allow_tf32, fp32_precision)
    try:
        yield
    finally:
        set_flags(*orig)


class _MkldnnModule(types.ModuleType):
    """The module's class: its switches check their values on assignment, as torch's do."""

    enabled = Switch(_state, "set_enabled_mkldnn")
    deterministic = Switch(_state, "set_deterministic_mkldnn")

    @property
    def allow_tf32(self):
        return _state["allow_tf32"]

    @allow_tf32.setter
    def allow_tf32(self, value) -> None:
        _state["allow_tf32"] = value

    @property
    def fp32_precision(self) -> str:
        return _precision.fp32["mkldnn", "all"]

    @fp32_precision.setter
    def fp32_precision(self, value: str) -> None:
        _precision.fp32["mkldnn", "all"] = _check(value)


sys.modules[__name__].__class__ = _MkldnnModule

__getattr__ = _missing("torch.backends.mkldnn")  # names torchlike lacks: NotImplementedError
