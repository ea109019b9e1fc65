"""Linear layers: ``Identity``, ``Linear``, ``Bilinear``."""
import math

from ..._creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear"]


class Identity(Module):
    """Returns its input unchanged; the arguments are accepted and ignored.

    .. math:: y = x
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


_PLAIN = {}


def _plain_attributes(cls):
    """True when no class in ``cls``'s MRO defines ``weight`` or ``bias`` itself (cached per class)."""
    plain = _PLAIN.get(cls)
    if plain is None:
        plain = _PLAIN[cls] = not any(n in vars(c) for c in cls.__mro__ for n in ("weight", "bias"))
    return plain


class Linear(Module):
    r"""Applies an affine transformation to the last dimension of the input.

    .. math:: y = x W^T + b

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: if ``False``, the layer learns no additive bias. Default: ``True``.

    Shape:
        ``(*, in_features) -> (*, out_features)``

    Attributes:
        weight: ``(out_features, in_features)``, initialised from U(-k, k) with k = 1/sqrt(in_features)
            (kaiming_uniform with a = sqrt(5)).
        bias: ``(out_features,)``, initialised from U(-k, k).

    Example::

        >>> m = nn.Linear(20, 30)
        >>> m(numtorch.randn(128, 20)).shape
        numtorch.Size([128, 30])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        # A small layer's call is mostly Python overhead, so read the parameters straight from their dict.
        # The normal lookup stays for anything else: a class (a parametrization, a user's subclass) that
        # defines weight or bias itself, or a weight deleted and reassigned as a plain attribute.
        if _plain_attributes(type(self)):
            params = self._parameters
            weight, bias = params.get("weight"), params.get("bias")
            return F.linear(input, self.weight if weight is None else weight, self.bias if bias is None else bias)
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class LazyLinear(LazyModuleMixin, Linear):
    """A :class:`Linear` whose ``in_features`` is the last dimension of its first input.

    ``weight`` (and ``bias``) are uninitialised until the first forward, which gives them their shapes,
    initialises them as :class:`Linear` does, and turns the module into a :class:`Linear`.
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features = 0
        self.out_features = out_features
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self._start_lazy()

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


class Bilinear(Module):
    r"""Applies a bilinear transformation to two inputs.

    .. math:: y = x_1^T A x_2 + b

    Args:
        in1_features, in2_features: sizes of the two input samples.
        out_features: size of each output sample.
        bias: learn an additive bias. Default: ``True``.

    Shape:
        ``(*, in1_features), (*, in2_features) -> (*, out_features)``

    Attributes:
        weight: ``(out_features, in1_features, in2_features)``, U(-k, k) with k = 1/sqrt(in1_features).
        bias: ``(out_features,)``, U(-k, k).
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in1_features, in2_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight.size(1) <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features={self.weight.size(1)})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
