"""Parts of torch's API that scripts and tests reach for beyond the layers: ``compile``, the legacy tensor
types (``FloatTensor``, ``LongTensor``, ...), ``testing.assert_close`` and ``utils.checkpoint``. Each is
checked against what torch does with the same call."""
import warnings

import numpy as np
import pytest

import numtorch
from helpers import copy_state, to_nt, to_torch, torch

pytestmark = pytest.mark.torch


def _norm(text):
    return text.replace("numtorch.", "torch.")


# ---------------------------------------------------------------------- compile
def test_compile_wraps_a_module_as_torch_does():
    t_m = torch.nn.Linear(3, 2)
    n_m = numtorch.nn.Linear(3, 2)
    copy_state(t_m, n_m)
    t_c, n_c = torch.compile(t_m), numtorch.compile(n_m)
    assert list(n_c.state_dict()) == list(t_c.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    assert _norm(repr(n_c)) == repr(t_c)
    assert n_c._orig_mod is n_m and n_c.weight is n_m.weight
    n_c.eval()
    assert not n_m.training
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    np.testing.assert_allclose(n_c(to_nt(x)).detach().numpy(), t_m(to_torch(x)).detach().numpy(), rtol=1e-6)


def test_compile_functions_and_decorator():
    def f(x):
        return x * 2

    assert numtorch.compile(f) is f
    g = numtorch.compile(mode="max-autotune", fullgraph=True)(f)
    assert g is f
    with pytest.raises(RuntimeError, match="Module or a callable"):
        numtorch.compile(3)


# ---------------------------------------------------------------------- legacy tensor types
@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
                                  "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"])
def test_legacy_types_build_and_check_like_torch(name):
    T, N = getattr(torch, name), getattr(numtorch, name)
    for args in [([1, 0, 2],), ([[1, 2]],), ((2, 3),)]:
        t, n = T(*args), N(*args)
        assert str(n.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(n.shape) == tuple(t.shape)
        np.testing.assert_array_equal(n.numpy(), t.numpy())
    assert tuple(N(2, 3).shape) == tuple(T(2, 3).shape) == (2, 3)
    assert tuple(N().shape) == tuple(T().shape) == (0,)
    assert isinstance(N([1]), N) and not isinstance(numtorch.zeros(1, dtype=numtorch.complex64), N)
    assert _norm(repr(N)) == repr(T)
    assert numtorch.ones(2).type(N).dtype == getattr(numtorch, str(torch.ones(2).type(T).dtype).split(".")[-1])


def test_legacy_type_errors_are_torchs():
    for L in (torch, numtorch):
        with pytest.raises(TypeError):
            L.FloatTensor(L.ones(2, dtype=L.float64))
        with pytest.raises(TypeError, match="must be a sequence"):
            L.FloatTensor(2.5)
    b = numtorch.ones(2)
    alias = numtorch.FloatTensor(b)
    alias[0] = 5
    assert b[0].item() == 5          # an alias of the same memory, as in torch


# ---------------------------------------------------------------------- testing.assert_close
def _pairs(L):
    nan, inf = float("nan"), float("inf")
    return [
        (L.tensor([1., 2., 3.]), L.tensor([1., 2.5, 3.])), (L.ones(2), L.ones(3)),
        (L.ones(2), L.ones(2, dtype=L.float64)), (L.tensor([1, 2]), L.tensor([1, 3])),
        (L.tensor([[1., nan]]), L.tensor([[1., nan]])), (1.0, 1.0 + 1e-9), ([L.ones(2)], [L.ones(2) * 2]),
        ({"a": L.ones(1)}, {"a": L.zeros(1)}), (L.tensor(True), L.tensor(False)), (L.tensor(1.0), L.tensor(1.1)),
        (1.0, 1.1), (L.tensor([[1, 2], [3, 4]]), L.tensor([[1, 2], [3, 5]])),
        (L.ones(2, dtype=L.float16), L.zeros(2, dtype=L.float16)), (L.tensor([0.]), L.tensor([1e-6])),
        ((1, 2), (1, 2, 3)), (L.tensor([inf]), L.tensor([inf])), (L.tensor([inf]), L.tensor([-inf])), (1, 1.0),
        ({"a": 1}, {"b": 1}), (L.tensor([1., 2.]), L.tensor([1., inf])), (True, False), (3, 4),
        (L.tensor(0), L.tensor(0.0)), (L.tensor([1., 2.]), [1., 2.]), (L.ones(2, 3), L.ones(2, 3) + 1e-6),
    ]


@pytest.mark.parametrize("i", range(25))  # every pair of _pairs
def test_assert_close_passes_and_fails_with_torchs_message(i):
    outcome = []
    for L in (torch, numtorch):
        a, b = _pairs(L)[i]
        try:
            L.testing.assert_close(a, b)
            outcome.append("passed")
        except Exception as e:  # noqa: BLE001 - the class and text are what is compared
            outcome.append(f"{type(e).__name__}: {_norm(str(e))}")
    if outcome[0].startswith("TypeError"):   # type names differ (torch.Tensor vs numtorch's Tensor class)
        assert outcome[1].startswith("TypeError: No comparison pair")
    else:
        assert outcome[1] == outcome[0]


@pytest.mark.parametrize("kw", [dict(rtol=0.2, atol=0.0), dict(rtol=0.01, atol=0.0), dict(msg="custom"),
                                dict(check_dtype=False), dict(msg=lambda m: "X" + m[:10])])
def test_assert_close_options(kw):
    outcome = []
    for L in (torch, numtorch):
        expected = L.tensor([1.1], dtype=L.float64) if "check_dtype" in kw else L.tensor([1.1])
        try:
            L.testing.assert_close(L.tensor([1.]), expected, **kw)
            outcome.append("passed")
        except Exception as e:  # noqa: BLE001
            outcome.append(f"{type(e).__name__}: {_norm(str(e))}")
    assert outcome[1] == outcome[0]


def test_assert_close_nan_and_tolerance_arguments():
    nan = float("nan")
    numtorch.testing.assert_close(numtorch.tensor([1., nan]), numtorch.tensor([1., nan]), equal_nan=True)
    with pytest.raises(ValueError, match="must be either specified or omitted, but got no atol"):
        numtorch.testing.assert_close(numtorch.ones(1), numtorch.ones(1), rtol=0.1)


# ---------------------------------------------------------------------- utils.checkpoint
def test_checkpoint_gives_torchs_values_and_gradients():
    from numtorch.utils.checkpoint import checkpoint, checkpoint_sequential
    from torch.utils.checkpoint import checkpoint as t_checkpoint, checkpoint_sequential as t_sequential
    t_seq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    n_seq = numtorch.nn.Sequential(numtorch.nn.Linear(3, 4), numtorch.nn.Tanh(), numtorch.nn.Linear(4, 2))
    copy_state(t_seq, n_seq)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    for n_call, t_call in [(lambda m, v: checkpoint(m, v, use_reentrant=False),
                            lambda m, v: t_checkpoint(m, v, use_reentrant=False)),
                           (lambda m, v: checkpoint_sequential(m, 2, v, use_reentrant=False),
                            lambda m, v: t_sequential(m, 2, v, use_reentrant=False))]:
        tx, nx = to_torch(x, True), to_nt(x, True)
        t_out, n_out = t_call(t_seq, tx), n_call(n_seq, nx)
        np.testing.assert_allclose(n_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-6)
        t_out.sum().backward()
        n_out.sum().backward()
        np.testing.assert_allclose(nx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_checkpoint_without_use_reentrant_warns_like_torch():
    from numtorch.utils.checkpoint import checkpoint
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        checkpoint(numtorch.nn.Linear(2, 2), numtorch.ones(1, 2, requires_grad=True))
    assert any("use_reentrant parameter should be passed explicitly" in str(w.message) for w in caught)
