"""Every layer module of issue 3 against its torch twin with check_module: outputs, input and parameter
gradients, eval mode, state_dict keys, repr, and the state_dict round trip into torch."""
import numpy as np
import pytest

import numtorch as nt
from helpers import check_module, torch

pytestmark = pytest.mark.torch

R = np.random.default_rng(0)


def _f(*shape, low=-2.0, high=2.0):
    return R.uniform(low, high, shape)


def _idx(high, *shape):
    return R.integers(0, high, shape)


# (constructor expression, inputs, extra check_module kwargs)
LAYERS = [
    ("Linear(10, 5)", [_f(3, 10)], {}),
    ("Linear(10, 5, bias=False)", [_f(4, 2, 10)], {}),
    ("Linear(10, 5)", [_f(10)], {}),
    ("Bilinear(4, 3, 5)", [_f(6, 4), _f(6, 3)], {}),
    ("Bilinear(4, 3, 5, bias=False)", [_f(2, 6, 4), _f(2, 6, 3)], {}),
    ("Identity(54, unused='x')", [_f(2, 3)], {}),
    ("Flatten()", [_f(2, 3, 4, 5)], {}),
    ("Flatten(0, 2)", [_f(2, 3, 4, 5)], {}),
    ("Unflatten(1, (2, 5))", [_f(3, 10)], {}),
    ("Conv1d(3, 4, 3)", [_f(2, 3, 10)], {}),
    ("Conv1d(4, 6, 3, stride=2, padding=1, groups=2)", [_f(2, 4, 11)], {}),
    ("Conv1d(3, 4, 4, padding='same', dilation=2)", [_f(2, 3, 9)], {}),
    ("Conv2d(3, 8, 5, padding=2)", [_f(2, 3, 12, 12)], {}),
    ("Conv2d(3, 8, 3, stride=2, dilation=2, bias=False)", [_f(2, 3, 13, 11)], {}),
    ("Conv2d(4, 8, 3, groups=4, padding='same')", [_f(2, 4, 7, 7)], {}),
    ("Conv2d(3, 4, (3, 5), padding=(1, 2), stride=(2, 1))", [_f(2, 3, 9, 8)], {}),
    ("Conv2d(3, 4, 3, padding='valid')", [_f(3, 8, 8)], {}),
    ("Conv2d(3, 4, 3, padding=1, padding_mode='reflect')", [_f(2, 3, 6, 7)], {}),
    ("Conv2d(3, 4, 3, padding=2, padding_mode='replicate')", [_f(2, 3, 6, 7)], {}),
    ("Conv2d(3, 4, 3, padding=1, padding_mode='circular')", [_f(2, 3, 6, 7)], {}),
    ("Conv2d(3, 4, 4, padding='same', padding_mode='reflect')", [_f(2, 3, 6, 7)], {}),
    ("ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)", [_f(2, 4, 5, 5)], {}),
    ("ConvTranspose2d(4, 6, 3, groups=2, dilation=2, bias=False)", [_f(2, 4, 4, 5)], {}),
    ("ConvTranspose1d(3, 2, 4, stride=3)", [_f(2, 3, 6)], {}),
    ("MaxPool1d(2)", [_f(2, 3, 9)], {}),
    ("MaxPool2d(2)", [_f(2, 3, 8, 8)], {}),
    ("MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", [_f(2, 3, 9, 10)], {}),
    ("MaxPool2d((2, 3), dilation=2)", [_f(1, 2, 9, 10)], {}),
    ("AvgPool1d(3, stride=2)", [_f(2, 3, 10)], {}),
    ("AvgPool2d(2)", [_f(2, 3, 8, 8)], {}),
    ("AvgPool2d(3, 2, 1, count_include_pad=False, ceil_mode=True)", [_f(2, 3, 9, 8)], {}),
    ("AvgPool2d(2, divisor_override=3)", [_f(2, 3, 6, 6)], {}),
    ("AdaptiveAvgPool2d((2, 3))", [_f(2, 3, 7, 8)], {}),
    ("AdaptiveAvgPool2d(1)", [_f(2, 3, 5, 5)], {}),
    ("AdaptiveMaxPool2d(3)", [_f(2, 3, 7, 8)], {}),
    ("AdaptiveAvgPool1d(4)", [_f(2, 3, 10)], {}),
    ("Dropout(0.0)", [_f(4, 5)], {}),
    ("Dropout2d(0.0)", [_f(2, 3, 4, 4)], {}),
    ("Embedding(10, 4, padding_idx=1)", [_idx(10, 3, 5)], {}),
    ("Embedding(7, 3)", [_idx(7, 20)], {}),
    ("ZeroPad2d((1, 2, 0, 3))", [_f(2, 3, 4, 4)], {}),
    ("ConstantPad2d(1, 3.5)", [_f(2, 3, 4, 4)], {}),
    ("ReflectionPad2d(2)", [_f(2, 3, 4, 5)], {}),
    ("ReplicationPad1d(3)", [_f(2, 3, 4)], {}),
    ("CircularPad2d((1, 0, 2, 1))", [_f(1, 2, 4, 5)], {}),
    ("ReLU()", [_f(3, 4)], {}),
    ("LeakyReLU(0.2)", [_f(3, 4)], {}),
    ("GELU()", [_f(3, 4)], {}),
    ("GELU(approximate='tanh')", [_f(3, 4)], {}),
    ("SiLU()", [_f(3, 4)], {}),
    ("ELU(alpha=0.5)", [_f(3, 4)], {}),
    ("Tanh()", [_f(3, 4)], {}),
    ("Sigmoid()", [_f(3, 4)], {}),
    ("Softmax(dim=1)", [_f(3, 4)], {}),
    ("LogSoftmax(dim=-1)", [_f(3, 4)], {}),
    ("Hardtanh(-1.5, 0.5)", [_f(3, 4)], {}),
    ("ReLU6()", [_f(3, 4, low=-3, high=8)], {}),
    ("Mish()", [_f(3, 4)], {}),
    ("Softplus(beta=2, threshold=3)", [_f(3, 4)], {}),
    ("PReLU()", [_f(3, 4)], {}),
    ("PReLU(3)", [_f(2, 3, 4)], {}),
    ("Upsample(scale_factor=2, mode='nearest')", [_f(1, 2, 3, 4)], {}),
    ("Upsample(size=(5, 7), mode='bilinear', align_corners=False)", [_f(1, 2, 3, 4)], {}),
    ("Upsample(scale_factor=2, mode='bilinear', align_corners=True)", [_f(1, 2, 3, 4)], {}),
    # losses: inputs are (input, target)
    ("CrossEntropyLoss()", [_f(5, 4), _idx(4, 5)], {"int_inputs": [1]}),
    ("CrossEntropyLoss(label_smoothing=0.1, reduction='sum')", [_f(5, 4), _idx(4, 5)], {"int_inputs": [1]}),
    ("CrossEntropyLoss(weight=lib.tensor([1.0, 2.0, 0.5, 1.5]), ignore_index=2)",
     [_f(6, 4), _idx(4, 6)], {"int_inputs": [1]}),
    ("NLLLoss(reduction='none')", [_f(5, 4), _idx(4, 5)], {"int_inputs": [1]}),
    ("MSELoss()", [_f(3, 4), _f(3, 4)], {}),
    ("L1Loss(reduction='sum')", [_f(3, 4), _f(3, 4)], {}),
    ("SmoothL1Loss(beta=0.5)", [_f(3, 4), _f(3, 4)], {}),
    ("HuberLoss(delta=0.7)", [_f(3, 4), _f(3, 4)], {}),
    ("BCELoss()", [_f(3, 4, low=0.05, high=0.95), _f(3, 4, low=0, high=1)], {}),
    ("BCEWithLogitsLoss(pos_weight=lib.tensor([1.0, 2.0, 3.0, 0.5]))", [_f(3, 4), _f(3, 4, low=0, high=1)], {}),
    ("KLDivLoss(reduction='batchmean')", [_f(3, 4, low=-3, high=-0.1), _f(3, 4, low=0.05, high=1)], {}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("expr,inputs,kw", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(expr, inputs, kw, dtype):
    torch.manual_seed(0)
    theirs = eval("lib.nn." + expr, {"lib": torch})
    ours = eval("lib.nn." + expr, {"lib": nt})
    inputs = [a.astype(dtype) if a.dtype.kind == "f" else a for a in inputs]
    check_module(theirs, ours, inputs=inputs, dtype=dtype, **kw)


def test_default_init_distributions():
    """Each layer's default init follows torch's distribution (bounds from fan-in)."""
    lin = nt.nn.Linear(100, 50)
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= 1 / np.sqrt(100) and np.abs(w).max() > 0.9 / np.sqrt(100)
    assert np.abs(lin.bias.detach().numpy()).max() <= 1 / np.sqrt(100)
    conv = nt.nn.Conv2d(8, 16, 3)
    bound = 1 / np.sqrt(8 * 9)
    assert np.abs(conv.weight.detach().numpy()).max() <= bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound
    emb = nt.nn.Embedding(1000, 8, padding_idx=3)
    assert abs(emb.weight.detach().numpy().std() - 1) < 0.05 and not emb.weight.detach().numpy()[3].any()
    assert nt.nn.PReLU().weight.item() == 0.25


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(4, 6, 3, groups=4),
    lambda nn: nn.Conv2d(3, 6, 3, padding="full"),
    lambda nn: nn.Conv2d(3, 6, 3, stride=2, padding="same"),
    lambda nn: nn.Conv2d(3, 6, 3, padding_mode="mirror"),
    lambda nn: nn.Conv2d(3, 6, 3, groups=0),
    lambda nn: nn.Dropout(1.5),
    lambda nn: nn.Embedding(5, 2, padding_idx=9),
    lambda nn: nn.Unflatten(1, 6),
])
def test_constructor_errors_match_torch(make):
    with pytest.raises(Exception) as ours:
        make(nt.nn)
    with pytest.raises(Exception) as theirs:
        make(torch.nn)
    assert type(ours.value) is type(theirs.value)
    # torch formats some choices as a Python set, whose order changes from run to run: compare up to it.
    assert str(ours.value).split("{")[0] == str(theirs.value).split("{")[0]


def test_conv_channel_mismatch_message():
    conv = nt.nn.Conv2d(3, 32, 5)
    with pytest.raises(RuntimeError) as e:
        conv(nt.zeros(8, 4, 32, 32))
    assert "expected input[8, 4, 32, 32] to have 3 channels, but got 4 channels instead" in str(e.value)


def test_linear_shape_mismatch_message():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(3x10 and 5x10\)"):
        nt.nn.Linear(5, 10)(nt.zeros(3, 10))
