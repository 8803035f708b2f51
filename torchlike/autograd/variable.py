"""torch.autograd.Variable: the legacy constructor, which returns a plain Tensor.

`Variable(data, requires_grad, volatile, _grad_fn, name)` is torch's C function
(python_legacy_variable.cpp): its arguments are parsed by CPython's PyArg_ParseTupleAndKeywords
with the format "|ObbOz", so its TypeErrors carry CPython's wording, reproduced by `_parse`.
"""
from __future__ import annotations

import operator
import warnings

from .._errors import missing as _missing

_NAMES = ("data", "requires_grad", "volatile", "_grad_fn", "name")
_LONG = 1 << 63  # C long bounds: PyLong_AsLong overflows beyond them
_VOLATILE = ("volatile was removed and now has no effect. Use `with torch.no_grad():` "
             "instead.")


def _as_byte(value, position: int) -> int:
    """The "b" format unit: an integer (via __index__) in 0..255."""
    value = operator.index(value)  # TypeError: "'float' object cannot be interpreted as ..."
    if not -_LONG <= value < _LONG:
        raise OverflowError("Python int too large to convert to C long")
    if value < 0:
        raise OverflowError("unsigned byte integer is less than minimum")
    if value > 255:
        raise OverflowError("unsigned byte integer is greater than maximum")
    return value


def _as_name(value, position: int):
    """The "z" format unit: a str without NUL characters, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"argument {position} must be str or None, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError("embedded null character")
    return value


def _parse(args: tuple, kwargs: dict) -> list:
    """CPython's vgetargskeywords for "|ObbOz" with no function name: the same checks, in
    the same order, with the same messages."""
    total = len(args) + len(kwargs)
    if total > len(_NAMES):
        kind = "keyword " if not args else ""
        raise TypeError(f"function takes at most {len(_NAMES)} {kind}arguments ({total} given)")
    values = [None, 0, 0, None, None]
    converters = (None, _as_byte, _as_byte, None, _as_name)
    for i, name in enumerate(_NAMES):
        if i < len(args):
            value = args[i]
        elif name in kwargs:
            value = kwargs[name]
        else:
            continue
        values[i] = value if converters[i] is None else converters[i](value, i + 1)
    for i, name in enumerate(_NAMES[:len(args)]):
        if name in kwargs:
            raise TypeError(f"argument for function given by name ('{name}') and position "
                            f"({i + 1})")
    for key in kwargs:
        if key not in _NAMES:
            raise TypeError(f"'{key}' is an invalid keyword argument for this function")
    return values


def _new(*args, **kwargs):
    from .._tensor import Tensor
    from .._creation import empty
    from .function import BackwardCFunction
    data, requires_grad, volatile, grad_fn, name = _parse(args, kwargs)
    if volatile:
        warnings.warn(_VOLATILE, UserWarning, stacklevel=3)
    if volatile and requires_grad:
        raise ValueError("Variable can't be volatile and require_grad at the same time!")
    if grad_fn is not None and not isinstance(grad_fn, BackwardCFunction):
        raise TypeError("_grad_fn has to be a Function object or None, but got "
                        f"{type(grad_fn).__name__}")
    if data is None:
        var = empty(0)
    elif isinstance(data, Tensor):
        var = data.detach()
    else:
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    if grad_fn is not None:
        raise RuntimeError("_grad_fn argument to legacy Variable constructor is no longer "
                           "supported.  Instead, please invoke your _grad_fn to produce a "
                           "variable with it as the _grad_fn.")
    if requires_grad:
        if var.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        var._rg = True
    if name is not None:
        var.__dict__["_legacy_name"] = name
    return var


class VariableMeta(type):
    """Every Tensor is an instance of Variable, as in torch."""

    def __instancecheck__(cls, other) -> bool:
        from .._tensor import Tensor
        return isinstance(other, Tensor)

    def __getattr__(cls, name: str):
        if name == "_execution_engine":  # torch's C++ engine object
            from .._errors import NotImplementedOp
            raise NotImplementedOp("torch.autograd.Variable._execution_engine is not "
                                   "implemented in torchlike")
        raise AttributeError(f"type object '{cls.__name__}' has no attribute '{name}'")


class Variable(metaclass=VariableMeta):
    """torch.autograd.Variable(data=None, requires_grad=False, volatile=False, _grad_fn=None,
    name=None): a new Tensor, `data.detach()` (shares its data and version counter)."""

    def __new__(cls, *args, **kwargs):
        return _new(*args, **kwargs)


__getattr__ = _missing("torch.autograd.variable")  # names torchlike lacks: NotImplementedError
