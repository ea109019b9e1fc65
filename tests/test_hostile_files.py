"""Hostile files: a generated corpus of bad checkpoints, safetensors files, CIFAR-10 batches and resume files.

Every case starts from a valid file and breaks one thing: truncation and bit flips in each zip structure, bad
CRCs, duplicated and missing records, zip bombs, pickles that reach a forbidden global through each opcode that
can name or call one, tensors that do not fit their storages, sizes and offsets near 2**63, nesting bombs, bad
safetensors headers, bad CIFAR-10 batches and corrupt training checkpoints. For each case the loader

* raises the exception class its module documents, with a message saying what was expected:
  ``pickle.UnpicklingError`` / ``RuntimeError`` / ``ValueError`` from ``numtorch.load``, ``RuntimeError`` from
  ``vision.datasets.CIFAR10``, ``safetensors.SafetensorError`` (as ``safetensors.torch``) or ``ValueError`` from
  ``numtorch.safetensors``, exit status 2 with one line from ``numtorch-train --resume``;
* executes nothing from the file: every payload would create a marker file (``test_payloads_are_live`` proves
  it with the standard unpickler in a subprocess), and the marker must not exist afterwards;
* stays within ``MEMORY_LIMIT`` of traced memory while refusing (tracemalloc sees Python's and NumPy's
  allocations, so a buffer allocated for a declared size shows even if it is never touched).

Sweeps complete the corpus: every prefix of a checkpoint, and a bit flip at every byte, must be refused or (for
bytes the reader never uses) load exactly the original values. ``CORPUS_SIZE`` counts the named cases.
"""
import contextlib
import copyreg
import gzip
import io
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import numtorch as nt
from numtorch import nn

import test_serialization as ts  # its hand-written pickle opcodes (_op_*) and zip writer (_ckpt)

MEMORY_LIMIT = 4 << 20  # bytes of traced memory a refusal may use above its starting point
HERE = os.path.dirname(os.path.abspath(__file__))

UnpicklingError = pickle.UnpicklingError
DIRECTORY = r"directory cannot be read - the file is truncated or corrupt"
RECORD = r"record '{}' of .* is corrupt or truncated"


# ============================================================================================ shared machinery
def _refused(call, exc, match):
    """Run ``call``; it must raise exactly ``exc`` (not a subclass) matching ``match``, within MEMORY_LIMIT."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        with pytest.raises(Exception) as info:
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    assert type(info.value) is exc, f"expected {exc.__name__}, got {type(info.value).__name__}: {info.value}"
    assert info.match(match)
    assert peak - base < MEMORY_LIMIT, f"refusing it took {(peak - base) / 2 ** 20:.1f} MiB"
    return info.value


def _pickle_file(tmp_path, data_pkl, records=None, name="case.pt"):
    """A checkpoint zip whose data.pkl is exactly ``data_pkl`` (protocol header and STOP included)."""
    return ts._ckpt(tmp_path / name, b"", records, raw_pickle=data_pkl)


def _p2(body):
    return pickle.PROTO + b"\x02" + body + pickle.STOP


def _p4(body):
    return pickle.PROTO + b"\x04" + body + pickle.STOP


def _stack_global(module, name):
    return ts._op_str(module) + ts._op_str(name) + pickle.STACK_GLOBAL


def _call(func, *args):
    """``func(*args)`` as pickle opcodes: the callable, an argument tuple, REDUCE."""
    return func + ts._op_tuple(*args) + pickle.REDUCE


def _pid(storage="FloatStorage", key="0", numel=4, location="cpu"):
    return ts._op_tuple(ts._op_str("storage"), ts._op_global("torch", storage), ts._op_str(key),
                        ts._op_str(location), ts._op_int(numel)) + pickle.BINPERSID


def _od():
    return ts._op_global("collections", "OrderedDict") + pickle.EMPTY_TUPLE + pickle.REDUCE


def _ints(values):
    return ts._op_tuple(*map(ts._op_int, values))


def _v2(pid=None, offset=0, size=(4,), stride=(1,), requires_grad=pickle.NEWFALSE, extra=b""):
    """``_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict()[, metadata])``."""
    return _call(ts._op_global("torch._utils", "_rebuild_tensor_v2"), pid or _pid(), ts._op_int(offset),
                 _ints(size), _ints(stride), requires_grad, _od(), *([extra] if extra else []))


def _v3(pid, dtype, size=(4,), stride=(1,)):
    return _call(ts._op_global("torch._utils", "_rebuild_tensor_v3"), pid, ts._op_int(0), _ints(size),
                 _ints(stride), pickle.NEWFALSE, _od(), dtype)


F32 = {"0": np.arange(4, dtype="<f4").tobytes()}


@pytest.fixture
def marker(tmp_path):
    """The file every payload would create; each test asserts it does not exist after the refusal."""
    return tmp_path / "pwned"


@pytest.fixture
def extensions():
    """copyreg extension codes naming dangerous callables, as a victim process might have registered."""
    registered = [("os", "system", 0xEE), ("builtins", "exec", 0x1EEE), ("subprocess", "Popen", 0x7EEEEE)]
    for module, name, code in registered:
        copyreg.add_extension(module, name, code)
    yield
    for module, name, code in registered:
        copyreg.remove_extension(module, name, code)


# ============================================================================================ the base checkpoint
_BASE = []


def _base_bytes():
    """A valid numtorch checkpoint: a small model's state_dict (7 storages), an int and a string."""
    if not _BASE:
        gen_state = nt.get_rng_state()
        nt.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        nt.set_rng_state(gen_state)
        buf = io.BytesIO()
        nt.save({"model": model.state_dict(), "epoch": 3, "tag": "base"}, buf)
        _BASE.append(buf.getvalue())
    return _BASE[0]


def _layout(data):
    """Offsets of every zip structure of a checkpoint, by name: local headers, their names, each record's data
    and data descriptor, the central directory entries and the three end records."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos, pos = z.infolist(), z.start_dir
    for info in infos:
        short = info.filename.split("/", 1)[1]
        at = info.header_offset
        n, m = struct.unpack("<HH", data[at + 26:at + 30])
        out[f"header:{short}"] = at
        out[f"name:{short}"] = at + 30
        out[f"extra:{short}"] = at + 30 + n
        out[f"data:{short}"] = at + 30 + n + m
        out[f"descriptor:{short}"] = at + 30 + n + m + info.compress_size
        out[f"cd:{short}"] = pos
        n, m, k = struct.unpack("<HHH", data[pos + 28:pos + 34])
        pos += 46 + n + m + k
    out["cd-end"] = pos
    out["zip64-eocd"] = data.rfind(b"PK\x06\x06")
    out["zip64-locator"] = data.rfind(b"PK\x06\x07")
    out["eocd"] = data.rfind(b"PK\x05\x06")
    return out


def _records(data):
    """[(name, bytes)] of a checkpoint, in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def _rezip(records, lie=None, method=zipfile.ZIP_STORED):
    """Zip ``records`` with zipfile; ``lie(infos)`` may edit the ZipInfo objects before the central directory is
    written, so the directory declares whatever the case needs (sizes, CRCs, offsets, flags, methods)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicated names some cases need
        with zipfile.ZipFile(buf, "w", method) as z:
            for name, payload in records:
                z.writestr(name, payload)
            if lie is not None:
                lie(z.filelist)
    return buf.getvalue()


def _info(infos, suffix):
    return next(i for i in infos if i.filename.endswith(suffix))


def _set(field, value, suffix="data.pkl"):
    def lie(infos):
        setattr(_info(infos, suffix), field, value)
    return lie


# ============================================================================================ checkpoint corpus
class Case:
    """One hostile file: ``make(tmp_path, marker)`` returns its path (or its bytes); loading it must raise
    ``exc`` matching ``match``. ``mmap`` says whether ``numtorch.load(..., mmap=True)`` must refuse it too
    (False where only the CRC-32 check, which mmap skips as in torch, can see the damage)."""

    def __init__(self, id, make, exc, match, mmap=True):
        self.id, self.make, self.exc, self.match, self.mmap = id, make, exc, match, mmap


def _bytes_case(id, mutate, exc, match, mmap=True):
    """A case made by mutating the base checkpoint's bytes: ``mutate(data, layout) -> bytes``."""
    def make(tmp_path, marker):
        data = _base_bytes()
        return mutate(bytearray(data), _layout(data))
    return Case(id, make, exc, match, mmap)


def _truncate(where, delta=0):
    return lambda d, lay: bytes(d[:lay[where] + delta] if isinstance(where, str) else d[:len(d) + where])


def _flip(where, mask, delta=0):
    def mutate(d, lay):
        d[lay[where] + delta] ^= mask
        return bytes(d)
    return mutate


def _flip_last(offset, mask):
    def mutate(d, lay):
        d[offset(d, lay)] ^= mask
        return bytes(d)
    return mutate


ZIP_CASES = [
    # ---- truncation inside every structure
    _bytes_case("truncate/in-first-local-header", _truncate("header:data.pkl", 12), RuntimeError, DIRECTORY),
    _bytes_case("truncate/after-first-local-header", _truncate("data:data.pkl"), RuntimeError, DIRECTORY),
    _bytes_case("truncate/in-data.pkl", _truncate("data:data.pkl", 40), RuntimeError, DIRECTORY),
    _bytes_case("truncate/in-storage-data", _truncate("data:data/2", 8), RuntimeError, DIRECTORY),
    _bytes_case("truncate/in-data-descriptor", _truncate("descriptor:data/4", 6), RuntimeError, DIRECTORY),
    _bytes_case("truncate/at-central-directory", _truncate("cd:data.pkl"), RuntimeError, DIRECTORY),
    _bytes_case("truncate/in-central-directory-entry", _truncate("cd:data/3", 20), RuntimeError, DIRECTORY),
    _bytes_case("truncate/in-zip64-end-record", _truncate("zip64-eocd", 30), RuntimeError, DIRECTORY),
    _bytes_case("truncate/in-zip64-locator", _truncate("zip64-locator", 10), RuntimeError, DIRECTORY),
    _bytes_case("truncate/in-end-record", _truncate("eocd", 12), RuntimeError, DIRECTORY),
    _bytes_case("truncate/last-byte", _truncate(-1), RuntimeError, DIRECTORY),
    # ---- a flipped bit (or byte) in every structure
    _bytes_case("flip/local-header-signature", _flip("header:byteorder", 0xFF), RuntimeError,
                RECORD.format("archive/byteorder")),
    _bytes_case("flip/local-header-name", _flip("name:data/1", 0x01, len("archive/data/")), RuntimeError,
                "has a local header for 'archive/data/0' - the file is corrupt"),
    _bytes_case("flip/local-header-extra-length", _flip("header:data/2", 0x01, 28), RuntimeError,
                RECORD.format("archive/data/2"), mmap=False),
    _bytes_case("flip/data.pkl-byte", _flip("data:data.pkl", 0x10, 25), RuntimeError,
                RECORD.format("archive/data.pkl") + r" .*Bad CRC-32"),
    _bytes_case("flip/byteorder-record", _flip("data:byteorder", 0x20), RuntimeError,
                RECORD.format("archive/byteorder") + r" .*Bad CRC-32"),
    _bytes_case("flip/storage-byte", _flip("data:data/3", 0x80, 7), RuntimeError,
                RECORD.format("archive/data/3") + r" .*Bad CRC-32", mmap=False),
    _bytes_case("flip/central-directory-signature", _flip("cd:data/1", 0xFF), RuntimeError, DIRECTORY),
    _bytes_case("flip/central-directory-crc", _flip("cd:data/1", 0x01, 16), RuntimeError,
                RECORD.format("archive/data/1") + r" .*Bad CRC-32", mmap=False),
    _bytes_case("flip/central-directory-size", _flip("cd:data/1", 0x01, 24), RuntimeError,
                "record 'archive/data/1' of .* holds 17 bytes but the checkpoint declares 16 bytes"),
    _bytes_case("flip/central-directory-method", _flip("cd:data.pkl", 0x08, 10), RuntimeError,
                RECORD.format("archive/data.pkl")),
    _bytes_case("flip/central-directory-encrypted-flag", _flip("cd:data/0", 0x01, 8), RuntimeError,
                "record 'archive/data/0' of .* is encrypted"),
    _bytes_case("flip/central-directory-header-offset", _flip("cd:data/2", 0x08, 42), RuntimeError,
                r"local header of record 'archive/data/2' .* is corrupt|" + RECORD.format("archive/data/2")),
    _bytes_case("flip/central-directory-name", _flip("cd:data.pkl", 0x01, 46 + len("archive/data.pk")),
                RuntimeError, r"not a PyTorch checkpoint: expected a '<archive>/data.pkl' record"),
    _bytes_case("flip/zip64-end-record-signature", _flip("zip64-eocd", 0xFF), RuntimeError, DIRECTORY),
    _bytes_case("flip/zip64-end-record-directory-offset", _flip("zip64-eocd", 0xFF, 55), RuntimeError,
                DIRECTORY + "|" + RECORD.format("archive/byteorder")),
    _bytes_case("flip/zip64-locator-disk-count", _flip("zip64-locator", 0x02, 16), RuntimeError, DIRECTORY),
    _bytes_case("flip/end-record-signature", _flip("eocd", 0xFF), RuntimeError, DIRECTORY),
    # ---- bad CRCs written consistently into the directory
    Case("crc/data.pkl-zero", lambda tmp, m: _rezip(_records(_base_bytes()), _set("CRC", 0)), RuntimeError,
         RECORD.format("archive/data.pkl") + r" .*Bad CRC-32"),
    Case("crc/storage-off-by-one",
         lambda tmp, m: _rezip(_records(_base_bytes()), lambda infos: setattr(
             _info(infos, "data/5"), "CRC", _info(infos, "data/5").CRC ^ 1)),
         RuntimeError, RECORD.format("archive/data/5") + r" .*Bad CRC-32", mmap=False),
    # ---- duplicated and missing records
    Case("records/duplicated-data.pkl",
         lambda tmp, m: _rezip(_records(_base_bytes()) + [("archive/data.pkl", _p2(pickle.NONE))]),
         RuntimeError, "more than one record named 'archive/data.pkl'"),
    Case("records/duplicated-storage",
         lambda tmp, m: _rezip(_records(_base_bytes()) + [("archive/data/0", b"\0" * 16)]),
         RuntimeError, "more than one record named 'archive/data/0'"),
    Case("records/two-entries-one-local-header",
         lambda tmp, m: _rezip(_records(_base_bytes()), lambda infos: setattr(
             _info(infos, "data/1"), "header_offset", _info(infos, "data/0").header_offset)),
         RuntimeError, r"'archive/data/1' .* has a local header for 'archive/data/0'|"
         + RECORD.format("archive/data/1")),
    Case("records/missing-data.pkl",
         lambda tmp, m: _rezip([r for r in _records(_base_bytes()) if not r[0].endswith("data.pkl")]),
         RuntimeError, r"not a PyTorch checkpoint: expected a '<archive>/data.pkl' record"),
    Case("records/missing-storage",
         lambda tmp, m: _rezip([r for r in _records(_base_bytes()) if r[0] != "archive/data/4"]),
         RuntimeError, "missing the record 'archive/data/4'"),
    Case("records/empty-zip", lambda tmp, m: _rezip([]), RuntimeError, r"not a PyTorch checkpoint.*found \[\]"),
    # ---- zip bombs: declared sizes far beyond what the file holds
    Case("bomb/deflated-data.pkl-declares-4GiB",
         lambda tmp, m: _rezip(_records(_base_bytes()), _set("file_size", 2 ** 32 - 1), zipfile.ZIP_DEFLATED),
         RuntimeError, r"'archive/data.pkl' .* declares 4294967295 bytes, more than the \d+-byte file can hold"),
    Case("bomb/zip64-storage-declares-4EiB",
         lambda tmp, m: _rezip(_records(_base_bytes()), _set("file_size", 2 ** 62, "data/0")),
         RuntimeError, r"'archive/data/0' .* holds 4611686018427387904 bytes but the checkpoint declares 48 bytes"),
    Case("bomb/tensor-2**40-floats",
         lambda tmp, m: _rezip([("archive/data.pkl", _p2(_v2(_pid(numel=2 ** 40), size=(2 ** 40,)))),
                                ("archive/data/0", b"\0" * 64)], _set("file_size", 2 ** 42, "data/0")),
         RuntimeError, r"'archive/data/0' .* declares 4398046511104 bytes, more than the \d+-byte file can hold"),
    # (1 MiB declared for 4 kB of incompressible deflate data: within deflate's 1032:1 ratio, so the loader
    # reads the stream and finds it short; the buffer it allocates is bounded by that ratio)
    Case("bomb/deflate-stream-shorter-than-declared",
         lambda tmp, m: _rezip([("archive/data.pkl", _p2(_v2(_pid(numel=2 ** 18), size=(2 ** 18,)))),
                                ("archive/data/0", np.random.default_rng(3).bytes(4000))],
                               _set("file_size", 2 ** 20, "data/0"), zipfile.ZIP_DEFLATED),
         RuntimeError, RECORD.format("archive/data/0") + r" \(EOFError: record ended after 4000 of 1048576",
         mmap=False),  # (mmap=True refuses any compressed record)
    # ---- not a checkpoint at all
    Case("garbage/random-bytes", lambda tmp, m: np.random.default_rng(1).bytes(4096), UnpicklingError,
         "is not a zip archive .*expected a PyTorch zip checkpoint"),
    Case("garbage/zeros", lambda tmp, m: bytes(4096), UnpicklingError, "is not a zip archive"),
    Case("garbage/local-header-then-noise",
         lambda tmp, m: b"PK\x03\x04" + np.random.default_rng(2).bytes(2048), RuntimeError, DIRECTORY),
    Case("garbage/gzipped-checkpoint", lambda tmp, m: gzip.compress(_base_bytes(), mtime=0), UnpicklingError,
         r"is not a zip archive \(it starts with b'\\x1f\\x8b"),
    Case("garbage/bare-pickle-payload",
         lambda tmp, m: _p2(_call(ts._op_global("os", "system"), ts._op_str(f"touch {m}"))), UnpicklingError,
         "bare pickle stream, not a zip archive"),
    Case("garbage/safetensors-named-.pt",
         lambda tmp, m: struct.pack("<Q", 8) + b"{}      ", UnpicklingError, "looks like a safetensors file"),
]


# ---- pickles: forbidden globals through every opcode that can name or call one, with live payloads
def _marker_code(m):
    return f"open({str(m)!r}, 'w').close()"


PAYLOADS = {
    "global+reduce/os.system": lambda m: _p2(_call(ts._op_global("os", "system"), ts._op_str(f"touch {m}"))),
    "global+reduce/posix.system-in-state_dict": lambda m: _p2(
        _od() + ts._op_str("weight") + _call(ts._op_global("posix", "system"), ts._op_str(f"touch {m}"))
        + pickle.SETITEM),
    "stack_global+reduce/subprocess.Popen": lambda m: _p4(
        _call(_stack_global("subprocess", "Popen"),
              pickle.EMPTY_LIST + pickle.MARK + ts._op_str("touch") + ts._op_str(str(m)) + pickle.APPENDS)),
    "inst/os.system": lambda m: _p2(pickle.MARK + ts._op_str(f"touch {m}") + pickle.INST + b"os\nsystem\n"),
    "obj/builtins.exec": lambda m: _p2(
        pickle.MARK + ts._op_global("builtins", "exec") + ts._op_str(_marker_code(m)) + pickle.OBJ),
    "global+reduce/builtins.eval": lambda m: _p2(_call(ts._op_global("builtins", "eval"),
                                                       ts._op_str(_marker_code(m)))),
    "stack_global/getattr-__import__-chain": lambda m: _p4(_call(
        _call(_stack_global("builtins", "getattr"), _call(_stack_global("builtins", "__import__"),
                                                          ts._op_str("os")), ts._op_str("system")),
        ts._op_str(f"touch {m}"))),
    "global+reduce/builtins.open": lambda m: _p2(_call(ts._op_global("__builtin__", "open"), ts._op_str(str(m)),
                                                       ts._op_str("w"))),
    "newobj+build/user-class": lambda m: _p2(
        ts._op_global("__main__", "Payload") + pickle.EMPTY_TUPLE + pickle.NEWOBJ + pickle.EMPTY_DICT
        + ts._op_str("marker") + ts._op_str(str(m)) + pickle.SETITEM + pickle.BUILD),
    "newobj_ex+build/user-class": lambda m: _p4(
        _stack_global("__main__", "Payload") + pickle.EMPTY_TUPLE + pickle.EMPTY_DICT + pickle.NEWOBJ_EX
        + pickle.EMPTY_DICT + ts._op_str("marker") + ts._op_str(str(m)) + pickle.SETITEM + pickle.BUILD),
    "global+reduce/functools.partial": lambda m: _p2(_call(
        _call(ts._op_global("functools", "partial"), ts._op_global("os", "system"), ts._op_str(f"touch {m}")))),
    "global+reduce/operator.attrgetter": lambda m: _p2(_call(
        _call(_call(ts._op_global("operator", "attrgetter"), ts._op_str("system")),
              _call(ts._op_global("builtins", "__import__"), ts._op_str("os"))), ts._op_str(f"touch {m}"))),
    "global+reduce/operator.methodcaller": lambda m: _p2(_call(
        _call(ts._op_global("operator", "methodcaller"), ts._op_str("system"), ts._op_str(f"touch {m}")),
        _call(ts._op_global("builtins", "__import__"), ts._op_str("os")))),
    "global+reduce/numtorch.save": lambda m: _p2(_call(ts._op_global("numtorch", "save"), pickle.EMPTY_DICT,
                                                       ts._op_str(str(m)))),
    "global+reduce/numtorch.serialization._atomic_write": lambda m: _p2(_call(
        ts._op_global("numtorch.serialization", "_atomic_write"), ts._op_str(str(m)),
        ts._op_global("builtins", "repr"))),
    "global+reduce/numtorch._tensor.Tensor": lambda m: _p2(_call(
        ts._op_global("numtorch._tensor", "Tensor"), _call(ts._op_global("builtins", "exec"),
                                                           ts._op_str(_marker_code(m))))),
    "ext1/os.system": lambda m: _p2(pickle.EXT1 + bytes([0xEE]) + ts._op_tuple(ts._op_str(f"touch {m}"))
                                    + pickle.REDUCE),
    "ext2/builtins.exec": lambda m: _p2(pickle.EXT2 + struct.pack("<H", 0x1EEE)
                                        + ts._op_tuple(ts._op_str(_marker_code(m))) + pickle.REDUCE),
    "ext4/subprocess.Popen": lambda m: _p2(
        pickle.EXT4 + struct.pack("<i", 0x7EEEEE)
        + ts._op_tuple(pickle.EMPTY_LIST + pickle.MARK + ts._op_str("touch") + ts._op_str(str(m)) + pickle.APPENDS)
        + pickle.REDUCE),
}
REFUSED_GLOBAL = {
    "global+reduce/os.system": "os.system", "global+reduce/posix.system-in-state_dict": "posix.system",
    "stack_global+reduce/subprocess.Popen": "subprocess.Popen", "obj/builtins.exec": "builtins.exec",
    "global+reduce/builtins.eval": "builtins.eval", "stack_global/getattr-__import__-chain": "builtins.getattr",
    "global+reduce/builtins.open": "builtins.open", "newobj+build/user-class": "__main__.Payload",
    "newobj_ex+build/user-class": "__main__.Payload", "global+reduce/functools.partial": "functools.partial",
    "global+reduce/operator.attrgetter": "operator.attrgetter",
    "global+reduce/operator.methodcaller": "operator.methodcaller",
    "global+reduce/numtorch.save": "numtorch.save",
    "global+reduce/numtorch.serialization._atomic_write": "numtorch.serialization._atomic_write",
    "global+reduce/numtorch._tensor.Tensor": "numtorch._tensor.Tensor", "ext1/os.system": "os.system",
    "ext2/builtins.exec": "builtins.exec", "ext4/subprocess.Popen": "subprocess.Popen",
}

PAYLOAD_CASES = [
    Case(f"payload/{key}", (lambda build: lambda tmp, m: _pickle_file(tmp, build(m)))(build), UnpicklingError,
         "refused to construct an object from a class named by the file" if key.startswith("inst/")
         else f"refused global '{REFUSED_GLOBAL[key]}'")
    for key, build in PAYLOADS.items()
]


def _deep_tuple(depth):
    return pickle.EMPTY_TUPLE + pickle.TUPLE1 * depth


def _body_case(id, body, exc, match, records=F32, wrap=_p2):
    return Case(id, lambda tmp, m: _pickle_file(tmp, wrap(body), records), exc, match)


PICKLE_CASES = [
    _body_case("pickle/reduce-on-a-storage", _pid() + pickle.EMPTY_TUPLE + pickle.REDUCE, UnpicklingError,
               "refused to call"),
    _body_case("pickle/reduce-on-a-storage-type", ts._op_global("torch", "FloatStorage") + pickle.EMPTY_TUPLE
               + pickle.REDUCE, UnpicklingError, "refused to call"),
    _body_case("pickle/build-on-a-Size", _call(ts._op_global("torch", "Size"), _ints((2, 3))) + pickle.EMPTY_DICT
               + ts._op_str("x") + ts._op_int(1) + pickle.SETITEM + pickle.BUILD, UnpicklingError,
               "refused to set the state of a Size"),
    _body_case("pickle/build-slot-state-on-an-OrderedDict", _od() + ts._op_tuple(
        pickle.EMPTY_DICT, pickle.EMPTY_DICT + ts._op_str("__class__") + ts._op_global("collections", "Counter")
        + pickle.SETITEM) + pickle.BUILD, UnpicklingError, "refused to set the state of a OrderedDict"),
    _body_case("pickle/obj-of-an-allowed-class", pickle.MARK + ts._op_global("collections", "OrderedDict")
               + pickle.OBJ, UnpicklingError, "refused to construct"),
    _body_case("pickle/newobj_ex-of-an-allowed-class", ts._op_global("collections", "OrderedDict")
               + pickle.EMPTY_TUPLE + pickle.EMPTY_DICT + pickle.NEWOBJ_EX, UnpicklingError,
               "refused to construct", wrap=_p4),
    _body_case("pickle/ext1-unregistered-code", pickle.EXT1 + b"\x01", UnpicklingError,
               "corrupt or truncated .*unregistered extension code 1"),
    _body_case("pickle/rebuild_from_type_v2-foreign-function", _call(
        ts._op_global("torch._tensor", "_rebuild_from_type_v2"), ts._op_global("collections", "OrderedDict"),
        ts._op_global("torch", "Tensor"), pickle.EMPTY_TUPLE, pickle.NONE), UnpicklingError,
        "refused _rebuild_from_type_v2"),
    _body_case("pickle/rebuild_from_type_v2-foreign-subclass", _call(
        ts._op_global("torch._tensor", "_rebuild_from_type_v2"), ts._op_global("torch._utils", "_rebuild_tensor"),
        ts._op_global("collections", "Counter"), ts._op_tuple(_pid(), ts._op_int(0), _ints((4,)), _ints((1,))),
        pickle.NONE), UnpicklingError, "refused tensor subclass"),
    _body_case("pickle/tensor-state-sets-internal-field", _call(
        ts._op_global("torch._utils", "_rebuild_parameter_with_state"), _v2(), pickle.NEWFALSE, _od(),
        pickle.EMPTY_DICT + ts._op_str("_data") + ts._op_int(0) + pickle.SETITEM), UnpicklingError,
        "refused to set attribute '_data' on a tensor"),
    _body_case("pickle/codecs.encode-with-a-binary-codec", _call(
        ts._op_global("_codecs", "encode"), ts._op_str("abc"), ts._op_str("zlib_codec")), UnpicklingError,
        "needs a text encoding .*zlib_codec"),
    _body_case("pickle/codecs.encode-unknown-encoding", _call(
        ts._op_global("_codecs", "encode"), ts._op_str("abc"), ts._op_str("no-such-codec")),
        UnpicklingError, "needs a text encoding .*no-such-codec"),
    _body_case("pickle/bytearray8-declares-1TiB", pickle.BYTEARRAY8 + struct.pack("<Q", 2 ** 40) + b"abc",
               UnpicklingError, "1099511627776", wrap=lambda b: pickle.PROTO + b"\x05" + b + pickle.STOP),
    _body_case("pickle/binunicode-declares-4GiB", pickle.BINUNICODE + struct.pack("<I", 2 ** 32 - 1) + b"abc",
               UnpicklingError, "corrupt or truncated"),
    _body_case("pickle/memo-get-of-a-missing-index", pickle.LONG_BINGET + struct.pack("<I", 2 ** 32 - 1),
               UnpicklingError, "Memo value not found"),
    _body_case("pickle/no-stop-opcode", pickle.EMPTY_DICT, UnpicklingError, "corrupt or truncated",
               wrap=lambda b: pickle.PROTO + b"\x02" + b),
    _body_case("pickle/persistent-id-not-a-storage", ts._op_tuple(ts._op_str("module"), ts._op_str("x"))
               + pickle.BINPERSID, UnpicklingError, r"persistent id must be \('storage'"),
    _body_case("pickle/deep-tuple-2000", _deep_tuple(2000), UnpicklingError, "nest.* deeper than"),
    _body_case("pickle/deep-tuple-inside-a-Size", _call(ts._op_global("torch", "Size"),
                                                        ts._op_tuple(_deep_tuple(999))) + pickle.TUPLE1,
               UnpicklingError, "nest.* deeper than"),
]

# ---- tensors that do not fit their storages; sizes, strides and offsets near and beyond 2**63
TENSOR_CASES = [
    _body_case("tensor/offset-int64-max", _v2(offset=2 ** 63 - 1, size=(1,)), RuntimeError,
               "storage offset 9223372036854775807 needs a storage of 9223372036854775808 elements, but storage "
               "'0' has 4"),
    _body_case("tensor/offset-int64-min", _v2(offset=-2 ** 63, size=(1,)), RuntimeError,
               "negative storage offset, size or stride"),
    _body_case("tensor/stride-int64-max", _v2(size=(2,), stride=(2 ** 63 - 1,)), RuntimeError,
               "overflows 64-bit sizes"),
    _body_case("tensor/stride-2**64", _v2(size=(2,), stride=(2 ** 64,)), RuntimeError, "overflows 64-bit sizes"),
    _body_case("tensor/size-int64-max-stride-0", _v2(size=(2 ** 63 - 1,), stride=(0,)), RuntimeError,
               "overflows 64-bit sizes"),
    _body_case("tensor/size-product-overflows", _v2(size=(2 ** 32, 2 ** 32), stride=(0, 0)), RuntimeError,
               "overflows 64-bit sizes"),
    _body_case("tensor/view-past-the-storage-end", _v2(offset=2, size=(2, 2), stride=(1, 1)), RuntimeError,
               "needs a storage of 5 elements, but storage '0' has 4"),
    _body_case("tensor/transposed-view-past-the-end", _v2(size=(2, 3), stride=(1, 2)), RuntimeError,
               "needs a storage of 6 elements"),
    _body_case("tensor/size-and-stride-ranks-differ", _v2(size=(2, 2), stride=(1,)), RuntimeError,
               r"size \[2, 2\] and stride \[1\] differ in length"),
    _body_case("tensor/size-of-floats", _call(ts._op_global("torch._utils", "_rebuild_tensor"), _pid(),
                                              ts._op_int(0), ts._op_tuple(pickle.BINFLOAT + struct.pack(">d", 4.0)),
                                              _ints((1,))), RuntimeError, "size must be a tuple of ints"),
    _body_case("tensor/size-of-bools", _call(ts._op_global("torch._utils", "_rebuild_tensor"), _pid(),
                                             ts._op_int(0), ts._op_tuple(pickle.NEWTRUE), _ints((1,))),
               RuntimeError, "size must be a tuple of ints"),
    _body_case("tensor/65-dimensions", _v2(size=(1,) * 65, stride=(1,) * 65), UnpicklingError,
               "maximum supported dimension"),
    _body_case("tensor/storage-numel-int64-bytes", _v2(_pid(numel=2 ** 61)), RuntimeError,
               "declares 2305843009213693952 elements, more than can exist"),
    _body_case("tensor/storage-numel-negative", _v2(_pid(numel=-1)), UnpicklingError, "malformed storage id"),
    _body_case("tensor/storage-record-short-for-float64", _v2(_pid("DoubleStorage")), RuntimeError,
               "holds 16 bytes but the checkpoint declares 32 bytes"),
    _body_case("tensor/one-storage-two-dtypes", ts._op_tuple(_v2(), _v2(_pid("IntStorage"))), RuntimeError,
               "storage '0' is referenced as both torch.FloatStorage and torch.IntStorage"),
    _body_case("tensor/untyped-storage-without-dtype", _v2(_pid("UntypedStorage", numel=16)), UnpicklingError,
               "over an UntypedStorage needs a dtype"),
    _body_case("tensor/untyped-storage-not-whole-elements", _v3(_pid("UntypedStorage", numel=10),
                                                                ts._op_global("torch", "float64"), size=(1,)),
               RuntimeError, "holds 10 bytes, not a whole number of numtorch.float64 elements",
               records={"0": bytes(10)}),
    _body_case("tensor/untyped-storage-odd-bfloat16", _v3(_pid("UntypedStorage", numel=3),
                                                          ts._op_global("torch", "bfloat16"), size=(1,)),
               RuntimeError, "holds 3 bytes, not a whole number of bfloat16 elements", records={"0": bytes(3)}),
    _body_case("tensor/v3-dtype-is-a-storage-type", _v3(_pid("UntypedStorage", numel=16),
                                                        ts._op_global("torch", "FloatStorage")),
               UnpicklingError, "expected a dtype"),
    _body_case("tensor/requires-grad-not-a-bool", _v2(requires_grad=ts._op_int(1)), RuntimeError,
               "requires_grad must be a bool"),
    _body_case("tensor/unknown-metadata", _v2(extra=pickle.EMPTY_DICT + ts._op_str("python_code")
                                              + ts._op_str("os.system('x')") + pickle.SETITEM),
               RuntimeError, "unsupported tensor metadata"),
    _body_case("tensor/parameter-of-a-string", _call(ts._op_global("torch._utils", "_rebuild_parameter"),
                                                     ts._op_str("w"), pickle.NEWTRUE, _od()),
               UnpicklingError, "a Parameter must wrap a tensor, got str"),
    _body_case("tensor/storage-type-of-a-dtype", _v2(ts._op_tuple(
        ts._op_str("storage"), ts._op_global("torch", "float32"), ts._op_str("0"), ts._op_str("cpu"),
        ts._op_int(4)) + pickle.BINPERSID), UnpicklingError, "storage type must be a torch storage class"),
    _body_case("tensor/foreign-dtype-uint32", _v3(_pid("UntypedStorage", numel=16),
                                                  ts._op_global("torch", "uint32")),
               UnpicklingError, "dtype torch.uint32, which numtorch .* cannot represent"),
]

CHECKPOINT_CASES = ZIP_CASES + PAYLOAD_CASES + PICKLE_CASES + TENSOR_CASES


def _materialize(case, tmp_path, marker):
    made = case.make(tmp_path, marker)
    if isinstance(made, (bytes, bytearray)):
        path = tmp_path / "case.pt"
        path.write_bytes(bytes(made))
        return path
    return made


@pytest.mark.parametrize("case", CHECKPOINT_CASES, ids=[c.id for c in CHECKPOINT_CASES])
def test_hostile_checkpoint_is_refused(case, tmp_path, marker, extensions):
    path = _materialize(case, tmp_path, marker)
    _refused(lambda: nt.load(path), case.exc, case.match)
    with open(path, "rb") as f:  # a file object goes through the same checks
        _refused(lambda: nt.load(f), case.exc, case.match)
    _refused(lambda: nt.load(io.BytesIO(path.read_bytes())), case.exc, case.match)
    if case.mmap:
        _refused(lambda: nt.load(path, mmap=True), case.exc, case.match)
    assert not marker.exists(), "a payload from the file was executed"


_LIVENESS_SCRIPT = r"""
import copyreg, os, pickle, sys, zipfile

class Payload:
    def __setstate__(self, state):
        open(state["marker"], "w").close()

for module, name, code in [("os", "system", 0xEE), ("builtins", "exec", 0x1EEE), ("subprocess", "Popen", 0x7EEEEE)]:
    copyreg.add_extension(module, name, code)
for path in sys.argv[1:]:
    with zipfile.ZipFile(path) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))
    try:
        result = pickle.loads(data)
    except Exception:
        continue
    getattr(result, "wait", lambda: None)()  # a Popen: let the child finish
"""


def test_payloads_are_live(tmp_path):
    """The oracle for 'nothing is executed': the standard unpickler does run every payload of the corpus."""
    paths, markers = [], []
    for i, build in enumerate(PAYLOADS.values()):
        markers.append(tmp_path / f"marker{i}")
        paths.append(str(_pickle_file(tmp_path, build(markers[-1]), name=f"p{i}.pt")))
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(HERE), "src"))
    subprocess.run([sys.executable, "-c", _LIVENESS_SCRIPT, *paths], cwd=tmp_path, env=env, timeout=120,
                   check=True, capture_output=True)
    dead = [key for key, m in zip(PAYLOADS, markers) if not m.exists()]
    assert not dead, f"payloads that do not even run under pickle.loads: {dead}"


# ============================================================================================ sweeps
def _same_values(a, b):
    """Equal structure, types and tensor bytes."""
    if isinstance(a, nt.Tensor):
        return type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape and \
            a._data.tobytes() == b._data.tobytes()
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(_same_values(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _checkpoint_sweep(data, flips=True):
    """Load every truncation of ``data`` (or every byte of it corrupted: all bits, or one, alternately); return
    the outcome per offset.

    Each must be refused with a documented class or load exactly the original values."""
    reference = nt.load(io.BytesIO(data))
    outcome = []
    for i in range(len(data)):
        for mask in (((0xFF if i % 2 else 1 << (i // 2 % 8)),) if flips else (None,)):
            if mask is None:
                mutated = data[:i]
            else:
                mutated = bytearray(data)
                mutated[i] ^= mask
            try:
                out = nt.load(io.BytesIO(bytes(mutated)))
            except (UnpicklingError, RuntimeError, ValueError) as e:
                assert type(e) in (UnpicklingError, RuntimeError, ValueError), (i, mask, repr(e))
                outcome.append((i, "refused"))
                continue
            assert _same_values(out, reference), f"byte {i} ^ {mask:#x} loaded different values"
            outcome.append((i, "same"))
    return outcome


def test_every_truncation_is_refused():
    data = _base_bytes()
    outcome = _checkpoint_sweep(data, flips=False)
    assert [kind for _, kind in outcome] == ["refused"] * len(data)


def _record_bytes(data):
    """Offsets of the bytes of every record the loader reads (data.pkl, byteorder, the storages)."""
    lay = _layout(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {lay[f"data:{i.filename.split('/', 1)[1]}"] + k for i in z.infolist()
                if i.filename.endswith(("/data.pkl", "/byteorder")) or "/data/" in i.filename
                for k in range(i.file_size)}


def _check_flip_sweep(data):
    outcome = _checkpoint_sweep(data)
    harmless = {i for i, kind in outcome if kind == "same"}
    # every byte a loader reads is covered by a CRC-32 or a structural check; what may flip harmlessly is
    # alignment padding and fields no reader uses (version-made-by, data descriptors, entry counts)
    assert not harmless & _record_bytes(data), "a corrupted record that is read was not caught by its CRC-32"
    assert sum(kind == "refused" for _, kind in outcome) > len(data) // 3  # about half the file is padding


def test_every_flipped_byte_is_refused_or_harmless():
    _check_flip_sweep(_base_bytes())


@pytest.mark.torch
def test_torch_written_checkpoint_sweep():
    from helpers import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "epoch": 3}, buf)
    _check_flip_sweep(buf.getvalue())


def test_mmap_sweep_never_leaks_other_errors(tmp_path):
    """mmap=True skips the CRC-32 (as torch does), so a flipped storage byte may load; anything refused must
    still be refused with a documented class."""
    data = _base_bytes()
    path = tmp_path / "m.pt"
    for i in range(0, len(data), 7):
        mutated = bytearray(data)
        mutated[i] ^= 0xFF
        path.write_bytes(bytes(mutated))
        try:
            nt.load(path, mmap=True)
        except (UnpicklingError, RuntimeError, ValueError) as e:
            assert type(e) in (UnpicklingError, RuntimeError, ValueError), (i, repr(e))


# ============================================================================================ nesting bombs
_NESTING_SCRIPT = r"""
import pickle, sys, zipfile
import numtorch as nt
from numtorch.vision._download import restricted_load
deep = pickle.EMPTY_TUPLE + pickle.TUPLE1 * 10 ** 6
cases = {
    "checkpoint dict-key": pickle.EMPTY_DICT + deep + pickle.NONE + pickle.SETITEM,
    "checkpoint set-element": b"c__builtin__\nset\n(]" + deep + b"atR",
    "checkpoint OrderedDict-key": b"ccollections\nOrderedDict\n)R" + deep + pickle.NONE + pickle.SETITEM,
    "dataset dict-key": pickle.EMPTY_DICT + deep + pickle.NONE + pickle.SETITEM,
}
for name, body in cases.items():
    data = pickle.PROTO + b"\x02" + body + pickle.STOP
    path = sys.argv[1] + "/" + name.replace(" ", "-")
    try:
        if name.startswith("checkpoint"):
            with zipfile.ZipFile(path, "w") as z:
                z.writestr("archive/data.pkl", data)
            nt.load(path)
        else:
            with open(path, "wb") as f:
                f.write(data)
            restricted_load(path)
        print(name, "| LOADED", flush=True)
    except Exception as e:
        print(name, "|", type(e).__name__, e, flush=True)
"""


def test_million_deep_tuple_is_refused_not_a_crash(tmp_path):
    """Hashing a 10**6-deep tuple (a dict key, a set element) overflows the C stack: a segfault, in torch.load too.
    The loaders refuse tuples nested deeper than 1000. Run in a subprocess so that a regression is a failed test,
    not a dead test run."""
    res = subprocess.run([sys.executable, "-c", _NESTING_SCRIPT, str(tmp_path)], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, f"the loader crashed (exit status {res.returncode}) after: {res.stdout}"
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 4, res.stdout
    for line in lines:
        assert "| UnpicklingError" in line and "nests tuples deeper than 1000 levels" in line, line


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_deep_lists_and_dicts_load_without_recursion(tmp_path, kind):
    """Lists and dicts nested 10**5 deep are data torch.load also reads; numtorch's loader never recurses, so they
    load (no RecursionError, no crash) and take memory in proportion to the file, like any pickle."""
    depth = 10 ** 5
    if kind == "list":
        body = pickle.EMPTY_LIST * depth + pickle.APPEND * (depth - 1)
    else:
        body = (pickle.EMPTY_DICT + ts._op_str("k")) * (depth - 1) + pickle.EMPTY_DICT + pickle.SETITEM * (depth - 1)
    path = _pickle_file(tmp_path, _p2(body))
    tracemalloc.start()
    try:
        out = nt.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    levels = 0
    while out:
        out = out[0] if kind == "list" else out["k"]
        levels += 1
    assert levels == depth - 1
    assert peak < 80 * os.path.getsize(path) + MEMORY_LIMIT


# ============================================================================================ CIFAR-10 batches
class _Evil:
    """What pickle writes for os.system(command) (posix.system on Linux)."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def _cifar_batch(**changes):
    """A data_batch_1 dict in the real format (3 images), with ``changes`` applied (None deletes a key)."""
    rng = np.random.default_rng(5)
    batch = {"batch_label": "training batch 1 of 2", "labels": [3, 0, 9],
             "data": rng.integers(0, 256, (3, 3072), dtype=np.uint8), "filenames": ["a.png", "b.png", "c.png"]}
    for k, v in changes.items():
        if v is None:
            del batch[k]
        else:
            batch[k] = v
    return batch


def _cifar_py2(**changes):
    return lambda m: _tv().py2_pickle(_cifar_batch(**changes))


def _tv():
    import test_vision  # its CIFAR-10 writer (Python 2 pickles, as the real files) and checksum-patched class
    return test_vision


def _meta(**changes):
    meta = {"num_cases_per_batch": 3, "label_names": _tv().LABEL_NAMES, "num_vis": 3072}
    meta.update(changes)
    return lambda m: _tv().py2_pickle({k: v for k, v in meta.items() if v is not None})


CIFAR_CASES = {
    # forbidden globals, through each opcode that names one
    "payload/reduce-posix.system": (lambda m: pickle.dumps({b"data": _Evil(f"touch {m}"), b"labels": [1]}, 2),
                                    r"refusing to load (posix|os)\.system"),
    "payload/stack_global-builtins.eval": (lambda m: _p4(_call(_stack_global("builtins", "eval"),
                                                               ts._op_str(_marker_code(m)))),
                                           "refusing to load builtins.eval"),
    "payload/inst-subprocess.Popen": (lambda m: _p2(pickle.MARK + pickle.EMPTY_LIST + pickle.MARK + ts._op_str("touch")
                                                    + ts._op_str(str(m)) + pickle.APPENDS + pickle.INST
                                                    + b"subprocess\nPopen\n"), "refusing to construct"),
    "payload/newobj-user-class": (lambda m: _p2(ts._op_global("__main__", "Payload") + pickle.EMPTY_TUPLE
                                                + pickle.NEWOBJ), "refusing to load __main__.Payload"),
    "payload/numpy.savetxt": (lambda m: _p2(_call(ts._op_global("numpy", "savetxt"), ts._op_str(str(m)),
                                                  pickle.EMPTY_LIST + ts._op_int(0) + pickle.APPEND)),
                              "refusing to load numpy.savetxt"),
    "payload/ext1-os.system": (lambda m: _p2(pickle.EXT1 + bytes([0xEE]) + ts._op_tuple(ts._op_str(f"touch {m}"))
                                             + pickle.REDUCE), "refusing to load os.system"),
    # allocations the file declares but does not hold
    "alloc/ndarray-called-with-a-huge-shape": (
        lambda m: _p2(_call(ts._op_global("numpy", "ndarray"), _ints((2 ** 28,)))), "refusing to call numpy.ndarray"),
    "alloc/ndarray-newobj-with-a-huge-shape": (
        lambda m: _p2(ts._op_global("numpy", "ndarray") + ts._op_tuple(_ints((2 ** 28,))) + pickle.NEWOBJ),
        "refus.* construct"),
    "alloc/_reconstruct-with-a-huge-shape": (
        lambda m: _p2(_call(ts._op_global("numpy.core.multiarray", "_reconstruct"),
                            ts._op_global("numpy", "ndarray"), _ints((2 ** 31,)), ts._op_str("B"))),
        r"_reconstruct .*\(0,\)"),
    "alloc/setstate-shape-beyond-the-data": (
        lambda m: pickle.dumps(_HugeState(), 2), "buffer size does not match array size"),
    "alloc/bytearray8-declares-1TiB": (
        lambda m: pickle.PROTO + b"\x05" + pickle.BYTEARRAY8 + struct.pack("<Q", 2 ** 40) + b"abc" + pickle.STOP,
        "declares a bytearray of 1099511627776 bytes"),
    # the batch's contents
    "batch/missing-data-key": (_cifar_py2(data=None), r"expected a dict with keys 'data' and 'labels'"),
    "batch/missing-labels-key": (_cifar_py2(labels=None), r"expected a dict with keys 'data' and 'labels'"),
    "batch/data-not-an-array": (_cifar_py2(data=[[0] * 3072] * 3), r"expected data of shape \(N, 3072\)"),
    "batch/data-rows-too-short": (_cifar_py2(data=np.zeros((3, 3071), np.uint8)),
                                  r"expected data of shape \(N, 3072\) and dtype uint8, got \(3, 3071\)"),
    "batch/data-float32": (_cifar_py2(data=np.zeros((3, 3072), np.float32)), "dtype uint8, got .* float32"),
    "batch/data-3d": (_cifar_py2(data=np.zeros((3, 32, 96), np.uint8)), r"got \(3, 32, 96\)"),
    "batch/data-object-array": (_cifar_py2(data=np.full((3, 3072), None, dtype=object)), "dtype uint8, got .*object"),
    "batch/labels-out-of-range": (_cifar_py2(labels=[3, 10, 1]), r"label 10 is out of range: expected 0 <= label < 10"),
    "batch/labels-negative": (_cifar_py2(labels=[-1, 0, 1]), r"label -1 is out of range"),
    "batch/labels-floats": (_cifar_py2(labels=[0.5, 1.0, 2.0]), "expected the labels as a list of ints"),
    "batch/labels-strings": (_cifar_py2(labels=["cat", "dog", "cat"]), "expected the labels as a list of ints"),
    "batch/labels-not-a-list": (_cifar_py2(labels=7), "expected the labels as a list of ints"),
    "batch/labels-fewer-than-images": (_cifar_py2(labels=[1, 2]), "3 images but 2 labels"),
    "batch/not-a-dict": (lambda m: _tv().py2_pickle([1, 2, 3]), "expected a pickled dict, got list"),
    "batch/truncated": (lambda m: _tv().py2_pickle(_cifar_batch())[:5000], "could not read .*not a valid data file"),
    "batch/empty-file": (lambda m: b"", "could not read .*not a valid data file"),
    "batch/not-a-pickle": (lambda m: np.random.default_rng(4).bytes(1000), "could not read"),
    "meta/missing-label-names": (_meta(label_names=None), r"batches.meta: expected a dict with the key 'label_names'"),
    "meta/label-names-not-a-list": (_meta(label_names=10), "batches.meta: expected the class names as a list"),
}


class _HugeState:
    """An ndarray pickle whose state claims a (2**40,) shape over 3072 bytes."""

    def __reduce__(self):
        func, args, state = np.zeros(3072, np.uint8).__reduce__()
        return func, args, (state[0], (2 ** 40,)) + state[2:]


@pytest.mark.parametrize("case", list(CIFAR_CASES), ids=list(CIFAR_CASES))
def test_hostile_cifar_batch_is_refused(case, tmp_path, marker, extensions):
    make, match = CIFAR_CASES[case]
    tv = _tv()
    files, _, _ = tv.make_cifar_files()
    target = "batches.meta" if case.startswith("meta/") else "data_batch_1"
    files[target] = make(marker)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    # a mirror serving these files with matching checksums: only the content checks stand in the way
    cls = tv.cifar_class("http://127.0.0.1:9/unused", "0" * 32, files)
    _refused(lambda: cls(str(tmp_path), train=True), RuntimeError, match)
    assert not marker.exists(), "a payload from the file was executed"
    # the real class never gets that far: the file's checksum is not CIFAR-10's
    _refused(lambda: datasets_CIFAR10()(str(tmp_path)), RuntimeError, "Dataset not found or corrupted")


def datasets_CIFAR10():
    from numtorch.vision import datasets
    return datasets.CIFAR10


# ============================================================================================ safetensors
def _st(header, data=b"", length=None):
    """A safetensors file: u64 header length, the header (JSON text, or raw bytes), the data."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


_F16B = np.arange(4, dtype="<f4").tobytes()
_W = {"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}


def _one(dtype="F32", shape=(2, 2), offsets=(0, 16)):
    return {"w": {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}}


SAFETENSORS_CASES = {
    "empty-file": (b"", "header too small"),
    "shorter-than-the-length-field": (b"\x08\x00\x00", "header too small"),
    "header-length-beyond-the-file": (_st(_W, _F16B, length=10 ** 6), "invalid header length"),
    "header-length-2**63": (_st(_W, _F16B, length=2 ** 63), "header too large"),
    "header-length-zero": (_st(b"", _F16B, length=0), "invalid JSON in header"),
    "header-not-json": (_st(b"{'w': 1", _F16B), "invalid JSON in header"),
    "header-a-json-array": (_st([1, 2], _F16B), "invalid JSON in header: invalid type: sequence"),
    "header-not-utf8": (_st(b'{"\xff": 1}', _F16B), "invalid UTF-8 in header"),
    "unknown-dtype": (_st(_one("F33"), _F16B), "unknown variant `F33`"),
    "offsets-past-the-data": (_st(_one(offsets=(0, 32)), _F16B), "invalid shape, data type, or offset"),
    "offsets-reversed": (_st(_one(offsets=(16, 0)), _F16B), "invalid offset for tensor `w`"),
    "offsets-overlapping": (_st({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, _F16B),
                            "invalid offset for tensor `b`"),
    "offsets-leave-a-gap": (_st(_one(shape=(2,), offsets=(8, 16)), _F16B), "invalid offset for tensor `w`"),
    "offset-2**64": (_st(_one(offsets=(0, 2 ** 64)), _F16B), "invalid JSON in header"),
    "shape-does-not-match-offsets": (_st(_one(shape=(5,)), _F16B), "invalid shape, data type, or offset"),
    "negative-dimension": (_st(_one(shape=(-4,)), _F16B), "invalid JSON in header: invalid value: integer `-4`"),
    "shape-product-overflows": (_st(_one(shape=(2 ** 32, 2 ** 32)), _F16B), "overflow computing buffer size"),
    "huge-shape-without-data": (_st(_one(shape=(2 ** 40,), offsets=(0, 2 ** 42)), _F16B),
                                "incomplete metadata, file not fully covered"),
    "missing-shape-field": (_st({"w": {"dtype": "F32", "data_offsets": [0, 16]}}, _F16B), "missing field `shape`"),
    "metadata-not-strings": (_st({"__metadata__": {"a": 1}, **_W}, _F16B), "invalid JSON in header"),
    "trailing-bytes": (_st(_W, _F16B + b"xx"), "incomplete metadata, file not fully covered"),
    "truncated-data": (_st(_W, _F16B[:10]), "incomplete metadata, file not fully covered"),
    "duplicated-name": (_st(b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                            b'"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', _F16B), "invalid offset"),
    "bf16-odd-byte-count": (_st(_one("BF16", shape=(3,), offsets=(0, 5)), _F16B[:5]),
                            "invalid shape, data type, or offset"),
    # well-formed, but a dtype NumPy lacks: numtorch's own ValueError
    "dtype-uint32": (_st(_one("U32", shape=(4,)), _F16B), "tensor 'w' has dtype U32, which numtorch"),
    "dtype-float8": (_st(_one("F8_E4M3", shape=(16,)), _F16B), "tensor 'w' has dtype F8_E4M3, which numtorch"),
}


@pytest.mark.parametrize("case", list(SAFETENSORS_CASES), ids=list(SAFETENSORS_CASES))
def test_hostile_safetensors_is_refused(case, tmp_path):
    st = pytest.importorskip("safetensors", reason="the safetensors extra is not installed")
    from numtorch import safetensors as nst
    raw, match = SAFETENSORS_CASES[case]
    path = tmp_path / "case.safetensors"
    path.write_bytes(raw)
    exc = ValueError if case.startswith("dtype-") else st.SafetensorError  # the class safetensors.torch raises
    # (tracemalloc does not see the Rust side's allocations; the header checks precede any of them)
    _refused(lambda: nst.load(raw), exc, match)
    _refused(lambda: nst.load_file(path), exc, match)
    _refused(lambda: nt.load(path), exc, match)  # a .safetensors path, as torch.load dispatches it


# ============================================================================================ numtorch-train --resume
def _tiny_digits(args):
    """Stands in for the digits data: 24 random 3x32x32 images (the command's data path is not under test)."""
    from numtorch.utils.data import TensorDataset
    gen = nt.Generator().manual_seed(11)
    x, y = nt.rand(24, 3, 32, 32, generator=gen), nt.randint(0, 10, (24,), generator=gen)
    return TensorDataset(x, y), TensorDataset(x[:8], y[:8]), 10


def _train_args(tmp_path, ckpt, *extra):
    return ["--model", "mlp", "--dataset", "digits", "--batch-size", "8", "--no-progress", "--no-graph",
            "--logdir", str(tmp_path / "logs"), "--checkpoint", str(ckpt), *extra]


@pytest.fixture(scope="module")
def resume_base(tmp_path_factory):
    """A genuine one-epoch numtorch-train checkpoint (as a dict) on the tiny data."""
    from numtorch import train
    tmp_path = tmp_path_factory.mktemp("resume")
    good = tmp_path / "good.pth"
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()):
        mp.setitem(train.DATASETS, "digits", _tiny_digits)
        assert train.main(_train_args(tmp_path, good, "--epochs", "1")) == 0
    return nt.load(good)


def _without(key):
    return lambda ck, m: {k: v for k, v in ck.items() if k != key}


def _with(**changes):
    return lambda ck, m: dict(ck, **changes)


RESUME_CASES = {
    "not-a-dict": (lambda ck, m: [ck], "is not a numtorch-train checkpoint"),
    "no-model": (_without("model"), "is not a numtorch-train checkpoint"),
    "model-a-list": (_with(model=[1, 2]), "does not fit model 'mlp'"),
    "model-wrong-shape": (lambda ck, m: dict(ck, model={**ck["model"], "net.1.weight": nt.zeros(2)}),
                          "does not fit model 'mlp': .*size mismatch for net.1.weight"),
    "optimizer-a-list": (_with(optimizer=[1]), "does not fit model 'mlp'"),
    "optimizer-state-an-int": (_with(optimizer={"state": 5}), "does not fit model 'mlp'"),
    "epoch-a-string": (_with(epoch="1"), "'epoch' must be a non-negative int, got '1'"),
    "epoch-negative": (_with(epoch=-5), "'epoch' must be a non-negative int, got -5"),
    "batch-past-the-epoch": (_with(batch=10 ** 9), r"'batch' must be an int in \[0, 3\], got 1000000000"),
    "global-step-a-float": (_with(global_step=1.5), "'global_step' must be a non-negative int"),
    "history-an-int": (_with(history=5), "'history' must be a list, got int"),
    "rng-missing": (_without("rng"), "has no 'rng'"),
    "rng-a-float-tensor": (_with(rng=nt.zeros(3)), "corrupt random generator state: expected a 1-D uint8"),
    "rng-not-json": (_with(rng=nt.zeros(5, dtype=nt.uint8)), "corrupt random generator state: invalid RNG state"),
    "loader-rng-a-list": (_with(loader_rng=[1, 2]), "corrupt random generator state"),
    "payload-in-history": (lambda ck, m: _Raw(_p2(_call(ts._op_global("os", "system"), ts._op_str(f"touch {m}")))),
                           r"cannot read checkpoint .*refused global 'os.system'"),
    "truncated-file": (lambda ck, m: _Truncated(ck), "cannot read checkpoint .*truncated or corrupt"),
}


class _Raw:
    """A checkpoint file whose data.pkl is exactly these bytes."""

    def __init__(self, data_pkl):
        self.data_pkl = data_pkl


class _Truncated:
    """The genuine checkpoint cut in half."""

    def __init__(self, ckpt):
        self.ckpt = ckpt


@pytest.mark.parametrize("case", list(RESUME_CASES), ids=list(RESUME_CASES))
def test_hostile_resume_checkpoint_is_refused(case, tmp_path, resume_base, marker, capsys, monkeypatch):
    """--resume from a corrupt or hostile checkpoint: exit status 2, a message naming the problem, no traceback,
    nothing executed, and the checkpoint left as it was."""
    from numtorch import train
    monkeypatch.setitem(train.DATASETS, "digits", _tiny_digits)
    make, match = RESUME_CASES[case]
    bad = make(resume_base, marker)
    path = tmp_path / "bad.pth"
    if isinstance(bad, _Raw):
        ts._ckpt(path, b"", raw_pickle=bad.data_pkl)
    elif isinstance(bad, _Truncated):
        buf = io.BytesIO()
        nt.save(bad.ckpt, buf)
        path.write_bytes(buf.getvalue()[:len(buf.getvalue()) // 2])
    else:
        nt.save(bad, path)
    before = path.read_bytes()
    capsys.readouterr()
    assert train.main(_train_args(tmp_path, path, "--epochs", "3", "--resume")) == 2
    err = capsys.readouterr().err
    assert err.startswith("numtorch-train: error: ") and "Traceback" not in err, err
    assert re.search(match, err, re.S), err
    assert path.read_bytes() == before
    assert not marker.exists(), "a payload from the file was executed"


# ============================================================================================ the count
CORPUS_SIZE = len(CHECKPOINT_CASES) + len(CIFAR_CASES) + len(SAFETENSORS_CASES) + len(RESUME_CASES) + 4


def test_corpus_size():
    """The number of named hostile files (the 4 are the million-deep tuple bombs run in a subprocess)."""
    assert CORPUS_SIZE >= 40
    print(f"{CORPUS_SIZE} hostile files: {len(CHECKPOINT_CASES)} checkpoints, {len(CIFAR_CASES)} CIFAR-10 batches, "
          f"{len(SAFETENSORS_CASES)} safetensors files, {len(RESUME_CASES)} resume checkpoints, 4 nesting bombs")
