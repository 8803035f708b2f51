"""Tensor.is_pinned / pin_memory and DataLoader(pin_memory=True) against real torch's CPU-only
build: nothing is pinned, pinning raises torch's errors, the device argument's deprecation
warning, and the loader's warning with batches left unpinned."""
from __future__ import annotations

import warnings

import pytest
import torch
from _helper import assert_same, assert_same_error

import torchlike

# real torch here is a CPU-only build: the comparisons hold where torchlike has no GPU either
# (tests/test_pin_memory.py checks pinning with an accelerator)
pytestmark = pytest.mark.skipif(torchlike.accelerator.is_available(),
                                reason="torchlike has an accelerator; torch's build has none")


def _run(fn):
    """fn() -> (result or the exception, the warnings), as (category name, message)."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            res = fn()
        except Exception as e:  # noqa: BLE001 - compared with torch's
            res = e
    # torch's C++ warnings end with where they were triggered; torch's loader workers fork a
    # process that has JAX loaded (by torchlike), which JAX warns about
    return res, [(c.category.__name__, str(c.message).split(" (Triggered internally")[0])
                 for c in w if not str(c.message).startswith("os.fork() was called")]


def _both(fn, message=True):
    (want, want_w), (got, got_w) = _run(lambda: fn(torch)), _run(lambda: fn(torchlike))
    if isinstance(want, Exception):
        assert_same_error(want, got, message=message)
    else:
        assert_same(want, got)
    assert_same(want_w, got_w)


@pytest.mark.parametrize("device", [None, "cpu", "cuda"])
def test_is_pinned(device):
    _both(lambda lib: lib.ones(3).is_pinned(*([device] if device else [])))


@pytest.mark.parametrize("device", [None, "cpu", "cpu:0"])
def test_pin_memory_without_accelerator(device):
    _both(lambda lib: lib.ones(3).pin_memory(*([device] if device else [])))


def test_pin_memory_for_absent_cuda():
    # torch's CPU build cannot load CUDA; torchlike's CUDA finds no driver: both RuntimeErrors
    _both(lambda lib: lib.ones(3).pin_memory("cuda"), message=False)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "bfloat16", "complex64"])
def test_pin_memory_of_meta_tensor(dtype):
    _both(lambda lib: lib.zeros(2, dtype=getattr(lib, dtype), device="meta").pin_memory())


def test_pin_memory_requiring_grad_and_is_pinned_of_meta():
    _both(lambda lib: lib.tensor([1.0], requires_grad=True).pin_memory())
    _both(lambda lib: lib.zeros(2, device="meta").is_pinned())


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_pin_memory_warns(num_workers):
    def run(lib):
        data = [{"x": lib.full((2,), float(i)), "y": (lib.tensor(i), "s")} for i in range(4)]
        dl = lib.utils.data.DataLoader(data, batch_size=2, pin_memory=True,
                                       num_workers=num_workers)
        batches = list(dl)
        return dl.pin_memory, batches, [(b["x"].is_pinned(), b["y"][0].is_pinned())
                                        for b in batches]
    _both(run)
