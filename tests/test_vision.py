"""numtorch.vision: CIFAR-10 (download, checksums, safe extraction), Digits, and the transforms."""
import hashlib
import http.server
import io
import os
import pickle
import struct
import sys
import tarfile
import threading

import numpy as np
import pytest

import numtorch
from numtorch.utils.data import DataLoader
from numtorch.vision import datasets, transforms as T
from numtorch.vision._download import restricted_load
from helpers import assert_close, torch, tF

try:
    from PIL import Image
except ImportError:  # the PIL comparisons are skipped
    Image = None

needs_pil = pytest.mark.skipif(Image is None, reason="Pillow is not installed (only the PIL comparisons need it)")


# ---------------------------------------------------------------------- a tiny CIFAR-10 in the real format
class _Py2Pickler(pickle._Pickler):
    """Writes strings as Python 2 ``str`` (BINSTRING), like the cPickle files of the real dataset."""

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_py2_str(self, obj):
        data = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str
    dispatch[str] = _save_py2_str


def py2_pickle(obj):
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(obj)
    # the real files name NumPy 1's module path
    return buf.getvalue().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")


LABEL_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def make_cifar_files(seed=0, per_batch=3):
    """``{name: bytes}`` of a CIFAR-10 python folder with two train batches and a test batch, and the images."""
    rng = np.random.default_rng(seed)
    files, images, labels = {}, {}, {}
    for name in ("data_batch_1", "data_batch_2", "test_batch"):
        imgs = rng.integers(0, 256, (per_batch, 32, 32, 3), dtype=np.uint8)
        labs = [int(v) for v in rng.integers(0, 10, per_batch)]
        rows = imgs.transpose(0, 3, 1, 2).reshape(per_batch, 3072)  # 1024 R, 1024 G, 1024 B per row
        files[name] = py2_pickle({"batch_label": f"{name} of 2", "labels": labs, "data": rows,
                                  "filenames": [f"img{k}.png" for k in range(per_batch)]})
        images[name], labels[name] = imgs, labs
    files["batches.meta"] = py2_pickle({"num_cases_per_batch": per_batch, "label_names": LABEL_NAMES,
                                        "num_vis": 3072})
    return files, images, labels


def make_tar(members, folder="cifar-10-batches-py", extra=()):
    """A .tar.gz holding ``folder/<name>`` for each member, plus raw ``extra`` TarInfo entries."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(folder)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
        for name, data in members.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def md5(data):
    return hashlib.md5(data).hexdigest()


class _Server:
    def __init__(self):
        self.files, self.requests = {}, []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests.append(self.path)
                body = owner.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def cifar_class(url, archive_md5, files):
    """CIFAR10 pointed at the test server, with the tiny dataset's checksums."""
    return type("TinyCIFAR10", (datasets.CIFAR10,), {
        "url": url, "tgz_md5": archive_md5,
        "train_list": [["data_batch_1", md5(files["data_batch_1"])], ["data_batch_2", md5(files["data_batch_2"])]],
        "test_list": [["test_batch", md5(files["test_batch"])]],
        "meta": {"filename": "batches.meta", "key": "label_names", "md5": md5(files["batches.meta"])},
    })


@pytest.fixture
def tiny(server):
    files, images, labels = make_cifar_files()
    archive = make_tar(files)
    server.files["/cifar.tgz"] = archive
    return cifar_class(server.url("/cifar.tgz"), md5(archive), files), images, labels, server


def test_cifar_download_and_read(tiny, tmp_path):
    cls, images, labels, server = tiny
    root = tmp_path / "data"
    train = cls(str(root), train=True, download=True)
    assert server.requests == ["/cifar.tgz"]
    assert sorted(os.listdir(root)) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]  # no temporary leftovers
    expected = np.concatenate([images["data_batch_1"], images["data_batch_2"]])
    assert train.data.shape == (6, 32, 32, 3) and train.data.dtype == np.uint8
    np.testing.assert_array_equal(train.data, expected)
    assert train.targets == labels["data_batch_1"] + labels["data_batch_2"]
    assert all(type(t) is int for t in train.targets)
    assert train.classes == LABEL_NAMES and train.class_to_idx["cat"] == 3
    img, target = train[4]
    assert isinstance(img, np.ndarray) and img.shape == (32, 32, 3) and target == train.targets[4]
    img[:] = 0  # a copy: the dataset is unchanged
    np.testing.assert_array_equal(train.data[4], expected[4])
    test = cls(str(root), train=False)
    assert len(test) == 3 and test.targets == labels["test_batch"]
    np.testing.assert_array_equal(test.data, images["test_batch"])
    assert repr(test) == ("Dataset TinyCIFAR10\n    Number of datapoints: 3\n    Root location: " + str(root) +
                          "\n    Split: Test")


def test_cifar_with_transforms_and_loader(tiny, tmp_path):
    cls, images, labels, _ = tiny
    tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))])
    ds = cls(str(tmp_path), download=True, transform=T.ToTensor(), target_transform=lambda y: y + 100)
    x, y = ds[0]
    assert x.shape == (3, 32, 32) and x.dtype == numtorch.float32 and y == labels["data_batch_1"][0] + 100
    np.testing.assert_array_equal(x.numpy(), images["data_batch_1"][0].transpose(2, 0, 1).astype(np.float32)
                                  / np.float32(255))
    ds = cls(str(tmp_path), transform=tf)
    xb, yb = next(iter(DataLoader(ds, batch_size=4, shuffle=True)))
    assert xb.shape == (4, 3, 32, 32) and xb.dtype == numtorch.float32 and yb.dtype == numtorch.int64
    assert "Transform: Compose(" in repr(ds)


def test_cifar_reuses_verified_data_and_archive(tiny, tmp_path):
    cls, _, _, server = tiny
    cls(str(tmp_path), download=True)
    cls(str(tmp_path), download=True)
    assert len(server.requests) == 1  # verified data is reused
    # a corrupted batch file is detected; download=True re-extracts from the verified archive
    bad = tmp_path / "cifar-10-batches-py" / "data_batch_2"
    bad.write_bytes(b"garbage")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        cls(str(tmp_path))
    assert len(cls(str(tmp_path), download=True)) == 6
    assert len(server.requests) == 1
    assert sorted(os.listdir(tmp_path)) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]


def test_cifar_missing_data(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted. You can use download=True to download it") \
            as info:
        datasets.CIFAR10(str(tmp_path / "nowhere"))
    assert str(tmp_path / "nowhere" / "cifar-10-batches-py") in str(info.value)
    assert datasets.CIFAR10.url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert datasets.CIFAR10.tgz_md5 == "c58f30108f718f92721af3b95e74349a"


def test_cifar_wrong_checksum_leaves_nothing(tiny, tmp_path):
    cls, _, _, _ = tiny
    wrong = type("Wrong", (cls,), {"tgz_md5": "0" * 32})
    root = tmp_path / "data"
    with pytest.raises(RuntimeError, match="checksum mismatch .* expected md5 0{32}, got [0-9a-f]{32}"):
        wrong(str(root), download=True)
    assert os.listdir(root) == []


def test_cifar_truncated_archive_leaves_nothing(server, tmp_path):
    files, _, _ = make_cifar_files()
    archive = make_tar(files)[:2000]  # cut short, with a checksum that matches the cut bytes
    server.files["/cut.tgz"] = archive
    cls = cifar_class(server.url("/cut.tgz"), md5(archive), files)
    with pytest.raises(RuntimeError, match="corrupt or truncated"):
        cls(str(tmp_path), download=True)
    assert os.listdir(tmp_path) == []
    server.files["/junk.tgz"] = b"this is not an archive"
    cls = cifar_class(server.url("/junk.tgz"), md5(b"this is not an archive"), files)
    with pytest.raises(RuntimeError, match="corrupt or truncated"):
        cls(str(tmp_path), download=True)
    assert os.listdir(tmp_path) == []


def _file_entry(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _link_entry(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


@pytest.mark.parametrize("entry,what", [
    (_file_entry("../evil.txt"), "outside"),
    (_file_entry("cifar-10-batches-py/../../evil.txt"), "outside"),
    (_file_entry("/tmp/numtorch-evil.txt"), "outside"),
    (_link_entry("cifar-10-batches-py/link", "/etc/passwd"), "is a link"),
    (_link_entry("cifar-10-batches-py/hard", "../../evil.txt", tarfile.LNKTYPE), "is a link"),
])
def test_cifar_unsafe_archive_refused(server, tmp_path, entry, what):
    files, _, _ = make_cifar_files()
    archive = make_tar(files, extra=[entry])
    server.files["/evil.tgz"] = archive
    cls = cifar_class(server.url("/evil.tgz"), md5(archive), files)
    root = tmp_path / "root"
    with pytest.raises(RuntimeError, match=f"refusing to extract .*{what}"):
        cls(str(root), download=True)
    assert os.listdir(root) == []
    assert not (tmp_path / "evil.txt").exists() and not os.path.exists("/tmp/numtorch-evil.txt")


def test_cifar_archive_without_the_folder(server, tmp_path):
    files, _, _ = make_cifar_files()
    archive = make_tar(files, folder="something-else")
    server.files["/other.tgz"] = archive
    with pytest.raises(RuntimeError, match="does not contain the folder 'cifar-10-batches-py'"):
        cifar_class(server.url("/other.tgz"), md5(archive), files)(str(tmp_path), download=True)
    assert os.listdir(tmp_path) == []


def test_cifar_http_error(server, tmp_path):
    files, _, _ = make_cifar_files()
    with pytest.raises(RuntimeError, match="downloading .*/missing.tgz failed"):
        cifar_class(server.url("/missing.tgz"), "0" * 32, files)(str(tmp_path), download=True)
    assert os.listdir(tmp_path) == []


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch numtorch-pwned",))


def test_cifar_refuses_code_in_pickles(server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files, _, _ = make_cifar_files()
    files["data_batch_1"] = pickle.dumps({b"data": _Evil(), b"labels": [1]}, protocol=2)
    archive = make_tar(files)
    server.files["/x.tgz"] = archive
    with pytest.raises(RuntimeError, match=r"refusing to load (posix|nt|os)\.system"):
        cifar_class(server.url("/x.tgz"), md5(archive), files)(str(tmp_path / "d"), download=True)
    assert not (tmp_path / "numtorch-pwned").exists()


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_restricted_unpickler_reads_python3_pickles(tmp_path, protocol):
    arr = np.arange(3072 * 2, dtype=np.uint8).reshape(2, 3072)
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps({b"data": arr, b"labels": [1, 2], b"f": np.float32(2.5)}, protocol=protocol))
    out = restricted_load(str(path))
    np.testing.assert_array_equal(out[b"data"], arr)
    assert out[b"labels"] == [1, 2] and out[b"f"] == np.float32(2.5)
    path.write_bytes(py2_pickle({"data": arr}))
    np.testing.assert_array_equal(restricted_load(str(path))[b"data"], arr)


# ---------------------------------------------------------------------- Digits
def test_digits():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    assert len(train) == 1442 and len(test) == 355
    for ds in (train, test):
        assert ds.data.shape == (len(ds), 8, 8) and ds.data.dtype == np.uint8
        assert ds.data.min() == 0 and ds.data.max() == 255
    bunch = load_digits()
    scaled = np.rint(bunch.images * 255 / 16).astype(np.uint8)
    together = sorted((d.tobytes(), t) for ds in (train, test) for d, t in zip(ds.data, ds.targets))
    assert together == sorted((d.tobytes(), int(t)) for d, t in zip(scaled, bunch.target))
    counts = np.bincount(bunch.target, minlength=10)
    assert np.bincount(test.targets, minlength=10).tolist() == (counts // 5).tolist()  # stratified, 20 %
    assert datasets.Digits(train=False).targets == test.targets  # deterministic
    img, label = datasets.Digits(transform=T.ToTensor())[0]
    assert img.shape == (1, 8, 8) and img.dtype == numtorch.float32 and 0 <= float(img.min()) <= float(img.max()) <= 1
    assert isinstance(label, int) and train.classes[label] == str(label)
    xb, yb = next(iter(DataLoader(datasets.Digits(transform=T.ToTensor()), batch_size=16)))
    assert xb.shape == (16, 1, 8, 8) and yb.shape == (16,)


def test_digits_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install 'numtorch\[digits\]'"):
        datasets.Digits()


# ---------------------------------------------------------------------- transforms
def _img(h=5, w=7, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def test_to_tensor():
    a = _img()
    t = T.ToTensor()(a)
    assert t.dtype == numtorch.float32 and t.shape == (3, 5, 7)
    np.testing.assert_array_equal(t.numpy(), a.transpose(2, 0, 1).astype(np.float32) / np.float32(255))
    g = T.ToTensor()(a[:, :, 0])
    assert g.shape == (1, 5, 7)
    f = np.random.default_rng(1).random((4, 4, 2))
    tf = T.ToTensor()(f)
    assert tf.dtype == numtorch.float64
    np.testing.assert_array_equal(tf.numpy(), f.transpose(2, 0, 1))  # not rescaled
    assert T.ToTensor()(np.ones((2, 2, 1), np.int32)).dtype == numtorch.int32
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        T.ToTensor()(np.zeros((1, 2, 2, 3), np.uint8))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray. Got <class 'list'>"):
        T.ToTensor()([1, 2])
    p = T.PILToTensor()(a)
    assert p.dtype == numtorch.uint8 and p.shape == (3, 5, 7)
    np.testing.assert_array_equal(p.numpy(), a.transpose(2, 0, 1))


@needs_pil
def test_pil_images_are_accepted():
    a = _img(6, 8)
    pil = Image.fromarray(a)
    np.testing.assert_array_equal(T.ToTensor()(pil).numpy(), T.ToTensor()(a).numpy())
    np.testing.assert_array_equal(T.ToTensor()(Image.fromarray(a[:, :, 0])).numpy(), T.ToTensor()(a[:, :, 0]).numpy())
    flipped = T.RandomHorizontalFlip(p=1.0)(pil)
    assert isinstance(flipped, Image.Image)
    np.testing.assert_array_equal(np.asarray(flipped), a[:, ::-1])
    np.testing.assert_array_equal(np.asarray(T.CenterCrop(4)(pil)), a[1:5, 2:6])


def test_convert_image_dtype():
    u = numtorch.tensor(np.array([[[0, 1, 128, 255]]], dtype=np.uint8))
    f = T.ConvertImageDtype(numtorch.float32)(u)
    np.testing.assert_array_equal(f.numpy(), np.array([[[0, 1, 128, 255]]], np.float32) / np.float32(255))
    back = T.ConvertImageDtype(numtorch.uint8)(numtorch.tensor([[[0.0, 0.5, 0.999, 1.0]]]))
    assert back.tolist() == [[[0, 127, 255, 255]]]  # floor(x * 255.999)
    assert T.ConvertImageDtype(numtorch.int16)(u).tolist() == [[[0, 128, 16384, 32640]]]
    assert T.ConvertImageDtype(numtorch.uint8)(numtorch.tensor([[[32767, 256]]], dtype=numtorch.int16)).tolist() == \
        [[[255, 2]]]
    assert T.ConvertImageDtype(numtorch.float64)(f).dtype == numtorch.float64
    with pytest.raises(RuntimeError, match="The cast from numtorch.float32 to numtorch.int32 cannot be performed"):
        T.ConvertImageDtype(numtorch.int32)(f)
    with pytest.raises(TypeError, match="Input img should be Tensor Image"):
        T.ConvertImageDtype(numtorch.float32)(np.zeros((2, 2)))


def test_normalize():
    rng = np.random.default_rng(0)
    x = rng.random((2, 3, 4, 5)).astype(np.float32)
    mean, std = (0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261)
    out = T.Normalize(mean, std)(numtorch.tensor(x))
    m = np.array(mean, np.float32)[:, None, None]
    s = np.array(std, np.float32)[:, None, None]
    np.testing.assert_array_equal(out.numpy(), (x - m) / s)
    assert out.dtype == numtorch.float32
    t = numtorch.tensor(x)
    assert T.Normalize(mean, std, inplace=True)(t) is t
    np.testing.assert_array_equal(t.numpy(), (x - m) / s)
    # differentiable: d/dx = 1 / std
    leaf = numtorch.tensor(x[0], requires_grad=True)
    T.Normalize(mean, std)(leaf).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), np.broadcast_to(1 / s, (3, 4, 5)), rtol=1e-6)
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to numtorch.float32, leading to "
                                         "division by zero."):
        T.Normalize((0.5,), (0.0,))(numtorch.tensor(x[0]))
    with pytest.raises(TypeError, match="img should be Tensor Image. Got <class 'numpy.ndarray'>"):
        T.Normalize((0.5,), (0.5,))(x[0])
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got numtorch.uint8."):
        T.Normalize((0.5,), (0.5,))(numtorch.zeros(1, 2, 2, dtype=numtorch.uint8))
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\)"):
        T.Normalize((0.5,), (0.5,))(numtorch.zeros(2, 2))


def test_center_crop():
    a = _img(5, 7)
    np.testing.assert_array_equal(T.CenterCrop(3)(a), a[1:4, 2:5])
    t = numtorch.tensor(a.transpose(2, 0, 1).copy())
    np.testing.assert_array_equal(T.CenterCrop((3, 4))(t).numpy(), a.transpose(2, 0, 1)[:, 1:4, 2:6])
    big = T.CenterCrop((7, 9))(a)  # larger than the image: zero padding around it
    assert big.shape == (7, 9, 3) and big[0].max() == 0 and big[:, 0].max() == 0
    np.testing.assert_array_equal(big[1:6, 1:8], a)
    np.testing.assert_array_equal(T.CenterCrop((7, 9))(t).numpy(), big.transpose(2, 0, 1))
    assert repr(T.CenterCrop(10)) == "CenterCrop(size=(10, 10))"


def test_random_crop():
    a = _img(8, 8)
    padded = np.pad(a, ((2, 2), (2, 2), (0, 0)))
    crop = T.RandomCrop(8, padding=2)
    seen = set()
    numtorch.manual_seed(0)
    for _ in range(200):
        out = crop(a)
        assert out.shape == (8, 8, 3)
        hits = [(i, j) for i in range(5) for j in range(5) if np.array_equal(padded[i:i + 8, j:j + 8], out)]
        assert hits
        seen.update(hits)
    assert len(seen) == 25  # every offset 0..4 x 0..4 occurs
    numtorch.manual_seed(3)
    first = crop(a)
    numtorch.manual_seed(3)
    np.testing.assert_array_equal(crop(a), first)
    t = numtorch.tensor(a.transpose(2, 0, 1).copy())
    assert T.RandomCrop(8, padding=2)(t).shape == (3, 8, 8)
    assert T.RandomCrop((10, 12), pad_if_needed=True)(a).shape == (10, 12, 3)
    with pytest.raises(ValueError, match=r"Required crop size \(9, 9\) is larger than input image size \(8, 8\)"):
        T.RandomCrop(9)(a)
    with pytest.raises(ValueError, match="Please provide only two dimensions"):
        T.RandomCrop((1, 2, 3))
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_modes(mode):
    a = _img(4, 5)
    padding = [1, 2, 3, 2]  # left, top, right, bottom
    widths = ((2, 2), (1, 3), (0, 0))
    np_mode = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[mode]
    expected = np.pad(a, widths, mode=np_mode)
    np.testing.assert_array_equal(T.Pad(padding, padding_mode=mode)(a), expected)
    t = numtorch.tensor(a.transpose(2, 0, 1).copy())
    out = T.Pad(padding, padding_mode=mode)(t)
    assert out.dtype == numtorch.uint8
    np.testing.assert_array_equal(out.numpy(), expected.transpose(2, 0, 1))
    batched = numtorch.tensor(np.stack([a, a]).transpose(0, 3, 1, 2).copy())
    np.testing.assert_array_equal(T.Pad(padding, padding_mode=mode)(batched).numpy()[1], expected.transpose(2, 0, 1))


def test_pad_fill_and_errors():
    a = _img(2, 2)
    out = T.Pad(1, fill=(10, 20, 30))(a)
    assert out[0, 0].tolist() == [10, 20, 30] and np.array_equal(out[1:3, 1:3], a)
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element tuple"):
        T.Pad((1, 2, 3))
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"):
        T.Pad(1, padding_mode="wrap")


def test_flips():
    a = _img(4, 6)
    t = numtorch.tensor(a.transpose(2, 0, 1).copy())
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(a), a[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(a), a[::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(t).numpy(), a.transpose(2, 0, 1)[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(t).numpy(), a.transpose(2, 0, 1)[:, ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(t) is t
    numtorch.manual_seed(0)
    flips = sum(T.RandomHorizontalFlip()(a)[0, 0].tolist() != a[0, 0].tolist() for _ in range(400))
    assert 160 < flips < 240  # Binomial(400, 0.5): mean 200, sd 10
    assert repr(T.RandomVerticalFlip(0.3)) == "RandomVerticalFlip(p=0.3)"


@pytest.mark.torch
@pytest.mark.parametrize("interp,antialias", [("bilinear", True), ("bilinear", False), ("bicubic", True),
                                              ("nearest", True), ("nearest-exact", False)])
@pytest.mark.parametrize("size,expected", [((10, 12), (10, 12)), (8, (8, 12)), ((40, 50), (40, 50)), ([15], (15, 22))])
def test_resize_matches_torch_interpolate(interp, antialias, size, expected):
    rng = np.random.default_rng(0)
    x = rng.random((2, 3, 20, 30)).astype(np.float32)
    mode = T.InterpolationMode(interp)
    out = T.Resize(size, interpolation=mode, antialias=antialias)(numtorch.tensor(x))
    assert tuple(out.shape) == (2, 3) + expected
    aa = antialias and interp in ("bilinear", "bicubic")
    kw = {} if interp.startswith("nearest") else dict(align_corners=False, antialias=aa)
    ref = tF.interpolate(torch.tensor(x), size=expected, mode=interp, **kw)
    assert_close(out, ref, 1e-5, 1e-4)
    # unbatched (C, H, W) and 2-D (H, W) images
    assert_close(T.Resize(size, interpolation=mode, antialias=antialias)(numtorch.tensor(x[0])), ref[0], 1e-5, 1e-4)
    resize = T.Resize(size, interpolation=mode, antialias=antialias)
    assert_close(resize(numtorch.tensor(x[0, 0])), ref[0, 0], 1e-5, 1e-4)


@pytest.mark.torch
def test_resize_uint8_and_arrays():
    a = _img(20, 30)
    chw = a.transpose(2, 0, 1).copy()
    out = T.Resize((9, 13))(numtorch.tensor(chw))
    ref = tF.interpolate(torch.tensor(chw)[None].float(), size=(9, 13), mode="bilinear", align_corners=False,
                         antialias=True)[0].round().to(torch.uint8)
    assert out.dtype == numtorch.uint8
    # integer images are resized in float32 and rounded: equal up to float round-off at exact halves
    assert np.abs(out.numpy().astype(int) - ref.numpy().astype(int)).max() <= 1
    assert (out.numpy() == ref.numpy()).mean() > 0.99
    arr = T.Resize((9, 13))(a)  # an HWC array stays an HWC array of the same dtype
    assert arr.shape == (9, 13, 3) and arr.dtype == np.uint8
    np.testing.assert_array_equal(arr, out.numpy().transpose(1, 2, 0))
    gray = T.Resize(10)(a[:, :, 0])
    assert gray.shape == (10, 15)
    bicubic = T.Resize((40, 60), interpolation=T.InterpolationMode.BICUBIC)(numtorch.tensor(chw))
    assert bicubic.dtype == numtorch.uint8  # clamped to [0, 255] before rounding, no wrap-around
    with pytest.warns(UserWarning, match="Anti-alias option is always applied for PIL Image input"):
        T.Resize((9, 13), antialias=False)(a)


def test_resize_sizes_and_errors():
    t = numtorch.zeros(3, 20, 30)
    assert T.Resize(10, max_size=12)(t).shape == (3, 8, 12)  # longer edge capped
    assert T.Resize(20)(t) is t  # already that size
    assert T.Resize(None, max_size=15)(t).shape == (3, 10, 15)
    with pytest.raises(ValueError, match="max_size = 10 must be strictly greater than the requested size"):
        T.Resize(10, max_size=10)(t)
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        T.Resize((1, 2, 3))
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize(2.5)
    assert repr(T.Resize(16)) == "Resize(size=16, interpolation=bilinear, max_size=None, antialias=True)"
    assert T.Resize(16, interpolation=3).interpolation is T.InterpolationMode.BICUBIC  # Pillow's constant


@pytest.mark.torch
def test_grayscale_tensor_matches_torchvision_formula():
    rng = np.random.default_rng(0)
    x = rng.random((2, 3, 4, 5)).astype(np.float32)
    out = T.Grayscale()(numtorch.tensor(x))
    r, g, b = torch.tensor(x).unbind(-3)
    ref = (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(-3)
    assert out.shape == (2, 1, 4, 5)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    three = T.Grayscale(num_output_channels=3)(numtorch.tensor(x))
    assert three.shape == (2, 3, 4, 5) and np.array_equal(three.numpy()[:, 2], ref.numpy()[:, 0])
    u = rng.integers(0, 256, (3, 4, 5), dtype=np.uint8)
    r, g, b = torch.tensor(u).unbind(-3)
    ref_u = (0.2989 * r + 0.587 * g + 0.114 * b).to(torch.uint8)
    out_u = T.Grayscale()(numtorch.tensor(u))
    assert out_u.dtype == numtorch.uint8
    np.testing.assert_array_equal(out_u.numpy()[0], ref_u.numpy())
    one = numtorch.tensor(x[:, :1])
    rep = T.Grayscale(3)(one)
    assert rep.shape == (2, 3, 4, 5) and np.array_equal(rep.numpy()[:, 1], x[:, 0])
    assert np.array_equal(T.Grayscale(1)(one).numpy(), x[:, :1])
    with pytest.raises(TypeError, match=r"Input image tensor permitted channel values are \[1, 3\], but found 2"):
        T.Grayscale()(numtorch.zeros(2, 4, 4))
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        T.Grayscale(2)(numtorch.zeros(3, 4, 4))
    with pytest.raises(TypeError, match="Input image tensor should have at least 3 dimensions, but found 2"):
        T.Grayscale()(numtorch.zeros(4, 4))


def test_grayscale_array_uses_pil_luma():
    a = _img(6, 7, seed=3)
    out = T.Grayscale()(a)
    expected = ((a[..., 0].astype(np.uint32) * 19595 + a[..., 1].astype(np.uint32) * 38470
                 + a[..., 2].astype(np.uint32) * 7471 + 0x8000) >> 16).astype(np.uint8)
    assert out.shape == (6, 7) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected)
    # close to 0.299 R + 0.587 G + 0.114 B rounded
    assert np.abs(out - np.rint(a @ np.array([0.299, 0.587, 0.114]))).max() <= 1
    three = T.Grayscale(3)(a)
    assert three.shape == (6, 7, 3) and all(np.array_equal(three[..., k], expected) for k in range(3))
    assert np.array_equal(T.Grayscale(3)(expected)[..., 2], expected)
    assert T.ToTensor()(T.Grayscale()(a)).shape == (1, 6, 7)
    if Image is not None:
        np.testing.assert_array_equal(out, np.asarray(Image.fromarray(a).convert("L")))


def test_compose_lambda_and_reprs():
    tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    assert repr(tf) == ("Compose(\n    RandomCrop(size=(32, 32), padding=4)\n    RandomHorizontalFlip(p=0.5)\n"
                        "    ToTensor()\n    Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))\n)")
    assert repr(T.Grayscale()) == "Grayscale(num_output_channels=1)" and repr(T.Lambda(abs)) == "Lambda()"
    assert repr(T.ConvertImageDtype(numtorch.float32)) == "ConvertImageDtype()"
    assert repr(T.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"
    out = T.Compose([T.Lambda(lambda a: a[:2]), T.ToTensor()])(_img(4, 4))
    assert out.shape == (3, 2, 4)
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)
    with pytest.raises(TypeError, match="img should be a numtorch Tensor, a NumPy array"):
        T.RandomHorizontalFlip(1.0)([[1]])
