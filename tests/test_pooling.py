"""Pooling against torch: max/avg/adaptive/Lp pooling and max-unpooling, values, indices, gradients (float32 and
float64), float64 gradcheck, torch's tie and NaN rules, grad_fn names and error messages."""
import numpy as np
import pytest

import numtorch
from helpers import F, check_op, lib, to_nt, to_torch, torch

pytestmark = pytest.mark.torch


def _ties(shape, seed=0):
    """Inputs with many exact ties (values on a coarse grid)."""
    return np.round(np.random.default_rng(seed).uniform(-2, 2, shape) * 2) / 2


MAX_POOL = [
    ("max_pool1d", (2, 3, 9), dict(kernel_size=3)),
    ("max_pool1d", (2, 3, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("max_pool1d", (2, 3, 10), dict(kernel_size=2, dilation=3, padding=1)),
    ("max_pool1d", (3, 9), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),               # unbatched
    ("max_pool2d", (2, 3, 8, 8), dict(kernel_size=2)),
    ("max_pool2d", (2, 3, 9, 7), dict(kernel_size=2)),                                             # floor mode crops
    ("max_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    ("max_pool2d", (2, 3, 7, 8), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True)),
    ("max_pool2d", (2, 3, 5, 5), dict(kernel_size=2, stride=2, ceil_mode=True)),
    ("max_pool2d", (3, 6, 6), dict(kernel_size=3, stride=1)),                                      # unbatched
    ("max_pool2d", (1, 2, 6, 6), dict(kernel_size=2, stride=3)),                                   # gaps
    ("max_pool3d", (2, 2, 5, 6, 7), dict(kernel_size=(2, 3, 2), stride=2, padding=1, ceil_mode=True)),
    ("max_pool3d", (2, 4, 4, 4), dict(kernel_size=2)),                                             # unbatched
]


@pytest.mark.parametrize("op,shape,kw", MAX_POOL)
@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool(op, shape, kw, return_indices):
    check_op([shape], lambda x: getattr(F(x), op)(x, return_indices=return_indices, **kw))


@pytest.mark.parametrize("op,shape,kw", MAX_POOL)
def test_max_pool_ties_go_to_the_first_maximum(op, shape, kw):
    # finite differences are meaningless at ties: compare values, indices and gradients with torch only
    check_op(None, lambda x: getattr(F(x), op)(x, return_indices=True, **kw), inputs=[_ties(shape)],
             grad_check=False)


def test_max_pool_nan_and_inf():
    x = np.random.default_rng(0).uniform(-1, 1, (1, 2, 6, 6))
    x[0, 0, 0, 1] = np.nan
    x[0, 0, 1, 0] = np.nan          # two NaNs in one window: torch keeps the last one
    x[0, 1, :3, :3] = -np.inf       # an all -inf window next to the padding
    for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)):
        ty, ti = torch.nn.functional.max_pool2d(to_torch(x), return_indices=True, **kw)
        ny, ni = numtorch.nn.functional.max_pool2d(to_nt(x), return_indices=True, **kw)
        np.testing.assert_array_equal(ny.numpy(), ty.numpy())
        np.testing.assert_array_equal(ni.numpy(), ti.numpy())


def test_max_pool_integer_input():
    x = np.random.default_rng(0).integers(-9, 9, (2, 3, 6, 6))
    ty, ti = torch.nn.functional.max_pool2d(torch.from_numpy(x), 3, 2, 1, return_indices=True)
    ny, ni = numtorch.nn.functional.max_pool2d(numtorch.from_numpy(x), 3, 2, 1, return_indices=True)
    assert ny.dtype == numtorch.int64
    np.testing.assert_array_equal(ny.numpy(), ty.numpy())
    np.testing.assert_array_equal(ni.numpy(), ti.numpy())


def test_max_pool_with_indices_aliases():
    x = _ties((2, 3, 8))
    for op, shape in (("max_pool1d_with_indices", (2, 3, 8)), ("max_pool2d_with_indices", (2, 3, 6, 6)),
                      ("max_pool3d_with_indices", (2, 2, 4, 4, 4))):
        check_op(None, lambda x: getattr(F(x), op)(x, 2), inputs=[_ties(shape)], grad_check=False)
    check_op(None, lambda x: lib(x).max_pool1d_with_indices(x, 2), inputs=[x], grad_check=False)


AVG_POOL = [
    ("avg_pool1d", (2, 3, 9), dict(kernel_size=3)),
    ("avg_pool1d", (2, 3, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("avg_pool1d", (2, 3, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avg_pool1d", (3, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),                # unbatched
    ("avg_pool2d", (2, 3, 8, 8), dict(kernel_size=2)),
    ("avg_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1)),
    ("avg_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("avg_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", (2, 3, 9, 8), dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), divisor_override=5)),
    ("avg_pool2d", (2, 3, 7, 7), dict(kernel_size=2, stride=3, ceil_mode=True)),
    ("avg_pool2d", (3, 6, 5), dict(kernel_size=3, stride=1, padding=1, count_include_pad=False)),  # unbatched
    ("avg_pool3d", (2, 2, 5, 6, 7), dict(kernel_size=(2, 3, 2), stride=2, padding=1, ceil_mode=True)),
    ("avg_pool3d", (2, 2, 5, 6, 7), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False,
                                         divisor_override=None)),
    ("avg_pool3d", (2, 4, 4, 4), dict(kernel_size=2, divisor_override=3)),
]


@pytest.mark.parametrize("op,shape,kw", AVG_POOL)
def test_avg_pool(op, shape, kw):
    check_op([shape], lambda x: getattr(F(x), op)(x, **kw))


def test_avg_pool_integer_input():
    x = np.arange(6).reshape(1, 1, 6) * 3
    for kw in (dict(kernel_size=4, stride=1, padding=2), dict(kernel_size=2)):
        t = torch.nn.functional.avg_pool1d(torch.from_numpy(x), **kw)
        n = numtorch.nn.functional.avg_pool1d(numtorch.from_numpy(x), **kw)
        np.testing.assert_array_equal(n.numpy(), t.numpy())
    x = -np.arange(16).reshape(1, 1, 4, 4)
    t = torch.nn.functional.avg_pool2d(torch.from_numpy(x), 3, 1, 1)
    n = numtorch.nn.functional.avg_pool2d(numtorch.from_numpy(x), 3, 1, 1)
    np.testing.assert_array_equal(n.numpy(), t.numpy())


ADAPTIVE = [
    ("adaptive_avg_pool1d", (2, 3, 9), 4),
    ("adaptive_avg_pool1d", (3, 5), 7),
    ("adaptive_avg_pool1d", (2, 3, 9), 1),
    ("adaptive_avg_pool2d", (2, 3, 9, 8), (4, 3)),
    ("adaptive_avg_pool2d", (2, 3, 5, 4), (7, 9)),
    ("adaptive_avg_pool2d", (2, 3, 9, 8), 1),
    ("adaptive_avg_pool2d", (3, 9, 8), (None, 5)),
    ("adaptive_avg_pool2d", (2, 3, 6, 6), (6, 6)),
    ("adaptive_avg_pool3d", (2, 3, 5, 6, 7), (2, 3, 4)),
    ("adaptive_avg_pool3d", (2, 3, 5, 6, 7), 1),
]


@pytest.mark.parametrize("op,shape,size", ADAPTIVE)
def test_adaptive_avg_pool(op, shape, size):
    check_op([shape], lambda x: getattr(F(x), op)(x, size))


ADAPTIVE_MAX = [
    ("adaptive_max_pool1d", (2, 3, 9), 4),
    ("adaptive_max_pool1d", (3, 5), 7),
    ("adaptive_max_pool2d", (2, 3, 9, 8), (4, 3)),
    ("adaptive_max_pool2d", (2, 3, 5, 4), (7, 9)),
    ("adaptive_max_pool2d", (3, 9, 8), (None, 5)),
    ("adaptive_max_pool2d", (2, 3, 9, 8), 1),
]


@pytest.mark.parametrize("op,shape,size", ADAPTIVE_MAX)
@pytest.mark.parametrize("return_indices", [False, True])
def test_adaptive_max_pool(op, shape, size, return_indices):
    check_op([shape], lambda x: getattr(F(x), op)(x, size, return_indices=return_indices))


@pytest.mark.parametrize("op,shape,size", ADAPTIVE_MAX)
def test_adaptive_max_pool_ties(op, shape, size):
    check_op(None, lambda x: getattr(F(x), op)(x, size, return_indices=True), inputs=[_ties(shape)],
             grad_check=False)
    check_op(None, lambda x: getattr(F(x), op + "_with_indices")(x, size), inputs=[_ties(shape)], grad_check=False)


@pytest.mark.parametrize("op,shape,p,kw", [
    ("lp_pool1d", (2, 3, 9), 2, dict(kernel_size=3)),
    ("lp_pool1d", (2, 3, 9), 3, dict(kernel_size=2, stride=3, ceil_mode=True)),
    ("lp_pool2d", (2, 3, 9, 8), 2, dict(kernel_size=3, stride=2, ceil_mode=True)),
    ("lp_pool2d", (2, 3, 8, 8), 1.5, dict(kernel_size=(2, 3))),
])
def test_lp_pool(op, shape, p, kw):
    check_op([shape], lambda x: getattr(F(x), op)(x, p, **kw), low=0.1, high=2.0)


@pytest.mark.parametrize("pool,unpool,shape,kw,out", [
    ("max_pool1d", "max_unpool1d", (2, 3, 9), dict(kernel_size=2), None),
    ("max_pool1d", "max_unpool1d", (2, 3, 9), dict(kernel_size=2), (9,)),
    ("max_pool1d", "max_unpool1d", (3, 8), dict(kernel_size=3, stride=2, padding=1), (8,)),
    ("max_pool2d", "max_unpool2d", (2, 3, 8, 8), dict(kernel_size=2), None),
    ("max_pool2d", "max_unpool2d", (2, 3, 9, 9), dict(kernel_size=2), (2, 3, 9, 9)),
    ("max_pool2d", "max_unpool2d", (2, 3, 8, 7), dict(kernel_size=3, stride=2, padding=1), (8, 7)),
    ("max_pool2d", "max_unpool2d", (3, 8, 8), dict(kernel_size=2), None),
])
def test_max_unpool(pool, unpool, shape, kw, out):
    def fn(x):
        y, i = getattr(F(x), pool)(x, return_indices=True, **kw)
        return getattr(F(x), unpool)(y, i, output_size=out, **kw)
    # overlapping windows can pick one input twice: unpooling then writes it once but reads its gradient twice,
    # as torch does, which finite differences cannot reproduce
    overlap = kw.get("stride", kw["kernel_size"]) < kw["kernel_size"]
    check_op([shape], fn, grad_check=not overlap)


def test_top_level_names():
    for name in ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "adaptive_avg_pool1d",
                 "max_pool1d_with_indices"]:
        assert getattr(numtorch, name) is getattr(numtorch.nn.functional, name)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 6, 6))
    np.testing.assert_array_equal(numtorch.max_pool2d(to_nt(x), 2).numpy(), torch.max_pool2d(to_torch(x), 2).numpy())


@pytest.mark.parametrize("call", [
    lambda l, x: l.nn.functional.max_pool1d(x[:, :, 0], 2),
    lambda l, x: l.nn.functional.max_pool1d(x[0, :, 0], 2),
    lambda l, x: l.nn.functional.max_pool1d(x[:, :, 0], 2, return_indices=True)[0],
    lambda l, x: l.nn.functional.max_pool2d(x, 2),
    lambda l, x: l.nn.functional.max_pool2d(x[0], 2),
    lambda l, x: l.nn.functional.max_pool3d(x[:, None], 2),
    lambda l, x: l.nn.functional.avg_pool1d(x[:, :, 0], 2),
    lambda l, x: l.nn.functional.avg_pool2d(x, 2),
    lambda l, x: l.nn.functional.avg_pool3d(x[:, None], 2),
    lambda l, x: l.nn.functional.adaptive_avg_pool1d(x[:, :, 0], 3),
    lambda l, x: l.nn.functional.adaptive_avg_pool1d(x[:, :, 0], 1),
    lambda l, x: l.nn.functional.adaptive_avg_pool2d(x, 3),
    lambda l, x: l.nn.functional.adaptive_avg_pool2d(x, 1),
    lambda l, x: l.nn.functional.adaptive_avg_pool3d(x[:, None], 2),
    lambda l, x: l.nn.functional.adaptive_max_pool1d(x[:, :, 0], 3),
    lambda l, x: l.nn.functional.adaptive_max_pool2d(x, 3),
    lambda l, x: l.nn.functional.lp_pool2d(x, 2, 2),
    lambda l, x: l.nn.functional.max_unpool2d(*l.nn.functional.max_pool2d(x, 2, return_indices=True), 2),
    lambda l, x: l.nn.functional.max_unpool1d(*l.nn.functional.max_pool1d(x[:, :, 0], 2, return_indices=True), 2),
])
def test_grad_fn_names(call):
    arr = np.random.default_rng(0).uniform(-1, 1, (2, 3, 6, 6))
    names = []
    for lb in (numtorch, torch):
        x = lb.tensor(arr, requires_grad=True)
        names.append(call(lb, x).grad_fn.name())
    assert names[0] == names[1]


# ---------------------------------------------------------------------- errors
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


POOL_ERRORS = [
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 3, padding=2),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 3, padding=-1),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 3, stride=0),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 0),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 0, stride=1),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), (2, 0), stride=1),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 2, stride=-1),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 3, dilation=0),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 2, dilation=-1),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), (3, 3, 3)),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 3, stride=(1, 1, 1)),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 2, padding=(1, 1, 1)),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 2, dilation=(1, 1, 1)),
    lambda l: l.nn.functional.max_pool2d(_x(l, 8, 8), 3),
    lambda l: l.nn.functional.max_pool2d(_x(l, 1, 2, 3, 8, 8), 3),
    lambda l: l.nn.functional.max_pool2d(_x(l, 3, 2, 2), 3),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 9),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 0, 8), 2),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), (2, 3), padding=(1, 2)),
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8, dtype="bool"), 2),
    lambda l: l.nn.functional.max_pool1d(_x(l, 3, 8), 3, padding=2),
    lambda l: l.nn.functional.max_pool1d(_x(l, 8), 3),
    lambda l: l.nn.functional.max_pool1d(_x(l, 3, 2), 3),
    lambda l: l.nn.functional.max_pool1d(_x(l, 2, 3, 8), 0),
    lambda l: l.nn.functional.max_pool1d(_x(l, 2, 3, 8), 2, stride=0),
    lambda l: l.nn.functional.max_pool1d(_x(l, 2, 3, 8), 2, dilation=0),
    lambda l: l.nn.functional.max_pool1d(_x(l, 2, 3, 8), 2, padding=-1),
    lambda l: l.nn.functional.max_pool1d(_x(l, 2, 3, 8), (2, 2)),
    lambda l: l.nn.functional.max_pool1d(_x(l, 2, 3, 8), 2, stride=(1, 1)),
    lambda l: l.nn.functional.max_pool1d(_x(l, 2, 0, 8), 2),
    lambda l: l.nn.functional.max_pool1d(_x(l, 2, 3, 8), 9, return_indices=True),
    lambda l: l.nn.functional.max_pool1d(_x(l, 2, 3, 8, dtype="int64"), 2),
    lambda l: l.nn.functional.max_pool3d(_x(l, 2, 3, 4, 8, 8), 3, padding=2),
    lambda l: l.nn.functional.max_pool3d(_x(l, 2, 3, 4, 8, 8), (2, 2)),
    lambda l: l.nn.functional.max_pool3d(_x(l, 2, 3, 4, 8, 8), 2, dilation=0),
    lambda l: l.nn.functional.max_pool3d(_x(l, 2, 3, 4, 8, 8), 5),
    lambda l: l.nn.functional.max_pool3d(_x(l, 2, 3, 4, 8, 8), 0, stride=1),
    lambda l: l.nn.functional.max_pool3d(_x(l, 8, 8, 8), 2),
    lambda l: l.nn.functional.avg_pool2d(_x(l, 2, 3, 8, 8), 3, padding=2),
    lambda l: l.nn.functional.avg_pool2d(_x(l, 2, 3, 8, 8), 9),
    lambda l: l.nn.functional.avg_pool2d(_x(l, 2, 3, 8, 8), 0),
    lambda l: l.nn.functional.avg_pool2d(_x(l, 2, 3, 8, 8), 2, divisor_override=0),
    lambda l: l.nn.functional.avg_pool2d(_x(l, 2, 3, 8, 8), 2, padding=-1),
    lambda l: l.nn.functional.avg_pool2d(_x(l, 2, 3, 8, 8), (2, 2, 2)),
    lambda l: l.nn.functional.avg_pool2d(_x(l, 2, 3, 8, 8), 2, stride=(1, 1, 1)),
    lambda l: l.nn.functional.avg_pool2d(_x(l, 1, 2, 3, 8, 8), 2),
    lambda l: l.nn.functional.avg_pool2d(_x(l, 2, 0, 8, 8), 2),
    lambda l: l.nn.functional.avg_pool1d(_x(l, 8), 2),
    lambda l: l.nn.functional.avg_pool1d(_x(l, 2, 3, 8), 9),
    lambda l: l.nn.functional.avg_pool1d(_x(l, 2, 3, 8), 3, padding=2),
    lambda l: l.nn.functional.avg_pool1d(_x(l, 2, 3, 8), (2, 2)),
    lambda l: l.nn.functional.avg_pool1d(_x(l, 2, 3, 0), 2),
    lambda l: l.nn.functional.avg_pool3d(_x(l, 2, 3, 4, 8, 8), 2, padding=2),
    lambda l: l.nn.functional.avg_pool3d(_x(l, 2, 3, 4, 8, 8), 5),
    lambda l: l.nn.functional.avg_pool3d(_x(l, 8, 8), 2),
    lambda l: l.nn.functional.adaptive_avg_pool2d(_x(l, 2, 3, 8, 8), (2, 2, 2)),
    lambda l: l.nn.functional.adaptive_avg_pool2d(_x(l, 8, 8), 2),
    lambda l: l.nn.functional.adaptive_avg_pool2d(_x(l, 2, 3, 8, 8), -1),
    lambda l: l.nn.functional.adaptive_avg_pool2d(_x(l, 2, 3, 0, 8), 2),
    lambda l: l.nn.functional.adaptive_avg_pool2d(_x(l, 2, 3, 8, 8, dtype="int64"), 2),
    lambda l: l.nn.functional.adaptive_avg_pool1d(_x(l, 8), 2),
    lambda l: l.nn.functional.adaptive_avg_pool1d(_x(l, 2, 3, 8), (2, 2)),
    lambda l: l.nn.functional.adaptive_avg_pool1d(_x(l, 2, 3, 8), -1),
    lambda l: l.nn.functional.adaptive_avg_pool1d(_x(l, 2, 3, 0), 2),
    lambda l: l.nn.functional.adaptive_max_pool2d(_x(l, 2, 3, 8, 8), -1),
    lambda l: l.nn.functional.adaptive_max_pool2d(_x(l, 2, 3, 8, 8), (2, 2, 2)),
    lambda l: l.nn.functional.adaptive_max_pool2d(_x(l, 8, 8), 2),
    lambda l: l.nn.functional.adaptive_max_pool2d(_x(l, 2, 3, 0, 8), 2),
    lambda l: l.nn.functional.adaptive_max_pool2d(_x(l, 2, 3, 8, 8, dtype="int64"), 2),
    lambda l: l.nn.functional.adaptive_max_pool1d(_x(l, 8), 2),
    lambda l: l.nn.functional.adaptive_max_pool1d(_x(l, 2, 3, 8), (2, 2)),
    lambda l: l.nn.functional.adaptive_max_pool1d(_x(l, 2, 3, 8), -1),
    lambda l: l.nn.functional.adaptive_max_pool1d(_x(l, 2, 3, 0), 2),
]


@pytest.mark.parametrize("call", POOL_ERRORS)
def test_pool_errors(call):
    _same_error(call)


def _pooled(lb):
    x = lb.tensor(np.arange(128.).reshape(2, 4, 4, 4))
    return lb.nn.functional.max_pool2d(x, 2, return_indices=True)


@pytest.mark.parametrize("call", [
    lambda l: l.nn.functional.max_unpool2d(*_pooled(l), 2, output_size=(20, 20)),
    lambda l: l.nn.functional.max_unpool2d(*_pooled(l), 2, output_size=(2, 8, 8)),
    lambda l: l.nn.functional.max_unpool2d(*_pooled(l), 2, output_size=(1, 2, 3, 8, 8)),
    lambda l: l.nn.functional.max_unpool2d(*_pooled(l), 2, output_size=(3, 3)),
    lambda l: l.nn.functional.max_unpool2d(_pooled(l)[0], _pooled(l)[1].float(), 2),
    lambda l: l.nn.functional.max_unpool2d(_pooled(l)[0], _pooled(l)[1][:, :, :1], 2),
    lambda l: l.nn.functional.max_unpool2d(_pooled(l)[0], _pooled(l)[1] * 100, 2),
    lambda l: l.nn.functional.max_unpool2d(_pooled(l)[0][0, 0], _pooled(l)[1][0, 0], 2),
    lambda l: l.nn.functional.max_unpool1d(_pooled(l)[0][0, 0, 0], _pooled(l)[1][0, 0, 0], 2),
    lambda l: l.nn.functional.max_unpool1d(_pooled(l)[0][0], _pooled(l)[1][0] * 100, 2),
])
def test_unpool_errors(call):
    _same_error(call)


@pytest.mark.parametrize("call", [
    lambda l: l.nn.functional.max_pool2d(_x(l, 2, 3, 8, 8), 2.0),
    lambda l: l.nn.functional.avg_pool1d(_x(l, 2, 3, 8), 2, divisor_override=2),
])
def test_pool_type_errors(call):
    _same_error(call, exact=False)
