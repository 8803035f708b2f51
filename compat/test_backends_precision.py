"""torch.set/get_float32_matmul_precision and the backend settings that move with it
(backends.cuda.matmul.allow_tf32 / fp32_precision, backends.mkldnn), and torch.utils.swap_tensors,
compared with real torch: each scenario runs from torch's defaults in both libraries and records
what a program reads back (values, warnings, errors)."""
from __future__ import annotations

import warnings

import pytest
import torch

import torchlike


def _reset(L):
    L.set_float32_matmul_precision("highest")
    L.backends.cuda.matmul.fp32_precision = "none"
    for op in (L.backends.mkldnn.matmul, L.backends.mkldnn.conv, L.backends.mkldnn.rnn):
        op.fp32_precision = "none"
    L.backends.mkldnn.fp32_precision = "none"


def _read(L, expr):
    try:
        return repr(eval(expr, {"L": L}))
    except Exception as e:  # noqa: BLE001  (compared with torch's)
        return f"{type(e).__name__}: {e}"


SCENARIOS = {
    "defaults": [],
    "high": ["L.set_float32_matmul_precision('high')"],
    "medium": ["L.set_float32_matmul_precision('medium')"],
    "legacy_tf32": ["L.backends.cuda.matmul.allow_tf32 = True"],
    "legacy_off_after_medium": ["L.set_float32_matmul_precision('medium')",
                                "L.backends.cuda.matmul.allow_tf32 = False"],
    "new_api_tf32": ["L.backends.cuda.matmul.fp32_precision = 'tf32'"],
    "mkldnn_bf16": ["L.backends.mkldnn.matmul.fp32_precision = 'bf16'"],
    "mkldnn_conv": ["L.backends.mkldnn.conv.fp32_precision = 'bf16'"],
    "bad_names": ["L.set_float32_matmul_precision('HIGH')",
                  "L.set_float32_matmul_precision('fast')"],
}
READS = ["L.get_float32_matmul_precision()", "L.backends.cuda.matmul.allow_tf32",
         "L.backends.cuda.matmul.fp32_precision", "L.backends.mkldnn.matmul.fp32_precision",
         "L.backends.mkldnn.conv.fp32_precision", "L.backends.mkldnn.fp32_precision",
         "L.backends.mkldnn.enabled", "L.backends.mkldnn.deterministic",
         "(L.backends.mkldnn.matmul.backend, L.backends.mkldnn.matmul.op)"]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_matmul_precision_moves_as_torch(name):
    def run(L):
        _reset(L)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for stmt in SCENARIOS[name]:
                exec(stmt, {"L": L})
        out = [_read(L, r) for r in READS]
        _reset(L)
        return out, [str(w.message).split(" (Triggered internally")[0] for w in caught]
    assert run(torchlike) == run(torch)


@pytest.mark.parametrize("stmt", [
    "L.backends.cuda.matmul.allow_tf32 = 1", "L.backends.cuda.matmul.fp32_precision = 'bf16'",
    "L.backends.mkldnn.matmul.fp32_precision = 'fast'", "L.backends.mkldnn.enabled = 1",
    "L.backends.mkldnn.set_flags(_enabled=False, _deterministic=True)",
])
def test_backend_switches_refuse_as_torch(stmt):
    def run(L):
        _reset(L)
        try:
            res = repr(eval(stmt, {"L": L})) if "=" not in stmt.split("(")[0] else \
                exec(stmt, {"L": L})
        except Exception as e:  # noqa: BLE001
            res = f"{type(e).__name__}: {e}"
        out = (res, L.backends.mkldnn.enabled, L.backends.mkldnn.deterministic)
        L.backends.mkldnn.set_flags(True, False)
        _reset(L)
        return out
    assert run(torchlike) == run(torch)


SWAPS = {
    "values_and_attrs": "a = L.ones(2); b = L.zeros(3, dtype=L.int64); a.foo = 1; "
                        "L.utils.swap_tensors(a, b); out = [a, b, b.foo, hasattr(a, 'foo')]",
    "parameter": "p = L.nn.Parameter(L.ones(1)); q = L.zeros(1); L.utils.swap_tensors(p, q); "
                 "out = [type(p).__name__, type(q).__name__, p, q, q.requires_grad]",
    "module_weight_then_backward": "lin = L.nn.Linear(2, 2); y = lin(L.ones(1, 2)).sum(); "
                                   "L.utils.swap_tensors(lin.weight, L.nn.Parameter("
                                   "L.zeros(2, 2))); out = [lin.weight]; y.backward()",
    "has_a_view": "v = L.ones(4); w = v[:2]; L.utils.swap_tensors(v, L.zeros(3))",
    "not_a_tensor": "L.utils.swap_tensors(L.ones(1), 3)",
}


@pytest.mark.parametrize("name", list(SWAPS))
def test_swap_tensors(name):
    def run(L):
        scope = {"L": L, "out": []}
        try:
            exec(SWAPS[name], scope)
            err = None
        except Exception as e:  # noqa: BLE001
            err = f"{type(e).__name__}: {e}"
        return [repr(o) for o in scope["out"]], err
    assert run(torchlike) == run(torch)
