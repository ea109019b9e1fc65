"""Copies and conversions: ``to``, dtype casts, ``clone``, ``contiguous``, ``copy_``, ``type``."""
import numbers

import numpy as np

from .._device import check_device, device as _device_cls
from .._dtype import FROM_NUMPY, as_dtype, dtype as _dtype_cls
from .._tensor import Tensor, _from_array, tensor_method
from ..autograd.function import ArrayFunction, commit_inplace
from ..autograd.grad_mode import GradMode

__all__ = ["clone"]


class CastFunction(ArrayFunction):
    """y = x converted to another dtype; the gradient is converted back."""
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.src = x.dtype
        return x.astype(np_dtype)

    @staticmethod
    def backward(ctx, g):
        if ctx.src.kind not in "fc":
            return None, None
        return g.astype(ctx.src, copy=False), None


class CloneFunction(ArrayFunction):
    """y = a copy of x; dy/dx = identity."""
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class CopyFunction(ArrayFunction):
    """dst.copy_(src): the new values are ``src`` broadcast to ``dst``'s shape and cast to its dtype."""
    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src):
        ctx.src_shape = np.shape(src)
        ctx.src_dtype = src.dtype
        out = np.empty_like(dst)
        np.copyto(out, src, casting="unsafe")
        return out

    @staticmethod
    def backward(ctx, g):
        from ._util import unbroadcast
        gs = unbroadcast(g, ctx.src_shape)
        if ctx.src_dtype.kind not in "fc":
            return None, None
        return None, gs.astype(ctx.src_dtype, copy=False)


def _cast(t, d, copy=False):
    if t._data.dtype == d.np:
        return CloneFunction.apply(t) if copy else t
    return CastFunction.apply(t, d.np)


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (_dtype_cls,)) or (isinstance(a, type) and a in (float, int, bool)):
            dtype = a
        elif isinstance(a, (str, _device_cls)) and not (isinstance(a, str) and a in ("float32", "float64")):
            dev = a
        elif isinstance(a, numbers.Integral) and not isinstance(a, bool):
            dev = f"cuda:{a}"
        elif isinstance(a, bool):
            pass  # non_blocking / copy positional flags
        else:
            raise TypeError(f"to() received an invalid combination of arguments: got {type(a).__name__}")
    return dtype, dev, copy


@tensor_method()
def to(self, *args, **kwargs):
    """Convert dtype (and check the device): ``x.to(numtorch.float64)``, ``x.to('cpu')``, ``x.to(other)``."""
    dtype, dev, copy = _parse_to(args, dict(kwargs))
    check_device(dev)
    if dtype is None:
        return CloneFunction.apply(self) if copy else self
    return _cast(self, as_dtype(dtype), copy)


def _caster(name, d):
    def method(self, memory_format=None):
        return _cast(self, d)
    method.__name__ = name
    method.__doc__ = f"``self.to({d})``."
    return method


def _install_casts():
    from .. import _dtype as D
    for name, d in [("float", D.float32), ("double", D.float64), ("half", D.float16), ("long", D.int64),
                    ("int", D.int32), ("short", D.int16), ("char", D.int8), ("byte", D.uint8),
                    ("bool", D.bool), ("cfloat", D.complex64), ("cdouble", D.complex128)]:
        setattr(Tensor, name, _caster(name, d))


_install_casts()

_TYPE_NAMES = {"torch.FloatTensor": "float32", "torch.DoubleTensor": "float64", "torch.HalfTensor": "float16",
               "torch.LongTensor": "int64", "torch.IntTensor": "int32", "torch.ShortTensor": "int16",
               "torch.CharTensor": "int8", "torch.ByteTensor": "uint8", "torch.BoolTensor": "bool"}


@tensor_method("type")
def type_(self, dtype=None, non_blocking=False, **kwargs):
    """With no argument, the type name (``'numtorch.FloatTensor'``); otherwise convert to that dtype."""
    if dtype is None:
        inv = {v: k for k, v in _TYPE_NAMES.items()}
        return inv.get(self.dtype.name, "torch." + self.dtype.name).replace("torch.", "numtorch.")
    if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), _dtype_cls):
        dtype = dtype.dtype                                    # a legacy type: numtorch.LongTensor
    if isinstance(dtype, str):
        key = dtype.replace("numtorch.", "torch.")
        if key not in _TYPE_NAMES:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = _TYPE_NAMES[key]
    return _cast(self, as_dtype(dtype))


@tensor_method()
def type_as(self, other):
    return _cast(self, other.dtype)


@tensor_method()
def clone(input, *, memory_format=None):
    """A copy of ``input`` with its own memory; gradients flow through it."""
    return CloneFunction.apply(input)


@tensor_method()
def contiguous(self, memory_format=None):
    """``self`` if its memory is C-contiguous, otherwise a contiguous copy."""
    if self._data.flags.c_contiguous:
        return self
    return CloneFunction.apply(self)


@tensor_method()
def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast and cast as needed) into ``self``'s memory."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}")
    arr = self._data
    try:
        np.broadcast_shapes(src._data.shape, arr.shape)
        if np.broadcast_shapes(src._data.shape, arr.shape) != arr.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({arr.shape[-1] if arr.ndim else 1}) must match the size of "
                           f"tensor b ({src._data.shape[-1] if src._data.ndim else 1}) at non-singleton "
                           f"dimension {max(arr.ndim - 1, 0)}") from None
    if not (GradMode.enabled and (self._requires_grad or src._requires_grad)):
        if not arr.flags.writeable:
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers "
                               "to a single memory location. Please clone() the tensor before performing the "
                               "operation.")
        np.copyto(arr, src._data, casting="unsafe")
        self._vc[0] += 1
        return self
    return commit_inplace(self, CopyFunction.apply(self, src))


@tensor_method()
def set_(self, source):
    """Make ``self`` use ``source``'s memory."""
    self._data = source._data
    self._vc = source._vc
    return self


@tensor_method()
def to_dense(self, dtype=None, masked_grad=None):
    return self if dtype is None else _cast(self, as_dtype(dtype))


def _dtype_of(x):
    return FROM_NUMPY[x._data.dtype]
