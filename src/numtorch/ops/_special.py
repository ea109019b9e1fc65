"""Array-level special functions that NumPy lacks: ``erf``, ``erfc`` and ``erfinv``.

These work on NumPy arrays (float16, float32 or float64) and return an array of the same dtype; they are the
kernels behind ``numtorch.erf``/``erfc``/``erfinv`` and the exact GELU. float32 and float64 are computed in
their own dtype; float16 is computed in float32 and rounded back, as torch's CPU kernels do.

``erf``/``erfc`` use W. J. Cody's piecewise rational approximations (Math. Comp. 23 (1969), 631-637), whose
published coefficients give float64 round-off accuracy:

* ``|x| <= 0.5``:    erf(x)  = x R1(x^2)
* ``0.5 < |x| <= 4``: erfc(x) = exp(-x^2) R2(x)
* ``|x| > 4``:       erfc(x) = exp(-x^2) / x (1/sqrt(pi) - R3(1/x^2) / x^2)

and the complementary value is taken from the other function (erf = 1 - erfc, erfc = 1 - erf) only where that
subtraction cannot cancel. ``exp(-x^2)`` is evaluated as ``exp(-s^2) exp(-(x - s)(x + s))`` with ``s`` = x
rounded to a multiple of 1/16, so that the rounding error of ``x^2`` is not magnified in the far tail.

``erfinv`` starts from a fitted polynomial guess in ``w = -log(1 - y^2)`` and refines it with Halley steps on
``erf(x) = y`` (or, for ``|y| > 0.5``, on ``erfc(x) = 1 - |y|``, which is exact and keeps full relative accuracy
as ``|y| -> 1``).
"""
import numpy as np

__all__ = ["erf", "erfc", "erfinv"]

# ---------------------------------------------------------------------- Cody's coefficients
# R1 on |x| <= 0.5 (in t = x^2): numerator and denominator, highest power first.
_ERF_P = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03)
_ERF_Q = (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
# R2 on 0.5 < |x| <= 4 (in |x|).
_ERFC_P = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03,
           1.23033935479799725e03)
_ERFC_Q = (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
           3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
# R3 on |x| > 4 (in t = 1/x^2).
_TAIL_P = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4)
_TAIL_Q = (1.0, 2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
           2.33520497626869185e-3)
_INV_SQRT_PI = 0.56418958354775628695
_TWO_OVER_SQRT_PI = 1.1283791670955125739
# Beyond this |x|, erfc(x) underflows to zero in every supported dtype (float64's last denormal is near 27.2).
_ERFC_ZERO = 28.0

# ---------------------------------------------------------------------- erfinv's starting guess
# x / y ~ P(w) with w = -log((1 - y)(1 + y)), fitted (least squares, numtorch's own fit) on two ranges; the
# guess is good to about 1e-6 relative, and two Halley steps (cubic convergence) take it to round-off.
# Re-create them with _fit_inverse_guess() (tests/test_special.py checks that they still agree).
# (coefficients highest power first, centre): a polynomial in w - 2.5 for w < 5 ...
_INV_CENTRAL = ((3.5275502704886103e-10, -8.8296004763195e-09, 1.7671087413167032e-08, 4.6657397060421277e-07,
                 -3.432058755383344e-06, -4.964521881965957e-06, 0.0002182756936796623, -0.0012527411880925556,
                 -0.0041773330316047285, 0.24664028651436312, 1.5014093526032115), 2.5)
# ... and in sqrt(w) - 3 for w >= 5 (up to w ~ 37, where 1 - |y| reaches float64's 2^-53).
_INV_TAIL = ((-1.2565338833315684e-06, 1.2293679828616828e-05, -2.4027796145162155e-05, -0.00017405713906589007,
              0.0011710125608475645, -0.0033040177670258697, 0.0057577544740669544, -0.007771412674616428,
              0.009450732219648877, 1.0016900266214097, 2.8329762302787187), 3.0)


def _horner(coeffs, t):
    """sum_k c_k t^(n-k) for coefficients given highest power first; keeps ``t``'s dtype."""
    acc = coeffs[0] * t + coeffs[1]
    for c in coeffs[2:]:
        acc *= t
        acc += c
    return acc


def _work(x):
    """The array to compute on (float16 and integer inputs are computed in a wider float) and the result dtype."""
    x = np.asarray(x)
    dt = x.dtype
    if dt == np.float16:
        return x.astype(np.float32), dt
    if dt.kind != "f":
        return x.astype(np.float64), np.dtype(np.float64)
    return x, dt


def _exp_neg_sq(a):
    """exp(-a^2) for a >= 0, as exp(-s^2) exp(-(a - s)(a + s)) with s = a rounded down to a multiple of 1/16."""
    s = a * 16
    np.trunc(s, out=s)
    s /= 16
    d = a - s
    d *= a + s
    np.negative(d, out=d)
    np.exp(d, out=d)      # exp(-(a - s)(a + s))
    s *= s                # exact: s has at most 4 fractional bits
    np.negative(s, out=s)
    np.exp(s, out=s)      # exp(-s^2)
    s *= d
    return s


def _erf_small(x):
    """erf(x) = x R1(x^2) for |x| <= 0.5."""
    t = x * x
    p = _horner(_ERF_P, t)
    p *= x
    p /= _horner(_ERF_Q, t)
    return p


def _erfc_pos(a):
    """erfc(a) for a > 0.5 (a finite, at most _ERFC_ZERO); finite, unused values for smaller a.

    Whole-array evaluation with ``copyto(where=...)`` is several times faster in NumPy than gathering each
    region with a boolean mask; only the rare far tail (a > 4) is gathered, when it is a small part.
    """
    out = _exp_neg_sq(a)
    out *= _horner(_ERFC_P, a)
    out /= _horner(_ERFC_Q, a)
    far = a > 4
    n_far = np.count_nonzero(far)
    if n_far:
        if n_far * 8 < a.size:
            idx = np.flatnonzero(far)
            out.reshape(-1)[idx] = _erfc_tail(a.reshape(-1)[idx])
        else:
            np.copyto(out, _erfc_tail(np.maximum(a, 4)), where=far)
    return out


def _erfc_tail(a):
    """erfc(a) = exp(-a^2) / a (1/sqrt(pi) - R3(1/a^2) / a^2) for a >= 4."""
    t = 1 / (a * a)
    r = t * _horner(_TAIL_P, t) / _horner(_TAIL_Q, t)
    return _exp_neg_sq(a) * (_INV_SQRT_PI - r) / a


def _erf_erfc(x, want_erfc):
    """erf(x) or erfc(x) on a float32/float64 array, choosing per region the form that cannot cancel."""
    if x.ndim == 0:  # NumPy turns 0-d results into scalars, which cannot be written into
        return _erf_erfc(x.reshape(1), want_erfc).reshape(())
    a = np.abs(x)
    np.minimum(a, _ERFC_ZERO, out=a)  # NaN propagates; +-inf becomes a value where erfc is 0
    small = a <= 0.5
    n_small = np.count_nonzero(small)
    e = None
    if n_small:
        e = _erf_small(np.clip(x, -0.5, 0.5))  # clipped: the values outside are not used
        if want_erfc:
            e = 1 - e
        if n_small == a.size:
            return e
    c = _erfc_pos(a)  # erfc(|x|), NaN where x is NaN
    if want_erfc:
        out = _blend(x < 0, 2 - c, c)   # erfc(-a) = 2 - erfc(a)
    else:
        out = np.copysign(1 - c, x)     # erf is odd
    if e is None:
        return out
    out = _blend(small, e, out)
    return out if want_erfc else np.copysign(out, x, out=out)  # keeps erf(-0.0) = -0.0


def _blend(mask, a, b):
    """``a`` where ``mask`` else ``b``, as a m + b (1 - m): exact for finite values (one product is 0) and,
    unlike a masked select, free of data-dependent branches, which makes it several times faster."""
    m = mask.astype(a.dtype)
    out = a * m
    m -= 1
    m *= b
    out -= m
    return out


def erf(x):
    """Error function, elementwise: :math:`\\mathrm{erf}(x) = \\frac{2}{\\sqrt{\\pi}} \\int_0^x e^{-t^2} dt`."""
    w, dt = _work(x)
    return _erf_erfc(w, False).astype(dt, copy=False)


def erfc(x):
    """Complementary error function, elementwise: :math:`\\mathrm{erfc}(x) = 1 - \\mathrm{erf}(x)`.

    Computed directly (not as ``1 - erf``), so it keeps full relative accuracy in the far tail.
    """
    w, dt = _work(x)
    return _erf_erfc(w, True).astype(dt, copy=False)


def erfinv(y):
    """Inverse error function, elementwise: :math:`x = \\mathrm{erfinv}(y) \\iff \\mathrm{erf}(x) = y`.

    Defined on [-1, 1]: erfinv(+-1) = +-inf and NaN outside. A polynomial guess in ``w = -log(1 - y^2)`` is
    refined by two Halley steps, :math:`x \\leftarrow x - r / (1 + x r)` with
    :math:`r = f(x) / f'(x)`, on :math:`f(x) = \\mathrm{erf}(x) - y` (or ``erfc(x) - (1 - |y|)`` for
    ``|y| > 0.5``, where ``1 - |y|`` is exact).
    """
    yw, dt = _work(y)
    if yw.ndim == 0:
        return erfinv(yw.reshape(1)).reshape(()).astype(dt, copy=False)
    a = np.abs(yw)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log1p(-a * a)  # -log((1 - y)(1 + y)); inf at |y| = 1, NaN beyond
        guess = np.empty_like(a)
        cen = w < 5
        cc, c0 = _INV_CENTRAL
        tc, t0 = _INV_TAIL
        guess[cen] = a[cen] * _horner(cc, w[cen] - c0)
        tail = ~cen
        guess[tail] = a[tail] * _horner(tc, np.sqrt(w[tail]) - t0)
        x = guess
        inner = a <= 0.5
        outer = ~inner
        comp = 1 - a[outer]  # exact for a in [0.5, 1]
        k = yw.dtype.type(_TWO_OVER_SQRT_PI)
        f = np.empty_like(x)
        for _ in range(2):
            xc = np.where(np.isfinite(x), x, 0)
            f[inner] = _erf_erfc(xc[inner], False) - a[inner]
            f[outer] = comp - _erf_erfc(xc[outer], True)
            # f'(x) = 2/sqrt(pi) exp(-x^2) for both forms (erfc(x) = c is written as c - erfc(x) = 0).
            r = f / (k * _exp_neg_sq(xc))
            x = x - r / (1 + x * r)
        x = np.where(a == 1, np.inf, x)
        x = np.where(a > 1, np.nan, x)
        x = np.copysign(x, yw)
    return np.asarray(x).astype(dt, copy=False)


def _fit_inverse_guess():
    """Re-run the least-squares fit behind ``_INV_CENTRAL`` and ``_INV_TAIL`` (not used at run time)."""
    from math import erf as _m_erf, erfc as _m_erfc
    xs = np.concatenate([np.linspace(1e-4, 2.0, 400), np.linspace(2.0, 6.0, 400)])
    ys = np.array([_m_erf(v) for v in xs])
    # w = -log(1 - y^2) computed from erfc for accuracy where y is close to 1.
    cs = np.array([_m_erfc(v) for v in xs])
    w = -np.log(cs * (2 - cs))
    ratio = xs / ys
    lo = w < 5
    c_lo = np.polyfit(w[lo] - 2.5, ratio[lo], 10)
    hi = w >= 4.5
    c_hi = np.polyfit(np.sqrt(w[hi]) - 3.0, ratio[hi], 10)
    return (tuple(c_lo), 2.5), (tuple(c_hi), 3.0)

