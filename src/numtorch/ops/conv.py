"""Convolutions: ``conv1d/2d/3d`` and ``conv_transpose1d/2d/3d``, each one fused im2col + GEMM op.

A convolution of an input ``x`` of shape ``(N, C, *S)`` with a weight ``w`` of shape ``(C_out, C/groups, *k)``
reads, for every output position ``o`` and kernel tap ``t``, the (zero padded) input at
``o * stride - padding + t * dilation``:

.. math::
    y[n, c_o, o] = b[c_o] + \\sum_{c, t} w[c_o, c, t] \\, x_{pad}[n, g(c_o) C_g + c, o \\cdot s + t \\cdot d]

The implementation follows that formula literally (Chainer's ``im2col``):

* **im2col** copies, for every kernel tap, one strided slice of the padded input (vectorised over batch,
  channels and output positions) into a column buffer ``col[n, c, t, o]``; the taps are the axes of one
  strided window view, so a chunk of the batch is copied in a single NumPy call.
* **forward** is ONE matrix product per group: ``y = W @ col`` (contracting ``(c, t)``).
* **backward** uses the same buffers: ``grad_W = gy @ col^T``, ``grad_b = sum(gy)``, and
  ``grad_x = col2im(W^T @ gy)``, where **col2im** is the exact adjoint of im2col: a scatter-add of each
  tap's slice back through the very same strided slices.
* ``groups`` split the channel axis into ``(G, C/G)`` blocks and ``dilation`` only changes the window
  strides: neither is a special case.
* A transposed convolution is the adjoint of a convolution: its forward is the convolution's
  backward-data (col2im), its input gradient is a convolution (im2col + GEMM).
* Speed path: for stride 1 and many input channels, ``col2im(W^T @ gy)`` equals a convolution of ``gy`` with
  the flipped, transposed kernel, computed as im2col + GEMM (no scatter of short strided runs); the tests run
  both routes on the same cases.

Memory layout: the column buffer is either channels-first ``(C, *k, n, *O)`` (long contiguous runs along
the output width, best for few channels) or channels-last ``(n, *O, *k, C)`` (runs of ``k_w * C``, best for
many channels). Both hold the same logical array and feed one GEMM per chunk and group; only the copy speed
differs. The batch is processed in chunks so that a chunk's column buffer stays in cache between im2col and
its GEMM.
"""
import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._tensor import Tensor
from ..autograd.function import ArrayFunction

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
#: names also exported at numtorch's top level (torch.<name>), besides nn.functional
TOP_LEVEL = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]

#: elements of one chunk's column buffer (2 MB of float32, the L2 size): im2col of a chunk of the batch, then
#: its GEMM while it is in cache; measured best between 256K and 1M elements
_CHUNK_ELEMS = 1 << 19
#: None picks the column layout per call; tests set "cl" or "cf" to exercise both code paths
_FORCE_LAYOUT = None
#: stride-1 input gradients as a full correlation (see _conv_backward_data_correlation); tests switch it off
#: to exercise col2im on the same cases
_CORRELATION = True


# ---------------------------------------------------------------------- geometry
class _Geometry:
    """The sizes of one convolution, in the coordinates of its input.

    ``S`` input spatial size, ``k`` kernel, ``stride``, ``dil`` (dilation), ``lo``/``hi`` zero padding before
    and after, ``O`` output size: ``O = (S + lo + hi - dil * (k - 1) - 1) // stride + 1``. ``C``/``C_out``
    channels, ``G`` groups. ``cl`` chooses the channels-last column layout.
    """

    def __init__(self, S, k, stride, dil, lo, hi, C, C_out, G):
        self.S, self.k, self.stride, self.dil, self.lo, self.hi = S, k, stride, dil, lo, hi
        self.d = len(S)
        self.Sp = tuple(s + a + b for s, a, b in zip(S, lo, hi))
        self.O = tuple((sp - dl * (kk - 1) - 1) // st + 1 for sp, kk, st, dl in zip(self.Sp, k, stride, dil))
        self.C, self.C_out, self.G = C, C_out, G
        self.Cg, self.Cog = C // G, C_out // G
        self.K = int(np.prod(k, dtype=np.int64))
        self.Kg = self.Cg * self.K
        self.Ot = int(np.prod(self.O, dtype=np.int64))
        # Contiguous run of one im2col copy: along the output width (channels-first) or along the last
        # kernel axis times the channels (channels-last). Pick the longer; channels-last wins ties and
        # small outputs (its GEMM rows are the long dimension, which BLAS handles best).
        run_cf = self.O[-1] if stride[-1] == 1 else 1
        run_cl = self.Cg * (k[-1] if dil[-1] == 1 else 1)
        self.cl = run_cl >= min(run_cf, 16) if _FORCE_LAYOUT is None else _FORCE_LAYOUT == "cl"

    def padded(self):
        return any(self.lo) or any(self.hi)

    def interior(self):
        """Index of the unpadded input inside the padded buffer (logical ``(N, C, *Sp)`` axes)."""
        return (slice(None), slice(None)) + tuple(slice(a, a + s) for a, s in zip(self.lo, self.S))

    def tap_slices(self, tap):
        """The strided slice of the padded input that kernel tap ``tap`` reads for every output position."""
        return tuple(slice(t * dl, t * dl + st * (o - 1) + 1, st)
                     for t, dl, st, o in zip(tap, self.dil, self.stride, self.O))

    def chunk(self, N):
        """Batch samples per im2col chunk."""
        per = max(1, self.Kg * self.G * self.Ot)
        return max(1, min(N, _CHUNK_ELEMS // per))


def _padded_input(x, g, fill=0):
    """``x`` (N, C, *S) zero padded to (N, C, *Sp): a logical view whose memory is channels-last if ``g.cl``."""
    N = x.shape[0]
    if not g.padded() and not g.cl:
        return x
    if g.cl:
        buf = np.empty((N,) + g.Sp + (g.C,), dtype=x.dtype)
        xp = np.moveaxis(buf, -1, 1)
    else:
        xp = buf = np.empty((N, g.C) + g.Sp, dtype=x.dtype)
    if g.padded():
        _fill_border(xp, g, fill)
    xp[g.interior()] = x
    return xp


def _fill_border(xp, g, fill):
    """Write ``fill`` into the padding slabs of a padded buffer (the interior is overwritten anyway)."""
    for ax in range(g.d):
        lo, hi = g.lo[ax], g.hi[ax]
        pre = (slice(None),) * (2 + ax)
        if lo:
            xp[pre + (slice(0, lo),)] = fill
        if hi:
            xp[pre + (slice(g.Sp[ax] - hi, None),)] = fill


def _windows(xp, g):
    """The im2col view of a padded input: ``win[n, G, c, *t, *o] = xp[n, G*Cg + c, o*stride + t*dil]``.

    Each kernel tap ``t`` is one strided slice of ``xp`` (``g.tap_slices(t)``); the view stacks them without
    copying, so that one ``copyto`` performs the whole tap loop in C.
    """
    sn, sc = xp.strides[:2]
    ss = xp.strides[2:]
    shape = (xp.shape[0], g.G, g.Cg) + g.k + g.O
    strides = (sn, sc * g.Cg, sc) + tuple(s * dl for s, dl in zip(ss, g.dil)) + \
        tuple(s * st for s, st in zip(ss, g.stride))
    return as_strided(xp, shape=shape, strides=strides, writeable=False)


def _col_buffer(n, g, dtype):
    """A column buffer for ``n`` samples: ``(memory, logical view (n, G, Cg, *k, *O))``.

    Channels-first memory is ``(G, Cg, *k, n, *O)``: per group a (Kg, n*Ot) matrix whose rows are long runs
    along the output width. Channels-last memory is ``(n, *O, G, *k, Cg)``: per group the (n*Ot, Kg) matrix,
    rows of ``k_w * Cg`` contiguous elements. Either way a chunk's GEMM is one BLAS call per group.
    """
    d = g.d
    if not g.cl:
        mem = np.empty((g.G, g.Cg) + g.k + (n,) + g.O, dtype=dtype)
        # memory axes: 0 G | 1 Cg | 2..d+1 k | d+2 n | d+3..2d+2 O  ->  logical (n, G, Cg, *k, *O)
        order = (d + 2, 0, 1) + tuple(range(2, d + 2)) + tuple(range(d + 3, 2 * d + 3))
        return mem, mem.transpose(order)
    mem = np.empty((n,) + g.O + (g.G,) + g.k + (g.Cg,), dtype=dtype)
    # memory axes: 0 n | 1..d O | d+1 G | d+2..2d+1 k | 2d+2 Cg  ->  logical (n, G, Cg, *k, *O)
    order = (0, d + 1, 2 * d + 2) + tuple(range(d + 2, 2 * d + 2)) + tuple(range(1, d + 1))
    return mem, mem.transpose(order)


def _col_matrix(mem, n, g):
    """A chunk's column buffer as GEMM operand: (G, Kg, n*Ot) channels-first, (G, n*Ot, Kg) channels-last."""
    if g.cl:
        return mem.reshape(n * g.Ot, g.G, g.Kg).transpose(1, 0, 2)
    return mem.reshape(g.G, g.Kg, n * g.Ot)


def _gcol_logical(gcol, n, g):
    """Logical view (n, G, Cg, *k, *O) of a column gradient laid out as :func:`_col_matrix` (G, ...)."""
    d = g.d
    if not g.cl:
        return _col_buffer_view(gcol.reshape((g.G, g.Cg) + g.k + (n,) + g.O), g)
    mem = gcol.reshape((g.G, n) + g.O + g.k + (g.Cg,))
    # memory axes: 0 G | 1 n | 2..d+1 O | d+2..2d+1 k | 2d+2 Cg
    order = (1, 0, 2 * d + 2) + tuple(range(d + 2, 2 * d + 2)) + tuple(range(2, d + 2))
    return mem.transpose(order)


def _col_buffer_view(mem, g):
    d = g.d
    order = (d + 2, 0, 1) + tuple(range(2, d + 2)) + tuple(range(d + 3, 2 * d + 3))
    return mem.transpose(order)


def _weight_matrix(w, g):
    """The weight as the GEMM operand: (G, Cog, Cg*K) in (c, t) order, or (G, Cog, K*Cg) in (t, c) order."""
    wg = w.reshape((g.G, g.Cog, g.Cg) + g.k)
    if g.cl:
        wg = np.moveaxis(wg, 2, -1)
        return np.ascontiguousarray(wg).reshape(g.G, g.Cog, g.K * g.Cg)
    return wg.reshape(g.G, g.Cog, g.Kg)


def _weight_from_matrix(gw, g):
    """Inverse of :func:`_weight_matrix`: (G, Cog, Kg) back to the weight's (C_out, Cg, *k)."""
    if g.cl:
        gw = np.moveaxis(gw.reshape((g.G, g.Cog) + g.k + (g.Cg,)), -1, 2)
    return np.ascontiguousarray(gw).reshape((g.C_out, g.Cg) + g.k)


def _gy_matrix(gy, g):
    """A chunk (n, C_out, *O) of the output gradient as GEMM operand, contiguous:
    (G, n*Ot, Cog) channels-last, (G, Cog, n*Ot) channels-first."""
    n = gy.shape[0]
    t = gy.reshape(n, g.G, g.Cog, g.Ot)
    if g.cl:
        return np.ascontiguousarray(t.transpose(1, 0, 3, 2)).reshape(g.G, n * g.Ot, g.Cog)
    return np.ascontiguousarray(t.transpose(1, 2, 0, 3)).reshape(g.G, g.Cog, n * g.Ot)


def _chunks(N, g):
    step = g.chunk(N)
    return [(s, min(N, s + step)) for s in range(0, N, step)]


# ---------------------------------------------------------------------- the three kernels
def _conv_forward(x, w, g, keep_col, b=None):
    """y = W @ im2col(x) (+ b), chunked over the batch.

    Returns ``(y, cols)``: ``cols`` is the list of the chunks' column buffers when ``keep_col`` (for the
    weight gradient), else None.
    """
    N = x.shape[0]
    dtype = np.result_type(x.dtype, w.dtype)
    y = np.empty((N, g.C_out) + g.O, dtype=dtype)
    win = _windows(_padded_input(x, g), g)
    wm = _weight_matrix(w, g)                                     # (G, Cog, Kg)
    if g.cl:
        wm = np.ascontiguousarray(wm.transpose(0, 2, 1))          # (G, Kg, Cog)
    bias = None if b is None else b.reshape(g.G, g.Cog, 1)
    cols = [] if keep_col else None
    buf = None
    for s, e in _chunks(N, g):
        n = e - s
        if keep_col or buf is None or buf[0].size != g.G * g.Kg * n * g.Ot:
            buf = _col_buffer(n, g, dtype)
        mem, log = buf
        np.copyto(log, win[s:e])                                  # im2col: every tap's strided slice
        yv = y[s:e].reshape(n, g.G, g.Cog, g.Ot)
        if g.cl:   # (G, n*Ot, Kg) @ (G, Kg, Cog) -> (G, n*Ot, Cog)
            res = np.matmul(_col_matrix(mem, n, g), wm).reshape(g.G, n, g.Ot, g.Cog).transpose(1, 0, 3, 2)
        else:      # (G, Cog, Kg) @ (G, Kg, n*Ot) -> (G, Cog, n*Ot)
            res = np.matmul(wm, _col_matrix(mem, n, g)).reshape(g.G, g.Cog, n, g.Ot).transpose(2, 0, 1, 3)
        if bias is None:
            np.copyto(yv, res)
        else:
            np.add(res, bias, out=yv)
        if keep_col:
            cols.append(mem)
    return y, cols


def _im2col(x, g):
    """The chunks' column buffers of ``x`` (as :func:`_conv_forward` keeps them), without the GEMM."""
    win = _windows(_padded_input(x, g), g)
    cols = []
    for s, e in _chunks(x.shape[0], g):
        mem, log = _col_buffer(e - s, g, x.dtype)
        np.copyto(log, win[s:e])
        cols.append(mem)
    return cols


def _conv_backward_weight(cols, gy, g):
    """grad_W = gy @ col^T, accumulated over the batch chunks (``cols`` from the forward)."""
    gw = np.zeros((g.G, g.Cog, g.Kg), dtype=gy.dtype)
    for (s, e), mem in zip(_chunks(gy.shape[0], g), cols):
        n = e - s
        gyc = _gy_matrix(gy[s:e], g)
        col = _col_matrix(mem, n, g)
        if g.cl:   # (G, Kg, n*Ot) @ (G, n*Ot, Cog) -> (G, Kg, Cog)
            gw += np.matmul(col.transpose(0, 2, 1), gyc).transpose(0, 2, 1)
        else:      # (G, Cog, n*Ot) @ (G, n*Ot, Kg) -> (G, Cog, Kg)
            gw += np.matmul(gyc, col.transpose(0, 2, 1))
    return _weight_from_matrix(gw, g)


def _col2im(gcol_log, gxp, g):
    """Adjoint of im2col: add each tap's column slice back into the strided slice it was read from."""
    full = (slice(None), slice(None), slice(None))
    tgt = gxp.reshape((gxp.shape[0], g.G, g.Cg) + gxp.shape[2:])
    for tap in np.ndindex(*g.k):
        tgt[full + g.tap_slices(tap)] += gcol_log[full + tap]


def _conv_backward_data(gy, w, g):
    """grad_x = col2im(W^T @ gy), chunked over the batch; returns the unpadded (N, C, *S) gradient."""
    if _use_correlation(g):
        return _conv_backward_data_correlation(gy, w, g)
    N = gy.shape[0]
    dtype = gy.dtype
    if g.cl:
        gxp = np.moveaxis(np.zeros((N,) + g.Sp + (g.C,), dtype=dtype), -1, 1)
    else:
        gxp = np.zeros((N, g.C) + g.Sp, dtype=dtype)
    wm = _weight_matrix(w, g)                                     # (G, Cog, Kg)
    for s, e in _chunks(N, g):
        n = e - s
        gyc = _gy_matrix(gy[s:e], g)
        if g.cl:   # (G, n*Ot, Cog) @ (G, Cog, Kg) -> (G, n*Ot, Kg)
            gcol = np.matmul(gyc, wm)
        else:      # (G, Kg, Cog) @ (G, Cog, n*Ot) -> (G, Kg, n*Ot)
            gcol = np.matmul(wm.transpose(0, 2, 1), gyc)
        _col2im(_gcol_logical(gcol, n, g), gxp[s:e], g)
    if not g.padded() and not g.cl:
        return gxp
    return np.ascontiguousarray(gxp[g.interior()])


def _use_correlation(g):
    """Stride-1 convolutions with many input channels per group take the faster full-correlation route."""
    return _CORRELATION and all(st == 1 for st in g.stride) and g.Cg >= 16


def _conv_backward_data_correlation(gy, w, g):
    """grad_x of a stride-1 convolution as a convolution of gy with the flipped, transposed kernel.

    With stride 1 the adjoint of im2col needs no scatter: col2im(W^T gy)[s] = sum_t W[t]^T gy[s + lo - t d]
    is itself a correlation of gy (padded by d (k - 1) - lo before and d (k - 1) - hi after) with the kernel
    flipped along its taps and with input/output channels swapped, so it runs through im2col + one GEMM.
    Same value as :func:`_col2im` up to float rounding; it avoids the scatter's short strided runs.
    """
    lo2 = [dl * (kk - 1) - a for dl, kk, a in zip(g.dil, g.k, g.lo)]
    hi2 = [dl * (kk - 1) - b for dl, kk, b in zip(g.dil, g.k, g.hi)]
    crop = [slice(None), slice(None)]
    for ax in range(g.d):   # padding wider than the kernel's reach: those outputs never saw x, crop them
        a, b = max(-lo2[ax], 0), max(-hi2[ax], 0)
        crop.append(slice(a, g.O[ax] - b))
        lo2[ax], hi2[ax] = max(lo2[ax], 0), max(hi2[ax], 0)
    gy = gy[tuple(crop)]
    flip = (slice(None), slice(None), slice(None)) + (slice(None, None, -1),) * g.d
    wt = w.reshape((g.G, g.Cog, g.Cg) + g.k).swapaxes(1, 2)[flip]
    wt = np.ascontiguousarray(wt).reshape((g.C, g.Cog) + g.k)
    g2 = _Geometry(gy.shape[2:], g.k, (1,) * g.d, g.dil, tuple(lo2), tuple(hi2), g.C_out, g.C, g.G)
    return _conv_forward(gy, wt, g2, keep_col=False)[0]


def _bias_grad(gy):
    return gy.sum(axis=(0,) + tuple(range(2, gy.ndim)))


# ---------------------------------------------------------------------- Functions
class ConvNdFunction(ArrayFunction):
    """y = conv(x, w) + b by im2col + GEMM;  dW = gy @ col^T,  db = sum(gy),  dx = col2im(W^T @ gy)."""
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, g, unbatched):
        if unbatched:
            x = x[None]
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        y, cols = _conv_forward(x, w, g, keep_col=need_w, b=b)
        ctx.g, ctx.unbatched = g, unbatched
        # saved: the weight (for dx) and the chunks' column buffers (for dW); freed after backward
        ctx.save_for_backward(*(([w] if need_x else []) + (cols or [])))
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, gy):
        g = ctx.g
        if ctx.unbatched:
            gy = gy[None]
        gy = np.ascontiguousarray(gy)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        saved = ctx.saved_tensors
        gx = gw = gb = None
        if need_x:
            gx = _conv_backward_data(gy, saved[0], g)
            if ctx.unbatched:
                gx = gx[0]
        if need_w:
            gw = _conv_backward_weight(saved[1 if need_x else 0:], gy, g)
        if need_b:
            gb = _bias_grad(gy)
        return gx, gw, gb, None, None


class _ConvNdUnbatchedFunction(ConvNdFunction):
    node_name = "SqueezeBackward1"  # torch runs the batched op on x.unsqueeze(0) and squeezes the result


class EmptyConvTransposeFunction(ArrayFunction):
    """A transposed convolution of an empty batch: y = an empty (0, C_out, *out) array;  dx, dW, db = 0."""
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, out_shape):
        ctx.shapes = (x.shape, w.shape, None if b is None else b.shape)
        return np.zeros(out_shape, x.dtype)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.zeros(s, g.dtype) if s is not None and need else None
                     for s, need in zip(ctx.shapes, ctx.needs_input_grad)) + (None,)


class ConvTransposeNdFunction(ArrayFunction):
    """y = col2im(W^T @ x) + b, the adjoint of a convolution;  dx = conv(gy, W),  dW = x @ im2col(gy)^T."""
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, g, unbatched):
        # g describes the convolution whose input is this op's output and whose output is x.
        xb = x[None] if unbatched else x
        y = _conv_backward_data(np.ascontiguousarray(xb), w, g)
        if b is not None:
            y += b.reshape((-1,) + (1,) * g.d)
        ctx.g, ctx.unbatched = g, unbatched
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            ctx.save_for_backward(x, w)
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, gy):
        g = ctx.g
        if ctx.unbatched:
            gy = gy[None]
        gy = np.ascontiguousarray(gy)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = gw = gb = None
        if need_x or need_w:
            x, w = ctx.saved_tensors
            if need_x:
                gx, cols = _conv_forward(gy, w, g, keep_col=need_w)
                if ctx.unbatched:
                    gx = gx[0]
            else:
                cols = _im2col(gy, g)
            if need_w:
                gw = _conv_backward_weight(cols, x[None] if ctx.unbatched else x, g)
        if need_b:
            gb = _bias_grad(gy)
        return gx, gw, gb, None, None


class _ConvTransposeNdUnbatchedFunction(ConvTransposeNdFunction):
    node_name = "SqueezeBackward1"


# ---------------------------------------------------------------------- argument checks
def _type_error(op, name, v):
    return TypeError(f"{op}(): argument '{name}' must be tuple of ints, but found element of type "
                     f"{type(v).__name__}")


def _int_tuple(v, d, name, op):
    """An int or a sequence of ints as a d-tuple, with torch's errors for a wrong length or type."""
    if isinstance(v, bool) or not isinstance(v, (numbers.Integral, tuple, list)):
        raise _type_error(op, name, v)
    if isinstance(v, numbers.Integral):
        return (int(v),) * d
    v = list(v)
    for e in v:
        if isinstance(e, bool) or not isinstance(e, numbers.Integral):
            raise _type_error(op, name, e)
    if len(v) == 1:
        return (int(v[0]),) * d
    if len(v) != d:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {d} values to match "
                           f"the convolution dimensions, but got {name}={[int(e) for e in v]}")
    return tuple(int(e) for e in v)


def _scalar_name(dt):
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int"}.get(dt.name, dt.name)


def _sizes(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_common(input, weight, bias, d, op, transposed):
    """Type and rank checks shared by every convolution; returns whether the input is unbatched."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{op}(): argument 'bias' (position 3) must be Tensor, not {type(bias).__name__}")
    nd = input._data.ndim
    if nd not in (d + 1, d + 2):
        raise RuntimeError(f"Expected {d + 1}D (unbatched) or {d + 2}D (batched) input to {op}, but got input "
                           f"of size: {_sizes(input._data.shape)}")
    if weight._data.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    return nd == d + 1


def _check_dtypes(x, w, b):
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_word(x.dtype)} but found {_scalar_word(w.dtype)}")
    if b is not None and b.dtype != x.dtype:
        raise RuntimeError(f"Input type ({_scalar_name(x.dtype)}) and bias type ({_scalar_name(b.dtype)}) "
                           "should be the same")
    if x.dtype == np.bool_:
        raise NotImplementedError("\"slow_conv2d_cpu\" not implemented for 'Bool'")


def _scalar_word(dt):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int"}.get(
        dt.name, dt.name)


def _check_hyper(groups, padding, stride, dilation, output_padding=None):
    """torch's order: groups, padding, output_padding, stride, dilation."""
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral):
        raise TypeError(f"argument 'groups' must be int, not {type(groups).__name__}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if output_padding is not None and any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(dl < 0 for dl in dilation):
        raise RuntimeError("dilation should be greater than zero")


def _check_zero_dilation(dilation, transposed):
    """A zero dilation passes torch's early checks (the dilated kernel has size 1) and fails in the kernel."""
    if all(dl > 0 for dl in dilation):
        return
    if transposed:
        names = ("depth", "height", "width")[3 - max(len(dilation), 2):]
        vals = dilation if len(dilation) > 1 else (1,) + tuple(dilation)
        raise RuntimeError("dilation should be greater than zero, but got " +
                           ", ".join(f"dilation_{n}: {v}" for n, v in zip(names, vals)))
    vals = list(dilation) if len(dilation) > 1 else [1] + list(dilation)
    raise RuntimeError(f"dilation should be greater than zero, but got {vals}")


def _check_weight_groups(w_shape, groups):
    if w_shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but "
                           f"got weight of size {_sizes(w_shape)} instead")
    if w_shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{_sizes(w_shape)}] instead")


def _spatial(sizes):
    return " x ".join(str(s) for s in sizes)


# ---------------------------------------------------------------------- public functions
def _convnd(input, weight, bias, stride, padding, dilation, groups, d, op):
    unbatched = _check_common(input, weight, bias, d, op, False)
    x, w = input._data, weight._data
    b = None if bias is None else bias._data
    kd = w.ndim - 2
    stride = _int_tuple(stride, d, "stride", op)
    dilation = _int_tuple(dilation, d, "dilation", op)
    if isinstance(padding, str):
        if padding == "valid":
            pad_mode, padding = None, (0,) * d
        elif padding == "same":
            pad_mode, padding = "same", (0,) * d
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pad_mode = None
        padding = _int_tuple(padding, d, "padding", op)
    _check_hyper(groups, padding, stride, dilation)
    if kd != d:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {kd} values to match the "
                           f"convolution dimensions, but got stride={list(stride)}")
    xs = (1,) + x.shape if unbatched else x.shape
    _check_weight_groups(w.shape, groups)
    if xs[1] != w.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {_sizes(w.shape)}, expected input{_sizes(xs)} "
                           f"to have {w.shape[1] * groups} channels, but got {xs[1]} channels instead")
    if b is not None and (b.ndim != 1 or b.shape[0] != w.shape[0]):
        raise RuntimeError(f"Given weight of size {_sizes(w.shape)}, expected bias to be 1-dimensional with "
                           f"{w.shape[0]} elements, but got bias of size {_sizes(b.shape)} instead")
    k = w.shape[2:]
    if pad_mode == "same":
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [dl * (kk - 1) for dl, kk in zip(dilation, k)]
        lo = tuple(t // 2 for t in total)
        hi = tuple(t - t // 2 for t in total)
    else:
        lo = hi = padding
    S = xs[2:]
    padded_in = [s + a + c for s, a, c in zip(S, lo, hi)]
    eff_k = [dl * (kk - 1) + 1 for dl, kk in zip(dilation, k)]
    if any(p < e for p, e in zip(padded_in, eff_k)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_spatial(padded_in)}). Kernel size: "
                           f"({_spatial(eff_k)}). Kernel size can't be greater than actual input size")
    _check_dtypes(x, w, b)
    _check_zero_dilation(dilation, False)
    g = _Geometry(tuple(S), tuple(k), stride, dilation, lo, hi, xs[1], w.shape[0], groups)
    fn = _ConvNdUnbatchedFunction if unbatched else ConvNdFunction
    return fn.apply(input, weight, bias, g, unbatched)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over an input of shape (N, C_in, L) or (C_in, L).

    .. math::
        \\text{out}(N_i, C_{out_j}) = \\text{bias}(C_{out_j}) +
        \\sum_{k=0}^{C_{in}/G - 1} \\text{weight}(C_{out_j}, k) \\star \\text{input}(N_i, g(j) C_{in}/G + k)

    Args:
        input: (N, C_in, L) or (C_in, L).
        weight: (C_out, C_in / groups, kL).
        bias: optional (C_out,). Default: None.
        stride: int or (sL,). Default: 1.
        padding: int, (pL,), ``'valid'`` (no padding) or ``'same'`` (output length = input length, stride 1
            only; an odd total padding puts the extra element on the right). Default: 0.
        dilation: spacing between kernel taps. Default: 1.
        groups: split input and output channels into this many independent blocks. Default: 1.

    Shape:
        (N, C_in, L_in) -> (N, C_out, L_out),
        ``L_out = floor((L_in + 2 p - d (kL - 1) - 1) / s) + 1``.

    Example:
        >>> y = conv1d(numtorch.randn(2, 4, 10), numtorch.randn(8, 4, 3), padding=1)   # (2, 8, 10)
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over an input of shape (N, C_in, H, W) or (C_in, H, W).

    .. math::
        \\text{out}(N_i, C_{out_j}) = \\text{bias}(C_{out_j}) +
        \\sum_{k=0}^{C_{in}/G - 1} \\text{weight}(C_{out_j}, k) \\star \\text{input}(N_i, g(j) C_{in}/G + k)

    where :math:`\\star` is the 2-D cross-correlation with the given stride, padding and dilation.

    Args:
        input: (N, C_in, H, W) or (C_in, H, W).
        weight: (C_out, C_in / groups, kH, kW).
        bias: optional (C_out,). Default: None.
        stride: int or (sH, sW). Default: 1.
        padding: int, (pH, pW), ``'valid'`` or ``'same'`` (stride 1 only). Default: 0.
        dilation: int or (dH, dW). Default: 1.
        groups: number of blocked connections from input to output channels. Default: 1.

    Shape:
        (N, C_in, H_in, W_in) -> (N, C_out, H_out, W_out),
        ``H_out = floor((H_in + 2 pH - dH (kH - 1) - 1) / sH) + 1`` (W likewise).

    Example:
        >>> y = conv2d(numtorch.randn(8, 3, 32, 32), numtorch.randn(16, 3, 5, 5), padding=2)  # (8, 16, 32, 32)
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over an input of shape (N, C_in, D, H, W) or (C_in, D, H, W).

    .. math::
        \\text{out}(N_i, C_{out_j}) = \\text{bias}(C_{out_j}) +
        \\sum_{k=0}^{C_{in}/G - 1} \\text{weight}(C_{out_j}, k) \\star \\text{input}(N_i, g(j) C_{in}/G + k)

    Args:
        input: (N, C_in, D, H, W) or (C_in, D, H, W).
        weight: (C_out, C_in / groups, kD, kH, kW).
        bias: optional (C_out,). Default: None.
        stride, padding, dilation: int or 3-tuple (padding may also be ``'valid'`` or ``'same'``).
        groups: number of blocked connections from input to output channels. Default: 1.

    Shape:
        (N, C_in, D_in, H_in, W_in) -> (N, C_out, D_out, H_out, W_out),
        ``D_out = floor((D_in + 2 pD - dD (kD - 1) - 1) / sD) + 1`` (H, W likewise).

    Example:
        >>> y = conv3d(numtorch.randn(2, 3, 8, 8, 8), numtorch.randn(4, 3, 3, 3, 3))   # (2, 4, 6, 6, 6)
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")



def _torch_uses_onednn(xs, k, stride, dilation, groups):
    """torch's CPU heuristic for running a float32 convolution through oneDNN (its ``use_mkldnn``), with
    ``xs``/``k`` the input and kernel sizes seen as at least 2-D."""
    from .._backend import get_num_threads
    worth = (any(st != 1 for st in stride) or any(dl != 1 for dl in dilation) or xs[0] >= 16 or k[-1] != 1
             or k[-2] != 1 or get_num_threads() > 1)
    big = groups > 1 or (k[-1] > 3 and k[-2] > 3) or xs[0] > 1 or xs[0] * xs[1] * xs[2] * xs[3] > 20480
    return worth and big

def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, d, op):
    unbatched = _check_common(input, weight, bias, d, op, True)
    x, w = input._data, weight._data
    b = None if bias is None else bias._data
    kd = w.ndim - 2
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    stride = _int_tuple(stride, d, "stride", op)
    padding = _int_tuple(padding, d, "padding", op)
    output_padding = _int_tuple(output_padding, d, "output_padding", op)
    dilation = _int_tuple(dilation, d, "dilation", op)
    _check_hyper(groups, padding, stride, dilation, output_padding)
    if kd != d:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {kd} values to match the "
                           f"convolution dimensions, but got stride={list(stride)}")
    xs = (1,) + x.shape if unbatched else x.shape
    _check_weight_groups(w.shape, groups)
    if xs[1] != w.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {_sizes(w.shape)}, expected input{_sizes(xs)} to "
                           f"have {w.shape[0]} channels, but got {xs[1]} channels instead")
    c_out = w.shape[1] * groups
    if b is not None and (b.ndim != 1 or b.shape[0] != c_out):
        raise RuntimeError(f"Given transposed=1, weight of size {_sizes(w.shape)}, expected bias to be "
                           f"1-dimensional with {c_out} elements, but got bias of size {_sizes(b.shape)} instead")
    empty = not unbatched and xs[0] == 0  # torch's empty-batch path skips the output_padding and size checks
    if not empty and any(op_ >= s and op_ >= dl for op_, s, dl in zip(output_padding, stride, dilation)):
        names = {1: ("height", "width"), 2: ("height", "width"), 3: ("depth", "height", "width")}[d]
        pad_v, st_v, dl_v = output_padding, stride, dilation
        if d == 1:  # torch runs the 1-D op as a 2-D one of height 1
            pad_v, st_v, dl_v = (0,) + pad_v, (1,) + st_v, (1,) + dl_v
        parts = ([f"output_padding_{n}: {v}" for n, v in zip(names, pad_v)] +
                 [f"stride_{n}: {v}" for n, v in zip(names, st_v)] +
                 [f"dilation_{n}: {v}" for n, v in zip(names, dl_v)])
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " +
                           " ".join(parts))
    k = w.shape[2:]
    S = xs[2:]
    out = tuple((s - 1) * st - 2 * p + dl * (kk - 1) + op_ + 1
                for s, st, p, dl, kk, op_ in zip(S, stride, padding, dilation, k, output_padding))
    if empty and any(o < 0 for o in out):
        shape = [0, c_out] + [1] * (d == 1) + list(out)
        i = next(i for i, o in enumerate(shape) if o < 0)
        raise RuntimeError(f"invalid shape dimension {shape[i]} at index {i} of shape {shape}")
    # torch's oneDNN kernel accepts a zero output size, its native kernels refuse it (a negative size always
    # fails); which one runs is torch's use_mkldnn choice, on the problem seen as 2-D (1-D as height 1) and on
    # the thread count, for which numtorch's own stands in
    zero_ok = x.dtype == np.float32 and all(op_ < st for op_, st in zip(output_padding, stride)) and \
        _torch_uses_onednn(xs if d > 1 else xs[:2] + (1,) + tuple(xs[2:]),
                           k if d > 1 else (1,) + tuple(k), stride, dilation, groups)
    if not empty and any(o < 0 or (o == 0 and not zero_ok) for o in out):
        s_in, s_out = S, out
        if d == 1:
            s_in, s_out = (1,) + tuple(S), (1,) + out
        raise RuntimeError(f"Given input size per channel: ({_spatial(s_in)}). Calculated output size per "
                           f"channel: ({_spatial(s_out)}). Output size is too small")
    _check_dtypes(x, w, b)
    _check_zero_dilation(dilation, True)
    if empty or 0 in out:
        return EmptyConvTransposeFunction.apply(input, weight, bias, (() if unbatched else (xs[0],)) + (c_out,) + out)
    extra = tuple(op_ // st for op_, st in zip(output_padding, stride))
    if any(extra):
        # output_padding >= stride (allowed below the dilation): the convolution whose adjoint this is reads
        # s + op // stride positions of out, so extend the input with zeros there (they add nothing)
        from .padding import pad
        input = pad(input, tuple(v for e in reversed(extra) for v in (0, e)))
        x = input._data
    # The convolution whose adjoint this is: input = our output (C_out channels), output = our input.
    g = _Geometry(out, tuple(k), stride, dilation, padding, padding, c_out, xs[1], groups)
    fn = _ConvTransposeNdUnbatchedFunction if unbatched else ConvTransposeNdFunction
    return fn.apply(input, weight, bias, g, unbatched)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution ("deconvolution"): the adjoint (gradient) of :func:`conv1d` w.r.t. its input.

    .. math::
        \\text{out}[n, g C_{out}/G + c, o \\cdot s + t \\cdot d - p] \\mathrel{+}=
        \\sum_{i} \\text{input}[n, g C_{in}/G + i, o] \\, \\text{weight}[g C_{in}/G + i, c, t]

    Args:
        input: (N, C_in, L) or (C_in, L).
        weight: (C_in, C_out / groups, kL).
        bias: optional (C_out,). Default: None.
        stride, padding, output_padding, dilation: int or (v,). ``output_padding`` (< stride or dilation) adds
            size on one side of the output.
        groups: Default: 1.

    Shape:
        (N, C_in, L_in) -> (N, C_out, L_out), ``L_out = (L_in - 1) s - 2 p + d (kL - 1) + output_padding + 1``.

    Example:
        >>> y = conv_transpose1d(numtorch.randn(2, 4, 5), numtorch.randn(4, 3, 3), stride=2)   # (2, 3, 11)
    """
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                             "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution: the adjoint (gradient) of :func:`conv2d` with respect to its input.

    .. math::
        \\text{out}[n, g C_{out}/G + c, o \\cdot s + t \\cdot d - p] \\mathrel{+}=
        \\sum_{i} \\text{input}[n, g C_{in}/G + i, o] \\, \\text{weight}[g C_{in}/G + i, c, t]

    Args:
        input: (N, C_in, H, W) or (C_in, H, W).
        weight: (C_in, C_out / groups, kH, kW).
        bias: optional (C_out,). Default: None.
        stride, padding, output_padding, dilation: int or 2-tuple.
        groups: Default: 1.

    Shape:
        (N, C_in, H_in, W_in) -> (N, C_out, H_out, W_out),
        ``H_out = (H_in - 1) sH - 2 pH + dH (kH - 1) + output_padding_H + 1`` (W likewise).

    Example:
        >>> y = conv_transpose2d(numtorch.randn(1, 4, 5, 5), numtorch.randn(4, 2, 3, 3), stride=2)  # (1, 2, 11, 11)
    """
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                             "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution: the adjoint (gradient) of :func:`conv3d` with respect to its input.

    .. math::
        \\text{out}[n, g C_{out}/G + c, o \\cdot s + t \\cdot d - p] \\mathrel{+}=
        \\sum_{i} \\text{input}[n, g C_{in}/G + i, o] \\, \\text{weight}[g C_{in}/G + i, c, t]

    Args:
        input: (N, C_in, D, H, W) or (C_in, D, H, W).
        weight: (C_in, C_out / groups, kD, kH, kW).
        bias: optional (C_out,). Default: None.
        stride, padding, output_padding, dilation: int or 3-tuple.
        groups: Default: 1.

    Shape:
        (N, C_in, D_in, H_in, W_in) -> (N, C_out, D_out, H_out, W_out),
        ``D_out = (D_in - 1) sD - 2 pD + dD (kD - 1) + output_padding_D + 1`` (H, W likewise).

    Example:
        >>> y = conv_transpose3d(numtorch.randn(1, 2, 3, 3, 3), numtorch.randn(2, 2, 2, 2, 2))   # (1, 2, 4, 4, 4)
    """
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                             "conv_transpose3d")
