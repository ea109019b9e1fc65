"""The functional core: one op family per module. Importing this package installs every Tensor method."""
from . import convert, math, reduce  # noqa: F401
