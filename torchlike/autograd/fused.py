"""The vjp cache: a whole backward pass as one jitted program, cached by graph structure.

The key is built from the recorded nodes in topological order: each node's kernel (op, operand
kinds, static arguments, dtypes), which operands need gradients, and the wiring between nodes.
Values never enter the key: saved arrays and Python numbers are arguments of the program (the
numbers packed into one float64 and one int64 vector), so `y * 2` then `y * 3` reuse one
compile. Shapes are handled by jax.jit's own cache under each program, and every trace is
counted as a compile. The cache is an LRU bounded by TORCHLIKE_VJP_CACHE_SIZE (default 512).
"""
from __future__ import annotations

import os
import sys
import traceback
from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

from .graph import AccumulateGrad

_cache: OrderedDict = OrderedDict()
_max = [int(os.environ.get("TORCHLIKE_VJP_CACHE_SIZE", "512"))]
_stats = {"hits": 0, "misses": 0, "compiles": 0}
_LOG = os.environ.get("TORCHLIKE_LOG_COMPILES", "") not in ("", "0")
_EMPTY_F = np.zeros(0, np.float64)
_EMPTY_I = np.zeros(0, np.int64)


def cache_info() -> dict:
    """hits, misses (new structures), compiles (traces, incl. new shapes), entries, maxsize."""
    return dict(_stats, entries=len(_cache), maxsize=_max[0])


def set_cache_size(n: int) -> None:
    _max[0] = int(n)
    while len(_cache) > _max[0]:
        _cache.popitem(last=False)


def clear_cache() -> None:
    _cache.clear()
    for k in _stats:
        _stats[k] = 0


def backward(order, roots) -> dict:
    """Run the cached program for this graph; returns {AccumulateGrad node: gradient array}."""
    index = {n: i for i, n in enumerate(order)}
    slots, arrays, floats, ints = {}, [], [], []
    spec, leaves = [], []
    for node in order:
        if isinstance(node, AccumulateGrad):
            spec.append(len(leaves))
            leaves.append(node)
            continue
        k = node.kernel
        refs = []
        for a, ch in zip(node.args, k.pattern):
            if ch == "t":
                s = slots.get(id(a))
                if s is None:
                    s = slots[id(a)] = len(arrays)
                    arrays.append(a)
                refs.append(s)
            elif ch == "f":
                refs.append(("f", len(floats)))
                floats.append(a)
            elif ch in "bi":
                refs.append(("i", len(ints)))
                ints.append(a)
            elif ch == "n":
                refs.append(None)
            else:  # complex Python numbers are rare: bake them in (one compile per value)
                refs.append(("c", a))
        edges = node.next_functions
        targets = tuple([(index[edges[j][0]], edges[j][1]) for j in k.edge_index(node.diff)])
        spec.append((k, node.diff, tuple(refs), targets))
    root_pos = tuple([(index[n], nr) for (n, nr), _ in roots])
    key = (tuple(spec), root_pos)
    prog = _cache.get(key)
    if prog is None:
        _stats["misses"] += 1
        prog = _cache[key] = _program(key[0], root_pos, len(leaves), len(order))
        if len(_cache) > _max[0]:
            _cache.popitem(last=False)
    else:
        _stats["hits"] += 1
        _cache.move_to_end(key)
    fl = np.asarray(floats, np.float64) if floats else _EMPTY_F
    il = np.asarray(ints, np.int64) if ints else _EMPTY_I
    grads = prog(arrays, fl, il, [g._data for _, g in roots])
    return dict(zip(leaves, grads))


def _program(spec, root_pos, nleaves, nnodes):
    """Build the jitted reverse pass for one graph structure."""
    def program(arrays, floats, ints, root_cts):
        _on_trace(spec, arrays)
        cts = [None] * nnodes
        for (i, nr), g in zip(root_pos, root_cts):
            _acc(cts, i, nr, g)
        out = [None] * nleaves
        for i, entry in enumerate(spec):
            c = cts[i]
            if isinstance(entry, int):
                out[entry] = c[0]
                continue
            k, diff, refs, targets = entry
            args = [_arg(r, arrays, floats, ints) for r in refs]
            if k.op.nout == 1:
                cs = [c[0]]
            else:
                outs = k.fn(*args)
                cs = [c[j] if c.get(j) is not None else jnp.zeros_like(o)
                      for j, o in enumerate(outs) if jnp.issubdtype(o.dtype, jnp.inexact)]
            grads = k.vjp_fn(diff)(args, cs)
            for g, (j, nr) in zip(grads, targets):
                _acc(cts, j, nr, g)
        return out
    return jax.jit(program)


def _arg(ref, arrays, floats, ints):
    if ref is None or isinstance(ref, int):
        return None if ref is None else arrays[ref]
    kind, v = ref
    return floats[v] if kind == "f" else ints[v] if kind == "i" else v


def _acc(cts, i, nr, g):
    c = cts[i]
    if c is None:
        c = cts[i] = {}
    c[nr] = g if c.get(nr) is None else c[nr] + g


def _on_trace(spec, arrays) -> None:
    # Runs only while jax traces the program, i.e. exactly once per compile.
    _stats["compiles"] += 1
    if _LOG:
        names = [e[0].op.name for e in spec if not isinstance(e, int)]
        frame = _user_frame()
        shapes = [tuple(a.shape) for a in arrays][:6]
        print(f"[torchlike] backward compile #{_stats['compiles']}: {len(spec)} nodes "
              f"(ops: {', '.join(names[:8])}{', ...' if len(names) > 8 else ''}), "
              f"saved shapes {shapes}, at {frame}", file=sys.stderr)


def _user_frame() -> str:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for fr in reversed(traceback.extract_stack()):
        if not fr.filename.startswith(here) and "/jax/" not in fr.filename:
            return f"{fr.filename}:{fr.lineno}"
    return "?"
