"""Shape ops against torch: values, dtypes, every input gradient (float32 and float64), float64 gradcheck,
grad_fn names, memory sharing of views, and error types/messages. Shapes, permutations and reshapes are also
drawn by hypothesis."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numtorch
from helpers import assert_close, check_op, lib, to_nt, to_torch, torch

pytestmark = pytest.mark.torch

HYP = settings(max_examples=25, deadline=None, derandomize=True)


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


def same_grad_fn(fn, arr):
    n, t = both(arr, True)
    out_n, out_t = fn(n), fn(t)
    out_n = out_n[0] if isinstance(out_n, tuple) else out_n
    out_t = out_t[0] if isinstance(out_t, tuple) else out_t
    assert out_n.grad_fn.name() == out_t.grad_fn.name()


X = np.arange(24, dtype=np.float64).reshape(2, 3, 4)

# ---------------------------------------------------------------------- reshape, view, flatten, squeeze
RESHAPES = [
    lambda x: x.reshape(6, 4),
    lambda x: x.reshape((4, -1)),
    lambda x: lib(x).reshape(x, (24,)),
    lambda x: lib(x).reshape(x, [-1, 2, 2]),
    lambda x: x.view(4, 6),
    lambda x: x.view(-1),
    lambda x: x.view((3, 2, 4)),
    lambda x: x.reshape_as(x[0].unsqueeze(0).expand(4, 3, 4)[:2]),
    lambda x: x.view_as(x.reshape(4, 6)),
    lambda x: x.flatten(),
    lambda x: x.flatten(1),
    lambda x: lib(x).flatten(x, 0, 1),
    lambda x: x.flatten(-2, -1),
    lambda x: x.flatten(1, 1),
    lambda x: x.unflatten(2, (2, 2)),
    lambda x: lib(x).unflatten(x, -1, (-1, 2)),
    lambda x: x.unflatten(0, (1, 2, 1)),
    lambda x: x.transpose(0, 2).reshape(-1),  # not viewable: a copy
    lambda x: x.transpose(0, 2).reshape(4, 6),
    lambda x: x.permute(1, 0, 2).flatten(),
    lambda x: x[:, :, ::2].flatten(0, 1),  # viewable although not contiguous
    lambda x: x[:, ::2].reshape(2, 8),
]


@pytest.mark.parametrize("fn", RESHAPES)
def test_reshape_family(fn):
    check_op([(2, 3, 4)], fn)


SQUEEZES = [
    lambda x: x.squeeze(),
    lambda x: x.squeeze(1),
    lambda x: x.squeeze(-1),
    lambda x: x.squeeze(0),  # size 2: left alone
    lambda x: x.squeeze((1, 3)),
    lambda x: lib(x).squeeze(x, (0, 1)),
    lambda x: x.unsqueeze(0),
    lambda x: x.unsqueeze(-1),
    lambda x: lib(x).unsqueeze(x, 2),
    lambda x: x.unsqueeze(-5),
]


@pytest.mark.parametrize("fn", SQUEEZES)
def test_squeeze_unsqueeze(fn):
    check_op([(2, 1, 3, 1)], fn)


def test_zero_dim_and_empty():
    check_op([()], lambda x: x.reshape(1, 1))
    check_op([()], lambda x: x.view(-1))
    check_op([()], lambda x: x.flatten())
    check_op([()], lambda x: x.squeeze(0))
    check_op([()], lambda x: x.unsqueeze(0))
    check_op([()], lambda x: x.t())
    check_op([(0, 3)], lambda x: x.reshape(3, 0), grad_check=False)
    check_op([(0, 3)], lambda x: x.reshape(-1, 3), grad_check=False)
    check_op([(2, 0, 3)], lambda x: x.permute(2, 0, 1), grad_check=False)


# ---------------------------------------------------------------------- permutations
PERMUTES = [
    lambda x: x.permute(2, 0, 1),
    lambda x: x.permute((1, 2, 0)),
    lambda x: lib(x).permute(x, (2, 1, 0)),
    lambda x: x.permute(-1, 0, -2),
    lambda x: x.transpose(0, 2),
    lambda x: lib(x).transpose(x, -1, 1),
    lambda x: x.swapaxes(0, 1),
    lambda x: lib(x).swapdims(x, 2, 0),
    lambda x: x.mT,
    lambda x: x.mH,
    lambda x: x.movedim(0, -1),
    lambda x: lib(x).movedim(x, (0, 1), (2, 0)),
    lambda x: lib(x).moveaxis(x, -1, 0),
    lambda x: x.moveaxis((2,), (1,)),
]


@pytest.mark.parametrize("fn", PERMUTES)
def test_permute_family(fn):
    check_op([(2, 3, 4)], fn)


@pytest.mark.parametrize("fn", [lambda x: x.t(), lambda x: lib(x).t(x), lambda x: x.T, lambda x: x.H,
                                lambda x: x.mT, lambda x: x.mH])
def test_matrix_transposes(fn):
    check_op([(3, 5)], fn)


def test_t_of_vector_and_T_warning():
    check_op([(4,)], lambda x: x.t())
    n, t = both(X)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert_close(n.T, t.T, 0, 0)
    assert any("x.T" in str(m.message) for m in w)


# ---------------------------------------------------------------------- expand / repeat
EXPANDS = [
    lambda x: x.expand(2, 3, 5, 4),
    lambda x: x.expand(3, -1, -1),
    lambda x: x.expand((2, 3, 5, -1)),
    lambda x: x.expand(3, 5, 4),
    lambda x: lib(x).broadcast_to(x, (2, 3, 5, 4)),
    lambda x: x.broadcast_to((3, 5, 4)),
    lambda x: x.expand_as(x.expand(6, 3, 5, 4)),
    lambda x: x.expand(1, 3, 1, 4),  # nothing really expanded
    lambda x: lib(x).broadcast_tensors(x, x.sum(0))[0],
]


@pytest.mark.parametrize("fn", EXPANDS)
def test_expand_family(fn):
    check_op([(3, 1, 4)], fn)


def test_broadcast_tensors_and_shapes():
    check_op([(3, 1), (1, 4), (2, 1, 1)], lambda a, b, c: lib(a).broadcast_tensors(a, b, c))
    assert tuple(numtorch.broadcast_shapes((3, 1), (4,), 1)) == tuple(torch.broadcast_shapes((3, 1), (4,), 1))
    assert isinstance(numtorch.broadcast_shapes((2, 1), (1, 3)), numtorch.Size)


REPEATS = [
    lambda x: x.repeat(2, 1, 3),
    lambda x: x.repeat(2, 2, 1, 1),
    lambda x: x.repeat((1, 1, 1)),
    lambda x: x.tile((2,)),
    lambda x: x.tile(2, 1, 1, 1),
    lambda x: lib(x).tile(x, (3, 1)),
    lambda x: x.repeat_interleave(2),
    lambda x: x.repeat_interleave(3, dim=1),
    lambda x: lib(x).repeat_interleave(x, 2, dim=-1),
    lambda x: x.repeat_interleave(lib(x).tensor([1, 0, 2]), dim=1),
    lambda x: x.repeat_interleave(lib(x).tensor([2]), dim=0),
    lambda x: x.repeat_interleave(lib(x).tensor([0, 3]), dim=0),
    lambda x: x.repeat_interleave(0, dim=2),
]


@pytest.mark.parametrize("fn", REPEATS)
def test_repeat_family(fn):
    check_op([(2, 3, 4)], fn)


def test_repeat_interleave_counts_only():
    c = np.array([1, 2, 0, 3])
    assert_close(numtorch.repeat_interleave(to_nt(c)), torch.repeat_interleave(to_torch(c)), 0, 0)


# ---------------------------------------------------------------------- cat / stack
def test_cat_family():
    check_op([(2, 3), (4, 3)], lambda a, b: lib(a).cat([a, b]))
    check_op([(2, 3), (2, 1), (2, 2)], lambda a, b, c: lib(a).cat((a, b, c), dim=-1))
    check_op([(2, 3), (2, 3)], lambda a, b: lib(a).concat([a, b], 1))
    check_op([(2, 3), (2, 3)], lambda a, b: lib(a).concatenate([a, b], axis=0))
    check_op([(2, 3, 4), (0,)], lambda a, b: lib(a).cat([a, b], 2))  # 1-d empty tensors are skipped
    check_op([(0,), (0,)], lambda a, b: lib(a).cat([a, b]), grad_check=False)
    check_op([(1, 3), (0, 3)], lambda a, b: lib(a).cat([a, b]))
    check_op([(3,)], lambda a: lib(a).cat([a]))


def test_cat_promotes_dtypes():
    a, b = np.ones((2, 2), np.float32), np.arange(4).reshape(2, 2)
    assert_close(numtorch.cat([to_nt(a), to_nt(b)]), torch.cat([to_torch(a), to_torch(b)]), 0, 0)
    c = np.ones((1, 2), np.float64)
    na, ta = to_nt(a, True), to_torch(a, True)
    nc, tc = to_nt(c), to_torch(c)
    n_out, t_out = numtorch.cat([na, nc]), torch.cat([ta, tc])
    assert_close(n_out, t_out, 0, 0)
    n_out.sum().backward()
    t_out.sum().backward()
    assert_close(na.grad, ta.grad, 0, 0)


def test_stack_family():
    check_op([(2, 3), (2, 3)], lambda a, b: lib(a).stack([a, b]))
    check_op([(2, 3), (2, 3), (2, 3)], lambda a, b, c: lib(a).stack((a, b, c), dim=-1))
    check_op([(2, 3), (2, 3)], lambda a, b: lib(a).stack([a, b], 1))
    check_op([(), ()], lambda a, b: lib(a).stack([a, b]))
    check_op([(3,), (3,)], lambda a, b: lib(a).hstack([a, b]))
    check_op([(2, 3), (2, 1)], lambda a, b: lib(a).hstack([a, b]))
    check_op([(3,), (2, 3)], lambda a, b: lib(a).vstack([a, b]))
    check_op([(3,), (1, 3)], lambda a, b: lib(a).row_stack([a, b]))
    check_op([(3,), (3,)], lambda a, b: lib(a).dstack([a, b]))
    check_op([(2, 3), (2, 3, 2)], lambda a, b: lib(a).dstack([a, b]))
    check_op([(3,), (3, 2), ()], lambda a, b, c: lib(a).column_stack([a, b, c.expand(3)]))


def test_atleast():
    for n in (1, 2, 3):
        for shape in [(), (4,), (2, 3), (2, 3, 4)]:
            check_op([shape], lambda x: getattr(lib(x), f"atleast_{n}d")(x))
    check_op([(), (3,)], lambda a, b: lib(a).atleast_2d(a, b))
    check_op([(), (3,)], lambda a, b: lib(a).atleast_3d([a, b]))
    n, t = both(X)
    assert numtorch.atleast_2d(n) is n and torch.atleast_2d(t) is t


# ---------------------------------------------------------------------- split family
SPLITS = [
    lambda x: x.split(2, dim=2),
    lambda x: lib(x).split(x, [1, 2], 1),
    lambda x: x.split(5),
    lambda x: x.split([0, 3, 1], dim=-1),
    lambda x: x.chunk(2, 2),
    lambda x: lib(x).chunk(x, 3, dim=2),  # ceil(4/3) = 2: only two chunks
    lambda x: x.chunk(5, -1),
    lambda x: x.unbind(1),
    lambda x: lib(x).unbind(x, -1),
    lambda x: tuple(x),  # iteration goes through unbind(0)
    lambda x: x.tensor_split(3, dim=2),
    lambda x: lib(x).tensor_split(x, [1, 5, 2], dim=2),
    lambda x: x.tensor_split(lib(x).tensor([1, 3]), dim=-1),
    lambda x: x.tensor_split(lib(x).tensor(2), dim=1),
    lambda x: x.narrow(1, 1, 2),
    lambda x: lib(x).narrow(x, -1, -2, 2),
    lambda x: x.narrow(0, 0, 0),
    lambda x: x.split(1)[1],  # only one output used: the others get zero gradients
]


@pytest.mark.parametrize("fn", SPLITS)
def test_split_family(fn):
    check_op([(2, 3, 4)], fn)


def test_chunk_of_empty_dimension():
    n, t = both(np.zeros((0, 3)))
    assert [tuple(a.shape) for a in n.chunk(3)] == [tuple(a.shape) for a in t.chunk(3)]
    assert [tuple(a.shape) for a in n.split(0)] == [tuple(a.shape) for a in t.split(0)]


# ---------------------------------------------------------------------- copies: flip, roll, triangles
COPIES = [
    lambda x: x.flip(0),
    lambda x: x.flip(0, 2),
    lambda x: x.flip((-1,)),
    lambda x: lib(x).flip(x, [0, 1]),
    lambda x: x.flip(()),
    lambda x: x.fliplr(),
    lambda x: lib(x).flipud(x),
    lambda x: x.roll(1, 0),
    lambda x: x.roll((1, -2), (0, 2)),
    lambda x: lib(x).roll(x, 5),
    lambda x: x.roll(-1, -1),
    lambda x: x.roll((1, 1), (2, 2)),
    lambda x: x.tril(),
    lambda x: lib(x).triu(x, 1),
    lambda x: x.tril(-1),
    lambda x: x.triu(diagonal=-2),
    lambda x: x.diagonal(),
    lambda x: x.diagonal(1),
    lambda x: lib(x).diagonal(x, -1, 1, 2),
    lambda x: x.diagonal(0, -1, 0),
    lambda x: x.diagonal(5),
    lambda x: x.diag_embed(),
    lambda x: lib(x).diag_embed(x, 1, 0, 2),
    lambda x: x.diag_embed(-1, -1, 0),
]


@pytest.mark.parametrize("fn", COPIES)
def test_flip_roll_triangles_diagonals(fn):
    check_op([(2, 3, 4)], fn)


@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag(k):
    check_op([(4,)], lambda x: x.diag(k))
    check_op([(3, 4)], lambda x: lib(x).diag(x, k))


def test_inplace_triangles():
    for name in ("tril_", "triu_"):
        n, t = both(np.arange(12.).reshape(3, 4))
        getattr(n, name)(1)
        getattr(t, name)(1)
        assert_close(n, t, 0, 0)
    check_op([(3, 4)], lambda x: (x * 1).tril_(-1))


# ---------------------------------------------------------------------- meshgrid, einsum
@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    check_op([(3,), (4,), (2,)], lambda a, b, c: lib(a).meshgrid(a, b, c, indexing=indexing))
    check_op([(3,), ()], lambda a, b: lib(a).meshgrid([a, b], indexing=indexing))


def test_meshgrid_default_warns():
    for L in (torch, numtorch):
        with pytest.warns(UserWarning, match="indexing argument"):
            out = L.meshgrid(L.zeros(2), L.zeros(3))
        assert tuple(out[0].shape) == (2, 3)


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ba", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->ji", [(3, 3, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...j,...j->...", [(5, 1, 3), (2, 3)]),
    ("...j,jk", [(5, 2, 3), (3, 4)]),
    ("...i->i", [(2, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("ij,ij->ij", [(2, 3), (1, 3)]),  # a labelled size-1 dimension broadcasts
    ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("ij,k->ik", [(2, 3), (4,)]),  # j is summed away inside one operand
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    (" i j , j k -> i k ", [(2, 3), (3, 4)]),
    ("iJ,Jk->ik", [(2, 3), (3, 4)]),
    ("", [()]),
    ("i,i->", [(4,), (4,)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUMS)
def test_einsum(eq, shapes):
    check_op(shapes, lambda *xs: lib(xs[0]).einsum(eq, *xs))


def test_einsum_forms():
    check_op([(2, 3), (3, 4)], lambda a, b: lib(a).einsum("ij,jk->ik", [a, b]))
    check_op([(2, 3), (3, 4)], lambda a, b: lib(a).einsum(a, [0, 1], b, [1, 2], [0, 2]))
    check_op([(2, 3), (3, 4)], lambda a, b: lib(a).einsum(a, [0, 1], b, [1, 2]))
    check_op([(2, 3, 4)], lambda a: lib(a).einsum(a, [Ellipsis, 1], [1]))
    a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    assert_close(numtorch.einsum("ij,jk->ik", to_nt(a), to_nt(b)), torch.einsum("ij,jk->ik", to_torch(a),
                                                                                to_torch(b)), 0, 0)


def test_einsum_result_does_not_alias_operand():
    x = to_nt(np.arange(9.).reshape(3, 3))
    y = numtorch.einsum("ii->i", x)
    y[0] = 100.
    assert x[0, 0].item() == 0.0


# ---------------------------------------------------------------------- grad_fn names
@pytest.mark.parametrize("fn", [
    lambda x: x.reshape(6, 4), lambda x: x.transpose(0, 2).reshape(-1), lambda x: x.view(-1),
    lambda x: x.flatten(), lambda x: x.unflatten(2, (2, 2)), lambda x: x.squeeze(), lambda x: x.squeeze(0),
    lambda x: x.squeeze((0, 1)), lambda x: x.unsqueeze(0), lambda x: x.permute(2, 0, 1),
    lambda x: x.transpose(0, 1), lambda x: x.mT, lambda x: x.movedim(0, 1), lambda x: x[0].t(),
    lambda x: x[0].T, lambda x: x.expand(2, 2, 3, 4), lambda x: x.repeat(1, 2, 1), lambda x: x.split(1),
    lambda x: x.split([1, 1]), lambda x: x.chunk(2), lambda x: x.unbind(), lambda x: x.narrow(0, 0, 1),
    lambda x: x.tensor_split(2), lambda x: x.flip(0), lambda x: x.roll(1), lambda x: x.tril(),
    lambda x: x.triu(), lambda x: x.diagonal(), lambda x: x[0].diag(), lambda x: x[0, 0].diag(),
    lambda x: x.diag_embed(), lambda x: lib(x).cat([x, x]), lambda x: lib(x).stack([x, x]),
    lambda x: x.repeat_interleave(lib(x).tensor([1, 2]), dim=0), lambda x: x.repeat_interleave(2),
])
def test_grad_fn_names(fn):
    same_grad_fn(fn, X)


# ---------------------------------------------------------------------- views share memory and versions
VIEWS = [
    lambda x: x.view(6, 4), lambda x: x.reshape(-1), lambda x: x.flatten(0, 1), lambda x: x.unflatten(2, (2, 2)),
    lambda x: x.permute(2, 0, 1), lambda x: x.transpose(0, 1), lambda x: x.mT, lambda x: x.unsqueeze(1),
    lambda x: x[:1].squeeze(0), lambda x: x.narrow(2, 1, 2), lambda x: x.split(2, 2)[1],
    lambda x: x.chunk(2, 2)[0], lambda x: x.unbind(1)[2], lambda x: x.diagonal(0, 1, 2),
    lambda x: x.tensor_split(2, 2)[1], lambda x: x.movedim(0, 2), lambda x: x.expand(1, 2, 3, 4)[0],
    lambda x: x[:, :, ::2].flatten(0, 1), lambda x: lib(x).atleast_3d(x[0, 0]),
]


@pytest.mark.parametrize("fn", VIEWS)
def test_views_share_memory(fn):
    n, t = both(X)
    vn, vt = fn(n), fn(t)
    assert vn._base is n and vt._base is t
    vn[...] = -1.0
    vt[...] = -1.0
    assert_close(n, t, 0, 0)
    assert n._version == vn._version == 1


@pytest.mark.parametrize("fn", [lambda x: x.transpose(0, 2).reshape(-1), lambda x: x.flip(0), lambda x: x.roll(1),
                                lambda x: x.repeat(1, 1, 1), lambda x: x.tril(), lambda x: lib(x).cat([x]),
                                lambda x: x[0].diag(), lambda x: x.transpose(0, 1).flatten()])
def test_copies_do_not_share_memory(fn):
    n, t = both(X)
    vn, vt = fn(n), fn(t)
    assert vt._base is None and vn._base is None
    vn[...] = -1.0
    vt[...] = -1.0
    assert_close(n, t, 0, 0)
    assert n._version == 0


def test_view_of_view_shares_base_and_version():
    n = to_nt(X)
    v = n.view(6, 4).t().unsqueeze(0)
    assert v._base is n
    v[0, 0, 0] = 7.0
    assert n[0, 0, 0].item() == 7.0 and n._version == 1


def test_inplace_write_to_base_invalidates_saved_view():
    for L in (torch, numtorch):
        a = L.ones(2, 3, requires_grad=True) * 2
        v = a.t()
        y = v * v
        with L.no_grad():
            a[0, 0] = 5.0
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_expanded_view_is_read_only_for_inplace_ops():
    for L in (torch, numtorch):
        e = L.zeros(4).expand(3, 4)
        with pytest.raises(RuntimeError, match="single memory location"):
            e.add_(1)


# ---------------------------------------------------------------------- errors
ERRORS = [
    lambda L, x: x.transpose(0, 1).view(24),
    lambda L, x: x.view(5, 5),
    lambda L, x: x.reshape(5, 5),
    lambda L, x: x.reshape(-1, -1),
    lambda L, x: x.reshape(-1, 5),
    lambda L, x: x.reshape(-2, 12),
    lambda L, x: L.zeros(0, 3).reshape(0, -1),
    lambda L, x: x.flatten(2, 1),
    lambda L, x: x.flatten(0, 3),
    lambda L, x: x.unflatten(1, (2, 2)),
    lambda L, x: x.unflatten(2, ()),
    lambda L, x: x.squeeze(3),
    lambda L, x: x.squeeze((0, 0)),
    lambda L, x: x.unsqueeze(4),
    lambda L, x: x.permute(0, 1),
    lambda L, x: x.permute(0, 1, 1),
    lambda L, x: x.permute(0, 1, 3),
    lambda L, x: x.transpose(0, 3),
    lambda L, x: x.t(),
    lambda L, x: x[0, 0].mT,
    lambda L, x: x[0, 0].mH,
    lambda L, x: x.H,
    lambda L, x: x.movedim((0, 1), (0,)),
    lambda L, x: x.movedim((0, 0), (1, 2)),
    lambda L, x: x.movedim((0, 1), (1, 1)),
    lambda L, x: x.expand(2, 4, 4),
    lambda L, x: x.expand(3, 4, 5),
    lambda L, x: x.expand(-1, 2, 3, 4),
    lambda L, x: x.expand(2, -2, 4),
    lambda L, x: x.broadcast_to((2, 5, 4)),
    lambda L, x: L.broadcast_tensors(x, L.zeros(5)),
    lambda L, x: x.repeat(2, 2),
    lambda L, x: x.repeat(2, 2, -1),
    lambda L, x: x.repeat_interleave(-1),
    lambda L, x: x.repeat_interleave(L.tensor([1, 2]), dim=2),
    lambda L, x: x.repeat_interleave(L.tensor([[1, 2]]), dim=2),
    lambda L, x: x.repeat_interleave(L.tensor([-1, 2]), dim=0),
    lambda L, x: x.repeat_interleave(2, dim=0, output_size=5),
    lambda L, x: L.cat([]),
    lambda L, x: L.cat([x, L.zeros(3, 4)]),
    lambda L, x: L.cat([x, L.zeros(2, 4, 4)]),
    lambda L, x: L.cat([x, L.zeros(2, 3, 5)], 1),
    lambda L, x: L.cat([L.tensor(1.), L.tensor(2.)]),
    lambda L, x: L.cat([x, x], 3),
    lambda L, x: L.cat([x, 1]),
    lambda L, x: L.cat(x),
    lambda L, x: L.stack([x, L.zeros(2, 3)]),
    lambda L, x: L.stack([]),
    lambda L, x: L.stack([x, x], 4),
    lambda L, x: x.split([1, 1], 1),
    lambda L, x: x.split(-1),
    lambda L, x: x.split(0),
    lambda L, x: x.split([4, -1], 1),
    lambda L, x: x.chunk(0),
    lambda L, x: x.tensor_split(0),
    lambda L, x: x.tensor_split(L.tensor([1., 3.]), dim=2),
    lambda L, x: x.tensor_split(L.tensor([[1, 3]]), dim=2),
    lambda L, x: x.unbind(3),
    lambda L, x: x.narrow(0, 5, 1),
    lambda L, x: x.narrow(0, 1, 5),
    lambda L, x: x.narrow(0, 0, -1),
    lambda L, x: L.tensor(1.).narrow(0, 0, 1),
    lambda L, x: x.roll((1, 2), 0),
    lambda L, x: x.roll((1, 2)),
    lambda L, x: x[0, 0].tril(),
    lambda L, x: x[0, 0].triu(),
    lambda L, x: x.diag(),
    lambda L, x: x.diagonal(0, 1, 1),
    lambda L, x: x.diag_embed(0, 1, 1),
    lambda L, x: x.flip(0, 0),
    lambda L, x: x.flip(3),
    lambda L, x: x[0, 0].fliplr(),
    lambda L, x: L.tensor(1.).flipud(),
    lambda L, x: L.flip(x, 0),
    lambda L, x: L.meshgrid(x[0, 0], x[0, :, 0], indexing="foo"),
    lambda L, x: L.meshgrid(x[0, 0], x[0, :, 0].double(), indexing="ij"),
    lambda L, x: L.meshgrid(),
    lambda L, x: L.einsum("ij->ij", x[0], x[0]),
    lambda L, x: L.einsum("ij,jk->ik", x[0]),
    lambda L, x: L.einsum("ijk->ij", x[0]),
    lambda L, x: L.einsum("ij,ij->ij", x[0], x[0, :2]),
    lambda L, x: L.einsum("ij->ii", x[0]),
    lambda L, x: L.einsum("ij->ik", x[0]),
    lambda L, x: L.einsum("ij,jk->ik", x[0], x[0].t().double()),
    lambda L, x: L.einsum("i1,1k->ik", x[0], x[0]),
    lambda L, x: L.einsum("ij->j->i", x[0]),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_torch(fn):
    same_error(fn, X.astype(np.float32))


def test_expand_too_few_sizes_message():
    t_msg, n_msg = same_error(lambda L, x: x.expand(3, 4), X.astype(np.float32), exact=False)
    assert n_msg == t_msg
    t_msg, n_msg = same_error(lambda L, x: x.expand_as(L.zeros(3)), X.astype(np.float32), exact=False)
    assert n_msg == t_msg


def test_meshgrid_ndim_error():
    t_msg, n_msg = same_error(lambda L, x: L.meshgrid(x[0], x[0, :, 0], indexing="ij"), X, exact=False)
    assert n_msg.startswith("numtorch.meshgrid: Expected 0D or 1D tensor in the tensor list but got:")


def test_type_errors():
    n = to_nt(X)
    with pytest.raises(TypeError):
        numtorch.reshape(n, 24)
    with pytest.raises(TypeError):
        n.view(2.0, 12)


# ---------------------------------------------------------------------- hypothesis: shapes, permutations, reshapes
@st.composite
def shape_and_perm(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    perm = draw(st.permutations(range(len(shape))))
    return shape, tuple(perm)


@HYP
@given(shape_and_perm())
def test_hypothesis_permute_then_reshape(sp):
    shape, perm = sp
    check_op([shape], lambda x: x.permute(*perm).reshape(-1))
    check_op([shape], lambda x: x.permute(perm).flatten(0, -1 if len(perm) > 1 else 0) * 1)


@st.composite
def shape_and_factorisation(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    n = int(np.prod(shape))
    dims = []
    rest = n
    while rest > 1:
        divisors = [d for d in range(2, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divisors))
        dims.append(d)
        rest //= d
    dims = draw(st.permutations(dims)) if dims else [1]
    infer = draw(st.integers(-1, len(dims) - 1))
    target = tuple(-1 if i == infer else d for i, d in enumerate(dims))
    return shape, target


@HYP
@given(shape_and_factorisation(), st.booleans())
def test_hypothesis_reshape(st_, transposed):
    shape, target = st_
    if transposed and len(shape) >= 2:
        check_op([shape], lambda x: x.transpose(0, -1).reshape(target))
    else:
        check_op([shape], lambda x: x.reshape(target))
    check_op([shape], lambda x: x.reshape(target).unsqueeze(0).squeeze(0))


@st.composite
def shape_dim_and_split(draw):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    size = draw(st.integers(1, 5))
    return shape, dim, size


@HYP
@given(shape_dim_and_split())
def test_hypothesis_split_cat_roundtrip(sdz):
    shape, dim, size = sdz
    check_op([shape], lambda x: x.split(size, dim))
    check_op([shape], lambda x: lib(x).cat(x.chunk(size, dim)[::-1], dim))
    check_op([shape], lambda x: lib(x).stack(x.unbind(dim), -1))
    check_op([shape], lambda x: x.flip(dim).roll(size, dim))
