"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``."""
import math

from ..._creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module
from .utils import _pair, _reverse_repeat_tuple, _single, _triple

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d",
           "LazyConv2d", "LazyConv3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What every convolution shares: argument checks, parameters, torch's init and repr."""

    _ntuple = None
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(_PADDING_MODES)}, but got padding_mode="
                             f"'{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad takes padding last dimension first, both sides: the order torch precomputes here.
        if isinstance(padding, str):
            self._reversed_padding_repeated_twice = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                    total = d * (k - 1)
                    left = total // 2
                    self._reversed_padding_repeated_twice[2 * i] = left
                    self._reversed_padding_repeated_twice[2 * i + 1] = total - left
        else:
            self._reversed_padding_repeated_twice = list(_reverse_repeat_tuple(padding, 2))
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        self.weight = Parameter(empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """weight ~ kaiming_uniform(a=sqrt(5)), i.e. U(-k, k) with k = 1/sqrt(fan_in); bias ~ U(-k, k)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("padding_mode", "zeros")


class _Conv(_ConvNd):
    _conv = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        nt = type(self)._ntuple
        padding_ = padding if isinstance(padding, str) else nt(padding)
        super().__init__(in_channels, out_channels, nt(kernel_size), nt(stride), padding_, nt(dilation), False,
                         nt(0), groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        conv = type(self)._conv
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, weight, bias, self.stride, type(self)._ntuple(0), self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    r"""1-D convolution over an input of shape ``(N, C_in, L)``.

    .. math:: out(N_i, C_{out_j}) = bias(C_{out_j}) + \sum_{k=0}^{C_{in}-1} weight(C_{out_j}, k) \star input(N_i, k)

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0 (int, tuple, 'valid' or 'same'),
        dilation=1, groups=1, bias=True, padding_mode='zeros' ('reflect', 'replicate', 'circular').

    Shape:
        ``(N, C_in, L_in) -> (N, C_out, L_out)`` with
        L_out = floor((L_in + 2 padding - dilation (kernel_size - 1) - 1) / stride + 1).

    Attributes:
        weight: ``(out_channels, in_channels/groups, kernel_size)``, U(-k, k), k = sqrt(groups / (C_in * kernel_size)).
        bias: ``(out_channels,)``, U(-k, k).
    """
    _ntuple = staticmethod(_single)
    _conv = staticmethod(lambda *a: F.conv1d(*a))


class Conv2d(_Conv):
    r"""2-D convolution over an input of shape ``(N, C_in, H, W)``.

    .. math:: out(N_i, C_{out_j}) = bias(C_{out_j}) + \sum_{k=0}^{C_{in}-1} weight(C_{out_j}, k) \star input(N_i, k)

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0 (int, tuple, 'valid' or 'same'),
        dilation=1, groups=1, bias=True, padding_mode='zeros' ('reflect', 'replicate', 'circular').

    Shape:
        ``(N, C_in, H_in, W_in) -> (N, C_out, H_out, W_out)`` with
        H_out = floor((H_in + 2 padding[0] - dilation[0] (kernel_size[0] - 1) - 1) / stride[0] + 1), W_out alike.

    Attributes:
        weight: ``(out_channels, in_channels/groups, kH, kW)``, U(-k, k), k = sqrt(groups / (C_in kH kW)).
        bias: ``(out_channels,)``, U(-k, k).

    Example::

        >>> m = nn.Conv2d(3, 32, 5, padding=2)
        >>> m(numtorch.ones(64, 3, 32, 32)).shape
        numtorch.Size([64, 32, 32, 32])
    """
    _ntuple = staticmethod(_pair)
    _conv = staticmethod(lambda *a: F.conv2d(*a))


class Conv3d(_Conv):
    r"""3-D convolution over an input of shape ``(N, C_in, D, H, W)``; see :class:`Conv2d`."""
    _ntuple = staticmethod(_triple)
    _conv = staticmethod(lambda *a: F.conv3d(*a))


class _ConvTransposeNd(_ConvNd):
    _conv_t = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        nt = type(self)._ntuple
        super().__init__(in_channels, out_channels, nt(kernel_size), nt(stride), nt(padding), nt(dilation), True,
                         nt(output_padding), groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims, dilation):
        """The output_padding that makes the output exactly ``output_size`` (torch's rule and errors)."""
        if output_size is None:
            return type(self)._ntuple(self.output_padding)
        has_batch = input.dim() == num_spatial_dims + 2
        output_size = list(output_size)
        if len(output_size) == num_spatial_dims + 2:
            output_size = output_size[2:]
        elif len(output_size) == num_spatial_dims + 1 and not has_batch:
            output_size = output_size[1:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must have "
                             f"{num_spatial_dims} or {num_spatial_dims + 2} elements (got {len(output_size)})")
        res = []
        for d in range(num_spatial_dims):
            dim_size = input.size(d + input.dim() - num_spatial_dims)
            min_size = (dim_size - 1) * stride[d] - 2 * padding[d] + dilation[d] * (kernel_size[d] - 1) + 1
            max_size = min_size + stride[d] - 1
            if not min_size <= output_size[d] <= max_size:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from "
                                 f"{[(input.size(i + input.dim() - num_spatial_dims) - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel_size[i] - 1) + 1 for i in range(num_spatial_dims)]} to "
                                 f"{[(input.size(i + input.dim() - num_spatial_dims) - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel_size[i] - 1) + stride[i] for i in range(num_spatial_dims)]} "
                                 f"(for an input of {list(input.size())[2:]})")
            res.append(output_size[d] - min_size)
        return tuple(res)

    def forward(self, input, output_size=None):
        n = len(self.kernel_size)
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size, n,
                                              self.dilation)
        return type(self)._conv_t(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                  self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (the gradient of Conv1d w.r.t. its input); see :class:`ConvTranspose2d`."""
    _ntuple = staticmethod(_single)
    _conv_t = staticmethod(lambda *a: F.conv_transpose1d(*a))


class ConvTranspose2d(_ConvTransposeNd):
    r"""2-D transposed convolution ("deconvolution"): the adjoint of Conv2d with the same arguments.

    Shape:
        ``(N, C_in, H_in, W_in) -> (N, C_out, H_out, W_out)`` with
        H_out = (H_in - 1) stride[0] - 2 padding[0] + dilation[0] (kernel_size[0] - 1) + output_padding[0] + 1.

    Attributes:
        weight: ``(in_channels, out_channels/groups, kH, kW)``, U(-k, k), k = sqrt(groups / (C_out kH kW)).
        bias: ``(out_channels,)``, U(-k, k).
    """
    _ntuple = staticmethod(_pair)
    _conv_t = staticmethod(lambda *a: F.conv_transpose2d(*a))


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution; see :class:`ConvTranspose2d`."""
    _ntuple = staticmethod(_triple)
    _conv_t = staticmethod(lambda *a: F.conv_transpose3d(*a))


# ---------------------------------------------------------------------- lazy convolutions
class _LazyConv(LazyModuleMixin):
    """A convolution whose ``in_channels`` is read from its first input (dimension 1, or 0 when unbatched)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        type(self).cls_to_become.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups, False,
                                          padding_mode, device, dtype)
        self.out_channels = out_channels
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        self._start_lazy()

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if not self.has_uninitialized_params():
            return
        nd = len(self.kernel_size)
        if input.dim() not in (nd + 1, nd + 2):
            raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {list(input.shape)}")
        self.in_channels = input.shape[1] if input.dim() == nd + 2 else input.shape[0]
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class LazyConv1d(_LazyConv, Conv1d):
    """:class:`Conv1d` with ``in_channels`` taken from the first input; becomes a ``Conv1d`` then."""
    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """:class:`Conv2d` with ``in_channels`` taken from the first input; becomes a ``Conv2d`` then."""
    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """:class:`Conv3d` with ``in_channels`` taken from the first input; becomes a ``Conv3d`` then."""
    cls_to_become = Conv3d
