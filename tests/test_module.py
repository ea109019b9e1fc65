"""nn.Module's contract, containers and nn.init, against torch."""
import copy
import math
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import numtorch as nt
from numtorch import nn
from helpers import torch, to_nt, to_torch

TORCH = pytest.mark.torch


def build(lib):
    """The same small model in either library, written once."""
    class Block(lib.nn.Module):
        def __init__(self, n):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.ones(n, n) * 0.5)
            self.bias = lib.nn.Parameter(lib.zeros(n))
            self.register_buffer("running", lib.zeros(n))
            self.register_buffer("scratch", lib.ones(1), persistent=False)
            self.register_buffer("count", lib.tensor(0, dtype=lib.long))

        def forward(self, x):
            return x @ self.weight + self.bias

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.first = Block(3)
            self.body = lib.nn.Sequential(Block(3), Block(3))
            self.heads = lib.nn.ModuleList([Block(3), Block(3)])
            self.table = lib.nn.ModuleDict(OrderedDict(a=Block(3)))
            self.shared = self.first
            self.scale = lib.nn.Parameter(lib.tensor(2.0))
            self.empty = None

        def forward(self, x):
            x = self.body(self.first(x))
            for h in self.heads:
                x = h(x)
            return self.table["a"](x) * self.scale

    return Net()


@TORCH
def test_names_and_order_match_torch():
    ours, theirs = build(nt), build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in theirs.named_parameters(remove_duplicate=False)]
    assert [n for n, _ in ours.named_modules(prefix="root", remove_duplicate=False)] == \
        [n for n, _ in theirs.named_modules(prefix="root", remove_duplicate=False)]
    assert dict(ours.state_dict()._metadata) == dict(theirs.state_dict()._metadata)
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert len(list(ours.parameters(recurse=False))) == 1


@TORCH
def test_repr_matches_torch():
    assert repr(build(nt)) == repr(build(torch))
    for make in (lambda lib: lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2, 3)), lib.nn.Parameter(lib.ones(4))]),
                 lambda lib: lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2, 3))]),
                 lambda lib: lib.nn.ParameterDict({"b": lib.nn.Parameter(lib.ones(2)), "a": lib.ones(1, 1)}),
                 lambda lib: lib.nn.ModuleList([]),
                 lambda lib: lib.nn.Sequential()):
        assert repr(make(nt)) == repr(make(torch)).replace("torch.", "numtorch.")


@TORCH
def test_state_dict_roundtrip_with_torch_and_0d_buffers():
    ours, theirs = build(nt), build(torch)
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-1, 1)
        theirs.first.count.fill_(7)
    missing = ours.load_state_dict({k: to_nt(v) for k, v in theirs.state_dict().items()})
    assert repr(missing) == "<All keys matched successfully>"
    assert ours.first.count.item() == 7 and ours.first.count.shape == ()
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(to_nt(x)).detach().numpy(), theirs(to_torch(x)).detach().numpy(), rtol=1e-5)
    back = build(torch)
    back.load_state_dict({k: to_torch(v) for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(back(to_torch(x)).detach().numpy(), theirs(to_torch(x)).detach().numpy())


@TORCH
def test_load_state_dict_errors_match_torch():
    def bad(lib, to):
        src = build(lib).state_dict()
        sd = OrderedDict((k, to(v.detach().numpy())) for k, v in src.items())
        del sd["first.bias"]
        sd["extra.weight"] = to(np.ones(1, np.float32))
        sd["body.0.weight"] = to(np.ones((4, 3), np.float32))
        return sd

    with pytest.raises(RuntimeError) as ours:
        build(nt).load_state_dict(bad(nt, to_nt))
    with pytest.raises(RuntimeError) as theirs:
        build(torch).load_state_dict(bad(torch, to_torch))
    assert str(ours.value) == str(theirs.value).replace("torch.Size", "numtorch.Size")
    res_ours = build(nt).load_state_dict({k: v for k, v in bad(nt, to_nt).items() if k != "body.0.weight"},
                                         strict=False)
    res_theirs = build(torch).load_state_dict({k: v for k, v in bad(torch, to_torch).items()
                                               if k != "body.0.weight"}, strict=False)
    assert res_ours.missing_keys == res_theirs.missing_keys
    assert res_ours.unexpected_keys == res_theirs.unexpected_keys


@TORCH
@pytest.mark.parametrize("action", [
    lambda lib, m: setattr(m, "first", 3),
    lambda lib, m: setattr(m, "scale", lib.ones(2)),
    lambda lib, m: m.register_buffer("a.b", lib.ones(1)),
    lambda lib, m: m.register_buffer("first", lib.ones(1)),
    lambda lib, m: m.register_buffer("x", 3),
    lambda lib, m: m.register_parameter("p", lib.ones(2)),
    lambda lib, m: m.add_module("x", 3),
    lambda lib, m: m.nothing_here,
    lambda lib, m: m.train("yes"),
    lambda lib, m: m.get_submodule("body.7"),
    lambda lib, m: m.body[5],
    lambda lib, m: m.forward_missing(),
])
def test_registration_errors_match_torch(action):
    with pytest.raises(Exception) as ours:
        action(nt, build(nt))
    with pytest.raises(Exception) as theirs:
        action(torch, build(torch))
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value).replace("numtorch", "torch") == str(theirs.value) or \
        str(ours.value).split(" ")[:3] == str(theirs.value).split(" ")[:3]


def test_missing_forward():
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(1)


def test_train_eval_zero_grad_apply_requires_grad():
    m = build(nt)
    assert m.training and m.body[0].training
    m.eval()
    assert not m.training and not m.heads[1].training
    m.train()
    out = m(nt.ones(1, 3)).sum()
    out.backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(not p.grad.numpy().any() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net" and seen.count("Block") == 6  # the shared block is visited once
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_double_and_back():
    m = build(nt).double()
    assert all(p.dtype is nt.float64 for p in m.parameters())
    assert m.first.count.dtype is nt.int64  # integer buffers keep their dtype
    m.to(nt.float32)
    assert all(p.dtype is nt.float32 for p in m.parameters())
    assert isinstance(m.first.weight, nn.Parameter)


def test_hooks():
    m = build(nt)
    calls = []
    h1 = m.first.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.first.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    y = m.first(nt.ones(2, 3))
    assert calls == [(2, 3)] and y.tolist() == [[1.0] * 3] * 2
    h1.remove()
    h2.remove()
    assert m.first(nt.ones(1, 3)).tolist() == [[1.5] * 3]


def test_deepcopy_and_pickle():
    m = build(nt)
    m2 = copy.deepcopy(m)
    assert m2.shared is m2.first  # sharing is preserved
    m2.first.weight.detach().numpy()[0, 0] = 100
    assert m.first.weight.detach().numpy()[0, 0] == 0.5
    sd = pickle.loads(pickle.dumps(m.state_dict()))
    assert list(sd) == list(m.state_dict())


@TORCH
def test_sequential_api_matches_torch():
    def ops(lib):
        mk = lambda: lib.nn.Module()  # noqa: E731
        s = lib.nn.Sequential(mk(), mk(), mk())
        out = [len(s), type(s[1:]).__name__, len(s[-2:])]
        s.append(mk())
        s.insert(1, lib.nn.Sequential())
        del s[0]
        out.append(list(s._modules.keys()))
        s.extend(lib.nn.Sequential(mk()))
        s.pop(0)
        out.append(list(s._modules.keys()))
        od = lib.nn.Sequential(OrderedDict([("a", mk()), ("b", mk())]))
        out.append([n for n, _ in od.named_children()])
        out.append(repr(od[0:1]))
        ml = lib.nn.ModuleList([mk(), mk()])
        ml.insert(0, lib.nn.Sequential())
        ml += [mk()]
        del ml[1]
        out.append(repr(ml))
        return out
    assert ops(nt) == ops(torch)


def test_parameter_list_dict_register():
    m = nn.Module()
    m.pl = nn.ParameterList([nt.ones(2), nn.Parameter(nt.zeros(3))])
    m.pd = nn.ParameterDict({"w": nt.ones(1)})
    assert [n for n, _ in m.named_parameters()] == ["pl.0", "pl.1", "pd.w"]
    assert isinstance(m.pl[0], nn.Parameter) and len(m.pl) == 2 and "w" in m.pd


# ---------------------------------------------------------------------- init
@pytest.mark.parametrize("name,args,expect", [
    ("uniform_", (-0.5, 0.5), lambda a: a.min() >= -0.5 and a.max() < 0.5),
    ("normal_", (0.0, 0.02), lambda a: abs(a.std() - 0.02) < 0.003),
    ("constant_", (0.3,), lambda a: np.all(a == np.float32(0.3))),
    ("zeros_", (), lambda a: not a.any()),
    ("ones_", (), lambda a: np.all(a == 1)),
    ("xavier_uniform_", (), lambda a: np.abs(a).max() <= math.sqrt(6 / (200 + 100)) + 1e-7),
    ("xavier_normal_", (), lambda a: abs(a.std() - math.sqrt(2 / 300)) < 0.01),
    ("kaiming_uniform_", (math.sqrt(5),), lambda a: np.abs(a).max() <= 1 / math.sqrt(100) + 1e-7),
    ("kaiming_normal_", (0, "fan_out", "relu"), lambda a: abs(a.std() - math.sqrt(2 / 200)) < 0.01),
    ("trunc_normal_", (0.0, 1.0, -0.5, 0.5), lambda a: a.min() >= -0.5 and a.max() <= 0.5),
    ("orthogonal_", (), lambda a: np.allclose(a.T @ a, np.eye(100), atol=1e-5)),
    ("eye_", (), lambda a: np.all(a[:100] == np.eye(200, 100)[:100])),
])
def test_init_distributions(name, args, expect):
    w = nt.empty(200, 100, requires_grad=True)
    out = getattr(nn.init, name)(w, *args)
    assert out is w and w.requires_grad and w.is_leaf and w.dtype is nt.float32
    assert expect(w.detach().numpy().astype(np.float64))


@TORCH
@pytest.mark.parametrize("nl,param", [("linear", None), ("relu", None), ("tanh", None), ("leaky_relu", None),
                                      ("leaky_relu", 0.2), ("selu", None), ("sigmoid", None), ("conv2d", None)])
def test_calculate_gain_matches_torch(nl, param):
    assert nn.init.calculate_gain(nl, param) == torch.nn.init.calculate_gain(nl, param)


def test_clip_grad_norm():
    p = nn.Parameter(nt.ones(4))
    q = nn.Parameter(nt.ones(4))
    (p * 3 + q * 4).sum().backward()
    total = nn.utils.clip_grad_norm_([p, q], 1.0)
    assert abs(total.item() - 10.0) < 1e-5
    g = np.concatenate([p.grad.numpy(), q.grad.numpy()])
    assert abs(np.linalg.norm(g) - 1.0) < 1e-4
