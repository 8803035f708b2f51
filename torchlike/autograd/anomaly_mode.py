"""Autograd anomaly mode: detect_anomaly, set_detect_anomaly, and what the engine asks of it.

As in torch, the mode is one process-wide flag (not per thread, unlike grad mode). While it is
on, each new graph node records the Python stack that created it (node.metadata['traceback_'],
torch's key), backward runs node by node (engine._eager), a node that returns nan raises
torch's error, and any error raised in a node first warns with that node's forward stack.
"""
from __future__ import annotations

import os
import threading
import traceback
import warnings

import jax
import jax.numpy as jnp

from .._errors import missing as _missing
from . import function, graph

__all__ = ["detect_anomaly", "set_detect_anomaly"]


class _Mode:
    enabled = False
    check_nan = True
    nan = False  # enabled and check_nan: what the engine reads once per node


mode = _Mode()


class _Current(threading.local):
    node = None  # the node this thread's backward is running, in anomaly mode


current = _Current()

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the torchlike package
# torch's C++ warning ends with the place that raised it
_TRIGGERED = (" (Triggered internally at /__w/pytorch/pytorch/torch/csrc/autograd/"
              "python_anomaly_mode.cpp:{}.)")


def _check_bool(value, name: str, position: int) -> None:
    if type(value) is not bool:
        raise TypeError(f"set_anomaly_enabled(): argument '{name}' (position {position}) must "
                        f"be bool, not {type(value).__name__}")


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """torch.set_anomaly_enabled."""
    _check_bool(enabled, "enabled", 1)
    _check_bool(check_nan, "check_nan", 2)
    mode.enabled, mode.check_nan, mode.nan = enabled, check_nan, enabled and check_nan
    _record_stacks(enabled)


def is_anomaly_enabled() -> bool:
    """torch.is_anomaly_enabled."""
    return mode.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """torch.is_anomaly_check_nan_enabled."""
    return mode.check_nan


class detect_anomaly:
    """Context manager that turns anomaly detection on; warns when constructed, as torch."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Sets anomaly detection on or off when constructed; as a context manager, restores the
    previous setting on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


# ---- what the engine calls ---------------------------------------------------------------

def check_nan(node, grads) -> None:
    """torch's error for a node whose gradients (its outputs) hold nan."""
    for i, g in enumerate(grads):
        if g is not None and isinstance(g._data, jax.Array) and bool(jnp.isnan(g._data).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")


def report(node) -> None:
    """The warnings torch gives when `node` raised during backward in anomaly mode: its forward
    stack, then (double backward) those of the nodes whose backward recorded it."""
    _warn_stack(node, False)
    parent = node.metadata.get("parent_")
    while parent is not None:
        _warn_stack(parent, True)
        parent = parent.metadata.get("parent_")


def _warn_stack(node, is_parent: bool) -> None:
    stack = node.metadata.get("traceback_")
    if stack is None:
        msg = (f"Error detected in {node.name()}. No forward pass information available. "
               "Enable detect anomaly during forward pass for more information."
               + _TRIGGERED.format(100))
    elif not is_parent:
        msg = (f"Error detected in {node.name()}. Traceback of forward call that caused the "
               "error:\n" + "".join(stack) + _TRIGGERED.format(122))
    else:
        msg = (f"\n\nPrevious calculation was induced by {node.name()}. Traceback of forward "
               "call that induced the previous calculation:\n" + "".join(stack)
               + _TRIGGERED.format(129))
    warnings.warn(msg, UserWarning, stacklevel=5)  # the user's backward() call


# ---- recording each node's forward stack --------------------------------------------------
# Node creation is the hot path of every op; instead of a test there, the recording __init__s
# are swapped in only while the mode is on.

_plain_inits = {graph.Node: graph.Node.__init__,
                function.BackwardCFunction: function.BackwardCFunction.__init__}


def _user_stack() -> list:
    """traceback.format_stack() as torch records it: up to the op call, without torchlike's
    own frames that follow it."""
    frames = traceback.extract_stack()[:-2]
    while frames and frames[-1].filename.startswith(_HERE):
        frames.pop()
    return traceback.format_list(frames)


def _recording(init):
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.metadata["traceback_"] = _user_stack()
        if current.node is not None:  # recorded by a backward (create_graph)
            self.metadata["parent_"] = current.node
    return __init__


def _record_stacks(on: bool) -> None:
    for cls, init in _plain_inits.items():
        cls.__init__ = _recording(init) if on else init


__getattr__ = _missing("torch.autograd.anomaly_mode")  # names torchlike lacks
