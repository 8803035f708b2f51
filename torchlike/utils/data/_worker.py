"""The worker process's side: seeding, WorkerInfo, the fetch loop, and the exception wrapper.

A worker reads (task index, batch indices) messages from its index pipe and writes
(task index, batch) to its result pipe, as torch's _worker_loop does with its queues. Tensors
travel as numpy arrays (Tensor pickles that way) and the main process rebuilds them.
"""
from __future__ import annotations

import pickle
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ._fetch import create_fetcher

_worker_info = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What get_worker_info() returns inside a worker."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str | None = "multiprocessing"


def get_worker_info() -> WorkerInfo | None:
    """The current worker's WorkerInfo; None in the main process."""
    return _worker_info


@dataclass(frozen=True)
class IterableDatasetStopIteration:
    """A worker's IterableDataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """A persistent worker starts a new epoch."""

    seed: int | None = None


class KeyErrorMessage(str):
    """str whose repr is itself: KeyError would show the traceback as one quoted line."""

    def __repr__(self) -> str:
        return self


class ExceptionWrapper:
    """An exception and its traceback, carried to another process and raised again there."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # noqa: BLE001 - a constructor that wants other arguments
            raise RuntimeError(msg) from None
        raise exception


def _generate_state(base_seed: int, worker_id: int) -> list:
    """numpy's seed for a worker: torch's hash of (worker_id, base_seed), after numpy's
    SeedSequence, so that numpy's and Python's generators do not start alike."""
    mask = 0xFFFFFFFF
    mult_a, mult_b = 0x931E8875, 0x58F38DED
    hash_a = [0x43B0D7E5]

    def hashmix(value: int) -> int:
        value = (value ^ hash_a[0]) & mask
        hash_a[0] = (hash_a[0] * mult_a) & mask
        value = (value * hash_a[0]) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x: int, y: int) -> int:
        r = ((0xCA01F9DD * x) - (0x4973F715 * y)) & mask
        return (r ^ (r >> 16)) & mask

    pool = [hashmix(e) for e in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    hash_b, state = 0x8B51F9DD, []
    for value in pool:
        value = (value ^ hash_b) & mask
        hash_b = (hash_b * mult_b) & mask
        value = (value * hash_b) & mask
        state.append((value ^ (value >> 16)) & mask)
    return state


def _seed(base_seed: int, worker_id: int) -> int:
    from ... import manual_seed
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(_generate_state(base_seed, worker_id))
    return seed


class _Worker:
    """One worker's dataset copy and fetcher."""

    def __init__(self, header: tuple, payload: bytes) -> None:
        global _worker_info
        worker_id, base_seed = header
        self.worker_id = worker_id
        self.where = f"in DataLoader worker process {worker_id}"
        self.init_exception = None
        try:
            (self.iterable, self.dataset, self.auto_collation, self.collate_fn,
             self.drop_last, init_fn, num_workers) = pickle.loads(payload)
            seed = _seed(base_seed, worker_id)
            _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                      dataset=self.dataset)
            if init_fn is not None:
                init_fn(worker_id)
            self.new_fetcher()
        except Exception:  # noqa: BLE001 - raised in the main process with our first batch
            self.init_exception = ExceptionWrapper(where=self.where)

    def new_fetcher(self) -> None:
        self.fetcher = create_fetcher(self.iterable, self.dataset, self.auto_collation,
                                      self.collate_fn, self.drop_last)

    def fetch(self, indices):
        """The batch, an ExceptionWrapper, or IterableDatasetStopIteration."""
        if self.init_exception is not None:
            wrapper, self.init_exception = self.init_exception, None
            return wrapper
        try:
            return self.fetcher.fetch(indices)
        except StopIteration:
            if self.iterable:
                return IterableDatasetStopIteration(self.worker_id)
            return ExceptionWrapper(where=self.where)
        except Exception:  # noqa: BLE001 - the user's error, raised in the main process
            return ExceptionWrapper(where=self.where)


def main(index, result) -> int:
    """Run one worker: its id and the payload from the main process, then tasks until the
    main process sends None or closes the pipe."""
    try:
        worker = _Worker(pickle.loads(index.recv_bytes()), index.recv_bytes())
        iteration_end = False
        while True:
            task = pickle.loads(index.recv_bytes())
            if task is None:
                return 0
            if isinstance(task, ResumeIteration):
                iteration_end = False
                try:
                    worker.new_fetcher()
                except Exception:  # noqa: BLE001 - as in __init__
                    worker.init_exception = ExceptionWrapper(where=worker.where)
                message = (task, None)
            elif iteration_end:
                continue
            else:
                message = (task[0], worker.fetch(task[1]))
                iteration_end = isinstance(message[1], IterableDatasetStopIteration)
            if not _send(result, message, worker.where):
                return 0
            del message, task
    except EOFError:  # the main process is done with us (or gone)
        return 0


def _send(result, message, where: str) -> bool:
    """Write one message; False when the main process has closed the pipe."""
    try:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a batch pickle refuses: raised in the main process
        data = pickle.dumps((message[0], ExceptionWrapper(where=where)))
    try:
        result.send_bytes(data)
    except OSError:
        return False
    return True
