"""DataLoader with worker processes: order, seeding, sharding, errors, and clean shutdown.

Every test here starts real processes, so each uses at most two workers and tiny datasets.
"""
import gc
import multiprocessing
import os
import random
import time

import numpy as np
import pytest

import numtorch
from numtorch.utils import data as ntd


@pytest.fixture(autouse=True)
def no_leftover_workers():
    """Every test must leave no worker process behind."""
    yield
    gc.collect()
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert multiprocessing.active_children() == []


class Records(ntd.Dataset):
    """Samples of several kinds, plus which process made them."""

    def __len__(self):
        return 11

    def __getitem__(self, i):
        return {"x": numtorch.full((2,), float(i)), "i": i, "arr": np.arange(3) * i, "name": f"n{i}"}


class WhoAmI(ntd.Dataset):
    """Each sample reports the worker and draws from every random source a worker reseeds."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = ntd.get_worker_info()
        return (-1 if info is None else info.id, -1 if info is None else info.seed, numtorch.rand(1).item(),
                float(np.random.random_sample()), random.random(), os.getpid())


class Fails(ntd.Dataset):
    def __init__(self, bad=5, exc=ValueError):
        self.bad, self.exc = bad, exc

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == self.bad:
            raise self.exc(f"sample {i} is broken")
        return i


class Dies(ntd.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 3:
            os._exit(7)
        return i


class Slow(ntd.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            time.sleep(6)
        return i


class Sharded(ntd.IterableDataset):
    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = ntd.get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


_init_calls = []


def _init_fn(worker_id):
    _init_calls.append(worker_id)
    np.random.seed(1000 + worker_id)


class SeenInit(ntd.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return (list(_init_calls), ntd.get_worker_info().id)


def _batches(loader):
    return [(b["x"].tolist(), b["i"].tolist(), b["arr"].tolist(), b["name"]) for b in loader]


def _plain(x):
    """A batch as plain values, tensors tagged with their dtype, for exact comparison."""
    if isinstance(x, numtorch.Tensor):
        return ("tensor", str(x.dtype), tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return x


def test_workers_same_batches_as_main_process():
    for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        ref = [_plain(b) for b in ntd.DataLoader(Records(), **kwargs)]
        got = [_plain(b) for b in ntd.DataLoader(Records(), num_workers=2, **kwargs)]
        assert got == ref


def test_workers_shuffle_with_generator_matches_main_process():
    def run(workers):
        loader = ntd.DataLoader(Records(), batch_size=4, shuffle=True, num_workers=workers,
                                generator=numtorch.Generator().manual_seed(123))
        return [b["i"].tolist() for b in loader]
    ref = run(0)
    assert run(2) == ref and sorted(sum(ref, [])) == list(range(11))


def _rows(loader):
    """One tuple per sample: (worker id, worker seed, numtorch draw, NumPy draw, random draw, pid)."""
    return [row for b in loader for row in zip(*[c.tolist() if hasattr(c, "tolist") else c for c in b])]


def test_worker_seeding():
    rows = _rows(ntd.DataLoader(WhoAmI(), batch_size=2, num_workers=2, generator=numtorch.Generator().manual_seed(9)))
    # batch k is made by worker k % 2
    assert [r[0] for r in rows] == [0, 0, 1, 1, 0, 0, 1, 1]
    seeds = {r[0]: r[1] for r in rows}
    assert seeds[1] == seeds[0] + 1
    # numtorch's default generator in worker k is seeded with base_seed + k
    first_w0 = [r[2] for r in rows if r[0] == 0][:2]
    assert first_w0 == pytest.approx(numtorch.rand(2, generator=numtorch.Generator().manual_seed(seeds[0])).tolist())
    # the two workers draw different streams, from every source
    for col in (2, 3, 4):
        assert set(r[col] for r in rows if r[0] == 0).isdisjoint(r[col] for r in rows if r[0] == 1)
    # the same loader generator seed repeats everything; another seed does not
    again = _rows(ntd.DataLoader(WhoAmI(), batch_size=2, num_workers=2, generator=numtorch.Generator().manual_seed(9)))
    assert [r[:5] for r in again] == [r[:5] for r in rows]
    other = _rows(ntd.DataLoader(WhoAmI(), batch_size=2, num_workers=2, generator=numtorch.Generator().manual_seed(10)))
    assert other[0][1] != rows[0][1] and other[0][2] != rows[0][2]
    # the main process's default generator is not touched by worker seeding
    state = numtorch.get_rng_state().tolist()
    _rows(ntd.DataLoader(WhoAmI(), num_workers=2, generator=numtorch.Generator()))
    assert numtorch.get_rng_state().tolist() == state


def test_worker_init_fn():
    loader = ntd.DataLoader(SeenInit(), batch_size=None, num_workers=2, worker_init_fn=_init_fn)
    seen = list(loader)
    assert seen == [[[0], 0], [[1], 1], [[0], 0], [[1], 1]]  # default_convert turns tuples into lists
    assert _init_calls == []  # called in the workers, not here


def test_iterable_dataset_sharding():
    got = sorted(x for b in ntd.DataLoader(Sharded(10), batch_size=3, num_workers=2) for x in b.tolist())
    assert got == list(range(10))
    # without sharding every worker replays the whole dataset (torch's semantics)
    dup = [x for b in ntd.DataLoader(Sharded(5, shard=False), batch_size=2, num_workers=2) for x in b.tolist()]
    assert sorted(dup) == sorted(list(range(5)) * 2)
    # batch_size=None and an uneven end: worker 0 has 3 items, worker 1 has 2
    one = [x.item() if hasattr(x, "item") else x for x in ntd.DataLoader(Sharded(5), batch_size=None, num_workers=2)]
    assert one == [0, 1, 2, 3, 4]
    dropped = ntd.DataLoader(Sharded(5), batch_size=2, drop_last=True, num_workers=2)
    assert [b.tolist() for b in dropped] == [[0, 2], [1, 3]]


def test_worker_exception_reaches_main_process():
    loader = ntd.DataLoader(Fails(), batch_size=2, num_workers=2)
    it = iter(loader)
    assert next(it).tolist() == [0, 1] and next(it).tolist() == [2, 3]
    with pytest.raises(ValueError) as info:
        next(it)
    msg = str(info.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\n"
                          "Original Traceback (most recent call last):")
    assert "sample 5 is broken" in msg and "__getitem__" in msg and "test_dataloader_workers.py" in msg
    # as in torch, the iterator goes on after a failed batch
    assert next(it).tolist() == [6, 7]
    del it, info


def test_worker_key_error_and_unpicklable_exception():
    with pytest.raises(KeyError) as info:
        list(ntd.DataLoader(Fails(exc=KeyError), batch_size=2, num_workers=2))
    assert "Caught KeyError in DataLoader worker process 0" in str(info.value)
    assert "\\n" not in str(info.value)  # readable, not a repr

    class Local(Exception):  # cannot be pickled by reference
        pass
    with pytest.raises(RuntimeError, match="Caught Local in DataLoader worker process 1"):
        list(ntd.DataLoader(Fails(bad=2, exc=Local), batch_size=2, num_workers=2))


class Unpicklable(ntd.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return {"f": (lambda: i)}


def test_unpicklable_batch_is_an_error_not_a_hang():
    with pytest.raises(Exception, match="could not be pickled"):
        list(ntd.DataLoader(Unpicklable(), batch_size=None, num_workers=1, timeout=20))


def test_worker_death_is_reported():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly \(exit code 7\)"):
        list(ntd.DataLoader(Dies(), batch_size=1, num_workers=2))


def test_timeout():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        list(ntd.DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.5))
    # the stuck worker is terminated at shutdown instead of being waited for
    assert time.monotonic() - start < 4


def test_shutdown_when_abandoned_or_main_loop_raises():
    for _ in ntd.DataLoader(Records(), batch_size=2, num_workers=2):
        break
    assert multiprocessing.active_children() == []

    def train():
        for _ in ntd.DataLoader(Records(), batch_size=2, num_workers=2):
            raise ArithmeticError("boom")
    with pytest.raises(ArithmeticError):
        train()
    assert multiprocessing.active_children() == []

    it = iter(ntd.DataLoader(Records(), batch_size=2, num_workers=2))
    next(it)
    assert len(multiprocessing.active_children()) == 2
    del it
    assert multiprocessing.active_children() == []


def test_persistent_workers():
    loader = ntd.DataLoader(Records(), batch_size=3, num_workers=2, persistent_workers=True)
    ref = _batches(ntd.DataLoader(Records(), batch_size=3))
    assert _batches(loader) == ref
    pids = sorted(p.pid for p in multiprocessing.active_children())
    assert len(pids) == 2  # still alive between epochs
    it = iter(loader)  # abandon an epoch half way; the next one starts clean
    next(it)
    assert _batches(loader) == ref
    assert sorted(p.pid for p in multiprocessing.active_children()) == pids
    # an iterable-style dataset restarts every epoch
    stream = ntd.DataLoader(Sharded(6), batch_size=2, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in stream] == [b.tolist() for b in stream] == [[0, 2], [1, 3], [4], [5]]
    del loader, it, stream


@pytest.mark.parametrize("prefetch_factor", [1, 3])
def test_prefetch_factor_and_in_order(prefetch_factor):
    ref = _batches(ntd.DataLoader(Records(), batch_size=2))
    assert _batches(ntd.DataLoader(Records(), batch_size=2, num_workers=2, prefetch_factor=prefetch_factor)) == ref
    unordered = _batches(ntd.DataLoader(Records(), batch_size=2, num_workers=2, prefetch_factor=prefetch_factor,
                                        in_order=False))
    assert sorted(unordered) == sorted(ref)


def test_spawn_start_method():
    ds = ntd.TensorDataset(numtorch.arange(6.0).reshape(3, 2), numtorch.tensor([1, 2, 3]))
    got = [[t.tolist() for t in b] for b in ntd.DataLoader(ds, batch_size=2, num_workers=1,
                                                            multiprocessing_context="spawn")]
    assert got == [[[[0.0, 1.0], [2.0, 3.0]], [1, 2]], [[[4.0, 5.0]], [3]]]
