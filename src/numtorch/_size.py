"""``numtorch.Size``: the shape of a tensor, a tuple printed as ``numtorch.Size([3, 5])``."""
import math

__all__ = ["Size"]


class Size(tuple):
    """A tuple of dimension lengths, as ``torch.Size``."""

    __slots__ = ()

    def __repr__(self):
        return "numtorch.Size([" + ", ".join(str(int(s)) for s in self) + "])"

    __str__ = __repr__

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return Size(r) if isinstance(key, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def numel(self):
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)

    def __reduce__(self):
        return (Size, (tuple(self),))
