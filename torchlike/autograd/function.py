"""torch.autograd.Function: user-defined forward/backward recorded as one graph node."""
from __future__ import annotations

import numpy as np

from . import grad_mode
from . import graph
from .graph import Node


class FunctionCtx:
    """What `ctx` offers inside forward/backward (it is the graph node itself, as in torch)."""

    def save_for_backward(self, *tensors) -> None:
        """Kept for backward; under saved_tensors_hooks each tensor is packed now and unpacked
        at every read of saved_tensors, as torch's SavedVariables are."""
        from .saved_tensors import _state
        if _state.stack:
            pack_hook, unpack_hook = _state.stack[-1]
            with grad_mode.no_grad():
                tensors = tuple(t if t is None else _Packed(pack_hook(t), unpack_hook)
                                for t in tensors)
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        self.check_alive()
        return tuple(t.unpack() if isinstance(t, _Packed) else t
                     for t in getattr(self, "_saved", ()))

    def mark_dirty(self, *tensors) -> None:
        pass

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_diff = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = value


class _Packed:
    """A tensor saved by ctx.save_for_backward under saved_tensors_hooks: what pack gave."""

    __slots__ = ("packed", "unpack_hook")

    def __init__(self, packed, unpack_hook):
        self.packed, self.unpack_hook = packed, unpack_hook

    def unpack(self):
        from .._tensor import Tensor
        t = self.unpack_hook(self.packed)
        if not isinstance(t, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(t).__name__}")
        return t


class BackwardCFunction(FunctionCtx, Node):
    """Base of the node classes made for each Function subclass (`MyFnBackward`)."""

    fusable = False

    def __init__(self):
        self._hooks = None
        self._pre_hooks = None
        self._freed = False
        self.metadata = {}
        self.next_functions = ()
        self.saved_versions = None
        self.seq = next(graph._seq)

    def release(self) -> None:
        self._freed = True
        self._saved = ()

    def __repr__(self) -> str:  # torch's Python-made node classes live in that module
        return f"<torch.autograd.function.{type(self).__name__} object at {hex(id(self))}>"

    def apply(self, grads, create_graph):
        """Call the user's backward (torch calls it even when no gradient reached the node),
        then check its gradients as torch's PyNode and validate_outputs do."""
        from .._tensor import _wrap
        import jax.numpy as jnp
        if getattr(self, "_materialize", True):  # zeros for tensor outputs, None for others
            grads = [_wrap(jnp.zeros(s, d)) if g is None and is_t else g
                     for g, (s, d), is_t in zip(grads, self.out_meta, self._out_is_tensor)]
        out = self._function.backward(self, *grads)
        if not isinstance(out, tuple):
            out = (out,)
        n = len(self._arg_is_tensor)
        if len(out) < n or any(o is not None for o in out[n:]):
            raise RuntimeError(f"function {type(self).__name__} returned an incorrect number "
                               f"of gradients (expected {n}, got {len(out)})")
        res = []
        for i, (g, is_t) in enumerate(zip(out, self._arg_is_tensor)):
            if is_t:
                res.append(_checked(g))
            elif g is not None:
                raise RuntimeError(f"function {type(self).__name__} returned a gradient "
                                   f"different than None at position {i + 1}, but the "
                                   "corresponding forward input was not a Variable")
        return [_valid(self, i, g, meta) if edge[0] is not None else g
                for i, (g, meta, edge) in enumerate(zip(res, self._in_meta,
                                                        self.next_functions))]


def _checked(g):
    from .._tensor import Tensor
    if g is None or isinstance(g, Tensor):
        return g
    cls = type(g)  # CPython's tp_name: a class made in Python by its name, others in full
    name = cls.__name__ if cls.__flags__ & (1 << 9) or cls.__module__ == "builtins" else \
        f"{cls.__module__}.{cls.__qualname__}"
    raise RuntimeError(f"expected Variable or None (got {name})")


def _valid(node, i, g, meta):
    """The gradient for input i as torch's engine passes it on: summed to the input's shape
    where it broadcasts to it, cast to its dtype; torch's errors otherwise."""
    if g is None:
        return g
    shape, dtype, device = meta
    bad = f"Function {type(node).__name__} returned an invalid gradient at index {i} - "
    if tuple(g.shape) != shape:
        n = len(shape)
        if n > g.dim() or any(s != 1 and s != d for s, d in zip(shape, g.shape[g.dim() - n:])):
            raise RuntimeError(f"{bad}got {list(g.shape)} but expected shape compatible with "
                               f"{list(shape)}")
        lead = g.dim() - n
        ones = tuple(lead + j for j, s in enumerate(shape) if s == 1 and g.shape[lead + j] != 1)
        if ones:
            g = g.sum(ones, keepdim=True)
        if lead:
            g = g.sum(tuple(range(lead)))
    if not g.dtype.is_floating_point and g.dtype.is_complex != dtype.is_complex:
        raise RuntimeError("Expected isFloatingType(grad.scalar_type()) || (input_is_complex == "
                           "grad_is_complex) to be true, but got false.  (Could this error "
                           "message be improved?  If so, please report an enhancement request "
                           "to PyTorch.)")
    if g.dtype != dtype:
        g = g.to(dtype)
    if g.device != device:
        if g.dim() != 0:
            raise RuntimeError(f"{bad}expected device {device} but got {g.device}")
        g = g.to(device)
    return g


_PLACEHOLDER = np.dtype("float32")


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_function": cls})


class Function(metaclass=_FunctionMeta):
    """Subclass with static `forward(ctx, *args)` (or forward(*args) + setup_context) and
    `backward(ctx, *grads)`, then call `MyFn.apply(*args)`."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        ctx = cls._backward_cls()
        tensors = [a for a in args if isinstance(a, Tensor)]
        ctx._arg_is_tensor = [isinstance(a, Tensor) for a in args]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        custom_setup = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if custom_setup:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        if not (grad_mode._modes.grad and any(t._rg for t in tensors)):
            return out
        ctx.next_functions = tuple(t._edge() if t._rg else (None, 0) for t in tensors)
        ctx._in_meta = tuple((tuple(t.shape), t.dtype, t.device) for t in tensors)
        ctx.seq = next(graph._seq)  # newer than the edges, some of which may be new
        outs = out if isinstance(out, tuple) else (out,)
        non_diff = getattr(ctx, "_non_diff", set())
        # one gradient slot per output, as output_nr counts them: a non-tensor output's is
        # always None (its meta a placeholder)
        ctx._out_is_tensor = tuple(isinstance(o, Tensor) for o in outs)
        ctx.out_meta = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor) else
                             ((), _PLACEHOLDER) for o in outs)
        results = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor):
                if any(o is t for t in tensors):
                    o = o.detach()  # an input returned as-is becomes a new output of this node
                if id(o) not in non_diff and o.dtype.kind in "fc":
                    o._grad_fn, o._output_nr, o._rg = ctx, i, True
            results.append(o)
        return tuple(results) if isinstance(out, tuple) else results[0]


class once_differentiable:
    def __new__(cls, fn):
        return fn
