"""Loss functions, each one fused Function: the pointwise loss, its reduction and the analytic backward.

``reduction`` is ``'none'`` (per-element losses), ``'mean'`` or ``'sum'``; the deprecated ``size_average`` and
``reduce`` arguments are mapped to it as torch maps them (with torch's deprecation warning). Where torch's
functional form is itself a composite, numtorch still computes it in one node and names that node as torch
names the last one (``MeanBackward0``, ``AddBackward0``, ...), so ``grad_fn`` prints the same.

Numerics: cross-entropy is computed from a max-shifted log-softmax (never ``log(softmax)``), the logistic
losses use ``log1p(exp(-|x|)) + max(., 0)``, and binary cross-entropy clamps its logarithms at -100 as torch
does.
"""
import math
import numbers
import warnings

import numpy as np

from .._dtype import result_type
from .._size import Size
from .._tensor import Tensor, _from_array
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import GradMode
from .activation import log_softmax_rows
from ._util import broadcast_error, broadcast_shape, torch_type_name, unbroadcast, wrap_dim

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_similarity",
           "pairwise_distance", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "poisson_nll_loss", "gaussian_nll_loss", "triplet_margin_loss", "cosine_embedding_loss",
           "multilabel_soft_margin_loss", "multi_margin_loss"]
#: names also exported at numtorch's top level (torch.<name>), besides nn.functional. torch's top-level
#: loss functions take ``reduction`` as an int enum (accepted here by keyword); torch.poisson_nll_loss is left
#: out because its positional arguments differ from the functional form's.
TOP_LEVEL = ["binary_cross_entropy_with_logits", "kl_div", "cosine_similarity", "pairwise_distance",
             "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss", "cosine_embedding_loss"]

_REDUCTIONS = ("none", "mean", "sum")
_ENUM = {0: "none", 1: "mean", 2: "sum"}


# ---------------------------------------------------------------------- arguments
def _legacy_reduction(size_average, reduce):
    """torch's mapping of the deprecated ``size_average``/``reduce`` flags to a reduction string."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if (size_average and reduce) else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  stacklevel=4)
    return ret


def _reduction(reduction, size_average=None, reduce=None):
    """The validated reduction string (``ValueError`` as torch for an unknown one)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if isinstance(reduction, numbers.Integral) and not isinstance(reduction, bool) and reduction in _ENUM:
        return _ENUM[reduction]  # torch's top-level functions take the enum value
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        return "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _check(x, op, arg, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")
    return x


def _size(shape):
    return repr(Size(shape))


def _size_warning(input, target):
    if input._data.shape != target._data.shape:
        warnings.warn(f"Using a target size ({_size(target._data.shape)}) that is different to the input size "
                      f"({_size(input._data.shape)}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", stacklevel=3)


def _promote(*tensors):
    """Cast tensors to their common (floating) dtype, as torch's type promotion does for these losses."""
    ts = [t for t in tensors if t is not None]
    rt = result_type(*ts)
    if not rt.is_floating_point:
        from .._dtype import get_default_dtype
        rt = get_default_dtype()
    return [None if t is None else (t if t.dtype is rt else t.to(rt)) for t in tensors]


def _no_grad_arg(t, fn, arg):
    if t is not None and t._requires_grad and GradMode.enabled:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{arg}'. This "
                           f"input cannot have requires_grad True.")


_VARIANTS = {}


def _named(cls, name):
    """``cls`` under another grad_fn name (torch names a composite loss after its last node)."""
    if name is None or name == cls.node_name:
        return cls
    sub = _VARIANTS.get((cls, name))
    if sub is None:
        sub = _VARIANTS[(cls, name)] = type(cls.__name__, (cls,), {"node_name": name})
    return sub


def _by_reduction(none, mean, sum):
    return {"none": none, "mean": mean, "sum": sum}


# ---------------------------------------------------------------------- reductions on arrays
def _reduce(l, reduction, denom=None):
    """Reduce elementwise losses: as they are, summed, or summed and divided by ``denom`` (default: count)."""
    if reduction == "none":
        return l
    s = l.sum(dtype=l.dtype)
    if reduction == "sum":
        return np.asarray(s)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(s / (l.size if denom is None else denom), dtype=l.dtype)


def _grad_of_reduce(g, reduction, shape, dtype, denom=None):
    """d(reduced)/d(elementwise losses) times the incoming gradient, broadcast to ``shape``."""
    if reduction == "none":
        return g
    n = int(np.prod(shape, dtype=np.int64)) if denom is None else denom
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            g = g / np.asarray(n, dtype)
    return np.broadcast_to(g, shape)


# ---------------------------------------------------------------------- pointwise losses
class PointwiseLossFunction(ArrayFunction):
    """Base of the losses ``l_i = f(x_i, t_i) * w_i`` reduced by ``reduction``.

    Subclasses define ``pointwise(ctx, x, t)`` returning ``(l, saved)`` and ``derivs(ctx, saved, x, t)``
    returning ``(dl/dx, dl/dt)`` elementwise. ``mean_mode`` chooses the mean's denominator: ``'count'`` (the
    number of elements) or ``'weight'`` (the sum of the weights, as weighted mse/l1 do in torch).
    dw_i = l_i * dL/dl_i (the weight is a plain factor).
    """
    mean_mode = "count"

    @staticmethod
    def forward(ctx, x, t, w, reduction, params):
        ctx.params = params
        ctx.reduction = reduction
        ctx.shapes = (np.shape(x), np.shape(t), None if w is None else w.shape)
        l, saved = ctx.pointwise(x, t)
        ctx.save_for_backward(x, t, w, *saved)
        if w is None:
            ctx.denom = None
            return _reduce(l, reduction)
        ctx.l = l
        lw = l * w
        ctx.denom = None
        if reduction == "mean" and ctx.mean_mode == "weight":
            ctx.denom = np.asarray(w.sum(dtype=lw.dtype), lw.dtype)
            out = _reduce(lw, reduction, ctx.denom)
            ctx.out = out
            return out
        return _reduce(lw, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, w, *saved = ctx.saved_tensors
        nx, nt, nw = ctx.needs_input_grad[:3]
        sx, st, sw = ctx.shapes
        shape = np.broadcast_shapes(sx, st)
        gl = _grad_of_reduce(g, ctx.reduction, shape, g.dtype, ctx.denom)
        gx = gt = gw = None
        if nx or nt:
            glw = gl if w is None else gl * w
            dx, dt = ctx.derivs(saved, x, t, nx, nt)
            if nx:
                gx = unbroadcast(glw * dx, sx)
            if nt:
                gt = unbroadcast(glw * dt, st)
        if nw:
            lg = ctx.l * gl
            if ctx.denom is not None:  # d/dw_i sum(l w) / sum(w) = (l_i - L) / sum(w)
                lg = lg - gl * ctx.out
            gw = unbroadcast(lg, sw)
        return gx, gt, gw, None, None


class MseLossFunction(PointwiseLossFunction):
    """l = (x - t)^2;  dl/dx = 2 (x - t) = -dl/dt."""
    node_name = "MseLossBackward0"
    mean_mode = "weight"

    @staticmethod
    def pointwise(x, t):
        d = x - t
        return d * d, (d,)

    @staticmethod
    def derivs(saved, x, t, nx, nt):
        (d,) = saved
        dx = 2 * d
        return dx, (-dx if nt else None)


class L1LossFunction(PointwiseLossFunction):
    """l = |x - t|;  dl/dx = sign(x - t) = -dl/dt (0 where x == t)."""
    node_name = "AbsBackward0"
    mean_mode = "weight"

    @staticmethod
    def pointwise(x, t):
        d = x - t
        return np.abs(d), (d,)

    @staticmethod
    def derivs(saved, x, t, nx, nt):
        d = saved[0]
        s = np.where(np.isnan(d), d.dtype.type(0), np.sign(d))  # torch's sign(nan) is 0: no gradient through nan
        return s, (-s if nt else None)


class SmoothL1LossFunction(PointwiseLossFunction):
    """l = 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta;  dl/dx = clip(d / beta, -1, 1) = -dl/dt."""
    node_name = "SmoothL1LossBackward0"

    def pointwise(ctx, x, t):
        beta = ctx.params
        d = x - t
        a = np.abs(d)
        return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta), (d,)

    def derivs(ctx, saved, x, t, nx, nt):
        beta = ctx.params
        (d,) = saved
        s = np.clip(d / beta, -1, 1)
        return s, (-s if nt else None)


class HuberLossFunction(PointwiseLossFunction):
    """l = 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta);  dl/dx = clip(d, -delta, delta)."""
    node_name = "HuberLossBackward0"

    def pointwise(ctx, x, t):
        delta = ctx.params
        d = x - t
        a = np.abs(d)
        return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta)), (d,)

    def derivs(ctx, saved, x, t, nx, nt):
        s = np.clip(saved[0], -ctx.params, ctx.params)
        return s, (-s if nt else None)


def _weighted_regression(cls, input, target, reduction, weight, names, weighted_names, params=None):
    broadcast_shape(input._data.shape, target._data.shape)  # torch broadcasts before any other check
    if weight is not None:
        _check(weight, cls.__name__, "weight", 6)
        if weight._data.shape != input._data.shape:
            raise ValueError("Weights and input must have the same size.")
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
        input, target, weight = _promote(input, target, weight)
    else:
        reduction = _reduction(reduction)
        input, target = _promote(input, target)
    name = (weighted_names if weight is not None else names)[reduction]
    return _named(cls, name).apply(input, target, weight, reduction, params)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error.

    .. math:: \\ell_i = w_i (x_i - y_i)^2, \\quad \\text{mean} = \\sum_i \\ell_i / \\sum_i w_i
        \\; (\\text{or } / N \\text{ without weights})
    """
    _check(input, "mse_loss", "input", 1)
    _check(target, "mse_loss", "target", 2)
    _size_warning(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    return _weighted_regression(MseLossFunction, input, target, reduction, weight,
                                _by_reduction("MseLossBackward0", "MseLossBackward0", "MseLossBackward0"),
                                _by_reduction("MulBackward0", "DivBackward0", "SumBackward0"))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error.

    .. math:: \\ell_i = w_i |x_i - y_i|, \\quad \\text{mean} = \\sum_i \\ell_i / \\sum_i w_i
        \\; (\\text{or } / N \\text{ without weights})
    """
    _check(input, "l1_loss", "input", 1)
    _check(target, "l1_loss", "target", 2)
    _size_warning(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    return _weighted_regression(L1LossFunction, input, target, reduction, weight,
                                _by_reduction("AbsBackward0", "MeanBackward0", "SumBackward0"),
                                _by_reduction("MulBackward0", "DivBackward0", "SumBackward0"))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1: quadratic below ``beta``, linear above (``beta = 0`` is the L1 loss).

    .. math:: \\ell_i = \\begin{cases} 0.5 (x_i - y_i)^2 / \\beta & |x_i - y_i| < \\beta \\\\
        |x_i - y_i| - 0.5 \\beta & \\text{otherwise} \\end{cases}
    """
    _check(input, "smooth_l1_loss", "input", 1)
    _check(target, "smooth_l1_loss", "target", 2)
    _size_warning(input, target)
    broadcast_shape(input._data.shape, target._data.shape)  # torch broadcasts before any other check
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _promote(input, target)
    if beta == 0:
        cls = _named(L1LossFunction, _by_reduction("AbsBackward0", "MeanBackward0", "SumBackward0")[reduction])
        return cls.apply(input, target, None, reduction, None)
    return SmoothL1LossFunction.apply(input, target, None, reduction, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber loss: quadratic below ``delta``, linear (slope ``delta``) above.

    .. math:: \\ell_i = w_i \\begin{cases} 0.5 (x_i - y_i)^2 & |x_i - y_i| < \\delta \\\\
        \\delta (|x_i - y_i| - 0.5 \\delta) & \\text{otherwise} \\end{cases}
    """
    _check(input, "huber_loss", "input", 1)
    _check(target, "huber_loss", "target", 2)
    _size_warning(input, target)
    broadcast_shape(input._data.shape, target._data.shape)  # torch's order: broadcast, weight, reduction, delta
    if weight is not None:
        _check(weight, "huber_loss", "weight", 5)
        if weight._data.shape != input._data.shape:
            raise ValueError("Weights and input must have the same size.")
        if delta <= 0:
            raise RuntimeError("huber_loss does not support non-positive values for delta.")
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
        input, target, weight = _promote(input, target, weight)
        name = _by_reduction("MulBackward0", "MeanBackward0", "SumBackward0")[reduction]
    else:
        reduction = _reduction(reduction)
        if delta <= 0:
            raise RuntimeError("huber_loss does not support non-positive values for delta.")
        input, target = _promote(input, target)
        name = None
    return _named(HuberLossFunction, name).apply(input, target, weight, reduction, float(delta))


class SoftMarginLossFunction(PointwiseLossFunction):
    """l = log(1 + exp(-t x)) (as softplus(-t x));  dl/dx = -t sigmoid(-t x),  dl/dt = -x sigmoid(-t x)."""
    node_name = "SoftMarginLossBackward0"

    @staticmethod
    def pointwise(x, t):
        z = -t * x
        return np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0), (z,)

    @staticmethod
    def derivs(saved, x, t, nx, nt):
        (z,) = saved
        s = 0.5 * np.tanh(0.5 * z) + 0.5  # sigmoid(z)
        return (-t * s if nx else None), (-x * s if nt else None)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Two-class logistic loss for targets in {-1, 1}.

    .. math:: \\ell_i = \\log(1 + e^{-y_i x_i})

    Computed as ``softplus(-y x)``, which stays finite where the direct formula overflows.
    """
    _check(input, "soft_margin_loss", "input", 1)
    _check(target, "soft_margin_loss", "target", 2)
    reduction = _reduction(reduction, size_average, reduce)
    _no_grad_arg(target, "soft_margin_loss", "target")
    input, target = _promote(input, target)
    full = broadcast_shape(input._data.shape, target._data.shape)
    if full != input._data.shape:  # torch writes the pointwise loss into an input-shaped buffer
        raise RuntimeError(f"output with shape {list(input._data.shape)} doesn't match the broadcast shape "
                           f"{list(full)}")
    return SoftMarginLossFunction.apply(input, target, None, reduction, None)


class PoissonNllLossFunction(PointwiseLossFunction):
    """log_input: l = exp(x) - t x;  else l = x - t log(x + eps);  full adds Stirling's t log t - t + log(2 pi t)/2
    where t > 1."""
    node_name = "SubBackward0"

    def pointwise(ctx, x, t):
        log_input, full, eps = ctx.params
        with np.errstate(divide="ignore", invalid="ignore"):
            if log_input:
                l = np.exp(x) - t * x
            else:
                l = x - t * np.log(x + eps)
            if full:
                big = t > 1
                tb = np.where(big, t, 1)  # Stirling's term only where t > 1 (0 elsewhere)
                st = np.where(big, tb * np.log(tb) - tb + 0.5 * np.log(2 * math.pi * tb), 0)
                l = l + st.astype(l.dtype, copy=False)
        return l, ()

    def derivs(ctx, saved, x, t, nx, nt):
        log_input, full, eps = ctx.params
        with np.errstate(divide="ignore", invalid="ignore"):
            if log_input:
                dx = np.exp(x) - t if nx else None
                dt = -x if nt else None
            else:
                dx = 1 - t / (x + eps) if nx else None
                dt = -np.log(x + eps) if nt else None
            if full and nt:
                big = t > 1
                tt = np.where(big, t, 1)
                dt = dt + np.where(big, np.log(tt) + 0.5 / tt, 0).astype(dt.dtype, copy=False)
        return dx, (np.broadcast_to(dt, np.broadcast_shapes(np.shape(x), np.shape(t))) if nt else None)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Negative log-likelihood of a Poisson distribution with rate ``exp(input)`` (or ``input``).

    .. math:: \\ell_i = e^{x_i} - y_i x_i \\quad (\\text{log\\_input}), \\qquad
        \\ell_i = x_i - y_i \\log(x_i + \\epsilon) \\quad (\\text{otherwise})

    ``full`` adds the Stirling term :math:`y \\log y - y + \\frac{1}{2} \\log(2 \\pi y)` for :math:`y > 1`.
    """
    _check(input, "poisson_nll_loss", "input", 1)
    _check(target, "poisson_nll_loss", "target", 2)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    input, target = _promote(input, target)
    broadcast_shape(target._data.shape, input._data.shape)  # torch's order, as in kl_div
    name = _by_reduction("AddBackward0" if full else "SubBackward0", "MeanBackward0", "SumBackward0")[reduction]
    return _named(PoissonNllLossFunction, name).apply(input, target, None, reduction,
                                                      (bool(log_input), bool(full), float(eps)))


# ---------------------------------------------------------------------- binary cross-entropy
class BinaryCrossEntropyFunction(PointwiseLossFunction):
    """l = -(t max(log x, -100) + (1 - t) max(log(1 - x), -100));

    dl/dx = (x - t) / max(x (1 - x), 1e-12),  dl/dt = log(1 - x) - log(x).
    """
    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def pointwise(x, t):
        with np.errstate(divide="ignore"):
            lx = np.maximum(np.log(x), -100)
            l1x = np.maximum(np.log1p(-x), -100)
        return -(t * lx + (1 - t) * l1x), ()

    @staticmethod
    def derivs(saved, x, t, nx, nt):
        dx = dt = None
        if nx:
            dx = (x - t) / np.maximum(x * (1 - x), 1e-12)
        if nt:
            with np.errstate(divide="ignore", invalid="ignore"):
                dt = np.log1p(-x) - np.log(x)
        return dx, dt


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy between probabilities ``input`` and targets in [0, 1].

    .. math:: \\ell_i = -w_i \\left(y_i \\log x_i + (1 - y_i) \\log(1 - x_i)\\right)

    with each logarithm clamped to be >= -100, as torch does (so x = 0 or 1 gives a finite loss).
    """
    _check(input, "binary_cross_entropy", "input", 1)
    _check(target, "binary_cross_entropy", "target", 2)
    reduction = _reduction(reduction, size_average, reduce)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({_size(target._data.shape)}) that is different to the input size "
                         f"({_size(input._data.shape)}) is deprecated. Please ensure they have the same size.")
    x = input._data
    for other in (target, weight):
        if other is not None and other._data.dtype != x.dtype:
            raise RuntimeError(f"Found dtype {torch_type_name(other._data.dtype)} but expected "
                               f"{torch_type_name(x.dtype)}")
    if weight is not None:
        _no_grad_arg(weight, "binary_cross_entropy", "weight")
        try:
            if np.broadcast_shapes(target._data.shape, weight._data.shape) != target._data.shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(f"Attempting to broadcast a dimension of length {weight._data.shape[-1]} at -1! "
                               f"Mismatching argument at index 1 had {_size(weight._data.shape)}; but expected "
                               f"shape should be broadcastable to {list(target._data.shape)}") from None
    if not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    return BinaryCrossEntropyFunction.apply(input, target, weight, reduction, None)


class BceWithLogitsFunction(PointwiseLossFunction):
    """l = (1 - t) x + lw softplus(-x), lw = (p - 1) t + 1 (p = pos_weight, 1 by default);

    dl/dx = lw sigmoid(x) - p t,  dl/dt = -x - (p - 1) log sigmoid(x).
    """
    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    def pointwise(ctx, x, t):
        p = ctx.params
        sp = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)  # -log sigmoid(x) = softplus(-x)
        if p is None:
            l = (1 - t) * x + sp
        else:
            l = (1 - t) * x + ((p - 1) * t + 1) * sp
        return l, (sp,)

    def derivs(ctx, saved, x, t, nx, nt):
        p = ctx.params
        (sp,) = saved
        dx = dt = None
        if nx:
            s = 0.5 * np.tanh(0.5 * x) + 0.5
            dx = s - t if p is None else ((p - 1) * t + 1) * s - p * t
        if nt:
            dt = -x if p is None else (p - 1) * sp - x
        return dx, dt


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross-entropy on logits, computed stably.

    .. math:: \\ell_i = -w_i \\left(p\\, y_i \\log \\sigma(x_i) + (1 - y_i) \\log(1 - \\sigma(x_i))\\right)
        = w_i \\left((1 - y_i) x_i + (1 + (p - 1) y_i)\\, \\mathrm{softplus}(-x_i)\\right)

    Args:
        weight: rescales each element's loss (broadcast to the input).
        pos_weight: weight of the positive class ``p``, broadcast along the last dimension.
    """
    _check(input, "binary_cross_entropy_with_logits", "input", 1)
    _check(target, "binary_cross_entropy_with_logits", "target", 2)
    reduction = _reduction(reduction, size_average, reduce)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({_size(target._data.shape)}) must be the same as input size "
                         f"({_size(input._data.shape)})")
    _no_grad_arg(weight, "binary_cross_entropy_with_logits", "weight")
    _no_grad_arg(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    input, target, weight, pos_weight = _promote(input, target, weight, pos_weight)
    shape = input._data.shape
    for extra in (pos_weight, weight):
        if extra is not None:
            try:
                if np.broadcast_shapes(shape, extra._data.shape) != shape:
                    raise ValueError
            except ValueError:
                raise broadcast_error(extra._data.shape, shape) if extra is pos_weight else \
                    broadcast_error(shape, extra._data.shape) from None
    pw = None if pos_weight is None else pos_weight._data
    return BceWithLogitsFunction.apply(input, target, weight, reduction, pw)


# ---------------------------------------------------------------------- KL divergence
class KlDivFunction(PointwiseLossFunction):
    """l = t (log t - x) (0 where t = 0), or exp(t) (t - x) with log targets;

    dl/dx = -t (or -exp(t)),  dl/dt = log t + 1 - x (or exp(t) (t - x + 1)).
    """
    node_name = "SubBackward0"

    def pointwise(ctx, x, t):
        if ctx.params:
            et = np.exp(t)
            return et * (t - x), (et,)
        with np.errstate(divide="ignore", invalid="ignore"):
            tlogt = np.where(t == 0, 0, t * np.log(t)).astype(np.result_type(t, x), copy=False)
        return tlogt - t * x, ()

    def derivs(ctx, saved, x, t, nx, nt):
        shape = np.broadcast_shapes(np.shape(x), np.shape(t))
        if ctx.params:
            (et,) = saved
            dx = np.broadcast_to(-et, shape) if nx else None
            dt = et * (t - x + 1) if nt else None
            return dx, dt
        dx = np.broadcast_to(-t, shape) if nx else None
        dt = None
        if nt:
            with np.errstate(divide="ignore", invalid="ignore"):
                dt = np.log(t) + 1 - x
        return dx, dt


class _KlDivBatchmean(KlDivFunction):
    """'batchmean': the sum divided by the batch size (the first dimension)."""
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, x, t, w, reduction, params):
        log_target, batch = params
        ctx.batch = batch
        s = KlDivFunction.forward(ctx, x, t, w, "sum", log_target)
        return np.asarray(s / np.asarray(batch, s.dtype), s.dtype)

    @staticmethod
    def backward(ctx, g):
        return KlDivFunction.backward(ctx, g / np.asarray(ctx.batch, g.dtype))


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence of ``target`` from ``input`` (both given as log-probabilities when
    ``log_target``; ``input`` always is).

    .. math:: \\ell_i = y_i (\\log y_i - x_i) \\quad \\text{or} \\quad e^{y_i} (y_i - x_i) \\;
        (\\text{log\\_target})

    ``reduction='batchmean'`` divides the sum by the batch size, the mathematical KL divergence; ``'mean'``
    (the default, with torch's warning) divides by the number of elements.
    """
    _check(input, "kl_div", "input", 1)
    _check(target, "kl_div", "target", 2)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction != "batchmean":
        reduction = _reduction(reduction)  # torch resolves the reduction before computing anything
    input, target = _promote(input, target)
    broadcast_shape(target._data.shape, input._data.shape)  # torch's order: its formula starts from the target
    if reduction == "batchmean":
        if input._data.ndim == 0:
            return _named(KlDivFunction, "SumBackward0").apply(input, target, None, "sum", bool(log_target))
        return _KlDivBatchmean.apply(input, target, None, "sum", (bool(log_target), input._data.shape[0]))
    name = _by_reduction("MulBackward0" if log_target else "SubBackward0", "MeanBackward0", "SumBackward0")
    return _named(KlDivFunction, name[reduction]).apply(input, target, None, reduction, bool(log_target))


# ---------------------------------------------------------------------- NLL and cross-entropy
def _class_layout(x):
    """(rows, C) view of an input with the class dimension 1 (or 0 for a 1-D input), and how to undo it."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _class_unlayout(g2, shape):
    """Inverse of :func:`_class_layout` for a gradient."""
    if len(shape) <= 2:
        return g2.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return np.moveaxis(g2.reshape(moved), -1, 1)


def _log_softmax_rows(x2):
    """log_softmax over axis 1 with the max shift: x - m - log(sum(exp(x - m)))."""
    if x2.size == 0:
        return x2.copy()
    return log_softmax_rows(np.ascontiguousarray(x2))


class NllLossFunction(ArrayFunction):
    """l_i = -w[t_i] x[i, t_i] (0 where t_i == ignore_index);  mean = sum_i l_i / sum_i w[t_i].

    dx[i, t_i] = -w[t_i] dL/dl_i, zero elsewhere.  With ``log_softmax=True`` the input is logits: the rows
    are log-softmaxed first (cross-entropy) and ``smoothing`` mixes in the label-smoothing term
    eps / C sum_c -w_c logp[i, c]; then dx = dL/dl_i (sum_c a_ic softmax_ic - a_ic) with a_ic the
    coefficient of -logp[i, c] in l_i.
    """
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight, reduction, ignore_index, log_softmax, smoothing):
        x2 = _class_layout(x)
        C = x2.shape[1]
        t = target.reshape(-1).astype(np.int64, copy=False)
        ignored = t == ignore_index
        safe = np.where(ignored, 0, t)
        rows = np.arange(t.shape[0])
        wt = weight[safe] if weight is not None else np.ones(t.shape[0], x.dtype)
        wt = np.where(ignored, 0, wt).astype(x.dtype, copy=False)
        logp = _log_softmax_rows(x2) if log_softmax else x2
        l = -logp[rows, safe] * wt
        if smoothing:
            # (1 - eps) nll_i + eps / C * smooth_i, smooth_i = -sum_c w_c logp[i, c] (0 for ignored rows)
            smooth = -(logp * weight).sum(axis=1) if weight is not None else -logp.sum(axis=1)
            smooth = np.where(ignored, 0, smooth).astype(x.dtype, copy=False)
            l = (1 - smoothing) * l + (smoothing / C) * smooth
        denom = wt.sum(dtype=x.dtype) if weight is not None else np.asarray((~ignored).sum(), x.dtype)
        ctx.save_for_backward(logp, safe, wt)
        ctx.meta = (x.shape, target.shape, reduction, denom, log_softmax, smoothing, ignored, weight)
        if reduction == "none":
            return l.reshape(target.shape if x.ndim > 1 else ())
        return _reduce(l, reduction, denom)

    @staticmethod
    def backward(ctx, g):
        logp, safe, wt = ctx.saved_tensors
        x_shape, t_shape, reduction, denom, log_softmax, smoothing, ignored, weight = ctx.meta
        n, C = logp.shape
        if reduction == "none":
            gl = g.reshape(-1)
        elif reduction == "sum":
            gl = np.broadcast_to(g, (n,))
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                gl = np.broadcast_to(g / denom, (n,))
        # a[i, c]: the coefficient of -logp[i, c] in l_i, times dL/dl_i; ignored rows get nothing (also when
        # every row is ignored and the 'mean' scale is 1 / 0)
        keep = ~ignored
        if log_softmax and not smoothing:
            # a has one entry per kept row, coef_i at its target: dx = softmax * coef_i, minus coef_i there
            coef = np.zeros(n, logp.dtype)
            with np.errstate(invalid="ignore"):
                coef[keep] = wt[keep] * gl[keep]
            gx2 = np.exp(logp)
            gx2 *= coef[:, None]
            gx2[np.flatnonzero(keep), safe[keep]] -= coef[keep]
            return _class_unlayout(gx2, x_shape), None, None, None, None, None, None
        a = np.zeros((n, C), logp.dtype)
        with np.errstate(invalid="ignore"):
            a[np.flatnonzero(keep), safe[keep]] = wt[keep] * gl[keep] * (1 - smoothing)
            if smoothing:
                per = (smoothing / C) * np.where(ignored, 0, gl).astype(logp.dtype, copy=False)
                a += per[:, None] * (weight if weight is not None else 1)
        if log_softmax:
            gx2 = np.exp(logp) * a.sum(axis=1, keepdims=True) - a
        else:
            gx2 = -a
        return _class_unlayout(gx2, x_shape), None, None, None, None, None, None


class SoftCrossEntropyFunction(ArrayFunction):
    """Cross-entropy with class probabilities: l_i = -sum_c w_c t'_ic logp_ic, t' = (1 - eps) t + eps / C;

    mean = sum_i l_i / N (rows);  dx = dL/dl_i (sum_c a_ic p_ic - a_ic) with a = w t',
    dt_ic = -(1 - eps) w_c logp_ic dL/dl_i,  dw_c = -sum_i t'_ic logp_ic dL/dl_i.
    """
    node_name = "DivBackward1"

    @staticmethod
    def forward(ctx, x, t, weight, reduction, smoothing):
        x2 = _class_layout(x)
        t2 = _class_layout(t)
        C = x2.shape[1]
        logp = _log_softmax_rows(x2)
        tp = t2 * (1 - smoothing) + smoothing / C if smoothing else t2
        a = tp * weight if weight is not None else tp
        l = -(logp * a).sum(axis=1)
        ctx.save_for_backward(logp, tp, weight)
        ctx.meta = (x.shape, reduction, smoothing)
        if reduction == "none":
            return l.reshape(x.shape[:1] + x.shape[2:] if x.ndim > 1 else ())
        if reduction == "mean" and x.size == 0:
            return np.asarray(np.nan, x.dtype)
        return _reduce(l, reduction, l.shape[0])

    @staticmethod
    def backward(ctx, g):
        logp, tp, weight = ctx.saved_tensors
        x_shape, reduction, smoothing = ctx.meta
        nx, nt, nw = ctx.needs_input_grad[:3]
        n = logp.shape[0]
        if reduction == "none":
            gl = g.reshape(-1)
        else:
            gl = np.broadcast_to(g / np.asarray(n, g.dtype) if reduction == "mean" else g, (n,))
        gx = gt = gw = None
        if nx:
            a = tp * weight if weight is not None else tp
            a = a * gl[:, None]
            gx = _class_unlayout(np.exp(logp) * a.sum(axis=1, keepdims=True) - a, x_shape)
        if nt:
            d = -logp * gl[:, None]
            if weight is not None:
                d = d * weight
            if smoothing:
                d = d * (1 - smoothing)
            gt = _class_unlayout(d, x_shape)
        if nw:
            gw = -(tp * logp * gl[:, None]).sum(axis=0)
        return gx, gt, gw, None, None


def _nll_checks(input, target, weight, fn="nll_loss"):
    """torch's shape, dtype and range checks of nll_loss_nd; returns the class count."""
    x, t = input._data, target._data
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    t_batch = t.shape[0] if t.ndim else 0  # torch reads a 0-d target's batch size as 0
    if x.ndim != 1 and x.shape[0] != t_batch:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t_batch}).")
    C = x.shape[1] if x.ndim >= 2 else x.shape[0]
    if x.ndim <= 2:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif x.ndim == 4:
        if t.ndim != 3:
            raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of "
                               f"dimension: {t.ndim}")
        if t.shape != (x.shape[0],) + x.shape[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: {list(t.shape)}")
    elif t.shape[1:] != x.shape[2:]:
        raise RuntimeError(f"Expected target size {list((x.shape[0],) + x.shape[2:])}, got {list(t.shape)}")
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {torch_type_name(t.dtype)}")
    if x.ndim == 1 and t.ndim == 1 and t.shape[0] != 1:  # torch checks this after the target dtype
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0]}")
    if weight is not None:
        if weight._data.ndim != 1 or weight._data.shape[0] != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                               f"weight tensor of shape: {list(weight._data.shape)}")
        if weight._data.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {torch_type_name(x.dtype)} but found "
                               f"{torch_type_name(weight._data.dtype)}")
        _no_grad_arg(weight, "nll_loss_forward", "weight")
    return C


def _check_targets_in_range(t, C, ignore_index):
    if t.size == 0:
        return
    bad = ((t < 0) | (t >= C)) & (t != ignore_index)
    if bad.any():
        raise IndexError(f"Target {t.reshape(-1)[np.argmax(bad.reshape(-1))]} is out of bounds.")


def _nll_node(ndim, reduction):
    if ndim <= 2:
        return "NllLossBackward0"
    if ndim == 4 or reduction != "none":
        return "NllLoss2DBackward0"
    return "ViewBackward0"


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` at the class indices ``target``.

    .. math:: \\ell_i = -w_{y_i} x_{i, y_i}, \\qquad \\text{mean} = \\frac{\\sum_i \\ell_i}{\\sum_i w_{y_i}}
        \\quad (\\text{targets equal to ignore\\_index are left out})

    Shape: input ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; target ``(N,)``, ``()`` or ``(N, d1, ...)``.
    """
    _check(input, "nll_loss", "input", 1)
    _check(target, "nll_loss", "target", 2)
    reduction = _reduction(reduction, size_average, reduce)
    C = _nll_checks(input, target, weight)
    _check_targets_in_range(target._data, C, ignore_index)
    cls = _named(NllLossFunction, _nll_node(input._data.ndim, reduction))
    w = None if weight is None else weight._data
    return cls.apply(input, target, w, reduction, ignore_index, False, 0.0)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits ``input`` against class indices or class probabilities ``target``.

    .. math:: \\ell_i = -\\sum_c w_c\\, y'_{ic} \\log \\mathrm{softmax}(x_i)_c, \\qquad
        y' = (1 - \\varepsilon)\\, y + \\varepsilon / C

    For class indices ``y_ic`` is one-hot, targets equal to ``ignore_index`` are left out, and the mean divides
    by the summed weights of the counted targets; for probabilities the mean divides by the number of rows.
    One fused node: log-softmax (max-shifted, never ``log(softmax)``), NLL, smoothing and reduction.
    """
    _check(input, "cross_entropy", "input", 1)
    _check(target, "cross_entropy", "target", 2)
    reduction = _reduction(reduction, size_average, reduce)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
    label_smoothing = max(float(label_smoothing), 0.0)  # torch applies smoothing only when it is positive
    x = input._data
    if x.dtype.kind != "f":
        kern = "log_softmax_lastdim_kernel_impl" if x.ndim <= 2 else "log_softmax_kernel_impl"
        raise NotImplementedError(f"\"{kern}\" not implemented for '{torch_type_name(x.dtype)}'")
    if target._data.shape == x.shape:
        if target._data.dtype.kind != "f":
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{torch_type_name(target._data.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        C = x.shape[1] if x.ndim > 1 else x.shape[0]
        if weight is not None and (weight._data.ndim != 1 or weight._data.shape[0] != C):
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {C} classes or no "
                               f"classes but got weight tensor of shape: {list(weight._data.shape)}")
        input, target, weight = _promote(input, target, weight)
        name = _by_reduction("NegBackward0", "DivBackward1", "NegBackward0")[reduction]
        return _named(SoftCrossEntropyFunction, name).apply(input, target, weight, reduction,
                                                             float(label_smoothing))
    C = _nll_checks(input, target, weight)
    _check_targets_in_range(target._data, C, ignore_index)
    name = "AddBackward0" if label_smoothing > 0 else _nll_node(x.ndim, reduction)
    w = None if weight is None else weight._data
    return _named(NllLossFunction, name).apply(input, target, w, reduction, ignore_index, True,
                                               float(label_smoothing))


# ---------------------------------------------------------------------- similarities and distances
def _vector_norm(d, p, axis, keepdims=True):
    """The p-norm of ``d`` along ``axis`` (p = inf, -inf, 0, 1, 2 or any other real)."""
    a = np.abs(d)
    if p == 2:
        return np.sqrt((d * d).sum(axis=axis, keepdims=keepdims))
    if p == 1:
        return a.sum(axis=axis, keepdims=keepdims)
    if p == np.inf:
        return a.max(axis=axis, keepdims=keepdims) if a.shape[axis] else np.zeros_like(a.sum(axis, keepdims=keepdims))
    if p == -np.inf:
        return a.min(axis=axis, keepdims=keepdims)
    if p == 0:
        return (a != 0).sum(axis=axis, keepdims=keepdims).astype(d.dtype)
    return (a ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


def _vector_norm_grad(d, n, p, axis):
    """d ||d||_p / d d, with torch's conventions (0 where the norm is 0; ties of the inf-norm share)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if p == 2:
            return np.where(n == 0, 0, d / n).astype(d.dtype, copy=False)
        if p == 1:
            return np.sign(d)
        if p in (np.inf, -np.inf):
            hit = np.abs(d) == n
            return (np.sign(d) * hit / hit.sum(axis=axis, keepdims=True)).astype(d.dtype, copy=False)
        if p == 0:
            return np.zeros_like(d)
        a = np.abs(d)
        return np.where(n == 0, 0, np.sign(d) * a ** (p - 1) / n ** (p - 1)).astype(d.dtype, copy=False)


class CosineSimilarityFunction(ArrayFunction):
    """y = sum(x1 x2) / (c1 c2) along ``dim``, c = max(||x||, eps);

    dx1 = g (x2 / (c1 c2) - y x1 / (||x1|| c1)) (the clamp is not differentiated, as in torch), and likewise dx2.
    """
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x1, x2, dim, eps):
        shape = np.broadcast_shapes(x1.shape, x2.shape)
        a, b = np.broadcast_to(x1, shape), np.broadcast_to(x2, shape)
        n1 = np.sqrt((a * a).sum(axis=dim, keepdims=True))
        n2 = np.sqrt((b * b).sum(axis=dim, keepdims=True))
        c1, c2 = np.maximum(n1, eps), np.maximum(n2, eps)
        y = ((a / c1) * (b / c2)).sum(axis=dim, keepdims=True)
        ctx.save_for_backward(a, b, n1, n2, c1, c2, y)
        ctx.meta = (x1.shape, x2.shape, dim)
        return y.squeeze(dim)

    @staticmethod
    def backward(ctx, g):
        a, b, n1, n2, c1, c2, y = ctx.saved_tensors
        s1, s2, dim = ctx.meta
        n1_, n2_ = ctx.needs_input_grad[:2]
        g = np.expand_dims(g, dim)
        g1 = g2 = None
        with np.errstate(invalid="ignore", divide="ignore"):
            if n1_:
                u1 = np.where(n1 == 0, 0, a / (n1 * c1)).astype(a.dtype, copy=False)
                g1 = unbroadcast(g * (b / (c1 * c2) - y * u1), s1)
            if n2_:
                u2 = np.where(n2 == 0, 0, b / (n2 * c2)).astype(b.dtype, copy=False)
                g2 = unbroadcast(g * (a / (c1 * c2) - y * u2), s2)
        return g1, g2, None, None


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcasting both).

    .. math:: \\frac{x_1 \\cdot x_2}{\\max(\\|x_1\\|_2, \\epsilon) \\max(\\|x_2\\|_2, \\epsilon)}
    """
    _check(x1, "cosine_similarity", "x1", 1)
    _check(x2, "cosine_similarity", "x2", 2)
    rt = result_type(x1, x2)
    if not rt.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{torch_type_name(rt.np)}")
    x1, x2 = _promote(x1, x2)
    shape = broadcast_shape(x1._data.shape, x2._data.shape)
    d = wrap_dim(dim, len(shape))
    return CosineSimilarityFunction.apply(x1, x2, d, float(eps))


class PairwiseDistanceFunction(ArrayFunction):
    """y = ||x1 - x2 + eps||_p over the last dimension;  dx1 = g dn/dd = -dx2."""
    node_name = "NormBackward1"

    @staticmethod
    def forward(ctx, x1, x2, p, eps, keepdim):
        d = x1 - x2 + eps
        scalar = d.ndim == 0
        if scalar:
            d = d.reshape(1)
        n = _vector_norm(d, p, -1)
        ctx.save_for_backward(d, n)
        ctx.meta = (x1.shape, x2.shape, p, keepdim, scalar)
        if scalar:
            return n.reshape(())
        return n if keepdim else n.squeeze(-1)

    @staticmethod
    def backward(ctx, g):
        d, n = ctx.saved_tensors
        s1, s2, p, keepdim, scalar = ctx.meta
        g = g.reshape(n.shape)
        dd = g * _vector_norm_grad(d, n, p, -1)
        if scalar:
            dd = dd.reshape(())
        n1_, n2_ = ctx.needs_input_grad[:2]
        return (unbroadcast(dd, s1) if n1_ else None), (unbroadcast(-dd, s2) if n2_ else None), None, None, None


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """p-norm distance between the rows (last dimension) of ``x1`` and ``x2``, with ``eps`` added to the difference.

    .. math:: \\mathrm{dist}(x_1, x_2) = \\|x_1 - x_2 + \\epsilon\\|_p
    """
    _check(x1, "pairwise_distance", "x1", 1)
    _check(x2, "pairwise_distance", "x2", 2)
    x1, x2 = _promote(x1, x2)
    broadcast_shape(x1._data.shape, x2._data.shape)
    return PairwiseDistanceFunction.apply(x1, x2, float(p), float(eps), bool(keepdim))


# ---------------------------------------------------------------------- margin losses
class MarginRankingLossFunction(ArrayFunction):
    """l = max(0, -t (x1 - x2) + margin);  where active: dx1 = -t, dx2 = t, dt = -(x1 - x2)."""
    node_name = "ClampMinBackward0"

    @staticmethod
    def forward(ctx, x1, x2, t, margin, reduction):
        diff = x1 - x2
        z = -t * diff + margin
        ctx.save_for_backward(diff, t, z)
        ctx.meta = (x1.shape, x2.shape, np.shape(t), reduction)
        return _reduce(np.maximum(z, 0), reduction)

    @staticmethod
    def backward(ctx, g):
        diff, t, z = ctx.saved_tensors
        s1, s2, st, reduction = ctx.meta
        n1, n2, nt = ctx.needs_input_grad[:3]
        gl = _grad_of_reduce(g, reduction, z.shape, g.dtype) * (z >= 0)
        return ((unbroadcast(-t * gl, s1) if n1 else None), (unbroadcast(t * gl, s2) if n2 else None),
                (unbroadcast(-diff * gl, st) if nt else None), None, None)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """Ranking loss: ``target`` = 1 asks for ``input1`` > ``input2``, -1 for the opposite.

    .. math:: \\ell_i = \\max(0, -y_i (x_{1,i} - x_{2,i}) + \\text{margin})
    """
    for i, (n, t) in enumerate((("input1", input1), ("input2", input2), ("target", target))):
        _check(t, "margin_ranking_loss", n, i + 1)
    reduction = _reduction(reduction, size_average, reduce)
    if input1._data.ndim != input2._data.ndim or input1._data.ndim != target._data.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_size(input1._data.shape)}, input2: {_size(input2._data.shape)}, target: "
                           f"{_size(target._data.shape)} ")
    input1, input2, target = _promote(input1, input2, target)
    broadcast_shape(target._data.shape, broadcast_shape(input1._data.shape, input2._data.shape))
    name = _by_reduction("ClampMinBackward0", "MeanBackward0", "SumBackward0")[reduction]
    return _named(MarginRankingLossFunction, name).apply(input1, input2, target, float(margin), reduction)


class HingeEmbeddingLossFunction(ArrayFunction):
    """l = max(0, margin - x) where t != 1, plus x where t != -1;  dx = -(margin - x >= 0) [t != 1] + [t != -1]."""
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x, t, margin, reduction):
        shape = np.broadcast_shapes(x.shape, np.shape(t))
        z = margin - x
        not_pos, not_neg = t != 1, t != -1
        l = np.where(not_pos, np.maximum(z, 0), 0) + np.where(not_neg, x, 0)
        ctx.save_for_backward(z, not_pos, not_neg)
        ctx.meta = (x.shape, shape, reduction)
        return _reduce(np.broadcast_to(l, shape).astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        z, not_pos, not_neg = ctx.saved_tensors
        sx, shape, reduction = ctx.meta
        gl = _grad_of_reduce(g, reduction, shape, g.dtype)
        d = not_neg.astype(g.dtype) - (not_pos & (z >= 0)).astype(g.dtype)
        return unbroadcast(gl * d, sx), None, None, None


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """Hinge embedding loss for targets in {1, -1}: distances for similar pairs, hinged ones for dissimilar.

    .. math:: \\ell_i = x_i \\text{ if } y_i = 1, \\quad \\max(0, \\text{margin} - x_i) \\text{ if } y_i = -1
    """
    _check(input, "hinge_embedding_loss", "input", 1)
    _check(target, "hinge_embedding_loss", "target", 2)
    reduction = _reduction(reduction, size_average, reduce)
    broadcast_shape(target._data.shape, input._data.shape)
    (input,) = _promote(input)
    name = _by_reduction("AddBackward0", "MeanBackward0", "SumBackward0")[reduction]
    return _named(HingeEmbeddingLossFunction, name).apply(input, target, float(margin), reduction)


class CosineEmbeddingLossFunction(ArrayFunction):
    """cos = sum(x1 x2) / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)) along the last dimension;

    l = 1 - cos where t == 1, max(0, cos - margin) where t == -1;
    dcos/dx1 = x2 / D - cos x1 / S1, dcos/dx2 = x1 / D - cos x2 / S2 (S = |x|^2 + 1e-12, D = sqrt(S1 S2)).
    """
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x1, x2, t, margin, reduction):
        dim = x1.ndim - 1
        shape = np.broadcast_shapes(x1.shape, x2.shape)
        a, b = np.broadcast_to(x1, shape), np.broadcast_to(x2, shape)
        s1 = (a * a).sum(axis=dim) + 1e-12
        s2 = (b * b).sum(axis=dim) + 1e-12
        den = np.sqrt(s1 * s2)
        cos = (a * b).sum(axis=dim) / den
        pos, neg = t == 1, t == -1
        l = np.where(pos, 1 - cos, 0) + np.where(neg, np.maximum(cos - margin, 0), 0)
        l = l.astype(x1.dtype, copy=False)
        ctx.save_for_backward(a, b, s1, s2, den, cos, pos, neg)
        ctx.meta = (x1.shape, x2.shape, margin, reduction, dim, l.shape)
        return _reduce(l, reduction)

    @staticmethod
    def backward(ctx, g):
        a, b, s1, s2, den, cos, pos, neg = ctx.saved_tensors
        sh1, sh2, margin, reduction, dim, lshape = ctx.meta
        n1, n2 = ctx.needs_input_grad[:2]
        gl = _grad_of_reduce(g, reduction, lshape, g.dtype)  # the target may broadcast the loss beyond cos
        dcos = (gl * (neg & (cos - margin >= 0)) - gl * pos).astype(g.dtype, copy=False)
        dcos = unbroadcast(np.broadcast_to(dcos, lshape), cos.shape)
        dcos, den_, cos_ = (np.expand_dims(v, dim) for v in (dcos, den, cos))
        g1 = unbroadcast(dcos * (b / den_ - cos_ * a / np.expand_dims(s1, dim)), sh1) if n1 else None
        g2 = unbroadcast(dcos * (a / den_ - cos_ * b / np.expand_dims(s2, dim)), sh2) if n2 else None
        return g1, g2, None, None, None


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """Cosine embedding loss: pull pairs together (target 1) or push their cosine below ``margin`` (target -1).

    .. math:: \\ell_i = 1 - \\cos(x_{1,i}, x_{2,i}) \\text{ if } y_i = 1, \\quad
        \\max(0, \\cos(x_{1,i}, x_{2,i}) - \\text{margin}) \\text{ if } y_i = -1
    """
    for i, (n, t) in enumerate((("input1", input1), ("input2", input2), ("target", target))):
        _check(t, "cosine_embedding_loss", n, i + 1)
    reduction = _reduction(reduction, size_average, reduce)
    td = target._data.ndim
    s1, s2 = list(input1._data.shape), list(input2._data.shape)
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if td == 1 and (len(s1) != 2 or len(s2) != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes {s1} and {s2}.")
    if td == 0 and (len(s1) != 1 or len(s2) != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes {s1} and {s2}.")
    input1, input2 = _promote(input1, input2)
    shape = broadcast_shape(input1._data.shape, input2._data.shape)
    broadcast_shape(target._data.shape, shape[:-1])
    name = _by_reduction("AddBackward0", "MeanBackward0", "SumBackward0")[reduction]
    return _named(CosineEmbeddingLossFunction, name).apply(input1, input2, target, float(margin), reduction)


class TripletMarginLossFunction(ArrayFunction):
    """l = max(0, margin + d(a, p) - d(a, n)), d(u, v) = ||u - v + eps||_p over the last dimension; with ``swap``
    d(a, n) is replaced by min(d(a, n), d(p, n)) (ties share the gradient, as torch's minimum does)."""
    node_name = "ClampMinBackward0"

    @staticmethod
    def forward(ctx, a, p, n, margin, norm_p, eps, swap, reduction):
        dap, dan = a - p + eps, a - n + eps
        scalar = dap.ndim == 0
        if scalar:
            dap, dan = dap.reshape(1), dan.reshape(1)
        npos = _vector_norm(dap, norm_p, -1)
        nneg = _vector_norm(dan, norm_p, -1)
        dpn = nswap = None
        if swap:
            dpn = p - n + eps
            dpn = dpn.reshape(1) if scalar else dpn
            nswap = _vector_norm(dpn, norm_p, -1)
            dist_neg = np.minimum(nneg, nswap)
        else:
            dist_neg = nneg
        z = (margin + npos - dist_neg)[..., 0]
        ctx.save_for_backward(dap, dan, npos, nneg, z, dpn, nswap)
        ctx.meta = (a.shape, p.shape, n.shape, norm_p, swap, reduction, scalar)
        l = np.maximum(z, 0)
        return _reduce(l.reshape(()) if scalar else l, reduction)

    @staticmethod
    def backward(ctx, g):
        dap, dan, npos, nneg, z, dpn, nswap = ctx.saved_tensors
        sa, sp, sn, norm_p, swap, reduction, scalar = ctx.meta
        gl = _grad_of_reduce(g, reduction, () if scalar else z.shape, g.dtype)
        gz = (np.reshape(gl, z.shape) * (z >= 0)).astype(g.dtype, copy=False)[..., None]
        g_pos = gz * _vector_norm_grad(dap, npos, norm_p, -1)            # d/d(a - p)
        if swap:
            half = np.where(nneg == nswap, 0.5, 1.0).astype(g.dtype)
            w_neg = np.where(nneg <= nswap, half, 0).astype(g.dtype)
            w_swap = np.where(nswap <= nneg, half, 0).astype(g.dtype)
        else:
            w_neg, w_swap = 1, 0
        g_neg = -gz * w_neg * _vector_norm_grad(dan, nneg, norm_p, -1)   # d/d(a - n)
        g_sw = -gz * w_swap * _vector_norm_grad(dpn, nswap, norm_p, -1) if swap else None  # d/d(p - n)
        # each difference has its own broadcast shape: sum every term down to the input separately
        na, np_, nn = ctx.needs_input_grad[:3]
        ga = unbroadcast(g_pos, sa) + unbroadcast(g_neg, sa) if na else None
        gp = (-unbroadcast(g_pos, sp) + (unbroadcast(g_sw, sp) if swap else 0)) if np_ else None
        gn = (-unbroadcast(g_neg, sn) - (unbroadcast(g_sw, sn) if swap else 0)) if nn else None
        return ga, gp, gn, None, None, None, None, None


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """Triplet loss: the anchor must be closer to the positive than to the negative by ``margin``.

    .. math:: \\ell_i = \\max(0, \\text{margin} + d(a_i, p_i) - d(a_i, n_i)), \\quad
        d(u, v) = \\|u - v + \\epsilon\\|_p
    """
    for i, (n, t) in enumerate((("anchor", anchor), ("positive", positive), ("negative", negative))):
        _check(t, "triplet_margin_loss", n, i + 1)
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    da, dp, dn = anchor._data.ndim, positive._data.ndim, negative._data.ndim
    if not (da == dp == dn):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {da}D, positive {dp}D, and negative {dn}D inputs")
    anchor, positive, negative = _promote(anchor, positive, negative)
    broadcast_shape(anchor._data.shape, positive._data.shape, negative._data.shape)
    name = _by_reduction("ClampMinBackward0", "MeanBackward0", "SumBackward0")[reduction]
    return _named(TripletMarginLossFunction, name).apply(anchor, positive, negative, float(margin), float(p),
                                                         float(eps), bool(swap), reduction)


# ---------------------------------------------------------------------- Gaussian NLL
class _Unsqueezed(ArrayFunction):
    """var[..., None] (homoscedastic variance per row)."""
    node_name = "UnsqueezeBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, v):
        return v[..., None]

    @staticmethod
    def backward(ctx, g):
        return g[..., 0]


class GaussianNllLossFunction(ArrayFunction):
    """l = (log v + (x - t)^2 / v) / 2 (+ log(2 pi) / 2), v = max(var, eps) (the clamp is not differentiated);

    dx = (x - t) / v = -dt,  dvar = (1 / v - (x - t)^2 / v^2) / 2.
    """
    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, t, var, full, eps, reduction):
        v = np.maximum(var, eps)
        d = x - t
        l = 0.5 * (np.log(v) + d * d / v)
        if full:
            l = l + 0.5 * math.log(2 * math.pi)
        ctx.save_for_backward(d, v)
        ctx.meta = (x.shape, t.shape, var.shape, l.shape, reduction)
        return _reduce(l, reduction)

    @staticmethod
    def backward(ctx, g):
        d, v = ctx.saved_tensors
        sx, st, sv, shape, reduction = ctx.meta
        nx, nt, nv = ctx.needs_input_grad[:3]
        gl = _grad_of_reduce(g, reduction, shape, g.dtype)
        r = d / v
        gx = unbroadcast(gl * r, sx) if nx else None
        gt = unbroadcast(-gl * r, st) if nt else None
        gv = unbroadcast(gl * 0.5 * (1 / v - r * r), sv) if nv else None
        return gx, gt, gv, None, None, None


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of ``target`` under Gaussians with mean ``input`` and variance ``var``.

    .. math:: \\ell_i = \\frac{1}{2}\\left(\\log \\max(\\sigma_i^2, \\epsilon)
        + \\frac{(x_i - y_i)^2}{\\max(\\sigma_i^2, \\epsilon)}\\right) \\; \\left(+ \\frac{1}{2} \\log 2\\pi
        \\text{ if full}\\right)

    ``var`` may have the input's shape, lack its last dimension, or have a single mismatched dimension of size 1
    (homoscedastic); a float is a shared variance.
    """
    _check(input, "gaussian_nll_loss", "input", 1)
    _check(target, "gaussian_nll_loss", "target", 2)
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _from_array(np.full(input._data.shape, var, input._data.dtype))
    elif (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    xs, vs = input._data.shape, var._data.shape
    if vs != xs:
        if xs[:-1] == vs:
            var = _Unsqueezed.apply(var)
        elif len(xs) == len(vs) and sum(b for a, b in zip(xs, vs) if a != b) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not valid")
    input, target, var = _promote(input, target, var)
    broadcast_shape(input._data.shape, target._data.shape, var._data.shape)
    name = _by_reduction("AddBackward0" if full else "MulBackward0", "MeanBackward0", "SumBackward0")[reduction]
    return _named(GaussianNllLossFunction, name).apply(input, target, var, bool(full), float(eps), reduction)


# ---------------------------------------------------------------------- multi-label / multi-class margins
class MultilabelSoftMarginLossFunction(ArrayFunction):
    """l_n = -sum_c w_c (t log sigmoid(x) + (1 - t) log sigmoid(-x)) / C;

    dx = w (sigmoid(x) - t) / C,  dt = -w x / C,  dw = per-element loss / C.
    The class dimension is the input's last one, counted from the front of the broadcast loss, as in torch.
    """
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, x, t, w, reduction):
        sp_neg = np.log1p(np.exp(-np.abs(x)))                # common part of -log sigmoid(+-x)
        nls_pos = sp_neg + np.maximum(-x, 0)                 # -log sigmoid(x)
        nls_neg = sp_neg + np.maximum(x, 0)                  # -log sigmoid(-x)
        e = t * nls_pos + (1 - t) * nls_neg
        axis = x.ndim - 1
        C = x.shape[axis]
        ew = e * w if w is not None else e
        l = ew.sum(axis=axis) / np.asarray(C, ew.dtype)
        ctx.save_for_backward(x, t, w, e)
        ctx.meta = (x.shape, np.shape(t), None if w is None else w.shape, ew.shape, C, axis, reduction)
        return _reduce(l, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, w, e = ctx.saved_tensors
        sx, st, sw, shape, C, axis, reduction = ctx.meta
        nx, nt, nw = ctx.needs_input_grad[:3]
        gl = _grad_of_reduce(g, reduction, shape[:axis] + shape[axis + 1:], g.dtype)
        gl = np.expand_dims(gl, axis) / np.asarray(C, g.dtype)
        gw_ = gl * w if w is not None else gl
        gx = gt = gw = None
        if nx:
            gx = unbroadcast(gw_ * (0.5 * np.tanh(0.5 * x) + 0.5 - t), sx)
        if nt:
            gt = unbroadcast(np.broadcast_to(-gw_ * x, shape), st)  # the target may be the larger operand
        if nw:
            gw = unbroadcast(gl * e, sw)
        return gx, gt, gw, None


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Multi-label one-versus-all logistic loss, averaged over the classes (last dimension).

    .. math:: \\ell_n = -\\frac{1}{C} \\sum_c w_c \\left(y_{nc} \\log \\sigma(x_{nc})
        + (1 - y_{nc}) \\log \\sigma(-x_{nc})\\right)
    """
    _check(input, "multilabel_soft_margin_loss", "input", 1)
    _check(target, "multilabel_soft_margin_loss", "target", 2)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    input, target, weight = _promote(input, target, weight)
    broadcast_shape(input._data.shape, target._data.shape, *(() if weight is None else (weight._data.shape,)))
    if input._data.ndim == 0:  # torch takes input.size(-1) as the number of classes
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    if reduction not in _REDUCTIONS:  # checked after the loss is computed, as torch does
        raise ValueError(f"{reduction} is not valid")
    name = _by_reduction("DivBackward0", "MeanBackward0", "SumBackward0")[reduction]
    return _named(MultilabelSoftMarginLossFunction, name).apply(input, target, weight, reduction)


class MultiMarginLossFunction(ArrayFunction):
    """l_n = sum_{j != y} w_y max(0, margin - x_y + x_j)^p / C;

    for active j: dx_j = w_y p z^(p-1) / C, and dx_y = -sum_j of those.
    """
    node_name = "MultiMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, y, w, p, margin, reduction, out_shape):
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
        n, C = x2.shape
        y = y.reshape(-1)
        rows = np.arange(n)
        z = margin - x2[rows, y][:, None] + x2
        z[rows, y] = 0
        act = z > 0
        zp = np.where(act, z if p == 1 else z * z, 0).astype(x.dtype, copy=False)
        wy = w[y] if w is not None else None
        l = zp.sum(axis=1)
        if wy is not None:
            l = l * wy
        l = l / np.asarray(C, x.dtype)
        ctx.save_for_backward(z, act, wy, y)
        ctx.meta = (x.shape, p, C, reduction)
        if reduction == "none":
            return l.reshape(out_shape)
        return _reduce(l, reduction)

    @staticmethod
    def backward(ctx, g):
        z, act, wy, y = ctx.saved_tensors
        x_shape, p, C, reduction = ctx.meta
        n = z.shape[0]
        gl = _grad_of_reduce(g.reshape(-1) if reduction == "none" else g, reduction, (n,), g.dtype)
        coef = gl / np.asarray(C, g.dtype)
        if wy is not None:
            coef = coef * wy
        d = act * (1 if p == 1 else 2 * z)
        d = (d * coef[:, None]).astype(g.dtype, copy=False)
        rows = np.arange(n)
        d[rows, y] = 0
        d[rows, y] = -d.sum(axis=1)
        return d.reshape(x_shape), None, None, None, None, None, None


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge loss.

    .. math:: \\ell_n = \\frac{1}{C} \\sum_{j \\ne y_n} w_{y_n} \\max(0, \\text{margin} - x_{n, y_n} + x_{n, j})^p

    Shape: input ``(N, C)`` or ``(C,)``; target ``(N,)`` class indices.
    """
    _check(input, "multi_margin_loss", "input", 1)
    _check(target, "multi_margin_loss", "target", 2)
    reduction = _reduction(reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight._data.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    x, t = input._data, target._data
    nd = x.ndim
    if not ((nd == 2 and x.shape[1] != 0) or (nd == 1 and x.shape[0] != 0) or nd == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(x.shape)}")
    nframe, C = (1, x.shape[0] if nd == 1 else 1) if nd <= 1 else x.shape
    if t.ndim > 1 or t.size != nframe:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{nframe}], but got {list(t.shape)}. Input "
                           f"has shape {list(x.shape)}.")
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {torch_type_name(t.dtype)}")
    if weight is not None:
        if weight._data.size != C:
            raise RuntimeError(f"inconsistent weight size, expected {C} but got {list(weight._data.shape)}")
        _no_grad_arg(weight, "multi_margin_loss", "weight")
    if x.dtype == np.float16:  # torch's CPU kernel has no half-precision version
        raise NotImplementedError("\"multi_margin_loss_cpu_kernel\" not implemented for 'Half'")
    if t.size and (t.min() < 0 or t.max() >= C):
        raise RuntimeError("target out of range")
    out_shape = (x.shape[0],) if nd == 2 else tuple(t.shape)
    w = None if weight is None else weight._data.astype(x.dtype, copy=False)
    return MultiMarginLossFunction.apply(input, target, w, int(p), float(margin), reduction, out_shape)
