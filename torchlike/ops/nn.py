"""nn kernels: softmax family, linear, activations, normalization, convolution, pooling,
embedding, padding and losses. Argument checks live in torchlike.nn.functional; these are the
table entries (pure jax bodies) plus torch.softmax / torch.log_softmax."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype as D
from .._tensor import _SHORT, _wrap, _wrap_dim
from ..autograd import grad_mode
from ._bind import public
from ._registry import _record, in_float, op, resolve, run

_HI = lax.Precision.HIGHEST


def _arg_dtype(op_, operands, statics):
    """Computation and result in the `dtype` static when given, else the input's dtype."""
    dt = dict(statics).get("dtype") or operands[0].dtype
    return dt, dt


# Result in the input's dtype; Python numbers (slopes, eps, momentum) are cast to it.
_IN = dict(dtypes="promote", promote=(0,))


# ---- softmax family ----------------------------------------------------------------------
def _softmax_body(a, dim, dtype):
    return jax.nn.softmax(a, axis=dim) if a.ndim else jnp.ones_like(a)


def _log_softmax_body(a, dim, dtype):
    return jax.nn.log_softmax(a, axis=dim) if a.ndim else jnp.zeros_like(a)


_softmax = op("softmax", "SoftmaxBackward0", dtypes=_arg_dtype)(_softmax_body)
_log_softmax = op("log_softmax", "LogSoftmaxBackward0", dtypes=_arg_dtype)(_log_softmax_body)
softmin_op = op("softmin", "SoftmaxBackward0", dtypes=_arg_dtype)(
    lambda a, dim, dtype: _softmax_body(-a, dim, dtype))


def _softmax_args(name, input, dim, dtype):
    d = _wrap_dim(dim, input.ndim)
    dtype = None if dtype is None else D.to_dtype(dtype)
    computed = input.dtype if dtype is None else dtype
    if computed.kind != "f":  # torch's kernels are for floating types only (not complex)
        kernel = f"{name}_lastdim_kernel_impl" if d == max(input.ndim - 1, 0) else \
            f"{name}_kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{_SHORT[computed.name]}'")
    return (("dim", d), ("dtype", dtype))


@public()
def softmax(input, dim, dtype=None, *, _stacklevel=None):
    return run(_softmax, (input,), _softmax_args("softmax", input, dim, dtype))


@public()
def log_softmax(input, dim, dtype=None, *, _stacklevel=None):
    return run(_log_softmax, (input,), _softmax_args("log_softmax", input, dim, dtype))


# ---- linear ------------------------------------------------------------------------------
# F.linear is composed as at::linear is (torchlike/nn/functional.py), so its graph is torch's:
# addmm / mm of the input and weight.t(). jax would copy to transpose the weight, so these
# kernels take the weight itself where torch has its transpose `wt`: weight_t records w.t()'s
# TBackward0 node over the weight's own array, and the kernels contract its last dimension.
# Gradients flowing through that node keep the weight's shape (no transpose and back).
_weight_t = op("linear_weight_t", "TBackward0", dtypes="same", saves=False)(lambda w: w)
linear_addmm = op("linear_addmm", "AddmmBackward0")(
    lambda c, x, w: c + jnp.matmul(x, w.T, precision=_HI))
linear_mm = op("linear_mm", "MmBackward0")(lambda x, w: jnp.matmul(x, w.T, precision=_HI))


def weight_t(weight):
    """weight.t() as torch records it (TBackward0, sharing the weight's version counter), over
    the weight's array untransposed: an operand for linear_addmm / linear_mm only."""
    wt = _wrap(weight._data)
    wt._vc = weight._vc
    if weight._rg and grad_mode._modes.grad:
        _record(_weight_t, resolve(_weight_t, (weight,))[0], (weight,), [weight._data], (0,),
                (wt,))
    return wt


bilinear_op = op("bilinear", lambda s, p: "AddBackward0" if p[3] == "t" else "ViewBackward0",
                 dtypes="same")(
    lambda x1, x2, w, b: (lambda y: y if b is None else y + b)(
        jnp.einsum("...i,oij,...j->...o", x1, w, x2, precision=_HI)))


# ---- activations -------------------------------------------------------------------------
def _act(name, grad_fn, body, opmath=False):
    return op(name, grad_fn, opmath=opmath, elementwise=True, **_IN)(body)


leaky_relu_op = _act("leaky_relu", "LeakyReluBackward0",
                     in_float(lambda a, slope: jnp.where(a > 0, a, a * slope)), True)
elu_op = _act("elu", "EluBackward0", in_float(lambda a, alpha, scale, iscale: jnp.where(
    a > 0, a * scale, jnp.expm1(jnp.minimum(a, 0) * iscale) * (alpha * scale))), True)
celu_op = _act("celu", "CeluBackward0", lambda a, alpha: jnp.where(
    a > 0, a, jnp.expm1(jnp.minimum(a, 0) / alpha) * alpha))
hardtanh_op = _act("hardtanh", "HardtanhBackward0", lambda a, lo, hi: jnp.where(
    (a > lo) & (a < hi), a, jnp.where(a <= lo, lo, hi).astype(a.dtype)))
threshold_op = _act("threshold", "ThresholdBackward0",
                    lambda a, th, value: jnp.where(a > th, a, value).astype(a.dtype))
silu_op = _act("silu", "SiluBackward0", lambda a: a * jax.nn.sigmoid(a))
mish_op = _act("mish", "MishBackward0", lambda a: a * jnp.tanh(jax.nn.softplus(a)))
logsigmoid_op = _act("log_sigmoid", "LogSigmoidBackward0", jax.nn.log_sigmoid)


@jax.custom_jvp
def _hardsigmoid(a):
    return jnp.where(a <= -3, 0, jnp.where(a >= 3, 1, (a + 3) / 6)).astype(a.dtype)


@_hardsigmoid.defjvp
def _hardsigmoid_jvp(primals, tangents):
    # torch's backward multiplies by the float constant 1.0f / 6.0f, even in double
    (a,), (t,) = primals, tangents
    return _hardsigmoid(a), jnp.where((a > -3) & (a < 3), t * float(np.float32(1 / 6)),
                                      0).astype(a.dtype)


hardsigmoid_op = _act("hardsigmoid", "HardsigmoidBackward0", _hardsigmoid)
hardswish_op = _act("hardswish", "HardswishBackward0", lambda a: jnp.where(
    a < -3, 0, jnp.where(a <= 3, a * (a + 3) / 6, a)).astype(a.dtype))
softsign_op = _act("softsign", "DivBackward0", lambda a: a / (1 + jnp.abs(a)))
tanhshrink_op = _act("tanhshrink", "SubBackward0", lambda a: a - jnp.tanh(a))
hardshrink_op = _act("hardshrink", "HardshrinkBackward0",
                     lambda a, lam: jnp.where((a > lam) | (a < -lam), a, 0).astype(a.dtype))
softshrink_op = _act("softshrink", "SoftshrinkBackward0", lambda a, lam: jnp.where(
    a > lam, a - lam, jnp.where(a < -lam, a + lam, 0)).astype(a.dtype))


def _gelu(a, approximate):
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (a + 0.044715 * a * a * a)
        return 0.5 * a * (1 + jnp.tanh(inner))
    return a * 0.5 * (1 + lax.erf(a * (1 / math.sqrt(2))))


gelu_op = op("gelu", "GeluBackward0", dtypes="same", elementwise=True)(_gelu)


def _softplus(a, beta, threshold):
    z = a * beta
    # the log branch sees min(z, threshold): no inf/nan leaks through the unused branch
    return jnp.where(z > threshold, a, jnp.log1p(jnp.exp(jnp.minimum(z, threshold))) / beta)


softplus_op = _act("softplus", "SoftplusBackward0", _softplus)


def _prelu(a, w):
    if a.ndim >= 2 and w.size > 1:
        w = w.reshape((1, -1) + (1,) * (a.ndim - 2))
    return jnp.where(a > 0, a, w * a)


prelu_op = op("prelu", "PreluKernelBackward0", dtypes="same")(_prelu)


def _glu(a, dim):
    x, g = jnp.split(a, 2, axis=dim)
    return x * jax.nn.sigmoid(g)


glu_op = op("glu", "GluBackward0", dtypes="same")(_glu)


# ---- dropout masks: drawn on the host, applied by `mul` (torch records MulBackward0) ------
def dropout_noise(shape, p, dtype, rng):
    """torch's `bernoulli_(1 - p).div_(1 - p)` noise as a host array of `dtype` (rng: the
    torch generator)."""
    if p >= 1:  # torch returns zeros without drawing
        return np.zeros(shape, dtype.np)
    keep = rng.bernoulli(shape, 1 - p)
    return keep.astype(dtype.np) / np.asarray(1 - p, dtype.np)


# ---- normalization -----------------------------------------------------------------------
# torch's norm nodes have edges for input, weight and bias (None where one is missing), none
# for running statistics
_NORM_EDGES = (0, 1, 2)


def _stats_dtype(a):
    return jnp.float32 if a.dtype in (jnp.float16, jnp.bfloat16) else a.dtype


def _layer_norm(x, w, b, eps, nd):
    axes = tuple(range(x.ndim - nd, x.ndim))
    xf = x.astype(_stats_dtype(x))
    mean = jnp.mean(xf, axes, keepdims=True)
    var = jnp.mean(jnp.square(xf - mean), axes, keepdims=True)
    out = ((xf - mean) * lax.rsqrt(var + eps)).astype(x.dtype)
    if w is not None:
        out = out * w
    return out if b is None else out + b


layer_norm_op = op("native_layer_norm", "NativeLayerNormBackward0", edges=_NORM_EDGES, **_IN)(
    _layer_norm)


def _group_norm(x, w, b, eps, groups):
    n, c = x.shape[0], x.shape[1]
    xf = x.astype(_stats_dtype(x)).reshape(n, groups, -1)
    mean = jnp.mean(xf, -1, keepdims=True)
    var = jnp.mean(jnp.square(xf - mean), -1, keepdims=True)
    out = ((xf - mean) * lax.rsqrt(var + eps)).reshape(x.shape).astype(x.dtype)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if w is not None:
        out = out * w.reshape(shape)
    return out if b is None else out + b.reshape(shape)


group_norm_op = op("native_group_norm", "NativeGroupNormBackward0", edges=_NORM_EDGES, **_IN)(
    _group_norm)


def _rms_norm(x, w, eps, nd):
    axes = tuple(range(x.ndim - nd, x.ndim))
    xf = x.astype(_stats_dtype(x))
    out = (xf * lax.rsqrt(jnp.mean(xf * xf, axes, keepdims=True) + eps)).astype(x.dtype)
    return out if w is None else out * w


rms_norm_op = op("rms_norm", "MulBackward0", **_IN)(_rms_norm)


def _bn_shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _bn_affine(out, w, b, shape):
    if w is not None:
        out = out * w.reshape(shape)
    return out if b is None else out + b.reshape(shape)


def _bn_train(x, w, b, eps):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = _bn_shape(x)
    xf = x.astype(_stats_dtype(x))
    mean = jnp.mean(xf, axes)
    centered = xf - mean.reshape(shape)
    var_sum = jnp.sum(jnp.square(centered), axes)
    n = x.size // x.shape[1]
    out = (centered * lax.rsqrt(var_sum / n + eps).reshape(shape)).astype(x.dtype)
    return _bn_affine(out, w, b, shape), mean, var_sum, n


def _bn_stats(x, w, b, eps):
    """Training output plus the batch mean and unbiased variance (for the running stats)."""
    out, mean, var_sum, n = _bn_train(x, w, b, eps)
    return out, lax.stop_gradient(mean), lax.stop_gradient(var_sum / max(n - 1, 1))


def _bn_eval(x, w, b, rm, rv, eps):
    shape = _bn_shape(x)
    inv = lax.rsqrt(rv + eps)
    return _bn_affine(((x - rm.reshape(shape)) * inv.reshape(shape)).astype(x.dtype), w, b,
                      shape)


_BN = "NativeBatchNormBackward0"
batch_norm_train_op = op("batch_norm_train", _BN, edges=_NORM_EDGES, **_IN)(
    lambda x, w, b, eps: _bn_train(x, w, b, eps)[0])
batch_norm_stats_op = op("batch_norm_stats", _BN, nout=3, edges=_NORM_EDGES, **_IN)(_bn_stats)
batch_norm_eval_op = op("batch_norm_eval", _BN, edges=_NORM_EDGES, **_IN)(_bn_eval)


# ---- embedding ---------------------------------------------------------------------------
def _embedding(w, idx, padding_idx, scale_grad, xp=jnp):
    if xp is not jnp:  # the host path: the rows (the rest shapes gradients only)
        if scale_grad:
            raise NotImplementedError  # (the compiled kernel gives -0.0 rows as +0.0)
        return xp.take(w, idx, axis=0)
    out = jnp.take(w, idx, axis=0)
    if scale_grad:
        # gradients of a row are divided by how often its index occurs in the batch
        counts = jnp.zeros(w.shape[0], w.dtype).at[idx.reshape(-1)].add(1)
        scale = jnp.take(counts, idx)[..., None]
        out = lax.stop_gradient(out) + (out - lax.stop_gradient(out)) / scale
    if padding_idx is not None:
        out = jnp.where((idx == padding_idx)[..., None], lax.stop_gradient(out), out)
    return out


embedding_op = op("embedding", "EmbeddingBackward0", dtypes="same", edges=(0,), host=True)(
    _embedding)


def _renorm_rows(w, idx, max_norm, norm_type):
    used = jnp.zeros(w.shape[0], bool).at[idx.reshape(-1)].set(True)
    norms = jnp.sum(jnp.abs(w) ** norm_type, axis=1) ** (1 / norm_type)
    scale = jnp.where(used & (norms > max_norm), max_norm / (norms + 1e-7), 1)
    return (w * scale[:, None].astype(w.dtype)).astype(w.dtype)


embedding_renorm_op = op("embedding_renorm", None, dtypes="same")(_renorm_rows)


# ---- convolution -------------------------------------------------------------------------
_DIMS = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}
_PAD_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _conv(x, w, b, stride, padding, dilation, groups, mode, unbatched):
    nd = w.ndim - 2
    if unbatched:
        x = x[None]
    if mode != "zeros":
        x = jnp.pad(x, ((0, 0), (0, 0)) + tuple(padding), mode=_PAD_MODE[mode])
        padding = ((0, 0),) * nd
    out = lax.conv_general_dilated(x, w, stride, padding, rhs_dilation=dilation,
                                   dimension_numbers=_DIMS[nd], feature_group_count=groups,
                                   precision=_HI)
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * nd)
    return out[0] if unbatched else out


def _conv_name(statics, pattern):
    return "SqueezeBackward1" if dict(statics)["unbatched"] else "ConvolutionBackward0"


conv_op = op("convolution", _conv_name, dtypes="same")(_conv)


def _conv_transpose(x, w, b, stride, padding, out_pad, dilation, groups, unbatched):
    nd = w.ndim - 2
    if unbatched:
        x = x[None]
    cin, cout_g, ks = w.shape[0], w.shape[1], w.shape[2:]
    # (Cin, Cout/g, k...) -> (Cout, Cin/g, k...), spatially flipped: a dilated-input conv.
    wt = w.reshape((groups, cin // groups, cout_g) + ks)
    wt = jnp.swapaxes(wt, 1, 2).reshape((groups * cout_g, cin // groups) + ks)
    wt = jnp.flip(wt, tuple(range(2, 2 + nd)))
    pads = [(d * (k - 1) - p, d * (k - 1) - p + op_) for k, p, d, op_ in
            zip(ks, padding, dilation, out_pad)]
    out = lax.conv_general_dilated(x, wt, (1,) * nd, pads, lhs_dilation=stride,
                                   rhs_dilation=dilation, dimension_numbers=_DIMS[nd],
                                   feature_group_count=groups, precision=_HI)
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * nd)
    return out[0] if unbatched else out


conv_transpose_op = op("conv_transpose", _conv_name, dtypes="same")(_conv_transpose)


# ---- pooling -----------------------------------------------------------------------------
def _pool_name(kind, key="k"):
    def name(statics, pattern):
        n = len(dict(statics)[key])
        return "SqueezeBackward1" if n == 1 else kind % n
    return name


def _windows(x, k, s, d, pads, out, value):
    """(..., *spatial) -> (..., *out, prod(k)): every pooling window as a last axis."""
    nd = len(k)
    lead = x.ndim - nd
    cfg = [(0, 0, 0)] * lead + [(lo, hi, 0) for lo, hi in pads]
    xp = lax.pad(x, jnp.asarray(value, x.dtype), cfg)
    parts = []
    for offs in np.ndindex(*k):
        start = [0] * lead + [o * dd for o, dd in zip(offs, d)]
        limit = list(xp.shape[:lead]) + [st + (o - 1) * ss + 1 for st, o, ss in
                                         zip(start[lead:], out, s)]
        parts.append(lax.slice(xp, start, limit, [1] * lead + list(s)))
    return jnp.stack(parts, axis=-1)


def _max_pool(x, k, s, p, d, pads, out, with_indices):
    win = _windows(x, k, s, d, pads, out, -jnp.inf)
    arg = jnp.argmax(win, axis=-1)
    val = jnp.take_along_axis(win, arg[..., None], -1)[..., 0]
    if not with_indices:
        return val
    nd = len(k)
    offs = np.unravel_index(np.arange(int(np.prod(k))), k)
    flat, size = jnp.zeros(arg.shape, jnp.int64), 1
    for i in reversed(range(nd)):
        grid = (np.arange(out[i]) * s[i] - p[i]).reshape((-1,) + (1,) * (nd - 1 - i))
        pos = grid + jnp.asarray(offs[i] * d[i])[arg]
        flat = flat + pos * size
        size *= x.shape[x.ndim - nd + i]
    return val, flat


max_pool_op = op("max_pool", _pool_name("MaxPool%dDWithIndicesBackward0"), dtypes="same")(
    lambda x, k, s, p, d, pads, out: _max_pool(x, k, s, p, d, pads, out, False))
max_pool_idx_op = op("max_pool_indices", _pool_name("MaxPool%dDWithIndicesBackward0"),
                     dtypes="same", nout=2)(
    lambda x, k, s, p, d, pads, out: _max_pool(x, k, s, p, d, pads, out, True))


def _avg_divisor(sizes, k, s, p, out, include_pad):
    """torch's per-window divisor: window size clipped to the padded (or real) input."""
    div = np.ones(())
    for n, kk, ss, pp, o in zip(sizes, k, s, p, out):
        start = np.arange(o) * ss - pp
        end = np.minimum(start + kk, n + pp)
        size = end - start if include_pad else np.minimum(end, n) - np.maximum(start, 0)
        div = np.multiply.outer(div, size)
    return div


def _avg_pool(x, k, s, p, pads, out, include_pad, override):
    win = _windows(x, k, s, (1,) * len(k), pads, out, 0)
    div = override or _avg_divisor(x.shape[x.ndim - len(k):], k, s, p, out, include_pad)
    return (jnp.sum(win, -1) / jnp.asarray(div, x.dtype)).astype(x.dtype)


avg_pool_op = op("avg_pool", _pool_name("AvgPool%dDBackward0"), dtypes="same")(_avg_pool)


def _adaptive_avg(x, out):
    nd = len(out)
    ins = x.shape[x.ndim - nd:]
    if all(i % o == 0 for i, o in zip(ins, out)):
        shape = x.shape[:x.ndim - nd]
        for i, o in zip(ins, out):
            shape += (o, i // o)
        return jnp.mean(x.reshape(shape), tuple(x.ndim - nd + 2 * j + 1 for j in range(nd)))
    for j, (i, o) in enumerate(zip(ins, out)):
        m = np.zeros((o, i))
        for r in range(o):
            lo, hi = (r * i) // o, -((-(r + 1) * i) // o)
            m[r, lo:hi] = 1.0 / (hi - lo)
        axis = x.ndim - nd + j
        x = jnp.moveaxis(jnp.tensordot(x, jnp.asarray(m, x.dtype), ((axis,), (1,)),
                                       precision=_HI), -1, axis)
    return x


def _adaptive_avg_name(statics, pattern):
    out = dict(statics)["out"]
    if len(out) == 1:
        return "SqueezeBackward1"
    return "MeanBackward1" if all(o == 1 for o in out) else "AdaptiveAvgPool2DBackward0"


adaptive_avg_op = op("adaptive_avg_pool", _adaptive_avg_name, dtypes="same")(_adaptive_avg)


def _adaptive_max(x, out, with_indices):
    nd = len(out)
    ins = x.shape[x.ndim - nd:]
    idx = []
    for i, o in zip(ins, out):
        lo = np.array([(r * i) // o for r in range(o)])
        hi = np.array([-((-(r + 1) * i) // o) for r in range(o)])
        kmax = int((hi - lo).max())
        pos = lo[:, None] + np.arange(kmax)[None]
        idx.append((np.minimum(pos, i - 1), pos < hi[:, None]))
    win = x
    valid = np.ones((), bool)
    for j, (pos, ok) in enumerate(idx):
        axis = x.ndim - nd + 2 * j
        win = jnp.take(win, jnp.asarray(pos.reshape(-1)), axis=axis)
        win = win.reshape(win.shape[:axis] + pos.shape + win.shape[axis + 1:])
        valid = np.logical_and.outer(valid, ok) if valid.ndim else ok
    # (..., o1, k1, o2, k2) -> (..., o1, o2, k1*k2)
    lead = x.ndim - nd
    perm = list(range(lead)) + [lead + 2 * j for j in range(nd)] + \
        [lead + 2 * j + 1 for j in range(nd)]
    win = jnp.transpose(win, perm)
    vperm = [2 * j for j in range(nd)] + [2 * j + 1 for j in range(nd)]
    mask = np.transpose(valid, vperm)
    win = win.reshape(win.shape[:lead + nd] + (-1,))
    win = jnp.where(jnp.asarray(mask.reshape(mask.shape[:nd] + (-1,))), win, -jnp.inf)
    arg = jnp.argmax(win, -1)
    val = jnp.take_along_axis(win, arg[..., None], -1)[..., 0]
    if not with_indices:
        return val
    flat, size = jnp.zeros(arg.shape, jnp.int64), 1
    ks = [p.shape[1] for p, _ in idx]
    rem = arg
    for j in reversed(range(nd)):
        kj = rem % ks[j]
        rem = rem // ks[j]
        pos = jnp.asarray(idx[j][0])
        rows = jnp.arange(out[j]).reshape((-1,) + (1,) * (nd - 1 - j))
        flat = flat + pos[rows, kj] * size
        size *= ins[j]
    return val, flat


adaptive_max_op = op("adaptive_max_pool", _pool_name("AdaptiveMaxPool%dDBackward0", "out"),
                     dtypes="same", nout=2)(lambda x, out: _adaptive_max(x, out, True))


# ---- padding -----------------------------------------------------------------------------
def _pad_name(statics, pattern):
    s = dict(statics)
    mode, n = s["mode"], len(s["pads"])
    if mode == "constant":
        return "ConstantPadNdBackward0"
    if mode == "circular":
        return "CopySlices"
    return f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{n}DBackward0"


def _pad(x, value, pads, mode):
    cfg = [(0, 0)] * (x.ndim - len(pads)) + list(pads)
    if mode == "constant":
        return lax.pad(x, jnp.asarray(value, x.dtype), [(lo, hi, 0) for lo, hi in cfg])
    return jnp.pad(x, cfg, mode=_PAD_MODE[mode])


pad_op = op("pad", _pad_name, **_IN)(_pad)


# ---- distances ---------------------------------------------------------------------------
def _safe_norm(x, p, axis, keepdims=False):
    """p-norm whose gradient at a zero vector is 0 (as torch's), not nan."""
    a = jnp.abs(x)
    if p == float("inf"):
        return jnp.max(a, axis, keepdims=keepdims)
    s = jnp.sum(a ** p if p != 2 or jnp.iscomplexobj(x) else x * x, axis, keepdims=keepdims)
    pos = s > 0
    return jnp.where(pos, jnp.where(pos, s, 1) ** (1 / p), 0)


normalize_op = op("normalize", "DivBackward0", **_IN)(
    lambda x, eps, p, dim: x / jnp.maximum(_safe_norm(x, p, dim, True), eps))


def _cosine(x1, x2, eps, dim):
    def unit(x):
        n = _safe_norm(x, 2, dim, True)
        return x / (n + lax.stop_gradient(jnp.maximum(n, eps) - n))
    return jnp.sum(unit(x1) * unit(x2), dim)


cosine_similarity_op = op("cosine_similarity", "SumBackward1", dtypes="promote",
                          promote=(0, 1))(_cosine)
pairwise_distance_op = op("pairwise_distance", "NormBackward1", dtypes="promote",
                          promote=(0, 1))(
    lambda x1, x2, eps, p, keepdim: _safe_norm(x1 - x2 + eps, p, -1, keepdim))
one_hot_op = op("one_hot", None, dtypes="long")(
    lambda idx, num: (idx[..., None] == jnp.arange(num)).astype(jnp.int64))



