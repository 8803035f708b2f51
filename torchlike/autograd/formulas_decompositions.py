"""torch's backward formulas for decompositions and solvers (derivatives.yaml and
FunctionsManual.cpp), in torchlike ops: slogdet, solve, the triangular and Cholesky solves,
cholesky, qr, svd / svdvals, eigh / eigvalsh, pinv, lstsq, matrix_exp and cross.

Under grad mode torch's formulas solve again with linalg.solve rather than reuse the LU
factors (so that the result is differentiable), and read the factors a decomposition returned
(a tensor of the forward node's name, here the op run again: `forward`). Multi-output ops
(slogdet, solve_ex, qr, svd, eigh, lstsq, triangular_solve) read every output's gradient.

The products torch composes of other ops and torchlike runs as one op (matrix_power,
multi_dot, kron, tensordot) are in formulas_composite_products, imported at the end.

Written for real operands: complex ones keep the generic path (the op's vjp as one node)."""
from __future__ import annotations

from ..ops._registry import OPS, run
from .formulas import all_real, formula, forward, mul_scalar, multi_formula


def _solve(a, b, left=True):
    from ..ops.decomp import solve
    return solve(a, b, left=left)


def _solve_triangular(a, b, upper, left=True, unitriangular=False):
    from ..ops.triangular import solve_triangular
    return solve_triangular(a, b, upper=upper, left=left, unitriangular=unitriangular)


def _real(grads, xs) -> bool:
    return all_real(*[g for g in grads if g is not None], *[x for x in xs if x is not None])


# ---- slogdet / solve -----------------------------------------------------------------------
def slogdet_backward(g, a):
    """torch's slogdet_backward under grad mode (real case): solve(A^H, diag_embed(g)^T), the
    diagonal expanded to the LU pivots' shape."""
    d = g.unsqueeze(-1).expand(*a.shape[:-1]).diag_embed().mT
    return _solve(a.mT, d)


@multi_formula("linalg_slogdet")
def _slogdet(grads, xs, st, diff):
    if not _real(grads, xs):
        return None
    g = grads[1]  # the sign's gradient is zero for real matrices
    return {0: None if g is None else slogdet_backward(g, xs[0])}


@multi_formula("linalg_solve_ex")
def _solve_ex(grads, xs, st, diff):
    """torch's linalg_solve_backward: gB = solve(A^H, gX), gA = -gB X^H (X^H gB for left=False),
    a vector right side as a column."""
    a = xs[0]
    g, vector, left = grads[0], st["vector"], st["left"]
    if g is None:
        return {}
    if not _real(grads, xs):
        return None
    g = g.unsqueeze(-1) if vector else g
    gb = _solve(a.mT, g, left)
    out = {1: (gb.squeeze(-1) if vector else gb) if 1 in diff else None}
    if 0 in diff:
        x = forward("linalg_solve_ex", xs, st)[0]
        xh = (x.unsqueeze(-1) if vector else x).mT
        out[0] = -(gb @ xh) if left else -(xh @ gb)
    return out


@formula("linalg_solve_triangular")
def _solve_triangular_formula(g, xs, st, diff):
    """torch: G_B = solve_triangular(A^H, g), G_A = -G_B X^H (X^H G_B) on A's triangle."""
    a = xs[0]
    if not _real([g], xs):
        return None
    upper, left, unit = st["upper"], st["left"], st["unitriangular"]
    gb = _solve_triangular(a.mT, g, not upper, left, unit)
    out = {1: gb if 1 in diff else None}
    if 0 in diff:
        xh = forward("linalg_solve_triangular", xs, st).mT
        ga = -(gb @ xh) if left else -(xh @ gb)
        out[0] = ga.triu(int(unit)) if upper else ga.tril(-int(unit))
    return out


@multi_formula("triangular_solve")
def _triangular_solve(grads, xs, st, diff):
    """torch's triangular_solve_backward: grad_b solves with A again (transposed), grad_A is
    -grad_b X^H on A's triangle, plus the cloned coefficient's gradient."""
    b, a = xs
    gx, gm = grads
    if not _real(grads, xs):
        return None
    upper, transpose, unit = st["upper"], st["transpose"], st["unit"]
    gb = ga = None
    if gx is not None:
        statics = (("upper", upper), ("transpose", not transpose), ("unit", unit))
        gb = run(OPS["triangular_solve"], (gx, a), statics)[0]
        if 1 in diff:
            x = forward("triangular_solve", xs, st)[0]
            ga = -(x @ gb.mT) if transpose else -(gb @ x.mT)
            ga = ga.triu(int(unit)) if upper else ga.tril(-int(unit))
    # an output without gradient counts as zeros (expanded, no graph)
    ga = a.new_zeros((1,)).expand(*a.shape) if ga is None else ga
    gb = b.new_zeros((1,)).expand(*b.shape) if gb is None else gb
    if gm is not None and 1 in diff:
        ga = ga.add(gm)
    return {0: gb, 1: ga}


@formula("cholesky_solve")
def _cholesky_solve(g, xs, st, diff):
    """torch's cholesky_solve_backward: grad_b solves again with the factor; the factor's is
    -(C + C^H) L (L (C + C^H) for upper) with C = grad_b X^H."""
    b, factor = xs
    if not _real([g], xs):
        return None
    upper = st["upper"]
    gb = run(OPS["cholesky_solve"], (g, factor), (("upper", upper),))
    out = {0: gb if 0 in diff else None}
    if 1 in diff:
        c = gb @ forward("cholesky_solve", xs, st).mT
        c = c + c.mT
        out[1] = -(factor @ c) if upper else -(c @ factor)
    return out


# ---- cholesky / qr ---------------------------------------------------------------------------
def cholesky_backward(g, upper, factor):
    """torch's cholesky_backward: L^-H Phi(L^H gL) L^-1, Phi the symmetrized lower part."""
    lo = factor.mT if upper else factor
    gl = g.mT if upper else g
    ga = (lo.mT @ gl).tril()
    ga = mul_scalar(ga + ga.tril(-1).mT, 0.5)
    ga = _solve_triangular(lo.mT, ga, upper=True, left=True)
    return _solve_triangular(lo, ga, upper=False, left=False)


@formula("linalg_cholesky_ex")
def _cholesky_ex(g, xs, st, diff):
    if not _real([g], xs):
        return None
    return {0: cholesky_backward(g, st["upper"], forward("linalg_cholesky_ex", xs, st)[0])}


@formula("cholesky")
def _cholesky(g, xs, st, diff):
    if not _real([g], xs):
        return None
    return {0: cholesky_backward(g, st["upper"], forward("cholesky", xs, st))}


@multi_formula("linalg_qr")
def _qr(grads, xs, st, diff):
    """torch's linalg_qr_backward (real case)."""
    mode = st["mode"]
    gq, gr = grads
    if mode == "r" or not _real(grads, xs):
        return None  # mode='r': the op's own backward raises torch's error
    q, r = forward("linalg_qr", xs, st)
    m, n = q.shape[-2], r.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                           "and nrows > ncols.")
    if gq is None and gr is None:
        return {}
    if gq is not None:
        ga = gr @ r.mT - q.mT @ gq if gr is not None else -(q.mT @ gq)
    else:
        ga = gr @ r.mT
    if m >= n:
        ga = ga.triu()
        ga = ga + ga.mT
        ga.diagonal(0, -2, -1).mul_(0.5)
        ga = q @ ga
        if gq is not None:
            ga = ga + gq
        return {0: _solve_triangular(r.mT, ga, upper=False, left=False)}
    ga = -ga
    ga = q @ (ga - ga.mT).tril()
    ga = _solve_triangular(r.narrow(-1, 0, m).mT, ga, upper=False, left=False)
    ga = _cat([ga, ga.new_zeros(tuple(ga.shape[:-1]) + (n - m,))], -1)
    return {0: ga + q @ gr if gr is not None else ga}


def _cat(ts, dim):
    from ..ops.combine import cat
    return cat(ts, dim)


# ---- svd / eigh ------------------------------------------------------------------------------
def _gaps(s):
    """torch's E: s_k - s_j off the diagonal, ones on it (filled in place)."""
    e = s.unsqueeze(-2) - s.unsqueeze(-1)
    e.diagonal(0, -2, -1).fill_(1)
    return e


def svd_backward(gu, gs, gvh, u, s, vh):
    """torch's svd_backward (real case)."""
    m, n = u.shape[-2], vh.shape[-1]
    if gu is None and gvh is None:  # svdvals: U diag(gS) Vh
        return u @ (gs.unsqueeze(-1) * vh) if m >= n else (u * gs.unsqueeze(-2)) @ vh
    uhgu = None if gu is None else _skew(u.mT @ gu)
    vhgv = None if gvh is None else _skew(vh @ gvh.mT)
    e = _gaps(s * s)
    if uhgu is not None and vhgv is not None:
        ga = (uhgu * s.unsqueeze(-2) + s.unsqueeze(-1) * vhgv) / e
    elif uhgu is not None:
        ga = (uhgu / e) * s.unsqueeze(-2)
    else:
        ga = s.unsqueeze(-1) * (vhgv / e)
    if gs is not None:
        ga = ga + gs.diag_embed()
    if m > n and gu is not None:
        ga = u @ ga
        gus = gu / s.unsqueeze(-2)
        ga = ga + gus - u @ (u.mT @ gus)
        return ga @ vh
    if m < n and gvh is not None:
        ga = ga @ vh
        sgvh = gvh / s.unsqueeze(-1)
        ga = ga + sgvh - (sgvh @ vh.mT) @ vh
        return u @ ga
    return u @ (ga @ vh) if m >= n else (u @ ga) @ vh


def _skew(x):
    return x - x.mT


@multi_formula("linalg_svd")
def _svd(grads, xs, st, diff):
    if not _real(grads, xs):
        return None
    if all(g is None for g in grads):
        return {}
    gu, gs, gvh = grads
    u, s, vh = forward("linalg_svd", xs, st)
    if st["full"]:  # torch differentiates the reduced factors
        k = s.shape[-1]
        gu = None if gu is None else gu.narrow(-1, 0, k)
        gvh = None if gvh is None else gvh.narrow(-2, 0, k)
        u, vh = u.narrow(-1, 0, k), vh.narrow(-2, 0, k)
    return {0: svd_backward(gu, gs, gvh, u, s, vh)}


@formula("linalg_svdvals")
def _svdvals(g, xs, st, diff):
    """torch's svdvals computes U and Vh too when A needs a gradient (one LinalgSvdBackward0
    node): its gradient is svd_backward's for S alone."""
    if not _real([g], xs):
        return None
    u, _, vh = run(OPS["linalg_svd"], tuple(xs), (("full", False),))
    return {0: svd_backward(None, g, None, u, None, vh)}


def eigh_backward(gl, gv, lam, v):
    """torch's linalg_eig_backward for Hermitian input (real case)."""
    if gv is None:
        return (v * gl.unsqueeze(-2)) @ v.mT
    vhgv = v.mT @ gv
    vhgv = mul_scalar(vhgv - vhgv.mT, 0.5)
    ga = vhgv.div_(_gaps(lam))
    if gl is not None:
        ga.diagonal(0, -2, -1).copy_(gl)
    return v @ (ga @ v.mT)


@multi_formula("linalg_eigh")
def _eigh(grads, xs, st, diff):
    if not _real(grads, xs):
        return None
    if all(g is None for g in grads):
        return {}
    lam, v = forward("linalg_eigh", xs, st)
    return {0: eigh_backward(grads[0], grads[1], lam, v)}


@formula("linalg_eigvalsh")
def _eigvalsh(g, xs, st, diff):
    """torch's eigvalsh computes the eigenvectors too when A needs a gradient (one
    LinalgEighBackward0 node): its gradient is V diag(g) V^H."""
    if not _real([g], xs):
        return None
    lam, v = run(OPS["linalg_eigh"], tuple(xs), tuple(st.items()))
    return {0: eigh_backward(g, None, lam, v)}


# ---- pinv / lstsq ----------------------------------------------------------------------------
def pinv_backward(g, p, a):
    """torch's pinv_backward (real case), ordered for the smaller products as torch is."""
    m, n = a.shape[-2:]
    ph, gh = p.mT, g.mT
    if m <= n:
        k = gh @ p
        kph = k @ ph
        return -(p @ k).mT + kph - (a @ p) @ kph + (ph @ p) @ (gh - k @ a)
    k = p @ gh
    phk = ph @ k
    return -(k @ p).mT + (gh - a @ k) @ p @ ph + phk - phk @ p @ a


@formula("linalg_pinv")
def _pinv(g, xs, st, diff):
    if not _real([g], xs):
        return None
    return {0: pinv_backward(g, forward("linalg_pinv", xs, st), xs[0])}


@multi_formula("linalg_lstsq")
def _lstsq(grads, xs, st, diff):
    """torch's linalg_lstsq_backward: the solution's gradient as pinv(A) B's, the residuals'
    as |A X - B|^2's with X held fixed."""
    from ..linalg import pinv
    a, b = xs
    gx, gl, vector = grads[0], grads[1], st["vector"]
    if not _real(grads, xs):
        return None
    gl = gl if gl is not None and gl.numel() else None
    if gx is None and gl is None:
        return {}
    b = b.unsqueeze(-1) if vector else b
    ga = gb = None
    if gx is not None:
        gx = gx.unsqueeze(-1) if vector else gx
        p = pinv(a)
        if 0 in diff:
            ga = pinv_backward(gx @ b.mT, p, a)
        if 1 in diff:
            gb = p.mT @ gx
            gb = gb.squeeze(-1) if vector else gb
    if gl is not None:
        x = forward("linalg_lstsq", xs, st)[0]
        x = x.unsqueeze(-1) if vector else x
        r = a @ x - b
        gl = gl.unsqueeze(-2)
        if 0 in diff:
            gal = mul_scalar((gl * r) @ x.mT, 2)
            ga = gal if ga is None else ga + gal
        if 1 in diff:
            gbl = mul_scalar(gl, -2) * r
            gbl = gbl.squeeze(-1) if vector else gbl
            gb = gbl if gb is None else gb + gbl
    return {0: ga, 1: gb}


# ---- matrix_exp / cross ----------------------------------------------------------------------
@formula("linalg_matrix_exp")
def _matrix_exp(g, xs, st, diff):
    """torch's linalg_matrix_exp_differential (adjoint): the upper right block of the exp of
    [[A^H, g], [0, A^H]], built by copies into a zero matrix."""
    if not _real([g], xs):
        return None
    a = xs[0].transpose(-2, -1)
    n = a.shape[-1]
    meta = g.new_zeros(tuple(a.shape[:-2]) + (2 * n, 2 * n))
    meta.narrow(-2, 0, n).narrow(-1, 0, n).copy_(a)
    meta.narrow(-2, n, n).narrow(-1, n, n).copy_(a)
    meta.narrow(-2, 0, n).narrow(-1, n, n).copy_(g)
    out = run(OPS["linalg_matrix_exp"], (meta,))
    return {0: out.narrow(-2, 0, n).narrow(-1, n, n)}


@formula("linalg_cross")
def _cross(g, xs, st, diff):
    """torch: self's gradient is cross(other, g), other's cross(g, self)."""
    a, b = xs
    if not _real([g], xs):
        return None
    statics = (("dim", st["dim"]),)
    return {0: run(OPS["linalg_cross"], (b, g), statics) if 0 in diff else None,
            1: run(OPS["linalg_cross"], (g, a), statics) if 1 in diff else None}


# the products torch composes of other ops (matrix_power, multi_dot, kron, tensordot)
from . import formulas_composite_products as formulas_composite_products  # noqa: E402
