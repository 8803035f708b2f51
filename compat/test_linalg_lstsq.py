"""torch.linalg.lstsq against real torch, driver by driver: solution, residuals, rank and
singular values (values, dtypes, shapes), for well-conditioned, exactly rank-deficient and
near-singular A, batched and broadcast A/B, vector B, rcond given or not, the gradients, and
torch's errors. torch 2.13 hands xGELSY an uninitialised pivot array (see `lstsq`'s
docstring), so where column pivoting decides gelsy's rank the tests use inputs whose pivoted
and unpivoted QR agree, and compare structured inputs with LAPACK itself (scipy's gelsy)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

import torchlike
from _helper import assert_same, check, check_raises

R = np.random.default_rng(7)
DRIVERS = ["gels", "gelsy", "gelsd", "gelss"]
SHAPES = [(6, 4), (4, 6), (5, 5), (7, 1), (1, 3)]
FIELDS = ("solution", "residuals", "rank", "singular_values")


def _rand(shape, dtype=np.float64):
    x = R.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * R.standard_normal(shape)
    return x.astype(dtype)


def _thin(m, n, r, dtype=np.float64, batch=()):
    """An exactly rank-r m x n matrix: a product of thin factors."""
    return (_rand(batch + (m, r), dtype) @ _rand(batch + (r, n), dtype)).astype(dtype)


def _graded(m, n, s, dtype=np.float64):
    """U diag(s) V^H with random orthogonal U, V: prescribed singular values."""
    u = np.linalg.qr(R.standard_normal((m, m)))[0][:, :len(s)]
    v = np.linalg.qr(R.standard_normal((n, n)))[0][:len(s)]
    return ((u * np.asarray(s)) @ v).astype(dtype)


def _torch(A, B, **kw):
    return torch.linalg.lstsq(torch.from_numpy(A.copy()), torch.from_numpy(B.copy()), **kw)


def _both(A, B, **kw):
    return _torch(A, B, **kw), torchlike.linalg.lstsq(torchlike.tensor(A), torchlike.tensor(B),
                                                      **kw)


# The error bound of a solution, relative to its largest entry: FACTOR * eps * cond, cond the
# condition number of the part of A the solver keeps (s_1 / s_rank). Measured: at most 10 eps *
# cond (gelsd, complex128) over these cases and 40 random draws per driver, dtype and shape.
FACTOR = 32


def _conditions(A, rank, qr_based):
    """(cond, gap) over the matrices of A: cond = s_1 / s_rank, after scaling the columns to
    unit norm for the QR-based drivers (their errors do not grow with column scaling: graded
    columns keep them at eps); gap = s_(rank+1) / s_rank, what a truncated QR may differ by from
    a truncated SVD (the part it cuts, over the part it keeps)."""
    if A.size == 0:
        return 1.0, 0.0
    mats = A.reshape((-1,) + A.shape[-2:])
    ranks = np.broadcast_to(np.asarray(rank).reshape(-1), (len(mats),))
    cond, gap = 1.0, 0.0
    for a, r in zip(mats, ranks):
        if qr_based:
            norms = np.linalg.norm(a, axis=0)
            a = a / np.where(norms == 0, 1, norms)
        s = np.linalg.svd(a, compute_uv=False)
        if r > 0 and s[r - 1] > 0:
            cond = max(cond, s[0] / s[r - 1])
            gap = max(gap, s[r] / s[r - 1] if r < len(s) else 0.0)
    return float(cond), float(gap)


def _compare(A, B, cond=None, **kw):
    """Every output through the helper: dtype, shape, rank exactly, solution and residuals
    within FACTOR * eps * cond of their largest entry, singular values within FACTOR * eps * s_1
    (Weyl: their error does not grow with the condition). `cond` replaces the computed one.

    For rank-deficient A, torch 2.13's gelsy factors with the pivots its uninitialised array
    happens to hold (see the module docstring): its solution is then off by up to 1e3 eps *
    cond (measured), and truncating with other pivots it may even find another rank. So gelsy
    is compared there with what is defined, the minimum-norm solution of the truncated problem
    (torch's gelsd, rank and solution), allowing FACTOR times what a truncated QR differs by
    from a truncated SVD (gap; measured: 7 times)."""
    want, got = _both(A, B, **kw)
    driver = kw.get("driver") or "gelsy"
    m, n = A.shape[-2:]
    eps = float(np.finfo(A.dtype).eps)
    rank = want.rank.numpy() if want.rank.numel() else min(m, n)
    ref = want
    if driver == "gelsy" and min(m, n):
        ref = _torch(A, B, **{**kw, "driver": "gelsd"})
        if (ref.rank.numpy() < min(m, n)).any() or (want.rank.numpy() < min(m, n)).any():
            rank = ref.rank.numpy()
        else:
            ref = want
    c, g = _conditions(A, rank, qr_based=driver in ("gels", "gelsy") and ref is want)
    cond = c if cond is None else cond
    gap = g if ref is not want else 0.0
    for name in FIELDS:
        w, gt = getattr(ref if name in ("solution", "rank") else want, name), getattr(got, name)
        if name == "rank":
            assert_same(w, gt, name)
            continue
        bound = FACTOR * eps * (1.0 if name == "singular_values" else cond) + FACTOR * gap
        top = float(np.abs(w.numpy()).max()) if w.numel() else 0.0
        assert_same(w, gt, name, rtol=0, atol=bound * max(1.0, top), scale=1.0)
    return want, got


# ---- values ---------------------------------------------------------------------------------
# every shape in float64; the other dtypes (the same code, other LAPACK routines in torch) on
# a tall and a wide shape: a compile costs up to a second (gelsy), so no full cross product
DTYPE_CASES = [(shape, np.float64) for shape in SHAPES] + [
    (shape, dt) for dt in (np.float32, np.complex128, np.complex64) for shape in SHAPES[:2]]


@pytest.mark.parametrize("shape,dtype", DTYPE_CASES, ids=str)
@pytest.mark.parametrize("driver", DRIVERS)
def test_well_conditioned(driver, shape, dtype):
    m, n = shape
    A = _rand(shape, dtype)
    _compare(A, _rand((m, 3), dtype), driver=driver)
    _compare(A, _rand((m,), dtype), driver=driver)


def test_default_driver_is_gelsy():
    want, got = _compare(_rand((6, 4)), _rand((6, 2)))
    assert got.residuals.shape == (0,) and got.singular_values.shape == (0,)


RANKS = [((6, 4), 2), ((4, 6), 2), ((5, 5), 3), ((8, 5), 1), ((3, 7), 1)]


@pytest.mark.parametrize("shape,r,dtype", [(*c, np.float64) for c in RANKS] + [
    (*c, dt) for dt in (np.float32, np.complex128) for c in RANKS[:2]], ids=str)
@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gelss"])
def test_rank_deficient(driver, shape, r, dtype):
    """Products of thin factors: the rank is found, and the minimum-norm solution of the
    truncated problem is unique (no residuals: the rank is not full)."""
    m, n = shape
    A = _thin(m, n, r, dtype)
    want, got = _compare(A, _rand((m, 2), dtype), driver=driver)
    assert int(got.rank) == r


@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("s,rcond", [([1, 1e-2, 1e-9], None), ([1, 1e-2, 1e-9], 1e-5),
                                     ([1, 1e-3, 1e-6, 1e-13], 1e-8),
                                     ([1, 0.5, 1e-11, 1e-18], None)], ids=str)
def test_near_singular(driver, s, rcond):
    """Graded singular values, cut or kept by rcond: the error bound grows with the condition
    of the kept part (up to 1e11 here) and, where gelsy cuts, gelsy is compared with the
    truncated SVD's solution (`_compare`)."""
    _compare(_graded(7, len(s), s), _rand((7, 2)), rcond=rcond, driver=driver)


def _gelsy_unpivoted_torch(A, B, rcond):
    """torch's gelsy on the second matrix of a batch, which it factors without pivoting (its
    pivot array then holds the first matrix's permutation): deterministic where LAPACK's
    pivoted QR keeps the column order."""
    assert (scipy.linalg.qr(A, pivoting=True)[2] == np.arange(A.shape[1])).all()
    r = torch.linalg.lstsq(torch.from_numpy(np.stack([A, A])), torch.from_numpy(
        np.stack([B, B])), rcond=rcond)
    return r.solution[1], r.rank[1]


def _check_gelsy_truncation(A, B, rcond):
    """torchlike's gelsy against LAPACK (scipy) and torch's unpivoted path: the same rank, the
    solution within FACTOR * eps * cond of the kept columns (scaled: QR's error does not grow
    with column scaling; measured: at most 3 eps * cond)."""
    got = torchlike.linalg.lstsq(torchlike.tensor(A), torchlike.tensor(B), rcond=rcond)
    x, _, rank, _ = scipy.linalg.lstsq(A, B, cond=rcond, lapack_driver="gelsy")
    bound = FACTOR * np.finfo(A.dtype).eps * _conditions(A, rank, qr_based=True)[0]
    assert_same(int(rank), int(got.rank), "rank against LAPACK")
    assert_same(x, np.asarray(got.solution._data), "solution against LAPACK", rtol=0,
                atol=bound * np.abs(x).max())
    tx, trank = _gelsy_unpivoted_torch(A, B, rcond)
    assert_same(trank, got.rank, "rank")
    assert_same(tx, got.solution, "solution", rtol=0, atol=bound * float(tx.abs().max()),
                scale=1.0)
    return rank


@pytest.mark.parametrize("seed", range(4))
def test_graded_columns_gelsy(seed):
    """Columns scaled 1, 1e-4, 1e-8, 1e-12: xGELSY's rank for rcond between the scales."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((6, 4)) * np.array([1, 1e-4, 1e-8, 1e-12])
    B = rng.standard_normal((6, 2))
    for rcond, rank in [(1e-6, 2), (1e-10, 3), (6e-16, 4)]:
        assert _check_gelsy_truncation(A, B, rcond) == rank
    _compare(A, B)  # full rank: unique solution, whatever torch's pivots


def _kahan(n=30, theta=1.2):
    s, c = np.sin(theta), np.cos(theta)
    K = np.diag(s ** np.arange(n)) @ (np.triu(-c * np.ones((n, n)), 1) + np.eye(n))
    return K @ np.diag(1 - 1e-10 * np.arange(n))  # QR with pivoting keeps the order


@pytest.mark.parametrize("rcond,rank", [(1e-5, 30), (3e-5, 29), (1e-4, 26), (1e-3, 20),
                                        (1e-2, 14)])
def test_gelsy_rank_is_incremental_condition_estimation(rcond, rank):
    """The Kahan matrix: xGELSY's estimate of the condition number of R's leading blocks is
    not the SVD's (which keeps 29 singular values above 1e-5 * s_max, for every rcond here)."""
    K = _kahan()
    s = np.linalg.svd(K, compute_uv=False)
    assert (s > 1e-5 * s[0]).sum() == 29 and (s > 1e-2 * s[0]).sum() == 29
    assert _check_gelsy_truncation(K, np.ones((30, 1)), rcond) == rank


@pytest.mark.parametrize("make", ["zero_column", "duplicate_columns", "zero_first_row"])
def test_gelsy_pivots_like_lapack(make):
    """Where the pivot order decides gelsy's result, torchlike pivots as LAPACK documents
    (scipy passes xGELSY a zeroed pivot array; torch passes uninitialised memory)."""
    A = _rand((6, 4))
    if make == "zero_column":
        A[:, 0] = 0
    elif make == "duplicate_columns":
        A[:, 2] = A[:, 1]
    else:
        A[0] = 0
        A[:, 1] = 0
    B = _rand((6, 2))
    x, _, rank, _ = scipy.linalg.lstsq(A, B, lapack_driver="gelsy")
    got = torchlike.linalg.lstsq(torchlike.tensor(A), torchlike.tensor(B))
    assert int(got.rank) == rank
    np.testing.assert_allclose(np.asarray(got.solution._data), x, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("driver", ["gelsd", "gelss", "gelsy"])
@pytest.mark.parametrize("rcond", [0.0, -1.0, 1e-20, 0.5, 1.0, 2.0])
def test_rcond_thresholds(driver, rcond):
    """Exact singular values 1, 1.6e-16, 3e-17: gelsd reads rcond outside (0, 1) as eps/2,
    gelss reads rcond < 0 as eps and keeps nothing for rcond >= 1; gelsy compares
    smallest and largest estimates with rcond as given."""
    D = np.zeros((5, 3))
    D[0, 0], D[1, 1], D[2, 2] = 1.0, 1.6e-16, 3e-17
    if driver == "gelsy":  # which column torch's gelsy takes first is random
        _check_gelsy_truncation(D, _rand((5, 2)), rcond)
    else:  # a diagonal A: the SVD is exact, the solution exact quotients (measured: 0 error)
        _compare(D, _rand((5, 2)), cond=1.0, rcond=rcond, driver=driver)


@pytest.mark.parametrize("driver", DRIVERS)
def test_zero_matrix(driver):
    _compare(np.zeros((5, 3)), _rand((5, 2)), driver=driver)


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("shape,bshape", [((0, 3), (0, 2)), ((4, 0), (4, 2))], ids=str)
def test_empty(driver, shape, bshape):
    _compare(np.zeros(shape), _rand(bshape), driver=driver)


# ---- batches and broadcasting ----------------------------------------------------------------
@pytest.mark.parametrize("driver", DRIVERS)
def test_batched_full_rank(driver):
    _compare(_rand((3, 6, 4)), _rand((3, 6, 2)), driver=driver)
    _compare(_rand((2, 2, 4, 6), np.float32), _rand((2, 2, 4, 2), np.float32), driver=driver)


@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gelss"])
def test_batched_mixed_rank(driver):
    """One rank-deficient matrix in the batch: no residuals for gelsd/gelss (torch computes
    them only when every matrix has full rank), a rank per matrix."""
    A = _rand((3, 6, 4))
    A[1] = _thin(6, 4, 2)
    want, got = _compare(A, _rand((3, 6, 2)), driver=driver)
    assert got.rank.tolist() == [4, 2, 4]


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("ashape,bshape", [((1, 6, 4), (3, 6, 2)), ((3, 6, 4), (1, 6, 2)),
                                           ((3, 6, 4), (3, 6)), ((2, 4, 6), (2, 4)),
                                           ((6, 4), (6,))], ids=str)
def test_broadcast_and_vector(driver, ashape, bshape):
    """Solution and residuals take the broadcast batch; rank and singular values A's."""
    _compare(_rand(ashape), _rand(bshape), driver=driver)


# ---- autograd ---------------------------------------------------------------------------------
@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("shapes", [((4, 3), (4, 2)), ((3, 4), (3,)), ((2, 4, 3), (2, 4, 2))],
                         ids=str)
def test_gradients(driver, shapes):
    """grad_fn LinalgLstsqBackward0 on solution and residuals, none on rank and singular
    values; the gradient is pinv(A) @ B's (residuals contribute none, as in torch)."""
    a, b = _rand(shapes[0]), _rand(shapes[1])
    check(lambda L, x, y: tuple(L.linalg.lstsq(x, y, driver=driver)), a, b, numeric=False)
    check(lambda L, x, y: L.linalg.lstsq(x, y, driver=driver).solution, a, b)


@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gelss"])
def test_gradients_rank_deficient(driver):
    """torch differentiates pinv(A) @ B with pinv's default cutoff, whatever the driver."""
    check(lambda L, x, y: L.linalg.lstsq(x, y, driver=driver).solution, _thin(5, 4, 2),
          _rand((5, 2)), numeric=False)
    if driver != "gelsy":  # (gelsy's truncated solution depends on torch's random pivots)
        check(lambda L, x, y: L.linalg.lstsq(x, y, rcond=0.5, driver=driver).solution,
              _graded(5, 3, [1, 0.1, 0.01]), _rand((5, 2)), numeric=False)


@pytest.mark.parametrize("driver", DRIVERS)
def test_double_backward(driver):
    """Second derivatives: torch differentiates its backward formula again (the residual
    term's x is the solution output, itself differentiable)."""
    a, b = _rand((5, 3)), _rand((5, 2))
    grads = []
    for L in (torch, torchlike):
        x, y = L.tensor(a, requires_grad=True), L.tensor(b, requires_grad=True)
        r = L.linalg.lstsq(x, y, driver=driver)
        loss = (r.solution ** 2).sum() + r.residuals.sum()
        (g,) = L.autograd.grad(loss, x, create_graph=True)
        grads.append([t.detach() for t in L.autograd.grad((g ** 2).sum(), (x, y))])
    for w, g in zip(*grads):
        np.testing.assert_allclose(np.asarray(g._data), w.numpy(), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_gradients_float32_complex(dtype):
    a, b = _rand((5, 3), dtype), _rand((5, 2), dtype)
    ta, tb = (torch.from_numpy(x.copy()).requires_grad_() for x in (a, b))
    la, lb = (torchlike.tensor(x).requires_grad_() for x in (a, b))
    (torch.linalg.lstsq(ta, tb, driver="gelsd")[:2][0].abs().sum() +
     torch.linalg.lstsq(ta, tb, driver="gelsd").residuals.sum()).backward()
    (torchlike.linalg.lstsq(la, lb, driver="gelsd")[:2][0].abs().sum() +
     torchlike.linalg.lstsq(la, lb, driver="gelsd").residuals.sum()).backward()
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for t, lt in ((ta, la), (tb, lb)):
        np.testing.assert_allclose(np.asarray(lt.grad._data), t.grad.numpy(), rtol=tol, atol=tol)


def test_jit_cache_reused():
    """Different values of the same shape reuse one compiled kernel: the rank is computed
    inside it, not read back (only gels' error check and gelsd/gelss' residuals read)."""
    from torchlike.ops._registry import _kernels
    A = torchlike.tensor(_rand((6, 4)))
    torchlike.linalg.lstsq(A, torchlike.tensor(_rand((6, 2))))
    n = len(_kernels)
    torchlike.linalg.lstsq(torchlike.tensor(_thin(6, 4, 2)), torchlike.tensor(_rand((6, 2))))
    assert len(_kernels) == n


# ---- errors -----------------------------------------------------------------------------------
ERRORS = {
    "1d": (lambda L: L.linalg.lstsq(L.ones(5), L.ones(5))),
    "driver": (lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(5, 2), driver="foo")),
    "dtypes": (lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(5, 2, dtype=L.float64))),
    "dims": (lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(2, 5, 2))),
    "dims_vector": (lambda L: L.linalg.lstsq(L.ones(2, 5, 3), L.ones(5))),
    "rows": (lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(4, 2))),
    "rows_vector": (lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(4))),
    "rows_batch": (lambda L: L.linalg.lstsq(L.ones(1, 5, 3), L.ones(2, 5))),
    "int": (lambda L: L.linalg.lstsq(L.ones(5, 3, dtype=L.int32),
                                     L.ones(5, 2, dtype=L.int32))),
    "half": (lambda L: L.linalg.lstsq(L.ones(5, 3, dtype=L.float16),
                                      L.ones(5, 2, dtype=L.float16))),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors(name):
    t, tl = check_raises(ERRORS[name])
    assert t == tl


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 6, 4)], ids=str)
def test_gels_rank_deficient_raises(shape):
    """gels assumes full rank: an exactly zero diagonal entry of R (or L) is LAPACK's info,
    raised as LinAlgError (for a batch, naming the first failing matrix)."""
    A, B = _rand(shape), _rand(shape[:-1] + (2,))
    if shape == (4, 6):
        A[2] = 0
    elif len(shape) == 2:
        A[:, 1] = 0
    else:
        A[1, :, 2] = 0
    with pytest.raises(torch.linalg.LinAlgError) as want:
        torch.linalg.lstsq(torch.from_numpy(A), torch.from_numpy(B), driver="gels")
    with pytest.raises(torchlike.linalg.LinAlgError) as got:
        torchlike.linalg.lstsq(torchlike.tensor(A), torchlike.tensor(B), driver="gels")
    assert str(want.value) == str(got.value)
