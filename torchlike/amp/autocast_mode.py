"""torch.amp.autocast_mode: the autocast context manager / decorator, custom_fwd / custom_bwd.

Which ops autocast casts, and how, is the table in _lists.py; the state it switches is per
thread (_state.py). torchlike has torch's CPU lists only: autocast("cuda") warns and disables
itself where CUDA is unavailable, as in torch, and raises NotImplementedError where it is.
"""
from __future__ import annotations

import collections.abc
import functools
import warnings
from typing import Any

import numpy as np

from .._errors import missing as _missing
from .. import _dtype as D
from .._tensor import Tensor
from . import _lists  # noqa: F401  (puts the listed ops behind the autocast check)
from ._state import AUTOCAST_TYPES, get_autocast_dtype, is_autocast_enabled, \
    parse_device_type, set_autocast_dtype, set_autocast_enabled, state

__all__ = ["autocast_decorator", "autocast", "is_autocast_available", "custom_fwd",
           "custom_bwd"]

_PRIVATEUSE1 = "privateuseone"


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast has a dispatch key for `device_type`."""
    return parse_device_type("_is_autocast_available", device_type) in AUTOCAST_TYPES


def autocast_decorator(autocast_instance, func):
    @functools.wraps(func)
    def decorate_autocast(*args, **kwargs):
        with autocast_instance:
            return func(*args, **kwargs)
    decorate_autocast.__script_unsupported = "@autocast() decorator is not supported in script mode"
    return decorate_autocast


def _amp_definitely_not_available() -> bool:
    import importlib.util

    from .. import cuda
    return not (cuda.is_available() or importlib.util.find_spec("torch_xla"))


class autocast:
    """A region (context manager or decorator) where the ops on autocast's lists run in mixed
    precision: see torch.autocast."""

    def __init__(self, device_type: str, dtype: D.dtype | None = None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(self.device):
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{self.device}'")
        device_supported_dtypes = [D.bfloat16, D.float16]
        self.custom_backend_name = _PRIVATEUSE1
        if self.device == self.custom_backend_name:
            raise AssertionError(  # torchlike registers no privateuse1 backend
                f"Tried to use AMP with the `{self.custom_backend_name}` backend, but the "
                "backend has not registered a module or  the module miss some necessary funcs. "
                "The backend should register a module by `torch._register_device_module`, and "
                "the module must have these funcs: \n`get_amp_supported_dtype() -> "
                "List[torch.dtype]`. \n")
        self._cache_enabled = state.cache_enabled if cache_enabled is None else cache_enabled
        device_name = self.device.upper()
        if enabled:
            if self.device == "cuda":
                if _amp_definitely_not_available():
                    warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                                  "autocast.", stacklevel=2)
                    enabled = False
            elif self.fast_dtype not in device_supported_dtypes:
                warnings.warn(
                    f"In {device_name} autocast, but the target dtype is not supported. "
                    f"Disabling autocast.\n{device_name} Autocast only supports dtypes of "
                    + ", ".join(map(str, device_supported_dtypes)) + " currently.",
                    stacklevel=2)
                enabled = False
        self._enabled = enabled

    def __enter__(self):
        self.prev_cache_enabled = state.cache_enabled
        self.prev = is_autocast_enabled(self.device)
        self.prev_fastdtype = get_autocast_dtype(self.device)
        set_autocast_enabled(self.device, self._enabled)
        set_autocast_dtype(self.device, self.fast_dtype)
        state.nesting += 1
        state.cache_enabled = self._cache_enabled
        return self

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any):
        # Drop the cache when we exit to a nesting level that's outside any instance of autocast.
        state.nesting -= 1
        if state.nesting == 0:
            state.cache.clear()
        set_autocast_enabled(self.device, self.prev)
        set_autocast_dtype(self.device, self.prev_fastdtype)
        state.cache_enabled = self.prev_cache_enabled
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                f"Did you mean to use autocast as a context manager? For example:\n"
                f"    with torch.autocast(device_type=...):\n"
                f"        output = model(input)")
        return autocast_decorator(self, func)


def device_autocast(device: str, default_dtype: D.dtype, module: str) -> type:
    """torch.<device>.amp.autocast: torch.amp.autocast(device, ...), with torch's FutureWarning."""
    class device_autocast(autocast):
        def __init__(self, enabled: bool = True, dtype: D.dtype = default_dtype,
                     cache_enabled: bool = True):
            warnings.warn(f"`torch.{device}.amp.autocast(args...)` is deprecated. Please use "
                          f"`torch.amp.autocast('{device}', args...)` instead.", FutureWarning,
                          stacklevel=2)
            super().__init__(device, enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)
    device_autocast.__name__ = device_autocast.__qualname__ = "autocast"
    device_autocast.__module__ = module
    device_autocast.__doc__ = f"Deprecated: torch.amp.autocast(\"{device}\", ...)."
    return device_autocast


class _UnmanagedAutocast(autocast):
    """An autocast entered by _enter_autocast, not by a with statement."""


def _enter_autocast(*vals):
    mode = _UnmanagedAutocast(*vals)
    mode.__enter__()
    return mode


def _exit_autocast(mode):
    mode.__exit__(None, None, None)


def _cast(value, device_type: str, dtype: D.dtype):
    """Casts floating tensors (not float64) on `device_type`, also inside containers."""
    if isinstance(value, Tensor):
        eligible = (value.is_floating_point() and value.device.type == device_type
                    and value.dtype is not D.float64)
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes, np.ndarray)):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype)
                for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable):
        iterable = (_cast(v, device_type, dtype) for v in value)
        return type(value)(iterable) if isinstance(value, (list, tuple)) else iterable
    return value


def custom_fwd(fwd=None, *, device_type: str, cast_inputs: D.dtype | None = None):
    """Decorator for the forward of a custom autograd Function: with `cast_inputs`, runs it in
    that dtype with autocast off when called inside an autocast region."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        autocast_context = is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = False
        if autocast_context:
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs),
                           **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorator for the backward of a custom autograd Function: runs it with the autocast state
    its forward saw."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast,
                      dtype=args[0]._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd


__getattr__ = _missing("torch.amp.autocast_mode")  # names torchlike lacks: NotImplementedError
