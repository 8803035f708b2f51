"""Gradients of the products torch composes of other ops, which torchlike runs as one op:
matrix_power (repeated squaring), multi_dot (mm's in the cheapest order), kron (a broadcast
multiply between reshapes) and tensordot (permutes, reshapes and one mm).

torch's gradient of such an op is what its engine builds through the decomposition, so the
decomposition is replayed here on the op's operands and differentiated with create_graph
(`through`): the gradient's nodes and the order its paths are added in are torch's. The
forward node stays torchlike's single node (torch's forward graph has the decomposition's
nodes). Part of formulas_decompositions (imported by it)."""
from __future__ import annotations

import math

from .formulas import formula


def through(build, xs, diff, g):
    """The gradients of `build(*xs)` at g for the operands in diff, built op by op: the
    replayed nodes are walked newest first (as torch's engine runs them), each by its formula,
    and the walk stops at the operands (a gradient reaching an operand through another
    operand's history, or twice for an operand given twice, is left to the outer walk)."""
    from . import engine
    from .graph import AccumulateGrad, _seq
    edges = [xs[i]._edge() for i in diff]
    mark = next(_seq)
    out = build(*xs)
    stop = {e[0] for e in edges}
    nodes, stack, seen = [], [out.grad_fn], {out.grad_fn}
    while stack:
        node = stack.pop()
        if node in stop or node.__class__ is AccumulateGrad or node.seq < mark:
            continue
        nodes.append(node)
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    nodes.sort(key=lambda n: n.seq, reverse=True)
    buffers = {out.grad_fn: [None] * engine._nout(out.grad_fn)}
    buffers[out.grad_fn][out._output_nr] = g
    for node in nodes:
        grads = buffers.pop(node, None)
        if grads is None or all(x is None for x in grads):
            continue
        for (nxt, nr), gi in zip(node.next_functions, engine._apply(node, grads, True)):
            if nxt is not None and gi is not None:
                slot = buffers.setdefault(nxt, [None] * engine._nout(nxt))
                slot[nr] = gi if slot[nr] is None else slot[nr] + gi
    res, taken = {}, set()
    for i, (node, nr) in zip(diff, edges):
        slot = buffers.get(node)
        res[i] = None if slot is None or (node, nr) in taken else slot[nr]
        taken.add((node, nr))
    return res


def _unsafe_view(t, shape):
    from ..ops.shape import unsafe_view
    return unsafe_view(t, shape)


@formula("unsafe_view")
def _unsafe_view_formula(g, xs, st, diff):
    """torch: grad.reshape(self's sizes)."""
    return {0: g.reshape(tuple(xs[0].shape))}


# ---- matrix_power ----------------------------------------------------------------------------
def matrix_power_chain(a, n):
    """torch's linalg_matrix_power_impl for n >= 2: a @ a, (a @ a) @ a, else the binary
    decomposition of n from its least significant bit."""
    if n == 2:
        return a @ a
    if n == 3:
        return (a @ a) @ a
    z = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        z = a if z is None else z @ z
        if bit:
            result = z if result is None else result @ z
    return result


@formula("linalg_matrix_power")
def _matrix_power(g, xs, st, diff):
    n = st["n"]
    if n == 0:  # a clone overwritten by the identity: a zero gradient, torch's copy_'s
        from .._creation import zeros_like
        return {0: zeros_like(g)}
    if n == 1:  # a clone
        return {0: g}
    return through(lambda a: matrix_power_chain(a, n), xs, diff, g)


# ---- multi_dot -------------------------------------------------------------------------------
def _chain_order(ts):
    """torch's matrix_chain_order: the split of each sub-chain with the fewest products (the
    first split on ties)."""
    n = len(ts)
    p = [t.shape[0] for t in ts] + [ts[-1].shape[1]]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain(ts, split, i, j):
    if i == j:
        return ts[i]
    k = split[i][j]
    return _chain(ts, split, i, k).mm(_chain(ts, split, k + 1, j))


def multi_dot_chain(*tensors):
    """torch's multi_dot: 1-D ends as a row / a column, mm's (in the cheaper order for three,
    matrix_chain_order's for more), viewed as the result's shape."""
    first, last = tensors[0], tensors[-1]
    ts = [first.unsqueeze(0) if first.ndim == 1 else first, *tensors[1:-1],
          last.unsqueeze(-1) if last.ndim == 1 else last]
    shape = (() if first.ndim == 1 and last.ndim == 1 else (ts[-1].shape[1],)
             if first.ndim == 1 else (ts[0].shape[0],) if last.ndim == 1
             else (ts[0].shape[0], ts[-1].shape[1]))
    if len(ts) == 2:
        return ts[0].mm(ts[1]).view(shape)
    if len(ts) == 3:
        a, b, c, d = ts[0].shape[0], ts[1].shape[0], ts[2].shape[0], ts[2].shape[1]
        if (a * c) * (b + d) > (b * d) * (a + c):
            return ts[0].mm(ts[1].mm(ts[2])).view(shape)
        return ts[0].mm(ts[1]).mm(ts[2]).view(shape)
    return _chain(ts, _chain_order(ts), 0, len(ts) - 1).view(shape)


@formula("linalg_multi_dot")
def _multi_dot(g, xs, st, diff):
    return through(multi_dot_chain, xs, diff, g)


# ---- kron / tensordot ------------------------------------------------------------------------
def kron_product(a, b):
    """torch's kron: a and b unsafe-viewed with interleaved unit dimensions, multiplied,
    unsafe-viewed to the result's shape."""
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    va = _unsafe_view(a, tuple(x for s in sa for x in (s, 1)))
    vb = _unsafe_view(b, tuple(x for s in sb for x in (1, s)))
    return _unsafe_view(va * vb, tuple(x * y for x, y in zip(sa, sb)))


@formula("kron")
def _kron(g, xs, st, diff):
    return through(kron_product, xs, diff, g)


def tensordot_product(a, b, axes):
    """torch's tensordot: each operand's free dimensions and contracted ones permuted apart,
    reshaped to a matrix, one mm, reshaped to the result."""
    da, db = axes
    free_a = [i for i in range(a.ndim) if i not in da]
    free_b = [i for i in range(b.ndim) if i not in db]
    csize = math.prod(a.shape[i] for i in da)
    size_a = math.prod(a.shape[i] for i in free_a)
    size_b = math.prod(b.shape[i] for i in free_b)
    t1 = a.permute(*free_a, *da).reshape(size_a, csize)
    t2 = b.permute(*db, *free_b).reshape(csize, size_b)
    shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b)
    return t1.mm(t2).reshape(shape)


@formula("tensordot")
def _tensordot(g, xs, st, diff):
    da, db = st["axes"]
    a, b = xs
    if any(a.shape[i] != b.shape[j] for i, j in zip(da, db)):
        return None  # torch sums size-1 contracted dimensions first: not replayed
    return through(lambda a, b: tensordot_product(a, b, (da, db)), xs, diff, g)
