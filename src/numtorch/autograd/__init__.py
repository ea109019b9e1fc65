"""Automatic differentiation: ``Function``, ``backward``, ``grad`` and the grad-mode switches."""
from . import grad_mode
from .engine import backward, grad
from .function import ArrayFunction, Function, FunctionCtx, once_differentiable
from .gradcheck import GradcheckError, gradcheck  # noqa: E402  (the function shadows its module, as in torch)
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)

__all__ = ["Function", "ArrayFunction", "FunctionCtx", "once_differentiable", "backward", "grad", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "gradcheck"]

