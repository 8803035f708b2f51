"""Random creation ops: rand, randn, randint, randperm and their *_like (torch.* names, listed in
_creation.__all__). Samples come from torchlike's generator on the host; on the meta device
nothing is drawn. randint's bounds and arguments are checked as torch checks them."""
from __future__ import annotations

import numpy as np

from . import _bounds
from . import _dtype as D
from ._bounds import size as _size
from ._creation import _factory_out, _meta_or_checked, _place, _where
from ._random import rng
from ._tensor import _SHORT, Size, Tensor


def _random_dtype(dtype, kernel):
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if dt.kind not in "fc":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_SHORT[dt.name]}'")
    return dt


@_factory_out
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory=False) -> Tensor:
    where = _where(device)
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    made = _meta_or_checked(_size(size, "rand"), dt, where, requires_grad)
    if made is not None:  # nothing drawn, no dtype check: as torch's meta kernel
        return made
    dt = _random_dtype(dtype, "check_uniform_bounds")
    return _place(rng(generator).uniform(_size(size), dt.np), where, requires_grad)


@_factory_out
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory=False) -> Tensor:
    where = _where(device)
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if where is not None and where.type == "meta" and dt.kind not in "fc":
        raise RuntimeError(f"expected a floating-point or complex dtype, but got dtype={dt}")
    made = _meta_or_checked(_size(size, "randn"), dt, where, requires_grad)
    if made is not None:
        return made
    dt = _random_dtype(dtype, "normal_kernel_cpu")
    return _place(rng(generator).normal(_size(size), dt.np), where, requires_grad)


_RANDINT = ("int high, tuple of ints size, *, torch.Generator generator, Tensor out = None, "
            "torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
            "bool pin_memory = False, bool requires_grad = False")
_RANDINT_SIGS = (_RANDINT, _RANDINT.replace("torch.Generator generator, ", ""),
                 "int low, " + _RANDINT,
                 "int low, " + _RANDINT.replace("torch.Generator generator, ", ""))


def _randint_bound(v):
    """randint's low/high: an int (or a one-element integer tensor); None when torch's parser
    would refuse it."""
    if isinstance(v, Tensor):
        return int(v.item()) if v.dtype.kind in "iu" and v.numel() == 1 else None
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        if not -2 ** 63 <= v < 2 ** 63:
            raise ValueError("Overflow when unpacking long long")
        return int(v)
    return None


@_factory_out
def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad: bool = False) -> Tensor:
    given = [a for a in (low, high, size) if a is not None]
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if not isinstance(size, (tuple, list, Size)):
        raise TypeError(f"randint(): argument 'size' (position {len(given)}) must be tuple of "
                        f"ints, not {type(size).__name__}")
    lo, hi = _randint_bound(low), _randint_bound(high)
    if lo is None or hi is None:
        if len(given) == 2:
            raise TypeError(f"randint(): argument 'high' (position 1) must be int, not "
                            f"{type(high).__name__}")
        kw = {k: v for k, v in (("generator", generator), ("dtype", dtype),
                                ("device", device)) if v is not None}
        raise _bounds.invalid_arguments("randint", given, kw, _RANDINT_SIGS)
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    where = _where(device)
    shape = _size((size,), "randint")
    if lo >= hi:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} "
                           f">= to={hi}")
    made = _meta_or_checked(shape, dt, where, requires_grad)
    if made is not None:
        return made
    lo, hi = _bounds.random_range(lo, hi, dt)
    return _place(rng(generator).integers(lo, hi, shape).astype(dt.np), where, requires_grad)


@_factory_out
def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory=False) -> Tensor:
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    where = _where(device)
    made = _meta_or_checked((n,), dt, where, requires_grad)
    if made is not None:
        return made
    if dt.kind == "b":
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    _bounds.check_fill(n - 1 if n > 0 else n, dt, 1)
    top = {"float16": ("2049", 2 ** 11 + 1), "float32": ("2^24+1", 2 ** 24 + 1),
           "float64": ("2^53+1", 2 ** 53 + 1)}.get(dt.name)
    if top is not None and n > top[1]:
        kind = {"float16": "Half", "float32": "Float", "float64": "Double"}[dt.name]
        raise RuntimeError(f"n cannot be greater than {top[0]} for {kind} type.")
    return _place(rng(generator).permutation(n).astype(dt.np), where, requires_grad)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None) -> Tensor:
    return rand(tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None) -> Tensor:
    return randn(tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                 device=device or input.device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype or input.dtype, device=device or input.device,
                   requires_grad=requires_grad)
