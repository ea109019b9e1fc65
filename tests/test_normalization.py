"""Normalization layers against torch: BatchNorm, InstanceNorm, LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm,
their functional forms and ``normalize``."""
import copy
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import numtorch
import numtorch.nn.functional as nF
from helpers import F, assert_close, check_module, check_op, lib, to_nt, to_torch, torch

pytestmark = pytest.mark.torch

DTYPES = ["float32", "float64"]


def _randomize(module, seed=0):
    """Give a torch module non-trivial parameters and running statistics (copied into ours by check_module)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("bias"):
                p.copy_(torch.rand(p.shape, generator=gen) - 0.5)
            else:
                p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
        for name, b in module.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.rand(b.shape, generator=gen) - 0.5)
            elif name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=gen) + 0.5)
    return module


def _both(make, seed=0):
    """``make(lib)`` in both libraries, torch's randomized and copied into ours."""
    torch.manual_seed(seed)
    tm, nm = _randomize(make(torch), seed), make(numtorch)
    nm.load_state_dict({k: to_nt(v) for k, v in tm.state_dict().items()})
    return tm, nm


def _node(out):
    return None if out.grad_fn is None else out.grad_fn.name()


def _same_error(torch_call, our_call):
    """Both calls raise the same exception class with the same message (``torch.`` read as ``numtorch.``)."""
    with pytest.raises(Exception) as t_exc:
        torch_call()
    with pytest.raises(Exception) as n_exc:
        our_call()
    assert type(n_exc.value).__name__ == type(t_exc.value).__name__, (n_exc.value, t_exc.value)
    assert str(n_exc.value) == str(t_exc.value).replace("torch.", "numtorch."), (str(n_exc.value), str(t_exc.value))


# ---------------------------------------------------------------------- modules against torch
BATCHNORM = [
    ("BatchNorm1d", (3,), {}, (5, 3)),
    ("BatchNorm1d", (3,), {}, (4, 3, 6)),
    ("BatchNorm2d", (3,), {}, (4, 3, 5, 2)),
    ("BatchNorm3d", (2,), {}, (3, 2, 3, 2, 4)),
    ("BatchNorm2d", (3,), {"affine": False}, (4, 3, 5, 2)),
    ("BatchNorm2d", (3,), {"bias": False}, (4, 3, 5, 2)),
    ("BatchNorm2d", (3,), {"momentum": None}, (4, 3, 5, 2)),
    ("BatchNorm2d", (3,), {"momentum": 0.3, "eps": 1e-3}, (4, 3, 5, 2)),
    ("BatchNorm2d", (3,), {"track_running_stats": False}, (4, 3, 5, 2)),
    ("BatchNorm2d", (3,), {"track_running_stats": False, "affine": False}, (4, 3, 5, 2)),
    ("BatchNorm1d", (4,), {"momentum": None, "affine": False}, (2, 4)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,args,kwargs,shape", BATCHNORM)
def test_batchnorm_module(name, args, kwargs, shape, dtype):
    # Three training steps compare outputs, input/parameter gradients and the buffers after each step
    # (momentum and the cumulative average of momentum=None), then eval mode and the round trip into torch.
    tm, nm = _both(lambda L: getattr(L.nn, name)(*args, **kwargs))
    check_module(tm, nm, [shape], dtype=dtype, train_steps=3)
    if nm.num_batches_tracked is not None:
        assert nm.num_batches_tracked.dtype == numtorch.int64 and nm.num_batches_tracked.dim() == 0
        assert int(nm.num_batches_tracked) == int(tm.num_batches_tracked) == 3


INSTANCENORM = [
    ("InstanceNorm1d", (3,), {}, (4, 3, 6)),
    ("InstanceNorm1d", (3,), {"affine": True}, (3, 6)),                    # unbatched
    ("InstanceNorm2d", (3,), {"affine": True}, (2, 3, 4, 5)),
    ("InstanceNorm2d", (3,), {"affine": True, "bias": False}, (2, 3, 4, 5)),
    ("InstanceNorm2d", (3,), {"track_running_stats": True}, (2, 3, 4, 5)),
    ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}, (3, 4, 5)),   # unbatched
    ("InstanceNorm2d", (3,), {"track_running_stats": True, "momentum": None}, (2, 3, 4, 5)),
    ("InstanceNorm3d", (2,), {"affine": True, "track_running_stats": True, "momentum": 0.4}, (2, 2, 3, 2, 4)),
    ("InstanceNorm3d", (2,), {}, (2, 3, 2, 4)),                            # unbatched
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,args,kwargs,shape", INSTANCENORM)
def test_instancenorm_module(name, args, kwargs, shape, dtype):
    # With track_running_stats the running statistics move in training and normalize in eval mode.
    tm, nm = _both(lambda L: getattr(L.nn, name)(*args, **kwargs))
    check_module(tm, nm, [shape], dtype=dtype, train_steps=3)


LAYERNORM = [
    ((5,), {}, (4, 3, 5)),
    (5, {}, (7, 5)),
    ([3, 5], {}, (4, 3, 5)),
    ((3, 5), {"elementwise_affine": False}, (2, 4, 3, 5)),
    ((3, 5), {"bias": False, "eps": 1e-3}, (4, 3, 5)),
    ((6,), {}, (6,)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape_arg,kwargs,shape", LAYERNORM)
def test_layernorm_module(shape_arg, kwargs, shape, dtype):
    tm, nm = _both(lambda L: L.nn.LayerNorm(shape_arg, **kwargs))
    check_module(tm, nm, [shape], dtype=dtype)


GROUPNORM = [
    ((2, 4), {}, (3, 4, 5)),
    ((1, 4), {}, (3, 4, 2, 3)),
    ((4, 4), {}, (2, 4, 3)),
    ((2, 6), {"affine": False}, (2, 6, 2, 2)),
    ((3, 6), {"bias": False, "eps": 1e-3}, (2, 6, 5)),
    ((2, 4), {}, (3, 4)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("args,kwargs,shape", GROUPNORM)
def test_groupnorm_module(args, kwargs, shape, dtype):
    tm, nm = _both(lambda L: L.nn.GroupNorm(*args, **kwargs))
    check_module(tm, nm, [shape], dtype=dtype)


RMSNORM = [
    ((5,), {}, (4, 3, 5)),
    (5, {"eps": 1e-3}, (7, 5)),
    ([3, 5], {}, (4, 3, 5)),
    ((3, 5), {"elementwise_affine": False}, (2, 3, 5)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape_arg,kwargs,shape", RMSNORM)
def test_rmsnorm_module(shape_arg, kwargs, shape, dtype):
    tm, nm = _both(lambda L: L.nn.RMSNorm(shape_arg, **kwargs))
    check_module(tm, nm, [shape], dtype=dtype)


LRN = [((2,), {}, (2, 5, 6)), ((3,), {"alpha": 0.5, "beta": 0.8, "k": 1.5}, (2, 6, 5)),
       ((4,), {"alpha": 0.3}, (2, 6, 3, 2)), ((9,), {"alpha": 0.3}, (2, 4, 3)),
       ((1,), {"alpha": 0.7, "beta": 1.2}, (1, 3, 2, 2, 2))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("args,kwargs,shape", LRN)
def test_local_response_norm_module(args, kwargs, shape, dtype):
    tm, nm = _both(lambda L: L.nn.LocalResponseNorm(*args, **kwargs))
    check_module(tm, nm, [shape], dtype=dtype)


@pytest.mark.parametrize("make,shape", [
    (lambda L: L.nn.BatchNorm1d(3), (4, 3)),
    (lambda L: L.nn.BatchNorm1d(3, affine=False), (4, 3, 2)),
    (lambda L: L.nn.BatchNorm2d(3).eval(), (4, 3, 2, 2)),
    (lambda L: L.nn.InstanceNorm1d(3), (4, 3, 5)),
    (lambda L: L.nn.InstanceNorm1d(3, affine=True), (3, 5)),
    (lambda L: L.nn.InstanceNorm1d(3, track_running_stats=True).eval(), (4, 3, 5)),
    (lambda L: L.nn.InstanceNorm1d(3, track_running_stats=True).eval(), (3, 5)),
    (lambda L: L.nn.LayerNorm(5), (4, 5)),
    (lambda L: L.nn.LayerNorm(5, elementwise_affine=False), (4, 5)),
    (lambda L: L.nn.GroupNorm(1, 3), (4, 3, 5)),
    (lambda L: L.nn.RMSNorm(5), (4, 5)),
    (lambda L: L.nn.RMSNorm(5, elementwise_affine=False), (4, 5)),
    (lambda L: L.nn.LocalResponseNorm(2), (4, 3, 5)),
])
def test_grad_fn_names(make, shape):
    tm, nm = _both(make)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    assert _node(nm(to_nt(x, True))) == _node(tm(to_torch(x, True)))


@pytest.mark.parametrize("make,shape", [
    (lambda L: L.nn.BatchNorm2d(4), (6, 4, 5, 5)),
    (lambda L: L.nn.InstanceNorm2d(4, affine=True), (3, 4, 6, 6)),
    (lambda L: L.nn.LayerNorm(64), (8, 64)),
    (lambda L: L.nn.GroupNorm(2, 4), (3, 4, 6, 6)),
])
def test_variance_is_stable_far_from_zero(make, shape):
    # float32 data with mean 1e4 and spread 1: E[x^2] - E[x]^2 would lose every digit of the variance.
    tm, nm = _both(make)
    x = (1e4 + np.random.default_rng(1).standard_normal(shape)).astype(np.float32)
    ref = tm.double()(to_torch(x.astype(np.float64))).detach()
    out = nm(to_nt(x))
    assert out.dtype == numtorch.float32
    np.testing.assert_allclose(out.detach().numpy(), ref.numpy(), atol=2e-3, rtol=0)


# ---------------------------------------------------------------------- functional forms
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (3, 3, 2, 4)])
def test_batch_norm_functional(shape, affine, training):
    c = shape[1]

    def fn(x, w, b):
        L = lib(x)
        rm = L.linspace(-0.5, 0.5, c, dtype=x.dtype)
        rv = L.linspace(0.5, 1.5, c, dtype=x.dtype)
        return F(x).batch_norm(x, rm, rv, w if affine else None, b if affine else None, training, 0.2, 1e-4)

    check_op([shape, (c,), (c,)], fn, requires_grad=[True, affine, affine])


def test_batch_norm_functional_without_running_stats():
    check_op([(6, 4, 3), (4,), (4,)], lambda x, w, b: F(x).batch_norm(x, None, None, w, b, training=True))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.1, 0.0, 1.0, 0.37])
def test_batch_norm_functional_updates_buffers_in_place(momentum, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, 4)).astype(dtype) * 3 + 1
    rm0, rv0 = rng.standard_normal(3).astype(dtype), rng.uniform(0.5, 2, 3).astype(dtype)
    t_rm, t_rv, n_rm, n_rv = to_torch(rm0), to_torch(rv0), to_nt(rm0), to_nt(rv0)
    n_ptr, v0 = n_rm.data_ptr(), n_rm._version
    for _ in range(2):
        tF_out = torch.nn.functional.batch_norm(to_torch(x), t_rm, t_rv, training=True, momentum=momentum)
        n_out = nF.batch_norm(to_nt(x), n_rm, n_rv, training=True, momentum=momentum)
        assert_close(n_out, tF_out, 1e-6, 1e-5, "output")
    assert_close(n_rm, t_rm, 1e-6, 1e-5, "running_mean")
    assert_close(n_rv, t_rv, 1e-6, 1e-5, "running_var")
    assert n_rm.data_ptr() == n_ptr and n_rm._version > v0      # updated in place, version bumped
    # Evaluation neither reads the batch statistics nor touches the buffers.
    before = n_rm.numpy().copy()
    out = nF.batch_norm(to_nt(x), n_rm, n_rv, training=False)
    assert_close(out, torch.nn.functional.batch_norm(to_torch(x), t_rm, t_rv), 1e-6, 1e-5, "eval output")
    np.testing.assert_array_equal(n_rm.numpy(), before)


@pytest.mark.parametrize("use_input_stats", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm_functional(affine, use_input_stats):
    def fn(x, w, b):
        L = lib(x)
        rm = L.linspace(-0.5, 0.5, 3, dtype=x.dtype)
        rv = L.linspace(0.5, 1.5, 3, dtype=x.dtype)
        return F(x).instance_norm(x, rm, rv, w if affine else None, b if affine else None, use_input_stats,
                                  0.3, 1e-4)

    check_op([(2, 3, 5), (3,), (3,)], fn, requires_grad=[True, affine, affine])


def test_instance_norm_functional_updates_buffers():
    x = np.random.default_rng(0).standard_normal((4, 3, 7)).astype(np.float32) * 2 + 1
    t_rm, t_rv, n_rm, n_rv = torch.zeros(3), torch.ones(3), numtorch.zeros(3), numtorch.ones(3)
    torch.nn.functional.instance_norm(to_torch(x), t_rm, t_rv, momentum=0.25)
    nF.instance_norm(to_nt(x), n_rm, n_rv, momentum=0.25)
    assert_close(n_rm, t_rm, 1e-6, 1e-5, "running_mean")
    assert_close(n_rv, t_rv, 1e-6, 1e-5, "running_var")


@pytest.mark.parametrize("shape,ns", [((4, 5), [5]), ((2, 3, 4), (3, 4)), ((2, 3, 4), [2, 3, 4])])
def test_layer_norm_functional(shape, ns):
    k = tuple(shape[len(shape) - len(ns):])
    check_op([shape, k, k], lambda x, w, b: F(x).layer_norm(x, ns, w, b, 1e-3))
    check_op([shape], lambda x: F(x).layer_norm(x, ns))
    check_op([shape, k], lambda x, b: F(x).layer_norm(x, ns, None, b))
    check_op([shape, k], lambda x, w: F(x).layer_norm(x, ns, w))


@pytest.mark.parametrize("groups", [1, 2, 6])
def test_group_norm_functional(groups):
    check_op([(2, 6, 3, 2), (6,), (6,)], lambda x, w, b: F(x).group_norm(x, groups, w, b, 1e-4))
    check_op([(3, 6, 4)], lambda x: F(x).group_norm(x, groups))
    check_op([(3, 6, 4), (6,)], lambda x, w: F(x).group_norm(x, groups, w))


@pytest.mark.parametrize("eps", [None, 1e-2])
def test_rms_norm_functional(eps):
    check_op([(4, 3, 5), (3, 5)], lambda x, w: F(x).rms_norm(x, (3, 5), w, eps))
    check_op([(4, 5)], lambda x: F(x).rms_norm(x, [5], eps=eps))


def test_rms_norm_eps_none_is_machine_epsilon():
    # Tiny inputs: the result depends on eps, which must be finfo(dtype).eps of the input's dtype.
    for dtype, np_dtype in (("float32", np.float32), ("float64", np.float64)):
        x = (np.random.default_rng(0).standard_normal((3, 4)) * 1e-4).astype(np_dtype)
        out = nF.rms_norm(to_nt(x), [4])
        assert_close(out, torch.nn.functional.rms_norm(to_torch(x), [4]), 1e-6, 1e-5, dtype)


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32")])
def test_rms_norm_mixed_dtype_keeps_input_dtype(dtypes):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(dtypes[0])
    w = np.random.default_rng(1).uniform(0.5, 1.5, 4).astype(dtypes[1])
    tw, nw = to_torch(w, True), to_nt(w, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_out = torch.nn.functional.rms_norm(to_torch(x), [4], tw)
    with pytest.warns(UserWarning, match="Mismatch dtype between input and weight"):
        n_out = nF.rms_norm(to_nt(x), [4], nw)
    assert_close(n_out, t_out, 1e-6, 1e-5)
    t_out.sum().backward()
    n_out.sum().backward()
    assert_close(nw.grad, tw.grad, 1e-5, 1e-4)


@pytest.mark.parametrize("size,shape", [(2, (2, 5, 4)), (3, (2, 4, 3, 3)), (5, (1, 3, 2, 2, 2)), (1, (2, 3, 4))])
def test_local_response_norm_functional(size, shape):
    check_op([shape], lambda x: F(x).local_response_norm(x, size, alpha=0.6, beta=0.9, k=1.2))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf"), -float("inf")])
@pytest.mark.parametrize("dim", [1, 0, -1])
def test_normalize(p, dim):
    check_op([(3, 4, 2)], lambda x: F(x).normalize(x, p=p, dim=dim), kinks=(0.0,))


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 0.5, 3.0, float("inf")])
def test_normalize_zeros_and_ties(p):
    # A zero row and a row whose norm is below eps (the denominator is eps, no gradient through the norm),
    # zero entries (masked norm gradient) and tied maxima (inf-norm gradient shared), against torch.
    x = np.array([[1.0, -3.0, 3.0], [0.0, 0.0, 0.0], [0.0, 2.0, -0.5], [3e-7, -2e-7, 1e-7]])
    check_op(None, lambda a: F(a).normalize(a, p=p, eps=1e-6), inputs=[x], grad_check=False)


def test_normalize_0d_1d_and_out():
    check_op([(5,)], lambda x: F(x).normalize(x, dim=0))
    check_op([()], lambda x: F(x).normalize(x, dim=0), low=0.5, high=2)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    out = numtorch.empty(3, 4)
    res = nF.normalize(to_nt(x), out=out)
    assert res is out
    assert_close(out, torch.nn.functional.normalize(to_torch(x)), 1e-6, 1e-5)


# ---------------------------------------------------------------------- empty batches
@pytest.mark.parametrize("make,shape", [
    (lambda L: L.nn.BatchNorm1d(3), (0, 3)),
    (lambda L: L.nn.BatchNorm1d(3), (0, 3, 4)),
    (lambda L: L.nn.BatchNorm1d(3), (2, 3, 0)),
    (lambda L: L.nn.BatchNorm1d(3).eval(), (0, 3)),
    (lambda L: L.nn.InstanceNorm1d(3), (0, 3, 4)),
    (lambda L: L.nn.InstanceNorm1d(3, affine=True), (2, 3, 0)),
    (lambda L: L.nn.LayerNorm(4), (0, 4)),
    (lambda L: L.nn.GroupNorm(1, 3), (0, 3, 2)),
    (lambda L: L.nn.RMSNorm(4), (0, 4)),
])
def test_empty_batch(make, shape):
    tm, nm = _both(make)
    x = np.zeros(shape, np.float32)
    tx, nx = to_torch(x, True), to_nt(x, True)
    t_out, n_out = tm(tx), nm(nx)
    assert tuple(n_out.shape) == tuple(t_out.shape) and n_out.dtype == numtorch.float32
    assert _node(n_out) == _node(t_out)
    t_out.sum().backward()
    n_out.sum().backward()
    assert tuple(nx.grad.shape) == shape
    for (name, p), (_, tp) in zip(nm.named_parameters(), tm.named_parameters()):
        assert_close(p.grad, tp.grad, 0, 0, name)
    for (name, b), (_, tb) in zip(nm.named_buffers(), tm.named_buffers()):
        assert_close(b, tb, 0, 0, name)                         # empty batches leave the statistics alone


def test_empty_batch_errors_like_torch():
    _same_error(lambda: torch.nn.InstanceNorm1d(3, affine=True)(torch.zeros(0, 3, 4)),
                lambda: numtorch.nn.InstanceNorm1d(3, affine=True)(numtorch.zeros(0, 3, 4)))
    _same_error(lambda: torch.nn.LocalResponseNorm(2)(torch.zeros(0, 3)),
                lambda: numtorch.nn.LocalResponseNorm(2)(numtorch.zeros(0, 3)))
    x = numtorch.zeros(0, 3, 4)
    assert nF.local_response_norm(x, 2) is x                   # torch returns the input itself


# ---------------------------------------------------------------------- module state
def test_batchnorm_buffers_and_state_dict():
    m = numtorch.nn.BatchNorm2d(4)
    t = torch.nn.BatchNorm2d(4)
    assert list(m.state_dict()) == list(t.state_dict())
    assert m.num_batches_tracked.dtype == numtorch.int64 and m.num_batches_tracked.shape == ()
    m(numtorch.randn(3, 4, 2, 2))
    m(numtorch.randn(3, 4, 2, 2))
    sd = m.state_dict()
    assert int(sd["num_batches_tracked"]) == 2 and sd["num_batches_tracked"].dim() == 0
    t.load_state_dict({k: to_torch(v) for k, v in sd.items()})
    assert int(t.num_batches_tracked) == 2
    m2 = numtorch.nn.BatchNorm2d(4)
    m2.load_state_dict(sd)
    assert int(m2.num_batches_tracked) == 2
    np.testing.assert_array_equal(m2.running_var.numpy(), m.running_var.numpy())


def test_batchnorm_loads_checkpoints_without_num_batches_tracked():
    # A pre-version-2 checkpoint (no num_batches_tracked) loads; the module keeps its own count, as in torch.
    for make in (lambda L: L.nn.BatchNorm1d(3), lambda L: L.nn.Sequential(L.nn.BatchNorm1d(3))):
        m, t = make(numtorch), make(torch)
        for mod in (m, t):
            mod.train()
            for _ in range(2):
                mod(lib(next(iter(mod.parameters()))).randn(4, 3))
        prefix = "0." if isinstance(m, numtorch.nn.Sequential) else ""
        old = OrderedDict((k, v) for k, v in numtorch.nn.BatchNorm1d(3).state_dict().items()
                          if not k.endswith("num_batches_tracked"))
        old = OrderedDict((prefix + k, v) for k, v in old.items())
        old._metadata = OrderedDict({prefix[:-1]: {"version": 1}})
        told = OrderedDict((k, to_torch(v)) for k, v in old.items())
        told._metadata = copy.deepcopy(old._metadata)
        res, t_res = m.load_state_dict(old), t.load_state_dict(told)
        assert list(res.missing_keys) == list(t_res.missing_keys) == []
        bn, tbn = (m[0], t[0]) if prefix else (m, t)
        assert int(bn.num_batches_tracked) == int(tbn.num_batches_tracked) == 2
        plain = {k: v for k, v in old.items()}                   # no metadata at all: treated as old too
        m.load_state_dict(plain)
    # A version-2 checkpoint must have it.
    m = numtorch.nn.BatchNorm1d(3)
    sd = m.state_dict()
    del sd["num_batches_tracked"]
    t = torch.nn.BatchNorm1d(3)
    tsd = t.state_dict()
    del tsd["num_batches_tracked"]
    _same_error(lambda: t.load_state_dict(tsd), lambda: m.load_state_dict(sd))


def test_track_running_stats_false_has_no_buffers():
    m = numtorch.nn.BatchNorm1d(3, track_running_stats=False)
    assert m.running_mean is None and m.running_var is None and m.num_batches_tracked is None
    assert list(m.state_dict()) == ["weight", "bias"]
    m.eval()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    t = torch.nn.BatchNorm1d(3, track_running_stats=False).eval()
    assert_close(m(to_nt(x)), t(to_torch(x)), 1e-6, 1e-5, "eval uses batch statistics")


def test_reset_running_stats_and_parameters():
    m = numtorch.nn.BatchNorm1d(3)
    with numtorch.no_grad():
        m.weight.fill_(2.0)
        m.bias.fill_(1.0)
    m(numtorch.randn(4, 3) * 5 + 3)
    m.reset_running_stats()
    np.testing.assert_array_equal(m.running_mean.numpy(), np.zeros(3, np.float32))
    np.testing.assert_array_equal(m.running_var.numpy(), np.ones(3, np.float32))
    assert int(m.num_batches_tracked) == 0
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.full(3, 2, np.float32))
    m(numtorch.randn(4, 3) * 5 + 3)
    m.reset_parameters()
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(m.bias.detach().numpy(), np.zeros(3, np.float32))
    assert int(m.num_batches_tracked) == 0 and float(m.running_mean.abs().sum()) == 0


def test_factory_kwargs_and_reprs():
    m = numtorch.nn.BatchNorm2d(4, momentum=None, affine=False, track_running_stats=False, dtype=numtorch.float64)
    assert repr(m) == repr(torch.nn.BatchNorm2d(4, momentum=None, affine=False, track_running_stats=False))
    m = numtorch.nn.BatchNorm1d(3, dtype=numtorch.float64, device="cpu")
    assert m.weight.dtype == m.running_mean.dtype == numtorch.float64
    assert m.num_batches_tracked.dtype == numtorch.int64
    for make in (lambda L: L.nn.InstanceNorm1d(3, affine=True, bias=False),
                 lambda L: L.nn.LayerNorm(L.Size([2, 3])), lambda L: L.nn.LayerNorm([2, 3], bias=False),
                 lambda L: L.nn.GroupNorm(2, 4, affine=False), lambda L: L.nn.RMSNorm([2, 3], eps=1e-3),
                 lambda L: L.nn.RMSNorm(3), lambda L: L.nn.LocalResponseNorm(3, 1, 2, 3)):
        assert repr(make(numtorch)) == repr(make(torch))
        assert list(make(numtorch).state_dict()) == list(make(torch).state_dict())
    m = numtorch.nn.LayerNorm(4, dtype=numtorch.float64)
    assert m.weight.dtype == numtorch.float64


def test_instancenorm_warns_and_checks_num_features():
    x = np.random.default_rng(0).standard_normal((2, 5, 4)).astype(np.float32)
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        out = numtorch.nn.InstanceNorm1d(3)(to_nt(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(out, torch.nn.InstanceNorm1d(3)(to_torch(x)), 1e-6, 1e-5)
    _same_error(lambda: torch.nn.InstanceNorm1d(3, affine=True)(to_torch(x)),
                lambda: numtorch.nn.InstanceNorm1d(3, affine=True)(to_nt(x)))


def test_instancenorm_running_stats_in_eval():
    # Tracked statistics: updated in training (num_batches_tracked stays 0, as in torch), used in eval.
    tm, nm = _both(lambda L: L.nn.InstanceNorm2d(3, track_running_stats=True, affine=True))
    x = np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32) * 2 + 1
    for _ in range(3):
        tm(to_torch(x))
        nm(to_nt(x))
    for (name, b), (_, tb) in zip(nm.named_buffers(), tm.named_buffers()):
        assert_close(b, tb, 1e-6, 1e-5, name)
    assert int(nm.num_batches_tracked) == 0
    tm.eval()
    nm.eval()
    x2 = np.random.default_rng(1).standard_normal((2, 3, 3, 3)).astype(np.float32)
    assert_close(nm(to_nt(x2)), tm(to_torch(x2)), 1e-6, 1e-5, "eval with running statistics")


def test_instancenorm_rejects_pre_0_4_running_stats():
    sd = {"running_mean": numtorch.zeros(3), "running_var": numtorch.ones(3)}
    _same_error(lambda: torch.nn.InstanceNorm1d(3).load_state_dict({k: to_torch(v) for k, v in sd.items()}),
                lambda: numtorch.nn.InstanceNorm1d(3).load_state_dict(sd))


# ---------------------------------------------------------------------- a trained model
@pytest.mark.parametrize("momentum", [0.1, None])
def test_model_with_batchnorm_trained_then_evaluated(momentum):
    def make(L):
        return L.nn.Sequential(L.nn.Linear(6, 8), L.nn.BatchNorm1d(8, momentum=momentum), L.nn.ReLU(),
                               L.nn.Linear(8, 3))

    torch.manual_seed(0)
    tnet, nnet = make(torch), make(numtorch)
    nnet.load_state_dict({k: to_nt(v) for k, v in tnet.state_dict().items()})
    rng = np.random.default_rng(0)
    for step in range(5):
        x = rng.standard_normal((10, 6)).astype(np.float32) * 2 + 1
        y = rng.standard_normal((10, 3)).astype(np.float32)
        losses = []
        for L, net in ((torch, tnet), (numtorch, nnet)):
            out = net(L.from_numpy(x.copy()))
            loss = ((out - L.from_numpy(y.copy())) ** 2).mean()
            net.zero_grad()
            loss.backward()
            with L.no_grad():
                for p in net.parameters():
                    p -= 0.1 * p.grad                          # plain SGD, written by hand
            losses.append(loss.item())
        assert abs(losses[0] - losses[1]) < 1e-5 * max(1.0, abs(losses[0])), (step, losses)
    for (name, v), (_, tv) in zip(nnet.state_dict().items(), tnet.state_dict().items()):
        assert_close(v, tv, 1e-5, 1e-4, name)
    tnet.eval()
    nnet.eval()
    xe = rng.standard_normal((7, 6)).astype(np.float32)
    with torch.no_grad(), numtorch.no_grad():
        assert_close(nnet(to_nt(xe)), tnet(to_torch(xe)), 1e-5, 1e-4, "eval output after training")


def test_float32_stays_float32():
    # Forward and backward in float32 (the strict gradient-dtype check of the test run catches the rest).
    for make, shape in ((lambda L: L.nn.BatchNorm2d(3), (2, 3, 2, 2)), (lambda L: L.nn.LayerNorm(4), (3, 4)),
                        (lambda L: L.nn.GroupNorm(1, 3), (2, 3, 4)), (lambda L: L.nn.RMSNorm(4), (3, 4)),
                        (lambda L: L.nn.InstanceNorm1d(3, affine=True), (2, 3, 4)),
                        (lambda L: L.nn.LocalResponseNorm(2), (2, 3, 4))):
        m = make(numtorch)
        x = numtorch.randn(*shape, requires_grad=True)
        y = m(x)
        y.backward(numtorch.ones(*shape))
        assert y.dtype == x.grad.dtype == numtorch.float32
        assert all(p.grad.dtype == numtorch.float32 for p in m.parameters())


# ---------------------------------------------------------------------- errors, as torch raises them
ERRORS = [
    (lambda L: L.nn.BatchNorm1d(3)(L.randn(1, 3))),
    (lambda L: L.nn.BatchNorm1d(3)(L.randn(1, 3, 1))),
    (lambda L: L.nn.BatchNorm1d(3)(L.randn(2, 3, 4, 5))),
    (lambda L: L.nn.BatchNorm2d(3)(L.randn(2, 3, 4))),
    (lambda L: L.nn.BatchNorm3d(3)(L.randn(2, 3, 4))),
    (lambda L: L.nn.BatchNorm1d(3)(L.randn(4, 5))),
    (lambda L: L.nn.BatchNorm1d(3).eval()(L.randn(4, 5))),
    (lambda L: L.nn.BatchNorm1d(3)(L.zeros(4, 3, dtype=L.int64))),
    (lambda L: L.nn.BatchNorm1d(3)(L.randn(4, 3, dtype=L.float64))),
    (lambda L: L.nn.BatchNorm1d(3).double()(L.randn(4, 3))),
    (lambda L: L.nn.functional.batch_norm(L.randn(4, 3), None, None, training=False)),
    (lambda L: L.nn.functional.batch_norm(L.randn(4, 3), L.zeros(3), L.ones(3), training=True, eps=0.0)),
    (lambda L: L.nn.functional.batch_norm(L.randn(4, 3), L.zeros(3), L.ones(3), eps=-1.0)),
    (lambda L: L.nn.functional.batch_norm(L.randn(4, 3), L.zeros(4), L.ones(3), training=True)),
    (lambda L: L.nn.functional.batch_norm(L.randn(4, 3), L.zeros(3), L.ones(4), L.ones(5), training=True)),
    (lambda L: L.nn.functional.batch_norm(L.randn(4, 3), None, None, L.ones(4), training=True)),
    (lambda L: L.nn.functional.batch_norm(L.randn(4, 3), None, None, L.ones(3), L.ones(5), training=True)),
    (lambda L: L.nn.functional.batch_norm(L.randn(4, 3), L.zeros(3), None, training=True)),
    (lambda L: L.nn.functional.batch_norm(L.randn(4), None, None, training=True)),
    (lambda L: L.nn.functional.batch_norm(L.randn(4, 3), L.zeros(3), L.ones(3), momentum=None)),
    (lambda L: L.nn.GroupNorm(2, 3)),
    (lambda L: L.nn.GroupNorm(2, 4)(L.randn(2, 6, 3))),
    (lambda L: L.nn.GroupNorm(2, 4)(L.randn(4))),
    (lambda L: L.nn.functional.group_norm(L.randn(2, 6, 3), 4)),
    (lambda L: L.nn.functional.group_norm(L.randn(1, 2, 1), 2)),
    (lambda L: L.nn.functional.group_norm(L.randn(2, 4, 3), 2, L.ones(4), L.ones(3))),
    (lambda L: L.nn.functional.group_norm(L.randn(2, 4, 3), 2, None, L.ones(3))),
    (lambda L: L.nn.functional.group_norm(L.randn(2, 4, 3), 2, L.ones(3))),
    (lambda L: L.nn.functional.group_norm(L.randn(2, 4, 3), 2.0)),
    (lambda L: L.nn.functional.group_norm(L.zeros(2, 4, dtype=L.int64), 2)),
    (lambda L: L.nn.functional.group_norm(L.randn(2, 4, dtype=L.float64), 2, L.ones(4))),
    (lambda L: L.nn.LayerNorm(5)(L.randn(4, 3))),
    (lambda L: L.nn.LayerNorm([3, 5])(L.randn(5))),
    (lambda L: L.nn.functional.layer_norm(L.randn(4, 5), [5], L.ones(4))),
    (lambda L: L.nn.functional.layer_norm(L.randn(4, 5), [5], None, L.ones(4))),
    (lambda L: L.nn.functional.layer_norm(L.randn(4, 5), [])),
    (lambda L: L.nn.functional.layer_norm(L.randn(4, 5), 5)),
    (lambda L: L.nn.functional.layer_norm(L.zeros(4, 5, dtype=L.int64), [5])),
    (lambda L: L.nn.functional.layer_norm(L.randn(4, 5), [5], L.ones(5, dtype=L.float64))),
    (lambda L: L.nn.RMSNorm(5)(L.randn(4, 3))),
    (lambda L: L.nn.RMSNorm([3, 5])(L.randn(4, 3))),
    (lambda L: L.nn.functional.rms_norm(L.randn(4, 5), [5], L.ones(4))),
    (lambda L: L.nn.functional.rms_norm(L.randn(4, 5), [])),
    (lambda L: L.nn.functional.rms_norm(L.randn(4, 5), 5)),
    (lambda L: L.nn.functional.rms_norm(L.zeros(4, 5, dtype=L.int64), [5])),
    (lambda L: L.nn.InstanceNorm1d(3)(L.randn(4, 3, 1))),
    (lambda L: L.nn.InstanceNorm1d(3)(L.randn(4, 3, 6, 7))),
    (lambda L: L.nn.InstanceNorm2d(3)(L.randn(3, 6))),
    (lambda L: L.nn.InstanceNorm3d(3)(L.randn(3, 6))),
    (lambda L: L.nn.functional.instance_norm(L.randn(2, 4, 3), use_input_stats=False)),
    (lambda L: L.nn.functional.instance_norm(L.randn(2, 4)),),
    (lambda L: L.nn.functional.instance_norm(L.randn(2, 4, 3), L.zeros(4), L.ones(4), weight=L.ones(3))),
    (lambda L: L.nn.functional.instance_norm(L.randn(2, 4, 3), L.zeros(3), L.ones(4))),
    (lambda L: L.nn.functional.instance_norm(L.randn(2, 4, 3), momentum=None)),
    (lambda L: L.nn.functional.instance_norm(L.randn(2, 4, 3, dtype=L.float64), weight=L.ones(4))),
    (lambda L: L.nn.LocalResponseNorm(2)(L.randn(3, 6))),
    (lambda L: L.nn.functional.normalize(L.randn(3, 4), dim=2)),
    (lambda L: L.nn.functional.normalize(L.zeros(3, 4, dtype=L.int64))),
    (lambda L: L.nn.functional.normalize(L.randn(2, 3, requires_grad=True), out=L.empty(2, 3))),
]


@pytest.mark.parametrize("call", [e[0] if isinstance(e, tuple) else e for e in ERRORS])
def test_errors_match_torch(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_error(lambda: call(torch), lambda: call(numtorch))
