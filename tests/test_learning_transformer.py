"""Transformers trained with numtorch learn: a digits classifier and a sequence-reversal encoder-decoder.

Fixed seeds. Each takes about 2 s (digits) and 15 s (reversal) on one idle core; the times are printed, not
asserted (speed is the benchmark's business).
"""
import time

import numpy as np
import pytest

import numtorch as nt
from numtorch import nn

pytestmark = pytest.mark.slow


class DigitsTransformer(nn.Module):
    """Each 8x8 digit image is a sequence of 8 rows of 8 pixels: embed, add positions, encode, mean-pool."""

    def __init__(self, d_model=32, nhead=4, num_layers=2):
        super().__init__()
        self.embed = nn.Linear(8, d_model)
        self.pos = nn.SinusoidalPositionalEncoding(d_model, max_len=8, batch_first=True)
        layer = nn.TransformerEncoderLayer(d_model, nhead, 64, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, 10)

    def forward(self, x):
        return self.head(self.encoder(self.pos(self.embed(x))).mean(dim=1))


def test_transformer_encoder_classifies_digits():
    datasets = pytest.importorskip("sklearn.datasets", reason="the digits data ships with scikit-learn")
    digits = datasets.load_digits()
    x = (digits.images / 16.0).astype(np.float32)                  # (1797, 8, 8): 8 rows of 8 features
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    n_train = 1400
    xtr, ytr = nt.from_numpy(x[:n_train]), nt.from_numpy(y[:n_train])
    xte, yte = nt.from_numpy(x[n_train:]), nt.from_numpy(y[n_train:])
    nt.manual_seed(0)
    model = DigitsTransformer()
    opt = nt.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    acc = 0.0
    for epoch in range(12):
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
    print(f"digits transformer: held-out accuracy {acc:.3f} after {epoch + 1} epochs, "
          f"{time.perf_counter() - start:.1f} s")
    assert acc >= 0.90, f"held-out accuracy {acc:.3f} after {epoch + 1} epochs"


V, L, BOS = 10, 8, 10  # digits 0..9, sequences of 8, token 10 starts the decoder input


class Reverser(nn.Module):
    """An encoder-decoder Transformer that reads a sequence and writes it backwards, one token at a time."""

    def __init__(self, d_model=32, nhead=4):
        super().__init__()
        self.d_model = d_model
        self.embed = nn.Embedding(V + 1, d_model)
        self.pos = nn.SinusoidalPositionalEncoding(d_model, max_len=L + 1, batch_first=True)
        self.transformer = nn.Transformer(d_model, nhead, 1, 1, 64, dropout=0.0, batch_first=True)
        self.out = nn.Linear(d_model, V)

    def forward(self, src, tgt_in):
        scale = self.d_model ** 0.5
        causal = nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1])
        h = self.transformer(self.pos(self.embed(src) * scale), self.pos(self.embed(tgt_in) * scale),
                             tgt_mask=causal, tgt_is_causal=True)
        return self.out(h)

    def greedy(self, src):
        """Decode with the causal mask, feeding back each predicted token."""
        ys = nt.full((src.shape[0], 1), BOS, dtype=nt.int64)
        with nt.no_grad():
            for _ in range(L):
                nxt = self(src, ys)[:, -1].argmax(-1, keepdim=True)
                ys = nt.cat([ys, nxt], 1)
        return ys[:, 1:]


def _reverse_batch(rng, n):
    src = rng.integers(0, V, (n, L))
    tgt = src[:, ::-1].copy()
    tgt_in = np.concatenate([np.full((n, 1), BOS), tgt[:, :-1]], 1)
    return nt.from_numpy(src), nt.from_numpy(tgt_in), nt.from_numpy(tgt)


def test_encoder_decoder_learns_to_reverse_with_causal_mask():
    rng = np.random.default_rng(0)
    nt.manual_seed(0)
    model = Reverser()
    opt = nt.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(1500):
        src, tgt_in, tgt = _reverse_batch(rng, 64)
        loss = loss_fn(model(src, tgt_in).reshape(-1, V), tgt.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    src, _, tgt = _reverse_batch(np.random.default_rng(1), 500)
    pred = model.greedy(src).numpy()
    token_acc = (pred == tgt.numpy()).mean()
    seq_acc = (pred == tgt.numpy()).all(1).mean()
    print(f"reverse task: greedy token accuracy {token_acc:.3f}, whole-sequence accuracy {seq_acc:.3f}, "
          f"{time.perf_counter() - start:.1f} s")
    assert token_acc >= 0.95, token_acc
    assert seq_acc >= 0.80, seq_acc
