"""Tensor.pin_memory and DataLoader(pin_memory=True) where an accelerator is present (real
torch's CPU build, the compat oracle, has none: compat/test_pinned.py compares the rest)."""
from __future__ import annotations

import collections
from unittest import mock

import pytest

import torchlike as torch

P = collections.namedtuple("P", "a b")


@pytest.fixture
def accelerator():
    with mock.patch("torchlike.accelerator.is_available", return_value=True):
        yield


def test_pin_memory_copies_and_marks(accelerator):
    x = torch.arange(3.0)
    y = x.pin_memory()
    assert y.is_pinned() and not x.is_pinned()
    assert y.pin_memory() is y  # already pinned: itself
    assert torch.equal(x, y) and y.device.type == "cpu"
    x.add_(1)  # a copy
    assert y.tolist() == [0.0, 1.0, 2.0]
    g = torch.ones(2, requires_grad=True)
    pg = g.pin_memory()
    assert pg.requires_grad and pg.is_pinned()
    (pg * 2).sum().backward()
    assert g.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="CPU device type not an accelerator."):
        x.pin_memory("cpu")


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_pins_batches(accelerator, num_workers):
    data = [{"x": torch.ones(2), "y": (torch.zeros(1), "s"), "z": [torch.ones(1)],
             "p": P(torch.ones(1), 3)} for _ in range(4)]
    dl = torch.utils.data.DataLoader(data, batch_size=2, pin_memory=True,
                                     num_workers=num_workers)
    for b in dl:
        assert b["x"].is_pinned() and b["y"][0].is_pinned() and b["y"][1] == ("s", "s")
        assert b["z"][0].is_pinned() and type(b["p"]) is P and b["p"].a.is_pinned()
    unpinned = torch.utils.data.DataLoader(data, batch_size=2)
    assert not next(iter(unpinned))["x"].is_pinned()
