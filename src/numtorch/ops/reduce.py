"""Reductions over dimensions (``sum``, ``mean``, ...), with ``dim``/``keepdim`` as in torch.

The backward of a reduction broadcasts the output gradient back over the reduced dimensions.
"""
import numpy as np

from .. import _dtype
from .._dtype import as_dtype
from .._tensor import Tensor, tensor_method
from ..autograd.function import ArrayFunction
from ._util import check_tensor, torch_type_name, wrap_dims

__all__ = ["sum", "mean"]


def _expand_grad(g, in_shape, axes, keepdim):
    """Broadcast an output gradient back to the input's shape over the reduced ``axes``."""
    if not keepdim:
        g = np.expand_dims(g, axes) if axes else g
    return np.broadcast_to(g, in_shape)


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


class MeanFunction(ArrayFunction):
    """out = mean of x over ``axes``;  dx = g / N broadcast back over ``axes``."""
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.meta = (x.shape, axes, keepdim)
        n = 1
        for a in axes:
            n *= x.shape[a]
        ctx.n = n
        return np.mean(x, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        shape, axes, keepdim = ctx.meta
        return _expand_grad(g / g.dtype.type(ctx.n) if ctx.n else g, shape, axes, keepdim), None, None


def _reduce_dtype(x, dtype):
    if dtype is not None:
        return as_dtype(dtype).np
    if x._data.dtype.kind in "bui":
        return np.int64
    return None


@tensor_method()
def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Sum of elements over ``dim`` (all of them by default); integer inputs sum to int64."""
    check_tensor(input, "sum")
    axes = wrap_dims(dim, input._data.ndim, "sum") if not (isinstance(dim, (list, tuple)) and len(dim) == 0) \
        else tuple(range(input._data.ndim))
    return SumFunction.apply(input, axes, keepdim, _reduce_dtype(input, dtype))


@tensor_method()
def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Mean of elements over ``dim`` (all of them by default); floating-point inputs only."""
    check_tensor(input, "mean")
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {torch_type_name(input._data.dtype)}")
    axes = wrap_dims(dim, input._data.ndim, "mean") if not (isinstance(dim, (list, tuple)) and len(dim) == 0) \
        else tuple(range(input._data.ndim))
    return MeanFunction.apply(input, axes, keepdim)
