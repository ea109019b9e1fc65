"""Lazy modules (LazyLinear, LazyConv1d/2d/3d) against torch: repr before and after the first forward, the
class they become, parameter shapes, an optimizer built before the first forward, loading a state_dict into an
uninitialised module, and torch's errors."""
import numpy as np
import pytest

import numtorch
from helpers import torch

pytestmark = pytest.mark.torch


def _norm(s):
    return s.replace("numtorch.", "torch.")


CASES = [
    ("LazyLinear", (5,), {}, (2, 3)),
    ("LazyLinear", (4,), {"bias": False}, (2, 7, 3)),
    ("LazyConv1d", (3, 2), {"bias": False}, (4, 6)),
    ("LazyConv2d", (4, 3), {"padding": 1, "groups": 2}, (1, 2, 5, 5)),
    ("LazyConv3d", (2, (1, 2, 2)), {"stride": 2}, (1, 3, 4, 4, 4)),
]


@pytest.mark.parametrize("name,args,kw,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_lazy_module_becomes_the_eager_one(name, args, kw, shape):
    seen = []
    for L in (torch, numtorch):
        m = getattr(L.nn, name)(*args, **kw)
        before = repr(m)
        params = list(m.parameters())
        opt = L.optim.SGD(m.parameters(), lr=0.1)          # built while the parameters are uninitialised
        y = m(L.ones(*shape))
        y.sum().backward()
        w0 = m.weight.detach().numpy().copy()
        opt.step()
        seen.append((before, repr(m), type(m).__name__, tuple(y.shape),
                     [tuple(p.shape) for p in m.parameters()], [type(p).__name__ for p in m.parameters()],
                     list(m.state_dict()), all(a is b for a, b in zip(params, m.parameters())),
                     not np.array_equal(w0, m.weight.detach().numpy())))
    t, n = seen
    assert _norm(n[0]) == t[0] and _norm(n[1]) == t[1]
    assert n[2:] == t[2:]


def test_loading_a_state_dict_materialises_the_parameters():
    t_src = torch.nn.Linear(3, 5)
    for L in (torch, numtorch):
        m = L.nn.LazyLinear(5)
        src = {k: (L.from_numpy(v.detach().numpy().copy())) for k, v in t_src.state_dict().items()}
        m.load_state_dict(src)
        assert type(m).__name__ == "LazyLinear" and tuple(m.weight.shape) == (5, 3)
        np.testing.assert_array_equal(m(L.ones(1, 3)).detach().numpy(),
                                      t_src(torch.ones(1, 3)).detach().numpy())
        assert type(m).__name__ == "Linear"


def test_errors_match_torch():
    for L in (torch, numtorch):
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            L.nn.LazyConv2d(4, 3, groups=2)(L.ones(1, 3, 5, 5))
        with pytest.raises(RuntimeError):
            L.nn.LazyConv2d(4, 3)(L.ones(5, 5))
    assert repr(numtorch.nn.LazyLinear(3).weight) == repr(torch.nn.LazyLinear(3).weight) == "<UninitializedParameter>"
