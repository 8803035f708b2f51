"""torch's backward formulas for indexing and layout ops (derivatives.yaml,
FunctionsManual.cpp), in torchlike ops: select/slice/unsqueeze steps of an index, advanced
indexing, gather, index_select, cat, stack, unbind and split (all their outputs' gradients),
permute, transpose, squeeze, clone, flip, roll, rot90, repeat, tril/triu, diagonal and
diag, diag_embed;
masked_select, take, scatter_add, index_add and index_copy.

torchlike runs `x[1:, ::2]` as one op where torch runs one op per indexed dimension; the
gradient is built as torch builds it, one backward step per dimension, last step first."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .._tensor import _wrap
from ..ops._registry import op, run
from ..ops.combine import cat, stack
from ..ops.indexing import _adv_tuple, _put
from ..ops.masked import _masked_scatter, _put_op
from ..ops.scatter import _index_add, _index_fill
from .formulas import formula, multi_formula, times


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
# the other kernels torch's formulas call, with edges for their tensor operands only (not
# indices or flat positions): masked_scatter (self, source), put (self, source), index_fill
# with a number (self)
_masked_scatter_grad = op("masked_scatter_formula", "MaskedScatterBackward0", dtypes="same",
                          promote=(), edges=(0, 1))(_masked_scatter.body)
_put_grad = op("put_formula", "PutBackward0", dtypes="same", promote=(), edges=(0, 2))(
    _put_op.body)
_index_fill_grad = op("index_fill_scalar_formula", "IndexFillBackward0", dtypes="same",
                      promote=(), edges=(0,))(_index_fill.body)


def _diagonal_backward_body(g, shape, offset, d1, d2):
    """g written into zeros of `shape` on the diagonal (torch's diagonal_backward)."""
    pullback = jax.vjp(lambda a: jnp.diagonal(a, offset, d1, d2), jnp.zeros(shape, g.dtype))[1]
    return pullback(g)[0]


_diagonal_backward = op("diagonal_backward", "DiagonalBackwardBackward0", dtypes="same",
                        saves=False, edges=(0,))(_diagonal_backward_body)


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


@formula("clone")
def _clone(g, xs, st, diff):
    return {0: g}


@formula("flip")
def _flip(g, xs, st, diff):
    return {0: g.flip(st["dims"]) if st["dims"] else g}


@formula("roll")
def _roll(g, xs, st, diff):
    """torch: the gradient rolled back (shifts negated, shifts and dims reversed)."""
    shifts, dims = st["shifts"], st["dims"]
    if dims is None:
        return {0: g.roll(-shifts)}
    return {0: g.roll(tuple(-k for k in reversed(shifts)), tuple(reversed(dims)))}


@formula("repeat")
def _repeat(g, xs, st, diff):
    """torch's repeat_backward: the leading new dimensions summed away one by one, then one
    reshape that splits each repeated dimension in (repeat, size) and one sum over the
    repeats."""
    shape, reps = tuple(xs[0].shape), st["reps"]
    if 0 in reps:
        return {0: g.new_zeros(shape)}
    lead = len(reps) - len(shape)
    for _ in range(lead):
        g = g.sum(0)
    sizes, dims = [], []
    for n, r in zip(shape, reps[lead:]):
        if r != 1:
            sizes.append(r)
            dims.append(len(sizes) - 1)
        sizes.append(n)
    if dims:
        g = g.reshape(sizes).sum(dims)
    return {0: g}


@formula("tril")
def _tril(g, xs, st, diff):
    return {0: g.tril(st["k"])}


@formula("triu")
def _triu(g, xs, st, diff):
    return {0: g.triu(st["k"])}


@formula("rot90")
def _rot90(g, xs, st, diff):
    return {0: g.rot90(-st["k"], st["dims"])}


@formula("diagonal", "diag")
def _diagonal(g, xs, st, diff):
    """torch's diagonal_backward (also for diag of a matrix, a copy of its diagonal)."""
    statics = (("shape", tuple(xs[0].shape)), ("offset", st["offset"]),
               ("d1", st.get("d1", 0)), ("d2", st.get("d2", 1)))
    return {0: run(_diagonal_backward, (g,), statics)}


@formula("diag_embed")
def _diag_embed(g, xs, st, diff):
    return {0: g.diagonal(st["offset"], st["d1"], st["d2"])}


# ---- unbind / split: the gradients of all the pieces -------------------------------------
@multi_formula("unbind")
def _unbind(grads, xs, st, diff):
    """torch's unbind_backward: the pieces' gradients stacked, a zero expanded for a piece
    that has none."""
    some = next(g for g in grads if g is not None)
    zero = some.new_zeros(()).expand(tuple(some.shape))
    return {0: stack([zero if g is None else g for g in grads], st["dim"])}


@multi_formula("split", "split_with_sizes", "unsafe_split")
def _split(grads, xs, st, diff):
    """torch's split_with_sizes_backward: the pieces' gradients concatenated, zeros of the
    piece's size for one that has none."""
    x, dim = xs[0], st["dim"]
    shape = list(x.shape)
    bounds = (0, *st["sections"], shape[dim])
    some = next(g for g in grads if g is not None)
    pieces = []
    for g, lo, hi in zip(grads, bounds, bounds[1:]):
        if g is None:
            shape[dim] = hi - lo
            g = some.new_zeros(tuple(shape))
        pieces.append(g)
    return {0: cat(pieces, dim)}


# ---- masked_select, take, scatter_add, index_add, index_copy -----------------------------
@formula("masked_select")
def _masked_select(g, xs, st, diff):
    """torch's masked_select_backward: the gradient scattered into zeros at the mask."""
    shape, nz = tuple(st["shape"]), xs[1:]
    if not shape:
        return None
    pos = jnp.ravel_multi_index(tuple(k._data for k in nz), shape)
    zeros = g.new_zeros(tuple(shape))
    return {0: run(_masked_scatter_grad, (zeros, g, _wrap(pos.astype(jnp.int64))))}


@formula("take")
def _take(g, xs, st, diff):
    """torch's take_backward: the gradient put (accumulating) into zeros of self's shape."""
    x, idx = xs
    return {0: run(_put_grad, (g.new_zeros(tuple(x.shape)), idx, g), (("accumulate", True),))}


@formula("scatter_add")
def _scatter_add(g, xs, st, diff):
    idx = xs[1]
    return {0: g if 0 in diff else None, 2: g.gather(st["dim"], idx) if 2 in diff else None}


def _selected(g, idx, source, dim):
    """torch: grad.index_select(dim, index) expanded as source (index squeezed for a 0-d
    source)."""
    if source.ndim == 0:
        return g.index_select(dim, idx.squeeze(0) if idx.ndim else idx)
    return g.index_select(dim, idx).expand_as(source)


@formula("index_add")
def _index_add(g, xs, st, diff):
    x, idx, src, alpha = xs
    if x.ndim == 0:
        return None
    return {0: g if 0 in diff else None,
            2: times(_selected(g, idx, src, st["dim"]), alpha) if 2 in diff else None}


@formula("index_copy")
def _index_copy(g, xs, st, diff):
    x, idx, src = xs
    if x.ndim == 0:
        return None
    dim = st["dim"]
    return {0: run(_index_fill_grad, (g, idx, 0), (("dim", dim),)) if 0 in diff else None,
            2: _selected(g, idx, src, dim) if 2 in diff else None}
