"""``numtorch.vision``: the torchvision pieces a first course needs, on NumPy alone.

* :mod:`numtorch.vision.datasets`: ``CIFAR10``, ``MNIST``, ``FashionMNIST`` (download, checksum, safe
  extraction) and ``Digits``
  (scikit-learn's 8x8 digits, offline);
* :mod:`numtorch.vision.transforms`: ``Compose``, ``ToTensor``, ``Normalize``, ``RandomCrop``,
  ``RandomHorizontalFlip``, ``Resize``, ``Grayscale`` and friends.

``import numtorch.vision as torchvision`` reads like the torchvision code it replaces.
"""
from . import datasets, transforms

__all__ = ["datasets", "transforms"]
