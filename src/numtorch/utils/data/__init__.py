"""``numtorch.utils.data``: datasets, samplers and the ``DataLoader`` (torch.utils.data's API).

.. math::
    \\text{batch}_k = \\text{collate\\_fn}([\\text{dataset}[i] : i \\in B_k])

Datasets say what a sample is, samplers in which order samples are visited, ``collate_fn`` how samples become a
batch, and :class:`DataLoader` puts them together, in the main process or in worker processes.
"""
from ._collate import collate, default_collate, default_collate_fn_map, default_convert
from ._worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset,
                      random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
           "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler",
           "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert", "get_worker_info",
           "random_split", "WorkerInfo", "collate", "default_collate_fn_map"]
