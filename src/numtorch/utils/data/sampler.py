"""Samplers: iterables of dataset indices (or of index lists, for :class:`BatchSampler`) that decide the order
in which a :class:`~numtorch.utils.data.DataLoader` visits a map-style dataset.

All randomness comes from a :class:`numtorch.Generator` (``generator=``) or, when none is given, from a fresh
generator seeded by one draw from numtorch's default generator, as torch does.
"""
import itertools
from typing import Generic, TypeVar

import numpy as np

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
           "WeightedRandomSampler"]

_T_co = TypeVar("_T_co", covariant=True)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class Sampler(Generic[_T_co]):
    """Base class of samplers: subclasses implement ``__iter__`` (and ``__len__`` when the length is known).

    .. math::
        \\text{iter}(\\text{sampler}) = i_1, i_2, \\ldots

    Example:
        >>> class Reverse(Sampler):
        ...     def __init__(self, n): self.n = n
        ...     def __iter__(self): return iter(range(self.n - 1, -1, -1))
        ...     def __len__(self): return self.n
    """

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices in order: :math:`0, 1, \\ldots, N - 1`.

    Args:
        data_source (Sized): the dataset (only its length is used).
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices: a fresh permutation per pass, or draws with replacement.

    .. math::
        \\text{without replacement: } \\pi^{(1)} \\Vert \\pi^{(2)} \\Vert \\cdots \\text{ truncated to } n,
        \\quad \\pi^{(k)} = \\text{randperm}(N); \\qquad
        \\text{with replacement: } i_k \\sim \\mathcal{U}\\{0, \\ldots, N-1\\}

    Args:
        data_source (Sized): the dataset.
        replacement (bool): draw with replacement. Default: False.
        num_samples (int, optional): how many indices per pass. Default: ``len(data_source)``.
        generator (Generator, optional): the random source. Default: a generator seeded from numtorch's default
            generator at the start of each pass.

    Example:
        >>> list(RandomSampler(range(4), generator=numtorch.Generator().manual_seed(0)))
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        from ... import Generator, empty, int64, randint, randperm
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            seed = int(empty((), dtype=int64).random_().item())
            generator = Generator().manual_seed(seed)
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from randint(0, n, (32,), generator=generator).tolist()
            yield from randint(0, n, (self.num_samples % 32,), generator=generator).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from randperm(n, generator=generator).tolist()
            yield from randperm(n, generator=generator).tolist()[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (a fresh permutation each pass).

    .. math::
        i_k = \\text{indices}[\\pi_k], \\quad \\pi = \\text{randperm}(|\\text{indices}|)

    Args:
        indices (sequence): the indices to draw from. generator (Generator, optional): the random source.
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        from ... import randperm
        for k in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[k]

    def __len__(self):
        return len(self.indices)


def _multinomial(weights, num_samples, replacement, generator):
    """Indices drawn with probability proportional to ``weights`` (torch.multinomial's checks and messages).

    With replacement: independent draws from :math:`p = w / \\sum w`. Without: the exponential-race rule,
    the ``num_samples`` largest keys :math:`w_i / E_i` with :math:`E_i \\sim \\text{Exp}(1)`, which is sequential
    sampling without replacement proportional to :math:`w`.
    """
    from ...random import _gen
    w = np.asarray(weights, dtype=np.float64)
    if not np.all(w >= 0):  # also catches NaN, as torch does
        raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
    if np.isinf(w).any():
        raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
    total = w.sum()
    if not total > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > w.size:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rng = _gen(generator)
    if replacement:
        cdf = np.cumsum(w / total)
        u = rng.random(num_samples)
        return np.minimum(np.searchsorted(cdf, u * cdf[-1], side="right"), w.size - 1)
    keys = w / rng.exponential(1.0, w.size)
    return np.argsort(-keys, kind="stable")[:num_samples]


class WeightedRandomSampler(Sampler):
    """Indices drawn with probabilities proportional to ``weights``.

    .. math::
        P(i_k = j) = \\frac{w_j}{\\sum_m w_m}

    Args:
        weights (sequence): non-negative weights, need not sum to one (stored as a float64 tensor).
        num_samples (int): indices per pass.
        replacement (bool): with replacement (default ``True``); without, each index appears at most once.
        generator (Generator, optional): the random source.

    Example:
        >>> list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, replacement=True))
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        from ... import as_tensor, float64
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights_tensor = as_tensor(weights, dtype=float64)
        if len(weights_tensor.shape) != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        drawn = _multinomial(self.weights._data, self.num_samples, self.replacement, self.generator)
        yield from drawn.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of ``batch_size``.

    .. math::
        B_k = [i_{kb}, \\ldots, i_{kb + b - 1}], \\qquad
        |\\text{batches}| = \\lfloor n / b \\rfloor \\text{ (drop\\_last) or } \\lceil n / b \\rceil

    Args:
        sampler (Sampler or Iterable): the indices to group.
        batch_size (int): size of a batch.
        drop_last (bool): drop a final batch smaller than ``batch_size``.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
