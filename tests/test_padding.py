"""F.pad against torch: every mode and dimensionality, negative pads, values, gradients (float32 and float64),
float64 gradcheck, grad_fn names and torch's error messages."""
import numpy as np
import pytest

import numtorch
from helpers import F, check_op, lib, torch

pytestmark = pytest.mark.torch

SHAPES_1D = [((2, 3, 6), (2, 3)), ((3, 6), (1, 0)), ((2, 3, 6), (-1, 3)), ((2, 3, 6), (0, 0)), ((2, 3, 6), (5, 4))]
SHAPES_2D = [((2, 3, 5, 6), (2, 3, 1, 4)), ((3, 5, 6), (1, 1, 2, 2)), ((2, 3, 5, 6), (-1, 2, 3, -2))]
SHAPES_3D = [((2, 2, 4, 5, 6), (2, 3, 1, 3, 2, 1)), ((2, 4, 5, 6), (1, 1, 1, 1, 1, 1))]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", SHAPES_1D + SHAPES_2D + SHAPES_3D)
def test_pad_modes(mode, shape, pad):
    if mode == "reflect" and any(p >= s for p, s in zip(pad[::2] + pad[1::2], shape[::-1] * 2)):
        pytest.skip("reflect padding must be smaller than the input size")
    check_op([shape], lambda x: F(x).pad(x, pad, mode=mode))


@pytest.mark.parametrize("shape,pad,value", [
    ((2, 3, 4, 5), (1, 2), 2.5),
    ((2, 3, 4, 5), (1, 2, 3, 0, 1, 1, 2, 0), -1.0),     # all four dimensions
    ((2, 3, 4, 5), (-2, -3), None),                     # crop to nothing
    ((2, 3, 4, 5), (-1, 2, 2, -3), 0.5),
    ((4,), (3, 1), 1.0),
    ((2, 3), (), None),
])
def test_constant_pad(shape, pad, value):
    check_op([shape], lambda x: F(x).pad(x, pad, value=value))


def test_constant_pad_dtypes_and_top_level():
    x = np.arange(12).reshape(2, 2, 3)
    t = torch.nn.functional.pad(torch.from_numpy(x), (1, 1), value=2.5)
    n = numtorch.nn.functional.pad(numtorch.from_numpy(x), (1, 1), value=2.5)
    assert n.dtype == numtorch.int64
    np.testing.assert_array_equal(n.numpy(), t.numpy())
    b = x % 2 == 0
    t = torch.nn.functional.pad(torch.from_numpy(b), (1, 1), value=1)
    n = numtorch.nn.functional.pad(numtorch.from_numpy(b), (1, 1), value=1)
    np.testing.assert_array_equal(n.numpy(), t.numpy())
    check_op([(2, 3, 4)], lambda x: lib(x).constant_pad_nd(x, (1, 2, 0, 1), 0.5))


def test_integer_replicate_and_circular():
    x = np.arange(24).reshape(2, 3, 4)
    for mode in ("replicate", "circular", "reflect"):
        t = torch.nn.functional.pad(torch.from_numpy(x), (2, 1), mode=mode)
        n = numtorch.nn.functional.pad(numtorch.from_numpy(x), (2, 1), mode=mode)
        np.testing.assert_array_equal(n.numpy(), t.numpy())


@pytest.mark.parametrize("mode,shape,pad", [
    ("constant", (2, 3, 4), (1, 1)), ("reflect", (2, 3, 4), (1, 1)), ("reflect", (2, 3, 4, 5), (1, 1, 1, 1)),
    ("reflect", (2, 3, 4, 5, 6), (1, 1, 1, 1, 1, 1)), ("replicate", (3, 4), (1, 1)),
    ("replicate", (2, 3, 4, 5), (1, 1, 1, 1)), ("replicate", (3, 4, 5, 6), (1, 1, 1, 1, 1, 1)),
    ("circular", (2, 3, 4), (1, 1)),
])
def test_grad_fn_names(mode, shape, pad):
    arr = np.random.default_rng(0).uniform(-1, 1, shape)
    names = [lb.nn.functional.pad(lb.tensor(arr, requires_grad=True), pad, mode=mode).grad_fn.name()
             for lb in (numtorch, torch)]
    assert names[0] == names[1].split("::")[-1]


def _same_error(call, exact=True):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(Exception) as ne:
        call(numtorch)
    assert type(ne.value) is type(te.value), (type(ne.value), type(te.value), str(te.value))
    if exact:
        assert str(ne.value).split("\n")[0] == str(te.value).split("\n")[0]


def _x(lb, *shape, dtype=None):
    return lb.zeros(*shape) if dtype is None else lb.zeros(*shape, dtype=getattr(lb, dtype))


@pytest.mark.parametrize("call", [
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (1,)),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (1,) * 10),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (-3, -3)),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (-6, 1)),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (1, 1), mode="reflect", value=2.5),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (1, 1), mode="replicate", value=1),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (5, 1), mode="reflect"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (4, 4, 4, 4), mode="reflect"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (5, 5, 4, 4), mode="reflect"),
    lambda l: l.nn.functional.pad(_x(l, 1, 2, 3, 4, 5), (1, 1, 1, 1, 3, 3), mode="reflect"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4), (4, 1), mode="reflect"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (1,) * 8, mode="reflect"),
    lambda l: l.nn.functional.pad(_x(l, 4), (1, 1), mode="replicate"),
    lambda l: l.nn.functional.pad(_x(l, 4, 5), (1, 1, 1, 1), mode="circular"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5, 6, 7), (1,) * 6, mode="reflect"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4), (5, 1), mode="circular"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (1, 1, 5, 1), mode="circular"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (0, 0, -3, -2), mode="circular"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4), (-3, -1), mode="replicate"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4), (-3, -1), mode="reflect"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, 5), (-3, -2, -2, -2), mode="replicate"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 0), (1, 1), mode="reflect"),
    lambda l: l.nn.functional.pad(_x(l, 2, 0, 4), (1, 1), mode="replicate"),
    lambda l: l.nn.functional.pad(_x(l, 2, 0, 4, 5), (1, 1, 1, 1), mode="reflect"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4, dtype="bool"), (1, 1), mode="reflect"),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4), (1, 1), mode="foo"),
])
def test_pad_errors(call):
    _same_error(call)


@pytest.mark.parametrize("call", [
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4), (1, 1.5)),
    lambda l: l.nn.functional.pad(_x(l, 2, 3, 4), 1),
])
def test_pad_type_errors(call):
    _same_error(call, exact=False)
