"""``numtorch.utils``: ``numtorch.utils.data`` (datasets, samplers, DataLoader).

``numtorch.utils.tensorboard`` is not imported here: import it explicitly (it needs an optional extra).
"""
from . import data

__all__ = ["data"]
