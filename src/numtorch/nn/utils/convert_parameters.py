"""Flatten parameters into one vector and back."""
import numpy as np

from ..._tensor import Tensor, _from_array
from ...autograd.grad_mode import no_grad

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """One 1-D tensor holding every parameter, flattened and concatenated in order."""
    params = list(parameters)
    from ...ops.shape import cat
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters, in order."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p._data[...] = vec._data[offset:offset + n].reshape(p._data.shape)
            p._vc[0] += 1
            offset += n
