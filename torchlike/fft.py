"""torch.fft: discrete Fourier transforms, composed as torch composes them.

Every transform is one of torch's three primitives (ops/spectral.py: c2c, r2c, c2r) plus the
steps torch takes around it: promotion to a floating or complex dtype (ToCopyBackward0),
cropping (SliceBackward0) or zero-padding (ConstantPadNdBackward0) to the requested sizes, and
a lazy conj (ConjBackward0) where torch uses one, so grad_fn graphs read as torch's.
"""
from __future__ import annotations

from ._errors import missing as _missing
from collections.abc import Sequence

import numpy as np

from . import _dtype as D
from ._creation import tensor as _tensor
from ._tensor import _SHORT, Tensor, _wrap_dim
from .ops import spectral as _S
from .ops.combine import roll as _roll
from .ops.compare import outable as _outable
from .ops.cplx import conj_physical as _conj_physical
from .ops.nn import pad_op as _pad_op
from .ops._registry import run as _run

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2",
           "irfft2", "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn",
           "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

# norm string -> torch's fft_norm_mode (0 none, 1 by_root_n, 2 by_n) for (forward, backward)
_NORMS = {None: (0, 2), "backward": (0, 2), "forward": (2, 0), "ortho": (1, 1)}


def _norm(norm, forward: bool) -> int:
    pair = _NORMS.get(norm) if isinstance(norm, (str, type(None))) else None
    if pair is None:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return pair[0] if forward else pair[1]


def _promote(x: Tensor, require_complex: bool = False) -> Tensor:
    """torch's promote_tensor_fft: integers to the default float; float32/float64 only."""
    dt = x.dtype
    if dt.is_complex:
        return x
    target = dt if dt.is_floating_point else D.get_default_dtype()
    if target not in (D.float32, D.float64):
        raise RuntimeError(f"Unsupported dtype {_SHORT[target.name]}")
    if require_complex:
        target = target.to_complex()
    return x if target is dt else x.to(target)


def _wrap(dim: int, x: Tensor) -> int:
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, x.ndim)


def _resize(x: Tensor, dims, sizes) -> Tensor:
    """Crop (a slice) or zero-pad (constant_pad_nd) each of `dims` to its size in `sizes`."""
    pads, must_pad = [(0, 0)] * x.ndim, False
    for d, n in zip(dims, sizes):
        if x.shape[d] < n:
            pads[d], must_pad = (0, n - x.shape[d]), True
        elif x.shape[d] > n:
            x = x.narrow(d, 0, n)
    if not must_pad:
        return x
    return _run(_pad_op, (x, 0), (("pads", tuple(pads)), ("mode", "constant")))


def _check_n(n: int) -> None:
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _check_real(name: str, x: Tensor, what: str = "a real input") -> None:
    if x.is_complex():
        raise RuntimeError(f"{name} expects {what} tensor, but got {_SHORT[x.dtype.name]}")


# ---- one dimension -----------------------------------------------------------------------
def _c2c(x, n, dim, norm, forward):
    d = _wrap(dim, x)
    n = x.shape[d] if n is None else int(n)
    _check_n(n)
    return _S.c2c(_resize(x, (d,), (n,)), (d,), _norm(norm, forward), forward)


def _r2c(x, n, dim, norm, forward, onesided):
    x = _promote(x)
    d = _wrap(dim, x)
    n = x.shape[d] if n is None else int(n)
    _check_n(n)
    y = _S.r2c(_resize(x, (d,), (n,)), (d,), _norm(norm, forward), onesided)
    return y if forward else y.conj()


def _c2r(x, n, dim, norm, forward):
    x = _promote(x, require_complex=True)
    d = _wrap(dim, x)
    last = 2 * (x.shape[d] - 1) if n is None else int(n)
    _check_n(last)
    if n is not None:
        x = _resize(x, (d,), (last // 2 + 1,))
    return _S.c2r(x.conj() if forward else x, (d,), _norm(norm, forward), last)


@_outable
def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
        out=None) -> Tensor:
    if input.is_complex():
        return _c2c(input, n, dim, norm, True)
    return _r2c(input, n, dim, norm, True, False)


@_outable
def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out=None) -> Tensor:
    if input.is_complex():
        return _c2c(input, n, dim, norm, False)
    return _r2c(input, n, dim, norm, False, False)


@_outable
def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out=None) -> Tensor:
    _check_real("rfft", input)
    return _r2c(input, n, dim, norm, True, True)


@_outable
def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
          out=None) -> Tensor:
    _check_real("ihfft", input)
    return _r2c(input, n, dim, norm, False, True)


@_outable
def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
          out=None) -> Tensor:
    return _c2r(input, n, dim, norm, False)


@_outable
def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out=None) -> Tensor:
    return _c2r(input, n, dim, norm, True)


# ---- n dimensions ------------------------------------------------------------------------
def _shape_and_dims(x: Tensor, s, dim):
    """torch's canonicalize_fft_shape_and_dim_args: the sizes and the dims to transform."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dims = [_wrap(d, x) for d in dim]
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = [int(n) for n in s]
        if dim is not None and len(dim) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > x.ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{x.ndim} dimensions.")
        if dim is None:
            dims = list(range(x.ndim - len(s), x.ndim))
        shape = [x.shape[d] if n == -1 else n for d, n in zip(dims, s)]
    elif dim is None:
        dims, shape = list(range(x.ndim)), list(x.shape)
    else:
        shape = [x.shape[d] for d in dims]
    for n in shape:
        _check_n(n)
    return shape, dims


def _c2r_shape_and_dims(name: str, x: Tensor, s, dim):
    """As above, with the last dim's output size (and its onesided input size)."""
    shape, dims = _shape_and_dims(x, s, dim)
    if not dims:
        raise RuntimeError(f"{name} must transform at least one axis")
    last = 2 * (x.shape[dims[-1]] - 1) if s is None or s[-1] == -1 else shape[-1]
    _check_n(last)
    shape[-1] = last // 2 + 1
    return shape, dims, last


def _fftn(x, s, dim, norm, forward):
    shape, dims = _shape_and_dims(x, s, dim)
    x = _resize(_promote(x, require_complex=True), dims, shape)
    return _S.c2c(x, dims, _norm(norm, forward), forward)


def _rfftn(x, s, dim, norm):
    _check_real("rfftn", x, "a real-valued input")
    shape, dims = _shape_and_dims(x, s, dim)
    if not dims:
        raise RuntimeError("rfftn must transform at least one axis")
    return _S.r2c(_resize(_promote(x), dims, shape), dims, _norm(norm, True), True)


def _irfftn(x, s, dim, norm):
    shape, dims, last = _c2r_shape_and_dims("irfftn", x, s, dim)
    x = _resize(_promote(x, require_complex=True), dims, shape)
    return _S.c2r(x, dims, _norm(norm, False), last)


def _hfftn(x, s, dim, norm):
    shape, dims, last = _c2r_shape_and_dims("hfftn", x, s, dim)
    x = _resize(_promote(x, require_complex=True), dims, shape)
    mode = _norm(norm, True)
    if len(dims) > 1:
        x = _S.c2c(x, dims[:-1], mode, True)
    return _S.c2r(x.conj(), dims[-1:], mode, last)


def _ihfftn(x, s, dim, norm):
    _check_real("ihfftn", x, "a real-valued input")
    shape, dims = _shape_and_dims(x, s, dim)
    if not dims:
        raise RuntimeError("ihfftn must transform at least one axis")
    mode = _norm(norm, False)
    y = _S.r2c(_resize(_promote(x), dims, shape), dims[-1:], mode, True)
    if len(dims) == 1:
        return y.conj()
    return _S.c2c(_conj_physical(y), dims[:-1], mode, False)



@_outable
def fftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
         norm: str | None = None, *, out=None) -> Tensor:
    return _fftn(input, s, dim, norm, True)


@_outable
def ifftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
          norm: str | None = None, *, out=None) -> Tensor:
    return _fftn(input, s, dim, norm, False)


@_outable
def rfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
          norm: str | None = None, *, out=None) -> Tensor:
    return _rfftn(input, s, dim, norm)


@_outable
def irfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
           norm: str | None = None, *, out=None) -> Tensor:
    return _irfftn(input, s, dim, norm)


@_outable
def hfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
          norm: str | None = None, *, out=None) -> Tensor:
    return _hfftn(input, s, dim, norm)


@_outable
def ihfftn(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] | None = None,
           norm: str | None = None, *, out=None) -> Tensor:
    return _ihfftn(input, s, dim, norm)


@_outable
def fft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
         norm: str | None = None, *, out=None) -> Tensor:
    return _fftn(input, s, dim, norm, True)


@_outable
def ifft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
          norm: str | None = None, *, out=None) -> Tensor:
    return _fftn(input, s, dim, norm, False)


@_outable
def rfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
          norm: str | None = None, *, out=None) -> Tensor:
    return _rfftn(input, s, dim, norm)


@_outable
def irfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
           norm: str | None = None, *, out=None) -> Tensor:
    return _irfftn(input, s, dim, norm)


@_outable
def hfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
          norm: str | None = None, *, out=None) -> Tensor:
    return _hfftn(input, s, dim, norm)


@_outable
def ihfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
           norm: str | None = None, *, out=None) -> Tensor:
    return _ihfftn(input, s, dim, norm)


# ---- helpers -----------------------------------------------------------------------------
def _freq(values: np.ndarray, n: int, d: float, out, dtype, device, requires_grad) -> Tensor:
    """arange-like values times 1/(n*d), computed in the result dtype as torch's mul_ is."""
    if out is not None:
        raise NotImplementedError("torch.fft.fftfreq/rfftfreq(out=...) is not implemented in "
                                  "torchlike; assign the result instead")
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_SHORT[dt.name]}")
    v = values.astype(dt.np) * np.asarray(1.0 / (n * d), dt.np)
    return _tensor(v, dtype=dt, device=device, requires_grad=requires_grad)


def fftfreq(n: int, d: float = 1.0, *, out=None, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    v = np.arange(n)
    v[(n + 1) // 2:] = np.arange(-(n // 2), 0)
    return _freq(v, n, d, out, dtype, device, requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    return _freq(np.arange(n // 2 + 1), n, d, out, dtype, device, requires_grad)


def _shift(x: Tensor, dim, inverse: bool) -> Tensor:
    if dim is None:
        dims = list(range(x.ndim))
    else:
        dims = [_wrap_dim(d, x.ndim) for d in ((dim,) if isinstance(dim, int) else dim)]
    shifts = [(x.shape[d] + inverse) // 2 for d in dims]
    return _roll(x, shifts, dims)


def fftshift(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    return _shift(input, dim, False)


def ifftshift(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    return _shift(input, dim, True)


__getattr__ = _missing("torch.fft")  # names torchlike lacks: NotImplementedError
