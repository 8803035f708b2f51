"""Matrix functions behind torch.linalg: pinv, lstsq, matrix_rank, matrix_power, matrix_exp,
multi_dot (and their torch.* forms)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._tensor import _SHORT, _wrap
from ._bind import public
from ._common import return_type
from ._registry import op, run
from .decomp import _check, _floating, _named, _square, inv, svdvals


# ---- pinv / lstsq / matrix_rank ----------------------------------------------------------
def _default_rtol(A, atol, rtol):
    if rtol is None:
        m, n = A.shape[-2:]
        eps = float(np.finfo(A.dtype.np).eps)
        rtol = 0.0 if (atol is not None and atol > 0) else eps * max(m, n)
    return float(rtol), float(atol or 0.0)


def _pinv_body(a, rtol, atol):
    if atol != 0.0:
        smax = lax.stop_gradient(jnp.linalg.svd(a, compute_uv=False))[..., 0]
        rtol = jnp.maximum(rtol, atol / jnp.where(smax > 0, smax, 1))
    # hermitian only changes how LAPACK computes it; torch's gradient is the general one
    return jnp.linalg.pinv(a, rtol=rtol)


_pinv = op("linalg_pinv", "LinalgPinvBackward0")(_pinv_body)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    if A.ndim < 2 or A.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.pinv({_SHORT[A.dtype.name]}{{{list(A.shape)}}}): expected a "
                           "tensor with 2 or more dimensions of float, double, cfloat or cdouble "
                           "types")
    _check("linalg.pinv", A, square=hermitian)
    rtol, atol = _default_rtol(A, atol, rtol)
    return run(_pinv, (A,), (("rtol", rtol), ("atol", atol)))


@public()
def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


_rank = op("linalg_matrix_rank", None, dtypes="long")(
    lambda a, rtol, atol, hermitian: _rank_body(a, rtol, atol, hermitian))


def _rank_body(a, rtol, atol, hermitian):
    s = jnp.abs(jnp.linalg.eigvalsh(a)) if hermitian else jnp.linalg.svd(a, compute_uv=False)
    smax = s.max(-1, keepdims=True) if s.shape[-1] else jnp.zeros(s.shape[:-1] + (1,), s.dtype)
    return (s > jnp.maximum(atol, rtol * smax)).sum(-1)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 "
                           "dimensions.")
    _check("linalg.matrix_rank", A, square=hermitian)
    if tol is not None:
        atol, rtol = tol, 0.0
    rtol, atol = _default_rtol(A, atol, rtol)
    return run(_rank, (A,), (("rtol", rtol), ("atol", atol), ("hermitian", bool(hermitian))))


def _lstsq_body(a, b, vector, rcond, residuals):
    if vector:
        b = b[..., None]
    x = jnp.linalg.pinv(a, rtol=rcond) @ b
    if residuals:
        res = (jnp.abs(a @ x - b) ** 2).sum(-2)
    else:
        res = jnp.zeros((0,), a.dtype)
    if vector:
        x = x[..., 0]
        if residuals:
            res = res[..., 0]
    return x, res


_lstsq = op("linalg_lstsq", "LinalgLstsqBackward0", nout=2)(_lstsq_body)


def lstsq(A, B, rcond=None, *, driver=None):
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           "gelsy, gelsd, gelss)")
    _check("torch.linalg.lstsq", A, square=False)
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {A.dtype} and other's dtype "
                           f"{B.dtype}")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if (B.shape[-1] if vector else B.shape[-2]) != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-"
                           f"{1 if vector else 2})")
    m, n = A.shape[-2:]
    eps = float(np.finfo(A.dtype.np).eps)
    rc = float(rcond) if rcond is not None else eps * max(m, n)
    rank = matrix_rank(A, rtol=rc)
    full = bool(np.all(np.asarray(rank._data) == n))
    want_res = driver != "gelsy" and m > n and full
    x, res = run(_lstsq, (A, B), (("vector", vector), ("rcond", rc), ("residuals", want_res)))
    if driver == "gels":
        rank = _wrap(jnp.zeros((0,), jnp.int64))
    sv = svdvals(A).detach() if driver in ("gelsd", "gelss") else _wrap(
        jnp.zeros((0,), A.dtype.np))
    return return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))(
        x, res, rank, sv)


# ---- matrix_power / matrix_exp / multi_dot -----------------------------------------------
_matrix_power = op("linalg_matrix_power", _named)(
    lambda a, n, name: jnp.broadcast_to(jnp.eye(a.shape[-1], dtype=a.dtype), a.shape)
    if n == 0 else jnp.linalg.matrix_power(a, n))


def matrix_power(A, n, *, out=None):
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 "
                           "dimensions.")
    _square("linalg.matrix_power", A)
    n = int(n)
    if n < 0:
        _floating("linalg.matrix_power", A)
        A = inv(A)
        if n == -1:
            return A
        n = -n
    name = {0: "CopyBackwards", 1: "CloneBackward0"}.get(
        n, "MmBackward0" if A.ndim == 2 else "UnsafeViewBackward0")
    return run(_matrix_power, (A,), (("n", n), ("name", name)))


public("matrix_power")(matrix_power)

_matrix_exp = op("linalg_matrix_exp", "LinalgMatrixExpBackward0")(
    lambda a: jax.scipy.linalg.expm(a))


def matrix_exp(A):
    _check("linalg.matrix_exp", A)
    return run(_matrix_exp, (A,))


public("matrix_exp")(matrix_exp)

_multi_dot = op("linalg_multi_dot", "ViewBackward0")(lambda *xs: jnp.linalg.multi_dot(xs))


def multi_dot(tensors, *, out=None):
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for k, t in enumerate(tensors):
        end = k in (0, len(tensors) - 1)
        if t.ndim > 2 or t.ndim < (1 if end else 2):
            where = {0: "the first tensor", len(tensors) - 1: "the last tensor"}.get(
                k, f"tensor {k}")
            need = "1D or 2D" if end else "2D"
            raise RuntimeError(f"multi_dot(): {where} must be {need} but got {t.ndim}D")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but "
                               f"tensor 0 is {tensors[0].dtype} and tensor {k} {t.dtype}")
    for k in range(len(tensors) - 1):
        a, b = tensors[k], tensors[k + 1]
        if a.shape[-1] != b.shape[0]:
            sa = list(a.shape) if a.ndim == 2 else [1, a.shape[0]]
            sb = list(b.shape) if b.ndim == 2 else [b.shape[0], 1]
            raise RuntimeError(f"multi_dot(): tensors {k} and {k + 1} with shapes {sa} and "
                               f"{sb} cannot be multiplied")
    return run(_multi_dot, tuple(tensors))


@public(method=False)
def chain_matmul(*matrices, out=None):
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)
