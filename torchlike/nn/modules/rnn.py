"""RNN, LSTM, GRU and their cells, composed from torchlike ops as torch's CPU kernels compose
them, so grad_fn names and next_functions are torch's: ATen's cells, layers and layer stack
(aten/src/ATen/native/RNN.cpp) for RNN, GRU and float64 / projected LSTM, and one
MkldnnRnnLayerBackward0 node per layer and direction for LSTM in float32 / bfloat16 (torch's
oneDNN path). On CUDA torch would record cuDNN's nodes instead; torchlike always answers as
torch on CPU."""
from __future__ import annotations

import math
import numbers
import warnings

from ... import _dtype as D
from ..._creation import zeros
from ..._errors import NotImplementedOp
from ..._tensor import Tensor
from ...ops._registry import run
from ...ops.combine import cat, stack
from ...ops.linalg import mm
from ...ops.rnn import mkldnn_lstm_layer, unsafe_chunk
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import _empty
from .module import Module

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_positive_int(name, value) -> None:
    if not isinstance(value, int):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


def _reset_uniform(module) -> None:
    """torch's init of every recurrent weight: uniform(-1/sqrt(hidden_size), +1/sqrt(...))."""
    stdv = 1.0 / math.sqrt(module.hidden_size)
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


# ---- ATen's pieces: at::linear, the cells (p: w_ih, w_hh, b_ih, b_hh, w_hr) ----------------
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


_CELLS = {"RNN_TANH": _simple_cell(Tensor.tanh), "RNN_RELU": _simple_cell(Tensor.relu),
          "LSTM": _lstm_cell, "GRU": _gru_cell}


def _full_layer(cell, x, hidden, p, reverse: bool):
    """ATen's FullLayer (or one half of FullBidirectionalLayer) on CPU: the input's part of
    the gates for all steps in one linear, then the cell step by step."""
    steps = F.linear(x, p[0], p[2]).unbind(0)
    outs = [None] * len(steps)
    for t in range(len(steps) - 1, -1, -1) if reverse else range(len(steps)):
        hidden = cell(steps[t], hidden, p, True)
        outs[t] = hidden[0] if isinstance(hidden, tuple) else hidden
    return stack(outs, 0), hidden


# ---- sequence modules ------------------------------------------------------------------------
class RNNBase(Module):
    """Base of RNN, LSTM and GRU: parameters, checks, and the loop over layers, directions and
    time steps. PackedSequence input is not supported."""

    _n_states = 1

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        for name, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
        _check_positive_int("input_size", input_size)
        _check_positive_int("hidden_size", hidden_size)
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        out_size = proj_size or hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (gate_size, layer_input),
                          "weight_hh": (gate_size, out_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = [f"{kind}_l{layer}{suffix}" for kind in shapes]
                for name, shape in zip(names, shapes.values()):
                    setattr(self, name, Parameter(_empty(*shape, dtype=dtype)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    reset_parameters = _reset_uniform

    def flatten_parameters(self) -> None:
        """A no-op: there are no cuDNN weight buffers to compact."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- forward -----------------------------------------------------------------------------
    def _check_hx_dims(self, states, want: int) -> None:
        name = "unbatched 2-D" if want == 2 else "batched 3-D"
        if self._n_states == 2:
            if states[0].dim() != want or states[1].dim() != want:
                raise RuntimeError(f"For {name} input, hx and cx should also be {want}-D but "
                                   f"got ({states[0].dim()}-D, {states[1].dim()}-D) tensors")
        elif states[0].dim() != want:
            raise RuntimeError(f"For {name} input, hx should also be {want}-D but got "
                               f"{states[0].dim()}-D tensor")

    def _check_forward_args(self, input, states) -> None:
        w_dtype = self._flat_weights[0].dtype
        if input.dtype != w_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w_dtype}). Convert input: input.to({w_dtype}), or convert "
                             f"model: model.to({input.dtype})")
        if input.size(-1) != self.input_size:
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")
        for i, (state, size) in enumerate(zip(states, self._state_sizes(input))):
            if tuple(state.size()) != size:
                label = f"hidden[{i}]" if self._n_states == 2 else "hidden"
                raise RuntimeError(f"Expected {label} size {size}, got {list(state.size())}")

    def _state_sizes(self, input) -> list:
        batch = input.size(0) if self.batch_first else input.size(1)
        n = self.num_layers * (2 if self.bidirectional else 1)
        return [(n, batch, self.proj_size or self.hidden_size), (n, batch, self.hidden_size)]

    def _forward(self, input, hx=None):  # RNN, LSTM and GRU's forward (the base has none)
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise NotImplementedOp(f"{name} on a PackedSequence (torch.nn.utils.rnn."
                                   "pack_padded_sequence / pack_sequence)")
        if input.dim() not in (2, 3):
            tensor = " tensor" if name == "RNN" else ""
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                             f"{tensor} instead")
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        if hx is None:
            states = [zeros(*size, dtype=input.dtype, device=input.device) for size in
                      self._state_sizes(input)[:self._n_states]]
        else:
            states = list(hx) if self._n_states == 2 else [hx]
            self._check_hx_dims(states, 3 if batched else 2)
            if not batched:
                states = [s.unsqueeze(1) for s in states]
        self._check_forward_args(input, states)
        output, states = self._run(input, states)
        if not batched:
            output = output.squeeze(batch_dim)
            states = [s.squeeze(1) for s in states]
        return output, (tuple(states) if self._n_states == 2 else states[0])

    def _run(self, input, states):
        """torch's _VF.rnn_tanh / rnn_relu / gru / lstm on CPU: (output, final states)."""
        if input.size(1 if self.batch_first else 0) == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        x = input.transpose(0, 1) if self.batch_first else input
        if (self.mode == "LSTM" and not self.proj_size and input.numel()
                and input.dtype in (D.float32, D.bfloat16)):
            # torch's mkldnn_rnn (oneDNN; for bfloat16 only where the CPU supports it, as here)
            x = x.contiguous()
            hx, cx = (s.contiguous() for s in states)

            def layer(x, k, reverse):
                out = run(mkldnn_lstm_layer, (x, *self._params(k)[:4], hx[k], cx[k]),
                          (("reverse", reverse),))
                return out[0], out[1:]
        else:  # ATen's _rnn_impl: FullLayer / FullBidirectionalLayer of the mode's cell
            cell = _CELLS[self.mode]
            hiddens = list(zip(*(s.unbind(0) for s in states)))
            if self._n_states == 1:
                hiddens = [h[0] for h in hiddens]

            def layer(x, k, reverse):
                return _full_layer(cell, x, hiddens[k], self._params(k), reverse)
        x, finals = self._layer_stack(x, layer)
        if self._n_states == 1:  # rnn_tanh / rnn_relu / gru transpose their output in place
            return (x.transpose_(0, 1) if self.batch_first else x), [stack(finals, 0)]
        finals = [stack([f[i] for f in finals], 0) for i in range(2)]
        return (x.transpose(0, 1) if self.batch_first else x), finals

    def _params(self, k: int) -> tuple:
        """(w_ih, w_hh, b_ih, b_hh, w_hr) of layer/direction k; None where absent."""
        w = {n.split("_l")[0]: getattr(self, n) for n in self._all_weights[k]}
        return tuple(w.get(n) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                        "weight_hr"))

    def _layer_stack(self, x, layer):
        """ATen's apply_layer_stack: each layer's directions (outputs joined on the last dim),
        dropout between layers in training; `layer(x, k, reverse)` runs layer/direction k and
        returns (output, final state). Returns (output, final states)."""
        directions = 2 if self.bidirectional else 1
        finals = []
        for i in range(self.num_layers):
            outs = []
            for d in range(directions):
                out, final = layer(x, i * directions + d, d == 1)
                outs.append(out)
                finals.append(final)
            x = outs[0] if directions == 1 else cat(outs, 2)
            if self.dropout and self.training and i < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, finals


class RNN(RNNBase):
    """Elman RNN with tanh or ReLU nonlinearity."""

    forward = RNNBase._forward

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, with optional projection of the hidden state (proj_size)."""

    forward = RNNBase._forward

    _n_states = 2

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit."""

    forward = RNNBase._forward

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---- cells -----------------------------------------------------------------------------------
class RNNCellBase(Module):
    """Base of the cells: parameters, checks, batching; ATen's cell of `_mode` does the math."""

    _n_states = 1
    _mode = ""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_empty(num_chunks * hidden_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(_empty(num_chunks * hidden_size, hidden_size, dtype=dtype))
        for name in ("bias_ih", "bias_hh"):
            if bias:
                setattr(self, name, Parameter(_empty(num_chunks * hidden_size, dtype=dtype)))
            else:
                self.register_parameter(name, None)
        self.reset_parameters()

    reset_parameters = _reset_uniform

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _forward(self, input, hx=None):  # the cells' forward (the base has none)
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        states = None if hx is None else (list(hx) if self._n_states == 2 else [hx])
        for i, s in enumerate(states or ()):
            if s.dim() not in (1, 2):
                label = f"hx[{i}]" if self._n_states == 2 else "hidden"
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {s.dim()}D "
                                 "instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if states is None:
            states = [zeros(input.size(0), self.hidden_size, dtype=input.dtype,
                            device=input.device)] * \
                self._n_states
        elif not batched:
            states = [s.unsqueeze(0) for s in states]
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} "
                               f"expected {self.input_size}")
        for i, s in enumerate(states):
            if s.size(0) != input.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{i} "
                                   f"batch size {s.size(0)}")
            if s.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.size(1)}, "
                                   f"expected {self.hidden_size}")
        # torch's _VF.rnn_tanh_cell / rnn_relu_cell / lstm_cell / gru_cell
        p = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, None)
        out = _CELLS[self._mode](input, tuple(states) if self._n_states == 2 else states[0], p)
        if self._n_states == 1:
            out = (out,)
        if not batched:
            out = [s.squeeze(0) for s in out]
        return tuple(out) if self._n_states == 2 else out[0]


class RNNCell(RNNCellBase):
    """One step of an Elman RNN."""

    forward = RNNCellBase._forward

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    @property
    def _mode(self) -> str:
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"


class LSTMCell(RNNCellBase):
    """One step of an LSTM."""

    forward = RNNCellBase._forward

    _n_states = 2
    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)


class GRUCell(RNNCellBase):
    """One step of a GRU."""

    forward = RNNCellBase._forward

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)
