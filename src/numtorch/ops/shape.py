"""Shape ops: views (reshape, permute, squeeze, expand, split, ...), joins (cat, stack), copies (flip, roll,
repeat, tril) and ``einsum``, each with its backward.

A *view* op returns a NumPy view of its input, so the result shares memory with it exactly as in torch:
writing through the view changes the input. Its ArrayFunction sets ``view_of_input = True`` so that the
result also shares the input's version counter (an in-place edit of either is seen by both). The backward
of a view op is the inverse index map applied to the gradient: reshape back, apply the inverse permutation,
sum over expanded dimensions, or write the gradient into zeros at the viewed positions.

Ops that copy in torch (``flip``, ``roll``, ``repeat``, ``cat``, ``tril``, ``diag`` of a matrix, ...) return
fresh arrays here too, never a NumPy view that would alias the input.
"""
import numbers
import operator
import warnings

import numpy as np

from .._dtype import dtype as _dtype_cls, as_dtype, promote_types
from .._size import Size
from .._tensor import Tensor, _from_array, tensor_method
from ..autograd.function import ArrayFunction, commit_inplace
from ..autograd.grad_mode import GradMode
from ._util import broadcast_shape, check_tensor, out_arg, torch_type_name, unbroadcast, wrap_dim, wrap_dims

__all__ = ["reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose", "swapaxes",
           "swapdims", "t", "movedim", "moveaxis", "broadcast_to", "broadcast_tensors", "broadcast_shapes",
           "tile", "repeat_interleave", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
           "row_stack", "column_stack", "split", "chunk", "unbind", "tensor_split", "flip", "fliplr", "flipud",
           "roll", "tril", "triu", "diagonal", "diag", "diag_embed", "narrow", "atleast_1d", "atleast_2d",
           "atleast_3d", "meshgrid", "einsum"]
#: names also exported at numtorch's top level (torch.<name>), besides nn.functional
TOP_LEVEL = list(__all__)

_VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one dimension spans "
               "across two contiguous subspaces). Use .reshape(...) instead.")


# ---------------------------------------------------------------------- argument helpers
def _ints(args, op, arg="size"):
    """A tuple of ints from variadic ints or one sequence: ``x.view(2, 3)`` and ``x.view((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    out = []
    for i, s in enumerate(args):
        if isinstance(s, bool) or not isinstance(s, (numbers.Integral, Tensor)):
            raise TypeError(f"{op}(): argument '{arg}' must be tuple of ints, but found element of type "
                            f"{type(s).__name__} at pos {i}")
        out.append(operator.index(s))
    return tuple(out)


def _int_seq(value, op, arg):
    """A tuple of ints from a sequence argument that torch does not accept as a bare int."""
    if isinstance(value, (tuple, list)):
        return _ints((value,), op, arg)
    raise TypeError(f"{op}(): argument '{arg}' (position 2) must be tuple of ints, not {type(value).__name__}")


def _tensor_name(x):
    return f"numtorch.{torch_type_name(x._data.dtype)}Tensor"


def _infer_size(shape, numel):
    """Resolve one ``-1`` in a requested shape so that it holds ``numel`` elements, with torch's errors."""
    infer = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            known *= s
    if infer is None:
        if known == numel:
            return shape
    elif known == 0:
        if numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               f"unspecified dimension size -1 can be any value and is ambiguous")
    elif numel % known == 0:
        return shape[:infer] + (numel // known,) + shape[infer + 1:]
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _inverse_permutation(dims):
    inv = [0] * len(dims)
    for i, d in enumerate(dims):
        inv[d] = i
    return tuple(inv)


# ---------------------------------------------------------------------- reshape / view
class ViewFunction(ArrayFunction):
    """out = input's elements in row-major order laid out as ``shape``, over the same memory;  dx = g reshaped back."""
    node_name = "ViewBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        try:
            return np.reshape(x, shape, copy=False)
        except ValueError:
            raise RuntimeError(_VIEW_ERROR) from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class ReshapeCopyFunction(ArrayFunction):
    """out = a row-major copy of input with a new shape (when no view is possible);  dx = g reshaped back."""
    node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.array(np.reshape(x, shape), copy=None)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


def _reshape(input, shape):
    """reshape with an already validated shape: a view when the strides allow one, else a copy."""
    arr = input._data
    shape = _infer_size(shape, arr.size)
    if arr.flags.c_contiguous:
        return ViewFunction.apply(input, shape)
    try:
        np.reshape(arr, shape, copy=False)
    except ValueError:
        return ReshapeCopyFunction.apply(input, shape)
    return ViewFunction.apply(input, shape)


def reshape(input, shape):
    """A tensor with ``input``'s elements (row-major order) and shape ``shape``; one dimension may be -1.

    ``out.flatten()[k] = input.flatten()[k]``. The result is a view of ``input`` when its strides allow one
    (always for a contiguous input), otherwise a copy, as in torch.
    """
    check_tensor(input, "reshape")
    return _reshape(input, _int_seq(shape, "reshape", "shape"))


@tensor_method("reshape")
def _reshape_method(self, *shape):
    """``x.reshape(2, 3)`` or ``x.reshape((2, 3))``: see :func:`reshape`."""
    return _reshape(self, _ints(shape, "reshape", "shape"))


@tensor_method()
def view(self, *shape):
    """A view of this tensor with a new shape (``out.flatten()[k] = self.flatten()[k]``), sharing its memory.

    ``x.view(dtype)`` reinterprets the bytes as another dtype instead. Raises torch's error when the
    strides do not allow a view (use :func:`reshape`, which copies then).
    """
    if len(shape) == 1 and (isinstance(shape[0], _dtype_cls) or
                            (isinstance(shape[0], type) and shape[0] in (float, int, bool))):
        return _view_dtype(self, as_dtype(shape[0]))
    return ViewFunction.apply(self, _infer_size(_ints(shape, "view"), self._data.size))


def _view_dtype(self, d):
    arr = self._data
    if arr.dtype == d.np:
        return ViewFunction.apply(self, arr.shape)
    if GradMode.enabled and self._requires_grad:
        raise RuntimeError("numtorch: view(dtype) between different dtypes is not differentiable; detach() first")
    try:
        out = _from_array(arr.view(d.np))
    except ValueError as e:
        raise RuntimeError(f"self.view(dtype) failed: {e}") from None
    out._vc = self._vc
    out._base = self if self._base is None else self._base
    return out


@tensor_method()
def view_as(self, other):
    """``self.view(other.shape)``."""
    return ViewFunction.apply(self, _infer_size(tuple(other.shape), self._data.size))


@tensor_method()
def reshape_as(self, other):
    """``self.reshape(other.shape)``."""
    return _reshape(self, tuple(other.shape))


@tensor_method()
def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim..end_dim`` into one of size ``prod(shape[start_dim:end_dim + 1])``.

    A view when possible (see :func:`reshape`); a 0-d input gives shape ``(1,)``.
    """
    shape = input._data.shape
    nd = len(shape)
    if nd == 0:
        wrap_dim(start_dim, nd, "flatten"), wrap_dim(end_dim, nd, "flatten")
        return _reshape(input, (1,))
    s = wrap_dim(start_dim, nd, "flatten")
    e = wrap_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return _reshape(input, shape[:s] + (_prod(shape[s:e + 1]),) + shape[e + 1:])


@tensor_method()
def unflatten(input, dim, sizes):
    """Split dimension ``dim`` into ``sizes`` (one may be -1); ``prod(sizes)`` must equal ``input.shape[dim]``."""
    shape = input._data.shape
    d = wrap_dim(dim, len(shape), "unflatten")
    sizes = _ints((sizes,) if not isinstance(sizes, (tuple, list)) else (tuple(sizes),), "unflatten", "sizes")
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if not shape:
        raise RuntimeError("unflatten got an unexpected error: Dimension specified as 0 but tensor has no dimensions")
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten: only one dimension can be inferred")
    n = shape[d]
    known = _prod(s for s in sizes if s != -1)
    if -1 in sizes:
        if known == 0 or n % known:
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                               f"({n}) in the input tensor")
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    elif known != n:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({n}) in the input tensor")
    return ViewFunction.apply(input, shape[:d] + sizes + shape[d + 1:])


# ---------------------------------------------------------------------- squeeze / unsqueeze
class SqueezeFunction(ArrayFunction):
    """out = input without the size-1 dimensions listed;  dx = g reshaped back."""
    node_name = "SqueezeBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.reshape(x, shape, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class _SqueezeDimFunction(SqueezeFunction):
    node_name = "SqueezeBackward1"


class _SqueezeDimsFunction(SqueezeFunction):
    node_name = "SqueezeBackward2"


@tensor_method()
def squeeze(input, dim=None):
    """Remove dimensions of size 1: all of them, or those among ``dim`` (an int or a tuple) that have size 1.

    A dimension named in ``dim`` whose size is not 1 is left alone, as in torch.
    """
    shape = input._data.shape
    if dim is None:
        return SqueezeFunction.apply(input, tuple(s for s in shape if s != 1))
    dims = wrap_dims(dim, len(shape), "squeeze")
    fn = _SqueezeDimFunction if isinstance(dim, numbers.Integral) else _SqueezeDimsFunction
    if len(shape) == 0:
        return fn.apply(input, ())
    return fn.apply(input, tuple(s for i, s in enumerate(shape) if not (s == 1 and i in dims)))


class UnsqueezeFunction(ArrayFunction):
    """out = input with a size-1 dimension inserted at ``dim``;  dx = g reshaped back."""
    node_name = "UnsqueezeBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.in_shape = x.shape
        return np.expand_dims(x, dim)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


@tensor_method()
def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim`` (in ``[-input.dim() - 1, input.dim()]``)."""
    return UnsqueezeFunction.apply(input, wrap_dim(dim, input._data.ndim + 1, "unsqueeze"))


# ---------------------------------------------------------------------- permutations
class PermuteFunction(ArrayFunction):
    """out[i_{dims[0]}, i_{dims[1]}, ...] = input[i_0, i_1, ...];  dx = g with the inverse permutation."""
    node_name = "PermuteBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, _inverse_permutation(ctx.dims)), None


def _permute(input, dims):
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to "
                           f"len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return PermuteFunction.apply(input, dims)


def permute(input, dims):
    """Reorder the dimensions: ``out.shape[k] = input.shape[dims[k]]`` (a view)."""
    check_tensor(input, "permute")
    return _permute(input, _int_seq(dims, "permute", "dims"))


@tensor_method("permute")
def _permute_method(self, *dims):
    """``x.permute(1, 0)`` or ``x.permute((1, 0))``: see :func:`permute`."""
    return _permute(self, _ints(dims, "permute", "dims"))


class TransposeFunction(ArrayFunction):
    """out = input with dimensions ``dim0`` and ``dim1`` swapped;  dx = g with them swapped back."""
    node_name = "TransposeBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return np.swapaxes(x, dim0, dim1)

    @staticmethod
    def backward(ctx, g):
        d0, d1 = ctx.dims
        return np.swapaxes(g, d0, d1), None, None


@tensor_method()
def transpose(input, dim0, dim1):
    """Swap dimensions ``dim0`` and ``dim1``: ``out[..., j, ..., i, ...] = input[..., i, ..., j, ...]`` (a view)."""
    nd = input._data.ndim
    d0 = wrap_dim(dim0, nd, "transpose")
    d1 = wrap_dim(dim1, nd, "transpose")
    if nd == 0:
        return ViewFunction.apply(input, ())
    return TransposeFunction.apply(input, d0, d1)


@tensor_method()
def swapaxes(input, axis0, axis1):
    """Alias of :func:`transpose`."""
    return transpose(input, axis0, axis1)


@tensor_method()
def swapdims(input, dim0, dim1):
    """Alias of :func:`transpose`."""
    return transpose(input, dim0, dim1)


class TFunction(ArrayFunction):
    """out = input^T for a matrix (``out[j, i] = input[i, j]``), the input itself for 0-d and 1-d;  dx = g^T."""
    node_name = "TBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x):
        return x.T

    @staticmethod
    def backward(ctx, g):
        return g.T


@tensor_method()
def t(input):
    """Transpose a tensor of at most 2 dimensions: ``out[j, i] = input[i, j]`` (0-d and 1-d stay as they are)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return TFunction.apply(input)


def _T(self):
    """All dimensions reversed: ``out[i_n, ..., i_0] = self[i_0, ..., i_n]`` (torch deprecates it for ndim != 2)."""
    nd = self._data.ndim
    if nd == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                      UserWarning, stacklevel=2)
    elif nd != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
                      "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
                      "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
                      "tensor.", UserWarning, stacklevel=2)
    return PermuteFunction.apply(self, tuple(range(nd - 1, -1, -1)))


def _mT(self):
    """The last two dimensions swapped: a batch of matrices transposed."""
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{self._data.ndim}-D tensor.")
    return TransposeFunction.apply(self, self._data.ndim - 2, self._data.ndim - 1)


class ConjTransposeFunction(ArrayFunction):
    """out = conj(input) with the last two dimensions swapped (complex input);  dx = conj(g) swapped back."""
    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.conj(np.swapaxes(x, -1, -2))

    @staticmethod
    def backward(ctx, g):
        return np.conj(np.swapaxes(g, -1, -2))


def _mH(self):
    """The conjugate transpose of a batch of matrices (``mT`` for real tensors)."""
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got "
                           f"{self._data.ndim}-D tensor.")
    if self._data.dtype.kind == "c":
        return ConjTransposeFunction.apply(self)
    return _mT(self)


def _H(self):
    """The conjugate transpose of a matrix (``T`` for a real matrix)."""
    nd = self._data.ndim
    if nd == 0:
        warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().", UserWarning, stacklevel=2)
        return ViewFunction.apply(self, ())
    if nd != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {nd}-D tensor. For batches "
                           f"of matrices, consider using tensor.mH")
    return _mH(self)


Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.mH = property(_mH)
Tensor.H = property(_H)


@tensor_method()
def movedim(input, source, destination):
    """Move dimension(s) ``source`` to position(s) ``destination``, keeping the others in order (a view)."""
    nd = input._data.ndim
    src = (source,) if isinstance(source, numbers.Integral) else tuple(source)
    dst = (destination,) if isinstance(destination, numbers.Integral) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    s = [wrap_dim(d, nd, "movedim") for d in src]
    d = [wrap_dim(x, nd, "movedim") for x in dst]
    if len(set(s)) != len(s):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(d)) != len(d):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    order = [i for i in range(nd) if i not in s]
    for to, frm in (sorted(zip(d, s)) if nd else ()):  # a 0-d tensor has nothing to move
        order.insert(to, frm)
    return PermuteFunction.apply(input, tuple(order))


moveaxis = movedim
Tensor.moveaxis = movedim


# ---------------------------------------------------------------------- expand / broadcast
class ExpandFunction(ArrayFunction):
    """out = input broadcast to ``shape`` (stride 0 along expanded dimensions);  dx = g summed over them."""
    node_name = "ExpandBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        lead = len(shape) - x.ndim
        if shape[lead:] == x.shape and all(s == 1 for s in shape[:lead]):
            return np.reshape(x, shape, copy=False)  # only leading 1s added: an ordinary, writable view
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.in_shape), None


def _expand_shape(input, sizes):
    """The target shape of ``expand(*sizes)`` with -1 resolved, validated as torch does."""
    shape = input._data.shape
    n, nd = len(sizes), len(shape)
    if n < nd:
        raise RuntimeError(f"expand({_tensor_name(input)}{{{list(shape)}}}, size={list(sizes)}): the number of "
                           f"sizes provided ({n}) must be greater or equal to the number of dimensions in the tensor "
                           f"({nd})")
    out = []
    for i in range(n - 1, -1, -1):  # torch checks from the last dimension backwards
        s = sizes[i]
        j = i - (n - nd)
        if j < 0:
            if s == -1:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
            if s < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(sizes)}")
        else:
            cur = shape[j]
            if s == -1:
                s = cur
            elif s != cur and (cur != 1 or s < 0):
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                                   f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                                   f"{list(shape)}")
        out.append(s)
    return tuple(out[::-1])


@tensor_method()
def expand(self, *sizes):
    """A view with size-1 dimensions repeated to ``sizes`` (-1 keeps a dimension): ``out[..., i, ...] = self[..., 0, ...]``.

    The view is read-only where a dimension is really expanded, since its elements share memory.
    """
    if not sizes:
        raise TypeError('expand() missing 1 required positional arguments: "size"')
    return ExpandFunction.apply(self, _expand_shape(self, _ints(sizes, "expand")))


@tensor_method()
def expand_as(self, other):
    """``self.expand(other.shape)``."""
    return ExpandFunction.apply(self, _expand_shape(self, tuple(other.shape)))


@tensor_method()
def broadcast_to(input, size):
    """``input`` broadcast to shape ``size`` (a view; see :meth:`Tensor.expand`)."""
    return ExpandFunction.apply(input, _expand_shape(input, _ints((size,) if isinstance(size, (tuple, list))
                                                                  else (size,), "broadcast_to")))


def broadcast_shapes(*shapes):
    """The shape that tensors of ``shapes`` broadcast to, as a :class:`numtorch.Size`."""
    norm = [(s,) if isinstance(s, numbers.Integral) else tuple(s) for s in shapes]
    return Size(broadcast_shape(*norm))


def broadcast_tensors(*tensors):
    """Expand every tensor to their common broadcast shape; returns a tuple of views."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
    shape = broadcast_shape(*[x._data.shape for x in tensors])
    return tuple(ExpandFunction.apply(x, shape) for x in tensors)


# ---------------------------------------------------------------------- repeat / tile / repeat_interleave
class RepeatFunction(ArrayFunction):
    """out = input tiled ``repeats`` times along each dimension;  dx = g summed over the tiles."""
    node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, repeats):
        ctx.in_shape = x.shape
        ctx.repeats = repeats
        return np.tile(x, repeats)

    @staticmethod
    def backward(ctx, g):
        reps = ctx.repeats
        padded = (1,) * (len(reps) - len(ctx.in_shape)) + ctx.in_shape
        split = []
        for r, n in zip(reps, padded):
            split += [r, n]
        gx = g.reshape(split).sum(axis=tuple(range(0, 2 * len(reps), 2)))
        return gx.reshape(ctx.in_shape), None


def _repeat(input, repeats):
    shape = input._data.shape
    if len(repeats) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    padded = (1,) * (len(repeats) - len(shape)) + shape
    out_shape = [r * n for r, n in zip(repeats, padded)]
    for s in out_shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out_shape}")
    return RepeatFunction.apply(input, repeats)


@tensor_method()
def repeat(self, *sizes):
    """Tile the tensor ``sizes[k]`` times along dimension k (extra leading sizes add dimensions); a copy.

    ``out[i_0, ..., i_n] = self[i_0 mod s_0, ..., i_n mod s_n]`` with ``s`` the (left-padded) input shape.
    """
    if not sizes:
        raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
    return _repeat(self, _ints(sizes, "repeat", "repeats"))


def tile(input, dims):
    """:meth:`Tensor.repeat` with ``dims`` left-padded by ones to the input's dimension."""
    dims = _ints((dims,) if isinstance(dims, (tuple, list)) else (dims,), "tile", "dims")
    return _repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


@tensor_method("tile")
def _tile_method(self, *dims):
    """``x.tile(2, 1)`` or ``x.tile((2, 1))``: see :func:`tile`."""
    return tile(self, _ints(dims, "tile", "dims"))


class RepeatInterleaveFunction(ArrayFunction):
    """out = each slice of input along ``dim`` repeated ``r`` times in place;  dx = g summed over each group."""
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, repeats, axis):
        ctx.meta = (x.shape, repeats, axis)
        return np.repeat(x, repeats, axis)

    @staticmethod
    def backward(ctx, g):
        shape, r, axis = ctx.meta
        return g.reshape(shape[:axis] + (shape[axis], r) + shape[axis + 1:]).sum(axis + 1), None, None


class RepeatInterleaveTensorFunction(ArrayFunction):
    """out = slice k of input along ``dim`` repeated ``repeats[k]`` times;  dx[k] = sum of g over slice k's copies."""
    node_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, x, repeats, axis):
        ctx.meta = (x.shape, repeats, axis)
        return np.repeat(x, repeats, axis)

    @staticmethod
    def backward(ctx, g):
        shape, reps, axis = ctx.meta
        gx = np.zeros(shape, dtype=g.dtype)
        keep = np.flatnonzero(reps)
        if keep.size and g.shape[axis]:
            starts = (np.cumsum(reps) - reps)[keep]
            sums = np.add.reduceat(g, starts, axis=axis)
            gx[(slice(None),) * axis + (keep,)] = sums
        return gx, None, None


@tensor_method()
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (or each slice along ``dim``) ``repeats`` times, consecutively.

    ``repeats`` is an int or a 0-d/1-d integer tensor (one count per slice). Without ``dim`` the input is
    flattened first. ``repeat_interleave(counts)`` alone gives ``arange(len(counts))`` repeated by counts.
    """
    if repeats is None:
        counts = input
        if counts._data.dtype.kind not in "iu":
            raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                      f"'{torch_type_name(counts._data.dtype)}'")
        return _from_array(np.repeat(np.arange(counts._data.size, dtype=counts._data.dtype), counts._data.ravel()))
    if dim is not None and input._data.ndim == 0:  # torch refuses a dim for a 0-d input (IndexError)
        if isinstance(repeats, Tensor):
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got "
                         f"{wrap_dim(dim, 0, 'repeat_interleave') + 1})")
    x = input if dim is not None else flatten(input)
    axis = 0 if dim is None else wrap_dim(dim, x._data.ndim, "repeat_interleave")
    if x._data.ndim == 0:
        x = _reshape(x, (1,))
    n = x._data.shape[axis]
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{torch_type_name(r.dtype)}'")
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if r.size and r.min() < 0:
            raise RuntimeError("repeats can not be negative")
        if r.size == 1:
            repeats = int(r.reshape(()))
        else:
            if r.size != n:
                raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                                   f"{r.size} and input.size({0 if dim is None else dim}) = {n}")
            out = RepeatInterleaveTensorFunction.apply(x, r.astype(np.int64), axis)
            _check_output_size(out, axis, output_size)
            return out
    repeats = operator.index(repeats)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    out = RepeatInterleaveFunction.apply(x, repeats, axis)
    _check_output_size(out, axis, output_size)
    return out


def _check_output_size(out, axis, output_size):
    if output_size is not None and out._data.shape[axis] != output_size:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {out._data.shape[axis]} but got "
                           f"{output_size}")


# ---------------------------------------------------------------------- cat / stack
def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
    return tensors


def _promote_all(tensors):
    d = tensors[0].dtype
    for x in tensors[1:]:
        if x.dtype is not d:
            d = promote_types(d, x.dtype)
    return [x if x.dtype is d else x.to(d) for x in tensors]


class CatFunction(ArrayFunction):
    """out = the inputs joined along ``dim``;  d input_k = the slice of g that input_k occupies."""
    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, axis, used, *xs):
        ctx.meta = (axis, used, [xs[i].shape[axis] for i in used], len(xs))
        return np.concatenate([xs[i] for i in used], axis=axis)

    @staticmethod
    def backward(ctx, g):
        axis, used, sizes, n = ctx.meta
        need = ctx.needs_input_grad
        grads = [None] * (n + 2)
        lead = (slice(None),) * axis
        off = 0
        for i, size in zip(used, sizes):
            if need[i + 2]:
                grads[i + 2] = g[lead + (slice(off, off + size),)]
            off += size
        for i in range(n):
            if need[i + 2] and grads[i + 2] is None:
                grads[i + 2] = np.zeros((0,), dtype=g.dtype)  # a skipped empty 1-d input
        return tuple(grads)


def cat(tensors, dim=0, *, out=None):
    """Concatenate tensors along ``dim``: ``out = [t_0 | t_1 | ...]``; sizes must match in other dimensions.

    Dtypes are promoted to a common one; 1-d empty tensors are skipped (torch's legacy rule).
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("numtorch.cat(): expected a non-empty list of Tensors")
    tensors = _promote_all(tensors)
    used = tuple(i for i, x in enumerate(tensors) if x._data.shape != (0,)) or tuple(range(len(tensors)))
    for i in used:
        if tensors[i]._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    ref = tensors[used[0]]._data.shape
    nd = len(ref)
    # only 1-d empty tensors: torch returns an empty (0,) result without looking at dim
    d = 0 if len(used) == len(tensors) and ref == (0,) else wrap_dim(dim, nd, "cat")
    for i in used:
        s = tensors[i]._data.shape
        if len(s) != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {len(s)}")
        for k in range(nd):
            if k != d and s[k] != ref[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {ref[k]} but "
                                   f"got size {s[k]} for tensor number {i} in the list.")
    return out_arg(CatFunction.apply(d, used, *tensors), out)


def concat(tensors, dim=0, *, out=None):
    """Alias of :func:`cat`."""
    return cat(tensors, dim, out=out)


def concatenate(tensors, axis=0, out=None):
    """Alias of :func:`cat` (NumPy's argument name)."""
    return cat(tensors, axis, out=out)


class StackFunction(ArrayFunction):
    """out[..., k, ...] = input_k (a new dimension ``dim``);  d input_k = g[..., k, ...]."""
    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, axis, *xs):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.axis
        need = ctx.needs_input_grad
        return (None,) + tuple(g[lead + (k,)] if need[k + 1] else None for k in range(len(need) - 1))


def stack(tensors, dim=0, *, out=None):
    """Join equally shaped tensors along a new dimension ``dim``: ``out[..., k, ...] = tensors[k]``."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 and "
                               f"{list(x._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(s0) + 1, "stack")
    return out_arg(StackFunction.apply(d, *_promote_all(tensors)), out)


def hstack(tensors, *, out=None):
    """Concatenate along dimension 1 (dimension 0 for 1-d tensors), after :func:`atleast_1d`."""
    tensors = [_atleast(x, 1) for x in _tensor_list(tensors, "hstack")]
    if tensors and all(x._data.ndim == 1 for x in tensors):
        return cat(tensors, 0, out=out)
    return cat(tensors, 1, out=out)


def vstack(tensors, *, out=None):
    """Concatenate along dimension 0, after :func:`atleast_2d` (1-d tensors become rows)."""
    return cat([_atleast(x, 2) for x in _tensor_list(tensors, "vstack")], 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """Concatenate along dimension 2, after :func:`atleast_3d`."""
    return cat([_atleast(x, 3) for x in _tensor_list(tensors, "dstack")], 2, out=out)


def column_stack(tensors, *, out=None):
    """Concatenate along dimension 1, 0-d and 1-d tensors first becoming columns ``(n, 1)``."""
    cols = [_reshape(x, (x._data.size, 1)) if x._data.ndim <= 1 else x
            for x in _tensor_list(tensors, "column_stack")]
    return cat(cols, 1, out=out)


def _atleast(x, n):
    check_tensor(x, f"atleast_{n}d")
    nd = x._data.ndim
    if nd >= n:
        return x
    if nd == 0:
        return _reshape(x, (1,) * n)
    if n == 2 or (n == 3 and nd == 2):
        return unsqueeze(x, 0 if n == 2 else -1)
    return unsqueeze(unsqueeze(x, 0), -1)  # 1-d to 3-d: (n,) -> (1, n, 1)


def _atleast_many(tensors, n):
    if len(tensors) == 1:
        if isinstance(tensors[0], (list, tuple)):
            return tuple(_atleast(x, n) for x in tensors[0])
        return _atleast(tensors[0], n)
    return tuple(_atleast(x, n) for x in tensors)


def atleast_1d(*tensors):
    """Each input viewed with at least 1 dimension (0-d becomes ``(1,)``); one tensor in, one out."""
    return _atleast_many(tensors, 1)


def atleast_2d(*tensors):
    """Each input viewed with at least 2 dimensions (``(n,)`` becomes ``(1, n)``)."""
    return _atleast_many(tensors, 2)


def atleast_3d(*tensors):
    """Each input viewed with at least 3 dimensions (``(n,)`` -> ``(1, n, 1)``, ``(m, n)`` -> ``(m, n, 1)``)."""
    return _atleast_many(tensors, 3)


# ---------------------------------------------------------------------- split / chunk / unbind / narrow
class SplitFunction(ArrayFunction):
    """out_k = input[..., o_k : o_k + s_k, ...] along ``dim`` (views);  dx = the g_k joined along ``dim``."""
    node_name = "SplitBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x, sizes, axis):
        ctx.axis = axis
        lead = (slice(None),) * axis
        outs = []
        off = 0
        for s in sizes:
            outs.append(x[lead + (slice(off, off + s),)])
            off += s
        return tuple(outs)

    @staticmethod
    def backward(ctx, *gs):
        return np.concatenate(gs, axis=ctx.axis), None, None


class _SplitWithSizesFunction(SplitFunction):
    node_name = "SplitWithSizesBackward0"


@tensor_method()
def split(tensor, split_size_or_sections, dim=0):
    """Split into views along ``dim``: chunks of ``split_size`` (the last may be smaller) or of the given sizes."""
    shape = tensor._data.shape
    if not shape:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, len(shape), "split")
    n = shape[d] if shape else 1
    if isinstance(split_size_or_sections, (numbers.Integral, Tensor)) and not isinstance(
            split_size_or_sections, bool):
        s = operator.index(split_size_or_sections)
        if s < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
        if s == 0:
            if n != 0:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
            return SplitFunction.apply(tensor, (0,), d)
        k = max((n + s - 1) // s, 1)
        return SplitFunction.apply(tensor, (s,) * (k - 1) + (n - s * (k - 1),), d)
    sizes = _ints((tuple(split_size_or_sections),), "split", "split_size")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={list(sizes)}")
    if sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                           f"dimension {d}), but got split_sizes={list(sizes)}")
    return _SplitWithSizesFunction.apply(tensor, sizes, d)


@tensor_method()
def chunk(input, chunks, dim=0):
    """Split into ``chunks`` views of ``ceil(n / chunks)`` along ``dim`` (there may be fewer chunks)."""
    chunks = operator.index(chunks)
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    shape = input._data.shape
    d = wrap_dim(dim, len(shape), "chunk")
    n = shape[d]
    if n == 0:
        return SplitFunction.apply(input, (0,) * chunks, d)
    return split(input, (n + chunks - 1) // chunks, d)


class UnbindFunction(ArrayFunction):
    """out_k = input[..., k, ...] along ``dim`` (views);  dx = the g_k stacked along ``dim``."""
    node_name = "UnbindBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        lead = (slice(None),) * axis
        return tuple(x[lead + (k,)] for k in range(x.shape[axis]))

    @staticmethod
    def backward(ctx, *gs):
        return np.stack(gs, axis=ctx.axis), None


@tensor_method()
def unbind(input, dim=0):
    """All slices along ``dim``, as a tuple of views with that dimension removed."""
    return UnbindFunction.apply(input, wrap_dim(dim, input._data.ndim, "unbind"))


class SliceFunction(ArrayFunction):
    """out = input[..., start:stop, ...] along ``dim`` (a view);  dx = zeros with g written at those positions."""
    node_name = "SliceBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x, axis, start, stop):
        ctx.in_shape = x.shape
        ctx.index = (slice(None),) * axis + (slice(start, stop),)
        return x[ctx.index]

    @staticmethod
    def backward(ctx, g):
        gx = np.zeros(ctx.in_shape, dtype=g.dtype)
        gx[ctx.index] = g
        return gx, None, None, None


@tensor_method()
def tensor_split(input, indices_or_sections, dim=0):
    """Split into views along ``dim``: into ``n`` near-equal parts (the first ``size % n`` one larger), or at
    the given indices (``[:i_0], [i_0:i_1], ..., [i_k:]``)."""
    shape = input._data.shape
    if not shape:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = wrap_dim(dim, len(shape), "tensor_split")
    n = shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec._data.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{torch_type_name(spec._data.dtype)}")
        if spec._data.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {spec._data.ndim} dims")
        spec = int(spec._data) if spec._data.ndim == 0 else spec._data.tolist()
    if isinstance(spec, numbers.Integral):
        k = int(spec)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        bounds = []
        start = 0
        for i in range(k):
            stop = start + q + (1 if i < r else 0)
            bounds.append((start, stop))
            start = stop
    else:
        idx = _ints((tuple(spec),), "tensor_split", "indices")
        starts = (0,) + idx
        bounds = [(starts[i], idx[i]) for i in range(len(idx))] + [(starts[-1], None)]
    return tuple(SliceFunction.apply(input, d, a, b) for a, b in bounds)


@tensor_method()
def narrow(input, dim, start, length):
    """The view ``input[..., start:start + length, ...]`` along ``dim`` (a negative start counts from the end)."""
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape), "narrow")
    n = shape[d]
    start = operator.index(start)
    length = operator.index(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start < -n or start > n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return SliceFunction.apply(input, d, start, start + length)


# ---------------------------------------------------------------------- flip / roll
class FlipFunction(ArrayFunction):
    """out[..., i, ...] = input[..., n - 1 - i, ...] along each of ``dims`` (a copy);  dx = g flipped back."""
    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes).copy()

    @staticmethod
    def backward(ctx, g):
        return np.flip(g, ctx.axes), None


def flip(input, dims):
    """Reverse the order of elements along each dimension in ``dims`` (a copy, as in torch)."""
    check_tensor(input, "flip")
    return FlipFunction.apply(input, wrap_dims(_int_seq(dims, "flip", "dims"), input._data.ndim, "flip"))


@tensor_method("flip")
def _flip_method(self, *dims):
    """``x.flip(0)``, ``x.flip(0, 1)`` or ``x.flip((0, 1))``: see :func:`flip`."""
    return FlipFunction.apply(self, wrap_dims(_ints(dims, "flip", "dims"), self._data.ndim, "flip"))


@tensor_method()
def fliplr(input):
    """Reverse dimension 1 (left/right): ``out[i, j] = input[i, n - 1 - j]``; needs at least 2 dimensions."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return FlipFunction.apply(input, (1,))


@tensor_method()
def flipud(input):
    """Reverse dimension 0 (up/down): ``out[i] = input[n - 1 - i]``; needs at least 1 dimension."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return FlipFunction.apply(input, (0,))


class RollFunction(ArrayFunction):
    """out[..., (i + s) mod n, ...] = input[..., i, ...] along each rolled dimension;  dx = g rolled by -s."""
    node_name = "RollBackward0"

    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.meta = (shifts, axes)
        return np.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        shifts, axes = ctx.meta
        back = -shifts if isinstance(shifts, int) else tuple(-s for s in shifts)
        return np.roll(g, back, axes), None, None


@tensor_method()
def roll(input, shifts, dims=None):
    """Roll elements cyclically by ``shifts`` along ``dims``; without ``dims`` the flattened tensor is rolled.

    ``out[..., (i + s) mod n, ...] = input[..., i, ...]`` (a copy).
    """
    shifts = (shifts,) if not isinstance(shifts, (tuple, list)) else tuple(shifts)
    shifts = tuple(operator.index(s) for s in shifts)
    if dims is None or (isinstance(dims, (tuple, list)) and len(dims) == 0):
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return RollFunction.apply(input, shifts[0], None)
    dims = (dims,) if not isinstance(dims, (tuple, list)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    if input._data.ndim == 0:  # torch's dim check for a 0-d tensor (the empty shortcut below is for 1+ dims)
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    if len(dims) == 1 and input._data.size == 0:  # torch clones an empty tensor before looking at the dim
        return input.clone()
    axes = tuple(wrap_dim(d, input._data.ndim, "roll") for d in dims)
    return RollFunction.apply(input, shifts, axes)


# ---------------------------------------------------------------------- triangles and diagonals
class TrilFunction(ArrayFunction):
    """out[..., i, j] = input[..., i, j] if j - i <= k else 0;  dx = tril(g, k)."""
    node_name = "TrilBackward0"

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return np.tril(x, k)

    @staticmethod
    def backward(ctx, g):
        return np.tril(g, ctx.k), None


class TriuFunction(ArrayFunction):
    """out[..., i, j] = input[..., i, j] if j - i >= k else 0;  dx = triu(g, k)."""
    node_name = "TriuBackward0"

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return np.triu(x, k)

    @staticmethod
    def backward(ctx, g):
        return np.triu(g, ctx.k), None


def _triangle(fn, name, input, diagonal):
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return fn.apply(input, operator.index(diagonal))


@tensor_method()
def tril(input, diagonal=0, *, out=None):
    """Lower triangle of the last two dimensions: ``out[..., i, j] = input[..., i, j]`` where ``j - i <= diagonal``, else 0."""
    return out_arg(_triangle(TrilFunction, "tril", input, diagonal), out)


@tensor_method()
def triu(input, diagonal=0, *, out=None):
    """Upper triangle of the last two dimensions: ``out[..., i, j] = input[..., i, j]`` where ``j - i >= diagonal``, else 0."""
    return out_arg(_triangle(TriuFunction, "triu", input, diagonal), out)


@tensor_method()
def tril_(self, diagonal=0):
    """In-place :func:`tril`."""
    return _inplace(self, tril(self, diagonal))


@tensor_method()
def triu_(self, diagonal=0):
    """In-place :func:`triu`."""
    return _inplace(self, triu(self, diagonal))


def _inplace(self, result):
    if GradMode.enabled and (self._requires_grad or result._requires_grad):
        return commit_inplace(self, result)
    return commit_inplace(self, result.detach())


def _writable(view, base):
    """NumPy hands out diagonals read-only; make the view writable when the memory under it is."""
    if base.flags.writeable and not view.flags.writeable:
        view.flags.writeable = True
    return view


class DiagonalFunction(ArrayFunction):
    """out[..., k] = input[..., i + k, ..., j + k, ...] along the diagonal of ``(dim1, dim2)`` at ``offset``
    (a view, diagonal last);  dx = zeros with g written on that diagonal."""
    node_name = "DiagonalBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.meta = (x.shape, offset, dim1, dim2)
        return _writable(np.diagonal(x, offset, dim1, dim2), x)

    @staticmethod
    def backward(ctx, g):
        shape, offset, d1, d2 = ctx.meta
        gx = np.zeros(shape, dtype=g.dtype)
        _writable(np.diagonal(gx, offset, d1, d2), gx)[...] = g
        return gx, None, None, None


class _DiagonalCopyFunction(DiagonalFunction):
    node_name = "DiagonalBackward0_copy"
    view_of_input = False

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.meta = (x.shape, offset, dim1, dim2)
        return np.diagonal(x, offset, dim1, dim2).copy()


class DiagEmbedFunction(ArrayFunction):
    """out = zeros with input's last dimension written on the diagonal of ``(dim1, dim2)`` at ``offset``;
    dx = that diagonal of g."""
    node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.meta = (offset, dim1, dim2)
        n = x.shape[-1] + abs(offset)
        rest = iter(x.shape[:-1])
        shape = tuple(n if i in (dim1, dim2) else next(rest) for i in range(x.ndim + 1))
        out = np.zeros(shape, dtype=x.dtype)
        _writable(np.diagonal(out, offset, dim1, dim2), out)[...] = x
        return out

    @staticmethod
    def backward(ctx, g):
        offset, d1, d2 = ctx.meta
        return np.diagonal(g, offset, d1, d2), None, None, None


@tensor_method()
def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of the ``(dim1, dim2)`` planes, as a view with the diagonal as the last dimension.

    ``out[..., k] = input[..., k, ..., k + offset, ...]`` for ``offset >= 0`` (``k - offset, k`` below).
    """
    nd = input._data.ndim
    d1 = wrap_dim(dim1, nd, "diagonal")
    d2 = wrap_dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagonalFunction.apply(input, operator.index(offset), d1, d2)


@tensor_method()
def diag(input, diagonal=0, *, out=None):
    """A 1-d input becomes a square matrix with it on diagonal ``diagonal``; a 2-d input gives that diagonal (a copy)."""
    nd = input._data.ndim
    k = operator.index(diagonal)
    if nd == 1:
        return out_arg(DiagEmbedFunction.apply(input, k, 0, 1), out)
    if nd == 2:
        return out_arg(_DiagonalCopyFunction.apply(input, k, 0, 1), out)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


@tensor_method()
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Zeros with the last dimension of ``input`` written on the diagonal of the new ``(dim1, dim2)`` planes."""
    nd = input._data.ndim + 1
    d1 = wrap_dim(dim1, nd, "diag_embed")
    d2 = wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbedFunction.apply(input, operator.index(offset), d1, d2)


# ---------------------------------------------------------------------- meshgrid
def meshgrid(*tensors, indexing=None):
    """Coordinate grids: ``out_k[i_0, ..., i_n] = tensors[k][i_k]`` ('ij'); 'xy' swaps the first two axes.

    Each output is an expanded view of its input.
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn("numtorch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'numtorch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for x in tensors:
        check_tensor(x, "meshgrid")
        if x._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if x._data.ndim > 1:
            raise RuntimeError(f"numtorch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {x}")
    n = len(tensors)
    axes = list(range(n))
    if indexing == "xy" and n >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * n
    for x, a in zip(tensors, axes):
        shape[a] = x._data.size
    outs = []
    for x, a in zip(tensors, axes):
        vshape = tuple(shape[a] if i == a else 1 for i in range(n))
        outs.append(ExpandFunction.apply(_reshape(x, vshape), tuple(shape)))
    return tuple(outs)


# ---------------------------------------------------------------------- einsum
_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _einsum_terms(equation):
    """Split an equation into input terms and the output term (None when implicit), validating characters."""
    terms = [[]]
    out = None
    i = 0
    eq = equation
    while i < len(eq):
        c = eq[i]
        if c.isascii() and c.isalpha():
            (terms[-1] if out is None else out).append(c)
        elif c == " ":
            pass
        elif c == "." and eq[i:i + 3] == "...":
            (terms[-1] if out is None else out).append("...")
            i += 2
        elif c == "," and out is None:
            terms.append([])
        elif c == "-" and out is None and eq[i:i + 2] == "->":
            out = []
            i += 1
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, subscripts "
                               f"must be in [a-zA-Z]")
        i += 1
    return terms, out


def _einsum_spec(equation, shapes):
    """Explicit NumPy subscripts: ellipses replaced by unused letters, the output made explicit."""
    terms, out = _einsum_terms(equation)
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    used = set(c for term in terms for c in term) | set(out or ())
    free = [c for c in _LABELS if c not in used]
    n_ell = 0
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        n_lab = sum(1 for c in term if c != "...")
        ells = term.count("...")
        if ells > 1:
            raise RuntimeError(f"einsum(): found '...' for operand {k} for which an ellipsis was already found")
        if not ells and n_lab != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_lab}) does not match the "
                               f"number of dimensions ({len(shape)}) for operand {k} and no ellipsis was given")
        if ells and n_lab > len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n_lab}) is more than the "
                               f"number of dimensions ({len(shape)}) for operand {k}")
        if ells:
            n_ell = max(n_ell, len(shape) - n_lab)
    ell = "".join(free[:n_ell])
    subs = []
    for term, shape in zip(terms, shapes):
        m = len(shape) - sum(1 for c in term if c != "...")
        subs.append("".join(ell[n_ell - m:] if c == "..." else c for c in term))
    sizes = {}
    for k, (s, shape) in enumerate(zip(subs, shapes)):
        own = {}
        for c, n in zip(s, shape):
            if c in own and own[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't match, "
                                   f"{own[c]} != {n}")
            own[c] = n
        for c, n in own.items():
            prev = sizes.get(c)
            if prev is not None and prev != n and prev != 1 and n != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast "
                                   f"with previously seen size {prev}")
            sizes[c] = n if prev is None or prev == 1 else prev
    if out is None:
        counts = {}
        for s in subs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        rhs = ell + "".join(c for c in _LABELS if counts.get(c) == 1 and c not in ell)
    else:
        rhs = ""
        for c in out:
            if c == "...":
                rhs += ell
                continue
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   f"operand")
            if c in rhs:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            rhs += c
    return tuple(subs), rhs


class EinsumFunction(ArrayFunction):
    """out = einsum(equation, *operands): products over shared subscripts, summed over those not in the output.

    d operand_k = einsum of g with the other operands onto operand_k's subscripts (summed where operand_k
    was broadcast, broadcast where its subscript was summed away, written on the diagonal for a repeated one).
    numtorch computes einsum as one fused node (torch records the permute/bmm/view chain it lowers to).
    """
    node_name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, spec, *xs):
        subs, rhs = spec
        ctx.spec = spec
        ctx.save_for_backward(*xs)
        out = np.asarray(np.einsum(",".join(subs) + "->" + rhs, *xs, optimize=True))
        if out.base is not None and any(np.may_share_memory(out, x) for x in xs):
            out = out.copy()  # NumPy may return a view of a lone operand; torch's result never aliases it here
        return out

    @staticmethod
    def backward(ctx, g):
        subs, rhs = ctx.spec
        xs = ctx.saved_tensors
        grads = [None]
        for k, need in enumerate(ctx.needs_input_grad[1:]):
            grads.append(_einsum_grad(k, subs, rhs, xs, g) if need else None)
        return tuple(grads)


def _einsum_grad(k, subs, rhs, xs, g):
    s, x = subs[k], xs[k]
    uniq = "".join(dict.fromkeys(s))
    size = {c: x.shape[s.index(c)] for c in uniq}
    others = [(subs[j], xs[j]) for j in range(len(xs)) if j != k]
    avail = set(rhs).union(*[set(t) for t, _ in others])
    tgt = "".join(c for c in uniq if c in avail)
    eq = ",".join([rhs] + [t for t, _ in others]) + "->" + tgt
    gk = np.asarray(np.einsum(eq, g, *[a for _, a in others], optimize=True))
    if gk.shape != tuple(size[c] for c in tgt):  # size 1 in the operands that produced gk: broadcast back
        gk = np.broadcast_to(gk, np.broadcast_shapes(gk.shape, tuple(size[c] for c in tgt)))
    bcast = tuple(i for i, c in enumerate(tgt) if size[c] == 1 and gk.shape[i] != 1)
    if bcast:  # operand k was broadcast along these subscripts: sum back to size 1
        gk = gk.sum(axis=bcast, keepdims=True)
    if len(tgt) != len(uniq):  # subscripts summed away in the forward: the gradient is constant along them
        gk = np.broadcast_to(gk.reshape(tuple(gk.shape[tgt.index(c)] if c in tgt else 1 for c in uniq)),
                             tuple(size[c] for c in uniq))
    if len(uniq) == len(s):
        return gk.astype(x.dtype, copy=False)
    gx = np.zeros(x.shape, dtype=x.dtype)  # a repeated subscript: write onto the (generalised) diagonal
    strides = tuple(sum(gx.strides[i] for i, c2 in enumerate(s) if c2 == c) for c in uniq)
    np.lib.stride_tricks.as_strided(gx, tuple(size[c] for c in uniq), strides)[...] = gk
    return gx


def einsum(*args):
    """Einstein summation: ``einsum('ij,jk->ik', a, b)`` multiplies operands over shared subscripts and sums
    over those missing from the output (implicit output: subscripts seen once, in alphabetical order).

    Also accepts the operands as one list, and the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.
    Size-1 dimensions broadcast; ``...`` stands for broadcast batch dimensions.
    """
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, or at least one "
                        "operand and its subscripts list")
    if isinstance(args[0], str):
        equation = args[0]
        ops = args[1:]
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = tuple(ops[0])
    else:
        equation, ops = _einsum_sublist(args)
    for i, x in enumerate(ops):
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum(): expected Tensor as operand {i}, got {type(x).__name__}")
    for x in ops[1:]:
        if x._data.dtype != ops[0]._data.dtype:
            raise RuntimeError(f"expected scalar type {torch_type_name(ops[0]._data.dtype)} but found "
                               f"{torch_type_name(x._data.dtype)}")
    spec = _einsum_spec(equation, [x._data.shape for x in ops])
    return EinsumFunction.apply(spec, *ops)


def _einsum_sublist(args):
    def term(sub):
        out = ""
        for v in sub:
            if v is Ellipsis:
                out += "..."
            else:
                v = operator.index(v)
                if not 0 <= v < 52:
                    raise RuntimeError(f"einsum(): subscript in subscript list is not within the valid range "
                                       f"[0, 52), got {v}")
                out += _LABELS[v]
        return out
    ops = list(args[0::2])
    subs = list(args[1::2])
    rhs = None
    if len(args) % 2 == 1:
        rhs = ops.pop()
        rhs = term(rhs)
    eq = ",".join(term(s) for s in subs)
    return (eq if rhs is None else eq + "->" + rhs), tuple(ops)
