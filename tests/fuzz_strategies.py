"""Shared pieces of the fuzz tests (``tests/test_fuzz_*.py``): the example budget, hypothesis strategies that draw
shapes, dtypes, values and per-family option combinations (valid and invalid), and the harness that runs one
drawn case in numtorch and in torch and compares everything.

The check, for one case (:func:`check_call`): the same callable ``fn(lib, *tensors)`` runs on both libraries with
copies of the same NumPy inputs.

* torch raises -> numtorch must raise an exception of the same class;
* torch returns -> numtorch must return the same structure: every tensor with the same shape, dtype and values
  (``helpers.TOL`` for the dtype), every other leaf equal; then ``sum(out * w)`` (``w`` a seeded random weight)
  is backpropagated on both sides and every input and parameter gradient is compared, and so are the module
  buffers that the caller passes in.

Budget: ``NUMTORCH_FUZZ_EXAMPLES`` (default :data:`DEFAULT_EXAMPLES`) is the number of examples per fuzz test,
scaled by a per-test weight; the examples are derandomized, so CI always runs the same fixed-seed cases. A longer
campaign: ``NUMTORCH_FUZZ_EXAMPLES=2000 ./test.sh tests/test_fuzz_*``. With ``NUMTORCH_FUZZ_LOG=<file>`` a
disagreement is appended to that file instead of failing the test, so one campaign run reports all of them
(hypothesis otherwise stops at, and shrinks, the first one).

Where torch itself is wrong (a backward that fails or disagrees with its own forward, uninitialised memory, an
unsafe index), the test files keep the case out of the comparison and pin torch's behaviour with a strict
``xfail`` test named ``test_torch_*``, so that a torch upgrade that fixes it is noticed.
"""
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, settings
from hypothesis import strategies as st

import numtorch
from helpers import TOL, assert_close, to_nt, to_torch, torch

__all__ = ["DEFAULT_EXAMPLES", "budget", "fuzz_settings", "run_case", "check_call", "check_backward", "compare_tree",
           "make_array", "shapes", "side", "float_dtypes", "seeds", "Disagreement", "same_error", "leaves_of",
           "tol_for", "TOL_HALF", "pin_regressions"]

#: Examples per fuzz test (times its weight) when NUMTORCH_FUZZ_EXAMPLES is unset: sized so that every
#: tests/test_fuzz_*.py together stays within about two minutes of CPU time under ``pytest -n 2`` on the 2-core
#: CI machine (measured on a shared, loaded machine: about 70 s of CPU and 40 s wall for all of them at 300).
DEFAULT_EXAMPLES = 300


def budget(weight=1.0):
    """The number of examples for one fuzz test: NUMTORCH_FUZZ_EXAMPLES (or the default) times ``weight``."""
    n = int(os.environ.get("NUMTORCH_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
    return max(1, int(round(n * weight)))


def fuzz_settings(weight=1.0):
    """hypothesis settings for a fuzz test: the budget, fixed seed (derandomized), no example database."""
    return settings(max_examples=budget(weight), deadline=None, derandomize=True, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.large_base_example])


def pin_regressions(namespace, regressions, checks):
    """Pin each regression (``name -> (family, case, why)``) as an explicit example of its family's hypothesis
    test ``test_fuzz_<family>`` in ``namespace``, and return the parametrized test that also runs each one
    directly through ``checks[family]``."""
    for family, case, _why in regressions.values():
        namespace[f"test_fuzz_{family}"] = example(case=case)(namespace[f"test_fuzz_{family}"])

    @pytest.mark.parametrize("name", list(regressions))
    def test_regression(name):
        family, case, _why = regressions[name]
        checks[family](case)
    return test_regression


class Disagreement(AssertionError):
    """numtorch and torch disagree on one case."""


def run_case(check, case):
    """Run ``check(case)``; with NUMTORCH_FUZZ_LOG set, log a disagreement to that file instead of raising."""
    path = os.environ.get("NUMTORCH_FUZZ_LOG")
    if not path:
        return check(case)
    try:
        check(case)
    except Exception as exc:  # a campaign collects every disagreement
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
        msg = " ".join(str(exc).split())[:400]
        with open(path, "a") as f:
            f.write(f"{test}\t{case!r}\t{type(exc).__name__}: {msg}\n")


# ---------------------------------------------------------------------- strategies: shapes, dtypes, values
def side(max_side=4, empty=True):
    """One dimension's size: 1 and small sizes often, 0 (an empty dimension) now and then."""
    sizes = ([0] if empty else []) + [1, 1, 2, 2, 3, 3] + list(range(4, max_side + 1))
    return st.sampled_from(sizes)


def shapes(min_dims=0, max_dims=4, max_side=4, empty=True):
    """A shape with size-1 and (optionally) empty dimensions."""
    return st.lists(side(max_side, empty), min_size=min_dims, max_size=max_dims).map(tuple)


def float_dtypes(half=False):
    """float32 / float64, and float16 (forward only) when ``half``."""
    return st.sampled_from(["float32", "float64", "float16"] if half else ["float32", "float64"])


seeds = st.integers(0, 2 ** 16)

_SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, np.inf, -np.inf, np.nan])


def make_array(shape, dtype, seed, low=-2.0, high=2.0, special=False, nan=True, inf=True):
    """Seeded inputs: uniform in [low, high); with ``special`` about a third replaced by 0, +-1, +-inf, nan, ...
    (no nan when ``nan`` is false, no infinities when ``inf`` is false)."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "b":
        return np.asarray(rng.random(shape) < 0.5)
    if np.dtype(dtype).kind in "iu":
        return np.asarray(rng.integers(int(low), int(high) + 1, shape)).astype(dtype)
    a = np.asarray(rng.uniform(low, high, shape))
    if special:
        pick = rng.random(shape) < 0.35
        values = [v for v in _SPECIAL if (nan or not np.isnan(v)) and (inf or not np.isinf(v))]
        a[pick] = rng.choice(values, size=int(pick.sum()))
    return a.astype(dtype)


#: float16 (forward only): torch's CPU kernels compute half precision in float32 and round once, numtorch stays in
#: float16 throughout (the project rule: work in the input dtype), so results differ by a few half-precision ulps
#: of the inputs (ulp 2**-10 ~ 1e-3 on [1, 2), the range of the inputs): atol 4e-3 instead of helpers' 1e-3.
TOL_HALF = (4e-3,) + TOL["float16"][1:]


def tol_for(dtype, scale=1.0):
    """(forward atol, rtol, grad atol, rtol) for a dtype; ``scale`` multiplies the absolute tolerances."""
    fa, fr, ga, gr = TOL[dtype]
    return fa * scale, fr, ga * scale, gr


# ---------------------------------------------------------------------- the harness
def _is_t(x):
    return torch is not None and isinstance(x, torch.Tensor)


def leaves_of(x):
    """The tensors in a (nested) result, in order."""
    if _is_t(x) or isinstance(x, numtorch.Tensor):
        return [x]
    if isinstance(x, (tuple, list)):
        return [t for item in x for t in leaves_of(item)]
    if isinstance(x, dict):
        return [t for k in x for t in leaves_of(x[k])]
    return []


def compare_tree(ours, theirs, tol, what="output"):
    """Same structure; tensors within ``tol`` (forward atol, rtol) with the same shape and dtype; other leaves equal."""
    atol, rtol = tol[0], tol[1]
    if _is_t(theirs):
        assert_close(ours, theirs, atol, rtol, what)
        return
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)), f"{what}: torch gives a {type(theirs).__name__}, numtorch {ours!r}"
        if type(theirs) in (tuple, list):
            assert type(ours) is type(theirs), f"{what}: torch gives a {type(theirs).__name__}, numtorch a " \
                                               f"{type(ours).__name__}"
        assert len(ours) == len(theirs), f"{what}: {len(ours)} items, torch has {len(theirs)}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            compare_tree(o, t, tol, f"{what}[{i}]")
        return
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{what}: keys {list(theirs)}"
        for k in theirs:
            compare_tree(ours[k], theirs[k], tol, f"{what}[{k!r}]")
        return
    if isinstance(theirs, float) and isinstance(ours, float):
        assert np.isclose(ours, theirs, atol=atol, rtol=rtol, equal_nan=True), f"{what}: {ours} != torch {theirs}"
        return
    assert type(ours).__name__ == type(theirs).__name__ or (isinstance(ours, int) and isinstance(theirs, int)), \
        f"{what}: {type(ours).__name__} != torch {type(theirs).__name__}"
    assert ours == theirs, f"{what}: {ours!r} != torch {theirs!r}"


def same_error(t_exc, call):
    """torch raised ``t_exc``: numtorch's ``call()`` must raise the same exception class."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call()
    except Exception as n_exc:
        if type(n_exc).__name__ != type(t_exc).__name__:
            raise Disagreement(f"torch raises {type(t_exc).__name__}: {t_exc}\n"
                               f"numtorch raises {type(n_exc).__name__}: {n_exc}") from n_exc
        return
    raise Disagreement(f"torch raises {type(t_exc).__name__}: {t_exc}\nnumtorch returns {result!r:.300}")


def _half_unsupported(exc, dtype):
    return dtype == "float16" and ("Half" in str(exc) or "float16" in str(exc))


def check_call(fn, arrays, *, dtype, grad=None, tol=None, forward_only=False, leaves=None, buffers=None,
               seed=1, before=None):
    """Run ``fn(lib, *tensors)`` on numtorch and torch with copies of ``arrays`` and compare everything.

    Args:
        fn: ``fn(lib, *tensors)`` with ``lib`` = torch or numtorch (written once for both).
        arrays: the NumPy inputs.
        grad: per-input requires_grad flags (default: every floating input unless ``forward_only``).
        tol: (forward atol, rtol, grad atol, rtol); default ``TOL[dtype]``.
        leaves: ``leaves(lib)`` -> extra tensors (module parameters) whose gradients are compared too.
        buffers: ``buffers(lib)`` -> {name: tensor} compared after the call (module buffers).
        before: ``before(lib)`` run on each side before ``fn`` (e.g. seeding).
    Returns the numtorch and torch outputs (None when both raised).
    """
    tol = tol or (TOL_HALF if dtype == "float16" else TOL[dtype])
    forward_only = forward_only or dtype == "float16"
    if grad is None:
        grad = [np.asarray(a).dtype.kind == "f" and not forward_only for a in arrays]
    t_in = [to_torch(a, g) for a, g in zip(arrays, grad)]
    n_in = [to_nt(a, g) for a, g in zip(arrays, grad)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if before:
                before(torch)
            t_out = fn(torch, *t_in)
        except Exception as t_exc:
            if _half_unsupported(t_exc, dtype):
                return None
            same_error(t_exc, lambda: (before and before(numtorch), fn(numtorch, *n_in))[1])
            return None
        try:
            if before:
                before(numtorch)
            n_out = fn(numtorch, *n_in)
        except Exception as n_exc:
            raise Disagreement(f"torch returns, numtorch raises {type(n_exc).__name__}: {n_exc}") from n_exc
    compare_tree(n_out, t_out, tol, f"forward ({dtype})")
    if buffers:
        compare_tree(buffers(numtorch), buffers(torch), tol, f"buffers ({dtype})")
    if forward_only:
        return n_out, t_out
    n_leaves = n_in + list(leaves(numtorch) if leaves else [])
    t_leaves = t_in + list(leaves(torch) if leaves else [])
    check_backward(n_out, t_out, n_leaves, t_leaves, tol, seed, dtype)
    return n_out, t_out


def check_backward(n_out, t_out, n_leaves, t_leaves, tol, seed, dtype):
    """Backpropagate ``sum(out * w)`` through both results; compare requires_grad and every leaf gradient."""
    ga, gr = tol[2], tol[3]
    n_flat, t_flat = leaves_of(n_out), leaves_of(t_out)
    pairs = []
    for i, (n, t) in enumerate(zip(n_flat, t_flat)):
        assert bool(n.requires_grad) == bool(t.requires_grad), \
            f"output {i}: requires_grad {n.requires_grad}, torch {t.requires_grad}"
        if t.requires_grad and t.is_floating_point() and t.numel():
            pairs.append((n, t))
    if not pairs:
        return
    rng = np.random.default_rng(seed)
    ws = [np.asarray(rng.uniform(0.5, 1.5, tuple(t.shape)) * rng.choice([-1, 1], tuple(t.shape))) for _, t in pairs]
    t_loss = sum((t * to_torch(w.astype(t.detach().numpy().dtype))).sum() for (_, t), w in zip(pairs, ws))
    n_loss = sum((n * to_nt(w.astype(n.detach().numpy().dtype))).sum() for (n, _), w in zip(pairs, ws))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            t_loss.backward()
        except Exception as t_exc:
            same_error(t_exc, n_loss.backward)
            return
        try:
            n_loss.backward()
        except Exception as n_exc:
            raise Disagreement(f"backward: torch works, numtorch raises {type(n_exc).__name__}: {n_exc}") from n_exc
    for i, (n, t) in enumerate(zip(n_leaves, t_leaves)):
        if not (_is_t(t) and t.requires_grad):
            continue
        if t.grad is None:
            assert n.grad is None or not np.any(n.grad.detach().numpy()), f"grad of leaf {i}: torch has none"
            continue
        assert n.grad is not None, f"grad of leaf {i}: numtorch has none, torch has one"
        tg = t.grad
        if tg._is_zerotensor():  # torch's lazily-zero gradient (e.g. of sgn) has no NumPy view
            tg = torch.zeros(tg.shape, dtype=tg.dtype)
        assert_close(n.grad, tg, ga, gr, f"grad of leaf {i} ({dtype})")


# ---------------------------------------------------------------------- family strategies: elementwise math
def dim_arg(ndim, none=False, tuples=False, bad=True):
    """A dimension argument: mostly a valid int (negative ones too), sometimes None / a tuple / out of range."""
    n = max(ndim, 1)
    opts = [st.integers(-n, n - 1)] * 4
    if bad:
        opts.append(st.sampled_from([n, -n - 1]))
    if none:
        opts.append(st.none())
    if tuples and ndim:
        opts.append(st.lists(st.integers(-ndim, ndim - 1), min_size=0, max_size=ndim).map(tuple))
    return st.one_of(*opts)


UNARY = {
    # name: (kwargs strategy, low, high)
    **{n: (st.just({}), -2.0, 2.0) for n in [
        "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square", "reciprocal", "sin",
        "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "erf",
        "erfc", "erfinv", "abs", "neg", "sign", "sgn", "floor", "ceil", "trunc", "frac", "isnan", "isinf",
        "isfinite", "isposinf", "isneginf", "logical_not", "bitwise_not"]},
    "round": (st.fixed_dictionaries({}, optional={"decimals": st.integers(-1, 3)}), -20.0, 20.0),
    "nan_to_num": (st.fixed_dictionaries({}, optional={"nan": st.sampled_from([0.0, 1.5, -3.0]),
                                                       "posinf": st.sampled_from([9.0, 1e3]),
                                                       "neginf": st.sampled_from([-9.0, -1e3])}), -2.0, 2.0),
    "clamp": (st.fixed_dictionaries({"min": st.sampled_from([None, -1.0, 0.0, 0.5, 1, 3.0]),
                                     "max": st.sampled_from([None, -0.5, 0.0, 1.0, 2, 5.0])}), -2.0, 2.0),
    "clamp_min": (st.fixed_dictionaries({"min": st.sampled_from([-1.0, 0.0, 0.5])}), -2.0, 2.0),
    "clamp_max": (st.fixed_dictionaries({"max": st.sampled_from([-1.0, 0.0, 0.5])}), -2.0, 2.0),
    "pow": (st.fixed_dictionaries({"exponent": st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, -0.5, 1.5, 2.0, 0.0])}),
            -2.0, 2.0),
    "float_power": (st.fixed_dictionaries({"exponent": st.sampled_from([2, 0.5, -1.0, 3])}), -2.0, 2.0),
}


@st.composite
def unary_cases(draw):
    """An elementwise unary op on a drawn shape and dtype (ints and bool for the promotion and error paths)."""
    op = draw(st.sampled_from(sorted(UNARY)))
    kw_st, low, high = UNARY[op]
    dtype = draw(st.sampled_from(["float32", "float64", "float16", "int64", "bool"]))
    return {"op": op, "shape": draw(shapes()), "dtype": dtype, "seed": draw(seeds),
            "special": draw(st.booleans()), "kw": draw(kw_st), "low": low, "high": high}


BINARY = ["add", "sub", "mul", "div", "floor_divide", "pow", "maximum", "minimum", "fmax", "fmin", "remainder",
          "fmod", "atan2", "hypot", "logaddexp", "xlogy", "float_power", "eq", "ne", "lt", "le", "gt", "ge",
          "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "isclose",
          "__add__", "__sub__", "__mul__", "__truediv__", "__pow__", "__rsub__", "__rtruediv__", "__rpow__",
          "__floordiv__", "__mod__", "__radd__", "__rmul__"]

BINARY_KW = {
    "add": st.fixed_dictionaries({}, optional={"alpha": st.sampled_from([2, 0.5, -1])}),
    "sub": st.fixed_dictionaries({}, optional={"alpha": st.sampled_from([2, 0.5, -1])}),
    "div": st.fixed_dictionaries({}, optional={"rounding_mode": st.sampled_from([None, "trunc", "floor"])}),
    "isclose": st.fixed_dictionaries({}, optional={"rtol": st.just(0.5), "atol": st.just(0.1),
                                                   "equal_nan": st.booleans()}),
}


@st.composite
def broadcast_pair(draw, max_dims=4):
    """Two shapes that broadcast (mostly) or that may not."""
    if draw(st.integers(0, 4)):
        from hypothesis.extra.numpy import mutually_broadcastable_shapes
        s = draw(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims, min_side=0,
                                               max_side=3))
        return tuple(s.input_shapes)
    return draw(shapes(max_dims=max_dims)), draw(shapes(max_dims=max_dims))


@st.composite
def binary_cases(draw):
    """A binary elementwise op: tensor-tensor (any two dtypes, broadcasting or not) or tensor-scalar."""
    op = draw(st.sampled_from(BINARY))
    sa, sb = draw(broadcast_pair())
    da = draw(st.sampled_from(["float32", "float64", "float32", "float64", "float16", "int64", "bool"]))
    other = draw(st.sampled_from(["tensor", "tensor", "tensor", "int", "float"]))
    db = draw(st.sampled_from(["float32", "float64", "int64", "bool", da, da, da]))
    scalar = draw(st.sampled_from([2, -1, 0, 3])) if other == "int" else draw(st.sampled_from([0.5, -1.5, 2.0, 0.0]))
    return {"op": op, "shape_a": sa, "shape_b": sb, "dtype_a": da, "dtype_b": db, "other": other,
            "scalar": scalar, "seed": draw(seeds), "special": draw(st.booleans()),
            "kw": draw(BINARY_KW.get(op, st.just({})))}


TERNARY = ["where", "lerp", "addcmul", "addcdiv", "masked_fill", "clamp_t"]


@st.composite
def ternary_cases(draw):
    """where / lerp / addcmul / addcdiv / masked_fill / clamp with tensor bounds on three broadcast shapes."""
    from hypothesis.extra.numpy import mutually_broadcastable_shapes
    op = draw(st.sampled_from(TERNARY))
    if draw(st.integers(0, 4)):
        ss = tuple(draw(mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=0,
                                                      max_side=3)).input_shapes)
    else:
        ss = tuple(draw(shapes(max_dims=3)) for _ in range(3))
    dtypes_ = tuple(draw(st.sampled_from(["float32", "float64", "float32", "float32", "int64"])) for _ in range(3))
    return {"op": op, "shapes": ss, "dtypes": dtypes_, "seed": draw(seeds),
            "scalar": draw(st.sampled_from([None, None, 0.5, 2, -1.0])),
            "value": draw(st.sampled_from([1, 0.5, -2.0]))}


@st.composite
def matmul_cases(draw):
    """matmul / mm / bmm / mv / dot / @ on shapes that fit (batch broadcasting, 1-d operands) or do not."""
    op = draw(st.sampled_from(["matmul", "matmul", "mm", "bmm", "mv", "dot", "__matmul__"]))
    n, k, m = draw(side(3)), draw(side(3)), draw(side(3))
    batch = draw(st.sampled_from([(), (), (2,), (1,), (2, 1), (0,)]))
    batch_b = draw(st.sampled_from([batch, batch, (), (1,), (3, 1, 1)]))
    da, db = draw(st.sampled_from(["1d", "2d", "2d", "nd"])), draw(st.sampled_from(["1d", "2d", "2d", "nd"]))
    sa = {"1d": (k,), "2d": (n, k), "nd": batch + (n, k)}[da]
    sb = {"1d": (k,), "2d": (k, m), "nd": batch_b + (k, m)}[db]
    if not draw(st.integers(0, 5)):  # a mismatched inner dimension
        sb = (sb[0] + 1,) + sb[1:] if len(sb) == 1 else sb[:-2] + (sb[-2] + 1, sb[-1])
    dtype = draw(st.sampled_from(["float32", "float64", "float16"]))
    mixed = draw(st.sampled_from([None, None, None, "float64", "int64"]))
    return {"op": op, "shape_a": sa, "shape_b": sb, "dtype": dtype, "dtype_b": mixed or dtype, "seed": draw(seeds)}


# ---------------------------------------------------------------------- reductions
REDUCE = ["sum", "mean", "prod", "amax", "amin", "max", "min", "std", "var", "std_mean", "var_mean", "logsumexp",
          "norm", "argmax", "argmin", "cumsum", "cumprod", "softmax", "log_softmax", "median", "nanmedian", "all",
          "any", "nansum", "nanmean", "count_nonzero", "aminmax", "topk", "sort", "argsort", "mode", "msort"]


@st.composite
def reduce_cases(draw):
    """A reduction / scan / sort over a drawn dim (None, int, tuple, out of range), keepdim and options."""
    op = draw(st.sampled_from(REDUCE))
    shape = draw(shapes(max_dims=4))
    nd = len(shape)
    dim = draw(dim_arg(nd, none=op not in ("cumsum", "cumprod", "softmax", "log_softmax", "topk"),
                       tuples=op in ("sum", "mean", "amax", "amin", "std", "var", "std_mean", "var_mean",
                                     "logsumexp", "norm", "nansum", "nanmean", "count_nonzero", "all", "any")))
    kw = {}
    if op in ("std", "var", "std_mean", "var_mean"):
        kw = draw(st.fixed_dictionaries({}, optional={"correction": st.sampled_from([0, 1, 2])}))
        if not kw and draw(st.booleans()):
            kw = {"unbiased": draw(st.booleans())}
    elif op == "norm":
        kw = {"p": draw(st.sampled_from([2, 1, 3, 0.5, float("inf"), float("-inf"), 0, "fro"]))}
    elif op == "topk":
        kw = {"k": draw(st.integers(0, 3)), "largest": draw(st.booleans()), "sorted": True}
    elif op in ("sort", "argsort"):
        kw = {"descending": draw(st.booleans()), "stable": True}
    elif op in ("sum", "cumsum", "prod", "mean") and draw(st.integers(0, 4)) == 0:
        kw = {"dtype": draw(st.sampled_from(["float64", "float32"]))}
    dtype = draw(st.sampled_from(["float32", "float64", "float32", "float64", "float16", "int64", "bool"]))
    return {"op": op, "shape": shape, "dtype": dtype, "dim": dim, "keepdim": draw(st.booleans()), "kw": kw,
            "seed": draw(seeds), "special": draw(st.sampled_from([False, False, True]))}


# ---------------------------------------------------------------------- activations
def _opt(**kw):
    return st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in kw.items()})


ACTIVATIONS = {
    **{n: st.just({}) for n in ["relu", "relu6", "selu", "silu", "mish", "hardsigmoid", "hardswish", "logsigmoid",
                                "softsign", "tanhshrink", "sigmoid", "tanh"]},
    "leaky_relu": _opt(negative_slope=[0.01, 0.2, -0.5, 0.0]),
    "elu": _opt(alpha=[1.0, 0.5, 2.0, 0.0]),
    "celu": _opt(alpha=[1.0, 0.5, 2.0, 0.0]),
    "gelu": _opt(approximate=["none", "tanh", "tanh", "bad"]),
    "softplus": _opt(beta=[1.0, 2.0, 0.5, -1.0], threshold=[20.0, 1.0, 0.5]),
    "hardtanh": _opt(min_val=[-1.0, 0.0, -0.5, 1.5], max_val=[1.0, 0.5, 2.0]),
    "softshrink": _opt(lambd=[0.5, 0.0, 1.0, -0.5]),
    "hardshrink": _opt(lambd=[0.5, 0.0, 1.0, -0.5]),
    "threshold": st.fixed_dictionaries({"threshold": st.sampled_from([0.0, 0.5, -1.0]),
                                        "value": st.sampled_from([0.0, 2.0, -1.0])}),
    "rrelu": _opt(lower=[0.125, 0.3], upper=[1 / 3, 0.5]),  # training=False: deterministic
    "glu": st.fixed_dictionaries({}, optional={"dim": st.integers(-3, 2)}),
    "softmax": st.fixed_dictionaries({"dim": st.integers(-3, 2)}, optional={"dtype": st.just("float64")}),
    "log_softmax": st.fixed_dictionaries({"dim": st.integers(-3, 2)}, optional={"dtype": st.just("float64")}),
    "softmin": st.fixed_dictionaries({"dim": st.integers(-3, 2)}),
    "prelu": st.fixed_dictionaries({"num_parameters": st.sampled_from([1, 1, "C", 2])}),
    "normalize": _opt(p=[2.0, 1.0, 3.0, 0.5], dim=[1, -1, 0], eps=[1e-12, 0.1]),
    # dropout only where the result does not depend on the random draw: p = 0 or 1, or not training
    **{n: st.fixed_dictionaries({"p": st.sampled_from([0.0, 1.0, 1.5, -0.1, 0.5]), "training": st.booleans()})
       .filter(lambda kw: not (kw["training"] and 0 < kw["p"] < 1))
       for n in ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]},
}
INPLACE = {"relu", "relu6", "selu", "silu", "mish", "hardsigmoid", "hardswish", "leaky_relu", "elu", "celu",
           "hardtanh", "threshold", "rrelu", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"}


@st.composite
def activation_cases(draw):
    """An activation with drawn options; in-place on a clone (or on a leaf that requires grad: torch's error)."""
    op = draw(st.sampled_from(sorted(ACTIVATIONS)))
    inplace = draw(st.sampled_from([False, False, "clone", "leaf"])) if op in INPLACE else False
    return {"op": op, "shape": draw(shapes(max_dims=4)), "dtype": draw(float_dtypes(half=True)),
            "seed": draw(seeds), "special": draw(st.sampled_from([False, False, True])),
            "kw": draw(ACTIVATIONS[op]), "inplace": inplace}


# ---------------------------------------------------------------------- shape and indexing
def _factor_shape(draw, numel):
    """A random shape with ``numel`` elements (maybe with a -1), from the prime factors of numel."""
    if numel == 0:
        return tuple(draw(st.sampled_from([(0,), (0, 3), (2, 0), (-1, 0), (0, -1)])))
    factors, n, p = [], numel, 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    dims = [1] * draw(st.integers(1, 3))
    for f in factors:
        dims[draw(st.integers(0, len(dims) - 1))] *= f
    if draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return tuple(dims)


def _index_component(draw, size):
    kind = draw(st.sampled_from(["int", "slice", "slice", "none", "list", "mask", "ellipsis", "full"]))
    if kind == "int":
        return draw(st.integers(-size - 1, size))
    if kind == "slice":
        return slice(draw(st.one_of(st.none(), st.integers(-size - 1, size + 1))),
                     draw(st.one_of(st.none(), st.integers(-size - 1, size + 1))),
                     draw(st.sampled_from([None, 1, 2, 3, -1] if size else [None, 1])))
    if kind == "none":
        return None
    if kind == "list":
        return draw(st.lists(st.integers(-size - 1, size), min_size=0, max_size=3))
    if kind == "mask":
        return ("mask", size + draw(st.sampled_from([0, 0, 0, 1])))
    if kind == "ellipsis":
        return Ellipsis
    return slice(None)


SHAPE_OPS = ["reshape", "view", "permute", "transpose", "movedim", "squeeze", "unsqueeze", "flatten", "unflatten",
             "expand", "repeat", "tile", "flip", "roll", "narrow", "select", "split", "chunk", "tensor_split",
             "unbind", "cat", "stack", "tril", "triu", "diagonal", "getitem", "setitem", "gather",
             "index_select", "take_along_dim", "repeat_interleave", "t", "masked_select", "scatter_add",
             "index_add", "diag", "diag_embed", "einsum"]


@st.composite
def shape_cases(draw):
    """A shape or indexing op on a drawn shape, its arguments drawn from that shape (valid or not)."""
    op = draw(st.sampled_from(SHAPE_OPS))
    shape = draw(shapes(max_dims=4))
    nd, numel = len(shape), int(np.prod(shape))
    d = draw(dim_arg(nd))
    a = {}
    if op in ("reshape", "view"):
        a["shape"] = _factor_shape(draw, numel) if draw(st.integers(0, 5)) else draw(shapes(1, 3))
        a["transposed"] = nd >= 2 and draw(st.booleans())
    elif op == "permute":
        perm = list(draw(st.permutations(range(nd))))
        if perm and not draw(st.integers(0, 5)):
            perm[0] = perm[-1]
        a["dims"] = tuple(perm)
    elif op in ("transpose", "movedim"):
        a["d1"] = draw(dim_arg(nd))
    elif op == "squeeze":
        a["dim"] = draw(st.one_of(st.none(), dim_arg(nd), st.lists(st.integers(-max(nd, 1), max(nd, 1) - 1),
                                                                    max_size=2).map(tuple)))
    elif op == "unsqueeze":
        a["dim"] = draw(st.integers(-nd - 2, nd + 1))
    elif op == "flatten":
        a["start"], a["end"] = draw(dim_arg(nd)), draw(dim_arg(nd))
    elif op == "unflatten":
        size = shape[d] if nd and -nd <= d < nd else 1
        a["sizes"] = _factor_shape(draw, size)
    elif op == "expand":
        sizes = [draw(st.sampled_from([s, -1, 2, 3])) if s == 1 else draw(st.sampled_from([s, s, -1, s + 1]))
                 for s in shape]
        a["sizes"] = tuple(draw(st.lists(st.sampled_from([1, 2]), max_size=2)) + sizes)
    elif op in ("repeat", "tile"):
        a["reps"] = tuple(draw(st.lists(st.integers(0, 3), min_size=max(0, nd - 1), max_size=nd + 1)))
    elif op == "flip":
        a["dims"] = tuple(draw(st.lists(st.integers(-max(nd, 1), max(nd, 1) - 1), max_size=nd)))
    elif op == "roll":
        a["shifts"] = draw(st.integers(-5, 5))
        a["dims"] = draw(st.one_of(st.none(), dim_arg(nd)))
    elif op == "narrow":
        size = shape[d] if nd and -nd <= d < nd else 1
        a["start"], a["length"] = draw(st.integers(-size, size + 1)), draw(st.integers(0, size + 1))
    elif op == "select":
        size = shape[d] if nd and -nd <= d < nd else 1
        a["index"] = draw(st.integers(-size - 1, size))
    elif op in ("split", "chunk", "tensor_split"):
        a["n"] = draw(st.one_of(st.integers(0, 4), st.lists(st.integers(0, 4), min_size=1, max_size=3)))
    elif op in ("cat", "stack"):
        k = draw(st.integers(0, 3))
        others = []
        for _ in range(max(k - 1, 0)):
            s = list(shape)
            if nd and -nd <= d < nd and op == "cat" and draw(st.booleans()):
                s[d] = draw(side(3))
            if nd and not draw(st.integers(0, 6)):
                s[draw(st.integers(0, nd - 1))] += 1
            others.append(tuple(s))
        a["others"], a["count"], a["mixed"] = others, k, draw(st.sampled_from([None, None, "float64", "int64"]))
    elif op in ("tril", "triu"):
        a["diagonal"] = draw(st.integers(-3, 3))
    elif op == "diagonal":
        a["offset"], a["d1"], a["d2"] = draw(st.integers(-2, 2)), draw(dim_arg(nd)), draw(dim_arg(nd))
    elif op in ("getitem", "setitem"):
        comps = []
        for s in shape + (1,) * draw(st.integers(0, 1)):
            comps.append(_index_component(draw, s))
        a["index"] = tuple(comps[:draw(st.integers(0, len(comps)))])
        a["value"] = draw(st.sampled_from(["scalar", "tensor1", "tensor"]))
    elif op in ("gather", "take_along_dim", "scatter_add"):
        a["index_shape"] = tuple(draw(st.integers(0, s + (1 if i == 0 else 0))) for i, s in enumerate(shape))
        if nd and not draw(st.integers(0, 6)):
            a["index_shape"] = a["index_shape"][:-1]
    elif op in ("index_select", "index_add"):
        a["n"] = draw(st.integers(0, 4))
        a["index_nd"] = draw(st.sampled_from([1, 1, 1, 0, 2]))
    elif op == "repeat_interleave":
        a["repeats"] = draw(st.one_of(st.integers(0, 3), st.just("tensor")))
        a["dim"] = draw(st.one_of(st.none(), dim_arg(nd)))
    elif op == "diag":
        a["diagonal"] = draw(st.integers(-2, 2))
    elif op == "diag_embed":
        a["offset"] = draw(st.integers(-1, 1))
    elif op == "einsum":
        letters = "abcd"[:nd]
        out = "".join(draw(st.permutations(letters)))[:draw(st.integers(0, nd))]
        a["eq"] = f"{letters}->{out}" if draw(st.integers(0, 3)) else f"{letters},{letters[-1:]}->{out}"
    dtype = draw(st.sampled_from(["float32", "float64", "float32", "float64", "int64"]))
    return {"op": op, "shape": shape, "dtype": dtype, "seed": draw(seeds), "dim": d, "args": a}


# ---------------------------------------------------------------------- interpolate and padding
@st.composite
def interpolate_cases(draw):
    """F.interpolate: every mode on 1-d/2-d/3-d inputs (batched or not), size or scale_factor, align_corners,
    recompute_scale_factor and antialias, including the combinations torch refuses."""
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear",
                                 "area"]))
    nat = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode)
    sp = nat if nat and draw(st.integers(0, 6)) else draw(st.integers(1, 3))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(sp))
    lead = draw(st.sampled_from([(2, 3), (1, 2), (2, 1), (0, 2)]))
    shape = lead + spatial
    if not draw(st.integers(0, 8)):
        shape = shape[1:]   # missing batch dimension: torch refuses or reads it differently
    how = draw(st.sampled_from(["size", "size", "scale", "scale", "both", "neither"]))
    kw = {}
    if how in ("size", "both"):
        kw["size"] = draw(st.one_of(st.integers(1, 7), st.tuples(*[st.integers(1, 7)] * sp)))
    if how in ("scale", "both"):
        kw["scale_factor"] = draw(st.one_of(st.sampled_from([0.5, 1.5, 2.0, 0.7, 3.0, 1.0, 2]),
                                            st.tuples(*[st.sampled_from([0.5, 1.7, 2.0, 1.0])] * sp)))
        if draw(st.booleans()):
            kw["recompute_scale_factor"] = draw(st.booleans())
    if draw(st.integers(0, 2)) == 0:
        kw["align_corners"] = draw(st.booleans())
    if mode in ("bilinear", "bicubic") and draw(st.integers(0, 2)) == 0:
        kw["antialias"] = True
    return {"mode": mode, "shape": shape, "kw": kw, "dtype": draw(float_dtypes(half=True)), "seed": draw(seeds)}


@st.composite
def pad_cases(draw):
    """F.pad: constant / reflect / replicate / circular with positive, zero and negative pads on 1-5 dims."""
    mode = draw(st.sampled_from(["constant", "constant", "reflect", "replicate", "circular"]))
    shape = draw(shapes(1, 5, max_side=4))
    npad = draw(st.integers(1, min(3, len(shape)) if mode != "constant" else len(shape)))
    pad = tuple(draw(st.integers(-2, 3)) for _ in range(2 * npad))
    if not draw(st.integers(0, 8)):
        pad = pad[:-1]   # odd length
    value = draw(st.sampled_from([None, 0.0, 1.5, -2])) if mode == "constant" else None
    return {"mode": mode, "shape": shape, "pad": pad, "value": value, "dtype": draw(float_dtypes(half=True)),
            "seed": draw(seeds)}


# ---------------------------------------------------------------------- losses
REDUCTIONS = st.sampled_from(["mean", "mean", "sum", "none", "bad"])

LOSSES = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss", "binary_cross_entropy",
          "binary_cross_entropy_with_logits", "cross_entropy", "cross_entropy", "cross_entropy_prob", "nll_loss",
          "kl_div", "poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss", "hinge_embedding_loss",
          "cosine_embedding_loss", "triplet_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss"]


@st.composite
def loss_cases(draw):
    """A loss with every reduction, weights, ignore_index, label smoothing, probability targets, K-d inputs,
    unbatched inputs, and mismatched target shapes now and then."""
    loss = draw(st.sampled_from(LOSSES))
    n, c = draw(side(4)), draw(st.integers(1, 4))
    extra = tuple(draw(st.lists(side(3), max_size=2)))
    kw = {"reduction": draw(REDUCTIONS)}
    case = {"loss": loss, "n": n, "c": c, "extra": extra, "seed": draw(seeds), "dtype": draw(float_dtypes()),
            "unbatched": draw(st.sampled_from([False, False, False, True])),
            "bad_target": not draw(st.integers(0, 10)), "target_grad": not draw(st.integers(0, 3))}
    if loss in ("smooth_l1_loss",):
        kw.update(draw(_opt(beta=[1.0, 0.5, 0.0, 2.0])))
    if loss == "huber_loss":
        kw.update(draw(_opt(delta=[1.0, 0.5, 2.0])))
    if loss in ("binary_cross_entropy", "binary_cross_entropy_with_logits", "multilabel_soft_margin_loss"):
        case["weight"] = draw(st.sampled_from([None, None, "full", "last", "bad"]))
    if loss == "binary_cross_entropy_with_logits":
        case["pos_weight"] = draw(st.sampled_from([None, None, "last", "bad"]))
    if loss in ("cross_entropy", "cross_entropy_prob", "nll_loss", "multi_margin_loss"):
        case["weight"] = draw(st.sampled_from([None, None, "class", "bad"]))
    if loss in ("cross_entropy", "nll_loss"):
        case["ignore"] = draw(st.sampled_from([None, None, 0, 1, -1, -100]))
        if draw(st.integers(0, 8)) == 0:
            case["target_oob"] = True
    if loss in ("cross_entropy", "cross_entropy_prob"):
        kw.update(draw(_opt(label_smoothing=[0.0, 0.1, 0.5, 1.0])))
    if loss == "kl_div":
        kw.update(draw(_opt(log_target=[True, False])))
        if draw(st.booleans()):
            kw["reduction"] = "batchmean"
    if loss == "poisson_nll_loss":
        kw.update(draw(_opt(log_input=[True, False], full=[True, False], eps=[1e-8, 0.1])))
    if loss == "gaussian_nll_loss":
        kw.update(draw(_opt(full=[True, False], eps=[1e-6, 0.5])))
        case["var"] = draw(st.sampled_from(["full", "full", "one", "drop", "scalar", "bad"]))
    if loss in ("margin_ranking_loss", "cosine_embedding_loss"):
        kw.update(draw(_opt(margin=[0.0, 0.5, -0.2])))
    if loss == "hinge_embedding_loss":
        kw.update(draw(_opt(margin=[1.0, 0.5, -0.5])))
    if loss == "triplet_margin_loss":
        kw.update(draw(_opt(margin=[1.0, 0.1, 2.0], p=[2, 1, 3], swap=[True, False], eps=[1e-6, 0.1])))
    if loss == "multi_margin_loss":
        kw.update(draw(_opt(p=[1, 2, 3], margin=[1.0, 0.3])))
    case["kw"] = kw
    return case


# ---------------------------------------------------------------------- attention, linear, embedding
@st.composite
def sdpa_cases(draw):
    """scaled_dot_product_attention: batch shapes, masks (bool / float, broadcast), is_causal, scale, GQA."""
    batch = draw(st.sampled_from([(), (2,), (2, 3), (1, 2), (0, 2)]))
    L, S, E, Ev = draw(side(4)), draw(side(4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    mask = draw(st.sampled_from([None, None, "bool", "float", "bool_row", "float_b", "bad"]))
    kw = {}
    if draw(st.integers(0, 2)) == 0:
        kw["is_causal"] = draw(st.booleans())
    if draw(st.integers(0, 2)) == 0:
        kw["scale"] = draw(st.sampled_from([0.5, 1.0, 2.0]))
    gqa = len(batch) >= 2 and draw(st.integers(0, 3)) == 0
    return {"batch": batch, "L": L, "S": S, "E": E, "Ev": Ev, "mask": mask, "kw": kw, "gqa": gqa,
            "dtype": draw(float_dtypes()), "seed": draw(seeds)}


@st.composite
def linear_cases(draw):
    """F.linear / F.bilinear / F.embedding / F.one_hot with drawn shapes (incl. unbatched and empty) and options."""
    op = draw(st.sampled_from(["linear", "linear", "bilinear", "embedding", "embedding", "one_hot"]))
    lead = draw(shapes(0, 3, max_side=3))
    i1, i2, o = draw(side(4)), draw(side(4)), draw(side(4))
    kw = {}
    if op == "embedding":
        kw = draw(_opt(padding_idx=[0, 1, -1, 5], max_norm=[1.0, 0.5], norm_type=[2.0, 1.0],
                       scale_grad_by_freq=[True, False]))
    if op == "one_hot":
        kw = draw(_opt(num_classes=[-1, 3, 5, 1]))
    return {"op": op, "lead": lead, "in1": i1, "in2": i2, "out": o, "bias": draw(st.booleans()),
            "weight_1d": op == "linear" and not draw(st.integers(0, 5)), "kw": kw,
            "mismatch": not draw(st.integers(0, 8)), "dtype": draw(float_dtypes(half=True)), "seed": draw(seeds)}


# ---------------------------------------------------------------------- modules
# A module case: {"cls": name in nn, "args": [...], "kw": {...}, "inputs": [input spec, ...], "call": style,
# "call_kw": {...}, "dtype", "seed", "mode": "train"/"eval", "steps", "input_grad"}. An input spec is
# {"kind": "float"|"int"|"bool", "shape": ..., "high": (ints), "name": keyword or None, "grad": bool}.
def _f(shape, name=None, grad=True, low=-2.0, high=2.0):
    return {"kind": "float", "shape": tuple(shape), "name": name, "grad": grad, "low": low, "high": high}


def _common(draw, half=True, mode=None):
    return {"dtype": draw(float_dtypes(half=half)), "seed": draw(seeds),
            "mode": mode or draw(st.sampled_from(["train", "eval"])), "steps": draw(st.sampled_from([1, 1, 2])),
            "input_grad": draw(st.sampled_from([True, True, False])), "call": "plain", "call_kw": {}}


@st.composite
def linear_module_cases(draw):
    """Linear / Bilinear / Embedding / EmbeddingBag with drawn sizes and options."""
    cls = draw(st.sampled_from(["Linear", "Linear", "Bilinear", "Embedding", "Embedding", "EmbeddingBag",
                                "EmbeddingBag"]))
    c = _common(draw)
    lead = draw(shapes(0, 3, max_side=3))
    i1, i2, o = draw(side(4)), draw(side(4)), draw(side(4))
    bad = not draw(st.integers(0, 8))
    if cls == "Linear":
        c.update(args=[i1, o], kw=draw(_opt(bias=[True, False])), inputs=[_f(lead + (i1 + bad,))])
    elif cls == "Bilinear":
        c.update(args=[i1, i2, o], kw=draw(_opt(bias=[True, False])),
                 inputs=[_f(lead + (i1,)), _f(lead + (i2 + bad,))])
    elif cls == "Embedding":
        num = i1 + 1
        kw = draw(_opt(padding_idx=[0, 1, -1, num], max_norm=[1.0, 0.5], norm_type=[2.0, 1.0, 3.0],
                       scale_grad_by_freq=[True, False]))
        c.update(args=[num, o], kw=kw, inputs=[{"kind": "int", "shape": lead, "high": num + bad, "name": None}])
    elif cls == "EmbeddingBag":
        # scale_grad_by_freq is left out: torch's kernel scales by the wrong frequencies there (pinned by a strict
        # xfail in tests/test_embedding_bag.py)
        num = i1 + 1
        mode = draw(st.sampled_from(["sum", "mean", "max"]))
        kw = {"mode": mode, **draw(_opt(padding_idx=[0, 1, -1], max_norm=[1.0, 0.5], norm_type=[2.0, 1.0],
                                         include_last_offset=[True, False]))}
        if draw(st.booleans()):       # (B, L): bags of equal length, no offsets
            shape = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
            c.update(call="plain")
        else:                         # 1-D indices cut into bags by offsets (sorted cut points, the first 0)
            n = draw(st.integers(0, 6))
            cuts = sorted(draw(st.lists(st.integers(0, n), min_size=0, max_size=3)))
            offsets = [0] + cuts + ([n] if kw.get("include_last_offset") else [])
            shape = (n,)
            c.update(call="embedding_bag", call_kw={"offsets": offsets})
        inputs = [{"kind": "int", "shape": shape, "high": num + bad, "name": None}]
        if mode == "sum" and draw(st.booleans()):
            inputs.append(_f(shape, name="per_sample_weights", low=0.5, high=1.5))
        c.update(args=[num, o], kw=kw, inputs=inputs)
    return {"cls": cls, **c}


@st.composite
def conv_cases(draw):
    """Conv1d/2d/3d and ConvTranspose1d/2d/3d: groups, kernel, stride, padding (ints, tuples, 'same',
    'valid'), dilation, padding modes, output_padding, bias; batched, unbatched and empty inputs."""
    nd = draw(st.sampled_from([1, 1, 2, 2, 2, 3]))
    transposed = draw(st.sampled_from([False, False, True]))
    g = draw(st.sampled_from([1, 1, 2]))
    cin, cout = g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2))
    if not draw(st.integers(0, 10)):
        cout += 1   # not divisible by groups
    per = lambda s: st.one_of(s, st.tuples(*[s] * nd))  # noqa: E731
    kw = {"stride": draw(per(st.integers(1, 2))), "dilation": draw(per(st.integers(1, 2))), "groups": g,
          "bias": draw(st.booleans())}
    kernel = draw(per(st.integers(1, 3)))
    if transposed:
        kw["padding"] = draw(per(st.integers(0, 2)))
        kw["output_padding"] = draw(per(st.integers(0, 1)))
    else:
        kw["padding"] = draw(st.one_of(per(st.integers(0, 2)), st.sampled_from(["same", "valid"])))
        kw["padding_mode"] = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    spatial = tuple(draw(st.integers(1, 6 if nd < 3 else 4)) for _ in range(nd))
    lead = draw(st.sampled_from([(2,), (1,), (), (0,)]))
    c = _common(draw)
    c.update(cls=f"Conv{'Transpose' if transposed else ''}{nd}d", args=[cin, cout, kernel], kw=kw,
             inputs=[_f(lead + (cin + (not draw(st.integers(0, 10))),) + spatial)])
    return c


@st.composite
def pool_cases(draw):
    """Max/Avg/LP pooling 1-3d (kernel, stride, padding, dilation, ceil_mode, count_include_pad,
    divisor_override, return_indices), adaptive pooling (output sizes with None), max unpooling."""
    kind = draw(st.sampled_from(["MaxPool", "MaxPool", "AvgPool", "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool",
                                 "LPPool", "MaxUnpool"]))
    nd = draw(st.sampled_from({"LPPool": [1, 2], "AdaptiveAvgPool": [1, 2, 3], "AdaptiveMaxPool": [1, 2],
                               "MaxUnpool": [1, 2]}.get(kind, [1, 2, 2, 3])))
    per = lambda s: st.one_of(s, st.tuples(*[s] * nd))  # noqa: E731
    spatial = tuple(draw(st.integers(1, 6 if nd < 3 else 4)) for _ in range(nd))
    lead = draw(st.sampled_from([(2, 3), (1, 2), (3,), (0, 2)]))
    c = _common(draw)
    kernel = draw(per(st.integers(1, 3)))
    if kind in ("MaxPool", "MaxUnpool"):
        kw = {"stride": draw(st.one_of(st.none(), per(st.integers(1, 3)))), "padding": draw(per(st.integers(0, 1))),
              "ceil_mode": draw(st.booleans())}
        if kind == "MaxPool":
            kw.update(dilation=draw(per(st.integers(1, 2))), return_indices=draw(st.booleans()))
        args = [kernel]
    elif kind == "AvgPool":
        kw = {"stride": draw(st.one_of(st.none(), per(st.integers(1, 3)))), "padding": draw(per(st.integers(0, 1))),
              "ceil_mode": draw(st.booleans()), "count_include_pad": draw(st.booleans())}
        if nd > 1:
            kw["divisor_override"] = draw(st.sampled_from([None, None, 1, 3]))
        args = [kernel]
    elif kind == "LPPool":
        kw = {"stride": draw(st.one_of(st.none(), per(st.integers(1, 3)))), "ceil_mode": draw(st.booleans())}
        args = [draw(st.sampled_from([1, 2, 3, 1.5])), kernel]
    else:
        out = draw(st.one_of(st.integers(1, 4), st.tuples(*[st.one_of(st.none(), st.integers(1, 4))] * nd)))
        args, kw = [out], ({"return_indices": draw(st.booleans())} if kind == "AdaptiveMaxPool" else {})
    c.update(cls=f"{kind}{nd}d", args=args, kw=kw, inputs=[_f(lead + spatial, low=-3.0, high=3.0)])
    if kind == "MaxUnpool":
        c["call"] = "unpool"
    return c


@st.composite
def norm_cases(draw):
    """Every normalization layer: BatchNorm (momentum None, no affine, no tracked stats), InstanceNorm (affine,
    tracked stats), LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm; train and eval, several steps."""
    kind = draw(st.sampled_from(["BatchNorm", "BatchNorm", "InstanceNorm", "LayerNorm", "GroupNorm", "RMSNorm",
                                 "LocalResponseNorm"]))
    c = _common(draw)
    c["steps"] = draw(st.sampled_from([1, 2, 3]))
    C = draw(st.integers(1, 4))
    eps = draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    if kind in ("BatchNorm", "InstanceNorm"):
        nd = draw(st.sampled_from([1, 2, 3]))
        kw = {"eps": eps, "momentum": draw(st.sampled_from([0.1, 0.5, None] if kind == "BatchNorm" else [0.1, 0.5])),
              "affine": draw(st.booleans() if kind == "BatchNorm" else st.sampled_from([False, True])),
              "track_running_stats": draw(st.sampled_from([True, False]) if kind == "BatchNorm"
                                          else st.sampled_from([False, True]))}
        n = draw(st.sampled_from([1, 2, 3, 0]))
        spatial = tuple(draw(st.integers(1, 3)) for _ in range(nd if nd > 1 or draw(st.booleans()) else 0))
        shape = (n, C + (not draw(st.integers(0, 10)))) + spatial
        if kind == "InstanceNorm" and draw(st.integers(0, 3)) == 0:
            shape = shape[1:]  # unbatched
        c.update(cls=f"{kind}{nd}d", args=[C], kw=kw, inputs=[_f(shape)])
    elif kind in ("LayerNorm", "RMSNorm"):
        shape = draw(shapes(1, 4, max_side=3))
        k = draw(st.integers(1, len(shape)))
        normalized = list(shape[-k:])
        if not draw(st.integers(0, 8)):
            normalized[-1] += 1
        kw = {"eps": eps if kind == "LayerNorm" else draw(st.sampled_from([None, eps])),
              "elementwise_affine": draw(st.booleans())}
        if kind == "LayerNorm":
            kw["bias"] = draw(st.booleans())
        c.update(cls=kind, args=[draw(st.sampled_from([tuple(normalized), normalized[-1]]) if k == 1
                                      else st.just(tuple(normalized)))], kw=kw, inputs=[_f(shape)])
    elif kind == "GroupNorm":
        groups = draw(st.sampled_from([1, 2, 3]))
        channels = groups * draw(st.integers(1, 2)) + (not draw(st.integers(0, 8)))
        shape = (draw(st.sampled_from([1, 2, 0])), channels) + draw(shapes(0, 2, max_side=3))
        c.update(cls="GroupNorm", args=[groups, channels], kw={"eps": eps, "affine": draw(st.booleans())},
                 inputs=[_f(shape)])
    else:
        shape = (draw(st.sampled_from([1, 2, 0])), draw(st.integers(1, 5))) + draw(shapes(0, 2, max_side=3))
        c.update(cls="LocalResponseNorm", args=[draw(st.integers(1, 4))],
                 kw=draw(_opt(alpha=[1e-4, 0.1, 1.0], beta=[0.75, 0.5, 1.0], k=[1.0, 2.0])),
                 inputs=[_f(shape, low=-3.0, high=3.0)])
    return c


@st.composite
def rnn_cases(draw):
    """RNN (tanh/relu) / LSTM (with projections) / GRU and their cells: layers, directions, bias, batch_first,
    eval-mode dropout, initial states (right or wrong shapes), unbatched inputs and packed sequences."""
    kind = draw(st.sampled_from(["RNN", "LSTM", "GRU", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]))
    c = _common(draw)
    I, H = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kw = {"bias": draw(st.booleans())}
    if kind in ("RNN", "RNNCell"):
        kw["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    N = draw(st.sampled_from([1, 2, 3, 0]))
    bad = not draw(st.integers(0, 10))
    if kind.endswith("Cell"):
        shape = (N, I + bad) if draw(st.integers(0, 3)) else (I + bad,)
        inputs = [_f(shape)]
        if draw(st.booleans()):
            hs = shape[:-1] + (H,)
            inputs += [_f(hs)] * (2 if kind == "LSTMCell" else 1)
            c["call"] = "lstm_cell_state" if kind == "LSTMCell" else "plain"
        c.update(cls=kind, args=[I, H], kw=kw, inputs=inputs)
        return c
    L = draw(st.integers(1, 2))
    bi = draw(st.booleans())
    kw.update(num_layers=L, batch_first=draw(st.booleans()), bidirectional=bi)
    if kind == "LSTM" and H > 1 and draw(st.integers(0, 2)) == 0:
        kw["proj_size"] = draw(st.integers(1, H - 1))
    if L > 1 and c["mode"] == "eval" and draw(st.booleans()):
        kw["dropout"] = 0.5    # inactive in eval mode: deterministic
    T = draw(st.integers(1, 4))
    packed = N > 0 and draw(st.integers(0, 3)) == 0
    unbatched = not packed and draw(st.integers(0, 4)) == 0
    if packed and kind == "LSTM":
        bad = False   # torch's LSTM does not check the input size of a packed input (test_torch_lstm_packed_input_size)
    shape = (T, I + bad) if unbatched else ((N, T, I + bad) if kw["batch_first"] else (T, N, I + bad))
    inputs = [_f(shape)]
    D = 2 if bi else 1
    if draw(st.booleans()):
        hout = kw.get("proj_size") or H
        hs = (D * L, hout) if unbatched else (D * L, N, hout)
        if not draw(st.integers(0, 10)):
            hs = hs[:-1] + (hs[-1] + 1,)
        inputs.append(_f(hs))
        if kind == "LSTM":
            inputs.append(_f(hs[:-1] + (H,)))
            c["call"] = "lstm_state"
    if packed:
        lengths = sorted([draw(st.integers(1, T)) for _ in range(N)], reverse=draw(st.sampled_from([True, True,
                                                                                                   False])))
        c["call"] = "packed_lstm" if c["call"] == "lstm_state" else "packed"
        c["call_kw"] = {"lengths": lengths, "enforce_sorted": draw(st.booleans())}
    c.update(cls=kind, args=[I, H], kw=kw, inputs=inputs)
    return c


@st.composite
def attention_cases(draw):
    """MultiheadAttention (kdim/vdim, bias_kv, zero_attn, batch_first, masks, need_weights, averaged or not,
    is_causal) and Transformer encoder/decoder layers (norm_first, activation, masks, key padding masks)."""
    kind = draw(st.sampled_from(["MultiheadAttention", "MultiheadAttention", "TransformerEncoderLayer",
                                 "TransformerDecoderLayer"]))
    c = _common(draw, half=False)
    heads = draw(st.sampled_from([1, 2]))
    E = heads * draw(st.integers(1, 3)) + (not draw(st.integers(0, 12)))
    if E <= 2 and kind != "MultiheadAttention" and c["dtype"] == "float32":
        # a LayerNorm over one or two features outputs constants (0 or +-1): the gradients through it are float32
        # rounding noise amplified by 1/std (differences of 1e-3 between the libraries), so such layers are
        # drawn in float64 only
        c["dtype"] = "float64"
    L, S, N = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.sampled_from([1, 2, 3]))
    bf = draw(st.booleans())
    unbatched = draw(st.integers(0, 4)) == 0
    seq = lambda n, e: (n, e) if unbatched else ((N, n, e) if bf else (n, N, e))  # noqa: E731
    dropout = draw(st.sampled_from([0.0, 0.0, 0.3])) if c["mode"] == "eval" else 0.0
    mask_kind = draw(st.sampled_from([None, None, "bool", "float", "causal"]))
    kpm = draw(st.sampled_from([None, None, "bool", "float"]))
    if kind == "MultiheadAttention":
        kdim, vdim = draw(st.sampled_from([None, None, 2, 3])), draw(st.sampled_from([None, None, 2, 4]))
        kw = {"dropout": dropout, "batch_first": bf, **draw(_opt(bias=[True, False], add_bias_kv=[True, False],
                                                                  add_zero_attn=[True, False]))}
        if kdim or vdim:
            kw.update(kdim=kdim or E, vdim=vdim or E)
        inputs = [_f(seq(L, E)), _f(seq(S, kdim or E)), _f(seq(S, vdim or E))]
        call_kw = draw(_opt(need_weights=[True, False], average_attn_weights=[True, False]))
        Sm = S
    else:
        kw = {"dim_feedforward": draw(st.integers(1, 6)), "dropout": dropout, "batch_first": bf,
              **draw(_opt(activation=["relu", "gelu"], norm_first=[True, False], bias=[True, False],
                          layer_norm_eps=[1e-5, 0.1]))}
        inputs = [_f(seq(L, E))]
        if kind == "TransformerDecoderLayer":
            inputs.append(_f(seq(S, E)))
        call_kw, Sm = {}, L
    names = {"MultiheadAttention": ("attn_mask", "key_padding_mask"),
             "TransformerEncoderLayer": ("src_mask", "src_key_padding_mask"),
             "TransformerDecoderLayer": ("tgt_mask", "tgt_key_padding_mask")}[kind]
    if mask_kind in ("bool", "float"):
        inputs.append({"kind": mask_kind, "shape": (L, Sm), "name": names[0], "grad": False, "low": -1.0,
                       "high": 1.0, "p": 0.75})
    elif mask_kind == "causal":
        call_kw = dict(call_kw, causal=True)
    if kpm and not unbatched:
        inputs.append({"kind": kpm, "shape": (N, Sm), "name": names[1], "grad": False, "low": -1.0, "high": 1.0,
                       "p": 0.75})
    c.update(cls=kind, args=[E, heads], kw=kw, inputs=inputs, call="attention", call_kw=call_kw)
    return c


# ---------------------------------------------------------------------- optimizers and data collation
_LR = st.sampled_from([1e-3, 0.1, 0.5, 1.0, 0.0, -0.1])
OPTIMIZERS = {
    "SGD": dict(lr=_LR, momentum=st.sampled_from([0.0, 0.9, 0.5, -0.1]), dampening=st.sampled_from([0.0, 0.1]),
                weight_decay=st.sampled_from([0.0, 0.01, -0.1]), nesterov=st.booleans(), maximize=st.booleans()),
    "Adam": dict(lr=_LR, betas=st.sampled_from([(0.9, 0.999), (0.5, 0.9), (0.0, 0.0), (1.0, 0.9), (0.9, -0.1)]),
                 eps=st.sampled_from([1e-8, 1e-3, -1.0]), weight_decay=st.sampled_from([0.0, 0.01]),
                 amsgrad=st.booleans(), maximize=st.booleans()),
    "AdamW": dict(lr=_LR, betas=st.sampled_from([(0.9, 0.999), (0.5, 0.9)]), eps=st.sampled_from([1e-8, 1e-3]),
                  weight_decay=st.sampled_from([0.0, 0.01, 0.5]), amsgrad=st.booleans(), maximize=st.booleans()),
    "RMSprop": dict(lr=_LR, alpha=st.sampled_from([0.99, 0.5, -0.1]), eps=st.sampled_from([1e-8, 1e-3]),
                    weight_decay=st.sampled_from([0.0, 0.01]), momentum=st.sampled_from([0.0, 0.9]),
                    centered=st.booleans(), maximize=st.booleans()),
    "Adagrad": dict(lr=_LR, lr_decay=st.sampled_from([0.0, 0.1, -0.1]), weight_decay=st.sampled_from([0.0, 0.01]),
                    initial_accumulator_value=st.sampled_from([0.0, 0.5, -1.0]), eps=st.sampled_from([1e-10, 1e-3]),
                    maximize=st.booleans()),
    "Adadelta": dict(lr=_LR, rho=st.sampled_from([0.9, 0.5, 1.5]), eps=st.sampled_from([1e-6, 1e-3]),
                     weight_decay=st.sampled_from([0.0, 0.01]), maximize=st.booleans()),
    "Adamax": dict(lr=_LR, betas=st.sampled_from([(0.9, 0.999), (0.5, 0.9)]), eps=st.sampled_from([1e-8, 1e-3]),
                   weight_decay=st.sampled_from([0.0, 0.01]), maximize=st.booleans()),
    "NAdam": dict(lr=_LR, betas=st.sampled_from([(0.9, 0.999), (0.5, 0.9)]), eps=st.sampled_from([1e-8, 1e-3]),
                  weight_decay=st.sampled_from([0.0, 0.01]), momentum_decay=st.sampled_from([4e-3, 0.1]),
                  decoupled_weight_decay=st.booleans(), maximize=st.booleans()),
    "RAdam": dict(lr=_LR, betas=st.sampled_from([(0.9, 0.999), (0.5, 0.9)]), eps=st.sampled_from([1e-8, 1e-3]),
                  weight_decay=st.sampled_from([0.0, 0.01]), decoupled_weight_decay=st.booleans(),
                  maximize=st.booleans()),
}


@st.composite
def optimizer_cases(draw):
    """An optimizer with drawn hyperparameters (some invalid), one or two parameter groups of random parameters
    (0-d and empty ones too, some without a gradient), and a few steps with fresh random gradients."""
    name = draw(st.sampled_from(sorted(OPTIMIZERS)))
    kw = draw(st.fixed_dictionaries({}, optional=OPTIMIZERS[name]))
    n = draw(st.integers(1, 3))
    return {"name": name, "kw": kw, "shapes": [draw(shapes(0, 3, max_side=3)) for _ in range(n)],
            "no_grad": [draw(st.sampled_from([False, False, False, True])) for _ in range(n)],
            "groups": draw(st.sampled_from([1, 1, 2])) if n > 1 else 1,
            "lr2": draw(st.sampled_from([0.01, 0.3])), "steps": draw(st.integers(1, 3)),
            "dtype": draw(float_dtypes()), "seed": draw(seeds)}


def _leaf_kinds():
    return st.sampled_from(["tensor", "tensor", "ndarray", "int", "float", "bool", "str"])


@st.composite
def sample_structures(draw, depth=0):
    """The structure of one dataset sample: a leaf kind (with a shape for tensors/arrays) or a dict/tuple/list of
    structures."""
    if depth >= 2 or draw(st.integers(0, 2)) == 0:
        kind = draw(_leaf_kinds())
        return {"leaf": kind, "shape": draw(shapes(0, 3, max_side=3)),
                "dtype": draw(st.sampled_from(["float32", "float64", "int64", "bool"]))}
    kind = draw(st.sampled_from(["dict", "tuple", "list"]))
    items = [draw(sample_structures(depth + 1)) for _ in range(draw(st.integers(1, 3)))]
    return {"node": kind, "items": items}


@st.composite
def collate_cases(draw):
    """default_collate of a batch of samples that share a drawn structure, now and then with one sample's tensor
    shape or sequence length changed (torch refuses those)."""
    return {"structure": draw(sample_structures()), "batch": draw(st.integers(1, 4)),
            "mismatch": not draw(st.integers(0, 5)), "seed": draw(seeds)}


@st.composite
def dataloader_cases(draw):
    """A DataLoader over a TensorDataset: batch_size (None too), drop_last, sequential order, collate options."""
    return {"n": draw(st.integers(0, 7)), "shapes": [draw(shapes(0, 2, max_side=3)) for _ in range(
        draw(st.integers(1, 2)))], "batch_size": draw(st.sampled_from([1, 2, 3, None, 0])),
        "drop_last": draw(st.booleans()), "dtype": draw(float_dtypes()), "seed": draw(seeds)}
