"""torch.random's functions (the same objects as torch.manual_seed, torch.seed, ...), compared
with torch's: the generator manual_seed returns, the seeds, the generator state byte for byte,
what set_rng_state restores, and the errors of each for bad input."""
import pytest
import torch
from _helper import assert_same, assert_same_object, check_call

import torchlike

LIBS = (torch, torchlike)


@pytest.fixture(autouse=True)
def _keep_states():
    """Each test leaves both global generators as it found them."""
    states = [L.random.get_rng_state() for L in LIBS]
    yield
    for L, state in zip(LIBS, states):
        L.random.set_rng_state(state)


def _generator(g):
    return str(g.device), g.initial_seed(), g.get_state()


def test_names_are_torchs():
    # torch's `torch.X` are `torch.random.X` (torch/__init__.py imports them from there); not
    # checked on torch itself here: other test files may wrap its functions in this process
    for name in ("manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state"):
        assert getattr(torchlike.random, name) is getattr(torchlike, name), name


@pytest.mark.parametrize("seed", [0, 7, -1, -2 ** 63, 2 ** 64 - 1, 3.7, "12", True])
def test_manual_seed(seed):
    """The default generator, seeded (negative seeds wrap, floats and strings go through int),
    then what it draws."""
    want, got = torch.random.manual_seed(seed), torchlike.random.manual_seed(seed)
    assert_same_object(want, got, _generator)
    assert_same(want is torch.default_generator, got is torchlike.default_generator)
    check_call(lambda L: (L.random.initial_seed,))
    assert_same(torch.rand(3), torchlike.rand(3))


@pytest.mark.parametrize("seed", [2 ** 64, -2 ** 63 - 1, "x", None, [1]])
def test_manual_seed_errors(seed):
    check_call(lambda L: (L.random.manual_seed, seed))


def test_initial_seed_and_state_follow_draws():
    for L in LIBS:
        L.random.manual_seed(11)
        L.randn(3)  # Box-Muller leaves a cached normal in the state
    check_call(lambda L: (L.random.initial_seed,))
    assert_same(torch.random.get_rng_state(), torchlike.random.get_rng_state())
    for L in LIBS:
        L.rand(700)  # past one 624-word refill
    assert_same(torch.random.get_rng_state(), torchlike.random.get_rng_state())


def test_seed_seeds_the_generator_with_what_it_returns():
    """seed() draws a nondeterministic seed: torch, given torchlike's seed, reports it back and
    reaches the same state."""
    got = torchlike.random.seed()
    torch.random.manual_seed(got)
    assert_same(torch.random.initial_seed(), got)
    assert_same(torch.random.get_rng_state(), torchlike.random.get_rng_state())
    check_call(lambda L: (L.random.seed, 1))  # no arguments


def test_set_rng_state_restores_draws():
    def run(L):
        L.random.manual_seed(5)
        L.randn(1)
        state = L.random.get_rng_state()
        first = L.randn(3), L.rand(2)
        L.random.manual_seed(99)
        L.rand(10)
        return state, first
    (want_state, want_first), (got_state, got_first) = run(torch), run(torchlike)
    check_call(lambda L: (L.random.set_rng_state, want_state if L is torch else got_state))
    assert_same((torch.randn(3), torch.rand(2)), (torchlike.randn(3), torchlike.rand(2)))
    assert_same(want_first, got_first)
    assert_same(torch.random.initial_seed(), torchlike.random.initial_seed())


def _corrupt(L, offset, value):
    L.random.manual_seed(1)  # left (bytes 8-11) is 1, seeded (12-15) is 1
    state = L.random.get_rng_state().clone()
    state[offset] = value
    return state


SET_STATE_ERRORS = {
    "float": lambda L: L.zeros(5056),
    "short": lambda L: L.zeros(3, dtype=L.uint8),
    "list": lambda L: [1],
    "zeros": lambda L: L.zeros(5056, dtype=L.uint8),  # not seeded
    "left-0": lambda L: _corrupt(L, 8, 0),  # `left` out of range
    "unseeded": lambda L: _corrupt(L, 12, 0),
}


@pytest.mark.parametrize("case", list(SET_STATE_ERRORS))
def test_set_rng_state_errors(case):
    check_call(lambda L: (L.random.set_rng_state, SET_STATE_ERRORS[case](L)))


def test_set_rng_state_accepts_any_shape():
    for L in LIBS:
        L.random.manual_seed(3)
    check_call(lambda L: (L.random.set_rng_state, L.random.get_rng_state().view(2, -1)))
    assert_same(torch.rand(2), torchlike.rand(2))


def test_get_rng_state_is_a_copy():
    for L in LIBS:
        L.random.manual_seed(4)
    states = [L.random.get_rng_state() for L in LIBS]
    for L in LIBS:
        L.rand(5)
    assert_same(states[0], states[1])
    check_call(lambda L: (L.random.get_rng_state, 0))  # no arguments
