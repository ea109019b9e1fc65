"""numtorch's dtypes and torch's type-promotion rules.

A :class:`dtype` is a thin named wrapper around a NumPy dtype. Promotion follows torch, not NumPy:
Python scalars do not promote a tensor within its category (``int32 tensor + 5`` stays int32,
``float32 tensor + 1.5`` stays float32), an integer tensor meets a Python float as the default float dtype,
and a 0-d tensor only promotes when it is of a higher category (bool < integer < floating).
"""
import builtins

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "half", "float", "double", "bfloat16",
    "uint8", "int8", "int16", "int32", "int64", "short", "int", "long", "bool",
    "complex64", "complex128", "cfloat", "cdouble",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type", "can_cast",
    "finfo", "iinfo",
]


class dtype:
    """A tensor element type, printed as ``numtorch.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_category")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = category == 2
        self.is_complex = category == 3
        self.is_signed = self.np.kind in "ifc" or name == "int8"
        self.itemsize = self.np.itemsize
        self._category = category  # 0 bool, 1 integer, 2 floating, 3 complex

    def __repr__(self):
        return "numtorch." + self.name

    def to_complex(self):
        return {float32: complex64, float64: complex128}.get(self, self)

    def to_real(self):
        return {complex64: float32, complex128: float64}.get(self, self)

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


def _dtype_by_name(name):
    return _BY_NAME[name]


bool = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
complex64 = dtype("complex64", np.complex64, 3)
complex128 = dtype("complex128", np.complex128, 3)
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128


class _Unsupported:
    """Placeholder for a torch dtype NumPy cannot hold; using it raises a clear error."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "numtorch." + self.name


bfloat16 = _Unsupported("bfloat16")

_ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128)
_BY_NAME = {d.name: d for d in _ALL}
#: NumPy dtype -> numtorch dtype, for every dtype a Tensor may hold.
FROM_NUMPY = {d.np: d for d in _ALL}

_default = [float32]


def get_default_dtype():
    """The floating dtype new tensors get from Python floats (``float32`` unless changed)."""
    return _default[0]


def set_default_dtype(d):
    """Set the default floating dtype: ``float32`` or ``float64`` (``float16`` is accepted as torch does)."""
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def as_dtype(d):
    """Accept a numtorch dtype, a NumPy dtype, a Python type or a name, return the numtorch dtype."""
    if isinstance(d, dtype):
        return d
    if isinstance(d, _Unsupported):
        raise TypeError(f"numtorch: dtype {d} is not supported (NumPy has no {d.name} type)")
    if d is builtins.float:
        return get_default_dtype()
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if d is builtins.complex:
        return get_default_dtype().to_complex()
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        npd = np.dtype(d)
    except TypeError:
        raise TypeError(f"expected a numtorch dtype, got {d!r}") from None
    try:
        return FROM_NUMPY[npd]
    except KeyError:
        raise TypeError(f"numtorch: NumPy dtype {npd} has no numtorch equivalent") from None


def promote_types(a, b):
    """torch.promote_types: the smallest dtype both ``a`` and ``b`` convert to without losing category."""
    a, b = as_dtype(a), as_dtype(b)
    if a is b:
        return a
    if a._category != b._category:
        hi, lo = (a, b) if a._category > b._category else (b, a)
        if hi.is_complex and lo.is_floating_point:
            return complex128 if (lo is float64 or hi is complex128) else complex64
        return hi
    return FROM_NUMPY[np.promote_types(a.np, b.np)]


def _category_of_scalar(x):
    if isinstance(x, builtins.bool):
        return bool
    if isinstance(x, builtins.int):
        return int64
    if isinstance(x, builtins.complex):
        return get_default_dtype().to_complex()
    return get_default_dtype()


def _combine(higher, lower):
    # torch's combine_categories: a lower-priority state only wins by being of a higher category.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher._category >= 2 and higher._category >= lower._category:
        return higher
    if higher is bool or lower._category > higher._category:
        return promote_types(higher, lower)
    return higher


def result_type(*operands):
    """The dtype torch gives an elementwise op on ``operands`` (tensors, arrays and Python scalars)."""
    dim_res = zero_res = wrapped_res = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if d is None:
            s = _category_of_scalar(x)
            wrapped_res = s if wrapped_res is None else promote_types(wrapped_res, s)
            continue
        d = as_dtype(d)
        if x.ndim == 0:
            zero_res = d if zero_res is None else promote_types(zero_res, d)
        else:
            dim_res = d if dim_res is None else promote_types(dim_res, d)
    return _combine(dim_res, _combine(zero_res, wrapped_res))


def can_cast(from_, to):
    """torch.can_cast: whether an in-place op may write a ``from_`` result into a ``to`` tensor."""
    from_, to = as_dtype(from_), as_dtype(to)
    return from_._category <= to._category


def finfo(type=None):
    """Machine limits of a floating dtype (``eps``, ``max``, ``min``, ``tiny``) as NumPy reports them."""
    return np.finfo(as_dtype(type if type is not None else get_default_dtype()).np)


def iinfo(type):
    """Machine limits of an integer dtype."""
    return np.iinfo(as_dtype(type).np)
