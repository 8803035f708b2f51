"""Host -> device transfers and cached device numbers: exact values, dtypes and shapes on
every path (jax's C++ batched transfer, and the jitted identity it falls back to)."""
from __future__ import annotations

import jax
import ml_dtypes
import numpy as np
import pytest

import torchlike as torch
from torchlike import _device
from torchlike.autograd import fused

ARRAYS = [np.float32(1.5) * np.ones(()), np.arange(6, dtype=np.int64).reshape(2, 3),
          np.array([True, False]), np.zeros((0, 3), np.float32),
          np.array([1.5, -0.0, np.nan, np.inf], np.float64),
          np.array([1, 2], ml_dtypes.bfloat16), np.array([1 + 2j], np.complex64),
          np.arange(24, dtype=np.uint8).reshape(2, 3, 4)[:, ::2]]


@pytest.mark.parametrize("path", ["batched", "identity"])
@pytest.mark.parametrize("i", range(len(ARRAYS)))
def test_upload_is_exact(path, i):
    # "identity": what a jax without the C++ transfer gets
    upload = _device._make_upload(native=path == "batched")
    if path == "batched" and upload.__name__ != "upload":
        pytest.skip("this jax has no C++ batched transfer")
    values = np.array(ARRAYS[i])
    out = upload(values)
    assert isinstance(out, jax.Array)
    assert out.dtype == values.dtype and out.shape == values.shape
    np.testing.assert_array_equal(np.asarray(out), values)
    assert str(out.devices()) == str({jax.devices("cpu")[0]})


def test_number_vectors_keep_signed_zero_and_nan():
    # the backward's Python numbers are cached on device by value, but -0.0 == 0.0 and
    # nan != nan: those must not be served from (or poison) the cache
    for values in ([0.0], [-0.0], [0.0], [float("nan")], [2.0], [-0.0, 2.0]):
        got = np.asarray(fused._vector(values, np.float64))
        np.testing.assert_array_equal(got, np.asarray(values))
        assert list(np.signbit(got)) == list(np.signbit(values))


def test_multiplying_by_signed_zero_backward():
    for z in (0.0, -0.0, 0.0):
        x = torch.tensor([1.0, -1.0], requires_grad=True)
        (x * z).sum().backward()
        assert list(np.signbit(np.asarray(x.grad._data))) == [z < 0 or str(z) == "-0.0"] * 2
