"""The on-disk cache of compiled programs: compile once per machine, not once per process.

torchlike compiles an XLA program per (op, shapes, dtypes) it meets, plus backward and optimizer
programs: ~20-35 ms each on a CPU, most of a short script's first run. JAX's persistent
compilation cache can keep them between processes; `install()` (called when torchlike is
imported) turns it on for every program, however fast it compiled, and gives it the store
below in place of JAX's own, which writes entries in place (a process reading while another
writes sees half an entry) and, when bounded, rescans the whole directory on every write.

- Where: `TORCHLIKE_COMPILE_CACHE` names the directory; unset, `<user cache dir>/torchlike/
  compile`; `off` (or `0`, `false`, `none`) turns the cache off. A program that set JAX's own
  `jax_compilation_cache_dir` keeps it.
- Never stale: entries live under a subdirectory named after the jax and jaxlib versions, and
  JAX's key hashes the program, the compile options, the backend and its version.
- Safe under concurrent processes: an entry is written to a private temporary file and renamed
  into place, so a reader finds a whole entry or none; removing an entry another process is
  reading leaves that reader its open file.
- Bounded: `TORCHLIKE_COMPILE_CACHE_MAX_MB` (default 1024) over the whole directory, all versions
  together; past it, the least recently used entries go (a read refreshes an entry's time) until
  it is at 3/4 of the bound, checked when a process first writes and then after each further
  1/8 of the bound it writes.
- Trusted: whoever can write the directory can run code in processes that read it, so it is
  created readable by its owner only (JAX's own warning for its cache).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import jax

OFF = {"off", "0", "false", "none", "no"}
DEFAULT_MAX_MB = 1024


def _user_cache_dir() -> Path:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def root() -> Path | None:
    """The cache's directory from the environment; None when it is off."""
    value = os.environ.get("TORCHLIKE_COMPILE_CACHE")
    if value is not None and value.strip().lower() in OFF | {""}:
        return None
    return Path(value).expanduser() if value else _user_cache_dir() / "torchlike" / "compile"


def version_dir(base: Path) -> Path:
    import jaxlib
    return base / f"jax-{jax.__version__}-jaxlib-{jaxlib.__version__}"


class DiskCache:
    """JAX's CacheInterface over one directory: atomic writes, bounded, least recently used out."""

    def __init__(self, base: Path, max_bytes: int):
        self.base, self.max_bytes = base, max_bytes
        self._path = version_dir(base)  # JAX's interface names its directory `_path`
        self._path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._written = None  # bytes written since the last size check; None: not checked yet

    def get(self, key: str):
        path = self._path / key
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            os.utime(path)  # least recently *used*
        except OSError:
            pass
        return data

    def put(self, key: str, value: bytes) -> None:
        path = self._path / key
        if path.exists():
            return
        if self._written is None or self._written > self.max_bytes // 8:
            self.prune(len(value))
        fd, tmp = tempfile.mkstemp(dir=self._path, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(value)
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return
        self._written += len(value)

    def entries(self) -> list:
        """(last use, size, path) of every entry under the base directory, every version."""
        out = []
        for sub in self.base.iterdir():
            if not sub.is_dir():
                continue
            for entry in os.scandir(sub):
                if entry.name.startswith(".tmp-"):
                    continue
                try:
                    st = entry.stat()
                except OSError:
                    continue
                out.append((st.st_mtime, st.st_size, entry.path))
        return out

    def prune(self, incoming: int = 0) -> None:
        """Drop the least recently used entries while the directory is over the bound."""
        self._written = 0
        entries = self.entries()
        total = sum(e[1] for e in entries) + incoming
        if total <= self.max_bytes:
            return
        target = self.max_bytes * 3 // 4
        for _, size, path in sorted(entries):
            if total <= target:
                break
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size


def _max_bytes() -> int:
    value = os.environ.get("TORCHLIKE_COMPILE_CACHE_MAX_MB")
    try:
        mb = float(value) if value else DEFAULT_MAX_MB
    except ValueError:
        raise ValueError(f"TORCHLIKE_COMPILE_CACHE_MAX_MB must be a number of megabytes, "
                         f"got {value!r}") from None
    return int(mb * 2 ** 20)


def install() -> DiskCache | None:
    """Turn the on-disk cache on as the environment says; the store, or None when it is off,
    when the program set JAX's cache itself, or when this jax's internals differ (then JAX's
    own store, unbounded, serves the same directory)."""
    base = root()
    if base is None or jax.config.jax_compilation_cache_dir is not None:
        return None
    try:
        store = DiskCache(base, _max_bytes())
    except OSError:  # an unwritable cache directory: compile as without one
        return None
    jax.config.update("jax_compilation_cache_dir", str(store._path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    try:
        from jax._src import compilation_cache as cc
        with cc._cache_initialized_mutex:
            if cc._cache_initialized:
                return None
            cc._cache, cc._cache_initialized = store, True
    except (ImportError, AttributeError):
        return None
    return store
