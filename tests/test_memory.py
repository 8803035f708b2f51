"""Memory stays flat over many steps: after a backward without retain_graph, graph nodes hold
only what torch keeps (name, next_functions, metadata), so a training loop that keeps its
losses in a list (`losses.append(loss)`) does not keep each step's weights and inputs alive."""
from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

import torchlike as torch
from torchlike import nn

_LOOP = textwrap.dedent("""
    import gc, resource, sys
    import torchlike as torch
    from torchlike import nn

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20

    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))
    losses = []

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss)

    for _ in range(50):  # compiles, caches and allocator pools settle
        step()
    gc.collect()
    before = rss_mb()
    for _ in range(int(sys.argv[1])):
        step()
    gc.collect()
    print(rss_mb() - before)
""")


def test_kept_losses_do_not_keep_their_graphs_memory():
    out = subprocess.run([sys.executable, "-c", _LOOP, "1000"], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    growth = float(out.stdout.split()[-1])
    assert growth < 30, f"RSS grew {growth:.0f} MB over 1000 steps that keep their losses"


def _walk(root):
    seen, stack = [], [root]
    while stack:
        n = stack.pop()
        if n is not None and n not in seen:
            seen.append(n)
            stack += [e[0] for e in n.next_functions]
    return seen


def test_released_nodes_hold_no_operands():
    import jax
    lin = nn.Linear(5, 3)
    x = torch.randn(4, 5, requires_grad=True)
    loss = lin(x.view(2, 10).view(4, 5)).sum() + x.t().sum()
    loss.backward()
    nodes = [n for n in _walk(loss.grad_fn) if type(n).__name__ != "AccumulateGrad"]
    assert {"TBackward0", "ViewBackward0", "SumBackward0"} <= {n.name() for n in nodes}
    for n in nodes:
        assert n.inputs is None, f"{n.name()} kept its operand tensors"
        assert not any(isinstance(a, jax.Array) for a in n.args or ()), \
            f"{n.name()} kept its operands' arrays"


def test_graph_that_saves_nothing_runs_backward_again_after_release():
    # torch allows it (nothing was freed); gradients and double backward stay right
    x = torch.randn(3, 4, requires_grad=True)
    y = (x.t().reshape(-1) - x.view(-1)).sum() + x[1].sum()
    y.backward()
    first = x.grad.clone()  # before any release
    assert first.abs().sum() > 0
    for _ in range(2):
        x.grad = None
        y.backward()
        assert torch.equal(x.grad, first)
    y.backward(create_graph=True)  # node by node over the released, hollow nodes
    z = x * 1.5
    z.sum().backward()
    with_hook = x.t().sum()
    with_hook.backward()
    with_hook.grad_fn.register_hook(lambda gi, go: None)
    with_hook.backward()  # the hooked walk (node by node) after release
    gc.collect()
