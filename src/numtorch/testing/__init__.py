"""``numtorch.testing.assert_close``: torch's comparison for tests, with its tolerances and messages."""
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from .._tensor import Tensor

__all__ = ["assert_close"]

#: torch's default (rtol, atol) per dtype; integer and bool tensors compare exactly
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


class _Mismatch(Exception):
    """A failed comparison: its exception class and message, before the item path is added."""

    def __init__(self, cls, message):
        super().__init__(message)
        self.cls, self.message = cls, message


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close, as ``torch.testing.assert_close``.

    Tensors (and Python numbers) must have the same shape and, with ``check_dtype``, the same dtype; then,
    elementwise, :math:`|actual - expected| \\le atol + rtol\\,|expected|` (inf equal to itself; nan equal to
    nan only with ``equal_nan``). Without ``rtol``/``atol`` the dtype's defaults apply (float32: 1.3e-6 and
    1e-5; float64: 1e-7 and 1e-7; float16: 1e-3 and 1e-5; integers and bools: exact). Sequences and
    mappings are compared item by item; the message names the failing item.
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'atol' if atol is None else 'rtol'}.")
    try:
        _compare(actual, expected, rtol, atol, equal_nan, check_dtype, ())
    except _Mismatch as m:
        text = m.message
        if msg is not None:
            text = msg(text) if callable(msg) else msg
        raise m.cls(text) from None


def _is_number(x):
    return isinstance(x, (numbers.Number, np.number, np.bool_))


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, path):
    if isinstance(actual, Tensor) and isinstance(expected, Tensor) or _is_number(actual) and _is_number(expected):
        if isinstance(actual, (bool, np.bool_)) and isinstance(expected, (bool, np.bool_)):
            if bool(actual) != bool(expected):
                raise _Mismatch(AssertionError, f"Booleans mismatch: {actual} is not {expected}")
            return
        if not isinstance(actual, Tensor) and check_dtype and type(actual) is not type(expected):
            raise _Mismatch(AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.")
        try:
            _compare_arrays(actual, expected, rtol, atol, equal_nan, check_dtype)
        except _Mismatch as m:
            if path:
                m.message += "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in path)
            raise
        return
    seq = (Sequence,)
    if isinstance(actual, seq) and isinstance(expected, seq) and not isinstance(actual, (str, bytes)) \
            and not isinstance(expected, (str, bytes)):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, f"The length of the sequences mismatch: {len(actual)} != "
                                            f"{len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, rtol, atol, equal_nan, check_dtype, path + (i,))
        return
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            missing = sorted(set(expected) - set(actual), key=repr)
            extra = sorted(set(actual) - set(expected), key=repr)
            raise _Mismatch(AssertionError, "The keys of the mappings do not match:\n"
                                            f"Missing keys in the actual mapping: {missing}\n"
                                            f"Additional keys in the actual mapping: {extra}")
        for k in expected:
            _compare(actual[k], expected[k], rtol, atol, equal_nan, check_dtype, path + (k,))
        return
    raise _Mismatch(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                               f"{type(expected)}.")


def _as_array(x):
    if isinstance(x, Tensor):
        return x.detach()._data, x.dtype
    from .._dtype import FROM_NUMPY
    a = np.asarray(x)
    if a.dtype.kind == "f":
        a = a.astype(np.float64)
    elif a.dtype.kind in "iu":
        a = a.astype(np.int64)
    elif a.dtype.kind == "c":
        a = a.astype(np.complex128)
    return a, FROM_NUMPY[a.dtype]


def _compare_arrays(actual, expected, rtol, atol, equal_nan, check_dtype):
    from .._size import Size
    a, a_dtype = _as_array(actual)
    e, e_dtype = _as_array(expected)
    if a.shape != e.shape:
        raise _Mismatch(AssertionError, f"The values for attribute 'shape' do not match: {Size(a.shape)} != "
                                        f"{Size(e.shape)}.")
    if check_dtype and a_dtype != e_dtype:
        raise _Mismatch(AssertionError, f"The values for attribute 'dtype' do not match: {a_dtype} != {e_dtype}.")
    if rtol is None:   # the looser of the two dtypes' defaults (they differ only without check_dtype)
        (r1, a1), (r2, a2) = (_TOLERANCES.get(x.dtype.name, (0.0, 0.0)) for x in (a, e))
        rtol, atol = max(r1, r2), max(a1, a2)
    if a.dtype != e.dtype:
        common = np.result_type(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    shown_a, shown_e = a, e
    if a.dtype.kind == "b":
        a, e = a.astype(np.int64), e.astype(np.int64)
    inexact = a.dtype.kind in "fc"
    with np.errstate(all="ignore"):
        close = a == e
        if inexact:
            close |= np.isfinite(a) & np.isfinite(e) & (np.abs(a - e) <= atol + rtol * np.abs(e))
            if equal_nan:
                close |= np.isnan(a) & np.isnan(e)
        elif rtol or atol:
            close |= np.abs(a - e) <= atol + rtol * np.abs(e)
        if close.all():
            return
        abs_diff = np.abs(a - e)
        rel_diff = abs_diff / np.abs(e) if inexact else (abs_diff / np.abs(e)).astype(np.float32)
    exact = not (rtol or atol)
    kind = "equal" if exact else "close"
    if a.ndim == 0:
        with np.errstate(all="ignore"):
            rel = np.float64(abs_diff.item()) / np.float64(abs(e.item()))
        lines = [f"Scalars are not {kind}!", "", f"Expected {shown_e.item()} but got {shown_a.item()}.",
                 f"Absolute difference: {abs_diff.item()}" + ("" if exact else f" (up to {atol} allowed)"),
                 f"Relative difference: {rel.item()}" + ("" if exact else f" (up to {rtol} allowed)")]
        raise _Mismatch(AssertionError, "\n".join(lines))
    bad = int((~close).sum())
    total = close.size
    i_abs, i_rel = _argmax_nan_first(abs_diff), _argmax_nan_first(rel_diff)
    lines = [f"Tensor-likes are not {kind}!", "", f"Mismatched elements: {bad} / {total} ({100 * bad / total:.1f}%)",
             f"Greatest absolute difference: {abs_diff[i_abs].item()} at index {i_abs}"
             + ("" if exact else f" (up to {atol} allowed)"),
             f"Greatest relative difference: {rel_diff[i_rel].item()} at index {i_rel}"
             + ("" if exact else f" (up to {rtol} allowed)")]
    raise _Mismatch(AssertionError, "\n".join(lines))


def _argmax_nan_first(d):
    """Index (a tuple) of the greatest value, a nan counting as greatest (as torch.max does)."""
    flat = d.reshape(-1)
    nans = np.flatnonzero(np.isnan(flat)) if flat.dtype.kind in "fc" else ()
    i = int(nans[0]) if len(nans) else int(np.argmax(flat))
    return tuple(int(v) for v in np.unravel_index(i, d.shape))

