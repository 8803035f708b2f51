"""Shape and view ops against real torch: values, dtypes, grad_fn names, gradients (float64
inputs also numerically), in-place metadata ops, and torch's errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import torchlike
from _helper import check, check_raises

R = np.random.default_rng(0)
X = R.standard_normal((3, 4))              # float64: numeric gradients too
B = R.standard_normal((2, 3, 2))
V = R.standard_normal(4)
S = np.array(1.5)
E = np.zeros((0, 3))
XF = X.astype(np.float32)
XI = (X * 3).astype(np.int64)
XB = X > 0

CASES = {
    # view / reshape
    "view": (lambda L, x: x.view(2, 6), X),
    "view_infer": (lambda L, x: x.view(-1, 3), X),
    "view_tuple": (lambda L, x: x.view((4, 3)), X),
    "view_as": (lambda L, x, v: v.view_as(x[0]), X, V),
    "reshape": (lambda L, x: x.reshape(2, 3, 2), X),
    "torch_reshape": (lambda L, x: L.reshape(x, (-1,)), X),
    "reshape_as": (lambda L, x: x.reshape_as(x.t()), X),
    "reshape_0d": (lambda L, s: s.reshape(1, 1), S),
    "reshape_empty": (lambda L, e: e.reshape(3, 0), E),
    "flatten": (lambda L, b: b.flatten(), B),
    "flatten_range": (lambda L, b: b.flatten(1), B),
    "flatten_0d": (lambda L, s: s.flatten(), S),
    "flatten_same": (lambda L, x: x.flatten(1, 1), X),
    "ravel": (lambda L, b: b.ravel(), B),
    "unflatten": (lambda L, x: x.unflatten(1, (2, -1)), X),
    "unflatten_neg": (lambda L, b: b.unflatten(-1, (1, 2)), B),
    # transpose / permute
    "transpose": (lambda L, b: b.transpose(0, -1), B),
    "swapaxes": (lambda L, b: L.swapaxes(b, 1, 2), B),
    "swapdims": (lambda L, b: b.swapdims(0, 1), B),
    "t": (lambda L, x: x.t(), X),
    "t_1d": (lambda L, v: v.t(), V),
    "T": (lambda L, x: x.T, X),
    "mT": (lambda L, b: b.mT, B),
    "adjoint": (lambda L, b: b.adjoint(), B),
    "permute": (lambda L, b: b.permute(2, 0, 1), B),
    "permute_neg": (lambda L, b: L.permute(b, (-1, 0, 1)), B),
    "movedim": (lambda L, b: b.movedim(0, -1), B),
    "movedim_multi": (lambda L, b: L.movedim(b, (0, 1), (2, 0)), B),
    "moveaxis": (lambda L, b: L.moveaxis(b, 2, 0), B),
    # squeeze / unsqueeze
    "squeeze": (lambda L, b: b[:, :1].squeeze(), B),
    "squeeze_dim": (lambda L, b: b[:1].squeeze(0), B),
    "squeeze_dim_noop": (lambda L, b: b.squeeze(1), B),
    "squeeze_tuple": (lambda L, b: b[:1, :, :1].squeeze((0, -1)), B),
    "squeeze_0d": (lambda L, s: s.squeeze(0), S),
    "unsqueeze": (lambda L, x: x.unsqueeze(1), X),
    "unsqueeze_neg": (lambda L, x: L.unsqueeze(x, -1), X),
    "unsqueeze_0d": (lambda L, s: s.unsqueeze(0), S),
    # expand / broadcast
    "expand": (lambda L, v: v.expand(3, 4), V),
    "expand_keep": (lambda L, v: v.expand(2, -1), V),
    "expand_as": (lambda L, x, v: v.expand_as(x), X, V),
    "broadcast_to": (lambda L, v: L.broadcast_to(v, (2, 3, 4)), V),
    "broadcast_tensors": (lambda L, x, v: L.broadcast_tensors(x, v), X, V),
    "expand_0d": (lambda L, s: s.expand(2, 2), S),
    # split family
    "unbind": (lambda L, x: x.unbind(), X),
    "unbind_dim": (lambda L, b: L.unbind(b, -1), B),
    "split": (lambda L, x: x.split(2, 1), X),
    "split_uneven": (lambda L, x: x.split(3, 1), X),
    "split_sizes": (lambda L, x: x.split([1, 3], 1), X),
    "split_with_sizes": (lambda L, x: x.split_with_sizes([2, 1]), X),
    "chunk": (lambda L, x: x.chunk(3, 1), X),
    "chunk_more": (lambda L, x: x.chunk(5, 0), X),
    "chunk_empty": (lambda L, e: e.chunk(2), E),
    "split_empty": (lambda L, e: (e.split(2), e.unbind(1)), E),
    "cat_empty_rows": (lambda L, e, x: L.cat([e, x[:, :3], e]), E, X),
    "tensor_split": (lambda L, x: x.tensor_split(3, 1), X),
    "tensor_split_idx": (lambda L, x: L.tensor_split(x, [1, -1], 1), X),
    "tensor_split_oob": (lambda L, x: x.tensor_split([2, 9]), X),
    "hsplit": (lambda L, x: x.hsplit(2), X),
    "vsplit": (lambda L, x: L.vsplit(x, [1]), X),
    "dsplit": (lambda L, b: b.dsplit(2), B),
    # diagonal / unfold / clone
    "diagonal": (lambda L, x: x.diagonal(), X),
    "diagonal_offset": (lambda L, x: x.diagonal(1), X),
    "diagonal_neg": (lambda L, x: L.diagonal(x, -1), X),
    "diagonal_dims": (lambda L, b: b.diagonal(0, 0, 2), B),
    "unfold": (lambda L, x: x.unfold(1, 2, 1), X),
    "unfold_step": (lambda L, x: x.unfold(1, 2, 2), X),
    "unfold_dim0": (lambda L, b: b.unfold(0, 2, 1), B),
    "clone": (lambda L, x: x.clone(), X),
    "contiguous": (lambda L, x: x.contiguous(), X),
    # combine.py
    "cat": (lambda L, x, v: L.cat([x, v[None]]), X, V),
    "cat_dim": (lambda L, x: L.cat((x, x[:, :1]), 1), X),
    "cat_neg": (lambda L, b: L.concat([b, b], -1), B),
    "cat_legacy_empty": (lambda L, x: L.cat([L.ones(0, dtype=L.float64), x]), X),
    "concatenate": (lambda L, x: L.concatenate([x, x]), X),
    "stack": (lambda L, x: L.stack([x, x]), X),
    "stack_last": (lambda L, x: L.stack([x, x], -1), X),
    "hstack": (lambda L, x: L.hstack([x, x]), X),
    "hstack_1d": (lambda L, v: L.hstack([v, v]), V),
    "vstack": (lambda L, x, v: L.vstack([x, v]), X, V),
    "row_stack": (lambda L, v: L.row_stack([v, v]), V),
    "dstack": (lambda L, x: L.dstack([x, x]), X),
    "column_stack": (lambda L, x, v: L.column_stack([v[:3], x]), X, V),
    "atleast_2d": (lambda L, s: L.atleast_2d(s), S),
    "atleast_3d": (lambda L, x: L.atleast_3d(x), X),
    "repeat": (lambda L, x: x.repeat(2, 1), X),
    "repeat_more": (lambda L, v: v.repeat(2, 1, 2), V),
    "repeat_0d": (lambda L, s: s.repeat(3), S),
    "tile": (lambda L, x: x.tile(2), X),
    "tile_more": (lambda L, v: L.tile(v, (2, 1)), V),
    "repeat_interleave": (lambda L, x: x.repeat_interleave(2), X),
    "repeat_interleave_dim": (lambda L, x: x.repeat_interleave(2, dim=0), X),
    "repeat_interleave_t": (lambda L, x: x.repeat_interleave(L.tensor([1, 0, 2]), dim=0), X),
    "repeat_interleave_t1": (lambda L, v: L.repeat_interleave(v, L.tensor([2])), V),
    "flip": (lambda L, b: b.flip(0, 2), B),
    "flip_list": (lambda L, b: L.flip(b, [-1]), B),
    "fliplr": (lambda L, x: x.fliplr(), X),
    "flipud": (lambda L, v: L.flipud(v), V),
    "roll": (lambda L, x: x.roll(1), X),
    "roll_dim": (lambda L, x: x.roll(-1, 1), X),
    "roll_multi": (lambda L, x: L.roll(x, (1, 2), (0, 1)), X),
    "rot90": (lambda L, x: x.rot90(), X),
    "rot90_k": (lambda L, b: L.rot90(b, 3, (1, 2)), B),
    "rot90_neg": (lambda L, x: x.rot90(-1, [1, 0]), X),
    "diag_vec": (lambda L, v: L.diag(v), V),
    "diag_vec_off": (lambda L, v: v.diag(-1), V),
    "diag_mat": (lambda L, x: L.diag(x, 1), X),
    "diagflat": (lambda L, x: L.diagflat(x[:2, :2]), X),
    "diag_embed": (lambda L, x: L.diag_embed(x), X),
    "diag_embed_dims": (lambda L, x: x.diag_embed(1, 0, 2), X),
    "tril": (lambda L, x: x.tril(), X),
    "tril_k": (lambda L, b: L.tril(b, -1), B),
    "triu": (lambda L, x: x.triu(1), X),
}


@pytest.mark.parametrize("name", list(CASES))
def test_shape_ops(name):
    fn, *inputs = CASES[name]
    check(fn, *inputs)


DTYPE_CASES = {
    "view": lambda L, x: x.view(4, 3),
    "transpose": lambda L, x: x.transpose(0, 1),
    "expand": lambda L, x: x[:1].expand(2, 4),
    "cat": lambda L, x: L.cat([x, x], 1),
    "stack": lambda L, x: L.stack([x, x], 1),
    "flip": lambda L, x: x.flip(1),
    "roll": lambda L, x: x.roll(2, 1),
    "repeat": lambda L, x: x.repeat(1, 2),
    "tril": lambda L, x: x.tril(),
    "diag_embed": lambda L, x: L.diag_embed(x[0]),
    "split": lambda L, x: x.split(3, 1),
}


@pytest.mark.parametrize("dtype", [XF, XI, XB], ids=["float32", "int64", "bool"])
@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_shape_ops_dtypes(name, dtype):
    check(DTYPE_CASES[name], dtype)


LAYOUT = {
    "t_reshape": lambda y: y.t().reshape(-1),
    "slice_reshape": lambda y: y[:, 1:].reshape(-1),
    "rows_reshape": lambda y: y[1:].reshape(-1),
    "column_flatten": lambda y: y[:, :1].flatten(),
    "t_flatten": lambda y: y.t().flatten(),
    "expand_reshape": lambda y: y.expand(2, 3, 4).reshape(24),
    "expand_select_reshape": lambda y: y.unsqueeze(0).expand(2, 3, 4)[0].reshape(12),
    "t_ravel": lambda y: y.t().ravel(),
    "step_reshape": lambda y: y[::2].reshape(-1),
    "diagonal_reshape": lambda y: y.diagonal().reshape(-1),
    "t_row_reshape": lambda y: y.t()[0].reshape(-1),
    "unfold_reshape": lambda y: y.unfold(1, 2, 2).reshape(-1),
    "split_reshape": lambda y: y.split(2, 1)[0].reshape(-1),
    "permute_split_dim": lambda y: y.permute(1, 0).reshape(2, 2, 3),
    "alias_chain": lambda y: y.t().reshape(2, 2, 3).reshape(4, 3),
    "none_slice_reshape": lambda y: y[:, None, :2].reshape(3, 2),
    "narrow_reshape": lambda y: y.narrow(1, 0, 2).reshape(6),
    "t_contiguous": lambda y: y.t().contiguous(),
    "slice_contiguous": lambda y: y[:, 1:].contiguous(),
    "row_contiguous": lambda y: y[1].contiguous(),
    "reshape_as_t": lambda y: y.t().reshape_as(y),
}


@pytest.mark.parametrize("name", list(LAYOUT))
def test_reshape_views_or_copies_like_torch(name):
    # torch's strides decide: ViewBackward0 (contiguous), ReshapeAliasBackward0 (viewable
    # strides), or a copy (UnsafeViewBackward0 / CloneBackward0) that shares no storage
    check(lambda L, x: LAYOUT[name](x * 1), X)

    def shares(L):
        y = L.arange(12.0).reshape(3, 4)
        out = LAYOUT[name](y)
        out[(0,) * out.ndim] = -1.0
        return repr(y), repr(out)
    assert shares(torch) == shares(torchlike)


def test_write_through_select_of_expand():
    def run(L):
        y = L.arange(12.0).reshape(3, 4)
        v = y.unsqueeze(0).expand(2, 3, 4)[0]
        v[0, 0] = -1.0
        return repr(y)
    assert run(torch) == run(torchlike)


def test_view_of_non_viewable_strides_raises():
    t, tl = check_raises(lambda L, x: x.t().view(-1), X)
    assert t == tl


def test_cat_promotes_mixed_dtypes():
    check(lambda L, a, b: L.cat([a, b]), XI, XF)
    check(lambda L, a, b: L.stack([a, b]), XB, XI)
    check(lambda L, a: L.cat([L.ones(0, dtype=L.float64), a]), XF)


def test_view_dtype_reinterprets_bits():
    check(lambda L, x: x.view(L.int32), XF, grad=False)
    check(lambda L, x: x.view(L.float16), XF, grad=False)
    check(lambda L, x: x.view(L.float32), X, grad=False)
    check(lambda L, x: x.view(L.int64), X, grad=False)


def test_identity_results_are_the_input():
    for L in (torch, torchlike):
        x = L.ones(2, 3)
        assert x.flatten(1, 1) is x
        assert L.broadcast_tensors(x, L.ones(3))[0] is x
        assert L.ones(4).ravel() is not None


INPLACE = {
    "t_": lambda y: y.t_(),
    "transpose_": lambda y: y.transpose_(0, 1),
    "swapaxes_": lambda y: y.swapaxes_(0, 1),
    "squeeze_": lambda y: y.unsqueeze(0).clone().squeeze_(),
    "squeeze_dim_": lambda y: y.unsqueeze(0).clone().squeeze_(0),
    "squeeze_dims_": lambda y: y.unsqueeze(0).clone().squeeze_((0,)),
    "unsqueeze_": lambda y: y.unsqueeze_(1),
    "tril_": lambda y: y.tril_(),
    "triu_": lambda y: y.triu_(-1),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_shape_ops(name):
    def fn(L, x):
        y = x * 1
        out = INPLACE[name](y)
        return out, y
    check(fn, X)


def test_inplace_shape_op_on_leaf_raises():
    t, tl = check_raises(lambda L, x: x.requires_grad_().t_(), X)
    assert t == tl


def test_T_warns_for_non_matrices():
    for L in (torch, torchlike):
        with pytest.warns(UserWarning, match="x.T"):
            L.ones(2, 3, 4).T
        with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
            L.ones(()).T


def test_data_of_a_view_keeps_the_view_shape():
    def run(L):
        x = L.arange(12.0).reshape(3, 4)
        d, v = x.data, x.detach()
        x.add_(100)
        return repr(d), repr(v)
    assert run(torch) == run(torchlike)


ERRORS = {
    "view_bad": (lambda L, x: x.view(5), X),
    "view_two_infer": (lambda L, x: x.view(-1, -1), X),
    "view_neg": (lambda L, x: x.view(-2, 6), X),
    "view_empty_infer": (lambda L, e: e.view(0, -1), E),
    "view_dtype_size": (lambda L, x: x[:, :3].view(L.float64), XF),
    "view_dtype_0d": (lambda L, s: s.view(L.int8), S),
    "flatten_order": (lambda L, b: b.flatten(2, 1), B),
    "unflatten_bad": (lambda L, x: x.unflatten(1, (3, 2)), X),
    "unflatten_empty": (lambda L, x: x.unflatten(1, ()), X),
    "transpose_dim": (lambda L, x: x.transpose(0, 2), X),
    "t_3d": (lambda L, b: b.t(), B),
    "mT_1d": (lambda L, v: v.mT, V),
    "permute_len": (lambda L, x: x.permute(0), X),
    "permute_dup": (lambda L, x: x.permute(0, 0), X),
    "movedim_dup": (lambda L, x: x.movedim((0, 0), (0, 1)), X),
    "movedim_len": (lambda L, x: x.movedim((0, 1), (0,)), X),
    "squeeze_dim": (lambda L, x: x.squeeze(2), X),
    "unsqueeze_dim": (lambda L, x: x.unsqueeze(3), X),
    "expand_fewer": (lambda L, x: x.expand(2), X),
    "expand_mismatch": (lambda L, x: x.expand(3, 5), X),
    "expand_leading_neg": (lambda L, x: x.expand(-1, 3, 4), X),
    "expand_long": (lambda L, x: x.expand(2), XI),
    "broadcast_tensors": (lambda L, x, v: L.broadcast_tensors(x, v[:3]), X, V),
    "split_zero": (lambda L, x: x.split(0), X),
    "split_sizes": (lambda L, x: x.split([1, 1]), X),
    "chunk_zero": (lambda L, x: x.chunk(0), X),
    "tensor_split_zero": (lambda L, x: x.tensor_split(0), X),
    "hsplit_indivisible": (lambda L, x: x.hsplit(3), X),
    "diagonal_same": (lambda L, x: x.diagonal(0, 0, 0), X),
    "unfold_size": (lambda L, x: x.unfold(1, 5, 1), X),
    "unfold_step": (lambda L, x: x.unfold(1, 2, 0), X),
    "cat_empty": (lambda L: L.cat([]),),
    "cat_ndim": (lambda L, x, v: L.cat([x, v]), X, V),
    "cat_sizes": (lambda L, x: L.cat([x, x[:, :2]]), X),
    "cat_0d": (lambda L, s: L.cat([s, s]), S),
    "cat_dim": (lambda L, x: L.cat([x], 2), X),
    "stack_sizes": (lambda L, x, v: L.stack([x, v]), X, V),
    "stack_empty": (lambda L: L.stack([]),),
    "hstack_empty": (lambda L: L.hstack([]),),
    "repeat_fewer": (lambda L, x: x.repeat(2), X),
    "repeat_negative": (lambda L, x: x.repeat(-1, 2), X),
    "repeat_interleave_neg": (lambda L, x: x.repeat_interleave(-1), X),
    "repeat_interleave_size": (lambda L, x: x.repeat_interleave(L.tensor([1, 2]), dim=0), X),
    "flip_dup": (lambda L, x: x.flip(0, 0), X),
    "fliplr_1d": (lambda L, v: v.fliplr(), V),
    "roll_align": (lambda L, x: x.roll((1, 2), (0,)), X),
    "rot90_dims": (lambda L, x: x.rot90(1, (0, 0)), X),
    "rot90_1d": (lambda L, v: v.rot90(), V),
    "diag_3d": (lambda L, b: L.diag(b), B),
    "tril_1d": (lambda L, v: v.tril(), V),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_shape_errors(name):
    fn, *inputs = ERRORS[name]
    t, tl = check_raises(fn, *inputs)
    assert t == tl
