"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode. As in torch, the modes
are per thread: a thread evaluating under no_grad leaves autograd on in the others."""
from __future__ import annotations

import functools
import threading


class _ThreadModes(threading.local):
    """This thread's grad and inference modes (class attributes give each thread the defaults).
    The hot path reads `_modes.grad` (one C-level attribute lookup)."""

    grad = True
    inference = False


_modes = _ThreadModes()


def is_grad_enabled() -> bool:
    return _modes.grad


def is_inference_mode_enabled() -> bool:
    return _modes.inference


class _Mode:
    """Base for grad-mode context managers that also work as decorators. `_value` is the grad
    mode it sets; `_inference` the inference mode (None: left as it is)."""

    _value = True
    _inference: bool | None = None

    def _set(self) -> tuple[bool, bool]:
        prev = _modes.grad, _modes.inference
        _modes.grad = self._value
        if self._inference is not None:
            _modes.inference = self._inference
        return prev

    def __enter__(self):
        self._prev = self._set()

    def __exit__(self, *exc):
        _modes.grad, _modes.inference = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = self._set()
            try:
                return fn(*args, **kwargs)
            finally:
                _modes.grad, _modes.inference = prev
        return wrapper


class no_grad(_Mode):
    _value = False


class enable_grad(_Mode):
    _value = True


class set_grad_enabled(_Mode):
    """Sets grad mode at construction (as torch does), and restores it on exit."""

    def __init__(self, mode: bool):
        self._value = bool(mode)
        self._prev = self._set()

    def __enter__(self):
        self._set()

    def __call__(self, fn):
        _modes.grad, _modes.inference = self._prev  # a decorator: construction changes nothing
        return super().__call__(fn)


class inference_mode(_Mode):
    def __init__(self, mode: bool = True):
        self._value = not mode
        self._inference = bool(mode)


from .._errors import missing as _missing  # noqa: E402
__getattr__ = _missing("torch.autograd.grad_mode")  # names torchlike lacks: NotImplementedError
