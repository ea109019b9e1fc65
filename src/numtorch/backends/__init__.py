"""``numtorch.backends``: the switches torch scripts set or query for their compute backends.

numtorch computes on the CPU with NumPy only, so every accelerator backend answers as torch does on a
CPU-only machine (not available, not built), and the flags scripts set (``cudnn.benchmark = True``,
``cuda.matmul.allow_tf32 = True``) are accepted and have no effect. This keeps the device-selection lines of
the PyTorch tutorials working unchanged.
"""
from . import cuda, cudnn, mps  # noqa: F401

__all__ = ["cuda", "cudnn", "mps"]
