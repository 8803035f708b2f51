"""Work: the handle an async_op collective returns. Over one process every collective is done
when it returns, so wait() has nothing to wait for; a receive from any source (which no
process can ever send to) is the exception: it never completes and wait() times out."""
from __future__ import annotations

from typing import Any

from ..futures import Future


class Work:
    """A finished collective: `result()` and `get_future()` hold its output tensors (a
    reduce_scatter's Work, as torch's gloo one, has neither)."""

    def __init__(self, result: list | None = None, has_result: bool = True) -> None:
        self._result = [] if result is None else result
        self._has_result = has_result
        self._waited = False

    def wait(self, timeout: Any = None) -> bool:
        self._waited = True
        return True

    def is_completed(self) -> bool:
        return self._has_result  # (torch's reduce_scatter Work never says it completed)

    def is_success(self) -> bool:
        return True

    def exception(self) -> None:
        return None

    def synchronize(self) -> None:
        return None

    def block_current_stream(self) -> None:
        return None

    def result(self) -> list:
        if not self._has_result:
            raise RuntimeError("result() not implemented.")
        if not self._waited:
            raise RuntimeError("Work needs to be completed before calling result(). Should call "
                               "wait() before result().")
        return list(self._result)

    def get_future(self) -> Future:
        if not self._has_result:
            raise RuntimeError("Work::getFuture not implemented.")
        fut: Future = Future()
        fut.set_result(list(self._result))
        return fut

    def source_rank(self) -> int:
        raise RuntimeError("sourceRank() may only be called on work objects that correspond to "
                           "a recv or recv-from-any call.")

    _source_rank = source_rank


Work.__module__ = "torchlike.distributed.distributed_c10d"


class _PendingRecv(Work):
    """irecv from any source in a world of one process: nobody can send, so it never
    completes; wait() raises gloo's timeout error at once rather than after the timeout."""

    def __init__(self, timeout_ms: int) -> None:
        super().__init__()
        self._timeout_ms = timeout_ms

    def is_completed(self) -> bool:
        return False

    def wait(self, timeout: Any = None) -> bool:
        ms = self._timeout_ms if timeout is None else int(timeout.total_seconds() * 1000)
        raise RuntimeError("[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/"
                           f"unbound_buffer.cc:78] Timed out waiting {ms}ms for recv operation "
                           "to complete")


_PendingRecv.__name__ = _PendingRecv.__qualname__ = "Work"  # torch's are all of one class
_PendingRecv.__module__ = Work.__module__
