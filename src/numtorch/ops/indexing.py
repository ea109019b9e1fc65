"""Indexing: ``x[index]``, ``x[index] = value`` and the gather / scatter / index_* / masked_* family.

An index is read as torch reads it, which differs from NumPy in two ways:

* integers are applied first (as ``select``), before any tensor index, so ``x[0, :, [0, 1]]`` has shape
  ``(n1, 2)`` where NumPy gives ``(2, n1)``;
* a non-tuple sequence shorter than 32 that holds a slice, a sequence, a tensor, None or Ellipsis is read
  as a tuple (``x[[[0, 1], [1, 2]]]`` is ``x[[0, 1], [1, 2]]``); other lists are index tensors.

So an index splits into a *basic* part (ints, slices, None, Ellipsis), applied as a NumPy view, and an
optional *advanced* part: one integer array (masks become their ``nonzero()`` arrays) per indexed dimension
of that view, applied by NumPy's advanced indexing, whose placement rule (indexed dimensions stay in place
when adjacent, else go first) is torch's once the ints are gone.

Backward scatters the gradient into zeros: a slice assignment for a basic index, ``np.add.at`` on flat
linear indices for an advanced one, so repeated indices accumulate.
"""
import numbers
import operator
import warnings

import numpy as np

from .._tensor import Tensor, _from_array, tensor_method
from ..autograd.function import ArrayFunction, commit_inplace
from ..autograd.grad_mode import GradMode
from ._util import broadcast_shape, check_tensor, out_arg, torch_type_name, unbroadcast, wrap_dim
from . import shape as _shape

__all__ = ["select", "gather", "scatter", "scatter_add", "index_select", "index_add", "index_fill", "index_copy",
           "index_put", "index_put_", "masked_select", "masked_scatter", "take", "take_along_dim", "nonzero",
           "argwhere"]
#: names also exported at numtorch's top level (torch.<name>), besides nn.functional
TOP_LEVEL = list(__all__)

_intp = np.intp
_FULL = slice(None)


def _tensor_name(x):
    return f"numtorch.{torch_type_name(x._data.dtype)}Tensor"


# ---------------------------------------------------------------------- parsing an index
class _Index:
    """A parsed index: ``basic`` (a NumPy basic index giving a view) and ``adv`` (None, or a tuple with one
    entry per dimension of that view: ``slice(None)`` or a non-negative integer array)."""

    __slots__ = ("basic", "adv", "name", "unique", "view_shape")

    def __init__(self, basic, adv, name, unique, view_shape):
        self.basic = basic
        self.adv = adv
        self.name = name
        self.unique = unique
        self.view_shape = view_shape


def _as_tuple(index):
    """torch's reading of the top-level index object as a tuple of components."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and len(index) < 32:
        for v in index:
            if isinstance(v, (Tensor, np.ndarray, list, tuple, range, slice)) or v is None or v is Ellipsis:
                warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
                              "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will "
                              "be interpreted as tensor index, x[torch.tensor(seq)], which will result either in an "
                              "error or a different result", UserWarning, stacklevel=4)
                return tuple(index)
    return (index,)


def _index_array(v):
    """An index array from a tensor, NumPy array or sequence, as (kind, array): kind 'int', 'mask' or 'bool'."""
    if isinstance(v, Tensor):
        arr = v._data
    elif isinstance(v, np.ndarray):
        arr = v
    else:
        try:
            arr = np.asarray(list(v) if isinstance(v, range) else v)
        except ValueError:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             "valid indices") from None
        if arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype(np.int64)
    kind = arr.dtype.kind
    if kind in "US":
        raise TypeError(f"tensors used as indices must be long, int, byte or bool tensors (got strings "
                        f"{arr.tolist()!r})")
    if kind == "b" or arr.dtype == np.uint8:
        return ("bool", bool(arr)) if arr.ndim == 0 else ("mask", arr.astype(bool, copy=False))
    if kind in "iu":
        return ("int", int(arr)) if arr.ndim == 0 else ("adv", arr)
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _component(v):
    if v is None:
        return ("none", None)
    if v is Ellipsis:
        return ("ell", None)
    if isinstance(v, (bool, np.bool_)):
        return ("bool", bool(v))
    if isinstance(v, numbers.Integral):
        return ("int", int(v))
    if isinstance(v, slice):
        start, stop, step = (None if s is None else operator.index(s) for s in (v.start, v.stop, v.step))
        if step is not None:
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
        return ("slice", slice(start, stop, step))
    if isinstance(v, (Tensor, np.ndarray, list, tuple, range)):
        return _index_array(v)
    if isinstance(v, str):  # torch tries to read a string as tensor data, hence its TypeError
        raise TypeError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                        f"valid indices (got str {v!r})")
    raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     f"indices (got {type(v).__name__})")


def _parse(index, shape):
    """Parse ``index`` for a tensor of ``shape`` into an :class:`_Index`, raising torch's errors."""
    comps = []
    for v in _as_tuple(index):
        try:
            comps.append(_component(v))
        except ValueError as exc:  # a bad slice step: inside a tuple torch counts the indices first and checks
            if not (isinstance(index, tuple) and isinstance(v, slice)):  # the components in order
                raise
            comps.append(("slice", exc))
    nd = len(shape)
    consumed = 0
    for kind, v in comps:
        if kind in ("int", "slice", "adv"):
            consumed += 1
        elif kind == "mask":
            consumed += v.ndim
    if consumed > nd:
        if nd == 0:
            if any(kind == "slice" for kind, _ in comps):
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                             "in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    basic = []
    arrays = []  # (position in the view, kind, array)
    vshape = []
    dim = 0
    name = None
    ellipsis_done = False
    for kind, v in comps:
        if kind == "int":
            n = shape[dim]
            if not -n <= v < n:
                raise IndexError(f"index {v} is out of bounds for dimension {dim} with size {n}")
            basic.append(v)
            dim += 1
            name = "SelectBackward0"
        elif kind == "slice":
            if isinstance(v, ValueError):
                raise v
            basic.append(v)
            vshape.append(len(range(*v.indices(shape[dim]))))
            dim += 1
            name = "SliceBackward0"
        elif kind == "none":
            basic.append(None)
            vshape.append(1)
            name = "UnsqueezeBackward0"
        elif kind == "ell":
            if not ellipsis_done:
                k = nd - consumed
                basic.extend([_FULL] * k)
                vshape.extend(shape[dim:dim + k])
                dim += k
                ellipsis_done = True
            name = name or "AliasBackward0"
        elif kind == "bool":
            arrays.append((len(vshape), "int", np.zeros(1 if v else 0, dtype=_intp)))
            basic.append(None)
            vshape.append(1)
        elif kind == "adv":
            arrays.append((len(vshape), "int", v))
            basic.append(_FULL)
            vshape.append(shape[dim])
            dim += 1
        else:  # mask
            k = v.ndim
            arrays.append((len(vshape), "mask", v))
            basic.extend([_FULL] * k)
            vshape.extend(shape[dim:dim + k])
            dim += k
    vshape.extend(shape[dim:])
    basic.append(Ellipsis)  # keeps an all-int index a 0-d view instead of a NumPy scalar
    if not arrays:
        return _Index(tuple(basic), None, name or "AliasBackward0", True, tuple(vshape))
    adv = [_FULL] * len(vshape)
    ordinal = 0
    shapes = []
    oob = None  # torch checks index bounds only while gathering: an empty result never fails
    for pos, kind, a in arrays:
        if kind == "mask":
            for j in range(a.ndim):
                if a.shape[j] != vshape[pos + j]:
                    raise IndexError(f"The shape of the mask {list(a.shape)} at index {j} does not match the shape "
                                     f"of the indexed tensor {vshape} at index {pos + j}")
            for j, nz in enumerate(np.nonzero(a)):
                adv[pos + j] = nz
                shapes.append(nz.shape)
            ordinal += a.ndim
            continue
        n = vshape[pos]
        if a.size:
            bad = (a < -n) | (a >= n)
            if bad.any():
                oob = oob or IndexError(f"index {a[bad].flat[0]} is out of bounds for dimension {ordinal} with size "
                                        f"{n}")
                a = np.where(bad, 0, a)
            neg = a < 0
            if neg.any():
                a = np.where(neg, a + n, a)
        adv[pos] = a.astype(_intp, copy=False)
        shapes.append(a.shape)
        ordinal += 1
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(s)) for s in shapes)) from None
    if oob is not None and (_prod(np.broadcast_shapes(*shapes)) * _prod(v for v, a in zip(vshape, adv)
                                                                         if a is _FULL)):
        raise oob
    unique = len(arrays) == 1 and arrays[0][1] == "mask"
    return _Index(tuple(basic), tuple(adv), "IndexBackward0", unique, tuple(vshape))


def _result_shape(ix):
    """The shape ``view[ix.adv]`` has (NumPy's and torch's placement of the broadcast index dimensions)."""
    vshape = ix.view_shape
    if ix.adv is None:
        return vshape
    pos = [i for i, a in enumerate(ix.adv) if a is not _FULL]
    b = np.broadcast_shapes(*[ix.adv[i].shape for i in pos])
    rest = [vshape[i] for i in range(len(vshape)) if i not in pos]
    if pos == list(range(pos[0], pos[-1] + 1)):
        first = pos[0]
        return tuple(vshape[:first]) + b + tuple(vshape[pos[-1] + 1:])
    return b + tuple(rest)


def _view_geometry(shape, basic):
    """Offset, strides and shape, in elements, of ``c_contiguous_array[basic]`` for an array of ``shape``."""
    st = _contig_strides(shape)
    off = 0
    vst = []
    vsh = []
    d = 0
    for b in basic:
        if b is None:
            vst.append(0)
            vsh.append(1)
        elif b is Ellipsis:
            continue
        elif type(b) is slice:
            start, stop, step = b.indices(shape[d])
            off += start * st[d]
            vst.append(st[d] * step)
            vsh.append(len(range(start, stop, step)))
            d += 1
        else:
            off += (b + shape[d] if b < 0 else b) * st[d]
            d += 1
    return off, vst + st[d:], vsh + list(shape[d:])


def _linear_index(shape, ix):
    """For each element of ``a[ix.basic][ix.adv]``, its flat position in a C-contiguous array ``a`` of ``shape``."""
    off, st, vshape = _view_geometry(shape, ix.basic)
    adv = ix.adv
    pos = [i for i, a in enumerate(adv) if a is not _FULL]
    b = np.broadcast_shapes(*[adv[i].shape for i in pos])
    nb = len(b)
    adjacent = pos == list(range(pos[0], pos[-1] + 1))
    slice_dims = [i for i in range(len(vshape)) if i not in pos]
    # output axes: where the broadcast index block goes, and where each remaining (sliced) dimension goes
    if adjacent:
        block = pos[0]
        axis_of = {d: (d if d < block else d - len(pos) + nb) for d in slice_dims}
    else:
        block = 0
        axis_of = {d: nb + k for k, d in enumerate(slice_dims)}
    out_nd = nb + len(slice_dims)
    lin = np.zeros(b, dtype=_intp) + off
    for i in pos:
        lin = lin + adv[i] * st[i]
    lin = lin.reshape((1,) * block + b + (1,) * (out_nd - block - nb))
    for d in slice_dims:
        along = [1] * out_nd
        along[axis_of[d]] = vshape[d]
        lin = lin + (np.arange(vshape[d], dtype=_intp) * st[d]).reshape(along)
    return lin


def _prod(shape):
    n = 1
    for v in shape:
        n *= v
    return n


def _scatter_add_flat(size, dtype, lin, values):
    """zeros(size) with ``values`` added at flat positions ``lin`` (repeats accumulate)."""
    flat = np.zeros(size, dtype=dtype)
    np.add.at(flat, lin.ravel(), np.broadcast_to(values, lin.shape).ravel())
    return flat


# ---------------------------------------------------------------------- getitem
class _BasicIndexFunction(ArrayFunction):
    """out = input[index] for ints, slices, None and Ellipsis (a view);  dx = zeros with g written at out's place."""
    view_of_input = True

    @staticmethod
    def forward(ctx, x, basic):
        ctx.in_shape = x.shape
        ctx.basic = basic
        return x[basic]

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.in_shape, dtype=g.dtype)
        gx[ctx.basic] = g
        return gx, None


class SelectFunction(_BasicIndexFunction):
    """out = input[..., i, ...] (a view without that dimension);  dx = zeros with g written at slice i."""
    node_name = "SelectBackward0"


class _SliceIndexFunction(_BasicIndexFunction):
    node_name = "SliceBackward0"


class _UnsqueezeIndexFunction(_BasicIndexFunction):
    node_name = "UnsqueezeBackward0"


class _AliasFunction(_BasicIndexFunction):
    node_name = "AliasBackward0"


_BASIC = {"SelectBackward0": SelectFunction, "SliceBackward0": _SliceIndexFunction,
          "UnsqueezeBackward0": _UnsqueezeIndexFunction, "AliasBackward0": _AliasFunction}


class IndexFunction(ArrayFunction):
    """out = input[index] with integer-array or mask parts (a copy);  dx = zeros with g added at every indexed
    position, so an index repeated k times receives the sum of its k gradients."""
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, ix):
        ctx.in_shape = x.shape
        ctx.ix = ix
        return x[ix.basic][ix.adv]

    @staticmethod
    def backward(ctx, g):
        ix = ctx.ix
        if ix.unique:  # a mask selects each position at most once: plain assignment
            gx = np.zeros(ctx.in_shape, dtype=g.dtype)
            gx[ix.basic][ix.adv] = g
            return gx, None
        lin = _linear_index(ctx.in_shape, ix)
        return _scatter_add_flat(_prod(ctx.in_shape), g.dtype, lin, g).reshape(ctx.in_shape), None


def _getitem(self, index):
    """``self[index]``: a view for ints, slices, None and Ellipsis; a copy once a tensor, list or mask is involved."""
    t = type(index)
    if t is int:
        shape = self._data.shape
        if shape and -shape[0] <= index < shape[0]:
            return SelectFunction.apply(self, (index, Ellipsis))
    elif t is slice and (index.step is None or (type(index.step) is int and index.step > 0)) and self._data.ndim:
        return _SliceIndexFunction.apply(self, (index, Ellipsis))
    ix = _parse(index, self._data.shape)
    if ix.adv is None:
        return _BASIC[ix.name].apply(self, ix.basic)
    return IndexFunction.apply(self, ix)


Tensor.__getitem__ = _getitem


# ---------------------------------------------------------------------- setitem / index_put
class IndexPutFunction(ArrayFunction):
    """out = input with out[index] = values (or += with ``accumulate``);
    dx = g with the written positions zeroed (unchanged when accumulating), dvalues = g[index] summed to values' shape."""
    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, values, ix, accumulate):
        ctx.meta = (ix, np.shape(values), accumulate)
        out = x.copy()
        target = out[ix.basic]
        if ix.adv is None:
            target[...] = values
        elif accumulate:
            lin = _linear_index(out.shape, ix)
            np.add.at(out.reshape(-1), lin.ravel(), np.broadcast_to(values, lin.shape).ravel())
        else:
            target[ix.adv] = values
        return out

    @staticmethod
    def backward(ctx, g):
        ix, vshape, accumulate = ctx.meta
        need_x, need_v = ctx.needs_input_grad[:2]
        gx = gv = None
        if need_x:
            if accumulate:
                gx = g
            else:
                gx = g.copy()
                target = gx[ix.basic]
                if ix.adv is None:
                    target[...] = 0
                else:
                    target[ix.adv] = 0
        if need_v:
            picked = g[ix.basic] if ix.adv is None else g[ix.basic][ix.adv]
            gv = _sum_to(picked, vshape)
        return gx, gv, None, None


class _CopySlicesFunction(IndexPutFunction):
    node_name = "CopySlices"

    def name(self):
        return "torch::autograd::CopySlices"


def _sum_to(g, shape):
    """Sum ``g`` down to ``shape``, which broadcast to it after dropping leading size-1 dimensions."""
    if g.shape == shape:
        return g
    core = tuple(shape)
    while len(core) > g.ndim and core[0] == 1:
        core = core[1:]
    return unbroadcast(g, core).reshape(shape)


def _check_value_shape(vshape, rshape, basic, value):
    """torch's errors for a value that does not broadcast to the indexing result."""
    core = tuple(vshape)
    while len(core) > len(rshape) and core[0] == 1:
        core = core[1:]
    ok = len(core) <= len(rshape) and all(v == 1 or v == r for v, r in zip(core[::-1], rshape[::-1]))
    if ok:
        return
    if not basic:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to indexing "
                           f"result of shape {list(rshape)}")
    if len(core) > len(rshape):
        name = _tensor_name(value) if isinstance(value, Tensor) else "numtorch.Tensor"
        raise RuntimeError(f"expand({name}{{{list(vshape)}}}, size={list(rshape)}): the number of sizes provided "
                           f"({len(rshape)}) must be greater or equal to the number of dimensions in the tensor "
                           f"({len(vshape)})")
    lead = len(rshape) - len(core)
    for i in range(len(core) - 1, -1, -1):  # torch reports the last mismatching dimension
        v, r = core[i], rshape[lead + i]
        if v != 1 and v != r:
            raise RuntimeError(f"The expanded size of the tensor ({r}) must match the existing size ({v}) at "
                               f"non-singleton dimension {i + lead}.  Target sizes: {list(rshape)}.  Tensor sizes: "
                               f"{list(core)}")


def _check_overlap(target, src):
    """torch refuses to copy from memory that partly overlaps the memory being written (the very same is fine)."""
    if not np.may_share_memory(target, src):
        return
    if (target.shape == src.shape and target.strides == src.strides
            and target.__array_interface__["data"][0] == src.__array_interface__["data"][0]):
        return
    try:
        overlap = np.shares_memory(target, src, max_work=100000)
    except np.exceptions.TooHardError:
        return
    if overlap:
        raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to tensor refer "
                           "to a single memory location. Please clone() the tensor before performing the operation.")


def _value_arg(self, value):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bool, int, float, complex)):
        return value
    what = "numpy.ndarray" if isinstance(value, np.ndarray) else type(value).__name__
    raise TypeError(f"can't assign a {what} to a {_tensor_name(self)}")


def _put(self, ix, value, accumulate, leaf_msg):
    """Write ``value`` at ``ix`` into ``self`` in place, recording it for autograd when needed."""
    v = value
    vt = isinstance(v, Tensor)
    rshape = _result_shape(ix)
    _check_value_shape(v._data.shape if vt else (), rshape, ix.adv is None, v)
    if vt:
        _check_overlap(self._data[ix.basic] if ix.adv is None else self._data, v._data)
    if GradMode.enabled and (self._requires_grad or (vt and v._requires_grad)):
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(leaf_msg)
        if self._base is not None and not self._requires_grad:
            raise RuntimeError("numtorch: writing a tensor that requires grad into a view is not supported; write "
                               "into the base tensor instead")
        if vt and v._data.dtype != self._data.dtype:
            v = v.to(self.dtype)
        fn = _CopySlicesFunction if ix.adv is None else IndexPutFunction
        return commit_inplace(self, fn.apply(self, v, ix, accumulate))
    arr = self._data
    if not arr.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    va = v._data if vt else v
    target = arr[ix.basic]
    if ix.adv is None:
        target[...] = va
    elif accumulate:
        np.add.at(target, ix.adv, va)
    else:
        target[ix.adv] = va
    self._vc[0] += 1
    return self


def _setitem(self, index, value):
    """``self[index] = value``: ``value`` (a tensor or a number) is cast to self's dtype and broadcast."""
    ix = _parse(index, self._data.shape)
    value = _value_arg(self, value)
    if ix.adv is not None and isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
        _check_value_shape(value._data.shape, _result_shape(ix), False, value)  # torch checks the shape first
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{torch_type_name(self._data.dtype)} for the destination and "
                           f"{torch_type_name(value._data.dtype)} for the source.")
    leaf = ("a view of a leaf Variable that requires grad is being used in an in-place operation."
            if ix.adv is None and ix.name != "AliasBackward0" else
            "a leaf Variable that requires grad is being used in an in-place operation.")
    _put(self, ix, value, False, leaf)


Tensor.__setitem__ = _setitem


def _indices_tuple(indices):
    if isinstance(indices, Tensor) or not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' (position 1) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return tuple(indices)


def _index_put_args(input, indices, values):
    check_tensor(input, "index_put")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{torch_type_name(input._data.dtype)} for the destination and "
                           f"{torch_type_name(values._data.dtype)} for the source.")
    ix = _parse(_indices_tuple(indices), input._data.shape)
    if ix.adv is None:  # index_put always indexes with tensors: give ints their advanced form
        ix = _Index(ix.basic, None, ix.name, True, ix.view_shape)
    return ix


@tensor_method()
def index_put(input, indices, values, accumulate=False):
    """out = input with ``out[indices] = values`` (``+=`` with ``accumulate``, where repeated indices add up)."""
    ix = _index_put_args(input, indices, values)
    _check_value_shape(values._data.shape, _result_shape(ix), False, values)
    return IndexPutFunction.apply(input, values, ix, bool(accumulate))


@tensor_method()
def index_put_(input, indices, values, accumulate=False):
    """In-place :func:`index_put`."""
    ix = _index_put_args(input, indices, values)
    return _put(input, ix, values, bool(accumulate),
                "a leaf Variable that requires grad is being used in an in-place operation.")


# ---------------------------------------------------------------------- select
@tensor_method()
def select(input, dim, index):
    """The slice ``input[..., index, ...]`` along ``dim``, that dimension removed (a view)."""
    shape = input._data.shape
    d = wrap_dim(dim, len(shape), "select")
    n = shape[d]
    index = operator.index(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} at dimension {dim}")
    return SelectFunction.apply(input, (_FULL,) * d + (index, Ellipsis))


# ---------------------------------------------------------------------- gather / scatter
def _contig_strides(shape):
    st = [1] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        st[k] = st[k + 1] * shape[k + 1]
    return st


def _along_linear(shape, axis, idx):
    """Flat positions in a C-contiguous array of ``shape`` of ``[i_0, ..., idx[i], ..., i_n]`` for every i of idx."""
    if not shape:  # a 0-d tensor has the one position 0 (its index was bounds-checked to be 0 or -1)
        return np.zeros(idx.shape, _intp)
    st = _contig_strides(shape)
    lin = idx.astype(_intp) * st[axis]
    nd = idx.ndim
    for k in range(nd):
        if k != axis:
            s = [1] * nd
            s[k] = idx.shape[k]
            lin = lin + (np.arange(idx.shape[k], dtype=_intp) * st[k]).reshape(s)
    return lin


def _check_index_bounds(idx, n, axis, exc=RuntimeError, prefix=""):
    if idx.size:
        bad = (idx < 0) | (idx >= n)
        if bad.any():
            raise exc(f"{prefix}index {idx[bad].flat[0]} is out of bounds for dimension {axis} with size {n}")


def _index_tensor(index, op, msg=None):
    """The integer array behind an ``index`` tensor argument, with torch's dtype error."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    arr = index._data
    if arr.dtype.kind != "i":
        raise RuntimeError(msg or f"{op}(): Expected dtype int32/int64 for index")
    return arr


class GatherFunction(ArrayFunction):
    """out[i][j][k] = input[index[i][j][k]][j][k] (for dim 0; likewise for others);
    dx = zeros with g added at ``[..., index[...], ...]`` (repeats accumulate)."""
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, axis, idx):
        ctx.meta = (x.shape, axis, idx)
        view = x[tuple(_FULL if k == axis else slice(0, s) for k, s in enumerate(idx.shape))]
        return np.take_along_axis(view, idx, axis)

    @staticmethod
    def backward(ctx, g):
        shape, axis, idx = ctx.meta
        lin = _along_linear(shape, axis, idx)
        return _scatter_add_flat(_prod(shape), g.dtype, lin, g).reshape(shape), None, None


@tensor_method()
def gather(input, dim, index, *, sparse_grad=False, out=None):
    """Values along ``dim`` picked by ``index``: ``out[i][j] = input[index[i][j]][j]`` (dim 0), ``input[i][index[i][j]]`` (dim 1).

    ``index`` has input's number of dimensions and is no larger than input outside ``dim``.
    """
    check_tensor(input, "gather")
    x = input._data
    idx = _index_tensor(index, "gather")
    d = wrap_dim(dim, x.ndim, "gather")
    if (x.ndim == 0 or idx.ndim == 0) and max(x.ndim, 1) == max(idx.ndim, 1):
        # torch reads a 0-d input or index as one of shape (1,); the result has the index's shape
        res = gather(_shape._reshape(input, x.shape or (1,)), d, _shape._reshape(index, idx.shape or (1,)))
        return out_arg(_shape._reshape(res, idx.shape), out)
    if idx.size == 0:  # torch skips the shape checks for an empty index
        return out_arg(_shape._reshape(_shape._reshape(input, (-1,))[:0], idx.shape), out)
    if idx.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(x.ndim):
        if k != d and idx.shape[k] > x.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no "
                               f"larger than self {list(x.shape)} apart from dimension {d}")
    _check_index_bounds(idx, x.shape[d], d)
    return out_arg(GatherFunction.apply(input, d, idx), out)


class ScatterFunction(ArrayFunction):
    """out = input with out[index[i][j]][j] = src[i][j] (dim 0);  dx = g zeroed where written, dsrc[i][j] = g[index[i][j]][j]."""
    node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, src, lin, src_index):
        ctx.meta = (src.shape, lin, src_index)
        out = x.copy()
        out.reshape(-1)[lin.ravel()] = src[src_index].ravel()
        return out

    @staticmethod
    def backward(ctx, g):
        src_shape, lin, src_index = ctx.meta
        need_x, need_src = ctx.needs_input_grad[:2]
        gx = gs = None
        if need_x:
            gx = g.copy()
            gx.reshape(-1)[lin.ravel()] = 0
        if need_src:
            gs = np.zeros(src_shape, dtype=g.dtype)
            gs[src_index] = np.take(g, lin)
        return gx, gs, None, None


class ScatterValueFunction(ArrayFunction):
    """out = input with out[index[i][j]][j] = value (dim 0);  dx = g zeroed where written."""
    node_name = "ScatterBackward1"

    @staticmethod
    def forward(ctx, x, value, lin):
        ctx.lin = lin
        out = x.copy()
        out.reshape(-1)[lin.ravel()] = value
        return out

    @staticmethod
    def backward(ctx, g):
        gx = g.copy()
        gx.reshape(-1)[ctx.lin.ravel()] = 0
        return gx, None, None


class ScatterAddFunction(ArrayFunction):
    """out = input with src[i][j] added at out[index[i][j]][j] (dim 0);  dx = g, dsrc[i][j] = g[index[i][j]][j]."""
    node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, x, src, lin, src_index):
        ctx.meta = (src.shape, lin, src_index)
        out = x.copy()
        np.add.at(out.reshape(-1), lin.ravel(), src[src_index].ravel())
        return out

    @staticmethod
    def backward(ctx, g):
        src_shape, lin, src_index = ctx.meta
        gs = None
        if ctx.needs_input_grad[1]:
            gs = np.zeros(src_shape, dtype=g.dtype)
            gs[src_index] = np.take(g, lin)
        return g, gs, None, None


class ScatterReduceFunction(ArrayFunction):
    """out = input with src (or value) combined into out[index...] by ``reduce`` ('add' or 'multiply');
    no derivative, as in torch."""
    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, x, src, lin, src_index, reduce):
        out = x.copy()
        vals = src[src_index].ravel() if isinstance(src, np.ndarray) else np.full(lin.size, src, dtype=x.dtype)
        (np.add if reduce == "add" else np.multiply).at(out.reshape(-1), lin.ravel(), vals)
        return out

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::scatter is not implemented")


def _scatter_args(input, dim, index, src, op):
    check_tensor(input, op)
    x = input._data
    idx = _index_tensor(index, op)
    d = wrap_dim(dim, x.ndim, op)
    if idx.size == 0:  # torch returns the input unchanged for an empty index, whatever its shape
        return np.zeros((0,), _intp), (slice(0, 0),) * (src._data.ndim if isinstance(src, Tensor) else 0)
    # torch compares "non-empty" shapes: a 0-d tensor counts as one of shape (1,)
    xs1, is1 = x.shape or (1,), idx.shape or (1,)
    if len(is1) != len(xs1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor):
        ss1 = src._data.shape or (1,)
        if src._data.dtype != x.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
        if len(ss1) != len(xs1):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        bad = any(is1[k] > ss1[k] or (k != d and is1[k] > xs1[k]) for k in range(len(xs1)))
        if bad:
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} apart "
                               f"from dimension {d} and to be no larger size than src {list(src._data.shape)}")
    else:
        for k in range(len(xs1)):
            if k != d and is1[k] > xs1[k]:
                raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} "
                                   f"apart from dimension {d}")
    _check_index_bounds(idx, xs1[d], d)
    lin = _along_linear(x.shape, d, idx)
    src_ndim = src._data.ndim if isinstance(src, Tensor) else 0
    src_index = tuple(slice(0, s) for s in is1)[:src_ndim]
    return lin, src_index


@tensor_method()
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """out = input with ``src`` (or the number ``value``) written along ``dim`` at ``index``:
    ``out[index[i][j]][j] = src[i][j]`` (dim 0), ``out[i][index[i][j]] = src[i][j]`` (dim 1).

    ``reduce='add'`` or ``'multiply'`` combines instead of overwriting (no gradient, as in torch).
    """
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if src is None:
        src = value
    lin, src_index = _scatter_args(input, dim, index, src, "scatter")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if isinstance(src, Tensor):
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in "
                          "a future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=2)
        return ScatterReduceFunction.apply(input, src if isinstance(src, Tensor) else _py_scalar(src), lin,
                                           src_index, reduce)
    if isinstance(src, Tensor):
        return ScatterFunction.apply(input, src, lin, src_index)
    return ScatterValueFunction.apply(input, _py_scalar(src), lin)


def _py_scalar(v):
    if isinstance(v, Tensor):
        return v.item()
    if isinstance(v, np.generic):
        return v.item()
    if not isinstance(v, (bool, int, float, complex)):
        raise TypeError(f"expected a number or a Tensor, got {type(v).__name__}")
    return v


def _inplace(self, result):
    """Make an out-of-place ``result`` computed from ``self`` the new content of ``self``."""
    if GradMode.enabled and (self._requires_grad or result._requires_grad):
        return commit_inplace(self, result)
    return commit_inplace(self, result.detach())


@tensor_method()
def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    """In-place :func:`scatter`."""
    return _inplace(self, scatter(self, dim, index, src, value=value, reduce=reduce))


@tensor_method()
def scatter_add(input, dim, index, src):
    """out = input with ``src`` added along ``dim`` at ``index`` (``out[index[i][j]][j] += src[i][j]`` for dim 0);
    repeated indices accumulate."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not {type(src).__name__}")
    lin, src_index = _scatter_args(input, dim, index, src, "scatter_add")
    return ScatterAddFunction.apply(input, src, lin, src_index)


@tensor_method()
def scatter_add_(self, dim, index, src):
    """In-place :func:`scatter_add`."""
    return _inplace(self, scatter_add(self, dim, index, src))


# ---------------------------------------------------------------------- index_select / index_add / index_fill / index_copy
def _along_dim_linear(shape, axis, idx):
    """Flat positions in a C-contiguous array of ``shape`` of every element of ``x.index_select(axis, idx)``."""
    pre = int(np.prod(shape[:axis]))
    n = shape[axis]
    post = int(np.prod(shape[axis + 1:]))
    lin = (np.arange(pre, dtype=_intp)[:, None, None] * n + idx.astype(_intp)[None, :, None]) * post
    return lin + np.arange(post, dtype=_intp)[None, None, :]


class IndexSelectFunction(ArrayFunction):
    """out = input[..., index, ...] along ``dim`` (a copy);  dx = zeros with g added at those slices (repeats accumulate)."""
    node_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, x, axis, idx):
        ctx.meta = (x.shape, axis, idx)
        return np.take(x, idx, axis=axis)

    @staticmethod
    def backward(ctx, g):
        shape, axis, idx = ctx.meta
        lin = _along_dim_linear(shape, axis, idx)
        n_idx = idx.size
        g3 = g.reshape(lin.shape[0], n_idx, lin.shape[2])
        return _scatter_add_flat(_prod(shape), g.dtype, lin, g3).reshape(shape), None, None


def _vector_index(index, op, n, d, negative_ok=False, exc=RuntimeError, prefix=""):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype.kind != "i":
        raise RuntimeError(f"{op}(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{torch_type_name(idx.dtype)} and size: {list(idx.shape)}")
    idx = idx.reshape(-1)
    if negative_ok and idx.size and (idx < 0).any():
        if (idx < -n).any():
            bad = idx[idx < -n][0]
            raise exc(f"{prefix}index {bad} is out of bounds for dimension {d} with size {n}")
        idx = np.where(idx < 0, idx + n, idx)
    _check_index_bounds(idx, n, d, exc, prefix)
    return idx


@tensor_method()
def index_select(input, dim, index, *, out=None):
    """The slices of ``input`` along ``dim`` at the positions in the 1-d ``index``: ``out[..., k, ...] = input[..., index[k], ...]``."""
    check_tensor(input, "index_select")
    x = input._data
    d = wrap_dim(dim, x.ndim, "index_select")
    if isinstance(index, Tensor) and index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if isinstance(index, Tensor) and index._data.dtype.kind != "i":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    n = x.shape[d] if x.ndim else 1
    idx = _index_tensor(index, "index_select").reshape(-1)
    if x.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    if idx.size and n == 0 and x.ndim >= 2:  # (a 1-d empty input gets the IndexError below)
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if idx.size and ((idx < 0).any() or (idx >= n).any()):
        if x.ndim >= 2 and (x.size == 0 or (x.ndim == 2 and d == 1)):  # torch's kernels for these say so
            bad = idx[(idx < 0) | (idx >= n)][0]
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
        raise IndexError("index out of range in self")
    if x.ndim == 0:
        return out_arg(_shape._reshape(input, ()), out)
    return out_arg(IndexSelectFunction.apply(input, d, idx), out)


class IndexAddFunction(ArrayFunction):
    """out = input with alpha * source[..., k, ...] added at out[..., index[k], ...];
    dx = g, dsource = alpha * g[..., index, ...]."""
    node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, x, source, axis, idx, alpha):
        ctx.meta = (axis, idx, alpha)
        out = x.copy()
        lin = _along_dim_linear(x.shape, axis, idx)
        vals = source if alpha == 1 else source * alpha
        np.add.at(out.reshape(-1), lin.ravel(), np.reshape(vals, lin.shape).ravel())
        return out

    @staticmethod
    def backward(ctx, g):
        axis, idx, alpha = ctx.meta
        gs = None
        if ctx.needs_input_grad[1]:
            gs = np.take(g, idx, axis=axis)
            if alpha != 1:
                gs = gs * alpha
        return g, gs, None, None, None


def _check_source(input, source, d, idx, op):
    x, s = input._data, source._data
    if s.ndim != x.ndim or any(s.shape[k] != x.shape[k] for k in range(x.ndim) if k != d):
        if op == "index_copy_":  # torch numbers the dimensions of the slices, which lack ``dim``
            xs = [n for k, n in enumerate(x.shape) if k != d]
            ss = [n for k, n in enumerate(s.shape) if k != d]
            j = next((j for j in range(min(len(xs), len(ss))) if xs[j] != ss[j]), 0)
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                               f"slice shape: {xs[j] if xs else 1} at dimension {j} and source slice shape: "
                               f"{ss[j] if ss else 1} at dimension {j}.")
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(x.shape)} source.shape = {list(s.shape)}")


@tensor_method()
def index_add(input, dim, index, source, *, alpha=1):
    """out = input with ``alpha * source`` added at the slices ``index`` along ``dim``:
    ``out[..., index[k], ...] += alpha * source[..., k, ...]`` (repeats accumulate)."""
    check_tensor(input, "index_add")
    check_tensor(source, "index_add", "source")
    x = input._data
    d = wrap_dim(dim, x.ndim, "index_add")
    if isinstance(index, Tensor) and index._data.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {index._data.ndim} with "
                         f"type: {torch_type_name(index._data.dtype)} and size: {list(index._data.shape)}")
    if source._data.dtype != x.dtype:
        raise RuntimeError(f"index_add_(): self ({torch_type_name(x.dtype)}) and source "
                           f"({torch_type_name(source._data.dtype)}) must have the same scalar type")
    idx = _index_tensor(index, "index_add").reshape(-1)
    m = source._data.shape[d] if source._data.ndim else 1
    if idx.size != m:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({m}), for dim: {d}")
    _check_source(input, source, d, idx, "index_add_")
    n = x.shape[d] if x.ndim else 1
    # torch's kernels differ in how they refuse an index out of range: its loop over the first or last dim
    # (alpha 1, 2+ dims) raises RuntimeError, the other paths IndexError; nothing is checked for an empty input
    # of 2+ dims
    strided = alpha == 1 and x.ndim >= 2 and d in (0, x.ndim - 1)
    if not strided and (x.ndim <= 1 or x.size):
        if idx.size and ((idx < 0) | (idx >= n)).any():
            raise IndexError("index out of range in self")
    if x.ndim >= 2 and x.size == 0:
        return _EmptyIndexAddFunction.apply(input, source)
    _check_index_bounds(idx, n, d)
    return IndexAddFunction.apply(input, source, d, idx, alpha)


class _EmptyIndexAddFunction(ArrayFunction):
    """index_add into an empty tensor: out = input (empty);  dx = g, and the source gradient fails as torch's
    index_select of the empty gradient does."""
    node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, x, source):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        if ctx.needs_input_grad[1]:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        return g, None


@tensor_method()
def index_add_(self, dim, index, source, *, alpha=1):
    """In-place :func:`index_add`."""
    return _inplace(self, index_add(self, dim, index, source, alpha=alpha))


class IndexFillFunction(ArrayFunction):
    """out = input with the slices ``index`` along ``dim`` set to value;
    dx = g zeroed there, dvalue = the sum of g over those slices."""
    node_name = "IndexFillBackward0"

    @staticmethod
    def forward(ctx, x, value, axis, idx):
        where = (_FULL,) * axis + (idx,)
        ctx.where = where
        ctx.axis = axis
        out = x.copy()
        out[where] = value
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_v = ctx.needs_input_grad[:2]
        gx = gv = None
        if need_x:
            gx = g.copy()
            gx[ctx.where] = 0
        if need_v:
            axis, idx = ctx.axis, ctx.where[-1]
            gv = np.asarray(np.take(g, np.unique(idx), axis=axis).sum(), dtype=g.dtype)
        return gx, gv, None, None


class _IndexFillTensorFunction(IndexFillFunction):
    node_name = "IndexFillBackward1"


@tensor_method()
def index_fill(input, dim, index, value):
    """out = input with every slice ``index[k]`` along ``dim`` set to ``value`` (a number or a 0-d tensor)."""
    check_tensor(input, "index_fill")
    x = input._data
    d = wrap_dim(dim, x.ndim, "index_fill")
    n = x.shape[d] if x.ndim else 1
    idx = _vector_index(index, "index_fill", n, d, negative_ok=True, exc=IndexError)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if value._data.dtype != x.dtype:
            value = value.to(input.dtype)
        if x.ndim == 0:
            return _IndexFillTensorFunction.apply(input, value, 0, ()) if idx.size else input.clone()
        return _IndexFillTensorFunction.apply(input, value, d, idx)
    value = _py_scalar(value)
    if x.ndim == 0:
        return IndexFillFunction.apply(input, value, 0, ()) if idx.size else input.clone()
    return IndexFillFunction.apply(input, value, d, idx)


@tensor_method()
def index_fill_(self, dim, index, value):
    """In-place :func:`index_fill`."""
    return _inplace(self, index_fill(self, dim, index, value))


class IndexCopyFunction(ArrayFunction):
    """out = input with out[..., index[k], ...] = source[..., k, ...];  dx = g zeroed there, dsource = g[..., index, ...]."""
    node_name = "IndexCopyBackward0"

    @staticmethod
    def forward(ctx, x, source, axis, idx):
        where = (_FULL,) * axis + (idx,)
        ctx.meta = (where, axis, idx)
        out = x.copy()
        out[where] = source
        return out

    @staticmethod
    def backward(ctx, g):
        where, axis, idx = ctx.meta
        need_x, need_s = ctx.needs_input_grad[:2]
        gx = gs = None
        if need_x:
            gx = g.copy()
            gx[where] = 0
        if need_s:
            gs = np.take(g, idx, axis=axis)
        return gx, gs, None, None


@tensor_method()
def index_copy(input, dim, index, source):
    """out = input with ``out[..., index[k], ...] = source[..., k, ...]`` along ``dim``."""
    check_tensor(input, "index_copy")
    check_tensor(source, "index_copy", "source")
    x = input._data
    d = wrap_dim(dim, x.ndim, "index_copy")
    n = x.shape[d] if x.ndim else 1
    if source._data.dtype != x.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{torch_type_name(x.dtype)} and (source) {torch_type_name(source._data.dtype)}")
    if isinstance(index, Tensor) and index._data.ndim > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got 2)")
    idx = _index_tensor(index, "index_copy").reshape(-1)
    m = source._data.shape[d] if source._data.ndim else 1
    if idx.size != m:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) ({m})")
    _check_source(input, source, d, idx, "index_copy_")
    _check_index_bounds(idx, n, d, IndexError, "index_copy_(): ")
    return IndexCopyFunction.apply(input, source, d, idx)


@tensor_method()
def index_copy_(self, dim, index, source):
    """In-place :func:`index_copy`."""
    return _inplace(self, index_copy(self, dim, index, source))


# ---------------------------------------------------------------------- masks
class MaskedSelectFunction(ArrayFunction):
    """out = the elements of input where mask is True (both broadcast), as a 1-d tensor;
    dx = zeros with g written where mask is True, summed back over broadcast dimensions."""
    node_name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, x, mask, shape):
        m = np.broadcast_to(mask, shape)
        ctx.meta = (x.shape, m)
        return np.broadcast_to(x, shape)[m]

    @staticmethod
    def backward(ctx, g):
        in_shape, m = ctx.meta
        gb = np.zeros(m.shape, dtype=g.dtype)
        gb[m] = g
        return unbroadcast(gb, in_shape), None, None


@tensor_method()
def masked_select(input, mask, *, out=None):
    """The elements of ``input`` where ``mask`` (broadcast with it) is True, in row-major order, as a 1-d tensor."""
    check_tensor(input, "masked_select")
    check_tensor(mask, "masked_select", "mask")
    if mask._data.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = broadcast_shape(mask._data.shape, input._data.shape)
    return out_arg(MaskedSelectFunction.apply(input, mask._data, shape), out)


class MaskedScatterFunction(ArrayFunction):
    """out = input with the True positions of mask filled by source's first elements in row-major order;
    dx = g zeroed there, dsource[:count] = g where mask is True (0 beyond)."""
    node_name = "MaskedScatterBackward0"

    @staticmethod
    def forward(ctx, x, source, mask, shape):
        m = np.broadcast_to(mask, shape)
        count = int(m.sum())
        ctx.meta = (x.shape, source.shape, m, count)
        out = np.broadcast_to(x, shape).copy()
        out[m] = source.reshape(-1)[:count]
        return out

    @staticmethod
    def backward(ctx, g):
        in_shape, src_shape, m, count = ctx.meta
        need_x, need_s = ctx.needs_input_grad[:2]
        gx = gs = None
        if need_x:
            gx = g.copy()
            gx[m] = 0
            gx = unbroadcast(gx, in_shape)
        if need_s:
            gs = np.zeros(_prod(src_shape), dtype=g.dtype)
            gs[:count] = g[m]
            gs = gs.reshape(src_shape)
        return gx, gs, None, None


@tensor_method()
def masked_scatter(input, mask, source):
    """out = input with its positions where ``mask`` is True filled, in row-major order, by ``source``'s elements."""
    check_tensor(input, "masked_scatter")
    check_tensor(mask, "masked_scatter", "mask")
    check_tensor(source, "masked_scatter", "source")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{torch_type_name(mask._data.dtype)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{torch_type_name(input._data.dtype)} and {torch_type_name(source._data.dtype)}")
    shape = broadcast_shape(input._data.shape, mask._data.shape)
    if int(np.broadcast_to(mask._data, shape).sum()) > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatterFunction.apply(input, source, mask._data, shape)


@tensor_method()
def masked_scatter_(self, mask, source):
    """In-place :func:`masked_scatter`."""
    return _inplace(self, masked_scatter(self, mask, source))


# ---------------------------------------------------------------------- take / take_along_dim
class TakeFunction(ArrayFunction):
    """out[i] = input.flatten()[index[i]] (out has index's shape);  dx = zeros with g added at those flat positions."""
    node_name = "TakeBackward0"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.meta = (x.shape, idx)
        return np.take(x, idx)

    @staticmethod
    def backward(ctx, g):
        shape, idx = ctx.meta
        return _scatter_add_flat(_prod(shape), g.dtype, idx, g).reshape(shape), None


@tensor_method()
def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (negative counts from the end); the result has index's shape."""
    check_tensor(input, "take")
    if not isinstance(index, Tensor):
        raise TypeError(f"take(): argument 'index' (position 1) must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {torch_type_name(idx.dtype)}")
    n = input._data.size
    if idx.size:
        bad = (idx < -n) | (idx >= n)
        if bad.any():
            raise IndexError(f"out of range: tried to access index {idx[bad].flat[0]} on a tensor of {n} elements.")
        if (idx < 0).any():
            idx = np.where(idx < 0, idx + n, idx)
    return TakeFunction.apply(input, idx.astype(_intp, copy=False))


@tensor_method()
def take_along_dim(input, indices, dim=None, *, out=None):
    """Values along ``dim`` picked by ``indices`` after broadcasting both outside ``dim``
    (``out[i][j] = input[indices[i][j]][j]`` for dim 0); without ``dim`` both are flattened."""
    check_tensor(input, "take_along_dim")
    if not isinstance(indices, Tensor):
        raise TypeError(f"take_along_dim(): argument 'indices' (position 2) must be Tensor, not "
                        f"{type(indices).__name__}")
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"numtorch.take_along_dim(): dtype of indices should be Long but got "
                           f"{torch_type_name(indices._data.dtype)}")
    if dim is None:
        flat = _shape._reshape(input, (-1,))
        return out_arg(_take_along(flat, indices._data.reshape(-1), 0), out)
    x = input._data
    if x.ndim != indices._data.ndim:
        raise RuntimeError(f"numtorch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {x.ndim} dimensions for input, and {indices._data.ndim} dimensions for indices")
    d = wrap_dim(dim, x.ndim, "take_along_dim")
    xs = list(x.shape)
    is_ = list(indices._data.shape)
    xs[d] = is_[d] = 1
    b = list(broadcast_shape(tuple(xs), tuple(is_)))
    bx = tuple(b[:d] + [x.shape[d]] + b[d + 1:])
    bi = tuple(b[:d] + [indices._data.shape[d]] + b[d + 1:])
    xin = input if x.shape == bx else _shape.broadcast_to(input, bx)
    return out_arg(_take_along(xin, np.broadcast_to(indices._data, bi), d), out)


def _take_along(input, idx, d):
    n = input._data.shape[d]
    if idx.size:
        bad = (idx < -n) | (idx >= n)
        if bad.any():
            raise RuntimeError(f"index {idx[bad].flat[0]} is out of bounds for dimension {d} with size {n}")
        if (idx < 0).any():
            idx = np.where(idx < 0, idx + n, idx)
    return GatherFunction.apply(input, d, idx)


# ---------------------------------------------------------------------- nonzero
@tensor_method()
def nonzero(input, *, out=None, as_tuple=False):
    """Coordinates of the non-zero elements: an ``(n, input.dim())`` int64 tensor, or with ``as_tuple`` one
    1-d tensor per dimension (``input[nonzero(input, as_tuple=True)]`` selects them)."""
    check_tensor(input, "nonzero")
    x = input._data
    if x.ndim == 0:
        hit = bool(x)
        if as_tuple:
            return (_from_array(np.zeros(1 if hit else 0, dtype=np.int64)),)
        return _from_array(np.zeros((1 if hit else 0, 0), dtype=np.int64))
    nz = np.nonzero(x)
    if as_tuple:
        return tuple(_from_array(a.astype(np.int64, copy=False)) for a in nz)
    return out_arg(_from_array(np.stack(nz, axis=1).astype(np.int64, copy=False)), out)


@tensor_method()
def argwhere(input):
    """Coordinates of the non-zero elements as an ``(n, input.dim())`` int64 tensor (``nonzero(input)``)."""
    return nonzero(input)
