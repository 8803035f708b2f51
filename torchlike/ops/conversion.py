"""Tensor.to: dtype and device movement (ToCopyBackward0)."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _device
from .. import _dtype as D
from .._tensor import Tensor, _wrap
from ._registry import op, run


def _to_rule(op_, operands, statics):
    return None, dict(statics)["dtype"]


def _convert(a, dtype, xp=jnp):
    if xp is not jnp and a.dtype.kind in "fc" and (dtype.kind in "iub" or a.dtype.kind
                                                          != dtype.kind):
        # float -> int (nan, out of range) and complex -> real are not numpy's conversions
        raise NotImplementedError
    return a.astype(dtype.np)


_to_copy = op("to_copy", "ToCopyBackward0", dtypes=_to_rule, saves=False, host=True)(_convert)


def _parse(args, kwargs):
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (D.dtype, type)):
            dtype = a
        elif isinstance(a, (str, _device.device, int)) and not isinstance(a, bool):
            device = a
    return (None if dtype is None else D.to_dtype(dtype),
            None if device is None else _device.device(device))


def to(self, *args, copy=False, non_blocking=False, memory_format=None, **kwargs):
    """Tensor.to(dtype) / to(device) / to(other) / to(device, dtype)."""
    dtype, device = _parse(args, kwargs)
    out = self
    if dtype is not None and dtype is not self.dtype:
        out = run(_to_copy, (out,), (("dtype", dtype),))
    if device is not None and device != out.device:
        # The move records ToCopyBackward0 as in torch; gradients need no device handling
        # beyond jax's own transfers.
        out = run(_to_copy, (out,), (("dtype", out.dtype),)) if out._rg else _wrap(out._data)
        out._data = jax.device_put(out._data, _device.jax_device(device))
        return out
    if copy and out is self:
        return self.clone()
    return out
