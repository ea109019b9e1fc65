"""numtorch.optim against torch.optim: updates, parameter groups, state dicts, hooks, reprs and errors.

Optimizer updates are pure arithmetic, so float64 parity is checked tightly (rtol 1e-12, atol 1e-14): the only
differences left are the last-bit roundings of torch's fused multiply-add CPU kernels (lerp, add with alpha).
"""
import copy
import importlib
import pickle
import warnings

import numpy as np
import pytest

import numtorch as nt
from helpers import torch

TORCH = pytest.mark.torch
RTOL, ATOL = 1e-12, 1e-14
STEPS = 20

# (optimizer, options) pairs covering every option of every optimizer.
CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.2, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.05, betas=(0.3, 0.4))),   # beta1 < 0.5: lerp takes its other branch
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True, betas=(0.5, 0.99))),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True)),  # 1 - alpha >= 0.5: the other lerp branch
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.2)),
    ("Adagrad", dict(lr=0.05, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.3, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.4, 0.9), eps=1e-4, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.1, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),                          # rho_t > 5 from step 6 on: both branches
    ("RAdam", dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in CASES]
REQUIRED = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
ALL = REQUIRED + ["Adadelta", "Adamax", "NAdam", "RAdam"]


# ---------------------------------------------------------------------------------------------- fixtures
def init_arrays(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, (3, 4)).astype(dtype), rng.uniform(-1, 1, 3).astype(dtype),
            np.array(1.3, dtype=dtype)]


def data(dtype=np.float64, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((6, 4)).astype(dtype), rng.standard_normal((6, 3)).astype(dtype)


def make_params(lib, arrays):
    return [lib.from_numpy(a.copy()).requires_grad_(True) for a in arrays]


def loss_fn(lib, params, X, Y):
    """A small model's loss: a scaled linear layer against targets plus a quartic penalty (a non-quadratic
    surface, so the gradients depend on the trajectory)."""
    W, b, s = params
    x, y = lib.from_numpy(X), lib.from_numpy(Y)
    return ((((x @ W.T) + b) * s - y) ** 2).mean() + 0.05 * (W ** 4).sum()


def train(lib, opt, params, X, Y, steps):
    """``steps`` optimizer steps; a maximizing optimizer climbs ``-loss`` so every trajectory stays bounded."""
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(lib, params, X, Y)
        if opt.param_groups[0].get("maximize"):
            loss = -loss
        loss.backward()
        opt.step()


def np_of(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def assert_params_close(ours, theirs, rtol=RTOL, atol=ATOL, what="param"):
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert o.dtype.__repr__().split(".")[-1] == str(t.dtype).split(".")[-1], f"{what}[{i}] dtype"
        np.testing.assert_allclose(np_of(o), np_of(t), rtol=rtol, atol=atol, err_msg=f"{what}[{i}]")


def assert_state_close(ours, theirs, rtol=RTOL, atol=ATOL):
    """Two optimizers' state dicts: same layout, same keys, same types and dtypes, close values."""
    so, st = ours.state_dict(), theirs.state_dict()
    assert list(so["state"].keys()) == list(st["state"].keys())
    for idx in st["state"]:
        assert list(so["state"][idx].keys()) == list(st["state"][idx].keys()), f"state[{idx}] keys"
        for key, tv in st["state"][idx].items():
            ov = so["state"][idx][key]
            if torch is not None and isinstance(tv, torch.Tensor):
                assert isinstance(ov, nt.Tensor), f"state[{idx}][{key}] is {type(ov)}"
                assert str(ov.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1], f"state[{idx}][{key}] dtype"
                assert tuple(ov.shape) == tuple(tv.shape)
                np.testing.assert_allclose(np_of(ov), np_of(tv), rtol=rtol, atol=atol,
                                           err_msg=f"state[{idx}][{key}]")
            else:
                assert ov == tv
    assert groups_plain(so["param_groups"]) == groups_plain(st["param_groups"])


def groups_plain(groups):
    """Parameter groups with tensors turned into floats, for comparison across libraries."""
    def plain(v):
        if isinstance(v, tuple):
            return tuple(plain(x) for x in v)
        if isinstance(v, nt.Tensor) or (torch is not None and isinstance(v, torch.Tensor)):
            return float(v)
        return v
    return [{k: plain(v) for k, v in g.items()} for g in groups]


def convert_state_dict(sd, lib):
    """Convert every tensor of an optimizer state dict to ``lib`` through NumPy (a deep copy)."""
    def conv(v):
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        if isinstance(v, tuple):
            return tuple(conv(x) for x in v)
        if isinstance(v, nt.Tensor) or (torch is not None and isinstance(v, torch.Tensor)):
            return lib.from_numpy(np.array(v.detach().numpy(), copy=True))
        return v
    return conv(sd)


def pair(name, kw, dtype=np.float64, groups=None):
    """The same optimizer over the same initial weights in both libraries."""
    arrays = init_arrays(dtype)
    out = []
    for lib in (torch, nt):
        params = make_params(lib, arrays)
        spec = params if groups is None else groups(params)
        out.append((params, getattr(lib.optim, name)(spec, **kw)))
    return out


# ---------------------------------------------------------------------------------------------- parity
@TORCH
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_trajectory_matches_torch(name, kw):
    X, Y = data()
    rtol = RTOL
    if kw.get("centered") and kw.get("alpha", 0.99) < 0.5:
        # v - gbar^2 nearly cancels when alpha is small, magnifying the last-bit differences of torch's FMA
        # lerp kernel a hundredfold.
        rtol = 1e-10
    (tp, topt), (npar, nopt) = pair(name, kw)
    for step in range(STEPS):
        train(torch, topt, tp, X, Y, 1)
        train(nt, nopt, npar, X, Y, 1)
        assert_params_close(npar, tp, rtol=rtol, what=f"step {step + 1} param")
    assert_state_close(nopt, topt, rtol=rtol)
    assert all(p.grad_fn is None and p.requires_grad and p.is_leaf for p in npar)


@TORCH
@pytest.mark.parametrize("name", ALL)
def test_float32_stays_float32(name):
    # float32 differs from torch only in the last bits of its fused multiply-add kernels, which 20 steps of a
    # nonlinear trajectory can amplify a little: a float32-sized tolerance.
    X, Y = data(np.float32)
    (tp, topt), (npar, nopt) = pair(name, dict(lr=0.01), dtype=np.float32)
    train(torch, topt, tp, X, Y, STEPS)
    train(nt, nopt, npar, X, Y, STEPS)
    assert_params_close(npar, tp, rtol=1e-5, atol=1e-6)
    for st in nopt.state.values():
        for key, v in st.items():
            if key != "step":
                assert v.dtype == nt.float32, key
    assert_state_close(nopt, topt, rtol=1e-4, atol=1e-6)


@TORCH
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_lr_as_tensor(name):
    X, Y = data()
    arrays = init_arrays()
    runs = []
    for lib in (torch, nt):
        params = make_params(lib, arrays)
        kw = dict(lr=lib.tensor(0.02, dtype=lib.float32))
        if name == "SGD":
            kw["momentum"] = 0.9
        opt = getattr(lib.optim, name)(params, **kw)
        train(lib, opt, params, X, Y, 10)
        runs.append(params)
    assert_params_close(runs[1], runs[0])


@TORCH
def test_adam_betas_as_tensors():
    X, Y = data()
    arrays = init_arrays()
    runs = []
    for lib in (torch, nt):
        params = make_params(lib, arrays)
        opt = lib.optim.Adam(params, lr=0.02, betas=(lib.tensor([0.9]), lib.tensor(0.99)))
        assert opt.defaults["betas"][0].dim() == 0
        train(lib, opt, params, X, Y, 10)
        runs.append(params)
    # The float32 bias corrections are 0-d float32 tensors here, and torch's float32 sqrt kernel is not always
    # correctly rounded (sqrt(1 - 0.99f) is 0.6 ulp off), so step sizes can differ by one float32 ulp.
    assert_params_close(runs[1], runs[0], rtol=1e-7, atol=1e-9)


@TORCH
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_flag_same_numbers(name):
    X, Y = data()
    (tp, topt), (npar, nopt) = pair(name, dict(lr=0.01, fused=True))
    train(torch, topt, tp, X, Y, 10)
    train(nt, nopt, npar, X, Y, 10)
    assert_params_close(npar, tp, rtol=1e-10, atol=1e-12)   # torch's fused CPU kernel rounds differently
    assert_state_close(nopt, topt, rtol=1e-9, atol=1e-12)


@TORCH
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_foreach_and_differentiable_flags_accepted(name):
    X, Y = data()
    (tp, topt), (npar, nopt) = pair(name, dict(lr=0.01, foreach=False, differentiable=False))
    train(torch, topt, tp, X, Y, 5)
    train(nt, nopt, npar, X, Y, 5)
    assert_params_close(npar, tp)


@TORCH
@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1, amsgrad=True)),
                                     ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
                                     ("Adagrad", dict(lr=0.1))])
def test_complex_parameters(name, kw):
    rng = np.random.default_rng(3)
    w = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex128)
    grads = [(rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex128) for _ in range(8)]
    results = []
    for lib in (torch, nt):
        p = lib.from_numpy(w.copy()).requires_grad_(True)
        opt = getattr(lib.optim, name)([p], **kw)
        for g in grads:
            p.grad = lib.from_numpy(g.copy())
            opt.step()
        results.append((p, opt))
    np.testing.assert_allclose(np_of(results[1][0]), np_of(results[0][0]), rtol=RTOL, atol=ATOL)
    assert_state_close(results[1][1], results[0][1])


@TORCH
def test_params_without_grad_are_skipped():
    arrays = init_arrays()
    for name in ALL:
        outs = []
        for lib in (torch, nt):
            params = make_params(lib, arrays)
            opt = getattr(lib.optim, name)(params, lr=0.1)
            params[0].grad = lib.ones(3, 4, dtype=lib.float64)
            opt.step()
            outs.append((params, opt))
        assert_params_close(outs[1][0], outs[0][0])
        assert_state_close(outs[1][1], outs[0][1])


# ---------------------------------------------------------------------------------------------- groups
@TORCH
@pytest.mark.parametrize("name,g0,g1", [
    ("SGD", dict(lr=0.1, momentum=0.9), dict(nesterov=True, momentum=0.5)),
    ("Adam", dict(lr=0.05), dict(betas=(0.5, 0.9), amsgrad=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01), dict(centered=True, momentum=0.3)),
    ("Adagrad", dict(lr=0.1), dict(lr=0.02, lr_decay=0.1)),
])
def test_per_group_options(name, g0, g1):
    X, Y = data()

    def groups(params):
        return [{"params": params[:1], **g0}, {"params": params[1:], **g1}]
    (tp, topt), (npar, nopt) = pair(name, dict(lr=0.03), groups=groups)
    train(torch, topt, tp, X, Y, STEPS)
    train(nt, nopt, npar, X, Y, STEPS)
    assert_params_close(npar, tp)
    assert_state_close(nopt, topt)
    assert groups_plain(nopt.state_dict()["param_groups"]) == groups_plain(topt.state_dict()["param_groups"])


@TORCH
@pytest.mark.parametrize("name", ALL)
def test_add_param_group_mid_training(name):
    X, Y = data()
    arrays = init_arrays()
    runs = []
    for lib in (torch, nt):
        params = make_params(lib, arrays)
        opt = getattr(lib.optim, name)(params[:2], lr=0.02)
        for step in range(12):
            if step == 5:
                opt.add_param_group({"params": params[2], "lr": 0.05})
            train(lib, opt, params, X, Y, 1)
        runs.append((params, opt))
    assert_params_close(runs[1][0], runs[0][0])
    assert_state_close(runs[1][1], runs[0][1])


@TORCH
def test_named_parameters_groups():
    arrays = init_arrays()
    sds = []
    for lib in (torch, nt):
        params = make_params(lib, arrays)
        opt = lib.optim.SGD([("w", params[0]), ("b", params[1])], lr=0.1, momentum=0.9)
        opt.add_param_group({"params": [("s", params[2])]})
        sds.append(opt.state_dict())
        assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert groups_plain(sds[1]["param_groups"]) == groups_plain(sds[0]["param_groups"])


def test_required_default():
    class Custom(nt.optim.Optimizer):
        def __init__(self, params, lr=nt.optim.optimizer.required):
            super().__init__(params, dict(lr=lr))
    p = nt.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="parameter group didn't specify a value of required optimization "
                                         "parameter lr"):
        Custom([p])
    assert Custom([{"params": [p], "lr": 0.1}]).param_groups[0]["lr"] == 0.1
    assert repr(nt.optim.optimizer.required) == "<required parameter>"


# ---------------------------------------------------------------------------------------------- state dicts
ROUND_TRIP = [i for i, (name, kw) in enumerate(CASES)
              if (name, tuple(kw)) in {("SGD", ("lr", "momentum", "dampening", "weight_decay")),
                                       ("SGD", ("lr", "momentum", "nesterov", "weight_decay")),
                                       ("Adam", ("lr", "amsgrad")), ("AdamW", ("lr", "weight_decay", "amsgrad")),
                                       ("RMSprop", ("lr", "centered", "momentum", "weight_decay", "maximize")),
                                       ("Adagrad", ("lr", "weight_decay", "initial_accumulator_value")),
                                       ("Adadelta", ()), ("Adamax", ("lr",)),
                                       ("NAdam", ("lr", "momentum_decay", "weight_decay")), ("RAdam", ("lr",))}]


@TORCH
@pytest.mark.parametrize("name,kw", [CASES[i] for i in ROUND_TRIP], ids=[IDS[i] for i in ROUND_TRIP])
def test_state_dict_round_trips(name, kw):
    X, Y = data()
    arrays = init_arrays()

    def fresh(lib):
        params = make_params(lib, arrays)
        return params, getattr(lib.optim, name)(params, **kw)

    # torch trains 8 steps and saves; the reference is torch itself reloading that state into a fresh optimizer
    # (loading casts state to the parameters' dtype, e.g. NAdam's float32 mu_product becomes float64) and
    # training 8 more steps.
    tp, topt = fresh(torch)
    train(torch, topt, tp, X, Y, 8)
    mid = [p.detach().numpy().copy() for p in tp]
    torch_sd = copy.deepcopy(topt.state_dict())     # state_dict() references the live state tensors
    ref = make_params(torch, mid)
    ref_opt = getattr(torch.optim, name)(ref, lr=123.0)
    ref_opt.load_state_dict(copy.deepcopy(torch_sd))
    train(torch, ref_opt, ref, X, Y, 8)

    # torch -> numtorch
    npar = make_params(nt, mid)
    nopt = getattr(nt.optim, name)(npar, lr=123.0)
    nopt.load_state_dict(convert_state_dict(torch_sd, nt))
    assert nopt.param_groups[0]["lr"] == torch_sd["param_groups"][0]["lr"]
    train(nt, nopt, npar, X, Y, 8)
    assert_params_close(npar, ref)
    assert_state_close(nopt, ref_opt)

    # numtorch -> numtorch and numtorch -> torch, from numtorch's own mid-training state
    n1, o1 = fresh(nt)
    train(nt, o1, n1, X, Y, 8)
    sd = copy.deepcopy(o1.state_dict())
    n2 = make_params(nt, [p.detach().numpy() for p in n1])
    o2 = getattr(nt.optim, name)(n2, lr=7.0)
    o2.load_state_dict(sd)
    t2 = [torch.from_numpy(p.detach().numpy().copy()).requires_grad_(True) for p in n1]
    o3 = getattr(torch.optim, name)(t2, lr=7.0)
    o3.load_state_dict(convert_state_dict(o1.state_dict(), torch))
    train(nt, o2, n2, X, Y, 8)
    train(torch, o3, t2, X, Y, 8)
    assert_params_close(n2, t2)
    assert_state_close(o2, o3)
    assert_params_close(n2, ref)


@TORCH
@pytest.mark.parametrize("name", ALL)
def test_state_dict_layout_equals_torch(name):
    X, Y = data()
    (tp, topt), (npar, nopt) = pair(name, dict(lr=0.01, momentum=0.9) if name in ("SGD", "RMSprop")
                                    else dict(lr=0.01))
    train(torch, topt, tp, X, Y, 2)
    train(nt, nopt, npar, X, Y, 2)
    so, st = nopt.state_dict(), topt.state_dict()
    assert set(so) == {"state", "param_groups"}
    assert so["param_groups"] == st["param_groups"]
    assert_state_close(nopt, topt)
    # the state dict references the optimizer's own tensors, as torch's does
    first = next(iter(so["state"][0].values()))
    assert first is next(iter(nopt.state[npar[0]].values()))


@TORCH
def test_load_state_dict_casts_like_torch():
    results = []
    for lib in (torch, nt):
        p = lib.zeros(3, dtype=lib.float64, requires_grad=True)
        opt = lib.optim.Adam([p], lr=0.1)
        sd = {"state": {0: {"step": lib.tensor(4.0), "exp_avg": lib.ones(3), "exp_avg_sq": lib.ones(3)}},
              "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
        opt.load_state_dict(sd)
        results.append({k: str(v.dtype).split(".")[-1] for k, v in opt.state[p].items()})
        # a plain-number step becomes a tensor on loading
        sd["state"][0]["step"] = 3
        opt.load_state_dict(sd)
        assert isinstance(opt.state[p]["step"], lib.Tensor) and float(opt.state[p]["step"]) == 3.0
        results.append(str(opt.state[p]["step"].dtype).split(".")[-1])
        # fused groups keep the step in float32
        sd["param_groups"][0]["fused"] = True
        sd["state"][0]["step"] = lib.tensor(2.0, dtype=lib.float64)
        opt.load_state_dict(sd)
        results.append(str(opt.state[p]["step"].dtype).split(".")[-1])
    assert results[:3] == results[3:]
    assert results[0] == {"step": "float32", "exp_avg": "float64", "exp_avg_sq": "float64"}


@TORCH
def test_load_state_dict_shares_matching_tensors_like_torch():
    for lib in (torch, nt):
        p, q = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        a, b = lib.optim.SGD([p], lr=0.1, momentum=0.9), lib.optim.SGD([q], lr=0.1, momentum=0.9)
        p.grad = lib.ones(2)
        a.step()
        b.load_state_dict(a.state_dict())
        assert b.state[q]["momentum_buffer"] is a.state[p]["momentum_buffer"]
        assert b.param_groups[0] is not a.param_groups[0]


@TORCH
@pytest.mark.parametrize("bad", [
    {"state": {}, "param_groups": []},
    {"state": {}, "param_groups": [{"params": [0]}, {"params": [1]}]},
    {"state": {}, "param_groups": [{"params": [0, 1, 2, 3]}]},
])
def test_load_state_dict_errors(bad):
    errors = []
    for lib in (torch, nt):
        opt = lib.optim.SGD(make_params(lib, init_arrays()), lr=0.1)
        with pytest.raises(Exception) as info:
            opt.load_state_dict(copy.deepcopy(bad))
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


def test_state_dict_with_hooks_and_pickle():
    p = nt.zeros(2, requires_grad=True)
    opt = nt.optim.Adam([p], lr=0.1)
    calls = []
    opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load-pre"))
    h = opt.register_load_state_dict_post_hook(lambda o: calls.append("load-post"))
    p.grad = nt.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert sd["extra"] == 1 and calls == ["pre"]
    opt.load_state_dict(sd)
    assert calls == ["pre", "load-pre", "load-post"]
    h.remove()
    opt.load_state_dict(sd)
    assert calls[-1] == "load-pre"
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.param_groups[0]["lr"] == 0.1
    cp = clone.param_groups[0]["params"][0]
    np.testing.assert_array_equal(clone.state[cp]["exp_avg"].numpy(), opt.state[p]["exp_avg"].numpy())
    deep = copy.deepcopy(opt)
    assert deep.state_dict()["state"][0]["step"].item() == 1.0


# ---------------------------------------------------------------------------------------------- zero_grad, closure
def test_zero_grad():
    p, q = nt.ones(2, requires_grad=True), nt.ones(3, requires_grad=True)
    opt = nt.optim.SGD([p, q], lr=0.1)
    (p * 2).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and np.all(g.numpy() == 0) and q.grad is None
    opt.zero_grad()
    assert p.grad is None


@TORCH
def test_closure_returns_loss_under_enable_grad():
    X, Y = data()
    arrays = init_arrays()
    results = []
    for lib in (torch, nt):
        params = make_params(lib, arrays)
        opt = lib.optim.SGD(params, lr=0.05, momentum=0.9)

        def closure():
            opt.zero_grad()
            loss = loss_fn(lib, params, X, Y)
            loss.backward()
            return loss
        losses = []
        with lib.no_grad():
            for _ in range(5):
                losses.append(float(opt.step(closure)))
        results.append((params, losses))
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=RTOL)
    assert_params_close(results[1][0], results[0][0])
    assert nt.optim.SGD([nt.zeros(1, requires_grad=True)]).step() is None


# ---------------------------------------------------------------------------------------------- autograd interplay
def test_step_bumps_version_and_records_nothing():
    p = nt.ones(3, requires_grad=True)
    opt = nt.optim.Adam([p], lr=0.1)
    y = (p * p).sum()            # saves p for backward
    p.grad = nt.ones(3)
    v = p._version
    opt.step()
    assert p._version == v + 1
    assert p.grad_fn is None and p.is_leaf and p.requires_grad
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@TORCH
def test_step_pre_and_post_hooks():
    for lib in (torch, nt):
        p = lib.zeros(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=1.0)
        p.grad = lib.ones(2)
        calls = []
        h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", len(args))))
        opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt)))
        module = importlib.import_module(lib.__name__ + ".optim.optimizer")
        gh = module.register_optimizer_step_pre_hook(lambda o, a, k: calls.append("global"))
        try:
            opt.step()
        finally:
            gh.remove()
        h1.remove()
        opt.step()
        assert calls == ["global", ("pre", 1), ("post", True), ("post", True)], lib.__name__
        assert np_of(p).tolist() == [-2.0, -2.0]
        opt.register_step_pre_hook(lambda o, args, kwargs: 5)
        with pytest.raises(RuntimeError, match="must return None or a tuple of"):
            opt.step()


# ---------------------------------------------------------------------------------------------- defaults, repr
@TORCH
@pytest.mark.parametrize("name", ALL)
def test_defaults_and_repr_equal_torch(name):
    tp, npar = torch.zeros(2, requires_grad=True), nt.zeros(2, requires_grad=True)
    topt, nopt = getattr(torch.optim, name)([tp]), getattr(nt.optim, name)([npar])
    assert nopt.defaults == topt.defaults
    assert list(nopt.defaults) == list(topt.defaults)
    assert repr(nopt) == repr(topt)
    t2 = getattr(torch.optim, name)([{"params": [tp]}, {"params": [torch.ones(1, requires_grad=True)], "lr": 0.5}],
                                    lr=0.1)
    n2 = getattr(nt.optim, name)([{"params": [npar]}, {"params": [nt.ones(1, requires_grad=True)], "lr": 0.5}],
                                 lr=0.1)
    assert repr(n2) == repr(t2)


@TORCH
def test_repr_exact_sgd():
    opt = nt.optim.SGD([nt.zeros(1, requires_grad=True)], lr=0.1)
    assert repr(opt) == ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
                         "    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0\n    nesterov: False\n"
                         "    weight_decay: 0\n)")


@TORCH
def test_default_dtype_float64_steps():
    kinds = []
    for lib in (torch, nt):
        lib.set_default_dtype(lib.float64)
        try:
            p = lib.zeros(2, requires_grad=True)
            opt = lib.optim.Adam([p])
            p.grad = lib.ones(2)
            opt.step()
            kinds.append(str(opt.state[p]["step"].dtype).split(".")[-1])
        finally:
            lib.set_default_dtype(lib.float32)
    assert kinds == ["float64", "float64"]


# ---------------------------------------------------------------------------------------------- errors
def _call(lib, spec):
    """Build the optimizer described by ``spec(lib)`` and return (exception type, message)."""
    try:
        spec(lib)
    except Exception as e:  # noqa: BLE001 - the point is to compare whatever each library raises
        return type(e), str(e)
    return None, None


def _p(lib):
    return lib.zeros(2, requires_grad=True)


ERROR_SPECS = {
    "tensor-params": lambda L: L.optim.SGD(_p(L)),
    "empty": lambda L: L.optim.SGD([]),
    "non-leaf": lambda L: L.optim.SGD([_p(L) * 2]),
    "not-tensor": lambda L: L.optim.SGD([_p(L), 3]),
    "set-in-group": lambda L: L.optim.SGD([{"params": {_p(L)}}]),
    "duplicate-groups": lambda L: (lambda p: L.optim.SGD([{"params": [p]}, {"params": [p]}]))(_p(L)),
    "mixed-names": lambda L: L.optim.SGD([("a", _p(L)), _p(L)]),
    "names-and-not": lambda L: L.optim.SGD([{"params": [_p(L)]}, {"params": [("b", _p(L))]}]),
    "group-not-dict": lambda L: L.optim.SGD([{"params": [_p(L)]}, [_p(L)]]),
    "sgd-lr": lambda L: L.optim.SGD([_p(L)], lr=-1),
    "sgd-momentum": lambda L: L.optim.SGD([_p(L)], momentum=-0.5),
    "sgd-wd": lambda L: L.optim.SGD([_p(L)], weight_decay=-1),
    "sgd-nesterov": lambda L: L.optim.SGD([_p(L)], lr=0.1, nesterov=True),
    "sgd-nesterov-damp": lambda L: L.optim.SGD([_p(L)], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
    "sgd-lr-tensor": lambda L: L.optim.SGD([_p(L)], lr=L.tensor([0.1, 0.2])),
    "sgd-fused-foreach": lambda L: L.optim.SGD([_p(L)], fused=True, foreach=True),
    "adam-lr": lambda L: L.optim.Adam([_p(L)], lr=-0.1),
    "adam-eps": lambda L: L.optim.Adam([_p(L)], eps=-1.0),
    "adam-beta0": lambda L: L.optim.Adam([_p(L)], betas=(1.0, 0.9)),
    "adam-beta1": lambda L: L.optim.Adam([_p(L)], betas=(0.9, 1.0)),
    "adam-beta-int": lambda L: L.optim.Adam([_p(L)], betas=(0, 0.9)),
    "adam-beta-mixed": lambda L: L.optim.Adam([_p(L)], betas=(0.9, L.tensor(0.99))),
    "adam-beta-2el": lambda L: L.optim.Adam([_p(L)], betas=(L.tensor([0.9, 0.8]), L.tensor(0.99))),
    "adam-beta-foreach": lambda L: L.optim.Adam([_p(L)], betas=(L.tensor(0.9), L.tensor(0.99)), foreach=True),
    "adam-wd": lambda L: L.optim.Adam([_p(L)], weight_decay=-1e-2),
    "adam-lr-foreach": lambda L: L.optim.Adam([_p(L)], lr=L.tensor(0.1), foreach=True),
    "adam-fused-diff": lambda L: L.optim.Adam([_p(L)], fused=True, differentiable=True),
    "adamw-lr": lambda L: L.optim.AdamW([_p(L)], lr=-1.0),
    "adamw-fused-foreach": lambda L: L.optim.AdamW([_p(L)], fused=True, foreach=True),
    "rmsprop-lr": lambda L: L.optim.RMSprop([_p(L)], lr=-1.0),
    "rmsprop-eps": lambda L: L.optim.RMSprop([_p(L)], eps=-1.0),
    "rmsprop-momentum": lambda L: L.optim.RMSprop([_p(L)], momentum=-1.0),
    "rmsprop-wd": lambda L: L.optim.RMSprop([_p(L)], weight_decay=-1.0),
    "rmsprop-alpha": lambda L: L.optim.RMSprop([_p(L)], alpha=-1.0),
    "rmsprop-fused": lambda L: L.optim.RMSprop([_p(L)], fused=True),
    "adagrad-lr": lambda L: L.optim.Adagrad([_p(L)], lr=-1.0),
    "adagrad-lr-decay": lambda L: L.optim.Adagrad([_p(L)], lr_decay=-1.0),
    "adagrad-wd": lambda L: L.optim.Adagrad([_p(L)], weight_decay=-1.0),
    "adagrad-init": lambda L: L.optim.Adagrad([_p(L)], initial_accumulator_value=-1.0),
    "adagrad-eps": lambda L: L.optim.Adagrad([_p(L)], eps=-1.0),
    "adagrad-fused-foreach": lambda L: L.optim.Adagrad([_p(L)], fused=True, foreach=True),
    "adadelta-lr": lambda L: L.optim.Adadelta([_p(L)], lr=-1.0),
    "adadelta-rho": lambda L: L.optim.Adadelta([_p(L)], rho=1.5),
    "adadelta-eps": lambda L: L.optim.Adadelta([_p(L)], eps=-1.0),
    "adadelta-wd": lambda L: L.optim.Adadelta([_p(L)], weight_decay=-1.0),
    "adamax-beta1": lambda L: L.optim.Adamax([_p(L)], betas=(0.9, 1.5)),
    "adamax-eps": lambda L: L.optim.Adamax([_p(L)], eps=-1.0),
    "nadam-momentum-decay": lambda L: L.optim.NAdam([_p(L)], momentum_decay=-1.0),
    "nadam-beta0": lambda L: L.optim.NAdam([_p(L)], betas=(-0.1, 0.9)),
    "radam-wd": lambda L: L.optim.RAdam([_p(L)], weight_decay=-1.0),
    "radam-lr": lambda L: L.optim.RAdam([_p(L)], lr=-1.0),
    "add-group-not-dict": lambda L: L.optim.SGD([_p(L)]).add_param_group([_p(L)]),
    "add-group-set": lambda L: L.optim.SGD([_p(L)]).add_param_group({"params": {_p(L)}}),
}


@TORCH
@pytest.mark.parametrize("case", list(ERROR_SPECS))
def test_errors_match_torch(case):
    theirs = _call(torch, ERROR_SPECS[case])
    ours = _call(nt, ERROR_SPECS[case])
    assert theirs[0] is not None, "torch accepted it"
    assert ours[0] is theirs[0], f"{ours} vs torch {theirs}"
    assert ours[1].replace("numtorch", "torch") == theirs[1]


@TORCH
@pytest.mark.parametrize("name", ["Adam", "AdamW", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam"])
def test_capturable_raises_torch_cpu_error(name):
    errors = []
    for lib in (torch, nt):
        p = _p(lib)
        opt = getattr(lib.optim, name)([p], capturable=True)
        p.grad = lib.ones(2)
        with pytest.raises(AssertionError) as info:
            opt.step()
        errors.append(str(info.value))
        assert np_of(p).tolist() == [0.0, 0.0]
    assert errors[0] == errors[1]


@TORCH
def test_set_of_params_accepted_like_torch():
    # torch turns a top-level set into a list (only a set inside a group dict is refused)
    assert len(nt.optim.SGD({_p(nt)}).param_groups[0]["params"]) == 1
    assert len(torch.optim.SGD({_p(torch)}).param_groups[0]["params"]) == 1


def test_duplicate_parameter_warning():
    p = _p(nt)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nt.optim.SGD([p, p], lr=0.1)
    assert any("duplicate parameters" in str(x.message) for x in w)


def test_optim_importable_without_torch_names():
    import numtorch.optim as optim
    for name in ALL + ["Optimizer", "lr_scheduler"]:
        assert hasattr(optim, name)
    for name in ALL:
        assert "math::" in getattr(optim, name).__doc__


# ---------------------------------------------------------------------------------------------- end to end
@TORCH
def test_module_training_with_scheduler_matches_torch():
    """nn.Linear layers trained with AdamW and OneCycleLR stepped per batch, as a user would write it."""
    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((16, 5)), rng.standard_normal((16, 2))
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Linear(4, 2)).double()
    nmodel = nt.nn.Sequential(nt.nn.Linear(5, 4), nt.nn.Linear(4, 2)).double()
    nmodel.load_state_dict({k: nt.from_numpy(v.detach().numpy().copy()) for k, v in tmodel.state_dict().items()})
    runs = []
    for lib, model in ((torch, tmodel), (nt, nmodel)):
        opt = lib.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.05)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=16)
        x, y = lib.from_numpy(X), lib.from_numpy(Y)
        for i in range(16):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(model(x[i:i + 1]), y[i:i + 1])
            loss.backward()
            opt.step()
            sched.step()
        runs.append((model, opt, sched))
    (tm, topt, ts), (nm, nopt, ns) = runs
    assert ns.get_last_lr() == ts.get_last_lr()
    assert [g["betas"] for g in nopt.param_groups] == [g["betas"] for g in topt.param_groups]
    assert_params_close(list(nm.parameters()), list(tm.parameters()))
    assert_state_close(nopt, topt)
