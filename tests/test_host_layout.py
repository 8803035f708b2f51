"""Data-movement ops (view, reshape, transpose, permute, expand, squeeze/unsqueeze, split,
unbind, clone) run in numpy on the host for shapes a kernel has met fewer than HOT_AFTER times,
then compile: both paths give the same bits, dtype and shape, in every dtype and on 0-d,
empty, non-contiguous and broadcast inputs, and views made either way follow their base."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike as torch
from torchlike.ops import _registry as R

R_ = np.random.default_rng(5)
DTYPES = [torch.float32, torch.float64, torch.bfloat16, torch.float16, torch.int64,
          torch.int8, torch.uint8, torch.bool, torch.complex64]
CASES = {
    "view": lambda x: x.view(-1),
    "reshape_alias": lambda x: x.transpose(0, -1).reshape(-1) if x.ndim > 1 else x.reshape(-1),
    "unsafe_view": lambda x: torch.matmul(x, x.mT) if x.ndim >= 3 and x.is_floating_point()
    else x.flatten(),
    "transpose": lambda x: x.transpose(0, -1),
    "t": lambda x: x.t() if x.ndim <= 2 else x.mT,
    "permute": lambda x: x.permute(*reversed(range(x.ndim))),
    "expand": lambda x: x.unsqueeze(0).expand(3, *x.shape),
    "squeeze": lambda x: x.unsqueeze(-1).unsqueeze(0).squeeze(),
    "squeeze_dim": lambda x: x.unsqueeze(-1).squeeze(-1),
    "unsqueeze": lambda x: x.unsqueeze(0),
    "split": lambda x: x.split(2) if x.ndim else (x,),
    "unbind": lambda x: x.unbind(0) if x.ndim else (x,),
    "clone": lambda x: x.clone(),
}
SHAPES = [(), (0, 3), (4,), (2, 3), (3, 1, 4), (2, 3, 4, 2)]


def _tensor(shape, dtype):
    a = R_.standard_normal(shape) * 4
    return torch.tensor(a).to(dtype)


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.fixture
def hot_after_two(monkeypatch):
    monkeypatch.setattr(R, "HOT_AFTER", 2)


def _forget_shapes():
    for k in R._kernels.values():
        if k.cold is not None:
            k.cold.clear()


@pytest.mark.parametrize("name", sorted(CASES))
def test_host_and_compiled_paths_agree(name, hot_after_two):
    fn = CASES[name]
    for dtype in DTYPES:
        for shape in SHAPES:
            x = _tensor(shape, dtype)
            _forget_shapes()
            runs = [[(o.shape, o.dtype, o.numpy().tobytes()) for o in _flat(fn(x))]
                    for _ in range(R.HOT_AFTER + 1)]  # on the host first, compiled last
            assert all(r == runs[0] for r in runs), (name, dtype, shape)


def test_cold_shapes_run_on_the_host_then_compile(hot_after_two):
    _forget_shapes()
    x = torch.randn(3, 7, 5)
    op = R.OPS["transpose"]
    k = R.resolve(op, (x,), (("d0", 0), ("d1", 2)))[0]
    before = k.jit._cache_size()
    for i in range(R.HOT_AFTER):
        x.transpose(0, 2)
        assert k.cold[((3, 7, 5),)] == i + 1
        assert k.jit._cache_size() == before  # nothing compiled
    x.transpose(0, 2)
    assert k.jit._cache_size() == before + 1


def test_views_made_on_the_host_follow_their_base():
    base = torch.zeros(4, 6)
    views = [base.view(24), base.t(), base[1:].unsqueeze(0), base.split(2)[1], base.unbind(1)[3],
             base.unsqueeze(0).expand(2, 4, 6)]
    base.add_(torch.arange(24.).view(4, 6))
    ref = np.arange(24.).reshape(4, 6)
    want = [ref.reshape(24), ref.T, ref[1:][None], ref[2:4], ref[:, 3],
            np.broadcast_to(ref, (2, 4, 6))]
    for v, w in zip(views, want):
        assert np.array_equal(v.numpy(), w)
    views[1].mul_(2)  # a write through a view made on the host reaches the base
    assert np.array_equal(base.numpy(), ref * 2)


def test_meta_and_autograd_through_host_kernels():
    m = torch.empty(3, 4, device="meta")
    assert m.t().shape == (4, 3) and m.t().device.type == "meta"
    x = torch.randn(2, 3, requires_grad=True)
    y = x.t().unsqueeze(0).expand(2, 3, 2).reshape(6, 2)
    assert y.grad_fn.name() == "ViewBackward0" or y.grad_fn.name() == "UnsafeViewBackward0"
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), np.full((2, 3), 2.0, np.float32))


def test_host_path_compiles_nothing_for_new_shapes():
    """What the host path hands back to XLA must not compile per shape either (jnp.array
    would: a program per shape)."""
    import collections

    import jax.monitoring as m
    events = collections.Counter()
    m.register_event_duration_secs_listener(lambda ev, d, **kw: events.update([ev]))
    xs = [torch.ones(n, 3, 2) for n in range(50, 58)]  # arrays first: their creation compiles
    before = events["/jax/core/compile/backend_compile_duration"]
    for x in xs:
        x.view(-1)
        x.transpose(0, 2)
        x.split(1, 1)
    assert events["/jax/core/compile/backend_compile_duration"] == before
