"""Resampling: ``interpolate`` (and its ``upsample*`` aliases), ``pixel_shuffle``/``pixel_unshuffle``,
``affine_grid`` and ``grid_sample``.

Every ``interpolate`` mode is *separable*: along each spatial axis, output position ``o`` is a weighted sum of
a few input positions,

.. math::
    y[\\ldots, o, \\ldots] = \\sum_t w_t(o) \\, x[\\ldots, i_t(o), \\ldots]

with torch's index formulas (``src = scale (o + 0.5) - 0.5``, or ``src = o (In - 1) / (Out - 1)`` with
``align_corners``; nearest uses ``floor(o * scale)`` in float32, nearest-exact ``floor((o + 0.5) * scale)``).
The forward is one gather per tap and axis; the backward is the adjoint scatter-add: every tap's index column
``i_t(o)`` is non-decreasing in ``o``, so the contributions to one input position are contiguous runs, summed
with ``np.add.reduceat`` and added in one vectorised step. ``area`` mode is adaptive average pooling.
"""
import itertools
import math
import numbers
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from ._util import torch_type_name
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle", "affine_grid", "grid_sample"]
#: names also exported at numtorch's top level (torch.<name>), besides nn.functional
TOP_LEVEL = ["pixel_shuffle", "pixel_unshuffle"]

_CUBIC_A = -0.75      # torch's bicubic kernel (Keys, a = -0.75)
_AA_CUBIC_A = -0.5    # torch's antialiased bicubic filter


# ---------------------------------------------------------------------- per-axis taps
def _scale_value(scale, In, Out, dtype):
    """torch's ``compute_scales_value``: ``1 / scale_factor`` when one was given, else ``In / Out``."""
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(In) / dtype.type(Out)


def _area_scale(In, Out, align_corners, scale, dtype):
    """torch's ``area_pixel_compute_scale``."""
    if align_corners:
        return dtype.type(In - 1) / dtype.type(Out - 1) if Out > 1 else dtype.type(0)
    return _scale_value(scale, In, Out, dtype)


def _source_coord(o, scale, align_corners, cubic, dtype):
    """torch's ``area_pixel_compute_source_index`` for every output index ``o``."""
    o = o.astype(dtype)
    if align_corners:
        return scale * o
    half = dtype.type(0.5)
    src = scale * (o + half) - half
    return src if cubic else np.maximum(src, dtype.type(0))


def _cubic1(x, a):
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic2(x, a):
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _axis_taps(mode, In, Out, scale, align_corners, antialias, dtype):
    """Indices (Out, T) and weights (Out, T) (``None`` for nearest) of one axis's interpolation."""
    o = np.arange(Out)
    if mode == "nearest":
        if Out == In:
            idx = o
        elif Out == 2 * In:
            idx = o >> 1
        else:
            s = _scale_value(scale, In, Out, np.dtype(np.float32))
            idx = np.minimum(np.floor(o.astype(np.float32) * s).astype(np.int64), In - 1)
        return idx[:, None], None
    if mode == "nearest-exact":
        s = np.float64(_scale_value(scale, In, Out, np.dtype(np.float32)))
        idx = np.minimum(np.floor(((o + 0.5) * s).astype(np.float32)).astype(np.int64), In - 1)
        return idx[:, None], None
    if antialias:
        return _aa_taps(mode, In, Out, scale, align_corners, dtype)
    s = _area_scale(In, Out, align_corners, scale, dtype)
    if mode == "linear":
        src = _source_coord(o, s, align_corners, False, dtype)
        i0 = np.minimum(np.floor(src).astype(np.int64), In - 1)
        lam = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
        i1 = i0 + (i0 < In - 1)
        return np.stack([i0, i1], 1), np.stack([1 - lam, lam], 1).astype(dtype)
    # cubic
    src = _source_coord(o, s, align_corners, True, dtype)
    i = np.minimum(np.floor(src).astype(np.int64), In - 1)
    t = np.clip(src - i.astype(dtype), 0, 1).astype(dtype)
    a = dtype.type(_CUBIC_A)
    one = dtype.type(1)
    w = np.stack([_cubic2(t + one, a), _cubic1(t, a), _cubic1(one - t, a), _cubic2(2 * one - t, a)], 1)
    idx = np.clip(i[:, None] - 1 + np.arange(4), 0, In - 1)
    return idx, w.astype(dtype)


def _aa_taps(mode, In, Out, scale, align_corners, dtype):
    """Antialiased weights (torch's ``_upsample_*_aa``): the filter is stretched by the downscale factor."""
    s = float(_area_scale(In, Out, align_corners, scale, dtype))
    interp = 2 if mode == "linear" else 4
    support = interp / 2 * s if s >= 1.0 else interp / 2.0
    invscale = 1.0 / s if s >= 1.0 else 1.0
    width = int(math.ceil(support)) * 2 + 1
    o = np.arange(Out)
    center = s * (o + 0.5)
    xmin = np.maximum((center - support + 0.5).astype(np.int64), 0)
    xsize = np.clip(np.minimum((center + support + 0.5).astype(np.int64), In) - xmin, 0, width)
    j = np.arange(width)
    x = (j[None, :] + xmin[:, None] - center[:, None] + 0.5) * invscale
    ax = np.abs(x)
    if mode == "linear":
        w = np.maximum(0.0, 1.0 - ax)
    else:
        a = _AA_CUBIC_A
        w = np.where(ax < 1, _cubic1(ax, a), np.where(ax < 2, _cubic2(ax, a), 0.0))
    w = np.where(j[None, :] < xsize[:, None], w, 0.0)
    total = w.sum(1, keepdims=True)
    w = np.where(total != 0, w / np.where(total != 0, total, 1), w)
    idx = np.minimum(xmin[:, None] + j[None, :], In - 1)
    return idx, w.astype(dtype)


def _take_axis(x, idx, axis):
    return np.take(x, idx, axis=axis)


def _bcast_w(w, ndim, axis):
    shape = [1] * ndim
    shape[axis] = -1
    return w.reshape(shape)


def _resample_axis(x, idx, w, axis):
    """y[.., o, ..] = sum_t w[o, t] x[.., idx[o, t], ..]."""
    if w is None:
        return _take_axis(x, idx[:, 0], axis)
    y = None
    for t in range(idx.shape[1]):
        term = _take_axis(x, idx[:, t], axis) * _bcast_w(w[:, t], x.ndim, axis)
        if y is None:
            y = term
        else:
            y += term
    return y


def _resample_axis_adjoint(g, idx, w, In, axis):
    """Adjoint of :func:`_resample_axis`: scatter-add ``w * g`` back to ``idx`` (runs summed by reduceat)."""
    shape = list(g.shape)
    shape[axis] = In
    gx = np.zeros(shape, dtype=g.dtype)
    for t in range(idx.shape[1]):
        col = idx[:, t]
        gw = g if w is None else g * _bcast_w(w[:, t], g.ndim, axis)
        starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
        runs = np.add.reduceat(gw, starts, axis=axis) if len(starts) != len(col) else gw
        sel = [slice(None)] * g.ndim
        sel[axis] = col[starts]
        gx[tuple(sel)] += runs
    return gx


class ResampleFunction(ArrayFunction):
    """y = x resampled along each spatial axis by fixed taps;  dx = the adjoint of each axis, in reverse."""
    node_name = "UpsampleNearest2DBackward0"

    @staticmethod
    def forward(ctx, x, taps):
        d = len(taps)
        y = x
        for a in range(d - 1, -1, -1):
            idx, w = taps[a]
            y = _resample_axis(y, idx, w, x.ndim - d + a)
        ctx.taps, ctx.in_shape = taps, x.shape
        return np.ascontiguousarray(y)

    @staticmethod
    def backward(ctx, gy):
        d = len(ctx.taps)
        g = gy
        for a in range(d):
            idx, w = ctx.taps[a]
            ax = gy.ndim - d + a
            g = _resample_axis_adjoint(g, idx, w, ctx.in_shape[ax], ax)
        return g, None


_RESAMPLE = {}


def _resample_fn(name):
    fn = _RESAMPLE.get(name)
    if fn is None:
        fn = _RESAMPLE[name] = type(name.replace("Backward0", "Function"), (ResampleFunction,),
                                    {"node_name": name})
    return fn


_NODE_NAMES = {("nearest", 1): "UpsampleNearest1DBackward0", ("nearest", 2): "UpsampleNearest2DBackward0",
               ("nearest", 3): "UpsampleNearest3DBackward0",
               ("nearest-exact", 1): "UpsampleNearestExact1DBackward0",
               ("nearest-exact", 2): "UpsampleNearestExact2DBackward0",
               ("nearest-exact", 3): "UpsampleNearestExact3DBackward0",
               ("linear", 1): "UpsampleLinear1DBackward0", ("bilinear", 2): "UpsampleBilinear2DBackward0",
               ("trilinear", 3): "UpsampleTrilinear3DBackward0", ("bicubic", 2): "UpsampleBicubic2DBackward0"}
_NEEDS = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}


# ---------------------------------------------------------------------- interpolate
def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Down/up-sample ``input`` (N, C, *spatial) to ``size`` or by ``scale_factor``.

    .. math::
        y[n, c, o_1, \\ldots] = \\sum_{t_1, \\ldots} w_{t_1}(o_1) \\cdots \\, x[n, c, i_{t_1}(o_1), \\ldots]

    Along each axis, with ``scale = In / Out`` (or ``1 / scale_factor`` when given and not recomputed):

    * ``nearest``: ``i = min(floor(o * scale), In - 1)``; ``nearest-exact``: ``floor((o + 0.5) * scale)``.
    * ``linear``/``bilinear``/``trilinear``: ``src = scale (o + 0.5) - 0.5`` clamped at 0 (or
      ``o (In - 1) / (Out - 1)`` with ``align_corners=True``), weights ``1 - frac(src)`` and ``frac(src)``.
    * ``bicubic``: the four neighbours of ``src`` (clamped to the border) with Keys' cubic, a = -0.75.
    * ``area``: adaptive average pooling to the output size.
    * ``antialias=True`` (bilinear/bicubic): the filter is widened by the downscale factor and normalised.

    Args:
        input: 3-D (N, C, W), 4-D (N, C, H, W) or 5-D (N, C, D, H, W).
        size: output spatial size (int or tuple). scale_factor: multiplier (float or tuple). Exactly one.
        mode: ``'nearest'`` | ``'nearest-exact'`` | ``'linear'`` | ``'bilinear'`` | ``'bicubic'`` |
            ``'trilinear'`` | ``'area'``. Default: ``'nearest'``.
        align_corners: for the interpolating modes, map the corner pixels' centres onto each other.
            Default: False.
        recompute_scale_factor: compute the output size, then the scale from it (instead of the given factor).
        antialias: antialiasing for bilinear/bicubic downsampling of 4-D inputs. Default: False.

    Shape:
        (N, C, *S_in) -> (N, C, *S_out), ``S_out = size`` or ``floor(S_in * scale_factor)``.

    Example:
        >>> y = interpolate(numtorch.randn(1, 3, 4, 4), scale_factor=2, mode='bilinear')   # (1, 3, 8, 8)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    x = input._data
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = x.ndim - 2
    spatial = list(x.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {spatial} and output size of {size}. Please provide "
                                 "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                                 "format.")
            if not all(_is_int(s) for s in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            out_size = [int(s) for s in size]
        else:
            out_size = [int(size)] * max(dim, 0)
    elif scale_factor is not None:
        out_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {spatial} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * max(dim, 0)
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out_size = [int(s * f) for s, f in zip(spatial, scales)]
        scales = None
    if antialias and not (mode in ("bilinear", "bicubic") and x.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                         "4-D tensor as input")
    known = ("nearest", "nearest-exact", "area", "linear", "bilinear", "trilinear", "bicubic")
    if mode not in known or x.ndim not in (3, 4, 5) or (mode in _NEEDS and x.ndim != _NEEDS[mode]):
        if mode in _NEEDS and x.ndim in (3, 4, 5):
            raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs {_NEEDS[mode]}D input")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {x.ndim}D) for the "
                                  "modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if out_size is None:
        out_size = [int(s * f) for s, f in zip(spatial, scales)]
    if mode == "area":
        return {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}[dim](input, out_size)
    if any(s <= 0 for s in spatial) or any(o <= 0 for o in out_size):
        names = ("D", "H", "W")[3 - dim:]
        ins = ", ".join(f"{n}: {s}" for n, s in zip(names, spatial))
        outs = ", ".join(f"{n}: {s}" for n, s in zip(names, out_size))
        sep = " and output" if dim == 1 else " output"
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({ins}){sep} ({outs})")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"upsample_{mode.replace('-', '_')}{dim}d\" not implemented for "
                                  f"'{torch_type_name(x.dtype)}'")
    kind = {"nearest": "nearest", "nearest-exact": "nearest-exact", "bicubic": "cubic"}.get(mode, "linear")
    # half precision: coordinates and weights in float32 as torch's (its opmath type), then rounded once
    tap_dtype = np.dtype(np.float32) if x.dtype == np.float16 else x.dtype
    taps = tuple(_axis_taps(kind, s_in, s_out, None if scales is None else scales[a], align_corners, antialias,
                            tap_dtype)
                 for a, (s_in, s_out) in enumerate(zip(spatial, out_size)))
    if tap_dtype != x.dtype:
        taps = tuple((i, None if w is None else w.astype(x.dtype)) for i, w in taps)
    name = _NODE_NAMES[(mode, dim)]
    if antialias:
        name = name.replace("2DBackward0", "2DAaBackward0")
    return _resample_fn(name).apply(input, taps)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (warns, as torch does).

    .. math::
        y = \\text{interpolate}(x, \\text{size}, \\text{scale\\_factor}, \\text{mode}, \\text{align\\_corners})
    """
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: :func:`interpolate` with ``mode='nearest'``.

    .. math::
        y[o] = x[\\lfloor o \\cdot In / Out \\rfloor]
    """
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: :func:`interpolate` with ``mode='bilinear'`` and ``align_corners=True``.

    .. math::
        src = o \\, (In - 1) / (Out - 1)
    """
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------- pixel (un)shuffle
class PixelShuffleFunction(ArrayFunction):
    """y[.., c, h r + i, w r + j] = x[.., c r^2 + i r + j, h, w];  dx = the inverse permutation of g."""
    node_name = "PixelShuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        lead, (C, H, W) = x.shape[:-3], x.shape[-3:]
        c = C // (r * r)
        n = len(lead)
        y = x.reshape(lead + (c, r, r, H, W))
        y = y.transpose(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
        ctx.r, ctx.shape = r, x.shape
        return np.ascontiguousarray(y).reshape(lead + (c, H * r, W * r))

    @staticmethod
    def backward(ctx, gy):
        return _unshuffle(gy, ctx.r), None


def _unshuffle(x, r):
    lead, (C, H, W) = x.shape[:-3], x.shape[-3:]
    h, w = H // r, W // r
    n = len(lead)
    y = x.reshape(lead + (C, h, r, w, r))
    y = y.transpose(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return np.ascontiguousarray(y).reshape(lead + (C * r * r, h, w))


class PixelUnshuffleFunction(ArrayFunction):
    """y[.., c r^2 + i r + j, h, w] = x[.., c, h r + i, w r + j];  dx = the inverse permutation of g."""
    node_name = "PixelUnshuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _unshuffle(x, r)

    @staticmethod
    def backward(ctx, gy):
        lead, (C, H, W) = gy.shape[:-3], gy.shape[-3:]
        c = C // (ctx.r * ctx.r)
        r = ctx.r
        n = len(lead)
        g = gy.reshape(lead + (c, r, r, H, W)).transpose(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
        return np.ascontiguousarray(g).reshape(lead + (c, H * r, W * r)), None


def _check_factor(input, f, op, what):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not _is_int(f):
        raise TypeError(f"{op}(): argument '{what}' (position 2) must be int, not {type(f).__name__}")
    if input._data.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input with "
                           f"{input._data.ndim} dimension(s)")
    if f <= 0:
        raise RuntimeError(f"{op} expects a positive {what}, but got {f}")


def pixel_shuffle(input, upscale_factor):
    """Rearrange (*, C r^2, H, W) into (*, C, H r, W r) (sub-pixel convolution's shuffle).

    .. math::
        \\text{out}[\\ldots, c, h r + i, w r + j] = \\text{in}[\\ldots, c r^2 + i r + j, h, w]

    Args:
        upscale_factor: r.

    Shape:
        (*, C r^2, H, W) -> (*, C, H r, W r).

    Example:
        >>> pixel_shuffle(numtorch.randn(1, 8, 3, 3), 2).shape   # (1, 2, 6, 6)
    """
    _check_factor(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    C = input._data.shape[-3]
    r2 = upscale_factor * upscale_factor
    if C % r2:
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={C} is not divisible by {r2}")
    return PixelShuffleFunction.apply(input, int(upscale_factor))


def pixel_unshuffle(input, downscale_factor):
    """Rearrange (*, C, H r, W r) into (*, C r^2, H, W): the inverse of :func:`pixel_shuffle`.

    .. math::
        \\text{out}[\\ldots, c r^2 + i r + j, h, w] = \\text{in}[\\ldots, c, h r + i, w r + j]

    Args:
        downscale_factor: r.

    Shape:
        (*, C, H r, W r) -> (*, C r^2, H, W).

    Example:
        >>> pixel_unshuffle(numtorch.randn(1, 2, 6, 6), 2).shape   # (1, 8, 3, 3)
    """
    _check_factor(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    H, W = input._data.shape[-2:]
    r = downscale_factor
    if H % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={H} is not divisible by {r}")
    if W % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={W} is not divisible by {r}")
    return PixelUnshuffleFunction.apply(input, int(r))


# ---------------------------------------------------------------------- affine_grid / grid_sample
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


def _linspace_from_neg_one(n, align_corners, dtype):
    """The normalised pixel-centre coordinates of an axis of ``n`` pixels (torch's affine_grid base)."""
    if n <= 1:
        return np.zeros(1, dtype=dtype)
    r = np.linspace(-1, 1, n, dtype=dtype)
    if not align_corners:
        r = r * dtype.type((n - 1) / n)
    return r


class AffineGridFunction(ArrayFunction):
    """grid[n, ..., :] = theta[n] @ (x, y[, z], 1);  dtheta[n] = sum over pixels of g (x, y[, z], 1)^T."""
    node_name = "AffineGridGeneratorBackward0"

    @staticmethod
    def forward(ctx, theta, spatial, align_corners):
        dt = theta.dtype
        axes = [_linspace_from_neg_one(n, align_corners, dt) for n in spatial[::-1]]   # x (W) first
        mesh = np.meshgrid(*axes[::-1], indexing="ij")                                 # (D,) H, W order
        base = np.stack([m for m in mesh[::-1]] + [np.ones_like(mesh[0])], -1)         # (..., x, y[, z], 1)
        base = base.reshape(-1, base.shape[-1])
        ctx.base = base
        grid = np.matmul(base, theta.transpose(0, 2, 1))                              # (N, P, k)
        return grid.reshape((theta.shape[0],) + tuple(spatial) + (theta.shape[1],))

    @staticmethod
    def backward(ctx, g):
        N, k = g.shape[0], g.shape[-1]
        return np.matmul(g.reshape(N, -1, k).transpose(0, 2, 1), ctx.base), None, None


def affine_grid(theta, size, align_corners=None):
    """Sampling grid of an affine map, for :func:`grid_sample`.

    .. math::
        \\text{grid}[n, h, w] = \\theta_n \\, (x_w, y_h, 1)^T,\\quad x_w = -1 + \\frac{2 w + 1}{W}
        \\ (\\text{or } -1 + \\frac{2 w}{W - 1} \\text{ with align\\_corners})

    Args:
        theta: (N, 2, 3) for 2-D or (N, 3, 4) for 3-D transforms.
        size: the target output size (N, C, H, W) or (N, C, D, H, W).
        align_corners: normalised -1 and 1 are the corner pixels' centres (True) or edges (False). Default: False.

    Shape:
        (N, 2, 3) -> (N, H, W, 2);  (N, 3, 4) -> (N, D, H, W, 3).

    Example:
        >>> g = affine_grid(numtorch.eye(2, 3)[None], (1, 1, 4, 4), align_corners=False)   # identity grid
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid(): argument 'theta' (position 1) must be Tensor, not {type(theta).__name__}")
    size = tuple(int(s) for s in size)
    t = theta._data
    if t.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if t.ndim != 3 or t.shape[-2:] != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"{theta.shape}.")
    elif len(size) == 5:
        if t.ndim != 3 or t.shape[-2:] != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"{theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    if t.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, "
                           f"{t.shape[-1]}] but got: [{t.shape[0]}, {t.shape[-1]}].")
    return AffineGridFunction.apply(theta, size[2:], bool(align_corners))


def _unnormalize(coord, size, align_corners):
    """Normalised [-1, 1] -> pixel coordinate, and d(pixel)/d(normalised)."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1), (size - 1) / 2
    return ((coord + 1) * size - 1) / 2, size / 2


def _reflect(c, twice_low, twice_high):
    """torch's reflect_coordinates with the sign of its derivative."""
    if twice_low == twice_high:
        return np.zeros_like(c), np.zeros_like(c)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = c - lo
    sign = np.where(c < 0, -1.0, 1.0).astype(c.dtype)
    c = np.abs(c)
    extra = np.fmod(c, span)
    flips = np.floor(c / span)
    even = np.mod(flips, 2) == 0
    return np.where(even, extra + lo, span - extra + lo), np.where(even, sign, -sign)


def _clip(c, size):
    grad = ((c > 0) & (c < size - 1)).astype(c.dtype)
    return np.clip(c, 0, size - 1), grad


def _source_coordinates(coord, size, padding_mode, align_corners):
    """Pixel coordinate of a normalised grid coordinate after padding, and its derivative."""
    c, d = _unnormalize(coord, size, align_corners)
    d = np.full_like(c, d)
    if padding_mode == "border":
        c, g = _clip(c, size)
        d = d * g
    elif padding_mode == "reflection":
        c, g1 = _reflect(c, 0, 2 * (size - 1)) if align_corners else _reflect(c, -1, 2 * size - 1)
        c, g2 = _clip(c, size)
        d = d * g1 * g2
    return c, d


def _read_taps(flat, pos, valid):
    """Values ``flat[n, c, pos[n, p]]`` of one tap for every output point, zero where the tap is outside."""
    return np.take_along_axis(flat, pos[:, None, :], axis=2) * valid[:, None, :].astype(flat.dtype)


def _scatter_taps(gf, taps, n_in, dtype):
    """Adjoint of the tap reads: add ``gf[n, c, p] * w[n, p]`` into input position ``pos[n, p]`` for every
    ``(pos, w)`` in ``taps`` (``w`` already zero outside); returns the flat ``(N, C, n_in)`` gradient."""
    N, C, _ = gf.shape
    acc = np.zeros(N * C * n_in, dtype=np.float64)
    base = (np.arange(N * C, dtype=np.int64) * n_in).reshape(N, C, 1)
    for pos, w in taps:
        acc += np.bincount((base + pos[:, None, :]).ravel(), weights=(gf * w[:, None, :]).ravel(), minlength=acc.size)
    return acc.astype(dtype).reshape(N, C, n_in)


class GridSampleFunction(ArrayFunction):
    """out[n, c, p] = sum over the corners k of w_k(grid[n, p]) x[n, c, corner_k] (bilinear; one corner when
    nearest);  dx = scatter-add of g w_k;  dgrid = sum_c g x[corner_k] dw_k / dgrid."""
    node_name = "GridSampler2DBackward0"

    @staticmethod
    def forward(ctx, x, grid, mode, padding_mode, align_corners):
        N, C, H, W = x.shape
        Ho, Wo = grid.shape[1:3]
        ix, dx_ = _source_coordinates(grid[..., 0].reshape(N, -1), W, padding_mode, align_corners)
        iy, dy_ = _source_coordinates(grid[..., 1].reshape(N, -1), H, padding_mode, align_corners)
        flat = x.reshape(N, C, H * W)
        if mode == "nearest":
            corners = [(np.rint(ix).astype(np.int64), np.rint(iy).astype(np.int64), None)]
        else:
            x0 = np.floor(ix).astype(np.int64)
            y0 = np.floor(iy).astype(np.int64)
            fx, fy = ix - x0, iy - y0
            one = x.dtype.type(1)
            corners = [(x0, y0, ((one - fx) * (one - fy), -(one - fy), -(one - fx))),
                       (x0 + 1, y0, (fx * (one - fy), one - fy, -fx)),
                       (x0, y0 + 1, ((one - fx) * fy, -fy, one - fx)),
                       (x0 + 1, y0 + 1, (fx * fy, fy, fx))]
        out = np.zeros((N, C, Ho * Wo), dtype=x.dtype)
        taken = []
        for cx, cy, wts in corners:
            valid = (cx >= 0) & (cx < W) & (cy >= 0) & (cy < H)
            pos = np.where(valid, cy * W + cx, 0)
            v = _read_taps(flat, pos, valid)
            out += v if wts is None else v * wts[0][:, None, :]
            taken.append((pos, valid, v))
        ctx.save_for_backward(x)
        ctx.corners, ctx.taken, ctx.d = corners, taken, (dx_, dy_)
        ctx.shape, ctx.mode = (N, C, H, W, Ho, Wo), mode
        return out.reshape(N, C, Ho, Wo)

    @staticmethod
    def backward(ctx, g):
        N, C, H, W, Ho, Wo = ctx.shape
        need_x, need_grid = ctx.needs_input_grad[:2]
        gf = g.reshape(N, C, Ho * Wo)
        gx = ggrid = None
        if need_x:
            taps = ((pos, valid.astype(g.dtype) if wts is None else wts[0] * valid)
                    for (_, _, wts), (pos, valid, _) in zip(ctx.corners, ctx.taken))
            gx = _scatter_taps(gf, taps, H * W, g.dtype).reshape(N, C, H, W)
        if need_grid:
            gix = np.zeros((N, Ho * Wo), dtype=g.dtype)
            giy = np.zeros((N, Ho * Wo), dtype=g.dtype)
            if ctx.mode != "nearest":
                for (cx, cy, wts), (pos, valid, v) in zip(ctx.corners, ctx.taken):
                    s = (gf * v).sum(axis=1)
                    gix += s * wts[1]
                    giy += s * wts[2]
            dx_, dy_ = ctx.d
            ggrid = np.stack([gix * dx_, giy * dy_], -1).astype(g.dtype).reshape(N, Ho, Wo, 2)
        return gx, ggrid, None, None, None


def _pad_tap(c, size, padding_mode, align_corners):
    """Where an integer tap coordinate ``c`` (as float) reads from under ``padding_mode``: border clamps,
    reflection mirrors then clamps, zeros leaves it (reads outside are zero)."""
    if padding_mode == "border":
        return np.clip(c, 0, size - 1)
    if padding_mode == "reflection":
        c = (_reflect(c, 0, 2 * (size - 1)) if align_corners else _reflect(c, -1, 2 * size - 1))[0]
        return np.clip(c, 0, size - 1)
    return c


def _cubic_weights(t, a):
    """Keys' cubic weights of the taps at -1, 0, 1, 2 for a fractional position ``t``, and their d/dt.

    With :math:`k_1(x) = (a+2)x^3 - (a+3)x^2 + 1` (|x| <= 1) and :math:`k_2(x) = a x^3 - 5a x^2 + 8a x - 4a`
    (1 < |x| < 2) the weights are :math:`k_2(1+t), k_1(t), k_1(1-t), k_2(2-t)`.
    """
    one = t.dtype.type(1)
    w = [_cubic2(t + one, a), _cubic1(t, a), _cubic1(one - t, a), _cubic2(2 * one - t, a)]

    def d1(x):   # k_1'(x)
        return (3 * (a + 2) * x - 2 * (a + 3)) * x

    def d2(x):   # k_2'(x)
        return (3 * a * x - 10 * a) * x + 8 * a
    return w, [d2(t + one), d1(t), -d1(one - t), -d2(2 * one - t)]


class GridSampleBicubicFunction(ArrayFunction):
    """out[n, c, p] = sum over the 4x4 taps (i, j) of wx_i wy_j x[n, c, pad(y0 - 1 + j), pad(x0 - 1 + i)],
    with Keys' cubic weights (a = -0.75) of the fractional source position; padding is applied to each tap.
    dx scatters g wx_i wy_j back to the taps; dgrid = sum g x[tap] (wx_i' wy_j, wx_i wy_j') times the
    unnormalising factor."""
    node_name = "GridSampler2DBackward0"

    @staticmethod
    def forward(ctx, x, grid, padding_mode, align_corners):
        N, C, H, W = x.shape
        Ho, Wo = grid.shape[1:3]
        ix, dx_ = _unnormalize(grid[..., 0].reshape(N, -1), W, align_corners)
        iy, dy_ = _unnormalize(grid[..., 1].reshape(N, -1), H, align_corners)
        x0, y0 = np.floor(ix), np.floor(iy)
        a = x.dtype.type(_CUBIC_A)
        wx, dwx = _cubic_weights((ix - x0).astype(x.dtype), a)
        wy, dwy = _cubic_weights((iy - y0).astype(x.dtype), a)
        flat = x.reshape(N, C, H * W)
        out = np.zeros((N, C, Ho * Wo), dtype=x.dtype)
        taps = []
        for j in range(4):
            ty = _pad_tap(y0 - 1 + j, H, padding_mode, align_corners).astype(np.int64)
            for i in range(4):
                tx = _pad_tap(x0 - 1 + i, W, padding_mode, align_corners).astype(np.int64)
                valid = (tx >= 0) & (tx < W) & (ty >= 0) & (ty < H)
                pos = np.where(valid, ty * W + tx, 0)
                v = _read_taps(flat, pos, valid)
                out += v * (wx[i] * wy[j])[:, None, :]
                taps.append((i, j, pos, valid, v))
        ctx.save_for_backward(x)
        ctx.data = (wx, wy, dwx, dwy, taps, dx_, dy_)
        ctx.shape = (N, C, H, W, Ho, Wo)
        return out.reshape(N, C, Ho, Wo)

    @staticmethod
    def backward(ctx, g):
        N, C, H, W, Ho, Wo = ctx.shape
        wx, wy, dwx, dwy, taps, dx_, dy_ = ctx.data
        need_x, need_grid = ctx.needs_input_grad[:2]
        gf = g.reshape(N, C, Ho * Wo)
        gx = ggrid = None
        if need_x:
            gx = _scatter_taps(gf, ((pos, wx[i] * wy[j] * valid) for i, j, pos, valid, _ in taps), H * W,
                               g.dtype).reshape(N, C, H, W)
        if need_grid:
            gix = np.zeros((N, Ho * Wo), dtype=g.dtype)
            giy = np.zeros((N, Ho * Wo), dtype=g.dtype)
            for i, j, pos, valid, v in taps:
                s = (gf * v).sum(axis=1)
                gix += s * dwx[i] * wy[j]
                giy += s * wx[i] * dwy[j]
            ggrid = np.stack([gix * dx_, giy * dy_], -1).astype(g.dtype).reshape(N, Ho, Wo, 2)
        return gx, ggrid, None, None


class GridSample3dFunction(ArrayFunction):
    """Volumetric grid sampling: out[n, c, p] = sum over the 8 corners k of w_k x[n, c, z_k, y_k, x_k] with
    trilinear weights w_k = prod over the axes of (1 - f) or f (one corner when nearest); dx scatters g w_k back;
    dgrid = sum_c g x[corner_k] dw_k / d(x, y, z), times the unnormalising and padding factors."""
    node_name = "GridSampler3DBackward0"

    @staticmethod
    def forward(ctx, x, grid, mode, padding_mode, align_corners):
        N, C, D, H, W = x.shape
        Do, Ho, Wo = grid.shape[1:4]
        sizes = (W, H, D)                                    # grid's (x, y, z) index (W, H, D)
        src = [_source_coordinates(grid[..., k].reshape(N, -1), sizes[k], padding_mode, align_corners)
               for k in range(3)]
        flat = x.reshape(N, C, D * H * W)
        one = x.dtype.type(1)
        corners = []
        if mode == "nearest":
            corners.append(([np.rint(c).astype(np.int64) for c, _ in src], None))
        else:
            base = [np.floor(c).astype(np.int64) for c, _ in src]
            frac = [c - b for (c, _), b in zip(src, base)]
            for offs in itertools.product((0, 1), repeat=3):
                factors = [f if o else one - f for f, o in zip(frac, offs)]
                w = factors[0] * factors[1] * factors[2]
                # d w / d coordinate k: the other two factors, signed by the corner's side on axis k
                dw = [(1 if offs[k] else -1) * factors[(k + 1) % 3] * factors[(k + 2) % 3] for k in range(3)]
                corners.append(([b + o for b, o in zip(base, offs)], (w, dw)))
        out = np.zeros((N, C, Do * Ho * Wo), dtype=x.dtype)
        taken = []
        for (cx, cy, cz), wts in corners:
            valid = (cx >= 0) & (cx < W) & (cy >= 0) & (cy < H) & (cz >= 0) & (cz < D)
            pos = np.where(valid, (cz * H + cy) * W + cx, 0)
            v = _read_taps(flat, pos, valid)
            out += v if wts is None else v * wts[0][:, None, :]
            taken.append((pos, valid, v, wts))
        ctx.save_for_backward(x)
        ctx.taken, ctx.d = taken, [d for _, d in src]
        ctx.shape = (N, C, D, H, W, Do, Ho, Wo)
        return out.reshape(N, C, Do, Ho, Wo)

    @staticmethod
    def backward(ctx, g):
        N, C, D, H, W, Do, Ho, Wo = ctx.shape
        need_x, need_grid = ctx.needs_input_grad[:2]
        P = Do * Ho * Wo
        gf = g.reshape(N, C, P)
        gx = ggrid = None
        if need_x:
            taps = ((pos, valid.astype(g.dtype) if wts is None else wts[0] * valid)
                    for pos, valid, _, wts in ctx.taken)
            gx = _scatter_taps(gf, taps, D * H * W, g.dtype).reshape(N, C, D, H, W)
        if need_grid:
            gi = [np.zeros((N, P), dtype=g.dtype) for _ in range(3)]
            for _, _, v, wts in ctx.taken:
                if wts is None:
                    continue
                s = (gf * v).sum(axis=1)
                for k in range(3):
                    gi[k] += s * wts[1][k]
            ggrid = np.stack([gi[k] * ctx.d[k] for k in range(3)], -1).astype(g.dtype).reshape(N, Do, Ho, Wo, 3)
        return gx, ggrid, None, None, None


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` at the normalised locations of ``grid`` (spatial transformer networks).

    .. math::
        \\text{out}[n, c, h, w] = \\sum_{k \\in \\text{corners}} w_k \\, \\text{input}[n, c, y_k, x_k],\\quad
        (x, y) = \\text{unnormalise}(\\text{grid}[n, h, w])

    with bilinear weights (or the nearest pixel, or bicubic weights over 4x4 pixels), and out-of-range pixels
    read as zeros, the border value, or the reflection inside the image (``padding_mode``).

    Args:
        input: (N, C, H_in, W_in). grid: (N, H_out, W_out, 2) with (x, y) in [-1, 1].
        mode: ``'bilinear'`` | ``'nearest'`` | ``'bicubic'`` (a 4x4 neighbourhood with Keys' cubic,
            a = -0.75). Default: ``'bilinear'``.
        padding_mode: ``'zeros'`` | ``'border'`` | ``'reflection'``. Default: ``'zeros'``.
        align_corners: -1 and 1 are the corner pixels' centres (True) or edges (False). Default: False.

    Shape:
        (N, C, H_in, W_in), (N, H_out, W_out, 2) -> (N, C, H_out, W_out).

    Example:
        >>> g = affine_grid(numtorch.eye(2, 3)[None], (1, 1, 4, 4), align_corners=False)
        >>> y = grid_sample(numtorch.randn(1, 1, 4, 4), g, align_corners=False)   # the input again
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    for name, t in (("input", input), ("grid", grid)):
        if not isinstance(t, Tensor):
            raise TypeError(f"grid_sample(): argument '{name}' must be Tensor, not {type(t).__name__}")
    x, gr = input._data, grid._data
    xs, gs = "[" + ", ".join(map(str, x.shape)) + "]", "[" + ", ".join(map(str, gr.shape)) + "]"
    # torch's order: batch size, grid's last dimension, then the number of dimensions
    if x.ndim == 0 or gr.ndim == 0 or x.shape[0] != gr.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {xs} and grid with sizes {gs}")
    if gr.shape[-1] != x.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {x.ndim - 2} in last dimension, but got grid "
                           f"with sizes {gs}")
    if x.ndim != gr.ndim or x.ndim not in (4, 5):
        raise RuntimeError(f"grid_sampler(): expected 4D input and grid with same number of dimensions, but got "
                           f"input with sizes {xs} and grid with sizes {gs}")
    if x.dtype != gr.dtype:
        raise RuntimeError(f"expected scalar type {torch_type_name(x.dtype)} but found {torch_type_name(gr.dtype)}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"grid_sampler_2d_cpu_kernel_impl\" not implemented for "
                                  f"'{torch_type_name(x.dtype)}'")
    if x.ndim == 5:
        if mode == "bicubic":
            raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
        return GridSample3dFunction.apply(input, grid, mode, padding_mode, bool(align_corners))
    if mode == "bicubic":
        return GridSampleBicubicFunction.apply(input, grid, padding_mode, bool(align_corners))
    return GridSampleFunction.apply(input, grid, mode, padding_mode, bool(align_corners))
