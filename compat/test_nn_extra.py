"""Differential tests of the less common nn functions and layers against real torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import torchlike
from _helper import assert_same_tensor, check, check_raises

R = np.random.default_rng(0)


def rn(*shape, dtype=np.float64):
    return R.standard_normal(shape).astype(dtype)


def F(lib):
    return lib.nn.functional


# ---- shuffles, unfold / fold -------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pixel_shuffle(dtype):
    check(lambda lib, x: F(lib).pixel_shuffle(x, 2), rn(2, 8, 3, 3, dtype=dtype))
    check(lambda lib, x: F(lib).pixel_unshuffle(x, 2), rn(3, 4, 6, dtype=dtype))
    check(lambda lib, x: F(lib).pixel_shuffle(x, 3), rn(2, 1, 9, 2, 2, dtype=dtype))


def test_channel_shuffle():
    check(lambda lib, x: F(lib).channel_shuffle(x, 3), rn(2, 6, 2, 2))
    check(lambda lib, x: lib.nn.ChannelShuffle(2)(x), rn(2, 4, 3))


@pytest.mark.parametrize("args", [dict(kernel_size=2), dict(kernel_size=(2, 3), dilation=(1, 2),
                                                            padding=1, stride=(2, 1))])
def test_unfold_fold(args):
    check(lambda lib, x: F(lib).unfold(x, **args), rn(2, 3, 5, 6))
    check(lambda lib, x: F(lib).unfold(x, **args), rn(3, 5, 6, dtype=np.float32))
    blocks = torch.nn.functional.unfold(torch.zeros(1, 3, 5, 6), **args).shape
    check(lambda lib, x: F(lib).fold(x, (5, 6), **args), rn(*blocks))
    check(lambda lib, x: F(lib).fold(x, (5, 6), **args), rn(*blocks[1:], dtype=np.float32))


# ---- normalization -----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 4), (1, 2, 2, 3, 2)])
def test_instance_norm(shape):
    c = shape[1]
    check(lambda lib, x: F(lib).instance_norm(x), rn(*shape))
    check(lambda lib, x, w, b: F(lib).instance_norm(x, weight=w, bias=b), rn(*shape),
          rn(c), rn(c), numeric=False)
    got = {}
    for lib in (torch, torchlike):
        rm, rv = lib.zeros(c, dtype=lib.float64), lib.ones(c, dtype=lib.float64)
        x = lib.tensor(rn(*shape)) if lib is torchlike else None
        got[lib] = (rm, rv, x)
    x = rn(*shape)
    out_t = torch.nn.functional.instance_norm(torch.tensor(x), got[torch][0], got[torch][1],
                                              momentum=0.3)
    out_l = F(torchlike).instance_norm(torchlike.tensor(x), got[torchlike][0], got[torchlike][1],
                                       momentum=0.3)
    assert_same_tensor(out_t, out_l)
    assert_same_tensor(got[torch][0], got[torchlike][0], "running_mean")
    assert_same_tensor(got[torch][1], got[torchlike][1], "running_var")
    # evaluation with running statistics
    check(lambda lib, x: F(lib).instance_norm(x, lib.zeros(c, dtype=lib.float64) + 0.5,
                                              lib.ones(c, dtype=lib.float64) * 2,
                                              use_input_stats=False), rn(*shape))


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm1d", (3, 5)),
                                       ("InstanceNorm2d", (2, 3, 4, 4)),
                                       ("InstanceNorm3d", (2, 3, 2, 2, 3))])
def test_instance_norm_module(cls, shape):
    outs = {}
    for lib in (torch, torchlike):
        lib.manual_seed(0)
        m = getattr(lib.nn, cls)(3, affine=True, track_running_stats=True).double()
        x = lib.tensor(np.random.default_rng(1).standard_normal(shape), requires_grad=True)
        y = m(x)
        y.sum().backward()
        m.eval()
        outs[lib] = (y, x.grad, m.running_mean, m.running_var, m(x), repr(m),
                     list(m.state_dict()))
    for i, (w, g) in enumerate(zip(outs[torch], outs[torchlike])):
        if isinstance(w, torch.Tensor):  # x.grad (item 1) is 0: rounding noise of unit terms
            assert_same_tensor(w, g, f"item {i}", check_repr=False, scale=1.0 if i == 1 else None)
        else:
            assert w == g
    assert repr(torch.nn.InstanceNorm3d(4, eps=1e-3, momentum=None)) == \
        repr(torchlike.nn.InstanceNorm3d(4, eps=1e-3, momentum=None))


@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 5, 3, 3), (1, 4, 2, 2, 2)])
def test_local_response_norm(shape):
    check(lambda lib, x: F(lib).local_response_norm(x, 3, alpha=0.1, beta=0.5, k=2.0),
          rn(*shape), numeric=False)
    check(lambda lib, x: lib.nn.LocalResponseNorm(2)(x), rn(*shape, dtype=np.float32))


# ---- 3-d pooling -------------------------------------------------------------------------
@pytest.mark.parametrize("args", [dict(kernel_size=2), dict(kernel_size=(2, 1, 3), stride=1,
                                                            padding=(1, 0, 1))])
def test_pool3d(args):
    check(lambda lib, x: F(lib).max_pool3d(x, return_indices=True, **args), rn(2, 2, 4, 3, 5))
    check(lambda lib, x: F(lib).max_pool3d(x, **args), rn(2, 4, 3, 5, dtype=np.float32))
    check(lambda lib, x: F(lib).avg_pool3d(x, **args), rn(2, 2, 4, 3, 5))
    check(lambda lib, x: F(lib).avg_pool3d(x, ceil_mode=True, count_include_pad=False, **args),
          rn(2, 4, 3, 5, dtype=np.float32))


def test_pool3d_modules():
    check(lambda lib, x: lib.nn.MaxPool3d(2, stride=1)(x), rn(1, 2, 3, 3, 3))
    check(lambda lib, x: lib.nn.AvgPool3d((2, 1, 2), divisor_override=3)(x), rn(1, 2, 3, 3, 3))


# ---- embedding_bag -----------------------------------------------------------------------
IDX = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0])
OFFS = np.array([0, 3, 3, 7])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 4])
def test_embedding_bag(mode, padding_idx):
    check(lambda lib, w, i, o: F(lib).embedding_bag(i, w, o, mode=mode,
                                                    padding_idx=padding_idx),
          rn(10, 3), IDX, OFFS, numeric=False)
    check(lambda lib, w, i, o: F(lib).embedding_bag(i, w, o, mode=mode,
                                                    include_last_offset=True),
          rn(10, 3, dtype=np.float32), IDX, np.append(OFFS, 10))
    check(lambda lib, w, i: F(lib).embedding_bag(i, w, mode=mode, padding_idx=padding_idx),
          rn(10, 3), IDX.reshape(2, 5), numeric=False)


def test_embedding_bag_per_sample_weights():
    check(lambda lib, w, i, o, p: F(lib).embedding_bag(i, w, o, mode="sum",
                                                       per_sample_weights=p),
          rn(10, 3), IDX, OFFS, rn(10), numeric=False)


def test_embedding_bag_module():
    for kw in (dict(), dict(mode="sum", padding_idx=0, max_norm=1.0)):
        assert repr(torch.nn.EmbeddingBag(10, 3, **kw)) == repr(torchlike.nn.EmbeddingBag(10, 3,
                                                                                         **kw))
    check(lambda lib, w, i, o: lib.nn.EmbeddingBag.from_pretrained(w, freeze=False, mode="max")(
        i, o), rn(10, 3), IDX, OFFS, numeric=False)


# ---- rrelu, softmax2d, random ops --------------------------------------------------------
def test_rrelu_eval_and_softmax2d():
    check(lambda lib, x: lib.nn.RReLU(0.1, 0.3).eval()(x), rn(3, 4))
    check(lambda lib, x: F(lib).rrelu(x), rn(3, 4, dtype=np.float32))
    check(lambda lib, x: F(lib).rrelu(x * 1, inplace=True), rn(3, 4))
    check(lambda lib, x: lib.nn.Softmax2d()(x), rn(2, 3, 2, 2))
    for m in ("RReLU()", "RReLU(0.1, 0.3, inplace=True)", "Softmax2d()", "AlphaDropout()",
              "FeatureAlphaDropout(0.2, inplace=True)", "ChannelShuffle(2)", "PixelShuffle(2)",
              "PixelUnshuffle(3)", "Unfold((2, 3), dilation=2, padding=1, stride=2)",
              "Fold((4, 5), 2)", "LocalResponseNorm(2)", "MaxPool3d((2, 1, 2), 1, 1)",
              "AvgPool3d(2)", "InstanceNorm2d(3, affine=True)", "MultiMarginLoss(p=2)",
              "TripletMarginLoss(margin=2.0, swap=True)", "GaussianNLLLoss(full=True)"):
        assert repr(eval("torch.nn." + m)) == repr(eval("torchlike.nn." + m)), m


def test_rrelu_train():
    x = torchlike.tensor(-np.ones((200, 50)), requires_grad=True)
    y = torchlike.nn.RReLU(0.1, 0.3).train()(x)
    assert type(y.grad_fn).__name__ == "RreluWithNoiseBackward0"
    slopes = -np.asarray(y.detach()._data)
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.01
    y.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad._data), slopes)


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax(hard):
    logits = np.log(np.array([[0.1, 0.2, 0.7]]))
    for lib in (torch, torchlike):
        lib.manual_seed(0)
        x = lib.tensor(np.repeat(logits, 20000, 0), requires_grad=True)
        y = F(lib).gumbel_softmax(x, tau=0.5, hard=hard)
        assert type(y.grad_fn).__name__ == ("AddBackward0" if hard else "SoftmaxBackward0")
        assert tuple(y.shape) == (20000, 3)
        v = y.detach().numpy() if lib is torch else np.asarray(y.detach()._data)
        np.testing.assert_allclose(v.sum(1), 1, rtol=1e-6)
        if hard:
            assert set(np.unique(v)) <= {0.0, 1.0}
            np.testing.assert_allclose(v.mean(0), [0.1, 0.2, 0.7], atol=0.015)


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout(feature):
    name = "feature_alpha_dropout" if feature else "alpha_dropout"
    check(lambda lib, x: getattr(F(lib), name)(x, 0.3, training=False), rn(3, 4))
    x = torchlike.tensor(rn(400, 300, 2), requires_grad=True)
    y = getattr(F(torchlike), name)(x, 0.2, training=True)
    assert type(y.grad_fn).__name__ == "AddBackward0"
    v = np.asarray(y.detach()._data)
    assert abs(v.mean()) < 0.02 and abs(v.std() - 1) < 0.02
    alpha, xv = 1.7580993408473766, np.asarray(x.detach()._data)
    a = 1 / np.sqrt((alpha * alpha * 0.2 + 1) * 0.8)
    kept = np.isclose(v, xv * a + alpha * a * 0.2)
    assert (kept | np.isclose(v, alpha * a * 0.2 - alpha * a)).all()
    if feature:  # one mask per (sample, channel)
        assert (kept.all(2) | ~kept.any(2)).all()
    assert abs(kept.mean() - 0.8) < 0.01
    m = getattr(torchlike.nn, "FeatureAlphaDropout" if feature else "AlphaDropout")(0.2)
    assert m.eval()(x) is x
    check_raises(lambda lib, x: getattr(F(lib), name)(x, 1.5, True), rn(2, 2))


# ---- losses ------------------------------------------------------------------------------
RED = ["none", "mean", "sum"]
Y = np.array([1.0, -1.0, 1.0, -1.0])


@pytest.mark.parametrize("reduction", RED)
def test_pairwise_losses(reduction):
    check(lambda lib, a, p, n: F(lib).triplet_margin_loss(a, p, n, reduction=reduction),
          rn(4, 5), rn(4, 5), rn(4, 5))
    check(lambda lib, a, p, n: F(lib).triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True,
                                                          reduction=reduction),
          rn(4, 5, dtype=np.float32), rn(4, 5, dtype=np.float32), rn(4, 5, dtype=np.float32))
    check(lambda lib, a, b, y: F(lib).margin_ranking_loss(a, b, y, margin=0.3,
                                                          reduction=reduction),
          rn(4), rn(4), Y)
    check(lambda lib, a, y: F(lib).hinge_embedding_loss(a, y, margin=0.5, reduction=reduction),
          rn(4, 3), np.sign(rn(4, 3)))
    check(lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y, margin=0.1,
                                                            reduction=reduction),
          rn(4, 3), rn(4, 3), Y)
    check(lambda lib, a, b: F(lib).cosine_embedding_loss(a, b, lib.tensor(-1.0),
                                                         reduction=reduction), rn(3), rn(3))


@pytest.mark.parametrize("reduction", RED)
def test_margin_losses(reduction):
    t = np.array([0, 1, 4, 2])
    check(lambda lib, x, t: F(lib).multi_margin_loss(x, t, reduction=reduction), rn(4, 5), t)
    w = np.abs(rn(5))
    check(lambda lib, x, t: F(lib).multi_margin_loss(x, t, p=2, margin=0.7,
                                                     weight=lib.tensor(w), reduction=reduction),
          rn(4, 5), t)
    check(lambda lib, x, t: F(lib).multi_margin_loss(x, t, reduction=reduction), rn(5),
          np.array(3))
    tm = np.array([[0, 1, -1, 0, 0], [3, -1, 1, 2, 2], [4, 0, 1, 2, 3], [-1, 0, 0, 0, 0]])
    check(lambda lib, x, t: F(lib).multilabel_margin_loss(x, t, reduction=reduction),
          rn(4, 5), tm)
    check(lambda lib, x, t: F(lib).multilabel_margin_loss(x, t, reduction=reduction),
          rn(5, dtype=np.float32), tm[1])


@pytest.mark.parametrize("reduction", RED)
def test_nll_losses(reduction):
    target = np.abs(rn(4, 3)) * 3
    check(lambda lib, x, t: F(lib).poisson_nll_loss(x, t, reduction=reduction), rn(4, 3),
          target)
    check(lambda lib, x, t: F(lib).poisson_nll_loss(x, t, log_input=False, full=True,
                                                    reduction=reduction),
          np.abs(rn(4, 3)) + 0.1, target)
    check(lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v, reduction=reduction),
          rn(4, 3), rn(4, 3), np.abs(rn(4, 3)))
    check(lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v, full=True,
                                                        reduction=reduction),
          rn(4, 3), rn(4, 3), np.abs(rn(4)))
    check(lambda lib, x, t: F(lib).gaussian_nll_loss(x, t, 0.5, reduction=reduction),
          rn(4, 3), rn(4, 3))


@pytest.mark.parametrize("name,args", [
    ("TripletMarginLoss", (rn(3, 4), rn(3, 4), rn(3, 4))),
    ("MarginRankingLoss", (rn(4), rn(4), Y)),
    ("HingeEmbeddingLoss", (rn(4), Y)),
    ("CosineEmbeddingLoss", (rn(4, 2), rn(4, 2), Y)),
    ("MultiMarginLoss", (rn(4, 5), np.array([0, 1, 4, 2]))),
    ("MultiLabelMarginLoss", (rn(2, 3), np.array([[0, -1, 1], [2, 1, -1]]))),
    ("PoissonNLLLoss", (rn(4), np.abs(rn(4)))),
    ("GaussianNLLLoss", (rn(4), rn(4), np.abs(rn(4)))),
])
def test_loss_modules(name, args):
    check(lambda lib, *xs: getattr(lib.nn, name)(reduction="sum")(*xs), *args, numeric=False)
    assert repr(getattr(torch.nn, name)()) == repr(getattr(torchlike.nn, name)())


# ---- errors ------------------------------------------------------------------------------
ERRORS = [
    (lambda lib, x: F(lib).pixel_shuffle(x, 2), rn(4, 4)),
    (lambda lib, x: F(lib).pixel_shuffle(x, 3), rn(1, 8, 4, 4)),
    (lambda lib, x: F(lib).pixel_unshuffle(x, 2), rn(1, 8, 4, 5)),
    (lambda lib, x: F(lib).channel_shuffle(x, 4), rn(1, 6, 2, 2)),
    (lambda lib, x: F(lib).unfold(x, 2), rn(1, 2, 3, 3, 3)),
    (lambda lib, x: F(lib).unfold(x, 4), rn(1, 2, 3, 3)),
    (lambda lib, x: F(lib).fold(x, (3, 3), 2), rn(1, 7, 4)),
    (lambda lib, x: F(lib).fold(x, (3, 3), 2), rn(1, 8, 5)),
    (lambda lib, x: F(lib).fold(x, (3, 3), 2), rn(1, 1, 8, 4)),
    (lambda lib, x: F(lib).max_pool3d(x, 2), rn(2, 3, 3)),
    (lambda lib, x: F(lib).avg_pool3d(x, 2), rn(2, 3, 3)),
    (lambda lib, x: F(lib).local_response_norm(x, 2), rn(2, 3)),
    (lambda lib, x: F(lib).instance_norm(x), rn(2, 3, 1)),
    (lambda lib, x: lib.nn.InstanceNorm1d(3)(x), rn(2, 3, 4, 4)),
    (lambda lib, x: lib.nn.InstanceNorm1d(3, affine=True)(x), rn(2, 4, 4)),
    (lambda lib, x: lib.nn.Softmax2d()(x), rn(2, 3)),
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([1, 2, 3]), w, lib.tensor([1, 2])),
     rn(10, 3)),
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([1, 2, 3]), w, lib.tensor([0, 2]),
                                         mode="x"), rn(10, 3)),
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([1, 2, 3]), w), rn(10, 3)),
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([1, 2, 3]), w, lib.tensor([0, 2]),
                                         per_sample_weights=lib.ones(3, dtype=lib.float64)),
     rn(10, 3)),
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([[1, 2, 3]]), w, lib.tensor([0])),
     rn(10, 3)),
    (lambda lib, x, t: F(lib).multi_margin_loss(x, t), rn(3, 4), np.array([0, 1])),
    (lambda lib, x, t: F(lib).multi_margin_loss(x, t, weight=lib.ones(4, requires_grad=True)),
     rn(3, 4), np.array([0, 1, 1])),
    (lambda lib, x, t: F(lib).multi_margin_loss(x, t), rn(3, 4), np.array([0, 1, 5])),
    (lambda lib, x, t: F(lib).multilabel_margin_loss(x, t), rn(3, 4), np.array([0, 1, 2])),
    (lambda lib, x, t: F(lib).multilabel_margin_loss(x, t), rn(3, 4), np.full((3, 4), 5)),
    (lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y), rn(3, 4), rn(3, 4),
     np.ones((3, 1))),
    (lambda lib, a, b, y: F(lib).cosine_embedding_loss(a, b, y), rn(3), rn(3, 4), np.ones(3)),
    (lambda lib, a, p, n: F(lib).triplet_margin_loss(a, p, n), rn(3), rn(3, 4), rn(3, 4)),
    (lambda lib, a, p, n: F(lib).triplet_margin_loss(a, p, n, margin=0), rn(3), rn(3), rn(3)),
    (lambda lib, a, b, y: F(lib).margin_ranking_loss(a, b, y), rn(3), rn(3, 4), rn(3, 4)),
    (lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v), rn(3, 4), rn(3, 4), np.ones(2)),
    (lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v), rn(3, 4), rn(3, 4),
     -np.ones((3, 4))),
    (lambda lib, x, t: F(lib).poisson_nll_loss(x, t, reduction="x"), rn(3), rn(3)),
    (lambda lib, x, t: F(lib).hinge_embedding_loss(x, t, reduction="x"), rn(3), rn(3)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    fn, *inputs = ERRORS[i]
    want, got = check_raises(fn, *inputs)
    assert want == got
