"""torch.linalg: norms, decompositions, solvers and products (bodies live in ops/)."""
from __future__ import annotations

from ._errors import missing as _missing
import inspect
import math

from .ops.compare import outable
from .ops.decomp import LinAlgError as LinAlgError
from .ops.decomp import cholesky as cholesky
from .ops.decomp import cholesky_ex as cholesky_ex
from .ops.decomp import det as det
from .ops.decomp import eigh as eigh
from .ops.decomp import eigvalsh as eigvalsh
from .ops.decomp import inv as inv
from .ops.decomp import inv_ex as inv_ex
from .ops.matfn import lstsq as lstsq
from .ops.matfn import matrix_exp as matrix_exp
from .ops.matfn import matrix_power as matrix_power
from .ops.matfn import matrix_rank as matrix_rank
from .ops.matfn import multi_dot as multi_dot
from .ops.matfn import pinv as pinv
from .ops.decomp import qr as qr
from .ops.decomp import slogdet as slogdet
from .ops.decomp import solve as solve
from .ops.decomp import solve_ex as solve_ex
from .ops.decomp import svd as svd
from .ops.decomp import svdvals as svdvals
from .ops.triangular import solve_triangular as solve_triangular
from .ops.products import linalg_cross
from .ops.linalg import matmul as matmul
from .ops.reduction import vector_norm as vector_norm
from .ops.shape import diagonal as _diagonal


def cross(input, other, *, dim=-1, out=None):
    return linalg_cross(input, other, dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return _diagonal(A, offset, dim1, dim2)


def vecdot(x, y, *, dim=-1, out=None):
    if x.ndim == 1 and y.ndim == 1:
        from .ops.linalg import vdot
        return vdot(x, y)
    return (x.conj() * y if x.is_complex() else x * y).sum(dim)


def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    if dim is not None and not isinstance(dim, int):
        dim = tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dim)}")
        if len(dim) == 1:
            dim = dim[0]
    if dim is None and ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")
    if isinstance(ord, str):  # only matrix norms are named
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if isinstance(dim, int) or (dim is None and (ord is None or A.ndim == 1)):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim,
                       keepdim, dtype=dtype)


def _backshift(d0, d1, n):
    return [k for k in range(n) if k not in (d0, d1)] + [d0, d1]


def _restore(result, perm):
    inverse = [perm.index(k) for k in range(len(perm))]
    return result.unsqueeze(-1).permute(inverse)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, out=None, dtype=None):
    from ._tensor import _wrap_dim
    dim = tuple(dim) if not isinstance(dim, int) else (dim,)
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(str(d) for d in dim)}")
    d0, d1 = _wrap_dim(dim[0], A.ndim), _wrap_dim(dim[1], A.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        if ord == "fro":
            return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
        A_ = A if dtype is None else A.to(dtype)
        perm = _backshift(d0, d1, A.ndim)
        result = svdvals(A_.permute(perm)).sum(-1, keepdim)
        return _restore(result, perm) if keepdim else result
    if ord not in (1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if A.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor "
                           f"as input. Got {A.dtype.name.capitalize()}")

    def extreme(t, d):
        return t.amax(d, keepdim) if ord > 0 else t.amin(d, keepdim)
    if abs(ord) == 2:
        A_ = A if dtype is None else A.to(dtype)
        perm = _backshift(d0, d1, A.ndim)
        result = extreme(svdvals(A_.permute(perm)), -1)
        return _restore(result, perm) if keepdim else result
    if abs(ord) == math.inf:
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    return extreme(vector_norm(A, 1, d0, keepdim, dtype=dtype), d1)


def _with_out(namespace: dict) -> None:
    """The functions above that take `out=` get torch's out= semantics (compare.outable)."""
    for name, fn in list(namespace.items()):
        if (callable(fn) and not name.startswith("_") and not isinstance(fn, type)
                and not hasattr(fn, "__wrapped__")
                and "out" in inspect.signature(fn).parameters):
            namespace[name] = outable(fn)


_with_out(globals())


__getattr__ = _missing("torch.linalg")  # names torchlike lacks: NotImplementedError
