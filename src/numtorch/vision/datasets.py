"""``numtorch.vision.datasets``: CIFAR-10, MNIST and Fashion-MNIST (torchvision's classes) and scikit-learn's
handwritten digits.

Images are handed to transforms as ``uint8`` NumPy arrays, ``(H, W, C)`` for colour and ``(H, W)`` for gray, in
place of the PIL images torchvision hands out (numtorch does not depend on Pillow). ``transforms.ToTensor()``
turns them into ``(C, H, W)`` float tensors in [0, 1] exactly as torchvision does with the PIL image, and the
geometric transforms accept them directly. Who wants a PIL image can start the pipeline with
``transforms.Lambda(PIL.Image.fromarray)``.
"""
import os

import numpy as np

from ..utils.data import Dataset
from ._download import check_integrity, download_url, extract_archive_atomically, gunzip_atomically, restricted_load

__all__ = ["VisionDataset", "StandardTransform", "CIFAR10", "MNIST", "FashionMNIST", "Digits"]


def _apply_transforms(transform, target_transform, input, target):
    """``(transform(input), target_transform(target))``, each only when set."""
    if transform is not None:
        input = transform(input)
    if target_transform is not None:
        target = target_transform(target)
    return input, target


class StandardTransform:
    """What a dataset applies to each sample.

    .. math::
        (x, y) \\mapsto (\\text{transform}(x), \\text{target\\_transform}(y))
    """

    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        return _apply_transforms(self.transform, self.target_transform, input, target)

    @staticmethod
    def _format(transform, head):
        lines = repr(transform).splitlines()
        return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self):
        body = [self.__class__.__name__]
        if self.transform is not None:
            body += self._format(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format(self.target_transform, "Target transform: ")
        return "\n".join(body)


class VisionDataset(Dataset):
    """Base of the image datasets: a root folder, and the transforms applied to each ``(image, target)``.

    .. math::
        \\text{dataset}[i] = (\\text{transform}(x_i), \\text{target\\_transform}(y_i))

    Args:
        root (str, optional): the data folder (``~`` is expanded).
        transforms (callable, optional): ``f(image, target) -> (image, target)``; excludes the next two.
        transform (callable, optional): applied to the image. target_transform (callable, optional): to the target.
    """

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, (str, os.PathLike)):
            root = os.path.expanduser(root)
        self.root = root
        has_separate = transform is not None or target_transform is not None
        if transforms is not None and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform = transform
        self.target_transform = target_transform
        if has_separate:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index):
        raise NotImplementedError

    def _transformed(self, img, target):
        """The sample after ``transform``/``target_transform`` (read at every call, so a transform assigned after
        construction applies)."""
        return _apply_transforms(self.transform, self.target_transform, img, target)

    def __len__(self):
        raise NotImplementedError

    def extra_repr(self):
        return ""

    def __repr__(self):
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body += repr(self.transforms).splitlines()
        return "\n".join([f"Dataset {self.__class__.__name__}"] + [" " * self._repr_indent + line for line in body])


def _key(d, name):
    """``d[name]`` for a dict whose keys may be ``str`` or (from Python 2 pickles) ``bytes``."""
    if name in d:
        return d[name]
    return d[name.encode()]


def _text(s):
    return s.decode("utf-8") if isinstance(s, bytes) else str(s)


class CIFAR10(VisionDataset):
    """The CIFAR-10 dataset: 60 000 32x32 colour images in 10 classes (50 000 train, 10 000 test).

    .. math::
        \\text{dataset}[i] = (\\text{transform}(x_i), \\text{target\\_transform}(y_i)), \\quad
        x_i \\in \\{0..255\\}^{32 \\times 32 \\times 3}, \\; y_i \\in \\{0..9\\}

    Reads the python version of the dataset, ``root/cifar-10-batches-py/{data_batch_1..5, test_batch,
    batches.meta}``, each file checked against its MD5. The batches are pickles of ``{b'data': (N, 3072) uint8,
    b'labels': [...]}``, read with a restricted unpickler that admits only NumPy arrays and plain values; a batch
    whose data or labels are anything else (labels outside ``[0, 10)`` included) raises a ``RuntimeError``
    naming the file.

    Args:
        root (str): folder holding (or to receive) ``cifar-10-batches-py``.
        train (bool): the training batches (True) or the test batch. Default: True.
        transform (callable, optional): applied to each image, an (H, W, C) ``uint8`` NumPy array (a copy).
        target_transform (callable, optional): applied to each label (an int).
        download (bool): fetch :attr:`url`, check :attr:`tgz_md5`, and extract it safely and atomically, unless
            verified data is already there. Default: False.

    Attributes:
        data (ndarray): (N, 32, 32, 3) ``uint8``, HWC. targets (list of int): the labels.
        classes (list of str): the class names. class_to_idx (dict): name -> label.

    Example:
        >>> train = CIFAR10("./data", train=True, download=True, transform=transforms.ToTensor())
        >>> img, label = train[0]   # (3, 32, 32) float32 in [0, 1], an int
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [
        ["test_batch", "40351d587109b95175f43aff81a1287e"],
    ]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    _labels_key = "labels"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it "
                               f"(looked for the python batches in {os.path.join(self.root, self.base_folder)})")
        self._load_meta()  # first: labels are checked against the number of classes
        images, self.targets = [], []
        for name, _ in (self.train_list if train else self.test_list):
            data, labels = self._batch(name, self._read(os.path.join(self.root, self.base_folder, name)))
            images.append(data)
            self.targets.extend(labels)
        # rows are 1024 red, 1024 green, 1024 blue values: (N, 3, 32, 32), then HWC
        self.data = np.ascontiguousarray(np.vstack(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))

    def _batch(self, name, entry):
        """A batch's images and labels, checked: ``(N, 3072)`` uint8 rows, N int labels in ``[0, classes)``."""
        try:
            data, labels = _key(entry, "data"), _key(entry, self._labels_key)
        except KeyError:
            raise RuntimeError(f"{name}: expected a dict with keys 'data' and {self._labels_key!r}, found keys "
                               f"{sorted(_text(k) for k in entry)[:8]}") from None
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise RuntimeError(f"{name}: expected data of shape (N, 3072) and dtype uint8, got "
                               f"{getattr(data, 'shape', type(data).__name__)} {getattr(data, 'dtype', '')}")
        if not isinstance(labels, (list, tuple, np.ndarray)) or \
                not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in labels):
            raise RuntimeError(f"{name}: expected the labels as a list of ints, got {type(labels).__name__}"
                               + (f" holding {type(labels[0]).__name__}" if isinstance(labels, list) and labels
                                  else ""))
        labels = [int(v) for v in labels]
        if len(labels) != len(data):
            raise RuntimeError(f"{name}: {len(data)} images but {len(labels)} labels")
        bad = next((v for v in labels if not 0 <= v < len(self.classes)), None)
        if bad is not None:
            raise RuntimeError(f"{name}: label {bad} is out of range: expected 0 <= label < {len(self.classes)}")
        return data, labels

    @staticmethod
    def _read(path):
        try:
            entry = restricted_load(path)
        except RuntimeError:  # already names the file
            raise
        except Exception as e:
            raise RuntimeError(f"could not read {path}: {e}") from e
        if not isinstance(entry, dict):
            raise RuntimeError(f"{path}: expected a pickled dict, got {type(entry).__name__}")
        return entry

    def _load_meta(self):
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not check_integrity(path, self.meta["md5"]):
            raise RuntimeError("Dataset metadata file not found or corrupted. You can use download=True to download "
                               f"it (looked for {path})")
        try:
            names = _key(self._read(path), self.meta["key"])
        except KeyError:
            raise RuntimeError(f"{self.meta['filename']}: expected a dict with the key {self.meta['key']!r}") from None
        if not isinstance(names, (list, tuple)) or not all(isinstance(c, (str, bytes)) for c in names):
            raise RuntimeError(f"{self.meta['filename']}: expected the class names as a list of strings, got "
                               f"{type(names).__name__}")
        self.classes = [_text(c) for c in names]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index):
        return self._transformed(self.data[index].copy(), self.targets[index])

    def __len__(self):
        return len(self.data)

    def _check_integrity(self, folder=None):
        folder = os.path.join(self.root, self.base_folder) if folder is None else folder
        files = self.train_list + self.test_list + [[self.meta["filename"], self.meta["md5"]]]
        return all(check_integrity(os.path.join(folder, name), md5) for name, md5 in files)

    def _verify_extracted(self, folder):
        if not self._check_integrity(folder):
            raise RuntimeError(f"the archive from {self.url} does not hold the expected files of "
                               f"{self.base_folder!r} (missing files or wrong checksums)")

    def download(self):
        """Fetch and extract the archive unless verified data is already in place.

        The archive is downloaded to ``root/filename`` only when its MD5 is :attr:`tgz_md5` (an archive already
        there with the right checksum is reused); the extracted folder appears only when complete and checked.
        """
        if self._check_integrity():
            return
        archive = os.path.join(self.root, self.filename)
        if not check_integrity(archive, self.tgz_md5):
            print(f"Downloading {self.url} to {archive}")
            download_url(self.url, archive, md5=self.tgz_md5)
        print(f"Extracting {archive} to {self.root}")
        try:
            extract_archive_atomically(archive, self.root, self.base_folder, verify=self._verify_extracted)
        except Exception:
            os.remove(archive)  # a verified download that does not extract is of no use: do not reuse it
            raise

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


def read_idx(path, ndim, count=None):
    """An IDX file (MNIST's format) of ``uint8`` values with ``ndim`` dimensions, checked before it is read.

    The header is two zero bytes, the type code ``0x08`` (unsigned byte), the number of dimensions, then each
    size as a big-endian 32-bit integer; the values follow, exactly :math:`\\prod_i n_i` bytes of them. A wrong
    header, a size that disagrees with the file's length (checked before anything is allocated) or a first
    dimension other than ``count`` raises a ``RuntimeError`` naming the file.
    """
    name = os.path.basename(path)
    file_size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(4)
        if len(head) < 4 or head[0] != 0 or head[1] != 0:
            raise RuntimeError(f"{name}: not an IDX file (expected the magic bytes 00 00 at the start)")
        if head[2] != 0x08:
            raise RuntimeError(f"{name}: expected unsigned byte values (type code 0x08), got type code "
                               f"{head[2]:#04x}")
        if head[3] != ndim:
            raise RuntimeError(f"{name}: expected {ndim} dimension(s), the header declares {head[3]}")
        dims_raw = f.read(4 * ndim)
        if len(dims_raw) < 4 * ndim:
            raise RuntimeError(f"{name}: truncated header")
        dims = tuple(int.from_bytes(dims_raw[4 * k:4 * k + 4], "big") for k in range(ndim))
        expected = 4 + 4 * ndim + int(np.prod(dims, dtype=object))
        if expected != file_size:
            raise RuntimeError(f"{name}: the header declares {dims} values ({expected} bytes with the header) but "
                               f"the file has {file_size} bytes")
        if count is not None and dims[0] != count:
            raise RuntimeError(f"{name}: {dims[0]} entries, expected {count} (one per image)")
        data = np.frombuffer(f.read(), dtype=np.uint8)
    return data.reshape(dims).copy()


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 70 000 28x28 gray images in 10 classes (60 000 train, 10 000 test).

    .. math::
        \\text{dataset}[i] = (\\text{transform}(x_i), \\text{target\\_transform}(y_i)), \\quad
        x_i \\in \\{0..255\\}^{28 \\times 28}, \\; y_i \\in \\{0..9\\}

    Reads ``root/<class name>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (torchvision's layout), each
    checked by :func:`read_idx`; labels outside the classes raise a ``RuntimeError``.

    Args:
        root (str): folder holding (or to receive) ``MNIST/raw``.
        train (bool): the 60 000 training images (True) or the 10 000 test images. Default: True.
        transform (callable, optional): applied to each image, an (H, W) ``uint8`` NumPy array (a copy).
        target_transform (callable, optional): applied to each label (an int).
        download (bool): fetch the four ``.gz`` files from the first mirror that answers, each checked against
            its MD5, and decompress them (atomically, bounded in size), unless they are already there.

    Attributes:
        data (Tensor): (N, 28, 28) ``uint8``. targets (Tensor): (N,) ``int64``. classes (list of str).
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]
    #: no file of these datasets decompresses to more (the training images are 47 040 016 bytes)
    _max_file_bytes = 64 << 20

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError(f"Dataset not found. You can use download=True to download it (looked in "
                               f"{self.raw_folder})")
        split = "train" if train else "t10k"
        images = read_idx(os.path.join(self.raw_folder, f"{split}-images-idx3-ubyte"), 3)
        labels = read_idx(os.path.join(self.raw_folder, f"{split}-labels-idx1-ubyte"), 1, count=len(images))
        if labels.size and labels.max() >= len(self.classes):
            raise RuntimeError(f"{split}-labels-idx1-ubyte: label {int(labels.max())} is out of range: expected "
                               f"0 <= label < {len(self.classes)}")
        from .._creation import from_numpy
        self.data = from_numpy(images)
        self.targets = from_numpy(labels.astype(np.int64))

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index):
        return self._transformed(self.data._data[index].copy(), int(self.targets._data[index]))

    def __len__(self):
        return len(self.data)

    def _check_exists(self):
        return all(check_integrity(os.path.join(self.raw_folder, name[:-3])) for name, _ in self.resources)

    def download(self):
        """Fetch and decompress the four files unless they are already in place."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for name, md5 in self.resources:
            target = os.path.join(self.raw_folder, name[:-3])
            if check_integrity(target):
                continue
            archive = os.path.join(self.raw_folder, name)
            if not check_integrity(archive, md5):
                errors = []
                for mirror in self.mirrors:
                    print(f"Downloading {mirror}{name}")
                    try:
                        download_url(mirror + name, archive, md5=md5)
                        break
                    except RuntimeError as e:
                        errors.append(str(e))
                else:
                    raise RuntimeError(f"Error downloading {name}: " + "; ".join(errors))
            try:
                gunzip_atomically(archive, target, self._max_file_bytes)
            except RuntimeError:
                os.remove(archive)   # a verified download that does not decompress is of no use
                raise

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Fashion-MNIST: 70 000 28x28 gray images of clothing in 10 classes, in MNIST's format and layout
    (``root/FashionMNIST/raw``); see :class:`MNIST`."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


class Digits(VisionDataset):
    """scikit-learn's handwritten digits: 1797 8x8 gray images of the digits 0-9, offline.

    .. math::
        x_i = \\operatorname{round}(v_i \\cdot 255 / 16) \\in \\{0..255\\}^{8 \\times 8}, \\quad
        v_i \\in \\{0..16\\}^{8 \\times 8} \\text{ (the original 4-bit counts)}

    The split is fixed and deterministic, with no random draw: within each class, in the file's order, every
    fifth image (positions 4, 9, 14, ...) is in the test set and the others in the training set, an 80/20 split
    stratified by class (1442 train, 355 test).

    Needs scikit-learn (``pip install 'numtorch[digits]'``), imported only when the dataset is built.

    Args:
        root (str, optional): unused (the data ships with scikit-learn); kept for the common dataset signature.
        train (bool): the training (True) or the test split. Default: True.
        transform (callable, optional): applied to each image, an (8, 8) ``uint8`` NumPy array (a copy).
        target_transform (callable, optional): applied to each label (an int).

    Attributes:
        data (ndarray): (N, 8, 8) ``uint8``. targets (list of int). classes (list of str): ``'0'``..``'9'``.

    Example:
        >>> train = Digits(train=True, transform=transforms.ToTensor())
        >>> img, label = train[0]   # (1, 8, 8) float32 in [0, 1], an int
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, root=None, train=True, transform=None, target_transform=None):
        super().__init__(root, transform=transform, target_transform=target_transform)
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            raise ImportError("numtorch.vision.datasets.Digits needs scikit-learn, an optional extra: "
                              "pip install 'numtorch[digits]'") from None
        self.train = train
        bunch = load_digits()
        images = np.asarray(bunch.images, dtype=np.float64)
        labels = np.asarray(bunch.target, dtype=np.int64)
        is_test = np.zeros(len(labels), dtype=bool)
        for c in range(10):
            is_test[np.flatnonzero(labels == c)[4::5]] = True
        keep = ~is_test if train else is_test
        self.data = np.rint(images[keep] * (255.0 / 16.0)).astype(np.uint8)
        self.targets = labels[keep].tolist()
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index):
        return self._transformed(self.data[index].copy(), self.targets[index])

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"
