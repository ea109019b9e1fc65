"""Module backward hooks (``register_full_backward_hook``, ``register_full_backward_pre_hook`` and the global
forms) against torch: when they run, what they receive (None where torch gives None), and the effect of a
replacement gradient."""
import numpy as np
import pytest

import numtorch
from helpers import copy_state, to_nt, to_torch, torch

pytestmark = pytest.mark.torch


def _grads(values):
    return tuple(None if v is None else v.detach().numpy().copy() for v in values)


def _same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None), (a, b)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class TwoInTwoOut:
    """A module taking (x, scale, y) and returning (x * scale + y, y * 2): one non-tensor input, two outputs."""

    @staticmethod
    def make(L):
        class M(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = L.nn.Linear(3, 3)

            def forward(self, x, scale, y):
                return self.lin(x) * scale + y, y * 2
        return M()


def _run(L, x_grad, y_grad, hook_kind, replace=False):
    """Build the module and hook it; return it and the list the hooks append what they see to."""
    L.manual_seed(0)
    m = TwoInTwoOut.make(L)
    seen = []

    def full(module, grad_input, grad_output):
        assert module is m
        seen.append(("full", _grads(grad_input), _grads(grad_output)))
        if replace:
            return tuple(None if g is None else g * 3 for g in grad_input)

    def pre(module, grad_output):
        assert module is m
        seen.append(("pre", _grads(grad_output)))
        if replace:
            return tuple(None if g is None else g * 0.5 for g in grad_output)

    if hook_kind in ("full", "both"):
        m.register_full_backward_hook(full)
    if hook_kind in ("pre", "both"):
        m.register_full_backward_pre_hook(pre)
    return m, seen


@pytest.mark.parametrize("hook_kind", ["full", "pre", "both"])
@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("x_grad,y_grad", [(True, True), (True, False), (False, True), (False, False)])
def test_hooks_see_and_change_what_torch_does(hook_kind, replace, x_grad, y_grad):
    rng = np.random.default_rng(0)
    x0, y0 = rng.standard_normal((2, 3)).astype("float32"), rng.standard_normal((2, 3)).astype("float32")
    w0 = rng.standard_normal((2, 3)).astype("float32")
    results = {}
    modules = {L: _run(L, x_grad, y_grad, hook_kind, replace) for L in (torch, numtorch)}
    copy_state(modules[torch][0], modules[numtorch][0])             # the same weights on both sides
    for L, conv in ((torch, to_torch), (numtorch, to_nt)):
        m, seen = modules[L]
        x, y = conv(x0, x_grad), conv(y0, y_grad)
        a, b = m(x, 2.0, y)
        loss = (a * conv(w0)).sum() + b.sum()
        if loss.requires_grad:
            loss.backward()
        results[L.__name__] = (seen, None if x.grad is None else x.grad.numpy().copy(),
                               None if y.grad is None else y.grad.numpy().copy(),
                               m.lin.weight.grad.numpy().copy())
    (t_seen, t_gx, t_gy, t_gw), (n_seen, n_gx, n_gy, n_gw) = results["torch"], results["numtorch"]
    assert [s[0] for s in n_seen] == [s[0] for s in t_seen]
    for ours, theirs in zip(n_seen, t_seen):
        for u, v in zip(ours[1:], theirs[1:]):
            _same(u, v)
    _same((n_gx, n_gy, n_gw), (t_gx, t_gy, t_gw))


def test_hook_handle_removes_and_prepend_orders():
    order = []
    m = numtorch.nn.Linear(2, 2)
    h1 = m.register_full_backward_hook(lambda *a: order.append(1))
    m.register_full_backward_hook(lambda *a: order.append(0), prepend=True)
    x = numtorch.randn(1, 2, requires_grad=True)
    m(x).sum().backward()
    assert order == [0, 1]
    h1.remove()
    order.clear()
    m(x).sum().backward()
    assert order == [0]


def test_global_backward_hooks_run_for_every_module():
    from numtorch.nn.modules.module import register_module_full_backward_hook, \
        register_module_full_backward_pre_hook
    names = []
    net = numtorch.nn.Sequential(numtorch.nn.Linear(2, 3), numtorch.nn.Tanh(), numtorch.nn.Linear(3, 1))
    h = register_module_full_backward_hook(lambda mod, gi, go: names.append(type(mod).__name__))
    hp = register_module_full_backward_pre_hook(lambda mod, go: names.append("pre " + type(mod).__name__))
    try:
        net(numtorch.randn(4, 2, requires_grad=True)).sum().backward()
    finally:
        h.remove()
        hp.remove()
    # as torch orders them: each module's pre-hook when its output gradient arrives, its hook when its input's
    assert names == ["pre Sequential", "pre Linear", "Linear", "pre Tanh", "Tanh", "pre Linear", "Linear",
                     "Sequential"]
    names.clear()
    net(numtorch.randn(4, 2, requires_grad=True)).sum().backward()
    assert names == []


def test_global_hook_order_matches_torch():
    def trace(L):
        from importlib import import_module
        mm = import_module(L.__name__ + ".nn.modules.module")
        names = []
        net = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.Tanh(), L.nn.Linear(3, 1))
        h = mm.register_module_full_backward_hook(lambda mod, gi, go: names.append(type(mod).__name__))
        hp = mm.register_module_full_backward_pre_hook(lambda mod, go: names.append("pre " + type(mod).__name__))
        try:
            net(L.randn(4, 2, requires_grad=True)).sum().backward()
        finally:
            h.remove()
            hp.remove()
        return names
    assert trace(numtorch) == trace(torch)


def test_wrong_number_of_gradients_is_torchs_error():
    for L in (torch, numtorch):
        m = L.nn.Linear(2, 2)
        m.register_full_backward_hook(lambda mod, gi, go: (None, None))
        with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input, got 2, "
                                               "but expected 1"):
            m(L.randn(1, 2, requires_grad=True)).sum().backward()
        m = L.nn.Linear(2, 2)
        m.register_full_backward_pre_hook(lambda mod, go: (None, None))
        with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of grad_output"):
            m(L.randn(1, 2, requires_grad=True)).sum().backward()


def test_no_input_requires_grad_hook_gets_none_and_must_not_replace():
    for L in (torch, numtorch):
        m = L.nn.Linear(2, 2)
        seen = []
        m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
        m(L.randn(1, 2)).sum().backward()
        assert seen == [(None,)]
        m = L.nn.Linear(2, 2)
        m.register_full_backward_hook(lambda mod, gi, go: (L.ones(1, 2),))
        with pytest.raises(RuntimeError, match="no input requires gradient should always return None"):
            m(L.randn(1, 2)).sum().backward()


def test_hooks_do_not_change_values_or_run_under_no_grad():
    calls = []
    m = numtorch.nn.Linear(3, 2)
    m.register_full_backward_hook(lambda *a: calls.append(1))
    x = numtorch.randn(4, 3, requires_grad=True)
    plain = numtorch.nn.Linear(3, 2)
    plain.load_state_dict(m.state_dict())
    np.testing.assert_array_equal(m(x).detach().numpy(), plain(x).detach().numpy())
    with numtorch.no_grad():
        out = m(x)
    assert out.grad_fn is None and calls == []


def test_legacy_register_backward_hook_names_the_replacement():
    with pytest.raises(NotImplementedError, match="register_full_backward_hook"):
        numtorch.nn.Linear(2, 2).register_backward_hook(lambda *a: None)
