"""Vector norms: torch.norm and linalg.vector_norm, with torch's norm_backward."""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from .._tensor import _SHORT, Tensor
from ._bind import public
from ._registry import execute, op, resolve, run
from .compare import outable
from .reduction import _dim_arg, _opt_dtype, axes


# ---- p-norms -------------------------------------------------------------------------------
def _norm_fwd_value(x, ord, dim, keepdim):
    a = jnp.abs(x)
    if ord == math.inf:
        return jnp.max(a, axis=dim, keepdims=keepdim)
    if ord == -math.inf:
        return jnp.min(a, axis=dim, keepdims=keepdim)
    if ord == 0:
        return jnp.sum((a != 0).astype(a.dtype), axis=dim, keepdims=keepdim)
    if ord == 1:
        return jnp.sum(a, axis=dim, keepdims=keepdim)
    if ord == 2:
        return jnp.sqrt(jnp.sum(a * a, axis=dim, keepdims=keepdim))
    return jnp.sum(a ** ord, axis=dim, keepdims=keepdim) ** (1.0 / ord)


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2, 3))
def _norm(x, ord, dim, keepdim):
    return _norm_fwd_value(x, ord, dim, keepdim)


def _norm_fwd(x, ord, dim, keepdim):
    n = _norm_fwd_value(x, ord, dim, keepdim)
    return n, (x, n)


def _norm_bwd(ord, dim, keepdim, res, g):
    # jax's convention for complex x is the conjugate of torch's (the kernel conjugates back)
    return tuple(jnp.conj(r) for r in _torch_norm_bwd(ord, dim, keepdim, res, g))


def _torch_norm_bwd(ord, dim, keepdim, res, g):
    # torch's norm_backward (zero at a zero norm instead of nan)
    x, n = res
    if not keepdim:
        ax = range(x.ndim) if dim is None else dim
        g, n = jnp.expand_dims(g, tuple(ax)), jnp.expand_dims(n, tuple(ax))
    sgn, a = jnp.sign(x), jnp.abs(x)
    zero = jnp.zeros((), g.dtype)
    if ord == 0:
        return (jnp.zeros_like(x),)
    if ord == 1:
        return (sgn * g,)
    if ord == 2:
        return (g * jnp.where(n == 0, zero, x / jnp.where(n == 0, 1, n)),)
    if math.isinf(ord):
        mask = (a == n) | jnp.isnan(a)
        return (sgn * (g / jnp.sum(mask, axis=dim, keepdims=True)) * mask,)
    if ord < 1:
        scaled = sgn * jnp.where(x == 0, zero, a ** (ord - 1))
        return (scaled * g * n ** (1 - ord),)
    scaled = sgn * a ** (ord - 1) if ord < 2 else x * a ** (ord - 2)
    safe = jnp.where(n == 0, 1, n)
    return (scaled * jnp.where(n == 0, zero, g / safe ** (ord - 1)),)


_norm.defvjp(_norm_fwd, _norm_bwd)


def _norm_rule(op_, operands, statics):
    dt = statics[3][1] or operands[0].dtype  # statics: ord, dim, keepdim, dtype
    if dt.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_SHORT[dt.name]}")
    return dt, dt.to_real()


_vnorm = op("linalg_vector_norm", "LinalgVectorNormBackward0", dtypes=_norm_rule)(
    lambda a, ord, dim, keepdim, dtype: _norm(a, ord, axes(dim, a.ndim), keepdim))


@outable
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """torch.linalg.vector_norm."""
    _norm_rule(None, (x,), (None, None, None, ("dtype", _opt_dtype(dtype))))
    d = _dim_arg(x, dim)
    ord = float(ord)
    if x.numel() == 0 and (ord < 0 or ord == math.inf):
        if d is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on an empty "
                               "tensor because the operation does not have an identity")
        for k in d:
            if x.shape[k] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on the "
                                   f"dimension {k}because this dimension is empty and the "
                                   "operation does not have an identity")
    res = run(_vnorm, (x,), (("ord", ord), ("dim", d), ("keepdim", bool(keepdim)),
                             ("dtype", _opt_dtype(dtype))))
    if ord == 0 and res._grad_fn is not None:
        res._grad_fn.diff = ()  # torch's backward of the 0-"norm" gives no gradient at all
    return res


_FRO = (("ord", 2.0), ("dim", None), ("keepdim", False), ("dtype", None))
_FRO_KERNELS: dict = {}


@public()
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    if p == "fro" and dim is None and not keepdim and dtype is None and isinstance(
            input, Tensor):  # the common case: the kernel found by dtype alone
        k = _FRO_KERNELS.get(input._data.dtype)
        if k is None:
            k = _FRO_KERNELS[input._data.dtype] = resolve(_vnorm, (input,), _FRO)[0]
        return execute(_vnorm, k, (input,))
    if isinstance(dim, int):
        dim = (dim,)
    if p is None or p == "fro":
        if dim is None or len(dim) <= 2:
            return vector_norm(input, 2, dim, keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {tuple(dim)}")
    if isinstance(p, str):
        from .. import linalg
        return linalg.matrix_norm(input, p, dim or (-2, -1), keepdim, dtype=dtype)
    return vector_norm(input, p, dim, keepdim, dtype=dtype)
