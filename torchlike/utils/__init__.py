"""torch.utils: data loading."""
from .._errors import missing as _missing
from . import data as data


__getattr__ = _missing("torch.utils")  # names torchlike lacks: NotImplementedError
