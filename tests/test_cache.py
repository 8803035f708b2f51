"""The vjp cache: one compiled backward per graph structure; values never recompile."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import torchlike as torch
from torchlike.autograd import cache_info, clear_cache, set_cache_size


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_cache()
    yield
    set_cache_size(int(os.environ.get("TORCHLIKE_VJP_CACHE_SIZE", "512")))


def step(scale: float, n: int = 3):
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    for _ in range(n):
        y = y * scale
    y.mean().backward()
    return x.grad


def test_repeated_graph_hits_without_compiling():
    step(3.0)
    first = cache_info()
    assert first["misses"] == 1 and first["compiles"] == 1
    for _ in range(5):
        step(3.0)
    info = cache_info()
    assert info["hits"] == 5 and info["compiles"] == 1 and info["misses"] == 1


def test_new_scalar_values_do_not_recompile():
    grads = [step(s).tolist() for s in (2.0, 3.0, 0.5, -1.25)]
    assert cache_info()["compiles"] == 1
    assert grads[0] == [[2.0, 2.0], [2.0, 2.0]]      # 2**3 / 4
    assert grads[1] == [[6.75, 6.75], [6.75, 6.75]]  # 3**3 / 4


def test_new_structure_and_new_shape_compile_once_each():
    step(2.0, n=3)
    step(2.0, n=4)            # a longer chain: new structure
    assert cache_info()["misses"] == 2
    x = torch.ones(3, 5, requires_grad=True)
    y = (x + 2) * 2.0 * 2.0 * 2.0
    y.mean().backward()       # same structure as n=3, new shapes: a retrace, not a miss
    info = cache_info()
    assert info["misses"] == 2 and info["compiles"] == 3


def test_lru_bound_holds():
    set_cache_size(3)
    for n in range(1, 8):
        step(2.0, n=n)
    assert cache_info()["entries"] == 3
    step(2.0, n=7)            # most recent: still cached
    assert cache_info()["hits"] == 1
    step(2.0, n=1)            # evicted long ago: compiled again
    assert cache_info()["misses"] == 8


def test_graph_is_freed_after_backward():
    x = torch.ones(2, requires_grad=True)
    y = x * x
    node = y.grad_fn
    y.sum().backward()
    assert node.args is None
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_retain_graph_keeps_it():
    x = torch.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 4.0]
    assert cache_info()["compiles"] == 1


def test_hooks_take_the_node_by_node_path_with_the_same_result():
    def run(hook):
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        if hook:
            y.register_hook(lambda g: g)
        (y * 3).sum().backward()
        return x.grad.tolist()
    assert run(True) == run(False) == [6.0, 12.0]


def test_compile_log_names_cause_and_user_line(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("import torchlike as torch\n"
                      "x = torch.ones(2, requires_grad=True)\n"
                      "(x * 2).sum().backward()\n"
                      "(x * 3).sum().backward()\n")
    env = dict(os.environ, TORCHLIKE_LOG_COMPILES="1")
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if "backward compile" in ln]
    assert len(lines) == 1, res.stderr
    assert "mul" in lines[0] and "s.py:3" in lines[0]
