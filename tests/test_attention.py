"""Attention against torch: F.scaled_dot_product_attention, F.multi_head_attention_forward, nn.MultiheadAttention.

Values, dtypes and every input/parameter gradient in float32 and float64, float64 finite-difference gradchecks,
masks of every kind, fully masked rows, grouped-query attention, dropout behaviour, reprs and torch's errors.
"""
import warnings

import numpy as np
import pytest

import numtorch
import numtorch.nn as nnn
from helpers import F, check_module, check_op, copy_state, gradcheck, lib, nF, tF, to_nt, to_torch, torch, \
    assert_close

pytestmark = pytest.mark.torch

R = np.random.default_rng(0)


def _as(x, arr):
    """``arr`` as a tensor of ``x``'s library (for constant, non-differentiable mask arguments)."""
    return to_torch(arr) if lib(x) is torch else to_nt(arr)


def _sdpa(**kw):
    return lambda q, k, v: F(q).scaled_dot_product_attention(q, k, v, **kw)


# ---------------------------------------------------------------------- scaled_dot_product_attention
@pytest.mark.parametrize("qs,ks,vs", [
    ((4, 8), (5, 8), (5, 6)),                       # unbatched 2-D
    ((3, 4, 8), (3, 5, 8), (3, 5, 8)),              # 3-D
    ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)),     # 4-D, Ev != E
    ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)),     # 4-D, the flash-kernel shapes
    ((2, 2, 3, 4, 8), (2, 2, 3, 5, 8), (2, 2, 3, 5, 4)),  # 5-D
    ((2, 3, 4, 8), (1, 3, 5, 8), (2, 1, 5, 8)),     # batch and head dims broadcast
    ((2, 3, 1, 8), (2, 3, 7, 8), (2, 3, 7, 8)),     # one query
])
def test_sdpa_shapes(qs, ks, vs):
    check_op([qs, ks, vs], _sdpa())


@pytest.mark.parametrize("scale", [0.3, 1.0, 0.0])
def test_sdpa_scale(scale):
    check_op([(2, 2, 4, 8), (2, 2, 5, 8), (2, 2, 5, 8)], _sdpa(scale=scale))


@pytest.mark.parametrize("L,S", [(5, 5), (4, 6), (6, 4)])
def test_sdpa_causal(L, S):
    check_op([(2, 3, L, 8), (2, 3, S, 8), (2, 3, S, 8)], _sdpa(is_causal=True))


BOOL_MASKS = [(4, 5), (1, 4, 5), (3, 1, 5), (2, 3, 4, 5), (2, 1, 1, 5)]


@pytest.mark.parametrize("mshape", BOOL_MASKS)
def test_sdpa_bool_mask(mshape):
    mask = R.random(mshape) > 0.3
    mask[..., 0] = True  # every query keeps at least one key here; fully masked rows have their own test
    check_op([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)], lambda q, k, v: F(q).scaled_dot_product_attention(
        q, k, v, attn_mask=_as(q, mask)))


@pytest.mark.parametrize("mshape", [(4, 5), (3, 1, 5), (2, 3, 4, 5), (1, 5)])
def test_sdpa_float_mask_and_its_gradient(mshape):
    # the float mask is an input like q, k, v: its gradient (ds summed over broadcast dims) is compared too
    check_op([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8), mshape],
             lambda q, k, v, m: F(q).scaled_dot_product_attention(q, k, v, attn_mask=m))


def test_sdpa_float_mask_with_minus_inf_entries():
    mask = R.uniform(-1, 1, (4, 5))
    mask[R.random((4, 5)) > 0.6] = -np.inf
    mask[:, 1] = 0.5
    check_op([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)], lambda q, k, v: F(q).scaled_dot_product_attention(
        q, k, v, attn_mask=_as(q, mask.astype(np.dtype(str(q.dtype).split(".")[-1])))))


@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("qs", [(2, 3, 4, 8), (3, 4, 8)])
def test_sdpa_fully_masked_rows_are_zero(kind, qs):
    # torch 2.13 on CPU gives zeros (not NaN) for a query whose keys are all masked out, and zero gradients
    mask = np.ones((4, 5), bool)
    mask[1] = False
    mask[3, 2:] = False
    if kind == "float":
        mask = np.where(mask, 0.0, -np.inf)
    ks = qs[:-2] + (5, 8)

    def fn(q, k, v):
        m = mask if kind == "bool" else mask.astype(np.dtype(str(q.dtype).split(".")[-1]))
        return F(q).scaled_dot_product_attention(q, k, v, attn_mask=_as(q, m))
    check_op([qs, ks, ks], fn)
    out = fn(*[to_nt(R.standard_normal(s)) for s in (qs, ks, ks)])
    assert not np.isnan(out.numpy()).any()
    assert (out.numpy()[..., 1, :] == 0).all()


@pytest.mark.parametrize("qs,ks,vs", [
    ((2, 6, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)),     # 2 query heads per key/value head
    ((2, 4, 4, 8), (2, 1, 5, 8), (2, 1, 5, 6)),     # multi-query
    ((2, 6, 4, 8), (2, 3, 5, 8), (2, 2, 5, 8)),     # key and value head counts differ
    ((6, 4, 8), (3, 5, 8), (3, 5, 8)),              # 3-D: heads are dim -3
])
def test_sdpa_gqa(qs, ks, vs):
    check_op([qs, ks, vs], _sdpa(enable_gqa=True))


def test_sdpa_gqa_with_mask_and_causal():
    mask = R.random((2, 6, 4, 5)) > 0.3
    mask[..., 0] = True
    check_op([(2, 6, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)], lambda q, k, v: F(q).scaled_dot_product_attention(
        q, k, v, attn_mask=_as(q, mask), enable_gqa=True))
    check_op([(2, 6, 5, 8), (2, 3, 5, 8), (2, 3, 5, 8)], _sdpa(enable_gqa=True, is_causal=True))


def test_sdpa_empty():
    check_op([(2, 3, 0, 8), (2, 3, 5, 8), (2, 3, 5, 8)], _sdpa(), grad_check=False)
    check_op([(2, 3, 4, 8), (2, 3, 0, 8), (2, 3, 0, 6)], _sdpa(), grad_check=False)


def test_sdpa_grad_fn_names_match_torch():
    def names(shapes, **kw):
        out = []
        for mod, Fm in ((torch, tF), (numtorch, nF)):
            xs = [mod.randn(*s, requires_grad=True) for s in shapes]
            out.append(Fm.scaled_dot_product_attention(*xs, **kw).grad_fn.name())
        return out
    for shapes, kw in [([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)], {}),
                       ([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)], {}),
                       ([(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)], {"dropout_p": 0.2}),
                       ([(3, 4, 8), (3, 5, 8), (3, 5, 8)], {}),
                       ([(4, 8), (5, 8), (5, 8)], {}),
                       ([(2, 6, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)], {"enable_gqa": True})]:
        t, n = names(shapes, **kw)
        assert n == t, (shapes, kw)


def test_sdpa_no_grad_records_nothing_and_matches_torch():
    # without a graph the kernel normalises the output rows instead of the weights: same numbers
    q = numtorch.randn(2, 2, 3, 4, requires_grad=True)
    with numtorch.no_grad():
        out = nF.scaled_dot_product_attention(q, q, q)
    assert out.grad_fn is None and not out.requires_grad
    mask = np.ones((4, 5), bool)
    mask[1] = False
    mask[2, :3] = False
    for dtype in (np.float32, np.float64):
        q, k, v = (R.standard_normal(s).astype(dtype) for s in ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)))
        for kw in ({}, {"attn_mask": mask}, {"is_causal": True}, {"scale": 0.7}):
            with numtorch.no_grad():
                ours = nF.scaled_dot_product_attention(to_nt(q), to_nt(k), to_nt(v),
                                                       **{a: to_nt(b) if a == "attn_mask" else b
                                                          for a, b in kw.items()})
            theirs = tF.scaled_dot_product_attention(to_torch(q), to_torch(k), to_torch(v),
                                                     **{a: to_torch(b) if a == "attn_mask" else b
                                                        for a, b in kw.items()})
            assert_close(ours, theirs, 1e-6 if dtype == np.float32 else 1e-12, 1e-4 if dtype == np.float32 else 1e-9)


# ---------------------------------------------------------------------- dropout on the weights
def _sdpa_inputs(dtype=np.float64):
    return [to_nt(R.standard_normal(s).astype(dtype)) for s in ((2, 2, 6, 8), (2, 2, 7, 8), (2, 2, 7, 5))]


def test_sdpa_dropout_repeatable_and_gradient_consistent():
    q, k, v = _sdpa_inputs()
    numtorch.manual_seed(3)
    a = nF.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    numtorch.manual_seed(3)
    b = nF.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    c = nF.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    assert np.array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())
    assert a.dtype == numtorch.float64

    def fixed_mask(q, k, v):  # the same dropout mask on every call, so finite differences see one function
        numtorch.manual_seed(11)
        return nF.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    gradcheck(fixed_mask, [x.detach().requires_grad_() for x in (q, k, v)], eps=1e-6, atol=1e-5, rtol=1e-3)


def test_sdpa_dropout_statistics():
    # E[dropout(p) v] = p v: the mean over many masks approaches the dropout-free output
    q, k, v = _sdpa_inputs(np.float32)
    ref = nF.scaled_dot_product_attention(q, k, v).numpy()
    outs = np.stack([nF.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy() for _ in range(400)])
    assert np.abs(outs.mean(0) - ref).max() < 0.25 * np.abs(ref).max()
    assert np.abs(outs.mean(0) - ref).mean() < 0.05
    assert outs.dtype == np.float32
    assert np.abs(nF.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy()).max() == 0


def test_sdpa_negative_dropout_is_no_dropout():
    q, k, v = _sdpa_inputs()
    assert np.array_equal(nF.scaled_dot_product_attention(q, k, v, dropout_p=-0.5).numpy(),
                          nF.scaled_dot_product_attention(q, k, v).numpy())


# ---------------------------------------------------------------------- errors
def _same_error(t_call, n_call, exact=True):
    with pytest.raises(Exception) as t_err:
        t_call()
    with pytest.raises(Exception) as n_err:
        n_call()
    assert type(n_err.value) is type(t_err.value), (n_err.value, t_err.value)
    if exact:
        assert str(n_err.value).replace("numtorch", "torch") == str(t_err.value)


def _r(mod, *shape, dtype=None):
    return mod.randn(*shape, dtype=dtype or mod.float32)


# torch's CPU flash kernel (4-D, Ev == E) neither rejects attn_mask with is_causal (it applies both) nor
# value/key length mismatches; its math kernel (used here via Ev != E) raises, as torch documents. numtorch
# always raises.
SDPA_ERRORS = [
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 3, 4, 8), _r(m, 2, 3, 5, 8), _r(m, 2, 3, 5, 6),
                                                  attn_mask=m.ones(4, 5, dtype=m.bool), is_causal=True),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 3, 4, 8), _r(m, 2, 3, 5, 8), _r(m, 2, 3, 5, 8),
                                                  attn_mask=_r(m, 4, 5, dtype=m.float64)),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 3, 4, 8), _r(m, 2, 3, 5, 8), _r(m, 2, 3, 5, 8),
                                                  attn_mask=m.ones(4, 5, dtype=m.int64)),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 3, 4, 8), _r(m, 2, 3, 5, 8), _r(m, 2, 3, 5, 8),
                                                  attn_mask=_r(m, 4, 4)),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 3, 4, 8), _r(m, 2, 3, 5, 8), _r(m, 2, 3, 5, 8),
                                                  attn_mask=_r(m, 5)),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 3, 4, 8), _r(m, 3, 5, 8), _r(m, 3, 5, 8),
                                                  attn_mask=_r(m, 2, 3, 4, 5)),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 3, 4, 8), _r(m, 2, 3, 5, 7), _r(m, 2, 3, 5, 8)),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 3, 4, 8), _r(m, 2, 3, 5, 8), _r(m, 2, 3, 6, 6)),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 6, 4, 8), _r(m, 2, 3, 5, 8), _r(m, 2, 3, 5, 8)),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 6, 4, 8), _r(m, 2, 4, 5, 8), _r(m, 2, 4, 5, 8),
                                                  enable_gqa=True),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 4, 8), _r(m, 5, 8), _r(m, 5, 8), enable_gqa=True),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 3, 4, 8), _r(m, 2, 3, 5, 8, dtype=m.float64),
                                                  _r(m, 2, 3, 5, 8)),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 8), _r(m, 8), _r(m, 8)),
    lambda m, Fm: Fm.scaled_dot_product_attention(m.ones(2, 4, 8, dtype=m.int64), m.ones(2, 5, 8, dtype=m.int64),
                                                  m.ones(2, 5, 8, dtype=m.int64)),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 3, 4, 8), _r(m, 2, 3, 5, 8), _r(m, 2, 3, 5, 8),
                                                  dropout_p=1.5),
    lambda m, Fm: Fm.scaled_dot_product_attention([1.0], _r(m, 2, 3, 5, 8), _r(m, 2, 3, 5, 8)),
    lambda m, Fm: Fm.scaled_dot_product_attention(_r(m, 2, 4, 8), _r(m, 2, 5, 8), _r(m, 2, 5, 8), None, 0.0, False,
                                                  0.5),
]


@pytest.mark.parametrize("call", SDPA_ERRORS)
def test_sdpa_errors_match_torch(call):
    _same_error(lambda: call(torch, tF), lambda: call(numtorch, nF))


def test_sdpa_errors_on_every_path():
    q, k, v = (numtorch.randn(2, 3, s, 8) for s in (4, 5, 5))
    # torch refuses the combination on its math path (3-d here); its 4-d CPU flash kernel applies both
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        nF.scaled_dot_product_attention(q[0], k[0], v[0], attn_mask=numtorch.ones(4, 5, dtype=numtorch.bool),
                                        is_causal=True)
    with pytest.raises(RuntimeError, match="batch2 tensor to be: \\[6, 5\\] but got: \\[6, 6\\]"):
        nF.scaled_dot_product_attention(q, k, numtorch.randn(2, 3, 6, 8))


# ---------------------------------------------------------------------- MultiheadAttention: parity
def _pair(*args, **kw):
    return torch.nn.MultiheadAttention(*args, **kw), nnn.MultiheadAttention(*args, **kw)


def _shapes(bf, L=4, S=5, N=3, E=8, kdim=None, vdim=None):
    q = (N, L, E) if bf else (L, N, E)
    k = (N, S, kdim or E) if bf else (S, N, kdim or E)
    v = (N, S, vdim or E) if bf else (S, N, vdim or E)
    return q, k, v


SELF = lambda m, x: m(x, x, x)                      # noqa: E731
ENC_DEC = lambda m, x, y: m(x, y, y)                # noqa: E731
SEPARATE = lambda m, x, y, z: m(x, y, z)            # noqa: E731


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kind", ["self", "enc_dec", "separate"])
def test_mha_packed_projection(dtype, batch_first, kind):
    t, n = _pair(8, 2, batch_first=batch_first)
    q, k, v = _shapes(batch_first)
    shapes, call = {"self": ([q], SELF), "enc_dec": ([q, k], ENC_DEC), "separate": ([q, k, v], SEPARATE)}[kind]
    check_module(t, n, shapes, dtype=dtype, call=call)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_need_weights(dtype, need_weights, average, batch_first):
    t, n = _pair(12, 3, batch_first=batch_first)
    q, _, _ = _shapes(batch_first, E=12)

    def call(m, x):
        out, w = m(x, x, x, need_weights=need_weights, average_attn_weights=average)
        return (out, w) if need_weights else out
    check_module(t, n, [q], dtype=dtype, call=call)


@pytest.mark.parametrize("kw", [
    {"bias": False},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"add_bias_kv": True, "add_zero_attn": True, "bias": False},
    {"kdim": 4, "vdim": 6},
    {"kdim": 4, "vdim": 6, "add_bias_kv": True, "add_zero_attn": True},
])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_options(kw, need_weights, batch_first):
    t, n = _pair(8, 2, batch_first=batch_first, **kw)
    q, k, v = _shapes(batch_first, kdim=kw.get("kdim"), vdim=kw.get("vdim"))
    separate = "kdim" in kw

    def call(m, x, y, z=None):
        out, w = m(x, y, y if z is None else z, need_weights=need_weights)
        return (out, w) if need_weights else out
    for dtype in ("float32", "float64"):
        check_module(t, n, [q, k, v] if separate else [q, k], dtype=dtype, call=call)


@pytest.mark.parametrize("kw", [{}, {"add_bias_kv": True, "add_zero_attn": True}, {"kdim": 4, "vdim": 6}])
def test_mha_unbatched(kw):
    t, n = _pair(8, 2, **kw)
    q, k, v = (4, 8), (5, kw.get("kdim", 8)), (5, kw.get("vdim", 8))
    if "kdim" not in kw:
        check_module(t, n, [q], call=SELF)
    check_module(t, n, [q, k, v], call=SEPARATE)
    check_module(t, n, [q, k, v], dtype="float64", call=lambda m, x, y, z: m(x, y, z, need_weights=False)[0])


def test_mha_state_dict_keys_and_order_match_torch():
    for kw in [{}, {"bias": False}, {"add_bias_kv": True}, {"kdim": 3, "vdim": 5, "add_bias_kv": True}]:
        t, n = _pair(8, 2, **kw)
        assert list(n.state_dict()) == list(t.state_dict())
        assert [k for k, _ in n.named_parameters()] == [k for k, _ in t.named_parameters()]
        assert repr(n) == repr(t)
        assert type(n.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
        assert isinstance(n.out_proj, nnn.Linear)
        n.load_state_dict({k: to_nt(v) for k, v in t.state_dict().items()})


def test_mha_init_follows_torch():
    numtorch.manual_seed(0)
    m = nnn.MultiheadAttention(64, 4, add_bias_kv=True)
    bound = (6 / (64 + 192)) ** 0.5  # xavier_uniform on (3E, E)
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / 3 ** 0.5) < 0.05 * bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()
    # out_proj keeps Linear's kaiming-uniform weight
    assert np.abs(m.out_proj.weight.detach().numpy()).max() <= 1 / 64 ** 0.5
    assert m.bias_k.shape == (1, 1, 64) and m.bias_k.detach().numpy().std() > 0
    sep = nnn.MultiheadAttention(6, 2, kdim=4, vdim=5, bias=False)
    assert sep.in_proj_weight is None and sep.q_proj_weight.shape == (6, 6) and sep.k_proj_weight.shape == (6, 4)
    assert sep.v_proj_weight.shape == (6, 5) and sep.in_proj_bias is None and sep.out_proj.bias is None
    assert m.in_proj_weight.dtype == numtorch.float32
    assert nnn.MultiheadAttention(8, 2, dtype=numtorch.float64).in_proj_weight.dtype == numtorch.float64


def test_mha_gradcheck_float64():
    numtorch.manual_seed(1)
    m = nnn.MultiheadAttention(8, 2, add_bias_kv=False).double()
    x = numtorch.randn(4, 3, 8, dtype=numtorch.float64, requires_grad=True)
    y = numtorch.randn(5, 3, 8, dtype=numtorch.float64, requires_grad=True)
    params = list(m.parameters())

    def f(x, y, *ps):
        return m(x, y, y)
    gradcheck(f, [x, y] + params, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=True)
    gradcheck(lambda x, *ps: m(x, x, x, need_weights=False)[0], [x] + params, eps=1e-6, atol=1e-5, rtol=1e-3,
              fast_mode=True)
    sep = nnn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True).double()
    k = numtorch.randn(5, 3, 3, dtype=numtorch.float64, requires_grad=True)
    v = numtorch.randn(5, 3, 5, dtype=numtorch.float64, requires_grad=True)
    gradcheck(lambda x, k, v, *ps: sep(x, k, v), [x, k, v] + list(sep.parameters()), eps=1e-6, atol=1e-5,
              rtol=1e-3, fast_mode=True)


def test_mha_grad_fn_names_match_torch():
    for kw, call in [({}, lambda m, x: m(x, x, x)), ({"batch_first": True}, lambda m, x: m(x, x, x)),
                     ({}, lambda m, x: m(x, x, x, average_attn_weights=False)),
                     ({}, lambda m, x: m(x[0], x[0], x[0]))]:
        t, n = _pair(8, 2, **kw)
        x = R.standard_normal((3, 4, 8)).astype(np.float32)
        to, tw = call(t, to_torch(x, True))
        no, nw = call(n, to_nt(x, True))
        assert no.grad_fn.name() == to.grad_fn.name()
        assert nw.grad_fn.name() == tw.grad_fn.name()


# ---------------------------------------------------------------------- MultiheadAttention: masks
def _bool(shape, p=0.3, keep_first=True):
    m = R.random(shape) < p
    if keep_first:
        m[..., 0] = False  # True = masked out; keep key 0 for every query
    return m


def _float_from(mask, dtype="float32"):
    return np.where(mask, -np.inf, 0.0).astype(dtype) + R.uniform(-0.5, 0.5, mask.shape).astype(dtype)


MASK_CASES = ["kpm_bool", "kpm_float", "attn2d_bool", "attn2d_float", "attn3d_bool", "attn3d_float",
              "both_bool", "both_float"]


@pytest.mark.parametrize("case", MASK_CASES)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_masks(case, need_weights, batch_first):
    N, L, S, H = 3, 4, 5, 2
    t, n = _pair(8, H, batch_first=batch_first)
    q, k, _ = _shapes(batch_first, L=L, S=S, N=N)
    kpm = _bool((N, S))
    a2 = _bool((L, S))
    a3 = _bool((N * H, L, S))

    for dtype in ("float32", "float64"):
        masks = {}
        if case.startswith("kpm") or case.startswith("both"):
            masks["key_padding_mask"] = kpm if case.endswith("bool") else _float_from(kpm, dtype)
        if case.startswith("attn2d") or case.startswith("both"):
            masks["attn_mask"] = a2 if case.endswith("bool") else _float_from(a2, dtype)
        if case.startswith("attn3d"):
            masks["attn_mask"] = a3 if case.endswith("bool") else _float_from(a3, dtype)

        def call(m, x, y):
            kw = {name: _as(x, arr) for name, arr in masks.items()}
            out, w = m(x, y, y, need_weights=need_weights, **kw)
            return (out, w) if need_weights else out
        check_module(t, n, [q, k], dtype=dtype, call=call)


def test_mha_float_mask_gradients():
    # float masks that require grad receive torch's gradient (the scores' gradient summed over broadcasts)
    t, n = _pair(8, 2)
    copy_state(t, n)
    x = R.standard_normal((4, 3, 8)).astype(np.float32)
    am = R.uniform(-1, 1, (4, 4)).astype(np.float32)
    kpm = R.uniform(-1, 1, (3, 4)).astype(np.float32)
    for nw in (True, False):
        ins_t = [to_torch(a, True) for a in (x, am, kpm)]
        ins_n = [to_nt(a, True) for a in (x, am, kpm)]
        ot = t(ins_t[0], ins_t[0], ins_t[0], attn_mask=ins_t[1], key_padding_mask=ins_t[2], need_weights=nw)[0]
        on = n(ins_n[0], ins_n[0], ins_n[0], attn_mask=ins_n[1], key_padding_mask=ins_n[2], need_weights=nw)[0]
        w = R.standard_normal(ot.shape).astype(np.float32)
        (ot * to_torch(w)).sum().backward()
        (on * to_nt(w)).sum().backward()
        for a, b in zip(ins_n, ins_t):
            assert_close(a.grad, b.grad, 1e-5, 1e-3, "mask grad")


def test_mha_mismatched_mask_types_warn_like_torch():
    t, n = _pair(8, 2)
    copy_state(t, n)
    x = R.standard_normal((4, 3, 8)).astype(np.float32)
    kpm = _bool((3, 4))
    am = _float_from(_bool((4, 4)))
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        on = n(to_nt(x), to_nt(x), to_nt(x), key_padding_mask=to_nt(kpm), attn_mask=to_nt(am))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ot = t(to_torch(x), to_torch(x), to_torch(x), key_padding_mask=to_torch(kpm), attn_mask=to_torch(am))
    assert_close(on, ot, 1e-6, 1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same types: no warning
        n(to_nt(x), to_nt(x), to_nt(x), key_padding_mask=to_nt(kpm), attn_mask=to_nt(_bool((4, 4))))


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("with_kpm", [False, True])
def test_mha_is_causal(need_weights, with_kpm):
    # with need_weights=False and no padding mask torch drops attn_mask and uses the causal kernel
    t, n = _pair(8, 2)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    kpm = _bool((3, 4))

    def call(m, x):
        kw = {"attn_mask": _as(x, causal.astype(np.dtype(str(x.dtype).split(".")[-1]))), "is_causal": True,
              "need_weights": need_weights}
        if with_kpm:
            kw["key_padding_mask"] = _as(x, kpm)
        out, w = m(x, x, x, **kw)
        return (out, w) if need_weights else out
    check_module(t, n, [(4, 3, 8)], call=call)


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_fully_masked_rows(batch_first):
    # a sequence whose keys are all padding: need_weights=True is a plain softmax (NaN, as torch);
    # need_weights=False goes through attention kernels that give zeros (as torch's SDPA on CPU)
    t, n = _pair(8, 2, batch_first=batch_first)
    copy_state(t, n)
    q, _, _ = _shapes(batch_first, L=3, N=4)
    x = R.standard_normal(q).astype(np.float32)
    kpm = np.zeros((4, 3), bool)
    kpm[1] = True
    for nw in (True, False):
        ot, wt = t(*[to_torch(x)] * 3, key_padding_mask=to_torch(kpm), need_weights=nw)
        on, wn = n(*[to_nt(x)] * 3, key_padding_mask=to_nt(kpm), need_weights=nw)
        assert_close(on, ot, 1e-6, 1e-3)
        if nw:
            assert_close(wn, wt, 1e-6, 1e-3)
            assert np.isnan(on.detach().numpy()).any()
        else:
            assert not np.isnan(on.detach().numpy()).any()
    # gradients through the zero rows match torch (training mode, need_weights=False). In eval mode without
    # gradients torch's batch-first fast path (_native_multi_head_attention) gives NaN rows instead of zeros;
    # numtorch keeps the zeros of its training-mode and sequence-first results there.
    check_module(t, n, [q], call=lambda m, x: m(x, x, x, key_padding_mask=_as(x, kpm), need_weights=False)[0],
                 check_eval=not batch_first)


def test_mha_dropout_train_and_eval():
    numtorch.manual_seed(0)
    n = nnn.MultiheadAttention(8, 2, dropout=0.5)
    t = torch.nn.MultiheadAttention(8, 2, dropout=0.5)
    copy_state(t, n)
    x = to_nt(R.standard_normal((6, 2, 8)).astype(np.float32))
    _, w = n(x, x, x, average_attn_weights=False)      # training: dropped-out weights
    w = w.detach().numpy()
    assert 0.35 < (w == 0).mean() < 0.65
    assert abs(w.sum(-1).mean() - 1.0) < 0.25        # kept weights are scaled by 1 / (1 - p)
    n.eval()
    t.eval()
    with torch.no_grad(), numtorch.no_grad():
        a = n(x, x, x)
        b = t(to_torch(x), to_torch(x), to_torch(x))
    assert_close(a, b, 1e-6, 1e-3)
    assert np.allclose(a[1].numpy().sum(-1), 1, atol=1e-5)


def test_multi_head_attention_forward_functional():
    # F.multi_head_attention_forward with torch's signature, including static_k / static_v
    E, H, L, S, N = 8, 2, 4, 5, 3
    rng = np.random.default_rng(5)
    arrs = {"q": rng.standard_normal((L, N, E)), "k": rng.standard_normal((S, N, E)),
            "v": rng.standard_normal((S, N, E)), "w": rng.standard_normal((3 * E, E)) * 0.3,
            "b": rng.standard_normal(3 * E) * 0.1, "ow": rng.standard_normal((E, E)) * 0.3,
            "ob": rng.standard_normal(E) * 0.1, "sk": rng.standard_normal((N * H, 6, E // H)),
            "sv": rng.standard_normal((N * H, 6, E // H))}
    for dtype in ("float32", "float64"):
        def run(mod, Fm, conv):
            t = {k: conv(v.astype(dtype), True) for k, v in arrs.items()}
            out1 = Fm.multi_head_attention_forward(t["q"], t["k"], t["v"], E, H, t["w"], t["b"], None, None, False,
                                                   0.0, t["ow"], t["ob"], training=False)
            out2 = Fm.multi_head_attention_forward(t["q"], t["k"], t["v"], E, H, t["w"], t["b"], None, None, True,
                                                   0.0, t["ow"], t["ob"], static_k=t["sk"], static_v=t["sv"],
                                                   average_attn_weights=False)
            loss = (out1[0] ** 2).sum() + (out1[1] * 3).sum() + (out2[0] ** 2).sum() + (out2[1] * 2).sum()
            loss.backward()
            return [out1[0], out1[1], out2[0], out2[1]] + [t[k].grad for k in arrs]
        a = run(numtorch, nF, to_nt)
        b = run(torch, tF, to_torch)
        for i, (x, y) in enumerate(zip(a, b)):
            if y is None:
                assert x is None or not x.numpy().any(), i
                continue
            assert_close(x, y, 1e-5 if dtype == "float32" else 1e-10, 1e-3 if dtype == "float32" else 1e-7, str(i))


def test_merge_masks_matches_torch():
    t, n = _pair(8, 2, batch_first=True)
    x = R.standard_normal((3, 4, 8)).astype(np.float32)
    kpm = _float_from(_bool((3, 4)))
    for am in (_float_from(_bool((4, 4))), _float_from(_bool((6, 4, 4)))):
        for k in (None, kpm):
            mt, tt = t.merge_masks(to_torch(am), None if k is None else to_torch(k), to_torch(x))
            mn, tn = n.merge_masks(to_nt(am), None if k is None else to_nt(k), to_nt(x))
            assert tn == tt
            assert_close(mn, mt, 0, 0)
    assert n.merge_masks(None, to_nt(kpm), to_nt(x))[1] == t.merge_masks(None, to_torch(kpm), to_torch(x))[1]


# ---------------------------------------------------------------------- MultiheadAttention: errors
def _mha(mod, *a, **k):
    mod.manual_seed(0)
    return mod.nn.MultiheadAttention(*a, **k)


MHA_ERRORS = [
    lambda m: _mha(m, 10, 3),
    lambda m: _mha(m, 0, 2),
    lambda m: _mha(m, 8, -1),
    lambda m: _mha(m, 512, 8)(_r(m, 4, 2, 256), _r(m, 4, 2, 256), _r(m, 4, 2, 256)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 2, 8), _r(m, 5, 2, 8), _r(m, 6, 2, 8)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 2, 8), _r(m, 5, 2, 8), _r(m, 5, 8)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 8), _r(m, 5, 2, 8), _r(m, 5, 2, 8)),
    lambda m: _mha(m, 8, 2)(_r(m, 1, 4, 2, 8), _r(m, 1, 4, 2, 8), _r(m, 1, 4, 2, 8)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 2, 8), _r(m, 4, 2, 8), _r(m, 4, 2, 8), attn_mask=_r(m, 4, 5)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 2, 8), _r(m, 4, 2, 8), _r(m, 4, 2, 8), attn_mask=_r(m, 2, 4, 4)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 2, 8), _r(m, 4, 2, 8), _r(m, 4, 2, 8), attn_mask=_r(m, 4)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 8), _r(m, 4, 8), _r(m, 4, 8), attn_mask=_r(m, 3, 4, 4)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 2, 8), _r(m, 4, 2, 8), _r(m, 4, 2, 8), key_padding_mask=_r(m, 3, 4)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 2, 8), _r(m, 4, 2, 8), _r(m, 4, 2, 8), key_padding_mask=_r(m, 2, 5)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 2, 8), _r(m, 4, 2, 8), _r(m, 4, 2, 8), key_padding_mask=_r(m, 4)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 2, 8), _r(m, 4, 2, 8), _r(m, 4, 2, 8),
                            key_padding_mask=m.ones(2, 4, dtype=m.int64)),
    lambda m: _mha(m, 8, 2)(_r(m, 4, 2, 8), _r(m, 4, 2, 8), _r(m, 4, 2, 8), is_causal=True),
    lambda m: _mha(m, 8, 2, kdim=3, vdim=5)(_r(m, 4, 2, 8), _r(m, 5, 2, 3), _r(m, 6, 2, 5)),
    lambda m: _mha(m, 8, 2, kdim=3, vdim=5)(_r(m, 4, 2, 8), _r(m, 5, 2, 4), _r(m, 5, 2, 5)),
]


@pytest.mark.parametrize("call", MHA_ERRORS)
def test_mha_errors_match_torch(call):
    _same_error(lambda: call(torch), lambda: call(numtorch))


def test_functional_exports():
    import numtorch.ops.attention as att
    for name in att.__all__:
        assert hasattr(tF, name), name
        assert getattr(nF, name) is getattr(att, name)
    from numtorch.nn.modules.activation import MultiheadAttention
    assert MultiheadAttention is nnn.MultiheadAttention
