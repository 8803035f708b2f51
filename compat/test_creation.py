"""Creation and random sampling against real torch: torch.tensor's dtype inference and errors,
zeros/ones/full/arange/linspace/..., legacy constructors, and the samplers (compared by shape,
dtype and sample statistics, never by values: the streams differ from torch's)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import torchlike
from _helper import assert_same_tensor, check, check_raises

LIBS = (torch, torchlike)


def same(fn):
    """fn(L) -> Tensor(s) or value(s): compared with torch by value, dtype, shape and repr."""
    check(lambda L: fn(L), grad=False)


TENSOR = {
    "int": lambda L: L.tensor(3),
    "float": lambda L: L.tensor(2.5),
    "bool": lambda L: L.tensor([True, False]),
    "nested": lambda L: L.tensor([[1, 2], [3, 4]]),
    "mixed_int_float": lambda L: L.tensor([1, 2.5]),
    "mixed_bool_int": lambda L: L.tensor([True, 2]),
    "mixed_bool_float": lambda L: L.tensor([[True], [0.5]]),
    "tuple": lambda L: L.tensor((1, 2)),
    "range": lambda L: L.tensor(range(3)),
    "empty": lambda L: L.tensor([]),
    "empty_nested": lambda L: L.tensor([[]]),
    "np_float32_scalar": lambda L: L.tensor(np.float32(1.5)),
    "np_float64_scalar": lambda L: L.tensor(np.float64(1.5)),
    "np_int32_scalar": lambda L: L.tensor(np.int32(7)),
    "np_bool_scalar": lambda L: L.tensor(np.bool_(True)),
    "np_scalars_in_list": lambda L: L.tensor([np.float64(1), np.float64(2)]),
    "np_int32_in_list": lambda L: L.tensor([np.int32(1), 5]),
    "np_int32_and_float": lambda L: L.tensor([np.int32(1), 2.5]),
    "np_arrays_in_list": lambda L: L.tensor([np.array([1, 2]), np.array([3, 4])]),
    "np_array_f32": lambda L: L.tensor(np.array([1.5, 2], np.float32)),
    "np_0d_array": lambda L: L.tensor(np.array(1.5)),
    "0d_tensors_in_list": lambda L: L.tensor([L.tensor(1.0), L.tensor(2.0)]),
    "0d_int_and_float": lambda L: L.tensor([L.tensor(1), 1.5]),
    "0d_double_in_list": lambda L: L.tensor([L.tensor(1.0, dtype=L.float64)]),
    "complex": lambda L: L.tensor([1, 2.5j]),
    "dtype_arg": lambda L: L.tensor([1.7, -2.2], dtype=L.int32),
    "dtype_bool": lambda L: L.tensor([[0, 2]], dtype=L.bool),
    "dtype_float64": lambda L: L.tensor([1, 2], dtype=L.float64),
    "dtype_python_float": lambda L: L.tensor([1, 2], dtype=float),
    "requires_grad": lambda L: L.tensor([1.0, 2.0], requires_grad=True),
    "as_tensor_np": lambda L: L.as_tensor(np.array([1, 2], np.int32)),
    "as_tensor_list": lambda L: L.as_tensor([1, 2], dtype=L.float64),
    "as_tensor_tensor": lambda L: L.as_tensor(L.tensor([1, 2]), dtype=L.float32),
    "from_numpy": lambda L: L.from_numpy(np.arange(6, dtype=np.int16).reshape(2, 3)),
    "scalar_tensor": lambda L: L.scalar_tensor(3),
}


@pytest.mark.parametrize("name", list(TENSOR))
def test_tensor_constructor(name):
    same(TENSOR[name])


def test_default_dtype_float64():
    torch.set_default_dtype(torch.float64)
    torchlike.set_default_dtype(torchlike.float64)
    try:
        same(lambda L: (L.tensor([1.5]), L.tensor([1, 2.0]), L.zeros(2), L.arange(0.0, 1.0, 0.5),
                        L.full((1,), 2.5), L.tensor(np.float32(1))))
    finally:
        torch.set_default_dtype(torch.float32)
        torchlike.set_default_dtype(torchlike.float32)


def test_tensor_copies_input_tensor():
    for L in LIBS:
        src = L.tensor([1.0, 2.0], requires_grad=True)
        with pytest.warns(UserWarning, match="To copy construct from a tensor"):
            out = L.tensor(src)
        assert not out.requires_grad and out.is_leaf


FILLED = {
    "zeros_varargs": lambda L: L.zeros(2, 3),
    "zeros_tuple": lambda L: L.zeros((2, 3)),
    "zeros_list": lambda L: L.zeros([2, 3]),
    "zeros_size": lambda L: L.zeros(L.Size([2])),
    "zeros_0d": lambda L: L.zeros(()),
    "zeros_empty": lambda L: L.zeros(0, 3),
    "zeros_np_int": lambda L: L.zeros(np.int64(2)),
    "ones_dtype": lambda L: L.ones(2, dtype=L.int64),
    "ones_bool": lambda L: L.ones(2, 2, dtype=L.bool),
    "empty_shape": lambda L: L.empty(2, 3).shape,
    "full_int": lambda L: L.full((2,), 3),
    "full_bool": lambda L: L.full((2,), True),
    "full_float": lambda L: L.full([2, 1], 1.5),
    "full_tensor_value": lambda L: L.full((2,), L.tensor(4)),
    "full_np_float32": lambda L: L.full((2,), np.float32(1.5)),
    "full_dtype": lambda L: L.full((2,), 7, dtype=L.float64),
    "zeros_like": lambda L: L.zeros_like(L.ones(2, dtype=L.int32)),
    "ones_like_dtype": lambda L: L.ones_like(L.ones(2, 2), dtype=L.float64),
    "empty_like": lambda L: str(L.empty_like(L.ones(2, dtype=L.int32)).dtype),
    "full_like_trunc": lambda L: L.full_like(L.ones(2, dtype=L.int32), 2.7),
    "like_requires_grad": lambda L: L.zeros_like(L.ones(2), requires_grad=True),
    "eye": lambda L: L.eye(3),
    "eye_rect": lambda L: L.eye(2, 3, dtype=L.int64),
    "eye_empty": lambda L: L.eye(0),
    "arange": lambda L: L.arange(5),
    "arange_start": lambda L: L.arange(2, 7, 2),
    "arange_negative": lambda L: L.arange(5, 0, -2),
    "arange_float": lambda L: L.arange(0, 1, 0.3),
    "arange_float_start": lambda L: L.arange(0.5, 3),
    "arange_negative_float": lambda L: L.arange(-1.5, 1.5, 0.7),
    "arange_dtype": lambda L: L.arange(0, 10, 3, dtype=L.float32),
    "arange_float64": lambda L: L.arange(0.1, 1.0, 0.1, dtype=L.float64),
    "arange_tensor": lambda L: L.arange(L.tensor(3)),
    "arange_tensor_float": lambda L: L.arange(L.tensor(3.0)),
    "arange_empty": lambda L: L.arange(0),
    "linspace": lambda L: L.linspace(0, 1, 5),
    "linspace_odd": lambda L: L.linspace(-1, 1, 7, dtype=L.float64),
    "linspace_float32": lambda L: L.linspace(-3.3, 7.1, 11),
    "linspace_int": lambda L: L.linspace(0, 10, 4, dtype=L.int64),
    "linspace_one": lambda L: L.linspace(2, 3, 1),
    "linspace_zero": lambda L: L.linspace(2, 3, 0),
    "linspace_reverse": lambda L: L.linspace(5, -5, 6),
    "logspace": lambda L: L.logspace(0, 2, 3),
    "logspace_base": lambda L: L.logspace(0, 3, 4, base=2),
    "logspace_int": lambda L: L.logspace(0, 2, 3, dtype=L.int64),
    "range": lambda L: L.range(0, 3),
}


@pytest.mark.parametrize("name", list(FILLED))
def test_filled_and_ranges(name):
    if name == "range":
        with pytest.warns(UserWarning):
            same(FILLED[name])
        return
    same(FILLED[name])


LEGACY = {
    "Tensor_empty": lambda L: L.Tensor(),
    "Tensor_sizes": lambda L: L.Tensor(2, 3).shape,
    "Tensor_size_obj": lambda L: L.Tensor(L.Size([2])).shape,
    "Tensor_list": lambda L: L.Tensor([1, 2]),
    "Tensor_tuple_data": lambda L: L.Tensor((2, 3)),
    "Tensor_numpy": lambda L: L.Tensor(np.array([1, 2])),
    "Tensor_tensor": lambda L: L.Tensor(L.tensor([1, 2])),
    "FloatTensor": lambda L: L.FloatTensor([1, 2]),
    "DoubleTensor": lambda L: L.DoubleTensor(2).shape,
    "LongTensor": lambda L: L.LongTensor([1.5, 2]),
    "LongTensor_sizes": lambda L: L.LongTensor(2, 2).shape,
    "BoolTensor": lambda L: L.BoolTensor([1, 0]),
    "IntTensor": lambda L: L.IntTensor([[1], [2]]),
}


@pytest.mark.parametrize("name", list(LEGACY))
def test_legacy_constructors(name):
    same(LEGACY[name])


def test_legacy_isinstance():
    for L in LIBS:
        assert isinstance(L.ones(2), L.FloatTensor)
        assert not isinstance(L.ones(2), L.LongTensor)
        assert isinstance(L.ones(2, dtype=L.long), L.LongTensor)


ERRORS = {
    "ragged": lambda L: L.tensor([[1, 2], [3]]),
    "ragged_deeper": lambda L: L.tensor([[1], [2, 3]]),
    "scalar_then_list": lambda L: L.tensor([[1, 2], 3]),
    "list_after_int": lambda L: L.tensor([1, [2, 3]]),
    "list_after_float": lambda L: L.tensor([1.0, [2]]),
    "multi_element_tensor": lambda L: L.tensor([L.tensor([1.0, 2.0])]),
    "none": lambda L: L.tensor(None),
    "none_in_list": lambda L: L.tensor([1, None]),
    "string": lambda L: L.tensor("a"),
    "string_in_list": lambda L: L.tensor([1, "a"]),
    "overflow": lambda L: L.tensor(2 ** 63),
    "int_requires_grad": lambda L: L.tensor([1], requires_grad=True),
    "zeros_int_requires_grad": lambda L: L.zeros(2, dtype=L.long, requires_grad=True),
    "zeros_no_size": lambda L: L.zeros(),
    "zeros_negative": lambda L: L.zeros(-1),
    "zeros_tuple_negative": lambda L: L.zeros((2, -1)),
    "zeros_float_size": lambda L: L.zeros(2.0),
    "ones_negative": lambda L: L.ones(-1),
    "empty_negative": lambda L: L.empty(2, -3),
    "full_int_size": lambda L: L.full(2, 1.0),
    "full_negative": lambda L: L.full((-1,), 1.0),
    "arange_sign": lambda L: L.arange(0, 5, -1),
    "arange_step0": lambda L: L.arange(0, 5, 0),
    "arange_inf": lambda L: L.arange(math.inf),
    "linspace_negative": lambda L: L.linspace(0, 1, -1),
    "logspace_negative": lambda L: L.logspace(0, 1, -1),
    "eye_negative": lambda L: L.eye(-1),
    "eye_m_negative": lambda L: L.eye(2, -1),
    "from_numpy_list": lambda L: L.from_numpy([1]),
    "Tensor_float": lambda L: L.Tensor(2.5),
    "rand_long": lambda L: L.rand(2, dtype=L.int64),
    "randn_long": lambda L: L.randn(2, dtype=L.int64),
    "rand_negative": lambda L: L.rand(-1),
    "randn_negative": lambda L: L.randn(2, -1),
    "randint_bounds": lambda L: L.randint(3, 1, (2,)),
    "randint_size_int": lambda L: L.randint(3, 2),
    "randint_negative": lambda L: L.randint(3, (-1,)),
    "randperm_negative": lambda L: L.randperm(-1),
    "rand_like_long": lambda L: L.rand_like(L.ones(2, dtype=L.long)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_creation_errors(name):
    t, tl = check_raises(ERRORS[name])
    assert t == tl


# ---- random ------------------------------------------------------------------------------
N = 20000


def _stats(t):
    a = np.asarray(t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach()._data,
                   dtype=np.float64)
    return a.mean(), a.std()


def same_distribution(fn):
    """fn(L) -> a sample tensor: same shape and dtype as torch's, and mean and std equal
    within 6 standard errors (means) and 6% (stds: ~4 standard errors at kurtosis 9)."""
    want, got = fn(torch), fn(torchlike)
    assert str(want.dtype) == str(got.dtype) and tuple(want.shape) == tuple(got.shape)
    (wm, ws), (gm, gs) = _stats(want), _stats(got)
    n = want.numel()
    assert abs(wm - gm) <= 6 * math.sqrt((ws ** 2 + gs ** 2) / n) + 1e-12, (wm, gm)
    assert abs(ws - gs) <= 0.06 * ws + 1e-12, (ws, gs)
    return want, got


SAMPLERS = {
    "rand": lambda L: L.rand(N),
    "rand_tuple_dtype": lambda L: L.rand((N // 100, 100), dtype=L.float64),
    "randn": lambda L: L.randn(2, N // 2),
    "randn_like": lambda L: L.randn_like(L.zeros(N, dtype=L.float64)),
    "rand_like": lambda L: L.rand_like(L.zeros(N)),
    "randint": lambda L: L.randint(3, 10, (N,)),
    "randint_high": lambda L: L.randint(5, (N,)),
    "randint_dtype": lambda L: L.randint(0, 4, (N,), dtype=L.float32),
    "randint_like": lambda L: L.randint_like(L.zeros(N), 2, 8),
    "randperm": lambda L: L.randperm(N).float(),
    "normal_floats": lambda L: L.normal(2.0, 3.0, (N,)),
    "normal_tensor_tensor": lambda L: L.normal(L.full((N,), -1.0), L.full((N,), 0.5)),
    "normal_tensor_float": lambda L: L.normal(L.zeros(N, dtype=L.float64), 2.0),
    "normal_float_tensor": lambda L: L.normal(1.0, L.ones(N)),
    "bernoulli": lambda L: L.bernoulli(L.full((N,), 0.3)),
    "bernoulli_p": lambda L: L.bernoulli(L.zeros(N), 0.7),
    "poisson": lambda L: L.poisson(L.full((N,), 4.0)),
    "uniform_": lambda L: L.empty(N).uniform_(-2, 5),
    "normal_": lambda L: L.empty(N, dtype=L.float64).normal_(3, 0.5),
    "random_to": lambda L: L.empty(N).random_(10),
    "random_range": lambda L: L.empty(N, dtype=L.int64).random_(-5, 5),
    "random_bool": lambda L: L.empty(N, dtype=L.bool).random_().float(),
    "bernoulli_": lambda L: L.empty(N).bernoulli_(0.25),
    "bernoulli_tensor_p": lambda L: L.empty(N).bernoulli_(L.full((N,), 0.8)),
    "exponential_": lambda L: L.empty(N).exponential_(2.0),
    "geometric_": lambda L: L.empty(N).geometric_(0.3),
    "geometric_int": lambda L: L.empty(N, dtype=L.int64).geometric_(0.5),
    "log_normal_": lambda L: L.empty(N).log_normal_(0.0, 0.25),
}


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_sampler_distributions(name):
    same_distribution(SAMPLERS[name])


def test_cauchy_median_and_quartiles():
    for L in LIBS:
        a = np.asarray(L.empty(N).cauchy_(1.0, 2.0).tolist())
        q1, med, q3 = np.percentile(a, [25, 50, 75])
        assert abs(med - 1.0) < 0.15 and abs(q1 + 1.0) < 0.2 and abs(q3 - 3.0) < 0.2


def test_randperm_and_randint_ranges():
    p = torchlike.randperm(50)
    assert sorted(p.tolist()) == list(range(50)) and p.dtype is torchlike.int64
    r = torchlike.randint(-3, 3, (2000,))
    assert set(r.tolist()) == set(range(-3, 3))
    big = torchlike.empty(1000).random_()
    assert big.min().item() >= 0 and big.max().item() <= 2 ** 24
    assert torchlike.empty(1000, dtype=torchlike.uint8).random_().max().item() <= 255


@pytest.mark.parametrize("replacement", [False, True])
def test_multinomial(replacement):
    probs = [0.1, 0.2, 0.3, 0.4]
    n = 3 if not replacement else 6
    for L in LIBS:
        out = L.multinomial(L.tensor(probs), n, replacement)
        assert out.dtype is L.int64 and tuple(out.shape) == (n,)
        if not replacement:
            assert len(set(out.tolist())) == n
        rows = L.multinomial(L.tensor([probs, probs[::-1]]), 2, replacement)
        assert tuple(rows.shape) == (2, 2)
    # category frequencies of the first draw match the probabilities
    first = torchlike.multinomial(torchlike.tensor([probs] * 4000), 1).reshape(-1)
    freq = np.bincount(np.asarray(first.tolist()), minlength=4) / 4000
    np.testing.assert_allclose(freq, probs, atol=0.04)
    # without replacement, zero-weight categories come last (torch's exponential trick)
    for L in LIBS:
        assert sorted(L.multinomial(L.tensor([1.0, 0.0, 1.0]), 3).tolist()[:2]) == [0, 2]


def test_certain_draws():
    """Draws whose outcome is certain (one-hot probabilities, zero Poisson rates), whatever the
    stream."""
    same(lambda L: (L.multinomial(L.tensor([[0.0, 2.0, 0.0], [0.0, 0.0, 0.5]]), 4, True),
                    L.multinomial(L.tensor([0.0, 0.0, 1.0]), 1),
                    L.multinomial(L.tensor([[0.0, 1.0]], dtype=L.float64), 1, False),
                    L.poisson(L.zeros(2, 3)), L.poisson(L.zeros(3, dtype=L.float64)),
                    L.poisson(L.tensor([0.0, -0.0], dtype=L.bfloat16))))


def test_generator_reproducible():
    g = torchlike.Generator().manual_seed(3)
    a = torchlike.rand(5, generator=g)
    b = torchlike.empty(5).normal_(generator=g)
    g.manual_seed(3)
    assert torchlike.equal(a, torchlike.rand(5, generator=g))
    assert torchlike.equal(b, torchlike.empty(5).normal_(generator=g))
    torchlike.manual_seed(0)
    x = torchlike.randn(4)
    torchlike.manual_seed(0)
    assert torchlike.equal(x, torchlike.randn(4))


def test_samplers_write_in_place():
    for L in LIBS:
        x = L.zeros(3, 4)
        v = x[0]
        assert x.uniform_() is x and x._version == 1
        assert L.equal(v, x[0])
        y = L.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            y.normal_()


def test_samplers_have_zero_gradients():
    for L in LIBS:
        m = L.zeros(4, requires_grad=True)
        s = L.ones(4, requires_grad=True)
        out = L.normal(m, s)
        assert type(out.grad_fn).__name__ == "NormalBackward3"
        out.sum().backward()
        assert m.grad.abs().sum().item() == 0 and s.grad.abs().sum().item() == 0
        p = L.full((4,), 0.5, requires_grad=True)
        b = L.bernoulli(p)
        assert type(b.grad_fn).__name__ == "BernoulliBackward0"
        assert type(L.normal(m, 1.0).grad_fn).__name__ == "NormalBackward1"
        assert type(L.normal(0.0, s).grad_fn).__name__ == "NormalBackward2"


SAMPLER_ERRORS = {
    "uniform_long": lambda L: L.ones(3, dtype=L.long).uniform_(),
    "uniform_order": lambda L: L.ones(3).uniform_(2, 1),
    "normal_long": lambda L: L.ones(3, dtype=L.long).normal_(),
    "normal_std": lambda L: L.ones(3).normal_(0, -1),
    "random_order": lambda L: L.ones(3).random_(3, 1),
    "bernoulli_p": lambda L: L.ones(3).bernoulli_(2),
    "bernoulli_tensor_p": lambda L: L.ones(2).bernoulli_(L.tensor([0.5, 2.0])),
    "bernoulli_probs": lambda L: L.bernoulli(L.tensor([2.0])),
    "exponential_lambda": lambda L: L.ones(3).exponential_(-1),
    "exponential_long": lambda L: L.ones(3, dtype=L.long).exponential_(),
    "geometric_p": lambda L: L.ones(3).geometric_(2),
    "cauchy_sigma": lambda L: L.ones(3).cauchy_(0, -1),
    "cauchy_long": lambda L: L.ones(3, dtype=L.long).cauchy_(),
    "log_normal_std": lambda L: L.ones(3).log_normal_(0, -1),
    "log_normal_long": lambda L: L.ones(3, dtype=L.long).log_normal_(),
    "normal_tensor_std": lambda L: L.normal(L.zeros(2), -L.ones(2)),
    "normal_float_std": lambda L: L.normal(0.0, -1.0, (2,)),
    "multinomial_too_many": lambda L: L.multinomial(L.tensor([1.0, 1.0]), 3),
    "multinomial_negative": lambda L: L.multinomial(L.tensor([-1.0, 1.0]), 1),
    "multinomial_zero_sum": lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1),
    "multinomial_no_samples": lambda L: L.multinomial(L.tensor([1.0, 1.0]), 0),
    "multinomial_3d": lambda L: L.multinomial(L.ones(2, 2, 2), 1),
    "multinomial_long": lambda L: L.multinomial(L.tensor([1, 1]), 1),
    "multinomial_inf": lambda L: L.multinomial(L.tensor([float("inf"), 1.0]), 1),
    "poisson_negative": lambda L: L.poisson(L.tensor([1.0, -1.0])),
    "poisson_nan": lambda L: L.poisson(L.tensor([float("nan")], dtype=L.float64)),
    "poisson_long": lambda L: L.poisson(L.tensor([1, 2])),
    "poisson_bool": lambda L: L.poisson(L.tensor([True])),
    "poisson_complex": lambda L: L.poisson(L.ones(2, dtype=L.complex64)),
}


@pytest.mark.parametrize("name", list(SAMPLER_ERRORS))
def test_sampler_errors(name):
    t, tl = check_raises(SAMPLER_ERRORS[name])
    assert t == tl


# ---- zero_ / fill_ / copy_ -----------------------------------------------------------------
X = np.random.default_rng(3).standard_normal((3, 4))

WRITES = {
    "zero_": lambda L, x: (x * 1).zero_(),
    "torch_zero_": lambda L, x: L.zero_(x * 1),
    "fill_number": lambda L, x: (x * 1).fill_(2.5),
    "fill_tensor": lambda L, x, s: (x * 1).fill_(s), "copy_same": lambda L, x: (x * 0).copy_(x),
    "copy_broadcast": lambda L, x, v: (x * 1).copy_(v),
    "copy_into_int": lambda L, x: L.zeros(3, 4, dtype=L.int64).copy_(x * 3),
    "copy_from_int": lambda L, x: (x * 1).copy_(L.arange(4)),
    "fill_int_with_float": lambda L, x: L.zeros(2, dtype=L.int32).fill_(2.9),
    "fill_bool": lambda L, x: L.zeros(2, dtype=L.bool).fill_(1),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_plain_writes(name):
    fn = WRITES[name]
    extra = {"fill_tensor": (np.array(1.5),), "copy_broadcast": (X[0],)}.get(name, ())
    check(fn, X, *extra)


WRITE_ERRORS = {
    "copy_shape": lambda L: L.ones(3, 4).copy_(L.ones(3)),
    "copy_grow": lambda L: L.ones(3).copy_(L.ones(3, 3)),
    "fill_dims": lambda L: L.ones(3).fill_(L.ones(2)),
    "fill_leaf": lambda L: L.ones(3, requires_grad=True).fill_(1.0),
}


@pytest.mark.parametrize("name", list(WRITE_ERRORS))
def test_write_errors(name):
    t, tl = check_raises(WRITE_ERRORS[name])
    assert t == tl


def test_assert_same_tensor_is_strict():
    with pytest.raises(AssertionError):
        assert_same_tensor(torch.zeros(2), torchlike.zeros(3))


@pytest.mark.parametrize("data", ["[[True]]", "0.0", "[2j]", "[float('nan')]", "[]", "[1, 2]",
                                  "[[0]]"])
def test_bool_of_tensor(data):
    def run(L):
        try:
            return bool(L.tensor(eval(data)))
        except RuntimeError as e:
            return str(e)
    assert run(torchlike) == run(torch)


NUMPY_BRIDGE = {  # torch's tensors and numpy arrays share memory both ways
    "tutorial": """
t = L.ones(5); n = t.numpy(); t.add_(1); obs.append((repr(t), n.tolist()))
n = at(np.ones(5)); t = L.from_numpy(n); np.add(n, 1, out=n); obs.append((repr(t), n.tolist()))""",
    "numpy_writes_show": """
t = L.arange(8.); n = t.numpy(); n[2] = 40; n += 1; obs.append((repr(t), repr(t * 2)))""",
    "tensor_writes_show": """
t = L.zeros(2, 4, dtype=L.float64); n = t.numpy(); t[0, 1:3] = 5; v = t[1]; v.fill_(2)
t.mul_(3); obs.append((n.tolist(), repr(t), repr(v)))""",
    "from_numpy_writes_back": """
a = at(np.arange(6, dtype=np.int64).reshape(2, 3)); t = L.from_numpy(a); t.add_(10); t[1] = -1
a[0, 0] = 99; obs.append((a.tolist(), repr(t)))""",
    "detach_numpy": """
x = L.ones(3, requires_grad=True); y = x * 2; n = y.detach().numpy(); n[0] = 7
with L.no_grad():
    y.add_(1)
obs.append((n.tolist(), repr(y.detach())))""",
    "dtypes_and_writable": """
for dt in (L.float16, L.bool, L.uint8, L.int32):
    t = L.zeros(3, dtype=dt); n = t.numpy(); obs.append((str(n.dtype), n.flags.writeable))
    n[1] = 1; obs.append(repr(t))""",
    "requires_grad_error": """
try:
    L.ones(2, requires_grad=True).numpy()
except RuntimeError as e:
    obs.append(str(e))""",
    "non_contiguous_numpy_copies": """
a = np.arange(6.).reshape(2, 3).T; t = L.from_numpy(a); obs.append(repr(t))""",
}


def _at(values, offset=0):
    """A copy of `values` whose memory starts `offset` bytes after a 64-byte boundary."""
    raw = np.empty(values.nbytes + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset
    out = raw[start:start + values.nbytes].view(values.dtype).reshape(values.shape)
    out[...] = values
    return out


@pytest.mark.parametrize("case", list(NUMPY_BRIDGE))
def test_numpy_bridge_shares_memory(case):
    def run(L):
        obs: list = []
        exec(NUMPY_BRIDGE[case], {"L": L, "np": np, "obs": obs, "at": _at})
        return obs
    assert run(torchlike) == run(torch)


def test_from_numpy_unaligned_writes_to_tensor_reach_the_array():
    def run(L):
        a = _at(np.zeros(4), offset=16)
        t = L.from_numpy(a)
        t.add_(1)
        return a.tolist(), repr(t)
    assert run(torchlike) == run(torch)


def test_from_numpy_unaligned_array_writes_reach_the_tensor():
    def run(L):
        a = _at(np.zeros(4), offset=16)
        t = L.from_numpy(a)
        a[0] = 5
        return repr(t)
    assert run(torchlike) == run(torch)


NUMPY_SHARING = {  # numpy and tensors share memory as in torch, views and strided arrays too
    "tutorial_bridge": "n = np.ones(5); t = L.from_numpy(n); np.add(n, 1, out=n); obs += [t]",
    "strided_from_numpy": "b = np.arange(12.).reshape(3, 4); t = L.from_numpy(b.T); "
                          "b[0, 0] = -1; obs += [t, t.stride(), t.is_contiguous()]; "
                          "t[1, 1] = 7; obs += [b.tolist()]",
    "slice_from_numpy": "b = np.arange(10.); t = L.from_numpy(b[3:]); b[4] = 0; obs += [t * 2]",
    "numpy_of_view": "x = L.zeros(3, 4); nv = x[:, 1].numpy(); nv[0] = 3; obs += [x]; "
                     "x[2, 1] = 4; obs += [nv.tolist(), nv.shape, nv.strides]",
    "view_before_numpy": "x = L.arange(6.).reshape(2, 3); w = x.t(); n = x.numpy(); "
                         "n[0, 1] = -5; obs += [w, w + 1, w.sum(), x[1]]",
    "row_view_sees_numpy": "x = L.zeros(3, 4); v = x[1]; n = x.numpy(); n[1, 2] = 9; "
                           "obs += [v, v.tolist()]",
    "negative_stride": "obs += [L.from_numpy(np.arange(4.)[::-1])]",
}


@pytest.mark.parametrize("case", list(NUMPY_SHARING))
def test_numpy_memory_sharing(case):
    def run(L):
        obs = []
        try:
            exec(NUMPY_SHARING[case], {"L": L, "np": np, "obs": obs})
        except ValueError as e:
            obs.append(str(e))
        return [repr(o) for o in obs]
    assert run(torchlike) == run(torch)


def test_numpy_sharing_tensor_keeps_its_class():
    import torchlike
    t = torchlike.from_numpy(np.arange(10.)[1:])
    assert isinstance(t, torchlike.Tensor) and type(t).__name__ == "Tensor"
    p = torchlike.nn.Parameter(t)
    assert type(p) is torchlike.nn.Parameter


def test_numpy_shared_tensor_copies_get_their_own_memory():
    import copy

    def run(L):
        t = L.ones(3)
        n = t.numpy()
        copies = [copy.deepcopy(t), t.clone(), t + 0, t.float(), t.contiguous(), t.detach()]
        n[0] = 4
        return [repr(c) for c in copies]
    assert run(torchlike) == run(torch)


SEEDED = {  # torch's CPU generator, draw for draw: what a seeded program prints
    "rand_randn_small": "L.manual_seed(0); obs += [L.randn(3), L.rand(2, 3), L.randn(5), "
                        "L.rand(4, dtype=L.float64), L.randn(2, 2, dtype=L.float16), "
                        "L.rand(3, dtype=L.bfloat16)]",
    "randn_fill_path": "L.manual_seed(1); obs += [L.randn(20), L.randn(17, dtype=L.float64), "
                       "L.randn(40, dtype=L.float16), L.randn(4, 8)]",
    "integers_and_perm": "L.manual_seed(2); obs += [L.randint(0, 10, (6,)), "
                         "L.randint(-5, 2**40, (3,)), L.randperm(12), "
                         "L.empty(5, dtype=L.int64).random_(0, 100)]",
    "inplace_and_views": "L.manual_seed(3); x = L.empty(3, 4); x.uniform_(-2, 3); obs.append("
                         "x.clone()); x.normal_(1, 0.5); obs.append(x.clone()); x.t().normal_(); "
                         "obs.append(x); obs += [L.normal(2.0, 3.0, (4,)), "
                         "L.normal(L.zeros(3), 2.0)]",
    "nn_init": "L.manual_seed(42); lin = L.nn.Linear(4, 3); conv = L.nn.Conv2d(1, 2, 3); "
               "emb = L.nn.Embedding(4, 3); w = L.empty(3, 5); obs += [lin.weight, lin.bias, "
               "conv.weight, emb.weight, L.nn.init.xavier_uniform_(w).clone(), "
               "L.nn.init.kaiming_normal_(w).clone(), L.nn.init.trunc_normal_(w).clone(), "
               "L.nn.init.trunc_normal_(w, a=0.5, b=0.8).clone()]",
    "generators": "g = L.Generator().manual_seed(7); obs += [L.randn(3, generator=g), "
                  "L.randperm(5, generator=g), L.Generator().initial_seed()]",
    "data_order": "L.manual_seed(3); ds = L.utils.data.TensorDataset(L.arange(10.)); "
                  "obs.append([b[0].tolist() for b in L.utils.data.DataLoader(ds, "
                  "batch_size=4, shuffle=True)]); obs.append([list(s.indices) for s in "
                  "L.utils.data.random_split(range(10), [3, 7])])",
    "bernoulli_dropout": "L.manual_seed(6); F = L.nn.functional; obs += [L.empty(3, 5)."
                         "bernoulli_(0.3), L.bernoulli(L.rand(6)), L.empty(4).bernoulli_("
                         "L.tensor([0.1, 0.9, 0.5, 0.5])), F.dropout(L.ones(12), 0.4), "
                         "F.dropout2d(L.ones(2, 3, 2, 2), 0.5), L.nn.Dropout(0.25)(L.ones(8)), "
                         "F.dropout(L.ones(4), 1.0), F.alpha_dropout(L.ones(4), 1.0, True), "
                         "L.rand(2)]",  # p=1 draws nothing
    "state_roundtrip": "L.manual_seed(5); L.randn(1); s = L.get_rng_state(); a = L.randn(3); "
                       "L.set_rng_state(s); obs.append(bool((a == L.randn(3)).all()))",
    # torch's CPUGeneratorImplState, byte for byte (so checkpoints holding it move both ways)
    "state_bytes": "L.manual_seed(2**40 + 9); obs.append(L.get_rng_state()); L.randn(3); "
                   "obs.append(L.get_rng_state()); L.rand(1000); obs.append(L.get_rng_state()); "
                   "obs.append(L.Generator().get_state())",
    "samplers_inplace": "L.manual_seed(8); x = L.empty(3, 7); obs += [x.exponential_(2.5)."
                        "clone(), x.geometric_(0.3).clone(), x.cauchy_(0.7, 1.3).clone(), "
                        "x.log_normal_(0.5, 0.7).clone(), x.t().exponential_().clone(), "
                        "L.empty(40, dtype=L.float64).cauchy_(), L.empty(5, dtype=L.float64)."
                        "log_normal_(), L.empty(6, dtype=L.int64).geometric_(0.5), "
                        "L.empty(9, dtype=L.float16).exponential_(), L.empty(7, dtype=L."
                        "float64).normal_(0.3, 1.7)]",
    "multinomial": "L.manual_seed(9); p = L.rand(4, 30); obs += [L.multinomial(p, 50, True), "
                   "L.multinomial(p, 20), L.multinomial(p, 1), L.multinomial(p[0], 1, True), "
                   "L.multinomial(p.double(), 7, True), L.multinomial(p.half(), 9, True), "
                   "L.multinomial(L.tensor([0.0, 3.0, 0.0, 1.0]), 4, True)]",
    "parametric": "L.manual_seed(10); r = L.linspace(0, 30, 200); a = L.linspace(0.01, 20, 200); "
                  "obs += [L.poisson(r), L.poisson(r.double()), L._standard_gamma(a), "
                  "L._standard_gamma(a.double()), L._sample_dirichlet(L.rand(6, 5) + 0.1), "
                  "L._sample_dirichlet(L.rand(3, 40, dtype=L.float64) + 0.1), "
                  "L.binomial(L.linspace(0, 100, 200).round(), L.linspace(0, 1, 200)), "
                  "L.binomial(L.full((50,), 1000.0, dtype=L.float64), L.rand(50, "
                  "dtype=L.float64))]",
    "normal_tensors": "L.manual_seed(11); m = L.linspace(0, 1, 40); s = L.linspace(0, 2, 40); "
                      "obs += [L.normal(m, 2.5), L.normal(0.3, s), L.normal(m, s), "
                      "L.normal(m.reshape(-1, 1), s[:7]), L.normal(m[:5].double(), s[:5]), "
                      "L.normal(m[:3], s[:3].double())]",
    "like_and_generators": "g = L.Generator().manual_seed(12); x = L.zeros(3, 4); obs += ["
                           "L.rand_like(x, generator=g), L.randn_like(x, generator=g), "
                           "L.randint_like(x, 9, generator=g), L.multinomial(L.ones(5), 3, "
                           "generator=g), L.poisson(L.ones(4) * 3, generator=g), "
                           "x.exponential_(generator=g).clone(), L.normal(x, 1.0, generator=g),"
                           " L.rand(2, generator=g)]",
    "data_with_generators": "g = L.Generator().manual_seed(5); D = L.utils.data; ds = D."
                            "TensorDataset(L.arange(10.)); obs += [[b[0].tolist() for b in "
                            "D.DataLoader(ds, batch_size=3, shuffle=True, generator=g)], "
                            "[list(s.indices) for s in D.random_split(range(10), [0.3, 0.7], "
                            "generator=g)], list(D.RandomSampler(range(6), replacement=True, "
                            "num_samples=8, generator=g)), list(D.WeightedRandomSampler([0.1, "
                            "0.5, 0.4], 6, generator=g)), list(D.WeightedRandomSampler([0.1, "
                            "0.5, 0.4], 2, replacement=False, generator=g)), g.get_state()]",
}


def test_rng_state_moves_between_libraries():
    """A state saved by real torch (a training checkpoint's rng_state) resumes torchlike's
    generator, and the other way round."""
    torch.manual_seed(13)
    torch.randn(5)
    state = torch.get_rng_state()
    torchlike.set_rng_state(torchlike.tensor(state.numpy()))
    assert torch.randn(9).tolist() == torchlike.randn(9).tolist()
    torch.set_rng_state(torch.from_numpy(torchlike.get_rng_state().numpy().copy()))
    assert torch.rand(5).tolist() == torchlike.rand(5).tolist()
    check_raises(lambda L: L.set_rng_state(L.zeros(10, dtype=L.uint8)))
    check_raises(lambda L: L.set_rng_state(L.zeros(5056)))


def test_sampler_gradients_and_nodes():
    """_standard_gamma's reparameterized gradient (Gamma.rsample's), normal's and poisson's
    zero gradients, and the nodes whose backward torch refuses (dirichlet, binomial)."""
    a = np.linspace(0.05, 30, 300)
    for dt in (np.float32, np.float64):
        check(lambda L, x: L._standard_gamma_grad(x.detach(), x.detach() * 0.9 + 0.05),
              a.astype(dt))
    for seed in (1, 2):
        grads = []
        for L in (torch, torchlike):
            L.manual_seed(seed)
            x = L.tensor(a, requires_grad=True)
            y = L._standard_gamma(x)
            (y * L.linspace(-1, 1, 300, dtype=L.float64)).sum().backward()
            grads.append((type(y.grad_fn).__name__, y.detach().numpy(), x.grad.numpy()))
        assert grads[0][0] == grads[1][0]
        np.testing.assert_array_equal(grads[0][1], grads[1][1])
        np.testing.assert_allclose(grads[1][2], grads[0][2], rtol=1e-12, atol=1e-12)
    p = np.array([0.5, 2.0], np.float32)
    check(lambda L, x: L.normal(x, 1.0) * 0, p)
    check(lambda L, x: L.normal(x, x) * 0, p)
    check(lambda L, x: L.poisson(x) * 0, p)
    for fn in (lambda L, x: L._sample_dirichlet(x), lambda L, x: L.binomial(x * 4, x / 4)):
        names = []
        for L in (torch, torchlike):
            x = L.tensor(p, requires_grad=True)
            y = fn(L, x)
            names.append(type(y.grad_fn).__name__)
            with pytest.raises(RuntimeError) as err:
                y.sum().backward()
            names.append(str(err.value))
        assert names[:2] == names[2:]


@pytest.mark.parametrize("case", list(SEEDED))
def test_seeded_draws_match_torch(case):
    def run(L):
        obs: list = []
        with torch.no_grad(), torchlike.no_grad():
            exec(SEEDED[case], {"L": L, "obs": obs})
        return [repr(o) if not isinstance(o, (L.Tensor, L.nn.Parameter)) else
                (repr(o.detach()), o.detach().tolist()) for o in obs]
    assert run(torchlike) == run(torch)  # bit for bit: reprs and every value


NORMAL_FILL = {  # torch's >= 16-element normal path: Box-Muller over 16 uniforms at a time
    "randn_16": "L.randn(16)",
    "randn_17": "L.randn(17)",
    "randn_100": "L.randn(100)",
    "randn_1000x100": "L.randn(1000, 100)",
    "normal_mean_std": "L.empty(999, 7).normal_(0.3, 2.7)",
    "normal_tiny_std": "L.empty(4099).normal_(-1e3, 1e-3)",
    "normal_float64_mean_std": "L.empty(1001, dtype=L.float64).normal_(0.1, 3.7)",
    "randn_float16": "L.randn(1000, 33, dtype=L.float16)",
    "randn_bfloat16": "L.randn(1000, 33, dtype=L.bfloat16)",
    "normal_bfloat16_mean_std": "L.empty(517, dtype=L.bfloat16).normal_(5.0, 0.25)",
    "init_normal": "L.nn.init.normal_(L.empty(256, 129), 0.5, 0.02)",
    "init_kaiming_normal": "L.nn.init.kaiming_normal_(L.empty(256, 129))",
    "init_trunc_normal": "L.nn.init.trunc_normal_(L.empty(256, 129), std=0.02)",
}


@pytest.mark.parametrize("seed", [0, 20240607])
@pytest.mark.parametrize("case", list(NORMAL_FILL))
def test_normal_fill_bit_for_bit(case, seed):
    def run(L):
        L.manual_seed(seed)
        with L.no_grad():
            x = eval(NORMAL_FILL[case], {"L": L})
        return str(x.dtype), np.asarray(x.double().numpy())  # half/bfloat16 -> double: exact
    (got_dtype, got), (want_dtype, want) = run(torchlike), run(torch)
    assert got_dtype == want_dtype
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))
