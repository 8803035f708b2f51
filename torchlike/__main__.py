"""`python -m torchlike SCRIPT|-m MODULE|-c CODE [ARGS...]`: run a PyTorch program on torchlike."""

import builtins
import io
import os
import runpy
import sys
import types

from torchlike._alias import install_alias

USAGE = (
    "usage: python -m torchlike [-h] (SCRIPT | -m MODULE | -c CODE) [ARGS...]\n"
    "Run an unmodified PyTorch program with `import torch` resolving to torchlike.\n"
)


def _exec_as_main(code: types.CodeType, file: str | None) -> None:
    """Execute `code` in a fresh `__main__` module, as the interpreter does for a script."""
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    if file is not None:
        main.__file__, main.__cached__ = file, None
    # Kept registered after the run too, so pickling and atexit hooks see the script's globals.
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def _run(argv: list[str]) -> None:
    """Dispatch on the python-like command line `argv` (without the program name)."""
    install_alias()
    if argv[0] == "-m":
        sys.argv = argv[1:]  # runpy replaces argv[0] with the module's file, like python -m
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    elif argv[0] == "-c":
        sys.argv = ["-c", *argv[2:]]
        _exec_as_main(compile(argv[1], "<string>", "exec", dont_inherit=True), None)
    elif os.path.isdir(argv[0]):
        sys.argv = argv
        sys.path[0] = argv[0]  # python runs DIR/__main__.py with DIR itself first on the path
        runpy.run_path(argv[0], run_name="__main__")
    else:
        sys.argv = argv
        path = os.path.abspath(argv[0])  # python >= 3.9 gives the script an absolute __file__
        if not getattr(sys.flags, "safe_path", False):
            # `python -m` put the cwd first; `python SCRIPT` would put the script's directory.
            sys.path[0] = os.path.dirname(os.path.realpath(path))
        with io.open_code(path) as f:
            source = f.read()
        _exec_as_main(compile(source, path, "exec", dont_inherit=True), path)


def main(argv: list[str] | None = None) -> int:
    """Run the program named on the command line and return the process exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.stderr.write(USAGE)
        return 2
    if argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if argv[0] in ("-m", "-c") and len(argv) < 2:
        sys.stderr.write(f"Argument expected for the {argv[0]} option\n{USAGE}")
        return 2
    if argv[0] not in ("-m", "-c") and not os.path.exists(argv[0]):
        path = os.path.abspath(argv[0])
        sys.stderr.write(f"torchlike: can't open file {path!r}: "
                         "[Errno 2] No such file or directory\n")
        return 2
    try:
        _run(argv)
    except SystemExit:
        raise  # the interpreter prints a message code and maps it to an exit status, as python
    except BaseException as exc:
        # Hide the runner's own frames so the traceback starts in the user's code, like python's.
        runner = {_run.__code__.co_filename, runpy.run_path.__code__.co_filename}
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename in runner:
            tb = tb.tb_next
        # Set on the exception too: the default hook prints exc.__traceback__, not `tb`.
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
