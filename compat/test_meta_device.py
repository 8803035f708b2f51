"""The meta device against real torch: factories, ops (shapes, dtypes, strides, reprs, grad_fn
names), backward, errors, the default-device context, modules built on meta then moved with
to_empty and loaded, and a 96 TiB meta tensor that allocates nothing."""
from __future__ import annotations

import copy
import pickle
import time
import warnings

import numpy as np
import pytest
import torch

import torchlike

LIBS = (torch, torchlike)


def describe(x):
    """What a meta tensor (or a tuple of them) shows: repr, shape, strides, dtype, device,
    autograd state. (Shape errors are not compared: torch's meta kernels word them unlike its
    CPU kernels, whose wording torchlike gives on every device.)"""
    if isinstance(x, (tuple, list)):
        return [describe(v) for v in x]
    if isinstance(x, (torch.device, torchlike.device)):
        return repr(x)
    if not isinstance(x, (torch.Tensor, torchlike.Tensor)):
        return x
    fn = None if x.grad_fn is None else type(x.grad_fn).__name__
    return (repr(x), tuple(x.shape), x.stride(), str(x.dtype), str(x.device), x.is_meta,
            x.requires_grad, x.is_leaf, fn)


def outcome(fn, lib):
    try:
        return describe(fn(lib))
    except Exception as e:  # noqa: BLE001 - whatever torch raises is compared
        return (type(e), str(e))


def same(fn):
    want, got = outcome(fn, torch), outcome(fn, torchlike)
    assert got == want, f"\ntorchlike: {got}\ntorch:     {want}"


def meta(L, *shape, **kw):
    return L.empty(*shape, device="meta", **kw)


FACTORIES = {
    "empty": lambda L: L.empty(2, 3, device="meta"),
    "empty_int": lambda L: L.empty(2, 3, device="meta", dtype=L.int64),
    "empty_f64": lambda L: L.empty(2, 3, device="meta", dtype=L.float64),
    "empty_f16": lambda L: L.empty(2, device="meta", dtype=L.float16),
    "empty_bool": lambda L: L.empty(2, device="meta", dtype=L.bool),
    "empty_c64": lambda L: L.empty(2, device="meta", dtype=L.complex64),
    "empty_0": lambda L: L.empty(0, device="meta"),
    "empty_0d": lambda L: L.empty((), device="meta"),
    "empty_rg": lambda L: L.empty(2, 3, device="meta", requires_grad=True),
    "zeros": lambda L: L.zeros(4, 5, device="meta"),
    "ones": lambda L: L.ones(4, device=L.device("meta")),
    "full": lambda L: L.full((2,), 3, device="meta"),
    "full_unchecked": lambda L: L.full((2,), 300, dtype=L.uint8, device="meta"),
    "rand": lambda L: L.rand(2 ** 10, 3, 2 ** 16, 2 ** 16, device="meta"),
    "rand_int_dtype": lambda L: L.rand(2, dtype=L.int64, device="meta"),
    "randn": lambda L: L.randn(3, 4, device="meta"),
    "randn_int_dtype": lambda L: L.randn(2, dtype=L.int64, device="meta"),
    "randint": lambda L: L.randint(0, 10, (2, 3), device="meta"),
    "randint_unchecked": lambda L: L.randint(0, 300, (2,), dtype=L.uint8, device="meta"),
    "randint_empty_range": lambda L: L.randint(5, 5, (3,), device="meta"),
    "randperm": lambda L: L.randperm(7, device="meta"),
    "arange": lambda L: L.arange(10, device="meta"),
    "arange_float": lambda L: L.arange(0, 1, 0.25, device="meta"),
    "linspace": lambda L: L.linspace(0, 1, 5, device="meta"),
    "logspace": lambda L: L.logspace(0, 1, 5, device="meta"),
    "eye": lambda L: L.eye(3, 4, device="meta"),
    "tensor": lambda L: L.tensor([[1, 2], [3, 4]], device="meta"),
    "tensor_float": lambda L: L.tensor([1.0, 2.0], device="meta", requires_grad=True),
    "tensor_0d": lambda L: L.tensor(5.0, device="meta"),
    "tensor_empty": lambda L: L.tensor([], device="meta"),
    "scalar_tensor": lambda L: L.scalar_tensor(3, device="meta"),
    "as_tensor_numpy": lambda L: L.as_tensor(np.ones(3), device="meta"),
    "as_tensor_tensor": lambda L: L.as_tensor(L.ones(3), device="meta"),
    "zeros_like_cpu_to_meta": lambda L: L.zeros_like(L.ones(2, 3), device="meta"),
    "ones_like_meta": lambda L: L.ones_like(meta(L, 2, 3)),
    "empty_like_meta": lambda L: L.empty_like(meta(L, 2, 3, dtype=L.float64)),
    "full_like_meta": lambda L: L.full_like(meta(L, 2), 7),
    "rand_like_meta": lambda L: L.rand_like(meta(L, 2, 3)),
    "randn_like_meta": lambda L: L.randn_like(meta(L, 2, 3)),
    "randint_like_meta": lambda L: L.randint_like(meta(L, 2, 3), 5),
    "empty_like_meta_to_cpu": lambda L: L.empty_like(meta(L, 2, 3), device="cpu").shape,
    "new_zeros_from_meta": lambda L: meta(L, 2).new_zeros(3),
    "new_ones_from_meta": lambda L: meta(L, 2).new_ones(3, dtype=L.int32),
    "new_empty_from_meta": lambda L: meta(L, 2).new_empty((2, 2)),
    "new_full_from_meta": lambda L: meta(L, 2).new_full((2,), 1.5),
    "new_tensor_from_meta": lambda L: meta(L, 2).new_tensor([1, 2]),
    "new_zeros_to_meta": lambda L: L.ones(3).new_zeros(2, device="meta"),
    "normal_floats": lambda L: L.normal(0.0, 1.0, (2, 3), device="meta"),
    "negative_size": lambda L: L.empty(-1, device="meta"),
    "zeros_negative_size": lambda L: L.zeros(-1, device="meta"),
    "storage_overflow": lambda L: L.empty(2 ** 62, 4, device="meta"),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factory(name):
    same(FACTORIES[name])


DRAWS = {
    "rand": lambda L: L.rand(5, device="meta"),
    "randn": lambda L: L.randn(5, device="meta"),
    "randint": lambda L: L.randint(0, 10, (5,), device="meta"),
    "randperm": lambda L: L.randperm(10, device="meta"),
    "rand_like": lambda L: L.rand_like(meta(L, 5)),
    "uniform_": lambda L: meta(L, 5).uniform_(),
    "normal_": lambda L: meta(L, 5).normal_(),
    "random_": lambda L: meta(L, 5, dtype=L.int64).random_(0, 10),
    "bernoulli_": lambda L: meta(L, 5).bernoulli_(0.5),
    "exponential_": lambda L: meta(L, 5).exponential_(),
    "init_kaiming": lambda L: L.nn.init.kaiming_uniform_(meta(L, 4, 3)),
    "init_normal": lambda L: L.nn.init.normal_(meta(L, 4, 3)),
    "init_trunc_normal": lambda L: L.nn.init.trunc_normal_(meta(L, 4, 3)),
    "init_orthogonal": lambda L: L.nn.init.orthogonal_(meta(L, 4, 3)),
    "init_xavier": lambda L: L.nn.init.xavier_normal_(meta(L, 4, 3)),
}


def _moves_generator(L, fn) -> bool:
    L.manual_seed(7)
    a = L.rand(4)
    L.manual_seed(7)
    out = fn(L)
    assert out.is_meta
    return not L.equal(L.rand(4), a)


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_meta_draws_nothing(name):
    fn = DRAWS[name]
    assert _moves_generator(torchlike, fn) == _moves_generator(torch, fn)


OPS = {
    "add": lambda L: meta(L, 2, 3) + meta(L, 3),
    "add_scalar": lambda L: meta(L, 2, 3) * 2 + 1,
    "add_int_float": lambda L: meta(L, 2, dtype=L.int64) + meta(L, 2),
    "add_cpu_scalar": lambda L: meta(L, 2) + L.ones(()),
    "cpu_scalar_add": lambda L: L.ones(()) + meta(L, 2),
    "mixed_devices": lambda L: meta(L, 2) + L.ones(2),
    "mixed_devices_cpu_first": lambda L: L.ones(2) + meta(L, 2),
    "matmul": lambda L: meta(L, 4, 3) @ meta(L, 3, 5),
    "bmm": lambda L: L.bmm(meta(L, 2, 4, 3), meta(L, 2, 3, 5)),
    "sum": lambda L: meta(L, 2, 3).sum(),
    "sum_dim": lambda L: meta(L, 2, 3).sum(1, keepdim=True),
    "max_dim": lambda L: meta(L, 2, 3).max(0),
    "argmax": lambda L: meta(L, 2, 3).argmax(1),
    "eq": lambda L: meta(L, 2) == meta(L, 2),
    "where": lambda L: L.where(meta(L, 2, dtype=L.bool), meta(L, 2), 0.0),
    "softmax": lambda L: L.softmax(meta(L, 4, 3), -1),
    "relu": lambda L: L.relu(meta(L, 4, 3)),
    "exp_half": lambda L: meta(L, 4, dtype=L.float16).exp(),
    "to_dtype": lambda L: meta(L, 4, 3).sum(0).to(L.float64),
    "to_meta_is_meta": lambda L: meta(L, 2).to("meta"),
    "cpu_to_meta": lambda L: L.ones(2, 3).to("meta"),
    "cpu_to_meta_f64": lambda L: L.ones(2).to(device="meta", dtype=L.float64),
    "view": lambda L: meta(L, 4, 3).view(12),
    "view_error": lambda L: meta(L, 4, 3).t().view(12),
    "reshape_of_t": lambda L: meta(L, 4, 3).t().reshape(12),
    "transpose": lambda L: meta(L, 2, 3, 4).transpose(0, 2),
    "permute": lambda L: meta(L, 2, 3, 4).permute(2, 0, 1),
    "contiguous": lambda L: meta(L, 2, 3).t().contiguous(),
    "expand": lambda L: meta(L, 2, 3).expand(4, 2, 3),
    "unsqueeze": lambda L: meta(L, 2, 3).unsqueeze(1),
    "index": lambda L: meta(L, 2, 3)[0],
    "slice": lambda L: meta(L, 4, 6)[1:, ::2],
    "narrow": lambda L: meta(L, 4, 6).narrow(1, 2, 3),
    "index_tensor": lambda L: meta(L, 4, 3)[L.tensor([0, 2])],
    "cat": lambda L: L.cat([meta(L, 2, 3), meta(L, 4, 3)]),
    "stack": lambda L: L.stack([meta(L, 2, 3), meta(L, 2, 3)], 1),
    "unbind": lambda L: meta(L, 2, 3).unbind(0),
    "split": lambda L: meta(L, 5, 3).split(2),
    "clone": lambda L: meta(L, 2, 3).clone(),
    "detach": lambda L: meta(L, 2, 3, requires_grad=True).detach(),
    "data": lambda L: meta(L, 2, 3, requires_grad=True).data,
    "add_": lambda L: meta(L, 2).add_(1),
    "mul_by_cpu_scalar_": lambda L: meta(L, 2).mul_(L.tensor(2.0)),
    "zero_": lambda L: meta(L, 2, 3).zero_(),
    "fill_": lambda L: meta(L, 2, 3).fill_(2),
    "fill_unchecked": lambda L: meta(L, 2, dtype=L.uint8).fill_(300),
    "copy_from_cpu": lambda L: meta(L, 2).copy_(L.ones(2)),
    "copy_to_cpu": lambda L: L.ones(2).copy_(meta(L, 2)),
    "uniform_": lambda L: meta(L, 2, 3).uniform_(),
    "linear": lambda L: L.nn.functional.linear(meta(L, 4, 3, requires_grad=True),
                                               meta(L, 5, 3, requires_grad=True),
                                               meta(L, 5, requires_grad=True)),
    "linear_no_bias": lambda L: L.nn.functional.linear(meta(L, 4, 3),
                                                       meta(L, 5, 3, requires_grad=True)),
    "mse": lambda L: L.nn.functional.mse_loss(meta(L, 4, 3, requires_grad=True),
                                              meta(L, 4, 3)),
    "grad_mul": lambda L: meta(L, 2, 3, requires_grad=True) * 2,
    "grad_sum": lambda L: (meta(L, 2, 3, requires_grad=True) * 2).sum(),
    "grad_f64": lambda L: meta(L, 2, 3, dtype=L.float64, requires_grad=True) * 2,
    "grad_t": lambda L: meta(L, 2, 3, requires_grad=True).t(),
    "grad_max": lambda L: meta(L, 2, 3, requires_grad=True).max(1),
    "grad_to_meta": lambda L: L.ones(2, requires_grad=True).to("meta"),
    "grad_to_f64": lambda L: meta(L, 4, 3, requires_grad=True).to(L.float64),
    "inplace_view_of_leaf": lambda L: meta(L, 2, 3, requires_grad=True)[0].add_(1),
    "no_grad": lambda L: _no_grad(L),
}


def _no_grad(L):
    x = meta(L, 2, requires_grad=True)
    with L.no_grad():
        return x * 2


@pytest.mark.parametrize("name", sorted(OPS))
def test_op(name):
    same(OPS[name])


def test_inplace_on_a_view_rebases_the_base():
    def fn(L):
        x = meta(L, 2, 3, requires_grad=True).clone()
        v = x[0]
        w = v.mul_(2)
        return x, v, w
    same(fn)


READS = {
    "item": lambda L: meta(L, 1).item(),
    "tolist": lambda L: meta(L, 2).tolist(),
    "numpy": lambda L: meta(L, 2).numpy(),
    "np_asarray": lambda L: np.asarray(meta(L, 2)),
    "bool": lambda L: bool(meta(L, 1)),
    "float": lambda L: float(meta(L, ())),
    "int": lambda L: int(meta(L, (), dtype=L.int64)),
    "index_float": lambda L: meta(L, ()).__index__(),
    "index_int": lambda L: [1, 2, 3][meta(L, (), dtype=L.int64)],
    "format_spec": lambda L: format(meta(L, ()), ".2f"),
    "format_plain": lambda L: f"{meta(L, 2)}",
    "str": lambda L: str(meta(L, 2, dtype=L.int32)),
    "to_cpu": lambda L: meta(L, 2).to("cpu"),
    "cpu": lambda L: meta(L, 2).cpu(),
    "to_cpu_tensor": lambda L: meta(L, 2).to(L.ones(2)),
    "to_device_kw": lambda L: meta(L, 2).to(device="cpu"),
    "sum_item": lambda L: meta(L, 2).sum().item(),
    "len": lambda L: len(meta(L, 4, 2)),
    "iter": lambda L: list(meta(L, 2, 3)),
    "numel": lambda L: meta(L, 2, 3).numel(),
    "element_size": lambda L: meta(L, 2, 3, dtype=L.float64).element_size(),
    "is_contiguous": lambda L: meta(L, 2, 3).t().is_contiguous(),
    "is_cpu": lambda L: meta(L, 2).is_cpu,
    "device_eq": lambda L: meta(L, 2).device == L.device("meta"),
    "deepcopy": lambda L: copy.deepcopy(meta(L, 2, 3)),
}


@pytest.mark.parametrize("name", sorted(READS))
def test_read(name):
    same(READS[name])


@pytest.mark.parametrize("name", ["nonzero", "masked_select", "unique"])
def test_value_reading_ops_refuse(name):
    """Ops whose result depends on values raise NotImplementedError, as torch's (whose message
    names the op and its missing meta kernel; torchlike's is torch's "no data" message)."""
    fns = {"nonzero": lambda L: meta(L, 2).nonzero(),
           "masked_select": lambda L: L.masked_select(meta(L, 2), meta(L, 2, dtype=L.bool)),
           "unique": lambda L: meta(L, 2).unique()}
    for L in LIBS:
        with pytest.raises(NotImplementedError):
            fns[name](L)


def test_pickle_round_trip():
    x = meta(torchlike, 2, 3, dtype=torchlike.int32)
    assert describe(pickle.loads(pickle.dumps(x))) == describe(meta(torch, 2, 3,
                                                                    dtype=torch.int32))


def test_default_dtype_float64_reprs():
    for L in LIBS:
        L.set_default_dtype(L.float64)
    try:
        same(lambda L: (meta(L, 2), meta(L, 2, dtype=L.float32), meta(L, 2, dtype=L.complex128)))
    finally:
        for L in LIBS:
            L.set_default_dtype(L.float32)


def test_parameter_repr():
    same(lambda L: repr(L.nn.Parameter(meta(L, 2, 3))))


# ---- backward ------------------------------------------------------------------------------
def test_backward_gives_meta_leaf_grads():
    def fn(L):
        x = meta(L, 2, 3, requires_grad=True)
        w = meta(L, 3, 4, requires_grad=True)
        y = (x @ w).relu()
        y.retain_grad()
        y.sum().backward()
        return x.grad, w.grad, y.grad
    same(fn)


def test_backward_hooks_see_meta_grads():
    def fn(L):
        seen = []
        x = meta(L, 2, requires_grad=True)
        x.register_hook(lambda g: seen.append(describe(g)))
        (x * 3).sum().backward()
        return seen
    same(fn)


def test_backward_twice_accumulates():
    def fn(L):
        x = meta(L, 2, 3, requires_grad=True)
        (x * 2).sum().backward()
        (x.exp() * 2).sum().backward()
        return x.grad
    same(fn)


def test_autograd_grad():
    def fn(L):
        x, w = meta(L, 2, 3, requires_grad=True), meta(L, 3, 4, requires_grad=True)
        return L.autograd.grad((x @ w).relu().sum(), [x, w])
    same(fn)


BACKWARD_ERRORS = {
    "through_copy_to_meta": lambda L: L.ones(2, requires_grad=True).to("meta").sum().backward(),
    "grad_through_copy_to_meta": lambda L: _grad_through_copy(L),
    "no_grad_fn": lambda L: meta(L, 2, 3).sum(0).backward(),
    "non_scalar": lambda L: (meta(L, 2, 3, requires_grad=True) * 2).backward(),
    "cpu_gradient": lambda L: meta(L, 2, 3, requires_grad=True).sum(0).backward(L.ones(3)),
    "twice": lambda L: _twice(L),
    "meta_gradient": lambda L: meta(L, 2, 3, requires_grad=True).sum(0).backward(meta(L, 3)),
}


def _grad_through_copy(L):
    x = L.ones(2, requires_grad=True)
    return L.autograd.grad(x.to("meta").sum(), x)


def _twice(L):
    y = meta(L, 2, requires_grad=True).exp().sum()
    y.backward()
    y.backward()


@pytest.mark.parametrize("name", sorted(BACKWARD_ERRORS))
def test_backward_errors(name):
    same(BACKWARD_ERRORS[name])


# ---- the default device ----------------------------------------------------------------------
def test_device_context():
    def fn(L):
        out = []
        with L.device("meta"):
            out += [L.ones(2), L.tensor([1.0]), L.arange(3), L.randn(2), L.scalar_tensor(3),
                    L.ones(2, device="cpu"), L.get_default_device(),
                    L.as_tensor(np.ones(2)), L.from_numpy(np.ones(2)), L.Tensor(2, 3).shape,
                    L.Tensor([1.0, 2.0]), L.Tensor(), L.ones(2, device="cpu") + 1,
                    L.zeros(0, device="cpu"), L.arange(3, device="cpu"), L.eye(2, device="cpu"),
                    L.full((2,), 1.5, device="cpu"), L.linspace(0, 1, 3, device="cpu"),
                    L.rand(2, device="cpu").shape, L.randint(3, (2,), device="cpu").shape,
                    L.tensor([1, 2], device="cpu")]
            with L.device("cpu"):
                out += [L.ones(2), L.get_default_device()]
            out.append(L.zeros(1))
        out += [L.ones(2), L.get_default_device()]
        return out
    same(fn)


def test_device_context_reentrant():
    def fn(L):
        d = L.device("meta")
        with d:
            with d:
                pass
            inner = L.ones(2)
        return inner, L.ones(2)
    same(fn)


def test_set_default_device():
    def fn(L):
        try:
            L.set_default_device("meta")
            out = [L.ones(2), L.get_default_device(), L.ones(2, device="cpu")]
            with L.device("cpu"):
                out.append(L.zeros(2))
            out.append(L.zeros(2))
        finally:
            L.set_default_device(None)
        return out + [L.ones(2), L.get_default_device()]
    same(fn)


# ---- modules ---------------------------------------------------------------------------------
def _net(L):
    class Net(L.nn.Module):
        def __init__(self, device=None):
            super().__init__()
            self.w = L.nn.Parameter(L.empty(4, 3, device=device))
            self.b = L.nn.Parameter(L.empty(4, device=device))
            self.register_buffer("scale", L.ones(4, device=device))
            L.nn.init.kaiming_uniform_(self.w)
            L.nn.init.zeros_(self.b)

        def forward(self, x):
            return (x @ self.w.t() + self.b) * self.scale
    return Net


def test_module_on_meta_then_to_empty_and_load():
    """The build-on-meta, load-weights idiom: the same outputs as torch's for the same
    weights."""
    weights = {"w": np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32),
               "b": np.arange(4, dtype=np.float32), "scale": np.full(4, 2, np.float32)}
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    outs = []
    for L in LIBS:
        net = _net(L)(device="meta")
        assert all(p.is_meta for p in net.parameters()) and net.scale.is_meta
        assert describe(net.w) == describe(_net(torch)(device="meta").w)
        net.to_empty(device="cpu")
        assert [str(p.device) for p in net.parameters()] == ["cpu", "cpu"]
        result = net.load_state_dict({k: L.tensor(v) for k, v in weights.items()})
        assert not result.missing_keys and not result.unexpected_keys
        y = net(L.tensor(x))
        y.sum().backward()
        outs.append((y.detach().numpy(), net.w.grad.numpy(), repr(y.grad_fn.name())))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[1][1], outs[0][1], rtol=1e-5, atol=1e-6)
    assert outs[1][2] == outs[0][2]


def test_module_forward_on_meta():
    same(lambda L: _net(L)(device="meta")(meta(L, 5, 3)))


def test_module_to_cpu_from_meta_refused():
    same(lambda L: _net(L)(device="meta").to("cpu"))


def test_module_to_meta():
    same(lambda L: list(_net(L)().to("meta").parameters()))


def test_module_built_in_device_context():
    def fn(L):
        with L.device("meta"):
            net = _net(L)()
        return [net.w, net.b, net.scale]
    same(fn)


def test_linear_on_meta():
    def fn(L):
        big = L.nn.Linear(10 ** 5, 10 ** 5, device="meta")
        with L.device("meta"):
            seq = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.LayerNorm(4), L.nn.Embedding(5, 2))
        return [big.weight, big.bias] + list(seq.parameters())
    same(fn)


def test_layers_with_buffers_and_states_on_meta():
    def fn(L):
        with L.device("meta"):
            bn = L.nn.BatchNorm1d(4)
            lstm = L.nn.LSTM(3, 5, batch_first=True)
        x = L.empty(2, 7, 3, device="meta")
        out, (h, c) = lstm(x)
        return [bn.num_batches_tracked, bn.running_mean, out, h, c]
    same(fn)


# ---- nothing is allocated ------------------------------------------------------------------
def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_96_tib_meta_tensor_is_fast_and_allocates_nothing():
    def ops(L):
        x = L.rand(2 ** 10, 3, 2 ** 16, 2 ** 16, device="meta", requires_grad=True)
        y = (x * 2 + 1).exp().sum(1)
        z = y.transpose(0, 2)[:, :10].mean()
        z.backward()
        return x, y, z, x.grad, x.to(L.float16), L.zeros_like(x)
    ops(torchlike)  # compile once
    before, start = _rss(), time.perf_counter()
    got = ops(torchlike)
    elapsed, grown = time.perf_counter() - start, _rss() - before
    assert describe(got) == describe(ops(torch))
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert grown < 64 << 20, f"RSS grew by {grown >> 20} MiB"


def test_meta_copy_of_a_cpu_tensor_keeps_grad_chain():
    def fn(L):
        x = L.ones(2, requires_grad=True)
        m = meta(L, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.copy_(x)
        return m
    same(fn)


# ---- the differences the README lists: each checked, so a change on either side shows -------
HOST_SIDE = {
    "topk": lambda L: meta(L, 5).topk(2),
    "cross_entropy": lambda L: L.nn.functional.cross_entropy(
        meta(L, 3, 4), meta(L, 3, dtype=L.int64)),
    "embedding": lambda L: L.nn.functional.embedding(meta(L, 3, dtype=L.int64), meta(L, 5, 2)),
    "linalg_inv": lambda L: L.linalg.inv(meta(L, 3, 3)),
    "dropout": lambda L: L.nn.functional.dropout(meta(L, 4), 0.5),
    "bernoulli": lambda L: L.bernoulli(meta(L, 4)),
    "multinomial": lambda L: L.multinomial(meta(L, 4), 2),
}


@pytest.mark.parametrize("name", sorted(HOST_SIDE))
def test_host_side_ops_refuse_on_meta(name):
    """torch computes these on meta (a shape from its meta kernel, or its own error); torchlike
    runs them on the host and refuses loudly with torch's "no data" message, never a wrong
    shape."""
    want = outcome(HOST_SIDE[name], torch)
    assert not (isinstance(want, tuple) and want and want[0] is NotImplementedError), want
    with pytest.raises(NotImplementedError, match="Cannot copy out of meta tensor; no data!"):
        HOST_SIDE[name](torchlike)


@pytest.mark.parametrize("fn", [lambda L: meta(L, 2).uniform_(1.0, 0.0),
                                lambda L: meta(L, 2).random_(5, 2)])
def test_empty_range_draws_raise_on_meta(fn):
    """torch's meta kernels skip the range check its CPU kernels make; torchlike checks on
    every device (the CPU error)."""
    assert fn(torch).is_meta
    with pytest.raises(RuntimeError, match="expects"):
        fn(torchlike)


@pytest.mark.parametrize("assign", [False, True])
def test_load_state_dict_into_meta_parameters(assign):
    """Copying into a meta parameter is a no-op with torch's warning; assign=True puts the
    checkpoint's tensors in."""
    weights = {"weight": np.ones((2, 3), np.float32), "bias": np.zeros(2, np.float32)}
    seen = []
    for L in LIBS:
        net = L.nn.Linear(3, 2, device="meta")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            net.load_state_dict({k: L.tensor(v) for k, v in weights.items()}, assign=assign)
        seen.append(([str(w.message) for w in caught], describe(net.weight), describe(net.bias),
                     net.weight._version))
    assert seen[1] == seen[0]
