"""torch.jit: TorchScript, which torchlike lacks (script, trace, load ... are placeholders).
What model code calls in eager mode works as it does outside scripting: the is_scripting()
checks say False and the decorators hand the function back."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, TypeVar
from typing import Final as Final

from ._errors import missing as _missing

_F = TypeVar("_F", bound=Callable)


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def ignore(drop: bool | Callable = False, **kwargs: Any) -> Any:
    """Leave a function to Python when scripting; as `@ignore` or `@ignore(drop=...)`."""
    if callable(drop):
        return drop
    if not isinstance(drop, bool):
        raise RuntimeError(  # noqa: TRY004  (torch's type)
            f"Argument to @torch.jit.ignore must be a bool or a function but got {drop}")
    drop_on_export = kwargs.pop("drop_on_export", None)
    if drop_on_export or drop:
        what = "ignore(drop_on_export=True)" if drop_on_export else "ignore(True)"
        warnings.warn(f"{what} has been deprecated. TorchScript will now drop the function call "
                      "on compilation. Use torch.jit.unused now. {}", FutureWarning, stacklevel=2)
    return lambda fn: fn


def unused(fn: _F) -> _F:
    return fn


def export(fn: _F) -> _F:
    return fn


def annotate(the_type: Any, the_value: Any) -> Any:
    return the_value


__getattr__ = _missing("torch.jit")  # names torchlike lacks: NotImplementedError
