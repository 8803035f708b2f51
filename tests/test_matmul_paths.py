"""matmul of 3+ dimensions runs as one kernel where no graph is recorded (torchlike's
_matmul_nd), and as torch's steps (expand, reshape, bmm / mm, _unsafe_view) where one is: where
both apply to the same tensors they give the same bits, shapes, dtypes and layout, for folded,
batched, broadcast, transposed and 1-D operands, with and without requires_grad (torch picks
its steps by requires_grad)."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike as torch
from torchlike.ops import linalg as L

R = np.random.default_rng(3)
SHAPES = [((1, 4, 7, 16), (1, 4, 16, 7)), ((2, 3, 5), (5, 4)), ((5,), (2, 5, 3)),
          ((2, 1, 3, 4), (3, 4, 2)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (4,)),
          ((6, 2, 3), (6, 3, 2)), ((1, 3, 4), (2, 4, 5)), ((2, 0, 3), (3, 4)),
          ((3, 33, 17), (17, 65))]


def _pair(sa, sb, dtype, transposed):
    a = torch.tensor(R.standard_normal(sa)).to(dtype)
    b = torch.tensor(R.standard_normal(sb[:-2] + sb[:-3:-1] if transposed else sb)).to(dtype)
    return a, (b.transpose(-2, -1) if transposed else b)


def _steps(a, b):
    fold = L._should_fold(a, b)
    return L._matmul_folded(a, b) if fold else L._matmul_batched(a, b)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64])
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_one_kernel_and_torchs_steps_agree(sa, sb, dtype):
    kernels = set()
    for transposed in (False, True) if len(sb) >= 2 else (False,):
        for rg in (False, True) if dtype.is_floating_point else (False,):
            a, b = _pair(sa, sb, dtype, transposed)
            a.requires_grad_(rg)
            with torch.no_grad():
                fast = a @ b
                kernels.add(L._one_kernel(a, b, L._should_fold(a, b)))
                steps = _steps(a, b)
            assert fast.shape == steps.shape and fast.dtype == steps.dtype
            assert fast.is_contiguous() and fast._base is None and fast.grad_fn is None
            assert np.array_equal(fast.numpy(), steps.numpy())
            if rg:  # recording: torch's steps and their graph
                assert (a @ b).grad_fn is not None
    assert True in kernels or len(sb) > len(sa)  # the kernel ran where it should
