"""Samplers: which indices a DataLoader fetches, and in what order. Random ones draw what
torch draws: randint in chunks of 32, randperm, and multinomial's two CPU methods."""
from __future__ import annotations

import math

import numpy as np

from ..._random import Generator
from ..._random import rng as _rng


class Sampler:
    """Base class: iterate over dataset indices (torch 2.13's takes no arguments)."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _fresh_generator(generator):
    """torch draws a seed from the default generator for each epoch's own generator."""
    if generator is not None:
        return generator
    seed = _rng(None).int64()  # torch.empty((), dtype=torch.int64).random_().item()
    return Generator().manual_seed(seed)


class RandomSampler(Sampler):
    def __init__(self, data_source, replacement: bool = False, num_samples=None,
                 generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError("replacement should be a boolean value, but got replacement="
                            f"{self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        gen = _rng(_fresh_generator(self.generator))
        if self.replacement:  # lazily, 32 at a time: num_samples may be 1e10
            for _ in range(self.num_samples // 32):
                yield from gen.integers(0, n, (32,)).tolist()
            yield from gen.integers(0, n, (self.num_samples % 32,)).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from gen.permutation(n).tolist()
        yield from gen.permutation(n).tolist()[:self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    def __init__(self, indices, generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _rng(self.generator).permutation(len(self.indices)):
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    def __init__(self, weights, num_samples: int, replacement: bool = True,
                 generator=None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or \
                num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):  # torch's ValueError, not a TypeError
            raise ValueError("replacement should be a boolean value, but got "  # noqa: TRY004
                             f"replacement={replacement}")
        from ... import as_tensor, float64
        weights = as_tensor(weights, dtype=float64)
        if weights.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights.shape)}")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        w = np.asarray(self.weights._data, np.float64)
        yield from _multinomial(w, self.num_samples, self.replacement,
                                _rng(self.generator)).tolist()

    def __len__(self) -> int:
        return self.num_samples


def _multinomial(w: np.ndarray, k: int, replacement: bool, gen: Generator) -> np.ndarray:
    """torch.multinomial(w, k, replacement) of 1-d float64 weights, draw for draw."""
    if not replacement and k > w.size:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if replacement and k > 1:  # the sampling kernel checks each entry, in order
        bad = ~(w >= 0) | ~np.isfinite(w)
        if bad.any():
            first = w[np.argmax(bad)]
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               + ("entry < 0)" if not first >= 0 else "entry = infinity or NaN)"))
    elif not np.isfinite(w).all() or (w < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if w.sum() <= 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if replacement and k > 1:  # a uniform per sample, searched in the normalized cumsum
        cdf = np.cumsum(w)
        cdf /= cdf[-1]
        cdf[-1] = 1.0
        return np.searchsorted(cdf, gen._unit(k, True), side="left")
    # otherwise the top k of w / q with q ~ Exp(1): -log1p(-u) with the C library's log1p
    u = gen._unit(w.size, True).tolist()
    keys = w / np.fromiter((-math.log1p(-x) for x in u), np.float64, w.size)
    return np.argsort(-keys, kind="stable")[:k]


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of batch_size."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):  # torch's ValueError, not a TypeError
            raise ValueError("drop_last should be a boolean value, but got "  # noqa: TRY004
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
