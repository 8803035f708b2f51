"""Pointwise ops against real torch: values, dtypes, grad_fn names, gradients, errors."""
import numpy as np
import pytest
import torch

import torchlike
from _helper import check, check_raises

R = np.random.default_rng(0)


def _u(lo, hi, shape=(2, 3), dtype=np.float64):
    return R.uniform(lo, hi, shape).astype(dtype)


# inputs by domain; float64 (gradients checked numerically too)
REAL = _u(-2, 2)
POS = _u(0.2, 3)
UNIT = _u(-0.9, 0.9)
GT1 = _u(1.2, 3)
PROB = _u(0.1, 0.9)
INTS = np.array([[3, -2, 5], [0, 7, -4]], np.int64)
BOOLS = np.array([[True, False, True], [False, False, True]])
SPECIAL = np.array([1.0, np.nan, np.inf, -np.inf, 0.0, -0.0, -2.5, 0.5], np.float32)

UNARY = {  # name -> float64 input domain
    "exp": REAL, "exp2": REAL, "expm1": REAL, "log": POS, "log2": POS, "log10": POS,
    "log1p": POS, "sqrt": POS, "rsqrt": POS, "reciprocal": POS, "square": REAL,
    "sin": REAL, "cos": REAL, "tan": UNIT, "asin": UNIT, "acos": UNIT, "atan": REAL,
    "sinh": REAL, "cosh": REAL, "tanh": REAL, "asinh": REAL, "acosh": GT1, "atanh": UNIT,
    "sigmoid": REAL, "logit": PROB, "erf": REAL, "erfc": REAL, "erfinv": UNIT,
    "lgamma": POS, "digamma": POS, "floor": REAL, "ceil": REAL, "round": REAL,
    "trunc": REAL, "frac": REAL, "sign": REAL, "sgn": REAL, "abs": REAL, "neg": REAL,
    "positive": REAL, "relu": REAL, "nan_to_num": REAL, "arcsin": UNIT, "arctanh": UNIT,
    "absolute": REAL, "negative": REAL, "fix": REAL, "arccos": UNIT, "arctan": REAL,
    "arcsinh": REAL, "arccosh": GT1,
}
# one check per group: the ops of a group share one compiled backward
GROUPS = {
    "exp_log": ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p"],
    "roots": ["sqrt", "rsqrt", "reciprocal", "square", "sigmoid", "logit", "erf", "erfc"],
    "trig": ["sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan"],
    "hyperbolic": ["sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsinh", "arccosh",
                   "arctanh"],
    "special": ["erfinv", "lgamma", "digamma"],
    "rounding": ["floor", "ceil", "round", "trunc", "fix", "frac", "sign"],
    "sign_abs": ["abs", "absolute", "neg", "negative", "positive", "relu", "nan_to_num"],
}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_unary_float64_function_and_grad(group):
    names = GROUPS[group]
    check(lambda L, *xs: tuple(getattr(L, n)(x) for n, x in zip(names, xs)),
          *[UNARY[n] for n in names],  # digamma: torch's Cephes series and XLA's differ
          rtol=2e-9 if "digamma" in names else None)  # by ~5e-10 relative (its gradient)


def test_sgn_float64_grad():
    check(lambda L, x: L.sgn(x), REAL)


def test_sgn_values_and_zero_grad():
    check(lambda L, x: (L.sgn(x), x.sgn()), REAL, grad=False)
    x = torchlike.tensor(REAL, requires_grad=True)
    y = x.sgn()
    assert type(y.grad_fn).__name__ == "SgnBackward0"
    y.sum().backward()
    assert not x.grad.any()


def _apply(names, method=False):
    if method:
        return lambda L, x: tuple(getattr(x, n)() for n in names)
    return lambda L, x: tuple(getattr(L, n)(x) for n in names)


def test_unary_float32_method():
    check(_apply(["exp", "sin", "tanh", "sigmoid", "abs", "floor", "round", "sign",
                  "square"], True), REAL.astype(np.float32))
    check(_apply(["log", "sqrt", "erfinv", "lgamma"], True), PROB.astype(np.float32))


@pytest.mark.parametrize("names", [
    ["exp", "sqrt", "sin", "sigmoid", "reciprocal", "rsqrt", "digamma", "lgamma", "erfinv",
     "logit"],
    ["abs", "neg", "sign", "sgn", "floor", "ceil", "round", "trunc", "square", "positive",
     "relu", "nan_to_num"],
])
def test_unary_int64(names):
    check(_apply(names), INTS)


def test_unary_bool():
    check(_apply(["exp", "sin", "sign", "sgn", "square", "nan_to_num", "sqrt", "bitwise_not",
                  "logical_not"]), BOOLS)


@pytest.mark.parametrize("name", ["abs", "floor", "round", "frac", "trunc", "ceil"])
def test_unary_bool_unsupported(name):
    want, got = check_raises(lambda L, x: getattr(L, name)(x), BOOLS)
    assert want == got


def test_unary_zero_dim():
    check(lambda L, x: (x.exp(), x.log(), x.sigmoid(), -x, x.abs()), np.array(1.5))


def test_unary_empty():
    check(lambda L, x: (x.exp(), x.sum(), x.sign()), np.zeros((0, 3)))


def test_unary_special_values():
    check(_apply(["exp", "log", "sqrt", "rsqrt", "reciprocal", "sigmoid", "tanh", "erfinv",
                  "lgamma", "digamma", "log1p", "expm1", "atan"]), SPECIAL, grad=False)
    check(_apply(["round", "frac", "floor", "sign", "sgn", "abs", "nan_to_num", "trunc",
                  "ceil"]), SPECIAL, grad=False)


def test_special_arguments():
    x = np.array([0.125, 1.355, 1234.5, -0.0151, 2.5, -2.5, 0.5, 1.5])
    check(lambda L, a: (a.round(decimals=2), a.round(decimals=-2), a.round(decimals=1)), x,
          numeric=False)
    check(lambda L, a: (L.logit(a, 0.2), L.logit(a, eps=0.3)), PROB)
    check(lambda L, a: (a.nan_to_num(1.0, 2.0, -3.0), a.nan_to_num(posinf=5.0)), SPECIAL,
          grad=False)
    check(lambda L, a: L.lgamma(a), np.array([-2.0, -2.5, 0.0, -0.0, 1.0, 0.5]), grad=False)
    check(lambda L, a: L.digamma(a), np.array([-2.0, -2.5, 0.0, -0.0, 1.0, 0.5]), grad=False)


# ---- binary arithmetic -------------------------------------------------------------------
B = _u(-2, 2, (3,))                      # broadcasts against (2, 3)
BPOS = _u(0.5, 2, (3,))
INTB = np.array([2, -3, 4], np.int64)

ARITH = {
    "add": lambda L, x, y: L.add(x, y),
    "add_alpha": lambda L, x, y: L.add(x, y, alpha=2),
    "sub": lambda L, x, y: x.sub(y),
    "sub_alpha": lambda L, x, y: L.sub(x, y, alpha=-0.5),
    "subtract": lambda L, x, y: L.subtract(x, y),
    "rsub": lambda L, x, y: L.rsub(x, y),
    "rsub_alpha": lambda L, x, y: L.rsub(x, y, alpha=3),
    "mul": lambda L, x, y: x.mul(y),
    "multiply": lambda L, x, y: L.multiply(x, y),
    "div": lambda L, x, y: L.div(x, y),
    "divide": lambda L, x, y: x.divide(y),
    "true_divide": lambda L, x, y: L.true_divide(x, y),
    "div_trunc": lambda L, x, y: L.div(x, y, rounding_mode="trunc"),
    "div_floor": lambda L, x, y: L.div(x, y, rounding_mode="floor"),
    "fmod": lambda L, x, y: L.fmod(x, y),
    "remainder": lambda L, x, y: L.remainder(x, y),
    "pow": lambda L, x, y: L.pow(L.abs(x) + 0.5, y),
    "float_power": lambda L, x, y: L.float_power(L.abs(x) + 0.5, y),
    "atan2": lambda L, x, y: L.atan2(x, y),
    "arctan2": lambda L, x, y: L.arctan2(x, y),
    "hypot": lambda L, x, y: L.hypot(x, y),
    "maximum": lambda L, x, y: L.maximum(x, y),
    "minimum": lambda L, x, y: L.minimum(x, y),
    "fmax": lambda L, x, y: L.fmax(x, y),
    "fmin": lambda L, x, y: L.fmin(x, y),
    "max_binary": lambda L, x, y: L.max(x, y),
    "min_binary": lambda L, x, y: x.min(y),
    "lerp": lambda L, x, y: L.lerp(x, y, 0.3),
    "lerp_big_weight": lambda L, x, y: x.lerp(y, 0.8),
    "lerp_tensor": lambda L, x, y: L.lerp(x, y, L.sigmoid(y)),
    "addcmul": lambda L, x, y: L.addcmul(x, y, y, value=0.5),
    "addcdiv": lambda L, x, y: L.addcdiv(x, x, y, value=-2),
    "clamp_tensor": lambda L, x, y: L.clamp(x, min=y),
    "clamp_tensor_max": lambda L, x, y: L.clamp(x, max=y),
    "clamp_both": lambda L, x, y: L.clamp(x, y - 1, y + 1),
    "clamp_min_tensor": lambda L, x, y: L.clamp_min(x, y),
    "clamp_max_tensor": lambda L, x, y: x.clamp_max(y),
    "where": lambda L, x, y: L.where(x > 0, x, y),
    "where_method": lambda L, x, y: x.where(x > 0, y),
}


ARITH_GROUPS = {
    "add_sub": ["add", "add_alpha", "sub", "sub_alpha", "subtract", "rsub", "rsub_alpha"],
    "mul_div": ["mul", "multiply", "div", "divide", "true_divide"],
    "rounding_div": ["div_trunc", "div_floor", "fmod", "remainder"],
    "pow_atan2": ["pow", "float_power", "atan2", "arctan2", "hypot"],
    "extremes": ["maximum", "minimum", "fmax", "fmin", "max_binary", "min_binary"],
    "lerp_addc": ["lerp", "lerp_big_weight", "lerp_tensor", "addcmul", "addcdiv"],
    "clamp_where": ["clamp_tensor", "clamp_tensor_max", "clamp_both", "clamp_min_tensor",
                    "clamp_max_tensor", "where", "where_method"],
}
POSITIVE_OTHER = ("fmod", "remainder", "div_floor", "div_trunc", "addcdiv")


def _arith(names):
    return lambda L, x, y: tuple(ARITH[n](L, x, y) for n in names)


@pytest.mark.parametrize("group", sorted(ARITH_GROUPS))
def test_binary_float64_broadcast_and_grad(group):
    names = ARITH_GROUPS[group]
    check(_arith(names), REAL, BPOS if any(n in POSITIVE_OTHER for n in names) else B)


def test_binary_int64():
    check(_arith(["add", "sub", "mul", "div", "div_trunc", "div_floor", "fmod", "remainder",
                  "maximum", "fmax", "atan2", "float_power", "where"]), INTS, INTB)


def test_binary_bool():
    check(_arith(["add", "mul", "div", "maximum", "minimum", "fmin", "where"]), BOOLS,
          np.array([True, False, False]))


def test_binary_mixed_float32_float64():
    check(_arith(["add", "sub", "mul", "div", "pow", "maximum", "hypot", "remainder", "where"]),
          REAL.astype(np.float32), B)
    # torch's atan2 backward squares the saved float32 input in float32 before promoting it;
    # torchlike squares the promoted input: float32 rounding (1.2e-7) in the float64 gradient
    check(_arith(["atan2"]), REAL.astype(np.float32), B, rtol=2e-7)


def test_binary_int_float():
    check(_arith(["add", "sub", "mul", "div", "maximum", "fmod", "where"]), INTS,
          B.astype(np.float32))


def test_zero_dim_operands():
    check(lambda L, x, s: (x + s, x * s, s - x, L.maximum(s, x), x / s), REAL, np.array(0.7))
    check(lambda L, x, s: (x + s, x * s), INTS, np.array(2.5))
    # float32 result: the float64 0-d operand's gradient carries float32 rounding
    check(lambda L, x, s: (x + s, x * s, x / s), REAL.astype(np.float32), np.array(2.5),
          grad=False)
    check(lambda L, x, s: (x + s, x * s), INTS.astype(np.int32), np.array(7))


SCALARS = [2, -1.5, True, 0.5, 3]


@pytest.mark.parametrize("s", SCALARS)
def test_scalar_operands_float(s):
    check(lambda L, x: (x + s, x * s, x / s, s / x, x ** s, L.pow(x, s), s + x, s * x), POS)
    if not isinstance(s, bool):
        check(lambda L, x: (x - s, s - x, L.add(x, s, alpha=2), L.sub(x, s, alpha=0.5)), POS)


@pytest.mark.parametrize("s", [2, -3, True, 2.5])
def test_scalar_operands_int(s):
    check(lambda L, x: (x + s, x * s, x / s, x // s, x % s, L.fmod(x, s), s * x, s + x,
                        s / x), INTS + 10, grad=False)


def test_scalar_operands_bool():
    check(lambda L, x: (x + True, x * 2, x + 1.5, x * 2.5, x / 2, x & True, x | False),
          BOOLS)


def test_reflected_operators():
    check(lambda L, x: (2 - x, 2 / x, 2 ** x, 2.5 + x, 3 * x), POS)
    check(lambda L, x: (2 // x, 2 % x, 2.5 // x), POS, grad=False)
    check(lambda L, x: (2 - x, 2 / x, 2 ** x, 7 // x, 7 % x, 1 << x, 64 >> x, 6 & x, 6 | x,
                        6 ^ x), np.array([1, 2, 3], np.int64))


def test_operators_float():
    check(lambda L, x, y: (x + y, x - y, x * y, x / y, x ** y, -x, +x, abs(x), x % y,
                           x < y, x <= y, x > y, x >= y, x == y, x != y), POS, BPOS)
    check(lambda L, x, y: (x // y, x // 0.3, x % 0.3), POS, BPOS, grad=False)


def test_operators_int():
    check(lambda L, x, y: (x + y, x - y, x * y, x / y, x // y, x % y, x ** (y % 3), x & y,
                           x | y, x ^ y, ~x, x << (y % 5), x >> (y % 5), -x, x < y, x == y),
          INTS, np.array([2, 3, 5], np.int64))


def test_operators_bool():
    check(lambda L, x, y: (x & y, x | y, x ^ y, ~x, x + y, x * y, x == y, x < y), BOOLS,
          np.array([True, False, True]))


@pytest.mark.parametrize("first", ["a *= y", "a /= 2"])
def test_inplace_after_inplace(first):
    def f(L, x, y):
        a = x * 1
        exec(first, {}, {"a": a, "y": y})
        a += 1
        return a
    check(f, REAL, B)


def test_inplace_operators():
    def f(L, x, y):
        a = x * 1
        a += y
        a -= 0.5
        a *= y
        b = x * 1
        b **= 2
        return a, b
    check(f, REAL, B)

    def g(L, x, y):
        a = x.clone()
        a += y
        a -= 1
        a *= 3
        a //= 2
        a %= 5
        a &= 6
        a |= 1
        a ^= 3
        a <<= 2
        a >>= 1
        return a
    check(g, INTS, INTB, grad=False)


def test_inplace_unary():
    names = ["exp_", "log_", "sqrt_", "abs_", "neg_", "sigmoid_", "tanh_", "floor_", "round_",
             "reciprocal_", "square_", "logit_", "erfinv_", "sign_", "frac_", "nan_to_num_",
             "absolute_", "negative_", "arcsin_", "fix_"]
    check(lambda L, x: tuple(getattr(x * 0.4 + 0.3, n)() for n in names), PROB)


def test_inplace_binary():
    def f(L, x, y):
        a = x * 1
        return (a.clone().add_(y, alpha=2), a.clone().sub_(y), a.clone().mul_(y),
                a.clone().div_(y), a.clone().div_(y, rounding_mode="floor"),
                a.clone().pow_(2), a.clone().atan2_(y), a.clone().hypot_(y),
                a.clone().fmod_(y), a.clone().remainder_(y), a.clone().lerp_(y, 0.5),
                a.clone().clamp_(-0.5, 0.5), a.clone().clip_(min=y), a.clone().addcmul_(y, y),
                a.clone().addcdiv_(y, y), a.clone().subtract_(1), a.clone().multiply_(3),
                a.clone().divide_(3), a.clone().true_divide_(3), a.clone().clamp_min_(0.1),
                a.clone().clamp_max_(y), a.clone().float_power_(2), a.clone().arctan2_(y))
    check(f, POS, BPOS)
    check(lambda L, x, y: x.clone().floor_divide_(y), POS, BPOS, grad=False)


def test_inplace_int_and_comparisons():
    check(lambda L, x, y: (x.clone().add_(y), x.clone().floor_divide_(y),
                           x.clone().remainder_(y), x.clone().bitwise_left_shift_(1),
                           x.clone().bitwise_and_(y), x.clone().clamp_(0, 3),
                           x.clone().eq_(y), x.clone().lt_(y), x.clone().logical_and_(y),
                           x.clone().logical_not_(), x.clone().bitwise_not_(),
                           x.clone().neg_(), x.clone().abs_()), INTS, INTB)
    check(lambda L, x, y: (x.clone().ge_(y), x.clone().ne_(y), x.clone().not_equal_(y)),
          REAL, B, grad=False)


@pytest.mark.parametrize("expr", [
    "x.exp_()", "x.sqrt_()", "x.div_(2)", "x.add_(2.5)", "x.clamp_(0.5, 3)",
    "x.mul_(torch.tensor([1.5]))", "x.true_divide_(x)",
])
def test_inplace_cannot_cast(expr):
    want, got = check_raises(lambda L, x: eval(expr, {"x": x, "torch": L}), INTS)
    assert "can't be cast to the desired output type" in got


def test_inplace_float_power_dtype_error():
    want, got = check_raises(lambda L, x: x.float_power_(2), REAL.astype(np.float32))
    assert want == got


# ---- integer semantics -------------------------------------------------------------------
def test_integer_division_family():
    a = np.array([7, -7, 7, -7, 0, 5], np.int64)
    b = np.array([2, 2, -2, -2, 3, -5], np.int64)
    check(lambda L, x, y: (x / y, x // y, x % y, L.fmod(x, y), L.remainder(x, y),
                           L.div(x, y, rounding_mode="trunc"), L.div(x, y,
                                                                     rounding_mode="floor"),
                           L.floor_divide(x, y), L.true_divide(x, y)), a, b)


def test_float_floor_division_matches_torch_bits():
    a = np.array([2.0, 2.0, 2.0, -1.5, 1.5, 0.0, -0.0, 7.5, 1e-300])
    b = np.array([0.2, 0.1, 0.3, 0.0, 0.0, 0.0, 3.0, -2.5, 1e300])
    check(lambda L, x, y: (x // y, L.div(x, y, rounding_mode="floor"), x % y,
                           L.fmod(x, y), L.div(x, y, rounding_mode="trunc")), a, b, grad=False)


def test_integer_pow():
    base = np.array([0, 1, -1, 2, -2, 3], np.int64)
    check(lambda L, x: (x ** 2, x ** 3, x.pow(0), x.pow(x.abs()), L.pow(2, x.abs()),
                        L.pow(-1, x), x.pow(x), L.pow(x, -x), x.square(),
                        L.float_power(x, -1), L.float_power(x, 2)), base)
    check(lambda L, x: (x.pow(2), x.pow(2.5), L.pow(2, x), x.square()), BOOLS)
    check(lambda L, x, y: x.pow(y), np.array([2, 3], np.int64), np.array([62, 63], np.int64))


def test_pow_overloads_and_special_exponents():
    check(lambda L, x: (x ** 0.5, x ** -0.5, x ** -1, x ** -2, x ** 4, x ** 1.7, x ** 0,
                        x ** 1, L.pow(2.5, x), L.pow(x, L.tensor(2.0)),
                        L.pow(L.tensor(2.0, dtype=L.float64), x)), POS)
    check(lambda L, x, y: (L.pow(x, y), x ** y, L.float_power(x, y), L.float_power(2, y)),
          POS.astype(np.float32), B)


def test_float_power_float32_input_grad():
    check(lambda L, x: (L.float_power(x, 2), L.float_power(x, 1.5)), POS.astype(np.float32))


# ---- comparisons, logical, bitwise -------------------------------------------------------
CMP = ["eq", "ne", "lt", "le", "gt", "ge", "less", "greater_equal", "not_equal",
       "less_equal", "greater"]


def test_comparisons():
    check(lambda L, x, y, i: tuple(r for n in CMP for r in (
        getattr(L, n)(x, y), getattr(x, n)(0.5), getattr(L, n)(i, 3), getattr(i, n)(y))),
        REAL, B, INTS)


def test_comparisons_special_values():
    check(lambda L, x: (x == x, x != x, x < 1, x >= 0, x > -np.inf, x == np.inf), SPECIAL)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical(name):
    check(lambda L, x, y, b: (getattr(L, name)(x, y), getattr(b, name)(b),
                              getattr(L, name)(x > 0, b)),
          REAL, np.array([0.0, 1.5, -1.0]), BOOLS, grad=False)


def test_logical_not_and_predicates():
    check(lambda L, x: (L.logical_not(x), L.isnan(x), L.isinf(x), L.isfinite(x),
                        L.isposinf(x), L.isneginf(x), L.signbit(x), L.isreal(x)), SPECIAL)
    check(lambda L, x: (L.isnan(x), L.isinf(x), L.isfinite(x), L.logical_not(x)), INTS)


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor",
                                  "bitwise_left_shift", "bitwise_right_shift"])
def test_bitwise(name):
    sh = np.array([1, 0, 70], np.int64)
    check(lambda L, x, y: (getattr(L, name)(x, y), getattr(x, name)(2)), INTS, sh)
    check(lambda L, x: getattr(L, name)(x, 3),
          np.array([[1, 200, 7]], np.uint8))


def test_bitwise_bool_and_scalar_first():
    check(lambda L, b, c: (L.bitwise_and(b, c), L.bitwise_or(b, True), L.bitwise_xor(b, c),
                           L.bitwise_not(b)), BOOLS, np.array([True, False, False]))
    check(lambda L, x: (L.bitwise_and(6, x), L.bitwise_left_shift(2, x),
                        L.bitwise_not(x)), np.array([1, 2, 3], np.int64))


def test_isclose_allclose_equal():
    a = np.array([1.0, 1.0 + 1e-6, np.nan, np.inf, 2.0, -np.inf])
    b = np.array([1.0, 1.0, np.nan, np.inf, 2.1, np.inf])
    check(lambda L, x, y: (L.isclose(x, y), L.isclose(x, y, equal_nan=True),
                           L.isclose(x, y, rtol=0.1), L.isclose(x, y, 0, 0),
                           L.allclose(x, y), L.allclose(x, x, equal_nan=True),
                           L.equal(x, y), L.equal(y, y), x.isclose(y, atol=0.2),
                           x.allclose(y, rtol=0.1, atol=0.0, equal_nan=True)), a, b)
    check(lambda L, x, y: (L.isclose(x, y), L.isclose(x, y, atol=2), L.equal(x, y),
                           L.equal(x, x)), INTS, INTS + np.array([0, 1, 3]))
    check(lambda L, x: (L.isclose(x, x), L.equal(x, x[:1])), BOOLS)
    check(lambda L, x, y: L.equal(x, y), INTS, INTS.astype(np.float32))


# ---- clamp / where / nan propagation -----------------------------------------------------
def test_clamp_scalar_bounds():
    check(lambda L, x: (L.clamp(x, -0.5, 0.5), L.clamp(x, min=0.2), L.clamp(x, max=-0.1),
                        L.clip(x, 0.0, 1.0), x.clamp(1, -1), L.clamp_min(x, 0.1),
                        L.clamp_max(x, 0.3), x.clip(-1)), REAL)
    check(lambda L, x: (L.clamp(x, 0, 4), L.clamp(x, 0.5), x.clamp(max=2)), INTS)
    check(lambda L, x: (L.clamp(x, 0, 1), L.clamp(x, 0.5)), BOOLS)
    check(lambda L, x: (L.clamp(x, -1, 1), L.clamp(x, min=float("nan"))), SPECIAL)


def test_clamp_gradient_at_bounds():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    check(lambda L, a: (L.clamp(a, -0.5, 0.5), L.clamp(a, L.tensor(-0.5, dtype=L.float64),
                                                       L.tensor(0.5, dtype=L.float64))),
          x, numeric=False)


def test_maximum_minimum_ties_and_nan():
    a = np.array([1.0, 2.0, np.nan, 3.0, np.nan])
    b = np.array([1.0, 3.0, 1.0, np.nan, np.nan])
    check(lambda L, x, y: (L.maximum(x, y), L.minimum(x, y), L.fmax(x, y), L.fmin(x, y)),
          a, b, numeric=False)


def test_where_variants():
    c = np.array([[True, False, True], [False, True, False]])
    check(lambda L, c, x, y: (L.where(c, x, y), L.where(c, x, 0.0), L.where(c, 1.5, y),
                              x.where(c, y), x.where(c, 2.0)), c, REAL, B)
    check(lambda L, c: (L.where(c, 1, 0), L.where(c, 1.0, 0), L.where(c, True, False)), c)
    check(lambda L, c, i, y: (L.where(c, i, y), L.where(c, i, 2)), c, INTS,
          B.astype(np.float32))
    check(lambda L, c: L.where(c), c)


def test_nan_propagation():
    check(lambda L, x: (x + 1, x * 0, L.maximum(x, x.flip(0)), L.clamp(x, 0, 1),
                        L.pow(x, 2), L.atan2(x, x), L.hypot(x, x)), SPECIAL, grad=False)
    # a bool mask times inf/nan: torch gives nan for False * inf (XLA's select rewrite would not)
    mask = np.array([True, False] * 4)
    check(lambda L, b, x: (b * x, x * b, b / x, x / b, b * float("inf"), L.mul(b, x)), mask,
          SPECIAL, grad=False)


# ---- errors (exception type and torch's wording) -----------------------------------------
def test_shape_mismatch():
    want, got = check_raises(lambda L, x, y: x + y, np.zeros((2, 3)), np.zeros((4,)))
    assert got == want == ("The size of tensor a (3) must match the size of tensor b (4) at "
                           "non-singleton dimension 1")
    check_raises(lambda L, x, y: x.add_(y), np.zeros((2, 3)), np.zeros((4, 2, 3)))


@pytest.mark.parametrize("expr", [
    "b - b", "b - 1", "i - True", "-b", "L.positive(b)", "L.neg(b)",
    "i.add(i, alpha=2.5)", "f.add(f, alpha=True)", "i.add(1, alpha=0.5)",
    "i // 0", "i % 0", "L.fmod(i, 0)", "L.div(i, i * 0, rounding_mode='trunc')",
    "i ** -1", "L.pow(i, -2)",
    "L.div(f, f, rounding_mode='x')", "L.clamp(f)", "L.where(i, f, f)",
    "L.addcdiv(f, i, i)", "L.lerp(f, i, 0.5)", "L.lerp(f, f, f.double())",
    "L.isclose(f, f.double())", "L.allclose(i, f)", "L.isclose(f, f, rtol=-1)",
])
def test_runtime_errors_wording(expr):
    env = lambda L, i, f, b: {"L": L, "i": i, "f": f, "b": b}  # noqa: E731
    want, got = check_raises(lambda L, i, f, b: eval(expr, env(L, i, f, b)),
                             INTS, REAL.astype(np.float32), BOOLS)
    assert got == want, (got, want)


@pytest.mark.parametrize("expr", [
    "f & f", "i & 1.5", "b << b", "f << 1", "L.bitwise_not(f)", "b // b", "b % b", "b ** b",
    "L.fmod(b, b)", "L.hypot(i, i)", "L.lerp(i, i, 0.5)", "b.abs()", "i.frac()",
    "i.round(decimals=1)", "b.floor()", "L.digamma(c)", "L.lt(c, c)", "L.clamp(c, 1)",
    "L.sign(c)", "L.atan2(c, c)", "L.remainder(c, 2)",
])
def test_dtype_errors_wording(expr):
    env = lambda L, i, f, b, c: {"L": L, "i": i, "f": f, "b": b, "c": c}  # noqa: E731
    want, got = check_raises(lambda L, i, f, b, c: eval(expr, env(L, i, f, b, c)),
                             INTS, REAL.astype(np.float32), BOOLS,
                             np.array([1 + 1j, 2j], np.complex64))
    assert got == want, (got, want)


@pytest.mark.parametrize("expr", [
    "L.atan2(f, 2)", "L.maximum(f, 1)", "L.logical_and(f, 2)", "L.isclose(f, 2.0)",
    "L.hypot(f, None)", "L.add(f, 'a')", "L.equal(f, 2)", "L.lerp(f, 2.0, 0.5)",
])
def test_type_errors(expr):
    want, got = check_raises(lambda L, f: eval(expr, {"L": L, "f": f}),
                             REAL.astype(np.float32))
    if "must be Tensor" in want:
        assert got == want


@pytest.mark.parametrize("expr", ["+b", "~f"])
def test_operator_dunder_errors(expr):
    want, got = check_raises(lambda L, f, b: eval(expr, {"f": f, "b": b}),
                             REAL.astype(np.float32), BOOLS)
    assert got == want


def test_backward_not_implemented():
    for expr in ("x // 2", "2 % x", "L.floor_divide(x, x)"):
        want, got = check_raises(
            lambda L, x: eval(expr, {"L": L, "x": x.requires_grad_()}).sum().backward(), POS)
        assert got == want
    t = torch.tensor([1.5], requires_grad=True)
    assert type((t // 2).grad_fn).__name__ == "NotImplemented"
    assert type((torchlike.tensor([1.5], requires_grad=True) // 2).grad_fn).__name__ == \
        "NotImplemented"


def test_operator_surface_matches_torch():
    names = ["subtract_", "multiply_", "divide_", "arctan2_", "clip_", "float_power_",
             "where", "positive", "rsub", "float_power", "__rlshift__", "__rrshift__",
             "__ilshift__", "__irshift__", "logical_and_", "bitwise_left_shift_",
             "clamp_min_", "isposinf_", "positive_", "maximum_"]
    for n in names:
        assert hasattr(torch.Tensor, n) == hasattr(torchlike.Tensor, n), n
    assert torchlike.positive(t := torchlike.tensor([1.0])) is t


def test_out_argument():
    def f(L, x, y):
        o1, o2, o3 = L.empty(2, 3), L.empty(0), L.empty(2, 3, dtype=L.int64)
        r1 = L.add(x, y, alpha=2, out=o1)
        L.exp(x, out=o2)
        L.lt(x, y, out=o3)
        o4 = L.empty(2, 3)
        L.clamp(x, -0.5, 0.5, out=o4)
        return r1 is o1, o1, o2, o3, o4, L.where(x > 0, x, y, out=L.empty(2, 3))
    check(f, REAL.astype(np.float32), B.astype(np.float32), grad=False)


@pytest.mark.parametrize("expr", ["L.add(x, x, out=L.empty(2, 3, dtype=L.int64))",
                                  "L.mul(x.requires_grad_(), 2, out=L.empty(2, 3))"])
def test_out_argument_errors(expr):
    want, got = check_raises(lambda L, x: eval(expr, {"L": L, "x": x}), REAL)
    assert got == want


@pytest.mark.parametrize("expr", ["x.relu()", "x.abs()", "L.nn.functional.relu(x)", "x.clamp(0)"])
def test_gradient_at_zero(expr):
    # kinks at 0: torch's subgradient choices (0 for relu and abs)
    check(lambda L, x: eval(expr, {"L": L, "x": x}), np.array([0.0, -0.0, 1.5, -2.0]),
          numeric=False)  # central differences are meaningless at a kink


def test_float32_special_functions_keep_their_digits():
    # XLA's float32 lgamma/digamma/erfc lose digits (lgamma(1) printed 4.7684e-07)
    def run(L):
        x = L.tensor([0.5, 1.0, 2.0, 3.0, 5.0, 9.0, -2.5])  # (no subnormal results: below)
        return [repr(f(x)) for f in (L.lgamma, L.digamma, L.erfc, lambda v: v.mvlgamma(1),
                                     lambda v: L.polygamma(1, v))]
    assert run(torchlike) == run(torch)


def _subnormal(L):
    return repr(L.tensor([1e-38]) * 0.01)


def test_subnormals_of_cold_shapes():
    # a shape met fewer than HOT_AFTER times multiplies in numpy on the host: torch's result
    assert _subnormal(torchlike) == _subnormal(torch)


@pytest.mark.xfail(strict=True, reason="XLA's CPU runtime flushes float32/float64 subnormals to "
                   "zero (inputs and results of every kernel); torch keeps them")
def test_subnormals_of_compiled_kernels(monkeypatch):
    from torchlike.ops import _registry
    monkeypatch.setattr(_registry, "HOT_AFTER", 0)  # every shape compiled
    assert _subnormal(torchlike) == _subnormal(torch)
