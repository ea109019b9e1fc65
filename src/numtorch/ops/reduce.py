"""Reductions over dimensions (``sum``, ``mean``, ``var``, ``max``, ``norm``, ...), scans (``cumsum``,
``cumprod``) and sorting (``sort``, ``topk``, ``median``), with ``dim``/``keepdim`` as in torch.

The backward of a reduction broadcasts the output gradient back over the reduced dimensions. Reductions that
select elements (max, min, median, sort, topk) either send the gradient to the selected index (the forms that
return indices) or, for the full reductions ``max()``/``min()``/``median()`` and for ``amax``/``amin``, split
it evenly among tied elements, as torch does.
"""
import builtins
import collections
import numbers
import warnings

import numpy as np

from .. import _dtype
from .._dtype import as_dtype, get_default_dtype
from .._tensor import Tensor, _from_array, tensor_method
from ..autograd.function import ArrayFunction
from ._util import check_tensor, out_arg as _out, torch_type_name, wrap_dim, wrap_dims

__all__ = ["sum", "mean", "nansum", "nanmean", "var", "std", "var_mean", "std_mean", "max", "min", "amax", "amin",
           "argmax", "argmin", "aminmax", "logsumexp", "prod", "cumsum", "cumprod", "norm", "any", "all",
           "count_nonzero", "sort", "argsort", "msort", "topk", "median", "nanmedian", "mode", "return_types"]

_ndarray = np.ndarray


# ---------------------------------------------------------------------- named result tuples
def _return_type(name, fields):
    """A tuple class with named fields, printed as torch prints its ``torch.return_types`` results."""
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"numtorch.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__str__": __repr__,
                               "n_fields": len(fields), "n_sequence_fields": len(fields),
                               "__module__": __name__, "__qualname__": "return_types." + name})
    return cls


class return_types:
    """The named tuples returned by reductions that give values and indices (``max(dim)``, ``sort``, ...)."""
    max = _return_type("max", ["values", "indices"])
    min = _return_type("min", ["values", "indices"])
    sort = _return_type("sort", ["values", "indices"])
    topk = _return_type("topk", ["values", "indices"])
    median = _return_type("median", ["values", "indices"])
    nanmedian = _return_type("nanmedian", ["values", "indices"])
    mode = _return_type("mode", ["values", "indices"])
    aminmax = _return_type("aminmax", ["min", "max"])


# ---------------------------------------------------------------------- shared helpers
def _axes(input, dim, op):
    """The reduced axes for ``dim`` (None or an empty tuple/list: all of them); () for a 0-d tensor."""
    nd = input._data.ndim
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        axes = tuple(range(nd))
    else:
        axes = wrap_dims(dim, nd, op)
    return axes if nd else ()


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _keep(y, axes, keepdim):
    """The reduced result with the reduced axes kept (as size 1), ready to broadcast against the input."""
    return y if keepdim or not axes else np.expand_dims(y, axes)


def _expand_grad(g, in_shape, axes, keepdim):
    """Broadcast an output gradient back to the input's shape over the reduced ``axes``."""
    return np.broadcast_to(_keep(g, axes, keepdim), in_shape)


def _single_dim(input, dim, op):
    """One dimension, wrapped; a tuple is torch's TypeError for the ops that take a single ``dim``."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    return wrap_dim(dim, input._data.ndim, op)


def _check_nonempty(input, op, axis=None):
    if axis is None:
        if input._data.size == 0:
            if op in ("argmax", "argmin"):
                raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                               f"reduction dim with the 'dim' argument.")
    elif input._data.ndim and input._data.shape[axis] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")


def _along(x, axis):
    """``x`` viewed with ``axis`` last (a 0-d array becomes 1-D), and a function that undoes it."""
    if x.ndim == 0:
        return x.reshape(1), lambda y: y.reshape(())
    return np.moveaxis(x, axis, -1), lambda y: np.moveaxis(y, -1, axis)


def _scatter_along(g, idx, shape, axis):
    """Zeros of ``shape`` with ``g`` written at ``idx`` along ``axis`` (the adjoint of take_along_axis)."""
    gx = np.zeros(shape, dtype=g.dtype)
    if len(shape) == 0:
        return g.reshape(()).copy() if g.size else gx
    np.put_along_axis(gx, idx, g, axis)
    return gx


# ---------------------------------------------------------------------- sum and mean
class SumFunction(ArrayFunction):
    """out = sum of x over ``axes``;  dx = g broadcast back over ``axes``."""
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim, np_dtype):
        ctx.meta = (x.shape, x.dtype, axes, keepdim)
        return np.sum(x, axis=axes, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        shape, dtype, axes, keepdim = ctx.meta
        return _expand_grad(g, shape, axes, keepdim).astype(dtype, copy=False), None, None, None


class SumAllFunction(SumFunction):
    node_name = "SumBackward0"


class MeanFunction(ArrayFunction):
    """out = mean of x over ``axes``;  dx = g / N broadcast back over ``axes``."""
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.meta = (x.shape, axes, keepdim)
        ctx.n = _count(x.shape, axes)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.mean(x, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        shape, axes, keepdim = ctx.meta
        return _expand_grad(g / g.dtype.type(ctx.n) if ctx.n else g, shape, axes, keepdim), None, None


class MeanAllFunction(MeanFunction):
    node_name = "MeanBackward0"


def _reduce_dtype(x, dtype):
    if dtype is not None:
        return as_dtype(dtype).np
    if x._data.dtype.kind in "bui":
        return np.int64
    return None


@tensor_method()
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum over ``dim`` (all dimensions by default): :math:`y = \\sum_{i \\in \\text{dim}} x_i`.

    Integer and bool inputs sum to int64, as in torch.
    """
    check_tensor(input, "sum")
    fn = SumAllFunction if dim is None else SumFunction
    return _out(fn.apply(input, _axes(input, dim, "sum"), keepdim, _reduce_dtype(input, dtype)), out)


@tensor_method()
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean over ``dim`` (all dimensions by default): :math:`y = \\frac1N \\sum_{i \\in \\text{dim}} x_i`
    (floating-point inputs only)."""
    check_tensor(input, "mean")
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {torch_type_name(input._data.dtype)}")
    fn = MeanAllFunction if dim is None else MeanFunction
    return _out(fn.apply(input, _axes(input, dim, "mean"), keepdim), out)


class NansumFunction(ArrayFunction):
    """out = sum of x over ``axes`` with nan counted as 0;  dx = g * (x is not nan)."""
    node_name = "NansumBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim, np_dtype):
        ctx.save_for_backward(x)
        ctx.meta = (axes, keepdim)
        return np.nansum(x, axis=axes, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        axes, keepdim = ctx.meta
        return _keep(g, axes, keepdim).astype(x.dtype, copy=False) * ~np.isnan(x), None, None, None


class NanmeanFunction(ArrayFunction):
    """out = (sum of the non-nan x over ``axes``) / (their count);  dx = g / count * (x is not nan)."""
    node_name = "DivBackward0"  # torch composes nanmean as nansum(x) / count

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.save_for_backward(x)
        ctx.meta = (axes, keepdim)
        valid = ~np.isnan(x)
        count = valid.sum(axis=axes, keepdims=True).astype(x.dtype)
        ctx.count = count
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.nansum(x, axis=axes, keepdims=True) / count
        return y if keepdim else y.reshape(np.sum(count, axis=axes).shape if axes else y.shape)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        axes, keepdim = ctx.meta
        with np.errstate(invalid="ignore", divide="ignore"):
            share = _keep(g, axes, keepdim) / ctx.count
            return share * ~np.isnan(x), None, None


@tensor_method()
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum over ``dim`` treating nan as zero: :math:`y = \\sum_{i: x_i \\ne \\text{nan}} x_i`."""
    check_tensor(input, "nansum")
    return _out(NansumFunction.apply(input, _axes(input, dim, "nansum"), keepdim, _reduce_dtype(input, dtype)),
                out)


@tensor_method()
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean over ``dim`` of the elements that are not nan: :math:`y = \\sum_{x_i \\ne nan} x_i / \\#\\{x_i \\ne nan\\}`."""
    check_tensor(input, "nanmean")
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{torch_type_name(input._data.dtype)}")
    return _out(NanmeanFunction.apply(input, _axes(input, dim, "nanmean"), keepdim), out)


# ---------------------------------------------------------------------- variance and standard deviation
class VarFunction(ArrayFunction):
    """v = sum((x - mean)^2) / max(0, N - c) over ``axes``;  dx = g * 2 (x - mean) / (N - c).

    For a reduction over all elements with N - c <= 0, dx is g * inf (g * nan where x == mean), as torch.
    """
    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim, reduce_all):
        n = _count(x.shape, axes)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.mean(x, axis=axes, keepdims=True)
            d = x - m
            v = np.sum(d * d, axis=axes, keepdims=keepdim) / x.dtype.type(builtins.max(0, n - correction))
        ctx.save_for_backward(d)
        ctx.meta = (axes, keepdim, n - correction, reduce_all)
        return v

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        return _var_grad(ctx, g, d), None, None, None, None


def _var_grad(ctx, g, d):
    """d var / dx applied to g: 2 (x - mean) / dof, with torch's inf/nan when a full reduction has dof <= 0."""
    axes, keepdim, dof, reduce_all = ctx.meta
    gk = _keep(g, axes, keepdim)
    dt = d.dtype.type
    with np.errstate(divide="ignore", invalid="ignore"):
        if reduce_all and dof <= 0:
            return gk * np.where(d == 0, dt(np.nan), dt(np.inf))
        scale = dt(2) / dt(dof)
        return gk * d * scale


class StdFunction(ArrayFunction):
    """s = sqrt(var(x));  dx = (g / (2 s)) * d var / dx, with 0 where s == 0."""
    node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim, reduce_all):
        v = VarFunction.forward(ctx, x, axes, correction, keepdim, reduce_all)
        s = np.sqrt(v)
        ctx.save_for_backward(ctx.saved[0], s)
        return s

    @staticmethod
    def backward(ctx, g):
        d, s = ctx.saved_tensors
        return _var_grad(ctx, _std_to_var_grad(g, s), d), None, None, None, None


def _std_to_var_grad(g, s):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s == 0, s.dtype.type(0), g / (s * 2))


class VarMeanFunction(ArrayFunction):
    """(v, m) = (var(x), mean(x)) over ``axes``;  dx = dv * 2 (x - m) / (N - c) + dm / N."""
    node_name = "VarMeanBackward0"

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim, reduce_all):
        v = VarFunction.forward(ctx, x, axes, correction, keepdim, reduce_all)
        ctx.shape = x.shape
        return v, np.mean(x, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, gv, gm):
        (d,) = ctx.saved_tensors
        axes, keepdim = ctx.meta[:2]
        n = _count(ctx.shape, axes)
        gx = _var_grad(ctx, gv, d) + _keep(gm, axes, keepdim) / d.dtype.type(n)
        return gx, None, None, None, None


class StdMeanFunction(ArrayFunction):
    """(s, m) = (std(x), mean(x)) over ``axes``;  dx = (ds / 2s) * 2 (x - m) / (N - c) + dm / N."""
    node_name = "StdMeanBackward0"

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim, reduce_all):
        v = VarFunction.forward(ctx, x, axes, correction, keepdim, reduce_all)
        s = np.sqrt(v)
        ctx.save_for_backward(ctx.saved[0], s)
        ctx.shape = x.shape
        return s, np.mean(x, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, gs, gm):
        d, s = ctx.saved_tensors
        axes, keepdim = ctx.meta[:2]
        n = _count(ctx.shape, axes)
        gx = _var_grad(ctx, _std_to_var_grad(gs, s), d) + _keep(gm, axes, keepdim) / d.dtype.type(n)
        return gx, None, None, None, None


def _var_args(input, dim, unbiased, keepdim, correction, op):
    """Resolve torch's overloads: ``var(dim, unbiased, keepdim)``, ``var(unbiased)``, ``var(dim, *, correction)``."""
    check_tensor(input, op)
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{op}() received an invalid combination of arguments - got (bool, bool)")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}() received an invalid combination of arguments - got both 'unbiased' and "
                        f"'correction'; pass only one of them")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if input._data.dtype.kind not in "fc":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axes = _axes(input, dim, op)
    n = _count(input._data.shape, axes)
    if n - correction <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      f"reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    reduce_all = dim is None or input._data.ndim == 0
    return axes, correction, reduce_all


@tensor_method()
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Variance over ``dim``: :math:`\\sigma^2 = \\frac{1}{\\max(0, N - \\delta N)} \\sum_i (x_i - \\bar x)^2`.

    ``correction`` (:math:`\\delta N`, default 1: Bessel's correction) or the older ``unbiased`` flag
    (True: 1, False: 0). torch warns when :math:`N - \\delta N \\le 0` and returns inf or nan.
    """
    axes, c, reduce_all = _var_args(input, dim, unbiased, keepdim, correction, "var")
    return _out(VarFunction.apply(input, axes, c, keepdim, reduce_all), out)


@tensor_method()
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """Standard deviation over ``dim``: :math:`\\sigma = \\sqrt{\\frac{1}{\\max(0, N - \\delta N)}
    \\sum_i (x_i - \\bar x)^2}` (``correction``/``unbiased`` as in :func:`var`)."""
    axes, c, reduce_all = _var_args(input, dim, unbiased, keepdim, correction, "std")
    return _out(StdFunction.apply(input, axes, c, keepdim, reduce_all), out)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """:math:`(\\sigma^2, \\bar x)`: ``(var(input, ...), mean(input, ...))`` computed together; see :func:`var`."""
    axes, c, reduce_all = _var_args(input, dim, unbiased, keepdim, correction, "var_mean")
    return VarMeanFunction.apply(input, axes, c, keepdim, reduce_all)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    """:math:`(\\sigma, \\bar x)`: ``(std(input, ...), mean(input, ...))`` computed together; see :func:`std`."""
    axes, c, reduce_all = _var_args(input, dim, unbiased, keepdim, correction, "std_mean")
    return StdMeanFunction.apply(input, axes, c, keepdim, reduce_all)


# ---------------------------------------------------------------------- max, min and friends
def _tie_mask(x, yk):
    """Where x equals the reduced value (where x is nan, if the value is nan)."""
    if x.dtype.kind == "f":
        return np.where(np.isnan(yk), np.isnan(x), x == yk)
    return x == yk


def _even_split(g, x, yk, axes, keepdim, nan_ties=True):
    """The gradient of a max/min-like value split evenly among the tied elements that attain it.

    With ``nan_ties`` (``max()``, ``min()``, ``median()``) a nan result is attained by the nan elements; without
    it (``amax``, ``amin``, ``aminmax``) nothing equals a nan result and, as in torch, the slice gets nan.
    """
    mask = _tie_mask(x, yk) if nan_ties else x == yk
    count = mask.sum(axis=axes, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = _keep(g, axes, keepdim) / count.astype(g.dtype)
        if nan_ties:
            return np.where(mask, share, g.dtype.type(0))
        return share * mask


class AmaxFunction(ArrayFunction):
    """y = max of x over ``axes``;  dx = g / (number of ties) at every element equal to y."""
    node_name = "AmaxBackward0"
    reduce = staticmethod(np.max)
    nan_ties = False

    @classmethod
    def forward(cls, ctx, x, axes, keepdim):
        y = cls.reduce(x, axis=axes, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        ctx.meta = (axes, keepdim)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        axes, keepdim = ctx.meta
        return _even_split(g, x, _keep(y, axes, keepdim), axes, keepdim, ctx.nan_ties), None, None


class AminFunction(AmaxFunction):
    """y = min of x over ``axes``;  dx = g / (number of ties) at every element equal to y."""
    node_name = "AminBackward0"
    reduce = staticmethod(np.min)


class MaxAllFunction(AmaxFunction):
    """y = max of all of x;  dx = g / (number of ties) at every maximal element (the nans if y is nan)."""
    node_name = "MaxBackward1"
    nan_ties = True


class MinAllFunction(AminFunction):
    """y = min of all of x;  dx = g / (number of ties) at every minimal element (the nans if y is nan)."""
    node_name = "MinBackward1"
    nan_ties = True


class MaxDimFunction(ArrayFunction):
    """(values, indices) = max of x along ``axis`` and its first position;  dx = g at the selected index."""
    node_name = "MaxBackward0"
    arg = staticmethod(np.argmax)

    @classmethod
    def forward(cls, ctx, x, axis, keepdim):
        idx = cls.arg(x, axis=axis, keepdims=True) if x.ndim else np.zeros((), np.int64)
        idx = idx.astype(np.int64, copy=False)
        values = np.take_along_axis(x, idx, axis) if x.ndim else x.copy()
        ctx.meta = (x.shape, axis, keepdim)
        if not keepdim and x.ndim:
            values, idx = np.squeeze(values, axis), np.squeeze(idx, axis)
        ctx.save_for_backward(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        shape, axis, keepdim = ctx.meta
        if not shape:
            return g.copy(), None, None
        gk = g if keepdim else np.expand_dims(g, axis)
        ik = idx if keepdim else np.expand_dims(idx, axis)
        return _scatter_along(gk, ik, shape, axis), None, None


class MinDimFunction(MaxDimFunction):
    """(values, indices) = min of x along ``axis`` and its first position;  dx = g at the selected index."""
    node_name = "MinBackward0"
    arg = staticmethod(np.argmin)


def _max_min(input, dim, keepdim, other, op):
    check_tensor(input, op)
    if isinstance(dim, Tensor) or other is not None:
        from .math import maximum, minimum
        return (maximum if op == "max" else minimum)(input, dim if other is None else other)
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}() received an invalid combination of arguments - got (keepdim=bool)")
        _check_nonempty(input, op)
        return (MaxAllFunction if op == "max" else MinAllFunction).apply(input, tuple(range(input._data.ndim)),
                                                                         False)
    axis = _single_dim(input, dim, op)
    _check_nonempty(input, op, axis)
    fn = MaxDimFunction if op == "max" else MinDimFunction
    values, indices = fn.apply(input, axis, bool(keepdim))
    return getattr(return_types, op)(values, indices)


@tensor_method()
def max(input, dim=None, keepdim=False, *, other=None, out=None):
    """Maximum: of all elements (a 0-d tensor; the gradient is split evenly among ties), or along ``dim`` as
    ``(values, indices)`` (the gradient goes to the index), or elementwise with a tensor ``other`` (= maximum).

    .. math:: y = \\max_i x_i
    """
    return _max_min(input, dim, keepdim, other, "max")


@tensor_method()
def min(input, dim=None, keepdim=False, *, other=None, out=None):
    """Minimum: of all elements, along ``dim`` as ``(values, indices)``, or elementwise with ``other``.

    .. math:: y = \\min_i x_i
    """
    return _max_min(input, dim, keepdim, other, "min")


def _amax_amin(input, dim, keepdim, op, fn):
    check_tensor(input, op)
    if input._data.size == 0 and isinstance(dim, (tuple, list)):  # torch: empty dims before repeated ones
        for a in dim:
            _check_nonempty(input, op, wrap_dim(a, input._data.ndim, op))
    axes = _axes(input, dim, op)
    if input._data.size == 0:
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):
            _check_nonempty(input, op)
        for a in axes:
            _check_nonempty(input, op, a)
    return fn.apply(input, axes, bool(keepdim))


@tensor_method()
def amax(input, dim=(), keepdim=False, *, out=None):
    """Maximum over ``dim`` (all dimensions by default): :math:`y = \\max_{i \\in \\text{dim}} x_i`; the gradient
    is split evenly among tied maxima."""
    return _out(_amax_amin(input, dim, keepdim, "amax", AmaxFunction), out)


@tensor_method()
def amin(input, dim=(), keepdim=False, *, out=None):
    """Minimum over ``dim`` (all dimensions by default): :math:`y = \\min_{i \\in \\text{dim}} x_i`; the gradient
    is split evenly among tied minima."""
    return _out(_amax_amin(input, dim, keepdim, "amin", AminFunction), out)


class AminmaxFunction(ArrayFunction):
    """(lo, hi) = (min, max) of x over ``axes``;  dx = each gradient split evenly among its ties."""
    node_name = "AminmaxBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        lo = np.min(x, axis=axes, keepdims=keepdim)
        hi = np.max(x, axis=axes, keepdims=keepdim)
        ctx.save_for_backward(x, lo, hi)
        ctx.meta = (axes, keepdim)
        return lo, hi

    @staticmethod
    def backward(ctx, glo, ghi):
        x, lo, hi = ctx.saved_tensors
        axes, keepdim = ctx.meta
        return (_even_split(glo, x, _keep(lo, axes, keepdim), axes, keepdim, False)
                + _even_split(ghi, x, _keep(hi, axes, keepdim), axes, keepdim, False)), None, None


def aminmax(input, *, dim=None, keepdim=False, out=None):
    """:math:`(\\min_i x_i, \\max_i x_i)` over ``dim`` (one dimension, or all of them by default), as a named
    tuple; each gradient is split evenly among its ties."""
    check_tensor(input, "aminmax")
    if dim is None:
        _check_nonempty(input, "aminmax")
        lo, hi = AminmaxFunction.apply(input, tuple(range(input._data.ndim)), bool(keepdim))
    else:
        axis = _single_dim(input, dim, "aminmax")
        _check_nonempty(input, "aminmax", axis)
        lo, hi = AminmaxFunction.apply(input, (axis,) if input._data.ndim else (), bool(keepdim))
    return return_types.aminmax(lo, hi)


tensor_method("aminmax")(aminmax)


def _arg_extreme(input, dim, keepdim, op, fn):
    check_tensor(input, op)
    if input._data.dtype == np.bool_:
        raise RuntimeError(f"{op}(): does not support bool input")
    x = input._data
    if dim is None:
        _check_nonempty(input, op)
        idx = np.asarray(fn(x.reshape(-1)), dtype=np.int64)
        if keepdim:
            idx = idx.reshape((1,) * x.ndim)
        return _from_array(idx)
    axis = _single_dim(input, dim, op)
    _check_nonempty(input, op, axis)
    if x.ndim == 0:
        return _from_array(np.zeros((), np.int64))
    return _from_array(np.asarray(fn(x, axis=axis, keepdims=bool(keepdim)), dtype=np.int64))


@tensor_method()
def argmax(input, dim=None, keepdim=False, *, out=None):
    """Index of the first maximum, over all elements (flattened) or along ``dim``: :math:`\\arg\\max_i x_i`."""
    return _out(_arg_extreme(input, dim, keepdim, "argmax", np.argmax), out)


@tensor_method()
def argmin(input, dim=None, keepdim=False, *, out=None):
    """Index of the first minimum, over all elements (flattened) or along ``dim``: :math:`\\arg\\min_i x_i`."""
    return _out(_arg_extreme(input, dim, keepdim, "argmin", np.argmin), out)


# ---------------------------------------------------------------------- logsumexp and prod
class LogsumexpFunction(ArrayFunction):
    """y = m + log(sum(exp(x - m))) with m = max(x) over ``axes`` (0 where m is infinite);
    dx = g * exp(x - y)."""
    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        m = np.max(x, axis=axes, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
        m = np.where(np.isinf(m), x.dtype.type(0), m)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            yk = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        ctx.save_for_backward(x, yk)
        ctx.meta = (axes, keepdim)
        return yk if keepdim or not axes else np.squeeze(yk, axes)

    @staticmethod
    def backward(ctx, g):
        x, yk = ctx.saved_tensors
        axes, keepdim = ctx.meta
        with np.errstate(invalid="ignore", over="ignore"):
            return _keep(g, axes, keepdim) * np.exp(x - yk), None, None


@tensor_method()
def logsumexp(input, dim, keepdim=False, *, out=None):
    """:math:`y = \\log \\sum_{i \\in \\text{dim}} e^{x_i}`, computed stably as
    :math:`m + \\log \\sum_i e^{x_i - m}` with :math:`m = \\max_i x_i`."""
    check_tensor(input, "logsumexp")
    if input._data.dtype.kind in "iub":
        input = input.to(get_default_dtype())
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' must be tuple of ints, not NoneType")
    if isinstance(dim, (tuple, list)) and not dim and not keepdim and input._data.ndim and input._data.size:
        # torch reduces everything for dim=() but then writes into a 0-d result of the kept shape
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape {[1] * input._data.ndim}")
    axes = _axes(input, dim, "logsumexp")
    return _out(LogsumexpFunction.apply(input, axes, bool(keepdim)), out)


def _exclusive_products(x, axis):
    """For every position, the product of all *other* elements along ``axis`` (exact with zeros: no division).

    The product of the elements before i times the product of the elements after i.
    """
    xs, back = _along(x, axis)
    before = np.ones_like(xs)
    np.cumprod(xs[..., :-1], axis=-1, out=before[..., 1:])
    after = np.ones_like(xs)
    after[..., :-1] = np.flip(np.cumprod(np.flip(xs[..., 1:], -1), axis=-1), -1)
    return back(before * after)


def _prod_grad(gk, yk, x, axis):
    """g * prod_{j != i} x_j: g * y / x when the slice has no zero (torch's shortcut), else exclusive products."""
    if not (x == 0).any():
        with np.errstate(over="ignore", invalid="ignore"):
            return (gk * (yk / x)).astype(x.dtype, copy=False)
    return (gk * _exclusive_products(x, axis)).astype(x.dtype, copy=False)


class ProdFunction(ArrayFunction):
    """y = prod of all x;  dx_i = g * prod_{j != i} x_j (= g y / x_i without zeros; exact with one or several)."""
    node_name = "ProdBackward0"

    @staticmethod
    def forward(ctx, x, np_dtype):
        y = np.asarray(np.prod(x, dtype=np_dtype))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        flat = x.reshape(-1)
        if np.count_nonzero(flat == 0) > 1:
            return np.zeros_like(x), None  # torch's rule: with two zeros every exclusive product is 0 (even by inf)
        return _prod_grad(g, y, flat, 0).reshape(x.shape), None


class ProdDimFunction(ArrayFunction):
    """y = prod of x along ``axis``;  dx_i = g * prod_{j != i} x_j along the axis."""
    node_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, x, axis, keepdim, np_dtype):
        ctx.meta = (axis, keepdim)
        if x.ndim == 0:
            y = x.astype(np_dtype or x.dtype, copy=True)
        else:
            y = np.prod(x, axis=axis, keepdims=keepdim, dtype=np_dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        axis, keepdim = ctx.meta
        if x.ndim == 0:
            return g.astype(x.dtype, copy=True), None, None, None
        return _prod_grad(_keep(g, (axis,), keepdim), _keep(y, (axis,), keepdim), x, axis), None, None, None


@tensor_method()
def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Product of all elements, or along one ``dim``: :math:`y = \\prod_i x_i` (integer inputs give int64)."""
    check_tensor(input, "prod")
    npd = _reduce_dtype(input, dtype)
    if dim is None:
        return _out(ProdFunction.apply(input, npd), out)
    axis = _single_dim(input, dim, "prod")
    return _out(ProdDimFunction.apply(input, axis, bool(keepdim), npd), out)


# ---------------------------------------------------------------------- scans
class CumsumFunction(ArrayFunction):
    """y_i = sum_{j <= i} x_j along ``axis``;  dx_i = sum_{j >= i} g_j (a reversed cumulative sum)."""
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, axis, np_dtype):
        ctx.meta = (axis, x.dtype, x.ndim)
        if x.ndim == 0:
            return x.astype(np_dtype or x.dtype, copy=True)
        if np_dtype is None and x.dtype == np.float16:
            # A running sum in half precision drifts by an ulp per step: torch scans in float, then rounds.
            return np.cumsum(x, axis=axis, dtype=np.float32).astype(np.float16)
        return np.cumsum(x, axis=axis, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        axis, dtype, nd = ctx.meta
        if nd == 0:
            return g.astype(dtype, copy=True), None, None
        acc = np.float32 if g.dtype == np.float16 else None  # as in forward
        return np.flip(np.cumsum(np.flip(g, axis), axis=axis, dtype=acc), axis).astype(dtype, copy=False), None, None


class CumprodFunction(ArrayFunction):
    """y_i = prod_{j <= i} x_j along ``axis``;  dx_i = sum_{j >= i} g_j prod_{k <= j, k != i} x_k.

    Before the first zero z of a slice this is (sum_{i <= j < z} g_j y_j) / x_i; at the first zero it is
    y_{z-1} * sum_{j >= z} g_j prod_{z < k <= j} x_k; after it, 0.
    """
    node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, axis, np_dtype):
        if x.ndim == 0:
            y = x.astype(np_dtype or x.dtype, copy=True)
        elif np_dtype is None and x.dtype == np.float16:
            y = np.cumprod(x, axis=axis, dtype=np.float32).astype(np.float16)  # in float, as torch (see cumsum)
        else:
            y = np.cumprod(x, axis=axis, dtype=np_dtype)
        ctx.save_for_backward(x, y)
        ctx.meta = axis
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if x.ndim == 0 or x.shape[ctx.meta] == 1:  # torch passes g through unchanged (even beside inf/nan)
            return g.astype(x.dtype, copy=True), None, None
        work = np.float32 if x.dtype == np.float16 else x.dtype  # half precision is scanned in float
        xs, back = _along(x.astype(work, copy=False), ctx.meta)
        ys, _ = _along(y.astype(work, copy=False), ctx.meta)
        gs, _ = _along(g.astype(work, copy=False), ctx.meta)
        n = xs.shape[-1]
        zero = xs == 0
        has_zero = zero.any(axis=-1, keepdims=True)
        first = np.where(has_zero, np.argmax(zero, axis=-1)[..., None], n)
        pos = np.arange(n)
        before = pos < first
        dt = xs.dtype.type
        safe = np.where(before, xs, dt(1))
        # Outputs from the first zero on hold the factor 0: they add nothing before it (not even inf * 0).
        tail = np.flip(np.cumsum(np.flip(np.where(before, gs * ys, dt(0)), -1), axis=-1), -1)
        gx = np.where(before, tail / safe, dt(0))
        if has_zero.any():
            z = np.minimum(first, n - 1)
            prefix = np.where(z > 0, np.take_along_axis(ys, np.maximum(z - 1, 0), -1), dt(1))
            after = np.cumprod(np.where(pos <= z, dt(1), xs), axis=-1)
            at_zero = prefix * np.sum(np.where(pos >= z, gs * after, dt(0)), axis=-1, keepdims=True)
            gx = np.where(has_zero & (pos == z), at_zero, gx)
        return back(gx).astype(x.dtype, copy=False), None, None


def _scan(input, dim, dtype, op, fn):
    check_tensor(input, op)
    axis = _single_dim(input, dim, op)
    npd = _reduce_dtype(input, dtype)
    return fn.apply(input, axis, npd)


@tensor_method()
def cumsum(input, dim, *, dtype=None, out=None):
    """Cumulative sum along ``dim``: :math:`y_i = \\sum_{j \\le i} x_j` (integer inputs give int64)."""
    return _out(_scan(input, dim, dtype, "cumsum", CumsumFunction), out)


@tensor_method()
def cumprod(input, dim, *, dtype=None, out=None):
    """Cumulative product along ``dim``: :math:`y_i = \\prod_{j \\le i} x_j` (integer inputs give int64)."""
    return _out(_scan(input, dim, dtype, "cumprod", CumprodFunction), out)


# ---------------------------------------------------------------------- norms
def _sgn(x):
    """sign(x) with 0 for nan, as torch's ``sgn``."""
    return np.where(np.isnan(x), x.dtype.type(0), np.sign(x))


class VectorNormFunction(ArrayFunction):
    """n = (sum |x|^p)^(1/p) over ``axes`` (p = inf: max |x|, -inf: min |x|, 0: number of nonzeros).

    dx = g sign(x) |x|^(p-1) / n^(p-1), with torch's special cases: p = 0 gives none, p = 1 gives g sign(x),
    p = +-inf splits g evenly among the elements with |x| = n, and 0 where n == 0.
    """
    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        a = np.abs(x)
        dt = x.dtype.type
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if p == float("inf"):
                n = np.max(a, axis=axes, keepdims=keepdim)
            elif p == float("-inf"):
                n = np.min(a, axis=axes, keepdims=keepdim)
            elif p == 0:
                n = np.sum(x != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
            elif p == 1:
                n = np.sum(a, axis=axes, keepdims=keepdim)
            elif p == 2:
                n = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
            else:
                n = np.sum(a ** dt(p), axis=axes, keepdims=keepdim) ** dt(1.0 / p)
        ctx.save_for_backward(x, n)
        ctx.meta = (p, axes, keepdim)
        return n

    @staticmethod
    def backward(ctx, g):
        x, n = ctx.saved_tensors
        p, axes, keepdim = ctx.meta
        dt = x.dtype.type
        gk = _keep(g, axes, keepdim)
        nk = _keep(n, axes, keepdim)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if p == 0:
                return None, None, None, None  # no gradient at all, as torch (x.grad stays None)
            if p == 1:
                return gk * _sgn(x), None, None, None
            if p in (float("inf"), float("-inf")):
                a = np.abs(x)
                mask = (a == nk) | np.isnan(a)
                count = mask.sum(axis=axes, keepdims=True).astype(x.dtype)
                return _sgn(x) * np.where(mask, gk / count, dt(0)), None, None, None
            if p == 2:
                return np.where(nk == 0, dt(0), gk / nk) * x, None, None, None
            a = np.abs(x)
            if p < 1:
                scaled = _sgn(x) * np.where(x == 0, dt(0), a ** dt(p - 1))
                return scaled * gk * nk ** dt(1 - p), None, None, None
            if p < 2:
                scaled = _sgn(x) * a ** dt(p - 1)
            else:
                scaled = x * a ** dt(p - 2)
            return scaled * np.where(nk == 0, dt(0), gk / nk ** dt(p - 1)), None, None, None


@tensor_method()
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """Vector p-norm over ``dim`` (all elements by default): :math:`\\|x\\|_p = (\\sum_i |x_i|^p)^{1/p}`.

    ``p`` is any number, ``inf``/``-inf`` (max/min of :math:`|x|`), 0 (the number of nonzeros), ``'fro'``
    (the 2-norm over one or two dimensions) or ``'nuc'`` (the nuclear norm of the matrices over two dimensions:
    the sum of their singular values).
    """
    check_tensor(input, "norm")
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{torch_type_name(input._data.dtype)}")
    if isinstance(p, str):
        if p == "nuc":
            return _out(_nuclear_norm(input, dim, keepdim), out)
        if p != "fro":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
        p = 2
    elif p is None:
        p = 2
    elif isinstance(p, Tensor):
        p = p.item()
    axes = _axes(input, dim, "norm")
    p = float(p)
    if np.isinf(p) and input._data.size == 0:  # max/min of nothing
        word = "inf" if p > 0 else "-inf"
        empty = [a for a in axes if input._data.shape[a] == 0]
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {word} norm on an empty tensor because the "
                               f"operation does not have an identity")
        if empty:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {word} norm on the dimension {empty[0]}"
                               f"because this dimension is empty and the operation does not have an identity")
    return _out(VectorNormFunction.apply(input, p, axes, bool(keepdim)), out)


class NuclearNormFunction(ArrayFunction):
    """Nuclear norm of the matrices over two axes: :math:`\\|X\\|_* = \\sum_i \\sigma_i(X)`;
    :math:`dX = g\\,U V^T` from the reduced SVD :math:`X = U \\Sigma V^T`."""
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        m = np.moveaxis(x, axes, (-2, -1))
        u, sv, vh = np.linalg.svd(m, full_matrices=False)
        n = sv.sum(-1).astype(x.dtype, copy=False)
        ctx.save_for_backward(u, vh)
        ctx.meta = (axes, keepdim)
        if keepdim:
            for a in sorted(axes):
                n = np.expand_dims(n, a)
        return n

    @staticmethod
    def backward(ctx, g):
        u, vh = ctx.saved_tensors
        axes, keepdim = ctx.meta
        if keepdim:
            g = np.squeeze(g, axis=tuple(axes))
        grad = (u @ vh) * g[..., None, None]
        return np.moveaxis(grad, (-2, -1), axes).astype(u.dtype, copy=False), None, None


def _nuclear_norm(input, dim, keepdim):
    x = input._data
    if dim is None:
        if x.ndim != 2:
            if x.ndim < 2:
                raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, range(x.ndim)))}")
        axes = (0, 1)
    else:
        dims = list(dim) if isinstance(dim, (tuple, list)) else [dim]
        if len(dims) != 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
        if x.ndim < 2:
            raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
        axes = tuple(d % x.ndim for d in dims)
    return NuclearNormFunction.apply(input, axes, bool(keepdim))


# ---------------------------------------------------------------------- any, all, count_nonzero
def _truth_reduce(input, dim, keepdim, op, fn):
    check_tensor(input, op)
    x = input._data
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        axes = ()
    else:
        axes = _axes(input, dim, op)
    res = fn(x.astype(bool, copy=False), axis=axes, keepdims=bool(keepdim))
    return _from_array(np.asarray(res, dtype=np.uint8 if x.dtype == np.uint8 else np.bool_))


@tensor_method()
def any(input, dim=None, keepdim=False, *, out=None):
    """True where any element over ``dim`` is nonzero: :math:`y = \\bigvee_i (x_i \\ne 0)` (uint8 in, uint8
    out; bool otherwise)."""
    return _out(_truth_reduce(input, dim, keepdim, "any", np.any), out)


@tensor_method()
def all(input, dim=None, keepdim=False, *, out=None):
    """True where every element over ``dim`` is nonzero: :math:`y = \\bigwedge_i (x_i \\ne 0)` (uint8 in, uint8
    out; bool otherwise)."""
    return _out(_truth_reduce(input, dim, keepdim, "all", np.all), out)


@tensor_method()
def count_nonzero(input, dim=None):
    """Number of nonzero elements over ``dim`` (all by default), as int64: :math:`y = \\#\\{i: x_i \\ne 0\\}`."""
    check_tensor(input, "count_nonzero")
    axes = _axes(input, dim, "count_nonzero")
    return _from_array(np.asarray(np.count_nonzero(input._data, axis=axes), dtype=np.int64))


# ---------------------------------------------------------------------- sorting and selection
def _sort_indices(x, axis, descending):
    """Stable sorting permutation along ``axis`` (nan sorts as the largest value, as in torch)."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    # A stable descending order: sort the reversed array ascending, reverse the result and map positions back.
    n = x.shape[axis]
    rev = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (n - 1) - np.flip(rev, axis)


class SortFunction(ArrayFunction):
    """(values, indices) = x sorted along ``axis`` and the permutation;  dx = g scattered back through it."""
    node_name = "SortBackward0"

    @staticmethod
    def forward(ctx, x, axis, descending):
        if x.ndim == 0:
            idx = np.zeros((), np.int64)
            values = x.copy()
        else:
            idx = _sort_indices(x, axis, descending).astype(np.int64, copy=False)
            values = np.take_along_axis(x, idx, axis)
        ctx.save_for_backward(idx)
        ctx.meta = (x.shape, axis)
        return values, idx

    @staticmethod
    def backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        shape, axis = ctx.meta
        return _scatter_along(g, idx, shape, axis), None, None


class TopkFunction(SortFunction):
    """(values, indices) = the k largest (or smallest) of x along ``axis``;  dx = g at their positions."""
    node_name = "TopkBackward0"

    @staticmethod
    def forward(ctx, x, k, axis, largest):
        if x.ndim == 0:
            idx = np.zeros((), np.int64)
            values = x.copy()
        elif 0 < 2 * k < x.shape[axis]:
            # Partition first (linear time), then sort only the k candidates, taken in index order so that the
            # stable sort orders equal values by position.
            n = x.shape[axis]
            part = np.argpartition(x, n - k if largest else k - 1, axis=axis)
            cand = np.take(part, np.arange(n - k, n) if largest else np.arange(k), axis=axis)
            cand.sort(axis=axis)
            order = _sort_indices(np.take_along_axis(x, cand, axis), axis, largest)
            idx = np.take_along_axis(cand, order, axis).astype(np.int64, copy=False)
            values = np.take_along_axis(x, idx, axis)
        else:
            idx = _sort_indices(x, axis, largest)
            idx = np.take(idx, np.arange(k), axis=axis).astype(np.int64, copy=False)
            values = np.take_along_axis(x, idx, axis)
        ctx.save_for_backward(idx)
        ctx.meta = (x.shape, axis)
        return values, idx

    @staticmethod
    def backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        shape, axis = ctx.meta
        return _scatter_along(g, idx, shape, axis), None, None, None


@tensor_method()
def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    """Sort along ``dim``: ``(values, indices)`` with :math:`\\text{values}_i = x_{\\text{indices}_i}` in
    ascending (or descending) order; equal elements keep their order (always stable here); nan counts as the
    largest value. The gradient flows back through the permutation."""
    check_tensor(input, "sort")
    if isinstance(dim, bool):
        dim, descending = -1, dim
    axis = wrap_dim(dim, input._data.ndim, "sort")
    values, indices = SortFunction.apply(input, axis, bool(descending))
    return return_types.sort(values, indices)


@tensor_method()
def argsort(input, dim=-1, descending=False, stable=False):
    """The permutation :math:`\\pi` with :math:`x_{\\pi_0} \\le x_{\\pi_1} \\le \\dots` along ``dim`` (stable),
    as int64 indices."""
    return sort(input, dim, descending, stable).indices


@tensor_method()
def msort(input, *, out=None):
    """Sort along the first dimension: ``sort(input, dim=0).values``."""
    return _out(sort(input, 0).values, out)


@tensor_method()
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim``, as ``(values, indices)`` in
    sorted order."""
    check_tensor(input, "topk")
    axis = wrap_dim(dim, input._data.ndim, "topk")
    size = input._data.shape[axis] if input._data.ndim else 1
    if not isinstance(k, numbers.Integral) or isinstance(k, bool):
        raise TypeError(f"topk(): argument 'k' (position 2) must be int, not {type(k).__name__}")
    if k < 0 or k > size:
        raise RuntimeError("selected index k out of range")
    if input._data.dtype == np.bool_:  # torch checks the dim and k first
        raise RuntimeError("topk does not support bool dtypes on CPU")
    values, indices = TopkFunction.apply(input, int(k), axis, bool(largest))
    return return_types.topk(values, indices)


class MedianAllFunction(AmaxFunction):
    """y = the lower median of all of x (nan if any is nan);  dx = g / (number of ties) at every element == y."""
    node_name = "MedianBackward0"
    nan_ties = True

    @staticmethod
    def reduce(x, axis=None, keepdims=False):
        flat = x.reshape(-1)
        if flat.size == 0 or (flat.dtype.kind == "f" and np.isnan(flat).any()):
            return np.asarray(np.nan, dtype=x.dtype)
        r = (flat.size - 1) // 2
        return np.asarray(np.partition(flat, r)[r])


class NanmedianAllFunction(MedianAllFunction):
    """y = the lower median of the non-nan elements of x;  dx = g split among the ties."""
    node_name = "NanmedianBackward0"

    @staticmethod
    def reduce(x, axis=None, keepdims=False):
        flat = x.reshape(-1)
        if flat.dtype.kind == "f":
            flat = flat[~np.isnan(flat)]
        if flat.size == 0:
            return np.asarray(np.nan, dtype=x.dtype)
        r = (flat.size - 1) // 2
        return np.asarray(np.partition(flat, r)[r])


def _stable_rank_position(x, v, r, axis):
    """The index of the element of rank ``r`` in a stable sort along ``axis``, given its value ``v`` (keepdims).

    It is the (r - #{x < v})-th occurrence of v in index order; without ties, simply the first one.
    """
    eq = x == v
    occurrence = r - (x < v).sum(axis=axis, keepdims=True)
    if not occurrence.any():
        return np.argmax(eq, axis=axis, keepdims=True)
    cum = np.cumsum(eq, axis=axis)
    return np.argmax(eq & (cum == occurrence + 1), axis=axis, keepdims=True)


class MedianDimFunction(MaxDimFunction):
    """(values, indices) = the lower median along ``axis`` (nan and its first position if the slice has a nan);
    dx = g at the selected index."""
    node_name = "MedianBackward1"
    skip_nan = False

    @classmethod
    def forward(cls, ctx, x, axis, keepdim):
        ctx.meta = (x.shape, axis, keepdim)
        if x.ndim == 0:
            idx = np.zeros((), np.int64)
            ctx.save_for_backward(idx)
            return x.copy(), idx
        n = x.shape[axis]
        if x.dtype.kind != "f" or not np.isnan(x).any():
            # No nan: partition for the median value (linear time), then locate its stable-sort position.
            r = (n - 1) // 2
            v = np.take(np.partition(x, r, axis=axis), [r], axis=axis)
            idx = _stable_rank_position(x, v, r, axis).astype(np.int64)
            values = np.take_along_axis(x, idx, axis)
            if not keepdim:
                values, idx = np.squeeze(values, axis), np.squeeze(idx, axis)
            ctx.save_for_backward(idx)
            return values, idx
        order = np.argsort(x, axis=axis, kind="stable")
        if x.dtype.kind == "f":
            nans = np.isnan(x)
            count = n - nans.sum(axis=axis, keepdims=True)
            if cls.skip_nan:  # an all-nan slice gives nan from the middle, as torch
                pos = np.where(count == 0, (n - 1) // 2, np.maximum(count - 1, 0) // 2)
            else:
                pos = np.where(count < n, 0, (n - 1) // 2)
        else:
            nans = None
            pos = np.full(tuple(1 if i == axis else s for i, s in enumerate(x.shape)), (n - 1) // 2)
        idx = np.take_along_axis(order, pos, axis).astype(np.int64)
        if nans is not None and not cls.skip_nan:
            first_nan = np.argmax(nans, axis=axis, keepdims=True)
            idx = np.where(count < n, first_nan, idx)
        values = np.take_along_axis(x, idx, axis)
        if not keepdim:
            values, idx = np.squeeze(values, axis), np.squeeze(idx, axis)
        ctx.save_for_backward(idx)
        return values, idx


class NanmedianDimFunction(MedianDimFunction):
    """(values, indices) = the lower median of the non-nan elements along ``axis``;  dx = g at the index."""
    node_name = "NanmedianBackward1"
    skip_nan = True


def _median(input, dim, keepdim, op, all_fn, dim_fn):
    check_tensor(input, op)
    is_bool = input._data.dtype == np.bool_
    if dim is None:
        if input._data.size == 0 and input._data.dtype.kind in "biu":
            # torch's nan result cast to the dtype: True for bool, the most negative integer (x86) for ints
            v = True if is_bool else np.iinfo(input._data.dtype).min
            return _from_array(np.asarray(v, dtype=input._data.dtype))
        if is_bool:
            raise NotImplementedError(f"\"{op}_cpu\" not implemented for 'Bool'")
        if keepdim:
            raise TypeError(f"{op}() missing 1 required positional arguments: \"dim\"")
        return all_fn.apply(input, tuple(range(input._data.ndim)), False)
    axis = _single_dim(input, dim, op)
    _check_nonempty(input, op, axis)  # torch checks the dim before the dtype
    if is_bool:
        raise NotImplementedError(f"\"{op}_cpu\" not implemented for 'Bool'")
    values, indices = dim_fn.apply(input, axis, bool(keepdim))
    return getattr(return_types, op)(values, indices)


@tensor_method()
def median(input, dim=None, keepdim=False, *, out=None):
    """The lower median :math:`x_{((N-1)/2)}` of the sorted values: of all elements (the gradient split among
    ties), or along ``dim`` as ``(values, indices)``; nan if the values include nan."""
    return _median(input, dim, keepdim, "median", MedianAllFunction, MedianDimFunction)


@tensor_method()
def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """The lower median :math:`x_{((M-1)/2)}` of the M non-nan values (nan only when every value is nan)."""
    return _median(input, dim, keepdim, "nanmedian", NanmedianAllFunction, NanmedianDimFunction)


class ModeFunction(MaxDimFunction):
    """(values, indices) = the most frequent value along ``axis`` (the smallest among equally frequent ones)
    and the last position where it occurs;  dx = g at that index."""
    node_name = "ModeBackward0"

    @classmethod
    def forward(cls, ctx, x, axis, keepdim):
        ctx.meta = (x.shape, axis, keepdim)
        if x.ndim == 0:
            idx = np.zeros((), np.int64)
            ctx.save_for_backward(idx)
            return x.copy(), idx
        xs, _ = _along(x, axis)
        s = np.sort(xs, axis=-1)
        n = s.shape[-1]
        pos = np.arange(n)
        new_run = np.ones(s.shape, dtype=bool)
        new_run[..., 1:] = s[..., 1:] != s[..., :-1]
        run_start = np.maximum.accumulate(np.where(new_run, pos, 0), axis=-1)
        run_len = pos - run_start + 1
        best = np.argmax(run_len, axis=-1)[..., None]  # first maximal run end: the smallest most frequent value
        value = np.take_along_axis(s, best, -1)
        last = (n - 1) - np.argmax(np.flip(xs == value, -1), axis=-1)[..., None]
        idx = np.moveaxis(last.astype(np.int64), -1, axis)
        values = np.take_along_axis(x, idx, axis)
        if not keepdim:
            values, idx = np.squeeze(values, axis), np.squeeze(idx, axis)
        ctx.save_for_backward(idx)
        return values, idx


@tensor_method()
def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value :math:`\\arg\\max_v \\#\\{i: x_i = v\\}` along ``dim`` (the smallest such v) and an
    index where it occurs, as ``(values, indices)``; the gradient goes to that index."""
    check_tensor(input, "mode")
    axis = wrap_dim(dim, input._data.ndim, "mode")
    _check_nonempty(input, "mode", axis)
    values, indices = ModeFunction.apply(input, axis, bool(keepdim))
    return return_types.mode(values, indices)
