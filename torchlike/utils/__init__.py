"""torch.utils: data loading, checkpointing, swap_tensors."""
from .._errors import missing as _missing
from . import data as data
from . import checkpoint as checkpoint
from ._swap_tensors import swap_tensors as swap_tensors


__getattr__ = _missing("torch.utils")  # names torchlike lacks: NotImplementedError
