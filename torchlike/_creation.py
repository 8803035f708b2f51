"""Creation ops: tensor, zeros, ones, full, arange, linspace, eye, rand, randn, ... and *_like.

Values are made on the host with numpy and moved to the device in one transfer: no XLA
compile per new shape (a jitted fill would compile once per shape). On the meta device no
values are made (and nothing is drawn from the generator). Size and value checks: _bounds.py.
"""
from __future__ import annotations

import builtins
import functools
import math
import warnings

import jax
import numpy as np

from . import _bounds
from . import _dtype as D
from . import _device
from . import _meta
from . import _storage
from ._bounds import size as _size
from ._device import get_default_device, set_default_device
from ._tensor import _SHORT, Size, Tensor, _wrap

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
           "ones_like", "empty_like", "full_like", "arange", "range", "linspace", "logspace",
           "eye", "rand", "randn", "randint", "randperm", "rand_like", "randn_like",
           "randint_like", "scalar_tensor", "get_default_device", "set_default_device"]


def _where(device):
    """The device a factory makes its tensor on: None for the CPU, else a torch device. With
    no device= it is the default (`with torch.device(...)`, torch.set_default_device)."""
    if device is None:
        return _device._defaults.factory
    if device.__class__ is not _device.device:
        device = _device.device(device)
    return None if device.type == "cpu" else device


def _meta_or_checked(shape: tuple, dt, where, requires_grad: bool):
    """On the meta device, the new tensor (no values made); else None, once the size passed
    torch's checks (overflow; on the CPU, the machine's memory)."""
    meta = where is not None and where.type == "meta"
    _bounds.check_alloc(shape, dt.itemsize, cpu=where is None)
    return _requiring(_meta.empty(shape, dt.np), requires_grad) if meta else None


def _place(values: np.ndarray, where, requires_grad: bool = False) -> Tensor:
    """A tensor of `values` on device `where` (as _where gives it: None for the CPU)."""
    if where is None:
        arr = _device.upload(values)  # `values` is always a fresh copy
    elif where.type == "meta":
        return _requiring(_meta.empty(values.shape, values.dtype), requires_grad)
    else:
        arr = jax.device_put(values, _device.jax_device(where))
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
    integer = dt.kind in "iu"
    try:  # fast path: numpy reads the nested data as torch would
        # (integer dtypes: torch checks each Python number against the dtype)
        arr = _bounds.int_values(data, dt) if integer else np.array(data, dtype=dt.np)
        if arr is not None and arr.shape == tuple(sizes) and arr.dtype != object:
            return arr
    except (ValueError, TypeError, OverflowError) as e:
        if integer and str(e) == "Overflow when unpacking long long":
            raise
    flat: list = []
    _fill(data, sizes, 0, flat, dt)
    if integer:
        flat = [_bounds.int_value(v, dt) for v in flat]
    for v in flat:
        if isinstance(v, int) and not isinstance(v, bool) and not -2 ** 63 <= v < 2 ** 64:
            raise ValueError("Overflow when unpacking long long")
    try:
        arr = np.array(flat, dtype=np.int64 if integer else dt.np).astype(dt.np)
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
    if isinstance(data, np.generic) and dtype is not None and D.to_dtype(dtype).kind in "iu":
        values = _values(data.item(), D.to_dtype(dtype))  # a number: checked as torch does
    elif isinstance(data, (np.ndarray, np.generic)):
        dt = D.from_np(data.dtype) if dtype is None else D.to_dtype(dtype)
        values = np.array(data, dtype=dt.np)
    elif dtype is None and data.__class__ is list and data and all(
            [v.__class__ is float for v in data]):  # the common case: a flat list of floats
        values = np.array(data, dtype=D.get_default_dtype().np)
    else:
        dt = _infer(data) if dtype is None else D.to_dtype(dtype)
        values = _values(data, dt)
    return _place(values, _where(device), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        out = data if dtype is None or D.to_dtype(dtype) is data.dtype else data.to(dtype)
        return out if device is None else out.to(device)
    if isinstance(data, np.ndarray) and (dtype is None or D.to_dtype(dtype).np == data.dtype) \
            and _where(device) is None:
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
    if _where(device) is None:
        s = _bounds.converted(s, dt, 1)
    return _place(np.array(s, dtype=dt.np), _where(device), requires_grad)


# ---- filled tensors ----------------------------------------------------------------------
_FILLED: dict = {}


def _filled(name, size, value, dtype, device, requires_grad) -> Tensor:
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    where = _device._defaults.factory if device is None else _where(device)
    meta = where is not None and where.type == "meta"
    shape = _size(size, name, meta=meta)
    n = math.prod(shape)
    if name == "full" and not meta:  # torch checks the value on the CPU, not on meta
        value = _bounds.converted(value, dt, n)
    if where is None and 0 < n <= 4096 and type(value) is int:
        # Small constant fills are cached: jax arrays are immutable (in-place ops replace a
        # tensor's array, and never donate one that something else holds), so sharing one is
        # safe, and a host->device copy costs ~10 us.
        key = (shape, dt, value)  # ints only: 0.0 == -0.0 and nan != nan would alias
        arr = _FILLED.get(key)
        if arr is None:
            if len(_FILLED) > 1024:
                _FILLED.clear()
            arr = _FILLED[key] = _device.as_array(np.full(shape, value, dt.np))
        return _requiring(_wrap(arr), requires_grad)
    made = _meta_or_checked(shape, dt, where, requires_grad)
    if made is not None:
        return made
    with np.errstate(over="ignore"):  # a double beyond half's range fills inf, as in torch
        values = np.full(shape, value, dt.np)
    return _place(values, where, requires_grad)


def _need_size(name, size):
    if not size:
        raise TypeError(f"{name}() missing 1 required positional arguments: \"size\"")


def _new_filled(name, size, value, dtype, device, requires_grad) -> Tensor:
    """Tensor.new_zeros / new_ones / new_empty (their names in torch's errors)."""
    _need_size(name, size)
    return _filled(name, size, value, dtype, device, requires_grad)


def _factory_out(fn):
    """torch's out= for a factory: the values are made in out's dtype (a `dtype=` must be it)
    and land in out (resized, silently), which is returned."""
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            try:
                return fn(*args, **kwargs)
            except MemoryError as e:  # below the machine's memory, but more than is free
                n = math.prod(getattr(e, "shape", ())) * getattr(e, "dtype", np.dtype("u1"))\
                    .itemsize
                raise _bounds.alloc_error(n) from None
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
    where = _where(device)
    meta = where is not None and where.type == "meta"
    if dt.kind in "bc" and not meta:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_SHORT[dt.name]}'")
    # torch computes in int64 for integer dtypes (checked), in double otherwise
    start, end, step = (_bounds.check_fill(v, D.int64 if dt.kind in "iu" else D.float64)
                        for v in (start, end, step))
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
    if dt is D.int64 and _int64_size_overflows(start, end, step):
        raise RuntimeError("invalid size, possible overflow?")
    made = _meta_or_checked((n,), dt, where, requires_grad)
    if made is not None:
        return made
    if dt.kind in "fc":
        values = start + np.arange(n, dtype=np.float64) * step
    else:
        values = start + np.arange(n, dtype=np.int64) * step
    return _place(values.astype(dt.np), where, requires_grad)


def _int64_size_overflows(start, end, step) -> bool:
    """torch's int64 arange size, (end - start + step - sign(step)) / step, wraps in int64."""
    v = (end - start + step - (1 if step > 0 else -1) + 2 ** 63) % 2 ** 64 - 2 ** 63
    return (v < 0) != (step < 0) and v != 0


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
    where = _where(device)
    made = _meta_or_checked((n,), dt, where, requires_grad)
    if made is not None:
        return made
    return _place((start + np.arange(n) * step).astype(dt.np), where, requires_grad)


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


def _spaced(start, end, steps, dtype, device, requires_grad, base=None) -> Tensor:
    """linspace / logspace (base given): torch converts the ends to the dtype first
    (checked; a negative int wraps into an unsigned dtype)."""
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    where = _where(device)
    made = _meta_or_checked((steps,), dt, where, requires_grad)
    if made is not None:
        return made
    start, end = (_bounds.converted(_num(v), dt) for v in (start, end))
    if base is None:
        vals = _linspace_values(start, end, steps, dt)
    else:
        exps = _linspace_values(start, end, steps, D.float64)
        vals = np.power(float(base), exps.astype(np.float64))
    if dt.kind in "iu":
        vals = np.trunc(vals).astype(np.int64)
    return _place(vals.astype(dt.np), where, requires_grad)


@_factory_out
def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    return _spaced(start, end, steps, dtype, device, requires_grad)


@_factory_out
def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None,
             layout=None, device=None, requires_grad: bool = False) -> Tensor:
    return _spaced(start, end, steps, dtype, device, requires_grad, base)


@_factory_out
def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad: bool = False) -> Tensor:
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    m = n if m is None else m
    if n * m > 2 ** 63 - 1:
        raise RuntimeError("numel: integer multiplication overflow")
    where = _where(device)
    made = _meta_or_checked((n, m), dt, where, requires_grad)
    if made is not None:
        return made
    return _place(np.eye(n, m, dtype=dt.np), where, requires_grad)


# ---- legacy constructors -----------------------------------------------------------------
def _legacy_new(cls, args, kwargs):
    """torch.Tensor(...) / torch.FloatTensor(...): float32 (the default dtype) by default."""
    dtype = getattr(cls, "_legacy_dtype", None) or D.get_default_dtype()
    if not args:  # (the legacy constructors ignore the default device, as in torch)
        t = zeros(0, dtype=dtype, device="cpu")
    elif builtins.all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                      for a in args) or (len(args) == 1 and isinstance(args[0], Size)):
        t = zeros(*args, dtype=dtype, device="cpu")
    elif len(args) == 1 and isinstance(args[0], Tensor):
        if cls is not Tensor and args[0].dtype is not dtype:
            raise TypeError(f"expected {D._BY_NAME[dtype.name]} (got {args[0].dtype})")
        return args[0]
    elif len(args) == 1 and not _is_seq(args[0]) and not isinstance(args[0], np.ndarray):
        raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
    else:
        t = tensor(args[0], dtype=dtype, device="cpu")
    if cls is not Tensor and issubclass(cls, Tensor):
        from ._tensor import _init
        return _init(object.__new__(cls), t._data)
    return t


# the random factories (rand, randn, randint, randperm, *_like) live beside: listed in __all__
from ._creation_random import rand, rand_like, randint, randint_like, randn, randn_like, randperm  # noqa: E402,E501
