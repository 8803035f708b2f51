"""torch's backward for distances. normalize, cosine_similarity and pairwise_distance, which
torch composes of several ops and torchlike runs as one: the composite is run again in
torchlike's own ops, as torch's (aten/native/Distance.cpp, torch/nn/functional.py) runs it,
and differentiated by the engine with create_graph, so the gradient is built through each
op's formula in the order torch's engine adds the paths. cdist: torch's _cdist_backward
kernel (which torch cannot differentiate again) and _euclidean_dist's formula."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from ..ops._registry import op, run
from ..ops.compare import no_derivative
from ..ops.extra_composite import _cdist_body
from .formulas import add_scalar, formula, forward
from .formulas_reductions import norm_backward


def _through(out, xs, diff, g):
    """The gradients of the operands in `diff` through the composite `out` built from them."""
    from . import grad
    ins = [xs[i] for i in diff]
    found = grad(out, ins, g, create_graph=True, allow_unused=True)
    return dict(zip(diff, found))


@formula("cosine_similarity")
def _cosine_similarity(g, xs, st, diff):
    """torch: x1 / |x1| times x2 / |x2|, summed over dim; each norm is a clone clamped to eps
    in place without grad (its node stays CloneBackward0, the norm's saved result
    unclamped)."""
    from .grad_mode import no_grad
    x1, x2, eps = xs
    dim = st["dim"]
    if tuple(x1.shape) != tuple(x2.shape):
        return None
    n1 = x1.norm(2, dim, keepdim=True).clone()
    n2 = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return _through(((x1 / n1) * (x2 / n2)).sum(dim), xs, diff, g)


@formula("normalize")
def _normalize(g, xs, st, diff):
    """torch: x / x.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(x)."""
    x, eps = xs
    if diff != (0,):
        return None
    denom = x.norm(st["p"], st["dim"], keepdim=True).clamp_min(eps).expand_as(x)
    return _through(x / denom, xs, diff, g)


@formula("pairwise_distance")
def _pairwise_distance(g, xs, st, diff):
    """torch: at::norm(x1 - x2 + eps, p, last dim, keepdim), whose backward is norm_backward
    over the forward's saved result (a NormBackward1 node)."""
    x1, x2, eps = xs
    if 2 in diff:
        return None
    d = add_scalar(x1 - x2, eps)
    r = forward("pairwise_distance", xs, st)
    gd = norm_backward(g, d, st["p"], r, (d.ndim - 1,), st["keepdim"])
    return {0: gd, 1: -gd if 1 in diff else None}


# ---- cdist -----------------------------------------------------------------------------------
def _cdist_x1_grad(g, x1, x2, res, p):
    """torch's _cdist_backward: the gradient of cdist(x1, x2) in x1, at the broadcast batch
    shape (the engine sums it to x1's); res stands for the forward's saved result."""
    batch = jnp.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    a = jnp.broadcast_to(x1, batch + x1.shape[-2:])
    b = jnp.broadcast_to(x2, batch + x2.shape[-2:])
    return jax.vjp(lambda a: _cdist_body(a, b, p), a)[1](g)[0]


# torch has no derivative for _cdist_backward: differentiating the gradient again raises
_cdist_backward = op("cdist_backward", "CdistBackwardBackward0", dtypes="same")(no_derivative(
    _cdist_x1_grad, "_cdist_backward", "the derivative for '_cdist_backward' is not "
    "implemented.", NotImplementedError))


@formula("cdist")
def _cdist(g, xs, st, diff):
    """x1: _cdist_backward(grad, x1, x2, p, result); x2: the same with the operands swapped
    and grad and result transposed."""
    x1, x2 = xs
    p = (("p", st["p"]),)
    r = forward("cdist", xs, st)
    return {0: run(_cdist_backward, (g.contiguous(), x1, x2, r), p) if 0 in diff else None,
            1: run(_cdist_backward, (g.mT.contiguous(), x2, x1, r.mT.contiguous()), p)
            if 1 in diff else None}


@formula("euclidean_dist")
def _euclidean_dist_grad(g, xs, st, diff):
    """torch's _euclidean_dist_backward (cdist's kernel for p = 2 on many rows): grad /
    result (0 where the distance is 0) weighs the differences x1 - x2, summed over the other
    operand's rows."""
    x1, x2 = xs
    res = forward("euclidean_dist", xs, st)
    ratio = (g / res).masked_fill(res == 0, 0)
    return {0: x1 * ratio.sum(-1, True) - ratio.matmul(x2) if 0 in diff else None,
            1: x2 * ratio.sum(-2).unsqueeze(-1) - ratio.mT.matmul(x1) if 1 in diff else None}
