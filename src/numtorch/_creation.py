"""Tensor creation: from data, filled, ranges, identity, and random; plus the in-place fill helpers."""
import math
import numbers

import numpy as np

from . import _dtype
from ._device import check_device
from ._dtype import FROM_NUMPY, as_dtype, get_default_dtype
from ._tensor import Tensor, _check_shape, _from_array, tensor_method
from .autograd.function import ArrayFunction, commit_inplace
from .autograd.grad_mode import GradMode
from .random import _gen

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
           "ones_like", "full_like", "empty_like", "arange", "range", "linspace", "logspace", "eye", "rand",
           "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "scalar_tensor",
           "empty_strided"]


def _finish(arr, requires_grad, what="tensor"):
    t = _from_array(arr)
    if requires_grad:
        if arr.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


def _infer_dtype(data):
    """torch's dtype for nested Python data: bool, int64, the default float, or the tensors' own dtype."""
    found = None

    def visit(x):
        nonlocal found
        if isinstance(x, Tensor) or isinstance(x, np.ndarray) or isinstance(x, np.generic):
            d = FROM_NUMPY.get(np.asarray(x).dtype)
            if d is None:
                raise TypeError(f"can't convert np.ndarray of type {np.asarray(x).dtype}")
            found = d if found is None else _dtype.promote_types(found, d)
        elif isinstance(x, (list, tuple)):
            for y in x:
                visit(y)
        elif isinstance(x, (bool, numbers.Number)):
            d = _scalar_kind(x)
            found = d if found is None else _dtype.promote_types(found, d)
        elif isinstance(x, str):
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")

    visit(data)
    return found or get_default_dtype()


def _scalar_kind(x):
    if isinstance(x, bool):
        return _dtype.bool
    if isinstance(x, numbers.Integral):
        return _dtype.int64
    if isinstance(x, complex):
        return get_default_dtype().to_complex()
    return get_default_dtype()


def _to_array(data, dtype):
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        arr = np.stack([_to_array(x, dtype) for x in data]) if data else np.zeros((0,), dtype.np)
    else:
        arr = data
    try:
        out = np.array(arr, dtype=dtype.np)
    except (ValueError, TypeError) as e:
        if isinstance(arr, (list, tuple)):
            _check_nesting(arr)
        raise ValueError(f"could not convert data to a tensor of dtype {dtype}: {e}") from None
    return out


def _check_nesting(data):
    """Raise torch's error for nested sequences that are not rectangular.

    The expected shape is read along the first elements, as torch does; every sequence at depth ``d`` must then
    have ``shape[d]`` elements, and only the innermost level may hold numbers.
    """
    shape = []
    x = data
    while isinstance(x, (list, tuple)):
        shape.append(len(x))
        if not x:
            break
        x = x[0]

    def walk(x, dim):
        if dim == len(shape):
            if isinstance(x, (list, tuple)):
                raise TypeError(f"expected a number at dim {dim}, got a sequence of length {len(x)}")
            return
        if not isinstance(x, (list, tuple)):
            raise TypeError(f"not a sequence: expected a sequence of length {shape[dim]} at dim {dim} "
                            f"(got {type(x).__name__})")
        if len(x) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(x)})")
        for y in x:
            walk(y, dim + 1)

    walk(data, 0)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Make a new tensor holding a copy of ``data`` (nested lists, scalars, arrays or tensors).

    The dtype is inferred as torch does: Python floats give the default float dtype (float32), ints give
    int64, bools give bool, NumPy arrays keep their dtype.
    """
    check_device(device)
    if isinstance(data, Tensor) and dtype is None:
        dtype = data.dtype
    elif isinstance(data, np.ndarray) and dtype is None:
        dtype = FROM_NUMPY.get(data.dtype)
        if dtype is None:
            raise TypeError(f"can't convert np.ndarray of type {data.dtype}. The only supported types are: "
                            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
                            "uint8, and bool.")
    dtype = as_dtype(dtype) if dtype is not None else _infer_dtype(data)
    return _finish(_to_array(data, dtype), requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    check_device(device)
    d = as_dtype(dtype) if dtype is not None else get_default_dtype()
    return _finish(np.array(s, dtype=d.np), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like :func:`tensor` but shares memory with a tensor or NumPy array when the dtype already matches."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or as_dtype(dtype) is data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and data.dtype in FROM_NUMPY:
        if dtype is None or as_dtype(dtype).np == data.dtype:
            return _from_array(data)
    return tensor(data, dtype=dtype)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    t = as_tensor(obj, dtype=dtype, device=device)
    if copy:
        t = _from_array(t._data.copy())
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray):
    """A tensor sharing ``ndarray``'s memory: writes through either are seen by both."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype not in FROM_NUMPY:
        raise TypeError(f"can't convert np.ndarray of type numpy.{ndarray.dtype.type.__name__}. The only supported "
                        "types are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
                        "uint8, and bool.")
    return _from_array(ndarray)


def _dt(dtype):
    return as_dtype(dtype) if dtype is not None else get_default_dtype()


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A tensor of zeros of the given shape."""
    check_device(device)
    return _out(out, _finish(np.zeros(_check_shape(size, "zeros"), _dt(dtype).np), requires_grad))


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A tensor of ones of the given shape."""
    check_device(device)
    return _out(out, _finish(np.ones(_check_shape(size, "ones"), _dt(dtype).np), requires_grad))


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    """An uninitialised tensor of the given shape."""
    check_device(device)
    return _out(out, _finish(np.empty(_check_shape(size, "empty"), _dt(dtype).np), requires_grad))


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """A tensor of the given shape filled with ``fill_value`` (dtype inferred from it as torch does)."""
    check_device(device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = as_dtype(dtype) if dtype is not None else _scalar_kind(fill_value)
    shape = _check_shape((size,) if isinstance(size, numbers.Integral) else tuple(size), "full")
    return _out(out, _finish(np.full(shape, fill_value, d.np), requires_grad))


def _out(out, t):
    if out is None:
        return t
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    out._data = t._data.astype(out._data.dtype, copy=False)
    out._vc[0] += 1
    return out


def _like(input, dtype):
    if not isinstance(input, Tensor):
        raise TypeError(f"argument 'input' must be Tensor, not {type(input).__name__}")
    return (as_dtype(dtype) if dtype is not None else input.dtype).np, input._data.shape


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, s = _like(input, dtype)
    return _finish(np.zeros(s, d), requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, s = _like(input, dtype)
    return _finish(np.ones(s, d), requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, s = _like(input, dtype)
    return _finish(np.empty(s, d), requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    d, s = _like(input, dtype)
    return _finish(np.full(s, fill_value, d), requires_grad)


def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Values ``start, start + step, ...`` below ``end``: ``arange(5)`` or ``arange(1, 4, 0.5)``."""
    check_device(device)
    if end is None:
        start, end = 0, start
    start, end, step = _num(start), _num(end), _num(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0 and end != start:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        d = get_default_dtype() if is_float else _dtype.int64
    else:
        d = as_dtype(dtype)
    n = max(int(math.ceil((end - start) / step)), 0)
    if d.is_floating_point:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(d.np)
    else:
        arr = (start + np.arange(n, dtype=np.int64) * step).astype(d.np)
    return _out(out, _finish(arr, requires_grad))


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated in torch: like arange but includes ``end``."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    d = as_dtype(dtype) if dtype is not None else get_default_dtype()
    return _finish((start + np.arange(n, dtype=np.float64) * step).astype(d.np), requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    check_device(device)
    start, end = _num(start), _num(end)
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    d = as_dtype(dtype) if dtype is not None else get_default_dtype()
    if steps == 1:
        arr = np.array([start], dtype=d.np)
    else:
        # torch fills the first half forward from start and the second half backward from end.
        ct = np.float64 if d.is_floating_point and d.np == np.float64 else np.float32
        i = np.arange(steps, dtype=ct)
        step = ct((end - start) / (steps - 1)) if steps > 1 else ct(0)
        half = steps // 2
        arr = np.where(i < half, ct(start) + step * i, ct(end) - step * (steps - 1 - i))
        arr = arr.astype(d.np) if d.is_floating_point else np.trunc(arr).astype(d.np)
    return _out(out, _finish(arr, requires_grad))


def logspace(start, end, steps, base=10.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    d = as_dtype(dtype) if dtype is not None else get_default_dtype()
    lin = linspace(start, end, steps, dtype=_dtype.float64)._data
    return _finish(np.power(base, lin).astype(d.np), requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A 2-D tensor with ones on the diagonal."""
    check_device(device)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _out(out, _finish(np.eye(n, m, dtype=_dt(dtype).np), requires_grad))


# ---------------------------------------------------------------------- random
def _random_float(shape, d, draw):
    if d.np in (np.float32, np.float64):
        return draw(shape, d.np)
    if d.is_floating_point:
        return draw(shape, np.float32).astype(d.np)
    raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{d.name}'")


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """Uniform samples on ``[0, 1)``."""
    check_device(device)
    g = _gen(generator)
    arr = _random_float(_check_shape(size, "rand"), _dt(dtype), lambda s, t: g.random(s, dtype=t))
    return _out(out, _finish(arr, requires_grad))


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    """Standard normal samples."""
    check_device(device)
    g = _gen(generator)
    arr = _random_float(_check_shape(size, "randn"), _dt(dtype), lambda s, t: g.standard_normal(s, dtype=t))
    return _out(out, _finish(arr, requires_grad))


def randint(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    """Integers uniform on ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``."""
    check_device(device)
    args = list(args)
    if size is None:
        if not args or not isinstance(args[-1], (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint() takes (high, size) or (low, high, size)")
    low, high = int(_num(low)), int(_num(high))
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = as_dtype(dtype) if dtype is not None else _dtype.int64
    arr = _gen(generator).integers(low, high, _check_shape(tuple(size), "randint"), dtype=np.int64)
    return _out(out, _finish(arr.astype(d.np), requires_grad))


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n-1``."""
    check_device(device)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = as_dtype(dtype) if dtype is not None else _dtype.int64
    return _out(out, _finish(_gen(generator).permutation(n).astype(d.np), requires_grad))


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None):
    return rand(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None):
    return randn(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, generator=generator)


# ---------------------------------------------------------------------- in-place fill helpers
class OverwriteFunction(ArrayFunction):
    """Replace a recorded tensor's values with constants: no gradient flows to the old values."""
    node_name = "FillBackward0"

    @staticmethod
    def forward(ctx, target, values):
        return values

    @staticmethod
    def backward(ctx, grad):
        return None, None


def overwrite_(target, values):
    """Write ``values`` (an array broadcastable to ``target``) into ``target`` in place, as torch's fill ops."""
    arr = target._data
    if not (GradMode.enabled and target._requires_grad):
        if not arr.flags.writeable:
            commit_inplace(target, _from_array(np.broadcast_to(values, arr.shape)))
            return target
        arr[...] = values
        target._vc[0] += 1
        return target
    full_values = np.broadcast_to(np.asarray(values, dtype=arr.dtype), arr.shape).copy()
    return commit_inplace(target, OverwriteFunction.apply(target, full_values))


@tensor_method()
def zero_(self):
    """Fill with zeros in place."""
    return overwrite_(self, 0)


@tensor_method()
def fill_(self, value):
    """Fill with ``value`` in place."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        value = value.item()
    return overwrite_(self, value)


@tensor_method()
def uniform_(self, a=0.0, b=1.0, *, generator=None):
    """Fill in place with samples uniform on ``[a, b)``."""
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
    d = self.dtype
    g = _gen(generator)
    vals = _random_float(self._data.shape, d, lambda s, t: g.random(s, dtype=t) * t.type(b - a) + t.type(a))
    return overwrite_(self, vals)


@tensor_method()
def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill in place with samples from N(mean, std^2)."""
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    d = self.dtype
    vals = _random_float(self._data.shape, d,
                         lambda s, t: (_gen(generator).standard_normal(s, dtype=t) * t.type(std) + t.type(mean)))
    return overwrite_(self, vals)


@tensor_method()
def random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = 0, (2 ** 24 if self.is_floating_point() else np.iinfo(self._data.dtype).max)
    return overwrite_(self, _gen(generator).integers(from_, to, self._data.shape).astype(self._data.dtype))


@tensor_method()
def bernoulli_(self, p=0.5, *, generator=None):
    p = p._data if isinstance(p, Tensor) else p
    return overwrite_(self, (_gen(generator).random(self._data.shape) < p).astype(self._data.dtype))


@tensor_method()
def exponential_(self, lambd=1.0, *, generator=None):
    return overwrite_(self, _gen(generator).exponential(1.0 / lambd, self._data.shape).astype(self._data.dtype))

