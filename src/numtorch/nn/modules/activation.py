"""Activation layers: each is a thin wrapper over its ``F.*`` function, printed as torch prints it."""
from ..._creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh", "SiLU", "Mish",
           "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink", "LeakyReLU", "LogSigmoid", "Softplus",
           "Softshrink", "PReLU", "Softsign", "Tanhshrink", "Softmin", "Softmax", "Softmax2d", "LogSoftmax"]


def _inplace_suffix(inplace):
    return ", inplace=True" if inplace else ""


class Threshold(Module):
    r"""y = x if x > threshold else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{_inplace_suffix(self.inplace)}"


class ReLU(Module):
    r"""Rectified linear unit, elementwise.

    .. math:: \mathrm{ReLU}(x) = \max(0, x)

    Args:
        inplace: modify the input in place. Default: ``False``.

    Shape: ``(*) -> (*)``.
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class RReLU(Module):
    r"""Randomized leaky ReLU: slope drawn from U(lower, upper) in training, (lower + upper) / 2 in eval."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}{_inplace_suffix(self.inplace)}"


class Hardtanh(Module):
    r""".. math:: \mathrm{HardTanh}(x) = \min(\max(x, min\_val), max\_val)"""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None:
            min_val = min_value
        if max_value is not None:
            max_val = max_value
        if max_val <= min_val:
            raise AssertionError("max_val must be greater than min_val")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_suffix(self.inplace)}"


class ReLU6(Hardtanh):
    r""".. math:: \mathrm{ReLU6}(x) = \min(\max(0, x), 6)"""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    r""".. math:: \sigma(x) = \frac{1}{1 + e^{-x}}"""

    def forward(self, input):
        return F.sigmoid(input)


class Hardsigmoid(Module):
    r""".. math:: \mathrm{Hardsigmoid}(x) = \min(\max(x / 6 + 1 / 2, 0), 1)"""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class Tanh(Module):
    r""".. math:: \tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}}"""

    def forward(self, input):
        return F.tanh(input)


class SiLU(Module):
    r""".. math:: \mathrm{SiLU}(x) = x \sigma(x)"""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Mish(Module):
    r""".. math:: \mathrm{Mish}(x) = x \tanh(\mathrm{Softplus}(x))"""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.mish(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Hardswish(Module):
    r""".. math:: \mathrm{Hardswish}(x) = x \min(\max(x + 3, 0), 6) / 6"""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class ELU(Module):
    r""".. math:: \mathrm{ELU}(x) = x \text{ if } x > 0 \text{ else } \alpha (e^x - 1)"""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_suffix(self.inplace)}"


class CELU(Module):
    r""".. math:: \mathrm{CELU}(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))"""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{_inplace_suffix(self.inplace)}"


class SELU(Module):
    r""".. math:: \mathrm{SELU}(x) = scale (\max(0, x) + \min(0, \alpha (e^x - 1)))"""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.selu(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class GLU(Module):
    r""".. math:: \mathrm{GLU}(a, b) = a \otimes \sigma(b) \quad (\text{input split in halves along } dim)"""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GELU(Module):
    r"""Gaussian error linear unit.

    .. math:: \mathrm{GELU}(x) = x \Phi(x) = \frac{x}{2} (1 + \mathrm{erf}(x / \sqrt{2}))

    With ``approximate='tanh'``: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Hardshrink(Module):
    r""".. math:: \mathrm{HardShrink}(x) = x \text{ if } |x| > \lambda \text{ else } 0"""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class LeakyReLU(Module):
    r""".. math:: \mathrm{LeakyReLU}(x) = \max(0, x) + negative\_slope \min(0, x)"""

    def __init__(self, negative_slope=1e-2, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}{_inplace_suffix(self.inplace)}"


class LogSigmoid(Module):
    r""".. math:: \log \sigma(x) = -\log(1 + e^{-x})"""

    def forward(self, input):
        return F.logsigmoid(input)


class Softplus(Module):
    r""".. math:: \mathrm{Softplus}(x) = \frac{1}{\beta} \log(1 + e^{\beta x}) \quad (x \text{ when } \beta x > threshold)"""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softshrink(Module):
    r""".. math:: \mathrm{SoftShrink}(x) = x - \lambda \text{ if } x > \lambda; x + \lambda \text{ if } x < -\lambda; 0"""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class PReLU(Module):
    r"""Leaky ReLU with a learned slope per channel (or one shared slope).

    .. math:: \mathrm{PReLU}(x) = \max(0, x) + a \min(0, x)

    Args:
        num_parameters: 1 (shared) or the number of channels (dimension 1 of the input). Default: 1.
        init: initial value of ``a``. Default: 0.25.

    Attributes:
        weight: ``(num_parameters,)``, initialised to ``init``.
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Softsign(Module):
    r""".. math:: \mathrm{SoftSign}(x) = \frac{x}{1 + |x|}"""

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    r""".. math:: \mathrm{Tanhshrink}(x) = x - \tanh(x)"""

    def forward(self, input):
        return F.tanhshrink(input)


class Softmin(Module):
    r""".. math:: \mathrm{Softmin}(x_i) = \frac{e^{-x_i}}{\sum_j e^{-x_j}}"""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmin(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(Module):
    r"""Rescales the values along ``dim`` into probabilities that sum to 1.

    .. math:: \mathrm{Softmax}(x_i) = \frac{e^{x_i - \max x}}{\sum_j e^{x_j - \max x}}

    Args:
        dim: the dimension to normalise over.
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("dim", None)

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels of each spatial location of (N, C, H, W) or (C, H, W) inputs."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3)


class LogSoftmax(Module):
    r""".. math:: \mathrm{LogSoftmax}(x_i) = x_i - \max x - \log \sum_j e^{x_j - \max x}"""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("dim", None)

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


from .transformer import MultiheadAttention  # noqa: E402,F401  (torch keeps it in activation.py)
