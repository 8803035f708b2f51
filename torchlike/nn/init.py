"""torch.nn.init: in-place initializers. Values are drawn on the host from torchlike's
generator (torch's distributions and bounds; the streams differ from torch's mt19937). A meta
tensor is left as it is: nothing is allocated or drawn."""
from __future__ import annotations

from .._errors import missing as _missing
import math
import warnings

import jax
import numpy as np

from .._meta import Meta
from .._random import rng as _rng
from .._tensor import Tensor


def _fill(tensor: Tensor, values) -> Tensor:
    """Write host values (or what values() makes) into `tensor` in place (under no_grad, as
    torch's initializers)."""
    if _is_meta(tensor):  # no values to write; the write still counts, as in torch
        tensor._set_data(tensor._data)
        return tensor
    if callable(values):
        values = values()
    arr = np.asarray(values).astype(tensor.dtype.np, copy=False).reshape(tuple(tensor.shape))
    tensor._set_data(jax.device_put(arr, next(iter(tensor._data.devices()))))
    return tensor


def _is_meta(tensor: Tensor) -> bool:
    return tensor._data.__class__ is Meta


def calculate_gain(nonlinearity: str, param=None) -> float:
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    return _fill(tensor, lambda: _rng(generator).uniform(tuple(tensor.shape), tensor.dtype.np,
                                                         a, b))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    return _fill(tensor, lambda: _rng(generator).normal(tuple(tensor.shape), tensor.dtype.np,
                                                        mean, std, tensor.is_contiguous()))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Normal(mean, std) truncated to [a, b], by torch's rejection sampling (the same draws)."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)

    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0
    if _is_meta(tensor):
        return tensor
    g, shape, dt = _rng(generator), tuple(tensor.shape), tensor.dtype.np
    if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:  # redraw what falls outside
        lo, hi = dt.type(a), dt.type(b)
        result = g.normal(shape, dt, mean, std, tensor.is_contiguous())
        while True:
            out = (result < lo) | (result > hi)
            if not out.any():
                return _fill(tensor, result)
            result = np.where(out, g.normal(shape, dt, mean, std), result)
    # a narrow window: uniform candidates, accepted with probability pdf / pdf(mode)
    f = dt.type
    log_peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2

    def log_pdf(c):
        return (((c - f(mean)) / f(std)) ** 2 * f(-0.5) - f(log_peak)).astype(dt)
    result = g.uniform(shape, dt, a, b)
    pending = np.log(g.uniform(shape, dt)) > log_pdf(result)
    while pending.any():
        cand = g.uniform(shape, dt, a, b)
        result = np.where(pending, cand, result)
        pending = np.where(pending, np.log(g.uniform(shape, dt)) > log_pdf(cand), pending)
    return _fill(tensor, result)


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, lambda: np.full(tuple(tensor.shape), val))


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, lambda: np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    dims = tensor.ndim
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per = sizes[0] // groups
    if _is_meta(tensor):
        return tensor
    values = np.zeros(sizes)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min(out_per, sizes[1])):
            values[(g * out_per + d, d) + centre] = 1
    return _fill(tensor, values)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of "
                         "['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a, mode, nonlinearity):
    """He et al.'s std for `tensor`, or None (with torch's warning) for an empty tensor."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)  # torch's order: the fan's errors come first
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return tensor if std is None else normal_(tensor, 0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0 or _is_meta(tensor):
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).normal((rows, cols), tensor.dtype.np).astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, q * gain)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    if _is_meta(tensor):
        return tensor
    rows, cols = tensor.shape
    values = _rng(generator).normal((rows, cols), tensor.dtype.np, 0, std)
    zeros = int(math.ceil(sparsity * rows))
    for c in range(cols):  # torch draws these permutations from the default generator
        values[_rng(None).permutation(rows)[:zeros], c] = 0
    return _fill(tensor, values)


def _deprecated(new):
    """torch's deprecated non-underscore name for `new`: warns, then calls it."""
    old = new.__name__[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new.__name__}`.",
                      FutureWarning, stacklevel=2)
        return new(*args, **kwargs)
    deprecated_init.__name__ = deprecated_init.__qualname__ = old
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)


__getattr__ = _missing("torch.nn.init")  # names torchlike lacks: NotImplementedError
