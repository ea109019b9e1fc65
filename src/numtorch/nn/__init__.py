"""``numtorch.nn``: layers, containers, losses and their functional forms."""
from . import functional  # noqa: F401
