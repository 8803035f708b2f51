"""Functional extras: pixel/channel shuffles, unfold/fold (im2col/col2im), instance_norm,
local_response_norm, 3-d pooling, embedding_bag, rrelu, gumbel_softmax and the alpha dropouts.
Where torch composes an op of others (instance_norm, local_response_norm, gumbel_softmax, the
alpha dropouts) so does this file, so the graph and grad_fn names are torch's. The margin and
NLL losses live in _functional_extra_loss.py."""
from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _creation as _C
from .._tensor import _wrap
from ..autograd import grad_mode
from ..ops._registry import inplace as _inplace
from ..ops._registry import op, run
from ..ops.compare import no_derivative
from . import _functional_conv as FC
from ._functional_norm import batch_norm
from .functional import _lookup_checks


# ---- pixel and channel shuffles ----------------------------------------------------------
def _pixel_shuffle(x, r):
    n = x.ndim - 3
    c, h, w = x.shape[n:]
    y = x.reshape(x.shape[:n] + (c // (r * r), r, r, h, w))
    y = y.transpose(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return y.reshape(x.shape[:n] + (c // (r * r), h * r, w * r))


def _pixel_unshuffle(x, r):
    n = x.ndim - 3
    c, h, w = x.shape[n:]
    y = x.reshape(x.shape[:n] + (c, h // r, r, w // r, r))
    y = y.transpose(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return y.reshape(x.shape[:n] + (c * r * r, h // r, w // r))


pixel_shuffle_op = op("pixel_shuffle", "PixelShuffleBackward0", dtypes="same")(_pixel_shuffle)
pixel_unshuffle_op = op("pixel_unshuffle", "PixelUnshuffleBackward0", dtypes="same")(
    _pixel_unshuffle)


def _check_shuffle(name, input, factor, what):
    if input.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {input.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {factor}")


def pixel_shuffle(input, upscale_factor: int):
    r = int(upscale_factor)
    _check_shuffle("pixel_shuffle", input, r, "upscale_factor")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c}"
                           f" is not divisible by {r * r}")
    return run(pixel_shuffle_op, (input,), (("r", r),))


def pixel_unshuffle(input, downscale_factor: int):
    r = int(downscale_factor)
    _check_shuffle("pixel_unshuffle", input, r, "downscale_factor")
    for name, d in (("height", -2), ("width", -1)):
        if input.shape[d] % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({d})={input.shape[d]} is not "
                               f"divisible by {r}")
    return run(pixel_unshuffle_op, (input,), (("r", r),))


def _channel_shuffle(x, g):
    n, c = x.shape[0], x.shape[1]
    y = x.reshape((n, g, c // g) + x.shape[2:])
    return jnp.swapaxes(y, 1, 2).reshape(x.shape)


channel_shuffle_op = op("channel_shuffle", "ChannelShuffleBackward0", dtypes="same")(
    _channel_shuffle)


native_channel_shuffle_op = op("native_channel_shuffle", "NotImplemented", dtypes="same")(
    no_derivative(_channel_shuffle, "native_channel_shuffle"))


def _shuffle(which, input, groups):
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got "
                           f"{input.shape[1]} channels and {groups} groups.")
    return run(which, (input,), (("g", int(groups)),))


def channel_shuffle(input, groups: int):
    return _shuffle(channel_shuffle_op, input, groups)


def native_channel_shuffle(input, groups: int):
    """channel_shuffle without a derivative: as torch, backward through it raises."""
    return _shuffle(native_channel_shuffle_op, input, groups)


# ---- unfold / fold (im2col / col2im) -----------------------------------------------------
def _blocks(size, k, d, p, s):
    return tuple((n + 2 * pp - (dd * (kk - 1) + 1)) // ss + 1
                 for n, kk, dd, pp, ss in zip(size, k, d, p, s))


def _slices(i, j, d, s, b):
    return (slice(i * d[0], i * d[0] + s[0] * (b[0] - 1) + 1, s[0]),
            slice(j * d[1], j * d[1] + s[1] * (b[1] - 1) + 1, s[1]))


def _im2col(x, k, d, p, s):
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    n, c = x.shape[:2]
    b = _blocks(x.shape[2:], k, d, p, s)
    xp = jnp.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    cols = jnp.stack([xp[(Ellipsis,) + _slices(i, j, d, s, b)]
                      for i in range(k[0]) for j in range(k[1])], axis=2)
    out = cols.reshape(n, c * k[0] * k[1], b[0] * b[1])
    return out[0] if unbatched else out


def _col2im(x, out, k, d, p, s):
    unbatched = x.ndim == 2
    x = x[None] if unbatched else x
    n, c = x.shape[0], x.shape[1] // (k[0] * k[1])
    b = _blocks(out, k, d, p, s)
    cols = x.reshape(n, c, k[0], k[1], b[0], b[1])
    y = jnp.zeros((n, c, out[0] + 2 * p[0], out[1] + 2 * p[1]), x.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            y = y.at[(Ellipsis,) + _slices(i, j, d, s, b)].add(cols[:, :, i, j])
    y = y[:, :, p[0]:p[0] + out[0], p[1]:p[1] + out[1]]
    return y[0] if unbatched else y


im2col_op = op("im2col", "Im2ColBackward0", dtypes="same")(_im2col)
col2im_op = op("col2im", "Col2ImBackward0", dtypes="same")(_col2im)


def _pairs(*vals):
    return tuple(FC._tuple(v, 2) for v in vals)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    k, d, p, s = _pairs(kernel_size, dilation, padding, stride)
    if input.ndim not in (3, 4):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           "and other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    size = tuple(input.shape[-2:])
    b = _blocks(size, k, d, p, s)
    if min(b) < 1:
        raise RuntimeError(f"Given input with spatial size {size}, kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of "
                           f"sliding blocks as {b}, but its components must be at least one.")
    return run(im2col_op, (input,), (("k", k), ("d", d), ("p", p), ("s", s)))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    out, k, d, p, s = _pairs(output_size, kernel_size, dilation, padding, stride)
    if input.ndim not in (2, 3):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    ch, nb = input.shape[-2], input.shape[-1]
    if ch % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension {input.ndim - 2} to be "
                           f"divisible by the product of kernel_size, but got "
                           f"input.size({input.ndim - 2})={ch} and kernel_size={k}.")
    b = _blocks(out, k, d, p, s)
    if b[0] * b[1] != nb:
        raise RuntimeError(f"Given output_size={out}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension "
                           f"{input.ndim - 1} to match the calculated number of sliding "
                           f"blocks {b[0]} * {b[1]} = {b[0] * b[1]}, but got "
                           f"input.size({input.ndim - 1})={nb}.")
    return run(col2im_op, (input,), (("out", out), ("k", k), ("d", d), ("p", p), ("s", s)))


# ---- normalization -----------------------------------------------------------------------
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """at::instance_norm: batch_norm over the input viewed as (1, N*C, *spatial)."""
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    b, c = input.shape[0], input.shape[1]

    def rep(t):
        return None if t is None else t.repeat(b)
    rm, rv = rep(running_mean), rep(running_var)
    x = input.contiguous().view((1, b * c) + tuple(input.shape[2:]))
    out = batch_norm(x, rm, rv, rep(weight), rep(bias), use_input_stats, momentum, eps)
    with grad_mode.no_grad():
        for stat, new in ((running_mean, rm), (running_var, rv)):
            if stat is not None:
                stat.copy_(new.view(b, c).mean(0))
    return out.view(tuple(input.shape))


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0):
    dim = input.ndim
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    from .functional import pad
    div = input.mul(input)
    if dim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = FC.avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = tuple(input.shape)
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


# ---- 3-d pooling -------------------------------------------------------------------------
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return FC._max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return FC._avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override)


# ---- embedding_bag -----------------------------------------------------------------------
def _embedding_bag(w, idx, bag, psw, mode, nbags, padding_idx):
    rows = jnp.take(w, idx, axis=0)
    keep = jnp.ones(idx.shape, bool) if padding_idx is None else idx != padding_idx
    if mode == "max":
        vals = jnp.where(keep[:, None], rows, -jnp.inf)
        top = jax.ops.segment_max(vals, bag, nbags)
        pos = jnp.arange(idx.shape[0])[:, None]
        hit = (vals == top[jnp.clip(bag, 0, nbags - 1)]) & keep[:, None]
        first = jax.ops.segment_min(jnp.where(hit, pos, idx.shape[0]), bag, nbags)
        found = first < idx.shape[0]
        first = jax.lax.stop_gradient(jnp.where(found, first, 0))
        return jnp.where(found, jnp.take_along_axis(rows, first, 0), 0).astype(w.dtype)
    rows = jnp.where(keep[:, None], rows, 0)
    if psw is not None:
        rows = rows * psw[:, None]
    total = jax.ops.segment_sum(rows, bag, nbags)
    if mode == "sum":
        return total
    count = jax.ops.segment_sum(keep.astype(w.dtype), bag, nbags)
    return (total / jnp.maximum(count, 1)[:, None]).astype(w.dtype)


embedding_bag_op = op("embedding_bag", "EmbeddingBagBackward0", dtypes="same", edges=(0, 3))(
    _embedding_bag)


def _bag_ids(n, offsets, include_last_offset):
    offs = np.asarray(offsets._data).astype(np.int64)
    if offs.size and offs[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {offs[0]}\n"
                           "[ torch.LongTensor{} ]")
    if offs.size and offs[-1] > n:
        raise RuntimeError("Expected i < index_size to be true, but got false.  (Could this "
                           "error message be improved?  If so, please report an enhancement "
                           "request to PyTorch.)")
    nbags = max(len(offs) - 1, 0) if include_last_offset else len(offs)
    ids = np.searchsorted(offs, np.arange(n), side="right") - 1
    return _wrap(jnp.asarray(ids)), nbags


def _type_str(v):
    from .._tensor import Tensor
    return "<class 'torch.Tensor'>" if isinstance(v, Tensor) else str(type(v))


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """torch's embedding_bag (its first output). scale_grad_by_freq and sparse=True are not
    implemented."""
    from .._errors import NotImplementedOp
    if weight.dtype.name == "int64" and input.dtype.kind == "f":
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    psw = per_sample_weights
    if psw is not None and tuple(input.shape) != tuple(psw.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({psw.shape}) is not None, "
                         f"then it must have the same shape as the input ({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {_type_str(offsets)}")
        offsets = _C.arange(0, input.numel(), input.shape[1], dtype=input.dtype)
        include_last_offset = False
        input = input.reshape(-1)
        psw = None if psw is None else psw.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if sparse or scale_grad_by_freq:
        raise NotImplementedOp("embedding_bag(sparse=True / scale_grad_by_freq=True) is not "
                               "implemented in torchlike")
    if input.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got torch."
                           f"{input.dtype.name.replace('float32', 'FloatTensor')} instead "
                           "(while checking arguments for embedding_bag)")
    _lookup_checks(input, weight, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' "
                                  f"(got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if padding_idx is not None:
        padding_idx = int(padding_idx) % weight.shape[0]
    bag, nbags = _bag_ids(input.shape[0], offsets, include_last_offset)
    return run(embedding_bag_op, (weight, input, bag, psw),
               (("mode", mode), ("nbags", nbags), ("padding_idx", padding_idx)))


# ---- rrelu, gumbel_softmax, alpha dropouts -----------------------------------------------
def _rrelu(x, noise):
    return jnp.where(x > 0, x, x * noise.astype(x.dtype))


rrelu_op = op("rrelu_with_noise", "RreluWithNoiseBackward0", dtypes="same", edges=(0,))(_rrelu)
rrelu_inplace_op = op("rrelu_with_noise_", "RreluWithNoiseBackward1", dtypes="same",
                      edges=(0,))(_rrelu)


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False):
    """Training draws each negative element's slope from torchlike's generator (values differ
    from torch's draws)."""
    if training:
        noise = _C.empty_like(input).uniform_(lower, upper)
    else:
        noise = _C.full((), (lower + upper) / 2, dtype=input.dtype)
    if inplace:
        return _inplace(input, run(rrelu_inplace_op, (input, noise)))
    return run(rrelu_op, (input, noise))


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False):
    return rrelu(input, lower, upper, training, True)


def gumbel_softmax(logits, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1):
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -_C.empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = _C.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


_ALPHA = 1.7580993408473766


def _alpha_dropout(input, p, training, inplace, feature):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        out = input.mul(_C.zeros((), dtype=input.dtype))
        return _inplace(input, out) if inplace else out
    shape = tuple(input.shape)
    if feature:
        shape = shape[:2] + (1,) * (len(shape) - 2)
    noise = _C.empty(shape, dtype=input.dtype).bernoulli_(1 - p)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = noise.add(-1).mul_(_ALPHA * a).add_(_ALPHA * a * p)
    out = input.mul(noise.mul_(a)).add_(b)
    return _inplace(input, out) if inplace else out


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False,
                          inplace: bool = False):
    return _alpha_dropout(input, p, training, inplace, True)
