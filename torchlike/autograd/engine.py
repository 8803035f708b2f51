"""backward() and autograd.grad(): walk the recorded graph in reverse topological order.

Two ways to run the same walk:
- fused (the hot path): the whole backward is one jitted program cached by graph structure
  (fused.py); used when nothing observes the walk from Python (no hooks, retain_grad,
  custom Functions, create_graph, non-leaf `inputs`, anomaly mode);
- node by node: each node's vjp is its own cached jitted kernel, hooks run between nodes, and
  with create_graph each vjp is itself a recorded op, so gradients can be differentiated again.
  In anomaly mode each node's gradients are checked for nan, and the node that raises warns
  with the stack that created it (anomaly_mode.py).
"""
from __future__ import annotations

import operator

import jax
import jax.numpy as jnp

from .. import _tensor as T  # a module reference: _tensor imports autograd in turn
from .._compile import jit
from . import anomaly_mode, fused, grad_edges, grad_mode
from .graph import AccumulateGrad


def topo_order(roots) -> list:
    """Nodes reachable from `roots`, each before every node it feeds: newest first, since an
    edge always points to an older node (torch's engine also runs newest first); the leaves'
    AccumulateGrad nodes last, in the order the graph reaches them. (By age they would sort
    differently in a training step's first run, which makes them, and later steps, which
    reuse them: the order is the backward cache's key.)"""
    inner, leaves, seen = [], [], set()
    for r in roots:
        if r is not None and r not in seen:
            seen.add(r)
            (leaves if r.__class__ is AccumulateGrad else inner).append(r)
    stack = list(inner)
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                if nxt.__class__ is AccumulateGrad:
                    leaves.append(nxt)
                else:
                    inner.append(nxt)
                    stack.append(nxt)
    inner.sort(key=_SEQ, reverse=True)
    inner += leaves
    return inner


_SEQ = operator.attrgetter("seq")
_ONES: dict = {}
_add_jit = jit(lambda a, b: a + b)


def _ones(shape, dtype):
    # The implicit gradient of a scalar output: one cached array per dtype (arrays are
    # immutable, so sharing is safe), instead of a device allocation per backward().
    a = _ONES.get((shape, dtype))
    if a is None:
        a = _ONES[(shape, dtype)] = jnp.ones(shape, dtype)
    return a


def _make_grads(outputs, grad_outputs):
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out.dtype.kind != "f":
                raise RuntimeError("grad can be implicitly created only for real scalar "
                                   f"outputs but got {out.dtype}")
            g = T._wrap(_ones(out._data.shape, out._data.dtype))
        elif not isinstance(g, T.Tensor):
            g = T._wrap(jnp.asarray(g, out._data.dtype))
        if g._data.shape != out._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{T.Size(g._data.shape)} and output[{i}] has a shape of "
                               f"{T.Size(out._data.shape)}.")
        grads.append(g)
    return grads


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 accumulate=True):
    """The engine. Returns the gradients of `inputs` when accumulate is False."""
    grads = _make_grads(outputs, grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    roots = [(o._edge(), g) for o, g in zip(outputs, grads)]
    order = topo_order([edge[0] for edge, _ in roots])
    targets = None
    if inputs is not None:
        targets = {}
        for i, t in enumerate(inputs):
            if isinstance(t, grad_edges.GradientEdge):  # the gradient flowing into an edge
                targets.setdefault((t.node, t.output_nr), []).append(i)
                continue
            if not isinstance(t, T.Tensor):
                raise TypeError("inputs to backward/grad must be Tensors")
            if not t._rg:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            targets.setdefault(t._edge(), []).append(i)
    needed = None if targets is None else _needed(order, targets)
    run = order if needed is None else [
        n for n in order if n in needed or any((n, nr) in targets for nr in range(_nout(n)))]
    leaf_grads = None
    if not create_graph and not anomaly_mode.mode.enabled and (
            targets is None or all(isinstance(e[0], AccumulateGrad) for e in targets)):
        leaf_grads = fused.backward(order, roots)  # None: Python must observe the walk
    if leaf_grads is not None:
        result = _deliver(leaf_grads, targets, accumulate, inputs)
    else:
        parent = anomaly_mode.current.node
        task = grad_edges.begin(order, targets, accumulate)  # for register_multi_grad_hook
        try:
            result = _eager(run, roots, targets, accumulate, create_graph, inputs, needed)
        except Exception:
            if anomaly_mode.mode.enabled and anomaly_mode.current.node is not None:
                anomaly_mode.report(anomaly_mode.current.node)  # the node that raised
            raise
        finally:
            anomaly_mode.current.node = parent
            grad_edges.end(task)
    if not retain_graph:
        for n in order if needed is None else needed:
            n.release()
    return result


def _needed(order, targets) -> set:
    """The nodes of `order` that torch's engine runs for these targets: those a target edge is
    reachable from. The others (below a non-leaf input, or on branches that lead to no input)
    neither run nor free their saved values; a target's own node only hands over its gradient."""
    needed = set()
    for node in reversed(order):
        for edge in node.next_functions:
            if edge[0] is not None and (edge in targets or edge[0] in needed):
                needed.add(node)
                break
    return needed


def _deliver(leaf_grads, targets, accumulate, inputs):
    """Put fused results where they go: into leaves' .grad, or into the returned tuple."""
    if accumulate:
        for node, g in leaf_grads.items():
            if g is not None and (targets is None or (node, 0) in targets):
                _accumulate(node.variable, T._wrap(g))
        return None
    out = [None] * len(inputs)
    for (node, _), idxs in targets.items():
        g = leaf_grads.get(node)
        for i in idxs:
            out[i] = None if g is None else T._wrap(g)
    return out


def _accumulate(leaf, g) -> None:
    if leaf._grad is None:
        leaf._grad = g if g._grad_fn is not None else T._wrap(g._data)
    elif g._grad_fn is not None or leaf._grad._grad_fn is not None or not isinstance(
            g._data, jax.Array):  # a meta gradient: the op path computes its shape
        leaf._grad = leaf._grad + g
    else:
        leaf._grad._set_data(_add_jit(leaf._grad._data, g._data))


def _eager(order, roots, targets, accumulate, create_graph, inputs, needed=None):
    """Node-by-node backward: hooks, retain_grad, Functions, create_graph, non-leaf inputs."""
    buffers = {}
    for (node, nr), g in roots:
        _add(buffers, node, nr, g, _nout(node))
    captured = {}
    with grad_mode.set_grad_enabled(create_graph):
        for node in _torch_schedule(order):
            grads = buffers.pop(node, None)
            if grads is None:
                continue
            if anomaly_mode.mode.enabled:  # what it raises, and nodes its backward records
                anomaly_mode.current.node = node
            if node._pre_hooks:
                for hook in node._pre_hooks:
                    new = hook(grads)
                    if new is not None:
                        grads = list(new)
            if isinstance(node, AccumulateGrad):
                g = grads[0]
                for hook in node.variable._hooks or ():
                    new = hook(g)
                    if new is not None:
                        g = new
                if targets is not None and (node, 0) in targets:
                    captured[(node, 0)] = g
                if g is not None and accumulate and (targets is None or (node, 0) in targets):
                    _accumulate(node.variable, g)
                continue
            if targets is not None:
                for nr, g in enumerate(grads):
                    if (node, nr) in targets and g is not None:
                        captured[(node, nr)] = g
                if not accumulate and all(k in captured for k in targets):
                    break
                if node not in needed:
                    continue
            # nothing reached it: nothing leaves it (a custom Function's backward still runs)
            if not hasattr(node, "apply") and all(g is None for g in grads):
                in_grads = [None] * len(node.next_functions)
            else:
                in_grads = node.apply(grads, create_graph) if hasattr(node, "apply") else \
                    _apply(node, grads, create_graph)
            if node._hooks:
                for hook in node._hooks:
                    new = hook(in_grads, grads)
                    if new is not None:
                        in_grads = list(new)
            if anomaly_mode.mode.nan:  # torch checks after the hooks
                anomaly_mode.check_nan(node, in_grads)
            for (nxt, nr), g in zip(node.next_functions, in_grads):
                if nxt is not None:
                    if g is not None:
                        _add(buffers, nxt, nr, g, _nout(nxt))
                    elif nxt not in buffers:  # torch still runs it (its hooks see None)
                        buffers[nxt] = [None] * _nout(nxt)
    if accumulate:
        return None
    out = [None] * len(inputs)
    for key, idxs in targets.items():
        for i in idxs:
            out[i] = captured.get(key)
    return out


def _torch_schedule(order) -> list:
    """`order` as torch's engine runs it: inner nodes newest first (the order they have), each
    leaf's AccumulateGrad as soon as the last node feeding it has run (torch gives those the
    highest priority), which decides the order of hooks and, when a later node raises, which
    leaves have their gradients already."""
    inner = [n for n in order if n.__class__ is not AccumulateGrad]
    if len(inner) == len(order):
        return order
    last = {}  # leaf -> the last inner node feeding it
    for node in inner:
        for nxt, _ in node.next_functions:
            if nxt.__class__ is AccumulateGrad:
                last[nxt] = node
    after = {}
    for leaf in order[len(inner):]:
        after.setdefault(last.get(leaf), []).append(leaf)
    out = after.get(None, [])
    for node in inner:
        out.append(node)
        out += after.get(node, ())
    return out


def _nout(node) -> int:
    if isinstance(node, AccumulateGrad):
        return 1
    meta = getattr(node, "out_meta", None)
    return len(meta) if meta else 1


def _add(buffers, node, nr, g, nout) -> None:
    slot = buffers.get(node)
    if slot is None:
        slot = buffers[node] = [None] * nout
    slot[nr] = g if slot[nr] is None else slot[nr] + g


def _apply(node, grads, create_graph):
    """One op node's vjp: cotangents of its outputs -> one gradient per tensor operand."""
    args = node.live_args()
    k = node.kernel
    cts = []
    for g, (shape, dt) in zip(grads, node.out_meta):
        if jnp.issubdtype(dt, jnp.inexact):
            cts.append(g._data if g is not None else jnp.zeros(shape, dt))
    if create_graph:  # torch's formula, op by op, where the op has one (formulas.py)
        from . import formulas  # (it builds on the op table, which imports autograd)
        out = formulas.gradients(node, grads)
        if out is not None:
            return out
        from ..ops._registry import vjp_op
        res = vjp_op(node, grads)
    else:
        res = [T._wrap(r) for r in k.vjp_jit(node.diff)(args, cts)]
    # Map results (one per diff position) onto next_functions.
    out = [None] * len(node.next_functions)
    for j, r in zip(k.edge_index(node.diff), res):
        out[j] = r
    return out
