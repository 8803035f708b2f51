"""torch.jit: TorchScript, which torchlike does not compile. What programs call runs eagerly:
`script` and `trace` hand back the module or function itself (torch's ScriptModule would run
the same computation; a module so handed back counts as scripted for `freeze` and
`optimize_for_inference`, which make a frozen copy), the decorators mark the function as
torch's do and hand it back. is_scripting() and is_tracing() say False, even inside a scripted
or traced function (torch says True there: torchlike runs it as Python). Serialized TorchScript
(`save`, `load`) and a ScriptModule's own API (`.code`, `.graph`) are placeholders that raise."""
from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from typing import Any, TypeVar
from typing import Final as Final

from ._errors import missing as _missing

_F = TypeVar("_F", bound=Callable)
_scripted = weakref.WeakSet()  # the modules script/trace/freeze handed back: ScriptModules

# torch._jit_internal.FunctionModifiers: what the decorators record on a function
_UNUSED = "unused (ignored and replaced with raising of an exception)"
_EXPORT = "export (compile this function even if nothing calls it)"


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
    """Leave a function (or a property's accessors) out of scripting."""
    if isinstance(fn, property):
        for accessor in (fn.fget, fn.fset):
            if accessor:
                accessor._torchscript_modifier = _UNUSED
        return fn
    fn._torchscript_modifier = _UNUSED
    return fn


def export(fn: _F) -> _F:
    """Compile a module's method as an entry point when scripting."""
    fn._torchscript_modifier = _EXPORT
    return fn


def annotate(the_type: Any, the_value: Any) -> Any:
    return the_value


def script(obj: Any, optimize: None = None, _frames_up: int = 0, _rcb: Callable | None = None,
           example_inputs: Any = None) -> Any:
    """The module, function or class itself, run eagerly (as a decorator too)."""
    warnings.warn("`torch.jit.script` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning, stacklevel=2)
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning, stacklevel=2)
    return _as_scripted(obj)


def _as_scripted(obj: Any) -> Any:
    from .nn import Module
    if isinstance(obj, Module):
        _scripted.add(obj)
    return obj


def _check_scripted(mod: Any, what: str) -> None:
    if mod not in _scripted:
        raise RuntimeError(f"{what} expects a ScriptModule as input. Please use torch.jit.script "
                           "or torch.jit.trace to script your 'nn.Module'.")


def trace(func: Any, example_inputs: Any = None, optimize: None = None, check_trace: bool = True,
          check_inputs: Any = None, check_tolerance: float = 1e-05, strict: bool = True,
          _force_outplace: bool = False, _module_class: Any = None,
          _compilation_unit: Any = None, example_kwarg_inputs: dict | None = None,
          _store_inputs: bool = True) -> Any:
    """`func` itself, after one call with the example inputs, as torch's tracing makes."""
    from ._tensor import Tensor
    warnings.warn("`torch.jit.trace` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning, stacklevel=2)
    from .nn import Module
    if isinstance(func, Module):
        return trace_module(func, {"forward": example_inputs}, example_inputs_is_kwarg=False)
    if example_kwarg_inputs is not None:
        func(**example_kwarg_inputs)
    else:
        args = (example_inputs,) if isinstance(example_inputs, Tensor) else tuple(example_inputs)
        func(*args)
    return func


def trace_module(mod: Any, inputs: dict, optimize: None = None, check_trace: bool = True,
                 check_inputs: Any = None, check_tolerance: float = 1e-05, strict: bool = True,
                 _force_outplace: bool = False, _module_class: Any = None,
                 _compilation_unit: Any = None, example_inputs_is_kwarg: bool = False,
                 _store_inputs: bool = True) -> Any:
    """`mod` itself, after one call of each named method with its example inputs."""
    from ._tensor import Tensor
    from .nn import Module
    warnings.warn("`torch.jit.trace_method` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning, stacklevel=2)
    if not isinstance(mod, Module):
        raise AttributeError("expected torch.nn.Module as the first argument")
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    for method, example in inputs.items():
        fn = getattr(mod, method) if method != "forward" else mod
        if example_inputs_is_kwarg and isinstance(example, dict):
            names = _argument_names(getattr(mod, method))
            for key in example:
                if key not in names:
                    raise NameError(f"'{key}' is not in forward() method's arguments,\n"
                                    f"                         valid arguments name are "
                                    f"[{','.join(names)}]")
            fn(**example)
        else:
            fn(*((example,) if isinstance(example, Tensor) else tuple(example)))
    return _as_scripted(mod)


def _argument_names(fn: Callable) -> list:
    """The names `fn` takes by position or keyword (what trace's example kwargs may name)."""
    import inspect
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]


def freeze(mod: Any, preserved_attrs: list | None = None, optimize_numerics: bool = True) -> Any:
    """A copy whose parameters are constants, as torch's freezing folds them in: no gradient
    reaches the original's parameters through it, and it has no parameters() of its own."""
    import copy
    warnings.warn("`torch.jit.freeze` is deprecated. Please use `torch.compile` instead.",
                  DeprecationWarning, stacklevel=2)
    _check_scripted(mod, "Freezing")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. "
                           "Please call .eval() on your module before freezing.")
    frozen = copy.deepcopy(mod)
    for m in frozen.modules():
        for name, p in list(m._parameters.items()):
            del m._parameters[name]
            if p is not None:
                object.__setattr__(m, name, p.detach())
    return _as_scripted(frozen)


def optimize_for_inference(mod: Any, other_methods: list | None = None) -> Any:
    """A frozen copy of the scripted module, in eval mode (torch's passes then fuse ops: the
    values stay the same)."""
    warnings.warn("`torch.jit.optimize_for_inference` is deprecated. Please use `torch.compile` "
                  "instead.", DeprecationWarning, stacklevel=2)
    _check_scripted(mod, "optimize_for_inference")
    return freeze(mod.eval(), preserved_attrs=other_methods or [])


__getattr__ = _missing("torch.jit")  # names torchlike lacks: NotImplementedError
