"""Numerics at the edges, against torch: inf/nan propagation, extreme logits, and float16.

Every check runs the same call in torch and numtorch (one lambda ``fn(L, *inputs)`` for both) and compares the
outputs and the gradient of every input after ``sum(out * w)`` (a fixed positive random ``w``): same dtype and
shape, nan / +inf / -inf at exactly the same places, and the finite values within tolerance.
"""
import warnings

import numpy as np
import pytest

import numtorch
from helpers import torch

pytestmark = pytest.mark.torch

INF, NAN = np.inf, np.nan


def _F(L):
    return L.nn.functional


def _run(fn, arrays, grad, L, seed=1):
    """Outputs and input gradients of ``fn(L, *inputs)`` as NumPy arrays."""
    ins = []
    for a, g in zip(arrays, grad):
        t = L.from_numpy(np.array(a, copy=True))
        if g:
            t.requires_grad_(True)
        ins.append(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(L, *ins)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        diff = [o for o in outs if o.requires_grad]
        grads = []
        if diff:
            rng = np.random.default_rng(seed)
            loss = sum((o * L.from_numpy(rng.uniform(0.5, 1.5, tuple(o.shape)).astype(o.detach().numpy().dtype)))
                       .sum() for o in diff)
            loss.backward()
            grads = [None if t.grad is None else t.grad.numpy() for t, g in zip(ins, grad) if g]
    return [o.detach().numpy() for o in outs], grads


def _same_numbers(ours, theirs, atol, rtol, what):
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype}, torch {theirs.dtype}"
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, torch {theirs.shape}"
    if theirs.dtype.kind != "f":
        np.testing.assert_array_equal(ours, theirs, err_msg=what)
        return
    for test, name in ((np.isnan, "nan"), (np.isposinf, "+inf"), (np.isneginf, "-inf")):
        np.testing.assert_array_equal(test(ours), test(theirs), err_msg=f"{what}: {name} positions differ")
    fin = np.isfinite(theirs)
    np.testing.assert_allclose(ours[fin].astype(np.float64), theirs[fin].astype(np.float64), atol=atol, rtol=rtol,
                               err_msg=what)


def compare(fn, arrays, grad=None, *, atol=1e-5, rtol=1e-4, grad_atol=None, grad_rtol=None, torch_fn=None):
    """``fn`` in numtorch against ``torch_fn`` (default ``fn``) in torch: outputs and every input gradient."""
    arrays = [np.asarray(a) for a in arrays]
    grad = grad if grad is not None else [a.dtype.kind == "f" for a in arrays]
    t_out, t_grads = _run(torch_fn or fn, arrays, grad, torch)
    n_out, n_grads = _run(fn, arrays, grad, numtorch)
    assert len(n_out) == len(t_out)
    for i, (o, t) in enumerate(zip(n_out, t_out)):
        _same_numbers(o, t, atol, rtol, f"output {i}")
    assert len(n_grads) == len(t_grads), "one library computed gradients, the other did not"
    for i, (o, t) in enumerate(zip(n_grads, t_grads)):
        assert (o is None) == (t is None), f"gradient {i}: numtorch {o is not None}, torch {t is not None}"
        if t is not None:
            _same_numbers(o, t, atol if grad_atol is None else grad_atol, rtol if grad_rtol is None else grad_rtol,
                          f"gradient {i}")


def _tol(dtype):
    return (1e-5, 1e-4) if dtype == "float32" else (1e-10, 1e-7)  # helpers.TOL's float64 rtol


# ====================================================================== (a) inf and nan propagate as in torch
def _specials(dtype):
    """Rows that mix finite values with inf, -inf and nan (and one all -inf row)."""
    return np.array([[0.0, 1.0, -2.0, INF, -INF, NAN],
                     [INF, INF, 1.0, 2.0, 3.0, 4.0],
                     [-INF, -INF, -INF, -INF, -INF, -INF],
                     [NAN, 1.0, 2.0, 3.0, INF, -INF],
                     [1.0, -1.0, 0.5, -0.5, 2.0, 3.0],
                     [-INF, 0.0, -INF, 1.0, -INF, 2.0]], dtype=dtype)


DTYPES = ["float32", "float64"]
UNARY = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square", "reciprocal", "neg",
         "abs", "sin", "cos", "tanh", "sigmoid", "atan", "sinh", "cosh", "asinh", "erf", "erfc", "relu"]
UNARY_NO_GRAD = ["sign", "sgn", "floor", "ceil", "round", "trunc", "frac", "isnan", "isinf", "isfinite", "isposinf",
                 "isneginf", "nan_to_num"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", UNARY)
def test_unary_specials(op, dtype):
    compare(lambda L, x: getattr(L, op)(x), [_specials(dtype)], atol=_tol(dtype)[0], rtol=_tol(dtype)[1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", UNARY_NO_GRAD)
def test_unary_specials_values(op, dtype):
    compare(lambda L, x: getattr(L, op)(x), [_specials(dtype)], grad=[False])


BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "fmax", "fmin", "atan2", "hypot", "logaddexp",
          "xlogy"]
BINARY_NO_GRAD = ["remainder", "fmod", "eq", "ne", "lt", "ge"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", BINARY + BINARY_NO_GRAD)
def test_binary_specials(op, dtype):
    x = _specials(dtype)
    y = np.roll(x, 1, axis=1).copy()  # every special meets every other one somewhere
    compare(lambda L, a, b: getattr(L, op)(a, b), [x, y], grad=[op in BINARY] * 2, atol=_tol(dtype)[0],
            rtol=_tol(dtype)[1])


SCALAR_AND_SELECT = {
    "clamp": lambda L, x: x.clamp(-1, 1),
    "clamp_min_nan": lambda L, x: x.clamp(min=float("nan")),
    "pow_2.5": lambda L, x: x ** 2.5,
    "pow_0": lambda L, x: x ** 0,
    "rpow": lambda L, x: 2.0 ** x,
    "where": lambda L, x: L.where(x > 0, x, x.flip(1)),
    "lerp": lambda L, x: L.lerp(x, x.flip(1), 0.3),
    "masked_fill": lambda L, x: x.masked_fill(x.isnan(), 0.0),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(SCALAR_AND_SELECT))
def test_scalar_and_select_specials(name, dtype):
    compare(SCALAR_AND_SELECT[name], [_specials(dtype)], atol=_tol(dtype)[0], rtol=_tol(dtype)[1])


ACTIVATIONS = ["relu", "leaky_relu", "hardsigmoid", "silu", "softplus", "logsigmoid", "mish", "softsign", "sigmoid",
               "tanh", "tanhshrink"]
# torch's gradient at a nan input of these depends on where the element sits in its vectorised loop (the scalar
# tail and the SIMD body disagree), so only their values are compared.
ACTIVATIONS_VALUES_ONLY = ["hardtanh", "relu6", "elu", "celu", "selu", "hardswish", "hardshrink", "softshrink"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ACTIVATIONS + ACTIVATIONS_VALUES_ONLY)
def test_activation_specials(op, dtype):
    compare(lambda L, x: getattr(_F(L), op)(x), [_specials(dtype)], grad=[op in ACTIVATIONS],
            atol=_tol(dtype)[0], rtol=_tol(dtype)[1])


def test_gelu_specials():
    # float64 only: torch's float32 gelu(+inf) is nan in its SIMD body but inf in the scalar tail (a length-1
    # tensor), an artefact of its vectorised erf; numtorch gives inf, the limit, as torch's float64 does.
    compare(lambda L, x: _F(L).gelu(x), [_specials("float64")], atol=1e-12, rtol=1e-9)
    compare(lambda L, x: _F(L).gelu(x, approximate="tanh"), [_specials("float64")], atol=1e-12, rtol=1e-9)
    x = numtorch.tensor([INF, -INF, NAN], dtype=numtorch.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's "invalid value" warning for -inf * 0
        y = _F(numtorch).gelu(x).numpy()
    assert y[0] == INF and np.isnan(y[1]) and np.isnan(y[2])


def _values(r):
    return r.values if hasattr(r, "values") else r


REDUCTIONS = {
    "sum": lambda L, x: x.sum(), "sum1": lambda L, x: x.sum(1), "sum0": lambda L, x: x.sum(0),
    "mean": lambda L, x: x.mean(), "mean1": lambda L, x: x.mean(1),
    "prod": lambda L, x: x.prod(), "prod1": lambda L, x: x.prod(1), "prod0": lambda L, x: x.prod(0),
    "amax1": lambda L, x: x.amax(1), "amin0": lambda L, x: x.amin(0),
    "max": lambda L, x: x.max(), "min": lambda L, x: x.min(),
    "max1": lambda L, x: tuple(x.max(1)), "min0": lambda L, x: tuple(x.min(0)),
    "argmax1": lambda L, x: x.argmax(1), "argmin0": lambda L, x: x.argmin(0), "argmax": lambda L, x: x.argmax(),
    "logsumexp1": lambda L, x: L.logsumexp(x, 1), "logsumexp0": lambda L, x: L.logsumexp(x, 0),
    "var1": lambda L, x: x.var(1), "var": lambda L, x: x.var(), "std0": lambda L, x: x.std(0),
    "norm1": lambda L, x: x.norm(dim=1), "norm_inf": lambda L, x: x.norm(p=float("inf"), dim=1),
    "norm_1": lambda L, x: x.norm(p=1, dim=0), "norm_0": lambda L, x: x.norm(p=0, dim=1),
    "nansum1": lambda L, x: x.nansum(1), "nanmean0": lambda L, x: x.nanmean(0),
    "cumsum1": lambda L, x: x.cumsum(1), "cumprod0": lambda L, x: x.cumprod(0), "cumprod1": lambda L, x: x.cumprod(1),
    "median1": lambda L, x: _values(x.median(1)), "nanmedian0": lambda L, x: _values(x.nanmedian(0)),
    "sort1": lambda L, x: x.sort(1).values,
    "any": lambda L, x: (x != 0).any(1), "all": lambda L, x: (x != 0).all(0),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_specials(name, dtype):
    compare(REDUCTIONS[name], [_specials(dtype)], atol=_tol(dtype)[0], rtol=_tol(dtype)[1])


def test_prod_gradient_with_zeros_beside_inf():
    # torch's full-reduction rule: two zeros make every gradient 0, even where the exclusive product holds inf.
    compare(lambda L, x: x.prod(), [np.array([0.0, 2.0, INF, 0.0, NAN])])
    compare(lambda L, x: x.prod(), [np.array([0.0, 2.0, INF, 3.0])])
    compare(lambda L, x: x.cumprod(0), [np.array([1.0, INF, -INF, 1.0, -1.0, 0.0])])


def test_topk_treats_nan_as_largest():
    x = np.array([[1.0, NAN, 3.0, -INF, 2.0, INF]], dtype=np.float32)  # no ties: torch orders ties arbitrarily
    compare(lambda L, x: tuple(x.topk(3, 1)), [x])
    compare(lambda L, x: tuple(x.topk(2, 1, largest=False)), [x])


SOFTMAXES = {
    "softmax1": lambda L, x: _F(L).softmax(x, 1), "softmax0": lambda L, x: _F(L).softmax(x, 0),
    "log_softmax1": lambda L, x: _F(L).log_softmax(x, 1), "log_softmax0": lambda L, x: _F(L).log_softmax(x, 0),
    "softmin1": lambda L, x: _F(L).softmin(x, 1),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(SOFTMAXES))
def test_softmax_rows_with_specials(name, dtype):
    compare(SOFTMAXES[name], [_specials(dtype)], atol=_tol(dtype)[0], rtol=_tol(dtype)[1])


PRODUCTS = {
    "matmul": lambda L, a, b: a @ b,
    "mm_t": lambda L, a, b: L.mm(a, b.t()),
    "mv": lambda L, a, b: L.mv(a, b[0]),
    "bmm": lambda L, a, b: L.bmm(a[None], b[None]),
    "linear": lambda L, a, b: _F(L).linear(a, b, b[1]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(PRODUCTS))
def test_products_with_specials(name, dtype):
    x = _specials(dtype)
    compare(PRODUCTS[name], [x, np.roll(x, 1, axis=1).copy()], atol=_tol(dtype)[0], rtol=_tol(dtype)[1])
    finite = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)  # inf meets zeros: 0 * inf is nan
    compare(PRODUCTS[name], [finite, x], atol=_tol(dtype)[0], rtol=_tol(dtype)[1])


LOSSES_SPECIALS = {
    "cross_entropy": lambda L, x, y: _F(L).cross_entropy(x, L.tensor([0, 2, 1, 1, 0, 3])),
    "cross_entropy_none": lambda L, x, y: _F(L).cross_entropy(x, L.tensor([0, 2, 1, 1, 0, 3]), reduction="none"),
    "mse": lambda L, x, y: _F(L).mse_loss(x, y, reduction="none"),
    "l1": lambda L, x, y: _F(L).l1_loss(x, y, reduction="none"),
    "smooth_l1": lambda L, x, y: _F(L).smooth_l1_loss(x, y, reduction="none"),
    "huber": lambda L, x, y: _F(L).huber_loss(x, y, reduction="none"),
    "bce_with_logits": lambda L, x, y: _F(L).binary_cross_entropy_with_logits(x, (y > 0).to(x.dtype),
                                                                               reduction="none"),
    "layer_norm": lambda L, x, y: _F(L).layer_norm(x, (6,)),
    "normalize": lambda L, x, y: _F(L).normalize(x),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(LOSSES_SPECIALS))
def test_losses_and_norms_with_specials(name, dtype):
    x = _specials(dtype)
    compare(LOSSES_SPECIALS[name], [x, np.roll(x, 1, axis=1).copy()], atol=_tol(dtype)[0], rtol=_tol(dtype)[1])


# ====================================================================== (b) extreme logits
# (dtype, scale): |x| up to 1e4 in float32 and float64, up to 1e300 in float64.
EXTREMES = [("float32", 1e4), ("float64", 1e4), ("float64", 1e300)]


def _logits(dtype, scale, shape=(4, 5), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, shape) * scale
    x[0, 0], x[1, :], x[2, 2] = scale, -scale, -scale  # a dominant logit, a row at -scale, one very negative entry
    return x.astype(dtype)


def _targets(dtype, seed=1):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(5), 4).astype(dtype)
    weight = rng.uniform(0.5, 2.0, 5).astype(dtype)
    binary = (rng.uniform(0, 1, (4, 5)) > 0.5).astype(dtype)
    return probs, weight, binary


_CLS = [0, 1, 2, 3]
# name -> (fn(L, x, probs, weight, binary), scaled): ``scaled`` outputs grow like the logits themselves, so their
# absolute tolerance scales with them (one rounding of a value near 1e4 is 1e-3 in float32).
EXTREME_FNS = {
    "cross_entropy": (lambda L, x, p, w, b: _F(L).cross_entropy(x, L.tensor(_CLS)), True),
    "cross_entropy_none": (lambda L, x, p, w, b: _F(L).cross_entropy(x, L.tensor(_CLS), reduction="none"), True),
    "cross_entropy_smoothing": (lambda L, x, p, w, b: _F(L).cross_entropy(x, L.tensor(_CLS), label_smoothing=0.1),
                                True),
    "cross_entropy_weight": (lambda L, x, p, w, b: _F(L).cross_entropy(x, L.tensor(_CLS), weight=w), True),
    "cross_entropy_weight_smoothing": (lambda L, x, p, w, b: _F(L).cross_entropy(x, L.tensor(_CLS), weight=w,
                                                                                  label_smoothing=0.2), True),
    "cross_entropy_probs": (lambda L, x, p, w, b: _F(L).cross_entropy(x, p), True),
    "cross_entropy_probs_weight_smoothing": (lambda L, x, p, w, b: _F(L).cross_entropy(x, p, weight=w,
                                                                                        label_smoothing=0.1), True),
    "nll_of_log_softmax": (lambda L, x, p, w, b: _F(L).nll_loss(_F(L).log_softmax(x, 1), L.tensor(_CLS)), True),
    "softmax": (lambda L, x, p, w, b: _F(L).softmax(x, 1), False),
    "softmax_dim0": (lambda L, x, p, w, b: _F(L).softmax(x, 0), False),
    "log_softmax": (lambda L, x, p, w, b: _F(L).log_softmax(x, 1), True),
    "softmin": (lambda L, x, p, w, b: _F(L).softmin(x, 1), False),
    "logsumexp": (lambda L, x, p, w, b: L.logsumexp(x, 1), True),
    "logsumexp_all": (lambda L, x, p, w, b: L.logsumexp(x, (0, 1)), True),
    "logaddexp": (lambda L, x, p, w, b: L.logaddexp(x, x.flip(0)), True),
    "sigmoid": (lambda L, x, p, w, b: L.sigmoid(x), False),
    "logsigmoid": (lambda L, x, p, w, b: _F(L).logsigmoid(x), True),
    "softplus": (lambda L, x, p, w, b: _F(L).softplus(x), True),
    "softplus_beta": (lambda L, x, p, w, b: _F(L).softplus(x, beta=2.0, threshold=50.0), True),
    "tanh": (lambda L, x, p, w, b: L.tanh(x), False),
    "gelu": (lambda L, x, p, w, b: _F(L).gelu(x), True),
    "gelu_tanh": (lambda L, x, p, w, b: _F(L).gelu(x, approximate="tanh"), True),
    "silu": (lambda L, x, p, w, b: _F(L).silu(x), True),
    "mish": (lambda L, x, p, w, b: _F(L).mish(x), True),
    "elu": (lambda L, x, p, w, b: _F(L).elu(x), True),
    "bce_with_logits": (lambda L, x, p, w, b: _F(L).binary_cross_entropy_with_logits(x, b), True),
    "bce_with_logits_none": (lambda L, x, p, w, b: _F(L).binary_cross_entropy_with_logits(x, b, reduction="none"),
                             True),
    "bce_with_logits_pos_weight": (lambda L, x, p, w, b: _F(L).binary_cross_entropy_with_logits(
        x, b, pos_weight=w, reduction="none"), True),
    "multilabel_soft_margin": (lambda L, x, p, w, b: _F(L).multilabel_soft_margin_loss(x, b), True),
    "kl_div_batchmean": (lambda L, x, p, w, b: _F(L).kl_div(_F(L).log_softmax(x, 1), p, reduction="batchmean"),
                         True),
    "kl_div_log_target": (lambda L, x, p, w, b: _F(L).kl_div(_F(L).log_softmax(x, 1), p.log(), reduction="batchmean",
                                                             log_target=True), True),
    "kl_div_raw_input": (lambda L, x, p, w, b: _F(L).kl_div(x, p, reduction="sum"), True),
    "poisson_nll": (lambda L, x, p, w, b: _F(L).poisson_nll_loss(x, p, reduction="none"), True),
    "cosine_similarity": (lambda L, x, p, w, b: _F(L).cosine_similarity(x, x.flip(0)), False),
    "normalize": (lambda L, x, p, w, b: _F(L).normalize(x), False),
}


@pytest.mark.parametrize("dtype,scale", EXTREMES, ids=[f"{d}-{s:g}" for d, s in EXTREMES])
@pytest.mark.parametrize("name", list(EXTREME_FNS))
def test_extreme_logits(name, dtype, scale):
    fn, scaled = EXTREME_FNS[name]
    probs, weight, binary = _targets(dtype)
    atol, rtol = _tol(dtype)
    compare(fn, [_logits(dtype, scale), probs, weight, binary], grad=[True, True, False, False],
            atol=atol * (scale if scaled and scale < 1e100 else 1), rtol=rtol,
            grad_atol=atol * 10, grad_rtol=rtol)


@pytest.mark.parametrize("dtype,scale", EXTREMES, ids=[f"{d}-{s:g}" for d, s in EXTREMES])
def test_soft_margin_loss_extreme_logits(dtype, scale):
    # torch evaluates log(1 + exp(-y x)) as written, which overflows to inf (and its gradient to nan) once
    # -y x > 88 in float32; numtorch evaluates it as softplus(-y x), finite and exact. Compared with torch's
    # softplus form, which is the same function computed stably.
    _, _, binary = _targets(dtype)
    atol, rtol = _tol(dtype)
    compare(lambda L, x, y: _F(L).soft_margin_loss(x, y, reduction="none"), [_logits(dtype, scale), binary * 2 - 1],
            grad=[True, False], torch_fn=lambda L, x, y: _F(L).softplus(-y * x),
            atol=atol * (scale if scale < 1e100 else 1), rtol=rtol, grad_atol=atol * 10, grad_rtol=rtol)
    x = torch.from_numpy(_logits(dtype, scale))
    assert not torch.isfinite(torch.nn.functional.soft_margin_loss(x, torch.from_numpy(binary * 2 - 1),
                                                                    reduction="none")).all()  # torch's overflow


# Normalisation with huge, tiny and zero variances: (scale, shift) of the input.
SPREADS = [(1e4, 0.0), (1e-4, 0.0), (1e-20, 0.0), (0.0, 5.0), (1e18, 0.0)]
NORMS = {
    "layer_norm": lambda L, x, w, b, wc, bc: _F(L).layer_norm(x, (5,), w, b),
    "layer_norm_2d": lambda L, x, w, b, wc, bc: _F(L).layer_norm(x, (6, 5)),
    "rms_norm": lambda L, x, w, b, wc, bc: _F(L).rms_norm(x, (5,), w),
    "rms_norm_eps": lambda L, x, w, b, wc, bc: _F(L).rms_norm(x, (5,), w, eps=1e-6),
    "batch_norm": lambda L, x, w, b, wc, bc: _F(L).batch_norm(x, None, None, wc, bc, training=True),
    "group_norm": lambda L, x, w, b, wc, bc: _F(L).group_norm(x, 3, wc, bc),
    "instance_norm": lambda L, x, w, b, wc, bc: _F(L).instance_norm(x),
    "normalize": lambda L, x, w, b, wc, bc: _F(L).normalize(x, dim=-1),
}


def _norm_inputs(dtype, scale, shift, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((4, 6, 5)) * scale + shift).astype(dtype)
    return [x] + [rng.uniform(lo, hi, n).astype(dtype) for lo, hi, n in ((0.5, 2, 5), (-1, 1, 5), (0.5, 2, 6),
                                                                         (-1, 1, 6))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale,shift", SPREADS, ids=[f"{s:g}+{m:g}" for s, m in SPREADS])
@pytest.mark.parametrize("name", list(NORMS))
def test_norms_extreme_variance(name, scale, shift, dtype):
    if dtype == "float32" and scale > 1e10:
        pytest.skip("|x| ~ 1e18 overflows float32 squares in both libraries; covered in float64")
    atol, rtol = (1e-4, 1e-3) if dtype == "float32" else (1e-10, 1e-8)
    grad_atol = atol
    if scale == 0.0 and name in ("batch_norm", "group_norm", "instance_norm", "layer_norm", "layer_norm_2d"):
        # A constant input: torch's mean is off by rounding, and x - mean is then scaled by 1/sqrt(eps) ~ 316, so
        # its weight gradient holds rounding noise of that size where numtorch's x - mean is exactly 0.
        grad_atol = 1e-2 if dtype == "float32" else 1e-8
    compare(NORMS[name], _norm_inputs(dtype, scale, shift), atol=atol, rtol=rtol, grad_atol=grad_atol)


@pytest.mark.parametrize("name", ["layer_norm", "group_norm", "batch_norm", "instance_norm"])
def test_norms_large_mean_small_spread_float32(name):
    # 1e4 + N(0, 1) in float32: the variance is 1e8 times smaller than the mean's square, so E[x^2] - E[x]^2
    # would lose every digit. Both libraries are compared with the exact (float64) normalisation of the same
    # float32 input; the bound is a few float32 roundings of 1e4 relative to the unit spread.
    x = (np.random.default_rng(0).standard_normal((4, 6, 5)) + 1e4).astype(np.float32)
    fn = {"layer_norm": lambda L, t: _F(L).layer_norm(t, (5,)), "group_norm": lambda L, t: _F(L).group_norm(t, 3),
          "batch_norm": lambda L, t: _F(L).batch_norm(t, None, None, training=True),
          "instance_norm": lambda L, t: _F(L).instance_norm(t)}[name]
    exact = fn(torch, torch.from_numpy(x.astype(np.float64))).numpy()
    bound = 4 * np.finfo(np.float32).eps * 1e4
    for L in (torch, numtorch):
        err = np.abs(fn(L, L.from_numpy(x.copy())).numpy() - exact).max()
        assert err < bound, (L.__name__, err, bound)


def _qkv(dtype, scale, lq=4, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((2, 2, lq, 8)) * scale).astype(dtype),
            (rng.standard_normal((2, 2, 5, 8)) * scale).astype(dtype),
            rng.standard_normal((2, 2, 5, 8)).astype(dtype)]


def _masks(dtype):
    bool_mask = np.ones((4, 5), bool)
    bool_mask[1] = False          # a fully masked row: nan in torch
    bool_mask[2, :2] = False
    float_mask = np.zeros((4, 5), dtype)
    float_mask[1] = -INF           # a fully masked row of -inf
    float_mask[2, :2] = -INF
    float_mask[3, 0] = -1e4
    return bool_mask, float_mask


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [1.0, 1e2, 1e4])
@pytest.mark.parametrize("kind", ["plain", "bool_mask", "float_mask", "causal"])
def test_attention_huge_scores_and_masked_rows(kind, scale, dtype):
    q, k, v = _qkv(dtype, scale, lq=5 if kind == "causal" else 4)
    bool_mask, float_mask = _masks(dtype)
    sdpa = lambda L: _F(L).scaled_dot_product_attention  # noqa: E731
    fns = {
        "plain": (lambda L, q, k, v, m: sdpa(L)(q, k, v)),
        "bool_mask": (lambda L, q, k, v, m: sdpa(L)(q, k, v, attn_mask=L.from_numpy(bool_mask))),
        "float_mask": (lambda L, q, k, v, m: sdpa(L)(q, k, v, attn_mask=m)),
        "causal": (lambda L, q, k, v, m: sdpa(L)(q, k, v, is_causal=True)),
    }
    atol, rtol = (1e-4, 1e-3) if dtype == "float32" else (1e-9, 1e-7)
    compare(fns[kind], [q, k, v, float_mask], grad=[True, True, True, False], atol=atol * scale, rtol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_attention_row_masked_with_finfo_min(dtype):
    # A row masked with finfo.min (not -inf): every score rounds to finfo.min, so the weights are uniform. The
    # forward matches torch's fused kernel; its backward, though, rebuilds the weights from a logsumexp in which
    # finfo.min + log(5) rounds back to finfo.min, and so returns 5x the gradient its own forward implies. numtorch's
    # gradients are compared with torch's unfused composite, which differentiates the same forward exactly.
    q, k, v = _qkv(dtype, 1.0)
    mask = np.zeros((4, 5), dtype)
    mask[1] = np.finfo(dtype).min
    fused = lambda L, q, k, v, m: _F(L).scaled_dot_product_attention(q, k, v, attn_mask=m)  # noqa: E731
    composite = lambda L, q, k, v, m: L.softmax(q @ k.transpose(-1, -2) / 8 ** 0.5 + m, -1) @ v  # noqa: E731
    t_out, _ = _run(fused, [q, k, v, mask], [False] * 4, torch)
    n_out, _ = _run(fused, [q, k, v, mask], [False] * 4, numtorch)
    _same_numbers(n_out[0], t_out[0], 1e-5, 1e-4, "forward")
    compare(fused, [q, k, v, mask], grad=[True, True, True, False], torch_fn=composite, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_multihead_attention_fully_masked_batch_element(dtype):
    x = np.random.default_rng(0).standard_normal((3, 2, 8)).astype(dtype)
    padding = np.zeros((2, 3), bool)
    padding[1] = True  # every key of the second sequence is padding: torch returns nan there

    def fn(L, x):
        torch.manual_seed(0)
        ref = torch.nn.MultiheadAttention(8, 2).to(getattr(torch, dtype))
        m = ref if L is torch else numtorch.nn.MultiheadAttention(8, 2).to(getattr(numtorch, dtype))
        if L is numtorch:
            m.load_state_dict({k: numtorch.from_numpy(v.detach().numpy().copy()) for k, v in ref.state_dict().items()})
        return m(x, x, x, key_padding_mask=L.from_numpy(padding))[0]

    compare(fn, [x], atol=1e-5 if dtype == "float32" else 1e-10, rtol=1e-4 if dtype == "float32" else 1e-8)


# ====================================================================== (c) float16
def _h(*shape, lo=-2.0, hi=2.0, seed=0):
    return np.random.default_rng(seed + sum(shape)).uniform(lo, hi, shape).astype(np.float16)


def _hp(*shape):
    return _h(*shape, lo=0.2, hi=2.0)


# name -> (fn, inputs). Values and every input gradient must match torch's CPU float16 results: float16 out,
# within float16 tolerance (a couple of half-precision roundings).
HALF_OPS = {
    **{op: (lambda L, x, op=op: getattr(L, op)(x), [_h(4, 6)])
       for op in ["exp", "sin", "tanh", "sigmoid", "abs", "neg", "square", "expm1", "erf", "atan"]},
    **{op: (lambda L, x, op=op: getattr(L, op)(x), [_hp(4, 6)])
       for op in ["log", "sqrt", "rsqrt", "reciprocal", "log1p"]},
    **{op: (lambda L, a, b, op=op: getattr(L, op)(a, b), [_hp(4, 6), _hp(6)])
       for op in ["add", "sub", "mul", "div", "pow", "maximum", "atan2"]},
    "scalar_mul": (lambda L, x: x * 2.5, [_h(4, 6)]),
    "rpow": (lambda L, x: 2 ** x, [_h(4, 6)]),
    "with_float32": (lambda L, a, b: a + b, [_h(4, 6), _h(6).astype(np.float32)]),
    "with_int64": (lambda L, a: a * L.arange(6), [_h(4, 6)]),
    "with_float64_0d": (lambda L, a: a + L.tensor(1.5, dtype=L.float64), [_h(4, 6)]),
    "clamp": (lambda L, x: x.clamp(-1, 1), [_h(4, 6)]),
    "where": (lambda L, a, b: L.where(a > 0, a, b), [_h(4, 6), _h(6)]),
    **{red: (lambda L, x, red=red: getattr(x, red)(1), [_hp(4, 6)])
       for red in ["sum", "mean", "prod", "amax", "var", "std", "norm", "logsumexp", "cumsum", "cumprod"]},
    "max_dim": (lambda L, x: tuple(x.max(1)), [_h(4, 6)]),
    "sort": (lambda L, x: tuple(x.sort(1)), [_h(4, 6)]),
    "matmul": (lambda L, a, b: a @ b, [_h(4, 6), _h(6, 5)]),
    "bmm": (lambda L, a, b: L.bmm(a, b), [_h(2, 4, 6), _h(2, 6, 5)]),
    "linear": (lambda L, a, w, b: _F(L).linear(a, w, b), [_h(4, 6), _h(5, 6), _h(5)]),
    "bilinear": (lambda L, a, b, w: _F(L).bilinear(a, b, w), [_h(2, 3), _h(2, 4), _h(5, 3, 4)]),
    **{act: (lambda L, x, act=act: getattr(_F(L), act)(x), [_h(4, 6)])
       for act in ["relu", "gelu", "silu", "elu", "leaky_relu", "softplus", "logsigmoid", "hardswish", "mish",
                   "selu", "celu", "hardtanh", "softsign", "tanhshrink", "relu6", "hardsigmoid", "softshrink"]},
    "softmax": (lambda L, x: _F(L).softmax(x, 1), [_h(4, 6)]),
    "log_softmax": (lambda L, x: _F(L).log_softmax(x, 1), [_h(4, 6)]),
    "glu": (lambda L, x: _F(L).glu(x, 1), [_h(4, 6)]),
    "prelu": (lambda L, x, w: _F(L).prelu(x, w), [_h(4, 6, 3), _h(6)]),
    "conv1d": (lambda L, x, w, b: _F(L).conv1d(x, w, b, padding=1), [_h(2, 3, 8), _h(4, 3, 3), _h(4)]),
    "conv2d": (lambda L, x, w, b: _F(L).conv2d(x, w, b, padding=1), [_h(2, 3, 6, 6), _h(4, 3, 3, 3), _h(4)]),
    "conv3d": (lambda L, x, w: _F(L).conv3d(x, w), [_h(1, 2, 4, 4, 4), _h(3, 2, 2, 2, 2)]),
    "conv_transpose2d": (lambda L, x, w: _F(L).conv_transpose2d(x, w, stride=2), [_h(2, 3, 4, 4), _h(3, 4, 3, 3)]),
    "max_pool2d": (lambda L, x: _F(L).max_pool2d(x, 2), [_h(2, 3, 6, 6)]),
    "avg_pool2d": (lambda L, x: _F(L).avg_pool2d(x, 2), [_h(2, 3, 6, 6)]),
    "max_pool3d": (lambda L, x: _F(L).max_pool3d(x, 2), [_h(1, 2, 4, 4, 4)]),
    "adaptive_avg_pool2d": (lambda L, x: _F(L).adaptive_avg_pool2d(x, 3), [_h(2, 3, 7, 7)]),
    "adaptive_max_pool2d": (lambda L, x: _F(L).adaptive_max_pool2d(x, 3), [_h(2, 3, 7, 7)]),
    "lp_pool2d": (lambda L, x: _F(L).lp_pool2d(x, 2, 2), [_hp(2, 3, 6, 6)]),
    "layer_norm": (lambda L, x, w, b: _F(L).layer_norm(x, (6,), w, b), [_h(4, 6), _h(6), _h(6)]),
    "rms_norm": (lambda L, x, w: _F(L).rms_norm(x, (6,), w), [_h(4, 6), _h(6)]),
    "batch_norm": (lambda L, x, w, b: _F(L).batch_norm(x, None, None, w, b, training=True),
                   [_h(4, 6, 3), _h(6), _h(6)]),
    "group_norm": (lambda L, x, w, b: _F(L).group_norm(x, 3, w, b), [_h(4, 6, 3), _h(6), _h(6)]),
    "instance_norm": (lambda L, x: _F(L).instance_norm(x), [_h(4, 6, 5)]),
    "normalize": (lambda L, x: _F(L).normalize(x), [_h(4, 6)]),
    "local_response_norm": (lambda L, x: _F(L).local_response_norm(x, 3), [_h(2, 6, 4)]),
    "cross_entropy": (lambda L, x: _F(L).cross_entropy(x, L.tensor([0, 2, 1, 5])), [_h(4, 6)]),
    "cross_entropy_smoothing": (lambda L, x: _F(L).cross_entropy(x, L.tensor([0, 2, 1, 5]), label_smoothing=0.1),
                                [_h(4, 6)]),
    "nll_loss": (lambda L, x: _F(L).nll_loss(x, L.tensor([0, 2, 1, 5])), [_h(4, 6)]),
    "mse_loss": (lambda L, a, b: _F(L).mse_loss(a, b), [_h(4, 6), _h(4, 6, seed=1)]),
    "l1_loss": (lambda L, a, b: _F(L).l1_loss(a, b), [_h(4, 6), _h(4, 6, seed=1)]),
    "huber_loss": (lambda L, a, b: _F(L).huber_loss(a, b), [_h(4, 6), _h(4, 6, seed=1)]),
    "binary_cross_entropy": (lambda L, a, b: _F(L).binary_cross_entropy(a, b),
                             [_h(4, 6, lo=0.1, hi=0.9), _h(4, 6, lo=0.0, hi=1.0, seed=1)]),
    "bce_with_logits": (lambda L, a, b: _F(L).binary_cross_entropy_with_logits(a, b),
                        [_h(4, 6), _h(4, 6, lo=0.0, hi=1.0, seed=1)]),
    "kl_div": (lambda L, a, b: _F(L).kl_div(a, b, reduction="batchmean"), [_h(4, 6), _h(4, 6, lo=0.0, hi=1.0)]),
    "gaussian_nll_loss": (lambda L, a, b, v: _F(L).gaussian_nll_loss(a, b, v), [_h(4, 6), _h(4, 6, seed=1),
                                                                                  _hp(4, 6)]),
    "cosine_similarity": (lambda L, a, b: _F(L).cosine_similarity(a, b), [_h(4, 6), _h(4, 6, seed=1)]),
    "triplet_margin_loss": (lambda L, a, b, c: _F(L).triplet_margin_loss(a, b, c),
                            [_h(4, 6), _h(4, 6, seed=1), _h(4, 6, seed=2)]),
    "sdpa": (lambda L, q, k, v: _F(L).scaled_dot_product_attention(q, k, v),
             [_h(2, 3, 4, 8), _h(2, 3, 5, 8), _h(2, 3, 5, 8, seed=1)]),
    "sdpa_causal": (lambda L, q, k, v: _F(L).scaled_dot_product_attention(q, k, v, is_causal=True),
                    [_h(2, 3, 4, 8), _h(2, 3, 4, 8, seed=1), _h(2, 3, 4, 8, seed=2)]),
    "embedding": (lambda L, w: _F(L).embedding(L.tensor([0, 2, 1]), w), [_h(4, 6)]),
    "pad_reflect": (lambda L, x: _F(L).pad(x, (2, 2), mode="reflect"), [_h(2, 3, 6)]),
    "pad_constant": (lambda L, x: _F(L).pad(x, (2, 2), value=1.5), [_h(2, 3, 6)]),
    "interpolate_nearest": (lambda L, x: _F(L).interpolate(x, scale_factor=2), [_h(2, 3, 4, 4)]),
    "interpolate_bilinear": (lambda L, x: _F(L).interpolate(x, scale_factor=2, mode="bilinear"), [_h(2, 3, 4, 4)]),
    "interpolate_bicubic": (lambda L, x: _F(L).interpolate(x, size=(5, 7), mode="bicubic"), [_h(2, 3, 4, 4)]),
    "grid_sample": (lambda L, x, g: _F(L).grid_sample(x, g, align_corners=False),
                    [_h(1, 2, 4, 4), _h(1, 3, 3, 2, lo=-1.0, hi=1.0)]),
    "pixel_shuffle": (lambda L, x: _F(L).pixel_shuffle(x, 2), [_h(1, 4, 3, 3)]),
    "dropout_eval": (lambda L, x: _F(L).dropout(x, 0.5, training=False), [_h(4, 6)]),
    "dropout_train_dtype": (lambda L, x: _F(L).dropout(x, 0.5) * 0, [_h(4, 6)]),
    "cat_index_gather": (lambda L, x: L.cat([x, x[1:3]]).gather(1, L.tensor([[0], [1], [2], [3], [4], [5]])),
                         [_h(4, 6)]),
    "masked_fill": (lambda L, x: x.masked_fill(x > 0, 0.5), [_h(4, 6)]),
}

# Where torch's float16 results are rounder than one float16 step: these ops sum many products in half precision
# in numtorch (one rounding per NumPy step) but in float in torch's kernels, so they may differ by a few steps.
HALF_LOOSE = {"conv3d", "conv_transpose2d", "bilinear", "sdpa", "sdpa_causal", "grid_sample",
              "interpolate_bicubic", "local_response_norm", "batch_norm", "group_norm", "instance_norm"}


@pytest.mark.parametrize("name", list(HALF_OPS))
def test_float16_ops(name):
    fn, inputs = HALF_OPS[name]
    tol = 3e-2 if name in HALF_LOOSE else 1e-2
    compare(fn, inputs, atol=tol, rtol=tol)


def _module(make, dtype_name="float16"):
    """``fn(L, *xs)`` running the module built by ``make(L)``, with torch's seeded weights copied into numtorch's."""
    def fn(L, *xs):
        torch.manual_seed(0)
        ref = make(torch).to(getattr(torch, dtype_name))
        if L is torch:
            m = ref
        else:
            m = make(numtorch).to(getattr(numtorch, dtype_name))
            m.load_state_dict({k: numtorch.from_numpy(v.detach().numpy().copy()) for k, v in ref.state_dict().items()})
        return m(*xs)
    return fn


HALF_MODULES = {
    "Linear": (lambda L: L.nn.Linear(6, 5), [_h(4, 6)]),
    "Conv2d": (lambda L: L.nn.Conv2d(3, 4, 3, padding=1), [_h(2, 3, 6, 6)]),
    "Conv1d_groups": (lambda L: L.nn.Conv1d(4, 4, 3, groups=2), [_h(2, 4, 8)]),
    "BatchNorm2d": (lambda L: L.nn.BatchNorm2d(3), [_h(2, 3, 4, 4)]),
    "LayerNorm": (lambda L: L.nn.LayerNorm(6), [_h(4, 6)]),
    "GroupNorm": (lambda L: L.nn.GroupNorm(2, 4), [_h(2, 4, 5)]),
    "RMSNorm": (lambda L: L.nn.RMSNorm(6), [_h(4, 6)]),
    "LSTM": (lambda L: L.nn.LSTM(3, 4, num_layers=2, bidirectional=True), [_h(5, 2, 3)]),
    "GRU": (lambda L: L.nn.GRU(3, 4), [_h(5, 2, 3)]),
    "RNN": (lambda L: L.nn.RNN(3, 4), [_h(5, 2, 3)]),
    "LSTMCell": (lambda L: L.nn.LSTMCell(3, 4), [_h(2, 3)]),
    "GRUCell": (lambda L: L.nn.GRUCell(3, 4), [_h(2, 3)]),
    "MultiheadAttention": (lambda L: _SelfAttention(L), [_h(3, 2, 8)]),
    "TransformerEncoderLayer": (lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), [_h(3, 2, 8)]),
    "TransformerDecoderLayer": (lambda L: L.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0),
                                [_h(3, 2, 8), _h(4, 2, 8)]),
    "Sequential_cnn": (lambda L: L.nn.Sequential(L.nn.Conv2d(1, 2, 3), L.nn.ReLU(), L.nn.MaxPool2d(2),
                                                 L.nn.Flatten(), L.nn.Linear(8, 3)), [_h(2, 1, 6, 6)]),
}


def _SelfAttention(L):
    class SelfAttention(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = L.nn.MultiheadAttention(8, 2)

        def forward(self, x):
            return self.attn(x, x, x)[0]
    return SelfAttention()


@pytest.mark.parametrize("name", list(HALF_MODULES))
def test_float16_modules(name):
    make, inputs = HALF_MODULES[name]
    fn = _module(make)
    if name in ("LSTM", "GRU", "RNN", "LSTMCell"):
        fn = (lambda f: lambda L, *xs: f(L, *xs)[0])(fn)
    compare(fn, inputs, atol=3e-2, rtol=3e-2)


LONG_HALF = {
    "sum": lambda L, x: x.sum(1), "mean": lambda L, x: x.mean(1), "var": lambda L, x: x.var(1),
    "norm": lambda L, x: x.norm(dim=1), "logsumexp": lambda L, x: L.logsumexp(x, 1),
    "cumsum": lambda L, x: x.cumsum(1), "cumprod": lambda L, x: (x * 0.01 + 0.995).cumprod(1),
    "softmax": lambda L, x: _F(L).softmax(x, 1), "log_softmax": lambda L, x: _F(L).log_softmax(x, 1),
    "layer_norm": lambda L, x: _F(L).layer_norm(x, (4096,)), "rms_norm": lambda L, x: _F(L).rms_norm(x, (4096,)),
    "matmul": lambda L, x: x @ x.t(), "cross_entropy": lambda L, x: _F(L).cross_entropy(x, L.zeros(8, dtype=L.int64)),
}


@pytest.mark.parametrize("name", list(LONG_HALF))
def test_float16_long_reductions(name):
    # 4096 float16 values per row: a running sum rounded to half precision at every step drifts by tens of steps;
    # torch accumulates in float. Both are compared with torch's float64 result on the same inputs.
    x = np.random.default_rng(0).uniform(0, 1, (8, 4096)).astype(np.float16)
    fn = LONG_HALF[name]
    exact = fn(torch, torch.from_numpy(x.astype(np.float64))).numpy()
    ours = fn(numtorch, numtorch.from_numpy(x.copy()))
    theirs = fn(torch, torch.from_numpy(x.copy()))
    assert str(ours.dtype) == "numtorch.float16" and str(theirs.dtype) == "torch.float16"
    scale = np.abs(exact).max()
    t_err = np.abs(theirs.numpy().astype(np.float64) - exact).max() / scale
    n_err = np.abs(ours.numpy().astype(np.float64) - exact).max() / scale
    # a few float16 steps (2^-10 relative) at the largest value, and never far behind torch
    assert n_err <= max(4 * 2.0 ** -10, 2 * t_err), (n_err, t_err)


@pytest.mark.parametrize("call", [
    lambda L: _F(L).avg_pool3d(L.ones(1, 1, 2, 2, 2, dtype=L.float16), 2),
    lambda L: _F(L).multi_margin_loss(L.ones(3, 5, dtype=L.float16), L.tensor([0, 1, 2])),
], ids=["avg_pool3d", "multi_margin_loss"])
def test_float16_refused_where_torch_refuses(call):
    with pytest.raises(Exception) as t_err:
        call(torch)
    with pytest.raises(Exception) as n_err:
        call(numtorch)
    assert type(n_err.value) is type(t_err.value)
    assert str(n_err.value) == str(t_err.value) and "Half" in str(n_err.value)


def test_float16_optimizer_steps_stay_float16():
    for name, kw in (("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01)), ("AdamW", dict(lr=0.01)),
                     ("RMSprop", dict(lr=0.01))):
        params = {}
        for L in (torch, numtorch):
            p = L.nn.Parameter(L.from_numpy(_h(5)))
            opt = getattr(L.optim, name)([p], **kw)
            for _ in range(3):
                opt.zero_grad()
                ((p * p).sum() + p.sum()).backward()
                opt.step()
            params[L] = p.detach().numpy()
        _same_numbers(params[numtorch], params[torch], 2e-3, 1e-2, name)
