"""Activation functions: ReLU and its relatives, smooth activations, shrinkage, GLU/PReLU/RReLU and softmax.

Every activation is one :class:`ArrayFunction` whose backward is the analytic derivative, so an activation
costs one autograd node. ``inplace=True`` computes the result and writes it back into the input through
:func:`commit_inplace`, with torch's checks (a leaf that requires grad cannot be modified in place) and
torch's node (``LeakyReluBackward1``, ``EluBackward1``, ... differentiate from the result, as torch's do).

Conventions at kinks follow torch: ``relu``'s gradient is 0 at 0, ``hardtanh``'s is 0 at both limits, the
ELU family uses the negative branch at 0, and the shrink functions pass no gradient on ``[-lambd, lambd]``.
"""
import warnings

import numpy as np

from .._dtype import as_dtype, dtype as _dtype_cls
from .._tensor import Tensor, _from_array, tensor_method
from .._backend import parallel_blocks
from ..autograd.function import ArrayFunction, commit_inplace
from ..random import _gen
from ._special import erf as _erf
from ._util import check_tensor, float_input, row_sums as _row_sums, torch_type_name, wrap_dim

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_", "celu",
           "celu_", "gelu", "silu", "mish", "softplus", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish",
           "logsigmoid", "softsign", "tanhshrink", "softshrink", "hardshrink", "threshold", "threshold_", "glu",
           "prelu", "rrelu", "rrelu_", "softmax", "log_softmax", "softmin"]
#: names also exported at numtorch's top level (torch.<name>), besides nn.functional
TOP_LEVEL = ["relu", "relu_", "selu", "selu_", "celu", "celu_", "hardshrink", "threshold", "threshold_",
             "prelu", "rrelu", "rrelu_", "softmax", "log_softmax"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_HALF = 0.70710678118654752440      # 1 / sqrt(2)
_INV_SQRT_2PI = 0.39894228040143267794   # 1 / sqrt(2 pi)
_SQRT_2_OVER_PI = 0.79788456080286535588  # sqrt(2 / pi)
_GELU_CUBIC = 0.044715


# ---------------------------------------------------------------------- shared helpers
def _floating(input, op, kernel):
    """Check that ``input`` is a floating-point Tensor, raising torch's errors otherwise."""
    check_tensor(input, op)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{torch_type_name(input._data.dtype)}'")
    return input


def _numeric(input, op):
    check_tensor(input, op)
    if input._data.dtype == np.bool_:
        raise NotImplementedError(f"\"{op}\" not implemented for 'Bool'")
    return input


def _sigmoid(x):
    """1 / (1 + exp(-x)) as 0.5 tanh(x / 2) + 0.5: no overflow for any x."""
    s = np.tanh(x * 0.5)
    s *= 0.5
    s += 0.5
    return s


def _softplus(x):
    """log(1 + exp(x)) = log1p(exp(-|x|)) + max(x, 0): no overflow for any x."""
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def _scalar(v):
    if isinstance(v, Tensor):
        v = v.item()
    return v


def _same_kind(v, arr):
    """A Python scalar that keeps ``arr``'s dtype (integers arrays get an integer bound, as torch casts)."""
    return int(v) if arr.dtype.kind in "iu" else float(v)


# ---------------------------------------------------------------------- ReLU family
class ReluFunction(ArrayFunction):
    """y = max(x, 0);  dx = g where y > 0, else 0."""
    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y != 0)  # y >= 0, so this is torch's "0 where y <= 0": a nan input passes g, as in torch


@tensor_method()
def relu(input, inplace=False):
    """Rectified linear unit, elementwise.

    .. math:: \\mathrm{ReLU}(x) = \\max(x, 0)

    Args:
        input: any real tensor (integer tensors stay integer).
        inplace: write the result into ``input``.
    """
    _numeric(input, "relu")
    if inplace:
        return relu_(input)
    return ReluFunction.apply(input)


@tensor_method()
def relu_(input):
    """In-place :func:`relu`.

    .. math:: x \\leftarrow \\max(x, 0)
    """
    _numeric(input, "relu_")
    return commit_inplace(input, ReluFunction.apply(input))


class HardtanhFunction(ArrayFunction):
    """y = clip(x, lo, hi);  dx = g where lo < x < hi, else 0."""
    node_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.bounds = (lo, hi)
        ctx.save_for_backward(x)
        return np.clip(x, _same_kind(lo, x), _same_kind(hi, x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        return g * ((x > lo) & (x < hi)), None, None


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """Hard tanh: the input clipped to ``[min_val, max_val]``.

    .. math:: \\mathrm{HardTanh}(x) = \\min(\\max(x, \\text{min\\_val}), \\text{max\\_val})
    """
    _numeric(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    out = HardtanhFunction.apply(input, min_val, max_val)
    return commit_inplace(input, out) if inplace else out


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place :func:`hardtanh`.

    .. math:: x \\leftarrow \\min(\\max(x, \\text{min\\_val}), \\text{max\\_val})
    """
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """ReLU capped at 6 (torch records it as a hardtanh).

    .. math:: \\mathrm{ReLU6}(x) = \\min(\\max(x, 0), 6)
    """
    _numeric(input, "relu6")
    return hardtanh(input, 0.0, 6.0, inplace)


class LeakyReluFunction(ArrayFunction):
    """y = x if x > 0 else slope x;  dx = g if x > 0 else slope g."""
    node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, slope):
        ctx.slope = slope
        y = np.where(x > 0, x, x * slope)
        ctx.save_for_backward(ctx.mask_source(x, y))
        return y

    @staticmethod
    def mask_source(x, y):
        return x

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return np.where(s > 0, g, g * ctx.slope), None


class LeakyReluResultFunction(LeakyReluFunction):
    """In-place leaky ReLU, differentiated from the result (sign(y) = sign(x) for a positive slope)."""
    node_name = "LeakyReluBackward1"

    @staticmethod
    def mask_source(x, y):
        return y

    @staticmethod
    def backward(ctx, g):
        if ctx.slope < 0:
            raise RuntimeError(
                "In-place leakyReLu backward calculation is triggered with a negative slope which is not "
                "supported. This is caused by calling in-place forward function with a negative slope, please "
                "call out-of-place version instead. File an issue at https://github.com/pytorch/pytorch if you "
                "do require supporting in-place leakRelu backward calculation with negative slope")
        return LeakyReluFunction.backward(ctx, g)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """Leaky ReLU, elementwise.

    .. math:: \\mathrm{LeakyReLU}(x) = \\max(0, x) + \\text{negative\\_slope} \\cdot \\min(0, x)
    """
    _floating(input, "leaky_relu", "leaky_relu_cpu")
    slope = float(_scalar(negative_slope))
    if inplace:
        return commit_inplace(input, LeakyReluResultFunction.apply(input, slope))
    return LeakyReluFunction.apply(input, slope)


def leaky_relu_(input, negative_slope=0.01):
    """In-place :func:`leaky_relu`.

    .. math:: x \\leftarrow \\max(0, x) + \\text{negative\\_slope} \\cdot \\min(0, x)
    """
    return leaky_relu(input, negative_slope, inplace=True)


class EluFunction(ArrayFunction):
    """The ELU family: y = scale x for x > 0, else alpha scale (exp(x input_scale) - 1).

    dx = scale g for x > 0, else g alpha scale input_scale exp(x input_scale).
    """
    node_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        ctx.coef = (alpha, scale, input_scale)
        neg = np.expm1(np.minimum(x, 0) * input_scale)
        neg *= alpha * scale
        y = np.where(x > 0, x * scale, neg)
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        alpha, scale, input_scale = ctx.coef
        neg = np.exp(np.minimum(x, 0) * input_scale)
        neg *= alpha * scale * input_scale
        return g * np.where(x > 0, scale, neg), None, None, None


class EluResultFunction(EluFunction):
    """In-place ELU differentiated from the result: dx = g input_scale (y + alpha scale) where y <= 0."""
    node_name = "EluBackward1"

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        y = EluFunction.forward(ctx, x, alpha, scale, input_scale)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        alpha, scale, input_scale = ctx.coef
        if alpha < 0:
            raise RuntimeError(
                "In-place elu backward calculation is triggered with a negative slope which is not supported. "
                "This is caused by calling in-place forward function with a negative slope, please call "
                "out-of-place version instead.")
        neg = (y + alpha * scale) * input_scale
        return g * np.where(y > 0, scale, neg), None, None, None


class CeluFunction(EluFunction):
    node_name = "CeluBackward0"


class CeluResultFunction(EluResultFunction):
    node_name = "CeluBackward1"


def _elu(input, alpha, scale, input_scale, inplace, fn, fn_result):
    if inplace:
        return commit_inplace(input, fn_result.apply(input, alpha, scale, input_scale))
    return fn.apply(input, alpha, scale, input_scale)


def elu(input, alpha=1.0, inplace=False):
    """Exponential linear unit, elementwise.

    .. math:: \\mathrm{ELU}(x) = x \\text{ if } x > 0 \\text{ else } \\alpha (e^x - 1)
    """
    _floating(input, "elu", "elu_cpu")
    return _elu(input, float(alpha), 1.0, 1.0, inplace, EluFunction, EluResultFunction)


def elu_(input, alpha=1.0):
    """In-place :func:`elu`.

    .. math:: x \\leftarrow x \\text{ if } x > 0 \\text{ else } \\alpha (e^x - 1)
    """
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    """Scaled ELU with the self-normalising constants (alpha ~ 1.6733, scale ~ 1.0507).

    .. math:: \\mathrm{SELU}(x) = \\text{scale} (\\max(0, x) + \\min(0, \\alpha (e^x - 1)))
    """
    _floating(input, "selu", "elu_cpu")
    return _elu(input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace, EluFunction, EluResultFunction)


def selu_(input):
    """In-place :func:`selu`.

    .. math:: x \\leftarrow \\text{scale} (\\max(0, x) + \\min(0, \\alpha (e^x - 1)))
    """
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """Continuously differentiable ELU.

    .. math:: \\mathrm{CELU}(x) = \\max(0, x) + \\min(0, \\alpha (e^{x / \\alpha} - 1))
    """
    _floating(input, "celu", "elu_cpu")
    alpha = float(alpha)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu(input, alpha, 1.0, 1.0 / alpha, inplace, CeluFunction, CeluResultFunction)


def celu_(input, alpha=1.0):
    """In-place :func:`celu`.

    .. math:: x \\leftarrow \\max(0, x) + \\min(0, \\alpha (e^{x / \\alpha} - 1))
    """
    return celu(input, alpha, inplace=True)


class ThresholdFunction(ArrayFunction):
    """y = x if x > threshold else value;  dx = g where x > threshold, else 0."""
    node_name = "ThresholdBackward0"

    @staticmethod
    def forward(ctx, x, threshold, value):
        ctx.threshold = threshold
        y = np.where(x <= threshold, _same_kind(value, x), x).astype(x.dtype, copy=False)
        ctx.save_for_backward(ctx.mask_source(x, y))
        return y

    @staticmethod
    def mask_source(x, y):
        return x

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        return g * ~(s <= ctx.threshold), None, None  # torch's test: a nan input passes g (as relu's does)


class ThresholdResultFunction(ThresholdFunction):
    """In-place threshold: torch's node for it, with the same mask (from the input, not the result)."""
    node_name = "ThresholdBackward1"


def _threshold(input, th, value, inplace):
    _numeric(input, "threshold")
    th, value = _scalar(th), _scalar(value)
    if inplace:
        return commit_inplace(input, ThresholdResultFunction.apply(input, th, value))
    return ThresholdFunction.apply(input, th, value)


def threshold(input, threshold, value, inplace=False):
    """Replace values at or below ``threshold`` by ``value``.

    .. math:: y = x \\text{ if } x > \\text{threshold} \\text{ else value}
    """
    return _threshold(input, threshold, value, inplace)


def threshold_(input, threshold, value):
    """In-place :func:`threshold`.

    .. math:: x \\leftarrow x \\text{ if } x > \\text{threshold} \\text{ else value}
    """
    return _threshold(input, threshold, value, True)


class RreluNoiseFunction(ArrayFunction):
    """y = x r with r = 1 for x > 0 and r ~ U(lower, upper) (training) or (lower + upper) / 2 (eval); dx = g r."""
    node_name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, x, noise):
        y = x * noise
        ctx.save_for_backward(noise)
        return y

    @staticmethod
    def backward(ctx, g):
        (noise,) = ctx.saved_tensors
        return g * noise, None


class RreluNoiseResultFunction(RreluNoiseFunction):
    node_name = "RreluWithNoiseBackward1"


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomised leaky ReLU: the negative slope is drawn from U(lower, upper) per element in training.

    .. math:: y = x \\text{ if } x \\ge 0 \\text{ else } a x, \\quad a \\sim U(\\text{lower}, \\text{upper})
        \\text{ (training)}, \\quad a = (\\text{lower} + \\text{upper}) / 2 \\text{ (eval)}
    """
    _floating(input, "rrelu", "leaky_relu_cpu")
    lower, upper = float(lower), float(upper)
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    x = input._data
    if training:
        draws = _gen(None).uniform(lower, upper, x.shape).astype(x.dtype, copy=False)
        noise = np.where(x <= 0, draws, np.ones((), x.dtype))
    else:
        noise = np.where(x > 0, np.ones((), x.dtype), x.dtype.type((lower + upper) / 2))
    if inplace:
        return commit_inplace(input, RreluNoiseResultFunction.apply(input, noise))
    return RreluNoiseFunction.apply(input, noise)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place :func:`rrelu`.

    .. math:: x \\leftarrow x \\text{ if } x \\ge 0 \\text{ else } a x
    """
    return rrelu(input, lower, upper, training, inplace=True)


class PreluFunction(ArrayFunction):
    """y = x if x > 0 else w x (w per channel, channel dim 1);  dx = g or w g;  dw = sum of x g where x <= 0."""
    node_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, w):
        wb = w.reshape(()) if w.size == 1 else w.reshape((1, w.size) + (1,) * (x.ndim - 2))
        ctx.save_for_backward(x, wb)
        ctx.w_shape = w.shape
        return np.where(x > 0, x, x * wb)

    @staticmethod
    def backward(ctx, g):
        x, wb = ctx.saved_tensors
        nx, nw = ctx.needs_input_grad
        pos = x > 0
        gx = np.where(pos, g, g * wb) if nx else None
        gw = None
        if nw:
            contrib = np.where(pos, 0, x * g).astype(g.dtype, copy=False)
            if wb.size == 1:
                gw = contrib.sum(dtype=g.dtype).reshape(ctx.w_shape)
            else:
                axes = (0,) + tuple(range(2, x.ndim))
                gw = contrib.sum(axis=axes, dtype=g.dtype).reshape(ctx.w_shape)
        return gx, gw


@tensor_method()
def prelu(input, weight):
    """Parametric ReLU with a learnt slope per channel (dimension 1) or one shared slope.

    .. math:: \\mathrm{PReLU}(x) = \\max(0, x) + w_c \\min(0, x)

    Args:
        input: tensor of shape ``(N, C, *)`` (or any shape when ``weight`` has one element).
        weight: ``(C,)`` or a single element.
    """
    check_tensor(input, "prelu")
    check_tensor(weight, "prelu", "weight")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"prelu_cpu\" not implemented for '{torch_type_name(input._data.dtype)}'")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {torch_type_name(input._data.dtype)} and "
                           f"{torch_type_name(weight._data.dtype)}")
    if weight._data.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
                           f"{weight._data.ndim}")
    n = weight._data.size
    if n != 1:
        if input._data.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input._data.shape[1] if input._data.ndim >= 2 else 1
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n} and channel size = {channels}.")
    return PreluFunction.apply(input, weight)


# ---------------------------------------------------------------------- smooth activations
class GeluFunction(ArrayFunction):
    """y = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2;  dx = g (Phi(x) + x phi(x)), phi the normal density."""
    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x):
        cdf = _erf(x * _SQRT_HALF)
        cdf += 1
        cdf *= 0.5
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, g):
        x, cdf = ctx.saved_tensors
        pdf = np.exp(x * x * -0.5)
        pdf *= _INV_SQRT_2PI
        pdf *= x
        pdf += cdf
        return g * pdf


class GeluTanhFunction(ArrayFunction):
    """y = x (1 + tanh(u)) / 2, u = sqrt(2/pi) (x + 0.044715 x^3);

    dx = g ((1 + t) / 2 + x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2), t = tanh(u).
    """
    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x):
        x2 = x * x
        u = x2 * _GELU_CUBIC
        u += 1
        u *= x
        u *= _SQRT_2_OVER_PI
        t = np.tanh(u)
        ctx.save_for_backward(x, t)
        y = t + 1
        y *= x
        y *= 0.5
        return y

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        du = x * x * (3 * _GELU_CUBIC)
        du += 1
        du *= _SQRT_2_OVER_PI
        d = 1 - t * t
        d *= du
        d *= x
        d += t
        d += 1
        d *= 0.5
        return g * d


def gelu(input, approximate="none"):
    """Gaussian error linear unit.

    .. math:: \\mathrm{GELU}(x) = x \\Phi(x) = \\frac{x}{2} \\left(1 + \\mathrm{erf}(x / \\sqrt{2})\\right)

    With ``approximate='tanh'``:
    :math:`\\frac{x}{2} \\left(1 + \\tanh\\left(\\sqrt{2/\\pi} (x + 0.044715 x^3)\\right)\\right)`.
    """
    _floating(input, "gelu", "GeluKernelImpl")
    if approximate == "none":
        return GeluFunction.apply(input)
    if approximate == "tanh":
        return GeluTanhFunction.apply(input)
    raise RuntimeError("approximate argument must be either none or tanh.")


class SiluFunction(ArrayFunction):
    """y = x sigmoid(x);  dx = g s (1 + x (1 - s)), s = sigmoid(x)."""
    node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        s = _sigmoid(x)
        ctx.save_for_backward(x, s)
        with np.errstate(invalid="ignore"):  # -inf * 0 is NaN, as in torch
            return x * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        d = 1 - s
        d *= x
        d += 1
        d *= s
        return g * d


def silu(input, inplace=False):
    """Sigmoid linear unit (swish), elementwise.

    .. math:: \\mathrm{SiLU}(x) = x \\sigma(x) = \\frac{x}{1 + e^{-x}}
    """
    _floating(input, "silu", "silu_cpu")
    out = SiluFunction.apply(input)
    return commit_inplace(input, out) if inplace else out


class MishFunction(ArrayFunction):
    """y = x tanh(softplus(x));  dx = g (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x))."""
    node_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        t = np.tanh(_softplus(x))
        ctx.save_for_backward(x, t)
        with np.errstate(invalid="ignore"):  # -inf * 0 is NaN, as in torch
            return x * t

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        d = 1 - t * t
        d *= _sigmoid(x)
        d *= x
        d += t
        return g * d


def mish(input, inplace=False):
    """Mish, elementwise.

    .. math:: \\mathrm{Mish}(x) = x \\tanh(\\mathrm{softplus}(x))
    """
    _floating(input, "mish", "mish_cpu")
    out = MishFunction.apply(input)
    return commit_inplace(input, out) if inplace else out


class SoftplusFunction(ArrayFunction):
    """y = log(1 + exp(beta x)) / beta (x itself where beta x > threshold);  dx = g sigmoid(beta x)."""
    node_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.params = (beta, threshold)
        ctx.save_for_backward(x)
        z = x * beta
        soft = _softplus(z)
        if beta != 1:
            soft /= beta
        return np.where(z > threshold, x, soft)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        beta, threshold = ctx.params
        z = x * beta
        return np.where(z > threshold, g, g * _sigmoid(z)), None, None


def softplus(input, beta=1.0, threshold=20.0):
    """Softplus, a smooth ReLU; linear where ``beta * x > threshold``.

    .. math:: \\mathrm{Softplus}(x) = \\frac{1}{\\beta} \\log(1 + e^{\\beta x})

    Computed as :math:`(\\log(1 + e^{-|\\beta x|}) + \\max(\\beta x, 0)) / \\beta`, which never overflows.
    """
    _floating(input, "softplus", "softplus_cpu")
    return SoftplusFunction.apply(input, float(_scalar(beta)), float(_scalar(threshold)))


class HardsigmoidFunction(ArrayFunction):
    """y = clip(x + 3, 0, 6) / 6;  dx = g / 6 where -3 < x < 3, else 0."""
    node_name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        y = np.clip(x + 3, 0, 6)
        y /= 6
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return np.where((x > -3) & (x < 3), g / 6, 0).astype(g.dtype, copy=False)


def hardsigmoid(input, inplace=False):
    """Piecewise-linear sigmoid.

    .. math:: \\mathrm{Hardsigmoid}(x) = \\min(\\max(x + 3, 0), 6) / 6
    """
    _floating(input, "hardsigmoid", "hardsigmoid_cpu")
    out = HardsigmoidFunction.apply(input)
    return commit_inplace(input, out) if inplace else out


class HardswishFunction(ArrayFunction):
    """y = x clip(x + 3, 0, 6) / 6;  dx = 0 for x <= -3, g (x / 3 + 1/2) for -3 < x < 3, g for x >= 3."""
    node_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        y = np.clip(x + 3, 0, 6)
        with np.errstate(invalid="ignore"):  # -inf * 0 is NaN, as in torch
            y *= x
        y /= 6
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        mid = x / 3
        mid += 0.5
        d = np.where(x >= 3, 1, np.where(x > -3, mid, 0)).astype(g.dtype, copy=False)
        return g * d


def hardswish(input, inplace=False):
    """Hard swish, elementwise.

    .. math:: \\mathrm{Hardswish}(x) = x \\min(\\max(x + 3, 0), 6) / 6
    """
    _floating(input, "hardswish", "hardswish_cpu")
    out = HardswishFunction.apply(input)
    return commit_inplace(input, out) if inplace else out


class LogSigmoidFunction(ArrayFunction):
    """y = log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|));  dx = g sigmoid(-x) (as z / (1 + z), z = e^-|x|)."""
    node_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        z = np.exp(-np.abs(x))
        d = np.where(x < 0, 1, z)
        d /= 1 + z
        return g * d


def logsigmoid(input):
    """Log of the logistic sigmoid, computed without overflow.

    .. math:: \\log \\sigma(x) = \\min(x, 0) - \\log(1 + e^{-|x|})
    """
    _floating(input, "logsigmoid", "log_sigmoid_cpu")
    return LogSigmoidFunction.apply(input)


class SoftsignFunction(ArrayFunction):
    """y = x / (1 + |x|);  dx = g / (1 + |x|)^2."""
    node_name = "DivBackward0"  # torch composes it; its last node is the division

    @staticmethod
    def forward(ctx, x):
        d = np.abs(x)
        d += 1
        ctx.save_for_backward(d)
        with np.errstate(invalid="ignore"):  # inf / inf is NaN, as in torch
            return x / d

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        gx = np.asarray(g / (d * d))  # an array even for 0-d inputs, so it can be written below
        gx[np.isinf(d)] = np.nan  # torch differentiates x / (1 + |x|) as a composite: inf / inf there
        return gx


def softsign(input):
    """Softsign, elementwise.

    .. math:: \\mathrm{SoftSign}(x) = \\frac{x}{1 + |x|}
    """
    return SoftsignFunction.apply(float_input(input, "softsign"))


class TanhshrinkFunction(ArrayFunction):
    """y = x - tanh(x);  dx = g tanh(x)^2."""
    node_name = "SubBackward0"  # torch composes it; its last node is the subtraction

    @staticmethod
    def forward(ctx, x):
        t = np.tanh(x)
        ctx.save_for_backward(t)
        return x - t

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors
        return g * (t * t)


def tanhshrink(input):
    """Tanhshrink, elementwise.

    .. math:: \\mathrm{Tanhshrink}(x) = x - \\tanh(x)
    """
    return TanhshrinkFunction.apply(float_input(input, "tanhshrink"))


# ---------------------------------------------------------------------- shrinkage
class SoftshrinkFunction(ArrayFunction):
    """y = x - clip(x, -lambd, lambd) (x -+ lambd outside the band, 0 inside);  dx = g outside the band."""
    node_name = "SoftshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        ctx.save_for_backward(x)
        return x - np.clip(x, -lambd, lambd)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x < -ctx.lambd) | (x > ctx.lambd)), None


def softshrink(input, lambd=0.5):
    """Soft shrinkage: values move towards 0 by ``lambd``; those within ``lambd`` of 0 become 0.

    .. math:: y = x - \\lambda \\text{ if } x > \\lambda, \\; x + \\lambda \\text{ if } x < -\\lambda, \\; 0
        \\text{ otherwise}
    """
    _floating(input, "softshrink", "softshrink_check")
    lambd = float(_scalar(lambd))
    if lambd < 0:
        fi = np.finfo(input._data.dtype)
        raise RuntimeError(f"lambda must be in range [0, {float(fi.max):g}] for input dtype "
                           f"{torch_type_name(input._data.dtype)}, but found {lambd:g}")
    return SoftshrinkFunction.apply(input, lambd)


class HardshrinkFunction(ArrayFunction):
    """y = 0 where -lambd <= x <= lambd, else x;  dx = g outside the band."""
    node_name = "HardshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        ctx.save_for_backward(x)
        return np.where((x >= -lambd) & (x <= lambd), 0, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x < -ctx.lambd) | (x > ctx.lambd)), None


@tensor_method()
def hardshrink(input, lambd=0.5):
    """Hard shrinkage: values within ``lambd`` of 0 become 0, others pass unchanged.

    .. math:: y = x \\text{ if } |x| > \\lambda \\text{ else } 0
    """
    _floating(input, "hardshrink", "hardshrink_cpu")
    return HardshrinkFunction.apply(input, float(_scalar(lambd)))


# ---------------------------------------------------------------------- gated linear unit
class GluFunction(ArrayFunction):
    """y = a sigmoid(b) with (a, b) the two halves of x along ``dim``;

    da = g s, db = g a s (1 - s), s = sigmoid(b).
    """
    node_name = "GluBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        a, b = np.split(x, 2, axis=dim)
        s = _sigmoid(b)
        ctx.dim = dim
        ctx.save_for_backward(a, s)
        return a * s

    @staticmethod
    def backward(ctx, g):
        a, s = ctx.saved_tensors
        ga = g * s
        gb = ga * a
        gb *= 1 - s
        return np.concatenate([ga, gb], axis=ctx.dim), None


def glu(input, dim=-1):
    """Gated linear unit: the first half of ``input`` along ``dim`` gated by the sigmoid of the second.

    .. math:: \\mathrm{GLU}(a, b) = a \\otimes \\sigma(b)

    Shape: ``(*, 2N, *) -> (*, N, *)``.
    """
    _floating(input, "glu", "glu_cpu")
    if input._data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    return GluFunction.apply(input, d)


# ---------------------------------------------------------------------- softmax family
def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  f"dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _shifted(x, axis):
    """x - max(x) along ``axis`` (a row holding +inf, or only -inf, becomes NaN, as in torch)."""
    if x.size == 0:
        return x.copy()
    with np.errstate(invalid="ignore"):
        return x - np.max(x, axis=axis, keepdims=True)


def _last_axis(x, dim):
    """``x`` as C-contiguous ``(rows, K)`` when ``dim`` is its last axis and it is not empty, else None."""
    if x.ndim == 0 or dim != x.ndim - 1 or x.size == 0:
        return None
    return np.ascontiguousarray(x).reshape(-1, x.shape[-1])


def softmax_rows(x2, sign=1):
    """softmax of each row of ``x2`` (of ``-x2`` when ``sign < 0``), blocks of rows spread over the threads."""
    e = np.empty_like(x2)

    def rows(lo, hi):
        xb, eb = x2[lo:hi], e[lo:hi]
        with np.errstate(invalid="ignore"):
            if sign < 0:
                np.subtract(xb.min(axis=1, keepdims=True), xb, out=eb)
            else:
                np.subtract(xb, xb.max(axis=1, keepdims=True), out=eb)
            np.exp(eb, out=eb)
            eb /= _row_sums(eb)[:, None]

    parallel_blocks(x2.shape[0], rows, x2.size)
    return e


def softmax_rows_backward(g2, y2, sign=1):
    """dx = y (g - sum(g y)) per row (negated for softmin)."""
    gx = np.empty_like(y2)

    def rows(lo, hi):
        gb, yb, ob = g2[lo:hi], y2[lo:hi], gx[lo:hi]
        dot = np.vecdot(gb, yb)
        np.subtract(gb, dot[:, None], out=ob)
        ob *= yb
        if sign < 0:
            np.negative(ob, out=ob)

    parallel_blocks(y2.shape[0], rows, 2 * y2.size)
    return gx


def log_softmax_rows(x2):
    """x - max x - log sum exp(x - max x) for each row of ``x2``, blocks of rows spread over the threads."""
    z = np.empty_like(x2)

    def rows(lo, hi):
        xb, zb = x2[lo:hi], z[lo:hi]
        with np.errstate(invalid="ignore"):
            np.subtract(xb, xb.max(axis=1, keepdims=True), out=zb)
            zb -= np.log(_row_sums(np.exp(zb)))[:, None]

    parallel_blocks(x2.shape[0], rows, x2.size)
    return z


def log_softmax_rows_backward(g2, y2):
    """dx = g - exp(y) sum(g) per row."""
    gx = np.empty_like(y2)

    def rows(lo, hi):
        gb, ob = g2[lo:hi], gx[lo:hi]
        np.exp(y2[lo:hi], out=ob)
        ob *= _row_sums(gb)[:, None]
        np.subtract(gb, ob, out=ob)

    parallel_blocks(y2.shape[0], rows, 2 * y2.size)
    return gx


class SoftmaxFunction(ArrayFunction):
    """y = exp(x - max x) / sum exp(x - max x) along ``dim``;  dx = y (g - sum(g y)).

    ``sign = -1`` gives softmin (softmax of -x; dx = -y (g - sum(g y))). ``np_dtype`` casts the input first;
    the gradient is cast back to the input's dtype. Along the last axis the rows run in blocks over the
    threads (:func:`softmax_rows`).
    """
    node_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, np_dtype, sign):
        in_dtype = x.dtype
        if np_dtype is not None:
            x = x.astype(np_dtype, copy=False)
        x2 = _last_axis(x, dim)
        ctx.meta = (dim, in_dtype, x.shape, sign, x2 is not None)
        if x2 is not None:
            e = softmax_rows(x2, sign)
        else:
            x = x.reshape(1) if x.ndim == 0 else x
            e = _shifted(-x if sign < 0 else x, dim)
            np.exp(e, out=e)
            e /= e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(e)
        return e.reshape(ctx.meta[2])

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        dim, in_dtype, in_shape, sign, by_rows = ctx.meta
        if by_rows:
            gx = softmax_rows_backward(np.ascontiguousarray(g).reshape(y.shape), y, sign)
        else:
            gy = g.reshape(y.shape) * y
            gx = gy - y * gy.sum(axis=dim, keepdims=True)
            if sign < 0:
                np.negative(gx, out=gx)
        return gx.reshape(in_shape).astype(in_dtype, copy=False), None, None, None


class LogSoftmaxFunction(ArrayFunction):
    """y = x - max x - log sum exp(x - max x) along ``dim``;  dx = g - exp(y) sum(g).

    Along the last axis the rows run in blocks over the threads (:func:`log_softmax_rows`).
    """
    node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        in_dtype = x.dtype
        if np_dtype is not None:
            x = x.astype(np_dtype, copy=False)
        x2 = _last_axis(x, dim)
        ctx.meta = (dim, in_dtype, x.shape, x2 is not None)
        if x2 is not None:
            z = log_softmax_rows(x2)
        else:
            z = _shifted(x.reshape(1) if x.ndim == 0 else x, dim)
            if z.size:
                z -= np.log(np.exp(z).sum(axis=dim, keepdims=True))
        ctx.save_for_backward(z)
        return z.reshape(ctx.meta[2])

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        dim, in_dtype, in_shape, by_rows = ctx.meta
        if by_rows:
            gx = log_softmax_rows_backward(np.ascontiguousarray(g).reshape(y.shape), y)
        else:
            g = g.reshape(y.shape)
            gx = g - np.exp(y) * g.sum(axis=dim, keepdims=True)
        return gx.reshape(in_shape).astype(in_dtype, copy=False), None, None


def _softmax_args(input, dim, stacklevel, dtype, name, kernel):
    check_tensor(input, name)
    if isinstance(stacklevel, _dtype_cls):  # torch.softmax(input, dim, dtype) passes dtype third
        dtype, stacklevel = stacklevel, 3
    if dim is None:
        dim = _softmax_dim(name, input._data.ndim, stacklevel + 1)
    d = wrap_dim(dim, input._data.ndim)
    np_dtype = None
    if dtype is not None:
        np_dtype = as_dtype(dtype).np
        if np_dtype == input._data.dtype:
            np_dtype = None
    work = np.dtype(np_dtype) if np_dtype is not None else input._data.dtype
    if work.kind != "f" and input._data.size == 0:
        return d, work  # torch returns an empty result of that dtype before its kernel's dtype check
    if work.kind != "f":
        if d == input._data.ndim - 1:
            kernel = kernel.replace("_kernel", "_lastdim_kernel")
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{torch_type_name(work)}'")
    return d, np_dtype


@tensor_method()
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Softmax along ``dim``: exponentials normalised to sum to 1, computed from the max-shifted input.

    .. math:: \\mathrm{Softmax}(x_i) = \\frac{e^{x_i - m}}{\\sum_j e^{x_j - m}}, \\quad m = \\max_j x_j

    Args:
        dim: the dimension to normalise over (``None`` picks one with a deprecation warning, as torch).
        dtype: cast the input to this dtype before the operation.
    """
    d, np_dtype = _softmax_args(input, dim, _stacklevel, dtype, "softmax", "softmax_kernel_impl")
    if isinstance(np_dtype, np.dtype) and np_dtype.kind != "f":
        return _from_array(np.empty(input._data.shape, np_dtype))
    return SoftmaxFunction.apply(input, d, np_dtype, 1)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """Softmin along ``dim``: the softmax of ``-input``.

    .. math:: \\mathrm{Softmin}(x_i) = \\frac{e^{-x_i}}{\\sum_j e^{-x_j}}
    """
    d, np_dtype = _softmax_args(input, dim, _stacklevel, dtype, "softmin", "softmax_kernel_impl")
    if isinstance(np_dtype, np.dtype) and np_dtype.kind != "f":
        return _from_array(np.empty(input._data.shape, np_dtype))
    return SoftmaxFunction.apply(input, d, np_dtype, -1)


@tensor_method()
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Log of the softmax along ``dim``, computed directly (never as ``log(softmax(x))``).

    .. math:: \\log \\mathrm{Softmax}(x_i) = x_i - m - \\log \\sum_j e^{x_j - m}, \\quad m = \\max_j x_j
    """
    d, np_dtype = _softmax_args(input, dim, _stacklevel, dtype, "log_softmax", "log_softmax_kernel_impl")
    if isinstance(np_dtype, np.dtype) and np_dtype.kind != "f":
        return _from_array(np.empty(input._data.shape, np_dtype))
    return LogSoftmaxFunction.apply(input, d, np_dtype)
