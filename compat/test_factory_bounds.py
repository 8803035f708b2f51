"""Factories' bounds against real torch: sizes (negative dimensions, overflow, more memory than
the machine has), values against the dtype (full, fill_, torch.tensor, arange, linspace,
logspace, randperm) and randint / random_'s range and argument types. Each case runs under
both libraries: the same exception type and message, or the same result (random results: the
same dtype and shape, and values in the same range)."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

import torchlike
from _helper import assert_same_tensor

# name -> fn(L): deterministic results, compared by value (or by the exception raised)
VALUES = {
    # sizes
    "empty_negative": lambda L: L.empty(-1),
    "empty_negative_2d": lambda L: L.empty(2, -3),
    "zeros_negative": lambda L: L.zeros(-1),
    "ones_negative": lambda L: L.ones(-1),
    "full_negative": lambda L: L.full((-1,), 1),
    "rand_negative": lambda L: L.rand(-1),
    "randn_negative": lambda L: L.randn(-1),
    "randint_negative": lambda L: L.randint(5, (-1,)),
    "randperm_negative": lambda L: L.randperm(-1),
    "eye_negative": lambda L: L.eye(-1),
    "linspace_negative": lambda L: L.linspace(0, 1, -1),
    "new_zeros_negative": lambda L: L.ones(2).new_zeros(-1),
    "new_empty_negative": lambda L: L.ones(2).new_empty(-1),
    "new_full_negative": lambda L: L.ones(2).new_full((-1,), 2),
    "new_zeros_no_size": lambda L: L.ones(2).new_zeros(),
    "new_empty_no_size": lambda L: L.ones(2).new_empty(),
    "storage_overflow": lambda L: L.empty(2 ** 62, dtype=L.int16),
    "storage_overflow_2d": lambda L: L.empty(2 ** 32, 2 ** 32),
    "storage_overflow_u8": lambda L: L.empty(2 ** 32, 2 ** 31, dtype=L.uint8),
    "storage_overflow_with_0": lambda L: L.empty(2 ** 32, 2 ** 32, 0),
    "stride_overflow": lambda L: L.empty(0, 2 ** 62, 2 ** 62),
    "eye_numel_overflow": lambda L: L.eye(2 ** 40),
    # more than the machine's memory: torch's allocator error
    "empty_2_40": lambda L: L.empty(2 ** 40),
    "zeros_2_20_sq": lambda L: L.zeros(2 ** 20, 2 ** 20),
    "randn_10_12": lambda L: L.randn(10 ** 12),
    "rand_2_40": lambda L: L.rand(2 ** 40),
    "ones_u8_2_40": lambda L: L.ones(2 ** 40, dtype=L.uint8),
    "full_2_40": lambda L: L.full((2 ** 40,), 1.0),
    "empty_u8_2_62": lambda L: L.empty(2 ** 62, dtype=L.uint8),
    "arange_2_40": lambda L: L.arange(2 ** 40),
    "randperm_2_40": lambda L: L.randperm(2 ** 40),
    "randint_2_40": lambda L: L.randint(5, (2 ** 40,)),
    "linspace_2_40": lambda L: L.linspace(0, 1, 2 ** 40),
    # full / fill_: torch's checked conversion
    "full_u8_300": lambda L: L.full((2,), 300, dtype=L.uint8),
    "full_u8_256": lambda L: L.full((2,), 256, dtype=L.uint8),
    "full_u8_minus1_wraps": lambda L: L.full((2,), -1, dtype=L.uint8),
    "full_u8_minus255_wraps": lambda L: L.full((2,), -255, dtype=L.uint8),
    "full_u8_minus256": lambda L: L.full((2,), -256, dtype=L.uint8),
    "full_u8_255_7": lambda L: L.full((2,), 255.7, dtype=L.uint8),
    "full_u8_minus1_5": lambda L: L.full((2,), -1.5, dtype=L.uint8),
    "full_u8_1_5": lambda L: L.full((2,), 1.5, dtype=L.uint8),
    "full_u8_complex": lambda L: L.full((2,), 3 + 1j, dtype=L.uint8),
    "full_u8_complex_real": lambda L: L.full((2,), 3 + 0j, dtype=L.uint8),
    "full_u8_true": lambda L: L.full((2,), True, dtype=L.uint8),
    "full_i8_300": lambda L: L.full((2,), 300, dtype=L.int8),
    "full_i16_1e6": lambda L: L.full((2,), 1e6, dtype=L.int16),
    "full_i32_2_31": lambda L: L.full((2,), 2 ** 31, dtype=L.int32),
    "full_i32_nan": lambda L: L.full((2,), float("nan"), dtype=L.int32),
    "full_i32_inf": lambda L: L.full((2,), float("inf"), dtype=L.int32),
    "full_i64_2_63": lambda L: L.full((2,), 2 ** 63, dtype=L.int64),
    "full_2_63_inferred": lambda L: L.full((2,), 2 ** 63),
    "full_i64_2_64": lambda L: L.full((2,), 2 ** 64, dtype=L.int64),
    "full_i64_below_min": lambda L: L.full((2,), -2 ** 63 - 1, dtype=L.int64),
    "full_i64_1e20": lambda L: L.full((2,), 1e20, dtype=L.int64),
    "full_bool_any": lambda L: L.full((2,), 3, dtype=L.bool),
    "full_bool_nan": lambda L: L.full((2,), float("nan"), dtype=L.bool),
    "full_f32_1e40": lambda L: L.full((2,), 1e40, dtype=L.float32),
    "full_f32_inf": lambda L: L.full((2,), float("inf"), dtype=L.float32),
    "full_f32_complex": lambda L: L.full((2,), 3 + 1j, dtype=L.float32),
    "full_f64_complex": lambda L: L.full((2,), 3 + 1j, dtype=L.float64),
    "full_f16_70000": lambda L: L.full((2,), 70000, dtype=L.float16),
    "full_f16_1e6": lambda L: L.full((2,), 1e6, dtype=L.float16),
    "full_f16_one_element_1e6": lambda L: L.full((1,), 1e6, dtype=L.float16),
    "full_f16_one_element_complex": lambda L: L.full((), 3 + 1j, dtype=L.float16),
    "full_bf16_1e300": lambda L: L.full((2,), 1e300, dtype=L.bfloat16),
    "full_bf16_2_63": lambda L: L.full((2,), 2 ** 63, dtype=L.bfloat16),
    "full_c64_1e300": lambda L: L.full((2,), 1e300, dtype=L.complex64),
    "full_c128_1e300": lambda L: L.full((2,), 1e300, dtype=L.complex128),
    "full_empty_u8_300": lambda L: L.full((0,), 300, dtype=L.uint8),
    "full_like_u8_300": lambda L: L.full_like(L.ones(2, dtype=L.uint8), 300),
    "new_full_u8_300": lambda L: L.ones(2).new_full((2,), 300, dtype=L.uint8),
    "fill_u8_300": lambda L: L.ones(2, dtype=L.uint8).fill_(300),
    "fill_u8_minus1": lambda L: L.ones(2, dtype=L.uint8).fill_(-1),
    "fill_i32_nan": lambda L: L.ones(2, dtype=L.int32).fill_(float("nan")),
    "fill_f16_1e6": lambda L: L.ones(2, dtype=L.float16).fill_(1e6),
    "fill_f32_1e40": lambda L: L.ones(2).fill_(1e40),
    # torch.tensor: Python numbers checked for integer dtypes only
    "tensor_u8_300": lambda L: L.tensor(300, dtype=L.uint8),
    "tensor_u8_minus1": lambda L: L.tensor(-1, dtype=L.uint8),
    "tensor_u8_minus255": lambda L: L.tensor(-255, dtype=L.uint8),
    "tensor_u8_minus256": lambda L: L.tensor(-256, dtype=L.uint8),
    "tensor_u8_list": lambda L: L.tensor([1, 300], dtype=L.uint8),
    "tensor_u8_list_wraps": lambda L: L.tensor([[1, -1], [-2, 255]], dtype=L.uint8),
    "tensor_u8_mixed_wraps": lambda L: L.tensor([-1, 0.5, 2], dtype=L.uint8),
    "tensor_u8_300_5": lambda L: L.tensor(300.5, dtype=L.uint8),
    "tensor_u8_minus0_5": lambda L: L.tensor(-0.5, dtype=L.uint8),
    "tensor_u8_float_list": lambda L: L.tensor([1.7, 254.9], dtype=L.uint8),
    "tensor_i8_128": lambda L: L.tensor(128, dtype=L.int8),
    "tensor_i16_nested": lambda L: L.tensor([[1, 2], [3, 2 ** 40]], dtype=L.int16),
    "tensor_i32_2_31": lambda L: L.tensor(2 ** 31, dtype=L.int32),
    "tensor_i32_list": lambda L: L.tensor([1.5, 2 ** 40], dtype=L.int32),
    "tensor_i32_nan": lambda L: L.tensor(float("nan"), dtype=L.int32),
    "tensor_i64_inf": lambda L: L.tensor(float("inf"), dtype=L.int64),
    "tensor_i64_1e20": lambda L: L.tensor(1e20, dtype=L.int64),
    "tensor_i64_2_63": lambda L: L.tensor(2 ** 63, dtype=L.int64),
    "tensor_2_63": lambda L: L.tensor(2 ** 63),
    "tensor_below_min": lambda L: L.tensor(-2 ** 63 - 1),
    "tensor_i32_complex": lambda L: L.tensor(3 + 1j, dtype=L.int32),
    "tensor_u8_true": lambda L: L.tensor(True, dtype=L.uint8),
    "tensor_bool_2": lambda L: L.tensor(2, dtype=L.bool),
    "tensor_f32_1e40_is_inf": lambda L: L.tensor(1e40, dtype=L.float32),
    "tensor_f16_70000_is_inf": lambda L: L.tensor(70000, dtype=L.float16),
    "tensor_np_float64_u8": lambda L: L.tensor(np.float64(300.5), dtype=L.uint8),
    "tensor_np_int64_u8": lambda L: L.tensor(np.int64(300), dtype=L.uint8),
    "tensor_np_int64_list_u8": lambda L: L.tensor([np.int64(300)], dtype=L.uint8),
    "tensor_np_array_u8_wraps": lambda L: L.tensor(np.array(300), dtype=L.uint8),
    "tensor_in_list_u8": lambda L: L.tensor([L.tensor(300)], dtype=L.uint8),
    "as_tensor_u8_300": lambda L: L.as_tensor(300, dtype=L.uint8),
    "as_tensor_list_u8_300": lambda L: L.as_tensor([300], dtype=L.uint8),
    "new_tensor_u8_300": lambda L: L.ones(2).new_tensor(300, dtype=L.uint8),
    "scalar_tensor_u8_300": lambda L: L.scalar_tensor(300, dtype=L.uint8),
    # arange: int dtypes compute in int64 (checked), then wrap into the dtype
    "arange_u8_wraps": lambda L: L.arange(250, 260, dtype=L.uint8),
    "arange_u8_negative_wraps": lambda L: L.arange(-5, 0, dtype=L.uint8),
    "arange_u8_step": lambda L: L.arange(0, 300, 100, dtype=L.uint8),
    "arange_i8_130": lambda L: L.arange(0, 130, 10, dtype=L.int8),
    "arange_i32_edge": lambda L: L.arange(2 ** 31 - 2, 2 ** 31 + 2, dtype=L.int32),
    "arange_i64_edge": lambda L: L.arange(2 ** 63 - 3, 2 ** 63 - 1),
    "arange_i64_min": lambda L: L.arange(-2 ** 63, -2 ** 63 + 2),
    "arange_2_63": lambda L: L.arange(0, 2 ** 63),
    "arange_2_64": lambda L: L.arange(2 ** 64),
    "arange_1e20_i64": lambda L: L.arange(0, 1e20, 1e19, dtype=L.int64),
    "arange_size_overflow": lambda L: L.arange(0, 2 ** 63 - 1, 2 ** 62, dtype=L.int64),
    "arange_bool": lambda L: L.arange(0, 3, dtype=L.bool),
    "arange_complex": lambda L: L.arange(0, 5, dtype=L.complex64),
    "arange_nan": lambda L: L.arange(0, float("nan")),
    "arange_float_step_int_dtype": lambda L: L.arange(0, 5, 0.5, dtype=L.int64),
    "arange_f32_inf_values": lambda L: L.arange(0, 1e40, 1e39, dtype=L.float32),
    "arange_f16": lambda L: L.arange(0, 70000, 10000, dtype=L.float16),
    # linspace / logspace: the ends are converted to the dtype first
    "linspace_u8_256": lambda L: L.linspace(0, 256, 3, dtype=L.uint8),
    "linspace_u8_255": lambda L: L.linspace(0, 255, 3, dtype=L.uint8),
    "linspace_u8_255_5": lambda L: L.linspace(0, 255.5, 3, dtype=L.uint8),
    "linspace_u8_minus300": lambda L: L.linspace(-300, 0, 3, dtype=L.uint8),
    "linspace_u8_negative_wraps": lambda L: L.linspace(-5, 5, 3, dtype=L.uint8),
    "linspace_i8_200": lambda L: L.linspace(0, 200, 3, dtype=L.int8),
    "linspace_f32_1e40": lambda L: L.linspace(0, 1e40, 3, dtype=L.float32),
    "logspace_u8": lambda L: L.logspace(0, 3, 3, dtype=L.uint8),
    "logspace_u8_300": lambda L: L.logspace(0, 300, 3, dtype=L.uint8),
    # randperm: n - 1 must fit the dtype; float dtypes hold exact integers up to a limit
    "randperm_u8_300": lambda L: L.randperm(300, dtype=L.uint8),
    "randperm_f16_3000": lambda L: L.randperm(3000, dtype=L.float16),
    "randperm_bool": lambda L: L.randperm(5, dtype=L.bool),
    # randint / random_: torch's range checks and argument parser
    "randint_u8_300": lambda L: L.randint(0, 300, (3,), dtype=L.uint8),
    "randint_u8_257": lambda L: L.randint(0, 257, (3,), dtype=L.uint8),
    "randint_u8_from_minus1": lambda L: L.randint(-1, 5, (3,), dtype=L.uint8),
    "randint_i8_from_minus129": lambda L: L.randint(-129, 5, (3,), dtype=L.int8),
    "randint_i8_129": lambda L: L.randint(0, 129, (3,), dtype=L.int8),
    "randint_i16": lambda L: L.randint(0, 2 ** 15 + 1, (3,), dtype=L.int16),
    "randint_i32": lambda L: L.randint(0, 2 ** 31 + 1, (3,), dtype=L.int32),
    "randint_i32_from": lambda L: L.randint(-2 ** 63, 5, (3,), dtype=L.int32),
    "randint_2_63": lambda L: L.randint(0, 2 ** 63, (3,)),
    "randint_bool_3": lambda L: L.randint(0, 3, (3,), dtype=L.bool),
    "randint_complex": lambda L: L.randint(0, 300, (3,), dtype=L.complex64),
    "randint_f16_70000": lambda L: L.randint(0, 70000, (3,), dtype=L.float16),
    "randint_empty_range": lambda L: L.randint(5, 5, (3,)),
    "randint_empty_range_no_elements": lambda L: L.randint(5, 5, (0,)),
    "randint_reversed": lambda L: L.randint(6, 5, (3,)),
    "randint_high_0": lambda L: L.randint(0, (3,)),
    "randint_high_negative": lambda L: L.randint(-3, (3,)),
    "randint_order": lambda L: L.randint(300, 300, (3,), dtype=L.uint8),
    "randint_order2": lambda L: L.randint(-5, 300, (3,), dtype=L.uint8),
    "randint_float_low_high": lambda L: L.randint(0.5, 5.5, (3,)),
    "randint_float_high": lambda L: L.randint(0, 5.5, (3,)),
    "randint_float_low": lambda L: L.randint(0.5, 5, (3,)),
    "randint_float_high_kw": lambda L: L.randint(0, 5.5, (3,), dtype=L.int32),
    "randint_float_high_only": lambda L: L.randint(5.5, (3,)),
    "randint_bool_high_only": lambda L: L.randint(True, (3,)),
    "randint_float_tensor_high": lambda L: L.randint(L.tensor(5.0), (3,)),
    "randint_bool_low": lambda L: L.randint(True, 5, (3,)),
    "randint_size_int": lambda L: L.randint(5, 3),
    "random_u8_300": lambda L: L.zeros(3, dtype=L.uint8).random_(0, 300),
    "random_u8_from_minus1": lambda L: L.zeros(3, dtype=L.uint8).random_(-1, 5),
    "random_u8_to_300": lambda L: L.zeros(3, dtype=L.uint8).random_(300),
    "random_u8_to_minus5": lambda L: L.zeros(3, dtype=L.uint8).random_(-5),
    "random_i8_from_minus200": lambda L: L.zeros(3, dtype=L.int8).random_(-200, 5),
    "random_bool_3": lambda L: L.zeros(3, dtype=L.bool).random_(0, 3),
    "random_empty_range": lambda L: L.zeros(3, dtype=L.uint8).random_(5, 5),
    "random_from_300_to_none": lambda L: L.zeros(3, dtype=L.uint8).random_(300, None),
    "random_bool_from_2_to_none": lambda L: L.zeros(3, dtype=L.bool).random_(2, None),
    "random_f32_from_to_none": lambda L: L.zeros(3).random_(2 ** 24, None),
    "random_f16_70000": lambda L: L.zeros(3, dtype=L.float16).random_(0, 70000),
    "random_complex": lambda L: L.zeros(3, dtype=L.complex64).random_(0, 5),
    "random_complex_no_args": lambda L: L.zeros(3, dtype=L.complex64).random_(),
    "random_empty_tensor_checked": lambda L: L.zeros(0, dtype=L.uint8).random_(0, 300),
    "random_floats": lambda L: L.zeros(3, dtype=L.uint8).random_(1.0, 5.0),
    "random_float_to": lambda L: L.zeros(3, dtype=L.uint8).random_(5.5),
    "random_bool_to": lambda L: L.zeros(3, dtype=L.uint8).random_(True),
}

# name -> (fn(L), lowest, highest): random results; dtype, shape and range compared
RANDOM = {
    "randint_u8_256": (lambda L: L.randint(0, 256, (200,), dtype=L.uint8), 0, 255),
    "randint_i8_negative": (lambda L: L.randint(-1, 5, (50,), dtype=L.int8), -1, 4),
    "randint_i8_128": (lambda L: L.randint(0, 128, (50,), dtype=L.int8), 0, 127),
    "randint_bool_2": (lambda L: L.randint(0, 2, (50,), dtype=L.bool), 0, 1),
    "randint_i64_big": (lambda L: L.randint(0, 2 ** 63 - 1, (50,)), 0, 2 ** 63 - 2),
    "randint_f32_2_24_1": (lambda L: L.randint(0, 2 ** 24 + 1, (50,), dtype=L.float32),
                           0, 2 ** 24),
    "randint_tensor_bounds": (lambda L: L.randint(L.tensor(0), L.tensor(5), (50,)), 0, 4),
    "randint_1d_tensor_low": (lambda L: L.randint(L.tensor([1]), 5, (50,)), 1, 4),
    "random_u8_256": (lambda L: L.zeros(50, dtype=L.uint8).random_(256), 0, 255),
    "random_u8_from_none": (lambda L: L.zeros(50, dtype=L.uint8).random_(3, None), 3, 255),
    "random_i64_negative_from_none": (
        lambda L: L.zeros(50, dtype=L.int64).random_(-5, None), -5, 2 ** 63 - 1),
    "random_bool_1_none": (lambda L: L.zeros(50, dtype=L.bool).random_(1, None), 1, 1),
    "random_f16_no_args": (lambda L: L.zeros(50, dtype=L.float16).random_(), 0, 2 ** 11),
    "random_tensor_bound": (lambda L: L.zeros(50, dtype=L.uint8).random_(L.tensor(1), 5), 1, 4),
    "randperm_u8_256": (lambda L: L.randperm(256, dtype=L.uint8), 0, 255),
    "randperm_f16_2049": (lambda L: L.randperm(2049, dtype=L.float16), 0, 2048),
}

# torch warns (and goes on) for float dtypes' ranges beyond exact integers
WARNS = {
    "randint_f32_2_25": (lambda L: L.randint(0, 2 ** 25, (20,), dtype=L.float32), 0, 2 ** 25),
    "randint_f16_2_12": (lambda L: L.randint(0, 2 ** 12, (20,), dtype=L.float16), 0, 2 ** 12),
    "randint_bf16_2_9": (lambda L: L.randint(0, 2 ** 9, (20,), dtype=L.bfloat16), 0, 2 ** 9),
    "randint_f32_from": (lambda L: L.randint(-2 ** 25, 5, (20,), dtype=L.float32), -2 ** 25, 5),
    "random_f64_2_54": (lambda L: L.zeros(20, dtype=L.float64).random_(0, 2 ** 54), 0, 2 ** 54),
}


def _outcome(fn, lib):
    try:
        return fn(lib), None
    except Exception as e:  # noqa: BLE001 - whatever torch raises is compared
        return None, e


def _same_error(want: Exception, got: Exception | None, name: str) -> None:
    assert got is not None, f"{name}: torchlike did not raise (torch: {want!r})"
    assert type(got) is type(want), f"{name}: {got!r} != torch {want!r}"
    w = str(want)
    if "failed to unpack" in w or "Exception raised from" in w:
        w = w.split("\n")[0]  # torch's own C++ stack follows
    assert str(got) == w, f"{name}:\n{got}\n!= torch\n{w}"


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_and_errors(name):
    fn = VALUES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want, werr = _outcome(fn, torch)
        got, gerr = _outcome(fn, torchlike)
    if werr is not None:
        _same_error(werr, gerr, name)
        return
    assert gerr is None, f"{name}: torchlike raised {gerr!r}; torch gave {want!r}"
    assert_same_tensor(want, got, name)


def _in_range(t, lo, hi, name):
    assert t.numel() > 0
    if str(t.dtype) == "torch.bfloat16":
        t = t.float()
    values = t.numpy()
    assert values.min() >= lo and values.max() <= hi, f"{name}: {values} not in [{lo}, {hi}]"


def _compare_random(name, fn, lo, hi):
    want, got = fn(torch), fn(torchlike)
    assert str(got.dtype) == str(want.dtype) and tuple(got.shape) == tuple(want.shape), name
    _in_range(want, lo, hi, name)
    _in_range(got, lo, hi, name)


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_in_range(name):
    _compare_random(name, *RANDOM[name])


def _warning_texts(fn, lib):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fn(lib)
    # torch appends where in its C++ source it warned
    return [re.sub(r" \(Triggered internally at .*\)$", "", str(w.message), flags=re.DOTALL)
            for w in seen if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("name", sorted(WARNS))
def test_precision_warnings(name):
    fn, lo, hi = WARNS[name]
    want, got = _warning_texts(fn, torch), _warning_texts(fn, torchlike)
    assert want and got == want
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare_random(name, fn, lo, hi)


def test_generator_untouched_by_refused_randint():
    """A refused randint draws nothing: the next draw is what it would have been."""
    for L in (torch, torchlike):
        L.manual_seed(3)
        a = L.rand(4)
        L.manual_seed(3)
        with pytest.raises(RuntimeError):
            L.randint(0, 300, (3,), dtype=L.uint8)
        assert L.equal(L.rand(4), a)
