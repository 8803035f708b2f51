"""torch.jit: TorchScript, which torchlike does not compile. What programs call runs eagerly:
`script` and `trace` hand back the module or function itself (torch's ScriptModule would run
the same computation), `freeze`/`optimize_for_inference` the module, the is_scripting() checks
say False and the decorators hand the function back. Serialized TorchScript (`save`, `load`) and
a ScriptModule's own API (`.code`, `.graph`) are placeholders that raise."""
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


def script(obj: Any, optimize: None = None, _frames_up: int = 0, _rcb: Callable | None = None,
           example_inputs: Any = None) -> Any:
    """The module, function or class itself, run eagerly (as a decorator too)."""
    warnings.warn("`torch.jit.script` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning, stacklevel=2)
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning, stacklevel=2)
    return obj


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
    warnings.warn("`torch.jit.trace_method` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning, stacklevel=2)
    for method, example in inputs.items():
        fn = getattr(mod, method) if method != "forward" else mod
        if example_inputs_is_kwarg:
            fn(**example)
        else:
            fn(*((example,) if isinstance(example, Tensor) else tuple(example)))
    return mod


def freeze(mod: Any, preserved_attrs: list | None = None, optimize_numerics: bool = True) -> Any:
    """A copy whose parameters are constants, as torch's freezing folds them in: no gradient
    reaches the original's parameters through it, and it has no parameters() of its own."""
    import copy
    warnings.warn("`torch.jit.freeze` is deprecated. Please use `torch.compile` instead.",
                  DeprecationWarning, stacklevel=2)
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. "
                           "Please call .eval() on your module before freezing.")
    frozen = copy.deepcopy(mod)
    for m in frozen.modules():
        for name, p in list(m._parameters.items()):
            del m._parameters[name]
            if p is not None:
                object.__setattr__(m, name, p.detach())
    return frozen


def optimize_for_inference(mod: Any, other_methods: list | None = None) -> Any:
    return mod


__getattr__ = _missing("torch.jit")  # names torchlike lacks: NotImplementedError
