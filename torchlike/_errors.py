"""What torchlike raises for anything it does not implement, and the stand-ins that raise it.

A torch module's name that torchlike lacks resolves through real torch's name table
(_torch_names.py, generated from torch): a name torch has is a placeholder that raises
NotImplementedError when used, so `from torch.X import Y` and class definitions that mention it
still work; a name torch lacks too raises NotImplementedOp, an AttributeError as in torch.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

_PREFIX, _TARGET = "torch", "torchlike"


class NotImplementedOp(NotImplementedError, AttributeError):
    """An op, attribute or module torchlike lacks. Also an AttributeError, so reading a name
    real torch lacks too fails as in torch and hasattr() feature checks answer as torch's."""


def _message(torch_name: str) -> str:
    return f"{torch_name} is not implemented in torchlike"


class _PlaceholderMeta(type):
    """A placeholder is a class, so programs can subclass it, annotate with it and test
    isinstance() against it (always False); calling, instantiating, reading an attribute,
    or testing its truth raises NotImplementedError naming the torch name it stands for."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_message(cls._torch_name))

    def __getattr__(cls, name: str) -> Any:  # only names the class itself lacks get here
        if name.startswith("__"):
            raise AttributeError(name)
        # Also an AttributeError: probes like getattr(x, name, default) keep working.
        raise NotImplementedOp(_message(cls._torch_name))

    def __setattr__(cls, name: str, value: Any) -> None:
        if "_torch_name" in cls.__dict__:  # the placeholder itself; a user's subclass is free
            raise NotImplementedError(_message(cls._torch_name))
        super().__setattr__(name, value)

    def __getitem__(cls, item: Any) -> Any:
        return cls  # `Placeholder[int]` in a type annotation means the placeholder itself

    def __bool__(cls) -> bool:
        raise NotImplementedError(_message(cls._torch_name))

    __iter__ = __len__ = __int__ = __float__ = __index__ = __enter__ = __exit__ = __bool__

    def __repr__(cls) -> str:
        if "_torch_name" in cls.__dict__:
            return f"<placeholder for {cls._torch_name}: not implemented in torchlike>"
        return super().__repr__()


def _refuse_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    # Unpickling creates objects with cls.__new__, bypassing the metaclass __call__.
    raise NotImplementedError(_message(cls._torch_name))


_placeholders: dict[str, type] = {}


def placeholder(torch_name: str) -> type:
    """The placeholder for `torch_name` ("torch.X.Y"), the same object on every access."""
    if torch_name not in _placeholders:
        module, _, name = torch_name.rpartition(".")
        _placeholders[torch_name] = _PlaceholderMeta(name, (), {
            "_torch_name": torch_name, "__module__": module, "__qualname__": name,
            "__doc__": f"Placeholder: {_message(torch_name)}.", "__new__": _refuse_new})
    return _placeholders[torch_name]


_tables: dict[str, dict[str, str]] = {}


def _table(torch_module: str) -> dict[str, str] | None:
    """Real torch's names in `torch_module`: {name: "" (an object), "/" (a submodule) or
    "torch.PATH" (the same object as torch.PATH)}; None for a module the table lacks."""
    if torch_module not in _tables:
        from ._torch_names import MODULES
        if torch_module not in MODULES:
            return None
        table = {}
        for token in MODULES[torch_module].split():
            if token.endswith("/"):
                table[token[:-1]] = "/"
            else:
                name, _, home = token.partition("=")
                table[name] = home
        _tables[torch_module] = table
    return _tables[torch_module]


def _has_listed_descendant(torch_name: str) -> bool:
    from ._torch_names import MODULES
    return any(m.startswith(torch_name + ".") for m in MODULES)


def is_torch_module(torch_name: str) -> bool:
    """Whether real torch has module `torch_name`: one the table lists, an ancestor of one,
    or a submodule of one."""
    parent, _, name = torch_name.rpartition(".")
    return (_table(torch_name) is not None or _has_listed_descendant(torch_name)
            or (_table(parent) or {}).get(name) == "/")


def has_submodules(torch_name: str) -> bool:
    """Whether `torch_name` is a package in torch with children the table knows."""
    return "/" in (_table(torch_name) or {}).values() or _has_listed_descendant(torch_name)


def _torchlike(torch_name: str) -> str:
    return _TARGET + torch_name[len(_PREFIX):]


def _forward(home: str) -> Any:
    """torchlike's object for `home` ("torch.X.Y"), or None where torchlike lacks it."""
    module, _, name = home.rpartition(".")
    return vars(importlib.import_module(_torchlike(module))).get(name)


def missing_attribute(torch_module: str, name: str) -> Any:
    """Resolve `name`, which torchlike's counterpart of `torch_module` lacks (see top)."""
    if name.startswith("__"):
        if name == "__path__" and has_submodules(torch_module):
            return []  # a torchlike module (not package) standing for a torch package
        raise AttributeError(f"module '{_torchlike(torch_module)}' has no attribute '{name}'")
    kind = (_table(torch_module) or {}).get(name)
    if kind is None:
        raise NotImplementedOp(_message(f"{torch_module}.{name}"))
    if kind == "/":
        return importlib.import_module(_torchlike(f"{torch_module}.{name}"))
    if kind:  # the same object as `kind` in torch: torchlike's there, else one placeholder
        found = _forward(kind)
        return placeholder(kind) if found is None else found
    return placeholder(f"{torch_module}.{name}")


def missing(module: str) -> Callable[[str], Any]:
    """The __getattr__ of torchlike's counterpart of torch module `module`, for names it
    lacks: a placeholder, a submodule or torchlike's object as in torch, else NotImplementedOp."""
    def __getattr__(name: str) -> Any:
        return missing_attribute(module, name)
    return __getattr__
