"""torch.optim's optimizers against torch 2.13, through the comparison helper: 50-step
trajectories and state dicts, checkpoints crossing both ways through real torch.save /
torch.load, a param group added mid-run, zero_grad, step hooks, repr, __setstate__ defaults and
validation errors; LBFGS with and without its strong-Wolfe line search."""
from __future__ import annotations

import copy
import inspect

import numpy as np
import pytest
import torch

import torchlike
from _helper import TOL, assert_same, assert_same_tensor, check_raises

_rng = np.random.default_rng(7)
W0 = _rng.standard_normal((3, 4)).astype(np.float32)
B0 = _rng.standard_normal(3).astype(np.float32)
X0 = _rng.standard_normal((8, 4)).astype(np.float32)
# targets far from the start: 50 steps stay well off the optimum, where the gradient would be
# a small difference of large terms and differ between torch's and torchlike's matmul sums
Y0 = (10 * _rng.standard_normal((8, 3))).astype(np.float32)

# (id, class, options, dtype): a few option sets per optimizer; float32 but for one
CASES = [
    ("sgd_momentum", "SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("sgd_nesterov_max", "SGD", dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
    ("adam_amsgrad_wd", "Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1,
                                     amsgrad=True)),
    ("adam_decoupled_max", "Adam", dict(lr=0.01, weight_decay=0.1, maximize=True,
                                        decoupled_weight_decay=True)),
    ("adamw_amsgrad", "AdamW", dict(lr=0.01, amsgrad=True)),
    ("rmsprop", "RMSprop", dict(lr=0.01)),
    ("rmsprop_centered", "RMSprop", dict(lr=0.01, momentum=0.5, centered=True,
                                         weight_decay=0.1, maximize=True)),
    ("adagrad", "Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                initial_accumulator_value=0.1)),
    ("adamax", "Adamax", dict()),
    ("adamax_wd_max", "Adamax", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1,
                                     maximize=True)),
    ("nadam", "NAdam", dict(lr=0.01)),
    ("nadam_wd", "NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("nadam_decoupled_max", "NAdam", dict(lr=0.01, weight_decay=0.1, maximize=True,
                                          decoupled_weight_decay=True)),
    ("radam", "RAdam", dict(lr=0.01)),  # rho_t passes 5 at step 6: both branches run
    ("radam_wd", "RAdam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("radam_decoupled_max", "RAdam", dict(lr=0.01, weight_decay=0.1, maximize=True,
                                          decoupled_weight_decay=True)),
    ("adadelta", "Adadelta", dict()),
    ("adadelta_wd_max", "Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1,
                                         maximize=True)),
    ("asgd", "ASGD", dict()),
    # t0=10: the average starts at step 11
    ("asgd_avg_wd_max", "ASGD", dict(lr=0.05, lambd=0.01, alpha=0.6, t0=10, weight_decay=0.1,
                                     maximize=True)),
    # slow growth of the step sizes: 50 steps stay off the optimum, where the gradient Rprop
    # keeps as `prev` would be the rounding noise of the backward pass
    ("rprop", "Rprop", dict(etas=(0.6, 1.1))),
    ("rprop_etas_max", "Rprop", dict(lr=0.02, etas=(0.3, 1.5), step_sizes=(1e-4, 0.05),
                                     maximize=True)),
    ("nadam_f64", "NAdam", dict(lr=0.01, weight_decay=0.1), np.float64),
]
CASES = [c if len(c) == 4 else c + (np.float32,) for c in CASES]
IDS = [c[0] for c in CASES]
NEW = ["Adamax", "NAdam", "RAdam", "Adadelta", "ASGD", "Rprop"]
# each class's first option set, for the tests that need one per class
FIRST = {c[1]: c for c in reversed(CASES)}


def _lr(cls, kw):
    return kw.get("lr", inspect.signature(getattr(torch.optim, cls)).parameters["lr"].default)


def _params(L, dtype=np.float32, w=W0, b=B0):
    return (L.nn.Parameter(L.tensor(np.asarray(w, dtype))),
            L.nn.Parameter(L.tensor(np.asarray(b, dtype))))


def _make(L, cls, kw, params):
    """Two groups: the weight at the options' lr, the bias at half of it."""
    w, b = params
    return getattr(L.optim, cls)([{"params": [w]}, {"params": [b], "lr": _lr(cls, kw) / 2}],
                                 **kw)


def _step(L, opt, params, kw):
    """One step on a least-squares loss (negated where the optimizer maximizes)."""
    w, b = params
    dt = w.dtype
    x, y = L.tensor(X0).to(dt), L.tensor(Y0).to(dt)
    opt.zero_grad()
    loss = ((x @ w.t() + b - y) ** 2).mean()
    if kw.get("maximize"):
        loss = -loss
    loss.backward()
    opt.step()
    return loss.detach()


def _run(L, opt, params, kw, steps, every=5):
    """`steps` steps; the loss and parameters every `every` steps."""
    seen = []
    for k in range(steps):
        loss = _step(L, opt, params, kw)
        if (k + 1) % every == 0:
            seen.append((loss, params[0].detach().clone(), params[1].detach().clone()))
    return seen


def _numpy(params):
    return [np.asarray(p.detach().numpy() if isinstance(p, torch.Tensor) else p.detach()._data)
            for p in params]


@pytest.mark.parametrize("name,cls,kw,dtype", CASES, ids=IDS)
def test_trajectory_and_state(name, cls, kw, dtype):
    """50 steps: losses and parameters every 5 steps, then the whole state_dict and repr."""
    runs = []
    for L in (torch, torchlike):
        params = _params(L, dtype)
        opt = _make(L, cls, kw, params)
        runs.append((opt, _run(L, opt, params, kw, 50), params))
    (topt, want, tparams), (lopt, got, lparams) = runs
    assert_same(want, got, f"{name} trajectory")
    assert_same(tparams, lparams, f"{name} parameters")  # what step() updated, themselves
    assert_same(topt.state_dict(), lopt.state_dict(), f"{name} state_dict")
    assert_same(repr(topt), repr(lopt), "repr")


@pytest.mark.parametrize("name,cls,kw,dtype", CASES, ids=IDS)
def test_checkpoint_both_ways(name, cls, kw, dtype, tmp_path):
    """A state_dict saved by torch.save, and one saved by torchlike.save, each loaded by
    torch.load into a fresh torch optimizer and by torchlike.load into a fresh torchlike
    one: the loaded states and the next 5 steps agree."""
    for src in (torch, torchlike):
        params = _params(src, dtype)
        opt = _make(src, cls, kw, params)
        _run(src, opt, params, kw, 10)
        path = str(tmp_path / f"{src.__name__}.pt")
        src.save(opt.state_dict(), path)
        runs = []
        for L in (torch, torchlike):
            resumed = _params(L, dtype, *_numpy(params))
            opt2 = _make(L, cls, kw, resumed)
            opt2.load_state_dict(L.load(path))
            loaded = opt2.state_dict()
            runs.append((loaded, _run(L, opt2, resumed, kw, 5, every=1), opt2.state_dict(),
                         resumed))
        assert_same(runs[0], runs[1], f"{name} resumed from {src.__name__}.save")


@pytest.mark.parametrize("cls", list(FIRST), ids=list(FIRST))
def test_add_param_group_and_zero_grad(cls):
    """A group added mid-run (its gradient accumulated meanwhile), a step on zeroed
    gradients, a step on none, then more steps."""
    _, _, kw, dtype = FIRST[cls]
    out = []
    for L in (torch, torchlike):
        w, b = params = _params(L, dtype)
        opt = getattr(L.optim, cls)([w], **kw)
        seen = _run(L, opt, params, kw, 4, every=2)
        opt.add_param_group({"params": [b], "lr": _lr(cls, kw) / 2})
        seen += _run(L, opt, params, kw, 4, every=2)
        opt.zero_grad(set_to_none=False)
        seen.append((w.grad, b.grad))
        opt.step()
        opt.zero_grad()
        seen.append((w.grad, b.grad, w.detach().clone(), b.detach().clone()))
        opt.step()
        seen += _run(L, opt, params, kw, 3, every=1)
        out.append((seen, params, opt.state_dict(), repr(opt)))
    assert_same(out[0], out[1], cls)


def _hooked_run(L, cls):
    w, b = _params(L)
    opt = getattr(L.optim, cls)([w, b], **({"lr": 0.01} if cls == "SparseAdam" else {}))
    seen = []

    def pre(o, args, kwargs):
        seen.append(("pre", type(o).__name__, len(args), sorted(kwargs)))

    def post(o, args, kwargs):
        seen.append(("post", type(o).__name__, len(args), sorted(kwargs)))

    def closure():
        opt.zero_grad()
        loss = ((L.tensor(X0) @ w.t() + b - L.tensor(Y0)) ** 2).mean()
        loss.backward()
        return loss
    handles = [opt.register_step_pre_hook(pre), opt.register_step_post_hook(post)]
    if cls == "SparseAdam":  # no gradient: the closure's loss comes back, nothing moves
        seen.append(opt.step(lambda: L.tensor(2.0)))
    elif cls == "LBFGS":
        seen.append(opt.step(closure))
        seen.append(opt.step(closure=closure))
    else:
        closure()
        opt.step()
        seen.append(opt.step(closure=closure))
    handles[0].remove()
    if cls == "LBFGS":
        opt.step(closure)
    else:
        opt.step()
    return seen, w.detach().clone(), b.detach().clone()


@pytest.mark.parametrize("cls", NEW + ["LBFGS", "SparseAdam"])
def test_step_hooks(cls):
    """Step pre- and post-hooks see each step's optimizer, args and kwargs; a removed one
    stops."""
    assert_same(_hooked_run(torch, cls), _hooked_run(torchlike, cls), cls)


ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"] + NEW + ["SparseAdam", "LBFGS"]


@pytest.mark.parametrize("cls", ALL)
def test_defaults_repr_and_setstate(cls):
    """Default options, repr and param_groups; a state_dict whose groups carry only `lr` (an
    old checkpoint) gets the options the class's __setstate__ fills, in torch's order, and
    the defaults gain `differentiable` as in torch."""
    out = []
    for L in (torch, torchlike):
        w, b = _params(L)
        opt = getattr(L.optim, cls)([w, b], **({"lr": 0.01} if cls == "SparseAdam" else {}))
        first = (repr(opt), dict(opt.defaults), [dict(g) for g in opt.param_groups])
        sd = opt.state_dict()
        sd["param_groups"] = [{"lr": g["lr"], "params": g["params"]}
                              for g in sd["param_groups"]]
        opt.load_state_dict(sd)
        out.append((first, opt.param_groups, opt.defaults))
    assert_same(out[0], out[1], cls)


def _bad(cls, **kw):
    return pytest.param(cls, kw, id=f"{cls}-{'-'.join(kw)}")


BAD = [
    *[_bad(cls, lr=-0.1) for cls in NEW + ["LBFGS"]],
    *[_bad(cls, eps=-1e-8) for cls in ["Adamax", "NAdam", "RAdam", "Adadelta"]],
    *[_bad(cls, betas=(1.0, 0.9)) for cls in ["Adamax", "NAdam", "RAdam", "SparseAdam"]],
    *[_bad(cls, betas=(0.9, -0.5)) for cls in ["Adamax", "NAdam", "RAdam", "SparseAdam"]],
    *[_bad(cls, weight_decay=-0.1) for cls in ["Adamax", "NAdam", "RAdam", "Adadelta",
                                                "ASGD"]],
    _bad("NAdam", momentum_decay=-1.0), _bad("Adadelta", rho=1.5),
    _bad("Rprop", etas=(1.5, 1.2)), _bad("Rprop", etas=(0.5, 0.9)), _bad("Rprop", etas=(0, 2)),
    _bad("SparseAdam", lr=0.0), _bad("SparseAdam", eps=0.0),
]


@pytest.mark.parametrize("cls,kw", BAD)
def test_invalid_options(cls, kw):
    check_raises(lambda L: getattr(L.optim, cls)(_params(L), **kw))


@pytest.mark.parametrize("cls", NEW + ["SparseAdam", "LBFGS"])
def test_tensor_lr_must_have_one_element(cls):
    check_raises(lambda L: getattr(L.optim, cls)(_params(L), lr=L.tensor([0.1, 0.2])))


def test_step_errors():
    """SparseAdam refuses dense gradients (torchlike's are all dense) and complex
    parameters; LBFGS wants a closure, one group and a line search it knows."""
    def sparse_adam_step(L):
        w, b = _params(L)
        opt = L.optim.SparseAdam([w, b])
        w.grad = L.ones(3, 4)
        opt.step()

    def lbfgs(L, **kw):
        w, b = _params(L)
        return L.optim.LBFGS([w, b], **kw), w, b

    def closure_of(L, w, b):
        def closure():
            loss = (w.sum() + b.sum()) ** 2
            loss.backward()
            return loss
        return closure

    def bad_line_search(L):
        opt, w, b = lbfgs(L, line_search_fn="backtracking")
        opt.step(closure_of(L, w, b))

    check_raises(sparse_adam_step)
    check_raises(lambda L: L.optim.SparseAdam([L.nn.Parameter(L.zeros(2, dtype=L.complex64))]))
    check_raises(lambda L: lbfgs(L)[0].step())
    check_raises(lambda L: L.optim.LBFGS([{"params": [_params(L)[0]]},
                                          {"params": [_params(L)[1]]}]))
    check_raises(bad_line_search)


# ---- LBFGS --------------------------------------------------------------------------------
# Rosenbrock's function of (x, y), x and y two parameters (a third, unused, has no gradient):
# curved enough that L-BFGS needs many iterations. On a quadratic it would converge within the
# dimension, after which every difference of gradients is rounding noise (two libraries' dot
# products summing in different orders) and the histories would compare noise with noise.
def _lbfgs_params(L, dtype, x=-1.5, y=2.0, c=(0.5, -0.5)):
    return (L.nn.Parameter(L.tensor(np.array([x], dtype))),
            L.nn.Parameter(L.tensor(np.array([[y]], dtype))),
            L.nn.Parameter(L.tensor(np.array(c, dtype))))


def _rosenbrock(L, params):
    x, y = params[0][0], params[1][0, 0]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def _lbfgs_run(L, kw, steps, dtype, opt=None, params=None):
    """`steps` LBFGS steps: each one's returned loss, the parameters and the state_dict."""
    params = _lbfgs_params(L, dtype) if params is None else params
    opt = L.optim.LBFGS(params, **kw) if opt is None else opt

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(L, params)
        loss.backward()
        return loss
    seen = []
    for _ in range(steps):
        loss = opt.step(closure)
        # a copy: later steps update the histories and buffers in place
        seen.append((loss, [p.detach().clone() for p in params],
                     copy.deepcopy(opt.state_dict())))
    return seen, opt, params


# (id, options, dtype, steps): the steps end before the minimum's neighbourhood (about 20
# iterations in), where the same rounding noise would decide the histories. The longest runs
# are float64: L-BFGS's dot products cancel, and over ~24 float32 iterations a one-ulp
# difference in a gradient (XLA may fuse a multiply-add where torch rounds twice) grows to
# ~1e-5 of a history value
LBFGS_CASES = [
    ("fixed_step_f64", dict(lr=0.2, max_iter=6, history_size=3), np.float64, 4),
    ("strong_wolfe", dict(max_iter=3, history_size=2, line_search_fn="strong_wolfe"),
     np.float32, 4),
    # a long first trial step: the zoom phase, insufficient progress near a bracket's end
    ("strong_wolfe_zoom", dict(lr=5, max_iter=3, line_search_fn="strong_wolfe"),
     np.float32, 3),
    # a short one: the extrapolation phase, and its end at max_ls
    ("strong_wolfe_extrapolate_f64", dict(lr=0.01, max_iter=4, line_search_fn="strong_wolfe"),
     np.float64, 3),
]


@pytest.mark.parametrize("name,kw,dtype,steps", LBFGS_CASES, ids=[c[0] for c in LBFGS_CASES])
def test_lbfgs(name, kw, dtype, steps):
    """Several step(closure) calls: returned losses, parameters and the whole state
    (func_evals, n_iter, d, t, the histories, H_diag, prev_loss...), Python numbers where
    torch keeps them; prev_loss is a float of the dtype's loss, compared to its precision."""
    rtol = TOL[np.dtype(dtype).name][0]
    want, _, _ = _lbfgs_run(torch, kw, steps, dtype)
    got, _, _ = _lbfgs_run(torchlike, kw, steps, dtype)
    assert_same(want, got, name, rtol=rtol)


def test_lbfgs_complex_parameter():
    """A complex parameter takes part as its real and imaginary parts, as in torch: here
    Rosenbrock's function of (real, imaginary)."""
    out = []
    for L in (torch, torchlike):
        z = L.nn.Parameter(L.tensor(np.array([-1.5 + 2j], np.complex64)))
        opt = L.optim.LBFGS([z], max_iter=3, history_size=2, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = ((1 - z.real) ** 2 + 100 * (z.imag - z.real ** 2) ** 2).sum()
            loss.backward()
            return loss
        out.append([(opt.step(closure), z.detach().clone(), copy.deepcopy(opt.state_dict()))
                    for _ in range(3)])
    assert_same(out[0], out[1], "complex", rtol=TOL["float32"][0])


def test_lbfgs_checkpoint_both_ways(tmp_path):
    """An LBFGS state (lists of history tensors included) crosses through torch.save /
    torchlike.load and back, and resumes as torch resumes."""
    _, kw, _, _ = LBFGS_CASES[1]
    dtype = np.float64  # 4 steps of 3 iterations: see LBFGS_CASES
    rtol = TOL["float64"][0]
    for src in (torch, torchlike):
        _, opt, params = _lbfgs_run(src, kw, 2, dtype)
        path = str(tmp_path / f"{src.__name__}.pt")
        src.save(opt.state_dict(), path)
        x, y, c = _numpy(params)
        runs = []
        for L in (torch, torchlike):
            resumed = _lbfgs_params(L, dtype, x.item(), y.item(), c)
            opt2 = L.optim.LBFGS(resumed, **kw)
            opt2.load_state_dict(L.load(path))
            runs.append(_lbfgs_run(L, kw, 2, dtype, opt2, resumed)[0])
        assert_same(runs[0], runs[1], f"resumed from {src.__name__}", rtol=rtol)


def test_lbfgs_history_is_loaded_as_new_lists():
    """load_state_dict copies the state's lists (torch casts through them): stepping the
    loaded optimizer leaves the source's history alone."""
    _, kw, dtype, _ = LBFGS_CASES[0]
    kw = dict(kw, history_size=20)
    lengths = []
    for L in (torch, torchlike):
        _, opt, params = _lbfgs_run(L, kw, 1, dtype)
        sd = opt.state_dict()
        before = len(sd["state"][0]["old_dirs"])
        opt2 = L.optim.LBFGS(params, **kw)
        opt2.load_state_dict(sd)
        _lbfgs_run(L, kw, 1, dtype, opt2, params)
        lengths.append((before, len(sd["state"][0]["old_dirs"]),
                        len(opt2.state_dict()["state"][0]["old_dirs"])))
    assert_same(lengths[0], lengths[1])


def test_sparse_adam_is_dense_only():
    """SparseAdam takes only sparse gradients, which torchlike lacks: with no gradient at all
    its step returns the closure's loss and changes nothing, as torch's."""
    got = []
    for L in (torch, torchlike):
        w, b = _params(L)
        opt = L.optim.SparseAdam([w, b], lr=0.01, betas=(0.8, 0.9), eps=1e-6, maximize=True)
        loss = opt.step(lambda: L.tensor(3.0))
        got.append((loss, w.detach().clone(), opt.state_dict(), repr(opt)))
    assert_same(got[0], got[1])
    assert_same_tensor(torch.tensor(W0), got[1][1], "untouched weight")
