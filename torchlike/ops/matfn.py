"""Matrix functions behind torch.linalg: pinv, lstsq, matrix_rank, matrix_power, matrix_exp,
multi_dot (and their torch.* forms)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._tensor import _SHORT
from ._bind import public
from ._common import return_type
from ._registry import op, run
from .decomp import _check, _floating, _named, _raise_info, _square, inv


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


# ---- lstsq: LAPACK's four drivers ----------------------------------------------------------
# torch's solution, residuals, rank and singular values are those of the LAPACK driver; its
# gradients are the same for every driver (torch's linalg_lstsq_backward, `_torch_gradient`).
def _mh(x):
    return jnp.swapaxes(x, -1, -2).conj()


def _trsolve(t, c, lower):
    """Triangular solve, t's batch broadcast to c's."""
    t = jnp.broadcast_to(t, c.shape[:-2] + t.shape[-2:])
    return lax.linalg.triangular_solve(t, c, left_side=True, lower=lower)


def _laic1(big, x, sest, w, gamma, eps):
    """LAPACK xLAIC1: from the estimate `sest` (largest singular value if big, else smallest)
    of a triangular L with its vector x, the estimate for [[L, w], [0, gamma]] and the (s, c)
    that extend x to [s*x, c]. Branches in LAPACK's order."""
    alpha = (x.conj() * w).sum(-1)
    aa, ag, ae = jnp.abs(alpha), jnp.abs(gamma), sest
    one, zero = jnp.ones_like(alpha), jnp.zeros_like(alpha)
    hi, lo = jnp.maximum(aa, ag), jnp.minimum(aa, ag)
    scl = jnp.sqrt(1 + (lo / hi) ** 2)
    z1, z2 = aa / ae, ag / ae
    if big:
        s0, c0 = alpha / hi, gamma / hi
        t0 = jnp.sqrt(jnp.abs(s0) ** 2 + jnp.abs(c0) ** 2)
        mx = jnp.maximum(ae, aa)
        b = (1 - z1 * z1 - z2 * z2) / 2
        r = jnp.sqrt(b * b + z1 * z1)
        t = jnp.where(b > 0, z1 * z1 / (b + r), r - b)
        sn, cs, est = -(alpha / ae) / t, -(gamma / ae) / (1 + t), jnp.sqrt(t + 1) * ae
        cases = [(jnp.where(hi == 0, zero, s0 / t0), jnp.where(hi == 0, one, c0 / t0),
                  jnp.where(hi == 0, 0, hi * t0)),
                 (one, zero, mx * jnp.sqrt((ae / mx) ** 2 + (aa / mx) ** 2)),
                 (jnp.where(ag <= ae, one, zero), jnp.where(ag <= ae, zero, one),
                  jnp.maximum(ae, ag)),
                 (alpha / hi / scl, gamma / hi / scl, hi * scl)]
    else:
        sn0, cs0 = jnp.where(hi == 0, one, -gamma.conj()), jnp.where(hi == 0, zero, alpha.conj())
        m0 = jnp.maximum(jnp.abs(sn0), jnp.abs(cs0))
        s0, c0 = sn0 / m0, cs0 / m0
        t0 = jnp.sqrt(jnp.abs(s0) ** 2 + jnp.abs(c0) ** 2)
        norma = jnp.maximum(1 + z1 * z1 + z1 * z2, z1 * z2 + z2 * z2)
        near0 = 1 + 2 * (z1 - z2) * (z1 + z2) >= 0   # root closer to zero than to one
        b0 = (z1 * z1 + z2 * z2 + 1) / 2
        t_0 = z2 * z2 / (b0 + jnp.sqrt(jnp.abs(b0 * b0 - z2 * z2)))
        b1 = (z1 * z1 + z2 * z2 - 1) / 2
        r1 = jnp.sqrt(b1 * b1 + z1 * z1)
        t_1 = jnp.where(b1 >= 0, -z1 * z1 / (b1 + r1), b1 - r1)
        sn = jnp.where(near0, (alpha / ae) / (1 - t_0), -(alpha / ae) / t_1)
        cs = jnp.where(near0, -(gamma / ae) / t_0, -(gamma / ae) / (1 + t_1))
        est = jnp.sqrt(jnp.where(near0, t_0, 1 + t_1) + 4 * eps * eps * norma) * ae
        cases = [(s0 / t0, c0 / t0, jnp.zeros_like(ae)),
                 (zero, one, ag),
                 (jnp.where(ag <= ae, zero, one), jnp.where(ag <= ae, one, zero),
                  jnp.minimum(ag, ae)),
                 (-(gamma.conj() / hi) / scl, (alpha.conj() / hi) / scl,
                  jnp.where(ag <= aa, ae * ((lo / hi) / scl), ae / scl))]
    nrm = jnp.sqrt(jnp.abs(sn) ** 2 + jnp.abs(cs) ** 2)
    cases.append((sn / nrm, cs / nrm, est))
    conds = [ae == 0, ag <= eps * ae, aa <= eps * ae, (ae <= eps * aa) | (ae <= eps * ag)]
    return tuple(jnp.select(conds, [c[i] for c in cases[:4]], cases[4][i]) for i in range(3))


def _gelsy_rank(r, rcond):
    """xGELSY's rank: the leading block of the (pivoted) R grows while its condition number,
    by incremental estimation (xLAIC1), stays at most 1/rcond."""
    k = r.shape[-1]
    eps = float(np.finfo(r.dtype).eps) / 2  # LAPACK's dlamch('Epsilon')
    e0 = jnp.zeros(r.shape[:-1], r.dtype).at[..., 0].set(1)
    s = jnp.abs(r[..., 0, 0])
    rank = (s != 0).astype(jnp.int64)

    def step(i, carry):
        rank, go, xmin, xmax, smin, smax = carry
        w, gamma = r[..., :, i], r[..., i, i]  # x is zero from row i on: w needs no mask
        s1, c1, smin2 = _laic1(False, xmin, smin, w, gamma, eps)
        s2, c2, smax2 = _laic1(True, xmax, smax, w, gamma, eps)
        ok = go & (smax2 * rcond <= smin2)
        at_i = jnp.arange(k) == i

        def grow(x, s, c):
            return jnp.where(ok[..., None], jnp.where(at_i, c[..., None], s[..., None] * x), x)
        return (rank + ok, ok, grow(xmin, s1, c1), grow(xmax, s2, c2),
                jnp.where(ok, smin2, smin), jnp.where(ok, smax2, smax))
    return lax.fori_loop(1, k, step, (rank, rank == 1, e0, e0, s, s))[0]


def _gelsy(a, b, rcond):
    """xGELSY: QR with column pivoting, the rank by incremental condition estimation, then
    the minimum-norm solution of the rank-r truncated system [R11 R12] P^T x = (Q^H b)[:r]
    (LAPACK's complete orthogonal factorization, here as a QR of [R11 R12]^H)."""
    k = min(a.shape[-2:])
    q, r, p = lax.linalg.qr(a, pivoting=True, full_matrices=False)
    rank = _gelsy_rank(r[..., :k], rcond)
    keep = (jnp.arange(k) < rank[..., None])[..., None]      # rows of R inside the rank
    qz, rz = jnp.linalg.qr(_mh(jnp.where(keep, r, 0)))
    # the zeroed rows leave zero columns in rz: a unit diagonal there, and zero right sides
    rz = jnp.where(jnp.eye(k, dtype=bool) & ~keep, 1, rz)
    y = qz @ _trsolve(_mh(rz), jnp.where(keep, _mh(q) @ b, 0), lower=True)
    undo = jnp.broadcast_to(jnp.argsort(p, axis=-1), y.shape[:-1])
    return jnp.take_along_axis(y, undo[..., None], axis=-2), rank


def _gels(a, b):
    """xGELS: QR (m >= n) or LQ (m < n) without pivoting; info: the first zero diagonal
    entry of the triangular factor (1-based), 0 if none. An all-zero A gives zeros."""
    m, n = a.shape[-2:]
    if m >= n:
        q, r = jnp.linalg.qr(a, mode="complete" if m > n else "reduced")
        c = _mh(q) @ b
        x = _trsolve(r[..., :n, :], c[..., :n, :], lower=False)
        res = (jnp.abs(c[..., n:, :]) ** 2).sum(-2)
    else:
        q, r = jnp.linalg.qr(_mh(a))
        x = q @ _trsolve(_mh(r), b, lower=True)
        res = None
    zero = (a == 0).all((-2, -1))
    diag = jnp.diagonal(r, axis1=-2, axis2=-1) == 0
    info = jnp.where(diag.any(-1) & ~zero, jnp.argmax(diag, -1) + 1, 0)
    x = jnp.where(zero[..., None, None], 0, x)
    if res is not None:
        res = jnp.where(zero[..., None], 0, res)
    return x, res, info


def _svd_rank(s, rcond, driver):
    """gelsd/gelss keep the singular values above a threshold relative to the largest."""
    f = np.finfo(s.dtype)
    if driver == "gelsd":  # xLALSD: eps (dlamch 'E') for rcond outside (0, 1)
        return s > (rcond if 0 < rcond < 1 else float(f.eps) / 2) * s[..., :1]
    # xGELSS: eps (dlamch 'P') for rcond < 0, and never below the safe minimum
    return s > jnp.maximum((rcond if rcond >= 0 else float(f.eps)) * s[..., :1], float(f.tiny))


def _gelss(a, b, rcond, driver):
    """xGELSD / xGELSS: the SVD, with singular values at or below the threshold dropped."""
    m, n = a.shape[-2:]
    u, s, vh = jnp.linalg.svd(a, full_matrices=m > n)
    keep = _svd_rank(s, rcond, driver)
    c = _mh(u) @ b
    k = s.shape[-1]
    x = _mh(vh[..., :k, :]) @ jnp.where(keep[..., None], c[..., :k, :] / s[..., None], 0)
    res = (jnp.abs(c[..., n:, :]) ** 2).sum(-2) if m > n else None
    return x, res, keep.sum(-1), s


@jax.custom_vjp
def _torch_gradient(a, b, x, res):
    """(x, res), differentiated as torch does for every driver: x as pinv(A) @ B, and the
    residuals as |A x - B|^2 with x held fixed (x minimises them)."""
    return x, res


def _pinv_solve(a, b):
    eps = float(np.finfo(a.dtype).eps)
    return jnp.linalg.pinv(a, rtol=eps * max(a.shape[-2:])) @ b


def _torch_gradient_bwd(saved, g):
    a, b, x = saved
    ga, gb = jax.vjp(_pinv_solve, a, b)[1](g[0])
    if g[1].size:
        def residuals(a, b):
            # torch's x is the solution output here: its value, differentiable (for second
            # derivatives) as pinv(A) @ B
            xp = _pinv_solve(a, b)
            return (jnp.abs(a @ (x + xp - lax.stop_gradient(xp)) - b) ** 2).sum(-2)
        da, db = jax.vjp(residuals, a, b)[1](g[1])
        ga, gb = ga + da, gb + db
    return ga, gb, jnp.zeros_like(x), jnp.zeros_like(g[1])


_torch_gradient.defvjp(lambda a, b, x, res: ((x, res), (a, b, x)), _torch_gradient_bwd)


def _lstsq_body(a, b, vector, rcond, driver, residuals):
    """(solution, residuals, rank, singular values, info) of the LAPACK driver."""
    if vector:
        b = b[..., None]
    m, n = a.shape[-2:]
    real = jnp.zeros((), a.dtype).real.dtype
    batch = a.shape[:-2]
    a0, b0 = lax.stop_gradient(a), lax.stop_gradient(b)
    rank, s = jnp.zeros((0,), jnp.int64), jnp.zeros((0,), real)
    info = jnp.zeros(batch, jnp.int32)
    if min(m, n) == 0:
        x = jnp.zeros(jnp.broadcast_shapes(batch, b.shape[:-2]) + (n, b.shape[-1]), a.dtype)
        res = (jnp.abs(jnp.broadcast_to(b0, x.shape[:-2] + b0.shape[-2:])) ** 2).sum(-2)
        if driver == "gels":  # xGELS zeroes B on this quick return, the others keep it
            res = jnp.zeros_like(res)
        else:
            rank = jnp.zeros(batch, jnp.int64)
        if driver in ("gelsd", "gelss"):
            s = jnp.zeros(batch + (0,), real)
    elif driver == "gelsy":
        x, rank = _gelsy(a0, b0, rcond)
    elif driver == "gels":
        x, res, info = _gels(a0, b0)
    else:
        x, res, rank, s = _gelss(a0, b0, rcond, driver)
    if not residuals:
        res = jnp.zeros((0,), real)
    x, res = _torch_gradient(a, b, x, res)
    return x[..., 0] if vector else x, res, rank.astype(jnp.int64), s, info


_lstsq = op("linalg_lstsq", "LinalgLstsqBackward0", nout=5)(_lstsq_body)
_lstsq_rank = op("linalg_lstsq_rank", None, dtypes="long")(
    lambda a, rcond, driver: _svd_rank(jnp.linalg.svd(a, compute_uv=False), rcond, driver).sum(-1))


def lstsq(A, B, rcond=None, *, driver=None):
    """torch.linalg.lstsq. 'gelsy' pivots columns as LAPACK documents; torch 2.13 passes
    xGELSY an uninitialised pivot array, so for rank-deficient A its rank and solution
    depend on that memory (batch elements after the first: no pivoting)."""
    name = "torch.linalg.lstsq"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"{name}: parameter `driver` should be one of (gels, gelsy, gelsd, "
                           "gelss)")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"{name}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {_SHORT[A.dtype.name]} and other's dtype "
                           f"{_SHORT[B.dtype.name]}")
    if not 0 <= A.ndim - B.ndim <= 1:
        raise RuntimeError(f"{name}: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if (B.shape[-1] if vector else B.shape[-2]) != A.shape[-2] or A.ndim != B.ndim + vector:
        raise RuntimeError(f"{name}: input.size(-2) should match other.size(-"
                           f"{1 if vector else 2})")
    if A.dtype.name not in ("float32", "float64", "complex64", "complex128"):
        raise RuntimeError("This function doesn't handle types other than float and double")
    m, n = A.shape[-2:]
    rc = float(rcond) if rcond is not None else float(np.finfo(A.dtype.np).eps) * max(m, n)
    statics = (("rcond", rc), ("driver", driver))
    # gelsd and gelss report residuals only when every matrix has full rank: a host read
    want_res = m > n and (driver == "gels" or driver != "gelsy" and (
        min(m, n) == 0 or bool(np.all(np.asarray(run(_lstsq_rank, (A,), statics)._data) == n))))
    x, res, rank, sv, info = run(_lstsq, (A, B), (("vector", vector),) + statics + (
        ("residuals", want_res),))
    if driver == "gels":
        _raise_info(info, name, lambda i: "The least squares solution could not be computed "
                    f"because the input matrix does not have full rank (error code: {i}).")
    return return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))(
        x, res, rank, sv.detach())


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
