"""The meta device: tensors with a shape and a dtype and no data.

A meta tensor's `_data` is a `Meta` (a jax.ShapeDtypeStruct). Ops need no change for it: a
jitted kernel refuses one (TypeError), and the op path's error branch (ops/_registry.py)
answers with `jax.eval_shape` of the same kernel, so ordinary tensors pay nothing for the
check. An op that reads values on the host (numpy) gets torch's "no data" error instead of
garbage. Autograd records as for any tensor; backward gives the leaves meta gradients.
"""
from __future__ import annotations

import copy

import jax

from . import _device

NO_DATA = "Cannot copy out of meta tensor; no data!"
NO_ITEM = "Tensor.item() cannot be called on meta tensors"
NO_NUMPY = ("can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy the "
            "tensor to host memory first.")


class Meta(jax.ShapeDtypeStruct):
    """A meta tensor's array: a shape and a dtype. numpy may not read values from it."""

    __slots__ = ()

    def __array__(self, dtype=None, copy=None):
        raise NotImplementedError(NO_DATA)

    def devices(self):  # (host code placing its values next to a tensor's)
        raise NotImplementedError(NO_DATA)


def empty(shape, np_dtype):
    """A new meta tensor (a leaf)."""
    from ._tensor import _wrap
    return _wrap(Meta(tuple(shape), np_dtype))


def rebuild(shape, dtype_name: str, requires_grad: bool):
    """A meta tensor from its pickle."""
    from ._dtype import _BY_NAME
    return empty(shape, _BY_NAME[dtype_name].np).requires_grad_(requires_grad)


def no_values(error) -> Exception:
    """torch's error for reading a meta tensor's values (its type differs by the reader)."""
    return error({TypeError: NO_NUMPY, RuntimeError: NO_ITEM}.get(error, NO_DATA))


def evaluate(fn, args):
    """fn's results' shapes and dtypes for these arguments (Meta ones among them)."""
    out = jax.eval_shape(fn, *args)
    if isinstance(out, (tuple, list)):
        return tuple([Meta(o.shape, o.dtype) for o in out])
    return Meta(out.shape, out.dtype)


def device_error(operands, positions):
    """torch's error for an op's tensors on different devices (its TensorIterator's rule: the
    first that is not a CPU 0-d tensor names the device; CPU 0-d tensors go with any), or
    None."""
    first = None
    for i in positions:
        t = operands[i]
        meta = t._data.__class__ is Meta
        if not meta and t._data.ndim == 0:
            continue
        if first is None:
            first = t
        elif meta is not (first._data.__class__ is Meta):
            return RuntimeError(f"Tensor on device {t.device} is not on the expected device "
                                f"{first.device}!")
    return None


def named(args, kwargs) -> bool:
    """Tensor.to's arguments name the meta device (a string, a device or a meta tensor)."""
    for a in (*args, kwargs.get("device")):
        if isinstance(a, str):
            if a.startswith("meta"):
                return True
        elif isinstance(a, _device.device):
            if a.type == "meta":
                return True
        elif getattr(a, "_data", None).__class__ is Meta:  # a meta tensor
            return True
    return False


def to(t, args, kwargs):
    """Tensor.to where the meta device is the source or the target."""
    from .ops._registry import run
    from .ops.conversion import _parse, _to_copy
    from .ops.conversion import to as plain_to
    dtype, device = _parse(args, kwargs)
    if t._data.__class__ is Meta:
        if device is not None and device.type != "meta":
            raise NotImplementedError(NO_DATA)
        return plain_to(t, *args, **kwargs)  # a dtype change: the op path's meta branch
    if device is None or device.type != "meta":
        return plain_to(t, *args, **kwargs)
    dt = dtype or t.dtype
    if not t._rg:
        return empty(t._data.shape, dt.np)
    out = run(_to_copy, (t,), (("dtype", dt),))  # ToCopyBackward0, as torch records it
    out._data = Meta(t._data.shape, dt.np)
    node = out._grad_fn
    if node is not None:  # (none under no_grad)
        node.__class__ = node_class(node.__class__, copy_back=True)
    return out


# ---- autograd -------------------------------------------------------------------------------
_TWINS: dict = {}


def kernel_twin(k):
    """Kernel k as it records ops on meta tensors: its nodes' backward gives meta gradients."""
    twin = _TWINS.get(k)
    if twin is None:
        twin = _TWINS[k] = copy.copy(k)
        twin.node_cls = None if k.node_cls is None else node_class(k.node_cls)
    return twin


def node_class(cls, copy_back: bool = False) -> type:
    """The node class for an op on meta tensors: torch's name (cls's), run node by node (the
    fused backward program would compute values), its apply giving meta gradients. copy_back:
    a copy to the meta device, whose backward has no values to copy back (torch's error)."""
    twin = _TWINS.get((cls, copy_back))
    if twin is None:
        twin = _TWINS[(cls, copy_back)] = type(cls.__name__, (cls,), {
            "__slots__": (), "fusable": False, "meta": True,
            "apply": _no_copy_back if copy_back else _gradients})
    return twin


def _gradients(node, grads, create_graph=False) -> list:
    """A meta node's backward: one gradient per edge, of its operand's shape and dtype."""
    node.check_alive()
    out = [None] * len(node.next_functions)
    for j, i in zip(node.kernel.edge_index(node.diff), node.diff):
        a = node.args[i]
        out[j] = empty(a.shape, a.dtype)
    return out


def _no_copy_back(node, grads, create_graph=False):
    raise NotImplementedError(NO_DATA)


def backward(t, gradient, retain_graph) -> None:
    """Tensor.backward on a meta tensor: the graph is walked as torch walks it (with its errors
    for a freed graph), and every leaf it reaches gets a meta gradient of its shape."""
    from ._tensor import Tensor
    from .autograd import engine
    from .autograd.graph import AccumulateGrad
    if isinstance(gradient, Tensor) and gradient._data.__class__ is not Meta:
        raise RuntimeError(f"invalid gradient at index 0 - expected device meta but got "
                           f"{gradient.device}")
    engine._make_grads([t], [gradient])  # torch's errors: no grad_fn, implicit non-scalar
    order = engine.topo_order([t._edge()[0]])
    for node in order:
        if node.__class__ is AccumulateGrad:
            leaf = node.variable
            g = empty(leaf._data.shape, leaf._data.dtype)
            for hook in leaf._hooks or ():
                new = hook(g)
                g = g if new is None else new
            if leaf._grad is None:
                leaf._grad = g
            continue
        grads = [empty(shape, dt) for shape, dt in node.out_meta]
        for hook in node._pre_hooks or ():  # retain_grad and hooks of non-leaf tensors
            new = hook(grads)
            grads = grads if new is None else list(new)
        if getattr(node, "meta", False):
            node.apply(grads)
        else:
            node.check_alive()
    if not retain_graph:
        for node in order:
            node.release()
