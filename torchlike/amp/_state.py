"""Autocast's state, per thread as in torch, and torch's functions on it: torch.is_autocast_enabled,
torch.set_autocast_dtype, the autocast cache and nesting, and their deprecated per-device forms.
"""
from __future__ import annotations

import threading
import warnings

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd import grad_mode
from ..ops._registry import autocast as hook

__all__ = ["is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype",
           "set_autocast_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
           "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting",
           "is_autocast_cpu_enabled", "set_autocast_cpu_enabled", "get_autocast_cpu_dtype",
           "set_autocast_cpu_dtype", "get_autocast_gpu_dtype", "set_autocast_gpu_dtype",
           "is_autocast_ipu_enabled", "set_autocast_ipu_enabled", "get_autocast_ipu_dtype",
           "set_autocast_ipu_dtype", "is_autocast_xla_enabled", "set_autocast_xla_enabled",
           "get_autocast_xla_dtype", "set_autocast_xla_dtype"]

# The device types torch's device strings name; those with an autocast dispatch key; the
# default autocast dtype of each that has one.
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")
AUTOCAST_TYPES = ("cpu", "cuda", "ipu", "xpu", "maia", "xla", "mps", "hpu", "mtia",
                  "privateuseone")
_DEFAULT_DTYPE = {"cpu": D.bfloat16, "cuda": D.float16, "ipu": D.float16, "xpu": D.float16,
                  "hip": D.float16, "maia": D.bfloat16, "xla": D.bfloat16, "mps": D.float16,
                  "hpu": D.bfloat16, "mtia": D.float16, "privateuseone": D.float16}


class _ThreadState(threading.local):
    """This thread's autocast state. What the dispatch path reads is the op table's hook
    (_registry.autocast.cast), set while CPU autocast is on here and cleared while a listed op
    runs (torch casts once, at the outermost listed op)."""

    def __init__(self) -> None:
        self.enabled = dict.fromkeys(AUTOCAST_TYPES, False)
        self.dtype = dict(_DEFAULT_DTYPE)
        self.cache_enabled = True
        self.nesting = 0
        self.cache: dict = {}  # id(leaf) -> (leaf, its lower-precision copy)

    def refresh(self) -> None:
        hook.cast = cast_op if self.enabled["cpu"] else None


state = _ThreadState()
_NO_ARG = object()


def parse_device_type(fn: str, value, position: int = 1) -> str:
    """The device type of a device string, as torch parses it (TypeError / RuntimeError)."""
    if not isinstance(value, str):
        raise TypeError(f"{fn}(): argument 'device_type' (position {position}) must be str, "
                        f"not {type(value).__name__}")
    kind = value.split(":", 1)[0]
    if kind not in DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of "
                           f"device string: {value}")
    return kind


def _autocast_type(fn: str, value) -> str:
    kind = parse_device_type(fn, value)
    if kind not in AUTOCAST_TYPES:
        raise RuntimeError("unknown device type for autocast in "
                           "get_autocast_dispatch_key_from_device_type")
    return kind


def is_autocast_enabled(device_type=_NO_ARG) -> bool:
    """Whether autocast is on for `device_type` in this thread (no argument: CUDA)."""
    if device_type is _NO_ARG:
        return state.enabled["cuda"]
    return state.enabled[_autocast_type("is_autocast_enabled", device_type)]


def set_autocast_enabled(device_type, enabled=_NO_ARG) -> None:
    """set_autocast_enabled(device_type, enabled), or set_autocast_enabled(enabled) for CUDA.

    Differs from torch: enabling CUDA autocast where CUDA is available raises
    NotImplementedError (torchlike has the CPU op lists only)."""
    position = 2
    if enabled is _NO_ARG:
        device_type, enabled, position = "cuda", device_type, 1
    if not isinstance(enabled, bool):
        raise TypeError(f"set_autocast_enabled(): argument 'enabled' (position {position}) must "
                        f"be bool, not {type(enabled).__name__}")
    kind = _autocast_type("set_autocast_enabled", device_type)
    if kind == "cuda" and enabled:
        from .. import cuda
        if cuda.is_available():
            raise NotImplementedError("torch.autocast on CUDA (its CUDA op lists) is not "
                                      "implemented in torchlike")
    state.enabled[kind] = enabled
    state.refresh()


def get_autocast_dtype(device_type) -> D.dtype:
    """The dtype autocast casts to on `device_type` in this thread."""
    dtype = state.dtype.get(parse_device_type("get_autocast_dtype", device_type))
    if dtype is None:
        raise RuntimeError("unsupported scalarType")
    return dtype


def set_autocast_dtype(device_type, dtype) -> None:
    kind = parse_device_type("set_autocast_dtype", device_type)
    if not isinstance(dtype, D.dtype):
        raise TypeError(f"set_autocast_dtype(): argument 'dtype' (position 2) must be "
                        f"torch.dtype, not {type(dtype).__name__}")
    state.dtype[kind] = dtype
    state.refresh()


def is_autocast_cache_enabled() -> bool:
    return state.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool (got {type(enabled).__name__})")
    state.cache_enabled = enabled


def clear_autocast_cache() -> None:
    """Drop this thread's cached lower-precision copies of leaf tensors."""
    state.cache.clear()


def autocast_increment_nesting() -> int:
    state.nesting += 1
    return state.nesting


def autocast_decrement_nesting() -> int:
    state.nesting -= 1
    return state.nesting


# ---- the deprecated per-device forms: torch's DeprecationWarning, then the general function --
def _deprecated(name: str, device: str, line: int):
    """torch.{is,set}_autocast_<dev>_enabled / {get,set}_autocast_<dev>_dtype."""
    verb, what = name.split("_")[0], name.rsplit("_", 1)[1]
    arg = "" if verb != "set" else ("enabled" if what == "enabled" else "dtype")
    new = f"torch.{verb}_autocast_{what}('{device}'{', ' + arg if arg else ''})"
    message = (f"torch.{name}({arg}) is deprecated. Please use {new} instead. (Triggered "
               f"internally at /__w/pytorch/pytorch/torch/csrc/autograd/init.cpp:{line}.)")
    general = {"is": is_autocast_enabled, "get": get_autocast_dtype}.get(verb) or \
        (set_autocast_enabled if what == "enabled" else set_autocast_dtype)

    def fn(*args):
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        return general(device, *args)
    fn.__name__ = fn.__qualname__ = name
    return fn


is_autocast_cpu_enabled = _deprecated("is_autocast_cpu_enabled", "cpu", 883)
set_autocast_cpu_enabled = _deprecated("set_autocast_cpu_enabled", "cpu", 874)
get_autocast_cpu_dtype = _deprecated("get_autocast_cpu_dtype", "cpu", 1016)
set_autocast_cpu_dtype = _deprecated("set_autocast_cpu_dtype", "cpu", 967)
get_autocast_gpu_dtype = _deprecated("get_autocast_gpu_dtype", "cuda", 1007)
set_autocast_gpu_dtype = _deprecated("set_autocast_gpu_dtype", "cuda", 952)
is_autocast_ipu_enabled = _deprecated("is_autocast_ipu_enabled", "ipu", 909)
set_autocast_ipu_enabled = _deprecated("set_autocast_ipu_enabled", "ipu", 900)
get_autocast_ipu_dtype = _deprecated("get_autocast_ipu_dtype", "ipu", 1025)
set_autocast_ipu_dtype = _deprecated("set_autocast_ipu_dtype", "ipu", 982)
is_autocast_xla_enabled = _deprecated("is_autocast_xla_enabled", "xla", 935)
set_autocast_xla_enabled = _deprecated("set_autocast_xla_enabled", "xla", 926)
get_autocast_xla_dtype = _deprecated("get_autocast_xla_dtype", "xla", 1034)
set_autocast_xla_dtype = _deprecated("set_autocast_xla_dtype", "xla", 997)


# ---- casting as torch's autocast kernels do (CastPolicy in aten/src/ATen/autocast_mode.h) ----
LOWER, FP32, PROMOTE = "lower_precision_fp", "fp32", "promote"
OP_POLICIES: dict = {}  # table op name -> policy, for table ops modules run directly (_lists)
_ELIGIBLE = (D.float16, D.bfloat16, D.float32)


def _eligible(t) -> bool:
    return t.dtype in _ELIGIBLE and t.device.type == "cpu"


def _widest(values, lower):
    """torch's promote_type: float32 wins over the autocast dtype; float64 is left out."""
    current = lower
    for v in values:
        if v.__class__ in (list, tuple):
            current = _widest(v, current)
        elif isinstance(v, Tensor) and _eligible(v):
            if current is D.float32 or v.dtype is D.float32:
                current = D.float32
            elif not (current is lower and v.dtype is lower):
                raise RuntimeError("Unexpected floating ScalarType in at::autocast::prioritize")
    return current


def _cast(v, to):
    """torch's cached_cast: an eligible tensor as `to`; a float32 leaf that requires grad (a
    parameter) cast to the autocast dtype once per autocast region (not a copy made under
    no_grad)."""
    if isinstance(v, Tensor):
        if v.dtype is to or not _eligible(v):
            return v
        if (to is state.dtype["cpu"] and v.dtype is D.float32 and v._rg and v._grad_fn is None
                and v._base is None and state.cache_enabled and grad_mode._modes.grad):
            hit = state.cache.get(id(v))
            if hit is None or hit[0] is not v:
                hit = state.cache[id(v)] = (v, v.to(to))
            return hit[1]
        return v.to(to)
    if v.__class__ in (list, tuple):
        return v.__class__([_cast(x, to) for x in v])
    return v


def _target(policy, values):
    lower = state.dtype["cpu"]
    return lower if policy is LOWER else D.float32 if policy is FP32 else _widest(values, lower)


def call_listed(fn, policy, when, args, kwargs):
    """Call `fn` as torch's autocast kernel would: cast the tensor arguments by the policy,
    then run it with autocast off for the ops inside. `when(*args, **kwargs)` false: the call
    does not reach the listed op; `out=` forms are not on the lists."""
    if kwargs.get("out") is not None:
        return fn(*args, **kwargs)
    if when is not None:
        try:
            listed = when(*args, **kwargs)
        except Exception:  # noqa: BLE001 - arguments the op refuses: its own error follows
            listed = False
        if not listed:
            return fn(*args, **kwargs)
    to = _target(policy, (*args, *kwargs.values()))
    args = [_cast(a, to) for a in args]
    kwargs = {k: _cast(v, to) for k, v in kwargs.items()}
    hook.cast = None
    try:
        return fn(*args, **kwargs)
    finally:
        hook.cast = cast_op


def cast_op(op, operands: tuple) -> tuple:
    """The operands of table op `op`, cast if it is on the lists (the registry's hook)."""
    policy = OP_POLICIES.get(op.name)
    if policy is None:
        return operands
    to = _target(policy, operands)
    return tuple([_cast(o, to) for o in operands])
