"""numtorch.safetensors against safetensors.torch: names and values both ways, sharing rules, errors, atomicity."""
import builtins
import os
import sys

import numpy as np
import pytest

import numtorch as nt
from numtorch import safetensors as nst
from helpers import torch

st = pytest.importorskip("safetensors", reason="the safetensors extra is not installed")
import safetensors.numpy  # noqa: E402
if torch is not None:
    import safetensors.torch as stt

TORCH = pytest.mark.torch
DTYPES = [nt.bool, nt.uint8, nt.int8, nt.int16, nt.int32, nt.int64, nt.float16, nt.float32, nt.float64,
          nt.complex64]


def _values(npd, shape, seed=0):
    rng = np.random.default_rng(seed)
    npd = np.dtype(npd)
    if npd.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if npd.kind in "iu":
        info = np.iinfo(npd)
        return rng.integers(info.min, info.max, shape, endpoint=True, dtype=npd)
    if npd.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(npd)
    return rng.standard_normal(shape).astype(npd)


def _same(a, b):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    np.testing.assert_array_equal(a, b)


def _tensors():
    """One tensor per dtype, plus names with dots and slashes, a 0-d, an empty and non-contiguous views."""
    out = {f"layer.{i}/{d.name}": nt.from_numpy(_values(d.np, (3, 4), seed=i)) for i, d in enumerate(DTYPES)}
    base = _values(np.float32, (4, 6), seed=20)
    out["scalar"] = nt.tensor(2.5)
    out["empty"] = nt.zeros(0, 3)
    out["transposed"] = nt.from_numpy(base.T)
    out["strided"] = nt.from_numpy(base.copy()[:, ::3])  # its own memory: overlapping tensors are refused
    out["expanded"] = nt.from_numpy(np.broadcast_to(_values(np.int64, (3,)), (2, 3)))
    return out


def test_roundtrip_bytes_and_file(tmp_path):
    tensors = _tensors()
    back = nst.load(nst.save(tensors, metadata={"format": "pt"}))
    assert sorted(back) == sorted(tensors)
    for k, v in tensors.items():
        _same(back[k], v)
        assert back[k].is_contiguous()
    back["scalar"]._data[()] = 1.0  # writable
    path = tmp_path / "m.safetensors"
    nst.save_file(tensors, path, metadata={"format": "pt"})
    loaded = nst.load_file(path)
    for k, v in tensors.items():
        _same(loaded[k], v)
    loaded["transposed"]._data[0, 0] = 0.0
    with st.safe_open(str(path), framework="np") as f:
        assert f.metadata() == {"format": "pt"}
    assert nt.load(str(path)).keys() == loaded.keys()  # numtorch.load dispatches .safetensors paths, as torch


def test_shared_memory_is_refused_like_safetensors_torch(tmp_path):
    base = np.arange(12, dtype=np.float32)
    w = nt.from_numpy(base)
    with pytest.raises(RuntimeError, match=r"Some tensors share memory.*\[\{'(a', 'b|b', 'a)'\}\]"):
        nst.save({"a": w, "b": w})  # tied weights
    with pytest.raises(RuntimeError, match="Some tensors share memory"):
        nst.save({"a": w, "b": nt.from_numpy(base[3:7])})  # overlapping views
    # disjoint slices of one array do not overlap: allowed, as in safetensors.torch
    back = nst.load(nst.save({"a": nt.from_numpy(base[:6]), "b": nt.from_numpy(base[6:])}))
    _same(back["b"], base[6:])
    assert not os.listdir(tmp_path)


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="Expected a dict of \\[str, torch.Tensor\\] but received <class 'list'>"):
        nst.save([nt.ones(1)])
    with pytest.raises(ValueError, match="Key `a` is invalid, expected torch.Tensor but received <class 'int'>"):
        nst.save({"a": 1})
    with pytest.raises(ValueError, match="Key `c` is invalid: safetensors has no complex128"):
        nst.save({"c": nt.zeros(1, dtype=nt.complex128)})
    nst.save_file({"a": nt.ones(1)}, tmp_path / "a.safetensors")
    with pytest.raises(RuntimeError, match="numtorch runs on the CPU only"):
        nst.load_file(tmp_path / "a.safetensors", device="cuda")
    with pytest.raises(RuntimeError, match="cuda:0"):
        nst.load_file(tmp_path / "a.safetensors", device=0)
    with pytest.raises(RuntimeError, match="dict map_location is not supported"):
        nt.load(str(tmp_path / "a.safetensors"), map_location={"cuda:0": "cpu"})


def test_bfloat16_and_unsupported_dtypes_from_raw_files(tmp_path):
    values = np.array([1.5, -2.25, 2.0 ** 100], dtype=np.float32)
    header = b'{"b":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]},"u":{"dtype":"U16","shape":[1],' \
             b'"data_offsets":[6,8]}}'
    header += b" " * (-len(header) % 8)
    raw = len(header).to_bytes(8, "little") + header + (values.view(np.uint32) >> 16).astype("<u2").tobytes() + \
        b"\x01\x00"
    with pytest.raises(ValueError, match="tensor 'u' has dtype U16, which numtorch"):
        nst.load(raw)
    header = b'{"b":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]}}'
    header += b" " * (-len(header) % 8)
    raw = len(header).to_bytes(8, "little") + header + (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    (tmp_path / "bf.safetensors").write_bytes(raw)
    for load in (lambda: nst.load(raw), lambda: nst.load_file(tmp_path / "bf.safetensors")):
        with pytest.warns(UserWarning, match="bfloat16 tensor 'b' converted to float32"):
            out = load()
        _same(out["b"], values)


def test_missing_extra_names_the_install_command(monkeypatch):
    real_import = builtins.__import__

    def no_safetensors(name, *args, **kwargs):
        if name == "safetensors" or name.startswith("safetensors."):
            raise ImportError(f"No module named '{name}'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_safetensors)
    for mod in [m for m in sys.modules if m == "safetensors" or m.startswith("safetensors.")]:
        monkeypatch.delitem(sys.modules, mod)
    for call in (lambda: nst.save({"a": nt.ones(1)}), lambda: nst.load(b""), lambda: nst.load_file("x.safetensors")):
        with pytest.raises(ImportError, match=r"pip install 'numtorch\[safetensors\]'"):
            call()


def test_failure_mid_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    nst.save_file({"w": nt.ones(100)}, path)
    old = path.read_bytes()

    def partial_then_fail(arrays, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"\x00" * 64)
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(safetensors.numpy, "save_file", partial_then_fail)
    with pytest.raises(OSError, match="No space left"):
        nst.save_file({"w": nt.zeros(100)}, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["w.safetensors"]


# ----------------------------------------------------------------------------------------------- torch oracle
@TORCH
def test_safetensors_torch_file_loads_in_numtorch(tmp_path):
    tensors = {f"enc.{i}.{d.name}": torch.from_numpy(_values(d.np, (2, 5), seed=i)) for i, d in enumerate(DTYPES)}
    tensors["bf"] = torch.tensor([1.5, -3.0, 7.0]).to(torch.bfloat16)
    tensors["scalar"] = torch.tensor(7)
    tensors["empty"] = torch.zeros(0, 2)
    path = tmp_path / "t.safetensors"
    stt.save_file(tensors, path, metadata={"k": "v"})
    for load in (lambda: nst.load_file(path), lambda: nst.load(path.read_bytes()), lambda: nt.load(str(path))):
        with pytest.warns(UserWarning, match="bfloat16"):
            out = load()
        assert sorted(out) == sorted(tensors)
        for k, v in tensors.items():
            _same(out[k], v.float().numpy() if v.dtype == torch.bfloat16 else v.numpy())


@TORCH
def test_numtorch_file_loads_in_safetensors_torch(tmp_path):
    tensors = _tensors()
    path = tmp_path / "n.safetensors"
    nst.save_file(tensors, path, metadata={"k": "v"})
    for out in (stt.load_file(path), stt.load(nst.save(tensors))):
        assert sorted(out) == sorted(tensors)
        for k, v in tensors.items():
            _same(v, out[k].numpy())


@TORCH
def test_sharing_rules_match_safetensors_torch():
    base = np.arange(12.0, dtype=np.float32)
    cases = {"tied": (slice(None), slice(None)), "overlap": (slice(0, 8), slice(4, None)),
             "disjoint": (slice(0, 6), slice(6, None))}
    for name, (sa, sb) in cases.items():
        tb = torch.from_numpy(base.copy())
        try:
            stt.save({"a": tb[sa], "b": tb[sb]})
            theirs = None
        except RuntimeError as e:
            theirs = str(e).split(":")[0]
        try:
            nst.save({"a": nt.from_numpy(base[sa]), "b": nt.from_numpy(base[sb])})
            ours = None
        except RuntimeError as e:
            ours = str(e).split(":")[0]
        assert ours == theirs, name
        assert (ours is None) == (name == "disjoint")
