"""Gradient clipping: scale all gradients so that their joint norm stays below a bound."""
import math
import warnings

import numpy as np

from ..._tensor import Tensor, _from_array
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of all ``tensors`` together, as if concatenated into one vector."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _from_array(np.array(0.0, dtype=np.float32))
    dtype = tensors[0]._data.dtype
    if norm_type == math.inf:
        total = max(float(np.abs(t._data).max()) if t.numel() else 0.0 for t in tensors)
    else:
        norms = [np.linalg.norm(t._data.reshape(-1).astype(np.float64), ord=norm_type) for t in tensors]
        total = float(np.linalg.norm(np.array(norms), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return _from_array(np.array(total, dtype=dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale gradients in place so that their total ``norm_type``-norm is at most ``max_norm``.

    coef = max_norm / (total_norm + 1e-6), applied only when coef < 1. Returns the total norm before clipping.
    """
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    coef = float(max_norm) / (float(total.item()) + 1e-6)
    if coef < 1:
        with no_grad():
            for g in grads:
                g.mul_(coef)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._vc[0] += 1
