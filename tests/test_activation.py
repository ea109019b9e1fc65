"""Activation functions (ops/activation.py) against torch: values, gradients, kinks, in-place forms, errors."""
import warnings

import numpy as np
import pytest

import numtorch
import numtorch.nn.functional as nF
from helpers import F, check_op, lib, tF, to_nt, to_torch, torch

pytestmark = pytest.mark.torch

# name -> (fn using F(x)/lib(x), kinks to keep the random inputs away from)
ELEMENTWISE = {
    "relu": (lambda x: F(x).relu(x), (0,)),
    "relu_method": (lambda x: x.relu(), (0,)),
    "relu_top": (lambda x: lib(x).relu(x), (0,)),
    "relu6": (lambda x: F(x).relu6(x * 4), (0, 6)),
    "leaky_relu": (lambda x: F(x).leaky_relu(x), (0,)),
    "leaky_relu_slope": (lambda x: F(x).leaky_relu(x, 0.2), (0,)),
    "elu": (lambda x: F(x).elu(x), (0,)),
    "elu_alpha": (lambda x: F(x).elu(x, alpha=0.7), (0,)),
    "selu": (lambda x: F(x).selu(x), (0,)),
    "selu_top": (lambda x: lib(x).selu(x), (0,)),
    "celu": (lambda x: F(x).celu(x, alpha=1.5), (0,)),
    "celu_top": (lambda x: lib(x).celu(x, 0.5), (0,)),
    "gelu": (lambda x: F(x).gelu(x), None),
    "gelu_tanh": (lambda x: F(x).gelu(x, approximate="tanh"), None),
    "silu": (lambda x: F(x).silu(x), None),
    "mish": (lambda x: F(x).mish(x), None),
    "softplus": (lambda x: F(x).softplus(x), None),
    "softplus_beta": (lambda x: F(x).softplus(x, beta=2.0, threshold=3.0), (1.5,)),
    "softplus_beta_small": (lambda x: F(x).softplus(x, beta=0.5, threshold=1.0), (2.0,)),
    "hardtanh": (lambda x: F(x).hardtanh(x), (-1, 1)),
    "hardtanh_range": (lambda x: F(x).hardtanh(x, -0.5, 1.5), (-0.5, 1.5)),
    "hardsigmoid": (lambda x: F(x).hardsigmoid(x * 2), (-1.5, 1.5)),
    "hardswish": (lambda x: F(x).hardswish(x * 2), (-1.5, 1.5)),
    "logsigmoid": (lambda x: F(x).logsigmoid(x), None),
    "softsign": (lambda x: F(x).softsign(x), None),
    "tanhshrink": (lambda x: F(x).tanhshrink(x), None),
    "softshrink": (lambda x: F(x).softshrink(x), (-0.5, 0.5)),
    "softshrink_lambd": (lambda x: F(x).softshrink(x, 1.2), (-1.2, 1.2)),
    "hardshrink": (lambda x: F(x).hardshrink(x), (-0.5, 0.5)),
    "hardshrink_method": (lambda x: x.hardshrink(0.8), (-0.8, 0.8)),
    "threshold": (lambda x: F(x).threshold(x, 0.3, -2.0), (0.3,)),
    "threshold_top": (lambda x: lib(x).threshold(x, -0.4, 5.0), (-0.4,)),
    "rrelu_eval": (lambda x: F(x).rrelu(x), (0,)),
    "rrelu_eval_bounds": (lambda x: F(x).rrelu(x, 0.1, 0.6, training=False), (0,)),
    "sigmoid": (lambda x: F(x).sigmoid(x), None),
    "tanh": (lambda x: F(x).tanh(x), None),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_parity(name):
    fn, kinks = ELEMENTWISE[name]
    check_op([(4, 7)], fn, kinks=kinks, low=-3, high=3)


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_grad_fn_name(name):
    fn, _ = ELEMENTWISE[name]
    x = np.linspace(-2, 2, 6)
    t = fn(to_torch(x, True))
    n = fn(to_nt(x, True))
    assert n.grad_fn.name() == t.grad_fn.name()


# Exactly at the kinks and at special values: torch's one-sided choices must be reproduced.
KINK_INPUTS = np.array([-6.0, -3.0, -1.5, -1.0, -0.5, -0.25, 0.0, 0.25, 0.3, 0.5, 1.0, 1.5, 3.0, 6.0])


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if ELEMENTWISE[n][1] is not None])
def test_values_and_grads_at_kinks(name):
    fn, _ = ELEMENTWISE[name]
    check_op(None, fn, inputs=[KINK_INPUTS], grad_check=False)


@pytest.mark.parametrize("name", ["relu", "relu6", "hardtanh", "leaky_relu", "elu", "selu", "celu", "softplus",
                                  "logsigmoid", "softshrink", "hardshrink", "hardsigmoid", "threshold",
                                  "tanhshrink", "silu", "mish", "hardswish"])
def test_non_finite_inputs(name):
    fn, _ = ELEMENTWISE[name]
    check_op(None, fn, inputs=[np.array([np.nan, np.inf, -np.inf, 0.0, 1e30, -1e30])], forward_only=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softplus_logsigmoid_extreme(dtype):
    x = np.array([-1e4, -500.0, -90.0, -30.0, -1e-8, 0.0, 1e-8, 15.0, 19.99, 20.0, 20.01, 30.0, 90.0, 500.0,
                  1e4], dtype=dtype)
    for f in (lambda x: F(x).softplus(x), lambda x: F(x).logsigmoid(x),
              lambda x: F(x).softplus(x, beta=3.0, threshold=50.0), lambda x: F(x).silu(x),
              lambda x: F(x).mish(x)):
        check_op(None, f, inputs=[x], dtypes=(dtype,), grad_check=False)


def test_glu():
    check_op([(4, 6, 3)], lambda x: F(x).glu(x, 1))
    check_op([(4, 6)], lambda x: F(x).glu(x))
    check_op([(2, 4, 3)], lambda x: F(x).glu(x, -2), low=-4, high=4)


@pytest.mark.parametrize("wshape,xshape", [((1,), (4, 3, 5)), ((3,), (4, 3, 5)), ((), (4, 3)), ((3,), (4, 3)),
                                           ((1,), (6,)), ((1,), ()), ((2,), (3, 2, 2, 2))])
def test_prelu(wshape, xshape):
    check_op([xshape, wshape], lambda x, w: F(x).prelu(x, w), kinks=(0,))
    check_op([xshape, wshape], lambda x, w: lib(x).prelu(x, w), kinks=(0,), dtypes=("float64",),
             grad_check=False)
    check_op([xshape, wshape], lambda x, w: x.prelu(w), kinks=(0,), dtypes=("float32",))


def test_prelu_grad_fn_name():
    x, w = np.linspace(-1, 1, 6).reshape(2, 3), np.array([0.1, 0.2, 0.3])
    assert nF.prelu(to_nt(x, True), to_nt(w, True)).grad_fn.name() == \
        tF.prelu(to_torch(x, True), to_torch(w, True)).grad_fn.name()


# ---------------------------------------------------------------------- softmax family
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1), ((2, 3, 4), 1),
                                       ((2, 3, 4), 0), ((), 0), ((3, 0), 1)])
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
def test_softmax_family(op, shape, dim):
    check_op([shape], lambda x: getattr(F(x), op)(x, dim), low=-4, high=4)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_top_level_and_method(op):
    check_op([(3, 5)], lambda x: getattr(lib(x), op)(x, 1))
    check_op([(3, 5)], lambda x: getattr(x, op)(-1))
    check_op([(3, 5)], lambda x: getattr(x, op)(dim=0))


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
def test_softmax_dtype_argument(op):
    # Computed in float64 from a float32 input: the output is float64, the input's gradient float32.
    check_op([(3, 5)], lambda x: getattr(F(x), op)(x, 1, dtype=lib(x).float64), dtypes=("float32",))
    # Computed in float32 from a float64 input: both sides round to float32, so compare at float32 precision.
    check_op([(3, 5)], lambda x: getattr(F(x), op)(x, 1, dtype=lib(x).float32), dtypes=("float64",),
             atol=1e-6, rtol=1e-5, grad_atol=1e-6, grad_rtol=1e-5, grad_check=False)
    # torch.softmax(input, dim, dtype): dtype is the third positional argument at top level.
    if op != "softmin":
        check_op([(3, 5)], lambda x: getattr(lib(x), op)(x, 1, lib(x).float64), dtypes=("float32",))


def test_softmax_dtype_on_integer_input():
    x = np.array([[1, 2, 3], [0, -1, 5]])
    ours = nF.softmax(numtorch.from_numpy(x), 1, dtype=numtorch.float32)
    theirs = tF.softmax(torch.from_numpy(x), 1, dtype=torch.float32)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert ours.dtype == numtorch.float32


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("ndim,expected", [(1, 0), (2, 1), (3, 0), (4, 1)])
def test_softmax_implicit_dim(op, ndim, expected):
    x = np.random.default_rng(0).standard_normal((2, 3, 2, 3)[:ndim])
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {op} has been deprecated"):
        ours = getattr(nF, op)(to_nt(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(tF, op)(to_torch(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.numpy(), getattr(nF, op)(to_nt(x), expected).numpy(), rtol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
def test_softmax_extreme_logits(op, dtype):
    x = np.array([[1e4, -1e4, 0.0, 3.0], [-1e4, -1e4, -1e4, -1e4 + 1], [1e4, 1e4, 1e4 - 1, -5.0],
                  [50.0, 100.0, 88.0, 89.0]], dtype=dtype)
    check_op(None, lambda x: getattr(F(x), op)(x, 1), inputs=[x], dtypes=(dtype,), grad_check=False)
    out = getattr(nF, op)(to_nt(x), 1)
    assert np.all(np.isfinite(out.numpy()))


def test_softmax_non_finite_rows():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [-np.inf, 1.0], [np.nan, 1.0]])
    for op in ("softmax", "log_softmax", "softmin"):
        check_op(None, lambda x: getattr(F(x), op)(x, 1), inputs=[x], forward_only=True)


# ---------------------------------------------------------------------- in-place forms
INPLACE = {
    "relu": lambda x: F(x).relu(x, inplace=True),
    "relu_": lambda x: F(x).relu_(x),
    "relu_method": lambda x: x.relu_(),
    "relu_top": lambda x: lib(x).relu_(x),
    "relu6": lambda x: F(x).relu6(x, inplace=True),
    "leaky_relu": lambda x: F(x).leaky_relu(x, 0.1, inplace=True),
    "leaky_relu_": lambda x: F(x).leaky_relu_(x, 0.3),
    "elu": lambda x: F(x).elu(x, 0.8, inplace=True),
    "elu_": lambda x: F(x).elu_(x),
    "selu": lambda x: F(x).selu(x, inplace=True),
    "selu_top": lambda x: lib(x).selu_(x),
    "celu": lambda x: F(x).celu(x, 1.3, inplace=True),
    "celu_top": lambda x: lib(x).celu_(x, 0.7),
    "hardtanh": lambda x: F(x).hardtanh(x, -0.5, 0.5, inplace=True),
    "hardtanh_": lambda x: F(x).hardtanh_(x),
    "silu": lambda x: F(x).silu(x, inplace=True),
    "mish": lambda x: F(x).mish(x, inplace=True),
    "hardsigmoid": lambda x: F(x).hardsigmoid(x, inplace=True),
    "hardswish": lambda x: F(x).hardswish(x, inplace=True),
    "threshold": lambda x: F(x).threshold(x, 0.2, -1.0, inplace=True),
    "threshold_": lambda x: F(x).threshold_(x, 0.2, 3.0),
    "threshold_top": lambda x: lib(x).threshold_(x, 0.2, 3.0),
    "rrelu_eval": lambda x: F(x).rrelu(x, inplace=True),
    "rrelu_": lambda x: F(x).rrelu_(x, 0.2, 0.4),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_modifies_input_and_differentiates(name):
    fn = INPLACE[name]
    x = np.random.default_rng(3).uniform(-2, 2, (3, 5))
    x = np.where(np.abs(x) < 0.05, 0.3, x)
    x = np.where(np.abs(x - 0.2) < 0.05, 0.6, x)
    x = np.where(np.abs(np.abs(x) - 0.5) < 0.05, 0.9, x)
    for dtype in ("float32", "float64"):
        xt = to_torch(x.astype(dtype), True)
        xn = to_nt(x.astype(dtype), True)
        at, an = xt * 1, xn * 1                      # non-leaf copies, so in-place is allowed with grad
        vt, vn = at._version, an._version
        rt, rn = fn(at), fn(an)
        assert rn is an and rt is at
        assert an._version > vn and at._version > vt
        np.testing.assert_allclose(an.detach().numpy(), at.detach().numpy(), rtol=1e-6, atol=1e-7)
        assert an.grad_fn.name() == at.grad_fn.name()
        w = np.random.default_rng(5).standard_normal(x.shape).astype(dtype)
        (rt * torch.from_numpy(w)).sum().backward()
        (rn * numtorch.from_numpy(w)).sum().backward()
        np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
        assert xn.grad.dtype == xn.dtype
        # Without grad the input is updated in place too.
        plain = to_nt(x.astype(dtype))
        ref = to_torch(x.astype(dtype))
        assert fn(plain) is plain
        fn(ref)
        np.testing.assert_allclose(plain.numpy(), ref.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_on_leaf_requiring_grad_raises(name):
    fn = INPLACE[name]
    x = np.linspace(-1, 1, 6)
    with pytest.raises(RuntimeError) as t_err:
        fn(to_torch(x, True))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        fn(to_nt(x, True))
    assert "leaf Variable" in str(t_err.value)
    with numtorch.no_grad():  # allowed under no_grad, as in torch
        leaf = to_nt(x, True)
        assert fn(leaf) is leaf


def test_inplace_saved_input_detected():
    # exp saves its output; relu_ on it afterwards must make exp's backward fail, as in torch.
    for mod in (torch, numtorch):
        x = mod.tensor([1.0, -2.0], requires_grad=True)
        y = x * 1
        z = y.sigmoid()
        (tF if mod is torch else nF).relu(z, inplace=True)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


@pytest.mark.parametrize("op", ["leaky_relu", "elu"])
def test_inplace_negative_slope_backward_error(op):
    for mod, Fm in ((torch, tF), (numtorch, nF)):
        x = mod.tensor([1.0, -2.0], requires_grad=True)
        y = getattr(Fm, op)(x * 1, -0.1, inplace=True)
        with pytest.raises(RuntimeError, match=f"In-place {'leakyReLu' if op == 'leaky_relu' else 'elu'} "
                                               f"backward calculation is triggered with a negative slope"):
            y.sum().backward()


def test_relu_integer_input():
    x = np.array([-3, 0, 4], dtype=np.int64)
    for f in (lambda x: F(x).relu(x), lambda x: F(x).relu6(x), lambda x: F(x).hardtanh(x),
              lambda x: F(x).threshold(x, 1, 7), lambda x: F(x).softsign(x), lambda x: F(x).tanhshrink(x)):
        check_op(None, f, inputs=[x], forward_only=True)
    n = to_nt(x)
    assert nF.relu_(n) is n and n.tolist() == [0, 0, 4]


# ---------------------------------------------------------------------- rrelu in training
def test_rrelu_training_draws_slopes():
    x = np.random.default_rng(1).uniform(-2, 2, (40, 50))
    x[x == 0] = 1.0
    xn = to_nt(x, True)
    y = nF.rrelu(xn, 0.1, 0.3, training=True)
    ratio = y.detach().numpy() / x
    neg = x < 0
    np.testing.assert_array_equal(ratio[~neg], 1.0)
    assert ratio[neg].min() >= 0.1 and ratio[neg].max() <= 0.3
    assert abs(ratio[neg].mean() - 0.2) < 0.01 and ratio[neg].std() > 0.04  # U(0.1, 0.3): std 0.058
    y.sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), ratio)  # the gradient is the drawn slope
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    # Seeded draws repeat.
    numtorch.manual_seed(7)
    a = nF.rrelu(to_nt(x), training=True).numpy()
    numtorch.manual_seed(7)
    b = nF.rrelu(to_nt(x), training=True).numpy()
    np.testing.assert_array_equal(a, b)
    xf = to_nt(x.astype(np.float32))
    assert nF.rrelu(xf, training=True).dtype == numtorch.float32


def test_rrelu_training_inplace():
    x = to_nt(np.array([-1.0, 2.0, -3.0]), True)
    y = x * 1
    out = nF.rrelu(y, 0.25, 0.25, training=True, inplace=True)
    assert out is y and out.grad_fn.name() == "RreluWithNoiseBackward1"
    np.testing.assert_allclose(y.detach().numpy(), [-0.25, 2.0, -0.75])
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.25, 1.0, 0.25])


# ---------------------------------------------------------------------- errors
INT_ONLY_ERRORS = ["leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "hardsigmoid",
                   "hardswish", "logsigmoid", "softshrink", "hardshrink", "rrelu"]


@pytest.mark.parametrize("op", INT_ONLY_ERRORS)
def test_integer_input_errors(op):
    with pytest.raises(NotImplementedError) as t_err:
        getattr(tF, op)(torch.tensor([-2, 0, 3]))
    with pytest.raises(NotImplementedError) as n_err:
        getattr(nF, op)(numtorch.tensor([-2, 0, 3]))
    assert str(n_err.value) == str(t_err.value)


def _same_error(t_call, n_call, exact=True):
    with pytest.raises(Exception) as t_err:
        t_call()
    with pytest.raises(Exception) as n_err:
        n_call()
    assert type(n_err.value) is type(t_err.value), (n_err.value, t_err.value)
    if exact:
        assert str(n_err.value).replace("numtorch", "torch") == str(t_err.value)


@pytest.mark.parametrize("call", [
    lambda m, Fm: Fm.glu(m.ones(2, 3), 1),
    lambda m, Fm: Fm.glu(m.tensor(1.0)),
    lambda m, Fm: Fm.glu(m.ones(2, 4), 2),
    lambda m, Fm: Fm.glu(m.tensor([1, 2])),
    lambda m, Fm: Fm.softshrink(m.ones(2), -1.0),
    lambda m, Fm: Fm.softshrink(m.ones(2, dtype=m.float64), -0.5),
    lambda m, Fm: Fm.rrelu(m.ones(2), 0.5, 0.1, training=True),
    lambda m, Fm: Fm.rrelu(m.ones(2), 0.5, 0.1),
    lambda m, Fm: Fm.softmax(m.ones(2, 3), 2),
    lambda m, Fm: Fm.log_softmax(m.ones(2, 3), -3),
    lambda m, Fm: Fm.softmax(m.tensor([1, 2]), 0),
    lambda m, Fm: Fm.log_softmax(m.tensor([1, 2]), 0),
    lambda m, Fm: Fm.softmin(m.tensor([1, 2]), 0),
    lambda m, Fm: Fm.softmax(m.ones(3), 0, dtype=m.int64),
    lambda m, Fm: Fm.gelu(m.ones(2), approximate="fast"),
    lambda m, Fm: Fm.hardtanh(m.ones(2), 2.0, 1.0),
    lambda m, Fm: Fm.relu("x"),
    lambda m, Fm: Fm.prelu(m.ones(2, 3, 4), m.ones(4)),
    lambda m, Fm: Fm.prelu(m.ones(2, 3), m.ones(1, 3)),
    lambda m, Fm: Fm.prelu(m.ones(5), m.ones(5)),
    lambda m, Fm: Fm.prelu(m.tensor(2.0), m.ones(2)),
    lambda m, Fm: Fm.prelu(m.ones(2, 3), m.ones(3, dtype=m.float64)),
    lambda m, Fm: Fm.prelu(m.tensor([1, 2]), m.tensor([1])),
])
def test_errors_match_torch(call):
    _same_error(lambda: call(torch, tF), lambda: call(numtorch, nF))


def test_functional_exports():
    import numtorch.ops.activation as act
    for name in act.__all__:
        assert hasattr(tF, name), name
        assert getattr(nF, name) is getattr(act, name)
    for name in act.TOP_LEVEL:
        assert hasattr(torch, name), name
        assert hasattr(numtorch, name), name
