"""torch.save / torch.load against real torch: files cross in both directions (torchlike ->
torch, torch -> torchlike, torchlike -> torchlike) with equal values, dtypes, shapes, strides,
requires_grad, types and storage sharing; weights_only refusals match torch's."""
from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

import torchlike

LIBS = {"torch": torch, "torchlike": torchlike}
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]


def _bits(t) -> tuple:
    """(dtype name, shape, raw bytes) of a torch or torchlike tensor."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        a = (t.view(torch.int16) if t.dtype is torch.bfloat16 else t).contiguous().numpy()
    else:
        a = np.asarray(t._data)
    return str(t.dtype).removeprefix("torch."), tuple(t.shape), a.tobytes()


def _sample(lib, dtype: str):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4)) * 50
    if dtype.startswith("complex"):
        x = x + 1j * rng.standard_normal((3, 4))
    t = lib.tensor(x.astype(np.complex128 if dtype.startswith("complex") else np.float64))
    return t.to(getattr(lib, dtype))


def _dumps(lib, obj) -> bytes:
    buf = io.BytesIO()
    lib.save(obj, buf)
    return buf.getvalue()


def _loads(lib, data: bytes, **kw):
    return lib.load(io.BytesIO(data), **kw)


def _pickle_of(data: bytes) -> bytes:
    z = zipfile.ZipFile(io.BytesIO(data))
    return z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))


def _mixed(lib):
    x = lib.arange(12.0).view(3, 4)
    return {"x": x, "row": x[1], "t": x.t(), "step": x[:, ::2], "inner": x[1:, 1:],
            "expand": x[:1].expand(3, 4), "scalar": lib.tensor(3), "empty": lib.empty(0, 3),
            "p": lib.nn.Parameter(lib.ones(2)), "rg": lib.ones(2).requires_grad_(),
            "half": lib.zeros(2, dtype=lib.float16), "dtype": lib.float16,
            "size": lib.Size([2, 3]), "dev": lib.device("cpu"),
            "plain": [1, 2.5, "s", (None, True), b"raw", {3, 4}, OrderedDict(a=1), 1 + 2j]}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("src,dst", [("torchlike", "torch"), ("torch", "torchlike"),
                                     ("torchlike", "torchlike")])
def test_dtypes_round_trip(src, dst, dtype):
    s, d = LIBS[src], LIBS[dst]
    obj = {"m": _sample(s, dtype), "z": _sample(s, dtype)[1, 2], "e": _sample(s, dtype)[:0]}
    out = _loads(d, _dumps(s, obj), weights_only=True)
    assert set(out) == set(obj)
    for k in obj:
        assert isinstance(out[k], d.Tensor)
        assert _bits(out[k]) == _bits(obj[k])
        assert out[k].stride() == obj[k].stride()


def test_pickle_matches_torch_byte_for_byte():
    """The same object saved by each library pickles to the same bytes (names, memo, ops)."""
    assert _pickle_of(_dumps(torchlike, _mixed(torchlike))) == \
        _pickle_of(_dumps(torch, _mixed(torch)))


def test_archive_layout_matches_torch(tmp_path):
    for lib in LIBS.values():
        lib.save({"w": lib.ones(3)}, tmp_path / f"{lib.__name__}.ckpt.pth")
    names = [zipfile.ZipFile(tmp_path / f"{n}.ckpt.pth").namelist() for n in LIBS]
    assert [n.replace("torch.ckpt", "X") for n in names[0]] == \
        [n.replace("torchlike.ckpt", "X") for n in names[1]]
    z = zipfile.ZipFile(tmp_path / "torchlike.ckpt.pth")
    raw = (tmp_path / "torchlike.ckpt.pth").read_bytes()
    for info in z.infolist():  # data 64-byte aligned, as torch writes it (mmap needs it)
        n, e = np.frombuffer(raw[info.header_offset + 26:info.header_offset + 30], "<u2")
        assert (info.header_offset + 30 + n + e) % 64 == 0
    assert z.read("torchlike.ckpt/byteorder") == b"little"
    assert z.read("torchlike.ckpt/version") == b"3\n"


@pytest.mark.parametrize("src,dst", [("torchlike", "torch"), ("torch", "torchlike"),
                                     ("torchlike", "torchlike")])
def test_mixed_object(src, dst):
    s, d = LIBS[src], LIBS[dst]
    obj = _mixed(s)
    out = _loads(d, _dumps(s, obj), weights_only=True)
    for k, v in obj.items():
        if isinstance(v, s.Tensor):
            got = out[k]
            assert _bits(got) == _bits(v), k
            assert (got.stride(), got.requires_grad) == (v.stride(), v.requires_grad), k
            assert type(got).__name__ == type(v).__name__, k
    assert isinstance(out["p"], d.nn.Parameter) and not isinstance(out["x"], d.nn.Parameter)
    assert out["dtype"] is d.float16 and out["size"] == d.Size([2, 3])
    assert isinstance(out["size"], d.Size) and out["dev"] == d.device("cpu")
    assert out["plain"] == obj["plain"]


def _sharing(lib, out) -> None:
    """Views saved together still share memory: a write to one shows in the others."""
    out["row"].mul_(-1)
    assert out["x"][1].tolist() == [-4.0, -5.0, -6.0, -7.0]
    assert out["t"][:, 1].tolist() == [-4.0, -5.0, -6.0, -7.0]
    assert out["inner"][0].tolist() == [-5.0, -6.0, -7.0]
    assert out["step"][1].tolist() == [-4.0, -6.0]
    out["x"][0, 0] = 99.0
    assert out["expand"][2, 0].item() == 99.0


@pytest.mark.parametrize("src,dst", [("torchlike", "torch"), ("torch", "torchlike"),
                                     ("torchlike", "torchlike")])
@pytest.mark.parametrize("first", ["x", "row", "inner"])
def test_views_share_storage(src, dst, first):
    """Whichever tensor comes first in the file (the whole storage or a view of it)."""
    s, d = LIBS[src], LIBS[dst]
    full = _mixed(s)
    keys = [first] + [k for k in ("x", "row", "t", "step", "inner", "expand") if k != first]
    obj = {k: full[k] for k in keys}
    out = _loads(d, _dumps(s, obj), weights_only=True)
    for k in keys:
        assert _bits(out[k]) == _bits(obj[k]) and out[k].stride() == obj[k].stride(), k
    if d is torch:
        ptrs = {out[k].untyped_storage().data_ptr() for k in keys}
        assert len(ptrs) == 1
        ref = _mixed(torch)
        assert [out[k].storage_offset() for k in keys] == [ref[k].storage_offset()
                                                            for k in keys]
    _sharing(d, out)


def test_storage_written_once():
    x = torchlike.arange(1000.0)
    data = _dumps(torchlike, {"a": x, "b": x[10:20], "c": x.view(10, 100).t()})
    z = zipfile.ZipFile(io.BytesIO(data))
    assert [n for n in z.namelist() if "/data/" in n] == ["archive/data/0"]


def test_unsharable_views_saved_as_copies():
    """A view(dtype) or a base restrided by t_() is no window on a row-major storage:
    saved as a copy, with correct values."""
    x = torchlike.arange(6.0).view(2, 3)
    y = torchlike.arange(6.0).view(2, 3).t_()
    obj = {"x": x, "bits": x.view(torchlike.int32), "y": y}
    out = _loads(torch, _dumps(torchlike, obj))
    for k in obj:
        assert _bits(out[k]) == _bits(obj[k]), k


def test_tied_parameter_stays_one_object():
    for s, d in [(torchlike, torch), (torch, torchlike)]:
        p = s.nn.Parameter(s.ones(3))
        out = _loads(d, _dumps(s, {"a": p, "b": p, "l": [p]}))
        assert out["a"] is out["b"] is out["l"][0]


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(5, 8), lib.nn.BatchNorm1d(8), lib.nn.ReLU(),
                             lib.nn.Linear(8, 2))


@pytest.mark.parametrize("src,dst", [("torchlike", "torch"), ("torch", "torchlike")])
def test_trained_state_dict_gives_same_outputs(src, dst):
    s, d = LIBS[src], LIBS[dst]
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((6, 5), dtype=np.float32), rng.standard_normal((6, 2),
                                                                              dtype=np.float32)
    model = _net(s)
    opt = s.optim.Adam(model.parameters(), lr=0.1)
    loss = s.nn.functional.mse_loss(model(s.tensor(x)), s.tensor(y))
    loss.backward()
    opt.step()
    data = _dumps(s, {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 1})
    ck = _loads(d, data, weights_only=True)
    assert type(ck["model"]) is OrderedDict
    assert ck["model"]._metadata == model.state_dict()._metadata
    other = _net(d)
    other.load_state_dict(ck["model"])
    other_opt = d.optim.Adam(other.parameters(), lr=0.1)
    other_opt.load_state_dict(ck["opt"])
    for m in (model, other):
        m.eval()
    for k, v in model.state_dict().items():
        assert _bits(other.state_dict()[k]) == _bits(v), k
    a = model(s.tensor(x)).detach().numpy()  # the libraries' matmuls round differently
    np.testing.assert_allclose(other(d.tensor(x)).detach().numpy(), a, rtol=1e-5, atol=1e-6)
    for k, v in opt.state_dict()["state"][0].items():
        assert _bits(other_opt.state_dict()["state"][0][k]) == _bits(v)
    assert other_opt.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


def test_quickstart_pattern(tmp_path, monkeypatch):
    """PyTorch quickstart: save a state_dict to "model.pth", load it with weights_only=True."""
    monkeypatch.chdir(tmp_path)
    model = _net(torchlike)
    torchlike.save(model.state_dict(), "model.pth")
    for lib in LIBS.values():
        fresh = lib.nn.Sequential(lib.nn.Linear(5, 8), lib.nn.BatchNorm1d(8), lib.nn.ReLU(),
                                  lib.nn.Linear(8, 2))
        assert str(fresh.load_state_dict(lib.load("model.pth", weights_only=True))) == \
            "<All keys matched successfully>"
        for k, v in model.state_dict().items():
            assert _bits(fresh.state_dict()[k]) == _bits(v)


def test_paths_and_files(tmp_path):
    obj = {"w": torchlike.arange(4)}
    torchlike.save(obj, str(tmp_path / "a.pt"))
    torchlike.save(obj, tmp_path / "b.pt")
    with open(tmp_path / "c.pt", "wb") as f:
        torchlike.save(obj, f)
    for name in "abc":
        with open(tmp_path / f"{name}.pt", "rb") as f:
            assert torchlike.load(f)["w"].tolist() == [0, 1, 2, 3]
        assert torch.load(tmp_path / f"{name}.pt")["w"].tolist() == [0, 1, 2, 3]
        assert torchlike.load(tmp_path / f"{name}.pt", mmap=True)["w"].tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="mmap"):
        torchlike.load(io.BytesIO(_dumps(torchlike, obj)), mmap=True)


@pytest.mark.parametrize("map_location", [
    "cpu", "device", "dict", "identity", "none", "to_cpu"])
def test_map_location(map_location):
    forms = {"device": torchlike.device("cpu"), "dict": {"cpu": "cpu"},
             "identity": lambda s, loc: s, "none": lambda s, loc: None,
             "to_cpu": lambda s, loc: s.cpu()}
    data = _dumps(torch, {"w": torch.arange(3.0), "v": torch.arange(3.0)[1:]})
    out = torchlike.load(io.BytesIO(data), map_location=forms.get(map_location, map_location))
    assert out["w"].device == torchlike.device("cpu")
    assert out["v"].tolist() == [1.0, 2.0]


def test_cuda_location_without_gpu():
    data = _dumps(torch, {"w": torch.ones(2)})
    pkl = _pickle_of(data).replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for n in src.namelist():
            dst.writestr(n, pkl if n.endswith("data.pkl") else src.read(n))
    if not torchlike.cuda.is_available():
        with pytest.raises(RuntimeError, match="map_location=torch.device\\('cpu'\\)"):
            torchlike.load(io.BytesIO(buf.getvalue()))
    out = torchlike.load(io.BytesIO(buf.getvalue()), map_location="cpu")
    assert out["w"].device == torchlike.device("cpu") and out["w"].tolist() == [1.0, 1.0]


class Point:
    def __init__(self, x):
        self.x = x

    def __eq__(self, other):
        return isinstance(other, Point) and other.x == self.x


def _refusal(lib, data: bytes) -> Exception:
    with pytest.raises(Exception) as info:
        _loads(lib, data, weights_only=True)
    return info.value


@pytest.mark.parametrize("case", ["module", "user_class", "blocked", "function"])
@pytest.mark.parametrize("src", ["torch", "torchlike"])
def test_weights_only_refusals_match_torch(case, src):
    s = LIBS[src]
    obj = {"module": lambda: s.nn.Linear(2, 2), "user_class": lambda: Point(s.ones(1)),
           "blocked": lambda: [os.getcwd], "function": lambda: {"f": np.sum}}[case]()
    data = _dumps(s, obj)
    theirs, ours = _refusal(torch, data), _refusal(torchlike, data)
    assert type(ours) is type(theirs) is pickle.UnpicklingError
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("lib", ["torch", "torchlike"])
def test_safe_globals_allow_a_class(lib):
    d = LIBS[lib]
    data = _dumps(torchlike, Point(torchlike.arange(2)))
    with d.serialization.safe_globals([Point]):
        out = _loads(d, data, weights_only=True)
    assert out.x.tolist() == [0, 1]
    with pytest.raises(pickle.UnpicklingError, match="Point"):
        _loads(d, data, weights_only=True)
    d.serialization.add_safe_globals([Point])
    try:
        assert _loads(d, data, weights_only=True).x.tolist() == [0, 1]
    finally:
        d.serialization.clear_safe_globals()


@pytest.mark.parametrize("src,dst", [("torchlike", "torch"), ("torch", "torchlike"),
                                     ("torchlike", "torchlike")])
def test_whole_module_with_weights_only_false(src, dst):
    s, d = LIBS[src], LIBS[dst]
    model = _net(s).eval()
    out = _loads(d, _dumps(s, model), weights_only=False)
    assert type(out).__name__ == "Sequential" and isinstance(out, d.nn.Module)
    x = np.random.default_rng(2).standard_normal((3, 5), dtype=np.float32)
    for k, v in model.state_dict().items():
        assert _bits(out.state_dict()[k]) == _bits(v), k
    np.testing.assert_allclose(out(d.tensor(x)).detach().numpy(),
                               model(s.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert isinstance(next(out.parameters()), d.nn.Parameter)


def test_unsupported_forms_say_so():
    with pytest.raises(NotImplementedError, match="_use_new_zipfile_serialization"):
        torchlike.save({}, io.BytesIO(), _use_new_zipfile_serialization=False)
    buf = io.BytesIO()
    torch.save({"w": torch.ones(1)}, buf, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy"):
        torchlike.load(io.BytesIO(buf.getvalue()))
    with pytest.raises(RuntimeError, match="pickle_module"):
        torchlike.load(io.BytesIO(_dumps(torchlike, 1)), pickle_module=pickle,
                       weights_only=True)


def test_torch_alias_script(tmp_path: Path):
    """`python -m torchlike`: `import torch` is torchlike, and save/load work under it."""
    script = tmp_path / "s.py"
    script.write_text(
        "import torch\n"
        "m = torch.nn.Linear(3, 2)\n"
        "torch.save(m.state_dict(), 'model.pth')\n"
        "m2 = torch.nn.Linear(3, 2)\n"
        "m2.load_state_dict(torch.load('model.pth', weights_only=True))\n"
        "assert torch.equal(m.weight, m2.weight), 'weights differ'\n"
        "print(torch.serialization.__name__, type(m2.weight).__module__)\n")
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root), JAX_PLATFORMS="cpu")
    res = subprocess.run([sys.executable, "-m", "torchlike", str(script)], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    # classes carry torch's names under the alias (torchlike._pickle_names), modules their own
    assert res.stdout.split() == ["torchlike.serialization", torch.nn.Parameter.__module__]
    sd = torch.load(tmp_path / "model.pth", weights_only=True)
    assert list(sd) == ["weight", "bias"] and sd["weight"].shape == (2, 3)
