"""Differential tests against real torch: affine_grid / grid_sample (and torch.grid_sampler*),
ctc_loss / CTCLoss, AdaptiveLogSoftmaxWithLoss, scaled_dot_product_attention's flags and errors,
and RNNBase.flatten_parameters."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import torchlike
from _helper import assert_same, check, check_raises, graph

R = np.random.default_rng(0)
# grid values on and past the borders (where torch's clamps have zero gradient), reflections
# over several periods, half-pixel positions for nearest's rounding
_SPECIAL = np.array([-1, 1, 0, -2, 2, 1.5, -1.5, 0.5, -0.5, 3, -3, 0.25, 5.5, -7.25])


def F(lib):
    return lib.nn.functional


def rn(*shape, dtype=np.float64):
    return R.standard_normal(shape).astype(dtype)


def grid(*shape, dtype=np.float32):
    """Random positions around [-1, 1], every other one a special value."""
    g = R.uniform(-1.3, 1.3, shape)
    g.flat[::2] = R.choice(_SPECIAL, g.size)[::2]
    return g.astype(dtype)


def forward(fn, *inputs):
    """fn's outputs under torch and torchlike, floating inputs requiring grad, compared as
    check() does (values, dtypes, grad_fn names) but without a backward pass (compile time)."""
    ins = [[lib.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
           for lib in (torch, torchlike)]
    assert_same(fn(torch, *ins[0]), fn(torchlike, *ins[1]))


def both(fn):
    """fn(torch) and fn(torchlike) with their warnings: (results, warning messages) each."""
    out = []
    for lib in (torch, torchlike):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = fn(lib)
        out.append((r, [str(m.message) for m in w]))
    return out


# ---- grid_sample ---------------------------------------------------------------------------
_CASES_2D = [("bilinear", "zeros", False), ("bilinear", "border", True),
             ("bilinear", "reflection", True), ("nearest", "reflection", False),
             ("bicubic", "zeros", False), ("bicubic", "reflection", True)]


@pytest.mark.parametrize("mode,padding,align", _CASES_2D)
def test_grid_sample_2d(mode, padding, align):
    check(lambda L, x, g: F(L).grid_sample(x, g, mode, padding, align),
          rn(2, 3, 5, 6, dtype=np.float32), grid(2, 4, 7, 2))


@pytest.mark.parametrize("mode,padding,align", [
    ("bilinear", "border", True), ("bilinear", "reflection", False), ("nearest", "zeros", False)])
def test_grid_sample_3d(mode, padding, align):
    check(lambda L, x, g: F(L).grid_sample(x, g, mode, padding, align),
          rn(2, 2, 3, 4, 5, dtype=np.float32), grid(2, 3, 2, 4, 3))


def test_grid_sample_float64_and_small_inputs():
    # float64, also against numerical gradients (inputs of at most 12 elements, positions away
    # from the kinks at pixel positions and borders)
    check(lambda L, x, g: F(L).grid_sample(x, g, "bilinear", "reflection", True),
          rn(1, 2, 2, 3), R.uniform(-1.4, 1.4, (1, 2, 3, 2)))
    # one-pixel inputs: empty reflection spans
    check(lambda L, x, g: F(L).grid_sample(x, g, "bilinear", "reflection", True),
          rn(2, 3, 1, 1, dtype=np.float32), grid(2, 3, 3, 2))
    # empty batch and channels
    check(lambda L, x, g: (F(L).grid_sample(x, g, align_corners=False),
                           F(L).grid_sample(x[:0], g[:0], align_corners=False)),
          rn(2, 0, 5, 6, dtype=np.float32), grid(2, 4, 7, 2), grad=False)


def test_grid_sampler_top_level_ops():
    x, g, g3 = rn(2, 3, 5, 6, dtype=np.float32), grid(2, 4, 7, 2), grid(2, 3, 2, 4, 3)
    check(lambda L, x, g: L.grid_sampler(x, g, 0, 0, False), x, g)
    check(lambda L, x, g: L.grid_sampler_2d(x, g, 2, 2, True), x, g)
    check(lambda L, x, g: L.grid_sampler_3d(x, g, 0, 1, True), rn(2, 2, 3, 4, 5, dtype=np.float32),
          g3)
    check(lambda L, t: L.affine_grid_generator(t, [2, 3, 4, 5], False), rn(2, 2, 3))


def test_grid_sample_warning_and_errors():
    x, g = rn(2, 3, 4, 5, dtype=np.float32), grid(2, 4, 5, 2)
    (want, w_msgs), (got, g_msgs) = both(lambda L: F(L).grid_sample(L.tensor(x), L.tensor(g)))
    assert_same(want, got)
    assert_same(w_msgs, g_msgs)
    x5, g5 = rn(2, 3, 2, 3, 4, dtype=np.float32), grid(2, 2, 3, 4, 3)
    cases = [
        lambda L, x, g: F(L).grid_sample(x, g, mode="foo"),
        lambda L, x, g: F(L).grid_sample(x, g, padding_mode="foo"),
        lambda L, x, g: F(L).grid_sample(x, g[:1], align_corners=True),
        lambda L, x, g: F(L).grid_sample(x, g[..., :1], align_corners=True),
        lambda L, x, g: F(L).grid_sample(x, g.double(), align_corners=True),
        lambda L, x, g: F(L).grid_sample(x.double(), g, align_corners=True),
        lambda L, x, g: F(L).grid_sample(x.long(), g, align_corners=True),
        lambda L, x, g: F(L).grid_sample(x.int(), g.int(), align_corners=True),
        lambda L, x, g: F(L).grid_sample(x[0], g[0], align_corners=True),
        lambda L, x, g: F(L).grid_sample(x[:, :, :0], g, align_corners=False),
        lambda L, x, g: L.grid_sampler(x, g.unsqueeze(1), 0, 0, False),
        lambda L, x, g: L.grid_sampler_3d(x, g, 0, 0, False),
    ]
    for fn in cases:
        check_raises(fn, x, g)
    for fn in [lambda L, x, g: F(L).grid_sample(x, g, mode="bicubic", align_corners=True),
               lambda L, x, g: L.grid_sampler_2d(x, g, 0, 0, False),
               lambda L, x, g: F(L).grid_sample(x.long(), g.long(), align_corners=True),
               lambda L, x, g: F(L).grid_sample(x, g[..., :2], align_corners=True)]:
        check_raises(fn, x5, g5)


# ---- affine_grid ---------------------------------------------------------------------------
@pytest.mark.parametrize("size,align", [((2, 3, 4, 5), False), ((2, 3, 16, 17), True),
                                        ((2, 1, 3, 4, 5), True), ((2, 1, 3, 1, 5), False)])
def test_affine_grid(size, align):
    theta = rn(2, len(size) - 2, len(size) - 1, dtype=np.float32)
    check(lambda L, t: F(L).affine_grid(t, size, align_corners=align), theta)


def test_affine_grid_float64_and_spatial_transformer():
    check(lambda L, t: F(L).affine_grid(t, (1, 3, 4, 3), align_corners=True), rn(1, 2, 3))
    # the spatial-transformer chain: affine_grid then grid_sample, gradients to both
    check(lambda L, x, t: F(L).grid_sample(x, F(L).affine_grid(t, (2, 3, 6, 7), False),
                                           align_corners=False),
          rn(2, 3, 5, 6, dtype=np.float32), rn(2, 2, 3, dtype=np.float32))


def test_affine_grid_warnings_and_errors():
    th = rn(2, 2, 3, dtype=np.float32)
    for size, align in [((2, 3, 4, 5), None), ((2, 3, 1, 5), True)]:
        (want, w_msgs), (got, g_msgs) = both(
            lambda L: F(L).affine_grid(L.tensor(th), size, align_corners=align))
        assert_same(want, got)
        assert_same(w_msgs, g_msgs)
    cases = [
        lambda L, t: F(L).affine_grid(t, (2, 3, 0, 5), align_corners=False),
        lambda L, t: F(L).affine_grid(t, (2, 3, 0, 5), align_corners=True),
        lambda L, t: F(L).affine_grid(t, (2, 3, 5), align_corners=False),
        lambda L, t: F(L).affine_grid(t, (2, 3, 4, 5, 6), align_corners=False),
        lambda L, t: F(L).affine_grid(t.unsqueeze(0), (2, 3, 4, 5), align_corners=False),
        lambda L, t: F(L).affine_grid(t.long(), (2, 3, 4, 5), align_corners=False),
        lambda L, t: F(L).affine_grid(t, (3, 3, 4, 5), align_corners=False),
        lambda L, t: L.affine_grid_generator(t, [2, 3, 4], False),
        lambda L, t: L.affine_grid_generator(t.reshape(2, 3, 2), [2, 3, 4, 5], False),
    ]
    for fn in cases:
        check_raises(fn, th)


# ---- ctc_loss ------------------------------------------------------------------------------
T, N, C = 6, 3, 5
_TARGETS = np.array([[1, 2, 2], [3, 1, 4], [2, 4, 1]])
_IN, _TG = np.array([6, 5, 4]), np.array([3, 2, 0])


def logp(t=T, n=N, c=C, dtype=np.float32):
    return torch.randn(t, n, c, generator=torch.Generator().manual_seed(1),
                       dtype=torch.float64).log_softmax(-1).numpy().astype(dtype)


def ctc(L, x, tg, il, tl, **kw):
    return F(L).ctc_loss(x, tg, il, tl, **kw)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_ctc_loss_reductions(reduction):
    check(lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl, reduction=reduction), logp(), _TARGETS,
          _IN, _TG)


def test_ctc_loss_forms():
    x = logp()
    cat = np.concatenate([_TARGETS[i, :_TG[i]] for i in range(N)])
    check(lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl, reduction="none"), x, cat, _IN, _TG)
    check(lambda L, x, tg: ctc(L, x, tg, (6, 5, 4), [3, 2, 0], reduction="none"), x, _TARGETS)
    check(lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl), x, _TARGETS.astype(np.int32),
          _IN.astype(np.int32), _TG.astype(np.int32))
    check(lambda L, x, tg, il, tl: ctc(L, x, tg.float(), il[:, None], tl), x, _TARGETS, _IN, _TG)
    # unbatched (T, C) log_probs: 1-D targets, 0-d lengths
    check(lambda L, x, tg, il, tl: (ctc(L, x[:, 0], tg[0], il[0], tl[0], reduction="none"),
                                    ctc(L, x[:, 0], tg[0], [6], [3])), x, _TARGETS, _IN, _TG)
    # top-level torch.ctc_loss: at::Reduction as an int, no reduction by default
    check(lambda L, x, tg, il, tl: (L.ctc_loss(x, tg, il, tl), L.ctc_loss(x, tg, il, tl, 0, 1)),
          x, _TARGETS, _IN, _TG)


def test_ctc_loss_gradient_formula_and_precision():
    # torch's gradient is the one for log_softmax outputs, whatever log_probs are
    check(lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl, reduction="sum"),
          rn(T, N, C, dtype=np.float32), _TARGETS, _IN, _TG)
    # through log_softmax, that is the true gradient: numerically checked in float64
    check(lambda L, x, tg: ctc(L, x.log_softmax(-1), tg, [3], [2], blank=2), rn(3, 1, 4),
          np.array([[1, 1]]))
    # longer sequences with repeated labels: torch's summation order in the gradient
    check(lambda L, x, tg: ctc(L, x, tg, [40, 33], [12, 9], reduction="none"),
          logp(40, 2, 4), R.integers(1, 4, (2, 12)))


def test_ctc_loss_impossible_alignments():
    il = np.array([2, 5, 4])  # too short for 3 labels: inf, and nan gradients
    check(lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl, reduction="none"), logp(), _TARGETS,
          il, _TG)
    check(lambda L, x, tg, il, tl: (ctc(L, x, tg, il, tl, reduction="none", zero_infinity=True),
                                    ctc(L, x, tg, il, tl, zero_infinity=True)),
          logp(), _TARGETS, il, _TG)


def test_ctc_loss_module():
    for args in [dict(), dict(blank=4, reduction="sum", zero_infinity=True)]:
        want, got = torch.nn.CTCLoss(**args), torchlike.nn.CTCLoss(**args)
        assert_same(repr(want), repr(got))
        assert_same([want.blank, want.reduction, want.zero_infinity],
                    [got.blank, got.reduction, got.zero_infinity])
    check(lambda L, x, tg, il, tl: L.nn.CTCLoss(reduction="sum")(x, tg, il, tl), logp(),
          _TARGETS, _IN, _TG)


def test_ctc_loss_errors():
    x = logp()
    bad = [
        lambda L, x, tg, il, tl: ctc(L, x.half(), tg, il, tl),
        lambda L, x, tg, il, tl: ctc(L, x.double().to(L.bfloat16), tg, il, tl),
        lambda L, x, tg, il, tl: ctc(L, x, tg, il.float(), tl),
        lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl.float()),
        lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl, blank=5),
        lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl, blank=-1),
        lambda L, x, tg, il, tl: ctc(L, x, tg, il[:2], tl),
        lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl[:2]),
        lambda L, x, tg, il, tl: ctc(L, x, tg, il + 1, tl),
        lambda L, x, tg, il, tl: ctc(L, x, tg, il - 5, tl),
        lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl - 1),
        lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl + 2),
        lambda L, x, tg, il, tl: ctc(L, x, tg.reshape(-1)[:4], il, tl),
        lambda L, x, tg, il, tl: ctc(L, x, tg[None], il, tl),
        lambda L, x, tg, il, tl: ctc(L, x, tg, il, tl, reduction="foo"),
        lambda L, x, tg, il, tl: ctc(L, x[0], tg, il, tl),
        lambda L, x, tg, il, tl: L.nn.CTCLoss(reduction="foo")(x, tg, il, tl),
    ]
    for fn in bad:
        check_raises(fn, x, _TARGETS, _IN, _TG)
    # lengths as one tensor and one list, or plain ints: TypeError (torch's argument parser)
    for fn in [lambda L, x, tg, il, tl: ctc(L, x, tg, il.tolist(), tl),
               lambda L, x, tg, il, tl: ctc(L, x[:, 0], tg[0], 6, 3)]:
        check_raises(fn, x, _TARGETS, _IN, _TG, message=False)


def test_autograd_graphs():
    """The whole graphs' node names and wiring, as torch's (WhereBackward0's first edge is
    the zeros tensor; CtcLossBackward0 has one edge, log_probs)."""
    def nets(L, x, g, t, lp):
        return (F(L).grid_sample(x, F(L).affine_grid(t, (2, 3, 6, 7), False), align_corners=True),
                F(L).grid_sample(x, g, "bicubic", align_corners=True),
                ctc(L, lp, L.tensor(_TARGETS), L.tensor(_IN), L.tensor(_TG), zero_infinity=True),
                ctc(L, lp[:, 0], L.tensor(_TARGETS[0]), L.tensor(6), L.tensor(3), reduction="none"))
    ins = (rn(2, 3, 5, 6, dtype=np.float32), grid(2, 4, 7, 2), rn(2, 2, 3, dtype=np.float32),
           logp())
    got = [[lib.tensor(a, requires_grad=True) for a in ins] for lib in (torch, torchlike)]
    assert_same(graph(nets(torch, *got[0])), graph(nets(torchlike, *got[1])))


# ---- AdaptiveLogSoftmaxWithLoss ------------------------------------------------------------
def _asm_pair(**kw):
    torch.manual_seed(0)
    want = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 12, [4, 7, 10], div_value=2.0, **kw)
    got = torchlike.nn.AdaptiveLogSoftmaxWithLoss(8, 12, [4, 7, 10], div_value=2.0, **kw)
    got.load_state_dict({k: torchlike.tensor(v.numpy()) for k, v in want.state_dict().items()})
    return want, got


def test_adaptive_log_softmax_structure():
    for kw in (dict(), dict(head_bias=True)):
        want, got = _asm_pair(**kw)
        assert_same(repr(want), repr(got))
        assert_same([(k, tuple(v.shape)) for k, v in want.named_parameters()],
                    [(k, tuple(v.shape)) for k, v in got.named_parameters()])
        assert_same(list(want.state_dict()), list(got.state_dict()))
        assert_same([want.shortlist_size, want.n_clusters, want.head_size, want.cutoffs],
                    [got.shortlist_size, got.n_clusters, got.head_size, got.cutoffs])
    # the same generator draws give torch's initial weights, also after reset_parameters()
    made = []
    for lib in (torch, torchlike):
        lib.manual_seed(0)
        m = lib.nn.AdaptiveLogSoftmaxWithLoss(8, 12, [4, 7, 10], div_value=2.0, head_bias=True)
        first = {k: v.clone() for k, v in m.state_dict().items()}
        m.reset_parameters()
        made.append((first, m.state_dict()))
    assert_same(made[0], made[1])
    for cutoffs in ([], [4, 4], [5, 3], [0, 4], [4, 12], [2.5]):
        check_raises(lambda L: L.nn.AdaptiveLogSoftmaxWithLoss(8, 12, cutoffs))


def test_adaptive_log_softmax_forward_and_gradients():
    want, got = _asm_pair(head_bias=True)
    x = np.random.default_rng(5).standard_normal((6, 8)).astype(np.float32)
    target = np.array([0, 5, 11, 3, 8, 9])  # the shortlist and all three clusters
    outs = []
    for lib, m in ((torch, want), (torchlike, got)):
        xs = lib.tensor(x, requires_grad=True)
        res = m(xs, lib.tensor(target))
        (res.output.sum() * 0.5 + res.loss).backward()
        outs.append((res, xs.grad, [p.grad for p in m.parameters()]))
    assert_same(outs[0], outs[1])
    # unbatched: 1-D input, 0-d target; log_prob and predict (shortlist, mixed, all in tail)
    forward(lambda L, x: (got if L is torchlike else want)(x[0], L.tensor(9)), x)
    forward(lambda L, x: (got if L is torchlike else want).log_prob(x), x)
    # predict: every row in the shortlist, some in a cluster, all in clusters (the head reads
    # feature 0 alone: its bias decides the rows where that is 0)
    xp = x.copy()
    xp[:3, 0], xp[3:, 0] = 0, 100
    seen = set()
    for bias in ([1000, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 3, 0], [0, 0, 0, 0, 0, 1000, 0]):
        with torch.no_grad():
            want.head.weight.zero_()
            want.head.weight[0, 0] = 1
            want.head.bias.copy_(torch.tensor(bias))
        got.load_state_dict({k: torchlike.tensor(v.numpy()) for k, v in want.state_dict().items()})
        seen.add(int((want.head(torch.tensor(xp)).argmax(1) >= 4).sum()))
        assert_same(want.predict(torch.tensor(xp)), got.predict(torchlike.tensor(xp)))
    assert 0 in seen and 6 in seen and len(seen) == 3, seen


def test_adaptive_log_softmax_errors():
    want, got = _asm_pair()
    x = rn(3, 8, dtype=np.float32)
    for xs, t in [(x, np.array([1, 2])), (x[None], np.array([1, 2, 3])), (x, np.array(1)),
                  (x[0], np.array([1])), (x, np.array([[1, 2, 3]])), (x, np.array([0, 12, 3])),
                  (x, np.array([-1, 2, 3]))]:
        check_raises(lambda L, xs, t: (got if L is torchlike else want)(xs, t), xs, t)


# ---- scaled_dot_product_attention ----------------------------------------------------------
def sdpa(L, *args, **kw):
    return F(L).scaled_dot_product_attention(*args, **kw)


Q, K, V = (rn(2, 3, 4, 8, dtype=np.float32), rn(2, 3, 5, 8, dtype=np.float32),
           rn(2, 3, 5, 8, dtype=np.float32))


def test_sdpa_flash_path_flags():
    bool_mask = R.random((4, 5)) > 0.3
    bool_mask[1] = False  # a row with every key masked: zeros, as torch's safe softmax
    float_mask = rn(4, 5, dtype=np.float32)
    float_mask[2] = -np.inf
    check(lambda L, q, k, v, bm, fm: (
        sdpa(L, q, k, v), sdpa(L, q, k, v, is_causal=True, scale=0.3),
        sdpa(L, q, k, v, attn_mask=bm), sdpa(L, q, k, v, attn_mask=fm),
        sdpa(L, q, k, v, attn_mask=bm, is_causal=True),  # both: the mask and the causal one
        sdpa(L, q, k, v, attn_mask=fm.reshape(1, 1, 4, 5))), Q, K, V, bool_mask, float_mask)
    check(lambda L, q, k, v: sdpa(L, q, k, v, is_causal=True), rn(2, 3, 6, 8), rn(2, 3, 5, 8),
          rn(2, 3, 5, 8), numeric=False)


def test_sdpa_math_path():
    # 3-d and 2-d inputs, broadcast heads, a 3-d mask, a transposed head dimension, another
    # value head size, GQA with different key and value head counts: torch's composite path
    # (its node names; gradients for the 3-d and GQA forms)
    q6 = rn(2, 6, 4, 8, dtype=np.float32)
    forward(lambda L, q, k, v, q6: (
        sdpa(L, q[0, 0], k[0, 0], v[0, 0]), sdpa(L, q, k[:, :1], v[:, :1]),
        sdpa(L, q, k, v, attn_mask=L.ones(1, 4, 5).bool()),
        sdpa(L, q.transpose(-1, -2).contiguous().transpose(-1, -2), k, v),
        sdpa(L, q, k, v[..., :6]), sdpa(L, q6[0], k[0], v[0], enable_gqa=True)), Q, K, V, q6)
    check(lambda L, q, k, v, q6: (sdpa(L, q[0], k[0], v[0]),
                                  sdpa(L, q6, k, v[:, :2], enable_gqa=True)), Q, K, V, q6)


def test_sdpa_dropout_draws():
    def fn(L, q, k, v):
        L.manual_seed(0)
        return (sdpa(L, q, k, v, dropout_p=0.3), sdpa(L, q[0], k[0], v[0], dropout_p=0.5),
                sdpa(L, q, k, v, dropout_p=0.2, is_causal=True),
                sdpa(L, q, k, v, dropout_p=1.0), L.rand(3))  # p=1 draws nothing
    check(fn, Q, K, V)


def test_sdpa_errors():
    cases = [
        lambda L, q, k, v: sdpa(L, q, k, v.double()),
        lambda L, q, k, v: sdpa(L, q[0, 0, 0], k, v.double()),
        lambda L, q, k, v: sdpa(L, q[0, 0, 0], k[0, 0, 0], v[0, 0, 0]),
        lambda L, q, k, v: sdpa(L, q, k, v, attn_mask=L.zeros(4, 5).long()),
        lambda L, q, k, v: sdpa(L, q, k, v, attn_mask=L.zeros(4, 5).double()),
        lambda L, q, k, v: sdpa(L, q, k, v, attn_mask=L.zeros(5).bool()),
        lambda L, q, k, v: sdpa(L, q, k, v, attn_mask=L.zeros(4, 6).bool()),
        lambda L, q, k, v: sdpa(L, q, k, v, attn_mask=L.zeros(7, 1, 4, 6).bool()),
        lambda L, q, k, v: sdpa(L, q, k, v, attn_mask=L.zeros(5, 2, 3, 4, 5).bool()),
        lambda L, q, k, v: sdpa(L, q.repeat(1, 2, 1, 1), k, v),
        lambda L, q, k, v: sdpa(L, q.repeat(1, 2, 1, 1), k.repeat(1, 2, 1, 1)[:, :4],
                                v.repeat(1, 2, 1, 1)[:, :4], enable_gqa=True),
        lambda L, q, k, v: sdpa(L, q[0, 0], k[0, 0], v[0, 0], enable_gqa=True),
        lambda L, q, k, v: sdpa(L, q, k[..., :7], v),
        lambda L, q, k, v: sdpa(L, q, k, v, dropout_p=-0.1),
        lambda L, q, k, v: sdpa(L, q, k, v, dropout_p=1.5),
    ]
    for fn in cases:
        check_raises(fn, Q, K, V)
    # a negative dropout probability off the flash path: ignored, as in torch
    forward(lambda L, q, k, v: sdpa(L, q[0], k[0], v[0], dropout_p=-0.1), Q, K, V)


# ---- RNNBase.flatten_parameters --------------------------------------------------------------
def test_rnn_flatten_parameters():
    for name in ("RNN", "LSTM", "GRU"):
        want, got = getattr(torch.nn, name)(3, 4), getattr(torchlike.nn, name)(3, 4)
        before = list(got.state_dict())
        assert_same(want.flatten_parameters(), got.flatten_parameters())
        assert_same(list(want.state_dict()), list(got.state_dict()))
        assert_same(before, list(got.state_dict()))
