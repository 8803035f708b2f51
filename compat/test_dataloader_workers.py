"""DataLoader worker processes against real torch: one program, run by torch and by
`python -m torchlike`, prints the same batches (seeded draws in workers, worker_init_fn,
get_worker_info, IterableDataset replicas and splits, errors, timeouts, persistent workers,
the main process's generator afterwards). A torchlike-only program checks the process life
cycle: workers gone when an iterator is dropped, when a worker dies, and when the program ends
or is killed. Both programs run as subprocesses, concurrently; the rest runs in-process
without starting workers.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

import torchlike
from torchlike.utils.data import _worker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROGRAM = '''
import collections, dataclasses, enum, json, math, multiprocessing, random, re, time, warnings
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info

Pair = collections.namedtuple("Pair", "a b")
SCALE = 10
INIT = -1
SPLIT = False


def out(name, value):
    print(json.dumps([name, value]), flush=True)


def tolist(b):
    if isinstance(b, torch.Tensor):
        return [str(b.dtype), b.tolist()]
    if isinstance(b, dict):
        return {k: tolist(v) for k, v in b.items()}
    if isinstance(b, (list, tuple)):
        return [type(b).__name__] + [tolist(x) for x in b]
    return [type(b).__name__, b]


def run(loader):
    return [tolist(b) for b in loader]


def err(fn):
    try:
        fn()
    except Exception as e:  # first lines and last line: the traceback's frames differ
        lines = str(e).splitlines()
        return [type(e).__name__, lines[:2], lines[-1]]
    return None


class Base(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


class Rand(Base):
    def __init__(self, n):
        super().__init__(n)

    @property
    def size(self):
        return self.n

    @staticmethod
    def scaled(i):
        return i * SCALE

    def __getitem__(self, i):
        info = get_worker_info()
        return {"i": self.scaled(i), "w": info.id, "seed": info.seed - info.id,
                "nw": info.num_workers, "same": info.dataset.size == self.n,
                "randn": torch.randn(2), "randint": torch.randint(0, 1000, (3,)),
                "random": random.random(), "np": np.random.rand(), "init": INIT}


def init_fn(worker_id):
    global INIT
    INIT = worker_id * 100 + get_worker_info().num_workers


class Stream(IterableDataset):
    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None or not SPLIT:
            return iter(range(self.start, self.end))
        per = int(math.ceil((self.end - self.start) / float(info.num_workers)))
        lo = self.start + info.id * per
        return iter(range(lo, min(lo + per, self.end)))

    def __len__(self):
        return self.end - self.start


class Uneven(IterableDataset):
    def __iter__(self):
        info = get_worker_info()
        return iter(range(info.id * 100, info.id * 100 + 3 + 4 * info.id))


class Failing(Base):
    def __getitem__(self, i):
        if i == 5:
            raise ValueError(f"bad index {i}")
        if i == 7:
            return {}["missing"]
        return i


class Slow(Base):
    def __getitem__(self, i):
        if i >= 2:
            time.sleep(0.6)
        return i


class Boxed:
    def __init__(self, v):
        self.v = v


def make_collate(k):
    def collate(batch):
        return Boxed(sum(batch) * k)
    return collate


class Kind(enum.Enum):
    A = 1
    B = 2

    def double(self):
        return self.value * 2


@dataclasses.dataclass
class Cfg:
    scale: int = 3
    tags: list = dataclasses.field(default_factory=list)


def fib(i):
    return i if i < 2 else fib(i - 1) + fib(i - 2)


def nested():
    class Slotted(Dataset):
        __slots__ = ("n",)

        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            kind = Kind(i % 2 + 1)
            return [fib(i), kind.double(), repr(kind), Cfg().scale,
                    len(dataclasses.fields(Cfg)), Kind(1) is Kind.A]
    return Slotted(4)


torch.manual_seed(0)
out("seeded", run(DataLoader(Rand(10), batch_size=3, num_workers=2, shuffle=True,
                             worker_init_fn=init_fn)))
g = torch.Generator().manual_seed(7)
out("generator", run(DataLoader(Rand(5), batch_size=2, num_workers=2, shuffle=True,
                                generator=g, prefetch_factor=1)))
out("no_batch", run(DataLoader(Rand(3), batch_size=None, num_workers=2,
                               multiprocessing_context="fork")))
out("iterable", run(DataLoader(Stream(3, 10), batch_size=2, num_workers=2)))
SPLIT = True
out("split", run(DataLoader(Stream(3, 10), batch_size=2, num_workers=2)))
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    loader = DataLoader(Stream(3, 10), num_workers=2)
    out("split_single", [len(loader), run(loader)])
SPLIT = False
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    loader = DataLoader(Stream(3, 6), batch_size=2, num_workers=2, prefetch_factor=3)
    out("iterable_len", [len(loader), run(loader)])
out("iterable_len_warnings", sorted({re.sub("0x[0-9a-f]+", "X", str(x.message)) for x in w}))
out("uneven", run(DataLoader(Uneven(), batch_size=2, num_workers=2)))
out("uneven_drop", run(DataLoader(Uneven(), batch_size=2, num_workers=2, drop_last=True)))
loader = DataLoader(list(range(7)), batch_size=3, num_workers=2, drop_last=True)
out("len", [len(loader), run(loader)])
out("lambda_collate", run(DataLoader(list(range(6)), batch_size=2, num_workers=2,
                                     collate_fn=lambda b: Pair(torch.tensor(b), sum(b)))))
out("closure_collate", [b.v for b in DataLoader(list(range(6)), batch_size=4, num_workers=2,
                                                collate_fn=make_collate(3))])
out("script_objects", run(DataLoader(nested(), batch_size=None, num_workers=2)))
out("value_error", err(lambda: list(DataLoader(Failing(8), batch_size=2, num_workers=2))))
out("key_error", err(lambda: list(DataLoader(Failing(8), batch_size=None, sampler=[7, 1, 2],
                                             num_workers=2))))
out("init_error", err(lambda: list(DataLoader(Rand(4), num_workers=2,
                                              worker_init_fn=lambda w: 1 / 0))))
out("timeout", err(lambda: list(DataLoader(Slow(4), batch_size=None, num_workers=1,
                                           timeout=0.2))))
torch.manual_seed(1)
loader = DataLoader(Rand(6), batch_size=4, num_workers=2, shuffle=True, persistent_workers=True)
out("persistent", [[len(loader), run(loader)] for _ in range(2)])
out("in_order_false", sorted(b.tolist() for b in DataLoader(list(range(9)), batch_size=2,
                                                              num_workers=2, in_order=False)))
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    out("pin_memory", run(DataLoader(list(range(4)), batch_size=2, num_workers=1,
                                     pin_memory=True)))
out("pin_memory_warnings", sorted({str(x.message) for x in w}))
out("errors", [
    err(lambda: DataLoader(range(3), num_workers=2, multiprocessing_context="bogus")),
    err(lambda: DataLoader(range(3), num_workers=2, multiprocessing_context=3)),
    err(lambda: DataLoader(range(3), multiprocessing_context="fork")),
    err(lambda: DataLoader(range(3), num_workers=2, prefetch_factor=-1)),
    err(lambda: DataLoader(range(3), prefetch_factor=2)),
    err(lambda: DataLoader(range(3), persistent_workers=True)),
    err(lambda: DataLoader(range(3), num_workers=-1)),
    err(lambda: DataLoader(range(3), timeout=-1)),
    err(lambda: setattr(DataLoader(range(3)), "batch_size", 2)),
    err(lambda: iter(DataLoader(range(3), num_workers=1, prefetch_factor=0))),
    type(DataLoader(range(3), num_workers=1,
                    multiprocessing_context=multiprocessing.get_context("fork")
                    ).multiprocessing_context).__name__,
])
out("after", torch.randn(3).tolist())
if torch.__name__ == "torchlike":  # processes left running at the end: the test sees them go
    import sys
    from torchlike.utils.data import _fork_server
    pids = [w.pid for w in iter(loader)._workers] + [_fork_server._server[0].pid]
    sys.stderr.write("PIDS " + json.dumps(pids) + "\\n")
'''

LIFE = '''
import faulthandler, json, os, signal, threading, time, warnings
import torchlike as torch

faulthandler.register(signal.SIGUSR1)  # the test asks for the stacks if this hangs
from torchlike.utils.data import DataLoader, Dataset


class Pids(Dataset):
    def __len__(self):
        return 1000

    def __getitem__(self, i):
        if i == 999:
            os.kill(os.getpid(), signal.SIGKILL)
        return os.getpid()


res = {}
it = iter(DataLoader(Pids(), batch_size=2, num_workers=2, multiprocessing_context="spawn"))
pids = sorted({next(it)[0].item() for _ in range(4)})
del it  # dropped early, mid-epoch: the test checks these go while the program runs on
res["dropped"] = pids
try:
    list(DataLoader(Pids(), batch_size=None, sampler=[1, 2, 999, 3], num_workers=2))
except RuntimeError as e:
    res["killed"] = str(e).split(" (pid(s) ")[0] + str(e).split(")")[-1]
it = iter(DataLoader(Pids(), batch_size=None, sampler=[1, 2, 999, 3], num_workers=2))
first = [next(it), next(it)]
time.sleep(1)  # worker 0 dies on 999 meanwhile, worker 1's batch for 3 waits: seen together
try:
    next(it)
except RuntimeError as e:  # (the death was once dropped with the batch, and next() hung)
    res["killed_while_other_ready"] = str(e).split(" (pid(s) ")[0] + str(e).split(")")[-1]
del it
ds = Pids()
ds.lock = threading.Lock()
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    out = [b.tolist() for b in DataLoader(ds, batch_size=2, sampler=[0, 1], num_workers=2)]
res["fallback"] = [out == [[os.getpid()] * 2], [str(x.message) for x in w]]
loader = DataLoader(Pids(), batch_size=2, num_workers=2, persistent_workers=True)
it = iter(loader)
res["persistent"] = sorted({next(it)[0].item() for _ in range(4)})
from torchlike.utils.data import _fork_server
res["server"] = _fork_server._server[0].pid
print(json.dumps(res), flush=True)
time.sleep(60)  # until the test kills this program
'''


def _gone(pids, wait: float = 5.0) -> list:
    """The pids still alive after up to `wait` seconds."""
    deadline = time.time() + wait
    while True:
        left = []
        for pid in pids:
            try:
                os.kill(pid, 0)
                left.append(pid)
            except ProcessLookupError:
                pass
        if not left or time.time() > deadline:
            return left
        time.sleep(0.05)


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """Start the programs together (they overlap on the CPUs); their stdout, as run ends."""
    tmp = tmp_path_factory.mktemp("workers")
    (tmp / "prog.py").write_text(textwrap.dedent(PROGRAM))
    (tmp / "life.py").write_text(textwrap.dedent(LIFE))
    env = dict(os.environ, PYTHONPATH=ROOT)
    cmds = {"torch": [sys.executable, "prog.py"],
            "torchlike": [sys.executable, "-m", "torchlike", "prog.py"],
            "life": [sys.executable, "life.py"]}
    # the process-life program runs in a session of its own, its workers printing their stacks
    # on SIGUSR1 too, so that a hang can show every process's stacks
    procs = {k: subprocess.Popen(
        c, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(env, TORCHLIKE_WORKER_FAULTHANDLER="1") if k == "life" else env,
        start_new_session=k == "life") for k, c in cmds.items()}
    results = {}

    def result(name):
        """stdout and stderr of a program that ends by itself."""
        if name not in results:
            out, errs = procs[name].communicate(timeout=120)
            assert procs[name].returncode == 0, errs[-3000:]
            results[name] = out, errs
        return results[name]

    yield result, procs
    for p in procs.values():
        if p.poll() is None:
            p.kill()
            p.communicate()


def _cases(out: str) -> dict:
    return dict(json.loads(line) for line in out.splitlines())


CASES = ["seeded", "generator", "no_batch", "iterable", "split", "split_single",
         "iterable_len", "iterable_len_warnings", "uneven", "uneven_drop", "len",
         "lambda_collate", "closure_collate", "script_objects", "value_error", "key_error",
         "init_error", "timeout", "persistent", "in_order_false", "pin_memory",
         "pin_memory_warnings", "errors", "after"]


def test_program_output_is_torchs(programs):
    result, _ = programs
    want, got = _cases(result("torch")[0]), _cases(result("torchlike")[0])
    assert list(got) == list(want) == CASES
    for case in CASES:
        assert got[case] == want[case], case


def test_worker_exception_wrapper_format(programs):
    result, _ = programs
    got = _cases(result("torchlike")[0])
    assert got["value_error"] == [
        "ValueError", ["Caught ValueError in DataLoader worker process 0.",
                       "Original Traceback (most recent call last):"],
        "ValueError: bad index 5"]
    assert got["timeout"] == ["RuntimeError", ["DataLoader timed out after 0.2 seconds"],
                              "DataLoader timed out after 0.2 seconds"]


def test_workers_exit_when_the_program_ends(programs):
    result, _ = programs
    pids = next(json.loads(line[5:]) for line in result("torchlike")[1].splitlines()
                if line.startswith("PIDS "))
    assert len(pids) == 3  # two persistent workers, the fork server
    assert _gone(pids) == []


def test_workers_exit_with_their_iterator_or_program(programs):
    _, procs = programs
    proc = procs["life"]
    ready, _, _ = select.select([proc.stdout], [], [], 120)
    if not ready:  # a hang fails this test, with the program's stacks, instead of the suite
        os.killpg(proc.pid, signal.SIGUSR1)
        time.sleep(1)
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"the program printed nothing in 120 s:\n{proc.communicate()[1][-6000:]}")
    res = json.loads(proc.stdout.readline())
    assert len(res["dropped"]) == 2 and _gone(res["dropped"]) == []
    assert res["killed"] == "DataLoader worker exited unexpectedly"
    assert res["killed_while_other_ready"] == "DataLoader worker exited unexpectedly"
    ok, warned = res["fallback"]
    assert ok and len(warned) == 1 and "cannot pickle '_thread.lock' object" in warned[0]
    pids = res["persistent"] + [res["server"]]
    assert len(pids) == 3 and _gone(pids, wait=0) == pids
    proc.send_signal(signal.SIGKILL)  # no chance to clean up: workers see their pipes close
    proc.communicate(timeout=30)
    assert _gone(pids) == []


# ---- in the main process ------------------------------------------------------------------
def test_exception_wrapper_matches_torchs():
    from torch._utils import ExceptionWrapper

    class TwoArgs(Exception):
        def __init__(self, a, b):
            super().__init__(a, b)

    for exc in (ValueError("bad"), KeyError("k"), TwoArgs(1, 2), StopIteration()):
        try:
            raise exc
        except Exception:  # noqa: BLE001 - any exception: what the wrappers capture
            wrappers = [ExceptionWrapper(where="in DataLoader worker process 3"),
                        _worker.ExceptionWrapper(where="in DataLoader worker process 3")]
        raised = []
        for w in wrappers:
            with pytest.raises(Exception) as info:
                w.reraise()
            raised.append((type(info.value), str(info.value).splitlines()[:2],
                           str(info.value).splitlines()[-1]))
        assert raised[0] == raised[1]


def test_numpy_seed_state_matches_torchs():
    from torch.utils.data._utils.worker import _generate_state
    rng = np.random.default_rng(0)
    for base in [0, 1, 2**32 - 1, 2**32, 2**63 - 1, *rng.integers(0, 2**63, 5).tolist()]:
        for worker_id in (0, 1, 7):
            assert _worker._generate_state(base, worker_id) == _generate_state(base, worker_id)


def test_get_worker_info_in_main_process():
    assert torchlike.utils.data.get_worker_info() is None is torch.utils.data.get_worker_info()
    info = _worker.WorkerInfo(id=1, num_workers=2, seed=5, dataset=None)
    want = torch.utils.data._utils.worker.WorkerInfo(id=1, num_workers=2, seed=5, dataset=None)
    assert repr(info) == repr(want)
    with pytest.raises(AttributeError):
        info.id = 3


@pytest.mark.parametrize("batch", [
    lambda L: [L.ones(3), L.ones(2)],
    lambda L: [L.ones(3, 2), L.ones(3)],
    lambda L: [(L.ones(2), 1), (L.ones(3), 2)],
    lambda L: [np.ones(3), np.ones(2)],
])
def test_ragged_collate_error_matches_torchs(batch):
    errors = []
    for lib in (torch, torchlike):
        with pytest.raises(Exception) as info:
            lib.utils.data.default_collate(batch(lib))
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]
