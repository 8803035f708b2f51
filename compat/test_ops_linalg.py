"""Linear algebra against real torch: matmul in every rank combination (torch's grad_fn per
case), the mm/bmm/mv/dot/add* family, einsum/tensordot/kron/cross/trace, and torch.linalg
(decompositions compared through sign-invariant quantities), with torch's error texts."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import torchlike
from _helper import assert_same, check, check_raises

R = np.random.default_rng(2)
A = R.standard_normal((3, 3))
A2 = R.standard_normal((2, 3, 3))
T = R.standard_normal((4, 3))     # tall
W = R.standard_normal((3, 4))     # wide
SPD = A @ A.T + 3 * np.eye(3)


def r(*shape):
    return R.standard_normal(shape)


MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 2)),
    ((2, 2, 3), (3, 2)), ((2, 2, 3), (3,)), ((3,), (2, 3, 2)), ((2, 3), (2, 3, 2)),
    ((1, 3), (2, 3, 2)), ((2, 3), (2, 3, 1)), ((1, 2, 3), (2, 3, 2)), ((2, 2, 3), (1, 3, 2)),
    ((2, 1, 2, 3), (2, 3, 2)), ((2, 2, 3), (2, 3, 2)), ((2, 3), (0, 3, 2)),
]


@pytest.mark.parametrize("grads", ["both", "left", "right"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_ranks(shapes, grads):
    a, b = r(*shapes[0]), r(*shapes[1])
    if grads == "both":
        check(lambda L, x, y: x @ y, a, b)
        return

    def fn(L, x, y):
        x.requires_grad_(grads == "left")
        y.requires_grad_(grads == "right")
        return L.matmul(x, y)
    check(fn, a, b, grad=False)


def test_matmul_dtypes():
    for dt in (np.float32, np.int64):
        check(lambda L, x, y: (x @ y, x[0] @ y, x @ y[:, 0], L.mm(x, y)), W.astype(dt),
              T.astype(dt))
    check(lambda L, x, y: L.bmm(x, y), A2.astype(np.float32), A2.astype(np.float32))


CASES = {
    "mm": (lambda L, x, y: L.mm(x, y), W, T),
    "bmm": (lambda L, x: x.bmm(x), A2),
    "mv": (lambda L, x, v: x.mv(v), W, T[:, 0]),
    "dot": (lambda L, x: x[0].dot(x[1]), A),
    "vdot": (lambda L, x: L.vdot(x[0], x[1]), A),
    "inner": (lambda L, x, y: L.inner(x, y), T, A),
    "inner_1d": (lambda L, x: L.inner(x[0], x[1]), A),
    "inner_0d": (lambda L, x, s: L.inner(x, s), A, np.array(2.0)),
    "outer": (lambda L, x, y: L.outer(x[0], y[0]), T, W),
    "ger": (lambda L, x, y: x[0].ger(y[0]), T, W),
    "addmm": (lambda L, c, x, y: L.addmm(c, x, y, beta=0.5, alpha=2), A[:, :1], T[:3], W),
    "addmm_method": (lambda L, c, x, y: c.addmm(x, y), A, A, A),
    "addmv": (lambda L, c, x, v: L.addmv(c, x, v, alpha=-1), A[0], A, T[0]),
    "addbmm": (lambda L, c, x: L.addbmm(c, x, x), A, A2),
    "baddbmm": (lambda L, c, x: L.baddbmm(c, x, x, beta=2, alpha=3), A, A2),
    "addr": (lambda L, c, x: L.addr(c, x[0], x[1]), A, A),
    "chain_matmul": (lambda L, x: L.chain_matmul(x, x, x), A),
    "einsum_mm": (lambda L, x, y: L.einsum("ij,jk->ik", x, y), T, W),
    "einsum_transpose": (lambda L, x: L.einsum("ij->ji", x), T),
    "einsum_trace": (lambda L, x: L.einsum("ii", x), A),
    "einsum_diag": (lambda L, x: L.einsum("ii->i", x), A),
    "einsum_sum": (lambda L, x: L.einsum("ij->", x), T),
    "einsum_outer": (lambda L, x, y: L.einsum("i,j->ij", x[0], y[0]), A, T),
    "einsum_batch": (lambda L, x: L.einsum("bij,bjk->bik", x, x), A2),
    "einsum_ellipsis": (lambda L, x: L.einsum("...ij->...ji", x), A2),
    "einsum_list": (lambda L, x: L.einsum("i,i->", [x[0], x[1]]), A),
    "einsum_three": (lambda L, x: L.einsum("ij,jk,kl->il", x, x, x), A),
    "einsum_sublist": (lambda L, x, y: L.einsum(x, [0, 1], y, [1, 2], [0, 2]), T, W),
    "tensordot": (lambda L, x, y: L.tensordot(x, y, 1), T, W),
    "tensordot_lists": (lambda L, x, y: L.tensordot(x, y, ([0], [1])), T, W),
    "tensordot_0": (lambda L, x, y: L.tensordot(x[0], y[0], 0), T, W),
    "kron": (lambda L, x, y: L.kron(x[:2, :2], y[:2]), A, T),
    "kron_ndim": (lambda L, x, y: x[0].kron(y[:2]), A, T),
    "trace": (lambda L, x: x.trace(), T),
    "cross": (lambda L, x: L.cross(x, x.flip(0), dim=0), A),
    "cross_default_dim": (lambda L, x: L.cross(x, x.flip(1)), T),
    "linalg_cross": (lambda L, x: L.linalg.cross(x, x.flip(0)), A),
    "linalg_cross_bcast": (lambda L, x: L.linalg.cross(x, x[:1], dim=1), A),
    # decompositions and solvers
    "det": (lambda L, x: L.linalg.det(x), A),
    "det_batched": (lambda L, x: x.det(), A2),
    "slogdet": (lambda L, x: L.linalg.slogdet(x), A),
    "torch_slogdet": (lambda L, x: L.slogdet(x), A2),
    "logdet": (lambda L, x: L.logdet(x), SPD),
    "logdet_negative": (lambda L, x: L.logdet(x), -SPD, {"numeric": False}),  # nan
    "inv": (lambda L, x: L.linalg.inv(x), A),
    "inverse": (lambda L, x: x.inverse(), A2),
    "inv_ex": (lambda L, x: L.linalg.inv_ex(x), A),
    "solve": (lambda L, a, b: L.linalg.solve(a, b), A, T[:3]),
    "solve_vector": (lambda L, a, b: L.linalg.solve(a, b), A, T[0]),
    "solve_batched_vector": (lambda L, a, b: L.linalg.solve(a, b), A2, T[:2]),
    "solve_broadcast": (lambda L, a, b: L.linalg.solve(a, b), A2, T[None, :3]),
    "solve_right": (lambda L, a, b: L.linalg.solve(a, b, left=False), A, W[:2, :3]),
    "solve_ex": (lambda L, a, b: L.linalg.solve_ex(a, b), A, T[:3]),
    "cholesky": (lambda L, x: L.linalg.cholesky(x), SPD),
    "cholesky_upper": (lambda L, x: L.linalg.cholesky(x, upper=True), SPD),
    "cholesky_ex": (lambda L, x: L.linalg.cholesky_ex(x), SPD),
    "svdvals": (lambda L, x: L.linalg.svdvals(x), T),
    "svdvals_batched": (lambda L, x: L.linalg.svdvals(x), A2),
    "eigvalsh": (lambda L, x: L.linalg.eigvalsh(x), SPD),
    "pinv": (lambda L, x: L.linalg.pinv(x), T),
    # a cut-off singular value makes torch's pinv gradient differ from the numeric one
    "pinv_rtol": (lambda L, x: L.linalg.pinv(x, rtol=0.5), W, {"numeric": False}),
    "pinv_atol": (lambda L, x: L.linalg.pinv(x, atol=1.5), W, {"numeric": False}),
    "pinv_hermitian": (lambda L, x: L.linalg.pinv(x, hermitian=True), SPD),
    "pinverse": (lambda L, x: L.pinverse(x), W),
    "lstsq": (lambda L, a, b: L.linalg.lstsq(a, b), T, W.T[:, :2]),
    "lstsq_vector": (lambda L, a, b: L.linalg.lstsq(a, b).solution, T, W[0]),
    "lstsq_batched_gelss": (lambda L, a, b: L.linalg.lstsq(a, b, driver="gelss")[:2], A2,
                            A2[:, :, :2]),
    "matrix_rank": (lambda L, x: L.linalg.matrix_rank(x), T),
    "matrix_rank_tol": (lambda L, x: (L.linalg.matrix_rank(x, atol=1.0),
                                      L.linalg.matrix_rank(x, rtol=0.6)), A2),
    "matrix_rank_hermitian": (lambda L, x: L.linalg.matrix_rank(x, hermitian=True), SPD),
    "matrix_power_3": (lambda L, x: L.linalg.matrix_power(x, 3), A),
    "matrix_power_0": (lambda L, x: L.matrix_power(x, 0), A),
    "matrix_power_1": (lambda L, x: x.matrix_power(1), A),
    "matrix_power_-1": (lambda L, x: L.linalg.matrix_power(x, -1), A),
    "matrix_power_-2": (lambda L, x: L.linalg.matrix_power(x, -2), A),
    "matrix_power_batched": (lambda L, x: L.linalg.matrix_power(x, 2), A2),
    "matrix_exp": (lambda L, x: L.linalg.matrix_exp(x * 0.3), A),
    "multi_dot": (lambda L, x, y: L.linalg.multi_dot([x, y, x]), T, W),
    "multi_dot_vectors": (lambda L, x, y: L.linalg.multi_dot([x[0], y, x[:, 0]]), T, W),
    "linalg_matmul": (lambda L, x, y: L.linalg.matmul(x, y), T, W),
    "vecdot": (lambda L, x: L.linalg.vecdot(x, x.flip(0)), A),
    "vecdot_1d": (lambda L, x: L.linalg.vecdot(x[0], x[1]), A),
    "linalg_diagonal": (lambda L, x: L.linalg.diagonal(x, offset=1), A2),
    # norms
    "norm": (lambda L, x: L.linalg.norm(x), A),
    "norm_vector_ord": (lambda L, x: L.linalg.norm(x[0], 3), A),
    "norm_dim": (lambda L, x: L.linalg.norm(x, dim=1, keepdim=True), A),
    "norm_fro": (lambda L, x: L.linalg.norm(x, "fro"), T),
    "norm_nuc": (lambda L, x: L.linalg.norm(x, "nuc"), T),
    "norm_2": (lambda L, x: L.linalg.norm(x, 2), T),
    "norm_1": (lambda L, x: L.linalg.norm(x, 1), T),
    "norm_inf": (lambda L, x: L.linalg.norm(x, math.inf), T),
    "norm_dims": (lambda L, x: L.linalg.norm(x, -1, dim=(2, 0)), A2),
    "matrix_norm_-2": (lambda L, x: L.linalg.matrix_norm(x, -2), T),
    "matrix_norm_-inf_keep": (lambda L, x: L.linalg.matrix_norm(x, -math.inf, keepdim=True),
                              A2),
    "matrix_norm_nuc_keep": (lambda L, x: L.linalg.matrix_norm(x, "nuc", (0, 2), True), A2),
    "matrix_norm_2_keep": (lambda L, x: L.linalg.matrix_norm(x, 2, keepdim=True), A2),
    "vector_norm": (lambda L, x: L.linalg.vector_norm(x, 1, (0, 1)), A2),
    "torch_norm_nuc": (lambda L, x: L.norm(x, "nuc"), T),
}


@pytest.mark.parametrize("name", list(CASES))
def test_linalg_ops(name):
    fn, *inputs = CASES[name]
    opts = inputs.pop() if isinstance(inputs[-1], dict) else {}
    check(fn, *inputs, **opts)


def test_kron_promotes():
    check(lambda L, x, y: L.kron(x, y), XI := (A * 3).astype(np.int64), A.astype(np.float32))
    check(lambda L, x, y: L.outer(x[0], y[0]), XI, A)


def test_addmm_beta_zero_ignores_nan_input():
    check(lambda L, c, x: L.addmm(c * math.nan, x, x, beta=0), A, A, numeric=False)


@pytest.mark.parametrize("name", ["addmm_", "addmv_", "addbmm_", "baddbmm_", "addr_"])
def test_inplace_add_family(name):
    args = {"addmm_": lambda L, x: (x, x), "addmv_": lambda L, x: (x, x[0]),
            "addbmm_": lambda L, x: (L.stack([x, x]), L.stack([x, x])),
            "baddbmm_": lambda L, x: (x[None], x[None]), "addr_": lambda L, x: (x[0], x[1])}

    def fn(L, x):
        y = (x[0] if name == "addmv_" else x[None] if name == "baddbmm_" else x) * 1
        out = getattr(y, name)(*args[name](L, x), alpha=2)
        assert out is y
        return y
    check(fn, A)


# ---- decompositions: torch and LAPACK may pick other signs for vectors, so these compare
# values that do not depend on that choice (and gradients through them) --------------------
def _eigh(L, a, uplo="L"):
    w, v = L.linalg.eigh(a, uplo)
    return w, (v * w[..., None, :]) @ v.mT, v.abs()


def _svd(L, a, full=False):
    u, s, vh = L.linalg.svd(a, full_matrices=full)
    k = s.shape[-1]
    return s, (u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :], u.abs(), vh.abs()


def _qr(L, a, mode="reduced"):
    q, r_ = L.linalg.qr(a, mode)
    return q @ r_, q.abs(), r_.abs()


DECOMP = {
    "svd_tall": (_svd, T), "svd_wide": (_svd, W), "svd_batched": (_svd, A2),
    "svd_full_square": (lambda L, a: _svd(L, a, True), A),
    "torch_svd": (lambda L, a: [t.abs() for t in L.svd(a)], T),
    "qr_tall": (_qr, T), "qr_wide": (_qr, W),
    "qr_complete": (lambda L, a: _qr(L, a, "complete"), W),
    "torch_qr": (lambda L, a: [t.abs() for t in L.qr(a)], T),
    # the factors themselves where LAPACK's signs and torchlike's agree (QR: all shapes here;
    # SVD: square and wide, not tall - `test_torch_svd_signs`)
    "torch_qr_factors": (lambda L, a: L.qr(a), T),
    "torch_svd_factors": (lambda L, a: L.svd(a), A),
}


@pytest.mark.parametrize("name", list(DECOMP))
def test_decompositions(name):
    fn, *inputs = DECOMP[name]
    check(fn, *inputs)


@pytest.mark.parametrize("args", [(SPD,), (A, "U"), (A2,)], ids=["spd", "upper", "batched"])
def test_eigh(args):
    # torch's gradient is the Hermitian part of the full-matrix gradient (not the numeric
    # derivative through the one triangle LAPACK reads): compared with torch analytically
    check(lambda L, a: _eigh(L, a, *args[1:]), args[0], numeric=False)


def test_torch_qr_complete_and_svd_values_only():
    # complete Q of a tall matrix: torch has no derivative for it
    check(lambda L, a: L.qr(a, some=False), T, grad=False)
    check(lambda L, a: (L.svd(a, compute_uv=False), L.svd(a[:3].mT, some=False)), T,
          grad=False)


@pytest.mark.parametrize("some", [True, False])
def test_torch_svd_signs(some):
    """A tall matrix: LAPACK's singular vectors differ from torchlike's in sign (a free choice
    per pair of columns): torch's, with that choice made as torchlike's, value for value."""
    want = torch.svd(torch.from_numpy(T), some=some)
    got = torchlike.svd(torchlike.tensor(T), some=some)
    flip = np.sign((want.U.numpy() * np.asarray(got.U._data)).sum(0))
    k = want.V.shape[1]
    assert_same(want.U * torch.from_numpy(flip), got.U, "U")
    assert_same(want.S, got.S, "S")
    assert_same(want.V * torch.from_numpy(flip[:k]), got.V, "V")


def test_qr_mode_r():
    check(lambda L, a: L.linalg.qr(a, "r").R.abs(), T, grad=False)
    for L in (torch, torchlike):
        x = L.tensor(T, requires_grad=True)
        q, r_ = L.linalg.qr(x, mode="r")
        assert tuple(q.shape) == (0,)
        with pytest.raises(RuntimeError, match="not computed when mode='r'"):
            r_.sum().backward()


def test_return_types():
    for L in (torch, torchlike):
        res = L.linalg.slogdet(L.tensor(A))
        assert type(res).__name__ == "linalg_slogdet" and res.sign.item() in (-1.0, 1.0)
    assert repr(torchlike.linalg.eigh(torchlike.eye(2))).startswith(
        "torch.return_types.linalg_eigh(\neigenvalues=tensor([1., 1.]),")


SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])


@pytest.mark.parametrize("case", [
    (lambda L, a: L.linalg.inv(a), SINGULAR),
    (lambda L, a: L.inverse(a), np.stack([np.eye(2), SINGULAR])),
    (lambda L, a: L.linalg.solve(a, a[0]), SINGULAR),
    (lambda L, a: L.linalg.cholesky(a), -np.eye(2)),
    (lambda L, a: L.linalg.cholesky(a), np.array([[1.0, 2.0], [2.0, 1.0]])),
    (lambda L, a: L.linalg.cholesky(a), np.stack([np.eye(2), -np.eye(2)])),
    (lambda L, a: L.linalg.inv_ex(a, check_errors=True), SINGULAR),
    (lambda L, a: L.linalg.solve_ex(a, a[0], check_errors=True), SINGULAR),
    (lambda L, a: L.linalg.solve(a, a[:, 0]), np.stack([SINGULAR, np.eye(2)])),
    (lambda L, a: L.linalg.cholesky_ex(a, check_errors=True), -np.eye(2)),
], ids=["inv", "inverse_batched", "solve", "cholesky", "cholesky_order2", "cholesky_batched",
        "inv_ex_check", "solve_ex_check", "solve_batched", "cholesky_ex_check"])
def test_linalg_errors_singular(case):
    fn, a = case
    with pytest.raises(torch.linalg.LinAlgError) as want:
        fn(torch, torch.tensor(a))
    with pytest.raises(torchlike.linalg.LinAlgError) as got:
        fn(torchlike, torchlike.tensor(a))
    assert str(want.value) == str(got.value)
    assert issubclass(torchlike.linalg.LinAlgError, RuntimeError)


def test_ex_variants_report_info():
    check(lambda L, a: L.linalg.inv_ex(a).info, SINGULAR, grad=False)
    check(lambda L, a: L.linalg.cholesky_ex(a).info != 0, -np.eye(2), grad=False)


def _f(L, *shape):
    return L.ones(*shape, dtype=L.float64)


ERRORS = {
    "mm_shapes": lambda L: L.mm(_f(L, 2, 3), _f(L, 4, 5)),
    "mm_dtype": lambda L: L.mm(_f(L, 2, 3).float(), _f(L, 3, 2)),
    "mm_not_matrix": lambda L: L.mm(_f(L, 3), _f(L, 3, 3)),
    "mm_mat2": lambda L: L.mm(_f(L, 3, 3), _f(L, 3)),
    "mm_bool": lambda L: L.mm(_f(L, 2, 2).bool(), _f(L, 2, 2).bool()),
    "matmul_0d": lambda L: L.matmul(_f(L), _f(L, 3)),
    "matmul_1_1": lambda L: _f(L, 3) @ _f(L, 4),
    "matmul_2_1": lambda L: _f(L, 2, 3) @ _f(L, 4),
    "matmul_1_2": lambda L: _f(L, 3) @ _f(L, 4, 5),
    "matmul_3_2": lambda L: _f(L, 2, 2, 3) @ _f(L, 4, 5),
    "matmul_3_1": lambda L: _f(L, 2, 2, 3) @ _f(L, 4),
    "matmul_batched": lambda L: _f(L, 2, 2, 3) @ _f(L, 2, 4, 5),
    "matmul_batch_bcast": lambda L: _f(L, 2, 2, 3) @ _f(L, 3, 3, 5),
    "matmul_dtype": lambda L: _f(L, 2, 2, 3).float() @ _f(L, 3, 2),
    "matmul_bool": lambda L: _f(L, 2, 2, 3).bool() @ _f(L, 2, 3, 2).bool(),
    "bmm_2d": lambda L: L.bmm(_f(L, 2, 3), _f(L, 2, 3, 3)),
    "bmm_mat2": lambda L: L.bmm(_f(L, 2, 2, 3), _f(L, 3, 3)),
    "bmm_sizes": lambda L: L.bmm(_f(L, 2, 2, 3), _f(L, 3, 3, 3)),
    "bmm_dtype": lambda L: L.bmm(_f(L, 2, 2, 3), _f(L, 2, 3, 2).float()),
    "mv_vec": lambda L: L.mv(_f(L, 3), _f(L, 3)),
    "mv_dtype": lambda L: L.mv(_f(L, 2, 3).float(), _f(L, 3)),
    "matmul_dtype_3_1": lambda L: L.matmul(_f(L, 2, 2, 3), _f(L, 3).float()),
    "matmul_dtype_2_3": lambda L: L.matmul(_f(L, 2, 3), _f(L, 2, 3, 2).float()),
    "matmul_dtype_1_2": lambda L: L.matmul(_f(L, 3), _f(L, 3, 2).float()),
    "dot_dtype": lambda L: L.dot(_f(L, 3), _f(L, 3).float()),
    "dot_2d": lambda L: L.dot(_f(L, 3, 1), _f(L, 3)),
    "dot_bool": lambda L: L.dot(_f(L, 2).bool(), _f(L, 2).bool()),
    "vdot_size": lambda L: L.vdot(_f(L, 3), _f(L, 4)),
    "outer_2d": lambda L: L.outer(_f(L, 2, 2), _f(L, 2)),
    "addmm_shapes": lambda L: L.addmm(_f(L, 2, 2), _f(L, 2, 3), _f(L, 4, 2)),
    "addmm_self": lambda L: L.addmm(_f(L, 3, 3), _f(L, 2, 3), _f(L, 3, 2)),
    "addmm_dtype": lambda L: L.addmm(_f(L, 2, 2).float(), _f(L, 2, 3), _f(L, 3, 2)),
    "addmv_size": lambda L: L.addmv(_f(L, 3), _f(L, 2, 3), _f(L, 3)),
    "addmv_dtype": lambda L: L.addmv(_f(L, 2), _f(L, 2, 3), _f(L, 3).float()),
    "addbmm_sizes": lambda L: L.addbmm(_f(L, 2, 2), _f(L, 2, 2, 3), _f(L, 2, 4, 2)),
    "addbmm_batches": lambda L: L.addbmm(_f(L, 2, 2), _f(L, 2, 2, 3), _f(L, 3, 3, 2)),
    "addbmm_dtype": lambda L: L.addbmm(_f(L, 2, 2), _f(L, 2, 2, 3).float(), _f(L, 2, 3, 2)),
    "baddbmm_sizes": lambda L: L.baddbmm(_f(L, 2, 2, 2), _f(L, 2, 2, 3), _f(L, 3, 3, 2)),
    "baddbmm_dtype": lambda L: L.baddbmm(_f(L, 2, 2, 2), _f(L, 2, 2, 3).float(),
                                         _f(L, 2, 3, 2)),
    "addr_self": lambda L: L.addr(_f(L, 3, 3), _f(L, 2), _f(L, 2)),
    "einsum_size": lambda L: L.einsum("ij,jk->ik", _f(L, 2, 3), _f(L, 4, 2)),
    "einsum_fewer": lambda L: L.einsum("ij,jk", _f(L, 2, 3)),
    "einsum_more": lambda L: L.einsum("i", _f(L, 2), _f(L, 2)),
    "einsum_more_opt": lambda L: L.einsum("i,i", _f(L, 2), _f(L, 2), _f(L, 2)),
    "tensordot_size": lambda L: L.tensordot(_f(L, 2, 3), _f(L, 4, 2), 1),
    "tensordot_dtype": lambda L: L.tensordot(_f(L, 2, 3), _f(L, 3, 2).float(), 1),
    "inner_size": lambda L: L.inner(_f(L, 2, 3), _f(L, 2, 4)),
    "trace_3d": lambda L: L.trace(_f(L, 2, 2, 2)),
    "trace_bool": lambda L: L.trace(_f(L, 2, 2).bool()),
    "cross_no_3": lambda L: L.cross(_f(L, 2, 4), _f(L, 2, 4)),
    "cross_dim": lambda L: L.cross(_f(L, 3), _f(L, 4), dim=0),
    "linalg_cross_len": lambda L: L.linalg.cross(_f(L, 2, 4), _f(L, 2, 4)),
    "linalg_cross_ndim": lambda L: L.linalg.cross(_f(L, 3), _f(L, 2, 3)),
    "det_square": lambda L: L.linalg.det(_f(L, 2, 3)),
    "det_1d": lambda L: L.linalg.det(_f(L, 3)),
    "det_long": lambda L: L.det(L.ones(2, 2, dtype=L.long)),
    "slogdet_square": lambda L: L.linalg.slogdet(_f(L, 2, 3)),
    "logdet_square": lambda L: L.logdet(_f(L, 2, 3)),
    "inverse_square": lambda L: L.inverse(_f(L, 2, 3)),
    "inv_long": lambda L: L.linalg.inv(L.ones(2, 2, dtype=L.long)),
    "solve_shapes": lambda L: L.linalg.solve(_f(L, 2, 2), _f(L, 3)),
    "solve_dtype": lambda L: L.linalg.solve(_f(L, 2, 2), _f(L, 2, 2).float()),
    "solve_square": lambda L: L.linalg.solve(_f(L, 2, 3), _f(L, 2)),
    "cholesky_square": lambda L: L.linalg.cholesky(_f(L, 2, 3)),
    "eigh_square": lambda L: L.linalg.eigh(_f(L, 2, 3)),
    "eigh_uplo": lambda L: L.linalg.eigh(_f(L, 3, 3), "X"),
    "qr_mode": lambda L: L.linalg.qr(_f(L, 2, 3), mode="foo"),
    "qr_long": lambda L: L.linalg.qr(L.ones(2, 2, dtype=L.long)),
    "svd_1d": lambda L: L.linalg.svd(_f(L, 3)),
    "torch_svd_1d": lambda L: L.svd(_f(L, 3)),
    "torch_svd_long": lambda L: L.svd(L.ones(2, 2, dtype=L.long)),
    "torch_svd_half": lambda L: L.svd(L.ones(2, 2, dtype=L.half)),
    "torch_qr_1d": lambda L: L.qr(_f(L, 3)),
    "torch_qr_half": lambda L: L.qr(L.ones(2, 2, dtype=L.bfloat16)),
    "svdvals_long": lambda L: L.linalg.svdvals(L.ones(2, 2, dtype=L.long)),
    "pinv_1d": lambda L: L.linalg.pinv(_f(L, 3)),
    "matrix_rank_1d": lambda L: L.linalg.matrix_rank(_f(L, 3)),
    "matrix_power_square": lambda L: L.linalg.matrix_power(_f(L, 2, 3), 2),
    "matrix_exp_square": lambda L: L.linalg.matrix_exp(_f(L, 2, 3)),
    "lstsq_rows": lambda L: L.linalg.lstsq(_f(L, 3, 2), _f(L, 2, 1)),
    "lstsq_driver": lambda L: L.linalg.lstsq(_f(L, 3, 2), _f(L, 3, 1), driver="foo"),
    "multi_dot_one": lambda L: L.linalg.multi_dot([_f(L, 2, 3)]),
    "multi_dot_shapes": lambda L: L.linalg.multi_dot([_f(L, 2, 3), _f(L, 4, 2)]),
    "multi_dot_3d": lambda L: L.linalg.multi_dot([_f(L, 2, 3, 3), _f(L, 3, 2)]),
    "multi_dot_middle_1d": lambda L: L.linalg.multi_dot([_f(L, 2), _f(L, 2), _f(L, 2)]),
    "norm_nuc_dim": lambda L: L.linalg.norm(_f(L, 3, 3), "nuc", dim=0),
    "norm_3d_ord": lambda L: L.linalg.norm(_f(L, 2, 2, 2), "fro"),
    "norm_dims_len": lambda L: L.linalg.norm(_f(L, 2, 2, 2), dim=(0, 1, 2)),
    "matrix_norm_1d": lambda L: L.linalg.matrix_norm(_f(L, 3)),
    "matrix_norm_ord": lambda L: L.linalg.matrix_norm(_f(L, 3, 3), 3),
    "matrix_norm_name": lambda L: L.linalg.matrix_norm(_f(L, 3, 3), "foo"),
    "matrix_norm_dims": lambda L: L.linalg.matrix_norm(_f(L, 2, 2, 2), dim=(0, 1, 2)),
    "vector_norm_long": lambda L: L.linalg.vector_norm(L.ones(3, dtype=L.long)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_linalg_errors(name):
    t, tl = check_raises(ERRORS[name])
    assert t == tl


_TRI = np.tril(np.random.default_rng(11).standard_normal((3, 3))) + 3 * np.eye(3)
_FULL = _TRI + np.triu(np.random.default_rng(12).standard_normal((3, 3)), 1)  # junk above
_RHS = np.random.default_rng(13).standard_normal((2, 3, 2))
TRIANGULAR = {
    "solve_triangular_lower": lambda L, a, b: L.linalg.solve_triangular(a, b, upper=False),
    "solve_triangular_upper_right_unit": lambda L, a, b: L.linalg.solve_triangular(
        a.mT, b[0].t(), upper=True, left=False, unitriangular=True),
    "triangular_solve": lambda L, a, b: tuple(L.triangular_solve(b, a, upper=False)),
    "triangular_solve_transpose": lambda L, a, b: L.triangular_solve(
        b, a, upper=False, transpose=True).solution,
    "cholesky_inverse": lambda L, a, b: L.cholesky_inverse(a),
    "cholesky_inverse_upper": lambda L, a, b: L.cholesky_inverse(a.mT, upper=True),
    "cholesky_solve": lambda L, a, b: L.cholesky_solve(b, a),
    "cholesky_solve_upper": lambda L, a, b: b[0].cholesky_solve(a.mT, upper=True),
}


@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("matrix", ["triangular", "junk_above"])
@pytest.mark.parametrize("case", list(TRIANGULAR))
def test_triangular_solves(case, matrix, dtype):
    """Values, grad_fn names and gradients (torch's: through the factor's whole matrix for the
    Cholesky solves, its triangle for the triangular ones)."""
    a = (_TRI if matrix == "triangular" else _FULL).astype(dtype)
    check(TRIANGULAR[case], a, _RHS.astype(dtype), numeric=False)


def test_triangular_solve_errors():
    a, b = _TRI, _RHS
    check_raises(lambda L, a, b: L.linalg.solve_triangular(a, b[0, :2]), a, b)  # no upper=
    check_raises(lambda L, a, b: L.linalg.solve_triangular(a, b[0, :2], upper=True), a, b)
    check_raises(lambda L, a, b: L.linalg.solve_triangular(a[:2], b, upper=True), a, b)
    check_raises(lambda L, a, b: L.linalg.solve_triangular(a.int(), b.int(), upper=True), a, b)
    check_raises(lambda L, a, b: L.cholesky_inverse(a[:2]), a, b)


@pytest.mark.parametrize("mode,shape,raises", [("complete", (4, 2), True), ("r", (4, 2), True),
                                               ("complete", (2, 4), False),
                                               ("reduced", (4, 2), False)])
def test_qr_backward_by_mode(mode, shape, raises):
    """torch has no derivative of a tall complete QR (nor of mode='r'): backward raises."""
    def run(L):
        a = L.tensor(np.arange(8.0).reshape(shape) ** 1.5, requires_grad=True)
        q, r = L.linalg.qr(a, mode=mode)
        (r.sum() + (q.sum() if mode != "r" else 0)).backward()
        return a.grad
    if raises:
        check_raises(run)
    else:
        assert_same(run(torch), run(torchlike))


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 5, 3)])
def test_svd_full_matrices_backward(shape):
    """torch differentiates a full SVD through its reduced factors (the extra columns of U and
    rows of Vh, any basis of their subspace, take no gradient); losses here are
    sign-invariant."""
    A = np.random.default_rng(3).standard_normal(shape)

    def run(L):
        a = L.tensor(A, requires_grad=True)
        u, s, vh = L.linalg.svd(a, full_matrices=True)
        k = s.shape[-1]
        ((u[..., :k] * s.unsqueeze(-2)) @ vh[..., :k, :]).sin().sum().backward()
        return a.grad
    assert_same(run(torch), run(torchlike))
