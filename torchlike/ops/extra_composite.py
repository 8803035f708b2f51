"""Ops torch composes from others: diff, trapezoid / trapz / cumulative_trapezoid, cov,
corrcoef, vander, renorm, cdist, cosine_similarity, meshgrid, cartesian_prod, combinations.

Each reports the grad_fn name of the last op torch's composition runs (diff: SubBackward0,
trapezoid: MulBackward1, ...); cov, corrcoef, meshgrid and friends are written as torch's
composition itself.
"""
from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _device
from .. import _dtype as D
from .._tensor import _SHORT, _TYPE_NAMES, Tensor, _wrap, _wrap_dim
from ._common import invalid_arguments
from .compare import no_derivative
from ._bind import public
from ._registry import op, run


__all__ = ()


def _own(op_, operands, statics):
    """Computed and returned in operand 0's dtype (Python numbers too)."""
    return operands[0].dtype, operands[0].dtype


def _sl(a, dim, lo, hi=None):
    """a[lo:hi] along dim, as Python slices clamp (hi < 0 counts from the end)."""
    n = a.shape[dim]
    lo = min(lo, n)
    return lax.slice_in_dim(a, lo, max(lo, n + hi if hi is not None else n), axis=dim)


def _long(x) -> Tensor:
    return _wrap(_device.as_array(np.array(x, jnp.int64)))


# ---- diff ----------------------------------------------------------------------------------
_diff = op("diff", "SubBackward0", dtypes="same", saves=False)(
    lambda a, n, dim: jnp.diff(a, n, axis=dim))
_copy = op("diff_copy", "CopyBackwards", dtypes="same", saves=False)(lambda a: a)


@public()
def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    if input.ndim < 1:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(dim, input.ndim)
    for other in (prepend, append):
        if other is None:
            continue
        if not isinstance(other, Tensor):
            raise TypeError(f"diff(): argument '{'prepend' if other is prepend else 'append'}'"
                            f" must be Tensor, not {type(other).__name__}")
        if other.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
        for i in range(input.ndim):
            if i != d and other.shape[i] != input.shape[i]:
                raise RuntimeError(
                    "diff expects the shape of tensor to prepend or append to match that of "
                    "input except along the differencing dimension; input.size("
                    f"{i}) = {input.shape[i]}, but got tensor.size({i}) = {other.shape[i]}")
    if n == 0:
        return run(_copy, (input,))
    from .combine import cat
    if prepend is not None or append is not None:
        input = cat([t for t in (prepend, input, append) if t is not None], d)
    n = min(n, input.shape[d])
    return run(_diff, (input,), (("n", n), ("dim", d))) if n else input


# ---- trapezoid / trapz / cumulative_trapezoid ----------------------------------------------
def _dx(x, dim):
    return _sl(x, dim, 1) - _sl(x, dim, 0, -1)


def _pairs(y, dim):
    return _sl(y, dim, 1) + _sl(y, dim, 0, -1)


_trap_dx = op("trapezoid_dx", "MulBackward1", dtypes="float", saves=False)(
    lambda y, dx, dim: (jnp.sum(y, dim) - (jnp.take(y, 0, dim) + jnp.take(y, -1, dim)) * 0.5)
    * dx)
_trap_x = op("trapezoid_x", "DivBackward1", dtypes="float")(
    lambda y, x, dim: jnp.sum(_dx(x, dim) * _pairs(y, dim), dim) / 2)
_cumtrap_dx = op("cumulative_trapezoid_dx", "CumsumBackward0", dtypes="float", saves=False)(
    lambda y, dx, dim: jnp.cumsum(dx / 2 * _pairs(y, dim), dim))
_cumtrap_x = op("cumulative_trapezoid_x", "DivBackward1", dtypes="float")(
    lambda y, x, dim: jnp.cumsum(_dx(x, dim) * _pairs(y, dim), dim) / 2)


def _trapezoid(name, y, x, dx, dim, ops):
    if x is not None and dx is not None:
        raise invalid_arguments(name, f"Tensor, Tensor, dx={type(dx).__name__}",
                                "Tensor y, Tensor x, *, int dim = -1",
                                "Tensor y, *, Number dx = 1, int dim = -1")
    if y.ndim == 0:
        if name == "cumulative_trapezoid":
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, y.ndim)
    if name != "cumulative_trapezoid" and y.shape[d] == 0:
        return _wrap(jnp.zeros(y.shape[:d] + y.shape[d + 1:], y.dtype.np))
    if x is None:
        if y.dtype is D.bool:
            raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not "
                               "supported")
        dx = 1 if dx is None else dx
        if isinstance(dx, (bool, complex)) or isinstance(dx, Tensor):
            raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
        return run(ops[0], (y, float(dx)), (("dim", d),))
    if y.dtype is D.bool or x.dtype is D.bool:
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not "
                           "supported")
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        x = x.view(*[-1 if i == d else 1 for i in range(y.ndim)])
    elif x.ndim < y.ndim:
        x = x.view(*(1,) * (y.ndim - x.ndim), *x.shape)
    return run(ops[1], (y, x), (("dim", d),))


@public(method=False)
def trapezoid(y, x=None, *, dx=None, dim=-1):
    return _trapezoid("trapezoid", y, x, dx, dim, (_trap_dx, _trap_x))


@public(method=False)
def trapz(y, x=None, *, dx=None, dim=-1):
    return _trapezoid("trapz", y, x, dx, dim, (_trap_dx, _trap_x))


@public(method=False)
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    return _trapezoid("cumulative_trapezoid", y, x, dx, dim, (_cumtrap_dx, _cumtrap_x))


# ---- cov / corrcoef (torch's composition) --------------------------------------------------
def _check_weights(name, w, n, kinds, kind_name):
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w.ndim} dimensions")
    if w.dtype.kind not in kinds:
        raise RuntimeError(f"cov(): expected {name} to have {kind_name} dtype but got {name} "
                           f"with {_SHORT[w.dtype.name]} dtype")
    if w.numel() != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != {n}")
    if n and not bool(w._data.min() >= 0):
        raise RuntimeError(f"cov(): {name} cannot be negative")


@public()
def cov(input, *, correction=1, fweights=None, aweights=None):
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    if input.dtype is D.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.view(1, -1) if input.ndim < 2 else input
    n = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, n, "iu", "integral")
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, n, "f", "floating point")
        w = aweights if w is None else w * aweights
    w_sum = _long(n) if w is None else w.sum()
    if w is not None and not bool(w_sum._data != 0):
        raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x if w is None else x * w).sum(1) / w_sum
    if w is not None and correction != 0 and aweights is not None:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if bool(norm._data <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm = _wrap(jnp.zeros((), norm.dtype.np))  # torch zeroes it: +0, so c / 0 is +-inf
    x = x - avg.unsqueeze(1)
    return (x.mm((x if w is None else x * w).t().conj())).true_divide(norm).squeeze()


@public()
def corrcoef(input):
    if input.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but "
                           f"got an input with {input.ndim} dimensions")
    c = cov(input)
    if c.ndim == 0:
        return c / c  # nan for a covariance of nan, inf or 0, else 1
    d = c.diagonal()
    std = (d.real if d.is_complex() else d).sqrt()
    c = c / std.view(-1, 1)
    return (c / std.view(1, -1)).clip(-1, 1)


# ---- vander, renorm ------------------------------------------------------------------------
def _vander_rule(op_, operands, statics):
    r = operands[0].dtype if operands[0].dtype.kind in "fc" else D.int64
    return r, r


def _vander_values(x, n, increasing):
    p = jnp.cumprod(jnp.broadcast_to(x[:, None], (x.shape[0], n - 1)), axis=1)
    v = jnp.concatenate([jnp.ones((x.shape[0], 1), x.dtype), p], 1)
    return v if increasing else v[:, ::-1]


def _vander_body(x, n, increasing):
    # torch 2.13's vander writes in place into a tensor its cumprod saved: its backward fails
    kind = _TYPE_NAMES[D.from_np(x.dtype).name]
    msg = ("one of the variables needed for gradient computation has been modified by an "
           f"inplace operation: [{kind} [{x.shape[0]}, {n - 1}]], which is output 0 of "
           "AsStrided, is at version 3; expected version 2 instead. Hint: enable anomaly "
           "detection to find the operation that failed to compute its gradient, with "
           "torch.autograd.set_detect_anomaly(True, check_nan=False).")
    return no_derivative(_vander_values, "vander", msg)(x, n=n, increasing=increasing)


# torch fills column 0 and copies the cumulative product into the rest (CopySlices), then flips
_vander = op("vander", lambda s, p: "CopySlices" if dict(s)["increasing"] else "FlipBackward0",
             dtypes=_vander_rule)(_vander_body)


@public(method=False)
def vander(x, N=None, increasing=False):
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if n <= 1:
        return _wrap(jnp.ones((x.shape[0], n), _vander_rule(None, (x,), ())[0].np))
    return run(_vander, (x,), (("n", n), ("increasing", bool(increasing))))


def _pnorm(x, p, axes):
    if p == math.inf:
        return jnp.max(jnp.abs(x), axes, keepdims=True)
    if p == 2:
        return jnp.sqrt(jnp.sum(x * x, axes, keepdims=True))
    return jnp.sum(jnp.abs(x) ** p, axes, keepdims=True) ** (1 / p)


def _renorm_body(x, maxnorm, p, dim):
    axes = tuple(i for i in range(x.ndim) if i != dim)
    big = lax.stop_gradient(_pnorm(x, p, axes)) > maxnorm
    n = _pnorm(jnp.where(big, x, 1), p, axes)  # rows left alone get no (nan) gradient
    return x * jnp.where(big, maxnorm / (n + 1e-7), 1)


_renorm = op("renorm", "RenormBackward0", dtypes=_own, promote=(0,))(_renorm_body)


@public(inplace=True)
def renorm(input, p, dim, maxnorm, *, out=None):
    if isinstance(p, complex) or p <= 0:
        raise RuntimeError("renorm: p must be real-valued" if isinstance(p, complex) else
                           "renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    d = _wrap_dim(dim, input.ndim)
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {_SHORT[input.dtype.name]}")
    return run(_renorm, (input, float(maxnorm)), (("p", float(p)), ("dim", d)))


# ---- cdist, cosine_similarity --------------------------------------------------------------
def _cdist_body(x1, x2, p):
    d = x1[..., :, None, :] - x2[..., None, :, :]
    a = jnp.abs(d)
    if p == 0:
        return jnp.sum(d != 0, -1).astype(d.dtype)
    if p == math.inf:  # every tied element gets the whole gradient, as in torch
        m = lax.stop_gradient(jnp.max(a, -1, keepdims=True))
        return m[..., 0] + jnp.sum(jnp.where(a == m, a - lax.stop_gradient(a), 0), -1)
    nz = a > 0
    s = jnp.sum(jnp.where(nz, jnp.where(nz, a, 1) ** p, 0), -1)
    return jnp.where(s > 0, jnp.where(s > 0, s, 1) ** (1 / p), 0)


def _euclid_value(x1, x2):
    # torch's _euclidean_dist: one matmul of [-2 x1, |x1|^2, 1] and [x2, 1, |x2|^2]
    n1, n2 = jnp.sum(x1 * x1, -1, keepdims=True), jnp.sum(x2 * x2, -1, keepdims=True)
    a = jnp.concatenate([-2 * x1, n1, jnp.ones_like(n1)], -1)
    b = jnp.concatenate([x2, jnp.ones_like(n2), n2], -1)
    return jnp.sqrt(jnp.maximum(a @ jnp.swapaxes(b, -1, -2), 0))


def _euclid_bwd(res, g):
    x1, x2, r = res
    ratio = jnp.where(r == 0, 0, g / jnp.where(r == 0, 1, r))
    return (x1 * ratio.sum(-1, keepdims=True) - ratio @ x2,
            x2 * ratio.sum(-2)[..., None] - jnp.swapaxes(ratio, -1, -2) @ x1)


_euclid = jax.custom_vjp(_euclid_value)
_euclid.defvjp(lambda x1, x2: (lambda r: (r, (x1, x2, r)))(_euclid_value(x1, x2)), _euclid_bwd)


def _cdist_mm_body(x1, x2):
    batch = jnp.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    return _euclid(jnp.broadcast_to(x1, batch + x1.shape[-2:]),
                   jnp.broadcast_to(x2, batch + x2.shape[-2:]))


_cdist = op("cdist", "CdistBackward0", dtypes="same")(_cdist_body)
# torch's _euclidean_dist: cdist's kernel for p = 2 by a matrix product (see _cdist_mm)
_euclidean_dist = op("euclidean_dist", "EuclideanDistBackward0", dtypes="same")(_cdist_mm_body)
_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
          "donot_use_mm_for_euclid_dist": 2}


@public(method=False)
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{x.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_SHORT[x.dtype.name]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {_SHORT[x1.dtype.name]} but found "
                           f"{_SHORT[x2.dtype.name]}")
    mode = _MODES[compute_mode]
    if p == 2 and x1.numel() and x2.numel() and (
            mode == 1 or (mode == 0 and (x1.shape[-2] > 25 or x2.shape[-2] > 25))):
        return _cdist_mm(x1, x2)
    return run(_cdist, (x1, x2), (("p", float(p)),))


def _cdist_mm(x1, x2):
    """torch's cdist_impl for p = 2 by a matrix product: _euclidean_dist of the operands
    expanded to the common batch and flattened to one batch dimension, viewed back."""
    batch = tuple(jnp.broadcast_shapes(x1.shape[:-2], x2.shape[:-2]))
    n = math.prod(batch)
    if n != 1:
        x1 = x1.expand(*batch, *x1.shape[-2:]).contiguous().view(n, *x1.shape[-2:])
        x2 = x2.expand(*batch, *x2.shape[-2:]).contiguous().view(n, *x2.shape[-2:])
    return run(_euclidean_dist, (x1, x2)).view(*batch, x1.shape[-2], x2.shape[-2])


@public(method=False)
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    from ..nn import functional as F
    return F.cosine_similarity(x1, x2, dim, eps)


# ---- meshgrid, cartesian_prod, combinations (torch's composition: views and expands) --------
_meshgrid_warned = [False]


@public(method=False)
def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        if not _meshgrid_warned[0]:  # torch warns once per process
            _meshgrid_warned[0] = True
            warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass "
                          "the indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if any(t.dtype is not tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f'received: {indexing}')
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t}")
    shape = [t.numel() for t in ts]
    grids = [t.view(*[-1 if j == i else 1 for j in range(len(ts))]).expand(*shape)
             for i, t in enumerate(ts)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


@public(method=False)
def cartesian_prod(*tensors):
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    from .combine import stack
    return stack([g.flatten() for g in meshgrid(*tensors, indexing="ij")], 1)


@public(method=False)
def combinations(input, r=2, with_replacement=False):
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _wrap(jnp.zeros((0,), input.dtype.np))
    idx = np.indices((input.shape[0],) * r)
    ordered = np.less_equal if with_replacement else np.less
    mask = _wrap(_device.as_array(np.all([ordered(idx[i], idx[i + 1]) for i in range(r - 1)]
                                          + [np.ones(idx.shape[1:], bool)], axis=0)))
    from .combine import stack
    return stack([g.masked_select(mask) for g in meshgrid([input] * r, indexing="ij")], 1)
