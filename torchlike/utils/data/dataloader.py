"""DataLoader: batches from a dataset through a sampler and a collate function. Workers run
in-process (num_workers > 0 is accepted and loads in the main process)."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ..._random import rng as _rng
from ..._tensor import _wrap
from ._collate import default_collate, default_convert
from .dataset import IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


class _InfiniteConstantSampler(Sampler):
    def __iter__(self):
        while True:
            yield None


def get_worker_info():
    """None: torchlike loads data in the main process."""
    return None


def _tensor_rows(dataset, indices):
    """The batch of a (Subset of a) TensorDataset as one gather per tensor, or None."""
    while isinstance(dataset, Subset):
        indices = [dataset.indices[i] for i in indices]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset or any(t._rg for t in dataset.tensors):
        return None
    idx = np.asarray(indices, np.int64)
    return [_wrap(jnp.take(t._data, idx, axis=0)) for t in dataset.tensors]


class _Iter:
    """One pass over a DataLoader (what iter(loader) returns)."""

    def __init__(self, loader) -> None:
        self._loader = loader
        self._num_yielded = 0
        if isinstance(loader.dataset, IterableDataset):
            self._it = self._iterable(loader)
        elif loader._auto_collation:
            self._it = (loader._fetch(b) for b in loader.batch_sampler)
        else:
            self._it = (loader.collate_fn(loader.dataset[i]) for i in loader.sampler)
        _rng(getattr(loader, "generator", None)).int64()  # torch's base seed for workers

    @staticmethod
    def _iterable(loader):
        it = iter(loader.dataset)
        if loader.batch_size is None:
            for x in it:
                yield loader.collate_fn(x)
            return
        batch = []
        for x in it:
            batch.append(x)
            if len(batch) == loader.batch_size:
                yield loader.collate_fn(batch)
                batch = []
        if batch and not loader.drop_last:
            yield loader.collate_fn(batch)

    def __iter__(self):
        return self

    def __next__(self):
        out = next(self._it)
        self._num_yielded += 1
        return out

    def __len__(self) -> int:
        return len(self._loader)


class DataLoader:
    """Iterate a dataset in (optionally shuffled) batches."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        if isinstance(dataset, IterableDataset):
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if isinstance(dataset, IterableDataset):
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _fetch(self, indices):
        if self.collate_fn is default_collate:
            rows = _tensor_rows(self.dataset, indices)
            if rows is not None:
                return rows
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(indices) if callable(getitems) else [self.dataset[i] for i in indices]
        return self.collate_fn(data)

    def __iter__(self) -> _Iter:
        return _Iter(self)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else \
                    -(-length // self.batch_size)
            return length
        return len(self._index_sampler)
