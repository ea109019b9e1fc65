"""Fuzzing the nn modules against torch: linear/bilinear/embedding, convolutions, pooling, normalization,
recurrent layers and cells (packed sequences too), multi-head attention and Transformer layers.

Each drawn case builds the module in both libraries (torch's state, randomized, copied into numtorch), puts both
in the drawn mode and runs one or more steps; every step compares the outputs, every input and parameter
gradient and the buffers (running statistics), or the exception class when torch refuses (at construction or in
the call). Every disagreement found is pinned below as an ``@example`` and a named regression test.
"""
import numpy as np
import pytest
from hypothesis import given

import numtorch
from fuzz_strategies import (Disagreement, attention_cases, check_call, conv_cases, fuzz_settings,
                             linear_module_cases, make_array, norm_cases, pool_cases, rnn_cases, run_case,
                             pin_regressions, same_error)
from helpers import to_nt, torch

pytestmark = pytest.mark.torch


def _randomize(module, seed):
    """Non-trivial parameters and running statistics for a torch module (norm weights near 1, biases and running
    means near 0, running variances positive), so that a copied state is a real test."""
    gen = torch.Generator().manual_seed(seed)
    u = lambda t, lo, hi: t.copy_(torch.rand(t.shape, generator=gen, dtype=t.dtype) * (hi - lo) + lo)  # noqa: E731
    with torch.no_grad():
        for mod in module.modules():
            is_norm = "Norm" in type(mod).__name__
            for name, p in mod.named_parameters(recurse=False):
                if "bias" in name:
                    u(p, -0.5, 0.5)
                elif is_norm:
                    u(p, 0.5, 1.5)
            for name, b in mod.named_buffers(recurse=False):
                if name == "running_mean":
                    u(b, -0.5, 0.5)
                elif name == "running_var":
                    u(b, 0.5, 1.5)


def _inputs(case):
    """The NumPy inputs of a case and their requires_grad flags."""
    dtype, seed = case["dtype"], case["seed"]
    rng = np.random.default_rng(seed + 101)
    arrays, flags = [], []
    for i, spec in enumerate(case["inputs"]):
        kind, shape = spec["kind"], spec["shape"]
        if kind == "float":
            a = make_array(shape, dtype, seed + i, spec.get("low", -2.0), spec.get("high", 2.0))
            g = bool(case["input_grad"] and spec.get("grad", True))
        elif kind == "int":
            a, g = np.asarray(rng.integers(0, max(spec["high"], 1), shape), dtype=np.int64), False
        else:   # attention masks: bool (True = masked) or additive float
            a = (np.asarray(rng.random(shape) > spec.get("p", 0.75)) if kind == "bool"
                 else make_array(shape, dtype, seed + i, -1.0, 1.0))
            g = False
        arrays.append(a)
        flags.append(g)
    return arrays, flags


def _call(case, m, L, xs):
    """Call module ``m`` of library ``L`` on the tensors ``xs`` in the case's call style."""
    pos = [x for x, s in zip(xs, case["inputs"]) if not s.get("name")]
    kws = {s["name"]: x for x, s in zip(xs, case["inputs"]) if s.get("name")}
    style, ckw = case["call"], dict(case["call_kw"])
    if style == "plain":
        return m(*pos, **kws)
    if style == "embedding_bag":
        return m(pos[0], L.tensor(ckw["offsets"], dtype=L.int64), **kws)
    if style in ("lstm_state", "lstm_cell_state"):
        return m(pos[0], (pos[1], pos[2]))
    if style in ("packed", "packed_lstm"):
        rnn = L.nn.utils.rnn
        packed = rnn.pack_padded_sequence(pos[0], ckw["lengths"], batch_first=m.batch_first,
                                          enforce_sorted=ckw["enforce_sorted"])
        state = pos[1:] if style == "packed" else [(pos[1], pos[2])]
        out, h = m(packed, *state)
        padded, lengths = rnn.pad_packed_sequence(out, batch_first=m.batch_first)
        return out, padded, lengths, h
    if style == "unpool":
        pool_cls = getattr(L.nn, case["cls"].replace("MaxUnpool", "MaxPool"))
        pool = pool_cls(*case["args"], return_indices=True, **case["kw"])
        y, idx = pool(pos[0])
        return y, idx, m(y, idx)
    if style == "attention":
        if ckw.pop("causal", False):
            lq = pos[0].shape[-2] if (case["kw"].get("batch_first") and pos[0].dim() == 3) else pos[0].shape[0]
            ls = lq if case["cls"] != "MultiheadAttention" else (
                pos[1].shape[-2] if (case["kw"].get("batch_first") and pos[1].dim() == 3) else pos[1].shape[0])
            mask = L.ones(lq, ls, dtype=L.bool).triu(1)
            key = {"MultiheadAttention": "attn_mask", "TransformerEncoderLayer": "src_mask",
                   "TransformerDecoderLayer": "tgt_mask"}[case["cls"]]
            kws[key] = mask
            kws["tgt_is_causal" if case["cls"] == "TransformerDecoderLayer" else "is_causal"] = True
        return m(*pos, **kws, **ckw)
    raise AssertionError(style)


def _maxpool_padding_only_window(case):
    """Whether a max pooling case has an output window that covers only padding (possible with dilation).

    torch gives -inf there with a stale index that its backward scatters to, sometimes out of bounds (heap
    corruption: the process can crash), so such cases are compared forward only and torch never runs backward.
    """
    if not case["cls"].startswith("MaxPool"):
        return False
    d = int(case["cls"][-2])
    shape = case["inputs"][0]["shape"]
    if len(shape) < d:
        return False
    per = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * d  # noqa: E731
    k, kw = per(case["args"][0]), case["kw"]
    s = per(kw.get("stride") or k)
    p, dl = per(kw.get("padding", 0)), per(kw.get("dilation", 1))
    for S, kk, st, pp, dd in zip(shape[-d:], k, s, p, dl):
        if st <= 0:
            return False
        n = S + 2 * pp - dd * (kk - 1) - 1   # torch's output size, floor or ceil division, as in pooling_output_shape
        O = (-(-n // st) if kw.get("ceil_mode") else n // st) + 1
        if kw.get("ceil_mode") and (O - 1) * st >= S + pp:
            O -= 1
        for o in range(O):
            if not any(0 <= o * st - pp + t * dd < S for t in range(kk)):
                return True
    return False


def _make(case, L):
    kw = dict(case["kw"])
    if case["cls"] == "MaxUnpool1d" or case["cls"] == "MaxUnpool2d":
        kw.pop("ceil_mode", None)
    return getattr(L.nn, case["cls"])(*case["args"], **kw)


def check_module_case(case):
    """Build, copy the state, run the steps and compare (see the module docstring)."""
    dtype = case["dtype"]
    torch.manual_seed(case["seed"])
    try:
        tm = _make(case, torch)
    except Exception as t_exc:
        same_error(t_exc, lambda: _make(case, numtorch))
        return
    try:
        nm = _make(case, numtorch)
    except Exception as n_exc:
        raise Disagreement(f"torch builds the module, numtorch raises {type(n_exc).__name__}: {n_exc}") from n_exc
    _randomize(tm, case["seed"])
    tm.to(getattr(torch, dtype))
    nm.to(getattr(numtorch, dtype))
    assert list(nm.state_dict()) == list(tm.state_dict()), "state_dict keys"
    nm.load_state_dict({k: to_nt(v) for k, v in tm.state_dict().items()})
    tm.train(case["mode"] == "train")
    nm.train(case["mode"] == "train")
    modules = {torch: tm, numtorch: nm}
    arrays, flags = _inputs(case)
    forward_only = _maxpool_padding_only_window(case)
    tol = None
    if dtype == "float16" and ("Norm" in case["cls"]):
        # torch normalises half-precision inputs in float32; numtorch stays in float16, where x - mean of a few
        # close values loses digits that the division by a small std magnifies (2% seen on 2-element groups)
        tol = (5e-2, 2e-2, 0.0, 0.0)
    for step in range(case["steps"]):
        for m in modules.values():
            for p in m.parameters():
                p.grad = None
        out = check_call(lambda L, *xs: _call(case, modules[L], L, xs), arrays, dtype=dtype, grad=flags,
                         forward_only=forward_only, tol=tol,
                         leaves=lambda L: list(modules[L].parameters()),
                         buffers=lambda L: {k: v.detach() for k, v in modules[L].named_buffers()}, seed=step + 1)
        if out is None:
            return


@fuzz_settings(1.5)
@given(case=linear_module_cases())
def test_fuzz_linear_modules(case):
    run_case(check_module_case, case)


@fuzz_settings(2)
@given(case=conv_cases())
def test_fuzz_conv(case):
    run_case(check_module_case, case)


@fuzz_settings(2)
@given(case=pool_cases())
def test_fuzz_pool(case):
    run_case(check_module_case, case)


@fuzz_settings(2)
@given(case=norm_cases())
def test_fuzz_norm(case):
    run_case(check_module_case, case)


@fuzz_settings(2)
@given(case=rnn_cases())
def test_fuzz_rnn(case):
    run_case(check_module_case, case)


@fuzz_settings(1.5)
@given(case=attention_cases())
def test_fuzz_attention(case):
    run_case(check_module_case, case)


# ---------------------------------------------------------------------- regressions
def _module_case(cls, args, kw, inputs, dtype="float32", mode="train", steps=1, input_grad=True, call="plain",
                 call_kw=None, seed=0):
    return {"cls": cls, "args": list(args), "kw": dict(kw), "inputs": inputs, "dtype": dtype, "seed": seed,
            "mode": mode, "steps": steps, "input_grad": input_grad, "call": call, "call_kw": call_kw or {}}


def _fin(shape):
    return {"kind": "float", "shape": tuple(shape), "name": None, "grad": True, "low": -2.0, "high": 2.0}


#: Every disagreement the fuzzer found: name -> (family, case, what was wrong); each runs as an ``@example`` of
#: its family's test and as test_regression[<name>].
REGRESSIONS = {
    "conv_transpose_empty_batch_zero_size": ("conv", _module_case(
        "ConvTranspose3d", [2, 1, 2], {"stride": 1, "dilation": (2, 2, 2), "groups": 1, "bias": False, "padding": 2,
                                       "output_padding": 1}, [_fin((0, 2, 1, 3, 4))], mode="eval", seed=1624),
        "an empty batch with a zero output size raised 'Output size is too small'; torch returns it"),
    "conv_transpose_empty_batch_skips_output_padding_check": ("conv", _module_case(
        "ConvTranspose2d", [1, 1, (1, 1)], {"stride": 1, "dilation": (1, 1), "groups": 1, "bias": True,
                                            "padding": 0, "output_padding": 1}, [_fin((0, 1, 1, 1))]),
        "torch's empty-batch path does not check output_padding < stride or dilation"),
    "conv_transpose_output_padding_beyond_stride": ("conv", _module_case(
        "ConvTranspose2d", [1, 2, 1], {"stride": 1, "dilation": 2, "groups": 1, "bias": False, "padding": 1,
                                       "output_padding": (0, 1)}, [_fin((2, 1, 4, 3))], mode="eval", steps=2,
        seed=165), "output_padding >= stride (below the dilation) crashed reshaping the gradient columns"),
    "bilinear_zero_in1_features": ("linear_modules", _module_case(
        "Bilinear", [0, 3, 0], {}, [_fin((3, 3, 0)), _fin((3, 3, 4))], input_grad=False, seed=361),
        "ZeroDivisionError in reset_parameters; torch raises ValueError"),
    "embedding_zero_width_out_of_range": ("linear_modules", _module_case(
        "Embedding", [2, 0], {}, [{"kind": "int", "shape": (), "high": 3, "name": None}], steps=2, seed=3032),
        "IndexError; torch's kernel for zero-width rows raises RuntimeError"),
    "embedding_bag_zero_length_bags": ("linear_modules", _module_case(
        "EmbeddingBag", [4, 2], {"mode": "mean", "padding_idx": 0}, [{"kind": "int", "shape": (3, 0), "high": 4,
                                                                       "name": None}], seed=635),
        "(B, 0) input gave zero bags of zeros; torch's arange(0, B * L, L) raises 'step must be nonzero'"),
    "embedding_bag_max_norm_out_of_range": ("linear_modules", _module_case(
        "EmbeddingBag", [2, 3], {"mode": "sum", "max_norm": 0.5, "norm_type": 1.0}, [
            {"kind": "int", "shape": (1,), "high": 3, "name": None}], dtype="float16", mode="eval", steps=2,
        call="embedding_bag", call_kw={"offsets": [0, 0]}, seed=540),
        "with max_norm torch renormalises first and its select() raises IndexError for an index out of range"),
    "adaptive_max_pool1d_none_size": ("pool", _module_case(
        "AdaptiveMaxPool1d", [(None,)], {"return_indices": False}, [_fin((2, 3, 4))]),
        "None in a 1-d output_size was accepted; torch raises TypeError"),
    "lp_pool1d_tuple_kernel": ("pool", _module_case(
        "LPPool1d", [2, (2,)], {"stride": None, "ceil_mode": False}, [_fin((2, 3, 4))]),
        "torch's lp_pool1d multiplies by the kernel_size, a tuple raises TypeError"),
    "lp_pool_negative_window_sum_grad": ("pool", _module_case(
        "LPPool2d", [1, 1], {"stride": None, "ceil_mode": True}, [_fin((2, 3, 3, 3))], mode="eval", seed=28739),
        "the gradient was 0 where the window sum is negative; torch's sign(u) relu(|u|) passes it"),
    "avg_pool3d_unpadded_input_smaller_than_kernel": ("pool", _module_case(
        "AvgPool3d", [2], {"stride": (1, 1, 1), "padding": 1, "ceil_mode": False, "count_include_pad": False,
                           "divisor_override": 3}, [_fin((1, 2, 4, 1, 3))], dtype="float64", mode="eval",
        seed=10061), "torch compares the unpadded input with the kernel"),
    "rms_norm_empty_normalized_shape": ("norm", _module_case(
        "RMSNorm", [(0,)], {"eps": 1e-05, "elementwise_affine": False}, [_fin((0,))], dtype="float16", mode="eval",
        steps=2, input_grad=False, seed=5030), "reshape(-1, 0) failed for an empty normalized shape"),
    "layer_norm_empty_normalized_shape": ("norm", _module_case(
        "LayerNorm", [(0,)], {"eps": 1e-05, "elementwise_affine": True, "bias": True}, [_fin((2, 0))]),
        "the same for LayerNorm, forward and backward"),
    "batch_norm_empty_batch_skips_checks": ("norm", _module_case(
        "BatchNorm1d", [4], {"eps": 1e-05, "momentum": None, "affine": False, "track_running_stats": True},
        [_fin((0, 5))], input_grad=False, seed=1192),
        "the channel-count check raised; torch's empty-input path returns before it"),
    "batch_norm_empty_batch_weight_grads": ("norm", _module_case(
        "BatchNorm1d", [4], {"eps": 0.1, "momentum": 0.5, "affine": True, "track_running_stats": False},
        [_fin((0, 5, 1))], mode="eval", seed=220), "the same with affine parameters (their gradients are zeros)"),
    "conv_transpose_grouped_zero_output": ("conv", _module_case(
        "ConvTranspose3d", [4, 2, (1, 1, 1)], {"stride": 1, "dilation": (2, 2, 2), "groups": 2, "bias": False,
                                               "padding": (1, 1, 1), "output_padding": 0}, [_fin((4, 2, 4, 2))],
        steps=2, seed=381), "torch's grouped path accepts a zero output size; numtorch raised 'too small'"),
    "max_unpool_empty_output_volume": ("pool", _module_case(
        "MaxUnpool2d", [(2, 2)], {"stride": None, "padding": (0, 1), "ceil_mode": False}, [_fin((2, 3, 3, 1))],
        mode="eval", input_grad=False, call="unpool", seed=25218),
        "the index check ran on an empty output volume; torch returns it"),
    "max_unpool_empty_batch": ("pool", _module_case(
        "MaxUnpool1d", [3], {"stride": (1,), "padding": 0, "ceil_mode": False}, [_fin((0, 2, 3))],
        dtype="float64", steps=2, input_grad=False, call="unpool", seed=499), "reshape(-1) of an empty batch"),
    "lp_pool1d_output_size_error_first": ("pool", _module_case(
        "LPPool1d", [2, (3,)], {"stride": (2,), "ceil_mode": False}, [_fin((1, 2, 2))], seed=24696),
        "torch pools (and reports a too small output) before refusing the tuple kernel_size"),
    "adaptive_avg_pool3d_module": ("pool", _module_case(
        "AdaptiveAvgPool3d", [(None, 4, 2)], {}, [_fin((1, 2, 3, 1, 2))], dtype="float64", steps=2, seed=147),
        "numtorch.nn had no AdaptiveAvgPool3d"),
    "conv_transpose_zero_output_native_kernel": ("conv", _module_case(
        "ConvTranspose1d", [2, 2, 1], {"stride": 1, "dilation": 1, "groups": 2, "bias": False, "padding": 2,
                                       "output_padding": 0}, [_fin((2, 2, 4))], dtype="float64"),
        "a zero output size is refused by torch's native (float64) kernels even with groups"),
    "rms_norm_half_default_eps": ("norm", _module_case(
        "RMSNorm", [(1,)], {"eps": None, "elementwise_affine": True}, [_fin((1,))], dtype="float16", mode="eval",
        steps=3, seed=1), "eps=None used float16's epsilon; torch uses float32's (its compute type)"),
    "max_pool_padding_only_window": ("pool", _module_case(
        "MaxPool3d", [3], {"stride": 3, "padding": 1, "ceil_mode": True, "dilation": (1, 2, 1),
                           "return_indices": False}, [_fin((2, 3, 2, 1, 3))], dtype="float64", mode="eval",
        steps=2, seed=278), "a window of padding only: -inf forward (compared), torch's backward is unsafe there"),
    "conv_transpose_zero_output_output_padding": ("conv", _module_case(
        "ConvTranspose1d", [1, 2, 1], {"stride": 1, "dilation": 2, "groups": 1, "bias": False, "padding": 1,
                                       "output_padding": 1}, [_fin((2, 1, 1))]),
        "output_padding >= stride sends torch to its native kernel, which refuses a zero output size"),
    "instance_norm_empty_batch_running_stats": ("norm", _module_case(
        "InstanceNorm2d", [3], {"eps": 1e-05, "momentum": 0.5, "affine": False, "track_running_stats": True},
        [_fin((0, 3, 2, 2))], steps=2, input_grad=False, seed=3),
        "torch averages no instance statistics into the buffers (nan); numtorch left them unchanged"),
    "lp_pool_half_in_float32": ("pool", _module_case(
        "LPPool2d", [3, 3], {"stride": None, "ceil_mode": True}, [_fin((2, 3, 4, 3))], dtype="float16",
        mode="eval", input_grad=False, seed=2473), "half-precision power sums drifted past torch's float32 ones"),
}

CHECKS = {"linear_modules": check_module_case, "conv": check_module_case, "pool": check_module_case,
          "norm": check_module_case, "rnn": check_module_case, "attention": check_module_case}

test_regression = pin_regressions(globals(), REGRESSIONS, CHECKS)


# ---------------------------------------------------------------------- torch's own bugs the fuzzer hit
@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: nn.LSTM does not check input.size(-1) == input_size for a PackedSequence (RNN "
                          "and GRU do), and a one-step packed input of the wrong width runs and returns numbers; "
                          "numtorch raises torch's RuntimeError 'input.size(-1) must be equal to input_size'")
def test_torch_lstm_packed_input_size():
    case = _module_case("LSTM", [1, 1], {"bias": False, "num_layers": 1, "batch_first": False,
                                         "bidirectional": False}, [_fin((1, 1, 2))], call="packed",
                        call_kw={"lengths": [1], "enforce_sorted": False})
    check_module_case(case)
