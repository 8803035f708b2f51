"""The comparison helper: run the same expression under real torch and torchlike, compare.

`check(fn, *inputs)` calls `fn(lib, *tensors)` with `lib` = torch, then torchlike; `inputs` are
numpy arrays (or Python numbers, passed through). Floating inputs require grad (grad=True).
Compared: every output's value, dtype, shape, repr and grad_fn name, then the gradients of the
inputs after backward() with the same random cotangent (float64 ones also numerically).
`assert_same(want, got)` compares any torch value (tensors, arrays, numbers, strings, dtypes,
sizes, tuples, lists, dicts of them) with torchlike's; `assert_same_error` an exception's type
and message; `assert_same_object` another object by what `view` reads of it; `check_call` one
call of a form (for results no tag can follow: bools). Every comparison goes through these:
they tell the coverage recorder (`_record`) which forms' results were compared with torch's.
"""
from __future__ import annotations

import numpy as np
import torch

import torchlike
from _record import mark, mark_call, mark_error

# (rtol, atol relative to the largest value compared) per dtype: a few ulp of float32 (eps
# 1.2e-7) and float64 (eps 2.2e-16) rounding in different orders, and no more. Measured over the
# whole compat suite: float32 differences reach 3.8e-6 of the scale (log_ndtr's gradient, a
# transformer's), float64 3.6e-16 except where a test names a wider bound and why.
TOL = {"float16": (1e-2, 1e-2), "bfloat16": (5e-2, 5e-2), "float32": (4e-6, 4e-6),
       "float64": (1e-12, 1e-12), "complex64": (1e-6, 1e-6), "complex128": (1e-12, 1e-12)}


def _to(lib, x, grad):
    if not isinstance(x, np.ndarray):
        return x
    t = lib.from_numpy(x.copy()) if lib is torch else lib.tensor(x)
    if grad and x.dtype.kind == "f":
        t.requires_grad_(True)
    return t


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def _np(t):
    if isinstance(t, torch.Tensor):
        if t.dtype is torch.bfloat16:
            t = t.float()
        return t.detach().numpy(force=True)  # force: torch's ZeroTensor gradients too
    return np.asarray(t.detach()._data.astype("float32") if t.dtype.name == "bfloat16"
                      else t.detach()._data)


def assert_same_tensor(want, got, what="output", check_repr=True, scale=None, rtol=None,
                       atol=None):
    """Compare one torch tensor with one torchlike tensor (floats within the dtype's
    tolerance, its absolute part scaled by the values' size or by `scale`; `rtol`/`atol`
    replace the dtype's where torch's own algorithm differs)."""
    assert isinstance(got, torchlike.Tensor), f"{what}: expected a Tensor, got {type(got)}"
    assert str(want.dtype) == str(got.dtype), f"{what}: dtype {got.dtype} != torch {want.dtype}"
    assert tuple(want.shape) == tuple(got.shape), \
        f"{what}: shape {tuple(got.shape)} != torch {tuple(want.shape)}"
    w, g = _np(want), _np(got)
    name = str(want.dtype).replace("torch.", "")
    if name in TOL:
        rtol = TOL[name][0] if rtol is None else rtol
        atol = TOL[name][1] if atol is None else atol
        if scale is None:
            finite = np.abs(w[np.isfinite(w)])
            scale = float(finite.max()) if finite.size else 0.0
        # the absolute slack follows the size of the values compared (elements far below the
        # largest carry its rounding), so a wrong small value is not hidden by a fixed atol;
        # `scale` is given where the values are rounding noise of a larger computation
        atol = atol * scale + np.finfo(w.real.dtype).tiny
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(g, w, err_msg=what)
    want_fn = type(want.grad_fn).__name__ if want.grad_fn is not None else None
    got_fn = type(got.grad_fn).__name__ if got.grad_fn is not None else None
    assert want_fn == got_fn, f"{what}: grad_fn {got_fn} != torch {want_fn}"
    assert want.requires_grad == got.requires_grad, f"{what}: requires_grad differs"
    if check_repr and (name not in TOL or np.array_equal(w, g, equal_nan=True)):
        assert repr(want) == repr(got), f"{what}: repr\n{got!r}\n!= torch\n{want!r}"
    mark(got)


_NAMED = (torch.dtype, torch.device, torch.layout, torch.memory_format)


def assert_same(want, got, what="value", *, rtol=None, atol=None, scale=None,
                check_repr=True):
    """Compare a torch value with torchlike's: tensors as `assert_same_tensor`; numpy arrays by
    dtype, shape and values; tuples, lists and dicts by type name, length or keys (in order)
    and element by element; dtypes, devices and layouts by name; Python numbers, strings and
    None exactly (floats within `rtol` when given)."""
    if isinstance(want, torch.Tensor):
        assert_same_tensor(want, got, what, check_repr, scale, rtol, atol)
        return
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{what}: expected an ndarray, got {type(got)}"
        assert (want.dtype, want.shape) == (got.dtype, got.shape), \
            f"{what}: {got.dtype}{got.shape} != torch {want.dtype}{want.shape}"
        if rtol is not None and want.dtype.kind in "fc":
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol or 0, equal_nan=True,
                                       err_msg=what)
        else:
            np.testing.assert_array_equal(got, want, err_msg=what)
    elif isinstance(want, _NAMED):
        assert str(want) == str(got), f"{what}: {got} != torch {want}"
    elif isinstance(want, (tuple, list, dict)):
        assert type(want).__name__ == type(got).__name__, \
            f"{what}: {type(got).__name__} != torch {type(want).__name__}"
        assert len(want) == len(got), f"{what}: length {len(got)} != torch {len(want)}"
        if isinstance(want, dict):
            assert list(want) == list(got), f"{what}: keys {list(got)} != torch {list(want)}"
            pairs = [(f"{what}[{k!r}]", want[k], got[k]) for k in want]
        else:
            pairs = [(f"{what}[{i}]", w, g) for i, (w, g) in enumerate(zip(want, got))]
        for sub, w, g in pairs:
            assert_same(w, g, sub, rtol=rtol, atol=atol, scale=scale, check_repr=check_repr)
    elif isinstance(want, (float, complex)) and not isinstance(got, bool):
        assert type(want) is type(got), f"{what}: {type(got).__name__} != torch {type(want)}"
        same = want == got or (want != want and got != got)
        if not same and rtol is not None:
            same = abs(got - want) <= (atol or 0) + rtol * abs(want)
        assert same, f"{what}: {got!r} != torch {want!r}"
    elif want is None or isinstance(want, (bool, int, str, bytes)):
        assert type(want) is type(got) and want == got, f"{what}: {got!r} != torch {want!r}"
    else:
        raise TypeError(f"assert_same: no comparison for {type(want).__name__} ({what})")
    mark(got)


def assert_same_error(want, got, what="error", message=True):
    """`got` (torchlike's exception) is of `want`'s type (torch's; one of torch's own classes,
    as DistError: of its class names) and, unless `message` is False, has its message: the same
    text, or the same after `message(text)`."""
    own = type(want).__module__.split(".")[0] == "torch"
    if own:
        names = [[c.__name__ for c in type(e).__mro__] for e in (want, got)]
        assert names[0] == names[1], f"{what}: torchlike raised {got!r}, torch {want!r}"
    else:
        assert isinstance(got, type(want)), f"{what}: torchlike raised {got!r}, torch {want!r}"
    if message is False:
        return
    w, g = str(want), str(got)
    if callable(message):
        w, g = message(w), message(g)
    assert w == g, f"{what}: message\n{g}\n!= torch\n{w}"
    mark_error(got, same_class=own or type(got) is type(want))


def check(fn, *inputs, grad=True, check_repr=True, numeric=True, seed=0, rtol=None,
          atol=None):
    """Run fn under both libraries and compare outputs and input gradients (`rtol`/`atol`:
    wider than the dtype's, where torch's algorithm differs; say why at the call)."""
    t_in = [_to(torch, x, grad) for x in inputs]
    l_in = [_to(torchlike, x, grad) for x in inputs]
    want = fn(torch, *t_in)
    got = fn(torchlike, *l_in)
    wants, gots = _flat(want), _flat(got)
    assert len(wants) == len(gots), f"{len(gots)} outputs != torch {len(wants)}"
    for i, (w, g) in enumerate(zip(wants, gots)):
        assert_same(w, g, f"output {i}", check_repr=check_repr, rtol=rtol, atol=atol)
    if not grad:
        return
    outs = [(w, g) for w, g in zip(wants, gots)
            if isinstance(w, torch.Tensor) and w.requires_grad]
    if not outs:
        return
    rng = np.random.default_rng(seed)
    t_loss, l_loss = 0, 0
    for w, g in outs:
        ct = rng.standard_normal(tuple(w.shape)).astype(np.float64)
        t_loss = t_loss + (w * torch.from_numpy(ct).to(w.dtype)).sum()
        l_loss = l_loss + (g * torchlike.tensor(ct).to(g.dtype)).sum()
    t_loss.backward()
    l_loss.backward()
    for i, (tx, lx) in enumerate(zip(t_in, l_in)):
        if isinstance(tx, torch.Tensor) and tx.requires_grad:
            if tx.grad is None:
                assert lx.grad is None, f"grad of input {i}: torch has None"
                continue
            assert lx.grad is not None, f"grad of input {i} is None, torch has one"
            assert_same_tensor(tx.grad, lx.grad, f"grad of input {i}", check_repr=False,
                               rtol=rtol, atol=atol)
    if numeric:
        _numeric(fn, inputs, gots)


def _numeric(fn, inputs, gots):
    """Central differences for float64 inputs against torchlike's own gradients."""
    if not all(not isinstance(x, np.ndarray) or x.dtype != np.float32 for x in inputs):
        return
    idx = [i for i, x in enumerate(inputs) if isinstance(x, np.ndarray) and x.dtype == np.float64
           and 0 < x.size <= 12]
    if not idx:
        return

    def f(vals):
        ins = [torchlike.tensor(v) if isinstance(v, np.ndarray) else v for v in vals]
        outs = [o for o in _flat(fn(torchlike, *ins)) if isinstance(o, torchlike.Tensor)
                and o.dtype.is_floating_point]
        return sum(float(o.double().sum()) for o in outs)

    base = list(inputs)
    for i in idx:
        ins = [torchlike.tensor(x) if isinstance(x, np.ndarray) else x for x in inputs]
        ins[i].requires_grad_(True)
        outs = [o for o in _flat(fn(torchlike, *ins)) if isinstance(o, torchlike.Tensor)
                and o.requires_grad]
        if not outs:
            continue
        sum(o.sum() for o in outs).backward()
        analytic = np.asarray(ins[i].grad._data) if ins[i].grad is not None else \
            np.zeros_like(inputs[i])
        num = np.zeros_like(inputs[i])
        eps = 1e-6
        for j in range(inputs[i].size):
            plus, minus = [v.copy() if isinstance(v, np.ndarray) else v for v in base], \
                [v.copy() if isinstance(v, np.ndarray) else v for v in base]
            plus[i].flat[j] += eps
            minus[i].flat[j] -= eps
            num.flat[j] = (f(plus) - f(minus)) / (2 * eps)
        np.testing.assert_allclose(analytic, num, rtol=1e-4, atol=1e-5,
                                   err_msg=f"numeric gradient of input {i}")


def check_raises(fn, *inputs, message=True):
    """Both libraries raise the same exception (as `assert_same_error`); returns
    (torch_msg, torchlike_msg)."""
    t_in = [_to(torch, x, False) for x in inputs]
    l_in = [_to(torchlike, x, False) for x in inputs]
    try:
        fn(torch, *t_in)
    except Exception as e:  # noqa: BLE001 - we compare whatever torch raises
        want = e
    else:
        raise AssertionError("torch did not raise")
    try:
        fn(torchlike, *l_in)
    except Exception as e:  # noqa: BLE001
        got = e
    else:
        raise AssertionError(f"torchlike did not raise (torch raised {want!r})")
    assert_same_error(want, got, message=message)
    return str(want), str(got)


def graph(outputs) -> list:
    """The whole graph under `outputs`, each node numbered in order of first visit (breadth
    first, next_functions in order): [(name, leaf shape, ((node number, output_nr), ...))],
    preceded by the outputs' (node number, output_nr)."""
    number, nodes = {}, []

    def visit(fn):
        if fn is not None and id(fn) not in number:
            number[id(fn)] = len(nodes)
            nodes.append(fn)
        return None if fn is None else number[id(fn)]

    lines = [tuple((visit(o.grad_fn), o.output_nr) for o in outputs)]
    i = 0
    while i < len(nodes):
        fn = nodes[i]
        edges = tuple((visit(f), nr) for f, nr in fn.next_functions)
        leaf = tuple(fn.variable.shape) if hasattr(fn, "variable") else None
        lines.append((type(fn).__name__, leaf, edges))
        i += 1
    return lines


def assert_same_object(want, got, view, what="object"):
    """Compare a torch object that `assert_same` has no rule for (a Generator, a GradientEdge, a
    P2POp, a class such as GroupMember) with torchlike's: its class name (a class's own name),
    and what `view(obj)` reads of it (values `assert_same` compares)."""
    name = (lambda o: o.__name__) if isinstance(want, type) else (lambda o: type(o).__name__)
    assert name(want) == name(got), f"{what}: {name(got)} != torch {name(want)}"
    assert_same(view(want), view(got), what)
    mark(got)
    if isinstance(got, type):  # a class itself (GroupMember: what its attributes hold)
        mark_call(got)


def check_call(make, view=None, what="call"):
    """`make(lib)` gives (function, *args) for each library: both calls give the same result
    (`view(result)` where given) or raise the same error. The torchlike function counts as
    compared whatever it returned (a bool, None: values no tag can follow)."""
    (want_fn, *want_args), (got_fn, *got_args) = make(torch), make(torchlike)
    try:
        want = want_fn(*want_args)
    except Exception as e:  # noqa: BLE001 - compared with whatever torchlike raises
        try:
            got_fn(*got_args)
        except Exception as g:  # noqa: BLE001
            assert_same_error(e, g, what)
            return
        raise AssertionError(f"{what}: torchlike did not raise (torch raised {e!r})") from None
    got = got_fn(*got_args)
    if view is not None:
        want, got = view(want), view(got)
    assert_same(want, got, what)
    mark_call(got_fn)
