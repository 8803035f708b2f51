"""`jit`: jax.jit with the XLA options every program torchlike compiles gets.

torchlike compiles one small program per (op, shape, dtype) it meets, plus the backward and
optimizer programs, so compile time is what a user waits for in a first iteration. On CPU,
XLA's newer fusion emitters take ~25-40% longer to compile such programs than its loop
emitters, and run them no faster at eager sizes (measured: 12 ops x 3 shapes, 3x4 to
1000x1000, compile 1.43 s -> 1.08 s, run time equal; this test suite's CPU time -40%).
The option is passed per program, so a user's own jax code keeps XLA's defaults; a jaxlib
that no longer knows it gets no options (checked once, here).

Lowering a program to MLIR builds a new MLIR context each time, loading every dialect: ~2.4 ms
of the ~3.5 ms JAX spends lowering a small program, paid again for every new shape, and again
on a hit in the on-disk compile cache (which keys on the lowered module). `reuse_mlir_contexts`
gives each thread one context for `CONTEXT_USES` lowerings (then a new one, so what a context
interns, types and attributes of every program lowered in it, stays bounded).
"""
from __future__ import annotations

import threading

import jax

OPTIONS: dict = {"xla_cpu_use_fusion_emitters": False}

try:
    jax.jit(lambda x: x + 1, compiler_options=OPTIONS)(0)
except Exception:  # an option this jaxlib does not have: its defaults
    OPTIONS = {}


CONTEXT_USES = 256


def reuse_mlir_contexts() -> bool:
    """Have JAX lower in a per-thread MLIR context reused CONTEXT_USES times; False (JAX left as
    it is) where this jax lacks the function."""
    try:
        from jax._src.interpreters import mlir
        make = mlir.make_ir_context
    except (ImportError, AttributeError):
        return False
    if getattr(make, "_torchlike", False):
        return True
    local = threading.local()

    def make_ir_context():
        uses = getattr(local, "uses", CONTEXT_USES)
        if uses >= CONTEXT_USES:
            local.context, uses = make(), 0
        local.uses = uses + 1
        return local.context

    make_ir_context._torchlike = True
    mlir.make_ir_context = make_ir_context
    return True


def jit(fn=None, **kwargs):
    """jax.jit(fn, **kwargs) compiled with OPTIONS; usable as a decorator, with or without
    arguments (`@jit`, `@partial(jit, static_argnames=...)`)."""
    if fn is None:
        return lambda f: jit(f, **kwargs)
    return jax.jit(fn, compiler_options=OPTIONS, **kwargs)
