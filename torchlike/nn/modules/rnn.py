"""RNN, LSTM, GRU and their cells, composed from torchlike ops so autograd runs through them.
RNNBase owns the layer/direction/time loop and torch's argument checks; each family writes
one `_step` (shared by the sequence module and its cell)."""
from __future__ import annotations

import math
import numbers
import warnings

from ..._creation import zeros
from ..._errors import NotImplementedOp
from ..._tensor import Tensor
from ...ops.combine import cat, stack
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


# ---- one time step of each family: (gates of the input, states, weights) -> new states ------
class _ElmanStep:
    def _step(self, gi, state, w_hh, b_hh, w_hr=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        act = F.tanh if self.nonlinearity == "tanh" else F.relu
        return (act(gi + F.linear(state[0], w_hh, b_hh)),)


class _LSTMStep:
    _n_states = 2

    def _step(self, gi, state, w_hh, b_hh, w_hr=None):
        h, c = state
        i, f, g, o = (gi + F.linear(h, w_hh, b_hh)).chunk(4, 1)
        c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
        h = F.sigmoid(o) * F.tanh(c)
        return (h if w_hr is None else F.linear(h, w_hr), c)


class _GRUStep:
    def _step(self, gi, state, w_hh, b_hh, w_hr=None):
        h = state[0]
        i_r, i_z, i_n = gi.chunk(3, 1)
        h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
        r = F.sigmoid(i_r + h_r)
        z = F.sigmoid(i_z + h_z)
        n = F.tanh(i_n + r * h_n)
        return ((h - n) * z + n,)


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

    def forward(self, input, hx=None):
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
            states = [zeros(*size, dtype=input.dtype) for size in
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
        """All layers and directions over the (T, B, F) sequence; states per layer stacked."""
        x = input.transpose(0, 1) if self.batch_first else input
        directions = 2 if self.bidirectional else 1
        names = iter(self._all_weights)
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                k = layer * directions + d
                out, final = self._run_direction(x, [s[k] for s in states], next(names),
                                                 reverse=d == 1)
                outs.append(out)
                finals.append(final)
            x = outs[0] if directions == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = x.transpose(0, 1) if self.batch_first else x
        return output, [stack([f[i] for f in finals]) for i in range(len(states))]

    def _run_direction(self, x, state, names, reverse: bool):
        w = dict(zip((n.split("_l")[0] for n in names), (getattr(self, n) for n in names)))
        # the input's contribution to every gate, for all time steps in one matmul
        gates = F.linear(x, w["weight_ih"], w.get("bias_ih")).unbind(0)
        ys = [None] * len(gates)
        for t in range(len(gates) - 1, -1, -1) if reverse else range(len(gates)):
            state = self._step(gates[t], state, w["weight_hh"], w.get("bias_hh"),
                               w.get("weight_hr"))
            ys[t] = state[0]
        return stack(ys), state


class RNN(_ElmanStep, RNNBase):
    """Elman RNN with tanh or ReLU nonlinearity."""

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


class LSTM(_LSTMStep, RNNBase):
    """Long short-term memory, with optional projection of the hidden state (proj_size)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(_GRUStep, RNNBase):
    """Gated recurrent unit."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---- cells -----------------------------------------------------------------------------------
class RNNCellBase(Module):
    """Base of the cells: parameters, checks, batching; the subclass's `_step` does the math."""

    _n_states = 1

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

    def forward(self, input, hx=None):
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
            states = [zeros(input.size(0), self.hidden_size, dtype=input.dtype)] * \
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
        gates = F.linear(input, self.weight_ih, self.bias_ih)
        out = self._step(gates, states, self.weight_hh, self.bias_hh)
        if not batched:
            out = [s.squeeze(0) for s in out]
        return tuple(out) if self._n_states == 2 else out[0]


class RNNCell(_ElmanStep, RNNCellBase):
    """One step of an Elman RNN."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity


class LSTMCell(_LSTMStep, RNNCellBase):
    """One step of an LSTM."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)


class GRUCell(_GRUStep, RNNCellBase):
    """One step of a GRU."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)
