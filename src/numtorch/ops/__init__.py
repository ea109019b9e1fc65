"""The functional core: one op family per module. Importing this package installs every Tensor method.

Families: ``convert`` (to/clone/copy_), ``math`` (elementwise, comparisons, matrix products), ``reduce``,
``shape``, ``indexing``, ``activation``, ``linear`` (linear, bilinear, dropout, embedding, one_hot), ``conv``,
``pooling``, ``padding``, ``sampling`` (interpolate), ``loss``; later ``normalization``, ``rnn``,
``attention``.
"""
from . import convert, math, reduce, shape, indexing  # noqa: F401
from . import activation, linear, conv, pooling, padding, sampling, loss, normalization, rnn  # noqa: F401
from . import attention  # noqa: F401
