"""nn.RNN / LSTM / GRU and their cells against real torch: outputs, hidden states, input, h0
and weight gradients (torch's weights copied in), grad_fn names and the whole autograd graph
(next_functions), reprs, parameter names and shapes, inter-layer dropout, and torch's errors
for bad arguments and inputs."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _helper import check_raises, graph

import torchlike

R = np.random.default_rng(0)
TOL = {"float32": (1e-4, 1e-5), "float64": (1e-10, 1e-10)}


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def _close(want, got, what, dtype, grad_fn=True):
    assert isinstance(got, torchlike.Tensor), f"{what}: got {type(got)}"
    assert str(want.dtype) == str(got.dtype), f"{what}: dtype {got.dtype} != torch {want.dtype}"
    assert tuple(want.shape) == tuple(got.shape), \
        f"{what}: shape {tuple(got.shape)} != torch {tuple(want.shape)}"
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(_np(got), _np(want), rtol=rtol, atol=atol, err_msg=what)
    assert want.requires_grad == got.requires_grad, f"{what}: requires_grad differs"
    want_fn = type(want.grad_fn).__name__ if want.grad_fn is not None else None
    got_fn = type(got.grad_fn).__name__ if got.grad_fn is not None else None
    if grad_fn:
        assert want_fn == got_fn, f"{what}: grad_fn {got_fn} != torch {want_fn}"


def _flat(out):
    return [t for o in out for t in _flat(o)] if isinstance(out, (tuple, list)) else [out]


def _copy_state(tm, lm):
    lm.load_state_dict({k: torchlike.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})


def _compare(make, x_shape, states=(), dtype="float32", train=False):
    """Build the module in both libraries (torch's weights copied in), run it on the same input
    and initial states, compare every output, then backward one random cotangent and compare
    the gradients of the input, the initial states and every parameter."""
    tm, lm = make(torch), make(torchlike)
    tm.train(train)
    lm.train(train)
    _copy_state(tm, lm)
    arrays = [R.standard_normal(s).astype(dtype) for s in (x_shape, *states)]
    t_in = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    l_in = [torchlike.tensor(a, requires_grad=True) for a in arrays]

    def call(m, ins):
        if len(ins) == 1:
            return m(ins[0])
        return m(ins[0], tuple(ins[1:]) if len(ins) == 3 else ins[1])

    t_out, l_out = call(tm, t_in), call(lm, l_in)
    assert isinstance(t_out, tuple) == isinstance(l_out, tuple)
    assert len(_flat(t_out)) == len(_flat(l_out))
    if isinstance(t_out, tuple):  # nesting: (output, h_n) or (output, (h_n, c_n))
        assert [isinstance(o, tuple) for o in t_out] == [isinstance(o, tuple) for o in l_out]
    t_flat, l_flat = _flat(t_out), _flat(l_out)
    for i, (w, g) in enumerate(zip(t_flat, l_flat)):
        _close(w, g, f"output {i}", dtype)
    cts = [R.standard_normal(tuple(w.shape)) for w in t_flat]
    sum((w * torch.from_numpy(c).to(w.dtype)).sum() for w, c in zip(t_flat, cts)).backward()
    sum((g * torchlike.tensor(c).to(g.dtype)).sum() for g, c in zip(l_flat, cts)).backward()
    for i, (tx, lx) in enumerate(zip(t_in, l_in)):
        _close(tx.grad, lx.grad, f"grad of input {i}", dtype)
    t_params, l_params = list(tm.named_parameters()), list(lm.named_parameters())
    assert [n for n, _ in t_params] == [n for n, _ in l_params]
    for (n, tp), (_, lp) in zip(t_params, l_params):
        _close(tp.grad, lp.grad, f"grad of {n}", dtype)


# ---- sequence modules: (name, kwargs, input shape (T, B, F), unbatched) --------------------
H = 4
SEQ = [
    ("default", {}, (5, 2, 3)),
    ("two_layers", {"num_layers": 2}, (5, 2, 3)),
    ("bidirectional", {"bidirectional": True}, (4, 3, 3)),
    ("batch_first", {"batch_first": True}, (2, 5, 3)),
    ("two_layers_bidir_batch_first", {"num_layers": 2, "bidirectional": True,
                                      "batch_first": True}, (3, 4, 3)),
    ("no_bias", {"bias": False, "num_layers": 2}, (5, 2, 3)),
    ("unbatched", {}, (5, 3)),
    ("unbatched_batch_first_bidir", {"batch_first": True, "bidirectional": True}, (5, 3)),
    ("float64", {"dtype": "float64", "num_layers": 2, "bidirectional": True}, (5, 2, 3)),
    ("dropout_eval", {"num_layers": 3, "dropout": 0.5}, (5, 2, 3)),
    ("single_step", {"num_layers": 2}, (1, 2, 3)),
]
EXTRA = {
    "RNN": [("relu", {"nonlinearity": "relu", "num_layers": 2}, (5, 2, 3)),
            ("relu_positional", ("relu", False), (5, 2, 3))],
    "LSTM": [("proj", {"proj_size": 2}, (5, 2, 3)),
             ("proj_two_layers_bidir", {"proj_size": 3, "num_layers": 2,
                                        "bidirectional": True}, (5, 2, 3)),
             ("proj_unbatched", {"proj_size": 2, "batch_first": True}, (5, 3))],
}
CASES = [(kind, *case) for kind in ("RNN", "LSTM", "GRU") for case in SEQ + EXTRA.get(kind, [])]


def _make(kind, kwargs):
    """A constructor for either library; a tuple of kwargs means positional after num_layers
    (RNN's nonlinearity, bias)."""
    def make(L):
        if isinstance(kwargs, tuple):
            return getattr(L.nn, kind)(3, H, 1, *kwargs)
        kw = dict(kwargs)
        if "dtype" in kw:
            kw["dtype"] = getattr(L, kw["dtype"])
        return getattr(L.nn, kind)(3, H, **kw)
    return make


def _state_shapes(kind, kwargs, x_shape):
    kwargs = kwargs if isinstance(kwargs, dict) else {}
    n = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    batch = () if len(x_shape) == 2 else \
        (x_shape[0] if kwargs.get("batch_first") else x_shape[1],)
    h = (n, *batch, kwargs.get("proj_size") or H)
    return [h, (n, *batch, H)] if kind == "LSTM" else [h]


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("kind,name,kwargs,x_shape", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_sequence_module(kind, name, kwargs, x_shape):
    dtype = kwargs.get("dtype", "float32") if isinstance(kwargs, dict) else "float32"
    if name in DEFAULT_STATES:
        _compare(_make(kind, kwargs), x_shape, dtype=dtype)
    _compare(_make(kind, kwargs), x_shape, _state_shapes(kind, kwargs, x_shape), dtype=dtype)


# The default (zero) initial states, whose shapes take every layout option into account, on
# configurations that between them use each option; every configuration runs with given
# states (their gradients too).
DEFAULT_STATES = {"default", "two_layers_bidir_batch_first", "unbatched_batch_first_bidir",
                  "float64", "proj_two_layers_bidir", "proj_unbatched", "relu"}


# ---- cells: (name, kwargs, input shape, hidden given) ---------------------------------------
CELL = [
    ("default", {}, (3, 5), False),
    ("hx", {}, (3, 5), True),
    ("no_bias", {"bias": False}, (3, 5), True),
    ("unbatched", {}, (5,), False),
    ("unbatched_hx", {}, (5,), True),
    ("float64", {"dtype": "float64"}, (2, 5), True),
]
CELL_CASES = [(kind, *c) for kind in ("RNNCell", "LSTMCell", "GRUCell") for c in CELL]
CELL_CASES += [("RNNCell", "relu", {"nonlinearity": "relu"}, (3, 5), True),
               ("RNNCell", "relu_unbatched", {"nonlinearity": "relu"}, (5,), False)]


@pytest.mark.parametrize("kind,name,kwargs,x_shape,given", CELL_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CELL_CASES])
def test_cell(kind, name, kwargs, x_shape, given):
    def make(L):
        kw = dict(kwargs)
        if "dtype" in kw:
            kw["dtype"] = getattr(L, kw["dtype"])
        return getattr(L.nn, kind)(5, H, **kw)

    h = (*x_shape[:-1], H)
    states = ([h, h] if kind == "LSTMCell" else [h]) if given else []
    _compare(make, x_shape, states, dtype=kwargs.get("dtype", "float32"))


def test_cell_steps_match_module():
    """An LSTMCell stepped over the sequence reproduces a one-layer LSTM with the same weights."""
    lstm, cell = torchlike.nn.LSTM(3, H), torchlike.nn.LSTMCell(3, H)
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x = torchlike.randn(6, 2, 3)
    out, (h_n, c_n) = lstm(x)
    h = c = torchlike.zeros(2, H)
    for t in range(6):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(_np(h), _np(out[t]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(c), _np(c_n[0]), rtol=1e-5, atol=1e-6)


# ---- structure: repr, parameters, state_dict, init -----------------------------------------
STRUCT = [
    lambda L: L.nn.RNN(3, 4), lambda L: L.nn.RNN(3, 4, 2, "relu", False, True, 0.5, True),
    lambda L: L.nn.LSTM(3, 4, num_layers=2, bidirectional=True, dropout=0.25),
    lambda L: L.nn.LSTM(3, 5, proj_size=2, num_layers=2, bias=False),
    lambda L: L.nn.GRU(3, 4, batch_first=True, bidirectional=True),
    lambda L: L.nn.GRU(2, 3, 3, dtype=L.float64),
    lambda L: L.nn.RNNCell(3, 4), lambda L: L.nn.RNNCell(3, 4, False, "relu"),
    lambda L: L.nn.LSTMCell(3, 4, bias=False), lambda L: L.nn.GRUCell(3, 4, dtype=L.float64),
]


@pytest.mark.parametrize("i", range(len(STRUCT)))
def test_structure(i):
    tm, lm = STRUCT[i](torch), STRUCT[i](torchlike)
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())
    want = [(n, tuple(p.shape), str(p.dtype), p.requires_grad) for n, p in tm.named_parameters()]
    got = [(n, tuple(p.shape), str(p.dtype), p.requires_grad) for n, p in lm.named_parameters()]
    assert got == want
    for attr in ("input_size", "hidden_size", "bias", "num_layers", "batch_first", "dropout",
                 "bidirectional", "proj_size", "mode", "nonlinearity"):
        if hasattr(tm, attr):
            assert getattr(lm, attr) == getattr(tm, attr), attr
    if hasattr(tm, "all_weights"):
        assert [[tuple(p.shape) for p in ws] for ws in lm.all_weights] == \
            [[tuple(p.shape) for p in ws] for ws in tm.all_weights]
        assert lm.flatten_parameters() is None
    # uniform(-1/sqrt(hidden), 1/sqrt(hidden)), drawn independently for each parameter
    bound = 1 / np.sqrt(tm.hidden_size)
    values = np.concatenate([_np(p).ravel() for p in lm.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.8 * bound
    assert len(np.unique(values)) == values.size


def test_reset_and_seed():
    torchlike.manual_seed(3)
    a = torchlike.nn.GRU(3, 4, 2)
    torchlike.manual_seed(3)
    b = torchlike.nn.GRU(3, 4, 2)
    for (n, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(_np(p), _np(q), err_msg=n)


# ---- dropout between layers ---------------------------------------------------------------
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_dropout_train(kind):
    x = torchlike.tensor(R.standard_normal((5, 2, 3)).astype(np.float32))
    for p, differ in ((0.5, True), (0.0, False)):
        m = getattr(torchlike.nn, kind)(3, H, 2, dropout=p)
        train = _flat(m(x))
        evals = _flat(m.eval()(x))
        # the first layer's final state never sees dropout
        np.testing.assert_array_equal(_np(train[1][0]), _np(evals[1][0]))
        assert (not np.array_equal(_np(train[0]), _np(evals[0]))) == differ
    # p=1 zeros the input of every later layer: deterministic, so torch must agree in training
    _compare(_make(kind, {"num_layers": 2, "dropout": 1.0}), (5, 2, 3), train=True)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_dropout_single_layer_warns(kind):
    msgs = []
    for L in (torch, torchlike):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            getattr(L.nn, kind)(3, H, dropout=0.3)
        msgs.append([(x.category, str(x.message)) for x in w])
    assert msgs[1] == msgs[0] and len(msgs[0]) == 1


# ---- errors -------------------------------------------------------------------------------
def _x(*shape):
    return R.standard_normal(shape).astype(np.float32)


ERRORS = [
    # (name, fn(L, *inputs), inputs): same exception type and message as torch
    ("rnn_1d", lambda L, x: L.nn.RNN(3, 4)(x), [_x(5)]),
    ("gru_4d", lambda L, x: L.nn.GRU(3, 4)(x), [_x(1, 5, 2, 3)]),
    ("lstm_1d", lambda L, x: L.nn.LSTM(3, 4)(x), [_x(5)]),
    ("rnn_input_size", lambda L, x: L.nn.RNN(3, 4)(x), [_x(5, 2, 7)]),
    ("lstm_input_size_unbatched", lambda L, x: L.nn.LSTM(3, 4)(x), [_x(5, 7)]),
    ("gru_dtype", lambda L, x: L.nn.GRU(3, 4)(x.double()), [_x(5, 2, 3)]),
    ("rnn_hx_2d", lambda L, x, h: L.nn.RNN(3, 4)(x, h), [_x(5, 2, 3), _x(2, 4)]),
    ("gru_unbatched_hx_3d", lambda L, x, h: L.nn.GRU(3, 4)(x, h), [_x(5, 3), _x(1, 1, 4)]),
    ("rnn_hx_batch", lambda L, x, h: L.nn.RNN(3, 4)(x, h), [_x(5, 2, 3), _x(1, 3, 4)]),
    ("gru_hx_layers", lambda L, x, h: L.nn.GRU(3, 4, 2)(x, h), [_x(5, 2, 3), _x(1, 2, 4)]),
    ("rnn_unbatched_hx_size", lambda L, x, h: L.nn.RNN(3, 4)(x, h), [_x(5, 3), _x(1, 5)]),
    ("gru_bidir_hx", lambda L, x, h: L.nn.GRU(3, 4, bidirectional=True, batch_first=True)(x, h),
     [_x(2, 5, 3), _x(2, 5, 4)]),
    ("lstm_hx_dims", lambda L, x, h, c: L.nn.LSTM(3, 4)(x, (h, c)),
     [_x(5, 2, 3), _x(1, 2, 4), _x(2, 4)]),
    ("lstm_unbatched_hx_dims", lambda L, x, h, c: L.nn.LSTM(3, 4)(x, (h, c)),
     [_x(5, 3), _x(1, 2, 4), _x(2, 4)]),
    ("lstm_h_size", lambda L, x, h, c: L.nn.LSTM(3, 4)(x, (h, c)),
     [_x(5, 2, 3), _x(1, 3, 4), _x(1, 2, 4)]),
    ("lstm_c_size", lambda L, x, h, c: L.nn.LSTM(3, 4)(x, (h, c)),
     [_x(5, 2, 3), _x(1, 2, 4), _x(1, 2, 5)]),
    ("lstm_proj_h_size", lambda L, x, h, c: L.nn.LSTM(3, 4, proj_size=2)(x, (h, c)),
     [_x(5, 2, 3), _x(1, 2, 4), _x(1, 2, 4)]),
    ("lstm_unbatched_h_size", lambda L, x, h, c: L.nn.LSTM(3, 4)(x, (h, c)),
     [_x(5, 3), _x(1, 5), _x(1, 4)]),
    ("gru_empty_sequence", lambda L, x: L.nn.GRU(3, 4)(x), [_x(0, 2, 3)]),
    ("lstm_empty_sequence_batch_first", lambda L, x: L.nn.LSTM(3, 4, batch_first=True)(x),
     [_x(2, 0, 3)]),
    ("rnncell_3d", lambda L, x: L.nn.RNNCell(3, 4)(x), [_x(1, 2, 3)]),
    ("grucell_input_size", lambda L, x: L.nn.GRUCell(3, 4)(x), [_x(2, 7)]),
    ("lstmcell_input_size_1d", lambda L, x: L.nn.LSTMCell(3, 4)(x), [_x(7)]),
    ("rnncell_hx_3d", lambda L, x, h: L.nn.RNNCell(3, 4)(x, h), [_x(2, 3), _x(1, 2, 4)]),
    ("grucell_hx_batch", lambda L, x, h: L.nn.GRUCell(3, 4)(x, h), [_x(2, 3), _x(3, 4)]),
    ("rnncell_hx_size", lambda L, x, h: L.nn.RNNCell(3, 4)(x, h), [_x(2, 3), _x(2, 5)]),
    ("grucell_hx_1d_batched", lambda L, x, h: L.nn.GRUCell(3, 4)(x, h), [_x(2, 3), _x(4)]),
    ("rnncell_unbatched_hx_2d", lambda L, x, h: L.nn.RNNCell(3, 4)(x, h), [_x(3), _x(2, 4)]),
    ("lstmcell_hx_3d", lambda L, x, h, c: L.nn.LSTMCell(3, 4)(x, (h, c)),
     [_x(2, 3), _x(1, 2, 4), _x(2, 4)]),
    ("lstmcell_c_size", lambda L, x, h, c: L.nn.LSTMCell(3, 4)(x, (h, c)),
     [_x(2, 3), _x(2, 4), _x(2, 5)]),
    ("rnncell_bad_nonlinearity", lambda L, x: L.nn.RNNCell(3, 4, nonlinearity="gelu")(x),
     [_x(2, 3)]),
    ("rnn_nonlinearity", lambda L: L.nn.RNN(3, 4, nonlinearity="gelu"), []),
    ("gru_proj", lambda L: L.nn.GRU(3, 4, proj_size=2), []),
    ("rnn_proj", lambda L: L.nn.RNN(3, 4, proj_size=2), []),
    ("lstm_proj_too_big", lambda L: L.nn.LSTM(3, 4, proj_size=4), []),
    ("lstm_proj_negative", lambda L: L.nn.LSTM(3, 4, proj_size=-1), []),
    ("dropout_range", lambda L: L.nn.LSTM(3, 4, dropout=2), []),
    ("dropout_bool", lambda L: L.nn.GRU(3, 4, dropout=True), []),
    ("hidden_zero", lambda L: L.nn.LSTM(3, 0), []),
    ("input_zero", lambda L: L.nn.RNN(0, 4), []),
    ("layers_zero", lambda L: L.nn.GRU(3, 4, num_layers=0), []),
    ("bias_int", lambda L: L.nn.LSTM(3, 4, bias=1), []),
    ("batch_first_int", lambda L: L.nn.RNN(3, 4, batch_first=0), []),
    ("input_size_float", lambda L: L.nn.LSTM(3.0, 4), []),
    ("hidden_size_str", lambda L: L.nn.GRU(3, "4"), []),
]


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("name,fn,inputs", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, fn, inputs):
    want, got = check_raises(fn, *inputs)
    assert got == want


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_input_neither_tensor_nor_packed(kind):
    check_raises(lambda L, x: getattr(L.nn, kind)(3, H)([[1.0, 2.0, 3.0]]), _x(1))


def test_hidden_dtype_mismatch_raises():
    """torch fails inside its kernels (messages differ by kernel); the type must match."""
    check_raises(lambda L, x, h: L.nn.GRU(3, 4)(x, h.double()), _x(5, 2, 3), _x(1, 2, 4))
    check_raises(lambda L, x: L.nn.RNNCell(3, 4)(x.double()), _x(2, 3))


def test_trains():
    """A few Adam steps on an LSTM lower the loss (gradients reach every parameter)."""
    torchlike.manual_seed(0)
    m = torchlike.nn.LSTM(3, 8, 2, batch_first=True)
    head = torchlike.nn.Linear(8, 1)
    params = list(m.parameters()) + list(head.parameters())
    opt = torchlike.optim.Adam(params, lr=0.03)
    x = torchlike.tensor(R.standard_normal((4, 6, 3)).astype(np.float32))
    y = x[:, :, :1].mean(1)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        out, _ = m(x)
        loss = ((head(out[:, -1]) - y) ** 2).mean()
        loss.backward()
        assert all(p.grad is not None for p in params)
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]


# ---- the autograd graph: every node's name and next_functions, as torch on CPU -------------
def _same_graph(make, x_shape, states=(), dtype="float32", train=False, x_grad=True):
    """Build the module in both libraries, run it on inputs (and initial states) that require
    grad, and compare the graphs under all its outputs."""
    graphs = []
    for L in (torch, torchlike):
        m = make(L).train(train)
        arrays = [R.standard_normal(s).astype(dtype) for s in (x_shape, *states)]
        ins = [L.tensor(a, requires_grad=x_grad or i > 0) for i, a in enumerate(arrays)]
        if len(ins) == 1:
            out = m(ins[0])
        else:
            out = m(ins[0], tuple(ins[1:]) if len(ins) == 3 else ins[1])
        graphs.append(graph(_flat(out)))
    want, got = graphs
    for i, (w, g) in enumerate(zip(want, got)):
        assert g == w, f"node {i - 1}: torchlike {g} != torch {w}"
    assert len(got) == len(want)
    return want


GRAPH_SEQ = [  # (name, kwargs, input shape (T, B, F) or (T, F), hx given, train)
    ("default", {}, (3, 2, 3), False, False),
    ("hx", {}, (3, 2, 3), True, False),
    ("batch_first_hx", {"batch_first": True}, (2, 3, 3), True, False),
    ("bidirectional", {"bidirectional": True}, (3, 2, 3), False, False),
    ("two_layers_dropout_train", {"num_layers": 2, "dropout": 0.5}, (3, 2, 3), True, True),
    ("two_layers_dropout_eval", {"num_layers": 2, "dropout": 0.5}, (3, 2, 3), False, False),
    ("two_layers_bidir_batch_first_dropout_train", {"num_layers": 2, "bidirectional": True,
                                                    "batch_first": True, "dropout": 0.3},
     (2, 3, 3), True, True),
    ("no_bias_two_layers", {"bias": False, "num_layers": 2}, (3, 2, 3), True, False),
    ("no_bias_batch_first", {"bias": False, "batch_first": True}, (2, 3, 3), False, False),
    ("unbatched", {}, (3, 3), False, False),
    ("unbatched_hx_batch_first_bidir", {"batch_first": True, "bidirectional": True}, (3, 3),
     True, False),
]
GRAPH_LSTM_PROJ = [
    ("proj", {"proj_size": 2}, (3, 2, 3), False, False),
    ("proj_hx_two_layers_bidir_batch_first", {"proj_size": 2, "num_layers": 2,
                                              "bidirectional": True, "batch_first": True},
     (2, 3, 3), True, False),
    ("proj_unbatched_hx", {"proj_size": 3}, (3, 3), True, False),
]
GRAPH_CASES = [(kind, dtype, *case) for kind in ("RNN", "LSTM", "GRU")
               for dtype in ("float32", "float64")
               for case in GRAPH_SEQ + (GRAPH_LSTM_PROJ if kind == "LSTM" else [])]


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("kind,dtype,name,kwargs,x_shape,hx,train", GRAPH_CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in GRAPH_CASES])
def test_sequence_graph(kind, dtype, name, kwargs, x_shape, hx, train):
    kwargs = {**kwargs, "dtype": dtype}
    states = _state_shapes(kind, kwargs, x_shape) if hx else ()
    _same_graph(_make(kind, kwargs), x_shape, states, dtype, train)


def test_sequence_graph_input_without_grad():
    """Only the weights need grad: the input's edge is (None, 0)."""
    for kind in ("LSTM", "GRU"):
        _same_graph(_make(kind, {"num_layers": 2}), (3, 2, 3), x_grad=False)


def test_lstm_graph_depends_on_backend():
    """The graphs compared are not all alike: torch's float32 LSTM is one oneDNN node per layer
    and direction, its float64 LSTM ATen's composition of cells (the comparison can fail)."""
    f32 = _same_graph(_make("LSTM", {}), (3, 2, 3))
    f64 = _same_graph(_make("LSTM", {"dtype": "float64"}), (3, 2, 3), dtype="float64")
    assert f32 != f64
    assert f32[1][0] == "MkldnnRnnLayerBackward0" and f64[1][0] == "StackBackward0"


GRAPH_CELLS = [(kind, dtype, shape, hx, bias)
               for kind in ("RNNCell", "LSTMCell", "GRUCell") for dtype in ("float32", "float64")
               for shape, hx, bias in (((2, 3), False, True), ((2, 3), True, True),
                                       ((3,), True, True), ((3,), False, False))]


@pytest.mark.parametrize("kind,dtype,x_shape,hx,bias", GRAPH_CELLS,
                         ids=[f"{c[0]}-{c[1]}-{len(c[2])}d-hx{c[3]:d}-bias{c[4]:d}"
                              for c in GRAPH_CELLS])
def test_cell_graph(kind, dtype, x_shape, hx, bias):
    def make(L):
        return getattr(L.nn, kind)(3, H, bias=bias, dtype=getattr(L, dtype))

    h = (*x_shape[:-1], H)
    states = ([h, h] if kind == "LSTMCell" else [h]) if hx else []
    _same_graph(make, x_shape, states, dtype)


def test_rnn_cell_relu_graph():
    _same_graph(lambda L: L.nn.RNNCell(3, H, nonlinearity="relu"), (2, 3), [(2, H)])
    _same_graph(lambda L: L.nn.RNN(3, H, 2, nonlinearity="relu", batch_first=True), (2, 3, 3))


@pytest.mark.parametrize("fn", [lambda L, x: L.unsafe_chunk(x, 4, 1),
                                lambda L, x: x.unsafe_chunk(3, 0),
                                lambda L, x: L.unsafe_split(x, 4, 1)])
def test_unsafe_chunk(fn):
    """The cells' gate split: torch's pieces (values, shapes) from one UnsafeSplitBackward0."""
    a = R.standard_normal((4, 6))
    t, g = fn(torch, torch.tensor(a, requires_grad=True)), fn(torchlike, torchlike.tensor(
        a, requires_grad=True))
    assert len(t) == len(g)
    for w, v in zip(t, g):
        np.testing.assert_array_equal(_np(v), _np(w))
    assert graph(g) == graph(t)
