"""The main process's side of multi-process loading: start workers, hand out batch indices,
collect batches in order, shut the workers down.

Workers come from the fork server (see _fork_server for why not os.fork). Each has two pipes:
the main process writes (task index, batch indices) to one and reads (task index, batch) from
the other. The dataset, collate_fn and worker_init_fn travel once per worker start, pickled by
_pickle_by_value (what the script defines goes by value). Task bookkeeping follows torch's
_MultiProcessingDataLoaderIter, so batches come in torch's order: tasks go round-robin over
the workers, prefetch_factor per worker ahead, and are returned in task order (in_order=True).
A worker stops when its index pipe closes (or the main process dies), so shutting down is
closing the pipes; a worker still busy when a deadline passes gets SIGTERM.
"""
from __future__ import annotations

import atexit
import itertools
import os
import pickle
import signal
import time
import weakref
from multiprocessing.connection import Connection, wait

from . import _fork_server
from ._pickle_by_value import dumps
from ._worker import ExceptionWrapper, IterableDatasetStopIteration, ResumeIteration
from .dataloader import _BaseDataLoaderIter
from .dataset import IterableDataset

MP_STATUS_CHECK_INTERVAL = 5.0  # seconds a shutdown waits for busy workers, as torch joins
_live: weakref.WeakSet = weakref.WeakSet()
_exiting = [False]


def payload(loader) -> bytes:
    """What every worker of this loader needs, pickled once (raises if it cannot be)."""
    return dumps((isinstance(loader.dataset, IterableDataset), loader.dataset,
                  loader._auto_collation, loader.collate_fn, loader.drop_last,
                  loader.worker_init_fn, loader.num_workers))


class _Worker:
    """The main process's handle on one worker: its pid and its two pipe ends."""

    def __init__(self) -> None:
        index_r, index_w = os.pipe()
        result_r, result_w = os.pipe()
        try:
            self.pid = _fork_server.fork_worker(index_r, result_w)
        except BaseException:
            os.close(index_w)
            os.close(result_r)
            raise
        finally:
            os.close(index_r)
            os.close(result_w)
        self.index: Connection | None = Connection(index_w, readable=False)
        self.result: Connection | None = Connection(result_r, writable=False)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """One pass over the dataset with worker processes (kept across passes if persistent)."""

    def __init__(self, loader, data: bytes) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        self._shutdown = False
        self._workers: list[_Worker] = []
        self._dead: list[int] = []  # workers found exited while still active
        try:
            for _ in range(self._num_workers):
                self._workers.append(_Worker())
            setup = _fork_server.setup_message()
            for i, w in enumerate(self._workers):
                self._send(i, setup)
                self._send(i, pickle.dumps((i, self._base_seed)))
                self._send(i, data)
        except BaseException:
            self._shutdown_workers()
            raise
        _live.add(self)
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        n = self._num_workers
        self._send_idx = 0  # the next task to send
        self._rcvd_idx = 0  # the next task to return
        self._task_info: dict = {}  # task -> (worker,) while out, (worker, data) when early
        self._tasks_outstanding = 0
        self._workers_status = [True] * n
        self._workers_num_tasks = [0] * n
        self._worker_queue_idx_cycle = itertools.cycle(range(n))
        if not first_iter:
            for i in range(n):
                self._send(i, pickle.dumps(ResumeIteration()))
            pending = n
            while pending > 0:  # results of an abandoned pass come first: dropped
                idx, _ = self._get_data()
                if isinstance(idx, ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * n):
            self._try_put_index()

    # ---- pipes ----------------------------------------------------------------------------
    def _send(self, worker_id: int, data: bytes) -> None:
        try:
            self._workers[worker_id].index.send_bytes(data)
        except OSError:
            self._died([worker_id])

    def _died(self, worker_ids) -> None:
        for i in worker_ids:
            if hasattr(self, "_workers_status"):
                self._workers_status[i] = False
        pids = ", ".join(str(self._workers[i].pid) for i in worker_ids)
        raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")

    def _get_data(self, awaited: int | None = None):
        """The next message from any worker: (task index, data). A worker found dead raises
        once its message is the one awaited (`awaited`: the worker of the task to return next;
        None: any), however many other workers' messages come first."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            if self._dead and (awaited is None or awaited in self._dead):
                self._died(self._dead)
            conns = {w.result: i for i, w in enumerate(self._workers) if w.result is not None}
            if not conns:
                self._died(range(len(self._workers)))
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait(list(conns), left)
            if not ready:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            for conn in ready:
                i = conns[conn]
                try:
                    message = conn.recv_bytes()
                except (EOFError, OSError):  # the worker has exited
                    conn.close()
                    self._workers[i].result = None
                    if self._workers_status[i]:
                        self._dead.append(i)  # kept: its pipe is gone, nothing tells again
                    continue
                return pickle.loads(message)

    # ---- torch's task bookkeeping ---------------------------------------------------------
    def _next_data(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break  # its data is here, or its worker is still active
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)
            idx, data = self._get_data(self._task_info[self._rcvd_idx][0])
            self._tasks_outstanding -= 1
            if isinstance(data, IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                if not self._in_order:
                    worker_id = self._task_info.pop(idx)[0]
                    return self._process_data(data, worker_id)
                self._task_info[idx] += (data,)
            else:
                worker_id = self._task_info.pop(idx)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _try_put_index(self) -> None:
        max_tasks = self._prefetch_factor * self._num_workers
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):  # the next active worker, if any
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id] and (
                    self._in_order or
                    self._workers_num_tasks[worker_id] < max_tasks // sum(self._workers_status)):
                break
        else:
            return
        self._send(worker_id, pickle.dumps((self._send_idx, index)))
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _process_data(self, data, worker_id: int):
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_as_unavailable(self, worker_id: int) -> None:
        w = self._workers[worker_id]
        if w.index is not None:
            try:
                w.index.send_bytes(pickle.dumps(None))
            except OSError:
                pass
        self._workers_status[worker_id] = False

    # ---- shutdown -------------------------------------------------------------------------
    def _shutdown_workers(self, patience: float = MP_STATUS_CHECK_INTERVAL) -> None:
        """Close the index pipes (each worker then exits), wait for the result pipes to close,
        SIGTERM a worker whose pipe is still open at the deadline (it is alive: no pid reuse)."""
        if getattr(self, "_shutdown", True):
            return
        self._shutdown = True
        _live.discard(self)
        for w in self._workers:
            if w.index is not None:
                w.index.close()
                w.index = None
        deadline = time.monotonic() + (0.1 if _exiting[0] else patience)
        while True:
            open_ = [w.result for w in self._workers if w.result is not None]
            left = deadline - time.monotonic()
            if not open_ or left <= 0:
                break
            for conn in wait(open_, left):
                try:
                    conn.recv_bytes()  # drained: a worker blocked writing can go on and exit
                except (EOFError, OSError):
                    conn.close()
                    for w in self._workers:
                        if w.result is conn:
                            w.result = None
        for w in self._workers:
            if w.result is not None:
                try:
                    os.kill(w.pid, signal.SIGTERM)
                except OSError:
                    pass
                w.result.close()
                w.result = None

    def __del__(self) -> None:
        try:
            self._shutdown_workers()
        except Exception:  # noqa: BLE001, S110 - interpreter teardown: the pipes close anyway
            pass


@atexit.register
def _at_exit() -> None:
    _exiting[0] = True
    for it in list(_live):
        it._shutdown_workers()
