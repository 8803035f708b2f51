"""Margin, ranking, embedding and NLL losses. Those torch composes of other ops (triplet,
margin ranking, hinge, cosine embedding, poisson and gaussian NLL) are composed the same way
here, so the grad_fn names are torch's; multi_margin and multilabel_margin are table ops."""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from .. import _creation as _C
from ..autograd import grad_mode
from ..ops import compare as _cmp
from ..ops._registry import op, run
from ._functional_loss import _reduction


def _reduce(loss, reduction):
    """torch's apply_loss_reduction."""
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean"):
    from .functional import pairwise_distance
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pd, nd = anchor.ndim, positive.ndim, negative.ndim
    if not a == pd == nd:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {a}D, positive "
                           f"{pd}D, and negative {nd}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = _cmp.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(_cmp.clamp_min(margin + dist_pos - dist_neg, 0), reduction)


def margin_ranking_loss(input1, input2, target, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same "
                           f"dimension but got sizes: input1: {input1.shape}, input2: "
                           f"{input2.shape}, target: {target.shape} ")
    return _reduce(_cmp.clamp_min(-target * (input1 - input2) + margin, 0), reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean"):
    reduction = _reduction(reduction, size_average, reduce)
    zeros = _C.zeros_like(input)
    margin_clamp = _cmp.clamp_min(margin - input, 0)
    out_margin = _cmp.where(target != 1, margin_clamp, zeros)
    out_self = _cmp.where(target != -1, input, zeros)
    return _reduce(out_margin + out_self, reduction)


def cosine_embedding_loss(input1, input2, target, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean"):
    reduction = _reduction(reduction, size_average, reduce)
    td = target.ndim
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if td == 1 else 1
    if input1.ndim != want or input2.ndim != want:
        raise RuntimeError(f"{td}D target tensor expects {want}D input tensors, but found "
                           f"inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    prod_sum = (input1 * input2).sum(td)
    mag1 = (input1 * input1).sum(td) + 1e-12
    mag2 = (input2 * input2).sum(td) + 1e-12
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = _C.zeros_like(cos)
    pos = 1 - cos
    neg = _cmp.clamp_min(cos - margin, 0)
    out = _cmp.where(target == 1, pos, zeros) + _cmp.where(target == -1, neg, zeros)
    return _reduce(out, reduction)


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean"):
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss.add_(stirling.masked_fill(target <= 1, 0))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean"):
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * _C.ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with grad_mode.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss += 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---- table ops: multi_margin, multilabel_margin ------------------------------------------
def _rows(x):
    return x.reshape(1, -1) if x.ndim <= 1 else x


def _finish(loss, reduction, shape):
    if reduction == "none":
        return loss.reshape(shape)
    return jnp.sum(loss) if reduction == "sum" else jnp.mean(loss)


def _multi_margin(x, t, w, margin, p, reduction, out_shape):
    x2, t1 = _rows(x), t.reshape(-1)
    c = x2.shape[1]
    picked = jnp.take_along_axis(x2, t1[:, None], 1)
    z = jnp.maximum(margin - picked + x2, 0)
    z = z * z if p == 2 else z
    if w is not None:
        z = z * jnp.take(w, t1)[:, None]
    z = jnp.where(jnp.arange(c)[None] == t1[:, None], 0, z)
    return _finish(jnp.sum(z, 1) / c, reduction, out_shape)


def _multilabel_margin(x, t, reduction, out_shape):
    x2, t2 = _rows(x), _rows(t)
    c = x2.shape[1]
    valid = jnp.cumprod(t2 >= 0, axis=1).astype(bool)  # the targets before the first -1
    tt = jnp.where(valid, t2, 0)
    is_target = jnp.zeros(x2.shape, bool).at[jnp.arange(x2.shape[0])[:, None], tt].max(valid)
    xt = jnp.take_along_axis(x2, tt, 1)
    m = jnp.maximum(1 - (xt[:, :, None] - x2[:, None, :]), 0)
    m = jnp.where(valid[:, :, None] & ~is_target[:, None, :], m, 0)
    return _finish(jnp.sum(m, (1, 2)) / c, reduction, out_shape)


multi_margin_op = op("multi_margin_loss", "MultiMarginLossBackward0", dtypes="same",
                     edges=(0,))(_multi_margin)
multilabel_margin_op = op("multilabel_margin_loss", "MultilabelMarginLossBackward0",
                          dtypes="same", edges=(0,))(_multilabel_margin)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    if weight is not None and weight.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError("The function 'multi_margin_loss' is not differentiable with respect "
                           "to argument 'weight'. This input cannot have requires_grad True.")
    n = input.shape[0] if input.ndim == 2 else 1
    c = input.shape[-1] if input.ndim else 1
    if target.ndim > 1 or target.numel() != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{n}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    t = np.asarray(target._data)
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    return run(multi_margin_op, (input, target, weight),
               (("margin", float(margin)), ("p", int(p)), ("reduction", reduction),
                ("out_shape", tuple(target.shape))))


def multilabel_margin_loss(input, target, size_average=None, reduce=None,
                           reduction: str = "mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape) or input.ndim > 2:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of "
                           f"size: {list(input.shape)}")
    c = input.shape[-1] if input.ndim else 1
    t = np.asarray(target._data)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    out_shape = (input.shape[0],) if input.ndim == 2 else ()
    return run(multilabel_margin_op, (input, target),
               (("reduction", reduction), ("out_shape", out_shape)))
