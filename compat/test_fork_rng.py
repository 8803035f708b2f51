"""torch.random.fork_rng, compared with torch: draws inside leave the generator as they found
it (after an error too, nested too); disabled, they don't; devices on a CPU-only build fail as
torch's, for each device type."""
import pytest
import torch
from _helper import assert_same, assert_same_error, check_raises

import torchlike


def test_fork_rng():
    def run(L):
        L.manual_seed(7)
        with L.random.fork_rng():
            inside = L.rand(3)
        after = L.rand(3)
        with L.random.fork_rng(enabled=False):
            L.rand(2)
        disabled = L.rand(2)
        with L.random.fork_rng(devices=[]):
            L.randn(4)
        empty = L.randn(2)
        with L.random.fork_rng(device_type="meta"):
            meta = L.rand(1)
        return inside, after, disabled, empty, meta
    assert_same(run(torch), run(torchlike))


def test_fork_rng_with_cuda_devices_fails_on_cpu():
    def fork(L):
        with L.random.fork_rng(devices=[0]):
            pass
    check_raises(fork)


def test_fork_rng_restores_after_an_error_and_nested():
    def run(L):
        L.manual_seed(3)
        try:
            with L.random.fork_rng():
                L.manual_seed(9)  # the seed is part of the state: restored too
                L.rand(700)
                raise KeyError("inside")
        except KeyError:
            pass
        seeds = [L.initial_seed()]
        with L.random.fork_rng(devices=iter([])):  # any iterable of devices
            with L.random.fork_rng():
                L.randn(5)
            inner = L.randn(3)
        return seeds, inner, L.randn(3), L.random.get_rng_state()
    assert_same(run(torch), run(torchlike))


@pytest.mark.parametrize("device_type", [None, "cuda", "cpu", "mps", "xpu", "mtia", "hip",
                                         "foo"])
@pytest.mark.parametrize("devices", ["all", "none", "first"])
def test_fork_rng_device_types(device_type, devices):
    """A CPU build: a device type's generators exist for none of its devices (the CPU's are
    not a device's), unknown types fail as torch.get_device_module."""
    def run(L):
        L.manual_seed(1)
        arg = {"all": None, "none": [], "first": [0]}[devices]
        try:
            with L.random.fork_rng(devices=arg, device_type=device_type):
                L.rand(2)
        except Exception as e:  # noqa: BLE001 - compared with torch's
            return e
        return L.rand(2)
    want, got = run(torch), run(torchlike)
    if isinstance(want, Exception):
        assert_same_error(want, got)
    else:
        assert_same(want, got)
