"""Sorting and selection against real torch: sort, argsort, msort, topk, kthvalue,
searchsorted, bucketize (values, indices, dtypes, grad_fn names, gradients, errors)."""
import numpy as np
import pytest
import torch

import torchlike
from _helper import check, check_raises

R = np.random.default_rng(2)
X = R.uniform(-2, 2, (2, 3))                 # no ties
X3 = R.uniform(-2, 2, (2, 2, 3))
INTS = np.array([[3, -2, 5], [0, 7, -4]], np.int64)
BOOLS = np.array([[True, False, True], [False, False, True]])
TIES = np.array([2.0, 1.0, 2.0, 3.0, 1.0, 2.0])
NAN = np.array([1.0, np.nan, 3.0, -1.0, np.nan], np.float32)
INPUTS = {"f64": X, "f32": X.astype(np.float32), "i64": INTS, "bool": BOOLS}
# gradients (and grad_fn names) are checked on float64; float32 runs compare values only


@pytest.mark.parametrize("dt", sorted(INPUTS))
def test_sort_argsort(dt):
    check(lambda L, x: (x.sort(), L.sort(x, 0), x.sort(descending=True), L.sort(x, -1, True),
                        x.argsort(), L.argsort(x, 0, descending=True), L.msort(x),
                        x.sort(stable=True), x.sort(dim=0, stable=False),
                        x.argsort(stable=True)), INPUTS[dt], grad=dt == "f64")


def test_sort_stability_and_nan():
    check(lambda L, x: (x.sort(), x.sort(descending=True), x.sort(stable=True, descending=True),
                        x.argsort(), x.argsort(descending=True)), TIES)
    check(lambda L, x: (x.sort(), x.sort(descending=True), x.argsort()), NAN, grad=False)


def test_sort_3d_zero_dim_empty():
    check(lambda L, x: (x.sort(1), x.sort(-1, True), x.argsort(0), x.topk(2), x.kthvalue(1, 1)),
          X3)
    check(lambda L, x: (x.sort(), x.sort(0), x.argsort(), x.topk(1), x.kthvalue(1),
                        L.msort(x) if x.ndim else x.sort()[0]), np.array(1.5))
    check(lambda L, x: (x.sort(0), x.sort(1), x.argsort(0), x.topk(0, 0)), np.zeros((0, 3)))


@pytest.mark.parametrize("dt", ["f64", "f32", "i64"])
def test_topk(dt):
    check(lambda L, x: (x.topk(2), L.topk(x, 1, 0), x.topk(2, largest=False),
                        x.topk(3, -1, True, True), L.topk(x, 2, dim=0, largest=False),
                        x.topk(0)), INPUTS[dt], grad=dt == "f64")


def test_topk_unsorted_and_nan():
    # sorted=False leaves the order to the implementation: compare as sets
    check(lambda L, x: tuple(t.sort()[0] for t in x.topk(4, sorted=False)),
          R.uniform(-2, 2, (7,)), grad=False)
    check(lambda L, x: (x.topk(2), x.topk(2, largest=False)), NAN, grad=False)


@pytest.mark.parametrize("dt", ["f64", "f32", "i64"])
def test_kthvalue(dt):
    check(lambda L, x: (x.kthvalue(1), L.kthvalue(x, 3), x.kthvalue(2, 0), x.kthvalue(2, -1,
                                                                                      True)),
          INPUTS[dt], grad=dt == "f64")


def test_kthvalue_nan():
    check(lambda L, x: (x.kthvalue(5), x.kthvalue(3), x.kthvalue(1)), NAN, grad=False)


def test_searchsorted():
    seq = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    vals = np.array([[2.0, 3.5, 0.0], [9.0, 1.0, 5.0]])
    check(lambda L, s, v: (L.searchsorted(s, v), L.searchsorted(s, v, right=True),
                           L.searchsorted(s, v, side="right"), L.searchsorted(s, v,
                                                                              out_int32=True),
                           L.searchsorted(s, 2.0), L.searchsorted(s, 2, right=True),
                           L.bucketize(v, s), L.bucketize(v, s, right=True),
                           L.bucketize(2.0, s), L.bucketize(v, s, out_int32=True)),
          seq, vals, grad=False)


def test_searchsorted_batched_sorter_and_dtypes():
    check(lambda L, s, v: (L.searchsorted(s, v), L.searchsorted(s, v, side="right")),
          np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]), np.array([[2.0, 5.0], [6.0, 0.0]]),
          grad=False)
    check(lambda L, s, v, o: L.searchsorted(s, v, sorter=o), np.array([3.0, 1.0, 2.0]),
          np.array([2.0, 2.5]), np.array([1, 2, 0], np.int64), grad=False)
    check(lambda L, s, v: (L.searchsorted(s, v), L.bucketize(v, s)),
          np.array([1, 2, 2, 3], np.int64), np.array([2.5, 2.0, -1.0]), grad=False)
    check(lambda L, s, v: L.searchsorted(s, v), np.array([1.0, 2.0, 2.0, 3.0]),
          np.array([2, 7], np.int64), grad=False)
    check(lambda L, s, v: L.searchsorted(s, v), np.array([1.0, np.nan]),
          np.array([np.nan, 2.0, np.inf]), grad=False)


# ---- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", ["x.sort(2)", "x.argsort(-3)", "x.topk(1, 2)",
                                  "x.kthvalue(1, 2)"])
def test_bad_dim(expr):
    want, got = check_raises(lambda L, x: eval(expr, {"x": x, "L": L}), X)
    assert got == want


@pytest.mark.parametrize("expr", [
    "x.topk(4)", "x.topk(-1)", "b.topk(1)", "x.kthvalue(4)", "x.kthvalue(0)",
    "e.topk(1, 0)", "e.kthvalue(1, 0)", "b.kthvalue(1)",
    "L.searchsorted(s, x, right=True, side='left')", "L.searchsorted(s, x, side='middle')",
    "L.searchsorted(x, s)", "L.bucketize(s, x)",
])
def test_errors_wording(expr):
    def f(L, x, b, e, s):
        return eval(expr, {"L": L, "x": x, "b": b, "e": e, "s": s})
    want, got = check_raises(f, X, BOOLS, np.zeros((0, 3)), np.array([1.0, 2.0, 3.0]))
    assert got == want, (got, want)


def test_surface():
    for n in ("sort", "argsort", "msort", "topk", "kthvalue"):
        assert hasattr(torchlike, n) and hasattr(torchlike.Tensor, n)
    for n in ("searchsorted", "bucketize"):
        assert hasattr(torchlike, n)
        assert hasattr(torch.Tensor, n) == hasattr(torchlike.Tensor, n)


def test_out_argument():
    def f(L, x):
        v, i = L.empty(2, 3), L.empty(2, 3, dtype=L.int64)
        r = L.sort(x, 1, out=(v, i))
        t = L.topk(x, 2, out=(L.empty(0), L.empty(0, dtype=L.int64)))
        s = L.searchsorted(L.tensor([0.0, 1.0]), x, out=L.empty(2, 3, dtype=L.int64))
        return r.values is v, v, i, t, s
    check(f, X.astype(np.float32), grad=False)
