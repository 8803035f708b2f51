"""torch.cuda: answers from JAX's GPU backend."""
from __future__ import annotations

from ._errors import missing as _missing
from ._device import _gpus


def is_available() -> bool:
    return bool(_gpus())


def device_count() -> int:
    return len(_gpus())


def current_device() -> int:
    return 0


def synchronize(device=None) -> None:
    """Block until queued device work is done (jax dispatch is async)."""
    import jax
    jax.effects_barrier()


def manual_seed(seed: int) -> None:
    """CUDA draws come from the same host generator as CPU draws."""


manual_seed_all = manual_seed


def get_device_name(device=None) -> str:
    gpus = _gpus()
    return gpus[0].device_kind if gpus else ""


__getattr__ = _missing("torch.cuda")  # names torchlike lacks: NotImplementedError
