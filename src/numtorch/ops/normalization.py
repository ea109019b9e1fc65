"""Normalization layers as functions: batch, instance, layer, group, RMS and local response norm, ``normalize``
and the weight-norm reparametrization.

Every norm is one fused :class:`ArrayFunction` with an analytic backward, working in the input's dtype.
The batch-like norms share one recipe. With the statistics taken over the ``M`` values of a group,

.. math::
    \\mu = \\frac{1}{M}\\sum x, \\qquad \\sigma^2 = \\frac{1}{M}\\sum (x - \\mu)^2, \\qquad
    \\hat{x} = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}, \\qquad y = \\hat{x} \\gamma + \\beta

and, for the gradient ``g`` of ``y``,

.. math::
    \\frac{\\partial L}{\\partial x} = \\frac{\\gamma\\,\\mathrm{rstd}}{M}
        \\Big(M g - \\sum g - \\hat{x} \\sum g \\hat{x}\\Big), \\qquad
    \\frac{\\partial L}{\\partial \\gamma} = \\sum g \\hat{x}, \\qquad \\frac{\\partial L}{\\partial \\beta} = \\sum g.

The norms differ only in which axes a group spans: batch norm ``(N, *)`` per channel, instance norm ``(*)`` per
sample and channel, group norm ``(C/G, *)`` per sample and group, layer norm the trailing ``normalized_shape``.

How the kernels keep the passes over the data few (a pass is one elementwise NumPy call over the whole array):

* row sums are ``einsum("ij->i")`` and row dot products ``np.vecdot``: each reads the data once and writes
  nothing of its size;
* the variance is two-pass: ``d = x - mean`` is materialised once (it is needed anyway), then ``vecdot(d, d)``;
  the naive ``E[x^2] - E[x]^2`` is never used;
* ``d`` (or ``x_hat`` when it is also the output) is what backward keeps, so backward never recomputes it;
* per-channel or per-row coefficients fold the affine transform, the mean and ``rstd`` into one multiply and
  one add: ``y = d * (gamma * rstd) + beta``, ``dx = a * g + b * d + c``.
"""
import math
import numbers
import warnings

import numpy as np

from .._dtype import get_default_dtype
from .._size import Size
from .._tensor import Tensor
from .._backend import parallel_blocks
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import GradMode
from ._util import check_tensor, out_arg, row_sums as _row_sums, torch_type_name, unbroadcast, wrap_dim

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "local_response_norm",
           "normalize"]
#: names torch also has at its top level (torch.batch_norm, torch.layer_norm, ...)
TOP_LEVEL = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "norm_except_dim",
             "_weight_norm"]


# ---------------------------------------------------------------------- array helpers
def _cell_sums(a3):
    """Sums over the last axis of ``(N, C, S)``, shape ``(N, C)``."""
    n, c, s = a3.shape
    return _row_sums(a3.reshape(n * c, s)).reshape(n, c)


def _ncs(a, n, c):
    """``a`` as a C-contiguous ``(N, C, S)`` array (a view when it already is contiguous)."""
    return np.ascontiguousarray(a).reshape(n, c, -1)


def _rows(a, k):
    """``a`` as a C-contiguous ``(M, K)`` array (a view when it already is contiguous); ``(0, 0)`` when ``K`` is 0
    (then everything is empty and the row count does not matter)."""
    return np.ascontiguousarray(a).reshape(-1, k) if k else a.reshape(0, 0)


def _new(shape, like, n, c):
    """An array of ``shape`` that owns its memory (a gradient the engine can keep without copying), and its
    ``(N, C, S)`` view to compute into."""
    out = np.empty(shape, dtype=like.dtype)
    return out, out.reshape(n, c, -1)


def _col(v):
    """A per-channel vector ``(C,)`` (or per-cell ``(N, C)``) broadcast along the trailing spatial axis."""
    return v[..., None]



def _sum_parts(parts):
    """Add per-block partial sums in block order (so one thread count always gives the same bits)."""
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _grads(ctx, *grads):
    """The gradients of the leading inputs, padded with ``None`` for the non-tensor arguments."""
    return grads + (None,) * (len(ctx.needs_input_grad) - len(grads))


# ---------------------------------------------------------------------- argument checks shared by the norms
def _check_float(input, kernel):
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{torch_type_name(input._data.dtype)}'")


def _check_same_dtype(input, *others):
    """torch's CPU kernels' mixed-dtype errors for a parameter whose dtype is not the input's."""
    for t in others:
        if t is not None and t._data.dtype != input._data.dtype:
            if input._data.dtype == np.float32:
                raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _check_numel(t, name, expected, repeat=1):
    if t is not None and t._data.size * repeat != expected:
        raise RuntimeError(f"{name} should contain {expected} elements not {t._data.size * repeat}")


def _verify_batch_size(size):
    """Training statistics need more than one value per channel: ``N * prod(spatial) > 1``."""
    prod = size[0]
    for s in size[2:]:
        prod *= s
    if prod == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def _as_float(value, fn, arg, pos):
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be float, not {type(value).__name__}")
    return float(value)


def _data(t):
    """The array behind an optional tensor that an op reads or updates but never differentiates."""
    return None if t is None else t._data


def _bump(*tensors):
    """Record an in-place update of buffers (their version counters move, as torch's do)."""
    for t in tensors:
        if t is not None:
            t._vc[0] += 1


# ---------------------------------------------------------------------- batch norm
class BatchNormFunction(ArrayFunction):
    """Batch norm of ``(N, C, S)`` per channel ``c``: statistics over ``N`` and ``S`` (``M = N S`` values).

    Training: ``y = (x - mean_c) * rstd_c * gamma_c + beta_c`` with the batch statistics, and the running
    buffers (when given) updated in place: ``running = (1 - momentum) running + momentum stat``, the unbiased
    variance ``var M / (M - 1)`` going into ``running_var``. Evaluation: the running statistics,
    ``y = x * scale + shift``.

    Passes over the data, training: forward 3 (``d = x - mean``; ``y = d * scale``; ``y += beta``; 2 without
    affine, where ``d *= rstd`` is the output) plus a row sum and a vecdot; backward 4 (``dx = a g + b d + c``)
    plus a row sum and a vecdot, which also give the weight and bias gradients. Evaluation: forward 2, backward 1.
    """
    node_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps, n, c):
        x3 = _ncs(x, n, c)
        m = n * x3.shape[2]
        ctx.meta = (x.shape, n, c, m, training)
        if not training:
            rstd = 1.0 / np.sqrt(running_var + eps)
            scale = rstd if weight is None else rstd * weight
            shift = -running_mean * scale
            if bias is not None:
                shift += bias
            y = x3 * _col(scale)
            y += _col(shift)
            ctx.save_for_backward(x, weight)
            ctx.stats = (running_mean.copy(), rstd, scale)
            return y.reshape(x.shape)
        mean = _cell_sums(x3).sum(0) / m
        d = x3 - _col(mean)
        var = np.vecdot(d, d).sum(0) / m                       # biased: normalizes the batch
        rstd = 1.0 / np.sqrt(var + eps)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
            running_var *= 1 - momentum
            running_var += (momentum * m / (m - 1)) * var       # unbiased: the running estimate
        if weight is None and bias is None:
            d *= _col(rstd)                                    # d is now x_hat, and the output
            y = d.reshape(x.shape)
            ctx.save_for_backward(y, None)
            ctx.stats = (rstd, 1)                              # x_hat = saved * 1
            return y
        scale = rstd if weight is None else rstd * weight
        y = d * _col(scale)
        if bias is not None:
            y += _col(bias)
        ctx.save_for_backward(d, weight)
        ctx.stats = (rstd, rstd)                               # x_hat = saved d * rstd
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        z, weight = ctx.saved_tensors
        shape, n, c, m, training = ctx.meta
        nx, nw, nb = ctx.needs_input_grad[:3]
        g3 = _ncs(g, n, c)
        sum_g = _cell_sums(g3).sum(0)
        if not training:
            mean, rstd, scale = ctx.stats
            gw = np.vecdot(g3, _ncs(z, n, c) - _col(mean)).sum(0) * rstd if nw else None
            gx = None
            if nx:
                gx, gx3 = _new(shape, g3, n, c)
                np.multiply(g3, _col(scale), out=gx3)
            return _grads(ctx, gx, gw, sum_g if nb else None)
        rstd, r = ctx.stats
        z3 = _ncs(z, n, c)
        sum_gxh = np.vecdot(g3, z3).sum(0) * r
        gx = None
        if nx:
            k = rstd if weight is None else rstd * weight      # dx = k (g - mean(g) - x_hat mean(g x_hat))
            gx, gx3 = _new(shape, g3, n, c)
            np.multiply(g3, _col(k), out=gx3)
            t = z3 * _col(-(k * r) * sum_gxh / m)
            gx3 += t
            gx3 += _col(-k * sum_g / m)
        return _grads(ctx, gx, sum_gxh if nw else None, sum_g if nb else None)


class BatchNormEmptyFunction(ArrayFunction):
    """A batch-like norm of an input without elements: an empty output, zero weight and bias gradients."""
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, c):
        ctx.meta = (x.shape, x.dtype, np.shape(weight), np.shape(bias))
        return np.empty(x.shape, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        shape, dtype, sw, sb = ctx.meta
        nx, nw, nb = ctx.needs_input_grad[:3]
        return (np.zeros(shape, dtype) if nx else None), (np.zeros(sw, dtype) if nw else None), \
            (np.zeros(sb, dtype) if nb else None), None


def batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    r"""Batch normalization of each channel over the batch (and spatial) dimensions.

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} * \gamma + \beta

    In training (``training=True``) the mean and the biased variance come from the batch, over every axis but
    ``1``, and ``running_mean``/``running_var`` (when given) are updated in place:
    :math:`\hat{s} \leftarrow (1 - \text{momentum})\,\hat{s} + \text{momentum}\, s_t`, the variance going in
    unbiased (:math:`\times M / (M - 1)`). In evaluation the running statistics are used.

    Args:
        input: ``(N, C)`` or ``(N, C, *)``.
        running_mean, running_var: ``(C,)`` buffers, or ``None`` (then only ``training=True`` is possible).
        weight, bias: the affine :math:`\gamma`, :math:`\beta` of shape ``(C,)``, or ``None``.
        training: use batch statistics (and update the buffers). Default: ``False``.
        momentum: weight of the new statistic in the running average. Default: ``0.1``.
        eps: added to the variance. Default: ``1e-5``.

    Shape:
        ``(N, C, *) -> (N, C, *)``.

    Example::

        >>> rm, rv = numtorch.zeros(3), numtorch.ones(3)
        >>> y = F.batch_norm(numtorch.randn(8, 3), rm, rv, training=True)   # rm, rv move toward the batch stats
    """
    check_tensor(input, "batch_norm")
    momentum = _as_float(momentum, "batch_norm", "momentum", 7)
    if training:
        _verify_batch_size(input.shape)
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if input._data.size == 0:  # torch's empty-input path skips every shape and dtype check (input * w[0] + b[0])
        for t in (weight, bias):
            if t is not None and t._data.size == 0:
                raise IndexError("select(): index 0 out of range for tensor of size [0] at dimension 0")
        return BatchNormEmptyFunction.apply(input, weight, bias, None)
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    _check_float(input, "batch_norm")
    nd = input._data.ndim
    if nd < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(nd, 1)}, {max(nd, 1) - 1}], "
                         f"but got 1)")
    n, c = input._data.shape[:2]
    _check_numel(running_mean, "running_mean", c)
    _check_numel(running_var, "running_var", c)
    _check_numel(weight, "weight", c)
    _check_numel(bias, "bias", c)
    if not training and running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    _check_same_dtype(input, weight, bias, running_mean, running_var)
    out = BatchNormFunction.apply(input, weight, bias, _data(running_mean), _data(running_var), bool(training),
                                  momentum, float(eps), n, c)
    if training:
        _bump(running_mean, running_var)
    return out


# ---------------------------------------------------------------------- group norm (and instance norm)
class GroupNormFunction(ArrayFunction):
    """Group norm of ``(N, C, S)``: statistics per sample over each group of ``C/G`` channels (``K`` values),
    affine per channel. Instance norm is the case ``G = C``; given running buffers (instance norm tracking
    its statistics) they move toward the batch average of the instance statistics.

    Passes over the data: forward 3 (``d = x - mean``; ``y = d * scale_nc``; ``y += beta``; 2 without affine,
    where ``d *= rstd`` is the output) plus a row sum and a vecdot; backward 4 (``dx = a g + b d + c`` with
    per-``(n, c)`` coefficients) plus a row sum and a vecdot over the ``(n, c)`` cells, which also give the
    weight and bias gradients.
    """
    node_name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, n, c, groups, eps, running_mean, running_var, momentum):
        x3 = _ncs(x, n, c)
        s = x3.shape[2]
        cg = c // groups
        k = cg * s
        dt = x3.dtype
        mean = np.empty((n, groups), dt)
        var = np.empty((n, groups), dt)
        rstd = np.empty((n, groups), dt)
        d = np.empty_like(x3)
        affine = weight is not None or bias is not None
        y = np.empty_like(x3) if affine else d

        def samples(lo, hi):                                   # samples lo:hi, all their groups
            xb = x3[lo:hi].reshape(-1, k)
            db = d[lo:hi].reshape(-1, k)
            m = _row_sums(xb) / k
            np.subtract(xb, m[:, None], out=db)
            v = np.vecdot(db, db) / k
            r = 1.0 / np.sqrt(v + eps)
            mean[lo:hi] = m.reshape(-1, groups)
            var[lo:hi] = v.reshape(-1, groups)
            rstd[lo:hi] = r.reshape(-1, groups)
            if not affine:
                db *= r[:, None]                               # d is now x_hat, and the output
                return
            r_nc = np.repeat(rstd[lo:hi], cg, axis=1)          # (n_block, C)
            scale = r_nc if weight is None else r_nc * weight
            yb = y[lo:hi]
            np.multiply(d[lo:hi], _col(scale), out=yb)
            if bias is not None:
                yb += _col(bias)

        parallel_blocks(n, samples, x3.size)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * np.repeat(mean, cg, axis=1).mean(0)
            running_var *= 1 - momentum
            running_var += momentum * np.repeat(var * (k / (k - 1)), cg, axis=1).mean(0)
        rstd_nc = np.repeat(rstd, cg, axis=1)                  # (N, C)
        ctx.meta = (x.shape, n, c, groups, k)
        if not affine:
            y = d.reshape(x.shape)
            ctx.save_for_backward(y, None)
            ctx.stats = (rstd_nc, None)
            return y
        ctx.save_for_backward(d, weight)
        ctx.stats = (rstd_nc, rstd_nc)                         # x_hat = saved d * rstd
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        z, weight = ctx.saved_tensors
        shape, n, c, groups, k = ctx.meta
        rstd_nc, r = ctx.stats
        nx, nw, nb = ctx.needs_input_grad[:3]
        g3 = _ncs(g, n, c)
        z3 = _ncs(z, n, c)
        cg = c // groups
        sum_g = np.empty((n, c), g3.dtype)
        sum_gxh = np.empty((n, c), g3.dtype)
        gx, gx3 = _new(shape, g3, n, c) if nx else (None, None)

        def samples(lo, hi):
            gb, zb = g3[lo:hi], z3[lo:hi]
            sg = sum_g[lo:hi]
            sg[...] = _cell_sums(gb)                           # (n_block, C)
            sgx = sum_gxh[lo:hi]
            np.vecdot(gb, zb, out=sgx)
            if r is not None:
                sgx *= r[lo:hi]
            if not nx:
                return
            rb = rstd_nc[lo:hi]
            wg, wgx = (sg, sgx) if weight is None else (sg * weight, sgx * weight)
            mean_g = np.repeat(wg.reshape(-1, groups, cg).sum(2), cg, axis=1) / k      # group mean of gamma g
            mean_gxh = np.repeat(wgx.reshape(-1, groups, cg).sum(2), cg, axis=1) / k   # ... of gamma g x_hat
            a = rb if weight is None else rb * weight   # dx = rstd (gamma g - mean_g - x_hat mean_gxh)
            out = gx3[lo:hi]
            np.multiply(gb, _col(a), out=out)
            zc = -rb * mean_gxh
            if r is not None:
                zc *= r[lo:hi]
            out += zb * _col(zc)
            out += _col(-rb * mean_g)

        parallel_blocks(n, samples, g3.size * (2 if nx else 1))
        return _grads(ctx, gx, sum_gxh.sum(0) if nw else None, sum_g.sum(0) if nb else None)


class GroupNormEmptyFunction(BatchNormEmptyFunction):
    node_name = "NativeGroupNormBackward0"


def group_norm(input: Tensor, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    r"""Group normalization: each sample's channels split into ``num_groups`` groups, each normalized alone.

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} * \gamma + \beta

    with the mean and biased variance over the ``C / num_groups`` channels of a group and all positions, per
    sample; :math:`\gamma`, :math:`\beta` are per channel.

    Args:
        input: ``(N, C, *)``, ``C`` divisible by ``num_groups``.
        num_groups: number of groups.
        weight, bias: ``(C,)`` or ``None``.
        eps: added to the variance. Default: ``1e-5``.

    Shape:
        ``(N, C, *) -> (N, C, *)``.
    """
    check_tensor(input, "group_norm")
    if isinstance(num_groups, bool) or not isinstance(num_groups, numbers.Integral):
        raise TypeError(f"group_norm(): argument 'num_groups' (position 2) must be int, not "
                        f"{type(num_groups).__name__}")
    shape = list(input._data.shape)
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {len(shape)}")
    n, c = shape[0], shape[1]
    _verify_batch_size([n * c // num_groups, num_groups] + shape[2:])
    if c % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {shape} and num_groups={num_groups}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and (t._data.ndim != 1 or t._data.size != c):
            shown = [0] if weight is None else list(weight._data.shape)   # torch prints weight's shape for both
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in "
                               f"input, but got {name} of shape {shown} and input of shape {shape}")
    _check_float(input, "GroupNormKernelImpl")
    _check_same_dtype(input, weight, bias)
    if input._data.size == 0:
        return GroupNormEmptyFunction.apply(input, weight, bias, c)
    return GroupNormFunction.apply(input, weight, bias, n, c, int(num_groups), float(eps), None, None, 0.0)


# ---------------------------------------------------------------------- instance norm
class InstanceNormFunction(GroupNormFunction):
    """Instance norm with each sample's own statistics: group norm with one channel per group."""
    node_name = "ViewBackward0"


class InstanceNormUnbatchedFunction(GroupNormFunction):
    """Instance norm of an unbatched ``(C, *)`` input (torch squeezes away the batch dimension it added)."""
    node_name = "SqueezeBackward1"


class InstanceNormEvalFunction(BatchNormFunction):
    """Instance norm with the running statistics (``use_input_stats=False``): batch norm in evaluation mode."""
    node_name = "ViewBackward0"


class InstanceNormEvalUnbatchedFunction(BatchNormFunction):
    node_name = "SqueezeBackward1"


class InstanceNormEmptyFunction(BatchNormEmptyFunction):
    node_name = "ViewBackward0"


def instance_norm(input: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    r"""Instance normalization: every channel of every sample normalized over its own positions.

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} * \gamma + \beta

    with the mean and biased variance over the spatial axes of one ``(n, c)``; :math:`\gamma`, :math:`\beta`
    are per channel. With ``use_input_stats`` and running buffers given, the buffers move toward the batch
    average of the instance statistics (unbiased variance); with ``use_input_stats=False`` the running
    statistics normalize instead.

    Args:
        input: ``(N, C, *)``.
        running_mean, running_var: ``(C,)`` or ``None``.
        weight, bias: ``(C,)`` or ``None``.
        use_input_stats: normalize with each instance's statistics. Default: ``True``.
        momentum: weight of the new statistics in the running average. Default: ``0.1``.
        eps: added to the variance. Default: ``1e-5``.

    Shape:
        ``(N, C, *) -> (N, C, *)``.
    """
    return _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps,
                   unbatched=False):
    """:func:`instance_norm`; ``unbatched`` treats a ``(C, *)`` input as a batch of one, as the modules do."""
    check_tensor(input, "instance_norm")
    momentum = _as_float(momentum, "instance_norm", "momentum", 7)
    shape = ([1] if unbatched else []) + list(input._data.shape)
    if use_input_stats:
        if math.prod(shape[2:]) == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{Size(shape)}")
    n, c = shape[0], shape[1]
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    if n == 0 and weight is not None:
        raise IndexError("select(): index 0 out of range for tensor of size [0] at dimension 0")
    _check_numel(weight, "weight", n * c, n)
    _check_numel(bias, "bias", n * c, n)
    _check_numel(running_mean, "running_mean", n * c, n)
    _check_numel(running_var, "running_var", n * c, n)
    _check_float(input, "batch_norm")
    _check_same_dtype(input, weight, bias, running_mean, running_var)
    if input._data.size == 0:
        if n == 0 and use_input_stats and running_mean is not None:
            # torch averages the (absent) instance statistics of an empty batch into the buffers: nan
            for buf in (running_mean, running_var):
                buf._data[...] = np.nan
                buf._vc[0] += 1
        return InstanceNormEmptyFunction.apply(input, weight, bias, c)
    if not use_input_stats:
        fn = InstanceNormEvalUnbatchedFunction if unbatched else InstanceNormEvalFunction
        return fn.apply(input, weight, bias, running_mean._data, running_var._data, False, momentum, float(eps),
                        n, c)
    fn = InstanceNormUnbatchedFunction if unbatched else InstanceNormFunction
    out = fn.apply(input, weight, bias, n, c, c, float(eps), _data(running_mean), _data(running_var), momentum)
    _bump(running_mean, running_var)
    return out


# ---------------------------------------------------------------------- layer norm
class LayerNormFunction(ArrayFunction):
    """Layer norm of ``(M, K)`` rows (``K`` = the product of ``normalized_shape``), affine per column.

    Passes over the data: forward 4 (``d = x - mean``; ``d *= rstd``, giving x_hat; ``y = x_hat w``;
    ``y += b``; 2 without affine, where x_hat is the output) plus a row sum and a vecdot; backward 5
    (``gw = g w``; ``t = x_hat s2``; ``t += s1``; ``t = gw - t``; ``t *= rstd``) plus a row sum and a vecdot,
    and two column reductions for the weight and bias gradients. Rows are independent, so large inputs are
    split into one block of rows per thread (:func:`numtorch._backend.parallel_blocks`).
    """
    node_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, normalized_shape, eps):
        k = math.prod(normalized_shape)
        x2 = _rows(x, k)
        m = x2.shape[0]
        xh = np.empty_like(x2)
        rstd = np.empty(m, dtype=x2.dtype)
        affine = weight is not None or bias is not None
        y2 = np.empty_like(x2) if affine else xh
        w = None if weight is None else weight.reshape(k)
        b = None if bias is None else bias.reshape(k)

        def rows(lo, hi):
            xb, hb = x2[lo:hi], xh[lo:hi]
            mean = _row_sums(xb) / k
            np.subtract(xb, mean[:, None], out=hb)
            var = np.vecdot(hb, hb) / k
            r = rstd[lo:hi]
            np.divide(1.0, np.sqrt(var + eps), out=r)
            hb *= r[:, None]                                   # x_hat
            if affine:
                yb = y2[lo:hi]
                if w is not None:
                    np.multiply(hb, w, out=yb)
                    if b is not None:
                        yb += b
                else:
                    np.add(hb, b, out=yb)

        parallel_blocks(m, rows, x2.size)
        ctx.meta = (x.shape, k, normalized_shape)
        ctx.rstd = rstd
        if not affine:
            y = xh.reshape(x.shape)
            ctx.save_for_backward(y, None)                     # x_hat is the output
            return y
        ctx.save_for_backward(xh, weight)
        return y2.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        xh, weight = ctx.saved_tensors
        shape, k, normalized_shape = ctx.meta
        rstd = ctx.rstd
        nx, nw, nb = ctx.needs_input_grad[:3]
        g2 = _rows(g, k)
        xh = _rows(xh, k)
        w = None if weight is None else weight.reshape(k)
        gx = np.empty(shape, dtype=g2.dtype) if nx else None
        gx2 = None if gx is None else _rows(gx, k)

        def rows(lo, hi):
            gb_, hb = g2[lo:hi], xh[lo:hi]
            if nx:
                gw = gb_ * w if w is not None else gb_
                s1 = _row_sums(gw) / k                         # mean of gamma g over the row
                s2 = np.vecdot(gw, hb) / k                     # mean of gamma g x_hat
                out = gx2[lo:hi]
                np.multiply(hb, s2[:, None], out=out)
                out += s1[:, None]
                np.subtract(gw, out, out=out)
                out *= rstd[lo:hi, None]                       # dx = rstd (gamma g - s1 - x_hat s2)
            return (np.einsum("ij,ij->j", gb_, hb) if nw else None, gb_.sum(0) if nb else None)

        parts = parallel_blocks(g2.shape[0], rows, g2.size * (2 if nx else 1))
        gwt = _sum_parts([p[0] for p in parts]).reshape(normalized_shape) if nw else None
        gb = _sum_parts([p[1] for p in parts]).reshape(normalized_shape) if nb else None
        return _grads(ctx, gx, gwt, gb)


def _normalized_shape(normalized_shape, fn):
    if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape, bool):
        raise TypeError(f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    shape = tuple(int(s) for s in normalized_shape)
    if len(shape) == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
                           "one element, but got normalized_shape = []")
    return shape


def _check_trailing(input, shape, sep):
    ins = list(input._data.shape)
    if len(ins) < len(shape) or tuple(ins[len(ins) - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{sep}{', '.join(map(str, shape))}], but got input of size{ins}")


def _check_affine_shape(t, name, shape):
    if t is not None and tuple(t._data.shape) != shape:
        raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                           f"{list(t._data.shape)} and normalized_shape = {list(shape)}")


def layer_norm(input: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    r"""Layer normalization over the trailing ``normalized_shape`` dimensions.

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} * \gamma + \beta

    with the mean and biased variance over the last ``len(normalized_shape)`` dimensions of each sample, and
    :math:`\gamma`, :math:`\beta` elementwise of shape ``normalized_shape``.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: list or tuple of the trailing dimensions.
        weight, bias: of shape ``normalized_shape``, or ``None``.
        eps: added to the variance. Default: ``1e-5``.

    Shape:
        ``(*, *normalized_shape) -> (*, *normalized_shape)``.
    """
    check_tensor(input, "layer_norm")
    shape = _normalized_shape(normalized_shape, "layer_norm")
    _check_affine_shape(weight, "weight", shape)
    _check_affine_shape(bias, "bias", shape)
    _check_trailing(input, shape, ", ")
    _check_float(input, "LayerNormKernelImpl")
    _check_same_dtype(input, weight, bias)
    return LayerNormFunction.apply(input, weight, bias, shape, float(eps))


# ---------------------------------------------------------------------- RMS norm
class RMSNormFunction(ArrayFunction):
    """RMS norm of ``(M, K)`` rows: ``y = x rrms w`` with ``rrms = 1 / sqrt(mean(x^2) + eps)`` per row.

    Backward: ``dx = rrms (g w) - x rrms^3 sum(g w x) / K``; ``dw = sum_rows(g x rrms)``.
    Passes over the data: forward 2 (``y = x rrms``; ``y *= w``) plus a vecdot; backward 4 (``gr = g rrms``;
    ``dx = gr w``; ``t = x c``; ``dx -= t``) plus a vecdot, and a column contraction for the weight gradient.
    """
    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, weight, k, eps):
        x2 = _rows(x, k)
        rrms = 1.0 / np.sqrt(np.vecdot(x2, x2) / k + eps)
        y = x2 * rrms[:, None]
        if weight is not None:
            y *= weight.reshape(k)
        ctx.meta = (x.shape, k)
        ctx.rrms = rrms
        ctx.save_for_backward(x, weight)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        shape, k = ctx.meta
        rrms = ctx.rrms
        nx, nw = ctx.needs_input_grad[:2]
        g2 = _rows(g, k)
        x2 = _rows(x, k)
        gr_full = np.empty(shape, dtype=g2.dtype)
        gr = _rows(gr_full, k)
        np.multiply(g2, rrms[:, None], out=gr)                 # g rrms
        gwt = np.einsum("ij,ij->j", gr, x2).reshape(weight.shape) if nw else None
        gx = None
        if nx:
            if weight is None:
                gx, gx2, t = gr_full, gr, None
            else:
                gx = np.empty(shape, dtype=g2.dtype)
                gx2, t = _rows(gx, k), gr
                np.multiply(gr, weight.reshape(k), out=gx2)    # rrms g w
            coef = np.vecdot(gx2, x2)                          # rrms sum(g w x)
            coef *= rrms * rrms / k
            t = np.multiply(x2, coef[:, None], out=t)
            gx2 -= t                                           # dx = rrms g w - x rrms^3 sum(g w x) / K
        return _grads(ctx, gx, gwt)


def rms_norm(input: Tensor, normalized_shape, weight=None, eps=None) -> Tensor:
    r"""Root-mean-square layer normalization over the trailing ``normalized_shape`` dimensions.

    .. math::
        y = \frac{x}{\sqrt{\frac{1}{K}\sum x^2 + \epsilon}} * \gamma

    with the mean over the last ``len(normalized_shape)`` dimensions (``K`` values).

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: list or tuple of the trailing dimensions.
        weight: :math:`\gamma` of shape ``normalized_shape``, or ``None``.
        eps: added to the mean square; ``None`` means ``finfo(input.dtype).eps`` (float32's for float16, torch's
            compute type). Default: ``None``.

    Shape:
        ``(*, *normalized_shape) -> (*, *normalized_shape)``.
    """
    check_tensor(input, "rms_norm")
    shape = _normalized_shape(normalized_shape, "rms_norm")
    _check_affine_shape(weight, "weight", shape)
    _check_trailing(input, shape, "")
    _check_float(input, "rms_norm")
    if eps is None:  # torch takes the epsilon of its compute type: float32 for half precision
        eps = float(np.finfo(np.float32 if input._data.dtype == np.float16 else input._data.dtype).eps)
    if weight is not None and weight._data.dtype != input._data.dtype:
        names = {"float32": "float", "float64": "double", "float16": "c10::Half"}
        warnings.warn(f"Mismatch dtype between input and weight: input dtype = {names[input._data.dtype.name]}, "
                      f"weight dtype = {names[weight._data.dtype.name]}, Cannot dispatch to fused implementation.",
                      stacklevel=2)
        weight = weight.to(input.dtype)                        # torch's composite computes in the input's dtype
    return RMSNormFunction.apply(input, weight, math.prod(shape), float(eps))


# ---------------------------------------------------------------------- local response norm
def _window_sum(a, before, after):
    """``out[:, c] = sum of a[:, c - before .. c + after]`` over the channel axis 1, zero outside."""
    out = a.copy()
    nc = a.shape[1]
    for o in range(-before, after + 1):
        if o == 0 or abs(o) >= nc:
            continue
        if o > 0:
            out[:, :nc - o] += a[:, o:]
        else:
            out[:, -o:] += a[:, :nc + o]
    return out


class LocalResponseNormFunction(ArrayFunction):
    """``y = x / (k + alpha/size * sum_{window} x^2)^beta`` over a window of channels.

    The window of channel ``c`` is ``[c - size//2, c + (size-1)//2]`` (torch's zero padding); the backward
    sums over the adjoint window ``[c - (size-1)//2, c + size//2]``:
    ``dx = g s^-beta - (2 alpha beta / size) x sum_{adjoint window}(g x s^(-beta-1))``.
    """
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        scale = _window_sum(x * x, size // 2, (size - 1) // 2)
        scale *= alpha / size
        scale += k
        p = np.power(scale, -beta)
        ctx.save_for_backward(x, scale, p)
        ctx.meta = (size, alpha, beta)
        return x * p

    @staticmethod
    def backward(ctx, g):
        x, scale, p = ctx.saved_tensors
        size, alpha, beta = ctx.meta
        t = g * x
        t *= p
        t /= scale
        adj = _window_sum(t, (size - 1) // 2, size // 2)
        adj *= x
        adj *= -2.0 * alpha * beta / size
        gx = g * p
        gx += adj
        return gx, None, None, None, None


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    r"""Local response normalization across channels.

    .. math::
        b_c = a_c \left(k + \frac{\alpha}{n} \sum_{c'=\max(0, c-\lfloor n/2 \rfloor)}^{\min(C-1, c+\lfloor (n-1)/2
        \rfloor)} a_{c'}^2\right)^{-\beta}

    Args:
        input: ``(N, C, *)`` with at least 3 dimensions.
        size: number of neighbouring channels in the window (:math:`n`).
        alpha: multiplicative factor. Default: ``1e-4``.
        beta: exponent. Default: ``0.75``.
        k: additive factor. Default: ``1``.
    """
    check_tensor(input, "local_response_norm")
    dim = input._data.ndim
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} "
                         f"dimensions)")
    if input._data.size == 0:
        return input
    if input._data.dtype.kind != "f":
        input = input.to(get_default_dtype())
    return LocalResponseNormFunction.apply(input, int(size), float(alpha), float(beta), float(k))


# ---------------------------------------------------------------------- normalize and weight norm
def _vector_norm(x, p, axis):
    """``||x||_p`` over ``axis`` (an int, a tuple, or None for all), keeping the reduced dimensions."""
    if p == 2:
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
    return np.linalg.vector_norm(x, ord=p, axis=axis, keepdims=True).astype(x.dtype, copy=False)


def _vector_norm_grad(x, n, p, axis):
    """d||x||_p / dx, with torch's conventions: 0 where the norm is 0, ties of the inf-norms share equally."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 0:
            return np.zeros_like(x)
        if p == 1:
            return np.sign(x)
        if math.isinf(p):
            hit = np.abs(x) == n
            return np.sign(x) * hit / np.sum(hit, axis=axis, keepdims=True).astype(x.dtype)
        if p == 2:
            out = x / n
        else:
            out = np.sign(x) * np.abs(x) ** (p - 1) / n ** (p - 1)
            out[x == 0] = 0
        out[np.broadcast_to(n == 0, out.shape)] = 0
        return out


class NormalizeFunction(ArrayFunction):
    """``y = x / max(||x||_p, eps)`` along ``dim``.

    Backward: ``dx = g / den - x sum(g x) / den^2 * d||x||_p/dx`` (the last term only where ``||x||_p >= eps``).
    """
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, x, p, dim, eps):
        ctx.shape = x.shape
        x = x.reshape(-1) if x.ndim == 0 else x                # a 0-d input is a vector of one
        n = _vector_norm(x, p, dim)
        den = np.maximum(n, eps).astype(x.dtype, copy=False)
        ctx.save_for_backward(x)
        ctx.stats = (n, den)
        ctx.meta = (p, dim, eps)
        return (x / den).reshape(ctx.shape)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        n, den = ctx.stats
        p, dim, eps = ctx.meta
        x = x.reshape(-1) if x.ndim == 0 else x
        g = g.reshape(x.shape)
        gx = g / den
        coef = np.sum(g * x, axis=dim, keepdims=True) / (den * den)
        coef *= n >= eps
        gx -= coef * _vector_norm_grad(x, n, p, dim)
        return gx.reshape(ctx.shape), None, None, None


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    r"""Divide ``input`` by its :math:`L_p` norm along ``dim``.

    .. math::
        v = \frac{v}{\max(\lVert v \rVert_p, \epsilon)}

    Args:
        input: a tensor of any shape.
        p: the exponent of the norm (``inf`` and ``-inf`` allowed). Default: ``2``.
        dim: the dimension to reduce. Default: ``1``.
        eps: lower bound of the denominator. Default: ``1e-12``.
        out: the output tensor (without autograd).
    """
    check_tensor(input, "normalize")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{torch_type_name(input._data.dtype)}")
    d = wrap_dim(dim, input._data.ndim)
    if out is not None and GradMode.enabled and input._requires_grad:
        raise RuntimeError("div(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    res = NormalizeFunction.apply(input, float(p), d, float(eps))
    return res if out is None else out_arg(res, out)


def _other_axes(ndim, dim):
    """The axes a norm "except dim" reduces: all of them for ``dim == -1`` (torch's convention), else all but
    ``dim``."""
    if dim == -1:
        return None
    return tuple(i for i in range(ndim) if i != dim)


class NormExceptDimFunction(ArrayFunction):
    """``n = ||v||_p`` over every dimension but ``dim`` (all of them for ``dim=-1``), keeping dimensions.

    Backward: ``dv = g * d||v||_p/dv``.
    """
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, v, p, dim):
        axes = _other_axes(v.ndim, dim)
        n = _vector_norm(v, p, axes)
        ctx.save_for_backward(v)
        ctx.meta = (p, axes, n)
        return n.reshape(()) if axes is None else n

    @staticmethod
    def backward(ctx, g):
        (v,) = ctx.saved_tensors
        p, axes, n = ctx.meta
        return g.reshape(n.shape) * _vector_norm_grad(v, n, p, axes), None, None


class NormExceptDimTransposeFunction(NormExceptDimFunction):
    node_name = "TransposeBackward0"


class NormExceptDimAllFunction(NormExceptDimFunction):
    node_name = "NormBackward0"


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    r"""The :math:`L_p` norm of ``v`` over every dimension except ``dim`` (over all of them when ``dim=-1``).

    .. math::
        n_i = \Big(\sum_{j \ne \text{dim}} |v_{\dots i \dots}|^p\Big)^{1/p}

    The result keeps ``v``'s number of dimensions with size 1 everywhere but ``dim`` (a 0-d tensor for
    ``dim=-1``): the shape of ``weight_g`` in weight normalization.
    """
    check_tensor(v, "norm_except_dim")
    if dim == -1:
        return NormExceptDimAllFunction.apply(v, float(pow), -1)
    d = wrap_dim(dim, v._data.ndim)
    fn = NormExceptDimFunction if dim in (0, v._data.ndim - 1) else NormExceptDimTransposeFunction
    return fn.apply(v, float(pow), d)


class WeightNormFunction(ArrayFunction):
    """Weight normalization ``w = g v / ||v||`` with the 2-norm over every dimension but ``dim``.

    Backward, with ``n = ||v||`` and ``s = sum(gw * v)`` over the same dimensions:
    ``dg = s / n``; ``dv = (g / n) (gw - v s / n^2)``.
    """
    node_name = "WeightNormInterfaceBackward0"

    @staticmethod
    def forward(ctx, v, g, dim):
        axes = _other_axes(v.ndim, dim)
        n = _vector_norm(v, 2, axes)
        ctx.save_for_backward(v, g)
        ctx.meta = (axes, n)
        return v * (g / n)

    @staticmethod
    def backward(ctx, gw):
        v, g = ctx.saved_tensors
        axes, n = ctx.meta
        nv, ng = ctx.needs_input_grad[:2]
        s = np.sum(gw * v, axis=axes, keepdims=True)
        gg = unbroadcast(s / n, np.shape(g)) if ng else None
        gv = None
        if nv:
            gv = v * (-s / (n * n))
            gv += gw
            gv *= g / n
            gv = unbroadcast(gv, v.shape)
        return gv, gg, None


class WeightNormMulFunction(WeightNormFunction):
    """Weight normalization over a middle dimension or the whole tensor (torch composes it: ``MulBackward0``)."""
    node_name = "MulBackward0"


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    r"""Weight normalization: ``v`` rescaled to the norm ``g``.

    .. math::
        w = g \frac{v}{\lVert v \rVert}

    with the 2-norm over every dimension of ``v`` but ``dim`` (over all of them for ``dim=-1``); ``g`` has
    the shape :func:`norm_except_dim` gives.
    """
    check_tensor(v, "_weight_norm")
    check_tensor(g, "_weight_norm", "g")
    fused = dim in (0, v._data.ndim - 1)                    # torch's fused kernel: first or last dimension
    if dim != -1:
        dim = wrap_dim(dim, v._data.ndim)
    return (WeightNormFunction if fused else WeightNormMulFunction).apply(v, g, dim)
