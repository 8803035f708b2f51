"""torch.futures: Future, collect_all, wait_all.

A Future holds a value that may arrive later (from another thread). Callbacks added with
`then` / `add_done_callback` run when it completes, or at once when it already has.
"""
from __future__ import annotations

import threading
import traceback
from typing import Any, Callable, Generic, TypeVar

__all__ = ["Future", "collect_all", "wait_all"]

T = TypeVar("T")
S = TypeVar("S")


def _callback_error(e: BaseException) -> RuntimeError:
    """torch's wrapping of an exception raised by a `then` callback, with its stack."""
    frames = traceback.extract_tb(e.__traceback__)
    at = "".join(f"  {f.filename}({f.lineno}): {f.name}\n" for f in reversed(frames))
    return RuntimeError(f"Got the following error when running the callback: "
                        f"{type(e).__name__}: {e}\n\nAt:\n{at}")


class Future(Generic[T]):
    """A value (or an exception) that is set once; `wait` blocks until it is."""

    def __init__(self, *, devices: list | None = None) -> None:
        self._cond = threading.Condition()
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[Future], None]] = []

    def done(self) -> bool:
        return self._done

    def wait(self) -> T:
        with self._cond:
            self._cond.wait_for(lambda: self._done)
        return self.value()

    def value(self) -> T:
        if not self._done:
            raise RuntimeError("completed() INTERNAL ASSERT FAILED: the Future has no value yet "
                               "(call wait() first)")
        if self._error is not None:
            raise self._error.with_traceback(None)
        return self._value

    def then(self, callback: Callable[[Future[T]], S]) -> Future[S]:
        """A new Future holding callback(self) once self completes."""
        child: Future = Future()

        def run(fut: Future) -> None:
            try:
                result = callback(fut)
            except Exception as e:  # noqa: BLE001 - the child future carries it
                child._finish(None, _callback_error(e))
            else:
                child.set_result(result)
        self.add_done_callback(run)
        return child

    def add_done_callback(self, callback: Callable[[Future[T]], None]) -> None:
        with self._cond:
            if not self._done:
                self._callbacks.append(callback)
                return
        self._run(callback)

    def set_result(self, result: T) -> None:
        self._finish(result, None)

    def set_exception(self, result: T) -> None:
        if not isinstance(result, Exception):
            raise AssertionError(f"{result} is of type {type(result)}, not an Exception.")
        self._finish(None, result)

    def _finish(self, value: Any, error: BaseException | None) -> None:
        with self._cond:
            if self._done:
                raise RuntimeError("Attempting to mark a completed Future as complete again. "
                                   "Note that a Future can only be marked completed once.")
            self._value, self._error, self._done = value, error, True
            callbacks, self._callbacks = self._callbacks, []
            self._cond.notify_all()
        for cb in callbacks:
            self._run(cb)

    def _run(self, callback: Callable[[Future], None]) -> None:
        try:
            callback(self)
        except Exception as e:  # noqa: BLE001 - torch logs a failing done-callback, no raise
            import sys
            print(_callback_error(e), file=sys.stderr)


def collect_all(futures: list[Future]) -> Future[list[Future]]:
    """A Future completed with the list of `futures` once all of them are."""
    out: Future = Future()
    left = [len(futures)]
    lock = threading.Lock()
    if not futures:
        out.set_result([])
        return out

    def one_done(_: Future) -> None:
        with lock:
            left[0] -= 1
            last = left[0] == 0
        if last:
            out.set_result(list(futures))
    for f in futures:
        f.add_done_callback(one_done)
    return out


def wait_all(futures: list[Future]) -> list:
    """The values of `futures`, waiting for each (the first error raised)."""
    return [f.wait() for f in collect_all(futures).wait()]


from ._errors import missing as _missing  # noqa: E402

__getattr__ = _missing("torch.futures")  # names torchlike lacks: NotImplementedError
