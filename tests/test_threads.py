"""Intra-op threads: ``numtorch.set_num_threads`` and the kernels that split their rows over threads.

The test command runs every pytest worker with ``OMP_NUM_THREADS=1``, so numtorch's kernels would never leave
the calling thread; these tests set 2 and 3 threads explicitly and use inputs above
``numtorch._backend.PARALLEL_MIN_ELEMS``, with row counts that do not divide evenly among the threads.
Each kernel must match torch (values and every gradient) and give the same bits run after run.
"""
import os
import time

import numpy as np
import pytest

import numtorch
from numtorch import _backend
from helpers import TOL, assert_close, check_module, to_nt, to_torch, torch


@pytest.fixture
def threads():
    """Run the test body at a given thread count, then restore the previous count."""
    before = numtorch.get_num_threads()
    yield numtorch.set_num_threads
    numtorch.set_num_threads(before)


# ---------------------------------------------------------------------- the thread API
def test_set_get_num_threads(threads):
    threads(3)
    assert numtorch.get_num_threads() == 3
    threads(1)
    assert numtorch.get_num_threads() == 1


@pytest.mark.torch
@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_set_num_threads_rejects_what_torch_rejects(bad, threads):
    with pytest.raises(Exception) as t_err:
        torch.set_num_threads(bad)
    with pytest.raises(type(t_err.value)):
        numtorch.set_num_threads(bad)


def test_parallel_blocks_covers_every_index_once_in_order(threads):
    threads(3)
    seen = []
    parts = _backend.parallel_blocks(10, lambda lo, hi: (lo, hi), elems=1 << 30)
    assert parts == [(0, 3), (3, 6), (6, 10)]
    for lo, hi in parts:
        seen.extend(range(lo, hi))
    assert seen == list(range(10))
    # small work stays on the calling thread as one block
    assert _backend.parallel_blocks(10, lambda lo, hi: (lo, hi), elems=10) == [(0, 10)]
    # fewer rows than threads: one block per row, none empty
    assert _backend.parallel_blocks(2, lambda lo, hi: (lo, hi), elems=1 << 30) == [(0, 1), (1, 2)]


def test_parallel_blocks_raises_a_workers_error(threads):
    threads(2)

    def fn(lo, hi):
        if lo > 0:
            raise ValueError("bad block")
        return lo

    with pytest.raises(ValueError, match="bad block"):
        _backend.parallel_blocks(4, fn, elems=1 << 30)


def test_default_thread_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("NUMTORCH_NUM_THREADS", "5")
    assert _backend._default_threads() == 5
    monkeypatch.delenv("NUMTORCH_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert _backend._default_threads() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "junk")
    assert _backend._default_threads() >= 1


# ---------------------------------------------------------------------- the threaded kernels
BIG = 1 << 18   # numtorch._backend.PARALLEL_MIN_ELEMS at the time of writing; checked below


def test_inputs_are_large_enough_to_run_in_parallel():
    assert _backend.PARALLEL_MIN_ELEMS <= BIG


def _functional_cases():
    """name -> (input shape, fn(lib, x)); the affine weights come from NumPy, the same on both sides."""
    return {
        # rows 7 * 37 = 259 (not divisible by 2 or 3), 259 * 1013 > BIG
        "log_softmax": ((7, 37, 1013), lambda L, x: L.nn.functional.log_softmax(x, dim=-1)),
        "softmax": ((259, 1013), lambda L, x: L.nn.functional.softmax(x, dim=1)),
        "softmin": ((259, 1013), lambda L, x: L.nn.functional.softmin(x, dim=1)),
        "cross_entropy": ((259, 1013), lambda L, x: L.nn.functional.cross_entropy(
            x, L.from_numpy(np.random.default_rng(1).integers(0, 1013, 259)))),
        "layer_norm": ((7, 37, 1013), lambda L, x: L.nn.functional.layer_norm(
            x, (1013,), L.from_numpy(rng_w(1013, x)), L.from_numpy(rng_w(1013, x, 2)))),
        "group_norm": ((7, 12, 60, 60), lambda L, x: L.nn.functional.group_norm(
            x, 4, L.from_numpy(rng_w(12, x)), L.from_numpy(rng_w(12, x, 2)))),
        "instance_norm": ((7, 12, 60, 60), lambda L, x: L.nn.functional.instance_norm(x)),
        "group_norm_no_affine": ((7, 12, 60, 60), lambda L, x: L.nn.functional.group_norm(x, 3)),
    }


def rng_w(n, x, seed=3):
    """Affine weights in ``x``'s dtype."""
    return np.random.default_rng(seed).uniform(0.5, 1.5, n).astype(str(x.dtype).rsplit(".", 1)[-1])


@pytest.mark.torch
@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["log_softmax", "softmax", "softmin", "cross_entropy", "layer_norm",
                                  "group_norm", "instance_norm", "group_norm_no_affine"])
def test_threaded_kernel_matches_torch(name, dtype, n_threads, threads):
    cases = _functional_cases()
    shape, fn = cases[name]
    assert np.prod(shape) >= BIG
    x = np.random.default_rng(5).standard_normal(shape).astype(dtype)
    weight = np.random.default_rng(6).standard_normal(shape).astype(dtype)
    threads(n_threads)
    fa, fr, ga, gr = TOL[dtype]

    def run(L, conv):
        xt = conv(x, True)
        out = fn(L, xt)
        (out * conv(weight, False) if out.ndim else out).sum().backward()
        return out, xt.grad

    n_out, n_gx = run(numtorch, to_nt)
    t_out, t_gx = run(torch, to_torch)
    assert_close(n_out, t_out, fa, fr)
    assert_close(n_gx, t_gx, ga, gr, "input grad")


@pytest.mark.torch
@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize("make", [
    lambda L: L.nn.LayerNorm(1013),
    lambda L: L.nn.GroupNorm(4, 12),
    lambda L: L.nn.InstanceNorm2d(12, affine=True, track_running_stats=True),
], ids=["LayerNorm", "GroupNorm", "InstanceNorm2d"])
def test_threaded_norm_modules_match_torch(make, n_threads, threads):
    """Every parameter gradient (summed block by block) and the running buffers, against torch."""
    threads(n_threads)
    shape = (7, 37, 1013) if isinstance(make(numtorch), numtorch.nn.LayerNorm) else (7, 12, 60, 60)
    torch.manual_seed(0)
    t_m = make(torch)
    with torch.no_grad():
        for p in t_m.parameters():
            p.uniform_(0.5, 1.5)
    check_module(t_m, make(numtorch), [shape], dtype="float64", check_repr=False, train_steps=2)


@pytest.mark.parametrize("name", ["log_softmax", "softmax", "cross_entropy", "layer_norm", "group_norm"])
def test_threaded_kernels_are_bit_reproducible(name, threads):
    """The same thread count gives the same bits every run; a different one agrees to rounding."""
    cases = _functional_cases()
    shape, fn = cases[name]
    x = np.random.default_rng(5).standard_normal(shape).astype("float32")

    def once():
        xt = numtorch.tensor(x, requires_grad=True)
        out = fn(numtorch, xt)
        (out * 1.5).sum().backward()
        return out.detach().numpy().copy(), xt.grad.numpy().copy()

    threads(3)                                  # also drops the thread pool
    a = once()
    assert _backend._threads["pool"] is not None, "the kernel did not run in parallel"
    for _ in range(3):
        b = once()
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    threads(1)
    c = once()
    np.testing.assert_allclose(a[0], c[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a[1], c[1], rtol=1e-4, atol=1e-6)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_runs_parallel_kernels(threads):
    """A DataLoader worker forked after the pool started must not wait on threads it did not inherit."""
    threads(2)
    x = numtorch.randn(300, 1000)
    numtorch.softmax(x, 1)                      # starts the pool in the parent
    assert _backend._threads["pool"] is not None
    pid = os.fork()
    if pid == 0:                                # child: exit 0 only if the parallel kernel completes
        try:
            y = numtorch.softmax(x, 1)
            os._exit(0 if abs(float(y.sum()) - 300) < 1e-2 else 1)
        except BaseException:
            os._exit(2)
    deadline = time.time() + 30
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.time() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung in a parallel kernel")
        time.sleep(0.05)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
