"""linear, bilinear, the dropout family, embedding and one_hot (ops/linear.py) against torch."""
import warnings

import numpy as np
import pytest

import numtorch
import numtorch.nn.functional as nF
from helpers import F, check_op, lib, tF, to_nt, to_torch, torch

pytestmark = pytest.mark.torch


# ---------------------------------------------------------------------- linear
@pytest.mark.parametrize("shapes", [
    [(3, 10), (5, 10), (5,)],
    [(3, 10), (5, 10)],
    [(2, 3, 10), (5, 10), (5,)],
    [(2, 3, 10), (5, 10)],
    [(2, 2, 3, 4), (6, 4), (6,)],
    [(10,), (5, 10), (5,)],
    [(10,), (5, 10)],
    [(3, 10), (5, 10), (3, 5)],
    [(3, 10), (5, 10), (1,)],
    [(3, 10), (5, 10), ()],
    [(2, 3, 10), (5, 10), (3, 5)],
    [(3, 10), (10,)],
    [(4, 0), (5, 0), (5,)],
])
def test_linear(shapes):
    check_op(shapes, lambda *a: F(a[0]).linear(*a))


def test_linear_grad_fn_names():
    cases = [[(3, 10), (5, 10), (5,)], [(3, 10), (5, 10)], [(2, 3, 10), (5, 10), (5,)], [(2, 3, 10), (5, 10)],
             [(10,), (5, 10), (5,)], [(10,), (5, 10)], [(2, 3, 10), (5, 10), (3, 5)]]
    rng = np.random.default_rng(0)
    for shapes in cases:
        arrs = [rng.standard_normal(s) for s in shapes]
        t = tF.linear(*[to_torch(a, True) for a in arrs])
        n = nF.linear(*[to_nt(a, True) for a in arrs])
        assert n.grad_fn.name() == t.grad_fn.name(), shapes


def test_linear_partial_requires_grad():
    # Only some inputs require grad: the others get no gradient and no work is wasted on them.
    for flags in ([True, False, False], [False, True, True], [False, False, True]):
        check_op([(4, 6), (3, 6), (3,)], lambda x, w, b: F(x).linear(x, w, b), requires_grad=flags)


def test_linear_integer():
    x = np.arange(12).reshape(3, 4)
    w = np.arange(8).reshape(2, 4)
    check_op(None, lambda x, w: F(x).linear(x, w), inputs=[x, w], forward_only=True)


def _same_error(call, exact=True):
    with pytest.raises(Exception) as t_err:
        call(torch, tF)
    with pytest.raises(Exception) as n_err:
        call(numtorch, nF)
    assert type(n_err.value) is type(t_err.value), (n_err.value, t_err.value)
    if exact:
        assert str(n_err.value).replace("numtorch", "torch") == str(t_err.value)


@pytest.mark.parametrize("call", [
    lambda m, Fm: Fm.linear(m.ones(3, 10), m.ones(5, 11)),
    lambda m, Fm: Fm.linear(m.ones(2, 3, 10), m.ones(5, 11)),
    lambda m, Fm: Fm.linear(m.ones(10), m.ones(5, 11)),
    lambda m, Fm: Fm.linear(m.ones(3, 10), m.ones(5, 11), m.ones(5)),
    lambda m, Fm: Fm.linear(m.ones(3, 10), m.ones(5, 10), m.ones(4)),
    lambda m, Fm: Fm.linear(m.ones(2, 3, 10), m.ones(5, 10), m.ones(4)),
    lambda m, Fm: Fm.linear(m.ones(3, 10), m.ones(5, 10, dtype=m.float64)),
    lambda m, Fm: Fm.linear(m.ones(3, 10), m.ones(5, 10, dtype=m.float64), m.ones(5, dtype=m.float64)),
    lambda m, Fm: Fm.linear(m.ones(3, 10), m.ones(5, 10), m.ones(5, dtype=m.float64)),
    lambda m, Fm: Fm.linear(m.tensor(1.0), m.ones(5, 10)),
    lambda m, Fm: Fm.linear(m.ones(3, 10), m.ones(2, 5, 10)),
    lambda m, Fm: Fm.linear(m.ones(3, 10), m.ones(10), m.ones(())),
    lambda m, Fm: Fm.linear(m.ones(3, 10), "w"),
])
def test_linear_errors(call):
    _same_error(call)


# ---------------------------------------------------------------------- bilinear
@pytest.mark.parametrize("shapes", [
    [(4, 3), (4, 5), (6, 3, 5), (6,)],
    [(4, 3), (4, 5), (6, 3, 5)],
    [(2, 4, 3), (2, 4, 5), (6, 3, 5), (6,)],
    [(3,), (5,), (2, 3, 5), (2,)],
])
def test_bilinear(shapes):
    check_op(shapes, lambda *a: F(a[0]).bilinear(*a))
    check_op(shapes, lambda *a: lib(a[0]).bilinear(*a), dtypes=("float64",), grad_check=False)


def test_bilinear_grad_fn_names():
    rng = np.random.default_rng(0)
    for shapes in ([(4, 3), (4, 5), (6, 3, 5), (6,)], [(4, 3), (4, 5), (6, 3, 5)]):
        arrs = [rng.standard_normal(s) for s in shapes]
        assert nF.bilinear(*[to_nt(a, True) for a in arrs]).grad_fn.name() == \
            tF.bilinear(*[to_torch(a, True) for a in arrs]).grad_fn.name()


@pytest.mark.parametrize("call", [
    lambda m, Fm: Fm.bilinear(m.ones(4, 3), m.ones(3, 5), m.ones(6, 3, 5), m.ones(6)),
    lambda m, Fm: Fm.bilinear(m.ones(4, 3), m.ones(4, 4), m.ones(6, 3, 5), m.ones(6)),
    lambda m, Fm: Fm.bilinear(m.ones(4, 2), m.ones(4, 5), m.ones(6, 3, 5), m.ones(6)),
    lambda m, Fm: Fm.bilinear(m.ones(4, 3), m.ones(4, 5), m.ones(6, 3, 5), m.ones(5)),
    lambda m, Fm: Fm.bilinear(m.ones(4, 3), m.ones(4, 5), m.ones(6, 3), m.ones(6)),
    lambda m, Fm: Fm.bilinear(m.ones(4, 3), m.ones(4, 5), m.ones(6, 3, 5, dtype=m.float64), m.ones(6)),
    lambda m, Fm: Fm.bilinear(m.ones(4, 3), m.ones(2, 4, 5), m.ones(6, 3, 5), m.ones(6)),
])
def test_bilinear_errors(call):
    _same_error(call)


# ---------------------------------------------------------------------- dropout
def _rand(shape, dtype="float64", seed=0):
    return np.random.default_rng(seed).uniform(0.5, 1.5, shape).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_scaling_fraction_and_grad(p, dtype):
    x = to_nt(_rand((200, 300), dtype), True)
    y = nF.dropout(x, p)
    assert y.dtype == x.dtype and y.grad_fn.name() == "MulBackward0"
    out = y.detach().numpy()
    kept = out != 0
    # Kept values are scaled by exactly 1 / (1 - p) (computed in the input's dtype, as torch does).
    scale = np.asarray(1, dtype) / np.asarray(1 - p, dtype)
    np.testing.assert_array_equal(out[kept], x.detach().numpy()[kept] * scale)
    frac = 1 - kept.mean()
    assert abs(frac - p) < 4 * np.sqrt(p * (1 - p) / kept.size)  # within 4 standard errors
    w = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    (y * numtorch.from_numpy(w)).sum().backward()
    g = x.grad.numpy()
    assert g.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(g[~kept], 0)
    np.testing.assert_array_equal(g[kept], w[kept] * scale)


def test_dropout_identity_cases():
    x = to_nt(_rand((4, 5)), True)
    assert nF.dropout(x, 0.5, training=False) is x
    assert nF.dropout(x, 0.0) is x
    assert nF.dropout(x, 0.0, inplace=True) is x
    assert nF.alpha_dropout(x, 0.5) is x                  # alpha dropout defaults to training=False
    assert nF.feature_alpha_dropout(x, 0.5) is x
    assert nF.dropout2d(to_nt(_rand((2, 3, 4, 4))), 0.5, training=False).shape == (2, 3, 4, 4)
    e = to_nt(np.zeros((0, 3)))
    assert nF.dropout(e, 0.5) is e


@pytest.mark.parametrize("fn", [lambda x: F(x).dropout(x, 1.0), lambda x: F(x).alpha_dropout(x, 1.0, True),
                                lambda x: F(x).dropout2d(x, 1.0), lambda x: F(x).feature_alpha_dropout(x, 1.0, True),
                                lambda x: lib(x).dropout(x, 1.0, True)])
def test_dropout_p_one_gives_zeros(fn):
    x = np.array([[1.0, -2.0, np.nan], [0.5, 3.0, -1.0]])
    check_op(None, fn, inputs=[x.reshape(2, 3, 1, 1)], grad_check=False)


def test_dropout_inplace():
    x = to_nt(_rand((50, 60)), True)
    y = x * 1
    out = nF.dropout(y, 0.4, inplace=True)
    assert out is y and y.grad_fn.name() == "MulBackward0"
    kept = y.detach().numpy() != 0
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.6)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        nF.dropout(to_nt(_rand((3, 3)), True), 0.5, inplace=True)
    plain = to_nt(_rand((3, 300)))
    before = plain.numpy().copy()
    assert numtorch.dropout_(plain, 0.5, True) is plain
    assert np.any(plain.numpy() == 0) and np.any(plain.numpy() != 0)
    changed = plain.numpy() != 0
    np.testing.assert_allclose(plain.numpy()[changed], before[changed] * 2)


def test_dropout_seeded_and_top_level():
    x = to_nt(_rand((10, 10)))
    numtorch.manual_seed(3)
    a = nF.dropout(x, 0.5).numpy()
    numtorch.manual_seed(3)
    b = numtorch.dropout(x, 0.5, True).numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name,shape,per", [
    ("dropout1d", (8, 50, 7), (8, 50, 1)),
    ("dropout1d", (50, 7), (50, 1)),
    ("dropout2d", (8, 50, 3, 3), (8, 50, 1, 1)),
    ("dropout3d", (4, 50, 2, 2, 2), (4, 50, 1, 1, 1)),
    ("dropout3d", (50, 2, 2, 2), (50, 1, 1, 1)),
])
def test_feature_dropout_drops_whole_channels(name, shape, per):
    x = to_nt(_rand(shape), True)
    y = getattr(nF, name)(x, 0.5)
    out = y.detach().numpy()
    kept = out != 0
    # Every channel is all kept or all dropped.
    assert np.all(kept.all(axis=tuple(i for i, s in enumerate(per) if s == 1)) ==
                  kept.any(axis=tuple(i for i, s in enumerate(per) if s == 1)))
    np.testing.assert_allclose(out[kept], x.detach().numpy()[kept] * 2)
    assert 0.3 < 1 - kept.mean() < 0.7
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept * 2.0)


def test_feature_dropout_grad_fn_names():
    x2 = _rand((5, 7))
    assert nF.dropout1d(to_nt(x2, True), 0.5).grad_fn.name() == tF.dropout1d(to_torch(x2, True), 0.5).grad_fn.name()
    x3 = _rand((5, 7, 3))
    assert nF.dropout1d(to_nt(x3, True), 0.5).grad_fn.name() == tF.dropout1d(to_torch(x3, True), 0.5).grad_fn.name()
    x4 = _rand((3, 4, 2, 2))
    assert nF.dropout3d(to_nt(x4, True), 0.5).grad_fn.name() == tF.dropout3d(to_torch(x4, True), 0.5).grad_fn.name()


@pytest.mark.parametrize("name,shape", [("dropout2d", (2, 3, 4)), ("dropout2d", (2, 3)), ("dropout2d", (2, 3, 4, 5, 6)),
                                        ("dropout3d", (2, 3, 4)), ("dropout3d", (2, 3, 4, 5, 6, 7))])
def test_feature_dropout_warnings(name, shape):
    with warnings.catch_warnings(record=True) as t_w:
        warnings.simplefilter("always")
        getattr(tF, name)(torch.ones(shape), 0.5)
    with warnings.catch_warnings(record=True) as n_w:
        warnings.simplefilter("always")
        out = getattr(nF, name)(numtorch.ones(shape), 0.5)
    assert [str(w.message) for w in n_w] == [str(w.message) for w in t_w]
    assert out.shape == shape


@pytest.mark.parametrize("call", [
    lambda m, Fm: Fm.dropout(m.ones(3), 1.5),
    lambda m, Fm: Fm.dropout(m.ones(3), -0.1),
    lambda m, Fm: Fm.alpha_dropout(m.ones(3), 2.0),
    lambda m, Fm: Fm.dropout2d(m.ones(3, 2, 2), -1.0),
    lambda m, Fm: Fm.dropout1d(m.ones(3), 0.5),
    lambda m, Fm: Fm.dropout1d(m.ones(3, 2, 2, 2), 0.5),
    lambda m, Fm: Fm.feature_alpha_dropout(m.ones(3), 0.5, True),
    lambda m, Fm: Fm.dropout(m.tensor([1, 2, 3]), 0.5),
])
def test_dropout_errors(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_error(call)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_values_and_statistics(feature, dtype):
    p = 0.3
    alpha = 1.7580993408473766
    a = 1 / np.sqrt((alpha ** 2 * p + 1) * (1 - p))
    shape = (100, 80, 2, 2) if feature else (400, 400)
    xa = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x = to_nt(xa, True)
    fn = nF.feature_alpha_dropout if feature else nF.alpha_dropout
    y = fn(x, p, True)
    assert y.dtype == x.dtype and y.grad_fn.name() == "AddBackward0"
    out = y.detach().numpy().astype(np.float64)
    dropped_value = a * alpha * (p - 1)
    dropped = np.isclose(out, dropped_value, rtol=1e-6) & ~np.isclose(xa * a + a * alpha * p, dropped_value)
    kept = ~dropped
    np.testing.assert_allclose(out[kept], xa[kept] * a + a * alpha * p, rtol=1e-5, atol=1e-6)
    assert abs(dropped.mean() - p) < 0.02
    # Zero mean and unit variance are preserved for a standard normal input.
    assert abs(out.mean()) < 0.03 and abs(out.std() - 1) < 0.03
    if feature:
        d = dropped.reshape(100, 80, 4)
        assert np.all(d.all(axis=2) | ~d.any(axis=2))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept * a, rtol=1e-6)


# ---------------------------------------------------------------------- embedding
@pytest.mark.parametrize("idx_shape,n,dim", [((4,), 10, 3), ((3, 5), 7, 4), ((), 5, 2), ((2, 3, 4), 6, 5),
                                             ((0,), 4, 3)])
def test_embedding(idx_shape, n, dim):
    idx = np.random.default_rng(1).integers(0, n, idx_shape)
    w = np.random.default_rng(2).standard_normal((n, dim))
    check_op(None, lambda i, w: F(w).embedding(i, w), inputs=[idx, w])


def test_embedding_repeated_indices_int32_and_top_level():
    idx = np.array([[1, 1, 3], [3, 1, 0]])
    w = np.random.default_rng(2).standard_normal((5, 4))
    check_op(None, lambda i, w: F(w).embedding(i, w), inputs=[idx, w])
    check_op(None, lambda i, w: F(w).embedding(i, w), inputs=[idx.astype(np.int32), w])
    check_op(None, lambda i, w: lib(w).embedding(w, i), inputs=[idx, w])          # torch's top-level order
    check_op(None, lambda i, w: lib(w).embedding(w, i, 3), inputs=[idx, w], grad_check=False)
    check_op(None, lambda i, w: lib(w).embedding(w, i, -1, True), inputs=[idx, w], grad_check=False)


@pytest.mark.parametrize("padding_idx", [0, 3, -1, -5])
def test_embedding_padding_idx(padding_idx):
    idx = np.array([[0, 1, 3], [3, 4, 0]])
    w = np.random.default_rng(2).standard_normal((5, 4))
    # The padding row's gradient is 0 by definition (not the derivative), so no finite-difference check.
    check_op(None, lambda i, w: F(w).embedding(i, w, padding_idx=padding_idx), inputs=[idx, w], grad_check=False)


def test_embedding_scale_grad_by_freq():
    idx = np.array([[0, 1, 1], [1, 4, 0], [2, 2, 2]])
    w = np.random.default_rng(2).standard_normal((5, 3))
    # Scaled by frequency, the gradient is deliberately not the derivative: compare with torch only.
    check_op(None, lambda i, w: F(w).embedding(i, w, scale_grad_by_freq=True), inputs=[idx, w], grad_check=False)
    check_op(None, lambda i, w: F(w).embedding(i, w, padding_idx=1, scale_grad_by_freq=True), inputs=[idx, w],
             grad_check=False)


def test_embedding_large_batches_both_scatter_paths():
    rng = np.random.default_rng(0)
    # Many distinct indices over a large table (np.add.at path) and a small table with many repeats (sorting).
    for n, size in ((100000, 70000), (50, 70000), (1000, 300)):
        idx = rng.integers(0, n, size)
        w = rng.standard_normal((n, 3))
        check_op(None, lambda i, w: F(w).embedding(i, w), inputs=[idx, w], grad_check=False)


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (0.5, 1.0), (1.2, 3.0), (0.8, float("inf"))])
def test_embedding_max_norm_renormalises_in_place(max_norm, norm_type):
    idx = np.array([[0, 2, 2], [4, 0, 1]])
    wa = np.random.default_rng(3).standard_normal((6, 4)) * 1.5
    for dtype in ("float32", "float64"):
        wt = to_torch(wa.astype(dtype), True)
        wn = to_nt(wa.astype(dtype), True)
        vt, vn = wt._version, wn._version
        yt = tF.embedding(to_torch(idx), wt, max_norm=max_norm, norm_type=norm_type)
        yn = nF.embedding(to_nt(idx), wn, max_norm=max_norm, norm_type=norm_type)
        np.testing.assert_allclose(wn.detach().numpy(), wt.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(yn.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
        assert (wn._version > vn) == (wt._version > vt)
        yt.sum().backward()
        yn.sum().backward()
        np.testing.assert_allclose(wn.grad.numpy(), wt.grad.numpy())
        # Rows that were not looked up keep their values.
        np.testing.assert_array_equal(wn.detach().numpy()[[3, 5]], wa.astype(dtype)[[3, 5]])


def test_embedding_renorm_top_level():
    wa = np.random.default_rng(3).standard_normal((6, 4)) * 2
    idx = np.array([1, 3, 3])
    wt, wn = to_torch(wa), to_nt(wa)
    torch.embedding_renorm_(wt, to_torch(idx), 1.0, 2.0)
    assert numtorch.embedding_renorm_(wn, to_nt(idx), 1.0, 2.0) is wn
    np.testing.assert_allclose(wn.numpy(), wt.numpy(), rtol=1e-12)


def test_embedding_sparse_flag_gives_dense_gradient():
    idx = np.array([0, 2, 2])
    w = np.random.default_rng(2).standard_normal((4, 3))
    wn = to_nt(w, True)
    nF.embedding(to_nt(idx), wn, sparse=True).sum().backward()
    np.testing.assert_allclose(wn.grad.numpy(), [[1, 1, 1], [0, 0, 0], [2, 2, 2], [0, 0, 0]])


def test_embedding_grad_fn_name():
    w = np.ones((4, 3))
    assert nF.embedding(to_nt(np.array([1])), to_nt(w, True)).grad_fn.name() == \
        tF.embedding(to_torch(np.array([1])), to_torch(w, True)).grad_fn.name()


@pytest.mark.parametrize("call", [
    lambda m, Fm: Fm.embedding(m.tensor([0, 5]), m.ones(5, 3)),
    lambda m, Fm: Fm.embedding(m.tensor([0, -1]), m.ones(5, 3)),
    lambda m, Fm: Fm.embedding(m.tensor([0.0, 1.0]), m.ones(5, 3)),
    lambda m, Fm: Fm.embedding(m.tensor([0, 1], dtype=m.int16), m.ones(5, 3)),
    lambda m, Fm: Fm.embedding(m.tensor([0, 1]), m.ones(5, 3), padding_idx=5),
    lambda m, Fm: Fm.embedding(m.tensor([0, 1]), m.ones(5, 3), padding_idx=-6),
    lambda m, Fm: Fm.embedding(m.tensor([0, 1]), m.ones(5)),
    lambda m, Fm: Fm.embedding(m.tensor([0, 1]), m.ones(5, 2, 2)),
    lambda m, Fm: m.embedding_renorm_(m.ones(5, 3, requires_grad=True), m.tensor([0]), 1.0, 2.0),
    lambda m, Fm: m.embedding_renorm_(m.ones(5, 3), m.tensor([7]), 1.0, 2.0),
])
def test_embedding_errors(call):
    _same_error(call)


# ---------------------------------------------------------------------- one_hot
@pytest.mark.parametrize("values,num_classes", [([0, 2, 1], -1), ([0, 2, 1], 5), ([[1, 0], [3, 3]], -1), (2, 3),
                                                ([], 3)])
def test_one_hot(values, num_classes):
    t = tF.one_hot(torch.tensor(values, dtype=torch.int64), num_classes)
    n = nF.one_hot(numtorch.tensor(values, dtype=numtorch.int64), num_classes)
    assert n.dtype == numtorch.int64 and tuple(n.shape) == tuple(t.shape)
    np.testing.assert_array_equal(n.numpy(), t.numpy())


@pytest.mark.parametrize("call", [
    lambda m, Fm: Fm.one_hot(m.tensor([0, 2, 1], dtype=m.int32), 5),
    lambda m, Fm: Fm.one_hot(m.tensor([0.0, 2.0]), 5),
    lambda m, Fm: Fm.one_hot(m.tensor([0, -2, 1]), 5),
    lambda m, Fm: Fm.one_hot(m.tensor([0, 7, 1]), 5),
    lambda m, Fm: Fm.one_hot(m.tensor([], dtype=m.int64)),
    lambda m, Fm: Fm.one_hot(m.tensor([1]), -2),
    lambda m, Fm: Fm.one_hot(m.tensor([1]), 0),
])
def test_one_hot_errors(call):
    _same_error(call)


def test_functional_exports():
    import numtorch.ops.linear as lin
    for name in lin.__all__:
        assert hasattr(tF, name), name
        assert getattr(nF, name) is getattr(lin, name)
    for name in lin.TOP_LEVEL:
        assert hasattr(torch, name), name
        assert hasattr(numtorch, name), name
