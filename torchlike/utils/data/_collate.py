"""default_collate / default_convert: samples -> batched tensors, as torch does it."""
from __future__ import annotations

import collections.abc
import re

import numpy as np

from ... import _device
from ... import _dtype as D
from ..._tensor import Tensor, _wrap

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")
_NP_STR = re.compile(r"[SaUO]")


def _equal_size(shapes) -> None:
    """torch.stack's check, for the batches stacked on the host."""
    first = shapes[0]
    for i, shape in enumerate(shapes):
        if shape != first:
            raise RuntimeError("stack expects each tensor to be equal size, but got "
                               f"{list(first)} at entry 0 and {list(shape)} at entry {i}")


def _stack(batch) -> Tensor:
    """torch.stack(batch); host tensors without grad are stacked on the host (no compile per
    batch size), anything else goes through the stack op."""
    if all(not t._rg and t.device.type == "cpu" for t in batch):
        _equal_size([t._data.shape for t in batch])
        return _wrap(_device.as_array(np.stack([np.asarray(t._data) for t in batch])))
    from ... import stack
    return stack(batch, 0)


def default_collate(batch):
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return _stack(batch)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ in ("ndarray", "memmap"):
            if _NP_STR.search(elem.dtype.str) is not None:
                raise TypeError(_ERR.format(elem.dtype))
            _equal_size([b.shape for b in batch])
            return _wrap(_device.as_array(np.stack(batch).astype(
                D.from_np(elem.dtype).np, copy=False)))
        if elem.shape == ():
            arr = np.asarray(batch)
            return _wrap(_device.as_array(np.array(arr, D.from_np(arr.dtype).np)))
    if isinstance(elem, bool):
        return _wrap(_device.as_array(np.array(batch, np.bool_)))
    if isinstance(elem, float):
        return _wrap(_device.as_array(np.array(batch, np.float64)))
    if isinstance(elem, int):
        return _wrap(_device.as_array(np.array(batch, np.int64)))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return elem_type({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        size = len(next(it))
        if not all(len(e) == size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            return elem_type([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(_ERR.format(elem_type))


def default_convert(data):
    """Without batching: numpy arrays become tensors, containers are converted inside."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and _NP_STR.search(data.dtype.str) is not None:
            return data
        arr = np.asarray(data)
        return _wrap(_device.as_array(np.array(arr, D.from_np(arr.dtype).np)))
    if isinstance(data, collections.abc.Mapping):
        try:
            return elem_type({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
