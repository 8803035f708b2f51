"""DDP's reducer for a group of one process: gradient buckets and the communication hook.

Without a hook the mean over one process is the gradient itself, and nothing runs. With one,
gradients are gathered into buckets as torch's Reducer does: every parameter that requires
grad (not ignored) in one bucket at first, then, from the second forward on, buckets rebuilt
in the order torch's engine finishes the gradients (AccumulateGrad first, then the newest
node) and cut at 1 MiB for the first bucket and bucket_cap_mb after (or at bucket_cap_mb);
with find_unused_parameters the buckets are made once, by size, in reverse. During backward
a hook on each parameter marks it ready; when every bucket before it is done, a bucket is
flattened into a GradBucket, the hook runs, and its Future's value becomes the gradients.
"""
from __future__ import annotations

import heapq
import itertools
from typing import Any

from ... import Tensor
from ...autograd import grad_mode
from ...autograd.graph import AccumulateGrad
from ...distributed._grad_bucket import GradBucket
from ...futures import Future

FIRST_BUCKET_BYTES = 1024 * 1024


def assign_buckets(params: list, limits: list[int], order: list[int] | None = None) -> list:
    """torch's compute_bucket_assignment_by_size: parameter indices (in `order`, else their
    own, then buckets sorted and reversed as DDP does) grouped per dtype and device until a
    bucket reaches its size limit (the first limit for the first bucket of each kind...)."""
    open_: dict = {}
    result = []
    for i in (range(len(params)) if order is None else order):
        p = params[i]
        b = open_.setdefault((str(p.dtype), str(p.device)), [[], 0, 0])
        b[0].append(i)
        b[1] += p.numel() * p.element_size()
        if b[1] >= limits[b[2]]:
            result.append(b[0])
            b[0], b[1], b[2] = [], 0, min(b[2] + 1, len(limits) - 1)
    result += [b[0] for b in open_.values() if b[0]]
    if order is None:
        result.sort(key=min)
        result.reverse()
    return result


def _roots(outputs: list) -> list:
    return [t._edge()[0] for t in outputs if isinstance(t, Tensor) and t.requires_grad]


def ready_order(outputs: list, params: list) -> list[int]:
    """The order in which torch's engine would finish the parameters' gradients in a backward
    from `outputs`: a node runs once all its consumers have; among ready nodes AccumulateGrad
    first, then the newest. Only the parameters it reaches."""
    deps: dict = {}
    stack = _roots(outputs)
    seen = set(stack)
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None:
                deps[nxt] = deps.get(nxt, 0) + 1
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    tie = itertools.count()

    def key(n):
        return (0, 0, next(tie)) if n.__class__ is AccumulateGrad else (1, -n.seq, next(tie))
    heap = [(key(n), n) for n in dict.fromkeys(_roots(outputs)) if deps.get(n, 0) == 0]
    heapq.heapify(heap)
    index = {id(p): i for i, p in enumerate(params)}
    order = []
    while heap:
        _, node = heapq.heappop(heap)
        if node.__class__ is AccumulateGrad:
            i = index.get(id(node.variable))
            if i is not None:
                order.append(i)
            continue
        for nxt, _ in node.next_functions:
            if nxt is not None:
                deps[nxt] -= 1
                if deps[nxt] == 0:
                    heapq.heappush(heap, (key(nxt), nxt))
    return order


def used_params(outputs: list, params: list) -> set[int]:
    """Indices of the parameters a backward from `outputs` reaches."""
    index = {id(p): i for i, p in enumerate(params)}
    stack = _roots(outputs)
    seen, used = set(stack), set()
    while stack:
        node = stack.pop()
        if node.__class__ is AccumulateGrad and id(node.variable) in index:
            used.add(index[id(node.variable)])
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return used


_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by \n"
    "making sure all `forward` function outputs participate in calculating loss. \nIf you "
    "already have done the above, then the distributed data parallel module wasn't able to "
    "locate the output tensors in the return value of your module's `forward` function. Please "
    "include the loss function and the structure of the return value of `forward` of your "
    "module when reporting this issue (e.g. list, dict, iterable).\nParameter indices which did "
    "not receive grad for rank 0: {}\n In addition, you can set the environment variable "
    "TORCH_DISTRIBUTED_DEBUG to either INFO or DETAIL to print out information about which "
    "particular parameters did not receive gradient on this rank as part of this error")


class Reducer:
    """Buckets of `params` and, once a hook is set, their reduction through it."""

    def __init__(self, params: list, bucket_bytes_cap: int, first_bucket_bytes_cap: int,
                 per_bucket_caps: tuple, find_unused: bool, static_graph: bool) -> None:
        self.params = params
        self.find_unused, self.static_graph = find_unused, static_graph
        if per_bucket_caps:
            limits = rebuild_limits = list(per_bucket_caps)
        else:
            rebuild_limits = [first_bucket_bytes_cap, bucket_bytes_cap]
            limits = [1 << 62] if static_graph or not find_unused else (
                rebuild_limits if first_bucket_bytes_cap < bucket_bytes_cap
                else [bucket_bytes_cap])
        self.rebuild_limits = rebuild_limits
        self.buckets = assign_buckets(params, limits)
        self.rebuilt = False
        self.order: list[int] | None = None  # torch's ready order, for the rebuild
        self.hook: Any = None
        self.state: Any = None
        self.expect = False  # a synchronized backward is expected (prepare_for_backward)
        self.ready: set[int] = set()
        self.unused: set[int] = set()
        self.next_bucket = 0
        self.first: set | None = None  # the parameters the first graph reaches
        self.backwards = 0  # backwards run through the graphs watched until the rebuild

    # ---- forward side --------------------------------------------------------------------
    def _may_rebuild(self) -> bool:
        return not self.rebuilt and (self.static_graph or not self.find_unused)

    def pre_forward(self) -> None:
        """Before a forward with grad enabled: torch's unfinished-reduction error, and the
        bucket rebuild after the first synchronized backward. Without a hook only the first
        synchronized graph is watched: which parameters it reaches, and whether a backward
        ran through it (a pre-hook on its roots)."""
        missing = []
        if self.hook is not None:
            if self.expect and self.ready and self.next_bucket < len(self.buckets):
                missing = [i for i in range(len(self.params)) if i not in self.ready]
        elif self.backwards and self.first is not None and not self.find_unused:
            missing = [i for i in range(len(self.params)) if i not in self.first]
        if missing:
            raise RuntimeError(_UNFINISHED.format(" ".join(map(str, missing))))
        if self.backwards:
            self.first = None  # checked
        # a static graph's first backward reduces everything at its end, in parameter order:
        # torch rebuilds its buckets from the second one's order
        if self._may_rebuild() and self.backwards >= (2 if self.static_graph else 1):
            self.buckets = assign_buckets(self.params, self.rebuild_limits, self.order)
            self.rebuilt = True

    def prepare_for_backward(self, outputs: list) -> None:
        if self._may_rebuild() or (not self.find_unused and not self.backwards):
            # until the buckets are rebuilt: the graph a backward may run through, and a
            # pre-hook on its roots that counts the backwards that do
            order = ready_order(outputs, self.params)
            if not self.backwards:
                self.first = set(order)
            self.order = order + [i for i in range(len(self.params)) if i not in set(order)]
            seen = []

            def ran(grads: list) -> None:
                if not seen:
                    seen.append(True)
                    self.backwards += 1
            for node in dict.fromkeys(_roots(outputs)):
                node.register_prehook(ran)
        self.expect = True
        self.ready, self.next_bucket = set(), 0
        self.unused = set()
        if self.hook is not None and self.find_unused and not self.static_graph:
            self.unused = set(range(len(self.params))) - used_params(outputs, self.params)

    # ---- backward side -------------------------------------------------------------------
    def set_hook(self, hook: Any, state: Any) -> None:
        self.hook, self.state = hook, state
        for i, p in enumerate(self.params):
            p.register_hook(lambda g, i=i: self._grad_ready(i, g))

    def _grad_ready(self, i: int, g: Tensor) -> Tensor | None:
        """Parameter i's gradient `g` arrived (before it is accumulated into .grad)."""
        if not self.expect or i in self.ready:
            return None
        if not self.ready:
            self.ready |= self.unused
        p = self.params[i]
        with grad_mode.no_grad():
            grad = g if p.grad is None else p.grad + g  # what AccumulateGrad will make
        self.ready.add(i)
        if not self._bucket_done():
            return None
        current, old = {i: grad}, p._grad
        p._grad = grad  # as torch's reducer sees it: accumulated, while the hook runs
        try:
            while self._bucket_done():
                self._reduce(self.next_bucket, current)
                self.next_bucket += 1
        finally:
            p._grad = old
        if self.next_bucket == len(self.buckets):
            self.expect = False
        p._grad = None  # the reduced gradient becomes .grad as it is
        return current[i]

    def _bucket_done(self) -> bool:
        """The next bucket has all its gradients."""
        return self.next_bucket < len(self.buckets) and \
            all(j in self.ready for j in self.buckets[self.next_bucket])

    def _reduce(self, b: int, current: dict) -> None:
        from ... import cat, zeros
        idx = self.buckets[b]
        params = [self.params[j] for j in idx]
        with grad_mode.no_grad():
            parts = []
            for j, p in zip(idx, params):
                g = current.get(j, p.grad)
                parts.append(zeros(p.numel(), dtype=p.dtype) if g is None else g.reshape(-1))
            bucket = GradBucket(b, b == len(self.buckets) - 1, cat(parts), params)
            result = _hook_result(self.hook(self.state, bucket))
            offset = 0
            for j, p in zip(idx, params):
                n = p.numel()
                if result.numel() < offset + n:
                    raise RuntimeError(_out_of_bounds(p, offset, result))
                new = result[offset:offset + n].reshape(p.shape).to(p.dtype)
                offset += n
                if j in current:
                    current[j] = new
                elif p.grad is not None and j not in self.unused:  # unused: left as it was
                    p.grad.copy_(new)


def _hook_result(fut: Any) -> Tensor:
    """The tensor a hook's Future holds, or torch's error."""
    if not isinstance(fut, Future):
        cls = type(fut)
        name = "torch.Tensor" if cls is Tensor else f"{cls.__module__}.{cls.__qualname__}"
        raise RuntimeError(f"Unable to cast Python instance of type <class '{name}'> to C++ "
                           "type '?' "
                           "(#define PYBIND11_DETAILED_ERROR_MESSAGES or compile in debug mode "
                           "for details). DDP communication hook's callback must return a "
                           f"torch.futures.Future object, but got {name}")
    value = fut.wait()
    if isinstance(value, (list, tuple)):
        raise RuntimeError('result.isPyObject() INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/'
                           'torch/csrc/distributed/c10d/python_comm_hook.cpp":41, please report '
                           'a bug to PyTorch. expected the hook result is a PyObject')
    if not isinstance(value, Tensor):
        raise RuntimeError(f"Unable to cast {value} to Tensor")
    return value


def _out_of_bounds(p: Tensor, offset: int, result: Tensor) -> str:
    """torch's error for a hook result too small for the bucket (as_strided on it)."""
    shape, strides, step = list(p.shape), [], 1
    for s in reversed(shape):
        strides.insert(0, step)
        step *= s
    size = result.element_size()
    return (f"setStorage: sizes {shape}, strides {strides}, storage offset {offset}, and "
            f"itemsize {size} requiring a storage size of {(offset + p.numel()) * size} are out "
            f"of bounds for storage of size {result.numel() * size}")
