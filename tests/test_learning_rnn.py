"""Recurrent nets trained with numtorch on real data: scikit-learn's 8x8 handwritten digits, read row by row
(a sequence of 8 steps of 8 features), reach >= 90% held-out accuracy with an LSTM and with a GRU."""
import time

import numpy as np
import pytest

import numtorch as nt
from numtorch import nn

pytestmark = pytest.mark.slow


class RowReader(nn.Module):
    """A recurrent layer reads the image's rows; a linear head classifies its final hidden state."""

    def __init__(self, cell, hidden=64):
        super().__init__()
        self.rnn = getattr(nn, cell)(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 10)

    def forward(self, x):
        _, h = self.rnn(x)
        if isinstance(h, tuple):       # LSTM: (h_n, c_n)
            h = h[0]
        return self.head(h[-1])


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_recurrent_net_learns_digits_row_by_row(cell):
    datasets = pytest.importorskip("sklearn.datasets", reason="the digits data ships with scikit-learn")
    digits = datasets.load_digits()
    x = (digits.images / 16.0).astype(np.float32)                    # (1797, 8, 8): 8 steps of 8 features
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    n_train = 1400
    xtr, ytr = nt.from_numpy(x[:n_train]), nt.from_numpy(y[:n_train])
    xte, yte = nt.from_numpy(x[n_train:]), nt.from_numpy(y[n_train:])
    nt.manual_seed(0)
    model = RowReader(cell)
    opt = nt.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    acc = 0.0
    for epoch in range(15):
        model.train()
        perm = nt.randperm(n_train)
        for i in range(0, n_train, 64):
            idx = perm[i:i + 64]
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with nt.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        if acc >= 0.93:
            break
    assert acc >= 0.90, f"{cell}: held-out accuracy {acc:.3f} after {epoch + 1} epochs"
    assert time.perf_counter() - start < 60
