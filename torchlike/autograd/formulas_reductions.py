"""torch's backward formulas for reductions and scans (derivatives.yaml, FunctionsManual.cpp),
in torchlike ops: logsumexp, nansum, var/std and var_mean/std_mean, vector norms, cumsum,
cumprod, logcumsumexp, cummax/cummin, prod, max/min (whole tensor and along a dimension),
amax/amin, and the selections: sort, topk, kthvalue, median, mode."""
from __future__ import annotations

import math

import numpy as np

from .. import _creation, _dtype
from ..ops.compare import where
from ..ops.combine import cat
from ..ops.masked import _masked_fill_t
from ..ops._registry import op, run
from .formulas import (forward, formula, mean_backward, mul_scalar, multi_formula,
                       sum_backward, unsqueeze_multiple)
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


def _std_backward(g, r, x, st):
    """torch's std_backward: var_backward of grad / (2 std), 0 where the std is 0."""
    gv = (g / mul_scalar(r, 2)).masked_fill(r.detach() == 0, 0)
    return _var_backward(gv, x, st["dim"], st["correction"], st["keepdim"])


@formula("std")
def _std(g, xs, st, diff):
    return {0: _std_backward(g, forward("std", xs, st), xs[0], st)}


def _moment_mean(name):
    """torch's var_mean_backward / std_mean_backward: var's (std's) formula for the first
    output's gradient, plus mean's for the second's."""
    def backward(grads, xs, st, diff):
        gm, gmean = grads
        x, out = xs[0], None
        if gm is not None:
            if name == "var_mean":
                out = _var_backward(gm, x, st["dim"], st["correction"], st["keepdim"])
            else:
                out = _std_backward(gm, forward(name, xs, st)[0], x, st)
        if gmean is not None:
            m = mean_backward(gmean, tuple(x.shape), st["dim"], st["keepdim"])
            out = m if out is None else out + m
        return {0: out}
    return backward


for _name in ("var_mean", "std_mean"):
    multi_formula(_name)(_moment_mean(_name))


# ---- norms -----------------------------------------------------------------------------------
@formula("linalg_vector_norm")
def _vector_norm(g, xs, st, diff):
    x, p = xs[0], float(st["ord"])
    if p == 0:  # torch: no gradient
        return {0: None}
    dims = () if st["dim"] is None else st["dim"]
    return {0: norm_backward(g, x, p, forward("linalg_vector_norm", xs, st), dims,
                             st["keepdim"])}


def norm_backward(g, x, p, r, dims, keepdim):
    """torch's norm_backward: the gradient of x's p-norm r over dims (all when empty)."""
    if not keepdim and x.ndim:
        g, r = unsqueeze_multiple(g, dims, x.ndim), unsqueeze_multiple(r, dims, x.ndim)
    zero = r.detach() == 0
    if p == 1:
        return x.sgn() * g
    if p == 2:
        return g * (x / r).masked_fill(zero, 0)
    if math.isinf(p):  # the elements at the norm (or nan) share the gradient
        a = x.detach().abs()
        mask = (a == r.detach()) | a.isnan()
        return x.sgn() * ((g / mask.sum(dims, keepdim=True)) * mask)
    if p < 1:
        scaled = x.sgn() * x.abs().pow(p - 1).masked_fill(x.detach() == 0, 0)
        return scaled * g * r.pow(1 - p)
    scaled = x.sgn() * x.abs().pow(p - 1) if p < 2 else x * x.abs().pow(p - 2)
    return scaled * (g / r.pow(p - 1)).masked_fill(zero, 0)


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


# ---- nansum ----------------------------------------------------------------------------------
@formula("nansum")
def _nansum(g, xs, st, diff):
    """torch's nansum_backward: sum's gradient, times the mask of the non-nan elements."""
    x = xs[0]
    if g.dtype != x.dtype:
        g = g.to(x.dtype)
    dim = st["dim"]
    spread = sum_backward(g, tuple(x.shape), dim, st["keepdim"])
    return {0: spread * x.detach().isnan().logical_not()}


# ---- cumprod / logcumsumexp / cummax / cummin ------------------------------------------------
@formula("cumprod")
def _cumprod(g, xs, st, diff):
    """torch's cumprod_backward for an input without zeros: the reversed cumulative sum of
    result * grad, divided by the input. With a zero torch loops over the dimension writing
    slices (CopySlices); that case keeps the generic path."""
    x, dim = xs[0], st["dim"]
    if x.is_complex():
        return None
    if g.dtype != x.dtype:
        g = g.to(x.dtype)
    if x.numel() <= 1 or x.shape[dim] == 1:
        return {0: g}
    if bool((x.detach() == 0).any()):
        return None
    w = forward("cumprod", xs, st) * g
    return {0: w.flip(dim).cumsum(dim).flip(dim).div(x)}


@formula("logcumsumexp")
def _logcumsumexp(g, xs, st, diff):
    """torch's logcumsumexp_backward (real): the positive and the negative parts of the
    gradient each through a reversed logcumsumexp in log space, then their difference."""
    x, dim = xs[0], st["dim"]
    if g.ndim == 0 or g.numel() == 0:
        return {0: g}
    if g.is_complex():
        return None
    r = forward("logcumsumexp", xs, st)
    lowest = float(np.finfo(g._data.dtype).min)
    log_abs = g.abs().log()
    gd = g.detach()

    def part(cond):
        logs = where(cond, log_abs, lowest) - r
        return (logs.flip(dim).logcumsumexp(dim).flip(dim) + x).exp()
    return {0: part(gd > 0) - part(gd < 0)}


def _cummaxmin(name):
    """torch's cummaxmin_backward: the gradient added into zeros at the running extremes'
    indices."""
    def backward(g, xs, st, diff):
        x = xs[0]
        if x.numel() == 0 or x.ndim == 0:
            return None
        with no_grad():
            idx = forward(name, [x], st)[1]
        return {0: x.new_zeros(tuple(x.shape)).scatter_add(st["dim"], idx, g)}
    return backward


for _name in ("cummax", "cummin"):
    formula(_name)(_cummaxmin(_name))


# ---- selections: sort, topk, kthvalue, median, mode -----------------------------------------
def _scatter_back(g, x, dim, idx, keepdim):
    """torch's value_selecting_reduction_backward: the gradient scattered into zeros at the
    selected indices (idx: keepdim-shaped)."""
    if not keepdim:
        g = g.unsqueeze(dim)
    return g.new_zeros(tuple(x.shape)).scatter(dim, idx, g)


def _selected_by_forward(name, keepdim=None):
    """Ops that compute their indices: sort, median(dim), ... (the indices from the op run
    again; keepdim from the statics where the op has one)."""
    def backward(g, xs, st, diff):
        x = xs[0]
        if x.ndim == 0:
            return None
        with no_grad():
            idx = forward(name, [x], st)[1]
        kd = st["keepdim"] if keepdim is None else keepdim
        dim = st["dim"]
        return {0: _scatter_back(g, x, dim, idx if kd else idx.unsqueeze(dim), kd)}
    return backward


def _selected_by_operand(g, xs, st, diff):
    """Ops given their indices (keepdim-shaped) as operand 1: topk, kthvalue, mode, sort
    through the host's std::sort order."""
    x, idx = xs
    if x.ndim == 0:
        return None
    return {0: _scatter_back(g, x, st["dim"], idx, st.get("keepdim", True))}


for _name in ("sort", "sort_stable"):
    formula(_name)(_selected_by_forward(_name, keepdim=True))
for _name in ("median_dim", "nanmedian_dim"):
    formula(_name)(_selected_by_forward(_name))
formula("topk", "kthvalue", "mode", "sort_std", "sort_std_stable_arg")(_selected_by_operand)


@formula("msort")
def _msort(g, xs, st, diff):
    """torch's msort is sort(0)'s values: SortBackward0's formula."""
    x = xs[0]
    if x.ndim == 0:
        return None
    with no_grad():
        idx = forward("sort", [x], {"dim": 0, "descending": False})[1]
    return {0: _scatter_back(g, x, 0, idx, True)}


def _median_all(name):
    """torch's evenly_distribute_backward for median()/nanmedian(): the gradient split
    between the elements equal to the result (the nan ones, when the result is nan)."""
    def backward(g, xs, st, diff):
        x = xs[0].detach()
        if x.numel() == 0:
            return None
        with no_grad():
            value = forward(name, xs, st)
        mask = x.isnan() if bool(value.isnan()) else x == value
        return {0: run(_masked_fill_grad, (x.new_zeros(tuple(x.shape)), mask, g / mask.sum()))}
    return backward


for _name in ("median", "nanmedian"):
    formula(_name)(_median_all(_name))
