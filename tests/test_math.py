"""Elementwise math, comparisons and logic against torch: values, dtypes, every gradient, grad_fn names and
error types. Binary ops also run on hypothesis-drawn broadcastable shape pairs."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import numtorch
from helpers import assert_close, check_op, gradcheck, lib, to_nt, to_torch, torch

pytestmark = pytest.mark.torch

HYP = settings(max_examples=25, deadline=None, derandomize=True)
SHAPE_PAIRS = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4)


def both(arr, requires_grad=False):
    """The same NumPy data as a numtorch and a torch tensor."""
    arr = np.asarray(arr)
    return to_nt(arr, requires_grad), to_torch(arr, requires_grad)


def same_error(fn, *args, **kwargs):
    """Run ``fn(lib, *tensors)`` in both libraries; both must raise the same exception class."""
    with pytest.raises(Exception) as theirs:
        fn(torch, *[b for _, b in args], **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        fn(numtorch, *[a for a, _ in args], **kwargs)
    return str(theirs.value), str(ours.value)


# ---------------------------------------------------------------------- unary math
# (name, low, high, kinks): input ranges keep each function inside its domain.
UNARY = [
    ("abs", -2, 2, (0.0,)), ("exp", -2, 2, None), ("exp2", -2, 2, None), ("expm1", -2, 2, None),
    ("log", 0.1, 3, None), ("log2", 0.1, 3, None), ("log10", 0.1, 3, None), ("log1p", -0.9, 2, None),
    ("sqrt", 0.1, 3, None), ("rsqrt", 0.1, 3, None), ("square", -2, 2, None), ("reciprocal", 0.3, 2, None),
    ("sin", -3, 3, None), ("cos", -3, 3, None), ("tan", -1.3, 1.3, None), ("asin", -0.9, 0.9, None),
    ("acos", -0.9, 0.9, None), ("atan", -3, 3, None), ("sinh", -2, 2, None), ("cosh", -2, 2, None),
    ("asinh", -3, 3, None), ("acosh", 1.1, 3, None), ("atanh", -0.9, 0.9, None), ("sign", -2, 2, (0.0,)),
    ("sgn", -2, 2, (0.0,)), ("floor", -3, 3, (-2.0, -1.0, 0.0, 1.0, 2.0)), ("ceil", -3, 3, (-2.0, -1.0, 0.0, 1.0, 2.0)),
    ("round", -3, 3, (-2.5, -1.5, -0.5, 0.5, 1.5, 2.5)), ("trunc", -3, 3, (-2.0, -1.0, 0.0, 1.0, 2.0)),
    ("frac", -3, 3, (-2.0, -1.0, 0.0, 1.0, 2.0)), ("erf", -2.5, 2.5, None), ("erfc", -2.5, 2.5, None),
    ("erfinv", -0.95, 0.95, None), ("nan_to_num", -2, 2, None), ("tanh", -2, 2, None), ("sigmoid", -3, 3, None),
]
UNARY_NAMES = [u[0] for u in UNARY]


@pytest.mark.parametrize("name,low,high,kinks", UNARY, ids=UNARY_NAMES)
def test_unary_function_and_method(name, low, high, kinks):
    # torch's sgn returns its zero gradient as a ZeroTensor that cannot be read: compare values only, and check
    # numtorch's zero gradient directly.
    fwd = name == "sgn"
    check_op([(3, 4)], lambda x: getattr(lib(x), name)(x), low=low, high=high, kinks=kinks, forward_only=fwd)
    check_op([(2, 1, 3)], lambda x: getattr(x, name)(), low=low, high=high, kinks=kinks, grad_check=False,
             forward_only=fwd)
    check_op([()], lambda x: getattr(lib(x), name)(x), low=low, high=high, kinks=kinks, forward_only=fwd)
    if fwd:
        x = to_nt(np.array([-1.5, 0.5, 2.0]), True)
        getattr(numtorch, name)(x).sum().backward()
        assert not x.grad.numpy().any()


@pytest.mark.parametrize("name,low,high,kinks", UNARY, ids=UNARY_NAMES)
def test_unary_grad_fn_name(name, low, high, kinks):
    a = np.random.default_rng(0).uniform(low, high, (3,)) if kinks is None else np.array([low * 0.9 + 0.05])
    n, t = both(a, requires_grad=True)
    assert getattr(numtorch, name)(n).grad_fn.name() == getattr(torch, name)(t).grad_fn.name()


@pytest.mark.parametrize("name", UNARY_NAMES + ["neg"])
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_unary_integer_and_bool_dtypes(name, dtype):
    arr = np.array([[1, 0, 3], [2, 1, 0]]).astype(dtype)
    n, t = both(arr)
    try:
        expected = getattr(torch, name)(t)
    except Exception as e:  # noqa: BLE001 - the same exception class is the contract
        with pytest.raises(type(e)):
            getattr(numtorch, name)(n)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(getattr(numtorch, name)(n), expected, 1e-6, 1e-5)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "abs", "floor", "round", "sign", "frac", "erf",
                                  "reciprocal", "cos", "nan_to_num", "square", "tanh", "sigmoid"])
def test_unary_inplace(name):
    arr = np.random.default_rng(1).uniform(0.1, 0.45, (3, 4)).astype(np.float32)
    # in place on a non-leaf: the gradient flows through the in-place op
    for lb, x in ((numtorch, to_nt(arr, True)), (torch, to_torch(arr, True))):
        y = x * 2
        out = getattr(y, name + "_")()
        assert out is y
        (y * y).sum().backward()
        if lb is numtorch:
            ours, ours_y, ours_g = out, y, x.grad
        else:
            theirs_y, theirs_g = y, x.grad
    assert_close(ours_y, theirs_y, 1e-6, 1e-5)
    assert_close(ours_g, theirs_g, 1e-5, 1e-4)
    assert ours.grad_fn.name() == theirs_y.grad_fn.name()
    # in place without autograd writes into the same memory
    n = to_nt(arr)
    before = n.numpy()
    getattr(n, name + "_")()
    assert n.numpy() is before
    assert_close(n, getattr(torch, name)(to_torch(arr)), 1e-6, 1e-5)


def test_inplace_errors_match_torch():
    ni, ti = both(np.array([1, 2, 3]))
    same_error(lambda lb, x: x.exp_(), (ni, ti))
    nl, tl = both(np.array([1.0, 2.0]), requires_grad=True)
    same_error(lambda lb, x: x.exp_(), (nl, tl))


def test_special_values():
    vals = np.array([np.nan, -0.0, 0.0, 2.5, -2.5, 0.5, 1.5, np.inf, -np.inf, -1.0, 1.0, 2.0], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ["sign", "sgn", "round", "floor", "ceil", "trunc", "frac", "nan_to_num", "abs", "exp", "log",
                     "sqrt", "rsqrt", "reciprocal", "log1p", "expm1", "atanh", "acosh", "erf", "erfc", "erfinv",
                     "sigmoid", "tanh", "asin"]:
            n, t = both(vals)
            assert_close(getattr(numtorch, name)(n), getattr(torch, name)(t), 1e-6, 1e-5, what=name)


def test_round_decimals():
    arr = np.array([1.2345, 2.5e-3, 125.0, 135.0, -0.125, 1234.5, 1250.0, 1350.0, -2.675])
    for dec in [1, 2, 3, -1, -2]:
        # several inputs sit exactly on rounding ties, where finite differences jump: torch's zero gradient
        # is compared, not differenced
        check_op([], lambda x: lib(x).round(x, decimals=dec), inputs=[arr], grad_check=False)
        n, t = both(arr, requires_grad=True)
        assert numtorch.round(n, decimals=dec).grad_fn.name() == torch.round(t, decimals=dec).grad_fn.name()
    same_error(lambda lb, x: lb.round(x, decimals=2), both(np.array([1234, 1250])))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the loss sums float32 max values: inf in both
def test_nan_to_num_arguments_and_grad():
    arr = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0])
    check_op([], lambda x: lib(x).nan_to_num(x, nan=1.0, posinf=7.0, neginf=-7.0), inputs=[arr], grad_check=False)
    check_op([], lambda x: x.nan_to_num(), inputs=[arr], grad_check=False)
    check_op([], lambda x: x.nan_to_num(posinf=3.0), inputs=[arr], grad_check=False)


def test_abs_operator_and_aliases():
    check_op([(3, 4)], lambda x: abs(x), kinks=(0.0,))
    check_op([(3, 4)], lambda x: x.absolute(), kinks=(0.0,))
    for a, b in [("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("arcsinh", "asinh"), ("fix", "trunc")]:
        assert getattr(numtorch, a) is getattr(numtorch, b)
    check_op([(3,)], lambda x: lib(x).arccosh(x), low=1.2, high=3)


def test_unary_type_error():
    same_error(lambda lb: lb.exp(2.0))
    same_error(lambda lb: lb.abs([1, 2]))


# ---------------------------------------------------------------------- clamp
CLAMP_KINKS = (-0.5, 0.7)


@pytest.mark.parametrize("lo,hi", [(-0.5, 0.7), (None, 0.7), (-0.5, None), (0.7, -0.5)])
def test_clamp_numbers(lo, hi):
    check_op([(3, 4)], lambda x: lib(x).clamp(x, lo, hi), kinks=CLAMP_KINKS)
    check_op([(3, 4)], lambda x: x.clip(min=lo, max=hi), kinks=CLAMP_KINKS, grad_check=False)
    n, t = both(np.ones(3), requires_grad=True)
    assert numtorch.clamp(n, lo, hi).grad_fn.name() == torch.clamp(t, lo, hi).grad_fn.name()


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4), (3, 4)], [(3, 4), (4,), (3, 1)], [(2, 3, 4), (3, 4), ()]])
def test_clamp_tensors(shapes):
    # three random tensors: includes elements where min > max
    check_op(shapes, lambda x, lo, hi: lib(x).clamp(x, lo, hi))
    check_op(shapes[:2], lambda x, lo: lib(x).clamp(x, min=lo))
    check_op(shapes[:2], lambda x, hi: lib(x).clamp(x, max=hi))
    check_op(shapes[:2], lambda x, lo: lib(x).clamp_min(x, lo))
    check_op(shapes[:2], lambda x, hi: x.clamp_max(hi))


def test_clamp_ties_at_bounds():
    x = np.array([1.0, 2.0, 3.0, 2.0, 4.0])
    lo = np.array([2.0, 2.0, 2.0, 2.0, 5.0])
    hi = np.array([3.0, 3.0, 3.0, 2.0, 1.0])
    check_op([], lambda a, b, c: lib(a).clamp(a, b, c), inputs=[x, lo, hi], grad_check=False)
    check_op([], lambda a: lib(a).clamp(a, 2, 3), inputs=[x], grad_check=False)
    check_op([], lambda a, b: lib(a).clamp_min(a, b), inputs=[x, lo], grad_check=False)
    check_op([], lambda a, b: lib(a).clamp_max(a, b), inputs=[x, hi], grad_check=False)


def test_clamp_grad_fn_names():
    n, t = both(np.ones(3), requires_grad=True)
    nb, tb = both(np.zeros(3), requires_grad=True)
    for fn in [lambda lb, x, b: lb.clamp_min(x, 0.5), lambda lb, x, b: lb.clamp_max(x, 0.5),
               lambda lb, x, b: lb.clamp_min(x, b), lambda lb, x, b: lb.clamp_max(x, b),
               lambda lb, x, b: lb.clamp(x, b, None), lambda lb, x, b: lb.clamp(x, min=0.5)]:
        assert fn(numtorch, n, nb).grad_fn.name() == fn(torch, t, tb).grad_fn.name()


def test_clamp_dtypes():
    for arr in [np.array([1, 5, -3]), np.array([True, False]), np.array([1, 5], dtype=np.int32)]:
        n, t = both(arr)
        for lo, hi in [(0, 2), (0.5, 2.5), (None, 1), (0.5, None)]:
            assert_close(numtorch.clamp(n, lo, hi), torch.clamp(t, lo, hi), 1e-6, 1e-6)
    n, t = both(np.array([1, 5]))
    nf, tf = both(np.array([2.0]))
    assert_close(numtorch.clamp(n, nf), torch.clamp(t, tf), 0, 0)
    n64, t64 = both(np.array([1.0, 5.0], dtype=np.float32))
    nd, td = both(np.array([2.0], dtype=np.float64))
    assert_close(numtorch.clamp(n64, nd), torch.clamp(t64, td), 0, 0)


def test_clamp_errors():
    n, t = both(np.ones(3, dtype=np.float32))
    msgs = same_error(lambda lb, x: lb.clamp(x), (n, t))
    assert "At least one of 'min' or 'max' must not be None" in msgs[1]
    same_error(lambda lb, x: lb.clamp(x, lb.tensor([1.0]), 3.0), (n, t))
    same_error(lambda lb, x: lb.clamp(x, "a"), (n, t))
    same_error(lambda lb, x: lb.clamp_min(x, None), (n, t))
    same_error(lambda lb, x: lb.clamp(x, lb.ones(2), None), (n, t))
    ni, ti = both(np.array([1, 2]))
    same_error(lambda lb, x: x.clamp_(min=1.5), (ni, ti))


def test_clamp_inplace():
    arr = np.array([[-1.0, 0.3, 2.0], [0.9, -0.2, 0.1]], dtype=np.float32)
    n, t = both(arr)
    n.clamp_(-0.5, 0.5)
    t.clamp_(-0.5, 0.5)
    assert_close(n, t, 0, 0)
    check_op([(2, 3)], lambda x: (x * 1).clamp_(min=-0.3), kinks=(-0.3,))
    check_op([(2, 3)], lambda x: (x * 1).clamp_max_(0.3), kinks=(0.3,))


# ---------------------------------------------------------------------- maximum, minimum, fmax, fmin
BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5, 1), (1, 6))]


@pytest.mark.parametrize("op", ["maximum", "minimum", "fmax", "fmin"])
@pytest.mark.parametrize("sa,sb", BROADCAST)
def test_maximum_family(op, sa, sb):
    check_op([sa, sb], lambda a, b: getattr(lib(a), op)(a, b))


@pytest.mark.parametrize("op", ["maximum", "minimum", "fmax", "fmin", "max", "min"])
def test_maximum_family_ties_and_nan(op):
    a = np.array([1.0, 2.0, 3.0, np.nan, 1.0, np.nan, 2.0])
    b = np.array([1.0, 3.0, 3.0, 1.0, np.nan, np.nan, 2.0])
    fn = lambda x, y: getattr(lib(x), op)(x, y)  # noqa: E731
    check_op([], fn, inputs=[a, b], grad_check=False)
    check_op([], fn, inputs=[np.array([[2.0, 1.0], [2.0, 2.0]]), np.array([2.0, 2.0])], grad_check=False)
    n, t = both(a, True)
    nb, tb = both(b, True)
    assert fn(n, nb).grad_fn.name() == fn(t, tb).grad_fn.name()


def test_maximum_dtypes_and_errors():
    cases = [(np.array([3, 2]), np.array([2, 5])), (np.array([3, 2], np.int32), np.array([2, 5])),
             (np.array([3.0, 2.0], np.float32), np.array([2, 5])), (np.array([True, False]), np.array([True, True])),
             (np.array([3, 2], np.uint8), np.array([2, 5], np.int8)),
             (np.array([3.0, 2.0], np.float32), np.array(2.0, np.float64))]
    for op in ["maximum", "minimum", "fmax", "fmin"]:
        for a, b in cases:
            (na, ta), (nb, tb) = both(a), both(b)
            assert_close(getattr(numtorch, op)(na, nb), getattr(torch, op)(ta, tb), 0, 0)
        same_error(lambda lb, x: getattr(lb, op)(x, 1.0), both(np.ones(2)))
        same_error(lambda lb, x, y: getattr(lb, op)(x, y), both(np.ones(2)), both(np.ones(3)))


def test_max_binary_form():
    check_op([(3, 4), (4,)], lambda a, b: lib(a).max(a, b))
    check_op([(3, 4), (4,)], lambda a, b: a.min(b))
    check_op([(3, 4), (3, 4)], lambda a, b: a.max(other=b))


# ---------------------------------------------------------------------- where, masked_fill
@pytest.mark.parametrize("sc,sa,sb", [((3, 4), (3, 4), (3, 4)), ((3, 1), (4,), (3, 4)), ((4,), (3, 1), ()),
                                      ((2, 1, 1), (3, 1), (1, 4))])
def test_where(sc, sa, sb):
    cond = np.random.default_rng(5).uniform(size=sc) > 0.5
    check_op([], lambda c, a, b: lib(a).where(c, a, b),
             inputs=[cond, np.random.default_rng(6).uniform(-1, 1, sa), np.random.default_rng(7).uniform(-1, 1, sb)])
    check_op([], lambda c, a, b: a.where(c, b),
             inputs=[cond, np.random.default_rng(6).uniform(-1, 1, sa), np.random.default_rng(7).uniform(-1, 1, sb)])


def test_where_scalars_and_promotion():
    cond = np.array([True, False, True])
    nc, tc = both(cond)
    for x, y in [(1.0, 0.0), (1, 0), (1, 0.0), (True, False), (2, -1.5)]:
        assert_close(numtorch.where(nc, x, y), torch.where(tc, x, y), 0, 0)
    for a, y in [(np.array([1, 2, 3]), 0.5), (np.array([1, 2, 3]), 0), (np.array([1.0, 2, 3], np.float32), 2),
                 (np.array([True, False, False]), 1)]:
        na, ta = both(a)
        assert_close(numtorch.where(nc, na, y), torch.where(tc, ta, y), 0, 0)
        assert_close(numtorch.where(nc, y, na), torch.where(tc, y, ta), 0, 0)
    na, ta = both(np.array([1.0, 2, 3], np.float32))
    nb, tb = both(np.array([1, 2, 3]))
    assert_close(numtorch.where(nc, na, nb), torch.where(tc, ta, tb), 0, 0)
    check_op([(3,)], lambda a: lib(a).where(lib(a).tensor([True, False, True]), a, 0.0))


def test_where_condition_only():
    arr = np.array([[True, False, True], [False, False, True]])
    n, t = both(arr)
    assert_close(tuple(numtorch.where(n)), tuple(torch.where(t)), 0, 0)


def test_where_errors():
    nx, tx = both(np.ones(3))
    msgs = same_error(lambda lb, c, x: lb.where(c, x, x), (nx, tx), (nx, tx))
    assert "boolean tensor" in msgs[1]
    same_error(lambda lb, c, x: lb.where(c, x, x), both(np.array([True, False])), (nx, tx))


@pytest.mark.parametrize("sx,sm", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (3, 1)), ((4,), (3, 4))])
def test_masked_fill(sx, sm):
    mask = np.random.default_rng(2).uniform(size=sm) > 0.5
    x = np.random.default_rng(3).uniform(-1, 1, sx)
    check_op([], lambda a, m: lib(a).masked_fill(a, m, 0.25), inputs=[x, mask])
    check_op([], lambda a, m: a.masked_fill(m, -3), inputs=[x, mask])
    check_op([], lambda a, m, v: a.masked_fill(m, v), inputs=[x, mask, np.array(1.5)])


def test_masked_fill_value_dtypes_and_names():
    nm, tm = both(np.array([True, False]))
    for arr, value in [(np.array([1, 2]), 0.5), (np.array([1.0, 2.0], np.float32), 3),
                       (np.array([True, False]), 0)]:
        n, t = both(arr)
        assert_close(n.masked_fill(nm, value), t.masked_fill(tm, value), 0, 0)
    n, t = both(np.array([1.0, 2.0], np.float32))
    nv, tv = both(np.array(2.0, np.float64))
    assert_close(n.masked_fill(nm, nv), t.masked_fill(tm, tv), 0, 0)
    n, t = both(np.array([1.0, 2.0]), requires_grad=True)
    nv, tv = both(np.array(2.0), requires_grad=True)
    assert n.masked_fill(nm, 1.0).grad_fn.name() == t.masked_fill(tm, 1.0).grad_fn.name()
    assert n.masked_fill(nm, nv).grad_fn.name() == t.masked_fill(tm, tv).grad_fn.name()


def test_masked_fill_errors():
    nx, tx = both(np.ones(2, np.float32))
    msgs = same_error(lambda lb, x, m: x.masked_fill(m, 0.0), (nx, tx), both(np.array([1.0, 0.0], np.float32)))
    assert "only supports boolean masks" in msgs[1] and "float" in msgs[1]
    nm, tm = both(np.array([True, False]))
    msgs = same_error(lambda lb, x, m, v: x.masked_fill(m, v), (nx, tx), (nm, tm), both(np.ones(2)))
    assert "0-dimensional value tensor" in msgs[1]
    same_error(lambda lb, x, m: x.masked_fill(m, "a"), (nx, tx), (nm, tm))
    same_error(lambda lb, x, m: x.masked_fill_(m, 0.0), (nx, tx), both(np.array([[True], [False]])))


def test_masked_fill_inplace():
    mask = np.array([[True, False, True], [False, False, True]])
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3))
    check_op([], lambda a, m: (a * 1).masked_fill_(m, 0.5), inputs=[x, mask])
    check_op([], lambda a, m: (a * 1).masked_fill_(m[0] if False else m, -1.0), inputs=[x, mask])
    n, t = both(x)
    nm, tm = both(np.array([True, False, False]))
    n.masked_fill_(nm, 7.0)
    t.masked_fill_(tm, 7.0)
    assert_close(n, t, 0, 0)


# ---------------------------------------------------------------------- other binary ops
@pytest.mark.parametrize("sa,sb", BROADCAST)
@pytest.mark.parametrize("op", ["remainder", "fmod", "atan2", "hypot", "logaddexp", "xlogy", "float_power"])
def test_binary_ops(op, sa, sb):
    check_op([sa, sb], lambda a, b: getattr(lib(a), op)(a, b), low=0.3, high=2.0)
    if op != "xlogy":  # (log of a negative number)
        check_op([sa, sb], lambda a, b: getattr(a, op)(-b), low=0.3, high=2.0)


@pytest.mark.parametrize("op", ["remainder", "fmod", "atan2", "hypot", "logaddexp", "xlogy", "float_power"])
def test_binary_grad_fn_names(op):
    (n, t), (nb, tb) = both(np.array([1.5, 2.5]), True), both(np.array([0.7, 1.1]), True)
    assert getattr(numtorch, op)(n, nb).grad_fn.name() == getattr(torch, op)(t, tb).grad_fn.name()
    if op in ("remainder", "fmod", "xlogy", "float_power"):
        assert getattr(numtorch, op)(n, 0.3).grad_fn.name() == getattr(torch, op)(t, 0.3).grad_fn.name()
    if op in ("xlogy", "float_power"):
        assert getattr(numtorch, op)(2.0, nb).grad_fn.name() == getattr(torch, op)(2.0, tb).grad_fn.name()


def test_binary_scalar_forms():
    check_op([(3, 4)], lambda a: lib(a).remainder(a, 0.7), low=-2, high=2)
    check_op([(3, 4)], lambda a: a % 0.6, low=-2, high=2)
    # torch has no derivative for number % tensor: compare values; numtorch's gradient is checked by differences
    check_op([(3, 4)], lambda a: lib(a).remainder(-1.3, a), low=0.5, high=2, forward_only=True)
    check_op([(3, 4)], lambda a: 2.5 % a, low=0.5, high=2, forward_only=True)
    gradcheck(lambda a: 2.5 % a, [to_nt(np.random.default_rng(0).uniform(0.5, 2, (3, 4)), True)])
    check_op([(3, 4)], lambda a: lib(a).fmod(a, -0.7), low=-2, high=2)
    check_op([(3, 4)], lambda a: lib(a).xlogy(a, 2.5))
    check_op([(3, 4)], lambda a: lib(a).xlogy(2.5, a), low=0.3, high=2)
    check_op([(3, 4)], lambda a: lib(a).float_power(a, 3))
    check_op([(3, 4)], lambda a: lib(a).float_power(2, a))


def test_xlogy_zeros_and_nan():
    x = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 0.0])
    y = np.array([0.0, -1.0, 2.0, 0.5, np.nan, np.nan])
    check_op([], lambda a, b: lib(a).xlogy(a, b), inputs=[x, y], grad_check=False)


def test_remainder_fmod_integers():
    a = np.array([-7, -3, 0, 3, 7])
    b = np.array([2, -2, 3, -4, 5])
    for op in ["remainder", "fmod"]:
        (na, ta), (nb, tb) = both(a), both(b)
        assert_close(getattr(numtorch, op)(na, nb), getattr(torch, op)(ta, tb), 0, 0)
        assert_close(getattr(numtorch, op)(na, 3), getattr(torch, op)(ta, 3), 0, 0)
        assert_close(getattr(numtorch, op)(na, 2.5), getattr(torch, op)(ta, 2.5), 1e-6, 1e-6)
        msgs = same_error(lambda lb, x, y: getattr(lb, op)(x, y), (na, ta), both(np.array([0, 1, 1, 1, 1])))
        assert "ZeroDivisionError" in msgs[1]
        same_error(lambda lb, x: getattr(lb, op)(x, x), both(np.array([True, False])))
    assert_close(numtorch.remainder(3, nb), torch.remainder(3, tb), 0, 0)


def test_binary_dtypes():
    cases = [(np.array([3, 2]), np.array([2, 5])), (np.array([3, 2], np.int32), np.array([2, 5])),
             (np.array([3.0, 2.0], np.float32), np.array([2, 5])), (np.array([3, 2]), np.array([2.0, 5.0], np.float32)),
             (np.array([3.0, 2.0], np.float32), np.array([2.0, 5.0])), (np.array([True, False]), np.array([True, True])),
             (np.array([3, 2], np.uint8), np.array([2, 5], np.int8)),
             (np.array([3.0, 2.0], np.float32), np.array(2.0, np.float64))]
    for op in ["atan2", "hypot", "logaddexp", "xlogy", "float_power", "remainder", "fmod"]:
        for a, b in cases:
            (na, ta), (nb, tb) = both(a), both(b)
            try:
                expected = getattr(torch, op)(ta, tb)
            except Exception as e:  # noqa: BLE001
                with pytest.raises(type(e)):
                    getattr(numtorch, op)(na, nb)
                continue
            assert_close(getattr(numtorch, op)(na, nb), expected, 1e-6, 1e-5, what=f"{op}{a.dtype}{b.dtype}")


@pytest.mark.parametrize("sa,sb", BROADCAST)
def test_lerp(sa, sb):
    check_op([sa, sb], lambda a, b: lib(a).lerp(a, b, 0.3))
    check_op([sa, sb], lambda a, b: a.lerp(b, 0.8))
    check_op([sa, sb, sb], lambda a, b, w: lib(a).lerp(a, b, w))


def test_lerp_names_and_errors():
    (n, t), (nb, tb) = both(np.array([1.5, 2.5]), True), both(np.array([0.7, 1.1]), True)
    assert numtorch.lerp(n, nb, 0.5).grad_fn.name() == torch.lerp(t, tb, 0.5).grad_fn.name()
    assert numtorch.lerp(n, nb, nb).grad_fn.name() == torch.lerp(t, tb, tb).grad_fn.name()
    nf, tf = both(np.array([1.0, 2.0], np.float32))
    nd, td = both(np.array([1.0, 2.0], np.float64))
    msgs = same_error(lambda lb, a, b: lb.lerp(a, b, 0.5), (nf, tf), (nd, td))
    assert msgs[0] == msgs[1]
    msgs = same_error(lambda lb, a, w: lb.lerp(a, a, w), (nf, tf), (nd, td))
    assert msgs[0] == msgs[1]
    ni, ti = both(np.array([1, 2]))
    same_error(lambda lb, a: lb.lerp(a, a, 1), (ni, ti))


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4), (3, 4)], [(3, 4), (4,), (3, 1)], [(4,), (2, 1, 4), ()]])
@pytest.mark.parametrize("value", [1, 0.5, -2])
def test_addcmul_addcdiv(shapes, value):
    check_op(shapes, lambda x, a, b: lib(x).addcmul(x, a, b, value=value))
    check_op(shapes, lambda x, a, b: x.addcdiv(a, b, value=value), low=0.5, high=2.0)


def test_addcmul_addcdiv_dtypes_and_errors():
    ni, ti = both(np.array([1, 2]))
    nf, tf = both(np.array([1.0, 2.0], np.float32))
    assert_close(numtorch.addcmul(ni, ni, ni, value=2), torch.addcmul(ti, ti, ti, value=2), 0, 0)
    assert_close(numtorch.addcmul(nf, ni, ni), torch.addcmul(tf, ti, ti), 0, 0)
    assert_close(numtorch.addcdiv(ni, nf, nf), torch.addcdiv(ti, tf, tf), 0, 0)
    msgs = same_error(lambda lb, a, b: lb.addcdiv(a, b, b), (nf, tf), (ni, ti))
    assert "Integer division with addcdiv is no longer supported" in msgs[1]
    same_error(lambda lb, a: lb.addcmul(a, 2.0, a), (nf, tf))
    same_error(lambda lb, a, b: lb.addcmul(a, a, b), (nf, tf), both(np.ones(3, np.float32)))
    (n, t), (nb, tb) = both(np.array([1.5, 2.5]), True), both(np.array([0.7, 1.1]), True)
    assert numtorch.addcmul(n, nb, nb).grad_fn.name() == torch.addcmul(t, tb, tb).grad_fn.name()
    assert numtorch.addcdiv(n, nb, nb).grad_fn.name() == torch.addcdiv(t, tb, tb).grad_fn.name()


def test_binary_errors():
    for op in ["atan2", "hypot", "logaddexp"]:
        same_error(lambda lb, a: getattr(lb, op)(a, 2.0), both(np.ones(2)))
        same_error(lambda lb, a, b: getattr(lb, op)(a, b), both(np.ones(2)), both(np.ones(3)))
    for op in ["hypot", "logaddexp"]:
        msgs = same_error(lambda lb, a: getattr(lb, op)(a, a), both(np.array([1, 2])))
        assert msgs[0] == msgs[1]
    same_error(lambda lb: lb.xlogy(2, 3))
    nf, tf = both(np.array([1.0, 2.0], np.float32))
    msgs = same_error(lambda lb, a: a.float_power_(2), (nf, tf))
    assert msgs[0] == msgs[1]


def test_binary_inplace():
    for op, other in [("remainder_", 0.7), ("fmod_", 0.7), ("atan2_", None), ("hypot_", None), ("xlogy_", None),
                      ("lerp_", None), ("float_power_", 2)]:
        arr = np.random.default_rng(0).uniform(0.5, 2, (2, 3))
        oth = np.random.default_rng(1).uniform(0.5, 2, (3,))
        if op == "lerp_":
            fn = lambda a, b: (a * 1).lerp_(b, 0.3)  # noqa: E731
        elif other is None:
            fn = lambda a, b: getattr(a * 1, op)(b)  # noqa: E731
        else:
            fn = lambda a, b: getattr(a * 1, op)(other) + b  # noqa: E731
        check_op([], fn, inputs=[arr, oth], dtypes=("float64",))
    arr = np.random.default_rng(0).uniform(0.5, 2, (2, 3))
    check_op([], lambda a, b, c: (a * 1).addcmul_(b, c, value=0.5), inputs=[arr, arr[0], arr[:, :1]])
    check_op([], lambda a, b, c: (a * 1).addcdiv_(b, c, value=2), inputs=[arr, arr[0], arr[:, :1]])


@HYP
@given(shapes=SHAPE_PAIRS, op=st.sampled_from(["maximum", "minimum", "fmax", "fmin", "atan2", "hypot", "logaddexp",
                                               "xlogy", "remainder", "fmod", "where", "lerp", "addcmul",
                                               "addcdiv", "clamp", "float_power"]))
def test_binary_broadcasting_hypothesis(shapes, op):
    sa, sb = shapes.input_shapes
    if op == "where":
        fn = lambda a, b: lib(a).where(a > b, a, b)  # noqa: E731
    elif op == "lerp":
        fn = lambda a, b: lib(a).lerp(a, b, 0.3)  # noqa: E731
    elif op in ("addcmul", "addcdiv"):
        fn = lambda a, b: getattr(lib(a), op)(a, b, b, value=0.5)  # noqa: E731
    elif op == "clamp":
        fn = lambda a, b: lib(a).clamp(a, min=b)  # noqa: E731
    else:
        fn = lambda a, b: getattr(lib(a), op)(a, b)  # noqa: E731
    check_op([sa, sb], fn, low=0.3, high=2.0, seed=len(sa) * 7 + len(sb))


@HYP
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, min_side=2, max_side=4),
       op=st.sampled_from(["maximum", "atan2", "eq", "lt", "logical_and", "remainder", "where"]))
def test_broadcast_errors_hypothesis(shapes, op):
    sa, sb = shapes.input_shapes
    sb = tuple(s + 1 if s > 1 else s for s in sb)
    bad = False
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        bad = True
    a = np.random.default_rng(0).uniform(0.5, 2, sa)
    b = np.random.default_rng(1).uniform(0.5, 2, sb)
    fn = (lambda lb, x, y: lb.where(x > 1, x, y)) if op == "where" else (lambda lb, x, y: getattr(lb, op)(x, y))
    if bad:
        msgs = same_error(fn, both(a), both(b))
        assert msgs[0] == msgs[1]
    else:
        assert_close(fn(numtorch, to_nt(a), to_nt(b)), fn(torch, to_torch(a), to_torch(b)), 1e-12, 1e-12)


# ---------------------------------------------------------------------- comparisons and logic
COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]
DUNDER = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}


@pytest.mark.parametrize("op", COMPARE)
@pytest.mark.parametrize("sa,sb", BROADCAST)
def test_comparisons(op, sa, sb):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, sa).astype(np.float32)
    b = rng.integers(0, 3, sb).astype(np.float32)
    (na, ta), (nb, tb) = both(a), both(b)
    expected = getattr(torch, op)(ta, tb)
    assert_close(getattr(numtorch, op)(na, nb), expected, 0, 0)
    assert_close(getattr(na, op)(nb), expected, 0, 0)
    assert_close(getattr(na, DUNDER[op])(nb), expected, 0, 0)
    for s in [1, 1.5, True]:
        assert_close(getattr(numtorch, op)(na, s), getattr(torch, op)(ta, s), 0, 0)


@pytest.mark.parametrize("op", COMPARE)
def test_comparison_dtypes_and_operators(op):
    arrays = [np.array([1, 2, 3]), np.array([1.0, 2.5, 3.0], np.float32), np.array([True, False, True]),
              np.array([1, 2, 3], np.uint8), np.array([1.0, 2.0, np.nan])]
    for a in arrays:
        for b in arrays:
            (na, ta), (nb, tb) = both(a), both(b)
            assert_close(getattr(numtorch, op)(na, nb), getattr(torch, op)(ta, tb), 0, 0)
        for s in [2, 2.5, False]:
            na, ta = both(a)
            assert_close(getattr(numtorch, op)(na, s), getattr(torch, op)(ta, s), 0, 0)
    na, ta = both(np.array([1.0, 2.0, 3.0]))
    # reflected operators: 2 < x is x > 2
    sym = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[op]
    assert_close(eval(f"2 {sym} na"), eval(f"2 {sym} ta"), 0, 0)
    assert_close(eval(f"na {sym} 2.0"), eval(f"ta {sym} 2.0"), 0, 0)


def test_comparison_results_have_no_grad():
    n, _ = both(np.array([1.0, 2.0]), True)
    for op in COMPARE:
        r = getattr(n, op)(1.5)
        assert r.dtype == numtorch.bool and not r.requires_grad and r.grad_fn is None


def test_eq_with_non_tensor_operands():
    n, t = both(np.array([1.0, 2.0]))
    assert (n == None) is (t == None) is False  # noqa: E711
    assert (n == "a") is (t == "a") is False
    assert (n != None) is (t != None) is True  # noqa: E711
    same_error(lambda lb, x: x < None, (n, t))
    assert hash(n) == id(n)
    assert {n: 1}[n] == 1


def test_comparison_errors():
    same_error(lambda lb, a, b: lb.eq(a, b), both(np.ones(2)), both(np.ones(3)))
    same_error(lambda lb, a, b: a < b, both(np.ones(2)), both(np.ones(3)))
    same_error(lambda lb: lb.eq(1, 2))


def test_comparison_inplace():
    for op in COMPARE:
        arr = np.array([1.0, 2.0, 3.0], np.float32)
        n, t = both(arr)
        assert getattr(n, op + "_")(2.0) is n
        getattr(t, op + "_")(2.0)
        assert_close(n, t, 0, 0)
        ni, ti = both(np.array([1, 2, 3]))
        getattr(ni, op + "_")(2.5)
        getattr(ti, op + "_")(2.5)
        assert_close(ni, ti, 0, 0)


def test_equal_allclose_isclose():
    a = np.array([1.0, 2.0, np.nan, np.inf, -np.inf, 1e-9])
    b = np.array([1.0 + 1e-7, 2.1, np.nan, np.inf, np.inf, 0.0])
    (na, ta), (nb, tb) = both(a), both(b)
    for kw in [{}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 0.2, "rtol": 0}]:
        assert_close(numtorch.isclose(na, nb, **kw), torch.isclose(ta, tb, **kw), 0, 0)
        assert numtorch.allclose(na, nb, **kw) == torch.allclose(ta, tb, **kw)
        assert na.allclose(na, **kw) == ta.allclose(ta, **kw)
    ni, ti = both(np.array([1, 2, 3]))
    nj, tj = both(np.array([1, 3, 3]))
    assert_close(numtorch.isclose(ni, nj), torch.isclose(ti, tj), 0, 0)
    assert_close(numtorch.isclose(ni, nj, atol=1), torch.isclose(ti, tj, atol=1), 0, 0)
    msgs = same_error(lambda lb, x, y: lb.isclose(x, y), both(np.ones(2, np.float32)), both(np.ones(2)))
    assert msgs[0] == msgs[1]
    same_error(lambda lb, x, y: lb.allclose(x, y), both(np.ones(2, np.float32)), both(np.ones(2, np.int64)))
    for x, y in [(np.array([1.0, 2.0]), np.array([1, 2])), (np.array([1.0, 2.0]), np.array([1.0, 2.0], np.float32)),
                 (np.array([1.0, 2.0]), np.array([[1.0, 2.0]])), (np.array([1.0, np.nan]), np.array([1.0, np.nan])),
                 (np.array([1.0, 2.0]), np.array([1.0, 2.5]))]:
        (nx, tx), (ny, ty) = both(x), both(y)
        assert numtorch.equal(nx, ny) is torch.equal(tx, ty)
        assert nx.equal(ny) is tx.equal(ty)


def test_float_classification():
    a = np.array([np.nan, np.inf, -np.inf, 0.0, -1.5])
    for arr in [a, a.astype(np.float32), np.array([1, 0, -3]), np.array([True, False])]:
        n, t = both(arr)
        for op in ["isnan", "isinf", "isposinf", "isneginf", "isfinite", "isreal"]:
            assert_close(getattr(numtorch, op)(n), getattr(torch, op)(t), 0, 0)
            assert_close(getattr(n, op)(), getattr(t, op)(), 0, 0)


@pytest.mark.parametrize("op", ["logical_and", "logical_or", "logical_xor"])
def test_logical(op):
    arrays = [np.array([0, 1, 2, 0]), np.array([0.0, 0.5, 0.0, -1.0], np.float32), np.array([True, False, True, False])]
    for a in arrays:
        for b in arrays:
            (na, ta), (nb, tb) = both(a), both(b)
            assert_close(getattr(numtorch, op)(na, nb), getattr(torch, op)(ta, tb), 0, 0)
            assert_close(getattr(na, op)(nb), getattr(ta, op)(tb), 0, 0)
    same_error(lambda lb, x: getattr(lb, op)(x, 1), both(np.ones(2)))
    same_error(lambda lb, x, y: getattr(lb, op)(x, y), both(np.ones(2)), both(np.ones(3)))
    n, t = both(np.array([0.0, 1.0, 2.0]))
    getattr(n, op + "_")(both(np.array([1.0, 0.0, 1.0]))[0])
    getattr(t, op + "_")(torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64))
    assert_close(n, t, 0, 0)


def test_logical_not():
    for arr in [np.array([0, 1, 2]), np.array([0.0, 0.5, np.nan]), np.array([True, False])]:
        n, t = both(arr)
        assert_close(numtorch.logical_not(n), torch.logical_not(t), 0, 0)
        assert_close(n.logical_not(), t.logical_not(), 0, 0)


@pytest.mark.parametrize("op,sym", [("bitwise_and", "&"), ("bitwise_or", "|"), ("bitwise_xor", "^")])
def test_bitwise(op, sym):
    arrays = [np.array([5, 3, 0, -2]), np.array([1, 2, 3, 4], np.int32), np.array([True, False, True, False]),
              np.array([250, 3, 7, 8], np.uint8)]
    for a in arrays:
        for b in arrays:
            (na, ta), (nb, tb) = both(a), both(b)
            assert_close(getattr(numtorch, op)(na, nb), getattr(torch, op)(ta, tb), 0, 0)
            assert_close(eval(f"na {sym} nb"), eval(f"ta {sym} tb"), 0, 0)
        for s in [1, 6, True]:
            na, ta = both(a)
            assert_close(eval(f"na {sym} s"), eval(f"ta {sym} s"), 0, 0)
            assert_close(eval(f"s {sym} na"), eval(f"s {sym} ta"), 0, 0)
    nf, tf = both(np.ones(2, np.float32))
    msgs = same_error(lambda lb, x: eval(f"x {sym} x"), (nf, tf))
    assert msgs[0] == msgs[1]
    same_error(lambda lb, x: eval(f"x {sym} 1.5"), both(np.array([1, 2])))
    # in-place operator: same object, same values
    n, t = both(np.array([5, 3, 0]))
    n0 = n
    n = eval(f"n {sym} 6") if False else getattr(n, op + "_")(6)
    getattr(t, op + "_")(6)
    assert n is n0
    assert_close(n, t, 0, 0)
    nb_, tb_ = both(np.array([True, False]))
    same_error(lambda lb, x: getattr(x, op + "_")(2), (nb_, tb_))


def test_invert_and_bitwise_not():
    for arr in [np.array([5, 0, -2]), np.array([True, False]), np.array([1, 255], np.uint8)]:
        n, t = both(arr)
        assert_close(~n, ~t, 0, 0)
        assert_close(numtorch.bitwise_not(n), torch.bitwise_not(t), 0, 0)
    nf, tf = both(np.ones(2, np.float32))
    msgs = same_error(lambda lb, x: ~x, (nf, tf))
    assert msgs[0] == msgs[1]
    same_error(lambda lb, x: lb.bitwise_not(x), (nf, tf))


def test_inplace_operators_keep_identity():
    n, t = both(np.array([5, 3, 0]))
    n0 = n
    n &= 6
    t &= 6
    assert n is n0
    assert_close(n, t, 0, 0)
    n |= 1
    t |= 1
    n ^= 3
    t ^= 3
    assert_close(n, t, 0, 0)
    nf, tf = both(np.array([5.5, -3.0, 2.0]))
    nf %= 2.0
    tf %= 2.0
    assert_close(nf, tf, 0, 0)


# ---------------------------------------------------------------------- top level and docstrings
def test_exports_and_docstrings():
    import numtorch.ops.math as m
    for name in m.__all__:
        fn = getattr(numtorch, name)
        assert fn is getattr(m, name)
        assert fn.__doc__ and fn.__doc__.strip(), name
    for name in ["exp_", "clamp_", "masked_fill_", "eq_", "bitwise_and_", "abs_", "erf_"]:
        assert hasattr(numtorch.Tensor, name)


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    x = to_nt(rng.uniform(0.2, 0.8, (3, 4)).astype(np.float32), True)
    y = to_nt(rng.uniform(0.2, 0.8, (4,)).astype(np.float32), True)
    outs = [numtorch.exp2(x), numtorch.log2(x), numtorch.log10(x), numtorch.erfinv(x), numtorch.atan2(x, y),
            numtorch.lerp(x, y, 0.3), numtorch.xlogy(x, y), numtorch.logaddexp(x, y), numtorch.hypot(x, y),
            numtorch.maximum(x, y), numtorch.where(x > 0.5, x, y), numtorch.addcdiv(x, x, y, value=0.1),
            numtorch.clamp(x, y, None), numtorch.remainder(x, y), numtorch.round(x, decimals=1)]
    for o in outs:
        assert o.dtype == numtorch.float32
    sum(o.sum() for o in outs).backward()
    assert x.grad.dtype == numtorch.float32 and y.grad.dtype == numtorch.float32
    assert math.isfinite(float(x.grad.sum()))


def test_inplace_after_use_is_detected():
    # exp saves its output and sin its input: changing either in place must make backward raise, as in torch
    for make in [lambda x: x.exp(), lambda x: x * 1]:
        for lb in (numtorch, torch):
            x = lb.tensor([0.5, 1.0], requires_grad=True)
            y = make(x)
            z = y.exp() * y.sin()
            y.sin_()
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                z.sum().backward()


def test_out_arguments():
    for name, args in [("exp", ()), ("clamp", (0.2, 0.6)), ("maximum", None), ("atan2", None)]:
        arr = np.array([0.1, 0.5, 0.9])
        (n, t) = both(arr)
        extra = (n,) if args is None else args
        extra_t = (t,) if args is None else args
        o_n, o_t = numtorch.zeros(3, dtype=numtorch.float64), torch.zeros(3, dtype=torch.float64)
        r = getattr(numtorch, name)(n, *extra, out=o_n)
        getattr(torch, name)(t, *extra_t, out=o_t)
        assert r is o_n
        assert_close(o_n, o_t, 1e-12, 1e-12)
    o_n, o_t = numtorch.zeros(3, dtype=numtorch.bool), torch.zeros(3, dtype=torch.bool)
    numtorch.lt(to_nt(np.array([0.1, 0.5, 0.9])), 0.5, out=o_n)
    torch.lt(to_torch(np.array([0.1, 0.5, 0.9])), 0.5, out=o_t)
    assert_close(o_n, o_t, 0, 0)
