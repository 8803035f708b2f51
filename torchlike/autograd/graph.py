"""Graph nodes: one Python class per PyTorch grad_fn name, AccumulateGrad for leaves.

A node records what backward needs: the kernel that ran, the operand values it saw, which
operands need gradients (`diff`), and `next_functions` (torch's edges: (node, output_nr)).
"""
from __future__ import annotations

_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the graph "
          "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
          "you need to backward through the graph a second time or if you need to access saved "
          "tensors after calling backward.")


class Node:
    """Base of every grad_fn class; `type(node).__name__` is torch's name (AddBackward0...)."""

    __slots__ = ("kernel", "args", "inputs", "diff", "next_functions", "out_meta", "_hooks",
                 "_pre_hooks", "_freed", "metadata", "__weakref__")
    fusable = True  # plain op nodes run inside the fused, cached backward

    def __init__(self, kernel, args, inputs, diff, next_functions, out_meta):
        self.kernel = kernel          # ops._registry.Kernel
        self.args = args              # operand values: jax arrays and Python scalars
        self.inputs = inputs          # operand Tensors (for create_graph), or None
        self.diff = diff              # positions in args that need a gradient
        self.next_functions = next_functions  # one (node, output_nr) per tensor operand
        self.out_meta = out_meta      # ((shape, np dtype), ...) per output
        self._hooks = None
        self._pre_hooks = None
        self._freed = False
        self.metadata = {}

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) -> new grad_inputs or None."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _Handle(self._hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) -> new grad_outputs or None."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        return _Handle(self._pre_hooks, fn)

    def check_alive(self) -> None:
        if self._freed:
            raise RuntimeError(_FREED)

    def release(self) -> None:
        """Free what torch would free after backward without retain_graph."""
        if self.kernel.op.saves:
            self._freed = True
            self.args = None
            self.inputs = None


class AccumulateGrad(Node):
    """The node of a leaf that requires grad; `variable` is the leaf."""

    __slots__ = ("variable",)
    fusable = True

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()
        self._hooks = None
        self._pre_hooks = None
        self._freed = False
        self.metadata = {}

    def release(self) -> None:
        pass


class _Handle:
    """What register_hook returns: `.remove()` unregisters."""

    def __init__(self, hooks: list, fn):
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


_classes: dict[str, type] = {}


def node_class(name: str) -> type:
    """The Node subclass named `name`, made once."""
    cls = _classes.get(name)
    if cls is None:
        cls = _classes[name] = type(name, (Node,), {"__slots__": ()})
    return cls
