"""Weight normalization (both APIs) and the parametrize machinery, against torch."""
import warnings

import numpy as np
import pytest

import numtorch
from numtorch.ops.normalization import _weight_norm, norm_except_dim
from helpers import assert_close, check_module, check_op, to_nt, to_torch, torch

pytestmark = pytest.mark.torch

DTYPES = ["float32", "float64"]


def _same_error(torch_call, our_call):
    with pytest.raises(Exception) as t_exc:
        torch_call()
    with pytest.raises(Exception) as n_exc:
        our_call()
    assert type(n_exc.value).__name__ == type(t_exc.value).__name__, (n_exc.value, t_exc.value)
    assert str(n_exc.value) == str(t_exc.value).replace("torch.", "numtorch."), (str(n_exc.value), str(t_exc.value))


def _twins(make, seed=0):
    """``make(lib)`` in both libraries with the same (torch's) initial state."""
    torch.manual_seed(seed)
    t = make(torch)
    n = make(numtorch)
    n.load_state_dict({k: to_nt(v) for k, v in t.state_dict().items()})
    return t, n


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return fn(*args, **kwargs)


# ---------------------------------------------------------------------- the kernels
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_weight_norm_kernel(dim):
    shape = (4, 3, 5)
    g_shape = () if dim == -1 else tuple(s if i == dim else 1 for i, s in enumerate(shape))
    check_op([shape, g_shape], lambda v, g: torch._weight_norm(v, g, dim),
             lambda v, g: _weight_norm(v, g, dim), low=0.5, high=2.0)
    v, g = torch.randn(shape, requires_grad=True), torch.rand(g_shape, requires_grad=True)
    out = _weight_norm(to_nt(v, True), to_nt(g, True), dim)
    assert out.grad_fn.name() == torch._weight_norm(v, g, dim).grad_fn.name()


@pytest.mark.parametrize("p", [2, 3])
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_norm_except_dim(dim, p):
    check_op([(4, 3, 5)], lambda v: torch.norm_except_dim(v, p, dim), lambda v: norm_except_dim(v, p, dim))
    v = torch.randn(4, 3, 5, requires_grad=True)
    assert norm_except_dim(to_nt(v, True), p, dim).grad_fn.name() == torch.norm_except_dim(v, p, dim).grad_fn.name()


# ---------------------------------------------------------------------- nn.utils.weight_norm (hook API)
@pytest.mark.parametrize("dim", [0, 1, 2, None, -2])
def test_weight_norm_hook_api(dim):
    t, n = _twins(lambda L: L.nn.Conv1d(4, 6, 3))
    with pytest.warns(FutureWarning, match="numtorch.nn.utils.weight_norm` is deprecated"):
        numtorch.nn.utils.weight_norm(n, dim=dim)
    _quiet(torch.nn.utils.weight_norm, t, dim=dim)
    assert list(n.state_dict()) == list(t.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert [k for k, _ in n.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert n.weight_g.shape == t.weight_g.shape
    for key in ("weight_g", "weight_v"):
        assert_close(getattr(n, key), getattr(t, key), 1e-6, 1e-5, key)
    x = np.random.default_rng(0).standard_normal((2, 4, 7)).astype(np.float32)
    for step in range(2):
        t_out, n_out = t(to_torch(x)), n(to_nt(x))
        assert_close(n_out, t_out, 1e-5, 1e-4, "output")
        assert n.weight.grad_fn.name() == t.weight.grad_fn.name()
        t.zero_grad()
        n.zero_grad()
        (t_out ** 2).sum().backward()
        (n_out ** 2).sum().backward()
        for (name, p), (_, tp) in zip(n.named_parameters(), t.named_parameters()):
            assert_close(p.grad, tp.grad, 1e-4, 1e-4, name)
        with torch.no_grad(), numtorch.no_grad():           # the pre-hook recomputes weight after an update
            t.weight_g.mul_(1.5)
            n.weight_g.mul_(1.5)
    n(to_nt(x))                                                  # the hook refreshes weight from g and v
    weight = n.weight.detach().numpy().copy()
    numtorch.nn.utils.remove_weight_norm(n)
    torch.nn.utils.remove_weight_norm(t)
    assert list(n.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    assert isinstance(n.weight, numtorch.nn.Parameter) and n.weight.is_leaf
    np.testing.assert_allclose(n.weight.detach().numpy(), weight)
    assert_close(n(to_nt(x)), t(to_torch(x)), 1e-5, 1e-4, "after removal")


def test_weight_norm_hook_api_errors():
    t, n = _twins(lambda L: L.nn.Linear(3, 4))
    _quiet(torch.nn.utils.weight_norm, t)
    _quiet(numtorch.nn.utils.weight_norm, n)
    _same_error(lambda: _quiet(torch.nn.utils.weight_norm, t), lambda: _quiet(numtorch.nn.utils.weight_norm, n))
    _same_error(lambda: torch.nn.utils.remove_weight_norm(torch.nn.Linear(3, 4)),
                lambda: numtorch.nn.utils.remove_weight_norm(numtorch.nn.Linear(3, 4)))
    _same_error(lambda: torch.nn.utils.remove_weight_norm(t, "bias"),
                lambda: numtorch.nn.utils.remove_weight_norm(n, "bias"))


# ---------------------------------------------------------------------- parametrizations.weight_norm
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrized_weight_norm_module(dim, dtype):
    # Outputs, every gradient (original0 = g, original1 = v), state_dict keys, repr (ParametrizedLinear with
    # its parametrizations child) and the round trip of the state_dict into torch.
    t, n = _twins(lambda L: L.nn.utils.parametrizations.weight_norm(L.nn.Linear(5, 4), dim=dim))
    check_module(t, n, [(6, 5)], dtype=dtype, train_steps=2)
    assert type(n).__name__ == "ParametrizedLinear"
    assert list(n.state_dict()) == ["bias", "parametrizations.weight.original0",
                                    "parametrizations.weight.original1"]
    assert n.weight.grad_fn.name() == t.weight.grad_fn.name()


def test_parametrized_weight_norm_starts_at_the_weight():
    t, n = _twins(lambda L: L.nn.Conv1d(3, 4, 2))
    weight = n.weight.detach().numpy().copy()
    numtorch.nn.utils.parametrizations.weight_norm(n)
    torch.nn.utils.parametrizations.weight_norm(t)
    np.testing.assert_allclose(n.weight.detach().numpy(), weight, rtol=1e-6, atol=1e-7)
    assert_close(n.parametrizations.weight.original0, t.parametrizations.weight.original0, 1e-6, 1e-5)
    assert n.parametrizations.weight.original0.shape == (4, 1, 1)


def test_parametrized_weight_norm_checkpoints_move_both_ways():
    make = (lambda L: L.nn.utils.parametrizations.weight_norm(L.nn.Linear(3, 2)))
    torch.manual_seed(1)
    t = make(torch)
    n = make(numtorch)
    n.load_state_dict({k: to_nt(v) for k, v in t.state_dict().items()})   # torch -> numtorch
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    assert_close(n(to_nt(x)), t(to_torch(x)), 1e-6, 1e-5)
    with numtorch.no_grad():
        n.parametrizations.weight.original1.mul_(-2.0)
    t2 = make(torch)
    t2.load_state_dict({k: to_torch(v) for k, v in n.state_dict().items()})  # numtorch -> torch
    assert_close(n(to_nt(x)), t2(to_torch(x)), 1e-6, 1e-5)


def test_parametrized_weight_norm_loads_hook_api_checkpoints():
    # A state_dict written with weight_g / weight_v (the old API) loads into the parametrized module.
    torch.manual_seed(2)
    old = _quiet(torch.nn.utils.weight_norm, torch.nn.Linear(3, 2))
    sd = old.state_dict()
    t = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2))
    n = numtorch.nn.utils.parametrizations.weight_norm(numtorch.nn.Linear(3, 2))
    t.load_state_dict(sd)
    n.load_state_dict({k: to_nt(v) for k, v in sd.items()})
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    assert_close(n(to_nt(x)), old(to_torch(x)), 1e-6, 1e-5)
    assert_close(n(to_nt(x)), t(to_torch(x)), 1e-6, 1e-5)


def test_parametrized_weight_norm_trains_like_torch():
    t, n = _twins(lambda L: L.nn.utils.parametrizations.weight_norm(L.nn.Linear(4, 3)))
    rng = np.random.default_rng(0)
    for _ in range(4):
        x, y = rng.standard_normal((8, 4)).astype(np.float32), rng.standard_normal((8, 3)).astype(np.float32)
        for L, m in ((torch, t), (numtorch, n)):
            loss = ((m(L.from_numpy(x.copy())) - L.from_numpy(y.copy())) ** 2).mean()
            m.zero_grad()
            loss.backward()
            with L.no_grad():
                for p in m.parameters():
                    p -= 0.2 * p.grad
    for (k, v), (_, tv) in zip(n.state_dict().items(), t.state_dict().items()):
        assert_close(v, tv, 1e-5, 1e-4, k)


def test_remove_weight_norm_parametrization():
    t, n = _twins(lambda L: L.nn.utils.parametrizations.weight_norm(L.nn.Linear(3, 2)))
    weight = n.weight.detach().numpy().copy()
    _same_error(lambda: torch.nn.utils.parametrize.remove_parametrizations(t, "weight", leave_parametrized=False),
                lambda: numtorch.nn.utils.parametrize.remove_parametrizations(n, "weight",
                                                                            leave_parametrized=False))
    numtorch.nn.utils.parametrize.remove_parametrizations(n, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(t, "weight")
    assert type(n) is numtorch.nn.Linear and repr(n) == repr(t)
    assert isinstance(n.weight, numtorch.nn.Parameter)
    assert list(n.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(n.weight.detach().numpy(), weight)
    assert not numtorch.nn.utils.parametrize.is_parametrized(n)


# ---------------------------------------------------------------------- the parametrize machinery
def _double(L):
    class Double(L.nn.Module):
        def forward(self, x):
            return x * 2

        def right_inverse(self, x):
            return x / 2
    return Double()


def _shift(L):
    class Shift(L.nn.Module):
        def forward(self, x):
            return x + 1
    return Shift()


def _shrink(L):
    class Shrink(L.nn.Module):
        def forward(self, x):
            return x[0]
    return Shrink()


def test_register_parametrization_single_tensor():
    parametrize = numtorch.nn.utils.parametrize
    t, n = _twins(lambda L: L.nn.Linear(3, 2))
    weight = n.weight.detach().numpy().copy()
    parametrize.register_parametrization(n, "weight", _double(numtorch))
    torch.nn.utils.parametrize.register_parametrization(t, "weight", _double(torch))
    # right_inverse keeps the value: original = weight / 2, and weight = 2 * original.
    np.testing.assert_allclose(n.weight.detach().numpy(), weight, rtol=1e-6)
    assert list(n.state_dict()) == list(t.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert repr(n) == repr(t)
    assert parametrize.is_parametrized(n) and parametrize.is_parametrized(n, "weight")
    assert not parametrize.is_parametrized(n, "bias")
    assert parametrize.type_before_parametrizations(n) is numtorch.nn.Linear
    # A second parametrization is applied after the first one.
    parametrize.register_parametrization(n, "weight", _shift(numtorch))
    torch.nn.utils.parametrize.register_parametrization(t, "weight", _shift(torch))
    assert_close(n.weight, t.weight, 1e-6, 1e-5, "stacked")
    assert repr(n) == repr(t)
    # Assigning runs right_inverse (Shift has none: torch's error).
    _same_error(lambda: setattr(t, "weight", torch.zeros(2, 3)), lambda: setattr(n, "weight", numtorch.zeros(2, 3)))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    t_out, n_out = t(to_torch(x)), n(to_nt(x))
    assert_close(n_out, t_out, 1e-6, 1e-5)
    t_out.sum().backward()
    n_out.sum().backward()
    assert_close(n.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad, 1e-5, 1e-4)
    parametrize.remove_parametrizations(n, "weight", leave_parametrized=False)
    torch.nn.utils.parametrize.remove_parametrizations(t, "weight", leave_parametrized=False)
    assert_close(n.weight, t.weight, 1e-6, 1e-5, "original kept")
    assert type(n) is numtorch.nn.Linear


def test_parametrization_setter_and_buffers():
    parametrize = numtorch.nn.utils.parametrize
    n = numtorch.nn.Linear(3, 2)
    parametrize.register_parametrization(n, "weight", _double(numtorch))
    n.weight = numtorch.full((2, 3), 4.0)                         # set through right_inverse
    np.testing.assert_allclose(n.parametrizations.weight.original.detach().numpy(), np.full((2, 3), 2.0))
    np.testing.assert_allclose(n.weight.detach().numpy(), np.full((2, 3), 4.0))
    # A buffer can be parametrized too; its original stays a buffer.
    t = torch.nn.BatchNorm1d(3)
    b = numtorch.nn.BatchNorm1d(3)
    torch.nn.utils.parametrize.register_parametrization(t, "running_var", _double(torch))
    parametrize.register_parametrization(b, "running_var", _double(numtorch))
    assert list(b.state_dict()) == list(t.state_dict())
    assert [k for k, _ in b.named_buffers()] == [k for k, _ in t.named_buffers()]
    np.testing.assert_allclose(b.running_var.numpy(), np.ones(3))


def test_cached_computes_once():
    parametrize = numtorch.nn.utils.parametrize
    n = numtorch.nn.utils.parametrizations.weight_norm(numtorch.nn.Linear(3, 2))
    assert n.weight is not n.weight
    with parametrize.cached():
        w = n.weight
        assert n.weight is w
        with parametrize.cached():
            assert n.weight is w
        assert n.weight is w
    assert n.weight is not w


def test_parametrize_errors_match_torch():
    def both(call):
        _same_error(lambda: call(torch), lambda: call(numtorch))

    both(lambda L: L.nn.utils.parametrize.register_parametrization(L.nn.Linear(3, 4), "foo", _double(L)))
    both(lambda L: L.nn.utils.parametrize.remove_parametrizations(L.nn.Linear(3, 4), "weight"))
    both(lambda L: L.nn.utils.parametrize.register_parametrization(L.nn.Linear(3, 4), "weight", _shrink(L)))

    def stacked(L):
        m = L.nn.utils.parametrize.register_parametrization(L.nn.Linear(3, 4), "weight", _double(L))
        return L.nn.utils.parametrize.register_parametrization(m, "weight", _shrink(L))
    both(stacked)
    # unsafe=True allows a shape change.
    m = numtorch.nn.utils.parametrize.register_parametrization(numtorch.nn.Linear(3, 4), "weight",
                                                               _shrink(numtorch), unsafe=True)
    assert m.weight.shape == (3,)
