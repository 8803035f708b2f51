"""torch's backward formulas for indexing and layout ops (derivatives.yaml,
FunctionsManual.cpp), in torchlike ops: select/slice/unsqueeze steps of an index, advanced
indexing, gather, index_select, cat, stack, permute, transpose, squeeze.

torchlike runs `x[1:, ::2]` as one op where torch runs one op per indexed dimension; the
gradient is built as torch builds it, one backward step per dimension, last step first."""
from __future__ import annotations

import jax.numpy as jnp

from ..ops._registry import op, run
from ..ops.indexing import _adv_tuple, _put
from ..ops.scatter import _index_add
from .formulas import formula


def _put_into_zeros(g, i, shape, spec):
    return _put(jnp.zeros(shape, g.dtype), (i,), spec, g)


# the backward kernels of select and slice (torch's select_backward / slice_backward): the
# gradient written into zeros of the input's shape; spec: the one step, as ops/indexing.py
# writes it
_select_backward = op("select_backward", "SelectBackwardBackward0", dtypes="same",
                      saves=False, edges=(0,))(_put_into_zeros)
_slice_backward = op("slice_backward", "SliceBackwardBackward0", dtypes="same",
                     saves=False, edges=(0,))(_put_into_zeros)
# torch's _index_put_impl_(zeros, indices, grad, accumulate=True): edges for self and values
_index_put = op("index_put_impl_formula", "IndexPutImplBackward0", dtypes="same",
                saves=False, edges=(0, 1))(
    lambda z, g, *arrays, adv: z.at[_adv_tuple(adv, arrays)].add(g.astype(z.dtype)))
# torch's index_add node has edges for self and source (not the index)
_index_add_grad = op("index_add_formula", "IndexAddBackward0", dtypes="same", promote=(),
                     edges=(0, 2))(_index_add.body)


def _basic_steps(shape, spec, dyn):
    """The basic part of an index (ops/indexing.py's spec) as torch runs it, one op per
    indexed dimension: [(step, input shape, dimension, index or start)], and the shape
    after it."""
    steps, shape, ax, k = [], list(shape), 0, 0
    for item in spec:
        kind = item[0]
        if kind in "is":
            steps.append((item, tuple(shape), ax, dyn[k]))
            k += 1
            if kind == "i":
                del shape[ax]
                continue
            shape[ax] = item[1]
        elif kind == "n":
            steps.append((item, None, ax, None))
            shape.insert(ax, 1)
        ax += 1
    return steps, tuple(shape)


def _basic_backward(g, steps):
    """The gradient back through the basic steps, last step first: select_backward,
    slice_backward, and squeeze for an unsqueeze."""
    for item, before, ax, i in reversed(steps):
        if item[0] == "n":
            g = g.squeeze(ax)
        else:
            kernel = _select_backward if item[0] == "i" else _slice_backward
            g = run(kernel, (g, i), (("shape", before), ("spec", ((":",),) * ax + (item,))))
    return g


@formula("basic_index")
def _basic_index(g, xs, st, diff):
    steps, _ = _basic_steps(tuple(xs[0].shape), st["spec"], xs[1:1 + st["ndyn"]])
    return {0: _basic_backward(g, steps)}


@formula("index")
def _index(g, xs, st, diff):
    """torch: IndexBackward0 after the basic steps; its formula index_put's the gradient
    into zeros (accumulating repeated indices)."""
    ndyn = st["ndyn"]
    steps, shape = _basic_steps(tuple(xs[0].shape), st["spec"], xs[1:1 + ndyn])
    g = run(_index_put, (g.new_zeros(shape), g, *xs[1 + ndyn:]), (("adv", st["adv"]),))
    return {0: _basic_backward(g, steps)}


@formula("gather")
def _gather(g, xs, st, diff):
    x, idx = xs
    return {0: g.new_zeros(tuple(x.shape)).scatter_add(st["dim"], idx, g)}


@formula("index_select")
def _index_select(g, xs, st, diff):
    x, idx = xs
    z = g.new_zeros(tuple(x.shape))
    return {0: run(_index_add_grad, (z, idx, g, 1), (("dim", st["dim"]),))}


# ---- combining -------------------------------------------------------------------------------
@formula("cat")
def _cat(g, xs, st, diff):
    dim, out, start = st["dim"], {}, 0
    for i, x in enumerate(xs):
        if tuple(x.shape) == (0,):  # torch's legacy empty operand: an empty gradient
            out[i] = g.new_zeros((0,))
            continue
        n = x.shape[dim]
        if i in diff:
            out[i] = g.narrow(dim, start, n)
        start += n
    return out


@formula("stack")
def _stack(g, xs, st, diff):
    return {i: g.select(st["dim"], i) for i in diff}


# ---- layout ----------------------------------------------------------------------------------
@formula("permute")
def _permute(g, xs, st, diff):
    dims = st["dims"]
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d % len(dims)] = i
    return {0: g.permute(inverse)}


@formula("transpose")
def _transpose(g, xs, st, diff):
    return {0: g.transpose(st["d0"], st["d1"])}


def _unsqueeze_to(g, shape, dims):
    """torch's unsqueeze_to: the squeezed dimensions (those of `dims` that had size 1) back."""
    for d, n in enumerate(shape):
        if n == 1 and d in dims:
            g = g.unsqueeze(d)
    return g


@formula("squeeze")
def _squeeze(g, xs, st, diff):
    shape = tuple(xs[0].shape)
    return {0: _unsqueeze_to(g, shape, range(len(shape)))}


@formula("squeeze_dims")
def _squeeze_dims(g, xs, st, diff):
    shape = tuple(xs[0].shape)
    return {0: _unsqueeze_to(g, shape, {d % max(len(shape), 1) for d in st["dim"]})}
