"""nn.utils.rnn against torch: PackedSequence, pack/pad helpers (values, metadata, gradients, errors)."""
import numpy as np
import pytest

import numtorch
from numtorch.autograd.gradcheck import gradcheck
from numtorch.nn.utils import rnn as nr
from numtorch.nn.utils.rnn import _sort_descending
from helpers import assert_close, check_grads, to_nt, to_torch, torch

pytestmark = pytest.mark.torch

tr = torch.nn.utils.rnn if torch is not None else None


def _pair(shape, seed=0, dtype="float64"):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return to_torch(a, True), to_nt(a, True)


def same_packed(n, t):
    assert type(n).__name__ == "PackedSequence"
    assert_close(n.data, t.data, 0, 0, "data")
    assert n.batch_sizes.tolist() == t.batch_sizes.tolist()
    assert n.batch_sizes.dtype == numtorch.int64
    for name in ("sorted_indices", "unsorted_indices"):
        a, b = getattr(n, name), getattr(t, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert a.tolist() == b.tolist() and a.dtype == numtorch.int64


# ---------------------------------------------------------------------- pack_padded_sequence
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("trailing", [(), (3,), (2, 3)], ids=["scalar_steps", "vector_steps", "matrix_steps"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 4, 4, 2, 1], True), ([5, 5, 5], True),
                                                     ([2, 5, 1, 4, 4], False), ([3], True), ([1, 1], False)])
def test_pack_padded_sequence(lengths, enforce_sorted, batch_first, trailing, dtype):
    B, T = len(lengths), max(lengths) + 1          # one step of padding beyond the longest
    shape = ((B, T) if batch_first else (T, B)) + trailing
    tx, nx = _pair(shape, dtype=dtype)
    tp = tr.pack_padded_sequence(tx, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    npk = nr.pack_padded_sequence(nx, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    same_packed(npk, tp)
    check_grads([nx], [tx], npk.data, tp.data, 1e-6, 1e-6)
    assert npk.data.grad_fn.name() == type(tp.data.grad_fn).__name__


def test_pack_lengths_as_tensor_and_float_tensor():
    tx, nx = _pair((4, 3, 2))
    for lengths in ([4, 2, 1], (4, 2, 1)):
        same_packed(nr.pack_padded_sequence(nx, numtorch.tensor(lengths)),
                    tr.pack_padded_sequence(tx, torch.tensor(lengths)))
    same_packed(nr.pack_padded_sequence(nx, numtorch.tensor([4.7, 2.0, 1.2])),
                tr.pack_padded_sequence(tx, torch.tensor([4.7, 2.0, 1.2])))


@pytest.mark.parametrize("seed", range(6))
def test_unsorted_tie_order_matches_torch(seed):
    """torch's sort is unstable past 16 elements; sorted_indices (and packed row order) follow it exactly."""
    rng = np.random.default_rng(seed)
    B = int(rng.integers(17, 120))
    lengths = rng.integers(1, 6, B).tolist()
    tx, nx = _pair((5, B))
    same_packed(nr.pack_padded_sequence(nx, lengths, enforce_sorted=False),
                tr.pack_padded_sequence(tx, lengths, enforce_sorted=False))


def test_sort_descending_matches_torch_sort():
    rng = np.random.default_rng(0)
    cases = [[5] * n for n in (1, 2, 16, 17, 33, 64, 200)]
    cases += [list(range(n)) for n in (20, 100)] + [list(range(n, 0, -1)) for n in (20, 100)]
    cases += [rng.integers(0, k, n).tolist() for n, k in ((40, 3), (300, 10), (1000, 50), (257, 2))]
    cases += [[i % 7 for i in range(500)], [min(i, 300 - i) for i in range(300)]]
    for keys in cases:
        expected = torch.sort(torch.tensor(keys), descending=True).indices.tolist()
        assert _sort_descending(keys) == expected


# ---------------------------------------------------------------------- pad_packed_sequence
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("total_length", [None, 7])
@pytest.mark.parametrize("padding_value", [0.0, -1.5])
@pytest.mark.parametrize("batch_first_in,batch_first_out", [(False, False), (True, True), (False, True),
                                                             (True, False)])
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 4, 2, 2], True), ([2, 5, 2, 4], False)])
def test_pad_packed_sequence(lengths, enforce_sorted, batch_first_in, batch_first_out, padding_value,
                             total_length, dtype):
    B, T = len(lengths), 5
    shape = ((B, T) if batch_first_in else (T, B)) + (3,)
    tx, nx = _pair(shape, dtype=dtype)
    tp = tr.pack_padded_sequence(tx, lengths, batch_first=batch_first_in, enforce_sorted=enforce_sorted)
    npk = nr.pack_padded_sequence(nx, lengths, batch_first=batch_first_in, enforce_sorted=enforce_sorted)
    ty, tl = tr.pad_packed_sequence(tp, batch_first=batch_first_out, padding_value=padding_value,
                                    total_length=total_length)
    ny, nl = nr.pad_packed_sequence(npk, batch_first=batch_first_out, padding_value=padding_value,
                                    total_length=total_length)
    assert_close(ny, ty, 0, 0, "padded")
    assert nl.tolist() == tl.tolist() and nl.dtype == numtorch.int64
    check_grads([nx], [tx], ny, ty, 1e-6, 1e-6)
    assert ny.grad_fn.name() == type(ty.grad_fn).__name__


def test_pack_then_pad_round_trip_gradcheck():
    _, nx = _pair((4, 3, 2))

    def f(x):
        packed = nr.pack_padded_sequence(x * 2, [3, 4, 1], enforce_sorted=False)
        return nr.pad_packed_sequence(packed, batch_first=True, padding_value=9.0)[0]

    assert gradcheck(f, [nx])


# ---------------------------------------------------------------------- pad_sequence and friends
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("trailing", [(), (2,), (2, 3)])
def test_pad_sequence(trailing, batch_first, padding_side, dtype):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((L,) + trailing).astype(dtype) for L in (3, 5, 1, 5)]
    ts = [to_torch(a, True) for a in arrays]
    ns = [to_nt(a, True) for a in arrays]
    t_out = tr.pad_sequence(ts, batch_first=batch_first, padding_value=0.5, padding_side=padding_side)
    n_out = nr.pad_sequence(ns, batch_first=batch_first, padding_value=0.5, padding_side=padding_side)
    assert_close(n_out, t_out, 0, 0)
    check_grads(ns, ts, n_out, t_out, 1e-6, 1e-6)
    assert n_out.grad_fn.name() == type(t_out.grad_fn).__name__


def test_pad_sequence_defaults_tensor_input_and_mixed_dtypes():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(3).astype("float32"), rng.standard_normal(2)
    t_out = tr.pad_sequence([to_torch(a), to_torch(b, True)])
    nb = to_nt(b, True)
    n_out = nr.pad_sequence([to_nt(a), nb])
    assert_close(n_out, t_out, 0, 0)                      # the first sequence's dtype, others cast
    n_out.sum().backward()
    assert nb.grad.dtype == numtorch.float64 and nb.grad.tolist() == [1.0, 1.0]
    x = rng.standard_normal((4, 3, 2))
    tx, nx = to_torch(x, True), to_nt(x, True)
    t_out, n_out = tr.pad_sequence(tx), nr.pad_sequence(nx)   # a tensor is a sequence of its rows
    assert_close(n_out, t_out, 0, 0)
    check_grads([nx], [tx], n_out, t_out, 1e-12, 1e-12)
    ints = [numtorch.tensor([1, 2, 3]), numtorch.tensor([4])]
    assert nr.pad_sequence(ints, batch_first=True, padding_value=-1).tolist() == [[1, 2, 3], [4, -1, -1]]


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence(batch_first):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5, 2) if batch_first else (5, 3, 2))
    tx, nx = to_torch(x, True), to_nt(x, True)
    lengths = [5, 2, 3]
    n_out = nr.unpad_sequence(nx, numtorch.tensor(lengths), batch_first=batch_first)
    t_out = tr.unpad_sequence(tx.clone(), torch.tensor(lengths), batch_first=batch_first)
    assert_close(n_out, t_out, 0, 0)
    check_grads([nx], [tx], tuple(n_out), tuple(t_out), 1e-12, 1e-12)
    assert tuple(nx.shape) == x.shape                    # numtorch leaves its argument's shape alone


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_sequence(enforce_sorted):
    rng = np.random.default_rng(4)
    lens = (4, 3, 3, 1) if enforce_sorted else (1, 4, 3, 3)
    arrays = [rng.standard_normal((L, 2)) for L in lens]
    ts = [to_torch(a, True) for a in arrays]
    ns = [to_nt(a, True) for a in arrays]
    tp = tr.pack_sequence(ts, enforce_sorted=enforce_sorted)
    npk = nr.pack_sequence(ns, enforce_sorted=enforce_sorted)
    same_packed(npk, tp)
    t_seqs, n_seqs = tr.unpack_sequence(tp), nr.unpack_sequence(npk)
    assert_close(n_seqs, t_seqs, 0, 0)
    check_grads(ns, ts, tuple(n_seqs), tuple(t_seqs), 1e-12, 1e-12)


def test_pack_sequence_docstring_example():
    a, b, c = numtorch.tensor([1, 2, 3]), numtorch.tensor([4, 5]), numtorch.tensor([6])
    packed = nr.pack_sequence([a, b, c])
    t_packed = tr.pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5]), torch.tensor([6])])
    assert repr(packed) == repr(t_packed)
    assert [s.tolist() for s in nr.unpack_sequence(packed)] == [[1, 2, 3], [4, 5], [6]]


# ---------------------------------------------------------------------- PackedSequence itself
def test_packed_sequence_namedtuple_and_methods():
    tx, nx = _pair((3, 2, 2), dtype="float32")
    tp = tr.pack_padded_sequence(tx, [1, 3], enforce_sorted=False)
    npk = nr.pack_padded_sequence(nx, [1, 3], enforce_sorted=False)
    assert npk._fields == tp._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    data, batch_sizes, sorted_indices, unsorted_indices = npk
    assert data is npk.data and batch_sizes is npk.batch_sizes
    assert repr(npk).startswith("PackedSequence(data=tensor(")
    assert npk.to(numtorch.float32) is npk                 # nothing to change: the same object
    d = npk.double()
    assert type(d) is nr.PackedSequence and d.data.dtype == numtorch.float64
    assert d.batch_sizes is npk.batch_sizes and d.sorted_indices is npk.sorted_indices
    assert npk.to(dtype=numtorch.float64).data.dtype == numtorch.float64
    assert npk.float() is npk and npk.cpu() is npk and not npk.is_cuda and not npk.is_pinned()
    assert npk.long().data.dtype == numtorch.int64
    again = nr.PackedSequence(npk.data, npk.batch_sizes, npk.sorted_indices)
    assert again.unsorted_indices.tolist() == tp.unsorted_indices.tolist()   # filled in from sorted_indices
    from_pair = nr.PackedSequence((npk.data, npk.batch_sizes))
    assert from_pair.batch_sizes is npk.batch_sizes and from_pair.sorted_indices is None


def test_invert_permutation():
    p = [3, 0, 4, 1, 2]
    assert nr.invert_permutation(numtorch.tensor(p)).tolist() == tr.invert_permutation(torch.tensor(p)).tolist()
    assert nr.invert_permutation(None) is None


# ---------------------------------------------------------------------- errors
def same_error(fn, exact=True):
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as n_err:
        fn(numtorch)
    assert type(n_err.value) is type(t_err.value), (n_err.value, t_err.value)
    if exact:
        assert str(n_err.value) == str(t_err.value), (n_err.value, t_err.value)


def U(L):
    return L.nn.utils.rnn


ERRORS = {
    "unsorted lengths": lambda L: U(L).pack_padded_sequence(L.zeros(5, 3, 2), [2, 3, 1]),
    "zero length": lambda L: U(L).pack_padded_sequence(L.zeros(5, 3, 2), [3, 2, 0]),
    "zero length unsorted": lambda L: U(L).pack_padded_sequence(L.zeros(5, 3), [0, 2, 3], enforce_sorted=False),
    "zero in the middle": lambda L: U(L).pack_padded_sequence(L.zeros(5, 3), [3, 0, 2]),
    "negative length": lambda L: U(L).pack_padded_sequence(L.zeros(5, 3), [5, 2, -1]),
    "wrong number of lengths": lambda L: U(L).pack_padded_sequence(L.zeros(5, 3), [5, 2]),
    "2-D lengths": lambda L: U(L).pack_padded_sequence(L.zeros(5, 3), L.tensor([[5, 2, 1]])),
    "empty input": lambda L: U(L).pack_padded_sequence(L.zeros(0, 3), [1, 1, 1]),
    "1-D input": lambda L: U(L).pack_padded_sequence(L.zeros(5), [5]),
    "pack_sequence unsorted": lambda L: U(L).pack_sequence([L.zeros(2), L.zeros(3)]),
    "total_length too small": lambda L: U(L).pad_packed_sequence(
        U(L).pack_padded_sequence(L.zeros(5, 3), [5, 2, 1]), total_length=3),
    "pad_sequence empty": lambda L: U(L).pad_sequence([]),
    "pad_sequence padding_side": lambda L: U(L).pad_sequence([L.zeros(2)], padding_side="up"),
    "pad_sequence trailing mismatch": lambda L: U(L).pad_sequence([L.zeros(3, 2), L.zeros(3, 4)]),
    "pad_sequence not iterable": lambda L: U(L).pad_sequence(5),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors(case):
    same_error(ERRORS[case])


def test_lengths_longer_than_the_padded_input_raise():
    # torch reads past the padded input here; numtorch refuses rather than pack garbage.
    with pytest.raises(RuntimeError, match="larger than the padded sequence length"):
        nr.pack_padded_sequence(numtorch.zeros(5, 3), [6, 2, 1])
