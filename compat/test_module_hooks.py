"""Module hooks against real torch: backward (full, pre, deprecated), state_dict, global hooks
and missing attributes; the hooks' arguments, their order, replacements' effect, warnings."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import torchlike
from _helper import assert_same, assert_same_error, check_raises

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 2)).astype(np.float32)
W = {"0.weight": RNG.standard_normal((3, 2)).astype(np.float32),
     "0.bias": RNG.standard_normal(3).astype(np.float32)}
RNG_X = RNG.standard_normal(36).astype(np.float32)


def _mod(lib, name):
    """Linear / ReLU / Sequential(Linear, ReLU) with the same weights in both libraries."""
    if name == "relu":
        return lib.nn.ReLU()
    seq = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU())
    seq.load_state_dict({k: lib.tensor(v) for k, v in W.items()})
    return seq if name == "seq" else seq[0]


def _both(fn):
    """fn(lib) under torch, then torchlike, each with warnings recorded: compare everything."""
    out = []
    for lib in (torch, torchlike):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            res = fn(lib)
        out.append((res, [(c.category.__name__, str(c.message)) for c in w]))
    assert_same(out[0], out[1])


class Two(object):
    """A module class built per library: forward(a, b, k) -> (a * b, a + k)."""

    @staticmethod
    def make(lib):
        class M(lib.nn.Module):
            def forward(self, a, b, k):
                return a * b, a + k
        return M()


def _grad_fn(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def test_full_backward_and_pre_hooks():
    def run(lib):
        calls = []
        m = Two.make(lib)
        m.register_full_backward_hook(lambda mod, gi, go: calls.append(("full", gi, go)))
        m.register_full_backward_pre_hook(lambda mod, go: calls.append(("pre", go)))
        m.register_full_backward_pre_hook(lambda mod, go: calls.append(("pre0", go)),
                                          prepend=True)
        a = lib.tensor(X[0], requires_grad=True)
        b = lib.tensor(X[1])
        o1, o2 = m(a, b, 3)
        names = [_grad_fn(o1), _grad_fn(o2), [f[0].name() for f in o1.grad_fn.next_functions]]
        (o1 * lib.tensor(X[2])).sum().backward()
        return calls, names, a.grad
    _both(run)


def test_full_backward_hook_replacements():
    def run(lib):
        calls = []
        m = Two.make(lib)
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2, go[1]))
        m.register_full_backward_hook(lambda mod, gi, go: calls.append(("h1", gi, go)))
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 1, gi[1], gi[2]))
        m.register_full_backward_hook(lambda mod, gi, go: calls.append(("h3", gi)),
                                      prepend=True)
        a = lib.tensor(X[0], requires_grad=True)
        b = lib.tensor(X[1], requires_grad=True)
        o1, o2 = m(a, b, 3)
        (o1.sum() + (o2 * 3).sum()).backward()
        return calls, a.grad, b.grad
    _both(run)


def test_full_backward_hook_no_input_requires_grad():
    def run(lib):
        calls = []
        m = _mod(lib, "linear")
        m.register_full_backward_hook(lambda mod, gi, go: calls.append((gi, go)))
        m(lib.tensor(X)).sum().backward()
        return calls, m.weight.grad
    _both(run)


def test_full_backward_hook_wrong_count():
    def run(lib):
        m = Two.make(lib)
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0],))
        o1, _ = m(lib.tensor(X[0], requires_grad=True), lib.tensor(X[1]), 1)
        o1.sum().backward()
    check_raises(lambda lib: run(lib))


@pytest.mark.parametrize("name", ["relu", "seq", "linear"])
def test_deprecated_backward_hook(name):
    def run(lib):
        calls = []
        m = _mod(lib, name)

        def hook(mod, gi, go):
            calls.append((type(mod).__name__, gi, go))
            return (gi[0] * 2,) + tuple(gi[1:])
        m.register_backward_hook(hook)
        x = lib.tensor(X, requires_grad=True)
        y = m(x)
        y.sum().backward()
        return calls, _grad_fn(y), x.grad
    _both(run)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 2), (2,), (3, 4, 2)])
def test_deprecated_backward_hook_linear_grad_input(bias, shape):
    # addmm / mm hand the gradient of weight.t() (in, out), not of weight; a replaced one
    # reaches the weight transposed back
    def run(lib):
        calls = []
        m = lib.nn.Linear(2, 3, bias=bias)
        m.load_state_dict({k[2:]: lib.tensor(v) for k, v in W.items() if bias or "bias" not in k})

        def hook(mod, gi, go):
            calls.append((gi, go))
            return tuple(None if g is None else g * (i + 2) for i, g in enumerate(gi))
        m.register_backward_hook(hook)
        x = lib.tensor(RNG_X[:int(np.prod(shape))].reshape(shape), requires_grad=True)
        (m(x) * lib.tensor(RNG_X[:int(np.prod(shape)) // 2 * 3].reshape(
            *shape[:-1], 3))).sum().backward()
        return calls, x.grad, m.weight.grad, m.bias.grad if bias else None
    _both(run)


def test_backward_hook_kinds_exclusive():
    def full_then_old(lib):
        m = lib.nn.ReLU()
        m.register_full_backward_hook(lambda *a: None)
        m.register_backward_hook(lambda *a: None)

    def old_then_full(lib):
        m = lib.nn.ReLU()
        m.register_backward_hook(lambda *a: None)
        m.register_full_backward_hook(lambda *a: None)
    check_raises(full_then_old)
    check_raises(old_then_full)


def test_state_dict_hooks():
    def run(lib):
        calls = []
        m = _mod(lib, "seq")
        for i, sub in enumerate((m, m[0])):
            sub.register_state_dict_pre_hook(
                lambda mod, prefix, keep, i=i: calls.append(("pre", i, prefix, keep)))
            sub.register_state_dict_post_hook(
                lambda mod, sd, prefix, meta, i=i: calls.append(("post", i, list(sd), prefix,
                                                                 dict(meta))))
        h = m[0]._register_state_dict_hook(lambda mod, sd, prefix, meta: {"x": 1})
        sd = m.state_dict(prefix="p.", keep_vars=True)
        h.remove()
        h = m._register_state_dict_hook(lambda mod, sd, prefix, meta: {"y": 2})
        root = m.state_dict()
        h.remove()
        return calls, list(sd), root
    _both(run)


def test_state_dict_post_hook_must_return_none():
    def run(lib):
        m = lib.nn.ReLU()
        m.register_state_dict_post_hook(lambda *a: {})
        m.state_dict()
    check_raises(run)

    def twice(lib):
        m = lib.nn.ReLU()

        def hook(*a):
            return None
        m.register_state_dict_post_hook(hook)
        m._register_state_dict_hook(hook)
    check_raises(twice)


def test_load_state_dict_hooks():
    def run(lib):
        calls = []
        m = _mod(lib, "seq")
        sd = {k: lib.tensor(v) for k, v in W.items()}
        sd["extra"] = lib.tensor(1.0)

        def pre(mod, state, prefix, meta, strict, missing, unexpected, errors, i=0):
            calls.append(("pre", i, type(mod).__name__, sorted(state), prefix, strict,
                          list(missing), list(unexpected), list(errors)))

        def private(state, prefix, meta, strict, missing, unexpected, errors):
            calls.append(("private", prefix, sorted(state)))

        def post(mod, keys, i=0):
            calls.append(("post", i, list(keys.missing_keys), list(keys.unexpected_keys)))
            keys.unexpected_keys.clear()

        m.register_load_state_dict_pre_hook(pre)
        m[0].register_load_state_dict_pre_hook(lambda *a: pre(*a, i=1))
        m[0]._register_load_state_dict_pre_hook(private)
        m.register_load_state_dict_post_hook(post)
        m[0].register_load_state_dict_post_hook(lambda mod, k: post(mod, k, i=1))
        res = m.load_state_dict(sd)
        return calls, list(res.missing_keys), list(res.unexpected_keys)
    _both(run)

    def returns(lib):
        m = lib.nn.ReLU()
        m.register_load_state_dict_post_hook(lambda mod, keys: 1)
        m.load_state_dict({})
    check_raises(returns)


def test_global_forward_hooks():
    import torchlike.nn.modules.module as tl_module
    import torch.nn.modules.module as t_module

    def run(lib):
        mm = t_module if lib is torch else tl_module
        calls = []
        m = _mod(lib, "seq")
        m.register_forward_pre_hook(lambda mod, args: calls.append(("own pre",
                                                                     type(mod).__name__)))
        m.register_forward_hook(lambda mod, args, out: calls.append(("own fwd",
                                                                     type(mod).__name__)))
        handles = [
            mm.register_module_forward_pre_hook(
                lambda mod, args: calls.append(("pre", type(mod).__name__, args))),
            mm.register_module_forward_hook(
                lambda mod, args, kw, out: calls.append(("fwd", type(mod).__name__, kw, out)),
                with_kwargs=True),
            mm.register_module_forward_hook(
                lambda mod, args, out: out * 2 if isinstance(mod, lib.nn.ReLU) else None),
        ]
        try:
            y = m(lib.tensor(X))
        finally:
            for h in handles:
                h.remove()
        z = m(lib.tensor(X))
        return calls, y, z
    _both(run)


def test_global_always_call_hook():
    import torchlike.nn.modules.module as tl_module
    import torch.nn.modules.module as t_module

    def run(lib):
        mm = t_module if lib is torch else tl_module
        calls = []

        def boom(mod, args, out):
            calls.append(("always", type(mod).__name__, out))
            raise ValueError("hook")
        h = mm.register_module_forward_hook(boom, always_call=True)
        m = lib.nn.Linear(2, 3)
        try:
            m(lib.tensor(X[0, :1]))
        except RuntimeError as e:
            calls.append(type(e).__name__)
        finally:
            h.remove()
        return calls
    _both(run)


def test_global_backward_hooks():
    import torchlike.nn.modules.module as tl_module
    import torch.nn.modules.module as t_module

    def run(lib):
        mm = t_module if lib is torch else tl_module
        calls = []
        m = _mod(lib, "seq")
        m[1].register_full_backward_hook(lambda mod, gi, go: calls.append(("own", gi)))
        handles = [
            mm.register_module_full_backward_pre_hook(
                lambda mod, go: calls.append(("gpre", type(mod).__name__, go))),
            mm.register_module_full_backward_hook(
                lambda mod, gi, go: calls.append(("gfull", type(mod).__name__, gi, go))),
        ]
        x = lib.tensor(X, requires_grad=True)
        try:
            y = m(x)
            names = _grad_fn(y)
            y.sum().backward()
        finally:
            for h in handles:
                h.remove()
        return calls, names, x.grad
    _both(run)

    def mixed(lib):
        mm = t_module if lib is torch else tl_module
        h = mm.register_module_full_backward_hook(lambda *a: None)
        try:
            mm.register_module_backward_hook(lambda *a: None)
        finally:
            h.remove()
    check_raises(mixed)


def test_global_registration_hooks():
    import torchlike.nn.modules.module as tl_module
    import torch.nn.modules.module as t_module

    def run(lib):
        mm = t_module if lib is torch else tl_module
        calls = []
        handles = [
            mm.register_module_parameter_registration_hook(
                lambda mod, name, p: calls.append(("param", type(mod).__name__, name))),
            mm.register_module_buffer_registration_hook(
                lambda mod, name, b: (calls.append(("buffer", name, b)), b * 2)[1]),
            mm.register_module_module_registration_hook(
                lambda mod, name, sub: calls.append(("module", name, type(sub).__name__))),
        ]
        try:
            m = lib.nn.Sequential(lib.nn.Linear(2, 1))
            m.register_buffer("buf", lib.tensor(X[0]))
            m.extra = lib.nn.ReLU()
        finally:
            for h in handles:
                h.remove()
        m.register_buffer("after", lib.tensor(X[1]))
        return calls, m.buf, m.after
    _both(run)


def test_missing_module_attribute():
    m = torchlike.nn.Linear(2, 2)
    with pytest.raises(NotImplementedError, match=r"torch\.nn\.Module\.set_submodule is not"):
        m.set_submodule
    assert not hasattr(m, "xpu")  # also an AttributeError, so feature probes answer False
    check_raises(lambda lib: lib.nn.Linear(2, 2).foo)


def test_global_hooks_removed():
    for name in ("_global_forward_pre_hooks", "_global_forward_hooks",
                 "_global_backward_hooks", "_global_backward_pre_hooks", "_global_call_hooks"):
        assert_same(len(getattr(torch.nn.modules.module, name, {})),
                    len(getattr(torchlike.nn.modules.module, name)), name)


def test_error_in_forward_with_hooks():
    def run(lib):
        m = lib.nn.Linear(2, 3)
        m.register_forward_hook(lambda *a: None, always_call=True)
        m.register_full_backward_hook(lambda *a: None)
        m(lib.tensor(X[:, :1], requires_grad=True))
    want = got = None
    try:
        run(torch)
    except RuntimeError as e:
        want = e
    try:
        run(torchlike)
    except RuntimeError as e:
        got = e
    assert_same_error(want, got, message=False)
