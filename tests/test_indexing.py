"""Indexing against torch: ``x[idx]`` for every kind of index (values, dtypes, gradients with repeated indices,
float64 gradcheck, grad_fn names, views), ``x[idx] = v`` with and without autograd, the gather / scatter /
index_* / masked_* / take family, nonzero, and error types/messages. Slices and index lists are also drawn
by hypothesis."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numtorch
from helpers import assert_close, check_op, lib, to_nt, to_torch, torch

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")]

HYP = settings(max_examples=25, deadline=None, derandomize=True)
X = np.arange(24, dtype=np.float64).reshape(2, 3, 4)


def both(arr, requires_grad=False):
    arr = np.asarray(arr)
    return to_nt(arr, requires_grad), to_torch(arr, requires_grad)


def same_error(fn, *arrays, exact=True):
    """``fn(lib, *tensors)`` raises the same exception class in both libraries (and, with ``exact``, the same
    message once ``torch.`` reads ``numtorch.``)."""
    with pytest.raises(Exception) as theirs:
        fn(torch, *[to_torch(a) for a in arrays])
    with pytest.raises(type(theirs.value)) as ours:
        fn(numtorch, *[to_nt(a) for a in arrays])
    t_msg = str(theirs.value).split("\nException raised from")[0].replace("torch.", "numtorch.")
    if exact:
        assert str(ours.value) == t_msg
    return t_msg, str(ours.value)


def T(L, data, dtype=None):
    """An index tensor in library ``L``."""
    return L.tensor(data) if dtype is None else L.tensor(data, dtype=getattr(L, dtype))


# ---------------------------------------------------------------------- getitem
# Each entry builds the index for library L; the tensor indexed has shape (3, 4, 5).
INDICES = [
    lambda L: 0,
    lambda L: -1,
    lambda L: (1, 2),
    lambda L: (1, 2, 3),
    lambda L: (-1, -2, -3),
    lambda L: slice(1, 3),
    lambda L: slice(None, None, 2),
    lambda L: (slice(None), slice(1, None, 2)),
    lambda L: (slice(-2, None), 0, slice(None, -1)),
    lambda L: slice(5, 10),  # clamps to empty
    lambda L: None,
    lambda L: (None, 0, None),
    lambda L: Ellipsis,
    lambda L: (Ellipsis, 1),
    lambda L: (0, Ellipsis, None),
    lambda L: (Ellipsis, None, slice(1, 3)),
    lambda L: [0, 2],
    lambda L: [2, 0, 2, 2],  # repeated: gradients accumulate
    lambda L: ([0, 1], [1, 3]),
    lambda L: ([0, 0, 0], [1, 1, 1]),
    lambda L: (slice(None), [3, 0, 3]),
    lambda L: (slice(None), [0, 1], slice(1, 4)),
    lambda L: ([0, 2], slice(None), [1, 4]),  # separated advanced indices go first
    lambda L: ([0, 2], None, [1, 3]),
    lambda L: (0, slice(None), [0, 1]),  # torch applies the int first: shape (4, 2), not NumPy's (2, 4)
    lambda L: (slice(None), 1, [0, 4, 4]),
    lambda L: ([[0], [2]], [0, 1, 3]),  # broadcasting index lists
    lambda L: [[0, 1], [1, 2]],  # a short list of lists reads as a tuple
    lambda L: np.array([[0, 1], [1, 2]]),  # an array is one index tensor
    lambda L: T(L, [2, 0, 2]),
    lambda L: T(L, [[1, 1], [0, 2]]),
    lambda L: (T(L, [0, 1], "int32"), slice(None), T(L, [-1, -5], "int32")),
    lambda L: (slice(None), T(L, [-1, 0, -4])),
    lambda L: T(L, 1),  # a 0-d integer tensor acts as an int
    lambda L: (T(L, 2), T(L, 3)),
    lambda L: T(L, [True, False, True]),
    lambda L: T(L, [[True, False, True, False], [False, False, True, True], [True, True, True, True]]),
    lambda L: (slice(None), T(L, [False, True, True, False])),
    lambda L: (0, T(L, [[True] * 5, [False] * 5, [True, False] * 2 + [True], [False] * 5])),
    lambda L: T(L, [False, False, False]),  # empty selection
    lambda L: T(L, True),
    lambda L: True,
    lambda L: False,
    lambda L: (Ellipsis, True, 0),
    lambda L: [True, False, True],  # a list of bools is a mask
    lambda L: [],
    lambda L: (T(L, [], "int64"), slice(None)),
    lambda L: range(1, 3),
    lambda L: (slice(T(L, 1), T(L, 3)), 0),
    lambda L: (np.int64(1), slice(None), np.int32(2)),
    lambda L: (T(L, [[0], [1]]), T(L, [[1, 2]]), T(L, [[0]])),
]


@pytest.mark.parametrize("make", INDICES)
def test_getitem(make):
    check_op([(3, 4, 5)], lambda x: x[make(lib(x))])


@pytest.mark.parametrize("make", INDICES[::3])
def test_getitem_non_contiguous(make):
    check_op([(5, 4, 3)], lambda x: x.transpose(0, 2)[make(lib(x))])
    check_op([(4, 15)], lambda x: x.t().reshape(3, 4, 5)[make(lib(x))])


@pytest.mark.parametrize("make", [lambda L: 0, lambda L: (slice(None), 0), lambda L: slice(1, 2),
                                  lambda L: None, lambda L: Ellipsis, lambda L: (0, slice(1, 3)), lambda L: [0, 1],
                                  lambda L: T(L, [True, False, True]), lambda L: True, lambda L: T(L, 1),
                                  lambda L: (0, [0, 1])])
def test_getitem_grad_fn_names(make):
    n, t = both(np.ones((3, 4)), True)
    assert n[make(numtorch)].grad_fn.name() == t[make(torch)].grad_fn.name()


def test_repeated_indices_accumulate():
    n, t = both(np.arange(12.).reshape(3, 4), True)
    for L, x in ((numtorch, n), (torch, t)):
        (x[[0, 0, 2, 0]] * L.arange(16.).reshape(4, 4)).sum().backward()
        (x[[1, 1], [3, 3]] * 2).sum().backward()
        (x[:, T(L, [0, 0])].sum() * 3).backward()
    assert_close(n.grad, t.grad, 0, 0)


def test_getitem_integer_and_bool_tensors():
    a = np.arange(12).reshape(3, 4)
    for idx in ([0, 2], (1, slice(1, 3)), (slice(None), [3, 3]), 2):
        assert_close(to_nt(a)[idx], to_torch(a)[idx], 0, 0)
    b = np.array([[True, False], [False, True]])
    assert_close(to_nt(b)[0], to_torch(b)[0], 0, 0)
    assert_close(to_nt(b)[to_nt(b)], to_torch(b)[to_torch(b)], 0, 0)


@pytest.mark.filterwarnings("default")
def test_sequence_read_as_tuple_warns():
    for L in (torch, numtorch):
        x = L.zeros(3, 4)
        with pytest.warns(UserWarning, match="non-tuple sequence"):
            assert tuple(x[[[0, 1], [1, 2]]].shape) == (2,)
        with pytest.warns(UserWarning, match="non-tuple sequence"):
            assert tuple(x[[0, slice(None)]].shape) == (4,)


def test_zero_dim_getitem():
    check_op([()], lambda x: x[None])
    check_op([()], lambda x: x[...])
    check_op([()], lambda x: x[True])
    check_op([()], lambda x: x[False], grad_check=False)


# ---------------------------------------------------------------------- views
@pytest.mark.parametrize("idx", [0, (slice(None), 1), slice(1, 3), (None, 0), Ellipsis, (1, slice(None, None, 2)),
                                 (Ellipsis, 2)])
def test_basic_index_is_a_view(idx):
    n, t = both(X)
    vn, vt = n[idx], t[idx]
    assert vn._base is n and vt._base is t
    vn[...] = -5.0
    vt[...] = -5.0
    assert_close(n, t, 0, 0)
    assert n._version == vn._version == 1


@pytest.mark.parametrize("idx", [[0], (slice(None), [0, 2]), True, ([0, 1], [1, 2])])
def test_advanced_index_is_a_copy(idx):
    n, t = both(X)
    vn, vt = n[idx], t[idx]
    assert vn._base is None and vt._base is None
    vn[...] = -5.0
    vt[...] = -5.0
    assert_close(n, t, 0, 0)


def test_mask_index_is_a_copy():
    n, t = both(X)
    vn, vt = n[n > 10], t[t > 10]
    vn[...] = 0.0
    vt[...] = 0.0
    assert_close(n, t, 0, 0)


# ---------------------------------------------------------------------- setitem without autograd
SETS = [
    (lambda L: 0, lambda L: 7.0),
    (lambda L: (slice(None), 1), lambda L: T(L, [1., 2., 3., 4.])),
    (lambda L: (0, slice(1, 3)), lambda L: T(L, [[9.], [8.]])),
    (lambda L: Ellipsis, lambda L: T(L, 3.)),
    (lambda L: (slice(None), None, 0), lambda L: T(L, [[[1., 2., 3., 4.]]])),
    (lambda L: 1, lambda L: T(L, [[[1., 2., 3., 4.]]])),  # leading size-1 dims of the value are dropped
    (lambda L: [0, 1], lambda L: -1.0),
    (lambda L: ([1, 0], [2, 0]), lambda L: T(L, [[5., 6., 7., 8.]])),
    (lambda L: (slice(None), [2, 0]), lambda L: T(L, [1., 2., 3., 4.])),
    (lambda L: T(L, [True, False]), lambda L: T(L, [1., 2., 3., 4.])),
    (lambda L: T(L, [[True, False, True], [False, False, True]]), lambda L: T(L, [1., 2., 3.]).unsqueeze(1)),
    (lambda L: (0, T(L, [[True, False, False, True]] * 3)), lambda L: T(L, [10., 20., 30., 40., 50., 60.])),
    (lambda L: T(L, 1), lambda L: 2),
    (lambda L: True, lambda L: 4.0),
    (lambda L: (slice(None), 0), lambda L: T(L, [1, 2, 3, 4])),  # an int value is cast
    (lambda L: 0, lambda L: T(L, [1., 2., 3., 4.], "float64").expand(3, 4)),
    (lambda L: (slice(None), 1, slice(None, None, 3)), lambda L: np.float64(2.5)),
    (lambda L: [[0], [1]], lambda L: 0.5),
]


@pytest.mark.parametrize("make_idx,make_val", SETS)
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_setitem_matches_torch(make_idx, make_val, dtype):
    n, t = both(X.astype(dtype))
    try:
        t[make_idx(torch)] = make_val(torch)
    except RuntimeError as e:  # torch's advanced assignment wants the value's dtype to match
        with pytest.raises(RuntimeError, match="dtypes match"):
            n[make_idx(numtorch)] = make_val(numtorch)
        assert "dtypes match" in str(e)
        return
    n[make_idx(numtorch)] = make_val(numtorch)
    assert_close(n, t, 0, 0)
    assert n._version == 1


def test_setitem_float_into_int_truncates():
    n, t = both(np.zeros((2, 3), np.int64))
    n[0] = 2.7
    t[0] = 2.7
    n[1] = to_nt(np.array([-1.7, 1.2, 9.9]))
    t[1] = to_torch(np.array([-1.7, 1.2, 9.9]))
    assert_close(n, t, 0, 0)


def test_setitem_through_view_and_no_grad_leaf():
    n, t = both(X, True)
    for L, x in ((numtorch, n), (torch, t)):
        with L.no_grad():
            x[0, 1] = 100.0
            x[1].t()[0] = -1.0  # a write through a view of a view
    assert_close(n, t, 0, 0)


def test_setitem_bumps_version_seen_by_backward():
    for L in (torch, numtorch):
        a = L.ones(3, requires_grad=True) * 1
        b = a * a
        with L.no_grad():
            a[0] = 3.0
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            b.sum().backward()


# ---------------------------------------------------------------------- setitem with autograd
def _run_set(L, x0, v0, make_idx, x_grad, v_grad):
    x = L.tensor(x0, requires_grad=x_grad)
    v = L.tensor(v0, requires_grad=v_grad)
    y = x * 1 if x_grad else x.clone()
    y[make_idx(L)] = v * 2
    w = L.tensor(np.random.default_rng(3).standard_normal(y.shape))
    (y * w).sum().backward()
    return y, x, v


AUTOGRAD_SETS = [
    (lambda L: 1, (4,)),
    (lambda L: (slice(None), 2), (3,)),
    (lambda L: (slice(0, 2), slice(1, 3)), (1, 2)),
    (lambda L: (None, 0), (1, 4)),
    (lambda L: [2, 0], (4,)),
    (lambda L: [[0, 0], [1, 3]], (2,)),
    (lambda L: ([0, 0], [1, 1]), ()),  # the same position written twice
    (lambda L: T(L, [True, False, True]), (2, 4)),
    (lambda L: T(L, [[True, False, True, False]] * 3), (6,)),
    (lambda L: (Ellipsis, [3]), (3, 1)),
]


@pytest.mark.parametrize("make_idx,vshape", AUTOGRAD_SETS)
@pytest.mark.parametrize("x_grad,v_grad", [(True, True), (True, False), (False, True)])
def test_setitem_autograd(make_idx, vshape, x_grad, v_grad):
    x0 = np.random.default_rng(0).standard_normal((3, 4))
    v0 = np.random.default_rng(1).standard_normal(vshape)
    yn, xn, vn = _run_set(numtorch, x0, v0, make_idx, x_grad, v_grad)
    yt, xt, vt = _run_set(torch, x0, v0, make_idx, x_grad, v_grad)
    assert_close(yn, yt, 1e-12, 1e-12)
    assert yn.grad_fn.name() == yt.grad_fn.name()
    if x_grad:
        assert_close(xn.grad, xt.grad, 1e-12, 1e-12)
    if v_grad:
        assert_close(vn.grad, vt.grad, 1e-12, 1e-12)


def test_setitem_in_a_loop_and_dtype_cast():
    for_l = {}
    for L in (numtorch, torch):
        w = L.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
        h = L.zeros(4, 3)
        for i in range(4):
            h[i] = (w[i % 2] * (i + 1)).tanh()
        h[1:3, 0] = w[:, 2].double()  # float64 values into a float32 tensor
        loss = (h * h).sum()
        loss.backward()
        for_l[L] = (h, w.grad, h.dtype)
    assert_close(for_l[numtorch][0], for_l[torch][0], 1e-6, 1e-5)
    assert_close(for_l[numtorch][1], for_l[torch][1], 1e-6, 1e-5)


def test_setitem_gradcheck():
    from helpers import gradcheck

    def f(x, v):
        y = x * 1
        y[[0, 2], 1:] = v
        y[1] = x[1] * v[0, 0]
        return y

    x = to_nt(np.random.default_rng(0).standard_normal((3, 3)), True)
    v = to_nt(np.random.default_rng(1).standard_normal((2, 2)), True)
    assert gradcheck(f, (x, v))


def test_setitem_errors():
    same_error(lambda L, x: x.requires_grad_().__setitem__(0, 1.0), X)
    same_error(lambda L, x: x.requires_grad_().__setitem__([0], 1.0), X)
    same_error(lambda L, x: x.requires_grad_().__setitem__(x > 3, 1.0), X)
    same_error(lambda L, x: x.__setitem__(0, L.ones(3)), X)
    same_error(lambda L, x: x.__setitem__(slice(0, 1), L.ones(2, 3, 5)), X)
    same_error(lambda L, x: x.__setitem__([0, 1], L.ones(5)), X)
    same_error(lambda L, x: x.__setitem__(L.tensor([True, False]), L.ones(2, 4)), X)
    same_error(lambda L, x: x.__setitem__(0, L.ones(2, 1, 4)), X)
    same_error(lambda L, x: x.__setitem__(0, [1.0, 2.0]), X)
    same_error(lambda L, x: x.__setitem__(0, np.ones(4)), X, exact=False)
    same_error(lambda L, x: x.__setitem__(5, 1.0), X)
    same_error(lambda L, x: x.view(-1).__setitem__(slice(1, None), x.view(-1)[:-1]), X)
    same_error(lambda L, x: x.__setitem__([0, 1], x[0]), X)
    same_error(lambda L, x: x[0].__setitem__(slice(0, 2), x[0, 1:]), X)


def test_setitem_from_own_memory():
    n, t = both(X)
    for x in (n, t):
        x[0] = x[0]  # the very same memory is allowed
        x[:, 0] = x[:, 1]  # interleaved but disjoint
        x[1] = x[0]
    assert_close(n, t, 0, 0)


# ---------------------------------------------------------------------- getitem errors
GET_ERRORS = [
    lambda L, x: x[5],
    lambda L, x: x[-3],
    lambda L, x: x[:, 5],
    lambda L, x: x[0, 0, 9],
    lambda L, x: x[[0, 5]],
    lambda L, x: x[:, [0, 5]],
    lambda L, x: x[:, :, [0, 9]],
    lambda L, x: x[[0, 1], [0, 9]],
    lambda L, x: x[:, L.tensor([0, -4])],
    lambda L, x: x[::-1],
    lambda L, x: x[::0],
    lambda L, x: x[0, 0, 0, 0],
    lambda L, x: x[L.ones(2, 3, 4, 1, dtype=L.bool)],
    lambda L, x: x[L.tensor([True, False, True])],
    lambda L, x: x[:, L.tensor([True, False])],
    lambda L, x: x[0, L.tensor([True, False])],
    lambda L, x: x[None, L.tensor([True, False, True])],
    lambda L, x: x[L.ones(2, 3, 5, dtype=L.bool)],
    lambda L, x: x[L.tensor([0., 1.])],
    lambda L, x: x[1.0],
    lambda L, x: x[[0, 1], [0, 1, 2]],
    lambda L, x: x[L.tensor(5)],
    lambda L, x: L.tensor(3.)[0],
    lambda L, x: L.tensor(3.)[:],
    lambda L, x: x[L.tensor([])],
]


@pytest.mark.parametrize("fn", GET_ERRORS)
def test_getitem_errors(fn):
    same_error(fn, X)


# ---------------------------------------------------------------------- gather / scatter family
def test_gather():
    check_op([(3, 4)], lambda x: x.gather(1, T(lib(x), [[0, 1, 1], [2, 0, 0], [3, 3, 3]])))
    check_op([(3, 4)], lambda x: lib(x).gather(x, 0, T(lib(x), [[0, 2], [0, 0]])))
    check_op([(3, 4)], lambda x: x.gather(-1, T(lib(x), [[1]], "int32")))
    check_op([(2, 3, 4)], lambda x: x.gather(2, T(lib(x), [[[0, 3]] * 3] * 2)))
    check_op([(3, 4)], lambda x: x.gather(0, T(lib(x), [[0, 1, 2, 0]] * 5)[:0]), grad_check=False)


def test_scatter():
    idx = [[0, 1, 2], [2, 0, 1]]  # distinct positions per column: torch's result is deterministic
    check_op([(3, 4), (2, 3)], lambda x, s: x.scatter(0, T(lib(x), idx), s))
    check_op([(3, 4), (3, 2)], lambda x, s: lib(x).scatter(x, 1, T(lib(x), [[0, 3], [1, 2], [2, 1]]), s))
    check_op([(3, 4)], lambda x: x.scatter(1, T(lib(x), [[0, 3], [1, 2], [2, 1]]), 2.5))
    check_op([(3, 4)], lambda x: x.scatter(1, T(lib(x), [[0], [1], [2]]), value=-1.0))
    check_op([(3, 4), (2, 3)], lambda x, s: (x * 1).scatter_(0, T(lib(x), idx), s))
    check_op([(3, 4), (2, 3)], lambda x, s: x.scatter_add(0, T(lib(x), [[0, 0, 0], [0, 2, 0]]), s))
    check_op([(3, 4), (2, 3)], lambda x, s: lib(x).scatter_add(x, -1, T(lib(x), [[3, 3, 3], [0, 0, 1]]), s))
    check_op([(3, 4), (2, 3)], lambda x, s: (x * 1).scatter_add_(0, T(lib(x), [[0, 0, 0], [1, 1, 1]]), s))


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
def test_scatter_reduce_forward_and_no_derivative():
    for reduce in ("add", "multiply"):
        check_op([(3, 4), (2, 3)], lambda x, s: x.scatter(0, T(lib(x), [[0, 0, 1], [0, 2, 2]]), s, reduce=reduce),
                 forward_only=True)
        check_op([(3, 4)], lambda x: x.scatter(0, T(lib(x), [[0, 0, 1], [0, 2, 2]]), 2.0, reduce=reduce),
                 forward_only=True)
    for L in (torch, numtorch):
        x = L.ones(3, 4, requires_grad=True)
        y = x.scatter(0, L.tensor([[0, 1]]), L.ones(1, 2), reduce="add")
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            y.sum().backward()


def test_index_family():
    check_op([(3, 4)], lambda x: x.index_select(0, T(lib(x), [2, 0, 2])))
    check_op([(3, 4)], lambda x: lib(x).index_select(x, -1, T(lib(x), [1, 1, 3], "int32")))
    check_op([(3, 4)], lambda x: x.index_select(1, T(lib(x), 2)))
    check_op([(3, 4), (2, 4)], lambda x, s: x.index_add(0, T(lib(x), [2, 2]), s))
    check_op([(3, 4), (3, 2)], lambda x, s: lib(x).index_add(x, 1, T(lib(x), [0, 3]), s, alpha=-1.5))
    check_op([(3, 4), (3, 2)], lambda x, s: (x * 1).index_add_(1, T(lib(x), [0, 0]), s))
    check_op([(3, 4)], lambda x: x.index_fill(1, T(lib(x), [0, -1, 0]), -2.0))
    check_op([(3, 4), ()], lambda x, v: x.index_fill(0, T(lib(x), [1, 1]), v))
    check_op([(3, 4), ()], lambda x, v: (x * 1).index_fill_(1, T(lib(x), [2]), v))
    check_op([(3, 4), (2, 4)], lambda x, s: x.index_copy(0, T(lib(x), [2, 0]), s))
    check_op([(3, 4), (3, 1)], lambda x, s: (x * 1).index_copy_(1, T(lib(x), [3]), s))
    check_op([(3, 4), (2, 4)], lambda x, v: x.index_put((T(lib(x), [0, 0]),), v[0], accumulate=True))
    check_op([(3, 4), (2,)], lambda x, v: x.index_put((T(lib(x), [0, 2]), T(lib(x), [1, 3])), v))
    check_op([(3, 4), ()], lambda x, v: (x * 1).index_put_([T(lib(x), [True, False, True])], v))
    check_op([(3, 4), (2,)], lambda x, v: (x * 1).index_put_((T(lib(x), [1, 1]), T(lib(x), [0, 0])), v,
                                                              accumulate=True))


def test_masked_and_take():
    mask = [[True, False, True, False], [False, False, True, True], [True] * 4]
    check_op([(3, 4)], lambda x: x.masked_select(T(lib(x), mask)))
    check_op([(3, 4)], lambda x: lib(x).masked_select(x, T(lib(x), [True, False, False, True])))
    check_op([(4,)], lambda x: x.masked_select(T(lib(x), mask)))  # the input broadcasts too
    check_op([(3, 4), (2, 5)], lambda x, s: x.masked_scatter(T(lib(x), mask), s))
    check_op([(3, 4), (9,)], lambda x, s: (x * 1).masked_scatter_(T(lib(x), mask), s))
    check_op([(3, 4)], lambda x: x.take(T(lib(x), [[0, 11], [-1, 0]])))
    check_op([(3, 4)], lambda x: lib(x).take(x, T(lib(x), [5, 5, 5])))
    check_op([(3, 4)], lambda x: x.take_along_dim(T(lib(x), [[0], [1], [3]]), 1))
    check_op([(3, 4)], lambda x: lib(x).take_along_dim(x, T(lib(x), [[0, 1, 1, 2]]), 0))
    check_op([(3, 4)], lambda x: x.take_along_dim(T(lib(x), [[2, 0, 2]]), dim=1))  # broadcast over rows
    check_op([(3, 4)], lambda x: x.take_along_dim(T(lib(x), [11, 0, 0])))
    check_op([(3, 4)], lambda x: x.take_along_dim(T(lib(x), [[3, 2, 1, 0], [0, 0, 0, 0], [-1, -2, 1, 2]]), 1))


def test_nonzero_family():
    a = np.array([[0., 1.5, 0.], [2., 0., -1.]])
    for arr in (a, a > 0, a.astype(np.int64), np.zeros((2, 0)), np.array(3.), np.array(0.)):
        n, t = both(arr)
        assert_close(n.nonzero(), t.nonzero(), 0, 0)
        assert_close(numtorch.argwhere(n), torch.argwhere(t), 0, 0)
        assert_close(n.nonzero(as_tuple=True), t.nonzero(as_tuple=True), 0, 0)
        assert_close(numtorch.nonzero(n, as_tuple=True), torch.where(t != 0), 0, 0)
    n, t = both(a)
    assert_close(n[n.nonzero(as_tuple=True)], t[t.nonzero(as_tuple=True)], 0, 0)


def test_select():
    check_op([(2, 3, 4)], lambda x: x.select(1, -1))
    check_op([(2, 3, 4)], lambda x: lib(x).select(x, 2, 0))
    n, t = both(X, True)
    assert n.select(0, 1).grad_fn.name() == t.select(0, 1).grad_fn.name()
    same_error(lambda L, x: x.select(1, 5), X)


FAMILY_ERRORS = [
    lambda L, x: x.gather(0, L.tensor([[0] * 5])),
    lambda L, x: x.gather(1, L.zeros(4, 1, dtype=L.long)),
    lambda L, x: x.gather(1, L.tensor([0])),
    lambda L, x: x.gather(1, L.tensor([[0.]])),
    lambda L, x: x.gather(1, L.tensor([[4]])),
    lambda L, x: x.gather(1, L.tensor([[-1]])),
    lambda L, x: x.gather(2, L.tensor([[0]])),
    lambda L, x: x.scatter(1, L.tensor([[0, 1]]), L.ones(1, 1)),
    lambda L, x: x.scatter(1, L.tensor([[4]]), L.ones(1, 1)),
    lambda L, x: x.scatter(1, L.tensor([[0]]), L.ones(1, 1, dtype=L.float64)),
    lambda L, x: x.scatter(1, L.tensor([[0]]), L.ones(1, 1), reduce="max"),
    lambda L, x: x.scatter(0, L.tensor([0]), x),
    lambda L, x: x.scatter(0, L.zeros(1, 1), x),
    lambda L, x: x.scatter_add(1, L.tensor([[0, 1]]), L.ones(1, 1)),
    lambda L, x: x.index_select(0, L.tensor([[0]])),
    lambda L, x: x.index_select(0, L.tensor([1.])),
    lambda L, x: x.index_select(0, L.tensor([5])),
    lambda L, x: x.index_select(0, L.tensor([-1])),
    lambda L, x: x.index_add(0, L.tensor([0]), L.ones(2, 4)),
    lambda L, x: x.index_add(0, L.tensor([0]), L.ones(1, 4, dtype=L.float64)),
    lambda L, x: x.index_add(0, L.tensor([5]), L.ones(1, 4)),
    lambda L, x: x.index_add(0, L.tensor([-1]), L.ones(1, 4)),
    lambda L, x: x.index_add(0, L.tensor([0]), L.ones(1, 5)),
    lambda L, x: x.index_add(0, L.tensor([[0]]), L.ones(1, 4)),
    lambda L, x: x.index_fill(0, L.tensor([0]), L.tensor([2.])),
    lambda L, x: x.index_fill(0, L.tensor([5]), 1.),
    lambda L, x: x.index_copy(0, L.tensor([0]), L.ones(2, 4)),
    lambda L, x: x.index_copy(0, L.tensor([-1]), L.ones(1, 4)),
    lambda L, x: x.index_copy(0, L.tensor([5]), L.ones(1, 4)),
    lambda L, x: x.index_copy(0, L.tensor([0]), L.ones(1, 5)),
    lambda L, x: x.index_copy(0, L.tensor([0]), L.ones(1, 4, dtype=L.float64)),
    lambda L, x: x.masked_select(L.tensor([1, 0, 1, 0])),
    lambda L, x: x.masked_select(L.tensor([True, False, True])),
    lambda L, x: x.masked_scatter(x > 2, L.ones(3)),
    lambda L, x: x.masked_scatter(L.ones(3, 4), L.ones(12)),
    lambda L, x: x.masked_scatter(x > 0, L.ones(12, dtype=L.float64)),
    lambda L, x: x.take(L.tensor([12])),
    lambda L, x: x.take(L.tensor([1.])),
    lambda L, x: x.take_along_dim(L.tensor([[0, 1]]), 0),
    lambda L, x: x.take_along_dim(L.tensor([0, 1]), 0),
    lambda L, x: x.take_along_dim(L.tensor([[0]], dtype=L.int32), 0),
    lambda L, x: x.index_put((L.tensor([0.]),), L.tensor(1.)),
    lambda L, x: x.index_put((L.tensor([0]),), 1.0),
    lambda L, x: x.index_put((L.tensor([0]),), L.tensor(1., dtype=L.float64)),
    lambda L, x: x.index_put((L.tensor([0, 1]),), L.ones(3)),
    lambda L, x: L.repeat_interleave(L.tensor([1., 2.])),
]


@pytest.mark.parametrize("fn", FAMILY_ERRORS)
def test_family_errors(fn):
    same_error(fn, np.arange(12, dtype=np.float32).reshape(3, 4))


# ---------------------------------------------------------------------- hypothesis
@st.composite
def shape_and_basic_index(draw):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    idx = []
    for n in shape[:draw(st.integers(0, len(shape)))]:
        kind = draw(st.sampled_from(["slice", "int", "full", "none"]))
        if kind == "int":
            idx.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            stop = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            idx.append(slice(start, stop, draw(st.one_of(st.none(), st.integers(1, 3)))))
        elif kind == "none":
            idx.extend([None, slice(None)])
        else:
            idx.append(slice(None))
    return shape, tuple(idx)


@HYP
@given(shape_and_basic_index())
def test_hypothesis_basic_getitem(si):
    shape, idx = si
    check_op([shape], lambda x: x[idx])
    n, t = both(np.zeros(shape))
    n[idx] = 1.0
    t[idx] = 1.0
    assert_close(n, t, 0, 0)


@st.composite
def shape_and_advanced_index(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    dims = sorted(draw(st.sets(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape))))
    m = draw(st.integers(0, 5))
    idx = []
    for d, n in enumerate(shape):
        if d in dims:
            idx.append(draw(st.lists(st.integers(-n, n - 1), min_size=m, max_size=m)))
        else:
            idx.append(draw(st.sampled_from([slice(None), slice(1, None), 0])))
    return shape, tuple(idx)


@HYP
@given(shape_and_advanced_index())
def test_hypothesis_advanced_getitem(si):
    shape, idx = si
    check_op([shape], lambda x: x[tuple(lib(x).tensor(v, dtype=lib(x).long) if isinstance(v, list) else v
                                        for v in idx)])
