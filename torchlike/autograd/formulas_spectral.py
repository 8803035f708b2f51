"""torch's backward formulas for the FFT primitives (derivatives.yaml, FunctionsManual.cpp),
in torchlike ops: _fft_c2c, _fft_r2c (fft_r2c_backward) and _fft_c2r (fft_c2r_backward), from
which torch.fft composes every transform; and constant_pad_nd, which pads a transform's input
to the requested size.

torch's r2c and c2r backwards write into a slice in place (`slice().copy_(grad)`,
`narrow().mul_(2)`), recording a CopySlices node with the edges of torch's: the base's and
those of the in-place op after its first (none for a mul_ by a number)."""
from __future__ import annotations

from ..ops import spectral as S
from ..ops._registry import op, run
from ..ops.nn import pad_op
from .formulas import FORMULAS, formula


def _at(dim, start, length):
    return (slice(None),) * dim + (slice(start, start + length),)


# zeros (the base, which needs no gradient) with the gradient copied into their leading part
# of dimension `dim`
_copy_into_zeros = op("fft_r2c_backward_copy", "CopySlices", dtypes="same", saves=False)(
    lambda z, g, dim: z.at[_at(dim, 0, g.shape[dim])].set(g))
# the entries start..start + length of dimension `dim` doubled
_double_slice = op("fft_c2r_backward_double", "CopySlices", dtypes="same", saves=False)(
    lambda g, dim, start, length: g.at[_at(dim, start, length)].multiply(2))


@formula("fft_c2c")
def _c2c(g, xs, st, diff):
    """torch: the transform of the other direction, with the same normalization."""
    return {0: S.c2c(g, st["dim"], st["norm"], not st["forward"])}


@formula("fft_r2c")
def _r2c(g, xs, st, diff):
    """torch's fft_r2c_backward: a onesided gradient is first filled with zeros to the
    input's size; then the real part of its inverse c2c."""
    dim, x = st["dim"], xs[0]
    last = dim[-1]
    if st["onesided"] and x.shape[last] > g.shape[last]:
        shape = list(g.shape)
        shape[last] = x.shape[last]
        g = run(_copy_into_zeros, (g.new_zeros(tuple(shape)), g), (("dim", last),))
    return {0: S.c2c(g, dim, st["norm"], False).real}


@formula("fft_c2r")
def _c2r(g, xs, st, diff):
    """torch's fft_c2r_backward: the onesided r2c of the gradient, its entries 1 .. n -
    onesided length doubled (those whose conjugate-symmetric twins were dropped)."""
    dim = st["dim"]
    last = dim[-1]
    gi = S.r2c(g, dim, st["norm"], True)
    double = g.shape[last] - gi.shape[last]
    if double > 0:
        gi = run(_double_slice, (gi,), (("dim", last), ("start", 1), ("length", double)))
    return {0: gi}


def _constant_pad(g, xs, st, diff):
    """torch's constant_pad_nd_backward: the gradient padded by the negated amounts (a crop),
    a ConstantPadNdBackward0 node."""
    if st["mode"] != "constant":
        return None
    pads = tuple((-lo, -hi) for lo, hi in st["pads"])
    return {0: run(pad_op, (g, 0), (("pads", pads), ("mode", "constant")))}


# constant padding belongs to the nn family: its formula here holds unless one is there
FORMULAS.setdefault("pad", _constant_pad)
