"""torch.jit.script / trace / freeze: torchlike runs the module or function eagerly; what a
program sees (results, gradients, the deprecation warnings, trace's argument errors) is torch's."""
import warnings

import numpy as np
import torch
from _helper import assert_same, check_raises

import torchlike

X = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
W = np.linspace(0.5, -0.5, 12, dtype=np.float32).reshape(4, 3)


def _warnings(caught):
    return sorted({(w.category.__name__, str(w.message)) for w in caught})


def _program(L):
    """A scripted function, a traced function and module, a frozen scripted module."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        @L.jit.script
        def scaled(x, k: float):
            return x * k + 1

        lin = L.nn.Linear(3, 4)
        with L.no_grad():
            lin.weight.copy_(L.tensor(W))
            lin.bias.fill_(0.25)
        x = L.tensor(X, requires_grad=True)
        traced = L.jit.trace(lambda t: (t * 2).relu(), L.tensor(X))
        traced_module = L.jit.trace(lin, (L.tensor(X),))
        frozen = L.jit.freeze(L.jit.script(lin).eval())
        out = scaled(x, 3.0) + traced(x) + traced_module(x).sum(1, keepdim=True) + frozen(x)[:, :3]
        out.sum().backward()
    return (out, x.grad, lin.weight.grad, len(list(frozen.parameters())), _warnings(caught))


def test_script_trace_freeze_run_as_torch():
    assert_same(_program(torch), _program(torchlike))


def test_argument_errors():
    check_raises(lambda L: L.jit.trace(lambda t: t, 3))
    check_raises(lambda L: L.jit.trace(lambda t: t))
    check_raises(lambda L: L.jit.freeze(L.jit.script(L.nn.Linear(2, 2))))  # training mode
