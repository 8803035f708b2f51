"""torch.distributed's smaller names, compared with torch in a one-process gloo world: the
availability checks, Backend (its parsing and tables), ReduceOp and the deprecated reduce_op,
group / GroupMember.WORLD through init and destroy, the DistError classes, P2POp objects,
isend / irecv, reduce_scatter_tensor, and DistributedDataParallelCPU. The fixtures and
helpers are test_distributed.py's."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from _helper import (assert_same, assert_same_error, assert_same_object, check, check_call,
                     check_raises)
import test_distributed
from test_distributed import LIBS, _compare_training, _no_port, _same

import torchlike

env, groups = test_distributed.env, test_distributed.groups  # the fixtures

AVAILABLE = ["is_available", "is_gloo_available", "is_nccl_available", "is_mpi_available",
             "is_ucc_available", "is_xccl_available", "is_initialized",
             "is_torchelastic_launched"]


@pytest.mark.parametrize("name", AVAILABLE)
def test_availability(env, name):
    check_call(lambda L: (getattr(L.distributed, name),))


def test_availability_after_init_and_torchelastic(groups):
    check_call(lambda L: (L.distributed.is_initialized,))
    groups.setenv("TORCHELASTIC_RUN_ID", "job-1")
    check_call(lambda L: (L.distributed.is_torchelastic_launched,))


@pytest.mark.parametrize("backend", ["gloo", "GLOO", "nccl", "mpi", "ucc", "xccl", "fake",
                                     "undefined", "foo", "cpu:gloo", "cpu:gloo,cuda:nccl",
                                     "cpu:nccl"])
def test_is_backend_available(backend):
    check_call(lambda L: (L.distributed.is_backend_available, backend))


@pytest.mark.parametrize("name", ["gloo", "GLOO", "Nccl", "undefined", "fake", "foo",
                                  "cpu:gloo", 3])
def test_backend_parses_names(name):
    check_call(lambda L: (L.distributed.Backend, name))


def test_backend_tables():
    """Its names and tables (torch maps "hpu" to the fake backend once something imports the
    fake process group, as a non-reentrant checkpoint does: the built-in devices only)."""
    assert_same_object(torch.distributed.Backend, torchlike.distributed.Backend,
                       lambda B: (B.__name__, B.UNDEFINED, B.GLOO, B.NCCL, B.UCC, B.MPI, B.XCCL,
                                  B.FAKE, B.backend_list, B.backend_capability,
                                  {k: B.default_device_backend_map[k]
                                   for k in ("cpu", "cuda", "xpu", "mps")},
                                  issubclass(B, str)))


def test_reduce_op_class_and_objects():
    R = [L.distributed.ReduceOp for L in LIBS]
    names = list(R[0].RedOpType.__members__)
    assert_same_object(R[0], R[1], lambda cls: (cls.__name__, [
        (repr(getattr(cls, n)), int(getattr(cls, n))) for n in names]))
    for n in ("SUM", "MAX", "BXOR"):
        assert_same_object(R[0](getattr(R[0], n)), R[1](getattr(R[1], n)),
                           lambda op, n=n: (op == getattr(type(op), n), op == type(op).MIN,
                                            op == type(op)(type(op).MIN)))


def test_deprecated_reduce_op():
    """An object whose every read warns; its members are ReduceOp's."""
    def run(L):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            members = [(n, repr(getattr(L.distributed.reduce_op, n)))
                       for n in ("SUM", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR")]
            table = list(L.distributed.reduce_op.__members__)
        return (type(L.distributed.reduce_op).__name__, members, table,
                [(w.category.__name__, str(w.message)) for w in caught],
                L.distributed.reduce_op.MAX is L.distributed.ReduceOp.MAX)
    assert_same(run(torch), run(torchlike))


def _world(cls):
    """What a program reads of group / GroupMember: WORLD (the default group: who is in it,
    which backend), NON_GROUP_MEMBER (GroupMember's only)."""
    d = torch.distributed if cls.__module__.startswith("torch.") else torchlike.distributed
    try:
        non_member = cls.NON_GROUP_MEMBER
    except AttributeError as e:
        non_member = str(e)
    world = None if cls.WORLD is None else (
        d.get_process_group_ranks(cls.WORLD), d.get_rank(cls.WORLD), str(d.get_backend()),
        cls.WORLD is d.group.WORLD is d.GroupMember.WORLD)
    return (cls.__name__, cls.__module__.replace("torchlike", "torch"), world, non_member,
            type(cls).__name__)


@pytest.mark.parametrize("name", ["group", "GroupMember"])
def test_group_and_group_member(env, tmp_path, name):
    """Before init, after (the default group), after destroy."""
    classes = [getattr(L.distributed, name) for L in LIBS]
    assert_same_object(classes[0], classes[1], _world)
    for L in LIBS:
        L.distributed.init_process_group("gloo", init_method=f"file://{tmp_path}/{L.__name__}",
                                         world_size=1, rank=0)
    assert_same_object(classes[0], classes[1], _world)
    for L in LIBS:
        L.distributed.destroy_process_group()
    assert_same_object(classes[0], classes[1], _world)


@pytest.mark.parametrize("name", ["DistError", "DistBackendError", "DistNetworkError",
                                  "DistStoreError"])
def test_dist_error_classes(name):
    """What a program catching them sees: the class chain and the message."""
    assert_same_error(getattr(torch.distributed, name)("the peer went away"),
                      getattr(torchlike.distributed, name)("the peer went away"))
    assert_same([c.__name__ for c in getattr(torch.distributed, name).__mro__],
                [c.__name__ for c in getattr(torchlike.distributed, name).__mro__])


def _p2p_view(op):
    return repr(op), op.peer, op.group_peer, op.tag, op.op.__name__, op.tensor


@pytest.mark.parametrize("kind", ["isend", "irecv"])
def test_p2p_op_objects(groups, kind):
    for kw in ({"peer": 0}, {"group_peer": 0, "tag": 3}):
        ops = [L.distributed.P2POp(getattr(L.distributed, kind), L.arange(4.0), **kw)
               for L in LIBS]
        assert_same_object(ops[0], ops[1], _p2p_view)
    assert_same([getattr(L.distributed, kind) is getattr(L.distributed.distributed_c10d, kind)
                 for L in LIBS], [True, True])


P2P = {  # (to or from oneself and bad tensors: test_distributed.py's P2P_ERRORS)
    "isend-group-dst": lambda d, x: d.isend(x, group_dst=0),
    "isend-both": lambda d, x: d.isend(x, 0, group_dst=0),
    "isend-none": lambda d, x: d.isend(x),
    "irecv-group-src": lambda d, x: d.irecv(x, group_src=0),
    "irecv-int": lambda d, x: d.irecv(3, 0),
}


@pytest.mark.parametrize("case", list(P2P))
def test_isend_irecv_with_oneself(groups, case):
    _same(lambda L: P2P[case](L.distributed, L.arange(4.0)), message=_no_port)


def test_irecv_from_anyone_is_pending(groups):
    def run(L):
        work = L.distributed.irecv(L.zeros(2))
        return type(work).__name__, work.is_completed()
    assert_same(run(torch), run(torchlike))


def _glog(text):
    """torch's gloo checks fail through glog: a line prefix with a timestamp, then the check."""
    return re.sub(r"^\[rank0\]:\[F\d+ [\d:.]+ \S+\] ", "", text).rstrip()


def test_reduce_scatter_tensor(groups):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch: use reduce_scatter_single

        def fn(L, out, inp):
            res = L.distributed.reduce_scatter_tensor(out, inp)
            return out, res
        check(fn, np.zeros(3, np.float32), np.arange(3, dtype=np.float32), grad=False)
        for bad in (lambda L: (L.zeros(2), L.zeros(4)),
                    lambda L: (L.zeros(2), L.zeros(2, dtype=L.int64)),
                    lambda L: ([L.zeros(2)], L.zeros(2))):
            check_raises(lambda L, bad=bad: L.distributed.reduce_scatter_tensor(*bad(L)),
                         message=_glog)


def test_distributed_data_parallel_cpu(groups):
    """Deprecated: DistributedDataParallel after a FutureWarning."""
    warned = {}

    def make(L, m):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ddp = L.nn.parallel.DistributedDataParallelCPU(m)
        warned[L] = [(w.category.__name__, str(w.message)) for w in caught]
        return ddp
    _compare_training(make)
    assert_same(warned[torch], warned[torchlike])
