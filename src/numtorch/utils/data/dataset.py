"""Datasets: the map-style :class:`Dataset` (``dataset[i]``) and the iterable-style :class:`IterableDataset`
(``iter(dataset)``), plus the wrappers that combine them (torch.utils.data's API and semantics).

A map-style dataset of length :math:`N` is a function :math:`i \\mapsto x_i` on :math:`\\{0, \\ldots, N-1\\}`;
the wrappers compose such functions:

* :class:`TensorDataset`: :math:`x_i = (t^{(1)}_i, \\ldots, t^{(k)}_i)`, each tensor indexed along dim 0;
* :class:`Subset`: :math:`x_i = d_{s_i}` for an index list :math:`s`;
* :class:`ConcatDataset`: :math:`x_i = d^{(j)}_{i - c_{j-1}}` with :math:`j` the first dataset whose
  cumulative size :math:`c_j > i`;
* :class:`StackDataset`: :math:`x_i = (d^{(1)}_i, \\ldots)` or ``{key: d^{key}_i}``;
* :class:`ChainDataset`: the iterable datasets one after another.
"""
import bisect
import itertools
import math
import warnings
from typing import Generic, Iterable, TypeVar

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset", "ChainDataset",
           "Subset", "random_split"]

_T_co = TypeVar("_T_co", covariant=True)


class Dataset(Generic[_T_co]):
    """A map-style dataset: subclasses implement ``__getitem__(index)`` and usually ``__len__()``.

    .. math::
        \\text{dataset}[i] = x_i, \\qquad (a + b)[i] = \\text{ConcatDataset}([a, b])[i]

    Samplers and :class:`~numtorch.utils.data.DataLoader` assume ``__len__`` when they need a length. A subclass
    may also define ``__getitems__(indices)`` to fetch a whole batch in one call.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self): return 4
        ...     def __getitem__(self, i): return i * i
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])

    # Like torch, no default __len__: ``len()`` of a dataset without one raises TypeError.


class IterableDataset(Dataset[_T_co], Iterable[_T_co]):
    """An iterable-style dataset: subclasses implement ``__iter__``.

    .. math::
        \\text{iter}(a + b) = \\text{iter}(a) \\text{ then } \\text{iter}(b) \\quad (\\text{a } ChainDataset)

    With ``num_workers > 0`` every worker process iterates its own copy of the dataset; to avoid duplicated
    samples, shard inside ``__iter__`` using :func:`~numtorch.utils.data.get_worker_info`.

    Example:
        >>> class Range(IterableDataset):
        ...     def __init__(self, n): self.n = n
        ...     def __iter__(self):
        ...         info = get_worker_info()
        ...         k, step = (0, 1) if info is None else (info.id, info.num_workers)
        ...         return iter(range(k, self.n, step))
    """

    # ``__iter__`` stays abstract (collections.abc.Iterable), so that, as in torch, a subclass without one cannot
    # be instantiated.

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of equally long tensors.

    .. math::
        \\text{dataset}[i] = (t_1[i], \\ldots, t_k[i])

    Args:
        *tensors: tensors with the same size of the first dimension.

    Example:
        >>> ds = TensorDataset(numtorch.randn(5, 3), numtorch.arange(5))
        >>> x, y = ds[0]
    """

    def __init__(self, *tensors):
        if any(tensors[0].size(0) != tensor.size(0) for tensor in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class StackDataset(Dataset):
    """Stack equally long datasets side by side: a tuple (positional) or a dict (keyword) per sample.

    .. math::
        \\text{dataset}[i] = (d_1[i], \\ldots, d_k[i]) \\quad\\text{or}\\quad \\{k: d_k[i]\\}

    Args:
        *args: datasets, giving tuples. **kwargs: named datasets, giving dicts. Not both.

    Example:
        >>> ds = StackDataset(image=images, label=labels)
        >>> ds[0]   # {'image': images[0], 'label': labels[0]}
    """

    def __init__(self, *args, **kwargs):
        if args:
            if kwargs:
                raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                                 "input/output, but both types are given.")
            members = args
        elif kwargs:
            members = list(kwargs.values())
        else:
            raise ValueError("At least one dataset should be passed")
        self._length = len(members[0])
        if any(self._length != len(d) for d in members):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    @staticmethod
    def _column(dataset, indices):
        """``[dataset[i] for i in indices]``, through the dataset's ``__getitems__`` when it has one."""
        getitems = getattr(dataset, "__getitems__", None)
        if not callable(getitems):
            return [dataset[i] for i in indices]
        items = getitems(indices)
        if len(items) != len(indices):
            raise ValueError(f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(items)}")
        return items

    def __getitems__(self, indices):
        if isinstance(self.datasets, dict):
            columns = {k: self._column(d, indices) for k, d in self.datasets.items()}
            return [{k: col[n] for k, col in columns.items()} for n in range(len(indices))]
        columns = [self._column(d, indices) for d in self.datasets]
        return [tuple(col[n] for col in columns) for n in range(len(indices))]

    def __len__(self):
        return self._length


class ConcatDataset(Dataset):
    """Several map-style datasets one after another.

    .. math::
        \\text{dataset}[i] = d_j[i - c_{j-1}], \\quad j = \\min\\{j : c_j > i\\}, \\quad
        c_j = \\textstyle\\sum_{m \\le j} |d_m|, \\; c_{-1} = 0

    Negative indices count from the end. ``cumulative_sizes`` holds :math:`c_0, c_1, \\ldots`.

    Args:
        datasets (iterable): the map-style datasets to concatenate.

    Example:
        >>> ds = ConcatDataset([a, b])   # len(ds) == len(a) + len(b)
    """

    @staticmethod
    def cumsum(sequence):
        sizes, total = [], 0
        for d in sequence:
            total += len(d)
            sizes.append(total)
        return sizes

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        j = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[j - 1] if j > 0 else 0
        return self.datasets[j][idx - start]

    @property
    def cummulative_sizes(self):
        warnings.warn("cummulative_sizes attribute is renamed to cumulative_sizes", FutureWarning, stacklevel=2)
        return self.cumulative_sizes


class ChainDataset(IterableDataset):
    """Iterable datasets chained: every sample of the first, then of the second, and so on.

    .. math::
        \\text{iter}(\\text{dataset}) = \\text{iter}(d_1) \\,\\Vert\\, \\text{iter}(d_2) \\,\\Vert\\, \\cdots

    Args:
        datasets (iterable): the iterable-style datasets to chain (checked lazily, as torch does).

    Example:
        >>> list(ChainDataset([stream_a, stream_b]))
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    .. math::
        \\text{subset}[i] = \\text{dataset}[\\text{indices}[i]]

    Args:
        dataset (Dataset): the whole dataset. indices (sequence): positions in it.

    Example:
        >>> first_ten = Subset(ds, range(10))
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices
        if type(self).__getitem__ is not Subset.__getitem__ and type(self).__getitems__ is Subset.__getitems__:
            raise NotImplementedError(
                f"{type(self).__name__} overrides __getitem__ but not __getitems__. When subclassing Subset and "
                "overriding __getitem__, you must also override __getitems__ to ensure DataLoader works correctly "
                "with your custom logic. A simple implementation:\n\n"
                "def __getitems__(self, indices):\n    return [self.__getitem__(idx) for idx in indices]")

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)


def _split_lengths(n, fractions):
    """Integer split sizes for ``fractions`` of ``n`` items: floors first, then the remainder handed out one
    at a time round-robin from the first split (torch's rule)."""
    sizes = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        sizes.append(math.floor(n * frac))
    for i in range(n - sum(sizes)):
        sizes[i % len(sizes)] += 1
    for i, size in enumerate(sizes):
        if size == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                          stacklevel=3)
    return sizes


def random_split(dataset, lengths, generator=None):
    """Split a dataset into non-overlapping random subsets of the given lengths.

    .. math::
        \\pi = \\text{randperm}(N), \\qquad
        \\text{split}_k = \\text{Subset}(\\text{dataset}, \\pi[L_{k-1} : L_k]), \\quad
        L_k = \\textstyle\\sum_{m \\le k} l_m

    Fractions that sum to 1 become sizes :math:`\\lfloor N f_k \\rfloor`, and the remainder is handed out one
    item at a time, round-robin from the first split.

    Args:
        dataset (Dataset): the dataset to split.
        lengths (sequence): integer lengths summing to ``len(dataset)``, or fractions summing to 1.
        generator (Generator, optional): source of the permutation. Default: numtorch's default generator.

    Example:
        >>> train, val = random_split(ds, [0.8, 0.2], generator=numtorch.Generator().manual_seed(42))
    """
    from ... import randperm
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _split_lengths(len(dataset), lengths)
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = randperm(sum(lengths), generator=generator).tolist()
    return [Subset(dataset, indices[end - length:end])
            for end, length in zip(itertools.accumulate(lengths), lengths)]
