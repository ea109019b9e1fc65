"""Fuzzing optimizers and data loading against torch: one to three optimizer steps on random parameters and
gradients (every optimizer, drawn hyperparameters, parameter groups, missing gradients), and ``default_collate`` /
``DataLoader`` on drawn sample structures. Parameters, optimizer state_dicts and collated batches must match, or
both libraries must raise the same exception class."""
import pytest
from hypothesis import given

import numtorch
from fuzz_strategies import (Disagreement, collate_cases, compare_tree, dataloader_cases, fuzz_settings, make_array,
                             optimizer_cases, run_case, same_error, tol_for)
from helpers import torch

pytestmark = pytest.mark.torch


def _both(run, verb):
    """``run(torch)`` and ``run(numtorch)`` as ``(ours, theirs)``; None when torch raises and numtorch raises the
    same exception class; a Disagreement when only numtorch raises."""
    try:
        theirs = run(torch)
    except Exception as t_exc:
        same_error(t_exc, lambda: run(numtorch))
        return None
    try:
        return run(numtorch), theirs
    except Exception as n_exc:
        raise Disagreement(f"torch {verb}, numtorch raises {type(n_exc).__name__}: {n_exc}") from n_exc


# ---------------------------------------------------------------------- optimizers
def _optimizer_run(L, case, params, grads):
    ps = [L.nn.Parameter(L.from_numpy(a.copy())) for a in params]
    if case["groups"] == 2:
        groups = [{"params": ps[:1]}, {"params": ps[1:], "lr": case["lr2"]}]
    else:
        groups = ps
    opt = getattr(L.optim, case["name"])(groups, **case["kw"])
    for step_grads in grads:
        for p, g in zip(ps, step_grads):
            p.grad = None if g is None else L.from_numpy(g.copy())
        opt.step()
    return ps, opt.state_dict()


def check_optimizer(case):
    dtype, seed = case["dtype"], case["seed"]
    params = [make_array(s, dtype, seed + i) for i, s in enumerate(case["shapes"])]
    grads = [[None if skip else make_array(s, dtype, seed + 100 * (k + 1) + i)
              for i, (s, skip) in enumerate(zip(case["shapes"], case["no_grad"]))] for k in range(case["steps"])]
    both = _both(lambda L: _optimizer_run(L, case, params, grads), "steps")
    if both is None:
        return
    (n_ps, n_state), (t_ps, t_state) = both
    tol = tol_for(dtype)
    compare_tree([p.detach() for p in n_ps], [p.detach() for p in t_ps], tol, "parameters after the steps")
    compare_tree(n_state, t_state, tol, "optimizer state_dict")


@fuzz_settings(2)
@given(case=optimizer_cases())
def test_fuzz_optimizer(case):
    run_case(check_optimizer, case)


# ---------------------------------------------------------------------- default_collate and DataLoader
def _leaves(structure):
    if "leaf" in structure:
        return [structure]
    return [leaf for item in structure["items"] for leaf in _leaves(item)]


def _build(L, structure, seed, sample, bump):
    """One sample of ``structure`` for library ``L``; ``bump`` changes its first tensor/array or sequence."""
    counter = [0]

    def go(node, top):
        if "leaf" in node:
            counter[0] += 1
            k, shape, dtype = node["leaf"], tuple(node["shape"]), node["dtype"]
            if bump and counter[0] == 1 and k in ("tensor", "ndarray"):
                shape = shape + (2,)
            a = make_array(shape, dtype, seed + 1000 * sample + counter[0])
            if k == "tensor":
                return L.from_numpy(a)
            if k == "ndarray":
                return a
            if k == "int":
                return int(seed % 7 + sample)
            if k == "float":
                return float(sample) / 3
            if k == "bool":
                return bool((seed + sample) % 2)
            return f"s{sample}"
        items = [go(item, False) for item in node["items"]]
        if bump and top and node["node"] != "dict":
            items = items + items[:1]   # one sample has a longer sequence
        if node["node"] == "dict":
            return {f"k{i}": v for i, v in enumerate(items)}
        return tuple(items) if node["node"] == "tuple" else items
    return go(structure, True)


def check_collate(case):
    s, seed = case["structure"], case["seed"]
    bump_at = case["batch"] - 1 if case["mismatch"] else -1

    def collate(L):
        batch = [_build(L, s, seed, i, i == bump_at) for i in range(case["batch"])]
        return L.utils.data.default_collate(batch)
    both = _both(collate, "collates")
    if both is not None:
        compare_tree(*both, (0.0, 0.0), "collated batch")


@fuzz_settings(2)
@given(case=collate_cases())
def test_fuzz_collate(case):
    run_case(check_collate, case)


def check_dataloader(case):
    arrays = [make_array((case["n"],) + tuple(s), case["dtype"], case["seed"] + i)
              for i, s in enumerate(case["shapes"])]

    def batches(L):
        ds = L.utils.data.TensorDataset(*[L.from_numpy(a.copy()) for a in arrays])
        return list(L.utils.data.DataLoader(ds, batch_size=case["batch_size"], drop_last=case["drop_last"]))
    both = _both(batches, "loads")
    if both is not None:
        compare_tree(*both, (0.0, 0.0), "batches")


@fuzz_settings(1)
@given(case=dataloader_cases())
def test_fuzz_dataloader(case):
    run_case(check_dataloader, case)
