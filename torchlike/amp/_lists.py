"""torch 2.13's CPU autocast lists as one table, and how torchlike applies them.

torch keeps the lists in aten/src/ATen/autocast_mode.cpp, keyed by aten op. Here they are keyed
by the torch names that reach those ops (read from real torch by experiment: which output dtype
each op gives under `torch.autocast("cpu")` for float32 and bfloat16 inputs; compat/test_amp.py
runs every entry against torch). A policy says what the op's floating tensor arguments
(float16/bfloat16/float32 on the CPU; never float64) become before it runs:

  lower_precision_fp  the autocast dtype (bfloat16 by default)
  fp32                float32
  promote             the widest of them (float32 over the autocast dtype)

An entry is a policy, or (policy, when): `when(*args, **kwargs)` says whether this call reaches
the listed aten op (F.pad reaches reflection_pad2d in mode "reflect" but constant_pad_nd in
mode "constant"). torch's composite ops that decompose into a listed op and that torchlike
computes in one kernel are listed under the policy they inherit (einsum reaches bmm).

Where: "X" is torch.X and Tensor.X; "Tensor.X" the method only; "nn.functional.X", "linalg.X",
"fft.X" those modules' X. Names torchlike lacks (placeholders) are skipped until it has them.
"""
from __future__ import annotations

import functools
import math
import sys

from .._tensor import Tensor
from ..ops._registry import autocast as hook
from ._state import FP32, LOWER, OP_POLICIES, PROMOTE, call_listed


def _einsum_contracts(equation, *operands):
    """torch's einsum reaches bmm when two operands share a label summed away."""
    if not isinstance(equation, str):
        return False
    lhs, arrow, out = equation.replace(" ", "").replace(".", "").partition("->")
    terms = lhs.split(",")
    if not arrow:
        out = "".join(c for c in set(lhs) if lhs.count(c) == 1)
    return any(sum(c in t for t in terms) >= 2 for c in set(lhs) - set(out) - {","})


def _free_numel(t, contracted) -> int:
    return math.prod(s for i, s in enumerate(t.shape) if i not in contracted)


def _tensordot_mm(a, b, dims=2, out=None):
    """torch's tensordot is one mm, except dot when neither side keeps more than one element."""
    if isinstance(dims, int):
        da, db = range(a.ndim - dims, a.ndim), range(dims)
    else:
        da, db = ([d] if isinstance(d, int) else d for d in dims)
    da, db = {d % a.ndim for d in da}, {d % b.ndim for d in db}
    return not (_free_numel(a, da) == 1 and _free_numel(b, db) == 1)


def _inner_mm(input, other, *, out=None):
    """torch's inner: mul for a 0-d side, dot for two vectors, else mm."""
    return input.ndim > 0 and other.ndim > 0 and max(input.ndim, other.ndim) > 1


def _power_matmul(input, n, *, out=None):
    """matrix_power multiplies for n >= 2 (for n <= -2 torch inverts in float32, then
    multiplies in the autocast dtype: torchlike's one kernel stays float32 there)."""
    return n >= 2


def _pads_listed(input, pad, mode="constant", value=None):
    """F.pad: reflection_pad1d/2d and replication_pad1d/2d/3d are listed (not reflection_pad3d,
    circular or constant padding)."""
    return mode == "replicate" or (mode == "reflect" and len(pad) <= 4)


def _no_indices(*args, return_indices=False, **kwargs):
    """max_pool3d is listed, max_pool3d_with_indices is not."""
    return not (return_indices or (len(args) > 6 and args[6]))


_LOSSES = ("mse_loss cosine_embedding_loss nll_loss hinge_embedding_loss poisson_nll_loss "
           "smooth_l1_loss cross_entropy l1_loss huber_loss margin_ranking_loss soft_margin_loss "
           "triplet_margin_loss multi_margin_loss ctc_loss kl_div multilabel_margin_loss "
           "binary_cross_entropy binary_cross_entropy_with_logits").split()
_FFTS = "fft ifft fft2 ifft2 fftn ifftn rfft irfft rfft2 irfft2 rfftn irfftn hfft ihfft".split()
_LINALG_FP32 = ("cond matrix_rank solve cholesky cholesky_ex svdvals eigvals eigvalsh inv inv_ex "
                "householder_product tensorinv tensorsolve qr svd eig eigh lstsq").split()
_CONVS = "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d".split()

CPU = {
    # ---- lower_precision_fp ---------------------------------------------------------------
    **dict.fromkeys(["mm", "bmm", "matmul", "addmm", "addbmm", "baddbmm", "Tensor.__matmul__",
                     "Tensor.__rmatmul__", "linalg.matmul", "linalg.vecdot", "prelu",
                     "conv_tbc", "mkldnn_rnn_layer", "nn.functional.linear", "nn.functional.prelu",
                     "nn.functional.scaled_dot_product_attention", *_CONVS,
                     *["nn.functional." + n for n in _CONVS]], LOWER),
    # composites of torch that reach mm / bmm / matmul
    "einsum": (LOWER, _einsum_contracts),
    "tensordot": (LOWER, _tensordot_mm),
    "inner": (LOWER, _inner_mm),
    "chain_matmul": LOWER,
    "linalg.multi_dot": LOWER,
    "matrix_power": (LOWER, _power_matmul),
    "linalg.matrix_power": (LOWER, _power_matmul),
    # ---- fp32 ---------------------------------------------------------------------------------
    **dict.fromkeys(["prod", "quantile", "nanquantile", "cdist", "trace", "polar",
                     "view_as_complex", "cholesky", "cholesky_inverse", "cholesky_solve",
                     "inverse", "lu_solve", "orgqr", "ormqr", "pinverse", "geqrf", "qr", "svd",
                     "triangular_solve", "stft", "grid_sampler", "grid_sampler_2d",
                     "grid_sampler_3d", "kl_div", "binary_cross_entropy_with_logits",
                     "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss",
                     "poisson_nll_loss", "triplet_margin_loss", "ctc_loss",
                     *["linalg." + n for n in _LINALG_FP32], *["fft." + n for n in _FFTS],
                     *["nn.functional." + n for n in _LOSSES],
                     *["nn.functional." + n for n in (
                         "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
                         "fractional_max_pool2d", "fractional_max_pool3d", "max_unpool1d",
                         "max_unpool2d", "max_unpool3d", "grid_sample")]], FP32),
    "max_pool3d": (FP32, _no_indices),
    "nn.functional.max_pool3d": (FP32, _no_indices),
    "nn.functional.pad": (FP32, _pads_listed),
    # ---- promote --------------------------------------------------------------------------
    **dict.fromkeys(["cat", "concat", "concatenate", "stack", "index_copy"], PROMOTE),
}


# Where torchlike reaches a listed op other than through its torch name: its own entry points
# (nn.Conv2d calls _conv where torch's calls F.conv2d) and "op:NAME", a table op its modules run
# directly (nn.LSTM's mkldnn_rnn_layer), cast by the op table's hook -> the torch name.
ROUTES = {
    "nn._functional_conv._conv": "nn.functional.conv2d",
    "nn._functional_conv._conv_transpose": "nn.functional.conv_transpose2d",
    "op:mkldnn_rnn_layer": "mkldnn_rnn_layer",
}


# ---- putting the listed functions behind the autocast check -------------------------------
def _listed(fn, policy, when):
    """`fn` with the autocast check in front: one thread-local read while autocast is off."""
    @functools.wraps(fn)
    def autocast_wrapper(*args, **kwargs):
        if hook.cast is None:
            return fn(*args, **kwargs)
        return call_listed(fn, policy, when, args, kwargs)
    return autocast_wrapper


def _owner(name: str):
    """The torchlike object that holds torch name `name` (see top), and the attribute."""
    import torchlike
    path = name.split(".")
    owner = torchlike.Tensor if path[0] == "Tensor" else torchlike
    for part in path[1 if path[0] == "Tensor" else 0:-1]:
        owner = getattr(owner, part)
    return owner, path[-1]


def _install() -> None:
    """Put the listed functions behind the autocast check wherever torchlike binds them: the
    public names, the Tensor methods, and every torchlike module that imported them by name
    (so that nn.Linear and the loss modules reach them too); name the routed table ops."""
    import torchlike
    wrapped: dict[int, tuple] = {}
    entries = [(name, CPU[name]) for name in CPU] + \
        [(route, CPU[name]) for route, name in ROUTES.items()]
    for name, entry in entries:
        policy, when = entry if isinstance(entry, tuple) else (entry, None)
        if name.startswith("op:"):
            OP_POLICIES[name[3:]] = policy
            continue
        owner, attr = _owner(name)
        owners = [owner, torchlike.Tensor] if "." not in name else [owner]
        for o in owners:
            fn = vars(o).get(attr)
            if callable(fn) and not isinstance(fn, type) and id(fn) not in wrapped:
                wrapped[id(fn)] = (fn, _listed(fn, policy, when))
    holders = [vars(m) for n, m in list(sys.modules.items())
               if m is not None and (n == "torchlike" or n.startswith("torchlike."))]
    for space, target in [(h, h) for h in holders] + [(dict(vars(Tensor)), Tensor)]:
        for attr, value in list(space.items()):
            hit = wrapped.get(id(value))
            if hit is not None and hit[0] is value:
                if target is Tensor:
                    setattr(Tensor, attr, hit[1])
                else:
                    target[attr] = hit[1]


_install()
