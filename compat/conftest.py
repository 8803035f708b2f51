"""compat/ tests import the comparison helper as `_helper`. With TORCHLIKE_RECORD_COVERAGE set,
the recorder (`_record`) notes which public forms each passing compat test compared with torch:
the verified column of the generated coverage table (compat/coverage.py)."""
from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import _record  # noqa: E402  (needs the path above)

HERE = os.path.dirname(os.path.abspath(__file__))
# where the verified forms go (TORCHLIKE_VERIFIED_FILE: elsewhere, for a partial run)
VERIFIED_FILE = os.environ.get("TORCHLIKE_VERIFIED_FILE") or os.path.join(HERE, ".verified.json")


def pytest_sessionstart(session):
    if _record.ENABLED:
        _record.install()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _record.begin_test()
    outcome = yield
    _record.end_test(outcome.excinfo is None and str(item.fspath).startswith(HERE))


def pytest_sessionfinish(session, exitstatus):
    if not _record.ENABLED:
        return
    verified = set(_record.verified)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # an xdist worker: its share, merged by the controller below
        with open(f"{VERIFIED_FILE}.{worker}", "w") as f:
            json.dump(sorted(verified), f)
        return
    folder, base = os.path.split(VERIFIED_FILE)
    for part in [n for n in os.listdir(folder) if n.startswith(base + ".")]:
        with open(os.path.join(folder, part)) as f:
            verified.update(tuple(k) for k in json.load(f))
        os.remove(os.path.join(folder, part))
    with open(VERIFIED_FILE, "w") as f:
        json.dump(sorted(verified), f)
