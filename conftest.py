"""Suite-wide: compiled XLA programs are dropped after each test file and every 100 tests,
so a worker's memory holds a few hundred tests' kernels at a time, not every kernel the suite
ever compiled (a worker grew to ~5 GB without it)."""
from __future__ import annotations

import ctypes
import gc

_EVERY = 100
_count = [0]


def pytest_runtest_teardown(item, nextitem):
    _count[0] += 1
    if nextitem is not None and nextitem.module is item.module and _count[0] % _EVERY:
        return
    import jax

    import torchlike.autograd
    torchlike.autograd.clear_cache()  # the backward programs (they hold executables too)
    jax.clear_caches()
    gc.collect()
    ctypes.CDLL(None).malloc_trim(0)  # hand freed heap pages back to the system
