"""A backend switch: a bool read and set like an attribute, refusing other types as torch does."""
from __future__ import annotations

from typing import Any


class Switch:
    """Descriptor over `state[name]`; `setter` is the name torch's refusal message gives."""

    def __init__(self, state: dict[str, Any], setter: str) -> None:
        self.state, self.setter = state, setter

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        return self if obj is None else self.state[self.name]

    def __set__(self, obj: object, value: Any) -> None:
        self.state[self.name] = check_bool(value, self.setter)


def check_bool(value: Any, setter: str) -> bool:
    """torch's check of a switch's value; `setter` is the name its message gives."""
    if not isinstance(value, bool):
        raise RuntimeError(  # noqa: TRY004  (torch's type)
            f"{setter} expects a bool, but got {type(value).__name__}")
    return value


def check_precision(value: str) -> str:
    """torch's check of an fp32_precision value for the CUDA backend."""
    if value == "bf16":
        raise RuntimeError("backend 'cuda' does not support precision 'bf16'")
    if value not in ("none", "ieee", "tf32"):
        raise RuntimeError(f"Unknown precision: {value}")
    return value
