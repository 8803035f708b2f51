"""nn / optim / utils.data properties that need no PyTorch: registration, state_dict round
trips, modes, hooks, data loading determinism, optimizer convergence, no recompiles."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import torchlike as torch
import torchlike.nn as nn
import torchlike.nn.functional as F
from torchlike.optim.optimizer import TRACES
from torchlike.utils.data import DataLoader, TensorDataset, random_split


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.block = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.Dropout(0.5))
        self.head = nn.Linear(8, 3)
        self.scale = nn.Parameter(torch.ones(1))
        self.register_buffer("counter", torch.zeros(1))
        self.register_buffer("cache", torch.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(self.block(self.act(self.fc1(x)))) * self.scale


def test_registration_and_traversal():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "block.0.weight", "block.0.bias",
                     "block.1.weight", "block.1.bias", "head.weight", "head.bias"]
    assert [n for n, _ in net.named_buffers()] == [
        "counter", "cache", "block.1.running_mean", "block.1.running_var",
        "block.1.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "block", "head"]
    assert len(list(net.modules())) == 8
    assert "cache" not in net.state_dict() and "counter" in net.state_dict()
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter"):
        net.scale = torch.ones(1)
    net.scale = None
    assert "scale" not in [n for n, _ in net.named_parameters()]
    net.head = nn.Identity()
    assert "head.weight" not in dict(net.named_parameters())
    del net.act
    assert not hasattr(net, "act")
    with pytest.raises(KeyError, match="attribute 'fc1' already exists"):
        net.register_buffer("fc1", torch.zeros(1))
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, shared)
    assert len(list(seq.parameters())) == 2  # duplicates removed, as torch does


def test_state_dict_round_trip_and_strict_errors():
    torch.manual_seed(0)
    a, b = Net(), Net()
    a.train()(torch.randn(5, 4))  # move running statistics away from their defaults
    res = b.load_state_dict(a.state_dict())
    assert repr(res) == "<All keys matched successfully>"
    a.eval(), b.eval()
    x = torch.randn(3, 4)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    sd = a.state_dict()
    assert type(sd).__name__ == "OrderedDict" and sd._metadata["block.1"] == {"version": 2}
    sd.pop("head.bias")
    sd["extra.weight"] = torch.ones(1)
    with pytest.raises(RuntimeError) as e:
        b.load_state_dict(sd)
    assert str(e.value).startswith("Error(s) in loading state_dict for Net:\n\tMissing key(s) "
                                   "in state_dict: \"head.bias\". \n\tUnexpected key(s)")
    res = b.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["head.bias"] and res.unexpected_keys == ["extra.weight"]
    w = b.fc1.weight
    b.load_state_dict(a.state_dict())
    assert b.fc1.weight is w  # loading copies into the existing parameters


def test_state_dict_values_share_storage_with_parameters():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    with torch.no_grad():
        lin.weight.mul_(0)
    assert float(sd["weight"].abs().sum()) == 0.0
    assert not sd["weight"].requires_grad


def test_train_eval_modes():
    net = Net()
    assert all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    x = torch.randn(6, 4)
    np.testing.assert_array_equal(net(x).detach().numpy(), net(x).detach().numpy())
    net.train()
    drop = nn.Dropout(0.5)
    assert not np.array_equal(drop(torch.ones(100)).numpy(), drop(torch.ones(100)).numpy())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")


def test_batchnorm_uses_running_stats_in_eval():
    bn = nn.BatchNorm1d(2, momentum=None)
    xs = [torch.randn(8, 2) * 3 + 1 for _ in range(4)]
    for x in xs:
        bn(x)
    allx = np.concatenate([x.numpy() for x in xs])
    assert int(bn.num_batches_tracked) == 4
    # momentum=None: the cumulative average of the batch means
    np.testing.assert_allclose(bn.running_mean.numpy(),
                               np.mean([x.numpy().mean(0) for x in xs], 0), rtol=1e-5)
    bn.eval()
    out = bn(torch.tensor(allx)).detach().numpy()
    expect = (allx - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(out, expect, rtol=1e-5, atol=1e-6)


def test_forward_and_backward_hooks():
    lin = nn.Linear(3, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(torch.randn(4, 3))
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy() + 1 +
                               np.zeros((4, 2)), rtol=1e-6)
    assert calls == [torch.Size([4, 2])]
    h1.remove(), h2.remove()
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi[0].shape, go[0].shape)))
    x = torch.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    assert seen == [(torch.Size([4, 3]), torch.Size([4, 2]))]
    np.testing.assert_allclose(x.grad.numpy(), np.tile(lin.weight.detach().numpy().sum(0),
                                                       (4, 1)), rtol=1e-6)


def test_module_to_dtype_keeps_parameter_identity():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    w = net[0].weight
    net(torch.randn(3, 2)).sum().backward()
    net.double()
    assert net[0].weight is w and w.dtype is torch.float64 and w.grad.dtype is torch.float64
    assert net[1].num_batches_tracked.dtype is torch.int64
    assert net(torch.randn(3, 2, dtype=torch.float64)).dtype is torch.float64
    with pytest.raises(TypeError, match="only accepts floating point"):
        net.to(torch.int64)


def test_deepcopy_and_parameter_storage():
    net = nn.Linear(3, 3)
    clone = copy.deepcopy(net)
    assert isinstance(clone.weight, nn.Parameter) and clone.weight.requires_grad
    with torch.no_grad():
        net.weight.add_(1)
    assert not np.allclose(net.weight.detach().numpy(), clone.weight.detach().numpy())
    t = torch.zeros(3)
    p = nn.Parameter(t)
    t.add_(2)  # Parameter(t) shares t's storage
    np.testing.assert_array_equal(p.detach().numpy(), [2, 2, 2])


def test_init_bounds_follow_torch_defaults():
    torch.manual_seed(0)
    lin = nn.Linear(50, 40)
    bound = 1 / math.sqrt(50)
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    conv = nn.Conv2d(4, 6, 3)
    assert np.abs(conv.weight.detach().numpy()).max() <= 1 / math.sqrt(36)
    emb = nn.Embedding(200, 50, padding_idx=3)
    e = emb.weight.detach().numpy()
    assert abs(e.std() - 1) < 0.05 and (e[3] == 0).all()
    x = torch.empty(300, 300)
    nn.init.xavier_normal_(x)
    assert abs(x.numpy().std() - math.sqrt(2 / 600)) < 0.005
    nn.init.trunc_normal_(x, std=2.0, a=-1.0, b=1.5)
    assert x.numpy().min() >= -1.0 and x.numpy().max() <= 1.5
    nn.init.orthogonal_(x)
    np.testing.assert_allclose(x.numpy() @ x.numpy().T, np.eye(300), atol=1e-4)


def test_dataloader_shuffling_is_deterministic_under_manual_seed():
    ds = TensorDataset(torch.arange(20).float(), torch.arange(20))

    def epoch(seed):
        torch.manual_seed(seed)
        return [b.tolist() for _, b in DataLoader(ds, batch_size=6, shuffle=True)]
    a, b, c = epoch(1), epoch(1), epoch(2)
    assert a == b and a != c
    assert sorted(sum(a, [])) == list(range(20)) and [len(x) for x in a] == [6, 6, 6, 2]
    loader = DataLoader(ds, batch_size=6, drop_last=True)
    assert len(loader) == 3 and [len(y) for _, y in loader] == [6, 6, 6]
    torch.manual_seed(3)
    s1 = [list(s.indices) for s in random_split(ds, [0.5, 0.5])]
    torch.manual_seed(3)
    assert s1 == [list(s.indices) for s in random_split(ds, [0.5, 0.5])]


@pytest.mark.parametrize("make", [
    lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: torch.optim.Adam(ps, lr=0.1), lambda ps: torch.optim.AdamW(ps, lr=0.1),
    lambda ps: torch.optim.RMSprop(ps, lr=0.05), lambda ps: torch.optim.Adagrad(ps, lr=0.5)])
def test_optimizers_minimize_a_quadratic(make):
    target = torch.tensor([1.0, -2.0, 3.0])
    x = nn.Parameter(torch.zeros(3))
    opt = make([x])
    first = None
    for _ in range(150):
        opt.zero_grad()
        loss = ((x - target) ** 2).sum()
        loss.backward()
        opt.step()
        first = first if first is not None else float(loss)
    assert float(((x - target) ** 2).sum()) < 0.05 * first


def test_lr_changes_never_recompile_the_update():
    model = nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    x = torch.randn(4, 3)
    lrs = []
    for i in range(6):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
        if i == 0:
            traces = dict(TRACES)
    assert dict(TRACES) == traces
    assert lrs == [0.1 * 0.5 ** (i + 1) for i in range(6)]


def test_zero_grad_and_clipping():
    lin = nn.Linear(4, 3)
    lin(torch.randn(2, 4)).sum().backward()
    grads = [p.grad.numpy().copy() for p in lin.parameters()]
    total = math.sqrt(sum((g ** 2).sum() for g in grads))
    norm = nn.utils.clip_grad_norm_(lin.parameters(), max_norm=0.5)
    assert abs(float(norm) - total) < 1e-4 * total
    new_total = math.sqrt(sum((p.grad.numpy() ** 2).sum() for p in lin.parameters()))
    assert abs(new_total - min(total, 0.5)) < 1e-4
    nn.utils.clip_grad_value_(lin.parameters(), 0.01)
    assert all(np.abs(p.grad.numpy()).max() <= 0.01 + 1e-7 for p in lin.parameters())
    lin.zero_grad(set_to_none=False)
    assert all((p.grad.numpy() == 0).all() for p in lin.parameters())
    lin.zero_grad()
    assert all(p.grad is None for p in lin.parameters())


def test_parameters_vector_round_trip():
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    vec = nn.utils.parameters_to_vector(net.parameters())
    assert vec.shape == (13,) and type(vec.grad_fn).__name__ == "CatBackward0"
    nn.utils.vector_to_parameters(torch.arange(13.0), net.parameters())
    np.testing.assert_array_equal(net[0].weight.detach().numpy(),
                                  np.arange(6.0).reshape(3, 2))


def test_training_loop_fits_a_small_problem():
    torch.manual_seed(0)
    x = torch.randn(64, 2)
    y = (x[:, 0] * x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    for _ in range(40):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    acc = float((model(x).argmax(1) == y).float().mean())
    assert acc > 0.9
