"""Weight normalization by a forward pre-hook (the original API, deprecated in torch in favour of
:func:`numtorch.nn.utils.parametrizations.weight_norm`)."""
import warnings

from ...ops.normalization import _weight_norm, norm_except_dim
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


class WeightNorm:
    """The forward pre-hook that recomputes ``weight = g * v / ||v||`` from ``weight_g`` and ``weight_v``."""

    def __init__(self, name: str, dim: int) -> None:
        if dim is None:
            dim = -1
        self.name = name
        self.dim = dim

    def compute_weight(self, module: Module):
        """``g * v / ||v||`` with the norm over every dimension but ``dim``."""
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name: str, dim: int) -> "WeightNorm":
        warnings.warn("`numtorch.nn.utils.weight_norm` is deprecated in favor of "
                      "`numtorch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        if dim is None:
            dim = -1
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        # weight leaves the parameters; g = ||weight|| and v = weight take its place.
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        """Fold ``g`` and ``v`` back into a plain ``weight`` parameter."""
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int = 0) -> Module:
    r"""Apply weight normalization to the parameter ``name`` of ``module``.

    .. math::
        \mathbf{w} = g \dfrac{\mathbf{v}}{\|\mathbf{v}\|}

    The magnitude ``g`` (``name + '_g'``) and direction ``v`` (``name + '_v'``) become the parameters; the
    norm is over every dimension but ``dim`` (over the whole tensor for ``dim=None``), and ``weight`` is
    recomputed by a forward pre-hook before every call.

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default: ``"weight"``.
        dim: the dimension kept by the norm (``None``: none). Default: ``0``.

    Returns:
        The module, with the hook registered.

    Example::

        >>> m = weight_norm(nn.Linear(20, 40), name='weight')
        >>> m.weight_g.size()
        numtorch.Size([40, 1])
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Remove the weight normalization of ``name``, leaving ``weight`` a plain parameter with its current value."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
