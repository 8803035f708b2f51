"""Collectives of picklable objects over a group of one process. torch sends each object
pickled and unpickles what arrives, so the results are copies (the source's own list in
broadcast_object_list is left as it is); the checks and errors are torch's."""
from __future__ import annotations

import io
import pickle
from typing import Any

from .distributed_c10d import ProcessGroup, _canonical_rank, _group, _not_member
from ._collectives import _list_side, _root, _root_list


def _through_wire(obj: Any) -> Any:
    """obj as the receiving end gets it: pickled and unpickled."""
    buf = io.BytesIO()
    pickle.Pickler(buf).dump(obj)
    buf.seek(0)
    return pickle.Unpickler(buf).load()


def all_gather_object(object_list: list, obj: Any, group: ProcessGroup | None = None) -> None:
    if _not_member(group):
        return
    _group(group)
    object_list[0] = _through_wire(obj)


def _root_of(group: ProcessGroup | None, rank: int | None, group_rank: int | None) -> tuple:
    """(the group, the root rank: 0 unless one is named)."""
    g = _group(group)
    return g, _canonical_rank(g, 0 if rank is None and group_rank is None else rank,
                              group_rank)


def gather_object(obj: Any, object_gather_list: list | None = None, dst: int | None = None,
                  group: ProcessGroup | None = None, group_dst: int | None = None) -> None:
    g, root = _root_of(group, dst, group_dst)
    if _not_member(g):
        return
    _list_side("gather", root, object_gather_list)
    value = _through_wire(obj)
    _root("gather", root)
    object_gather_list[0] = value


def broadcast_object_list(object_list: list, src: int | None = None,
                          group: ProcessGroup | None = None, device: Any = None,
                          group_src: int | None = None) -> None:
    g, root = _root_of(group, src, group_src)
    if _not_member(g):
        return
    if root == 0:
        if not object_list:
            raise ValueError("not enough values to unpack (expected 2, got 0)")
        for obj in object_list:  # torch pickles them to send: unpicklable objects fail
            pickle.dumps(obj)
    _root("broadcast", root)


def scatter_object_list(scatter_object_output_list: list,
                        scatter_object_input_list: list | None = None, src: int | None = None,
                        group: ProcessGroup | None = None, group_src: int | None = None) -> None:
    g, root = _root_of(group, src, group_src)
    if _not_member(g):
        return
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at "
                         "least 1.")
    if root == 0:
        if scatter_object_input_list is None:
            raise ValueError("source rank must provide non-None scatter_object_input_list")
        if not scatter_object_input_list:
            raise ValueError("not enough values to unpack (expected 2, got 0)")
    _root("broadcast", root)  # torch first broadcasts the largest size from the source
    values = [_through_wire(obj) for obj in scatter_object_input_list]
    _root_list("scatter", root, values)
    scatter_object_output_list[0] = values[0]
