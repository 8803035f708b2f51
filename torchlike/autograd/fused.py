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

import jax.numpy as jnp
import numpy as np

from .. import _device
from .._compile import jit
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


def backward(order, roots):
    """Run the cached program for this graph; returns {AccumulateGrad node: gradient array},
    or None when Python code must observe the walk (hooks, custom Functions)."""
    index = {n: i for i, n in enumerate(order)}
    arrays, floats, ints, spec, leaves = [], [], [], [], []
    for node in order:
        if not node.fusable or node._pre_hooks is not None or node._hooks is not None:
            return None
        if node.__class__ is AccumulateGrad:
            if node.variable._hooks is not None:
                return None
            spec.append(len(leaves))
            leaves.append(node)
            continue
        saved = node.saved_versions
        if node._freed or saved and any([vc[0] != v for vc, v, _ in saved]):
            return None  # the node by node walk raises torch's error where torch's does
        k, diff = node.kernel, node.diff
        args = node.args if not node._hollow else node.live_args()
        for i in k.tensor_pos:
            arrays.append(args[i])
        if k.number_pos:
            for i in k.float_pos:
                floats.append(args[i])
            for i in k.int_pos:
                ints.append(args[i])
        edges = node.next_functions
        ei = k._edge_idx.get(diff) or k.edge_index(diff)
        spec.append((k, diff, tuple([(index[edges[j][0]], edges[j][1]) for j in ei]),
                     tuple([args[i] for i in k.complex_pos]) if k.complex_pos else ()))
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
        try:
            _cache.move_to_end(key)
        except KeyError:  # another thread's miss evicted it meanwhile: prog is still good
            pass
    grads = prog(arrays, _vector(floats, np.float64), _vector(ints, np.int64),
                 [g._data for _, g in roots])
    return dict(zip(leaves, grads))


_VECTORS: dict = {}


def _vector(values, dt):
    """The graph's Python numbers as one device vector, cached by value (a transfer costs more
    than the lookup). Floats that compare equal to a different value (0.0/-0.0, nan) are not
    cached."""
    if not values:
        return _EMPTY_F if dt is np.float64 else _EMPTY_I
    key = (dt, *values)
    a = _VECTORS.get(key)
    if a is None:
        a = _device.upload(np.asarray(values, dt))
        if dt is np.int64 or not any([v != v or v == 0.0 for v in values]):
            if len(_VECTORS) > 4096:
                _VECTORS.clear()
            _VECTORS[key] = a
    return a


def _program(spec, root_pos, nleaves, nnodes):
    """Build the jitted reverse pass for one graph structure."""
    def program(arrays, floats, ints, root_cts):
        _on_trace(spec, arrays)
        cts = [None] * nnodes
        for (i, nr), g in zip(root_pos, root_cts):
            _acc(cts, i, nr, g)
        out = [None] * nleaves
        numbers = {"t": iter(arrays), "f": iter(floats), "i": iter(ints), "b": None}
        numbers["b"] = numbers["i"]
        for i, entry in enumerate(spec):
            c = cts[i]
            if isinstance(entry, int):
                out[entry] = None if c is None else c[0]  # None: no gradient reached it
                continue
            k, diff, targets, complexes = entry
            numbers["c"] = iter(complexes)
            args = [None if ch == "n" else next(numbers[ch]) for ch in k.pattern]
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
    return jit(program)


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
