"""The one place that knows which array library holds the data.

Op code asks ``xp = get_array_module(array)`` and calls ``xp.exp``, ``xp.zeros_like`` and so on. Today the
answer is always NumPy; a CuPy backend would only have to change this file. Plain ``numpy`` is used elsewhere
only for metadata: dtypes, shape arithmetic and random-number seeding.

Threads: NumPy runs each elementwise pass on one core (its BLAS alone spreads a matrix product over all of
them). A fused kernel whose rows are independent (a norm, a softmax) can split its rows into one block per
thread with :func:`parallel_blocks`; NumPy releases the GIL inside its loops, so the blocks really run in
parallel. ``numtorch.set_num_threads`` / ``get_num_threads`` set and read the thread count, as torch's do
(default: ``NUMTORCH_NUM_THREADS``, else ``OMP_NUM_THREADS``, else the usable cores).
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy

__all__ = ["get_array_module", "ndarray", "parallel_blocks", "get_num_threads", "set_num_threads"]

ndarray = numpy.ndarray


def get_array_module(*arrays):
    """Return the array module (``numpy``) that holds ``arrays``."""
    return numpy


# ---------------------------------------------------------------------- threads
#: below this many elements per call a kernel stays on the calling thread: handing work to another thread
#: costs tens of microseconds, as much as the passes over a small array save (measured crossover on a
#: (rows, 1000) log-softmax forward + backward: about 250K elements)
PARALLEL_MIN_ELEMS = 1 << 18


def _default_threads():
    for var in ("NUMTORCH_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_threads = {"n": _default_threads(), "pool": None}
_lock = threading.Lock()


def _forget_pool_in_child():
    """A forked child (a DataLoader worker) inherits the pool object but none of its threads: start afresh."""
    _threads["pool"] = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def get_num_threads():
    """The number of threads numtorch's parallel kernels use."""
    return _threads["n"]


def set_num_threads(n):
    """Use ``n`` threads in numtorch's parallel kernels (``torch.set_num_threads``)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    with _lock:
        _threads["n"] = n
        if _threads["pool"] is not None:
            _threads["pool"].shutdown(wait=False)
            _threads["pool"] = None


def _pool(workers):
    with _lock:
        pool = _threads["pool"]
        if pool is None or pool._max_workers != workers:
            if pool is not None:
                pool.shutdown(wait=False)
            pool = _threads["pool"] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="numtorch")
        return pool


def parallel_blocks(n, fn, elems):
    """Call ``fn(lo, hi)`` on contiguous blocks of ``range(n)``, one per thread, and return the results in
    block order.

    ``elems`` is the work in array elements; under :data:`PARALLEL_MIN_ELEMS` (or with one thread) this is
    just ``[fn(0, n)]`` on the calling thread. The blocks must write disjoint outputs. A caller that reduces
    across blocks adds the partial results in block order, so a given thread count always gives the same bits.
    """
    threads = min(_threads["n"], n)
    if threads <= 1 or elems < PARALLEL_MIN_ELEMS:
        return [fn(0, n)]
    edges = [n * i // threads for i in range(threads + 1)]
    futures = [_pool(threads - 1).submit(fn, edges[i], edges[i + 1]) for i in range(1, threads)]
    first = fn(edges[0], edges[1])
    return [first] + [f.result() for f in futures]
