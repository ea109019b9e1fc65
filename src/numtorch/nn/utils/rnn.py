"""Variable-length sequence batches: ``PackedSequence`` and the pack / pad helpers of ``torch.nn.utils.rnn``.

A packed batch stores the sequences time-major without padding: first every sequence's step 0 (longest
sequence first), then every step 1 of the sequences that are that long, and so on; ``batch_sizes[t]`` says how
many sequences take part in step ``t``. Every recurrent layer reads this layout natively.

Each conversion is one differentiable gather or scatter (its backward is the adjoint scatter or gather).
"""
from collections import namedtuple

import numpy as np

from ..._creation import as_tensor
from ..._tensor import Tensor, _from_array
from ...autograd.function import ArrayFunction
from ...ops._util import broadcast_error

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Holds the data and list of ``batch_sizes`` of a packed sequence (torch.nn.utils.rnn.PackedSequence).

    Built by :func:`pack_padded_sequence` or :func:`pack_sequence`, never by hand. For sequences ``abc`` and
    ``x``, ``data`` is ``axbc`` and ``batch_sizes`` is ``[2, 1, 1]``.

    Attributes:
        data (Tensor): the packed steps, ``(sum(lengths), *)``.
        batch_sizes (Tensor): int64, how many sequences take part in each time step.
        sorted_indices (Tensor, optional): int64, the original batch index of each packed column.
        unsorted_indices (Tensor, optional): int64, the inverse permutation of ``sorted_indices``.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same sequence with ``data`` converted as by ``Tensor.to`` (``self`` when nothing changes)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cuda(self, *args, **kwargs):
        return self.to(*args, device="cuda", **kwargs)

    def cpu(self, *args, **kwargs):
        return self.to(*args, device="cpu", **kwargs)

    def pin_memory(self):
        return self

    def double(self):
        return self.to(dtype=_dtypes().float64)

    def float(self):
        return self.to(dtype=_dtypes().float32)

    def half(self):
        return self.to(dtype=_dtypes().float16)

    def long(self):
        return self.to(dtype=_dtypes().int64)

    def int(self):
        return self.to(dtype=_dtypes().int32)

    def short(self):
        return self.to(dtype=_dtypes().int16)

    def char(self):
        return self.to(dtype=_dtypes().int8)

    def byte(self):
        return self.to(dtype=_dtypes().uint8)

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def _dtypes():
    from ... import _dtype
    return _dtype


def _long(arr):
    return _from_array(np.asarray(arr, dtype=np.int64))


def invert_permutation(permutation):
    """The inverse of a permutation: ``out[permutation[i]] = i`` (``None`` stays ``None``)."""
    if permutation is None:
        return None
    p = permutation._data
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return _from_array(out)


def _sort_descending(keys):
    """Indices sorting ``keys`` in decreasing order, with ties in the order torch's CPU ``sort`` leaves them.

    torch sorts with the C++ standard library's introsort (median-of-three quicksort down to blocks of 16,
    then insertion sort), which is not stable for more than 16 elements; ``sorted_indices`` (and so the row
    order of a packed batch) depends on that order, so it is reproduced here step by step.
    """
    a = [(k, i) for i, k in enumerate(keys)]

    def before(x, y):
        return x[0] > y[0]

    def sift_down(first, hole, n, val):
        top = child = hole
        while child < (n - 1) // 2:
            child = 2 * (child + 1)
            if before(a[first + child], a[first + child - 1]):
                child -= 1
            a[first + hole] = a[first + child]
            hole = child
        if n % 2 == 0 and child == (n - 2) // 2:
            child = 2 * (child + 1)
            a[first + hole] = a[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and before(a[first + parent], val):
            a[first + hole] = a[first + parent]
            hole = parent
            parent = (hole - 1) // 2
        a[first + hole] = val

    def heap_sort(first, last):      # introsort's fallback when quicksort recurses too deep
        n = last - first
        for parent in range((n - 2) // 2, -1, -1):
            sift_down(first, parent, n, a[first + parent])
        while last - first > 1:
            last -= 1
            val = a[last]
            a[last] = a[first]
            sift_down(first, 0, last - first, val)

    def median_to_first(res, x, y, z):
        if before(a[x], a[y]):
            m = y if before(a[y], a[z]) else (z if before(a[x], a[z]) else x)
        elif before(a[x], a[z]):
            m = x
        else:
            m = z if before(a[y], a[z]) else y
        a[res], a[m] = a[m], a[res]

    def introsort(first, last, depth):
        while last - first > 16:
            if depth == 0:
                heap_sort(first, last)
                return
            depth -= 1
            median_to_first(first, first + 1, first + (last - first) // 2, last - 1)
            pivot = a[first]
            lo, hi = first + 1, last
            while True:
                while before(a[lo], pivot):
                    lo += 1
                hi -= 1
                while before(pivot, a[hi]):
                    hi -= 1
                if lo >= hi:
                    break
                a[lo], a[hi] = a[hi], a[lo]
                lo += 1
            introsort(lo, last, depth)
            last = lo

    n = len(a)
    if n > 1:
        introsort(0, n, 2 * (n.bit_length() - 1))
        for i in range(1, n):            # the final insertion sort (stable)
            val = a[i]
            j = i
            while j > 0 and before(val, a[j - 1]):
                a[j] = a[j - 1]
                j -= 1
            a[j] = val
    return [i for _, i in a]


class PackPaddedSequenceFunction(ArrayFunction):
    """``data = input_rows[index]``: gather the valid steps (in packed order) out of a padded batch.

    Backward scatters the gradient back into a zero padded array: :math:`\\bar x[\\text{index}] = \\bar d`.
    """
    node_name = "PackPaddedSequenceBackward0"

    @staticmethod
    def forward(ctx, x, index, rows):
        ctx.shape = x.shape
        ctx.index = index
        return x.reshape((rows,) + x.shape[2:])[index]

    @staticmethod
    def backward(ctx, g):
        shape = ctx.shape
        gx = np.zeros((shape[0] * shape[1],) + shape[2:], g.dtype)
        gx[ctx.index] = g
        return gx.reshape(shape), None, None


class PadPackedSequenceFunction(ArrayFunction):
    """``out_rows[index] = data`` on a ``padding_value`` background: unpack into a padded batch.

    Backward gathers: :math:`\\bar d = \\bar y[\\text{index}]`.
    """
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, data, index, shape, padding_value):
        out = np.full((shape[0] * shape[1],) + data.shape[1:], padding_value, dtype=data.dtype)
        out[index] = data
        ctx.index = index
        return out.reshape(shape + data.shape[1:])

    @staticmethod
    def backward(ctx, g):
        return g.reshape((-1,) + g.shape[2:])[ctx.index], None, None, None


class PadPackedSequenceBatchFirstFunction(PadPackedSequenceFunction):
    node_name = "TransposeBackward0"


class PadPackedSequenceUnsortFunction(PadPackedSequenceFunction):
    node_name = "IndexSelectBackward0"     # torch ends by restoring the original batch order


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        arr = lengths._data
        if arr.ndim != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {arr.ndim}D cpu "
                               f"{_type_name(arr)} tensor")
        return arr.astype(np.int64)
    arr = np.asarray([int(v) for v in lengths], dtype=np.int64)
    return arr


def _type_name(arr):
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "bool": "Bool",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "float16": "Half"}.get(arr.dtype.name,
                                                                                    arr.dtype.name)


def _batch_sizes(lengths):
    """``batch_sizes[t]`` = how many (descending) lengths exceed ``t``."""
    return np.searchsorted(-lengths, -np.arange(int(lengths[0])), side="left").astype(np.int64)


def _packed_rows(batch_sizes, perm, T, B, batch_first):
    """For each packed row, its row in the padded input flattened to ``(T*B, *)`` or ``(B*T, *)``."""
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    off = np.concatenate(([0], np.cumsum(batch_sizes)[:-1]))
    j = np.arange(t.size) - off[t]
    col = j if perm is None else perm[j]
    return col * T + t if batch_first else t * B + col


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a Tensor containing padded sequences of variable length.

    ``input`` is ``T x B x *`` (``B x T x *`` with ``batch_first``), column ``b`` holding a sequence of length
    ``lengths[b]``. With ``enforce_sorted=True`` the lengths must be in decreasing order; otherwise the batch
    is sorted here and ``sorted_indices`` records the order. The result's ``data`` holds the rows

    .. math::
        \\text{data} = [x_{0, \\pi(0)}, \\dots, x_{0, \\pi(bs_0 - 1)}, x_{1, \\pi(0)}, \\dots],\\quad
        bs_t = \\#\\{b : \\text{lengths}_b > t\\}

    Args:
        input (Tensor): padded batch of variable length sequences.
        lengths (Tensor or list(int)): list of sequence lengths of each batch element.
        batch_first (bool): if ``True``, the input is expected in ``B x T x *`` format. Default: ``False``.
        enforce_sorted (bool): if ``True``, the input is expected to contain sequences sorted by length in a
            decreasing order. Default: ``True``.

    Returns:
        a :class:`PackedSequence` object
    """
    lengths = _lengths_array(lengths)
    if input.dim() < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(input.dim(), 1)}, "
                         f"{max(input.dim(), 1) - 1}], but got 1)")
    sorted_indices = None
    perm = None
    if not enforce_sorted:
        order = _sort_descending(lengths.tolist())
        perm = np.asarray(order, dtype=np.int64)
        lengths = lengths[perm]
        sorted_indices = _long(perm)
    shape = tuple(input.shape)
    B, T = (shape[0], shape[1]) if batch_first else (shape[1], shape[0])
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if lengths.size != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
                           f"(batch_size={B})")
    if lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if np.any(lengths[1:] > lengths[:-1]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                           "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                           "to sidestep this requirement if you do not need ONNX exportability.")
    if lengths[0] > T:
        raise RuntimeError(f"pack_padded_sequence: a sequence length ({int(lengths[0])}) is larger than the "
                           f"padded sequence length ({T})")
    batch_sizes = _batch_sizes(lengths)
    index = _packed_rows(batch_sizes, perm, T, B, batch_first)
    data = PackPaddedSequenceFunction.apply(input, index, T * B)
    return PackedSequence(data, _long(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Pads a packed batch of variable length sequences; the inverse of :func:`pack_padded_sequence`.

    .. math::
        y_{t, b} = x_{t, b} \\text{ for } t < \\text{lengths}_b,\\quad y_{t, b} = \\text{padding\\_value}
        \\text{ otherwise}

    Args:
        sequence (PackedSequence): batch to pad.
        batch_first (bool): if ``True``, the output is ``B x T x *``, else ``T x B x *``.
        padding_value (float): value for padded elements. Default: ``0.0``.
        total_length (int, optional): pad the output to this length (at least the longest sequence).

    Returns:
        Tuple of the padded Tensor (batch in the original order) and the int64 Tensor of each sequence's length.
    """
    bs = sequence.batch_sizes._data.astype(np.int64)
    max_len = bs.size
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {max_len}")
        max_len = total_length
    B = int(bs[0]) if bs.size else 0
    unsorted = sequence.unsorted_indices
    perm = None if sequence.sorted_indices is None else sequence.sorted_indices._data
    if perm is None and unsorted is not None:
        perm = invert_permutation(unsorted)._data
    index = _packed_rows(bs, perm, max_len, B, batch_first)
    shape = (B, max_len) if batch_first else (max_len, B)
    if unsorted is not None:
        fn = PadPackedSequenceUnsortFunction
    else:
        fn = PadPackedSequenceBatchFirstFunction if batch_first else PadPackedSequenceFunction
    padded = fn.apply(sequence.data, index, shape, padding_value)
    lengths = np.searchsorted(-bs, -np.arange(B), side="left").astype(np.int64)   # in sorted order
    if unsorted is not None:
        lengths = lengths[unsorted._data]
    return padded, _long(lengths)


class PadSequenceFunction(ArrayFunction):
    """Stack sequences of different lengths into one padded array: ``out[:L_i, i] = seq_i`` (or left-aligned).

    Backward hands each sequence its slice of the gradient.
    """
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, spec, *seqs):
        batch_first, padding_value, left = spec
        T = max(s.shape[0] for s in seqs)
        trailing = seqs[0].shape[1:]
        dt = seqs[0].dtype
        out = np.full((len(seqs), T) + trailing, padding_value, dtype=dt)
        for i, s in enumerate(seqs):
            L = s.shape[0]
            dest = out[i, T - L:] if left else out[i, :L]
            if s.shape[1:] != trailing:
                raise _mismatch(dest.shape, s.shape)
            dest[...] = s
        ctx.spec = (batch_first, left, T, [(s.shape[0], s.dtype) for s in seqs])
        return out if batch_first else out.swapaxes(0, 1).copy()

    @staticmethod
    def backward(ctx, g):
        bf, left, T, info = ctx.spec
        res = [None]
        for i, (L, dt) in enumerate(info):
            gi = g[i] if bf else g[:, i]
            gi = gi[T - L:] if left else gi[:L]
            res.append(gi.astype(dt, copy=False))
        return tuple(res)


def _mismatch(dest_shape, src_shape):
    if len(dest_shape) != len(src_shape):
        return RuntimeError(f"pad_sequence: every sequence needs the same number of dimensions; got shapes "
                            f"{list(dest_shape)} and {list(src_shape)}")
    return broadcast_error(dest_shape, src_shape)


class _SequenceRowsFunction(ArrayFunction):
    """One sequence out of a padded batch: ``padded[:L, b]`` (time-major) or ``padded[b, :L]``."""
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, padded, b, L, batch_first):
        ctx.meta = (padded.shape, b, L, batch_first)
        return (padded[b, :L] if batch_first else padded[:L, b]).copy()

    @staticmethod
    def backward(ctx, g):
        shape, b, L, bf = ctx.meta
        gp = np.zeros(shape, g.dtype)
        if bf:
            gp[b, :L] = g
        else:
            gp[:L, b] = g
        return gp, None, None, None


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Pad a list of variable length Tensors with ``padding_value``.

    Sequences ``L_i x *`` are stacked along a new batch dimension and padded to the longest length ``T``:

    .. math::
        y_{t, i} = s_{i, t} \\text{ for } t < L_i,\\quad y_{t, i} = \\text{padding\\_value} \\text{ otherwise}

    (with ``padding_side='left'`` each sequence ends at ``T``).

    Args:
        sequences (list[Tensor]): list of variable length sequences.
        batch_first (bool): output ``B x T x *`` if ``True``, else ``T x B x *``. Default: ``False``.
        padding_value (float): value for padded elements. Default: ``0``.
        padding_side (str): ``'right'`` (default) or ``'left'``.

    Returns:
        Tensor of size ``T x B x *`` (or ``B x T x *``).
    """
    if isinstance(sequences, Tensor):
        sequences = [_SequenceRowsFunction.apply(sequences, i, sequences.shape[1], True)
                     for i in range(sequences.shape[0])]
    else:
        try:
            sequences = tuple(sequences)
        except TypeError:
            raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of type: "
                               f"{type(sequences)}") from None
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    for s in sequences:
        if not isinstance(s, Tensor):
            raise TypeError(f"pad_sequence(): expected a list of Tensors, got an element of type {type(s).__name__}")
        if s.dim() == 0:
            raise RuntimeError("pad_sequence: every sequence needs at least one dimension (its length); got a "
                               "0-d tensor")
    return PadSequenceFunction.apply((batch_first, padding_value, padding_side == "left"), *sequences)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Unpad a padded Tensor into a list of variable length Tensors; the inverse of :func:`pad_sequence`.

    .. math::
        s_i = y_{0:L_i,\\, i}

    Args:
        padded_sequences (Tensor): padded sequences (``T x B x *``, or ``B x T x *`` with ``batch_first``).
        lengths (Tensor): length of the original (unpadded) sequences.
        batch_first (bool): whether the batch dimension comes first. Default: ``False``.

    Returns:
        a list of :class:`Tensor` objects

    torch transposes a time-major ``padded_sequences`` in place as a side effect; numtorch leaves it untouched.
    """
    lens = _lengths_array(lengths).tolist()
    return [_SequenceRowsFunction.apply(padded_sequences, b, int(L), batch_first) for b, L in enumerate(lens)]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of variable length Tensors: :func:`pad_sequence` then :func:`pack_padded_sequence`.

    Args:
        sequences (list[Tensor]): sequences ``L_i x *``, in decreasing length order unless ``enforce_sorted``
            is ``False``.
        enforce_sorted (bool): if ``True``, check that the sequences are sorted by decreasing length.
            Default: ``True``.

    Returns:
        a :class:`PackedSequence` object
    """
    lengths = as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """Unpack a :class:`PackedSequence` into the list of its variable length Tensors (original order).

    Returns:
        a list of :class:`Tensor` objects
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
