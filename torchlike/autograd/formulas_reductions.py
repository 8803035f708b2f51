"""torch's backward formulas for reductions and scans (derivatives.yaml, FunctionsManual.cpp),
in torchlike ops: logsumexp, var/std, vector norms, cumsum, prod, max/min (whole tensor and
along a dimension), amax/amin."""
from __future__ import annotations

import math

from .. import _creation, _dtype
from ..ops.combine import cat
from ..ops.masked import _masked_fill_t
from ..ops._registry import op, run
from .formulas import forward, formula, mul_scalar, unsqueeze_multiple
from .grad_mode import no_grad

# torch's masked_fill node with a tensor value has edges for self and value (not the mask)
_masked_fill_grad = op("masked_fill_t_formula", "MaskedFillBackward1", dtypes="same",
                       promote=(), edges=(0, 2))(_masked_fill_t.body)


def _dims(dim, ndim):
    """The reduced dimensions, wrapped and sorted (all of them for None)."""
    if dim is None:
        return tuple(range(ndim))
    return tuple(sorted(d % max(ndim, 1) for d in (dim if isinstance(dim, tuple) else (dim,))))


@formula("logsumexp")
def _logsumexp(g, xs, st, diff):
    x = xs[0]
    r = forward("logsumexp", xs, st)
    if not st["keepdim"] and x.ndim:
        g = unsqueeze_multiple(g, st["dim"], x.ndim)
        r = unsqueeze_multiple(r, st["dim"], x.ndim)
    return {0: g * (x - r).exp()}


# ---- var / std -------------------------------------------------------------------------------
def _var_backward(g, x, dim, correction, keepdim):
    """torch's var_backward: 2 / dof * grad * (x - mean), grad unsqueezed over dim."""
    if x.ndim == 0 or dim is None:
        dof = x.numel() - correction
        if dof <= 0:  # torch: nan where x is its mean, inf elsewhere (of the default dtype)
            d = x.detach()
            nan_inf = _creation.full_like(d, math.inf, dtype=_dtype.get_default_dtype())
            return g * nan_inf.masked_fill(d == d.mean(), math.nan)
        return mul_scalar(g, 2.0 / dof) * (x - x.mean())
    if not keepdim and x.ndim > 1:
        g = unsqueeze_multiple(g, dim, x.ndim)
    dof = math.prod(x.shape[d] for d in _dims(dim, x.ndim)) - correction
    return mul_scalar(g, 2.0 / dof if dof else math.inf) * (x - x.mean(dim, keepdim=True))


@formula("var")
def _var(g, xs, st, diff):
    return {0: _var_backward(g, xs[0], st["dim"], st["correction"], st["keepdim"])}


@formula("std")
def _std(g, xs, st, diff):
    r = forward("std", xs, st)
    gv = (g / mul_scalar(r, 2)).masked_fill(r.detach() == 0, 0)
    return {0: _var_backward(gv, xs[0], st["dim"], st["correction"], st["keepdim"])}


# ---- norms -----------------------------------------------------------------------------------
@formula("linalg_vector_norm")
def _vector_norm(g, xs, st, diff):
    x, p = xs[0], float(st["ord"])
    if p == 0:  # torch: no gradient
        return {0: None}
    dims = () if st["dim"] is None else st["dim"]
    r = forward("linalg_vector_norm", xs, st)
    if not st["keepdim"] and x.ndim:
        g, r = unsqueeze_multiple(g, dims, x.ndim), unsqueeze_multiple(r, dims, x.ndim)
    zero = r.detach() == 0
    if p == 1:
        return {0: x.sgn() * g}
    if p == 2:
        return {0: g * (x / r).masked_fill(zero, 0)}
    if math.isinf(p):  # the elements at the norm (or nan) share the gradient
        a = x.detach().abs()
        mask = (a == r.detach()) | a.isnan()
        return {0: x.sgn() * ((g / mask.sum(dims, keepdim=True)) * mask)}
    if p < 1:
        scaled = x.sgn() * x.abs().pow(p - 1).masked_fill(x.detach() == 0, 0)
        return {0: scaled * g * r.pow(1 - p)}
    scaled = x.sgn() * x.abs().pow(p - 1) if p < 2 else x * x.abs().pow(p - 2)
    return {0: scaled * (g / r.pow(p - 1)).masked_fill(zero, 0)}


# ---- scans and products ----------------------------------------------------------------------
@formula("cumsum")
def _cumsum(g, xs, st, diff):
    x, dim = xs[0], st["dim"]
    if g.dtype != x.dtype:
        g = g.to(x.dtype)
    if g.numel() <= 1 or g.shape[dim] == 1:
        return {0: g}
    return {0: g.flip(dim).cumsum(dim).flip(dim)}


def _prod_safe_zeros(g, x, dim):
    """torch's prod_safe_zeros_backward: the product of the other elements as an exclusive
    cumulative product from each side (no division, so zeros are safe)."""
    n = x.shape[dim]
    if x.numel() == 0:
        return g.expand_as(x)
    if n == 1:
        return g
    shape = list(x.shape)
    shape[dim] = 1
    ones = _creation.ones(shape, dtype=g.dtype)
    before = cat([ones, x.narrow(dim, 0, n - 1)], dim).cumprod(dim)
    after = cat([ones, x.narrow(dim, 1, n - 1).flip(dim)], dim).cumprod(dim).flip(dim)
    return g * (before * after)


@formula("prod")
def _prod(g, xs, st, diff):
    x = xs[0]
    if x.ndim == 0:
        return {0: g}
    r = forward("prod", xs, st)
    if x.dtype != g.dtype:
        x = x.to(g.dtype)
    zeros = bool((x.detach() == 0).any())
    if st["dim"] is None:
        if not zeros:
            return {0: g * (r / x)}
        return {0: _prod_safe_zeros(g, x.view(-1), 0).view(tuple(x.shape))}
    dim = _dims(st["dim"], x.ndim)[0]
    if not st["keepdim"]:
        g, r = g.unsqueeze(dim), r.unsqueeze(dim)
    return {0: _prod_safe_zeros(g, x, dim) if zeros else g * (r / x)}


# ---- max / min -------------------------------------------------------------------------------
def _evenly_distribute(name):
    """torch's evenly_distribute_backward for max()/min(): the gradient split between the
    elements equal to the result (or nan, when the result is nan)."""
    def backward(g, xs, st, diff):
        x = xs[0].detach()
        value = forward(name, [x], st)
        mask = x.isnan() if bool(value.isnan()) else x == value
        return {0: run(_masked_fill_grad, (x.new_zeros(tuple(x.shape)), mask, g / mask.sum()))}
    return backward


def _value_selecting(name):
    """torch's value_selecting_reduction_backward for max(dim)/min(dim): the gradient
    scattered to the selected indices."""
    def backward(g, xs, st, diff):
        x, keepdim = xs[0], st["keepdim"]
        dim = _dims(st["dim"], x.ndim)[0] if x.ndim else 0
        with no_grad():
            idx = forward(name, [x], st)[1]
        z = g.new_zeros(tuple(x.shape))
        if keepdim or x.ndim == 0:
            return {0: z.scatter(dim, idx, g)}
        return {0: z.scatter(dim, idx.unsqueeze(dim), g.unsqueeze(dim))}
    return backward


def _restore_reduced_dims(t, dims):
    """torch's restore_reduced_dims: a view with the reduced dimensions back as size 1."""
    shape = list(t.shape)
    for d in dims:
        shape.insert(d, 1)
    return t.view(tuple(shape))


def _amax_amin(name):
    """torch's scale_grad_by_count over restore_reduced_dims: the gradient split between
    the elements equal to the result."""
    def backward(g, xs, st, diff):
        x = xs[0]
        dims = _dims(st["dim"], x.ndim)
        if not st["keepdim"]:
            g = _restore_reduced_dims(g, dims)
        with no_grad():
            r = forward(name, [x], {**st, "keepdim": True})
        mask = r == x.detach()
        return {0: (g / mask.sum(dims, keepdim=True)) * mask}
    return backward


for _name in ("max_all", "min_all"):
    formula(_name)(_evenly_distribute(_name))
for _name in ("max_dim", "min_dim"):
    formula(_name)(_value_selecting(_name))
for _name in ("amax", "amin"):
    formula(_name)(_amax_amin(_name))
