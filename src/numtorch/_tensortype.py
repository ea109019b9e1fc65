"""The legacy tensor types of older PyTorch code: ``numtorch.FloatTensor([1, 2])``, ``numtorch.LongTensor(3)``,
``isinstance(t, numtorch.FloatTensor)`` and ``t.type(numtorch.LongTensor)``.

Each type is a class whose metaclass makes a call build a tensor of its dtype (``FloatTensor(2, 3)`` an
uninitialised 2x3 tensor, ``FloatTensor([1, 2])`` one from data, ``FloatTensor(t)`` an alias of a tensor of
that dtype) and an ``isinstance`` check compare dtypes, as torch's ``torch.FloatTensor`` does. They are not
subclasses of :class:`numtorch.Tensor`; every tensor is a plain ``Tensor``.
"""
import numbers

from . import _dtype as D
from ._tensor import Tensor

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


class _TensorType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None, **kwargs):
        if kwargs:
            raise TypeError(f"new() received an invalid combination of arguments - got unexpected keyword "
                            f"argument(s) {', '.join(map(repr, kwargs))}; {cls.__name__}(*size) or "
                            f"{cls.__name__}(data) take only device=")
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != cls.dtype:
                raise TypeError(f"expected {cls.dtype} (got {args[0].dtype})")
            return Tensor(args[0], device=device)                # an alias of the same memory
        if len(args) == 1 and isinstance(args[0], numbers.Number) and not isinstance(args[0], numbers.Integral):
            raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            from ._creation import tensor
            return tensor(args[0], dtype=cls.dtype, device=device)
        return Tensor(*args, dtype=cls.dtype, device=device)    # a size: uninitialised memory

    def __repr__(cls):
        return f"<class 'numtorch.{cls.__name__}'>"


def _make(name, dtype):
    return _TensorType(name, (), {"dtype": dtype, "__module__": "numtorch",
                                  "__doc__": f"Legacy constructor and isinstance check for {dtype} tensors."})


FloatTensor = _make("FloatTensor", D.float32)
DoubleTensor = _make("DoubleTensor", D.float64)
HalfTensor = _make("HalfTensor", D.float16)
BFloat16Tensor = _make("BFloat16Tensor", D.bfloat16)
LongTensor = _make("LongTensor", D.int64)
IntTensor = _make("IntTensor", D.int32)
ShortTensor = _make("ShortTensor", D.int16)
CharTensor = _make("CharTensor", D.int8)
ByteTensor = _make("ByteTensor", D.uint8)
BoolTensor = _make("BoolTensor", D.bool)
