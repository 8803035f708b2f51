"""dtypes and type promotion against torch: promote_types over every pair, result_type with
0-d tensors and Python numbers, reprs, arithmetic result dtypes, default dtype changes."""
from __future__ import annotations

import itertools

import numpy as np

import pytest
import torch

import torchlike

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64", "complex64", "complex128"]
SCALARS = [True, 3, 2.5, 1j]


@pytest.mark.parametrize("a,b", list(itertools.combinations_with_replacement(NAMES, 2)))
def test_promote_types(a, b):
    want = torch.promote_types(getattr(torch, a), getattr(torch, b))
    got = torchlike.promote_types(getattr(torchlike, a), getattr(torchlike, b))
    assert repr(got) == repr(want)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("zero_dim", [False, True])
def test_result_type_with_scalars_and_zero_dim(name, scalar, zero_dim, request):
    if name == "float16" and scalar == 1j:
        request.applymarker(pytest.mark.xfail(strict=True, reason="torch gives complex32, "
                                              "which torchlike does not have"))
    shape = () if zero_dim else (2,)
    t = torch.zeros(shape, dtype=getattr(torch, name))
    lt = torchlike.zeros(shape, dtype=getattr(torchlike, name))
    assert repr(torchlike.result_type(lt, scalar)) == repr(torch.result_type(t, scalar))


@pytest.mark.parametrize("a,b", [("int64", "float32"), ("int32", "float64"), ("uint8", "int8"),
                                 ("bool", "int32"), ("float16", "float32"),
                                 ("int64", "complex64")])
def test_result_type_dim_vs_zero_dim(a, b):
    want = torch.result_type(torch.zeros(2, dtype=getattr(torch, a)),
                             torch.zeros((), dtype=getattr(torch, b)))
    got = torchlike.result_type(torchlike.zeros(2, dtype=getattr(torchlike, a)),
                                torchlike.zeros((), dtype=getattr(torchlike, b)))
    assert repr(got) == repr(want)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_reprs_and_properties(name):
    t, lk = getattr(torch, name), getattr(torchlike, name)
    assert repr(lk) == repr(t) and str(lk) == str(t)
    assert (lk.is_floating_point, lk.is_complex, lk.is_signed, lk.itemsize) == \
        (t.is_floating_point, t.is_complex, t.is_signed, t.itemsize)


@pytest.mark.parametrize("alias", ["float", "double", "half", "long", "int", "short", "cfloat",
                                   "cdouble"])
def test_dtype_aliases(alias):
    assert repr(getattr(torchlike, alias)) == repr(getattr(torch, alias))


@pytest.mark.parametrize("expr", ["x / 2", "x // 2", "x * 2.5", "x + True", "x / x", "x ** 2",
                                  "x ** 0.5", "x.sum()", "x.prod()", "x > 1", "x & 1",
                                  "x.float().sum()", "-x"])
@pytest.mark.parametrize("name", ["int64", "int32", "uint8", "bool", "float32", "float64"])
def test_arithmetic_result_dtypes(expr, name):
    def run(L):
        x = L.tensor([1, 2, 3]).to(getattr(L, name))
        try:
            return repr(eval(expr, {"x": x}).dtype)
        except Exception as e:  # noqa: BLE001 - the exception type is compared too
            return type(e).__name__
    assert run(torchlike) == run(torch)


def test_default_dtype_switch():
    def run(L):
        before = repr(L.tensor([1, 2]) / 2)  # operator kernels are cached by dtype: the
        L.set_default_dtype(L.float64)       # default dtype must be part of that key
        try:
            return [before, repr(L.get_default_dtype()), repr(L.tensor([1.5]).dtype),
                    repr(L.ones(2).dtype), repr(L.arange(0.0, 1.0, 0.5).dtype),
                    repr(L.tensor([1.5], dtype=L.float32) * 2.0), repr(L.tensor([1, 2]) / 2),
                    repr(L.tensor([1, 2]) * 1.5), repr(L.tensor([3]) < 2.5),
                    # a complex number takes the complex type of the default float
                    repr(L.tensor([1, 2]) * 1j), repr(L.tensor([True]) + (1 + 2j)),
                    repr(L.tensor(1j).dtype), repr(L.tensor([1.5], dtype=L.float32) * 1j),
                    repr(L.full((1,), 1j).dtype), repr(L.tensor([1, 2]).mul(2j).dtype)]
        finally:
            L.set_default_dtype(L.float32)
    assert run(torchlike) == run(torch)


@pytest.mark.parametrize("data", ["[1, 2]", "[1.0, 2]", "[True, False]", "[[1, 2], [3, 4]]",
                                  "3", "2.5", "[]", "[1j, 2]", "np.arange(3)",
                                  "np.ones(2, np.float32)", "[np.float64(1.0)]"])
def test_tensor_dtype_inference(data):
    import numpy as np

    def run(L):
        t = L.tensor(eval(data, {"np": np}))
        return repr(t), repr(t.dtype), tuple(t.shape)
    assert run(torchlike) == run(torch)


@pytest.mark.parametrize("scalar", ["np.float64(2.5)", "np.float32(2.5)", "np.int64(3)",
                                    "np.int32(3)", "np.uint8(3)", "np.float16(1.5)",
                                    "np.bool_(True)", "np.complex64(1j)", "np.complex128(1j)"])
@pytest.mark.parametrize("expr", ["x * s", "s * x", "x + s", "x - s", "x / s", "x > s",
                                  "L.add(x, s)", "L.result_type(x, s)"])
@pytest.mark.parametrize("name", ["float32", "float64", "int64", "uint8", "bool"])
def test_numpy_scalars_are_read_as_torch_reads_them(scalar, expr, name):
    # numpy ints and floats act as Python numbers; np.bool_ and np.complex64 (not a Python
    # complex subclass) are read as floats; np.complex128 (a subclass) as a complex
    import warnings

    import numpy as np

    def run(L):
        x = L.tensor([1, 2, 3]).to(getattr(L, name))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            try:
                return repr(eval(expr, {"x": x, "L": L, "s": eval(scalar, {"np": np})}))
            except Exception as e:  # noqa: BLE001 - the exception type is compared too
                return type(e).__name__
    assert run(torchlike) == run(torch)


OPERANDS = [f"{n}[]" for n in ("bool", "uint8", "int32", "int64", "float16", "float32",
                               "float64", "complex64")] + ["float64()", "int64()", "3", "2.5",
                                                           "True", "-0.0"]


@pytest.mark.parametrize("sym", ["+", "-", "*", "/", "<", "=="])
@pytest.mark.parametrize("name", ["bool", "uint8", "int64", "float16", "float32", "float64",
                                  "complex64"])
def test_operator_fast_paths_match_torch(sym, name):
    # the operators look kernels up by operand dtypes alone; every operand kind against torch
    def operand(L, spec):
        if spec.endswith("[]"):
            return L.tensor([1, 0, 3]).to(getattr(L, spec[:-2]))
        if spec.endswith("()"):
            return L.tensor(2).to(getattr(L, spec[:-2]))
        return eval(spec)

    def run(L):
        out = []
        for spec in OPERANDS:
            if (name, sym, spec) == ("complex64", "/", "-0.0"):
                continue  # see test_complex_division_by_negative_zero
            x = L.tensor([2, 1, 0]).to(getattr(L, name))
            try:
                r = eval(f"x {sym} y", {"x": x, "y": operand(L, spec)})
                out.append(repr(r))
            except Exception as e:  # noqa: BLE001 - the exception type is compared too
                out.append(type(e).__name__)
        return out
    assert run(torchlike) == run(torch)


def test_complex_division_by_negative_zero():
    def run(L):
        return repr(L.tensor([2 + 0j, 1 + 0j]) / -0.0)
    assert run(torchlike) == run(torch)


def _bits(t):
    """A tensor's values as raw bytes (bitwise comparison; nan == nan)."""
    if t.dtype in (torch.bfloat16, torchlike.bfloat16):
        t = t.float()
    return t.detach().numpy().tobytes()


def _operands(L, dtype, seed=1):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((64, 32)) * 10, rng.standard_normal(32)
    if dtype.startswith("complex"):
        x = x + 1j * rng.standard_normal((64, 32))
        y = y + 1j * rng.standard_normal(32)
    return [L.tensor(v).to(getattr(L, dtype)) for v in (x, y)]


DIVISIONS = {
    "tensor/number": lambda L, x, y: x / 3.7,
    "tensor/broadcast": lambda L, x, y: x / y,
    "tensor/0-d": lambda L, x, y: x / y[3],
    "tensor/tensor": lambda L, x, y: x / (x + 1),
    "number/tensor": lambda L, x, y: 3.7 / x,
    "reciprocal": lambda L, x, y: x.reciprocal(),
    "floor": lambda L, x, y: L.div(x, y, rounding_mode="floor"),
    "trunc": lambda L, x, y: L.div(x, 3.7, rounding_mode="trunc"),
    "div_": lambda L, x, y: x.clone().div_(y),
}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "complex64",
                                   "complex128"])
@pytest.mark.parametrize("form", list(DIVISIONS))
def test_division_matches_torch_bit_for_bit(form, dtype):
    # XLA rewrites x / broadcast(y) as x * (1 / y); torch's CPU kernels divide
    if dtype.startswith("complex") and form in ("floor", "trunc"):
        pytest.skip("torch has no rounding division of complex tensors")
    got, want = (DIVISIONS[form](L, *_operands(L, dtype)) for L in (torchlike, torch))
    assert repr(got.dtype) == repr(want.dtype)
    assert _bits(got) == _bits(want)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("form", ["tensor*tensor", "tensor*broadcast", "tensor*number", "mul_"])
def test_complex_products_match_torch_bit_for_bit(form, dtype):
    def run(L):
        x, y = _operands(L, dtype)
        r = {"tensor*tensor": lambda: x * (x + 1), "tensor*broadcast": lambda: x * y,
             "tensor*number": lambda: x * (2.5 - 1.5j), "mul_": lambda: x.clone().mul_(y)}[form]()
        return _bits(r)
    assert run(torchlike) == run(torch)


REDUCED = {  # torch's float16/bfloat16 kernels compute in float, the numbers at full precision
    "mul": lambda L, x, y: x * 3.7,
    "mul_": lambda L, x, y: x.clone().mul_(1.0031),
    "div": lambda L, x, y: x / 3.7,
    "lerp": lambda L, x, y: x.lerp(y, 0.3),
    "addcmul": lambda L, x, y: x.addcmul(y, y, value=0.3),
    "addcdiv": lambda L, x, y: x.addcdiv(y, y.abs() + 1, value=0.3),
    "leaky_relu": lambda L, x, y: L.nn.functional.leaky_relu(x, 0.3),
    "elu": lambda L, x, y: L.nn.functional.elu(x, 0.3),
}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("form", list(REDUCED))
def test_reduced_precision_ops_with_numbers_match_torch(form, dtype):
    got, want = (REDUCED[form](L, *_operands(L, dtype)) for L in (torchlike, torch))
    assert _bits(got) == _bits(want)


def test_addcdiv_rounds_as_torch():
    def run(L):
        x, y = _operands(L, "float32")
        return _bits(x.addcdiv(y, y.abs() + 1, value=0.3))
    assert run(torchlike) == run(torch)
