"""torch's pickle names for torchlike's classes and functions, both ways.

A pickle names a class or function by its `__module__` and `__qualname__`; torch's classes live
in files torchlike splits differently (torch.nn.modules.activation.MultiheadAttention,
torch.nn.modules.linear.NonDynamicallyQuantizableLinear, torch.optim.adam.Adam). Real torch's
layout is captured in two generated tables, never by importing torch: _torch_names (where each
public name lives) and _class_names (the name torch pickles it under, where that differs).
torchlike's object for a table entry is the one at the same public path (`torchlike.nn.Linear`
for torch.nn.Linear); a class torch defines without exporting it (NonDynamicallyQuantizableLinear)
is looked for by name in the torchlike package matching its torch package. A torchlike object
whose `__name__` is not the entry's name is another object torchlike reuses there, and skipped.

Two modes, because a class's names are what plain `pickle` imports on load:
- plain `import torchlike`: classes keep torchlike's names, so `pickle.dumps(model)` names
  torchlike modules and never makes the loading side import torch; only torch.save/torch.load
  translate (torch_name, torchlike_object).
- `python -m torchlike` / install_alias(), where `torch.X` is torchlike's module: rename()
  gives every such class torch's `__module__`/`__qualname__` and makes it an attribute of that
  module (torch.nn.modules.activation is torchlike's, and gets MultiheadAttention), so plain
  pickle, copy, multiprocessing and safe-globals allowlists see torch's names. A class whose
  torch module cannot be imported under the alias (torch._C) keeps its name. Functions keep
  theirs: torch.save still writes torch's.
"""
from __future__ import annotations

import importlib
import sys
import types

_TL = "torchlike"
_to_torch: dict[int, tuple[object, str, str]] = {}  # id(obj) -> (obj, torch module, qualname)
_from_torch: dict[str, object] = {}  # "torch.module.qualname" -> torchlike's object
_pending: list[tuple[str, str, str, str]] = []  # entries whose torchlike module is not loaded
_public_done: set[str] = set()  # _torch_names modules already walked
_renamed: set[int] = set()
_renaming: list = []  # non-empty while rename() runs
_started = [False]


def _torchlike(torch_module: str) -> str:
    return _TL + torch_module[len("torch"):]


def _ours(obj: object, *names: str) -> bool:
    """obj is a torchlike class or function (no placeholder) by one of these names."""
    # type(), not isinstance(): that reads obj.__class__, and some objects warn on every read
    # (torch.distributed.reduce_op)
    if not issubclass(type(obj), (type, types.FunctionType)) or "_torch_name" in vars(obj):
        return False
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in (_TL, "torch") and obj.__name__ in names


def _register(obj: object, module: str, qual: str) -> None:
    if id(obj) not in _to_torch:
        _to_torch[id(obj)] = (obj, module, qual)
    _from_torch.setdefault(f"{module}.{qual}", obj)


def _find_unexported(module: str, qual: str) -> object | None:
    """torchlike's class for one torch defines in `module` without exporting it: in the
    torchlike module of that name, else in one of its siblings (by name, if only one has it)."""
    home = sys.modules.get(_torchlike(module))
    if home is not None and _ours(vars(home).get(qual), qual):
        return vars(home)[qual]
    package = _torchlike(module.rpartition(".")[0]) + "."
    found = {id(c): c for name, m in list(sys.modules.items())
             if name.startswith(package) and m is not None
             for c in [vars(m).get(qual)] if _ours(c, qual)}
    return next(iter(found.values())) if len(found) == 1 else None


def _resolve() -> None:
    """Register the table entries whose torchlike modules are loaded by now."""
    if not _started[0]:
        from ._class_names import PICKLED
        _started[0] = True
        for key, names in PICKLED.items():
            public, module = key.split()
            for token in names.split():
                name, _, qual = token.partition(":")
                _pending.append((public, name, module, qual or name))
    waiting = []
    for entry in _pending:
        public, name, module, qual = entry
        home = sys.modules.get(_torchlike(public))
        if home is None:
            waiting.append(entry)
            continue
        obj = vars(home).get(name) if public != module else _find_unexported(module, qual)
        if _ours(obj, name, qual):
            _register(obj, module, qual)
    _pending[:] = waiting
    _walk_public()


def _walk_public() -> None:
    """The other public names: torch pickles them under the public name itself."""
    from ._torch_names import MODULES
    for public, tokens in MODULES.items():
        if public in _public_done:
            continue
        home = sys.modules.get(_torchlike(public))
        if home is None:
            continue
        _public_done.add(public)
        space = vars(home)
        for token in tokens.split():
            if "=" not in token and not token.endswith("/") and _ours(space.get(token), token):
                _register(space[token], public, token)


def torch_name(obj: object) -> tuple[str, str] | None:
    """(module, qualname) torch pickles this torchlike class or function under, if torch has
    it; None otherwise."""
    try:
        hit = _to_torch.get(id(obj))
    except TypeError:
        return None
    if hit is None or hit[0] is not obj:
        _resolve()
        hit = _to_torch.get(id(obj))
    return None if hit is None or hit[0] is not obj else hit[1:]


def torchlike_object(module: str, qual: str) -> object | None:
    """torchlike's object for torch's pickle name module.qual, if the tables know it."""
    full = f"{module}.{qual}"
    if full not in _from_torch:
        _resolve()
    return _from_torch.get(full)


def rename() -> None:
    """Under the alias: torch's names on every class the tables map (see top)."""
    if _renaming or getattr(sys.modules.get("torch"), "__name__", None) != _TL:
        return  # not under the alias; or called again by an import below
    _renaming.append(True)
    try:
        while True:  # the imports below may load modules with more classes
            _resolve()
            todo = [(k, v) for k, v in _to_torch.items()
                    if k not in _renamed and isinstance(v[0], type)]
            if not todo:
                return
            for key, (obj, module, qual) in todo:
                _renamed.add(key)
                _rename(obj, module, qual)
    finally:
        _renaming.clear()


def _rename(cls: type, module: str, qual: str) -> None:
    home = _home(module)
    if home is None:  # torch._C: the class keeps its name
        return
    current = vars(home).get(qual)
    if current is None:
        setattr(home, qual, cls)
    elif current is not cls:
        return
    cls.__module__, cls.__qualname__ = module, qual


def _home(module: str) -> types.ModuleType | None:
    """torchlike's module that `torch.<module>` is under the alias: its file or the generated
    one; for a public module torch has and neither covers (torch.optim.adagrad, which torch
    deletes from torch.optim's names), a new one holding what torchlike has of it."""
    name = _torchlike(module)
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - neither exists
        pass
    parent = sys.modules.get(name.rpartition(".")[0])
    if parent is None or any(p.startswith("_") for p in module.split(".")):
        return None
    from ._errors import missing
    home = sys.modules[name] = types.ModuleType(name, f"{module}: the classes torchlike has.")
    home.__getattr__ = missing(module)
    return home
