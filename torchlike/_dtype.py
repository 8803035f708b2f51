"""torch dtypes <-> jax/numpy dtypes, one two-way table, and torch's type promotion."""
from __future__ import annotations

import builtins

import jax.numpy as jnp
import numpy as np


class dtype:
    """A torch dtype: `torch.float32` and friends."""

    __slots__ = ("name", "np", "kind", "itemsize", "aliases")

    def __init__(self, name: str, np_dtype, kind: str, aliases: tuple[str, ...] = ()):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.kind = kind  # 'b' bool, 'u'/'i' integer, 'f' floating, 'c' complex
        self.itemsize = self.np.itemsize
        self.aliases = aliases

    def __repr__(self) -> str:
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_floating_point(self) -> bool:
        return self.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.kind == "c"

    @property
    def is_signed(self) -> bool:
        return self.kind in "ifc"

    def to_real(self) -> "dtype":
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> "dtype":
        # float16 would be complex32 in torch, which torchlike lacks: complex64 instead.
        return {"float32": complex64, "float64": complex128, "float16": complex64,
                "bfloat16": complex64}.get(self.name, self)


bool = dtype("bool", np.bool_, "b")
uint8 = dtype("uint8", np.uint8, "u")
int8 = dtype("int8", np.int8, "i")
int16 = dtype("int16", np.int16, "i", ("short",))
int32 = dtype("int32", np.int32, "i", ("int",))
int64 = dtype("int64", np.int64, "i", ("long",))
float16 = dtype("float16", np.float16, "f", ("half",))
bfloat16 = dtype("bfloat16", jnp.bfloat16, "f")
float32 = dtype("float32", np.float32, "f", ("float",))
float64 = dtype("float64", np.float64, "f", ("double",))
complex64 = dtype("complex64", np.complex64, "c", ("cfloat",))
complex128 = dtype("complex128", np.complex128, "c", ("cdouble",))

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
       complex64, complex128)
_BY_NP = {d.np: d for d in ALL}
_BY_NAME = {n: d for d in ALL for n in (d.name, *d.aliases)}

_default = [float32]


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    if d not in (float32, float64, float16, bfloat16):
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def from_np(np_dtype) -> dtype:
    """The torch dtype of a numpy/jax dtype."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only "
                        "supported types are: float64, float32, float16, complex64, complex128, "
                        "int64, int32, int16, int8, uint8, and bool.") from None


def to_dtype(d) -> dtype:
    """Accept a torch dtype, a Python type (float/int/bool/complex), or a numpy dtype."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if d is builtins.complex:
        return complex128
    return from_np(d)


# ---- promotion ---------------------------------------------------------------------------
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types."""
    if a is b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if hi.kind == "c" and lo.kind == "f":
            return complex128 if lo is float64 or hi is complex128 else complex64
        return hi
    if a.kind == "f":
        if {a.name, b.name} == {"float16", "bfloat16"}:
            return float32
        return a if a.itemsize > b.itemsize else b
    if a.kind == "c":
        return a if a.itemsize > b.itemsize else b
    return from_np(np.promote_types(a.np, b.np))  # integers: numpy agrees with torch


def as_number(x):
    """A numpy scalar as torch reads it: its Python number, except that numpy bools and the
    complex types that are not Python complex subclasses (complex64) are read as floats (the
    latter with numpy's ComplexWarning)."""
    if isinstance(x, np.bool_) or (isinstance(x, np.complexfloating) and
                                   not isinstance(x, builtins.complex)):
        return builtins.float(x)
    return x.item()


def scalar_dtype(x) -> dtype:
    """The dtype torch gives a wrapped Python number (numpy scalars count as numbers)."""
    if isinstance(x, np.generic):
        x = as_number(x)
    if isinstance(x, builtins.bool):
        return bool
    if isinstance(x, (builtins.int, np.integer)):
        return int64
    if isinstance(x, (builtins.float, np.floating)):
        return get_default_dtype()
    if isinstance(x, (builtins.complex, np.complexfloating)):
        return complex128 if get_default_dtype() is float64 else complex64
    raise TypeError(f"unsupported scalar {x!r}")


def _combine(higher, lower):
    # torch's combine_categories: a lower-priority operand only matters if its category is higher.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.kind == "c":
        return higher
    if lower.kind == "c":
        return higher.to_complex() if higher.kind == "f" else lower
    if higher.kind == "f":
        return higher
    if higher is bool or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type_of(dims, zero_dims, scalars) -> dtype:
    """Promotion over three priority groups: dimensioned tensors, 0-d tensors, Python numbers."""
    def fold(ds):
        r = None
        for d in ds:
            r = d if r is None else promote_types(r, d)
        return r
    return _combine(fold(dims), _combine(fold(zero_dims), fold(scalars)))
