"""``numtorch.save`` / ``numtorch.load``: checkpoints in PyTorch's own zip format, read and written without torch.

A checkpoint is a zip archive that holds, under one folder (``<name>/``):

* ``data.pkl`` - a pickle of the saved object in which every tensor is the call
  ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, OrderedDict())``
  and every storage is a *persistent id* ``('storage', torch.FloatStorage, key, 'cpu', numel)``;
* ``data/<key>`` - the raw little-endian bytes of each storage, stored uncompressed and 64-byte aligned;
* ``byteorder``, ``version``, ``.format_version``, ``.storage_alignment`` and ``.data/serialization_id``.

Element :math:`(i_0, \\dots, i_{k-1})` of a tensor is read from its storage as

.. math::
    x[i_0, \\dots, i_{k-1}] = \\text{storage}\\Big[\\text{storage\\_offset} + \\sum_d i_d \\cdot \\text{stride}_d\\Big]

so tensors that share memory (views, tied weights) share one storage record and come back sharing memory.

Safety: :func:`load` never executes code from a file. Its unpickler admits only the globals a checkpoint of
tensors needs (the tensor-rebuild functions, storage types, dtypes, ``torch.Size``, ``torch.device``,
``collections.OrderedDict``/``Counter``, ``set``/``bytearray``/``complex`` and ``_codecs.encode``) and refuses
every other global - a pickled class, ``os.system`` - with :class:`pickle.UnpicklingError` naming it. It calls
only those functions, never ``__setstate__`` or a class constructor named by the file. :func:`save` writes the
pickle opcodes itself (it never imports torch) and refuses objects it cannot express that way.

Paths are written atomically: into a temporary file beside the target, flushed and fsynced, then renamed over
it, so a crash or an error mid-write leaves the previous file untouched and no temporary file behind.
"""
import collections
import io
import mmap as _mmap
import os
import pickle
import reprlib
import struct
import sys
import tempfile
import types
import warnings
import zipfile
import zlib

import numpy as np

from . import _dtype
from ._device import device as _device_cls, check_device
from ._size import Size
from ._tensor import Tensor, _from_array

__all__ = ["save", "load"]

# --------------------------------------------------------------------------------------------- the format
#: torch's legacy storage class for each dtype numtorch has (the name torch pickles as ``torch.<Name>``).
_STORAGE_NAME = {
    _dtype.bool: "BoolStorage", _dtype.uint8: "ByteStorage", _dtype.int8: "CharStorage",
    _dtype.int16: "ShortStorage", _dtype.int32: "IntStorage", _dtype.int64: "LongStorage",
    _dtype.float16: "HalfStorage", _dtype.float32: "FloatStorage", _dtype.float64: "DoubleStorage",
    _dtype.complex64: "ComplexFloatStorage", _dtype.complex128: "ComplexDoubleStorage",
}
_STORAGE_BY_NP = {d.np: name for d, name in _STORAGE_NAME.items()}
#: torch dtypes NumPy (hence numtorch) cannot hold; named in errors instead of being refused as unknown.
_FOREIGN_DTYPES = ("uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
                   "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "complex32", "chalf", "qint8",
                   "quint8", "qint32", "quint4x2", "quint2x4", "bits8", "bits16", "bits1x8", "bits2x4",
                   "bits4x2", "int1", "int2", "int3", "int4", "int5", "int6", "int7", "uint1", "uint2", "uint3",
                   "uint4", "uint5", "uint6", "uint7")
_ALIGNMENT = 64          # torch's default storage alignment (the ``.storage_alignment`` record)
_FORMAT_VERSION = b"3\n"  # the ``version`` record torch 2.x writes for plain tensor data
_U32 = 0xFFFFFFFF        # the 32-bit field maximum, written as the placeholder when zip64 fields hold a value
_ZIP64_AT = _U32         # a size or offset at least this large needs the zip64 fields
_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"  # pickled 0x1950a86a20f9469cfc6c, legacy torch
_INT64_MAX = 2 ** 63 - 1
_CHUNK = 1 << 24
#: Deepest tuple nesting a checkpoint may hold. pickle (so torch.save) cannot write more than Python's default
#: recursion limit of levels, and hashing a far deeper tuple (a dict key) overflows the C stack.
_MAX_TUPLE_DEPTH = 1000


# ============================================================================================= save
def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    """Save an object (a ``state_dict``, a training checkpoint, nested containers of tensors) in torch's format.

    The file loads in PyTorch with ``torch.load(f, weights_only=True)`` (also with ``mmap=True``) and in
    numtorch with :func:`numtorch.load`. A tensor is written as its storage and the view into it:

    .. math::
        x[i_0, \\dots, i_{k-1}] = \\text{storage}\\Big[\\text{offset} + \\sum_d i_d \\cdot \\text{stride}_d\\Big]

    Tensors whose memory overlaps (views of one array, tied weights) are written as one storage, with their
    offsets and strides, exactly as torch does; like torch, a view saves the whole storage it looks into.

    Supported objects: tensors and ``nn.Parameter``; ``None``, ``bool``, ``int``, ``float``, ``complex``,
    ``str``, ``bytes``, ``bytearray``; ``list``, ``tuple``, ``dict``, ``collections.OrderedDict`` (with its
    ``_metadata`` attribute, as ``state_dict()`` returns it), ``collections.Counter``, ``set``; numtorch
    dtypes, ``numtorch.Size`` and ``numtorch.device`` (written as their torch counterparts). Anything else raises
    :class:`pickle.PicklingError` naming the object and where it sits, before any file is touched (a
    :class:`TypeError`, as torch's, for an object that pickle itself cannot write, such as a generator).

    Args:
        obj: the object to save.
        f: a path (``str`` or ``os.PathLike``), written atomically (temporary file, fsync, rename), or a
            writable binary file object, written from its current position.
        pickle_module: must be ``None`` or the standard :mod:`pickle` module: numtorch writes the pickle itself.
        pickle_protocol (int): accepted for compatibility; numtorch always writes protocol 2, the protocol
            torch writes and the one its ``weights_only`` loader reads. Default: ``2``.
        _use_new_zipfile_serialization (bool): must be ``True``; numtorch writes only the zip format.

    Example::

        >>> model = numtorch.nn.Linear(3, 2)
        >>> numtorch.save(model.state_dict(), "model.pt")   # torch.load("model.pt", weights_only=True) reads it
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError("numtorch.save writes the pickle itself, restricted to what torch.load(weights_only=True) "
                         f"reads: pickle_module must be None or the pickle module, got {pickle_module!r}")
    if not isinstance(pickle_protocol, int) or isinstance(pickle_protocol, bool) or \
            not 0 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"pickle protocol must be an int in [0, {pickle.HIGHEST_PROTOCOL}], got {pickle_protocol!r}")
    if not _use_new_zipfile_serialization:
        raise ValueError("numtorch.save writes only PyTorch's zip format (_use_new_zipfile_serialization=True); "
                         "the legacy format can neither be written nor read by numtorch")
    pickler = _CheckpointPickler()
    data_pkl = pickler.dump(obj)               # every error about obj is raised here, before any file exists
    storages = pickler.storages
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        name = os.path.splitext(os.path.basename(path))[0] or "archive"
        _atomic_write(path, lambda fh: _write_archive(fh, name, data_pkl, storages))
        return
    if not callable(getattr(f, "write", None)):
        raise TypeError(f"numtorch.save: f must be a path (str or os.PathLike) or a writable binary file object, "
                        f"got {type(f).__name__}")
    _write_archive(f, "archive", data_pkl, storages)


def _atomic_write(path, write, by_path=False):
    """Write a file through ``write(fileobj)`` so that ``path`` is replaced whole or not at all.

    The bytes go to a temporary file in the target's directory, are flushed and fsynced, and the file is renamed
    over the target with :func:`os.replace` (atomic on POSIX and Windows). On any error the temporary file is
    removed and the old file is left as it was. A symlink is followed: the file it points to is replaced.
    With ``by_path=True``, ``write`` receives the temporary file's path instead (for writers that open files
    themselves, as the safetensors package does).
    """
    target = os.path.realpath(path)
    parent = os.path.dirname(target) or "."
    if not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {os.path.dirname(path) or parent} does not exist.")
    if os.path.isdir(target):
        raise RuntimeError(f"cannot write to {path}: it is a directory; expected a file path")
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if not by_path:
                write(fh)
                fh.flush()
            else:
                fh.close()
                write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(parent)


def _umask():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _fsync_dir(directory):
    """Make the rename itself durable where the OS allows opening a directory (POSIX)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------- storages
def _byte_bounds(arr):
    """``[lo, hi)``: the addresses of the first and one past the last byte an array touches."""
    lo = hi = arr.__array_interface__["data"][0]
    if arr.size == 0:
        return lo, hi
    for n, s in zip(arr.shape, arr.strides):
        step = (n - 1) * s
        if step < 0:
            lo += step
        else:
            hi += step
    return lo, hi + arr.itemsize


def _root(arr):
    """The last ndarray in an array's ``.base`` chain: the array that owns (or first wrapped) its memory."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


class _Storage:
    """One storage record to write: the byte range ``[lo, hi)`` of memory that one or more tensors view."""

    def __init__(self, lo, hi, owners):
        self.lo, self.hi = lo, hi
        self.owners = owners        # the arrays whose memory this is (kept alive until written)
        self.dtype = None           # numpy dtype of the tensors viewing it
        self.key = None             # its record name, given in the order tensors are pickled

    def buffer(self):
        """The storage's bytes as a memoryview, without copying."""
        n = self.hi - self.lo
        if n == 0:
            return memoryview(b"")
        if len(self.owners) == 1:
            a = self.owners[0]
            if (a.flags.c_contiguous or a.flags.f_contiguous) and _byte_bounds(a) == (self.lo, self.hi):
                return memoryview(a.reshape(-1, order="A").view(np.uint8))
        # Several arrays over one allocation (or a strided one): read the covered range of that allocation.
        import ctypes
        return memoryview((ctypes.c_char * n).from_address(self.lo)).cast("B")


def _plan_storages(tensors):
    """Map each tensor to ``(storage, offset, size, stride)``, grouping tensors that share memory.

    Tensors are grouped by the array that owns their memory; owners whose byte ranges overlap (arrays made
    over one foreign buffer) are merged into one storage. A tensor torch cannot express as a view of such a
    storage (negative or non-element strides, no elements) gets a contiguous copy as a storage of its own.
    """
    roots = {}
    for t in tensors:
        arr = t._data
        if arr.size:
            r = _root(arr)
            roots.setdefault(id(r), r)
    # merge owners with overlapping byte ranges into one storage each
    spans = sorted((_byte_bounds(r) + (r,) for r in roots.values()), key=lambda s: s[0])
    storage_of = {}
    current = None
    for lo, hi, r in spans:
        if current is not None and lo < current.hi:
            current.hi = max(current.hi, hi)
            current.owners.append(r)
        else:
            current = _Storage(lo, hi, [r])
        storage_of[id(r)] = current

    plan = {}
    for t in tensors:
        arr = t._data
        st = storage_of.get(id(_root(arr))) if arr.size else None
        if st is not None:
            if st.dtype is None:
                st.dtype = arr.dtype
            elif st.dtype != arr.dtype:
                raise RuntimeError("Cannot save multiple tensors or storages that view the same data as "
                                   "different types")
            entry = _view_of(arr, st)
            if entry is not None:
                plan[id(t)] = entry
                continue
        copy = np.array(arr, order="C", copy=True)
        own = _Storage(*_byte_bounds(copy), [copy])
        own.dtype = copy.dtype
        plan[id(t)] = (own, 0, copy.shape, _contiguous_strides(copy.shape))
    return plan


def _view_of(arr, st):
    """``(storage, offset, size, stride)`` in elements when ``arr`` is a torch-expressible view of ``st``."""
    item = arr.itemsize
    off = arr.__array_interface__["data"][0] - st.lo
    if off % item or (st.hi - st.lo) % item or any(s < 0 or s % item for s in arr.strides):
        return None
    return st, off // item, arr.shape, tuple(s // item for s in arr.strides)


def _contiguous_strides(shape):
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


# --------------------------------------------------------------------------------------------- pickle writer
_P = pickle  # opcode constants: _P.MARK, _P.REDUCE, ...


class _CheckpointPickler:
    """A pickle writer (protocol 2) for the objects a checkpoint holds, emitting each GLOBAL opcode itself.

    The standard Pickler would import a global's module to check it; here the globals are torch's names, which
    need not (and must not) be importable. Only the opcodes torch's ``weights_only`` unpickler reads are used.
    """

    def __init__(self):
        self.out = bytearray()
        self.n = 0              # memo slots used; like Python's pickler, every tuple and REDUCE result gets one
        self.memo = {}          # id(obj) -> (memo index, obj): obj kept alive so its id is never reused
        self.str_memo = {}      # str -> memo index
        self.global_memo = {}   # (module, name) -> memo index
        self.in_progress = set()
        self.where = []
        self.plan = None
        self.storages = []      # in key order

    def dump(self, obj):
        tensors = []
        _collect_tensors(obj, tensors, set())
        self.plan = _plan_storages(tensors)
        self.out += _P.PROTO + b"\x02"
        self.save(obj)
        self.out += _P.STOP
        return bytes(self.out)

    # ------------------------------------------------------------------ memo
    def _put(self, index):
        self.out += _P.BINPUT + bytes([index]) if index < 256 else _P.LONG_BINPUT + struct.pack("<I", index)

    def _get(self, index):
        self.out += _P.BINGET + bytes([index]) if index < 256 else _P.LONG_BINGET + struct.pack("<I", index)

    def _next_index(self):
        self.n += 1
        return self.n - 1

    def _memoize(self, obj=None):
        """BINPUT the object on top of the stack; ``obj`` (when given) is found again by identity."""
        index = self._next_index()
        if obj is not None:
            self.memo[id(obj)] = (index, obj)
        self._put(index)

    def _reduce(self, n_args):
        """Close an argument tuple of ``n_args`` (MARK already written when more than 3) and call REDUCE."""
        if n_args:
            self.out += (_P.TUPLE1, _P.TUPLE2, _P.TUPLE3)[n_args - 1] if n_args <= 3 else _P.TUPLE
            self._memoize()
        else:
            self.out += _P.EMPTY_TUPLE
        self.out += _P.REDUCE

    def _global(self, module, name):
        key = (module, name)
        index = self.global_memo.get(key)
        if index is not None:
            self._get(index)
            return
        self.out += _P.GLOBAL + module.encode("ascii") + b"\n" + name.encode("ascii") + b"\n"
        index = self._next_index()
        self.global_memo[key] = index
        self._put(index)

    # ------------------------------------------------------------------ scalars
    def _int(self, x):
        if 0 <= x < 256:
            self.out += _P.BININT1 + bytes([x])
        elif 0 <= x < 65536:
            self.out += _P.BININT2 + struct.pack("<H", x)
        elif -2 ** 31 <= x < 2 ** 31:
            self.out += _P.BININT + struct.pack("<i", x)
        else:
            data = x.to_bytes((x.bit_length() + 8) // 8, "little", signed=True)
            if len(data) > 255:
                self._fail(x, "an int this large (over 2040 bits) has no protocol-2 opcode torch reads")
            self.out += _P.LONG1 + bytes([len(data)]) + data

    def _float(self, x):
        self.out += _P.BINFLOAT + struct.pack(">d", x)

    def _str(self, s):
        index = self.str_memo.get(s)
        if index is not None:
            self._get(index)
            return
        data = s.encode("utf-8", "surrogatepass")
        self.out += _P.BINUNICODE + struct.pack("<I", len(data)) + data
        index = self._next_index()
        self.str_memo[s] = index
        self._put(index)

    def _bytes_value(self, b):
        # protocol 2 has no bytes opcode; torch (and Python) write _codecs.encode(latin-1 text, 'latin1')
        self._global("_codecs", "encode")
        self._str(bytes(b).decode("latin-1"))
        self._str("latin1")
        self._reduce(2)

    # ------------------------------------------------------------------ dispatch
    def save(self, obj):
        if obj is None:
            self.out += _P.NONE
            return
        t = type(obj)
        if t is bool:
            self.out += _P.NEWTRUE if obj else _P.NEWFALSE
        elif t is int:
            self._int(obj)
        elif t is float:
            self._float(obj)
        elif t is str:
            self._str(obj)
        else:
            hit = self.memo.get(id(obj))
            if hit is not None:
                self._get(hit[0])
                return
            if isinstance(obj, Tensor):
                self._tensor(obj)
            elif t is tuple:
                self._tuple(obj)
            elif t is list:
                self._list(obj)
            elif t is dict:
                self._dict(obj)
            elif t is collections.OrderedDict:
                self._ordered_dict(obj)
            elif t is collections.Counter:
                self._global("collections", "Counter")
                self._dict(dict(obj))
                self._reduce(1)
                self._memoize(obj)
            elif t is set:
                self._global("__builtin__", "set")
                self._list(list(obj))
                self._reduce(1)
                self._memoize(obj)
            elif t is bytes:
                self._bytes_value(obj)
                self._memoize(obj)
            elif t is bytearray:
                self._global("__builtin__", "bytearray")
                self._bytes_value(obj)
                self._memoize()
                self._reduce(1)
                self._memoize(obj)
            elif t is complex:
                self._global("__builtin__", "complex")
                self._float(obj.real)
                self._float(obj.imag)
                self._reduce(2)
                self._memoize(obj)
            elif t is Size:
                self._global("torch", "Size")
                self._int_tuple(obj)
                self._reduce(1)
                self._memoize(obj)
            elif t is _dtype.dtype or obj is _dtype.bfloat16:
                self._global("torch", obj.name)
            elif t is _device_cls:
                self._global("torch", "device")
                self._str(obj.type)
                if obj.index is not None:
                    self._int(obj.index)
                self._reduce(1 if obj.index is None else 2)
                self._memoize(obj)
            else:
                self._fail(obj)

    def _fail(self, obj, why=None):
        t = type(obj)
        where = "obj"
        for kind, k in self.where:
            where += f".{k}" if kind == "attr" else f"[{_short_repr(k)}]" + (" (a key)" if kind == "key" else "")
        if why is None:
            why = ("numtorch.save writes tensors, Parameters, None/bool/int/float/complex/str/bytes/bytearray, "
                   "list/tuple/dict/OrderedDict/Counter/set, dtypes, Size and device - what "
                   "torch.load(weights_only=True) reads; save its state (e.g. a state_dict) instead")
            if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
                why = "convert NumPy values first: numtorch.from_numpy(array) or value.item()"
        msg = f"numtorch.save: cannot save an object of type '{t.__module__}.{t.__qualname__}' at {where}: {why}"
        if not isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            try:
                obj.__reduce_ex__(2)
            except TypeError as e:  # not even pickle can write it: torch.save raises this TypeError too
                raise TypeError(f"{e}; {msg}") from None
        raise pickle.PicklingError(msg)

    def _descend(self, label, obj):
        self.where.append(label)
        self.save(obj)
        self.where.pop()

    # ------------------------------------------------------------------ containers
    def _tuple(self, obj):
        if id(obj) in self.in_progress:
            self._fail(obj, "a tuple that contains itself cannot be written")
        n = len(obj)
        if n == 0:
            self.out += _P.EMPTY_TUPLE
            return
        self.in_progress.add(id(obj))
        if n > 3:
            self.out += _P.MARK
        for i, x in enumerate(obj):
            self._descend(("item", i), x)
        self.in_progress.discard(id(obj))
        self.out += (_P.TUPLE1, _P.TUPLE2, _P.TUPLE3)[n - 1] if n <= 3 else _P.TUPLE
        self._memoize(obj)

    def _list(self, obj):
        self.out += _P.EMPTY_LIST
        self._memoize(obj)
        items = list(obj)
        for start in range(0, len(items), 1000):
            batch = items[start:start + 1000]
            if len(batch) > 1:
                self.out += _P.MARK
            for i, x in enumerate(batch, start):
                self._descend(("item", i), x)
            self.out += _P.APPENDS if len(batch) > 1 else _P.APPEND

    def _dict(self, obj):
        self.out += _P.EMPTY_DICT
        self._memoize(obj)
        self._dict_items(obj)

    def _dict_items(self, obj):
        items = list(obj.items())
        for start in range(0, len(items), 1000):
            batch = items[start:start + 1000]
            if len(batch) > 1:
                self.out += _P.MARK
            for k, v in batch:
                self._descend(("key", k), k)
                self._descend(("item", k), v)
            self.out += _P.SETITEMS if len(batch) > 1 else _P.SETITEM

    def _ordered_dict(self, obj):
        # As Python reduces it: OrderedDict(), then its items, then its attributes (state_dict's _metadata).
        self._global("collections", "OrderedDict")
        self._reduce(0)
        self._memoize(obj)
        self._dict_items(obj)
        state = dict(vars(obj))
        if state:
            self.where.append(("attr", "__dict__"))
            self._dict(state)
            self.where.pop()
            self.out += _P.BUILD

    # ------------------------------------------------------------------ tensors
    def _tensor(self, t):
        from .nn.parameter import Parameter
        if isinstance(t, Parameter):
            # torch._utils._rebuild_parameter(<tensor without requires_grad>, requires_grad, OrderedDict())
            self._global("torch._utils", "_rebuild_parameter")
            self._tensor_v2(t, False)
            self._memoize()
            self.out += _P.NEWTRUE if t.requires_grad else _P.NEWFALSE
            self._empty_ordered_dict()
            self._reduce(3)
        else:
            self._tensor_v2(t, t.requires_grad)
        self._memoize(t)

    def _tensor_v2(self, t, requires_grad):
        st, offset, size, stride = self.plan[id(t)]
        if st.key is None:
            st.key = str(len(self.storages))
            self.storages.append(st)
        item = st.dtype.itemsize
        self._global("torch._utils", "_rebuild_tensor_v2")
        self.out += _P.MARK
        # persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel) -> BINPERSID
        self.out += _P.MARK
        self._str("storage")
        self._global("torch", _STORAGE_BY_NP[st.dtype])
        self._str(st.key)
        self._str("cpu")
        self._int((st.hi - st.lo) // item)
        self.out += _P.TUPLE
        self._memoize()
        self.out += _P.BINPERSID
        self._int(offset)
        self._int_tuple(size)
        self._int_tuple(stride)
        self.out += _P.NEWTRUE if requires_grad else _P.NEWFALSE
        self._empty_ordered_dict()
        self._reduce(6)

    def _int_tuple(self, values):
        n = len(values)
        if n == 0:
            self.out += _P.EMPTY_TUPLE
            return
        if n > 3:
            self.out += _P.MARK
        for v in values:
            self._int(int(v))
        self.out += (_P.TUPLE1, _P.TUPLE2, _P.TUPLE3)[n - 1] if n <= 3 else _P.TUPLE
        self._memoize()

    def _empty_ordered_dict(self):
        self._global("collections", "OrderedDict")
        self._reduce(0)
        self._memoize()


def _short_repr(x):
    r = repr(x) if isinstance(x, (str, int, float, bool, type(None), tuple)) else f"<{type(x).__name__}>"
    return r if len(r) <= 60 else r[:57] + "..."


def _collect_tensors(obj, out, seen):
    """Every Tensor reachable through the containers :func:`save` writes, in first-seen order."""
    if isinstance(obj, Tensor):
        if id(obj) not in seen:
            seen.add(id(obj))
            out.append(obj)
        return
    t = type(obj)
    if t in (list, tuple, set):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        for x in obj:
            _collect_tensors(x, out, seen)
    elif t in (dict, collections.OrderedDict, collections.Counter):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        for k, v in obj.items():
            _collect_tensors(k, out, seen)
            _collect_tensors(v, out, seen)
        if t is collections.OrderedDict:
            for v in vars(obj).values():
                _collect_tensors(v, out, seen)


# --------------------------------------------------------------------------------------------- zip writer
def _write_archive(fh, name, data_pkl, storages):
    """Write the records in the order and layout torch's writer (miniz) uses."""
    w = _ZipWriter(fh, name)
    w.record("data.pkl", memoryview(data_pkl))
    w.record(".format_version", memoryview(b"1"))
    w.record(".storage_alignment", memoryview(str(_ALIGNMENT).encode()))
    w.record("byteorder", memoryview(sys.byteorder.encode()))
    for st in storages:
        w.record(f"data/{st.key}", st.buffer())
    w.record("version", memoryview(_FORMAT_VERSION))
    w.record(".data/serialization_id", memoryview(w.serialization_id()))
    w.finish()


class _ZipWriter:
    """A minimal zip writer with torch's conventions.

    Each record: a local header whose extra field ``FB`` pads the data to a 64-byte boundary (so storages can
    be memory-mapped), the data uncompressed, then a data descriptor (flag bit 3) carrying its CRC-32 and size.
    The central directory ends with the zip64 end records and the classic end record, as miniz writes them.
    Offsets count from where writing started.
    """

    def __init__(self, fh, name):
        self.fh = fh
        self.prefix = name
        self.pos = 0
        self.entries = []       # (name bytes, crc, size, local header offset)

    def _write(self, data):
        self.fh.write(data)
        self.pos += len(data)

    def record(self, name, data):
        full = f"{self.prefix}/{name}".encode("utf-8")
        size = data.nbytes
        crc = zlib.crc32(data) & _U32
        offset = self.pos
        zip64 = b""
        if size >= _ZIP64_AT or offset >= _ZIP64_AT:
            fields = (struct.pack("<QQ", size, size) if size >= _ZIP64_AT else b"") + \
                     (struct.pack("<Q", offset) if offset >= _ZIP64_AT else b"")
            zip64 = struct.pack("<HH", 1, len(fields)) + fields
        start = offset + 30 + len(full) + len(zip64) + 4
        pad = -start % _ALIGNMENT
        extra = zip64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        self._write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 0, 0x0808, 0, 0, 0, 0, 0, 0,
                                len(full), len(extra)))
        self._write(full + extra)
        if size:
            self._write(data)
            if zip64:
                self._write(struct.pack("<4sIQQ", b"PK\x07\x08", crc, size, size))
            else:
                self._write(struct.pack("<4sIII", b"PK\x07\x08", crc, size, size))
        self.entries.append((full, crc, size, offset))

    def serialization_id(self):
        # 40 decimal digits, as torch writes; derived from the records' CRCs so equal content gives equal files.
        h = 0xCBF29CE484222325
        for full, crc, size, _ in self.entries:
            for v in (zlib.crc32(full), crc, size):
                h = ((h ^ v) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        return b"%020d%020d" % (h, zlib.crc32(b"%d" % h) * 0x9E3779B1 & 0xFFFFFFFFFFFFFFFF)

    def finish(self):
        cd_start = self.pos
        for full, crc, size, offset in self.entries:
            big_size, big_offset = size >= _ZIP64_AT, offset >= _ZIP64_AT
            fields = (struct.pack("<QQ", size, size) if big_size else b"") + \
                     (struct.pack("<Q", offset) if big_offset else b"")
            extra = struct.pack("<HH", 1, len(fields)) + fields if fields else b""
            size32 = _U32 if big_size else size
            self._write(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 0, 0, 0x0808, 0, 0, 0, crc,
                                    size32, size32, len(full), len(extra), 0, 0, 0, 0,
                                    _U32 if big_offset else offset))
            self._write(full + extra)
        cd_size = self.pos - cd_start
        n = len(self.entries)
        eocd64 = self.pos
        self._write(struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 0x031E, 0x002D, 0, 0, n, n, cd_size, cd_start))
        self._write(struct.pack("<4sIQI", b"PK\x06\x07", 0, eocd64, 1))
        self._write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                _U32 if cd_size >= _ZIP64_AT else cd_size,
                                _U32 if cd_start >= _ZIP64_AT else cd_start, 0))


# ============================================================================================= load
def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load an object saved by :func:`numtorch.save` or ``torch.save``, without torch and without running code.

    Tensors come back as numtorch Tensors (``nn.Parameter`` as numtorch Parameters) viewing their storage as

    .. math::
        x[i_0, \\dots, i_{k-1}] = \\text{storage}\\Big[\\text{offset} + \\sum_d i_d \\cdot \\text{stride}_d\\Big]

    so tensors that shared a storage share memory again. Sizes, strides and offsets are checked against the
    storage, and each storage's declared size against its record, before anything is allocated. Big-endian
    files are converted to native order. ``bfloat16`` storages (NumPy has no bfloat16) are converted exactly to
    ``float32`` with a :class:`UserWarning`. A ``.safetensors`` path is read with
    :func:`numtorch.safetensors.load_file`, as torch does.

    Loading never executes code from the file: the unpickler admits only tensor-rebuild functions, storage
    types, dtypes, ``torch.Size``, ``torch.device``, ``OrderedDict``/``Counter``, ``set``/``bytearray``/``complex``
    and ``_codecs.encode``. Any other global (a pickled class, ``os.system``) raises
    :class:`pickle.UnpicklingError` naming it. This holds for ``weights_only=False`` too: numtorch accepts the
    flag but never loads arbitrary pickles.

    Args:
        f: a path (``str`` / ``os.PathLike``) or a readable binary file object.
        map_location: ``None``, ``'cpu'``, ``numtorch.device('cpu')``, a dict mapping saved locations to
            locations (``{'cuda:0': 'cpu'}``), or a callable ``(storage, location) -> storage or None``. numtorch
            runs on the CPU only: a storage saved on a GPU needs a ``map_location`` that sends it to the CPU, and
            asking for CUDA raises a ``RuntimeError``.
        pickle_module: must be ``None`` (with ``weights_only=False`` the :mod:`pickle` module is accepted).
        weights_only (bool): accepted for compatibility; loading is always restricted. Default: ``True``.
        mmap (bool): map storages from the file (copy-on-write) instead of reading them; ``f`` must be a path.
            Records are then not CRC-checked (as in torch). Default: ``False``.
        **pickle_load_args: only ``encoding`` (for Python 2 strings; default ``'utf-8'``, as torch).

    Raises:
        pickle.UnpicklingError: a refused global, a corrupt ``data.pkl``, or a file that is not a checkpoint.
        RuntimeError: a legacy (pre-1.6) torch file, a truncated or corrupt archive (bad CRC, missing record),
            a tensor that does not fit its storage, or a storage placed on a GPU.

    Example::

        >>> sd = numtorch.load("model.pt")                  # written by torch.save(model.state_dict(), ...)
        >>> model.load_state_dict(sd)
    """
    if weights_only is None:
        weights_only = True
    if pickle_module is not None:
        if weights_only:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        if pickle_module is not pickle:
            raise ValueError("numtorch.load reads checkpoints with its own restricted unpickler and never runs a "
                             f"custom pickle_module, got {pickle_module!r}")
    encoding = pickle_load_args.pop("encoding", "utf-8")
    if pickle_load_args:
        raise TypeError(f"numtorch.load() got unsupported pickle_load_args: {sorted(pickle_load_args)} "
                        "(only 'encoding' is accepted)")
    restore = _location_restorer(map_location)

    if isinstance(f, (str, os.PathLike)):
        path = os.fsdecode(os.fspath(f))
        if path.endswith(".safetensors"):
            return _load_safetensors_path(path, map_location)
        label = repr(path)
        with open(path, "rb") as fh:
            return _load_stream(fh, label, restore, encoding, path if mmap else None)
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    if not callable(getattr(f, "read", None)):
        raise TypeError(f"numtorch.load: f must be a path (str or os.PathLike) or a readable binary file object, "
                        f"got {type(f).__name__}")
    if not (callable(getattr(f, "seekable", None)) and f.seekable()):
        f = io.BytesIO(f.read())
    return _load_stream(f, "the file object", restore, encoding, None)


def _load_safetensors_path(path, map_location):
    if isinstance(map_location, dict):
        raise RuntimeError("Loading safetensors file with dict map_location is not supported. "
                           "Use a device string or torch.device instead.")
    if callable(map_location):
        raise RuntimeError("Loading safetensors file with callable map_location is not supported. "
                           "Use a device string or torch.device instead.")
    from .safetensors import load_file
    return load_file(path, device="cpu" if map_location is None else map_location)


def _load_stream(fh, label, restore, encoding, mmap_path):
    start = fh.tell()
    head = fh.read(512)
    fh.seek(start)
    _check_signature(head, label)
    archive = _Archive(fh, label, mmap_path)
    try:
        return _Loader(archive, restore, encoding).load()
    finally:
        archive.close()


def _check_signature(head, label):
    """Refuse anything that is not a zip archive with a message naming what it is and what was expected."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return
    expected = "expected a PyTorch zip checkpoint (written by torch.save or numtorch.save)"
    if not head:
        raise pickle.UnpicklingError(f"numtorch.load: {label} is empty; {expected}")
    if head.startswith(_LEGACY_MAGIC) or head[257:262] == b"ustar":
        raise RuntimeError(
            f"numtorch.load: {label} is in PyTorch's legacy (pre-1.6, non-zip) serialization format, which "
            f"numtorch does not read; {expected}. Re-save it with PyTorch: torch.save(torch.load(old), new)")
    if head[:1] == b"\x80":
        raise pickle.UnpicklingError(
            f"numtorch.load: {label} is a bare pickle stream, not a zip archive; {expected}. numtorch does not "
            "load plain pickles (they can run arbitrary code)")
    if len(head) >= 9 and head[8:9] == b"{":
        raise pickle.UnpicklingError(f"numtorch.load: {label} looks like a safetensors file; use "
                                     "numtorch.safetensors.load_file (or a path ending in .safetensors)")
    raise pickle.UnpicklingError(f"numtorch.load: {label} is not a zip archive (it starts with {head[:8]!r}); "
                                 f"{expected}")


def _location_restorer(map_location):
    """Turn ``map_location`` into ``restore(storage, location)`` that checks the result is on the CPU."""
    def cpu_only(location):
        dev = _device_cls(location) if not isinstance(location, _device_cls) else location
        if dev.type != "cpu":
            raise RuntimeError(
                f"numtorch.load: the checkpoint holds a storage saved on device '{dev}', but numtorch runs on "
                "the CPU only. Pass map_location='cpu' (or map_location=torch.device('cpu')) to load it onto "
                "the CPU.")

    if map_location is None:
        return lambda storage, location: cpu_only(location)
    if isinstance(map_location, (str, _device_cls)):
        check_device(map_location, "storage")
        return lambda storage, location: None
    if isinstance(map_location, dict):
        def by_dict(storage, location):
            target = map_location.get(location, location)
            if isinstance(target, (str, _device_cls)) and target == location:
                cpu_only(location)
            else:
                check_device(target, "storage")
        return by_dict
    if callable(map_location):
        def by_callable(storage, location):
            result = map_location(storage, location)
            if result is None:
                cpu_only(location)
            elif result is not storage:
                raise RuntimeError("numtorch.load: a map_location callable must return the storage it was given "
                                   "(e.g. lambda storage, loc: storage) or None; numtorch keeps every storage on "
                                   f"the CPU, got {type(result).__name__}")
        return by_callable
    raise TypeError(f"numtorch.load: map_location must be None, a str, a device, a dict or a callable, "
                    f"got {type(map_location).__name__}")


class _Archive:
    """The zip side of a checkpoint: finds the records, checks their declared sizes, reads or maps them."""

    def __init__(self, fh, label, mmap_path):
        self.fh = fh
        self.label = label
        self.mm = None
        try:
            fh.seek(0, io.SEEK_END)
            self.size = fh.tell()
            fh.seek(0)
            self.zf = zipfile.ZipFile(fh)
            names = self.zf.namelist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, struct.error, ValueError,
                UnicodeDecodeError, NotImplementedError) as e:
            raise RuntimeError(f"numtorch.load: {label} starts like a zip archive but its directory cannot be "
                               f"read - the file is truncated or corrupt ({type(e).__name__}: {e})") from e
        for info in self.zf.infolist():
            # A directory entry must point inside the file (a corrupt end record shifts every offset).
            if not 0 <= info.header_offset < self.size:
                raise RuntimeError(f"numtorch.load: {label} starts like a zip archive but its directory cannot be "
                                   f"read - the file is truncated or corrupt (record '{info.filename}' is placed "
                                   f"at offset {info.header_offset}, outside the {self.size}-byte file)")
        if len(set(names)) != len(names):
            # Readers disagree on which of two same-named records counts (torch takes the first, zipfile the
            # last), so such a file could show different contents to different tools: refuse it.
            twice = next(n for n in names if names.count(n) > 1)
            raise RuntimeError(f"numtorch.load: {label} holds more than one record named '{twice}' - the file is "
                               "corrupt or was tampered with")
        pkl = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if not pkl:
            if any(n.endswith("/constants.pkl") for n in names):
                raise RuntimeError(f"numtorch.load: {label} is a TorchScript archive (torch.jit.save); numtorch "
                                   "loads torch.save checkpoints only")
            raise RuntimeError(f"numtorch.load: {label} is a zip archive but not a PyTorch checkpoint: expected a "
                               f"'<archive>/data.pkl' record, found {names[:5]}")
        self.prefix = pkl[0][:-len("data.pkl")]
        if mmap_path is not None:
            with open(mmap_path, "rb") as mf:
                self.mm = _mmap.mmap(mf.fileno(), 0, access=_mmap.ACCESS_COPY) if self.size else None

    def close(self):
        self.zf.close()

    def has(self, name):
        try:
            self.zf.getinfo(self.prefix + name)
            return True
        except KeyError:
            return False

    def _info(self, name, nbytes=None):
        full = self.prefix + name
        try:
            info = self.zf.getinfo(full)
        except KeyError:
            raise RuntimeError(f"numtorch.load: {self.label} is missing the record '{full}' - the checkpoint is "
                               "incomplete or corrupt") from None
        if info.flag_bits & 0x1:
            raise RuntimeError(f"numtorch.load: record '{full}' of {self.label} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise RuntimeError(f"numtorch.load: record '{full}' of {self.label} uses zip compression method "
                               f"{info.compress_type}; expected stored (uncompressed) records as torch writes")
        if nbytes is not None and info.file_size != nbytes:
            raise RuntimeError(f"numtorch.load: record '{full}' of {self.label} holds {info.file_size} bytes but "
                               f"the checkpoint declares {nbytes} bytes for it - the file is corrupt")
        # A declared size the file cannot hold is refused before anything is allocated.
        limit = self.size if info.compress_type == zipfile.ZIP_STORED else info.compress_size * 1032 + 1024
        if info.file_size > limit or info.header_offset + info.compress_size > self.size:
            raise RuntimeError(f"numtorch.load: record '{full}' of {self.label} declares {info.file_size} bytes, "
                               f"more than the {self.size}-byte file can hold - the file is truncated or corrupt")
        return info

    def read(self, name):
        """A small record's bytes, CRC-checked."""
        info = self._info(name)
        try:
            return self.zf.read(info)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error, struct.error, ValueError) as e:
            raise RuntimeError(f"numtorch.load: record '{info.filename}' of {self.label} is corrupt or truncated "
                               f"({type(e).__name__}: {e})") from e

    def storage(self, name, nbytes):
        """A storage record as a writable uint8 array of exactly ``nbytes`` (mapped when mmap was asked for)."""
        info = self._info(name, nbytes)
        if nbytes == 0:
            return np.empty(0, np.uint8)
        if self.mm is not None:
            if info.compress_type != zipfile.ZIP_STORED:
                raise RuntimeError(f"numtorch.load: mmap=True needs uncompressed records; '{info.filename}' is "
                                   "compressed")
            return np.frombuffer(self.mm, np.uint8, count=nbytes, offset=self._data_start(info))
        out = np.empty(nbytes, np.uint8)
        view = memoryview(out)
        try:
            if info.compress_type == zipfile.ZIP_STORED:
                # read straight into the array, then check the CRC-32 the directory records
                self.fh.seek(self._data_start(info))
                pos = 0
                while pos < nbytes:
                    n = self.fh.readinto(view[pos:pos + _CHUNK])
                    if not n:
                        raise EOFError(f"record ended after {pos} of {nbytes} bytes")
                    pos += n
                if zlib.crc32(view) & _U32 != info.CRC:
                    raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
            else:
                with self.zf.open(info) as rec:
                    pos = 0
                    while pos < nbytes:
                        chunk = rec.read(min(_CHUNK, nbytes - pos))
                        if not chunk:
                            raise EOFError(f"record ended after {pos} of {nbytes} bytes")
                        view[pos:pos + len(chunk)] = chunk
                        pos += len(chunk)
                    rec.read(1)  # reaching the end runs zipfile's CRC-32 check
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error, struct.error, ValueError) as e:
            raise RuntimeError(f"numtorch.load: record '{info.filename}' of {self.label} is corrupt or truncated "
                               f"({type(e).__name__}: {e})") from e
        return out

    def _data_start(self, info):
        """Where a record's data begins: after its local header, whose name must match the directory's."""
        self.fh.seek(info.header_offset)
        header = self.fh.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise RuntimeError(f"numtorch.load: the local header of record '{info.filename}' of {self.label} "
                               "is corrupt")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        name = self.fh.read(name_len).decode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace")
        if name != info.orig_filename:
            raise RuntimeError(f"numtorch.load: record '{info.filename}' of {self.label} has a local header for "
                               f"'{name}' - the file is corrupt")
        start = info.header_offset + 30 + name_len + extra_len
        if start + info.file_size > self.size:
            raise RuntimeError(f"numtorch.load: record '{info.filename}' of {self.label} runs past the end of "
                               "the file - the file is truncated")
        return start


class _StorageType:
    """What a ``torch.<Type>Storage`` global unpickles to: the element type of a storage record."""

    def __init__(self, name, dtype, itemsize):
        self.name = name            # torch's class name, for messages
        self.dtype = dtype          # numtorch dtype, 'bfloat16', or None for UntypedStorage (bytes)
        self.itemsize = itemsize

    def __repr__(self):
        return f"torch.{self.name}"


class _LoadedStorage:
    """One storage read from a checkpoint: its raw bytes and how to view them as elements."""

    def __init__(self, loader, key, stype, raw, location):
        self.loader = loader
        self.key = key
        self.stype = stype
        self.raw = raw
        self.location = location
        self._typed = {}

    @property
    def device(self):
        return _device_cls("cpu")

    def nbytes(self):
        return self.raw.nbytes

    def size(self):
        return self.raw.nbytes // self.stype.itemsize

    def cpu(self):
        return self

    def to(self, device=None, *args, **kwargs):
        check_device(device, "storage")
        return self

    def cuda(self, device=None, non_blocking=False):
        check_device("cuda" if device is None else device, "storage")

    def typed(self, dtype):
        """The storage as a flat array of ``dtype`` (numtorch dtype or 'bfloat16'), in native byte order."""
        arr = self._typed.get(dtype)
        if arr is not None:
            return arr
        raw = self.raw
        if dtype == "bfloat16":
            if raw.nbytes % 2:
                raise RuntimeError(f"numtorch.load: storage '{self.key}' holds {raw.nbytes} bytes, not a whole "
                                   "number of bfloat16 elements")
            bits = raw.view(">u2" if self.loader.big_endian else "<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
            self.loader.warn_bfloat16()
        else:
            npd = dtype.np
            if raw.nbytes % npd.itemsize:
                raise RuntimeError(f"numtorch.load: storage '{self.key}' holds {raw.nbytes} bytes, not a whole "
                                   f"number of {dtype} elements")
            if self.loader.big_endian and npd.itemsize > 1:
                arr = raw.view(npd.newbyteorder(">")).astype(npd)
            else:
                arr = raw.view(npd)
        self._typed[dtype] = arr
        return arr


class _TensorMarker:
    """What ``torch.Tensor`` unpickles to: a name for ``_rebuild_from_type_v2``, not a constructor."""


class _ParameterMarker:
    """What ``torch.nn.parameter.Parameter`` unpickles to (see :class:`_TensorMarker`)."""


def _allowed_globals():
    """The only globals a checkpoint may name: full dotted name -> what it unpickles to."""
    allowed = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "builtins.set": set,
        "builtins.bytearray": _bytearray,
        "builtins.complex": complex,
        "_codecs.encode": _codecs_encode,
        "torch.Size": Size,
        "torch.device": _device_cls,
        "torch.Tensor": _TensorMarker,
        "torch.nn.parameter.Parameter": _ParameterMarker,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
    }
    for d, name in _STORAGE_NAME.items():
        stype = _StorageType(name, d, d.itemsize)
        allowed["torch." + name] = allowed["torch.cuda." + name] = stype
    allowed["torch.BFloat16Storage"] = allowed["torch.cuda.BFloat16Storage"] = \
        _StorageType("BFloat16Storage", "bfloat16", 2)
    allowed["torch.UntypedStorage"] = allowed["torch.storage.UntypedStorage"] = \
        _StorageType("UntypedStorage", None, 1)
    for d in _dtype._ALL:
        allowed["torch." + d.name] = d
    allowed["torch.bfloat16"] = _dtype.bfloat16
    return allowed


_ALLOWED = None
_RENAMED_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg", "torch.tensor": "torch._tensor"}


class _BoundedUnpickler(pickle._Unpickler):
    """The pure-Python unpickler with the limits a hostile pickle must not get past.

    Tuples nest at most ``_MAX_TUPLE_DEPTH`` deep (a tuple's depth is 1 + the deepest tuple among its items;
    hashing a far deeper one, as a dict key or set element, overflows the C stack), and ``BYTEARRAY8`` reads only
    the bytes present instead of allocating its declared size first. The checkpoint loader and the dataset
    loader (``vision._download``) both build on it.
    """

    dispatch = dict(pickle._Unpickler.dispatch)
    label = "the pickle"        # how messages name the stream

    def __init__(self, file, *, encoding="ASCII"):
        super().__init__(file, encoding=encoding)
        self.tuple_depth = {}   # id -> (tuple, nesting depth), for the tuples that hold tuples

    def _checked_tuple(self, t):
        """``t``, once its nesting depth is within ``_MAX_TUPLE_DEPTH``."""
        depth = 1
        for x in t:
            if isinstance(x, tuple):
                known = self.tuple_depth.get(id(x))
                depth = max(depth, 1 + (known[1] if known is not None and known[0] is x else 1))
        if depth > 1:
            if depth > _MAX_TUPLE_DEPTH:
                raise pickle.UnpicklingError(
                    f"{self.label} nests tuples deeper than {_MAX_TUPLE_DEPTH} levels; pickle, torch.save and "
                    "numtorch.save never write that (the file is corrupt or hostile)")
            self.tuple_depth[id(t)] = (t, depth)
        return t

    def _load_tuple(self):
        items = self.pop_mark()  # first: it rebinds self.append to the enclosing stack
        self.append(self._checked_tuple(tuple(items)))

    def _load_tuple1(self):
        self.stack[-1] = self._checked_tuple((self.stack[-1],))

    def _load_tuple2(self):
        self.stack[-2:] = [self._checked_tuple((self.stack[-2], self.stack[-1]))]

    def _load_tuple3(self):
        self.stack[-3:] = [self._checked_tuple((self.stack[-3], self.stack[-2], self.stack[-1]))]

    def _load_bytearray8(self):
        (n,) = struct.unpack("<Q", self.read(8))
        data = self.read(n) if n <= sys.maxsize else b""  # at most the bytes that are there
        if len(data) != n:
            raise pickle.UnpicklingError(f"{self.label} declares a bytearray of {n} bytes but holds only "
                                         f"{len(data)} more - the file is corrupt or truncated")
        self.append(bytearray(data))

    dispatch[pickle.TUPLE[0]] = _load_tuple
    dispatch[pickle.TUPLE1[0]] = _load_tuple1
    dispatch[pickle.TUPLE2[0]] = _load_tuple2
    dispatch[pickle.TUPLE3[0]] = _load_tuple3
    dispatch[pickle.BYTEARRAY8[0]] = _load_bytearray8


class _RestrictedUnpickler(_BoundedUnpickler):
    """An unpickler that builds only data: allow-listed globals, tensors from storages, and plain containers.

    It is the pure-Python unpickler with the opcodes that could run code replaced: ``find_class`` answers only
    from the allow-list; ``REDUCE`` calls only allow-listed callables; ``BUILD`` only sets attributes of an
    ``OrderedDict`` (state_dict's ``_metadata``); ``NEWOBJ``, ``INST`` and ``OBJ`` (constructing classes the file
    names) are refused; a persistent id must be a storage; and the limits of :class:`_BoundedUnpickler` hold.
    """

    dispatch = dict(_BoundedUnpickler.dispatch)
    label = "numtorch.load: data.pkl"

    def __init__(self, file, loader, encoding):
        super().__init__(file, encoding=encoding)
        self.loader = loader

    def find_class(self, module, name):
        global _ALLOWED
        if _ALLOWED is None:
            _ALLOWED = _allowed_globals()
        if not isinstance(module, str) or not isinstance(name, str):
            raise pickle.UnpicklingError("numtorch.load: a global's module and name must be strings")
        module = _RENAMED_MODULES.get(module, module)
        full = f"{module}.{name}"
        obj = _ALLOWED.get(full)
        if obj is not None:
            return obj
        if module == "torch" and name in _FOREIGN_DTYPES:
            raise pickle.UnpicklingError(f"numtorch.load: the checkpoint uses dtype torch.{name}, which numtorch "
                                         "(NumPy) cannot represent")
        raise pickle.UnpicklingError(
            f"numtorch.load: refused global '{full}': a checkpoint may only name tensor-rebuild functions, "
            "storage types, dtypes, torch.Size, torch.device, OrderedDict/Counter, set/bytearray/complex and "
            "_codecs.encode. numtorch never executes code from a file (weights_only=False does not change this)")

    def persistent_load(self, pid):
        return self.loader.persistent_load(pid)

    def _load_reduce(self):
        stack = self.stack
        args = stack.pop()
        func = stack[-1]
        if not _is_allowed_callable(func):
            raise pickle.UnpicklingError(f"numtorch.load: refused to call {_brief(func)}: only the allow-listed "
                                         "rebuild functions and container types may be called")
        if type(args) is not tuple:
            raise pickle.UnpicklingError("numtorch.load: REDUCE arguments must be a tuple")
        result = func(*args)
        stack[-1] = self._checked_tuple(result) if isinstance(result, tuple) else result  # torch.Size

    def _load_build(self):
        stack = self.stack
        state = stack.pop()
        inst = stack[-1]
        if type(inst) not in (collections.OrderedDict, collections.Counter) or type(state) is not dict or \
                not all(type(k) is str for k in state):
            raise pickle.UnpicklingError(f"numtorch.load: refused to set the state of a {type(inst).__name__}: "
                                         "only an OrderedDict's attributes (a state_dict's _metadata) may be set")
        inst.__dict__.update(state)

    def _refuse_construct(self):
        raise pickle.UnpicklingError("numtorch.load: refused to construct an object from a class named by the "
                                     "file (NEWOBJ/INST/OBJ opcodes); checkpoints hold only data")

    dispatch[pickle.REDUCE[0]] = _load_reduce
    dispatch[pickle.BUILD[0]] = _load_build
    for _op in (pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.INST, pickle.OBJ):
        dispatch[_op[0]] = _refuse_construct
    del _op


def _is_allowed_callable(func):
    """Whether REDUCE may call ``func``: an allow-listed function or container type, nothing else."""
    global _ALLOWED_CALLABLES
    if _ALLOWED_CALLABLES is None:
        _ALLOWED_CALLABLES = (collections.OrderedDict, collections.Counter, set, complex, _bytearray,
                              _codecs_encode, Size, _device_cls, _rebuild_tensor, _rebuild_tensor_v2,
                              _rebuild_tensor_v3, _rebuild_parameter, _rebuild_parameter_with_state,
                              _rebuild_from_type_v2)
    return any(func is c for c in _ALLOWED_CALLABLES)


_ALLOWED_CALLABLES = None


def _bytearray(*args):
    """``builtins.bytearray`` as a checkpoint may call it: from bytes or (text, encoding), never from a size."""
    if len(args) == 1 and type(args[0]) is bytes or len(args) == 2 and type(args[0]) is str:
        return bytearray(*args)
    if not args:
        return bytearray()
    raise pickle.UnpicklingError("numtorch.load: bytearray may only be rebuilt from bytes or (text, encoding)")


def _codecs_encode(obj, encoding="utf-8", errors="strict"):
    """``_codecs.encode`` as protocol-2 pickles use it: text to bytes."""
    if type(obj) is not str or type(encoding) is not str or type(errors) is not str:
        raise pickle.UnpicklingError("numtorch.load: _codecs.encode may only encode text to bytes")
    try:
        return obj.encode(encoding, errors)
    except LookupError as e:  # a bytes-to-bytes codec (zlib_codec) or an unknown encoding or error handler
        raise pickle.UnpicklingError(f"numtorch.load: _codecs.encode needs a text encoding and error handler, "
                                     f"got {_brief(encoding)} / {_brief(errors)} ({e})") from None


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80


def _brief(x):
    """A bounded repr for messages: values from a hostile file may be huge or nested thousands deep."""
    try:
        return _REPR.repr(x)
    except Exception:  # a repr that recurses too deep or fails
        return f"<{type(x).__name__}>"


class _Loader:
    """Reads one checkpoint: metadata records, then ``data.pkl`` with storages loaded on first reference."""

    def __init__(self, archive, restore, encoding):
        self.archive = archive
        self.restore = restore
        self.encoding = encoding
        self.storages = {}
        self.warned_bf16 = False
        order = archive.read("byteorder") if archive.has("byteorder") else b"little"
        if order not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + order.decode("latin-1"))
        self.big_endian = order == b"big"

    def load(self):
        data = self.archive.read("data.pkl")
        unpickler = _RestrictedUnpickler(io.BytesIO(data), self, self.encoding)
        try:
            return unpickler.load()
        except (pickle.UnpicklingError, RuntimeError):
            raise
        except (EOFError, KeyError, IndexError, TypeError, ValueError, AttributeError, struct.error,
                UnicodeDecodeError, OverflowError, AssertionError) as e:
            raise pickle.UnpicklingError(f"numtorch.load: data.pkl in {self.archive.label} is corrupt or "
                                         f"truncated ({type(e).__name__}: {e})") from e

    def warn_bfloat16(self):
        if not self.warned_bf16:
            self.warned_bf16 = True
            warnings.warn("numtorch.load: bfloat16 tensors were converted to float32 (NumPy has no bfloat16; "
                          "the conversion is exact). Saving them again writes float32.", UserWarning, stacklevel=5)

    def persistent_load(self, pid):
        if type(pid) is not tuple or len(pid) != 5 or _ascii(pid[0]) != "storage":
            raise pickle.UnpicklingError(f"numtorch.load: a persistent id must be ('storage', type, key, "
                                         f"location, numel), got {_brief(pid)}")
        _, stype, key, location, numel = pid
        key, location = _ascii(key), _ascii(location)
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"numtorch.load: storage type must be a torch storage class, got "
                                         f"{_brief(stype)}")
        if type(key) is not str or type(location) is not str or type(numel) is not int or \
                not 0 <= numel <= _INT64_MAX:
            raise pickle.UnpicklingError(f"numtorch.load: malformed storage id {_brief(pid)}")
        cached = self.storages.get(key)
        if cached is not None:
            if cached.stype.dtype != stype.dtype:
                raise RuntimeError(f"numtorch.load: storage '{key}' is referenced as both {cached.stype} and "
                                   f"{stype} - the checkpoint is corrupt")
            return cached
        nbytes = numel * stype.itemsize
        if nbytes > _INT64_MAX:
            raise RuntimeError(f"numtorch.load: storage '{key}' declares {numel} elements, more than can exist")
        st = _LoadedStorage(self, key, stype, self.archive.storage(f"data/{key}", nbytes), location)
        self.restore(st, location)
        self.storages[key] = st
        return st


def _ascii(x):
    return x.decode("ascii") if type(x) is bytes else x


# --------------------------------------------------------------------------------------------- rebuild
def _as_index_tuple(values, what):
    if type(values) not in (tuple, list, Size) or not all(type(v) is int for v in values):
        raise RuntimeError(f"numtorch.load: tensor {what} must be a tuple of ints, got {_brief(values)}")
    return tuple(values)


def _tensor_from(storage, storage_offset, size, stride, dtype=None):
    """A numtorch Tensor viewing ``storage`` (validated: the view must lie inside the storage)."""
    if not isinstance(storage, _LoadedStorage):
        raise pickle.UnpicklingError(f"numtorch.load: a tensor must be rebuilt from a storage, got "
                                     f"{type(storage).__name__}")
    if dtype is None:
        dtype = storage.stype.dtype
        if dtype is None:
            raise pickle.UnpicklingError("numtorch.load: a tensor over an UntypedStorage needs a dtype "
                                         "(_rebuild_tensor_v3)")
    elif isinstance(dtype, _dtype._Unsupported):
        dtype = "bfloat16"
    elif not isinstance(dtype, _dtype.dtype):
        raise pickle.UnpicklingError(f"numtorch.load: expected a dtype, got {_brief(dtype)}")
    size = _as_index_tuple(size, "size")
    stride = _as_index_tuple(stride, "stride")
    if type(storage_offset) is not int:
        raise RuntimeError(f"numtorch.load: storage offset must be an int, got {_brief(storage_offset)}")
    if len(size) != len(stride):
        raise RuntimeError(f"numtorch.load: tensor size {list(size)} and stride {list(stride)} differ in length")
    if storage_offset < 0 or any(v < 0 for v in size) or any(v < 0 for v in stride):
        raise RuntimeError(f"numtorch.load: negative storage offset, size or stride (offset {storage_offset}, "
                           f"size {list(size)}, stride {list(stride)}) - the checkpoint is corrupt")
    flat = storage.typed(dtype)
    item = flat.itemsize
    numel = 1
    for n in size:
        numel *= n
    if numel * item > _INT64_MAX or any(s * item > _INT64_MAX for s in stride) or storage_offset > _INT64_MAX:
        raise RuntimeError(f"numtorch.load: tensor of size {list(size)}, stride {list(stride)}, offset "
                           f"{storage_offset} overflows 64-bit sizes - the checkpoint is corrupt")
    if numel == 0:
        return _from_array(np.empty(size, flat.dtype))
    needed = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
    if needed > flat.size:
        raise RuntimeError(
            f"numtorch.load: tensor of size {list(size)}, stride {list(stride)} and storage offset "
            f"{storage_offset} needs a storage of {needed} elements, but storage '{storage.key}' has "
            f"{flat.size} - the checkpoint is corrupt")
    arr = np.ndarray(size, flat.dtype, buffer=flat, offset=storage_offset * item,
                     strides=tuple(s * item for s in stride))
    return _from_array(arr)


def _set_requires_grad(t, requires_grad):
    if type(requires_grad) is not bool:
        raise RuntimeError(f"numtorch.load: requires_grad must be a bool, got {_brief(requires_grad)}")
    if requires_grad:
        t.requires_grad_(True)
    return t


def _apply_metadata(t, metadata):
    """torch's per-tensor metadata: the lazy ``conj`` and ``neg`` bits, applied (as copies)."""
    if not metadata:
        return t
    if type(metadata) is not dict or set(metadata) - {"conj", "neg"}:
        raise RuntimeError(f"numtorch.load: unsupported tensor metadata {_brief(metadata)}")
    arr = t._data
    if metadata.get("conj"):
        arr = np.conj(arr)
    if metadata.get("neg"):
        arr = np.negative(arr)
    return _from_array(arr)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _tensor_from(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    t = _apply_metadata(_tensor_from(storage, storage_offset, size, stride), metadata)
    return _set_requires_grad(t, requires_grad)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                       metadata=None):
    t = _apply_metadata(_tensor_from(storage, storage_offset, size, stride, dtype), metadata)
    return _set_requires_grad(t, requires_grad)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"numtorch.load: a Parameter must wrap a tensor, got {type(data).__name__}")
    if type(requires_grad) is not bool:
        raise RuntimeError(f"numtorch.load: requires_grad must be a bool, got {_brief(requires_grad)}")
    return Parameter(data, requires_grad)


_RESERVED_ATTRS = frozenset(Tensor.__slots__) | {"_grad", "_base", "_hooks", "_output_nr", "_retains_grad",
                                                   "__class__", "__dict__"}


def _set_state(t, state):
    """Set the Python attributes torch saved with a tensor (never numtorch's internal fields)."""
    if state is None:
        return t
    dict_state, slot_state = state if type(state) is tuple and len(state) == 2 else (state, None)
    for part in (dict_state, slot_state):
        if not part:
            continue
        if type(part) is not dict:
            raise RuntimeError(f"numtorch.load: invalid tensor state {_brief(state)}")
        for k, v in part.items():
            if type(k) is not str or k in _RESERVED_ATTRS or k.startswith("__") or hasattr(type(t), k):
                raise pickle.UnpicklingError(f"numtorch.load: refused to set attribute {_brief(k)} on a tensor")
            t.__dict__[k] = v
    return t


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
                    _rebuild_parameter_with_state) or type(args) is not tuple:
        raise pickle.UnpicklingError(f"numtorch.load: refused _rebuild_from_type_v2 with {_brief(func)}")
    t = func(*args)
    if new_type is _ParameterMarker:
        from .nn.parameter import Parameter
        if not isinstance(t, Parameter):
            t = Parameter(t, t.requires_grad)
    elif new_type is not _TensorMarker:
        raise pickle.UnpicklingError(f"numtorch.load: refused tensor subclass {_brief(new_type)}")
    return _set_state(t, state)
