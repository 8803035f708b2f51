"""torch.nn.utils parametrizations and friends against real torch: parametrize
(register_parametrization, the generated Parametrized<Class>, original / original0..,
cached, remove_parametrizations, transfer_parametrizations_and_params), the
parametrizations orthogonal / weight_norm / spectral_norm, the old hook-based weight_norm /
spectral_norm, fusion and stateless.functional_call. Compared: forward outputs, the gradient
of every parameter, state_dict keys, values and metadata, the module's repr, the parameters
after SGD steps, removal, and errors. Modules are built with identical weights from numpy."""
from __future__ import annotations

import collections
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch
from _helper import assert_same, check, check_call, check_raises

import torchlike

LIBS = (torch, torchlike)
R = np.random.default_rng(7)
W44 = R.standard_normal((4, 4)).astype(np.float32)
W34 = R.standard_normal((3, 4)).astype(np.float32)
B4 = R.standard_normal(4).astype(np.float32)
X = R.standard_normal((3, 4)).astype(np.float32)
CONV_W = R.standard_normal((4, 2, 3, 3)).astype(np.float32)
CONV_X = R.standard_normal((2, 2, 5, 5)).astype(np.float32)
CONV_XT = R.standard_normal((2, 4, 2, 2)).astype(np.float32)  # into ConvTranspose2d(4, 2, 3)


def _caught(fn):
    """fn() and the warnings it raised, as (category name, message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, [(w.category.__name__, str(w.message)) for w in caught]


def _linear(L, w=W44, bias=True):
    m = L.nn.Linear(w.shape[1], w.shape[0], bias=bias)
    with L.no_grad():
        m.weight.copy_(L.tensor(w))
        if bias:
            m.bias.copy_(L.tensor(B4[:w.shape[0]]))
    return m


def _conv(L, cls="Conv2d"):
    """Conv2d(2, 4, 3) or ConvTranspose2d(4, 2, 3): both have a (4, 2, 3, 3) weight."""
    m = L.nn.Conv2d(2, 4, 3) if cls == "Conv2d" else L.nn.ConvTranspose2d(4, 2, 3)
    with L.no_grad():
        m.weight.copy_(L.tensor(CONV_W))
        m.bias.zero_()
    return m


def _step(L, m, x=X, steps=0):
    """The forward output and every parameter's gradient, then after `steps` SGD steps the
    parameters and output again (the hooks' effect on the updated parameters)."""
    out = [m(L.tensor(x))]
    out[0].sum().backward()
    out.append({n: p.grad for n, p in m.named_parameters()})
    if steps:
        opt = L.optim.SGD(m.parameters(), lr=0.1)
        for _ in range(steps):
            opt.step()
            opt.zero_grad()
            m(L.tensor(x)).square().sum().backward()
        out += [dict(m.named_parameters()), m(L.tensor(x))]
    return out


def _state(m):
    sd = m.state_dict()
    return [sd, dict(sd._metadata), repr(m), type(m).__name__]


def _symmetric(L):
    class Symmetric(L.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT
    return Symmetric()


def _halves(L):
    class Halves(L.nn.Module):  # right_inverse returns two tensors: original0, original1
        def forward(self, a, b):
            return a + b

        def right_inverse(self, W):
            return W / 2, W / 2
    return Halves()


# ---- parametrize ------------------------------------------------------------------------
def test_register_parametrization_class_state_forward_and_grads():
    def run(L):
        P = L.nn.utils.parametrize
        m = _linear(L)
        before = P.is_parametrized(m)
        P.register_parametrization(m, "weight", _symmetric(L))
        info = [before, P.is_parametrized(m), P.is_parametrized(m, "weight"),
                P.is_parametrized(m, "bias"), P.type_before_parametrizations(m).__name__,
                type(m).__mro__[1].__name__, type(m).__module__.replace("torchlike", "torch"),
                m.parametrizations.weight.original, m.weight]
        P.register_parametrization(m, "weight", _symmetric(L))  # a chain of two
        info += [m.parametrizations.weight.unsafe, len(m.parametrizations.weight)]
        with P.cached():
            info.append(m.weight is m.weight)
        info.append(m.weight is m.weight)
        return info + _state(m) + _step(L, m, steps=2)
    assert_same(run(torch), run(torchlike))


def test_right_inverse_of_several_tensors_and_assignment():
    def run(L):
        P = L.nn.utils.parametrize
        m = P.register_parametrization(_linear(L), "weight", _halves(L))
        pl = m.parametrizations.weight
        info = [pl.is_tensor, pl.ntensors, pl.original0, pl.original1, m.weight]
        m.weight = L.tensor(W44) * 4  # right_inverse into original0, original1
        info += [pl.original0, pl.original1, m.weight]
        return info + _state(m) + _step(L, m)
    assert_same(run(torch), run(torchlike))
    check_raises(lambda L: L.nn.utils.parametrize.remove_parametrizations(
        L.nn.utils.parametrize.register_parametrization(_linear(L), "weight", _halves(L)),
        "weight", leave_parametrized=False))


def test_remove_parametrizations():
    def run(L):
        P = L.nn.utils.parametrize
        out = []
        for leave in (True, False):
            m = P.register_parametrization(_linear(L), "weight", _symmetric(L))
            original = m.parametrizations.weight.original
            P.register_parametrization(m, "bias", _halves(L))
            P.remove_parametrizations(m, "bias")
            out += [type(m).__name__, type(m.bias).__name__]
            P.remove_parametrizations(m, "weight", leave_parametrized=leave)
            out += [m.weight is original, hasattr(m, "parametrizations")] + _state(m)
        m = P.register_parametrization(_linear(L), "weight", _halves(L))
        P.remove_parametrizations(m, "weight")  # several originals: a new Parameter
        return out + _state(m) + _step(L, m)
    assert_same(run(torch), run(torchlike))


def test_parametrize_errors():
    def changes_shape(L):
        class Rows(L.nn.Module):
            def forward(self, X):
                return X[:2]
        return Rows()

    def changes_dtype(L):
        class Double(L.nn.Module):
            def forward(self, X):
                return X.double()
        return Double()

    def inverse_gives(L, value):
        class Odd(L.nn.Module):
            def forward(self, X):
                return X

            def right_inverse(self, X):
                return value(L, X)
        return Odd()

    cases = [
        lambda L: L.nn.utils.parametrize.register_parametrization(
            _linear(L), "nope", _symmetric(L)),
        lambda L: L.nn.utils.parametrize.register_parametrization(
            _linear(L), "weight", changes_shape(L)),
        lambda L: L.nn.utils.parametrize.register_parametrization(
            _linear(L), "weight", changes_dtype(L)),
        lambda L: L.nn.utils.parametrize.register_parametrization(
            _linear(L), "weight", inverse_gives(L, lambda L, X: 3)),
        lambda L: L.nn.utils.parametrize.register_parametrization(
            _linear(L), "weight", inverse_gives(L, lambda L, X: (X, 3))),
        lambda L: L.nn.utils.parametrize.register_parametrization(
            _linear(L), "weight", inverse_gives(L, lambda L, X: X.double())),
        lambda L: L.nn.utils.parametrize.remove_parametrizations(_linear(L), "weight"),
        # a second parametrization must keep shape and dtype too
        lambda L: L.nn.utils.parametrize.register_parametrization(
            L.nn.utils.parametrize.register_parametrization(_linear(L), "weight",
                                                            _symmetric(L)),
            "weight", changes_shape(L)),
        # assigning needs every right_inverse
        lambda L: setattr(L.nn.utils.parametrize.register_parametrization(
            _linear(L), "weight", _symmetric(L)), "weight", L.zeros(4, 4)),
        lambda L: pickle.dumps(L.nn.utils.parametrize.register_parametrization(
            _linear(L), "weight", _symmetric(L))),
        # a Parameter cannot replace the property
        lambda L: setattr(L.nn.utils.parametrize.register_parametrization(
            _linear(L), "weight", _symmetric(L)), "weight", L.nn.Parameter(L.zeros(4, 4))),
    ]
    for case in cases:
        check_raises(case)


def test_unsafe_transfer_and_deepcopy():
    def run(L):
        P = L.nn.utils.parametrize

        class FirstRow(L.nn.Module):
            def forward(self, X):
                return X[:1]
        m = P.register_parametrization(_linear(L), "weight", FirstRow(), unsafe=True)
        out = [m.weight, m.parametrizations.weight.unsafe]
        src = P.register_parametrization(_linear(L), "weight", _halves(L))
        dst = P.transfer_parametrizations_and_params(src, _linear(L, bias=False))
        dst2 = P.transfer_parametrizations_and_params(
            P.register_parametrization(_linear(L), "weight", _symmetric(L)),
            L.nn.Linear(4, 4, bias=False), "weight")
        twin = copy.deepcopy(dst2)
        twin.parametrizations.weight.original.data.mul_(2)
        out += _state(dst) + _state(dst2) + _state(twin) + [dst2.weight]
        return out + [P.transfer_parametrizations_and_params(_linear(L), _linear(L)).weight]
    assert_same(run(torch), run(torchlike))


@pytest.mark.parametrize("parametrized", [False, True])
def test_parametrize_queries(parametrized):
    """is_parametrized and type_before_parametrizations, call by call (a bool and a class: the
    class compared by name)."""
    def module(L):
        m = _linear(L)
        if parametrized:
            L.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(L))
        return m
    mods = {L: module(L) for L in LIBS}
    for args in [(), ("weight",), ("bias",), ("nope",)]:
        check_call(lambda L: (L.nn.utils.parametrize.is_parametrized, mods[L], *args))
    for m in (mods, {L: L.nn.ReLU() for L in LIBS}):
        check_call(lambda L: (L.nn.utils.parametrize.type_before_parametrizations, m[L]),
                   view=lambda cls: (cls.__name__, cls.__module__.replace("torchlike", "torch")))


def test_transfer_parametrizations_and_params_forward():
    """The module it returns, called: the parametrization now computes its weight (and the
    gradient reaches the transferred original)."""
    def run(L):
        P = L.nn.utils.parametrize
        src = P.register_parametrization(_linear(L), "weight", _symmetric(L))
        dst = P.transfer_parametrizations_and_params(src, _linear(L, W44 * 2))
        out = dst(L.tensor(X))
        out.sum().backward()
        return out, dst.parametrizations.weight.original.grad, dst.bias.grad, type(dst).__name__
    assert_same(run(torch), run(torchlike))


def test_load_state_dict_into_parametrized_module():
    def run(L):
        P = L.nn.utils.parametrize
        src = P.register_parametrization(_linear(L), "weight", _symmetric(L))
        with L.no_grad():
            src.parametrizations.weight.original.mul_(3)
        dst = P.register_parametrization(_linear(L), "weight", _symmetric(L))
        keys = dst.load_state_dict(src.state_dict())
        return [repr(keys), dst.state_dict(), dst.weight]
    assert_same(run(torch), run(torchlike))


# ---- parametrizations -------------------------------------------------------------------
def test_weight_norm_parametrization():
    def run(L):
        W = L.nn.utils.parametrizations
        m = W.weight_norm(_linear(L))
        out = _state(m) + _step(L, m, steps=2)
        old = {"weight_g": L.ones(4, 1), "weight_v": L.tensor(W44), "bias": L.zeros(4)}
        keys = m.load_state_dict(old)  # the old weight_norm's keys load too
        out += [repr(keys)] + _state(m) + [m.weight]
        L.nn.utils.parametrize.remove_parametrizations(m, "weight")
        return out + _state(m)
    assert_same(run(torch), run(torchlike))


@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_weight_and_gradients(dim):
    """module.weight itself: torch._weight_norm's fused kernel for the first / last dim
    (WeightNormInterfaceBackward0), v * (g / norm) otherwise; gradients of g and v (float64;
    for dim 0 also numerically)."""
    def fn(L, g, v):
        m = L.nn.utils.parametrizations.weight_norm(_linear(L, W34.astype(np.float64)).double(),
                                                    dim=dim)
        sl = L.nn.utils.stateless
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return sl.functional_call(m, {"parametrizations.weight.original0": g,
                                          "parametrizations.weight.original1": v},
                                      (L.tensor(X).double(),)), m.weight
    shape = {0: (3, 1), 1: (1, 4), None: (), -2: (3, 1)}[dim]
    check(fn, np.asarray(R.random(shape) + 0.5), W34.astype(np.float64), numeric=dim == 0)


def test_spectral_norm_parametrization_power_iteration():
    def run(L):
        L.manual_seed(3)
        W = L.nn.utils.parametrizations
        m = W.spectral_norm(_linear(L, W34), n_power_iterations=2)
        sn = m.parametrizations.weight[0]
        out = _state(m) + [sn._u, sn._v, sn.n_power_iterations, sn.dim, sn.eps]
        out += _step(L, m, steps=2)  # training: each access runs power iteration
        m.eval()
        out += [m.weight, m.weight, sn._u, sn._v]
        c = W.spectral_norm(_conv(L))  # 4-D weight, dim 0
        ct = W.spectral_norm(_conv(L, "ConvTranspose2d"))  # dim 1
        b = W.spectral_norm(_linear(L), "bias")  # 1-D: normalize
        return out + _state(c) + [c.weight, ct.parametrizations.weight[0].dim, ct.weight,
                                  b.bias] + _step(L, c, CONV_X)
    assert_same(run(torch), run(torchlike))
    check_raises(lambda L: L.nn.utils.parametrizations.spectral_norm(_linear(L), dim=2))
    check_raises(lambda L: L.nn.utils.parametrizations.spectral_norm(
        _linear(L), n_power_iterations=0))
    check_raises(lambda L: L.nn.utils.parametrizations.spectral_norm(_linear(L), "nope"))


def test_orthogonal():
    """Each map (trivialized, and householder also not) on a wide weight, which is transposed
    inside and, for the trivialization's base, completed to a square matrix with torch.randn
    columns: weight, state, gradients, one SGD step, and assignment (right_inverse: a new
    base, or the Householder form of the matrix); and the default map of a square weight."""
    def run(L):
        L.manual_seed(5)
        Par = L.nn.utils.parametrizations
        out = []
        for kind, triv in [("matrix_exp", True), ("cayley", True), ("householder", True),
                           ("householder", False)]:
            m = Par.orthogonal(_linear(L, W34), orthogonal_map=kind, use_trivialization=triv)
            q = m.weight
            out += _state(m) + [q, q @ q.mT] + _step(L, m, steps=1)
            m.weight = L.tensor(W34)
            out += [m.weight, m.state_dict()]
        m = Par.orthogonal(_linear(L, W34))  # the default map: householder for a wide matrix
        out += [m.parametrizations.weight[0].orthogonal_map.name, m.weight]
        m = Par.orthogonal(_linear(L))  # matrix_exp for a square one
        with L.no_grad():
            m.weight = m.weight.clone()  # already orthogonal: kept as the base
        return out + [m.parametrizations.weight[0].orthogonal_map.name, m.state_dict()]
    assert_same(run(torch), run(torchlike))


def test_orthogonal_householder_gradients_and_errors():
    """The gradient through the product of the Householder reflectors (torchlike composes
    it), in float64 and also numerically; the orthogonal errors."""
    w = W34[:, :2].astype(np.float64)  # 3 x 2

    def fn(L, x, orig):
        L.manual_seed(0)  # the same random completion of the 3 x 2 weight on every call
        m = L.nn.Linear(2, 3).double()
        with L.no_grad():
            m.weight.copy_(L.tensor(w))
        L.nn.utils.parametrizations.orthogonal(m, orthogonal_map="householder")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return L.nn.utils.stateless.functional_call(
                m, {"parametrizations.weight.original": orig}, (x,))
    check(fn, X[:2, :2].astype(np.float64), w)
    check_raises(lambda L: L.nn.utils.parametrizations.orthogonal(_linear(L), "bias"))
    check_raises(lambda L: L.nn.utils.parametrizations.orthogonal(_linear(L), "nope"))
    check_raises(lambda L: L.nn.utils.parametrizations.orthogonal(_linear(L), "weight", "qr"))
    check_raises(lambda L: L.nn.utils.parametrizations.orthogonal(
        L.nn.Linear(2, 2, dtype=L.complex64), orthogonal_map="householder"))
    check_raises(lambda L: setattr(L.nn.utils.parametrizations.orthogonal(
        _linear(L), use_trivialization=False), "weight", L.eye(4)))
    check_raises(lambda L: setattr(L.nn.utils.parametrizations.orthogonal(_linear(L)),
                                   "weight", L.eye(3)))


# ---- the old hook-based weight_norm / spectral_norm ----------------------------------------
def test_old_weight_norm():
    def run(L):
        m, warned = _caught(lambda: L.nn.utils.weight_norm(_linear(L)))
        hooks = [type(h).__name__ for h in m._forward_pre_hooks.values()]
        out = [warned, hooks, m.weight, m.weight_g, m.weight_v] + _state(m)
        out += _step(L, m, steps=2)  # the hook recomputes weight from the updated g and v
        L.nn.utils.remove_weight_norm(m)
        out += _state(m) + [len(m._forward_pre_hooks)]
        c, _ = _caught(lambda: L.nn.utils.weight_norm(_conv(L), dim=None))
        d, _ = _caught(lambda: L.nn.utils.weight_norm(_conv(L), dim=1))
        return out + [c.weight, c.weight_g, d.weight, d.weight_g, d(L.tensor(CONV_X))]
    assert_same(run(torch), run(torchlike))

    def twice(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            L.nn.utils.weight_norm(L.nn.utils.weight_norm(_linear(L)))
    check_raises(twice)
    check_raises(lambda L: L.nn.utils.remove_weight_norm(_linear(L)))


def test_old_spectral_norm():
    def run(L):
        L.manual_seed(11)
        m = L.nn.utils.spectral_norm(_linear(L, W34), n_power_iterations=3)
        out = [m.weight, m.weight_u, m.weight_v] + _state(m)
        out += _step(L, m, steps=2)  # each training forward: 3 power-iteration steps
        m.eval()
        out += [m(L.tensor(X)), m.weight_u, m.weight_v]
        sd = m.state_dict()
        m2 = L.nn.utils.spectral_norm(_linear(L, W34))
        out += [repr(m2.load_state_dict(sd)), m2.weight_u, m2.weight_v]
        # a version-0 checkpoint: `weight` instead of `weight_v`, which the pre-hook solves for
        # (a square weight: W^T W is invertible, its pinverse well conditioned)
        sq = L.nn.utils.spectral_norm(_linear(L))
        sq(L.tensor(X))
        legacy = {k: v for k, v in sq.state_dict().items() if k != "weight_v"}
        legacy["weight"] = sq.weight.detach()
        legacy = collections.OrderedDict(legacy)
        legacy._metadata = {"": {"version": 1, "spectral_norm": {"weight.version": 0}}}
        m3 = L.nn.utils.spectral_norm(_linear(L)).eval()
        out += [repr(m3.load_state_dict(legacy)), m3.weight_v, m3(L.tensor(X))]
        L.nn.utils.remove_spectral_norm(m)
        out += _state(m) + [len(m._state_dict_hooks), len(m._load_state_dict_pre_hooks)]
        ct = L.nn.utils.spectral_norm(_conv(L, "ConvTranspose2d"))
        return out + [ct.weight_u, ct.weight_v, ct.weight, ct(L.tensor(CONV_XT))]
    assert_same(run(torch), run(torchlike))

    def removed_then_loaded(L):  # torch keeps the load pre-hook after removal
        m = L.nn.utils.remove_spectral_norm(L.nn.utils.spectral_norm(_linear(L)))
        m.load_state_dict(m.state_dict())
    check_raises(removed_then_loaded)
    check_raises(lambda L: L.nn.utils.spectral_norm(
        L.nn.utils.spectral_norm(_linear(L))))
    check_raises(lambda L: L.nn.utils.spectral_norm(_linear(L), n_power_iterations=0))
    check_raises(lambda L: L.nn.utils.spectral_norm(_linear(L, bias=False), "bias"))
    check_raises(lambda L: L.nn.utils.remove_spectral_norm(_linear(L)))


# ---- fusion -------------------------------------------------------------------------------
def _bn(L, kind, n=4):
    bn = getattr(L.nn, kind)(n)
    with L.no_grad():
        bn.weight.copy_(L.tensor(B4[:n]))
        bn.bias.copy_(L.tensor(B4[::-1][:n].copy()))
        bn.running_mean.copy_(L.tensor(B4[:n] * 0.5))
        bn.running_var.copy_(L.tensor(np.abs(B4[:n]) + 0.5))
    return bn.eval()


def test_fusion():
    def run(L):
        F = L.nn.utils
        conv, bn = _conv(L).eval(), _bn(L, "BatchNorm2d")
        fused = F.fuse_conv_bn_eval(conv, bn)
        x = L.tensor(CONV_X)
        out = [fused(x), bn(conv(x)), fused.weight, fused.bias, repr(fused)]
        convt, bn2 = _conv(L, "ConvTranspose2d").eval(), _bn(L, "BatchNorm2d", 2)
        fused_t = F.fuse_conv_bn_eval(convt, bn2, transpose=True)
        xt = L.tensor(CONV_XT)
        out += [fused_t(xt), bn2(convt(xt))]
        lin, bn1 = _linear(L).eval(), _bn(L, "BatchNorm1d")
        fl = F.fuse_linear_bn_eval(lin, bn1)
        out += [fl(L.tensor(X)), fl.weight, fl.bias]
        out += list(F.fuse_conv_bn_weights(conv.weight, None, bn.running_mean, bn.running_var,
                                           1e-3, None, None))
        out += list(F.fuse_linear_bn_weights(lin.weight, None, bn1.running_mean,
                                             bn1.running_var, 1e-5, bn1.weight, bn1.bias))
        return out
    assert_same(run(torch), run(torchlike))
    check_raises(lambda L: L.nn.utils.fuse_conv_bn_eval(_conv(L), _bn(L, "BatchNorm2d")))
    check_raises(lambda L: L.nn.utils.fuse_linear_bn_eval(_linear(L).eval(),
                                                          _bn(L, "BatchNorm1d", 3)))


# ---- stateless.functional_call ----------------------------------------------------------------
def test_functional_call():
    def run(L):
        S = L.nn.utils.stateless
        m = L.nn.Sequential(_linear(L), L.nn.BatchNorm1d(4), _linear(L))
        m[2].weight = m[0].weight  # tied
        w = L.tensor(W44[::-1].copy(), requires_grad=True)
        params = {"0.weight": w, "1.running_mean": L.ones(4)}
        y, warned = _caught(lambda: S.functional_call(m, params, L.tensor(X)))
        y.square().sum().backward()
        untied, _ = _caught(lambda: S.functional_call(m, {"0.weight": w}, (L.tensor(X),),
                                                      tie_weights=False))
        out = [y, w.grad, warned, untied, m[0].weight, m[2].weight, m[1].running_mean,
               params["1.running_mean"]]
        return out + [m(L.tensor(X)), m[1].num_batches_tracked]
    assert_same(run(torch), run(torchlike))

    def call(L, params, **kw):
        m = L.nn.Sequential(_linear(L), _linear(L))
        m[1].weight = m[0].weight
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return L.nn.utils.stateless.functional_call(m, params(L), L.tensor(X), **kw)
    check_raises(lambda L: call(L, lambda L: {"0.weight": L.ones(4, 4),
                                              "1.weight": L.zeros(4, 4)}))
    check_raises(lambda L: call(L, lambda L: {"0.weight": L.ones(4, 4), "extra": L.ones(1)},
                                strict=True))
    check_raises(lambda L: call(L, lambda L: {"0.bias": 3}))
