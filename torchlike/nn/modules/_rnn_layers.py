"""ATen's RNN pieces (aten/src/ATen/native/RNN.cpp) composed from torchlike ops, so grad_fn
names and next_functions are torch's: the cells, FullLayer (one direction over a padded
sequence) and PackedLayer / ReversedPackedLayer (one direction over a PackedSequence's data)."""
from __future__ import annotations

from ..._tensor import Tensor
from ...ops.combine import cat, stack
from ...ops.linalg import mm
from ...ops.rnn import unsafe_chunk
from .. import functional as F


# ---- the cells (p: w_ih, w_hh, b_ih, b_hh, w_hr) -------------------------------------------
# ATen's cells write in place (add_, sigmoid_, mul_); the out-of-place ops here record the
# same nodes and edges. `pre`: x is the input's part of the gates, computed for all steps.
def _simple_cell(act):
    def cell(x, h, p, pre=False):
        return act(F.linear(h, p[1], p[3]) + (x if pre else F.linear(x, p[0], p[2])))
    return cell


def _lstm_cell(x, state, p, pre=False):
    hx, cx = state
    gates = F.linear(hx, p[1], p[3]) + (x if pre else F.linear(x, p[0], p[2]))
    i, f, g, o = unsafe_chunk(gates, 4, 1)
    cy = f.sigmoid() * cx + i.sigmoid() * g.tanh()
    hy = o.sigmoid() * cy.tanh()
    return (hy if p[4] is None else mm(hy, p[4].t())), cy


def _gru_cell(x, h, p, pre=False):
    i_r, i_z, i_n = unsafe_chunk(x if pre else F.linear(x, p[0], p[2]), 3, 1)
    h_r, h_z, h_n = unsafe_chunk(F.linear(h, p[1], p[3]), 3, 1)
    r = (h_r + i_r).sigmoid()
    z = (h_z + i_z).sigmoid()
    n = (i_n + h_n * r).tanh()
    return (h - n) * z + n


CELLS = {"RNN_TANH": _simple_cell(Tensor.tanh), "RNN_RELU": _simple_cell(Tensor.relu),
          "LSTM": _lstm_cell, "GRU": _gru_cell}


# ---- the layers: one direction of one layer -> (output, final state) ----------------------
def full_layer(cell, x, hidden, p, reverse: bool):
    """ATen's FullLayer (or one half of FullBidirectionalLayer) on CPU: the input's part of
    the gates for all steps in one linear, then the cell step by step."""
    steps = F.linear(x, p[0], p[2]).unbind(0)
    outs = [None] * len(steps)
    for t in range(len(steps) - 1, -1, -1) if reverse else range(len(steps)):
        hidden = cell(steps[t], hidden, p, True)
        outs[t] = hidden[0] if isinstance(hidden, tuple) else hidden
    return stack(outs, 0), hidden


def _narrow_hidden(hidden, start: int, end: int):
    if isinstance(hidden, tuple):
        return tuple(h.narrow(0, start, end - start) for h in hidden)
    return hidden.narrow(0, start, end - start)


def _cat_hidden(hiddens: list):
    if isinstance(hiddens[0], tuple):
        return tuple(cat([h[i] for h in hiddens], 0) for i in range(len(hiddens[0])))
    return cat(hiddens, 0)


def packed_layer(cell, data, batch_sizes: list, hidden, p, reverse: bool):
    """ATen's PackedLayer (ReversedPackedLayer with `reverse`) on CPU over packed data: the
    input's part of the gates for all rows in one linear, then the cell step by step on each
    step's batch. Forward, the hidden state sheds the rows of the sequences that end (their
    final states); reversed, it takes on the initial states of the sequences that start."""
    x = F.linear(data, p[0], p[2])
    outs = []
    if not reverse:
        finals, offset, last = [], 0, batch_sizes[0]
        for size in batch_sizes:
            step = x.narrow(0, offset, size)
            offset += size
            if size < last:
                finals.append(_narrow_hidden(hidden, size, last))
                hidden = _narrow_hidden(hidden, 0, size)
            last = size
            hidden = cell(step, hidden, p, True)
            outs.append(hidden[0] if isinstance(hidden, tuple) else hidden)
        finals.append(hidden)
        return cat(outs, 0), _cat_hidden(finals[::-1])
    initial, offset, last = hidden, x.size(0), batch_sizes[-1]
    hidden = _narrow_hidden(initial, 0, last)
    for size in reversed(batch_sizes):
        if size > last:
            hidden = _cat_hidden([hidden, _narrow_hidden(initial, last, size)])
        step = x.narrow(0, offset - size, size)
        offset -= size
        last = size
        hidden = cell(step, hidden, p, True)
        outs.append(hidden[0] if isinstance(hidden, tuple) else hidden)
    return cat(outs[::-1], 0), hidden
