"""torch.autograd.Function: user-defined forward/backward recorded as one graph node."""
from __future__ import annotations

from . import grad_mode
from . import graph
from .graph import Node


class FunctionCtx:
    """What `ctx` offers inside forward/backward (it is the graph node itself, as in torch)."""

    def save_for_backward(self, *tensors) -> None:
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        self.check_alive()
        return tuple(getattr(self, "_saved", ()))

    def mark_dirty(self, *tensors) -> None:
        pass

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_diff = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = value


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
        from .._tensor import _wrap
        import jax.numpy as jnp
        if getattr(self, "_materialize", True):
            grads = [g if g is not None else _wrap(jnp.zeros(s, d))
                     for g, (s, d) in zip(grads, self.out_meta)]
        out = self._function.backward(self, *grads)
        if not isinstance(out, tuple):
            out = (out,)
        n = len(self._arg_is_tensor)
        if len(out) < n or any(o is not None for o in out[n:]):
            raise RuntimeError(f"function {type(self).__name__} returned an incorrect number "
                               f"of gradients (expected {n}, got {len(out)})")
        return [g for g, is_t in zip(out, self._arg_is_tensor) if is_t]


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
        ctx.seq = next(graph._seq)  # newer than the edges, some of which may be new
        outs = out if isinstance(out, tuple) else (out,)
        non_diff = getattr(ctx, "_non_diff", set())
        ctx.out_meta = tuple((o._data.shape, o._data.dtype) for o in outs if isinstance(o, Tensor))
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
