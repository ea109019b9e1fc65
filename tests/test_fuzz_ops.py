"""Fuzzing the tensor ops against torch: elementwise math and broadcasting, matrix products, reductions and scans,
shape and indexing ops, activations (and dropout where it is deterministic), interpolate, pad, losses,
scaled_dot_product_attention, linear/bilinear/embedding/one_hot.

Each test draws cases from ``fuzz_strategies`` (``NUMTORCH_FUZZ_EXAMPLES`` sets the budget) and runs them through
``check_call``: same exception class when torch refuses, otherwise the same outputs, dtypes, shapes and input
gradients. Every disagreement the fuzzer found is pinned below as an ``@example`` and as a named regression case.
"""
import numpy as np
import pytest
from hypothesis import given

import numtorch
from fuzz_strategies import (activation_cases, binary_cases, check_call, fuzz_settings, interpolate_cases,
                             linear_cases, loss_cases, make_array, matmul_cases, pad_cases, reduce_cases, run_case,
                             pin_regressions, sdpa_cases, shape_cases, ternary_cases, unary_cases)
from helpers import to_nt, to_torch, torch

pytestmark = pytest.mark.torch

_FLOAT_RANK = {"float16": 0, "float32": 1, "float64": 2}


def _tol_dtype(*dtypes):
    """The tolerance to use: that of the least precise floating dtype involved (float32 for ints and bool)."""
    floats = [d for d in dtypes if d in _FLOAT_RANK]
    return min(floats, key=_FLOAT_RANK.get) if floats else "float32"


# ---------------------------------------------------------------------- unary
def check_unary(case):
    x = make_array(case["shape"], case["dtype"], case["seed"], case["low"], case["high"],
                   special=case["special"] and case["dtype"].startswith("float"))
    op, kw = case["op"], case["kw"]
    check_call(lambda L, a: getattr(L, op)(a, **kw), [x], dtype=_tol_dtype(case["dtype"]))


@fuzz_settings(3)
@given(case=unary_cases())
def test_fuzz_unary(case):
    run_case(check_unary, case)


# ---------------------------------------------------------------------- binary
TORCH_BOOL_BACKWARD_BUG = ("logaddexp", "pow", "__pow__", "__rpow__", "atan2")


def check_binary(case):
    a = make_array(case["shape_a"], case["dtype_a"], case["seed"], special=case["special"])
    if case["other"] == "tensor":
        b = make_array(case["shape_b"], case["dtype_b"], case["seed"] + 1, special=case["special"])
        dtypes = (case["dtype_a"], case["dtype_b"])
    else:
        b, dtypes = None, (case["dtype_a"],)
    op, kw, scalar = case["op"], case["kw"], case["scalar"]

    def fn(L, x, *y):
        other = y[0] if y else scalar
        if op.startswith("__"):
            return getattr(x, op)(other)
        return getattr(L, op)(x, other, **kw)
    # torch's backward formulas of these subtract or negate the raw operands, which fails for a bool one although
    # only the float operand needs a gradient (test_torch_backward_bool_operand): compare the forward only
    torch_bug = op in TORCH_BOOL_BACKWARD_BUG and "bool" in dtypes
    check_call(fn, [a] if b is None else [a, b], dtype=_tol_dtype(*dtypes), forward_only=torch_bug)


@fuzz_settings(3)
@given(case=binary_cases())
def test_fuzz_binary(case):
    run_case(check_binary, case)


def check_ternary(case):
    arrays = [make_array(s, d, case["seed"] + i) for i, (s, d) in enumerate(zip(case["shapes"], case["dtypes"]))]
    op, scalar, value = case["op"], case["scalar"], case["value"]
    if op in ("where", "masked_fill"):
        arrays[0] = arrays[0] > 0 if arrays[0].dtype.kind == "f" else arrays[0] > 0

    def fn(L, c, a, b):
        if op == "where":
            return L.where(c, a, b if scalar is None else scalar)
        if op == "masked_fill":
            return a.masked_fill(c, scalar if scalar is not None else 1.5)
        if op == "lerp":
            return L.lerp(c, a, b if scalar is None else scalar)
        if op == "clamp_t":
            return L.clamp(c, a, b if scalar is None else None)
        return getattr(L, op)(c, a, b, value=value)
    # torch's clamp backward writes into an input-shaped buffer: it fails when a tensor bound that needs a gradient
    # enlarges the result (test_torch_clamp_tensor_bound_broadcast); compare the forward only then
    bounds = [s for s, d in zip(case["shapes"][1:], case["dtypes"][1:]) if d.startswith("float")]
    torch_bug = op == "clamp_t" and bounds and _broadcasts_up(case["shapes"][0], *case["shapes"][1:])
    # torch's addcdiv backward divides in the integer divisor's dtype (test_torch_addcdiv_int_divisor_backward)
    torch_bug = torch_bug or (op == "addcdiv" and case["dtypes"][2] == "int64" and case["dtypes"][1] != "int64")
    check_call(fn, arrays, dtype=_tol_dtype(*case["dtypes"]), forward_only=torch_bug)


def _broadcasts_up(shape, *others):
    try:
        return np.broadcast_shapes(shape, *others) != tuple(shape)
    except ValueError:
        return False


@fuzz_settings(1)
@given(case=ternary_cases())
def test_fuzz_ternary(case):
    run_case(check_ternary, case)


def check_matmul(case):
    a = make_array(case["shape_a"], case["dtype"], case["seed"])
    b = make_array(case["shape_b"], case["dtype_b"], case["seed"] + 1)
    op = case["op"]
    fn = (lambda L, x, y: x @ y) if op == "__matmul__" else (lambda L, x, y: getattr(L, op)(x, y))
    if (case["dtype"] != case["dtype_b"] and 0 in case["shape_a"] + case["shape_b"]
            and max(len(case["shape_a"]), len(case["shape_b"])) >= 3):
        # torch skips its dtype check for some empty batched products (test_torch_matmul_empty_mixed_dtypes)
        return
    check_call(fn, [a, b], dtype=_tol_dtype(case["dtype"], case["dtype_b"]))


@fuzz_settings(1)
@given(case=matmul_cases())
def test_fuzz_matmul(case):
    run_case(check_matmul, case)


# ---------------------------------------------------------------------- reductions
def _no_dof(case):
    """Whether a var/std case reduces no more elements than its correction (degrees of freedom <= 0)."""
    shape, dim, kw = case["shape"], case["dim"], case["kw"]
    nd = len(shape)
    if dim is None or dim == ():
        n = int(np.prod(shape))
    else:
        dims = dim if isinstance(dim, tuple) else (dim,)
        n = int(np.prod([shape[d % nd] for d in dims if nd and -nd <= d < nd] or [1]))
    correction = kw.get("correction", 1 if kw.get("unbiased", True) else 0)
    return n <= correction


def check_reduce(case):
    op, dim, keepdim, kw = case["op"], case["dim"], case["keepdim"], dict(case["kw"])
    # torch's mode counts each nan apart and then reports odd indices; its var_mean/std_mean mean is nan beside an
    # infinity (Welford), unlike torch.mean (test_torch_var_mean_inf); its var/std gradients with no degrees of
    # freedom left beside infinities follow no rule we could pin down: none of these is drawn with those values
    special = case["special"] and case["dtype"].startswith("float")
    x = make_array(case["shape"], case["dtype"], case["seed"], special=special, nan=op != "mode",
                   inf=op not in ("var_mean", "std_mean") and not (op in ("var", "std") and _no_dof(case)))
    ties = case["dtype"] in ("int64", "bool") or special

    def fn(L, a):
        kws = dict(kw)
        if "dtype" in kws:
            kws["dtype"] = getattr(L, kws["dtype"])
        if op in ("softmax", "log_softmax", "cumsum", "cumprod"):
            return getattr(L, op)(a, dim, **kws)
        if op == "topk":
            res = L.topk(a, dim=dim, **kws)
            # torch does not define which of equal values topk reports (integers and special values tie)
            return res.values if ties else res
        if op in ("sort", "argsort"):
            return getattr(L, op)(a, dim=-1 if dim is None else dim, **kws)
        if op == "msort":
            return L.msort(a)
        if op == "count_nonzero":
            return L.count_nonzero(a, dim=dim)
        if op == "aminmax":
            return L.aminmax(a, dim=dim, keepdim=keepdim)
        if op == "mode":
            return L.mode(a, dim=-1 if dim is None else dim, keepdim=keepdim)
        if op == "norm":
            return L.norm(a, dim=dim, keepdim=keepdim, **kws)
        if dim is None:
            if op in ("logsumexp",):
                return L.logsumexp(a, dim=tuple(range(a.ndim)), keepdim=keepdim)
            return getattr(L, op)(a, **kws)
        return getattr(L, op)(a, dim, keepdim=keepdim, **kws)
    # torch's var/std backward reads dim=() as "no reduction" while the forward reduces everything
    # (test_torch_var_empty_dim_backward): compare the forward only there
    torch_bug = op in ("var", "std", "var_mean", "std_mean") and dim == () and x.size > 1
    tie_grads = op == "topk" and ties  # the gradient goes to whichever tied element torch picked
    check_call(fn, [x], dtype=_tol_dtype(case["dtype"], kw.get("dtype", case["dtype"])),
               forward_only=torch_bug or tie_grads)


@fuzz_settings(3)
@given(case=reduce_cases())
def test_fuzz_reduce(case):
    run_case(check_reduce, case)


# ---------------------------------------------------------------------- activations
#: torch's gradient at a nan input of these depends on the element's position (its vectorized kernels and their
#: scalar tail disagree: 0 vs g for hardtanh/relu6/shrink, g vs nan for the ELU family in float64, ...), so the
#: fuzzer gives them special values without nan; test_nan_input_grad covers the ops where torch is consistent.
TORCH_NAN_GRAD_INCONSISTENT = ("relu6", "selu", "hardswish", "elu", "celu", "hardtanh", "softshrink", "hardshrink")


def check_activation(case):
    op, kw, inplace, dtype = case["op"], dict(case["kw"]), case["inplace"], case["dtype"]
    x = make_array(case["shape"], dtype, case["seed"], special=case["special"],
                   nan=op not in TORCH_NAN_GRAD_INCONSISTENT,
                   inf=not (op == "gelu" and kw.get("approximate", "none") == "none"))  # test_torch_gelu_inf
    arrays = [x]
    if op == "prelu":
        k = kw.pop("num_parameters")
        k = (case["shape"][1] if len(case["shape"]) >= 2 else 1) if k == "C" else k
        arrays.append(make_array((k,), dtype, case["seed"] + 1))

    def fn(L, a, *w):
        F = L.nn.functional
        kws = dict(kw)
        if "dtype" in kws:
            kws["dtype"] = getattr(L, kws["dtype"])
        if op == "prelu":
            return F.prelu(a, w[0])
        if op == "rrelu":
            kws["training"] = False
        if inplace:
            target = a * 1 if inplace == "clone" else a
            out = getattr(F, op)(target, inplace=True, **kws)
            assert out is target, "in-place activation must return its input"
            return out
        return getattr(F, op)(a, **kws)
    check_call(fn, arrays, dtype=dtype)


@fuzz_settings(3)
@given(case=activation_cases())
def test_fuzz_activation(case):
    run_case(check_activation, case)


# ---------------------------------------------------------------------- shape and indexing
def _index_for(L, index, seed):
    rng = np.random.default_rng(seed)
    out = []
    for c in index:
        if isinstance(c, tuple) and c and c[0] == "mask":
            out.append(L.from_numpy(rng.random(c[1]) < 0.5) if L is not torch else torch.from_numpy(
                rng.random(c[1]) < 0.5))
        elif isinstance(c, list):
            out.append(list(c))
        else:
            out.append(c)
    return tuple(out)


def check_shape(case):
    op, shape, d, a, dtype, seed = case["op"], case["shape"], case["dim"], case["args"], case["dtype"], case["seed"]
    x = make_array(shape, dtype, seed, low=-3, high=3)
    arrays, rng = [x], np.random.default_rng(seed + 7)
    nd = len(shape)
    size_d = shape[d] if nd and -nd <= d < nd else 1

    def idx(shape_, high):
        v = rng.integers(0, max(high, 1), shape_) if high else np.zeros(shape_, np.int64)
        if v.size and not rng.integers(0, 8):
            v.flat[0] = high  # one out of range
        return np.asarray(v, dtype=np.int64)

    if op in ("cat", "stack"):
        mixed = a["mixed"] or dtype
        arrays += [make_array(s, mixed, seed + 1 + i) for i, s in enumerate(a["others"])]
    elif op == "gather":
        arrays.append(idx(a["index_shape"], size_d))
    elif op == "take_along_dim":  # in range: torch wraps others silently (test_torch_take_along_dim_wraps)
        arrays.append(np.asarray(rng.integers(0, max(size_d, 1), a["index_shape"]), dtype=np.int64))
    elif op == "scatter_add":
        arrays += [idx(a["index_shape"], size_d), make_array(a["index_shape"], dtype, seed + 2)]
    elif op in ("index_select", "index_add"):
        ishape = {0: (), 1: (a["n"],), 2: (1, a["n"])}[a["index_nd"]]
        arrays.append(idx(ishape, size_d))
        if op == "index_add":
            src = list(shape) or [1]
            if nd and -nd <= d < nd:
                src[d] = a["n"]
            arrays.append(make_array(tuple(src), dtype, seed + 2))
    elif op == "setitem":
        try:
            rshape = tuple(to_torch(x)[_index_for(torch, a["index"], seed)].shape)
        except Exception:
            rshape = (1,)
        if a["value"] != "scalar":
            arrays.append(make_array(rshape if a["value"] == "tensor" else (1,), dtype, seed + 3))
    elif op == "repeat_interleave" and a["repeats"] == "tensor":
        n = size_d if a["dim"] is not None else int(np.prod(shape))
        arrays.append(np.asarray(rng.integers(0, 3, (n,)), dtype=np.int64))
    elif op == "masked_select":
        arrays.append(np.asarray(rng.random(shape) < 0.5))

    def fn(L, t, *more):
        if op == "reshape":
            return t.reshape(a["shape"])
        if op == "view":
            return (t.transpose(0, 1) if a["transposed"] else t).view(a["shape"])
        if op == "permute":
            return t.permute(a["dims"])
        if op == "transpose":
            return t.transpose(d, a["d1"])
        if op == "movedim":
            return L.movedim(t, d, a["d1"])
        if op == "squeeze":
            return t.squeeze() if a["dim"] is None else t.squeeze(a["dim"])
        if op == "unsqueeze":
            return t.unsqueeze(a["dim"])
        if op == "flatten":
            return t.flatten(a["start"], a["end"])
        if op == "unflatten":
            return t.unflatten(d, a["sizes"])
        if op == "expand":
            return t.expand(*a["sizes"])
        if op == "repeat":
            return t.repeat(*a["reps"])
        if op == "tile":
            return t.tile(a["reps"])
        if op == "flip":
            return t.flip(a["dims"])
        if op == "roll":
            return t.roll(a["shifts"], a["dims"])
        if op == "narrow":
            return t.narrow(d, a["start"], a["length"])
        if op == "select":
            return t.select(d, a["index"])
        if op in ("split", "chunk", "tensor_split"):
            n = a["n"]
            if op == "chunk" and isinstance(n, list):
                n = n[0]
            return getattr(L, op)(t, n, d)
        if op == "unbind":
            return t.unbind(d)
        if op in ("cat", "stack"):
            return getattr(L, op)(([t] + list(more))[:a["count"]], d)
        if op in ("tril", "triu"):
            return getattr(L, op)(t, a["diagonal"])
        if op == "diagonal":
            return t.diagonal(a["offset"], a["d1"], a["d2"])
        if op == "getitem":
            return t[_index_for(L, a["index"], seed)]
        if op == "setitem":
            y = t.clone()
            y[_index_for(L, a["index"], seed)] = more[0] if more else (1.5 if dtype != "int64" else 2)
            return y
        if op == "gather":
            return L.gather(t, d, more[0])
        if op == "take_along_dim":
            return L.take_along_dim(t, more[0], d)
        if op == "scatter_add":
            return L.scatter_add(t, d, more[0], more[1])
        if op == "index_select":
            return L.index_select(t, d, more[0])
        if op == "index_add":
            return L.index_add(t, d, more[0], more[1], alpha=2)
        if op == "repeat_interleave":
            reps = more[0] if more else a["repeats"]
            return L.repeat_interleave(t, reps, dim=a["dim"])
        if op == "t":
            return t.t()
        if op == "masked_select":
            return L.masked_select(t, more[0])
        if op == "diag":
            return L.diag(t, a["diagonal"])
        if op == "diag_embed":
            return L.diag_embed(t, a["offset"])
        if op == "einsum":
            return L.einsum(a["eq"], t, *([t.reshape(-1)[:t.shape[-1]]] if "," in a["eq"] else []))
        raise AssertionError(op)
    check_call(fn, arrays, dtype=_tol_dtype(dtype))


@fuzz_settings(4)
@given(case=shape_cases())
def test_fuzz_shape(case):
    run_case(check_shape, case)


# ---------------------------------------------------------------------- interpolate, pad
def _torch_antialias_bug(x, mode, kw):
    """torch's separable antialiased bilinear/bicubic kernel copies the first output row everywhere when the output
    width is 1 and the height changes (test_torch_antialias_width_one)."""
    if not (kw.get("antialias") and mode in ("bilinear", "bicubic") and x.ndim == 4):
        return False
    try:
        out = tuple(torch.nn.functional.interpolate(to_torch(x), mode=mode, **kw).shape)
    except Exception:
        return False
    return out[-1] == 1 and out[-2] != x.shape[-2]


def check_interpolate(case):
    x = make_array(case["shape"], case["dtype"], case["seed"])
    mode, kw = case["mode"], case["kw"]
    fn = lambda L, a: L.nn.functional.interpolate(a, mode=mode, **kw)   # noqa: E731
    if _torch_antialias_bug(x, mode, kw):   # torch's values are wrong there: compare shapes and dtypes only
        ours, theirs = fn(numtorch, to_nt(x)), fn(torch, to_torch(x))
        assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype)[9:] == str(theirs.dtype)[6:]
        return
    check_call(fn, [x], dtype=case["dtype"])


@fuzz_settings(2)
@given(case=interpolate_cases())
def test_fuzz_interpolate(case):
    run_case(check_interpolate, case)


def check_pad(case):
    x = make_array(case["shape"], case["dtype"], case["seed"])
    kw = {"mode": case["mode"]}
    if case["value"] is not None:
        kw["value"] = case["value"]
    fn = lambda L, a: L.nn.functional.pad(a, case["pad"], **kw)   # noqa: E731
    if case["mode"] == "circular" and min(case["pad"]) < 0:
        # torch's circular padding with a negative (cropping) pad reads uninitialised memory, refuses some pads
        # with an aliasing error and gives wrong gradients (test_torch_circular_pad_negative): nothing to compare
        return
    check_call(fn, [x], dtype=case["dtype"])


@fuzz_settings(2)
@given(case=pad_cases())
def test_fuzz_pad(case):
    run_case(check_pad, case)


# ---------------------------------------------------------------------- losses
def _loss_inputs(case):
    """(arrays, requires_grad flags, fn(L, *tensors)) for a loss case."""
    loss, n, c, extra, kw = case["loss"], case["n"], case["c"], case["extra"], dict(case["kw"])
    dtype, seed, unb = case["dtype"], case["seed"], case["unbatched"]
    rng = np.random.default_rng(seed)
    full = (n, c) + extra
    bad = (lambda s: s[:-1] + (s[-1] + 1,) if s else (2,)) if case["bad_target"] else (lambda s: s)
    f = lambda s, lo=-2.0, hi=2.0: np.asarray(rng.uniform(lo, hi, s)).astype(dtype)   # noqa: E731
    sign = lambda s: np.asarray(rng.choice([-1.0, 1.0], s)).astype(dtype)            # noqa: E731
    weight = case.get("weight")
    tgrad = case.get("target_grad", False)
    arrays, flags, extra_kw = [], [], {}

    def add(a, g):
        arrays.append(a)
        flags.append(g)

    if loss in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
        add(f(full), True), add(f(bad(full)), True)
    elif loss == "soft_margin_loss":
        add(f(full), True), add(sign(bad(full)), False)
    elif loss in ("binary_cross_entropy", "binary_cross_entropy_with_logits", "multilabel_soft_margin_loss"):
        if loss == "multilabel_soft_margin_loss":
            full = (c,) if unb else (n, c)
        lo, hi = (0.02, 0.98) if loss == "binary_cross_entropy" else (-3.0, 3.0)
        add(f(full, lo, hi), True)
        add((f(bad(full), 0.0, 1.0) if loss != "multilabel_soft_margin_loss"
             else np.asarray(rng.integers(0, 2, bad(full))).astype(dtype)), False)
        if weight:
            add(f({"full": full, "last": full[-1:], "bad": (c + 1, 2)}[weight], 0.1, 2.0), False)
            extra_kw["weight"] = len(arrays) - 1
        if case.get("pos_weight"):
            add(f(full[-1:] if case["pos_weight"] == "last" else (c + 1,), 0.1, 3.0), False)
            extra_kw["pos_weight"] = len(arrays) - 1
    elif loss in ("cross_entropy", "nll_loss", "cross_entropy_prob", "multi_margin_loss"):
        if loss == "multi_margin_loss":
            full = (c,) if unb else (n, c)
        elif unb:
            full = (c,)
        add(f(full), True)
        tshape = full[:1] + full[2:] if len(full) > 1 else ()
        if loss == "cross_entropy_prob":
            p = np.asarray(rng.uniform(0.01, 1.0, bad(full)))
            add((p / p.sum(axis=min(1, p.ndim - 1), keepdims=True)).astype(dtype), False)
        else:
            t = np.asarray(rng.integers(0, c, bad(tshape) if case["bad_target"] else tshape), dtype=np.int64)
            if case.get("ignore") is not None and t.size:
                t.flat[::2] = case["ignore"]
                extra_kw["ignore_index"] = case["ignore"]
            if case.get("target_oob") and t.size:
                t.flat[-1] = c
            add(t, False)
        if weight:
            add(f((c,) if weight == "class" else (c + 1,), 0.1, 2.0), False)
            extra_kw["weight"] = len(arrays) - 1
    elif loss == "kl_div":
        add(f(full), True)
        add(f(bad(full)) if kw.get("log_target") else f(bad(full), 0.0, 1.0), False)
    elif loss == "poisson_nll_loss":
        add(f(full) if kw.get("log_input", True) else f(full, 0.05, 2.0), True)
        add(np.asarray(rng.integers(0, 4, bad(full))).astype(dtype), False)
    elif loss == "gaussian_nll_loss":
        add(f(full), True), add(f(bad(full)), True)
        v = case["var"]
        if v == "scalar":
            extra_kw["var_scalar"] = 0.7
        else:
            add(f({"full": full, "one": full[:-1] + (1,), "drop": full[:-1], "bad": full[:-1] + (c + 1,)}[v],
                  0.1, 2.0), True)
    elif loss == "margin_ranking_loss":
        add(f((n,)), True), add(f((n,)), True), add(sign(bad((n,))), False)
    elif loss == "hinge_embedding_loss":
        add(f(full), True), add(sign(bad(full)), False)
    elif loss == "cosine_embedding_loss":
        s = (c,) if unb else (n, c)
        add(f(s), True), add(f(s), True), add(sign(() if unb else bad((n,))), False)
    elif loss == "triplet_margin_loss":
        s = (c,) if unb else (n, c)
        add(f(s), True), add(f(s), True), add(f(bad(s)), True)
    # a target that is floating may ask for a gradient too (torch refuses for some losses); not for poisson_nll_loss
    # with full=True, whose target gradient torch makes nan at 0 (test_torch_poisson_full_target_grad)
    if tgrad and len(arrays) > 1 and arrays[1].dtype.kind == "f" and not (loss == "poisson_nll_loss"
                                                                          and kw.get("full")):
        flags[1] = True
    if loss == "multi_margin_loss" and not unb and n == 0 and kw["reduction"] in ("mean", "sum"):
        kw["reduction"] = "none"  # torch's mean and sum over no samples return uninitialised memory

    def fn(L, *xs):
        F = L.nn.functional
        kws = dict(kw)
        for k, i in extra_kw.items():
            if k in ("weight", "pos_weight"):
                kws[k] = xs[i]
            elif k == "ignore_index":
                kws[k] = i
        if loss == "cross_entropy_prob":
            return F.cross_entropy(xs[0], xs[1], **kws)
        if loss == "gaussian_nll_loss":
            var = extra_kw.get("var_scalar", xs[2] if len(xs) > 2 else None)
            return F.gaussian_nll_loss(xs[0], xs[1], var, **kws)
        if loss == "margin_ranking_loss" or loss == "cosine_embedding_loss":
            return getattr(F, loss)(xs[0], xs[1], xs[2], **kws)
        if loss == "triplet_margin_loss":
            return F.triplet_margin_loss(xs[0], xs[1], xs[2], **kws)
        return getattr(F, loss)(xs[0], xs[1], **kws)
    return arrays, flags, fn


def check_loss(case):
    arrays, flags, fn = _loss_inputs(case)
    check_call(fn, arrays, dtype=case["dtype"], grad=flags)


@fuzz_settings(4)
@given(case=loss_cases())
def test_fuzz_loss(case):
    run_case(check_loss, case)


# ---------------------------------------------------------------------- attention
def check_sdpa(case):
    b, L_, S, E, Ev, dtype, seed = case["batch"], case["L"], case["S"], case["E"], case["Ev"], case["dtype"], \
        case["seed"]
    kw = dict(case["kw"])
    qb = b[:-1] + (b[-1] * 2,) if case["gqa"] else b
    if case["gqa"]:
        kw["enable_gqa"] = True
    arrays = [make_array(qb + (L_, E), dtype, seed), make_array(b + (S, E), dtype, seed + 1),
              make_array(b + (S, Ev), dtype, seed + 2)]
    rng = np.random.default_rng(seed + 3)
    m = case["mask"]
    if m:
        mshape = {"bool": (L_, S), "float": (L_, S), "bool_row": (L_, 1), "float_b": qb + (L_, S),
                  "bad": (L_ + 1, S)}[m]
        arrays.append(np.asarray(rng.random(mshape) < 0.7) if m.startswith("bool")
                      else make_array(mshape, dtype, seed + 4))

    def fn(L, q, k, v, *mask):
        return L.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask[0] if mask else None, **kw)
    check_call(fn, arrays, dtype=dtype)


@fuzz_settings(2)
@given(case=sdpa_cases())
def test_fuzz_sdpa(case):
    run_case(check_sdpa, case)


# ---------------------------------------------------------------------- linear, bilinear, embedding, one_hot
def check_linear(case):
    op, lead, i1, i2, o, dtype, seed = (case["op"], case["lead"], case["in1"], case["in2"], case["out"],
                                         case["dtype"], case["seed"])
    kw = case["kw"]
    rng = np.random.default_rng(seed)
    bump = 1 if case["mismatch"] else 0
    if op == "linear":
        w = (i1 + bump,) if case["weight_1d"] else (o, i1 + bump)
        arrays = [make_array(lead + (i1,), dtype, seed), make_array(w, dtype, seed + 1)]
        if case["bias"]:
            arrays.append(make_array(w[:-1], dtype, seed + 2))
        fn = lambda L, *xs: L.nn.functional.linear(*xs)   # noqa: E731
    elif op == "bilinear":
        arrays = [make_array(lead + (i1,), dtype, seed), make_array(lead + (i2 + bump,), dtype, seed + 1),
                  make_array((o, i1, i2), dtype, seed + 2)]
        if case["bias"]:
            arrays.append(make_array((o,), dtype, seed + 3))
        fn = lambda L, *xs: L.nn.functional.bilinear(*xs)   # noqa: E731
    elif op == "embedding":
        num = i1 + 1
        ids = np.asarray(rng.integers(0, num + bump, lead), dtype=np.int64)
        arrays = [ids, make_array((num, o + 1), dtype, seed + 1)]
        weights = {}

        def fn(L, i, w):
            weights[L.__name__] = w
            return L.nn.functional.embedding(i, w, **kw)
        check_call(fn, arrays, dtype=dtype, buffers=lambda L: {"weight": weights[L.__name__].detach()})
        return
    else:
        ids = np.asarray(rng.integers(-bump, 3, lead), dtype=np.int64)
        arrays = [ids]
        fn = lambda L, i: L.nn.functional.one_hot(i, **kw)   # noqa: E731
    check_call(fn, arrays, dtype=dtype)


@fuzz_settings(2)
@given(case=linear_cases())
def test_fuzz_linear(case):
    run_case(check_linear, case)


# ---------------------------------------------------------------------- regressions
#: Every disagreement the fuzzer found: name -> (family, case, what was wrong). Each runs as an ``@example`` of its
#: family's hypothesis test and as a named test of its own (test_regression[<name>]).
REGRESSIONS = {
    "median_empty_keeps_grad_fn": ("reduce", {
        'op': 'median', 'shape': (1, 0), 'dtype': 'float32', 'dim': None, 'keepdim': True, 'kw': {}, 'seed': 171,
        'special': False}, "median of an empty tensor was a detached nan; torch's has MedianBackward0"),
    "nanmedian_empty_keeps_grad_fn": ("reduce", {
        'op': 'nanmedian', 'shape': (3, 3, 0, 4), 'dtype': 'float32', 'dim': None, 'keepdim': True, 'kw': {},
        'seed': 3193, 'special': False}, "the same for nanmedian"),
    "floor_divide_backward_not_implemented": ("binary", {
        'op': 'floor_divide', 'shape_a': (3, 2, 2, 2), 'shape_b': (2, 2, 2), 'dtype_a': 'float32',
        'dtype_b': 'int64', 'other': 'tensor', 'scalar': 0.5, 'seed': 2, 'special': True, 'kw': {}},
        "floor_divide's backward crashed with ValueError; torch raises 'derivative ... not implemented'"),
    "floor_divide_inf_is_nan": ("binary", {
        'op': 'floor_divide', 'shape_a': (3, 2, 1, 2), 'shape_b': (2, 2, 2), 'dtype_a': 'float32',
        'dtype_b': 'int64', 'other': 'tensor', 'scalar': 0.5, 'seed': 2103, 'special': True, 'kw': {}},
        "inf // 2 gave inf (floor(a / b)); torch's (Python's) floor division gives nan"),
    "div_floor_backward": ("binary", {
        'op': 'div', 'shape_a': (2, 3), 'shape_b': (3,), 'dtype_a': 'float32', 'dtype_b': 'float32',
        'other': 'tensor', 'scalar': 0.5, 'seed': 5, 'special': True, 'kw': {'rounding_mode': 'floor'}},
        "div(rounding_mode=...) backward crashed unpacking needs_input_grad"),
    "sub_one_bool_operand": ("binary", {
        'op': 'sub', 'shape_a': (1, 0, 1), 'shape_b': (3, 1, 0, 1), 'dtype_a': 'bool', 'dtype_b': 'float32',
        'other': 'tensor', 'scalar': -1.5, 'seed': 15034, 'special': True, 'kw': {}},
        "bool - float was computed; torch refuses subtraction with any bool operand"),
    "floordiv_two_bools": ("binary", {
        'op': '__floordiv__', 'shape_a': (), 'shape_b': (1,), 'dtype_a': 'bool', 'dtype_b': 'bool',
        'other': 'tensor', 'scalar': -1.5, 'seed': 1, 'special': False, 'kw': {}},
        "bool // bool gave float64; torch raises NotImplementedError for Bool"),
    "sdpa_empty_ignores_causal_mask": ("sdpa", {
        'batch': (2, 3), 'L': 0, 'S': 1, 'E': 1, 'Ev': 4, 'mask': 'float', 'kw': {'is_causal': True},
        'gqa': False, 'dtype': 'float32', 'seed': 16},
        "an empty query with a mask and is_causal raised; torch returns zeros before that check"),
    "sdpa_empty_ignores_mask_shape": ("sdpa", {
        'batch': (0, 2), 'L': 2, 'S': 2, 'E': 3, 'Ev': 3, 'mask': 'bad', 'kw': {'scale': 0.5}, 'gqa': False,
        'dtype': 'float32', 'seed': 2497}, "the same with a mask that does not broadcast"),
    "bilinear_zero_in_features": ("linear", {
        'op': 'bilinear', 'lead': (1, 1, 2), 'in1': 3, 'in2': 0, 'out': 3, 'bias': False, 'weight_1d': False,
        'kw': {}, 'mismatch': False, 'dtype': 'float32', 'seed': 3},
        "ValueError from NumPy's reshape; torch raises RuntimeError"),
    "bilinear_zero_out_features": ("linear", {
        'op': 'bilinear', 'lead': (3, 3, 3), 'in1': 4, 'in2': 4, 'out': 0, 'bias': False, 'weight_1d': False,
        'kw': {}, 'mismatch': False, 'dtype': 'float64', 'seed': 2},
        "zero out_features crashed; torch returns an empty result"),
    "linear_1d_weight_0d_bias": ("linear", {
        'op': 'linear', 'lead': (), 'in1': 3, 'in2': 1, 'out': 3, 'bias': True, 'weight_1d': True, 'kw': {},
        'mismatch': False, 'dtype': 'float32', 'seed': 32043},
        "1-d input, 1-d weight and 0-d bias raised; torch computes dot + bias"),
    "matmul_backward_zero_inner_dim": ("linear", {
        'op': 'linear', 'lead': (1, 1), 'in1': 0, 'in2': 1, 'out': 1, 'bias': False, 'weight_1d': True,
        'kw': {}, 'mismatch': False, 'dtype': 'float64', 'seed': 0},
        "matmul backward folded rows with reshape(-1, 0), which fails"),
    "tensor_split_0d": ("shape", {'op': 'tensor_split', 'shape': (), 'dtype': 'float32', 'seed': 0, 'dim': 0,
                                  'args': {'n': 1}}, "IndexError instead of torch's RuntimeError"),
    "chunk_0d": ("shape", {'op': 'chunk', 'shape': (), 'dtype': 'float32', 'seed': 0, 'dim': -1,
                           'args': {'n': [3, 1]}}, "IndexError instead of torch's RuntimeError"),
    "split_0d": ("shape", {'op': 'split', 'shape': (), 'dtype': 'float64', 'seed': 0, 'dim': 0, 'args': {'n': 1}},
                 "IndexError instead of torch's RuntimeError"),
    "unflatten_0d": ("shape", {'op': 'unflatten', 'shape': (), 'dtype': 'float64', 'seed': 0, 'dim': -1,
                               'args': {'sizes': (-1,)}}, "a 0-d tensor was unflattened; torch refuses"),
    "scatter_add_0d": ("shape", {'op': 'scatter_add', 'shape': (), 'dtype': 'float32', 'seed': 0, 'dim': 0,
                                 'args': {'index_shape': ()}}, "IndexError from an empty stride list"),
    "repeat_no_sizes": ("shape", {'op': 'repeat', 'shape': (), 'dtype': 'float32', 'seed': 0, 'dim': 0,
                                  'args': {'reps': ()}}, "repeat() without sizes must raise TypeError"),
    "expand_no_sizes": ("shape", {'op': 'expand', 'shape': (), 'dtype': 'float32', 'seed': 0, 'dim': -1,
                                  'args': {'sizes': ()}}, "expand() without sizes must raise TypeError"),
    "movedim_0d": ("shape", {'op': 'movedim', 'shape': (), 'dtype': 'float64', 'seed': 0, 'dim': -1,
                             'args': {'d1': -1}}, "movedim(-1, -1) of a 0-d tensor crashed in NumPy"),
    "flatten_0d_dim_range": ("shape", {'op': 'flatten', 'shape': (), 'dtype': 'float32', 'seed': 0, 'dim': -1,
                                       'args': {'start': -2, 'end': -1}}, "flatten of a 0-d tensor skipped the "
                                                                           "dim range check"),
    "multilabel_soft_margin_larger_target": ("loss", {
        'loss': 'multilabel_soft_margin_loss', 'n': 2, 'c': 1, 'extra': (), 'seed': 0, 'dtype': 'float32',
        'unbatched': False, 'bad_target': True, 'target_grad': True, 'weight': None, 'kw': {'reduction': 'mean'}},
        "the target gradient failed to unbroadcast when the target is larger than the input"),
    "multilabel_soft_margin_error_order": ("loss", {
        'loss': 'multilabel_soft_margin_loss', 'n': 0, 'c': 3, 'extra': (1, 1), 'seed': 1141,
        'dtype': 'float64', 'unbatched': False, 'bad_target': True, 'target_grad': True, 'weight': None,
        'kw': {'reduction': 'bad'}}, "torch's broadcast error comes before the reduction ValueError"),
    "soft_margin_target_broadcasts_input": ("loss", {
        'loss': 'soft_margin_loss', 'n': 3, 'c': 1, 'extra': (), 'seed': 4, 'dtype': 'float32',
        'unbatched': False, 'bad_target': True, 'target_grad': False, 'kw': {'reduction': 'mean'}},
        "a target that enlarges the input was accepted; torch raises its output-shape error"),
    "smooth_l1_error_order": ("loss", {
        'loss': 'smooth_l1_loss', 'n': 2, 'c': 4, 'extra': (2, 2), 'seed': 1, 'dtype': 'float32',
        'unbatched': False, 'bad_target': True, 'target_grad': False, 'kw': {'reduction': 'bad'}},
        "torch's broadcast error comes before the reduction ValueError"),
    "triplet_broadcast_negative": ("loss", {
        'loss': 'triplet_margin_loss', 'n': 3, 'c': 1, 'extra': (), 'seed': 0, 'dtype': 'float32',
        'unbatched': False, 'bad_target': True, 'target_grad': True, 'kw': {'reduction': 'sum'}},
        "the anchor gradient counted the anchor-positive term once per broadcast copy of the negative"),
    "add_number_with_alpha": ("binary", {
        'op': 'add', 'shape_a': (), 'shape_b': (), 'dtype_a': 'float32', 'dtype_b': 'float32', 'other': 'int',
        'scalar': 2, 'seed': 0, 'special': False, 'kw': {'alpha': 2}},
        "x.add(2, alpha=2) crashed in mul(2, 2)"),
    "softsign_0d_backward": ("activation", {
        'op': 'softsign', 'shape': (), 'dtype': 'float32', 'seed': 0, 'special': False, 'kw': {}, 'inplace': False},
        "the backward wrote into a NumPy scalar"),
    "sdpa_causal_and_mask_on_flash_path": ("sdpa", {
        'batch': (1, 2), 'L': 3, 'S': 3, 'E': 2, 'Ev': 2, 'mask': 'bool_row', 'kw': {'is_causal': True},
        'gqa': True, 'dtype': 'float64', 'seed': 566},
        "attn_mask with is_causal was refused; torch's CPU flash kernel (4-d inputs) applies both"),
    "median_bool_empty_dim": ("reduce", {
        'op': 'median', 'shape': (0,), 'dtype': 'bool', 'dim': 0, 'keepdim': True, 'kw': {}, 'seed': 0,
        'special': False}, "the Bool dtype error came before torch's empty-dim IndexError"),
    "acosh_grad_at_minus_one": ("unary", {
        'op': 'acosh', 'shape': (3,), 'dtype': 'float64', 'seed': 378, 'special': True, 'kw': {}, 'low': -2.0,
        'high': 2.0}, "the gradient at x = -1 was -inf ((x-1)(x+1) = -0); torch's is +inf"),
    "cat_only_empty_1d_ignores_dim": ("shape", {
        'op': 'cat', 'shape': (0,), 'dtype': 'float32', 'seed': 2, 'dim': -2,
        'args': {'others': [(0,)], 'count': 2, 'mixed': None}},
        "cat of (0,) tensors checked dim; torch returns the empty result"),
    "kl_div_error_order": ("loss", {
        'loss': 'kl_div', 'n': 0, 'c': 3, 'extra': (), 'seed': 3870, 'dtype': 'float64', 'unbatched': False,
        'bad_target': True, 'target_grad': False, 'kw': {'reduction': 'bad'}},
        "torch's reduction ValueError comes before the broadcast error"),
    "multilabel_soft_margin_class_dim": ("loss", {
        'loss': 'multilabel_soft_margin_loss', 'n': 3, 'c': 1, 'extra': (), 'seed': 1, 'dtype': 'float64',
        'unbatched': True, 'bad_target': False, 'target_grad': True, 'weight': 'bad', 'kw': {'reduction': 'none'}},
        "with a weight of more dims, the sum ran over the last dim instead of the input's (counted from the front)"),
    "cumprod_size1_dim_passes_grad": ("reduce", {
        'op': 'cumprod', 'shape': (2, 1, 1), 'dtype': 'float32', 'dim': 1, 'keepdim': False, 'kw': {}, 'seed': 469,
        'special': True}, "along a size-1 dim torch passes g through; numtorch's g*y/x was nan at inf"),
    "fmod_int_zero_divisor_empty_result": ("binary", {
        'op': 'fmod', 'shape_a': (1, 0, 1, 1), 'shape_b': (2, 1, 1, 1), 'dtype_a': 'int64', 'dtype_b': 'int64',
        'other': 'tensor', 'scalar': 0.5, 'seed': 5853, 'special': False, 'kw': {}},
        "ZeroDivisionError for an empty result; torch divides nothing and returns it"),
    "float_mod_int_zero": ("binary", {
        'op': '__mod__', 'shape_a': (1, 1, 4), 'shape_b': (1, 1, 4), 'dtype_a': 'float32', 'dtype_b': 'float32',
        'other': 'int', 'scalar': 0, 'seed': 23716, 'special': False, 'kw': {}},
        "float tensor % 0 raised ZeroDivisionError; torch gives nan"),
    "floor_divide_broadcast_error_class": ("binary", {
        'op': 'floor_divide', 'shape_a': (2, 3, 2, 3), 'shape_b': (2, 3, 2, 2), 'dtype_a': 'float16',
        'dtype_b': 'float16', 'other': 'tensor', 'scalar': 0.5, 'seed': 0, 'special': False, 'kw': {}},
        "NumPy's ValueError leaked; torch raises RuntimeError"),
    "amin_empty_dim_before_repeated_dim": ("reduce", {
        'op': 'amin', 'shape': (2, 0, 1), 'dtype': 'float64', 'dim': (0, 0, 1), 'keepdim': True, 'kw': {},
        'seed': 156, 'special': False}, "torch reports the empty dim (IndexError) before the repeated one"),
    "log_softmax_empty_int": ("reduce", {
        'op': 'log_softmax', 'shape': (3, 0), 'dtype': 'int64', 'dim': 0, 'keepdim': False, 'kw': {}, 'seed': 8111,
        'special': False}, "torch returns an empty int64 tensor; numtorch raised the kernel dtype error"),
    "repeat_interleave_0d_dim": ("shape", {
        'op': 'repeat_interleave', 'shape': (), 'dtype': 'float64', 'seed': 0, 'dim': 0,
        'args': {'repeats': 0, 'dim': 0}}, "torch refuses a dim for a 0-d input"),
    "repeat_interleave_0d_dim_tensor_repeats": ("shape", {
        'op': 'repeat_interleave', 'shape': (), 'dtype': 'float32', 'seed': 0, 'dim': 0,
        'args': {'repeats': 'tensor', 'dim': 0}}, "the same with tensor repeats"),
    "roll_empty_ignores_dim": ("shape", {
        'op': 'roll', 'shape': (3, 4, 2, 0), 'dtype': 'float64', 'seed': 17946, 'dim': -5,
        'args': {'shifts': 4, 'dims': -5}}, "torch clones an empty tensor before checking the dim"),
    "scatter_add_empty_index_any_ndim": ("shape", {
        'op': 'scatter_add', 'shape': (2, 2, 2, 2), 'dtype': 'float64', 'seed': 0, 'dim': 0,
        'args': {'index_shape': (2, 0, 0)}}, "torch skips the shape checks for an empty index"),
    "gather_empty_index_any_shape": ("shape", {
        'op': 'gather', 'shape': (2, 2), 'dtype': 'float32', 'seed': 0, 'dim': 0, 'args': {'index_shape': (0, 3)}},
        "the same for gather"),
    "index_select_0d_empty_index": ("shape", {
        'op': 'index_select', 'shape': (), 'dtype': 'float32', 'seed': 0, 'dim': 0,
        'args': {'n': 0, 'index_nd': 1}}, "a 0-d input needs exactly one index"),
    "dropout3d_inplace_unbatched_leaf": ("activation", {
        'op': 'dropout3d', 'shape': (4,), 'dtype': 'float32', 'seed': 5, 'special': False,
        'kw': {'p': 0.0, 'training': False}, 'inplace': 'leaf'},
        "torch's unsqueeze_ on an unbatched leaf that requires grad raises; numtorch returned the input"),
    "linear_1d_weight_0d_bias_batched": ("linear", {
        'op': 'linear', 'lead': (2, 2), 'in1': 3, 'in2': 2, 'out': 3, 'bias': True, 'weight_1d': True, 'kw': {},
        'mismatch': False, 'dtype': 'float32', 'seed': 115},
        "a 1-d weight with a 0-d bias on a batched input raised; torch adds the bias to the matmul"),
    "roll_0d_dim": ("shape", {'op': 'roll', 'shape': (), 'dtype': 'float32', 'seed': 399, 'dim': 1,
                              'args': {'shifts': 0, 'dims': -1}}, "NumPy's AxisError leaked; torch's IndexError"),
    "getitem_tuple_counts_before_step": ("shape", {
        'op': 'getitem', 'shape': (), 'dtype': 'float32', 'seed': 43209, 'dim': 1,
        'args': {'index': (slice(-2, None, -1),), 'value': 'scalar'}},
        "inside a tuple torch reports too many indices (IndexError) before a negative step (ValueError)"),
    "getitem_out_of_bounds_empty_result": ("shape", {
        'op': 'getitem', 'shape': (3, 4, 1, 2), 'dtype': 'int64', 'seed': 7824, 'dim': 0,
        'args': {'index': (slice(None, None, None), [3, -5, 0], slice(None, 0, 1)), 'value': 'scalar'}},
        "an out-of-bounds index with an empty result: torch gathers nothing and does not check"),
    "scatter_add_0d_index_1d_input": ("shape", {
        'op': 'scatter_add', 'shape': (1,), 'dtype': 'float32', 'seed': 0, 'dim': 0,
        'args': {'index_shape': ()}}, "torch reads a 0-d index as shape (1,)"),
    "gather_0d_index_1d_input": ("shape", {
        'op': 'gather', 'shape': (3,), 'dtype': 'float32', 'seed': 79, 'dim': 0, 'args': {'index_shape': ()}},
        "the same for gather"),
    "index_add_into_empty": ("shape", {
        'op': 'index_add', 'shape': (0, 3, 0, 1), 'dtype': 'float32', 'seed': 1496, 'dim': 0,
        'args': {'n': 3, 'index_nd': 1}}, "torch skips the index check for an empty self"),
    "bool_pow_bool": ("binary", {
        'op': '__pow__', 'shape_a': (), 'shape_b': (1, 1), 'dtype_a': 'bool', 'dtype_b': 'bool',
        'other': 'tensor', 'scalar': -1.5, 'seed': 794, 'special': True, 'kw': {}},
        "bool ** bool gave int8; torch raises NotImplementedError"),
    "pow_half_at_negative_zero": ("unary", {
        'op': 'pow', 'shape': (3, 3, 3), 'dtype': 'float32', 'seed': 264, 'special': True,
        'kw': {'exponent': 0.5}, 'low': -2.0, 'high': 2.0},
        "x ** 0.5 backward at -0.0: torch's rsqrt gives -inf, NumPy's power +inf"),
    "round_int_with_decimals": ("unary", {
        'op': 'round', 'shape': (3,), 'dtype': 'int64', 'seed': 34774, 'special': True, 'kw': {'decimals': 0},
        'low': -20.0, 'high': 20.0}, "torch's round(decimals=...) refuses integers"),
    "lerp_0d_weight_other_dtype": ("ternary", {
        'op': 'lerp', 'shapes': ((4,), (4,), ()), 'dtypes': ('float32', 'float32', 'float64'), 'seed': 672,
        'scalar': None, 'value': 0.5}, "torch takes a 0-d weight of another dtype"),
    "addcmul_int_float_value": ("ternary", {
        'op': 'addcmul', 'shapes': ((), (), (3,)), 'dtypes': ('int64', 'int64', 'int64'), 'seed': 1444,
        'scalar': -1.0, 'value': -2.0}, "torch truncates a float value for integer tensors"),
    "logsumexp_empty_dim_tuple": ("reduce", {
        'op': 'logsumexp', 'shape': (2, 2, 2, 2), 'dtype': 'float64', 'dim': (), 'keepdim': False, 'kw': {},
        'seed': 7851, 'special': False}, "torch raises its output-shape error for dim=()"),
    "topk_bool_checks_dim_first": ("reduce", {
        'op': 'topk', 'shape': (1,), 'dtype': 'bool', 'dim': 1, 'keepdim': True,
        'kw': {'k': 3, 'largest': True, 'sorted': True}, 'seed': 9079, 'special': False},
        "the bool error came before torch's dim IndexError"),
    "cross_entropy_target_dtype_first": ("loss", {
        'loss': 'cross_entropy_prob', 'n': 2, 'c': 1, 'extra': (), 'seed': 3, 'dtype': 'float32',
        'unbatched': True, 'bad_target': True, 'target_grad': True, 'weight': None, 'kw': {'reduction': 'mean'}},
        "for a 1-d input torch checks the target dtype before the target size"),
    "cosine_embedding_broadcast_target": ("loss", {
        'loss': 'cosine_embedding_loss', 'n': 1, 'c': 2, 'extra': (), 'seed': 7919, 'dtype': 'float64',
        'unbatched': False, 'bad_target': True, 'target_grad': True, 'kw': {'reduction': 'mean'}},
        "the mean's gradient divided by the pair count, not by the broadcast loss size"),
    "int_pow_negative_exponent": ("binary", {
        'op': 'pow', 'shape_a': (2,), 'shape_b': (2,), 'dtype_a': 'int64', 'dtype_b': 'int64', 'other': 'tensor',
        'scalar': 2.0, 'seed': 2359, 'special': False, 'kw': {}},
        "NumPy refuses negative integer powers (reported as a broadcast error); torch gives 0, 1 or -1"),
    "half_pow_minus_half": ("unary", {
        'op': 'pow', 'shape': (4, 3), 'dtype': 'float16', 'seed': 65535, 'special': True,
        'kw': {'exponent': -0.5}, 'low': -2.0, 'high': 2.0},
        "torch's rsqrt shortcut (and its -inf at -0.0) is for float32/64 only; half uses pow"),
    "bitwise_broadcast_error_first": ("binary", {
        'op': 'bitwise_or', 'shape_a': (3, 3, 3, 2), 'shape_b': (3, 3, 3, 3), 'dtype_a': 'float32',
        'dtype_b': 'float32', 'other': 'tensor', 'scalar': -1.5, 'seed': 1464, 'special': False, 'kw': {}},
        "torch reports the broadcast error before the float dtype error"),
    "bool_rpow_broadcast_error_first": ("binary", {
        'op': '__rpow__', 'shape_a': (3, 2), 'shape_b': (1, 0, 3), 'dtype_a': 'bool', 'dtype_b': 'bool',
        'other': 'tensor', 'scalar': 0.0, 'seed': 215, 'special': False, 'kw': {}}, "the same for bool ** bool"),
    "rtruediv_is_reciprocal_times": ("binary", {
        'op': '__rtruediv__', 'shape_a': (), 'shape_b': (3, 3, 2), 'dtype_a': 'float32', 'dtype_b': 'int64',
        'other': 'tensor', 'scalar': -1.5, 'seed': 12458, 'special': True, 'kw': {}},
        "torch's x.__rtruediv__(y) is reciprocal(x) * y: its gradient at x = 0 is inf, not division's nan"),
    "remainder_divisor_grad_python_floor": ("binary", {
        'op': 'remainder', 'shape_a': (1, 1, 3, 1), 'shape_b': (1,), 'dtype_a': 'float32', 'dtype_b': 'float32',
        'other': 'tensor', 'scalar': -1.5, 'seed': 2852, 'special': True, 'kw': {}},
        "the divisor gradient -floor(a / b) must be Python's floor division (-2 // inf is -1)"),
    "norm_minus_inf_empty": ("reduce", {
        'op': 'norm', 'shape': (0,), 'dtype': 'float64', 'dim': None, 'keepdim': False,
        'kw': {'p': float('-inf')}, 'seed': 1669, 'special': False},
        "NumPy's ValueError for the min of nothing; torch raises RuntimeError"),
    "median_empty_bool": ("reduce", {
        'op': 'median', 'shape': (0,), 'dtype': 'bool', 'dim': None, 'keepdim': False, 'kw': {}, 'seed': 22106,
        'special': False}, "torch returns its nan cast to bool (True)"),
    "nanmedian_empty_int": ("reduce", {
        'op': 'nanmedian', 'shape': (3, 0), 'dtype': 'int64', 'dim': None, 'keepdim': False, 'kw': {},
        'seed': 65535, 'special': False}, "torch returns its nan cast to int64; numtorch crashed converting nan"),
    "index_add_out_of_range_alpha": ("shape", {
        'op': 'index_add', 'shape': (2, 4, 3, 3), 'dtype': 'float64', 'seed': 65535, 'dim': 3,
        'args': {'n': 4, 'index_nd': 1}}, "with alpha != 1 torch's kernel raises IndexError"),
    "index_add_out_of_range_1d": ("shape", {
        'op': 'index_add', 'shape': (1,), 'dtype': 'int64', 'seed': 1250, 'dim': -1,
        'args': {'n': 3, 'index_nd': 1}}, "the same for 1-d inputs"),
    "index_select_empty_dim": ("shape", {
        'op': 'index_select', 'shape': (0, 2), 'dtype': 'int64', 'seed': 15, 'dim': 0,
        'args': {'n': 3, 'index_nd': 1}}, "torch: 'self indexing axis dim should be positive' (RuntimeError)"),
    "interpolate_half_coordinates": ("interpolate", {
        'mode': 'bicubic', 'shape': (2, 3, 1, 5), 'kw': {'scale_factor': 3.0}, 'dtype': 'float16', 'seed': 3154},
        "float16 source coordinates made the cubic weights 2% off; torch computes them in float32"),
    "round_half_decimals": ("unary", {
        'op': 'round', 'shape': (2, 1, 2, 2), 'dtype': 'float16', 'seed': 296, 'special': False,
        'kw': {'decimals': 1}, 'low': -20.0, 'high': 20.0}, "x * 10 rounded in float16 (torch: in float32)"),
    "index_select_1d_empty": ("shape", {
        'op': 'index_select', 'shape': (0,), 'dtype': 'float32', 'seed': 1, 'dim': -1,
        'args': {'n': 1, 'index_nd': 1}}, "a 1-d empty input gets torch's IndexError"),
    "getitem_components_in_order": ("shape", {
        'op': 'getitem', 'shape': (3, 1, 4, 3), 'dtype': 'float64', 'seed': 235, 'dim': -1,
        'args': {'index': ([2, -3, 0], -2, slice(None, -5, -1)), 'value': 'tensor1'}},
        "an int out of range before a bad slice step: torch reports the int (IndexError)"),
}

CHECKS = {"unary": check_unary, "binary": check_binary, "ternary": check_ternary, "matmul": check_matmul,
          "reduce": check_reduce, "activation": check_activation, "shape": check_shape,
          "interpolate": check_interpolate, "pad": check_pad, "loss": check_loss, "sdpa": check_sdpa,
          "linear": check_linear}

test_regression = pin_regressions(globals(), REGRESSIONS, CHECKS)


# ---------------------------------------------------------------------- torch's own bugs the fuzzer hit
# Each is strict: it fails (as expected) while torch misbehaves and turns into an error once torch is fixed.
@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: the backward formulas of logaddexp, pow (bool exponent) and atan2 (bool first "
                          "operand) subtract or negate the raw operands, so a bool operand makes backward raise "
                          "'Subtraction/Negation ... bool tensor' although only the float operand needs a gradient; "
                          "numtorch returns that gradient")
@pytest.mark.parametrize("op,bool_first", [("logaddexp", True), ("pow", False), ("atan2", True)])
def test_torch_backward_bool_operand(op, bool_first):
    a, b = np.array([True, False]), make_array((2,), "float32", 0, 0.5, 2.0)
    arrays = [a, b] if bool_first else [b, a]
    check_call(lambda L, x, y: getattr(L, op)(x, y), arrays, dtype="float32")


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: clamp's backward with tensor bounds writes into an input-shaped buffer, so a "
                          "bound that needs a gradient and enlarges the result makes backward raise 'output with "
                          "shape [1] doesn't match the broadcast shape [2]'; numtorch returns the gradients")
def test_torch_clamp_tensor_bound_broadcast():
    arrays = [make_array((1,), "float32", 0), make_array((2,), "float32", 1), make_array((1,), "float32", 2)]
    check_call(lambda L, x, lo, hi: L.clamp(x, lo, hi), arrays, dtype="float32")


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: addcdiv's backward for a float tensor1 divides by an integer tensor2 in place "
                          "and raises 'result type Float can't be cast to the desired output type Long'; numtorch "
                          "returns g * value / tensor2")
def test_torch_addcdiv_int_divisor_backward():
    arrays = [np.array(2, dtype=np.int64), make_array((2,), "float32", 0), np.array([3, 2], dtype=np.int64)]
    check_call(lambda L, x, t1, t2: L.addcdiv(x, t1, t2, value=-2.0), arrays, dtype="float32")


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: circular padding that crops (-2) and then wraps (3) more than the cropped width "
                          "returns [x2, x2, x2, x2] but back-propagates only one of the four gradients; numtorch's "
                          "gradient is the sum. (Other negative circular pads read uninitialised memory in torch.)")
def test_torch_circular_pad_negative():
    x = make_array((3, 3), "float64", 65535)
    check_call(lambda L, a: L.nn.functional.pad(a, (-2, 3), mode="circular"), [x], dtype="float64")


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: take_along_dim along a dim silently wraps out-of-range indices modulo the size "
                          "(3 reads row 0 of 3 rows) instead of refusing them as gather and take_along_dim(dim=None) "
                          "do; numtorch raises")
def test_torch_take_along_dim_wraps():
    arrays = [make_array((3, 2), "float64", 0), np.array([[3]], dtype=np.int64)]
    check_call(lambda L, x, i: L.take_along_dim(x, i, 0), arrays, dtype="float64")


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: matmul of a batched operand with an empty contraction dimension skips the dtype "
                          "check it makes otherwise (float16 @ int64 gives an int64 result); numtorch refuses the "
                          "mixed dtypes as torch does for non-empty operands or when a gradient is needed")
def test_torch_matmul_empty_mixed_dtypes():
    arrays = [make_array((2, 1, 0), "float32", 0), make_array((1, 0, 3), "int64", 1)]
    check_call(lambda L, a, b: L.matmul(a, b), arrays, dtype="float32", forward_only=True)


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: var_mean/std_mean return a nan mean when the values include an infinity "
                          "(Welford's update subtracts inf from inf) while torch.mean gives the infinity; numtorch's "
                          "mean is torch.mean's")
def test_torch_var_mean_inf():
    x = np.array([1.0, -np.inf, 2.0, 0.5])
    check_call(lambda L, a: L.var_mean(a, dim=0), [x], dtype="float64", forward_only=True)


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: poisson_nll_loss(full=True) masks the Stirling term with masked_fill where "
                          "target <= 1, whose backward multiplies the masked zero by the term's nan derivative at "
                          "target 0; numtorch's target gradient there is the derivative of the loss, -input")
def test_torch_poisson_full_target_grad():
    arrays = [make_array((4,), "float64", 0), np.array([0.0, 1.0, 2.0, 3.0])]
    check_call(lambda L, x, t: L.nn.functional.poisson_nll_loss(x, t, full=True, reduction="sum"), arrays,
               dtype="float64", grad=[True, True])


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: gelu(+inf) is nan with approximate='none' (the exact erf form), although "
                          "torch.erf(inf) is 1 and the tanh form gives inf; numtorch gives inf")
def test_torch_gelu_inf():
    check_call(lambda L, a: L.nn.functional.gelu(a), [np.array([np.inf, 1.0, -1.0], np.float32)], dtype="float32",
               forward_only=True)


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: var/std (and var_mean/std_mean) with dim=() reduce over every element in the "
                          "forward but differentiate as if nothing were reduced (the gradient is N times too "
                          "large); numtorch's gradient is the derivative of the value")
@pytest.mark.parametrize("op", ["var", "std", "var_mean"])
def test_torch_var_empty_dim_backward(op):
    check_call(lambda L, x: getattr(L, op)(x, dim=(), correction=0), [make_array((4,), "float64", 63)],
               dtype="float64")


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="torch bug: antialiased bilinear/bicubic interpolation to an output width of 1 with a "
                          "changed height repeats the first output row (the same data transposed gives the right "
                          "column); numtorch matches torch's transposed result")
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_torch_antialias_width_one(mode):
    x = make_array((1, 1, 4, 1), "float32", 0)
    theirs_t = torch.nn.functional.interpolate(to_torch(x).transpose(2, 3), size=(1, 8), mode=mode,
                                               antialias=True).transpose(2, 3)
    ours = numtorch.nn.functional.interpolate(to_nt(x), size=(8, 1), mode=mode, antialias=True)
    np.testing.assert_allclose(ours.numpy(), theirs_t.numpy(), atol=1e-5)   # numtorch is right ...
    check_call(lambda L, a: L.nn.functional.interpolate(a, size=(8, 1), mode=mode, antialias=True), [x],
               dtype="float32")                                                # ... and torch is not


@pytest.mark.parametrize("op", ["relu", "threshold", "leaky_relu"])
@pytest.mark.parametrize("n", [3, 64])
def test_nan_input_grad(op, n):
    # ops whose gradient at a nan input torch computes the same in its vectorized kernels and their scalar tail
    # (threshold's was 0 in numtorch, torch passes g); the others are in TORCH_NAN_GRAD_INCONSISTENT
    x = make_array((n,), "float32", 0)
    x[1] = np.nan
    kw = {"threshold": 0.0, "value": 0.0} if op == "threshold" else {}
    check_call(lambda L, a: getattr(L.nn.functional, op)(a, **kw), [x], dtype="float32")
    if op != "leaky_relu":
        check_call(lambda L, a: getattr(L.nn.functional, op)(a * 1, inplace=True, **kw), [x], dtype="float32")
