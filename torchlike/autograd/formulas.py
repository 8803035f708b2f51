"""Backward formulas as torch writes them (its derivatives.yaml), in torchlike's own ops, for
backward with create_graph=True: a gradient is then built op by op as torch builds it, so its
graph has torch's nodes (`grad(x.sin().sum(), x, create_graph=True)[0].grad_fn` is MulBackward0
over CosBackward0, and a gradient that depends on no input, like the one of `x + y`, has none).

FORMULAS maps an op-table name to fn(grad, operands, statics, diff) -> {position: gradient} for
the operand positions in `diff` (grad: the gradient of the op's first output; ops with more
outputs have formulas there only where the others take no gradient, as max(dim)'s indices;
MULTI_FORMULAS holds those that read every output's gradient: unbind, split, var_mean);
`gradients()` then does what torch's engine does with what a formula returns (sum over
broadcast dimensions, cast to the operand's dtype). A formula that returns None leaves the op
to the paths below. This module holds the core and arithmetic, sums and views;
formulas_pointwise, formulas_binary, formulas_linalg, formulas_reductions, formulas_shape,
formulas_nn, formulas_losses and formulas_distance register the other families into the same
table.

Where torch's formula is one backward kernel of its own (leaky_relu_backward,
convolution_backward, ...), BACKWARD_OPS names its node: the op's jax vjp is recorded as one
op of that name, over the incoming gradients and then the operands, as torch's kernel takes
them. Other ops keep the generic path: their jax vjp recorded as one op under the forward
node's name (registry.vjp_op).
"""
from __future__ import annotations

import math

import jax.numpy as jnp

from ..ops._registry import OPS, Op, _no_cast, op, run

FORMULAS: dict = {}
# op-table name -> fn(grads, operands, statics, diff) -> {position: gradient}, for ops with
# several outputs whose formula reads the gradients of all of them (None where one has none)
MULTI_FORMULAS: dict = {}


def _registrar(table: dict):
    """A decorator factory: @register("op", ...) puts the function in `table` under each name."""
    def register(*names):
        def deco(fn):
            for name in names:
                table[name] = fn
            return fn
        return deco
    return register


formula = _registrar(FORMULAS)
multi_formula = _registrar(MULTI_FORMULAS)


# The backward kernels torch's formulas call, with the names torch gives their nodes
# (Tensor-Scalar arithmetic as C++ writes it: `grad * 2.0` is MulBackward1, where Python's
# `grad * 2.0` wraps the number and records MulBackward0).
_mul_scalar = op("mul_scalar_formula", "MulBackward1", saves=False)(lambda a, s: a * s)
_add_scalar = op("add_scalar_formula", "AddBackward1", saves=False)(lambda a, s: a + s)
_sub_scalar = op("sub_scalar_formula", "SubBackward1", saves=False)(lambda a, s: a - s)
_div_scalar = op("div_scalar_formula", "DivBackward1", dtypes="float", saves=False)(
    lambda a, s: a / s)
_tanh_backward = op("tanh_backward", "TanhBackwardBackward0", dtypes="same")(
    lambda g, y: g * (1 - y * y))
_sigmoid_backward = op("sigmoid_backward", "SigmoidBackwardBackward0", dtypes="same")(
    lambda g, y: g * (1 - y) * y)
_softmax_backward = op("softmax_backward_data", "SoftmaxBackwardDataBackward0",
                       dtypes="same")(
    lambda g, y, dim: y * (g - jnp.sum(g * y, axis=dim, keepdims=True)))
_log_softmax_backward = op("log_softmax_backward_data", "LogSoftmaxBackwardDataBackward0",
                           dtypes="same")(
    lambda g, y, dim: g - jnp.exp(y) * jnp.sum(g, axis=dim, keepdims=True))
_threshold_backward = op("threshold_backward", "ThresholdBackwardBackward0", dtypes="same",
                         edges=2)(lambda g, x, threshold: jnp.where(x <= threshold, 0, g))


def times(t, s):
    """torch's maybe_multiply: t itself when s is 1, else t * s (a Tensor-Scalar mul)."""
    return t if s == 1 else mul_scalar(t, s)


def all_real(*ts) -> bool:
    """No complex operand (tensor or number): formulas that leave out torch's conj() hold."""
    return not any(isinstance(t, complex) or hasattr(t, "is_complex") and t.is_complex()
                   for t in ts)


def mul_scalar(t, s):
    return run(_mul_scalar, (t, s))


def add_scalar(t, s):
    return run(_add_scalar, (t, s))


def div_scalar(t, s):
    return run(_div_scalar, (t, s))


def sub_scalar(t, s):
    return run(_sub_scalar, (t, s))


def scalar_minus(s, t):
    """C++'s `s - t` for a Scalar s: a tensor like t filled with s, minus t (SubBackward0
    with no edge for the filled tensor)."""
    from .._creation import full_like
    return full_like(t, s) - t


def scalar_over(s, t):
    """C++'s `s / t` for a Scalar s: a tensor like t filled with s, divided by t."""
    from .._creation import full_like
    return full_like(t, s) / t


def forward(name, operands, statics):
    """The op `name` run again on its operands: torch's formulas read the op's saved result,
    a tensor of the forward node's name over the same inputs."""
    return run(OPS[name], tuple(operands), tuple(statics.items()))


def unsqueeze_multiple(t, dims, ndim):
    """torch's unsqueeze_multiple: t.unsqueeze(d) for each reduced dimension, in order."""
    for d in sorted(d % ndim for d in dims):
        t = t.unsqueeze(d)
    return t


# forward node -> the node of torch's backward kernel, for formulas that are one kernel
BACKWARD_OPS = {f"{n}Backward0": f"{n}BackwardBackward0" for n in (
    "LeakyRelu", "Gelu", "Elu", "Softplus", "Hardtanh", "MseLoss", "SmoothL1Loss", "HuberLoss",
    "NllLoss", "NllLoss2D", "BinaryCrossEntropy", "Convolution", "MaxPool2DWithIndices",
    "MaxPool3DWithIndices", "AvgPool2D", "AvgPool3D", "NativeBatchNorm", "LogSigmoid",
    "Hardswish", "Softshrink", "Hardshrink", "Threshold", "Glu",
    "UpsampleNearest2D", "UpsampleBilinear2D", "UpsampleNearest1D", "UpsampleLinear1D",
    "UpsampleBicubic2D", "AdaptiveAvgPool2D", "AdaptiveMaxPool2D", "ReflectionPad2D",
    "ReplicationPad2D", "GridSampler2D", "PreluKernel", "RreluWithNoise")}
BACKWARD_OPS["CeluBackward0"] = "EluBackwardBackward0"  # torch's celu is elu's kernel
# backward kernel -> the forward operands its node has edges for, after the incoming
# gradient's (where torch differentiates fewer than the forward node has: a class weight)
BACKWARD_EDGES = {"BinaryCrossEntropyBackwardBackward0": (0, 1),
                  "NllLossBackwardBackward0": (0,), "NllLoss2DBackwardBackward0": (0,),
                  "RreluWithNoiseBackwardBackward0": (0,)}
_backward_ops: dict = {}


def _backward_op(node, grads, name):
    """The node's jax vjp, recorded as one op named `name` over (gradients..., operands...)."""
    k, diff = node.kernel, node.diff
    cts = [g if g is not None else _zeros(shape, dt) for g, (shape, dt) in
           zip(grads, node.out_meta) if jnp.issubdtype(dt, jnp.inexact)]
    o = _backward_ops.get((k, diff))
    if o is None:
        n, vjp = len(cts), k.vjp_fn(diff)
        keep = BACKWARD_EDGES.get(name)
        edges = "tensors" if keep is None else tuple(range(n)) + tuple(n + i for i in keep)
        o = _backward_ops[(k, diff)] = Op(k.op.name + "_backward", lambda *xs: tuple(
            vjp(list(xs[n:]), list(xs[:n]))), name, _no_cast, None, -1, True, edges)
    res = run(o, tuple(cts) + tuple(node.inputs))
    out = [None] * len(node.next_functions)
    for j, r in zip(k.edge_index(diff), res):
        out[j] = r
    return out


def _zeros(shape, dt):
    from .._tensor import _wrap
    return _wrap(jnp.zeros(shape, dt))


def gradients(node, grads):
    """The gradients of one node's operands, one per next_functions edge, by its formula;
    None where the op has none (or its operands were released)."""
    k = node.kernel
    if node.inputs is None or all(g is None for g in grads):
        return None
    fn = FORMULAS.get(k.op.name)
    multi = MULTI_FORMULAS.get(k.op.name)
    operands = node.operands()
    found = None
    if multi is not None:
        found = multi(list(grads), operands, dict(k.key[2]), node.diff)
    elif fn is not None and grads[0] is not None and all(g is None for g in grads[1:]):
        found = fn(grads[0], operands, dict(k.key[2]), node.diff)
    if found is None:
        name = BACKWARD_OPS.get(type(node).__name__)
        return None if name is None else _backward_op(node, grads, name)
    out = [None] * len(node.next_functions)
    for j, pos in zip(k.edge_index(node.diff), node.diff):
        g, x = found.get(pos), operands[pos]
        out[j] = None if g is None else _validate(g, x)
    return out


def _validate(g, x):
    """torch's engine on a formula's result: summed to the operand's shape (broadcasting),
    cast to its dtype."""
    if tuple(g.shape) != tuple(x.shape):
        g = sum_to(g, tuple(x.shape))
    if g.dtype != x.dtype:
        g = g.to(x.dtype)
    return g


def sum_to(g, shape):
    """at::sum_to: sum over the leading dimensions and those `shape` has as 1, keeping them,
    then a view without the leading ones (a plain sum() to a 0-d shape)."""
    if not shape:
        return g.sum()
    lead = g.ndim - len(shape)
    dims = list(range(lead)) + [i for i in range(lead, g.ndim)
                                if shape[i - lead] == 1 and g.shape[i] != 1]
    if dims:
        g = g.sum(dims, keepdim=True)
    return g.view(shape) if lead > 0 else g


# ---- arithmetic ------------------------------------------------------------------------------
@formula("add")
def _add(g, xs, st, diff):
    return {0: g, 1: g}


@formula("add_alpha")
def _add_alpha(g, xs, st, diff):
    return {0: g, 1: times(g, xs[2])}


@formula("sub")
def _sub(g, xs, st, diff):
    return {0: g, 1: -g if 1 in diff else None}


@formula("sub_alpha")
def _sub_alpha(g, xs, st, diff):
    return {0: g, 1: times(-g, xs[2]) if 1 in diff else None}


@formula("rsub")
def _rsub(g, xs, st, diff):
    return {0: -g if 0 in diff else None, 1: g}


@formula("mul")
def _mul(g, xs, st, diff):
    a, b = xs
    return {0: g * b if 0 in diff else None, 1: g * a if 1 in diff else None}


@formula("div")
def _div(g, xs, st, diff):
    a, b = xs
    return {0: g / b if 0 in diff else None,
            1: -g * ((a / b) / b) if 1 in diff else None}


@formula("neg")
def _neg(g, xs, st, diff):
    return {0: g.neg()}


@formula("pow_int", "pow_scalar")
def _pow(g, xs, st, diff):
    a = xs[0]
    e = st["n"] if "n" in st else xs[1]
    if e == 0:
        from .._creation import zeros_like
        return {0: zeros_like(a)}
    return {0: g * mul_scalar(a.pow(e - 1), e)}


# ---- unary math ------------------------------------------------------------------------------
@formula("sin")
def _sin(g, xs, st, diff):
    return {0: g * xs[0].cos()}


@formula("cos")
def _cos(g, xs, st, diff):
    return {0: g * -xs[0].sin()}


@formula("exp")
def _exp(g, xs, st, diff):
    return {0: g * xs[0].exp()}  # torch's saved result: the same values, a node of its name


@formula("log")
def _log(g, xs, st, diff):
    return {0: g.div(xs[0])}


@formula("sqrt")
def _sqrt(g, xs, st, diff):
    return {0: g / mul_scalar(xs[0].sqrt(), 2)}


@formula("abs")
def _abs(g, xs, st, diff):
    return {0: g * xs[0].sgn()}


@formula("reciprocal")
def _reciprocal(g, xs, st, diff):
    y = xs[0].reciprocal()
    return {0: -g * (y * y)}


@formula("expm1")
def _expm1(g, xs, st, diff):
    return {0: g * add_scalar(xs[0].expm1(), 1)}


@formula("atan")
def _atan(g, xs, st, diff):
    x = xs[0]
    return {0: g / add_scalar(x * x, 1)}


@formula("erf")
def _erf(g, xs, st, diff):
    x = xs[0]
    return {0: mul_scalar((-x.pow(2)).exp(), 2.0 / math.sqrt(math.pi)) * g}


@formula("silu")
def _silu(g, xs, st, diff):  # torch's infinitely differentiable form under create_graph
    x = xs[0]
    s = x.sigmoid()
    return {0: g * s * add_scalar(x * (1.0 - s), 1.0)}


@formula("tanh")
def _tanh(g, xs, st, diff):
    return {0: run(_tanh_backward, (g, xs[0].tanh()))}


@formula("sigmoid")
def _sigmoid(g, xs, st, diff):
    return {0: run(_sigmoid_backward, (g, xs[0].sigmoid()))}


@formula("relu")
def _relu(g, xs, st, diff):
    return {0: run(_threshold_backward, (g, xs[0].relu(), 0))}


@formula("softmax")
def _softmax(g, xs, st, diff):
    dim = st["dim"]
    y = xs[0].softmax(dim, dtype=st.get("dtype"))
    return {0: run(_softmax_backward, (g, y), (("dim", dim % max(y.ndim, 1)),))}


@formula("log_softmax")
def _log_softmax(g, xs, st, diff):
    dim = st["dim"]
    y = xs[0].log_softmax(dim, dtype=st.get("dtype"))
    return {0: run(_log_softmax_backward, (g, y), (("dim", dim % max(y.ndim, 1)),))}


# ---- reductions and views ------------------------------------------------------------------
def sum_backward(g, shape, dim, keepdim):
    if dim is None or not shape:
        return g.expand(shape)
    if not keepdim:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        for d in sorted(d % len(shape) for d in dims):
            g = g.unsqueeze(d)
    return g.expand(shape)


@formula("sum")
def _sum(g, xs, st, diff):
    return {0: sum_backward(g, tuple(xs[0].shape), st.get("dim"), st.get("keepdim"))}


def mean_backward(g, shape, dim, keepdim):
    """torch's mean_backward: sum_backward divided by the number of elements reduced."""
    n = 1
    for i in (range(len(shape)) if dim is None else
              (dim if isinstance(dim, (tuple, list)) else (dim,))):
        n *= shape[i] if shape else 1
    return div_scalar(sum_backward(g, shape, dim, keepdim), n)


@formula("mean")
def _mean(g, xs, st, diff):
    return {0: mean_backward(g, tuple(xs[0].shape), st.get("dim"), st.get("keepdim"))}


@formula("view")
def _view(g, xs, st, diff):
    # torch: grad.reshape(self's sizes), a view since the gradients reaching a view are laid
    # out as their op's inputs (torchlike keeps no strides for computed tensors to tell)
    from ..ops.shape import _view as view
    return {0: run(view, (g,), (("shape", tuple(xs[0].shape)),))}


@formula("t")
def _t(g, xs, st, diff):
    return {0: g.t()}


@formula("unsqueeze")
def _unsqueeze(g, xs, st, diff):
    return {0: g.squeeze(st["dim"])}


@formula("squeeze_dim")
def _squeeze_dim(g, xs, st, diff):
    dim = st["dim"]  # () when the dimension was not 1 (nothing squeezed)
    return {0: g.unsqueeze(dim[0]) if dim else g}


@formula("expand")
def _expand(g, xs, st, diff):
    return {0: sum_to(g, tuple(xs[0].shape))}


# the other families register into FORMULAS (imported last: they build on the helpers above)
from . import formulas_binary as formulas_binary  # noqa: E402
from . import formulas_complex as formulas_complex  # noqa: E402
from . import formulas_decompositions as formulas_decompositions  # noqa: E402
from . import formulas_distance as formulas_distance  # noqa: E402
from . import formulas_linalg as formulas_linalg  # noqa: E402
from . import formulas_losses as formulas_losses  # noqa: E402
from . import formulas_nn as formulas_nn  # noqa: E402
from . import formulas_pointwise as formulas_pointwise  # noqa: E402
from . import formulas_reductions as formulas_reductions  # noqa: E402
from . import formulas_shape as formulas_shape  # noqa: E402
from . import formulas_special as formulas_special  # noqa: E402
from . import formulas_spectral as formulas_spectral  # noqa: E402
