"""The split family: unbind, split / split_with_sizes, chunk, tensor_split, hsplit / vsplit /
dsplit. Every piece is a view of the input (view=True; tensor_split's pieces are slices)."""
from __future__ import annotations

import builtins

import jax.numpy as jnp

from .._tensor import Tensor, _wrap_dim
from ._bind import public
from ._registry import op, run


# ---- unbind / split / chunk ---------------------------------------------------------------
_unbind = op("unbind", "UnbindBackward0", dtypes="same", saves=False, nout=-1, view=True,
             host=True)(
    lambda a, dim, xp=jnp: tuple(xp.moveaxis(a, dim, 0)))


@public()
def unbind(input, dim=0):
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] == 0:
        return ()
    return tuple(run(_unbind, (input,), (("dim", d),)))


_split = op("split", "SplitBackward0", dtypes="same", saves=False, nout=-1, view=True,
            host=True)(
    lambda a, sections, dim, xp=jnp: tuple(xp.split(a, sections, axis=dim)))
_split_sizes = op("split_with_sizes", "SplitWithSizesBackward0", dtypes="same", saves=False,
                  nout=-1, view=True, host=True)(
    lambda a, sections, dim, xp=jnp: tuple(xp.split(a, sections, axis=dim)))


def _bounds(sizes) -> tuple:
    out, acc = [], 0
    for s in sizes[:-1]:
        acc += s
        out.append(acc)
    return tuple(out)


@public()
def split(tensor, split_size_or_sections, dim=0):
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={step}")
        if step == 0 and n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        bounds = tuple(range(step, n, step)) if step > 0 else ()
        return tuple(run(_split, (tensor,), (("sections", bounds), ("dim", d))))
    return split_with_sizes(tensor, split_size_or_sections, d)


@public()
def split_with_sizes(input, split_sizes, dim=0):
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    sizes = [int(s) for s in split_sizes]
    for s in sizes:
        if s < 0:
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sizes}")
    if builtins.sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {d}), but got split_sizes={sizes}")
    return tuple(run(_split_sizes, (input,), (("sections", _bounds(sizes)), ("dim", d))))


@public()
def chunk(input, chunks, dim=0):
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[_wrap_dim(dim, input.ndim)]
    if n == 0:  # torch keeps the number of (empty) chunks
        return split_with_sizes(input, [0] * chunks, dim)
    return split(input, -(-n // chunks), dim)


@public()
def tensor_split(input, indices_or_sections, dim=0):
    """Pieces are slices of the input (SliceBackward0), as in torch."""
    from .indexing import slice_dim
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype.kind not in "iu":
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have "
                               f"integer dtype, but got {ios.dtype}")
        if ios.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {ios.ndim} dims")
        ios = ios.item() if ios.ndim == 0 else ios.tolist()
    if isinstance(ios, int):
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        q, r = divmod(n, ios)
        sizes = [q + 1] * r + [q] * (ios - r)
        starts = [0]
        for s in sizes[:-1]:
            starts.append(starts[-1] + s)
        cuts = list(zip(starts, [a + b for a, b in zip(starts, sizes)]))
    else:
        idx = [builtins.min(builtins.max(int(i) + n if i < 0 else int(i), 0), n)
               for i in ios]
        edges = [0] + idx + [n]
        cuts = [(edges[k], builtins.max(edges[k], edges[k + 1])) for k in range(len(idx) + 1)]
    return tuple(slice_dim(input, d, a, b, 1) for a, b in cuts)


def _split_dir(name, input, ios, dim, min_dim):
    if input.ndim < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, "
                           f"but got a tensor with {input.ndim} dimensions!")
    if isinstance(ios, int) and input.shape[dim] % ios:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                           f"size of the dimension {input.shape[dim]} is not divisible by the "
                           f"split_size {ios}!")
    return tensor_split(input, ios, dim)


@public()
def hsplit(input, indices_or_sections):
    return _split_dir("hsplit", input, indices_or_sections, 0 if input.ndim == 1 else 1, 1)


@public()
def vsplit(input, indices_or_sections):
    return _split_dir("vsplit", input, indices_or_sections, 0, 2)


@public()
def dsplit(input, indices_or_sections):
    return _split_dir("dsplit", input, indices_or_sections, 2, 3)
