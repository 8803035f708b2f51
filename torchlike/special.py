"""torch.special: most entries are torch's own pointwise ops under another name; the rest
are registered in ops/spectral.py."""
from __future__ import annotations

from ._errors import missing as _missing
from ._tensor import Tensor
from .ops import unary as _unary
from .ops._registry import run as _run
from .ops.compare import not_impl as _not_impl
from .ops.compare import outable as _outable
from .ops.extra import sinc as sinc
from .ops.extra import xlogy as xlogy
from .ops.nn import log_softmax as _log_softmax
from .ops.nn import softmax as _softmax
from .ops.reduction import logsumexp as logsumexp
from .ops.spectral import bessel_j0 as bessel_j0
from .ops.spectral import bessel_j1 as bessel_j1
from .ops.spectral import entr as entr
from .ops.spectral import erfcx as erfcx
from .ops.spectral import i0 as i0
from .ops.spectral import i0e as i0e
from .ops.spectral import i1 as i1
from .ops.spectral import i1e as i1e
from .ops.spectral import log_ndtr as log_ndtr
from .ops.spectral import mvlgamma as multigammaln
from .ops.spectral import ndtr as ndtr
from .ops.spectral import ndtri as ndtri
from .ops.spectral import polygamma as polygamma
from .ops.spectral import igamma as gammainc
from .ops.spectral import igammac as gammaincc
from .ops.spectral import xlog1py as xlog1py
from .ops.spectral import zeta as zeta
from .ops.unary import digamma as digamma
from .ops.unary import digamma as psi
from .ops.unary import erf as erf
from .ops.unary import erfc as erfc
from .ops.unary import erfinv as erfinv
from .ops.unary import exp2 as exp2
from .ops.unary import expm1 as expm1
from .ops.unary import lgamma as gammaln
from .ops.unary import log1p as log1p
from .ops.unary import logit as logit
from .ops.unary import sigmoid as expit

__all__ = ["bessel_j0", "bessel_j1", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv",
           "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1",
           "i1e", "log1p", "log_ndtr",
           "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma",
           "psi", "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta"]


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    return _log_softmax(input, dim, dtype)


@_outable
def round(input: Tensor, *, decimals: int = 0, out=None) -> Tensor:
    """torch.round's decimals overload even for decimals=0 (RoundBackward1)."""
    if input.dtype.kind != "f":
        raise _not_impl("round_vml_cpu", input.dtype)
    return _run(_unary._round_decimals, (input,), (("decimals", int(decimals)),))


__getattr__ = _missing("torch.special")  # names torchlike lacks: NotImplementedError
