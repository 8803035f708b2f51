"""Complex numbers: view_as_real / view_as_complex, real / imag (selects of view_as_real, as in
torch), conj (a view torch marks with a conjugate bit), conj_physical, resolve_conj, angle,
polar, complex.

The views here are "component" views (`view=` the inverse: new values of the view -> new values
of its source), so writes through them reach the source as in torch (_storage.component)."""
from __future__ import annotations

import math

import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from .._tensor import _SHORT, Tensor
from ._bind import public
from ._registry import op, run
from .indexing import select
from .shape import clone
from .unary import at_nonzero


def _same(o, operands, statics):
    return None, None


def _real_dtype(o, operands, statics):
    return None, D._BY_NP[jnp.finfo(operands[0]._data.dtype).dtype]


def _angle_dtype(o, operands, statics):
    d = operands[0].dtype
    if d.is_complex:
        return None, D._BY_NP[jnp.finfo(d.np).dtype]
    return (None, None) if d.is_floating_point else (D.get_default_dtype(),) * 2


def _complex_dtype(o, operands, statics):
    return None, D.complex128 if operands[0].dtype is D.float64 else D.complex64


_view_as_real = op("view_as_real", "ViewAsRealBackward0", dtypes=_real_dtype, saves=False,
                   view=lambda src, new: lax.complex(new[..., 0], new[..., 1]))(
    lambda a: jnp.stack([a.real, a.imag], -1))
_view_as_complex = op("view_as_complex", "ViewAsComplexBackward0", dtypes=_complex_dtype,
                      saves=False, view=lambda src, new: jnp.stack([new.real, new.imag], -1))(
    lambda a: lax.complex(a[..., 0], a[..., 1]))
_conj = op("conj", "ConjBackward0", dtypes=_same, saves=False,
           view=lambda src, new: jnp.conj(new))(jnp.conj)
_neg_view = op("_neg_view", "NegViewBackward0", dtypes=_same, saves=False,
               view=lambda src, new: -new)(jnp.negative)
_conj_physical = op("conj_physical", "ConjPhysicalBackward0", dtypes=_same, saves=False)(
    jnp.conj)
_angle = op("angle", "AngleBackward0", dtypes=_angle_dtype)(
    lambda a: at_nonzero(jnp.angle, a) if jnp.iscomplexobj(a) else
    jnp.where(jnp.isnan(a), a, jnp.where(a < 0, math.pi, 0).astype(a.dtype)))
_polar = op("polar", "PolarBackward0", dtypes=_complex_dtype)(
    lambda r, th: lax.complex(r * jnp.cos(th), r * jnp.sin(th)))
_complex = op("complex", "ComplexBackward0", dtypes=_complex_dtype)(
    lambda re, im: lax.complex(*jnp.broadcast_arrays(re, im)))


@public(method=False)
def view_as_real(input):
    if not input.is_complex():
        raise RuntimeError("view_as_real is only supported for complex tensors")
    if is_conj(input):
        raise RuntimeError("view_as_real doesn't work on unresolved conjugated tensors.  To "
                           "resolve the conjugate tensor so you can view it as real, use "
                           "self.resolve_conj(); however, be warned that the resulting tensor "
                           "will NOT alias the original.")
    return run(_view_as_real, (input,))


@public(method=False)
def view_as_complex(input):
    if input.dtype not in (D.float32, D.float64, D.float16):
        raise RuntimeError(f"view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: "
                           f"{_SHORT[input.dtype.name]}")
    if input.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    strides = input.stride()
    if strides[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    return run(_view_as_complex, (input,))


@public(method=False)
def real(input):
    if not input.is_complex():
        return input
    # of a conjugated tensor: the real parts of its conjugate (a view without the bit), as torch
    return select(view_as_real(conj(input) if is_conj(input) else input), -1, 0)


@public(method=False)
def imag(input):
    if not input.is_complex():
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    if is_conj(input):  # the negated imaginary parts of its conjugate, a view (torch's neg bit)
        return select(run(_neg_view, (view_as_real(conj(input)),)), -1, 1)
    return select(view_as_real(input), -1, 1)


@public()
def conj(input):
    return run(_conj, (input,)) if input.is_complex() else input


@public(inplace=True)
def conj_physical(input, *, out=None):
    return run(_conj_physical, (input,)) if input.is_complex() else input


@public()
def is_conj(input) -> bool:
    """The conjugate bit: set on conj() of a complex tensor and on the views made from it."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_conj(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    flips, t = 0, input
    while t._base is not None and t._view is not None:
        if t._view[0] == "alias":
            t = t._view[1]
            continue
        flips += t._view[1].op is _conj
        t = t._view[0]
    return flips % 2 == 1


@public()
def resolve_conj(input):
    return clone(input) if is_conj(input) else input


@public()
def angle(input, *, out=None):
    return run(_angle, (input,))


def _floats(name, a, b):
    for x in (a, b):
        if x.dtype not in (D.float32, D.float64, D.float16):
            raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but "
                               f"got {_SHORT[a.dtype.name]} and {_SHORT[b.dtype.name]}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"Expected object of scalar type {_SHORT[a.dtype.name]} but got "
                           f"scalar type {_SHORT[b.dtype.name]} for second argument")


@public(method=False)
def polar(abs, angle, *, out=None):
    _floats("polar", abs, angle)
    return run(_polar, (abs, angle))


@public(method=False)
def complex(real, imag, *, out=None):
    _floats("complex", real, imag)
    return run(_complex, (real, imag))


def component_property(which):
    """Tensor.real / Tensor.imag: views; assigning copies into them."""
    get = real if which == "real" else imag
    return property(get, lambda self, value: get(self).copy_(value))
