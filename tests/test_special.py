"""Array-level erf, erfc and erfinv (ops/_special.py) against math.erf/math.erfc and torch."""
import math

import numpy as np
import pytest

from numtorch.ops import _special
from helpers import torch

_m_erf = np.vectorize(math.erf)
_m_erfc = np.vectorize(math.erfc)


def _rel(ours, ref, floor=0.0):
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    keep = np.abs(ref) > floor
    return np.max(np.abs(ours[keep] - ref[keep]) / np.abs(ref[keep]))


WIDE = np.concatenate([np.linspace(-7, 7, 40001), np.logspace(-300, 1, 2000), -np.logspace(-300, 1, 2000),
                       [0.5, -0.5, np.nextafter(0.5, 1), np.nextafter(0.5, 0), 4.0, np.nextafter(4.0, 5)]])


def test_erf_float64_round_off():
    assert _rel(_special.erf(WIDE), _m_erf(WIDE), floor=1e-320) < 1e-15


def test_erfc_float64_round_off_including_far_tail():
    x = np.concatenate([WIDE, np.linspace(4, 26.5, 20001)])
    ref = _m_erfc(x)
    # Compare where the reference is a normal number (denormals carry fewer significant digits).
    assert _rel(_special.erfc(x), ref, floor=np.finfo(np.float64).tiny) < 1e-15
    # The far tail is not computed as 1 - erf: erfc(10) ~ 2e-45, erfc(26) ~ 6e-296, both to round-off.
    for v in (10.0, 20.0, 26.0):
        assert abs(_special.erfc(np.array(v)) / math.erfc(v) - 1) < 1e-15


def test_special_values():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 40.0, -40.0])
    e = _special.erf(x)
    c = _special.erfc(x)
    np.testing.assert_array_equal(e, [1, -1, np.nan, 0, 0, 1, -1])
    assert np.signbit(e[4]) and not np.signbit(e[3])
    np.testing.assert_array_equal(c, [0, 2, np.nan, 1, 1, 0, 2])
    y = np.array([1.0, -1.0, 1.5, -1.0000001, np.nan, 0.0, -0.0])
    with np.errstate(all="raise"):  # no floating-point warnings escape
        inv = _special.erfinv(y)
    np.testing.assert_array_equal(inv, [np.inf, -np.inf, np.nan, np.nan, np.nan, 0, 0])
    assert np.signbit(inv[6])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("fn", ["erf", "erfc", "erfinv"])
def test_dtype_and_shape_preserved(fn, dtype):
    for x in (np.zeros((0, 3), dtype), np.array(0.25, dtype), np.full((2, 3), 0.75, dtype)):
        out = getattr(_special, fn)(x)
        assert isinstance(out, np.ndarray) and out.dtype == np.dtype(dtype) and out.shape == x.shape


def test_erfinv_inverts_erf_float64():
    x = np.concatenate([np.linspace(-5.8, 5.8, 20000), np.logspace(-300, 0, 500)])
    y = _m_erf(x)
    keep = np.abs(y) < 1
    x, y = x[keep], y[keep]
    back = _special.erfinv(y)
    # y = erf(x) is rounded by up to half an ulp (<= 1.2e-16 absolute below 1), and
    # d erfinv / dy = sqrt(pi)/2 exp(x^2) magnifies that: x can only come back within this much.
    slack = 1.2e-16 * np.sqrt(np.pi) / 2 * np.exp(x ** 2) / np.abs(x)
    assert np.all(np.abs(back - x) / np.abs(x) <= 1e-15 + slack)


def test_erfinv_guess_coefficients_reproducible():
    (c_lo, m_lo), (c_hi, m_hi) = _special._fit_inverse_guess()
    np.testing.assert_allclose(c_lo, _special._INV_CENTRAL[0], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(c_hi, _special._INV_TAIL[0], rtol=1e-6, atol=1e-12)
    assert (m_lo, m_hi) == (_special._INV_CENTRAL[1], _special._INV_TAIL[1])


@pytest.mark.torch
def test_erfinv_float64_matches_torch():
    y = np.concatenate([np.linspace(-1, 1, 40001), 1 - np.logspace(-16, -1, 400), -1 + np.logspace(-16, -1, 400),
                        np.logspace(-300, -1, 300), [np.nextafter(1.0, 0), 5e-324]])
    ref = torch.erfinv(torch.from_numpy(y)).numpy()
    ours = _special.erfinv(y)
    fin = np.isfinite(ref)
    np.testing.assert_array_equal(ours[~fin], ref[~fin])
    assert _rel(ours[fin], ref[fin], floor=0) < 1e-15


@pytest.mark.torch
@pytest.mark.parametrize("fn", ["erf", "erfc"])
def test_erf_erfc_float64_match_torch(fn):
    x = np.concatenate([np.linspace(-30, 30, 30001), np.logspace(-300, 1.4, 1000)])
    ref = getattr(torch, fn)(torch.from_numpy(x)).numpy()
    assert _rel(getattr(_special, fn)(x), ref, floor=np.finfo(np.float64).tiny) < 1e-15


@pytest.mark.torch
@pytest.mark.parametrize("fn", ["erf", "erfc", "erfinv"])
def test_float32_matches_torch(fn):
    if fn == "erfinv":
        x = np.linspace(-1, 1, 20001).astype(np.float32)
    else:
        x = np.linspace(-12, 12, 20001).astype(np.float32)
    ref = getattr(torch, fn)(torch.from_numpy(x)).numpy()
    ours = getattr(_special, fn)(x)
    assert ours.dtype == np.float32
    fin = np.isfinite(ref)
    np.testing.assert_array_equal(ours[~fin], ref[~fin])
    # A few float32 ulps: both sides round their own float32 arithmetic.
    assert _rel(ours[fin], ref[fin], floor=np.finfo(np.float32).tiny) < 1e-6


@pytest.mark.torch
@pytest.mark.parametrize("fn", ["erf", "erfc", "erfinv"])
def test_float16_matches_torch(fn):
    x = np.linspace(-0.999 if fn == "erfinv" else -5, 0.999 if fn == "erfinv" else 5, 4001).astype(np.float16)
    ref = getattr(torch, fn)(torch.from_numpy(x)).numpy().astype(np.float64)
    ours = getattr(_special, fn)(x)
    assert ours.dtype == np.float16
    # torch's half kernels round differently at near-ties: allow one float16 ulp (2^-10 relative).
    assert _rel(ours, ref, floor=1e-4) <= 2.0 ** -10
