"""torch.cpu: the host, always there as one device."""
from __future__ import annotations

from .._errors import missing as _missing


def is_available() -> bool:
    return True


def is_initialized() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def synchronize(device=None) -> None:
    """Block until queued host work is done (jax dispatch is async)."""
    import jax
    jax.effects_barrier()


__getattr__ = _missing("torch.cpu")  # names torchlike lacks: NotImplementedError
