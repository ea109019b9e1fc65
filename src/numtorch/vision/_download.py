"""Downloading and unpacking dataset archives safely.

* :func:`download_url` streams a URL to ``<file>.part-<random>`` beside the target while computing its MD5, and
  renames it into place only when the checksum matches; a mismatch deletes the partial file and raises.
* :func:`extract_archive_atomically` unpacks a tar archive into a fresh temporary folder under the root,
  refusing absolute paths, ``..`` components, links and special files, checks the result, and only then
  renames the expected top folder into place. Any failure removes the temporary folder, so nothing
  half-extracted is ever visible under the root.
* :class:`RestrictedUnpickler` loads the pickled NumPy batches of datasets such as CIFAR-10 while admitting only
  the few globals those files reference (never ``pickle.load`` on downloaded data).
"""
import hashlib
import io
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.request
import zlib

import numpy as np

from ..serialization import _BoundedUnpickler

__all__ = ["calculate_md5", "check_integrity", "download_url", "extract_archive_atomically", "gunzip_atomically",
           "RestrictedUnpickler", "restricted_load"]

_CHUNK = 1 << 20


def calculate_md5(path, chunk_size=_CHUNK):
    """The hex MD5 digest of a file: :math:`\\text{md5}(b_1 \\Vert b_2 \\Vert \\cdots)` over its 1 MiB chunks."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_integrity(path, md5=None):
    """True when ``path`` is a file and (if ``md5`` is given) :math:`\\text{md5}(\\text{file}) = \\text{md5}`."""
    if not os.path.isfile(path):
        return False
    return md5 is None or calculate_md5(path) == md5


def download_url(url, path, md5=None, timeout=60.0):
    """Download ``url`` to ``path`` atomically, verifying ``md5`` when given.

    .. math::
        \\text{path exists afterwards} \\iff \\text{the download completed and }
        \\text{md5}(\\text{bytes}) = \\text{md5}

    The bytes go to a temporary file in the same folder; it replaces ``path`` only once complete and verified.

    Raises:
        RuntimeError: the download failed or its checksum is wrong (nothing is left behind).
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, part = tempfile.mkstemp(prefix=os.path.basename(path) + ".part-", dir=folder)
    try:
        digest = hashlib.md5(usedforsecurity=False)
        request = urllib.request.Request(url, headers={"User-Agent": "numtorch"})
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    digest.update(chunk)
                    out.write(chunk)
        except OSError as e:  # URLError, HTTPError and socket errors are all OSErrors
            raise RuntimeError(f"downloading {url} failed: {e}") from e
        got = digest.hexdigest()
        if md5 is not None and got != md5:
            raise RuntimeError(f"checksum mismatch for {url}: expected md5 {md5}, got {got}. The download was "
                               "deleted; the file on the server may be corrupt or the url wrong.")
        os.replace(part, path)
    finally:
        if os.path.exists(part):
            os.remove(part)


def gunzip_atomically(archive, path, max_bytes):
    """Decompress the gzip file ``archive`` to ``path``: it appears complete or not at all.

    Refuses (``RuntimeError``, nothing written) a corrupt stream or one that would decompress to more than
    ``max_bytes`` (a decompression bomb is stopped after ``max_bytes``, not after filling the disk).
    """
    import gzip
    folder = os.path.dirname(os.path.abspath(path))
    fd, part = tempfile.mkstemp(prefix=os.path.basename(path) + ".part-", dir=folder)
    try:
        written = 0
        try:
            with os.fdopen(fd, "wb") as out, gzip.open(archive, "rb") as src:
                for chunk in iter(lambda: src.read(_CHUNK), b""):
                    written += len(chunk)
                    if written > max_bytes:
                        raise RuntimeError(f"{archive} decompresses to more than {max_bytes} bytes, more than the "
                                           "dataset file it should hold; refusing it")
                    out.write(chunk)
        except (OSError, EOFError, zlib.error) as e:
            raise RuntimeError(f"{archive} is not a valid gzip file: {e}") from e
        os.replace(part, path)
    finally:
        if os.path.exists(part):
            os.remove(part)


def _safe_target(dest, name):
    """The path a member ``name`` extracts to under ``dest``, or None when it would escape ``dest``."""
    if not name or name.startswith(("/", "\\")) or os.path.isabs(name) or (len(name) > 1 and name[1] == ":"):
        return None
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        return None
    target = os.path.realpath(os.path.join(dest, *[p for p in parts if p not in ("", ".")]))
    root = os.path.realpath(dest)
    if target != root and not target.startswith(root + os.sep):
        return None
    return target


def _extract_tar(archive, dest):
    """Extract regular files and folders of ``archive`` into ``dest``, refusing anything unsafe."""
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            target = _safe_target(dest, member.name)
            if target is None:
                raise RuntimeError(f"refusing to extract {archive}: member {member.name!r} would be written outside "
                                   "the extraction folder")
            if member.isdir():
                os.makedirs(target, exist_ok=True)
            elif member.isfile():
                os.makedirs(os.path.dirname(target), exist_ok=True)
                src = tar.extractfile(member)
                with src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, _CHUNK)
            else:
                kind = "link" if (member.issym() or member.islnk()) else "special file"
                raise RuntimeError(f"refusing to extract {archive}: member {member.name!r} is a {kind}; only "
                                   "regular files and folders are extracted")


def extract_archive_atomically(archive, root, folder, verify=None):
    """Extract ``archive`` so that ``root/folder`` appears complete or not at all.

    .. math::
        \\text{root/folder exists afterwards} \\iff \\text{every member was safe and extracted, and verify passed}

    The archive is unpacked into a temporary folder under ``root``; ``verify(path)`` (optional) checks the
    extracted ``folder`` and raises when it is wrong; then the folder is renamed to ``root/folder`` (replacing
    an older, corrupt copy). On any failure the temporary folder is removed and ``RuntimeError`` is raised.
    """
    os.makedirs(root, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{folder}.extract-", dir=root)
    try:
        try:
            _extract_tar(archive, tmp)
        except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
            raise RuntimeError(f"could not extract {archive}: the archive is corrupt or truncated ({e})") from e
        extracted = os.path.join(tmp, folder)
        if not os.path.isdir(extracted):
            raise RuntimeError(f"{archive} does not contain the folder {folder!r}")
        if verify is not None:
            verify(extracted)
        final = os.path.join(root, folder)
        if os.path.lexists(final):  # an incomplete or corrupt copy from before: move it aside, then delete it
            os.rename(final, os.path.join(tmp, ".old"))
        os.rename(extracted, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------- restricted unpickling
def _numpy_core(name):
    import importlib
    try:
        return importlib.import_module(f"numpy._core.{name}")
    except ImportError:  # NumPy 1.x
        return importlib.import_module(f"numpy.core.{name}")


def _allowed_globals():
    multiarray = _numpy_core("multiarray")
    numeric = _numpy_core("numeric")
    import codecs
    allowed = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,  # how Python 3 writes bytes in protocol-2 pickles
    }
    def _reconstruct(subtype, shape, dtype):
        # NumPy's array pickles call it only for an empty placeholder whose state BUILD then sets (and checks
        # against the data); any other shape would allocate an array the file does not hold.
        if subtype is not np.ndarray or type(shape) is not tuple or shape != (0,):
            raise pickle.UnpicklingError("refusing to call _reconstruct except as NumPy's array pickles do: "
                                         "_reconstruct(ndarray, (0,), dtype)")
        return multiarray._reconstruct(subtype, shape, dtype)

    for core in ("numpy.core", "numpy._core"):
        allowed[(f"{core}.multiarray", "_reconstruct")] = _reconstruct
        allowed[(f"{core}.multiarray", "scalar")] = multiarray.scalar
        if hasattr(numeric, "_frombuffer"):
            allowed[(f"{core}.numeric", "_frombuffer")] = numeric._frombuffer
    return allowed


class RestrictedUnpickler(_BoundedUnpickler):
    """An unpickler that builds only NumPy arrays, dtypes and plain Python containers and scalars.

    .. math::
        \\text{find\\_class}(m, n) = \\begin{cases} \\text{the object} & (m, n) \\in \\text{allowed} \\\\
        \\text{UnpicklingError} & \\text{otherwise} \\end{cases}

    Any other global (a function or class that unpickling would call) raises ``pickle.UnpicklingError``, so a
    tampered data file cannot run code. It is the pure-Python unpickler with the checkpoint loader's limits: tuples
    nested deeper than 1000 levels (whose hashing would overflow the C stack) and declared sizes the data does not
    hold are refused before anything is built or allocated.
    """

    label = "the data file"
    dispatch = dict(_BoundedUnpickler.dispatch)
    _allowed = None

    def find_class(self, module, name):
        if RestrictedUnpickler._allowed is None:
            RestrictedUnpickler._allowed = _allowed_globals()
        try:
            return RestrictedUnpickler._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a dataset file may contain only NumPy "
                                         "arrays and plain Python values") from None

    def _load_reduce(self):
        # numpy.ndarray is allowed as _reconstruct's argument; called, it would allocate any shape the file names.
        if self.stack[-2] is np.ndarray:
            raise pickle.UnpicklingError("refusing to call numpy.ndarray: it would allocate an array the file does "
                                         "not hold")
        super().load_reduce()

    def _refuse_construct(self):
        raise pickle.UnpicklingError("refusing to construct an object from a class named by the file "
                                     "(NEWOBJ/INST/OBJ opcodes): a dataset file holds only arrays and plain values")

    dispatch[pickle.REDUCE[0]] = _load_reduce
    for _op in (pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.INST, pickle.OBJ):
        dispatch[_op[0]] = _refuse_construct
    del _op


def restricted_load(path):
    """Load a pickled data file with :class:`RestrictedUnpickler` (Python 2 strings become ``bytes``).

    .. math::
        \\text{obj} = \\text{unpickle}_{\\text{restricted}}(\\text{bytes})
    """
    with open(path, "rb") as f:
        data = f.read()
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except pickle.UnpicklingError:
        raise
    except Exception as e:
        raise RuntimeError(f"could not read {path}: not a valid data file ({type(e).__name__}: {e})") from e
