"""Gradients built with create_graph=True against real torch: their graphs (node names three
levels deep, edges that are None because a gradient needs no input), their values, the
second-order gradients through them, and whole programs that differentiate twice (a gradient
penalty, a Hessian-vector product, a MAML-style inner step). CASES has a row for each op
whose torch formula torchlike writes out (torchlike/autograd/formulas*.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _helper import assert_same_tensor, check_raises

import torchlike

R = np.random.default_rng(7)
X = R.uniform(-1.5, 1.5, (2, 3)).astype(np.float32)
Y = R.uniform(0.2, 1.5, (2, 3)).astype(np.float32)
W = R.uniform(-1, 1, (3, 2)).astype(np.float32)
B = R.uniform(-1, 1, (2,)).astype(np.float32)
V = R.uniform(-1, 1, (3,)).astype(np.float32)

# name -> (output(L, x, y, w, b, v), names of the inputs differentiated)
CASES = {
    "sin": (lambda L, x, y, w, b, v: x.sin().sum(), "x"),
    "cos": (lambda L, x, y, w, b, v: x.cos().sum(), "x"),
    "exp": (lambda L, x, y, w, b, v: x.exp().sum(), "x"),
    "log_abs": (lambda L, x, y, w, b, v: x.abs().log().sum(), "x"),
    "sqrt": (lambda L, x, y, w, b, v: y.sqrt().sum(), "y"),
    "mul": (lambda L, x, y, w, b, v: (x * y).sum(), "xy"),
    "add": (lambda L, x, y, w, b, v: (x + y).sum(), "xy"),
    "add_alpha": (lambda L, x, y, w, b, v: (x.add(y, alpha=2.5) * x).sum(), "xy"),
    "sub": (lambda L, x, y, w, b, v: ((x - y) * x).sum(), "xy"),
    "rsub": (lambda L, x, y, w, b, v: ((1 - x) * x).sum(), "x"),
    "div": (lambda L, x, y, w, b, v: (x / y).sum(), "xy"),
    "neg": (lambda L, x, y, w, b, v: (-x * x).sum(), "x"),
    "pow": (lambda L, x, y, w, b, v: (x ** 3 + y.pow(2.5)).sum(), "xy"),
    "mm": (lambda L, x, y, w, b, v: x.mm(w).pow(2).sum(), "xw"),
    "matmul": (lambda L, x, y, w, b, v: (x @ w).tanh().sum(), "xw"),
    "linear": (lambda L, x, y, w, b, v: L.nn.functional.linear(x, w.t(), b).pow(2).sum(),
               "xwb"),
    "linear_no_bias": (lambda L, x, y, w, b, v: L.nn.functional.linear(x, w.t()).sin().sum(),
                       "xw"),
    "tanh": (lambda L, x, y, w, b, v: x.tanh().sum(), "x"),
    "sigmoid": (lambda L, x, y, w, b, v: x.sigmoid().sum(), "x"),
    "relu": (lambda L, x, y, w, b, v: (x.relu() * y).sum(), "xy"),
    "sum_dim": (lambda L, x, y, w, b, v: (x.sum(1) ** 2).sum(), "x"),
    "sum_dims_keepdim": (lambda L, x, y, w, b, v: (x.sum((0, -1), keepdim=True) * x).sum(), "x"),
    "mean": (lambda L, x, y, w, b, v: (x * x).mean(), "x"),
    "mean_dim": (lambda L, x, y, w, b, v: (x.mean(0) ** 2).sum(), "x"),
    "broadcast": (lambda L, x, y, w, b, v: (x * v).pow(2).sum(), "xv"),
    "view_t": (lambda L, x, y, w, b, v: (x.view(3, 2).t() ** 2).sum(), "x"),
    "expand": (lambda L, x, y, w, b, v: (v.expand(2, 3) * x * v).sum(), "xv"),
    "softmax": (lambda L, x, y, w, b, v: (L.softmax(x, 1) * y).sum(), "xy"),
    "log_softmax": (lambda L, x, y, w, b, v: (L.log_softmax(x, -1) ** 2).sum(), "x"),
    "mse": (lambda L, x, y, w, b, v: ((x - y) ** 2).mean(), "xy"),
    "to_copy": (lambda L, x, y, w, b, v: (x.double() ** 2).sum(), "x"),
    # reductions (formulas_reductions.py)
    "logsumexp": (lambda L, x, y, w, b, v: (x.logsumexp(1) ** 2).sum(), "x"),
    "logsumexp_keepdim": (lambda L, x, y, w, b, v: (x.logsumexp((0, 1), True) * x).sum(), "x"),
    "var_dim": (lambda L, x, y, w, b, v: (x.var(1) ** 2).sum(), "x"),
    "var_all_correction": (lambda L, x, y, w, b, v: x.var(correction=0) ** 2, "x"),
    "var_keepdim": (lambda L, x, y, w, b, v: (x.var(0, keepdim=True) * x).sum(), "x"),
    "var_no_dof": (lambda L, x, y, w, b, v: v[:1].var() * 2, "v"),  # nan and inf, as torch
    "std_dim": (lambda L, x, y, w, b, v: (x.std(1) ** 2).sum(), "x"),
    "std_all": (lambda L, x, y, w, b, v: x.std() ** 3, "x"),
    "norm": (lambda L, x, y, w, b, v: x.norm() ** 3, "x"),
    "norm_dim": (lambda L, x, y, w, b, v: (x.norm(dim=1) ** 2).sum(), "x"),
    "norm_1": (lambda L, x, y, w, b, v: x.norm(1) ** 2, "x"),
    "norm_inf_dim": (lambda L, x, y, w, b, v: (x.norm(float("inf"), dim=1) ** 2).sum(), "x"),
    "vector_norm_3": (lambda L, x, y, w, b, v: (L.linalg.vector_norm(x, 3, 0) ** 2).sum(), "x"),
    "vector_norm_1_5": (lambda L, x, y, w, b, v: L.linalg.vector_norm(x, 1.5) ** 2, "x"),
    "vector_norm_0_5": (lambda L, x, y, w, b, v: L.linalg.vector_norm(y, 0.5) ** 2, "y"),
    "cumsum": (lambda L, x, y, w, b, v: (x.cumsum(1) ** 2).sum(), "x"),
    "prod": (lambda L, x, y, w, b, v: x.prod() ** 2, "x"),
    "prod_dim": (lambda L, x, y, w, b, v: (x.prod(1) ** 2).sum(), "x"),
    "prod_dim_zero": (lambda L, x, y, w, b, v: ((x * L.tensor(ZERO)).prod(1) ** 2).sum(), "x"),
    "prod_zero": (lambda L, x, y, w, b, v: ((x * L.tensor(ZERO)).prod() + 1) ** 2, "x"),
    "max": (lambda L, x, y, w, b, v: x.max() ** 2, "x"),
    "min_ties": (lambda L, x, y, w, b, v: L.cat([x, x]).min() ** 2, "x"),
    "max_dim": (lambda L, x, y, w, b, v: (x.max(1)[0] ** 2).sum(), "x"),
    "min_dim_keepdim": (lambda L, x, y, w, b, v: (x.min(0, keepdim=True)[0] * x).sum(), "x"),
    "amax": (lambda L, x, y, w, b, v: (x.amax(1) ** 2).sum(), "x"),
    "amin_ties": (lambda L, x, y, w, b, v: L.cat([x, x], 1).amin() ** 2, "x"),
    "nansum": (lambda L, x, y, w, b, v: (x.log().nansum(1) ** 2).sum() + x.nansum() ** 2, "x"),
    "var_mean": (lambda L, x, y, w, b, v: (lambda vm: (vm[0] ** 2 + vm[1] ** 3).sum())(
        L.var_mean(x, 1)), "x"),
    "var_mean_mean_only": (lambda L, x, y, w, b, v: L.var_mean(x)[1] ** 2, "x"),
    "std_mean": (lambda L, x, y, w, b, v: (L.std_mean(x, 0, keepdim=True)[0] ** 2).sum(), "x"),
    "std_mean_both": (lambda L, x, y, w, b, v: (lambda sm: sm[0] ** 3 * sm[1])(L.std_mean(x)),
                      "x"),
    "cumprod": (lambda L, x, y, w, b, v: (x.cumprod(1) ** 2).sum(), "x"),
    "logcumsumexp": (lambda L, x, y, w, b, v: (x.logcumsumexp(1) ** 2).sum(), "x"),
    "cummax_cummin": (lambda L, x, y, w, b, v: (x.cummax(1)[0] ** 2 * x.cummin(0)[0]).sum(), "x"),
    "sort": (lambda L, x, y, w, b, v: (x.sort(1)[0] ** 2 * y).sum(), "xy"),
    "sort_stable_descending": (lambda L, x, y, w, b, v: (x.sort(dim=0, descending=True,
                                                                stable=True)[0] ** 2 * y).sum(),
                               "xy"),
    "sort_half": (lambda L, x, y, w, b, v: (x.half().sort(1)[0].float() ** 2 * y).sum(), "xy"),
    "msort": (lambda L, x, y, w, b, v: (L.msort(x) ** 2 * y).sum(), "xy"),
    "topk": (lambda L, x, y, w, b, v: (x.topk(2, 1)[0] ** 2).sum(), "x"),
    "kthvalue": (lambda L, x, y, w, b, v: (x.kthvalue(2, 1)[0] ** 2).sum()
                 + (x.kthvalue(1, 0, True)[0] ** 3).sum(), "x"),
    "median": (lambda L, x, y, w, b, v: x.median() ** 2 + L.cat([y, y]).nanmedian() ** 3, "xy"),
    "median_dim": (lambda L, x, y, w, b, v: (x.median(1)[0] ** 2).sum()
                   + (x.nanmedian(0, True)[0] ** 3).sum(), "x"),
    "mode": (lambda L, x, y, w, b, v: (L.cat([x, x.round()], 1).mode(1)[0] ** 2).sum(), "x"),
    # pointwise (formulas_pointwise.py)
    "clamp": (lambda L, x, y, w, b, v: (x.clamp(-0.5, 0.5) * x).sum(), "x"),
    "clamp_min_max": (lambda L, x, y, w, b, v: (x.clamp(min=-.5) * x.clamp(max=.5)).sum(), "x"),
    "clamp_min_max_fns": (lambda L, x, y, w, b, v: (x.clamp_min(-.5) * x.clamp_max(.5)).sum(),
                          "x"),
    "clamp_tensor": (lambda L, x, y, w, b, v: (x.clamp(y - 1, y) ** 2).sum(), "xy"),
    # bounds crossing (min > max for some elements): the min gets no gradient there. The
    # output enters linearly and w is not differentiated, so the second order does not pass
    # through the clamp's own backward (torchlike's gives min and max the gradient there)
    "clamp_tensor_crossed": (lambda L, x, y, w, b, v: (x.clamp(y - 0.5, 1 - y) * w.t()).sum(),
                             "xy"),
    "clamp_tensor_min": (lambda L, x, y, w, b, v: (x.clamp(min=y - 1) ** 2).sum(), "xy"),
    "clamp_fns_tensor": (lambda L, x, y, w, b, v: (x.clamp_min(y - 1) * x.clamp_max(y - 1)
                                                   ).sum(), "xy"),
    "relu6": (lambda L, x, y, w, b, v: (L.nn.functional.relu6(x * 4) ** 2).sum(), "x"),
    "where": (lambda L, x, y, w, b, v: (L.where(x > 0, x, y) ** 2).sum(), "xy"),
    "where_scalar": (lambda L, x, y, w, b, v: (L.where(x > 0, 0.5, x) ** 2).sum(), "x"),
    "masked_fill": (lambda L, x, y, w, b, v: (x.masked_fill(x > 0.5, 0.0) ** 2).sum(), "x"),
    "masked_fill_tensor": (lambda L, x, y, w, b, v: (x.masked_fill(x > 0.5, b.sum()) ** 2
                                                     ).sum(), "xb"),
    "atan2": (lambda L, x, y, w, b, v: (L.atan2(x, y) ** 2).sum(), "xy"),
    "exp2": (lambda L, x, y, w, b, v: x.exp2().sum(), "x"),
    "log2_log10": (lambda L, x, y, w, b, v: (y.log2() * y.log10()).sum(), "y"),
    "log1p": (lambda L, x, y, w, b, v: y.log1p().sum(), "y"),
    "sinh_cosh": (lambda L, x, y, w, b, v: (x.sinh() * x.cosh()).sum(), "x"),
    "tan": (lambda L, x, y, w, b, v: x.tan().sum(), "x"),
    "asin_acos": (lambda L, x, y, w, b, v: ((x / 2).asin() * (x / 2).acos()).sum(), "x"),
    "rsqrt": (lambda L, x, y, w, b, v: y.rsqrt().sum(), "y"),
    "asinh": (lambda L, x, y, w, b, v: (x.asinh() ** 2).sum(), "x"),
    "acosh": (lambda L, x, y, w, b, v: ((y + 1).acosh() ** 2).sum(), "y"),
    "atanh": (lambda L, x, y, w, b, v: ((x / 2).atanh() ** 2).sum(), "x"),
    "erfc": (lambda L, x, y, w, b, v: (x.erfc() ** 2).sum(), "x"),
    "erfinv": (lambda L, x, y, w, b, v: ((x / 2).erfinv() ** 2).sum(), "x"),
    "lgamma": (lambda L, x, y, w, b, v: (y.lgamma() ** 2).sum(), "y"),
    "digamma": (lambda L, x, y, w, b, v: (y.digamma() ** 2).sum(), "y"),
    "logit": (lambda L, x, y, w, b, v: ((x / 2 + 0.5).logit() ** 2).sum(), "x"),
    "logit_eps": (lambda L, x, y, w, b, v: ((x / 2 + 0.5).logit(0.2) ** 2).sum(), "x"),
    "nan_to_num": (lambda L, x, y, w, b, v: (x.log().nan_to_num() ** 2).sum(), "x"),
    "deg2rad_rad2deg": (lambda L, x, y, w, b, v: (x.deg2rad() * x.rad2deg()).sum(), "x"),
    "sinc": (lambda L, x, y, w, b, v: ((x * L.tensor(ZERO)).sinc() ** 2).sum(), "x"),
    "rounding": (lambda L, x, y, w, b, v: (x.floor() * x).sum() + (y.ceil() * y).sum()
                 + (w.trunc() * w).sum() + (b.round() * b).sum() + (v.sign() * v).sum(),
                 "xywbv"),
    "round_decimals_sgn": (lambda L, x, y, w, b, v: (x.round(decimals=1) * x).sum()
                           + (y.sgn() * y).sum(), "xy"),
    "frac": (lambda L, x, y, w, b, v: (x.frac() ** 2).sum(), "x"),
    # indexing and layout (formulas_shape.py)
    "gather": (lambda L, x, y, w, b, v: (x.gather(1, L.tensor([[2, 0], [1, 1]])) ** 2).sum(),
               "x"),
    "index_select": (lambda L, x, y, w, b, v: (x.index_select(1, L.tensor([2, 0, 2])) ** 2
                                               ).sum(), "x"),
    "index": (lambda L, x, y, w, b, v: (x[L.tensor([1, 0, 1])] ** 2).sum(), "x"),
    "index_pairs": (lambda L, x, y, w, b, v: (x[L.tensor([1, 0]), L.tensor([2, 2])] ** 2
                                              ).sum(), "x"),
    "index_mask": (lambda L, x, y, w, b, v: (x[x > 0] ** 2).sum(), "x"),
    "index_after_slice": (lambda L, x, y, w, b, v: (x[1:, L.tensor([2, 0])] ** 2).sum(), "x"),
    "cat": (lambda L, x, y, w, b, v: (L.cat([x, y], 1) ** 2).sum(), "xy"),
    "stack": (lambda L, x, y, w, b, v: (L.stack([x, y], 1) ** 2).sum(), "xy"),
    "select": (lambda L, x, y, w, b, v: (x[1] ** 2).sum(), "x"),
    "slices": (lambda L, x, y, w, b, v: (x[1:, ::2] ** 2).sum(), "x"),
    "select_unsqueeze_slice": (lambda L, x, y, w, b, v: (x[None, 1, None, 1:] ** 2).sum(), "x"),
    "permute": (lambda L, x, y, w, b, v: (x[None].permute(2, 0, 1) ** 2).sum(), "x"),
    "transpose": (lambda L, x, y, w, b, v: (x.transpose(0, 1) ** 2 * w).sum(), "xw"),
    "squeeze": (lambda L, x, y, w, b, v: (x[None, :, None].squeeze() ** 2).sum(), "x"),
    "squeeze_dims": (lambda L, x, y, w, b, v: (x[None, :, None].squeeze((0, 2)) ** 2).sum(),
                     "x"),
    "clone": (lambda L, x, y, w, b, v: (x.clone() ** 2).sum(), "x"),
    "flip": (lambda L, x, y, w, b, v: (x.flip(1) ** 2 * y).sum(), "xy"),
    "roll": (lambda L, x, y, w, b, v: (x.roll((1, 2), (0, 1)) ** 2 * y).sum(), "xy"),
    "roll_flat": (lambda L, x, y, w, b, v: (x.roll(2) ** 2 * y).sum(), "xy"),
    "repeat": (lambda L, x, y, w, b, v: (x.repeat(2, 1, 2) ** 2).sum(), "x"),
    "repeat_ones": (lambda L, x, y, w, b, v: (x.repeat(1, 1) ** 2).sum(), "x"),
    "tril_triu": (lambda L, x, y, w, b, v: (x.tril() ** 2 + x.triu(1) ** 3).sum(), "x"),
    "diagonal": (lambda L, x, y, w, b, v: (x.diagonal(1) ** 2).sum(), "x"),
    "diag_2d": (lambda L, x, y, w, b, v: (L.diag(x, -1) ** 2).sum(), "x"),
    "rot90": (lambda L, x, y, w, b, v: (x.rot90(1, (0, 1)) ** 2 * w).sum()
              + (y.rot90(3, (1, 0)) ** 3 * w).sum(), "xy"),
    "diag_embed": (lambda L, x, y, w, b, v: (L.diag_embed(x, 1) ** 2).sum(), "x"),
    "unbind": (lambda L, x, y, w, b, v: (lambda p: (p[0] ** 2 + p[2] ** 3).sum())(x.unbind(1)),
               "x"),
    "split": (lambda L, x, y, w, b, v: (x.split(2, 1)[1] ** 2).sum(), "x"),
    "split_with_sizes": (lambda L, x, y, w, b, v: (lambda p: (p[0] ** 2).sum() + (p[1] ** 3).sum()
                                                   )(x.split([1, 2], 1)), "x"),
    "unsafe_split": (lambda L, x, y, w, b, v: (L.unsafe_split(x, 2, 1)[0] ** 2).sum(), "x"),
    "masked_select": (lambda L, x, y, w, b, v: (x.masked_select(x > 0) ** 2).sum(), "x"),
    "masked_select_broadcast": (lambda L, x, y, w, b, v: (v.masked_select(x > 0) ** 2).sum(),
                                "v"),
    "take": (lambda L, x, y, w, b, v: (x.take(L.tensor([0, 4, 4])) ** 2).sum(), "x"),
    "scatter_add": (lambda L, x, y, w, b, v: (x.scatter_add(1, L.tensor([[0, 1, 1], [2, 2, 0]]),
                                                            y) ** 2).sum(), "xy"),
    "index_add": (lambda L, x, y, w, b, v: (x.index_add(1, L.tensor([0, 2, 2]), y, alpha=2) ** 2
                                            ).sum(), "xy"),
    "index_copy": (lambda L, x, y, w, b, v: (x.index_copy(1, L.tensor([0, 2, 1]), y) ** 2).sum(),
                   "xy"),
    # nn functions (formulas_nn.py)
    "l1_loss": (lambda L, x, y, w, b, v: L.nn.functional.l1_loss(x, y) ** 2, "xy"),
    "l1_loss_sum_broadcast": (lambda L, x, y, w, b, v: L.nn.functional.l1_loss(
        x, v, reduction="sum") ** 2, "xv"),
    "bce_logits": (lambda L, x, y, w, b, v: L.nn.functional.binary_cross_entropy_with_logits(
        x, y / 2) ** 2, "xy"),
    "bce_logits_weights": (lambda L, x, y, w, b, v: (
        L.nn.functional.binary_cross_entropy_with_logits(
            x, y / 2, v.detach(), pos_weight=v.detach() + 1, reduction="none") ** 2).sum(),
        "xy"),
    "mish": (lambda L, x, y, w, b, v: (L.nn.functional.mish(x) ** 2).sum(), "x"),
    "softsign": (lambda L, x, y, w, b, v: (L.nn.functional.softsign(x) ** 2).sum(), "x"),
    "embedding": (lambda L, x, y, w, b, v: (L.nn.functional.embedding(
        L.tensor([1, 0, 2, 1]), w) ** 2).sum(), "w"),
    "embedding_padding_freq": (lambda L, x, y, w, b, v: (L.nn.functional.embedding(
        L.tensor([[1, 0], [2, 1]]), w, padding_idx=0, scale_grad_by_freq=True) ** 2).sum(),
        "w"),
    "layer_norm": (lambda L, x, y, w, b, v: (L.nn.functional.layer_norm(x, (3,), v + 1, v)
                                             ** 2).sum(), "xv"),
    "tanhshrink": (lambda L, x, y, w, b, v: (L.nn.functional.tanhshrink(x) ** 2).sum(), "x"),
    "softmin": (lambda L, x, y, w, b, v: (L.nn.functional.softmin(x, 1) ** 2).sum(), "x"),
    "rrelu_eval": (lambda L, x, y, w, b, v: (L.nn.functional.rrelu(x) ** 2).sum(), "x"),
    # losses (formulas_losses.py; nll_loss's and bce's input gradient: torch's backward kernel)
    "nll_loss_weight": (lambda L, x, y, w, b, v: L.nn.functional.nll_loss(
        x, L.tensor([2, 0]), v.detach() + 1, ignore_index=0) ** 2, "x"),
    "cross_entropy": (lambda L, x, y, w, b, v: L.nn.functional.cross_entropy(
        x, L.tensor([2, 0])) ** 2, "x"),
    "bce": (lambda L, x, y, w, b, v: L.nn.functional.binary_cross_entropy(
        x.sigmoid(), y / 2) ** 2, "xy"),
    "bce_weight_sum": (lambda L, x, y, w, b, v: L.nn.functional.binary_cross_entropy(
        x.sigmoid(), y / 2, v.detach() + 1, reduction="sum") ** 2, "xy"),
    "bce_none": (lambda L, x, y, w, b, v: (L.nn.functional.binary_cross_entropy(
        x.sigmoid(), y / 2, reduction="none") ** 2).sum(), "xy"),
    "ce_smoothing": (lambda L, x, y, w, b, v: L.nn.functional.cross_entropy(
        x, L.tensor([2, 0]), label_smoothing=0.1) ** 2, "x"),
    "ce_smoothing_weight": (lambda L, x, y, w, b, v: L.nn.functional.cross_entropy(
        x, L.tensor([2, 0]), v.detach() + 1, label_smoothing=0.1) ** 2, "x"),
    "ce_smoothing_ignore_sum": (lambda L, x, y, w, b, v: L.nn.functional.cross_entropy(
        x, L.tensor([2, 1]), v.detach() + 1, ignore_index=1, label_smoothing=0.2,
        reduction="sum") ** 2, "x"),
    "ce_smoothing_none": (lambda L, x, y, w, b, v: (L.nn.functional.cross_entropy(
        x, L.tensor([2, 1]), ignore_index=1, label_smoothing=0.2, reduction="none") ** 2
    ).sum(), "x"),
    "ce_smoothing_unbatched": (lambda L, x, y, w, b, v: L.nn.functional.cross_entropy(
        v, L.tensor(2), label_smoothing=0.2) ** 2, "v"),
    "ce_prob": (lambda L, x, y, w, b, v: L.nn.functional.cross_entropy(x, y.softmax(1)) ** 2,
                "xy"),
    "ce_prob_weight_smoothing": (lambda L, x, y, w, b, v: L.nn.functional.cross_entropy(
        x, y.softmax(1), v.detach() + 1, label_smoothing=0.1) ** 2, "xy"),
    "ce_prob_none": (lambda L, x, y, w, b, v: (L.nn.functional.cross_entropy(
        x, y.softmax(1), reduction="none") ** 2).sum(), "xy"),
    "ce_prob_sum": (lambda L, x, y, w, b, v: L.nn.functional.cross_entropy(
        x, y.softmax(1), reduction="sum") ** 2, "xy"),
    "kl_div_batchmean": (lambda L, x, y, w, b, v: L.nn.functional.kl_div(
        x.log_softmax(1), y, reduction="batchmean") ** 2, "xy"),
    "kl_div_mean_zero_target": (lambda L, x, y, w, b, v: L.nn.functional.kl_div(
        x, y * L.tensor(ZERO), reduction="mean") ** 2, "xy"),
    "kl_div_log_target_sum": (lambda L, x, y, w, b, v: L.nn.functional.kl_div(
        x.log_softmax(1), y.log(), reduction="sum", log_target=True) ** 2, "xy"),
    "kl_div_log_target_none": (lambda L, x, y, w, b, v: (L.nn.functional.kl_div(
        x, y.log(), reduction="none", log_target=True) ** 2).sum(), "xy"),
    # composites of several torch ops (formulas_distance.py)
    "normalize": (lambda L, x, y, w, b, v: (L.nn.functional.normalize(x, dim=1) ** 2 * y).sum(),
                  "x"),
    "normalize_p1_zero_row": (lambda L, x, y, w, b, v: (L.nn.functional.normalize(
        x * L.tensor([[0.0, 0, 0], [1, 1, 1]]), p=1, dim=1) ** 2 * y).sum(), "x"),
    "cosine_similarity": (lambda L, x, y, w, b, v: (L.nn.functional.cosine_similarity(x, y) ** 2
                                                    ).sum(), "xy"),
    "cosine_similarity_zero_broadcast": (lambda L, x, y, w, b, v: (
        L.nn.functional.cosine_similarity(x * L.tensor([[0.0, 0, 0], [1, 1, 1]]), v) ** 3
    ).sum(), "xv"),
    "pairwise_distance": (lambda L, x, y, w, b, v: (L.nn.functional.pairwise_distance(x, y) ** 2
                                                    ).sum(), "xy"),
    "pairwise_distance_p1_keepdim_broadcast": (lambda L, x, y, w, b, v: (
        L.nn.functional.pairwise_distance(x, v, p=1, keepdim=True) ** 2).sum(), "xv"),
    "pairwise_distance_inf": (lambda L, x, y, w, b, v: (L.nn.functional.pairwise_distance(
        x, y, p=float("inf")) ** 2).sum(), "xy"),
    # in-place activations: torch's kernel reads the result (the node of the write)
    "leaky_relu_inplace": (lambda L, x, y, w, b, v: (L.nn.functional.leaky_relu(
        x * 1, 0.1, inplace=True) ** 2).sum(), "x"),
    "elu_inplace": (lambda L, x, y, w, b, v: (L.nn.functional.elu(x * 1, 0.8, inplace=True) ** 2
                                              ).sum(), "x"),
    "selu_inplace": (lambda L, x, y, w, b, v: (L.nn.functional.selu(x * 1, inplace=True) ** 2
                                               ).sum(), "x"),
    "celu_inplace": (lambda L, x, y, w, b, v: (L.nn.functional.celu(x * 1, 0.7, inplace=True)
                                               ** 2).sum(), "x"),
    # matrix products (formulas_linalg.py)
    "addmm_beta_alpha": (lambda L, x, y, w, b, v: (L.addmm(b, x, w, beta=2, alpha=3) ** 2).sum(),
                         "bxw"),
    "bmm": (lambda L, x, y, w, b, v: (x.view(2, 1, 3).bmm(w[None].expand(2, 3, 2)) ** 2).sum(),
            "xw"),
    "mv": (lambda L, x, y, w, b, v: (x.mv(v) ** 2).sum(), "xv"),
    "dot": (lambda L, x, y, w, b, v: v.dot(v.sin()) ** 2, "v"),
    "vdot": (lambda L, x, y, w, b, v: v.vdot(v.sin()) ** 2, "v"),
    "addmv": (lambda L, x, y, w, b, v: (L.addmv(b, x, v, beta=2, alpha=3) ** 2).sum(), "bxv"),
    "addmv_default": (lambda L, x, y, w, b, v: (L.addmv(b, x, v) ** 2).sum(), "bxv"),
    "baddbmm": (lambda L, x, y, w, b, v: (L.baddbmm(b, x.view(2, 1, 3), w[None].expand(2, 3, 2),
                                                    alpha=0.5) ** 2).sum(), "bxw"),
    "addbmm": (lambda L, x, y, w, b, v: (L.addbmm(x[:, :2], x.view(2, 1, 3).expand(2, 2, 3),
                                                  w[None].expand(2, 3, 2), beta=1.5) ** 2
                                         ).sum(), "xw"),
    "addr": (lambda L, x, y, w, b, v: (L.addr(x, b, v, beta=2, alpha=0.5) ** 2).sum(), "xbv"),
    "trace": (lambda L, x, y, w, b, v: x.mm(w).trace() ** 2, "xw"),
    # determinants and inverses (formulas_decomp.py): A = w @ x + 2 I, or a batch of two
    "det": (lambda L, x, y, w, b, v: L.linalg.det(w.mm(x) + L.eye(3) * 2) ** 2, "wx"),
    "det_batch": (lambda L, x, y, w, b, v: (L.linalg.det(L.diag_embed(x.exp()) + 0.3) ** 3
                                            ).sum(), "x"),
    "inv": (lambda L, x, y, w, b, v: (L.linalg.inv(w.mm(x) + L.eye(3) * 2) ** 2).sum(), "wx"),
    "inv_batch": (lambda L, x, y, w, b, v: (L.linalg.inv_ex(L.diag_embed(x.exp()) + 0.3)[0] ** 2
                                            ).sum(), "x"),
    # two- and three-operand pointwise (formulas_binary.py)
    "maximum": (lambda L, x, y, w, b, v: (L.maximum(x, y - 1) ** 2).sum(), "xy"),
    "minimum_ties_broadcast": (lambda L, x, y, w, b, v: (L.minimum(L.cat([x[:1], v[None]]), v)
                                                         ** 2).sum(), "xv"),
    "fmax_fmin": (lambda L, x, y, w, b, v: (L.fmax(x, y - 1) * L.fmin(x, v)).sum(), "xyv"),
    "addcmul": (lambda L, x, y, w, b, v: (L.addcmul(x, y, v, value=2) ** 2).sum(), "xyv"),
    "addcdiv": (lambda L, x, y, w, b, v: (L.addcdiv(x, y, v + 2, value=0.5) ** 2).sum(), "xyv"),
    "lerp": (lambda L, x, y, w, b, v: (L.lerp(x, y, 0.3) ** 2).sum(), "xy"),
    "lerp_tensor": (lambda L, x, y, w, b, v: (L.lerp(x, y, v) ** 2).sum(), "xyv"),
    "hypot": (lambda L, x, y, w, b, v: (L.hypot(x, y) ** 2).sum(), "xy"),
    "logaddexp": (lambda L, x, y, w, b, v: (L.logaddexp(x, y) ** 2).sum(), "xy"),
    "logaddexp2": (lambda L, x, y, w, b, v: (L.logaddexp2(x, v) ** 2).sum(), "xv"),
    "xlogy": (lambda L, x, y, w, b, v: (L.xlogy(x * L.tensor(ZERO), y) ** 2).sum(), "xy"),
    "xlogy_numbers": (lambda L, x, y, w, b, v: (L.xlogy(2.0, y) * L.xlogy(x, 3.0)).sum(), "xy"),
    # the gradient is nan but where self is 0 (there 0); it depends on no input (torchlike's
    # first-order xlogy vjp gives nan, not torch's 0, where the incoming gradient is 0)
    "xlogy_other_negative": (lambda L, x, y, w, b, v: (L.xlogy(x * L.tensor(ZERO), -1.0) * 2
                                                       ).sum(), "x"),
    "div_floor": (lambda L, x, y, w, b, v: (L.div(x, y, rounding_mode="floor") * x).sum(), "xy"),
    "remainder": (lambda L, x, y, w, b, v: (L.remainder(x, y) ** 2).sum(), "xy"),
    "fmod": (lambda L, x, y, w, b, v: (L.fmod(x, 0.7) * L.fmod(x, y)).sum(), "xy"),
    "pow_tensor": (lambda L, x, y, w, b, v: (y.pow(x) ** 2).sum(), "xy"),
    "pow_tensor_zeros": (lambda L, x, y, w, b, v: ((y * L.tensor(ZERO)).pow(x.abs()) ** 2).sum(),
                         "xy"),
    "rpow": (lambda L, x, y, w, b, v: (L.pow(2.0, x) ** 2).sum(), "x"),
    "rpow_zero": (lambda L, x, y, w, b, v: (L.pow(0.0, y) * x).sum(), "xy"),
}
ZERO = [[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]]


def _tree(fn, depth=3):
    if fn is None:
        return None
    return (type(fn).__name__,
            [_tree(n, depth - 1) for n, _ in fn.next_functions] if depth > 1 else [])


def differentiate_twice(L, out, wrt, square=lambda g: (g * g).sum()):
    """The gradients of `out` made with create_graph (their graphs, requires_grad flags and
    values), and the second-order gradients of the sum of square(g) over them."""
    grads = L.autograd.grad(out, wrt, create_graph=True)
    trees = [_tree(g.grad_fn) for g in grads]
    flags = [g.requires_grad for g in grads]
    second = None
    if any(flags):
        total = sum(square(g) for g in grads if g.requires_grad)
        second = L.autograd.grad(total, wrt, allow_unused=True)
    return trees, flags, grads, second


def assert_same_gradients(want, got, **tol):
    """differentiate_twice's results under torch (want) and torchlike (got) agree."""
    assert got[0] == want[0], "graph of the gradients"
    assert got[1] == want[1], "requires_grad of the gradients"
    for w, g in zip(want[2], got[2]):
        assert_same_tensor(w, g, "gradient", check_repr=False, **tol)
    if want[3] is not None:
        for w, g in zip(want[3], got[3]):
            assert (w is None) == (g is None)
            if w is not None:
                assert_same_tensor(w, g, "second-order gradient", check_repr=False, **tol)


def _run(L, case):
    f, names = CASES[case]
    ins = {k: L.tensor(a, requires_grad=True) for k, a in zip("xywbv", (X, Y, W, B, V))}
    return differentiate_twice(L, f(L, *ins.values()), [ins[k] for k in names])


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.filterwarnings("ignore:var\\(\\). degrees of freedom:UserWarning",
                            "ignore:Using a target size:UserWarning",
                            "ignore:reduction. 'mean' divides:UserWarning")
def test_gradient_graphs_and_values(case):
    assert_same_gradients(_run(torch, case), _run(torchlike, case))


def test_gradient_of_a_linear_function_needs_no_graph():
    """torch: the gradient of x + y is the incoming gradient itself, which requires no grad:
    differentiating it again raises."""
    for L in (torch, torchlike):
        x = L.ones(2, requires_grad=True)
        (g,) = L.autograd.grad((x + 1).sum(), x, create_graph=True)
        with pytest.raises(RuntimeError, match="does not require grad"):
            g.sum().backward()


def _mlp(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(3, 8), L.nn.Tanh(), L.nn.Linear(8, 4), L.nn.ReLU(),
                           L.nn.Linear(4, 1), L.nn.Sigmoid())


def _program_gradient_penalty(L):
    net = _mlp(L)
    x = L.tensor(R_PROG[0], requires_grad=True)
    out = net(x)
    (g,) = L.autograd.grad(out, x, grad_outputs=L.ones_like(out), create_graph=True)
    penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    return [penalty] + [p.grad for p in net.parameters()]


def _program_hvp(L):
    net = _mlp(L)
    x = L.tensor(R_PROG[0])
    loss = (net(x) ** 2).sum()
    params = list(net.parameters())
    grads = L.autograd.grad(loss, params, create_graph=True)
    vec = [L.ones_like(p) for p in params]
    dot = sum((g * v).sum() for g, v in zip(grads, vec))
    return list(L.autograd.grad(dot, params))


def _program_maml_step(L):
    L.manual_seed(1)
    w1, b1 = L.randn(3, 8, requires_grad=True), L.zeros(8, requires_grad=True)
    w2, b2 = L.randn(8, 4, requires_grad=True), L.zeros(4, requires_grad=True)
    x, t = L.tensor(R_PROG[0]), L.tensor([0, 3, 1, 2, 0])
    F = L.nn.functional

    def forward(ws):
        return F.linear(F.relu(F.linear(x, ws[0].t(), ws[1])), ws[2].t(), ws[3])
    ws = [w1, b1, w2, b2]
    inner = F.cross_entropy(forward(ws), t)
    gs = L.autograd.grad(inner, ws, create_graph=True)
    fast = [w - 0.1 * g for w, g in zip(ws, gs)]
    outer = F.cross_entropy(forward(fast), t)
    outer.backward()
    return [outer] + [w.grad for w in ws]


R_PROG = [np.random.default_rng(3).uniform(-1, 1, (5, 3)).astype(np.float32)]


@pytest.mark.parametrize("program", [_program_gradient_penalty, _program_hvp,
                                     _program_maml_step])
def test_programs_that_differentiate_twice(program):
    for w, g in zip(program(torch), program(torchlike)):
        assert_same_tensor(w, g, program.__name__, check_repr=False)


# nn functions and more ops: the gradient's own node (torch's backward kernel's name, or its
# formula's last op) and values, first and second order.
NN = {
    "leaky_relu": lambda L, v, x, w: L.nn.functional.leaky_relu(v, 0.1),
    "gelu": lambda L, v, x, w: L.nn.functional.gelu(v),
    "gelu_tanh": lambda L, v, x, w: L.nn.functional.gelu(v, approximate="tanh"),
    "elu": lambda L, v, x, w: L.nn.functional.elu(v),
    "celu": lambda L, v, x, w: L.nn.functional.celu(v, 0.7),
    "silu": lambda L, v, x, w: L.nn.functional.silu(v),
    "softplus": lambda L, v, x, w: L.nn.functional.softplus(v),
    "hardtanh": lambda L, v, x, w: L.nn.functional.hardtanh(v, -0.5, 0.5),
    "logsigmoid": lambda L, v, x, w: L.nn.functional.logsigmoid(v),
    "mse": lambda L, v, x, w: L.nn.functional.mse_loss(v, v.detach() * 0.5),
    "smooth_l1": lambda L, v, x, w: L.nn.functional.smooth_l1_loss(v, v.detach() * 0.5),
    "nll": lambda L, v, x, w: L.nn.functional.nll_loss(v, L.tensor([1, 0, 4, 2])),
    "cross_entropy": lambda L, v, x, w: L.nn.functional.cross_entropy(v, L.tensor([1, 0, 4, 2])),
    "conv2d": lambda L, v, x, w: L.nn.functional.conv2d(x, w, padding=1),
    "max_pool2d": lambda L, v, x, w: L.nn.functional.max_pool2d(x, 2),
    "avg_pool2d": lambda L, v, x, w: L.nn.functional.avg_pool2d(x, 2),
    "layer_norm": lambda L, v, x, w: L.nn.functional.layer_norm(v, (5,)),
    "batch_norm": lambda L, v, x, w: L.nn.functional.batch_norm(x, None, None, training=True),
    "slice": lambda L, v, x, w: v[1:3, ::2],
    "reciprocal": lambda L, v, x, w: (v * v + 1).reciprocal(),
    "expm1": lambda L, v, x, w: v.expm1(),
    "atan": lambda L, v, x, w: v.atan(),
    "erf": lambda L, v, x, w: v.erf(),
    "unsqueeze_squeeze": lambda L, v, x, w: v.unsqueeze(1).squeeze(1) * v,
    "logsumexp": lambda L, v, x, w: v.logsumexp(1),
    "var": lambda L, v, x, w: v.var(1),
    "prod": lambda L, v, x, w: v.prod(1),
    "gather": lambda L, v, x, w: v.gather(1, L.tensor([[1], [0], [4], [2]])),
    "clamp": lambda L, v, x, w: v.clamp(-0.5, 0.5) * v,
    "cumsum": lambda L, v, x, w: v.cumsum(1),
}
V45 = R.uniform(-1, 1, (4, 5)).astype(np.float32)
XC = R.uniform(-1, 1, (2, 3, 6, 6)).astype(np.float32)
WC = R.uniform(-1, 1, (4, 3, 3, 3)).astype(np.float32)


def _run_nn(L, case):
    v, x, w = (L.tensor(a, requires_grad=True) for a in (V45, XC, WC))
    out = NN[case](L, v, x, w)
    wrt = [x, w] if case == "conv2d" else [x] if case in (
        "max_pool2d", "avg_pool2d", "batch_norm") else [v]
    grads = L.autograd.grad(((out + 0.3) ** 3).sum(), wrt, create_graph=True)
    second = L.autograd.grad(sum((g * g).sum() for g in grads), wrt)
    return [type(g.grad_fn).__name__ for g in grads], grads, second


@pytest.mark.parametrize("case", list(NN))
def test_nn_gradients_differentiate_as_torch(case):
    want, got = _run_nn(torch, case), _run_nn(torchlike, case)
    assert got[0] == want[0], "the gradients' nodes"
    for w, g in zip(want[1] + want[2], got[1] + got[2]):
        assert_same_tensor(w.detach(), g.detach(), case, check_repr=False)


def test_hardsigmoid_gradient_has_no_derivative_as_in_torch():
    """torch has no derivative for hardsigmoid_backward: the gradient made with create_graph is
    a NotImplemented node over the input, and differentiating it raises torch's error."""
    def run(L, second):
        x = L.tensor(X.reshape(-1) * 3, requires_grad=True)
        g, = L.autograd.grad(L.nn.functional.hardsigmoid(x).sum(), x, create_graph=True)
        if second:
            g.sum().backward()
        return g, g.grad_fn.name(), [type(n).__name__ for n, _ in g.grad_fn.next_functions]
    want, got = run(torch, False), run(torchlike, False)
    assert_same_tensor(want[0], got[0])
    assert want[1:] == got[1:]
    check_raises(run, True)


@pytest.mark.parametrize("method", ["sigmoid_", "tanh_", "exp_", "sin_", "sqrt_", "relu_",
                                    "mul_", "add_"])
def test_in_place_ops_differentiate_twice_as_torch(method):
    """A formula must read the operand as the op met it, not the tensor the op wrote into."""
    def run(L):
        x = L.tensor([0.3, 1.2, 2.0], requires_grad=True)
        y = x * 1.5
        args = (x,) if method in ("mul_", "add_") else ()
        getattr(y, method)(*args)
        g, = L.autograd.grad((y * y * y).sum(), x, create_graph=True)
        return g, L.autograd.grad((g * g).sum(), x)[0]
    want, got = run(torch), run(torchlike)
    for w, g in zip(want, got):
        assert_same_tensor(w, g, method, check_repr=False)
