"""Mixed precision against real torch: every op of the CPU autocast table (torchlike/amp/_lists.py)
run under autocast in both libraries (output dtypes, values, grad_fn names), the ops off the
lists, the autocast state and its warnings, gradients through the casts, the weight cache, and
GradScaler over SGD steps (one of them with an inf gradient)."""
from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
import torch
from _helper import assert_same, assert_same_error, check, check_call, check_raises, graph

import torchlike
from torchlike.amp import _lists

# torch's own deprecation notes for samples that call torch.cholesky, torch.qr, chain_matmul
pytestmark = pytest.mark.filterwarnings("ignore:torch.(cholesky|qr|chain_matmul) is deprecated")
R = np.random.default_rng(0)
# Gradients through a lower-precision op: torchlike's fused backward lets XLA keep float32
# between ops where torch rounds to bfloat16 (XLA's excess precision), so they agree to bfloat16
# rounding, not float32's.
BF16 = dict(rtol=5e-2, atol=5e-2)


def _f(*shape, lo=-1.0, hi=1.0):
    return R.uniform(lo, hi, shape).astype(np.float32)


def _spd(n=3):
    a = _f(n, n)
    return (a @ a.T + n * np.eye(n)).astype(np.float32)


def _idx(*values):
    return np.array(values, np.int64)


# table name -> (call(L, *xs), inputs). One sample per entry, plus "name/why" samples where the
# entry's condition decides (a call that does not reach the listed op keeps its dtypes).
SAMPLES = {
    "mm": (lambda L, a, b: L.mm(a, b), (_f(3, 4), _f(4, 5))),
    "bmm": (lambda L, a, b: L.bmm(a, b), (_f(2, 3, 4), _f(2, 4, 5))),
    "matmul": (lambda L, a, b: L.matmul(a, b), (_f(2, 3, 4), _f(4, 5))),
    "addmm": (lambda L, c, a, b: L.addmm(c, a, b), (_f(3, 5), _f(3, 4), _f(4, 5))),
    "addbmm": (lambda L, c, a, b: L.addbmm(c, a, b), (_f(3, 5), _f(2, 3, 4), _f(2, 4, 5))),
    "baddbmm": (lambda L, c, a, b: L.baddbmm(c, a, b), (_f(2, 3, 5), _f(2, 3, 4), _f(2, 4, 5))),
    "Tensor.__matmul__": (lambda L, a, b: a @ b, (_f(3, 4), _f(4))),
    "Tensor.__rmatmul__": (lambda L, a, b: b.__rmatmul__(a), (_f(3, 4), _f(4, 2))),
    "linalg.matmul": (lambda L, a, b: L.linalg.matmul(a, b), (_f(4), _f(4, 2))),
    "linalg.vecdot": (lambda L, a, b: L.linalg.vecdot(a, b), (_f(3, 4), _f(3, 4))),
    "nn.functional.linear": (lambda L, x, w, b: L.nn.functional.linear(x, w, b),
                             (_f(4, 3), _f(2, 3), _f(2))),
    "nn.functional.prelu": (lambda L, x, w: L.nn.functional.prelu(x, w), (_f(2, 3), _f(3))),
    "nn.functional.scaled_dot_product_attention": (
        lambda L, q, k, v: L.nn.functional.scaled_dot_product_attention(q, k, v),
        (_f(1, 2, 3, 4), _f(1, 2, 3, 4), _f(1, 2, 3, 4))),
    "nn.functional.conv1d": (lambda L, x, w, b: L.nn.functional.conv1d(x, w, b),
                             (_f(1, 2, 5), _f(3, 2, 2), _f(3))),
    "nn.functional.conv2d": (lambda L, x, w: L.nn.functional.conv2d(x, w, padding=1),
                             (_f(1, 2, 4, 4), _f(3, 2, 2, 2))),
    "nn.functional.conv3d": (lambda L, x, w: L.nn.functional.conv3d(x, w),
                             (_f(1, 2, 3, 3, 3), _f(2, 2, 2, 2, 2))),
    "nn.functional.conv_transpose1d": (lambda L, x, w: L.nn.functional.conv_transpose1d(x, w),
                                       (_f(1, 2, 5), _f(2, 3, 2))),
    "nn.functional.conv_transpose2d": (
        lambda L, x, w: L.nn.functional.conv_transpose2d(x, w, stride=2), (_f(1, 2, 3, 3),
                                                                          _f(2, 3, 2, 2))),
    "einsum": (lambda L, a, b: L.einsum("ij,jk->ik", a, b), (_f(2, 3), _f(3, 4))),
    "einsum/no contraction": (lambda L, a, b: L.einsum("i,j->ij", a, b), (_f(2), _f(3))),
    "tensordot": (lambda L, a, b: L.tensordot(a, b, dims=1), (_f(3, 4), _f(4, 2))),
    "tensordot/dot": (lambda L, a, b: L.tensordot(a, b, dims=2), (_f(3, 4), _f(3, 4))),
    "inner": (lambda L, a, b: L.inner(a, b), (_f(2, 3), _f(4, 3))),
    "inner/vectors": (lambda L, a, b: L.inner(a, b), (_f(3), _f(3))),
    "chain_matmul": (lambda L, a, b, c: L.chain_matmul(a, b, c), (_f(2, 3), _f(3, 4), _f(4, 2))),
    "linalg.multi_dot": (lambda L, a, b, c: L.linalg.multi_dot([a, b, c]),
                         (_f(2, 3), _f(3, 4), _f(4, 2))),
    "matrix_power": (lambda L, a: L.matrix_power(a, 3), (_f(3, 3),)),
    "matrix_power/one": (lambda L, a: a.matrix_power(1), (_f(3, 3),)),
    "linalg.matrix_power": (lambda L, a: L.linalg.matrix_power(a, 2), (_f(3, 3),)),
    "linalg.matrix_power/inverse": (lambda L, a: L.linalg.matrix_power(a, -1), (_spd(),)),
    # fp32: bfloat16 inputs, float32 results
    "prod": (lambda L, a: (L.prod(a), a.prod(1)), (_f(2, 3, lo=0.5, hi=1.5),)),
    "quantile": (lambda L, a: L.quantile(a, 0.3), (_f(7),)),
    "nanquantile": (lambda L, a: a.nanquantile(0.6, dim=0), (_f(5, 2),)),
    "cdist": (lambda L, a, b: L.cdist(a, b), (_f(2, 3), _f(4, 3))),
    "trace": (lambda L, a: L.trace(a), (_f(3, 3),)),
    "polar": (lambda L, a, b: L.polar(a, b), (_f(3, lo=0.1), _f(3))),
    "view_as_complex": (lambda L, a: L.view_as_complex(a), (_f(3, 2),)),
    "cholesky": (lambda L, a: L.cholesky(a), (_spd(),)),
    "cholesky_inverse": (lambda L, a: L.cholesky_inverse(L.linalg.cholesky(a)), (_spd(),)),
    "cholesky_solve": (lambda L, a, b: L.cholesky_solve(b, L.linalg.cholesky(a)),
                       (_spd(), _f(3, 2))),
    "triangular_solve": (lambda L, a, b: L.triangular_solve(b, L.linalg.cholesky(a))[0],
                         (_spd(), _f(3, 2))),
    "inverse": (lambda L, a: a.inverse(), (_spd(),)),
    "pinverse": (lambda L, a: L.pinverse(a), (_spd(),)),
    "qr": (lambda L, a: [t.abs() for t in L.qr(a)], (_spd(),)),  # abs: signs are free
    "svd": (lambda L, a: L.svd(a)[1], (_spd(),)),
    "linalg.matrix_rank": (lambda L, a: L.linalg.matrix_rank(a), (_spd(),)),
    "linalg.solve": (lambda L, a, b: L.linalg.solve(a, b), (_spd(), _f(3, 2))),
    "linalg.cholesky": (lambda L, a: L.linalg.cholesky(a), (_spd(),)),
    "linalg.cholesky_ex": (lambda L, a: L.linalg.cholesky_ex(a), (_spd(),)),
    "linalg.svdvals": (lambda L, a: L.linalg.svdvals(a), (_spd(),)),
    "linalg.eigvalsh": (lambda L, a: L.linalg.eigvalsh(a), (_spd(),)),
    "linalg.inv": (lambda L, a: L.linalg.inv(a), (_spd(),)),
    "linalg.inv_ex": (lambda L, a: L.linalg.inv_ex(a), (_spd(),)),
    "linalg.qr": (lambda L, a: [t.abs() for t in L.linalg.qr(a)], (_spd(),)),
    "linalg.svd": (lambda L, a: L.linalg.svd(a)[1], (_spd(),)),
    "linalg.eigh": (lambda L, a: L.linalg.eigh(a)[0], (_spd(),)),
    "linalg.lstsq": (lambda L, a, b: L.linalg.lstsq(a, b)[0], (_spd(), _f(3, 2))),
    **{f"fft.{n}": ((lambda n: lambda L, a: getattr(L.fft, n)(a))(n), (_f(4, 4),))
       for n in _lists._FFTS},
    "nn.functional.mse_loss": (lambda L, a, b: L.nn.functional.mse_loss(a, b),
                               (_f(3, 4), _f(3, 4))),
    "nn.functional.cosine_embedding_loss": (
        lambda L, a, b, y: L.nn.functional.cosine_embedding_loss(a, b, y),
        (_f(3, 4), _f(3, 4), np.array([1, -1, 1], np.float32))),
    "nn.functional.nll_loss": (lambda L, a, t: L.nn.functional.nll_loss(a, t),
                               (_f(3, 4), _idx(0, 3, 1))),
    "nn.functional.hinge_embedding_loss": (
        lambda L, a, y: L.nn.functional.hinge_embedding_loss(a, y),
        (_f(3, 4), np.sign(_f(3, 4)).astype(np.float32))),
    "nn.functional.poisson_nll_loss": (lambda L, a, b: L.nn.functional.poisson_nll_loss(a, b),
                                       (_f(3, 4), _f(3, 4, lo=0.0, hi=3.0))),
    "nn.functional.smooth_l1_loss": (lambda L, a, b: L.nn.functional.smooth_l1_loss(a, b),
                                     (_f(3, 4), _f(3, 4))),
    "nn.functional.cross_entropy": (lambda L, a, t: L.nn.functional.cross_entropy(a, t),
                                    (_f(3, 4), _idx(0, 3, 1))),
    "nn.functional.cross_entropy/probabilities": (
        lambda L, a, p: L.nn.functional.cross_entropy(a, p, label_smoothing=0.1),
        (_f(3, 4), np.full((3, 4), 0.25, np.float32))),
    "nn.functional.l1_loss": (lambda L, a, b: L.nn.functional.l1_loss(a, b, reduction="sum"),
                              (_f(3, 4), _f(3, 4))),
    "nn.functional.huber_loss": (lambda L, a, b: L.nn.functional.huber_loss(a, b, delta=0.5),
                                 (_f(3, 4), _f(3, 4))),
    "nn.functional.margin_ranking_loss": (
        lambda L, a, b, y: L.nn.functional.margin_ranking_loss(a, b, y),
        (_f(4), _f(4), np.array([1, -1, -1, 1], np.float32))),
    "nn.functional.triplet_margin_loss": (
        lambda L, a, p, n: L.nn.functional.triplet_margin_loss(a, p, n),
        (_f(3, 4), _f(3, 4), _f(3, 4))),
    "nn.functional.multi_margin_loss": (lambda L, a, t: L.nn.functional.multi_margin_loss(a, t),
                                        (_f(3, 4), _idx(0, 3, 1))),
    "nn.functional.kl_div": (
        lambda L, a, b: L.nn.functional.kl_div(a, b, reduction="batchmean"),
        (_f(3, 4), _f(3, 4, lo=0.0, hi=1.0))),
    "nn.functional.multilabel_margin_loss": (
        lambda L, a, t: L.nn.functional.multilabel_margin_loss(a, t),
        (_f(2, 4), np.array([[3, 0, -1, 1], [1, 2, 0, -1]], np.int64))),
    "nn.functional.binary_cross_entropy": (
        lambda L, a, b: L.nn.functional.binary_cross_entropy(a, b),
        (_f(3, 4, lo=0.05, hi=0.95), _f(3, 4, lo=0.0, hi=1.0))),
    "nn.functional.binary_cross_entropy_with_logits": (
        lambda L, a, b: L.nn.functional.binary_cross_entropy_with_logits(a, b),
        (_f(3, 4), _f(3, 4, lo=0.0, hi=1.0))),
    "ctc_loss": (lambda L, x, t: L.ctc_loss(x, t, [4, 3], [2, 1]),
                 (_f(4, 2, 3, lo=-3.0, hi=-0.1), np.array([[1, 2], [2, 0]]))),
    "nn.functional.ctc_loss": (lambda L, x, t: L.nn.functional.ctc_loss(x, t, (4, 3), (2, 1)),
                               (_f(4, 2, 3, lo=-3.0, hi=-0.1), _idx(1, 2, 2))),
    "grid_sampler": (lambda L, x, g: L.grid_sampler(x, g, 0, 0, False),
                     (_f(1, 2, 3, 4), _f(1, 2, 3, 2))),
    "grid_sampler_2d": (lambda L, x, g: L.grid_sampler_2d(x, g, 2, 1, True),
                        (_f(1, 2, 3, 4), _f(1, 2, 3, 2))),
    "grid_sampler_3d": (lambda L, x, g: L.grid_sampler_3d(x, g, 1, 2, False),
                        (_f(1, 2, 2, 3, 4), _f(1, 2, 2, 3, 3))),
    "nn.functional.grid_sample": (
        lambda L, x, g: L.nn.functional.grid_sample(x, g, padding_mode="border",
                                                    align_corners=True),
        (_f(1, 2, 3, 4), _f(1, 2, 3, 2, lo=-1.5, hi=1.5))),
    "nn.functional.avg_pool3d": (lambda L, a: L.nn.functional.avg_pool3d(a, 2),
                                 (_f(1, 1, 4, 4, 4),)),
    "nn.functional.max_pool3d": (lambda L, a: L.nn.functional.max_pool3d(a, 2),
                                 (_f(1, 1, 4, 4, 4),)),
    "nn.functional.max_pool3d/with indices": (
        lambda L, a: L.nn.functional.max_pool3d(a, 2, return_indices=True), (_f(1, 1, 4, 4, 4),)),
    "nn.functional.pad": (lambda L, a: L.nn.functional.pad(a, (1, 2), mode="reflect"),
                          (_f(1, 2, 5),)),
    "nn.functional.pad/replicate": (
        lambda L, a: L.nn.functional.pad(a, (1, 0, 0, 1, 1, 1), mode="replicate"),
        (_f(1, 1, 2, 3, 3),)),
    "nn.functional.pad/reflect 3-d": (
        lambda L, a: L.nn.functional.pad(a, (1, 1, 1, 1, 1, 1), mode="reflect"),
        (_f(1, 1, 3, 3, 3),)),
    "nn.functional.pad/constant": (lambda L, a: L.nn.functional.pad(a, (1, 1), value=2.0),
                                   (_f(2, 3),)),
    # promote: a float32 and a bfloat16 input, float32 results
    "cat": (lambda L, a, b: L.cat([a, b], 1), (_f(2, 3), _f(2, 2))),
    "concat": (lambda L, a, b: L.concat((a, b)), (_f(2, 3), _f(1, 3))),
    "concatenate": (lambda L, a, b: L.concatenate([a, b], 0), (_f(2, 3), _f(1, 3))),
    "stack": (lambda L, a, b: L.stack([a, b]), (_f(2, 3), _f(2, 3))),
    "index_copy": (lambda L, a, b: L.index_copy(a, 0, L.tensor([2, 0]), b), (_f(3, 4), _f(2, 4))),
}


def _variant(name: str) -> str:
    """The inputs that show the entry's policy: float32 for lower_precision_fp, bfloat16 for
    fp32, a float32 and a bfloat16 for promote."""
    entry = _lists.CPU[name.split("/")[0]]
    policy = entry[0] if isinstance(entry, tuple) else entry
    return {_lists.LOWER: "float32", _lists.FP32: "bfloat16", _lists.PROMOTE: "mixed"}[policy]


def _autocast(L, dtype, call, *xs):
    """call(L, *xs) under CPU autocast, the floating inputs as `dtype` ("mixed": the second one
    bfloat16, the rest float32)."""
    floats = [i for i, x in enumerate(xs) if isinstance(x, L.Tensor) and x.is_floating_point()]
    xs = list(xs)
    for i in floats:
        want = dtype if dtype != "mixed" else ("bfloat16" if i == floats[1] else "float32")
        xs[i] = xs[i].to(getattr(L, want))
    with L.autocast("cpu"):
        return call(L, *xs)


def test_every_entry_is_a_torch_name_and_sampled():
    """The table names real torch's objects; every entry torchlike has is run below."""
    for name in _lists.CPU:
        owner = torch.Tensor if name.startswith("Tensor.") else torch
        for part in name.split(".")[1 if name.startswith("Tensor.") else 0:]:
            owner = getattr(owner, part)
        assert callable(owner), name
        if not isinstance(_lists._owner(name)[0].__dict__.get(name.rsplit(".", 1)[-1]),
                          (type(None), torchlike._errors._PlaceholderMeta)):
            assert name in SAMPLES, f"{name}: no sample"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_listed_op_under_autocast(name):
    call, inputs = SAMPLES[name]
    check(lambda L, *xs: _autocast(L, _variant(name), call, *xs), *inputs, grad=False)


# Ops on no list keep their input dtypes (torch's composites that reach a listed op are listed)
UNLISTED = {
    "softmax": (lambda L, a: a.softmax(-1), (_f(2, 3),)),
    "log_softmax": (lambda L, a: L.log_softmax(a, 0), (_f(2, 3),)),
    "layer_norm": (lambda L, a: L.nn.functional.layer_norm(a, (3,)), (_f(2, 3),)),
    "relu_gelu": (lambda L, a: (L.relu(a), L.nn.functional.gelu(a)), (_f(2, 3),)),
    "sum_mean_norm": (lambda L, a: (a.sum(), a.mean(0), L.linalg.vector_norm(a)), (_f(2, 3),)),
    "mv_dot_outer": (lambda L, a, v: (L.mv(a, v), L.dot(v, v), L.outer(v, v)), (_f(2, 3), _f(3))),
    "add_mixed": (lambda L, a, b: a + b.bfloat16(), (_f(2, 3), _f(2, 3))),
    "hstack_vstack": (lambda L, a, b: (L.hstack([a, b]), L.vstack([a, b])), (_f(2, 3), _f(2, 3))),
    "bilinear": (lambda L, a, b, w: L.nn.functional.bilinear(a, b, w), (_f(2, 3), _f(2, 3),
                                                                         _f(4, 3, 3))),
    "cosine_similarity": (lambda L, a, b: L.nn.functional.cosine_similarity(a, b), (_f(2, 3),
                                                                                  _f(2, 3))),
    "pools": (lambda L, a: (L.nn.functional.max_pool2d(a, 2),
                            L.nn.functional.adaptive_avg_pool2d(a, 1)), (_f(1, 1, 4, 4),)),
    "kron_cumsum": (lambda L, a: (L.kron(a, a), a.cumsum(0)), (_f(2, 2),)),
    "addmm_": (lambda L, c, a, b: c.clone().addmm_(a, b), (_f(2, 2), _f(2, 2), _f(2, 2))),
}


# torch's _trilinear (F.bilinear) runs its inner bmm under autocast yet returns float32: the
# dtypes agree, torchlike's float32 values are closer to exact than torch's bfloat16-rounded ones
LOOSER = {"bilinear": BF16}


@pytest.mark.parametrize("name", sorted(UNLISTED))
def test_unlisted_op_keeps_dtypes(name):
    call, inputs = UNLISTED[name]
    for dtype in ("float32", "bfloat16"):
        check(lambda L, *xs: _autocast(L, dtype, call, *xs), *inputs, grad=False,
              **LOOSER.get(name, {}))


MODULES = {  # torchlike's modules reach the listed ops by the routes of _lists.ROUTES too
    "Conv2d": (lambda L: L.nn.Conv2d(2, 3, 2), (_f(1, 2, 4, 4),)),
    "ConvTranspose1d": (lambda L: L.nn.ConvTranspose1d(2, 3, 2), (_f(1, 2, 4),)),
    "LSTM": (lambda L: L.nn.LSTM(3, 4), (_f(3, 2, 3),)),
    "GRU": (lambda L: L.nn.GRU(3, 4), (_f(3, 2, 3),)),
    "RNN": (lambda L: L.nn.RNN(3, 4), (_f(3, 2, 3),)),
    "MultiheadAttention": (lambda L: L.nn.MultiheadAttention(4, 2), (_f(3, 1, 4),) * 3),
    "Linear_CrossEntropyLoss": (lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.LogSoftmax(1)),
                                (_f(2, 3),)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_under_autocast(name):
    make, inputs = MODULES[name]

    def run(L, *xs):
        L.manual_seed(0)
        with L.autocast("cpu"):
            return make(L)(*xs)
    check(run, *inputs, **BF16)


def test_float16_and_promote_errors():
    x, y = _f(3, 3), _f(3, 3)

    def fp16(L, a, b):
        with L.autocast("cpu", dtype=L.float16):
            return L.mm(a, b), L.mm(a.bfloat16(), b), L.cat([a.half(), b]), \
                L.nn.functional.mse_loss(a.half(), b)
    check(fp16, x, y, grad=False)

    def mixed_lower(L, a, b):
        with L.autocast("cpu"):
            L.cat([a.half(), b.bfloat16()])
    check_raises(mixed_lower, x, y)
    check(lambda L, a, b: _autocast(L, "float32", lambda L, a, b: (
        L.mm(a.double(), b.double()), L.cat([a.double(), b.bfloat16()])), a, b), x, y, grad=False)


def test_linear_relu_loss_gradients():
    """grad_fn names with ToCopyBackward0 for the casts, the whole graph, the gradients."""
    def net(L, x, w, b, t):
        with L.autocast("cpu"):
            h = L.relu(L.nn.functional.linear(x, w, b))
            return h, L.nn.functional.mse_loss(h, t)
    check(net, _f(5, 3), _f(4, 3), _f(4), _f(5, 4), **BF16)
    outs = {}
    for L in (torch, torchlike):
        x, w, b = (L.tensor(a, requires_grad=True) for a in (_f(5, 3), _f(4, 3), _f(4)))
        outs[L] = graph([net(L, x, w, b, L.tensor(_f(5, 4)))[1]])
    assert_same(outs[torch], outs[torchlike])


def test_module_forward_and_cross_entropy_gradients():
    def net(L, x, w1, w2, b2):
        conv = L.nn.functional.conv2d(x, w1, padding=1)
        with L.autocast("cpu"):
            h = L.nn.functional.linear(L.relu(conv).flatten(1), w2, b2)
            return h, L.nn.functional.cross_entropy(h, L.tensor([1, 0]))
    check(net, _f(2, 1, 3, 3), _f(2, 1, 3, 3), _f(3, 18), _f(3), **BF16)


def test_weight_cache():
    """A parameter used twice is cast once per region (one shared ToCopyBackward0); not with
    cache_enabled=False, nor across regions; and a copy cast under no_grad stays detached."""
    def two_uses(L, cache):
        lin = L.nn.Linear(3, 3)
        x = L.ones(2, 3)
        with L.autocast("cpu", cache_enabled=cache):
            out = lin(lin(x))
        with L.autocast("cpu"):
            again = lin(x)
        with L.autocast("cpu"):
            with L.no_grad():
                lin(x)
            detached = lin(x)
        return [graph([out]), graph([out, again]), detached.requires_grad]
    for cache in (True, False, None):
        assert_same(two_uses(torch, cache), two_uses(torchlike, cache))


def _warned(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001 - compared as the value
            out = (type(e).__name__, str(e))
    return out, [(w.category.__name__, str(w.message)) for w in caught]


def _state(L, ac):
    return (ac._enabled, str(ac.fast_dtype), ac._cache_enabled, ac.device,
            L.is_autocast_enabled("cpu"), L.is_autocast_enabled())


def test_autocast_construction_and_warnings():
    cases = [
        lambda L: _state(L, L.autocast("cuda")),  # no CUDA: warns, disables itself
        lambda L: _state(L, L.autocast("cuda", enabled=False)),
        lambda L: _state(L, L.autocast(device_type="cpu", dtype=L.float32)),
        lambda L: _state(L, L.autocast("cpu", dtype=L.float16, cache_enabled=False)),
        lambda L: _state(L, L.autocast("xpu")),
        lambda L: _state(L, L.cpu.amp.autocast()),
        lambda L: _state(L, L.cuda.amp.autocast(dtype=L.bfloat16)),
        lambda L: L.autocast("meta"),
        lambda L: L.autocast("foo"),
        lambda L: L.autocast(1),
        lambda L: L.autocast("hip", dtype=L.float16),
        lambda L: L.autocast("privateuseone"),
        lambda L: L.autocast("cpu")(3),
        lambda L: [L.amp.is_autocast_available(d) for d in ("cpu", "cuda", "mps", "meta", "hip")],
        lambda L: L.amp.is_autocast_available("foo"),
        lambda L: callable(L.cuda.amp.custom_fwd(lambda ctx, x: x, cast_inputs=L.float32)),
        lambda L: callable(L.cuda.amp.custom_bwd(lambda ctx, g: g)),
    ]
    for case in cases:
        assert_same(_warned(lambda: case(torch)), _warned(lambda: case(torchlike)))


def _trace(L):
    """The state as regions nest, enable, disable and exit (cuda: on a machine without it)."""
    out = []
    x = L.ones(2, 2)

    def note(tag):
        out.append((tag, L.is_autocast_enabled("cpu"), str(L.get_autocast_dtype("cpu")),
                    L.is_autocast_cache_enabled(), str(L.mm(x, x).dtype)))

    note("outside")
    with L.autocast("cpu", cache_enabled=False):
        note("on")
        with L.autocast("cpu", enabled=False):
            note("off inside")
            with L.autocast("cpu", dtype=L.float16):
                note("fp16 inside off")
            note("off again")
        with L.autocast("cuda"):
            note("cuda region")
        note("on again")
    note("outside again")

    @L.autocast("cpu")
    def decorated(a):
        return L.mm(a, a).dtype
    out.append(str(decorated(x)))
    out.append(L.autocast_increment_nesting())
    out.append(L.autocast_decrement_nesting())
    L.set_autocast_enabled("cpu", True)
    note("set on")
    L.set_autocast_dtype("cpu", L.float16)
    note("set float16")
    L.set_autocast_dtype("cpu", L.bfloat16)
    L.set_autocast_enabled("cpu", False)
    L.set_autocast_enabled(True)  # CUDA: no op on CPU tensors
    note("cuda flag")
    out.append(L.is_autocast_enabled())
    L.set_autocast_enabled(False)
    return out


def test_state_nesting_and_decorator():
    assert_same(_warned(lambda: _trace(torch)), _warned(lambda: _trace(torchlike)))


def test_state_functions_and_deprecated_forms():
    cases = [
        lambda L: L.get_autocast_dtype("cuda"), lambda L: L.get_autocast_dtype("hip"),
        lambda L: L.get_autocast_dtype("meta"), lambda L: L.is_autocast_enabled("meta"),
        lambda L: L.is_autocast_enabled(1), lambda L: L.set_autocast_enabled("cpu", 1),
        lambda L: L.set_autocast_dtype("cpu", 1), lambda L: L.set_autocast_cache_enabled(1),
        lambda L: L.is_autocast_cpu_enabled(), lambda L: L.get_autocast_cpu_dtype(),
        lambda L: L.get_autocast_gpu_dtype(), lambda L: L.get_autocast_ipu_dtype(),
        lambda L: L.get_autocast_xla_dtype(), lambda L: L.is_autocast_ipu_enabled(),
        lambda L: L.is_autocast_xla_enabled(), lambda L: L.set_autocast_cpu_enabled(False),
        lambda L: L.set_autocast_ipu_enabled(False), lambda L: L.set_autocast_xla_enabled(False),
        lambda L: L.set_autocast_cpu_dtype(L.bfloat16),
        lambda L: L.set_autocast_gpu_dtype(L.float16),
        lambda L: L.set_autocast_ipu_dtype(L.float16),
        lambda L: L.set_autocast_xla_dtype(L.bfloat16),
        lambda L: L.clear_autocast_cache(),
    ]
    for case in cases:
        want, got = _warned(lambda: case(torch)), _warned(lambda: case(torchlike))
        assert_same(want, got)


def test_autocast_is_per_thread():
    def run(L):
        seen = []
        x = L.ones(2, 2)
        with L.autocast("cpu"):
            t = threading.Thread(target=lambda: seen.append(
                (L.is_autocast_enabled("cpu"), str(L.mm(x, x).dtype))))
            t.start()
            t.join()
            seen.append((L.is_autocast_enabled("cpu"), str(L.mm(x, x).dtype)))
        return seen
    assert_same(run(torch), run(torchlike))


def test_custom_fwd_bwd():
    def run(L):
        seen = []

        class Product(L.autograd.Function):
            @staticmethod
            @L.amp.custom_fwd(device_type="cpu", cast_inputs=L.float32)
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                seen.append((L.is_autocast_enabled("cpu"), str(a.dtype)))
                return L.mm(a, b)

            @staticmethod
            @L.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                a, b = ctx.saved_tensors
                seen.append((L.is_autocast_enabled("cpu"), str(g.dtype)))
                return L.mm(g, b.t()), L.mm(a.t(), g)
        a, b = L.ones(2, 2).bfloat16(), L.full((2, 2), 0.5, requires_grad=True)
        with L.autocast("cpu"):
            out = Product.apply(a, b)
        out.sum().backward()
        return out, seen, b.grad
    assert_same(run(torch), run(torchlike))
    check_raises(lambda L: L.amp.custom_fwd(lambda: None, device_type=1))


@pytest.mark.parametrize("device", ["cpu", "cuda", "mps", "meta", "hip", "xla", "foo", 1])
def test_is_autocast_available(device):
    check_call(lambda L: (L.amp.is_autocast_available, device))


def test_custom_bwd_arguments():
    """custom_bwd as a bare decorator (device_type is keyword-only) and with a bad device type:
    torch's errors."""
    check_call(lambda L: (L.amp.custom_bwd, lambda ctx, g: g))
    check_call(lambda L: (lambda: L.amp.custom_bwd(lambda ctx, g: g, device_type=1),))
    check_call(lambda L: (lambda: L.amp.custom_bwd(device_type=None),))


# ---- GradScaler ------------------------------------------------------------------------------
def _training(L, scaler_args, steps=5, inf_step=2, mixed=False):
    """A few SGD (momentum) steps under a GradScaler; step `inf_step` has an inf gradient."""
    L.manual_seed(0)
    model = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 1))
    opt = L.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = L.amp.GradScaler(*scaler_args, growth_interval=2)
    x, y = L.tensor(_X), L.tensor(_Y)
    trace = []
    for i in range(steps):
        opt.zero_grad()
        with L.autocast("cpu", enabled=mixed):
            loss = L.nn.functional.mse_loss(model(x), y)
        scaler.scale(loss * (float("inf") if i == inf_step else 1.0)).backward()
        scaler.step(opt)
        scaler.update()
        trace.append((scaler.get_scale(), scaler._get_growth_tracker(), loss.detach()))
    return trace, [p.detach() for p in model.parameters()], opt.state_dict(), \
        scaler.state_dict()


_X, _Y = _f(6, 3), _f(6, 1)


def test_grad_scaler_cpu_training():
    """Scale, growth tracker, losses, parameters and momentum buffers over 5 steps (the inf step
    skipped and backed off, growth after 2 clean steps)."""
    assert_same(_training(torch, ("cpu",)), _training(torchlike, ("cpu",)))


def test_grad_scaler_with_autocast():
    """The same loop under autocast: the scaler's trace exactly, the losses to bfloat16
    rounding (torchlike's bfloat16 addmm rounds the product before adding the bias, torch
    once after: trajectories drift by a few bfloat16 ulps)."""
    want, got = (_training(L, ("cpu",), steps=4, mixed=True)[0] for L in (torch, torchlike))
    assert_same([t[:2] for t in want], [t[:2] for t in got])
    assert_same([t[2] for t in want], [t[2] for t in got], **BF16)


def test_grad_scaler_disabled_on_cpu_only_machine():
    """GradScaler() (CUDA) warns and passes through; so does GradScaler(enabled=False)."""
    for args in ((), ("cuda",)):
        assert_same(_warned(lambda: _training(torch, args, steps=2, inf_step=5)),
                    _warned(lambda: _training(torchlike, args, steps=2, inf_step=5)))
    for L in (torch, torchlike):
        scaler = L.amp.GradScaler("cpu", enabled=False)
        loss = L.ones(())
        assert scaler.scale(loss) is loss
    assert_same(_warned(lambda: [torch.cuda.amp.GradScaler().is_enabled()]),
                _warned(lambda: [torchlike.cuda.amp.GradScaler().is_enabled()]))
    assert_same(_warned(lambda: [torch.cpu.amp.GradScaler().get_scale()]),
                _warned(lambda: [torchlike.cpu.amp.GradScaler().get_scale()]))


def test_grad_scaler_api():
    def run(L):
        s = L.amp.GradScaler("cpu", init_scale=8.0, growth_factor=3.0, backoff_factor=0.25,
                             growth_interval=5)
        out = [s.get_scale(), s.get_growth_factor(), s.get_backoff_factor(),
               s.get_growth_interval(), s.is_enabled(), s.state_dict()]
        scaled = s.scale([L.ones(2), (L.ones(()), L.full((1,), 2.0))])
        s.set_growth_factor(4.0)
        s.set_backoff_factor(0.5)
        s.set_growth_interval(3)
        s.update(16.0)
        out += [scaled, s.state_dict()]
        t = L.amp.GradScaler("cpu")
        t.load_state_dict(s.state_dict())
        out += [t.state_dict(), t.scale(L.ones(()))]
        for bad in (lambda: s.load_state_dict({}), lambda: L.amp.GradScaler("cpu").update(),
                    lambda: L.amp.GradScaler("cpu", backoff_factor=1.0),
                    lambda: L.amp.GradScaler("cpu", growth_factor=1.0)):
            try:
                bad()
            except Exception as e:  # noqa: BLE001 - compared as values
                out.append((type(e).__name__, str(e)))
        return out
    assert_same(run(torch), run(torchlike))


def test_grad_scaler_unscale_and_errors():
    def run(L):
        L.manual_seed(0)
        lin = L.nn.Linear(2, 1)
        opt = L.optim.SGD(lin.parameters(), lr=1.0)
        s = L.amp.GradScaler("cpu", init_scale=4.0)
        s.scale(lin(L.ones(1, 2)).sum()).backward()
        before = lin.weight.grad.clone()
        s.unscale_(opt)
        out = [before, lin.weight.grad.clone()]
        for bad in (lambda: s.unscale_(opt), lambda: s.step(opt, closure=None)):
            try:
                bad()
            except RuntimeError as e:
                out.append(str(e))
        s.step(opt)
        try:
            s.step(opt)
        except RuntimeError as e:
            out.append(str(e))
        return out + [lin.weight.detach()]
    assert_same(run(torch), run(torchlike))
    want = got = None
    try:
        torch.amp.GradScaler("cpu").step(torch.optim.SGD([torch.ones(1, requires_grad=True)]))
    except AssertionError as e:
        want = e
    try:
        torchlike.amp.GradScaler("cpu").step(
            torchlike.optim.SGD([torchlike.ones(1, requires_grad=True)]))
    except AssertionError as e:
        got = e
    assert_same_error(want, got)
