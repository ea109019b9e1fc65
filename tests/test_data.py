"""numtorch.utils.data in the main process: datasets, samplers, collation and DataLoader, against torch."""
import collections
import math
import warnings

import numpy as np
import pytest

import numtorch
from numtorch.utils import data as ntd
from helpers import torch

if torch is not None:
    import torch.utils.data as tud

Point = collections.namedtuple("Point", ["x", "y"])


def same_batch(ours, theirs, where="batch"):
    """The same structure (container types, keys, order), and tensors of the same shape, dtype and values."""
    if torch is not None and isinstance(theirs, torch.Tensor):
        assert isinstance(ours, numtorch.Tensor), f"{where}: expected a Tensor, got {type(ours).__name__}"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{where}: shape {tuple(ours.shape)} != {tuple(theirs.shape)}"
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], \
            f"{where}: dtype {ours.dtype} != {theirs.dtype}"
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=where)
        return
    assert type(ours).__name__ == type(theirs).__name__, f"{where}: {type(ours).__name__} != {type(theirs).__name__}"
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} != {list(theirs)}"
        for k in theirs:
            same_batch(ours[k], theirs[k], f"{where}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), f"{where}: length {len(ours)} != {len(theirs)}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            same_batch(o, t, f"{where}[{i}]")
    elif isinstance(theirs, np.ndarray):
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def same_batches(ours, theirs):
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs), f"{len(ours)} batches, torch gives {len(theirs)}"
    for k, (o, t) in enumerate(zip(ours, theirs)):
        same_batch(o, t, f"batch {k}")


def raises_like(our_call, torch_call):
    """Both calls raise the same exception type with the same message."""
    with pytest.raises(Exception) as theirs:
        torch_call()
    with pytest.raises(type(theirs.value)) as ours:
        our_call()
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


class Samples:
    """A duck-typed map-style dataset (no base class), producing the same sample kinds for either library."""

    def __init__(self, lib, kind, n=7):
        self.lib, self.kind, self.n = lib, kind, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        L = self.lib
        if self.kind == "tensor_tuple":
            return L.arange(3, dtype=L.float32) + i, L.tensor(i)
        if self.kind == "list":
            return [i, float(i) / 3, L.full((2,), i, dtype=L.int32)]
        if self.kind == "dict":
            return {"img": np.full((2, 3), i, dtype=np.uint8), "label": i, "name": f"s{i}", "w": i * 0.25}
        if self.kind == "namedtuple":
            return Point(np.float32(i) / 2, [i % 2 == 0, np.int16(i)])
        if self.kind == "numbers":
            return i * 1.5 if i % 2 else i * 1.5 + 0.25
        if self.kind == "numpy":
            return np.arange(4, dtype=np.float64) * i, np.array(i, dtype=np.int8), np.bool_(i % 3 == 0)
        if self.kind == "strings":
            return f"item{i}", bytes([65 + i])
        if self.kind == "nested":
            return {"a": (i, {"b": [np.float32(i), "x"]}), "p": Point(i, L.tensor([i, -i]))}
        raise ValueError(self.kind)


KINDS = ["tensor_tuple", "list", "dict", "namedtuple", "numbers", "numpy", "strings", "nested"]


# ---------------------------------------------------------------------- datasets
@pytest.mark.torch
def test_tensor_dataset():
    x = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    y = np.arange(4)
    ds = ntd.TensorDataset(numtorch.tensor(x), numtorch.tensor(y))
    assert len(ds) == 4
    a, b = ds[2]
    np.testing.assert_array_equal(a.numpy(), x[2])
    assert b.item() == 2
    raises_like(lambda: ntd.TensorDataset(numtorch.zeros(2), numtorch.zeros(3)),
                lambda: tud.TensorDataset(torch.zeros(2), torch.zeros(3)))


@pytest.mark.torch
def test_concat_dataset():
    a, b = ntd.TensorDataset(numtorch.arange(3)), ntd.TensorDataset(numtorch.arange(10, 14))
    cat = a + b
    assert isinstance(cat, ntd.ConcatDataset)
    assert cat.cumulative_sizes == [3, 7] and len(cat) == 7
    assert [cat[i][0].item() for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert [cat[-i][0].item() for i in range(1, 8)] == [13, 12, 11, 10, 2, 1, 0]
    tcat = tud.TensorDataset(torch.arange(3)) + tud.TensorDataset(torch.arange(10, 14))
    raises_like(lambda: cat[-8], lambda: tcat[-8])
    raises_like(lambda: ntd.ConcatDataset([]), lambda: tud.ConcatDataset([]))
    raises_like(lambda: ntd.ConcatDataset([Stream(0, 1)]), lambda: tud.ConcatDataset([_TorchStream()]))
    raises_like(lambda: ntd.IterableDataset(), lambda: tud.IterableDataset())
    with pytest.warns(FutureWarning):
        assert cat.cummulative_sizes == [3, 7]


def test_subset_and_getitems():
    base = ntd.TensorDataset(numtorch.arange(10))
    sub = ntd.Subset(base, [7, 2, 5])
    assert len(sub) == 3 and [sub[i][0].item() for i in range(3)] == [7, 2, 5]
    assert [s[0].item() for s in sub.__getitems__([2, 0])] == [5, 7]

    class Custom(ntd.Subset):
        def __getitem__(self, i):
            return 0

    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        Custom(base, [0])


@pytest.mark.torch
def test_stack_dataset():
    a, b = ntd.TensorDataset(numtorch.arange(3)), [10, 11, 12]
    t = ntd.StackDataset(a, b)
    assert t[1][1] == 11 and t[1][0][0].item() == 1 and len(t) == 3
    d = ntd.StackDataset(x=b, y=b)
    assert d[2] == {"x": 12, "y": 12}
    assert d.__getitems__([0, 2]) == [{"x": 10, "y": 10}, {"x": 12, "y": 12}]
    assert t.__getitems__([2])[0][1] == 12
    raises_like(lambda: ntd.StackDataset(b, [1]), lambda: tud.StackDataset(b, [1]))
    raises_like(lambda: ntd.StackDataset(b, y=b), lambda: tud.StackDataset(b, y=b))
    raises_like(lambda: ntd.StackDataset(), lambda: tud.StackDataset())


class Stream(ntd.IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def test_chain_dataset():
    chain = Stream(0, 3) + Stream(10, 12)
    assert isinstance(chain, ntd.ChainDataset)
    assert list(chain) == [0, 1, 2, 10, 11] and len(chain) == 5
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(ntd.ChainDataset([[1, 2]]))


def test_base_classes():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__"):
        ntd.Dataset()[0]
    with pytest.raises(TypeError):
        len(ntd.Dataset())

    class Typed(ntd.Dataset[int]):  # Dataset is Generic, as in torch
        pass
    assert issubclass(Typed, ntd.Dataset)


@pytest.mark.torch
@pytest.mark.parametrize("n,fractions", [(10, [0.3, 0.3, 0.4]), (7, [0.5, 0.5]), (11, [0.1, 0.2, 0.3, 0.4]),
                                         (5, [1 / 3, 1 / 3, 1 / 3]), (3, [0.2, 0.8])])
def test_random_split_fraction_sizes(n, fractions):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = [len(s) for s in ntd.random_split(range(n), fractions)]
        theirs = [len(s) for s in tud.random_split(range(n), fractions)]
    assert ours == theirs


def test_random_split_disjoint_and_seeded():
    parts = ntd.random_split(range(20), [5, 7, 8], generator=numtorch.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [5, 7, 8]
    items = [x for p in parts for x in p]
    assert sorted(items) == list(range(20)) and items != list(range(20))
    again = ntd.random_split(range(20), [5, 7, 8], generator=numtorch.Generator().manual_seed(1))
    assert [list(p) for p in again] == [list(p) for p in parts]
    other = ntd.random_split(range(20), [5, 7, 8], generator=numtorch.Generator().manual_seed(2))
    assert [list(p) for p in other] != [list(p) for p in parts]


@pytest.mark.torch
def test_random_split_errors():
    raises_like(lambda: ntd.random_split(range(5), [2, 2]), lambda: tud.random_split(range(5), [2, 2]))
    raises_like(lambda: ntd.random_split(range(5), [1.5, -0.5]), lambda: tud.random_split(range(5), [1.5, -0.5]))
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        ntd.random_split(range(2), [0.9, 0.1])


# ---------------------------------------------------------------------- samplers
def test_sequential_and_random_sampler():
    assert list(ntd.SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = numtorch.Generator().manual_seed(0)
    s = ntd.RandomSampler(range(10), generator=g)
    first, second = list(s), list(s)
    assert sorted(first) == list(range(10)) and sorted(second) == list(range(10)) and first != second
    numtorch.manual_seed(5)
    a = list(ntd.RandomSampler(range(10)))
    numtorch.manual_seed(5)
    assert list(ntd.RandomSampler(range(10))) == a
    # without replacement, more samples than items: whole permutations, then a partial one
    s = list(ntd.RandomSampler(range(4), num_samples=10, generator=g))
    assert len(s) == 10 and sorted(s[:4]) == sorted(s[4:8]) == [0, 1, 2, 3] and len(set(s[8:])) == 2
    r = list(ntd.RandomSampler(range(3), replacement=True, num_samples=100, generator=g))
    assert len(r) == 100 and set(r) == {0, 1, 2}
    assert len(ntd.RandomSampler(range(3), replacement=True, num_samples=70)) == 70


@pytest.mark.torch
def test_random_sampler_errors():
    raises_like(lambda: ntd.RandomSampler(range(3), replacement=1), lambda: tud.RandomSampler(range(3), replacement=1))
    raises_like(lambda: ntd.RandomSampler(range(3), num_samples=0), lambda: tud.RandomSampler(range(3), num_samples=0))
    raises_like(lambda: ntd.RandomSampler([]), lambda: tud.RandomSampler([]))


def test_random_sampler_uniform_statistics():
    # 4000 draws with replacement over 4 items: each count ~ Binomial(4000, 1/4), sd ~ 27
    draws = list(ntd.RandomSampler(range(4), replacement=True, num_samples=4000,
                                   generator=numtorch.Generator().manual_seed(3)))
    counts = np.bincount(draws, minlength=4)
    assert np.all(np.abs(counts - 1000) < 150), counts
    # first position of a shuffled permutation is uniform too
    g = numtorch.Generator().manual_seed(4)
    firsts = np.bincount([next(iter(ntd.RandomSampler(range(4), generator=g))) for _ in range(2000)], minlength=4)
    assert np.all(np.abs(firsts - 500) < 110), firsts


def test_subset_random_sampler():
    s = ntd.SubsetRandomSampler([10, 20, 30, 40], generator=numtorch.Generator().manual_seed(0))
    out = list(s)
    assert sorted(out) == [10, 20, 30, 40] and len(s) == 4


def test_weighted_random_sampler_statistics():
    w = [1.0, 0.0, 3.0, 6.0]
    s = ntd.WeightedRandomSampler(w, 10000, generator=numtorch.Generator().manual_seed(0))
    counts = np.bincount(list(s), minlength=4)
    assert counts[1] == 0
    expected = np.array(w) / sum(w) * 10000
    assert np.all(np.abs(counts - expected) < 4 * np.sqrt(expected + 1)), (counts, expected)
    assert s.weights.dtype == numtorch.float64 and len(s) == 10000
    # without replacement: distinct indices; the heavy item is picked first most of the time
    g = numtorch.Generator().manual_seed(1)
    picks = [list(ntd.WeightedRandomSampler([1.0, 1.0, 18.0], 3, replacement=False, generator=g)) for _ in range(500)]
    assert all(sorted(p) == [0, 1, 2] for p in picks)
    assert 400 < sum(p[0] == 2 for p in picks) < 490  # expected 0.9 * 500


@pytest.mark.torch
@pytest.mark.parametrize("weights,n,replacement", [([1.0, -1.0], 2, True), ([0.0, 0.0], 2, True),
                                                   ([1.0, float("nan")], 2, True), ([1.0, float("inf")], 2, True),
                                                   ([1.0, 1.0], 3, False), ([[1.0, 2.0]], 2, True),
                                                   ([1.0], 0, True), ([1.0], 2, 1), ([1.0], True, True)])
def test_weighted_random_sampler_errors(weights, n, replacement):
    raises_like(lambda: list(ntd.WeightedRandomSampler(weights, n, replacement)),
                lambda: list(tud.WeightedRandomSampler(weights, n, replacement)))


@pytest.mark.torch
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler(drop_last):
    for n, b in [(10, 3), (9, 3), (2, 5)]:
        ours = ntd.BatchSampler(ntd.SequentialSampler(range(n)), b, drop_last)
        theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), b, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    for bad in [(0, False), (2.0, False), (True, False), (2, 1)]:
        raises_like(lambda: ntd.BatchSampler(range(3), *bad), lambda: tud.BatchSampler(range(3), *bad))


# ---------------------------------------------------------------------- collation
@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
def test_default_collate_matches_torch(kind):
    ours = ntd.default_collate([Samples(numtorch, kind)[i] for i in range(4)])
    theirs = tud.default_collate([Samples(torch, kind)[i] for i in range(4)])
    same_batch(ours, theirs)


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
def test_default_convert_matches_torch(kind):
    same_batch(ntd.default_convert(Samples(numtorch, kind)[3]), tud.default_convert(Samples(torch, kind)[3]))


@pytest.mark.torch
def test_collate_dtypes():
    cases = [[1.5, 2.0], [1, 2], [True, False], [True, 2], [np.float32(1), np.float32(2)], [np.int16(3), np.int16(4)],
             [np.bool_(True), np.bool_(False)], [np.uint8(200), np.uint8(1)],
             [np.zeros(2, np.float16), np.ones(2, np.float16)], [np.array(3, np.int32), np.array(4, np.int32)]]
    for batch in cases:
        same_batch(ntd.default_collate(batch), tud.default_collate(batch), f"collate {batch}")


@pytest.mark.torch
def test_collate_errors():
    raises_like(lambda: ntd.default_collate([[1, 2], [3]]), lambda: tud.default_collate([[1, 2], [3]]))
    raises_like(lambda: ntd.default_collate([object(), object()]), lambda: tud.default_collate([object(), object()]))
    raises_like(lambda: ntd.default_collate([np.array(["a"]), np.array(["b"])]),
                lambda: tud.default_collate([np.array(["a"]), np.array(["b"])]))
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ntd.default_collate([numtorch.zeros(2), numtorch.zeros(3)])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        ntd.default_collate([object()])


def test_collate_extensible():
    def collate_str(batch, *, collate_fn_map):
        return "|".join(batch)
    table = dict(ntd.default_collate_fn_map)
    table[str] = collate_str
    out = ntd.collate([("a", 1), ("b", 2)], collate_fn_map=table)
    assert out[0] == "a|b" and out[1].tolist() == [1, 2]
    # the same tensor storage reused in a batch still stacks into a fresh tensor
    t = numtorch.ones(2)
    assert ntd.default_collate([t, t]).shape == (2, 2)
    # tensors that require grad are stacked through autograd, so the batch stays in the graph
    w = numtorch.ones(2, requires_grad=True)
    batch = ntd.default_collate([w, t * 2])
    assert batch.grad_fn is not None
    (batch * numtorch.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert w.grad.tolist() == [1.0, 2.0]
    assert ntd.default_collate([t, t]).grad_fn is None


# ---------------------------------------------------------------------- DataLoader (main process)
@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (1, False), (7, False), (10, True)])
def test_loader_matches_torch(kind, batch_size, drop_last):
    ours = ntd.DataLoader(Samples(numtorch, kind), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(Samples(torch, kind), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    same_batches(ours, theirs)


@pytest.mark.torch
def test_loader_tensor_dataset():
    x = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
    y = np.arange(10)
    ours = ntd.DataLoader(ntd.TensorDataset(numtorch.tensor(x), numtorch.tensor(y)), batch_size=4)
    theirs = tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=4)
    same_batches(ours, theirs)
    assert isinstance(next(iter(ours)), list)  # tuples collate to lists, as in torch


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["dict", "numpy", "tensor_tuple", "strings"])
def test_loader_without_batching(kind):
    ours = ntd.DataLoader(Samples(numtorch, kind), batch_size=None)
    theirs = tud.DataLoader(Samples(torch, kind), batch_size=None)
    assert len(ours) == len(theirs) == 7
    same_batches(ours, theirs)


@pytest.mark.torch
def test_loader_custom_collate_and_samplers():
    def collate(batch):
        return [b * 10 for b in batch]
    ours = list(ntd.DataLoader(list(range(7)), batch_size=3, collate_fn=collate))
    theirs = list(tud.DataLoader(list(range(7)), batch_size=3, collate_fn=collate))
    assert ours == theirs == [[0, 10, 20], [30, 40, 50], [60]]
    bs = [[6, 0], [3], [1, 2, 5]]
    same_batches(ntd.DataLoader(Samples(numtorch, "dict"), batch_sampler=bs),
                 tud.DataLoader(Samples(torch, "dict"), batch_sampler=bs))
    assert len(ntd.DataLoader(Samples(numtorch, "dict"), batch_sampler=bs)) == 3
    sampler = [4, 4, 1, 0, 6]
    same_batches(ntd.DataLoader(Samples(numtorch, "list"), batch_size=2, sampler=sampler),
                 tud.DataLoader(Samples(torch, "list"), batch_size=2, sampler=sampler))
    same_batches(ntd.DataLoader(Samples(numtorch, "list"), batch_size=None, sampler=sampler),
                 tud.DataLoader(Samples(torch, "list"), batch_size=None, sampler=sampler))


class Getitems:
    """A dataset with a batched fetch: __getitems__ is used with automatic batching."""

    def __init__(self):
        self.calls = []

    def __len__(self):
        return 5

    def __getitem__(self, i):
        raise AssertionError("__getitems__ should be used")

    def __getitems__(self, indices):
        self.calls.append(list(indices))
        return [float(i) for i in indices]


def test_loader_uses_getitems():
    ds = Getitems()
    out = [b.tolist() for b in ntd.DataLoader(ds, batch_size=2)]
    assert out == [[0.0, 1.0], [2.0, 3.0], [4.0]] and ds.calls == [[0, 1], [2, 3], [4]]


def test_loader_shuffle_generator():
    ds = list(range(20))
    def order(seed):
        return [b.tolist() for b in ntd.DataLoader(ds, batch_size=5, shuffle=True,
                                                    generator=numtorch.Generator().manual_seed(seed))]
    a, b, c = order(0), order(0), order(1)
    assert a == b and a != c
    assert sorted(x for batch in a for x in batch) == ds
    # without a generator, numtorch.manual_seed makes the order repeatable, and epochs differ
    numtorch.manual_seed(7)
    loader = ntd.DataLoader(ds, batch_size=20, shuffle=True)
    e1, e2 = next(iter(loader)).tolist(), next(iter(loader)).tolist()
    numtorch.manual_seed(7)
    assert next(iter(ntd.DataLoader(ds, batch_size=20, shuffle=True))).tolist() == e1 and e1 != e2


@pytest.mark.torch
@pytest.mark.parametrize("batch_size,drop_last", [(2, False), (2, True), (None, False), (4, False)])
def test_loader_iterable_dataset(batch_size, drop_last):
    class TStream(tud.IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    class NStream(ntd.IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    ours = ntd.DataLoader(NStream(), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(TStream(), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    same_batches(ours, theirs)


def test_loader_iterable_length_warning():
    class Liar(ntd.IterableDataset):
        def __iter__(self):
            return iter(range(5))

        def __len__(self):
            return 2

    loader = ntd.DataLoader(Liar(), batch_size=1)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="was reported to be 2"):
        assert len(list(loader)) == 5


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", [
    dict(shuffle=True, sampler=[0, 1]),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1),
    dict(persistent_workers=True),
    dict(multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="nonsense"),
    dict(num_workers=1, multiprocessing_context=3),
    dict(batch_size=0),
])
def test_loader_argument_errors(kwargs):
    raises_like(lambda: ntd.DataLoader(list(range(4)), **kwargs), lambda: tud.DataLoader(list(range(4)), **kwargs))


@pytest.mark.torch
@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_loader_iterable_argument_errors(kwargs):
    raises_like(lambda: ntd.DataLoader(Stream(0, 3), **kwargs), lambda: tud.DataLoader(_TorchStream(), **kwargs))


class _TorchStream(tud.IterableDataset if torch is not None else object):
    def __iter__(self):
        return iter(range(3))

    def __repr__(self):
        return "Stream"


@pytest.mark.torch
def test_loader_frozen_attributes_and_timeout():
    ours, theirs = ntd.DataLoader(list(range(4))), tud.DataLoader(list(range(4)))
    for attr in ("batch_size", "sampler", "dataset", "drop_last", "batch_sampler", "persistent_workers"):
        raises_like(lambda: setattr(ours, attr, 2), lambda: setattr(theirs, attr, 2))
    ours.num_workers = 0  # other attributes may change
    raises_like(lambda: iter(ntd.DataLoader(list(range(4)), timeout=1)),
                lambda: iter(tud.DataLoader(list(range(4)), timeout=1)))


def test_loader_pin_memory_accepted():
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
        out = [b.tolist() for b in ntd.DataLoader(list(range(4)), batch_size=2, pin_memory=True)]
    assert out == [[0, 1], [2, 3]]


def test_loader_len_and_defaults():
    loader = ntd.DataLoader(list(range(10)), batch_size=3)
    assert len(loader) == 4 and len(ntd.DataLoader(list(range(10)), batch_size=3, drop_last=True)) == 3
    assert loader.collate_fn is ntd.default_collate
    assert ntd.DataLoader(list(range(3)), batch_size=None).collate_fn is ntd.default_convert
    assert isinstance(loader.sampler, ntd.SequentialSampler) and isinstance(loader.batch_sampler, ntd.BatchSampler)
    assert isinstance(ntd.DataLoader(list(range(3)), shuffle=True).sampler, ntd.RandomSampler)
    assert ntd.get_worker_info() is None
    it = iter(loader)
    assert len(it) == 4
    with pytest.raises(NotImplementedError):
        import pickle
        pickle.dumps(it)


def test_loader_feeds_training_step():
    """A DataLoader batch is an ordinary tensor for a model and its backward pass."""
    rng = np.random.default_rng(0)
    x = numtorch.tensor(rng.standard_normal((12, 4)).astype(np.float32))
    y = numtorch.tensor(rng.integers(0, 3, 12))
    model = numtorch.nn.Linear(4, 3)
    opt = numtorch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        for xb, yb in ntd.DataLoader(ntd.TensorDataset(x, y), batch_size=12):
            loss = numtorch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert losses[-1] < losses[0] and math.isfinite(losses[-1])
