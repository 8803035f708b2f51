"""Pickling for worker processes: what the running script defines travels by value.

Workers start from a fresh interpreter (see _fork_server), where the script's `__main__` does
not exist, so a Dataset class, collate_fn or worker_init_fn defined in the script cannot be
found by name there. Functions and classes of `__main__`, and those no import can reach
(lambdas, nested functions and classes), are pickled by value, as cloudpickle does: code,
the globals the code names, closure cells, defaults, the class dict. Everything importable
goes by reference, as plain pickle does. In the worker, the script's objects share one
namespace installed as `sys.modules["__main__"]`, where top-level ones are registered under
their names: results and exception types pickled back by reference then find them, and the
main process resolves its own originals.
"""
from __future__ import annotations

import builtins
import dataclasses
import enum
import importlib
import io
import marshal
import pickle
import sys
import types

_SKIP = {"__dict__", "__weakref__", "__module__", "__qualname__", "__abstractmethods__"}
_ENUM_SKIP = {"_generate_next_value_", "_member_names_", "_member_map_", "_member_type_",
              "_value2member_map_"}
# markers dataclasses compares by identity (a field's kind, "no default"): sent by name
_SINGLETONS = {id(getattr(dataclasses, name)): name for name in (
    "MISSING", "KW_ONLY", "_FIELD", "_FIELD_CLASSVAR", "_FIELD_INITVAR",
    "_HAS_DEFAULT_FACTORY") if hasattr(dataclasses, name)}


def dumps(obj) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def _importable(obj) -> bool:
    """True when pickle can find obj again by module and qualified name (in another process)."""
    module = getattr(obj, "__module__", None)
    if module is None or module == "__main__" or "<" in obj.__qualname__:
        return False
    found = sys.modules.get(module)
    try:
        for part in obj.__qualname__.split("."):
            found = getattr(found, part)
    except AttributeError:
        return False
    return found is obj


def _script_class(cls: type) -> bool:
    """A class of the script, or one defined inside a function: what goes by value."""
    return cls.__module__ == "__main__" or "<locals>" in cls.__qualname__


class _Namespace:
    """Stands for a function's globals dict: one per dict, so the worker shares them too."""

    def __init__(self, module: str | None) -> None:
        self.module = module  # "__main__", another module's name, or None (an exec namespace)

    def __reduce__(self):
        if self.module == "__main__":
            return _main_namespace, ()
        if self.module is not None:
            return _module_namespace, (self.module,)
        return _new_namespace, ()


class _Pickler(pickle.Pickler):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._namespaces: dict[int, _Namespace] = {}

    def reducer_override(self, obj):
        if isinstance(obj, types.FunctionType) and not _importable(obj):
            return self._function(obj)
        if isinstance(obj, type) and _script_class(obj):
            return _class(obj)
        if isinstance(obj, types.ModuleType):
            return importlib.import_module, (obj.__name__,)
        if type(obj) in (staticmethod, classmethod):
            return type(obj), (obj.__func__,)
        if type(obj) is property:
            return property, (obj.fget, obj.fset, obj.fdel, obj.__doc__)
        if type(obj) is types.MappingProxyType:
            return _mappingproxy, (dict(obj),)
        if id(obj) in _SINGLETONS:
            return getattr, (dataclasses, _SINGLETONS[id(obj)])
        return NotImplemented

    def _namespace(self, fn) -> _Namespace:
        g = fn.__globals__
        ns = self._namespaces.get(id(g))
        if ns is None:
            name = g.get("__name__")
            module = sys.modules.get(name) if isinstance(name, str) else None
            if module is None or module.__dict__ is not g:
                name = None
            ns = self._namespaces[id(g)] = _Namespace(name)
        return ns

    def _function(self, fn):
        code = fn.__code__
        names = _global_names(code)
        ns = self._namespace(fn)
        gvals = {} if ns.module not in (None, "__main__") else \
            {n: fn.__globals__[n] for n in names if n in fn.__globals__}
        cells = [c.cell_contents if _filled(c) else _EMPTY for c in fn.__closure__ or ()]
        state = {"globals": gvals, "cells": cells, "defaults": fn.__defaults__,
                 "kwdefaults": fn.__kwdefaults__, "qualname": fn.__qualname__,
                 "module": fn.__module__, "doc": fn.__doc__, "dict": fn.__dict__,
                 "annotations": getattr(fn, "__annotations__", None)}
        return (_make_function, (marshal.dumps(code), ns, fn.__name__, len(cells)), state,
                None, None, _set_function_state)


def _class(cls):
    if isinstance(cls, enum.EnumMeta):
        members = {name: m._value_ for name, m in cls.__members__.items()}
        attrs = {k: v for k, v in cls.__dict__.items()
                 if k not in _SKIP and k not in _ENUM_SKIP and k not in members}
        return (_make_enum, (type(cls), cls.__name__, cls.__bases__, cls.__module__,
                             cls.__qualname__, members), attrs, None, None, _set_class_state)
    ns = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
    slots = cls.__dict__.get("__slots__")
    if slots is not None:
        ns["__slots__"] = slots
    skip = _SKIP | ({slots} if isinstance(slots, str) else set(slots or ()))
    attrs = {k: v for k, v in cls.__dict__.items()
             if k not in skip and not k.startswith("_abc_")}
    return (_make_class, (type(cls), cls.__name__, cls.__bases__, ns), attrs, None, None,
            _set_class_state)


def _global_names(code: types.CodeType) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _filled(cell) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:
        return False
    return True


class _Empty:
    def __reduce__(self):
        return _empty, ()


def _empty():
    return _EMPTY


_EMPTY = _Empty()


# ---- the worker's side: rebuilding ---------------------------------------------------------
def _main_namespace() -> dict:
    return sys.modules["__main__"].__dict__


def _module_namespace(name: str) -> dict:
    return importlib.import_module(name).__dict__


def _new_namespace() -> dict:
    return {"__builtins__": builtins}


def _make_function(code: bytes, globals_: dict, name: str, ncells: int):
    globals_.setdefault("__builtins__", builtins)
    cells = tuple(types.CellType() for _ in range(ncells)) or None
    return types.FunctionType(marshal.loads(code), globals_, name, None, cells)


def _set_function_state(fn, state: dict) -> None:
    for name, value in state["globals"].items():
        fn.__globals__.setdefault(name, value)
    for cell, value in zip(fn.__closure__ or (), state["cells"]):
        if value is not _EMPTY:
            cell.cell_contents = value
    fn.__defaults__, fn.__kwdefaults__ = state["defaults"], state["kwdefaults"]
    fn.__qualname__, fn.__module__, fn.__doc__ = state["qualname"], state["module"], state["doc"]
    fn.__dict__.update(state["dict"])
    if state["annotations"] is not None:
        fn.__annotations__ = state["annotations"]
    _register(fn)


def _make_class(meta, name: str, bases: tuple, ns: dict):
    cls = meta(name, bases, dict(ns))
    _register(cls)
    return cls


def _mappingproxy(d: dict):
    return types.MappingProxyType(d)


def _make_enum(meta, name: str, bases: tuple, module: str, qualname: str, members: dict):
    ns = meta.__prepare__(name, bases)
    for member, value in members.items():
        ns[member] = value
    ns["__module__"], ns["__qualname__"] = module, qualname
    cls = meta.__new__(meta, name, bases, ns)
    _register(cls)
    return cls


def _set_class_state(cls, attrs: dict) -> None:
    for name, value in attrs.items():
        setattr(cls, name, value)


def _register(obj) -> None:
    """A top-level object of the script becomes findable as __main__.<name> in the worker."""
    if obj.__module__ == "__main__" and "." not in obj.__qualname__ and "<" not in obj.__qualname__:
        sys.modules["__main__"].__dict__.setdefault(obj.__qualname__, obj)
