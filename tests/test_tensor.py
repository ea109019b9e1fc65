"""Tensor basics, dtypes and promotion, creation, RNG and printing, against torch."""
import copy
import pickle
import subprocess
import sys

import numpy as np
import pytest

import numtorch as nt
from helpers import torch

TORCH = pytest.mark.torch


def tname(d):
    return str(d).split(".")[-1]


def test_import_does_not_import_torch():
    code = "import sys, numtorch, numtorch.nn; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_size_repr_and_behaviour():
    s = nt.zeros(3, 5).shape
    assert repr(s) == "numtorch.Size([3, 5])" and s == (3, 5) and isinstance(s, tuple)
    assert isinstance(s[1:], nt.Size) and s.numel() == 15
    assert nt.ones(2, 3, 4).size(-1) == 4 and nt.ones(2, 3).size() == nt.Size([2, 3])


def test_basic_attributes():
    t = nt.zeros(2, 3)
    assert t.dtype is nt.float32 and t.ndim == 2 and t.dim() == 2 and t.numel() == 6
    assert str(t.device) == "cpu" and t.device == nt.device("cpu") and t.device == "cpu"
    assert repr(t.device) == "device(type='cpu')"
    assert nt.tensor([[1, 2]]).tolist() == [[1, 2]] and nt.tensor(2.5).item() == 2.5
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        nt.ones(2).item()


def test_from_numpy_shares_memory_and_numpy_too():
    a = np.zeros(3, dtype=np.float32)
    t = nt.from_numpy(a)
    a[0] = 4
    assert t[0].item() == 4 if hasattr(nt.Tensor, "__getitem__") else t.tolist()[0] == 4
    t.numpy()[1] = 5
    assert a[1] == 5
    with pytest.raises(TypeError):
        nt.from_numpy(np.array(["a"]))


def test_tensor_copies_data():
    a = np.zeros(3)
    t = nt.tensor(a)
    a[0] = 1
    assert t.tolist() == [0, 0, 0] and t.dtype is nt.float64


@TORCH
@pytest.mark.parametrize("data", [[1, 2], [1.0, 2], [True, False], 3, 2.5, True, [[1, 2], [3, 4]], [],
                                  np.array([1, 2], dtype=np.int32), np.array([1.5], dtype=np.float64),
                                  np.array(2, dtype=np.float16)])
def test_tensor_dtype_inference(data):
    ours, theirs = nt.tensor(data), torch.tensor(data)
    assert tname(ours.dtype) == tname(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)


@TORCH
@pytest.mark.parametrize("a,b", [
    ("int32", "int64"), ("uint8", "int8"), ("bool", "int32"), ("float16", "int64"), ("float32", "float64"),
    ("int64", "float32"), ("bool", "float16"), ("uint8", "bool"), ("int16", "float16")])
@pytest.mark.parametrize("shapes", [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())])
def test_promotion_between_tensors(a, b, shapes):
    ta = torch.ones(shapes[0], dtype=getattr(torch, a))
    tb = torch.ones(shapes[1], dtype=getattr(torch, b))
    na = nt.ones(shapes[0], dtype=getattr(nt, a))
    nb = nt.ones(shapes[1], dtype=getattr(nt, b))
    assert tname((na + nb).dtype) == tname((ta + tb).dtype)
    assert tname((na * nb).dtype) == tname((ta * tb).dtype)
    assert tname((na / nb).dtype) == tname((ta / tb).dtype)


@TORCH
@pytest.mark.parametrize("dt", ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_promotion_with_python_scalars(dt, scalar):
    t = torch.ones(3, dtype=getattr(torch, dt))
    n = nt.ones(3, dtype=getattr(nt, dt))
    if dt == "bool" and scalar is True:
        return
    assert tname((n + scalar).dtype) == tname((t + scalar).dtype)
    assert tname((scalar * n).dtype) == tname((scalar * t).dtype)
    assert tname((n / scalar).dtype) == tname((t / scalar).dtype)


@TORCH
def test_numpy_scalar_does_not_promote():
    assert (nt.ones(2) * np.float64(2.0)).dtype is nt.float32
    assert tname((torch.ones(2) * np.float64(2.0)).dtype) == "float32"


def test_default_dtype():
    nt.set_default_dtype(nt.float64)
    assert nt.tensor([1.5]).dtype is nt.float64 and nt.zeros(2).dtype is nt.float64
    assert (nt.tensor([1]) * 0.5).dtype is nt.float64
    nt.set_default_dtype(nt.float32)
    with pytest.raises(TypeError):
        nt.set_default_dtype(nt.int64)


@TORCH
@pytest.mark.parametrize("call", [
    "zeros(2, 3)", "ones((2, 3))", "full((2,), 7)", "full((2,), 7.0)", "full((2,), True)", "empty(0)",
    "arange(5)", "arange(1, 4, 0.5)", "arange(0, 1, 0.1)", "arange(10, 0, -3)", "arange(2.5)",
    "linspace(0, 1, 5)", "linspace(-3, 7, 11)", "linspace(0, 1, 1)", "eye(3)", "eye(2, 4)",
    "logspace(0, 2, 3)", "zeros(2, dtype=LIB.int32)", "ones(3, dtype=LIB.bool)", "arange(4, dtype=LIB.float64)",
])
def test_creation_matches_torch(call):
    ours = eval("nt." + call.replace("LIB", "nt"))
    theirs = eval("torch." + call.replace("LIB", "torch"))
    assert tname(ours.dtype) == tname(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float), rtol=1e-6, atol=1e-7)


@TORCH
@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"])
def test_like_functions_keep_shape_and_dtype(fn):
    x = nt.zeros(2, 3, dtype=nt.float64)
    y = getattr(nt, fn)(x)
    assert y.shape == (2, 3) and y.dtype is nt.float64


def test_negative_size_error():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        nt.zeros(2, -1)


def test_random_is_seeded_and_repeatable():
    nt.manual_seed(123)
    a = nt.randn(5)
    b = nt.rand(3)
    nt.manual_seed(123)
    assert nt.randn(5).tolist() == a.tolist() and nt.rand(3).tolist() == b.tolist()
    assert a.dtype is nt.float32
    g = nt.Generator().manual_seed(5)
    x = nt.randint(0, 10, (100,), generator=g)
    assert x.dtype is nt.int64 and 0 <= x.numpy().min() and x.numpy().max() < 10
    p = nt.randperm(10)
    assert sorted(p.tolist()) == list(range(10))


def test_rng_state_roundtrip():
    s = nt.get_rng_state()
    a = nt.randn(4).tolist()
    nt.set_rng_state(s)
    assert nt.randn(4).tolist() == a
    assert s.dtype is nt.uint8


def test_inplace_init_helpers():
    t = nt.empty(1000)
    t.uniform_(-2, 3)
    assert t.numpy().min() >= -2 and t.numpy().max() < 3 and t.dtype is nt.float32
    t.normal_(1.0, 0.5)
    assert abs(t.numpy().mean() - 1.0) < 0.1 and abs(t.numpy().std() - 0.5) < 0.1
    t.fill_(3)
    assert set(t.tolist()) == {3.0}
    t.zero_()
    assert set(t.tolist()) == {0.0}
    t.copy_(nt.arange(1000))
    assert t.tolist()[:3] == [0.0, 1.0, 2.0] and t.dtype is nt.float32
    assert t._version == 5


@TORCH
def test_inplace_on_leaf_allowed_under_no_grad():
    w = nt.ones(3, requires_grad=True)
    with nt.no_grad():
        w.mul_(2).add_(1)
        w.normal_()
    assert w.requires_grad and w.is_leaf


@TORCH
@pytest.mark.parametrize("make", [
    "tensor([[1., 2.], [3., 4.]])", "tensor([1.5, 2.0])", "tensor(3.)", "tensor([1e-5, 1.0])",
    "tensor([1e9, 1.0])", "tensor([0.1, -123.456, 7.0])", "tensor([1, 2, 3])", "tensor([True, False])",
    "tensor([1, 2], dtype=LIB.int32)", "tensor([1.5], dtype=LIB.float64)", "zeros(0, 3)", "zeros(0)",
    "tensor([float('inf'), float('nan'), 1.0])", "tensor([float('inf'), 1.5])", "arange(2000.)",
    "arange(24.).reshape(2, 3, 4) / 7", "ones(3, requires_grad=True)", "arange(30.) * 1000",
    "tensor([0.0, -0.0])", "tensor([1, 2], dtype=LIB.uint8)", "tensor([1., 2.], dtype=LIB.float16)",
    "arange(40.).reshape(2, 20) * 3.3333", "tensor([[1e-8, 1.0], [2.0, 3.0]])", "tensor(-7)",
    "zeros(2, 0, dtype=LIB.int64)", "arange(1200).reshape(40, 30)",
])
def test_repr_matches_torch(make):
    ours = eval("nt." + make.replace("LIB", "nt"))
    theirs = eval("torch." + make.replace("LIB", "torch"))
    assert repr(ours) == repr(theirs).replace("torch.", "numtorch.")


@TORCH
def test_repr_grad_fn():
    x = nt.ones(2, requires_grad=True)
    tx = torch.ones(2, requires_grad=True)
    assert repr(x + 1) == repr(tx + 1)
    assert repr(x * 2) == repr(tx * 2)


def test_bool_len_format_errors():
    assert bool(nt.tensor([1.0])) and not bool(nt.tensor(0))
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(nt.ones(2))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(nt.tensor(1.0))
    assert f"{nt.tensor(2.5):.3f}" == "2.500"
    assert len(nt.zeros(4, 2)) == 4
    assert int(nt.tensor(3.7)) == 3 and float(nt.tensor(2)) == 2.0


def test_pickle_and_deepcopy():
    x = nt.arange(6.0).requires_grad_()
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == x.tolist() and y.requires_grad
    z = copy.deepcopy(x)
    z.detach().numpy()[0] = 100
    assert x.tolist()[0] == 0


def test_cuda_is_refused_clearly():
    assert nt.cuda.is_available() is False
    with pytest.raises(RuntimeError, match="CPU only"):
        nt.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        nt.zeros(2).cuda()
    assert nt.zeros(2).to("cpu").device == "cpu"


@TORCH
def test_to_and_casts():
    x = nt.tensor([1.7, -2.2], requires_grad=True)
    y = x.to(nt.float64)
    assert y.dtype is nt.float64 and y.requires_grad
    (y * 2).sum().backward()
    assert x.grad.dtype is nt.float32 and x.grad.tolist() == [2.0, 2.0]
    assert x.long().tolist() == torch.tensor([1.7, -2.2]).long().tolist()
    assert x.int().dtype is nt.int32 and x.double().dtype is nt.float64 and x.half().dtype is nt.float16
    assert x.to(nt.zeros(1, dtype=nt.float64)).dtype is nt.float64
    assert x.type() == "numtorch.FloatTensor" and x.type(nt.float64).dtype is nt.float64
    assert x.to("cpu", nt.float64).dtype is nt.float64


def test_clone_contiguous_copy_grads():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    dst = nt.zeros(2, 2)
    src = nt.tensor([1.0, 2.0], requires_grad=True)
    h = dst * 1
    h.copy_(src)
    (h * nt.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert src.grad.tolist() == [4.0, 6.0]


def test_inf_nan_results_do_not_warn_but_user_numpy_still_does():
    code = ("import numtorch as t, numpy as np\n"
            "x = t.tensor([1e30, float('inf'), float('nan')])\n"
            "(x * x).exp(); t.log(t.tensor([-1.0, 0.0])); t.tensor([1.0]) / 0\n"
            "np.log(np.array([-1.0]))\n")
    res = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, check=True)
    lines = [ln for ln in res.stderr.splitlines() if "RuntimeWarning" in ln]
    assert len(lines) == 1 and "<string>:4" in lines[0], res.stderr
