"""``numtorch.backends.cudnn``: cuDNN's switches, accepted (scripts set them) and without effect."""

#: torch's defaults; setting them changes nothing in numtorch
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """False: numtorch has no cuDNN."""
    return False


def version():
    """None, as torch gives without cuDNN."""
    return None
