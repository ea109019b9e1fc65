"""numtorch.amp against torch on a CPU-only machine: GradScaler("cpu") scales, unscales, skips overflowed steps
and adapts its scale as torch's does; the CUDA forms warn and step aside; CPU autocast is refused clearly."""
import warnings

import numpy as np
import pytest

import numtorch
from helpers import copy_state, torch

pytestmark = pytest.mark.torch


def _train(L, steps, poison_at=(), growth_interval=2, state=None):
    L.manual_seed(0)
    model = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), L.nn.Linear(8, 1))
    if state is not None:
        model.load_state_dict(state)
    opt = L.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scaler = L.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=growth_interval)
    rng = np.random.default_rng(1)
    history = []
    for step in range(steps):
        x = (L.from_numpy if L is numtorch else torch.from_numpy)(rng.standard_normal((16, 4)).astype("float32"))
        opt.zero_grad()
        loss = (model(x) ** 2).mean()
        scaled = scaler.scale(loss)
        scaled.backward()
        if step in poison_at:
            model[0].weight.grad[0, 0] = float("inf")
        scaler.unscale_(opt)
        grad = model[0].weight.grad.detach().numpy().copy()
        scaler.step(opt)
        scaler.update()
        history.append((scaled.item(), scaler.get_scale(), grad))
    return model, history, scaler.state_dict()


def test_grad_scaler_training_matches_torch():
    """Eight steps with two poisoned (inf) gradients: the same skipped steps, scales, gradients and weights."""
    t_model, t_hist, t_state = _train(torch, 8, poison_at=(2, 5))
    start = numtorch.nn.Sequential(numtorch.nn.Linear(4, 8), numtorch.nn.Tanh(), numtorch.nn.Linear(8, 1))
    copy_state(_train(torch, 0)[0], start)                           # torch's initial weights
    n_model, n_hist, n_state = _train(numtorch, 8, poison_at=(2, 5), state=start.state_dict())
    assert [h[1] for h in n_hist] == [h[1] for h in t_hist]        # backoff at 2 and 5, growth after 2 clean
    assert n_hist[1][1] == 2 * n_hist[0][1] and n_hist[2][1] == n_hist[1][1] / 2   # grew, then backed off
    for (ns, _, ng), (ts, _, tg) in zip(n_hist, t_hist):
        np.testing.assert_allclose(ns, ts, rtol=1e-5)
        np.testing.assert_allclose(ng, tg, rtol=1e-4, atol=1e-6)
    for (name, p), (_, q) in zip(n_model.named_parameters(), t_model.named_parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-6, err_msg=name)
    assert n_state == t_state


def test_scaler_state_dict_round_trip_and_errors():
    for L in (torch, numtorch):
        s = L.amp.GradScaler("cpu", init_scale=8.0)
        assert s.get_scale() == 8.0 and s.is_enabled()
        s2 = L.amp.GradScaler("cpu")
        s2.load_state_dict({"scale": 4.0, "growth_factor": 3.0, "backoff_factor": 0.25, "growth_interval": 7,
                            "_growth_tracker": 2})
        assert s2.get_scale() == 4.0 and s2.get_growth_factor() == 3.0 and s2.get_growth_interval() == 7
        m = L.nn.Linear(2, 1)
        opt = L.optim.SGD(m.parameters(), lr=0.1)
        with pytest.raises(AssertionError, match="did not use scaler.scale"):
            s.step(opt)
        s.scale(m(L.ones(1, 2)).sum()).backward()
        s.unscale_(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
            s.unscale_(opt)
        with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
            s.step(opt, closure=lambda: 0)
        with pytest.raises(RuntimeError, match="source state dict is empty"):
            L.amp.GradScaler("cpu").load_state_dict({})


def test_cuda_forms_warn_and_step_aside():
    for L in (torch, numtorch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            s = L.amp.GradScaler("cuda")
            with L.autocast(device_type="cuda", dtype=L.float16):
                y = L.nn.Linear(2, 2)(L.ones(1, 2))
        assert not s.is_enabled() and s.get_scale() == 1.0 and s.state_dict() == {}
        assert y.dtype == L.float32
        messages = " | ".join(str(w.message) for w in caught)
        assert "GradScaler is enabled, but CUDA is not available.  Disabling." in messages
        assert "CUDA is not available or torch_xla is imported. Disabling autocast." in messages
        loss = L.ones(1, requires_grad=True).sum()
        assert s.scale(loss) is loss


def test_cpu_autocast_is_refused_clearly_and_disabled_is_a_no_op():
    with pytest.raises(NotImplementedError, match="CPU autocast"):
        numtorch.autocast(device_type="cpu", dtype=numtorch.bfloat16)
    with numtorch.autocast(device_type="cpu", enabled=False):
        assert numtorch.nn.Linear(2, 2)(numtorch.ones(1, 2)).dtype == numtorch.float32
    assert numtorch.amp.is_autocast_available("cpu") is False
