"""Lazy modules: a layer whose input size is read from its first input (``LazyLinear(out_features)``).

Until then its parameters are :class:`~numtorch.nn.parameter.UninitializedParameter`; the first forward (or
loading a state_dict) gives them their shapes, initialises them as the eager layer would, and the module
becomes that layer (``LazyLinear`` -> ``Linear``), as in torch.
"""
from ..parameter import UninitializedParameter

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """Mixin of the lazy layers: ``initialize_parameters(*inputs)`` materialises what the inputs determine."""

    cls_to_become = None

    def _start_lazy(self):
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self):
        """Whether a parameter still waits for its shape."""
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")


def _infer_parameters(module, args):
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become
