"""More pointwise math: logaddexp, logaddexp2, xlogy, copysign, heaviside, nextafter, ldexp,
gcd, lcm, deg2rad, rad2deg, sinc, frexp; isin, histogram, block_diag, tril_indices /
triu_indices.

The ops torch composes from others (diff, trapezoid, cov, cdist, meshgrid, ...) live in
extra_composite.py.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _device
from .. import _dtype as D
from .._tensor import _SHORT, Tensor, _wrap
from ._bind import public
from ._common import BINARY_OVERLOADS, invalid_arguments, return_type
from ._registry import in_float, op, promoted, run
from ._registry import inplace as _inplace
from .compare import _CTYPE, _t, check_other, no_derivative, not_impl

__all__ = ()


def _jvp(value, tangent):
    """`value(*xs)` with the derivative `tangent(xs, ts, out)` (torch's formula, where jax's
    own differs at zero or is missing)."""
    f = jax.custom_jvp(value)
    f.defjvp(lambda xs, ts: (lambda out: (out, tangent(xs, ts, out)))(value(*xs)))
    return f


def _tensors(name, input, other, arg="other"):
    """torch's TypeError for operands that are not tensors."""
    check_other(name, input, True, pos=1, arg="input")
    check_other(name, other, True, arg=arg)


def _floating(name, kernel, input, other):
    """A binary op with floating kernels only (integer operands promote to float, or fail)."""
    _tensors(name, input, other)
    r = promoted((input, other))
    if r.kind not in "fc":
        raise not_impl(kernel, r)
    return r


# ---- logaddexp, logaddexp2, nextafter (floating kernels only) ------------------------------
_logaddexp = op("logaddexp", "LogaddexpBackward0")(in_float(jnp.logaddexp))
_logaddexp2 = op("logaddexp2", "Logaddexp2Backward0")(in_float(jnp.logaddexp2))
# torch passes the gradient through to input where input != other (0 there, and to other)
_nextafter = op("nextafter", "NextafterBackward0")(_jvp(
    jnp.nextafter, lambda xs, ts, out: jnp.where(xs[0] != xs[1], ts[0], 0)))


@public()
def logaddexp(input, other, *, out=None):
    _floating("logaddexp", "logaddexp_cpu", input, other)
    return run(_logaddexp, (input, other))


@public()
def logaddexp2(input, other, *, out=None):
    _floating("logaddexp2", "logaddexp2_cpu", input, other)
    return run(_logaddexp2, (input, other))


@public(inplace=True)
def nextafter(input, other, *, out=None):
    _floating("nextafter", "nextafter_cpu", input, other)
    return run(_nextafter, (input, other))


# ---- xlogy, copysign, ldexp (integer operands compute in the default float) ---------------
def _xlogy_value(x, y):
    return jnp.where(jnp.isnan(y), y, jnp.where(x == 0, 0, x * jnp.log(y)))


def _sum_to(g, shape):
    """g summed over the dimensions broadcasting added to `shape`."""
    lead = g.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + i] != 1)
    return g.sum(dims).reshape(shape) if dims else g


# torch's gradients, not the ones jax derives from the where()s: d/dx = xlogy(grad, y), 0
# where x == 0 and y <= 0 (so log(y) * grad at x == 0, y > 0, and 0 for a zero grad at y < 0);
# d/dy = grad * x / y
_xlogy_body = jax.custom_vjp(_xlogy_value)
_xlogy_body.defvjp(lambda x, y: (_xlogy_value(x, y), (x, y)), lambda res, g: (
    _sum_to(jnp.where((res[0] == 0) & (res[1] <= 0), 0, _xlogy_value(g, res[1])),
            jnp.shape(res[0])),
    _sum_to(g * res[0] / res[1], jnp.shape(res[1]))))


_xlogy = op("xlogy", lambda s, p: "XlogyBackward0" if p == "tt" else "XlogyBackward2"
            if p[0] == "t" else "XlogyBackward1", dtypes="float")(in_float(_xlogy_body))


@public(inplace=True)
def xlogy(input, other, *, out=None):
    if not _t(input) and not _t(other):
        raise invalid_arguments("xlogy", (input, other), *BINARY_OVERLOADS)
    check_other("xlogy", other, not _t(input))
    check_other("xlogy", input, not _t(other), pos=1, arg="input")
    return run(_xlogy, (input, other))


def _copysign_grad(xs, ts, out):
    x = xs[0]
    return ts[0] * jnp.where(x == 0, 0, out / jnp.where(x == 0, 1, x))  # 0 at x == 0


_copysign = op("copysign", lambda s, p: "CopysignBackward0" if p[1] == "t" else
               "CopysignBackward1", dtypes="float")(_jvp(jnp.copysign, _copysign_grad))


@public(inplace=True)
def copysign(input, other, *, out=None):
    if not _t(input):
        raise invalid_arguments("copysign", (input, other), BINARY_OVERLOADS[0],
                                BINARY_OVERLOADS[2])
    check_other("copysign", other)
    return run(_copysign, (input, other))


def _ldexp_rule(op_, operands, statics):
    r = promoted(operands)
    if r.kind in "biu":
        r = D.get_default_dtype()
    return r, r


def _ldexp_grad(xs, ts, out):
    x, e = xs
    if jnp.issubdtype(e.dtype, jnp.integer):  # torch's backward: 2 ** e in integers (0 if e < 0)
        return ts[0] * jnp.where(e < 0, 0, jnp.exp2(e.astype(x.dtype)))
    return ts[0] * jnp.exp2(e) + ts[1] * out * math.log(2)


# the exponent keeps its integer dtype (see _ldexp_grad)
_ldexp = op("ldexp", "LdexpBackward0", dtypes=_ldexp_rule, promote=(0,))(
    _jvp(lambda x, e: x * jnp.exp2(e.astype(x.dtype)), _ldexp_grad))


def _ldexp_args(input, other):
    _tensors("ldexp", input, other)
    if input.dtype.kind in "fc" and other.dtype is D.bool:
        raise not_impl("ldexp_cpu_exp", D.bool)


@public()
def ldexp(input, other, *, out=None):
    _ldexp_args(input, other)
    return run(_ldexp, (input, other))


def _ldexp_(self, other):
    _ldexp_args(self, other)
    if self.dtype.kind not in "fc":
        raise RuntimeError(f"ldexp can't be cast to the desired output type "
                           f"{_SHORT[self.dtype.name]}")
    return _inplace(self, run(_ldexp, (self, other)))


public("ldexp_", function=False)(_ldexp_)


# ---- heaviside, gcd, lcm -------------------------------------------------------------------
_heaviside = op("heaviside", "NotImplemented", dtypes="same")(no_derivative(
    lambda x, v: jnp.where(x == 0, v, (x > 0).astype(x.dtype)), "heaviside"))


@public(inplace=True)
def heaviside(input, values, *, out=None):
    _tensors("heaviside", input, values, arg="values")
    if input.dtype.kind == "c" or values.dtype.kind == "c":
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    return run(_heaviside, (input, values))


_gcd = op("gcd", None)(jnp.gcd)
_lcm = op("lcm", None)(jnp.lcm)


def _integral(name, o, input, other):
    _tensors(name, input, other)
    r = promoted((input, other))
    if r.kind not in "iu":
        raise not_impl(f"{name}_cpu", r)
    return run(o, (input, other))


@public(inplace=True)
def gcd(input, other, *, out=None):
    return _integral("gcd", _gcd, input, other)


@public(inplace=True)
def lcm(input, other, *, out=None):
    return _integral("lcm", _lcm, input, other)


# ---- deg2rad, rad2deg, sinc ----------------------------------------------------------------
def _sinc_body(x):
    z = x == 0
    p = jnp.pi * jnp.where(z, 1, x)  # the gradient at 0 is 0, as torch's
    return jnp.where(z, 1, jnp.sin(p) / p)


_deg2rad = op("deg2rad", "Deg2RadBackward0", dtypes="float", saves=False)(
    in_float(lambda x: x * (math.pi / 180)))
_rad2deg = op("rad2deg", "Rad2DegBackward0", dtypes="float", saves=False)(
    in_float(lambda x: x * (180 / math.pi)))
_sinc = op("sinc", "SincBackward0", dtypes="float")(in_float(_sinc_body))


@public(inplace=True)
def deg2rad(input, *, out=None):
    return run(_deg2rad, (input,))


@public(inplace=True)
def rad2deg(input, *, out=None):
    return run(_rad2deg, (input,))


@public(inplace=True)
def sinc(input, *, out=None):
    return run(_sinc, (input,))


# ---- frexp ---------------------------------------------------------------------------------
def _frexp_parts(x):
    """(mantissa, exponent) from the bits, subnormals included (XLA's CPU arithmetic flushes
    them to zero, so jnp.frexp's rescaling loses them)."""
    info = jnp.finfo(x.dtype)
    nm, width = info.nmant, info.bits
    ut = {16: jnp.uint16, 32: jnp.uint32, 64: jnp.uint64}[width]
    bits = lax.bitcast_convert_type(x, ut)
    frac = bits & ut((1 << nm) - 1)
    field = (bits >> nm) & ut((1 << (width - nm - 1)) - 1)
    bias = (1 << (width - nm - 2)) - 1
    sub = (field == 0) & (frac != 0)
    length = width - lax.clz(frac).astype(jnp.int32)  # bit length of a subnormal's fraction
    frac = jnp.where(sub, (frac << (nm + 1 - length).astype(ut)) & ut((1 << nm) - 1), frac)
    e = jnp.where(sub, length - nm - bias + 1, field.astype(jnp.int32) - bias + 1)
    m = lax.bitcast_convert_type((bits & ~ut((1 << (width - 1)) - 1)) | (ut(bias - 1) << nm)
                                 | frac, x.dtype)
    special = (x == 0) | ~jnp.isfinite(x)
    return jnp.where(special, x, m), jnp.where(special, 0, e).astype(jnp.int32)


_mantissa = _jvp(lambda x: _frexp_parts(x)[0],
                 lambda xs, ts, out: ts[0] / jnp.exp2(_frexp_parts(xs[0])[1].astype(out.dtype)))
_frexp = op("frexp", "FrexpBackward0", dtypes=lambda o, x, s: (None, None), nout=2)(
    lambda x: (_mantissa(x), _frexp_parts(x)[1]))


@public(method=True)
def frexp(input, *, out=None):
    if input.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return return_type("frexp", ("mantissa", "exponent"))(*run(_frexp, (input,)))


# ---- isin ----------------------------------------------------------------------------------
_isin = op("isin", None, dtypes="compare")(
    lambda e, t, invert: jnp.isin(e, t, invert=invert))


@public(method=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None):
    if not _t(elements) and not _t(test_elements):
        flags = "*, bool assume_unique = False, bool invert = False, Tensor out = None"
        raise invalid_arguments("isin", (elements, test_elements),
                                f"Tensor elements, Tensor test_elements, {flags}",
                                f"Number element, Tensor test_elements, {flags}",
                                f"Tensor elements, Number test_element, {flags}")
    for x in (elements, test_elements):
        if _t(x) and x.dtype.kind in "bc":
            raise RuntimeError(f"Unsupported input type encountered for isin(): "
                               f"{_SHORT[x.dtype.name]}")
    return run(_isin, (elements, test_elements), (("invert", bool(invert)),))


# ---- block_diag, tril_indices / triu_indices -----------------------------------------------
def _block_diag_body(*xs):
    xs = [x.reshape(1, -1) if x.ndim < 2 else x for x in xs]
    out = jnp.zeros((sum(x.shape[0] for x in xs), sum(x.shape[1] for x in xs)), xs[0].dtype)
    r = c = 0
    for x in xs:
        out = out.at[r:r + x.shape[0], c:c + x.shape[1]].set(x)
        r, c = r + x.shape[0], c + x.shape[1]
    return out


_block_diag = op("block_diag", "BlockDiagBackward0", saves=False)(_block_diag_body)


@public(method=False)
def block_diag(*tensors):
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
    if not tensors:
        return _wrap(jnp.zeros((1, 0), D.get_default_dtype().np))
    return run(_block_diag, tuple(tensors))


def _tri_indices(name, fn, row, col, offset, dtype):
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    if dt.kind not in "iu":
        raise not_impl(name, dt)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    return _wrap(_device.as_array(np.stack(fn(row, offset, col)).astype(dt.np).reshape(2, -1)))


@public(method=False)
def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False):
    return _tri_indices("tril_indices", np.tril_indices, row, col, offset, dtype)


@public(method=False)
def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False):
    return _tri_indices("triu_indices", np.triu_indices, row, col, offset, dtype)


# ---- histogram -----------------------------------------------------------------------------
def _histogram_body(x, edges, w, density):
    x, nb = x.reshape(-1), edges.shape[0] - 1
    idx = jnp.where(x == edges[-1], nb - 1, jnp.searchsorted(edges, x, side="right") - 1)
    idx = jnp.where((x >= edges[0]) & (x <= edges[-1]), idx, nb)  # outside: dropped
    h = jnp.zeros(nb, x.dtype).at[idx].add(jnp.ones_like(x) if w is None else w.reshape(-1),
                                           mode="drop")
    return (h / h.sum() / jnp.diff(edges) if density else h), edges


_histogram = op("histogram", "NotImplemented", dtypes=lambda o, x, s: (None, None), nout=2,
                edges=(0,))(no_derivative(_histogram_body, "histogram"))


def _edge(v: float) -> str:
    return f"{v:g}"


@public()
def histogram(input, bins, *, range=None, weight=None, density=False, out=None):
    from .._creation import linspace
    if input.dtype.kind != "f":
        raise not_impl("histogramdd", input.dtype)
    if isinstance(bins, Tensor):
        if bins.dtype is not input.dtype:
            raise RuntimeError(
                f"torch.histogramdd: input tensor and bins tensors should have the same dtype, "
                f"but got input with dtype {_CTYPE[input.dtype.name]} and bins for dimension 0 "
                f"with dtype {_CTYPE[bins.dtype.name]}")
        if bins.ndim != 1:
            raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but "
                               f"got {bins.ndim} dimensions in the bins tensor for dimension 0")
        nb = bins.numel() - 1
    else:
        nb = int(bins)
    if nb <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {nb} for dimension 0")
    if weight is not None:
        if weight.dtype is not input.dtype:
            raise RuntimeError(
                f"torch.histogramdd: if weight tensor is provided, input tensor and weight "
                f"tensor should have the same dtype, but got input({_CTYPE[input.dtype.name]}), "
                f"and weight({_CTYPE[weight.dtype.name]})")
        if weight.numel() != input.numel():
            raise RuntimeError(
                f"torch.histogramdd: if weight tensor is provided it should have the same shape "
                f"as the input tensor excluding its innermost dimension, but got input with "
                f"shape [{input.numel()}, 1] and weight with shape [{weight.numel()}]")
    if not isinstance(bins, Tensor):
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif input.numel():
            lo, hi = float(input._data.min()), float(input._data.max())
        else:
            lo, hi = 0.0, 1.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{_edge(lo)}, "
                               f"{_edge(hi)}] is not finite")
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{_edge(lo)} max {_edge(hi)} for dimension 0")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        bins = linspace(lo, hi, nb + 1, dtype=input.dtype)
    hist, edges = run(_histogram, (input, bins, weight), (("density", bool(density)),))
    return return_type("histogram", ("hist", "bin_edges"))(hist, edges)
