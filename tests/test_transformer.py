"""Transformer layers against torch: encoder/decoder layers and stacks, nn.Transformer, the causal mask helper,
and numtorch's positional encodings (which torch does not have, so they are checked against their formulas)."""
import math
import warnings

import numpy as np
import pytest

import numtorch
import numtorch.nn as nnn
from helpers import assert_close, check_module, copy_state, gradcheck, lib, to_nt, to_torch, torch

pytestmark = pytest.mark.torch

R = np.random.default_rng(0)


def _as(x, arr):
    """``arr`` in ``x``'s library and float dtype (bool arrays stay bool)."""
    if arr.dtype != np.bool_:
        arr = arr.astype(np.dtype(str(x.dtype).split(".")[-1]))
    return to_torch(arr) if lib(x) is torch else to_nt(arr)


def _pair(name, *args, act=None, **kw):
    tk, nk = dict(kw), dict(kw)
    if act is not None:
        tk["activation"], nk["activation"] = act(torch), act(numtorch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TransformerEncoder's nested-tensor notice; tested on its own
        return getattr(torch.nn, name)(*args, **tk), getattr(nnn, name)(*args, **nk)


def _stack(kind, layer_args, num_layers, norm=False, **layer_kw):
    t_layer, n_layer = _pair(kind + "Layer", *layer_args, **layer_kw)
    kw_t, kw_n = {}, {}
    if norm:
        kw_t["norm"], kw_n["norm"] = torch.nn.LayerNorm(layer_args[0]), nnn.LayerNorm(layer_args[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (getattr(torch.nn, kind)(t_layer, num_layers, **kw_t),
                getattr(nnn, kind)(n_layer, num_layers, **kw_n))


def _seq(bf, S, N=3, E=8):
    return (N, S, E) if bf else (S, N, E)


ACTIVATIONS = {
    "relu": None,
    "gelu_str": lambda m: "gelu",
    "relu_str": lambda m: "relu",
    "gelu_fn": lambda m: m.nn.functional.gelu,
    "silu_fn": lambda m: m.nn.functional.silu,
    "gelu_tanh_module": lambda m: m.nn.GELU(approximate="tanh"),
}


# ---------------------------------------------------------------------- the seed's snippet
def test_seed_encoder_layer_snippet():
    numtorch.manual_seed(0)
    layer = nnn.TransformerEncoderLayer(d_model=512, nhead=8, dim_feedforward=2048)
    src = numtorch.randn(10, 32, 512)
    out = layer(src)
    assert out.shape == numtorch.Size([10, 32, 512])
    assert out.dtype == numtorch.float32
    # torch's numbers once the weights are the same: eval mode (dropout off) ...
    t = torch.nn.TransformerEncoderLayer(d_model=512, nhead=8, dim_feedforward=2048)
    copy_state(t, layer)
    layer.eval()
    t.eval()
    with torch.no_grad(), numtorch.no_grad():
        assert_close(layer(src), t(to_torch(src)), 1e-5, 1e-3)
    # ... and training mode with dropout 0, gradients of the input and every parameter included
    t0, n0 = _pair("TransformerEncoderLayer", 512, 8, 2048, dropout=0.0)
    # float32 sums over 512 and 2048 features: absolute round-off up to ~1e-5 on O(1) values
    check_module(t0, n0, [(10, 32, 512)], atol=1e-5, grad_atol=2e-4)


# ---------------------------------------------------------------------- encoder layer
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("act", list(ACTIVATIONS))
def test_encoder_layer(dtype, norm_first, batch_first, act):
    t, n = _pair("TransformerEncoderLayer", 8, 2, 16, dropout=0.0, batch_first=batch_first, norm_first=norm_first,
                 act=ACTIVATIONS[act])
    # torch's eval fast path (batch-first, no grad) runs any nn.GELU as the exact erf GELU, ignoring
    # approximate="tanh"; numtorch applies the module as given, like torch's own training-mode path
    fast_path_gelu_bug = act == "gelu_tanh_module" and batch_first
    check_module(t, n, [_seq(batch_first, 5)], dtype=dtype, check_eval=not fast_path_gelu_bug)


@pytest.mark.parametrize("kw", [{"bias": False}, {"layer_norm_eps": 1e-3}, {"dim_feedforward": 7}])
def test_encoder_layer_options(kw):
    t, n = _pair("TransformerEncoderLayer", 12, 3, dropout=0.0, **dict({"dim_feedforward": 10}, **kw))
    check_module(t, n, [(5, 2, 12)])
    check_module(t, n, [(5, 2, 12)], dtype="float64")


def test_encoder_layer_unbatched():
    for nf in (False, True):
        t, n = _pair("TransformerEncoderLayer", 8, 2, 16, dropout=0.0, norm_first=nf)
        check_module(t, n, [(5, 8)])


def _src_masks(case, S, N, H, causal_ok=True):
    masks = {}
    pad = R.random((N, S)) < 0.3
    pad[:, 0] = False
    att = R.random((S, S)) < 0.3
    att[:, 0] = False
    att3 = R.random((N * H, S, S)) < 0.3
    att3[..., 0] = False
    if "kpm" in case:
        masks["src_key_padding_mask"] = pad if "bool" in case else np.where(pad, -np.inf, 0.0)
    if "attn2d" in case:
        masks["src_mask"] = att if "bool" in case else np.where(att, -np.inf, R.uniform(-1, 1, (S, S)))
    if "attn3d" in case:
        masks["src_mask"] = att3 if "bool" in case else np.where(att3, -np.inf, 0.0)
    if "causal" in case:
        masks["src_mask"] = np.triu(np.full((S, S), -np.inf), 1)
        masks["is_causal"] = True
    return masks


SRC_MASK_CASES = ["kpm_bool", "kpm_float", "attn2d_bool", "attn2d_float", "attn3d_bool", "kpm_attn2d_bool",
                  "kpm_attn2d_float", "causal", "causal_kpm_float"]


# torch's eval fast path (batch-first, no grad: _transformer_encoder_layer_fwd) treats a float src_mask as a bool
# one (any nonzero entry masked), unlike its own training path and MultiheadAttention; numtorch adds float masks
# in every mode, so eval is compared only where torch takes its ordinary path.
@pytest.mark.parametrize("case", SRC_MASK_CASES)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_masks(case, batch_first, norm_first):
    S, N, H = 5, 3, 2
    t, n = _pair("TransformerEncoderLayer", 8, H, 16, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    masks = _src_masks(case, S, N, H)

    def call(m, x):
        return m(x, **{k: (_as(x, v) if isinstance(v, np.ndarray) else v) for k, v in masks.items()})
    for dtype in ("float32", "float64"):
        check_module(t, n, [_seq(batch_first, S, N)], dtype=dtype, call=call,
                     check_eval=not (batch_first and "attn2d_float" in case))



def test_layer_mismatched_mask_types_warn_like_torch():
    x = R.standard_normal((5, 3, 8)).astype(np.float32)
    kpm = np.zeros((3, 5), bool)
    kpm[:, 4] = True
    mask = np.triu(np.full((5, 5), -np.inf), 1).astype(np.float32)
    t, n = _pair("TransformerEncoderLayer", 8, 2, 16, dropout=0.0)
    copy_state(t, n)
    with pytest.warns(UserWarning, match="Support for mismatched src_key_padding_mask and src_mask is deprecated"):
        ours = n(to_nt(x), src_mask=to_nt(mask), src_key_padding_mask=to_nt(kpm))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = t(to_torch(x), src_mask=to_torch(mask), src_key_padding_mask=to_torch(kpm))
    assert_close(ours, theirs, 1e-6, 1e-3)


def test_encoder_layer_dropout():
    t, n = _pair("TransformerEncoderLayer", 8, 2, 16, dropout=0.3)
    copy_state(t, n)
    x = to_nt(R.standard_normal((5, 3, 8)).astype(np.float32))
    numtorch.manual_seed(4)
    a = n(x)
    numtorch.manual_seed(4)
    b = n(x)
    c = n(x)
    assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())
    t.eval()
    n.eval()
    with torch.no_grad(), numtorch.no_grad():
        assert_close(n(x), t(to_torch(x)), 1e-6, 1e-3)
        assert np.array_equal(n(x).numpy(), n(x).numpy())


def test_encoder_layer_gradcheck_float64():
    numtorch.manual_seed(0)
    for nf in (False, True):
        m = nnn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, norm_first=nf, activation="gelu").double()
        x = numtorch.randn(4, 2, 8, dtype=numtorch.float64, requires_grad=True)
        mask = nnn.Transformer.generate_square_subsequent_mask(4, dtype=numtorch.float64)
        gradcheck(lambda x, *ps: m(x, src_mask=mask), [x] + list(m.parameters()), eps=1e-6, atol=1e-5,
                  rtol=1e-3, fast_mode=True)


# ---------------------------------------------------------------------- decoder layer
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("act", ["relu", "gelu_str", "silu_fn", "gelu_tanh_module"])
def test_decoder_layer(dtype, norm_first, batch_first, act):
    t, n = _pair("TransformerDecoderLayer", 8, 2, 16, dropout=0.0, batch_first=batch_first, norm_first=norm_first,
                 act=ACTIVATIONS[act])
    shapes = [_seq(batch_first, 4), _seq(batch_first, 6)]
    # check_module's round trip deep-copies the torch layer, which turns a module activation into F.relu
    # (torch's __setstate__; see test_decoder_stack_with_module_activation), so eval is compared here directly
    module_act = act == "gelu_tanh_module"
    check_module(t, n, shapes, dtype=dtype, check_eval=not module_act)
    if module_act:
        t.eval()
        n.eval()
        xs = [R.standard_normal(s).astype(dtype) for s in shapes]
        with torch.no_grad(), numtorch.no_grad():
            assert_close(n(*map(to_nt, xs)), t(*map(to_torch, xs)), 1e-6 if dtype == "float32" else 1e-10,
                         1e-3 if dtype == "float32" else 1e-7)


def test_decoder_stack_with_module_activation():
    # torch's TransformerDecoderLayer.__setstate__ runs on deepcopy and shadows a module activation with F.relu:
    # TransformerDecoder's clones of TransformerDecoderLayer(..., activation=nn.GELU()) compute ReLU. numtorch's
    # clones do the same, so a torch-trained stack gives torch's numbers.
    t, n = _stack("TransformerDecoder", (8, 2, 16), 2, dropout=0.0, act=lambda m: m.nn.GELU())
    assert n.layers[0].activation is numtorch.nn.functional.relu
    assert torch.nn.TransformerDecoderLayer(8, 2).activation is torch.nn.functional.relu
    assert repr(n) == repr(t)
    check_module(t, n, [(4, 3, 8), (6, 3, 8)])


def test_decoder_layer_unbatched_and_no_bias():
    t, n = _pair("TransformerDecoderLayer", 8, 2, 16, dropout=0.0)
    check_module(t, n, [(4, 8), (6, 8)])
    t, n = _pair("TransformerDecoderLayer", 8, 2, 16, dropout=0.0, bias=False, norm_first=True)
    check_module(t, n, [(4, 3, 8), (6, 3, 8)], dtype="float64")


DEC_MASK_CASES = ["tgt_causal", "tgt_causal_hint", "tgt_bool", "memory_mask", "memory_mask_bool", "tgt_kpm",
                  "memory_kpm", "all_float", "memory_causal"]


def _dec_masks(case, T, S, N):
    causal = np.triu(np.full((T, T), -np.inf), 1)
    tgt_kpm = R.random((N, T)) < 0.3
    tgt_kpm[:, 0] = False
    mem_kpm = R.random((N, S)) < 0.3
    mem_kpm[:, 0] = False
    mem_mask = R.random((T, S)) < 0.3
    mem_mask[:, 0] = False
    return {
        "tgt_causal": {"tgt_mask": causal},
        "tgt_causal_hint": {"tgt_mask": causal, "tgt_is_causal": True},
        "tgt_bool": {"tgt_mask": np.triu(np.ones((T, T), bool), 1)},
        "memory_mask": {"memory_mask": np.where(mem_mask, -np.inf, R.uniform(-1, 1, (T, S)))},
        "memory_mask_bool": {"memory_mask": mem_mask},
        "tgt_kpm": {"tgt_mask": causal, "tgt_key_padding_mask": np.where(tgt_kpm, -np.inf, 0.0)},
        "memory_kpm": {"memory_key_padding_mask": mem_kpm},
        "all_float": {"tgt_mask": causal, "memory_mask": np.where(mem_mask, -np.inf, 0.0),
                      "tgt_key_padding_mask": np.where(tgt_kpm, -np.inf, 0.0),
                      "memory_key_padding_mask": np.where(mem_kpm, -np.inf, 0.0)},
        "memory_causal": {"memory_mask": np.triu(np.full((T, S), -np.inf), 1), "memory_is_causal": True},
    }[case]


@pytest.mark.parametrize("case", DEC_MASK_CASES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer_masks(case, batch_first):
    T, S, N = 4, 6, 3
    t, n = _pair("TransformerDecoderLayer", 8, 2, 16, dropout=0.0, batch_first=batch_first)
    masks = _dec_masks(case, T, S, N)

    def call(m, x, mem):
        return m(x, mem, **{k: (_as(x, v) if isinstance(v, np.ndarray) else v) for k, v in masks.items()})
    for dtype in ("float32", "float64"):
        check_module(t, n, [_seq(batch_first, T, N), _seq(batch_first, S, N)], dtype=dtype, call=call)


def test_decoder_layer_gradcheck_float64():
    numtorch.manual_seed(0)
    m = nnn.TransformerDecoderLayer(8, 2, 12, dropout=0.0).double()
    x = numtorch.randn(4, 2, 8, dtype=numtorch.float64, requires_grad=True)
    mem = numtorch.randn(5, 2, 8, dtype=numtorch.float64, requires_grad=True)
    mask = nnn.Transformer.generate_square_subsequent_mask(4, dtype=numtorch.float64)
    gradcheck(lambda x, mem, *ps: m(x, mem, tgt_mask=mask), [x, mem] + list(m.parameters()), eps=1e-6,
              atol=1e-5, rtol=1e-3, fast_mode=True)


# ---------------------------------------------------------------------- stacks
@pytest.mark.parametrize("norm", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_stack(norm, batch_first):
    t, n = _stack("TransformerEncoder", (8, 2, 16), 3, norm=norm, dropout=0.0, batch_first=batch_first)
    check_module(t, n, [_seq(batch_first, 5)])
    check_module(t, n, [_seq(batch_first, 5)], dtype="float64")


@pytest.mark.parametrize("case", ["kpm_bool", "kpm_float", "attn2d_float", "causal", "kpm_attn2d_bool"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_stack_masks(case, batch_first):
    S, N, H = 5, 3, 2
    t, n = _stack("TransformerEncoder", (8, H, 16), 2, norm=True, dropout=0.0, batch_first=batch_first)
    masks = _src_masks(case, S, N, H)
    masks = {("mask" if k == "src_mask" else k): v for k, v in masks.items()}

    def call(m, x):
        return m(x, **{k: (_as(x, v) if isinstance(v, np.ndarray) else v) for k, v in masks.items()})
    # eval skipped for batch-first float masks: torch's fast path reads them as bool (see above)
    check_module(t, n, [_seq(batch_first, S, N)], call=call, check_eval=not (batch_first and "float" in case))


def test_encoder_stack_detects_causal_mask():
    from numtorch.nn.modules.transformer import _detect_is_causal_mask
    from torch.nn.modules.transformer import _detect_is_causal_mask as t_detect
    causal = np.triu(np.full((5, 5), -np.inf), 1).astype(np.float32)
    other = causal.copy()
    other[4, 0] = -np.inf
    for mask, is_causal, size in [(causal, None, None), (other, None, None), (causal, None, 4), (None, None, 5),
                                  (other, True, None), (causal, False, None)]:
        tm = None if mask is None else to_torch(mask)
        nm = None if mask is None else to_nt(mask)
        assert _detect_is_causal_mask(nm, is_causal, size) == t_detect(tm, is_causal, size)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_encoder_nested_tensor_path_zeroes_padding_in_eval():
    # torch's inference fast path (eval, no grad, batch-first, left-aligned padding, no mask) packs the batch
    # into a nested tensor: padded positions come back as zeros before the final norm. numtorch reproduces it.
    N, S = 3, 6
    t, n = _stack("TransformerEncoder", (8, 2, 16), 2, norm=True, dropout=0.0, batch_first=True)
    kpm = np.zeros((N, S), bool)
    kpm[0, 4:] = True
    kpm[2, 2:] = True
    check_module(t, n, [(N, S, 8)], call=lambda m, x: m(x, src_key_padding_mask=_as(x, kpm)))
    copy_state(t, n)
    n.eval()
    x = R.standard_normal((N, S, 8)).astype(np.float32)
    with numtorch.no_grad():
        out = n.layers[1](n.layers[0](to_nt(x), src_key_padding_mask=to_nt(kpm)), src_key_padding_mask=to_nt(kpm))
        zeroed = n(to_nt(x), src_key_padding_mask=to_nt(kpm)).numpy()
    bias = n.norm.bias.detach().numpy()
    assert np.allclose(zeroed[0, 4:], bias, atol=1e-6)            # norm(0) = beta
    assert not np.allclose(out.numpy()[0, 4:], 0)
    # not left-aligned: the ordinary path, nothing zeroed
    kpm2 = kpm.copy()
    kpm2[1, 1] = True
    check_module(t, n, [(N, S, 8)], call=lambda m, x: m(x, src_key_padding_mask=_as(x, kpm2)))


def test_encoder_nested_tensor_warnings_match_torch():
    for layer_kw in ({}, {"batch_first": True, "norm_first": True}, {"batch_first": True, "bias": False},
                     {"batch_first": True, "activation": lambda m: m.nn.functional.silu},
                     {"batch_first": True, "nhead_odd": True}, {"batch_first": True}):
        kw = dict(layer_kw)
        nhead = 1 if kw.pop("nhead_odd", False) else 2
        act = kw.pop("activation", None)
        t_layer, n_layer = _pair("TransformerEncoderLayer", 8, nhead, 16, act=act, **kw)
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            te = torch.nn.TransformerEncoder(t_layer, 2)
        with warnings.catch_warnings(record=True) as nw:
            warnings.simplefilter("always")
            ne = nnn.TransformerEncoder(n_layer, 2)
        assert [str(w.message) for w in nw] == [str(w.message) for w in tw]
        assert ne.use_nested_tensor == te.use_nested_tensor
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nnn.TransformerEncoder(n_layer, 2, enable_nested_tensor=False)


@pytest.mark.parametrize("norm", [False, True])
def test_decoder_stack(norm):
    t, n = _stack("TransformerDecoder", (8, 2, 16), 2, norm=norm, dropout=0.0)
    causal = np.triu(np.full((4, 4), -np.inf), 1)
    check_module(t, n, [(4, 3, 8), (6, 3, 8)])
    check_module(t, n, [(4, 3, 8), (6, 3, 8)], dtype="float64",
                 call=lambda m, x, mem: m(x, mem, tgt_mask=_as(x, causal)))


def test_stacks_are_deep_copies():
    layer = nnn.TransformerEncoderLayer(8, 2, 16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = nnn.TransformerEncoder(layer, 3)
    assert enc.layers[0] is not layer and enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    assert np.array_equal(enc.layers[2].linear1.weight.detach().numpy(), layer.linear1.weight.detach().numpy())
    assert len(enc.layers) == 3 and enc.num_layers == 3


# ---------------------------------------------------------------------- nn.Transformer
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer(batch_first, norm_first):
    t, n = _pair("Transformer", 8, 2, 2, 2, 16, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    shapes = [_seq(batch_first, 6), _seq(batch_first, 4)]
    check_module(t, n, shapes)
    check_module(t, n, shapes, dtype="float64")


def test_transformer_masks():
    S, T, N = 6, 4, 3
    t, n = _pair("Transformer", 8, 2, 1, 2, 16, dropout=0.0, activation="gelu")
    causal = torch.nn.Transformer.generate_square_subsequent_mask(T).numpy()
    src_kpm = R.random((N, S)) < 0.3
    src_kpm[:, 0] = False
    tgt_kpm = R.random((N, T)) < 0.3
    tgt_kpm[:, 0] = False
    mem_mask = np.where(R.random((T, S)) < 0.3, -np.inf, 0.0)
    mem_mask[:, 0] = 0

    def call(m, src, tgt):
        return m(src, tgt, tgt_mask=_as(src, causal), memory_mask=_as(src, mem_mask),
                 src_key_padding_mask=_as(src, np.where(src_kpm, -np.inf, 0.0)),
                 tgt_key_padding_mask=_as(src, np.where(tgt_kpm, -np.inf, 0.0)),
                 memory_key_padding_mask=_as(src, np.where(src_kpm, -np.inf, 0.0)), tgt_is_causal=True)
    check_module(t, n, [(S, N, 8), (T, N, 8)], call=call)
    check_module(t, n, [(S, N, 8), (T, N, 8)], dtype="float64", call=call)
    check_module(t, n, [(S, 8), (T, 8)], call=lambda m, s, g: m(s, g, tgt_mask=_as(s, causal)))


def test_transformer_custom_encoder_decoder():
    t_enc, n_enc = _stack("TransformerEncoder", (8, 2, 16), 1, dropout=0.0)
    t_dec, n_dec = _stack("TransformerDecoder", (8, 2, 16), 1, norm=True, dropout=0.0)
    t = torch.nn.Transformer(8, 2, custom_encoder=t_enc, custom_decoder=t_dec)
    n = nnn.Transformer(8, 2, custom_encoder=n_enc, custom_decoder=n_dec)
    check_module(t, n, [(5, 2, 8), (3, 2, 8)])


def test_transformer_state_dict_repr_and_init():
    t, n = _pair("Transformer", 16, 4, 2, 1, 32)
    assert list(n.state_dict()) == list(t.state_dict())
    assert repr(n) == repr(t)
    t2, n2 = _pair("Transformer", 16, 4, 1, 1, 32, activation=lambda m: m.nn.GELU(), bias=False)
    assert list(n2.state_dict()) == list(t2.state_dict()) and repr(n2) == repr(t2)
    # every matrix is xavier_uniform: bound sqrt(6 / (fan_in + fan_out))
    for name, p in n.named_parameters():
        a = p.detach().numpy()
        if a.ndim > 1:
            bound = math.sqrt(6.0 / (a.shape[0] + a.shape[1]))
            assert np.abs(a).max() <= bound and np.abs(a).max() > 0.8 * bound, name
        elif "norm" in name and name.endswith("weight"):
            assert (a == 1).all(), name
        else:
            assert (a == 0).all() or "linear" in name, name
    # a torch checkpoint loads unchanged
    n.load_state_dict({k: to_nt(v) for k, v in t.state_dict().items()})


def test_layer_state_dict_and_repr():
    for name, args, kw in [("TransformerEncoderLayer", (8, 2), {}),
                           ("TransformerEncoderLayer", (8, 2, 16), {"activation": lambda m: m.nn.GELU()}),
                           ("TransformerDecoderLayer", (8, 2, 16), {"bias": False, "norm_first": True})]:
        act = kw.pop("activation", None)
        t, n = _pair(name, *args, act=act, **kw)
        assert list(n.state_dict()) == list(t.state_dict())
        assert [k for k, _ in n.named_parameters()] == [k for k, _ in t.named_parameters()]
        assert repr(n) == repr(t)
    t, n = _stack("TransformerEncoder", (8, 2, 16), 3, norm=True)
    assert repr(n) == repr(t) and list(n.state_dict()) == list(t.state_dict())
    layer = nnn.TransformerEncoderLayer(8, 2, activation="gelu")
    assert layer.activation is numtorch.nn.functional.gelu and layer.activation_relu_or_gelu == 2
    assert nnn.TransformerEncoderLayer(8, 2).activation_relu_or_gelu == 1
    assert nnn.TransformerEncoderLayer(8, 2, activation=nnn.Tanh()).activation_relu_or_gelu == 0


def test_generate_square_subsequent_mask():
    for sz in (1, 4, 7):
        m = nnn.Transformer.generate_square_subsequent_mask(sz)
        assert_close(m, torch.nn.Transformer.generate_square_subsequent_mask(sz), 0, 0)
    m = nnn.Transformer.generate_square_subsequent_mask(3, dtype=numtorch.float64)
    assert m.dtype == numtorch.float64
    assert m.numpy().tolist() == [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]]


def _err(call):
    with pytest.raises(Exception) as t_err:
        call(torch)
    with pytest.raises(Exception) as n_err:
        call(numtorch)
    assert type(n_err.value) is type(t_err.value), (n_err.value, t_err.value)
    assert str(n_err.value).replace("numtorch", "torch") == str(t_err.value)


def _tr(m, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return m.nn.Transformer(8, 2, 1, 1, 16, **kw)


@pytest.mark.parametrize("call", [
    lambda m: m.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
    lambda m: m.nn.TransformerDecoderLayer(8, 2, activation="swish"),
    lambda m: m.nn.TransformerEncoderLayer(8, 3),
    lambda m: _tr(m)(m.randn(5, 2, 8), m.randn(4, 3, 8)),
    lambda m: _tr(m, batch_first=True)(m.randn(2, 5, 8), m.randn(3, 4, 8)),
    lambda m: _tr(m)(m.randn(5, 2, 8), m.randn(4, 2, 6)),
    lambda m: m.nn.TransformerEncoderLayer(8, 2)(m.randn(5, 2, 6)),
    lambda m: m.nn.TransformerEncoderLayer(8, 2)(m.randn(5, 2, 8), src_mask=m.randn(4, 4)),
    lambda m: m.nn.TransformerEncoderLayer(8, 2)(m.randn(5, 2, 8), src_key_padding_mask=m.ones(2, 5, dtype=m.int64)),
])
def test_errors_match_torch(call):
    _err(call)


# ---------------------------------------------------------------------- positional encodings (numtorch only)
def _table(max_len, d):
    pe = np.zeros((max_len, d))
    for pos in range(max_len):
        for i in range(0, d, 2):
            pe[pos, i] = math.sin(pos / 10000 ** (i / d))
            if i + 1 < d:
                pe[pos, i + 1] = math.cos(pos / 10000 ** (i / d))
    return pe


@pytest.mark.parametrize("d", [8, 7, 16])
def test_sinusoidal_table_formula(d):
    m = nnn.SinusoidalPositionalEncoding(d, max_len=50)
    np.testing.assert_allclose(m.pe.numpy(), _table(50, d), atol=1e-6)
    assert m.pe.dtype == numtorch.float32
    m64 = nnn.SinusoidalPositionalEncoding(d, max_len=50, dtype=numtorch.float64)
    np.testing.assert_allclose(m64.pe.numpy(), _table(50, d), atol=1e-12)


@pytest.mark.parametrize("batch_first,shape", [(False, (6, 3, 8)), (True, (3, 6, 8)), (False, (6, 8)),
                                               (True, (6, 8))])
def test_sinusoidal_adds_table_by_position(batch_first, shape):
    m = nnn.SinusoidalPositionalEncoding(8, max_len=20, batch_first=batch_first)
    x = R.standard_normal(shape).astype(np.float32)
    xt = to_nt(x, True)
    y = m(xt)
    pe = _table(6, 8).astype(np.float32)
    if len(shape) == 3:
        pe = pe[None] if batch_first else pe[:, None]
    np.testing.assert_allclose(y.detach().numpy(), x + pe, atol=1e-6)
    assert y.dtype == numtorch.float32
    y.sum().backward()
    assert np.array_equal(xt.grad.numpy(), np.ones(shape, np.float32))
    y64 = m(to_nt(x.astype(np.float64)))
    assert y64.dtype == numtorch.float64


def test_sinusoidal_state_dict_stays_torch_compatible():
    class Model(nnn.Module):
        def __init__(self):
            super().__init__()
            self.pos = nnn.SinusoidalPositionalEncoding(8, dropout=0.1)
            self.enc = nnn.TransformerEncoderLayer(8, 2, 16)

    m = Model()
    assert "pos.pe" not in m.state_dict()
    assert [k for k in m.state_dict()] == ["enc." + k for k in torch.nn.TransformerEncoderLayer(8, 2, 16).state_dict()]
    assert "pos.pe" in dict(m.named_buffers())
    m.double()
    assert m.pos.pe.dtype == numtorch.float64
    assert repr(m.pos) == ("SinusoidalPositionalEncoding(\n  d_model=8, max_len=5000, batch_first=False\n"
                           "  (dropout): Dropout(p=0.1, inplace=False)\n)")


def test_positional_dropout_and_max_len():
    m = nnn.SinusoidalPositionalEncoding(8, max_len=10, dropout=0.5)
    x = numtorch.ones(10, 4, 8)
    y = m(x).numpy()
    assert 0.3 < (y == 0).mean() < 0.7
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), np.broadcast_to(1 + _table(10, 8)[:, None], (10, 4, 8)), atol=1e-6)
    with pytest.raises(ValueError, match="11 positions, more than max_len=10"):
        m(numtorch.ones(11, 2, 8))
    with pytest.raises(ValueError, match="max_len=3"):
        nnn.LearnedPositionalEncoding(3, 8)(numtorch.ones(4, 8))


@pytest.mark.parametrize("batch_first,shape", [(False, (5, 2, 8)), (True, (2, 5, 8)), (False, (5, 8))])
def test_learned_positional_encoding(batch_first, shape):
    numtorch.manual_seed(0)
    m = nnn.LearnedPositionalEncoding(12, 8, batch_first=batch_first)
    assert list(m.state_dict()) == ["embedding.weight"]
    w = m.embedding.weight.detach().numpy().copy()
    x = R.standard_normal(shape).astype(np.float32)
    # the same as torch adding an Embedding of arange(S)
    emb = torch.nn.Embedding(12, 8)
    emb.weight.data = to_torch(w)
    tx = to_torch(x)
    pos = emb(torch.arange(5))
    ref = tx + (pos.unsqueeze(0) if batch_first and len(shape) == 3 else pos.unsqueeze(1) if len(shape) == 3
                else pos)
    out = m(to_nt(x))
    assert_close(out, ref, 1e-6, 1e-5)
    g = R.standard_normal(shape).astype(np.float32)
    (out * to_nt(g)).sum().backward()
    (ref * to_torch(g)).sum().backward()
    assert_close(m.embedding.weight.grad, emb.weight.grad, 1e-6, 1e-5)
    assert not m.embedding.weight.grad.numpy()[5:].any()
