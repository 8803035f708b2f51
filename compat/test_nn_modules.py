"""nn features no other compat test reached, against real torch: the loss modules (reductions,
beta / delta, log_target, weight, ignore_index, pos_weight), conv3d / Conv3d with stride,
padding, dilation and groups, BatchNorm3d in train and eval, adaptive_max_pool1d, the
channel dropouts (torch's masks after the same seed), F.upsample, and the in-place activations
(relu_, elu_, leaky_relu_, rrelu_ and the inplace=True modules)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _helper import assert_same_tensor, check, check_raises

import torchlike

R = np.random.default_rng(7)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return R.standard_normal(shape)


def F(lib):
    return lib.nn.functional


def check_warns(fn, *inputs, **kw):
    """check(), and both libraries emit the same warnings (category and text) in fn."""
    seen = {}

    def recorded(lib, *xs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = fn(lib, *xs)
        seen.setdefault(lib, [(w.category, str(w.message)) for w in caught])
        return out
    check(recorded, *inputs, **kw)
    assert seen[torchlike] == seen[torch], f"warnings {seen[torchlike]} != torch {seen[torch]}"


def _pair(make):
    """The module built in both libraries, torch's parameters and buffers copied over."""
    torch.manual_seed(0)
    tm, lm = make(torch), make(torchlike)
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())
    lm.load_state_dict({k: torchlike.tensor(v.detach().numpy())
                        for k, v in tm.state_dict().items()})
    return {torch: tm, torchlike: lm}


def _same_params_and_buffers(mods):
    tm, lm = mods[torch], mods[torchlike]
    for (n, tp), lp in zip(tm.named_parameters(), lm.parameters()):
        assert_same_tensor(tp.grad, lp.grad, f"grad of {n}", check_repr=False)
    for (n, tb), lb in zip(tm.named_buffers(), lm.buffers()):
        assert_same_tensor(tb, lb, f"buffer {n}", check_repr=False)


# ---- loss modules --------------------------------------------------------------------------
T3 = np.array([2, 0, 1, 0])
W3 = [0.2, 1.0, 3.0]


def _w(lib, x, values):
    return lib.tensor(values, dtype=x.dtype)


# (name, fn(lib, x, t, reduction), reduction): every reduction appears, MSELoss takes all three
LOSS_MODULES = [
    *[("MSELoss", lambda L, x, t, r: L.nn.MSELoss(reduction=r)(x, t), r)
      for r in ("none", "mean", "sum")],
    ("L1Loss", lambda L, x, t, r: L.nn.L1Loss(reduction=r)(x, t), "sum"),
    ("SmoothL1Loss_beta0.5", lambda L, x, t, r: L.nn.SmoothL1Loss(reduction=r, beta=0.5)(x, t),
     "none"),
    ("SmoothL1Loss_beta2", lambda L, x, t, r: L.nn.SmoothL1Loss(reduction=r, beta=2.0)(x, t),
     "mean"),
    ("HuberLoss_delta1.5", lambda L, x, t, r: L.nn.HuberLoss(reduction=r, delta=1.5)(x, t),
     "sum"),
    ("KLDivLoss", lambda L, x, t, r: L.nn.KLDivLoss(reduction=r)(
        F(L).log_softmax(x, 1), t.softmax(1)), "mean"),
    ("KLDivLoss_log_target", lambda L, x, t, r: L.nn.KLDivLoss(reduction=r, log_target=True)(
        F(L).log_softmax(x, 1), F(L).log_softmax(t, 1)), "batchmean"),
    ("KLDivLoss_log_target", lambda L, x, t, r: L.nn.KLDivLoss(reduction=r, log_target=True)(
        F(L).log_softmax(x, 1), F(L).log_softmax(t, 1)), "none"),
    ("BCELoss_weight", lambda L, x, t, r: L.nn.BCELoss(_w(L, x, W3), reduction=r)(
        x.sigmoid(), t.sigmoid()), "none"),
    ("BCEWithLogitsLoss_pos_weight", lambda L, x, t, r: L.nn.BCEWithLogitsLoss(
        pos_weight=_w(L, x, [3.0, 1.0, 0.2]), reduction=r)(x, t.sigmoid()), "mean"),
    ("BCEWithLogitsLoss_weight_pos_weight", lambda L, x, t, r: L.nn.BCEWithLogitsLoss(
        _w(L, x, [[0.5], [1.0], [2.0], [1.5]]), reduction=r, pos_weight=_w(L, x, [4.0, 0.5, 1.0]))(
        x, t.sigmoid()), "sum"),
]


@pytest.mark.parametrize("name,fn,reduction", LOSS_MODULES,
                         ids=[f"{c[0]}-{c[2]}" for c in LOSS_MODULES])
def test_loss_module(name, fn, reduction):
    # KLDivLoss(reduction='mean') warns that it is not 'batchmean': the warnings are compared
    check_warns(lambda L, x, t: fn(L, x, t, reduction), f32(4, 3), f32(4, 3), check_repr=False)


def test_loss_modules_float64():
    fns = {name: fn for name, fn, _ in LOSS_MODULES}
    beta2, pos_weight = fns["SmoothL1Loss_beta2"], fns["BCEWithLogitsLoss_pos_weight"]
    check(lambda L, x, t: beta2(L, x, t, "mean"), f64(4, 3), f64(4, 3))
    check(lambda L, x, t: pos_weight(L, x, t, "none"), f64(4, 3), f64(4, 3), numeric=False)


# (name, module maker, reduction)
NLL = [
    ("plain", lambda L, x: L.nn.NLLLoss, "mean"),
    ("weight", lambda L, x: lambda **kw: L.nn.NLLLoss(_w(L, x, W3), **kw), "none"),
    ("ignore_index", lambda L, x: lambda **kw: L.nn.NLLLoss(ignore_index=0, **kw), "sum"),
    ("weight_ignore_index", lambda L, x: lambda **kw: L.nn.NLLLoss(
        weight=_w(L, x, W3), ignore_index=1, **kw), "mean"),
]


@pytest.mark.parametrize("name,make,reduction", NLL, ids=[f"{c[0]}-{c[2]}" for c in NLL])
def test_nll_loss_module(name, make, reduction):
    check(lambda L, x, t: make(L, x)(reduction=reduction)(F(L).log_softmax(x, 1), t),
          f32(4, 3), T3, check_repr=False)
    if reduction == "mean" and name == "weight_ignore_index":
        check(lambda L, x, t: make(L, x)(reduction=reduction)(x, t), f64(4, 3), T3)


def test_loss_module_reprs_and_buffers():
    def build(L):
        w = L.tensor(W3)
        return [L.nn.MSELoss(reduction="sum"), L.nn.L1Loss(), L.nn.SmoothL1Loss(beta=0.5),
                L.nn.HuberLoss(delta=1.5), L.nn.KLDivLoss(reduction="batchmean", log_target=True),
                L.nn.NLLLoss(w, ignore_index=0), L.nn.BCELoss(w),
                L.nn.BCEWithLogitsLoss(w, pos_weight=w * 2)]
    for tm, lm in zip(build(torch), build(torchlike)):
        assert repr(lm) == repr(tm)
        assert list(lm.state_dict()) == list(tm.state_dict()), repr(tm)
        for k, v in tm.state_dict().items():
            assert_same_tensor(v, lm.state_dict()[k], f"{tm!r}.{k}")
        for attr in ("reduction", "beta", "delta", "log_target", "ignore_index"):
            assert getattr(lm, attr, None) == getattr(tm, attr, None), (repr(tm), attr)


# ---- conv3d, Conv3d, BatchNorm3d ----------------------------------------------------------
# kernel (3, 2, 2) with dilation 2 spans (5, 3, 3): every output size differs from dilation 1
CONV3D = [
    ("stride_pad_dil_groups_bias", dict(stride=(1, 2, 1), padding=1, dilation=2, groups=2),
     (2, 4, 5, 5, 6), (6, 2, 3, 2, 2), True),
    ("dil_per_dim_nobias", dict(dilation=(2, 1, 2), padding=(0, 1, 0)),
     (2, 4, 5, 5, 6), (3, 4, 3, 2, 2), False),
]


@pytest.mark.parametrize("name,kw,xs,ws,bias", CONV3D, ids=[c[0] for c in CONV3D])
def test_conv3d(name, kw, xs, ws, bias):
    if bias:
        check(lambda L, x, w, b: F(L).conv3d(x, w, b, **kw), f32(*xs), f32(*ws), f32(ws[0]),
              check_repr=False)
    else:
        check(lambda L, x, w: F(L).conv3d(x, w, **kw), f32(*xs), f32(*ws), check_repr=False)


def test_conv3d_float64_unbatched():
    check(lambda L, x, w, b: F(L).conv3d(x, w, b, 2, (1, 0, 1), 2, 2), f64(4, 5, 5, 6),
          f64(6, 2, 3, 2, 2), f64(6), numeric=False)


def test_conv3d_module():
    mods = _pair(lambda L: L.nn.Conv3d(4, 6, (3, 2, 2), stride=(1, 2, 1), padding=1, dilation=2,
                                       groups=2))
    check(lambda L, x: mods[L](x), f32(2, 4, 5, 5, 6), check_repr=False)
    _same_params_and_buffers(mods)


def test_batchnorm3d_train_then_eval():
    mods = _pair(lambda L: L.nn.BatchNorm3d(4, momentum=0.3))
    for m in mods.values():
        m.weight.data.mul_(1.5)  # weight != 1, bias != 0: the affine part shows in the grads
        m.bias.data.add_(0.25)
    x = f32(2, 4, 2, 3, 2) * 2 + 1
    check(lambda L, x: mods[L](x), x, check_repr=False)
    _same_params_and_buffers(mods)  # running stats after the train step
    for m in mods.values():
        m.zero_grad()
        m.eval()
    check(lambda L, x: mods[L](x), f32(2, 4, 2, 3, 2), check_repr=False)
    _same_params_and_buffers(mods)


# ---- adaptive_max_pool1d ------------------------------------------------------------------
@pytest.mark.parametrize("out,indices", [(3, True), (5, False)])
def test_adaptive_max_pool1d(out, indices):
    # 7 is divisible by neither output size: the windows overlap and differ in length
    check(lambda L, x: F(L).adaptive_max_pool1d(x, out, return_indices=indices), f32(2, 3, 7),
          check_repr=False)


def test_adaptive_max_pool1d_module_and_float64():
    check(lambda L, x: L.nn.AdaptiveMaxPool1d(3, return_indices=True)(x), f32(2, 3, 7),
          check_repr=False)
    check(lambda L, x: L.nn.AdaptiveMaxPool1d(5)(x), f64(3, 7))
    assert repr(torchlike.nn.AdaptiveMaxPool1d(4, True)) == repr(torch.nn.AdaptiveMaxPool1d(4,
                                                                                         True))


# ---- channel dropouts: torch's masks after the same seed ----------------------------------
def _seeded(fn):
    def run(L, x):
        L.manual_seed(0)
        return fn(L, x)
    return run


DROPOUT = [
    ("dropout1d", lambda L, x: F(L).dropout1d(x, 0.5), (2, 6, 3)),
    ("dropout3d", lambda L, x: F(L).dropout3d(x, 0.5), (2, 6, 2, 2, 3)),
    ("Dropout1d", lambda L, x: L.nn.Dropout1d(0.4)(x), (2, 6, 3)),
    ("Dropout3d", lambda L, x: L.nn.Dropout3d(0.4)(x), (2, 6, 2, 2, 3)),
    ("dropout1d_inplace", lambda L, x: F(L).dropout1d(x * 1, 0.5, inplace=True), (2, 6, 3)),
    ("Dropout3d_inplace", lambda L, x: L.nn.Dropout3d(0.5, inplace=True)(x * 1),
     (2, 6, 2, 2, 3)),
]


@pytest.mark.parametrize("name,fn,shape", DROPOUT, ids=[c[0] for c in DROPOUT])
def test_channel_dropout_train(name, fn, shape):
    x = f32(*shape)
    check(_seeded(fn), x, check_repr=False)
    torch.manual_seed(0)
    y = fn(torch, torch.from_numpy(x)).numpy()
    dropped = (y == 0).all(axis=tuple(range(2, y.ndim)))
    assert dropped.any() and not dropped.all(), "the seed should drop some channels, not all"


def test_channel_dropout_train_float64():
    check(_seeded(lambda L, x: F(L).dropout3d(x, 0.3)), f64(2, 6, 2, 2, 3))


DROPOUT_OFF = [
    ("dropout1d_training_false", lambda L, x: F(L).dropout1d(x, 0.5, training=False),
     (2, 6, 3)),
    ("dropout3d_training_false", lambda L, x: F(L).dropout3d(x, 0.5, False), (2, 6, 2, 2, 3)),
    ("Dropout1d_eval", lambda L, x: L.nn.Dropout1d(0.5).eval()(x), (2, 6, 3)),
    ("Dropout3d_eval", lambda L, x: L.nn.Dropout3d(0.5).eval()(x), (2, 6, 2, 2, 3)),
]


@pytest.mark.parametrize("name,fn,shape", DROPOUT_OFF, ids=[c[0] for c in DROPOUT_OFF])
def test_channel_dropout_off_is_identity(name, fn, shape):
    def run(L, x):
        y = fn(L, x)
        return y, y is x
    check(run, f32(*shape), check_repr=False)


@pytest.mark.parametrize("training", [True, False], ids=["train", "off"])
@pytest.mark.parametrize("name,shape", [("dropout1d", (6, 3)), ("dropout3d", (6, 2, 2, 3))],
                         ids=["dropout1d", "dropout3d"])
def test_channel_dropout_unbatched(name, shape, training):
    check(_seeded(lambda L, x: getattr(F(L), name)(x, 0.5, training)), f32(*shape),
          check_repr=False)


@pytest.mark.parametrize("name,shape", [("dropout2d", (2, 3, 4)), ("dropout2d", (3, 4)),
                                        ("dropout3d", (3, 4)), ("dropout3d", (2, 3, 2, 2, 2, 2))],
                         ids=str)
def test_channel_dropout_other_ranks_warn(name, shape):
    """dropout2d of a 3-D input is batched 1-D dropout; a rank outside (nd+1, nd+2) warns."""
    check_warns(_seeded(lambda L, x: getattr(F(L), name)(x, 0.5)), f32(*shape),
                check_repr=False)


def test_dropout1d_rank_error():
    want, got = check_raises(lambda L, x: F(L).dropout1d(x), f32(4))
    assert got == want


# ---- F.upsample ---------------------------------------------------------------------------
UPSAMPLE = [
    ("nearest_scale", lambda L, x: F(L).upsample(x, scale_factor=2)),
    ("bilinear_size_align", lambda L, x: F(L).upsample(x, size=(5, 7), mode="bilinear",
                                                       align_corners=True)),
]


@pytest.mark.filterwarnings("ignore:`nn.functional.upsample` is deprecated")
@pytest.mark.parametrize("name,fn", UPSAMPLE, ids=[c[0] for c in UPSAMPLE])
def test_upsample(name, fn):
    check(fn, f32(2, 3, 3, 4), check_repr=False)


@pytest.mark.parametrize("fn", [
    UPSAMPLE[0][1], lambda L, x: F(L).upsample_nearest(x, scale_factor=2),
    lambda L, x: F(L).upsample_bilinear(x, size=(5, 7))], ids=["upsample", "nearest", "bilinear"])
def test_upsample_warns_like_torch(fn):
    check_warns(fn, f32(2, 3, 3, 4), check_repr=False)


# ---- in-place activations -----------------------------------------------------------------
def _inplace(fn):
    """fn applied to a non-leaf y = x * 1: the result, whether it is y, and y's version."""
    def run(L, x):
        y = x * 1
        out = fn(L, y)
        return out, out is y, y._version
    return run


INPLACE = [
    ("relu_", lambda L, y: F(L).relu_(y)),
    ("elu_", lambda L, y: F(L).elu_(y, 0.7)),
    ("leaky_relu_", lambda L, y: F(L).leaky_relu_(y, 0.2)),
    ("ReLU_inplace", lambda L, y: L.nn.ReLU(inplace=True)(y)),
    ("ELU_inplace", lambda L, y: L.nn.ELU(0.7, inplace=True)(y)),
    ("LeakyReLU_inplace", lambda L, y: L.nn.LeakyReLU(0.2, inplace=True)(y)),
    ("rrelu_eval", lambda L, y: F(L).rrelu_(y, 0.1, 0.3)),
    ("RReLU_inplace_eval", lambda L, y: L.nn.RReLU(0.1, 0.3, inplace=True).eval()(y)),
]


@pytest.mark.parametrize("name,fn", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_activation(name, fn):
    check(_inplace(fn), f32(3, 4), check_repr=False)
    if name == "leaky_relu_":
        check(_inplace(fn), f64(3, 4))


def test_inplace_activation_modules_repr():
    for make in (lambda L: L.nn.ReLU(inplace=True), lambda L: L.nn.ELU(0.7, inplace=True),
                 lambda L: L.nn.LeakyReLU(0.2, inplace=True),
                 lambda L: L.nn.RReLU(0.1, 0.3, inplace=True)):
        assert repr(make(torchlike)) == repr(make(torch))


@pytest.mark.parametrize("inplace", [False, True], ids=["rrelu", "rrelu_"])
def test_rrelu_training_deterministic_parts(inplace):
    # torchlike draws the slopes from its own generator (not torch's rrelu draws), so only
    # what does not depend on the draw is compared: grad_fn, positive part, slope range, grad
    x = f32(4, 6)
    res = {}
    for L in (torch, torchlike):
        L.manual_seed(0)
        xin = L.tensor(x, requires_grad=True)
        y = F(L).rrelu(xin * 1, 0.1, 0.3, True, inplace)
        y.sum().backward()
        v = y.detach().numpy() if L is torch else np.asarray(y.detach()._data)
        g = xin.grad.numpy() if L is torch else np.asarray(xin.grad._data)
        res[L] = (type(y.grad_fn).__name__, str(y.dtype), tuple(y.shape))
        pos = x > 0
        np.testing.assert_array_equal(v[pos], x[pos])
        slopes = v[~pos] / x[~pos]
        assert ((slopes >= 0.1 - 1e-6) & (slopes <= 0.3 + 1e-6)).all(), L.__name__
        np.testing.assert_allclose(g[~pos], slopes, rtol=1e-5)
        np.testing.assert_array_equal(g[pos], 1)
    assert res[torchlike] == res[torch]
