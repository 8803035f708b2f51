"""torch.autograd.Variable, gradcheck/gradgradcheck, anomaly mode and torch.utils.checkpoint
against real torch: every result, raised error and warning of the same calls.

- Variable: the legacy constructor's results (a detached plain Tensor sharing data and version
  counter, a leaf with requires_grad) and each argument error in CPython's parser wording;
- gradcheck/gradgradcheck (slow and fast mode): return values, GradcheckError messages (a
  custom Function with a wrong backward, a wrong double backward), the float32 warning,
  multiple and non-differentiable outputs, argument errors;
- anomaly mode: the flags (one process-wide setting), the enabling warning, torch's nan error
  naming node and output, and the forward-stack warning of the node that failed;
- checkpoint (reentrant or not) and checkpoint_sequential: outputs, grad_fn names, gradients,
  dropout masks replayed, recomputation counts, warnings and errors.
"""
from __future__ import annotations

import contextlib
import re
import threading
import warnings

import numpy as np
import pytest
import torch
from _helper import assert_same, assert_same_error, assert_same_tensor, check

import torchlike

R = np.random.default_rng(5)
X = np.array([[0.3, -1.2, 2.0], [0.5, 1.5, -0.7]])
XD = R.standard_normal((4, 5))


def _outcome(L, fn):
    """fn(L): (its result or the exception it raised, [(category, text) of its warnings])."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(L)
        except Exception as e:  # noqa: BLE001 - compared with whatever torch raised
            result = e
    return result, [(w.category.__name__, str(w.message)) for w in caught]


def _same(fn, message=True, warning=None, rtol=None):
    """fn under both libraries: the same result (or error) and the same warnings (`warning`:
    applied to each warning's text before comparing; `rtol`: for the values, where wider than
    the dtype's)."""
    want, want_w = _outcome(torch, fn)
    got, got_w = _outcome(torchlike, fn)
    if isinstance(want, Exception):
        assert isinstance(got, Exception), f"torch raised {want!r}, torchlike gave {got!r}"
        if type(want).__module__.startswith("torch"):  # GradcheckError, CheckpointError
            assert_same([c.__name__ for c in type(want).__mro__],
                        [c.__name__ for c in type(got).__mro__], "exception classes")
            want = type(want).__mro__[1](*want.args)  # its builtin base, same message
        assert_same_error(want, got, message=message)
    elif isinstance(got, Exception):
        raise got
    else:
        assert_same(want, got, rtol=rtol)
    if warning is not None:
        want_w = [(c, warning(t)) for c, t in want_w]
        got_w = [(c, warning(t)) for c, t in got_w]
    assert_same(want_w, got_w, "warnings")
    return want, got


def _t(L, a=X, dtype="float64", grad=True):
    return L.tensor(a, dtype=getattr(L, dtype), requires_grad=grad)


def _square(L, factor=2.0, detach_in_backward=False):
    """A custom Function a**2 whose backward is `factor * a * g` (right for factor 2); with
    `detach_in_backward` the first derivative is right but its own derivative is lost."""
    class Square(L.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return factor * (a.detach() if detach_in_backward else a) * g
    return Square


# ---- Variable ---------------------------------------------------------------------------------

def _var(*args, **kwargs):
    def make(L):
        t = L.tensor([1.0, 2.0])
        args2 = [t if a == "t" else L.tensor([1, 2]) if a == "long" else a for a in args]
        kw = {k: t if v == "t" else L.tensor([1, 2]) if v == "long" else v
              for k, v in kwargs.items()}
        return L.autograd.Variable(*args2, **kw)
    return make


@pytest.mark.parametrize("make", [
    _var("t"), _var("t", True), _var("t", requires_grad=True), _var(), _var(None),
    _var("long"), _var("long", False), _var(data="t"), _var("t", 1, name="x"),
    _var("t", requires_grad=2), _var("t", requires_grad=0), _var("t", False, True),
    _var("t", volatile=True), _var("t", volatile=False), _var("t", False, False, None, "n"),
    _var([1, 2]), _var(1), _var("t", True, True), _var("t", requires_grad=True, volatile=True),
    _var("t", foo=1), _var("t", name="x", foo=2), _var("t", False, False, None, "n", 5),
    _var("t", 1, 2, 3, 4, 5, 6, 7), _var(data="t", requires_grad=False, volatile=False,
                                         _grad_fn=None, name="n", foo=1),
    _var("t", name=3), _var("t", name=b"x"), _var("t", name="n\0"), _var("t", _grad_fn=3),
    _var("long", requires_grad=True), _var("t", requires_grad=None),
    _var("t", requires_grad=2.5), _var("t", requires_grad=300), _var("t", requires_grad=-1),
    _var("t", requires_grad=1 << 70), _var("t", data="t"), _var("t", None),
    _var([1], volatile=True, requires_grad=True), _var([1], _grad_fn=3),
], ids=lambda f: "")
def test_variable_constructor(make):
    _same(make)


def test_variable_semantics():
    """A detached plain Tensor sharing data and version counter; a leaf; isinstance."""
    def run(L):
        class Double(L.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2
        V = L.autograd.Variable
        p = L.nn.Parameter(L.ones(2))
        x = L.tensor([1.0, -1.0], requires_grad=True)
        y = x * 3
        v = V(y)
        with L.no_grad():
            y.add_(1)  # shared data and version counter
        leaf = V(y, requires_grad=True)
        leaf.sum().backward()
        errors = []
        for bad in (lambda: V(L.ones(2), _grad_fn=Double.apply(x).grad_fn),
                    lambda: V(L.ones(2), _grad_fn=y.grad_fn)):
            try:
                bad()
            except (RuntimeError, TypeError) as e:
                errors.append((type(e).__name__, str(e)))
        with L.no_grad():
            under_no_grad = V(L.ones(2), requires_grad=True).requires_grad
        return (v, v._version, v.is_leaf, type(V(p)).__name__, V(p).requires_grad, leaf,
                leaf.is_leaf, leaf.grad, V(x, requires_grad=True) is x, V(x).requires_grad,
                V(L.ones(2), name="n").name, L.ones(2).name, under_no_grad, errors,
                [isinstance(o, V) for o in (x, p, y, 1, [x])], issubclass(L.Tensor, V),
                V.__name__, type(V).__name__)
    _same(run)


def test_variable_default_dtype():
    def run(L):
        prev = L.get_default_dtype()
        L.set_default_dtype(L.float64)
        try:
            return L.autograd.Variable()
        finally:
            L.set_default_dtype(prev)
    _same(run)


# ---- gradcheck / gradgradcheck ------------------------------------------------------------

def _gc(fn, *arrays, dtype="float64", gg=False, **kw):
    def run(L):
        L.manual_seed(0)  # gradgradcheck draws its grad_outputs
        ins = tuple(_t(L, a, dtype) for a in arrays)
        check_fn = L.autograd.gradgradcheck if gg else L.autograd.gradcheck
        return check_fn(lambda *t: fn(L, *t), ins, **kw)
    return run


A = X[:, :2].copy()
B = X[:, 1:].T.copy()
GRADCHECKS = {
    "polynomial": _gc(lambda L, t: t ** 3 - 2 * t * t + 1, X),
    "polynomial-fast": _gc(lambda L, t: t ** 3 - 2 * t * t + 1, X, fast_mode=True),
    "matmul": _gc(lambda L, a, b: a @ b, A, B),
    "matmul-fast": _gc(lambda L, a, b: a @ b, A, B, fast_mode=True),
    "outputs": _gc(lambda L, a, b: (a * b.t(), a.sin().sum(0), b), A, B),
    "non-differentiable": _gc(lambda L, t: (t * 2, t.sum()), X),
    "int-output-last": _gc(lambda L, t: (t * 2, t.argmax()), X),
    "int-output-first": _gc(lambda L, t: (t.argmax(), t * 2), X),  # torch: IndexError
    "int-output-shapes": _gc(lambda L, t: (t.argmax(0), t * 2), X),  # torch: a size error
    "int-only": _gc(lambda L, t: t.argmax(), X),
    "detached": _gc(lambda L, t: t.detach() * 2, X),
    "detached-fast": _gc(lambda L, t: t.detach() * 2, X, fast_mode=True),
    "custom": _gc(lambda L, t: _square(L).apply(t), X),
    "custom-wrong": _gc(lambda L, t: _square(L, 3.0).apply(t), X),
    "custom-wrong-false": _gc(lambda L, t: _square(L, 3.0).apply(t), X, raise_exception=False),
    "custom-wrong-fast": _gc(lambda L, t: _square(L, 3.0).apply(t), X, fast_mode=True),
    "float32": _gc(lambda L, t: t ** 3, X, dtype="float32", raise_exception=False),
    "float32-loose": _gc(lambda L, t: t * 3, X, dtype="float32", eps=1e-2, atol=1e-2),
    "tolerance": _gc(lambda L, t: t.exp(), X, eps=1e-2, atol=0.0, rtol=1e-6),
    "gg-polynomial": _gc(lambda L, t: t ** 3 + t.sin(), X[0], gg=True),
    "gg-matmul": _gc(lambda L, a, b: a @ b, A, B, gg=True),
    "gg-custom-wrong": _gc(lambda L, t: _square(L, detach_in_backward=True).apply(t), X[0],
                           gg=True),
    "gg-custom-wrong-false": _gc(lambda L, t: _square(L, detach_in_backward=True).apply(t),
                                 X[0], gg=True, raise_exception=False),
}


def _digits(text: str) -> str:
    # fast mode's v^T J u sums in another order than torch's: the last digit or two differ
    return re.sub(r"-?\d+\.\d{8,}", lambda m: f"{float(m.group()):.10g}", text)


@pytest.mark.parametrize("name", list(GRADCHECKS))
def test_gradcheck(name):
    _same(GRADCHECKS[name], message=_digits if "fast" in name else True)


def test_gradgradcheck_random_grad_outputs():
    """Without grad_outputs gradgradcheck draws them from the global generator: the same
    numbers, hence the same (failing) message."""
    def run(L):
        L.manual_seed(3)
        t = _t(L, X[0])
        return L.autograd.gradgradcheck(_square(L, detach_in_backward=True).apply, t,
                                        gen_non_contig_grad_outputs=True)
    _same(run)


def test_gradcheck_undefined_grad():
    def run(L):
        class Strict(L.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.set_materialize_grads(False)
                return a * 2

            @staticmethod
            def backward(ctx, g):
                if g is None:
                    raise RuntimeError("undefined grad")
                return g * 2
        return L.autograd.gradcheck(Strict.apply, _t(L, X), check_undefined_grad=False)
    _same(run)


@pytest.mark.parametrize("make", [
    lambda L: L.autograd.gradcheck(lambda t: t * 2, _t(L, grad=False)),
    lambda L: L.autograd.gradcheck(lambda t: t * 2, _t(L)[0].expand(2, 3)),
    lambda L: L.autograd.gradcheck(lambda t: t * 2, _t(L), check_backward_ad=False),
    lambda L: L.autograd.gradgradcheck(lambda t: t * 2, _t(L), check_rev_over_rev=False),
    lambda L: L.autograd.gradgradcheck(lambda t: t * 2, _t(L), check_batched_grad=True,
                                       check_rev_over_rev=False, check_undefined_grad=False,
                                       check_fwd_over_rev=True),
    lambda L: L.autograd.gradcheck(lambda t: t * 2, [_t(L), 3]),
], ids=lambda f: "")
def test_gradcheck_argument_errors(make):
    _same(make)


def test_gradcheck_module_names():
    def run(L):
        from importlib import import_module
        m = import_module(L.__name__ + ".autograd.gradcheck")
        # the function shadows its module in torch.autograd, as in torch
        return (issubclass(m.GradcheckError, RuntimeError), m.gradcheck.__name__,
                type(L.autograd.gradcheck).__name__, sorted(m.__all__))
    _same(run)


# ---- anomaly mode -------------------------------------------------------------------------

def _anomaly_api(L):
    return L  # torch.is_anomaly_enabled, torch.set_anomaly_enabled, ...


def _flags(L):
    api = _anomaly_api(L)
    return api.is_anomaly_enabled(), api.is_anomaly_check_nan_enabled()


@pytest.fixture
def anomaly_off():
    yield
    torch.autograd.set_detect_anomaly(False)
    torchlike.autograd.set_detect_anomaly(False)


def test_anomaly_flags(anomaly_off):
    def run(L):
        seen = [_flags(L)]
        L.autograd.set_detect_anomaly(True, check_nan=False)
        seen.append(_flags(L))
        with L.autograd.set_detect_anomaly(False):
            seen.append(_flags(L))
        seen.append(_flags(L))
        d = L.autograd.detect_anomaly()  # warns here, before entering
        seen.append(_flags(L))
        with d:
            seen.append(_flags(L))
        seen.append(_flags(L))
        L.autograd.set_detect_anomaly(False)
        thread = threading.Thread(target=lambda: L.autograd.set_detect_anomaly(True))
        thread.start()
        thread.join()
        seen.append(_flags(L))  # one process-wide flag: the thread's setting holds here
        L.autograd.set_detect_anomaly(False)
        return seen
    _same(run)


@pytest.mark.parametrize("make", [
    lambda L: L.autograd.detect_anomaly()(lambda: 1),
    lambda L: L.autograd.set_detect_anomaly(False)(lambda: 1),
    lambda L: L.autograd.set_detect_anomaly(),
    lambda L: L.autograd.set_detect_anomaly("x"),
    lambda L: L.autograd.set_detect_anomaly(True, check_nan=1),
    lambda L: _anomaly_api(L).set_anomaly_enabled(1),
], ids=lambda f: "")
def test_anomaly_errors(make, anomaly_off):
    _same(make, message=lambda m: re.sub(r"\.__init__\(\)", "()", m))


def _nan_graphs(L, kind):
    x = L.tensor([-1.0, 1.0], requires_grad=True)
    if kind == "sqrt":
        x.sqrt().sum().backward()
    elif kind == "sqrt-times-zero":
        (L.tensor([0.0, 1.0], requires_grad=True).sqrt() * 0).sum().backward()
    elif kind == "mul-nan":
        (x * float("nan")).sum().backward()
    elif kind == "grad-output-nan":
        (x * 2).backward(L.tensor([float("nan"), 1.0]))
    elif kind == "second-input":
        (L.tensor([1.0, 2.0], requires_grad=True) * x.sqrt()).sum().backward()
    elif kind == "grad":
        return L.autograd.grad(x.sqrt().sum(), x)
    elif kind == "double-backward":  # the nan comes from a node a backward recorded
        x = L.tensor([0.0, 1.0], requires_grad=True)
        g, = L.autograd.grad(x.pow(3).sum(), x, create_graph=True)
        (g.sqrt() - 1).sum().backward()
    elif kind == "inf-no-nan":
        L.tensor([0.0, 1.0], requires_grad=True).log().sum().backward()
    elif kind == "custom":
        class NanBackward(L.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g * float("nan")
        NanBackward.apply(x).sum().backward()
    elif kind == "custom-raises":
        class Raises(L.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                raise ValueError("boom")
        Raises.apply(x).sum().backward()
    return x.grad


NAN_KINDS = ["sqrt", "sqrt-times-zero", "mul-nan", "grad-output-nan", "second-input", "grad",
             "double-backward", "inf-no-nan", "custom", "custom-raises"]


def _first_line_and_last(text: str) -> str:
    # the forward stack's frames may differ (torch's ends in its own Function.apply for a
    # custom Function, torchlike leaves its frames out): its first line and the trailer
    lines = text.split("\n")
    return "\n".join(lines[:1] + lines[-1:])


@pytest.mark.parametrize("mode", ["off", "on", "on-no-nan-check"])
@pytest.mark.parametrize("kind", NAN_KINDS)
def test_anomaly_backward(kind, mode, anomaly_off):
    def run(L):
        if mode != "off":
            L.autograd.set_detect_anomaly(True, check_nan=mode == "on")
        return _nan_graphs(L, kind)
    _same(run, warning=_first_line_and_last)


def test_anomaly_without_forward_stack(anomaly_off):
    """Forward outside anomaly mode, backward inside: torch has no stack to show."""
    def run(L):
        x = L.tensor([-1.0, 1.0], requires_grad=True)
        y = x.sqrt()
        with L.autograd.set_detect_anomaly(True):
            z = y * 2
            keys = (list(y.grad_fn.metadata), list(z.grad_fn.metadata))
            y.sum().backward()
        return keys
    _same(run)


# ---- checkpoint -------------------------------------------------------------------------------

def _region(L, x, w):
    return (x.sin() * w).exp().sum(1)


@pytest.mark.parametrize("reentrant", [True, False, None])
def test_checkpoint_matches_plain(reentrant):
    """Output, grad_fn and gradients (also numerically) as torch's, next to the computation
    without checkpoint (its output compared too, and its gradients summed in)."""
    def fn(L, x, w):
        kw = {} if reentrant is None else {"use_reentrant": reentrant}
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            out = L.utils.checkpoint.checkpoint(_region, L, x, w, **kw)
        return out, _region(L, x, w)
    check(fn, R.standard_normal((2, 3)), R.standard_normal(3))


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("preserve", [True, False])
def test_checkpoint_dropout_mask(reentrant, preserve):
    """The recomputation replays the forward's random numbers (preserve_rng_state); without,
    it draws new ones, as torch's does (torchlike's generator is torch's)."""
    def run(L):
        L.manual_seed(7)
        x = _t(L, XD, "float32")
        w = L.tensor(np.linspace(0.5, 1.5, 5), dtype=L.float32, requires_grad=True)

        def region(a):
            return L.nn.functional.dropout(a * w, 0.5, training=True).tanh()
        out = L.utils.checkpoint.checkpoint(region, x, use_reentrant=reentrant,
                                            preserve_rng_state=preserve)
        after_forward = L.rand(3)
        out.sum().backward()
        return out, x.grad, w.grad, after_forward, L.rand(3)
    _same(run)


def test_checkpoint_recomputes_once_per_backward():
    def run(L):
        counts = []
        for reentrant in (True, False):
            calls = [0]

            def fn(t):
                calls[0] += 1
                return t.sin() * 2
            x = _t(L, X[0])
            out = L.utils.checkpoint.checkpoint(fn, x, use_reentrant=reentrant)
            out.sum().backward(retain_graph=True)
            out.sum().backward()
            counts.append((calls[0], x.grad))
        return counts
    _same(run)


def _outputs_fn(L, t):
    return t * 2, t.argmax(), 3


@pytest.mark.parametrize("make", [
    lambda L: L.utils.checkpoint.checkpoint(_region, L, _t(L, X), _t(L, X[0]),
                                            use_reentrant=True),
    lambda L: L.utils.checkpoint.checkpoint(_region, L, _t(L, X, grad=False),
                                            _t(L, X[0], grad=False), use_reentrant=True),
    lambda L: L.utils.checkpoint.checkpoint(_region, L, _t(L, X, grad=False),
                                            _t(L, X[0], grad=False), use_reentrant=False),
    lambda L: L.utils.checkpoint.checkpoint(lambda t, y=None: t * y, _t(L), y=2.0,
                                            use_reentrant=False),
    lambda L: L.utils.checkpoint.checkpoint(lambda t, y=None: t * y, _t(L), y=2.0,
                                            use_reentrant=True),
    lambda L: L.utils.checkpoint.checkpoint(lambda t: t, _t(L), use_reentrant=True, debug=True),
    lambda L: L.utils.checkpoint.checkpoint(lambda t: t, _t(L), use_reentrant=True,
                                            context_fn=lambda: None),
    lambda L: L.utils.checkpoint.checkpoint(lambda t: t, _t(L), use_reentrant=False,
                                            determinism_check="x"),
    lambda L: L.utils.checkpoint.checkpoint(lambda t: t, _t(L), use_reentrant=False,
                                            debug=True, context_fn=lambda: 1),
    lambda L: L.utils.checkpoint.checkpoint(lambda t: t * 2, _t(L), use_reentrant=False,
                                            preserve_rng_state=False, foo=1),
    lambda L: L.utils.checkpoint.checkpoint(_outputs_fn, L, _t(L), use_reentrant=True),
    lambda L: L.utils.checkpoint.checkpoint(_outputs_fn, L, _t(L), use_reentrant=False),
    lambda L: L.utils.checkpoint.checkpoint(lambda t: t, _t(L), use_reentrant=True),
    lambda L: L.utils.checkpoint.detach_variable([_t(L)]),
], ids=lambda f: "")
def test_checkpoint_calls(make):
    _same(make, message=lambda m: m.replace("<lambda>", "fn"))


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("case", ["identity", "no-grad-output", "inplace-input", "no-grad-mode",
                                  "outputs"])
def test_checkpoint_backward(case, reentrant):
    def run(L):
        a = _t(L, X)
        x = a * 1
        fn = {"identity": lambda t: t, "no-grad-output": lambda t: t.detach() + 0,
              "outputs": lambda t: (t.exp(), t.argmax(), t[0] * 2, "s")}.get(
            case, lambda t: t.sin() * 2)
        if case == "no-grad-mode":
            with L.no_grad():
                out = L.utils.checkpoint.checkpoint(fn, x, use_reentrant=reentrant)
            return out, out.requires_grad
        out = L.utils.checkpoint.checkpoint(fn, x, use_reentrant=reentrant)
        if case == "inplace-input":
            with L.no_grad():
                x.mul_(2)
        if case == "outputs":
            (out[0].sum() + out[2].sum()).backward()
            return out, a.grad
        out.sum().backward()
        return out, a.grad
    _same(run)


def test_checkpoint_sequential():
    def run(L):
        seq = L.nn.Sequential(L.nn.Tanh(), L.nn.Softplus(), L.nn.Sigmoid(), L.nn.ELU())
        fns = [lambda t: t.sin(), lambda t: t * 3, lambda t: t.exp(), lambda t: t.cos()]
        results = []
        for functions, segments, kw in ((seq, 2, {}), (seq, 2, {"use_reentrant": False}),
                                        (fns, 3, {"use_reentrant": True}),
                                        (fns, 4, {"use_reentrant": False,
                                                  "preserve_rng_state": False})):
            x = _t(L, X)
            out = L.utils.checkpoint.checkpoint_sequential(functions, segments, x, **kw)
            out.sum().backward()
            results.append((out, x.grad))
        return results
    _same(run)


@pytest.mark.parametrize("make", [
    lambda L: L.utils.checkpoint.checkpoint_sequential([L.sin, L.cos], 5, _t(L),
                                                       use_reentrant=False),
    lambda L: L.utils.checkpoint.checkpoint_sequential([L.sin, L.cos], 0, _t(L),
                                                       use_reentrant=False),
    lambda L: L.utils.checkpoint.checkpoint_sequential([L.sin, L.cos], 2, _t(L),
                                                       use_reentrant=False, foo=1),
], ids=lambda f: "")
def test_checkpoint_sequential_errors(make):
    _same(make)


@pytest.mark.parametrize("case", ["double-backward", "nested", "function-inside",
                                  "recompute-runs-on", "context-fn"])
def test_checkpoint_non_reentrant_graphs(case):
    """Double backward through the region, a checkpoint inside a checkpoint (two backwards),
    a custom Function in the region, a recomputation that records more than the forward
    (early stop: the forward's values are all found before the extra op), context_fn's
    managers around the forward and the recomputation."""
    def run(L):
        cp = L.utils.checkpoint.checkpoint
        x = _t(L, X[0])
        calls = [0]

        def f(t):
            calls[0] += 1
            return (t.sin() * t).exp() if calls[0] == 1 or case != "recompute-runs-on" \
                else (t.sin() * t).exp().cos()
        if case == "double-backward":
            g, = L.autograd.grad(cp(f, x, use_reentrant=False).sum(), x, create_graph=True)
            return g, L.autograd.grad(g.sum(), x)
        if case == "nested":
            y = cp(lambda t: cp(f, t * 2, use_reentrant=False).cos(), x, use_reentrant=False)
            first = L.autograd.grad(y.sum(), x, retain_graph=True)
            y.sum().backward()
            return first, x.grad, calls[0]
        if case == "function-inside":
            y = cp(lambda t: _square(L).apply(t.sin()).exp(), x, use_reentrant=False)
            return y, L.autograd.grad(y.sum(), x)
        if case == "context-fn":
            log = []

            @contextlib.contextmanager
            def logged(name):  # torch leaves the recomputation early, by an exception
                log.append(f"enter {name} {calls[0]}")
                try:
                    yield
                finally:
                    log.append(f"exit {name} {calls[0]}")
            y = cp(f, x, use_reentrant=False,
                   context_fn=lambda: (logged("forward"), logged("recompute")))
            log.append("backward")
            return y, L.autograd.grad(y.sum(), x), log
        y = cp(f, x, use_reentrant=False)
        return y, L.autograd.grad(y.sum(), x), calls[0]
    _same(run)


def test_gradcheck_jacobian_helpers():
    """The module's deprecated Jacobian functions (FutureWarning) and the one it keeps."""
    def run(L):
        from importlib import import_module
        m = import_module(L.__name__ + ".autograd.gradcheck")
        a, b = _t(L, A), _t(L, B)
        out = (a @ b).sin()
        return (m.get_numerical_jacobian(lambda ins: (ins[0] @ ins[1]).sin(), (a, b), eps=1e-6),
                m.get_analytical_jacobian((a, b), out),
                m.get_numerical_jacobian_wrt_specific_input(lambda x, y: (x * y.sum(),), 1,
                                                            (a, b), (a * b.sum(),), 1e-6))
    _same(run, rtol=1e-9)  # central differences turn a 1-ulp difference into 1e-16 / eps


# ---- custom Function: what the engine does with its gradients ---------------------------------

def _fn_class(L, backward, forward=lambda ctx, a, k, b: a * k + b, materialize=True):
    """A Function with forward(a, k, b) and the given backward; backward's calls recorded."""
    calls = []

    class Fn(L.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            ctx.set_materialize_grads(materialize)
            return forward(ctx, *args)

        @staticmethod
        def backward(ctx, *grads):
            calls.append(grads)
            return backward(L, *grads)
    return Fn, calls


# backward(L, g) -> the gradients for (a, k, b); a is float32 (2,), b float32 (2,)
_RETURNS = {
    "float64": lambda L, g: (g.double() * 3, None, g),
    "float16": lambda L, g: (g.half(), None, g),
    "int64": lambda L, g: (L.ones(2, dtype=L.int64), None, g),
    "bool": lambda L, g: (g, None, L.ones(2, dtype=L.bool)),
    "complex": lambda L, g: (L.ones(2, dtype=L.complex64), None, g),
    "sum-leading": lambda L, g: (L.ones(3, 2), None, g),
    "sum-ones": lambda L, g: (g, None, L.ones(1, 2) * 4),
    "bad-shape": lambda L, g: (g, None, L.ones(3)),
    "bad-shape-0d": lambda L, g: (g, None, L.tensor(2.0)),
    "bad-shape-2x1": lambda L, g: (L.ones(2, 1), None, g),
    "not-tensor": lambda L, g: (1.5, None, g),
    "list": lambda L, g: ([1.0], None, g),
    "numpy": lambda L, g: (np.ones(2), None, g),
    "grad-for-number": lambda L, g: (g, 2.0, g),
    "too-few": lambda L, g: (g, None),
    "too-many": lambda L, g: (g, None, g, g),
    "extra-none": lambda L, g: (g, None, g, None),
    "ignored-for-no-grad-input": lambda L, g: (g, None, L.ones(5)),
}


@pytest.mark.parametrize("case", list(_RETURNS))
def test_function_gradient_checks(case):
    """Gradients are summed to the input's shape and cast to its dtype, or torch's error."""
    def run(L):
        Fn, _ = _fn_class(L, _RETURNS[case])
        a = L.ones(2, requires_grad=True)
        b = L.full((2,), 2.0, requires_grad=case != "ignored-for-no-grad-input")
        Fn.apply(a * 1, 3.0, b).sum().backward()
        return a.grad, b.grad
    _same(run)


def test_function_gradient_cast_through_grad_and_double():
    def run(L):
        Fn, _ = _fn_class(L, lambda L, g: (g.float() * 2, None, None))
        a = L.ones(2, dtype=L.float64, requires_grad=True)
        first = L.autograd.grad(Fn.apply(a, 1.0, L.zeros(2)).sum(), a)
        Fn, _ = _fn_class(L, lambda L, g: (g.double() * 2, None, None))
        b = L.ones(2, requires_grad=True)
        out = L.autograd.grad(Fn.apply(b * b, 1.0, L.zeros(2)).sum(), b, create_graph=True)
        return first, out, out[0].requires_grad
    _same(run)


@pytest.mark.parametrize("materialize", [True, False])
def test_function_backward_runs_without_gradients(materialize):
    """A Function no gradient reaches still has its backward called (with zeros, or None
    when set_materialize_grads(False)), and what it returns flows on."""
    def run(L):
        Fn, calls = _fn_class(
            L, lambda L, g: (L.full((2,), 7.0) if g is None else g * 2, None, None),
            materialize=materialize)
        Drop, drops = _fn_class(L, lambda L, g: (None, None, None),
                                forward=lambda ctx, a, k, b: a * 1)
        x = L.ones(2, requires_grad=True)
        y = Drop.apply(Fn.apply(x, 2.0, L.zeros(2)), 1.0, L.zeros(2))
        (y.sum() + x.sum()).backward()
        return calls, drops, x.grad
    _same(run)


@pytest.mark.parametrize("materialize", [True, False])
@pytest.mark.parametrize("used", [1, 3])
def test_function_non_tensor_outputs(used, materialize):
    """forward may return numbers and strings among its tensors: output_nr counts every
    output, and backward gets None for the non-tensor ones."""
    def run(L):
        Fn, calls = _fn_class(
            L, lambda L, g0, g1, g2, g3: (sum(g for g in (g1, g3) if g is not None), None,
                                          None),
            forward=lambda ctx, a, k, b: (3, a * 2, "s", a * k), materialize=materialize)
        x = L.ones(2, requires_grad=True)
        out = Fn.apply(x, 3.0, L.zeros(2))
        out[used].sum().backward()
        return (out, [o.output_nr for o in out if isinstance(o, L.Tensor)], calls, x.grad,
                type(out[1].grad_fn).__name__)
    _same(run)


@pytest.mark.parametrize("call", ["grad", "backward-inputs", "backward"])
def test_reentrant_checkpoint_refuses_grad(call):
    def run(L):
        x = _t(L, X)
        out = L.utils.checkpoint.checkpoint(lambda t: t.sin() * 2, x * 1, use_reentrant=True)
        if call == "grad":
            return L.autograd.grad(out.sum(), x)
        out.sum().backward(**({"inputs": [x]} if call == "backward-inputs" else {}))
        return x.grad
    _same(run)


def test_grad_of_a_non_leaf_runs_and_frees_only_the_nodes_above_it():
    """torch's engine runs only the nodes a requested input is reachable from: the graph below a
    non-leaf input (and its hooks) is left alone and a later backward through it works, while
    the nodes above it are freed."""
    def run(L):
        x = L.tensor([0.5, 0.8], requires_grad=True)
        w = L.tensor([0.5, -1.], requires_grad=True)
        h = (x * x).exp()
        fired = []
        h.grad_fn.register_hook(lambda gi, go: fired.append("exp"))
        loss = (h * 3 + w).sum()
        g, = L.autograd.grad(loss, [h])
        (h.sin() * w).sum().backward(inputs=[w])  # the branch to x is left alone again
        (h.sin()).sum().backward()
        wg = w.grad.clone()
        try:  # ExpBackward ran (and freed) in the backward just above
            loss.backward()
            err = None
        except RuntimeError as e:
            err = e
        return g, x.grad, wg, fired, err
    want, got = run(torch), run(torchlike)
    for a, b in zip(want[:3], got[:3]):
        assert_same_tensor(a, b)
    assert want[3] == got[3] == ["exp"]
    assert_same_error(want[4], got[4])
