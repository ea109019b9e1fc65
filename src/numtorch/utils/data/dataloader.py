"""``DataLoader``: batches from a dataset, in the main process or in worker processes (torch's semantics).

One pass over a map-style dataset is

.. math::
    \\text{batch}_k = \\text{collate\\_fn}([\\text{dataset}[i] \\text{ for } i \\in B_k]), \\qquad
    B_k = \\text{the } k\\text{-th list of the batch sampler}

(without automatic batching, ``batch_size=None``: :math:`\\text{collate\\_fn}(\\text{dataset}[i_k])`). With
``num_workers = w > 0`` the batches are computed by ``w`` worker processes: batch :math:`k` goes to worker
:math:`k \\bmod w` (skipping finished workers), at most ``prefetch_factor * w`` batches are in flight, and
the batches come back in sampler order (``in_order=True``). Workers are started with the ``fork`` start method
where the platform has it (Linux), else with the platform's default (``spawn``: the dataset, ``collate_fn`` and
``worker_init_fn`` must then be picklable); ``multiprocessing_context`` overrides this.
"""
import itertools
import math
import multiprocessing
import os
import queue
import sys
import warnings
import weakref

from . import _collate
from ._fetch import _DatasetKind
from ._worker import (_STATUS_CHECK_INTERVAL, ExceptionWrapper, _IterableDatasetStopIteration, _receive,
                      _ResumeIteration, _worker_loop, get_worker_info)
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

default_collate = _collate.default_collate
default_convert = _collate.default_convert

#: seconds a worker gets to exit on its own at shutdown (it may be finishing a batch nobody will read)
#: before it is terminated
_JOIN_TIMEOUT = 1.0


class _InfiniteConstantSampler(Sampler):
    """The sampler of an iterable-style dataset: ``None`` forever (the dataset decides what comes next)."""

    def __iter__(self):
        while True:
            yield None


def _default_context():
    """``fork`` where the platform has it and it is the safe choice (Linux), else the platform default."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _cpu_count():
    if hasattr(os, "sched_getaffinity"):
        try:
            return len(os.sched_getaffinity(0))
        except OSError:
            pass
    return os.cpu_count()


class DataLoader:
    """Iterate over a dataset in batches, optionally shuffled, optionally with worker processes.

    .. math::
        \\text{batch}_k = \\text{collate\\_fn}([\\text{dataset}[i] : i \\in B_k]), \\qquad
        |\\text{loader}| = \\lceil N / b \\rceil \\;(\\lfloor N / b \\rfloor \\text{ with drop\\_last})

    Args:
        dataset (Dataset): a map-style or iterable-style dataset.
        batch_size (int, optional): samples per batch; ``None`` turns automatic batching off. Default: 1.
        shuffle (bool, optional): a new random order every epoch (map-style only). Default: False.
        sampler (Sampler or Iterable, optional): the order of indices; excludes ``shuffle``.
        batch_sampler (Sampler or Iterable, optional): yields whole index lists; excludes ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers (int): worker processes; 0 loads in the main process. Default: 0.
        collate_fn (Callable, optional): merges a list of samples into a batch. Default: :func:`default_collate`
            (:func:`default_convert` without automatic batching).
        pin_memory (bool): accepted; numtorch has no accelerator, so nothing is pinned (torch warns the same).
        drop_last (bool): drop the last incomplete batch. Default: False.
        timeout (float): seconds to wait for a batch from the workers before raising (0: forever). Default: 0.
        worker_init_fn (Callable, optional): called as ``worker_init_fn(worker_id)`` in each worker, after
            seeding and before loading.
        multiprocessing_context (str or context, optional): the start method of the workers.
        generator (Generator, optional): the source of the shuffle order and of the workers' base seed.
        prefetch_factor (int, optional): batches loaded in advance per worker. Default: 2 with workers.
        persistent_workers (bool): keep the workers between epochs. Default: False.
        pin_memory_device (str): accepted and ignored, as ``pin_memory``.
        in_order (bool): return batches in sampler order (``False``: as they finish). Default: True.

    Example:
        >>> ds = TensorDataset(numtorch.randn(10, 3), numtorch.arange(10))
        >>> for x, y in DataLoader(ds, batch_size=4, shuffle=True):
        ...     pass   # x: (4, 3), (4, 3), (2, 3)
    """

    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        elif num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                                 "drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._IterableDataset_len_called = None
        self._iterator = None
        self.check_worker_number_rationality()

    # ------------------------------------------------------------------ configuration
    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, multiprocessing_context):
        if multiprocessing_context is not None:
            if self.num_workers > 0:
                if isinstance(multiprocessing_context, str):
                    valid = multiprocessing.get_all_start_methods()
                    if multiprocessing_context not in valid:
                        raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                         f"{valid!r}, but got multiprocessing_context={multiprocessing_context!r}")
                    multiprocessing_context = multiprocessing.get_context(multiprocessing_context)
                if not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
                    raise TypeError(f"multiprocessing_context option should be a valid context object or a string "
                                    f"specifying the start method, but got "
                                    f"multiprocessing_context={multiprocessing_context}")
            else:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
        self.__multiprocessing_context = multiprocessing_context

    def __setattr__(self, attr, val):
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                           "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def check_worker_number_rationality(self):
        """Warn (as torch does) when more workers are asked for than this machine's usable CPUs."""
        if not self.num_workers:
            return
        suggest = _cpu_count()
        if suggest is None or self.num_workers > suggest:
            if suggest is None:
                detail = "DataLoader is not able to compute a suggested max number of worker in current system."
            else:
                checked = "" if hasattr(os, "sched_getaffinity") else " (`cpuset` is not taken into account)"
                detail = (f"Our suggested max number of worker in current system is {suggest}{checked}, which is "
                          "smaller than what this DataLoader is going to create.")
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in total. {detail} "
                          "Please be aware that excessive worker creation might get DataLoader running slow or even "
                          "freeze, lower the worker number to avoid potential slowness/freeze if necessary.",
                          stacklevel=2)

    # ------------------------------------------------------------------ iteration
    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        if self._dataset_kind == _DatasetKind.Iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)


class _BaseDataLoaderIter:
    def __init__(self, loader):
        from ... import empty, int64
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn(f"pin_memory_device is deprecated, the current accelerator will be used as the device,"
                          f"ignore pin_memory_device='{loader.pin_memory_device}'.", stacklevel=3)
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=3)
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(self._index_sampler)
        # one draw from the loader's generator per iterator: the workers' base seed (drawn with or without
        # workers, so that the shuffle order does not depend on num_workers)
        self._base_seed = int(empty((), dtype=int64).random_(generator=loader.generator).item())
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter=False):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if (self._dataset_kind == _DatasetKind.Iterable and self._IterableDataset_len_called is not None
                and self._num_yielded > self._IterableDataset_len_called):
            msg = (f"Length of IterableDataset {self._dataset} was reported to be {self._IterableDataset_len_called}"
                   f"(when accessing len(dataloader)), but {self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not properly configuring the "
                        "IterableDataset replica at each worker. Please see "
                        "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for examples.")
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{self.__class__.__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._dataset_fetcher = _DatasetKind.create_fetcher(self._dataset_kind, self._dataset, self._auto_collation,
                                                            self._collate_fn, self._drop_last)

    def _next_data(self):
        index = self._next_index()  # StopIteration ends the epoch
        return self._dataset_fetcher.fetch(index)  # an exhausted iterable-style dataset also ends it


class _WorkerPool:
    """The worker processes and their queues; kept apart from the iterator so that a finalizer can shut them
    down when the iterator is dropped (abandoned loop, exception) without keeping the iterator alive."""

    def __init__(self, workers, index_queues, result_queue, done_event, persistent):
        self.workers = workers
        self.index_queues = index_queues
        self.result_queue = result_queue
        self.done_event = done_event
        self.persistent = persistent
        self.status = [True] * len(workers)
        self.is_shutdown = False

    def mark_unavailable(self, worker_id):
        """Tell one worker to exit (after its queued tasks) and stop sending it work."""
        self.index_queues[worker_id].put(None)
        self.status[worker_id] = False

    def shutdown(self):
        if self.is_shutdown:
            return
        self.is_shutdown = True
        try:
            self.done_event.set()
            for worker_id in range(len(self.workers)):
                if self.persistent or self.status[worker_id]:
                    self.mark_unavailable(worker_id)
            for w in self.workers:
                w.join(timeout=_JOIN_TIMEOUT)
            for q in self.index_queues:
                q.cancel_join_thread()
                q.close()
        finally:
            for w in self.workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=_JOIN_TIMEOUT)
            self.result_queue.cancel_join_thread()
            self.result_queue.close()


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter")
        ctx = loader.multiprocessing_context or _default_context()
        result_queue = ctx.Queue()
        done_event = ctx.Event()
        workers, index_queues = [], []
        self._pool = _WorkerPool(workers, index_queues, result_queue, done_event, self._persistent_workers)
        self._finalizer = weakref.finalize(self, self._pool.shutdown)
        for i in range(self._num_workers):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()
            w = ctx.Process(target=_worker_loop,
                            args=(self._dataset_kind, self._dataset, index_queue, result_queue, done_event,
                                  self._auto_collation, self._collate_fn, self._drop_last, self._base_seed,
                                  loader.worker_init_fn, i, self._num_workers, self._persistent_workers),
                            daemon=True)
            w.start()
            index_queues.append(index_queue)
            workers.append(w)
        self._pool.status = [True] * self._num_workers
        self._reset(loader, first_iter=True)

    @property
    def _workers(self):
        return self._pool.workers

    @property
    def _workers_status(self):
        return self._pool.status

    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        self._send_idx = 0          # index of the next task sent to a worker
        self._rcvd_idx = 0          # index of the next batch to return
        self._task_info = {}        # task index -> (worker_id,) while pending, (worker_id, data) when arrived early
        self._tasks_outstanding = 0
        self._pool.status[:] = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # persistent workers: start a new epoch in every worker; results of an abandoned epoch still in
            # flight arrive before each worker's acknowledgement and are dropped here
            for q in self._pool.index_queues:
                q.put(_ResumeIteration())
            waiting = self._num_workers
            while waiting > 0:
                task_idx, _ = self._get_data()
                if isinstance(task_idx, _ResumeIteration):
                    waiting -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    # -------------------------------------------------------------- receiving
    def _try_get_data(self, timeout=_STATUS_CHECK_INTERVAL):
        try:
            return True, _receive(self._pool.result_queue.get(timeout=timeout))
        except queue.Empty:
            failed = [(wid, w) for wid, w in enumerate(self._workers) if self._workers_status[wid] and not w.is_alive()]
            if failed:
                for wid, _ in failed:
                    self._workers_status[wid] = False
                pids = ", ".join(str(w.pid) for _, w in failed)
                how = "; ".join(_exit_description(w.exitcode) for _, w in failed)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly ({how})") from None
            return False, None

    def _get_data(self):
        if self._timeout > 0:
            ok, data = self._try_get_data(self._timeout)
            if ok:
                return data
            raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
        while True:
            ok, data = self._try_get_data()
            if ok:
                return data

    def _next_data(self):
        while True:
            # skip tasks of workers that have finished (iterable-style datasets)
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:   # arrived earlier, out of order
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)
            task_idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if self._dataset_kind == _DatasetKind.Iterable and isinstance(data, _IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._pool.mark_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if task_idx != self._rcvd_idx:
                if not self._in_order:
                    worker_id = self._task_info.pop(task_idx)[0]
                    return self._process_data(data, worker_id)
                self._task_info[task_idx] += (data,)
            else:
                worker_id = self._task_info.pop(task_idx)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _try_put_index(self):
        max_tasks = self._prefetch_factor * self._num_workers
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):  # the next active worker, round-robin
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                if self._in_order:
                    break
                if self._workers_num_tasks[worker_id] < max_tasks // sum(self._workers_status):
                    break
        else:
            return
        self._pool.index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _process_data(self, data, worker_id):
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _shutdown_workers(self):
        self._finalizer()


def _exit_description(exitcode):
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        import signal
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        return f"killed by signal {-exitcode}: {name}"
    return f"exit code {exitcode}"
