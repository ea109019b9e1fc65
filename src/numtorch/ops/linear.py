"""Linear maps, dropout, embeddings and one-hot encoding.

``linear`` and ``bilinear`` are one fused Function each: the leading dimensions of the input are folded into
the rows of a single GEMM, forward and backward (``dW = g^T x`` is one matrix product over the whole batch).
The dropout family draws its masks from numtorch's generator (``numtorch.manual_seed`` makes them
repeatable; they are not torch's random numbers). ``embedding`` gathers rows and scatter-adds the gradient
back, summing over repeated indices.
"""
import math
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.function import ArrayFunction, commit_inplace
from ..autograd.grad_mode import GradMode, no_grad
from ..random import _gen
from ._util import broadcast_error, check_tensor, torch_type_name, unbroadcast

__all__ = ["linear", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout", "embedding", "embedding_bag", "one_hot"]
#: names also exported at numtorch's top level (torch.<name>), besides nn.functional
TOP_LEVEL = ["bilinear", "dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_dropout",
             "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_", "embedding",
             "embedding_renorm_"]

_SELU_NEG_SAT = 1.7580993408473766  # -SELU(-inf) = alpha * scale of SELU


def _dtype_word(npdtype):
    return torch_type_name(npdtype).lower()


# ---------------------------------------------------------------------- linear
class LinearFunction(ArrayFunction):
    """y = x W^T + b over the last dimension of x, any leading dimensions folded into one GEMM.

    dx = g W,  dW = g^T x (batch folded into the rows),  db = g summed over the broadcast dimensions.
    """
    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, w, b):
        # np.dot on 2-D operands is BLAS gemm with less per-call overhead than matmul.
        if x.ndim == 2:
            x2 = x
            y = np.dot(x, w.T)
        else:
            lead = x.shape[:-1]
            x2 = x.reshape(math.prod(lead), w.shape[1])
            y = np.dot(x2, w.T).reshape(lead + (w.shape[0],))
        if b is not None:
            y += b
        ctx.save_for_backward(x2, w)
        ctx.shapes = (x.shape, None if b is None else b.shape)
        return y

    @staticmethod
    def backward(ctx, g):
        x2, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        x_shape, b_shape = ctx.shapes
        g2 = g.reshape(x2.shape[0], w.shape[0])
        gx = np.dot(g2, w).reshape(x_shape) if nx else None
        gw = np.dot(g2.T, x2) if nw else None
        gb = None
        if nb:
            gb = g2.sum(axis=0) if b_shape == (w.shape[0],) else unbroadcast(g, b_shape)
        return gx, gw, gb


class _MmLinear(LinearFunction):
    node_name = "MmBackward0"


class _ViewLinear(LinearFunction):
    node_name = "ViewBackward0"


class _UnsafeViewLinear(LinearFunction):
    node_name = "UnsafeViewBackward0"


class _SqueezeLinear(LinearFunction):
    node_name = "SqueezeBackward4"


class _AddLinear(LinearFunction):
    node_name = "AddBackward0"


def _linear_node(x_ndim, bias):
    """The class whose node name is the grad_fn torch reports for this call."""
    if bias is None:
        return _MmLinear if x_ndim == 2 else _SqueezeLinear if x_ndim == 1 else _UnsafeViewLinear
    if x_ndim == 2:
        return LinearFunction
    return _ViewLinear if bias._data.ndim == 1 or x_ndim == 1 else _AddLinear


def linear(input, weight, bias=None):
    """Affine map over the last dimension.

    .. math:: y = x W^T + b

    Args:
        input: ``(*, in_features)``.
        weight: ``(out_features, in_features)`` (or ``(in_features,)``, giving ``(*)``).
        bias: ``(out_features,)`` or anything that broadcasts to the output; optional.

    Shape: ``(*, in_features) -> (*, out_features)``.
    """
    if isinstance(input, Tensor) and isinstance(weight, Tensor):
        # Fast path for the common call (Linear modules): every check in one comparison chain.
        x, w = input._data, weight._data
        xs, ws = x.shape, w.shape
        if len(ws) == 2 and len(xs) >= 1 and xs[-1] == ws[1] and x.dtype == w.dtype:
            if bias is None:
                return (_MmLinear if len(xs) == 2 else _SqueezeLinear if len(xs) == 1
                        else _UnsafeViewLinear).apply(input, weight, None)
            if isinstance(bias, Tensor) and bias._data.shape == (ws[0],) and bias._data.dtype == x.dtype:
                return (LinearFunction if len(xs) == 2 else _ViewLinear).apply(input, weight, bias)
    for i, (name, t) in enumerate((("input", input), ("weight", weight), ("bias", bias))):
        if not isinstance(t, Tensor) and not (t is None and name == "bias"):
            raise TypeError(f"linear(): argument '{name}' (position {i + 1}) must be Tensor, not "
                            f"{type(t).__name__}")
    x, w = input._data, weight._data
    if x.ndim == 0 or w.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {x.ndim}D and "
                           f"{w.ndim}D")
    if w.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {w.ndim}D")
    if bias is not None:
        if x.dtype != w.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {torch_type_name(x.dtype)} and "
                               f"{torch_type_name(w.dtype)}")
        if bias._data.dtype != x.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                               f"{torch_type_name(bias._data.dtype)} and {torch_type_name(x.dtype)}")
    elif x.dtype != w.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_dtype_word(x.dtype)} != "
                           f"{_dtype_word(w.dtype)}")
    if w.ndim == 1:
        from .math import add, matmul
        if bias is not None:
            # torch adds the bias to matmul(input, weight) only on its paths that avoid addmm: never for a 1-d bias
            # or a 2-d input, a 0-d bias for a 1-d input, else a one-element bias or one equal to the trailing
            # output dimensions
            b, out = bias._data, x.shape[:-1]
            fits = b.ndim == 0 if x.ndim == 1 else (b.ndim != 1 and x.ndim != 2 and b.ndim <= len(out) and (
                b.size == 1 or b.shape == out[len(out) - b.ndim:]))
            if fits:
                return add(matmul(input, weight), bias)
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        return matmul(input, weight)
    rows = math.prod(x.shape[:-1])
    if x.shape[-1] != w.shape[1]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and "
                           f"{w.shape[1]}x{w.shape[0]})")
    if bias is not None:
        out_shape = x.shape[:-1] + (w.shape[0],)
        b = bias._data
        if b.ndim == 1 and b.shape[0] not in (1, w.shape[0]):
            raise RuntimeError(f"The expanded size of the tensor ({w.shape[0]}) must match the existing size "
                               f"({b.shape[0]}) at non-singleton dimension 1.  Target sizes: "
                               f"[{rows}, {w.shape[0]}].  Tensor sizes: [{b.shape[0]}]")
        try:
            if np.broadcast_shapes(out_shape, b.shape) != out_shape:
                raise ValueError
        except ValueError:
            raise broadcast_error(out_shape, b.shape) from None
    return _linear_node(x.ndim, bias).apply(input, weight, bias)


class BilinearFunction(ArrayFunction):
    """y_k = x1^T A_k x2 + b_k over the last dimensions (leading dimensions folded into rows).

    With t = x1 A (the weight contracted with x1, shape rows x out x in2):
    dx1 = sum_k g_k A_k x2,  dx2 = sum_k g_k A_k^T x1,  dA_k = sum_rows g_k x1 x2^T,  db = sum_rows g.
    """
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x1, x2, w, b):
        out_f, n1, n2 = w.shape
        lead = x1.shape[:-1]
        a = x1.reshape(-1, n1)
        c = x2.reshape(-1, n2)
        # (rows, n1) @ (n1, out*n2) -> (rows, out, n2), then contract with x2 over n2.
        t = (a @ w.transpose(1, 0, 2).reshape(n1, out_f * n2)).reshape(a.shape[0], out_f, n2)
        y = np.matmul(t, c[:, :, None])[:, :, 0]
        if b is not None:
            y += b
        ctx.save_for_backward(a, c, w)
        ctx.shapes = (x1.shape, x2.shape)
        return y.reshape(lead + (out_f,))

    @staticmethod
    def backward(ctx, g):
        a, c, w = ctx.saved_tensors
        n1_, n2_, nw, nb = ctx.needs_input_grad
        s1, s2 = ctx.shapes
        out_f, n1, n2 = w.shape
        g2 = g.reshape(a.shape[0], out_f)
        g1 = g2x1 = gw = gb = None
        if n1_:
            # dx1[r, i] = sum_(k,j) g[r, k] c[r, j] A[k, i, j]: (rows, out*n2) @ (out*n2, n1)
            gc = (g2[:, :, None] * c[:, None, :]).reshape(a.shape[0], out_f * n2)
            g1 = (gc @ w.transpose(0, 2, 1).reshape(out_f * n2, n1)).reshape(s1)
        if n2_ or nw:
            ga = (g2[:, :, None] * a[:, None, :]).reshape(a.shape[0], out_f * n1)  # g[r, k] a[r, i]
            if n2_:
                # dx2[r, j] = sum_(k,i) g[r, k] a[r, i] A[k, i, j]
                g2x1 = (ga @ w.reshape(out_f * n1, n2)).reshape(s2)
            if nw:
                # dA[k, i, j] = sum_r g[r, k] a[r, i] c[r, j]: one GEMM over all rows
                gw = (ga.T @ c).reshape(out_f, n1, n2)
        if nb:
            gb = g2.sum(axis=0)
        return g1, g2x1, gw, gb


class _ViewBilinear(BilinearFunction):
    node_name = "ViewBackward0"


def bilinear(input1, input2, weight, bias=None):
    """Bilinear map of two inputs.

    .. math:: y_k = x_1^T A_k x_2 + b_k

    Args:
        input1: ``(*, in1_features)``; input2: ``(*, in2_features)`` with the same leading dimensions.
        weight: ``(out_features, in1_features, in2_features)``; bias: ``(out_features,)``, optional.

    Shape: ``(*, in1), (*, in2) -> (*, out_features)``.
    """
    for i, (name, t) in enumerate((("input1", input1), ("input2", input2), ("weight", weight))):
        if not isinstance(t, Tensor):
            raise TypeError(f"bilinear(): argument '{name}' (position {i + 1}) must be Tensor, not "
                            f"{type(t).__name__}")
    x1, x2, w = input1._data, input2._data, weight._data
    dts = [x1.dtype, x2.dtype, w.dtype] + ([bias._data.dtype] if bias is not None else [])
    if len(set(dts)) > 1:
        words = ["input1", "input2", "weight"] + (["bias"] if bias is not None else [])
        raise RuntimeError("All tensors must have the same dtype, got " +
                           ", ".join(f"{n}: {_dtype_word(d)}" for n, d in zip(words, dts)))
    if x1.ndim != x2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {x1.ndim} and {x2.ndim}")
    for d in range(x1.ndim - 1):
        if x1.shape[d] != x2.shape[d]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {x1.shape[d]} "
                               f"and {x2.shape[d]}")
    if w.ndim != 3:
        n = w.ndim
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got 2)")
    if x1.shape[-1] != w.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {x1.shape[-1]} but "
                           f"expected {w.shape[1]}")
    if x2.shape[-1] != w.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {x2.shape[-1]} but "
                           f"expected {w.shape[2]}")
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != w.shape[0]):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias._data.shape[-1]} but "
                           f"expected {w.shape[0]}")
    if 0 in w.shape[1:]:  # torch folds the rows with reshape(-1, in_features)
        raise RuntimeError("cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified "
                           "dimension size -1 can be any value and is ambiguous")
    cls = BilinearFunction if bias is not None else _ViewBilinear
    return cls.apply(input1, input2, weight, bias)


# ---------------------------------------------------------------------- dropout
class DropoutFunction(ArrayFunction):
    """y = x m, with m = mask / (1 - p) (broadcast over a channel's elements for feature dropout);  dx = g m."""
    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, m):
        ctx.save_for_backward(m)
        return x * m

    @staticmethod
    def backward(ctx, g):
        (m,) = ctx.saved_tensors
        return g * m, None


class _SqueezeDropout(DropoutFunction):
    node_name = "SqueezeBackward1"


class AlphaDropoutFunction(ArrayFunction):
    """y = x m + c with m = a mask and c = a alpha' (mask - 1 + p);  dx = g m.

    alpha' = 1.7581 is SELU's negative saturation and a = ((alpha'^2 p + 1)(1 - p))^(-1/2): kept elements
    become a x + a alpha' p, dropped ones a alpha' (p - 1), which keeps SELU's zero mean and unit variance.
    """
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x, m, c):
        ctx.save_for_backward(m)
        y = x * m
        y += c
        return y

    @staticmethod
    def backward(ctx, g):
        (m,) = ctx.saved_tensors
        return g * m, None, None


class _SqueezeAlphaDropout(AlphaDropoutFunction):
    node_name = "SqueezeBackward1"


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _mask_shape(shape, feature, batched):
    """The shape of the random mask: the input's, or one entry per (sample, channel) for feature dropout."""
    if not feature:
        return shape
    if not batched:  # torch adds a batch dimension of 1, draws per channel, then removes it
        return shape if len(shape) == 1 else (shape[0],) + (1,) * (len(shape) - 1)
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return shape[:2] + (1,) * (len(shape) - 2)


def _dropout(input, p, training, inplace, feature=False, alpha=False, batched=True):
    """The dropout family: identity when not training or p == 0, zeros when p == 1, else a random mask."""
    _check_p(p)
    x = input._data
    if inplace and not batched and input._requires_grad and input.grad_fn is None and GradMode.enabled:
        # torch adds the batch dimension with input.unsqueeze_(0), an in-place op on the leaf
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if not training or p == 0 or x.size == 0:
        return input
    if x.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{torch_type_name(x.dtype)}")
    squeeze = not batched
    if p == 1:
        out = (_SqueezeDropout if squeeze else DropoutFunction).apply(input, np.zeros((), x.dtype))
    else:
        mshape = _mask_shape(x.shape, feature, batched)
        keep = _gen(None).random(mshape, dtype=np.float64 if x.dtype == np.float64 else np.float32) >= p
        q = 1.0 - p
        if alpha:
            a = 1.0 / np.sqrt((_SELU_NEG_SAT * _SELU_NEG_SAT * p + 1) * q)
            m = keep.astype(x.dtype) * x.dtype.type(a)
            # c = (mask - 1) alpha' a + alpha' a p: the constant SELU's saturation needs after dropping.
            c = (keep.astype(x.dtype) - 1) * x.dtype.type(_SELU_NEG_SAT * a) + x.dtype.type(_SELU_NEG_SAT * a * p)
            out = (_SqueezeAlphaDropout if squeeze else AlphaDropoutFunction).apply(input, m, c)
        else:
            m = keep.astype(x.dtype)
            m *= x.dtype.type(1.0) / x.dtype.type(q)
            out = (_SqueezeDropout if squeeze else DropoutFunction).apply(input, m)
    return commit_inplace(input, out) if inplace else out


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (training only).

    .. math:: y = \\frac{x \\cdot m}{1 - p}, \\quad m_i \\sim \\mathrm{Bernoulli}(1 - p)

    Returns ``input`` itself when not training or when ``p == 0``; zeros when ``p == 1``.
    """
    check_tensor(input, "dropout")
    return _dropout(input, p, training, inplace)


def dropout_(input, p=0.5, training=True):
    """In-place :func:`dropout` (``torch.dropout_``).

    .. math:: x \\leftarrow \\frac{x \\cdot m}{1 - p}, \\quad m_i \\sim \\mathrm{Bernoulli}(1 - p)
    """
    return dropout(input, p, training, inplace=True)


def feature_dropout(input, p=0.5, training=True, inplace=False):
    """Dropout of whole channels of an ``(N, C, *)`` input (``torch.feature_dropout``).

    .. math:: y_{n,c} = \\frac{x_{n,c} \\cdot m_{n,c}}{1 - p}, \\quad m_{n,c} \\sim \\mathrm{Bernoulli}(1 - p)
    """
    check_tensor(input, "feature_dropout")
    return _dropout(input, p, training, inplace, feature=True)


def feature_dropout_(input, p=0.5, training=True):
    """In-place :func:`feature_dropout`: :math:`x_{n,c} \\leftarrow x_{n,c} m_{n,c} / (1 - p)`."""
    return feature_dropout(input, p, training, inplace=True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel-wise dropout for ``(N, C, L)`` or unbatched ``(C, L)`` input: whole channels are zeroed.

    .. math:: y_{n,c} = \\frac{x_{n,c} \\cdot m_{n,c}}{1 - p}, \\quad m_{n,c} \\sim \\mathrm{Bernoulli}(1 - p)
    """
    check_tensor(input, "dropout1d")
    _check_p(p)
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d "
                           f"exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           f"dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _dropout(input, p, training, inplace, feature=True, batched=nd == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel-wise dropout for ``(N, C, H, W)`` input: whole channels are zeroed.

    As in torch, a 3-D input is read as ``(N, C, L)`` (with a warning), and other ranks warn that they are
    deprecated.
    """
    check_tensor(input, "dropout2d")
    _check_p(p)
    nd = input._data.ndim
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in "
                      f"an error in a future release. To retain the behavior and silence this warning, please "
                      f"use dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs "
                      f"with 2 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D "
                      f"or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _dropout(input, p, training, inplace, feature=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel-wise dropout for ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)`` input."""
    check_tensor(input, "dropout3d")
    _check_p(p)
    nd = input._data.ndim
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in "
                      f"an error in a future release. To retain the behavior and silence this warning, please "
                      f"use dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs "
                      f"with 3 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D "
                      f"or 5D inputs).", stacklevel=2)
    return _dropout(input, p, training, inplace, feature=True, batched=nd == 5)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps the self-normalising mean and variance of SELU activations.

    Dropped elements are set to SELU's negative saturation :math:`-\\alpha' = -1.7581`, then an affine map
    :math:`a y + b` with :math:`a = ((\\alpha'^2 p + 1)(1 - p))^{-1/2}`, :math:`b = a \\alpha' p` restores
    zero mean and unit variance.
    """
    check_tensor(input, "alpha_dropout")
    return _dropout(input, p, training, inplace, alpha=True)


def alpha_dropout_(input, p=0.5, training=False):
    """In-place :func:`alpha_dropout`: :math:`x \\leftarrow a (x m + \\alpha' (m - 1)) + a \\alpha' p`."""
    return alpha_dropout(input, p, training, inplace=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """:func:`alpha_dropout` applied to whole channels of an ``(N, C, *)`` input."""
    check_tensor(input, "feature_alpha_dropout")
    return _dropout(input, p, training, inplace, feature=True, alpha=True)


def feature_alpha_dropout_(input, p=0.5, training=False):
    """In-place :func:`feature_alpha_dropout` (one mask entry per channel)."""
    return feature_alpha_dropout(input, p, training, inplace=True)


# ---------------------------------------------------------------------- embedding
def _scatter_rows(idx, rows, n):
    """Sum ``rows[i]`` into row ``idx[i]`` of an ``(n, dim)`` zero array (repeated indices accumulate).

    Sorting the indices and summing each run with ``np.add.reduceat`` is faster than ``np.add.at`` for
    typical batches and whenever indices repeat a lot; for very large, mostly distinct batches ``np.add.at``
    wins (measured on NumPy 2.x), so the choice depends on the batch size.
    """
    out = np.zeros((n, rows.shape[1]), rows.dtype)
    if idx.size == 0:
        return out
    if idx.size <= 65536 or idx.size >= 4 * n:
        order = np.argsort(idx, kind="stable")
        s = idx[order]
        starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
        out[s[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    else:
        np.add.at(out, idx, rows)
    return out


class EmbeddingFunction(ArrayFunction):
    """y = W[idx];  dW[i] = sum of g over the positions where idx == i (0 for padding_idx), divided by the
    count of i in the batch when ``scale_grad_by_freq``."""
    node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, idx, w, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(idx)
        ctx.opts = (w.shape, padding_idx, scale_grad_by_freq)
        return np.take(w, idx, axis=0)

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        (n, dim), padding_idx, by_freq = ctx.opts
        flat = idx.reshape(-1)
        rows = g.reshape(-1, dim)
        if by_freq:
            counts = np.bincount(flat, minlength=n)
            rows = rows / counts[flat].astype(g.dtype)[:, None]
        gw = _scatter_rows(flat, rows, n)
        if padding_idx is not None:
            gw[padding_idx] = 0
        return None, gw, None, None


def _check_indices(indices, op="embedding"):
    dt = indices._data.dtype
    if dt not in (np.int64, np.int32):
        from ..autograd.function import _describe
        kind = _describe(indices).split(" ")[0]
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {kind} instead (while checking arguments for {op})")


def _renorm_rows(w, idx, max_norm, norm_type):
    """Scale each row of ``w`` used by ``idx`` whose p-norm exceeds max_norm to norm max_norm (in place)."""
    used = np.unique(idx)
    if used.size == 0:
        return
    rows = w[used]
    p = float(norm_type)
    if p == 2:
        norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    elif p == np.inf:
        norms = np.abs(rows).max(axis=1)
    elif p == 1:
        norms = np.abs(rows).sum(axis=1)
    elif p == 0:
        norms = (rows != 0).sum(axis=1).astype(w.dtype)
    else:
        norms = (np.abs(rows) ** p).sum(axis=1) ** (1.0 / p)
    over = norms > max_norm
    if np.any(over):
        scale = w.dtype.type(max_norm) / (norms[over] + w.dtype.type(1e-7))
        w[used[over]] = rows[over] * scale[:, None].astype(w.dtype, copy=False)


def embedding_renorm_(input, indices, max_norm, norm_type):
    """Renormalise in place the rows of ``input`` (the weight) selected by ``indices`` to norm <= max_norm.

    .. math:: w_i \\leftarrow w_i \\cdot \\frac{\\text{max\\_norm}}{\\|w_i\\|_p + 10^{-7}}
        \\quad \\text{for } \\|w_i\\|_p > \\text{max\\_norm}
    """
    check_tensor(input, "embedding_renorm_")
    _check_indices(indices, "embedding_renorm_")
    from ..autograd.grad_mode import GradMode
    if GradMode.enabled and input._requires_grad and input.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    idx = np.unique(indices._data)
    shape = input._data.shape
    bad = idx[(idx < -shape[0]) | (idx >= shape[0])]
    if bad.size:
        raise IndexError(f"select(): index {bad[0]} out of range for tensor of size {list(shape)} at dimension 0")
    _renorm_rows(input._data, np.where(idx < 0, idx + shape[0], idx), max_norm, norm_type)
    input._vc[0] += 1
    return input


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Look up rows of an embedding table.

    .. math:: y[\\ldots, :] = W[\\text{input}[\\ldots], :]

    Args:
        input: integer (int64 or int32) indices of any shape.
        weight: ``(num_embeddings, embedding_dim)``.
        padding_idx: a row (negative counts from the end) that receives no gradient.
        max_norm: rows used by ``input`` whose ``norm_type``-norm exceeds it are rescaled in place first.
        scale_grad_by_freq: divide each gradient row by the number of times its index occurs in ``input``.
        sparse: accepted for compatibility; the gradient is always dense (numtorch has no sparse tensors).

    Shape: ``(*) -> (*, embedding_dim)``.

    ``numtorch.embedding(weight, input, ...)`` (torch's top-level argument order) is accepted too: an integer
    ``weight`` with a floating ``input`` is read as that order.
    """
    check_tensor(input, "embedding")
    check_tensor(weight, "embedding", "weight")
    if input._data.dtype.kind == "f" and weight._data.dtype.kind in "iu":
        # torch.embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False): the
        # top-level order, where padding_idx -1 means none and the fourth argument is scale_grad_by_freq.
        input, weight = weight, input
        if padding_idx == -1:
            padding_idx = None
        if isinstance(max_norm, bool):
            scale_grad_by_freq, max_norm = max_norm, None
    _check_indices(input)
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = w.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        if w.shape[1] == 0 and max_norm is None:  # torch's kernel for zero-width rows reports it this way
            flat = idx.reshape(-1)
            bad = flat[(flat < 0) | (flat >= n)][0]
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
        raise IndexError("index out of range in self")
    if max_norm is not None:
        with no_grad():
            _renorm_rows(w, idx, max_norm, norm_type)
            weight._vc[0] += 1
    return EmbeddingFunction.apply(input, weight, padding_idx, bool(scale_grad_by_freq))


# ---------------------------------------------------------------------- embedding_bag
def _segment_reduce(ufunc, rows, starts, lengths, fill):
    """``ufunc.reduceat`` of ``rows`` over the contiguous segments ``[starts[b], starts[b] + lengths[b])``;
    empty segments give ``fill`` (reduceat alone would hand back the row at ``starts[b]``)."""
    padded = np.concatenate([rows, np.full((1,) + rows.shape[1:], fill, rows.dtype)])
    out = ufunc.reduceat(padded, np.minimum(starts, rows.shape[0]), axis=0)
    out[lengths == 0] = fill
    return out


class EmbeddingBagFunction(ArrayFunction):
    """Bags of embedding rows reduced by sum, mean or max.

    .. math::
        y_b = \\sum_{k \\in b} a_k W_{i_k} \\;(\\text{sum; } a_k \\text{ the per-sample weight or 1}),\\quad
        y_b = \\frac{1}{|b|} \\sum_{k \\in b} W_{i_k} \\;(\\text{mean}),\\quad
        y_{b,d} = \\max_{k \\in b} W_{i_k, d} \\;(\\text{max})

    over the entries ``k`` of bag ``b`` whose index is not ``padding_idx`` (an empty bag gives zeros).
    dW scatters ``g_b a_k`` (sum), ``g_b / |b|`` (mean) or ``g_{b,d}`` to the arg-max row (max) back to row
    ``i_k``; d a_k = g_b . W_{i_k}.
    """
    node_name = "EmbeddingBagBackward0"

    @staticmethod
    def forward(ctx, idx, w, psw, starts, lengths, mode, padding_idx, scale_grad_by_freq):
        n_bags, dim = len(starts), w.shape[1]
        keep = np.ones(idx.shape, bool) if padding_idx is None else idx != padding_idx
        rows = np.take(w, idx, axis=0)
        ctx.save_for_backward(idx, w if mode == "max" or psw is not None else None)
        ctx.meta = (w.shape, starts, lengths, keep, mode, padding_idx, scale_grad_by_freq, psw is not None)
        if mode == "max":
            masked = np.where(keep[:, None], rows, -np.inf).astype(w.dtype, copy=False)
            out = _segment_reduce(np.maximum, masked, starts, lengths, -np.inf)
            empty = ~np.isfinite(out) & (out < 0)          # no kept entry in the bag
            out[empty] = 0
            # the first entry of each bag that holds the maximum, per column (for the gradient)
            hit = (masked == np.repeat(out, lengths, axis=0)) & keep[:, None]
            pos = np.where(hit, np.arange(len(idx))[:, None], len(idx))
            ctx.argmax = np.where(empty, -1, _segment_reduce(np.minimum, pos, starts, lengths, len(idx)))
            return out
        if psw is not None:
            rows = rows * psw[:, None]
            ctx.psw = psw
        rows = np.where(keep[:, None], rows, 0).astype(w.dtype, copy=False)
        out = _segment_reduce(np.add, rows, starts, lengths, 0)
        if mode == "mean":
            counts = _segment_reduce(np.add, keep.astype(w.dtype), starts, lengths, 0)
            ctx.counts = counts
            out = out / np.maximum(counts, 1)[:, None]
        return out.astype(w.dtype, copy=False) if out.dtype != w.dtype else out

    @staticmethod
    def backward(ctx, g):
        idx, w = ctx.saved_tensors
        (n, dim), starts, lengths, keep, mode, padding_idx, by_freq, has_psw = ctx.meta
        need_w, need_psw = ctx.needs_input_grad[1], ctx.needs_input_grad[2]
        bag_of = np.repeat(np.arange(len(starts)), lengths)
        gw = gpsw = None
        if need_w:
            if mode == "max":
                arg = ctx.argmax                                  # (bags, dim) entry positions, -1 if empty
                b, d = np.nonzero(arg >= 0)
                flat = idx[arg[b, d]] * dim + d
                gw = np.bincount(flat, weights=g[b, d], minlength=n * dim).reshape(n, dim).astype(g.dtype)
            else:
                rows = g[bag_of]
                if has_psw:
                    rows = rows * ctx.psw[:, None]
                if mode == "mean":
                    rows = rows / np.maximum(ctx.counts, 1)[bag_of][:, None]
                if by_freq:
                    counts = np.bincount(idx, minlength=n)
                    rows = rows / counts[idx].astype(g.dtype)[:, None]
                rows = np.where(keep[:, None], rows, 0).astype(g.dtype, copy=False)
                gw = _scatter_rows(idx, rows, n)
            if padding_idx is not None:
                gw[padding_idx] = 0
        if need_psw and has_psw:
            gpsw = np.einsum("kd,kd->k", g[bag_of], np.take(w, idx, axis=0)) * keep
        return None, gw, gpsw, None, None, None, None, None


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embedding rows, without building the per-entry embeddings first.

    Args:
        input: int64/int32 indices, ``(B, L)`` (B bags of L entries) or 1-D with ``offsets``.
        weight: ``(num_embeddings, embedding_dim)``.
        offsets: 1-D start of each bag in a 1-D ``input`` (the first must be 0); with ``include_last_offset``
            the last entry is the end of the last bag.
        mode: ``'sum'`` | ``'mean'`` | ``'max'``. per_sample_weights: like ``input``, scales each entry
            (``'sum'`` only). padding_idx: entries with this index are left out (and get no gradient).
        max_norm, norm_type, scale_grad_by_freq: as in :func:`embedding`. sparse: accepted (gradients are dense).

    Shape: ``(B, L)`` or ``(N,)`` with ``(B,)`` offsets -> ``(B, embedding_dim)``.
    """
    check_tensor(input, "embedding_bag")
    check_tensor(weight, "embedding_bag", "weight")
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = w.shape[0]
    if input._data.ndim == 2:
        if per_sample_weights is not None and tuple(per_sample_weights.shape) == tuple(input.shape):
            per_sample_weights = per_sample_weights.reshape(-1)      # one weight per entry, bag-major
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        if per_sample_weights is not None and per_sample_weights.shape[0] != input._data.size:
            raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then "
                             f"it must have the same shape as the input ({input.shape})")
        b, length = input._data.shape
        if length == 0:    # torch builds the offsets as arange(0, B * L, L)
            raise RuntimeError("step must be nonzero")
        idx = input._data.reshape(-1)
        starts = np.arange(b, dtype=np.int64) * length
        lengths = np.full(b, length, np.int64)
    elif input._data.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        check_tensor(offsets, "embedding_bag", "offsets")
        if offsets._data.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then "
                             f"it must have the same shape as the input ({input.shape})")
        idx = input._data
        off = offsets._data.astype(np.int64)
        if off.size and off[0] != 0:
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {off[0]}")
        if off.size and off[-1] > idx.size:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {idx.size} but got "
                               f"offsets[-1] of {off[-1]}")
        if np.any(np.diff(off) < 0):
            raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got {off.tolist()}")
        ends = np.append(off[1:], idx.size) if not include_last_offset else off[1:]
        starts = off if not include_last_offset else off[:-1]
        lengths = ends - starts
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input._data.ndim}")
    _check_indices(input, "embedding_bag")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if max_norm is not None and idx.size:
        # torch renormalises the rows first, selecting each distinct index in sorted order
        u = np.unique(idx)
        bad = u[(u >= n) | (u < -n)]
        if bad.size:
            raise IndexError(f"select(): index {bad[0]} out of range for tensor of size [{n}, {w.shape[1]}] at "
                             "dimension 0")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        k = int(np.flatnonzero((idx < 0) | (idx >= n))[0])
        raise RuntimeError(f"Index {k} of input takes value {idx[k]} which is not in the valid range [0, {n})")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n
    if max_norm is not None:
        with no_grad():
            _renorm_rows(w, idx, max_norm, norm_type)
            weight._vc[0] += 1
    from .._tensor import _from_array
    flat = _from_array(np.ascontiguousarray(idx).astype(np.int64, copy=False))
    return EmbeddingBagFunction.apply(flat, weight, per_sample_weights, starts, lengths, mode, padding_idx,
                                      bool(scale_grad_by_freq))


# ---------------------------------------------------------------------- one_hot
def one_hot(tensor, num_classes=-1):
    """One-hot encoding of int64 class indices: a new last dimension of size ``num_classes``.

    .. math:: y[\\ldots, c] = 1 \\text{ if } \\text{tensor}[\\ldots] = c \\text{ else } 0

    ``num_classes=-1`` uses ``max(tensor) + 1``. The result is int64.
    """
    check_tensor(tensor, "one_hot")
    idx = tensor._data
    if idx.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size:
        if idx.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if idx.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes < 0:
        raise RuntimeError("Class values must be smaller than num_classes.")
    from .._tensor import _from_array
    out = np.zeros(idx.shape + (int(num_classes),), np.int64)
    if idx.size:
        np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return _from_array(out)
