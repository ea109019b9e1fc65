"""Collation: turning a list of samples into a batch (``default_collate``) and converting one sample's NumPy
parts into tensors (``default_convert``), with torch's rules.

``default_collate`` recurses on the structure of the first sample :math:`s_1` of a batch
:math:`[s_1, \\ldots, s_B]`:

* tensors: ``stack([s_1, ..., s_B])`` (shape :math:`(B, *)`);
* NumPy arrays: tensors first, then stacked (string and object arrays are an error); NumPy scalars: one tensor
  of their dtype;
* Python ``float`` -> float64 tensor, ``int`` -> int64 tensor, ``bool`` -> bool tensor;
* ``str``/``bytes``: the list as it is;
* mappings: ``{k: collate([s_1[k], ..., s_B[k]])}`` (same mapping type when possible);
* namedtuples: the same namedtuple of collated fields; other sequences: transposed and collated element-wise
  (tuples become lists, as in torch).

:func:`collate` with ``collate_fn_map`` is the extensible form; ``default_collate_fn_map`` is the table that
``default_collate`` uses and that users may extend.
"""
import collections.abc
import copy
import re

import numpy as np

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map"]

_np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists;"
                                  " found {}")


def _numpy_to_tensor(x):
    """A tensor sharing memory with a NumPy array (or holding a NumPy scalar), keeping its dtype."""
    from ..._dtype import FROM_NUMPY
    from ..._tensor import _from_array
    arr = np.asarray(x)
    if arr.dtype not in FROM_NUMPY:
        raise TypeError(f"can't convert np.ndarray of type {arr.dtype}. The only supported types are: float64, "
                        "float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool.")
    return _from_array(arr)


def _is_numpy_value(elem_type):
    return elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_", "bytes_")


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_convert(data):
    """Convert the NumPy arrays inside one sample to tensors, leaving everything else as it is.

    .. math::
        \\text{convert}(a) = \\text{tensor}(a) \\text{ for a NumPy array } a, \\text{ recursively inside
        mappings, namedtuples and sequences}

    This is the DataLoader's ``collate_fn`` when automatic batching is off (``batch_size=None``).

    Args:
        data: one sample.

    Example:
        >>> default_convert([np.array([0, 1]), 2])
        [tensor([0, 1]), 2]
    """
    from ..._tensor import Tensor
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if _is_numpy_value(elem_type):
        if elem_type.__name__ == "ndarray" and _np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return _numpy_to_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if _is_namedtuple(data):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # torch returns a list here (backward compatibility)
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map=None):
    """Collate a batch by the structure of its first element, with per-type leaf functions.

    .. math::
        \\text{collate}([s_1, \\ldots, s_B]) = f_{\\text{type}(s_1)}([s_1, \\ldots, s_B]) \\text{ for a leaf type,
        else the structure of } s_1 \\text{ with each field collated}

    Args:
        batch (list): the samples.
        collate_fn_map (dict, optional): ``{type or tuple of types: fn(batch, *, collate_fn_map)}``. The
            element's exact type is looked up first, then each key in order with ``isinstance``.

    Example:
        >>> collate([(0, 'a'), (1, 'b')], collate_fn_map=default_collate_fn_map)
        [tensor([0, 1]), ['a', 'b']]
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    def rec(samples):
        return collate(samples, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: rec([d[key] for d in batch]) for key in elem})
                return clone
            return elem_type({key: rec([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: rec([d[key] for d in batch]) for key in elem}
    if _is_namedtuple(elem):
        return elem_type(*(rec(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [rec(samples) for samples in transposed]  # torch returns a list here (backward compatibility)
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = rec(samples)
                return clone
            return elem_type([rec(samples) for samples in transposed])
        except TypeError:
            return [rec(samples) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Tensors: :math:`y = \\text{stack}(x_1, \\ldots, x_B)`, shape :math:`(B, *)`."""
    from ..._tensor import _from_array
    from ...ops.shape import stack
    batch = list(batch)
    first = batch[0]._data
    if all(not t.requires_grad and t._data.shape == first.shape and t._data.dtype == first.dtype for t in batch):
        # the common case: the result would carry no graph, so stack the arrays directly
        return _from_array(np.stack([t._data for t in batch]))
    return stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """NumPy arrays: :math:`y = \\text{stack}(\\text{tensor}(a_1), \\ldots, \\text{tensor}(a_B))`, same dtype."""
    elem = batch[0]
    if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([_numpy_to_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """NumPy scalars: :math:`y = [s_1, \\ldots, s_B]`, one 1-d tensor of their (promoted) dtype."""
    return _numpy_to_tensor(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    """Python floats: :math:`y = [f_1, \\ldots, f_B]` as a float64 tensor."""
    from ..._tensor import _from_array
    return _from_array(np.asarray(batch, dtype=np.float64))


def collate_int_fn(batch, *, collate_fn_map=None):
    """Python ints (and bools): :math:`y = [n_1, \\ldots, n_B]` as ``tensor(batch)``: int64, or bool when every
    element is a bool."""
    from ... import tensor
    return tensor(list(batch))


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes: :math:`y = [s_1, \\ldots, s_B]`, the list as it is."""
    return batch


def _tensor_type():
    from ..._tensor import Tensor
    return Tensor


default_collate_fn_map = {
    _tensor_type(): collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Put a list of samples together into a batch with a new leading dimension.

    .. math::
        \\text{collate}([x_1, \\ldots, x_B]) = \\text{stack}(x_1, \\ldots, x_B) \\in \\mathbb{R}^{B \\times *}
        \\text{ at every tensor leaf of the samples' common structure}

    Tensors are stacked; NumPy arrays and scalars become tensors of their dtype; Python floats become float64,
    ints int64 and bools bool tensors; strings stay lists; mappings, namedtuples and sequences are collated
    field by field (tuples and lists give lists). Mismatched sequence lengths raise ``RuntimeError``; an
    unsupported element type raises ``TypeError``.

    Args:
        batch (list): the samples.

    Example:
        >>> default_collate([{'x': 0, 'y': 1.0}, {'x': 2, 'y': 3.0}])
        {'x': tensor([0, 2]), 'y': tensor([1., 3.], dtype=numtorch.float64)}
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
