"""Side-by-side benchmarks: PyTorch eager, torchlike, and hand-written jax.jit, in one run.

    python bench/run.py [--quick]

Prints per-iteration medians and the ratios torchlike/torch and torchlike/jax.jit, plus the
backward compiles torchlike did while timed (should be 0). Same machine, same process.
"""
from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
import torch

import torchlike

torch.set_num_threads(2)


def timeit(fn, iters: int, repeats: int = 5, warmup: int = 100) -> float:
    """Median seconds per call over `repeats` runs of `iters` calls, after `warmup` calls (more
    than torchlike's HOT_AFTER: data-movement ops run on the host until a shape repeats)."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(iters):
            fn()
        runs.append((time.perf_counter() - t) / iters)
    return statistics.median(runs)


# ---- the seed tutorial's forward + backward ------------------------------------------------
def seed_graph(T):
    """The seed's first graph: x + 2, y * y * 3, mean, backward."""
    x = T.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    return x.grad


def seed_loop(T):
    """The seed's while-loop graph (fixed input: 10 doublings, each tested with y.data.norm())."""
    x = T.tensor([0.5, -0.25, 1.0], requires_grad=True)
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    y.backward(T.tensor([0.1, 1.0, 0.0001]))
    return x.grad


def seed_graph_jax():
    f1 = jax.jit(jax.grad(lambda x: jnp.mean((x + 2) * (x + 2) * 3)))
    a = jnp.ones((2, 2), jnp.float32)
    return lambda: f1(a).block_until_ready()


def seed_loop_jax():
    @jax.jit
    def f2(x, g):
        def body(x):
            y = x * 2
            for _ in range(10):
                y = y * 2
            return y
        return jax.vjp(body, x)[1](g)[0]
    b = jnp.array([0.5, -0.25, 1.0], jnp.float32)
    g = jnp.array([0.1, 1.0, 0.0001], jnp.float32)
    return lambda: f2(b, g).block_until_ready()


# ---- MLP 784-256-256-10, batch 64, one SGD step ---------------------------------------------
def mlp_step_factory(T):
    T.manual_seed(0)
    nn = T.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = T.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    x = T.tensor(rng.standard_normal((64, 784)).astype(np.float32))
    y = T.tensor(rng.integers(0, 10, 64))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def mlp_jax():
    rng = np.random.default_rng(0)
    sizes = [(784, 256), (256, 256), (256, 10)]
    params = [(jnp.asarray(rng.standard_normal((o, i)).astype(np.float32) * 0.03),
               jnp.zeros(o, jnp.float32)) for i, o in sizes]
    x = jnp.asarray(rng.standard_normal((64, 784)).astype(np.float32))
    y = jnp.asarray(rng.integers(0, 10, 64))

    def loss(params):
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w.T + b
            if i < 2:
                h = jax.nn.relu(h)
        logp = jax.nn.log_softmax(h)
        return -jnp.mean(logp[jnp.arange(64), y])

    @jax.jit
    def step(params, lr):
        value, g = jax.value_and_grad(loss)(params)
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, g), value
    state = [params]

    def run():
        state[0], value = step(state[0], 0.01)
        return value.block_until_ready()
    return run


# ---- in-place writes: a small slice of a large base, and through a view ------------------
def inplace_factory(T):
    base = T.zeros(1000, 1000)
    row = base[500]

    def step():
        base[10:12, 100:200] = 1.0   # __setitem__ on a slice: .at[].set into the base
        row.add_(1.0)                # in-place through a view: scatter back, refresh views
        return base
    return step


def inplace_jax():
    base = [jnp.zeros((1000, 1000), jnp.float32)]
    upd = jax.jit(lambda b: b.at[10:12, 100:200].set(1.0).at[500].add(1.0), donate_argnums=0)

    def step():
        base[0] = upd(base[0])
        return base[0].block_until_ready()
    return step


def sync_torchlike(fn):
    def run():
        out = fn()
        out._data.block_until_ready()
    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer iterations (smoke test)")
    args = ap.parse_args()
    scale = 0.1 if args.quick else 1.0
    cases = [
        ("seed graph 1 fwd+bwd (4 ops)", lambda: seed_graph(torch), sync_torchlike(
            lambda: seed_graph(torchlike)), seed_graph_jax(), int(3000 * scale)),
        ("seed while-loop graph fwd+bwd (~45 ops)", lambda: seed_loop(torch), sync_torchlike(
            lambda: seed_loop(torchlike)), seed_loop_jax(), int(1000 * scale)),
        ("MLP 784-256-256-10 SGD step (batch 64)", mlp_step_factory(torch),
         sync_torchlike(mlp_step_factory(torchlike)), mlp_jax(), int(300 * scale)),
        ("in-place slice + view writes (1000x1000 base)", inplace_factory(torch),
         sync_torchlike(inplace_factory(torchlike)), inplace_jax(), int(500 * scale)),
    ]
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)")
    print(f"{'case':42} {'torch':>10} {'torchlike':>10} {'jax.jit':>10} {'tl/torch':>9} "
          f"{'tl/jit':>7} {'compiles':>8}")
    for name, t_fn, l_fn, j_fn, iters in cases:
        t = timeit(t_fn, iters)
        j = timeit(j_fn, iters)
        timeit(l_fn, iters // 4 + 1)  # warm every shape before counting compiles
        before = torchlike.autograd.cache_info()["compiles"]
        lk = timeit(l_fn, iters)
        compiles = torchlike.autograd.cache_info()["compiles"] - before
        print(f"{name:42} {t * 1e6:8.1f}us {lk * 1e6:8.1f}us {j * 1e6:8.1f}us {lk / t:8.2f}x "
              f"{lk / j:6.2f}x {compiles:8d}")


if __name__ == "__main__":
    main()
