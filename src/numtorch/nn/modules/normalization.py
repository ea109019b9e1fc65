"""Normalization layers over features: ``LayerNorm``, ``GroupNorm``, ``RMSNorm`` and ``LocalResponseNorm``."""
import numbers

from ... import _creation
from ..._tensor import Tensor
from ...ops import normalization as _F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["LocalResponseNorm", "LayerNorm", "GroupNorm", "RMSNorm"]


def _as_shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


class LocalResponseNorm(Module):
    r"""Applies local response normalization across channels.

    .. math::
        b_{c} = a_{c}\left(k + \frac{\alpha}{n}
        \sum_{c'=\max(0, c-n/2)}^{\min(N-1,c+n/2)}a_{c'}^2\right)^{-\beta}

    Args:
        size: number of neighbouring channels in the window (:math:`n`).
        alpha: multiplicative factor. Default: ``1e-4``.
        beta: exponent. Default: ``0.75``.
        k: additive factor. Default: ``1``.

    Shape:
        ``(N, C, *) -> (N, C, *)``, at least 3 dimensions.

    Example::

        >>> lrn = nn.LocalResponseNorm(2)
        >>> y = lrn(numtorch.randn(32, 5, 24, 24))
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return _F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LayerNorm(Module):
    r"""Applies Layer Normalization over the trailing ``normalized_shape`` dimensions of a mini-batch.

    .. math::
        y = \frac{x - \mathrm{E}[x]}{ \sqrt{\mathrm{Var}[x] + \epsilon}} * \gamma + \beta

    The mean and (biased) variance are taken over the last ``len(normalized_shape)`` dimensions of each
    sample; :math:`\gamma` and :math:`\beta` are learnable, elementwise, of shape ``normalized_shape``.

    Args:
        normalized_shape: an int, or a list/tuple of the trailing dimensions.
        eps: added to the variance. Default: ``1e-5``.
        elementwise_affine: learnable :math:`\gamma` (ones) and :math:`\beta` (zeros). Default: ``True``.
        bias: learnable :math:`\beta` (when ``elementwise_affine``). Default: ``True``.

    Shape:
        ``(N, *) -> (N, *)``.

    Attributes:
        weight: ``normalized_shape``, ones. bias: ``normalized_shape``, zeros.

    Example::

        >>> ln = nn.LayerNorm(10)
        >>> y = ln(numtorch.randn(20, 5, 10))
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None) -> None:
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if self.elementwise_affine:
            self.weight = Parameter(_creation.empty(self.normalized_shape, **factory))
            if bias:
                self.bias = Parameter(_creation.empty(self.normalized_shape, **factory))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return _F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    r"""Applies Group Normalization over a mini-batch: the channels are split into ``num_groups`` groups and
    each group of each sample is normalized separately.

    .. math::
        y = \frac{x - \mathrm{E}[x]}{ \sqrt{\mathrm{Var}[x] + \epsilon}} * \gamma + \beta

    The mean and (biased) variance are taken over the ``num_channels / num_groups`` channels of a group and
    all positions; :math:`\gamma` and :math:`\beta` are learnable per-channel vectors.

    Args:
        num_groups: number of groups; must divide ``num_channels``.
        num_channels: ``C``, the number of channels.
        eps: added to the variance. Default: ``1e-5``.
        affine: learnable :math:`\gamma` (ones) and :math:`\beta` (zeros). Default: ``True``.

    Shape:
        ``(N, C, *) -> (N, C, *)``.

    Example::

        >>> m = nn.GroupNorm(3, 6)
        >>> y = m(numtorch.randn(20, 6, 10, 10))
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if self.affine:
            self.weight = Parameter(_creation.empty(num_channels, **factory))
            if bias:
                self.bias = Parameter(_creation.empty(num_channels, **factory))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return _F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    r"""Applies Root Mean Square Layer Normalization over the trailing ``normalized_shape`` dimensions.

    .. math::
        y_i = \frac{x_i}{\mathrm{RMS}(x)} * \gamma_i, \quad
        \text{where} \quad \mathrm{RMS}(x) = \sqrt{\epsilon + \frac{1}{n} \sum_{i=1}^{n} x_i^2}

    Args:
        normalized_shape: an int, or a list/tuple of the trailing dimensions.
        eps: added to the mean square; ``None`` means ``numtorch.finfo(x.dtype).eps``. Default: ``None``.
        elementwise_affine: a learnable :math:`\gamma` of shape ``normalized_shape`` (ones). Default: ``True``.

    Shape:
        ``(N, *) -> (N, *)``.

    Example::

        >>> rms = nn.RMSNorm([2, 3])
        >>> y = rms(numtorch.randn(2, 2, 3))
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine: bool = True, device=None,
                 dtype=None) -> None:
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if self.elementwise_affine:
            self.weight = Parameter(_creation.empty(self.normalized_shape, **factory))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        return _F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
