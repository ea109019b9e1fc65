"""``numtorch.utils``: ``numtorch.utils.data`` (datasets, samplers, DataLoader) and ``numtorch.utils.checkpoint``.

``numtorch.utils.tensorboard`` is not imported here: import it explicitly (it needs an optional extra).
"""
from . import checkpoint, data

__all__ = ["checkpoint", "data"]
