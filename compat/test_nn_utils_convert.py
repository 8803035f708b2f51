"""nn.utils.vector_to_parameters against real torch: each parameter's data becomes a view of
the vector's storage (writes either way show in the other), version counters, leaves,
requires_grad, views of a parameter made before, training, copies, and its errors."""
from __future__ import annotations

import copy
import io

import numpy as np
import pytest
import torch
from _helper import assert_same, check_raises

import torchlike

VALUES = np.linspace(-1.0, 1.0, 13).astype(np.float32)


def _model(lib):
    m = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Linear(3, 1))
    with lib.no_grad():
        for p in m.parameters():
            p.fill_(0.5)
    return m


def _both(fn):
    assert_same(fn(torch), fn(torchlike))


def test_writes_are_shared_both_ways():
    def run(lib):
        m = _model(lib)
        w, b = m[0].weight, m[0].bias
        vec = lib.tensor(VALUES)
        lib.nn.utils.vector_to_parameters(vec, m.parameters())
        seen = [w.clone(), b.clone(), w._version, b._version, vec._version]
        vec.add_(1)  # the vector's write shows in the parameters, not in their counters
        seen += [w.clone(), m[1].bias.clone(), w._version, vec._version]
        with lib.no_grad():
            w.mul_(2)  # and a parameter's in the vector
            m[1].bias.data.fill_(7)
        seen += [vec.clone(), w._version, vec._version]
        seen += [w.is_leaf, w.requires_grad, w.grad_fn, type(w).__name__]
        return seen
    _both(run)


def test_vector_requiring_grad_and_backward():
    def run(lib):
        m = _model(lib)
        vec = lib.tensor(VALUES, requires_grad=True) * 2
        lib.nn.utils.vector_to_parameters(vec, m.parameters())
        ps = list(m.parameters())
        m(lib.ones(4, 2)).pow(2).sum().backward()
        return ([(p.is_leaf, p.requires_grad, p.grad_fn, p.grad) for p in ps],
                vec.grad_fn is not None, m[0].weight.dtype)
    _both(run)


def test_views_made_before_keep_the_old_storage():
    def run(lib):
        m = _model(lib)
        w = m[0].weight
        old = w.view(6)
        with lib.no_grad():
            w.add_(0)
        vec = lib.tensor(VALUES)
        lib.nn.utils.vector_to_parameters(vec, m.parameters())
        with lib.no_grad():
            old.zero_()  # the old storage only, but w's counter
        seen = [w.clone(), old.detach().clone(), w._version, old._version, vec.clone()]
        with lib.no_grad():
            w.sub_(1)
        return seen + [old.detach().clone(), vec.clone()]
    _both(run)


def test_training_copies_and_dtype():
    def run(lib):
        m = _model(lib)
        vec = lib.tensor(VALUES)
        lib.nn.utils.vector_to_parameters(vec, m.parameters())
        opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        for _ in range(2):
            opt.zero_grad()
            m(lib.ones(4, 2)).pow(2).sum().backward()
            opt.step()
        seen = [vec.clone()]
        m2 = copy.deepcopy(m)
        with lib.no_grad():
            m2[0].bias.fill_(5)  # a copy has storage of its own
        buf = io.BytesIO()
        lib.save(m.state_dict(), buf)
        buf.seek(0)
        seen += [m[0].bias.clone(), dict(lib.load(buf))]
        m.double()  # a new storage: the vector no longer follows
        with lib.no_grad():
            vec.zero_()
        return seen + [m[0].weight.clone(), vec.dtype]
    _both(run)


def test_vector_of_another_dtype():
    def run(lib):
        m = _model(lib)
        lib.nn.utils.vector_to_parameters(lib.tensor(VALUES, dtype=lib.float64), m.parameters())
        return m[0].weight.dtype, m[1].bias
    _both(run)


@pytest.mark.parametrize("case", ["short", "long", "int", "list"])
def test_errors_and_longer_vector(case):
    def run(lib):
        m = _model(lib)
        vec = {"short": lambda: lib.arange(5.0), "long": lambda: lib.arange(20.0),
               "int": lambda: lib.arange(13), "list": lambda: VALUES.tolist()}[case]()
        lib.nn.utils.vector_to_parameters(vec, m.parameters())
        return list(m.parameters())
    if case == "long":  # the rest of the vector is left unused
        _both(run)
    else:
        check_raises(run)
