"""RNN, LSTM, GRU and their cells, composed from torchlike ops as torch's CPU kernels compose
them, so grad_fn names and next_functions are torch's: ATen's cells and layers (_rnn_layers)
and layer stack (aten/src/ATen/native/RNN.cpp) for RNN, GRU and float64 / projected LSTM, and one
MkldnnRnnLayerBackward0 node per layer and direction for LSTM in float32 / bfloat16 (torch's
oneDNN path). On CUDA torch would record cuDNN's nodes instead; torchlike always answers as
torch on CPU. A PackedSequence runs through ATen's packed layers (PackedLayer,
ReversedPackedLayer), except where torch hands an LSTM of equal batch sizes to oneDNN."""
from __future__ import annotations

import math
import numbers
import warnings

from ... import _dtype as D
from ..._creation import zeros
from ..._tensor import Tensor
from ...ops._registry import run
from ...ops.combine import cat, stack
from ...ops.rnn import mkldnn_lstm_layer
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from ._rnn_layers import CELLS, full_layer, packed_layer
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


# ---- sequence modules ------------------------------------------------------------------------
class RNNBase(Module):
    """Base of RNN, LSTM and GRU: parameters, checks, and the loop over layers, directions and
    time steps, on a padded tensor or a PackedSequence."""

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

    def _check_forward_args(self, input, states, batch: int, dims: int = 3) -> None:
        w_dtype = self._flat_weights[0].dtype
        if input.dtype != w_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w_dtype}). Convert input: input.to({w_dtype}), or convert "
                             f"model: model.to({input.dtype})")
        if input.dim() != dims:
            raise RuntimeError(f"input must have {dims} dimensions, got {input.dim()}")
        if input.size(-1) != self.input_size:
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")
        for i, (state, size) in enumerate(zip(states, self._state_sizes(batch))):
            if tuple(state.size()) != size:
                label = f"hidden[{i}]" if self._n_states == 2 else "hidden"
                raise RuntimeError(f"Expected {label} size {size}, got {list(state.size())}")

    def _state_sizes(self, batch: int) -> list:
        n = self.num_layers * (2 if self.bidirectional else 1)
        return [(n, batch, self.proj_size or self.hidden_size), (n, batch, self.hidden_size)]

    def _forward(self, input, hx=None):  # RNN, LSTM and GRU's forward (the base has none)
        name = type(self).__name__
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if not isinstance(input, Tensor):  # torch fails on input.dim(): its AttributeError
            raise AttributeError(f"'{type(input).__name__}' object has no attribute 'dim'")
        if input.dim() not in (2, 3):
            tensor = " tensor" if name == "RNN" else ""
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                             f"{tensor} instead")
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = input.unsqueeze(batch_dim)
        batch = input.size(batch_dim)
        if hx is None:
            states = [zeros(*size, dtype=input.dtype, device=input.device) for size in
                      self._state_sizes(batch)[:self._n_states]]
        else:
            states = list(hx) if self._n_states == 2 else [hx]
            self._check_hx_dims(states, 3 if batched else 2)
            if not batched:
                states = [s.unsqueeze(1) for s in states]
        self._check_forward_args(input, states, batch)
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
        if self._uses_mkldnn(input):
            x, layer = x.contiguous(), self._mkldnn_layer(states)
        else:  # ATen's _rnn_impl: FullLayer / FullBidirectionalLayer of the mode's cell
            cell = CELLS[self.mode]
            hiddens = self._layer_hiddens(states)

            def layer(x, k, reverse):
                return full_layer(cell, x, hiddens[k], self._params(k), reverse)
        x, finals = self._layer_stack(x, layer)
        if self._n_states == 1:  # rnn_tanh / rnn_relu / gru transpose their output in place
            return (x.transpose_(0, 1) if self.batch_first else x), self._stack_finals(finals)
        return (x.transpose(0, 1) if self.batch_first else x), self._stack_finals(finals)

    def _uses_mkldnn(self, input) -> bool:
        """Whether torch runs this module through oneDNN's LSTM (mkldnn_rnn): float32 and
        bfloat16 (only where the CPU supports it, as here), without projections."""
        return (self.mode == "LSTM" and not self.proj_size and input.numel() > 0
                and input.dtype in (D.float32, D.bfloat16))

    def _mkldnn_layer(self, states):
        """torch's mkldnn_rnn layer over (T, B, F) input, as `layer` for _layer_stack."""
        hx, cx = (s.contiguous() for s in states)

        def layer(x, k, reverse):
            out = run(mkldnn_lstm_layer, (x, *self._params(k)[:4], hx[k], cx[k]),
                      (("reverse", reverse),))
            return out[0], out[1:]
        return layer

    def _forward_packed(self, input: PackedSequence, hx):
        """torch's forward on a PackedSequence: the initial states taken into the sorted
        order, ATen's packed layers, the final states put back in the caller's order."""
        data, batch_sizes, sorted_indices, unsorted_indices = input
        batch = int(batch_sizes[0])
        if hx is None:
            states = [zeros(*size, dtype=data.dtype, device=data.device) for size in
                      self._state_sizes(batch)[:self._n_states]]
        elif self._n_states == 1:
            states = [hx if sorted_indices is None else hx.index_select(1, sorted_indices)]
        elif sorted_indices is None:
            states = list(hx)
        else:
            states = [hx[0].index_select(1, sorted_indices),
                      hx[1].index_select(1, sorted_indices)]
        if self._n_states == 1:
            self._check_forward_args(data, states, batch, dims=2)
        else:  # torch checks nothing here for LSTM: its kernel's errors
            self._check_lstm_packed_states(states, batch)
        output, states = self._run_packed(data, batch_sizes.tolist(), states)
        if unsorted_indices is not None:
            states = [s.index_select(1, unsorted_indices) for s in states]
        return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                tuple(states) if self._n_states == 2 else states[0])

    def _check_lstm_packed_states(self, states, batch: int) -> None:
        """The errors ATen's packed LSTM raises where its cell would not (its in-place add of
        the input's gates to a hidden state of batch 1 cannot broadcast)."""
        if len(states) != 2:
            raise RuntimeError("lstm expects two hidden states")
        # ATen takes h and c of different sizes for projections, reading the weights so
        projections = states[0].size(2) != states[1].size(2)
        if len(self._flat_weights_names) % ((4 if self.bias else 2) + projections):
            raise RuntimeError("got an incorrect number of RNN parameters")
        layers = states[0].size(0)
        if self.bidirectional and layers % 2:
            raise RuntimeError("Odd number of params or hiddens given to a bidirectional RNN")
        if layers != self.num_layers * (2 if self.bidirectional else 1):
            raise RuntimeError("Expected more hidden states in stacked_rnn")
        if states[0].dim() == 3 and states[0].size(1) == 1 != batch:
            gates = 4 * self.hidden_size
            raise RuntimeError(f"output with shape [1, {gates}] doesn't match the broadcast "
                               f"shape [{batch}, {gates}]")

    def _run_packed(self, data, batch_sizes: list, states):
        """torch's _VF.rnn_tanh / rnn_relu / gru / lstm on (data, batch_sizes) on CPU:
        ATen's PackedLayer / PackedBidirectionalLayer of the mode's cell, except that an LSTM
        torch would run through oneDNN runs so when all batch sizes are equal."""
        if self._uses_mkldnn(data) and batch_sizes[-1] == batch_sizes[0]:
            # torch checks no sizes here (bad states can crash it): the padded input's checks
            self._check_forward_args(data, states, batch_sizes[0], dims=2)
            x = data.reshape(len(batch_sizes), batch_sizes[0], data.size(-1)).contiguous()
            x, finals = self._layer_stack(x, self._mkldnn_layer(states))
            return x.reshape(-1, x.size(2)), self._stack_finals(finals)
        cell = CELLS[self.mode]
        hiddens = self._layer_hiddens(states)

        def layer(x, k, reverse):
            return packed_layer(cell, x, batch_sizes, hiddens[k], self._params(k), reverse)
        x, finals = self._layer_stack(data, layer)
        return x, self._stack_finals(finals)

    def _layer_hiddens(self, states) -> list:
        """The initial state of each layer and direction (a (h, c) pair for LSTM)."""
        hiddens = list(zip(*(s.unbind(0) for s in states)))
        return [h[0] for h in hiddens] if self._n_states == 1 else hiddens

    def _stack_finals(self, finals) -> list:
        """ATen's final states: each layer and direction's stacked (h and c apart for LSTM)."""
        if self._n_states == 1:
            return [stack(finals, 0)]
        return [stack([f[i] for f in finals], 0) for i in range(2)]

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
            x = outs[0] if directions == 1 else cat(outs, outs[0].dim() - 1)
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
        out = CELLS[self._mode](input, tuple(states) if self._n_states == 2 else states[0], p)
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
