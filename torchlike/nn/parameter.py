"""nn.Parameter (a Tensor subclass that modules register) and nn.Buffer."""
from __future__ import annotations

import copy

import jax.numpy as jnp
import numpy as np

from .. import _storage
from .._tensor import Tensor, _init, _wrap


class Parameter(Tensor):
    """A leaf tensor that requires grad by default; shares storage with the tensor given."""

    def __new__(cls, data=None, requires_grad: bool = True):
        p = object.__new__(cls)
        if data is None:
            _init(p, jnp.zeros((0,), jnp.float32))
        else:
            _init(p, data._data)
            _share(data, p)
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad: bool = True):
        pass

    def __repr__(self, *, tensor_contents=None) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (np.asarray(self._data), self._rg))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(_wrap(self._data), self._rg)  # jax arrays are immutable: no copy
        out.__dict__.update(copy.deepcopy(self.__dict__, memo))
        if self._grad is not None:
            out._grad = _wrap(self._grad._data)
        memo[id(self)] = out
        return out


def _share(data: Tensor, p: "Parameter") -> None:
    """Parameter(t) shares t's storage. A plain tensor becomes an alias of the parameter (so
    optimizer writes to the parameter take the direct path); a view keeps its base."""
    if data._base is None and not data._views:
        _storage.link(p, data)
    else:
        _storage.link(data, p)


def _rebuild_parameter(values, requires_grad):
    return Parameter(_wrap(jnp.asarray(values)), requires_grad)


class _BufferMeta(type):
    # isinstance(t, Buffer) holds for tensors made by Buffer(...), as in torch.
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and getattr(obj, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """nn.Buffer(data, persistent=True): marks a tensor for registration as a buffer."""

    def __new__(cls, data=None, *, persistent: bool = True):
        if data is None:
            data = _wrap(jnp.zeros((0,), jnp.float32))
        t = data.detach().requires_grad_(data.requires_grad)
        t._is_buffer = True
        t.persistent = persistent
        return t


def is_lazy(param) -> bool:
    return False

from .._errors import missing as _missing  # noqa: E402
__getattr__ = _missing("torch.nn.parameter")  # names torchlike lacks: NotImplementedError
