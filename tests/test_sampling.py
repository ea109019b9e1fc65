"""interpolate / upsample* / pixel_(un)shuffle against torch: every mode, size and scale-factor rule,
align_corners, recompute_scale_factor and antialias; gradients (float32 and float64), float64 gradcheck,
grad_fn names and torch's errors."""
import warnings

import numpy as np
import pytest

import numtorch
from helpers import F, check_op, torch

pytestmark = pytest.mark.torch

SIZES_2D = [dict(size=(7, 3)), dict(size=5), dict(scale_factor=2), dict(scale_factor=(1.7, 0.6)),
            dict(scale_factor=(2.1, 3.3)), dict(size=(4, 5)), dict(scale_factor=0.5), dict(size=(1, 1)),
            dict(scale_factor=(1.7, 0.6), recompute_scale_factor=True), dict(scale_factor=1.34)]


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("kw", SIZES_2D)
def test_nearest_2d(mode, kw):
    check_op([(2, 3, 4, 5)], lambda x: F(x).interpolate(x, mode=mode, **kw))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("shape,kw", [((2, 3, 7), dict(size=12)), ((2, 3, 7), dict(scale_factor=0.55)),
                                      ((2, 3, 3, 4, 5), dict(scale_factor=(1.5, 2, 0.7))),
                                      ((2, 3, 3, 4, 5), dict(size=(2, 6, 5)))])
def test_nearest_1d_3d(mode, shape, kw):
    check_op([shape], lambda x: F(x).interpolate(x, mode=mode, **kw))


@pytest.mark.parametrize("align_corners", [None, False, True])
@pytest.mark.parametrize("kw", SIZES_2D)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_bilinear_bicubic(mode, kw, align_corners):
    check_op([(2, 3, 4, 5)], lambda x: F(x).interpolate(x, mode=mode, align_corners=align_corners, **kw))


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode,shape,kw", [
    ("linear", (2, 3, 6), dict(size=11)), ("linear", (2, 3, 6), dict(scale_factor=0.45)),
    ("linear", (3, 3, 5), dict(scale_factor=2.5, recompute_scale_factor=True)), ("linear", (2, 2, 6), dict(size=1)),
    ("trilinear", (2, 2, 3, 4, 5), dict(size=(5, 2, 7))), ("trilinear", (1, 2, 3, 4, 5), dict(scale_factor=1.6)),
])
def test_linear_trilinear(mode, shape, kw, align_corners):
    check_op([shape], lambda x: F(x).interpolate(x, mode=mode, align_corners=align_corners, **kw))


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kw", [dict(size=(2, 3)), dict(size=(13, 4)), dict(scale_factor=0.37), dict(size=(9, 11)),
                                dict(scale_factor=(0.3, 1.7))])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialias(mode, kw, align_corners):
    check_op([(2, 3, 12, 10)], lambda x: F(x).interpolate(x, mode=mode, align_corners=align_corners,
                                                           antialias=True, **kw))


@pytest.mark.parametrize("shape,kw", [((2, 3, 9, 8), dict(size=(4, 3))), ((2, 3, 9, 8), dict(scale_factor=0.5)),
                                      ((2, 3, 9), dict(scale_factor=0.5)), ((1, 2, 4, 6, 6), dict(size=(2, 3, 4))),
                                      ((2, 3, 5, 4), dict(size=(7, 9)))])
def test_area(shape, kw):
    check_op([shape], lambda x: F(x).interpolate(x, mode="area", **kw))


def test_upsample_aliases_warn_and_match():
    for name, kw in [("upsample", dict(size=(6, 7), mode="bilinear")), ("upsample", dict(scale_factor=2)),
                     ("upsample_nearest", dict(size=(6, 7))), ("upsample_bilinear", dict(scale_factor=2))]:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            check_op([(2, 3, 4, 5)], lambda x: getattr(F(x), name)(x, **kw))
        assert any("deprecated" in str(r.message) for r in rec)


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((9, 2, 2), 3), ((2, 2, 4, 3, 2), 2), ((1, 1, 2, 2), 1)])
def test_pixel_shuffle(shape, r):
    check_op([shape], lambda x: F(x).pixel_shuffle(x, r))


@pytest.mark.parametrize("shape,r", [((2, 2, 6, 4), 2), ((1, 6, 9), 3), ((2, 2, 1, 4, 6), 2)])
def test_pixel_unshuffle(shape, r):
    check_op([shape], lambda x: F(x).pixel_unshuffle(x, r))


def test_top_level_names():
    assert numtorch.pixel_shuffle is numtorch.nn.functional.pixel_shuffle
    assert numtorch.pixel_unshuffle is numtorch.nn.functional.pixel_unshuffle


@pytest.mark.parametrize("mode,shape,kw", [
    ("nearest", (2, 3, 5), dict(size=7)), ("nearest", (2, 3, 4, 5), dict(size=7)),
    ("nearest", (1, 2, 3, 4, 5), dict(size=2)), ("nearest-exact", (2, 3, 5), dict(size=7)),
    ("nearest-exact", (2, 3, 4, 5), dict(size=7)), ("linear", (2, 3, 5), dict(size=7)),
    ("bilinear", (2, 3, 4, 5), dict(size=7)), ("bicubic", (2, 3, 4, 5), dict(size=7)),
    ("trilinear", (1, 2, 3, 4, 5), dict(size=2)), ("bilinear", (2, 3, 8, 8), dict(size=3, antialias=True)),
    ("bicubic", (2, 3, 8, 8), dict(size=3, antialias=True)), ("area", (2, 3, 8, 8), dict(size=3)),
])
def test_grad_fn_names(mode, shape, kw):
    arr = np.random.default_rng(0).uniform(-1, 1, shape)
    names = [lb.nn.functional.interpolate(lb.tensor(arr, requires_grad=True), mode=mode, **kw).grad_fn.name()
             for lb in (numtorch, torch)]
    assert names[0] == names[1]


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("theta,size", [((2, 2, 3), (2, 3, 4, 5)), ((1, 2, 3), (1, 1, 1, 3)),
                                        ((2, 3, 4), (2, 1, 3, 4, 2))])
def test_affine_grid(theta, size, align_corners):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch warns about unit-size grids with align_corners=True, as we do
        check_op([theta], lambda t: F(t).affine_grid(t, size, align_corners=align_corners))


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample(mode, padding_mode, align_corners):
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 2, (2, 3, 4, 5))
    grid = rng.uniform(-1.3, 1.3, (2, 6, 7, 2))   # partly outside [-1, 1] to exercise the padding modes
    check_op(None, lambda a, g: F(a).grid_sample(a, g, mode=mode, padding_mode=padding_mode,
                                                  align_corners=align_corners), inputs=[x, grid])


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_volumetric(mode, padding_mode, align_corners):
    rng = np.random.default_rng(4)
    x = rng.uniform(-2, 2, (2, 2, 3, 4, 3))
    grid = rng.uniform(-1.3, 1.3, (2, 2, 3, 2, 3))
    check_op(None, lambda a, g: F(a).grid_sample(a, g, mode=mode, padding_mode=padding_mode,
                                                  align_corners=align_corners), inputs=[x, grid])


def test_grid_sample_volumetric_bicubic_is_refused_as_in_torch():
    _same_error(lambda l: l.nn.functional.grid_sample(_x(l, 1, 1, 2, 2, 2), _x(l, 1, 1, 1, 1, 3), mode="bicubic",
                                                      align_corners=False))


def test_grid_sample_identity_and_default_warning():
    x = numtorch.randn(1, 2, 5, 4)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        g = numtorch.nn.functional.affine_grid(numtorch.eye(2, 3)[None], (1, 2, 5, 4))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        y = numtorch.nn.functional.grid_sample(x, g)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-6)


def _same_error(call, exact=True):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(Exception) as ne:
        call(numtorch)
    assert type(ne.value) is type(te.value), (type(ne.value), type(te.value), str(te.value))
    if exact:  # our messages print our own Size type
        assert str(ne.value).split("\n")[0].replace("numtorch.Size", "torch.Size") == str(te.value).split("\n")[0]


def _x(lb, *shape, dtype=None):
    return lb.zeros(*shape) if dtype is None else lb.zeros(*shape, dtype=getattr(lb, dtype))


@pytest.mark.parametrize("call", [
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), size=(0, 3)),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), scale_factor=0.1),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 5), scale_factor=0.1),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), scale_factor=0.1, mode="bilinear"),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), size=(2, 3), mode="foo"),
    lambda l: l.nn.functional.interpolate(_x(l, 4, 5), size=(2, 3)),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), size=(2, 3), align_corners=True),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), size=(2, 3), scale_factor=2),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), size=(2,)),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), scale_factor=(2,)),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5)),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), size=3, recompute_scale_factor=True),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), size=3, antialias=True),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 5), size=3, mode="bilinear", antialias=True),
    lambda l: l.nn.functional.interpolate(_x(l, 3, 4, 5), size=3, mode="bilinear"),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), size=3, mode="linear"),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), size=3, mode="trilinear"),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5, dtype="int64"), size=3, mode="area"),
    lambda l: l.nn.functional.pixel_shuffle(_x(l, 2, 3, 4, 5), 2),
    lambda l: l.nn.functional.pixel_shuffle(_x(l, 3, 4), 2),
    lambda l: l.nn.functional.pixel_shuffle(_x(l, 8, 4, 5), 0),
    lambda l: l.nn.functional.pixel_unshuffle(_x(l, 2, 3, 4, 5), 2),
    lambda l: l.nn.functional.pixel_unshuffle(_x(l, 2, 3, 5, 4), 2),
    lambda l: l.nn.functional.pixel_unshuffle(_x(l, 3, 4), 2),
    lambda l: l.nn.functional.pixel_unshuffle(_x(l, 3, 4, 4), -1),
    lambda l: l.nn.functional.grid_sample(_x(l, 2, 3, 4, 5), _x(l, 2, 6, 7, 2), mode="foo", align_corners=False),
    lambda l: l.nn.functional.grid_sample(_x(l, 2, 3, 4, 5), _x(l, 2, 6, 7, 2), padding_mode="foo",
                                          align_corners=False),
    lambda l: l.nn.functional.grid_sample(_x(l, 2, 3, 4, 5), _x(l, 1, 6, 7, 2), align_corners=False),
    lambda l: l.nn.functional.grid_sample(_x(l, 2, 3, 4, 5), _x(l, 2, 6, 7, 1), align_corners=False),
    lambda l: l.nn.functional.grid_sample(_x(l, 3, 4, 5), _x(l, 2, 6, 7, 2), align_corners=False),
    lambda l: l.nn.functional.grid_sample(_x(l, 2, 3, 1, 4, 5), _x(l, 2, 6, 7, 2), align_corners=False),
    lambda l: l.nn.functional.grid_sample(_x(l, 2, 3, 4, 5), _x(l, 2, 6, 7, 2, dtype="float64"),
                                          align_corners=False),
    lambda l: l.nn.functional.affine_grid(_x(l, 2, 2, 3), (2, 3, 4, 5, 6), align_corners=False),
    lambda l: l.nn.functional.affine_grid(_x(l, 2, 2, 3), (2, 3, 4), align_corners=False),
    lambda l: l.nn.functional.affine_grid(_x(l, 2, 2, 3), (3, 3, 4, 5), align_corners=False),
    lambda l: l.nn.functional.affine_grid(_x(l, 2, 2, 3), (2, 3, 0, 5), align_corners=False),
])
def test_errors(call):
    _same_error(call)


@pytest.mark.parametrize("call", [
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5), size=(2.0, 3)),
    lambda l: l.nn.functional.pixel_shuffle(_x(l, 8, 4, 5), 2.0),
    lambda l: l.nn.functional.interpolate(_x(l, 2, 3, 4, 5, dtype="int64"), size=3, mode="bilinear"),
])
def test_type_errors(call):
    _same_error(call, exact=False)
