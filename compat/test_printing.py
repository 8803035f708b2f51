"""Differential tests: torchlike's tensor printing against real PyTorch's ``repr``."""

import importlib.util
import math
import pathlib
import sys

import ml_dtypes
import numpy as np
import pytest
import torch
import torch._tensor_str as torch_str

# Load the module by path so these tests do not depend on torchlike/__init__.py.
_PATH = pathlib.Path(__file__).resolve().parents[1] / "torchlike" / "_tensor_str.py"
_SPEC = importlib.util.spec_from_file_location("torchlike_tensor_str_compat", _PATH)
tl = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = tl
_SPEC.loader.exec_module(tl)

_NP_DTYPES = {
    "float16": np.float16, "bfloat16": ml_dtypes.bfloat16, "float32": np.float32,
    "float64": np.float64, "complex64": np.complex64, "complex128": np.complex128,
    "bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16,
    "int32": np.int32, "int64": np.int64,
}


@pytest.fixture(autouse=True)
def _restore_state():
    """Every test starts from default options and leaves torch/torchlike as it found them."""
    torch_opts, tl_opts = torch_str.get_printoptions(), tl.get_printoptions()
    default_dtype = torch.get_default_dtype()
    torch.set_printoptions(profile="default")
    tl.set_printoptions(profile="default")
    try:
        yield
    finally:
        torch.set_printoptions(**torch_opts)
        tl.set_printoptions(**tl_opts)
        torch.set_default_dtype(default_dtype)


def _set_both(**opts):
    torch.set_printoptions(**opts)
    tl.set_printoptions(**opts)


def _pair(values, dtype_name):
    """Return (numpy values in ``dtype_name``, the equivalent torch tensor)."""
    values = np.asarray(values)
    if dtype_name == "bfloat16":
        f32 = values.astype(np.float32)
        return f32.astype(ml_dtypes.bfloat16), torch.tensor(f32).to(torch.bfloat16)
    arr = values.astype(_NP_DTYPES[dtype_name])
    return arr, torch.from_numpy(arr.copy())


def _check(values, dtype_name, **kwargs):
    arr, tensor = _pair(values, dtype_name)
    expected = repr(tensor)
    assert str(tensor) == expected
    got = tl.format_tensor(arr, dtype_name, **kwargs)
    assert got == expected, f"\n--- torchlike ---\n{got}\n--- torch ---\n{expected}"


nan, inf = math.nan, math.inf
_rng = np.random.default_rng(1234)

# (id, values, dtype_name) printed with default options.
VALUE_CASES = [
    ("ints_as_float", [1.0, 2.0, 3.0], "float32"),
    ("halves", [1.5, 2.25, -3.125], "float32"),
    ("tenths", [0.1, 0.2, 0.3], "float32"),
    ("pi_multiples", np.pi * np.arange(1, 8), "float32"),
    ("round_up_digits", [0.99995, 9.99996, 1.00005], "float32"),
    ("scalar_int_float", 27.0, "float32"),
    ("scalar_frac", 0.123456789, "float32"),
    ("scalar_neg_zero", -0.0, "float32"),
    ("scalar_nan", nan, "float32"),
    ("scalar_neg_inf", -inf, "float64"),
    ("scalar_huge", 3.5e20, "float64"),
    ("scalar_int64", -42, "int64"),
    ("scalar_bool", True, "bool"),
    ("scalar_complex", 1.5 - 2j, "complex64"),
    ("zeros", np.zeros(4), "float32"),
    ("signed_zeros", [-0.0, 0.0, -0.0], "float32"),
    ("neg_zero_frac", [-0.0, 1.5, 2.0], "float32"),
    ("neg_zero_int_mode", [-0.0, 1.0, 2.0], "float32"),
    ("nonfinite_only", [nan, inf, -inf], "float32"),
    ("nonfinite_int_mode", [nan, 1.0, -inf, 100.0], "float32"),
    ("nonfinite_frac", [inf, 1.5, nan, -2.25], "float64"),
    ("nonfinite_sci", [nan, 1e-8, inf, 1e3], "float32"),
    ("tiny_auto_sci", [1e-5, 1.0], "float32"),
    ("large_auto_sci", [1e9, 1.0], "float32"),
    ("ratio_auto_sci", [1.0, 1001.0, 0.5], "float32"),
    ("ratio_no_sci", [1.0, 999.0, 0.5], "float32"),
    ("ratio_exactly_1000", [1.0, 1000.0], "float32"),
    ("min_exactly_1e-4", [1e-4, 0.05], "float64"),
    ("max_exactly_1e8", [1e8, 1e6], "float64"),
    ("int_valued_large", [123456789.0, 1.0], "float64"),
    ("int_valued_1e8", [1e8, 2.0], "float64"),
    ("extreme_range", [1e300, 1e-300, -1.0], "float64"),
    ("subnormal", [5e-324, 1.0], "float64"),
    ("mixed_signs", [-1.5, 2.0, -3.25, 4.0, -0.001], "float32"),
    ("float16_values", [0.1, 1.0 / 3, 65504.0, -2.5], "float16"),
    ("float16_frac", [0.1, 0.2, 0.3, -0.7], "float16"),
    ("float16_nonfinite", [inf, -inf, nan, 6e-8], "float16"),
    ("bfloat16_values", [0.1, 1.0 / 3, 3.0e38, -2.5], "bfloat16"),
    ("bfloat16_frac", [0.1, 0.2, 0.3, -0.7], "bfloat16"),
    ("bfloat16_ints", [1.0, 256.0, 257.0, -3.0], "bfloat16"),
    ("float64_digits", [1.0 / 3, 2.0 / 3, 1e-3], "float64"),
    ("int8", [-128, 0, 127], "int8"),
    ("int16", [-32768, 5, 32767], "int16"),
    ("int32", [1, -20, 300], "int32"),
    ("int64", [2**62, -1, 0], "int64"),
    ("uint8", [0, 7, 255], "uint8"),
    ("bool", [True, False, True], "bool"),
    ("bool_matrix", [[True, False], [False, False]], "bool"),
    ("complex_basic", [1 + 2j, -3.5 - 0.25j, 0j], "complex64"),
    ("complex_int_mode", [1 + 2j, -3 - 4j], "complex128"),
    ("complex_neg_zero_imag", [complex(1.0, -0.0), complex(-0.0, 2.0)], "complex64"),
    ("complex_nonfinite", [complex(nan, 1.0), complex(1.0, inf), complex(-inf, nan)],
     "complex128"),
    ("complex_sci", [1e-6 + 1e6j, 2 + 3j], "complex128"),
    ("complex_mixed_modes", [1.5 + 1e9j, 2.25 - 3j], "complex64"),
    ("complex_matrix", _rng.normal(size=(3, 3)) + 1j * _rng.normal(size=(3, 3)), "complex64"),
    ("complex_wrap", _rng.normal(size=12) + 1j * _rng.normal(size=12), "complex128"),
    ("single_element", [7.25], "float32"),
    ("matrix_1x1", [[3.0]], "float32"),
    ("nested_singletons", np.ones((1, 1, 1, 1)), "float32"),
    ("random_2x3", _rng.normal(size=(2, 3)), "float32"),
    ("random_3x4x5", _rng.normal(size=(3, 4, 5)), "float32"),
    ("random_4d", _rng.normal(size=(2, 2, 2, 3)), "float64"),
    ("random_5d", _rng.normal(size=(2, 1, 2, 1, 2)), "float32"),
    ("random_wide", _rng.normal(size=(3, 25)) * 100, "float32"),
    ("random_tiny", _rng.normal(size=(4, 4)) * 1e-7, "float32"),
    ("random_large", _rng.normal(size=(4, 4)) * 1e12, "float64"),
    ("random_ints_3d", _rng.integers(-1000, 1000, size=(3, 2, 4)), "int64"),
    ("random_int32_wrap", _rng.integers(-10**9, 10**9, size=40), "int32"),
    ("long_vector_wrap", np.arange(100) * 1.5, "float32"),
    ("long_int_vector", np.arange(200), "int64"),
    ("summarize_vector", np.arange(1001) / 7, "float32"),
    ("summarize_matrix", _rng.normal(size=(40, 30)), "float32"),
    ("summarize_3d", _rng.normal(size=(11, 11, 11)), "float64"),
    ("summarize_narrow", np.arange(2002).reshape(1001, 2), "int64"),
    ("summarize_ints", np.arange(5000) - 2500, "int16"),
    ("summarize_bool", np.arange(2000) % 3 == 0, "bool"),
    ("summarize_complex", np.arange(1200) * (1 + 0.5j), "complex64"),
    ("summarize_hidden_outlier", np.r_[np.ones(500), 1e9, np.ones(500)], "float32"),
    ("empty_1d", np.zeros(0), "float32"),
    ("empty_1d_int32", np.zeros(0), "int32"),
    ("empty_1d_int64", np.zeros(0), "int64"),
    ("empty_1d_bool", np.zeros(0), "bool"),
    ("empty_2d", np.zeros((2, 0)), "float32"),
    ("empty_3d_float64", np.zeros((0, 3, 2)), "float64"),
    ("empty_complex", np.zeros((0,)), "complex64"),
]


@pytest.mark.parametrize(
    "values, dtype_name", [c[1:] for c in VALUE_CASES], ids=[c[0] for c in VALUE_CASES]
)
def test_default_options(values, dtype_name):
    _check(values, dtype_name)


# (id, options, values, dtype_name): values printed under non-default print options.
OPTION_CASES = [
    ("precision2", dict(precision=2), np.pi * np.arange(5), "float32"),
    ("precision0", dict(precision=0), [1.5, 2.25, -0.4], "float32"),
    ("precision8", dict(precision=8), [1 / 3, 2 / 3, 10.0], "float64"),
    ("precision2_sci", dict(precision=2), [1e-7, 5.0], "float32"),
    ("sci_forced", dict(sci_mode=True), [1.0, 2.5, -3.0], "float32"),
    ("sci_forced_ints", dict(sci_mode=True), [1.0, 2.0, 300.0], "float32"),
    ("sci_forced_zeros", dict(sci_mode=True), [0.0, -0.0], "float32"),
    ("sci_forced_complex", dict(sci_mode=True), [1 + 2j, 3 - 4.5j], "complex64"),
    ("sci_forced_scalar", dict(sci_mode=True), 0.5, "float32"),
    ("sci_off_tiny", dict(sci_mode=False), [1e-6, 1.0], "float32"),
    ("sci_off_huge", dict(sci_mode=False), [1e10, 1.5], "float64"),
    ("threshold_small", dict(threshold=5), np.arange(10), "int64"),
    ("threshold_small_float", dict(threshold=5), np.arange(10) / 3, "float32"),
    ("threshold_matrix", dict(threshold=10), np.arange(64.0).reshape(8, 8), "float32"),
    ("threshold_3d", dict(threshold=10), np.arange(343).reshape(7, 7, 7), "int32"),
    ("threshold_zero_scalar", dict(threshold=0), 1.5, "float32"),
    ("edgeitems1", dict(threshold=5, edgeitems=1), np.arange(20.0).reshape(4, 5), "float32"),
    ("edgeitems5", dict(edgeitems=5), np.arange(1500), "int64"),
    ("edgeitems0_vector", dict(threshold=5, edgeitems=0), np.arange(20), "int64"),
    ("edgeitems0_matrix", dict(threshold=5, edgeitems=0), np.ones((4, 5)), "float32"),
    ("edgeitems0_small", dict(edgeitems=0), [1.5, 2.5], "float32"),
    ("edgeitems0_empty", dict(edgeitems=0), np.zeros((3, 0)), "float32"),
    ("edgeitems0_dtype", dict(threshold=2, edgeitems=0), [[1, 2], [3, 4]], "int8"),
    ("linewidth40", dict(linewidth=40), np.arange(30) / 7, "float32"),
    ("linewidth20_matrix", dict(linewidth=20), np.arange(24.0).reshape(2, 12) / 3, "float64"),
    ("linewidth1", dict(linewidth=1), [1.5, 2.5, 3.5], "float32"),
    ("linewidth_complex", dict(linewidth=50), np.arange(10) * (1 - 1j), "complex64"),
    ("linewidth_suffix", dict(linewidth=30), [1.5, 2.5, 3.5], "float64"),
    ("profile_full", dict(profile="full"), np.arange(1500) / 4, "float32"),
    ("profile_short", dict(profile="short"), _rng.normal(size=(10, 200)), "float32"),
    ("profile_short_small", dict(profile="short"), [1 / 3, 2 / 3], "float64"),
    ("profile_full_override", dict(profile="full", threshold=10), np.arange(20), "int64"),
    ("profile_default", dict(profile="default"), np.arange(2000) / 3, "float32"),
]


@pytest.mark.parametrize(
    "opts, values, dtype_name", [c[1:] for c in OPTION_CASES], ids=[c[0] for c in OPTION_CASES]
)
def test_print_options(opts, values, dtype_name):
    _set_both(**opts)
    assert tl.get_printoptions() == torch_str.get_printoptions()
    _check(values, dtype_name)


def test_sequential_set_printoptions_resets_sci_mode():
    _set_both(sci_mode=True)
    _set_both(precision=3)  # torch resets sci_mode to automatic when it is omitted
    assert tl.get_printoptions() == torch_str.get_printoptions()
    _check([1.5, 2.5], "float32")


def test_printoptions_context_manager_matches_torch():
    with torch_str.printoptions(precision=1, linewidth=30), tl.printoptions(
        precision=1, linewidth=30
    ):
        assert tl.get_printoptions() == torch_str.get_printoptions()
        _check(np.arange(12) / 7, "float32")
    assert tl.get_printoptions() == torch_str.get_printoptions()
    _check(np.arange(12) / 7, "float32")


@pytest.mark.parametrize("seed", range(40))
def test_random_fuzz(seed):
    """Random shapes, dtypes, magnitudes, special values and options."""
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(0, 5))
    shape = tuple(int(n) for n in rng.integers(1, 6 if ndim > 2 else 40, size=ndim))
    dtype_name = str(rng.choice(list(_NP_DTYPES)))
    scale = 10.0 ** rng.uniform(-12, 12)
    values = rng.normal(size=shape) * scale
    if rng.random() < 0.5:
        values = np.round(values)  # exercise integer-valued float mode
    if dtype_name.startswith("complex"):
        values = values + 1j * rng.normal(size=shape) * 10.0 ** rng.uniform(-6, 6)
    elif dtype_name == "bool":
        values = values > 0
    elif not dtype_name.startswith(("float", "bfloat")):
        info = np.iinfo(_NP_DTYPES[dtype_name])
        values = rng.integers(info.min, info.max, size=shape, endpoint=True)
    elif values.size and rng.random() < 0.3:
        flat = values.reshape(-1)
        flat[rng.integers(0, flat.size, size=3)] = rng.choice([nan, inf, -inf, -0.0], size=3)
    opts = {}
    if rng.random() < 0.5:
        opts = dict(precision=int(rng.integers(1, 7)), linewidth=int(rng.integers(30, 120)),
                    threshold=int(rng.integers(5, 200)), edgeitems=int(rng.integers(1, 4)),
                    sci_mode=[None, True, False][int(rng.integers(0, 3))])
    _set_both(**opts)
    with np.errstate(over="ignore", invalid="ignore"):  # float16 casts may overflow to inf
        _check(values, dtype_name)


# ---------------------------------------------------------------------------------
# Suffixes: requires_grad, grad_fn, default dtype, device, prefix


@pytest.mark.parametrize("values", [[1.0, 2.0], 3.5, np.arange(30.0) / 7, np.zeros((0, 2))],
                         ids=["vector", "scalar", "wrapped", "empty"])
def test_requires_grad_suffix(values):
    arr = np.asarray(values, dtype=np.float32)
    expected = repr(torch.tensor(arr, requires_grad=True))
    assert tl.format_tensor(arr, "float32", requires_grad=True) == expected


@pytest.mark.parametrize("dtype_name", ["float32", "float64", "float16", "bfloat16"])
def test_requires_grad_with_dtype(dtype_name):
    arr, tensor = _pair([1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5], dtype_name)
    expected = repr(tensor.requires_grad_())
    assert tl.format_tensor(arr, dtype_name, requires_grad=True) == expected


def _grad_fn_cases():
    x = torch.ones(2, requires_grad=True)
    m = torch.arange(12.0, dtype=torch.float64).reshape(3, 4).requires_grad_()
    return [
        ("mul", x * 1),
        ("add", x + 2),
        ("mean", (torch.tensor([26.0, 28.0], requires_grad=True)).mean()),
        ("sum_float64", m.sum()),
        ("matrix_div", m / 7),
        ("wide_pow", torch.linspace(0, 1, 50, requires_grad=True) ** 2),
    ]


@pytest.mark.parametrize("name, tensor", _grad_fn_cases(), ids=lambda c: str(c)[:12])
def test_grad_fn_suffix(name, tensor):
    arr = tensor.detach().numpy()
    grad_fn_name = type(tensor.grad_fn).__name__
    got = tl.format_tensor(arr, str(tensor.dtype).removeprefix("torch."),
                           grad_fn_name=grad_fn_name, requires_grad=True)
    assert got == repr(tensor)


@pytest.mark.parametrize("values, dtype_name", [
    ([1.5, 2.0], "float32"),
    ([1.5, 2.0], "float64"),
    ([1.0, 2.0], "float16"),
    ([1 + 1j], "complex64"),
    ([1 + 1j], "complex128"),
    ([1, 2], "int64"),
    ([1, 2], "int32"),
    ([True], "bool"),
    (np.zeros(0), "float64"),
    (np.zeros(0), "float32"),
    (np.zeros((2, 0)), "complex128"),
    (2.5, "float32"),
])
def test_default_dtype_float64(values, dtype_name):
    torch.set_default_dtype(torch.float64)
    arr, tensor = _pair(values, dtype_name)
    assert tl.format_tensor(arr, dtype_name, default_dtype_name="float64") == repr(tensor)


@pytest.mark.parametrize("values, dtype_name, requires_grad, linewidth", [
    ([1.5, 2.5], "float32", False, 80),
    (np.arange(20.0) / 3, "float64", True, 80),
    (np.zeros((2, 0)), "int32", False, 80),
    (np.arange(9).reshape(3, 3), "int64", True, 80),
    (np.arange(6.0) / 3, "float64", True, 42),  # a wrapped suffix followed by another
])
def test_device_suffix(values, dtype_name, requires_grad, linewidth):
    # CPU-only torch cannot make a CUDA tensor, so feed the device suffix to torch's own
    # body and suffix-layout helpers instead.
    _set_both(linewidth=linewidth)
    arr, tensor = _pair(values, dtype_name)
    suffixes = ["device='cuda:0'"]
    if tensor.numel() == 0:
        body = "[]"
        if tensor.dim() != 1:
            suffixes.append(f"size={tuple(tensor.shape)}")
        if dtype_name != "float32":
            suffixes.append(f"dtype={tensor.dtype}")
    else:
        body = torch_str._tensor_str(tensor, len("tensor("))
        if dtype_name not in ("float32", "int64"):
            suffixes.append(f"dtype={tensor.dtype}")
    if requires_grad:
        suffixes.append("requires_grad=True")
    expected = torch_str._add_suffixes("tensor(" + body, suffixes, 7, force_newline=False)
    got = tl.format_tensor(arr, dtype_name, device="cuda:0", requires_grad=requires_grad)
    assert got == expected


@pytest.mark.parametrize("precision", range(20, 50))
def test_suffix_wrapping_boundary(precision):
    """Line lengths sweeping past the points where each suffix moves to its own line."""
    _set_both(precision=precision)
    arr = np.array([1.5])
    expected = repr(torch.from_numpy(arr.copy()).requires_grad_())
    assert tl.format_tensor(arr, "float64", requires_grad=True) == expected


class MyTensor(torch.Tensor):
    """A subclass makes torch print with the prefix ``MyTensor(``."""


@pytest.mark.parametrize("values, dtype_name", [
    (np.arange(6.0).reshape(2, 3) / 7, "float32"),
    (np.arange(60.0).reshape(2, 30) * 1e5, "float64"),
    (np.arange(100), "int32"),
])
def test_custom_prefix(values, dtype_name):
    arr, tensor = _pair(values, dtype_name)
    expected = repr(torch.Tensor._make_subclass(MyTensor, tensor))
    assert tl.format_tensor(arr, dtype_name, prefix="MyTensor(") == expected


def test_get_printoptions_matches_torch_for_profiles():
    for profile in ["full", "short", "default"]:
        _set_both(profile=profile)
        assert tl.get_printoptions() == torch_str.get_printoptions()


@pytest.mark.parametrize("spec", ["", ".2f", ">8", "e", ".3g"])
def test_format_spec(spec):
    """f"{t:spec}": a plain 0-d tensor formats as its number; anything else as object does
    (an empty spec prints the tensor, any other spec is torch's TypeError)."""
    import torchlike
    from _helper import assert_same, assert_same_error

    def cases(L):
        yield L.tensor(17.0)
        yield L.tensor(1.5, requires_grad=True) * 2
        yield L.tensor(3)
        yield L.tensor(True)
        yield L.tensor(2.5, dtype=L.float64)
        yield L.tensor([1.0, 2.0])
        yield L.nn.Parameter(L.tensor(2.0))
    for want, got in zip(cases(torch), cases(torchlike)):
        try:
            expected = format(want, spec)
        except Exception as e:
            with pytest.raises(type(e)) as caught:
                format(got, spec)
            assert_same_error(e, caught.value)
            continue
        assert_same(expected, format(got, spec))
