"""Autograd properties that need no oracle: analytic gradients, accumulation, graph structure,
grad modes, hooks, Function, higher order, and the eager and fused paths agreeing."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike as torch


def close(t, want, tol=1e-6):
    np.testing.assert_allclose(np.asarray(t.detach()._data), want, rtol=tol, atol=tol)


def test_analytic_gradients():
    x = torch.tensor([0.5, -1.5, 2.0], dtype=torch.float64, requires_grad=True)
    y = (x ** 3 + x.sin() * x.exp()).sum()
    y.backward()
    v = np.array([0.5, -1.5, 2.0])
    close(x.grad, 3 * v ** 2 + np.cos(v) * np.exp(v) + np.sin(v) * np.exp(v))


def test_gradient_accumulates_and_zeroes():
    x = torch.ones(3, requires_grad=True)
    for _ in range(3):
        (x * 2).sum().backward()
    close(x.grad, [6.0, 6.0, 6.0])
    x.grad.zero_()
    close(x.grad, [0.0, 0.0, 0.0])


def test_shared_subexpression_sums_contributions():
    x = torch.tensor(3.0, requires_grad=True)
    y = x * x
    z = y + y * y           # dz/dx = 2x + 4x^3
    z.backward()
    close(x.grad, 2 * 3 + 4 * 27)


def test_graph_metadata():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    assert y.grad_fn.next_functions[0][0].variable is x
    assert not y.is_leaf and x.is_leaf and y.requires_grad
    assert type(y.grad_fn).__name__ == "MulBackward0"
    assert repr(y.grad_fn).startswith("<MulBackward0 object at 0x")


def test_no_grad_records_nothing_and_restores():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        y = x * 2
        assert not torch.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad and torch.is_grad_enabled()


def test_hook_replaces_gradient_and_order():
    calls = []
    x = torch.ones(2, requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: calls.append("first") or g * 2)
    y.register_hook(lambda g: calls.append("second"))
    y.sum().backward()
    assert calls == ["first", "second"]
    close(x.grad, [6.0, 6.0])


def test_eager_and_fused_paths_agree():
    def grads(with_hook):
        x = torch.tensor([[0.3, -0.7], [1.1, 2.0]], requires_grad=True)
        h = (x @ x.t()).tanh()
        if with_hook:
            h.register_hook(lambda g: g)  # forces the node-by-node path
        (h.sum(0) * torch.tensor([1.0, -2.0])).pow(2).mean().backward()
        return np.asarray(x.grad._data)
    np.testing.assert_allclose(grads(True), grads(False), rtol=1e-6)


def test_custom_function_and_needs_input_grad():
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a)
            return a * 2 + b

        @staticmethod
        def backward(ctx, g):
            assert ctx.needs_input_grad == (True, False)
            return g * 2, None
    a = torch.ones(2, requires_grad=True)
    out = Double.apply(a, torch.ones(2))
    assert type(out.grad_fn).__name__ == "DoubleBackward"
    out.sum().backward()
    close(a.grad, [2.0, 2.0])


def test_third_order_gradient():
    x = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    y = x ** 4
    g1, = torch.autograd.grad(y, x, create_graph=True)
    g2, = torch.autograd.grad(g1, x, create_graph=True)
    g3, = torch.autograd.grad(g2, x)
    close(g1, 4 * 1.5 ** 3)
    close(g2, 12 * 1.5 ** 2)
    close(g3, 24 * 1.5)


def test_deep_chain_is_iterative():
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 0.0
    y.backward()
    close(x.grad, 1.0)


@pytest.mark.parametrize("retain", [True, False])
def test_retain_graph_controls_second_backward(retain):
    x = torch.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=retain)
    if retain:
        y.backward()
        close(x.grad, [4.0, 4.0])
    else:
        with pytest.raises(RuntimeError, match="second time"):
            y.backward()


def test_version_counter_counts_inplace_writes():
    x = torch.zeros(3)
    v = x[1:]
    assert x._version == 0
    x.add_(1)
    v.mul_(2)
    x[0] = 5.0
    assert x._version == v._version == 3
    close(x, [5.0, 2.0, 2.0])
