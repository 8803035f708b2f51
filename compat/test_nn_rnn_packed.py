"""torch.nn.utils.rnn and RNN / LSTM / GRU on a PackedSequence against real torch: packing,
padding and unpadding (values, dtypes, batch_sizes, sorted/unsorted indices, reprs, grad_fn
names, input gradients through every path), PackedSequence's methods, the sequence modules
on packed input (torch's weights copied in; packed output, final states in the caller's order,
the padded output, gradients of the input, initial states and every parameter, the whole
autograd graph), and torch's errors. Every comparison goes through the helper."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _helper import assert_same, check, check_raises, graph

import torchlike

R = np.random.default_rng(0)
T, B, F, H = 4, 3, 3, 4  # one padded shape for the module tests: few distinct compiles


def _x(*shape, dtype="float32"):
    return R.standard_normal(shape).astype(dtype)


def _rnn(L):
    return L.nn.utils.rnn


# length patterns over the batch of B sequences: (lengths, enforce_sorted)
LENGTHS = {"equal": ([4, 4, 4], True), "decreasing": ([4, 2, 1], True),
           "unsorted": ([2, 4, 1], False), "unsorted_ties": ([3, 4, 3], False),
           "equal_short_unsorted": ([3, 3, 3], False)}


# ---- pack_padded_sequence ---------------------------------------------------------------------
PACK = [  # (lengths pattern, batch_first, how lengths are given)
    ("equal", False, "list"), ("decreasing", True, "tensor"),
    ("unsorted", False, "int32_tensor"), ("unsorted_ties", True, "list"),
]


def _lengths(L, lengths, given):
    if given == "list":
        return list(lengths)
    return L.tensor(lengths, dtype=L.int32 if given == "int32_tensor" else L.int64)


@pytest.mark.parametrize("pattern,batch_first,given", PACK,
                         ids=[f"{p}-bf{b:d}-{g}" for p, b, g in PACK])
def test_pack_padded_sequence(pattern, batch_first, given):
    lengths, enforce = LENGTHS[pattern]

    def fn(L, x):
        p = _rnn(L).pack_padded_sequence(x, _lengths(L, lengths, given), batch_first,
                                         enforce_sorted=enforce)
        return p, type(p).__name__, repr(p)
    check(fn, _x(B, T, F) if batch_first else _x(T, B, F))


def test_pack_padded_sequence_dtypes():
    """Integer data (no gradient), 1-D steps, and float64 (numerically differentiated too)."""
    ints = R.integers(-5, 5, (T, B)).astype(np.int64)
    check(lambda L, x: _rnn(L).pack_padded_sequence(x, [4, 2, 1]), ints)
    check(lambda L, x: _rnn(L).pack_padded_sequence(x, [3, 1, 2], enforce_sorted=False),
          _x(T, B))
    check(lambda L, x: _rnn(L).pack_padded_sequence(x, [3, 1], batch_first=True),
          _x(2, 3, 2, dtype="float64"))


# ---- pad_packed_sequence ----------------------------------------------------------------------
PAD = [  # (lengths pattern, batch_first, padding_value, total_length)
    ("decreasing", False, 0.0, None), ("decreasing", True, -1.5, 6),
    ("unsorted", False, 2.0, None), ("unsorted_ties", True, 0.0, 4), ("equal", False, 0.0, 5),
]


@pytest.mark.parametrize("pattern,batch_first,value,total", PAD,
                         ids=[f"{p}-bf{b:d}-{v}-{t}" for p, b, v, t in PAD])
def test_pad_packed_sequence(pattern, batch_first, value, total):
    """The padded batch (CopySlices, TransposeBackward0 or IndexSelectBackward0) and lengths
    in the caller's order; the gradient flows back through pack and pad."""
    lengths, enforce = LENGTHS[pattern]

    def fn(L, x):
        p = _rnn(L).pack_padded_sequence(x, lengths, enforce_sorted=enforce)
        return _rnn(L).pad_packed_sequence(p, batch_first, value, total)
    check(fn, _x(T, B, F))


@pytest.mark.parametrize("pattern,batch_first", [("decreasing", False), ("unsorted", True)])
def test_pack_pad_graph(pattern, batch_first):
    """The whole graph from the padded input to the padded output, as torch's."""
    lengths, enforce = LENGTHS[pattern]
    x = _x(T, B, F)
    graphs = []
    for L in (torch, torchlike):
        p = _rnn(L).pack_padded_sequence(L.tensor(x, requires_grad=True), lengths,
                                         enforce_sorted=enforce)
        graphs.append(graph([p.data, _rnn(L).pad_packed_sequence(p, batch_first)[0]]))
    assert_same(*graphs, "graph")


def test_pad_packed_sequence_integer_padding():
    """padding_value takes the data's dtype."""
    def fn(L, x):
        return _rnn(L).pad_packed_sequence(_rnn(L).pack_padded_sequence(x, [3, 2]),
                                           padding_value=7.9)
    check(fn, R.integers(0, 5, (3, 2)).astype(np.int64))


# ---- pad_sequence, pack_sequence, unpack_sequence, unpad_sequence -----------------------------
PAD_SEQ = [  # (batch_first, padding_value, padding_side)
    (False, 0.0, "right"), (True, -2.0, "right"), (False, 1.0, "left"), (True, 0.0, "left"),
]


@pytest.mark.parametrize("batch_first,value,side", PAD_SEQ,
                         ids=[f"bf{b:d}-{v}-{s}" for b, v, s in PAD_SEQ])
def test_pad_sequence(batch_first, value, side):
    def fn(L, a, b, c):
        return _rnn(L).pad_sequence([a, b, c], batch_first, value, side)
    check(fn, _x(3, 2), _x(1, 2), _x(4, 2))


def test_pad_sequence_forms():
    """1-D sequences, integers, a tensor (its rows are the sequences), a generator, and a
    sequence that broadcasts into its slot (torch's copy_)."""
    check(lambda L, a, b: _rnn(L).pad_sequence((a, b), padding_value=9), _x(3), _x(5))
    check(lambda L, a, b: _rnn(L).pad_sequence([a, b], True, 1.5),
          np.arange(3, dtype=np.int64), np.arange(1, dtype=np.int64))
    check(lambda L, x: _rnn(L).pad_sequence(x), _x(3, 2))
    check(lambda L, a, b: _rnn(L).pad_sequence(s for s in (a, b)), _x(3, 2), _x(2, 2))
    check(lambda L, a, b: _rnn(L).pad_sequence([a, b]), _x(3, 2), _x(2, 1))


@pytest.mark.parametrize("enforce", [True, False])
def test_pack_and_unpack_sequence(enforce):
    """pack_sequence (pad then pack) and unpack_sequence (pad then unpad) give back the
    sequences; with enforce_sorted=False the order is the caller's."""
    def fn(L, a, b, c):
        p = _rnn(L).pack_sequence([a, b, c], enforce_sorted=enforce)
        return p, _rnn(L).unpack_sequence(p)
    sizes = (4, 2, 1) if enforce else (2, 4, 1)
    check(fn, *(_x(n, 2) for n in sizes))


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence(batch_first):
    """Each sequence cut to its length; like torch, a batch-second padded tensor is transposed
    in place (its new layout is compared too)."""
    def fn(L, x):
        padded = x * 1
        seqs = _rnn(L).unpad_sequence(padded, L.tensor([3, 1, 2]), batch_first)
        return seqs, padded
    check(fn, _x(3, 3, 2))


def test_invert_permutation():
    check(lambda L, p: _rnn(L).invert_permutation(p), np.array([2, 0, 3, 1]))
    check(lambda L: _rnn(L).invert_permutation(None))


# ---- PackedSequence ---------------------------------------------------------------------------
def test_packed_sequence_methods():
    """dtype conversions (self when nothing changes), cpu, is_cuda, is_pinned, the two ways
    of building one, and namedtuple behaviour (fields, _replace, unpacking)."""
    def fn(L, x):
        rnn = _rnn(L)
        p = rnn.pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False)
        q = rnn.pack_padded_sequence((x * 3).abs(), [3, 2, 1])
        data, sizes, order, back = p
        return (p.to(L.float64), p.to(L.float32) is p, p.double(), p.float() is p, p.half(),
                p.long(), p.int(), p.short(), q.char(), q.byte(), p.cpu() is p,
                p.to(device="cpu", dtype=L.float64), p.is_cuda, p.is_pinned(),
                rnn.PackedSequence(data, sizes), rnn.PackedSequence((data, sizes), order),
                rnn.PackedSequence(data, sizes, order, back), p._replace(data=data * 2),
                p._fields, repr(p), order, back, len(p))
    check(fn, _x(T, B, 2), grad=False)


# ---- errors -----------------------------------------------------------------------------------
def _packed(L, x, lengths=(4, 2, 1), enforce=True):
    return _rnn(L).pack_padded_sequence(x, list(lengths), enforce_sorted=enforce)


X = _x(T, B, F)
ERRORS = [
    ("unsorted", lambda L, x: _rnn(L).pack_padded_sequence(x, [3, 4, 2]), [X]),
    ("zero_length", lambda L, x: _packed(L, x, (4, 2, 0)), [X]),
    ("zero_length_unsorted", lambda L, x: _packed(L, x, (4, 0, 2), False), [X]),
    ("negative_unsorted_check_first", lambda L, x: _packed(L, x, (-1, 2, 1)), [X]),
    ("lengths_count", lambda L, x: _packed(L, x, (4, 2)), [X]),
    ("lengths_2d", lambda L, x: _rnn(L).pack_padded_sequence(x, L.tensor([[4, 2, 1]])), [X]),
    ("lengths_meta", lambda L, x: _rnn(L).pack_padded_sequence(
        x, L.tensor([4, 2, 1], device="meta")), [X]),
    ("lengths_str", lambda L, x: _rnn(L).pack_padded_sequence(x, "ab"), [X]),
    ("empty", lambda L, x: _rnn(L).pack_padded_sequence(x, []), [_x(0, 3)]),
    ("input_1d", lambda L, x: _rnn(L).pack_padded_sequence(x, [4]), [_x(4)]),
    ("input_1d_batch_first", lambda L, x: _rnn(L).pack_padded_sequence(x, [4], True), [_x(4)]),
    ("total_length", lambda L, x: _rnn(L).pad_packed_sequence(_packed(L, x), total_length=3),
     [X]),
    ("pad_empty", lambda L: _rnn(L).pad_sequence([]), []),
    ("pad_not_iterable", lambda L: _rnn(L).pad_sequence(3), []),
    ("pad_not_tensor", lambda L, a: _rnn(L).pad_sequence([a, "b"]), [_x(2, 2)]),
    ("pad_0d_first", lambda L, a, b: _rnn(L).pad_sequence([a, b]), [_x(), _x(2)]),
    ("pad_0d_later", lambda L, a, b: _rnn(L).pad_sequence([a, b]), [_x(2, 2), _x()]),
    ("pad_side", lambda L, a, b: _rnn(L).pad_sequence([a, b], padding_side="middle"),
     [_x(3, 2), _x(2, 2)]),
    ("pad_shapes", lambda L, a, b: _rnn(L).pad_sequence([a, b]), [_x(3, 2), _x(2, 3)]),
    ("pad_more_dims", lambda L, a, b: _rnn(L).pad_sequence([a, b]), [_x(3, 2), _x(2, 1, 2)]),
    ("pack_sequence_unsorted", lambda L, a, b: _rnn(L).pack_sequence([a, b]),
     [_x(2, 2), _x(3, 2)]),
    ("pack_sequence_empty", lambda L: _rnn(L).pack_sequence([]), []),
    ("invert_int32", lambda L, p: _rnn(L).invert_permutation(p.int()), [np.array([1, 0])]),
    ("unpad_list_lengths", lambda L, x: _rnn(L).unpad_sequence(x, [3, 1]), [_x(3, 2, 2)]),
    ("unpad_lengths_count", lambda L, x: _rnn(L).unpad_sequence(x, L.tensor([3, 1, 2])),
     [_x(3, 2, 2)]),
    ("packed_no_batch_sizes", lambda L, x: _rnn(L).PackedSequence(x), [X]),
    ("packed_meta_batch_sizes", lambda L, x: _rnn(L).PackedSequence(
        x, L.tensor([3, 1], device="meta")), [X]),
]


@pytest.mark.parametrize("name,fn,inputs", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, fn, inputs):
    check_raises(fn, *inputs)


# ---- RNN / LSTM / GRU on a PackedSequence --------------------------------------------------
def _states(kind, kwargs, dtype):
    n = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    h = _x(n, B, kwargs.get("proj_size") or H, dtype=dtype)
    return [h, _x(n, B, H, dtype=dtype)] if kind == "LSTM" else [h]


def _compare(kind, kwargs, pattern, hx, dtype="float32"):
    """The module built in both libraries (torch's weights copied in through numpy), run on
    the same packed batch (packed batch_first where the module is) and initial states;
    compared: the packed output and final states, the padded output, the autograd graph,
    then, after backward of one random cotangent, the gradients of the padded input, the
    initial states and every parameter."""
    lengths, enforce = LENGTHS[pattern]
    first = kwargs.get("batch_first", False)
    x = _x(B, T, F, dtype=dtype) if first else _x(T, B, F, dtype=dtype)
    states = _states(kind, kwargs, dtype) if hx else []
    runs = []
    for L in (torch, torchlike):
        m = getattr(L.nn, kind)(F, H, dtype=getattr(L, dtype), **kwargs).eval()
        if L is torch:
            weights = {k: v.detach().numpy() for k, v in m.state_dict().items()}
        else:
            m.load_state_dict({k: L.tensor(v) for k, v in weights.items()})
        ins = [L.tensor(a, requires_grad=True) for a in (x, *states)]
        packed = _rnn(L).pack_padded_sequence(ins[0], lengths, first, enforce)
        args = () if not hx else ((tuple(ins[1:]),) if kind == "LSTM" else (ins[1],))
        out, final = m(packed, *args)
        padded = _rnn(L).pad_packed_sequence(out, first)
        runs.append((m, ins, (out, final, padded)))
    (tm, t_ins, want), (lm, l_ins, got) = runs
    assert_same(want, got, "outputs")

    def differentiable(out, final, padded):
        return [out.data, *(final if isinstance(final, tuple) else [final]), padded[0]]
    t_outs, l_outs = differentiable(*want), differentiable(*got)
    assert_same(graph(t_outs[:-1]), graph(l_outs[:-1]), "graph")
    cts = [R.standard_normal(tuple(w.shape)) for w in t_outs]
    for outs, L in ((t_outs, torch), (l_outs, torchlike)):
        sum((o * L.tensor(c).to(o.dtype)).sum() for o, c in zip(outs, cts)).backward()
    for i, (tx, lx) in enumerate(zip(t_ins, l_ins)):
        assert_same(tx.grad, lx.grad, f"grad of input {i}", check_repr=False)
    t_params, l_params = list(tm.named_parameters()), list(lm.named_parameters())
    assert_same([n for n, _ in t_params], [n for n, _ in l_params], "parameter names")
    for (n, tp), (_, lp) in zip(t_params, l_params):
        assert_same(tp.grad, lp.grad, f"grad of {n}", check_repr=False)


MODULES = [  # (kind, name, kwargs, lengths pattern, initial states given, dtype)
    ("RNN", "tanh", {}, "decreasing", False, "float32"),
    ("RNN", "relu_two_layers", {"nonlinearity": "relu", "num_layers": 2}, "unsorted", True,
     "float32"),
    ("RNN", "bidirectional", {"bidirectional": True}, "equal", True, "float32"),
    ("GRU", "default", {}, "decreasing", True, "float32"),
    ("GRU", "two_layers_bidir", {"num_layers": 2, "bidirectional": True}, "unsorted", False,
     "float32"),
    ("GRU", "no_bias_batch_first", {"bias": False, "batch_first": True}, "unsorted_ties",
     True, "float32"),
    ("LSTM", "default", {}, "decreasing", False, "float32"),
    ("LSTM", "proj_bidir", {"proj_size": 2, "bidirectional": True}, "unsorted", True,
     "float32"),
    ("LSTM", "dropout_eval", {"num_layers": 3, "dropout": 0.5}, "equal", True, "float32"),
    ("LSTM", "bidir_equal_unsorted", {"bidirectional": True}, "equal_short_unsorted", True,
     "float32"),
    ("LSTM", "float64", {"bidirectional": True}, "unsorted", True,
     "float64"),
]


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("kind,name,kwargs,pattern,hx,dtype", MODULES,
                         ids=[f"{m[0]}-{m[1]}" for m in MODULES])
def test_module_on_packed(kind, name, kwargs, pattern, hx, dtype):
    _compare(kind, kwargs, pattern, hx, dtype)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_flatten_parameters(kind):
    """A no-op returning None, as on torch's CPU."""
    assert_same(getattr(torch.nn, kind)(F, H).flatten_parameters(),
                getattr(torchlike.nn, kind)(F, H).flatten_parameters())


def _zeros(L, *shape):
    return L.zeros(*shape)


MODULE_ERRORS = [
    ("rnn_hidden_batch", lambda L, x: L.nn.RNN(F, H)(_packed(L, x), _zeros(L, 1, 2, H)), [X]),
    ("gru_hidden_2d", lambda L, x: L.nn.GRU(F, H)(_packed(L, x), _zeros(L, B, H)), [X]),
    ("gru_hidden_unsorted", lambda L, x: L.nn.GRU(F, H)(
        _packed(L, x, (2, 4, 1), False), _zeros(L, 2, B, H)), [X]),
    ("rnn_input_size", lambda L, x: L.nn.RNN(5, H)(_packed(L, x)), [X]),
    ("gru_dtype", lambda L, x: L.nn.GRU(F, H)(_packed(L, x).double()), [X]),
    ("gru_data_3d", lambda L, x: L.nn.GRU(F, H)(
        _rnn(L).PackedSequence(x, _packed(L, x).batch_sizes)), [X]),
    ("lstm_one_state", lambda L, x: L.nn.LSTM(F, H)(_packed(L, x), (_zeros(L, 1, B, H),)),
     [X]),
    ("lstm_layers", lambda L, x: L.nn.LSTM(F, H)(
        _packed(L, x), (_zeros(L, 2, B, H), _zeros(L, 2, B, H))), [X]),
    ("lstm_bidir_odd", lambda L, x: L.nn.LSTM(F, H, bidirectional=True)(
        _packed(L, x), (_zeros(L, 3, B, H), _zeros(L, 3, B, H))), [X]),
    ("lstm_states_2d", lambda L, x: L.nn.LSTM(F, H)(
        _packed(L, x), (_zeros(L, B, H), _zeros(L, B, H))), [X]),
    ("lstm_c_batch", lambda L, x: L.nn.LSTM(F, H)(
        _packed(L, x), (_zeros(L, 1, B, H), _zeros(L, 1, 2, H))), [X]),
    ("lstm_h_batch", lambda L, x: L.nn.LSTM(F, H)(
        _packed(L, x), (_zeros(L, 1, 4, H), _zeros(L, 1, B, H))), [X]),
    ("lstm_h_batch_one", lambda L, x: L.nn.LSTM(F, H)(
        _packed(L, x), (_zeros(L, 1, 1, H), _zeros(L, 1, B, H))), [X]),
    ("lstm_h_size", lambda L, x: L.nn.LSTM(F, H)(
        _packed(L, x), (_zeros(L, 1, B, 5), _zeros(L, 1, B, H))), [X]),
    ("lstm_input_size", lambda L, x: L.nn.LSTM(5, H)(_packed(L, x)), [X]),
]


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("name,fn,inputs", MODULE_ERRORS, ids=[e[0] for e in MODULE_ERRORS])
def test_module_errors(name, fn, inputs):
    check_raises(fn, *inputs)


def test_module_input_not_tensor():
    """torch fails reading input.dim() (AttributeError); torchlike's NotImplementedOp is an
    AttributeError too, naming what it takes."""
    check_raises(lambda L: L.nn.GRU(F, H)([[1.0, 2.0, 3.0]]), message=False)
