"""The lr schedulers the other compat tests leave out, and torch.optim.swa_utils, against real
torch: ConstantLR, PolynomialLR, ChainedScheduler, SequentialLR, CyclicLR, OneCycleLR,
CosineAnnealingWarmRestarts and SWALR (every group's lr and cycled momentum/betas, float or
tensor lrs, get_last_lr and the state_dict after each of 30 steps, a fresh scheduler resumed
from that state_dict and one built with last_epoch, the deprecated step(epoch) forms, every
warning and the argument errors); AveragedModel (SWA and EMA averaging, with and without
buffers: bit for bit from given weights, and over a few SGD steps with the averaged forward)
and update_bn's BatchNorm statistics."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _helper import assert_same, assert_same_error, check_raises

import torchlike

R = np.random.default_rng(11)
HYPER = ("lr", "momentum", "betas", "initial_lr", "max_lr", "min_lr", "max_momentum",
         "base_momentum", "swa_lr")


def _sched(L):
    return L.optim.lr_scheduler


def _optimizer(L, kind: str = "sgd", lrs=(0.1, 0.03)):
    groups = [{"params": [L.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if kind == "sgd-tensor-lr":  # a tensor lr: schedulers fill it in place
        for g in groups:
            g["lr"] = L.tensor(g["lr"])
        return L.optim.SGD(groups, lr=1.0, momentum=0.9)
    if kind == "sgd":
        return L.optim.SGD(groups, lr=1.0, momentum=0.9)
    if kind == "adam":
        return L.optim.Adam(groups, lr=1.0, betas=(0.8, 0.99))
    return L.optim.Adagrad(groups, lr=1.0)  # no momentum, no betas


def _groups(opt) -> list:
    """The hyperparameters of every group (a tensor lr copied: it is filled in place)."""
    return [{k: g[k].clone() if hasattr(g[k], "clone") else g[k] for k in HYPER if k in g}
            for g in opt.param_groups]


class Halving:
    """A CyclicLR scale_fn with state (the state_dict keeps its __dict__)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, x) -> float:
        return self.rate ** x


def _seq(L, opt):
    s = _sched(L)
    return s.SequentialLR(opt, [s.LinearLR(opt, 0.2, 1.0, total_iters=4),
                                s.ExponentialLR(opt, 0.9)], milestones=[5])


def _seq3(L, opt):
    s = _sched(L)
    return s.SequentialLR(opt, [s.ConstantLR(opt, 0.5, total_iters=3),
                                s.CosineAnnealingLR(opt, T_max=6, eta_min=0.001),
                                s.StepLR(opt, 4, gamma=0.5)], milestones=[4, 14])


def _seq_chained(L, opt):
    s = _sched(L)
    # a ChainedScheduler runs first (its members' initial steps undone, then its own); as a
    # later member, torch's SequentialLR would call its (missing) get_lr at the milestone
    inner = s.ChainedScheduler([s.ConstantLR(opt, 0.25, total_iters=6),
                                s.ExponentialLR(opt, 0.95)])
    return s.SequentialLR(opt, [inner, s.PolynomialLR(opt, total_iters=5, power=2.0)],
                          milestones=[8])


def _chain(L, opt):
    s = _sched(L)
    return s.ChainedScheduler([s.ConstantLR(opt, factor=0.5, total_iters=4),
                               s.ExponentialLR(opt, gamma=0.9)])


def _chain3(L, opt):
    s = _sched(L)
    return s.ChainedScheduler([s.StepLR(opt, 5, gamma=0.5), s.MultiStepLR(opt, [3, 9], 0.7),
                               s.LinearLR(opt, 0.3, 1.0, total_iters=6)], optimizer=opt)


# name -> (optimizer kind, builder)
SCHEDULERS = {
    "ConstantLR-default": ("sgd", lambda L, o: _sched(L).ConstantLR(o)),
    "ConstantLR-half": ("sgd", lambda L, o: _sched(L).ConstantLR(o, factor=0.5,
                                                                   total_iters=4)),
    "PolynomialLR-default": ("sgd", lambda L, o: _sched(L).PolynomialLR(o)),
    "PolynomialLR-square": ("sgd", lambda L, o: _sched(L).PolynomialLR(o, 8, power=2.0)),
    "PolynomialLR-root": ("adam", lambda L, o: _sched(L).PolynomialLR(o, total_iters=6,
                                                                       power=0.5)),
    "ChainedScheduler-two": ("sgd", _chain),
    "ChainedScheduler-three": ("sgd", _chain3),
    "SequentialLR-warmup": ("sgd", _seq),
    "SequentialLR-three": ("sgd", _seq3),
    "SequentialLR-nested": ("sgd", _seq_chained),
    "CyclicLR-triangular-sgd": ("sgd", lambda L, o: _sched(L).CyclicLR(
        o, 0.01, 0.1, step_size_up=4, step_size_down=6)),
    "CyclicLR-triangular2-adam": ("adam", lambda L, o: _sched(L).CyclicLR(
        o, [0.01, 0.002], [0.1, 0.05], step_size_up=3, mode="triangular2",
        base_momentum=[0.7, 0.75], max_momentum=0.95)),
    "CyclicLR-exp_range": ("sgd", lambda L, o: _sched(L).CyclicLR(
        o, 0.001, 0.01, step_size_up=5, mode="exp_range", gamma=0.9,
        cycle_momentum=False)),
    "CyclicLR-scale_fn-object": ("sgd", lambda L, o: _sched(L).CyclicLR(
        o, 0.01, 0.1, step_size_up=2, step_size_down=3, scale_fn=Halving(0.8),
        scale_mode="iterations")),
    "CyclicLR-scale_fn-lambda": ("adam", lambda L, o: _sched(L).CyclicLR(
        o, 0.01, 0.1, step_size_up=4, scale_fn=lambda c: 1 / c, mode="ignored")),
    "CyclicLR-no-momentum": ("adagrad", lambda L, o: _sched(L).CyclicLR(
        o, 0.01, 0.1, step_size_up=4, cycle_momentum=False)),
    "OneCycleLR-cos-sgd": ("sgd", lambda L, o: _sched(L).OneCycleLR(o, 0.5, total_steps=36)),
    "OneCycleLR-linear-adam": ("adam", lambda L, o: _sched(L).OneCycleLR(
        o, [0.5, 0.2], epochs=5, steps_per_epoch=8, anneal_strategy="linear",
        base_momentum=0.8, max_momentum=[0.9, 0.92])),
    "OneCycleLR-three_phase": ("adagrad", lambda L, o: _sched(L).OneCycleLR(
        o, 0.3, total_steps=34, pct_start=0.25, three_phase=True, cycle_momentum=False,
        div_factor=10.0, final_div_factor=100.0)),
    "CosineAnnealingWarmRestarts-T0": ("sgd", lambda L, o: _sched(L)
                                       .CosineAnnealingWarmRestarts(o, T_0=4)),
    "CosineAnnealingWarmRestarts-mult": ("sgd", lambda L, o: _sched(L)
                                         .CosineAnnealingWarmRestarts(o, 3, 2, eta_min=0.001)),
    "ConstantLR-tensor-lr": ("sgd-tensor-lr", lambda L, o: _sched(L).ConstantLR(o, 0.5, 4)),
    "PolynomialLR-tensor-lr": ("sgd-tensor-lr", lambda L, o: _sched(L).PolynomialLR(o, 9)),
    "SequentialLR-tensor-lr": ("sgd-tensor-lr", _seq),
    "CyclicLR-tensor-lr": ("sgd-tensor-lr", lambda L, o: _sched(L).CyclicLR(o, 0.01, 0.1, 3)),
    "SWALR-cos": ("sgd", lambda L, o: L.optim.swa_utils.SWALR(o, swa_lr=0.05,
                                                               anneal_epochs=5)),
    "SWALR-linear-list": ("sgd", lambda L, o: L.optim.swa_utils.SWALR(
        o, [0.05, 0.01], anneal_epochs=3, anneal_strategy="linear")),
    "SWALR-no-anneal": ("adam", lambda L, o: L.optim.swa_utils.SWALR(o, 0.02,
                                                                      anneal_epochs=0)),
}


def _caught(fn):
    """fn() and the warnings it raised, as sorted (category, message)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = fn()
    return out, sorted((w.category.__name__, str(w.message)) for w in seen)


def _after(opt, sched, caught):
    return (_groups(opt), sched.get_last_lr(), sched.state_dict(), caught)


def _schedule(L, kind, make, steps: int = 30):
    opt = _optimizer(L, kind)
    sched, caught = _caught(lambda: make(L, opt))
    seen = [_after(opt, sched, caught), sched.optimizer is opt]
    for _ in range(steps):
        opt.step()
        seen.append(_after(opt, sched, _caught(sched.step)[1]))
    # a fresh scheduler on a fresh optimizer, loaded from the state_dict, goes on from there
    opt2 = _optimizer(L, kind, (0.5, 0.5))
    again, caught = _caught(lambda: make(L, opt2))
    state = sched.state_dict()
    again.load_state_dict(state)
    seen.append([list(state), caught])  # torch leaves the caller's dict as it was (but
    # CyclicLR's without _scale_fn_custom)
    for _ in range(4):
        opt2.step()
        seen.append(_after(opt2, again, _caught(again.step)[1]))
    return seen


FLAT = {"ConstantLR": 1, "SWALR": 0}  # how many lrs a schedule takes at least, less one


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler(name):
    kind, make = SCHEDULERS[name]
    want, got = _schedule(torch, kind, make), _schedule(torchlike, kind, make)
    lrs = {float(w[0][0]["lr"]) for w in want if isinstance(w, tuple)}
    assert len(lrs) > FLAT.get(name.split("-")[0], 3), "the lr hardly changed"
    for i, (w, g) in enumerate(zip(want, got)):
        assert_same(w, g, f"{name} step {i}")


RESUMED = {  # builders given last_epoch
    "ConstantLR": ("sgd", lambda L, o, e: _sched(L).ConstantLR(o, 0.5, 9, last_epoch=e)),
    "PolynomialLR": ("sgd", lambda L, o, e: _sched(L).PolynomialLR(o, 10, 2.0, last_epoch=e)),
    "CyclicLR-adam": ("adam", lambda L, o, e: _sched(L).CyclicLR(
        o, [0.01, 0.002], 0.1, 3, mode="triangular2", last_epoch=e)),
    "CyclicLR-exp_range": ("sgd", lambda L, o, e: _sched(L).CyclicLR(
        o, 0.001, 0.01, 5, mode="exp_range", gamma=0.9, last_epoch=e)),
    "OneCycleLR": ("sgd", lambda L, o, e: _sched(L).OneCycleLR(o, 0.5, 20, last_epoch=e)),
    "OneCycleLR-adam": ("adam", lambda L, o, e: _sched(L).OneCycleLR(
        o, 0.5, epochs=4, steps_per_epoch=5, anneal_strategy="linear", last_epoch=e)),
    "CosineAnnealingWarmRestarts": ("sgd", lambda L, o, e: _sched(L)
                                    .CosineAnnealingWarmRestarts(o, 3, 2, last_epoch=e)),
    "SWALR": ("sgd", lambda L, o, e: L.optim.swa_utils.SWALR(o, 0.05, 5, last_epoch=e)),
}


def _resumed(L, kind, make):
    """A second scheduler built with last_epoch=7 on the optimizer the first one left (its
    initial_lr, max_lr, momentum keys in place) takes over."""
    opt = _optimizer(L, kind)
    first = make(L, opt, -1)
    for _ in range(7):
        opt.step()
        first.step()
    second, caught = _caught(lambda: make(L, opt, 7))
    seen = [_after(opt, second, caught)]
    for _ in range(5):
        opt.step()
        seen.append(_after(opt, second, _caught(second.step)[1]))
    return seen


@pytest.mark.parametrize("name", RESUMED)
def test_resumed_with_last_epoch(name):
    kind, make = RESUMED[name]
    assert_same(_resumed(torch, kind, make), _resumed(torchlike, kind, make), name)


def test_old_base_name():
    def run(L):
        s = _sched(L)
        return (s._LRScheduler.__name__, issubclass(s._LRScheduler, s.LRScheduler),
                s._LRScheduler is s.LRScheduler)
    assert_same(run(torch), run(torchlike))


# ---- step(epoch), get_lr() outside step, the order warnings -------------------------------
EPOCHS = {
    "ConstantLR": (lambda L, o: _sched(L).ConstantLR(o, 0.5, total_iters=4), [2, 6, 3, None]),
    "PolynomialLR": (lambda L, o: _sched(L).PolynomialLR(o, 6, 1.5), [3, 1, 9, None, 5]),
    "CyclicLR": (lambda L, o: _sched(L).CyclicLR(o, 0.01, 0.1, 3), [7, None, 2, None]),
    "OneCycleLR": (lambda L, o: _sched(L).OneCycleLR(o, 0.4, total_steps=12), [5, None, 11]),
    "CosineAnnealingWarmRestarts": (
        lambda L, o: _sched(L).CosineAnnealingWarmRestarts(o, 3, T_mult=2),
        [0.5, 1.25, 2, None, 7.3, 3, 10, 21.5, None, 2.9, 45, None]),
    "CosineAnnealingWarmRestarts-mult1": (
        lambda L, o: _sched(L).CosineAnnealingWarmRestarts(o, 4, eta_min=0.01),
        [0.25, 5.5, None, 13, None, 3.75]),
    "SWALR": (lambda L, o: L.optim.swa_utils.SWALR(o, 0.05, anneal_epochs=4), [2, None, 9]),
}


def _epochs(L, make, epochs):
    opt = _optimizer(L)
    sched = make(L, opt)
    seen = []
    for epoch in epochs:
        opt.step()
        _, caught = _caught(lambda: sched.step(epoch) if epoch is not None else sched.step())
        seen.append(_after(opt, sched, caught))
    lrs, caught = _caught(sched.get_lr)  # outside step: torch warns to use get_last_lr
    seen.append((lrs, caught, _groups(opt)))
    return seen


@pytest.mark.parametrize("name", EPOCHS)
def test_step_epoch(name):
    make, epochs = EPOCHS[name]
    assert_same(_epochs(torch, make, epochs), _epochs(torchlike, make, epochs), name)


ORDER = ["ConstantLR-half", "PolynomialLR-default", "ChainedScheduler-two",
         "SequentialLR-warmup", "CyclicLR-triangular-sgd", "OneCycleLR-cos-sgd",
         "CosineAnnealingWarmRestarts-T0", "SWALR-cos"]


def _order(L, kind, make, overridden):
    opt = _optimizer(L, kind)
    sched = make(L, opt)
    if overridden:  # replaced after the scheduler wrapped it
        opt.step = lambda closure=None: None
    seen = []
    for _ in range(3):  # the scheduler first: torch's warning, once
        _, caught = _caught(sched.step)
        opt.step()
        seen.append((sched.get_last_lr(), caught))
    return seen


@pytest.mark.parametrize("overridden", [False, True], ids=["before", "overridden"])
@pytest.mark.parametrize("name", ORDER)
def test_step_order_warning(name, overridden):
    kind, make = SCHEDULERS[name]
    want = _order(torch, kind, make, overridden)
    assert_same(want, _order(torchlike, kind, make, overridden), name)
    if name.startswith("CosineAnnealingWarmRestarts"):
        assert not any(w[1] for w in want)  # its own step() never warns in torch
    else:
        assert want[0][1] and not want[1][1]


# ---- errors --------------------------------------------------------------------------------
def _other(L):
    return _sched(L).ExponentialLR(_optimizer(L), 0.5)


ERRORS = {
    "ConstantLR-factor": lambda L: _sched(L).ConstantLR(_optimizer(L), factor=1.5),
    "ConstantLR-negative": lambda L: _sched(L).ConstantLR(_optimizer(L), factor=-0.1),
    "CyclicLR-mode": lambda L: _sched(L).CyclicLR(_optimizer(L), 0.01, 0.1, mode="tri"),
    "CyclicLR-no-momentum": lambda L: _sched(L).CyclicLR(_optimizer(L, "adagrad"), 0.01, 0.1),
    "CyclicLR-base_lr-length": lambda L: _sched(L).CyclicLR(_optimizer(L), [0.1], 0.2),
    "CyclicLR-max_lr-length": lambda L: _sched(L).CyclicLR(_optimizer(L), 0.1, (1, 2, 3)),
    "CyclicLR-momentum-length": lambda L: _sched(L).CyclicLR(
        _optimizer(L), 0.1, 0.2, max_momentum=[0.9]),
    "CyclicLR-not-optimizer": lambda L: _sched(L).CyclicLR(object(), 0.1, 0.2),
    "OneCycleLR-no-steps": lambda L: _sched(L).OneCycleLR(_optimizer(L), 0.1, epochs=3),
    "OneCycleLR-total_steps": lambda L: _sched(L).OneCycleLR(_optimizer(L), 0.1, 0),
    "OneCycleLR-total_steps-float": lambda L: _sched(L).OneCycleLR(_optimizer(L), 0.1, 2.5),
    "OneCycleLR-epochs": lambda L: _sched(L).OneCycleLR(_optimizer(L), 0.1, epochs=0,
                                                        steps_per_epoch=3),
    "OneCycleLR-steps_per_epoch": lambda L: _sched(L).OneCycleLR(
        _optimizer(L), 0.1, epochs=2, steps_per_epoch=-1),
    "OneCycleLR-pct_start": lambda L: _sched(L).OneCycleLR(_optimizer(L), 0.1, 10,
                                                           pct_start=1.5),
    "OneCycleLR-pct_start-int": lambda L: _sched(L).OneCycleLR(_optimizer(L), 0.1, 10,
                                                               pct_start=1),
    "OneCycleLR-anneal": lambda L: _sched(L).OneCycleLR(_optimizer(L), 0.1, 10,
                                                        anneal_strategy="exp"),
    "OneCycleLR-no-momentum": lambda L: _sched(L).OneCycleLR(_optimizer(L, "adagrad"), 0.1,
                                                             10),
    "OneCycleLR-max_lr-length": lambda L: _sched(L).OneCycleLR(_optimizer(L), [0.1], 10),
    "CosineAnnealingWarmRestarts-T_0": lambda L: _sched(L).CosineAnnealingWarmRestarts(
        _optimizer(L), 0),
    "CosineAnnealingWarmRestarts-T_0-float": lambda L: _sched(L).CosineAnnealingWarmRestarts(
        _optimizer(L), 2.5),
    "CosineAnnealingWarmRestarts-T_mult": lambda L: _sched(L).CosineAnnealingWarmRestarts(
        _optimizer(L), 2, T_mult=0),
    "CosineAnnealingWarmRestarts-T_mult-float": lambda L: _sched(L)
    .CosineAnnealingWarmRestarts(_optimizer(L), 2, T_mult=1.5),
    "CosineAnnealingWarmRestarts-eta_min": lambda L: _sched(L).CosineAnnealingWarmRestarts(
        _optimizer(L), 2, eta_min="0"),
    "CosineAnnealingWarmRestarts-epoch": lambda L: _sched(L).CosineAnnealingWarmRestarts(
        _optimizer(L), 2).step(-1),
    "SequentialLR-empty": lambda L: _sched(L).SequentialLR(_optimizer(L), [], []),
    "SequentialLR-milestones": lambda L: _seq_bad(L, milestones=[2, 4]),
    "SequentialLR-plateau": lambda L: _seq_bad(L, plateau=True),
    "SequentialLR-other-optimizer": lambda L: _seq_bad(L, other=True),
    "SequentialLR-no-optimizer": lambda L: _sched(L).SequentialLR(_optimizer(L), [object()],
                                                                  []),
    "SequentialLR-step-epoch": lambda L: _seq(L, _optimizer(L)).step(3),
    "ChainedScheduler-empty": lambda L: _sched(L).ChainedScheduler([]),
    "ChainedScheduler-plateau": lambda L: _sched(L).ChainedScheduler(
        [_sched(L).ReduceLROnPlateau(_optimizer(L))]),
    "ChainedScheduler-other-optimizer": lambda L: _sched(L).ChainedScheduler(
        [_other(L)], optimizer=_optimizer(L)),
    "ChainedScheduler-step-epoch": lambda L: _chain(L, _optimizer(L)).step(3),
    "SWALR-strategy": lambda L: L.optim.swa_utils.SWALR(_optimizer(L), 0.1,
                                                        anneal_strategy="exp"),
    "SWALR-anneal_epochs": lambda L: L.optim.swa_utils.SWALR(_optimizer(L), 0.1, -1),
    "SWALR-anneal_epochs-float": lambda L: L.optim.swa_utils.SWALR(_optimizer(L), 0.1, 2.0),
    "SWALR-swa_lr-length": lambda L: L.optim.swa_utils.SWALR(_optimizer(L), [0.1, 0.2, 0.3]),
    "get_ema_multi_avg_fn": lambda L: L.optim.swa_utils.get_ema_multi_avg_fn(1.5),
    "get_ema_avg_fn": lambda L: L.optim.swa_utils.get_ema_avg_fn(-0.1),
    "AveragedModel-two-fns": lambda L: L.optim.swa_utils.AveragedModel(
        L.nn.Linear(2, 2), avg_fn=L.optim.swa_utils.get_swa_avg_fn(),
        multi_avg_fn=L.optim.swa_utils.get_swa_multi_avg_fn()),
}


def _seq_bad(L, milestones=(2,), plateau=False, other=False):
    s, opt = _sched(L), _optimizer(L)
    second = s.ReduceLROnPlateau(opt) if plateau else _other(L) if other \
        else s.ExponentialLR(opt, 0.5)
    return s.SequentialLR(opt, [s.ConstantLR(opt), second], list(milestones))


@pytest.mark.parametrize("name", ERRORS)
def test_errors(name):
    check_raises(ERRORS[name])


def _past_the_end(L, make, steps):
    """Step until the scheduler raises; then its state (torch's, half-updated)."""
    opt = _optimizer(L)
    sched = make(L, opt)
    for _ in range(steps):
        opt.step()
        sched.step()
    try:
        sched.step()
    except Exception as e:  # noqa: BLE001 - compared with torch's below
        return e, _groups(opt), sched.state_dict()
    raise AssertionError("no error")


@pytest.mark.parametrize("name,make,steps", [
    ("OneCycleLR", lambda L, o: _sched(L).OneCycleLR(o, 0.4, total_steps=10), 10),
    ("ConstantLR-zero", lambda L, o: _sched(L).ConstantLR(o, 0.0, total_iters=3), 2),
    ("SequentialLR-chained-later", lambda L, o: _sched(L).SequentialLR(
        o, [_sched(L).ConstantLR(o, 0.5), _chain(L, o)], milestones=[3]), 2),
])
def test_error_while_stepping(name, make, steps):
    want, got = _past_the_end(torch, make, steps), _past_the_end(torchlike, make, steps)
    assert_same_error(want[0], got[0], name)
    assert_same(want[1:], got[1:], name)


# ---- torch.optim.swa_utils: AveragedModel, update_bn --------------------------------------
X = R.standard_normal((6, 8, 3)).astype(np.float32)  # 6 batches of 8
WEIGHTS = {"0.weight": R.standard_normal((4, 3)).astype(np.float32),
           "0.bias": R.standard_normal(4).astype(np.float32),
           "1.weight": (1 + 0.1 * R.standard_normal(4)).astype(np.float32),
           "1.bias": (0.1 * R.standard_normal(4)).astype(np.float32)}


def _model(L):
    model = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.BatchNorm1d(4))
    model.load_state_dict({k: L.tensor(v) for k, v in WEIGHTS.items()}, strict=False)
    return model


def _fns(L, how):
    swa = L.optim.swa_utils
    return {"swa": {}, "ema-multi": {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.9)},
            "ema": {"avg_fn": swa.get_ema_avg_fn(0.8)},
            "swa-multi": {"multi_avg_fn": swa.get_swa_multi_avg_fn()},
            "swa-fn": {"avg_fn": swa.get_swa_avg_fn()}, "swa-device": {"device": "cpu"}}[how]


def _averaged(L, how, use_buffers):
    model = _model(L)
    opt = L.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    avg = L.optim.swa_utils.AveragedModel(model, use_buffers=use_buffers, **_fns(L, how))
    seen = [repr(avg), avg.n_averaged, avg.use_buffers]
    for x in X[:4]:
        opt.zero_grad()
        model(L.tensor(x)).pow(2).mean().backward()
        opt.step()
        avg.update_parameters(model)
        seen.append((dict(avg.named_parameters()), dict(avg.named_buffers()), avg.n_averaged))
    avg.eval()
    with L.no_grad():
        seen.append(avg(L.tensor(X[4])))
    seen.append(avg.state_dict())
    return seen


@pytest.mark.parametrize("use_buffers", [False, True], ids=["params", "buffers"])
@pytest.mark.parametrize("how", ["swa", "ema-multi", "ema", "swa-multi", "swa-fn"])
def test_averaged_model(how, use_buffers):
    if how == "swa-multi" and use_buffers:
        # torch's multi-tensor SWA refuses the integer num_batches_tracked (addcdiv)
        check_raises(lambda L: _averaged(L, how, use_buffers))
        return
    want, got = _averaged(torch, how, use_buffers), _averaged(torchlike, how, use_buffers)
    assert not torch.equal(want[-1]["module.0.weight"], torch.from_numpy(WEIGHTS["0.weight"]))
    for i, (w, g) in enumerate(zip(want, got)):
        assert_same(w, g, f"{how} use_buffers={use_buffers} [{i}]")


SNAPSHOTS = [{k: (v + 0.3 * i * R.standard_normal(v.shape)).astype(np.float32)
              for k, v in WEIGHTS.items()} for i in range(5)]


def _averaged_exactly(L, how, use_buffers):
    """The averaging arithmetic alone: the model's weights and BatchNorm statistics set from
    arrays before each update (no training to round differently)."""
    model = _model(L)
    avg = L.optim.swa_utils.AveragedModel(model, use_buffers=use_buffers, **_fns(L, how))
    seen = []
    for i, snapshot in enumerate(SNAPSHOTS):
        state = {k: L.tensor(v) for k, v in snapshot.items()}
        state["1.running_mean"] = L.tensor(snapshot["1.bias"] * 2)
        state["1.running_var"] = L.tensor(snapshot["1.weight"] ** 2)
        state["1.num_batches_tracked"] = L.tensor(3 * i + 1)
        model.load_state_dict(state)
        avg.update_parameters(model)
        seen.append(avg.state_dict())
    return seen


@pytest.mark.parametrize("use_buffers", [False, True], ids=["params", "buffers"])
@pytest.mark.parametrize("how", ["swa", "ema-multi", "ema", "swa-fn", "swa-device"])
def test_averaging_is_exact(how, use_buffers):
    want = _averaged_exactly(torch, how, use_buffers)
    assert_same(want, _averaged_exactly(torchlike, how, use_buffers), how, rtol=0, atol=0)


def _update_bn(L, batches: str, training: bool):
    model = _model(L)
    if batches == "loader":  # [input, target] batches: the input is the first
        data = L.utils.data.TensorDataset(L.tensor(X.reshape(-1, 3)), L.arange(48))
        loader = L.utils.data.DataLoader(data, batch_size=10)
    else:
        loader = [L.tensor(x) for x in X]
    model.train(training)
    bn = model[1]
    bn.momentum = 0.3
    with L.no_grad():
        model(L.tensor(X[0] + 1))  # stale statistics, reset by update_bn
    L.optim.swa_utils.update_bn(loader, model, device="cpu" if batches == "tensors" else None)
    return (bn.running_mean, bn.running_var, bn.num_batches_tracked, bn.momentum,
            model.training, bn.training)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("batches", ["loader", "tensors"])
def test_update_bn(batches, training):
    assert_same(_update_bn(torch, batches, training), _update_bn(torchlike, batches, training))


def test_update_bn_without_batchnorm():
    def run(L):
        model = L.nn.Sequential(L.nn.Linear(3, 4))
        model.load_state_dict({k: L.tensor(v) for k, v in WEIGHTS.items() if k[0] == "0"})
        L.optim.swa_utils.update_bn([L.tensor(X[0])], model.eval())
        return model.training, model.state_dict()
    assert_same(run(torch), run(torchlike))
