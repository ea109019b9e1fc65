"""The one place that knows which array library holds the data.

Op code asks ``xp = get_array_module(array)`` and calls ``xp.exp``, ``xp.zeros_like`` and so on. Today the
answer is always NumPy; a CuPy backend would only have to change this file. Plain ``numpy`` is used elsewhere
only for metadata: dtypes, shape arithmetic and random-number seeding.
"""
import numpy

__all__ = ["get_array_module", "ndarray"]

ndarray = numpy.ndarray


def get_array_module(*arrays):
    """Return the array module (``numpy``) that holds ``arrays``."""
    return numpy
