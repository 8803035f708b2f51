"""Per-thread state: grad and inference modes belong to the thread that sets them (as in torch),
so training threads and no_grad evaluation threads running at once give the serial results."""
from __future__ import annotations

import threading

import numpy as np

import torchlike as torch
from torchlike import nn


def _train(seed: int, steps: int = 15) -> list[np.ndarray]:
    torch.manual_seed(seed)  # the generator is process-wide (as torch's): draw before threads
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    x = torch.linspace(-1, 1, 32 * 8).reshape(32, 8) * (seed + 1)
    y = x.sum(1, keepdim=True).sin()
    return model, x, y, steps


def _run_training(model, x, y, steps) -> list[np.ndarray]:
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        assert loss.requires_grad, "grad mode leaked into a training thread"
        loss.backward()
        opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


def _run_eval(model, x, steps, out: list) -> None:
    for _ in range(steps):
        with torch.no_grad():
            r = model(x)
            out.append(r.requires_grad or torch.is_grad_enabled())
        with torch.inference_mode():
            out.append(model(x).requires_grad or not torch.is_inference_mode_enabled())


def test_training_threads_beside_no_grad_threads_match_serial():
    setups = [_train(s) for s in range(4)]
    serial = [_run_training(*_train(s)) for s in range(4)]
    results: list = [None] * 4
    leaks: list = []
    evaluator = _train(9)[0]
    xe = torch.ones(5, 8)

    def trainer(i):
        results[i] = _run_training(*setups[i])

    threads = [threading.Thread(target=trainer, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=_run_eval, args=(evaluator, xe, 40, leaks))
                for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
    assert not any(leaks)  # no_grad / inference_mode held inside the evaluating threads
    for got, want in zip(results, serial):
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


def test_mode_set_in_a_thread_stays_there():
    seen = []
    with torch.no_grad():
        t = threading.Thread(target=lambda: seen.append(torch.is_grad_enabled()))
        t.start()
        t.join()
        assert not torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    try:
        t = threading.Thread(target=lambda: seen.append(torch.is_grad_enabled()))
        t.start()
        t.join()
    finally:
        torch.set_grad_enabled(True)
    assert seen == [True, True]
