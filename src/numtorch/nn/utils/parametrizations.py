"""Parametrizations built on :mod:`numtorch.nn.utils.parametrize`: ``weight_norm``."""
from ...ops.normalization import _weight_norm as _weight_norm_op, norm_except_dim
from ..modules.module import Module
from . import parametrize

__all__ = ["weight_norm"]


class _WeightNorm(Module):
    """``weight = g * v / ||v||`` from ``(weight_g, weight_v)``; ``right_inverse`` splits a weight into them."""

    def __init__(self, dim=0) -> None:
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g, weight_v):
        return _weight_norm_op(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int = 0) -> Module:
    r"""Apply weight normalization to the parameter ``name`` of ``module``, as a parametrization.

    .. math::
        \mathbf{w} = g \dfrac{\mathbf{v}}{\|\mathbf{v}\|}

    The magnitude and direction become ``module.parametrizations[name].original0`` (``g``) and ``original1``
    (``v``), the state_dict keys torch uses; ``module.<name>`` is computed from them on each access. The norm
    is over every dimension but ``dim`` (the whole tensor for ``dim=None``). A state_dict from the old
    :func:`numtorch.nn.utils.weight_norm` (``name_g``/``name_v``) loads too.

    Args:
        module: the module holding the parameter.
        name: the parameter's name. Default: ``"weight"``.
        dim: the dimension kept by the norm (``None``: none). Default: ``0``.

    Example::

        >>> m = weight_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight.original0.size()
        numtorch.Size([40, 1])
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(*args):
        if isinstance(args[0], Module):                        # called with the module first, or without it
            args = args[1:]
        state_dict, prefix = args[0], args[1]
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    register = getattr(module, "_register_load_state_dict_pre_hook", None) or \
        module.register_load_state_dict_pre_hook
    register(_weight_norm_compat_hook)
    return module
