"""torch.backends.mps: Apple's Metal backend, which torchlike (on JAX) never has."""
from .._errors import missing as _missing


def is_built() -> bool:
    return False


def is_available() -> bool:
    return False


__getattr__ = _missing("torch.backends.mps")  # names torchlike lacks: NotImplementedError
