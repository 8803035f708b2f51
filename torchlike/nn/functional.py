"""torch.nn.functional: activations, softmax, linear, dropout, embedding, padding, distances.
Convolution/pooling, normalization and losses live in _functional_{conv,norm,loss}.py and are
re-exported here. Kernels are entries of the op table (torchlike/ops/nn.py)."""
from __future__ import annotations

from .._errors import missing as _missing
import math
import warnings

import jax
import numpy as np

from .. import _dtype as D
from .._random import rng as _rng
from .._tensor import _CTYPE, _wrap, _wrap_dim
from ..autograd import grad_mode
from ..ops import linalg as _L
from ..ops import nn as K
from ..ops import shape as _S
from ..ops import pointwise as _P
from ..ops.compare import outable as _outable
from ..ops.shape import unsafe_view as _unsafe_view
from ..ops._registry import inplace as _inplace
from ..ops._registry import op as _op
from ..ops._registry import run
from ._functional_attention import scaled_dot_product_attention as \
    scaled_dot_product_attention
from ._functional_conv import adaptive_avg_pool1d as adaptive_avg_pool1d
from ._functional_conv import adaptive_avg_pool2d as adaptive_avg_pool2d
from ._functional_conv import adaptive_max_pool1d as adaptive_max_pool1d
from ._functional_conv import adaptive_max_pool2d as adaptive_max_pool2d
from ._functional_conv import avg_pool1d as avg_pool1d
from ._functional_conv import avg_pool2d as avg_pool2d
from ._functional_conv import conv1d as conv1d
from ._functional_conv import conv2d as conv2d
from ._functional_conv import conv3d as conv3d
from ._functional_conv import conv_transpose1d as conv_transpose1d
from ._functional_conv import conv_transpose2d as conv_transpose2d
from ._functional_conv import max_pool1d as max_pool1d
from ._functional_conv import max_pool2d as max_pool2d
from ._functional_mha import multi_head_attention_forward as multi_head_attention_forward
from ._functional_loss import binary_cross_entropy as binary_cross_entropy
from ._functional_loss import binary_cross_entropy_with_logits as \
    binary_cross_entropy_with_logits
from ._functional_loss import cross_entropy as cross_entropy
from ._functional_loss import huber_loss as huber_loss
from ._functional_loss import kl_div as kl_div
from ._functional_loss import l1_loss as l1_loss
from ._functional_loss import mse_loss as mse_loss
from ._functional_loss import nll_loss as nll_loss
from ._functional_loss import smooth_l1_loss as smooth_l1_loss
from ._functional_norm import batch_norm as batch_norm
from ._functional_norm import group_norm as group_norm
from ._functional_norm import layer_norm as layer_norm
from ._functional_norm import rms_norm as rms_norm
from ._functional_upsample import interpolate as interpolate
from ._functional_upsample import upsample as upsample
from ._functional_upsample import upsample_bilinear as upsample_bilinear
from ._functional_upsample import upsample_nearest as upsample_nearest

sigmoid = _P.sigmoid
tanh = _P.tanh


# ---- activations -------------------------------------------------------------------------
def _apply(kernel, input, inplace, operands=(), statics=()):
    out = run(kernel, (input,) + tuple(operands), statics)
    return _inplace(input, out) if inplace else out


def _inplace_twin(kernel, grad_fn):
    """The same body recorded under torch's in-place node name (LeakyReluBackward1, ...)."""
    return _op(kernel.name + "_", grad_fn, dtypes="promote", promote=(0,))(kernel.body)


_leaky_relu_ = _inplace_twin(K.leaky_relu_op, "LeakyReluBackward1")
_elu_ = _inplace_twin(K.elu_op, "EluBackward1")
_celu_ = _inplace_twin(K.celu_op, "CeluBackward1")
_threshold_ = _inplace_twin(K.threshold_op, "ThresholdBackward1")


def relu(input, inplace=False):
    return input.relu_() if inplace else _P.relu(input)


def relu_(input):
    return input.relu_()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _apply(_leaky_relu_ if inplace else K.leaky_relu_op, input, inplace,
                  (negative_slope,))


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    return _apply(_elu_ if inplace else K.elu_op, input, inplace, (alpha, 1.0, 1.0))


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return _apply(_elu_ if inplace else K.elu_op, input, inplace,
                  (_SELU_ALPHA, _SELU_SCALE, 1.0))


def celu(input, alpha=1.0, inplace=False):
    return _apply(_celu_ if inplace else K.celu_op, input, inplace, (alpha,))


def threshold(input, threshold, value, inplace=False):
    return _apply(_threshold_ if inplace else K.threshold_op, input, inplace,
                  (threshold, value))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _apply(K.hardtanh_op, input, inplace, (min_val, max_val))


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return run(K.gelu_op, (input,), (("approximate", approximate),))


def silu(input, inplace=False):
    return _apply(K.silu_op, input, inplace)


def mish(input, inplace=False):
    return _apply(K.mish_op, input, inplace)


def hardswish(input, inplace=False):
    return _apply(K.hardswish_op, input, inplace)


def hardsigmoid(input, inplace=False):
    return _apply(K.hardsigmoid_op, input, inplace)


def logsigmoid(input):
    return run(K.logsigmoid_op, (input,))


def softplus(input, beta=1.0, threshold=20.0):
    return run(K.softplus_op, (input, beta, threshold))


def softsign(input):
    return run(K.softsign_op, (input,))


def tanhshrink(input):
    return run(K.tanhshrink_op, (input,))


def hardshrink(input, lambd=0.5):
    return run(K.hardshrink_op, (input, lambd))


def softshrink(input, lambd=0.5):
    return run(K.softshrink_op, (input, lambd))


def prelu(input, weight):
    """at::prelu: torch's checks, then the weight reshaped (a ViewBackward0 in the graph) to
    broadcast over the channels (dimension 1) of an input of another rank, then the kernel."""
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    n = weight.numel()
    if n != 1:
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.ndim >= 2 else 1
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
    if input.ndim != weight.ndim:
        dims = [1] * input.ndim
        if input.ndim >= 2:
            dims[1] = n
        weight = weight.reshape(dims)
    return run(K.prelu_op, (input, weight))


def glu(input, dim=-1):
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    return run(K.glu_op, (input,), (("dim", d),))


# ---- softmax family ----------------------------------------------------------------------
def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return K.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return K.log_softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    return run(K.softmin_op, (input,), (("dim", _wrap_dim(dim, input.ndim)),
                                        ("dtype", None if dtype is None else
                                         D.to_dtype(dtype))))




# ---- linear ------------------------------------------------------------------------------
def _check_bias(bias, weight, rows):
    """addmm's shape check of its `self` operand (the bias)."""
    _L._check_self(bias, (rows, weight.shape[0]))


def linear(input, weight, bias=None):
    """at::linear, op by op (so its graph is torch's): addmm for 2-D input with bias, addmm on
    the input viewed as a matrix for contiguous input with a vector bias, else matmul, then
    add_ the bias."""
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.ndim}D and {weight.ndim}D")
    fused = bias is not None and (input.ndim == 2 or (
        bias.ndim == 1 or sum(n != 1 for n in bias.shape) == 1)
        and bias.is_contiguous() and input.is_contiguous())
    if fused:  # addmm(bias, input, weight.t())
        _L._addmm_dtypes(bias, input, weight)
    elif input.dtype is not weight.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CTYPE[input.dtype.name]} != {_CTYPE[weight.dtype.name]}")
    k, lead = input.shape[-1], tuple(input.shape[:-1])
    rows = math.prod(lead)
    if weight.ndim != 2:  # a vector: torch's weight.t() is the vector itself
        if fused:  # raises: mat2 must be a matrix
            _L.addmm(bias, _S.reshape(input, (rows, k)), _S.t(weight))
        out = _L.matmul(input, _S.t(weight))
        return out if bias is None else out.add_(bias)
    if k != weight.shape[1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    _L._no_bool("addmm_impl_cpu_", input)
    if fused:
        _check_bias(bias, weight, rows)
        if input.ndim == 2:
            return run(K.linear_addmm, (bias, input, K.weight_t(weight)))
        x = _S.reshape(input, (rows, k))
        return _S.view(run(K.linear_addmm, (bias, x, K.weight_t(weight))),
                       lead + (weight.shape[0],))
    # matmul(input, weight.t()): mm, or the input folded to a matrix for mm, or bmm
    if input.ndim <= 2:
        x = input if input.ndim == 2 else _S.unsqueeze(input, 0)
        out = run(K.linear_mm, (x, K.weight_t(weight)))
        out = out if input.ndim == 2 else _S.squeeze_(out, 0)
    else:
        wt = K.weight_t(weight)
        if _L._should_fold(input, wt):
            out = run(K.linear_mm, (_L.reshape(input, (rows, k)), wt))
            out = _unsafe_view(out, lead + (weight.shape[0],))
        else:
            out = _L.matmul(input, _S.t(weight))
    return out if bias is None else out.add_(bias)


def bilinear(input1, input2, weight, bias=None):
    return run(K.bilinear_op, (input1, input2, weight, bias))


# ---- dropout -----------------------------------------------------------------------------
def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout(input, p, training, inplace, noise_shape):
    _check_p(p)
    if not training or p == 0:
        return input
    noise = K.dropout_noise(noise_shape, p, input.dtype, _rng())
    noise = _wrap(jax.device_put(noise, next(iter(input._data.devices()))))
    out = _P.mul(input, noise)
    return _inplace(input, out) if inplace else out


def dropout(input, p=0.5, training=True, inplace=False):
    return _dropout(input, p, training, inplace, tuple(input.shape))


def _feature_dropout(input, p, training, inplace, nd):
    """torch's dropout1d/2d/3d: one draw per (sample, channel) of the first two dimensions,
    an unbatched input (1d, 3d) getting a batch dimension added and removed around it."""
    _check_p(p)
    ranks, name = (nd + 1, nd + 2), f"dropout{nd}d"
    if input.ndim not in ranks:
        if nd == 1:
            raise RuntimeError(
                f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note "
                "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
                "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
                "inputs).")
        warnings.warn(
            f"{name}: Received a {input.ndim}-D input to {name}, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            f"warning, please use dropout instead. Note that {name} exists to provide "
            f"channel-wise dropout on inputs with {nd} spatial dimensions, a channel dimension, "
            f"and an optional batch dimension (i.e. {ranks[0]}D or {ranks[1]}D inputs).",
            stacklevel=3)
    if nd == 2 and input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=3)
    unbatched = nd != 2 and input.ndim != ranks[1]
    x = input if not unbatched else input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    out = _dropout(x, p, training, inplace, tuple(x.shape[:2]) + (1,) * (x.ndim - 2))
    if unbatched:
        out = out.squeeze_(0) if inplace else out.squeeze(0)
    return out


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 2)


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, inplace, 3)


def _lookup_checks(input, weight, max_norm, norm_type) -> None:
    """embedding / embedding_bag: indices in range; max_norm renormalises the rows in place."""
    idx = np.asarray(input._data)
    if idx.size and (idx.min() < 0 or idx.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        with grad_mode.no_grad():
            weight._set_data(run(K.embedding_renorm_op, (weight, input),
                                 (("max_norm", float(max_norm)),
                                  ("norm_type", float(norm_type))))._data)

# ---- embedding, one_hot ------------------------------------------------------------------
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    if sparse:
        from .._errors import NotImplementedOp
        raise NotImplementedOp("embedding(sparse=True): torchlike has no sparse gradients")
    if input.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"torch.{input.dtype.name.replace('float32', 'FloatTensor')} "
                           "instead (while checking arguments for embedding)")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n
    _lookup_checks(input, weight, max_norm, norm_type)
    return run(K.embedding_op, (weight, input), (("padding_idx", padding_idx),
                                                 ("scale_grad", bool(scale_grad_by_freq))))


def one_hot(tensor, num_classes=-1):
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    values = np.asarray(tensor._data)
    if values.size and values.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(values.max()) + 1 if values.size else 0
    elif values.size and values.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return run(K.one_hot_op, (tensor,), (("num", int(num_classes)),))


# ---- padding -----------------------------------------------------------------------------
def pad(input, pad, mode="constant", value=None):
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the "
                           "input dimension but got padding length "
                           f"{len(pad)} and input of dimension {input.ndim}")
    pairs = tuple((int(pad[i]), int(pad[i + 1])) for i in range(len(pad) - 2, -1, -2))
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant" and value:
        raise AssertionError('Padding mode "{}"" doesn\'t take in value argument'.format(mode))
    return run(K.pad_op, (input, 0 if value is None else value),
               (("pads", pairs), ("mode", mode)))


# ---- distances ---------------------------------------------------------------------------
@_outable
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    return run(K.normalize_op, (input, eps), (("p", float(p)),
                                              ("dim", _wrap_dim(dim, input.ndim))))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    if x1.shape != x2.shape:  # torch broadcasts the two first
        x1, x2 = _S.broadcast_tensors(x1, x2)
    return run(K.cosine_similarity_op, (x1, x2, eps), (("dim", _wrap_dim(dim, x1.ndim)),))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return run(K.pairwise_distance_op, (x1, x2, eps), (("p", float(p)),
                                                       ("keepdim", bool(keepdim))))
from ._functional_extra import pixel_shuffle as pixel_shuffle  # noqa: E402
from ._functional_extra import pixel_unshuffle as pixel_unshuffle  # noqa: E402
from ._functional_extra import channel_shuffle as channel_shuffle  # noqa: E402
from ._functional_extra import native_channel_shuffle as native_channel_shuffle  # noqa: E402
from ._functional_extra import unfold as unfold  # noqa: E402
from ._functional_extra import fold as fold  # noqa: E402
from ._functional_extra import instance_norm as instance_norm  # noqa: E402
from ._functional_extra import local_response_norm as local_response_norm  # noqa: E402
from ._functional_extra import avg_pool3d as avg_pool3d  # noqa: E402
from ._functional_extra import max_pool3d as max_pool3d  # noqa: E402
from ._functional_extra import embedding_bag as embedding_bag  # noqa: E402
from ._functional_extra import rrelu as rrelu  # noqa: E402
from ._functional_extra import rrelu_ as rrelu_  # noqa: E402
from ._functional_extra import gumbel_softmax as gumbel_softmax  # noqa: E402
from ._functional_extra import alpha_dropout as alpha_dropout  # noqa: E402
from ._functional_extra import feature_alpha_dropout as feature_alpha_dropout  # noqa: E402
from ._functional_extra_loss import triplet_margin_loss as triplet_margin_loss  # noqa: E402
from ._functional_extra_loss import margin_ranking_loss as margin_ranking_loss  # noqa: E402
from ._functional_extra_loss import hinge_embedding_loss as hinge_embedding_loss  # noqa: E402
from ._functional_extra_loss import cosine_embedding_loss as cosine_embedding_loss  # noqa: E402
from ._functional_extra_loss import multi_margin_loss as multi_margin_loss  # noqa: E402
from ._functional_extra_loss import multilabel_margin_loss as multilabel_margin_loss  # noqa: E402,E501
from ._functional_extra_loss import poisson_nll_loss as poisson_nll_loss  # noqa: E402
from ._functional_extra_loss import gaussian_nll_loss as gaussian_nll_loss  # noqa: E402
from ._functional_grid import affine_grid as affine_grid  # noqa: E402
from ._functional_grid import grid_sample as grid_sample  # noqa: E402
from ._functional_ctc import ctc_loss as ctc_loss  # noqa: E402


__getattr__ = _missing("torch.nn.functional")  # names torchlike lacks: NotImplementedError
