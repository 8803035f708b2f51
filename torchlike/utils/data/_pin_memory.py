"""pin_memory(batch): what DataLoader(pin_memory=True) does to each batch when an accelerator
is present: every tensor (or object with a pin_memory method) inside the containers pinned."""
from __future__ import annotations

import collections.abc
import copy


def pin_memory(data):
    if hasattr(data, "pin_memory"):  # tensors, PackedSequence, a user's batch class
        return data.pin_memory()
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        pinned = {k: pin_memory(v) for k, v in data.items()}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)  # keeps a mapping type's own attributes
                clone.update(pinned)
                return clone
            return type(data)(pinned)
        except TypeError:
            return pinned
    if isinstance(data, tuple):
        items = (pin_memory(d) for d in data)
        return type(data)(*items) if hasattr(data, "_fields") else type(data)(items)
    if isinstance(data, collections.abc.Sequence):
        pinned = [pin_memory(d) for d in data]
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                clone[:] = pinned
                return clone
            return type(data)(pinned)
        except TypeError:
            return pinned
    return data
