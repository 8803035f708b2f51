"""GradBucket: what a DDP communication hook receives, one bucket of gradients flattened into
one buffer (nn/parallel/_reducer.py makes them)."""
from __future__ import annotations

from typing import Any


class GradBucket:
    """Bucket `index` of a DDP model: `buffer()` holds its parameters' gradients one after
    another, `gradients()` are views of it shaped as `parameters()`."""

    def __init__(self, index: int, is_last: bool, buffer: Any, params: list) -> None:
        self._index, self._is_last = index, is_last
        self._buffer, self._params = buffer, list(params)

    def index(self) -> int:
        return self._index

    def is_last(self) -> bool:
        return self._is_last

    def buffer(self) -> Any:
        return self._buffer

    def set_buffer(self, buffer: Any) -> None:
        self._buffer = buffer

    def parameters(self) -> list:
        return list(self._params)

    def gradients(self) -> list:
        out, offset = [], 0
        for p in self._params:
            n = p.numel()
            out.append(self._buffer[offset:offset + n].view(p.shape))
            offset += n
        return out
