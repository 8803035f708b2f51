"""torch.utils: data loading."""
from .._errors import missing as _missing
from . import data as data
from . import checkpoint as checkpoint


__getattr__ = _missing("torch.utils")  # names torchlike lacks: NotImplementedError
