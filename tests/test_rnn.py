"""RNN, LSTM, GRU and their cells against torch: outputs, final states, every input/state/parameter gradient,
eval mode, state_dict keys, repr, torch's errors; finite-difference gradchecks; a 10,000-step sequence."""
import warnings

import numpy as np
import pytest

import numtorch
from numtorch.autograd.gradcheck import gradcheck
from numtorch.ops import rnn as ops_rnn
from helpers import check_module, lib, to_nt, to_torch, torch, assert_close, copy_state

pytestmark = pytest.mark.torch


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """torch's tiny RNN kernels run far slower with spinning worker threads on a busy shared machine."""
    if torch is None:
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

T, B, I, H, P = 4, 3, 5, 6, 3
MODES = ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"]


def make(L, mode, input_size=I, hidden_size=H, **kw):
    """The same layer in either library (``L`` is torch or numtorch)."""
    if mode.startswith("RNN_"):
        return L.nn.RNN(input_size, hidden_size, nonlinearity=mode[4:].lower(), **kw)
    return getattr(L.nn, mode)(input_size, hidden_size, **kw)


def flat(res):
    """(output, h_n) or (output, (h_n, c_n)) as one flat tuple, so every output gets a gradient check."""
    out, hid = res
    if isinstance(hid, tuple):
        return (out, hid[0], hid[1])
    return (out, hid)


def state_shapes(mode, kw, batch=B, batched=True):
    L = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    hout = kw.get("proj_size") or H
    mid = (batch,) if batched else ()
    shapes = [(L,) + mid + (hout,)]
    if mode == "LSTM":
        shapes.append((L,) + mid + (H,))
    return shapes


def call_with_states(mode):
    if mode == "LSTM":
        return lambda m, x, h, c: flat(m(x, (h, c)))
    return lambda m, x, h: flat(m(x, h))


CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(num_layers=3, batch_first=True),
    dict(num_layers=2, bidirectional=True),
    dict(bias=False, bidirectional=True, batch_first=True),
    dict(num_layers=2, bias=False),
]
PROJ_CONFIGS = [dict(proj_size=P), dict(proj_size=P, num_layers=2, bidirectional=True),
                dict(proj_size=P, num_layers=3, batch_first=True, bias=False)]


def _ids(cfgs):
    return [",".join(f"{k}={v}" for k, v in c.items()) or "default" for c in cfgs]


# ---------------------------------------------------------------------- whole-sequence layers
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("given_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("kw", CONFIGS, ids=_ids(CONFIGS))
@pytest.mark.parametrize("mode", MODES)
def test_layer_parity(mode, kw, given_state, dtype):
    torch.manual_seed(0)
    x_shape = (B, T, I) if kw.get("batch_first") else (T, B, I)
    if given_state:
        check_module(make(torch, mode, **kw), make(numtorch, mode, **kw), [x_shape] + state_shapes(mode, kw),
                     dtype=dtype, call=call_with_states(mode))
    else:
        check_module(make(torch, mode, **kw), make(numtorch, mode, **kw), [x_shape], dtype=dtype,
                     call=lambda m, x: flat(m(x)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("given_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("kw", PROJ_CONFIGS, ids=_ids(PROJ_CONFIGS))
def test_lstm_projection_parity(kw, given_state, dtype):
    torch.manual_seed(0)
    x_shape = (B, T, I) if kw.get("batch_first") else (T, B, I)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch: "LSTM with projections is not supported with oneDNN"
        if given_state:
            check_module(torch.nn.LSTM(I, H, **kw), numtorch.nn.LSTM(I, H, **kw),
                         [x_shape] + state_shapes("LSTM", kw), dtype=dtype, call=call_with_states("LSTM"))
        else:
            check_module(torch.nn.LSTM(I, H, **kw), numtorch.nn.LSTM(I, H, **kw), [x_shape], dtype=dtype,
                         call=lambda m, x: flat(m(x)))


def _with_lstm_projection(configs, proj_cfg):
    """(mode, kw) pairs: every mode with every config, plus the projection config for the LSTM only."""
    return [(m, kw) for m in MODES for kw in configs] + [("LSTM", proj_cfg)]


UNBATCHED = _with_lstm_projection([dict(), dict(num_layers=2, bidirectional=True), dict(batch_first=True)],
                                  dict(num_layers=2, proj_size=P))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("given_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("mode,kw", UNBATCHED, ids=[f"{m}-{i}" for i, (m, _) in enumerate(UNBATCHED)])
def test_unbatched_parity(mode, kw, given_state, dtype):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if given_state:
            check_module(make(torch, mode, **kw), make(numtorch, mode, **kw),
                         [(T, I)] + state_shapes(mode, kw, batched=False), dtype=dtype, call=call_with_states(mode))
        else:
            check_module(make(torch, mode, **kw), make(numtorch, mode, **kw), [(T, I)], dtype=dtype,
                         call=lambda m, x: flat(m(x)))


def test_seed_snippet():
    """The issue's example: LSTM(10, 20, 2, batch_first) on (32, 5, 10) gives (32, 5, 20) and torch's numbers."""
    torch.manual_seed(0)
    ours = numtorch.nn.LSTM(input_size=10, hidden_size=20, num_layers=2, batch_first=True)
    out, (h, c) = ours(numtorch.randn(32, 5, 10))
    assert out.shape == numtorch.Size([32, 5, 20])
    assert h.shape == numtorch.Size([2, 32, 20]) and c.shape == numtorch.Size([2, 32, 20])
    assert repr(ours) == "LSTM(10, 20, num_layers=2, batch_first=True)"
    check_module(torch.nn.LSTM(input_size=10, hidden_size=20, num_layers=2, batch_first=True),
                 numtorch.nn.LSTM(input_size=10, hidden_size=20, num_layers=2, batch_first=True), [(32, 5, 10)],
                 call=lambda m, x: flat(m(x)))


# ---------------------------------------------------------------------- packed sequences through the layers
def packed_call(mode, lengths, enforce_sorted, batch_first, with_state):
    """Pack a padded input, run the layer, pad the output again: returns (padded output, h_n[, c_n])."""

    def run(m, x, *states):
        U = lib(x).nn.utils.rnn
        packed = U.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        if not with_state:
            res = m(packed)
        elif mode == "LSTM":
            res = m(packed, (states[0], states[1]))
        else:
            res = m(packed, states[0])
        out, hid = res
        assert isinstance(out, U.PackedSequence)
        padded, lens = U.pad_packed_sequence(out, batch_first=batch_first)
        assert lens.tolist() == list(lengths)
        return flat((padded, hid))
    return run


PACKED_CONFIGS = [dict(), dict(num_layers=2, bidirectional=True), dict(num_layers=3, batch_first=True),
                  dict(bidirectional=True, bias=False, batch_first=True)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
@pytest.mark.parametrize("kw", PACKED_CONFIGS, ids=_ids(PACKED_CONFIGS))
@pytest.mark.parametrize("mode", MODES)
def test_packed_parity(mode, kw, enforce_sorted, with_state, dtype):
    torch.manual_seed(0)
    Tm, Bm = 6, 5
    lengths = [6, 6, 4, 2, 1] if enforce_sorted else [2, 6, 1, 6, 4]
    x_shape = (Bm, Tm, I) if kw.get("batch_first") else (Tm, Bm, I)
    shapes = [x_shape] + (state_shapes(mode, kw, batch=Bm) if with_state else [])
    check_module(make(torch, mode, **kw), make(numtorch, mode, **kw), shapes, dtype=dtype,
                 call=packed_call(mode, lengths, enforce_sorted, kw.get("batch_first", False), with_state))


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_lstm_projection(enforce_sorted):
    torch.manual_seed(0)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 1, 5, 3]
    kw = dict(num_layers=2, bidirectional=True, proj_size=P)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_module(torch.nn.LSTM(I, H, **kw), numtorch.nn.LSTM(I, H, **kw),
                     [(5, 4, I)] + state_shapes("LSTM", kw, batch=4), dtype="float64",
                     call=packed_call("LSTM", lengths, enforce_sorted, False, True))


def test_packed_output_is_packed_with_same_metadata():
    torch.manual_seed(0)
    t_m, n_m = torch.nn.GRU(I, H), numtorch.nn.GRU(I, H)
    copy_state(t_m, n_m)
    x = np.random.default_rng(0).standard_normal((4, 3, I)).astype("float32")
    tp = torch.nn.utils.rnn.pack_padded_sequence(to_torch(x), [2, 4, 3], enforce_sorted=False)
    npk = numtorch.nn.utils.rnn.pack_padded_sequence(to_nt(x), [2, 4, 3], enforce_sorted=False)
    t_out, t_h = t_m(tp)
    n_out, n_h = n_m(npk)
    assert type(n_out) is numtorch.nn.utils.rnn.PackedSequence
    assert n_out.batch_sizes is npk.batch_sizes and n_out.sorted_indices is npk.sorted_indices
    assert_close(n_out.data, t_out.data, 1e-6, 1e-4)
    assert_close(n_h, t_h, 1e-6, 1e-4)       # h_n of each sequence's last valid step, original order


# ---------------------------------------------------------------------- cells
CELL_KINDS = [("LSTMCell", {}), ("GRUCell", {}), ("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
              ("LSTMCell", {"bias": False}), ("GRUCell", {"bias": False}), ("RNNCell", {"bias": False})]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("given_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize("name,kw", CELL_KINDS, ids=[f"{n}{kw}" for n, kw in CELL_KINDS])
def test_cell_parity(name, kw, given_state, batched, dtype):
    torch.manual_seed(0)
    mid = (B,) if batched else ()
    x_shape = mid + (I,)
    if not given_state:
        call = lambda m, x: m(x)  # noqa: E731
        shapes = [x_shape]
    elif name == "LSTMCell":
        call = lambda m, x, h, c: m(x, (h, c))  # noqa: E731
        shapes = [x_shape, mid + (H,), mid + (H,)]
    else:
        call = lambda m, x, h: m(x, h)  # noqa: E731
        shapes = [x_shape, mid + (H,)]
    check_module(getattr(torch.nn, name)(I, H, **kw), getattr(numtorch.nn, name)(I, H, **kw), shapes,
                 dtype=dtype, call=call)


def test_cell_grad_fn_names():
    for name, kw in CELL_KINDS[:4]:
        t_cell, n_cell = getattr(torch.nn, name)(I, H, **kw), getattr(numtorch.nn, name)(I, H, **kw)
        t_out, n_out = t_cell(torch.randn(2, I)), n_cell(numtorch.randn(2, I))
        t_out = t_out[0] if isinstance(t_out, tuple) else t_out
        n_out = n_out[0] if isinstance(n_out, tuple) else n_out
        assert n_out.grad_fn.name() == type(t_out.grad_fn).__name__


def test_cell_loop_matches_layer():
    """Stepping an LSTMCell by hand gives the LSTM layer's numbers (same weights)."""
    layer = numtorch.nn.LSTM(I, H).double()
    cell = numtorch.nn.LSTMCell(I, H).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((T, B, I))
    out, (h_n, c_n) = layer(to_nt(x))
    h = c = None
    for t in range(T):
        h, c = cell(to_nt(x[t]), None if h is None else (h, c))
        np.testing.assert_allclose(h.detach().numpy(), out.detach().numpy()[t], atol=1e-12)
    np.testing.assert_allclose(c.detach().numpy(), c_n.detach().numpy()[0], atol=1e-12)


# ---------------------------------------------------------------------- finite-difference gradchecks
def _params(m):
    return list(m._flat_weights)


GRADCHECK = _with_lstm_projection([dict(), dict(num_layers=2, bidirectional=True), dict(bias=False, batch_first=True)],
                                  dict(proj_size=2, num_layers=2))


@pytest.mark.parametrize("mode,kw", GRADCHECK, ids=[f"{m}-{i}" for i, (m, _) in enumerate(GRADCHECK)])
def test_gradcheck_layer(mode, kw):
    rng = np.random.default_rng(1)
    m = make(numtorch, mode, 3, 4, **kw).double()
    x_shape = (2, 3, 3) if kw.get("batch_first") else (3, 2, 3)
    x = to_nt(rng.uniform(-1, 1, x_shape), True)
    states = [to_nt(rng.uniform(-1, 1, s), True) for s in _state_shapes_small(mode, kw)]
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)

    def f(x, *rest):
        st, ps = rest[:len(states)], rest[len(states):]
        hx = tuple(st) if mode == "LSTM" else st[0]
        fn = {"LSTM": ops_rnn.lstm, "GRU": ops_rnn.gru, "RNN_TANH": ops_rnn.rnn_tanh,
              "RNN_RELU": ops_rnn.rnn_relu}[mode]
        return fn(x, hx, ps, kw.get("bias", True), L, 0.0, True, D == 2, kw.get("batch_first", False))

    inputs = [x] + states + _params(m)
    if mode == "RNN_RELU":
        assert gradcheck(f, inputs, fast_mode=True)   # relu kinks: a direction keeps clear of them w.h.p.
    else:
        assert gradcheck(f, inputs)


def _state_shapes_small(mode, kw, batch=2):
    L = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    shapes = [(L, batch, kw.get("proj_size") or 4)]
    if mode == "LSTM":
        shapes.append((L, batch, 4))
    return shapes


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck_packed_unsorted(mode):
    rng = np.random.default_rng(2)
    kw = dict(num_layers=2, bidirectional=True)
    m = make(numtorch, mode, 3, 4, **kw).double()
    x = to_nt(rng.uniform(-1, 1, (4, 3, 3)), True)
    states = [to_nt(rng.uniform(-1, 1, s), True) for s in _state_shapes_small(mode, kw, batch=3)]
    U = numtorch.nn.utils.rnn

    def f(x, *rest):
        st = rest[:len(states)]
        packed = U.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        out, hid = m(packed, tuple(st) if mode == "LSTM" else st[0])
        padded, _ = U.pad_packed_sequence(out)
        return flat((padded, hid))

    assert gradcheck(f, [x] + states + _params(m), fast_mode=True)
    if mode != "RNN_RELU":
        assert gradcheck(f, [x] + states)


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
def test_gradcheck_cells(name):
    rng = np.random.default_rng(3)
    cell = getattr(numtorch.nn, name)(3, 4).double()
    x = to_nt(rng.uniform(-1, 1, (2, 3)), True)
    h = to_nt(rng.uniform(-1, 1, (2, 4)), True)
    c = to_nt(rng.uniform(-1, 1, (2, 4)), True)
    ps = list(cell.parameters())
    if name == "LSTMCell":
        assert gradcheck(lambda x, h, c, *p: cell(x, (h, c)), [x, h, c] + ps)
    else:
        assert gradcheck(lambda x, h, *p: cell(x, h), [x, h] + ps)


# ---------------------------------------------------------------------- long sequences
@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
def test_ten_thousand_steps(mode):
    """10,000 steps forward and backward: no recursion limit, linear cost, torch's numbers."""
    torch.manual_seed(0)
    t_m, n_m = make(torch, mode, 2, 3).double(), make(numtorch, mode, 2, 3).double()
    copy_state(t_m, n_m)
    x = np.random.default_rng(0).uniform(-1, 1, (10_000, 2, 2))
    tx, nx = to_torch(x, True), to_nt(x, True)
    t_out = flat(t_m(tx))
    n_out = flat(n_m(nx))
    assert_close(list(n_out), list(t_out), 1e-9, 1e-7)
    t_out[0].sum().backward()
    n_out[0].sum().backward()
    assert_close(nx.grad, tx.grad, 1e-9, 1e-7)
    for (name, p), (_, q) in zip(n_m.named_parameters(), t_m.named_parameters()):
        assert_close(p.grad, q.grad, 1e-8, 1e-6, name)


# ---------------------------------------------------------------------- dropout between layers
def _identity_relu_stack(L, p):
    """RNN(relu) layers that pass a positive input through unchanged, so the output shows the dropout masks."""
    m = L.nn.RNN(4, 4, num_layers=2, nonlinearity="relu", dropout=p)
    with L.no_grad():
        for name, w in m.named_parameters():
            w.zero_()
            if name.startswith("weight_ih"):
                w.copy_(L.eye(4))
    return m


def test_dropout_train_statistics_and_eval():
    numtorch.manual_seed(0)
    p = 0.3
    m = _identity_relu_stack(numtorch, p)
    x = numtorch.rand(50, 40, 4) + 0.5
    x.requires_grad_(True)
    out, _ = m(x)
    ratio = out.detach().numpy() / x.detach().numpy()
    dropped = ratio == 0
    assert abs(dropped.mean() - p) < 0.02                           # 8000 Bernoulli draws
    np.testing.assert_allclose(ratio[~dropped], 1 / (1 - p), rtol=1e-5)  # survivors scaled by 1/(1-p)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ratio, rtol=1e-5)    # the same mask in backward
    out2, _ = m(x)
    assert not np.array_equal(out2.detach().numpy(), out.detach().numpy())   # a fresh mask each call
    m.eval()
    out_eval, _ = m(x)
    np.testing.assert_allclose(out_eval.detach().numpy(), x.detach().numpy(), rtol=1e-6)   # no dropout in eval


def test_dropout_seeded_and_last_layer_untouched():
    m = _identity_relu_stack(numtorch, 0.5)
    x = numtorch.rand(6, 5, 4) + 0.5
    numtorch.manual_seed(3)
    a = m(x)[0].detach().numpy().copy()
    numtorch.manual_seed(3)
    b = m(x)[0].detach().numpy()
    np.testing.assert_array_equal(a, b)
    one = numtorch.nn.LSTM(4, 4, num_layers=2, dropout=1.0)
    out, (h, c) = one(x)
    assert np.isfinite(out.detach().numpy()).all()                   # p = 1 drops everything, no inf/nan


@pytest.mark.parametrize("mode", MODES)
def test_dropout_eval_parity(mode):
    torch.manual_seed(0)
    t_m = make(torch, mode, num_layers=3, dropout=0.4)
    n_m = make(numtorch, mode, num_layers=3, dropout=0.4)
    copy_state(t_m, n_m)
    t_m.eval()
    n_m.eval()
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype("float32")
    assert_close(list(flat(n_m(to_nt(x)))), list(flat(t_m(to_torch(x)))), 1e-6, 1e-4)
    assert repr(n_m) == repr(t_m)


# ---------------------------------------------------------------------- module contract
@pytest.mark.parametrize("args,kw", [((10, 20), {}), ((10, 20, 2), {"batch_first": True}),
                                     ((3, 4), {"num_layers": 2, "bias": False, "batch_first": True, "dropout": 0.5,
                                               "bidirectional": True}),
                                     ((3, 4), {"bidirectional": 1}), ((3, 4), {"dropout": 0.25, "num_layers": 3})])
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_repr_names_and_flat_weights(name, args, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_m = getattr(torch.nn, name)(*args, **kw)
        n_m = getattr(numtorch.nn, name)(*args, **kw)
    assert repr(n_m) == repr(t_m)
    assert list(n_m.state_dict().keys()) == list(t_m.state_dict().keys())
    assert n_m._flat_weights_names == t_m._flat_weights_names
    assert [list(w) for w in n_m._all_weights] == [list(w) for w in t_m._all_weights]
    assert [tuple(p.shape) for p in n_m._flat_weights] == [tuple(p.shape) for p in t_m._flat_weights]
    assert [[tuple(p.shape) for p in ws] for ws in n_m.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in t_m.all_weights]
    assert all(a is b for a, b in zip(n_m._flat_weights, n_m.parameters()))
    assert n_m.flatten_parameters() is None


def test_lstm_projection_repr_and_shapes():
    t_m, n_m = torch.nn.LSTM(10, 20, proj_size=5, bidirectional=True), \
        numtorch.nn.LSTM(10, 20, proj_size=5, bidirectional=True)
    assert repr(n_m) == repr(t_m) == "LSTM(10, 20, proj_size=5, bidirectional=True)"
    assert [(k, tuple(v.shape)) for k, v in n_m.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t_m.state_dict().items()]


@pytest.mark.parametrize("name,args,kw", [("RNNCell", (3, 4), {}), ("RNNCell", (3, 4), {"nonlinearity": "relu"}),
                                          ("RNNCell", (3, 4), {"bias": False}), ("LSTMCell", (3, 4), {}),
                                          ("GRUCell", (3, 4), {"bias": False})])
def test_cell_repr_and_names(name, args, kw):
    t_m, n_m = getattr(torch.nn, name)(*args, **kw), getattr(numtorch.nn, name)(*args, **kw)
    assert repr(n_m) == repr(t_m)
    assert [(k, tuple(v.shape)) for k, v in n_m.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t_m.state_dict().items()]
    assert [n for n, _ in n_m.named_parameters()] == [n for n, _ in t_m.named_parameters()]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_default_init_is_uniform_one_over_sqrt_hidden(name):
    numtorch.manual_seed(0)
    m = getattr(numtorch.nn, name)(30, 64, **({"num_layers": 2} if "Cell" not in name else {}))
    bound = 1 / np.sqrt(64)
    for p in m.parameters():
        a = p.detach().numpy()
        assert a.min() >= -bound and a.max() <= bound
    a = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert a.min() < -0.99 * bound and a.max() > 0.99 * bound   # spread over the whole interval
    assert abs(a.mean()) < 0.01 * bound * 10 and abs(a.std() - bound / np.sqrt(3)) < 0.01


def test_dtype_and_device_kwargs():
    m = numtorch.nn.LSTM(3, 4, dtype=numtorch.float64, device="cpu")
    assert all(p.dtype == numtorch.float64 for p in m.parameters())
    c = numtorch.nn.GRUCell(3, 4, dtype=numtorch.float64)
    assert c.weight_ih.dtype == numtorch.float64
    out, h = numtorch.nn.GRU(3, 4, dtype=numtorch.float64)(numtorch.randn(2, 1, 3, dtype=numtorch.float64))
    assert out.dtype == numtorch.float64 and h.dtype == numtorch.float64


def test_replacing_a_weight_updates_flat_weights():
    m = numtorch.nn.GRU(3, 4)
    new = numtorch.nn.Parameter(numtorch.zeros(12, 4))
    m.weight_hh_l0 = new
    assert m._flat_weights[1] is new
    m.double()
    assert m._flat_weights[1] is m.weight_hh_l0 and m._flat_weights[1].dtype == numtorch.float64


@pytest.mark.parametrize("kw,x_shape", [(dict(), (T, B, I)), (dict(batch_first=True), (B, T, I)),
                                        (dict(bidirectional=True), (T, B, I)), (dict(), (T, I))])
@pytest.mark.parametrize("mode", MODES)
def test_output_grad_fn_names(mode, kw, x_shape):
    t_m, n_m = make(torch, mode, **kw), make(numtorch, mode, **kw)
    t_out = t_m(torch.randn(*x_shape, requires_grad=True))[0]
    n_out = n_m(numtorch.randn(*x_shape, requires_grad=True))[0]
    assert n_out.grad_fn.name() == type(t_out.grad_fn).__name__


def test_float32_end_to_end():
    m = numtorch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    x = numtorch.randn(5, 2, 3, requires_grad=True)
    out, (h, c) = m(x)
    assert out.dtype == h.dtype == c.dtype == numtorch.float32
    (out.sum() + h.sum() + c.sum()).backward()      # NUMTORCH_STRICT_GRAD_DTYPE=1 checks every gradient
    assert x.grad.dtype == numtorch.float32
    assert all(p.grad.dtype == numtorch.float32 for p in m.parameters())


def test_only_final_state_used_and_retain_graph():
    m = numtorch.nn.GRU(3, 4, num_layers=2)
    x = numtorch.randn(5, 2, 3, requires_grad=True)
    _, h = m(x)
    h.sum().backward(retain_graph=True)
    g1 = x.grad.numpy().copy()
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1, rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        h.sum().backward()


def test_inplace_weight_change_before_backward_is_detected():
    for L in (torch, numtorch):
        m = L.nn.LSTM(3, 4)
        out, _ = m(L.randn(5, 2, 3))
        with L.no_grad():
            m.weight_hh_l0.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def test_no_grad_inference_matches_training_path():
    """The no-grad forward (state kept in place, no saved arrays) equals the recording forward."""
    U = numtorch.nn.utils.rnn
    for mode in MODES:
        m = make(numtorch, mode, num_layers=2, bidirectional=True)
        x = numtorch.randn(6, 4, I)
        packed = U.pack_padded_sequence(x, [3, 6, 1, 4], enforce_sorted=False)
        for inp in (x, packed):
            m.requires_grad_(True)
            a = flat(m(inp))
            with numtorch.no_grad():
                b = flat(m(inp))
            for u, v in zip(a, b):
                u = u.data if isinstance(u, U.PackedSequence) else u
                v = v.data if isinstance(v, U.PackedSequence) else v
                np.testing.assert_array_equal(u.detach().numpy(), v.numpy())


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [dict(), dict(proj_size=3), dict(bias=False), dict(bidirectional=True, num_layers=2),
                                dict(batch_first=True, proj_size=5, bidirectional=True)])
def test_lstm_no_grad_forward_matches_torch(kw, dtype):
    """The column-major no-grad LSTM path against torch, with a hidden size wide enough for blocked GEMMs."""
    torch.manual_seed(0)
    t_m = torch.nn.LSTM(7, 64, **kw).to(getattr(torch, dtype))
    n_m = numtorch.nn.LSTM(7, 64, **kw).to(getattr(numtorch, dtype))
    copy_state(t_m, n_m)
    x = np.random.default_rng(1).standard_normal((6, 3, 7)).astype(dtype)
    with torch.no_grad():
        t_out = t_m(to_torch(x))
    with numtorch.no_grad():
        n_out = n_m(to_nt(x))
    tol = (1e-6, 1e-4) if dtype == "float32" else (1e-12, 1e-10)
    assert_close(flat(n_out), flat(t_out), *tol)


def test_functional_vf_forms():
    torch.manual_seed(0)
    t_m, n_m = torch.nn.LSTM(I, H, 2), numtorch.nn.LSTM(I, H, 2)
    copy_state(t_m, n_m)
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype("float32")
    h0 = np.zeros((2, B, H), "float32")
    t_res = torch.lstm(to_torch(x), (to_torch(h0), to_torch(h0)), t_m._flat_weights, True, 2, 0.0, False, False,
                       False)
    n_res = numtorch.ops.rnn.lstm(to_nt(x), (to_nt(h0), to_nt(h0)), n_m._flat_weights, True, 2, 0.0, False,
                                  False, False)
    assert_close(list(n_res), list(t_res), 1e-6, 1e-4)
    tp = torch.nn.utils.rnn.pack_padded_sequence(to_torch(x), [4, 2, 1])
    npk = numtorch.nn.utils.rnn.pack_padded_sequence(to_nt(x), [4, 2, 1])
    t_res = torch.lstm(tp.data, tp.batch_sizes, (to_torch(h0), to_torch(h0)), t_m._flat_weights, True, 2, 0.0,
                       False, False)
    n_res = numtorch.ops.rnn.lstm(npk.data, npk.batch_sizes, (to_nt(h0), to_nt(h0)), n_m._flat_weights, True, 2,
                                  0.0, False, False)
    assert_close(list(n_res), list(t_res), 1e-6, 1e-4)
    xc, hc = np.ones((B, I), "float32"), np.ones((B, H), "float32")
    assert_close(numtorch.ops.rnn.gru_cell(to_nt(xc), to_nt(hc), *[to_nt(w) for w in (
        np.full((3 * H, I), 0.1, "float32"), np.full((3 * H, H), -0.1, "float32"))]),
        torch.gru_cell(to_torch(xc), to_torch(hc), torch.full((3 * H, I), 0.1), torch.full((3 * H, H), -0.1)),
        1e-6, 1e-4)


# ---------------------------------------------------------------------- torch's errors and warnings
def same_error(fn, exact=True):
    """fn(lib) raises the same exception class in both libraries, with the same message when ``exact``."""
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as n_err:
        fn(numtorch)
    assert type(n_err.value) is type(t_err.value), (n_err.value, t_err.value)
    if exact:
        assert str(n_err.value) == str(t_err.value).replace("torch.", "numtorch."), (n_err.value, t_err.value)


CONSTRUCTOR_ERRORS = {
    "dropout>1": lambda L: L.nn.LSTM(3, 4, dropout=1.5),
    "dropout bool": lambda L: L.nn.GRU(3, 4, 2, dropout=True),
    "proj>=hidden": lambda L: L.nn.LSTM(3, 4, proj_size=4),
    "proj<0": lambda L: L.nn.LSTM(3, 4, proj_size=-1),
    "nonlinearity": lambda L: L.nn.RNN(3, 4, nonlinearity="sigmoid"),
    "gru proj": lambda L: L.nn.GRU(3, 4, proj_size=2),
    "rnn proj": lambda L: L.nn.RNN(3, 4, proj_size=2),
    "input_size 0": lambda L: L.nn.LSTM(0, 4),
    "hidden_size 0": lambda L: L.nn.GRU(3, 0),
    "num_layers 0": lambda L: L.nn.LSTM(3, 4, 0),
    "hidden float": lambda L: L.nn.LSTM(3, 4.0),
    "input float": lambda L: L.nn.RNN(3.0, 4),
    "bias int": lambda L: L.nn.LSTM(3, 4, bias=1),
    "batch_first int": lambda L: L.nn.GRU(3, 4, batch_first=1),
    "num_layers float": lambda L: L.nn.LSTM(3, 4, 2.0),
    "cell negative hidden": lambda L: L.nn.LSTMCell(3, -1),
}


@pytest.mark.parametrize("case", list(CONSTRUCTOR_ERRORS))
def test_constructor_errors(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(CONSTRUCTOR_ERRORS[case])


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_with_one_layer_warns(name):
    with pytest.warns(UserWarning) as t_w:
        getattr(torch.nn, name)(3, 4, dropout=0.5)
    with pytest.warns(UserWarning) as n_w:
        getattr(numtorch.nn, name)(3, 4, dropout=0.5)
    assert str(n_w[0].message) == str(t_w[0].message)


def _lstm(L):
    return L.nn.LSTM(10, 20, 2, batch_first=True)


FORWARD_ERRORS = {
    "input size": lambda L: _lstm(L)(L.randn(32, 5, 7)),
    "h0 size": lambda L: _lstm(L)(L.randn(32, 5, 10), (L.randn(1, 32, 20), L.randn(2, 32, 20))),
    "c0 size": lambda L: _lstm(L)(L.randn(32, 5, 10), (L.randn(2, 32, 20), L.randn(2, 31, 20))),
    "lstm 2d state with batched": lambda L: _lstm(L)(L.randn(32, 5, 10), (L.randn(32, 20), L.randn(32, 20))),
    "lstm 3d state with unbatched": lambda L: _lstm(L)(L.randn(5, 10), (L.randn(2, 1, 20), L.randn(2, 1, 20))),
    "lstm unbatched state size": lambda L: _lstm(L)(L.randn(5, 10), (L.randn(2, 21), L.randn(2, 20))),
    "lstm 4d input": lambda L: _lstm(L)(L.randn(1, 32, 5, 10)),
    "lstm 1d input": lambda L: _lstm(L)(L.randn(10)),
    "input dtype": lambda L: _lstm(L)(L.randn(32, 5, 10).double()),
    "input int": lambda L: _lstm(L)(L.ones(32, 5, 10, dtype=L.long)),
    "lstm hx not a tuple": lambda L: _lstm(L)(L.randn(32, 5, 10), L.randn(2, 32, 20)),
    "empty sequence": lambda L: _lstm(L)(L.randn(32, 0, 10)),
    "gru h0": lambda L: L.nn.GRU(10, 20, 2)(L.randn(5, 3, 10), L.randn(2, 4, 20)),
    "gru 2d h0 batched": lambda L: L.nn.GRU(10, 20, 2)(L.randn(5, 3, 10), L.randn(2, 20)),
    "gru 3d h0 unbatched": lambda L: L.nn.GRU(10, 20, 2)(L.randn(5, 10), L.randn(2, 1, 20)),
    "gru unbatched h0 size": lambda L: L.nn.GRU(10, 20, 2)(L.randn(5, 10), L.randn(3, 20)),
    "gru 4d": lambda L: L.nn.GRU(10, 20)(L.randn(5, 3, 10, 1)),
    "rnn 4d": lambda L: L.nn.RNN(10, 20)(L.randn(5, 3, 10, 1)),
    "rnn h0": lambda L: L.nn.RNN(10, 20, 2)(L.randn(5, 3, 10), L.randn(2, 4, 20)),
    "rnn input size": lambda L: L.nn.RNN(10, 20, bidirectional=True)(L.randn(5, 3, 11)),
    "packed h0": lambda L: L.nn.GRU(10, 20, 2)(L.nn.utils.rnn.pack_padded_sequence(L.randn(5, 3, 10), [5, 3, 2]),
                                               L.randn(2, 4, 20)),
    "packed features": lambda L: L.nn.GRU(10, 20)(L.nn.utils.rnn.pack_padded_sequence(L.randn(5, 3, 7),
                                                                                       [5, 3, 2])),
    "cell 3d input": lambda L: L.nn.LSTMCell(10, 20)(L.randn(2, 3, 10)),
    "cell input size": lambda L: L.nn.LSTMCell(10, 20)(L.randn(3, 7)),
    "cell hx size": lambda L: L.nn.LSTMCell(10, 20)(L.randn(3, 10), (L.randn(3, 21), L.randn(3, 20))),
    "cell cx size": lambda L: L.nn.LSTMCell(10, 20)(L.randn(3, 10), (L.randn(3, 20), L.randn(3, 21))),
    "cell hx batch": lambda L: L.nn.LSTMCell(10, 20)(L.randn(3, 10), (L.randn(4, 20), L.randn(4, 20))),
    "cell hx 3d": lambda L: L.nn.LSTMCell(10, 20)(L.randn(3, 10), (L.randn(1, 3, 20), L.randn(3, 20))),
    "cell hx 1d batched": lambda L: L.nn.LSTMCell(10, 20)(L.randn(3, 10), (L.randn(20), L.randn(20))),
    "cell hx 2d unbatched": lambda L: L.nn.LSTMCell(10, 20)(L.randn(10), (L.randn(1, 20), L.randn(1, 20))),
    "gru cell 3d": lambda L: L.nn.GRUCell(10, 20)(L.randn(2, 3, 10)),
    "gru cell hx 3d": lambda L: L.nn.GRUCell(10, 20)(L.randn(3, 10), L.randn(1, 3, 20)),
    "gru cell input": lambda L: L.nn.GRUCell(10, 20)(L.randn(3, 7)),
    "gru cell hx": lambda L: L.nn.GRUCell(10, 20)(L.randn(3, 10), L.randn(3, 21)),
    "gru cell hx batch": lambda L: L.nn.GRUCell(10, 20)(L.randn(3, 10), L.randn(4, 20)),
    "gru cell dtype": lambda L: L.nn.GRUCell(10, 20)(L.randn(3, 10).double()),
    "rnn cell 3d": lambda L: L.nn.RNNCell(10, 20)(L.randn(2, 3, 10)),
    "rnn cell input": lambda L: L.nn.RNNCell(10, 20)(L.randn(3, 7)),
    "rnn cell hx": lambda L: L.nn.RNNCell(10, 20, nonlinearity="relu")(L.randn(3, 10), L.randn(3, 21)),
}


def _bad_nonlinearity_cell(L):
    cell = L.nn.RNNCell(10, 20)
    cell.nonlinearity = "foo"
    return cell(L.randn(3, 10))


FORWARD_ERRORS["rnn cell unknown nonlinearity"] = _bad_nonlinearity_cell


@pytest.mark.parametrize("case", list(FORWARD_ERRORS))
def test_forward_errors(case):
    same_error(FORWARD_ERRORS[case])


def test_state_dtype_mismatch_raises_runtime_error():
    # torch's message here comes from its oneDNN kernel; numtorch names the mismatch instead.
    same_error(lambda L: L.nn.LSTM(10, 20)(L.randn(5, 3, 10), (L.randn(1, 3, 20).double(), L.randn(1, 3, 20))),
               exact=False)


def test_batch_of_zero_sequences():
    for L in (torch, numtorch):
        out, (h, c) = L.nn.LSTM(3, 4, batch_first=True)(L.randn(0, 5, 3))
        assert tuple(out.shape) == (0, 5, 4) and tuple(h.shape) == (1, 0, 4)


@pytest.mark.parametrize("mode,hidden", [("LSTM", 130), ("GRU", 130), ("RNN_TANH", 260)])
def test_wide_hidden_uses_blocked_step_gemm(mode, hidden):
    """Hidden sizes >= 128 take the column-blocked step GEMM (with a ragged last block): same numbers."""
    assert ops_rnn._column_blocks(np.zeros((hidden, _GATES[mode] * hidden), "float32")) is not None
    torch.manual_seed(0)
    check_module(make(torch, mode, 4, hidden, bidirectional=True), make(numtorch, mode, 4, hidden, bidirectional=True),
                 [(3, 2, 4)], dtype="float64", call=lambda m, x: flat(m(x)))


_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1}


def test_deepcopy_and_pickle_keep_flat_weights_bound():
    import copy
    import pickle
    m = numtorch.nn.GRU(3, 4, num_layers=2, bidirectional=True).eval()
    x = numtorch.randn(5, 2, 3)
    for twin in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert all(a is b for a, b in zip(twin._flat_weights, twin.parameters()))
        np.testing.assert_array_equal(twin(x)[0].detach().numpy(), m(x)[0].detach().numpy())


def test_dropout_with_packed_bidirectional_input_trains():
    numtorch.manual_seed(0)
    m = numtorch.nn.LSTM(3, 4, num_layers=3, dropout=0.5, bidirectional=True)
    U = numtorch.nn.utils.rnn
    x = numtorch.randn(6, 4, 3, requires_grad=True)
    out, (h, c) = m(U.pack_padded_sequence(x, [2, 6, 3, 1], enforce_sorted=False))
    padded, _ = U.pad_packed_sequence(out)
    (padded.sum() + h.sum() + c.sum()).backward()
    assert np.isfinite(x.grad.numpy()).all() and np.abs(x.grad.numpy()).sum() > 0
    assert all(p.grad is not None for p in m.parameters())
