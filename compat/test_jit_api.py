"""torch.jit's smaller forms, compared with torch: annotate, the export/unused decorators (what
they record on a function, their errors), is_scripting/is_tracing outside TorchScript, a
scripted or traced module's outputs, optimize_for_inference (a frozen copy in eval mode, its
deprecation warnings, its error for a module never scripted).

Not compared: is_scripting()/is_tracing() *inside* a scripted or traced function say True in
torch and False in torchlike, which runs the function as Python (see torchlike/jit.py)."""
import warnings
from typing import Dict, List

import numpy as np
import pytest
import torch
from _helper import assert_same, check_call, check_raises

import torchlike

X = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
W = np.linspace(0.5, -0.5, 12, dtype=np.float32).reshape(4, 3)


def _linear(L):
    lin = L.nn.Linear(3, 4)
    with L.no_grad():
        lin.weight.copy_(L.tensor(W))
        lin.bias.fill_(0.25)
    return lin


def _warned(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, sorted({(w.category.__name__, str(w.message)) for w in caught})


def test_annotate_returns_the_value():
    assert_same(torch.jit.annotate(torch.Tensor, torch.tensor(X)),
                torchlike.jit.annotate(torchlike.Tensor, torchlike.tensor(X)))
    assert_same(torch.jit.annotate(List[int], []), torchlike.jit.annotate(List[int], []))
    assert_same(torch.jit.annotate(Dict[str, int], {"a": 1}),
                torchlike.jit.annotate(Dict[str, int], {"a": 1}))


@pytest.mark.parametrize("name", ["export", "unused"])
def test_decorators_mark_the_function(name):
    def run(L):
        def fn(x):
            return x + 1
        prop = property(lambda self: 1, lambda self, v: None)
        out = [getattr(L.jit, name)(fn) is fn, fn._torchscript_modifier]
        if name == "unused":
            out += [L.jit.unused(prop) is prop, prop.fget._torchscript_modifier,
                    prop.fset._torchscript_modifier]
        return out
    assert_same(run(torch), run(torchlike))
    check_call(lambda L: (getattr(L.jit, name), 3))  # nowhere to record it


def test_decorated_methods_run_as_python():
    def run(L):
        class Net(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = _linear(L)

            def forward(self, x):
                return self.helper(x) * 2

            @L.jit.export
            def helper(self, x):
                return self.lin(x).relu()

            @L.jit.unused
            def debug(self, x):
                return x
        net = Net()
        return net(L.tensor(X)), net.helper(L.tensor(X)), net.debug(L.tensor(X))
    assert_same(run(torch), run(torchlike))


@pytest.mark.parametrize("name", ["is_scripting", "is_tracing"])
def test_outside_torchscript(name):
    check_call(lambda L: (getattr(L.jit, name),))
    check_call(lambda L: (getattr(L.jit, name), 1))


def test_scripted_and_traced_module_outputs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for make in (lambda L, m: L.jit.script(m),
                     lambda L, m: L.jit.trace_module(m, {"forward": L.tensor(X)}),
                     lambda L, m: L.jit.trace_module(m, {"forward": (L.tensor(X),)})):
            mods = [make(L, _linear(L)) for L in (torch, torchlike)]
            xs = [torch.tensor(X, requires_grad=True), torchlike.tensor(X, requires_grad=True)]
            outs = [m(x) for m, x in zip(mods, xs)]
            assert_same(outs[0], outs[1])
            for o in outs:
                o.sum().backward()
            assert_same(xs[0].grad, xs[1].grad)
            assert_same(mods[0].weight.grad, mods[1].weight.grad)


def test_trace_module_kwargs_and_warning():
    def run(L):
        m = _linear(L)
        traced, warned = _warned(lambda: L.jit.trace_module(
            m, {"forward": {"input": L.tensor(X)}}, example_inputs_is_kwarg=True))
        return traced(L.tensor(X)), warned
    want, got = run(torch), run(torchlike)
    assert_same(want, got)


TRACE_MODULE_ERRORS = {
    "not-a-dict": lambda L: L.jit.trace_module(_linear(L), L.tensor(X)),
    "no-method": lambda L: L.jit.trace_module(_linear(L), {"nope": L.tensor(X)}),
    "not-a-module": lambda L: L.jit.trace_module(lambda t: t, {"forward": L.tensor(X)}),
    "bad-kwarg": lambda L: L.jit.trace_module(_linear(L), {"forward": {"x": L.tensor(X)}},
                                              example_inputs_is_kwarg=True),
}


@pytest.mark.parametrize("case", list(TRACE_MODULE_ERRORS))
def test_trace_module_errors(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        check_raises(TRACE_MODULE_ERRORS[case])


def test_optimize_for_inference():
    """A frozen copy in eval mode: the same outputs, no parameters of its own, gradients to the
    input only; the scripted module it was given is left in eval mode. (torch's optimized graph
    computes linear as matmul then add: its output's grad_fn is AddBackward0, torchlike's
    AddmmBackward0, so that output is compared detached.)"""
    def run(L):
        lin = _linear(L)
        scripted, _ = _warned(lambda: L.jit.script(lin))
        opt, warned = _warned(lambda: L.jit.optimize_for_inference(scripted))
        x = L.tensor(X, requires_grad=True)
        out = opt(x)
        out.sum().backward()
        return (opt(L.tensor(X)), out.detach(), x.grad, lin.weight.grad,
                len(list(opt.parameters())), scripted.training, warned)
    want, got = run(torch), run(torchlike)
    assert_same(want, got)


def test_optimize_for_inference_and_freeze_want_a_scripted_module():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        check_raises(lambda L: L.jit.optimize_for_inference(_linear(L)))
        check_raises(lambda L: L.jit.freeze(_linear(L).eval()))
