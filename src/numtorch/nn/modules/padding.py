"""Padding layers: constant (zero), reflection, replication and circular, in 1-D, 2-D and 3-D."""
from .. import functional as F
from .module import Module
from .utils import _ntuple

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(2 * type(self)._n)(padding)

    def forward(self, input):
        return F.pad(input, self.padding, type(self)._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension with ``value``: padding = (left, right) or one int for both."""
    _n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dimensions with ``value``: padding = (left, right, top, bottom) or one int."""
    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dimensions with ``value``: (left, right, top, bottom, front, back) or one int."""
    _n = 3


class _ZeroPad(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad):
    """Pads the last dimension with zeros."""
    _n = 1


class ZeroPad2d(_ZeroPad):
    """Pads the last two dimensions with zeros: padding = (left, right, top, bottom) or one int."""
    _n = 2


class ZeroPad3d(_ZeroPad):
    """Pads the last three dimensions with zeros."""
    _n = 3


class ReflectionPad1d(_PadNd):
    """Pads by reflecting the input at its border (the border element is not repeated)."""
    _n, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pads the last two dimensions by reflection."""
    _n, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Pads the last three dimensions by reflection."""
    _n, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pads by repeating the border element."""
    _n, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pads the last two dimensions by repeating the border elements."""
    _n, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Pads the last three dimensions by repeating the border elements."""
    _n, _mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Pads by wrapping around (periodic boundary)."""
    _n, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Pads the last two dimensions by wrapping around."""
    _n, _mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Pads the last three dimensions by wrapping around."""
    _n, _mode = 3, "circular"
