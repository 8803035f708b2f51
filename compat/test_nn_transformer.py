"""MultiheadAttention and the Transformer family against real torch: torch's parameters copied
into torchlike, then outputs, attention weights, input and parameter gradients, reprs,
state_dict keys, errors, warnings and dropout behaviour compared."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _helper import assert_same_tensor, check_raises

import torchlike

R = np.random.default_rng(0)
E, H, L, S, N = 8, 2, 4, 5, 3  # embed dim, heads, target length, source length, batch


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def kpm(n, s):
    """A key padding mask (True = ignore) that leaves every row something to attend to."""
    m = R.random((n, s)) < 0.4
    m[..., 0] = False
    return m


def bool_mask(*shape):
    m = R.random(shape) < 0.4
    m[..., 0] = False
    return m


def float_mask(*shape):
    return np.where(bool_mask(*shape), -np.inf, R.standard_normal(shape)).astype(np.float32)


def causal(n):
    return np.triu(np.full((n, n), -np.inf, np.float32), 1)


def _tensor(lib, x, grad):
    t = torch.from_numpy(x.copy()) if lib is torch else torchlike.tensor(x)
    return t.requires_grad_(True) if grad else t


def _build(make):
    """torch's module (seeded), torchlike's with torch's parameters loaded; both in eval."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TransformerEncoder's nested-tensor notice
        tm, lm = make(torch), make(torchlike)
    lm.load_state_dict({k: torchlike.tensor(v.detach().numpy())
                        for k, v in tm.state_dict().items()})
    return tm.eval(), lm.eval()


def compare(make, call, inputs, masks=(), seed=1):
    """Run `call(module, *inputs, *masks)` under both libraries; compare the outputs, then the
    gradients of the float inputs and of every parameter after backward of a random cotangent."""
    tm, lm = _build(make)
    t_in = [_tensor(torch, x, True) for x in inputs] + [_tensor(torch, m, False) for m in masks]
    l_in = [_tensor(torchlike, x, True) for x in inputs] + \
        [_tensor(torchlike, m, False) for m in masks]
    want, got = call(tm, *t_in), call(lm, *l_in)
    wants, gots = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    assert len(wants) == len(gots)
    rng = np.random.default_rng(seed)
    t_loss = l_loss = 0
    for i, (w, g) in enumerate(zip(wants, gots)):
        if w is None:
            assert g is None, f"output {i}: torch returns None"
            continue
        assert_same_tensor(w, g, f"output {i}", check_repr=False)
        ct = rng.standard_normal(tuple(w.shape)).astype(np.float32)
        t_loss = t_loss + (w * torch.from_numpy(ct)).sum()
        l_loss = l_loss + (g * torchlike.tensor(ct)).sum()
    t_loss.backward()
    l_loss.backward()
    for i, (tx, lx) in enumerate(zip(t_in[:len(inputs)], l_in)):
        assert_same_tensor(tx.grad, lx.grad, f"grad of input {i}", check_repr=False)
    t_params, l_params = list(tm.named_parameters()), list(lm.named_parameters())
    assert [n for n, _ in t_params] == [n for n, _ in l_params]
    for (n, tp), (_, lp) in zip(t_params, l_params):
        if tp.grad is None:
            assert lp.grad is None, f"grad of {n}: torch has None"
        else:
            assert_same_tensor(tp.grad, lp.grad, f"grad of {n}", check_repr=False)


# ---- MultiheadAttention ------------------------------------------------------------------
def mha(**kw):
    """A MultiheadAttention factory; dtype is given by name and resolved in each library."""
    return lambda lib: lib.nn.MultiheadAttention(
        E, H, **{k: getattr(lib, v) if k == "dtype" else v for k, v in kw.items()})


QKV = [f32(L, N, E), f32(S, N, E), f32(S, N, E)]
QKV_BF = [f32(N, L, E), f32(N, S, E), f32(N, S, E)]
KPM, ATT2, ATT3 = kpm(N, S), bool_mask(L, S), float_mask(N * H, L, S)

MHA = [
    ("basic", mha(), QKV, (), lambda m, q, k, v: m(q, k, v)),
    ("batch_first", mha(batch_first=True), QKV_BF, (), lambda m, q, k, v: m(q, k, v)),
    ("self_attention", mha(batch_first=True), QKV_BF[:1], (), lambda m, x: m(x, x, x)),
    ("self_attention_seq_first", mha(), QKV[:1], (), lambda m, x: m(x, x, x)),
    ("key_is_value", mha(), QKV[:2], (), lambda m, q, k: m(q, k, k)),
    ("kdim_vdim", mha(kdim=3, vdim=5), [f32(L, N, E), f32(S, N, 3), f32(S, N, 5)], (),
     lambda m, q, k, v: m(q, k, v)),
    ("kdim_vdim_batch_first", mha(kdim=3, vdim=5, batch_first=True),
     [f32(N, L, E), f32(N, S, 3), f32(N, S, 5)], (KPM,),
     lambda m, q, k, v, p: m(q, k, v, key_padding_mask=p)),
    ("no_bias", mha(bias=False), QKV, (), lambda m, q, k, v: m(q, k, v)),
    ("kpm_bool", mha(), QKV, (KPM,), lambda m, q, k, v, p: m(q, k, v, key_padding_mask=p)),
    ("kpm_float", mha(), QKV, (float_mask(N, S),),
     lambda m, q, k, v, p: m(q, k, v, key_padding_mask=p)),
    ("attn_mask_bool_2d", mha(), QKV, (ATT2,), lambda m, q, k, v, a: m(q, k, v, attn_mask=a)),
    ("attn_mask_float_2d", mha(), QKV, (float_mask(L, S),),
     lambda m, q, k, v, a: m(q, k, v, attn_mask=a)),
    ("attn_mask_float_3d", mha(), QKV, (ATT3,), lambda m, q, k, v, a: m(q, k, v, attn_mask=a)),
    ("attn_mask_bool_3d_kpm", mha(), QKV, (bool_mask(N * H, L, S), KPM),
     lambda m, q, k, v, a, p: m(q, k, v, attn_mask=a, key_padding_mask=p)),
    ("add_bias_kv", mha(add_bias_kv=True), QKV, (ATT2, KPM),
     lambda m, q, k, v, a, p: m(q, k, v, attn_mask=a, key_padding_mask=p)),
    ("add_zero_attn", mha(add_zero_attn=True), QKV, (ATT3, KPM),
     lambda m, q, k, v, a, p: m(q, k, v, attn_mask=a, key_padding_mask=p)),
    ("bias_kv_zero_attn_no_weights", mha(add_bias_kv=True, add_zero_attn=True), QKV, (KPM,),
     lambda m, q, k, v, p: m(q, k, v, key_padding_mask=p, need_weights=False)),
    ("per_head_weights", mha(), QKV, (KPM,),
     lambda m, q, k, v, p: m(q, k, v, key_padding_mask=p, average_attn_weights=False)),
    ("no_weights", mha(), QKV, (), lambda m, q, k, v: m(q, k, v, need_weights=False)),
    ("no_weights_masks", mha(batch_first=True), QKV_BF, (ATT3, KPM),
     lambda m, q, k, v, a, p: m(q, k, v, attn_mask=a, key_padding_mask=p,
                                need_weights=False)),
    ("no_weights_mask_2d", mha(), QKV, (ATT2,),
     lambda m, q, k, v, a: m(q, k, v, attn_mask=a, need_weights=False)),
    ("unbatched", mha(), [f32(L, E), f32(S, E), f32(S, E)], (kpm(1, S)[0], ATT2),
     lambda m, q, k, v, p, a: m(q, k, v, key_padding_mask=p, attn_mask=a)),
    ("unbatched_3d_mask", mha(batch_first=True), [f32(L, E), f32(S, E), f32(S, E)],
     (float_mask(H, L, S),), lambda m, q, k, v, a: m(q, k, v, attn_mask=a)),
    ("unbatched_no_weights", mha(), [f32(L, E), f32(S, E), f32(S, E)], (ATT2,),
     lambda m, q, k, v, a: m(q, k, v, attn_mask=a, need_weights=False)),
    ("causal_sdpa", mha(), QKV[:1], (causal(L),),
     lambda m, x, a: m(x, x, x, attn_mask=a, is_causal=True, need_weights=False)),
    ("causal_with_weights", mha(), QKV[:1], (causal(L),),
     lambda m, x, a: m(x, x, x, attn_mask=a, is_causal=True)),
    ("causal_kpm", mha(), QKV[:1], (causal(L), kpm(N, L)),
     lambda m, x, a, p: m(x, x, x, attn_mask=a, key_padding_mask=p, is_causal=True,
                          need_weights=False)),
    ("dropout_eval", mha(dropout=0.5), QKV, (), lambda m, q, k, v: m(q, k, v)),
    ("float64", mha(dtype="float64"), [x.astype(np.float64) for x in QKV], (KPM,),
     lambda m, q, k, v, p: m(q, k, v, key_padding_mask=p)),
]


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("name,make,inputs,masks,call", MHA, ids=[c[0] for c in MHA])
def test_multihead_attention(name, make, inputs, masks, call):
    compare(make, call, inputs, masks)


def test_multi_head_attention_forward_functional():
    """F.multi_head_attention_forward with separate weights, static_k/static_v, training off."""
    w = [f32(E, E), f32(E, 3), f32(E, 5), f32(3 * E), f32(E, E), f32(E)]
    q, k, v = f32(L, N, E), f32(S, N, 3), f32(S, N, 5)
    sk, sv = f32(N * H, S + 1, E // H), f32(N * H, S + 1, E // H)

    def run(lib, *ts):
        wq, wk, wv, b, wo, bo, q, k, v, sk, sv = ts
        return lib.nn.functional.multi_head_attention_forward(
            q, k, v, E, H, None, b, None, None, False, 0.5, wo, bo, training=False,
            use_separate_proj_weight=True, q_proj_weight=wq, k_proj_weight=wk,
            v_proj_weight=wv, static_k=sk, static_v=sv, average_attn_weights=False)

    arrays = w + [q, k, v, sk, sv]
    t_in = [_tensor(torch, x, True) for x in arrays]
    l_in = [_tensor(torchlike, x, True) for x in arrays]
    (to, tw), (lo, lw) = run(torch, *t_in), run(torchlike, *l_in)
    assert_same_tensor(to, lo, "output", check_repr=False)
    assert_same_tensor(tw, lw, "weights", check_repr=False)
    (to.sum() + tw.pow(2).sum()).backward()
    (lo.sum() + lw.pow(2).sum()).backward()
    for i, (tx, lx) in enumerate(zip(t_in, l_in)):
        if tx.grad is None:
            assert lx.grad is None, f"grad of input {i}: torch has None"
        else:
            assert_same_tensor(tx.grad, lx.grad, f"grad of input {i}", check_repr=False)


# ---- Transformer layers and stacks ----------------------------------------------------------
def enc_layer(**kw):
    return lambda lib: lib.nn.TransformerEncoderLayer(E, H, 16, **kw)


def dec_layer(**kw):
    return lambda lib: lib.nn.TransformerDecoderLayer(E, H, 16, **kw)


def encoder(layers=2, norm=True, **kw):
    return lambda lib: lib.nn.TransformerEncoder(
        lib.nn.TransformerEncoderLayer(E, H, 16, **kw), layers,
        lib.nn.LayerNorm(E) if norm else None)


def decoder(layers=2, norm=True, **kw):
    return lambda lib: lib.nn.TransformerDecoder(
        lib.nn.TransformerDecoderLayer(E, H, 16, **kw), layers,
        lib.nn.LayerNorm(E) if norm else None)


def transformer(**kw):
    return lambda lib: lib.nn.Transformer(E, H, 2, 2, 16, **kw)


SRC, SRC_BF, TGT, TGT_BF = f32(S, N, E), f32(N, S, E), f32(L, N, E), f32(N, L, E)
LAYERS = [
    ("enc_layer", enc_layer(), [SRC], (), lambda m, x: m(x)),
    ("enc_layer_masks", enc_layer(), [SRC], (float_mask(S, S), kpm(N, S)),
     lambda m, x, a, p: m(x, src_mask=a, src_key_padding_mask=p)),
    ("enc_layer_bool_masks", enc_layer(batch_first=True), [SRC_BF],
     (bool_mask(S, S), kpm(N, S)), lambda m, x, a, p: m(x, a, p)),
    ("enc_layer_norm_first_gelu", enc_layer(norm_first=True, activation="gelu"), [SRC],
     (kpm(N, S),), lambda m, x, p: m(x, src_key_padding_mask=p)),
    ("enc_layer_causal", enc_layer(batch_first=True), [SRC_BF], (causal(S),),
     lambda m, x, a: m(x, src_mask=a, is_causal=True)),
    ("enc_layer_module_activation", lambda lib: lib.nn.TransformerEncoderLayer(
        E, H, 16, activation=lib.nn.GELU(approximate="tanh"), layer_norm_eps=1e-3), [SRC], (),
     lambda m, x: m(x)),
    ("enc_layer_callable_activation", lambda lib: lib.nn.TransformerEncoderLayer(
        E, H, 16, activation=lib.nn.functional.silu, bias=False), [SRC], (), lambda m, x: m(x)),
    ("enc_layer_unbatched", enc_layer(norm_first=True), [f32(S, E)], (bool_mask(S, S),),
     lambda m, x, a: m(x, src_mask=a)),
    ("dec_layer", dec_layer(), [TGT, SRC], (), lambda m, t, s: m(t, s)),
    ("dec_layer_masks", dec_layer(), [TGT, SRC],
     (causal(L), float_mask(L, S), kpm(N, L), kpm(N, S)),
     lambda m, t, s, tm, mm, tp, mp: m(t, s, tm, mm, tp, mp)),
    ("dec_layer_norm_first_gelu_bf", dec_layer(norm_first=True, activation="gelu",
                                               batch_first=True),
     [TGT_BF, SRC_BF], (causal(L), kpm(N, S)),
     lambda m, t, s, tm, mp: m(t, s, tgt_mask=tm, memory_key_padding_mask=mp,
                               tgt_is_causal=True)),
    ("dec_layer_no_bias", dec_layer(bias=False), [TGT, SRC], (bool_mask(L, L),),
     lambda m, t, s, tm: m(t, s, tgt_mask=tm)),
    ("encoder", encoder(), [SRC], (causal(S), kpm(N, S)),
     lambda m, x, a, p: m(x, mask=a, src_key_padding_mask=p)),
    ("encoder_causal_detected", encoder(batch_first=True, norm=False), [SRC_BF], (causal(S),),
     lambda m, x, a: m(x, a)),
    ("encoder_norm_first", encoder(norm_first=True, activation="gelu"), [SRC], (),
     lambda m, x: m(x)),
    ("decoder", decoder(), [TGT, SRC], (causal(L), kpm(N, L), kpm(N, S)),
     lambda m, t, s, tm, tp, mp: m(t, s, tgt_mask=tm, tgt_key_padding_mask=tp,
                                   memory_key_padding_mask=mp)),
    ("decoder_bf_no_norm", decoder(batch_first=True, norm=False, norm_first=True),
     [TGT_BF, SRC_BF], (float_mask(L, S),), lambda m, t, s, mm: m(t, s, memory_mask=mm)),
    ("transformer", transformer(), [SRC, TGT], (), lambda m, s, t: m(s, t)),
    ("transformer_masks", transformer(), [SRC, TGT],
     (float_mask(S, S), causal(L), float_mask(L, S), kpm(N, S), kpm(N, L), kpm(N, S)),
     lambda m, s, t, sm, tm, mm, sp, tp, mp: m(s, t, sm, tm, mm, sp, tp, mp)),
    ("transformer_bf_norm_first_gelu", transformer(batch_first=True, norm_first=True,
                                                   activation="gelu"),
     [SRC_BF, TGT_BF], (causal(L), kpm(N, S)),
     lambda m, s, t, tm, sp: m(s, t, tgt_mask=tm, src_key_padding_mask=sp,
                               memory_key_padding_mask=sp, tgt_is_causal=True)),
    ("transformer_unbatched", transformer(bias=False), [f32(S, E), f32(L, E)], (causal(L),),
     lambda m, s, t, tm: m(s, t, tgt_mask=tm)),
]


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("name,make,inputs,masks,call", LAYERS, ids=[c[0] for c in LAYERS])
def test_transformer_layers(name, make, inputs, masks, call):
    compare(make, call, inputs, masks)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
@pytest.mark.parametrize("padding", ["none", "left_aligned", "scattered", "with_mask"])
def test_encoder_fast_path_values(padding):
    """Under no_grad in eval torch takes its fast path (fused kernels; nested tensors when the
    key padding is left-aligned, which zeroes padded positions): same values as torchlike."""
    tm, lm = _build(encoder(batch_first=True))
    x, p = f32(N, S, E), np.zeros((N, S), bool)
    if padding == "scattered":
        p = kpm(N, S)
    elif padding != "none":
        p[0, -2:], p[1, -1] = True, True
    kw = lambda lib: {} if padding == "none" else {  # noqa: E731
        "src_key_padding_mask": _tensor(lib, p, False),
        "mask": _tensor(lib, np.zeros((S, S), bool), False) if padding == "with_mask" else None}
    with torch.no_grad():
        want = tm(torch.from_numpy(x), **kw(torch))
    with torchlike.no_grad():
        got = lm(torchlike.tensor(x), **kw(torchlike))
    assert_same_tensor(want, got, check_repr=False)


@pytest.mark.parametrize("kw", [{}, {"key_padding_mask": KPM}, {"attn_mask": bool_mask(S, S)},
                                {"key_padding_mask": KPM, "need_weights": False},
                                {"key_padding_mask": KPM, "average_attn_weights": False}],
                         ids=["plain", "kpm", "attn_mask", "no_weights", "per_head"])
def test_mha_fast_path_values(kw):
    """torch's eval no-grad self-attention runs _native_multi_head_attention: same values."""
    tm, lm = _build(mha(batch_first=True))
    x = f32(N, S, E)
    with torch.no_grad():
        tx = torch.from_numpy(x)
        want = tm(tx, tx, tx, **{k: _tensor(torch, v, False) if isinstance(v, np.ndarray) else v
                                 for k, v in kw.items()})
    with torchlike.no_grad():
        lx = torchlike.tensor(x)
        got = lm(lx, lx, lx, **{k: _tensor(torchlike, v, False) if isinstance(v, np.ndarray)
                                else v for k, v in kw.items()})
    for i, (w, g) in enumerate(zip(want, got)):
        assert (w is None) == (g is None), f"output {i}"
        if w is not None:
            assert_same_tensor(w, g, f"output {i}", check_repr=False)


# ---- structure: reprs, parameter names, state_dict, init ------------------------------------
STRUCTURE = [
    ("mha", mha()), ("mha_kdim_bias_kv", mha(kdim=3, vdim=5, add_bias_kv=True)),
    ("mha_no_bias", mha(bias=False, add_zero_attn=True, batch_first=True)),
    ("enc_layer", enc_layer(dropout=0.2)),
    ("enc_layer_module_activation", lambda lib: lib.nn.TransformerEncoderLayer(
        E, H, activation=lib.nn.GELU(), norm_first=True)),
    ("dec_layer", dec_layer(bias=False, layer_norm_eps=1e-6)),
    ("encoder", encoder(3)), ("decoder", decoder(1, norm=False)),
    ("transformer", transformer()), ("transformer_default", lambda lib: lib.nn.Transformer()),
    ("transformer_custom_decoder", lambda lib: lib.nn.Transformer(
        E, H, 1, custom_decoder=lib.nn.TransformerDecoder(
            lib.nn.TransformerDecoderLayer(E, H, 16, batch_first=True), 2),
        batch_first=True)),
]


@pytest.mark.parametrize("name,make", STRUCTURE, ids=[c[0] for c in STRUCTURE])
def test_structure(name, make):
    with warnings.catch_warnings(record=True) as t_warn:
        warnings.simplefilter("always")
        tm = make(torch)
    with warnings.catch_warnings(record=True) as l_warn:
        warnings.simplefilter("always")
        lm = make(torchlike)
    assert [str(w.message) for w in l_warn] == [str(w.message) for w in t_warn]
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())
    t_params, l_params = list(tm.named_parameters()), list(lm.named_parameters())
    assert [(n, tuple(p.shape)) for n, p in l_params] == [(n, tuple(p.shape)) for n, p in t_params]
    for attr in ("use_nested_tensor", "activation_relu_or_gelu", "_qkv_same_embed_dim",
                 "head_dim", "norm_first", "batch_first", "d_model", "nhead", "num_layers"):
        assert getattr(lm, attr, None) == getattr(tm, attr, None), attr


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_init_statistics():
    """torch's init scheme with torchlike's RNG: xavier bounds, zero biases, fresh values."""
    torchlike.manual_seed(0)
    m = torchlike.nn.MultiheadAttention(E, H, add_bias_kv=True)
    w = m.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (E + 3 * E))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert not m.in_proj_bias.detach().numpy().any()
    assert not m.out_proj.bias.detach().numpy().any()
    assert m.bias_k.detach().numpy().std() > 0
    t = torchlike.nn.Transformer(E, H, 1, 1, 16)
    for name, p in t.named_parameters():
        if p.dim() > 1:  # every matrix re-drawn by xavier_uniform_ from its own fans
            fan_out, fan_in = p.shape
            assert np.abs(p.detach().numpy()).max() <= np.sqrt(6 / (fan_in + fan_out)), name


@pytest.mark.parametrize("sz,dtype", [(4, None), (1, "float64"), (0, None), (3, "bool")])
def test_generate_square_subsequent_mask(sz, dtype):
    want = torch.nn.Transformer.generate_square_subsequent_mask(
        sz, dtype=getattr(torch, dtype) if dtype else None)
    got = torchlike.nn.Transformer.generate_square_subsequent_mask(
        sz, dtype=getattr(torchlike, dtype) if dtype else None)
    assert_same_tensor(want, got, "mask")


# ---- errors and warnings ------------------------------------------------------------------
def _raises(make, call, *arrays):
    def fn(lib, *ts):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(make(lib), *ts)
    want, got = check_raises(fn, *arrays)
    assert got == want


ERRORS = [
    ("embed_dim_zero", lambda lib: lib.nn.MultiheadAttention(0, 2), lambda m: m, ()),
    ("not_divisible", lambda lib: lib.nn.MultiheadAttention(7, 2), lambda m: m, ()),
    ("query_4d", mha(), lambda m, q: m(q, q, q), (f32(1, L, N, E),)),
    ("key_rank", mha(), lambda m, q, k: m(q, k, k), (f32(L, N, E), f32(S, E))),
    ("unbatched_key_rank", mha(), lambda m, q, k: m(q, k, k), (f32(L, E), f32(S, N, E))),
    ("kpm_rank", mha(), lambda m, q, p: m(q, q, q, key_padding_mask=p),
     (f32(L, N, E), bool_mask(L))),
    ("unbatched_kpm_rank", mha(), lambda m, q, p: m(q, q, q, key_padding_mask=p),
     (f32(L, E), bool_mask(1, L))),
    ("attn_mask_rank", mha(), lambda m, q, a: m(q, q, q, attn_mask=a),
     (f32(L, N, E), bool_mask(1, 1, L, L))),
    ("attn_mask_2d_shape", mha(), lambda m, q, a: m(q, q, q, attn_mask=a),
     (f32(L, N, E), bool_mask(L, L + 1))),
    ("attn_mask_3d_shape", mha(), lambda m, q, a: m(q, q, q, attn_mask=a),
     (f32(L, N, E), bool_mask(N, L, L))),
    ("unbatched_attn_mask_3d", mha(), lambda m, q, a: m(q, q, q, attn_mask=a),
     (f32(L, E), bool_mask(N, L, L))),
    ("int_mask", mha(), lambda m, q, a: m(q, q, q, attn_mask=a),
     (f32(L, N, E), np.zeros((L, L), np.int64))),
    ("embed_dim", mha(), lambda m, q: m(q, q, q), (f32(L, N, E + 2),)),
    ("key_value_shape", mha(), lambda m, q, k, v: m(q, k, v),
     (f32(L, N, E), f32(S, N, E), f32(S + 1, N, E))),
    ("separate_key_value_dims", mha(kdim=3, vdim=5), lambda m, q, k, v: m(q, k, v),
     (f32(L, N, E), f32(S, N, 3), f32(S + 1, N, 5))),
    ("kdim_weight_shape", mha(kdim=3, vdim=5), lambda m, q, k, v: m(q, k, v),
     (f32(L, N, E), f32(S, N, 4), f32(S, N, 5))),
    ("kpm_size", mha(), lambda m, q, p: m(q, q, q, key_padding_mask=p),
     (f32(L, N, E), bool_mask(N, L + 1))),
    ("kpm_batch", mha(), lambda m, q, p: m(q, q, q, key_padding_mask=p),
     (f32(L, N, E), bool_mask(N + 1, L))),
    ("causal_without_mask", mha(), lambda m, q: m(q, q, q, is_causal=True), (f32(L, N, E),)),
    ("bad_activation", lambda lib: lib.nn.TransformerEncoderLayer(E, H, activation="tanh"),
     lambda m: m, ()),
    ("transformer_batch", transformer(), lambda m, s, t: m(s, t), (SRC, f32(L, N + 1, E))),
    ("transformer_batch_bf", transformer(batch_first=True), lambda m, s, t: m(s, t),
     (SRC_BF, f32(N + 1, L, E))),
    ("transformer_d_model", transformer(), lambda m, s, t: m(s, t), (SRC, f32(L, N, E + 1))),
]


@pytest.mark.parametrize("name,make,call,arrays", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors(name, make, call, arrays):
    _raises(make, call, *arrays)


def test_mismatched_mask_warning():
    def run(lib):
        m = lib.nn.MultiheadAttention(E, H)
        x = lib.zeros(L, N, E)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            m(x, x, x, key_padding_mask=lib.zeros(N, L, dtype=lib.bool),
              attn_mask=lib.zeros(L, L))
        return [str(w.message) for w in rec]
    want = run(torch)
    assert want and run(torchlike) == want


# ---- dropout in training mode ---------------------------------------------------------------
DROPOUT = [
    ("mha", lambda lib, p: lib.nn.MultiheadAttention(E, H, dropout=p),
     lambda m, x: m(x, x, x)[0]),
    ("mha_no_weights", lambda lib, p: lib.nn.MultiheadAttention(E, H, dropout=p),
     lambda m, x: m(x, x, x, need_weights=False)[0]),
    ("enc_layer", lambda lib, p: lib.nn.TransformerEncoderLayer(E, H, 16, dropout=p),
     lambda m, x: m(x)),
    ("transformer", lambda lib, p: lib.nn.Transformer(E, H, 1, 1, 16, dropout=p),
     lambda m, x: m(x, x)),
]


@pytest.mark.parametrize("name,make,call", DROPOUT, ids=[c[0] for c in DROPOUT])
def test_dropout_train_mode(name, make, call):
    torchlike.manual_seed(0)
    x = torchlike.tensor(f32(L, N, E), requires_grad=True)
    for p, differs in ((0.5, True), (0.0, False)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = make(torchlike, p)
        train = call(m.train(), x)
        ev = call(m.eval(), x)
        same = np.allclose(train.detach().numpy(), ev.detach().numpy(), atol=1e-6)
        assert same != differs, f"dropout p={p}: train {'==' if same else '!='} eval"
        assert m.training is False
        train.sum().backward()
        assert x.grad is not None and np.isfinite(x.grad.numpy()).all()
