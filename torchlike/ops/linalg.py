"""Matrix products: matmul, mm, bmm, mv, dot, vdot, outer, addmm/addmv/addbmm/baddbmm/addr
(einsum, tensordot, inner, kron, trace and cross are in products.py).

matmul is composed from mm / mv / bmm and view ops as ATen's _matmul_impl composes it, so its
graph is torch's node for node.
"""
from __future__ import annotations

import math

import jax.numpy as jnp

from .. import _dtype as D
from .._tensor import _CTYPE, _SHORT
from ..autograd import grad_mode
from ._bind import public
from ._registry import op, run
from .layout import strides_of
from .shape import (broadcast_shape, contiguous, expand, reshape, squeeze, squeeze_,
                    transpose, unsafe_view, unsqueeze)
from .shape import t as _t


def _named(statics, pattern):
    return dict(statics)["name"]


def _same_dtype(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CTYPE[a.dtype.name]} != {_CTYPE[b.dtype.name]}")


def _no_bool(kernel, *ts):
    if any(t.dtype is D.bool for t in ts):
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


_mm = op("mm", "MmBackward0")(jnp.matmul)
_bmm = op("bmm", "BmmBackward0")(jnp.matmul)
_mv = op("mv", "MvBackward0")(jnp.matmul)


def _matmul_steps(a, b, fold):
    """ATen's _matmul_impl for 3+ dimensions in jax: the same fold, broadcasts and products as
    _matmul_folded / _matmul_batched below, so the products have the same shapes (and XLA
    gives the same bits: tests/test_matmul_paths.py), in one program."""
    if fold:  # the left operand has 3+ dimensions (see _one_kernel)
        shape = a.shape[:-1]
        return jnp.matmul(a.reshape(math.prod(shape), a.shape[-1]), b).reshape(
            shape + b.shape[1:])
    n, m1 = (a.shape[-2] if a.ndim > 1 else 1), a.shape[-1]
    m2, p = (b.shape[-2], b.shape[-1]) if b.ndim > 1 else (b.shape[0], 1)
    batch = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    nb = math.prod(batch)
    a3 = jnp.broadcast_to(a, batch + (n, m1)).reshape(nb, n, m1)
    b3 = jnp.broadcast_to(b, batch + (m2, p) if b.ndim > 1 else batch + (m2,)).reshape(
        nb, m2, p)
    return jnp.matmul(a3, b3).reshape(batch + ((n,) if a.ndim > 1 else ()) +
                                      ((p,) if b.ndim > 1 else ()))


# where no graph is recorded, matmul of 3+ dimensions is one kernel: torch's steps (expand,
# reshape, bmm / mm, _unsafe_view) are each a kernel to dispatch and, for every new shape, to
# compile; the result is not a view either way
_matmul_nd = op("matmul_nd", "UnsafeViewBackward0")(_matmul_steps)
_dot = op("dot", "DotBackward0")(jnp.dot)
_vdot = op("vdot", "VdotBackward0")(jnp.vdot)


@public()
def mm(input, mat2, *, out=None):
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x"
                           f"{input.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    _same_dtype(input, mat2)
    _no_bool("addmm_impl_cpu_", input)
    return run(_mm, (input, mat2))


def _scalar_type(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {_SHORT[a.dtype.name]} but found "
                           f"{_SHORT[b.dtype.name]}")


def _addmv_dtype(mat, vec):
    if mat.dtype is not vec.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_SHORT[vec.dtype.name]}, {_SHORT[mat.dtype.name]}, and "
                           f"{_SHORT[vec.dtype.name]}")


def _check_bmm(b1, b2):
    if b1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b1.shape[0] != b2.shape[0] or b1.shape[2] != b2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b1.shape[0]}, {b1.shape[2]}] but got: [{b2.shape[0]}, "
                           f"{b2.shape[1]}].")


@public()
def bmm(input, mat2, *, out=None):
    _check_bmm(input, mat2)
    _scalar_type(input, mat2)
    _no_bool("bmm", input)
    return run(_bmm, (input, mat2))


def _check_mv(input, vec, n_in=None):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {n_in or 1}, {input.ndim}, "
                           f"{vec.ndim}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat ({input.shape[0]}"
                           f"x{input.shape[1]}), vec ({vec.shape[0]})")


@public()
def mv(input, vec, *, out=None):
    _check_mv(input, vec)
    _addmv_dtype(input, vec)
    _no_bool("addmv_impl_cpu", input)
    return run(_mv, (input, vec))


def _check_dot(name, input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           "tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{name} : expected both vectors to have same dtype, but found "
                           f"{_SHORT[input.dtype.name]} and {_SHORT[other.dtype.name]}")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and "
                           f"src [{other.shape[0]}] to have the same number of elements, but "
                           f"got {input.shape[0]} and {other.shape[0]} elements respectively")
    _no_bool("dot", input)  # vdot of bools fails in torch's dot kernel


@public()
def dot(input, other, *, out=None):
    _check_dot("dot", input, other)
    return run(_dot, (input, other))


@public()
def vdot(input, other, *, out=None):
    _check_dot("vdot", input, other)
    return run(_vdot, (input, other))


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
    if b >= 3:
        _scalar_type(input, other)
    elif b == 1:
        _addmv_dtype(input, other)
    else:
        _same_dtype(input, other)
    k1 = input.shape[-1]
    if a == 1 and b == 2:
        if k1 != other.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied (1x{k1} and "
                               f"{other.shape[0]}x{other.shape[1]})")
        _no_bool("addmm_impl_cpu_", input)
        return squeeze_(run(_mm, (unsqueeze(input, 0), other)), 0)
    if b <= 2:  # folded into one mm / mv over the batch of the left operand
        rows = input.numel() // k1 if k1 else math.prod(input.shape[:-1])
        if b == 1 and k1 != other.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k1}), vec "
                               f"({other.shape[0]})")
        if b == 2 and k1 != other.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k1} and "
                               f"{other.shape[0]}x{other.shape[1]})")
        _no_bool("addmv_impl_cpu" if b == 1 else "addmm_impl_cpu_", input)
    else:
        batch = math.prod(broadcast_shape(input.shape[:-2], other.shape[:-2]))
        if k1 != other.shape[-2]:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{batch}, {k1}] but got: [{batch}, {other.shape[-2]}].")
        _no_bool("bmm", input)
    fold = _should_fold(input, other)
    if not (grad_mode._modes.grad and (input._rg or other._rg)) and _one_kernel(
            input, other, fold):
        return run(_matmul_nd, (input, other), (("fold", fold),))
    if fold:
        return _matmul_folded(input, other)
    return _matmul_batched(input, other)


def _one_kernel(a, b, fold) -> bool:
    """Whether _matmul_nd gives the bits torch's steps give: not for the folds of a 1-D / 2-D
    operand on the left (XLA takes the transpose they need into the product) nor for ATen's
    squeeze of a batch of one that requires grad (rare: the steps run)."""
    if fold:
        return a.ndim >= b.ndim
    return not (a.ndim == b.ndim == 3 and a.shape[0] != b.shape[0] and (a._rg or b._rg))


# ---- ATen's _matmul_impl for operands of 3 or more dimensions, op by op (its graph) --------
def _should_fold(a, b) -> bool:
    """ATen's should_fold: whether the operand of 3+ dims folds into a matrix for one mm / mv
    (the other has <= 2 dims and requires grad, or the fold needs no copy), else bmm."""
    big, small = (a, b) if a.ndim >= b.ndim else (b, a)
    if big.ndim < 3 or small.ndim > 2:
        return False
    if small.requires_grad:
        return True
    if a.ndim == 2:
        return False
    if big.numel() == 0:
        return True
    shape, strides = list(big.shape), list(strides_of(big))
    if big is b:  # folding b.mT: its last two dimensions swapped
        shape[-2:], strides[-2:] = shape[:-3:-1], strides[:-3:-1]
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(len(shape) - 2))


def _matmul_folded(a, b):
    """N-D @ 1-D / 2-D as one mv / mm on the N-D operand viewed as a matrix (b.mT for 1-D /
    2-D @ N-D, the result transposed back)."""
    flip = b.ndim > a.ndim
    t1 = transpose(b, -2, -1) if flip else a
    t2 = (_t(a) if a.ndim == 2 else a) if flip else b
    shape = tuple(t1.shape[:-1])
    folded = reshape(t1, (math.prod(shape), t1.shape[-1]))
    if t2.ndim == 1:
        return unsafe_view(run(_mv, (folded, t2)), shape)
    res = unsafe_view(run(_mm, (folded, t2)), shape + (t2.shape[1],))
    return contiguous(transpose(res, -2, -1)) if flip else res


def _matmul_batched(a, b):
    """Batched operands: both expanded to the broadcast batch, folded to 3-D, one bmm."""
    da, db = a.ndim, b.ndim
    if da == db == 3 and a.shape[0] != b.shape[0]:  # a batch of one taken as a matrix
        if a.shape[0] == 1 and a.requires_grad:
            return matmul(squeeze(a, 0), b)
        if b.shape[0] == 1 and b.requires_grad:
            return matmul(a, squeeze(b, 0))
    n, m1 = (a.shape[-2] if da > 1 else 1), a.shape[-1]
    m2, p = (b.shape[-2], b.shape[-1]) if db > 1 else (b.shape[0], 1)
    batch = broadcast_shape(a.shape[:-2], b.shape[:-2])
    nb = math.prod(batch)
    a3 = reshape(expand(a, batch + (n, m1)), (nb, n, m1))
    if db == 1:
        b3 = unsqueeze(reshape(expand(b, batch + (m2,)), (nb, m2)), 2)
    else:
        b3 = reshape(expand(b, batch + (m2, p)), (nb, m2, p))
    res = run(_bmm, (a3, b3))
    if db == 1:
        res = squeeze(res, -1)
    return unsafe_view(res, batch + ((n,) if da > 1 else ()) + ((p,) if db > 1 else ()))


@public()
def outer(input, vec2, *, out=None):
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input.ndim}-D"
                           if input.ndim != 1 else
                           f"outer: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    return input.unsqueeze(1) * vec2


public("ger")(outer)


# ---- add* family ---------------------------------------------------------------------------
def _addmm_body(c, a, b, beta, alpha, beta_zero, batched=False):
    prod = jnp.matmul(a, b)
    if batched:
        prod = prod.sum(0)
    if beta_zero:
        return jnp.broadcast_to(alpha * prod, jnp.broadcast_shapes(c.shape, prod.shape))
    return beta * c + alpha * prod


def _add_op(name, grad_fn, batched=False):
    return op(name, grad_fn)(lambda c, a, b, beta, alpha, beta_zero:
                             _addmm_body(c, a, b, beta, alpha, beta_zero, batched))


_addmm = _add_op("addmm", "AddmmBackward0")
_addmv = _add_op("addmv", "AddmvBackward0")
_addbmm = _add_op("addbmm", "AddbmmBackward0", batched=True)
_baddbmm = _add_op("baddbmm", "BaddbmmBackward0")
_addr = op("addr", "AddrBackward0")(
    lambda c, a, b, beta, alpha, beta_zero: _addmm_body(c, a[:, None], b[None, :], beta, alpha,
                                                        beta_zero))


def _check_self(input, shape):
    from .shape import _expanded_shape
    _expanded_shape(input, tuple(shape))


def _run_add(o, input, m1, m2, beta, alpha):
    if input.dtype.kind in "iu":  # torch reads float scalars as integers here (truncated)
        beta, alpha = (int(v) if isinstance(v, float) else v for v in (beta, alpha))
    return run(o, (input, m1, m2, beta, alpha), (("beta_zero", beta == 0),))


def _addmm_dtypes(input, mat1, mat2):
    """addmm's dtype checks, in torch's order: self against mat2, then mat1 against mat2."""
    for name, t in (("self", input), ("mat1", mat1)):
        if t.dtype is not mat2.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                               f"{_SHORT[t.dtype.name]} and {_SHORT[mat2.dtype.name]}")


@public(inplace=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if mat1.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.ndim}-D tensor")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x"
                           f"{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    _addmm_dtypes(input, mat1, mat2)
    _no_bool("addmm_impl_cpu_", mat1)
    _check_self(input, (mat1.shape[0], mat2.shape[1]))
    return _run_add(_addmm, input, mat1, mat2, beta, alpha)


@public(inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    _check_mv(mat, vec, input.ndim)
    if not (input.dtype is mat.dtype is vec.dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_SHORT[input.dtype.name]}, {_SHORT[mat.dtype.name]}, and "
                           f"{_SHORT[vec.dtype.name]}")
    _no_bool("addmv_impl_cpu", mat)
    if input.numel() != 1 and tuple(input.shape) != (mat.shape[0],):
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), "
                           f"mat ({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    return _run_add(_addmv, input, mat, vec, beta, alpha)


def _dtype_name(t):
    return _SHORT[t.dtype.name]


@public(inplace=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    if batch1.ndim != 3 or batch2.ndim != 3:
        _check_bmm(batch1, batch2)
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{batch1.shape[0]} and {batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x"
                           f"{batch1.shape[2]} and {batch2.shape[1]}x{batch2.shape[2]})")
    if batch1.dtype is not batch2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_dtype_name(batch1)} and {_dtype_name(batch2)}")
    if input.dtype is not batch2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_dtype_name(input)} and {_dtype_name(batch2)}")
    _no_bool("addmm_impl_cpu_", batch1)  # torch's addbmm runs addmm_
    _check_self(input, (batch1.shape[1], batch2.shape[2]))
    return _run_add(_addbmm, input, batch1, batch2, beta, alpha)


@public(inplace=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    _check_bmm(batch1, batch2)
    if not (input.dtype is batch1.dtype is batch2.dtype):
        names = [_CTYPE[t.dtype.name] for t in (input, batch1, batch2)]
        raise RuntimeError("Input dtypes must be the same, got: input {}, batch1: {}, batch2: "
                           "{}".format(*names))
    _no_bool("baddbmm", batch1)
    _check_self(input, (batch1.shape[0], batch1.shape[1], batch2.shape[2]))
    return _run_add(_baddbmm, input, batch1, batch2, beta, alpha)


@public(inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D"
                           if vec1.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    _check_self(input, (vec1.shape[0], vec2.shape[0]))
    for name, v in (("beta", beta), ("alpha", alpha)):  # bool counts as integral here
        if input.dtype.kind in "biu" and isinstance(v, float):
            raise RuntimeError(f"For integral input tensors, argument {name} must not be a "
                               "floating point number.")
    return _run_add(_addr, input, vec1, vec2, beta, alpha)
