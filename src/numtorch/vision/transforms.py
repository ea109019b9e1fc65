"""``numtorch.vision.transforms``: torchvision's classic image transforms (``torchvision.transforms``).

Each transform is a callable object ``t(img)``; :class:`Compose` chains them. Images are numtorch tensors
``(..., C, H, W)``, NumPy arrays ``(H, W[, C])`` (what :mod:`numtorch.vision.datasets` hands out in place of
torchvision's PIL images) or PIL images when Pillow is installed; see :mod:`numtorch.vision._functional` for the
exact semantics of each kind. Random transforms draw from numtorch's default generator (``numtorch.manual_seed``
makes them repeatable; DataLoader workers reseed it per worker). The functions behind the transforms are
available as ``transforms.functional`` (torchvision's names).

Example:
    >>> from numtorch.vision import transforms
    >>> t = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
    ...                         transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
"""
import numbers
from collections.abc import Sequence

from . import _functional as functional
from ._functional import InterpolationMode, _setup_size

__all__ = ["Compose", "ToTensor", "PILToTensor", "ConvertImageDtype", "Normalize", "Resize", "CenterCrop", "Pad",
           "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "Grayscale", "Lambda", "InterpolationMode",
           "functional"]

F = functional


def _uniform():
    """One draw on [0, 1) from numtorch's default generator."""
    from .._creation import rand
    return float(rand(1).item())


def _randint(low, high):
    """One integer on [low, high) from numtorch's default generator."""
    from .._creation import randint
    return int(randint(low, high, (1,)).item())


class _Transform:
    """Base: ``forward(img)`` does the work; calling the transform calls ``forward``."""

    def __call__(self, img):
        return self.forward(img)

    def forward(self, img):
        raise NotImplementedError

    def __repr__(self):
        return f"{self.__class__.__name__}()"


class Compose:
    """Apply transforms one after another.

    .. math::
        y = t_n(\\cdots t_2(t_1(x)))

    Args:
        transforms (list): the transforms, applied in order.

    Example:
        >>> Compose([CenterCrop(10), ToTensor()])
    """

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        lines = [f"{self.__class__.__name__}("]
        lines += [f"    {t}" for t in self.transforms]
        return "\n".join(lines) + "\n)"


class ToTensor(_Transform):
    """An (H, W, C) ``uint8`` array (or PIL image) to a (C, H, W) float tensor in [0, 1].

    .. math::
        y[c, h, w] = x[h, w, c] / 255

    Other dtypes are transposed but not rescaled; (H, W) gives (1, H, W).
    """

    def forward(self, pic):
        return F.to_tensor(pic)


class PILToTensor(_Transform):
    """An (H, W, C) array (or PIL image) to a (C, H, W) tensor of the same dtype: :math:`y[c, h, w] = x[h, w, c]`."""

    def forward(self, pic):
        return F.pil_to_tensor(pic)


class ConvertImageDtype(_Transform):
    """Convert a tensor image to ``dtype``, rescaling values (see :func:`functional.convert_image_dtype`).

    .. math::
        \\text{uint8} \\to \\text{float}: x / 255; \\quad \\text{float} \\to \\text{uint8}:
        \\lfloor x \\cdot 255.999 \\rfloor

    Args:
        dtype (numtorch.dtype): the output dtype.
    """

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class Normalize(_Transform):
    """Normalize a float tensor image per channel.

    .. math::
        y[c] = (x[c] - \\text{mean}[c]) / \\text{std}[c]

    Args:
        mean (sequence): per-channel means. std (sequence): per-channel standard deviations (non-zero).
        inplace (bool): overwrite the input. Default: False.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


class Resize(_Transform):
    """Resize to ``size`` with :func:`numtorch.nn.functional.interpolate`.

    .. math::
        (h', w') = \\text{size} \\text{ or } \\left(s, \\left\\lfloor s \\tfrac{\\text{long}}{\\text{short}}
        \\right\\rfloor\\right) \\text{ for an int } s \\text{ (shorter edge)}

    Args:
        size (int or sequence): ``(h, w)``, or the length of the shorter edge.
        interpolation (InterpolationMode): ``NEAREST``, ``NEAREST_EXACT``, ``BILINEAR`` (default) or ``BICUBIC``.
        max_size (int, optional): cap on the longer edge when ``size`` is an int.
        antialias (bool): antialias when downsampling, bilinear/bicubic only (``interpolate(antialias=True)``);
            tensors honour it, array/PIL images are always antialiased (as torchvision's PIL path). Default: True.
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if not isinstance(size, (int, Sequence)) and not (size is None and max_size is not None):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = F._interpolation(interpolation)
        self.antialias = antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return (f"{self.__class__.__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop(_Transform):
    """The centred ``size`` window (zero-padded when the image is smaller).

    .. math::
        y = x[\\operatorname{round}((H - h) / 2) + i, \\operatorname{round}((W - w) / 2) + j]

    Args:
        size (int or sequence): ``(h, w)``, or one int for a square.
    """

    def __init__(self, size):
        self.size = _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class Pad(_Transform):
    """Pad every border (see :func:`functional.pad`).

    .. math::
        y[i, j] = x[i - \\text{top}, j - \\text{left}] \\text{ inside, padding outside}

    Args:
        padding (int or sequence): all sides, ``(lr, tb)`` or ``(left, top, right, bottom)``.
        fill: constant for ``'constant'`` mode. padding_mode: ``constant``, ``edge``, ``reflect``, ``symmetric``.
    """

    def __init__(self, padding, fill=0, padding_mode="constant"):
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element "
                             "tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class RandomCrop(_Transform):
    """A ``size`` window at a uniformly random position, after optional padding.

    .. math::
        i \\sim \\mathcal{U}\\{0, \\ldots, H - h\\}, \\; j \\sim \\mathcal{U}\\{0, \\ldots, W - w\\}, \\qquad
        y = x[i : i + h, j : j + w]

    Args:
        size (int or sequence): ``(h, w)`` of the crop, or one int for a square.
        padding (int or sequence, optional): padding added first (as :class:`Pad`). Default: None.
        pad_if_needed (bool): pad the image up to ``size`` when it is smaller. Default: False.
        fill: constant for ``'constant'`` padding. Default: 0.
        padding_mode (str): ``constant`` (default), ``edge``, ``reflect`` or ``symmetric``.
    """

    @staticmethod
    def get_params(img, output_size):
        """``(i, j, h, w)`` of a random crop of ``output_size`` (drawn from numtorch's default generator)."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = _randint(0, h - th + 1)
        j = _randint(0, w - tw + 1)
        return i, j, th, tw

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = tuple(_setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(_Transform):
    """Mirror left-right with probability ``p``.

    .. math::
        y = \\begin{cases} x[\\ldots, W - 1 - j] & u < p \\\\ x & \\text{otherwise} \\end{cases},
        \\quad u \\sim \\mathcal{U}[0, 1)

    Args:
        p (float): probability of flipping. Default: 0.5.
    """

    def __init__(self, p=0.5):
        self.p = p

    def forward(self, img):
        if _uniform() < self.p:
            return F.hflip(img)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability ``p``.

    .. math::
        y = x[\\ldots, H - 1 - i, :] \\text{ if } u < p, \\quad u \\sim \\mathcal{U}[0, 1)

    Args:
        p (float): probability of flipping. Default: 0.5.
    """

    def forward(self, img):
        if _uniform() < self.p:
            return F.vflip(img)
        return img


class Grayscale(_Transform):
    """Convert to grayscale (ITU-R 601-2 luma), with 1 or 3 equal output channels.

    .. math::
        L = 0.2989 R + 0.587 G + 0.114 B \\text{ (tensors)}, \\quad
        L = (19595 R + 38470 G + 7471 B + 2^{15}) \\gg 16 \\text{ (uint8 arrays, as PIL)}

    A 1-channel input is kept, or repeated to 3 channels.

    Args:
        num_output_channels (int): 1 or 3. Default: 1.
    """

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self):
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class Lambda(_Transform):
    """Apply a user function: :math:`y = f(x)`.

    Args:
        lambd (callable): the function.
    """

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def forward(self, img):
        return self.lambd(img)
