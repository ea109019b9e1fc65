"""``numtorch.accelerator``: torch's device-agnostic accelerator queries, answered for a CPU-only library.

The PyTorch tutorials pick their device with
``torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"``; with numtorch
that gives ``"cpu"``.
"""

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available():
    """False: numtorch computes on the CPU only."""
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator."""
    return None


def device_count():
    """0 accelerators."""
    return 0
