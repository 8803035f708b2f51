"""Suite-wide settings.

- Heavy test files are scheduled first, so the two workers finish together.
- A worker drops the compiled XLA programs and backward programs it holds when its memory
  passes 1 GiB at the end of a test file, or a higher mark within a file (without it a worker
  grew to ~5 GB over the suite).
"""
from __future__ import annotations

import ctypes
import gc
import os

# the files that take longest (measured on a cold cache, slowest first): started first
_HEAVY = ["test_linalg_lstsq", "test_nn_rnn", "test_fft_special", "test_nn_transformer",
          "test_examples", "test_double_backward", "test_forms", "test_distributions",
          "test_alias", "test_nn", "test_ops_linalg", "test_double_backward_complex",
          "test_ops_reduction", "test_cold_paths", "test_nn_extra"]

_FILE_LIMIT = 1 << 30  # bytes of resident memory
_limit = [3 << 29]  # within a file: 1.5 GiB, raised to stay above what a clear leaves
_PAGE = os.sysconf("SC_PAGE_SIZE")


def pytest_collection_modifyitems(session, config, items):
    def weight(item):
        name = item.module.__name__.rpartition(".")[2]
        return _HEAVY.index(name) if name in _HEAVY else len(_HEAVY)
    items.sort(key=weight)  # stable: each file's tests keep their order


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:  # not Linux: never clears
        return 0


def pytest_runtest_teardown(item, nextitem):
    rss = _rss()
    if rss < (_FILE_LIMIT if nextitem is None or nextitem.module is not item.module
              else _limit[0]):
        return
    import jax

    import torchlike.autograd
    torchlike.autograd.clear_cache()
    jax.clear_caches()
    gc.collect()
    ctypes.CDLL(None).malloc_trim(0)  # glibc: return the freed heap to the system
    _limit[0] = max(_limit[0], _rss() + (1 << 29))
