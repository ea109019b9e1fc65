r"""Positional encodings for Transformer inputs: numtorch additions that torch does not have.

torch leaves positional information to the user (its Transformer tutorial writes a ``PositionalEncoding`` module
by hand). numtorch ships the two usual ones. Both add a ``(seq_len, d_model)`` table to the input, then apply
dropout:

.. math:: y_{t} = \mathrm{Dropout}(x_{t} + P_{t})

``SinusoidalPositionalEncoding`` keeps its fixed table as a non-persistent buffer, so a model's ``state_dict``
stays exactly what torch would save for the same model with a hand-written encoding of that kind.
"""
import math

import numpy as np

from ..._dtype import get_default_dtype
from ..._tensor import _from_array
from .dropout import Dropout
from .module import Module
from .sparse import Embedding

__all__ = ["SinusoidalPositionalEncoding", "LearnedPositionalEncoding"]


def _seq_dim(x, batch_first):
    return 1 if (batch_first and x.dim() == 3) else 0


def _check_len(seq_len, max_len, name):
    if seq_len > max_len:
        raise ValueError(f"{name}: the input has {seq_len} positions, more than max_len={max_len}")


class SinusoidalPositionalEncoding(Module):
    r"""Adds the fixed sinusoidal position table of "Attention Is All You Need" (a numtorch addition).

    .. math::
        PE_{(pos, 2i)} = \sin\big(pos / 10000^{2i / d_{model}}\big), \qquad
        PE_{(pos, 2i+1)} = \cos\big(pos / 10000^{2i / d_{model}}\big), \qquad y = \mathrm{Dropout}(x + PE)

    Args:
        d_model: feature size (odd sizes are allowed: the last cosine column is dropped).
        max_len: the longest sequence supported. Default: 5000.
        dropout: dropout probability after the addition. Default: 0.0.
        batch_first: inputs are ``(N, S, E)`` instead of ``(S, N, E)``. Default: ``False``.

    Shape:
        ``(S, N, E)``, ``(N, S, E)`` when ``batch_first``, or unbatched ``(S, E)`` -> same.

    Attributes:
        pe: ``(max_len, d_model)`` non-persistent buffer (not in ``state_dict``), computed in float64 and
            stored in the default dtype.

    Example::

        >>> pos = nn.SinusoidalPositionalEncoding(512)
        >>> pos(numtorch.zeros(10, 32, 512)).shape
        numtorch.Size([10, 32, 512])
    """

    def __init__(self, d_model, max_len=5000, dropout=0.0, batch_first=False, device=None, dtype=None):
        super().__init__()
        self.d_model = d_model
        self.max_len = max_len
        self.batch_first = batch_first
        self.dropout = Dropout(dropout)
        dt = (dtype or get_default_dtype()).np
        pos = np.arange(max_len, dtype=np.float64)[:, None]
        inv_freq = np.exp(np.arange(0, d_model, 2, dtype=np.float64) * (-math.log(10000.0) / d_model))
        angle = pos * inv_freq                               # pos / 10000^(2i / d_model)
        pe = np.empty((max_len, d_model), np.float64)
        pe[:, 0::2] = np.sin(angle)
        pe[:, 1::2] = np.cos(angle[:, : d_model // 2])
        self.register_buffer("pe", _from_array(pe.astype(dt)), persistent=False)

    def forward(self, x):
        d = _seq_dim(x, self.batch_first)
        n = x.shape[d]
        _check_len(n, self.max_len, "SinusoidalPositionalEncoding")
        pe = self.pe[:n]
        if pe.dtype != x.dtype:
            pe = pe.to(x.dtype)
        if d == 0 and x.dim() == 3:
            pe = pe.unsqueeze(1)                             # (S, 1, E) over the batch
        return self.dropout(x + pe)

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"


class LearnedPositionalEncoding(Module):
    r"""Adds a learned embedding of each position (a numtorch addition; BERT/GPT-style).

    .. math:: y_{t} = \mathrm{Dropout}(x_{t} + W_{t})

    Args:
        max_len: number of positions (rows of the table).
        d_model: feature size.
        dropout: dropout probability after the addition. Default: 0.0.
        batch_first: inputs are ``(N, S, E)`` instead of ``(S, N, E)``. Default: ``False``.

    Shape:
        ``(S, N, E)``, ``(N, S, E)`` when ``batch_first``, or unbatched ``(S, E)`` -> same.

    Attributes:
        embedding: an ``Embedding(max_len, d_model)`` whose weight (``embedding.weight``, N(0, 1) as
            ``nn.Embedding``) is the position table.

    Example::

        >>> pos = nn.LearnedPositionalEncoding(64, 32, batch_first=True)
        >>> pos(numtorch.zeros(8, 10, 32)).shape
        numtorch.Size([8, 10, 32])
    """

    def __init__(self, max_len, d_model, dropout=0.0, batch_first=False, device=None, dtype=None):
        super().__init__()
        self.max_len = max_len
        self.d_model = d_model
        self.batch_first = batch_first
        self.embedding = Embedding(max_len, d_model, device=device, dtype=dtype)
        self.dropout = Dropout(dropout)

    def forward(self, x):
        d = _seq_dim(x, self.batch_first)
        n = x.shape[d]
        _check_len(n, self.max_len, "LearnedPositionalEncoding")
        table = self.embedding.weight[:n]                    # rows 0..n-1: the embedding of positions arange(n)
        if d == 0 and x.dim() == 3:
            table = table.unsqueeze(1)
        return self.dropout(x + table)

    def extra_repr(self):
        return f"max_len={self.max_len}, d_model={self.d_model}, batch_first={self.batch_first}"

