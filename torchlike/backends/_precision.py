"""float32 matmul precision: torch.set/get_float32_matmul_precision and the per-backend
fp32_precision settings it moves with (cuBLAS's `torch.backends.cuda.matmul`, oneDNN's
`torch.backends.mkldnn.matmul`), following torch's rules, including its refusal to answer once
the legacy and the new API disagree. XLA picks its own precision: these are kept and read
back, and change nothing."""
from __future__ import annotations

import warnings

_state = {"precision": "highest"}
# per backend and op: "none" defers to the backend's, then to torch.backends.fp32_precision
fp32 = {("generic", "all"): "none", ("cuda", "all"): "none", ("cuda", "matmul"): "none",
        ("mkldnn", "all"): "none", ("mkldnn", "matmul"): "none", ("mkldnn", "conv"): "none",
        ("mkldnn", "rnn"): "none", ("cudnn", "all"): "none", ("cudnn", "conv"): "tf32",
        ("cudnn", "rnn"): "tf32"}
_MATMUL = {"highest": ("ieee", "ieee"), "high": ("tf32", "tf32"), "medium": ("tf32", "bf16")}
_TF32_DOC = ("https://pytorch.org/docs/main/notes/cuda.html#tensorfloat-32-tf32-on-ampere-and-"
             "later-devices")
_MIXED = ("Current status indicate that you have used mix of the legacy and new APIs to set "
          "the matmul precision. We suggest only using the new API for matmul precision. See "
          "also: " + _TF32_DOC)


def resolved(backend: str, op: str) -> str:
    for key in ((backend, op), (backend, "all"), ("generic", "all")):
        if fp32.get(key, "none") != "none":
            return fp32[key]
    return "ieee"


def set_float32_matmul_precision(precision: str) -> None:
    if precision not in _MATMUL:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      f"setFloat32MatmulPrecision call has no effect.", stacklevel=2)
        return
    _state["precision"] = precision
    fp32["cuda", "matmul"], fp32["mkldnn", "matmul"] = _MATMUL[precision]


def get_float32_matmul_precision() -> str:
    p, cuda, mkldnn = _state["precision"], resolved("cuda", "matmul"), resolved("mkldnn", "matmul")
    if ((cuda == "tf32" and p == "highest") or (mkldnn == "bf16" and p != "medium")
            or (mkldnn == "tf32" and p != "high")):
        raise RuntimeError("PyTorch is checking the matmul precision without a specific "
                           "backend name," + _MIXED)
    return p


def allow_tf32_cublas() -> bool:
    new = resolved("cuda", "matmul") == "tf32"
    if (_state["precision"] != "highest") != new:
        raise RuntimeError("PyTorch is checking whether allow_tf32_new is enabled for cuBlas "
                           "matmul,Current status indicate that you have used mix of the legacy "
                           "and new APIs to set the TF32 status for cublas matmul. We suggest "
                           "only using the new API to set the TF32 flag. See also: " + _TF32_DOC)
    return new


def set_allow_tf32_cublas(allow: bool) -> None:
    _state["precision"] = "high" if allow else "highest"
    fp32["cuda", "matmul"] = "tf32" if allow else "ieee"
