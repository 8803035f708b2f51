"""torch.nn / optim / utils.data against real torch: values, dtypes, grad_fn names, input and
weight gradients, reprs, state_dict keys, optimizer trajectories, lr sequences, batching."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _helper import assert_same, assert_same_tensor, check, check_raises, graph

import torchlike

R = np.random.default_rng(0)


def f64(*shape):
    return R.standard_normal(shape)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def F(lib):
    return lib.nn.functional


# ---- functional ops: value, dtype, grad_fn, input gradients -------------------------------
ACTIVATIONS = [
    ("relu", lambda L, x: F(L).relu(x)), ("leaky_relu", lambda L, x: F(L).leaky_relu(x, 0.2)),
    ("elu", lambda L, x: F(L).elu(x, 0.7)), ("selu", lambda L, x: F(L).selu(x)),
    ("celu", lambda L, x: F(L).celu(x, 2.0)), ("gelu", lambda L, x: F(L).gelu(x)),
    ("gelu_tanh", lambda L, x: F(L).gelu(x, approximate="tanh")),
    ("silu", lambda L, x: F(L).silu(x)), ("mish", lambda L, x: F(L).mish(x)),
    ("sigmoid", lambda L, x: F(L).sigmoid(x)), ("tanh", lambda L, x: F(L).tanh(x)),
    ("softplus", lambda L, x: F(L).softplus(x, 2.0, 1.0)),
    ("hardtanh", lambda L, x: F(L).hardtanh(x, -0.5, 0.5)),
    ("relu6", lambda L, x: F(L).relu6(x * 4)),
    ("hardswish", lambda L, x: F(L).hardswish(x * 3)),
    ("hardsigmoid", lambda L, x: F(L).hardsigmoid(x * 3)),
    ("logsigmoid", lambda L, x: F(L).logsigmoid(x)), ("softsign", lambda L, x: F(L).softsign(x)),
    ("tanhshrink", lambda L, x: F(L).tanhshrink(x)),
    ("threshold", lambda L, x: F(L).threshold(x, 0.1, 2.0)),
    ("hardshrink", lambda L, x: F(L).hardshrink(x)),
    ("softshrink", lambda L, x: F(L).softshrink(x)),
    ("glu", lambda L, x: F(L).glu(x, -1)),
    ("softmax", lambda L, x: F(L).softmax(x, dim=1)),
    ("log_softmax", lambda L, x: F(L).log_softmax(x, 0)),
    ("softmin", lambda L, x: F(L).softmin(x, dim=1)),
    ("torch.softmax", lambda L, x: L.softmax(x, -1)),
    ("method_log_softmax", lambda L, x: x.log_softmax(1)),
    ("softmax_dtype", lambda L, x: L.softmax(x.float(), 1, dtype=L.float64)),
    ("leaky_relu_inplace", lambda L, x: F(L).leaky_relu(x * 1, 0.1, inplace=True)),
    ("elu_inplace", lambda L, x: F(L).elu(x * 1, inplace=True)),
    ("relu_inplace", lambda L, x: F(L).relu(x * 1, inplace=True)),
]


@pytest.mark.parametrize("name,fn", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations(name, fn):
    # torch's softshrink zeros are -0.0 or 0.0 depending on its vectorized/scalar CPU path
    check(fn, f64(3, 4), check_repr=name != "softshrink")
    if name in ("relu", "gelu", "silu", "softmax", "log_softmax", "leaky_relu_inplace"):
        check(fn, f32(2, 6), check_repr=False)


def test_prelu():
    check(lambda L, x, w: F(L).prelu(x, w), f64(2, 3, 4), np.array([0.1, 0.2, 0.3]))


LINEAR = [
    ("2d_bias", (4, 3), True), ("2d", (4, 3), False), ("3d_bias", (2, 4, 3), True),
    ("3d", (2, 4, 3), False), ("1d_bias", (3,), True), ("1d", (3,), False),
]


@pytest.mark.parametrize("name,shape,bias", LINEAR, ids=[c[0] for c in LINEAR])
def test_linear(name, shape, bias):
    if bias:
        check(lambda L, x, w, b: F(L).linear(x, w, b), f64(*shape), f64(5, 3), f64(5))
    else:
        check(lambda L, x, w: F(L).linear(x, w), f64(*shape), f64(5, 3))


def test_bilinear():
    check(lambda L, a, b, w, c: F(L).bilinear(a, b, w, c), f64(4, 2), f64(4, 3), f64(5, 2, 3),
          f64(5))


CONV = [
    ("1d", lambda L, x, w, b: F(L).conv1d(x, w, b, stride=2, padding=1), (2, 4, 9), (6, 4, 3)),
    ("2d", lambda L, x, w, b: F(L).conv2d(x, w, b), (2, 3, 6, 6), (4, 3, 3, 3)),
    ("2d_stride_pad_dil", lambda L, x, w, b: F(L).conv2d(x, w, b, (2, 1), (1, 2), 2),
     (1, 3, 7, 8), (4, 3, 3, 2)),
    ("2d_groups", lambda L, x, w, b: F(L).conv2d(x, w, b, groups=2), (2, 4, 5, 5), (6, 2, 3, 3)),
    ("2d_same", lambda L, x, w, b: F(L).conv2d(x, w, b, padding="same"), (1, 2, 5, 6),
     (3, 2, 4, 3)),
    ("2d_unbatched", lambda L, x, w, b: F(L).conv2d(x, w, b, padding=1), (3, 5, 5), (2, 3, 3, 3)),
    ("transpose2d", lambda L, x, w, b: F(L).conv_transpose2d(x, w, b, 2, 1, 1), (2, 4, 4, 5),
     (4, 3, 3, 3)),
    ("transpose2d_groups", lambda L, x, w, b: F(L).conv_transpose2d(x, w, b, groups=2),
     (1, 4, 3, 3), (4, 3, 2, 2)),
    ("transpose1d", lambda L, x, w, b: F(L).conv_transpose1d(x, w, b, 3), (2, 2, 5), (2, 3, 4)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name,fn,xs,ws", CONV, ids=[c[0] for c in CONV])
def test_conv(name, fn, xs, ws):
    bias_n = ws[1] * (2 if "groups" in name else 1) if "transpose" in name else ws[0]
    check(fn, f64(*xs), f64(*ws), f64(bias_n))


POOL = [
    ("max2d", lambda L, x: F(L).max_pool2d(x, 2)),
    ("max2d_pad_stride", lambda L, x: F(L).max_pool2d(x, 3, 2, 1)),
    ("max2d_ceil_dil", lambda L, x: F(L).max_pool2d(x, (2, 3), 2, 0, (2, 1), ceil_mode=True)),
    ("max2d_indices", lambda L, x: F(L).max_pool2d(x, 2, return_indices=True)),
    ("max1d", lambda L, x: F(L).max_pool1d(x[0], 3, 2)),
    ("avg2d", lambda L, x: F(L).avg_pool2d(x, 2)),
    ("avg2d_pad", lambda L, x: F(L).avg_pool2d(x, 3, 2, 1)),
    ("avg2d_nopad_ceil", lambda L, x: F(L).avg_pool2d(x, 3, 2, 1, True, False)),
    ("avg2d_divisor", lambda L, x: F(L).avg_pool2d(x, 2, divisor_override=3)),
    ("avg1d", lambda L, x: F(L).avg_pool1d(x[0], 2)),
    ("adaptive_avg_1", lambda L, x: F(L).adaptive_avg_pool2d(x, 1)),
    ("adaptive_avg_div", lambda L, x: F(L).adaptive_avg_pool2d(x, (3, 2))),
    ("adaptive_avg_uneven", lambda L, x: F(L).adaptive_avg_pool2d(x, (4, 5))),
    ("adaptive_avg_1d", lambda L, x: F(L).adaptive_avg_pool1d(x[0], 4)),
    ("adaptive_max", lambda L, x: F(L).adaptive_max_pool2d(x, (4, 5), return_indices=True)),
]


@pytest.mark.parametrize("name,fn", POOL, ids=[p[0] for p in POOL])
def test_pooling(name, fn):
    check(fn, f64(2, 3, 6, 7))


def test_max_pool_ties_route_gradient_like_torch():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 2, 3] = 1.0
    check(lambda L, x: F(L).max_pool2d(F(L).relu(x - 0.5), 2), x, numeric=False)


NORM = [
    ("layer_norm", lambda L, x, w, b: F(L).layer_norm(x, (4,), w, b)),
    ("layer_norm_2d", lambda L, x, w, b: F(L).layer_norm(x, (3, 4), w.expand(3, 4), None)),
    ("group_norm", lambda L, x, w, b: F(L).group_norm(x.reshape(2, 4, 3), 2, w, b)),
    ("rms_norm", lambda L, x, w, b: F(L).rms_norm(x, (4,), w)),
    ("batch_norm_train", lambda L, x, w, b: F(L).batch_norm(x.reshape(2, 4, 3), None, None, w,
                                                            b, True)),
    ("batch_norm_eval", lambda L, x, w, b: F(L).batch_norm(
        x.reshape(2, 4, 3), L.tensor([0.1, 0.2, 0.3, 0.4], dtype=x.dtype),
        L.tensor([1.0, 2.0, 0.5, 1.5], dtype=x.dtype), w, b, False)),
]


@pytest.mark.parametrize("name,fn", NORM, ids=[n[0] for n in NORM])
def test_normalization(name, fn):
    check(fn, f64(2, 3, 4), f64(4), f64(4))


def test_misc_functional():
    check(lambda L, x: F(L).pad(x, (1, 2, 0, 1), value=0.5), f64(2, 3, 4))
    check(lambda L, x: F(L).pad(x, (-1, 2)), f64(2, 3, 4))
    for mode in ("reflect", "replicate", "circular"):
        check(lambda L, x: F(L).pad(x, (1, 2, 2, 1), mode=mode), f64(1, 2, 3, 4))
    check(lambda L, x: F(L).normalize(x, dim=1), f64(3, 4))
    check(lambda L, x, y: F(L).cosine_similarity(x, y), f64(3, 4), f64(3, 4))
    check(lambda L, x, y: F(L).pairwise_distance(x, y), f64(3, 4), f64(3, 4))
    check(lambda L, w, i: F(L).embedding(i, w), f64(6, 3), np.array([[0, 2], [5, 2]]))
    check(lambda L, w, i: F(L).embedding(i, w, padding_idx=2), f64(6, 3), np.array([0, 2, 2]))
    check(lambda L, i: F(L).one_hot(i), np.array([0, 3, 1]), grad=False)
    check(lambda L, i: F(L).one_hot(i, 5), np.array([[0, 3], [1, 4]]), grad=False)


def test_attention_and_interpolate():
    sdpa = "scaled_dot_product_attention"
    q, k, v = f64(2, 3, 4, 5), f64(2, 3, 6, 5), f64(2, 3, 6, 2)
    check(lambda L, q, k, v: getattr(F(L), sdpa)(q, k, v), q, k, v, numeric=False)
    check(lambda L, q, k, v: getattr(F(L), sdpa)(q, k, v, is_causal=True, scale=0.3), q, k, v,
          numeric=False)
    check(lambda L, q, k, v, m: getattr(F(L), sdpa)(q, k, v, attn_mask=m), q, k, v, f64(4, 6),
          numeric=False)
    check(lambda L, q, k, v: getattr(F(L), sdpa)(q[0], k[0], v[0]), q, k, v, numeric=False)
    check(lambda L, q, k, v: getattr(F(L), sdpa)(q, k, v, is_causal=True), f32(2, 3, 4, 5),
          f32(2, 3, 4, 5), f32(2, 3, 4, 5), check_repr=False)
    x = f64(2, 3, 4, 5)
    for kw in (dict(scale_factor=2), dict(size=(7, 3)), dict(scale_factor=1.5, mode="bilinear"),
               dict(size=(7, 9), mode="bilinear", align_corners=True),
               dict(scale_factor=2.5, mode="nearest-exact"), dict(size=(2, 3), mode="area")):
        check(lambda L, x: F(L).interpolate(x, **kw), x, numeric=False)
    check(lambda L, x: F(L).interpolate(x[0], scale_factor=3, mode="linear"), x, numeric=False)


def test_normalize_zero_row_gradient():
    check(lambda L, x: F(L).normalize(x, dim=1), np.array([[0.0, 0.0], [3.0, 4.0]]),
          numeric=False)


T3 = np.array([2, 0, 1, 0])


def _probs():
    p = R.random((4, 3))
    return p / p.sum(1, keepdims=True)


LOSSES = [
    ("mse", lambda L, x, t: F(L).mse_loss(x, t), (4, 3)),
    ("mse_sum", lambda L, x, t: F(L).mse_loss(x, t, reduction="sum"), (4, 3)),
    ("mse_none", lambda L, x, t: F(L).mse_loss(x, t, reduction="none"), (4, 3)),
    ("l1", lambda L, x, t: F(L).l1_loss(x, t), (4, 3)),
    ("l1_none", lambda L, x, t: F(L).l1_loss(x, t, reduction="none"), (4, 3)),
    ("l1_sum", lambda L, x, t: F(L).l1_loss(x, t, reduction="sum"), (4, 3)),
    ("smooth_l1", lambda L, x, t: F(L).smooth_l1_loss(x, t, beta=0.5), (4, 3)),
    ("huber", lambda L, x, t: F(L).huber_loss(x, t, delta=0.7, reduction="sum"), (4, 3)),
    ("kl_div_batchmean", lambda L, x, t: F(L).kl_div(F(L).log_softmax(x, 1), t.softmax(1),
                                                     reduction="batchmean"), (4, 3)),
    ("bce_logits", lambda L, x, t: F(L).binary_cross_entropy_with_logits(x, t.sigmoid()),
     (4, 3)),
    ("bce_logits_pos_weight", lambda L, x, t: F(L).binary_cross_entropy_with_logits(
        x, t.sigmoid(), weight=L.tensor([1.0, 2.0, 0.5], dtype=x.dtype),
        pos_weight=L.tensor([3.0, 1.0, 0.2], dtype=x.dtype), reduction="none"), (4, 3)),
    ("bce", lambda L, x, t: F(L).binary_cross_entropy(x.sigmoid(), t.sigmoid()), (4, 3)),
]


@pytest.mark.parametrize("name,fn,shape", LOSSES, ids=[c[0] for c in LOSSES])
def test_regression_losses(name, fn, shape):
    check(fn, f64(*shape), f64(*shape))
    if name in ("mse", "bce_logits", "bce"):
        check(fn, f32(*shape), f32(*shape), check_repr=False)


CE = [
    ("ce", lambda L, x, t: F(L).cross_entropy(x, t)),
    ("ce_sum", lambda L, x, t: F(L).cross_entropy(x, t, reduction="sum")),
    ("ce_none", lambda L, x, t: F(L).cross_entropy(x, t, reduction="none")),
    ("ce_weight_ignore", lambda L, x, t: F(L).cross_entropy(
        x, t, weight=L.tensor([0.2, 1.0, 3.0], dtype=x.dtype), ignore_index=0)),
    ("ce_smoothing", lambda L, x, t: F(L).cross_entropy(x, t, label_smoothing=0.2)),
    ("ce_smoothing_weight", lambda L, x, t: F(L).cross_entropy(
        x, t, weight=L.tensor([0.2, 1.0, 3.0], dtype=x.dtype), label_smoothing=0.1,
        ignore_index=1, reduction="sum")),
    ("ce_smoothing_none", lambda L, x, t: F(L).cross_entropy(x, t, label_smoothing=0.3,
                                                             reduction="none")),
    ("nll", lambda L, x, t: F(L).nll_loss(F(L).log_softmax(x, 1), t)),
    ("nll_weight_none", lambda L, x, t: F(L).nll_loss(
        x, t, weight=L.tensor([0.2, 1.0, 3.0], dtype=x.dtype), reduction="none")),
]


@pytest.mark.parametrize("name,fn", CE, ids=[c[0] for c in CE])
def test_class_losses(name, fn):
    check(fn, f64(4, 3), T3)
    if name in ("ce", "ce_smoothing", "nll"):
        check(fn, f32(4, 3), T3, check_repr=False)


def test_cross_entropy_probabilities_and_spatial():
    for red in ("mean", "sum", "none"):
        check(lambda L, x, p: F(L).cross_entropy(x, p, reduction=red), f64(4, 3), _probs())
    check(lambda L, x, p: F(L).cross_entropy(x, p, label_smoothing=0.1), f64(4, 3), _probs())
    t4 = np.array([[[0, 1], [2, 1]], [[1, 1], [0, 2]]])
    for red in ("mean", "none"):
        check(lambda L, x, t: F(L).cross_entropy(x, t, reduction=red), f64(2, 3, 2, 2), t4)
        check(lambda L, x, t: F(L).cross_entropy(x, t, reduction=red), f64(2, 3, 4),
              t4.reshape(2, 4))
    check(lambda L, x, t: F(L).cross_entropy(x, t), f64(3), np.array(1))


def test_dropout_distribution_and_eval():
    x = torchlike.ones(2000, requires_grad=True)
    y = F(torchlike).dropout(x, 0.3)
    assert type(y.grad_fn).__name__ == "MulBackward0"
    kept = y.detach().numpy() != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy(), rtol=1e-6)
    assert F(torchlike).dropout(x, 0.3, training=False) is x
    d = torchlike.nn.Dropout2d(0.5)
    m = d(torchlike.ones(4, 8, 3, 3)).numpy()
    assert (m.std(axis=(2, 3)) == 0).all()  # whole channels dropped


# ---- errors --------------------------------------------------------------------------------
def test_errors_match_torch():
    cases = [
        (lambda L, x: F(L).linear(x, L.ones(5, 2)), f32(4, 3)),
        (lambda L, x: F(L).linear(x, L.ones(5, 3)), f64(4, 3)),
        (lambda L, x: F(L).cross_entropy(x, L.tensor([0, 5, 1, 0])), f32(4, 3)),
        (lambda L, x: F(L).cross_entropy(x, L.tensor([0, 1])), f32(4, 3)),
        (lambda L, x: F(L).embedding(L.tensor([10]), x), f32(10, 3)),
        (lambda L, x: F(L).conv2d(x, L.ones(4, 2, 3, 3)), f32(2, 3, 8, 8)),
        (lambda L, x: F(L).max_pool2d(x, 3, padding=2), f32(2, 3, 8, 8)),
        (lambda L, x: F(L).max_pool2d(x, 3), f32(2, 3, 2, 2)),
        (lambda L, x: L.nn.BatchNorm1d(3)(x), f32(1, 3)),
        (lambda L, x: L.nn.BatchNorm2d(3)(x), f32(2, 3)),
        (lambda L, x: F(L).layer_norm(x, (4,)), f32(3, 5)),
        (lambda L, x: F(L).dropout(x, 1.5), f32(3)),
        (lambda L, x: L.nn.Linear(2, 2).load_state_dict({"weight": L.ones(2, 2)}), f32(1)),
    ]
    for fn, x in cases:
        want, got = check_raises(fn, x)
        assert want == got, f"torch: {want!r}\ntorchlike: {got!r}"


# ---- modules: repr, state_dict, outputs and weight gradients ------------------------------
def _copy_state(tm, lm):
    lm.load_state_dict({k: torchlike.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})


MODULES = [
    ("linear", lambda L: L.nn.Linear(3, 4), (5, 3)),
    ("mlp", lambda L: L.nn.Sequential(L.nn.Linear(3, 8), L.nn.ReLU(), L.nn.Dropout(0.0),
                                      L.nn.Linear(8, 2), L.nn.LogSoftmax(dim=1)), (5, 3)),
    ("cnn", lambda L: L.nn.Sequential(
        L.nn.Conv2d(1, 4, 3, padding=1), L.nn.BatchNorm2d(4), L.nn.ReLU(), L.nn.MaxPool2d(2),
        L.nn.Conv2d(4, 4, 3, groups=2, bias=False), L.nn.AdaptiveAvgPool2d(1), L.nn.Flatten(),
        L.nn.Linear(4, 3)), (2, 1, 8, 8)),
    ("norms", lambda L: L.nn.Sequential(L.nn.LayerNorm(6), L.nn.GELU(), L.nn.Unflatten(1, (2, 3)),
                                        L.nn.GroupNorm(1, 2), L.nn.Flatten()), (4, 6)),
    ("bn1d_eval", lambda L: L.nn.BatchNorm1d(3, momentum=None).eval(), (4, 3)),
    ("conv1d_reflect", lambda L: L.nn.Conv1d(2, 3, 3, padding=2, padding_mode="reflect"),
     (2, 2, 6)),
    ("convT", lambda L: L.nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1), (1, 2, 3, 3)),
    ("bilinear_prelu", lambda L: L.nn.Sequential(L.nn.Linear(3, 3), L.nn.PReLU()), (4, 3)),
]


@pytest.mark.parametrize("name,make,shape", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, make, shape):
    torch.manual_seed(0)
    tm, lm = make(torch), make(torchlike)
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict().keys()) == list(tm.state_dict().keys())
    assert [n for n, _ in lm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in lm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    _copy_state(tm, lm)
    x = f32(*shape)
    tx, lx = torch.from_numpy(x.copy()).requires_grad_(), torchlike.tensor(x, requires_grad=True)
    ty, ly = tm(tx), lm(lx)
    assert_same_tensor(ty, ly, "output", check_repr=False)
    ct = f32(*ty.shape)
    (ty * torch.from_numpy(ct)).sum().backward()
    (ly * torchlike.tensor(ct)).sum().backward()
    assert_same_tensor(tx.grad, lx.grad, "input grad", check_repr=False)
    # a bias before a batch norm has a zero gradient: rounding noise of the others' size
    scale = max(float(p.grad.abs().max()) for p in tm.parameters())
    for (n, tp), lp in zip(tm.named_parameters(), lm.parameters()):
        assert_same_tensor(tp.grad, lp.grad, f"grad of {n}", check_repr=False, scale=scale)
    for (n, tb), lb in zip(tm.named_buffers(), lm.buffers()):
        assert_same_tensor(tb, lb, f"buffer {n}", check_repr=False)


def test_reprs():
    def build(L):
        nn = L.nn
        return [nn.Conv2d(3, 8, 3, stride=2, padding=1, dilation=2, bias=False,
                          padding_mode="reflect"), nn.Conv1d(4, 8, (3,), padding="same"),
                nn.MaxPool2d(3, 2, 1, ceil_mode=True), nn.AvgPool2d(3, 1, 1), nn.AvgPool1d(2),
                nn.AdaptiveAvgPool2d((5, 7)), nn.LayerNorm((3, 4), elementwise_affine=False),
                nn.BatchNorm2d(5, momentum=None, affine=False, track_running_stats=False),
                nn.Embedding(10, 3, padding_idx=0, max_norm=1.0), nn.Dropout(0.2, inplace=True),
                nn.LeakyReLU(0.2, True), nn.ELU(alpha=0.5), nn.GELU("tanh"), nn.Softmax(),
                nn.Softplus(2, 10), nn.Hardtanh(), nn.CrossEntropyLoss(label_smoothing=0.1),
                nn.Bilinear(2, 3, 4), nn.RMSNorm(4), nn.GroupNorm(2, 4), nn.Identity(),
                nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()]),
                nn.ModuleDict({"a": nn.Linear(2, 3, bias=False),
                               "b": nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2))}),
                nn.ParameterList([nn.Parameter(L.ones(3)), nn.Parameter(L.ones(2, 2))]),
                nn.ParameterDict({"a": nn.Parameter(L.ones(3))}), nn.ZeroPad2d(1),
                nn.ConstantPad1d(2, 3.5), nn.ConvTranspose2d(3, 4, 3), nn.Threshold(0.1, 20),
                nn.Upsample(scale_factor=2, mode="bilinear"), nn.Upsample(size=(3, 4))]
    for t, lt in zip(build(torch), build(torchlike)):
        assert repr(lt) == repr(t)
    assert repr(torchlike.nn.Parameter(torchlike.ones(2))) == repr(torch.nn.Parameter(
        torch.ones(2)))
    assert str(torchlike.nn.Parameter(torchlike.ones(2, dtype=torchlike.float64),
                                      requires_grad=False)) == \
        str(torch.nn.Parameter(torch.ones(2, dtype=torch.float64), requires_grad=False))


def test_batchnorm_running_stats_and_state_dict_loading():
    tm, lm = torch.nn.BatchNorm1d(3), torchlike.nn.BatchNorm1d(3)
    for _ in range(3):
        x = f32(5, 3)
        tm(torch.from_numpy(x))
        lm(torchlike.tensor(x))
    for k, v in tm.state_dict().items():
        assert_same_tensor(v, lm.state_dict()[k], k, check_repr=False)
    sd = {k: v for k, v in lm.state_dict().items() if k != "num_batches_tracked"}
    res = torchlike.nn.BatchNorm1d(3).load_state_dict(sd)  # old checkpoints lack the counter
    assert repr(res) == repr(torch.nn.BatchNorm1d(3).load_state_dict(
        {k: v for k, v in tm.state_dict().items() if k != "num_batches_tracked"}))


def test_load_state_dict_errors_match():
    def go(L):
        return L.nn.Sequential(L.nn.Linear(2, 3)).load_state_dict(
            {"0.weight": L.ones(3, 3), "extra": L.ones(1)})
    want, got = check_raises(lambda L, x: go(L), f32(1))
    assert want == got
    t = torch.nn.Linear(2, 3).load_state_dict({"weight": torch.ones(3, 2)}, strict=False)
    lt = torchlike.nn.Linear(2, 3).load_state_dict({"weight": torchlike.ones(3, 2)},
                                                   strict=False)
    assert repr(lt) == repr(t)


# ---- optimizers and schedulers -----------------------------------------------------------
OPTIMS = [
    ("sgd", "SGD", dict(lr=0.1)),
    ("sgd_momentum", "SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("sgd_nesterov_max", "SGD", dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
    ("adam", "Adam", dict(lr=0.01)),
    ("adam_wd_amsgrad", "Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1,
                                     amsgrad=True)),
    ("adamw", "AdamW", dict(lr=0.01, weight_decay=0.05, maximize=True)),
    ("rmsprop", "RMSprop", dict(lr=0.01)),
    ("rmsprop_centered", "RMSprop", dict(lr=0.01, momentum=0.5, centered=True,
                                         weight_decay=0.1)),
    ("adagrad", "Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                initial_accumulator_value=0.1)),
]
W0, B0, X0 = f32(3, 4), f32(3), f32(8, 4)


def _train(L, cls, kw, steps=4, opt=None, params=None):
    if params is None:
        params = (L.nn.Parameter(L.tensor(W0)), L.nn.Parameter(L.tensor(B0)))
    w, b = params
    if opt is None:
        opt = getattr(L.optim, cls)([{"params": [w]}, {"params": [b], "lr": kw["lr"] / 2}],
                                    **kw)
    x = L.tensor(X0)
    for _ in range(steps):
        opt.zero_grad()
        ((x @ w.t() + b) ** 2).mean().backward()
        opt.step()
    return (w, b), opt


def _same_state(t_opt, l_opt):
    ts, ls = t_opt.state_dict(), l_opt.state_dict()
    assert ls["param_groups"] == ts["param_groups"]
    assert list(ls["state"]) == list(ts["state"])
    for k, tstate in ts["state"].items():
        assert list(ls["state"][k]) == list(tstate)
        for key, v in tstate.items():
            assert_same_tensor(v, ls["state"][k][key], f"state[{k}][{key}]", check_repr=False)


@pytest.mark.parametrize("name,cls,kw", OPTIMS, ids=[o[0] for o in OPTIMS])
def test_optimizer_matches_torch(name, cls, kw):
    (tw, tb), topt = _train(torch, cls, kw)
    (lw, lb), lopt = _train(torchlike, cls, kw)
    assert_same_tensor(tw, lw, "weight", check_repr=False)
    assert_same_tensor(tb, lb, "bias", check_repr=False)
    assert repr(lopt) == repr(topt)
    assert list(lopt.param_groups[0].keys()) == list(topt.param_groups[0].keys())
    _same_state(topt, lopt)
    # a fresh optimizer loading the state dict continues on the same trajectory
    fresh = getattr(torchlike.optim, cls)([{"params": [lw]}, {"params": [lb]}], **kw)
    fresh.load_state_dict(lopt.state_dict())
    (tw, tb), _ = _train(torch, cls, kw, 2, topt, (tw, tb))
    (lw, lb), _ = _train(torchlike, cls, kw, 2, fresh, (lw, lb))
    assert_same_tensor(tw, lw, "weight after reload", check_repr=False)
    assert_same_tensor(tb, lb, "bias after reload", check_repr=False)


SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)), ("ExponentialLR", dict(gamma=0.9)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1 / (e + 1))),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
    ("LinearLR", dict(start_factor=0.25, total_iters=4)),
]


@pytest.mark.parametrize("cls,kw", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_scheduler_lr_sequence(cls, kw):
    seqs = []
    for L in (torch, torchlike):
        p = L.nn.Parameter(L.ones(2))
        opt = L.optim.SGD([p, ], lr=0.3, momentum=0.9)
        sched = getattr(L.optim.lr_scheduler, cls)(opt, **kw)
        seq = [sched.get_last_lr()]
        for _ in range(14):
            p.sum().backward()
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr())
        seqs.append(seq)
    assert seqs[1] == seqs[0]


@pytest.mark.parametrize("cls,kw", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_scheduler_step_with_epoch(cls, kw):
    """The deprecated step(epoch): torch's closed forms (and its warning) at jumping epochs."""
    seqs = []
    for L in (torch, torchlike):
        opt = L.optim.SGD([L.nn.Parameter(L.ones(2))], lr=0.3)
        sched = getattr(L.optim.lr_scheduler, cls)(opt, **kw)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            seq = []
            for epoch in (1, 2, 3, 5, 4, 9, 14, 6):
                opt.step()
                sched.step(epoch)
                seq.append(sched.get_last_lr())
        seqs.append((seq, sorted({(w.category, str(w.message)) for w in caught}, key=str)))
    assert seqs[1] == seqs[0]


def test_reduce_lr_on_plateau():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85]
    seqs = []
    for L in (torch, torchlike):
        opt = L.optim.Adam([L.nn.Parameter(L.ones(1))], lr=0.1)
        sched = L.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1)
        seq = []
        for m in metrics:
            sched.step(m)
            seq.append(opt.param_groups[0]["lr"])
        seqs.append(seq)
    assert seqs[1] == seqs[0]


# ---- data loading ------------------------------------------------------------------------
def _same_batch(want, got):
    if isinstance(want, torch.Tensor):
        assert_same_tensor(want, got, "batch")
    elif isinstance(want, dict):
        assert type(got) is type(want) and list(got) == list(want)
        for k in want:
            _same_batch(want[k], got[k])
    elif isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want)
        for w, g in zip(want, got):
            _same_batch(w, g)
    else:
        assert got == want


def test_dataloader_batches_match_torch():
    x, y = f32(10, 3), np.arange(10)

    def samples(L):
        return [(L.tensor(x[i]), int(y[i]), float(x[i, 0]), {"a": x[i], "b": "s"})
                for i in range(10)]
    for kw in (dict(batch_size=4), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        for make in (lambda L: L.utils.data.TensorDataset(L.tensor(x), L.tensor(y)), samples):
            t = list(torch.utils.data.DataLoader(make(torch), **kw))
            lt = list(torchlike.utils.data.DataLoader(make(torchlike), **kw))
            assert len(lt) == len(t) == len(torchlike.utils.data.DataLoader(make(torchlike),
                                                                            **kw))
            for w, g in zip(t, lt):
                _same_batch(w, g)


def test_random_split_lengths_match_torch():
    for lengths in ([0.7, 0.3], [0.33, 0.33, 0.34], [4, 6]):
        t = torch.utils.data.random_split(range(10), lengths)
        lt = torchlike.utils.data.random_split(range(10), lengths)
        assert [len(s) for s in lt] == [len(s) for s in t]
        assert sorted(i for s in lt for i in s) == list(range(10))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (3, 4)), ((4,), (3, 4))])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_elementwise_loss_graphs_are_torchs(name, shapes, reduction):
    """F.mse_loss & co broadcast their operands as torch.broadcast_tensors does (ExpandBackward0
    over the operand that grows) and l1_loss is at::l1_loss's (input - target).abs() then the
    reduction: the whole graph, values and gradients as torch's."""
    rng = np.random.default_rng(4)
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]

    def run(L):
        a, b = (L.tensor(x, requires_grad=True) for x in xs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = getattr(L.nn.functional, name)(a, b, reduction=reduction)
        out.sum().backward()
        return out, a.grad, b.grad, graph([out])
    want, got = run(torch), run(torchlike)
    for w, g in zip(want[:3], got[:3]):
        assert_same(w, g)
    assert got[3] == want[3]


def test_bce_weight_requiring_grad_is_refused_as_torch():
    for grad in (True, False):
        def run(L):
            x = L.tensor([0.2, 0.7], requires_grad=True)
            w = L.tensor([1.0, 2.0], requires_grad=True)
            with L.set_grad_enabled(grad):
                return L.nn.functional.binary_cross_entropy(x, L.tensor([0.0, 1.0]), weight=w)
        if grad:
            check_raises(run)
        else:
            assert_same(run(torch), run(torchlike))


@pytest.mark.parametrize("xs,ws", [((2, 3, 4), (3,)), ((2, 3), (1,)), ((5,), (1,)), ((), (1,)),
                                   ((2, 3, 4), ()), ((2, 3, 4), (4,)), ((), (2,)),
                                   ((2, 3), (3, 1))])
def test_prelu_graph_and_errors_are_torchs(xs, ws):
    """at::prelu reshapes the weight to the input's rank (ViewBackward0), after its checks."""
    rng = np.random.default_rng(8)
    x0, w0 = rng.standard_normal(xs).astype(np.float32), rng.uniform(0, 1, ws).astype(np.float32)

    def run(L):
        x, w = L.tensor(x0, requires_grad=True), L.tensor(w0, requires_grad=True)
        out = L.nn.functional.prelu(x, w)
        out.sum().backward()
        return out, x.grad, w.grad, graph([out])
    try:
        want = run(torch)
    except RuntimeError:
        check_raises(lambda L: run(L))
        return
    got = run(torchlike)
    for w, g in zip(want[:3], got[:3]):
        assert_same(w, g)
    assert got[3] == want[3]
