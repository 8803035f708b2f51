"""The on-disk compile cache (torchlike/_compile_cache.py): a second process reuses what the
first compiled, results unchanged; `off` turns it off; a program's own JAX cache wins;
concurrent processes share an empty directory without a torn entry; the bound holds and
drops the least recently used entries first."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from torchlike import _compile_cache as cc

# a small training step: op kernels, a backward program and an optimizer program
PROGRAM = r"""
import collections, jax.monitoring as m
events = collections.Counter()
m.register_event_listener(lambda name, **kw: events.update([name]))
import torchlike as torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 2))
opt = torch.optim.Adam(net.parameters(), lr=0.1)
x, y = torch.randn(9, 5), torch.randn(9, 2)
for _ in range(3):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(net(x), y)
    loss.backward()
    opt.step()
print(repr(loss.item()), events["/jax/compilation_cache/cache_hits"],
      events["/jax/compilation_cache/cache_misses"])
"""


def _run(env_cache, extra_env=None, background=False):
    env = {k: v for k, v in os.environ.items()
           if k not in ("TORCHLIKE_COMPILE_CACHE", "JAX_COMPILATION_CACHE_DIR")}
    if env_cache is not None:
        env["TORCHLIKE_COMPILE_CACHE"] = str(env_cache)
    env.update(extra_env or {})
    cmd = [sys.executable, "-c", PROGRAM]
    if background:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r


def _parse(r):
    loss, hits, misses = r.stdout.split()
    return loss, int(hits), int(misses)


def _entries(base: Path) -> list:
    return [p for p in base.rglob("*") if p.is_file()]


def test_off_writes_nothing_and_a_programs_own_jax_cache_wins(tmp_path):
    _, hits, misses = _parse(_run("off", {"HOME": str(tmp_path), "XDG_CACHE_HOME": ""}))
    assert (hits, misses) == (0, 0)
    assert _entries(tmp_path) == []
    own = tmp_path / "own"
    _run(tmp_path / "ours", {"JAX_COMPILATION_CACHE_DIR": str(own)})
    assert not (tmp_path / "ours").exists()
    assert own.exists()  # JAX's own store, JAX's own thresholds


def test_default_directory_is_the_user_cache_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCHLIKE_COMPILE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert cc.root() == tmp_path / "torchlike" / "compile"
    monkeypatch.setenv("TORCHLIKE_COMPILE_CACHE", "~/x")
    assert cc.root() == Path.home() / "x"
    for value in ("OFF", "0", "none", "false", ""):
        monkeypatch.setenv("TORCHLIKE_COMPILE_CACHE", value)
        assert cc.root() is None


def test_processes_share_the_directory_concurrently_and_later(tmp_path):
    """Three processes start on an empty directory at once; a fourth compiles nothing."""
    procs = [_run(tmp_path, background=True) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "cache" not in err.lower(), err  # no torn entry read, no failed write
    losses = {out.split()[0] for out, _ in outs}
    assert len(losses) == 1
    assert max(int(out.split()[2]) for out, _ in outs) > 5  # each compiled (wrote) programs
    entries = _entries(tmp_path)
    assert not [p for p in entries if p.name.startswith(".tmp-")]
    (sub,) = list(tmp_path.iterdir())
    import jax
    import jaxlib
    assert sub.name == f"jax-{jax.__version__}-jaxlib-{jaxlib.__version__}"
    assert sub.stat().st_mode & 0o077 == 0  # the owner's alone
    loss, hits, misses = _parse(_run(tmp_path))
    assert (loss, hits, misses) == (losses.pop(), len(entries), 0)


def test_store_is_atomic_bounded_and_least_recently_used_first(tmp_path):
    store = cc.DiskCache(tmp_path, max_bytes=8000)
    old = tmp_path / "jax-0.0-jaxlib-0.0"  # another version's entries count toward the bound
    old.mkdir()
    (old / "stale").write_bytes(b"s" * 1000)
    for i in range(6):
        store.put(f"k{i}", bytes([i]) * 1000)
    assert store.get("k0") == b"\0" * 1000 and store.get("missing") is None
    t = time.time()
    for i, name in enumerate(["k1", "k2", "k3", "k4", "k5"]):  # k0 read last: newest
        os.utime(store._path / name, (t - 100 + i, t - 100 + i))
    os.utime(old / "stale", (t - 1000, t - 1000))
    store.put("k0", b"other")  # present: kept as it was
    assert store.get("k0") == b"\0" * 1000
    store._written = 10 ** 9  # past its write budget: the next put checks the size
    store.put("big", b"b" * 2500)  # 7000 + 2500 > 8000: down to 6000 with the new entry
    names = sorted(p.name for p in _entries(tmp_path))
    assert names == ["big", "k0", "k4", "k5"]
    assert sum(p.stat().st_size for p in _entries(tmp_path)) <= 8000
    assert not list(tmp_path.rglob(".tmp-*"))


def test_bad_bound_names_the_variable(monkeypatch):
    monkeypatch.setenv("TORCHLIKE_COMPILE_CACHE_MAX_MB", "lots")
    with pytest.raises(ValueError, match="TORCHLIKE_COMPILE_CACHE_MAX_MB"):
        cc._max_bytes()


def test_mlir_contexts_are_reused_per_thread_and_renewed():
    """torchlike lowers programs in one MLIR context per thread (creating one costs more than
    lowering a small program), renewed after CONTEXT_USES lowerings so it stays bounded."""
    import threading

    from jax._src.interpreters import mlir

    from torchlike import _compile
    assert _compile.reuse_mlir_contexts() and mlir.make_ir_context._torchlike
    first = mlir.make_ir_context()
    seen = {id(first)}
    for _ in range(_compile.CONTEXT_USES * 2):
        seen.add(id(mlir.make_ir_context()))
    assert 2 <= len(seen) <= 3
    other = []
    t = threading.Thread(target=lambda: other.append(mlir.make_ir_context()))
    t.start()
    t.join()
    assert other[0] is not mlir.make_ir_context()
    import jax
    import jax.numpy as jnp
    for n in range(3, 6):  # programs lowered in a reused context compile and run
        assert float(jax.jit(lambda a: (a * 2).sum())(jnp.ones(n))) == 2 * n
