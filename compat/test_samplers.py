"""Samplers against real torch: the same seed (or generator) gives the same indices, and leaves
the default generator where torch leaves it; RandomSampler draws lazily."""
from __future__ import annotations

import itertools
import time
import tracemalloc

import pytest
import torch
from _helper import assert_same, assert_same_error

import torchlike

WEIGHTS = [0.1, 0.9, 0.4, 0.0, 3.0, 0.6, 1e-3, 2.5]

SAMPLERS = {
    "random": lambda L, g: L.utils.data.RandomSampler(range(10), generator=g),
    "random_more": lambda L, g: L.utils.data.RandomSampler(range(7), num_samples=17,
                                                           generator=g),
    "random_multiple": lambda L, g: L.utils.data.RandomSampler(range(7), num_samples=14,
                                                               generator=g),
    "random_fewer": lambda L, g: L.utils.data.RandomSampler(range(7), num_samples=3,
                                                            generator=g),
    "replacement": lambda L, g: L.utils.data.RandomSampler(range(10), replacement=True,
                                                           num_samples=75, generator=g),
    "replacement_wide": lambda L, g: L.utils.data.RandomSampler(
        range(2**33 + 5), replacement=True, num_samples=40, generator=g),
    "subset": lambda L, g: L.utils.data.SubsetRandomSampler([5, 3, 9, 11, 2, 8], generator=g),
    "weighted": lambda L, g: L.utils.data.WeightedRandomSampler(WEIGHTS, 50, generator=g),
    "weighted_one": lambda L, g: L.utils.data.WeightedRandomSampler(WEIGHTS, 1, generator=g),
    "weighted_no_replacement": lambda L, g: L.utils.data.WeightedRandomSampler(
        WEIGHTS, 5, replacement=False, generator=g),
    "weighted_all": lambda L, g: L.utils.data.WeightedRandomSampler(
        WEIGHTS[:3] + WEIGHTS[4:], 7, replacement=False, generator=g),
    "batch": lambda L, g: L.utils.data.BatchSampler(
        L.utils.data.RandomSampler(range(10), generator=g), 3, drop_last=False),
    "batch_drop_last": lambda L, g: L.utils.data.BatchSampler(
        L.utils.data.RandomSampler(range(10), generator=g), 3, drop_last=True),
}


def _draw(lib, make, seed, own_generator):
    lib.manual_seed(seed)
    g = lib.Generator().manual_seed(seed + 100) if own_generator else None
    sampler = make(lib, g)
    epochs = [list(sampler) for _ in range(2)]
    return len(sampler), epochs, lib.randn(3).tolist()  # and where the default generator is


@pytest.mark.parametrize("own_generator", [False, True])
@pytest.mark.parametrize("name", SAMPLERS)
def test_draws_match_torch(name, own_generator):
    for seed in (0, 1, 12345):
        want = _draw(torch, SAMPLERS[name], seed, own_generator)
        got = _draw(torchlike, SAMPLERS[name], seed, own_generator)
        assert_same(want, got, f"{name} seed {seed}")


def test_huge_replacement_sampler_is_lazy():
    """minGPT's and makemore's RandomSampler(replacement=True, num_samples=int(1e10))."""
    n = int(1e10)
    want, got = [], []
    for lib, out in ((torch, want), (torchlike, got)):
        lib.manual_seed(3)
        sampler = lib.utils.data.RandomSampler(range(1000), replacement=True, num_samples=n)
        tracemalloc.start()
        start = time.perf_counter()
        out.extend(itertools.islice(sampler, 300))
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(sampler) == n
    assert_same(want, got)
    assert seconds < 1.0 and peak < 1 << 20  # the last run: torchlike's


@pytest.mark.parametrize("make", [
    lambda L: L.utils.data.WeightedRandomSampler([0.5, -1.0], 2),
    lambda L: L.utils.data.WeightedRandomSampler([0.0, 0.0], 2),
    lambda L: L.utils.data.WeightedRandomSampler([1.0, float("inf")], 2),
    lambda L: L.utils.data.WeightedRandomSampler([1.0, float("nan")], 2),
    lambda L: L.utils.data.WeightedRandomSampler([0.5, -1.0], 1),
    lambda L: L.utils.data.WeightedRandomSampler([1.0, float("inf")], 2, replacement=False),
    lambda L: L.utils.data.WeightedRandomSampler([1.0, 2.0], 3, replacement=False),
    lambda L: L.utils.data.WeightedRandomSampler([1.0, 2.0], 3, replacement=1),
    lambda L: L.utils.data.WeightedRandomSampler([[1.0, 2.0]], 3),
    lambda L: L.utils.data.WeightedRandomSampler([1.0, 2.0], 0),
    lambda L: L.utils.data.RandomSampler(range(3), replacement=1),
    lambda L: L.utils.data.RandomSampler(range(3), num_samples=0),
    lambda L: L.utils.data.BatchSampler(range(3), 0, False),
    lambda L: L.utils.data.BatchSampler(range(3), 2, 1),
])
def test_errors_match_torch(make):
    errors = []
    for lib in (torch, torchlike):
        with pytest.raises(Exception) as info:
            list(make(lib))
        errors.append(info.value)
    assert type(errors[1]) is type(errors[0])
    assert_same_error(*errors)


def test_weighted_sampler_weights_are_a_double_tensor():
    want = torch.utils.data.WeightedRandomSampler([1, 2, 3], 2).weights
    got = torchlike.utils.data.WeightedRandomSampler([1, 2, 3], 2).weights
    assert_same(want, got, rtol=0, atol=0)
