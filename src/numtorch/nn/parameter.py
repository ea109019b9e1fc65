"""``Parameter``: a tensor that a Module registers as one of its trainable weights, and ``Buffer``."""
import copy

from .._tensor import Tensor
from .._creation import empty

__all__ = ["Parameter", "UninitializedParameter", "Buffer", "is_lazy"]


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning it to a Module attribute registers it.

    ``Parameter(data, requires_grad=True)`` shares ``data``'s memory, as in torch. Results of operations on
    a Parameter are plain Tensors.

    Args:
        data (Tensor): the parameter's values (an empty tensor when omitted).
        requires_grad (bool): whether it requires gradient. Default: ``True``.
    """

    _is_parameter = True

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        self._data = data._data
        self.grad_fn = None
        self._vc = data._vc
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor(self._data.copy()), self._requires_grad)
        memo[id(self)] = result
        if self._grad is not None:
            result._grad = copy.deepcopy(self._grad, memo)
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self._data, self._requires_grad))


def _rebuild_parameter(arr, requires_grad):
    return Parameter(Tensor(arr), requires_grad)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (a lazy module's, until its first forward or a state_dict load).

    It holds no values; :meth:`materialize` gives it its shape (uninitialised memory, which the module then
    initialises) and turns it into a plain :class:`Parameter`, the same object, so an optimizer built before
    the first forward trains it.
    """

    def __init__(self, requires_grad=True, device=None, dtype=None):
        from .._dtype import as_dtype, get_default_dtype
        super().__init__(empty(0, dtype=dtype), requires_grad)
        self._lazy_dtype = as_dtype(dtype) if dtype is not None else get_default_dtype()

    def materialize(self, shape, device=None, dtype=None):
        """Allocate the parameter with ``shape`` and make it a plain Parameter."""
        d = self._lazy_dtype if dtype is None else dtype
        self._data = empty(*shape, dtype=d)._data
        self._vc[0] += 1
        self.__class__ = Parameter

    def __repr__(self):
        return "<UninitializedParameter>"


class Buffer(Tensor):
    """Marks a tensor to be registered as a module buffer when assigned (torch.nn.Buffer).

    Args:
        data (Tensor): the buffer's values.
        persistent (bool): whether it is part of ``state_dict``. Default: ``True``.
    """

    def __init__(self, data=None, *, persistent=True):
        if data is None:
            data = empty(0)
        self._data = data._data
        self.grad_fn = None
        self._vc = data._vc
        self._requires_grad = False
        self.persistent = persistent


def is_lazy(param):
    return False
