"""torch.distributed's process groups, for a world of one process.

torchlike cannot join other processes, so the default group is this process alone
(world_size=1, rank 0, backend gloo); groups made by new_group hold it too (or nothing, for a
group it is not in). The collectives (_collectives.py), object collectives (_objects.py) and
point-to-point calls (_p2p.py) act on these groups with torch's gloo checks and errors, and
are re-exported here as in torch's module.
"""
from __future__ import annotations

import os
import warnings
from datetime import timedelta
from enum import IntEnum
from typing import Any
from urllib.parse import parse_qsl, urlparse

from .._errors import missing as _missing

_NOT_INITIALIZED = ("Default process group has not been initialized, "
                    "please make sure to call init_process_group.")

default_pg_timeout = timedelta(minutes=30)


class Backend(str):
    """Backend names; Backend(name) is the name, lower-cased, as in torch."""
    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"
    FAKE = "fake"
    backend_list = [UNDEFINED, GLOO, NCCL, XCCL, UCC, MPI, FAKE]
    default_device_backend_map = {"cpu": GLOO, "cuda": NCCL, "xpu": XCCL, "mps": GLOO}
    backend_capability = {GLOO: ["cpu", "cuda"], NCCL: ["cuda"], XCCL: ["xpu"],
                          UCC: ["cpu", "cuda"], MPI: ["cpu", "cuda"],
                          FAKE: ["cpu", "cuda", "hpu", "xpu"]}

    def __new__(cls, name: str) -> str:
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        return name.lower() if value == Backend.UNDEFINED else value


class _RedOpType(IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8

    def __str__(self) -> str:
        return f"RedOpType.{self.name}"


_RedOpType.__name__ = _RedOpType.__qualname__ = "RedOpType"


class ReduceOp:
    """Reduction operators: ReduceOp.SUM and the others are RedOpType members; ReduceOp(op)
    wraps one (equal to it). Over one process every reduction leaves the tensor as it is."""

    RedOpType = _RedOpType
    SUM, AVG, PRODUCT, MIN, MAX = (_RedOpType.SUM, _RedOpType.AVG, _RedOpType.PRODUCT,
                                   _RedOpType.MIN, _RedOpType.MAX)
    BAND, BOR, BXOR, PREMUL_SUM = (_RedOpType.BAND, _RedOpType.BOR, _RedOpType.BXOR,
                                   _RedOpType.PREMUL_SUM)

    def __init__(self, *op: _RedOpType) -> None:
        if len(op) != 1 or not isinstance(op[0], _RedOpType):
            raise TypeError("__init__(): incompatible constructor arguments. The following "
                            "argument types are supported:\n    1. torch._C._distributed_c10d."
                            "ReduceOp(arg0: c10d::ReduceOp::RedOpType)\n\nInvoked with: "
                            + ", ".join(map(repr, op)))
        op = op[0]
        self.op = op

    def __eq__(self, other: object) -> bool:
        return self.op == (other.op if isinstance(other, ReduceOp) else other)

    def __hash__(self) -> int:
        return hash(self.op)


class _reduce_op:
    """torch.distributed.reduce_op: ReduceOp's members, deprecated (each read warns)."""

    def __init__(self) -> None:
        for name, member in _RedOpType.__members__.items():
            setattr(self, name, member)
        self.__members__ = _RedOpType.__members__

    def __getattribute__(self, key: str) -> Any:
        warnings.warn("`torch.distributed.reduce_op` is deprecated, please use "
                      "`torch.distributed.ReduceOp` instead", FutureWarning, stacklevel=2)
        return object.__getattribute__(self, key)


reduce_op = _reduce_op()


def _red_op(op: Any) -> _RedOpType:
    """The RedOpType that `op` names (torch's binding accepts RedOpType and ReduceOp only)."""
    if isinstance(op, ReduceOp):
        op = op.op
    if not isinstance(op, _RedOpType) or op == _RedOpType.PREMUL_SUM:
        raise TypeError("(): incompatible function arguments. The following argument types are "
                        "supported:\n    1. (self: torch._C._distributed_c10d.AllreduceOptions, "
                        "arg0: torch._C._distributed_c10d.ReduceOp) -> None\n\nInvoked with: "
                        f"{op!r}")
    return op


class ProcessGroup:
    """A group of processes: this one process (rank 0, size 1)."""

    def __init__(self, backend: str = Backend.GLOO, timeout: timedelta = default_pg_timeout,
                 name: str = "0", config: str = "cpu:gloo,cuda:gloo") -> None:
        self._backend = backend
        self._timeout = timeout
        self._config = config
        self.group_name = name

    def rank(self) -> int:
        return 0

    def size(self) -> int:
        return 1

    def name(self) -> str:
        return Backend(self._backend.split(":")[-1])


class _WorldMeta(type):
    """`WORLD` of group and GroupMember: the default group, None until init_process_group."""
    _default_group: ProcessGroup | None = None

    @property
    def WORLD(cls) -> ProcessGroup | None:
        return _WorldMeta._default_group

    @WORLD.setter
    def WORLD(cls, pg: ProcessGroup | None) -> None:
        _WorldMeta._default_group = pg


class group(metaclass=_WorldMeta):
    """Group class. Placeholder."""


class GroupMember(metaclass=_WorldMeta):
    """Group member class."""
    NON_GROUP_MEMBER = -100
_group_count = [0]  # groups made since the default one: their names


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


def is_backend_available(backend: str) -> bool:
    """gloo's availability, for a name or "device:backend" pairs; a backend torch knows only
    by name (fake, undefined) counts as available, as in torch."""
    if ":" in backend.lower():
        return all(is_backend_available(pair.split(":")[-1])
                   for pair in backend.lower().split(","))
    check = globals().get(f"is_{backend.lower()}_available")
    return check() if check else backend.lower() in Backend.backend_list


def is_initialized() -> bool:
    return GroupMember.WORLD is not None


def is_torchelastic_launched() -> bool:
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def _world() -> ProcessGroup:
    if GroupMember.WORLD is None:
        raise ValueError(_NOT_INITIALIZED)
    return GroupMember.WORLD


def _group(group: ProcessGroup | None) -> ProcessGroup:
    """`group`, or the default group for None (torch's _group_or_default_group)."""
    return _world() if group is None or group is GroupMember.WORLD else group


def _not_member(group: Any) -> bool:
    return group is not None and group is GroupMember.NON_GROUP_MEMBER


def _check_valid_timeout(timeout: Any) -> None:
    if not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{timeout}")


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


def _backend_and_config(backend: str | None) -> tuple[str, str]:
    """(the name get_backend reports, get_backend_config's text) for a backend argument."""
    name = Backend(backend or "gloo")
    if ":" in name:  # "device:backend" pairs, as "cpu:gloo"
        backends = {p.split(":")[1] for p in name.split(",")}
        unknown = backends - {Backend.GLOO}
        if unknown:
            _no_backend(unknown.pop())
        return name, name
    if name == Backend.GLOO:
        return name, "cpu:gloo,cuda:gloo"
    _no_backend(name)


def _no_backend(name: str) -> None:
    """torch's error for a backend its CPU build lacks (torchlike has gloo only)."""
    if name == Backend.MPI:
        raise RuntimeError("Distributed package doesn't have MPI built in. MPI is only included "
                           "if you build PyTorch from source on a host that has MPI installed.")
    if name in (Backend.NCCL, Backend.XCCL):
        raise RuntimeError(f"Distributed package doesn't have {name.upper()} built in")
    if name == Backend.UCC:
        raise AssertionError("Unknown c10d backend type UCC")
    warnings.warn(f"Device capability of {name} unknown, assuming `cpu` and `cuda`. You can "
                  "specify it in `device:backend` format in `init_process_group` call.",
                  stacklevel=4)
    raise AssertionError(f"Unknown backend type {name}")


def _default_timeout(backend: str | None) -> timedelta:
    if backend is not None and Backend(backend) == Backend.NCCL:
        warnings.warn("Attempted to get default timeout for nccl backend, but NCCL support is "
                      "not compiled", stacklevel=3)
    return default_pg_timeout


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: Any = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Initialize the default group: one process, so world_size must be 1 and rank 0."""
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if timeout is not None:
        _check_valid_timeout(timeout)
    if store is not None and init_method is not None:
        raise AssertionError("Cannot specify both init_method and store.")
    if store is not None:
        raise NotImplementedError("torch.distributed stores are not implemented in torchlike")
    if backend == Backend.MPI:
        if world_size != -1 or rank != -1:
            warnings.warn(f"For MPI backend, world_size ({world_size}) and rank ({rank}) are "
                          "ignored since they are assigned by the MPI runtime.", stacklevel=2)
        _no_backend(Backend.MPI)
    rank, world_size = _rendezvous(init_method or "env://", rank, world_size)
    if timeout is None:
        _default_timeout(backend)
    name, config = _backend_and_config(backend)
    if world_size != 1:
        raise NotImplementedError(
            f"torch.distributed process groups of more than one process (world_size="
            f"{world_size}) are not implemented in torchlike: it cannot join other processes")
    if rank != 0:
        raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, 0]")
    GroupMember.WORLD = ProcessGroup(name, timeout or default_pg_timeout, "0", config)
    _group_count[0] = 0


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    if GroupMember.WORLD is None:
        raise AssertionError("Process group cannot be None")
    if group is None or group is GroupMember.WORLD:
        GroupMember.WORLD = None


def new_group(ranks: list[int] | None = None, timeout: Any = None, backend: str | None = None,
              pg_options: Any = None, use_local_synchronization: bool = False,
              group_desc: str | None = None, device_id: Any = None,
              sort_ranks: bool = True) -> Any:
    """A group of `ranks` (of this one process): the process itself, or
    GroupMember.NON_GROUP_MEMBER for a group without it."""
    world = _world()
    if timeout is None:
        timeout = _default_timeout(backend or world._backend)
    _check_valid_timeout(timeout)
    if backend:
        name, config = _backend_and_config(backend)
    else:
        name, config = world._backend, world._config
    if use_local_synchronization and ranks is not None and 0 not in ranks:
        return None
    if ranks is not None:
        ranks = sorted(ranks) if sort_ranks else list(ranks)
        if len(set(ranks)) != len(ranks):
            raise ValueError(f"ranks list must not contain duplicate entries, got {ranks}")
        if len(ranks) > 1:
            raise ValueError("the new group's world size should be less or equal to the world "
                             "size set by init_process_group")
        for r in ranks:
            if r != 0:
                raise ValueError(f"Rank {r} is out of range. Valid ranks are 0 to 0 "
                                 "(world_size=1)")
        if not ranks:  # torch 2.13 fails making a group without this process in it
            raise TypeError("__init__(): incompatible constructor arguments. The following "
                            "argument types are supported:\n    1. torch._C._distributed_c10d."
                            "ProcessGroup(rank: typing.SupportsInt | typing.SupportsIndex, "
                            "size: typing.SupportsInt | typing.SupportsIndex)\n    2. torch._C."
                            "_distributed_c10d.ProcessGroup(store: torch._C._distributed_c10d."
                            "Store, rank: typing.SupportsInt | typing.SupportsIndex, size: "
                            "typing.SupportsInt | typing.SupportsIndex)\n\nInvoked with: "
                            "<PrefixStore>, None, 0")
    _group_count[0] += 1
    return ProcessGroup(name, timeout, str(_group_count[0]), config)


def _query_group(group: ProcessGroup | None) -> ProcessGroup:
    g = _group(group)
    if _not_member(g):
        raise ValueError("Invalid process group specified")
    return g


def get_rank(group: ProcessGroup | None = None) -> int:
    if _not_member(group):
        return -1
    _group(group)
    return 0


def get_world_size(group: ProcessGroup | None = None) -> int:
    if _not_member(group):
        return -1
    _group(group)
    return 1


def get_backend(group: ProcessGroup | None = None) -> str:
    return _query_group(group)._backend


def get_backend_config(group: ProcessGroup | None = None) -> str:
    return _query_group(group)._config


def get_process_group_ranks(group: ProcessGroup | None) -> list[int]:
    _group(group)
    return [0]


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    _world()
    if group is not GroupMember.WORLD and group_rank != 0:
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return group_rank


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    _world()
    if group is not GroupMember.WORLD and global_rank != 0:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return global_rank


def _canonical_rank(group: ProcessGroup, global_rank: int | None, group_rank: int | None,
                    return_global: bool = False) -> int:
    """The rank in `group` that exactly one of the two arguments names (torch's checks)."""
    if group_rank is not None:
        if global_rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        return get_global_rank(group, group_rank) if return_global else group_rank
    if global_rank is None:
        raise ValueError("Must specify global_rank or group_rank")
    return global_rank if return_global else get_group_rank(group, global_rank)


# The operations on groups, in modules of their own (they import the names above).
from ._work import Work as Work  # noqa: E402
from ._collectives import all_gather as all_gather  # noqa: E402
from ._collectives import all_gather_into_tensor as all_gather_into_tensor  # noqa: E402
from ._collectives import all_gather_single as all_gather_single  # noqa: E402
from ._collectives import all_reduce as all_reduce  # noqa: E402
from ._collectives import all_to_all as all_to_all  # noqa: E402
from ._collectives import all_to_all_single as all_to_all_single  # noqa: E402
from ._collectives import barrier as barrier  # noqa: E402
from ._collectives import broadcast as broadcast  # noqa: E402
from ._collectives import gather as gather  # noqa: E402
from ._collectives import monitored_barrier as monitored_barrier  # noqa: E402
from ._collectives import reduce as reduce  # noqa: E402
from ._collectives import reduce_scatter as reduce_scatter  # noqa: E402
from ._collectives import reduce_scatter_single as reduce_scatter_single  # noqa: E402
from ._collectives import reduce_scatter_tensor as reduce_scatter_tensor  # noqa: E402
from ._collectives import scatter as scatter  # noqa: E402
from ._collectives import _all_gather_base as _all_gather_base  # noqa: E402
from ._collectives import _reduce_scatter_base as _reduce_scatter_base  # noqa: E402
from ._objects import all_gather_object as all_gather_object  # noqa: E402
from ._objects import broadcast_object_list as broadcast_object_list  # noqa: E402
from ._objects import gather_object as gather_object  # noqa: E402
from ._objects import scatter_object_list as scatter_object_list  # noqa: E402
from ._p2p import P2POp as P2POp  # noqa: E402
from ._p2p import batch_isend_irecv as batch_isend_irecv  # noqa: E402
from ._p2p import irecv as irecv  # noqa: E402
from ._p2p import isend as isend  # noqa: E402
from ._p2p import recv as recv  # noqa: E402
from ._p2p import recv_object_list as recv_object_list  # noqa: E402
from ._p2p import send as send  # noqa: E402
from ._p2p import send_object_list as send_object_list  # noqa: E402

__getattr__ = _missing("torch.distributed.distributed_c10d")
