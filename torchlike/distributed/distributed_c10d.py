"""torch.distributed's process groups and collectives, for a group of one process.

torchlike cannot join other processes, so the only group is this process alone
(world_size=1, rank 0, backend gloo). Every collective over one process is the identity or a
copy; they keep torch's checks and errors so DDP programs run unchanged on one machine.
"""
from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl, urlparse

from .._errors import missing as _missing
from ..autograd import no_grad as _no_grad

_NOT_INITIALIZED = ("Default process group has not been initialized, "
                    "please make sure to call init_process_group.")


class Backend(str):
    """Backend names; Backend(name) is the name, lower-cased, as in torch."""
    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"
    backend_list = [UNDEFINED, GLOO, NCCL, XCCL, UCC, MPI]

    def __new__(cls, name: str) -> str:
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        return name.lower() if value == Backend.UNDEFINED else value


class ReduceOp:
    """Reduction operators; over one process every one of them leaves the tensor as it is."""
    from enum import IntEnum as _IntEnum

    class RedOpType(_IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8
        UNUSED = 9

        def __str__(self) -> str:
            return f"RedOpType.{self.name}"

    SUM, AVG, PRODUCT, MIN, MAX = (RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT,
                                   RedOpType.MIN, RedOpType.MAX)
    BAND, BOR, BXOR, PREMUL_SUM = (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR,
                                   RedOpType.PREMUL_SUM)
    del _IntEnum


reduce_op = ReduceOp


class ProcessGroup:
    """A group of processes: always this one process, rank 0."""

    def __init__(self, backend: str = Backend.GLOO) -> None:
        self._backend = backend

    def rank(self) -> int:
        return 0

    def size(self) -> int:
        return 1

    def name(self) -> str:
        return self._backend


class Work:
    """The handle of an async_op collective: already done (nothing to wait for)."""

    def wait(self, timeout: Any = None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True

    def is_success(self) -> bool:
        return True

    def exception(self) -> None:
        return None


class GroupMember:
    """GroupMember.WORLD: the default group, None until init_process_group."""
    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = -100


group = GroupMember


def is_available() -> bool:
    """True, as torch's CPU build (gloo); groups hold this one process only."""
    return True


def is_gloo_available() -> bool:
    return True


def is_nccl_available() -> bool:
    return False


def is_mpi_available() -> bool:
    return False


def is_ucc_available() -> bool:
    return False


def is_xccl_available() -> bool:
    return False


def is_initialized() -> bool:
    return GroupMember.WORLD is not None


def is_torchelastic_launched() -> bool:
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def _world() -> ProcessGroup:
    if GroupMember.WORLD is None:
        raise ValueError(_NOT_INITIALIZED)
    return GroupMember.WORLD


def _rendezvous_error(msg: str) -> ValueError:
    return ValueError("Error initializing torch.distributed using " + msg)


def _rendezvous(url: str, rank: int, world_size: int) -> tuple[int, int]:
    """torch's rendezvous checks for env://, tcp:// and file://: (rank, world_size). No store
    is created: with one process there is nobody to meet."""
    for name, value in (("rank", rank), ("world_size", world_size)):
        if not isinstance(value, int):
            raise RuntimeError(f"`{name}` must be an integer. {value}")
    result = urlparse(url)
    query = dict(parse_qsl(result.query))
    if rank != -1:
        query["rank"] = str(rank)
    if world_size != -1:
        query["world_size"] = str(world_size)
    scheme = result.scheme
    if scheme == "env":
        def env(var: str) -> str:
            value = os.environ.get(var)
            if not value:
                raise _rendezvous_error(
                    f"env:// rendezvous: environment variable {var} expected, but not set")
            return value
        rank = int(query["rank"]) if "rank" in query else int(env("RANK"))
        world_size = (int(query["world_size"]) if "world_size" in query
                      else int(env("WORLD_SIZE")))
        env("MASTER_ADDR")
        int(env("MASTER_PORT"))
        return rank, world_size
    if scheme in ("tcp", "file"):
        if scheme == "tcp" and result.port is None:
            raise _rendezvous_error("tcp:// rendezvous: port number missing")
        if scheme == "file" and not result.path:
            raise _rendezvous_error("file:// rendezvous: path missing")
        if "rank" not in query:
            raise _rendezvous_error(f"{scheme}:// rendezvous: rank parameter missing")
        if "world_size" not in query:
            raise _rendezvous_error(f"{scheme}:// rendezvous: world size parameter missing")
        return int(query["rank"]), int(query["world_size"])
    raise RuntimeError(f"No rendezvous handler for {scheme}://")


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: Any = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Initialize the default group: one process, so world_size must be 1 and rank 0."""
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None and init_method is not None:
        raise AssertionError("Cannot specify both init_method and store.")
    if store is not None:
        raise NotImplementedError("torch.distributed stores are not implemented in torchlike")
    rank, world_size = _rendezvous(init_method or "env://", rank, world_size)
    name = Backend(backend or "gloo")
    if name in ("cpu:gloo", Backend.GLOO):
        name = Backend.GLOO
    elif name in (Backend.NCCL, Backend.MPI, Backend.UCC, Backend.XCCL):
        raise RuntimeError(f"Distributed package doesn't have {name.upper()} built in")
    else:
        raise AssertionError(f"Unknown backend type {name}")
    if world_size != 1:
        raise NotImplementedError(
            f"torch.distributed process groups of more than one process (world_size="
            f"{world_size}) are not implemented in torchlike: it cannot join other processes")
    if rank != 0:
        raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, 0]")
    GroupMember.WORLD = ProcessGroup(name)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    if GroupMember.WORLD is None:
        raise AssertionError("Process group cannot be None")
    if group is None or group is GroupMember.WORLD:
        GroupMember.WORLD = None


def new_group(ranks: list[int] | None = None, timeout: Any = None, backend: str | None = None,
              pg_options: Any = None, use_local_synchronization: bool = False,
              group_desc: str | None = None, device_id: Any = None) -> ProcessGroup:
    world = _world()
    if ranks is not None and len(ranks) > 1:
        raise ValueError("the new group's world size should be less or equal to the world "
                         "size set by init_process_group")
    return ProcessGroup(Backend(backend) if backend else world._backend)


def get_rank(group: ProcessGroup | None = None) -> int:
    _world()
    return 0


def get_world_size(group: ProcessGroup | None = None) -> int:
    _world()
    return 1


def get_backend(group: ProcessGroup | None = None) -> str:
    return (group or _world())._backend


def get_process_group_ranks(group: ProcessGroup | None) -> list[int]:
    _world()
    return [0]


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    _world()
    return group_rank


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    _world()
    return global_rank


def _done(async_op: bool) -> Work | None:
    return Work() if async_op else None


def _shape(t: Any) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def _same_size(op: str, want: Any, got: Any) -> None:
    """gloo's check that a buffer matches the tensor it exchanges with."""
    if tuple(want.shape) != tuple(got.shape):
        raise RuntimeError(f"ProcessGroupGloo::{op}: invalid tensor size at index 0 "
                           f"(expected {_shape(want)}, got {_shape(got)})")


def _copy(dst: Any, src: Any) -> None:
    with _no_grad():
        dst.copy_(src)


def barrier(group: ProcessGroup | None = None, async_op: bool = False,
            device_ids: Any = None) -> Work | None:
    _world()
    return _done(async_op)


def monitored_barrier(group: ProcessGroup | None = None, timeout: Any = None,
                      wait_all_ranks: bool = False) -> None:
    _world()


def all_reduce(tensor: Any, op: Any = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """In place; over one process every reduction is the identity."""
    _world()
    return _done(async_op)


def reduce(tensor: Any, dst: int | None = None, op: Any = ReduceOp.SUM,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None) -> Work | None:
    _world()
    return _done(async_op)


def broadcast(tensor: Any, src: int | None = None, group: ProcessGroup | None = None,
              async_op: bool = False, group_src: int | None = None) -> Work | None:
    _world()
    root = src if group_src is None else group_src
    if root != 0:
        raise RuntimeError(f"ProcessGroupGloo::broadcast: invalid root rank: {root}")
    return _done(async_op)


def all_gather(tensor_list: list, tensor: Any, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    _world()
    if len(tensor_list) != 1:
        raise RuntimeError("ProcessGroupGloo::allgather: invalid output tensor list at index 0 "
                           f"(expected length 1, got {len(tensor_list)})")
    _same_size("allgather", tensor, tensor_list[0])
    _copy(tensor_list[0], tensor)
    return _done(async_op)


def all_gather_into_tensor(output_tensor: Any, input_tensor: Any,
                           group: ProcessGroup | None = None,
                           async_op: bool = False) -> Work | None:
    _world()
    _same_size("allgather", input_tensor, output_tensor)
    if output_tensor.dtype != input_tensor.dtype:
        raise RuntimeError(f"ProcessGroupGloo::allgather: invalid tensor type at index 0 "
                           f"(expected dtype {input_tensor.dtype}, got {output_tensor.dtype})")
    _copy(output_tensor, input_tensor)
    return _done(async_op)


def reduce_scatter_tensor(output: Any, input: Any, op: Any = ReduceOp.SUM,
                          group: ProcessGroup | None = None,
                          async_op: bool = False) -> Work | None:
    _world()
    if output.shape[0] != input.shape[0]:
        raise RuntimeError("ProcessGroupGloo::reduce_scatter: Check failed: outputShape[0] * "
                           f"worldSize == inputShape[0] ({output.shape[0]} vs. "
                           f"{input.shape[0]}).")
    _copy(output, input)
    return _done(async_op)


def gather(tensor: Any, gather_list: list | None = None, dst: int | None = None,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None) -> Work | None:
    _world()
    if not gather_list:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    _same_size("gather", tensor, gather_list[0])
    _copy(gather_list[0], tensor)
    return _done(async_op)


def scatter(tensor: Any, scatter_list: list | None = None, src: int | None = None,
            group: ProcessGroup | None = None, async_op: bool = False,
            group_src: int | None = None) -> Work | None:
    _world()
    if not scatter_list:
        raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
    _same_size("scatter", tensor, scatter_list[0])
    _copy(tensor, scatter_list[0])
    return _done(async_op)


def all_gather_object(object_list: list, obj: Any, group: ProcessGroup | None = None) -> None:
    _world()
    object_list[0] = obj


def broadcast_object_list(object_list: list, src: int | None = None,
                          group: ProcessGroup | None = None, device: Any = None,
                          group_src: int | None = None) -> None:
    _world()


__getattr__ = _missing("torch.distributed.distributed_c10d")
