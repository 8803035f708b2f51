"""Shape ops: view/reshape, transpose/permute, squeeze/unsqueeze, cat/stack, expand, split,
clone, flip, repeat. Views record with torch's names (ViewBackward0, TransposeBackward0...)."""
from __future__ import annotations

import math

import jax.numpy as jnp

from .._tensor import Size, _wrap_dim
from ._bind import public
from ._registry import op, run


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer_shape(name, shape, numel) -> tuple:
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


_view = op("view", "ViewBackward0", dtypes="same", saves=False)(
    lambda a, shape: jnp.reshape(a, shape))


@public(function=False)
def view(input, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, Size)):
        return input.to(shape[0])  # view(dtype)
    return run(_view, (input,), (("shape", _infer_shape("view", _shape_arg(shape),
                                                        input.numel())),))


@public()
def reshape(input, *shape):
    return view(input, *shape)


@public(function=False)
def view_as(input, other):
    return view(input, other.shape)


@public(function=False)
def reshape_as(input, other):
    return view(input, other.shape)


@public()
def flatten(input, start_dim=0, end_dim=-1):
    if input.ndim == 0:
        return view(input, 1)
    s, e = _wrap_dim(start_dim, input.ndim), _wrap_dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shp = input.shape
    return view(input, shp[:s] + (math.prod(shp[s:e + 1]),) + shp[e + 1:])


@public()
def unflatten(input, dim, sizes):
    d = _wrap_dim(dim, input.ndim)
    sizes = _infer_shape("unflatten", tuple(sizes), input.shape[d])
    return view(input, input.shape[:d] + sizes + input.shape[d + 1:])


_transpose = op("transpose", "TransposeBackward0", dtypes="same", saves=False)(
    lambda a, d0, d1: jnp.swapaxes(a, d0, d1))
_t = op("t", "TBackward0", dtypes="same", saves=False)(lambda a: a.T)
_permute = op("permute", "PermuteBackward0", dtypes="same", saves=False)(
    lambda a, dims: jnp.transpose(a, dims))


@public("transpose", "swapaxes", "swapdims")
def transpose(input, dim0, dim1):
    n = input.ndim
    return run(_transpose, (input,), (("d0", _wrap_dim(dim0, n)), ("d1", _wrap_dim(dim1, n))))


@public()
def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return run(_t, (input,))


@public()
def permute(input, *dims):
    dims = _shape_arg(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {input.ndim} is not equal to len(dims) = {len(dims)}")
    return run(_permute, (input,), (("dims", tuple(_wrap_dim(d, input.ndim) for d in dims)),))


@public()
def movedim(input, source, destination):
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    n = input.ndim
    src = [_wrap_dim(s, n) for s in src]
    dst = [_wrap_dim(d, n) for d in dst]
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


public("moveaxis")(movedim)


def _T(self):
    return self if self.ndim < 2 else permute(self, tuple(range(self.ndim - 1, -1, -1)))


def _mT(self):
    return transpose(self, -2, -1)


_squeeze_all = op("squeeze", "SqueezeBackward0", dtypes="same", saves=False)(jnp.squeeze)
_squeeze_dim = op("squeeze_dim", "SqueezeBackward1", dtypes="same", saves=False)(
    lambda a, dim: jnp.squeeze(a, dim))
_squeeze_dims = op("squeeze_dims", "SqueezeBackward2", dtypes="same", saves=False)(
    lambda a, dim: jnp.squeeze(a, dim))
_unsqueeze = op("unsqueeze", "UnsqueezeBackward0", dtypes="same", saves=False)(
    lambda a, dim: jnp.expand_dims(a, dim))


@public()
def squeeze(input, dim=None):
    if dim is None:
        return run(_squeeze_all, (input,))
    if isinstance(dim, int):
        d = _wrap_dim(dim, input.ndim)
        keep = input.ndim == 0 or input.shape[d] != 1
        return run(_squeeze_dim, (input,), (("dim", () if keep else (d,)),))
    ds = tuple(_wrap_dim(d, input.ndim) for d in dim)
    return run(_squeeze_dims, (input,),
               (("dim", tuple(d for d in ds if input.ndim and input.shape[d] == 1)),))


@public()
def unsqueeze(input, dim):
    return run(_unsqueeze, (input,), (("dim", _wrap_dim(dim, input.ndim + 1)),))


_expand = op("expand", "ExpandBackward0", dtypes="same", saves=False)(
    lambda a, shape: jnp.broadcast_to(a, shape))


@public(function=False)
def expand(input, *sizes):
    sizes = _shape_arg(sizes)
    n = len(sizes) - input.ndim
    if n < 0:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(input.shape)}}}, size={list(sizes)}"
                           f"): the number of sizes provided ({len(sizes)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({input.ndim})")
    shape = []
    for i, s in enumerate(sizes):
        cur = input.shape[i - n] if i >= n else 1
        if s == -1:
            if i < n:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            s = cur
        elif cur != 1 and cur != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(input.shape)}")
        shape.append(s)
    return run(_expand, (input,), (("shape", tuple(shape)),))


@public(function=False)
def expand_as(input, other):
    return expand(input, other.shape)


@public()
def broadcast_to(input, size):
    return expand(input, size)


@public(method=False)
def broadcast_tensors(*tensors):
    shape = jnp.broadcast_shapes(*[t.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


@public(method=False)
def broadcast_shapes(*shapes):
    return Size(jnp.broadcast_shapes(*[tuple(s) if not isinstance(s, int) else (s,)
                                       for s in shapes]))


_cat = op("cat", "CatBackward0", saves=False)(lambda *xs, dim: jnp.concatenate(xs, axis=dim))
_stack = op("stack", "StackBackward0", saves=False)(lambda *xs, dim: jnp.stack(xs, axis=dim))


@public("cat", "concat", "concatenate", method=False)
def cat(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    live = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    d = _wrap_dim(dim, live[0].ndim)
    ref = live[0]
    for i, t in enumerate(live[1:], 1):
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} "
                               f"and {t.ndim}")
        for j in range(ref.ndim):
            if j != d and t.shape[j] != ref.shape[j]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref.shape[j]} but got size {t.shape[j]} "
                                   f"for tensor number {i} in the list.")
    return run(_cat, tuple(live), (("dim", d),))


@public(method=False)
def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at "
                               f"entry {i}")
    return run(_stack, tuple(tensors), (("dim", _wrap_dim(dim, tensors[0].ndim + 1)),))


@public(method=False)
def hstack(tensors, *, out=None):
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


@public(method=False)
def vstack(tensors, *, out=None):
    return cat([t if t.ndim >= 2 else view(t, 1, -1) for t in tensors], 0)


@public(method=False)
def dstack(tensors, *, out=None):
    ts = [t.view(1, -1, 1) if t.ndim == 1 else t.unsqueeze(-1) if t.ndim == 2 else t
          for t in tensors]
    return cat(ts, 2)


_unbind = op("unbind", "UnbindBackward0", saves=False, nout=-1)(
    lambda a, dim: tuple(jnp.moveaxis(a, dim, 0)))


@public()
def unbind(input, dim=0):
    return tuple(run(_unbind, (input,), (("dim", _wrap_dim(dim, input.ndim)),)))


_split = op("split", "SplitBackward0", saves=False, nout=-1)(
    lambda a, sections, dim: tuple(jnp.split(a, sections, axis=dim)))
_split_sizes = op("split_with_sizes", "SplitWithSizesBackward0", saves=False, nout=-1)(
    lambda a, sections, dim: tuple(jnp.split(a, sections, axis=dim)))


@public()
def split(tensor, split_size_or_sections, dim=0):
    d = _wrap_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        bounds = tuple(range(step, n, step)) if step > 0 else ()
        return tuple(run(_split, (tensor,), (("sections", bounds), ("dim", d))))
    sizes = list(split_size_or_sections)
    if sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {d}), but got split_sizes={sizes}")
    bounds = tuple(int(x) for x in jnp.cumsum(jnp.array(sizes))[:-1].tolist())
    return tuple(run(_split_sizes, (tensor,), (("sections", bounds), ("dim", d))))


@public()
def chunk(input, chunks, dim=0):
    n = input.shape[_wrap_dim(dim, input.ndim)]
    return split(input, max(-(-n // chunks), 1), dim)


_clone = op("clone", "CloneBackward0", dtypes="same", saves=False)(lambda a: a)


@public()
def clone(input, *, memory_format=None):
    return run(_clone, (input,))


_flip = op("flip", "FlipBackward0", dtypes="same", saves=False)(
    lambda a, dims: jnp.flip(a, dims))


@public()
def flip(input, *dims):
    dims = _shape_arg(dims)
    return run(_flip, (input,), (("dims", tuple(_wrap_dim(d, input.ndim) for d in dims)),))


_repeat = op("repeat", "RepeatBackward0", dtypes="same", saves=False)(
    lambda a, reps: jnp.tile(a, reps))


@public(function=False)
def repeat(input, *sizes):
    sizes = _shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    return run(_repeat, (input,), (("reps", sizes),))


def contiguous(input, memory_format=None):
    return input

