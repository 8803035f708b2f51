"""ops/extra.py and ops/extra_composite.py against real torch: values, dtypes, grad_fn names,
gradients, in-place and out= forms, errors."""
import warnings

import numpy as np
import pytest
import torch

import torchlike
from _helper import assert_same_tensor, check, check_raises

R = np.random.default_rng(0)
A = R.standard_normal((3, 4))
B = R.standard_normal((3, 4))
POS = R.uniform(0.2, 3, (3, 4))
ROW = R.standard_normal(4)
COL = R.standard_normal((3, 1))
INTS = np.array([[3, -2, 5, 0], [0, 7, -4, 1], [2, 2, -6, 9]])
BO = INTS > 0
F32 = A.astype(np.float32)
EMPTY = np.zeros((0, 4))
SPECIAL = np.array([1.0, np.nan, np.inf, -np.inf, 0.0, -0.0, -2.5, 1e-40], np.float32)


# ---- pointwise binary ops ------------------------------------------------------------------
CASES = {
    "logaddexp": (lambda L, a, b: (L.logaddexp(a, b), L.logaddexp2(a, b), a.logaddexp(b),
                                   a.logaddexp2(b)), A, B),
    "logaddexp_bcast_f32": (lambda L, a, b: (L.logaddexp(a, b), L.logaddexp2(b, a)), F32, ROW),
    "logaddexp_int_other": (lambda L, a, b: (L.logaddexp(a, b), L.logaddexp2(b, a)), F32, INTS),
    "xlogy": (lambda L, a, b: (L.xlogy(a, b), L.xlogy(a, 2.0), L.xlogy(3, b), a.xlogy(b)),
              A, POS),
    "xlogy_int": (lambda L, a, b: (L.xlogy(a, b), L.xlogy(a, 2)), INTS, BO),
    "copysign": (lambda L, a, b: (L.copysign(a, b), L.copysign(a, -1.0), a.copysign(b),
                                  L.copysign(a, 2)), A, B),
    "copysign_zero": (lambda L, a, b: L.copysign(a, b), np.array([0.0, -0.0, 1.5, -2.0]),
                      np.array([-1.0, 1.0, -0.0, np.nan])),
    "copysign_int": (lambda L, a, b: (L.copysign(a, b), L.copysign(b, a)), INTS, BO),
    "nextafter": (lambda L, a, b: (L.nextafter(a, b), a.nextafter(b)), A, ROW),
    "nextafter_f32": (lambda L, a, b: L.nextafter(a, b), F32, F32[::-1].copy()),
    "ldexp": (lambda L, a, b: (L.ldexp(a, b), a.ldexp(b)), A, COL),
    "ldexp_ints": (lambda L, a, b: (L.ldexp(a, b), L.ldexp(b, a)), INTS, BO),
    "gcd_lcm": (lambda L, a, b: (L.gcd(a, b), L.lcm(a, b), a.gcd(b), a.lcm(b)),
                INTS, INTS[::-1].copy()),
    "gcd_bool_bcast": (lambda L, a, b: (L.gcd(a, b), L.lcm(a, b)), INTS, BO[0].copy()),
    "heaviside": (lambda L, a, b: (L.heaviside(a, b), a.heaviside(b)),
                  np.array([1.0, 0.0, -2.0, np.nan]), np.array([0.5, 0.25, 0.5, 0.5])),
    "heaviside_int": (lambda L, a, b: L.heaviside(a, b), INTS, INTS[0].copy()),
    "heaviside_bool": (lambda L, a, b: L.heaviside(a, b), BO, BO[::-1].copy()),
    "isin": (lambda L, a, b: (L.isin(a, b), L.isin(a, 3), L.isin(2, b),
                              L.isin(a, b, invert=True, assume_unique=True)), INTS, INTS[0].copy()),
    "isin_float": (lambda L, a, b: (L.isin(a, b), L.isin(b, a), L.isin(a, 2.5)),
                   np.array([1.0, 2.5, np.nan, 7.0]), np.array([[1, 5], [7, 2]])),
    "isin_empty": (lambda L, a, b: (L.isin(a, b), L.isin(b, a)), EMPTY, A),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_binary(name):
    fn, *ins = CASES[name]
    # heaviside has no derivative in torch (checked below)
    check(fn, *ins, grad=not name.startswith("heaviside"),
          numeric=name != "copysign_zero")  # other crosses -0.0 / +0.0 in the differences


def test_ldexp_int_exponent_grad():
    # torch's backward computes 2 ** other in integers: 0 for negative exponents
    check(lambda L, a, b: L.ldexp(a, b), A, INTS, numeric=False)


def test_xlogy_gradients_where_x_is_zero_or_y_not_positive():
    """torch's formulas: d/dx = xlogy(grad, y) (log(y) at x == 0, y > 0; 0 for a zero grad at
    y < 0), masked to 0 where x == 0 and y <= 0; d/dy = grad * x / y."""
    def run(L):
        x = L.tensor([[1., 0., 2., 0., -1.]], requires_grad=True)
        y = L.tensor([[-1.], [0.], [3.], [float("nan")]], requires_grad=True)
        s = L.tensor([1., 0., 2., 0.], requires_grad=True)
        L.xlogy(x, y).backward(L.tensor([[0., 1., 1., 1., 0.]]).expand(4, 5))
        (L.xlogy(s, 2.5) + L.xlogy(3, s)).backward(L.tensor([0., 1., 1., 0.]))
        return x.grad, y.grad, s.grad
    for w, g in zip(run(torch), run(torchlike)):
        assert_same_tensor(w, g)


def test_zero_dim_and_empty():
    z, zb = np.array(0.5), np.array(1.5)
    check(lambda L, a, b: (L.logaddexp(a, b), L.xlogy(a, b), L.copysign(a, b),
                           L.nextafter(a, b), L.sinc(a), L.deg2rad(b), L.frexp(b)), z, zb)
    check(lambda L, a, b: (L.logaddexp(a, b), L.xlogy(a, 2.0), L.copysign(a, b),
                           L.sinc(a), L.rad2deg(a), L.frexp(a), L.isin(a, b)), EMPTY, ROW)
    check(lambda L, a, b: (L.logaddexp(a, b), L.copysign(b, a)), A, z)


# ---- unary ---------------------------------------------------------------------------------
@pytest.mark.parametrize("x", [A, F32, INTS, BO, np.array([0.0, 1.0, -0.5, 2.0])],
                         ids=["f64", "f32", "i64", "bool", "sinc_zero"])
def test_unary(x):
    check(lambda L, a: (L.deg2rad(a), L.rad2deg(a), L.sinc(a), a.sinc(), a.deg2rad(),
                        a.rad2deg()), x)


def test_frexp():
    check(lambda L, a: (L.frexp(a), a.frexp()), A)
    check(lambda L, a: L.frexp(a), SPECIAL, grad=False)
    check(lambda L, a: L.frexp(a), SPECIAL.astype(np.float64) * 1e-290, grad=False)
    assert repr(torchlike.frexp(torchlike.tensor([3.0]))) == repr(torch.frexp(torch.tensor([3.0])))


def test_frexp_out():
    for lib in (torch, torchlike):
        m, e = lib.empty(0), lib.empty(0, dtype=lib.int32)
        r = lib.frexp(lib.tensor([3.0, -0.25]), out=(m, e))
        assert r[0] is m and r[1] is e
        assert m.tolist() == [0.75, -0.5] and e.tolist() == [2, -1]


# ---- in-place and out= -------------------------------------------------------------------
INPLACE = ["xlogy", "copysign", "nextafter", "ldexp", "heaviside"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_binary(name):
    other = np.abs(B) + 0.1 if name in ("heaviside", "xlogy") else B
    check(lambda L, a, b: getattr(a.clone(), name + "_")(b), A, other, grad=False)
    check(lambda L, a, b: getattr(a * 1, name + "_")(b), A, other, grad=name != "heaviside")


def test_inplace_unary_and_ints():
    check(lambda L, a: (a.clone().sinc_(), a.clone().deg2rad_(), a.clone().rad2deg_()), A)
    check(lambda L, a, b: (a.clone().gcd_(b), a.clone().lcm_(b)), INTS, INTS[::-1].copy())
    for name in ("xlogy_", "copysign_", "sinc_", "deg2rad_"):
        def f(L, a, name=name):
            args = () if name in ("sinc_", "deg2rad_") else (a,)
            return getattr(a.clone(), name)(*args)
        want, got = check_raises(f, INTS)
        assert want == got


def test_ldexp_inplace_int_error():
    want, got = check_raises(lambda L, a: a.clone().ldexp_(a), INTS)
    assert want == got


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2", "xlogy", "copysign",
                                  "nextafter", "ldexp"])
def test_out(name):
    def f(L, a, b):
        out = L.empty(0, dtype=L.float64 if a.dtype == L.float64 else L.float32)
        r = getattr(L, name)(a, b, out=out)
        assert r is out
        return out
    check(f, POS, POS[::-1].copy(), grad=False)
    check(f, POS.astype(np.float32), INTS, grad=False)


def test_out_other_forms():
    def f(L, a, b):
        o1, o2 = L.empty(0, dtype=L.int64), L.empty(0, dtype=L.bool)
        o3, o4 = L.empty(2), L.empty(0)
        L.gcd(a, b, out=o1)
        L.isin(a, b, out=o2)
        L.sinc(a.double(), out=o3)
        L.diff(a.double(), out=o4)
        return o1, o2, o3, o4
    check(f, INTS, INTS[0].copy(), grad=False)
    want, got = check_raises(lambda L, a: L.diff(a, out=L.empty(0, dtype=L.long)), A)
    assert want == got


def test_out_exact_dtype():
    for f, x in ((lambda L, a: L.isin(a, a, out=L.empty(0, dtype=L.long)), INTS),
                 (lambda L, a: L.renorm(a, 2, 0, 1.0, out=L.empty(0, dtype=L.float64)), F32),
                 (lambda L, a: L.frexp(a, out=(L.empty(0), L.empty(0, dtype=L.long))), F32),
                 (lambda L, a: L.frexp(a, out=(L.empty(0, dtype=L.float64),
                                               L.empty(0, dtype=L.int32))), F32)):
        want, got = check_raises(f, x)
        assert want == got


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2", "atan2", "hypot"])
def test_out_float32_inputs_float64_out(name):
    """Both libraries compute in the inputs' float32 and write the cast result into a float64
    out= (torch's value is exactly its float32 result). The float32 values themselves may
    differ from torch's in the last bits (torch's SLEEF log1p/exp/log2: up to 3 ulp measured
    for logaddexp2), so they are compared at float32's precision, not float64's."""
    a, b = F32, F32[::-1].copy()
    results = []
    for L in (torch, torchlike):
        x, y = L.tensor(a), L.tensor(b)
        out = L.empty(0, dtype=L.float64)
        got = getattr(L, name)(x, y, out=out)
        assert got is out and out.dtype == L.float64 and tuple(out.shape) == a.shape
        in_f32 = getattr(L, name)(x, y).double()
        np.testing.assert_array_equal(out.numpy(), in_f32.numpy())
        results.append(out.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=4 * np.finfo(np.float32).eps, atol=0)


# ---- errors --------------------------------------------------------------------------------
ERRORS = [
    lambda L, a, i, b: L.logaddexp(i, i),
    lambda L, a, i, b: L.logaddexp(b, b),
    lambda L, a, i, b: L.logaddexp2(i, b),
    lambda L, a, i, b: L.logaddexp(a, 2),
    lambda L, a, i, b: L.logaddexp(2.0, a),
    lambda L, a, i, b: L.nextafter(i, i),
    lambda L, a, i, b: L.nextafter(a, 1.0),
    lambda L, a, i, b: L.xlogy(2, 3),
    lambda L, a, i, b: L.copysign(2.0, a),
    lambda L, a, i, b: L.heaviside(a, i),
    lambda L, a, i, b: L.heaviside(a, a.float()),
    lambda L, a, i, b: L.heaviside(a, 1.0),
    lambda L, a, i, b: L.ldexp(a, b),
    lambda L, a, i, b: L.ldexp(a, 2),
    lambda L, a, i, b: L.gcd(a, i),
    lambda L, a, i, b: L.gcd(b, b),
    lambda L, a, i, b: L.lcm(i, a),
    lambda L, a, i, b: L.lcm(i, 2),
    lambda L, a, i, b: L.frexp(i),
    lambda L, a, i, b: L.frexp(b),
    lambda L, a, i, b: L.isin(b, i),
    lambda L, a, i, b: L.isin(i, b),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors(k):
    want, got = check_raises(ERRORS[k], A, INTS, BO)
    if not want.startswith(f"{ERRORS[k].__code__.co_names[-1]}() received an invalid"):
        assert want == got


def test_no_derivative_errors():
    for f in (lambda L, a, b: L.heaviside(a, b),
              lambda L, a, b: L.histogram(a, 3)[0],
              lambda L, a, b: L.histogram(a, 3)[1]):
        res = []
        for lib in (torch, torchlike):
            a = lib.tensor(A[0], requires_grad=True)
            out = f(lib, a, lib.tensor(B[0]))
            assert type(out.grad_fn).__name__ == "NotImplemented"
            res.append(out.grad_fn.name())
            with pytest.raises(RuntimeError) as e:
                out.sum().backward()
            res.append(str(e.value))
        assert res[:2] == res[2:]


def test_nextafter_gradient_passes_through():
    check(lambda L, a, b: L.nextafter(a, b), ROW, A)


# ---- diff ----------------------------------------------------------------------------------
DIFF = {
    "default": (lambda L, a: (L.diff(a), a.diff(n=2, dim=0), L.diff(a, n=0), L.diff(a, 9)), A),
    "f32_negdim": (lambda L, a: L.diff(a, 1, -2), F32),
    "int": (lambda L, a: (L.diff(a), L.diff(a, 3, 0)), INTS),
    "bool": (lambda L, a: (L.diff(a), L.diff(a, 2, 0)), BO),
    "prepend_append": (lambda L, a, b: (L.diff(a, prepend=b, append=b[:, :2]),
                                        L.diff(a, 2, 0, append=b)), A, B),
    "mixed_dtypes": (lambda L, a, b: (L.diff(a, prepend=b), L.diff(b, append=a)), INTS, BO),
    "empty": (lambda L, a: (L.diff(a, dim=0), L.diff(a)), EMPTY),
}


@pytest.mark.parametrize("name", sorted(DIFF))
def test_diff(name):
    check(DIFF[name][0], *DIFF[name][1:])


DIFF_ERRORS = [
    lambda L, a: L.diff(a[0, 0]),
    lambda L, a: L.diff(a, n=-1),
    lambda L, a: L.diff(a, dim=2),
    lambda L, a: L.diff(a, prepend=a[0]),
    lambda L, a: L.diff(a, dim=0, prepend=a[:, :2]),
    lambda L, a: L.diff(a, prepend=1.0),
]


@pytest.mark.parametrize("k", range(len(DIFF_ERRORS)))
def test_diff_errors(k):
    want, got = check_raises(DIFF_ERRORS[k], A)
    assert want == got


# ---- trapezoid / trapz / cumulative_trapezoid ----------------------------------------------
XS = np.array([0.0, 0.5, 2.0, 2.5])
TRAP = {
    "dx": (lambda L, y: (L.trapezoid(y), L.trapz(y, dx=0.3), L.trapezoid(y, dx=2, dim=0),
                         L.cumulative_trapezoid(y), L.cumulative_trapezoid(y, dx=-1.5, dim=0)),
           A),
    "x_1d": (lambda L, y, x: (L.trapezoid(y, x), L.trapz(y, x), L.cumulative_trapezoid(y, x)),
             A, XS),
    "x_bcast": (lambda L, y, x: (L.trapezoid(y, x, dim=0), L.cumulative_trapezoid(y, x, dim=-2)),
                A, COL),
    "x_full": (lambda L, y, x: (L.trapezoid(y, x), L.cumulative_trapezoid(y, x)), A, POS),
    "f32": (lambda L, y, x: (L.trapezoid(y), L.trapezoid(y, x), L.cumulative_trapezoid(y, x)),
            F32, XS.astype(np.float32)),
    "int": (lambda L, y, x: (L.trapezoid(y), L.trapezoid(y, dx=3), L.trapezoid(y, x),
                             L.cumulative_trapezoid(y), L.cumulative_trapezoid(y, x)),
            INTS, np.array([1, 2, 5, 6])),
    "int_y_float_x": (lambda L, y, x: (L.trapezoid(y, x), L.cumulative_trapezoid(y, x)), INTS, XS),
    "empty": (lambda L, y: (L.trapezoid(y, dim=0), L.cumulative_trapezoid(y, dim=0),
                            L.cumulative_trapezoid(y[:, :1])), EMPTY),
}


@pytest.mark.parametrize("name", sorted(TRAP))
def test_trapezoid(name):
    check(TRAP[name][0], *TRAP[name][1:])


def test_trapezoid_empty_dim():
    check(lambda L, y: (L.trapezoid(y, dim=0), L.trapz(y.long(), dim=0)), EMPTY)


TRAP_ERRORS = [
    lambda L, y: L.trapezoid(y[0, 0]),
    lambda L, y: L.cumulative_trapezoid(y[0, 0]),
    lambda L, y: L.trapezoid(y, dx=True),
    lambda L, y: L.cumulative_trapezoid(y, dx=True),
    lambda L, y: L.trapezoid(y, y[0, :3]),
    lambda L, y: L.cumulative_trapezoid(y, y[0, :2]),
    lambda L, y: L.trapezoid(y > 0),
    lambda L, y: L.trapezoid(y, y > 0),
    lambda L, y: L.cumulative_trapezoid(y > 0, y),
    lambda L, y: L.trapezoid(y, dim=3),
]


@pytest.mark.parametrize("k", range(len(TRAP_ERRORS)))
def test_trapezoid_errors(k):
    want, got = check_raises(TRAP_ERRORS[k], A)
    assert want == got


# ---- cov / corrcoef ------------------------------------------------------------------------
FW = np.array([1, 2, 0, 3])
AW = np.array([0.5, 1.0, 2.0, 0.1])
COV = {
    "plain": (lambda L, a: (L.cov(a), a.cov(correction=0), L.cov(a, correction=2),
                            L.corrcoef(a), a.corrcoef()), A),
    "f32": (lambda L, a: (L.cov(a), L.corrcoef(a)), F32),
    "1d": (lambda L, a: (L.cov(a), L.corrcoef(a)), ROW),
    "int": (lambda L, a: (L.cov(a), L.corrcoef(a)), INTS),
    "fweights": (lambda L, a, f: (L.cov(a, fweights=f), L.cov(a, fweights=f, correction=0)),
                 A, FW),
    "aweights": (lambda L, a, w: (L.cov(a, aweights=w), L.cov(a, aweights=w, correction=3)),
                 A, AW),
    "both": (lambda L, a, f, w: L.cov(a, fweights=f, aweights=w), F32, FW, AW),
}


@pytest.mark.parametrize("name", sorted(COV))
def test_cov(name):
    check(COV[name][0], *COV[name][1:])


def test_cov_degenerate_warns():
    for lib in (torch, torchlike):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = lib.cov(lib.tensor(A), correction=4)
        assert any("degrees of freedom is <= 0" in str(x.message) for x in w)
        assert r.isinf().all()
    check(lambda L, a: (L.cov(a[:1]), L.corrcoef(a[:1])), A, grad=False)


COV_ERRORS = [
    lambda L, a: L.cov(a[None]),
    lambda L, a: L.cov(a > 0),
    lambda L, a: L.cov(a, fweights=a[0]),
    lambda L, a: L.cov(a, fweights=L.tensor([1, 2])),
    lambda L, a: L.cov(a, fweights=L.tensor([1, -2, 3, 1])),
    lambda L, a: L.cov(a, fweights=L.tensor([[1, 2, 3, 1]])),
    lambda L, a: L.cov(a, fweights=L.tensor([0, 0, 0, 0])),
    lambda L, a: L.cov(a, aweights=L.tensor([1, 2, 3, 1])),
    lambda L, a: L.cov(a, aweights=L.tensor([1.0, -2.0, 3.0, 1.0])),
    lambda L, a: L.corrcoef(a[None]),
]


@pytest.mark.parametrize("k", range(len(COV_ERRORS)))
def test_cov_errors(k):
    want, got = check_raises(COV_ERRORS[k], A)
    assert want == got


# ---- vander, renorm ------------------------------------------------------------------------
@pytest.mark.parametrize("x", [ROW, ROW.astype(np.float32), INTS[0], BO[0]],
                         ids=["f64", "f32", "i64", "bool"])
def test_vander(x):
    check(lambda L, a: (L.vander(a), L.vander(a, 3, True), L.vander(a, 0), L.vander(a, 1),
                        L.vander(a, 2, increasing=True)), x, grad=False)


def test_vander_backward_fails_as_in_torch():
    for n, inc in ((None, False), (3, True)):
        msgs = []
        for lib in (torch, torchlike):
            x = lib.tensor(ROW, requires_grad=True)
            v = lib.vander(x, n, inc)
            assert type(v.grad_fn).__name__ == ("CopySlices" if inc else "FlipBackward0")
            with pytest.raises(RuntimeError) as e:
                v.sum().backward()
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]


def test_vander_errors():
    for f in (lambda L, a: L.vander(a), lambda L, a: L.vander(a[0, 0]),
              lambda L, a: L.vander(a[0], -1)):
        want, got = check_raises(f, A)
        assert want == got


def test_renorm():
    check(lambda L, a: (L.renorm(a, 2, 0, 1.5), a.renorm(1, -1, 2.0),
                        L.renorm(a, float("inf"), 1, 0.5), L.renorm(a, 3, 0, 100)), A)
    check(lambda L, a: (L.renorm(a, 2, 1, 1), L.renorm(a[None], 1.5, 0, 1.0)), F32)
    check(lambda L, a: (a * 1).renorm_(2, 0, 1.0), A)
    check(lambda L, a: L.renorm(a, 2, 0, 1.0, out=L.empty(0)), F32, grad=False)


def test_renorm_errors():
    for f in (lambda L, a: L.renorm(a.long(), 2, 0, 1), lambda L, a: L.renorm(a[0], 2, 0, 1),
              lambda L, a: L.renorm(a, 0, 0, 1), lambda L, a: L.renorm(a, 2, 0, -1),
              lambda L, a: L.renorm(a, 2, 0, -0.5), lambda L, a: L.renorm(a, 2, 3, 1)):
        want, got = check_raises(f, A)
        assert want == got


# ---- cdist, cosine_similarity --------------------------------------------------------------
B2 = R.standard_normal((2, 4))
X30 = R.standard_normal((30, 3))


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, float("inf"), 3.0, 0.5])
def test_cdist(p):
    check(lambda L, a, b: L.cdist(a, b, p=p), A, B2)


def test_cdist_forms():
    ab = np.concatenate([A, A[:1]])  # a zero distance: subgradient 0
    check(lambda L, a, b: (L.cdist(a, b), L.cdist(a, b, 1)), ab, A)
    check(lambda L, a, b: L.cdist(a, b), R.standard_normal((2, 3, 4)), B2)  # batch broadcast
    check(lambda L, a, b: L.cdist(a, b), F32, B2.astype(np.float32))
    check(lambda L, a, b: (L.cdist(a, b), L.cdist(a, b, compute_mode="donot_use_mm_for_euclid_"
                                                  "dist")), X30, B2[:, :3].copy())
    check(lambda L, a, b: L.cdist(a, b, compute_mode="use_mm_for_euclid_dist"), A, B2)
    check(lambda L, a, b: L.cdist(a, b), EMPTY, B2)


def test_cdist_errors():
    for f in (lambda L, a: L.cdist(a[0], a), lambda L, a: L.cdist(a, a[0]),
              lambda L, a: L.cdist(a, a[:, :2]), lambda L, a: L.cdist(a.long(), a),
              lambda L, a: L.cdist(a, a.long()), lambda L, a: L.cdist(a, a, p=-1),
              lambda L, a: L.cdist(a, a, compute_mode="x"), lambda L, a: L.cdist(a, a.float())):
        want, got = check_raises(f, A)
        assert want == got


def test_cosine_similarity():
    check(lambda L, a, b: (L.cosine_similarity(a, b), L.cosine_similarity(a, b, 0, 1e-3)),
          A, ROW)


# ---- meshgrid, cartesian_prod, combinations ------------------------------------------------
def test_meshgrid():
    c = R.standard_normal(3)
    check(lambda L, a, b, c: (L.meshgrid(a, b, c, indexing="ij"),
                              L.meshgrid([a, b], indexing="xy"), L.meshgrid(a, indexing="xy")),
          ROW, A[0], c)
    check(lambda L, a, b: L.meshgrid((a, b), indexing="xy"), INTS[0], INTS[1])
    check(lambda L, a, b: L.meshgrid(a, b, indexing="ij"), np.array(2.5), np.zeros(0))
    got = torchlike.meshgrid(torchlike.tensor(ROW), indexing="ij")
    assert type(got) is tuple


def test_meshgrid_warns_once_without_indexing():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        torchlike.meshgrid(torchlike.tensor(ROW), torchlike.tensor(ROW))
        torchlike.meshgrid(torchlike.tensor(ROW), torchlike.tensor(ROW))
    msgs = [str(x.message) for x in w]
    assert len(msgs) <= 1
    assert all(m == "torch.meshgrid: in an upcoming release, it will be required to pass the "
               "indexing argument." for m in msgs)


def test_cartesian_prod_combinations():
    check(lambda L, a, b: (L.cartesian_prod(a, b), L.cartesian_prod(a), L.cartesian_prod(a, b, a)),
          ROW, A[0])
    check(lambda L, a: (L.combinations(a), L.combinations(a, 3), L.combinations(a, 1),
                        L.combinations(a, with_replacement=True), L.combinations(a, 0),
                        L.combinations(a, 5)), ROW)
    check(lambda L, a: (L.combinations(a, 2, True), L.cartesian_prod(a, a)), INTS[0])


def test_meshgrid_family_errors():
    for f in (lambda L, a, b: L.meshgrid(indexing="ij"),
              lambda L, a, b: L.meshgrid(a, b, indexing="ij"),
              lambda L, a, b: L.meshgrid(a, a, indexing="foo"),
              lambda L, a, b: L.cartesian_prod(a[None]),
              lambda L, a, b: L.cartesian_prod(),
              lambda L, a, b: L.cartesian_prod(a, b),
              lambda L, a, b: L.combinations(a, -1),
              lambda L, a, b: L.combinations(a[None]),
              lambda L, a, b: L.combinations(a[0])):
        want, got = check_raises(f, ROW, INTS[0])
        assert want == got


# ---- block_diag, tril_indices / triu_indices -----------------------------------------------
def test_block_diag():
    check(lambda L, a, b, c: (L.block_diag(a, b, c, a[0, 0]), L.block_diag(a)), A, B2, ROW)
    check(lambda L, a, b, c: L.block_diag(a, b, c), INTS, BO, A)
    check(lambda L, a, b: L.block_diag(a, b), np.array(3), np.array(1.5))
    check(lambda L, a, b: L.block_diag(a[:0], b[:, :0], a[0, :0]), A, B)
    check(lambda L: L.block_diag())
    want, got = check_raises(lambda L, a: L.block_diag(a, a[None]), A)
    assert want == got


def test_tri_indices():
    check(lambda L: (L.tril_indices(3, 4), L.tril_indices(3, 4, 1), L.triu_indices(4, 3, -1),
                     L.triu_indices(3, 3, dtype=L.int32), L.tril_indices(0, 0),
                     L.tril_indices(3, 3, -5), L.triu_indices(2, 5, 7)))
    for f in (lambda L: L.tril_indices(3, 3, dtype=L.float32),
              lambda L: L.triu_indices(3, 3, dtype=L.bool),
              lambda L: L.tril_indices(-1, 3), lambda L: L.triu_indices(3, -4)):
        want, got = check_raises(f)
        assert want == got


# ---- histogram -----------------------------------------------------------------------------
def test_histogram():
    check(lambda L, a: (L.histogram(a, 4), a.histogram(3, range=(-1.0, 1.0)),
                        L.histogram(a, 5, density=True)), A, grad=False)
    check(lambda L, a, w: (L.histogram(a, L.tensor([-1.0, 0.0, 0.5, 2.0], dtype=L.float64),
                                       weight=w, density=True),
                           L.histogram(a, 3, weight=w)), A, POS, grad=False)
    check(lambda L, a: (L.histogram(a, 4), L.histogram(a, 2, range=(0, 0))), F32, grad=False)
    check(lambda L, a: L.histogram(a, 3), EMPTY, grad=False)
    check(lambda L, a: L.histogram(a[0, 0], 3), A, grad=False)
    check(lambda L, a: L.histogram(a, 3), np.array([1.0, 1.0, 1.0]), grad=False)
    check(lambda L, a: L.histogram(a, 4, range=(-3, 3)),
          np.array([-3.0, 3.0, 0.0, 1.5, -1.5, 7.0, np.nan]), grad=False)


def test_histogram_grad_fn_and_out():
    check(lambda L, a: L.histogram(a, 3), F32[0], grad=False)
    for lib in (torch, torchlike):
        h, e = lib.empty(0), lib.empty(0)
        r = lib.histogram(lib.tensor(F32), 3, out=(h, e))
        assert r[0] is h and r[1] is e and h.sum().item() == 12


HIST_ERRORS = [
    lambda L, a: L.histogram(a.long(), 3),
    lambda L, a: L.histogram(a, 0),
    lambda L, a: L.histogram(a, 3, range=(1.0, 0.0)),
    lambda L, a: L.histogram(a, 3, range=(0.0, float("inf"))),
    lambda L, a: L.histogram(a, 3, weight=a.double()),
    lambda L, a: L.histogram(a, 3, weight=a[0]),
    lambda L, a: L.histogram(a, L.tensor([0, 1])),
    lambda L, a: L.histogram(a, L.tensor([[0.0, 1.0]])),
    lambda L, a: L.histogram(a, L.tensor([0.0])),
]


@pytest.mark.parametrize("k", range(len(HIST_ERRORS)))
def test_histogram_errors(k):
    want, got = check_raises(HIST_ERRORS[k], F32)
    assert want == got
