"""torch.utils.checkpoint's lower-level forms, compared with torch: CheckpointFunction applied
directly (outputs, grad_fn, gradients, the replayed dropout mask), CheckpointError when a
recomputation saves fewer or more tensors than the forward did, check_backward_validity's
warning and errors.

Not compared: a recomputation whose saved tensors differ only in the op that saved them (torch
matches them by shape, dtype and device; torchlike also by op, see torchlike/utils/checkpoint.py).
"""
import warnings

import numpy as np
import pytest
import torch
from _helper import assert_same, assert_same_error, check_call

import torchlike

X = np.linspace(-1, 1, 6).reshape(2, 3)


def _t(L, grad=True):
    return L.tensor(X, dtype=L.float64, requires_grad=grad)


@pytest.mark.parametrize("preserve", [True, False])
def test_checkpoint_function_apply(preserve):
    def run(L):
        L.manual_seed(0)
        x = _t(L)
        out = L.utils.checkpoint.CheckpointFunction.apply(
            lambda t, k: L.nn.functional.dropout(t.sin() * k, 0.5), preserve, x, 3.0)
        out.sum().backward()
        return out, x.grad
    assert_same(run(torch), run(torchlike))  # without preserve: the next mask's gradient


def test_checkpoint_function_without_grad_inputs():
    def run(L):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = L.utils.checkpoint.CheckpointFunction.apply(lambda t: t * 2, True, _t(L, False))
        return out, [str(w.message) for w in caught]
    assert_same(run(torch), run(torchlike))


def _recompute_error(L, extra_in_forward):
    """A region whose recomputation saves fewer (or more) tensors than its forward did."""
    calls = [0]

    def region(t):
        calls[0] += 1
        first = calls[0] == 1
        y = t.sin()
        return y.exp() if first == extra_in_forward else y
    x = _t(L)
    out = L.utils.checkpoint.checkpoint(region, x, use_reentrant=False, early_stop=False)
    try:
        out.sum().backward()
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return e
    raise AssertionError(f"{L.__name__}: no error")


@pytest.mark.parametrize("extra_in_forward", [True, False])
def test_checkpoint_error(extra_in_forward):
    assert_same_error(_recompute_error(torch, extra_in_forward),
                      _recompute_error(torchlike, extra_in_forward))


def test_checkpoint_error_is_torchs_class():
    assert_same([c.__name__ for c in torch.utils.checkpoint.CheckpointError.__mro__],
                [c.__name__ for c in torchlike.utils.checkpoint.CheckpointError.__mro__])
    assert_same_error(torch.utils.checkpoint.CheckpointError("made by hand"),
                      torchlike.utils.checkpoint.CheckpointError("made by hand"))


@pytest.mark.parametrize("inputs", ["no-grad", "grad", "empty", "int", "none"])
def test_check_backward_validity(inputs):
    def make(L):
        args = {"no-grad": [_t(L, False), 3], "grad": (_t(L),), "empty": [], "int": 3,
                "none": None}[inputs]
        return L.utils.checkpoint.check_backward_validity, args
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_call(make)
    messages = [str(w.message) for w in caught]
    assert_same(messages[:len(messages) // 2], messages[len(messages) // 2:])
