"""Gradients built with create_graph=True against real torch, for special functions, the
pointwise leftovers (frexp, ldexp, nextafter), the norms and cdist: the forward's graph, the
gradients' graphs (node names four levels deep), their requires_grad flags and values, and
the second-order gradients of sum(g * g), for the loss sum((out + 0.3) ** 3); third-order
gradients through the nodes gradients are made of. Where torch cannot differentiate a
gradient again (cdist's _cdist_backward), torchlike raises the same error."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _helper import assert_same_tensor, check_raises

import torchlike

R = np.random.default_rng(11)
X = R.uniform(-0.9, 0.9, (2, 3)).astype(np.float32)
Y = R.uniform(0.2, 0.9, (2, 3)).astype(np.float32)
Z = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], np.float32)  # zeros some elements of x
N = R.uniform(-1.5, 1.5, (2, 4, 3)).astype(np.float32)  # (batch, channels, length)
W = R.uniform(0.5, 1.5, (4,)).astype(np.float32)
B = R.uniform(-1, 1, (4,)).astype(np.float32)
P = R.uniform(-1.5, 1.5, (2, 3, 4)).astype(np.float32)  # points: two batches of three
Q = R.uniform(-1.5, 1.5, (27, 4)).astype(np.float32)  # 27 rows: cdist by matrix products


def _stats(L):
    """batch_norm's running statistics (fresh for each call: training updates them)."""
    return L.tensor(W - 1), L.tensor(W + 0.5)


def F(L):
    return L.nn.functional


# name -> (output(L, x, y, n, w, b, p, q), names of the inputs differentiated)
CASES = {
    # special functions (formulas_special.py)
    "polygamma": (lambda L, x, y, n, w, b, p, q: L.polygamma(1, y) + L.polygamma(2, y), "y"),
    "mvlgamma": (lambda L, x, y, n, w, b, p, q: L.mvlgamma(y + 2, 3), "y"),
    "i0": (lambda L, x, y, n, w, b, p, q: x.i0(), "x"),
    "i0e": (lambda L, x, y, n, w, b, p, q: L.special.i0e(x), "x"),
    "i1": (lambda L, x, y, n, w, b, p, q: L.special.i1(x), "x"),
    "i1_zeros": (lambda L, x, y, n, w, b, p, q: L.special.i1(x * L.tensor(Z)), "x"),
    "i1e_zeros": (lambda L, x, y, n, w, b, p, q: L.special.i1e(x * L.tensor(Z)), "x"),
    "ndtr": (lambda L, x, y, n, w, b, p, q: L.special.ndtr(x), "x"),
    "ndtri": (lambda L, x, y, n, w, b, p, q: L.special.ndtri(y), "y"),
    "log_ndtr": (lambda L, x, y, n, w, b, p, q: L.special.log_ndtr(x), "x"),
    "entr": (lambda L, x, y, n, w, b, p, q: L.special.entr(y), "y"),
    "erfcx": (lambda L, x, y, n, w, b, p, q: L.special.erfcx(x), "x"),
    "xlog1py": (lambda L, x, y, n, w, b, p, q: L.special.xlog1py(x * L.tensor(Z), y - 1.5),
                "xy"),
    "xlog1py_other_number": (lambda L, x, y, n, w, b, p, q: L.special.xlog1py(x, 2.0), "x"),
    "xlog1py_other_below_minus_one": (lambda L, x, y, n, w, b, p, q: L.special.xlog1py(
        x * L.tensor(Z), -2.0), "x"),
    "xlog1py_self_number": (lambda L, x, y, n, w, b, p, q: L.special.xlog1py(2.0, y), "y"),
    "zeta": (lambda L, x, y, n, w, b, p, q: L.special.zeta(y.detach() + 2, y), "y"),
    "zeta_self_number": (lambda L, x, y, n, w, b, p, q: L.special.zeta(3.0, y), "y"),
    "igamma_igammac": (lambda L, x, y, n, w, b, p, q: L.igamma(y.detach() + 1, y)
                       * L.igammac(y.detach() + 0.5, y), "y"),
    # pointwise leftovers
    "frexp": (lambda L, x, y, n, w, b, p, q: x.frexp()[0] * 3, "x"),
    "ldexp_int": (lambda L, x, y, n, w, b, p, q: L.ldexp(x, L.tensor([1, 2, -3])), "x"),
    "ldexp_float": (lambda L, x, y, n, w, b, p, q: L.ldexp(x, y), "xy"),
    "nextafter": (lambda L, x, y, n, w, b, p, q: L.nextafter(x, L.where(x > 0, x, y)), "xy"),
    # norms (formulas_nn.py; rms_norm is composed of ops, as in torch)
    "group_norm": (lambda L, x, y, n, w, b, p, q: F(L).group_norm(n, 2, w, b), "nwb"),
    "group_norm_plain": (lambda L, x, y, n, w, b, p, q: F(L).group_norm(n[..., None], 2), "n"),
    "rms_norm": (lambda L, x, y, n, w, b, p, q: F(L).rms_norm(n, (3,), y[0]), "ny"),
    "rms_norm_plain": (lambda L, x, y, n, w, b, p, q: F(L).rms_norm(n, (4, 3), eps=0.1), "n"),
    "layer_norm_weight": (lambda L, x, y, n, w, b, p, q: F(L).layer_norm(n, (3,), y[0]), "ny"),
    "batch_norm": (lambda L, x, y, n, w, b, p, q: F(L).batch_norm(n, None, None, w, b, True),
                   "nwb"),
    "batch_norm_plain": (lambda L, x, y, n, w, b, p, q: F(L).batch_norm(n, None, None,
                                                                         training=True), "n"),
    "batch_norm_running": (lambda L, x, y, n, w, b, p, q: F(L).batch_norm(
        n, *_stats(L), w, None, True), "nw"),
    "batch_norm_eval": (lambda L, x, y, n, w, b, p, q: F(L).batch_norm(n, *_stats(L), w, b),
                        "nwb"),
    "instance_norm": (lambda L, x, y, n, w, b, p, q: F(L).instance_norm(n, weight=w, bias=b),
                      "nwb"),
    "local_response_norm": (lambda L, x, y, n, w, b, p, q: F(L).local_response_norm(n, 2), "n"),
    # cdist by matrix products (p = 2, more than 25 rows): torch's _euclidean_dist
    "cdist_mm": (lambda L, x, y, n, w, b, p, q: L.cdist(q, p[0] * 0.5), "qp"),
    "cdist_mm_batch": (lambda L, x, y, n, w, b, p, q: L.cdist(p, q, compute_mode=(
        "use_mm_for_euclid_dist")), "pq"),
}
ALL = {"x": X, "y": Y, "n": N, "w": W, "b": B, "p": P, "q": Q}


def _tree(fn, depth=4):
    if fn is None:
        return None
    return (type(fn).__name__,
            [_tree(n, depth - 1) for n, _ in fn.next_functions] if depth > 1 else [])


def _run(L, f, names, second=True):
    ins = {k: L.tensor(a, requires_grad=True) for k, a in ALL.items()}
    wrt = [ins[k] for k in names]
    out = f(L, *ins.values())
    # a cube: a normalized output's sum of squares is about constant (its gradient noise)
    grads = L.autograd.grad(((out + 0.3) ** 3).sum(), wrt, create_graph=True)
    found = ([_tree(out.grad_fn, 3)] + [_tree(g.grad_fn) for g in grads],
             [g.requires_grad for g in grads], grads)
    if not second:
        return found, grads, wrt
    total = sum((g * g).sum() for g in grads if g.requires_grad)
    return found + (L.autograd.grad(total, wrt, allow_unused=True),)


def _compare(want, got):
    assert got[0] == want[0], "graphs of the output and of the gradients"
    assert got[1] == want[1], "requires_grad of the gradients"
    for w, g in zip(want[2], got[2]):
        assert_same_tensor(w, g, "gradient", check_repr=False)
    for w, g in zip(want[3], got[3]):
        assert (w is None) == (g is None)
        if w is not None:
            assert_same_tensor(w, g, "second-order gradient", check_repr=False)


@pytest.mark.parametrize("case", list(CASES))
def test_gradient_graphs_and_values(case):
    f, names = CASES[case]
    _compare(_run(torch, f, names), _run(torchlike, f, names))


# cdist by its own kernel: the gradient is a CdistBackwardBackward0 node over (grad, x1, x2,
# result) (for x2 the grad and result transposed), which torch cannot differentiate
CDIST = {
    "p2": lambda L, a, b: L.cdist(a, b),
    "p1": lambda L, a, b: L.cdist(a, b, p=1),
    "p3": lambda L, a, b: L.cdist(a, b, p=3),
    "p_inf": lambda L, a, b: L.cdist(a, b, p=float("inf")),
    "p0_5": lambda L, a, b: L.cdist(a, b, p=0.5),
    "batch_broadcast": lambda L, a, b: L.cdist(a[None].expand(2, 3, 4) * 1, b.expand(2, 2, 4)
                                              * 1, p=1.5),
}


def _cdist_run(L, case, second):
    a, b = (L.tensor(v, requires_grad=True) for v in (P[0], P[1, :2]))
    out = CDIST[case](L, a, b)
    grads = L.autograd.grad((out * out).sum(), [a, b], create_graph=True)
    if second:
        (grads[0] * grads[0] + grads[1].sum()).sum().backward()
    return [_tree(out.grad_fn, 3)] + [_tree(g.grad_fn) for g in grads], grads


@pytest.mark.parametrize("case", list(CDIST))
def test_cdist_gradient_has_no_derivative_as_in_torch(case):
    want, got = _cdist_run(torch, case, False), _cdist_run(torchlike, case, False)
    assert got[0] == want[0], "graphs of the output and of the gradients"
    for w, g in zip(want[1], got[1]):
        assert_same_tensor(w, g, "gradient", check_repr=False)
    msgs = check_raises(lambda L: _cdist_run(L, case, True))
    assert "_cdist_backward" in msgs[1]


# output(L, x) entering linearly (times a second input v): where a saved result gets gradients
# from two paths, torch adds them before the forward's node, while torchlike's formulas run
# the forward again for each (so the graphs of deeper gradients would differ)
THIRD = {
    "sigmoid_backward": lambda L, x: L.sigmoid(x),
    "tanh_backward": lambda L, x: L.tanh(x),
    "mean_div_scalar": lambda L, x: x.mean(1, keepdim=True) ** 3,
    "erfcx_sub_scalar": lambda L, x: L.special.erfcx(x),
    "ndtri_mul_div_scalar": lambda L, x: L.special.ndtri(x.abs()),
    "entr_add_scalar": lambda L, x: L.special.entr(x.abs()),
}


@pytest.mark.parametrize("case", list(THIRD))
def test_third_order(case):
    """The formulas of the nodes that gradients are made of (sigmoid_backward and
    tanh_backward, in grad_output and in the saved result; Tensor-Scalar arithmetic): the
    graphs of second-order gradients made with create_graph and the values to the third
    order."""
    def run(L):
        x, v = L.tensor(X, requires_grad=True), L.tensor(Y, requires_grad=True)
        g, = L.autograd.grad((THIRD[case](L, x) * v).sum(), x, create_graph=True)
        g2 = L.autograd.grad(g.pow(2).sum(), [x, v], create_graph=True)
        g3 = L.autograd.grad(sum(t.pow(2).sum() for t in g2), [x, v])
        return [_tree(t.grad_fn, 8) for t in g2], g2 + g3
    want, got = run(torch), run(torchlike)
    assert got[0] == want[0], "graphs of the second-order gradients"
    for w, g in zip(want[1], got[1]):
        assert_same_tensor(w, g, "high-order gradient", check_repr=False)


@pytest.mark.parametrize("fn", [
    lambda L, y: L.special.zeta(y, 2.0),  # torch differentiates zeta in q only
    lambda L, y: L.igamma(y, y.detach() + 1),  # and igamma / igammac in other only
])
def test_first_derivative_not_implemented_as_in_torch(fn):
    def run(L):
        y = L.tensor(Y, requires_grad=True)
        L.autograd.grad(fn(L, y).sum(), y, create_graph=True)
    check_raises(run)


def test_group_norm_bias_without_weight_raises_as_in_torch():
    """torch's formula reshapes the bias's gradient to the (undefined) weight's sizes."""
    def run(L):
        n, b = L.tensor(N, requires_grad=True), L.tensor(B, requires_grad=True)
        L.autograd.grad(F(L).group_norm(n, 2, None, b).pow(3).sum(), [n, b], create_graph=True)
    check_raises(run)


def test_rms_norm_half_eps_as_torch():
    """torch's rms_norm: the default eps is float32's, rounded to the input's dtype."""
    a = np.array([[1e-3, 2e-3, -1e-3]], np.float16)
    for grad in (False, True):
        want = torch.nn.functional.rms_norm(torch.tensor(a, requires_grad=grad), (3,))
        got = torchlike.nn.functional.rms_norm(torchlike.tensor(a, requires_grad=grad), (3,))
        assert_same_tensor(want, got, "rms_norm", check_repr=False)
