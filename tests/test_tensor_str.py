"""Unit tests for torchlike/_tensor_str.py (expected strings were checked against torch 2.13)."""

import importlib.util
import math
import pathlib
import sys

import ml_dtypes
import numpy as np
import pytest

# Load the module by path so these tests do not depend on torchlike/__init__.py.
_PATH = pathlib.Path(__file__).resolve().parents[1] / "torchlike" / "_tensor_str.py"
_SPEC = importlib.util.spec_from_file_location("torchlike_tensor_str_unit", _PATH)
ts = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = ts
_SPEC.loader.exec_module(ts)

DEFAULTS = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)


@pytest.fixture(autouse=True)
def _restore_options():
    saved = ts.get_printoptions()
    ts.set_printoptions(profile="default")
    try:
        yield
    finally:
        ts.set_printoptions(**saved)


@pytest.mark.parametrize("values, dtype_name, kwargs, expected", [
    (np.float32(27.0), "float32", dict(grad_fn_name="MeanBackward0"),
     "tensor(27., grad_fn=<MeanBackward0>)"),
    (np.zeros((2, 0), np.float32), "float32", {}, "tensor([], size=(2, 0))"),
    (np.zeros(0, np.int32), "int32", {}, "tensor([], dtype=torch.int32)"),
    (np.array([1.0, 2.0], np.float32), "float32", {}, "tensor([1., 2.])"),
    (np.array([1.12345], np.float32), "float32", {}, "tensor([1.1235])"),
    (np.array([1e-5, 1.0], np.float32), "float32", {}, "tensor([1.0000e-05, 1.0000e+00])"),
    (np.array([math.nan, math.inf, -math.inf, -0.0, 1.5], np.float32), "float32", {},
     "tensor([   nan,    inf,   -inf, -0.0000, 1.5000])"),
    (np.array([True, False]), "bool", {}, "tensor([ True, False])"),
    (np.array([1 + 2j, -0.5 - 1j], np.complex64), "complex64", {},
     "tensor([ 1.0000+2.j, -0.5000-1.j])"),
    (np.array([1.5, 2.5], ml_dtypes.bfloat16), "bfloat16", {},
     "tensor([1.5000, 2.5000], dtype=torch.bfloat16)"),
    (np.array([0.1], np.float16), "float16", {}, "tensor([0.1000], dtype=torch.float16)"),
    (np.array([1.0, 2.0]), "float64", {}, "tensor([1., 2.], dtype=torch.float64)"),
    (np.array([1.0, 2.0]), "float64", dict(default_dtype_name="float64"), "tensor([1., 2.])"),
    (np.array([1.0, 2.0], np.float32), "float32", dict(default_dtype_name="float64"),
     "tensor([1., 2.], dtype=torch.float32)"),
    (np.arange(8.0).reshape(2, 2, 2), "float32", {},
     "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])"),
])
def test_known_reprs(values, dtype_name, kwargs, expected):
    assert ts.format_tensor(values, dtype_name, **kwargs) == expected


def test_precision_and_threshold():
    ts.set_printoptions(precision=2)
    assert ts.format_tensor(np.array([1.12345], np.float32), "float32") == "tensor([1.12])"
    ts.set_printoptions(profile="default", threshold=5)
    assert ts.format_tensor(np.arange(10), "int64") == "tensor([0, 1, 2,  ..., 7, 8, 9])"


def test_get_printoptions_defaults_and_round_trip():
    assert ts.get_printoptions() == DEFAULTS
    ts.set_printoptions(precision=2, threshold=7, edgeitems=1, linewidth=50, sci_mode=True)
    changed = ts.get_printoptions()
    assert changed == dict(precision=2, threshold=7, edgeitems=1, linewidth=50, sci_mode=True)
    ts.set_printoptions(profile="default")
    ts.set_printoptions(**changed)
    assert ts.get_printoptions() == changed


def test_profiles():
    ts.set_printoptions(profile="full")
    assert ts.get_printoptions()["threshold"] == math.inf
    ts.set_printoptions(profile="short")
    assert ts.get_printoptions() == dict(DEFAULTS, precision=2, edgeitems=2)
    ts.set_printoptions(profile="default", precision=6)  # explicit options win
    assert ts.get_printoptions() == dict(DEFAULTS, precision=6)


def test_printoptions_context_manager_restores():
    ts.set_printoptions(linewidth=60)
    before = ts.get_printoptions()
    with ts.printoptions(precision=1, sci_mode=False):
        assert ts.get_printoptions() == dict(before, precision=1, sci_mode=False)
        assert ts.format_tensor(np.array([1.25], np.float32), "float32") == "tensor([1.2])"
    assert ts.get_printoptions() == before
    with pytest.raises(RuntimeError):
        with ts.printoptions(precision=9):
            raise RuntimeError("boom")
    assert ts.get_printoptions() == before


def test_printoptions_as_decorator():
    @ts.printoptions(threshold=3)
    def current_threshold():
        return ts.get_printoptions()["threshold"]

    assert current_threshold() == 3
    assert ts.get_printoptions()["threshold"] == 1000
