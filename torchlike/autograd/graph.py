"""Graph nodes: one Python class per PyTorch grad_fn name, AccumulateGrad for leaves; and
torch.autograd.graph's public surface (saved-tensor hooks, gradient edges, multi-grad hooks).

A node records what backward needs: the kernel that ran, the operand values it saw, which
operands need gradients (`diff`), and `next_functions` (torch's edges: (node, output_nr)).
Each class carries torch's `_saved_<name>` / `_raw_saved_<name>` attributes for its name
(saved_values.py reads them off the node).
"""
from __future__ import annotations

import abc
import itertools
import re

import jax
import jax.numpy as jnp

_seq = itertools.count()  # creation order: every edge points to an older node
# name() of torch's hand-written C++ nodes: their C++ name (generated ones: the class name)
_CPP_NAMES = {"AccumulateGrad": "torch::autograd::AccumulateGrad",
              "CopySlices": "torch::autograd::CopySlices",
              "NotImplemented": "torch::autograd::NotImplemented"}

_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the graph "
          "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
          "you need to backward through the graph a second time or if you need to access saved "
          "tensors after calling backward.")


class Node(metaclass=abc.ABCMeta):
    """Base of every grad_fn class; `type(node).__name__` is torch's name (AddBackward0...).
    torch.autograd.graph.Node: an abstract base class in torch (its grad_fn classes are
    registered with it), torchlike's concrete one (they derive from it)."""

    __slots__ = ("kernel", "args", "inputs", "diff", "next_functions", "out_meta", "_hooks",
                 "_pre_hooks", "_freed", "_hollow", "metadata", "saved_versions", "seq",
                 "_raw", "__weakref__")
    # _raw (unset until used): {name: saved_tensors.SavedTensor} for _raw_saved_<name>
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
        self._hollow = False  # released, saving nothing: args hold _Hollow stand-ins
        self.metadata = {}
        self.saved_versions = None  # ((version counter, version at record, tensor or None), ...)
        self.seq = next(_seq)

    def name(self) -> str:
        name = type(self).__name__
        return _CPP_NAMES.get(name, name)

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
        if self.saved_versions is not None:
            for vc, version, t in self.saved_versions:
                if vc[0] != version:
                    raise RuntimeError(_modified(self, vc[0], version, t))

    def release(self) -> None:
        """Free what torch would free after backward without retain_graph. A node that saves
        nothing can run backward again (as in torch): its vjp needs only its operands' shapes,
        so their arrays give way to _Hollow stand-ins."""
        if self.kernel.op.saves:
            self._freed = True
            self.args = None
            self.inputs = None
            self.saved_versions = None
        elif not self._hollow:
            self._hollow = True
            self.inputs = None
            self.args = tuple([_Hollow(a) if isinstance(a, jax.Array) else a
                               for a in self.args])

    def operands(self) -> list:
        """The operand Tensors as the op met them, for formulas built op by op: an operand
        written in place since (x.sigmoid_() writes the result into its own operand) is
        replaced by its recorded value on the edge the node has for it. (The in-place twins
        named `..._`, leaky_relu_ and the like, have formulas that read the written result, as
        torch's in-place formulas do: their operands stay as they are.)"""
        from .._tensor import _wrap
        out = list(self.inputs)
        k = self.kernel
        if k.op.name.endswith("_"):
            return out
        edges = dict(zip(self.diff, k.edge_index(self.diff)))
        for i in k.tensor_pos:
            t, a = out[i], self.args[i]
            if t is not None and t._data is not a:
                s = out[i] = _wrap(a)
                j = edges.get(i)
                if j is not None:
                    node, nr = self.next_functions[j]
                    s._rg = True
                    if node.__class__ is AccumulateGrad:
                        s._accum = node
                    else:
                        s._grad_fn, s._output_nr = node, nr
        return out

    def live_args(self) -> tuple:
        """args for running the vjp: torch's error if saved values were freed; zeros in place
        of a released node's hollow operands (their values never reach its gradients)."""
        self.check_alive()
        if not self._hollow:
            return self.args
        return tuple([a.zeros() if a.__class__ is _Hollow else a for a in self.args])


def _modified(node, now, then, t) -> str:
    """torch's text for a saved tensor changed in place before backward."""
    from .._tensor import _TYPE_NAMES
    if t is None:  # the node's own output
        shape, dt = node.out_meta[0]
        from .. import _dtype as D
        kind, owner = _TYPE_NAMES[D.from_np(dt).name], f", which is output 0 of {_op(node)},"
    else:
        shape, kind = t._data.shape, _TYPE_NAMES[t.dtype.name]
        fn = t._grad_fn
        owner = "" if fn is None else f", which is output {t._output_nr} of {_op(fn)},"
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{kind} [{', '.join(map(str, shape))}]]{owner} is at version "
            f"{now}; expected version {then} instead. Hint: enable anomaly detection to find the "
            "operation that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _op(node) -> str:
    # torch names the forward op here: "Mul" for MulBackward0
    return re.sub(r"Backward\d*$", "", node.name())


class _Hollow:
    """A released operand of a node that saves nothing: only its shape and dtype remain."""

    __slots__ = ("shape", "dtype")

    def __init__(self, a) -> None:
        self.shape, self.dtype = a.shape, a.dtype

    def zeros(self):
        return jnp.zeros(self.shape, self.dtype)


class AccumulateGrad(Node):
    """The node of a leaf that requires grad; `variable` is the leaf."""

    __slots__ = ("variable",)
    fusable = True

    def __init__(self, variable):
        self.variable = variable
        self.seq = next(_seq)
        self.next_functions = ()
        self.saved_versions = None
        self._hooks = None
        self._pre_hooks = None
        self._freed = False
        self._hollow = False
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
    """The Node subclass named `name`, made once, with torch's saved-value attributes."""
    cls = _classes.get(name)
    if cls is None:
        # torch's node classes are C++ types: their module reads "builtins"
        cls = _classes[name] = type(name, (Node,), {"__slots__": (), "__module__": "builtins"})
        saved_values.attach(cls)
    return cls


# torch.autograd.graph's public names (imported last: these modules use the classes above)
from . import saved_values  # noqa: E402
from .grad_edges import GradientEdge as GradientEdge  # noqa: E402
from .grad_edges import get_gradient_edge as get_gradient_edge  # noqa: E402
from .grad_edges import increment_version as increment_version  # noqa: E402
from .grad_edges import register_multi_grad_hook as register_multi_grad_hook  # noqa: E402
from .saved_tensors import disable_saved_tensors_hooks as disable_saved_tensors_hooks  # noqa
from .saved_tensors import save_on_cpu as save_on_cpu  # noqa: E402
from .saved_tensors import saved_tensors_hooks as saved_tensors_hooks  # noqa: E402

from .._errors import missing as _missing  # noqa: E402

# names torchlike lacks (allow_mutation_on_saved_tensors, ...): placeholders raising
# NotImplementedError when used
__getattr__ = _missing("torch.autograd.graph")
