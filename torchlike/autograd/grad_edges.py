"""torch.autograd.graph's edges and graph-wide hooks: GradientEdge, get_gradient_edge,
increment_version, register_multi_grad_hook.

register_multi_grad_hook needs what torch's engine tells its hooks: which backward call is
running (`_current_graph_task_id`) and whether it will run a given node
(`_will_engine_execute_node`); the node-by-node engine records both here (`begin`/`end`).
"""
from __future__ import annotations

import functools
import itertools
import threading
from typing import NamedTuple

from .graph import Node


class GradientEdge(NamedTuple):
    """Where the gradient of a tensor is computed: (node, output_nr)."""

    node: Node
    output_nr: int
    ownership_token: Node | None = None


def get_gradient_edge(tensor) -> GradientEdge:
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    node, nr = tensor._edge()
    return GradientEdge(node, nr)


def increment_version(tensor) -> None:
    """Bump the version counter of a tensor (or of each in an iterable), as an in-place write
    does: saved values of it then fail backward's check."""
    from .._tensor import Tensor
    try:
        tensors = iter((tensor,) if isinstance(tensor, Tensor) else tensor)
    except TypeError:
        raise RuntimeError("increment_version expect a Iterable[Tensor] as input") from None
    for t in tensors:  # as torch: the tensors before a bad element are bumped
        if not isinstance(t, Tensor):
            raise RuntimeError("increment_version expects each element of the iterable to be a "
                               "tensor")
        t._vc[0] += 1


# ---- the running backward, as the engine reports it ------------------------------------------
class _Task(threading.local):
    current = None  # (id, set of nodes it runs, target nodes or None, {node: reaches a target})


_task = _Task()
_ids = itertools.count()


def begin(order, targets, accumulate):
    """Called by the node-by-node engine before its walk; returns what `end` restores."""
    prev = _task.current
    want = None if targets is None else {node for node, _ in targets}
    _task.current = (next(_ids), set(order), want, {}, not accumulate)
    return prev


def end(prev) -> None:
    _task.current = prev


def _will_execute(node) -> bool:
    """Whether the running backward runs `node`: it is reached, and (with `inputs`) on the way
    to one of them."""
    _, nodes, want, memo, is_grad = _task.current
    if is_grad and type(node).__name__ == "AccumulateGrad":
        raise RuntimeError("A leaf node was passed to _will_engine_execute_node but we are "
                           "currently running autograd.grad(). This is currently not supported.")
    if node not in nodes:
        return False
    if want is None:
        return True
    stack, seen = [node], {node}
    while stack:  # does some target lie below `node`?
        n = stack.pop()
        hit = memo.get(n)
        if hit or n in want:
            memo[node] = True
            return True
        if hit is None:
            for nxt, _ in n.next_functions:
                if nxt is not None and nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    memo[node] = False
    return False


class _MultiHandle:
    def __init__(self, handles: tuple) -> None:
        self.handles = handles

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def register_multi_grad_hook(tensors, fn, *, mode: str = "all"):
    """mode "all": fn(grads) once the gradients of all of `tensors` this backward computes are
    ready (None for the others); mode "any": fn(grad) for the first one."""
    supported = ("all", "any")
    if mode not in supported:
        raise ValueError(f"Expects mode to be one of {supported} but got {mode}")
    lock = threading.Lock()
    if mode == "all":
        nodes = []
        for t in tensors:
            if not t.requires_grad:
                raise AssertionError("Expected gradient function to be set")
            nodes.append(t._edge()[0])
        count, buffers = {}, {}

        def inner(idx):
            def hook(grad):
                if _task.current is None:
                    raise AssertionError("expected this hook to be called inside a backward call")
                tid = _task.current[0]
                if not _will_execute(nodes[idx]):
                    return None  # torch's engine would not run this tensor's hook
                with lock:
                    n = count.get(tid, 0)
                    count[tid] = n + 1
                    buf = buffers.setdefault(tid, [None] * len(nodes))
                buf[idx] = grad
                if n == sum(map(_will_execute, nodes)) - 1:
                    del count[tid], buffers[tid]
                    fn(buf)
                return None
            return hook
        handles = tuple(t.register_hook(inner(i)) for i, t in enumerate(tensors))
    else:
        ran: dict = {}

        @functools.wraps(fn)
        def wrapped(grad):
            if _task.current is None:
                raise AssertionError("expected this hook to be called inside a backward call")
            with lock:
                tid = _task.current[0]
                first = not ran.get(tid)
                ran[tid] = True
            if first:
                fn(grad)
            return None
        handles = tuple(t.register_hook(wrapped) for t in tensors if t.requires_grad)
    return _MultiHandle(handles)
