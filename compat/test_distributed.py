"""torch.distributed with a one-process group, DataParallel, DistributedDataParallel and
DistributedSampler, compared with torch's gloo group of world_size 1 in this process."""
from __future__ import annotations

import socket

import numpy as np
import pytest
import torch
from _helper import assert_same, assert_same_error, check, check_raises

import torchlike

LIBS = (torch, torchlike)


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


@pytest.fixture
def env(monkeypatch):
    """A rendezvous environment for world_size 1; both default groups destroyed after."""
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", _free_port())
    yield monkeypatch
    for lib in LIBS:
        if lib.distributed.is_initialized():
            lib.distributed.destroy_process_group()


@pytest.fixture
def groups(env):
    for lib in LIBS:
        lib.distributed.init_process_group("gloo", world_size=1, rank=0)
    return env


def _both(fn):
    """fn(lib) under torch and torchlike, compared."""
    assert_same(fn(torch), fn(torchlike))


def test_available_and_errors_before_init(env):
    _both(lambda L: (L.distributed.is_available(), L.distributed.is_initialized()))
    for call in (lambda d: d.get_rank(), lambda d: d.get_world_size(), lambda d: d.get_backend(),
                 lambda d: d.barrier(), lambda d: d.new_group(),
                 lambda d: d.destroy_process_group()):
        check_raises(lambda L, call=call: call(L.distributed))
    check_raises(lambda L: L.distributed.all_reduce(L.ones(2)))
    check_raises(lambda L: L.nn.parallel.DistributedDataParallel(L.nn.Linear(2, 2)))
    check_raises(lambda L: L.utils.data.DistributedSampler(range(4)))


@pytest.mark.parametrize("missing", ["MASTER_ADDR", "MASTER_PORT"])
def test_env_rendezvous_errors(env, missing):
    env.delenv(missing)
    check_raises(lambda L: L.distributed.init_process_group("gloo", world_size=1, rank=0))


def test_rendezvous_argument_errors(env):
    d = "distributed"
    check_raises(lambda L: getattr(L, d).init_process_group("gloo"))  # RANK
    check_raises(lambda L: getattr(L, d).init_process_group("gloo", rank=0))  # WORLD_SIZE
    check_raises(lambda L: getattr(L, d).init_process_group(
        "gloo", init_method="tcp://127.0.0.1:1"))
    check_raises(lambda L: getattr(L, d).init_process_group("nccl", world_size=1, rank=0))


@pytest.mark.parametrize("how", ["args", "env", "tcp"])
def test_init_forms_and_queries(env, how):
    if how == "env":
        env.setenv("RANK", "0")
        env.setenv("WORLD_SIZE", "1")
    for L in LIBS:
        if how == "args":
            L.distributed.init_process_group("gloo", init_method=None, world_size=1, rank=0)
        elif how == "env":
            L.distributed.init_process_group(backend="gloo", init_method="env://")
        else:
            L.distributed.init_process_group(
                "gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", world_size=1, rank=0)
    _both(lambda L: (L.distributed.is_initialized(), L.distributed.get_rank(),
                     L.distributed.get_world_size(), str(L.distributed.get_backend())))
    check_raises(lambda L: L.distributed.init_process_group("gloo", world_size=1, rank=0))
    for L in LIBS:
        L.distributed.destroy_process_group()
    _both(lambda L: (L.distributed.is_initialized(), L.distributed.group.WORLD is None))


def test_more_than_one_process_is_not_implemented(env):
    with pytest.raises(NotImplementedError, match="more than one process.*world_size=2"):
        torchlike.distributed.init_process_group("gloo", world_size=2, rank=0)
    assert not torchlike.distributed.is_initialized()


def test_reduce_op_members(groups):
    names = ["SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "PREMUL_SUM"]
    _both(lambda L: [(repr(getattr(L.distributed.ReduceOp, n)),
                      str(getattr(L.distributed.ReduceOp, n)),
                      int(getattr(L.distributed.ReduceOp, n))) for n in names])


def _inplace(op):
    """op(dist, tensors...) in place; returns the tensors it wrote and what op returned."""
    def fn(L, *ts):
        ts = [t.clone() for t in ts]
        res = op(L.distributed, *ts)
        return ts, res is None
    return fn


X = np.arange(6, dtype=np.float32).reshape(2, 3)
Z = np.zeros((2, 3), dtype=np.float32)


@pytest.mark.parametrize("op", ["SUM", "AVG", "PRODUCT", "MIN", "MAX"])
def test_all_reduce_identity_in_place(groups, op):
    check(_inplace(lambda d, t: d.all_reduce(t, op=getattr(d.ReduceOp, op))), X, grad=False)


def test_collectives(groups):
    check(_inplace(lambda d, t: d.all_reduce(t)), np.arange(4, dtype=np.int64), grad=False)
    check(_inplace(lambda d, t: d.broadcast(t, src=0)), X, grad=False)
    check(_inplace(lambda d, t, o: d.all_gather([o], t)), X, Z, grad=False)
    check(_inplace(lambda d, t, o: d.all_gather_into_tensor(o, t)), X, Z, grad=False)
    check(_inplace(lambda d, o, t: d.reduce_scatter_tensor(o, t)), Z, X, grad=False)
    check(_inplace(lambda d, t, o: d.gather(t, [o], dst=0)), X, Z, grad=False)
    check(_inplace(lambda d, o, t: d.scatter(o, [t], src=0)), Z, X, grad=False)
    check(_inplace(lambda d, t: d.reduce(t, 0)), X, grad=False)
    check(_inplace(lambda d, t: d.barrier()), X, grad=False)
    _both(lambda L: [L.distributed.all_reduce(L.ones(2), async_op=True).wait(),
                     L.distributed.barrier(async_op=True).wait()])


def test_collective_errors(groups):
    check_raises(lambda L: L.distributed.broadcast(L.zeros(4), src=1))
    check_raises(lambda L: L.distributed.all_gather([L.zeros(4), L.zeros(4)], L.zeros(4)))
    check_raises(lambda L: L.distributed.all_gather([L.zeros(3)], L.zeros(4)))
    check_raises(lambda L: L.distributed.all_gather_into_tensor(L.zeros(2, 3), L.zeros(3, 2)))
    check_raises(lambda L: L.distributed.gather(L.zeros(4), None, dst=0))
    check_raises(lambda L: L.distributed.gather(L.zeros(4), [L.zeros(3)], dst=0))
    check_raises(lambda L: L.distributed.scatter(L.zeros(4), None, src=0))
    check_raises(lambda L: L.distributed.scatter(L.zeros(4), [L.zeros(3)], src=0))
    # torch's message here is a glog line with a timestamp: the type only
    check_raises(lambda L: L.distributed.reduce_scatter_tensor(L.zeros(2), L.zeros(4)),
                 message=False)
    check_raises(lambda L: L.distributed.new_group([0, 1]))


def test_new_group(groups):
    _both(lambda L: [(L.distributed.get_rank(g), L.distributed.get_world_size(g),
                      str(L.distributed.get_backend(g)))
                     for g in (L.distributed.new_group(), L.distributed.new_group([0]),
                               L.distributed.group.WORLD)])
    _both(lambda L: (L.distributed.get_process_group_ranks(L.distributed.group.WORLD),
                     L.distributed.GroupMember.WORLD is L.distributed.group.WORLD))


def _model(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2))


def _train(L, wrap, steps=2):
    """Wrapped and bare model from the same seed: outputs, state_dict, both models' gradients
    and the wrapper's repr."""
    net = wrap(L, _model(L))
    bare = _model(L)
    x = L.tensor(X.copy())
    outs = []
    for _ in range(steps):
        for m in (net, bare):
            out = m(x)
            out.pow(2).sum().backward()
            outs.append(out)
    return (outs, dict(net.state_dict()), [p.grad for p in net.parameters()],
            [p.grad for p in bare.parameters()], repr(net))


def _compare_training(wrap):
    """As torch, and the wrapped model's gradients are torch's unwrapped model's."""
    want, got = _train(torch, wrap), _train(torchlike, wrap)
    assert_same(want, got)
    assert_same(want[3], got[2], "wrapped gradients against torch's unwrapped")


def test_data_parallel(env):
    _compare_training(lambda L, m: L.nn.DataParallel(m))
    _both(lambda L: (L.nn.DataParallel(L.nn.Linear(2, 2)).device_ids,
                     hasattr(L.nn.DataParallel(L.nn.Linear(2, 2)), "dim")))
    check_raises(lambda L: L.nn.parallel.data_parallel(L.nn.Linear(2, 2), L.ones(1, 2)))
    assert torchlike.nn.parallel.DataParallel is torchlike.nn.DataParallel


def test_distributed_data_parallel(groups):
    ddp = "DistributedDataParallel"
    _compare_training(lambda L, m: getattr(L.nn.parallel, ddp)(m))
    _compare_training(lambda L, m: getattr(L.nn.parallel, ddp)(m, find_unused_parameters=True))
    attrs = ("device_ids", "output_device", "dim", "broadcast_buffers", "find_unused_parameters",
             "require_backward_grad_sync", "require_forward_param_sync",
             "gradient_as_bucket_view", "static_graph", "bucket_bytes_cap", "device_type")

    def state(L):
        m = getattr(L.nn.parallel, ddp)(L.nn.Linear(2, 2))
        inside = []
        with m.no_sync():
            inside.append(m.require_backward_grad_sync)
        return ([getattr(m, a) for a in attrs], inside, m.require_backward_grad_sync,
                isinstance(m.module, L.nn.Linear), m.process_group is L.distributed.group.WORLD)
    _both(state)
    check_raises(lambda L: getattr(L.nn.parallel, ddp)(L.nn.ReLU()))
    check_raises(lambda L: getattr(L.nn.parallel, ddp)(L.nn.Linear(2, 2), device_ids=[0]))


def test_no_sync_accumulates_as_unwrapped(groups):
    def fn(L, x):
        net = L.nn.parallel.DistributedDataParallel(_model(L))
        with net.no_sync():
            net(x).sum().backward()
        net(x * 2).sum().backward()
        return [p.grad for p in net.parameters()]
    check(fn, X, grad=False)


@pytest.mark.parametrize("kw", [dict(num_replicas=3, rank=1), dict(num_replicas=4, rank=3,
                                drop_last=True), dict(num_replicas=2, rank=0, shuffle=False),
                                dict(num_replicas=8, rank=5, seed=7)])
def test_distributed_sampler(kw):
    def fn(L):
        s = L.utils.data.DistributedSampler(range(10), **kw)
        out = [len(s), list(s)]
        for epoch in (1, 5):
            s.set_epoch(epoch)
            out.append(list(s))
        return out
    _both(fn)
    check_raises(lambda L: L.utils.data.DistributedSampler(range(4), num_replicas=2, rank=2))


def test_distributed_sampler_from_group(groups):
    def fn(L):
        s = L.utils.data.distributed.DistributedSampler(range(7))
        s.set_epoch(3)
        return s.num_replicas, s.rank, list(s)
    _both(fn)


def test_ddp_program_runs_unchanged(groups):
    """A typical DDP training loop (sampler, DataLoader, DDP, SGD) gives torch's losses."""
    def fn(L):
        d = L.distributed
        L.manual_seed(0)
        xs, ys = L.randn(12, 3), L.randn(12, 2)
        ds = L.utils.data.TensorDataset(xs, ys)
        sampler = L.utils.data.distributed.DistributedSampler(
            ds, num_replicas=d.get_world_size(), rank=d.get_rank())
        loader = L.utils.data.DataLoader(ds, batch_size=4, sampler=sampler)
        model = L.nn.parallel.DistributedDataParallel(_model(L))
        opt = L.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for epoch in range(2):
            sampler.set_epoch(epoch)
            for x, y in loader:
                opt.zero_grad()
                loss = L.nn.functional.mse_loss(model(x), y)
                loss.backward()
                for p in model.parameters():
                    d.all_reduce(p.grad, op=d.ReduceOp.SUM)
                    p.grad /= d.get_world_size()
                opt.step()
                losses.append(loss.detach())
        return losses, dict(model.state_dict())
    _both(fn)


def test_errors_are_torchs_types(env):
    try:
        torch.distributed.get_rank()
    except ValueError as e:
        want = e
    try:
        torchlike.distributed.get_rank()
    except ValueError as e:
        assert_same_error(want, e)
