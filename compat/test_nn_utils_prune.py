"""torch.nn.utils.prune against real torch: every pruning function and class on modules with
identical weights; the random methods after manual_seed give torch's masks (torchlike has
torch's streams for rand_like / rand). Compared: weight_orig / weight_mask / weight, the
forward pre-hook and its PruningContainer after iterative pruning, state_dict, the forward
output and gradients, parameters after SGD steps (pruned entries stay 0), remove, is_pruned,
and errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.utils.prune  # a submodule torch.nn.utils does not import
from _helper import assert_same, check_call, check_raises

import torchlike
import torchlike.nn.utils.prune

R = np.random.default_rng(9)
W = R.standard_normal((4, 6)).astype(np.float32)
CW = R.standard_normal((4, 2, 3, 3)).astype(np.float32)
X = R.standard_normal((3, 6)).astype(np.float32)
SCORES = R.random((4, 6)).astype(np.float32)


def _linear(L):
    m = L.nn.Linear(6, 4)
    with L.no_grad():
        m.weight.copy_(L.tensor(W))
        m.bias.copy_(L.tensor(W[:, 0].copy()))
    return m


def _conv(L):
    m = L.nn.Conv2d(2, 4, 3, bias=False)
    with L.no_grad():
        m.weight.copy_(L.tensor(CW))
    return m


def _pruned(m, name="weight"):
    """What pruning leaves on the module: the tensors, the hooks and their methods."""
    hooks = [(type(h).__name__, [type(x).__name__ for x in h] if hasattr(h, "__iter__")
              else None) for h in m._forward_pre_hooks.values()]
    return [getattr(m, name + "_orig"), getattr(m, name + "_mask"), getattr(m, name), hooks,
            m.state_dict(), [n for n, _ in m.named_parameters()],
            [n for n, _ in m.named_buffers()]]


def _train(L, m, steps=2):
    """The forward output and gradients, then `steps` SGD steps (the hook reapplies the
    mask to the updated weight_orig)."""
    out = [m(L.tensor(X))]
    out[0].sum().backward()
    out.append({n: p.grad for n, p in m.named_parameters()})
    opt = L.optim.SGD(m.parameters(), lr=0.1)
    for _ in range(steps):
        opt.step()
        opt.zero_grad()
        m(L.tensor(X)).square().sum().backward()
    return out + [dict(m.named_parameters()), m.weight, m(L.tensor(X))]


def test_unstructured_and_iterative_pruning():
    def run(L):
        P = L.nn.utils.prune
        L.manual_seed(0)
        out = []
        m = P.identity(_linear(L), "weight")
        out += _pruned(m) + [P.is_pruned(m)]
        m = P.l1_unstructured(_linear(L), "weight", amount=0.25)
        out += _pruned(m)
        P.random_unstructured(m, "weight", amount=5)  # a PruningContainer of the two
        out += _pruned(m)
        P.l1_unstructured(m, "weight", amount=3, importance_scores=L.tensor(SCORES))
        P.l1_unstructured(m, "bias", amount=0.5)
        out += _pruned(m) + _pruned(m, "bias") + _train(L, m)
        P.remove(m, "weight")
        out += [m.weight, m.state_dict(), P.is_pruned(m), len(m._forward_pre_hooks)]
        P.remove(m, "bias")
        return out + [P.is_pruned(m), m.state_dict()]
    assert_same(run(torch), run(torchlike))


def test_structured_pruning():
    def run(L):
        P = L.nn.utils.prune
        L.manual_seed(1)
        out = []
        m = P.random_structured(_conv(L), "weight", amount=0.5, dim=0)
        out += _pruned(m)
        P.ln_structured(m, "weight", amount=1, n=2, dim=1)  # structured after structured
        out += _pruned(m)
        P.ln_structured(m, "weight", amount=0.34, n=1, dim=-1,
                        importance_scores=L.tensor(CW[::-1].copy()))
        P.random_unstructured(m, "weight", amount=0.2)  # unstructured among the kept
        out += _pruned(m)
        m2 = P.ln_structured(_linear(L), "weight", amount=2, n=float("inf"), dim=0)
        m3 = P.random_structured(_linear(L), "weight", amount=0, dim=1)  # nothing pruned
        return out + _pruned(m2) + _pruned(m3) + _train(L, m2, steps=1)
    assert_same(run(torch), run(torchlike))


def test_custom_and_global_pruning_and_classes():
    def run(L):
        P = L.nn.utils.prune
        L.manual_seed(2)
        mask = L.tensor((SCORES > 0.5).astype(np.float32))
        m = P.custom_from_mask(_linear(L), "weight", mask)
        out = _pruned(m)
        a, b = _linear(L), _linear(L)
        P.l1_unstructured(b, "weight", 2)
        params = [(a, "weight"), (a, "bias"), (b, "weight")]
        P.global_unstructured(params, P.L1Unstructured, amount=10)
        out += _pruned(a) + _pruned(a, "bias") + _pruned(b)
        c = _linear(L)
        P.global_unstructured([(c, "weight")], P.RandomUnstructured, amount=0.5,
                              importance_scores={(c, "weight"): L.tensor(SCORES)})
        out += _pruned(c)
        t = L.tensor(W)
        out += [P.L1Unstructured(0.5).prune(t), P.RandomUnstructured(3).prune(t),
                P.LnStructured(2, n=2, dim=0).prune(t, importance_scores=L.tensor(SCORES)),
                P.RandomStructured(0.5, dim=1).compute_mask(t, L.ones_like(t)),
                P.Identity().prune(t), P.CustomFromMask(mask).prune(t, default_mask=mask)]
        method = P.L1Unstructured.apply(_linear(L), "weight", amount=4)
        box = P.PruningContainer(method)
        more = P.L1Unstructured(2)
        more._tensor_name = "weight"
        box.add_pruning_method(more)
        out += [type(method).__name__, method._tensor_name, len(box), box[0] is method,
                P.L1Unstructured.PRUNING_TYPE, P.LnStructured.PRUNING_TYPE,
                P.CustomFromMask.PRUNING_TYPE, issubclass(P.PruningContainer,
                                                          P.BasePruningMethod)]
        return out
    assert_same(run(torch), run(torchlike))


def test_prune_errors():
    cases = [
        lambda L: L.nn.utils.prune.l1_unstructured(_linear(L), "weight", amount=1.5),
        lambda L: L.nn.utils.prune.l1_unstructured(_linear(L), "weight", amount=-1),
        lambda L: L.nn.utils.prune.l1_unstructured(_linear(L), "weight", amount="x"),
        lambda L: L.nn.utils.prune.l1_unstructured(_linear(L), "weight", amount=25),
        lambda L: L.nn.utils.prune.random_structured(_linear(L), "bias", 1, dim=0),
        lambda L: L.nn.utils.prune.ln_structured(_linear(L), "weight", 1, n=2, dim=2),
        lambda L: L.nn.utils.prune.l1_unstructured(_linear(L), "weight", 1,
                                                   importance_scores=L.ones(2)),
        lambda L: L.nn.utils.prune.remove(_linear(L), "weight"),
        lambda L: L.nn.utils.prune.global_unstructured(3, L.nn.utils.prune.L1Unstructured,
                                                       amount=1),
        lambda L: L.nn.utils.prune.global_unstructured(
            [(_linear(L), "weight")], L.nn.utils.prune.L1Unstructured, importance_scores=[1],
            amount=1),
        lambda L: L.nn.utils.prune.global_unstructured(
            [(_linear(L), "weight")], L.nn.utils.prune.LnStructured, amount=1, n=2),
        lambda L: L.nn.utils.prune.PruningContainer(3),
        lambda L: L.nn.utils.prune.custom_from_mask(_linear(L), "weight", L.ones(2)),
        lambda L: L.nn.utils.prune.identity(_linear(L), "nope"),
    ]
    for case in cases:  # (messages naming a class name its module: torch's, torchlike's)
        check_raises(case, message=lambda text: text.replace("torchlike.", "torch."))
    # the module is restored when the mask cannot be computed
    m = [_linear(L) for L in (torch, torchlike)]
    for mod, L in zip(m, (torch, torchlike)):
        try:
            L.nn.utils.prune.l1_unstructured(mod, "weight", amount=25)
        except ValueError:
            pass
    assert_same(dict(m[0].named_parameters()), dict(m[1].named_parameters()))


def _every_other(L):
    """A pruning method of the program's own, as torch's tutorial writes one: it prunes every
    other entry that the default mask still keeps."""
    class EveryOther(L.nn.utils.prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    def every_other(module, name):
        EveryOther.apply(module, name)
        return module
    return EveryOther, every_other


def test_custom_pruning_method():
    """BasePruningMethod's machinery under a subclass: apply (the hook, weight_orig and
    weight_mask), pruning again (a PruningContainer), prune() of a bare tensor, apply_mask,
    remove, the forward and gradients."""
    def run(L):
        P = L.nn.utils.prune
        method_cls, every_other = _every_other(L)
        m = every_other(_linear(L), "weight")
        out = _pruned(m)
        every_other(m, "weight")  # again: the masks combine
        method = next(iter(m._forward_pre_hooks.values()))
        out += _pruned(m) + [method[0].apply_mask(m)]
        out += _train(L, m)
        t = L.tensor(W)
        out += [method_cls().prune(t), method_cls().prune(t, default_mask=(t > 0).float()),
                method_cls().prune(t, importance_scores=L.tensor(SCORES))]
        P.remove(m, "weight")
        return out + [dict(m.named_parameters()), m(L.tensor(X))]
    assert_same(run(torch), run(torchlike))


def test_base_pruning_method_is_abstract():
    check_raises(lambda L: L.nn.utils.prune.BasePruningMethod(),
                 message=lambda text: text.replace("torchlike.", "torch."))


@pytest.mark.parametrize("state", ["plain", "pruned", "removed", "child-pruned"])
def test_is_pruned(state):
    def module(L):
        P = L.nn.utils.prune
        m = L.nn.Sequential(_linear(L), L.nn.ReLU())
        if state != "plain":
            P.l1_unstructured(m[0], "bias", amount=2)
        if state == "removed":
            P.remove(m[0], "bias")
        return m[0] if state == "pruned" else m
    check_call(lambda L: (L.nn.utils.prune.is_pruned, module(L)))
