"""The fork server: a fresh interpreter that has imported jax and torchlike, but started no XLA
client, and forks DataLoader workers on request.

Why workers are not forked from the main process, as torch does on Linux: XLA's CPU client
runs compilations on thread pools and keeps process-wide threads (a slow-compilation alarm
waiting on a condition variable). A forked child has none of those threads, and its first
compile hangs (the pool's threads are gone) or aborts (abseil finds the dead waiter), even
after jax's backends are cleared in the child. A process that has imported jax but never
created a client forks safely; each worker then starts its own CPU client.

The server imports torchlike while refusing to create an XLA client (torchlike's import-time
device lookups fall back), and checks that none exists before it forks; a worker then binds
torchlike to its own CPU client (_bind_cpu_client). Should an import create a client anyway,
the server re-executes itself with jax alone preloaded, and workers import torchlike.

The main process starts the server once, at the first DataLoader with workers, and talks to it
over a socket pair: a request is one byte carrying the worker's two pipe ends (SCM_RIGHTS);
the server forks, replies with the child's pid and closes its copies. The child reads its
setup (sys.path, cwd, argv, environment, whether `torch` is aliased) from its index pipe,
then runs _worker.main. The server exits when the main process closes the socket or dies.
This file imports only the standard library at the top: the server runs it by path.
"""
from __future__ import annotations

import atexit
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import types
import warnings

_lock = threading.Lock()
_server: list = []  # [Popen, socket] once started


def start() -> None:
    """Start the server (if not running): it imports jax in the background."""
    with _lock:
        _start()


def _start() -> None:
    if _server and _server[0].poll() is None:
        return
    for s in _server[1:]:
        s.close()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    proc = subprocess.Popen(_server_command(theirs.fileno(), "full"),
                            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
    theirs.close()
    _server[:] = [proc, ours]


def fork_worker(index_fd: int, result_fd: int) -> int:
    """A new worker process holding these pipe ends (read indices, write results); its pid."""
    with _lock:
        _start()
        for attempt in (0, 1):
            try:
                socket.send_fds(_server[1], [b"W"], [index_fd, result_fd])
                reply = _server[1].recv(8)
                if len(reply) == 8:
                    return int.from_bytes(reply, "little")
            except OSError:
                pass
            if attempt == 0:  # the server died (killed?): start another one
                _server[0].wait()
                _start()
        raise RuntimeError("DataLoader: the worker fork server could not start a worker")


def setup_message() -> bytes:
    """What a worker needs before importing torchlike: this process's paths and environment."""
    torch = sys.modules.get("torch")
    return pickle.dumps({"path": list(sys.path), "cwd": os.getcwd(), "argv": list(sys.argv),
                         "env": dict(os.environ),
                         "alias": getattr(torch, "__name__", None) == "torchlike"})


def _server_command(fd: int, preload: str) -> list:
    code = (f"import runpy, sys; runpy.run_path({__file__!r}, "
            "run_name='__torchlike_fork_server__')")
    return [sys.executable, "-c", code, str(fd), preload, json.dumps(sys.path)]


@atexit.register
def _stop() -> None:
    """Close the socket (the server exits) and reap the server."""
    if _server:
        _server[1].close()
        try:
            _server[0].wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            _server[0].kill()


# ---- the server process ---------------------------------------------------------------------
def _preload(preload: str) -> None:
    """Import what every worker needs (the slow part of its start) without an XLA client."""
    import jax
    import jax.numpy
    # Workers compute on the CPU, as torch's do: a GPU client per worker would claim the GPU.
    jax.config.update("jax_platforms", "cpu")
    if preload != "full":
        return
    from jax._src import xla_bridge

    def refuse(platform):
        raise RuntimeError("the fork server creates no XLA client")

    init, xla_bridge._init_backend = xla_bridge._init_backend, refuse
    try:
        import torchlike.utils.data._worker  # noqa: F401
    except Exception:  # noqa: BLE001 - workers will import it themselves
        for name in [n for n in sys.modules if n == "torchlike" or n.startswith("torchlike.")]:
            del sys.modules[name]
    finally:
        xla_bridge._init_backend = init


def _serve(fd: int, preload: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the main process; EOF ends us
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps exited workers
    _stacks_on_sigusr1()
    _preload(preload)
    from jax._src import xla_bridge
    if xla_bridge.backends_are_initialized():  # forked children would hang: start afresh
        os.set_inheritable(fd, True)
        command = _server_command(fd, "jax")
        os.execv(command[0], command)
    sock = socket.socket(fileno=fd)
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 16, 2)
        except OSError:
            break
        if not msg:
            break
        with warnings.catch_warnings():  # jax's "os.fork() was called" does not apply: no client
            warnings.simplefilter("ignore")
            pid = os.fork()
        if pid == 0:
            sock.close()
            _child(*fds)
        for f in fds:
            os.close(f)
        try:
            sock.sendall(pid.to_bytes(8, "little"))
        except OSError:
            break
    os._exit(0)  # nothing to tear down: skip the interpreter's (slow) finalization


def _stacks_on_sigusr1() -> None:
    """With TORCHLIKE_WORKER_FAULTHANDLER set, SIGUSR1 makes the server and each worker print
    every thread's stack to stderr (to see where one hangs)."""
    if os.environ.get("TORCHLIKE_WORKER_FAULTHANDLER"):
        import faulthandler
        faulthandler.register(signal.SIGUSR1, all_threads=True)


def _child(index_fd: int, result_fd: int) -> None:
    from multiprocessing.connection import Connection

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _stacks_on_sigusr1()
    code = 0
    try:
        index = Connection(index_fd, writable=False)
        result = Connection(result_fd, readable=False)
        setup = pickle.loads(index.recv_bytes())
        os.environ.clear()
        os.environ.update(setup["env"])
        sys.path[:] = setup["path"]
        sys.argv[:] = setup["argv"]
        os.chdir(setup["cwd"])
        sys.modules["__main__"] = types.ModuleType("__main__")  # the script's by-value objects
        if "torchlike" in sys.modules:
            _bind_cpu_client()
        if setup["alias"]:
            from torchlike._alias import install_alias
            install_alias()
        from torchlike.utils.data._worker import main
        code = main(index, result)
    except (EOFError, KeyboardInterrupt):
        pass
    except BaseException:  # noqa: BLE001 - a worker that cannot start says why, then exits
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - a closed stream: nothing to flush
                pass
        os._exit(code)


def _bind_cpu_client() -> None:
    """What torchlike's import does with the CPU device, done again in the worker (the
    server's import had no device to bind)."""
    import jax

    from torchlike import _device, _storage
    jax.config.update("jax_default_device", jax.devices("cpu")[0])
    _device.upload = _storage.upload = _device._make_upload()


if __name__ == "__torchlike_fork_server__":
    sys.path[:] = json.loads(sys.argv[3])
    _serve(int(sys.argv[1]), sys.argv[2])
