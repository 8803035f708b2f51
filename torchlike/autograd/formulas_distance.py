"""torch's backward for nn functions that torch composes of several ops and torchlike runs
as one (normalize, cosine_similarity, pairwise_distance): the composite is run again in
torchlike's own ops, as torch's (aten/native/Distance.cpp, torch/nn/functional.py) runs it,
and differentiated by the engine with create_graph, so the gradient is built through each
op's formula in the order torch's engine adds the paths."""
from __future__ import annotations

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
