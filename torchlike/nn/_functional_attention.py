"""scaled_dot_product_attention: one table op (softmax(q k^T * scale + mask) v), with torch's
CPU node names; attention dropout draws its mask on the host from torchlike's generator."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .._random import rng as _rng
from .._tensor import _wrap
from ..ops._registry import op, run


def _sdpa(q, k, v, mask, noise, scale, causal, gqa):
    if gqa and k.shape[-3] != q.shape[-3]:
        rep = q.shape[-3] // k.shape[-3]
        k, v = jnp.repeat(k, rep, axis=-3), jnp.repeat(v, rep, axis=-3)
    s = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    att = jnp.matmul(q, jnp.swapaxes(k, -1, -2), precision="highest") * s
    n, m = q.shape[-2], k.shape[-2]
    if causal:
        att = jnp.where(jnp.tril(jnp.ones((n, m), bool)), att, -jnp.inf)
    if mask is not None:
        att = jnp.where(mask, att, -jnp.inf) if mask.dtype == jnp.bool_ else att + mask
    w = jax.nn.softmax(att, axis=-1)
    if noise is not None:
        w = w * noise
    return jnp.matmul(w, v, precision="highest")


def _name(statics, pattern):
    # torch's CPU flash kernel takes 4-d inputs with equal q/v head sizes and no dropout; the
    # other cases run the composite math path, whose last node is a view
    return "ScaledDotProductFlashAttentionForCpuBackward0" if dict(statics)["flash"] else \
        "UnsafeViewBackward0"


sdpa_op = op("scaled_dot_product_attention", _name, dtypes="promote", promote=(0, 1, 2))(
    lambda q, k, v, mask, noise, scale, causal, gqa, flash: _sdpa(q, k, v, mask, noise, scale,
                                                                   causal, gqa))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    noise = None
    if dropout_p > 0:
        shape = tuple(query.shape[:-1]) + (key.shape[-2],)
        keep = _rng().bernoulli(shape, 1 - dropout_p)
        noise = _wrap(jnp.asarray((keep / (1 - dropout_p)).astype(query.dtype.np)))
    return run(sdpa_op, (query, key, value, attn_mask, noise),
               (("scale", None if scale is None else float(scale)),
                ("causal", bool(is_causal)), ("gqa", bool(enable_gqa)),
                ("flash", query.ndim == 4 and noise is None and query.shape[-1] == value.shape[-1]
                 and not (attn_mask is not None and attn_mask.requires_grad))))

