"""Gradients built with create_graph=True against real torch, for the FFT family and complex
numbers (torchlike/autograd/formulas_spectral.py, formulas_complex.py): the gradients' graphs
three levels deep, their requires_grad flags, their values and the second-order gradients of
sum(|g|^2) through them. torch writes complex gradients with a conj() (ConjBackward0 nodes)
and gives a real operand of a complex op the real part of its gradient (SelectBackward0 over
ViewAsRealBackward0); the FFT backwards are transforms of the other kind, with CopySlices
where torch writes into a slice in place."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _helper import assert_same_tensor
from test_double_backward import assert_same_gradients, differentiate_twice

import torchlike

R = np.random.default_rng(11)
Z = R.uniform(-1, 1, (2, 3)) + 1j * R.uniform(-1, 1, (2, 3))
W = R.uniform(-1, 1, (2, 3)) + 1j * R.uniform(-1, 1, (2, 3))
X = R.uniform(-1, 1, (2, 4))
Y = R.uniform(0.2, 1, (2, 4))
HOLES = [[0.0, 1, 1], [1, 0, 1]]  # zeros at two entries: angle's gradient is 0 there

# name -> (output(L, z, w, x, y), names of the inputs differentiated); z, w complex128,
# x, y float64
CASES = {
    # views and conversions
    "real": (lambda L, z, w, x, y: (z.real ** 2).sum(), "z"),
    "imag": (lambda L, z, w, x, y: (z.imag ** 2 * z.real).sum(), "z"),
    "conj": (lambda L, z, w, x, y: (z.conj() * z).real.sum(), "z"),
    "conj_imag": (lambda L, z, w, x, y: (z.conj().imag ** 2 * z.real).sum(), "z"),
    "conj_physical": (lambda L, z, w, x, y: (z.conj_physical() * z * w).real.sum(), "z"),
    "view_as_real": (lambda L, z, w, x, y: (L.view_as_real(z) ** 2).sum()
                     + (L.view_as_real(z).sum(0) ** 2).sum(), "z"),
    "view_as_complex": (lambda L, z, w, x, y: L.view_as_complex(x.view(2, 2, 2)).abs().pow(3).sum(),
                        "x"),
    "view_as_complex_conj": (lambda L, z, w, x, y: (
        L.view_as_complex(x.view(2, 2, 2)).conj() * L.view_as_complex(y.view(2, 2, 2))
    ).imag.sum(), "xy"),
    "complex": (lambda L, z, w, x, y: L.complex(x, y).abs().pow(3).sum(), "xy"),
    "complex_float32": (lambda L, z, w, x, y: L.complex(x.float(), y.float()).pow(2).abs().sum(),
                        "xy"),
    "polar": (lambda L, z, w, x, y: (L.polar(y, x) * L.polar(y, x)).real.sum(), "xy"),
    "polar_times_real": (lambda L, z, w, x, y: (L.polar(y, x) * x).imag.sum(), "xy"),
    "angle": (lambda L, z, w, x, y: (z.angle() ** 2).sum(), "z"),
    "angle_zero": (lambda L, z, w, x, y: ((z * L.tensor(HOLES)).angle() ** 2).sum(), "z"),
    "angle_real": (lambda L, z, w, x, y: (x.angle() * x).sum(), "x"),
    "abs": (lambda L, z, w, x, y: (z.abs() ** 3).sum(), "z"),
    "sgn": (lambda L, z, w, x, y: (z.sgn() * w).real.sum(), "z"),
    "to_complex": (lambda L, z, w, x, y: ((x.to(L.complex128) + 1j) ** 3).imag.sum(), "x"),
    # pointwise ops on complex operands
    "mul": (lambda L, z, w, x, y: (z * w).abs().sum(), "zw"),
    "div": (lambda L, z, w, x, y: (z / w).abs().sum(), "zw"),
    "mul_div_numbers": (lambda L, z, w, x, y: (z * (1 + 2j) / (2 - 1j) * w).real.sum(), "z"),
    "mixed_mul_div": (lambda L, z, w, x, y: (x[:, :3] * z + x[:, 1:] / z + z / y[:, :3]
                                             ).abs().sum(), "zxy"),
    "mixed_add_sub": (lambda L, z, w, x, y: ((x[:, :3] + z) * (z - x[:, 1:]) * (1 - z)
                                             ).abs().sum(), "zx"),
    "add_sub_alpha": (lambda L, z, w, x, y: (z.add(w, alpha=2j) * z.sub(w, alpha=1 - 1j)
                                             ).real.sum(), "zw"),
    "mixed_alpha": (lambda L, z, w, x, y: (z.add(x[:, :3], alpha=2) * z).abs().sum(), "zx"),
    "exp": (lambda L, z, w, x, y: z.exp().abs().sum(), "z"),
    "sin_cos": (lambda L, z, w, x, y: (z.sin() * w).real.sum() + (z.cos() ** 2).imag.sum(),
                "z"),
    "sinh_cosh": (lambda L, z, w, x, y: (z.sinh() * z.cosh()).real.sum(), "z"),
    "log": (lambda L, z, w, x, y: (z.log() ** 2).real.sum(), "z"),
    "sqrt": (lambda L, z, w, x, y: (z.sqrt() * w).real.sum(), "z"),
    "pow": (lambda L, z, w, x, y: (z.pow(3) * w).real.sum() + (z ** 2.5).imag.sum(), "z"),
    "pow_zero": (lambda L, z, w, x, y: (z ** 0 * z).real.sum(), "z"),
    "reciprocal": (lambda L, z, w, x, y: (z.reciprocal() * w).real.sum(), "z"),
    "tanh": (lambda L, z, w, x, y: (z.tanh() * w).real.sum(), "z"),
    "sigmoid": (lambda L, z, w, x, y: (z.sigmoid() * w).real.sum(), "z"),
    "sum_of_exp": (lambda L, z, w, x, y: (z.exp().sum(1) ** 2).real.sum(), "z"),
    "expm1": (lambda L, z, w, x, y: (z.expm1() * w).real.sum(), "z"),
    "exp2": (lambda L, z, w, x, y: (z.exp2() * w).real.sum(), "z"),
    "tan": (lambda L, z, w, x, y: (z.tan() * w).real.sum(), "z"),
    "log1p": (lambda L, z, w, x, y: (z.log1p() * w).real.sum(), "z"),
    "log2_log10": (lambda L, z, w, x, y: (z.log2() * z.log10()).real.sum(), "z"),
    "rsqrt": (lambda L, z, w, x, y: (z.rsqrt() * w).real.sum(), "z"),
    "asin_acos": (lambda L, z, w, x, y: (z.asin() * w + z.acos() ** 2).real.sum(), "z"),
    "atan": (lambda L, z, w, x, y: (z.atan() * w).real.sum(), "z"),
    "asinh": (lambda L, z, w, x, y: (z.asinh() * w).real.sum(), "z"),
    # linear in acosh: the second order does not reach jax's acosh derivative (see the report)
    "acosh": (lambda L, z, w, x, y: (z.acosh() * w).real.sum(), "z"),
    "atanh": (lambda L, z, w, x, y: (z.atanh() * w).real.sum(), "z"),
    "sinc": (lambda L, z, w, x, y: ((z * L.tensor(HOLES)).sinc() * w).real.sum(), "z"),
    # matrix products
    "mm": (lambda L, z, w, x, y: (z.mm(w.t().contiguous()) ** 2).real.sum(), "zw"),
    "addmm": (lambda L, z, w, x, y: (L.addmm(z[:, :2], z, w.t().contiguous(), beta=2j,
                                             alpha=1 - 1j) ** 2).real.sum(), "zw"),
    # FFT: one dimension
    "fft_real": (lambda L, z, w, x, y: L.fft.fft(x).abs().pow(2).sum(), "x"),
    "fft_complex": (lambda L, z, w, x, y: (L.fft.fft(z) ** 2).real.sum(), "z"),
    "fft_n_dim_norm": (lambda L, z, w, x, y: (L.fft.fft(z, n=4, dim=0, norm="forward") ** 2
                                              ).real.sum(), "z"),
    "fft_crop_ortho": (lambda L, z, w, x, y: (L.fft.fft(x, n=3, norm="ortho") ** 3).imag.sum(),
                       "x"),
    "fft_complex64": (lambda L, z, w, x, y: (L.fft.fft(z.to(L.complex64)) ** 2).real.sum(),
                      "z"),
    "ifft_pad_ortho": (lambda L, z, w, x, y: (L.fft.ifft(z, n=5, norm="ortho") ** 2).real.sum(),
                       "z"),
    "ifft_real": (lambda L, z, w, x, y: (L.fft.ifft(x) ** 2).real.sum(), "x"),
    "rfft": (lambda L, z, w, x, y: (L.fft.rfft(x) ** 2).real.sum(), "x"),
    "rfft_pad": (lambda L, z, w, x, y: (L.fft.rfft(x, n=6) ** 2).real.sum(), "x"),
    "rfft_crop_dim0": (lambda L, z, w, x, y: (L.fft.rfft(x, n=3, dim=0, norm="ortho") ** 2
                                              ).real.sum(), "x"),
    "rfft_n1": (lambda L, z, w, x, y: (L.fft.rfft(x, n=1) ** 2).real.sum(), "x"),
    "irfft": (lambda L, z, w, x, y: (L.fft.irfft(z) ** 2).sum(), "z"),
    "irfft_n5_forward": (lambda L, z, w, x, y: (L.fft.irfft(z, n=5, norm="forward") ** 2).sum(),
                         "z"),
    "irfft_n2": (lambda L, z, w, x, y: (L.fft.irfft(z, n=2) ** 2).sum(), "z"),
    "irfft_dim0": (lambda L, z, w, x, y: (L.fft.irfft(z, dim=0, norm="ortho") ** 3).sum(), "z"),
    "hfft": (lambda L, z, w, x, y: (L.fft.hfft(z) ** 2).sum(), "z"),
    "hfft_n7_ortho": (lambda L, z, w, x, y: (L.fft.hfft(z, n=7, norm="ortho") ** 2).sum(), "z"),
    "ihfft": (lambda L, z, w, x, y: (L.fft.ihfft(x, n=5) ** 2).real.sum(), "x"),
    "round_trip": (lambda L, z, w, x, y: (L.fft.irfft(L.fft.rfft(L.fft.ifft(z).real)) ** 2
                                          ).sum(), "z"),
    # FFT: several dimensions
    "fft2_s": (lambda L, z, w, x, y: (L.fft.fft2(z, s=(3, 2)) ** 2).real.sum(), "z"),
    "ifft2_real": (lambda L, z, w, x, y: (L.fft.ifft2(x, norm="ortho") ** 2).real.sum(), "x"),
    "fftn_dim": (lambda L, z, w, x, y: (L.fft.fftn(z, dim=(1,), norm="forward") ** 2
                                        ).real.sum(), "z"),
    "ifftn": (lambda L, z, w, x, y: (L.fft.ifftn(z) ** 2).imag.sum(), "z"),
    "rfft2": (lambda L, z, w, x, y: (L.fft.rfft2(x) ** 2).real.sum(), "x"),
    "rfftn_s": (lambda L, z, w, x, y: (L.fft.rfftn(x, s=(3, 5)) ** 2).real.sum(), "x"),
    "irfft2_s": (lambda L, z, w, x, y: (L.fft.irfft2(z, s=(2, 4)) ** 2).sum(), "z"),
    "irfftn_ortho": (lambda L, z, w, x, y: (L.fft.irfftn(z, norm="ortho") ** 2).sum(), "z"),
    "hfft2": (lambda L, z, w, x, y: (L.fft.hfft2(z) ** 2).sum(), "z"),
    "ihfft2": (lambda L, z, w, x, y: (L.fft.ihfft2(x) ** 2).real.sum(), "x"),
    "ihfftn_dim": (lambda L, z, w, x, y: (L.fft.ihfftn(x, dim=(1,)) ** 2).real.sum(), "x"),
    # constant_pad_nd (fft's zero-padding; F.pad's constant mode takes the same formula)
    "pad_constant": (lambda L, z, w, x, y: (L.nn.functional.pad(x, (1, 2, 0, 1), value=0.5) ** 3
                                            ).sum() + (L.nn.functional.pad(x, (-1, 2)) ** 3).sum(),
                     "x"),
    "pad_constant_complex": (lambda L, z, w, x, y: (L.nn.functional.pad(z, (2, 1)) ** 2
                                                    ).real.sum(), "z"),
    # fftshift / ifftshift: rolls
    "fftshift": (lambda L, z, w, x, y: (L.fft.fftshift(z) ** 2 * w).real.sum(), "z"),
    "ifftshift_dim": (lambda L, z, w, x, y: (L.fft.ifftshift(x, dim=1) ** 2 * y).sum(), "x"),
}


# cases computed in float32 / complex64 (their gradients reach float64 inputs): float32's
# tolerance
SINGLE = {"complex_float32", "fft_complex64"}


def _square(g):
    return (g * g.conj()).real.sum() if g.is_complex() else (g * g).sum()


def _run(L, f, names):
    ins = {k: L.tensor(a, requires_grad=True) for k, a in zip("zwxy", (Z, W, X, Y))}
    return differentiate_twice(L, f(L, *ins.values()), [ins[k] for k in names], _square)


@pytest.mark.parametrize("case", list(CASES))
def test_gradient_graphs_and_values(case):
    tol = {"rtol": 4e-6, "atol": 4e-6} if case in SINGLE else {}
    assert_same_gradients(_run(torch, *CASES[case]), _run(torchlike, *CASES[case]), **tol)


# ops whose formulas are written for real operands only: complex operands take the op's jax
# vjp (one node named as the forward's, not torch's graph); the values must still be torch's
VALUES_ONLY = {
    "prod": (lambda L, z, w, x, y: (z.prod(1) ** 2).real.sum() + (z.prod() * 2).real, "z"),
    "logsumexp": (lambda L, z, w, x, y: (z.logsumexp(1) ** 2).real.sum(), "z"),
    "linear": (lambda L, z, w, x, y: (L.nn.functional.linear(z, w, w[0, :2]) ** 2).real.sum(),
               "zw"),
}


@pytest.mark.parametrize("case", list(VALUES_ONLY))
def test_gradient_values_without_torch_graph(case):
    want, got = _run(torch, *VALUES_ONLY[case]), _run(torchlike, *VALUES_ONLY[case])
    assert got[1] == want[1], "requires_grad of the gradients"
    for w, g in zip(want[2] + want[3], got[2] + got[3]):
        assert_same_tensor(w.detach(), g.detach(), "gradient", check_repr=False)


# first-order gradients that the formulas' second order runs through: sgn of a complex
# tensor (z / |z|) and a complex quotient's real divisor
FIRST = {
    "sgn": (lambda L, z, x: (z.sgn() * L.tensor(W)).real.sum(), "z"),
    "complex_over_real": (lambda L, z, x: (L.tensor(W) / x[:, :3]).imag.sum()
                          + (z / x[:, 1:].abs()).real.sum(), "zx"),
}


@pytest.mark.parametrize("case", list(FIRST))
def test_first_order_complex_gradients(case):
    f, names = FIRST[case]
    res = []
    for L in (torch, torchlike):
        ins = {"z": L.tensor(Z, requires_grad=True), "x": L.tensor(X, requires_grad=True)}
        res.append(L.autograd.grad(f(L, *ins.values()), [ins[k] for k in names]))
    for w, g in zip(*res):
        assert_same_tensor(w, g, "gradient", check_repr=False)
