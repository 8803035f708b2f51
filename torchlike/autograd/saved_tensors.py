"""Saved-tensor hooks: torch.autograd.graph.saved_tensors_hooks, save_on_cpu,
disable_saved_tensors_hooks, and the SavedTensor objects of `grad_fn._raw_saved_<name>`.

While a hooks context is active, recording a node packs each tensor torch would save for it
(pack_hook(tensor), under no_grad, in torch's order: compat/gen_saved_names.py's table), and
the node's class becomes a hooked twin of it (same name, `fusable` False): backward then runs
it node by node, where `apply` calls the unpack hooks and computes the node's gradient from the
unpacked values, as torch's formulas use them (operands in place of the recorded ones; a saved
result through the result's own formula, RESULT_VJPS). torchlike still keeps the operand
arrays its kernels need, so save_on_cpu moves no memory; ops the table does not know pack the
operands torchlike records as saved (and the result, for ops torchlike marks so).
"""
from __future__ import annotations

import contextlib
import threading

import jax.numpy as jnp

from . import grad_mode, saved_values
from .graph import _FREED

hooks_on: list = []  # non-empty while some thread has a hooks context: all run() looks at


class _State(threading.local):
    def __init__(self) -> None:
        self.stack = []        # (pack_hook, unpack_hook), innermost last
        self.disabled = None   # disable_saved_tensors_hooks's message


_state = _State()


def _incompatible(fn: str, sig: str, args) -> TypeError:
    """pybind11's text for arguments of the wrong type, as torch's C++ bindings raise it."""
    return TypeError(f"{fn}(): incompatible function arguments. The following argument types "
                     f"are supported:\n    1. {sig}\n\nInvoked with: "
                     + ", ".join(repr(a) for a in args))


class saved_tensors_hooks:
    """Context manager: pack_hook(tensor) -> packed for every tensor a node saves;
    unpack_hook(packed) -> tensor when backward (or `_saved_<name>`) needs it."""

    def __init__(self, pack_hook, unpack_hook) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> None:
        if not (callable(self.pack_hook) and callable(self.unpack_hook)):
            raise _incompatible("_push_saved_tensors_default_hooks",
                                "(arg0: collections.abc.Callable, arg1: collections.abc."
                                "Callable) -> None", (self.pack_hook, self.unpack_hook))
        if _state.disabled is not None:
            raise RuntimeError(_state.disabled)
        _state.stack.append((self.pack_hook, self.unpack_hook))
        hooks_on.append(True)

    def __exit__(self, *args: object) -> None:
        _state.stack.pop()
        hooks_on.pop()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors kept on the CPU and moved back to their device for backward."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        import torchlike
        module = getattr(torchlike, device_type, torchlike.cuda)

        def pack_to_cpu(tensor):
            if not pin_memory:
                return (tensor.device, tensor.cpu())
            pinnable = module.is_available() and not tensor.is_sparse
            packed = torchlike.empty(tensor.size(), dtype=tensor.dtype, pin_memory=pinnable)
            packed.copy_(tensor, non_blocking=pinnable)
            return (tensor.device, packed)

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str):
    """Within it, using saved-tensor hooks raises RuntimeError(error_message)."""
    prev = _state.disabled
    try:
        _state.disabled = error_message
        if _state.stack:
            raise RuntimeError(error_message)
        yield
    finally:
        _state.disabled = prev


# ---- SavedTensor: grad_fn._raw_saved_<name> ------------------------------------------------
class SavedTensor:
    """One tensor a node saved (torch._C._autograd.SavedTensor)."""

    __slots__ = ("_node", "_name", "_spec", "_packed", "_unpack")
    __module__ = "torch._C._autograd"

    def __init__(self, node, name, spec) -> None:
        self._node, self._name, self._spec = node, name, spec
        self._packed = self._unpack = None

    def __repr__(self) -> str:
        return f"<torch._C._autograd.SavedTensor object at {hex(id(self))}>"

    def _defined(self) -> bool:
        return self._spec is not None and saved_values.is_saved(self._node, self._spec)

    def _value(self):
        """The tensor itself (no hooks): None where torch saved none."""
        if not self._defined():
            return None
        return saved_values.saved_tensor(self._node, self._spec)

    @property
    def data(self):
        if self._unpack is not None:
            return self._packed
        if self._node._freed or self._node._hollow or not self._defined():
            return None
        return self._value()

    @property
    def unpack_hook(self):
        return self._unpack

    def register_hooks(self, *hooks) -> None:
        if len(hooks) != 2 or not all(map(callable, hooks)):
            raise _incompatible("register_hooks",
                                "(self: torch._C._autograd.SavedTensor, arg0: collections.abc."
                                "Callable, arg1: collections.abc.Callable) -> None",
                                (self, *hooks))
        pack_hook, unpack_hook = hooks
        node = self._node
        if node._freed or node._hollow:
            raise RuntimeError("Calling register_hooks on a saved tensor after it has been "
                               "freed. Saved intermediate values of the graph are freed when "
                               "you call .backward() or autograd.grad(). Specify "
                               "retain_graph=True if you need to backward through the graph "
                               "a second time or if you need to access saved variables after "
                               "calling backward.")
        if self._unpack is not None:
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have "
                               "already been set. Hint: only one pair of hooks is allowed at a "
                               "time.")
        if not self._defined():
            raise RuntimeError("Calling register_hooks on a saved tensor with value None is "
                               "forbidden")
        t = _as_saved(self._value(), node, self._spec)  # torch passes a new tensor object
        with grad_mode.no_grad():
            self._packed = pack_hook(t)
        self._unpack = unpack_hook
        node.__class__ = hooked(type(node))

    def unpack(self):
        """The saved tensor; through the unpack hook where one is set."""
        if self._unpack is None:
            return self._value()
        node = self._node
        if node._freed or node._hollow:
            raise RuntimeError(_FREED)
        t = self._unpack(self._packed)
        from .._tensor import Tensor
        if not isinstance(t, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(t).__name__}")
        return _as_saved(t, node, self._spec)


def _as_saved(t, node, spec):
    """The unpacked values as torch hands them back: a new tensor with the saved tensor's
    autograd identity (the node itself for its result, else the operand's grad_fn or leaf)."""
    from .._tensor import _wrap
    out = _wrap(t._data)
    kind, i = spec[0], spec[1]
    if kind == "out":
        if out._data.dtype.kind in "fcV":
            out._grad_fn, out._output_nr, out._rg = node, i, True
    elif kind in ("arg", "argT") and node.inputs is not None:
        src = node.inputs[i]
        if src._rg:
            out._rg = True
            out._grad_fn, out._output_nr = src._grad_fn, src._output_nr
            if src._grad_fn is None:
                out._accum = src._edge()[0]
    return out


# ---- packing at record, unpacking in backward ----------------------------------------------
def pack(node, operands, outs) -> None:
    """Called by run() for a node just recorded while some hooks context is active."""
    if not _state.stack:
        return  # another thread's hooks
    pack_hook, unpack_hook = _state.stack[-1]
    names = saved_values.pack_order(node)
    if names is None:  # not in the table: what torchlike records as saved
        k = node.kernel
        specs = [(f"#{i}", ("arg", i, node.diff)) for i in k.saved_pos(node.diff) or ()]
        if k.op.saves == "out":
            specs.append(("#out", ("out", 0, node.diff)))
    else:
        table = saved_values._load()["sources"][saved_values.key_of(node)]
        specs = [(n, table[n]) for n in names]
    if not specs:
        return
    entries = node._raw = {}
    with grad_mode.no_grad():
        for name, spec in specs:
            kind, i = spec[0], spec[1]
            t = outs[i] if kind == "out" else operands[i]
            if kind == "argT":
                t = _transposed(t)
            elif kind == "numT":  # torch saved the number as a wrapped 0-d tensor
                t = saved_values.saved_tensor(node, spec)
            st = entries[name] = SavedTensor(node, name, spec)
            st._packed = pack_hook(t)
            st._unpack = unpack_hook
    node.__class__ = hooked(type(node))


def _transposed(t):
    """weight.t() as torch saves it for F.linear, over torchlike's untransposed operand."""
    from .._tensor import _wrap
    out = _wrap(t._data.T)
    out._grad_fn, out._output_nr, out._rg = t._grad_fn, t._output_nr, t._rg
    return out


_hooked: dict = {}
_twins: set = set()


def hooked(cls) -> type:
    """cls's twin for nodes with hooked saved tensors: same name, run node by node."""
    if cls in _twins:
        return cls
    twin = _hooked.get(cls)
    if twin is None:
        twin = _hooked[cls] = type(cls.__name__, (cls,), {
            "__slots__": (), "fusable": False, "apply": _apply, "release": _release,
            "__module__": cls.__module__, "__qualname__": cls.__qualname__})
        _twins.add(twin)
    return twin


def _release(node) -> None:
    super(type(node), node).release()
    if node._freed:
        for st in (getattr(node, "_raw", None) or {}).values():
            st._packed = st._unpack = None


def _apply(node, grads, create_graph):
    """Backward of a hooked node: its saved tensors unpacked (torch's order), then its vjp over
    them."""
    from . import engine
    if all(g is None for g in grads):  # nothing reached it: as a plain node, nothing leaves it
        return [None] * len(node.next_functions)
    args = list(node.live_args())  # torch's errors for freed or modified values
    inputs = list(node.inputs) if node.inputs is not None else None
    results = {}
    entries = getattr(node, "_raw", None) or {}
    order = [n for n in saved_values.unpack_order(node) if n in entries]
    order += [n for n in entries if n not in order]
    for name in order:
        st = entries[name]
        if st._unpack is None or not st._defined():
            continue
        t = st.unpack()
        kind, i = st._spec[0], st._spec[1]
        if kind == "out":
            results[i] = t
            continue
        args[i] = t._data.T if kind == "argT" else t._data
        if kind == "numT":
            args[i] = t.item()
        if inputs is not None:
            inputs[i] = _transposed(t) if kind == "argT" else args[i] if kind == "numT" else t
    if results:
        own = _by_result(node, args, results, grads, create_graph)
        if own is not None:
            return own
    kept = node.args, node.inputs
    node.args, node.inputs = tuple(args), inputs
    try:
        return engine._apply(node, grads, create_graph)
    finally:
        node.args, node.inputs = kept


def _by_result(node, args, results, grads, create_graph):
    """Gradients from an unpacked saved result, by the result's formula (torch's); None where
    the result is the recorded one (the operands' vjp gives the same)."""
    from .._tensor import _wrap
    k = node.kernel
    fn = RESULT_VJPS.get(k.op.name)
    if fn is not None and not create_graph and k.op.nout == 1 and node.diff == (0,):
        r, (shape, dt) = results[0]._data, node.out_meta[0]
        g = grads[0]._data if grads[0] is not None else jnp.zeros(shape, dt)
        gin = fn(g, r, dict(k.key[2])).astype(args[0].dtype)
        out = [None] * len(node.next_functions)
        out[k.edge_index(node.diff)[0]] = _wrap(gin)
        return out
    outs = k.jit(*args)
    outs = (outs,) if k.op.nout == 1 else tuple(outs)
    for j, t in results.items():
        if not bool(jnp.array_equal(outs[j], t._data)):
            raise NotImplementedError(
                f"torchlike: the backward of {type(node).__name__} from a saved result that an "
                "unpack hook changed is not implemented (torchlike computes it from the inputs)")
    return None


def _softmax_vjp(g, r, st):
    return r * (g - (g * r).sum(st["dim"], keepdims=True))


def _log_softmax_vjp(g, r, st):
    return g - jnp.exp(r) * g.sum(st["dim"], keepdims=True)


_c = jnp.conj
# torch's formulas (derivatives.yaml) for ops whose backward reads their result
RESULT_VJPS = {
    "exp": lambda g, r, st: g * _c(r),
    "exp2": lambda g, r, st: g * _c(r) * jnp.log(2.0).astype(r.dtype),
    "expm1": lambda g, r, st: g * (_c(r) + 1),
    "sqrt": lambda g, r, st: g / (2 * _c(r)),
    "rsqrt": lambda g, r, st: -0.5 * g * _c(r) ** 3,
    "reciprocal": lambda g, r, st: -g * _c(r * r),
    "tan": lambda g, r, st: g * _c(1 + r * r),
    "tanh": lambda g, r, st: g * _c(1 - r * r),
    "sigmoid": lambda g, r, st: g * _c(r * (1 - r)),
    "relu": lambda g, r, st: jnp.where(r > 0, g, jnp.zeros_like(g)),
    "softmax": _softmax_vjp,
    "log_softmax": _log_softmax_vjp,
}
