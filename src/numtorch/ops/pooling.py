"""Pooling: max/avg/adaptive/Lp pooling over 1-3 spatial dimensions, and max-unpooling.

Every window op loops over the kernel taps, each tap being one strided slice of the (padded) input that is
vectorised over batch, channels and all output positions (the im2col view of :mod:`.conv`, reduced tap by tap
instead of materialised):

* **max pooling** pads with ``-inf``, reduces ``max`` over the taps, and records for every output the first
  tap (in window order, as torch) that attains the maximum; ``NaN`` wins as in torch. Backward scatters the
  output gradient to those taps through the same slices (an assignment when windows cannot overlap).
* **average pooling** sums the taps and divides by torch's per-window divisor; backward spreads
  ``g / divisor`` back through the same slices.
* **adaptive average pooling** is separable: along each spatial axis it multiplies by a fixed averaging matrix
  ``P[o, i] = 1 / (end_o - start_o)`` for ``start_o <= i < end_o`` with ``start_o = floor(o In / Out)`` and
  ``end_o = ceil((o + 1) In / Out)``; backward multiplies by ``P^T``.
* **adaptive max pooling** gathers each window (padded to the largest window by repeating its last element)
  and reduces as max pooling does; backward scatter-adds to the recorded flat indices.
"""
import numbers

import numpy as np

from .._tensor import Tensor
from ..autograd.function import ArrayFunction
from ._util import torch_type_name

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "max_unpool1d",
           "max_unpool2d", "lp_pool1d", "lp_pool2d"]
#: names also exported at numtorch's top level (torch.<name>), besides nn.functional.
#: (torch.adaptive_max_pool1d returns a tuple unlike F.adaptive_max_pool1d, so it is left out.)
TOP_LEVEL = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "avg_pool1d",
             "adaptive_avg_pool1d"]

_WORD = {1: "one", 2: "two", 3: "three"}


# ---------------------------------------------------------------------- window geometry
def _pool_out_size(S, k, s, p, dil, ceil):
    """torch's pooling output size; with ``ceil_mode`` the last window must start inside input or left pad."""
    num = S + 2 * p - dil * (k - 1) - 1 + (s - 1 if ceil else 0)
    o = num // s + 1
    if ceil and (o - 1) * s >= S + p:
        o -= 1
    return o


class _Window:
    """Taps of a pooling window over the last ``d`` axes: sizes, padding, and the slice each tap reads."""

    def __init__(self, S, k, stride, pad, dil, O):
        self.S, self.k, self.stride, self.pad, self.dil, self.O = S, k, stride, pad, dil, O
        self.d = len(S)
        # high-side padding so that every tap slice stays inside the buffer (ceil_mode windows may overhang)
        self.hi = tuple(max(0, (o - 1) * st + dl * (kk - 1) + 1 - s - p)
                        for o, st, dl, kk, s, p in zip(O, stride, dil, k, S, pad))
        self.taps = list(np.ndindex(*k))
        self.K = len(self.taps)

    def padded(self):
        return any(self.pad) or any(self.hi)

    def overlapping(self):
        return any(st < dl * (kk - 1) + 1 for st, dl, kk in zip(self.stride, self.dil, self.k))

    def pad_input(self, x, fill):
        """``x`` padded on its last ``d`` axes (``pad`` before, ``pad + hi`` after) with ``fill``."""
        if not self.padded():
            return x
        lead = x.shape[:-self.d]
        Sp = tuple(s + p + h for s, p, h in zip(self.S, self.pad, self.hi))
        xp = np.full(lead + Sp, fill, dtype=x.dtype)
        xp[self.interior()] = x
        return xp

    def interior(self):
        return (Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(self.pad, self.S))

    def tap(self, t):
        """The slice of the padded input that tap ``t`` reads, for every output position."""
        return (Ellipsis,) + tuple(slice(ti * dl, ti * dl + st * (o - 1) + 1, st)
                                   for ti, dl, st, o in zip(t, self.dil, self.stride, self.O))

    def positions(self, axis, t):
        """Input coordinate read by tap index ``t`` along spatial ``axis``, per output position (1-D)."""
        return np.arange(self.O[axis]) * self.stride[axis] - self.pad[axis] + t * self.dil[axis]

    def _bcast(self, axis, v):
        shape = [1] * self.d
        shape[axis] = -1
        return v.reshape(shape)

    def valid(self, t):
        """Boolean (broadcastable to O) mask: tap ``t`` reads a real input element, not padding."""
        m = None
        for ax in range(self.d):
            pos = self.positions(ax, t[ax])
            v = self._bcast(ax, (pos >= 0) & (pos < self.S[ax]))
            m = v if m is None else m & v
        return m

    def flat_index(self, arg):
        """Flat index within the input plane of the tap ``arg`` chose at every output position (int64)."""
        plane = [int(np.prod(self.S[ax + 1:], dtype=np.int64)) for ax in range(self.d)]
        base = 0
        for ax in range(self.d):
            base = base + self._bcast(ax, (np.arange(self.O[ax]) * self.stride[ax] - self.pad[ax]) * plane[ax])
        offs = np.array([sum(t[ax] * self.dil[ax] * plane[ax] for ax in range(self.d)) for t in self.taps],
                        dtype=np.int64)
        return (np.take(offs, arg) + base).astype(np.int64, copy=False)


def _lowest(dtype):
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def _route(g, mask, out=None):
    """``g`` where ``mask``, else 0. A multiply (fast) unless ``g`` holds inf/NaN (``inf * 0`` would be NaN)."""
    if g.dtype.kind == "f" and not np.isfinite(g).all():
        r = np.where(mask, g, g.dtype.type(0))
        if out is None:
            return r
        out[...] = r
        return out
    return np.multiply(g, mask, out=out)


def _scatter_taps(gy, arg, win, shape, dtype):
    """Adjoint of "pick tap ``arg`` of each window": route each output gradient to the input it came from."""
    gxp_shape = shape[:-win.d] + tuple(s + p + h for s, p, h in zip(win.S, win.pad, win.hi))
    gxp = np.zeros(gxp_shape, dtype=dtype)
    overlap = win.overlapping()
    for t_i, t in enumerate(win.taps):
        sl = gxp[win.tap(t)]
        if overlap:
            sl += _route(gy, arg == t_i)
        else:   # every input element belongs to at most one window: write instead of add
            _route(gy, arg == t_i, out=sl)
    if win.padded():
        return np.ascontiguousarray(gxp[win.interior()])
    return gxp


# ---------------------------------------------------------------------- max pooling
def _arg_dtype(K):
    return np.uint8 if K <= 255 else np.int32


def _first_valid_tap(win):
    """Per output position, the first tap (row-major) that reads a real input element: torch's initial index."""
    flat = 0
    for ax in range(win.d):
        first = np.maximum(0, -((np.arange(win.O[ax]) * win.stride[ax] - win.pad[ax]) // win.dil[ax]))
        flat = flat * win.k[ax] + win._bcast(ax, first)
    return flat


def _max_over_taps(x, win, need_arg):
    """Max over the window taps of ``x`` and, if asked, the first tap attaining it (torch's order and NaNs).

    Like torch's kernel: start from the first real (unpadded) tap with ``-inf``, and move to a later tap only
    if it is strictly greater; a NaN wins, and the last NaN of a window is kept.
    """
    lowest = _lowest(x.dtype)
    xp = win.pad_input(x, lowest)
    taps = [xp[win.tap(t)] for t in win.taps]
    best = np.array(taps[0], copy=True)
    if not need_arg:
        for v in taps[1:]:
            np.maximum(best, v, out=best)
        return best, None
    dt = _arg_dtype(win.K)
    if win.padded():
        best[...] = lowest
        arg = np.broadcast_to(_first_valid_tap(win), best.shape).astype(dt)
        start = 0
    else:
        arg = np.zeros(best.shape, dtype=dt)
        start = 1
    for t_i in range(start, win.K):
        v = taps[t_i]
        upd = v > best
        np.maximum(best, v, out=best)
        np.maximum(arg, upd * dt(t_i), out=arg)   # taps only increase: the latest strict improvement wins
    if best.dtype.kind == "f":
        nan = np.isnan(best)
        if nan.any():  # torch keeps the last NaN of the window
            for t_i in range(win.K):
                np.copyto(arg, t_i, where=nan & np.isnan(taps[t_i]))
    return best, arg


class MaxPoolFunction(ArrayFunction):
    """y = max over each window;  dx[argmax] += g  (the first maximum in window order, as torch)."""
    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, win, return_indices):
        need_arg = ctx.needs_input_grad[0] or return_indices
        y, arg = _max_over_taps(x, win, need_arg)
        ctx.win, ctx.shape, ctx.dtype = win, x.shape, x.dtype
        if ctx.needs_input_grad[0]:
            ctx.arg = arg
        if return_indices:
            idx = win.flat_index(arg)
            ctx.mark_non_differentiable(idx)
            return y, idx
        return y

    @staticmethod
    def backward(ctx, gy, gidx=None):
        return _scatter_taps(gy, ctx.arg, ctx.win, ctx.shape, ctx.dtype), None, None


class _MaxPool1dFunction(MaxPoolFunction):
    node_name = "SqueezeBackward1"  # torch runs max_pool1d as a 2-D pool on an unsqueezed input


class _MaxPool3dFunction(MaxPoolFunction):
    node_name = "MaxPool3DWithIndicesBackward0"


def _size_list(x):
    return "[" + ", ".join(str(s) for s in x) + "]"


def _pool_arg(v, d, what, op, default=None):
    """A kernel/stride/padding/dilation argument as a d-tuple, with torch's messages for a wrong length."""
    if v is None or (isinstance(v, (tuple, list)) and len(v) == 0 and default is not None):
        return default
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, tuple, list)):
        raise TypeError(f"{op}(): argument '{what}' must be tuple of ints, not {type(v).__name__}")
    if isinstance(v, numbers.Integral):
        return (int(v),) * d
    v = tuple(v)
    for e in v:
        if isinstance(e, bool) or not isinstance(e, numbers.Integral):
            raise TypeError(f"{op}(): argument '{what}' must be tuple of ints, but found element of type "
                            f"{type(e).__name__}")
    if len(v) == 1:
        return (int(v[0]),) * d
    if len(v) != d:
        if op == "max_pool1d":
            if what == "stride":
                raise RuntimeError(f"max_pool1d() stride must be None, an int, list of ints, or tuple of ints of "
                                   f"size 1 but got size {len(v)}")
            raise RuntimeError(f"max_pool1d() {what} must be an int, list of ints or tuple of ints of size 1 but "
                               f"got size {len(v)}")
        if d == 1:
            raise RuntimeError(f"{op}() argument '{what}' should contain one int (got {len(v)})")
        if what == "stride":
            raise RuntimeError(f"{op}: stride must either be omitted, a single int, or a tuple of {_WORD[d]} ints")
        if what == "dilation":
            raise RuntimeError(f"{op}: dilation must be either a single int, or a tuple of {_WORD[d]} ints")
        raise RuntimeError(f"{op}: {what} must either be a single int, or a tuple of {_WORD[d]} ints")
    return tuple(int(e) for e in v)


_AXES = {1: ("W",), 2: ("H", "W"), 3: ("T", "H", "W")}


def _check_pool(x, d, k, stride, pad, dil, ceil, op):
    """torch's checks for a window pooling (in its order); returns the output spatial size."""
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(p < 0 for p in pad):
        raise RuntimeError(f"pad must be non-negative, but got pad: {next(p for p in pad if p < 0)}")
    for p, kk, dl in zip(pad, k, dil):
        if p > ((kk - 1) * dl + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={kk} and dilation={dl}")
    ax = _AXES[max(d, 2)]
    kk, ss, dd = ((1,) + k, (1,) + stride, (1,) + dil) if d == 1 else (k, stride, dil)
    if any(v <= 0 for v in kk):
        raise RuntimeError("kernel size should be greater than zero, but got " +
                           " ".join(f"k{a}: {v}" for a, v in zip(ax, kk)))
    if any(v <= 0 for v in ss):
        raise RuntimeError("stride should be greater than zero, but got " +
                           " ".join(f"d{a}: {v}" for a, v in zip(ax, ss)))
    if any(v <= 0 for v in dd):
        raise RuntimeError("dilation should be greater than zero, but got " +
                           " ".join(f"dilation{a}: {v}" for a, v in zip(ax, dd)))
    S = x.shape[-d:]
    O = tuple(_pool_out_size(s, kk_, st, p, dl, ceil) for s, kk_, st, p, dl in zip(S, k, stride, pad, dil))
    if any(o < 1 for o in O):
        C = x.shape[-d - 1]
        s_in, s_out = (S, O) if d > 1 else ((1,) + S, (1,) + O)
        raise RuntimeError(f"Given input size: ({'x'.join(str(v) for v in (C,) + tuple(s_in))}). Calculated "
                           f"output size: ({'x'.join(str(v) for v in (C,) + tuple(s_out))}). Output size is too "
                           "small")
    return O


def _check_input(input, d, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    x = input._data
    if x.ndim not in (d + 1, d + 2):
        if d == 1:
            if op == "max_pool1d":
                raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch "
                                   f"size for input, but got:{_size_list(x.shape)}")
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor for argument #1 "
                               f"'self' (while checking arguments for {op})")
        if op.startswith("avg") and d == 2:
            raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                               f"but got:{_size_list(x.shape)}")
        raise RuntimeError(f"non-empty {d + 1}D or {d + 2}D (batch mode) tensor expected for input")
    if any(s == 0 for s in x.shape[x.ndim - d - 1:]):
        if d == 1 and op == "max_pool1d":
            raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch "
                               f"size for input, but got:{_size_list(x.shape)}")
        shown = x.shape if d > 1 else x.shape[:-1] + (1,) + x.shape[-1:]
        raise RuntimeError(f"Expected {max(d, 2) + 1}D or {max(d, 2) + 2}D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{_size_list(shown)}")
    if x.dtype == np.bool_:
        raise NotImplementedError(f"\"{op}\" not implemented for 'Bool'")
    return x


def _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, d, op):
    x = _check_input(input, d, op)
    k = _pool_arg(kernel_size, d, "kernel_size", op)
    stride = _pool_arg(stride, d, "stride", op, default=k)
    padding = _pool_arg(padding, d, "padding", op)
    dilation = _pool_arg(dilation, d, "dilation", op)
    if d == 1 and not return_indices:
        _check_pool1d(k, stride, padding, dilation, x, ceil_mode)
        if x.dtype.kind != "f":
            raise NotImplementedError(f"\"max_pool1d_impl\" not implemented for '{torch_type_name(x.dtype)}'")
    O = _check_pool(x, d, k, stride, padding, dilation, ceil_mode, op)
    win = _Window(x.shape[-d:], k, stride, padding, dilation, O)
    fn = {1: _MaxPool1dFunction, 2: MaxPoolFunction, 3: _MaxPool3dFunction}[d]
    return fn.apply(input, win, bool(return_indices))


def _check_pool1d(k, stride, pad, dil, x, ceil):
    """max_pool1d's own messages (torch's 1-D fast path without indices)."""
    (k,), (s,), (p,), (dl,) = k, stride, pad, dil
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    if dl <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {dl}")
    o = _pool_out_size(x.shape[-1], k, s, p, dl, ceil)
    if o < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {o}")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling over an input of shape (N, C, L) or (C, L).

    .. math::
        \\text{out}(N_i, C_j, l) = \\max_{m=0}^{k-1} \\text{input}(N_i, C_j, s \\cdot l + d \\cdot m - p)

    Args:
        kernel_size: window size k.
        stride: window step s. Default: ``kernel_size``.
        padding: implicit ``-inf`` padding p on both sides, at most half the effective kernel. Default: 0.
        dilation: spacing d between window elements. Default: 1.
        ceil_mode: round the output size up (the last window must start inside the input or left padding).
        return_indices: also return the flat index of each maximum (for :func:`max_unpool1d`).

    Shape:
        (N, C, L_in) -> (N, C, L_out), ``L_out = floor((L_in + 2 p - d (k - 1) - 1) / s) + 1`` (ceil in ceil_mode).

    Example:
        >>> y = max_pool1d(numtorch.randn(2, 3, 8), 2)   # (2, 3, 4)
    """
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling over an input of shape (N, C, H, W) or (C, H, W).

    .. math::
        \\text{out}(N_i, C_j, h, w) = \\max_{m=0}^{kH-1} \\max_{n=0}^{kW-1}
        \\text{input}(N_i, C_j, sH \\cdot h + dH \\cdot m - pH, sW \\cdot w + dW \\cdot n - pW)

    Ties go to the first maximum in window (row-major) order and a NaN in a window wins, as in torch.

    Args:
        kernel_size: window size (int or (kH, kW)).
        stride: window step. Default: ``kernel_size``.
        padding: implicit ``-inf`` padding on both sides, at most half the effective kernel. Default: 0.
        dilation: spacing between window elements. Default: 1.
        ceil_mode: round output sizes up (the last window must start inside the input or left padding).
        return_indices: also return each maximum's flat index ``h * W + w`` in its input plane.

    Shape:
        (N, C, H_in, W_in) -> (N, C, H_out, W_out), ``H_out = floor((H_in + 2 pH - dH (kH - 1) - 1) / sH) + 1``.

    Example:
        >>> y, idx = max_pool2d(numtorch.randn(1, 1, 4, 4), 2, return_indices=True)   # (1, 1, 2, 2) each
    """
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-D max pooling over an input of shape (N, C, D, H, W) or (C, D, H, W).

    .. math::
        \\text{out}(N_i, C_j, t, h, w) = \\max_{a, b, c}
        \\text{input}(N_i, C_j, s_T t + d_T a - p_T, s_H h + d_H b - p_H, s_W w + d_W c - p_W)

    Args:
        kernel_size, stride (default ``kernel_size``), padding, dilation: int or 3-tuple.
        ceil_mode: round output sizes up. return_indices: also return flat indices ``(t H + h) W + w``.

    Shape:
        (N, C, D_in, H_in, W_in) -> (N, C, D_out, H_out, W_out), each as for :func:`max_pool2d`.

    Example:
        >>> y = max_pool3d(numtorch.randn(1, 2, 4, 4, 4), 2)   # (1, 2, 2, 2, 2)
    """
    return _max_poolnd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3, "max_pool3d")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """:func:`max_pool1d` that always returns ``(values, indices)``.

    .. math::
        (\\text{out}, \\text{idx}) = (\\max_{\\text{window}} x, \\operatorname{argmax}_{\\text{window}} x)
    """
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """:func:`max_pool2d` that always returns ``(values, indices)``.

    .. math::
        (\\text{out}, \\text{idx}) = (\\max_{\\text{window}} x, \\operatorname{argmax}_{\\text{window}} x)
    """
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """:func:`max_pool3d` that always returns ``(values, indices)``.

    .. math::
        (\\text{out}, \\text{idx}) = (\\max_{\\text{window}} x, \\operatorname{argmax}_{\\text{window}} x)
    """
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---------------------------------------------------------------------- average pooling
def _avg_divisor(win, count_include_pad, divisor_override, dtype):
    """torch's divisor per output position (broadcastable to O)."""
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype=dtype)
    div = None
    for ax in range(win.d):
        start = np.arange(win.O[ax]) * win.stride[ax] - win.pad[ax]
        end = np.minimum(start + win.k[ax], win.S[ax] + win.pad[ax])
        if count_include_pad:
            n = end - start
        else:
            n = np.minimum(end, win.S[ax]) - np.maximum(start, 0)
        n = win._bcast(ax, n)
        div = n if div is None else div * n
    return div.astype(dtype)


class AvgPoolFunction(ArrayFunction):
    """y = (sum over each window) / divisor;  dx = each window's g / divisor, summed over the windows."""
    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, win, count_include_pad, divisor_override):
        xp = win.pad_input(x, 0)
        taps = [xp[win.tap(t)] for t in win.taps]
        acc = x.dtype if x.dtype.kind == "f" else np.int64
        s = np.array(taps[0], dtype=acc, copy=True)
        for v in taps[1:]:
            s += v
        if x.dtype.kind == "f":
            div = _avg_divisor(win, count_include_pad, divisor_override, x.dtype)
            s /= div
            y = s
        else:  # integer inputs: C++ integer division, truncating toward zero
            div = _avg_divisor(win, count_include_pad, divisor_override, np.int64)
            y = (np.sign(s) * (np.abs(s) // div)).astype(x.dtype)
        ctx.win, ctx.shape, ctx.div = win, x.shape, div
        return y

    @staticmethod
    def backward(ctx, gy):
        win = ctx.win
        gs = gy / ctx.div
        gxp_shape = ctx.shape[:-win.d] + tuple(s + p + h for s, p, h in zip(win.S, win.pad, win.hi))
        overlap = win.overlapping()
        gxp = np.zeros(gxp_shape, dtype=gy.dtype)
        for t in win.taps:
            sl = gxp[win.tap(t)]
            if overlap:
                sl += gs
            else:
                sl[...] = gs
        if win.padded():
            gxp = np.ascontiguousarray(gxp[win.interior()])
        return gxp, None, None, None


class _AvgPool1dFunction(AvgPoolFunction):
    node_name = "SqueezeBackward1"


class _AvgPool3dFunction(AvgPoolFunction):
    node_name = "AvgPool3DBackward0"


def _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, d, op):
    x = _check_input(input, d, op)
    k = _pool_arg(kernel_size, d, "kernel_size", op)
    stride = _pool_arg(stride, d, "stride", op, default=k)
    padding = _pool_arg(padding, d, "padding", op)
    dil = (1,) * d
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if d == 3:
        if any(s == 0 for s in stride):
            raise RuntimeError("stride should not be zero")
        S = x.shape[-3:]
        if any(p < 0 for p in padding):
            raise RuntimeError(f"pad must be non-negative, but got pad: {next(p for p in padding if p < 0)}")
        for p, kk in zip(padding, k):
            if p > kk // 2:
                raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                                   f"kernel_size={kk} and dilation=1")
        if any(s < kk for s, kk in zip(S, k)):  # torch compares the unpadded input with the kernel
            raise RuntimeError(f"input image (T: {S[0]} H: {S[1]} W: {S[2]}) smaller than kernel size "
                               f"(kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    O = _check_pool(x, d, k, stride, padding, dil, ceil_mode, op)
    if d == 3 and x.dtype == np.float16:  # torch's CPU kernel has no half-precision version
        raise NotImplementedError("\"avg_pool3d_out_frame\" not implemented for 'Half'")
    win = _Window(x.shape[-d:], k, stride, padding, dil, O)
    fn = {1: _AvgPool1dFunction, 2: AvgPoolFunction, 3: _AvgPool3dFunction}[d]
    return fn.apply(input, win, bool(count_include_pad), divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over an input of shape (N, C, L) or (C, L).

    .. math::
        \\text{out}(N_i, C_j, l) = \\frac{1}{\\text{divisor}} \\sum_{m=0}^{k-1} \\text{input}(N_i, C_j, s l + m - p)

    The divisor is the window size clipped to the padded input (``count_include_pad=True``) or the number of
    real input elements in the window (``False``).

    Args:
        kernel_size: window size k. stride: step s (default ``kernel_size``). padding: zero padding p (<= k/2).
        ceil_mode: round the output size up. count_include_pad: count zero padding in the divisor. Default: True.

    Shape:
        (N, C, L_in) -> (N, C, L_out), ``L_out = floor((L_in + 2 p - k) / s) + 1``.

    Example:
        >>> y = avg_pool1d(numtorch.randn(2, 3, 7), 3, stride=2)   # (2, 3, 3)
    """
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling over an input of shape (N, C, H, W) or (C, H, W).

    .. math::
        \\text{out}(N_i, C_j, h, w) = \\frac{1}{\\text{divisor}} \\sum_{m=0}^{kH-1} \\sum_{n=0}^{kW-1}
        \\text{input}(N_i, C_j, sH h + m - pH, sW w + n - pW)

    Args:
        kernel_size, stride (default ``kernel_size``), padding (zeros, <= k/2): int or (h, w).
        ceil_mode: round output sizes up. count_include_pad: count zero padding in the divisor. Default: True.
        divisor_override: if given, the divisor for every window.

    Shape:
        (N, C, H_in, W_in) -> (N, C, H_out, W_out), ``H_out = floor((H_in + 2 pH - kH) / sH) + 1``.

    Example:
        >>> y = avg_pool2d(numtorch.randn(1, 3, 8, 8), 2)   # (1, 3, 4, 4)
    """
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2,
                       "avg_pool2d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-D average pooling over an input of shape (N, C, D, H, W) or (C, D, H, W).

    .. math::
        \\text{out}(N_i, C_j, t, h, w) = \\frac{1}{\\text{divisor}} \\sum_{a, b, c}
        \\text{input}(N_i, C_j, s_T t + a - p_T, s_H h + b - p_H, s_W w + c - p_W)

    Args:
        as :func:`avg_pool2d`, with 3-tuples.

    Shape:
        (N, C, D_in, H_in, W_in) -> (N, C, D_out, H_out, W_out).

    Example:
        >>> y = avg_pool3d(numtorch.randn(1, 2, 4, 4, 4), 2)   # (1, 2, 2, 2, 2)
    """
    return _avg_poolnd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3,
                       "avg_pool3d")


# ---------------------------------------------------------------------- Lp pooling
class LpPoolFunction(ArrayFunction):
    """y = (K * avg_pool(x^p))^(1/p);  dx = g * y^(1-p) * x^(p-1) over each window (0 where the sum is 0)."""
    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, win, p):
        out_dtype = x.dtype
        if x.dtype == np.float16:  # torch's kernels compute each step of half precision in float32
            x = x.astype(np.float32)
        dtype = x.dtype
        p = dtype.type(p)
        with np.errstate(invalid="ignore", divide="ignore"):
            xpow = x ** p
            xp = win.pad_input(xpow, 0)
            s = np.array(xp[win.tap(win.taps[0])], copy=True)
            for t in win.taps[1:]:
                s += xp[win.tap(t)]
            div = _avg_divisor(win, True, None, dtype)
            u = (s / div) * dtype.type(win.K)   # torch: avg_pool(x^p) * (kW * kH)
            y = u ** (dtype.type(1) / p)
        ctx.win, ctx.p, ctx.div = win, p, div
        ctx.save_for_backward(x)
        ctx.u, ctx.y = u, y
        return y.astype(out_dtype, copy=False)

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        win, p, u, y = ctx.win, ctx.p, ctx.u, ctx.y
        out_dtype = gy.dtype
        gy = gy.astype(x.dtype, copy=False)
        dtype = x.dtype
        with np.errstate(invalid="ignore", divide="ignore"):
            # dy/du = (1/p) u^(1/p - 1) = y / (p u), negative u too (torch's sign(u) relu(|u|) is u there);
            # its relu(|u|) passes no gradient where u == 0
            gu = np.where(u != 0, gy * y / (p * u), dtype.type(0)).astype(dtype, copy=False)
            gs = gu * dtype.type(win.K) / ctx.div
            gxp = np.zeros(x.shape[:-win.d] + tuple(s + q + h for s, q, h in zip(win.S, win.pad, win.hi)),
                           dtype=dtype)
            for t in win.taps:
                gxp[win.tap(t)] += gs
            g_pow = gxp[win.interior()] if win.padded() else gxp
            gx = g_pow * p * x ** (p - 1)
        return gx.astype(out_dtype, copy=False), None, None


def _lp_poolnd(input, norm_type, kernel_size, stride, ceil_mode, d, op):
    x = _check_input(input, d, op)
    k = _pool_arg(kernel_size, d, "kernel_size", op)
    stride = _pool_arg(stride, d, "stride", op, default=k)
    O = _check_pool(x, d, k, stride, (0,) * d, (1,) * d, ceil_mode, op)
    win = _Window(x.shape[-d:], k, stride, (0,) * d, (1,) * d, O)
    return LpPoolFunction.apply(input, win, float(norm_type))


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling: the p-norm of each window.

    .. math::
        \\text{out} = \\Big(\\sum_{x \\in \\text{window}} x^{p}\\Big)^{1/p}

    Args:
        norm_type: p. kernel_size: window size. stride: default ``kernel_size``. ceil_mode: round up.

    Shape:
        (N, C, L_in) -> (N, C, L_out), ``L_out = floor((L_in - k) / s) + 1``.

    Example:
        >>> y = lp_pool1d(numtorch.rand(1, 2, 6), 2, 3)   # (1, 2, 2)
    """
    out = _lp_poolnd(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")
    if isinstance(kernel_size, (tuple, list)) and norm_type not in (float("inf"), -float("inf")):
        # torch's lp_pool1d pools first, then calls out.mul(kernel_size), which refuses a tuple
        raise TypeError(f"mul(): argument 'other' (position 1) must be Tensor, not {type(kernel_size).__name__}")
    return out


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling: the p-norm of each window.

    .. math::
        \\text{out} = \\Big(\\sum_{x \\in \\text{window}} x^{p}\\Big)^{1/p}

    Args:
        norm_type: p. kernel_size: int or (kH, kW). stride: default ``kernel_size``. ceil_mode: round up.

    Shape:
        (N, C, H_in, W_in) -> (N, C, H_out, W_out), ``H_out = floor((H_in - kH) / sH) + 1``.

    Example:
        >>> y = lp_pool2d(numtorch.rand(1, 2, 6, 6), 2, 3)   # (1, 2, 2, 2)
    """
    return _lp_poolnd(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")


# ---------------------------------------------------------------------- adaptive pooling
def _adaptive_bounds(In, Out):
    """torch's adaptive windows: start = floor(o In / Out), end = ceil((o + 1) In / Out)."""
    o = np.arange(Out, dtype=np.int64)
    start = (o * In) // Out
    end = -((-(o + 1) * In) // Out)
    return start, end


def _averaging_matrix(In, Out, dtype):
    """P[o, i] = 1 / (end_o - start_o) for start_o <= i < end_o: adaptive averaging along one axis."""
    start, end = _adaptive_bounds(In, Out)
    i = np.arange(In)
    inside = (i >= start[:, None]) & (i < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _apply_along(x, P, axis):
    """Contract axis ``axis`` of ``x`` with the rows of ``P`` (shape (Out, In)): the result has Out there."""
    moved = np.moveaxis(x, axis, -1)
    return np.moveaxis(np.matmul(moved, P.T), -1, axis)


class AdaptiveAvgPoolFunction(ArrayFunction):
    """y = P_1 x P_2^T ... (one averaging matrix per spatial axis);  dx = P_1^T g P_2 ..."""
    node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out_size):
        d = len(out_size)
        mats = [_averaging_matrix(s, o, x.dtype) for s, o in zip(x.shape[-d:], out_size)]
        y = x
        for ax in range(d - 1, -1, -1):
            y = _apply_along(y, mats[ax], x.ndim - d + ax)
        ctx.mats = mats
        return np.ascontiguousarray(y)

    @staticmethod
    def backward(ctx, gy):
        mats = ctx.mats
        d = len(mats)
        g = gy
        for ax in range(d):
            g = _apply_along(g, mats[ax].T, gy.ndim - d + ax)
        return np.ascontiguousarray(g), None


class _AdaptiveAvgPool1dFunction(AdaptiveAvgPoolFunction):
    node_name = "SqueezeBackward1"


class _AdaptiveAvgPool3dFunction(AdaptiveAvgPoolFunction):
    node_name = "AdaptiveAvgPool3DBackward0"


class _GlobalAvgPoolFunction(ArrayFunction):
    """y = mean over the spatial axes (adaptive average pooling to size 1);  dx = g / count."""
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, d):
        axes = tuple(range(x.ndim - d, x.ndim))
        ctx.shape, ctx.n = x.shape, int(np.prod(x.shape[-d:]))
        return x.mean(axis=axes, keepdims=True)

    @staticmethod
    def backward(ctx, gy):
        return np.broadcast_to(gy / gy.dtype.type(ctx.n), ctx.shape), None


def _adaptive_size(output_size, x, d, op):
    if isinstance(output_size, numbers.Integral) and not isinstance(output_size, bool):
        size = (int(output_size),) * d
    else:
        size = tuple(output_size)
        if len(size) == 1 and d > 1:
            size = size * d
        if d == 1 and len(size) != 1:
            raise RuntimeError(f"{op}() argument 'output_size' should contain one int (got {len(size)})")
        if d == 1 and size[0] is None:  # torch's 1-d functions take ints only
            raise TypeError(f"{op}(): argument 'output_size' (position 2) must be tuple of ints, but found element "
                            f"of type NoneType at pos 0")
        if len(size) != d:
            if op.startswith("adaptive_max"):
                raise RuntimeError(f"{op}(): internal error: output_size.size() must be {d}")
            raise RuntimeError(f"{op}: output_size must be {d}")
    # None keeps the input's size along that axis
    return tuple(x.shape[x.ndim - d + i] if s is None else int(s) for i, s in enumerate(size))


def _check_adaptive_input(input, d, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    x = input._data
    if x.ndim not in (d + 1, d + 2):
        if d == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor for argument #1 "
                               f"'self' (while checking arguments for {op})")
        sep = ": " if op.startswith("adaptive_max") else " "
        raise RuntimeError(f"{op}(): Expected {d + 1}D or {d + 2}D tensor, but got{sep}{_size_list(x.shape)}")
    for i in range(x.ndim - d, x.ndim):
        if x.shape[i] == 0:
            if d == 1 and op.startswith("adaptive_avg"):
                shown, dim = x.shape[:-1] + (1,) + x.shape[-1:], i + 1
                raise RuntimeError(f"adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
                                   f"dimensions, but input has sizes {_size_list(shown)} with dimension {dim} being "
                                   "empty")
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {_size_list(x.shape)} with dimension {i} being empty")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{op if d > 1 else op.replace('1d', '2d')}\" not implemented for "
                                  f"'{torch_type_name(x.dtype)}'")
    return x


def _adaptive_avg_poolnd(input, output_size, d, op):
    x = _check_adaptive_input(input, d, op)
    size = _adaptive_size(output_size, x, d, op)
    if any(s < 0 for s in size):
        shown = size if d > 1 else (1,) + size
        raise RuntimeError(f"adaptive_avg_pool{max(d, 2)}d: elements of output_size must be greater than or equal "
                           f"to 0 but received {{{', '.join(str(s) for s in shown)}}}")
    if all(s == 1 for s in size) and d > 1:
        return _GlobalAvgPoolFunction.apply(input, d)
    fn = {1: _AdaptiveAvgPool1dFunction, 2: AdaptiveAvgPoolFunction, 3: _AdaptiveAvgPool3dFunction}[d]
    return fn.apply(input, size)


def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling to a fixed output length.

    .. math::
        \\text{out}(N_i, C_j, o) = \\frac{1}{e_o - s_o} \\sum_{i=s_o}^{e_o - 1} \\text{input}(N_i, C_j, i),\\quad
        s_o = \\lfloor o L_{in} / L_{out} \\rfloor,\\ e_o = \\lceil (o + 1) L_{in} / L_{out} \\rceil

    Args:
        output_size: L_out (an int).

    Shape:
        (N, C, L_in) -> (N, C, L_out).

    Example:
        >>> y = adaptive_avg_pool1d(numtorch.randn(2, 3, 10), 4)   # (2, 3, 4)
    """
    return _adaptive_avg_poolnd(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input, output_size):
    """2-D adaptive average pooling to a fixed output size.

    .. math::
        \\text{out}(N_i, C_j, h, w) = \\text{mean}\\,\\text{input}(N_i, C_j, s_h{:}e_h, s_w{:}e_w),\\quad
        s_o = \\lfloor o \\, In / Out \\rfloor,\\ e_o = \\lceil (o + 1) In / Out \\rceil

    Args:
        output_size: int or (H_out, W_out); ``None`` keeps that input size.

    Shape:
        (N, C, H_in, W_in) -> (N, C, H_out, W_out).

    Example:
        >>> y = adaptive_avg_pool2d(numtorch.randn(1, 3, 7, 9), (2, 3))   # (1, 3, 2, 3)
    """
    return _adaptive_avg_poolnd(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input, output_size):
    """3-D adaptive average pooling to a fixed output size.

    .. math::
        \\text{out}(N_i, C_j, t, h, w) = \\text{mean}\\,\\text{input}(N_i, C_j, s_t{:}e_t, s_h{:}e_h, s_w{:}e_w)

    Args:
        output_size: int or (D_out, H_out, W_out); ``None`` keeps that input size.

    Shape:
        (N, C, D_in, H_in, W_in) -> (N, C, D_out, H_out, W_out).

    Example:
        >>> y = adaptive_avg_pool3d(numtorch.randn(1, 2, 4, 5, 6), 2)   # (1, 2, 2, 2, 2)
    """
    return _adaptive_avg_poolnd(input, output_size, 3, "adaptive_avg_pool3d")


class AdaptiveMaxPoolFunction(ArrayFunction):
    """y = max over each adaptive window;  dx[argmax] += g."""
    node_name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out_size, return_indices):
        d = len(out_size)
        S = x.shape[-d:]
        lead = x.shape[:-d]
        # per axis: the input index read by window-tap t of output o (windows padded by repeating their end)
        idx = []
        for s, o in zip(S, out_size):
            start, end = _adaptive_bounds(s, o)
            kmax = int((end - start).max()) if o else 1
            idx.append(np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1))
        # gather to (*lead, O_1, k_1, ..., O_d, k_d)
        g = x
        for ax in range(d - 1, -1, -1):
            a = len(lead) + ax
            g = np.take(g, idx[ax], axis=a)
        # move the tap axes after the output axes: (*lead, O_1..O_d, k_1..k_d)
        nl = len(lead)
        order = tuple(range(nl)) + tuple(nl + 2 * i for i in range(d)) + tuple(nl + 2 * i + 1 for i in range(d))
        g = g.transpose(order)
        ks = tuple(i.shape[1] for i in idx)
        taps = list(np.ndindex(*ks))
        tap_views = [g[(Ellipsis,) + t] for t in taps]
        best = np.array(tap_views[0], copy=True)
        arg = np.zeros(best.shape, dtype=np.int32)
        for t_i in range(1, len(taps)):   # a later tap wins only if strictly greater (repeats never do)
            v = tap_views[t_i]
            upd = v > best
            np.maximum(best, v, out=best)
            np.maximum(arg, upd * np.int32(t_i), out=arg)
        nan = np.isnan(best)
        if nan.any():
            for t_i in range(len(taps)):
                np.copyto(arg, t_i, where=nan & np.isnan(tap_views[t_i]))
        # flat index within the input plane
        plane = [int(np.prod(S[a + 1:], dtype=np.int64)) for a in range(d)]
        tap_coord = np.array(taps, dtype=np.int64).reshape(len(taps), d)
        flat = np.zeros(best.shape, dtype=np.int64)
        for a in range(d):
            shape = [1] * d
            shape[a] = -1
            o_idx = np.arange(out_size[a]).reshape(shape)
            flat += idx[a][o_idx, tap_coord[arg, a]] * plane[a]
        ctx.flat, ctx.shape, ctx.nd = flat, x.shape, d
        if return_indices:
            ctx.mark_non_differentiable(flat)
            return best, flat
        return best

    @staticmethod
    def backward(ctx, gy, gidx=None):
        # scatter-add into the flat input (windows may overlap): one bincount over (plane, index) pairs
        shape, d = ctx.shape, ctx.nd
        lead = shape[:len(shape) - d]
        planes = int(np.prod(lead, dtype=np.int64))
        P = int(np.prod(shape[len(lead):], dtype=np.int64))
        offs = (np.arange(planes, dtype=np.int64) * P).reshape(lead + (1,) * d)
        gx = np.bincount((ctx.flat + offs).ravel(), weights=gy.ravel(), minlength=planes * P)
        return gx.astype(gy.dtype, copy=False).reshape(shape), None, None


class _AdaptiveMaxPool1dFunction(AdaptiveMaxPoolFunction):
    node_name = "SqueezeBackward1"


def _adaptive_max_poolnd(input, output_size, return_indices, d, op):
    x = _check_adaptive_input(input, d, op)
    size = _adaptive_size(output_size, x, d, op)
    if any(s < 0 for s in size):
        shown = x.shape[:-d] + (size if d > 1 else (1,) + size) if d == 1 else x.shape[:-d] + size
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {_size_list(shown)}")
    fn = _AdaptiveMaxPool1dFunction if d == 1 else AdaptiveMaxPoolFunction
    return fn.apply(input, size, bool(return_indices))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D adaptive max pooling to a fixed output length.

    .. math::
        \\text{out}(N_i, C_j, o) = \\max_{s_o \\le i < e_o} \\text{input}(N_i, C_j, i),\\quad
        s_o = \\lfloor o L_{in} / L_{out} \\rfloor,\\ e_o = \\lceil (o + 1) L_{in} / L_{out} \\rceil

    Args:
        output_size: L_out. return_indices: also return the index of each maximum.

    Shape:
        (N, C, L_in) -> (N, C, L_out).

    Example:
        >>> y = adaptive_max_pool1d(numtorch.randn(2, 3, 10), 4)   # (2, 3, 4)
    """
    return _adaptive_max_poolnd(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-D adaptive max pooling to a fixed output size.

    .. math::
        \\text{out}(N_i, C_j, h, w) = \\max \\text{input}(N_i, C_j, s_h{:}e_h, s_w{:}e_w)

    Args:
        output_size: int or (H_out, W_out) (``None`` keeps that size). return_indices: also return flat indices.

    Shape:
        (N, C, H_in, W_in) -> (N, C, H_out, W_out).

    Example:
        >>> y = adaptive_max_pool2d(numtorch.randn(1, 3, 7, 9), (2, 3))   # (1, 3, 2, 3)
    """
    return _adaptive_max_poolnd(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool1d` that always returns ``(values, indices)``.

    .. math::
        (\\text{out}, \\text{idx}) = (\\max_{s_o \\le i < e_o} x_i, \\operatorname{argmax}_{s_o \\le i < e_o} x_i)
    """
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool2d` that always returns ``(values, indices)``.

    .. math::
        (\\text{out}, \\text{idx}) = (\\max_{s_o \\le i < e_o} x_i, \\operatorname{argmax}_{s_o \\le i < e_o} x_i)
    """
    return adaptive_max_pool2d(input, output_size, True)


# ---------------------------------------------------------------------- max unpooling
class MaxUnpoolFunction(ArrayFunction):
    """y = zeros; y[plane, indices] = x;  dx = g[plane, indices]."""
    node_name = "MaxUnpool2DBackward0"

    @staticmethod
    def forward(ctx, x, idx, out_size):
        d = len(out_size)
        lead = x.shape[:-d]
        P = int(np.prod(out_size, dtype=np.int64))
        flat = lead + (int(np.prod(x.shape[-d:], dtype=np.int64)),)  # explicit sizes: lead may hold a 0
        xf = x.reshape(flat)
        idf = idx.reshape(flat)
        y = np.zeros(lead + (P,), dtype=x.dtype)
        if P:  # an empty output volume receives nothing (torch does not look at the indices then)
            np.put_along_axis(y, idf, xf, axis=-1)
        ctx.idf, ctx.in_shape, ctx.P = idf, x.shape, P
        return y.reshape(lead + tuple(out_size))

    @staticmethod
    def backward(ctx, gy):
        lead = ctx.in_shape[:len(ctx.idf.shape) - 1]
        if not ctx.P:
            if ctx.idf.size:  # torch gathers the gradient at the indices, out of bounds of an empty volume
                raise RuntimeError(f"index {int(ctx.idf.flat[0])} is out of bounds for dimension {len(lead)} with "
                                   f"size 0")
            return np.zeros(ctx.in_shape, gy.dtype), None, None
        gf = gy.reshape(lead + (ctx.P,))
        return np.take_along_axis(gf, ctx.idf, axis=-1).reshape(ctx.in_shape), None, None


class _MaxUnpool1dFunction(MaxUnpoolFunction):
    node_name = "SqueezeBackward1"


def _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, d, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(indices, Tensor):
        raise TypeError(f"{op}(): argument 'indices' (position 2) must be Tensor, not {type(indices).__name__}")
    k = _pool_arg(kernel_size, d, "kernel_size", op)
    stride = _pool_arg(stride, d, "stride", op, default=k)
    padding = _pool_arg(padding, d, "padding", op)
    x, idx = input._data, indices._data
    default = [(x.shape[x.ndim - d + i] - 1) * stride[i] + k[i] - 2 * padding[i] for i in range(d)] \
        if x.ndim >= d else [0] * d
    if output_size is None:
        size = default
    else:
        size = list(output_size)
        if len(size) == d + 2:
            size = size[2:]
        if len(size) != d:
            raise ValueError(f"output_size should be a sequence containing {d} or {d + 2} elements, but it has a "
                             f"length of '{len(size)}'")
        for i in range(d):
            lo, hi = default[i] - stride[i], default[i] + stride[i]
            if not lo < size[i] < hi:
                raise ValueError(f"invalid output_size \"{tuple(output_size)}\" (dim {i} must be between {lo} and "
                                 f"{hi})")
    if x.ndim not in (d + 1, d + 2) or (d == 1 and x.ndim not in (2, 3)):
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
                           f"{x.ndim + (1 if d == 1 else 0)} dimensions.")
    if idx.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {torch_type_name(idx.dtype)}")
    if idx.shape != x.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({_size_list(x.shape)})"
                           f" but got indices tensor with shape: {_size_list(idx.shape)}")
    P = int(np.prod(size, dtype=np.int64))
    if idx.size and P:
        bad = (idx < 0) | (idx >= P)
        if bad.any():
            shown = "x".join(str(s) for s in (list(size) if d > 1 else list(size) + [1]))
            raise RuntimeError(f"Found an invalid max index: {int(idx[bad].flat[-1])} (output volumes are of size "
                               f"{shown})")
    fn = _MaxUnpool1dFunction if d == 1 else MaxUnpoolFunction
    return fn.apply(input, idx, tuple(int(s) for s in size))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of :func:`max_pool1d`: put each value at its index, zeros elsewhere.

    .. math::
        \\text{out}(N_i, C_j, \\text{indices}(N_i, C_j, l)) = \\text{input}(N_i, C_j, l)

    Args:
        indices: the indices returned by ``max_pool1d(..., return_indices=True)``.
        kernel_size, stride (default ``kernel_size``), padding: those of the pooling.
        output_size: optional target size (to undo a floor in the pooling's output size).

    Shape:
        (N, C, L_in) -> (N, C, L_out), ``L_out = (L_in - 1) s - 2 p + k`` unless ``output_size`` is given.

    Example:
        >>> y, i = max_pool1d(numtorch.randn(1, 1, 8), 2, return_indices=True); x = max_unpool1d(y, i, 2)
    """
    return _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of :func:`max_pool2d`: put each value at its flat index, zeros elsewhere.

    .. math::
        \\text{out}(N_i, C_j)[\\text{indices}(N_i, C_j, h, w)] = \\text{input}(N_i, C_j, h, w)

    Args:
        indices: the indices returned by ``max_pool2d(..., return_indices=True)``.
        kernel_size, stride (default ``kernel_size``), padding: those of the pooling.
        output_size: optional (H_out, W_out) (or with N, C in front).

    Shape:
        (N, C, H_in, W_in) -> (N, C, H_out, W_out), ``H_out = (H_in - 1) sH - 2 pH + kH``.

    Example:
        >>> y, i = max_pool2d(numtorch.randn(1, 1, 4, 4), 2, return_indices=True); x = max_unpool2d(y, i, 2)
    """
    return _max_unpoolnd(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")
