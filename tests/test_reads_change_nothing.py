"""Property: an operation that only reads a tensor leaves it exactly as it was (shape, strides,
dtype, values, version, autograd state), and a backward after the reads gives the same
gradients. A conversion that changed what it read (0-d `.numpy()` turning `t` into shape [1])
hid between features that each passed their own tests."""
from __future__ import annotations

import copy
import io
import pickle

import numpy as np
import pytest

import torchlike as torch


def _inputs():
    """(name, make) pairs: make() -> (leaf, tensor to read), covering 0-d, empty, plain,
    non-contiguous, expanded, integer and non-leaf tensors."""
    def leaf(shape, dtype=torch.float32):
        n = int(np.prod(shape))
        x = (torch.arange(n, dtype=torch.float64) * 0.37 - 1).reshape(shape).to(dtype)
        return x.requires_grad_() if dtype.is_floating_point else x

    def own(x):
        return x, x

    def nonleaf(x):
        return x, x * 2
    return [
        ("0-d", lambda: own(leaf(()))),
        ("0-d non-leaf", lambda: nonleaf(leaf(()))),
        ("empty", lambda: own(leaf((0, 3)))),
        ("1-d", lambda: own(leaf((5,)))),
        ("2-d non-leaf", lambda: nonleaf(leaf((3, 4)))),
        ("transposed view", lambda: (lambda x: (x, x.t()))(leaf((3, 4)))),
        ("strided slice", lambda: (lambda x: (x, x[:, ::2]))(leaf((3, 4)))),
        ("expanded", lambda: (lambda x: (x, x.expand(4, 3)))(leaf((3,)))),
        ("int64", lambda: own(leaf((2, 3), torch.int64))),
        ("int 0-d", lambda: own(leaf((), torch.int64))),
        ("float64 0-d non-leaf", lambda: nonleaf(leaf((), torch.float64))),
    ]


def _reads():
    def np_roundtrip(t):
        a = t.detach().numpy()
        return a.copy()

    def save(t):
        buf = io.BytesIO()
        torch.save(t.detach(), buf)
        buf.seek(0)
        return torch.load(buf)
    return {
        "numpy": np_roundtrip,
        "np.asarray": lambda t: np.asarray(t.detach()).copy(),
        "tolist": lambda t: t.tolist(),
        "item": lambda t: t.item() if t.numel() == 1 else None,
        "float": lambda t: float(t) if t.numel() == 1 else None,
        "repr": repr,
        "str": str,
        "format": lambda t: f"{t.detach()}",
        "save": save,
        "pickle": lambda t: pickle.loads(pickle.dumps(t.detach())),
        "deepcopy": lambda t: copy.deepcopy(t.detach()) if t.is_leaf else None,
        "clone": lambda t: t.clone(),
        "contiguous": lambda t: t.contiguous(),
        "cpu": lambda t: t.cpu(),
        "to same dtype": lambda t: t.to(t.dtype),
        "sum": lambda t: t.sum(),
        "eq": lambda t: (t == t),
        "iter": lambda t: list(t) if t.dim() else None,
        "size/stride": lambda t: (t.size(), t.stride(), t.is_contiguous(), t.dim()),
        "bool/len": lambda t: (len(t) if t.dim() else None,
                               bool(t) if t.numel() == 1 else None),
    }


def _snapshot(t):
    return (tuple(t.shape), t.stride(), t.dtype, t.detach().numpy().copy(), t._version,
            t.requires_grad, type(t.grad_fn).__name__, t.is_leaf)


@pytest.mark.parametrize("read", sorted(_reads()))
def test_reading_changes_nothing(read):
    fn = _reads()[read]
    for name, make in _inputs():
        leaf, t = make()
        before = _snapshot(t)
        fn(t)
        fn(t)  # twice: a first read may cache something the second trips over
        after = _snapshot(t)
        for b, a in zip(before, after):
            if isinstance(b, np.ndarray):
                np.testing.assert_array_equal(a, b, err_msg=f"{read} changed {name}'s values")
                assert a.shape == b.shape, f"{read} changed {name}'s array shape"
            else:
                assert a == b, f"{read} changed {name}: {b!r} -> {a!r}"
        if leaf.requires_grad:
            (t * t).sum().backward()
            grad = leaf.grad.numpy().copy()
            leaf2, t2 = make()
            (t2 * t2).sum().backward()
            np.testing.assert_array_equal(grad, leaf2.grad.numpy(),
                                          err_msg=f"{read} changed {name}'s gradient")
