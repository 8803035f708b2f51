"""Tests for the `torch` import alias and the `python -m torchlike` script runner."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_PLATFORMS="cpu")
    env.pop("PYTHONSAFEPATH", None)
    return env


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run `python -m torchlike ARGS` in `cwd` and capture its output."""
    return subprocess.run([sys.executable, "-m", "torchlike", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, timeout=300)


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def test_script_argv_name_and_path(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "helper.py", "VALUE = 42\n")
    write(tmp_path / "sub" / "prog.py", """\
        import json, sys
        import helper  # found only if the script's directory is first on sys.path
        print(json.dumps([sys.argv, __name__, sys.path[0], __file__, helper.VALUE]))
    """)
    res = run(["sub/prog.py", "a", "--b", "c d"], tmp_path)
    assert res.returncode == 0, res.stderr
    argv, name, path0, file, value = json.loads(res.stdout)
    assert argv == ["sub/prog.py", "a", "--b", "c d"]
    assert name == "__main__"
    assert Path(path0) == (tmp_path / "sub").resolve()
    assert Path(file) == tmp_path / "sub" / "prog.py"
    assert value == 42


def test_torch_imports_resolve_to_torchlike(tmp_path: Path) -> None:
    write(tmp_path / "prog.py", """\
        import sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch import nn as nn2, optim
        import torch.autograd
        import torch.utils.data
        from torch.utils import data
        from torch.autograd.gradcheck import GradcheckError  # a module named as a function
        import torchlike
        import torchlike.nn.functional, torchlike.optim, torchlike.autograd, torchlike.utils.data
        checks = {
            "gradcheck": callable(torch.autograd.gradcheck) and issubclass(GradcheckError,
                                                                           RuntimeError),
            "torch": torch is torchlike and sys.modules["torch"] is torchlike,
            "nn": nn is nn2 is torchlike.nn is sys.modules["torch.nn"],
            "F": F is torchlike.nn.functional is sys.modules["torch.nn.functional"],
            "optim": optim is torchlike.optim,
            "autograd": torch.autograd is torchlike.autograd,
            "data": torch.utils.data is torchlike.utils.data,
            "data2": data is torchlike.utils.data is sys.modules["torch.utils.data"],
            "names": torch.__name__ == "torchlike" and nn.__name__ == "torchlike.nn",
            "spec": torchlike.nn.__spec__.name == "torchlike.nn",
        }
        print(sorted(k for k, ok in checks.items() if not ok))
    """)
    res = run(["prog.py"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_missing_submodule_names_torch(tmp_path: Path) -> None:
    write(tmp_path / "prog.py", """\
        try:
            import torch.no_such_submodule_xyz
        except ModuleNotFoundError as exc:
            print(exc.name, "|", exc)
    """)
    res = run(["prog.py"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == (
        "torch.no_such_submodule_xyz | No module named 'torch.no_such_submodule_xyz'")


@pytest.mark.parametrize("body, code, err", [
    ("import sys\nsys.exit(3)\n", 3, ""),
    ("import sys\nsys.exit('boom')\n", 1, "boom"),
    ("import sys\nsys.exit()\n", 0, ""),
    ("print('hi')\n", 0, ""),
    ("raise KeyboardInterrupt\n", 130, "KeyboardInterrupt"),
])
def test_exit_codes(tmp_path: Path, body: str, code: int, err: str) -> None:
    res = run([str(write(tmp_path / "prog.py", body))], tmp_path)
    assert res.returncode == code, res.stderr
    assert err in res.stderr


def test_uncaught_exception_traceback(tmp_path: Path) -> None:
    script = write(tmp_path / "prog.py", """\
        def f():
            raise ValueError("bad value")
        f()
    """)
    res = run(["prog.py"], tmp_path)
    assert res.returncode == 1
    lines = res.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    # The first frame shown is the script's own module-level code, as with plain python.
    assert lines[1].strip() == f'File "{script}", line 3, in <module>'
    assert f'File "{script}", line 2, in f' in res.stderr
    assert lines[-1] == "ValueError: bad value"
    assert "runpy" not in res.stderr and "__main__.py" not in res.stderr


def test_dash_c(tmp_path: Path) -> None:
    code = "import sys, torch, torchlike; print(sys.argv, __name__, torch is torchlike)"
    res = run(["-c", code, "x", "-y"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "['-c', 'x', '-y'] __main__ True"


def test_dash_m(tmp_path: Path) -> None:
    mod = write(tmp_path / "mymod.py", """\
        import sys, torch, torchlike
        print(sys.argv, __name__, torch is torchlike)
    """)
    res = run(["-m", "mymod", "x"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"[{str(mod)!r}, 'x'] __main__ True"


def test_usage_and_missing_script(tmp_path: Path) -> None:
    res = run([], tmp_path)
    assert res.returncode == 2 and "usage" in res.stderr
    res = run(["--help"], tmp_path)
    assert res.returncode == 0 and "usage" in res.stdout
    res = run(["nope.py"], tmp_path)
    assert res.returncode == 2
    assert "can't open file" in res.stderr and "[Errno 2] No such file or directory" in res.stderr


def test_install_alias_in_process(tmp_path: Path) -> None:
    code = textwrap.dedent("""\
        import sys
        from torchlike._alias import install_alias
        install_alias()
        install_alias()
        import torch, torchlike
        import torch.nn.functional as F
        finders = [f for f in sys.meta_path if type(f).__name__ == "_TorchAliasFinder"]
        print(len(finders), torch is torchlike, F is torchlike.nn.functional)
    """)
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "1 True True"


def test_missing_names_in_every_module_raise_not_implemented():
    import importlib

    import pytest

    for mod in ("torchlike", "torchlike.linalg", "torchlike.special", "torchlike.fft",
                "torchlike.cuda", "torchlike.autograd", "torchlike.nn", "torchlike.nn.functional",
                "torchlike.nn.init", "torchlike.nn.utils", "torchlike.optim",
                "torchlike.optim.lr_scheduler", "torchlike.utils", "torchlike.utils.data",
                "torchlike.serialization", "torchlike.accelerator", "torchlike.nn.modules",
                "torchlike.nn.parameter", "torchlike.optim.optimizer", "torchlike.backends",
                "torchlike.backends.cudnn", "torchlike.backends.cuda", "torchlike.backends.mps",
                "torchlike.multiprocessing", "torchlike.distributed", "torchlike.version",
                "torchlike.cpu", "torchlike.xpu", "torchlike.mps", "torchlike.jit",
                "torchlike.compiler", "torchlike.distributions", "torchlike.cuda.amp",
                "torchlike.nn.utils.rnn", "torchlike.utils.data.distributed"):
        m = importlib.import_module(mod)
        with pytest.raises(NotImplementedError, match=r"^torch\..*no_such_op is not implemented"):
            getattr(m, "no_such_op")
        assert not hasattr(m, "no_such_op")  # still an AttributeError for feature checks


def test_names_torch_has_import_and_raise_when_used(tmp_path: Path) -> None:
    """A name torchlike lacks in a module where torch has it imports (no ImportError) and
    raises NotImplementedError naming it when used; generated submodules import too."""
    write(tmp_path / "prog.py", """\
        import torch
        from torch.autograd.functional import jacobian
        from torch.quantization import QuantStub
        from torch.ao.quantization import DeQuantStub
        import torch.backends.cudnn as cudnn
        out = [hasattr(torch.autograd.functional, "jacobian"),
               torch.ao.quantization.QuantStub is torch.quantization.QuantStub,
               cudnn.benchmark, torch.backends.mps.is_available()]
        class MyStub(QuantStub):
            pass
        for use in (lambda: jacobian(None, None), lambda: MyStub(), lambda: QuantStub.forward,
                    lambda: DeQuantStub.forward):
            try:
                use()
            except NotImplementedError as exc:
                out.append(str(exc))
        print(out)
    """)
    res = run(["prog.py"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str([
        True, True, False, False,
        "torch.autograd.functional.jacobian is not implemented in torchlike",
        "torch.quantization.QuantStub is not implemented in torchlike",
        "torch.quantization.QuantStub is not implemented in torchlike",
        "torch.quantization.DeQuantStub is not implemented in torchlike"])
