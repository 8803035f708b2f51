"""Tensor.pin_memory / is_pinned: page-locked host memory belongs to an accelerator.

Without one (torch's CPU-only build, or JAX without a GPU) nothing is pinned and pin_memory
raises torch's error. With one, pin_memory returns a CPU copy marked pinned (JAX manages its
own transfers, so the mark is all that pinning changes).
"""
from __future__ import annotations

import warnings

from . import _device

_NONE = "Cannot access accelerator device when none is available."
_PINNED = "_pinned"  # the mark, in a pinned tensor's __dict__


def _warn_device(method: str, device) -> None:
    if device is not None and not isinstance(device, int):
        warnings.warn(f"The argument 'device' of Tensor.{method}() is deprecated. Please do not "
                      "pass this argument.", DeprecationWarning, stacklevel=3)


def _accelerator(device) -> None:
    """torch's check that pinning has an accelerator to pin for."""
    from . import accelerator
    if device is not None and not isinstance(device, int):
        d = _device.device(device)
        if d.type == "cpu":
            raise RuntimeError("CPU device type not an accelerator.")
        _device.jax_device(d)  # no GPU: torch's error for an absent CUDA
    if not accelerator.is_available():
        raise RuntimeError(_NONE)


def is_pinned(t, device=None) -> bool:
    _warn_device("is_pinned", device)
    if isinstance(device, int):
        _accelerator(device)
    return bool(t.__dict__.get(_PINNED, False))


def pin_memory(t, device=None):
    _warn_device("pin_memory", device)
    if is_pinned(t, device):
        return t
    if t.device.type != "cpu":
        from ._tensor import _SHORT
        kind = t.device.type.capitalize() if t.device.type != "cuda" else "CUDA"
        raise RuntimeError(f"cannot pin '{kind}{_SHORT[t.dtype.name]}Type' only dense CPU "
                           "tensors can be pinned")
    _accelerator(device)
    out = t.clone()
    out.__dict__[_PINNED] = True
    return out
