"""Decompositions and solvers behind torch.linalg and their torch.* forms: det, slogdet,
inv, solve, cholesky, qr, svd, eigh (pinv, lstsq, matrix_rank, matrix_power, matrix_exp and
multi_dot are in matfn.py).

Failures torch reports (singular / not positive-definite input) come from an `info` output
computed in the same kernel and checked on the host, as torch's *_ex variants do.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._tensor import _SHORT
from ._bind import public
from ._common import return_type
from ._registry import op, run
from .compare import no_derivative, not_impl


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError."""


def _named(statics, pattern):
    return dict(statics)["name"]


def _square(name, A, what="A"):
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: {what} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _floating(name, A):
    if A.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {_SHORT[A.dtype.name]}")


def _check(name, A, square=True):
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    _floating(name, A)
    if square:
        _square(name, A)


def _lu_info(A):
    """LAPACK getrf's info: 1-based index of the first zero pivot of U, 0 if none."""
    lu = lax.linalg.lu(lax.stop_gradient(A))[0]
    zero = jnp.diagonal(lu, axis1=-2, axis2=-1) == 0
    return jnp.where(zero.any(-1), jnp.argmax(zero, -1) + 1, 0).astype(jnp.int32)


def _raise_info(info, name, tail):
    """torch's LinAlgError for a nonzero info: 'name: [(Batch element b): ]tail(info)'."""
    info = np.asarray(info._data)
    if not info.any():
        return
    flat = info.reshape(-1)
    b = int(np.flatnonzero(flat)[0])
    batch = f"(Batch element {b}): " if info.ndim else ""
    raise LinAlgError(f"{name}: {batch}{tail(int(flat[b]))}")


# ---- det / slogdet -------------------------------------------------------------------------
_det = op("linalg_det", "LinalgDetBackward0")(jnp.linalg.det)
_slogdet = op("linalg_slogdet", "LinalgSlogdetBackward0", nout=2)(
    lambda a: tuple(jnp.linalg.slogdet(a)))


def det(A, *, out=None):
    _check("linalg.det", A)
    return run(_det, (A,))


def slogdet(A, *, out=None, name="linalg_slogdet"):
    _check("linalg.slogdet", A)
    return return_type(name, ("sign", "logabsdet"))(*run(_slogdet, (A,)))


public("det")(det)


@public("slogdet")
def _torch_slogdet(input):
    return slogdet(input, name="slogdet")


@public()
def logdet(input):
    _check("logdet", input)
    sign, logabsdet = run(_slogdet, (input,))  # torch's composite: slogdet, then where
    if input.is_complex():
        return sign.log() + logabsdet
    from .compare import where
    return where(sign == -1, float("nan"), logabsdet)


# ---- inv / solve ---------------------------------------------------------------------------
_inv_ex = op("linalg_inv_ex", "LinalgInvExBackward0", nout=2)(
    lambda a: (jnp.linalg.inv(a), _lu_info(a)))


def inv_ex(A, *, check_errors=False, out=None):
    _check("linalg.inv", A)
    res = return_type("linalg_inv_ex", ("inverse", "info"))(*run(_inv_ex, (A,)))
    if check_errors:
        _raise_info(res[1], "linalg.inv_ex", _singular_inv)
    return res


def _singular_inv(k):
    return (f"The diagonal element {k} is zero, the inversion could not be completed because "
            "the input matrix is singular.")


def inv(A, *, out=None):
    res = inv_ex(A)
    _raise_info(res[1], "linalg.inv", _singular_inv)
    return res[0]


@public()
def inverse(input, *, out=None):
    return inv(input)


def _solve_body(a, b, vector, left):
    if not left:
        a = jnp.swapaxes(a, -1, -2)
        b = jnp.swapaxes(b, -1, -2)
    if vector:
        b = b[..., None]
    shape = jnp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    x = jnp.linalg.solve(jnp.broadcast_to(a, shape + a.shape[-2:]),
                         jnp.broadcast_to(b, shape + b.shape[-2:]))
    if vector:
        x = x[..., 0]
    elif not left:
        x = jnp.swapaxes(x, -1, -2)
    return x, _lu_info(a)


_solve_ex = op("linalg_solve_ex", "LinalgSolveExBackward0", nout=2)(_solve_body)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    _check("linalg.solve", A)
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {_SHORT[A.dtype.name]} and B of type "
                           f"{_SHORT[B.dtype.name]} instead")
    vector = B.ndim == 1 or (left and B.ndim == A.ndim - 1 and
                             tuple(B.shape) == tuple(A.shape[:-1]))
    n = A.shape[-1]
    k = B.shape[-1] if vector else B.shape[-2] if left else B.shape[-1]
    if k != n:
        bs = f"{B.shape[-1]}x1" if vector else f"{B.shape[-2]}x{B.shape[-1]}"
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{eq} ({n}x{n} and {bs})")
    res = run(_solve_ex, (A, B), (("vector", vector), ("left", bool(left))))
    res = return_type("linalg_solve_ex", ("result", "info"))(*res)
    if check_errors:
        _raise_info(res[1], "torch.linalg.solve_ex", _singular_solve)
    return res


def _singular_solve(k):
    return "The solver failed because the input matrix is singular."


def solve(A, B, *, left=True, out=None):
    res = solve_ex(A, B, left=left)
    _raise_info(res[1], "torch.linalg.solve", _singular_solve)
    return res[0]


# ---- cholesky ------------------------------------------------------------------------------
def _chol_body(a, upper):
    L = jnp.tril(jnp.linalg.cholesky(a))
    failed = jnp.isnan(jnp.diagonal(L, axis1=-2, axis2=-1)).any(-1)  # XLA: all NaN then
    info, partial = lax.cond(failed.any(), _potf2, _potf2_skipped, lax.stop_gradient(a))
    L = jnp.where((info > 0)[..., None, None], partial, L)
    return (jnp.swapaxes(L, -1, -2).conj() if upper else L), info


def _potf2(a):
    """LAPACK's unblocked Cholesky (xPOTF2, lower): info is the order of the first leading
    minor that is not positive-definite, and a failed matrix keeps the partial factor LAPACK
    leaves (column info-1's pivot left unrooted, later columns as they were)."""
    n = a.shape[-1]
    idx = jnp.arange(n)

    def step(j, carry):
        a, info = carry
        before = jnp.where(idx < j, a, 0)  # the columns already factored
        row = before[..., j, :]
        ajj = a[..., j, j].real - jnp.sum(jnp.abs(row) ** 2, -1)
        live = info == 0
        ok = live & (ajj > 0)  # NaN is not > 0: it fails too, as in LAPACK
        info = jnp.where(live & ~ok, j + 1, info)
        d = jnp.sqrt(jnp.where(ok, ajj, 1))
        col = (a[..., :, j] - jnp.einsum("...ik,...k->...i", before, row.conj())) / d[..., None]
        col = jnp.where((idx > j) & ok[..., None], col, a[..., :, j])  # LAPACK: only if ok
        col = jnp.where(idx == j, jnp.where(ok, d, ajj)[..., None].astype(a.dtype), col)
        return a.at[..., :, j].set(jnp.where(live[..., None], col, a[..., :, j])), info

    a, info = lax.fori_loop(0, n, step, (a, jnp.zeros(a.shape[:-2], jnp.int32)))
    return info, jnp.tril(a)


def _potf2_skipped(a):
    return jnp.zeros(a.shape[:-2], jnp.int32), a


_cholesky_ex = op("linalg_cholesky_ex", "LinalgCholeskyExBackward0", nout=2)(_chol_body)
_cholesky_old = op("cholesky", "CholeskyBackward0")(lambda a, upper: _chol_body(a, upper)[0])


def _chol_error(A, info, name="linalg.cholesky"):
    bad = np.asarray(info._data).reshape(-1)
    if not bad.any():
        return
    b = int(np.flatnonzero(bad)[0])
    k = int(bad[b])  # the order of the first leading minor that is not positive-definite
    batch = f"(Batch element {b}): " if A.ndim > 2 else ""
    raise LinAlgError(f"{name}: {batch}The factorization could not be completed because the "
                      f"input is not positive-definite (the leading minor of order {k} is not "
                      "positive-definite).")


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    _check("linalg.cholesky", A)
    res = return_type("linalg_cholesky_ex", ("L", "info"))(
        *run(_cholesky_ex, (A,), (("upper", bool(upper)),)))
    if check_errors:
        _chol_error(A, res[1], "linalg.cholesky_ex")
    return res


def cholesky(A, *, upper=False, out=None):
    L, info = cholesky_ex(A, upper=upper)
    _chol_error(A, info)
    return L


@public("cholesky")
def _torch_cholesky(input, upper=False, *, out=None):
    if input.dtype.kind not in "fc":
        raise NotImplementedError(f"\"cholesky_cpu\" not implemented for "
                                  f"'{_SHORT[input.dtype.name]}'")
    _check("cholesky", input)
    L, info = cholesky_ex(input)
    _chol_error(input, info)
    return run(_cholesky_old, (input,), (("upper", bool(upper)),))


# ---- qr / svd / eigh -----------------------------------------------------------------------
@jax.custom_vjp
def _qr_r(a):
    return jnp.linalg.qr(a, mode="r")


def _qr_r_bwd(res, g):
    raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                       "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                       "differentiate through linalg.qr.")


_qr_r.defvjp(lambda a: (_qr_r(a), None), _qr_r_bwd)


_qr_complete_tall = no_derivative(
    lambda a: tuple(jnp.linalg.qr(a, mode="complete")), "linalg_qr",
    "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")


def _qr_body(a, mode):
    if mode == "r":
        return jnp.zeros((0,), a.dtype), _qr_r(a)
    if mode == "complete" and a.shape[-2] > a.shape[-1]:
        return _qr_complete_tall(a)
    return tuple(jnp.linalg.qr(a, mode=mode))


_qr = op("linalg_qr", "LinalgQrBackward0", nout=2)(_qr_body)


def qr(A, mode="reduced", *, out=None, name="linalg_qr"):
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _check("linalg.qr", A, square=False)
    _full_precision("geqrf_cpu", A)
    return return_type(name, ("Q", "R"))(*run(_qr, (A,), (("mode", mode),)))


@public("qr")
def _torch_qr(input, some=True, *, out=None):
    return qr(input, "reduced" if some else "complete", name="qr")


@jax.custom_vjp
def _svd_full(a):
    return tuple(jnp.linalg.svd(a, full_matrices=True))


def _svd_full_fwd(a):
    out = _svd_full(a)
    return out, out


def _svd_full_bwd(res, cts):
    """torch's svd_backward of a real, non-square, full SVD: the reduced factors'
    (U[..., :k], Vh[..., :k, :]); the other columns, any basis of their subspace, take no
    gradient (JAX has no derivative for full matrices)."""
    u, s, vh = res
    gu, gs, gvh = cts
    k = s.shape[-1]
    u, vh, gu, gvh = u[..., :k], vh[..., :k, :], gu[..., :k], gvh[..., :k, :]
    mt = lambda x: jnp.swapaxes(x, -1, -2)  # noqa: E731
    e = s[..., None, :] ** 2 - s[..., :, None] ** 2
    e = jnp.where(jnp.eye(k, dtype=bool), 1, e)
    uhgu, vhgv = mt(u) @ gu, vh @ mt(gvh)
    uhgu, vhgv = uhgu - mt(uhgu), vhgv - mt(vhgv)
    ga = (uhgu * s[..., None, :] + s[..., :, None] * vhgv) / e + gs[..., None] * jnp.eye(k)
    if u.shape[-2] > vh.shape[-1]:
        gus = gu / s[..., None, :]
        return (u @ ga + gus - u @ (mt(u) @ gus)) @ vh,
    sgvh = gvh / s[..., :, None]
    return u @ (ga @ vh + sgvh - (sgvh @ mt(vh)) @ vh),


_svd_full.defvjp(_svd_full_fwd, _svd_full_bwd)


def _svd_body(a, full):
    if full and a.shape[-1] != a.shape[-2] and not jnp.iscomplexobj(a):
        return _svd_full(a)
    return tuple(jnp.linalg.svd(a, full_matrices=full))


_svd = op("linalg_svd", "LinalgSvdBackward0", nout=3)(_svd_body)
_svdvals = op("linalg_svdvals", "LinalgSvdBackward0", dtypes="real")(
    lambda a: jnp.linalg.svd(a, compute_uv=False))


def _full_precision(kernel, A):
    """LAPACK has no float16 / bfloat16 routines: torch's NotImplementedError naming them."""
    if A.dtype.name in ("float16", "bfloat16"):
        raise not_impl(kernel, A.dtype)


def svd(A, full_matrices=True, *, driver=None, out=None):
    _check("linalg.svd", A, square=False)
    _full_precision("linalg_svd_cpu", A)
    return return_type("linalg_svd", ("U", "S", "Vh"))(
        *run(_svd, (A,), (("full", bool(full_matrices)),)))


def svdvals(A, *, driver=None, out=None):
    _check("linalg.svd", A, square=False)
    _full_precision("linalg_svd_cpu", A)
    return run(_svdvals, (A,))


@public("svd")
def _torch_svd(input, some=True, compute_uv=True, *, out=None):
    from .._creation import zeros
    from .shape import transpose
    if input.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has "
                           f"{input.ndim} dimensions instead")
    U, S, Vh = svd(input, full_matrices=not some)
    V = transpose(Vh, -2, -1)
    if not compute_uv:  # zero U and V, m x m and n x n whatever `some` says, as torch's
        *batch, m, n = input.shape
        return return_type("svd", ("U", "S", "V"))(zeros(*batch, m, m, dtype=input.dtype), S,
                                                   zeros(*batch, n, n, dtype=input.dtype))
    return return_type("svd", ("U", "S", "V"))(U, S, V.conj() if V.is_complex() else V)


def _uplo(uplo):
    if uplo not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")
    return uplo


def _eigh_body(a, uplo):
    # LAPACK reads only the UPLO triangle, while torch's gradient is the Hermitian part of
    # the full-matrix one: the triangle-built matrix carries the input's symmetrized tangent.
    tri = jnp.tril(a) if uplo == "L" else jnp.triu(a)
    diag = jnp.diagonal(a, axis1=-2, axis2=-1)
    eye = jnp.eye(a.shape[-1], dtype=bool)
    full = tri + jnp.swapaxes(tri, -1, -2).conj() - jnp.where(eye, diag[..., None], 0)
    d = a - lax.stop_gradient(a)
    full = lax.stop_gradient(full) + 0.5 * (d + jnp.swapaxes(d, -1, -2).conj())
    return tuple(jnp.linalg.eigh(full, symmetrize_input=False))


_eigh = op("linalg_eigh", "LinalgEighBackward0", nout=2)(_eigh_body)
_eigvalsh = op("linalg_eigvalsh", "LinalgEighBackward0", dtypes="real")(
    lambda a, uplo: _eigh_body(a, uplo)[0])


def eigh(A, UPLO="L", *, out=None):
    _check("linalg.eigh", A)
    return return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))(
        *run(_eigh, (A,), (("uplo", _uplo(UPLO)),)))


def eigvalsh(A, UPLO="L", *, out=None):
    _check("linalg.eigvalsh", A)
    return run(_eigvalsh, (A,), (("uplo", _uplo(UPLO)),))
