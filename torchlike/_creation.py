"""Creation ops: tensor, zeros, ones, full, arange, linspace, eye, rand, randn, ... and *_like.

Values are made on the host with numpy and moved to the device in one transfer: no XLA
compile per new shape (a jitted fill would compile once per shape).
"""
from __future__ import annotations

import builtins
import math

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from . import _device
from ._random import rng
from ._tensor import Size, Tensor, _wrap

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
           "ones_like", "empty_like", "full_like", "arange", "range", "linspace", "logspace",
           "eye", "rand", "randn", "randint", "randperm", "rand_like", "randn_like",
           "randint_like"]


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"size must be tuple of ints, but got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


def _place(values: np.ndarray, device=None, requires_grad: bool = False) -> Tensor:
    if device is not None and _device.device(device).type == "cuda":
        arr = jax.device_put(values, _device.jax_device(_device.device(device)))
    else:
        arr = jnp.asarray(values)
    return _requiring(_wrap(arr), requires_grad)


def _requiring(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        if t.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._rg = True
    return t


def _infer(data) -> D.dtype:
    """torch.tensor's dtype inference for nested Python data."""
    kinds = set()
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            kinds.add(x.dtype)
        elif isinstance(x, np.ndarray):
            kinds.add(D.from_np(x.dtype))
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (bool, np.bool_)):
            kinds.add(D.bool)
        elif isinstance(x, (int, np.integer)):
            kinds.add(D.int64)
        elif isinstance(x, (float, np.floating)):
            kinds.add(D.get_default_dtype())
        elif isinstance(x, (complex, np.complexfloating)):
            kinds.add(D.scalar_dtype(1j))
        else:
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    out = None
    for k in kinds:
        out = k if out is None else D.promote_types(out, k)
    return out or D.get_default_dtype()


def _to_numpy(data):
    if isinstance(data, Tensor):
        return np.asarray(data._data)
    if isinstance(data, (list, tuple)):
        return [_to_numpy(x) for x in data]
    return data


def tensor(data, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """torch.tensor: always copies; infers torch's dtype from the data."""
    if isinstance(data, np.ndarray):
        dt = D.from_np(data.dtype) if dtype is None else D.to_dtype(dtype)
        values = np.array(data, dtype=dt.np)
    else:
        dt = _infer(data) if dtype is None else D.to_dtype(dtype)
        values = np.array(_to_numpy(data), dtype=dt.np)
        if values.dtype == object:
            raise ValueError("expected sequence of equal-length lists")
    return _place(values, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        return data if dtype is None or D.to_dtype(dtype) is data.dtype else data.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr: np.ndarray) -> Tensor:
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    return _wrap(jnp.asarray(arr, dtype=D.from_np(arr.dtype).np))


_FILLED: dict = {}


def _filled(size, value, dtype, device, requires_grad) -> Tensor:
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    shape = _size(size)
    if device is None and math.prod(shape) <= 4096 and not isinstance(value, Tensor):
        # Small constant fills are cached: jax arrays are immutable (in-place ops replace a
        # tensor's array), so sharing one is safe, and a host->device copy costs ~10 us.
        key = (shape, dt, type(value), value)
        arr = _FILLED.get(key)
        if arr is None:
            if len(_FILLED) > 1024:
                _FILLED.clear()
            arr = _FILLED[key] = jnp.asarray(np.full(shape, value, dt.np))
        return _requiring(_wrap(arr), requires_grad)
    return _place(np.full(shape, value, dt.np), device, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False) -> Tensor:
    return _filled(size, 0, dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    return _filled(size, 1, dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
          memory_format=None, pin_memory=False) -> Tensor:
    return _filled(size, 0, dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = D.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor)
                               else fill_value)
    return _filled((size,), fill_value, dtype, device, requires_grad)


def _like(fn, t: Tensor, dtype, device, requires_grad, *args) -> Tensor:
    return fn(t.shape, *args, dtype=dtype or t.dtype, device=device or t.device,
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
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dt = D.get_default_dtype() if is_float else D.int64
    else:
        dt = D.to_dtype(dtype)
    n = math.ceil((end - start) / step)
    values = (start + np.arange(n, dtype=np.float64) * step) if dt.kind == "f" else \
        np.arange(start, end, step)
    return _place(values.astype(dt.np), device, requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    return _place((start + np.arange(n) * step).astype(dt.np), device, requires_grad)


def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    start, end = _num(start), _num(end)
    # torch fills the first half from start and the second half from end
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    vals = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    if dt.kind in "iu":
        vals = np.trunc(vals)
    return _place(vals.astype(dt.np), device, requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None,
             layout=None, device=None, requires_grad: bool = False) -> Tensor:
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    exps = linspace(start, end, steps, dtype=D.float64)
    return _place(np.power(base, np.asarray(exps._data)).astype(dt.np), device, requires_grad)


def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad: bool = False) -> Tensor:
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    return _place(np.eye(n, n if m is None else m, dtype=dt.np), device, requires_grad)


def _random_dtype(dtype):
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    return dt


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    dt = _random_dtype(dtype)
    return _place(rng(generator).random(_size(size)).astype(dt.np), device, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False) -> Tensor:
    dt = _random_dtype(dtype)
    return _place(rng(generator).standard_normal(_size(size)).astype(dt.np), device,
                  requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad: bool = False) -> Tensor:
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    return _place(rng(generator).integers(low, high, _size((size,))).astype(dt.np), device,
                  requires_grad)


def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    return _place(rng(generator).permutation(n).astype(dt.np), device, requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None) -> Tensor:
    return randint(low, high, input.shape, dtype=dtype or input.dtype)


def _legacy_new(cls, args, kwargs):
    """torch.Tensor(...) / torch.FloatTensor(...): float32 (the default dtype) by default."""
    dtype = getattr(cls, "_legacy_dtype", None) or D.get_default_dtype()
    if not args:
        t = zeros(0, dtype=dtype)
    elif builtins.all(isinstance(a, int) for a in args) or (
            len(args) == 1 and isinstance(args[0], Size)):
        t = zeros(*args, dtype=dtype)
    elif len(args) == 1 and isinstance(args[0], Tensor):
        return args[0]
    else:
        t = tensor(args[0], dtype=dtype)
    if cls is not Tensor and issubclass(cls, Tensor):
        from ._tensor import _init
        return _init(object.__new__(cls), t._data)
    return t
