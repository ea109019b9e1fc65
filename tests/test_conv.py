"""Convolutions against torch: values, dtypes, every input gradient (float32 and float64), float64 gradcheck,
both column layouts and batch chunking of the im2col kernels, grad_fn names and torch's error messages."""
import numpy as np
import pytest

import numtorch
from numtorch.ops import conv as conv_mod
from helpers import F, check_op, torch

pytestmark = pytest.mark.torch


@pytest.fixture(params=["auto", "cl", "cf"])
def layout(request, monkeypatch):
    """Run a test with the automatic column layout, and forced channels-last / channels-first."""
    monkeypatch.setattr(conv_mod, "_FORCE_LAYOUT", None if request.param == "auto" else request.param)
    return request.param


@pytest.fixture(params=["correlation", "col2im"])
def data_grad(request, monkeypatch):
    """Stride-1 input gradients by full correlation (the default for many channels) and by col2im."""
    monkeypatch.setattr(conv_mod, "_CORRELATION", request.param == "correlation")
    return request.param


@pytest.fixture
def small_chunks(monkeypatch):
    """Force several (ragged) batch chunks through im2col/GEMM/col2im."""
    monkeypatch.setattr(conv_mod, "_CHUNK_ELEMS", 200)


def _check_conv(op, x_shape, w_shape, bias, kw, **tol):
    c_out = w_shape[1] * kw.get("groups", 1) if "transpose" in op else w_shape[0]
    if bias:
        check_op([x_shape, w_shape, (c_out,)], lambda x, w, b: getattr(F(x), op)(x, w, b, **kw), **tol)
    else:
        check_op([x_shape, w_shape], lambda x, w: getattr(F(x), op)(x, w, **kw), **tol)


CONV1D = [
    ((2, 3, 9), (4, 3, 3), True, {}),
    ((2, 3, 9), (4, 3, 2), True, dict(stride=2, padding=1)),
    ((2, 4, 11), (6, 2, 3), False, dict(groups=2, dilation=2, padding=3, stride=2)),
    ((2, 4, 8), (4, 1, 3), True, dict(groups=4, padding="same")),
    ((2, 3, 8), (5, 3, 4), True, dict(padding="same")),
    ((2, 3, 8), (5, 3, 2), True, dict(padding="same", dilation=3)),
    ((2, 3, 8), (5, 3, 3), True, dict(padding="valid")),
    ((3, 10), (4, 3, 3), True, dict(padding=2)),
    ((2, 3, 5), (4, 3, 5), True, {}),
]

CONV2D = [
    ((2, 3, 7, 6), (4, 3, 3, 3), True, {}),
    ((2, 3, 7, 6), (4, 3, 3, 2), True, dict(stride=2, padding=1)),
    ((2, 4, 7, 6), (6, 2, 3, 3), True, dict(groups=2, dilation=(2, 1), padding=(2, 1), stride=(1, 2))),
    ((2, 4, 6, 6), (4, 1, 3, 3), False, dict(groups=4, padding=1)),                 # depthwise
    ((2, 4, 6, 6), (8, 1, 3, 3), True, dict(groups=4, padding="same")),             # depthwise, multiplier 2
    ((2, 3, 6, 7), (4, 3, 4, 3), True, dict(padding="same")),                       # even kernel: asymmetric
    ((2, 3, 6, 7), (4, 3, 2, 2), True, dict(padding="same", dilation=(3, 2))),
    ((2, 3, 6, 7), (4, 3, 3, 3), True, dict(padding="valid")),
    ((3, 6, 7), (4, 3, 3, 3), True, dict(padding=1)),                               # unbatched
    ((2, 3, 5, 5), (4, 3, 5, 5), True, {}),                                         # kernel covers the input
    ((2, 3, 8, 8), (4, 3, 1, 1), True, dict(stride=3)),
    ((2, 2, 9, 7), (3, 2, 3, 3), True, dict(stride=(3, 2), dilation=2, padding=(0, 2))),
    ((1, 16, 5, 5), (8, 16, 3, 3), True, dict(padding=1)),                          # many channels
]

CONV3D = [
    ((2, 3, 4, 5, 4), (4, 3, 2, 3, 2), True, {}),
    ((2, 4, 5, 5, 4), (4, 2, 3, 3, 3), True, dict(stride=(2, 1, 2), padding=1, groups=2, dilation=(1, 2, 1))),
    ((3, 4, 5, 4), (2, 3, 2, 2, 2), True, dict(padding="same")),
]


@pytest.mark.parametrize("x_shape,w_shape,bias,kw", CONV1D)
def test_conv1d(x_shape, w_shape, bias, kw, layout):
    _check_conv("conv1d", x_shape, w_shape, bias, kw)


@pytest.mark.parametrize("x_shape,w_shape,bias,kw", CONV2D)
def test_conv2d(x_shape, w_shape, bias, kw, layout):
    _check_conv("conv2d", x_shape, w_shape, bias, kw)


@pytest.mark.parametrize("x_shape,w_shape,bias,kw", CONV3D)
def test_conv3d(x_shape, w_shape, bias, kw):
    _check_conv("conv3d", x_shape, w_shape, bias, kw)


CONV_T = [
    ("conv_transpose1d", (2, 4, 5), (4, 3, 3), True, dict(stride=2)),
    ("conv_transpose1d", (2, 4, 5), (4, 3, 3), True, dict(stride=3, padding=2, output_padding=1)),
    ("conv_transpose1d", (4, 6), (4, 2, 2), False, dict(groups=2, dilation=2, output_padding=1, stride=2)),
    ("conv_transpose2d", (2, 4, 5, 4), (4, 3, 3, 3), True, {}),
    ("conv_transpose2d", (2, 4, 5, 4), (4, 3, 3, 2), True, dict(stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d", (2, 4, 4, 5), (4, 3, 3, 3), True,
     dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2, dilation=(2, 1))),
    ("conv_transpose2d", (3, 4, 5), (3, 2, 2, 2), True, dict(stride=2)),             # unbatched
    ("conv_transpose2d", (1, 16, 3, 3), (16, 8, 3, 3), True, dict(stride=2, padding=1)),
    ("conv_transpose3d", (2, 2, 3, 4, 3), (2, 3, 2, 3, 2), True, dict(stride=2, padding=(0, 1, 0))),
]


@pytest.mark.parametrize("op,x_shape,w_shape,bias,kw", CONV_T)
def test_conv_transpose(op, x_shape, w_shape, bias, kw, layout):
    _check_conv(op, x_shape, w_shape, bias, kw)


@pytest.mark.parametrize("op,x_shape,w_shape,bias,kw", [
    ("conv2d", (2, 16, 5, 6), (4, 16, 3, 3), True, dict(padding=1)),
    ("conv2d", (2, 16, 5, 6), (4, 16, 3, 2), True, dict(padding=(4, 3))),             # padding beyond the kernel
    ("conv2d", (2, 16, 7, 6), (4, 16, 2, 3), True, dict(padding="same", dilation=(3, 1))),
    ("conv2d", (2, 32, 5, 5), (6, 16, 3, 3), True, dict(groups=2, padding=(0, 2))),
    ("conv1d", (2, 16, 9), (3, 16, 4), True, dict(padding=2, dilation=2)),
    ("conv3d", (1, 16, 3, 4, 4), (2, 16, 2, 3, 2), True, dict(padding=1)),
    ("conv_transpose2d", (2, 4, 4, 5), (4, 16, 3, 3), True, dict(padding=1)),
    ("conv_transpose1d", (2, 4, 6), (4, 8, 3), True, dict(groups=2, dilation=2)),
])
def test_stride1_input_gradient(op, x_shape, w_shape, bias, kw, layout, data_grad):
    _check_conv(op, x_shape, w_shape, bias, kw)


@pytest.mark.parametrize("op,x_shape,w_shape,bias,kw", [
    ("conv2d", (7, 3, 6, 5), (4, 3, 3, 3), True, dict(padding=1)),
    ("conv2d", (5, 4, 6, 5), (6, 2, 3, 3), True, dict(padding=1, groups=2, stride=2)),
    ("conv1d", (6, 3, 9), (4, 3, 3), True, dict(stride=2)),
    ("conv_transpose2d", (5, 4, 3, 3), (4, 2, 3, 3), True, dict(stride=2)),
])
def test_chunked_batch(op, x_shape, w_shape, bias, kw, layout, small_chunks):
    _check_conv(op, x_shape, w_shape, bias, kw)


def test_only_some_inputs_require_grad():
    # weight only (no input gradient), input only (no column buffer kept), for conv and conv_transpose
    for op, xs, ws in [("conv2d", (2, 3, 6, 6), (4, 3, 3, 3)), ("conv_transpose2d", (2, 3, 4, 4), (3, 4, 3, 3))]:
        for flags in ([False, True], [True, False]):
            check_op([xs, ws], lambda x, w: getattr(F(x), op)(x, w, padding=1), requires_grad=flags)


def test_tudui_layers_float32():
    """The seed's CIFAR net's three convolutions at full size, float32 (forward and all gradients)."""
    # float32 sums of 75-800 products in another order than torch's: outputs that cancel to ~1e-4 carry an
    # absolute error of up to ~7e-6 (measured), above the default atol of 1e-6; gradients need no loosening
    for xs, ws in [((4, 3, 32, 32), (32, 3, 5, 5)), ((4, 32, 16, 16), (32, 32, 5, 5)), ((4, 32, 8, 8), (64, 32, 5, 5))]:
        check_op([xs, ws, (ws[0],)], lambda x, w, b: F(x).conv2d(x, w, b, padding=2), dtypes=("float32",),
                 atol=2e-5, low=-1, high=1)


def test_integer_conv_forward():
    rng = np.random.default_rng(0)
    x = rng.integers(-5, 5, (2, 3, 6, 6))
    w = rng.integers(-3, 3, (4, 3, 3, 3))
    b = rng.integers(-3, 3, (4,))
    ours = numtorch.nn.functional.conv2d(numtorch.from_numpy(x), numtorch.from_numpy(w), numtorch.from_numpy(b),
                                         padding=1, stride=2)
    theirs = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=1,
                                        stride=2)
    assert ours.dtype == numtorch.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_top_level_and_grad_fn_names():
    for name in ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]:
        assert getattr(numtorch, name) is getattr(numtorch.nn.functional, name)
    cases = [("conv2d", (2, 3, 5, 5), (4, 3, 3, 3)), ("conv2d", (3, 5, 5), (4, 3, 3, 3)),
             ("conv1d", (2, 3, 5), (4, 3, 3)), ("conv_transpose2d", (2, 3, 5, 5), (3, 4, 3, 3)),
             ("conv_transpose1d", (3, 5), (3, 4, 3))]
    for op, xs, ws in cases:
        names = []
        for lib in (numtorch, torch):
            x = lib.ones(xs, requires_grad=True)
            w = lib.ones(ws)
            names.append(getattr(lib.nn.functional, op)(x, w).grad_fn.name())
        assert names[0] == names[1].split("::")[-1], (op, xs, names)


def test_outputs_are_contiguous_and_float32():
    x = numtorch.randn(3, 5, 7, 6, requires_grad=True)
    w = numtorch.randn(4, 5, 3, 3, requires_grad=True)
    y = numtorch.nn.functional.conv2d(x, w, padding=1)
    assert y.is_contiguous() and y.dtype == numtorch.float32
    y.sum().backward()
    assert x.grad.dtype == numtorch.float32 and w.grad.dtype == numtorch.float32
    assert x.grad.is_contiguous()


def test_inplace_weight_change_detected():
    x = numtorch.randn(2, 3, 5, 5, requires_grad=True)
    w = numtorch.randn(4, 3, 3, 3, requires_grad=True)
    y = numtorch.nn.functional.conv2d(x, w * 1)
    w2 = w * 1
    y2 = numtorch.nn.functional.conv2d(x, w2)
    w2.mul_(2)
    y.sum().backward()  # unaffected
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y2.sum().backward()


# ---------------------------------------------------------------------- errors
def _same_error(call, exact=True):
    """``call(lib)`` must raise the same exception class in torch and numtorch, with the same message."""
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(Exception) as ne:
        call(numtorch)
    assert type(ne.value) is type(te.value), (type(ne.value), type(te.value), str(te.value))
    tm, nm = str(te.value).split("\n")[0], str(ne.value).split("\n")[0]
    if exact:
        assert nm == tm


def _t(lib, *shape, dtype=None):
    return lib.zeros(*shape) if dtype is None else lib.zeros(*shape, dtype=getattr(lib, dtype))


CONV_ERRORS = [
    lambda l: l.nn.functional.conv2d(_t(l, 8, 4, 32, 32), _t(l, 32, 3, 5, 5)),
    lambda l: l.nn.functional.conv2d(_t(l, 4, 32, 32), _t(l, 32, 3, 5, 5)),
    lambda l: l.nn.functional.conv2d(_t(l, 2, 8, 4, 32, 32), _t(l, 32, 3, 5, 5)),
    lambda l: l.nn.functional.conv2d(_t(l, 32, 32), _t(l, 32, 3, 5, 5)),
    lambda l: l.nn.functional.conv1d(_t(l, 32), _t(l, 3, 3, 3)),
    lambda l: l.nn.functional.conv3d(_t(l, 2, 3, 4, 4), _t(l, 3, 3, 3, 3, 3)),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 3, 3), _t(l, 32, 3, 5, 5)),
    lambda l: l.nn.functional.conv1d(_t(l, 1, 3, 2), _t(l, 3, 3, 3), dilation=2, padding=1),
    lambda l: l.nn.functional.conv3d(_t(l, 1, 3, 2, 2, 2), _t(l, 3, 3, 3, 3, 3)),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), stride=0),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), stride=(1, -1)),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), padding=-1, stride=0),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), dilation=0),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), dilation=(0, 1)),
    lambda l: l.nn.functional.conv1d(_t(l, 1, 3, 8), _t(l, 3, 3, 3), dilation=0),
    lambda l: l.nn.functional.conv_transpose2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), dilation=0),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), dilation=(0, -1)),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 4, 8, 8), _t(l, 6, 2, 3, 3), groups=3),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 6, 8, 8), _t(l, 4, 2, 3, 3), groups=3),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), groups=4),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 6, 8, 8), _t(l, 6, 2, 3, 3), groups=0, stride=0),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), padding="same", stride=2),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), padding="foo"),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), bias=_t(l, 2)),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), bias=_t(l, 3, 1)),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), stride=(1, 1, 1)),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), padding=(1, 1, 1)),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3, 3)),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3)),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3, dtype="float64")),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8, dtype="float64"), _t(l, 3, 3, 3, 3)),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), _t(l, 3, dtype="float64")),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 0, 3, 3, 3)),
    lambda l: l.nn.functional.conv_transpose2d(_t(l, 1, 3, 8, 8), _t(l, 3, 4, 3, 3), output_padding=1),
    lambda l: l.nn.functional.conv_transpose1d(_t(l, 1, 3, 8), _t(l, 3, 4, 3), output_padding=1),
    lambda l: l.nn.functional.conv_transpose3d(_t(l, 1, 3, 4, 4, 4), _t(l, 3, 4, 3, 3, 3), output_padding=1),
    lambda l: l.nn.functional.conv_transpose2d(_t(l, 1, 3, 8, 8), _t(l, 3, 4, 3, 3), stride=2, output_padding=2),
    lambda l: l.nn.functional.conv_transpose2d(_t(l, 1, 4, 8, 8), _t(l, 3, 4, 3, 3)),
    lambda l: l.nn.functional.conv_transpose2d(_t(l, 1, 3, 8, 8), _t(l, 3, 4, 3, 3), groups=2),
    lambda l: l.nn.functional.conv_transpose2d(_t(l, 1, 4, 8, 8), _t(l, 4, 4, 3, 3), groups=2, bias=_t(l, 4)),
    lambda l: l.nn.functional.conv_transpose2d(_t(l, 1, 3, 1, 1), _t(l, 3, 4, 3, 3), padding=2),
    lambda l: l.nn.functional.conv_transpose1d(_t(l, 1, 3, 1), _t(l, 3, 4, 3), padding=2),
    lambda l: l.nn.functional.conv_transpose2d(_t(l, 8, 8), _t(l, 3, 4, 3, 3)),
    lambda l: l.nn.functional.conv_transpose1d(_t(l, 8, 8), _t(l, 3, 4, 3)),
    lambda l: l.nn.functional.conv_transpose2d(_t(l, 1, 3, 8, 8), _t(l, 3, 4, 3, 3), output_padding=-1),
    lambda l: l.nn.functional.conv_transpose2d(_t(l, 1, 3, 8, 8), _t(l, 3, 4, 3, 3), stride=(1, 1, 1)),
]


@pytest.mark.parametrize("call", CONV_ERRORS)
def test_conv_errors(call):
    _same_error(call)


@pytest.mark.parametrize("call", [
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), stride=1.5),
    lambda l: l.nn.functional.conv2d(_t(l, 1, 3, 8, 8), _t(l, 3, 3, 3, 3), groups=1.0),
    lambda l: l.nn.functional.conv2d([1.0], _t(l, 3, 3, 3, 3)),
    lambda l: l.nn.functional.conv_transpose2d(_t(l, 1, 3, 8, 8), _t(l, 3, 4, 3, 3), padding="same"),
])
def test_conv_type_errors(call):
    _same_error(call, exact=False)


@pytest.mark.torch
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_conv_transpose_zero_output_size_follows_torchs_kernel_choice(threads, d):
    """A transposed convolution whose output size is 0 on an axis: torch's oneDNN kernel returns an empty result,
    its native kernel raises 'Output size is too small', and torch picks between them by the problem and its
    thread count. numtorch makes the same choice, reading its own thread count (the test sets both)."""
    before = (torch.get_num_threads(), numtorch.get_num_threads())
    torch.set_num_threads(threads)
    numtorch.set_num_threads(threads)
    try:
        for batch, groups, k in [(2, 1, 1), (1, 2, 1), (2, 2, 1), (1, 1, 1), (16, 1, 1), (2, 1, 3), (1, 1, 4)]:
            pad = (5 - 1 + k - 1 + 1) // 2
            if (5 - 1 + k - 1 + 1) % 2:
                continue
            outcome = []
            for L in (torch, numtorch):
                fn = getattr(L.nn.functional, f"conv_transpose{d}d")
                x, w = L.zeros(batch, 2, *(5,) * d), L.zeros(2, 2 // groups, *(k,) * d)
                try:
                    outcome.append(tuple(fn(x, w, padding=(pad,) + (0,) * (d - 1), groups=groups).shape))
                except RuntimeError as e:
                    outcome.append(str(e).split(". ")[-1])
            assert outcome[1] == outcome[0], (batch, groups, k, outcome)
    finally:
        torch.set_num_threads(before[0])
        numtorch.set_num_threads(before[1])
