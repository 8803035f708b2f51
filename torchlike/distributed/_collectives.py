"""The tensor collectives over a group of one process, with torch's argument checks and the
gloo backend's errors. With one process a reduction leaves the tensor as it is, a gather or
scatter copies its one tensor, and each returns a finished Work when async_op is set."""
from __future__ import annotations

import functools
import warnings
from typing import Any

from .. import Tensor
from ..autograd import grad_mode
from .distributed_c10d import (ProcessGroup, ReduceOp, _canonical_rank, _check_valid_timeout,
                               _group, _not_member, _red_op, get_backend, Backend,
                               default_pg_timeout)
from ._work import Work

_NO_COMPLEX = (ReduceOp.MAX, ReduceOp.MIN, ReduceOp.PRODUCT, ReduceOp.BAND, ReduceOp.BOR,
               ReduceOp.BXOR)
_BITWISE = (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR)


# ---- torch's checks ---------------------------------------------------------------------
def _type(x: Any) -> str:
    """repr(type(x)), torch's name for a Tensor."""
    return "<class 'torch.Tensor'>" if type(x) is Tensor else repr(type(x))


def _check_tensor(param: Any, name: str) -> None:
    if not isinstance(param, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"torch.Tensor\n             but got {_type(param)} instead.")


def _check_tensor_list(param: Any, name: str) -> None:
    if not isinstance(param, list):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {_type(param)} instead.")
    if not all(isinstance(p, Tensor) for p in param):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {_type(param)} with elements "
                        f"of type [{', '.join(_type(p) for p in param)}].")


def _same_dtype(*tensors: Any) -> None:
    """One dtype among all tensors (a complex one counts as its real part's)."""
    last = None
    for t in (x for arg in tensors for x in (arg if isinstance(arg, list) else [arg])):
        dt = t.dtype
        if dt.is_complex:  # (torch's rule, complex128 included)
            from .. import complex64, complex128, float32
            dt = float32 if dt == complex64 else complex128
        if last is None:
            last = dt
        elif last != dt:
            raise ValueError(f"Invalid usage of tensors with different dtypesFound {last} and  "
                             f"{t.dtype}")


def _shape(t: Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def _same_size(op: str, want: Tensor, got: Tensor) -> None:
    """gloo's check that a buffer matches the tensor it exchanges with."""
    if tuple(want.shape) != tuple(got.shape):
        raise RuntimeError(f"ProcessGroupGloo::{op}: invalid tensor size at index 0 "
                           f"(expected {_shape(want)}, got {_shape(got)})")


def _options(t: Tensor) -> str:
    """A CPU tensor's TensorOptions as c10 prints them."""
    from .._tensor import _CTYPE
    return (f"TensorOptions(dtype={_CTYPE[t.dtype.name]}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


def _root(op: str, rank: int) -> None:
    if rank != 0:
        raise RuntimeError(f"ProcessGroupGloo::{op}: invalid root rank: {rank}")


def _reduce_check(tensor: Tensor, op: Any, divides: bool = True) -> Any:
    """gloo's dtype checks of a reduction; AVG divides by the world size (1) in place."""
    op = _red_op(op)
    if op in _BITWISE and (tensor.dtype.is_floating_point or tensor.dtype.is_complex):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    if op == ReduceOp.AVG:
        if not (tensor.dtype.is_floating_point or tensor.dtype.is_complex):
            from .._tensor import _SHORT
            raise RuntimeError(f"result type Float can't be cast to the desired output type "
                               f"{_SHORT[tensor.dtype.name]}")
        if divides:
            tensor._vc[0] += 1  # torch divides in place: a write
    return op


def _copy(dst: Tensor, src: Tensor) -> None:
    """dst.copy_(src) as gloo writes a received tensor (an in-place write autograd sees)."""
    if grad_mode.is_grad_enabled() and dst.requires_grad and dst.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    with grad_mode.no_grad():
        dst.copy_(src)


def _done(async_op: bool, result: list, has_result: bool = True) -> Work | None:
    return Work(result, has_result) if async_op else None


def _deprecated(name: str, new: str, private: bool = False):
    what = ("is a private function and will be deprecated" if private else "is deprecated")
    msg = f"`torch.distributed.{name}` {what}. Please use `torch.distributed.{new}` instead."

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            warnings.warn(msg, FutureWarning, stacklevel=2)
            return fn(*args, **kwargs)
        return inner
    return wrap


# ---- reductions and broadcast -------------------------------------------------------------
def all_reduce(tensor: Tensor, op: Any = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """In place; over one process every reduction is the identity."""
    _check_tensor(tensor, "tensor")
    if _not_member(group):
        return None
    if tensor.is_complex() and _red_op(op) in _NO_COMPLEX:
        raise ValueError(f"all_reduce does not support {_red_op(op)} on complex tensors")
    _group(group)
    _reduce_check(tensor, op)
    return _done(async_op, [tensor])


def reduce(tensor: Tensor, dst: int | None = None, op: Any = ReduceOp.SUM,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None) -> Work | None:
    g = _group(group)
    root = _canonical_rank(g, dst, group_dst)
    _check_tensor(tensor, "tensor")
    if _not_member(g):
        return None
    _root("reduce", root)
    _reduce_check(tensor, op)
    return _done(async_op, [tensor])


def broadcast(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
              async_op: bool = False, group_src: int | None = None) -> Work | None:
    g = _group(group)
    root = _canonical_rank(g, src, group_src)
    _check_tensor(tensor, "tensor")
    if _not_member(g):
        return None
    _root("broadcast", root)
    return _done(async_op, [tensor])


# ---- gathers ------------------------------------------------------------------------------
def all_gather(tensor_list: list, tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    _check_tensor_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    _same_dtype(tensor_list, tensor)
    if _not_member(group):
        return None
    _group(group)
    if len(tensor_list) != 1:
        raise RuntimeError("ProcessGroupGloo::allgather: invalid output tensor list at index 0 "
                           f"(expected length 1, got {len(tensor_list)})")
    _same_size("allgather", tensor, tensor_list[0])
    _copy(tensor_list[0], tensor)
    return _done(async_op, list(tensor_list))


def all_gather_single(output_tensor: Tensor, input_tensor: Tensor,
                      group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    _check_tensor(input_tensor, "input_tensor")
    _check_tensor(output_tensor, "output_tensor")
    if _not_member(group):
        return None
    _group(group)
    _same_size("allgather", input_tensor, output_tensor)
    if output_tensor.dtype != input_tensor.dtype:
        raise RuntimeError(f"ProcessGroupGloo::allgather: invalid tensor type at index 0 "
                           f"(expected {_options(input_tensor)}, got {_options(output_tensor)})")
    _copy(output_tensor, input_tensor)
    return _done(async_op, [output_tensor])


all_gather_into_tensor = _deprecated("all_gather_into_tensor", "all_gather_single")(
    all_gather_single)
_all_gather_base = _deprecated("_all_gather_base", "all_gather_single", True)(all_gather_single)


def _tensor_and_list(tensor: Tensor, lst: list | None, name: str) -> list:
    _check_tensor(tensor, "tensor")
    if lst:
        _check_tensor_list(lst, name)
    _same_dtype(tensor, lst or [])
    return lst or []


_ROLES = {"gather": ("gather_list", "destination", "output"),
          "scatter": ("scatter_list", "source", "input")}


def _list_side(op: str, root: int, lst: Any) -> None:
    """torch's check that the list a gather's destination (a scatter's source) gives is
    given there, and only there."""
    name, role, _ = _ROLES[op]
    if root == 0 and not lst:
        raise ValueError(f"Argument ``{name}`` must be specified on {role} rank.")
    if root != 0 and lst:
        raise ValueError(f"Argument ``{name}`` must NOT be specified on non-{role} ranks.")


def _root_list(op: str, root: int, lst: list) -> None:
    """The list of a gather (scatter) at its root: one item per process (torch's, then
    gloo's checks)."""
    _list_side(op, root, lst)
    _root(op, root)
    what = _ROLES[op][2]
    if len(lst) != 1:
        raise RuntimeError(f"ProcessGroupGloo::{op}: Incorrect {what} list size {len(lst)}. "
                           f"{what.capitalize()} list size should be 1, same as size of the "
                           "process group.")


def gather(tensor: Tensor, gather_list: list | None = None, dst: int | None = None,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None) -> Work | None:
    gather_list = _tensor_and_list(tensor, gather_list, "gather_list")
    g = _group(group)
    if _not_member(g):
        return None
    root = _canonical_rank(g, 0 if dst is None and group_dst is None else dst, group_dst)
    _root_list("gather", root, gather_list)
    _same_size("gather", tensor, gather_list[0])
    _copy(gather_list[0], tensor)
    return _done(async_op, list(gather_list))


# ---- scatters -----------------------------------------------------------------------------
def scatter(tensor: Tensor, scatter_list: list | None = None, src: int | None = None,
            group: ProcessGroup | None = None, async_op: bool = False,
            group_src: int | None = None) -> Work | None:
    scatter_list = _tensor_and_list(tensor, scatter_list, "scatter_list")
    g = _group(group)
    root = _canonical_rank(g, 0 if src is None and group_src is None else src, group_src)
    if _not_member(g):
        return None
    _root_list("scatter", root, scatter_list)
    _same_size("scatter", tensor, scatter_list[0])
    _write(tensor, scatter_list[0])
    return _done(async_op, [tensor])


def _write(dst: Tensor, src: Tensor) -> None:
    """gloo receiving into dst's memory directly: its values change, not its version."""
    with grad_mode.no_grad():
        version = dst._vc[0]
        dst.copy_(src.reshape(dst.shape))
        dst._vc[0] = version


def reduce_scatter(output: Tensor, input_list: list, op: Any = ReduceOp.SUM,
                   group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    _check_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    _same_dtype(output, input_list)
    if _not_member(group):
        return None
    _group(group)
    if len(input_list) != 1:
        raise RuntimeError("invalid input tensor list size, must be world size")
    if tuple(output.shape) != tuple(input_list[0].shape):
        raise RuntimeError(f"Check failed: outputs[0].sizes().vec() == inputs[0][i].sizes()."
                           f"vec() ({_shape(output)[1:-1]} vs. {_shape(input_list[0])[1:-1]}). ")
    _reduce_check(input_list[0], op, divides=False)
    _copy(output, input_list[0])
    return _done(async_op, [output], has_result=False)


def reduce_scatter_single(output: Tensor, input: Tensor, op: Any = ReduceOp.SUM,
                          group: ProcessGroup | None = None,
                          async_op: bool = False) -> Work | None:
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    if _not_member(group):
        return None
    _group(group)
    if output.dtype != input.dtype:
        from .._tensor import _CTYPE
        raise RuntimeError(f"Check failed: outputTensors[i].dtype() == inputTensors[i].dtype() "
                           f"({_CTYPE[output.dtype.name]} vs. {_CTYPE[input.dtype.name]}). ")
    if output.shape[0] != input.shape[0]:
        raise RuntimeError(f"Check failed: outputShape[0] * worldSize == inputShape[0] "
                           f"({output.shape[0]} vs. {input.shape[0]}). ")
    _reduce_check(input, op, divides=False)
    _copy(output, input)
    return _done(async_op, [output], has_result=False)


reduce_scatter_tensor = _deprecated("reduce_scatter_tensor", "reduce_scatter_single")(
    reduce_scatter_single)
_reduce_scatter_base = _deprecated("_reduce_scatter_base", "reduce_scatter_single", True)(
    reduce_scatter_single)


# ---- all-to-all ---------------------------------------------------------------------------
def all_to_all(output_tensor_list: list, input_tensor_list: list,
               group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    if _not_member(group):
        return None
    _check_tensor_list(output_tensor_list, "output_tensor_list")
    _check_tensor_list(input_tensor_list, "input_tensor_list")
    _same_dtype(output_tensor_list, input_tensor_list)
    _group(group)
    for what, lst in (("output", output_tensor_list), ("input", input_tensor_list)):
        if len(lst) != 1:
            raise RuntimeError(f"ProcessGroupGloo::alltoall: {what} tensor list size {len(lst)} "
                               "does not match world size 1")
    if output_tensor_list[0].numel() != input_tensor_list[0].numel():
        raise RuntimeError("ProcessGroupGloo::alltoall: input and output tensors must have the "
                           "same size")
    _copy(output_tensor_list[0], input_tensor_list[0].reshape(output_tensor_list[0].shape))
    return _done(async_op, list(output_tensor_list))


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes: list | None = None,
                      input_split_sizes: list | None = None,
                      group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    if _not_member(group):
        return None
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    _same_dtype(output, input)
    _group(group)
    for t, splits in ((output, output_split_sizes), (input, input_split_sizes)):
        if splits:
            if len(splits) != 1:
                raise RuntimeError("Number of tensor splits not equal to group size")
            if splits[0] != (t.shape[0] if t.dim() else 1):
                raise RuntimeError("Split sizes doesn't match total dim 0 size")
    if output.numel() != input.numel():
        raise RuntimeError("[enforce fail at /__w/pytorch/pytorch/third_party/gloo/gloo/"
                           "alltoall.cc:30] in->size == out->size. ")
    _write(output, input)
    return _done(async_op, [output])


# ---- barriers -----------------------------------------------------------------------------
def barrier(group: ProcessGroup | None = None, async_op: bool = False, device_ids: Any = None,
            timeout: Any = None) -> Work | None:
    g = _group(group)
    if _not_member(g):
        return None
    return _done(async_op, [])


def monitored_barrier(group: ProcessGroup | None = None, timeout: Any = None,
                      wait_all_ranks: bool = False) -> None:
    if _not_member(group):
        return None
    if Backend(get_backend(group).split(":")[-1]) != Backend.GLOO:
        raise ValueError("monitored_barrier is only implemented for GLOO backend.")
    if timeout is None:
        timeout = default_pg_timeout
    elif isinstance(timeout, float):
        from datetime import timedelta
        warnings.warn("Please specify timeout arg as a timedelta. Converting current value of "
                      f"{timeout} assuming it represents seconds", stacklevel=2)
        timeout = timedelta(seconds=timeout)
    _check_valid_timeout(timeout)
    return None
