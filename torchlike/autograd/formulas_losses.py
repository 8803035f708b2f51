"""torch's backward formulas for losses (derivatives.yaml, FunctionsManual.cpp and the
composite losses of aten/native/Loss.cpp, LossNLL.cpp), in torchlike ops: binary
cross-entropy (its backward kernel for the input, a chain of ops for the target), cross-entropy
with probability targets or label smoothing, and kl_div.

torchlike runs as one op what torch composes of several (cross-entropy with label smoothing
is an nll_loss plus a smoothing term, kl_div is xlogy and a product reduced): the gradient is
the one torch's engine builds through those ops, in the order it adds the paths."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ..nn._functional_loss import _nll
from ..ops._registry import op, run
from .formulas import add_scalar, div_scalar, formula, mean_backward, mul_scalar, sum_backward
from .formulas_binary import _xlogy


def _bce_backward_body(g, p, t, w, reduction):
    d = g * (p - t) / jnp.maximum((1 - p) * p, 1e-12)
    if w is not None:
        d = d * w
    return d / p.size if reduction == "mean" else d


# torch's binary_cross_entropy_backward: edges for grad, self and target (not the weight)
_bce_backward = op("binary_cross_entropy_backward", "BinaryCrossEntropyBackwardBackward0",
                   dtypes="same", edges=(0, 1, 2))(_bce_backward_body)


@formula("binary_cross_entropy")
def _binary_cross_entropy(g, xs, st, diff):
    p, t, w = xs
    if 2 in diff:  # torch refuses a gradient for the weight
        return None
    out = {}
    if 0 in diff:
        out[0] = run(_bce_backward, (g, p, t, w), (("reduction", st["reduction"]),))
    if 1 in diff:  # torch's binary_cross_entropy_target_backward
        gt = -p.logit() * g
        if w is not None:
            gt = gt * w
        out[1] = div_scalar(gt, t.numel()) if st["reduction"] == "mean" else gt
    return out


def _nll_backward_body(g, logp, target, weight, ignore_index, reduction):
    return jax.vjp(lambda lp: _nll(lp, target, weight, ignore_index, reduction), logp)[1](g)[0]


# torch's nll_loss_backward: edges for grad and self
_nll_backward = op("nll_loss_backward_formula", "NllLossBackwardBackward0", dtypes="same",
                   edges=(0, 1))(_nll_backward_body)


def _class_shape(logp, weight):
    """The class dimension, and torch's weight viewed to broadcast along it."""
    axis = 1 if logp.ndim >= 2 else 0
    if weight is None or logp.ndim <= 1:
        return axis, weight
    shape = [1] * logp.ndim
    shape[axis] = weight.shape[0]
    return axis, weight.view(shape)


@formula("cross_entropy_smooth")
def _cross_entropy_smooth(g, xs, st, diff):
    """torch: (1 - ls) * nll_loss(logp) + smooth * (ls / n), smooth the negated sum over the
    classes (weighted), zero at ignored targets, reduced; the smoothing path comes first."""
    logp, target, weight, ls = xs
    if logp.ndim > 2 or diff != (0,):
        return None
    ignore, reduction = st["ignore_index"], st["reduction"]
    axis, w_ = _class_shape(logp, weight)
    n = logp.shape[axis]
    gs = mul_scalar(g, ls / n)
    smooth_shape = tuple(target.shape)
    if reduction == "mean":
        keep = target != ignore
        if weight is None:
            den = keep.sum()
        else:
            den = weight.gather(0, target.masked_select(keep).flatten()).sum()
        gs = sum_backward(gs / den, smooth_shape, None, False)
    elif reduction == "sum":
        gs = sum_backward(gs, smooth_shape, None, False)
    gs = -gs.masked_fill(target == ignore, 0.0)
    gs = sum_backward(gs, tuple(logp.shape), axis, False)
    if w_ is not None:
        gs = gs * w_
    statics = (("ignore_index", ignore), ("reduction", reduction))
    gn = run(_nll_backward, (mul_scalar(g, 1 - ls), logp, target, weight), statics)
    return {0: gs + gn}


@formula("cross_entropy_prob")
def _cross_entropy_prob(g, xs, st, diff):
    """torch: -(logp * target' * weight).sum() reduced, target' = target * (1 - ls) + ls / n
    when smoothing."""
    logp, target, weight, ls = xs
    if 2 in diff:
        return None
    axis, w_ = _class_shape(logp, weight)
    n, reduction = logp.shape[axis], st["reduction"]
    shape = tuple(logp.shape)
    if reduction == "mean":
        g = sum_backward(-div_scalar(g, logp.numel() // n), shape, None, False)
    elif reduction == "sum":
        g = sum_backward(-g, shape, None, False)
    else:
        g = sum_backward(-g, shape, axis, False)
    if w_ is not None:
        g = g * w_
    t = target
    if ls > 0:
        t = add_scalar(mul_scalar(target, 1 - ls), ls / n)
    out = {}
    if 0 in diff:
        out[0] = g * t
    if 1 in diff:
        gt = g * logp
        out[1] = mul_scalar(gt, 1 - ls) if ls > 0 else gt
    return out


@formula("kl_div")
def _kl_div(g, xs, st, diff):
    """torch's kl_div: exp(t) * (t - x) (log targets) or xlogy(t, t) - t * x, then reduced
    (batchmean: summed, divided by the batch size in Python)."""
    x, t = xs
    reduction, shape = st["reduction"], tuple(x.shape)
    if tuple(t.shape) != shape:
        return None
    if reduction == "batchmean":
        g = sum_backward(g / (x.shape[0] if x.ndim else 1), shape, None, False)
    elif reduction == "mean":
        g = mean_backward(g, shape, None, False)
    elif reduction == "sum":
        g = sum_backward(g, shape, None, False)
    out = {}
    if st["log_target"]:
        e = t.exp()
        gd = g * e  # the gradient of (t - x)
        if 0 in diff:
            out[0] = -gd
        if 1 in diff:
            out[1] = g * (t - x) * e + gd
        return out
    ng = -g  # the gradient of t * x
    if 0 in diff:
        out[0] = ng * t
    if 1 in diff:
        gx = _xlogy(g, [t, t], {}, (0, 1))
        out[1] = gx[0] + gx[1] + ng * x
    return out
