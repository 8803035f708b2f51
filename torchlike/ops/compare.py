"""Pointwise comparisons, predicates, logical and bitwise ops, clamp, maximum/minimum, where;
and the helpers the pointwise families share (torch's dtype and argument errors)."""
from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
from jax import lax
import numpy as np

from .. import _dtype as D
from .._tensor import _CTYPE, _SHORT, Tensor, CLAMPS, cast_named_in_c, check_cast
from ..autograd import grad_mode
from ._common import invalid_arguments
from ._bind import FUNCTIONS, METHODS, method_only, public
from ._registry import inplace as _inplace
from ._registry import op, promoted, run

_i = isinstance
_NUM = (bool, int, float, complex, np.number, np.bool_)  # numpy scalars count as numbers


def _t(x) -> bool:
    return _i(x, Tensor)


def _complex(x) -> bool:
    return x._data.dtype.kind == "c" if _t(x) else _i(x, complex)  # np.complex64 reads as real


def not_impl(kernel: str, dt) -> NotImplementedError:
    """torch's error for a dtype an op has no kernel for."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{_SHORT[dt.name]}\'')


def check_other(name, x, tensor_only=False, pos=2, arg="other"):
    """torch's TypeError for an operand of the wrong type."""
    if _t(x) or (not tensor_only and _i(x, _NUM)):
        return
    raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                    f"{type(x).__name__}")


def no_derivative(fn, name, message=None, error=RuntimeError):
    """fn with a backward that raises torch's error (for ops torch has no derivative for)."""
    def bwd(res, g):
        raise error(message or f"derivative for aten::{name} is not implemented")

    def wrapped(*xs, **static):
        @jax.custom_vjp
        def f(*ys):
            return fn(*ys, **static)
        f.defvjp(lambda *ys: (fn(*ys, **static), None), bwd)
        return f(*xs)
    return wrapped


def outable(fn):
    """Support torch's `out=`: the result is written into `out` (cast, resized), which is
    returned; as in torch, not while autograd records (an input requiring grad)."""
    name = ("linalg." if fn.__module__ == "torchlike.linalg" else "") + fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if grad_mode._modes.grad and any(isinstance(a, Tensor) and a._rg
                                         for a in (*args, *kwargs.values())):
            raise RuntimeError(f"{fn.__name__}(): functions with out=... arguments don't "
                               "support automatic differentiation, but one of the arguments "
                               "requires grad.")
        result = fn(*args, **kwargs)
        if isinstance(result, tuple):
            outs = tuple(out)
            for r, o in zip(result, outs):
                _write_out(name, r, o)
            return type(result)(*outs) if hasattr(result, "_fields") else outs
        _write_out(name, result, out, cast_named_in_c(name, args[1:], kwargs))
        return out
    return wrapper


_EXPECTED = "Expected out tensor to have dtype {c}, but got {oc} instead"
# The functions whose out= must already have the result's dtype (torch's structured kernels
# outside TensorIterator), with torch's message: {c}/{s} the result's C++/short dtype name,
# {oc}/{os} out's.
_EXACT = dict.fromkeys(
    ("matmul", "mm", "bmm", "mv", "addmm", "addmv", "baddbmm", "tril", "triu", "diag", "gather",
     "inverse", "cross", "norm", "inv", "inv_ex", "det", "solve", "solve_ex", "vector_norm",
     "matrix_power", "cholesky", "cholesky_ex", "linalg.cross", "eigh", "eigvalsh", "svd",
     "svdvals", "slogdet", "qr", "isin", "renorm"), _EXPECTED)
_EXACT.update({
    "dot": "result dtype {os} does not match input dtype {s}",
    "vdot": "result dtype {os} does not match input dtype {s}",
    "addbmm": "self and mat2 must have the same dtype, but got {os} and {s}",
    "index_select": "index_select(): self and result must have the same scalar type",
    "amax": "Expected the dtype for input and out to match, but got {s} for input's dtype and "
            "{os} for out's dtype.",
    "amin": "Expected the dtype for input and out to match, but got {s} for input's dtype and "
            "{os} for out's dtype.",
    "tensordot": "tensordot: Expected the output tensor to have dtype {s}, but got an output "
                 "tensor with dtype {os}",
    "clamp": "Found dtype {os} but expected {s}", "clip": "Found dtype {os} but expected {s}",
    "round": "Found dtype {os} but expected {s}", "frac": "Found dtype {os} but expected {s}",
    "where": "Expected out type to be {s} but got {os}",
    "linalg.norm": "linalg.norm expected out tensor dtype {s} but got: {os}",
    "linalg.matrix_norm": "linalg.matrix_norm expected out tensor dtype {s} but got: {os}",
    "take": "take(): self and out expected to have the same dtype, but got self.dtype = {s} and "
            "out.dtype = {os}",
    "masked_select": "masked_select(): self and result must have the same scalar type",
    "logcumsumexp": "expected scalar_type {s} but found {os}",
    "histc": "torch.histogram: input tensor and hist tensor should have the same dtype, but got "
             "input {c} and hist {oc}",
    "quantile": "quantile() out tensor must be same dtype as the input tensor",
    "nanquantile": "quantile() out tensor must be same dtype as the input tensor",
    "linalg.vecdot": "linalg.vecdot: Expected out of dtype{s} but found {os}",
    "multi_dot": "multi_dot(): expected out tensor to have dtype {c} but got {oc}",
    "frexp": {"f": "torch.frexp() expects mantissa to have dtype {c} but got {oc}",
              "i": "torch.frexp() expects exponent to have int dtype but got {oc}"},
})


def _write_out(name, result, out, c_name=False):
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    src, dst = result.dtype, out.dtype
    if name in CLAMPS:  # clamp checks the cast before the dtype
        check_cast(src, dst, c_name)
    if src is not dst and name in _EXACT:
        msg = _EXACT[name]
        msg = msg[src.kind] if isinstance(msg, dict) else msg  # per output (frexp)
        raise RuntimeError(msg.format(c=_CTYPE[src.name], s=_SHORT[src.name],
                                      oc=_CTYPE[dst.name], os=_SHORT[dst.name]))
    check_cast(src, dst)
    if out.shape != result.shape and out.numel():
        warnings.warn(f"An output with one or more elements was resized since it had shape "
                      f"{list(out.shape)}, which does not match the required output shape "
                      f"{list(result.shape)}. This behavior is deprecated, and in a future "
                      "PyTorch release outputs will not be resized unless they have zero "
                      "elements. You can explicitly reuse an out tensor t by resizing it, "
                      "inplace, to zero elements with t.resize_(0).", UserWarning, stacklevel=3)
    out._set_data(result._data.astype(out._data.dtype))


# ---- comparisons -------------------------------------------------------------------------
def _compare(name, body, aliases=(), ordered=True):
    o = op(name, None, dtypes="compare", host=True)(
        lambda a, b, xp=jnp: getattr(xp, body.__name__)(a, b))

    def check(input, other):
        check_other(name, other)
        if ordered and (_complex(input) or _complex(other)):
            raise not_impl(f"{name}_cpu", promoted((input, other)))

    def fn(input, other, *, out=None):
        check(input, other)
        return run(o, (input, other))
    fn.__name__ = name
    fn = outable(fn)
    fn.op = o
    # the in-place form is differentiable in torch (GtBackward0/1...), with zero gradients
    io = op(name + "_", lambda s, p: f"{name.capitalize()}Backward{1 if p[1] == 't' else 0}",
            dtypes="same", saves=False)(
        lambda a, b: lax.stop_gradient(body(a, b).astype(a.dtype)))

    def fn_(input, other):
        check(input, other)
        return _inplace(input, run(io, (input, other)))
    for n in (name, *aliases):
        public(n)(fn)
        METHODS[n + "_"] = fn_
    return fn


eq = _compare("eq", jnp.equal, ordered=False)
ne = _compare("ne", jnp.not_equal, ("not_equal",), ordered=False)
lt = _compare("lt", jnp.less, ("less",))
le = _compare("le", jnp.less_equal, ("less_equal",))
gt = _compare("gt", jnp.greater, ("greater",))
ge = _compare("ge", jnp.greater_equal, ("greater_equal",))


def _logical(name, body):
    o = op(name, None, dtypes="bool")(body)

    def fn(input, other, *, out=None):
        check_other(name, other, True)
        return run(o, (input, other))
    fn.__name__ = name
    fn = outable(fn)
    public(name, inplace=True)(fn)
    return fn


logical_and = _logical("logical_and", jnp.logical_and)
logical_or = _logical("logical_or", jnp.logical_or)
logical_xor = _logical("logical_xor", jnp.logical_xor)

_logical_not = op("logical_not", None, dtypes="bool")(jnp.logical_not)


@public(inplace=True)
@outable
def logical_not(input, *, out=None):
    return run(_logical_not, (input,))


# ---- predicates --------------------------------------------------------------------------
def _predicate(name, body, complex_msg=None):
    o = op(name, None, dtypes="bool")(body)

    def fn(input, *, out=None):
        if complex_msg and input.dtype.kind == "c":
            raise complex_msg[0](complex_msg[1])
        return run(o, (input,))
    fn.__name__ = name
    fn = outable(fn)
    public(name)(fn)
    return fn


isnan = _predicate("isnan", jnp.isnan)
isinf = _predicate("isinf", jnp.isinf)
isfinite = _predicate("isfinite", jnp.isfinite)
isposinf = _predicate("isposinf", jnp.isposinf,
                      (RuntimeError, "isposinf does not support complex inputs."))
isneginf = _predicate("isneginf", jnp.isneginf,
                      (RuntimeError, "isneginf does not support complex inputs."))
signbit = _predicate("signbit", jnp.signbit,
                     (NotImplementedError, "signbit is not implemented for complex tensors."))
isreal = _predicate("isreal", lambda a: jnp.imag(a) == 0 if jnp.iscomplexobj(a)
                    else jnp.ones(a.shape, bool))


# ---- bitwise -----------------------------------------------------------------------------
def _bitwise(name, body, kernel, bool_ok=True):
    o = op(name, None)(body)

    def fn(input, other, *, out=None):
        check_other(name, other)
        r = promoted((input, other))
        if r.kind in "fc" or (r is D.bool and not bool_ok):
            raise not_impl(kernel, r)
        return run(o, (input, other))
    fn.__name__ = name
    fn = outable(fn)
    public(name, inplace=True)(fn)
    return fn


bitwise_and = _bitwise("bitwise_and", jnp.bitwise_and, "bitwise_and_cpu")
bitwise_or = _bitwise("bitwise_or", jnp.bitwise_or, "bitwise_or_cpu")
bitwise_xor = _bitwise("bitwise_xor", jnp.bitwise_xor, "bitwise_xor_cpu")
bitwise_left_shift = _bitwise("bitwise_left_shift", jnp.left_shift, "lshift_cpu", False)
bitwise_right_shift = _bitwise("bitwise_right_shift", jnp.right_shift, "rshift_cpu", False)
_bitwise_not = op("bitwise_not", None, dtypes="same")(
    lambda a: jnp.logical_not(a) if a.dtype == jnp.bool_ else jnp.invert(a))


@public(inplace=True)
@outable
def bitwise_not(input, *, out=None):
    if input.dtype.kind in "fc":
        raise not_impl("bitwise_not_cpu", input.dtype)
    return run(_bitwise_not, (input,))




# ---- isclose / allclose / equal ----------------------------------------------------------
def _isclose_body(a, b, rtol, atol, equal_nan, fdt):
    close = a == b
    if equal_nan and jnp.issubdtype(a.dtype, jnp.inexact):
        close = close | (jnp.isnan(a) & jnp.isnan(b))
    if rtol == 0 and atol == 0:
        return close
    if a.dtype == jnp.bool_:
        a, b = a.astype(fdt), b.astype(fdt)
    rb = rtol * (b if jnp.issubdtype(b.dtype, jnp.inexact) else b.astype(fdt))
    allowed = atol + jnp.abs(rb)
    actual = jnp.abs(a - b)
    return close | (jnp.isfinite(actual) & (actual <= allowed))


_isclose = op("isclose", None, dtypes="bool")(_isclose_body)


@public()
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    check_other("isclose", other, True)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{_SHORT[input.dtype.name]} did not match {_SHORT[other.dtype.name]}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    return run(_isclose, (input, other), (("rtol", float(rtol)), ("atol", float(atol)),
                                          ("equal_nan", bool(equal_nan)),
                                          ("fdt", D.get_default_dtype().np)))


@public(method=False)
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    check_other("allclose", other, True)
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


@method_only("allclose")
def _allclose_method(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    check_other("allclose", other, True, pos=1)  # the method counts from the argument after self
    return allclose(self, other, rtol, atol, equal_nan)


_equal = op("equal", None, dtypes="bool")(lambda a, b: jnp.all(a == b))


@public(method=False)
def equal(input, other) -> bool:
    check_other("equal", other, True)
    if input.shape != other.shape:
        return False
    return bool(run(_equal, (input, other)))


@method_only("equal")
def _equal_method(self, other) -> bool:
    check_other("equal", other, True, pos=1)
    return equal(self, other)


# ---- maximum / minimum / fmax / fmin -----------------------------------------------------
def _extreme(name, body, grad_fn):
    o = op(name, grad_fn)(body)

    def fn(input, other, *, out=None):
        check_other(name, other, True)
        if promoted((input, other)).kind == "c":
            raise RuntimeError(f"{name} not implemented for complex tensors.")
        return run(o, (input, other))
    fn.__name__ = name
    fn = outable(fn)
    public(name)(fn)
    return fn


def _minmax_rule(pick):
    """maximum/minimum with torch's gradient: halves at ties, both sides where NaN is
    involved (jax would route it by a comparison)."""
    @jax.custom_jvp
    def f(a, b):
        return jnp.maximum(a, b) if pick == "max" else jnp.minimum(a, b)

    @f.defjvp
    def f_jvp(primals, tangents):
        (a, b), (ta, tb) = primals, tangents
        out = f(a, b)
        first, second = (a > b, a < b) if pick == "max" else (a < b, a > b)
        t = jnp.where(a == b, (ta + tb) / 2, jnp.where(first, ta, jnp.where(second, tb,
                                                                             ta + tb)))
        return out, jnp.broadcast_to(t, out.shape).astype(out.dtype)
    return f


def _float_only(fn, plain):
    return lambda a, b: fn(a, b) if jnp.issubdtype(a.dtype, jnp.inexact) else plain(a, b)


maximum = _extreme("maximum", _float_only(_minmax_rule("max"), jnp.maximum),
                   "MaximumBackward0")
minimum = _extreme("minimum", _float_only(_minmax_rule("min"), jnp.minimum),
                   "MinimumBackward0")
# fmax/fmin: ties and a NaN `other` select `input`, as torch's FmaxBackward0 routes the grad.
fmax = _extreme("fmax", lambda a, b: jnp.where((a >= b) | jnp.isnan(b), a, b), "FmaxBackward0")
fmin = _extreme("fmin", lambda a, b: jnp.where((a <= b) | jnp.isnan(b), a, b), "FminBackward0")


# ---- clamp -------------------------------------------------------------------------------
def _clamp_value(a, lo, hi):
    # a NaN bound gives NaN, as torch's min(max(a, lo), hi) does
    for bound, beyond in ((lo, jnp.less), (hi, jnp.greater)):
        if bound is not None:
            out_of = beyond(a, bound)
            if jnp.issubdtype(jnp.result_type(bound), jnp.inexact):
                out_of = out_of | jnp.isnan(bound)
            a = jnp.where(out_of, bound, a)
    return a


@jax.custom_jvp
def _clamp_f(a, lo, hi):
    return _clamp_value(a, lo, hi)


@_clamp_f.defjvp
def _clamp_jvp(primals, tangents):
    # torch's clamp backward: the input's gradient where lo <= a <= hi (none at a NaN), a
    # bound's gradient where the input is not on its side of it
    (a, lo, hi), (ta, tlo, thi) = primals, tangents
    out = _clamp_value(a, lo, hi)
    ge = a >= lo if lo is not None else jnp.ones(a.shape, bool)
    le = a <= hi if hi is not None else jnp.ones(a.shape, bool)
    zero = jnp.zeros((), out.dtype)
    t = jnp.where(ge & le, ta, zero)
    if lo is not None:
        t = t + jnp.where(ge, zero, tlo)
    if hi is not None:
        t = t + jnp.where(le, zero, thi)
    return out, jnp.broadcast_to(t, out.shape).astype(out.dtype)


def _clamp_body(a, lo, hi):
    if jnp.issubdtype(a.dtype, jnp.inexact):
        return _clamp_f(a, lo, hi)
    return _clamp_value(a, lo, hi)


_clamp = op("clamp", "ClampBackward1")(_clamp_body)
_clamp_t = op("clamp_tensor", "ClampBackward0", edges=3)(_clamp_body)
_clamp_min = op("clamp_min", "ClampMinBackward0")(lambda a, lo: _clamp_body(a, lo, None))
_clamp_min_t = op("clamp_min_tensor", "ClampMinBackward1")(
    lambda a, lo: _clamp_body(a, lo, None))
_clamp_max = op("clamp_max", "ClampMaxBackward0")(lambda a, hi: _clamp_body(a, None, hi))
_clamp_max_t = op("clamp_max_tensor", "ClampMaxBackward1")(
    lambda a, hi: _clamp_body(a, None, hi))


def _clamp_check(input, *bounds):
    if input.dtype.kind == "c" or any(_t(b) and b.dtype.kind == "c" for b in bounds):
        raise NotImplementedError("clamp is not supported for complex types")


@public(inplace=True)
@outable
def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    for b in (min, max):
        if b is not None and not _t(b) and not _i(b, _NUM):
            raise TypeError(f"clamp(): argument 'min' must be Number, not {type(b).__name__}")
    tensors = _t(min) or _t(max)
    if tensors and not all(b is None or _t(b) for b in (min, max)):
        raise invalid_arguments(
            "clamp", (input, min, max),
            "Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None",
            "Tensor input, Number min = None, Number max = None, *, Tensor out = None")
    _clamp_check(input, min, max)
    return run(_clamp_t if tensors else _clamp, (input, min, max))


public("clip", inplace=True)(clamp)


@public(inplace=True)
@outable
def clamp_min(input, min, *, out=None):
    _clamp_check(input, min)
    return run(_clamp_min_t if _t(min) else _clamp_min, (input, min))


@public(inplace=True)
@outable
def clamp_max(input, max, *, out=None):
    _clamp_check(input, max)
    return run(_clamp_max_t if _t(max) else _clamp_max, (input, max))


# ---- where -------------------------------------------------------------------------------
_where = op("where", "WhereBackward0", promote=(1, 2), edges=(1, 2), host=True)(
    lambda c, a, b, xp=jnp: xp.where(c, a, b))


@public(method=False)
@outable
def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        return FUNCTIONS["nonzero"](condition, as_tuple=True)   # (the indexing family's)
    if condition.dtype is not D.bool:
        if condition.dtype is not D.uint8:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {_SHORT[condition.dtype.name]}")
        condition = condition != 0
    return run(_where, (condition, input, other))


@method_only("where")
def _where_method(self, condition, other):
    """Tensor.where(condition, y) is torch.where(condition, self, y)."""
    return where(condition, self, other)
