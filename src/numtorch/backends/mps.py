"""``numtorch.backends.mps``: Apple's Metal backend, which numtorch does not have."""


def is_available():
    """False: numtorch runs on the CPU only."""
    return False


def is_built():
    """False: numtorch has no MPS backend."""
    return False
