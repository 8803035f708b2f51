"""torch.linalg (the part issue 2 needs: norms); the rest of the family comes with issue 3."""
from __future__ import annotations

from .ops.reduction import vector_norm as vector_norm


def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    if ord is None or (dim is not None and not isinstance(dim, int) and len(dim) == 1) or \
            isinstance(dim, int) or (A.ndim == 1 and dim is None):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, out=None, dtype=None):
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    from ._errors import NotImplementedOp
    raise NotImplementedOp(f"torch.linalg.matrix_norm with ord={ord!r} is not implemented in "
                           "torchlike")
