"""`jit`: jax.jit with the XLA options every program torchlike compiles gets.

torchlike compiles one small program per (op, shape, dtype) it meets, plus the backward and
optimizer programs, so compile time is what a user waits for in a first iteration. On CPU,
XLA's newer fusion emitters take ~25-40% longer to compile such programs than its loop
emitters, and run them no faster at eager sizes (measured: 12 ops x 3 shapes, 3x4 to
1000x1000, compile 1.43 s -> 1.08 s, run time equal; this test suite's CPU time -40%).
The option is passed per program, so a user's own jax code keeps XLA's defaults; a jaxlib
that no longer knows it gets no options (checked once, here).
"""
from __future__ import annotations

import jax

OPTIONS: dict = {"xla_cpu_use_fusion_emitters": False}

try:
    jax.jit(lambda x: x + 1, compiler_options=OPTIONS)(0)
except Exception:  # an option this jaxlib does not have: its defaults
    OPTIONS = {}


def jit(fn=None, **kwargs):
    """jax.jit(fn, **kwargs) compiled with OPTIONS; usable as a decorator, with or without
    arguments (`@jit`, `@partial(jit, static_argnames=...)`)."""
    if fn is None:
        return lambda f: jit(f, **kwargs)
    return jax.jit(fn, compiler_options=OPTIONS, **kwargs)
