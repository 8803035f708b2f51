"""Autograd semantics compared with real torch: node names, next_functions, hooks, retain_grad,
accumulation, higher order, custom Functions, and torch's error types and texts."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _helper import assert_same, assert_same_error

import torchlike

LIBS = (torch, torchlike)


def both(fn):
    """fn(L) under both libraries; returns (torch result, torchlike result)."""
    return fn(torch), fn(torchlike)


def same_values(a, b, tol=1e-6):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = np.asarray(b.detach()._data) if isinstance(b, torchlike.Tensor) else np.asarray(b)
    np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


def backward_outcome(z, x):
    """("ok", x.grad) after z.sum().backward(), or ("error", the message) when it raises."""
    try:
        z.sum().backward()
    except RuntimeError as e:
        return "error", str(e)
    return "ok", repr(x.grad)


def names(node):
    """The graph under a node as nested (name, [children]) — compares structure by name."""
    if node is None:
        return None
    return (type(node).__name__, [(names(n), nr) for n, nr in node.next_functions])


def test_seed_graph_structure_and_grads():
    def run(L):
        x = L.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        out.backward()
        return names(out.grad_fn), repr(x.grad), repr(out), repr(z)
    assert run(torch) == run(torchlike)


@pytest.mark.parametrize("expr", [
    "x + 2", "2 + x", "x - 2", "2 - x", "x * 2", "2 * x", "x / 2", "2 / x", "x ** 2",
    "2 ** x", "x ** x", "-x", "x.sum()", "x.sum(0)", "x.mean()", "x.mean(1)", "x.max()",
    "x.max(0)[0]", "x.exp()", "x.t()", "x.view(-1)", "x.reshape(3, 2)", "x[0]", "x[:, 1:]",
    "x.unsqueeze(0)", "x.squeeze()", "x.abs()", "x.clamp(0, 1)", "x.relu()", "x.sigmoid()",
    "x.tanh()", "x @ x.t()", "x.norm()", "x.transpose(0, 1)", "x.permute(1, 0)",
    "x.float()", "x.double()", "x.clone()", "x.expand(2, 2, 3)", "x.prod()", "x.var()",
    "x.std(1)", "x.flatten()", "torch.cat([x, x])", "torch.stack([x, x], 1)",
    "torch.where(x > 0, x, 0.)", "x.split(1)[1]", "x.unbind(1)[0]",
])
def test_grad_fn_names_and_edges(expr):
    def run(L):
        x = L.tensor([[1.5, -2.0, 3.0], [0.5, 2.5, -1.0]], requires_grad=True)
        y = eval(expr, {"torch": L, "x": x})
        return names(y.grad_fn)
    assert run(torch) == run(torchlike)


def test_accumulation_and_retain_graph():
    def run(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        first = x.grad
        y.backward()
        return repr(x.grad), first is x.grad
    assert run(torch) == run(torchlike)


def test_second_backward_error():
    msgs = []
    for L in LIBS:
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        with pytest.raises(RuntimeError) as e:
            y.backward()
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_backward_twice_through_linear_ops_is_allowed():
    # torch saves no tensors for add/sum, so a second backward works and accumulates.
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x + 2).sum()
        y.backward()
        y.backward()
        return repr(x.grad)
    assert run(torch) == run(torchlike)


@pytest.mark.parametrize("case", ["nonscalar", "int_requires_grad", "leaf_inplace",
                                  "no_grad_fn", "nonleaf_requires_grad_false", "numpy_rg"])
def test_errors_match(case):
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        if case == "nonscalar":
            (x * 2).backward()
        elif case == "int_requires_grad":
            L.ones(2, dtype=L.int64, requires_grad=True)
        elif case == "leaf_inplace":
            x.add_(1)
        elif case == "no_grad_fn":
            L.ones(2).sum().backward()
        elif case == "nonleaf_requires_grad_false":
            (x * 2).requires_grad_(False)
        elif case == "numpy_rg":
            x.numpy()
    errs = []
    for L in LIBS:
        with pytest.raises(Exception) as e:
            run(L)
        errs.append(e.value)
    assert type(errs[0]) is type(errs[1])
    assert str(errs[0]) == str(errs[1])


def test_hooks_and_retain_grad():
    def run(L):
        x = L.ones(3, requires_grad=True)
        y = x * 2
        seen = []
        y.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
        y.retain_grad()
        x.register_hook(lambda g: seen.append(("leaf", g.tolist())))
        (y * y).sum().backward()
        return repr(x.grad), repr(y.grad), seen
    assert run(torch) == run(torchlike)


def test_hook_handle_remove():
    def run(L):
        x = L.ones(2, requires_grad=True)
        h = x.register_hook(lambda g: g * 100)
        h.remove()
        (x * 3).sum().backward()
        return repr(x.grad)
    assert run(torch) == run(torchlike)


def test_autograd_grad_higher_order():
    def run(L):
        x = L.tensor([0.5, 2.0], requires_grad=True)
        y = (x ** 3 + x.sin()).sum()
        g, = L.autograd.grad(y, x, create_graph=True)
        h, = L.autograd.grad(g.sum(), x)
        return g, h, x.grad
    t, lk = run(torch), run(torchlike)
    assert_same(t, lk, rtol=1e-6, atol=0)  # g keeps its graph: grad_fn and requires_grad too


def test_autograd_grad_nonleaf_input_and_unused():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        z = (y * y).sum()
        gy, gx = L.autograd.grad(z, [y, x])
        w = L.tensor([1.0], requires_grad=True)
        try:
            L.autograd.grad((x * 2).sum(), [w])
        except RuntimeError as e:
            err = e
        unused = L.autograd.grad((x * 2).sum(), [w], allow_unused=True)
        materialized = L.autograd.grad((x * 2).sum(), [w, x], materialize_grads=True)
        return (gy, gx, unused, materialized), err
    (want, want_err), (got, got_err) = run(torch), run(torchlike)
    assert_same(want, got, rtol=0, atol=0)
    assert type(got_err) is type(want_err)
    assert_same_error(want_err, got_err)


def test_backward_inputs_argument():
    def run(L):
        a = L.tensor([1.0, 2.0], requires_grad=True)
        b = L.tensor([3.0, 4.0], requires_grad=True)
        (a * b).sum().backward(inputs=[a])
        return repr(a.grad), b.grad
    assert run(torch) == run(torchlike)


def test_custom_function():
    def run(L):
        class Cube(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.save_for_backward(x)
                ctx.k = k
                return x ** 3 * k

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * 3 * x ** 2 * ctx.k, None
        x = L.tensor([1.0, -2.0], requires_grad=True)
        y = Cube.apply(x, 2.0)
        y.sum().backward()
        # <torch.autograd.function.CubeBackward object at ...>, <AccumulateGrad object at ...>
        nodes = [repr(n).split(" at 0x")[0] for n in (y.grad_fn, y.grad_fn.next_functions[0][0])]
        return y, x.grad, y.grad_fn.needs_input_grad, nodes
    assert_same(run(torch), run(torchlike), rtol=0, atol=0)  # repr, grad_fn name (CubeBackward)


def test_custom_function_setup_context():
    def run(L):
        class Mul(L.autograd.Function):
            @staticmethod
            def forward(x, y):
                return x * y

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(*inputs)

            @staticmethod
            def backward(ctx, g):
                x, y = ctx.saved_tensors
                return g * y, g * x
        x = L.tensor([2.0], requires_grad=True)
        y = L.tensor([5.0], requires_grad=True)
        out = Mul.apply(x, y)
        out.sum().backward()
        return out, x.grad, y.grad
    assert_same(run(torch), run(torchlike), rtol=0, atol=0)


def test_grad_modes():
    def run(L):
        x = L.ones(2, requires_grad=True)
        out = []
        with L.no_grad():
            out.append((x * 2).requires_grad)
            with L.enable_grad():
                out.append((x * 2).requires_grad)
        with L.set_grad_enabled(False):
            out.append(L.is_grad_enabled())
        out.append(L.is_grad_enabled())
        with L.inference_mode():
            out.append((x * 2).requires_grad)

        @L.no_grad()
        def f():
            return L.is_grad_enabled()
        out.append(f())
        out.append(L.is_grad_enabled())
        return out
    assert run(torch) == run(torchlike)


def test_data_and_detach_share_values():
    def run(L):
        w = L.ones(3, requires_grad=True)
        w.data.mul_(3)
        d = w.detach()
        d.add_(1)
        return repr(w), w._version, d._version, w.is_leaf, d.requires_grad
    assert run(torch) == run(torchlike)


def test_seed_while_loop_graph_depth():
    # A long chain (deep graph) must not hit recursion limits.
    def run(L):
        x = L.tensor([1e-3, 2e-3], requires_grad=True)
        y = x * 1.0
        for _ in range(3000):
            y = y * 1.001
        y.sum().backward()
        return x.grad.tolist()
    t, lk = run(torch), run(torchlike)
    np.testing.assert_allclose(lk, t, rtol=1e-4)


def test_nonleaf_grad_access_warns():
    for L in LIBS:
        x = L.ones(2, requires_grad=True)
        y = x * 2
        with pytest.warns(UserWarning, match="non-leaf Tensor"):
            assert y.grad is None


def test_detach_and_requires_grad_flags():
    def run(L):
        x = L.ones(2, requires_grad=True)
        y = x * 2
        z = y.detach()
        return (y.is_leaf, z.is_leaf, z.requires_grad, y.requires_grad, x.grad_fn,
                repr(z), repr(x.detach().requires_grad_()))
    assert run(torch) == run(torchlike)


@pytest.mark.parametrize("case", ["nonleaf_mul", "leaf_no_grad", "linear_ok", "out_untouched"])
def test_modified_by_inplace_operation(case):
    def run(L):
        x = L.ones(3, requires_grad=True)
        y = x * 2
        if case == "nonleaf_mul":
            z = y * y
            y.mul_(2)
        elif case == "leaf_no_grad":
            z = x * x
            with L.no_grad():
                x.add_(1)
        elif case == "linear_ok":      # add saves no tensors: modifying its input is fine
            z = y + 1
            y.mul_(2)
        else:                          # the modified tensor is not one the node saved
            z = y * 3
            w = z * 1
            w.add_(1)
        return backward_outcome(z, x)
    assert run(torch) == run(torchlike)


@pytest.mark.parametrize("expr,modify", [
    ("y * 2", "y"), ("2 * y", "y"), ("y * w", "y"), ("y * w", "w"), ("y * v", "y"),
    ("y * v", "v"), ("y / 2", "y"), ("y / w", "y"), ("y / w", "w"), ("w / y", "w"),
    ("w / y", "y"), ("y * y", "y")])
def test_mul_div_save_only_what_the_other_gradient_needs(expr, modify):
    # torch saves a factor only for the other factor's gradient, the divisor always, and the
    # dividend only for the divisor's gradient: the in-place error follows from that
    def run(L):
        x = L.tensor([0.5, 0.7], requires_grad=True)
        y = x * 1
        w = L.tensor([2.0, 4.0])
        v = L.tensor([3.0, 5.0], requires_grad=True) * 1
        z = eval(expr, {"y": y, "w": w, "v": v})
        {"y": y, "w": w, "v": v}[modify].add_(1)
        return backward_outcome(z, x)
    assert run(torch) == run(torchlike)


def test_second_backward_through_mul_by_number_errors():
    def run(L):
        x = L.ones(3, requires_grad=True)
        z = (x * 1) * 2
        z.sum().backward()
        try:
            z.sum().backward()
        except RuntimeError as e:
            return str(e)
        return "ok"
    assert run(torch) == run(torchlike)


def test_hooks_run_newest_node_first():
    # torch's engine runs ready nodes in reverse creation order; so does torchlike's
    def run(L):
        calls = []
        x = L.ones(2, requires_grad=True)
        a = x * 2
        b = x * 3
        c = a * 4
        a.register_hook(lambda g: calls.append("a"))
        b.register_hook(lambda g: calls.append("b"))
        c.register_hook(lambda g: calls.append("c"))
        (c + b).sum().backward()
        return calls, repr(x.grad)
    assert run(torch) == run(torchlike)


def test_leaf_hooks_run_as_soon_as_the_leaf_is_ready():
    # torch runs a leaf's AccumulateGrad (and its hooks) as soon as its last producer has run,
    # before older inner nodes
    def run(L):
        calls = []
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, 4.0], requires_grad=True)
        a = x * 2
        a.register_hook(lambda g: calls.append("a"))
        x.register_hook(lambda g: calls.append("x"))
        w.register_hook(lambda g: calls.append("w"))
        b = (a * w).sin()
        b.register_hook(lambda g: calls.append("b"))
        (b.exp() * x).sum().backward()
        return calls, repr(x.grad), repr(w.grad)
    assert run(torch) == run(torchlike)


@pytest.mark.parametrize("failure", ["freed", "modified"])
@pytest.mark.parametrize("first", [True, False])
def test_leaves_ready_before_a_failing_node_keep_their_gradients(failure, first):
    """torch accumulates into the leaves it reaches before the node that raises."""
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, 4.0], requires_grad=True)
        v = L.tensor([0.5, 1.5], requires_grad=True)
        h = x * x
        if failure == "freed":
            h.sum().backward()
        else:
            x.grad = None
        bad = h * v
        if failure == "modified":
            h.add_(1)
        other = (w * 3).sin().sum()
        loss = other + bad.sum() if first else bad.sum() + other
        outcome = backward_outcome(loss.unsqueeze(0), x)
        return outcome[0], repr(x.grad), repr(w.grad), repr(v.grad)
    assert run(torch) == run(torchlike)


@pytest.mark.parametrize("op", ["exp", "tanh", "sigmoid", "sqrt", "relu", "reciprocal", "log",
                                "sin", "abs", "floor", "sign"])
@pytest.mark.parametrize("which", ["input", "output"])
def test_saved_tensor_is_input_or_output_as_in_torch(op, which):
    # torch keeps the result for exp/tanh/..., the input for log/sin/..., nothing for floor
    def run(L):
        x = L.tensor([0.5, 0.7], requires_grad=True)
        x2 = x * 1
        y = getattr(x2, op)()
        (y if which == "output" else x2).add_(1)
        return backward_outcome(y, x)
    assert run(torch) == run(torchlike)


@pytest.mark.parametrize("expr", [
    "x.gather(0, i)", "x.index_select(0, j)", "F.embedding(j, x)", "x[j]", "x[x > 0]",
    "F.nll_loss(x.log_softmax(1), L.tensor([0, 1, 2]))", "x.scatter(0, i, 1.0)",
    "x.scatter(0, i, s)", "x.scatter_add(0, i, s)", "x.masked_fill(x > 0, 0.0)",
    "F.cross_entropy(x, L.tensor([0, 1, 2]))"])
def test_index_and_target_operands_have_no_edge(expr):
    def run(L):
        x = L.ones(3, 4, requires_grad=True)
        env = {"L": L, "x": x, "F": L.nn.functional, "i": L.tensor([[0, 1, 2, 0]]),
               "j": L.tensor([0, 2]), "s": L.ones(1, 4, requires_grad=True)}
        return names(eval(expr, env).grad_fn)
    assert run(torch) == run(torchlike)


@pytest.mark.parametrize("case", ["leaf", "sum_too", "hook", "retain_grad", "grad_dim"])
def test_zero_norm_gives_no_gradient(case):
    # torch's backward of the 0-"norm" returns an undefined gradient: .grad stays None, hooks
    # on the way see None, and other paths still add up
    def run(L):
        x = L.tensor([[1.0, 0.0], [2.0, 0.0]], requires_grad=True)
        seen = []
        if case == "leaf":
            x.norm(p=0).backward()
        elif case == "sum_too":
            (L.linalg.vector_norm(x, 0) + x.sum()).backward()
        elif case == "hook":
            x.register_hook(lambda g: seen.append(repr(g)))
            x.norm(p=0).backward()
        elif case == "retain_grad":
            y = x * 1
            y.retain_grad()
            y.norm(p=0).backward()
            seen.append(repr(y.grad))
        else:
            return repr(L.autograd.grad(x.norm(p=0, dim=1).sum(), x, allow_unused=True))
        return repr(x.grad), seen
    assert run(torch) == run(torchlike)


COMPLEX_GRADS = {  # torch's complex gradients are the conjugates of jax's
    "abs": lambda L, a, b: a.abs().sum(),
    "mul": lambda L, a, b: (a * b).abs().sum(),
    "matmul": lambda L, a, b: (a @ b).abs().sum(),
    "div": lambda L, a, b: (a / b).abs().pow(2).sum(),
    "norm": lambda L, a, b: L.linalg.norm(a @ b),
    "vector_norm": lambda L, a, b: L.linalg.vector_norm(a * b, 3),
    "exp_abs": lambda L, a, b: (a.exp() * b).abs().sum(),
    "sum_abs": lambda L, a, b: (a + b).sum().abs(),
}


@pytest.mark.parametrize("case", list(COMPLEX_GRADS))
def test_complex_gradients(case):
    rng = np.random.default_rng(0)
    z, w = (rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)) for _ in range(2))

    def run(L):
        a, b = L.tensor(z, requires_grad=True), L.tensor(w, requires_grad=True)
        COMPLEX_GRADS[case](L, a, b).backward()
        return [None if t.grad is None else t.grad.detach().numpy() for t in (a, b)]
    for got, want in zip(run(torchlike), run(torch)):
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
