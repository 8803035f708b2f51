"""How table ops become public: torch.X functions, Tensor.X methods, in-place X_ variants."""
from __future__ import annotations

import inspect

from .._tensor import CLAMPS, cast_named_in_c
from ._registry import inplace as _inplace

FUNCTIONS: dict = {}   # torch.<name>
METHODS: dict = {}     # Tensor.<name>


def public(*names, method=True, function=True, inplace: str | bool | None = None):
    """Publish the decorated function under torch names; `inplace` adds `name_` (write-back).
    A function with an `out` parameter gets torch's out= semantics (compare.outable) unless
    it already has them; the Tensor methods, which take no out=, skip that wrapper."""
    def deco(fn):
        method_fn = fn
        if not hasattr(fn, "__wrapped__") and "out" in inspect.signature(fn).parameters:
            from .compare import outable
            fn = outable(fn)
        for n in names or (fn.__name__,):
            if function:
                FUNCTIONS[n] = fn
            if method:
                METHODS[n] = method_fn
        if inplace:
            iname = inplace if isinstance(inplace, str) else (names or (fn.__name__,))[0] + "_"
            METHODS[iname] = _make_inplace(method_fn, iname)
        return fn
    return deco


def _make_inplace(fn, name):
    if name.rstrip("_") in CLAMPS:  # their cast error names the type as C++ does (Number bounds)
        def method(self, *args, **kwargs):
            return _inplace(self, fn(self, *args, **kwargs), cast_named_in_c(name, args, kwargs))
    else:
        def method(self, *args, **kwargs):
            return _inplace(self, fn(self, *args, **kwargs))
    method.__name__ = name
    return method


def method_only(*names):
    return public(*names, function=False)
