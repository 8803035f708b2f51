"""Loss functions: their table ops (jax bodies, torch's grad_fn names) and the functional
wrappers with torch's argument checks. cross_entropy is log_softmax + nll_loss, as in torch."""
from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import NotImplementedOp
from .._tensor import _SHORT
from ..ops import nn as K
from ..autograd import grad_mode
from ..ops._registry import op, run
# F.mse_loss & co broadcast as torch.broadcast_tensors: an operand the other's shape changes is
# expanded (ExpandBackward0 in the graph)
from ..ops.shape import broadcast_tensors
# ---- losses ------------------------------------------------------------------------------
_LOSS = dict(dtypes="promote", promote=(0, 1))


def _reduce(x, reduction):
    if reduction == "mean":
        return jnp.mean(x)
    return jnp.sum(x) if reduction == "sum" else x


def _named(none, mean="MeanBackward0", sum_="SumBackward0"):
    return lambda s, p: {"none": none, "mean": mean, "sum": sum_}[dict(s)["reduction"]]


def _abs0(d):
    return d * jnp.sign(d)  # |d| with torch's zero gradient at 0


mse_loss_op = op("mse_loss", "MseLossBackward0", **_LOSS)(
    lambda x, t, reduction: _reduce(jnp.square(x - t), reduction))
def _smooth_l1(x, t, beta, reduction):
    d = x - t
    a = _abs0(d)
    safe = jnp.where(beta > 0, beta, 1)
    return _reduce(jnp.where(a < beta, 0.5 * d * d / safe, a - 0.5 * beta), reduction)


smooth_l1_loss_op = op("smooth_l1_loss", "SmoothL1LossBackward0", **_LOSS)(_smooth_l1)
huber_loss_op = op("huber_loss", "HuberLossBackward0", **_LOSS)(
    lambda x, t, delta, reduction: (lambda d, a: _reduce(jnp.where(
        a < delta, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction))(x - t, _abs0(x - t)))


def _clamped_logs(p):
    return jnp.maximum(jnp.log1p(-p), -100), jnp.maximum(jnp.log(p), -100)


@jax.custom_vjp
def _bce(p, t):
    lo, hi = _clamped_logs(p)
    return (t - 1) * lo - t * hi


def _bce_fwd(p, t):
    return _bce(p, t), (p, t)


def _bce_bwd(res, g):
    # torch's formula: finite at p in {0, 1}, where the clamped logs' derivatives are not
    p, t = res
    lo, hi = _clamped_logs(p)
    return g * (p - t) / jnp.maximum((1 - p) * p, 1e-12), g * (lo - hi)


_bce.defvjp(_bce_fwd, _bce_bwd)


def _weighted(loss, w):
    return loss if w is None else loss * w


bce_op = op("binary_cross_entropy", "BinaryCrossEntropyBackward0", **_LOSS)(
    lambda p, t, w, reduction: _reduce(_weighted(_bce(p, t), w), reduction))


def _bce_logits(x, t, w, pw, reduction):
    ls = jax.nn.log_sigmoid(x)
    if pw is not None:
        ls = ls * ((pw - 1) * t + 1)
    return _reduce(_weighted((1 - t) * x - ls, w), reduction)


bce_logits_op = op("bce_with_logits", "BinaryCrossEntropyWithLogitsBackward0", **_LOSS)(
    _bce_logits)


def _nll_terms(logp, target, weight, ignore_index):
    """Per-target losses and weights, class axis 1 (or 0 for one unbatched sample)."""
    if logp.ndim == 1:
        logp, target = logp[None], target[None]
    valid = target != ignore_index
    t = jnp.where(valid, target, 0)
    picked = jnp.take_along_axis(jnp.moveaxis(logp, 1, -1), t[..., None], -1)[..., 0]
    w = jnp.ones_like(picked) if weight is None else jnp.take(weight, t).astype(picked.dtype)
    w = jnp.where(valid, w, 0)
    return jnp.where(valid, -picked * w, 0), w


def _nll(logp, target, weight, ignore_index, reduction, nd=2):
    loss, w = _nll_terms(logp, target, weight, ignore_index)
    if reduction == "none":
        return loss.reshape(target.shape)
    return jnp.sum(loss) if reduction == "sum" else jnp.sum(loss) / jnp.sum(w)


def _nll_name(statics, pattern):
    s = dict(statics)
    nd = s["nd"]
    if nd <= 2:
        return "NllLossBackward0"
    # torch runs nll_loss2d on 4-d input, and on other shapes through views around it
    return "ViewBackward0" if nd != 4 and s["reduction"] == "none" else "NllLoss2DBackward0"


nll_loss_op = op("nll_loss", _nll_name, dtypes="same", edges=(0,))(_nll)


def _class_weight(logp, weight):
    axis = 1 if logp.ndim >= 2 else 0
    shape = [1] * logp.ndim
    shape[axis] = -1
    return axis, (1 if weight is None else weight.reshape(shape))


def _ce_smooth(logp, target, weight, ls, ignore_index, reduction):
    nll = _nll(logp, target, weight, ignore_index, reduction)
    axis, wb = _class_weight(logp, weight)
    ignore = target == ignore_index
    smooth = jnp.where(ignore, 0, -jnp.sum(logp * wb, axis))
    if reduction == "mean":
        _, w = _nll_terms(logp, target, weight, ignore_index)
        ret = jnp.sum(smooth) / jnp.sum(w)
    else:
        ret = _reduce(smooth, reduction)
    return (1 - ls) * nll + ret * (ls / logp.shape[axis])


ce_smooth_op = op("cross_entropy_smooth", "AddBackward0", dtypes="promote", promote=(0,))(
    _ce_smooth)


def _ce_prob(logp, target, weight, ls, reduction):
    axis, wb = _class_weight(logp, weight)
    n = logp.shape[axis]
    target = target * (1 - ls) + ls / n
    terms = logp * target * wb
    if reduction == "none":
        return -jnp.sum(terms, axis)
    total = -jnp.sum(terms)
    return total / (logp.size / n) if reduction == "mean" else total


ce_prob_op = op("cross_entropy_prob", _named("NegBackward0", "DivBackward1", "NegBackward0"),
                **_LOSS)(_ce_prob)


def _kl_div(x, t, reduction, log_target):
    loss = jnp.exp(t) * (t - x) if log_target else jax.scipy.special.xlogy(t, t) - t * x
    if reduction == "batchmean":
        return jnp.sum(loss) / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction)


def _kl_name(statics, pattern):
    s = dict(statics)
    if s["reduction"] == "batchmean":
        return "DivBackward0"
    return _named("MulBackward0" if s["log_target"] else "SubBackward0")(statics, pattern)


kl_div_op = op("kl_div", _kl_name, **_LOSS)(_kl_div)


# ---- functional wrappers -----------------------------------------------------------------
def legacy_get_string(size_average, reduce, emit_warning=True) -> str:
    """The reduction named by the deprecated size_average / reduce flags."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    if emit_warning:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _reduction(reduction, size_average=None, reduce=None, allowed=("none", "mean", "sum")):
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _warn_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=3)


def _no_weight(name, weight):
    if weight is not None:
        raise NotImplementedOp(f"{name}(weight=...) is not implemented in torchlike")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _no_weight("mse_loss", weight)
    _warn_size(input, target)
    return run(mse_loss_op, broadcast_tensors(input, target),
               (("reduction", _reduction(reduction, size_average, reduce)),))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _no_weight("l1_loss", weight)
    _warn_size(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    input, target = broadcast_tensors(input, target)
    d = (input - target).abs()  # at::l1_loss, op by op (its graph is torch's)
    return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",
                   beta=1.0):
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_size(input, target)
    return run(smooth_l1_loss_op, (*broadcast_tensors(input, target), beta),
               (("reduction", _reduction(reduction, size_average, reduce)),))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _no_weight("huber_loss", weight)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_size(input, target)
    return run(huber_loss_op, (*broadcast_tensors(input, target), delta),
               (("reduction", _reduction(reduction)),))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the "
                         f"input size ({input.shape}) is deprecated. Please ensure they have "
                         "the same size.")
    if weight is not None and weight.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError("The function 'binary_cross_entropy' is not differentiable with "
                           "respect to argument 'weight'. This input cannot have requires_grad "
                           "True.")
    return run(bce_op, (input, target, weight), (("reduction", reduction),))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    return run(bce_logits_op, (input, target, weight, pos_weight), (("reduction", reduction),))


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _reduction(reduction, size_average, reduce,
                           ("none", "mean", "sum", "batchmean"))
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    return run(kl_div_op, (input, target), (("reduction", reduction),
                                            ("log_target", bool(log_target))))


def _check_targets(input, target, weight, ignore_index):
    """torch's class-index checks: dtype, batch size, weight size, bounds (on the host)."""
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_SHORT[target.dtype.name]}")
    if input.ndim < 1 or input.ndim > 1 and input.shape[0] != (target.shape[0] if
                                                                target.ndim else -1):
        raise ValueError(f"Expected input batch_size ({input.shape[0] if input.ndim else 1}) "
                         f"to match target batch_size "
                         f"({target.shape[0] if target.ndim else 1}).")
    n = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n):
        raise RuntimeError(f"weight tensor should be defined either for all {n} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    t = np.asarray(target._data)
    bad = (t != ignore_index) & ((t < 0) | (t >= n))
    if bad.any():
        raise IndexError(f"Target {t[bad].flat[0]} is out of bounds.")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    _check_targets(input, target, weight, ignore_index)
    return run(nll_loss_op, (input, target, weight), (("ignore_index", int(ignore_index)),
                                                      ("reduction", reduction),
                                                      ("nd", input.ndim)))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    axis = 1 if input.ndim >= 2 else 0
    if target.dtype.kind == "f" and tuple(target.shape) == tuple(input.shape):
        logp = K.log_softmax(input, axis)
        return run(ce_prob_op, (logp, target, weight, label_smoothing),
                   (("reduction", reduction),))
    _check_targets(input, target, weight, ignore_index)
    logp = K.log_softmax(input, axis)
    statics = (("ignore_index", int(ignore_index)), ("reduction", reduction))
    if label_smoothing > 0:
        return run(ce_smooth_op, (logp, target, weight, label_smoothing), statics)
    return run(nll_loss_op, (logp, target, weight), statics + (("nd", input.ndim),))
