"""Reductions, scans and order statistics against real torch: values, dtypes, result types,
grad_fn names, gradients (float64 also numerically), and torch's errors."""
import warnings

import numpy as np
import pytest
import torch

import torchlike
from _helper import check, check_raises

R = np.random.default_rng(1)
X = R.uniform(-2, 2, (2, 3))                          # float64, no ties
X3 = R.uniform(-2, 2, (2, 3, 2))
POS = R.uniform(0.3, 2, (2, 3))
INTS = np.array([[3, -2, 5], [0, 7, -4]], np.int64)
BOOLS = np.array([[True, False, True], [False, False, True]])
NAN = np.array([[1.0, np.nan, 3.0, -1.0], [np.nan, 2.0, 2.5, 0.5]], np.float32)
TIES = np.array([2.0, 1.0, 2.0, 3.0, 1.0, 3.0])
INPUTS = {"f64": X, "f32": X.astype(np.float32), "i64": INTS, "bool": BOOLS}
# gradients (and grad_fn names) are checked on float64; float32 runs compare values only


# ---- sum / mean / prod / nansum / nanmean ------------------------------------------------
@pytest.mark.parametrize("dt", sorted(INPUTS))
def test_sum_prod_dims(dt):
    check(lambda L, x: (x.sum(), L.sum(x, 0), x.sum(-1, keepdim=True), x.sum((0, 1)),
                        x.sum(()), x.prod(), L.prod(x, 1), x.prod(-2, True), L.nansum(x),
                        x.nansum(1), x.sum(dtype=L.float64)), INPUTS[dt], grad=dt == "f64")


@pytest.mark.parametrize("dt", ["f64", "f32"])
def test_mean_family(dt):
    check(lambda L, x: (x.mean(), L.mean(x, 0), x.mean((0, -1), keepdim=True), x.mean(()),
                        L.nanmean(x), x.nanmean(1, True)), INPUTS[dt], grad=dt == "f64")


def test_reductions_3d_and_zero_dim():
    check(lambda L, x: (x.sum((0, 2)), x.mean(-1), x.prod(1), x.amax((0, 2)), x.std(1),
                        x.norm(dim=(1, 2)), x.logsumexp((0, 2))), X3)
    check(lambda L, x: (x.sum(), x.sum(0), x.mean(-1), x.prod(0), x.max(), x.max(0),
                        x.amax(0), x.argmax(0), x.logsumexp(0), x.cumsum(0), x.norm(),
                        x.median(0), x.sort(), x.all(0)), np.array(1.5))


def test_int_mean_dtype():
    check(lambda L, x: (x.mean(dtype=L.float32), x.sum(dtype=L.float32), x.prod(dtype=L.float64),
                        x.cumsum(0, dtype=L.float64)), INTS)
    check(lambda L, x: (x.sum(), x.prod(), x.cumsum(1), x.cumprod(0)),
          INTS.astype(np.int32))
    check(lambda L, x: (x.sum(), x.cumsum(0)), np.array([[1, 200], [3, 100]], np.uint8))


def test_nan_reductions():
    check(lambda L, x: (x.sum(), x.mean(1), L.nansum(x), L.nansum(x, 1), L.nanmean(x),
                        L.nanmean(x, 0), x.max(), x.min(1), x.amax(0), x.argmax(1),
                        x.argmin(1), x.prod(1), x.logsumexp(1), x.cumsum(1),
                        x.cummax(1), x.cummin(1), x.norm(), x.std(1), x.all(), x.any(1)),
          NAN, grad=False)
    check(lambda L, x: L.nanmean(x), np.array([np.nan, np.nan]))


def test_empty_reductions():
    e = np.zeros((0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda L, x: (x.sum(), x.sum(0), x.mean(), x.mean(0), x.prod(0), x.sum(1),
                            x.max(1), x.amax(1), x.argmax(1), x.logsumexp(0), x.all(),
                            x.any(1), x.norm(), x.cumsum(0), x.std(), x.var(0),
                            x.count_nonzero(0), x.median(), x.median(1), x.sort(0),
                            x.topk(0, 0), x.norm(float("inf"), 1)), e)


# ---- max / min / amax / argmax / aminmax -------------------------------------------------
@pytest.mark.parametrize("dt", sorted(INPUTS))
def test_max_min_dims(dt):
    check(lambda L, x: (x.max(), L.min(x), x.max(0), L.max(x, -1, True), x.min(1),
                        L.min(x, dim=0, keepdim=True), x.amax(), L.amax(x, 0),
                        x.amin((0, 1), True), L.amin(x, -1), L.aminmax(x),
                        x.aminmax(dim=0), L.aminmax(x, dim=-1, keepdim=True)),
          INPUTS[dt], grad=dt == "f64")


@pytest.mark.parametrize("dt", ["f64", "f32", "i64"])
def test_argmax_argmin(dt):
    check(lambda L, x: (x.argmax(), L.argmax(x, 0), x.argmax(-1, True), x.argmin(),
                        L.argmin(x, 1), x.argmax(keepdim=True)), INPUTS[dt], grad=dt == "f64")


def test_max_ties_first_index_and_even_gradient():
    # dim form: the first maximal index, and the whole gradient to it; full form (MaxBackward1)
    # and amax (AmaxBackward0): the gradient split evenly over the ties
    t = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check(lambda L, x: (x.max(1), x.min(1), x.argmax(1), x.argmin(0)), t, numeric=False)
    check(lambda L, x: (x.max(), x.amax(1), x.amin(0), L.aminmax(x)), t, numeric=False)


def test_return_types():
    for L in (torch, torchlike):
        r = L.tensor([[1.0, 5.0], [3.0, 2.0]]).max(1)
        assert type(r).__name__ == "max" and r.indices.tolist() == [1, 0]
        assert r.values.tolist() == [5.0, 3.0]
        a = L.tensor([1.0, 5.0]).aminmax()
        assert a.min.item() == 1.0 and a.max.item() == 5.0
    assert repr(torchlike.tensor([2.0, 1.0]).sort()) == repr(torch.tensor([2.0, 1.0]).sort())
    assert repr(torchlike.tensor([2, 1]).max(0)) == repr(torch.tensor([2, 1]).max(0))


# ---- all / any / count_nonzero -----------------------------------------------------------
@pytest.mark.parametrize("dt", sorted(INPUTS))
def test_all_any_count(dt):
    check(lambda L, x: (x.all(), L.any(x), x.all(0), x.any(-1, True), x.all((0, 1)),
                        x.any(()), L.count_nonzero(x), x.count_nonzero(0),
                        x.count_nonzero((0, 1))), INPUTS[dt], grad=dt == "f64")
    check(lambda L, x: (x.all(), x.any(0)), np.array([[1, 0], [2, 0]], np.uint8))


# ---- std / var / norm / logsumexp --------------------------------------------------------
@pytest.mark.parametrize("dt", ["f64", "f32"])
def test_std_var(dt):
    check(lambda L, x: (x.std(), x.var(0), L.std(x, -1, keepdim=True), x.std(unbiased=False),
                        x.var(0, False), x.std(1, True, True), x.var(correction=2),
                        L.var(x, 0, correction=0), x.std(dim=(0, 1)), x.std(True)),
          INPUTS[dt], grad=dt == "f64")


def test_std_mean_var_mean():
    check(lambda L, x: (L.std_mean(x), L.var_mean(x, 0), L.std_mean(x, -1, keepdim=True),
                        L.var_mean(x, correction=0), L.std_mean(x, dim=(0, 1),
                                                                unbiased=False)), X)


def test_std_zero_gradient_and_dof_warning():
    check(lambda L, x: (x.std(), x.std(0), L.std_mean(x)[0]), np.ones((2, 3)), numeric=False)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        v = torchlike.tensor([1.0]).var()
    assert np.isnan(v.item())
    assert any("degrees of freedom is <= 0" in str(w.message) for w in got)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 1.5, float("inf"), float("-inf"), -1, "fro"])
def test_norm_orders(p):
    check(lambda L, x: (x.norm(p), L.norm(x, p, dim=1), x.norm(p, 0, True),
                      L.norm(x, p=p, dim=(0, 1))), X)


def test_norm_order_zero_values():
    check(lambda L, x: (x.norm(0), L.norm(x, 0, dim=1)), X, grad=False)


def test_norm_order_zero_grad_is_none():
    check(lambda L, x: x.norm(0), X)


def test_norm_zero_gradient_and_dtype():
    check(lambda L, x: (x.norm(), x.norm(3), x.norm(1), x.norm(0.5), x.norm(float("inf")),
                        x.norm(1.5, 0)), np.zeros((2, 2)), numeric=False)
    check(lambda L, x: (x.norm(dtype=L.float64), x.norm(keepdim=True)), X.astype(np.float32))


def test_logsumexp():
    check(lambda L, x: (L.logsumexp(x, 0), x.logsumexp(-1, True), x.logsumexp((0, 1))), X)
    check(lambda L, x: (x.logsumexp(0), x.logsumexp(1)), INTS)
    check(lambda L, x: x.logsumexp(0), np.array([np.inf, 1.0, -np.inf]), grad=False)
    check(lambda L, x: x.logsumexp(0), np.array([-np.inf, -np.inf]), grad=False)


# ---- scans -------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", sorted(INPUTS))
def test_cumulative(dt):
    fns = lambda L, x: (x.cumsum(0), L.cumsum(x, -1), x.cumprod(1), L.cumprod(x, 0),  # noqa
                        x.cummax(0), L.cummax(x, -1), x.cummin(1), L.cummin(x, 0))
    check(fns, INPUTS[dt], grad=dt == "f64")


def test_cumulative_ties_nan_and_logcumsumexp():
    check(lambda L, x: (x.cummax(0), x.cummin(0)), TIES, numeric=False)
    check(lambda L, x: (x.cummax(0), x.cummin(0)),
          np.array([1.0, np.nan, 3.0, 0.0]), grad=False)
    check(lambda L, x: (L.logcumsumexp(x, 0), x.logcumsumexp(-1)), X)
    check(lambda L, x: x.cumprod(0), np.array([2.0, 0.0, 3.0, 0.5]))


def test_inplace_scans():
    check(lambda L, x: ((x * 1).cumsum_(0), (x * 1).cumprod_(1)), X)


# ---- median / mode / quantile ------------------------------------------------------------
@pytest.mark.parametrize("dt", ["f64", "f32", "i64"])
def test_median(dt):
    check(lambda L, x: (x.median(), L.median(x, 0), x.median(-1, True), L.nanmedian(x),
                        x.nanmedian(1)), INPUTS[dt], grad=dt == "f64")


def test_median_nan_and_ties():
    check(lambda L, x: (x.median(), x.median(1), x.nanmedian(), x.nanmedian(1)), NAN,
          grad=False)
    check(lambda L, x: (x.nanmedian(0), x.nanmedian()), np.array([np.nan, np.nan]), grad=False)
    # full median: the gradient is spread evenly over elements equal to it
    check(lambda L, x: (x.median(), x.nanmedian()), TIES, numeric=False)
    check(lambda L, x: x.max(), np.array([1.0, np.nan, 2.0, np.nan]), numeric=False)


def test_mode():
    # ties in the count: the smallest value; its index: the last occurrence
    check(lambda L, x: (x.mode(), L.mode(x, 0), x.mode(-1, True)),
          np.array([[1.0, 2.0, 2.0, 1.0, 3.0], [4.0, 4.0, 5.0, 5.0, 5.0]]), numeric=False)
    check(lambda L, x: (x.mode(), x.mode(0)), INTS)


def test_quantile():
    q = [0.1, 0.5, 0.95]
    check(lambda L, x: (L.quantile(x, 0.3), x.quantile(L.tensor(q, dtype=L.float64)),
                        x.quantile(0.25, 1), x.quantile(L.tensor(q, dtype=L.float64), 0, True),
                        x.quantile(0.6, keepdim=True), L.nanquantile(x, 0.4, -1),
                        x.quantile(0.7, interpolation="midpoint")), X)


@pytest.mark.parametrize("interp", ["lower", "higher", "midpoint", "nearest"])
def test_quantile_interpolation(interp):
    q = [0.0, 0.1, 0.5, 0.95, 1.0]
    check(lambda L, x: (x.quantile(L.tensor(q, dtype=L.float64), interpolation=interp),
                        x.quantile(L.tensor(q, dtype=L.float64), 1, True, interpolation=interp),
                        x.nanquantile(0.3, 0, interpolation=interp)), X, grad=False)


def test_quantile_gradient_wrt_q():
    check(lambda L, x, q: (x.quantile(q), x.quantile(q, 1, True)), X, np.array([0.15, 0.77]))


def test_nanquantile_and_nan():
    check(lambda L, x: (x.quantile(0.5, 1), x.nanquantile(0.5, 1), x.nanquantile(0.3),
                        L.nanquantile(x, L.tensor([0.2, 0.8]), 0)), NAN, grad=False)
    check(lambda L, x: (x.quantile(0.5), x.quantile(0.5, 0, keepdim=True)), np.array(1.5))


# ---- unique / bincount / histc -----------------------------------------------------------
def test_unique():
    check(lambda L, x: (L.unique(x), x.unique(return_inverse=True),
                        x.unique(return_counts=True), L.unique(x, True, True, True),
                        x.unique(sorted=False)), TIES, grad=False)
    rows = np.array([[1, 2], [1, 2], [0, 5], [1, 2]], np.int64)
    check(lambda L, x: (x.unique(dim=0), x.unique(dim=0, return_inverse=True,
                                                  return_counts=True), x.unique(dim=1)), rows)
    check(lambda L, x: (x.unique(), x.unique(return_inverse=True)), INTS)
    check(lambda L, x: x.unique(), BOOLS)
    check(lambda L, x: x.unique(), np.array([1.0, np.nan, 1.0, np.nan]), grad=False)
    check(lambda L, x: (x.unique(), x.unique(dim=0, return_counts=True)), np.zeros((0, 2)),
          grad=False)


def test_unique_consecutive():
    v = np.array([1, 1, 2, 2, 3, 1, 1], np.int64)
    check(lambda L, x: (x.unique_consecutive(), L.unique_consecutive(x, True, True)), v)
    check(lambda L, x: (x.unique_consecutive(dim=0, return_counts=True),
                        x.unique_consecutive(dim=1, return_inverse=True)),
          np.array([[1, 1], [1, 1], [2, 3]], np.int64))
    check(lambda L, x: x.unique_consecutive(), TIES, grad=False)
    check(lambda L, x: x.unique_consecutive(return_inverse=True), np.array(2.0), grad=False)


@pytest.mark.parametrize("expr,name", [("x.unique()", "Unique2Backward0"),
                                       ("x.unique_consecutive()", "UniqueConsecutiveBackward0"),
                                       ("x.unique(dim=0)", "UniqueDimBackward0")])
def test_unique_grad_fn_and_backward_not_implemented(expr, name):
    for L in (torch, torchlike):
        y = eval(expr, {"x": L.tensor(TIES, requires_grad=True)})
        assert type(y.grad_fn).__name__ == name
    want, got = check_raises(
        lambda L, x: eval(expr, {"x": x.requires_grad_()}).sum().backward(), TIES)
    assert got == want


def test_bincount():
    k = np.array([1, 0, 4, 1, 1], np.int64)
    w = np.array([0.5, 1.0, 2.0, 0.25, 1.0])
    check(lambda L, x, w: (x.bincount(), L.bincount(x, w), x.bincount(minlength=7),
                           x.bincount(w.float(), 3), x.bincount(x)), k, w, grad=False)
    check(lambda L, x: x.bincount(), np.zeros(0, np.int64))
    check(lambda L, x: x.bincount(), np.array([1, 2], np.uint8))


def test_histc():
    t = np.array([2.0, 1.0, 2.0, 3.0, 1.0, 2.0, 0.3, 0.7, 0.1, 0.9])
    check(lambda L, x: (x.histc(4), L.histc(x, 4, 1, 2), x.histc(3, min=0, max=0),
                        x.histc(), x.histc(5, -1, 10)), t, grad=False)
    check(lambda L, x: (x.histc(3), x.histc(3, 0, 3)), t.astype(np.float32), grad=False)
    check(lambda L, x: x.histc(3), np.array([1.0, 1.0]), grad=False)
    check(lambda L, x: x.histc(2, 0, 2), np.array([1.0, np.nan, 5.0]), grad=False)


# ---- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "x.sum(2)", "x.sum(-3)", "x.max(2)", "x.argmax(5)", "x.cumsum(2)", "x.median(2)",
    "x.std(2)", "x.amax(-3)", "x.logsumexp(2)", "x.mode(5)", "L.cummax(x, 2)",
    "x.unique(dim=2)", "x.norm(dim=2)", "x.count_nonzero(2)", "x.all(2)",
])
def test_bad_dim(expr):
    want, got = check_raises(lambda L, x: eval(expr, {"x": x, "L": L}), X)
    assert got == want
    assert got.startswith("Dimension out of range (expected to be in range of [-2, 1], but "
                          "got ")


@pytest.mark.parametrize("expr", [
    "i.mean()", "b.mean()", "i.nanmean()", "i.std()", "i.var(0)", "L.std_mean(i)",
    "i.norm()", "b.argmax()", "i.quantile(0.5)", "x.sum((0, 0))", "x.sum((0, -2))",
    "e.max()", "e.amax()", "e.aminmax()", "e.quantile(0.5)", "x.quantile(1.5)",
    "x.quantile(L.tensor([[0.5]], dtype=L.float64))", "x.quantile(L.tensor([0.5]))",
    "x.quantile(L.tensor([1.5], dtype=L.float64))", "x.quantile(0.5, interpolation='foo')",
    "x.logsumexp(())", "L.tensor([-1]).bincount()", "i.bincount()",
    "L.tensor([1, 2]).bincount(minlength=-1)", "L.tensor([1, 2]).bincount(x[0])",
    "x.histc(-1)", "x.histc(4, 3, 1)", "L.tensor([1.0, float('inf')]).histc(2)",
    "e.norm(-1)", "e.norm(float('inf'), 0)",
])
def test_runtime_errors_wording(expr):
    env = {"x": None, "i": None, "b": None, "e": None}

    def f(L, x, i, b, e):
        env.update(x=x, i=i, b=b, e=e, L=L)
        return eval(expr, env)
    want, got = check_raises(f, X, INTS, BOOLS, np.zeros((0, 3)))
    assert got == want, (got, want)


@pytest.mark.parametrize("expr", [
    "e.max(0)", "e.argmax()", "e.argmax(0)", "e.amin(0)", "e.median(0)", "e.mode(0)",
    "e.aminmax(dim=0)", "L.tensor(2.0).unique(dim=0)",
])
def test_empty_dim_index_errors(expr):
    want, got = check_raises(lambda L, e: eval(expr, {"e": e, "L": L}), np.zeros((0, 3)))
    assert got == want, (got, want)


@pytest.mark.parametrize("expr", ["b.median()", "b.median(0)", "b.nanmedian(0)",
                                  "i.logcumsumexp(0)", "x.bincount()", "b.bincount()",
                                  "i.histc()"])
def test_dtype_not_implemented(expr):
    want, got = check_raises(lambda L, x, i, b: eval(expr, {"x": x, "i": i, "b": b}),
                             X.reshape(-1), INTS, BOOLS)
    assert got == want, (got, want)


def test_prod_dim_tuple_type_error():
    check_raises(lambda L, x: x.prod((0, 1)), X)


def test_out_argument():
    def f(L, x):
        v, i = L.empty(2), L.empty(2, dtype=L.int64)
        r = L.max(x, 1, out=(v, i))
        s = L.sum(x, 0, out=L.empty(3))
        c = L.cumsum(x, 1, out=L.empty(0))
        q = L.quantile(x, 0.5, 1, out=L.empty(2))
        return r.values is v, r.indices is i, v, i, s, c, q
    check(f, X.astype(np.float32), grad=False)
