"""Creation ops: tensor, zeros, ones, full, arange, linspace, eye, rand, randn, ... and *_like.

Values are made on the host with numpy and moved to the device in one transfer: no XLA
compile per new shape (a jitted fill would compile once per shape).
"""
from __future__ import annotations

import builtins
import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from . import _device
from . import _storage
from ._random import rng
from ._tensor import _SHORT, Size, Tensor, _wrap

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
           "ones_like", "empty_like", "full_like", "arange", "range", "linspace", "logspace",
           "eye", "rand", "randn", "randint", "randperm", "rand_like", "randn_like",
           "randint_like", "scalar_tensor"]


def _size(size, name=None) -> tuple:
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
            if name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def _place(values: np.ndarray, device=None, requires_grad: bool = False) -> Tensor:
    if device is not None and _device.device(device).type == "cuda":
        arr = jax.device_put(values, _device.jax_device(_device.device(device)))
    else:
        arr = _device.upload(values)  # `values` is always a fresh copy
    return _requiring(_wrap(arr), requires_grad)


def _requiring(t: Tensor, requires_grad: bool) -> Tensor:
    """Set requires_grad at creation, with the creation functions' error text."""
    if requires_grad:
        if t.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t.requires_grad_(True)
    return t


# ---- torch.tensor ------------------------------------------------------------------------
def _scalar_dtype(x):
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return D.from_np(x.dtype)
    if isinstance(x, bool):
        return D.bool
    if isinstance(x, int):
        return D.int64
    if isinstance(x, float):
        return D.get_default_dtype()
    if isinstance(x, complex):
        return D.scalar_dtype(1j)
    if x is None:
        raise RuntimeError("Could not infer dtype of NoneType")
    raise TypeError(f"new(): invalid data type '{type(x).__name__}'")


def _is_seq(x) -> bool:
    # torch reads lists, tuples and arrays as sequences, never a Tensor (it must be 1 element)
    return isinstance(x, (list, tuple, builtins.range)) or (
        isinstance(x, np.ndarray) and x.ndim > 0)


def _infer(data):
    """torch.tensor's dtype inference: promote over every scalar of nested data."""
    out = None
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple, builtins.range)):
            stack.extend(x)
            continue
        d = _scalar_dtype(x)
        out = d if out is None else D.promote_types(out, d)
    return out or D.get_default_dtype()


def _sizes(data) -> list:
    """The shape torch reads from the first element at each level."""
    sizes = []
    x = data
    while _is_seq(x):
        n = len(x)
        sizes.append(n)
        if n == 0:
            break
        x = x[0]
    return sizes


def _fill(data, sizes, dim, out: list, dt):
    """Flatten nested data into `out`, checking it is rectangular as torch does."""
    if dim == len(sizes):
        if isinstance(data, Tensor) and data.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if _is_seq(data):
            tname = type(data).__name__
            if dt.kind in "iub":
                raise TypeError(f"'{tname}' object cannot be interpreted as an integer")
            raise TypeError(f"must be real number, not {tname}")
        if isinstance(data, Tensor):
            data = data.item()
        elif isinstance(data, np.ndarray):
            data = data.reshape(()).item() if data.size == 1 else data
        out.append(data)
        return
    if not _is_seq(data):
        raise TypeError("not a sequence")
    if len(data) != sizes[dim]:
        raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got "
                         f"{len(data)})")
    for x in data:
        _fill(x, sizes, dim + 1, out, dt)


def _values(data, dt) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return np.array(data, dtype=dt.np)
    if isinstance(data, Tensor):
        return np.array(np.asarray(data._data), dtype=dt.np)
    sizes = _sizes(data)
    try:  # fast path: numpy reads the nested data as torch would
        arr = np.array(data, dtype=dt.np)
        if arr.shape == tuple(sizes) and arr.dtype != object:
            return arr
    except (ValueError, TypeError, OverflowError):
        pass
    flat: list = []
    _fill(data, sizes, 0, flat, dt)
    for v in flat:
        if isinstance(v, int) and not isinstance(v, bool) and not -2 ** 63 <= v < 2 ** 64:
            raise ValueError("Overflow when unpacking long long")
    try:
        arr = np.array(flat, dtype=dt.np)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    return arr.reshape(sizes)


def tensor(data, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """torch.tensor: always copies; infers torch's dtype from the data."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    if isinstance(data, (np.ndarray, np.generic)):
        dt = D.from_np(data.dtype) if dtype is None else D.to_dtype(dtype)
        values = np.array(data, dtype=dt.np)
    elif dtype is None and data.__class__ is list and data and all(
            [v.__class__ is float for v in data]):  # the common case: a flat list of floats
        values = np.array(data, dtype=D.get_default_dtype().np)
    else:
        dt = _infer(data) if dtype is None else D.to_dtype(dtype)
        values = _values(data, dt)
    return _place(values, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        return data if dtype is None or D.to_dtype(dtype) is data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or D.to_dtype(dtype).np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr: np.ndarray) -> Tensor:
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    D.from_np(arr.dtype)  # torch's error for a dtype it has no tensors of
    if any(s < 0 for s in arr.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    if not arr.flags.writeable or any(s % arr.itemsize for s in arr.strides):
        return _wrap(_device.upload(np.array(arr)))
    t = _wrap(None)
    _storage.share_host(t, arr)  # t's storage is arr's memory, as in torch
    if not arr.flags.c_contiguous:  # torch keeps numpy's strides
        t._st = t.__dict__["_host_st"] = (arr.shape, tuple(s // arr.itemsize
                                                           for s in arr.strides))
    return t


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False):
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    return _place(np.array(s, dtype=dt.np), device, requires_grad)


# ---- filled tensors ----------------------------------------------------------------------
_FILLED: dict = {}


def _filled(name, size, value, dtype, device, requires_grad) -> Tensor:
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    shape = _size(size, name)
    if device is None and math.prod(shape) <= 4096 and type(value) is int:
        # Small constant fills are cached: jax arrays are immutable (in-place ops replace a
        # tensor's array, and never donate one that something else holds), so sharing one is
        # safe, and a host->device copy costs ~10 us.
        key = (shape, dt, value)  # ints only: 0.0 == -0.0 and nan != nan would alias
        arr = _FILLED.get(key)
        if arr is None:
            if len(_FILLED) > 1024:
                _FILLED.clear()
            arr = _FILLED[key] = jnp.asarray(np.full(shape, value, dt.np))
        return _requiring(_wrap(arr), requires_grad)
    return _place(np.full(shape, value, dt.np), device, requires_grad)


def _need_size(name, size):
    if not size:
        raise TypeError(f"{name}() missing 1 required positional arguments: \"size\"")


def _factory_out(fn):
    """torch's out= for a factory: the values are made in out's dtype (a `dtype=` must be it)
    and land in out (resized, silently), which is returned."""
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        dtype = kwargs.get("dtype")
        if dtype is not None and D.to_dtype(dtype) is not out.dtype:
            raise RuntimeError(f"dtype {_SHORT[D.to_dtype(dtype).name]} does not match dtype of "
                               f"out parameter ({_SHORT[out.dtype.name]})")
        kwargs["dtype"] = out.dtype
        out._set_data(fn(*args, **kwargs)._data)
        return out
    return wrapper


@_factory_out
def zeros(*size, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False) -> Tensor:
    _need_size("zeros", size)
    return _filled("zeros", size, 0, dtype, device, requires_grad)


@_factory_out
def ones(*size, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    _need_size("ones", size)
    return _filled("ones", size, 1, dtype, device, requires_grad)


@_factory_out
def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
          memory_format=None, pin_memory=False) -> Tensor:
    _need_size("empty", size)
    return _filled("empty", size, 0, dtype, device, requires_grad)


def _fill_dtype(value) -> D.dtype:
    if isinstance(value, Tensor):
        return value.dtype
    if isinstance(value, (np.bool_, bool)):
        return D.bool
    if isinstance(value, (int, np.integer)):
        return D.int64
    if isinstance(value, (float, np.floating)):
        return D.get_default_dtype()
    return D.scalar_dtype(complex(value))


@_factory_out
def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    if not isinstance(size, (tuple, list, Size)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if dtype is None:
        dtype = _fill_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled("full", (size,), fill_value, dtype, device, requires_grad)


def _like(fn, t: Tensor, dtype, device, requires_grad, *args) -> Tensor:
    return fn(tuple(t.shape), *args, dtype=dtype or t.dtype, device=device or t.device,
              requires_grad=requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return _like(zeros, input, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


# ---- ranges ------------------------------------------------------------------------------
def _num(x):
    return x.item() if isinstance(x, Tensor) else x


@_factory_out
def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, (float, np.floating)) for v in (start, end, step))
        dt = D.get_default_dtype() if is_float else D.int64
    else:
        dt = D.to_dtype(dtype)
    if dt.kind in "iu" and any(isinstance(v, float) for v in (start, end, step)):
        start, end, step = (int(v) if isinstance(v, float) else v for v in (start, end, step))
    if step == 0:
        raise (ValueError if dtype is not None and dt.kind in "iu" else RuntimeError)(
            "step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = builtins.max(0, math.ceil((end - start) / step))
    if dt.kind in "fc":
        values = start + np.arange(n, dtype=np.float64) * step
    else:
        values = start + np.arange(n, dtype=np.int64) * step
    return _place(values.astype(dt.np), device, requires_grad)


@_factory_out
def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
          requires_grad=False):
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    return _place((start + np.arange(n) * step).astype(dt.np), device, requires_grad)


def _linspace_values(start, end, steps, dt) -> np.ndarray:
    """torch's CPU kernel: the first half counts up from start, the second half down from end,
    each as one fused multiply-add in the output precision (wide enough intermediates here)."""
    if steps == 0:
        return np.zeros(0)
    if steps == 1:
        return np.array([start], dtype=np.float64)
    if dt is D.float64 or dt.kind in "iu":
        wide, narrow = np.longdouble, np.float64
    else:
        wide, narrow = np.float64, np.float32
    step = narrow((narrow(end) - narrow(start)) / narrow(steps - 1))
    i = np.arange(steps)
    half = steps // 2
    up = wide(narrow(start)) + wide(step) * i.astype(wide)
    down = wide(narrow(end)) - wide(step) * (steps - 1 - i).astype(wide)
    return np.where(i < half, up, down).astype(narrow)


@_factory_out
def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    start, end = _num(start), _num(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    vals = _linspace_values(start, end, steps, dt)
    if dt.kind in "iu":
        vals = np.trunc(vals)
    return _place(vals.astype(dt.np), device, requires_grad)


@_factory_out
def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None,
             layout=None, device=None, requires_grad: bool = False) -> Tensor:
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    exps = _linspace_values(_num(start), _num(end), steps, D.float64)
    vals = np.power(float(base), exps.astype(np.float64))
    if dt.kind in "iu":
        vals = np.trunc(vals)
    return _place(vals.astype(dt.np), device, requires_grad)


@_factory_out
def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad: bool = False) -> Tensor:
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _place(np.eye(n, n if m is None else m, dtype=dt.np), device, requires_grad)


# ---- random ------------------------------------------------------------------------------
def _random_dtype(dtype, kernel):
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if dt.kind not in "fc":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_SHORT[dt.name]}'")
    return dt


@_factory_out
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory=False) -> Tensor:
    dt = _random_dtype(dtype, "check_uniform_bounds")
    shape = _size(size, "rand")
    return _place(rng(generator).uniform(shape, dt.np), device, requires_grad)


@_factory_out
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory=False) -> Tensor:
    dt = _random_dtype(dtype, "normal_kernel_cpu")
    shape = _size(size, "randn")
    return _place(rng(generator).normal(shape, dt.np), device, requires_grad)


@_factory_out
def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad: bool = False) -> Tensor:
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if not isinstance(size, (tuple, list, Size)):
        raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{type(size).__name__}")
    low, high = int(_num(low)), int(_num(high))
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    shape = _size((size,), "randint")
    return _place(rng(generator).integers(low, high, shape).astype(dt.np), device,
                  requires_grad)


@_factory_out
def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory=False) -> Tensor:
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    return _place(rng(generator).permutation(n).astype(dt.np), device, requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return rand(tuple(input.shape), dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return randn(tuple(input.shape), dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   requires_grad=requires_grad)


# ---- legacy constructors -----------------------------------------------------------------
def _legacy_new(cls, args, kwargs):
    """torch.Tensor(...) / torch.FloatTensor(...): float32 (the default dtype) by default."""
    dtype = getattr(cls, "_legacy_dtype", None) or D.get_default_dtype()
    if not args:
        t = zeros(0, dtype=dtype)
    elif builtins.all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                      for a in args) or (len(args) == 1 and isinstance(args[0], Size)):
        t = zeros(*args, dtype=dtype)
    elif len(args) == 1 and isinstance(args[0], Tensor):
        if cls is not Tensor and args[0].dtype is not dtype:
            raise TypeError(f"expected {D._BY_NAME[dtype.name]} (got {args[0].dtype})")
        return args[0]
    elif len(args) == 1 and not _is_seq(args[0]) and not isinstance(args[0], np.ndarray):
        raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
    else:
        t = tensor(args[0], dtype=dtype)
    if cls is not Tensor and issubclass(cls, Tensor):
        from ._tensor import _init
        return _init(object.__new__(cls), t._data)
    return t
