"""Helpers shared by Module and the containers: torch.typename, hook handles, torch's
_addindent, `.data =` rebinding and copy_ into parameters."""
from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from typing import NamedTuple

import jax.numpy as jnp

from ..._tensor import _TYPE_NAMES, Tensor, _wrap


def typename(obj) -> str:
    """torch.typename: 'torch.FloatTensor' for tensors, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return _TYPE_NAMES.get(obj.dtype.name, "torch.Tensor")
    module = getattr(type(obj), "__module__", "") or ""
    name = type(obj).__qualname__
    return name if module in ("builtins", "") else f"{module}.{name}"


class _IncompatibleKeys(NamedTuple("IncompatibleKeys", [("missing_keys", list),
                                                        ("unexpected_keys", list)])):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")

    __str__ = __repr__


class RemovableHandle:
    """A handle that removes a registered hook (torch.utils.hooks.RemovableHandle)."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in
                                    ([] if extra_dict is None else
                                     extra_dict if isinstance(extra_dict, list) else
                                     [extra_dict]))

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _HookDict(OrderedDict):
    # OrderedDict supports weak references only through a subclass.
    pass


def _addindent(s_: str, num_spaces: int) -> str:
    s = s_.split("\n")
    if len(s) == 1:
        return s_
    first = s.pop(0)
    s = [(num_spaces * " ") + line if line.strip() else "" for line in s]
    return first + "\n" + "\n".join(s)


def _rebind(t: Tensor, data) -> None:
    """`t.data = data`: t takes new storage (its own views follow it, as with `.data =`)."""
    base = t._base
    if base is not None:  # t stops sharing its base's storage
        if base._views:
            base._views[:] = [r for r in base._views if r() is not t]
        t._base = t._view = t._idx = t._st = None
        t._vc = [t._vc[0]]
    t.data = _wrap(data)


def copy_into(dst: Tensor, src: Tensor) -> None:
    """dst.copy_(src) for equal shapes: cast to dst's dtype and device, bump the version."""
    if dst.is_meta:  # nothing to copy into: torch's copy_ on meta checks shapes only
        dst.copy_(src)
        return
    data = src._data
    if data.dtype != dst._data.dtype:
        data = data.astype(dst._data.dtype)
    if src.device != dst.device:
        import jax
        data = jax.device_put(data, next(iter(dst._data.devices())))
    dst._set_data(data)


def zero_grads(params, set_to_none: bool) -> None:
    """Module/Optimizer.zero_grad: drop the gradients, or zero them in place."""
    for p in params:
        g = p._grad
        if g is None:
            continue
        if set_to_none:
            p._grad = None
            continue
        if g._grad_fn is not None:
            g.detach_()
        else:
            g._rg = False
        g._set_data(jnp.zeros_like(g._data))
