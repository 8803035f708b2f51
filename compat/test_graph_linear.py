"""F.linear / nn.Linear and torch.matmul record torch's whole autograd graph: at::linear and
at::matmul are composite in ATen (addmm / mm / mv / bmm with t, view, reshape, expand,
_unsafe_view, clone, squeeze, add_), and every node under the output, its name, its
next_functions (recursively down to AccumulateGrad) and which nodes are shared must be torch's.
Values and gradients are compared too."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import torchlike
from torchlike.autograd import cache_info, clear_cache
from _helper import graph

R = np.random.default_rng(0)
RTOL, ATOL = 1e-5, 1e-5


def _leaf(L, array, grad, layout):
    """A leaf with torch's layout `layout`: "c" contiguous, "t" its dimensions reversed (a
    permuted, non-contiguous leaf), "v" a non-contiguous view of a leaf (the graph then
    holds its view node)."""
    if layout == "c":
        return L.tensor(array, requires_grad=grad)
    rev = tuple(range(array.ndim - 1, -1, -1))
    base = L.tensor(np.ascontiguousarray(array.transpose(rev)), requires_grad=grad)
    if layout == "v":
        return base, base.permute(*rev)
    return base.detach().permute(*rev).requires_grad_(grad)


def _same(fn, specs):
    """Run fn(lib, *tensors) under torch and torchlike on leaves built from specs (shape,
    requires_grad, layout), or None (passed as None); compare graph, value and gradients.
    fn may return (output, [more leaves whose gradients to compare])."""
    arrays = [None if s is None else R.standard_normal(s[0]).astype("float32") for s in specs]
    cot, results = None, []
    for L in (torch, torchlike):
        leaves, args = [], []
        for a, s in zip(arrays, specs):
            if s is None:
                args.append(None)
                continue
            t = _leaf(L, a, s[1], s[2])
            leaf, arg = t if isinstance(t, tuple) else (t, t)
            leaves.append(leaf)
            args.append(arg)
        out = fn(L, *args)
        if isinstance(out, tuple):  # (output, more leaves: a module's parameters)
            out, more = out
            leaves += more
        nodes = graph([out])
        if cot is None:
            cot = R.standard_normal(tuple(out.shape)).astype("float32")
        if out.requires_grad:
            out.backward(L.tensor(cot))
        value = np.asarray(out.detach().tolist(), dtype="float32")
        grads = [None if t.grad is None else np.asarray(t.grad.tolist(), dtype="float32")
                 for t in leaves]
        results.append((nodes, value, grads))
    (want, w_val, w_grads), (got, g_val, g_grads) = results
    for i, (w, g) in enumerate(zip(want, got)):
        assert g == w, f"node {i - 1}: torchlike {g} != torch {w}\ntorch: {want}\ngot: {got}"
    assert len(got) == len(want), f"torchlike {got} != torch {want}"
    np.testing.assert_allclose(g_val, w_val, rtol=RTOL, atol=ATOL, err_msg="value")
    for i, (w, g) in enumerate(zip(w_grads, g_grads)):
        assert (w is None) == (g is None), f"leaf {i}: grad {g} != torch {w}"
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL, err_msg=f"grad of leaf {i}")
    return want


# ---- F.linear ----------------------------------------------------------------------------
def _linear(L, x, w, b=None):
    return L.nn.functional.linear(x, w, b)


LINEAR_CASES = [(shape, layout, bias, rg)
                for shape in [(4,), (2, 4), (3, 2, 4), (2, 3, 2, 4), (0, 2, 4)]
                for layout in (("c",) if len(shape) == 1 else ("c", "t", "v"))
                for bias in (True, False)
                for rg in itertools.product((True, False), repeat=3 if bias else 2)
                if any(rg) and (layout != "v" or rg[0])]


@pytest.mark.parametrize("shape,layout,bias,rg", LINEAR_CASES)
def test_linear_graph(shape, layout, bias, rg):
    specs = [(shape, rg[0], layout), ((5, 4), rg[1], "c"), ((5,), rg[2], "c") if bias else None]
    _same(_linear, specs)


def test_linear_graphs_are_torchs_composites():
    """The shapes of the graphs, spelled out (so a wrong oracle cannot pass silently)."""
    acc = "AccumulateGrad"
    g2 = _same(_linear, [((2, 4), True, "c"), ((5, 4), True, "c"), ((5,), True, "c")])
    assert [n[0] for n in g2[1:]] == ["AddmmBackward0", acc, acc, "TBackward0", acc]
    g3 = _same(_linear, [((3, 2, 4), True, "c"), ((5, 4), True, "c"), ((5,), True, "c")])
    assert [n[0] for n in g3[1:4]] == ["ViewBackward0", "AddmmBackward0", acc]
    g3 = _same(_linear, [((3, 2, 4), True, "t"), ((5, 4), True, "c"), ((5,), True, "c")])
    assert [n[0] for n in g3[1:4]] == ["AddBackward0", "UnsafeViewBackward0", acc]
    g3 = _same(_linear, [((3, 2, 4), True, "c"), ((5, 4), True, "c"), None])
    assert [n[0] for n in g3[1:4]] == ["UnsafeViewBackward0", "MmBackward0", "ViewBackward0"]


@pytest.mark.parametrize("bias_shape,x_shape", [((), (3, 2, 4)), ((), (2, 3, 2, 4)),
                                                ((), (2, 4)), ((2, 5), (3, 2, 4)),
                                                ((1, 5), (3, 2, 4)), ((1, 5), (4,)),
                                                ((1,), (3, 2, 4)), ((1, 1), (3, 2, 4))])
@pytest.mark.parametrize("layout", ["c", "t"])
def test_linear_bias_not_a_vector(bias_shape, x_shape, layout):
    """Only a bias of one dimension of size > 1 (or a 1-D one) takes the fused addmm path for
    contiguous N-D input; other biases are added after matmul."""
    _same(_linear, [(x_shape, True, layout), ((5, 4), True, "c"), (bias_shape, True, "c")])


@pytest.mark.parametrize("x_shape", [(4,), (2, 4), (3, 2, 4)])
def test_linear_vector_weight(x_shape):
    _same(_linear, [(x_shape, True, "c"), ((4,), True, "c"), None])


@pytest.mark.parametrize("x_shape", [(64, 8), (2, 3, 8), (8,)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layout", ["c", "t"])
def test_nn_linear_module(x_shape, bias, layout):
    def fn(L, x):
        m = L.nn.Linear(8, 6, bias=bias)
        with L.no_grad():
            m.weight.copy_(L.tensor(np.linspace(-1, 1, 48, dtype="float32").reshape(6, 8)))
            if bias:
                m.bias.copy_(L.tensor(np.linspace(-1, 1, 6, dtype="float32")))
        return m(x), list(m.parameters())
    _same(fn, [(x_shape, True, layout if len(x_shape) > 1 else "c")])


def test_linear_backward_stays_one_cached_program():
    """The composite's backward is one fused program per graph structure, compiled once: the
    first step's leaf nodes are new, later steps reuse them, and the order (the cache key)
    is the same."""
    x = torchlike.tensor(R.standard_normal((4, 3)).astype("float32"))
    m = torchlike.nn.Sequential(torchlike.nn.Linear(3, 4), torchlike.nn.ReLU(),
                                torchlike.nn.Linear(4, 2))
    clear_cache()
    for step in range(5):
        m.zero_grad()
        m(x).sum().backward()
    info = cache_info()
    assert info["compiles"] == 1 and info["misses"] == 1 and info["hits"] == 4


def test_linear_errors():
    for L in (torch, torchlike):
        with pytest.raises(RuntimeError, match="need to be at least 1D"):
            L.nn.functional.linear(L.tensor(1.0), L.ones(5, 1))
        with pytest.raises(RuntimeError, match=r"cannot be multiplied \(6x4 and 3x5\)"):
            L.nn.functional.linear(L.ones(3, 2, 4), L.ones(5, 3))
        with pytest.raises(RuntimeError, match="mat2 must be a matrix"):
            L.nn.functional.linear(L.ones(2, 4), L.ones(4), L.ones(()))
        with pytest.raises(RuntimeError, match="same dtype"):
            L.nn.functional.linear(L.ones(4), L.ones(5, 4), L.ones(5, dtype=L.float64))


# ---- torch.matmul over rank combinations -------------------------------------------------
SHAPES = {1: [(4,)], 2: [(3, 4)], 3: [(2, 3, 4), (1, 3, 4)], 4: [(2, 2, 3, 4), (2, 1, 3, 4)]}


def _other(shape):
    return (4,) if len(shape) == 1 else shape[:-2] + (4, 5)


MATMUL_CASES = [(sa, _other(sb), la, lb, rg)
                for da, db in itertools.product(range(1, 5), repeat=2)
                for sa in SHAPES[da] for sb in SHAPES[db]
                for la in (("c",) if da == 1 else ("c", "t"))
                for lb in (("c",) if db == 1 else ("c", "t"))
                for rg in ((True, True), (True, False), (False, True))]


@pytest.mark.parametrize("sa,sb,la,lb,rg", MATMUL_CASES)
def test_matmul_graph(sa, sb, la, lb, rg):
    _same(lambda L, a, b: L.matmul(a, b), [(sa, rg[0], la), (sb, rg[1], lb)])


@pytest.mark.parametrize("sa,sb", [((3, 1, 3, 4), (2, 4, 5)), ((2, 3, 4), (5, 1, 4, 2)),
                                   ((1, 3, 4), (3, 4, 5)), ((2, 3, 4), (1, 4, 5)),
                                   ((0, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 1)),
                                   ((2, 1, 4), (4, 5))])
@pytest.mark.parametrize("rg", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("la", ["c", "t", "v"])
def test_matmul_broadcast_and_views(sa, sb, rg, la):
    if la == "v" and not rg[0]:
        pytest.skip("a view of a leaf that does not require grad has no graph")
    _same(lambda L, a, b: a @ b, [(sa, rg[0], la), (sb, rg[1], "c")])


def test_matmul_graphs_are_torchs_composites():
    acc = "AccumulateGrad"
    g = _same(lambda L, a, b: L.matmul(a, b), [((2, 3, 4), True, "c"), ((4, 5), True, "c")])
    assert [n[0] for n in g[1:]] == ["UnsafeViewBackward0", "MmBackward0", "ViewBackward0",
                                     acc, acc]
    g = _same(lambda L, a, b: L.matmul(a, b), [((2, 2, 3, 4), True, "c"),
                                               ((2, 1, 4, 5), True, "c")])
    assert [n[0] for n in g[1:4]] == ["UnsafeViewBackward0", "BmmBackward0", "ViewBackward0"]
    g = _same(lambda L, a, b: L.matmul(a, b), [((4,), True, "c"), ((4, 5), True, "c")])
    assert [n[0] for n in g[1:4]] == ["SqueezeBackward4", "MmBackward0", "UnsqueezeBackward0"]
