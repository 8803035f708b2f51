"""torch.random.fork_rng, compared with torch: draws inside leave the generator as they found
it; disabled, they don't; devices on a CPU-only build fail as torch's."""
import torch
from _helper import assert_same, check_raises

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
