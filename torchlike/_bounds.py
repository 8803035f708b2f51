"""What a factory checks before it makes a tensor, in torch's words: the size (negative
dimensions, storage and stride overflow, more bytes than the machine has) and values against
the dtype (torch's checked conversions of fill values, torch.tensor's data, random_'s range).
"""
from __future__ import annotations

import math
import os
import warnings

import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._tensor import _CTYPE, Size, Tensor

_INT64_MAX = 2 ** 63 - 1


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # no sysconf: only overflow is refused
        return _INT64_MAX


# A CPU tensor larger than the machine's memory fails as torch's allocator fails (torch's
# malloc fails there with the kernel's default overcommit rule), before numpy tries.
MEMORY = _physical_memory()


# ---- sizes -------------------------------------------------------------------------------
def size(size, name=None, meta: bool = False) -> tuple:
    """A factory's size arguments (ints, or one sequence of them) as a shape tuple."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor) and s.ndim == 0 and s.dtype.kind in "iu":
            s = int(s)
        if not isinstance(s, (int, np.integer)) or isinstance(s, (bool, np.bool_)):
            raise TypeError(f"{name or 'empty'}(): argument 'size' (position 1) must be tuple "
                            f"of ints, not {type(s).__name__}")
        out.append(int(s))
    for s in out:
        if s < 0:
            if name == "zeros" and not meta:
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def alloc_error(nbytes: int) -> RuntimeError:
    """torch's CPU allocator failing (the file and line are those of torch 2.13's build)."""
    return RuntimeError(f"[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: "
                        f"can't allocate memory: you tried to allocate {nbytes} bytes. Error "
                        "code 12 (Cannot allocate memory)")


def check_alloc(shape: tuple, itemsize: int, cpu: bool = True) -> None:
    """torch's checks of a new tensor's size: its storage's byte count and its strides must
    fit int64; on the CPU, its bytes must fit the machine's memory."""
    nbytes = math.prod(shape) * itemsize
    if 0 < nbytes <= MEMORY:
        return
    prod, overflow = 1, False
    for s in shape:  # the element count as torch multiplies it (uint64, overflow sticks)
        prod *= s
        if prod >= 2 ** 64:
            overflow, prod = True, prod % 2 ** 64
    if overflow or prod * itemsize > _INT64_MAX:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    stride = 1
    for s in reversed(shape[1:]):
        stride *= max(s, 1)
        if stride > _INT64_MAX:
            raise RuntimeError("Stride calculation overflowed")
    if cpu and nbytes > MEMORY:
        raise alloc_error(nbytes)


# ---- values against a dtype ----------------------------------------------------------------
# The C++ type names torch's checked conversions (Scalar::to<T>) print.
_CPP = {"bool": "bool", "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t",
        "int32": "int", "int64": "int64_t", "float16": "c10::Half",
        "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
        "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _limits(dt) -> tuple:
    if dt.kind in "iu":
        info = np.iinfo(dt.np)
        return int(info.min), int(info.max)
    real = dt.to_real().np if dt.kind == "c" else dt.np
    top = float(jnp.finfo(real).max)
    return -top, top


def _overflows(value, dt) -> bool:
    """c10::overflows<T>(value): value (a Python int, float or complex) does not fit dtype
    dt. Negative ints fit an unsigned dtype down to -max (they wrap, as in C)."""
    if isinstance(value, complex):
        if dt.kind != "c" and value.imag != 0:
            return True
        return _overflows(value.real, dt) or _overflows(value.imag, dt)
    lo, hi = _limits(dt)
    if isinstance(value, int):
        if dt.kind == "u" and value < 2 ** 63:
            return value > hi or (value < 0 and -value > hi)
        return value < lo or value > hi
    if math.isnan(value) or math.isinf(value):  # only floating types have nan and inf
        return dt.kind in "iu"
    return value < lo or value > hi


def as_scalar(value):
    """A fill value as the C++ Scalar torch makes of it: a Python bool, int (int64 or uint64),
    float or complex; torch's OverflowError for an int beyond both."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        value = int(value)
        if value >= 2 ** 64:
            raise OverflowError("int too big to convert")
        if value < -2 ** 63:
            raise OverflowError("can't convert negative int to unsigned")
        return value
    if isinstance(value, (float, np.floating)):
        return float(value)
    return complex(value)


def check_fill(value, dt, numel: int = 2):
    """torch's checked conversion of a fill value to dtype dt (full, fill_, linspace's ends);
    returns the value as a Python number. A one-element half/bfloat16 tensor is filled through
    a double in torch (its overflow check is double's)."""
    value = as_scalar(value)
    if dt.kind == "b" or value.__class__ is bool:
        return value
    if numel == 1 and dt.name in ("float16", "bfloat16"):
        dt = D.float64
    if _overflows(value, dt):
        raise RuntimeError(f"value cannot be converted to type {_CPP[dt.name]} without "
                           "overflow")
    return value


def converted(value, dt, numel: int = 2):
    """A fill value converted to dtype dt as torch's Scalar::to<T> does (checked; a negative
    int wraps into an unsigned dtype, a float is truncated into an integer one)."""
    value = check_fill(value, dt, numel)
    if isinstance(value, complex) and dt.kind != "c":
        value = value.real
    if dt.kind in "iu":
        return int(np.array(int(value), np.int64).astype(dt.np))
    return value


def int_values(data, dt) -> np.ndarray | None:
    """torch.tensor's data for an integer dtype, checked as torch checks each Python number
    (floats must fit the dtype; ints may wrap into an unsigned one from as low as -max), as an
    array of that dtype; None where numpy cannot read `data` as numbers (the caller's path)."""
    try:
        raw = np.array(data)
    except (ValueError, TypeError, OverflowError):
        return None
    if raw.dtype == dt.np:
        return raw
    kind = raw.dtype.kind
    if kind == "b":
        return raw.astype(dt.np)
    if kind == "u":  # ints beyond int64
        raise ValueError("Overflow when unpacking long long")
    if kind not in "if":
        return None
    lo, hi = _limits(dt)
    if kind == "i":
        low = -hi if dt.kind == "u" else lo
        bad = raw.size and (raw.min() < low or raw.max() > hi)
    else:
        bad = raw.size and (np.isnan(raw).any() or raw.min() < lo or raw.max() > hi)
        if bad and dt.kind == "u":
            return None  # negative ints among floats may wrap: element by element instead
    if bad:
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    return np.trunc(raw).astype(np.int64).astype(dt.np) if kind == "f" else raw.astype(dt.np)


def int_value(v, dt) -> int:
    """One Python number of torch.tensor's data for an integer dtype, checked as torch does."""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (complex, np.complexfloating)):
        raise TypeError(f"'{type(v).__name__}' object cannot be interpreted as an integer")
    if isinstance(v, (int, np.integer)):
        v = int(v)
        if not -2 ** 63 <= v <= _INT64_MAX:
            raise ValueError("Overflow when unpacking long long")
    else:
        v = float(v)
    if _overflows(v, dt):
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    return int(v)


# ---- random_ / randint ---------------------------------------------------------------------
_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def random_range(lo: int, to, dt) -> tuple[int, int]:
    """torch's checks of random_(from, to) (randint's too) for dtype dt; returns [lo, hi) to
    draw from. to None: up to the dtype's largest value (2**digits for floating dtypes)."""
    if to is not None:
        if lo >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} "
                               f">= to={to}")
        _in_range(lo, to - 1, dt)
        return lo, to
    if dt.kind == "f":
        top = 1 << _DIGITS[dt.name]
        if not lo < top:
            raise RuntimeError("random_ expects 'from' casted to dtype to be less than or equal "
                               f"to 'to_inc' casted to dtype, but got from={lo} > to_inc={top}")
    elif dt.kind in "biu":
        top = 1 if dt.kind == "b" else _limits(dt)[1]
    else:
        raise RuntimeError("random_from_to_kernel handles only integral, floating-point and "
                           "boolean types")
    _in_range(lo, top, dt)
    return lo, top + 1


def _in_range(lo: int, top: int, dt) -> None:
    if dt.kind not in "biuf":
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    low, high = (0, 1) if dt.kind == "b" else _limits(dt)
    name = _CTYPE[dt.name]  # the dtype's C++ type, as typeid spells it
    for v, what in ((lo, "from"), (top, "to - 1")):
        if not low <= v <= high:
            raise RuntimeError(f"{what} is out of bounds for {name}")
    if dt.kind == "f":
        d = _DIGITS[dt.name]
        for v, what in ((lo, "from"), (top, "to - 1")):
            if not -(1 << d) <= v <= 1 << d:
                warnings.warn(f"{what} is out of bounds [-(2^{d}), 2^{d}]. Due to precision "
                              f"limitations {name} can support discrete uniform distribution "
                              "only within this range. This warning will become an error in "
                              "version 1.7 release, please fix the code in advance",
                              UserWarning, stacklevel=4)


def invalid_arguments(name: str, args, kwargs, signatures, marked: str = "") -> TypeError:
    """torch's argument parser rejecting every overload of `name`."""
    got = [_type_name(a) for a in args] + [f"{k}={_type_name(v)}" for k, v in kwargs.items()]
    lines = "".join(f" * ({s})\n" + (marked if i == 0 else "")
                    for i, s in enumerate(signatures))
    return TypeError(f"{name}() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:\n{lines}")


def _type_name(v) -> str:
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, D.dtype):
        return "torch.dtype"
    mod = type(v).__module__
    return type(v).__name__ if mod == "builtins" else f"torch.{type(v).__name__}"
