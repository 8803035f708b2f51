"""Extending torch.distributions, compared with torch: a program's own Transform, Constraint,
ExponentialFamily and KL registration (register_kl, its ambiguity warning), the transforms
programs reach by name (SoftmaxTransform, PositiveDefiniteTransform, identity_transform), the
registries biject_to / transform_to, and dependent / dependent_property / is_dependent."""
import warnings

import numpy as np
import pytest
import torch
from _helper import assert_same, assert_same_object, check_call, check_raises

import torchlike

LIBS = (torch, torchlike)
R = np.random.default_rng(5)
X = R.standard_normal((2, 3))


def _x(L, a=X, grad=True):
    return L.tensor(a, dtype=L.float64, requires_grad=grad)


def _transform(t, x):
    """What a program reads of a transform: its repr, domain, codomain, bijectivity, sign-free
    shapes, and its value at x."""
    return (repr(t), repr(t.domain), repr(t.codomain), t.bijective, t.forward_shape((2, 3)),
            t.inverse_shape((2, 3)), t(x))


# ---- transforms ------------------------------------------------------------------------------
def _named_transform(L, name):
    T = L.distributions.transforms
    return {"Softmax": T.SoftmaxTransform(), "PositiveDefinite": T.PositiveDefiniteTransform(),
            "identity": T.identity_transform,
            "identity-top": L.distributions.identity_transform}[name]


@pytest.mark.parametrize("name", ["Softmax", "PositiveDefinite", "identity", "identity-top"])
def test_named_transforms(name):
    """The value, inverse and gradient of each; log_abs_det_jacobian where torch has one (its
    NotImplementedError where not)."""
    a = X if name != "PositiveDefinite" else np.tril(R.standard_normal((3, 3)))

    def run(L):
        t, x = _named_transform(L, name), _x(L, a)
        y = t(x)
        (y * y).sum().backward()
        return [y, t.inv(y.detach()), x.grad, repr(t), repr(t.domain), repr(t.codomain),
                t.bijective, t.forward_shape(tuple(a.shape)), t == _named_transform(L, name)]
    assert_same(run(torch), run(torchlike))
    if name.startswith("identity"):
        assert_same(torch.distributions.transforms.identity_transform(_x(torch)),
                    torchlike.distributions.transforms.identity_transform(_x(torchlike)))
        check_call(lambda L: (_named_transform(L, name).log_abs_det_jacobian, _x(L), _x(L)))
    else:
        check_raises(lambda L: _named_transform(L, name).log_abs_det_jacobian(_x(L, a),
                                                                              _x(L, a)))


def _cube(L):
    class Cube(L.distributions.transforms.Transform):
        """A program's own bijection x -> x**3."""
        domain = L.distributions.constraints.real
        codomain = L.distributions.constraints.real
        bijective = True

        def _call(self, x):
            return x ** 3

        def _inverse(self, y):
            return y.sign() * y.abs() ** (1 / 3)

        def log_abs_det_jacobian(self, x, y):
            return (3 * x * x).log()
    return Cube


@pytest.mark.parametrize("cache_size", [0, 1])
def test_custom_transform(cache_size):
    """Transform's machinery under a subclass: calling, the inverse (cached or not), shapes,
    sign's error, in a TransformedDistribution (log_prob, rsample's gradient)."""
    def run(L):
        L.manual_seed(0)
        t = _cube(L)(cache_size=cache_size)
        x, loc = _x(L), _x(L, X[0])
        y = t(x)
        d = L.distributions.TransformedDistribution(L.distributions.Normal(loc, 1.0), [t])
        s = d.rsample((2,))
        (y.sum() + s.sum()).backward()
        return [y, t.inv(y), t.inv(y) is x, t.forward_shape((4, 3)), t.inverse_shape((4, 3)),
                repr(t), repr(t.inv), t.event_dim, d.log_prob(y.detach()), s, x.grad, loc.grad,
                t.with_cache(1)(x)]
    assert_same(run(torch), run(torchlike))
    check_raises(lambda L: _cube(L)().sign)
    check_raises(lambda L: L.distributions.transforms.Transform()(_x(L)))
    check_raises(lambda L: L.distributions.transforms.Transform(cache_size=2))


# ---- registries ------------------------------------------------------------------------------
def _constraint(L, name):
    C = L.distributions.constraints
    return {"positive": C.positive, "simplex": C.simplex, "interval": C.interval(-1.0, 2.0),
            "lower_cholesky": C.lower_cholesky, "real_vector": C.real_vector}[name]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", ["positive", "simplex", "interval", "lower_cholesky",
                                  "real_vector"])
def test_registry_transforms(registry, name):
    a = R.standard_normal((3, 3) if name == "lower_cholesky" else (2, 3))

    def made(L):
        return getattr(L.distributions, registry)(_constraint(L, name))
    if registry == "biject_to" and name == "lower_cholesky":  # no bijection onto it
        check_raises(made)
        return

    def view(t):
        L = torch if type(t).__module__.startswith("torch.") else torchlike
        return repr(t), t(_x(L, a)), t.inv(t(_x(L, a)))
    assert_same_object(made(torch), made(torchlike), view)


def test_registry_register_and_errors():
    def run(L):
        class Odd(L.distributions.constraints.Constraint):
            def check(self, value):
                return value % 2 == 1
        odd = Odd()
        registry = L.distributions.biject_to
        registry.register(Odd, lambda c: L.distributions.transforms.ExpTransform())
        try:
            return repr(registry(odd)), registry(odd)(_x(L))
        finally:
            del registry._registry[Odd]
    assert_same(run(torch), run(torchlike))
    for registry in ("biject_to", "transform_to"):
        check_raises(lambda L: getattr(L.distributions, registry)(3))
        check_raises(lambda L: getattr(L.distributions, registry)(
            L.distributions.constraints.nonnegative_integer))


# ---- constraints -----------------------------------------------------------------------------
def test_custom_constraint_and_base():
    def run(L):
        C = L.distributions.constraints

        class Positive(C.Constraint):
            event_dim = 1

            def check(self, value):
                return (value > 0).all(-1)
        c = Positive()
        return [repr(c), c.is_discrete, c.event_dim, c.check(_x(L)), C.is_dependent(c),
                repr(C.Constraint()), C.Constraint().is_discrete, C.Constraint().event_dim]
    assert_same(run(torch), run(torchlike))
    check_raises(lambda L: L.distributions.constraints.Constraint().check(_x(L)))


def _dependent_view(c):
    out = [repr(c), type(c).__name__]
    for attr in ("is_discrete", "event_dim"):
        try:
            out.append(getattr(c, attr))
        except NotImplementedError as e:
            out.append(str(e))
    return out


@pytest.mark.parametrize("kwargs", [{}, {"is_discrete": True}, {"event_dim": 2},
                                    {"is_discrete": False, "event_dim": 1}])
def test_dependent(kwargs):
    C = [L.distributions.constraints for L in LIBS]
    assert_same_object(C[0].dependent, C[1].dependent, _dependent_view)
    assert_same_object(C[0].dependent(**kwargs), C[1].dependent(**kwargs), _dependent_view)
    check_raises(lambda L: L.distributions.constraints.dependent.check(_x(L)))
    check_raises(lambda L: L.distributions.constraints.dependent.event_dim)


def _with_dependent_support(L, **kwargs):
    C = L.distributions.constraints

    class Shifted(L.distributions.Distribution):
        arg_constraints = {}

        def __init__(self, low):
            self.low = low
            super().__init__(validate_args=False)

        @C.dependent_property(**kwargs)
        def support(self):
            return C.greater_than(self.low)
    return Shifted


@pytest.mark.parametrize("kwargs", [{}, {"is_discrete": False, "event_dim": 0}])
def test_dependent_property(kwargs):
    """On the class: the dependent constraint itself; on an instance: what the method
    computes."""
    classes = [_with_dependent_support(L, **kwargs) for L in LIBS]
    assert_same_object(classes[0].support, classes[1].support, _dependent_view)
    supports = [cls(L.tensor(1.0)).support for cls, L in zip(classes, LIBS)]
    assert_same(repr(supports[0]), repr(supports[1]))
    assert_same(supports[0].check(torch.tensor([0.5, 2.0])),
                supports[1].check(torchlike.tensor([0.5, 2.0])))
    check_raises(lambda L: _with_dependent_support(L, **kwargs).support.check(_x(L)))
    made = [L.distributions.constraints.dependent_property(lambda self: 1, is_discrete=True)
            for L in LIBS]
    assert_same_object(made[0], made[1], _dependent_view)


@pytest.mark.parametrize("what", ["dependent", "dependent-called", "real", "support",
                                  "interval", "uniform-support"])
def test_is_dependent(what):
    def make(L):
        C = L.distributions.constraints
        value = {"dependent": C.dependent, "dependent-called": C.dependent(event_dim=1),
                 "real": C.real, "support": _with_dependent_support(L).support,
                 "interval": C.interval(0.0, 1.0),
                 "uniform-support": L.distributions.Uniform.support}[what]
        return C.is_dependent, value
    check_call(make)


# ---- ExponentialFamily and register_kl ------------------------------------------------------
def _exp_family(L):
    C = L.distributions.constraints

    class Rate(L.distributions.ExponentialFamily):
        """Exponential(rate), written as an exponential family: natural parameter -rate."""
        arg_constraints = {"rate": C.positive}
        support = C.positive

        def __init__(self, rate):
            self.rate = rate
            super().__init__(rate.shape, validate_args=False)

        @property
        def _natural_params(self):
            return (-self.rate,)

        def _log_normalizer(self, x):
            return -(-x).log()

        @property
        def _mean_carrier_measure(self):
            return 0

        def log_prob(self, value):
            return self.rate.log() - self.rate * value
    return Rate


def test_exponential_family_subclass():
    """ExponentialFamily's entropy (from the log normalizer's gradient) and the Bregman KL
    between two of a program's own family, with gradients."""
    def run(L):
        rate = L.tensor([0.5, 2.0, 3.0], dtype=L.float64, requires_grad=True)
        fam = _exp_family(L)
        ent = fam(rate).entropy()
        kl = L.distributions.kl_divergence(fam(rate), fam(rate * 2 + 1))
        (ent.sum() + kl.sum()).backward()
        return ent, kl, rate.grad, L.distributions.Exponential(rate.detach()).entropy()
    assert_same(run(torch), run(torchlike))
    check_raises(lambda L: L.distributions.ExponentialFamily(validate_args=False).entropy())


def test_register_kl():
    """A registered pair wins over the parents' rules; two rules equally near warn as torch
    does (and the first in torch's order is taken)."""
    def run(L):
        D = L.distributions

        class A(D.Normal):
            pass

        class B(D.Normal):
            pass
        rules = {(A, D.Normal): lambda p, q: L.tensor(1.0),
                 (D.Normal, B): lambda p, q: L.tensor(2.0),
                 (A, A): lambda p, q: (p.loc - q.loc) ** 2}
        try:
            for (p, q), fn in rules.items():
                assert D.register_kl(p, q)(fn) is fn
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out = [D.kl_divergence(A(0.0, 1.0), B(0.0, 1.0)),
                       D.kl_divergence(A(L.tensor([1.0, 2.0]), 1.0), A(0.0, 1.0)),
                       D.kl_divergence(A(0.0, 1.0), D.Normal(1.0, 1.0))]
            return out, [str(w.message).replace("torchlike", "torch") for w in caught]
        finally:
            for pair in rules:
                del D.kl._KL_REGISTRY[pair]
            D.kl._KL_MEMOIZE.clear()
    assert_same(run(torch), run(torchlike))
    check_raises(lambda L: L.distributions.register_kl(3, L.distributions.Normal))
    check_raises(lambda L: L.distributions.kl.register_kl(L.distributions.Normal, "x"))
