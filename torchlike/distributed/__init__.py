"""torch.distributed: torchlike has no process groups. is_available() says so, which sends
programs down their single-process path; every other name is a placeholder."""
from .._errors import missing as _missing


def is_available() -> bool:
    """False: torchlike has no distributed backend (torch's CPU build has gloo and says True)."""
    return False


def is_initialized() -> bool:
    return False


__getattr__ = _missing("torch.distributed")  # names torchlike lacks: NotImplementedError
