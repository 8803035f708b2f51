"""torch.mps: Apple's Metal GPUs, which torchlike (on JAX) never has."""
from ._errors import missing as _missing


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


__getattr__ = _missing("torch.mps")  # names torchlike lacks: NotImplementedError
