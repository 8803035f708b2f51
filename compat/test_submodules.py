"""Every torch module a program may import imports under torchlike: names torch has answer
hasattr() as in torch and raise NotImplementedError naming them when used; the switches and
queries programs call unconditionally (torch.backends, torch.multiprocessing, ...) give
torch's values. The module list and names come from torchlike/_torch_names.py, generated
from torch by compat/gen_torch_names.py."""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
import types

import pytest
import torch
from _helper import check_raises
from gen_torch_names import EXTRA, UNIMPORTABLE, is_api

import torchlike
from torchlike._errors import _PlaceholderMeta, _table
from torchlike._torch_names import MODULES

# Reading every name of torch's modules trips their deprecation warnings.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning",
                                        "ignore::FutureWarning", "ignore::UserWarning")
LISTED = sorted(MODULES)
NO_GETATTR: set = set()  # torchlike modules without the module __getattr__ line
ABSENT = "no_such_name_xyz"


def _tl(name: str) -> types.ModuleType:
    return importlib.import_module("torchlike" + name[len("torch"):])


def _torch_api(name: str) -> dict[str, object]:
    """Real torch's API names in module `name` (public and EXTRA, no submodules), now."""
    mod = importlib.import_module(name)
    out = {}
    for n in {n for n in dir(mod) if not n.startswith("_")} | set(EXTRA.get(name, ())):
        with contextlib.suppress(AttributeError):
            value = getattr(mod, n)
            if not isinstance(value, types.ModuleType) and (
                    is_api(name, n, value) or n in EXTRA.get(name, ())):
                out[n] = value
    return out


def test_name_table_is_current():
    """_torch_names.py is what the installed torch gives (generated in a fresh process)."""
    res = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__),
                                                       "gen_torch_names.py"), "--check"],
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr


def test_every_listed_module_imports():
    failed = []
    for name in LISTED:
        try:
            _tl(name)
        except Exception as e:  # noqa: BLE001 - collect them all
            failed.append(f"{name}: {e!r}")
    assert not failed


def test_hasattr_matches_torch():
    """All of torch's API names are there, and a name torch lacks is absent as in torch."""
    wrong = []
    for name in LISTED:
        if name in UNIMPORTABLE or name in NO_GETATTR:
            continue
        tl_mod = _tl(name)
        for n in [*_torch_api(name), ABSENT]:
            if hasattr(importlib.import_module(name), n) != hasattr(tl_mod, n):
                wrong.append(f"{name}.{n}")
    assert not wrong, f"{len(wrong)} differ: {wrong[:20]}"


def test_absent_names_are_attribute_errors():
    for name in LISTED:
        with pytest.raises(AttributeError):
            getattr(_tl(name), ABSENT)
        if name in NO_GETATTR:
            continue
        with pytest.raises(NotImplementedError, match=f"^{name}.{ABSENT} is not implemented"):
            getattr(_tl(name), ABSENT)
    check_raises(lambda L: exec(f"from {L.__name__}.nn import {ABSENT}"),  # paths differ
                 message=lambda m: m.split(" from ")[0])


def _placeholder_names() -> list[tuple[str, str, type]]:
    """(module, name, placeholder) for every name torchlike stands in for."""
    out = []
    for name in set(LISTED) - NO_GETATTR:
        tl_mod = _tl(name)
        for n, kind in _table(name).items():
            value = getattr(tl_mod, n) if kind != "/" else None
            if isinstance(value, _PlaceholderMeta):
                out.append((name, n, value))
    return out


def test_placeholders_raise_naming_torch():
    found = _placeholder_names()
    assert len(found) > 1000
    for name, n, p in found:
        msg = f"^{p._torch_name} is not implemented in torchlike$"
        # The placeholder stands for this very name, or for the same object elsewhere in torch.
        assert p._torch_name == f"{name}.{n}" or _table(name)[n] == p._torch_name
        assert name in UNIMPORTABLE or hasattr(importlib.import_module(name), n)
        with pytest.raises(NotImplementedError, match=msg):
            p()
        with pytest.raises(NotImplementedError, match=msg):
            p(1, key=2)
        with pytest.raises(NotImplementedError, match=msg):
            p.some_attribute  # noqa: B018
        with pytest.raises(NotImplementedError, match=msg):
            bool(p)


def test_placeholder_as_class():
    """Subclassing, annotations, isinstance, decorators: as programs use torch's classes."""
    Stub = torchlike.quantization.QuantStub

    class MyStub(Stub):
        observed = True

    assert MyStub.observed and issubclass(MyStub, Stub)
    with pytest.raises(NotImplementedError, match="^torch.quantization.QuantStub is not"):
        MyStub()
    assert not isinstance(torchlike.nn.Linear(1, 1), torchlike.quantization.DeQuantStub)
    hint = torchlike.nn.common_types._size_2_t | None
    assert hint.__args__[0] is torchlike.nn.common_types._size_2_t
    with pytest.raises(NotImplementedError, match="^torch.jit.load is not implemented"):
        torchlike.jit.load("model.pt")
    # The same object in torch is the same placeholder in torchlike.
    assert torchlike.ao.quantization.QuantStub is torchlike.quantization.QuantStub
    assert torch.ao.quantization.QuantStub is torch.quantization.QuantStub


def test_forwarded_names_are_torchlikes_objects():
    """torch.random.manual_seed is torch.manual_seed (until torch._dynamo rewraps it): in
    torchlike too."""
    assert torchlike.random.manual_seed is torchlike.manual_seed
    assert torch.nn.modules.Linear is torch.nn.Linear
    assert torchlike.nn.parallel.DataParallel is torchlike.nn.DataParallel


def test_submodule_import_forms_under_alias(tmp_path):
    """`import torch.X` and `from torch.X import Y` for every listed module, in a program run
    by `python -m torchlike`, import as in torch (one sample name per module)."""
    samples = {}
    for name in LISTED:
        names = sorted(n for n, kind in _table(name).items() if kind != "/")
        if names:
            samples[name] = names[0]
    code = """if True:
        import importlib, json, sys
        samples = json.loads(sys.argv[1])
        failed = []
        for name, n in samples.items():
            try:
                importlib.import_module(name)
                exec(f"from {name} import {n}")
            except Exception as e:
                failed.append(f"{name}.{n}: {e!r}")
        from torch.autograd.functional import jacobian
        try:
            jacobian(None, None)
        except NotImplementedError as e:
            failed.append(str(e))
        try:
            import torch.no_such_submodule_xyz
        except ModuleNotFoundError as e:
            failed.append(str(e))
        import torch, torchlike
        failed.append(torch.backends.cudnn is torchlike.backends.cudnn)
        print(json.dumps(failed))
    """
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    res = subprocess.run([sys.executable, "-m", "torchlike", "-c", code, json.dumps(samples)],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
                         check=False)
    assert res.returncode == 0, res.stderr
    for name, n in samples.items():  # the oracle: torch imports them all (bar UNIMPORTABLE)
        if name not in UNIMPORTABLE:
            exec(f"from {name} import {n}")
    assert json.loads(res.stdout) == [
        "torch.autograd.functional.jacobian is not implemented in torchlike",
        "No module named 'torch.no_such_submodule_xyz'", True]


@contextlib.contextmanager
def _restoring(*objs_names):
    saved = [(o, n, getattr(o, n)) for o, n in objs_names]
    try:
        yield
    finally:
        for o, n, v in saved:
            setattr(o, n, v)


CUDNN = ("enabled", "benchmark", "deterministic", "allow_tf32", "fp32_precision",
         "benchmark_limit", "depthwise_kernel")


@pytest.mark.skipif(torchlike.cuda.is_available(), reason="the oracle is torch's CPU build")
def test_backends_cudnn_matches_torch():
    t, tl = torch.backends.cudnn, torchlike.backends.cudnn
    assert [getattr(tl, n) for n in CUDNN] == [getattr(t, n) for n in CUDNN]
    assert (tl.is_available(), tl.version()) == (t.is_available(), t.version())
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        with _restoring((t, flag), (tl, flag)):
            for lib in (t, tl):
                setattr(lib, flag, not getattr(lib, flag))
            assert getattr(tl, flag) == getattr(t, flag)
        for bad in (1, "yes", None):
            want, got = check_raises(lambda L, f=flag, b=bad: setattr(L.backends.cudnn, f, b))
            assert got == want
    for bad in ("bf16", "bad"):
        want, got = check_raises(lambda L, b=bad: setattr(L.backends.cudnn, "fp32_precision", b))
        assert got == want
    with _restoring((t, "fp32_precision"), (tl, "fp32_precision")):
        t.fp32_precision = tl.fp32_precision = "tf32"
        assert tl.fp32_precision == t.fp32_precision
    with t.flags(enabled=False), tl.flags(enabled=False):
        assert [getattr(tl, n) for n in CUDNN] == [getattr(t, n) for n in CUDNN]
    assert [getattr(tl, n) for n in CUDNN] == [getattr(t, n) for n in CUDNN]
    want, got = t.set_flags(True), tl.set_flags(True)
    assert got == want


@pytest.mark.skipif(torchlike.cuda.is_available(), reason="the oracle is torch's CPU build")
def test_backends_cuda_and_mps_match_torch():
    t, tl = torch.backends, torchlike.backends
    assert (tl.cuda.is_built(), tl.mps.is_built(), tl.mps.is_available()) == \
        (t.cuda.is_built(), t.mps.is_built(), t.mps.is_available())
    names = ["allow_tf32", "allow_fp16_accumulation", "fp32_precision",
             *(f"allow_{k}_reduced_precision_reduction{s}" for k in ("fp16", "bf16")
               for s in ("", "_split_k"))]
    assert [getattr(tl.cuda.matmul, n) for n in names] == \
        [getattr(t.cuda.matmul, n) for n in names]
    with _restoring((t.cuda.matmul, "allow_tf32"), (tl.cuda.matmul, "allow_tf32")):
        t.cuda.matmul.allow_tf32 = tl.cuda.matmul.allow_tf32 = True
        assert tl.cuda.matmul.allow_tf32 == t.cuda.matmul.allow_tf32
    for attr in ("allow_fp16_reduced_precision_reduction",
                 "allow_bf16_reduced_precision_reduction"):
        saved = [(o, attr, (getattr(o, attr), getattr(o, attr + "_split_k")))
                 for o in (t.cuda.matmul, tl.cuda.matmul)]
        try:
            for value in ((False, False), [False], True, [True, True]):
                for lib in (t, tl):
                    setattr(lib.cuda.matmul, attr, value)
                assert getattr(tl.cuda.matmul, attr + "_split_k") == \
                    getattr(t.cuda.matmul, attr + "_split_k")
            for bad in (1, (), (True, True, True), (1,), (True, "x"), (True, False)):
                want, got = check_raises(
                    lambda L, a=attr, b=bad: setattr(L.backends.cuda.matmul, a, b))
                assert got == want
        finally:
            for o, a, v in saved:
                setattr(o, a, v)
    for bad in (("allow_tf32", 1), ("foo", 1), ("allow_fp16_reduced_precision_reduction_split_k",
                                                 True)):
        want, got = check_raises(lambda L, b=bad: setattr(L.backends.cuda.matmul, *b))
        assert got == want
    want, got = check_raises(lambda L: L.backends.cuda.matmul.foo)
    assert got == want
    sdp = ["flash", "mem_efficient", "math", "cudnn"]
    assert [getattr(tl.cuda, f"{k}_sdp_enabled")() for k in sdp] == \
        [getattr(t.cuda, f"{k}_sdp_enabled")() for k in sdp]
    assert tl.cuda.fp16_bf16_reduction_math_sdp_allowed() == \
        t.cuda.fp16_bf16_reduction_math_sdp_allowed()
    for k in ("flash", "mem_efficient", "math"):
        for lib in (t, tl):
            getattr(lib.cuda, f"enable_{k}_sdp")(False)
        assert getattr(tl.cuda, f"{k}_sdp_enabled")() == getattr(t.cuda, f"{k}_sdp_enabled")()
        for lib in (t, tl):
            getattr(lib.cuda, f"enable_{k}_sdp")(True)
        want, got = check_raises(lambda L, k=k: getattr(L.backends.cuda, f"enable_{k}_sdp")(1))
        assert got == want


def test_device_queries_match_torch():
    calls = ["cpu.is_available", "cpu.device_count", "cpu.current_device", "cpu.is_initialized",
             "xpu.is_available", "xpu.device_count", "mps.is_available", "mps.device_count",
             "distributed.is_available", "distributed.is_initialized", "jit.is_scripting",
             "jit.is_tracing",
             "compiler.is_compiling", "compiler.is_dynamo_compiling", "compiler.is_exporting"]
    for call in calls:
        mod, fn = call.split(".")
        assert getattr(getattr(torchlike, mod), fn)() == getattr(getattr(torch, mod), fn)(), call
    for attr in ("cuda", "hip", "xpu", "debug"):
        assert getattr(torchlike.version, attr) == getattr(torch.version, attr), attr
    assert set(torchlike.version.__all__) == set(torch.version.__all__)


def test_eager_decorators_match_torch():
    def f(x):
        return x + 1

    for lib in (torch, torchlike):
        assert lib.jit.ignore(f) is f and lib.jit.unused(f) is f and lib.jit.export(f) is f
        assert lib.jit.ignore(drop=False)(f) is f
        assert lib.jit.annotate(list[int], [1]) == [1]
        assert lib.compiler.disable(f)(1) == 2 and lib.compiler.disable()(f)(1) == 2
    want, got = check_raises(lambda L: L.jit.ignore("x"))
    assert got == want
    assert torchlike.jit.Final is torch.jit.Final


def test_multiprocessing_matches_torch():
    t, tl = torch.multiprocessing, torchlike.multiprocessing
    assert sorted(tl.__all__) == sorted(t.__all__)
    import multiprocessing
    for n in multiprocessing.__all__:
        assert getattr(tl, n) == getattr(t, n), n
    assert tl.get_sharing_strategy() == t.get_sharing_strategy()
    assert tl.get_all_sharing_strategies() == t.get_all_sharing_strategies()
    want, got = check_raises(lambda L: L.multiprocessing.set_sharing_strategy("bad"))
    assert got == want
    with _restoring((tl, "_sharing_strategy")):
        tl.set_sharing_strategy("file_system")
        assert tl.get_sharing_strategy() == "file_system"
