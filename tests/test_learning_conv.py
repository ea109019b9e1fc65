"""A small conv net trained with numtorch on real data (scikit-learn's handwritten digits) learns."""
import time

import numpy as np
import pytest

import numtorch as nt
from numtorch import nn

pytestmark = pytest.mark.slow


def test_conv_net_learns_digits():
    datasets = pytest.importorskip("sklearn.datasets", reason="the digits data ships with scikit-learn")
    digits = datasets.load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]          # (1797, 1, 8, 8)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    n_train = 1400
    xtr, ytr, xte, yte = nt.from_numpy(x[:n_train]), nt.from_numpy(y[:n_train]), \
        nt.from_numpy(x[n_train:]), nt.from_numpy(y[n_train:])
    nt.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = nt.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    acc = 0.0
    for epoch in range(8):
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
        if acc >= 0.95:
            break
    assert acc >= 0.95, f"held-out accuracy {acc:.3f} after {epoch + 1} epochs"
    assert time.perf_counter() - start < 120
