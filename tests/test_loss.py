"""Loss functions (ops/loss.py) against torch: values, gradients of every differentiable input, node names,
reductions (incl. the deprecated size_average/reduce), extreme inputs and error messages."""
import warnings

import numpy as np
import pytest

import numtorch
import numtorch.nn.functional as nF
from helpers import F, check_op, lib, tF, to_nt, to_torch, torch

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore:Using a target size"),
              pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")]

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(0)


def _r(*shape, low=-2.0, high=2.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def _classes(shape, C, seed=1):
    return np.random.default_rng(seed).integers(0, C, shape)


def _probs(shape, axis=1, seed=2):
    e = np.exp(np.random.default_rng(seed).standard_normal(shape))
    return e / e.sum(axis=axis, keepdims=True)


def _names_match(fn, arrays, flags=None):
    flags = flags or [a.dtype.kind == "f" for a in arrays]
    t = fn(*[to_torch(a, f) for a, f in zip(arrays, flags)])
    n = fn(*[to_nt(a, f) for a, f in zip(arrays, flags)])
    assert n.grad_fn.name() == t.grad_fn.name()


# ---------------------------------------------------------------------- regression losses
REGRESSION = {
    "mse": lambda x, t, r: F(x).mse_loss(x, t, reduction=r),
    "l1": lambda x, t, r: F(x).l1_loss(x, t, reduction=r),
    "smooth_l1": lambda x, t, r: F(x).smooth_l1_loss(x, t, reduction=r),
    "smooth_l1_beta": lambda x, t, r: F(x).smooth_l1_loss(x, t, reduction=r, beta=0.4),
    "smooth_l1_beta0": lambda x, t, r: F(x).smooth_l1_loss(x, t, reduction=r, beta=0.0),
    "huber": lambda x, t, r: F(x).huber_loss(x, t, reduction=r),
    "huber_delta": lambda x, t, r: F(x).huber_loss(x, t, reduction=r, delta=0.3),
    "soft_margin": lambda x, t, r: F(x).soft_margin_loss(x, t, reduction=r),
    "poisson": lambda x, t, r: F(x).poisson_nll_loss(x, t, reduction=r),
    # Poisson targets are counts: keep them >= 0 (torch's Stirling term has NaN gradients below 0).
    "poisson_full": lambda x, t, r: F(x).poisson_nll_loss(x, t.abs() * 3, full=True, reduction=r),
    "poisson_linear": lambda x, t, r: F(x).poisson_nll_loss(x + 2.5, t.abs() * 3, log_input=False, reduction=r),
    "poisson_linear_full": lambda x, t, r: F(x).poisson_nll_loss(x + 2.5, t.abs() * 3, log_input=False,
                                                                 full=True, reduction=r),
    "kl_div": lambda x, t, r: F(x).kl_div(x, t + 2.5, reduction=r),
    "kl_div_log_target": lambda x, t, r: F(x).kl_div(x, t, reduction=r, log_target=True),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(REGRESSION))
@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((3, 4, 2), (4, 2)), ((6,), ())])
def test_regression_losses(name, reduction, shapes):
    fn = REGRESSION[name]
    # Keep x - t away from the kinks of l1/smooth-l1/huber at 0 and +-beta/delta.
    x = _r(*shapes[0], seed=3)
    t = _r(*shapes[1], seed=4)
    for _ in range(3):  # move x - t off the kinks at 0, +-0.3, +-0.4 and +-1 (x has the broadcast shape here)
        near = np.any([np.abs(np.abs(x - t) - k) < 0.02 for k in (0.0, 0.3, 0.4, 1.0)], axis=0)
        x = np.where(near, x + 0.05, x)
    flags = [True, name != "soft_margin"]  # torch: soft_margin_loss is not differentiable in its target
    check_op(None, lambda x, t: fn(x, t, reduction), inputs=[x, t], requires_grad=flags)
    _names_match(lambda x, t: fn(x, t, reduction), [x, t], flags)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("op", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression(op, reduction):
    x, t, w = _r(4, 5, seed=3), _r(4, 5, seed=4), _r(4, 5, low=0.1, high=2.0, seed=5)
    check_op(None, lambda x, t, w: getattr(F(x), op)(x, t, reduction=reduction, weight=w), inputs=[x, t, w])
    _names_match(lambda x, t, w: getattr(F(x), op)(x, t, reduction=reduction, weight=w), [x, t, w])


@pytest.mark.parametrize("size_average,reduce", [(None, False), (False, None), (True, True), (False, True),
                                                 (True, None), (None, True), (True, False)])
@pytest.mark.parametrize("op", ["mse_loss", "l1_loss", "smooth_l1_loss", "soft_margin_loss", "kl_div",
                                "poisson_nll_loss", "binary_cross_entropy_with_logits"])
def test_legacy_size_average_reduce(op, size_average, reduce):
    x, t = _r(3, 4, seed=3), _r(3, 4, low=0.1, high=0.9, seed=4)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        ours = getattr(nF, op)(to_nt(x), to_nt(t), size_average=size_average, reduce=reduce)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(tF, op)(to_torch(x), to_torch(t), size_average=size_average, reduce=reduce)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_legacy_flags_on_class_losses():
    x, c = _r(4, 5), _classes((4,), 5)
    for op in ("nll_loss", "cross_entropy"):
        with pytest.warns(UserWarning, match="reduction='sum'"):
            ours = getattr(nF, op)(to_nt(x), to_nt(c), size_average=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = getattr(tF, op)(to_torch(x), to_torch(c), size_average=False)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_mse_integer_target_promotes():
    x, t = _r(3, 4), np.arange(12).reshape(3, 4) % 3
    check_op(None, lambda x, t: F(x).mse_loss(x, t), inputs=[x, t])
    check_op(None, lambda x, t: F(x).l1_loss(x, t), inputs=[x.astype(np.float32), t.astype(np.float64)],
             dtypes=("float64",))


def test_mixed_precision_targets_promote():
    x, t = _r(3, 4).astype(np.float32), _r(3, 4, seed=2)
    for fn in (lambda x, t: F(x).l1_loss(x, t), lambda x, t: F(x).binary_cross_entropy_with_logits(x, t * 0.2 + 0.5),
               lambda x, t: F(x).cross_entropy(x, lib(x).softmax(t, 1))):
        xt, tt = to_torch(x, True), to_torch(t, True)
        xn, tn = to_nt(x, True), to_nt(t, True)
        a, b = fn(xt, tt), fn(xn, tn)
        assert str(b.dtype).split(".")[-1] == str(a.dtype).split(".")[-1]
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-6)
        a.backward()
        b.backward()
        assert xn.grad.dtype == numtorch.float32 and tn.grad.dtype == numtorch.float64
        np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(tn.grad.numpy(), tt.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = np.log(_probs((4, 5)))
    t = np.log(_probs((4, 5), seed=5)) if log_target else _probs((4, 5), seed=5)
    check_op(None, lambda x, t: F(x).kl_div(x, t, reduction=reduction, log_target=log_target), inputs=[x, t])
    _names_match(lambda x, t: F(x).kl_div(x, t, reduction=reduction, log_target=log_target), [x, t])


def test_kl_div_zero_target_and_warning():
    x, t = np.log(_probs((3, 4))), _probs((3, 4), seed=4)
    t[0, 1] = 0.0
    # At t == 0 the target's gradient is not finite: check values and the input's gradient only.
    check_op(None, lambda x, t: F(x).kl_div(x, t, reduction="sum"), inputs=[x, t], requires_grad=[True, False])
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        nF.kl_div(to_nt(x), to_nt(t))
    check_op(None, lambda x, t: F(x).kl_div(x, t, reduction="batchmean"), inputs=[np.array(-1.2), np.array(0.3)])


# ---------------------------------------------------------------------- NLL and cross-entropy
CLASS_SHAPES = [((4, 5), (4,)), ((5,), ()), ((3, 5, 4), (3, 4)), ((2, 5, 3, 2), (2, 3, 2)),
                ((2, 4, 2, 2, 3), (2, 2, 2, 3))]


def _class_inputs(xs, ts, C, ignore=False, ignore_index=-100):
    x = _r(*xs, low=-3, high=3, seed=3)
    t = _classes(ts, C, seed=4)
    if ignore and t.size > 1:
        t.reshape(-1)[::3] = ignore_index
    return x, t


def test_one_d_input_with_one_element_target():
    # torch reads a (1,) target of a (C,) input as unbatched: a 0-d loss (its backward fails in torch).
    x, t = _r(5), np.array([2])
    for op in ("nll_loss", "cross_entropy"):
        for r in REDUCTIONS:
            check_op(None, lambda x, t: getattr(F(x), op)(x, t, reduction=r), inputs=[x, t], forward_only=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", CLASS_SHAPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("op", ["nll_loss", "cross_entropy"])
def test_class_index_losses(op, weighted, shapes, reduction):
    C = shapes[0][1] if len(shapes[0]) > 1 else shapes[0][0]
    x, t = _class_inputs(*shapes, C)
    inputs = [x, t] + ([_r(C, low=0.2, high=2.0, seed=6)] if weighted else [])
    flags = [True, False, False]
    fn = lambda x, t, *w: getattr(F(x), op)(x, t, *w, reduction=reduction)  # noqa: E731
    check_op(None, fn, inputs=inputs, requires_grad=flags[:len(inputs)])
    _names_match(fn, inputs, flags[:len(inputs)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("op", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_ignore_index(op, reduction, ignore_index):
    x, t = _class_inputs((6, 4), (6,), 4, ignore=True, ignore_index=ignore_index)
    t[1] = 2
    w = _r(4, low=0.2, high=2.0, seed=6)
    check_op(None, lambda x, t, w: getattr(F(x), op)(x, t, w, ignore_index=ignore_index, reduction=reduction),
             inputs=[x, t, w], requires_grad=[True, False, False])
    x4, t4 = _class_inputs((2, 4, 3, 2), (2, 3, 2), 4, ignore=True, ignore_index=ignore_index)
    check_op(None, lambda x, t: getattr(F(x), op)(x, t, ignore_index=ignore_index, reduction=reduction),
             inputs=[x4, t4], requires_grad=[True, False])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_all_targets_ignored(reduction):
    x, t = _r(3, 4), np.full(3, -100)
    for op in ("nll_loss", "cross_entropy"):
        check_op(None, lambda x, t: getattr(F(x), op)(x, t, reduction=reduction), inputs=[x, t],
                 requires_grad=[True, False], grad_check=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.1, 0.35])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shapes", [((4, 5), (4,)), ((5,), ()), ((2, 5, 3, 2), (2, 3, 2))])
def test_cross_entropy_label_smoothing(shapes, weighted, smoothing, reduction):
    C = shapes[0][1] if len(shapes[0]) > 1 else shapes[0][0]
    x, t = _class_inputs(*shapes, C, ignore=True)
    inputs = [x, t] + ([_r(C, low=0.2, high=2.0, seed=6)] if weighted else [])
    fn = lambda x, t, *w: F(x).cross_entropy(x, t, *w, reduction=reduction, label_smoothing=smoothing)  # noqa
    check_op(None, fn, inputs=inputs, requires_grad=[True, False, False][:len(inputs)])
    _names_match(fn, inputs, [True, False, False][:len(inputs)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 5, 3)])
def test_cross_entropy_probability_targets(shape, weighted, smoothing, reduction):
    C = shape[1] if len(shape) > 1 else shape[0]
    x = _r(*shape, low=-3, high=3, seed=3)
    t = _probs(shape, axis=1 if len(shape) > 1 else 0)
    inputs = [x, t] + ([_r(C, low=0.2, high=2.0, seed=6)] if weighted else [])
    fn = lambda x, t, *w: F(x).cross_entropy(x, t, *w, reduction=reduction, label_smoothing=smoothing)  # noqa
    check_op(None, fn, inputs=inputs)   # gradients of the logits, the targets and the class weights
    _names_match(fn, inputs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_extreme_logits(dtype, reduction):
    x = np.array([[1e4, -1e4, 0.0, 5.0], [-1e4, -1e4, -1e4, -1e4 + 2], [1e4, 1e4, -1e4, 3.0],
                  [-5e3, 2e3, 1e4, 1e4 - 30], [88.0, 90.0, 100.0, -100.0]], dtype=dtype)
    t = np.array([1, 3, 0, 3, 0])
    for fn in (lambda x, t: F(x).cross_entropy(x, t, reduction=reduction),
               lambda x, t: F(x).cross_entropy(x, t, reduction=reduction, label_smoothing=0.1),
               lambda x, t: F(x).nll_loss(F(x).log_softmax(x, 1), t, reduction=reduction)):
        check_op(None, fn, inputs=[x, t], dtypes=(dtype,), requires_grad=[True, False], grad_check=False)
        out = fn(to_nt(x), to_nt(t))
        assert np.all(np.isfinite(out.numpy()))
    tp = _probs((5, 4)).astype(dtype)
    check_op(None, lambda x, t: F(x).cross_entropy(x, t, reduction=reduction), inputs=[x, tp], dtypes=(dtype,),
             grad_check=False)


def test_cross_entropy_negative_label_smoothing_is_none():
    x, t = _class_inputs((4, 5), (4,), 5)
    check_op(None, lambda x, t: F(x).cross_entropy(x, t, label_smoothing=-0.2), inputs=[x, t],
             requires_grad=[True, False])


def test_cross_entropy_empty_batch():
    for t in (np.zeros(0, np.int64), np.zeros((0, 5))):
        for reduction in REDUCTIONS:
            check_op(None, lambda x, t: F(x).cross_entropy(x, t, reduction=reduction),
                     inputs=[np.zeros((0, 5)), t], forward_only=True)


# ---------------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("wshape", [None, (4, 5), (5,), (1,)])
def test_binary_cross_entropy(reduction, wshape):
    x, t = _r(4, 5, low=0.05, high=0.95, seed=3), _r(4, 5, low=0, high=1, seed=4)
    inputs = [x, t] + ([_r(*wshape, low=0.2, high=2, seed=5)] if wshape else [])
    fn = lambda x, t, *w: F(x).binary_cross_entropy(x, t, *w, reduction=reduction)  # noqa: E731
    check_op(None, fn, inputs=inputs, requires_grad=[True, True, False][:len(inputs)])
    _names_match(fn, inputs, [True, True, False][:len(inputs)])


def test_binary_cross_entropy_clamped_log_at_0_and_1():
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-7, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.3])
    for r in REDUCTIONS:
        check_op(None, lambda x, t: F(x).binary_cross_entropy(x, t, reduction=r), inputs=[x, t],
                 requires_grad=[True, False], grad_check=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("extra", ["none", "weight", "pos_weight", "both", "pos_weight_row"])
def test_binary_cross_entropy_with_logits(reduction, extra):
    x, t = _r(4, 5, low=-4, high=4, seed=3), _r(4, 5, low=0, high=1, seed=4)
    w, pw = _r(4, 5, low=0.2, high=2, seed=5), _r(5, low=0.2, high=3, seed=6)
    kw = {"none": {}, "weight": {"weight": 0}, "pos_weight": {"pos_weight": 0}, "both": {"weight": 0, "pos_weight": 1},
          "pos_weight_row": {"pos_weight": 0}}[extra]
    arrays = [x, t] + [{"weight": w, "pos_weight": pw if extra != "pos_weight_row" else pw[:1]}[k] for k in kw]

    def fn(x, t, *rest):
        return F(x).binary_cross_entropy_with_logits(x, t, reduction=reduction,
                                                     **{k: rest[i] for i, k in enumerate(kw)})
    flags = [True, True] + [False] * len(kw)
    check_op(None, fn, inputs=arrays, requires_grad=flags)
    _names_match(fn, arrays, flags)
    check_op(None, lambda x, t: lib(x).binary_cross_entropy_with_logits(x, t, reduction=REDUCTIONS.index(reduction)),
             inputs=[x, t], dtypes=("float64",), grad_check=False)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_with_logits_and_soft_margin_extreme(dtype):
    x = np.array([1e4, -1e4, 100.0, -100.0, 30.0, -30.0, 0.0, 1e-6], dtype=dtype)
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 0.2, 1.0, 0.0], dtype=dtype)
    pw = np.array([2.5], dtype=dtype)
    for r in REDUCTIONS:
        check_op(None, lambda x, t: F(x).binary_cross_entropy_with_logits(x, t, reduction=r), inputs=[x, t],
                 dtypes=(dtype,), grad_check=False)
        check_op(None, lambda x, t, p: F(x).binary_cross_entropy_with_logits(x, t, reduction=r, pos_weight=p),
                 inputs=[x, t, pw], dtypes=(dtype,), grad_check=False, requires_grad=[True, True, False])
        out = nF.binary_cross_entropy_with_logits(to_nt(x), to_nt(t), reduction=r)
        assert np.all(np.isfinite(out.numpy()))
    # soft margin: finite in numtorch (softplus form) where the direct log1p(exp(.)) overflows; compare
    # where torch is finite.
    xm = np.array([80.0, -80.0, 20.0, -20.0, 0.5], dtype=dtype)
    tm = np.array([-1.0, 1.0, 1.0, -1.0, 1.0], dtype=dtype)
    check_op(None, lambda x, t: F(x).soft_margin_loss(x, t, reduction="none"), inputs=[xm, tm], dtypes=(dtype,),
             grad_check=False, requires_grad=[True, False])


# ---------------------------------------------------------------------- similarities, distances, margins
@pytest.mark.parametrize("shapes,dim", [(((4, 5), (4, 5)), 1), (((4, 5), (4, 5)), 0), (((3, 4, 2), (4, 2)), -1),
                                        (((5,), (5,)), 0), (((2, 1, 3), (4, 1)), 1)])
def test_cosine_similarity(shapes, dim):
    check_op(list(shapes), lambda a, b: F(a).cosine_similarity(a, b, dim=dim))
    check_op(list(shapes), lambda a, b: lib(a).cosine_similarity(a, b, dim), dtypes=("float64",), grad_check=False)
    _names_match(lambda a, b: F(a).cosine_similarity(a, b, dim=dim), [_r(*shapes[0]), _r(*shapes[1], seed=1)])


def test_cosine_similarity_zero_and_tiny_vectors():
    a = np.array([[0.0, 0.0, 0.0], [1e-9, 0.0, 0.0], [1.0, 2.0, 3.0]])
    b = np.array([[1.0, 2.0, 0.5], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    check_op(None, lambda a, b: F(a).cosine_similarity(a, b), inputs=[a, b], grad_check=False)
    check_op(None, lambda a, b: F(a).cosine_similarity(a, b, eps=0.5), inputs=[a, b], grad_check=False)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((4, 5), (5,)), ((5,), (5,)), ((2, 3, 4), (3, 4))])
def test_pairwise_distance(shapes, p, keepdim):
    check_op(list(shapes), lambda a, b: F(a).pairwise_distance(a, b, p=p, keepdim=keepdim))
    _names_match(lambda a, b: F(a).pairwise_distance(a, b, p=p, keepdim=keepdim),
                 [_r(*shapes[0]), _r(*shapes[1], seed=1)])


def test_pairwise_distance_top_level_p0_and_scalar():
    check_op([(4, 5), (4, 5)], lambda a, b: lib(a).pairwise_distance(a, b, 2.0, 1e-3, True))
    check_op([(4, 5), (4, 5)], lambda a, b: F(a).pairwise_distance(a, b, p=0), grad_check=False)
    check_op([(), ()], lambda a, b: F(a).pairwise_distance(a, b))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(reduction, margin):
    a, b = _r(6, seed=3), _r(6, seed=4)
    t = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    z = -t * (a - b) + margin
    a = np.where(np.abs(z) < 0.02, a + 0.1, a)  # off the hinge
    check_op(None, lambda a, b, t: F(a).margin_ranking_loss(a, b, t, margin=margin, reduction=reduction),
             inputs=[a, b, t])
    _names_match(lambda a, b, t: F(a).margin_ranking_loss(a, b, t, margin=margin, reduction=reduction), [a, b, t])
    check_op(None, lambda a, b, t: lib(a).margin_ranking_loss(a, b, t, margin, reduction=REDUCTIONS.index(reduction)),
             inputs=[a, b, t], dtypes=("float64",), grad_check=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_loss(reduction, margin):
    x = _r(4, 5, low=0, high=2, seed=3)
    x = np.where(np.abs(x - margin) < 0.02, x + 0.1, x)
    t = np.where(_r(4, 5, seed=4) > 0, 1.0, -1.0)
    t[0, 0] = 0.5  # neither 1 nor -1: both terms apply, as in torch
    check_op(None, lambda x, t: F(x).hinge_embedding_loss(x, t, margin=margin, reduction=reduction), inputs=[x, t],
             requires_grad=[True, False])
    _names_match(lambda x, t: F(x).hinge_embedding_loss(x, t, margin=margin, reduction=reduction), [x, t],
                 [True, False])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, -0.3, 0.4])
def test_cosine_embedding_loss(reduction, margin):
    a, b = _r(6, 4, seed=3), _r(6, 4, seed=4)
    t = np.array([1, -1, 1, -1, -1, 0])
    check_op(None, lambda a, b, t: F(a).cosine_embedding_loss(a, b, t, margin=margin, reduction=reduction),
             inputs=[a, b, t])
    _names_match(lambda a, b, t: F(a).cosine_embedding_loss(a, b, t, margin=margin, reduction=reduction), [a, b, t])
    check_op(None, lambda a, b, t: F(a).cosine_embedding_loss(a, b, t, reduction=reduction),
             inputs=[a[0], b[0], np.array(-1.0)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap", [(2, False), (1, False), (2, True), (3, True)])
def test_triplet_margin_loss(reduction, p, swap):
    a, pos, neg = _r(6, 4, seed=3), _r(6, 4, seed=4), _r(6, 4, seed=5)
    fn = lambda a, q, n: F(a).triplet_margin_loss(a, q, n, margin=1.5, p=p, swap=swap, reduction=reduction)  # noqa
    check_op(None, fn, inputs=[a, pos, neg])
    _names_match(fn, [a, pos, neg])
    check_op(None, fn, inputs=[a[0], pos[0], neg[0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4, 1), (4,), (1, 3), "float"])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss(reduction, var_shape, full):
    x, t = _r(4, 3, seed=3), _r(4, 3, seed=4)
    if var_shape == "float":
        check_op(None, lambda x, t: F(x).gaussian_nll_loss(x, t, 0.7, full=full, reduction=reduction), inputs=[x, t])
        return
    v = _r(*var_shape, low=0.2, high=2.0, seed=5)
    v.reshape(-1)[0] = 1e-8  # below eps: clamped, and the gradient still flows as torch's does
    fn = lambda x, t, v: F(x).gaussian_nll_loss(x, t, v, full=full, reduction=reduction)  # noqa: E731
    check_op(None, fn, inputs=[x, t, v], grad_check=False)
    v.reshape(-1)[0] = 0.5
    check_op(None, fn, inputs=[x, t, v])
    _names_match(fn, [x, t, v])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (5,)])
def test_multilabel_soft_margin_loss(reduction, weighted, shape):
    x, t = _r(*shape, seed=3), (_r(*shape, seed=4) > 0).astype(np.float64)
    inputs = [x, t] + ([_r(shape[-1], low=0.2, high=2, seed=5)] if weighted else [])
    fn = lambda x, t, *w: F(x).multilabel_soft_margin_loss(x, t, *w, reduction=reduction)  # noqa: E731
    check_op(None, fn, inputs=inputs)
    _names_match(fn, inputs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(reduction, p, weighted):
    x, y = _r(6, 4, seed=3), _classes((6,), 4)
    z = 0.7 - x[np.arange(6), y][:, None] + x
    x = np.where(np.abs(z) < 0.02, x + 0.1, x)
    inputs = [x, y] + ([_r(4, low=0.2, high=2, seed=5)] if weighted else [])
    fn = lambda x, y, *w: F(x).multi_margin_loss(x, y, p=p, margin=0.7, weight=w[0] if w else None,  # noqa
                                                 reduction=reduction)
    check_op(None, fn, inputs=inputs, requires_grad=[True, False, False][:len(inputs)])
    _names_match(fn, inputs, [True, False, False][:len(inputs)])
    check_op(None, lambda x, y: F(x).multi_margin_loss(x, y, p=p, reduction=reduction), inputs=[x[0], y[0]],
             requires_grad=[True, False])
    check_op(None, lambda x, y: F(x).multi_margin_loss(x, y, p=p, reduction=reduction), inputs=[x[0], y[:1]],
             requires_grad=[True, False])


# ---------------------------------------------------------------------- errors
def _same_error(call, exact=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as t_err:
            call(torch, tF)
        with pytest.raises(Exception) as n_err:
            call(numtorch, nF)
    assert type(n_err.value) is type(t_err.value), (n_err.value, t_err.value)
    if exact:
        assert str(n_err.value).replace("numtorch", "torch") == str(t_err.value)


ERRORS = [
    lambda m, Fm: Fm.mse_loss(m.ones(3), m.ones(3), reduction="avg"),
    lambda m, Fm: Fm.l1_loss(m.ones(3), m.ones(3), reduction="avg"),
    lambda m, Fm: Fm.mse_loss(m.ones(3), m.ones(3), reduction="avg", weight=m.ones(3)),
    lambda m, Fm: Fm.mse_loss(m.ones(3, 5), m.ones(3, 5), weight=m.ones(5)),
    lambda m, Fm: Fm.huber_loss(m.ones(3, 5), m.ones(3, 5), weight=m.ones(5)),
    lambda m, Fm: Fm.huber_loss(m.ones(3), m.ones(3), reduction="x", weight=m.ones(3)),
    lambda m, Fm: Fm.mse_loss(m.ones(3, 5), m.ones(4, 5)),
    lambda m, Fm: Fm.smooth_l1_loss(m.ones(3), m.ones(3), beta=-1.0),
    lambda m, Fm: Fm.huber_loss(m.ones(3), m.ones(3), delta=0.0),
    lambda m, Fm: Fm.huber_loss(m.ones(3), m.ones(3), reduction="x"),
    lambda m, Fm: Fm.kl_div(m.ones(3), m.ones(3), reduction="x"),
    lambda m, Fm: Fm.poisson_nll_loss(m.ones(3), m.ones(3), reduction="x"),
    lambda m, Fm: Fm.soft_margin_loss(m.ones(3), m.ones(3), reduction="x"),
    lambda m, Fm: Fm.nll_loss(m.ones(3, 5), m.tensor([0, 1, 2, 3])),
    lambda m, Fm: Fm.nll_loss(m.ones(3, 5), m.tensor([0, 1, 5])),
    lambda m, Fm: Fm.nll_loss(m.ones(3, 5), m.tensor([0, -1, 5])),
    lambda m, Fm: Fm.nll_loss(m.ones(3, 5), m.tensor([0.0, 1.0, 2.0])),
    lambda m, Fm: Fm.nll_loss(m.ones(3, 5), m.tensor([0, 1, 2], dtype=m.int32)),
    lambda m, Fm: Fm.nll_loss(m.ones(3, 5), m.tensor([0, 1, 2]), weight=m.ones(4)),
    lambda m, Fm: Fm.nll_loss(m.ones(3, 5), m.tensor([0, 1, 2]), weight=m.ones(5, dtype=m.float64)),
    lambda m, Fm: Fm.nll_loss(m.ones(3, 5), m.tensor([[0, 1, 2]])),
    lambda m, Fm: Fm.nll_loss(m.ones(3, 5), m.tensor(1)),
    lambda m, Fm: Fm.nll_loss(m.ones(2, 5, 3), m.zeros(2, 4, dtype=m.int64)),
    lambda m, Fm: Fm.nll_loss(m.ones(2, 5, 3), m.zeros(2, dtype=m.int64)),
    lambda m, Fm: Fm.nll_loss(m.ones(2, 5, 3, 3), m.zeros(2, 3, dtype=m.int64)),
    lambda m, Fm: Fm.nll_loss(m.ones(2, 5, 3, 3), m.zeros(2, 3, 4, dtype=m.int64)),
    lambda m, Fm: Fm.nll_loss(m.ones(2, 5, 3, 3), m.full((2, 3, 3), 7)),
    lambda m, Fm: Fm.nll_loss(m.tensor(1.0), m.tensor(0)),
    lambda m, Fm: Fm.nll_loss(m.ones(5), m.tensor(7)),
    lambda m, Fm: Fm.nll_loss(m.ones(5), m.tensor([1, 2])),
    lambda m, Fm: Fm.nll_loss(m.ones(3, 5), m.tensor([0, 1, 2]), reduction="avg"),
    lambda m, Fm: Fm.nll_loss(m.ones(3, 5, requires_grad=True), m.tensor([0, 1, 2]),
                              weight=m.ones(5, requires_grad=True)),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5), m.tensor([0, 1, 2, 3])),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5), m.ones(3, 4)),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5), m.ones(4, 5)),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5), m.tensor([0, 1, 2]), label_smoothing=1.5),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5), m.tensor([0, 1, 7])),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5), m.ones(3, 5), weight=m.ones(4)),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5), m.tensor([0, 1, 2]), weight=m.ones(4)),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5), m.ones(3, 5), ignore_index=1),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5), m.ones(3, 5, dtype=m.int64)),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5, dtype=m.int32), m.tensor([0, 1, 2])),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5), m.tensor(1)),
    lambda m, Fm: Fm.cross_entropy(m.ones(3, 5), m.tensor([0, 1, 2]), reduction="avg"),
    lambda m, Fm: Fm.binary_cross_entropy(m.ones(4, 1) * 0.5, m.ones(4) * 0.5),
    lambda m, Fm: Fm.binary_cross_entropy(m.tensor([1.5]), m.tensor([0.5])),
    lambda m, Fm: Fm.binary_cross_entropy(m.tensor([-0.5]), m.tensor([0.5])),
    lambda m, Fm: Fm.binary_cross_entropy(m.tensor([float("nan")]), m.tensor([0.5])),
    lambda m, Fm: Fm.binary_cross_entropy(m.ones(4, 3) * 0.5, m.ones(4, 3) * 0.5, weight=m.ones(4)),
    lambda m, Fm: Fm.binary_cross_entropy(m.ones(4, 3) * 0.5, m.ones(4, 3, dtype=m.float64) * 0.5),
    lambda m, Fm: Fm.binary_cross_entropy(m.ones(3) * 0.5, m.ones(3) * 0.5, reduction="avg"),
    lambda m, Fm: Fm.binary_cross_entropy(m.ones(3, requires_grad=True) * 0.5, m.ones(3) * 0.5,
                                          weight=m.ones(3, requires_grad=True)),
    lambda m, Fm: Fm.binary_cross_entropy_with_logits(m.ones(4, 1), m.ones(4)),
    lambda m, Fm: Fm.binary_cross_entropy_with_logits(m.ones(4, 3), m.ones(4, 3), pos_weight=m.ones(4)),
    lambda m, Fm: Fm.binary_cross_entropy_with_logits(m.ones(4, 3), m.ones(4, 3), weight=m.ones(4)),
    lambda m, Fm: Fm.binary_cross_entropy_with_logits(m.ones(3), m.ones(3), reduction="avg"),
    lambda m, Fm: Fm.binary_cross_entropy_with_logits(m.ones(3, requires_grad=True), m.ones(3),
                                                      pos_weight=m.ones(3, requires_grad=True)),
    lambda m, Fm: Fm.binary_cross_entropy_with_logits(m.ones(3, requires_grad=True), m.ones(3),
                                                      weight=m.ones(3, requires_grad=True)),
    lambda m, Fm: Fm.cosine_similarity(m.ones(4, 3), m.ones(4, 2)),
    lambda m, Fm: Fm.cosine_similarity(m.ones(4, 3), m.ones(4, 3), dim=2),
    lambda m, Fm: Fm.cosine_similarity(m.ones(4, 3, dtype=m.int64), m.ones(4, 3, dtype=m.int64)),
    lambda m, Fm: Fm.pairwise_distance(m.ones(4, 3), m.ones(4, 2)),
    lambda m, Fm: Fm.margin_ranking_loss(m.ones(4), m.ones(4), m.ones(4, 1)),
    lambda m, Fm: Fm.margin_ranking_loss(m.ones(4), m.ones(4), m.ones(3)),
    lambda m, Fm: Fm.margin_ranking_loss(m.ones(4), m.ones(4), m.ones(4), reduction="x"),
    lambda m, Fm: Fm.hinge_embedding_loss(m.ones(4, 3), m.ones(4)),
    lambda m, Fm: Fm.cosine_embedding_loss(m.ones(4, 3), m.ones(4, 3), m.ones(4, 1)),
    lambda m, Fm: Fm.cosine_embedding_loss(m.ones(4, 3), m.ones(4, 3), m.ones(3)),
    lambda m, Fm: Fm.cosine_embedding_loss(m.ones(4, 3), m.ones(4, 2), m.ones(4)),
    lambda m, Fm: Fm.cosine_embedding_loss(m.ones(3), m.ones(3), m.ones(1)),
    lambda m, Fm: Fm.cosine_embedding_loss(m.ones(4, 3), m.ones(4, 3), m.ones(())),
    lambda m, Fm: Fm.triplet_margin_loss(m.ones(4, 3), m.ones(4, 3), m.ones(3)),
    lambda m, Fm: Fm.triplet_margin_loss(m.ones(4, 3), m.ones(4, 3), m.ones(4, 3), margin=0),
    lambda m, Fm: Fm.gaussian_nll_loss(m.ones(4, 3), m.ones(4, 3), -1.0),
    lambda m, Fm: Fm.gaussian_nll_loss(m.ones(4, 3), m.ones(4, 3), -m.ones(4, 3)),
    lambda m, Fm: Fm.gaussian_nll_loss(m.ones(4, 3), m.ones(4, 3), m.ones(4, 2)),
    lambda m, Fm: Fm.gaussian_nll_loss(m.ones(4, 3), m.ones(4, 3), m.ones(4, 3), reduction="x"),
    lambda m, Fm: Fm.multilabel_soft_margin_loss(m.ones(4, 3), m.ones(4, 3), reduction="x"),
    lambda m, Fm: Fm.multi_margin_loss(m.ones(4, 3), m.tensor([0, 1, 2, 3])),
    lambda m, Fm: Fm.multi_margin_loss(m.ones(4, 3), m.tensor([0, 1, 2, -1])),
    lambda m, Fm: Fm.multi_margin_loss(m.ones(4, 3), m.tensor([0, 1, 2])),
    lambda m, Fm: Fm.multi_margin_loss(m.ones(4, 3), m.zeros(4, 1, dtype=m.int64)),
    lambda m, Fm: Fm.multi_margin_loss(m.ones(4, 3), m.zeros(4)),
    lambda m, Fm: Fm.multi_margin_loss(m.ones(4, 3), m.tensor([0, 1, 2, 1]), p=3),
    lambda m, Fm: Fm.multi_margin_loss(m.ones(4, 3), m.tensor([0, 1, 2, 1]), weight=m.ones(2, 3)),
    lambda m, Fm: Fm.multi_margin_loss(m.ones(4, 3), m.tensor([0, 1, 2, 1]), weight=m.ones(2)),
    lambda m, Fm: Fm.multi_margin_loss(m.ones(4, 0), m.zeros(4, dtype=m.int64)),
    lambda m, Fm: Fm.multi_margin_loss(m.ones(4, 3), m.zeros(4, dtype=m.int64), reduction="x"),
    lambda m, Fm: Fm.multi_margin_loss(m.ones(4, 3, requires_grad=True), m.tensor([0, 1, 2, 1]),
                                       weight=m.ones(3, requires_grad=True)),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_match_torch(call):
    _same_error(call)


def test_functional_exports():
    import numtorch.ops.loss as loss
    for name in loss.__all__:
        assert hasattr(tF, name), name
        assert getattr(nF, name) is getattr(loss, name)
    for name in loss.TOP_LEVEL:
        assert hasattr(torch, name), name
        assert hasattr(numtorch, name), name
