"""torch's backward formulas for nn functions (derivatives.yaml, FunctionsManual.cpp), in
torchlike ops: losses (l1, binary cross-entropy with logits), activations whose formula is a
chain of ops (mish, softsign), embedding's backward kernel, and the norms: layer_norm's and
batch_norm's backward kernels (their nodes with torch's edges), group_norm's formula.

Where torchlike runs as one op what torch composes of several (l1_loss is |input - target|
reduced, softsign is x / (|x| + 1)), the gradient is what torch's engine builds through
those ops, in the order it adds the paths."""
from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._creation import full_like
from .._tensor import _wrap
from ..ops import nn as K
from ..ops.nn import logsigmoid_op
from ..ops._registry import op, run
from ..ops.compare import no_derivative
from ..ops.shape import broadcast_shape
from .formulas import (_softmax_backward, _tanh_backward, add_scalar, div_scalar, formula,
                       forward, mul_scalar, sum_backward)


@formula("l1_loss")
def _l1_loss(g, xs, st, diff):
    x, y = xs  # torch's l1_loss broadcasts them first (broadcast_tensors: an expand each)
    shape, reduction = tuple(broadcast_shape(x.shape, y.shape)), st["reduction"]
    d = (x if tuple(x.shape) == shape else x.expand(shape)) - (
        y if tuple(y.shape) == shape else y.expand(shape))
    if reduction == "mean":
        g = div_scalar(sum_backward(g, shape, None, False), d.numel())
    elif reduction == "sum":
        g = sum_backward(g, shape, None, False)
    m = g * d.sgn()
    return {0: m, 1: -m if 1 in diff else None}


@formula("bce_with_logits")
def _bce_with_logits(g, xs, st, diff):
    x, t, w, pw = xs[:4]
    if 2 in diff or 3 in diff:  # torch refuses gradients for weight and pos_weight
        return None
    mean, out = st["reduction"] == "mean", {}
    if 0 in diff:
        if pw is not None:
            pt = pw * t
            gi = (add_scalar(pt, 1) - t) * x.sigmoid() - pt
        else:
            gi = x.sigmoid() - t
        gi = gi * g
        if w is not None:
            gi = gi * w
        out[0] = div_scalar(gi, x.numel()) if mean else gi
    if 1 in diff:
        if pw is not None:
            gt = (run(logsigmoid_op, (-x,)) - run(logsigmoid_op, (x,)) * pw) * g
        else:
            gt = -x * g
        if w is not None:
            gt = gt * w
        out[1] = div_scalar(gt, t.numel()) if mean else gt
    return out


@formula("mish")
def _mish(g, xs, st, diff):
    """torch's infinitely differentiable mish backward (the one it takes under grad mode)."""
    x = xs[0]
    tsp = x.exp().log1p().tanh()
    # C++'s `1.0 - t` fills a tensor of t's shape and subtracts (SubBackward0, not Rsub)
    return {0: g * (tsp + x * x.sigmoid() * (full_like(tsp, 1.0) - tsp * tsp))}


@formula("softsign")
def _softsign(g, xs, st, diff):
    """torch's x / (x.abs() + 1): the gradient through the division's numerator, plus the
    one through its denominator and abs (in the order torch's engine adds them)."""
    x = xs[0]
    den = x.abs() + 1
    return {0: g / den + -g * ((x / den) / den) * x.sgn()}


@formula("tanhshrink")
def _tanhshrink(g, xs, st, diff):
    """torch's x - x.tanh(): the gradient through x, plus the one through tanh."""
    x = xs[0]
    return {0: g + run(_tanh_backward, (-g, x.tanh()))}


@formula("softmin")
def _softmin(g, xs, st, diff):
    """torch's (-x).softmax(dim): softmax's backward kernel over its result, negated."""
    if st.get("dtype") not in (None, xs[0].dtype):
        return None
    y = forward("softmin", xs, st)
    return {0: -run(_softmax_backward, (g, y), (("dim", st["dim"] % max(y.ndim, 1)),))}


@partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def _embedding_dense_backward(g, idx, num_weights, padding_idx, scale_grad):
    rows, flat = g.reshape(-1, g.shape[-1]), idx.reshape(-1)
    if padding_idx is not None:
        rows = jnp.where((flat == padding_idx)[:, None], 0, rows)
    if scale_grad:
        counts = jnp.zeros(num_weights, g.dtype).at[flat].add(1)
        rows = rows / counts[flat][:, None]
    return jnp.zeros((num_weights, g.shape[-1]), g.dtype).at[flat].add(rows)


def _dense_fwd(g, idx, num_weights, padding_idx, scale_grad):
    return _embedding_dense_backward(g, idx, num_weights, padding_idx, scale_grad), (g, idx)


def _dense_bwd(num_weights, padding_idx, scale_grad, res, gg):
    # torch's embedding_dense_double_backward: the rows read back at the indices, padding
    # rows zero, and no scaling by frequency (torch leaves that to the first backward)
    g, idx = res
    out = gg[idx]
    if padding_idx is not None:
        out = jnp.where((idx == padding_idx)[..., None], 0, out)
    return out.reshape(g.shape), None


_embedding_dense_backward.defvjp(_dense_fwd, _dense_bwd)
_embedding_backward = op("embedding_dense_backward", "EmbeddingDenseBackwardBackward0",
                         dtypes="same", edges=(0,))(_embedding_dense_backward)


@formula("embedding")
def _embedding(g, xs, st, diff):
    w, idx = xs
    statics = (("num_weights", w.shape[0]), ("padding_idx", st["padding_idx"]),
               ("scale_grad", st["scale_grad"]))
    return {0: run(_embedding_backward, (g, idx), statics)}


# ---- normalization -------------------------------------------------------------------------
def _vjp_in(fn, operands, mask, g):
    """The vjp of fn(*operands) in the operands at positions `mask`, at g: a norm's backward
    kernel as the vjp of its forward's body, which recomputes the statistics from the input
    so that differentiating it again sees them depend on the input (torch's
    layer_norm_double_backward and batchnorm_double_backward do that analytically)."""
    operands = list(operands)

    def f(*d):
        for i, v in zip(mask, d):
            operands[i] = v
        return fn(*operands)
    return jax.vjp(f, *[operands[i] for i in mask])[1](g)


# torch's node has edges for (grad, input, mean, rstd, weight, bias); mean and rstd stand for
# its saved statistics
_layer_norm_grad = op("native_layer_norm_backward", "NativeLayerNormBackwardBackward0",
                      dtypes="same", nout=-1, edges=6)(
    lambda g, x, mean, rstd, w, b, eps, nd, mask: _vjp_in(
        lambda *xwb: K._layer_norm(*xwb, eps, nd), (x, w, b), mask, g))


@formula("native_layer_norm")
def _layer_norm(g, xs, st, diff):
    x, w, b, eps = xs
    nd = st["nd"]
    axes = tuple(range(x.ndim - nd, x.ndim))
    xf = x._data.astype(jnp.float32 if x.dtype.itemsize < 4 else x._data.dtype)
    mean = jnp.mean(xf, axes, keepdims=True)
    rstd = jax.lax.rsqrt(jnp.mean(jnp.square(xf - mean), axes, keepdims=True) + eps)
    res = run(_layer_norm_grad, (g, x, _wrap(mean), _wrap(rstd), w, b),
              (("eps", eps), ("nd", nd), ("mask", diff)))
    return dict(zip(diff, res))


def _batch_norm_body(x, w, b, rm, rv, eps, train):
    return K._bn_train(x, w, b, eps)[0] if train else K._bn_eval(x, w, b, rm, rv, eps)


# torch's node has edges for (grad, input, weight, save_mean, save_invstd): the statistics
# (None here) never carry a gradient; bias and the running statistics follow without edges
_batch_norm_grad = op("native_batch_norm_backward", "NativeBatchNormBackwardBackward0",
                      dtypes="same", nout=-1, edges=(0, 1, 2, 3, 4))(
    lambda g, x, w, mean, invstd, b, rm, rv, eps, train, mask: _vjp_in(
        lambda *xwb: _batch_norm_body(*xwb, rm, rv, eps, train), (x, w, b), mask, g))


@formula("batch_norm_train", "batch_norm_stats", "batch_norm_eval")
def _batch_norm(g, xs, st, diff):
    train = len(xs) == 4
    x, w, b = xs[:3]
    rm, rv = (None, None) if train else xs[3:5]
    res = run(_batch_norm_grad, (g, x, w, None, None, b, rm, rv, xs[-1]),
              (("train", train), ("mask", diff)))
    return dict(zip(diff, res))


# torch's mean and rstd: the node's other two outputs, of shape (N, groups)
def _group_stats(x, w, b, eps, groups):
    xf = x.astype(K._stats_dtype(x)).reshape(x.shape[0], groups, -1)
    mean = jnp.mean(xf, -1)
    var = jnp.mean(jnp.square(xf - mean[..., None]), -1)
    return mean.astype(x.dtype), jax.lax.rsqrt(var + eps).astype(x.dtype)


_group_norm_stats = op("native_group_norm_stats", "NativeGroupNormBackward0", dtypes="same",
                       nout=2, edges=K._NORM_EDGES)(_group_stats)


@formula("native_group_norm")
def _group_norm(g, xs, st, diff):
    """torch's infinitely_differentiable_native_group_norm_backward: over (N, G, D, HxW)
    views, the input's gradient a * dY + b * X + c with per-group b and c from the sums ds
    and db, the weight's and bias's from ds and db summed over the batch."""
    x, w, b, eps = xs
    G = st["groups"]
    n, d = x.shape[0], x.shape[1] // G
    hw = math.prod(x.shape[2:])
    s = 1.0 / (d * hw)
    mean, rstd = run(_group_norm_stats, xs, (("groups", G),))
    xg, dy = x.reshape(n, G, d, hw), g.reshape(n, G, d, hw)
    mean, rstd = mean.reshape(n, G, 1, 1), rstd.reshape(n, G, 1, 1)
    ds = (dy * xg).sum(3).unsqueeze_(-1)
    db = dy.sum(3).unsqueeze_(-1)
    out = {}
    if 0 in diff:
        gamma = None if w is None else w.reshape(1, G, d, 1)
        rstd3 = rstd * rstd * rstd
        a = rstd if gamma is None else rstd * gamma
        bs = (ds if gamma is None else ds * gamma).sum(2).unsqueeze_(-2)
        cs = (db if gamma is None else db * gamma).sum(2).unsqueeze_(-2)
        bs = mul_scalar((cs * mean - bs) * rstd3, s)
        cs = -bs * mean - mul_scalar(cs * rstd, s)
        out[0] = (a * dy + bs * xg + cs).reshape(x.shape)
    if 1 in diff:
        out[1] = ((ds - db * mean) * rstd).sum(0).reshape(w.shape)
    if 2 in diff:
        if w is None:  # torch reshapes to the undefined weight's sizes
            raise RuntimeError(f"shape '[0]' is invalid for input of size {b.numel()}")
        out[2] = db.sum(0).reshape(b.shape)
    return out


# ---- in-place activations: torch's kernels read the result ---------------------------------
# leaky_relu_, elu_ (selu_) and celu_ take their backward kernel over (grad, result): the
# written tensor, whose node is the in-place op's own (LeakyReluBackward1, ...), as torch's
# saved result is. Operand 0 of the node is that tensor (it holds the result after the write).
_leaky_relu_backward = op("leaky_relu_backward_result", "LeakyReluBackwardBackward0",
                          dtypes="same", edges=2)(
    lambda g, r, slope: jnp.where(r > 0, g, g * slope))
_elu_backward = op("elu_backward_result", "EluBackwardBackward0", dtypes="same", edges=2)(
    lambda g, r, alpha, scale, iscale: jnp.where(r <= 0, g * iscale * (r + alpha * scale),
                                                 g * scale))


@formula("leaky_relu_")
def _leaky_relu_(g, xs, st, diff):
    return {0: run(_leaky_relu_backward, (g, xs[0], xs[1]))}


@formula("elu_")
def _elu_(g, xs, st, diff):
    r, alpha, scale, iscale = xs
    return {0: run(_elu_backward, (g, r, alpha, scale, iscale))}


@formula("celu_")
def _celu_(g, xs, st, diff):
    r, alpha = xs
    return {0: run(_elu_backward, (g, r, alpha, 1.0, 1.0 / alpha))}


# torch has no derivative for hardsigmoid_backward: its gradient is a NotImplemented node (an
# edge to the input only) whose backward raises
_hardsigmoid_backward = op("hardsigmoid_backward_formula", "NotImplemented", dtypes="same",
                           edges=(1,))(no_derivative(
    lambda g, x: jnp.where((x > -3) & (x < 3), g * float(np.float32(1 / 6)), 0).astype(g.dtype),
    "hardsigmoid_backward"))


@formula("hardsigmoid")
def _hardsigmoid(g, xs, st, diff):
    return {0: run(_hardsigmoid_backward, (g, xs[0]))}
