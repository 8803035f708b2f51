"""torch.distributed with a one-process group, DataParallel, DistributedDataParallel and
DistributedSampler, compared with torch's gloo group of world_size 1 in this process."""
from __future__ import annotations

import datetime
import importlib
import json
import re
import socket
import subprocess
import sys
import threading
import warnings

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
def groups(env, tmp_path):
    """Both default groups, met through a file (a TCP store's port may take torch seconds)."""
    for lib in LIBS:
        lib.distributed.init_process_group("gloo", init_method=f"file://{tmp_path}/{lib.__name__}",
                                           world_size=1, rank=0)
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


# ---- what torch's gloo answers with world_size 1: everything else programs for DDP reach ----

def _outcome(fn, lib):
    """fn(lib): (its result or the exception it raised, [(category, text) of its warnings])."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(lib)
        except Exception as e:  # noqa: BLE001 - compared with whatever torch raised
            result = e
    return result, [(w.category.__name__, str(w.message)) for w in caught
                    if not str(w.message).startswith("os.fork()")]


def _same(fn, message=True):
    """fn under both libraries: the same result or error (by class names, for torch's own
    exception classes), and the same warnings."""
    (want, want_w), (got, got_w) = _outcome(fn, torch), _outcome(fn, torchlike)
    if isinstance(want, Exception):
        assert isinstance(got, Exception), f"torch raised {want!r}, torchlike gave {got!r}"
        names = [c.__name__ for c in type(want).__mro__]
        assert_same(names, [c.__name__ for c in type(got).__mro__], "exception classes")
        assert_same_error(want, got, message=message)
    elif isinstance(got, Exception):
        raise got
    else:
        assert_same(want, got)
    assert_same(want_w, got_w, "warnings")


def _no_port(text):
    """gloo names the address its pair listens on (this machine's, any port): not compared."""
    return re.sub(r"\(\[[^\]]*\]:\d+\$0", "(ADDRESS$0", text)


P2P_ERRORS = {
    "send-self": lambda d, x: d.send(x, 0),
    "send-group-dst": lambda d, x: d.send(x, group_dst=0),
    "send-both": lambda d, x: d.send(x, 0, group_dst=0),
    "send-none": lambda d, x: d.send(x),
    "send-not-tensor": lambda d, x: d.send([x], 0),
    "recv-self": lambda d, x: d.recv(x, 0),
    "isend-self": lambda d, x: d.isend(x, 0),
    "irecv-self": lambda d, x: d.irecv(x, src=0),
    "isend-not-tensor": lambda d, x: d.isend([x], 0),
    "irecv-not-tensor": lambda d, x: d.irecv([x], 0),
    "send-object-self": lambda d, x: d.send_object_list([1], 0),
    "recv-object-self": lambda d, x: d.recv_object_list([None], 0),
    "send-object-none": lambda d, x: d.send_object_list([1]),
    "p2pop-op": lambda d, x: d.P2POp(d.send, x, 0),
    "p2pop-tensor": lambda d, x: d.P2POp(d.isend, [x], 0),
    "batch": lambda d, x: d.batch_isend_irecv([d.P2POp(d.irecv, x, 0), d.P2POp(d.isend, x, 0)]),
    "batch-not-ops": lambda d, x: d.batch_isend_irecv([3]),
    "batch-tuple": lambda d, x: d.batch_isend_irecv((d.P2POp(d.isend, x, 0),)),
    "batch-empty": lambda d, x: d.batch_isend_irecv([]),
}


@pytest.mark.parametrize("case", list(P2P_ERRORS))
def test_point_to_point_with_oneself(groups, case):
    """Sending to or receiving from itself: torch's errors (gloo never connects a process
    with itself)."""
    _same(lambda L: P2P_ERRORS[case](L.distributed, L.arange(4.0)), message=_no_port)


def test_p2p_op_fields(groups):
    def run(L):
        d = L.distributed
        ops = [d.P2POp(d.isend, L.arange(4.0), 0), d.P2POp(d.irecv, L.zeros(2, 3), group_peer=0,
                                                            tag=3)]
        return [(repr(o), o.peer, o.group_peer, o.tag, o.op.__name__) for o in ops]
    _same(run)


TIMEOUT_CASES = {
    "send-to-1": "d.send(x, 1)", "isend-to-1": "d.isend(x, 1)", "recv-from-1": "d.recv(x, 1)",
    "recv-any": "d.recv(x)", "irecv-any": "w = d.irecv(x); r = (w.is_completed(), w.wait())",
}
_TIMEOUT_RUN = """
import datetime, json, os, socket, sys
import {lib} as L
d, x = L.distributed, L.arange(4.0)
out = {{}}
for name, code in json.loads(sys.argv[1]).items():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        os.environ["MASTER_PORT"] = str(s.getsockname()[1])
    d.init_process_group("gloo", world_size=1, rank=0,
                         timeout=datetime.timedelta(milliseconds=200))
    try:
        exec(code)
        out[name] = None
    except Exception as e:
        out[name] = [[c.__name__ for c in type(e).__mro__], str(e)]
    d.destroy_process_group()
print(json.dumps(out))
"""


def test_point_to_point_timeouts(env):
    """A peer that never joins (rank 1) or a receive from anyone: torch's errors after the
    group's timeout (torchlike raises them at once: nobody can join). torch's side runs in a
    process of its own, a group per case: a second such timeout in a process can crash it."""
    def run(lib):
        proc = subprocess.run([sys.executable, "-c", _TIMEOUT_RUN.format(lib=lib),
                               json.dumps(TIMEOUT_CASES)], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])
    want = run("torch")
    torchlike.distributed.init_process_group("gloo", world_size=1, rank=0,
                                             timeout=datetime.timedelta(milliseconds=200))
    d, x = torchlike.distributed, torchlike.arange(4.0)  # noqa: F841 - the cases use them
    for name, code in TIMEOUT_CASES.items():
        try:
            exec(code)
            got = None
        except Exception as e:  # noqa: BLE001 - compared with torch's
            got = [[c.__name__ for c in type(e).__mro__], str(e)]
        assert_same(want[name], got, name)


# (op, make(L) -> (args, outputs)): a collective, its arguments and the tensors it writes
COLLECTIVES = {
    "all_to_all": lambda L, x: (L.distributed.all_to_all, ([L.zeros(2, 3)], [x])),
    "all_to_all_single": lambda L, x: (L.distributed.all_to_all_single, (L.zeros(2, 3), x)),
    "all_to_all_single-splits": lambda L, x: (
        lambda o, i, **k: L.distributed.all_to_all_single(o, i, [2], [2], **k),
        (L.zeros(2, 3), x)),
    "all_gather_single": lambda L, x: (L.distributed.all_gather_single, (L.zeros(2, 3), x)),
    "reduce_scatter": lambda L, x: (L.distributed.reduce_scatter, (L.zeros(2, 3), [x])),
    "reduce_scatter_single": lambda L, x: (L.distributed.reduce_scatter_single,
                                           (L.zeros(2, 3), x)),
    "reduce_scatter-max": lambda L, x: (
        lambda o, i, **k: L.distributed.reduce_scatter(o, i, op=L.distributed.ReduceOp.MAX,
                                                       **k), (L.zeros(2, 3), [x])),
    "_reduce_scatter_base": lambda L, x: (L.distributed._reduce_scatter_base,
                                          (L.zeros(2, 3), x)),
    "_all_gather_base": lambda L, x: (L.distributed._all_gather_base, (L.zeros(2, 3), x)),
    "all_reduce-avg": lambda L, x: (
        lambda t, **k: L.distributed.all_reduce(t, op=L.distributed.ReduceOp.AVG, **k), (x,)),
    "reduce-avg": lambda L, x: (
        lambda t, **k: L.distributed.reduce(t, 0, op=L.distributed.ReduceOp.AVG, **k), (x,)),
    "gather": lambda L, x: (lambda t, gl, **k: L.distributed.gather(t, gl, **k),
                            (x, [L.zeros(2, 3)])),
    "scatter": lambda L, x: (lambda t, sl, **k: L.distributed.scatter(t, sl, **k),
                             (L.zeros(2, 3), [x])),
    "broadcast": lambda L, x: (lambda t, **k: L.distributed.broadcast(t, 0, **k), (x,)),
    "barrier": lambda L, x: (lambda **k: L.distributed.barrier(**k), ()),
}


def _flat_tensors(args):
    return [t for a in args for t in (a if isinstance(a, list) else [a])]


@pytest.mark.parametrize("name", list(COLLECTIVES))
def test_more_collectives(groups, name):
    """Values written, version counters, deprecation warnings, and the Work of async_op:
    wait, is_completed, result, its Future's value (torch's gloo runs the collective on a
    thread of its own: result() before wait() may or may not raise, so it is not compared)."""
    def run(L):
        x = L.tensor(X.copy())
        fn, args = COLLECTIVES[name](L, x)
        res = fn(*args)
        ts = _flat_tensors(args)
        out = [res, [t.clone() for t in ts], [t._version for t in ts]]
        fn, args = COLLECTIVES[name](L, L.tensor(X.copy()))
        work = fn(*args, async_op=True)
        for call in (work.wait, work.is_completed, work.result,
                     lambda: work.get_future().wait(), work.source_rank):
            try:
                out.append(call())
            except RuntimeError as e:
                out.append(str(e))
        return out
    _same(run)


COLLECTIVE_ERRORS = {
    "all_to_all-lists": lambda d, L: d.all_to_all([L.zeros(4), L.zeros(4)], [L.zeros(4)]),
    "all_to_all-inputs": lambda d, L: d.all_to_all([L.zeros(4)], [L.zeros(4)] * 2),
    "all_to_all-size": lambda d, L: d.all_to_all([L.zeros(3)], [L.zeros(4)]),
    "all_to_all-dtype": lambda d, L: d.all_to_all([L.zeros(4, dtype=L.int64)], [L.zeros(4)]),
    "all_to_all-not-list": lambda d, L: d.all_to_all(L.zeros(4), [L.zeros(4)]),
    "all_to_all-elements": lambda d, L: d.all_to_all([L.zeros(4), 1], [L.zeros(4)]),
    "a2a_single-splits": lambda d, L: d.all_to_all_single(L.zeros(4), L.zeros(4), [2, 2]),
    "a2a_single-split-size": lambda d, L: d.all_to_all_single(L.zeros(4), L.zeros(4), None,
                                                              [3]),
    "a2a_single-size": lambda d, L: d.all_to_all_single(L.zeros(3), L.zeros(4)),
    "a2a_single-dtype": lambda d, L: d.all_to_all_single(L.zeros(4), L.arange(4)),
    "reduce_scatter-list": lambda d, L: d.reduce_scatter(L.zeros(4), [L.zeros(4)] * 2),
    "reduce_scatter-dtype": lambda d, L: d.reduce_scatter(L.zeros(4, dtype=L.int64),
                                                          [L.zeros(4)]),
    "reduce_scatter-band": lambda d, L: d.reduce_scatter(L.zeros(4), [L.zeros(4)],
                                                         op=d.ReduceOp.BAND),
    "all_gather_single-size": lambda d, L: d.all_gather_single(L.zeros(1, 4), L.zeros(4)),
    "all_gather_single-dtype": lambda d, L: d.all_gather_single(L.zeros(4, dtype=L.int64),
                                                                L.zeros(4)),
    "all_gather-leaf": lambda d, L: d.all_gather([L.zeros(3, requires_grad=True)],
                                                 L.ones(3)),
    "all_gather-dtype": lambda d, L: d.all_gather([L.zeros(3, dtype=L.int64)], L.ones(3)),
    "gather-root": lambda d, L: d.gather(L.zeros(4), None, dst=1),
    "gather-list-on-other": lambda d, L: d.gather(L.zeros(4), [L.zeros(4)], dst=1),
    "gather-long-list": lambda d, L: d.gather(L.zeros(4), [L.zeros(4)] * 2, dst=0),
    "scatter-root": lambda d, L: d.scatter(L.zeros(4), None, src=1),
    "scatter-list-on-other": lambda d, L: d.scatter(L.zeros(4), [L.zeros(4)], src=1),
    "scatter-long-list": lambda d, L: d.scatter(L.zeros(4), [L.zeros(4)] * 2, src=0),
    "reduce-root": lambda d, L: d.reduce(L.zeros(4), 1),
    "reduce-no-dst": lambda d, L: d.reduce(L.zeros(4)),
    "broadcast-no-src": lambda d, L: d.broadcast(L.zeros(4)),
    "broadcast-negative": lambda d, L: d.broadcast(L.zeros(4), -1),
    "all_reduce-list": lambda d, L: d.all_reduce([L.zeros(4)]),
    "all_reduce-complex-max": lambda d, L: d.all_reduce(L.ones(2, dtype=L.complex64),
                                                        op=d.ReduceOp.MAX),
    "all_reduce-band-float": lambda d, L: d.all_reduce(L.ones(2), op=d.ReduceOp.BAND),
    "all_reduce-bxor-float": lambda d, L: d.all_reduce(L.ones(2), op=d.ReduceOp.BXOR),
    "all_reduce-avg-int": lambda d, L: d.all_reduce(L.arange(3), op=d.ReduceOp.AVG),
    "all_reduce-avg-bool": lambda d, L: d.all_reduce(L.ones(3, dtype=L.bool),
                                                     op=d.ReduceOp.AVG),
}


@pytest.mark.parametrize("case", list(COLLECTIVE_ERRORS))
def test_more_collective_errors(groups, case):
    _same(lambda L: COLLECTIVE_ERRORS[case](L.distributed, L))


def test_glog_check_failures(groups):
    """gloo's CHECK failures: torch's text starts with a glog prefix (time, thread id)."""
    def glog(text):
        return re.sub(r"^\[rank0\]:\[F[^\]]*\] ", "", text).strip()
    for call in (lambda d, L: d.reduce_scatter(L.zeros(3), [L.zeros(4)]),
                 lambda d, L: d.reduce_scatter_single(L.zeros(3), L.zeros(4)),
                 lambda d, L: d.reduce_scatter_single(L.zeros(4, dtype=L.int64), L.zeros(4))):
        _same(lambda L, call=call: call(L.distributed, L), message=glog)


def test_reduce_ops_and_values(groups):
    def run(L):
        d = L.distributed
        R = d.ReduceOp
        out = [list(R.RedOpType.__members__), R(R.MAX) == R.MAX, R(R.MAX) == R(R.MAX),
               R(R.SUM) == R.MAX, hash(R(R.MIN)) == hash(R(R.MIN)), R.BAND == R.RedOpType.BAND]
        for op in ("BAND", "BOR", "BXOR", "MIN", "MAX", "PRODUCT", "SUM"):
            t = L.tensor([5, 3, 6])
            d.all_reduce(t, op=getattr(R, op))
            out.append((t, t._version))
        t = L.ones(2, dtype=L.complex64)
        d.all_reduce(t)
        d.all_reduce(t, op=R(R.SUM))
        out.append(t)
        return out
    _same(run)
    _same(lambda L: L.distributed.ReduceOp())
    _same(lambda L: L.distributed.all_reduce(L.ones(2), op=L.distributed.ReduceOp.PREMUL_SUM),
          message=lambda m: m.split("Invoked with")[0])


def test_object_collectives(groups):
    """Objects arrive pickled and unpickled: copies (broadcast's source list stays as is)."""
    def run(L):
        d = L.distributed
        obj = {"a": [1, 2], "t": L.arange(3.0)}
        out = []
        got = [None]
        d.all_gather_object(got, obj)
        out += [got, got[0] is obj]
        got = [None, "x"]
        d.gather_object(obj, got, dst=0)
        out += [got, got[0] is obj]
        got = [None]
        d.scatter_object_list(got, [obj], src=0)
        out += [got, got[0] is obj]
        lst = [obj, 3]
        d.broadcast_object_list(lst, src=0)
        out += [lst, lst[0] is obj]
        got = [None]
        d.gather_object(5, got, group_dst=0)
        d.scatter_object_list(got, ["s"], group_src=0)
        return out + [got]
    _same(run)


OBJECT_ERRORS = {
    "gather-none": lambda d: d.gather_object(1, None, dst=0),
    "gather-empty": lambda d: d.gather_object(1, [], dst=0),
    "gather-list-on-other": lambda d: d.gather_object(1, [None], dst=1),
    "gather-root": lambda d: d.gather_object(1, None, dst=1),
    "scatter-none": lambda d: d.scatter_object_list([None], None, src=0),
    "scatter-empty-output": lambda d: d.scatter_object_list([], [1], src=0),
    "scatter-long": lambda d: d.scatter_object_list([None], [1, 2], src=0),
    "scatter-root": lambda d: d.scatter_object_list([None], None, src=1),
    "scatter-empty-input": lambda d: d.scatter_object_list([None], [], src=0),
    "all_gather-short": lambda d: d.all_gather_object([], 5),
    "broadcast-root": lambda d: d.broadcast_object_list([1], src=1),
    "broadcast-both": lambda d: d.broadcast_object_list([1], src=0, group_src=0),
    "broadcast-empty": lambda d: d.broadcast_object_list([], src=0),
}


@pytest.mark.parametrize("case", list(OBJECT_ERRORS))
def test_object_collective_errors(groups, case):
    _same(lambda L: OBJECT_ERRORS[case](L.distributed))


def test_barriers_groups_and_backends(groups):
    def run(L):
        d = L.distributed
        g = d.new_group([0])
        out = [d.monitored_barrier(), d.monitored_barrier(timeout=datetime.timedelta(seconds=1),
                                                          wait_all_ranks=True),
               d.barrier(timeout=datetime.timedelta(seconds=2)), d.barrier(group=g),
               d.monitored_barrier(timeout=0.5), str(d.default_pg_timeout)]
        out += [d.get_backend(), d.get_backend_config(), d.get_backend(g), d.get_backend_config(g),
                d.get_backend(d.new_group(backend="cpu:gloo")),
                d.get_backend(d.new_group(backend="GLOO")), d.is_backend_available("gloo"),
                d.is_backend_available("nccl")]
        out += [d.get_rank(g), d.get_world_size(g), g.rank(), g.size(),
                d.get_process_group_ranks(g), d.get_global_rank(g, 0), d.get_group_rank(g, 0),
                d.new_group([0], use_local_synchronization=True) is not None]
        t = L.arange(3.0)
        d.all_reduce(t, group=g)
        d.broadcast(t, 0, group=g)
        return out + [t]
    _same(run)


GROUP_ERRORS = {
    "monitored-timeout": lambda d: d.monitored_barrier(timeout=2),
    "new_group-duplicates": lambda d: d.new_group([0, 0]),
    "new_group-negative": lambda d: d.new_group([-1]),
    "new_group-rank": lambda d: d.new_group([1]),
    "new_group-timeout": lambda d: d.new_group([0], timeout=3),
    "new_group-nccl": lambda d: d.new_group(backend="nccl"),
    "new_group-unknown": lambda d: d.new_group(backend="foo"),
    "global-rank": lambda d: d.get_global_rank(d.new_group([0]), 1),
    "group-rank": lambda d: d.get_group_rank(d.new_group([0]), 1),
}


@pytest.mark.parametrize("case", list(GROUP_ERRORS))
def test_group_errors(groups, case):
    _same(lambda L: GROUP_ERRORS[case](L.distributed),
          message=lambda m: re.sub(r"<\w+\.distributed\.distributed_c10d\.ProcessGroup "
                                   r"object at 0x\w+>", "<ProcessGroup>", m))


@pytest.mark.parametrize("backend", ["nccl", "cpu:nccl", "mpi", "ucc", "cuda:nccl,cpu:gloo"])
@pytest.mark.parametrize("timeout", [None, datetime.timedelta(seconds=3)])
def test_init_missing_backends(env, backend, timeout):
    _same(lambda L: L.distributed.init_process_group(backend, world_size=1, rank=0,
                                                     timeout=timeout))


def test_init_timeout_and_device_backend(env):
    _same(lambda L: L.distributed.init_process_group("gloo", world_size=1, rank=0, timeout=5))

    def run(L):
        L.distributed.init_process_group("cpu:gloo", world_size=1, rank=0,
                                         timeout=datetime.timedelta(seconds=9))
        return L.distributed.get_backend(), L.distributed.get_backend_config()
    _same(run)


# ---- torch.futures.Future, as comm hooks use it ---------------------------------------------

def test_futures():
    def run(L):
        F = L.futures.Future
        calls, out = [], []
        f = F()
        g = f.then(lambda fut: fut.value() + 1)
        f.add_done_callback(lambda fut: calls.append(fut.value()))
        out.append((f.done(), g.done()))
        f.set_result(1)
        out += [f.done(), f.wait(), f.value(), g.wait(), calls, f.then(lambda x: 5).wait()]
        h = F()
        h.set_exception(ValueError("bad"))
        for call in (h.wait, h.value, lambda: f.set_result(2), lambda: F().set_exception(3),
                     lambda: L.futures.wait_all([f, h])):
            try:
                out.append(call())
            except (ValueError, RuntimeError, AssertionError) as e:
                out.append((type(e).__name__, str(e)))
        out.append(h.then(lambda x: 1).wait())
        k = F()
        k2 = k.then(lambda x: x.value() / 0)
        k.set_result(1)
        try:
            k2.wait()
        except RuntimeError as e:
            out.append(str(e).split("\n")[0])
        t = F()
        t.set_result(L.ones(2))
        out += [t.then(lambda x: x.wait() * 2).wait(), L.futures.wait_all([f, g]),
                [x.value() for x in L.futures.collect_all([f, g]).wait()],
                F[L.Tensor] == F[L.Tensor]]
        return out
    _same(run)


def test_future_wait_across_threads():
    def run(L):
        f = L.futures.Future()
        threading.Timer(0.05, lambda: f.set_result(7)).start()
        return f.wait(), f.done()
    _same(run)


# ---- DistributedDataParallel.register_comm_hook ---------------------------------------------

XS = np.linspace(-3.3, 3.3, 6, dtype=np.float32).reshape(2, 3)


def _default_hooks(L):
    return importlib.import_module(
        L.__name__ + ".distributed.algorithms.ddp_comm_hooks.default_hooks")


def _record_hook(inner=None):
    """A hook that records what its GradBucket holds, then runs `inner` (else returns the
    bucket doubled)."""
    def record(state, bucket):
        L = torch if isinstance(bucket.buffer(), torch.Tensor) else torchlike
        state.append((bucket.index(), bucket.is_last(), bucket.buffer().clone(),
                      [g.clone() for g in bucket.gradients()],
                      [tuple(p.shape) for p in bucket.parameters()],
                      [None if p.grad is None else p.grad.clone() for p in bucket.parameters()]))
        if inner is not None:
            return inner(None, bucket)
        fut = L.futures.Future()
        fut.set_result(bucket.buffer() * 2)
        return fut
    return record


def _hooked_training(L, hook, steps=3, state=None, no_sync_first=False, **kw):
    net = L.nn.parallel.DistributedDataParallel(_model(L), **kw)
    net.register_comm_hook(state, hook)
    x = L.tensor(XS)
    for i in range(steps):
        if no_sync_first and i == 0:
            with net.no_sync():
                net(x).pow(2).sum().backward()
            continue
        net(x).pow(2).sum().backward()
    return [p.grad for p in net.parameters()]


@pytest.mark.parametrize("kw", [{}, {"bucket_cap_mb": 5e-5}, {"bucket_cap_mb": 1e-4},
                                {"find_unused_parameters": True, "bucket_cap_mb": 5e-5},
                                {"static_graph": True}, {"bucket_cap_mb_list": [5e-5, 1]}])
def test_comm_hook_buckets(groups, kw):
    """What the hook sees in each bucket over three steps (buckets rebuilt in torch's order of
    finished gradients after the first), and the gradients its results make."""
    def run(L):
        state = []
        grads = _hooked_training(L, _record_hook(), state=state, **kw)
        return state, grads
    _same(run)


def _compress_via(name):
    """A hook of another name calling default_hooks.<name> (bf16 ones refuse to register on
    a build without NCCL, by their names)."""
    def via(state, bucket):
        L = torch if isinstance(bucket.buffer(), torch.Tensor) else torchlike
        hook = getattr(_default_hooks(L), name)
        return hook(state, bucket)
    return via


def _wrapped_via(name):
    def via(state, bucket):
        L = torch if isinstance(bucket.buffer(), torch.Tensor) else torchlike
        hooks = _default_hooks(L)
        return getattr(hooks, name)(hooks.allreduce_hook)(state, bucket)
    return via


@pytest.mark.parametrize("hook", ["allreduce_hook", "fp16_compress_hook", "bf16_via",
                                  "fp16_wrapper", "bf16_wrapper_via"])
def test_default_hooks_gradients(groups, hook):
    """The gradients after backward are torch's: the all_reduce mean (world size 1), or the
    float16 / bfloat16 rounding of the compressing hooks."""
    def run(L):
        hooks = _default_hooks(L)
        fn = {"allreduce_hook": hooks.allreduce_hook, "fp16_compress_hook":
              hooks.fp16_compress_hook, "bf16_via": _compress_via("bf16_compress_hook"),
              "fp16_wrapper": hooks.fp16_compress_wrapper(hooks.allreduce_hook),
              "bf16_wrapper_via": _wrapped_via("bf16_compress_wrapper")}[hook]
        return _hooked_training(L, fn), _hooked_training(L, fn, no_sync_first=True)
    _same(run)


def _two_heads(L):
    """A module with a Linear its forward never uses (parameters 2 and 3)."""
    class TwoHeads(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = L.nn.Linear(3, 2), L.nn.Linear(3, 2)

        def forward(self, t):
            return self.a(t)
    L.manual_seed(0)
    return TwoHeads()


def test_hook_with_no_sync_and_unused_parameters(groups):
    def run(L):
        state = []
        net = L.nn.parallel.DistributedDataParallel(_two_heads(L), find_unused_parameters=True)
        net.register_comm_hook(state, _record_hook(_default_hooks(L).fp16_compress_hook))
        x = L.tensor(XS)
        with net.no_sync():
            net(x).sum().backward()
        inside = len(state)
        net(x).sum().backward()
        net(x).sum().backward()
        return inside, state, [p.grad for p in net.parameters()]
    _same(run)


def test_unused_parameters_error(groups):
    """A parameter no gradient reached: torch's error at the next forward, hook or not."""
    def run(L, hooked):
        net = L.nn.parallel.DistributedDataParallel(_two_heads(L))
        if hooked:
            net.register_comm_hook(None, _default_hooks(L).allreduce_hook)
        x = L.ones(2, 3)
        net(x)  # no backward: no error
        net(x).sum().backward()
        with L.no_grad():
            net(x)  # no grad: not checked
        return net(x)
    _same(lambda L: run(L, False))
    _same(lambda L: run(L, True))


HOOK_ERRORS = {
    "list-future": lambda L, d: (lambda s, b: d.all_reduce(b.buffer(), async_op=True)
                                 .get_future()),
    "small": lambda L, d: lambda s, b: _done_future(L, L.ones(3)),
    "not-future": lambda L, d: lambda s, b: b.buffer(),
    "not-tensor": lambda L, d: lambda s, b: _done_future(L, 3),
}


def _done_future(L, value):
    fut = L.futures.Future()
    fut.set_result(value)
    return fut


@pytest.mark.parametrize("case", list(HOOK_ERRORS))
def test_comm_hook_result_errors(groups, case):
    def run(L):
        hook = HOOK_ERRORS[case](L, L.distributed)

        def bucket_hook(state, bucket):
            return hook(state, bucket)
        return _hooked_training(L, bucket_hook, steps=1)
    _same(run)


def _annotated(L):
    def bad_bucket(state, bucket: int):
        pass

    def bad_return(state, bucket) -> int:
        pass

    def good(state, bucket: L.distributed.GradBucket) -> L.futures.Future[L.Tensor]:
        return _default_hooks(L).allreduce_hook(state, bucket)

    def no_bucket(state, b):
        pass
    return {"bad_bucket": bad_bucket, "bad_return": bad_return, "good": good,
            "no_bucket": no_bucket}


@pytest.mark.parametrize("case", ["not-callable", "bad_bucket", "bad_return", "no_bucket",
                                  "bf16", "bf16-wrapper", "twice", "good", "after-backward"])
def test_register_comm_hook_checks(groups, case):
    def run(L):
        net = L.nn.parallel.DistributedDataParallel(_model(L))
        hooks = _default_hooks(L)
        if case == "not-callable":
            return net.register_comm_hook(None, 3)
        if case == "bf16":
            return net.register_comm_hook(None, hooks.bf16_compress_hook)
        if case == "bf16-wrapper":
            return net.register_comm_hook(None, hooks.bf16_compress_wrapper(hooks.allreduce_hook))
        if case == "twice":
            net.register_comm_hook(None, hooks.allreduce_hook)
            return net.register_comm_hook(None, hooks.allreduce_hook)
        if case == "after-backward":
            net(L.tensor(XS)).sum().backward()
            net.register_comm_hook(None, hooks.fp16_compress_hook)
            net(L.tensor(XS)).sum().backward()
            return [p.grad for p in net.parameters()], len(net._comm_hooks)
        net.register_comm_hook(None, _annotated(L)[case])
        net(L.tensor(XS)).sum().backward()
        return [p.grad for p in net.parameters()]
    _same(run)


def test_join_context(groups):
    """DDP.join() over one process: nothing to wait for, training as without it."""
    def run(L):
        net = L.nn.parallel.DistributedDataParallel(_model(L))
        with net.join():
            net(L.tensor(XS)).sum().backward()
        with net.join(divide_by_initial_world_size=False, enable=False):
            net(L.tensor(XS)).sum().backward()
        return [p.grad for p in net.parameters()]
    _same(run)
