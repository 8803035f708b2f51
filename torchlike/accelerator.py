"""torch.accelerator: the current accelerator is CUDA exactly when JAX has a GPU backend."""
from __future__ import annotations

from ._errors import missing as _missing
from . import cuda
from ._device import device as _device

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    return cuda.is_available()


def current_accelerator(check_available: bool = False):
    return _device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count()


def current_device_index() -> int:
    if not cuda.is_available():
        raise RuntimeError(_NONE)
    return cuda.current_device()


current_device_idx = current_device_index


def synchronize(device=None) -> None:
    if not cuda.is_available():
        raise RuntimeError(_NONE)
    cuda.synchronize(device)


__getattr__ = _missing("torch.accelerator")  # names torchlike lacks: NotImplementedError
