"""numtorch.save / numtorch.load: torch's zip checkpoint format both ways, safety and robustness.

Files are crafted independently of numtorch's writer where the point is the reader (``_ckpt`` below writes
data.pkl opcodes by hand and zips them with :mod:`zipfile`), and torch is the oracle both ways
(``torch.save -> numtorch.load`` and ``numtorch.save -> torch.load(weights_only=True)``).
"""
import collections
import io
import os
import pickle
import struct
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest

import numtorch as nt
from numtorch import nn, serialization
from helpers import torch

TORCH = pytest.mark.torch

ALL_DTYPES = [nt.bool, nt.uint8, nt.int8, nt.int16, nt.int32, nt.int64, nt.float16, nt.float32, nt.float64,
              nt.complex64, nt.complex128]


# ----------------------------------------------------------------------------------------------- helpers
def _values(dtype, shape=(2, 3), seed=0):
    """Distinctive values of a dtype, including its extremes."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    npd = dtype.np
    if npd.kind == "b":
        a = rng.integers(0, 2, n).astype(bool)
    elif npd.kind in "iu":
        info = np.iinfo(npd)
        a = rng.integers(info.min, info.max, n, endpoint=True, dtype=npd)
        a[0], a[-1] = info.min, info.max
    elif npd.kind == "f":
        a = rng.standard_normal(n).astype(npd)
        a[0] = np.finfo(npd).max
    else:
        a = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(npd)
    return a.reshape(shape)


def _t(a):
    return nt.from_numpy(np.asarray(a))


def _same(a, b):
    """Same dtype, shape and exact values (NaN-aware)."""
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    np.testing.assert_array_equal(a, b)


def _roundtrip(obj, tmp_path, name="ckpt.pt", **load_kwargs):
    path = tmp_path / name
    nt.save(obj, path)
    return nt.load(path, **load_kwargs)


class Net(nn.Module):
    """Parameters, a float buffer, a 0-d int buffer (num_batches_tracked-like) and a child module."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(_t(_values(nt.float32, (4, 3))))
        self.bias = nn.Parameter(_t(_values(nt.float32, (4,), seed=1)))
        self.register_buffer("running_mean", _t(_values(nt.float32, (4,), seed=2)))
        self.register_buffer("num_batches_tracked", nt.tensor(7, dtype=nt.long))
        self.register_buffer("scratch", nt.ones(2), persistent=False)
        self.child = nn.Module()
        self.child.register_parameter("gain", nn.Parameter(_t(_values(nt.float64, (2, 2), seed=3))))


# hand-written protocol-2 opcodes, independent of numtorch's pickle writer
def _op_str(s):
    b = s.encode("utf-8")
    return pickle.BINUNICODE + struct.pack("<I", len(b)) + b


def _op_int(i):
    if -2 ** 31 <= i < 2 ** 31:
        return pickle.BININT + struct.pack("<i", i)
    data = i.to_bytes((i.bit_length() + 8) // 8, "little", signed=True)
    return pickle.LONG1 + bytes([len(data)]) + data


def _op_global(module, name):
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


def _op_tuple(*parts):
    return pickle.MARK + b"".join(parts) + pickle.TUPLE


def _op_tensor(storage="FloatStorage", key="0", location="cpu", numel=4, offset=0, size=(4,), stride=(1,),
               requires_grad=False):
    pid = _op_tuple(_op_str("storage"), _op_global("torch", storage), _op_str(key), _op_str(location),
                    _op_int(numel)) + pickle.BINPERSID
    hooks = _op_global("collections", "OrderedDict") + pickle.EMPTY_TUPLE + pickle.REDUCE
    return (_op_global("torch._utils", "_rebuild_tensor_v2")
            + _op_tuple(pid, _op_int(offset), _op_tuple(*map(_op_int, size)), _op_tuple(*map(_op_int, stride)),
                        pickle.NEWTRUE if requires_grad else pickle.NEWFALSE, hooks)
            + pickle.REDUCE)


def _ckpt(path, body, records=None, byteorder=b"little", prefix="archive", raw_pickle=None):
    """A checkpoint written with zipfile: data.pkl = PROTO 2 + body + STOP, plus storage records."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{prefix}/data.pkl", raw_pickle if raw_pickle is not None else
                   pickle.PROTO + b"\x02" + body + pickle.STOP)
        if byteorder is not None:
            z.writestr(f"{prefix}/byteorder", byteorder)
        z.writestr(f"{prefix}/version", b"3\n")  # torch's reader requires it; numtorch's does not
        for key, data in (records or {}).items():
            z.writestr(f"{prefix}/data/{key}", data)
    return path


def _record_span(path, name):
    """(start, size) of a stored record's data inside the file."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(30)
    n, m = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + n + m, info.file_size


# ----------------------------------------------------------------------------------------------- round trips
def test_roundtrip_training_checkpoint(tmp_path):
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "num_batches_tracked", "child.gain"]
    optim_state = {
        "state": {0: {"step": nt.tensor(3.0), "exp_avg": _t(_values(nt.float32, (4, 3), seed=5))},
                  1: {"step": nt.tensor(3.0), "exp_avg": nt.zeros(4), "momentum_buffer": None}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
                          "foreach": None, "params": [0, 1]}],
    }
    ckpt = {"model": sd, "optim": optim_state, "epoch": 12, "loss": 0.125, "best": float("inf"), "tag": "run-α",
            "flags": [True, False, None], "shape": nt.Size([4, 3]), "dtype": nt.float64, "device": nt.device("cpu"),
            "blob": b"\x00\xff\x10", "empty_blob": b"", "ba": bytearray(b"xy"), "ids": {3, 1, 2}, "z": 2 - 0.5j,
            "counts": collections.Counter("abca"), "big": 2 ** 100, "neg": -(2 ** 40), "mid": -7,
            "nested": ((1, (2, [3, {"k": (4, 5, 6, 7)}])),), "empty": ([], {}, ())}
    out = _roundtrip(ckpt, tmp_path)

    assert type(out["model"]) is collections.OrderedDict and list(out["model"]) == list(sd)
    assert out["model"]._metadata == sd._metadata
    for k, v in sd.items():
        _same(out["model"][k], v)
        assert type(out["model"][k]) is nt.Tensor  # state_dict() holds detached tensors, not Parameters
    assert out["model"]["num_batches_tracked"].shape == () and out["model"]["num_batches_tracked"].dtype == nt.int64
    # it loads back into a fresh module
    fresh = Net()
    fresh.load_state_dict(out["model"])
    _same(fresh.weight, net.weight)
    _same(fresh.child.gain, net.child.gain)

    assert list(out["optim"]["state"]) == [0, 1]
    _same(out["optim"]["state"][0]["exp_avg"], optim_state["state"][0]["exp_avg"])
    assert out["optim"]["state"][1]["momentum_buffer"] is None
    assert out["optim"]["param_groups"] == optim_state["param_groups"]
    for k in ("epoch", "loss", "best", "tag", "flags", "dtype", "blob", "empty_blob", "ba", "ids", "z", "counts",
              "big", "neg", "mid", "nested", "empty"):
        assert out[k] == ckpt[k] and type(out[k]) is type(ckpt[k]), k
    assert type(out["shape"]) is nt.Size and out["shape"] == (4, 3)
    assert out["device"] == nt.device("cpu")
    assert out["dtype"] is nt.float64


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_roundtrip_every_dtype(tmp_path, dtype):
    a = _values(dtype, (3, 5))
    obj = {"x": _t(a), "scalar": _t(a[1, 2].copy()), "empty": _t(np.zeros((0, 4), dtype.np))}
    out = _roundtrip(obj, tmp_path)
    _same(out["x"], a)
    _same(out["scalar"], a[1, 2])
    _same(out["empty"], np.zeros((0, 4), dtype.np))
    assert out["x"].dtype is dtype
    out["x"]._data[0, 0] = a[0, 1]  # loaded tensors are writable


def test_shared_memory_views_and_tied_weights(tmp_path):
    base = np.arange(24, dtype=np.float32)
    whole = _t(base)
    window = _t(base[5:17].reshape(3, 4))       # offset 5, contiguous
    strided = _t(base[1::3])                     # offset 1, stride 3
    transposed = _t(base[:12].reshape(3, 4).T)   # stride (1, 4)
    expanded = _t(np.broadcast_to(base[:4], (3, 4)))  # stride (0, 1)
    w = nn.Parameter(_t(_values(nt.float32, (2, 2))))
    alias = nn.Parameter(w.detach())              # a second Parameter over the same memory
    obj = {"whole": whole, "window": window, "strided": strided, "t": transposed, "e": expanded,
           "enc": w, "dec": w, "alias": alias}
    path = tmp_path / "shared.pt"
    nt.save(obj, path)
    with zipfile.ZipFile(path) as z:
        storages = sorted(n for n in z.namelist() if "/data/" in n)
    assert storages == ["shared/data/0", "shared/data/1"]  # one record for base's views, one for w

    out = nt.load(path)
    for k in ("whole", "window", "strided", "t", "e", "alias"):
        _same(out[k], obj[k])
    assert out["window"].stride() == (4, 1) and out["strided"].stride() == (3,) and out["t"].stride() == (1, 4)
    assert out["e"].stride() == (0, 1)
    assert out["enc"] is out["dec"] and isinstance(out["enc"], nn.Parameter)  # the same object stays the same
    assert out["alias"] is not out["enc"]
    # memory is shared again: a write through one view shows in the others
    out["whole"]._data[6] = -100.0
    assert out["window"]._data[0, 1] == -100.0
    assert out["t"]._data[2, 1] == -100.0
    assert np.shares_memory(out["enc"]._data, out["alias"]._data)


def test_noncontiguous_and_negative_strides(tmp_path):
    a = _values(nt.float64, (4, 6))
    obj = {"cols": _t(a[:, ::2]), "flip": _t(a[::-1, ::-1]), "perm": _t(a.reshape(2, 2, 6).transpose(2, 0, 1))}
    out = _roundtrip(obj, tmp_path)
    for k in obj:
        _same(out[k], obj[k])


def test_requires_grad_and_parameters(tmp_path):
    leaf = nt.ones(3, requires_grad=True)
    obj = {"leaf": leaf, "nonleaf": leaf * 2, "p": nn.Parameter(nt.ones(2)),
           "frozen": nn.Parameter(nt.ones(2), requires_grad=False), "plain": nt.ones(2)}
    out = _roundtrip(obj, tmp_path)
    assert out["leaf"].requires_grad and out["leaf"].is_leaf
    assert out["nonleaf"].requires_grad and out["nonleaf"].is_leaf  # torch also rebuilds it as a leaf
    _same(out["nonleaf"], nt.full((3,), 2.0))
    assert type(out["p"]) is nn.Parameter and out["p"].requires_grad
    assert type(out["frozen"]) is nn.Parameter and not out["frozen"].requires_grad
    assert type(out["plain"]) is nt.Tensor and not out["plain"].requires_grad


def test_file_objects_and_pathlike(tmp_path):
    obj = {"x": nt.arange(5)}
    buf = io.BytesIO()
    nt.save(obj, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        assert z.namelist()[0] == "archive/data.pkl"
    buf.seek(0)
    _same(nt.load(buf)["x"], obj["x"])

    class Stream:  # readable, not seekable
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def read(self, n=-1):
            return self.data.read(n)

        def seekable(self):
            return False
    _same(nt.load(Stream(buf.getvalue()))["x"], obj["x"])

    path = tmp_path / "model.v2.pt"  # a pathlib.Path; the archive folder is the name without its extension
    nt.save(obj, path)
    with zipfile.ZipFile(path) as z:
        assert z.namelist()[0] == "model.v2/data.pkl"
    _same(nt.load(str(path))["x"], obj["x"])


def test_any_archive_folder_name_and_plain_zip(tmp_path):
    body = pickle.EMPTY_DICT + _op_str("w") + _op_tensor(numel=4, size=(2, 2), stride=(2, 1)) + pickle.SETITEM
    data = np.arange(4, dtype="<f4").tobytes()
    path = _ckpt(tmp_path / "x.pt", body, {"0": data}, prefix="some_other-name")
    _same(nt.load(path)["w"], np.arange(4, dtype=np.float32).reshape(2, 2))


def test_big_endian_file_is_converted(tmp_path):
    ints = np.array([1, -2, 300000], dtype=np.int32)
    cplx = np.array([1 + 2j, -3.5j], dtype=np.complex128)
    body = (pickle.EMPTY_DICT + pickle.MARK
            + _op_str("i") + _op_tensor("IntStorage", "0", numel=3, size=(3,), stride=(1,))
            + _op_str("c") + _op_tensor("ComplexDoubleStorage", "1", numel=2, size=(2,), stride=(1,))
            + pickle.SETITEMS)
    path = _ckpt(tmp_path / "big.pt", body, {"0": ints.astype(">i4").tobytes(), "1": cplx.astype(">c16").tobytes()},
                 byteorder=b"big")
    out = nt.load(path)
    _same(out["i"], ints)
    _same(out["c"], cplx)
    # no byteorder record means little-endian, as in torch
    path = _ckpt(tmp_path / "noorder.pt", body, {"0": ints.tobytes(), "1": cplx.tobytes()}, byteorder=None)
    _same(nt.load(path)["i"], ints)
    bad = _ckpt(tmp_path / "bad.pt", body, {"0": ints.tobytes(), "1": cplx.tobytes()}, byteorder=b"middle")
    with pytest.raises(ValueError, match="Unknown endianness type: middle"):
        nt.load(bad)


def test_bfloat16_storage_becomes_float32_with_warning(tmp_path):
    values = np.array([1.5, -2.25, 2.0 ** 120, 0.0078125], dtype=np.float32)  # exact in bfloat16
    bf16 = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    body = _op_tensor("BFloat16Storage", numel=4, size=(4,), stride=(1,))
    path = _ckpt(tmp_path / "bf.pt", body, {"0": bf16})
    with pytest.warns(UserWarning, match="bfloat16 tensors were converted to float32"):
        out = nt.load(path)
    _same(out, values)


def test_mmap_load_is_copy_on_write(tmp_path):
    obj = {"w": _t(_values(nt.float32, (8, 8))), "n": nt.tensor(3)}
    path = tmp_path / "m.pt"
    nt.save(obj, path)
    before = path.read_bytes()
    out = nt.load(path, mmap=True)
    _same(out["w"], obj["w"])
    _same(out["n"], obj["n"])
    out["w"]._data[:] = 0.0  # writable, private to this process
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
        nt.load(io.BytesIO(before), mmap=True)


def test_resave_over_the_mmapped_file(tmp_path):
    # the rename leaves the mapped (old) file intact while the new one is written from it
    path = tmp_path / "m.pt"
    nt.save({"w": nt.arange(100.0)}, path)
    out = nt.load(path, mmap=True)
    out["w"]._data[:] += 1
    nt.save(out, path)
    _same(nt.load(path)["w"], nt.arange(100.0) + 1)


def test_overwrite_replaces_atomically_and_follows_symlinks(tmp_path):
    real = tmp_path / "real.pt"
    link = tmp_path / "link.pt"
    nt.save({"v": 1}, real)
    os.symlink(real, link)
    nt.save({"v": 2}, link)
    assert os.path.islink(link) and nt.load(real) == {"v": 2}
    assert sorted(os.listdir(tmp_path)) == ["link.pt", "real.pt"]


# ----------------------------------------------------------------------------------------------- save errors
class Opaque:
    pass


def test_save_refuses_what_it_cannot_write(tmp_path):
    path = tmp_path / "never.pt"
    with pytest.raises(pickle.PicklingError, match=r"type '.*Opaque' at obj\['cfg'\]\[1\]"):
        nt.save({"cfg": [1, Opaque()]}, path)
    with pytest.raises(pickle.PicklingError, match=r"numpy.ndarray.*numtorch.from_numpy"):
        nt.save({"a": np.ones(2)}, path)
    with pytest.raises(pickle.PicklingError, match="function"):
        nt.save([lambda: 0], path)
    with pytest.raises(pickle.PicklingError, match="frozenset"):
        nt.save(frozenset({1}), path)  # torch.load(weights_only=True) cannot read it either
    assert os.listdir(tmp_path) == []  # nothing was created, not even a temporary file


def test_save_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="zip format"):
        nt.save({}, tmp_path / "a.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="pickle_module must be None"):
        nt.save({}, tmp_path / "a.pt", pickle_module=object())
    with pytest.raises(ValueError, match="pickle protocol"):
        nt.save({}, tmp_path / "a.pt", pickle_protocol=9)
    with pytest.raises(RuntimeError, match="Parent directory .*missing does not exist"):
        nt.save({}, tmp_path / "missing" / "a.pt")
    with pytest.raises(TypeError, match="path .* or a writable binary file object"):
        nt.save({}, 123)


def test_views_of_one_memory_with_different_dtypes_are_refused(tmp_path):
    a = np.zeros(4, np.float32)
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        nt.save([_t(a), _t(a.view(np.int32))], tmp_path / "a.pt")


@pytest.mark.parametrize("fail_at", ["data/0", "version"])
def test_failure_mid_write_keeps_old_file(tmp_path, monkeypatch, fail_at):
    path = tmp_path / "ckpt.pt"
    nt.save({"w": nt.ones(1000)}, path)
    old = path.read_bytes()
    real_record = serialization._ZipWriter.record

    def record(self, name, data):
        real_record(self, name, data)
        if name == fail_at:  # some bytes of the new file are already on disk
            raise OSError(28, "No space left on device")
    monkeypatch.setattr(serialization._ZipWriter, "record", record)
    with pytest.raises(OSError, match="No space left"):
        nt.save({"w": nt.zeros(1000), "extra": list(range(100))}, path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    monkeypatch.undo()
    _same(nt.load(path)["w"], nt.ones(1000))


def test_interrupt_during_rename_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    nt.save({"v": 1}, path)
    old = path.read_bytes()

    def interrupted(src, dst):
        raise KeyboardInterrupt
    monkeypatch.setattr(serialization.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nt.save({"v": 2}, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["ckpt.pt"]


def test_new_file_gets_default_permissions(tmp_path):
    path = tmp_path / "perm.pt"
    nt.save({}, path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


# ----------------------------------------------------------------------------------------------- load: safety
def _marker_command(marker):
    return f"touch {marker}"


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (_marker_command(self.marker),))


def _pickle_ckpt(tmp_path, data_pkl, name="evil.pt"):
    return _ckpt(tmp_path / name, b"", raw_pickle=data_pkl)


def test_os_system_payload_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    crafted = (pickle.PROTO + b"\x02" + _op_global("os", "system") + _op_tuple(_op_str(_marker_command(marker)))
               + pickle.REDUCE + pickle.STOP)
    with pytest.raises(pickle.UnpicklingError, match="refused global 'os.system'"):
        nt.load(_pickle_ckpt(tmp_path, crafted))
    # what pickle itself writes for os.system (posix.system on Linux), nested inside a state_dict
    payload = pickle.dumps({"weight": [1.0], "hook": Evil(marker)}, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r"refused global '(posix|nt|os)\.system'"):
        nt.load(_pickle_ckpt(tmp_path, payload, "evil2.pt"), weights_only=False)  # still restricted
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [2, 4])
def test_pickled_class_instance_is_refused(tmp_path, protocol):
    payload = pickle.dumps({"model": Opaque()}, protocol=protocol)
    with pytest.raises(pickle.UnpicklingError, match=r"refused global '[\w.]*test_serialization.Opaque'"):
        nt.load(_pickle_ckpt(tmp_path, payload))


@pytest.mark.parametrize("module,name", [("builtins", "eval"), ("__builtin__", "getattr"), ("builtins", "exec"),
                                         ("subprocess", "Popen"), ("torch", "load"), ("numtorch", "load"),
                                         ("torch.serialization", "_get_layout"), ("copy_reg", "_reconstructor")])
def test_other_globals_are_refused_by_name(tmp_path, module, name):
    shown = {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)
    crafted = pickle.PROTO + b"\x02" + _op_global(module, name) + pickle.STOP
    with pytest.raises(pickle.UnpicklingError, match=f"refused global '{shown}.{name}'"):
        nt.load(_pickle_ckpt(tmp_path, crafted))


def test_code_paths_beyond_globals_are_closed(tmp_path):
    storage = {"0": np.zeros(4, "<f4").tobytes()}
    od = _op_global("collections", "OrderedDict")
    cases = {
        # BUILD on a tensor (could overwrite its internals)
        "refused to set the state of a Tensor": _op_tensor() + pickle.EMPTY_DICT + _op_str("_data") + _op_int(1)
        + pickle.SETITEM + pickle.BUILD,
        # NEWOBJ of an allowed class is still construction from a class the file names
        "refused to construct": od + pickle.EMPTY_TUPLE + pickle.NEWOBJ,
        # a persistent id that is not a storage
        "persistent id must be": _op_str("x") + pickle.BINPERSID,
        # REDUCE on something that is not an allowed callable (a dtype)
        "refused to call": _op_global("torch", "float32") + pickle.EMPTY_TUPLE + pickle.REDUCE,
        # a rebuild function given a non-storage
        "must be rebuilt from a storage": _op_global("torch._utils", "_rebuild_tensor")
        + _op_tuple(_op_int(1), _op_int(0), _op_tuple(_op_int(1)), _op_tuple(_op_int(1))) + pickle.REDUCE,
        # bytearray may not be used to allocate a huge buffer
        "bytearray may only be rebuilt": _op_global("builtins", "bytearray") + _op_tuple(_op_int(2 ** 40))
        + pickle.REDUCE,
    }
    for i, (message, body) in enumerate(cases.items()):
        path = _ckpt(tmp_path / f"c{i}.pt", body, storage)
        with pytest.raises(pickle.UnpicklingError, match=message):
            nt.load(path)


def test_load_never_imports_torch(tmp_path):
    path = tmp_path / "plain.pt"
    nt.save({"w": nt.ones(2), "p": nn.Parameter(nt.ones(1)), "s": nt.Size([1])}, path)
    code = ("import sys, numtorch\n"
            f"out = numtorch.load({str(path)!r})\n"
            "numtorch.save(out, sys.argv[1])\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n"
            "print(float(out['w'].sum()))")
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path / "again.pt")], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "2.0"


# ----------------------------------------------------------------------------------------------- load: bad files
def test_not_a_checkpoint(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(pickle.UnpicklingError, match="is empty; expected a PyTorch zip checkpoint"):
        nt.load(tmp_path / "empty.pt")
    (tmp_path / "text.pt").write_bytes(b"hello world, not a checkpoint")
    with pytest.raises(pickle.UnpicklingError, match="is not a zip archive .*expected a PyTorch zip checkpoint"):
        nt.load(tmp_path / "text.pt")
    (tmp_path / "plain.pkl").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(pickle.UnpicklingError, match="bare pickle stream"):
        nt.load(tmp_path / "plain.pkl")
    (tmp_path / "legacy.pt").write_bytes(serialization._LEGACY_MAGIC + b".\x80\x02M\xe9\x03.")
    with pytest.raises(RuntimeError, match="legacy .*non-zip.* format"):
        nt.load(tmp_path / "legacy.pt")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("readme.txt", "hi")
    with pytest.raises(RuntimeError, match="expected a '<archive>/data.pkl' record"):
        nt.load(tmp_path / "other.zip")
    with zipfile.ZipFile(tmp_path / "script.pt", "w") as z:
        z.writestr("m/constants.pkl", b"")
        z.writestr("m/code/__torch__.py", b"")
    with pytest.raises(RuntimeError, match="TorchScript archive"):
        nt.load(tmp_path / "script.pt")


def test_truncated_files(tmp_path):
    path = tmp_path / "full.pt"
    nt.save({"w": _t(_values(nt.float32, (64, 64)))}, path)
    data = path.read_bytes()
    for cut in (40, len(data) // 2, len(data) - 30):  # inside a header, inside the storage, inside the directory
        (tmp_path / "cut.pt").write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="truncated or corrupt"):
            nt.load(tmp_path / "cut.pt")


def test_bad_crc_and_corrupt_records(tmp_path):
    path = tmp_path / "ok.pt"
    nt.save({"w": _t(_values(nt.float32, (16,)))}, path)
    data = bytearray(path.read_bytes())
    start, size = _record_span(path, "ok/data/0")
    data[start + 5] ^= 0xFF
    (tmp_path / "flip.pt").write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match=r"record 'ok/data/0' .* corrupt or truncated .*Bad CRC-32"):
        nt.load(tmp_path / "flip.pt")
    data = bytearray(path.read_bytes())
    start, size = _record_span(path, "ok/data.pkl")
    data[start + 3] ^= 0x01
    (tmp_path / "flip2.pt").write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match=r"record 'ok/data.pkl' .*Bad CRC-32"):
        nt.load(tmp_path / "flip2.pt")
    # a local header that does not match the directory
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo("ok/data/0").header_offset
    data[offset + 30 + len("ok/data/")] = ord("9")
    (tmp_path / "header.pt").write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="has a local header for 'ok/data/9' - the file is corrupt"):
        nt.load(tmp_path / "header.pt")
    # a missing storage record
    body = _op_tensor(key="7")
    with pytest.raises(RuntimeError, match="missing the record 'archive/data/7'"):
        nt.load(_ckpt(tmp_path / "missing.pt", body, {"0": b"\0" * 16}))
    # data.pkl cut short (consistent CRC, so the pickle itself is what is truncated)
    with pytest.raises(pickle.UnpicklingError, match="data.pkl .* corrupt or truncated"):
        nt.load(_ckpt(tmp_path / "short.pt", b"", {"0": b"\0" * 16},
                      raw_pickle=pickle.PROTO + b"\x02" + _op_tensor()[:-1]))  # no final REDUCE, no STOP


@pytest.mark.parametrize("kwargs,message", [
    (dict(numel=4, size=(5,), stride=(1,)), "needs a storage of 5 elements, but storage '0' has 4"),
    (dict(numel=4, size=(2, 2), stride=(3, 1)), "needs a storage of 5 elements"),
    (dict(numel=4, offset=1, size=(4,), stride=(1,)), "needs a storage of 5 elements"),
    (dict(numel=4, offset=-1, size=(2,), stride=(1,)), "negative storage offset, size or stride"),
    (dict(numel=4, size=(2,), stride=(-1,)), "negative storage offset, size or stride"),
    (dict(numel=4, size=(-2,), stride=(1,)), "negative storage offset, size or stride"),
    (dict(numel=4, size=(2,), stride=(2 ** 62,)), "overflows 64-bit sizes"),
    (dict(numel=4, size=(2 ** 40, 2 ** 40), stride=(0, 0)), "overflows 64-bit sizes"),
    (dict(numel=4, offset=2 ** 70, size=(1,), stride=(1,)), "overflows 64-bit sizes"),
    (dict(numel=2 ** 40, size=(4,), stride=(1,)), "holds 16 bytes but the checkpoint declares 4398046511104 bytes"),
    (dict(numel=5, size=(4,), stride=(1,)), "holds 16 bytes but the checkpoint declares 20 bytes"),
    (dict(numel=2 ** 64, size=(4,), stride=(1,)), "malformed storage id"),
])
def test_bad_tensor_metadata_is_refused(tmp_path, kwargs, message):
    path = _ckpt(tmp_path / "bad.pt", _op_tensor(**kwargs), {"0": np.arange(4, dtype="<f4").tobytes()})
    with pytest.raises((RuntimeError, pickle.UnpicklingError), match=message):
        nt.load(path)


def test_huge_declared_record_is_refused_before_allocating(tmp_path, monkeypatch):
    # The central directory claims a 1 TiB record in a tiny file: refused from the sizes alone.
    path = _ckpt(tmp_path / "huge.pt", _op_tensor(numel=2 ** 30 - 1, size=(4,), stride=(1,)),
                 {"0": np.arange(4, dtype="<f4").tobytes()})
    data = bytearray(path.read_bytes())
    entry = data.find(b"archive/data/0", data.find(b"PK\x01\x02")) - 46  # its central directory entry
    assert data[entry:entry + 4] == b"PK\x01\x02"
    data[entry + 20:entry + 28] = struct.pack("<II", 2 ** 32 - 4, 2 ** 32 - 4)  # compressed, uncompressed sizes
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:
        assert z.getinfo("archive/data/0").file_size == 2 ** 32 - 4
    allocations = []
    real_empty = np.empty
    monkeypatch.setattr(serialization.np, "empty",
                        lambda shape, *a, **k: allocations.append(shape) or real_empty(shape, *a, **k))
    for mmap in (False, True):
        with pytest.raises(RuntimeError, match="more than the .*-byte file can hold"):
            nt.load(path, mmap=mmap)
    assert all(np.prod(s) < 2 ** 20 for s in allocations)


# ----------------------------------------------------------------------------------------------- map_location
def test_map_location(tmp_path):
    data = {"0": np.arange(4, dtype="<f4").tobytes()}
    cpu = _ckpt(tmp_path / "cpu.pt", _op_tensor(), data)
    gpu = _ckpt(tmp_path / "gpu.pt", _op_tensor(location="cuda:0"), data)
    expected = np.arange(4, dtype=np.float32)
    for ml in (None, "cpu", nt.device("cpu"), {"cuda:1": "cpu"}, lambda storage, loc: storage,
               lambda storage, loc: None):
        _same(nt.load(cpu, map_location=ml), expected)
    for ml in ("cpu", nt.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage.cpu(),
               lambda storage, loc: storage):
        _same(nt.load(gpu, map_location=ml), expected)
    with pytest.raises(RuntimeError, match="saved on device 'cuda:0', but numtorch runs on the CPU only. Pass "
                                           "map_location='cpu'"):
        nt.load(gpu)
    with pytest.raises(RuntimeError, match="saved on device 'cuda:0'"):
        nt.load(gpu, map_location={"cuda:1": "cpu"})
    with pytest.raises(RuntimeError, match="numtorch runs on the CPU only: cannot place a storage on device 'cuda'"):
        nt.load(cpu, map_location="cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        nt.load(cpu, map_location={"cpu": "cuda:0"})
    with pytest.raises(RuntimeError, match="CPU only"):
        nt.load(gpu, map_location=lambda storage, loc: storage.cuda())
    with pytest.raises(RuntimeError, match="must return the storage it was given"):
        nt.load(cpu, map_location=lambda storage, loc: "elsewhere")
    with pytest.raises(TypeError, match="map_location must be"):
        nt.load(cpu, map_location=3)


def test_load_arguments(tmp_path):
    path = tmp_path / "a.pt"
    nt.save({"x": 1}, path)
    assert nt.load(path, weights_only=False) == {"x": 1}
    assert nt.load(path, weights_only=False, pickle_module=pickle) == {"x": 1}
    assert nt.load(path, encoding="latin1") == {"x": 1}
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module is specified"):
        nt.load(path, pickle_module=pickle)
    with pytest.raises(TypeError, match="unsupported pickle_load_args: \\['fix_imports'\\]"):
        nt.load(path, fix_imports=False)
    with pytest.raises(TypeError, match="readable binary file object"):
        nt.load(42)
    with pytest.raises(FileNotFoundError):
        nt.load(tmp_path / "nope.pt")


def test_zip64_records_round_trip(tmp_path, monkeypatch):
    # Lower the zip64 threshold so every record takes the >4 GiB code path (zip64 extra fields, 24-byte
    # data descriptors, 0xFFFFFFFF placeholders in the central directory).
    monkeypatch.setattr(serialization, "_ZIP64_AT", 100)
    obj = {"small": nt.arange(3), "big": _t(_values(nt.float64, (20, 10)))}
    path = tmp_path / "z64.pt"
    nt.save(obj, path)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        info = z.getinfo("z64/data/1")
        assert info.file_size == 1600 and info.header_offset > 100
    monkeypatch.undo()
    out = nt.load(path)
    _same(out["big"], obj["big"])
    _same(nt.load(path, mmap=True)["big"], obj["big"])


# ----------------------------------------------------------------------------------------------- torch oracle
def _torch_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Embedding(5, 2))


@TORCH
def test_torch_save_numtorch_load_model_and_optimizer(tmp_path):
    model = _torch_model()
    opt = torch.optim.Adam(model[0].parameters(), lr=0.01)
    model[0](torch.ones(2, 3)).sum().backward()
    opt.step()
    model[1].train()
    model[1](torch.randn(8, 4))  # num_batches_tracked becomes 1
    ckpt = {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3, "shape": torch.Size([2, 3]),
            "dtype": torch.float16, "device": torch.device("cpu"), "bytes": b"ab", "set": {1, 2}, "c": 1 + 1j,
            "counter": collections.Counter("aab"), "param": torch.nn.Parameter(torch.ones(2)),
            "frozen": torch.nn.Parameter(torch.ones(1), requires_grad=False)}
    path = tmp_path / "torch.pt"
    torch.save(ckpt, path)
    out = nt.load(path)

    sd = ckpt["model"]
    assert type(out["model"]) is collections.OrderedDict and list(out["model"]) == list(sd)
    assert out["model"]._metadata == sd._metadata
    for k, v in sd.items():
        _same(out["model"][k], v.numpy())
    assert out["model"]["1.num_batches_tracked"].shape == () and int(out["model"]["1.num_batches_tracked"]) == 1
    osd = ckpt["optim"]
    assert list(out["optim"]["state"]) == list(osd["state"]) == [0, 1]
    for i in osd["state"]:
        for k, v in osd["state"][i].items():
            _same(out["optim"]["state"][i][k], v.numpy())
    assert out["optim"]["param_groups"] == osd["param_groups"]
    assert type(out["shape"]) is nt.Size and out["shape"] == (2, 3)
    assert out["dtype"] is nt.float16 and out["device"] == nt.device("cpu")
    for k in ("epoch", "bytes", "set", "c", "counter"):
        assert out[k] == ckpt[k] and type(out[k]) is type(ckpt[k])
    assert type(out["param"]) is nn.Parameter and out["param"].requires_grad
    assert type(out["frozen"]) is nn.Parameter and not out["frozen"].requires_grad


@TORCH
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_torch_save_numtorch_load_every_dtype(tmp_path, dtype):
    a = _values(dtype, (3, 4))
    t = torch.from_numpy(a.copy())
    obj = {"x": t, "view": t[1:, 1::2], "tt": t.t(), "scalar": t[2, 3].clone(), "empty": t[:0]}
    torch.save(obj, tmp_path / "d.pt")
    out = nt.load(tmp_path / "d.pt")
    for k, v in obj.items():
        _same(out[k], v.numpy())
        assert out[k].stride() == v.stride() or v.numel() == 0
    assert np.shares_memory(out["x"]._data, out["view"]._data)
    assert np.shares_memory(out["x"]._data, out["tt"]._data)


@TORCH
def test_torch_bfloat16_conj_neg_and_tensor_state(tmp_path):
    values = torch.tensor([1.5, -2.25, 1e30, 3.0])
    p = torch.nn.Parameter(torch.ones(2))
    p.tag = "encoder"
    t = torch.arange(3.0)
    t.note = {"unit": "m"}
    c = torch.tensor([1 + 2j, 3 - 1j])
    obj = {"bf": values.to(torch.bfloat16), "conj": c.conj(), "neg": torch.tensor([1.0, -2.0])._neg_view(),
           "p": p, "t": t}
    torch.save(obj, tmp_path / "x.pt")
    with pytest.warns(UserWarning, match="bfloat16"):
        out = nt.load(tmp_path / "x.pt")
    _same(out["bf"], values.to(torch.bfloat16).float().numpy())
    _same(out["conj"], c.conj().resolve_conj().numpy())
    _same(out["neg"], np.array([-1.0, 2.0], np.float32))
    assert type(out["p"]) is nn.Parameter and out["p"].tag == "encoder"
    assert out["t"].note == {"unit": "m"}
    _same(out["t"], t.numpy())


@TORCH
def test_torch_new_dtypes_get_a_clear_error(tmp_path):
    torch.save({"u": torch.ones(2, dtype=torch.uint16)}, tmp_path / "u.pt")
    with pytest.raises(pickle.UnpicklingError, match="dtype torch.uint16, which numtorch .* cannot represent"):
        nt.load(tmp_path / "u.pt")


@TORCH
@pytest.mark.parametrize("protocol", [1, 2, 3, 4, 5])
def test_torch_save_pickle_protocols(tmp_path, protocol):
    sd = _torch_model().state_dict()
    obj = {"sd": sd, "b": b"\x00\x01", "shared": [sd["0.weight"], sd["0.weight"][1]]}
    torch.save(obj, tmp_path / "p.pt", pickle_protocol=protocol)
    out = nt.load(tmp_path / "p.pt")
    for k, v in sd.items():
        _same(out["sd"][k], v.numpy())
    assert out["b"] == b"\x00\x01"
    assert out["shared"][0] is out["sd"]["0.weight"]
    assert np.shares_memory(out["shared"][1]._data, out["sd"]["0.weight"]._data)


@TORCH
def test_torch_save_other_options(tmp_path):
    x = torch.arange(6.0).reshape(2, 3)
    torch.save({"x": x}, tmp_path / "noorder.pt", _disable_byteorder_record=True)
    _same(nt.load(tmp_path / "noorder.pt")["x"], x.numpy())
    torch.save({"x": x}, tmp_path / "p0.pt", pickle_protocol=0)  # persistent ids become text: not loadable
    with pytest.raises(pickle.UnpicklingError, match="persistent id must be"):
        nt.load(tmp_path / "p0.pt")
    torch.save({"x": x}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy .*torch.save\\(torch.load\\(old\\), new\\)"):
        nt.load(tmp_path / "legacy.pt")


@TORCH
def test_torch_written_malicious_files(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"w": torch.ones(1), "evil": Evil(marker)}, tmp_path / "evil.pt")
    with pytest.raises(pickle.UnpicklingError, match=r"refused global '(posix|nt|os)\.system'"):
        nt.load(tmp_path / "evil.pt")
    torch.save({"model": torch.nn.Linear(2, 2)}, tmp_path / "module.pt")  # a whole pickled nn.Module
    with pytest.raises(pickle.UnpicklingError, match="refused global 'torch.nn.modules.linear.Linear'"):
        nt.load(tmp_path / "module.pt")
    assert not marker.exists()


@TORCH
def test_numtorch_save_torch_load(tmp_path):
    net = Net()
    base = np.arange(20, dtype=np.float32)
    w = nn.Parameter(_t(_values(nt.float32, (3, 3))))
    ckpt = {"model": net.state_dict(), "epoch": 4, "lr": 0.5, "name": "net", "flags": (True, None),
            "optim": {"state": {0: {"step": nt.tensor(2.0), "buf": nt.zeros(3)}}, "param_groups": [{"params": [0]}]},
            "base": _t(base), "view": _t(base[3:15].reshape(3, 4)), "t": _t(base[:12].reshape(3, 4).T),
            "e": _t(np.broadcast_to(base[:2], (3, 2))), "enc": w, "dec": w, "rg": nt.ones(2, requires_grad=True),
            "size": nt.Size([2, 5]), "dtype": nt.int16, "device": nt.device("cpu"), "bytes": b"\x00z",
            "empty_bytes": b"", "ba": bytearray(b"q"), "set": {4, 5}, "c": 3 + 4j, "counter": collections.Counter("xx"),
            "big": 2 ** 80}
    for d in ALL_DTYPES:
        ckpt[str(d)] = _t(_values(d, (2, 3)))
    path = tmp_path / "nt.pt"
    nt.save(ckpt, path)
    for mmap in (False, True):
        out = torch.load(path, weights_only=True, mmap=mmap)
        assert list(out["model"]) == list(ckpt["model"]) and out["model"]._metadata == ckpt["model"]._metadata
        for k, v in ckpt["model"].items():
            _same(v, out["model"][k].numpy())
        for d in ALL_DTYPES:
            _same(ckpt[str(d)], out[str(d)].numpy())
        for k in ("base", "view", "t", "e"):
            _same(ckpt[k], out[k].numpy())
            assert out[k].stride() == ckpt[k].stride()
        ptr = out["base"].untyped_storage().data_ptr()
        assert out["view"].untyped_storage().data_ptr() == ptr and out["view"].storage_offset() == 3
        assert out["enc"] is out["dec"] and type(out["enc"]) is torch.nn.Parameter
        assert out["rg"].requires_grad
        assert out["size"] == torch.Size([2, 5]) and type(out["size"]) is torch.Size
        assert out["dtype"] is torch.int16 and out["device"] == torch.device("cpu")
        for k in ("epoch", "lr", "name", "flags", "bytes", "empty_bytes", "ba", "set", "c", "counter", "big"):
            assert out[k] == ckpt[k] and type(out[k]) is type(ckpt[k]), k
        _same(ckpt["optim"]["state"][0]["step"], out["optim"]["state"][0]["step"].numpy())
    # a torch module loads the state_dict numtorch wrote
    model = _torch_model()
    sd = {k: nt.from_numpy(np.array(v.numpy() + 1)) for k, v in model.state_dict().items()}
    nt.save(sd, tmp_path / "sd.pt")
    model.load_state_dict(torch.load(tmp_path / "sd.pt", weights_only=True))
    _same(model[0].weight.detach(), sd["0.weight"])
    assert int(model[1].num_batches_tracked) == 1


@TORCH
def test_torch_reads_our_offsets_the_way_miniz_writes_them(tmp_path, monkeypatch):
    # With calculate_storage_offsets torch predicts each storage's position from miniz's layout rules
    # (header, FB padding to 64 bytes, data descriptor); the debug asserts check the prediction.
    from torch.utils.serialization import config
    obj = {f"t{i}": _t(_values(nt.float32, (i + 1, 7), seed=i)) for i in range(5)}
    obj["empty"] = nt.zeros(0)
    nt.save(obj, tmp_path / "o.pt")
    monkeypatch.setenv("TORCH_SERIALIZATION_DEBUG", "1")
    before = config.load.calculate_storage_offsets
    config.load.calculate_storage_offsets = True  # (monkeypatch's undo would delete torch's config entry)
    try:
        for mmap in (True, False):
            out = torch.load(tmp_path / "o.pt", weights_only=True, mmap=mmap)
            for k, v in obj.items():
                _same(v, out[k].numpy())
    finally:
        config.load.calculate_storage_offsets = before


@TORCH
def test_archive_layout_matches_torch_byte_for_byte(tmp_path):
    a = _values(nt.float32, (2, 3))
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    nt.save({"a": _t(a), "b": [1, "x", 2.5], "n": nt.tensor(7), "p": nn.Parameter(nt.ones(3)),
             "s": nt.Size([1, 2]), "d": nt.float64}, tmp_path / "ours" / "c.pt")
    torch.save({"a": torch.from_numpy(a), "b": [1, "x", 2.5], "n": torch.tensor(7),
                "p": torch.nn.Parameter(torch.ones(3)), "s": torch.Size([1, 2]), "d": torch.float64},
               tmp_path / "theirs" / "c.pt")
    ours, theirs = zipfile.ZipFile(tmp_path / "ours" / "c.pt"), zipfile.ZipFile(tmp_path / "theirs" / "c.pt")
    layout = [[(i.filename, i.header_offset, i.file_size, i.flag_bits, i.compress_type, len(i.extra))
               for i in z.infolist()] for z in (ours, theirs)]
    assert layout[0] == layout[1]
    for name in ours.namelist():
        if not name.endswith("serialization_id"):
            assert ours.read(name) == theirs.read(name), name
    assert len(ours.read("c/.data/serialization_id")) == 40
    # the bytes match everywhere but the serialization id and its CRC
    x, y = (tmp_path / "ours" / "c.pt").read_bytes(), (tmp_path / "theirs" / "c.pt").read_bytes()
    diff = [i for i in range(len(x)) if x[i] != y[i]]
    sid = ours.getinfo("c/.data/serialization_id").header_offset
    assert len(x) == len(y) and diff and min(diff) > sid


@TORCH
def test_torch_refuses_nothing_we_write_and_we_refuse_what_torch_refuses(tmp_path):
    # the same crafted os.system file is refused by torch's weights_only loader too
    marker = tmp_path / "pwned"
    crafted = (pickle.PROTO + b"\x02" + _op_global("os", "system") + _op_tuple(_op_str(_marker_command(marker)))
               + pickle.REDUCE + pickle.STOP)
    path = _pickle_ckpt(tmp_path, crafted)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    with pytest.raises(pickle.UnpicklingError, match="refused global 'os.system'"):
        nt.load(path)
    assert not marker.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns on any pickle protocol but 2: we write 2
        nt.save({"x": nt.ones(1), "s": {1}}, tmp_path / "ok.pt", pickle_protocol=4)
        torch.load(tmp_path / "ok.pt", weights_only=True)


@TORCH
def test_zip64_records_load_in_torch(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization, "_ZIP64_AT", 100)
    obj = {"small": nt.arange(3), "big": _t(_values(nt.float64, (20, 10)))}
    nt.save(obj, tmp_path / "z64.pt")
    monkeypatch.undo()
    out = torch.load(tmp_path / "z64.pt", weights_only=True)
    for k, v in obj.items():
        _same(v, out[k].numpy())
