"""torch.backends.cuda: CUDA's switches with torch's defaults. XLA chooses its own GPU
kernels and matmul precision, so they are kept and read back but change nothing."""
from __future__ import annotations

from typing import Any

from .. import cuda as _cuda
from .._errors import missing as _missing
from . import _precision
from ._switch import Switch, check_bool, check_precision


def is_built() -> bool:
    """Whether torchlike can use CUDA: when JAX has a GPU backend."""
    return _cuda.is_available()


def _reduction(value: Any, name: str) -> tuple[bool, bool]:
    """torch's reading of a reduced-precision setting: a bool, or (allow, allow_split_k)."""
    def ensure_bool(obj: Any, which: str) -> bool:
        if isinstance(obj, bool):
            return obj
        raise TypeError(f"{name} expects a bool for {which}, but got {type(obj)!r}")

    if isinstance(value, bool):
        return value, True
    if isinstance(value, (list, tuple)):
        if not value:
            raise TypeError(f"{name} expects at least one boolean argument")
        if len(value) > 2:
            raise TypeError(f"{name} expects at most two boolean arguments")
        allow = ensure_bool(value[0], "allow_reduced_precision")
        split_k = True if len(value) == 1 else ensure_bool(value[1], "allow_splitk")
        if allow and not split_k:
            raise RuntimeError("allow_splitk=False is not supported when reduced precision "
                               "reductions are enabled")
        return allow, split_k
    raise TypeError(f"{name} expects a bool or a tuple/list of bools, but got {type(value)!r}")


_matmul = {"allow_fp16_accumulation": False, "fp16": (True, True), "bf16": (True, True)}
# Each reduced-precision name reads one of the (allow, allow_split_k) pairs above.
_REDUCTIONS = {"allow_fp16_reduced_precision_reduction": ("fp16", 0),
               "allow_fp16_reduced_precision_reduction_split_k": ("fp16", 1),
               "allow_bf16_reduced_precision_reduction": ("bf16", 0),
               "allow_bf16_reduced_precision_reduction_split_k": ("bf16", 1)}


class cuBLASModule:
    """`torch.backends.cuda.matmul`: cuBLAS's switches; other names are refused as in torch."""

    allow_fp16_accumulation = Switch(_matmul, "set_allow_fp16_accumulation_cublas")
    def __getattr__(self, name: str) -> Any:
        if name in _REDUCTIONS:
            key, i = _REDUCTIONS[name]
            return _matmul[key][i]
        if name == "fp32_precision":
            return _precision.fp32["cuda", "matmul"]
        if name == "allow_tf32":  # moves with set_float32_matmul_precision, as in torch
            return _precision.allow_tf32_cublas()
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "allow_tf32":
            _precision.set_allow_tf32_cublas(check_bool(value, "set_allow_tf32_cublas"))
        elif name == "allow_fp16_accumulation":
            object.__setattr__(self, name, value)
        elif name in ("allow_fp16_reduced_precision_reduction",
                      "allow_bf16_reduced_precision_reduction"):
            _matmul[name[6:10]] = _reduction(value, name)
        elif name == "fp32_precision":
            _precision.fp32["cuda", "matmul"] = check_precision(value)
        else:
            raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()

_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True,
        "fp16_bf16_reduction_math": False}


def _sdp_switch(key: str, setter: str):
    def enable(enabled: bool) -> None:
        _sdp[key] = check_bool(enabled, setter)
    return enable


# torch's own refusal messages name set_sdp_use_math for all but cudnn; kept as torch says.
enable_flash_sdp = _sdp_switch("flash", "set_sdp_use_math")
enable_mem_efficient_sdp = _sdp_switch("mem_efficient", "set_sdp_use_math")
enable_math_sdp = _sdp_switch("math", "set_sdp_use_math")
enable_cudnn_sdp = _sdp_switch("cudnn", "set_sdp_use_cudnn")
allow_fp16_bf16_reduction_math_sdp = _sdp_switch("fp16_bf16_reduction_math", "set_sdp_use_math")


def flash_sdp_enabled() -> bool:
    return _sdp["flash"]


def mem_efficient_sdp_enabled() -> bool:
    return _sdp["mem_efficient"]


def math_sdp_enabled() -> bool:
    return _sdp["math"]


def cudnn_sdp_enabled() -> bool:
    return _sdp["cudnn"]


def fp16_bf16_reduction_math_sdp_allowed() -> bool:
    return _sdp["fp16_bf16_reduction_math"]


__getattr__ = _missing("torch.backends.cuda")  # names torchlike lacks: NotImplementedError
