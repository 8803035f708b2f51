"""The seed tutorial, unmodified, under `python -m torchlike` and under real torch."""
from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "examples", "autograd_tutorial.py")
# Lines whose values come from torch.randn (the last y and x.grad): compared by format only.
RANDOM_LINES = (12, 13)


def _run(args, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    res = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout.splitlines()


def _addr(s):
    return re.sub(r"0x[0-9a-f]+", "0x?", s)


def _shape(s):
    return re.sub(r"\s+", "", re.sub(r"-?\d+\.?\d*(e[-+]\d+)?", "#", _addr(s)))


def test_seed_prints_what_torch_prints(tmp_path):
    want = _run([SCRIPT], tmp_path)
    got = _run(["-m", "torchlike", SCRIPT], tmp_path)
    assert len(got) == len(want)
    for i, (w, g) in enumerate(zip(want, got)):
        if i in RANDOM_LINES:
            assert _shape(g) == _shape(w), f"line {i + 1}"
        else:
            assert _addr(g) == _addr(w), f"line {i + 1}"
