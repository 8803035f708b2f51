"""Point-to-point calls in a world of one process, as torch's gloo answers them there.

Every peer is either this process or one that does not exist, and gloo can do neither:
- send/recv (and the object forms) name this process: torch's ValueError about self;
- isend/irecv to or from this process: gloo's "Pair is not connected" error;
- any other rank: torch waits for the peer to join until the group's timeout, then raises
  DistStoreError; torchlike raises it at once (no process can ever join);
- recv from any source: nobody sends, so it times out (the error at once, here too).
"""
from __future__ import annotations

from typing import Any, Callable

from .. import Tensor
from .distributed_c10d import ProcessGroup, _canonical_rank, _group, _not_member
from ._collectives import _check_tensor
from ._work import Work, _PendingRecv


class DistError(RuntimeError):
    pass


class DistBackendError(DistError):
    pass


class DistStoreError(DistError):
    pass


class DistNetworkError(DistError):
    pass


def _timeout_ms(group: ProcessGroup) -> int:
    return int(group._timeout.total_seconds() * 1000)


def _not_self(group: ProcessGroup, rank: int, kind: str) -> None:
    if rank == group.rank():
        raise ValueError(f"Invalid {kind} rank: {kind} rank should not be the same as the rank "
                         "of the current process.")


def _unreachable(group: ProcessGroup, peer: int) -> Exception:
    """What gloo raises for a peer: itself (never connected), or a process that never
    joins (torch raises this after waiting for the group's timeout)."""
    if peer == group.rank():
        return RuntimeError("[enforce fail at /__w/pytorch/pytorch/third_party/gloo/gloo/"
                            "transport/tcp/pair.cc:801] state_ >= CONNECTED. 1 vs 4. Pair is "
                            "not connected ([127.0.0.1]:0$0 <--> [none])")
    return DistStoreError(f"wait timeout after {_timeout_ms(group)}ms, keys: "
                          f"/default_pg/{group.group_name}//cpu//{group.rank()}/{peer}")


def isend(tensor: Tensor, dst: int | None = None, group: ProcessGroup | None = None,
          tag: int = 0, group_dst: int | None = None) -> Work | None:
    g = _group(group)
    peer = _canonical_rank(g, dst, group_dst)
    _check_tensor(tensor, "tensor")
    if _not_member(g):
        return None
    raise _unreachable(g, peer)


def irecv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
          tag: int = 0, group_src: int | None = None) -> Work | None:
    _check_tensor(tensor, "tensor")
    if _not_member(group):
        return None
    g = _group(group)
    if src is None and group_src is None:
        return _PendingRecv(_timeout_ms(g))
    raise _unreachable(g, _canonical_rank(g, src, group_src))


def send(tensor: Tensor, dst: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0, group_dst: int | None = None) -> None:
    g = _group(group)
    peer = _canonical_rank(g, dst, group_dst)
    _not_self(g, peer, "destination")
    isend(tensor, group=g, tag=tag, group_dst=peer).wait()


def recv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0, group_src: int | None = None) -> int:
    work = irecv(tensor, src=src, group=group, tag=tag, group_src=group_src)
    if work is None:
        return -1
    work.wait()
    return 0  # (not reached: a wait in this world raises)


def _objects_to(group: ProcessGroup | None, rank: int | None, group_rank: int | None,
                kind: str) -> None:
    """send_object_list / recv_object_list: torch's checks, then the peer is unreachable."""
    g = _group(group)
    peer = _canonical_rank(g, rank, group_rank)
    _not_self(g, peer, kind)
    if not _not_member(g):
        raise _unreachable(g, peer)


def send_object_list(object_list: list, dst: int | None = None,
                     group: ProcessGroup | None = None, device: Any = None,
                     group_dst: int | None = None, use_batch: bool = False) -> None:
    _objects_to(group, dst, group_dst, "destination")


def recv_object_list(object_list: list, src: int | None = None,
                     group: ProcessGroup | None = None, device: Any = None,
                     group_src: int | None = None, use_batch: bool = False) -> int:
    _objects_to(group, src, group_src, "source")
    return -1  # not a member of the group


class P2POp:
    """One isend or irecv for batch_isend_irecv."""

    def __new__(cls, op: Callable, tensor: Tensor, peer: int | None = None,
                group: ProcessGroup | None = None, tag: int = 0,
                group_peer: int | None = None) -> P2POp:
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type "
                             "``torch.distributed.isend`` or ``torch.distributed.irecv``.")
        _check_tensor(tensor, "tensor")
        return object.__new__(cls)

    def __init__(self, op: Callable, tensor: Tensor, peer: int | None = None,
                 group: ProcessGroup | None = None, tag: int = 0,
                 group_peer: int | None = None) -> None:
        self.op = op
        self.tensor = tensor
        self.group = _group(group)
        self.peer = _canonical_rank(self.group, peer, group_peer, return_global=True)
        self.tag = tag
        self.group_peer = _canonical_rank(self.group, peer, group_peer)

    def __repr__(self) -> str:
        me, name = self.group.rank(), self.op.__name__
        src, dst = (me, self.group_peer) if "send" in name else (self.group_peer, me)
        return (f"P2POp({name} pg={self.group.group_name}, group_src={src}, group_dst={dst},  "
                f"{self.tensor.shape}, {self.tensor.dtype})")


def batch_isend_irecv(p2p_op_list: list) -> list:
    if not isinstance(p2p_op_list, list) or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp``.")
    group = p2p_op_list[0].group
    if not all(group == p.group for p in p2p_op_list):
        raise ValueError("All ops need to use the same group.")
    reqs = []
    for p in p2p_op_list:
        key = "group_dst" if p.op is isend else "group_src"
        work = p.op(p.tensor, group=p.group, tag=p.tag, **{key: p.group_peer})
        if work:
            reqs.append(work)
    return reqs


