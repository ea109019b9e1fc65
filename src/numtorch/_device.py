"""``numtorch.device``: numtorch computes on the CPU only; CUDA requests fail with a clear message."""

__all__ = ["device"]


class device:
    """Where a tensor lives. Only ``'cpu'`` exists; ``device('cuda')`` can be named but not used."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        type = str(type)
        if ":" in type:
            type, idx = type.split(":", 1)
            index = int(idx)
        if type not in ("cpu", "cuda", "mps", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, mps, meta device type at start of device string: " + type)
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def check_device(d, what="tensor"):
    """Accept ``None`` or any spelling of the CPU; refuse other devices with a clear error."""
    if d is None:
        return CPU
    d = device(d) if not isinstance(d, device) else d
    if d.type != "cpu":
        raise RuntimeError(
            f"numtorch runs on the CPU only: cannot place a {what} on device '{d}'. "
            "Use device='cpu' (numtorch.cuda.is_available() is False).")
    return CPU
