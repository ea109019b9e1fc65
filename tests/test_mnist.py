"""MNIST and Fashion-MNIST: torchvision's classes on NumPy. The download path runs against tiny archives in
the same format served from 127.0.0.1; hostile IDX and gzip files are refused with a clear error and nothing
is left half-written."""
import gzip
import os

import numpy as np
import pytest

import numtorch
from numtorch.utils.data import DataLoader
from numtorch.vision import datasets, transforms
from numtorch.vision.datasets import read_idx
from test_vision import md5, server  # noqa: F401,F811  (server is the fixture the tests take)


def idx_bytes(array, type_code=0x08, ndim=None, dims=None):
    array = np.asarray(array, np.uint8)
    ndim = array.ndim if ndim is None else ndim
    dims = array.shape if dims is None else dims
    return bytes([0, 0, type_code, ndim]) + b"".join(int(d).to_bytes(4, "big") for d in dims) + array.tobytes()


def tiny_files(n_train=5, n_test=3, seed=0):
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        out[f"{split}-images-idx3-ubyte"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        out[f"{split}-labels-idx1-ubyte"] = rng.integers(0, 10, n, dtype=np.uint8)
    return out


def serve(server, cls, files, mirrors=1):
    """``cls`` pointed at the test server (``mirrors`` mirrors, the first ones dead), with the files' MD5s."""
    resources = []
    for name, array in files.items():
        gz = gzip.compress(idx_bytes(array) if isinstance(array, np.ndarray) else array, mtime=0)
        server.files[f"/good/{name}.gz"] = gz
        resources.append((f"{name}.gz", md5(gz)))
    mirror_urls = [server.url(f"/dead{i}/") for i in range(mirrors - 1)] + [server.url("/good/")]
    return type(cls.__name__, (cls,), {"mirrors": mirror_urls, "resources": resources,
                                       "__module__": cls.__module__})


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST])
def test_download_read_and_load(server, tmp_path, cls):  # noqa: F811
    files = tiny_files()
    Tiny = serve(server, cls, files, mirrors=2)
    train = Tiny(tmp_path, train=True, download=True, transform=transforms.ToTensor())
    test = Tiny(tmp_path, train=False, download=True)
    assert len(train) == 5 and len(test) == 3
    assert train.data.dtype == numtorch.uint8 and tuple(train.data.shape) == (5, 28, 28)
    assert train.targets.dtype == numtorch.int64
    np.testing.assert_array_equal(train.data.numpy(), files["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(test.targets.numpy(), files["t10k-labels-idx1-ubyte"])
    img, label = train[2]
    assert tuple(img.shape) == (1, 28, 28) and img.dtype == numtorch.float32
    np.testing.assert_allclose(img.numpy()[0], files["train-images-idx3-ubyte"][2] / 255, rtol=1e-6)
    assert label == int(files["train-labels-idx1-ubyte"][2])
    raw, _ = test[0]
    assert raw.shape == (28, 28) and raw.dtype == np.uint8
    x, y = next(iter(DataLoader(train, batch_size=4)))
    assert tuple(x.shape) == (4, 1, 28, 28) and tuple(y.shape) == (4,)
    assert sorted(os.listdir(os.path.join(tmp_path, cls.__name__, "raw"))) == sorted(
        [f"{n}.gz" for n in files] + list(files))
    assert repr(train).startswith(f"Dataset {cls.__name__}\n    Number of datapoints: 5")
    assert train.classes == cls.classes and train.class_to_idx[cls.classes[3]] == 3
    # a second time: no request, the data is there
    before = len(server.requests)
    Tiny(tmp_path, train=True, download=True)
    assert len(server.requests) == before


def test_missing_data_names_the_folder(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True"):
        datasets.MNIST(tmp_path)


def test_wrong_checksum_on_every_mirror_leaves_nothing(server, tmp_path):  # noqa: F811
    Tiny = serve(server, datasets.MNIST, tiny_files())
    Tiny.resources = [(name, "0" * 32) for name, _ in Tiny.resources]
    with pytest.raises(RuntimeError, match="Error downloading train-images-idx3-ubyte.gz: checksum mismatch"):
        Tiny(tmp_path, download=True)
    assert os.listdir(os.path.join(tmp_path, "MNIST", "raw")) == []


def test_corrupt_gzip_is_refused_and_removed(server, tmp_path):  # noqa: F811
    Tiny = serve(server, datasets.MNIST, tiny_files())
    bad = b"\x1f\x8b\x08\x00" + b"garbage" * 10
    server.files["/good/train-images-idx3-ubyte.gz"] = bad
    Tiny.resources = [(n, md5(bad) if n.startswith("train-images") else m) for n, m in Tiny.resources]
    with pytest.raises(RuntimeError, match="not a valid gzip file"):
        Tiny(tmp_path, download=True)
    assert os.listdir(os.path.join(tmp_path, "MNIST", "raw")) == []


def test_gzip_bomb_is_stopped(server, tmp_path):  # noqa: F811
    Tiny = serve(server, datasets.MNIST, tiny_files())
    Tiny._max_file_bytes = 1 << 16
    bomb = gzip.compress(b"\0" * (1 << 20), mtime=0)
    server.files["/good/train-images-idx3-ubyte.gz"] = bomb
    Tiny.resources = [(n, md5(bomb) if n.startswith("train-images") else m) for n, m in Tiny.resources]
    with pytest.raises(RuntimeError, match="decompresses to more than 65536 bytes"):
        Tiny(tmp_path, download=True)
    assert "train-images-idx3-ubyte" not in os.listdir(os.path.join(tmp_path, "MNIST", "raw"))


GOOD = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
HOSTILE_IDX = {
    "empty file": (b"", "not an IDX file"),
    "wrong magic": (b"\x01\x00" + idx_bytes(GOOD)[2:], "not an IDX file"),
    "int32 values": (idx_bytes(GOOD, type_code=0x0C), "type code 0x0c"),
    "wrong rank": (idx_bytes(GOOD, ndim=2, dims=(2, 784)), "expected 3 dimension"),
    "truncated header": (idx_bytes(GOOD)[:9], "truncated header"),
    "truncated data": (idx_bytes(GOOD)[:-5], "the header declares"),
    "trailing bytes": (idx_bytes(GOOD) + b"xx", "the header declares"),
    "huge declared size": (idx_bytes(GOOD, dims=(2 ** 31, 2 ** 31, 2 ** 31)), "the header declares"),
    "zero size with data": (idx_bytes(GOOD, dims=(0, 28, 28)), "the header declares"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_IDX))
def test_hostile_idx_files_are_refused(case, tmp_path):
    data, message = HOSTILE_IDX[case]
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(RuntimeError, match=message) as e:
        read_idx(str(path), 3)
    assert "train-images-idx3-ubyte" in str(e.value)


def test_labels_that_do_not_fit_are_refused(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    files = tiny_files()
    files["train-labels-idx1-ubyte"] = np.array([1, 2, 3, 4, 12], np.uint8)
    for name, array in files.items():
        (raw / name).write_bytes(idx_bytes(array))
    with pytest.raises(RuntimeError, match="label 12 is out of range"):
        datasets.MNIST(tmp_path)
    files["train-labels-idx1-ubyte"] = np.array([1, 2, 3], np.uint8)
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_bytes(files["train-labels-idx1-ubyte"]))
    with pytest.raises(RuntimeError, match="3 entries, expected 5"):
        datasets.MNIST(tmp_path)
