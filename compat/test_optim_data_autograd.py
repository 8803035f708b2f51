"""The base classes and the forms other compat tests leave out, against real torch: a user's
Optimizer subclass (param_groups, state, zero_grad, step hooks, state_dict), the lr schedulers
(lrs, get_last_lr and state_dict over more steps than their period, a reloaded state_dict, a
user's LRScheduler), parameters_to_vector / vector_to_parameters, the base Dataset,
IterableDataset and Sampler, default_convert, and torch.autograd.backward."""
from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest
import torch
from _helper import assert_same, check_raises

import torchlike

LIBS = (torch, torchlike)
EXACT = dict(rtol=0, atol=0)  # values torchlike computes with torch's formulas, bit for bit


def _caught(fn):
    """fn() and the warnings it raised, as (category, message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, [(w.category, str(w.message)) for w in caught]


# ---- torch.optim.Optimizer: a user's subclass --------------------------------------------
def _sign_sgd(L):
    class SignSGD(L.optim.Optimizer):
        """Sign of a decaying sum of gradients; its own step, Optimizer's everything else."""

        def __init__(self, params, lr=0.1, decay=0.5):
            super().__init__(params, dict(lr=lr, decay=decay))

        @L.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with L.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if not state:
                        state["step"] = 0
                        state["buf"] = L.zeros_like(p)
                    state["step"] += 1
                    state["buf"].mul_(group["decay"]).add_(p.grad)
                    p.add_(state["buf"].sign(), alpha=-group["lr"])
            return loss
    return SignSGD


def _run_optimizer_subclass(L):
    SignSGD = _sign_sgd(L)
    a = L.tensor([1.0, -2.0], requires_grad=True)
    b = L.tensor([0.5, 0.25], requires_grad=True)
    c = L.tensor([3.0, 1.0], requires_grad=True)
    opt = SignSGD([{"params": [a]}, {"params": [b], "lr": 0.03, "decay": 0.9}])
    opt.add_param_group({"params": c, "decay": 0.0})  # a bare tensor, the default lr
    calls = []
    opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", len(args))))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    seen = []
    for i in range(3):
        opt.zero_grad(set_to_none=i != 1)  # once zeroing in place
        if i == 1:
            seen.append([p.grad for p in (a, b)])  # zeros, not None
        loss = opt.step(lambda: ((a * b).sum() + (c * c).sum()).backward() or i)
        seen.append((loss, a.clone(), b.clone(), c.clone()))
        if i == 1:
            post.remove()
    seen.append(calls)
    seen.append(opt.state_dict())
    opt.zero_grad()
    seen.append([p.grad for p in (a, b, c)])
    # a fresh optimizer loaded from the state_dict goes on from there
    fresh = SignSGD([{"params": [a]}, {"params": [b]}, {"params": [c]}], lr=5.0)
    fresh.load_state_dict(opt.state_dict())
    (a * b * c).sum().backward()
    fresh.step()
    seen.append((a, b, c, fresh.state_dict(), repr(fresh)))
    return seen


def test_optimizer_subclass():
    want, got = _run_optimizer_subclass(torch), _run_optimizer_subclass(torchlike)
    assert_same(want, got, **EXACT)


def test_optimizer_base_step_errors():
    # Optimizer's own step: only the subclass's update is missing (the recorder traces this)
    def fn(L):
        class Bare(L.optim.Optimizer):
            pass
        calls = []
        opt = Bare([L.zeros(2, requires_grad=True)], {"lr": 0.1})
        opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
        try:
            opt.step(lambda: calls.append("closure"))
        finally:
            assert calls == ["pre"], calls  # the hook ran, the closure did not
    check_raises(fn)
    check_raises(lambda L: _sign_sgd(L)([L.zeros(2)], lr=0.1).add_param_group([L.zeros(1)]))
    check_raises(lambda L: _sign_sgd(L)([]))


def test_optimizer_pre_hook_replaces_arguments():
    def run(L):
        p = L.tensor([1.0, -2.0], requires_grad=True)
        opt = _sign_sgd(L)([p])
        opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": lambda: 7}))
        p.grad = L.tensor([1.0, 1.0])
        return opt.step(), p
    assert_same(run(torch), run(torchlike), **EXACT)

    def bad_hook(L):
        opt = _sign_sgd(L)([L.zeros(2, requires_grad=True)])
        opt.register_step_pre_hook(lambda o, args, kwargs: 1)
        opt.step()
    # the message starts with the step function's repr (an address)
    check_raises(bad_hook, message=lambda m: m.split(" must")[1])


# ---- torch.optim.lr_scheduler -------------------------------------------------------------
def _optimizer(L, lrs=(0.1, 0.03)):
    groups = [{"params": [L.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return L.optim.SGD(groups, lr=1.0)


def _warmup(L):
    class Warmup(L.optim.lr_scheduler.LRScheduler):
        """A user's scheduler: only get_lr; LRScheduler steps, records and saves."""

        def __init__(self, optimizer, warm, last_epoch=-1):
            self.warm = warm
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            return [base * min(1.0, (self.last_epoch + 1) / self.warm) * 0.9 ** self.last_epoch
                    for base in self.base_lrs]
    return Warmup


SCHEDULERS = {
    "StepLR": lambda L, opt: L.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    "MultiStepLR": lambda L, opt: L.optim.lr_scheduler.MultiStepLR(opt, [2, 5, 5, 9], 0.3),
    "ExponentialLR": lambda L, opt: L.optim.lr_scheduler.ExponentialLR(opt, gamma=0.8),
    "CosineAnnealingLR": lambda L, opt: L.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=4, eta_min=0.01),  # 13 steps: down, up, down and up again
    "LinearLR": lambda L, opt: L.optim.lr_scheduler.LinearLR(
        opt, start_factor=0.25, end_factor=0.9, total_iters=5),
    "LRScheduler": lambda L, opt: _warmup(L)(opt, warm=4),
}


def _schedule(L, make):
    opt = _optimizer(L)
    sched = make(L, opt)
    seen = [([g["lr"] for g in opt.param_groups], sched.get_last_lr(), sched.state_dict())]
    for _ in range(13):
        opt.step()
        sched.step()
        seen.append(([g["lr"] for g in opt.param_groups], sched.get_last_lr(),
                     sched.state_dict()))
    # a fresh scheduler (on a fresh optimizer) loaded from the state_dict goes on from there
    opt2 = _optimizer(L, (0.5, 0.5))
    for g, saved in zip(opt2.param_groups, opt.param_groups):
        g["initial_lr"] = saved["initial_lr"]
    again = make(L, opt2)
    again.load_state_dict(sched.state_dict())
    for _ in range(3):
        opt2.step()
        again.step()
        seen.append(([g["lr"] for g in opt2.param_groups], again.get_last_lr(),
                     again.state_dict()))
    return seen


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler(name):
    want, got = _schedule(torch, SCHEDULERS[name]), _schedule(torchlike, SCHEDULERS[name])
    assert len({w[0][0] for w in want}) > 3, "the lr hardly changed"
    for i, (w, g) in enumerate(zip(want, got)):
        assert_same(w, g, f"step {i}")


def test_scheduler_resumed_with_last_epoch():
    def run(L):
        opt = _optimizer(L)
        for g in opt.param_groups:
            g["initial_lr"] = 2 * g["lr"]
        sched = L.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5, last_epoch=4)
        lrs = [sched.get_last_lr()]
        for _ in range(3):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        return lrs, sched.state_dict()
    assert_same(run(torch), run(torchlike))


def test_scheduler_base_errors():
    # LRScheduler's own get_lr (a subclass without one) and a resumed scheduler without
    # initial_lr
    def bare(L):
        class Bare(L.optim.lr_scheduler.LRScheduler):
            pass
        return Bare(_optimizer(L))
    check_raises(bare)
    check_raises(lambda L: _warmup(L)(_optimizer(L), 3, last_epoch=2))
    check_raises(lambda L: L.optim.lr_scheduler.ExponentialLR(_optimizer(L), 0.5, last_epoch=1))


# ---- torch.nn.utils: parameters_to_vector / vector_to_parameters --------------------------
def test_parameters_to_vector_and_back():
    r = np.random.default_rng(3)
    shapes = [(3, 4), (5,)]
    values = [r.standard_normal(s).astype(np.float32) for s in shapes]
    vec2 = r.standard_normal(17).astype(np.float32)

    def run(L):
        ps = [L.nn.Parameter(L.tensor(v)) for v in values]
        vec = L.nn.utils.parameters_to_vector(p for p in ps)  # a generator, as model.parameters()
        L.nn.utils.vector_to_parameters(L.tensor(vec2), ps)
        return vec, ps, L.nn.utils.parameters_to_vector(ps)
    assert_same(run(torch), run(torchlike), **EXACT)
    # vector_to_parameters checks its vector (the error is what the recorder traces)
    check_raises(lambda L: L.nn.utils.vector_to_parameters(vec2.tolist(), [L.zeros(17)]))


# ---- torch.utils.data: the base classes and default_convert -------------------------------
def test_base_dataset_and_sampler_errors():
    def dataset(L):
        class Plain(L.utils.data.Dataset):
            def __len__(self):
                return 3
        return Plain()[0]

    def iterable_indexed(L):
        class Stream(L.utils.data.IterableDataset):
            def __iter__(self):
                yield from range(3)
        return Stream()[0]

    def sampler(L):
        class Plain(L.utils.data.Sampler):
            pass
        return list(Plain())
    for fn in (dataset, iterable_indexed, sampler):
        check_raises(fn)


def test_base_classes_construct_as_torch():
    def iterable_without_iter(L):
        class Stream(L.utils.data.IterableDataset):
            pass
        return Stream()

    def sampler_given_data_source(L):  # torch 2.13's Sampler takes no arguments
        class Plain(L.utils.data.Sampler):
            def __iter__(self):
                return iter(range(2))
        return Plain(range(3))
    for fn in (iterable_without_iter, sampler_given_data_source):
        check_raises(fn)


Point = collections.namedtuple("Point", "x y")


def _convertible(L):
    return [np.arange(3), (np.float32(1.5), "a", 2), {"k": np.ones((2, 2), np.int16),
                                                     "t": L.tensor([1.0, 2.0])},
            Point(np.int64(3), 2.5), np.array(["a", "b"]), np.float64(0.25), 3, "s", b"raw",
            [np.array(True), np.zeros((1, 2), np.float32)]]


def test_default_convert():
    want, got = (lib.utils.data.default_convert(_convertible(lib)) for lib in LIBS)
    assert_same(want, got, **EXACT)
    for one in (np.arange(4.0), np.float32(2), (1, np.int8(2))):
        assert_same(torch.utils.data.default_convert(one),
                    torchlike.utils.data.default_convert(one), **EXACT)


# ---- torch.autograd.backward ----------------------------------------------------------------
def test_autograd_backward_function():
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([0.5, -1.0], requires_grad=True)
        y = x * w
        z = (x * x).sum()
        L.autograd.backward([y, z], [L.tensor([1.0, 3.0]), None], retain_graph=True)
        first = (x.grad.clone(), w.grad.clone())
        L.autograd.backward(y, L.tensor([2.0, 1.0]), True, inputs=w)  # only w accumulates
        L.autograd.backward((y * y).sum(), inputs=[x])
        return first, x.grad, w.grad
    assert_same(run(torch), run(torchlike), **EXACT)


def test_autograd_backward_errors():
    x = np.array([1.0, 2.0], np.float32)

    def nonscalar(L, x):
        L.autograd.backward(x.requires_grad_() * 2)

    def no_inputs(L, x):
        L.autograd.backward((x.requires_grad_() * 2).sum(), inputs=[])

    def no_grad_fn(L, x):
        L.autograd.backward(x.sum())

    def wrong_shape(L, x):
        L.autograd.backward([x.requires_grad_()], [L.ones(3)])

    def grad_no_inputs(L, x):
        L.autograd.grad((x.requires_grad_() * 2).sum(), [])
    for fn in (nonscalar, no_inputs, no_grad_fn, wrong_shape, grad_no_inputs):
        check_raises(fn, x)
