"""torch.multiprocessing: Python's multiprocessing (every name it exports) plus torch's
sharing-strategy switches. torchlike tensors pickle by value, so the strategy selects nothing."""
from __future__ import annotations

import multiprocessing as _mp
import sys

from ._errors import missing as _missing

__all__ = ["get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy"]
__all__ += _mp.__all__
# torch does `from multiprocessing import *`: the default context's functions, classes, errors.
globals().update({name: getattr(_mp, name) for name in _mp.__all__})

if sys.platform == "darwin":
    _sharing_strategy = "file_system"
    _all_sharing_strategies = {"file_system"}
else:
    _sharing_strategy = "file_descriptor"
    _all_sharing_strategies = {"file_descriptor", "file_system"}


def set_sharing_strategy(new_strategy: str) -> None:
    """Set the strategy for sharing tensors between processes (one of
    get_all_sharing_strategies())."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, "
                             f"expected one of {_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy() -> str:
    return _sharing_strategy


def get_all_sharing_strategies() -> set[str]:
    return _all_sharing_strategies


__getattr__ = _missing("torch.multiprocessing")  # names torchlike lacks: NotImplementedError
