"""Import machinery: `import torch` (and `torch.X.Y`) resolving to torchlike inside the running
interpreter, and `torchlike.X` generated for a torch module torchlike has no file for.

Under the alias, torchlike's classes also carry torch's `__module__`/`__qualname__`
(_pickle_names.rename, on install and after each torch.* import), so plain pickles name them as
torch does; multiprocessing's spawn children install the alias before they unpickle anything."""

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

from . import _pickle_names
from ._errors import has_submodules, is_torch_module, missing

_ALIAS = "torch"
_TARGET = "torchlike"


def _is_alias(name: str) -> bool:
    return name == _ALIAS or name.startswith(_ALIAS + ".")


class _TorchAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `torch.X.Y` by importing `torchlike.X.Y` and handing back that very module."""

    def find_spec(self, fullname: str, path: object = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        if not _is_alias(fullname):
            return None
        real = _TARGET + fullname[len(_ALIAS):]
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as exc:
            # Only a missing torchlike counterpart means "not found"; a missing dependency inside
            # an existing module is a real error. Returning None makes the import system raise
            # "No module named 'torch.X'" itself (torch's __path__ is torchlike's, so it finds
            # nothing else).
            if exc.name is not None and (real == exc.name or real.startswith(exc.name + ".")):
                return None
            raise
        _pickle_names.rename()  # classes it brought get torch's names (see _pickle_names)
        return importlib.machinery.ModuleSpec(
            fullname, self, loader_state=(module, getattr(module, "__spec__", None))
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return spec.loader_state[0]

    def exec_module(self, module: ModuleType) -> None:
        # The import system overwrote __spec__ with our alias spec; put the real one back so
        # torchlike's own relative imports and reloads keep working.
        module.__spec__ = module.__spec__.loader_state[1]


# torch modules torchlike implements in a file of another name (their torch parent is a
# plain module file here, torchlike/cuda.py): torchlike.X -> the module that implements it.
_HOMES = {
    **dict.fromkeys(["torchlike.cuda.amp", "torchlike.cuda.amp.autocast_mode",
                     "torchlike.cuda.amp.grad_scaler", "torchlike.cuda.amp.common"],
                    "torchlike.amp._cuda_amp"),
    **dict.fromkeys(["torchlike.cpu.amp", "torchlike.cpu.amp.autocast_mode",
                     "torchlike.cpu.amp.grad_scaler"], "torchlike.amp._cpu_amp"),
}


class _TorchModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `torchlike.X` where torch has module torch.X and torchlike has no file for it: the
    module _HOMES names, else a module whose names are placeholders (see _errors). Last in
    line, so files win."""

    def find_spec(self, fullname: str, path: object = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_TARGET + "."):
            return None
        torch_name = _ALIAS + fullname[len(_TARGET):]
        if not is_torch_module(torch_name):
            return None
        home = _HOMES.get(fullname)
        if home is not None:
            module = importlib.import_module(home)
            return importlib.machinery.ModuleSpec(fullname, self, loader_state=(
                module, module.__spec__), is_package=has_submodules(torch_name))
        return importlib.machinery.ModuleSpec(fullname, self,
                                              is_package=has_submodules(torch_name))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        # the home module itself, else the default: a plain module
        return None if spec.loader_state is None else spec.loader_state[0]

    def exec_module(self, module: ModuleType) -> None:
        if module.__spec__.loader_state is not None:  # a home module: its own spec back
            module.__spec__ = module.__spec__.loader_state[1]
            return
        torch_name = _ALIAS + module.__name__[len(_TARGET):]
        module.__doc__ = f"{torch_name}: not implemented in torchlike (names are placeholders)."
        module.__getattr__ = missing(torch_name)


def install_alias() -> None:
    """Make `torch` and every `torch.*` import resolve to the matching torchlike module."""
    import torchlike

    # Drop a real torch imported earlier so its submodules cannot shadow torchlike's.
    for name in [n for n in sys.modules if _is_alias(n)]:
        real = getattr(sys.modules[name], "__name__", "")
        if real != _TARGET and not real.startswith(_TARGET + "."):
            del sys.modules[name]
    sys.modules[_ALIAS] = torchlike
    # torchlike's loaded submodules under their torch names: importing one through the finder
    # would make the import system set it on its package again, over a function of the same
    # name (`from torch.autograd.gradcheck import GradcheckError` must leave
    # `torch.autograd.gradcheck` the function, as in torch)
    for name, module in list(sys.modules.items()):
        if module is not None and name.startswith(_TARGET + "."):
            sys.modules.setdefault(_ALIAS + name[len(_TARGET):], module)
    if not any(isinstance(f, _TorchAliasFinder) for f in sys.meta_path):
        # First in line, so the path finder never loads torchlike files a second time as torch.*.
        sys.meta_path.insert(0, _TorchAliasFinder())
    _pickle_names.rename()  # torchlike's classes under torch's names, for plain pickle
    _spawn_with_alias()


class _AliasInChild:
    """Unpickled first in a multiprocessing spawn child (in its preparation data, before the
    parent's `__main__` is re-run and the process object is unpickled): the alias there too."""

    def __reduce__(self):
        return install_alias, ()


def _spawn_with_alias() -> None:
    """Spawned children install the alias as well: they unpickle classes by torch's names."""
    import multiprocessing.spawn as spawn
    original = spawn.get_preparation_data
    if getattr(original, "_torchlike_alias", False):
        return

    def get_preparation_data(name):
        data = original(name)
        if getattr(sys.modules.get(_ALIAS), "__name__", None) == _TARGET:
            data["torchlike_alias"] = _AliasInChild()  # spawn's prepare() skips unknown keys
        return data
    get_preparation_data._torchlike_alias = True
    spawn.get_preparation_data = get_preparation_data


# torchlike imports this module on startup: from then on every torch module can be imported.
if not any(isinstance(f, _TorchModuleFinder) for f in sys.meta_path):
    sys.meta_path.append(_TorchModuleFinder())
