"""einsum, tensordot, inner, kron, trace, cross. einsum is one jax body whose grad_fn name
(the last op of torch's decomposition) is a static argument."""
from __future__ import annotations

import warnings

import jax.numpy as jnp

from .. import _dtype as D
from .._tensor import _SHORT, Tensor, _wrap_dim
from ._bind import public
from ._registry import op, run
from .linalg import _named, _no_bool
from .shape import broadcast_shape

# ---- einsum / tensordot / inner / kron -----------------------------------------------------
_einsum = op("einsum", _named)(lambda *xs, eq, name: jnp.einsum(eq, *xs))


def _einsum_name(eq, n_ops) -> str:
    lhs, _, rhs = eq.partition("->")
    ins = [set(s.replace(".", "")) for s in lhs.split(",")]
    labels = set().union(*ins)
    if "->" in eq:
        out = set(rhs.replace(".", ""))
    else:
        out = {c for c in labels if lhs.count(c) == 1}
    contracted = bool(labels - out)
    if n_ops == 1:
        return "SumBackward1" if contracted else "PermuteBackward0"
    return "ViewBackward0" if contracted else "MulBackward0"


def _sublist(args):
    """torch.einsum(op1, [0, 1], op2, [1, 2], [0, 2]): the equation from subscript lists."""
    def letters(lst):
        out = ""
        for n in lst:
            if n is Ellipsis:
                out += "..."
            elif 0 <= n < 26:
                out += chr(ord("A") + n)
            elif 26 <= n < 52:
                out += chr(ord("a") + n - 26)
            else:
                raise ValueError("einsum(): subscript in subscript list is not within the valid "
                                 "range [0, 52)")
        return out
    eq = ",".join(letters(lst) for lst in args[1::2])
    if len(args) % 2 == 1:
        return eq + "->" + letters(args[-1]), args[:-1:2]
    return eq, args[::2]


@public(method=False)
def einsum(*args):
    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], Tensor):
        equation, operands = _sublist(args)
    else:
        equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    n_spec = len(eq.partition("->")[0].split(","))
    if n_spec != len(operands) and len(operands) > 2:  # torch hands these to opt_einsum
        raise ValueError(f"Number of einsum subscripts, {n_spec}, must be equal to the number "
                         f"of operands, {len(operands)}.")
    if n_spec > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if n_spec < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    sizes: dict = {}
    for k, (spec, t) in enumerate(zip(eq.partition("->")[0].split(","), operands)):
        if "." not in spec:
            for c, s in zip(spec, t.shape):
                if sizes.get(c, s) != s and s != 1 and sizes[c] != 1:
                    raise RuntimeError(f"einsum(): subscript {c} has size {s} for operand {k} "
                                       f"which does not broadcast with previously seen size "
                                       f"{sizes[c]}")
                if sizes.get(c, 1) == 1:
                    sizes[c] = s
    return run(_einsum, tuple(operands), (("eq", eq), ("name", _einsum_name(eq, len(operands)))))


_tensordot = op("tensordot", "ViewBackward0")(lambda a, b, axes: jnp.tensordot(a, b, axes))


@public(method=False)
def tensordot(a, b, dims=2, out=None):
    if isinstance(dims, Tensor):
        dims = dims.tolist() if dims.ndim else int(dims.item())
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    for x, y in zip(da, db):
        sa, sb = a.shape[_wrap_dim(x, a.ndim)], b.shape[_wrap_dim(y, b.ndim)]
        if sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} "
                               f"in dim {x} and second has size {sb} in dim {y}")
    axes = (tuple(_wrap_dim(x, a.ndim) for x in da), tuple(_wrap_dim(y, b.ndim) for y in db))
    return run(_tensordot, (a, b), (("axes", axes),))


@public()
def inner(input, other, *, out=None):
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    if input.dtype.kind == "b" or other.dtype.kind == "b":  # torch's kernel for 1-D / n-D
        kernel = "dot" if input.ndim == other.ndim == 1 else "addmm_impl_cpu_"
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    return tensordot(input, other, ([-1], [-1]))


_kron = op("kron", "UnsafeViewBackward0")(jnp.kron)


@public()
def kron(input, other, *, out=None):
    return run(_kron, (input, other))


def _trace_rule(op_, operands, statics):
    dt = operands[0].dtype
    return None, D.int64 if dt.kind in "biu" else dt


_trace = op("trace", "TraceBackward0", dtypes=_trace_rule)(
    lambda a: jnp.trace(a, dtype=jnp.int64 if jnp.issubdtype(a.dtype, jnp.integer) else None))


@public()
def trace(input):
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    _no_bool("trace", input)
    return run(_trace, (input,))


_cross = op("linalg_cross", "LinalgCrossBackward0")(
    lambda a, b, dim: jnp.cross(a, b, axis=dim))


def linalg_cross(input, other, dim=-1, name="linalg.cross"):
    if input.ndim != other.ndim:
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"{name}: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    broadcast_shape(input.shape, other.shape)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {_SHORT[input.dtype.name]} but found "
                           f"{_SHORT[other.dtype.name]}")
    if input.dtype.kind == "b":
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    return run(_cross, (input, other), (("dim", d),))


@public()
def cross(input, other, dim=None, *, out=None):
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross."
                      "\nThe default value of dim will change to agree with that of "
                      "linalg.cross in a future release.", UserWarning, stacklevel=2)
        shape = broadcast_shape(input.shape, other.shape)
        dim = next((k for k, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return linalg_cross(input, other, dim)
