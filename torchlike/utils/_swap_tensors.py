"""torch.utils.swap_tensors: two Tensor objects exchange their contents (class, attributes,
data, autograd state) and keep their identities. Unlike torch, a weak reference to either
does not stop the swap: it keeps referring to the same object, which is all a weakref holds
in Python (torch refuses because its C++ side keeps its own)."""
from __future__ import annotations

import copyreg

_POISONED = ("Trying to execute AccumulateGrad node that was poisoned by swap_tensors this can "
             "happen when you try to run backward on a tensor that was swapped. For a module m "
             "with `torch.__future__.set_swap_module_params_on_conversion(True)` you should not "
             "change the device or dtype of the module (e.g. `m.cpu()` or `m.half()`) between "
             "running forward and backward. To resolve this, please only change the "
             "device/dtype before running forward (or after both forward and backward).")


def _poisoned(grad_outputs):
    raise RuntimeError(_POISONED)


def swap_tensors(t1, t2) -> None:
    from .._tensor import Tensor
    for name, t in (("t1", t1), ("t2", t2)):
        if not isinstance(t, Tensor):
            raise AttributeError(f"'{type(t).__name__}' object has no attribute '_use_count'")
        if t._base is not None or any(r() is not None for r in t._views or ()):
            # torch counts the references to the tensor's storage: a view makes two
            if not t.requires_grad:
                raise RuntimeError("It is not possible to get the gradient edge for a Tensor "
                                   "that does not require gradients")
            raise RuntimeError(f"Expected use_count of {name} to be 1 or 2 with an "
                               f"AccumulateGrad node but got 3 make sure you are not holding "
                               f"references to the tensor in other places.")
    slots = set(copyreg._slotnames(type(t1)))
    if slots != set(copyreg._slotnames(type(t2))):
        raise RuntimeError("Cannot swap t1 and t2 if they have different slots")
    for t in (t1, t2):  # a gradient still flowing to either leaf would land in the wrong one
        if t._accum is not None:
            t._accum.register_prehook(_poisoned)
    t1.__class__, t2.__class__ = t2.__class__, t1.__class__
    t1.__dict__, t2.__dict__ = t2.__dict__, t1.__dict__
    for cls in type(t1).__mro__:
        for slot in cls.__dict__.get("__slots__", ()):
            if slot in ("__dict__", "__weakref__"):
                continue
            a, b = getattr(t1, slot, _MISSING), getattr(t2, slot, _MISSING)
            for t, v in ((t1, b), (t2, a)):
                if v is _MISSING:
                    if hasattr(t, slot):
                        delattr(t, slot)
                else:
                    setattr(t, slot, v)
    t1._accum = t2._accum = None


_MISSING = object()
