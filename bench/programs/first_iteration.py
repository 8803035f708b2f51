"""An MLP 784-256-256-10 trained with SGD on batches of 64: the first iteration (where every
kernel, the backward program and the optimizer program are met for the first time) and the
median of the next 20. Plain PyTorch; bench/first_run.py runs it under torch and torchlike."""
import statistics
import time

import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                      nn.Linear(256, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
x, y = torch.randn(64, 784), torch.randint(0, 10, (64,))


def step():
    t = time.perf_counter()
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    value = loss.item()
    return time.perf_counter() - t, value


first, loss = step()
rest = [step()[0] for _ in range(20)]
print(f"first {first:.4f} s")
print(f"steady {statistics.median(rest):.4f} s loss {loss:.4f}")
