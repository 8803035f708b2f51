"""torch.distributions against real torch: each distribution's statistics (mean, mode,
variance, stddev, entropy, perplexity, log_prob, cdf, icdf) with their dtypes, grad_fns and
gradients for float32 and float64 parameters; shapes, expand, repr, supports and enumerate_support;
validation errors; seeded samples (sample, rsample and gradients through rsample);
kl_divergence for every registered pair; transforms, constraints, biject_to / transform_to and
the utils."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import torchlike
from _helper import assert_same, check, check_raises

R = np.random.default_rng(0)


def _pos(*shape, low=0.5, high=2.0):
    return R.uniform(low, high, shape)


def _unit(*shape):
    return R.uniform(0.1, 0.9, shape)


def _simplex(*shape):
    p = R.uniform(0.2, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def _spd(n):
    a = R.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


def _tril(n):
    return np.tril(R.standard_normal((n, n)), -1) + np.diag(R.uniform(0.5, 1.5, n))


def D(lib):
    return lib.distributions


def _t(lib):
    return lib.distributions.transforms


# name: (make(lib, *params), params (float arrays require grad), value (array or None), q for
# icdf (array or None)). Values lie in the support; batch shapes are (3,) or (2, 3).
CASES = {
    "Normal": (lambda lib, m, s: D(lib).Normal(m, s), [R.standard_normal(3), _pos(3)],
               R.standard_normal((2, 3)), _unit(3)),
    "LogNormal": (lambda lib, m, s: D(lib).LogNormal(m, s), [R.standard_normal(3), _pos(3)],
                  _pos(2, 3), _unit(3)),
    "Uniform": (lambda lib, lo, hi: D(lib).Uniform(lo, hi), [-_pos(3), _pos(3)],
                R.uniform(-0.4, 0.4, (2, 3)), _unit(3)),
    "Laplace": (lambda lib, m, s: D(lib).Laplace(m, s), [R.standard_normal(3), _pos(3)],
                R.standard_normal((2, 3)), _unit(3)),
    "Cauchy": (lambda lib, m, s: D(lib).Cauchy(m, s), [R.standard_normal(3), _pos(3)],
               R.standard_normal((2, 3)), _unit(3)),
    "Exponential": (lambda lib, r: D(lib).Exponential(r), [_pos(2, 3)], _pos(2, 3), _unit(2, 3)),
    "Gamma": (lambda lib, c, r: D(lib).Gamma(c, r), [_pos(3, low=0.5, high=3), _pos(3)],
              _pos(2, 3), None),
    "Chi2": (lambda lib, df: D(lib).Chi2(df), [_pos(3, low=1, high=4)], _pos(2, 3), None),
    "Beta": (lambda lib, a, b: D(lib).Beta(a, b), [_pos(3, high=3), _pos(3, high=3)],
             _unit(2, 3), None),
    "Dirichlet": (lambda lib, c: D(lib).Dirichlet(c), [_pos(2, 4, high=3)], _simplex(2, 4),
                  None),
    "Bernoulli": (lambda lib, p: D(lib).Bernoulli(probs=p), [np.array([0.2, 0.5, 0.9])],
                  np.array([[0., 1., 1.], [1., 0., 0.]]), None),
    "Bernoulli_logits": (lambda lib, lg: D(lib).Bernoulli(logits=lg), [R.standard_normal(3)],
                         np.array([0., 1., 1.]), None),
    "Geometric": (lambda lib, p: D(lib).Geometric(p), [_unit(3)],
                  np.array([[0., 2., 5.], [1., 0., 3.]]), None),
    "Binomial": (lambda lib, n, p: D(lib).Binomial(n, p), [np.array([5, 5, 5]), _unit(3)],
                 np.array([[0., 2., 5.], [1., 4., 3.]]), None),
    "Binomial_logits": (lambda lib, lg: D(lib).Binomial(4, logits=lg), [R.standard_normal(3)],
                        np.array([0., 3., 4.]), None),
    "Poisson": (lambda lib, r: D(lib).Poisson(r), [_pos(3, high=4)],
                np.array([[0., 2., 5.], [1., 4., 3.]]), None),
    "Categorical": (lambda lib, p: D(lib).Categorical(probs=p), [_simplex(2, 4)],
                    np.array([[0, 3], [2, 1], [1, 1]]), None),
    "Categorical_logits": (lambda lib, lg: D(lib).Categorical(logits=lg),
                           [R.standard_normal(4)], np.array([0, 3, 2]), None),
    "OneHotCategorical": (lambda lib, p: D(lib).OneHotCategorical(p), [_simplex(2, 3)],
                          np.eye(3)[[[0, 2], [1, 1]]], None),
    "Multinomial": (lambda lib, p: D(lib).Multinomial(4, p), [_simplex(2, 3)],
                    np.array([[[1., 2., 1.], [4., 0., 0.]]]), None),
    "MultivariateNormal_tril": (lambda lib, m, t: D(lib).MultivariateNormal(m, scale_tril=t),
                                [R.standard_normal((2, 3)), _tril(3)],
                                R.standard_normal((4, 2, 3)), None),
    "MultivariateNormal_cov": (
        lambda lib, m, c: D(lib).MultivariateNormal(m, covariance_matrix=c),
        [R.standard_normal(3), _spd(3)], R.standard_normal((2, 3)), None),
    "MultivariateNormal_prec": (
        lambda lib, m, p: D(lib).MultivariateNormal(m, precision_matrix=p),
        [R.standard_normal(3), _spd(3)], R.standard_normal(3), None),
    "Independent": (lambda lib, m, s: D(lib).Independent(D(lib).Normal(m, s), 1),
                    [R.standard_normal((2, 3)), _pos(2, 3)], R.standard_normal((2, 3)), None),
    "TransformedDistribution": (
        lambda lib, m, s: D(lib).TransformedDistribution(
            D(lib).Normal(m, s), [_t(lib).ExpTransform(), _t(lib).AffineTransform(1.0, 2.0)]),
        [R.standard_normal(3), _pos(3)], 1 + _pos(2, 3), _unit(3)),
    "HalfNormal": (lambda lib, s: D(lib).HalfNormal(s), [_pos(3)], _pos(2, 3), _unit(3)),
    "HalfCauchy": (lambda lib, s: D(lib).HalfCauchy(s), [_pos(3)], _pos(2, 3), _unit(3)),
    "Gumbel": (lambda lib, m, s: D(lib).Gumbel(m, s), [R.standard_normal(3), _pos(3)],
               R.standard_normal((2, 3)), _unit(3)),
    "Pareto": (lambda lib, s, a: D(lib).Pareto(s, a), [_pos(3, high=1), _pos(3, low=2.5, high=4)],
               2 + _pos(2, 3), _unit(3)),
    "LogisticNormal": (lambda lib, m, s: D(lib).LogisticNormal(m, s),
                       [R.standard_normal(3), _pos(3)], _simplex(2, 4), None),
    "Weibull": (lambda lib, s, c: D(lib).Weibull(s, c), [_pos(3), _pos(3, low=0.8, high=3)],
                _pos(2, 3), None),
    "StudentT": (lambda lib, df, m, s: D(lib).StudentT(df, m, s),
                 [np.array([0.8, 1.5, 3.0]), R.standard_normal(3), _pos(3)],
                 R.standard_normal((2, 3)), None),
    "InverseGamma": (lambda lib, c, r: D(lib).InverseGamma(c, r),
                     [np.array([0.8, 1.5, 3.0]), _pos(3)], _pos(2, 3), None),
    "NegativeBinomial": (lambda lib, n, p: D(lib).NegativeBinomial(n, p),
                         [np.array([2.0, 3.5, 0.0]), _unit(3)],
                         np.array([[0., 2., 0.], [1., 4., 0.]]), None),
    "NegativeBinomial_logits": (lambda lib, n, lg: D(lib).NegativeBinomial(n, logits=lg),
                                [np.array([2.0, 3.5, 1.0]), R.standard_normal(3)],
                                np.array([0., 2., 5.]), None),
    "OneHotCategoricalStraightThrough": (
        lambda lib, p: D(lib).OneHotCategoricalStraightThrough(p), [_simplex(2, 3)],
        np.eye(3)[[0, 2]], None),
    "MixtureSameFamily": (lambda lib, p, m, s: D(lib).MixtureSameFamily(
        D(lib).Categorical(p), D(lib).Normal(m, s)),
        [_simplex(2, 3), R.standard_normal((2, 3)), _pos(2, 3)], R.standard_normal((4, 2)),
        None),
    "RelaxedBernoulli": (lambda lib, t, p: D(lib).RelaxedBernoulli(t, probs=p),
                         [_pos(3), _unit(3)], _unit(2, 3), None),
    "RelaxedOneHotCategorical": (lambda lib, t, lg: D(lib).RelaxedOneHotCategorical(
        t, logits=lg), [_pos(1), R.standard_normal((2, 3))], _simplex(2, 3), None),
    "MixtureSameFamily_events": (lambda lib, p, m, s: D(lib).MixtureSameFamily(
        D(lib).Categorical(p), D(lib).Independent(D(lib).Normal(m, s), 1)),
        [_simplex(3), R.standard_normal((3, 2)), _pos(3, 2)], R.standard_normal((4, 2)), None),
}

STATS = ("mean", "mode", "variance", "stddev")
# torchlike's polygamma(1, x) (digamma's gradient, from jax) agrees with torch's to ~1e-9
# relative near x = 1: float64 gradients through digamma are compared to 1e-8
DIGAMMA_GRAD = ("Gamma", "Chi2", "Beta", "Dirichlet", "StudentT", "InverseGamma")
# methods through igamma, which torch differentiates in x only: compared in test_gaps
GAPS = {"Gamma": "cdf", "Chi2": "cdf", "InverseGamma": "cdf"}


def _stats(d, value, q, lib, skip=None):
    """Everything a distribution reports, None where it raises NotImplementedError (both
    libraries must agree on that) or where `skip` names it."""
    def get(f, name="(not skipped)"):
        if name == skip:
            return None
        try:
            return f()
        except NotImplementedError:
            return None
    out = [get(lambda n=n: getattr(d, n)) for n in STATS]
    out += [get(d.entropy), get(d.perplexity)]
    if value is not None:
        v = lib.tensor(value) if isinstance(value, np.ndarray) else value
        out += [get(lambda: d.log_prob(v)), get(lambda: d.cdf(v), "cdf")]
    if q is not None:
        out.append(get(lambda: d.icdf(lib.tensor(q))))
    return out


def _cast(params, dtype):
    return [p.astype(dtype) if p.dtype.kind == "f" else p for p in params]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", CASES)
def test_statistics(name, dtype):
    make, params, value, q = CASES[name]
    if value is not None and value.dtype.kind == "f":
        value = value.astype(dtype)
    q = None if q is None else q.astype(dtype)

    def fn(lib, *ps):
        return _stats(make(lib, *ps), value, q, lib, GAPS.get(name))
    rtol = 1e-8 if dtype == np.float64 and name in DIGAMMA_GRAD else None
    # float32: values and dtypes; gradients in float64 (the same code, less rounding)
    check(fn, *_cast(params, dtype), numeric=False, rtol=rtol, grad=dtype == np.float64)


@pytest.mark.parametrize("name", GAPS)
def test_gaps(name):
    """cdf through igamma: values, and torch's refusal to differentiate it in the shape."""
    make, params, value, _ = CASES[name]
    check(lambda lib, *ps: getattr(make(lib, *ps), GAPS[name])(lib.tensor(value)), *params,
          numeric=False, grad=False)
    check_raises(lambda lib, *ps: getattr(make(lib, *[p.requires_grad_() for p in ps]),
                                          GAPS[name])(lib.tensor(value)).sum().backward(),
                 *params)


# distributions whose expand() rebuilds inner ones (their repr does not show the parameters'
# expanded shapes): log_prob under the expanded batch shape as well
EXPAND_LOG_PROB = ["Chi2", "Beta", "OneHotCategorical", "Multinomial", "Independent",
                   "TransformedDistribution", "LogNormal", "Weibull", "StudentT",
                   "MixtureSameFamily_events", "MultivariateNormal_prec"]


@pytest.mark.parametrize("name", CASES)
def test_shapes_expand_repr(name):
    make, params, value, _ = CASES[name]
    dists = [make(lib, *[lib.tensor(p) for p in params]) for lib in (torch, torchlike)]
    want, got = dists
    for attr in ("batch_shape", "event_shape", "has_rsample", "has_enumerate_support"):
        assert_same(getattr(want, attr), getattr(got, attr), attr)
    assert_same(repr(want), repr(got), "repr")
    assert_same(repr(want.support), repr(got.support), "support")
    assert_same({k: repr(v) for k, v in want.arg_constraints.items()},
                {k: repr(v) for k, v in got.arg_constraints.items()}, "arg_constraints")
    shape = (4,) + tuple(want.batch_shape)
    wide = [d.expand(shape) for d in dists]
    assert_same(wide[0].batch_shape, wide[1].batch_shape, "expand batch_shape")
    assert_same(repr(wide[0]), repr(wide[1]), "expand repr")
    assert_same(type(wide[0]).__name__, type(wide[1]).__name__, "expand type")
    if name in EXPAND_LOG_PROB:  # one event of batch_shape, broadcast over the expanded batch
        one = value[(0,) * (value.ndim - len(want.batch_shape + want.event_shape))]
        assert_same(wide[0].log_prob(torch.tensor(one)), wide[1].log_prob(
            torchlike.tensor(one)), "expanded log_prob")
    if want.has_enumerate_support:
        for expand in (True, False):
            assert_same(want.enumerate_support(expand), got.enumerate_support(expand))


def test_number_parameters_and_repr():
    for make in (lambda lib: D(lib).Normal(0.0, 1.0), lambda lib: D(lib).Gamma(2.0, 3.0),
                 lambda lib: D(lib).Beta(2.0, 3.0), lambda lib: D(lib).Bernoulli(0.3),
                 lambda lib: D(lib).Uniform(-1, 2), lambda lib: D(lib).Exponential(2.0),
                 lambda lib: D(lib).Geometric(0.3), lambda lib: D(lib).Chi2(3.0),
                 lambda lib: D(lib).Normal(lib.tensor([0.5]), 2.0),
                 lambda lib: D(lib).Gumbel(1.0, 2.0), lambda lib: D(lib).LogisticNormal(0., 1.)):
        want, got = make(torch), make(torchlike)
        assert_same(repr(want), repr(got))
        assert_same(want.batch_shape, got.batch_shape)
        assert_same(_stats(want, None, None, torch), _stats(got, None, None, torchlike))


BAD = {  # invalid parameters: torch's ValueError with its message
    "Normal": lambda lib: D(lib).Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, -1.0])),
    "Uniform": lambda lib: D(lib).Uniform(lib.tensor([2.0]), lib.tensor([1.0])),
    "Bernoulli": lambda lib: D(lib).Bernoulli(lib.tensor([1.5])),
    "Bernoulli_both": lambda lib: D(lib).Bernoulli(0.5, 0.0),
    "Categorical": lambda lib: D(lib).Categorical(lib.tensor([[-0.5, 1.5]])),
    "Categorical_0d": lambda lib: D(lib).Categorical(lib.tensor(1.0)),
    "Dirichlet": lambda lib: D(lib).Dirichlet(lib.tensor([1.0, -2.0])),
    "Dirichlet_0d": lambda lib: D(lib).Dirichlet(lib.tensor(1.0)),
    "Beta": lambda lib: D(lib).Beta(lib.tensor([0.0]), lib.tensor([1.0])),
    "Gamma": lambda lib: D(lib).Gamma(lib.tensor([1.0]), lib.tensor([-1.0])),
    "Chi2": lambda lib: D(lib).Chi2(lib.tensor([-1.0])),
    "Binomial": lambda lib: D(lib).Binomial(lib.tensor([2.5]), lib.tensor([0.5])),
    "Poisson": lambda lib: D(lib).Poisson(lib.tensor([-1.0])),
    "Geometric": lambda lib: D(lib).Geometric(lib.tensor([0.0])),
    "MultivariateNormal_cov": lambda lib: D(lib).MultivariateNormal(
        lib.zeros(2), lib.tensor([[1.0, 2.0], [0.0, 1.0]])),
    "MultivariateNormal_tril": lambda lib: D(lib).MultivariateNormal(
        lib.zeros(2), scale_tril=lib.tensor([[1.0, 0.0], [1.0, -1.0]])),
    "MultivariateNormal_none": lambda lib: D(lib).MultivariateNormal(lib.zeros(2)),
    "MultivariateNormal_loc": lambda lib: D(lib).MultivariateNormal(lib.tensor(0.), lib.eye(2)),
    "Independent": lambda lib: D(lib).Independent(D(lib).Normal(lib.zeros(2), 1.0), 2),
    "Transformed": lambda lib: D(lib).TransformedDistribution(D(lib).Normal(0.0, 1.0), 3),
    "Multinomial": lambda lib: D(lib).Multinomial(lib.tensor(2), lib.tensor([0.5, 0.5])),
    "log_prob_support": lambda lib: D(lib).Exponential(lib.tensor([1.0])).log_prob(
        lib.tensor([-1.0])),
    "log_prob_shape": lambda lib: D(lib).Normal(lib.zeros(3), 1.0).log_prob(lib.zeros(2)),
    "log_prob_event": lambda lib: D(lib).Dirichlet(lib.ones(3)).log_prob(lib.ones(2) / 2),
    "log_prob_type": lambda lib: D(lib).Normal(0.0, 1.0).log_prob(0.5),
    "cdf_support": lambda lib: D(lib).Uniform(0.0, 1.0).cdf(lib.tensor(2.0)),
    "simplex_value": lambda lib: D(lib).Categorical(lib.ones(3)).log_prob(lib.tensor(3)),
    "binomial_entropy": lambda lib: D(lib).Binomial(lib.tensor([2.0, 3.0]), lib.tensor(
        [0.5, 0.5])).entropy(),
    "mode_missing": lambda lib: D(lib).Multinomial(2, lib.ones(2)).mode,
    "kl_missing": lambda lib: D(lib).kl_divergence(D(lib).Normal(0., 1.),
                                                   D(lib).Categorical(lib.ones(2))),
    "unimplemented": lambda lib: D(lib).Distribution(validate_args=False).rsample(),
    "subclass_expand": lambda lib: type("N", (D(lib).Normal,), {
        "__init__": lambda self, m: D(lib).Normal.__init__(self, m, 1.0)})(
            lib.zeros(2)).expand((3, 2)),
}


@pytest.mark.parametrize("name", BAD)
def test_invalid_arguments(name):
    check_raises(BAD[name], message=_as_torch)


def _as_torch(message):
    """A message with torchlike's module names spelled as torch's (classes in messages)."""
    return message.replace("torchlike.", "torch.")


def test_validate_args_switch():
    for lib in (torch, torchlike):
        lib.distributions.Distribution.set_default_validate_args(False)
    try:
        for lib in (torch, torchlike):
            d = D(lib).Normal(lib.tensor([0.0]), lib.tensor([-1.0]))  # not checked now
            assert d.log_prob(lib.tensor([0.5])).shape == (1,)
        want = D(torch).Normal(torch.tensor([0.0]), torch.tensor([-1.0])).log_prob(
            torch.tensor([0.5]))
        got = D(torchlike).Normal(torchlike.tensor([0.0]), torchlike.tensor([-1.0])).log_prob(
            torchlike.tensor([0.5]))
        assert_same(want, got)
        check_raises(lambda lib: D(lib).Distribution.set_default_validate_args(2))
    finally:
        for lib in (torch, torchlike):
            lib.distributions.Distribution.set_default_validate_args(True)
    check_raises(lambda lib: D(lib).Normal(lib.tensor([0.0]), lib.tensor([-1.0]),
                                           validate_args=True))
    for lib in (torch, torchlike):
        D(lib).Normal(lib.tensor([0.0]), lib.tensor([-1.0]), validate_args=False)


def _sampled(name, lib, *ps):
    """Seeded draws: sample((2,)), then rsample((2,)) where the distribution has one."""
    d = CASES[name][0](lib, *ps)
    lib.manual_seed(7)
    out = [d.sample((2,))]
    if d.has_rsample:
        out.append(d.rsample((2,)))
    return out


# float32 draws for one distribution per sampling kernel (torch's float kernels differ from its
# double ones: normal_'s vectorized path, rand's 24 bits, the gamma sampler's float math)
F32_SAMPLES = ["Normal", "Uniform", "Laplace", "Cauchy", "Exponential", "Gamma", "Dirichlet",
               "Bernoulli", "Geometric", "Binomial", "Poisson", "Categorical", "Multinomial",
               "MultivariateNormal_tril", "StudentT", "NegativeBinomial", "MixtureSameFamily"]


@pytest.mark.parametrize("name, dtype", [(n, np.float64) for n in CASES]
                         + [(n, np.float32) for n in F32_SAMPLES])
def test_samples(name, dtype):
    # gradients through rsample in float64 (test_statistics compares float32 gradients)
    check(lambda lib, *ps: _sampled(name, lib, *ps), *_cast(CASES[name][1], dtype),
          numeric=False, grad=dtype == np.float64)


def test_many_samples():
    """Draws of 16 or more elements (torch's vectorized normal_ path), sample_n's warning."""
    def fn(lib, m, s):
        d = D(lib).Normal(m, s)
        lib.manual_seed(3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            n = d.sample_n(6)
        assert [w.category for w in caught] == [FutureWarning]
        return [d.rsample((8,)), n, D(lib).MultivariateNormal(m, lib.diag(s)).rsample((7,))]
    check(fn, R.standard_normal(3), _pos(3), numeric=False)


# KL operands per class: (make(lib, *params), p's params, q's params); batch shape (3,)
KLP = {
    "Normal": (CASES["Normal"][0], [R.standard_normal(3), _pos(3)],
               [R.standard_normal(3), _pos(3)]),
    "Laplace": (CASES["Laplace"][0], [R.standard_normal(3), _pos(3)],
                [R.standard_normal(3), _pos(3)]),
    "Cauchy": (CASES["Cauchy"][0], [R.standard_normal(3), _pos(3)],
               [R.standard_normal(3), _pos(3)]),
    "Gumbel": (CASES["Gumbel"][0], [R.standard_normal(3), _pos(3)],
               [R.standard_normal(3), _pos(3)]),
    "Uniform": (CASES["Uniform"][0], [np.array([0.1, -1.0, 0.2]), np.array([0.8, 2.0, 0.9])],
                [np.array([0.0, -2.0, 0.5]), np.array([1.0, 3.0, 0.7])]),
    "Exponential": (CASES["Exponential"][0], [_pos(3)], [_pos(3)]),
    "Gamma": (CASES["Gamma"][0], [_pos(3), _pos(3)], [_pos(3), _pos(3)]),
    "Beta": (CASES["Beta"][0], [_pos(3), _pos(3)], [_pos(3), _pos(3)]),
    "Dirichlet": (CASES["Dirichlet"][0], [_pos(3, 4)], [_pos(3, 4)]),
    "Pareto": (CASES["Pareto"][0], [np.array([0.5, 1.0, 1.5]), np.array([3.0, 1.5, 2.5])],
               [np.array([0.7, 0.5, 1.5]), _pos(3)]),
    "HalfNormal": (CASES["HalfNormal"][0], [_pos(3)], [_pos(3)]),
    "Bernoulli": (CASES["Bernoulli"][0], [np.array([0.0, 0.3, 1.0])],
                  [np.array([0.2, 0.6, 1.0])]),
    "Geometric": (CASES["Geometric"][0], [_unit(3)], [_unit(3)]),
    "Binomial": (CASES["Binomial"][0], [np.array([5, 6, 5]), _unit(3)],
                 [np.array([5, 5, 5]), _unit(3)]),
    "Poisson": (CASES["Poisson"][0], [_pos(3)], [_pos(3)]),
    "Categorical": (CASES["Categorical"][0], [_simplex(3, 4)], [_simplex(3, 4)]),
    "OneHotCategorical": (CASES["OneHotCategorical"][0], [_simplex(3, 4)], [_simplex(3, 4)]),
    "MultivariateNormal": (CASES["MultivariateNormal_tril"][0],
                           [R.standard_normal((3, 2)), _tril(2)],
                           [R.standard_normal(2), _tril(2)]),
    "TransformedDistribution": (CASES["LogNormal"][0], [R.standard_normal(3), _pos(3)],
                                [R.standard_normal(3), _pos(3)]),
    "Independent": (CASES["Independent"][0], [R.standard_normal((2, 3)), _pos(2, 3)],
                    [R.standard_normal((2, 3)), _pos(2, 3)]),
}
KL_PAIRS = sorted((p.__name__, q.__name__) for p, q in torch.distributions.kl._KL_REGISTRY
                  if p.__name__ in KLP and q.__name__ in KLP)


def test_kl_registry():
    """torchlike registers exactly torch's pairs among the distributions it has."""
    have = {n for n in vars(torchlike.distributions) if n[0].isupper()}  # not placeholders
    want = sorted((p.__name__, q.__name__) for p, q in torch.distributions.kl._KL_REGISTRY
                  if p.__name__ in have and q.__name__ in have)
    got = sorted((p.__name__, q.__name__) for p, q in torchlike.distributions.kl._KL_REGISTRY)
    assert_same(want, got)


@pytest.mark.parametrize("pair", KL_PAIRS, ids="-".join)
def test_kl_divergence(pair):
    (make_p, p_params, _), (make_q, _, q_params) = KLP[pair[0]], KLP[pair[1]]
    k = len(p_params)
    rtol = 1e-8 if set(DIGAMMA_GRAD) & set(pair) else None
    check(lambda lib, *ps: D(lib).kl_divergence(make_p(lib, *ps[:k]), make_q(lib, *ps[k:])),
          *p_params, *q_params, numeric=False, rtol=rtol)


def test_kl_exponential_family_bregman():
    """The generic Bregman-divergence KL and entropy of ExponentialFamily, on Normal and
    Gamma (whose own formulas the registry prefers)."""
    def fn(lib, m1, s1, m2, s2):
        p, q = D(lib).Normal(m1, s1), D(lib).Normal(m2, s2)
        g, h = D(lib).Gamma(s1, s2), D(lib).Gamma(s2, s1)
        ef = D(lib).kl._kl_expfamily_expfamily
        return [ef(p, q), ef(g, h), D(lib).ExponentialFamily.entropy(p),
                D(lib).ExponentialFamily.entropy(g)]
    check(fn, R.standard_normal(3), _pos(3), R.standard_normal(3), _pos(3), numeric=False)
    check_raises(lambda lib: D(lib).kl._kl_expfamily_expfamily(D(lib).Normal(0., 1.),
                                                               D(lib).Gamma(1., 1.)))


def test_register_kl():
    for lib in (torch, torchlike):
        class MyNormal(D(lib).Normal):
            pass

        @D(lib).register_kl(MyNormal, MyNormal)
        def _kl(p, q):
            return lib.tensor(42.0)
        lib._my_kl = D(lib).kl_divergence(MyNormal(0., 1.), MyNormal(1., 1.))
        lib._plain = D(lib).kl_divergence(MyNormal(0., 1.), D(lib).Normal(1., 1.))
        del D(lib).kl._KL_REGISTRY[MyNormal, MyNormal]
        D(lib).kl._KL_MEMOIZE.clear()
    assert_same(torch._my_kl, torchlike._my_kl)
    assert_same(torch._plain, torchlike._plain)
    del torch._my_kl, torch._plain, torchlike._my_kl, torchlike._plain


# transform factories with an input in their domain
TRANSFORMS = {
    "Exp": (lambda lib: _t(lib).ExpTransform(), R.standard_normal((2, 3))),
    "Affine": (lambda lib: _t(lib).AffineTransform(1.5, -2.0), R.standard_normal((2, 3))),
    "Affine_tensor": (lambda lib: _t(lib).AffineTransform(lib.tensor([1.0, 2.0, 3.0]), lib.tensor(
        [0.5, -1.0, 2.0]), event_dim=1), R.standard_normal((2, 3))),
    "Sigmoid": (lambda lib: _t(lib).SigmoidTransform(), R.standard_normal((2, 3))),
    "Tanh": (lambda lib: _t(lib).TanhTransform(), R.standard_normal((2, 3))),
    "Softplus": (lambda lib: _t(lib).SoftplusTransform(), R.standard_normal((2, 3))),
    "Power": (lambda lib: _t(lib).PowerTransform(lib.tensor(2.5, dtype=lib.float64)), _pos(2, 3)),
    "Abs": (lambda lib: _t(lib).AbsTransform(), R.standard_normal((2, 3))),
    "Softmax": (lambda lib: _t(lib).SoftmaxTransform(), R.standard_normal((2, 3))),
    "StickBreaking": (lambda lib: _t(lib).StickBreakingTransform(), R.standard_normal((2, 3))),
    "Compose": (lambda lib: _t(lib).ComposeTransform([_t(lib).ExpTransform(), _t(
        lib).AffineTransform(1.0, 3.0), _t(lib).PowerTransform(lib.tensor(0.5).double())]),
                R.standard_normal((2, 3))),
    "Compose_events": (lambda lib: _t(lib).ComposeTransform([_t(lib).AffineTransform(
        0.5, 2.0), _t(lib).StickBreakingTransform()]), R.standard_normal((2, 3))),
    "Identity": (lambda lib: _t(lib).identity_transform, R.standard_normal((2, 3))),
    "Inverse": (lambda lib: _t(lib).SigmoidTransform().inv, _unit(2, 3)),
    "Independent": (lambda lib: _t(lib).IndependentTransform(_t(lib).ExpTransform(), 1),
                    R.standard_normal((2, 3))),
    "Reshape": (lambda lib: _t(lib).ReshapeTransform((2, 3), (3, 2)), R.standard_normal((4, 2, 3))),
    "LowerCholesky": (lambda lib: _t(lib).LowerCholeskyTransform(), R.standard_normal((2, 3, 3))),
    "PositiveDefinite": (lambda lib: _t(lib).PositiveDefiniteTransform(),
                         R.standard_normal((3, 3))),
    "CorrCholesky": (lambda lib: _t(lib).CorrCholeskyTransform(), R.standard_normal((2, 6))),
    "Cat": (lambda lib: _t(lib).CatTransform([_t(lib).ExpTransform(), _t(
        lib).AffineTransform(1.0, 2.0)], dim=0, lengths=[2, 1]), R.standard_normal((3, 2))),
    "Stack": (lambda lib: _t(lib).StackTransform([_t(lib).ExpTransform(), _t(
        lib).TanhTransform()], dim=0), R.standard_normal((2, 3))),
    "CumulativeDistribution": (lambda lib: _t(lib).CumulativeDistributionTransform(D(
        lib).Normal(lib.tensor([0.5]), lib.tensor([2.0]))), R.standard_normal((2, 3))),
}


def _attrs(t, x):
    def get(f):
        try:
            value = f()
        except (NotImplementedError, ValueError) as e:
            return type(e).__name__
        return value if isinstance(value, (bool, int)) else repr(value)
    shape = torchlike.Size(x.shape) if isinstance(x, torchlike.Tensor) else torch.Size(x.shape)
    return [get(lambda: t.bijective), get(lambda: t.sign), get(lambda: t.event_dim),
            repr(t), repr(t.inv), get(lambda: t.domain), get(lambda: t.codomain),
            get(lambda: t.domain.event_dim), get(lambda: t.codomain.event_dim),
            get(lambda: tuple(t.forward_shape(shape))),
            get(lambda: tuple(t.inverse_shape(t.forward_shape(shape)))),
            t == t.inv.inv, t.with_cache(1)._cache_size]


@pytest.mark.parametrize("name", TRANSFORMS)
def test_transforms(name):
    make, x = TRANSFORMS[name]

    def fn(lib, x):
        t = make(lib)
        y = t(x)
        out = [y, t.inv(y)]
        try:
            out.append(t.log_abs_det_jacobian(x, y))
        except NotImplementedError:
            out.append(None)
        return out
    check(fn, x, numeric=False)
    want, got = make(torch), make(torchlike)
    assert_same(_attrs(want, torch.tensor(x)), _attrs(got, torchlike.tensor(x)))


def test_transform_caching_and_equality():
    for lib in (torch, torchlike):
        t = _t(lib).ExpTransform(cache_size=1)
        x = lib.ones(2)
        y = t(x)
        assert t(x) is y and t.inv(y) is x
        assert _t(lib).ExpTransform() == _t(lib).ExpTransform()
        assert _t(lib).AffineTransform(1.0, 2.0) == _t(lib).AffineTransform(1.0, 2.0)
        assert _t(lib).AffineTransform(1.0, 2.0) != _t(lib).AffineTransform(1.0, 3.0)
        assert _t(lib).ComposeTransform([t]) == _t(lib).ComposeTransform([t])
        assert t.inv.inv is t
    check_raises(lambda lib: _t(lib).ExpTransform(cache_size=2))
    check_raises(lambda lib: _t(lib).ReshapeTransform((2, 3), (4,)))
    check_raises(lambda lib: _t(lib).IndependentTransform(_t(lib).ExpTransform(), 1)(
        lib.tensor(1.0)))


def _constraints(lib):
    c = lib.distributions.constraints
    return {"real": c.real, "positive": c.positive, "nonnegative": c.nonnegative,
            "unit_interval": c.unit_interval, "boolean": c.boolean,
            "nonnegative_integer": c.nonnegative_integer,
            "positive_integer": c.positive_integer, "greater_than": c.greater_than(-0.5),
            "greater_than_eq": c.greater_than_eq(0.5), "less_than": c.less_than(0.5),
            "interval": c.interval(-1.0, 1.0), "half_open": c.half_open_interval(-1.0, 1.0),
            "integer_interval": c.integer_interval(0, 2), "real_vector": c.real_vector,
            "independent": c.independent(c.positive, 1), "simplex": c.simplex,
            "one_hot": c.one_hot, "multinomial": c.multinomial(3),
            "lower_triangular": c.lower_triangular, "lower_cholesky": c.lower_cholesky,
            "corr_cholesky": c.corr_cholesky, "square": c.square, "symmetric": c.symmetric,
            "positive_definite": c.positive_definite,
            "positive_semidefinite": c.positive_semidefinite,
            "cat": c.cat([c.positive, c.real], dim=0, lengths=[1, 2]),
            "stack": c.stack([c.positive, c.unit_interval, c.real], dim=-1),
            "mixture": c.MixtureSameFamilyConstraint(c.positive)}


# rows of 3: valid and invalid for the vector constraints, 3 x 3 matrices for the matrix ones
VALUES = [np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5], [-1.0, 2.0, np.nan]]),
          np.array([[[1.0, 0.0, 0.0], [0.5, 2.0, 0.0], [0.1, 0.2, 3.0]],
                    [[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, -1.0]],
                    [[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]]])]


@pytest.mark.parametrize("name", list(_constraints(torchlike)))
def test_constraints(name):
    want, got = _constraints(torch)[name], _constraints(torchlike)[name]
    assert_same([repr(want), want.is_discrete, want.event_dim],
                [repr(got), got.is_discrete, got.event_dim])
    for v in VALUES:
        assert_same(want.check(torch.tensor(v)), got.check(torchlike.tensor(v)), f"check {v}")


def test_dependent_constraints():
    for lib in (torch, torchlike):
        c = lib.distributions.constraints
        dep = c.dependent(is_discrete=True, event_dim=1)
        assert (dep.is_discrete, dep.event_dim) == (True, 1)
        assert c.is_dependent(c.dependent) and not c.is_dependent(c.real)
        assert c.is_dependent(D(lib).Uniform.support)
        assert D(lib).Binomial.support.is_discrete is True
    check_raises(lambda lib: lib.distributions.constraints.dependent.event_dim)
    check_raises(lambda lib: lib.distributions.constraints.dependent.check(lib.ones(1)))
    check_raises(lambda lib: lib.distributions.constraints.independent(
        lib.distributions.constraints.real, -1))
    check_raises(lambda lib: lib.distributions.constraints.independent(
        lib.distributions.constraints.real, 2).check(lib.ones(1)))


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_constraint_registry(registry):
    for name in _constraints(torchlike):
        want_c, got_c = _constraints(torch)[name], _constraints(torchlike)[name]
        try:
            want = getattr(D(torch), registry)(want_c)
        except NotImplementedError as e:
            check_raises(lambda lib: getattr(D(lib), registry)(_constraints(lib)[name]))
            assert "Cannot transform" in str(e)
            continue
        got = getattr(D(torchlike), registry)(got_c)
        assert_same(repr(want), repr(got), f"{registry}({name})")
        x = R.standard_normal({"cat": (3, 2), "corr_cholesky": (2, 3)}.get(
            name, (2, 3) if want.domain.event_dim < 2 else (3, 3)))
        assert_same(want(torch.tensor(x)), got(torchlike.tensor(x)), f"{registry}({name})(x)")
    check_raises(lambda lib: getattr(D(lib), registry).register(3, lambda c: c))


def test_utils():
    def fn(lib, p, lg, m):
        u = lib.distributions.utils
        a, b = u.broadcast_all(p, 2.0)
        return [u.logits_to_probs(lg), u.logits_to_probs(lg, is_binary=True),
                u.probs_to_logits(p), u.probs_to_logits(p, is_binary=True), u.clamp_probs(p),
                a, b, u.broadcast_all(1.0, 2)[1], u.tril_matrix_to_vec(m),
                u.tril_matrix_to_vec(m, diag=-1), u.vec_to_tril_matrix(u.tril_matrix_to_vec(m)),
                u.vec_to_tril_matrix(u.tril_matrix_to_vec(m, -1), -1)]
    check(fn, np.array([0.0, 0.3, 1.0]), R.standard_normal((2, 3)), R.standard_normal((3, 3)),
          numeric=False)
    check_raises(lambda lib: lib.distributions.utils.broadcast_all(lib.ones(1), "a"))
    check_raises(lambda lib: lib.distributions.utils.vec_to_tril_matrix(lib.ones(4)))
    check_raises(lambda lib: lib.distributions.utils.tril_matrix_to_vec(lib.ones(2, 2), 3))
    for lib in (torch, torchlike):
        d = D(lib).Bernoulli(logits=lib.zeros(2))
        assert "probs" not in d.__dict__ and d.probs is d.__dict__["probs"]
        assert isinstance(D(lib).Bernoulli.probs, property)


def test_placeholders_and_modules():
    import torchlike.distributions as TD
    from torchlike.distributions.normal import Normal
    from torchlike.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
    assert Normal is TD.Normal and LogitRelaxedBernoulli.__name__ == "LogitRelaxedBernoulli"
    assert_same(torch.distributions.__all__, TD.__all__)
    missing = [n for n in TD.__all__ if n not in vars(TD)]
    assert missing == [], f"placeholders left: {missing}"
    for name in TD.__all__:  # classes in torch's modules (reprs, messages, pickles)
        if name not in missing and isinstance(getattr(TD, name), type):
            assert_same(repr(getattr(D(torch), name)), _as_torch(repr(getattr(TD, name))))


def test_warnings():
    """Distribution subclasses without arg_constraints or support warn as torch's do."""
    caught = []
    for lib in (torch, torchlike):
        class Bare(D(lib).Distribution):
            pass
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            Bare(validate_args=True)._validate_sample(lib.zeros(()))
        caught.append([(w.category.__name__, _as_torch(str(w.message)).replace(
            "test_distributions", "")) for w in got])
    assert_same(*caught)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dirichlet_grad_kernel(dtype):
    """The reparameterized Dirichlet gradient (Beta and Dirichlet rsample's backward) against
    torch._dirichlet_grad over all four of its approximations (x near 0, near 1, both Beta
    parameters large, the rational fit)."""
    from torchlike.distributions._dirichlet_grad import dirichlet_grad
    x = R.uniform(0.001, 0.999, 400).astype(dtype)
    alpha = np.exp(R.uniform(-3, 4, 400)).astype(dtype)
    total = (alpha + np.exp(R.uniform(-3, 4, 400))).astype(dtype)
    args = [x, alpha, total]
    assert_same(torch._dirichlet_grad(*[torch.from_numpy(a) for a in args]),
                dirichlet_grad(*[torchlike.tensor(a) for a in args]))
