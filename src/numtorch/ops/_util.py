"""Helpers shared by every op family: broadcasting, dimension arguments, dtype promotion, argument checks."""
import numbers

import numpy as np

from .. import _dtype
from .._dtype import FROM_NUMPY, can_cast, get_default_dtype, result_type
from .._tensor import Tensor, _from_array, _wrap_dim
from ..autograd.grad_mode import GradMode

__all__ = ["unbroadcast", "wrap_dim", "wrap_dims", "broadcast_error", "broadcast_shape", "promote_binary",
           "as_tensor_arg", "check_tensor", "check_floating", "np_dtype_name", "torch_type_name", "out_arg",
           "float_input", "row_sums"]

_ndarray = np.ndarray


def row_sums(a2):
    """Sum of each row of a 2-D array: one read, no temporary.

    ``einsum("ij->i")`` rather than a GEMV against a ones vector: as fast single-threaded, and it does not
    depend on BLAS threads, which stall badly when the cores are shared.
    """
    return np.einsum("ij->i", a2)


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the adjoint of broadcasting an array of ``shape`` to ``grad.shape``."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and grad.shape[i + lead] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(grad.shape[lead:])
    return grad.reshape(shape) if grad.shape != shape else grad


def wrap_dim(dim, ndim, op="dim"):
    """A dimension index made non-negative, with torch's IndexError when out of range."""
    return _wrap_dim(dim, ndim, op)


def wrap_dims(dim, ndim, op="dim"):
    """A tuple of distinct non-negative dimensions from an int, a list/tuple, or None (all dimensions)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, numbers.Integral):
        return (_wrap_dim(dim, ndim, op),)
    out = tuple(_wrap_dim(d, ndim, op) for d in dim)
    if len(set(out)) != len(out):
        d = next(d for d in out if out.count(d) > 1)
        raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


def broadcast_error(sa, sb):
    """torch's message for shapes that do not broadcast, naming the first mismatching dimension."""
    sa, sb = tuple(sa), tuple(sb)
    n = max(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + sa
    pb = (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                                f"non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} cannot be broadcast together")


def broadcast_shape(*shapes):
    """The broadcast of several shapes, raising torch's error when they do not broadcast."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        for i in range(1, len(shapes)):
            try:
                np.broadcast_shapes(*shapes[:i + 1])
            except ValueError:
                raise broadcast_error(np.broadcast_shapes(*shapes[:i]), shapes[i]) from None
        raise


def as_tensor_arg(x):
    """A Tensor for ``x`` (Tensors pass through; NumPy arrays are wrapped, Python numbers stay numbers)."""
    if isinstance(x, Tensor) or isinstance(x, (bool, int, float, complex)):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, _ndarray):
        if x.dtype not in FROM_NUMPY:
            raise TypeError(f"can't convert np.ndarray of type {x.dtype}")
        return _from_array(x)
    raise TypeError(f"unsupported operand type: expected a Tensor or a number, got {type(x).__name__}")


def promote_binary(a, b):
    """Cast the operands of an elementwise op to torch's result dtype.

    Returns ``(a, b)`` where each is a Tensor or a Python number, ready for an ArrayFunction: NumPy keeps a
    Python number from changing the array's dtype, which is torch's rule as long as the categories agree.
    """
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        if da == db:
            return a, b
        rt = result_type(a, b)
        if a.dtype is not rt:
            a = a.to(rt)
        if b.dtype is not rt:
            b = b.to(rt)
        return a, b
    # Fast path: a Python number of the tensor's own category never changes its dtype.
    t, s = (a, b) if ta else (b, a)
    kind = t._data.dtype.kind if isinstance(t, Tensor) else None
    if (type(s) is float and kind == "f") or (type(s) is int and kind in ("f", "i", "u")):
        return a, b
    if not ta:
        a = as_tensor_arg(a)
    if not tb:
        b = as_tensor_arg(b)
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if ta and tb:
        return promote_binary(a, b)
    t, s = (a, b) if ta else (b, a)
    if isinstance(s, np.generic):  # NumPy scalars count as Python numbers, as in torch
        s = s.item()
    rt = result_type(t, s)
    if t.dtype is not rt:
        t = t.to(rt)
    if isinstance(s, bool) and rt is not _dtype.bool:
        s = int(s)
    if rt.is_floating_point and isinstance(s, complex):
        raise RuntimeError("complex scalars are not supported with a real tensor in numtorch")
    return (t, s) if ta else (s, t)


def check_tensor(x, op, arg="input"):
    """Raise torch's TypeError unless ``x`` is a Tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position 1) must be Tensor, not {type(x).__name__}")
    return x


def check_floating(x, op):
    """Raise torch's error for integer tensors given to a floating-point-only op."""
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"\"{op}\" not implemented for '{torch_type_name(x._data.dtype)}'")
    return x


def np_dtype_name(npdtype):
    return FROM_NUMPY[npdtype].name


def torch_type_name(npdtype):
    """The name torch's kernels print for a dtype (``Float``, ``Long``, ...)."""
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(np.dtype(npdtype).name,
                                                                          str(npdtype))


def default_float():
    return get_default_dtype()


def out_arg(result, out):
    """Write into ``out=`` as torch does (resizing it), or return the result."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if GradMode.enabled and (out._requires_grad or result._requires_grad):
        raise RuntimeError("numtorch: out= is not supported for operations that require grad; the out= form "
                           "does not record history")
    if not can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {torch_type_name(result._data.dtype)} can't be cast to the desired "
                           f"output type {torch_type_name(out._data.dtype)}")
    if out._data.shape == result._data.shape:
        np.copyto(out._data, result._data, casting="unsafe")
    else:
        out._data = result._data.astype(out._data.dtype, copy=False)
    out._vc[0] += 1
    return out


def float_input(x, op):
    """Unary float ops promote integer and bool tensors to the default float dtype, as torch does."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    if x._data.dtype.kind in "iub":
        return x.to(get_default_dtype())
    return x
