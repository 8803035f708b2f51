"""torch.load's weights_only policy: the globals a user allows (add_safe_globals,
safe_globals) and torch's wording when a checkpoint needs another."""
from __future__ import annotations

import contextlib
import pickle
from typing import Any

_safe: list = []  # add_safe_globals entries


def _user_globals() -> dict[str, Any]:
    rc = {}
    for f in _safe:
        if isinstance(f, tuple):  # (global, "its.full.name")
            rc[f[1]] = f[0]
            continue
        full = f"{f.__module__}.{f.__qualname__}"
        rc[full] = f
        if full.startswith("torchlike."):  # the checkpoint names it torch.X
            rc["torch" + full[len("torchlike"):]] = f
    return rc


def add_safe_globals(safe_globals: list) -> None:
    """Allow these globals when loading with weights_only=True."""
    _safe.extend(g for g in safe_globals if g not in _safe)


def get_safe_globals() -> list:
    return list(_safe)


def clear_safe_globals() -> None:
    _safe.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list):
    """Context manager: add_safe_globals for the duration of the block."""
    added = [g for g in safe_globals if g not in _safe]
    _safe.extend(added)
    try:
        yield
    finally:
        for g in added:
            if g in _safe:
                _safe.remove(g)


def _not_allowed(full: str) -> pickle.UnpicklingError:
    if full.startswith("builtins."):
        full = full[len("builtins."):]
    return pickle.UnpicklingError(
        f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
        f"`torch.serialization.add_safe_globals([{full}])` or the "
        f"`torch.serialization.safe_globals([{full}])` context manager to allowlist this "
        "global if you trust this class/function.")


_UNSAFE = ("In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
           "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` "
           "set to `False` will likely succeed, but it can result in arbitrary code execution. "
           "Do it only if you got the file from a trusted source.")
_DOCS = ("\n\nCheck the documentation of torch.load to learn more about types accepted by "
         "default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _weights_only_message(message: str) -> str:
    """torch's wording around a weights_only refusal."""
    if "was not an allowed global by default" in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have two "
                "options, \033[1mdo those steps only if you trust the source of the "
                f"checkpoint\033[0m. \n\t(1) {_UNSAFE}\n\t(2) Alternatively, to load with "
                "`weights_only=True` please check the recommended steps in the following "
                "error message.\n\tWeightsUnpickler error: " + message + _DOCS)
    return f"Weights only load failed. {_UNSAFE}\n\n\n{message}{_DOCS}"
