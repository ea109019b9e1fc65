"""Image functions behind :mod:`numtorch.vision.transforms` (torchvision.transforms.functional's names).

Three kinds of image are accepted:

* a :class:`numtorch.Tensor` of shape ``(..., C, H, W)`` (or ``(H, W)``), handled as torchvision handles tensors,
  with numtorch ops (so the result is differentiable where the op is);
* a NumPy array of shape ``(H, W)`` or ``(H, W, C)``, numtorch's stand-in for a PIL image: the datasets of
  :mod:`numtorch.vision.datasets` hand out ``uint8`` arrays of this layout, and every geometric transform returns
  an array of the same layout and dtype, so that ``RandomCrop`` and friends can come before ``ToTensor`` as in
  torchvision pipelines. Arrays follow torchvision's *PIL* semantics (``Grayscale`` uses PIL's fixed-point
  ITU-R 601-2 luma, ``Resize`` always antialiases);
* a PIL image, when Pillow happens to be installed (never required): converted to an array, transformed, and
  converted back.
"""
import enum
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels", "to_tensor",
           "pil_to_tensor", "convert_image_dtype", "normalize", "resize", "pad", "crop", "center_crop", "hflip",
           "vflip", "rgb_to_grayscale", "to_grayscale"]


class InterpolationMode(enum.Enum):
    """Interpolation modes (torchvision's names and values): :math:`\\text{mode} \\mapsto` ``interpolate(mode=...)``."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's integer resampling constants, which torchvision also accepts
_PIL_INT_MODES = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
                  4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


# ---------------------------------------------------------------------- image kinds
def _tensor_cls():
    from .._tensor import Tensor
    return Tensor


def _is_tensor(img):
    return isinstance(img, _tensor_cls())


def _is_pil_image(img):
    return type(img).__module__.startswith("PIL.") and hasattr(img, "mode") and hasattr(img, "size")


def _is_array_image(img):
    return isinstance(img, np.ndarray) and img.ndim in (2, 3)


def _type_error(img):
    return TypeError(f"img should be a numtorch Tensor, a NumPy array (H, W) or (H, W, C), or a PIL Image. "
                     f"Got {type(img)}")


def _as_array(img):
    """``(array, back)``: an (H, W[, C]) array for an array or PIL image, and the function that turns a result
    array back into the input's kind."""
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"an array image should be (H, W) or (H, W, C). Got {img.ndim} dimensions.")
        return img, lambda a: a
    if _is_pil_image(img):
        from PIL import Image
        return np.asarray(img), lambda a: Image.fromarray(np.ascontiguousarray(a))
    raise _type_error(img)


def _assert_image_tensor(img):
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    """``[channels, height, width]`` of an image: :math:`(C, H, W)` for a tensor ``(..., C, H, W)`` or an array
    ``(H, W, C)``; :math:`C = 1` for ``(H, W)``."""
    if _is_tensor(img):
        _assert_image_tensor(img)
        channels = 1 if img.ndim == 2 else img.shape[-3]
        return [channels, img.shape[-2], img.shape[-1]]
    arr, _ = _as_array(img)
    return [1 if arr.ndim == 2 else arr.shape[2], arr.shape[0], arr.shape[1]]


def get_image_size(img):
    """``[width, height]`` of an image (torchvision's order): :math:`(W, H)`."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    """Number of channels of an image: :math:`C` of :func:`get_dimensions`."""
    return get_dimensions(img)[0]


# ---------------------------------------------------------------------- conversion
_PIL_MODE_DTYPES = {"I": np.int32, "I;16": np.int16, "I;16B": np.int16, "F": np.float32}


def to_tensor(pic):
    """An (H, W, C) array or PIL image as a (C, H, W) tensor; ``uint8`` is scaled to ``[0, 1]``.

    .. math::
        y[c, h, w] = x[h, w, c] / 255 \\text{ for uint8 input, else } x[h, w, c]

    The float result has numtorch's default dtype (float32). Arrays of other dtypes are not rescaled (as in
    torchvision); an (H, W) array gives a (1, H, W) tensor.
    """
    from .._creation import from_numpy
    from .._dtype import get_default_dtype
    if _is_pil_image(pic):
        arr = np.array(pic, _PIL_MODE_DTYPES.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            arr = 255 * arr
        if arr.ndim == 2:
            arr = arr[:, :, None]
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        ft = get_default_dtype().np
        return from_numpy(chw.astype(ft) / ft.type(255))
    return from_numpy(chw)


def pil_to_tensor(pic):
    """An (H, W, C) array or PIL image as a (C, H, W) tensor of the same dtype, values unchanged.

    .. math::
        y[c, h, w] = x[h, w, c]
    """
    from .._creation import from_numpy
    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr, _ = _as_array(pic)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def _max_value(np_dtype):
    if np_dtype == np.bool_:
        return 1
    if np.issubdtype(np_dtype, np.integer):
        return int(np.iinfo(np_dtype).max)
    return 1.0


def convert_image_dtype(image, dtype=None):
    """Convert a tensor image to ``dtype``, rescaling values between the two dtypes' ranges.

    .. math::
        \\text{float} \\to \\text{int}: \\lfloor x (M + 1 - \\epsilon) \\rfloor,\\ \\epsilon = 10^{-3};\\quad
        \\text{int} \\to \\text{float}: x / M_{in};\\quad
        \\text{int} \\to \\text{int}: x \\cdot \\tfrac{M_{out} + 1}{M_{in} + 1} \\text{ or }
        \\lfloor x / \\tfrac{M_{in} + 1}{M_{out} + 1} \\rfloor

    with :math:`M` the largest value of an integer dtype (1.0 for floats).
    """
    from .._dtype import as_dtype, float32
    from .._tensor import _from_array
    if not _is_tensor(image):
        raise TypeError("Input img should be Tensor Image")
    dtype = float32 if dtype is None else as_dtype(dtype)
    if image.dtype == dtype:
        return image
    x = image._data
    out_np = dtype.np
    if x.dtype.kind == "f":
        if dtype.is_floating_point:
            return image.to(dtype)
        if (x.dtype == np.float32 and out_np in (np.int32, np.int64)) or (x.dtype == np.float64
                                                                            and out_np == np.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        eps = 1e-3
        scale = x.dtype.type(float(_max_value(out_np)) + 1.0 - eps)
        return _from_array((x * scale).astype(out_np))
    input_max = float(_max_value(x.dtype))
    if dtype.is_floating_point:
        return _from_array(x.astype(out_np) / out_np.type(input_max))
    output_max = float(_max_value(out_np))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return _from_array(np.floor_divide(x, factor).astype(out_np))
    factor = int((output_max + 1) // (input_max + 1))
    return _from_array(x.astype(out_np) * out_np.type(factor))


def normalize(tensor, mean, std, inplace=False):
    """Normalize a float tensor image channel by channel.

    .. math::
        y[\\ldots, c, h, w] = \\frac{x[\\ldots, c, h, w] - \\text{mean}[c]}{\\text{std}[c]}
    """
    from .._creation import as_tensor
    if not _is_tensor(tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}")
    mean_t = as_tensor(mean, dtype=tensor.dtype)
    std_t = as_tensor(std, dtype=tensor.dtype)
    if bool((std_t._data == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if mean_t.ndim == 1:
        mean_t = mean_t.view(-1, 1, 1)
    if std_t.ndim == 1:
        std_t = std_t.view(-1, 1, 1)
    if inplace:
        return tensor.sub_(mean_t).div_(std_t)
    return (tensor - mean_t) / std_t


# ---------------------------------------------------------------------- geometry
def _parse_padding(padding):
    """torchvision's padding forms as ``[left, top, right, bottom]``."""
    if isinstance(padding, numbers.Number):
        p = int(padding)
        return [p, p, p, p]
    padding = list(padding)
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return padding


def _symmetric_index(size, before, after):
    """Source positions of a symmetric (edge-repeating) padding: period 2S, mirrored in the second half."""
    q = np.mod(np.arange(-before, size + after), 2 * size)
    return np.where(q < size, q, 2 * size - 1 - q)


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the image on each border.

    .. math::
        y[i, j] = x[\\phi_H(i - t), \\phi_W(j - l)] \\text{ inside, fill outside (constant mode)}

    with :math:`\\phi` the identity (constant), clamping (``'edge'``), mirroring without (``'reflect'``) or with
    (``'symmetric'``) the edge pixel repeated.

    Args:
        padding: one int (all sides), ``[lr, tb]`` or ``[left, top, right, bottom]``.
        fill: the constant for ``'constant'`` (a tuple per channel for array/PIL images).
        padding_mode: ``'constant'`` | ``'edge'`` | ``'reflect'`` | ``'symmetric'``.
    """
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is None:
        fill = 0
    if not isinstance(fill, (numbers.Number, str, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element "
                         "tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_padding(padding)
    if _is_tensor(img):
        return _pad_tensor(img, left, top, right, bottom, fill, padding_mode)
    arr, back = _as_array(img)
    return back(_pad_array(arr, left, top, right, bottom, fill, padding_mode))


def _pad_tensor(img, left, top, right, bottom, fill, padding_mode):
    from .._creation import from_numpy
    from .._dtype import float32
    from ..ops.padding import pad as torch_pad
    _assert_image_tensor(img)
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if padding_mode == "symmetric":
        if min(left, top, right, bottom) < 0:
            raise ValueError("Padding can not be negative for symmetric padding_mode")
        h, w = img.shape[-2:]
        rows = from_numpy(_symmetric_index(h, top, bottom))
        cols = from_numpy(_symmetric_index(w, left, right))
        return img.index_select(-2, rows).index_select(-1, cols)
    p = [left, right, top, bottom]
    lead = tuple(img.shape[:-2])
    x = img.reshape(-1, *img.shape[-2:]) if img.ndim != 3 else img
    out_dtype = img.dtype
    cast = padding_mode != "constant" and not img.is_floating_point()
    if cast:
        x = x.to(float32)
    if padding_mode == "constant":
        x = torch_pad(x, p, mode="constant", value=float(fill))
    else:
        x = torch_pad(x, p, mode="replicate" if padding_mode == "edge" else "reflect")
    if cast:
        x = x.to(out_dtype)
    return x.reshape(*lead, *x.shape[-2:]) if img.ndim != 3 else x


def _pad_array(arr, left, top, right, bottom, fill, padding_mode):
    # negative padding crops
    h, w = arr.shape[:2]
    arr = arr[max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    left, top, right, bottom = (max(v, 0) for v in (left, top, right, bottom))
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
    if padding_mode != "constant":
        return np.pad(arr, widths, mode=padding_mode)
    h, w = arr.shape[:2]
    out = np.empty((h + top + bottom, w + left + right) + arr.shape[2:], dtype=arr.dtype)
    out[...] = np.asarray(fill, dtype=arr.dtype)  # a tuple fill is one value per channel
    out[top:top + h, left:left + w] = arr
    return out


def crop(img, top, left, height, width):
    """The ``height`` x ``width`` window whose top-left corner is ``(top, left)``; outside the image is 0.

    .. math::
        y[i, j] = x[\\text{top} + i, \\text{left} + j]
    """
    if _is_tensor(img):
        _assert_image_tensor(img)
        _, h, w = get_dimensions(img)
        right, bottom = left + width, top + height
        if left < 0 or top < 0 or right > w or bottom > h:
            pads = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0), max(right - max(w, left), 0),
                    max(bottom - max(h, top), 0)]
            return pad(img[..., max(top, 0):bottom, max(left, 0):right], pads, fill=0)
        return img[..., top:bottom, left:right]
    arr, back = _as_array(img)
    h, w = arr.shape[:2]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        pads = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0), max(right - max(w, left), 0),
                max(bottom - max(h, top), 0)]
        inner = arr[max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)]
        return back(_pad_array(inner, pads[0], pads[1], pads[2], pads[3], 0, "constant"))
    return back(arr[top:bottom, left:right].copy())


def _setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def center_crop(img, output_size):
    """The centred window of ``output_size`` (zero-padded first when the image is smaller).

    .. math::
        \\text{top} = \\operatorname{round}((H - h) / 2), \\quad \\text{left} = \\operatorname{round}((W - w) / 2)
    """
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        pads = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                (crop_height - image_height) // 2 if crop_height > image_height else 0,
                (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                (crop_height - image_height + 1) // 2 if crop_height > image_height else 0]
        img = pad(img, pads, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    top = int(round((image_height - crop_height) / 2.0))
    left = int(round((image_width - crop_width) / 2.0))
    return crop(img, top, left, crop_height, crop_width)


def hflip(img):
    """Mirror left-right: :math:`y[\\ldots, i, j] = x[\\ldots, i, W - 1 - j]`."""
    if _is_tensor(img):
        _assert_image_tensor(img)
        return img.flip(-1)
    arr, back = _as_array(img)
    return back(arr[:, ::-1].copy())


def vflip(img):
    """Mirror top-bottom: :math:`y[\\ldots, i, j] = x[\\ldots, H - 1 - i, j]`."""
    if _is_tensor(img):
        _assert_image_tensor(img)
        return img.flip(-2)
    arr, back = _as_array(img)
    return back(arr[::-1].copy())


def _compute_resized_output_size(image_size, size, max_size=None):
    """torchvision's output size: ``[h, w]`` as given, or the shorter edge set to ``size[0]`` keeping the aspect
    ratio (``int()`` truncation for the longer edge), then capped by ``max_size`` on the longer edge."""
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if size is None:
        if max_size is None:
            raise ValueError("size can only be None if max_size is also set")
        new_short, new_long = int(max_size * short / long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return [new_h, new_w]
    if len(size) == 1:
        requested = size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                                 f"smaller edge size, but got size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return [new_h, new_w]
    return [size[0], size[1]]


def _interpolation(interpolation):
    if isinstance(interpolation, int) and not isinstance(interpolation, bool):
        if interpolation not in _PIL_INT_MODES:
            raise ValueError(f"unknown Pillow resampling constant {interpolation}")
        return _PIL_INT_MODES[interpolation]
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                        "constant")
    return interpolation


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize with :func:`numtorch.nn.functional.interpolate` (``align_corners=False``).

    .. math::
        y = \\text{interpolate}(x, (h', w'), \\text{mode}), \\quad (h', w') = \\text{size, or the shorter edge set
        to size keeping the aspect ratio}

    ``antialias`` (bilinear and bicubic only; ignored for nearest) widens the filter when downsampling, exactly
    as ``interpolate(..., antialias=True)``. Tensors follow torchvision's tensor path: integer images are
    resized in float32 and rounded back (bicubic clamped to [0, 255] for uint8). Array and PIL images follow its
    PIL path in always antialiasing, but with the tensor numerics (close to Pillow's, not bit-identical).
    """
    from .._creation import from_numpy
    interpolation = _interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    elif isinstance(size, int):
        size = [size]
    elif size is not None:
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    mode = interpolation.value
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"interpolation {interpolation} needs Pillow in torchvision; numtorch resizes with nearest, "
                         "nearest-exact, bilinear or bicubic")
    _, h, w = get_dimensions(img)
    out_size = _compute_resized_output_size((h, w), size, max_size)
    if [h, w] == out_size:
        return img
    if _is_tensor(img):
        return _resize_tensor(img, out_size, mode, antialias)
    if not antialias:
        warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.",
                      stacklevel=2)
    arr, back = _as_array(img)
    chw = from_numpy(np.ascontiguousarray((arr[:, :, None] if arr.ndim == 2 else arr).transpose(2, 0, 1)))
    out = _resize_tensor(chw, out_size, mode, True)._data.transpose(1, 2, 0)
    return back(np.ascontiguousarray(out[:, :, 0] if arr.ndim == 2 else out))


def _resize_tensor(img, out_size, mode, antialias):
    from .._dtype import float32, uint8
    from ..ops.sampling import interpolate
    _assert_image_tensor(img)
    antialias = bool(antialias) and mode in ("bilinear", "bicubic")
    shape = tuple(img.shape)
    x = img.reshape(-1, *([1] if img.ndim == 2 else [shape[-3]]), shape[-2], shape[-1])
    out_dtype = img.dtype
    cast = not img.is_floating_point()
    if cast:
        x = x.to(float32)
    align = False if mode in ("bilinear", "bicubic") else None
    y = interpolate(x, size=list(out_size), mode=mode, align_corners=align, antialias=antialias)
    if mode == "bicubic" and out_dtype == uint8:
        y = y.clamp(0, 255)
    if cast:
        y = y.round().to(out_dtype)
    return y.reshape(*shape[:-2], *out_size)


# ---------------------------------------------------------------------- colour
def rgb_to_grayscale(img, num_output_channels=1):
    """Luma of an RGB image (ITU-R 601-2), as 1 or 3 equal channels.

    .. math::
        L = 0.2989\\,R + 0.587\\,G + 0.114\\,B \\quad \\text{(tensors, as torchvision's tensor path; integer images
        truncated back to their dtype)}

    Array and PIL images use PIL's fixed-point ``convert('L')``:
    :math:`L = (19595 R + 38470 G + 7471 B + 2^{15}) \\gg 16`, i.e. weights 0.299/0.587/0.114 rounded to
    nearest (float arrays: the same weights in floating point). A 1-channel input is returned as it is (one
    channel) or repeated to 3 channels.
    """
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if _is_tensor(img):
        return _grayscale_tensor(img, num_output_channels)
    arr, back = _as_array(img)
    return back(_grayscale_array(arr, num_output_channels))


to_grayscale = rgb_to_grayscale


def _grayscale_tensor(img, num_output_channels):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    c = img.shape[-3]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")
    if c == 1:
        if num_output_channels == 1:
            return img.clone()
        reps = [1] * img.ndim
        reps[-3] = 3
        return img.repeat(*reps)
    r, g, b = img.unbind(-3)
    if not img.is_floating_point():
        from .._dtype import get_default_dtype
        ft = get_default_dtype()
        r, g, b = r.to(ft), g.to(ft), b.to(ft)
    luma = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(-3)
    if num_output_channels == 3:
        return luma.expand(*img.shape)
    return luma


def _grayscale_array(arr, num_output_channels):
    if arr.ndim == 2 or arr.shape[2] == 1:
        luma = arr if arr.ndim == 2 else arr[:, :, 0]
    elif arr.shape[2] in (3, 4):  # RGB, or RGBA whose alpha is dropped (as PIL does)
        rgb = arr[:, :, :3]
        if arr.dtype == np.uint8:
            acc = (rgb[:, :, 0].astype(np.uint32) * 19595 + rgb[:, :, 1].astype(np.uint32) * 38470
                   + rgb[:, :, 2].astype(np.uint32) * 7471 + 0x8000)
            luma = (acc >> 16).astype(np.uint8)
        else:
            ft = arr.dtype.type if arr.dtype.kind == "f" else np.float32
            luma = (ft(0.299) * rgb[:, :, 0] + ft(0.587) * rgb[:, :, 1] + ft(0.114) * rgb[:, :, 2]).astype(arr.dtype)
    else:
        raise TypeError(f"Input image permitted channel values are [1, 3], but found {arr.shape[2]}")
    luma = np.ascontiguousarray(luma)
    if num_output_channels == 3:
        return np.repeat(luma[:, :, None], 3, axis=2)
    return luma
