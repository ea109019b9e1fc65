"""``numtorch.safetensors``: read and write ``.safetensors`` files, mirroring ``safetensors.torch``.

A safetensors file is an 8-byte little-endian header length :math:`n`, a JSON header of :math:`n` bytes naming
each tensor's dtype, shape and byte range, then the tensors' bytes, row-major and little-endian:

.. math::
    \\text{file} = \\text{u64}(n) \\,\\|\\, \\text{header}_{[n]} \\,\\|\\, \\text{bytes}(t_1) \\,\\|\\, \\dots

The format is handled by the ``safetensors`` package's NumPy API (an optional extra, imported only when one of
these functions is called): ``pip install 'numtorch[safetensors]'``.

Differences from ``safetensors.torch``, all in the direction of saving more:

* a non-contiguous tensor (a transpose, a slice, an expanded view) is saved as its contiguous values, where
  ``safetensors.torch`` refuses it;
* tensors whose memory overlaps (tied weights, views of each other) are refused with the same ``RuntimeError``
  as ``safetensors.torch`` (the format cannot express sharing; save one of them, or clones);
* ``bfloat16`` tensors in a file are loaded as ``float32`` with a warning (NumPy has no bfloat16; exact);
  ``complex128`` cannot be saved (the format has no such dtype).
"""
import os
import warnings

import numpy as np

from ._device import check_device
from ._tensor import Tensor, _from_array
from .serialization import _atomic_write, _byte_bounds, _root

__all__ = ["save_file", "load_file", "save", "load"]

#: safetensors dtype tag -> NumPy dtype numtorch can hold (BF16 is converted to float32 separately).
_NP_OF_TAG = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "I32": np.int32,
              "I64": np.int64, "F16": np.float16, "F32": np.float32, "F64": np.float64, "C64": np.complex64}


def _backend():
    """The ``safetensors`` package, or an ImportError naming the extra that installs it."""
    try:
        import safetensors
        import safetensors.numpy  # noqa: F401
    except ImportError as e:
        raise ImportError("numtorch.safetensors needs the optional 'safetensors' package: "
                          "pip install 'numtorch[safetensors]'") from e
    return safetensors


def _arrays(tensors):
    """Validate a ``{name: Tensor}`` dict and return ``{name: C-contiguous native array}``."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected torch.Tensor but received {type(v)}")
        if v._data.dtype == np.complex128:
            raise ValueError(f"Key `{k}` is invalid: safetensors has no complex128 dtype (complex64 is the "
                             "widest complex type it stores)")
    _refuse_shared(tensors)
    out = {}
    for k, v in tensors.items():
        arr = v._data
        out[k] = arr if arr.flags.c_contiguous else arr.copy(order="C")
    return out


def _refuse_shared(tensors):
    """Raise safetensors.torch's error when tensors' memory overlaps (the format cannot share storage)."""
    by_root = {}
    for k, v in tensors.items():
        arr = v._data
        if arr.size:
            by_root.setdefault(id(_root(arr)), []).append(_byte_bounds(arr) + (k,))
    failing = []
    for areas in by_root.values():
        if len(areas) < 2:
            continue
        areas.sort()
        groups = [{areas[0][2]}]
        last_stop = areas[0][1]
        for start, stop, name in areas[1:]:
            if start >= last_stop:
                groups.append({name})
            else:
                groups[-1].add(name)
            last_stop = max(last_stop, stop)
        failing.extend(g for g in groups if len(g) > 1)
    if failing:
        raise RuntimeError(
            "\n            Some tensors share memory, this will lead to duplicate memory on disk and potential "
            f"differences when loading them again: {failing}.\n            A potential way to correctly save "
            "your model is to use `save_model`.\n            More information at "
            "https://huggingface.co/docs/safetensors/torch_shared_tensors\n            ")


def save(tensors, metadata=None):
    """Serialize ``{name: Tensor}`` to the bytes of a safetensors file.

    Layout: :math:`\\text{u64}(n) \\| \\text{JSON header}_{[n]} \\| \\text{tensor bytes}`.

    Args:
        tensors (dict[str, Tensor]): the tensors, by name (names are kept exactly).
        metadata (dict[str, str], optional): free text stored in the header's ``__metadata__``.

    Returns:
        bytes: the file's content.

    Example::

        >>> data = numtorch.safetensors.save({"w": numtorch.ones(2, 3)})
        >>> numtorch.safetensors.load(data)["w"].shape
        numtorch.Size([2, 3])
    """
    st = _backend()
    return st.numpy.save(_arrays(tensors), metadata=metadata)


def save_file(tensors, filename, metadata=None):
    """Save ``{name: Tensor}`` to a ``.safetensors`` file, atomically (temporary file, fsync, rename).

    Layout: :math:`\\text{u64}(n) \\| \\text{JSON header}_{[n]} \\| \\text{tensor bytes}`.

    Args:
        tensors (dict[str, Tensor]): the tensors, by name; non-contiguous ones are saved as their values.
        filename (str or os.PathLike): where to write.
        metadata (dict[str, str], optional): free text stored in the header's ``__metadata__``.

    Example::

        >>> numtorch.safetensors.save_file(model.state_dict(), "model.safetensors")
    """
    st = _backend()
    arrays = _arrays(tensors)
    _atomic_write(os.fspath(filename), lambda tmp: st.numpy.save_file(arrays, tmp, metadata=metadata),
                  by_path=True)


def load(data):
    """Load the tensors from the bytes of a safetensors file, as ``{name: Tensor}`` (writable, in file order).

    Args:
        data (bytes): a safetensors file's content.

    Returns:
        dict[str, Tensor]

    Raises:
        safetensors.SafetensorError: a malformed file (header length, JSON, dtype tag, shapes or offsets that do
            not cover the data exactly), as ``safetensors.torch`` raises it; nothing is allocated for it.
        ValueError: a well-formed tensor of a dtype NumPy cannot hold (``U16``, ``F8_E4M3``, ...).
    """
    st = _backend()
    entries = st.deserialize(data)
    for name, info in entries:
        if info["dtype"] not in _NP_OF_TAG and info["dtype"] != "BF16":
            raise ValueError(f"numtorch.safetensors: tensor '{name}' has dtype {info['dtype']}, which numtorch "
                             "(NumPy) cannot represent")
    return {name: _from_array(_to_array(name, info["dtype"], info["shape"], info["data"])) for name, info in entries}


def load_file(filename, device="cpu"):
    """Load the tensors of a ``.safetensors`` file as ``{name: Tensor}``.

    Args:
        filename (str or os.PathLike): the file.
        device: where to put the tensors; numtorch runs on the CPU only, so this must name the CPU
            (``'cpu'``, ``numtorch.device('cpu')``). Default: ``'cpu'``.

    Returns:
        dict[str, Tensor]

    Raises:
        safetensors.SafetensorError: a malformed file, as ``safetensors.torch.load_file`` raises it.
        ValueError: a tensor of a dtype NumPy cannot hold.

    Example::

        >>> sd = numtorch.safetensors.load_file("model.safetensors")   # written by safetensors.torch.save_file
        >>> model.load_state_dict(sd)
    """
    check_device(f"cuda:{device}" if isinstance(device, int) and not isinstance(device, bool) else device,
                 "tensor")
    st = _backend()
    with st.safe_open(os.fspath(filename), framework="np") as f:
        names = list(f.keys())
        if all(f.get_slice(k).get_dtype() in _NP_OF_TAG for k in names):
            return {k: _from_array(_writable(f.get_tensor(k))) for k in names}
    with open(filename, "rb") as fh:          # a dtype NumPy lacks (bfloat16): convert from the raw bytes
        return load(fh.read())


def _writable(arr):
    return arr if arr.flags.writeable else arr.copy()


def _to_array(name, tag, shape, raw):
    """One tensor's little-endian bytes as a native, writable array of ``shape``."""
    buf = raw if isinstance(raw, bytearray) else bytearray(raw)
    if tag == "BF16":
        warnings.warn(f"numtorch.safetensors: bfloat16 tensor '{name}' converted to float32 (NumPy has no "
                      "bfloat16; the conversion is exact)", UserWarning, stacklevel=3)
        bits = np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    npd = _NP_OF_TAG[tag]
    arr = np.frombuffer(buf, dtype=np.dtype(npd).newbyteorder("<")).reshape(shape)
    return arr if arr.dtype.isnative else arr.astype(np.dtype(npd))
