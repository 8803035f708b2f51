"""Triangular solves: linalg.solve_triangular, the deprecated triangular_solve, cholesky_solve
and cholesky_inverse (solves with a Cholesky factor). Bodies are XLA's triangular solve
(LAPACK's trsm on CPU, as torch calls); gradients are jax's."""
from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
from jax import lax

from .._tensor import _SHORT
from ._bind import public
from ._common import return_type
from ._registry import op, promoted, run
from .compare import not_impl
from .decomp import _square


def _batch(a, b):
    """a and b broadcast over their batch dimensions."""
    shape = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return (jnp.broadcast_to(a, shape + a.shape[-2:]), jnp.broadcast_to(b, shape + b.shape[-2:]))


def _solve(a, b, upper, left, unit):
    a, b = _batch(a, b)
    return lax.linalg.triangular_solve(a, b, left_side=left, lower=not upper,
                                       unit_diagonal=unit)


_solve_triangular = op("linalg_solve_triangular", "LinalgSolveTriangularBackward0")(
    lambda a, b, upper, left, unitriangular: _solve(a, b, upper, left, unitriangular))


def _check(name, A, B, left, kernel="triangular_solve_cpu"):
    _square(name, A)
    if B.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    common = promoted((A, B))
    if common.kind not in "fc":
        raise not_impl(kernel, common)
    n, k = A.shape[-1], B.shape[-2] if left else B.shape[-1]
    if n != k:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")


_NO_UPPER = object()


def solve_triangular(A, B, *, upper=_NO_UPPER, left=True, unitriangular=False, out=None):
    if upper is _NO_UPPER:
        raise TypeError('linalg_solve_triangular() missing 1 required positional arguments: '
                        '"upper"')
    _check("linalg.solve_triangular", A, B, left)
    return run(_solve_triangular, (A, B), (("upper", bool(upper)), ("left", bool(left)),
                                          ("unitriangular", bool(unitriangular))))


_DEPRECATED = ("torch.triangular_solve is deprecated in favor of "
               "torch.linalg.solve_triangularand will be removed in a future PyTorch release.\n"
               "torch.linalg.solve_triangular has its arguments reversed and does not return a "
               "copy of one of the inputs.\nX = torch.triangular_solve(B, A).solution\nshould be "
               "replaced with\nX = torch.linalg.solve_triangular(A, B).")
_triangular_solve = op("triangular_solve", "TriangularSolveBackward0", nout=2)(
    lambda b, a, upper, transpose, unit: (
        _solve(jnp.swapaxes(a, -1, -2) if transpose else a, b, upper != transpose, True, unit),
        _batch(a, b)[0]))


@public()
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    warnings.warn(_DEPRECATED, UserWarning, stacklevel=2)
    _check("linalg.solve_triangular", A, input, True)
    res = run(_triangular_solve, (input, A), (("upper", bool(upper)),
                                              ("transpose", bool(transpose)),
                                              ("unit", bool(unitriangular))))
    return return_type("triangular_solve", ("solution", "cloned_coefficient"))(*res)


def _mh(x):
    return jnp.swapaxes(x, -1, -2).conj()


def _chol_solve(b, factor, upper):
    """(L L^H)^-1 b for the lower factor L (U^H U for the upper U): a lower, then an upper
    triangular solve, each reading its triangle only."""
    first, second = (_mh(factor), factor) if upper else (factor, _mh(factor))
    return _solve(second, _solve(first, b, False, True, False), True, True, False)


# torch's gradients treat the factor as the whole matrix it was given (its other triangle
# included), so they are written out here rather than left to the triangular solves' own
@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _cholesky_solve_body(b, factor, upper):
    return _chol_solve(b, factor, upper)


def _cholesky_solve_fwd(b, factor, upper):
    x = _chol_solve(b, factor, upper)
    return x, (b, factor, x)


def _cholesky_solve_bwd(upper, res, g):
    b, factor, x = res
    grad_b = _chol_solve(g, factor, upper)
    common = jnp.matmul(grad_b, _mh(x))
    common = common + _mh(common)
    grad_l = -jnp.matmul(factor, common) if upper else -jnp.matmul(common, factor)
    return _sum_to(grad_b, b.shape), _sum_to(grad_l, factor.shape)


def _sum_to(x, shape):
    lead = x.ndim - len(shape)
    x = x.sum(tuple(range(lead))) if lead else x
    dims = tuple(i for i, n in enumerate(shape[:-2]) if n == 1 and x.shape[i] != 1)
    return x.sum(dims, keepdims=True) if dims else x


_cholesky_solve_body.defvjp(_cholesky_solve_fwd, _cholesky_solve_bwd)
_cholesky_solve = op("cholesky_solve", "CholeskySolveBackward0")(
    lambda b, factor, upper: _cholesky_solve_body(b, factor, upper))


@public()
def cholesky_solve(input, input2, upper=False, *, out=None):
    _square("cholesky_solve", input2, "A")
    if input.dtype is not input2.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_SHORT[input.dtype.name]} and A of type "
                           f"{_SHORT[input2.dtype.name]} instead.")
    return run(_cholesky_solve, (input, input2), (("upper", bool(upper)),))


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _cholesky_inverse_body(factor, upper):
    eye = jnp.broadcast_to(jnp.eye(factor.shape[-1], dtype=factor.dtype), factor.shape)
    return _chol_solve(eye, factor, upper)


def _cholesky_inverse_fwd(factor, upper):
    inverse = _cholesky_inverse_body(factor, upper)
    return inverse, (factor, inverse)


def _cholesky_inverse_bwd(upper, res, g):
    factor, inverse = res
    common = jnp.matmul(inverse, jnp.matmul(g + _mh(g), inverse))
    return (-jnp.matmul(factor, common) if upper else -jnp.matmul(common, factor)),


_cholesky_inverse_body.defvjp(_cholesky_inverse_fwd, _cholesky_inverse_bwd)
_cholesky_inverse = op("cholesky_inverse", "CholeskyInverseBackward0")(
    lambda factor, upper: _cholesky_inverse_body(factor, upper))


@public()
def cholesky_inverse(input, upper=False, *, out=None):
    _square("cholesky_inverse", input, "A")
    if input.dtype.kind not in "fc":
        raise not_impl("cholesky_inverse_out_cpu", input.dtype)
    return run(_cholesky_inverse, (input,), (("upper", bool(upper)),))
