"""torch.utils.checkpoint: trade compute for memory by recomputing a region in backward.

Two variants, as in torch:
- use_reentrant=True (torch 2.13's default, with a warning when not passed):
  `CheckpointFunction`, an autograd.Function whose forward runs the region under no_grad and
  whose backward recomputes it with grad enabled and runs a nested backward through it; the
  output's grad_fn is CheckpointFunctionBackward.
- use_reentrant=False: the region records its graph as usual (so its outputs' grad_fns are the
  ops' own), then its op nodes give up their operand values (`_Frame`): for good where their
  gradients need only shapes, else until backward reaches the first of them, which recomputes
  the region and hands the recomputed nodes' values to the original ones (matched in order,
  as torch matches saved tensors); each gives them up again once it has run: one
  recomputation per backward, as with torch's saved-tensor hooks. With early_stop, as in
  torch, a recomputation may record more than the forward did; torchlike still runs the
  function to its end.
Both replay the forward's random state (preserve_rng_state), so dropout draws the same mask.
"""
from __future__ import annotations

import contextlib
import weakref
import warnings

import jax

import torchlike as tl
from .._errors import missing as _missing
from ..autograd.function import BackwardCFunction, Function
from ..autograd import graph as _graph

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "check_backward_validity", "detach_variable", "noop_context_fn",
           "set_checkpoint_debug_enabled", "set_checkpoint_early_stop"]

_DEFAULT_DETERMINISM_MODE = "default"
# what torch appends to each CheckpointError (torchlike has no debug mode to point to)
_DEBUG_TIP = """
Tip: To see a more detailed error message, either pass `debug=True` to
`torch.utils.checkpoint.checkpoint(...)` or wrap the code block
with `with torch.utils.checkpoint.set_checkpoint_debug_enabled(True):` to
enable checkpoint\u2011debug mode globally.

If this error occurs under torch.compile with automatic_dynamic_shapes enabled,
it may be because the recomputation selected a different compiled graph than the
forward pass (e.g., a dynamic graph instead of the original static graph).
To fix this, either:
  - Use torch._dynamo.mark_dynamic() to explicitly mark varying dimensions as
    dynamic upfront, avoiding the static-to-dynamic transition.
  - Call torch._C._dynamo.eval_frame._set_lru_cache(False) to disable LRU cache
    reordering, which can change which graph is checked first between forward
    and recompute.
See https://github.com/pytorch/pytorch/issues/166926 for more details and
workaround examples.
"""
_checkpoint_debug_enabled: bool | None = None
_enable_checkpoint_early_stop: bool | None = None


class CheckpointError(RuntimeError):
    pass


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled: bool | None):
    """Overrides checkpoint's `debug` flag globally (debug=True is not implemented)."""
    global _checkpoint_debug_enabled
    prev, _checkpoint_debug_enabled = _checkpoint_debug_enabled, enabled
    try:
        yield
    finally:
        _checkpoint_debug_enabled = prev


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool):
    """Overrides checkpoint's `early_stop` (matching only: the function runs to its end)."""
    global _enable_checkpoint_early_stop
    prev, _enable_checkpoint_early_stop = _enable_checkpoint_early_stop, enable
    try:
        yield
    finally:
        _enable_checkpoint_early_stop = prev


def detach_variable(inputs: tuple) -> tuple:
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    out = []
    for inp in inputs:
        if not isinstance(inp, tl.Tensor):
            out.append(inp)
            continue
        x = inp.detach()
        x.requires_grad = inp.requires_grad
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs) -> None:
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, tl.Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


@contextlib.contextmanager
def _forked_rng(state):
    """Run with the global generator at `state` (None: as it is), then put it back."""
    if state is None:
        yield
        return
    outer = tl.get_rng_state()
    tl.set_rng_state(state)
    try:
        yield
    finally:
        tl.set_rng_state(outer)


def _check_versions(tensors, versions) -> None:
    """torch's error for an input changed in place between forward and recomputation."""
    for t, v in zip(tensors, versions):
        if t._version != v:
            raise RuntimeError(_graph._modified(None, t._version, v, t))


# ---- use_reentrant=True -------------------------------------------------------------------

def _is_checkpoint_valid() -> bool:
    """torch.autograd._is_checkpoint_valid: False inside a backward that targets `inputs`
    (autograd.grad, backward(inputs=...)), whose walk would skip the nested backward's leaves.
    The running backward is the one the engine records for graph hooks (grad_edges)."""
    from ..autograd import grad_edges
    task = grad_edges._task.current
    return task is None or task[2] is None


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        ctx.fwd_cpu_state = tl.get_rng_state() if preserve_rng_state else None
        ctx.inputs, ctx.tensor_indices, tensor_inputs = [], [], []
        for i, arg in enumerate(args):
            if tl.is_tensor(arg):
                tensor_inputs.append(arg)
                ctx.tensor_indices.append(i)
                ctx.inputs.append(None)
            else:
                ctx.inputs.append(arg)
        ctx.save_for_backward(*tensor_inputs)
        ctx.versions = [t._version for t in tensor_inputs]  # checked in backward, as torch
        with tl.no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *args):
        if not _is_checkpoint_valid():
            raise RuntimeError("When use_reentrant=True, torch.utils.checkpoint is incompatible "
                               "with .grad() or passing an `inputs` parameter to .backward(). "
                               "To resolve this error, you can either set use_reentrant=False, "
                               "or call .backward() without passing the `inputs` argument.")
        inputs = list(ctx.inputs)
        tensors = ctx.saved_tensors
        _check_versions(tensors, ctx.versions)
        for i, idx in enumerate(ctx.tensor_indices):
            inputs[idx] = tensors[i]
        with _forked_rng(ctx.fwd_cpu_state):
            detached_inputs = detach_variable(tuple(inputs))
            with tl.enable_grad():
                outputs = ctx.run_function(*detached_inputs)
        if isinstance(outputs, tl.Tensor):
            outputs = (outputs,)
        outputs_with_grad, args_with_grad = [], []
        for i in range(len(outputs)):
            if tl.is_tensor(outputs[i]) and outputs[i].requires_grad:
                outputs_with_grad.append(outputs[i])
                args_with_grad.append(args[i])
        if len(outputs_with_grad) == 0:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        tl.autograd.backward(outputs_with_grad, args_with_grad)
        grads = tuple(inp.grad if isinstance(inp, tl.Tensor) else None
                      for inp in detached_inputs)
        return (None, None) + grads


# ---- use_reentrant=False ------------------------------------------------------------------

_owner: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # node -> its _Frame


def _tensors(out) -> list:
    if isinstance(out, tl.Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _tensors(o)]
    return []


def _region(out, start: int) -> list:
    """The op nodes recorded since sequence number `start` that `out` reaches, oldest first;
    Functions' nodes, leaves and nodes of checkpoints nested inside are left out."""
    seen, stack, nodes = set(), [t.grad_fn for t in _tensors(out)], []
    while stack:
        node = stack.pop()
        if node is None or node in seen or node.seq < start:
            continue
        seen.add(node)
        stack.extend(n for n, _ in node.next_functions)
        if not isinstance(node, (BackwardCFunction, _graph.AccumulateGrad)) \
                and node not in _owner:
            nodes.append(node)
    nodes.sort(key=lambda n: n.seq)
    return nodes


class _Frame:
    """One non-reentrant checkpointed call: its inputs, random state, and its region's nodes."""

    def __init__(self, fn, args, kwargs, rng_state, recompute_context, early_stop):
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.early_stop = early_stop
        self.rng_state = rng_state
        self.recompute_context = recompute_context
        self.inputs = [a for a in args if isinstance(a, tl.Tensor)]
        self.versions = [t._version for t in self.inputs]
        self.nodes: list = []
        self.empty: set = set()

    def adopt(self, nodes) -> None:
        for node in nodes:
            _owner[node] = self
            if not node.kernel.op.saves:  # its gradient needs only shapes: hollow for good
                node.release()
                continue
            self.nodes.append(node)
            node.register_prehook(lambda grads, node=node: self._before(node))
            node.register_hook(lambda grad_inputs, grad_outputs, node=node: self._empty(node))
            self._empty(node)

    def _empty(self, node) -> None:
        """Drop what `node` saved (its operand values), keeping their shapes."""
        if node._freed or node._hollow:
            return
        node.args = tuple([_graph._Hollow(a) if isinstance(a, jax.Array) else a
                           for a in node.args])
        node.inputs = node.saved_versions = None
        self.empty.add(node)

    def _before(self, node) -> None:
        if node in self.empty and not node._freed:
            self._recompute()

    def _recompute(self) -> None:
        _check_versions(self.inputs, self.versions)
        start = next(_graph._seq)
        with _forked_rng(self.rng_state), tl.enable_grad(), self.recompute_context:
            out = self.fn(*self.args, **self.kwargs)
        fresh = [n for n in _region(out, start) if n.kernel.op.saves]
        if self.early_stop:  # torch stops once it has what the forward saved
            fresh = fresh[:len(self.nodes)]
        if len(fresh) > len(self.nodes):
            raise CheckpointError("torch.utils.checkpoint: trying to save more tensors during "
                                  "recomputation than during the original forward pass.\n"
                                  + _DEBUG_TIP)
        if len(fresh) != len(self.nodes):
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                "original forward and recomputation.\nNumber of tensors saved during forward: "
                f"{len(self.nodes)}\nNumber of tensors saved during recomputation: "
                f"{len(fresh)}.\n" + _DEBUG_TIP)
        # unlike torch's, torchlike's check runs with determinism_check="none" too: values
        # recorded by another op cannot stand in for the forward's
        bad = [(i, old, new) for i, (old, new) in enumerate(zip(self.nodes, fresh))
               if not old._freed and _signature(old) != _signature(new)]
        if bad:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                "different metadata than during the forward pass.\n" + "".join(
                    f"tensor at position {i}:\nsaved metadata: {_meta(old)}\n"
                    f"recomputed metadata: {_meta(new)}\n" for i, old, new in bad) + ".\n"
                + _DEBUG_TIP)
        for old, new in zip(self.nodes, fresh):
            if old in self.empty and not old._freed:  # freed: backward raises torch's error
                old.args, old.inputs, old.saved_versions = new.args, new.inputs, \
                    new.saved_versions
        self.empty.clear()


def _arrays(node) -> list:
    return [a for a in node.args if isinstance(a, (jax.Array, _graph._Hollow))]


def _signature(node) -> tuple:
    """What must agree for recomputed values to stand in for a node's own."""
    return node.kernel, node.diff, [(a.shape, a.dtype) for a in _arrays(node)]


def _meta(node) -> dict:
    a = (_arrays(node) or [None])[0]
    return {"op": node.name(), "shape": None if a is None else tl.Size(a.shape),
            "dtype": None if a is None else str(a.dtype)}


def _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check, debug,
                                  early_stop, args, kwargs):
    if _checkpoint_debug_enabled if _checkpoint_debug_enabled is not None else debug:
        if context_fn is not noop_context_fn:
            raise ValueError("debug=True is incompatible with non-default context_fn")
        raise NotImplementedError("torch.utils.checkpoint.checkpoint(debug=True) is not "
                                  "implemented in torchlike (it logs torch's dispatched ops)")
    if determinism_check not in ("default", "none"):
        raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    forward_context, recompute_context = context_fn()
    rng_state = tl.get_rng_state() if preserve else None
    if not tl.is_grad_enabled():
        return function(*args, **kwargs)
    early_stop = _enable_checkpoint_early_stop if _enable_checkpoint_early_stop is not None \
        else early_stop
    frame = _Frame(function, args, kwargs, rng_state, recompute_context, early_stop)
    start = next(_graph._seq)
    with forward_context:
        ret = function(*args, **kwargs)
    frame.adopt(_region(ret, start))
    return ret


# ---- the public entry points --------------------------------------------------------------

def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=noop_context_fn,
               determinism_check: str = _DEFAULT_DETERMINISM_MODE, debug: bool = False,
               early_stop: bool = True, **kwargs):
    """Run `function(*args, **kwargs)` without keeping its intermediate values; backward
    recomputes them."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly. Starting in PyTorch 2.9, calling checkpoint without "
                      "use_reentrant will raise an exception. use_reentrant=False is "
                      "recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    return _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check,
                                         debug, early_stop, args, kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run `functions` in order, checkpointing all but the last of `segments` chunks."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant "
                      "parameter should be passed explicitly. In version 2.9 we will raise an "
                      "exception if use_reentrant is not passed. use_reentrant=False is "
                      "recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input
        return forward

    if isinstance(functions, tl.nn.Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1  # the last chunk runs without checkpoint
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input,
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)


__getattr__ = _missing("torch.utils.checkpoint")  # names torchlike lacks: NotImplementedError
