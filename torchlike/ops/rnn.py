"""Ops behind nn.RNN / LSTM / GRU: torch's unsafe_split / unsafe_chunk and _unsafe_view (the
pieces ATen's RNN cells are built from), and the oneDNN LSTM layer torch runs on CPU for
float32 / bfloat16 (MkldnnRnnLayerBackward0), here one lax.scan over the time steps; and
torch._pack_padded_sequence, the gather behind nn.utils.rnn.pack_padded_sequence."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._tensor import _wrap_dim
from ._bind import public
from ._registry import op, run
from .shape import unsafe_view as unsafe_view  # noqa: F401  (the RNN modules use it)

_HI = lax.Precision.HIGHEST

# ---- unsafe_split / unsafe_chunk / _unsafe_view: split / chunk / view whose results autograd
# does not track as views (UnsafeSplitBackward0, UnsafeViewBackward0) -----------------------
_unsafe_split = op("unsafe_split", "UnsafeSplitBackward0", dtypes="same", saves=False,
                   nout=-1)(lambda a, sections, dim: tuple(jnp.split(a, sections, axis=dim)))


@public()
def unsafe_split(tensor, split_size: int, dim: int = 0) -> tuple:
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    if split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got "
                           f"split_size={split_size}")
    d = _wrap_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if split_size == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                           f"dimension size of {n}")
    bounds = tuple(range(split_size, n, split_size)) if split_size > 0 else ()
    return tuple(run(_unsafe_split, (tensor,), (("sections", bounds), ("dim", d))))


@public()
def unsafe_chunk(input, chunks: int, dim: int = 0) -> tuple:
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if n == 0:  # torch keeps the number of (empty) chunks
        return tuple(run(_unsafe_split, (input,), (("sections", (0,) * (chunks - 1)),
                                                   ("dim", d))))
    return unsafe_split(input, -(-n // chunks), d)


# ---- the oneDNN LSTM layer ----------------------------------------------------------------
def _lstm_layer(x, w_ih, w_hh, b_ih, b_hh, hx, cx, reverse):
    """One direction of one LSTM layer over (T, B, F) input: (output, h_T, c_T)."""
    gi = jnp.einsum("tbf,gf->tbg", x, w_ih, precision=_HI)
    if b_ih is not None:
        gi = gi + (b_ih + b_hh)

    def step(carry, g):
        h, c = carry
        i, f, n, o = jnp.split(g + jnp.matmul(h, w_hh.T, precision=_HI), 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(n)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), h

    (h, c), ys = lax.scan(step, (hx, cx), gi, reverse=reverse)
    return ys, h, c


# Operands (input, w_ih, w_hh, b_ih, b_hh, hx, cx): torch's edge order; its zero biases (no
# bias) and hidden states without grad are (None, 0) edges.
mkldnn_lstm_layer = op("mkldnn_rnn_layer", "MkldnnRnnLayerBackward0", dtypes="same", nout=3,
                       edges=7)(_lstm_layer)


# ---- torch._pack_padded_sequence: the steps of a padded (T, B, *) batch, each cut to its
# batch size and joined (PackPaddedSequenceBackward0; torch saves no tensor for backward) ----
def _pack(x, batch_sizes, batch_first):
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    b = np.concatenate([np.arange(n) for n in batch_sizes])
    return x[b, t] if batch_first else x[t, b]


pack_padded = op("_pack_padded_sequence", "PackPaddedSequenceBackward0", dtypes="same",
                 saves=False)(_pack)
