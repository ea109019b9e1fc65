"""``numtorch.Tensor``: an array plus what autograd needs to differentiate through it.

A Tensor wraps one NumPy array (``_data``). Autograd state lives beside it:

* ``requires_grad`` - a leaf that asks for ``.grad``, or any result of a recorded operation on one;
* ``grad_fn`` - the :class:`~numtorch.autograd.Function` node that produced it (``None`` for a leaf);
* ``grad`` - the accumulated gradient of a leaf after ``backward()``;
* a version counter, shared with every view of the same memory, that in-place operations bump so that a
  backward pass which needs an overwritten value raises torch's error instead of computing a wrong gradient.

Operations are not written here: each op family in ``numtorch/ops/`` adds its methods to this class with the
:func:`tensor_method` decorator, so ``x.exp()`` and ``numtorch.exp(x)`` are the same function.
"""
import copy as _copy
import numbers

import numpy as np

from . import _dtype
from ._device import CPU, check_device
from ._dtype import FROM_NUMPY, as_dtype, get_default_dtype
from ._size import Size

__all__ = ["Tensor", "tensor_method", "is_tensor"]

_ndarray = np.ndarray
_object_new = object.__new__
# How torch's messages name dtypes: C++ types and ATen scalar types.
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
                 "complex128": "ComplexDouble"}


def tensor_method(*names):
    """Decorator that also installs a function as ``Tensor`` method(s).

    ``@tensor_method()`` uses the function's own name; ``@tensor_method("abs", "absolute")`` installs it under
    each given name. The function's first parameter becomes ``self``.
    """
    def deco(fn):
        for name in (names or (fn.__name__,)):
            setattr(Tensor, name, fn)
        return fn
    return deco


def is_tensor(obj):
    """True when ``obj`` is a numtorch Tensor (or a Parameter)."""
    return isinstance(obj, Tensor)


class Tensor:
    """A multi-dimensional array with autograd, as ``torch.Tensor``.

    ``numtorch.Tensor(2, 3)`` makes an uninitialised float tensor of that shape and ``numtorch.Tensor([1, 2])``
    one holding the data (always of the default float dtype); prefer :func:`numtorch.tensor`.
    """

    __slots__ = ("_data", "_requires_grad", "grad_fn", "_vc", "__dict__", "__weakref__")
    # Rarely set per-tensor state lives in the instance dict; these class attributes are the defaults.
    _output_nr = 0
    _grad = None
    _base = None
    _hooks = None
    _retains_grad = False
    __array_priority__ = 1000  # NumPy defers `ndarray * tensor` to Tensor.__rmul__

    def __init__(self, *args, dtype=None, device=None):
        check_device(device)
        d = as_dtype(dtype) if dtype is not None else get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], numbers.Integral) and not isinstance(args[0], Size):
            data = args[0]
            if isinstance(data, Tensor):
                arr = data._data
            else:
                arr = np.asarray(data, dtype=d.np)
        else:
            shape = tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list, Size)) else args
            shape = shape if args else (0,)                   # Tensor() is an empty 1-d tensor
            arr = np.empty(_check_shape(shape, "Tensor"), dtype=d.np)
        self._data = arr
        self._requires_grad = False
        self.grad_fn = None
        self._vc = [0]

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self):
        """The tensor's dimensions as a :class:`numtorch.Size`."""
        return Size(self._data.shape)

    @property
    def dtype(self):
        return FROM_NUMPY[self._data.dtype]

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self):
        return False

    is_cpu = True
    is_sparse = False
    is_quantized = False
    is_meta = False
    is_nested = False

    @property
    def layout(self):
        return "strided"

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def dim(self):
        """Number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self):
        """Number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def size(self, dim=None):
        """The shape as a :class:`numtorch.Size`, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    def stride(self, dim=None):
        """Strides in elements, as torch reports them."""
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is None:
            return st
        return st[_wrap_dim(dim, self._data.ndim, "stride")]

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def is_signed(self):
        return self.dtype.is_signed

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def get_device(self):
        return -1

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if self.grad_fn is not None:
            if flag:
                return
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        if flag and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place (leaves only) and return ``self``."""
        if requires_grad and self.grad_fn is None and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded operation."""
        return self.grad_fn is None

    @property
    def grad(self):
        """The gradient accumulated by ``backward()``; ``None`` until then."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_NAMES.get(value._data.dtype.name)}' to a "
                    f"tensor with grad_dtype '{_SCALAR_NAMES.get(self._data.dtype.name)}'. The gradient must "
                    "match the tensor's grad_dtype (defaults to the tensor's dtype).")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                                   f"tensor of size '{list(self._data.shape)}'. Please ensure that the gradient "
                                   "and the tensor are the same size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def _version(self):
        return self._vc[0]

    @property
    def retains_grad(self):
        return self._retains_grad

    @property
    def data(self):
        """The same memory as a tensor outside autograd (no history, its own version counter)."""
        t = _from_array(self._data)
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    def detach(self):
        """A tensor sharing this one's memory and version counter, cut from the autograd graph."""
        t = _from_array(self._data)
        t._vc = self._vc
        return t

    def detach_(self):
        """Cut this tensor from the graph in place, making it a leaf."""
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        Args:
            gradient: d(loss)/d(self); may be omitted only for a tensor with one element.
            retain_graph: keep the graph's saved values for another backward (default: ``create_graph``).
            create_graph: not supported (numtorch computes first-order gradients).
            inputs: accumulate only into these leaves.
        """
        from .autograd import engine
        engine.backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            hooks = self.grad_fn._tensor_hooks_for(self._output_nr)
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self.grad_fn._retain_output(self._output_nr, self)
        self._retains_grad = True

    # ------------------------------------------------------------------ conversion
    def numpy(self, *, force=False):
        """The underlying NumPy array (shared memory, as in torch)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self._data.astype(dtype, copy=bool(copy))
        return self._data.copy() if copy else self._data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        """Nested Python lists (a Python number for a 0-d tensor)."""
        return self._data.tolist()

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        check_device("cuda" if device is None else device)

    def pin_memory(self, device=None):
        return self

    def is_pinned(self, device=None):
        return False

    def share_memory_(self):
        return self

    def is_shared(self):
        return False

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            what = "more than one value" if self._data.size else "no values"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return bool(self._data.reshape(()))

    def _python_scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __float__(self):
        return float(self._python_scalar())

    def __int__(self):
        return int(self._python_scalar())

    def __complex__(self):
        return complex(self._python_scalar())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()))

    def __hash__(self):
        return id(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self):
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    # ------------------------------------------------------------------ copying and pickling
    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                               "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        new = _object_new(type(self))
        new._data = self._data.copy()
        new._requires_grad = self._requires_grad
        new.grad_fn = None
        new._vc = [0]
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = _copy.deepcopy(self._grad, memo)
        for k, v in self.__dict__.items():
            if k not in ("_grad", "_hooks", "_base", "_output_nr", "_retains_grad"):
                new.__dict__[k] = _copy.deepcopy(v, memo)
        return new

    def __reduce_ex__(self, proto):
        state = {k: v for k, v in self.__dict__.items()
                 if k not in ("_grad", "_hooks", "_base", "_output_nr", "_retains_grad")}
        return (_rebuild_tensor, (type(self), self._data, self._requires_grad, state))

    # ------------------------------------------------------------------ construction helpers
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from ._creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import empty
        return empty(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from ._creation import ones
        return ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from ._creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


def _rebuild_tensor(cls, arr, requires_grad, state):
    t = _object_new(cls)
    t._data = arr
    t._requires_grad = requires_grad
    t.grad_fn = None
    t._vc = [0]
    t.__dict__.update(state)
    return t


def _from_array(arr):
    """Wrap an array in a fresh leaf Tensor without copying (the fast path every op uses)."""
    t = _object_new(Tensor)
    t._data = arr
    t._requires_grad = False
    t.grad_fn = None
    t._vc = [0]
    return t


def as_array(x, like=None):
    """The array behind a Tensor, or ``x`` converted to an array (for Python scalars and lists)."""
    if isinstance(x, Tensor):
        return x._data
    if like is not None and isinstance(x, (int, float, bool)):
        return x
    return np.asarray(x)


def _wrap_dim(dim, ndim, op="dim"):
    """Normalise a possibly negative dimension index, raising torch's IndexError when out of range."""
    n = max(ndim, 1)
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim < -n or dim >= n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def _check_shape(shape, op):
    """Validate a shape given as ints, returning a tuple; negative sizes raise torch's error."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = tuple(shape[0])
    out = []
    for s in shape:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__} at pos {len(out)}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
        out.append(int(s))
    return tuple(out)


class _RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks, hook):
        self._hooks = hooks
        self._hook = hook

    def remove(self):
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


# dtype objects are also reachable as attributes of the class for isinstance-free checks in ops.
Tensor._dtype_module = _dtype


# ``type(t)`` prints ``<class 'numtorch.Tensor'>``, as torch's prints ``<class 'torch.Tensor'>`` (it is exported there)
Tensor.__module__ = "numtorch"
