"""numtorch.optim.lr_scheduler against torch: learning-rate (and momentum) sequences, state dicts, warnings
and errors. The schedules are plain float arithmetic written in torch's order, so sequences must be equal."""
import math
import warnings

import pytest

import numtorch as nt
from helpers import torch

pytestmark = pytest.mark.torch


def make_opt(lib, name="SGD", lrs=(0.1, 0.05), **kw):
    """An optimizer with one parameter group per entry of ``lrs``."""
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    if name == "SGD":
        kw.setdefault("momentum", 0.9)
    return getattr(lib.optim, name)(groups, **kw)


def snapshot(opt):
    out = []
    for g in opt.param_groups:
        lr = g["lr"]
        out.append(float(lr) if not isinstance(lr, float) else lr)
        if "momentum" in g:
            out.append(g["momentum"])
        if "betas" in g:
            out.append(tuple(g["betas"]))
    return out


def lib_sched(lib):
    return lib.optim.lr_scheduler


def run(lib, build, steps, opt_name="SGD", opt_kw=None, lrs=(0.1, 0.05), metrics=None):
    """Build ``build(lr_scheduler_module, optimizer)`` and record the groups' rates after each step."""
    opt = make_opt(lib, opt_name, lrs, **(opt_kw or {}))
    sched = build(lib_sched(lib), opt)
    seq = [snapshot(opt)]
    for i in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        seq.append(snapshot(opt))
        seq.append(list(sched.get_last_lr()))
    return seq, sched, opt


CASES = {
    "StepLR": lambda L, o: L.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.87),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "CosineAnnealingLR-T1": lambda L, o: L.CosineAnnealingLR(o, T_max=1),
    "LambdaLR": lambda L, o: L.LambdaLR(o, lr_lambda=lambda e: 0.95 ** e),
    "LambdaLR-list": lambda L, o: L.LambdaLR(o, lr_lambda=[lambda e: 1 / (e + 1), lambda e: 0.9 ** e]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lr_lambda=lambda e: 0.93),
    "LinearLR": lambda L, o: L.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=4),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=8, power=2.0),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01),
    "CosineAnnealingWarmRestarts-1": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=4),
    "CyclicLR-triangular": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3),
    "CyclicLR-triangular2": lambda L, o: L.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3,
                                                    step_size_down=5, mode="triangular2"),
    "CyclicLR-exp_range": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range",
                                                  gamma=0.9, base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-scale_fn": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 0.5 ** x,
                                                 scale_mode="iterations", cycle_momentum=False),
    "OneCycleLR-cos": lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=40),
    "OneCycleLR-linear-3phase": lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 0.5], epochs=4, steps_per_epoch=10,
                                                          three_phase=True, anneal_strategy="linear"),
    "OneCycleLR-options": lambda L, o: L.OneCycleLR(o, max_lr=0.3, total_steps=40, pct_start=0.25,
                                                    div_factor=10.0, final_div_factor=100.0, base_momentum=0.8,
                                                    max_momentum=0.9),
    "OneCycleLR-nomomentum": lambda L, o: L.OneCycleLR(o, max_lr=0.3, total_steps=40, cycle_momentum=False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_sequence_matches_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # the normal loop (optimizer.step before scheduler.step) is silent
        ours = run(nt, CASES[case], 39)[0]
        theirs = run(torch, CASES[case], 39)[0]
    assert ours == theirs


@pytest.mark.parametrize("case", ["CyclicLR-triangular2", "OneCycleLR-cos", "OneCycleLR-linear-3phase"])
def test_cycle_momentum_adam_betas(case):
    ours = run(nt, CASES[case], 39, opt_name="Adam")[0]
    theirs = run(torch, CASES[case], 39, opt_name="Adam")[0]
    assert ours == theirs
    last_snapshot = ours[-2]
    assert isinstance(last_snapshot[1], tuple) and last_snapshot[1][1] == 0.999


def test_sequential_and_chained():
    def seq(L, o):
        return L.SequentialLR(o, [L.ConstantLR(o, factor=0.1, total_iters=2), L.ExponentialLR(o, 0.9),
                                  L.CosineAnnealingLR(o, T_max=4)], milestones=[3, 8])

    def chained(L, o):
        return L.ChainedScheduler([L.ConstantLR(o, factor=0.1, total_iters=3), L.ExponentialLR(o, 0.9),
                                   L.StepLR(o, 2, 0.5)])

    def nested(L, o):
        inner = L.ChainedScheduler([L.LinearLR(o, 0.5, total_iters=3), L.ExponentialLR(o, 0.95)])
        return L.SequentialLR(o, [inner, L.StepLR(o, 2)], milestones=[5])

    for build in (seq, chained, nested):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours, theirs = run(nt, build, 15)[0], run(torch, build, 15)[0]
        assert ours == theirs, build.__name__


METRICS = [1.0, 0.9, 0.95, 0.96, 0.97, 0.89, 0.9, 0.9, 0.9, 0.9, 0.95, 0.96, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 1.0, 1.1,
           1.2, 0.49999, 0.4, 0.41, 0.42, 0.43, 0.44, 0.45]


@pytest.mark.parametrize("kw", [
    dict(patience=2),
    dict(patience=1, cooldown=2, factor=0.5),
    dict(mode="max", patience=1, factor=0.5),
    dict(threshold_mode="abs", threshold=0.05, patience=1),
    dict(mode="max", threshold_mode="abs", threshold=0.01, patience=0, min_lr=[0.02, 0.001]),
    dict(patience=0, factor=0.5, min_lr=0.04, eps=1e-3),
])
def test_reduce_lr_on_plateau(kw):
    def build(L, o):
        return L.ReduceLROnPlateau(o, **kw)
    ours, s_ours, _ = run(nt, build, len(METRICS), metrics=METRICS)
    theirs, s_theirs, _ = run(torch, build, len(METRICS), metrics=METRICS)
    assert ours == theirs
    assert s_ours.state_dict() == s_theirs.state_dict()


@pytest.mark.parametrize("case", ["StepLR", "MultiStepLR", "CosineAnnealingLR", "LambdaLR", "LinearLR",
                                  "CosineAnnealingWarmRestarts", "CyclicLR-triangular2", "OneCycleLR-cos",
                                  "PolynomialLR"])
def test_state_dict_round_trips(case):
    build = CASES[case]
    full = run(torch, build, 30)[0]
    # numtorch: 12 steps, save, rebuild everything, load, 18 more steps
    for source in (nt, torch):
        opt = make_opt(source)
        sched = build(lib_sched(source), opt)
        for _ in range(12):
            opt.step()
            sched.step()
        sd = sched.state_dict()
        if source is nt:
            ref = make_opt(torch)
            ref_sched = build(lib_sched(torch), ref)
            for _ in range(12):
                ref.step()
                ref_sched.step()
            assert sd == ref_sched.state_dict()           # the same attributes as torch's
        opt_sd = opt.state_dict()
        opt2 = make_opt(nt, lrs=(9.0, 9.0))
        sched2 = build(lib_sched(nt), opt2)
        sched2.load_state_dict(dict(sd))
        opt2.load_state_dict({"state": {}, "param_groups": [dict(g) for g in opt_sd["param_groups"]]})
        seq = []
        for _ in range(18):
            opt2.step()
            sched2.step()
            seq.append(snapshot(opt2))
            seq.append(list(sched2.get_last_lr()))
        assert seq == full[-36:], source.__name__


def test_reduce_lr_on_plateau_state_dict():
    opt = make_opt(nt)
    s = nt.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=1)
    for m in METRICS[:6]:
        s.step(m)
    sd = s.state_dict()
    s2 = nt.optim.lr_scheduler.ReduceLROnPlateau(make_opt(nt))
    s2.load_state_dict(sd)
    assert s2.mode == "max" and s2.best == s.best and s2.num_bad_epochs == s.num_bad_epochs
    assert s2._is_better(10.0, 1.0)


def test_lambda_state_dict_keeps_callable_objects():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate ** epoch

    for lib in (nt, torch):
        s = lib.optim.lr_scheduler.LambdaLR(make_opt(lib), [Decay(0.5), lambda e: 1.0])
        sd = s.state_dict()
        assert sd["lr_lambdas"] == [{"rate": 0.5}, None]
        s2 = lib.optim.lr_scheduler.LambdaLR(make_opt(lib), [Decay(0.9), lambda e: 1.0])
        s2.load_state_dict(sd)
        assert s2.lr_lambdas[0].rate == 0.5


# ---------------------------------------------------------------------------------------------- epoch argument
@pytest.mark.parametrize("case", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
                                  "ConstantLR", "PolynomialLR", "LambdaLR"])
def test_step_with_epoch_uses_closed_form(case):
    seqs = []
    for lib in (nt, torch):
        opt = make_opt(lib)
        sched = CASES[case](lib_sched(lib), opt)
        out = []
        for epoch in [1, 2, 5, 3, 7, 12]:
            opt.step()
            with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
                sched.step(epoch)
            out.append(sched.get_last_lr())
        seqs.append(out)
    assert seqs[0] == seqs[1]


def test_warm_restarts_fractional_epochs():
    seqs = []
    for lib in (nt, torch):
        opt = make_opt(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3, eta_min=0.001)
        out = []
        for epoch in range(12):
            for i in range(4):
                opt.step()
                sched.step(epoch + i / 4)
                out.append(sched.get_last_lr())
        seqs.append(out)
    assert seqs[0] == seqs[1]


# ---------------------------------------------------------------------------------------------- warnings
def test_warns_when_scheduler_steps_before_optimizer():
    for lib in (nt, torch):
        opt = make_opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
            sched.step()


def test_warns_when_optimizer_step_overridden():
    for lib in (nt, torch):
        opt = make_opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        opt.step = lambda closure=None: None
        with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been overridden"):
            sched.step()


def test_get_lr_outside_step_warns():
    for lib in (nt, torch):
        sched = lib.optim.lr_scheduler.ExponentialLR(make_opt(lib), 0.5)
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            sched.get_lr()


def test_initial_lr_and_base_lrs():
    for lib in (nt, torch):
        opt = make_opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
        assert sched.base_lrs == [0.1, 0.05] and sched.last_epoch == 0 and sched._step_count == 1
        assert sched.get_last_lr() == [0.1, 0.05]
    assert issubclass(nt.optim.lr_scheduler.ReduceLROnPlateau, nt.optim.lr_scheduler.LRScheduler)


def test_resume_with_last_epoch():
    seqs = []
    for lib in (nt, torch):
        opt = make_opt(lib)
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, last_epoch=4)
        out = [sched.get_last_lr()]
        for _ in range(5):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
        seqs.append(out)
    assert seqs[0] == seqs[1]


def test_tensor_lr_is_filled_in_place():
    seqs = []
    for lib in (nt, torch):
        p = lib.zeros(2, requires_grad=True)
        lr = lib.tensor(0.1, dtype=lib.float64)
        opt = lib.optim.SGD([p], lr=lr)
        sched = lib.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        for _ in range(3):
            opt.step()
            sched.step()
        assert opt.param_groups[0]["lr"] is lr
        seqs.append([float(lr), float(sched.get_last_lr()[0]), float(sched.base_lrs[0])])
    assert seqs[0] == seqs[1]


# ---------------------------------------------------------------------------------------------- errors
def _lib_of(L):
    return nt if L is nt.optim.lr_scheduler else torch


def _step_n(sched, n):
    for _ in range(n):
        sched.step()


def _err(lib, fn):
    try:
        fn(lib_sched(lib), make_opt(lib))
    except Exception as e:  # noqa: BLE001 - comparing whatever each library raises
        return type(e), str(e)
    return None, None


ERRORS = {
    "not-optimizer": lambda L, o: L.StepLR("sgd", 2),
    "resume-no-initial": lambda L, o: L.StepLR(o, 2, last_epoch=3),
    "lambda-count": lambda L, o: L.LambdaLR(o, [lambda e: 1.0]),
    "multiplicative-not-callable": lambda L, o: L.MultiplicativeLR(o, [1.0, 2.0]),
    "constant-factor": lambda L, o: L.ConstantLR(o, factor=1.5),
    "linear-start": lambda L, o: L.LinearLR(o, start_factor=0.0),
    "linear-end": lambda L, o: L.LinearLR(o, end_factor=1.5),
    "sequential-empty": lambda L, o: L.SequentialLR(o, [], []),
    "sequential-milestones": lambda L, o: L.SequentialLR(o, [L.StepLR(o, 2), L.StepLR(o, 3)], [1, 2]),
    "sequential-plateau": lambda L, o: L.SequentialLR(o, [L.ReduceLROnPlateau(o)], []),
    "sequential-no-optimizer": lambda L, o: L.SequentialLR(o, [object()], []),
    "sequential-other-optimizer": lambda L, o: L.SequentialLR(o, [L.StepLR(make_opt(_lib_of(L)), 2)], []),
    "chained-empty": lambda L, o: L.ChainedScheduler([]),
    "chained-plateau": lambda L, o: L.ChainedScheduler([L.StepLR(o, 2), L.ReduceLROnPlateau(o)]),
    "plateau-factor": lambda L, o: L.ReduceLROnPlateau(o, factor=1.0),
    "plateau-mode": lambda L, o: L.ReduceLROnPlateau(o, mode="up"),
    "plateau-threshold-mode": lambda L, o: L.ReduceLROnPlateau(o, threshold_mode="pct"),
    "plateau-min-lrs": lambda L, o: L.ReduceLROnPlateau(o, min_lr=[0.1]),
    "plateau-not-optimizer": lambda L, o: L.ReduceLROnPlateau(None),
    "cyclic-mode": lambda L, o: L.CyclicLR(o, 0.01, 0.1, mode="square"),
    "cyclic-base-lr-count": lambda L, o: L.CyclicLR(o, [0.01], 0.1),
    "cyclic-no-momentum": lambda L, o: L.CyclicLR(make_opt(_lib_of(L), "Adagrad"), 0.01, 0.1),
    "warm-T0": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=0),
    "warm-Tmult": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    "warm-eta-min": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"),
    "warm-negative-epoch": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
    "onecycle-total": lambda L, o: L.OneCycleLR(o, 0.1, total_steps=0),
    "onecycle-missing": lambda L, o: L.OneCycleLR(o, 0.1),
    "onecycle-epochs": lambda L, o: L.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3),
    "onecycle-steps-per-epoch": lambda L, o: L.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=1.5),
    "onecycle-pct": lambda L, o: L.OneCycleLR(o, 0.1, total_steps=10, pct_start=1.5),
    "onecycle-anneal": lambda L, o: L.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="cubic"),
    "onecycle-max-momentum-count": lambda L, o: L.OneCycleLR(o, 0.1, total_steps=10, max_momentum=[0.9],
                                                             base_momentum=[0.8]),
    "onecycle-too-many-steps": lambda L, o: _step_n(L.OneCycleLR(o, 0.1, total_steps=3), 4),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_match_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _err(torch, ERRORS[case])
        ours = _err(nt, ERRORS[case])
    assert theirs[0] is not None, "torch accepted it"
    assert ours[0] is theirs[0], f"{ours} vs torch {theirs}"
    if case.endswith("other-optimizer"):      # the message prints the optimizer's repr, the same text
        assert ours[1].split(" has ")[0] == theirs[1].split(" has ")[0]
    else:
        assert ours[1] == theirs[1]


def test_onecycle_step_count_error_message():
    opt = make_opt(nt)
    sched = nt.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        sched.step()


def test_docstrings_state_formulas():
    L = nt.optim.lr_scheduler
    for name in L.__all__:
        doc = getattr(L, name).__doc__
        assert doc and "math::" in doc, name
    assert math.isclose(L.OneCycleLR._annealing_cos(1.0, 0.0, 0.5), 0.5)
