"""Whole-module pickles between torch and torchlike, and the class names that make them work
(see torchlike/_pickle_names.py), compared with real torch.

- Names: torch.save/torch.load translate every torchlike class to torch's pickle name and back
  (the table torchlike/_class_names.py, checked against the installed torch); without the
  alias classes keep torchlike's names, under `python -m torchlike` they carry torch's.
- torch.save(model) both ways: a user-defined nn.Module subclass (Conv2d with reflect padding,
  BatchNorm2d, ReLU6, a projected bidirectional LSTM, MultiheadAttention, TransformerEncoder,
  Linear) with its Adam and StepLR, saved after a training step by one library and loaded by
  the other: the same outputs, the same next step, and torch's instance attributes.
- weights_only=True: add_safe_globals with torchlike's classes admits checkpoints naming torch's,
  and an unlisted class fails with torch's error.
- Without the alias (this process): class names, plain pickle and deepcopy name torchlike only.
- Under `python -m torchlike` (a child process, run while the tests here go on): class names,
  plain pickle and deepcopy, torch.save/torch.load with a torch-written file, weights_only,
  a DataLoader with 2 workers over a dataset holding a module, a spawn-context pool.
"""
from __future__ import annotations

import copy
import importlib
import inspect
import io
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from _helper import assert_same, assert_same_error

import torchlike
from torchlike._errors import _PlaceholderMeta
from torchlike._pickle_names import torch_name

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
# torch modules whose classes are compared: every public class of these torchlike has
FAMILIES = ["torch", "torch.nn", "torch.nn.modules", "torch.nn.parameter", "torch.optim",
            "torch.optim.lr_scheduler", "torch.optim.swa_utils", "torch.utils.data",
            "torch.nn.utils.rnn", "torch.amp", "torch.cuda.amp", "torch.autograd"]


# classes that keep torchlike's names under the alias, with why
KEEP_NAMES = {"torch.Generator": "torch's is torch._C.Generator, and torch._C (torch's compiled "
                                 "module) is no module under the alias"}


def _torch_classes() -> dict[str, list[str]]:
    """{module: [class names]}: real torch's public classes in FAMILIES, and the unexported
    classes of the torch.nn.modules files."""
    out: dict[str, list[str]] = {}
    for name in FAMILIES:
        mod = importlib.import_module(name)
        out[name] = sorted(n for n in dir(mod) if not n.startswith("__")
                           and isinstance(getattr(mod, n, None), type)
                           and getattr(mod, n).__module__.startswith("torch"))
    for sub in ("linear", "conv", "batchnorm", "activation", "loss", "pooling", "dropout"):
        name = f"torch.nn.modules.{sub}"
        mod = importlib.import_module(name)
        out[name] = sorted(n for n, v in vars(mod).items()
                           if isinstance(v, type) and v.__module__ == name)
    return out


def _torch_names(classes: dict[str, list[str]]) -> dict[str, list[str]]:
    return {f"{m}.{n}": [getattr(importlib.import_module(m), n).__module__,
                         getattr(importlib.import_module(m), n).__qualname__]
            for m, names in classes.items() for n in names}


# ---- what both sides build and run ---------------------------------------------------------
def _modules(L):
    """The library modules a checkpoint holds (one ModuleDict)."""
    nn = L.nn
    return nn.ModuleDict({
        "conv": nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect",
                                        bias=False), nn.BatchNorm2d(3), nn.ReLU()),
        "lstm": nn.LSTM(4, 4),
        "mha": nn.MultiheadAttention(4, 2),
        "enc": nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0),
                                     1, enable_nested_tensor=False),
        "mlp": nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))})


def _outputs(md, L, inputs) -> list:
    """Each module of _modules on its input, in eval mode, as numpy arrays."""
    md.eval()
    img, seq, vec = (L.tensor(inputs[k]) for k in ("img", "seq", "vec"))
    with L.no_grad():
        outs = [md["conv"](img), md["lstm"](seq)[0], md["mha"](seq, seq, seq)[0],
                md["enc"](seq), md["mlp"](vec)]
    return [np.asarray(o.numpy()) for o in outs]


_R = np.random.default_rng(5)
INPUTS = {"img": _R.standard_normal((2, 2, 5, 5)).astype(np.float32),
          "seq": _R.standard_normal((3, 2, 4)).astype(np.float32),
          "vec": _R.standard_normal((6, 4)).astype(np.float32)}


def _define_net(L):
    """A user-defined Module of the library L (torch's program and torchlike's, the same
    source): pickles as `<this module>.Net`, as a class of a user's file does."""
    nn = L.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            # no conv bias before BatchNorm: its gradient is rounding noise Adam would scale up
            self.conv = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect",
                                                bias=False), nn.BatchNorm2d(3), nn.ReLU6())
            self.lstm = nn.LSTM(4, 4)
            self.mha = nn.MultiheadAttention(4, 2)
            self.enc = nn.TransformerEncoder(
                nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, activation="gelu"), 1,
                enable_nested_tensor=False)
            self.head = nn.Sequential(nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 2))

        def forward(self, img, seq):
            feats = self.conv(img).mean((2, 3))
            h, _ = self.lstm(seq)
            h, _ = self.mha(h, h, h)
            h = self.enc(h).mean(0)
            return self.head(L.cat([feats, h], 1))

    Net.__module__, Net.__qualname__ = __name__, "Net"
    return Net


TorchNet, TorchlikeNet = _define_net(torch), _define_net(torchlike)
Net = TorchNet  # what pickle finds by this module's name `Net`: set to the side that pickles


def _train(L, net, opt, sched) -> None:
    net.train()
    opt.zero_grad()
    net(L.tensor(INPUTS["img"]), L.tensor(INPUTS["seq"])).pow(2).sum().backward()
    opt.step()
    sched.step()


def _setup(L, Cls):
    L.manual_seed(0)
    net = Cls()
    opt = L.optim.Adam(net.parameters(), lr=0.01)
    sched = L.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    _train(L, net, opt, sched)
    return {"net": net, "opt": opt, "sched": sched}


def _eval_out(L, net) -> np.ndarray:
    net.eval()
    with L.no_grad():
        return np.asarray(net(L.tensor(INPUTS["img"]), L.tensor(INPUTS["seq"])).numpy())


# ---- the child program under the alias -----------------------------------------------------
CHILD = '''
import copy, io, json, multiprocessing, pickle, sys
import numpy as np
import torch  # `python -m torchlike`: torchlike
from torchlike._errors import _PlaceholderMeta

DIR = sys.argv[1]
INPUTS = dict(np.load(f"{DIR}/inputs.npz"))


class Holder(torch.utils.data.Dataset):
    """A dataset holding a module: workers get it pickled."""
    def __init__(self, net):
        self.net = net
    def __len__(self):
        return len(INPUTS["vec"])
    def __getitem__(self, i):
        with torch.no_grad():
            return self.net(torch.tensor(INPUTS["vec"][i]))


def in_child(net):
    """What a spawned process sees: its torch, the class's names, the module's output."""
    return (sys.modules["torch"].__name__, type(net).__module__, type(net).__qualname__,
            np.asarray(net(torch.tensor(INPUTS["vec"])).detach().numpy()))


class Recorder(pickle.Unpickler):
    def find_class(self, module, name):
        obj = super().find_class(module, name)
        if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
            self.seen.add(f"{module}.{name}")
        return obj


def main():
    out = {"torch": sys.modules["torch"].__name__}
    names = {}
    for mod, classes in json.load(open(f"{DIR}/classes.json")).items():
        for n in classes:
            try:
                obj = getattr(__import__(mod, fromlist=["_"]), n)
            except (AttributeError, NotImplementedError, ImportError):
                continue
            if isinstance(obj, type) and not isinstance(obj, _PlaceholderMeta):
                names[f"{mod}.{n}"] = [obj.__module__, obj.__qualname__]
    out["names"] = names

    md = torch.load(f"{DIR}/torch.pt", weights_only=False)  # torch.save(model) of real torch
    outs = {"loaded": outputs(md, torch, INPUTS)}
    r = Recorder(io.BytesIO(pickle.dumps(md)))
    r.seen = set()
    outs["pickled"] = outputs(r.load(), torch, INPUTS)
    out["pickle_classes"] = sorted(r.seen)
    outs["deepcopy"] = outputs(copy.deepcopy(md), torch, INPUTS)
    torch.save(md, f"{DIR}/alias.pt")
    try:
        torch.load(f"{DIR}/torch.pt", weights_only=True)
    except pickle.UnpicklingError as e:
        out["weights_only_error"] = str(e)
    nn = torch.nn
    allowed = [nn.ModuleDict, nn.Sequential, nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.LSTM,
               nn.MultiheadAttention, nn.modules.linear.NonDynamicallyQuantizableLinear,
               nn.TransformerEncoder, nn.TransformerEncoderLayer, nn.ModuleList, nn.LayerNorm,
               nn.Dropout, nn.Linear, nn.functional.relu]
    with torch.serialization.safe_globals(allowed):
        outs["weights_only"] = outputs(torch.load(f"{DIR}/torch.pt", weights_only=True),
                                       torch, INPUTS)

    batches = torch.utils.data.DataLoader(Holder(md["mlp"]), batch_size=2, num_workers=2)
    outs["workers"] = [np.concatenate([np.asarray(b.numpy()) for b in batches])]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        *info, value = pool.apply(in_child, (md["mlp"],))
    out["spawn"] = info
    outs["spawn"] = [value]
    np.savez(f"{DIR}/alias_out.npz", **{f"{k}_{i}": a for k, v in outs.items()
                                        for i, a in enumerate(v)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
'''


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The torch checkpoint, then the child program and the name-table check, started
    together (they overlap with the tests in this process); each one's result as it ends."""
    tmp = tmp_path_factory.mktemp("module_pickle")
    torch.manual_seed(0)
    md = _modules(torch)
    torch.save(md, tmp / "torch.pt")
    np.savez(tmp / "inputs.npz", **INPUTS)
    classes = _torch_classes()
    (tmp / "classes.json").write_text(json.dumps(classes))
    source = CHILD.replace("\ndef main", inspect.getsource(_outputs).replace(
        "def _outputs", "def outputs") + "\n\ndef main")
    (tmp / "child.py").write_text(source)
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    cmds = {"alias": [sys.executable, "-m", "torchlike", "child.py", str(tmp)],
            "table": [sys.executable, str(HERE / "gen_class_names.py"), "--check"]}
    procs = {k: subprocess.Popen(c, cwd=tmp, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for k, c in cmds.items()}
    done: dict = {}

    def result(name):
        if name not in done:
            out, err = procs[name].communicate(timeout=300)
            assert procs[name].returncode == 0, err[-3000:]
            done[name] = out if name == "table" else (
                json.loads(out.splitlines()[-1]), dict(np.load(tmp / "alias_out.npz")))
        return done[name]

    yield result, tmp, md, classes
    for p in procs.values():
        if p.poll() is None:
            p.kill()
            p.communicate()


# ---- names -------------------------------------------------------------------------------
def test_names_without_alias(run):
    """Plain `import torchlike`: classes keep torchlike's names; torch.save's name for each is
    torch's."""
    classes = _torch_names(run[3])
    compared = 0
    for path, want in classes.items():
        mod, _, name = path.rpartition(".")
        try:
            obj = getattr(importlib.import_module("torchlike" + mod[len("torch"):]), name)
        except (AttributeError, NotImplementedError):
            continue
        if not isinstance(obj, type) or isinstance(obj, _PlaceholderMeta):
            continue
        assert obj.__module__.startswith("torchlike"), path
        assert_same(tuple(want), torch_name(obj), path)
        compared += 1
    assert compared > 250


def test_function_attributes_pickle_under_torch_names():
    """A module holding an activation function (TransformerEncoderLayer) names it as torch
    does (F.gelu is torch._C._nn.gelu, F.relu torch.nn.functional.relu)."""
    for act in ("relu", "gelu"):
        tm = torch.nn.TransformerEncoderLayer(4, 2, 8, activation=act)
        lm = torchlike.nn.TransformerEncoderLayer(4, 2, 8, activation=act)
        assert_same(".".join((tm.activation.__module__, tm.activation.__qualname__)),
                    ".".join(torch_name(lm.activation)), act)
        buf = io.BytesIO()
        torchlike.save(lm, buf)
        loaded = torch.load(io.BytesIO(buf.getvalue()), weights_only=False)
        assert loaded.activation is tm.activation


def test_plain_pickle_and_deepcopy_without_alias():
    """`import torchlike`: plain pickle and deepcopy of a model work, naming torchlike's
    classes only (nothing would import torch)."""
    torchlike.manual_seed(0)
    nn = torchlike.nn
    model = nn.ModuleDict({"conv": nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, bias=False),
                                                 nn.BatchNorm2d(3), nn.ReLU6()),
                           "mha": nn.MultiheadAttention(4, 2)}).eval()
    img, seq = torchlike.tensor(INPUTS["img"]), torchlike.tensor(INPUTS["seq"])

    def run(m):
        with torchlike.no_grad():
            return [m["conv"](img).numpy(), m["mha"](seq, seq, seq)[0].numpy()]

    seen: list = []

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            seen.append(module)
            return super().find_class(module, name)

    for copied in (Recorder(io.BytesIO(pickle.dumps(model))).load(), copy.deepcopy(model)):
        assert type(copied["mha"].out_proj) is type(model["mha"].out_proj)
        for a, b in zip(run(model), run(copied)):
            np.testing.assert_array_equal(a, b)
    assert "torchlike.nn.modules.attention" in seen
    assert not [m for m in seen if m == "torch" or m.startswith("torch.")], seen


def test_torch_name_is_none_for_other_objects():
    """Objects torch has no name for (a user's class, a lambda) get none from the table."""
    assert torch_name(TorchlikeNet) is None
    assert torch_name(lambda: 0) is None
    assert torch_name([]) is None

# ---- torch.save(model) both ways, in this process ------------------------------------------
def _vars_like_torch(got, want) -> None:
    """Each module of `got` (torch's load of a torchlike checkpoint) has the instance
    attributes of the same module built by torch."""
    for (name, g), (_, w) in zip(got.named_modules(), want.named_modules()):
        assert type(g) is type(w), name
        assert sorted(vars(g)) == sorted(vars(w)), name


def test_torch_checkpoint_to_torchlike(monkeypatch):
    """torch.save({net, Adam, StepLR}) of torch, a user-defined Module, loads in torchlike: the
    same outputs, and one more training step gives torch's parameters and learning rate."""
    this = sys.modules[__name__]
    ref = _setup(torch, TorchNet)
    buf = io.BytesIO()
    torch.save(ref, buf)
    monkeypatch.setattr(this, "Net", TorchlikeNet)  # the user's class, as torchlike's program
    got = torchlike.load(io.BytesIO(buf.getvalue()), weights_only=False)
    assert type(got["net"]) is TorchlikeNet
    assert type(got["opt"]) is torchlike.optim.Adam
    assert got["opt"].param_groups[0]["params"][0] is next(got["net"].parameters())
    assert_same(_eval_out(torch, ref["net"]), _eval_out(torchlike, got["net"]), "output",
                rtol=1e-4, atol=1e-5)
    _train(torch, **ref)
    _train(torchlike, **got)
    want_sd, got_sd = ref["net"].state_dict(), got["net"].state_dict()
    assert list(want_sd) == list(got_sd)
    for k in want_sd:
        assert_same(want_sd[k], got_sd[k], k, rtol=1e-4, atol=1e-5)
    assert_same(ref["sched"].get_last_lr(), got["sched"].get_last_lr(), "lr")


def test_torchlike_checkpoint_to_torch(monkeypatch):
    """torchlike's torch.save of the same loads in real torch: torch's classes with torch's
    instance attributes, the same outputs, and the next step as torchlike's."""
    this = sys.modules[__name__]
    monkeypatch.setattr(this, "Net", TorchlikeNet)
    ref = _setup(torchlike, TorchlikeNet)
    buf = io.BytesIO()
    torchlike.save(ref, buf)
    monkeypatch.setattr(this, "Net", TorchNet)
    got = torch.load(io.BytesIO(buf.getvalue()), weights_only=False)
    assert type(got["net"]) is TorchNet
    _vars_like_torch(got["net"], TorchNet())
    assert_same(torch.tensor(_eval_out(torch, got["net"])),
                torchlike.tensor(_eval_out(torchlike, ref["net"])), "output",
                rtol=1e-4, atol=1e-5)
    _train(torch, **got)
    _train(torchlike, **ref)
    for (k, w), g in zip(got["net"].state_dict().items(), ref["net"].state_dict().values()):
        assert_same(w, g, k, rtol=1e-4, atol=1e-5)
    assert_same(got["sched"].get_last_lr(), ref["sched"].get_last_lr(), "lr")

# ---- weights_only --------------------------------------------------------------------------
def _error(L, data: bytes) -> Exception:
    try:
        L.load(io.BytesIO(data), weights_only=True)
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return e
    raise AssertionError("loaded")


@pytest.mark.parametrize("writer", ["torch", "torchlike"])
def test_weights_only_safe_globals(writer):
    """add_safe_globals([torch.nn.Linear, ...]) with each library's own classes admits a
    checkpoint naming torch.nn.modules.linear.Linear; an unlisted class fails with torch's
    UnpicklingError naming it as torch does."""
    L = torch if writer == "torch" else torchlike
    L.manual_seed(0)
    buf = io.BytesIO()
    L.save(L.nn.Sequential(L.nn.Linear(4, 3), L.nn.ReLU()), buf)
    data = buf.getvalue()
    assert_same_error(_error(torch, data), _error(torchlike, data), "nothing allowed")
    with torch.serialization.safe_globals([torch.nn.Sequential]), \
            torchlike.serialization.safe_globals([torchlike.nn.Sequential]):
        want, got = _error(torch, data), _error(torchlike, data)
        assert "torch.nn.modules.linear.Linear" in str(want)
        assert_same_error(want, got, "Linear not allowed")
    torch.serialization.add_safe_globals([torch.nn.Sequential, torch.nn.Linear, torch.nn.ReLU])
    torchlike.serialization.add_safe_globals([torchlike.nn.Sequential, torchlike.nn.Linear,
                                              torchlike.nn.ReLU])
    try:
        want = torch.load(io.BytesIO(data), weights_only=True)
        got = torchlike.load(io.BytesIO(data), weights_only=True)
    finally:
        torch.serialization.clear_safe_globals()
        torchlike.serialization.clear_safe_globals()
    assert type(got[0]) is torchlike.nn.Linear
    x = INPUTS["vec"]
    assert_same(want(torch.tensor(x)), got(torchlike.tensor(x)), "output")

# ---- the child processes -------------------------------------------------------------------
def test_class_table_is_current(run):
    """torchlike/_class_names.py is what the installed torch gives (in a fresh process)."""
    run[0]("table")


def test_names_under_alias(run):
    """`python -m torchlike`: every class has torch's __module__ and __qualname__ (the nn
    modules, optimizers, schedulers, Parameter, Tensor, Size, device, dtype, utils.data)."""
    out, _ = run[0]("alias")
    assert out["torch"] == "torchlike"
    want = _torch_names(run[3])
    assert len(out["names"]) > 250
    for path, got in out["names"].items():
        if path not in KEEP_NAMES:
            assert_same(want[path], got, path)
    for path in ("torch.nn.MultiheadAttention", "torch.nn.modules.linear."
                 "NonDynamicallyQuantizableLinear", "torch.nn.Linear", "torch.Tensor",
                 "torch.Size", "torch.device", "torch.optim.Adam", "torch.nn.Parameter",
                 "torch.optim.lr_scheduler.StepLR", "torch.utils.data.DataLoader"):
        assert path in out["names"], path


def test_alias_loads_torch_checkpoint(run):
    """Under the alias: torch.load of real torch's torch.save(model) (weights_only=False, and
    True with the classes allowlisted), plain pickle and deepcopy of it, and a DataLoader with
    2 workers over a dataset holding one of its modules: torch's outputs throughout."""
    out, arrays = run[0]("alias")
    want = _outputs(run[2], torch, INPUTS)
    for what in ("loaded", "pickled", "deepcopy", "weights_only"):
        for i, w in enumerate(want):
            assert_same(w, arrays[f"{what}_{i}"], f"{what} {i}", rtol=1e-4, atol=1e-5)
    assert_same(want[-1], arrays["workers_0"], "DataLoader workers", rtol=1e-4, atol=1e-5)
    assert_same_error(_error(torch, (run[1] / "torch.pt").read_bytes()),
                      pickle.UnpicklingError(out["weights_only_error"]), "weights_only")


def test_alias_plain_pickle_names_torch_classes(run):
    """Under the alias, plain pickle writes the classes of the model by torch's names: those
    real torch's own pickle of the model writes."""
    out, _ = run[0]("alias")
    seen: set = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            obj = super().find_class(module, name)
            if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
                seen.add(f"{module}.{name}")
            return obj

    Recorder(io.BytesIO(pickle.dumps(run[2]))).load()
    assert_same(sorted(seen), out["pickle_classes"], "classes")


def test_alias_spawn_pool(run):
    """Under the alias, a spawn-context pool's process has torch aliased too, so a module
    pickled by torch's class names arrives as torchlike's and runs."""
    out, arrays = run[0]("alias")
    mlp = run[2]["mlp"]
    assert out["spawn"] == ["torchlike", type(mlp).__module__, type(mlp).__qualname__]
    with torch.no_grad():
        want = mlp(torch.tensor(INPUTS["vec"])).numpy()
    assert_same(want, arrays["spawn_0"], "output", rtol=1e-4, atol=1e-5)


def test_alias_checkpoint_loads_in_torch(run):
    """torch.save of the model under the alias loads in real torch with torch's classes and
    instance attributes, and gives torch's outputs."""
    run[0]("alias")
    got = torch.load(run[1] / "alias.pt", weights_only=False)
    _vars_like_torch(got, run[2])
    for i, (w, g) in enumerate(zip(_outputs(run[2], torch, INPUTS),
                                   _outputs(got, torch, INPUTS))):
        assert_same(w, g, str(i), rtol=1e-4, atol=1e-5)
