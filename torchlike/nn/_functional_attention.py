"""scaled_dot_product_attention: one table op (softmax(q k^T * scale + mask) v), with torch's
CPU node names and argument checks. A row with every key masked gives zeros (torch's safe
softmax); attention dropout draws its mask on the host from torchlike's generator, as torch's
math path draws bernoulli_ over the attention weights."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .._random import rng as _rng
from .._tensor import _CTYPE, _wrap
from ..ops import nn as K
from ..ops._registry import op, run


def _sdpa(q, k, v, mask, noise, scale, causal, gqa):
    if gqa:  # each key/value head serves a group of query heads
        k = jnp.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
        v = jnp.repeat(v, q.shape[-3] // v.shape[-3], axis=-3)
    s = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    att = jnp.matmul(q, jnp.swapaxes(k, -1, -2), precision="highest") * s
    n, m = q.shape[-2], k.shape[-2]
    if causal:
        att = jnp.where(jnp.tril(jnp.ones((n, m), bool)), att, -jnp.inf)
    if mask is not None:
        att = jnp.where(mask, att, -jnp.inf) if mask.dtype == jnp.bool_ else att + mask
    empty = jnp.all(att == -jnp.inf, axis=-1, keepdims=True)
    w = jnp.where(empty, 0, jax.nn.softmax(jnp.where(empty, 0, att), axis=-1))
    if noise is not None:
        w = w * noise
    return jnp.matmul(w, v, precision="highest")


def _name(statics, pattern):
    # torch's CPU flash kernel takes 4-d inputs of one head size and no dropout; the other
    # cases run the composite math path, whose last node is mm (2-d) or a view of bmm
    return {"flash": "ScaledDotProductFlashAttentionForCpuBackward0", "mm": "MmBackward0",
            "math": "UnsafeViewBackward0"}[dict(statics)["path"]]


sdpa_op = op("scaled_dot_product_attention", _name, dtypes="promote", promote=(0, 1, 2))(
    lambda q, k, v, mask, noise, scale, causal, gqa, path: _sdpa(q, k, v, mask, noise, scale,
                                                                  causal, gqa))


def _mismatch(a, b, offset=0):
    """torch's broadcast error for shapes a and b (None when they broadcast)."""
    for d in range(1, min(len(a), len(b)) + 1):
        if a[-d] != b[-d] and a[-d] != 1 and b[-d] != 1:
            return RuntimeError(f"The size of tensor a ({a[-d]}) must match the size of tensor "
                                f"b ({b[-d]}) at non-singleton dimension "
                                f"{max(len(a), len(b)) - d + offset}")
    return None


def _check(query, key, value, attn_mask, gqa):
    """torch's checks, in its order; the shape of the attention weights."""
    q, k, v = query, key, value
    if not (q.dtype is k.dtype and k.dtype is v.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_CTYPE[q.dtype.name]} key.dtype: "
                           f"{_CTYPE[k.dtype.name]} and value.dtype: {_CTYPE[v.dtype.name]} "
                           f"instead.")
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {q.ndim} key.dim: {k.ndim} and value.dim: "
                           f"{v.ndim} instead.")
    if attn_mask is not None and attn_mask.dtype.name not in ("bool", "float32", q.dtype.name):
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {_CTYPE[attn_mask.dtype.name]} and "
                           f" query.dtype: {_CTYPE[q.dtype.name]} instead.")
    if attn_mask is not None and attn_mask.ndim < 2:
        n = max(attn_mask.ndim, 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got -2)")
    kshape = tuple(k.shape)
    if gqa:
        for t in (q, k, v):
            if t.ndim < 3:
                raise IndexError(f"Dimension out of range (expected to be in range of "
                                 f"[-{t.ndim}, {t.ndim - 1}], but got -3)")
        if q.shape[-3] % k.shape[-3] or q.shape[-3] % v.shape[-3]:
            raise RuntimeError("Number of heads in key and value must divide the number of "
                               "heads in ")
        kshape = kshape[:-3] + (q.shape[-3],) + kshape[-2:]
    err = _mismatch(tuple(q.shape[:-2]), kshape[:-2])
    if err is not None:
        raise err
    batch = np.broadcast_shapes(tuple(q.shape[:-2]), kshape[:-2])
    if q.shape[-1] != k.shape[-1]:
        nb = math.prod(batch)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{nb}, {q.shape[-1]}] but got: [{nb}, {k.shape[-1]}].")
    shape = tuple(batch) + (q.shape[-2], k.shape[-2])
    if attn_mask is not None:
        err = _mismatch(shape, tuple(attn_mask.shape))
        if err is not None:
            raise err
        if attn_mask.ndim > len(shape):
            full = list(np.broadcast_shapes(shape, tuple(attn_mask.shape)))
            raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast "
                               f"shape {full}")
    return shape


def _flash(query, key, value, attn_mask, dropout_p, gqa) -> bool:
    """Whether torch's CPU dispatch picks the flash kernel."""
    q, k, v = query, key, value
    if dropout_p > 0 or not q.ndim == k.ndim == v.ndim == 4:
        return False
    if not q.shape[-1] == k.shape[-1] == v.shape[-1] or not q.shape[0] == k.shape[0] == \
            v.shape[0] or q.shape[-1] == 0:
        return False
    heads = q.shape[1] == k.shape[1] == v.shape[1] or (
        gqa and k.shape[1] == v.shape[1] and q.shape[1] % k.shape[1] == 0)
    if not heads or any(t.stride(-1) != 1 for t in (q, k, v)):
        return False
    return attn_mask is None or (attn_mask.ndim in (2, 4) and not attn_mask.requires_grad)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    shape = _check(query, key, value, attn_mask, enable_gqa)
    flash = _flash(query, key, value, attn_mask, dropout_p, enable_gqa)
    if flash and dropout_p != 0:
        raise RuntimeError("scaled_dot_product_attention_flash_attention: Currently do not "
                           "support dropout > 0")
    noise = None
    if dropout_p > 0:
        if dropout_p > 1:
            raise RuntimeError(f"dropout probability has to be between 0 and 1, but got "
                               f"{dropout_p}")
        if dropout_p == 1:  # torch multiplies by zero without drawing
            noise = _wrap(jnp.zeros(shape, query.dtype.np))
        else:
            noise = _wrap(jnp.asarray(K.dropout_noise(shape, dropout_p, query.dtype, _rng())))
    path = "flash" if flash else "mm" if query.ndim == key.ndim == value.ndim == 2 else "math"
    return run(sdpa_op, (query, key, value, attn_mask, noise),
               (("scale", None if scale is None else float(scale)),
                ("causal", bool(is_causal)), ("gqa", bool(enable_gqa)), ("path", path)))
