"""Pooling layers: max, average, adaptive and LP pooling, and max-unpooling."""
from .. import functional as F
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "MaxUnpool1d", "MaxUnpool2d",
           "LPPool1d", "LPPool2d"]


class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool1d(_MaxPoolNd):
    r"""Max over sliding windows of length ``kernel_size``: out(N, C, l) = max_m input(N, C, stride l + m).

    Shape: ``(N, C, L_in) -> (N, C, L_out)``, L_out = floor((L_in + 2 padding - dilation (kernel_size - 1) - 1)
    / stride + 1) (ceil with ``ceil_mode``).
    """
    _fn = staticmethod(lambda *a, **k: F.max_pool1d(*a, **k))


class MaxPool2d(_MaxPoolNd):
    r"""Max over sliding ``kernel_size`` windows of each channel.

    .. math:: out(N_i, C_j, h, w) = \max_{m,n} input(N_i, C_j, stride[0] h + m, stride[1] w + n)

    Args:
        kernel_size: window size. stride: step (default: ``kernel_size``). padding: implicit -inf padding.
        dilation: spacing inside the window. return_indices: also return the argmax indices.
        ceil_mode: round the output size up instead of down.

    Shape:
        ``(N, C, H_in, W_in) -> (N, C, H_out, W_out)`` with
        H_out = floor((H_in + 2 padding[0] - dilation[0] (kernel_size[0] - 1) - 1) / stride[0] + 1).
    """
    _fn = staticmethod(lambda *a, **k: F.max_pool2d(*a, **k))


class MaxPool3d(_MaxPoolNd):
    """Max pooling over (D, H, W); see :class:`MaxPool2d`."""
    _fn = staticmethod(lambda *a, **k: F.max_pool3d(*a, **k))


class AvgPool1d(Module):
    r"""Mean over sliding windows: out(N, C, l) = 1/k sum_m input(N, C, stride l + m).

    Shape: ``(N, C, L_in) -> (N, C, L_out)``, L_out = floor((L_in + 2 padding - kernel_size) / stride + 1).
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = (kernel_size,) if isinstance(kernel_size, int) else tuple(kernel_size)
        s = stride if stride is not None else kernel_size
        self.stride = (s,) if isinstance(s, int) else tuple(s)
        self.padding = (padding,) if isinstance(padding, int) else tuple(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AvgPool2d(Module):
    r"""Mean over sliding ``kernel_size`` windows of each channel.

    .. math:: out(N_i, C_j, h, w) = \frac{1}{kH kW} \sum_{m,n} input(N_i, C_j, stride[0] h + m, stride[1] w + n)

    Args: kernel_size, stride (default: kernel_size), padding=0, ceil_mode=False, count_include_pad=True,
        divisor_override=None.

    Shape: ``(N, C, H_in, W_in) -> (N, C, H_out, W_out)``,
        H_out = floor((H_in + 2 padding[0] - kernel_size[0]) / stride[0] + 1).
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AvgPool3d(AvgPool2d):
    """Average pooling over (D, H, W); see :class:`AvgPool2d`."""

    def forward(self, input):
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptivePool(Module):
    _fn = None
    _has_indices = False

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        if type(self)._has_indices:
            self.return_indices = return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling whose windows are chosen so that the output has length ``output_size``."""

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    r"""Average pooling to a fixed output size ``(H_out, W_out)`` (``None`` keeps that input size).

    Window i along a dimension of size In spans [floor(i In / Out), ceil((i + 1) In / Out)).
    """

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool3d(_AdaptivePool):
    r"""Average pooling to a fixed output size ``(D_out, H_out, W_out)`` (``None`` keeps that input size).

    .. math::
        \text{out}(N_i, C_j, d, h, w) = \operatorname{mean}_{t \in T_d,\, y \in Y_h,\, x \in X_w}
        \text{input}(N_i, C_j, t, y, x)

    with each window along a dimension of size In spanning [floor(i In / Out), ceil((i + 1) In / Out)).
    """

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max pooling whose windows are chosen so that the output has length ``output_size``."""
    _has_indices = True

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max pooling to a fixed output size ``(H_out, W_out)``; see :class:`AdaptiveAvgPool2d`."""
    _has_indices = True

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class MaxUnpool1d(Module):
    """The partial inverse of MaxPool1d: values go back to their argmax positions, zeros elsewhere."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = (kernel_size,) if isinstance(kernel_size, int) else tuple(kernel_size)
        s = stride if stride is not None else kernel_size
        self.stride = (s,) if isinstance(s, int) else tuple(s)
        self.padding = (padding,) if isinstance(padding, int) else tuple(padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input, indices, output_size=None):
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool2d(Module):
    """The partial inverse of MaxPool2d: values go back to their argmax positions, zeros elsewhere."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        s = stride if stride is not None else kernel_size
        self.stride = (s, s) if isinstance(s, int) else tuple(s)
        self.padding = (padding, padding) if isinstance(padding, int) else tuple(padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input, indices, output_size=None):
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class _LPPool(Module):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, " \
               f"ceil_mode={self.ceil_mode}"


class LPPool1d(_LPPool):
    """Power-average pooling: out = (sum over the window of x^p)^(1/p)."""

    def forward(self, input):
        return F.lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class LPPool2d(_LPPool):
    """Power-average pooling over 2-D windows: out = (sum over the window of x^p)^(1/p)."""

    def forward(self, input):
        return F.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)
