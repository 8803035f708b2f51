"""Matrix products: matmul (dispatching as torch does), mm, bmm, mv, dot, outer, addmm,
einsum."""
from __future__ import annotations

import jax.numpy as jnp

from .. import _dtype as D
from .._tensor import _SHORT
from ._bind import public
from ._registry import op, run

_mm = op("mm", "MmBackward0")(jnp.matmul)
_bmm = op("bmm", "BmmBackward0")(jnp.matmul)
_mv = op("mv", "MvBackward0")(jnp.matmul)
_dot = op("dot", "DotBackward0")(jnp.dot)
_matmul_nd = op("matmul", "UnsafeViewBackward0")(jnp.matmul)
_addmm = op("addmm", "AddmmBackward0", promote=(0, 1, 2, 3, 4))(
    lambda c, a, b, beta, alpha: beta * c + alpha * (a @ b))


def _same_dtype(name, a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype.__repr__().replace('torch.', '')} != "
                           f"{b.dtype.__repr__().replace('torch.', '')}")


def _no_bool(name, a):
    if a.dtype is D.bool:
        raise RuntimeError(f"\"{name}\" not implemented for 'Bool'")


@public()
def mm(input, mat2, *, out=None):
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"{'self' if input.ndim != 2 else 'mat2'} must be a matrix")
    _same_dtype("mm", input, mat2)
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x"
                           f"{input.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    return run(_mm, (input, mat2))


@public()
def bmm(input, mat2, *, out=None):
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    _same_dtype("bmm", input, mat2)
    return run(_bmm, (input, mat2))


@public()
def mv(input, vec, *, out=None):
    _same_dtype("mv", input, vec)
    return run(_mv, (input, vec))


@public()
def dot(input, other, *, out=None):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_SHORT[input.dtype.name]} and {_SHORT[other.dtype.name]}")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and "
                           f"src [{other.shape[0]}] to have the same number of elements, but "
                           "got 1 and 1 elements respectively")
    return run(_dot, (input, other))


@public()
def matmul(input, other, *, out=None):
    a, b = input.ndim, other.ndim
    if a == 0 or b == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a}D and {b}D")
    if a == 1 and b == 1:
        return dot(input, other)
    if a == 2 and b == 1:
        return mv(input, other)
    if a == 2 and b == 2:
        return mm(input, other)
    if a == 1 and b == 2:
        return mm(input.unsqueeze(0), other).squeeze(0)
    k1 = input.shape[-1]
    k2 = other.shape[-2] if b >= 2 else other.shape[0]
    if k1 != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({input.numel() // k1}x{k1} and {k2}x{other.shape[-1]})")
    _same_dtype("matmul", input, other)
    return run(_matmul_nd, (input, other))


@public()
def outer(input, vec2, *, out=None):
    return input.unsqueeze(1) * vec2.unsqueeze(0)


public("ger")(outer)


@public(inplace=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x"
                           f"{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    return run(_addmm, (input, mat1, mat2, beta, alpha))


_einsum = op("einsum", "EinsumBackward0")(lambda *xs, eq: jnp.einsum(eq, *xs))


@public(method=False)
def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return run(_einsum, tuple(operands), (("eq", equation.replace(" ", "")),))
