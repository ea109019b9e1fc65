"""What runs inside a DataLoader worker process, and what the main process needs to talk to it.

Protocol (torch's): the main process puts ``(task_idx, indices)`` on a worker's own index queue; the worker
fetches and collates that batch and puts ``(task_idx, batch)`` on the shared result queue. A batch that raised
comes back as an :class:`ExceptionWrapper` (the worker's traceback as text) and is re-raised in the main
process. ``None`` on the index queue tells the worker to exit; ``_ResumeIteration`` (persistent workers)
starts a new epoch. An iterable-style dataset that is exhausted answers ``_IterableDatasetStopIteration``.

Seeding: worker ``k`` of an iterator whose base seed is ``s`` (one draw from the loader's generator) seeds
Python's ``random`` and numtorch's default generator with ``s + k``, and NumPy's global RNG with four 32-bit
words mixed from ``(k, s)``, so that workers, and epochs, get different random streams.
"""
import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler

import numpy as np

from ._fetch import _DatasetKind

__all__ = ["WorkerInfo", "get_worker_info"]

#: seconds between checks that the other side (the main process, or a worker) is still alive
_STATUS_CHECK_INTERVAL = 1.0

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker process knows about itself (returned by :func:`get_worker_info` inside a worker).

    .. math::
        \\text{seed} = \\text{base\\_seed} + \\text{id}, \\quad 0 \\le \\text{id} < \\text{num\\_workers}

    Attributes:
        id (int): this worker's index, ``0 <= id < num_workers``.
        num_workers (int): how many workers the DataLoader started.
        seed (int): the seed of this worker's generators (``base_seed + id``).
        dataset: this worker's copy of the dataset.
    """
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """The :class:`WorkerInfo` of the current DataLoader worker process, or ``None`` in the main process.

    .. math::
        \\text{shard}_k = \\{x_i : i \\equiv k \\pmod{\\text{num\\_workers}}\\}

    is the usual use: each worker of an :class:`IterableDataset` yields only its share.

    Example:
        >>> info = get_worker_info()
        >>> start, step = (0, 1) if info is None else (info.id, info.num_workers)
    """
    return _worker_info


class _KeyErrorMessage(str):
    """A str whose repr is itself, so that a re-raised KeyError shows the traceback text readably."""

    def __repr__(self):
        return str(self)


class ExceptionWrapper:
    """An exception and its formatted traceback, carried from a worker to the main process and re-raised there.

    .. math::
        \\text{message} = \\text{"Caught <Type> <where>.\\textbackslash nOriginal "} + \\text{traceback text}

    The re-raised exception has the original type (``RuntimeError`` when that type cannot be rebuilt).
    """

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_type_name = exc_info[0].__name__
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where
        try:  # a class that cannot travel by reference (say, defined inside a function) comes back as RuntimeError
            pickle.loads(pickle.dumps(self.exc_type))
        except Exception:
            self.exc_type = RuntimeError

    def reraise(self):
        msg = f"Caught {self.exc_type_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to persistent workers at the start of every epoch after the first; echoed back as an ack."""


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """A worker's iterable-style dataset is exhausted."""
    worker_id: int


def _numpy_seed(base_seed, worker_id):
    """Four 32-bit words for ``np.random.seed``, mixed from the worker id and both halves of the base seed."""
    words = [worker_id, base_seed & 0xFFFF_FFFF, (base_seed >> 32) & 0xFFFF_FFFF]
    return np.random.SeedSequence(words).generate_state(4)


def _seed_worker(base_seed, worker_id):
    """Seed Python's ``random``, numtorch's default generator and NumPy's global RNG for one worker."""
    from ...random import manual_seed
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(_numpy_seed(base_seed, worker_id))
    return seed


class _ManagerWatchdog:
    """Notices when the main process has gone (the worker is re-parented)."""

    def __init__(self):
        self.manager_pid = os.getppid()
        self.manager_dead = False

    def is_alive(self):
        if not self.manager_dead:
            self.manager_dead = os.getppid() != self.manager_pid
        return not self.manager_dead


def _send(data_queue, task_idx, data, worker_id):
    """Pickle here (so that an unpicklable batch becomes an error in the main process, not a silent hang in the
    queue's feeder thread), then put the bytes on the result queue."""
    try:
        blob = ForkingPickler.dumps((task_idx, data))
    except Exception:
        wrapper = ExceptionWrapper(where=f"in DataLoader worker process {worker_id} (the batch could not be "
                                         "pickled to send it to the main process)")
        blob = ForkingPickler.dumps((task_idx, wrapper))
    data_queue.put(bytes(blob))


def _receive(blob):
    return pickle.loads(blob)


def _worker_loop(dataset_kind, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn,
                 drop_last, base_seed, init_fn, worker_id, num_workers, persistent_workers):
    global _worker_info
    where = f"in DataLoader worker process {worker_id}"
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=where)
        iteration_end = False
        watchdog = _ManagerWatchdog()
        while watchdog.is_alive():
            try:
                r = index_queue.get(timeout=_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(r, _ResumeIteration):
                _send(data_queue, r, None, worker_id)
                iteration_end = False
                try:
                    fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation, collate_fn,
                                                          drop_last)
                except Exception:
                    init_exception = ExceptionWrapper(where=where)
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            task_idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and dataset_kind == _DatasetKind.Iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=where)
            _send(data_queue, task_idx, data, worker_id)
            del data, task_idx, index, r  # free the batch before blocking on the next task
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C and shuts the workers down
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
