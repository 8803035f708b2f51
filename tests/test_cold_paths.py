"""Cold shapes (met fewer than HOT_AFTER times by a kernel) skip compiling, and must give the
compiled kernel's bits, dtype and shape (ops/_registry.py `_cold_run`):
- ops that are one correctly rounded IEEE operation (add, sub, rsub, mul, div, neg, the
  comparisons, where, masked_fill, dtype conversions, integer powers as JAX's products) and the
  data-movement ops (cat, stack, flip, roll, tril, triu, basic indexing, gather, index_select,
  embedding) run in numpy on the host: every dtype pair torch promotes, Python numbers (nan, +-0.0,
  inf among them), broadcasting, 0-d, empty and non-contiguous operands, overflow and division by
  zero;
- elementwise ops (every op registered with elementwise=True) run their kernel on the operand
  padded to a power of two.
(Denormal results are where host and compiled differ: XLA's CPU runtime flushes them to zero,
numpy and torch keep them; no case here makes one.)"""
from __future__ import annotations

import numpy as np
import pytest

import torchlike as torch
from torchlike.ops import _registry as R

R_ = np.random.default_rng(11)
DTYPES = [torch.float32, torch.float64, torch.bfloat16, torch.float16, torch.int64,
          torch.int32, torch.int8, torch.uint8, torch.bool]
# dtype pairs: same dtype, float x float, int x float, int x int, bool
PAIRS = [(torch.float16, torch.float16), (torch.bfloat16, torch.float32),
         (torch.int64, torch.float32), (torch.int8, torch.uint8), (torch.bool, torch.bool),
         (torch.int32, torch.int64), (torch.float64, torch.int8), (torch.bool, torch.float16)]
SPECIAL = [float("nan"), float("inf"), -0.0, 0.0, 3, -2, True, 2.5, 1e30]
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "rsub": lambda a, b: 1.5 - a if b is None else torch.rsub(a, b),
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "ge": lambda a, b: a >= b,
    "ne": lambda a, b: a != b,
    "where": lambda a, b: torch.where(a > 0, a, b),
}
UNARY = {
    "neg": lambda a: -a,
    "masked_fill": lambda a: a.masked_fill(a > 0, 7),
    "masked_fill_t": lambda a: a.masked_fill(a < 0, torch.tensor(-3)),
    "cat": lambda a: torch.cat([a, a.flip(0) if a.ndim else a]) if a.ndim else a,
    "tril": lambda a: a.tril(-1) if a.ndim >= 2 else a,
    "triu": lambda a: a.triu(1) if a.ndim >= 2 else a,
    "basic_index": lambda a: a[None, -1:, ..., ::2] if a.ndim >= 2 else a[...],
    "select": lambda a: a[1] if a.ndim else a[()],
    "embedding": lambda a: torch.nn.functional.embedding(
        torch.tensor([[1, 0], [3, 3]]), a.reshape(-1, 1) if a.ndim < 2 else a)
    if a.numel() >= 4 else a,
    "setitem": lambda a: _written(a),
    "stack": lambda a: torch.stack([a, a * 2], -1),
    "flip": lambda a: a.flip(0, -1) if a.ndim else a.flip(()),
    "roll": lambda a: a.roll(2, 0) if a.ndim else a.roll(1),
    "to_copy": lambda a: torch.stack([a.to(d).to(torch.float64) for d in
                                      (torch.float16, torch.bfloat16, torch.float32,
                                       torch.float64, torch.bool)]) if a.is_floating_point()
    else torch.stack([a.float(), a.to(torch.int8).double(), a.bool().double()]),
    "pow_int": lambda a: torch.stack([a ** 2, a ** 3, a ** -1, a.pow(-2), a ** 4, a.abs() ** 0.5]),
    "gather": lambda a: a.gather(0, torch.zeros((1,) + a.shape[1:], dtype=torch.long)) +
    a[:1] if a.ndim and a.shape[0] else a,
    "index_select": lambda a: a.index_select(-1, torch.tensor([1, 0, 1])) if a.ndim and
    a.shape[-1] >= 2 else a,
}
def _written(a):
    """Basic-index writes of numbers and tensors into a copy of a."""
    b = a.clone()
    if b.ndim:
        b[-1:] = 5
        b[0, ...] = b[-1].clone()
        b[..., ::2] = torch.tensor(2.5).to(b.dtype) if b.dtype.is_floating_point else 1
    else:
        b[...] = 3
    return b


SHAPES = [((), ()), ((0, 3), (3,)), ((4,), ()), ((2, 3), (2, 3)), ((3, 1, 4), (5, 1)),
          ((2, 3), "t")]


def _tensor(shape, dtype):
    if shape == "t":  # a non-contiguous operand
        return _tensor((3, 2), dtype).t()
    a = R_.standard_normal(shape) * 4
    a.flat[::5] = [0.0, -7.5, 1e4][:len(a.flat[::5])] if a.size else []
    return torch.tensor(a).to(dtype)


def _bits(out):
    return out.shape, out.dtype, out.numpy().tobytes()


def _both_paths(fn):
    """fn() on the host (cold), then compiled: HOT_AFTER + 1 calls, all with the same bits."""
    for k in R._kernels.values():
        if k.cold is not None:
            k.cold.clear()
    runs = []
    for _ in range(R.HOT_AFTER + 1):
        try:
            runs.append(_bits(fn()))
        except Exception as e:  # both paths must refuse alike
            runs.append((type(e), str(e)))
    return runs


@pytest.fixture
def hot_after_two(monkeypatch):
    monkeypatch.setattr(R, "HOT_AFTER", 2)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_host_and_compiled_agree(name, hot_after_two):
    fn = BINARY[name]
    cases = [((torch.float32, torch.float32), shapes) for shapes in SHAPES] + [
        (dtypes, ((2, 3), (2, 3))) for dtypes in PAIRS]
    for (da, db), (sa, sb) in cases:
        a, b = _tensor(sa, da), _tensor(sb, db)
        runs = _both_paths(lambda: fn(a, b))
        assert all(r == runs[0] for r in runs), (name, da, db, sa, sb)
    for d in (torch.float32, torch.float16, torch.int64):
        a = _tensor((3, 1, 4), d)
        for s in SPECIAL:
            runs = _both_paths(lambda: fn(a, s))
            assert all(r == runs[0] for r in runs), (name, d, s)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_host_and_compiled_agree(name, hot_after_two):
    fn = UNARY[name]
    every = name in ("to_copy", "pow_int")  # (dtype-dependent: every dtype, fewer shapes)
    for d in DTYPES if every else DTYPES[::2]:
        for shape in [(), (3, 1, 4)] if every else [(), (0, 3), (3, 1, 4), "t"]:
            a = _tensor(shape, d)
            runs = _both_paths(lambda: fn(a))
            assert all(r == runs[0] for r in runs), (name, d, shape)


def test_overflow_and_division_by_zero_agree(hot_after_two):
    cases = [lambda: torch.tensor([100, -100], dtype=torch.int8) * 3,
             lambda: torch.tensor([200], dtype=torch.uint8) + torch.tensor([100],
                                                                         dtype=torch.uint8),
             lambda: torch.tensor([6e4], dtype=torch.float16) * 2,
             lambda: torch.tensor([1.0, -1.0, 0.0]) / 0.0,
             lambda: torch.tensor([1, 0]) / torch.tensor([0, 0])]
    for fn in cases:
        runs = _both_paths(fn)
        assert all(r == runs[0] for r in runs)


def test_autograd_and_meta_through_host_arithmetic():
    m = torch.empty(3, 4, device="meta")
    assert (m * 2 + m).shape == (3, 4) and (m == m).device.type == "meta"
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = ((x * x - 1) / (x + 4)).masked_fill(x < 0, 0.0)
    assert y.grad_fn.name() == "MaskedFillBackward0"
    y.sum().backward()
    want = np.where([1, 0, 1], (2 * np.array([1, -2, 3.]) * np.array([5, 2, 7.]) -
                                (np.array([1, 4, 9.]) - 1)) / np.array([5, 2, 7.]) ** 2, 0)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6)


def _flat_ops():
    """(name, call) for every op registered with elementwise=True."""
    F = torch.nn.functional
    calls = {"gelu": lambda a: F.gelu(a) + F.gelu(a, approximate="tanh"),
             "threshold": lambda a: F.threshold(a, 0.5, -2.0),
             "hardtanh": lambda a: F.hardtanh(a, -0.5, 0.7), "log_sigmoid": F.logsigmoid}
    out = []
    for name, o in sorted(R.OPS.items()):
        if not o.elementwise:
            continue
        fn = calls.get(name) or getattr(F, name, None) or getattr(torch, name)
        out.append((name, fn))
    return out


def test_every_flat_op_is_covered():
    names = [n for n, _ in _flat_ops()]
    assert {"exp", "tanh", "gelu", "relu", "silu", "leaky_relu", "floor"} <= set(names)


@pytest.mark.parametrize("name,fn", _flat_ops(), ids=[n for n, _ in _flat_ops()])
def test_padded_elementwise_kernels_agree(name, fn, hot_after_two):
    cases = [(torch.float32, (2, 3, 11)), (torch.float32, "t")]
    if name in ("exp", "tanh", "gelu", "relu", "leaky_relu", "erfinv", "sigmoid"):
        cases += [(torch.float32, ()), (torch.float32, (3, 7)), (torch.float64, (5,)),
                  (torch.float16, (5,)), (torch.bfloat16, (5,))]
    for dtype, shape in cases:
        a = _tensor(shape, dtype)
        runs = _both_paths(lambda: fn(a))
        assert all(r == runs[0] for r in runs), (name, dtype, shape)


def test_padded_kernels_compile_per_bucket_not_per_shape(hot_after_two):
    import collections

    import jax.monitoring as m
    events = collections.Counter()
    m.register_event_duration_secs_listener(lambda ev, d, **kw: events.update([ev]))
    xs = [torch.randn(n, 3) for n in range(11, 21)]  # 33 to 60 elements: one bucket
    xs[0].exp()
    before = events["/jax/core/compile/backend_compile_duration"]
    for x in xs[1:]:
        x.exp()
        torch.nn.functional.gelu(x)
    assert events["/jax/core/compile/backend_compile_duration"] - before <= 1  # gelu's bucket


def test_a_kernel_meeting_only_hot_shapes_stops_checking_until_a_new_shape(monkeypatch):
    monkeypatch.setattr(R, "HOT_AFTER", 2)
    monkeypatch.setattr(R, "RETIRE_AFTER", 5)
    a = torch.ones(3, 5)
    a * 3.5
    k = next(k for k in R._kernels.values() if k.op.name == "mul" and k.cold is not None
             and ((3, 5), ()) in k.cold)
    for _ in range(R.HOT_AFTER + R.RETIRE_AFTER):
        a * 3.5
    assert k.cold is None and k.retired  # the hot path no longer looks up shapes
    b = torch.ones(4, 5)
    want = (b * 3.5).numpy().tobytes()  # a new shape compiles, and the kernel looks again
    assert k.cold == {} and not k.retired
    c = torch.ones(6, 5)
    assert (c * 3.5)[:4].numpy().tobytes() == want and ((6, 5), ()) in k.cold


def test_arrays_made_on_the_host_compile_nothing():
    """Fills, nonzero's indices, a collated batch: numpy arrays handed to XLA by upload, not
    jnp.asarray (which compiles a program per shape and dtype)."""
    import collections

    import jax.monitoring as m

    from torchlike.utils.data import default_collate
    events = collections.Counter()
    m.register_event_duration_secs_listener(lambda ev, d, **kw: events.update([ev]))
    xs = [torch.ones(n, 3) for n in range(40, 46)]
    before = events["/jax/core/compile/backend_compile_duration"]
    for n, x in enumerate(xs):
        torch.zeros(n + 90, 2)
        torch.full((n + 90, 3), 7)
        x.nonzero()
        default_collate([np.arange(n + 30), np.arange(n + 30)])
    assert events["/jax/core/compile/backend_compile_duration"] == before
