"""Bad input gets torch's exception type and message, and failure reports (cholesky_ex's info)
are torch's: each case runs under real torch and torchlike."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import torchlike as tl
from _helper import assert_same_tensor, check_raises

NOT_PD = {
    "order 2": np.array([[4., 2., 1.], [2., 1., 0.], [1., 0., 3.]]),
    "order 2, 2x2": np.array([[1., 2.], [2., 1.]]),
    "order 1": np.array([[-1., 0.], [0., 1.]]),
    "semidefinite": np.array([[1., 0.], [0., 0.]]),
    "nan first": np.array([[np.nan, 0.], [0., 1.]]),
    "nan later": np.array([[1., 0.], [0., np.nan]]),
    "batch": np.stack([np.array([[4., 2., 1.], [2., 1., 0.], [1., 0., 3.]]), np.eye(3),
                       -np.eye(3), np.diag([1., 2., -3.])]),
    "pd": np.array([[4., 2.], [2., 3.]]),
}


@pytest.mark.parametrize("case", sorted(NOT_PD))
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_ex_info_and_partial_factor(case, dtype, upper):
    a = NOT_PD[case].astype(dtype)
    want = torch.linalg.cholesky_ex(torch.from_numpy(a), upper=upper)
    got = tl.linalg.cholesky_ex(tl.tensor(a), upper=upper)
    assert_same_tensor(want.info, got.info, "info")
    # LAPACK's partial factor of a failed matrix (unblocked: small matrices)
    assert_same_tensor(want.L, got.L, "L", check_repr=False)


@pytest.mark.parametrize("case", ["order 2", "batch", "nan later"])
def test_cholesky_error_names_the_failing_minor(case):
    with pytest.raises(torch.linalg.LinAlgError) as want:
        torch.linalg.cholesky(torch.from_numpy(NOT_PD[case]))
    with pytest.raises(tl.linalg.LinAlgError) as got:
        tl.linalg.cholesky(tl.tensor(NOT_PD[case]))
    assert str(got.value) == str(want.value)


INDEX_ADD = [((3,), 0, [3]), ((3,), 0, [-1]), ((), 0, [1]), ((3, 2), 0, [5, -1]),
             ((3, 2), 0, [-1, 5]), ((3, 2), 1, [2]), ((3, 2), -1, [0, 7]), ((4, 3, 2), 0, [4]),
             ((4, 3, 2), 1, [3]), ((4, 3, 2), 2, [-2]), ((2, 2, 2, 2), 2, [0, 2])]


@pytest.mark.parametrize("shape,dim,idx", INDEX_ADD)
@pytest.mark.parametrize("inplace", [False, True])
def test_index_add_out_of_range(shape, dim, idx, inplace):
    src_shape = list(shape)
    if shape:
        src_shape[dim] = len(idx)
    x, s = np.zeros(shape, np.float32), np.ones(src_shape, np.float32)
    name = "index_add_" if inplace else "index_add"
    want, got = check_raises(lambda L, a, b: getattr(a, name)(dim, L.tensor(idx), b), x, s)
    assert got == want


LOSSES = {"cross_entropy": lambda F: F.cross_entropy, "nll_loss": lambda F: F.nll_loss}


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("shape", [(3, 4), (4,), (2, 4, 3), (2, 4, 3, 2)])
@pytest.mark.parametrize("dtype", ["float32", "int32", "int16", "float64", "bool"])
def test_class_target_dtype(loss, shape, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    t = np.zeros(tshape, dtype)

    def fn(L, a, b):
        return LOSSES[loss](L.nn.functional)(a, b)
    if dtype.startswith("float") and loss == "cross_entropy" and tshape == shape:
        pytest.skip("a float target of the input's shape is class probabilities")
    want, got = check_raises(fn, x, t)
    assert got == want
