"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode."""
from __future__ import annotations

import functools

# A one-element list so the hot path reads it without an attribute lookup chain.
_enabled = [True]


def is_grad_enabled() -> bool:
    return _enabled[0]


class _Mode:
    """Base for grad-mode context managers that also work as decorators."""

    _value = True

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self._value

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, fn):
        value = self._value

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _enabled[0]
            _enabled[0] = value
            try:
                return fn(*args, **kwargs)
            finally:
                _enabled[0] = prev
        return wrapper


class no_grad(_Mode):
    _value = False


class enable_grad(_Mode):
    _value = True


class set_grad_enabled(_Mode):
    """Sets grad mode at construction (as torch does), and restores it on exit."""

    def __init__(self, mode: bool):
        self._prev = _enabled[0]
        self._value = bool(mode)
        _enabled[0] = self._value

    def __enter__(self):
        _enabled[0] = self._value

    def __call__(self, fn):
        _enabled[0] = self._prev  # used as a decorator: construction must not change the mode
        return super().__call__(fn)


class inference_mode(_Mode):
    def __init__(self, mode: bool = True):
        self._value = not mode


def is_inference_mode_enabled() -> bool:
    return False
