"""compat/ tests import the comparison helper as `_helper`, and record which public torchlike
functions, methods and operators each passing compat test exercised: the verified column of
the generated coverage table (compat/coverage.py)."""
from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

HERE = os.path.dirname(os.path.abspath(__file__))
VERIFIED_FILE = os.path.join(HERE, ".verified.json")
_called: set = set()
_verified: set = set()


def _recording(key, fn):
    def wrapper(*args, **kwargs):
        _called.add(key)
        return fn(*args, **kwargs)
    wrapper.__name__ = getattr(fn, "__name__", key[1])
    wrapper.__wrapped__ = fn
    return wrapper


def _install() -> None:
    import torchlike
    from torchlike.ops import DUNDERS
    from torchlike.ops._bind import FUNCTIONS, METHODS
    for name in FUNCTIONS:
        setattr(torchlike, name, _recording(("function", name), getattr(torchlike, name)))
    for name in list(METHODS) + list(DUNDERS):
        form = "operator" if name.startswith("__") else "method"
        setattr(torchlike.Tensor, name,
                _recording((form, name), getattr(torchlike.Tensor, name)))


def pytest_sessionstart(session):
    if os.environ.get("TORCHLIKE_RECORD_COVERAGE"):
        _install()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _called.clear()
    outcome = yield
    if outcome.excinfo is None and str(item.fspath).startswith(HERE):
        _verified.update(_called)


def pytest_sessionfinish(session, exitstatus):
    if not os.environ.get("TORCHLIKE_RECORD_COVERAGE"):
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # an xdist worker: its share, merged by the controller below
        with open(f"{VERIFIED_FILE}.{worker}", "w") as f:
            json.dump(sorted(_verified), f)
        return
    for part in [n for n in os.listdir(HERE) if n.startswith(".verified.json.")]:
        with open(os.path.join(HERE, part)) as f:
            _verified.update(tuple(k) for k in json.load(f))
        os.remove(os.path.join(HERE, part))
    with open(VERIFIED_FILE, "w") as f:
        json.dump(sorted(_verified), f)
