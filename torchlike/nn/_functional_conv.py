"""Functional convolution and pooling: argument checks and geometry, then one table op."""
from __future__ import annotations

import warnings

from ..ops import nn as K
from ..ops._registry import run


def _tuple(v, n: int, name: str = "") -> tuple:
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return (int(v[0]),) * n
        return tuple(int(x) for x in v)
    return (int(v),) * n


# ---- convolution -------------------------------------------------------------------------
def _check_conv_input(nd, name, input, weight, groups, transposed=False):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    unbatched = input.ndim == nd + 1
    cin = input.shape[0 if unbatched else 1]
    want = weight.shape[0] if transposed else weight.shape[1] * groups
    if cin != want:
        shape = list(input.shape if not unbatched else (1,) + tuple(input.shape))
        if transposed:
            raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, "
                               f"expected input{shape} to have {want} channels, but got {cin} "
                               "channels instead")
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{shape} to have {want} channels, but got {cin} "
                           "channels instead")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"Input type ({input.dtype.name}) and weight type "
                           f"({weight.dtype.name}) should be the same")
    return unbatched


def conv_padding(nd, padding, kernel, stride, dilation) -> tuple:
    """torch's padding argument (int, tuple, 'valid', 'same') as (low, high) pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
        if any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        if any(t % 2 for t in total):
            warnings.warn("Using padding='same' with even kernel lengths and odd dilation may "
                          "require a zero-padded copy of the input be created", stacklevel=4)
        return tuple((t // 2, t - t // 2) for t in total)
    return tuple((p, p) for p in _tuple(padding, nd))


def _conv(nd, input, weight, bias, stride, padding, dilation, groups, mode="zeros"):
    unbatched = _check_conv_input(nd, f"conv{nd}d", input, weight, groups)
    stride, dilation = _tuple(stride, nd), _tuple(dilation, nd)
    pads = conv_padding(nd, padding, tuple(weight.shape[2:]), stride, dilation)
    return run(K.conv_op, (input, weight, bias),
               (("stride", stride), ("padding", pads), ("dilation", dilation),
                ("groups", int(groups)), ("mode", mode), ("unbatched", unbatched)))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    unbatched = _check_conv_input(nd, f"conv_transpose{nd}d", input, weight, groups, True)
    return run(K.conv_transpose_op, (input, weight, bias),
               (("stride", _tuple(stride, nd)), ("padding", _tuple(padding, nd)),
                ("out_pad", _tuple(output_padding, nd)), ("dilation", _tuple(dilation, nd)),
                ("groups", int(groups)), ("unbatched", unbatched)))


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


# ---- pooling -----------------------------------------------------------------------------
def _pool_geometry(input, nd, k, s, p, d, ceil_mode):
    """Output sizes and (low, high) paddings so every window lies inside the padded input."""
    sizes = tuple(input.shape[input.ndim - nd:])
    outs, pads = [], []
    for n, kk, ss, pp, dd in zip(sizes, k, s, p, d):
        eff = dd * (kk - 1) + 1
        num = n + 2 * pp - eff
        o = (-(-num // ss) if ceil_mode else num // ss) + 1
        if ceil_mode and (o - 1) * ss >= n + pp:
            o -= 1  # the last window must start inside the input or the left padding
        outs.append(o)
        pads.append((pp, (o - 1) * ss + eff - n - pp))
    if any(o <= 0 for o in outs):
        lead = input.shape[-nd - 1] if input.ndim > nd else 1
        given = "x".join(str(v) for v in (lead,) + sizes)
        calc = "x".join(str(v) for v in (lead,) + tuple(max(o, 0) for o in outs))
        raise RuntimeError(f"Given input size: ({given}). Calculated output size: ({calc}). "
                           "Output size is too small")
    return tuple(outs), tuple(pads)


def _pool_args(nd, input, kernel_size, stride, padding, dilation):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected "
                           "for input")
    k = _tuple(kernel_size, nd)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _tuple(stride, nd)
    return k, s, _tuple(padding, nd), _tuple(dilation, nd)


def _max_pool(nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    k, s, p, d = _pool_args(nd, input, kernel_size, stride, padding, dilation)
    for kk, pp, dd in zip(k, p, d):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
    out, pads = _pool_geometry(input, nd, k, s, p, d, ceil_mode)
    statics = (("k", k), ("s", s), ("p", p), ("d", d), ("pads", pads), ("out", out))
    if return_indices:
        return run(K.max_pool_idx_op, (input,), statics)
    return run(K.max_pool_op, (input,), statics)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _avg_pool(nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    k, s, p, d = _pool_args(nd, input, kernel_size, stride, padding, 1)
    for kk, pp in zip(k, p):
        if pp > kk // 2:
            raise RuntimeError("pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation=1")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out, pads = _pool_geometry(input, nd, k, s, p, d, ceil_mode)
    return run(K.avg_pool_op, (input,), (("k", k), ("s", s), ("p", p), ("pads", pads),
                                         ("out", out), ("include_pad", bool(count_include_pad)),
                                         ("override", divisor_override)))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    return _avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def _adaptive_out(nd, input, output_size):
    sizes = tuple(input.shape[input.ndim - nd:])
    out = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(out) != nd:
        raise ValueError(f"adaptive pool output_size must have {nd} elements")
    return tuple(int(n if o is None else o) for o, n in zip(out, sizes))


def adaptive_avg_pool1d(input, output_size):
    return run(K.adaptive_avg_op, (input,), (("out", _adaptive_out(1, input, output_size)),))


def adaptive_avg_pool2d(input, output_size):
    return run(K.adaptive_avg_op, (input,), (("out", _adaptive_out(2, input, output_size)),))


def _adaptive_max(nd, input, output_size, return_indices):
    val, idx = run(K.adaptive_max_op, (input,), (("out", _adaptive_out(nd, input,
                                                                         output_size)),))
    return (val, idx) if return_indices else val


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max(1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_max(2, input, output_size, return_indices)
