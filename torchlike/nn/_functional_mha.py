"""multi_head_attention_forward and its mask helpers, composed from torchlike ops in torch's
order (so values, grad_fn names and gradients follow torch/nn/functional.py)."""
from __future__ import annotations

import math
import warnings

from .. import _creation as C
from .. import _dtype as D
from ..ops import combine as _combine
from ..ops import linalg as _linalg
from . import functional as F  # functional.py re-exports this module: resolved at call time
from ._functional_attention import scaled_dot_product_attention


def _check(ok: bool, msg) -> None:
    # torch's own asserts here are AssertionErrors with these texts; never `assert` (-O)
    if not ok:
        raise AssertionError(msg() if callable(msg) else msg)


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the input is batched; torch's AssertionErrors for inconsistent ranks."""
    if query.dim() not in (2, 3):
        raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.dim()}-D query tensor")
    batched = query.dim() == 3
    kind, n = ("batched (3-D)", 3) if batched else ("unbatched (2-D)", 2)
    _check(key.dim() == n and value.dim() == n, lambda: (
        f"For {kind} `query`, expected `key` and `value` to be {n}-D but found {key.dim()}-D "
        f"and {value.dim()}-D tensors respectively"))
    if key_padding_mask is not None:
        _check(key_padding_mask.dim() == n - 1, lambda: (
            f"For {kind} `query`, expected `key_padding_mask` to be `None` or {n - 1}-D but "
            f"found {key_padding_mask.dim()}-D tensor instead"))
    if attn_mask is not None:
        _check(attn_mask.dim() in (2, 3), lambda: (
            f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
            f"{attn_mask.dim()}-D tensor instead"))
        if not batched and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            _check(attn_mask.shape == expected, lambda: (
                f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}"))
    return batched


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask becomes an additive float mask (0 / -inf) of `target_type`."""
    if mask is None:
        return None
    if mask.dtype is not D.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=2)
    if not mask.is_floating_point():
        mask = C.zeros_like(mask, dtype=target_type).masked_fill_(mask, float("-inf"))
    return mask


def _none_or_dtype(input):
    return None if input is None else input.dtype


def _in_projection_packed(q, k, v, w, b=None):
    """q, k, v projections through one packed (3E, E) weight, sharing matmuls as torch does."""
    E = q.size(-1)
    if k is v:
        if q is k:
            proj = _linear(q, w, b).unflatten(-1, (3, E))
            proj = proj.unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
            return proj[0], proj[1], proj[2]
        w_q, w_kv = w.split([E, E * 2])
        b_q, b_kv = (None, None) if b is None else b.split([E, E * 2])
        kv = _linear(k, w_kv, b_kv).unflatten(-1, (2, E))
        kv = kv.unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        return _linear(q, w_q, b_q), kv[0], kv[1]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None,) * 3 if b is None else b.chunk(3)
    return _linear(q, w_q, b_q), _linear(k, w_k, b_k), _linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    Eq, Ek, Ev = q.size(-1), k.size(-1), v.size(-1)
    for name, w, shape in (("query", w_q, (Eq, Eq)), ("key", w_k, (Eq, Ek)),
                           ("value", w_v, (Eq, Ev))):
        _check(w.shape == shape, lambda: (
            f"expecting {name} weights shape of {shape}, but got {w.shape}"))
    for name, b in (("query", b_q), ("key", b_k), ("value", b_v)):
        _check(b is None or b.shape == (Eq,), lambda: (
            f"expecting {name} bias shape of {(Eq,)}, but got {b.shape}"))
    return _linear(q, w_q, b_q), _linear(k, w_k, b_k), _linear(v, w_v, b_v)


def _linear(x, w, b):
    return F.linear(x, w, b)


def _pad_last(mask):
    return F.pad(mask, (0, 1))


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v,
                                 add_zero_attn: bool, dropout_p: float, out_proj_weight,
                                 out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True,
                                 is_causal: bool = False):
    """Sequence-first (L, N, E) attention: in-projection, per-head attention, out-projection."""
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # sdpa applies the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    _check(embed_dim == embed_dim_to_check, lambda: (
        f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"))
    head_dim = embed_dim // num_heads
    _check(head_dim * num_heads == embed_dim,
           lambda: f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        _check(key.shape[:2] == value.shape[:2], lambda: (
            f"key's sequence and batch dims {key.shape[:2]} do not match value's "
            f"{value.shape[:2]}"))
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            _check(w is not None,
                   f"use_separate_proj_weight is True but {name}_proj_weight is None")
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight,
                                 b_q, b_k, b_v)
    else:
        _check(key.shape == value.shape,
               lambda: f"key shape {key.shape} does not match value shape {value.shape}")
        _check(in_proj_weight is not None,
               "use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        want = (tgt_len, src_len) if attn_mask.dim() == 2 else \
            (bsz * num_heads, tgt_len, src_len)
        if attn_mask.shape != want:
            raise RuntimeError(f"The shape of the {attn_mask.dim()}D attn_mask is "
                               f"{attn_mask.shape}, but should be {want}.")
        if attn_mask.dim() == 2:
            attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        _check(static_k is None, "bias cannot be added to static key.")
        _check(static_v is None, "bias cannot be added to static value.")
        k = _combine.cat([k, bias_k.repeat(1, bsz, 1)])
        v = _combine.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    else:
        _check(bias_k is None, "bias_k is set but bias_v is None")
        _check(bias_v is None, "bias_v is set but bias_k is None")

    # heads move into the batch: (L, N, E) -> (N * heads, L, head_dim)
    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, bsz, num_heads, head_dim, "k")
    v = _heads(v, static_v, bsz, num_heads, head_dim, "v")
    if add_zero_attn:
        zeros = (bsz * num_heads, 1, head_dim)
        k = _combine.cat([k, C.zeros(zeros, dtype=k.dtype)], dim=1)
        v = _combine.cat([v, C.zeros(zeros, dtype=v.dtype)], dim=1)
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    src_len = k.size(1)
    if key_padding_mask is not None:
        _check(key_padding_mask.shape[0] == bsz, lambda: (
            f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
            f"{key_padding_mask.shape[0]}"))
        _check(key_padding_mask.shape[1] == src_len, lambda: (
            f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
            f"{key_padding_mask.shape[1]}"))
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len) \
            .expand(-1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(q.shape[-1]))
        _check(not (is_causal and attn_mask is None),
               "FIXME: is_causal not implemented for need_weights")
        kt = k.transpose(-2, -1)
        weights = _linalg.bmm(q_scaled, kt) if attn_mask is None else \
            _linalg.baddbmm(attn_mask, q_scaled, kt)
        weights = F.softmax(weights, dim=-1)
        if dropout_p > 0.0:
            weights = F.dropout(weights, p=dropout_p)
        out = _linalg.bmm(weights, v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = _linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.size(1))
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.size(0) == 1 and attn_mask.dim() == 3 \
            else attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = _linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.size(1))
    return (out if is_batched else out.squeeze(1)), None


def _heads(t, static, bsz, num_heads, head_dim, name):
    """(S, N, E) -> (N * heads, S, head_dim), or the caller's precomputed `static_k/v`."""
    if static is None:
        return t.view(t.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    _check(static.size(0) == bsz * num_heads, lambda: (
        f"expecting static_{name}.size(0) of {bsz * num_heads}, but got {static.size(0)}"))
    _check(static.size(2) == head_dim,
           lambda: f"expecting static_{name}.size(2) of {head_dim}, but got {static.size(2)}")
    return static
