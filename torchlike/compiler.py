"""torch.compiler: torchlike runs eagerly on XLA and never traces with Dynamo, so nothing is
ever being compiled and disable() hands the function back; the rest are placeholders."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._errors import missing as _missing


def is_compiling() -> bool:
    return False


def is_dynamo_compiling() -> bool:
    return False


def is_exporting() -> bool:
    return False


def disable(fn: Callable | None = None, recursive: bool = True, *,
            reason: str | None = None) -> Any:
    """Keep `fn` out of compilation: as `@disable` or `@disable(recursive=...)`."""
    return (lambda f: f) if fn is None else fn


__getattr__ = _missing("torch.compiler")  # names torchlike lacks: NotImplementedError
