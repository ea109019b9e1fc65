"""Automatic differentiation: ``Function``, ``backward``, ``grad`` and the grad-mode switches."""
from . import grad_mode
from .engine import backward, grad
from .function import ArrayFunction, Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)

__all__ = ["Function", "ArrayFunction", "FunctionCtx", "once_differentiable", "backward", "grad", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "gradcheck"]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kwargs):
    """Compare analytical gradients with central finite differences (float64 inputs), as torch's."""
    from .gradcheck import gradcheck as _gc
    return _gc(func, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
