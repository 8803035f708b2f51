"""Every torch.nn module class torchlike has, against real torch: one table of cases, each built
in both libraries after the same seed (so the seeded initial parameters must be equal), run on
the same inputs, compared: repr, state_dict before and after forward, outputs, the gradients of
the inputs and parameters after one backward, and buffers. Non-default constructor arguments
throughout, so that an argument torchlike ignores shows. Random modules in training mode under
the same seed (torchlike draws from torch's streams) and in eval mode; the containers,
Parameter, Buffer, a user-defined Module, RNNBase / RNNCellBase, gumbel_softmax and
native_channel_shuffle in their own tests."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _helper import assert_same, check, check_raises

import torchlike

R = np.random.default_rng(11)


def _f32(*shape, scale=2.0):
    return (R.standard_normal(shape) * scale).astype(np.float32)


# the few inputs every case draws from (each new shape costs compiles)
INPUTS = {
    "x3": _f32(2, 4, 6),
    "y3": _f32(2, 4, 6),
    "x4": _f32(2, 4, 5, 6),
    "cols": _f32(2, 24, 12),                                 # Unfold(**FOLD)'s output for x4
    "idx": np.array([[1, 2, 9, 2, 0], [4, 4, 7, 2, 3]]),
    "t3": np.array([[0, 1, 3, 2, 1, 0], [3, 3, 1, 0, 2, 1]]),  # classes over dim 1 of x3
    "p3": np.abs(_f32(2, 4, 6, scale=1.0)),
}
FOLD = dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 0), stride=(2, 1))


def _w(L, *values):
    return L.tensor(values, dtype=L.float32)


# name -> (constructor, input names, extra): extra "eval" runs the module in eval mode
CASES = {
    # ---- pooling
    "AdaptiveAvgPool1d": (lambda L: L.nn.AdaptiveAvgPool1d(4), ("x3",), {}),
    "AdaptiveAvgPool2d": (lambda L: L.nn.AdaptiveAvgPool2d((3, None)), ("x4",), {}),
    "AdaptiveMaxPool2d": (lambda L: L.nn.AdaptiveMaxPool2d((3, 4), return_indices=True),
                          ("x4",), {}),
    "AvgPool1d": (lambda L: L.nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True,
                                           count_include_pad=False), ("x3",), {}),
    "AvgPool2d": (lambda L: L.nn.AvgPool2d((3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True,
                                           count_include_pad=False), ("x4",), {}),
    "AvgPool2d_divisor": (lambda L: L.nn.AvgPool2d(2, padding=1, divisor_override=3), ("x4",),
                          {}),
    "MaxPool1d": (lambda L: L.nn.MaxPool1d(3, stride=2, padding=1, dilation=2,
                                           return_indices=True, ceil_mode=True), ("x3",), {}),
    "MaxPool2d": (lambda L: L.nn.MaxPool2d((3, 2), stride=(1, 2), padding=(1, 0),
                                           dilation=(1, 2), return_indices=True,
                                           ceil_mode=True), ("x4",), {}),
    # ---- padding
    "CircularPad1d": (lambda L: L.nn.CircularPad1d((1, 2)), ("x3",), {}),
    "CircularPad2d": (lambda L: L.nn.CircularPad2d((1, 2, 2, 0)), ("x4",), {}),
    "ConstantPad1d": (lambda L: L.nn.ConstantPad1d((1, 2), 0.5), ("x3",), {}),
    "ConstantPad2d": (lambda L: L.nn.ConstantPad2d((1, 0, 2, 1), -1.5), ("x4",), {}),
    "ConstantPad3d": (lambda L: L.nn.ConstantPad3d((1, 0, 1, 2, 0, 1), 2.0), ("x4",), {}),
    "ReflectionPad1d": (lambda L: L.nn.ReflectionPad1d((2, 1)), ("x3",), {}),
    "ReflectionPad2d": (lambda L: L.nn.ReflectionPad2d((1, 2, 2, 0)), ("x4",), {}),
    "ReplicationPad1d": (lambda L: L.nn.ReplicationPad1d((3, 1)), ("x3",), {}),
    "ReplicationPad2d": (lambda L: L.nn.ReplicationPad2d((0, 2, 1, 3)), ("x4",), {}),
    "ZeroPad1d": (lambda L: L.nn.ZeroPad1d((1, 2)), ("x3",), {}),
    "ZeroPad2d": (lambda L: L.nn.ZeroPad2d((2, 0, 1, 1)), ("x4",), {}),
    # ---- convolutions, fold / unfold
    "Conv2d": (lambda L: L.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2),
                                     dilation=(1, 2), groups=2), ("x4",), {}),
    "Conv2d_same_reflect": (lambda L: L.nn.Conv2d(4, 3, 3, padding="same",
                                                  padding_mode="reflect", bias=False),
                            ("x4",), {}),
    "ConvTranspose1d": (lambda L: L.nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1,
                                                       output_padding=1, groups=2),
                        ("x3",), {}),
    "ConvTranspose1d_dilation": (lambda L: L.nn.ConvTranspose1d(4, 2, 2, stride=3, dilation=2,
                                                                bias=False), ("x3",), {}),
    "Unfold": (lambda L: L.nn.Unfold(**FOLD), ("x4",), {}),
    "Fold": (lambda L: L.nn.Fold((5, 6), **FOLD), ("cols",), {}),
    # ---- linear, distances, identity
    "Bilinear": (lambda L: L.nn.Bilinear(6, 6, 3), ("x3", "y3"), {}),
    "Identity": (lambda L: L.nn.Identity(3, unused="argument"), ("x3",), {}),
    "CosineSimilarity": (lambda L: L.nn.CosineSimilarity(dim=1, eps=1e-4), ("x3", "y3"), {}),
    "PairwiseDistance": (lambda L: L.nn.PairwiseDistance(p=1.5, eps=1e-4, keepdim=True),
                         ("x3", "y3"), {}),
    # ---- normalization
    "GroupNorm": (lambda L: L.nn.GroupNorm(2, 4, eps=1e-3), ("x4",), {}),
    "GroupNorm_no_affine": (lambda L: L.nn.GroupNorm(4, 4, affine=False), ("x3",), {}),
    "RMSNorm": (lambda L: L.nn.RMSNorm(6, eps=1e-3), ("x3",), {}),
    "RMSNorm_no_affine": (lambda L: L.nn.RMSNorm((5, 6), elementwise_affine=False), ("x4",),
                          {}),
    # ---- reshaping, upsampling
    "PixelShuffle": (lambda L: L.nn.PixelShuffle(2), ("x4",), {}),
    "PixelUnshuffle": (lambda L: L.nn.PixelUnshuffle(2), ("x3",), {}),  # unbatched (2, 4, 6)
    "Unflatten": (lambda L: L.nn.Unflatten(1, (2, 2)), ("x3",), {}),
    "Upsample_size": (lambda L: L.nn.Upsample(size=(7, 9)), ("x4",), {}),
    "Upsample_bilinear_align": (lambda L: L.nn.Upsample(scale_factor=2, mode="bilinear",
                                                        align_corners=True), ("x4",), {}),
    "Upsample_bicubic": (lambda L: L.nn.Upsample(scale_factor=(1.5, 2.0), mode="bicubic"),
                         ("x4",), {}),
    "Upsample_bicubic_align": (lambda L: L.nn.Upsample(size=(4, 9), mode="bicubic",
                                                       align_corners=True), ("x4",), {}),
    "Upsample_linear_recompute": (lambda L: L.nn.Upsample(scale_factor=1.7, mode="linear",
                                                          recompute_scale_factor=True),
                                  ("x3",), {}),
    "Upsample_nearest_exact": (lambda L: L.nn.Upsample(scale_factor=1.5, mode="nearest-exact"),
                               ("x3",), {}),
    # ---- embedding, loss
    "Embedding": (lambda L: L.nn.Embedding(10, 6, padding_idx=2, max_norm=1.5, norm_type=1.0,
                                           scale_grad_by_freq=True), ("idx",), {}),
    "Embedding_negative_padding": (lambda L: L.nn.Embedding(10, 3, padding_idx=-1), ("idx",),
                                   {}),
    "CrossEntropyLoss": (lambda L: L.nn.CrossEntropyLoss(_w(L, 0.5, 1.0, 2.0, 0.2),
                                                         ignore_index=1, label_smoothing=0.2),
                         ("x3", "t3"), {}),
    "CrossEntropyLoss_probs": (lambda L: L.nn.CrossEntropyLoss(reduction="sum",
                                                               label_smoothing=0.1),
                               ("x3", "p3"), {}),
    "CrossEntropyLoss_none": (lambda L: L.nn.CrossEntropyLoss(reduction="none",
                                                              ignore_index=3), ("x3", "t3"), {}),
    # ---- activations
    "CELU": (lambda L: L.nn.CELU(alpha=0.7), ("x3",), {}),
    "GELU": (lambda L: L.nn.GELU(), ("x3",), {}),
    "GELU_tanh": (lambda L: L.nn.GELU(approximate="tanh"), ("x3",), {}),
    "GLU": (lambda L: L.nn.GLU(dim=1), ("x3",), {}),
    "Hardshrink": (lambda L: L.nn.Hardshrink(0.7), ("x3",), {}),
    "Hardsigmoid": (lambda L: L.nn.Hardsigmoid(), ("x3",), {}),
    "Hardswish": (lambda L: L.nn.Hardswish(), ("x3",), {}),
    "Hardtanh": (lambda L: L.nn.Hardtanh(-0.5, 1.5), ("x3",), {}),
    "LogSigmoid": (lambda L: L.nn.LogSigmoid(), ("x3",), {}),
    "Mish": (lambda L: L.nn.Mish(), ("x3",), {}),
    "ReLU6": (lambda L: L.nn.ReLU6(), ("x3",), {}),
    "SELU": (lambda L: L.nn.SELU(), ("x3",), {}),
    "SiLU": (lambda L: L.nn.SiLU(), ("x3",), {}),
    "Sigmoid": (lambda L: L.nn.Sigmoid(), ("x3",), {}),
    "Softmax": (lambda L: L.nn.Softmax(dim=1), ("x3",), {}),
    "Softmin": (lambda L: L.nn.Softmin(dim=-1), ("x3",), {}),
    "Softplus": (lambda L: L.nn.Softplus(beta=2.0, threshold=1.5), ("x3",), {}),
    "Softshrink": (lambda L: L.nn.Softshrink(0.8), ("x3",), {}),
    "Softsign": (lambda L: L.nn.Softsign(), ("x3",), {}),
    "Tanh": (lambda L: L.nn.Tanh(), ("x3",), {}),
    "Tanhshrink": (lambda L: L.nn.Tanhshrink(), ("x3",), {}),
    "Threshold": (lambda L: L.nn.Threshold(0.3, -2.0), ("x3",), {}),
    # ---- random modules: training mode under the same seed, and eval mode
    "Dropout": (lambda L: L.nn.Dropout(0.4), ("x3",), {}),
    "Dropout_eval": (lambda L: L.nn.Dropout(0.4), ("x3",), {"eval": True}),
    "Dropout2d": (lambda L: L.nn.Dropout2d(0.5), ("x4",), {}),
    "Dropout2d_eval": (lambda L: L.nn.Dropout2d(0.5), ("x4",), {"eval": True}),
    "AlphaDropout": (lambda L: L.nn.AlphaDropout(0.3), ("x3",), {}),
    "AlphaDropout_eval": (lambda L: L.nn.AlphaDropout(0.3), ("x3",), {"eval": True}),
    "FeatureAlphaDropout": (lambda L: L.nn.FeatureAlphaDropout(0.4), ("x4",), {}),
    "FeatureAlphaDropout_eval": (lambda L: L.nn.FeatureAlphaDropout(0.4), ("x4",),
                                 {"eval": True}),
}


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _run(L, make, arrays, extra):
    """Seed, build, (eval,) call on fresh inputs; returns (module, inputs, state_dict, output)."""
    L.manual_seed(0)
    m = make(L)
    if extra.get("eval"):
        m.eval()
    ins = [L.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    before = m.state_dict()
    return m, ins, before, m(*ins)


def _backward(L, outs):
    """One backward of every output that requires grad, with fixed cotangents."""
    rng = np.random.default_rng(1)
    outs = [o for o in outs if o.requires_grad]
    cts = [L.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype) for o in outs]
    if outs:
        L.autograd.backward(outs, cts)


def compare_modules(make, arrays, extra=None):
    """Build and run the module in both libraries, compare everything it gives."""
    extra = extra or {}
    tm, t_in, t_sd, t_out = _run(torch, make, arrays, extra)
    lm, l_in, l_sd, l_out = _run(torchlike, make, arrays, extra)
    assert repr(lm) == repr(tm)
    assert_same(t_sd, l_sd, "initial state_dict")
    assert_same(t_out, l_out, "output")
    _backward(torch, _flat(t_out))
    _backward(torchlike, _flat(l_out))
    assert_same([x.grad for x in t_in], [x.grad for x in l_in], "input grads", check_repr=False)
    assert_same({n: p.grad for n, p in tm.named_parameters()},
                {n: p.grad for n, p in lm.named_parameters()}, "parameter grads",
                check_repr=False)
    assert_same(dict(tm.named_buffers()), dict(lm.named_buffers()), "buffers")
    assert_same(tm.state_dict(), lm.state_dict(), "state_dict after forward")
    return tm, lm


@pytest.mark.parametrize("name", list(CASES))
def test_module(name):
    make, inputs, extra = CASES[name]
    compare_modules(make, [INPUTS[k] for k in inputs], extra)


# ---- containers, Parameter, Buffer, a user-defined Module ------------------------------------
def _both(fn):
    """fn(L) under each library after the same seed: {torch: ..., torchlike: ...}."""
    out = {}
    for L in (torch, torchlike):
        L.manual_seed(0)
        out[L] = fn(L)
    return out


def _layers(L):  # as in CASES (their compiled ops are reused), then a Linear
    return [L.nn.Hardtanh(-0.5, 1.5), L.nn.Softplus(beta=2.0, threshold=1.5), L.nn.Linear(6, 3)]


def test_module_list_and_dict():
    """Members reached by indexing and by iterating are called; their outputs compared."""
    def run(L):
        ml = L.nn.ModuleList(_layers(L))
        md = L.nn.ModuleDict({"lin": L.nn.Linear(6, 3), "act": L.nn.CELU(0.7)})
        x = L.tensor(INPUTS["x3"], requires_grad=True)
        outs = [ml[0](x), ml[-1](x), md["lin"](x), md["act"](x)]
        h = x
        for layer in ml:
            h = layer(h)
        outs.append(h)
        outs.extend(md[k](x) for k in md)
        _backward(L, outs)
        return list(md), outs, x.grad, [p.grad for p in ml.parameters()], repr(ml) + repr(md)
    res = _both(run)
    assert res[torchlike][4] == res[torch][4]
    assert_same(res[torch][:4], res[torchlike][:4])


def test_sequential():
    def run(L):
        seq = L.nn.Sequential(*_layers(L), L.nn.Unflatten(1, (2, 2)))
        return seq(L.tensor(INPUTS["x3"])), seq[1:](L.tensor(INPUTS["y3"]))
    res = _both(run)
    assert_same(res[torch], res[torchlike])


def test_parameter_list_and_dict():
    def run(L):
        pl = L.nn.ParameterList([L.nn.Parameter(L.randn(2, 3)), L.randn(3)])
        pl.append(L.nn.Parameter(L.randn(2), requires_grad=False))
        pd = L.nn.ParameterDict({"w": L.nn.Parameter(L.randn(3, 2)), "b": L.zeros(2)})
        items = [pl[0], pl[1], pl[-1], pd["w"], pd["b"], *pl, *(pd[k] for k in pd)]
        (pl[0] @ pd["w"] + pd["b"] + pl[1].sum()).sum().backward()
        return items, [p.grad for p in pl], repr(pl) + repr(pd)
    res = _both(run)
    assert res[torchlike][2] == res[torch][2]
    assert_same(res[torch][:2], res[torchlike][:2])


def test_parameter():
    def run(L):
        t = L.randn(2, 3)
        return [L.nn.Parameter(t), L.nn.Parameter(t, requires_grad=False), L.nn.Parameter(),
                L.nn.Parameter(L.arange(3.0).to(L.float64))]
    res = _both(run)
    assert_same(res[torch], res[torchlike])


def test_buffer():
    def run(L):
        b = L.nn.Buffer(L.randn(3))
        kept = L.nn.Buffer(L.ones(2, requires_grad=True))
        m = L.nn.Module()
        m.b = b
        m.hidden = L.nn.Buffer(L.zeros(2), persistent=False)
        return [b, kept, L.nn.Buffer()], m.state_dict(), dict(m.named_buffers())
    res = _both(run)
    assert_same(res[torch], res[torchlike])


def test_user_defined_module():
    """A network of the test's own: registration, state_dict, forward, gradients."""
    def make(L):
        class Net(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.norm = L.nn.GroupNorm(2, 4, eps=1e-3)
                self.scale = L.nn.Parameter(L.randn(4, 1, 1))
                self.register_buffer("shift", L.full((4, 1, 1), 0.25))

            def forward(self, x):
                return self.norm(x) * self.scale + self.shift
        return Net()
    compare_modules(make, [INPUTS["x4"]])


# ---- RNNBase / RNNCellBase: torch builds them, but they have no forward --------------------
def test_rnn_bases():
    def bases(L):
        return [L.nn.RNNBase("LSTM", 3, 4, num_layers=2, bidirectional=True, proj_size=2),
                L.nn.RNNBase("GRU", 3, 4, bias=False), L.nn.RNNCellBase(3, 4, True, 3)]
    res = _both(bases)
    for tm, lm in zip(res[torch], res[torchlike]):
        assert repr(lm) == repr(tm)
        assert_same(tm.state_dict(), lm.state_dict())
        assert_same(dict(tm.named_parameters()), dict(lm.named_parameters()))
    x = _f32(5, 3)
    for i in range(3):
        check_raises(lambda L, x: bases(L)[i](x), x)
    check_raises(lambda L: L.nn.RNNBase("LSTMX", 3, 4))


# ---- functional forms ----------------------------------------------------------------------
def test_native_channel_shuffle():
    """torch records a NotImplemented node: the output requires grad, backward raises."""
    def shuffled(L):
        return L.nn.functional.native_channel_shuffle(L.tensor(INPUTS["x4"],
                                                               requires_grad=True), 2)
    res = _both(shuffled)
    assert_same(res[torch], res[torchlike])
    check(lambda L, x: L.nn.functional.native_channel_shuffle(x, 2),
          INPUTS["t3"].reshape(1, 4, 3))
    for groups in (0, 3):
        check_raises(lambda L, x: L.nn.functional.native_channel_shuffle(x, groups),
                     INPUTS["x4"])

    def backward(L, x):
        x.requires_grad_(True)
        L.nn.functional.native_channel_shuffle(x, 2).sum().backward()
    check_raises(backward, INPUTS["x4"])


@pytest.mark.parametrize("kw", [dict(tau=-2.0, hard=True), dict(tau=3.0, dim=0)],
                         ids=["hard_negative_tau", "soft_dim0"])
def test_gumbel_softmax(kw):
    """torchlike's exponential noise is not torch's stream: logits a thousand apart make the
    sample independent of the noise, so it compares exactly, while tau's sign and dim still
    decide which entry wins."""
    logits = np.array([[(i + j) % 4 for j in range(4)] for i in range(3)], np.float32) * 1000
    check(lambda L, x: L.nn.functional.gumbel_softmax(x, **kw), logits, numeric=False)
