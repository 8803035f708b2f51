"""torch.fft and torch.special against real torch: values, dtypes, shapes, grad_fn names and
gradients over real and complex inputs, odd and even sizes, n/s, dim and every norm; the
helpers fftfreq/rfftfreq/fftshift/ifftshift; torch's error texts."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike
from _helper import check, check_raises

R = np.random.default_rng(7)
NORMS = [None, "backward", "ortho", "forward"]


def arr(shape, dtype):
    a = R.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * R.standard_normal(shape)
    return a.astype(dtype)


def check_fft(fn, *inputs):
    """Outputs (value, dtype, grad_fn) with every input requiring grad, complex ones too; then
    gradients through view_as_real (a complex loss has no backward() in torch)."""
    def with_grad(L, *xs):
        return fn(L, *[x.requires_grad_(True) if x.dtype.is_floating_point or x.is_complex()
                       else x for x in xs])

    def real_out(L, *xs):
        out = with_grad(L, *xs)
        return L.view_as_real(out.resolve_conj()) if out.is_complex() else out
    check(with_grad, *inputs, grad=False)
    check(real_out, *inputs)


ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
REAL_ONLY = {"rfft", "ihfft", "rfftn", "ihfftn", "rfft2", "ihfft2"}


def _cases(names, dtypes):
    return [(f, dt) for f in names for dt in dtypes
            if not (f in REAL_ONLY and np.dtype(dt).kind == "c")]


# Norms, n/s and dim are handled apart from the dtype: every norm on a single-precision real
# and a double-precision complex input, every n/s/dim on the other two dtypes; so each
# function meets every dtype, without the full product.
NORM_DTYPES = [np.float32, np.complex128]
SIZE_DTYPES = [np.float64, np.complex64]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name,dtype", _cases(ONE_D, NORM_DTYPES), ids=str)
def test_fft_1d_norms(name, dtype, norm):
    for size in (5, 6):
        check_fft(lambda L, x: getattr(L.fft, name)(x, norm=norm), arr((3, size), dtype))


@pytest.mark.parametrize("n,dim", [(3, -1), (8, -1), (4, 0), (7, 0), (1, -1)])
@pytest.mark.parametrize("name,dtype", _cases(ONE_D, SIZE_DTYPES), ids=str)
def test_fft_1d_n_dim(name, dtype, n, dim):
    check_fft(lambda L, x: getattr(L.fft, name)(x, n=n, dim=dim, norm="ortho"),
              arr((5, 6), dtype))


ND = ["fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn"]
TWO_D = ["fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2"]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name,dtype", _cases(ND + TWO_D, NORM_DTYPES), ids=str)
def test_fft_nd_norms(name, dtype, norm):
    check_fft(lambda L, x: getattr(L.fft, name)(x, norm=norm), arr((3, 4, 5), dtype))


S_DIM = [((4, 6), None), ((3, -1), (0, 2)), (None, (1,)), (None, (2, 0)), ((5,), None),
         ((2, 3, 4), None), ((-1, 5), (-1, 0))]


@pytest.mark.parametrize("s,dim", S_DIM, ids=str)
@pytest.mark.parametrize("name,dtype", _cases(ND, SIZE_DTYPES), ids=str)
def test_fft_nd_s_dim(name, dtype, s, dim):
    check_fft(lambda L, x: getattr(L.fft, name)(x, s=s, dim=dim), arr((3, 4, 5), dtype))


@pytest.mark.parametrize("name", ONE_D + ND + TWO_D)
def test_fft_integer_input(name):
    x = np.arange(12).reshape(3, 4) % 5
    check(lambda L, t: getattr(L.fft, name)(t), x, grad=False)
    check(lambda L, t: getattr(L.fft, name)(t.to(L.float64), norm="ortho"), x)


def test_fft_out_and_composition():
    x = arr((4, 6), np.float64)
    check(lambda L, t: L.fft.irfft(L.fft.rfft(t), n=6), x)
    check(lambda L, t: L.fft.ifftn(L.fft.fftn(t)).real, x)
    check(lambda L, t: L.fft.hfft(L.fft.ihfft(t), n=6), x)

    def out(L, t):
        o = L.empty(0, dtype=L.complex128)
        r = L.fft.fft(t, out=o)
        return r, o
    check(out, x, grad=False)


@pytest.mark.parametrize("d", [1.0, 0.5, 3])
@pytest.mark.parametrize("n", [1, 4, 5, 8])
def test_fftfreq(n, d):
    check(lambda L: L.fft.fftfreq(n, d))
    check(lambda L: L.fft.rfftfreq(n, d))
    check(lambda L: L.fft.fftfreq(n, d, dtype=L.float64))
    check(lambda L: L.fft.rfftfreq(n, d=d, dtype=L.float64, requires_grad=True), grad=False)


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 1), (1,)])
@pytest.mark.parametrize("shape", [(5,), (4, 5), (3, 4, 6)], ids=str)
def test_fftshift(shape, dim):
    x = arr(shape, np.float32)
    if dim is not None and max(np.atleast_1d(dim)) >= len(shape):  # torch's error, both forms
        for fn in (lambda L, t: L.fft.fftshift(t, dim), lambda L, t: L.fft.ifftshift(t, dim)):
            want, got = check_raises(fn, x)
            assert want == got
        return
    check(lambda L, t: L.fft.fftshift(t, dim), x)
    check(lambda L, t: L.fft.ifftshift(t, dim=dim), x)
    check(lambda L, t: L.fft.ifftshift(L.fft.fftshift(t, dim), dim), arr(shape, np.complex64),
          grad=False)


ERRORS = {
    "norm": (lambda L, x: L.fft.fft(x, norm="foo"), np.float32),
    "rfft_complex": (lambda L, x: L.fft.rfft(x), np.complex64),
    "ihfft_complex": (lambda L, x: L.fft.ihfft(x), np.complex128),
    "rfftn_complex": (lambda L, x: L.fft.rfftn(x), np.complex64),
    "n_zero": (lambda L, x: L.fft.fft(x, n=0), np.float32),
    "irfft_size1": (lambda L, x: L.fft.irfft(x[:, :1]), np.complex64),
    "dim_range": (lambda L, x: L.fft.fft(x, dim=2), np.float32),
    "zero_dim": (lambda L, x: L.fft.fft(x[0, 0]), np.float32),
    "dims_unique": (lambda L, x: L.fft.fftn(x, dim=(0, -2)), np.float32),
    "s_dim_len": (lambda L, x: L.fft.fftn(x, s=(2, 2), dim=(0,)), np.float32),
    "s_too_long": (lambda L, x: L.fft.fftn(x, s=(2, 2, 2)), np.float32),
    "s_zero": (lambda L, x: L.fft.fft2(x, s=(0, 2)), np.float32),
    "rfftn_no_axis": (lambda L, x: L.fft.rfftn(x, dim=()), np.float32),
    "irfftn_no_axis": (lambda L, x: L.fft.irfftn(x, dim=()), np.float32),
    "half": (lambda L, x: L.fft.fft(x.half()), np.float32),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_fft_errors(case):
    fn, dt = ERRORS[case]
    want, got = check_raises(fn, arr((3, 4), dt))
    assert got == want


def test_fft_alias_import():
    import subprocess
    import sys
    code = ("import torch.fft, torch.special\nfrom torch import special\n"
            "from torch.fft import rfft\nimport torchlike\n"
            "assert torch.fft is torchlike.fft and special is torchlike.special\n"
            "print(rfft(torch.ones(4)))")
    r = subprocess.run([sys.executable, "-m", "torchlike", "-c", code], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "tensor([4.+0.j, 0.+0.j, 0.+0.j])" in r.stdout, r.stderr


# ---- torch.special -----------------------------------------------------------------------
def _in(lo, hi, shape=(7,)):
    return R.uniform(lo, hi, shape)


UNARY = {
    "expit": _in(-4, 4), "logit": _in(0.05, 0.95), "erf": _in(-2, 2), "erfc": _in(-2, 2),
    "erfcx": np.r_[_in(-2, 6), [30.0, -0.5]], "erfinv": _in(-0.9, 0.9), "exp2": _in(-3, 3),
    "expm1": _in(-2, 2), "log1p": _in(-0.5, 3), "gammaln": _in(0.2, 6),
    "digamma": _in(0.2, 6), "psi": _in(0.3, 5), "i0": np.r_[_in(-5, 5), [0.0]],
    "i0e": np.r_[_in(-5, 5), [0.0]], "i1": np.r_[_in(-5, 5), [0.0]],
    "i1e": np.r_[_in(-5, 5), [0.0, 40.0]], "ndtr": _in(-3, 3), "ndtri": _in(0.02, 0.98),
    "log_ndtr": np.r_[_in(-6, 6), [-9.0]], "sinc": np.r_[_in(-3, 3), [0.0]],
    "round": np.array([0.4, 1.5, 2.5, -0.5, -1.7]), "entr": np.r_[_in(0.01, 3), [0.0]],
    "bessel_j0": np.r_[_in(-10, 10), [0.0, 25.0]],
    "bessel_j1": np.r_[_in(-10, 10), [0.0, 25.0]],
}


# torch's digamma/polygamma (Cephes' series) and XLA's differ by ~5e-10 relative in float64
# (the gradient of digamma is polygamma(1)); float32 agrees within the dtype's bound
POLYGAMMA_RTOL = 2e-9
WIDER_FLOAT64 = {"digamma": POLYGAMMA_RTOL, "psi": POLYGAMMA_RTOL,
                 "polygamma0": POLYGAMMA_RTOL, "polygamma1": POLYGAMMA_RTOL}


def _rtol(name, dtype):
    return WIDER_FLOAT64.get(name) if dtype == np.float64 else None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(UNARY))
def test_special_unary(name, dtype):
    check(lambda L, x: getattr(L.special, name)(x), UNARY[name].astype(dtype),
          numeric=name != "round", rtol=_rtol(name, dtype))  # round: inputs on its jumps


@pytest.mark.parametrize("name", ["expit", "erf", "i0", "i0e", "i1", "ndtr", "entr", "sinc",
                                  "gammaln", "log_ndtr", "erfcx"])
def test_special_integer_input(name):
    check(lambda L, x: getattr(L.special, name)(x), np.arange(0, 5))


def test_special_bool_input():
    # torch computes these for bool inputs too (in the default float dtype)
    names = ["i0e", "i1", "i1e", "erfcx", "ndtr", "ndtri", "log_ndtr", "entr", "bessel_j0",
             "bessel_j1"]
    check(lambda L, b: [L.i0(b)] + [getattr(L.special, n)(b) for n in names],
          np.array([True, False]), grad=False)


def test_special_entr_edges():
    check(lambda L, x: L.special.entr(x), np.array([-1.0, 0.0, np.nan, 0.5, np.inf]),
          numeric=False)


CALLS = {
    "logsumexp": (lambda L, x: L.special.logsumexp(x, 1), (3, 4)),
    "logsumexp_keep": (lambda L, x: L.special.logsumexp(x, (0, 1), keepdim=True), (3, 4)),
    "softmax": (lambda L, x: L.special.softmax(x, 0), (3, 4)),
    "log_softmax": (lambda L, x: L.special.log_softmax(x, -1, dtype=L.float64), (3, 4)),
    "xlogy": (lambda L, x, y: L.special.xlogy(x, y.abs()), (4,), (4,)),
    "xlog1py": (lambda L, x, y: L.special.xlog1py(x, y.abs()), (4,), (4,)),
    "xlog1py_scalar": (lambda L, x: L.special.xlog1py(x, 2.0), (4,)),
    "xlog1py_scalar_first": (lambda L, y: L.special.xlog1py(3, y.abs()), (4,)),
    "polygamma0": (lambda L, x: L.special.polygamma(0, x.abs() + 0.5), (5,)),
    "polygamma1": (lambda L, x: L.special.polygamma(1, x.abs() + 0.5), (5,)),
    "polygamma3": (lambda L, x: L.special.polygamma(3, x.abs() + 0.5), (5,)),
    "torch_polygamma": (lambda L, x: L.polygamma(2, x.abs() + 0.5), (5,)),
    "multigammaln": (lambda L, x: L.special.multigammaln(x.abs() + 2, 3), (5,)),
    "mvlgamma": (lambda L, x: L.mvlgamma(x.abs() + 2, 2), (5,)),
    "zeta": (lambda L, x, q: L.special.zeta(x.detach().abs() + 1.5, q.abs() + 0.5), (5,),
             (5,)),
    "zeta_scalar": (lambda L, q: L.special.zeta(2.0, q.abs() + 0.5), (5,)),
    "round_decimals": (lambda L, x: L.special.round(x * 10, decimals=1), (5,)),
    "torch_i0": (lambda L, x: L.i0(x), (5,)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(CALLS))
def test_special_calls(case, dtype):
    fn, *shapes = CALLS[case]
    check(fn, *[arr(s, dtype) for s in shapes], rtol=_rtol(case, dtype))


def test_special_xlog1py_edges():
    x = np.array([0.0, 0.0, 1.0, 2.0, 0.0])
    y = np.array([np.nan, -1.0, np.nan, -1.0, 3.0])
    check(lambda L, a, b: L.special.xlog1py(a, b), x, y, grad=False)
    check(lambda L, a, b: L.special.xlog1py(a, b), x[3:], np.array([0.5, 3.0]))


SPECIAL_ERRORS = {
    "polygamma_neg": lambda L, x: L.special.polygamma(-1, x),
    "mvlgamma_p": lambda L, x: L.special.multigammaln(x, 0),
    "round_int": lambda L, x: L.special.round(x.long()),
    "i0e_int_ok_complex": lambda L, x: L.special.i0e(x.to(L.complex64)),
    "xlog1py_numbers": lambda L, x: L.special.xlog1py(1.0, 2.0),
    "zeta_x_grad": lambda L, x: L.special.zeta(x.abs().requires_grad_() + 2, 1.5).sum()
    .backward(),
}


@pytest.mark.parametrize("case", list(SPECIAL_ERRORS))
def test_special_errors(case):
    want, got = check_raises(SPECIAL_ERRORS[case], arr((3,), np.float32))
    assert got == want or want.startswith(got + ", but expected one of"), (got, want)


def test_special_namespace():
    import torch
    missing = [n for n in UNARY if n not in vars(torchlike.special)]  # not placeholders
    assert not missing and set(torchlike.special.__all__) <= set(dir(torch.special))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["special.gammainc", "special.gammaincc", "igamma", "igammac"])
def test_regularized_gamma(name, dtype):
    """P(a, x) and Q(a, x): values, and the gradient in x (torch has none in a)."""
    rng = np.random.default_rng(4)
    a = rng.uniform(0.1, 12, (3, 5)).astype(dtype)
    x = rng.uniform(0.01, 15, (3, 5)).astype(dtype)

    def fn(L, a, x):
        f = L.special if name.startswith("special") else L
        return getattr(f, name.split(".")[-1])(a.detach(), x)
    check(fn, a, x, numeric=False)
    op = "igammac" if name.endswith("c") else "igamma"
    check_raises(lambda L, a, x: getattr(L, op)(a.requires_grad_(), x).sum().backward(), a, x)
    check_raises(lambda L, a, x: L.igamma(a.long(), x.long()), a, x)
    # (an integer `a`: values only; torch's gradient then takes lgamma(a) in float32)
    check(lambda L, a, x: L.igamma(a.long().detach(), x), a, x, numeric=False, grad=False)
    check(lambda L, a, x: a.detach().clone().igamma_(x.detach()), a, x, numeric=False)
