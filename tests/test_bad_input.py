"""Bad input across the public API: numtorch raises what torch raises, and says what it expected and what came.

One table, :data:`CASES`. Each case is a callable ``fn(L)`` written once for both libraries (``L`` is ``torch``
or ``numtorch``) that makes one bad call. For every case torch must raise (torch is the specification: a call
torch accepts is not a bad call), numtorch must raise the same exception class, and numtorch's message must be
torch's (up to the library's name) or, where the case lists fragments, contain each of them: the argument's
name and the expected and received values.
"""
import io
import pickle
import tempfile
import warnings
import zipfile

import numpy as np
import pytest

import numtorch
from helpers import torch

pytestmark = pytest.mark.torch


def _t(L, *shape, dtype=None, rg=False):
    """A tensor of ones of the given shape (and dtype name) in library ``L``."""
    return L.ones(*shape, dtype=getattr(L, dtype) if dtype else None, requires_grad=rg)


def _i(L, *values):
    """An int64 tensor holding ``values``."""
    return L.tensor(list(values))


def _Fn(L):
    return L.nn.functional


class _Identity(object):
    pass


# ---------------------------------------------------------------------- calls that need statements
def _backward_twice(L):
    x = _t(L, 3, rg=True)
    y = (x.exp() * 2).sum()
    y.backward()
    y.backward()


def _backward_non_scalar(L):
    (_t(L, 3, rg=True) * 2).backward()


def _backward_no_grad_fn(L):
    _t(L, 3).sum().backward()


def _backward_wrong_grad_shape(L):
    (_t(L, 3, rg=True) * 2).backward(_t(L, 2))


def _inplace_leaf(L):
    _t(L, 3, rg=True).add_(1)


def _inplace_leaf_view(L):
    x = _t(L, 3, rg=True)
    x[0:2].mul_(2)


def _inplace_saved(L):
    x = _t(L, 3, rg=True)
    y = x.exp()
    y.add_(1)
    y.sum().backward()


def _inplace_saved_input(L):
    x = _t(L, 3, rg=True)
    h = x * 1
    y = h.sigmoid() * h
    h.mul_(2)
    y.sum().backward()


def _grad_unused(L):
    x, z = _t(L, 3, rg=True), _t(L, 3, rg=True)
    L.autograd.grad((x * 2).sum(), [x, z])


def _grad_not_requiring(L):
    x = _t(L, 3, rg=True)
    L.autograd.grad((x * 2).sum(), [_t(L, 3)])


def _grad_wrong_shape_grad_outputs(L):
    x = _t(L, 3, rg=True)
    L.autograd.grad(x * 2, x, grad_outputs=_t(L, 4))


def _assign_grad_wrong_shape(L):
    x = _t(L, 3, rg=True)
    x.grad = _t(L, 4)


def _assign_grad_wrong_dtype(L):
    x = _t(L, 3, rg=True)
    x.grad = _t(L, 3, dtype="float64")


def _nonleaf_requires_grad_false(L):
    (_t(L, 3, rg=True) * 2).requires_grad_(False)


def _custom_function_wrong_grads(L):
    class Twice(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    Twice.apply(_t(L, 3, rg=True)).sum().backward()


def _setitem_shape(L):
    x = _t(L, 2, 3)
    x[0] = _t(L, 4)


def _setitem_leaf(L):
    x = _t(L, 2, 3, rg=True)
    x[0] = 0.0


def _numpy_requires_grad(L):
    _t(L, 2, rg=True).numpy()


def _state_dict_case(kind):
    def call(L):
        m = L.nn.Linear(3, 4)
        sd = {"weight": L.zeros(4, 3), "bias": L.zeros(4)}
        if kind == "missing":
            del sd["bias"]
        elif kind == "unexpected":
            sd["extra"] = L.zeros(1)
        elif kind == "shape":
            sd["weight"] = L.zeros(4, 2)
        elif kind == "type":
            sd["weight"] = [[0.0] * 3] * 4
        elif kind == "not_a_dict":
            sd = [("weight", L.zeros(4, 3))]
        m.load_state_dict(sd)
    return call


def _bn_state_dict_shape(L):
    m = L.nn.BatchNorm1d(3)
    sd = m.state_dict()
    sd["running_mean"] = L.zeros(4)
    m.load_state_dict(sd)


def _nested_state_dict_missing(L):
    m = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.ReLU(), L.nn.Linear(2, 1))
    sd = m.state_dict()
    del sd["2.weight"]
    m.load_state_dict(sd)


def _register_buffer_existing(L):
    L.nn.Linear(2, 2).register_buffer("weight", L.zeros(1))


def _assign_tensor_to_parameter(L):
    m = L.nn.Linear(2, 2)
    m.weight = L.zeros(2, 2)


def _optim_param(L):
    return [L.nn.Parameter(L.zeros(3))]


def _optim_load_groups(L):
    a, b = L.nn.Parameter(L.zeros(3)), L.nn.Parameter(L.zeros(3))
    opt = L.optim.SGD([a, b], lr=0.1)
    two = L.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    opt.load_state_dict(two.state_dict())


def _optim_load_sizes(L):
    a, b = L.nn.Parameter(L.zeros(3)), L.nn.Parameter(L.zeros(3))
    opt = L.optim.SGD([a, b], lr=0.1)
    one = L.optim.SGD([a], lr=0.1)
    opt.load_state_dict(one.state_dict())


def _optim_duplicate_groups(L):
    a = L.nn.Parameter(L.zeros(3))
    L.optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)


def _optim_add_group_overlap(L):
    a = L.nn.Parameter(L.zeros(3))
    opt = L.optim.Adam([a])
    opt.add_param_group({"params": [a]})


def _optim_nonleaf(L):
    a = L.nn.Parameter(L.zeros(3))
    L.optim.SGD([a * 2], lr=0.1)


def _sched(L, cls, *args, **kw):
    opt = L.optim.SGD(_optim_param(L), lr=0.1)
    return getattr(L.optim.lr_scheduler, cls)(opt, *args, **kw)


def _lambda_lr_count(L):
    a, b = L.nn.Parameter(L.zeros(3)), L.nn.Parameter(L.zeros(3))
    opt = L.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    L.optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0])


def _loader(L, **kw):
    return L.utils.data.DataLoader(list(range(6)), **kw)


def _save_generator(L):
    L.save({"g": (i for i in range(3))}, io.BytesIO())


def _save_missing_dir(L):
    L.save({"a": L.zeros(1)}, "/nonexistent-dir-of-bad-input-test/x.pt")


def _save_to_directory(L):
    L.save({"a": L.zeros(1)}, tempfile.gettempdir())


def _load_zip_not_checkpoint(L):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("foo.txt", "hello")
    buf.seek(0)
    L.load(buf)


def _load_plain_pickle(L):
    L.load(io.BytesIO(pickle.dumps({"a": _Identity()})))


def _load_missing_file(L):
    L.load("/nonexistent-dir-of-bad-input-test/x.pt")


def _mha(L, *shapes, **kw):
    m = L.nn.MultiheadAttention(8, 2)
    return m(*[_t(L, *s) for s in shapes], **kw)


def _mha_mask(L):
    m = L.nn.MultiheadAttention(8, 2)
    x = _t(L, 4, 2, 8)
    m(x, x, x, attn_mask=L.zeros(3, 3, dtype=L.bool))


def _mha_kv_mismatch(L):
    m = L.nn.MultiheadAttention(8, 2)
    m(_t(L, 4, 2, 8), _t(L, 5, 2, 8), _t(L, 6, 2, 8))


def _transformer_batch(L):
    m = L.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    m(_t(L, 3, 2, 8), _t(L, 4, 3, 8))


def _transformer_features(L):
    m = L.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    m(_t(L, 3, 2, 6), _t(L, 4, 2, 6))


def _clip_nonfinite(L):
    p = L.nn.Parameter(L.zeros(3))
    p.grad = L.tensor([1.0, float("inf"), 0.0])
    L.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def _pack_unsorted(L):
    L.nn.utils.rnn.pack_padded_sequence(_t(L, 4, 2, 3), L.tensor([2, 4]))


def _module_no_forward(L):
    L.nn.Module()(_t(L, 1))


def _bool_tensor(L):
    bool(_t(L, 2))


def _len_0d(L):
    len(L.tensor(1.0))


def _iter_0d(L):
    iter(L.tensor(1.0))


def _float_multi(L):
    float(_t(L, 2))


# ---------------------------------------------------------------------- the table
class Case:
    """One bad call: ``fn(L)``; ``contains``: fragments numtorch's message must hold (None: torch's message)."""

    def __init__(self, id, fn, *contains):
        self.id, self.fn, self.contains = id, fn, contains


C = Case
CASES = [
    # --- tensor creation
    # torch 2.13's zeros() says only "Dimension size must be non-negative."; numtorch names the size, as torch's
    # other factories do
    C("zeros_negative", lambda L: L.zeros(-1, 2), "negative dimension -1", "[-1, 2]"),
    C("ones_negative_tuple", lambda L: L.ones((2, -3))),
    C("empty_negative", lambda L: L.empty(-1)),
    C("randn_negative", lambda L: L.randn(2, -1)),
    C("rand_negative", lambda L: L.rand(-2)),
    C("full_negative", lambda L: L.full((2, -1), 1.0)),
    C("zeros_float_size", lambda L: L.zeros(2, 2.5), "argument 'size'", "float", "pos 1"),
    C("tensor_ragged", lambda L: L.tensor([[1, 2], [3]])),
    C("tensor_ragged_deep", lambda L: L.tensor([[[1.0], [2.0]], [[3.0]]])),
    C("tensor_str_element", lambda L: L.tensor([1, "a"])),
    C("tensor_none_element", lambda L: L.tensor([1.0, None])),
    C("tensor_not_a_sequence", lambda L: L.tensor([[1, 2], 3]), "not a sequence", "length 2 at dim 1"),
    # numtorch also accepts dtype names and NumPy dtypes (a convenience); a number is no dtype in either
    C("zeros_dtype_int", lambda L: L.zeros(2, dtype=3), "dtype", "3"),
    C("arange_zero_step", lambda L: L.arange(0, 10, 0)),
    C("arange_wrong_sign", lambda L: L.arange(10, 0, 1)),
    C("linspace_negative_steps", lambda L: L.linspace(0, 1, -1)),
    C("eye_negative", lambda L: L.eye(-1)),
    C("randint_low_high", lambda L: L.randint(5, 2, (3,))),
    C("randperm_negative", lambda L: L.randperm(-1)),
    C("normal_negative_std", lambda L: _t(L, 3).normal_(0.0, -1.0)),
    C("uniform_bounds", lambda L: _t(L, 3).uniform_(1.0, 0.0)),
    # numtorch's list of supported NumPy types leaves out the unsigned types it does not have
    C("from_numpy_str", lambda L: L.from_numpy(np.array(["a", "b"])), "can't convert np.ndarray of type numpy.str_"),
    C("to_bad_device", lambda L: _t(L, 2).to("foo"), "Expected one of cpu, cuda", "device string: foo"),
    C("type_bad_string", lambda L: _t(L, 2).type("foo")),
    C("full_like_negative", lambda L: L.empty((2, 3)).new_zeros(-1)),
    # --- arithmetic and broadcasting
    C("add_broadcast", lambda L: _t(L, 2, 3) + _t(L, 4)),
    C("mul_broadcast", lambda L: _t(L, 2, 3).mul(_t(L, 3, 2))),
    C("add_inplace_broadcast", lambda L: _t(L, 2, 3).add_(_t(L, 4, 2, 3))),
    C("add_inplace_int_float", lambda L: _t(L, 3, dtype="int64").add_(_t(L, 3))),
    # torch: "only integer tensors of a single element can be converted to an index"; numtorch names the type
    C("mul_str", lambda L: _t(L, 3) * "a", "str"),
    C("where_shape", lambda L: L.where(_t(L, 3) > 0, _t(L, 3), _t(L, 4))),
    C("where_float_cond", lambda L: L.where(_t(L, 3), _t(L, 3), _t(L, 3))),
    C("clamp_none", lambda L: L.clamp(_t(L, 3))),
    C("bool_sub", lambda L: _t(L, 3, dtype="bool") - _t(L, 3, dtype="bool")),
    C("bool_neg", lambda L: -_t(L, 3, dtype="bool")),
    C("bitwise_float", lambda L: _t(L, 3).bitwise_and(_t(L, 3))),
    C("int_floor_div_zero", lambda L: _t(L, 3, dtype="int64") // 0),
    C("masked_fill_float_mask", lambda L: _t(L, 3).masked_fill(_t(L, 3), 0.0)),
    C("masked_fill_shape", lambda L: _t(L, 2, 3).masked_fill(L.ones(4, dtype=L.bool), 0.0)),
    C("int_negative_power", lambda L: L.tensor([2]) ** -1),
    C("lerp_dtype", lambda L: L.lerp(_t(L, 3), _t(L, 3, dtype="float64"), 0.5)),
    C("addcmul_shape", lambda L: L.addcmul(_t(L, 3), _t(L, 2), _t(L, 3))),
    # --- matrix products
    C("mm_shapes", lambda L: L.mm(_t(L, 2, 3), _t(L, 4, 5))),
    C("mm_vector", lambda L: L.mm(_t(L, 3), _t(L, 3, 2))),
    C("mm_dtype", lambda L: L.mm(_t(L, 2, 3), _t(L, 3, 2, dtype="float64"))),
    C("bmm_batches", lambda L: L.bmm(_t(L, 2, 3, 4), _t(L, 3, 4, 5))),
    C("bmm_2d", lambda L: L.bmm(_t(L, 3, 4), _t(L, 4, 5))),
    C("bmm_inner", lambda L: L.bmm(_t(L, 2, 3, 4), _t(L, 2, 5, 6))),
    C("matmul_vectors", lambda L: L.matmul(_t(L, 3), _t(L, 4))),
    C("matmul_0d", lambda L: L.matmul(L.tensor(1.0), _t(L, 3))),
    C("matmul_batch_broadcast", lambda L: L.matmul(_t(L, 2, 3, 4), _t(L, 5, 4, 2))),
    C("matmul_inner", lambda L: _t(L, 2, 3) @ _t(L, 4, 2)),
    C("mv_shapes", lambda L: L.mv(_t(L, 2, 3), _t(L, 4))),
    C("dot_2d", lambda L: L.dot(_t(L, 3), _t(L, 3, 1))),
    C("dot_sizes", lambda L: L.dot(_t(L, 3), _t(L, 4))),
    C("matmul_int_float", lambda L: L.matmul(_t(L, 2, 3, dtype="int64"), _t(L, 3, 2))),
    # --- reductions
    C("sum_dim_range", lambda L: _t(L, 2, 3).sum(dim=2)),
    C("mean_dim_repeated", lambda L: _t(L, 2, 3).mean(dim=(0, 0))),
    C("mean_int", lambda L: _t(L, 3, dtype="int64").mean()),
    C("max_empty", lambda L: _t(L, 0).max()),
    C("argmax_empty_dim", lambda L: _t(L, 2, 0).argmax(dim=1)),
    C("max_dim_range", lambda L: _t(L, 2, 3).max(dim=5)),
    C("std_dim_range", lambda L: _t(L, 2, 3).std(dim=-3)),
    C("var_int", lambda L: _t(L, 3, dtype="int64").var()),
    C("cumsum_dim_range", lambda L: _t(L, 2, 3).cumsum(dim=3)),
    C("topk_k_range", lambda L: _t(L, 2, 3).topk(5)),
    C("sort_dim_range", lambda L: _t(L, 2, 3).sort(dim=2)),
    C("logsumexp_dim_range", lambda L: L.logsumexp(_t(L, 2, 3), dim=4)),
    C("prod_dim_range", lambda L: _t(L, 2, 3).prod(dim=-4)),
    C("topk_dim_range", lambda L: _t(L, 3).topk(1, dim=1)),
    C("median_dim_range", lambda L: _t(L, 3).median(dim=1)),
    C("norm_dim_range", lambda L: _t(L, 2, 3).norm(dim=2)),
    C("amax_dim_range", lambda L: _t(L, 2, 3).amax(dim=(0, 2))),
    # --- shape operations
    C("view_size", lambda L: _t(L, 2, 3).view(4, 2)),
    C("reshape_two_inferred", lambda L: _t(L, 2, 3).reshape(-1, -1)),
    C("view_negative", lambda L: _t(L, 2, 3).view(-2, 3)),
    C("view_non_contiguous", lambda L: _t(L, 2, 3).t().view(6)),
    C("permute_length", lambda L: _t(L, 2, 3).permute(0)),
    C("permute_duplicate", lambda L: _t(L, 2, 3).permute(0, 0)),
    C("cat_sizes", lambda L: L.cat([_t(L, 2, 3), _t(L, 2, 4)])),
    C("cat_empty", lambda L: L.cat([])),
    C("cat_ranks", lambda L: L.cat([_t(L, 2, 3), _t(L, 3)])),
    C("cat_dim_range", lambda L: L.cat([_t(L, 2)], dim=2)),
    C("stack_sizes", lambda L: L.stack([_t(L, 2), _t(L, 3)])),
    C("stack_empty", lambda L: L.stack([])),
    C("split_zero", lambda L: _t(L, 6).split(0)),
    C("split_sizes_sum", lambda L: _t(L, 6).split([2, 3])),
    C("chunk_zero", lambda L: _t(L, 6).chunk(0)),
    C("squeeze_dim_range", lambda L: _t(L, 2, 3).squeeze(3)),
    C("unsqueeze_dim_range", lambda L: _t(L, 2, 3).unsqueeze(4)),
    C("transpose_dim_range", lambda L: _t(L, 2, 3).transpose(0, 2)),
    C("expand_mismatch", lambda L: _t(L, 2, 3).expand(3, 3)),
    C("expand_fewer", lambda L: _t(L, 2, 3).expand(3)),
    C("flatten_order", lambda L: _t(L, 2, 3, 4).flatten(2, 1)),
    C("unflatten_sizes", lambda L: _t(L, 2, 3).unflatten(1, (2, 2))),
    C("repeat_fewer", lambda L: _t(L, 2, 3).repeat(2)),
    C("narrow_range", lambda L: _t(L, 2, 3).narrow(1, 2, 3)),
    C("roll_align", lambda L: _t(L, 2, 3).roll((1, 2), (0,))),
    C("flip_dim_range", lambda L: _t(L, 2, 3).flip(2)),
    C("movedim_range", lambda L: _t(L, 2, 3).movedim(0, 2)),
    C("tril_1d", lambda L: L.tril(_t(L, 3))),
    C("gather_float_index", lambda L: _t(L, 2, 3).gather(1, _t(L, 2, 3))),
    C("gather_out_of_range", lambda L: _t(L, 2, 3).gather(1, L.tensor([[5]]))),
    C("scatter_out_of_range", lambda L: _t(L, 2, 3).scatter(1, L.tensor([[7]]), 0.0)),
    C("index_select_range", lambda L: _t(L, 2, 3).index_select(0, L.tensor([2]))),
    C("index_select_2d_index", lambda L: _t(L, 2, 3).index_select(0, L.tensor([[0]]))),
    # --- indexing and conversion
    C("index_out_of_range", lambda L: _t(L, 2, 3)[2]),
    C("index_too_many", lambda L: _t(L, 2, 3)[0, 0, 0]),
    # torch reads the string as tensor data ("new(): invalid data type 'str'"); numtorch says what indexes are
    C("index_str", lambda L: _t(L, 2, 3)["a"], "valid indices", "str"),
    C("index_mask_shape", lambda L: _t(L, 2, 3)[L.tensor([True, False, True])]),
    C("index_float_tensor", lambda L: _t(L, 2, 3)[L.tensor([0.5])]),
    C("index_tensor_range", lambda L: _t(L, 2, 3)[L.tensor([5])]),
    C("index_str_in_tuple", lambda L: _t(L, 2, 3)[0, "a"], "str"),
    C("index_negative_step", lambda L: _t(L, 2, 3)[::-1]),
    C("index_0d", lambda L: L.tensor(1.0)[0]),
    C("setitem_shape", _setitem_shape),
    C("item_many", lambda L: _t(L, 2, 3).item()),
    C("float_many", _float_multi),
    C("bool_many", _bool_tensor),
    C("len_0d", _len_0d),
    C("iter_0d", _iter_0d),
    C("numpy_requires_grad", _numpy_requires_grad),
    # --- activations
    C("softmax_dim_range", lambda L: _Fn(L).softmax(_t(L, 2, 3), dim=5)),
    C("softmax_int", lambda L: _Fn(L).softmax(_t(L, 3, dtype="int64"), 0)),
    C("log_softmax_dim_range", lambda L: _Fn(L).log_softmax(_t(L, 2, 3), dim=-3)),
    C("glu_odd", lambda L: _Fn(L).glu(_t(L, 2, 3))),
    C("hardtanh_bounds", lambda L: _Fn(L).hardtanh(_t(L, 3), min_val=2.0, max_val=1.0)),
    C("prelu_channels", lambda L: _Fn(L).prelu(_t(L, 2, 3), _t(L, 2))),
    C("gelu_approximate", lambda L: _Fn(L).gelu(_t(L, 3), approximate="foo")),
    C("rrelu_bounds", lambda L: _Fn(L).rrelu(_t(L, 3), lower=0.5, upper=0.1, training=True)),
    C("celu_alpha_zero", lambda L: _Fn(L).celu(_t(L, 3), alpha=0.0)),
    C("relu_not_tensor", lambda L: _Fn(L).relu("a")),
    C("softplus_int", lambda L: _Fn(L).softplus(_t(L, 3, dtype="int64"))),
    C("module_softmax_dim", lambda L: L.nn.Softmax(dim=3)(_t(L, 2, 3))),
    C("module_prelu_channels", lambda L: L.nn.PReLU(3)(_t(L, 2, 4))),
    # --- linear
    C("linear_in_features", lambda L: _Fn(L).linear(_t(L, 2, 3), _t(L, 4, 5))),
    C("linear_bias", lambda L: _Fn(L).linear(_t(L, 2, 3), _t(L, 4, 3), _t(L, 5))),
    C("bilinear_input2", lambda L: _Fn(L).bilinear(_t(L, 2, 3), _t(L, 2, 4), _t(L, 5, 3, 3))),
    C("Linear_forward", lambda L: L.nn.Linear(3, 4)(_t(L, 2, 5))),
    C("Linear_negative", lambda L: L.nn.Linear(-1, 3)),
    C("Linear_dtype", lambda L: L.nn.Linear(3, 4)(_t(L, 2, 3, dtype="float64"))),
    C("Bilinear_forward", lambda L: L.nn.Bilinear(3, 4, 5)(_t(L, 2, 3), _t(L, 2, 3))),
    # --- convolution
    C("Conv2d_channels", lambda L: L.nn.Conv2d(3, 4, 3)(_t(L, 1, 5, 8, 8))),
    C("Conv2d_groups_in", lambda L: L.nn.Conv2d(3, 4, 3, groups=2)),
    C("Conv2d_groups_out", lambda L: L.nn.Conv2d(3, 4, 3, groups=3)),
    C("Conv2d_groups_zero", lambda L: L.nn.Conv2d(3, 4, 3, groups=0)),
    C("Conv2d_same_strided", lambda L: L.nn.Conv2d(3, 4, 3, padding="same", stride=2)),
    C("Conv2d_padding_mode", lambda L: L.nn.Conv2d(3, 4, 3, padding_mode="foo"), "padding_mode must be one of",
      "'zeros'", "'circular'", "but got padding_mode='foo'"),
    # torch prints a Python set here, whose order changes from run to run
    C("Conv2d_padding_string", lambda L: L.nn.Conv2d(3, 4, 3, padding="full"), "Invalid padding string 'full'",
      "'same'", "'valid'"),
    C("Conv1d_kernel_too_big", lambda L: L.nn.Conv1d(3, 4, 3)(_t(L, 1, 3, 2))),
    C("Conv1d_4d_input", lambda L: L.nn.Conv1d(3, 4, 3)(_t(L, 1, 3, 8, 8))),
    C("Conv3d_rank", lambda L: L.nn.Conv3d(3, 4, 3)(_t(L, 3, 8, 8))),
    C("ConvTranspose2d_padding_mode", lambda L: L.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")),
    C("ConvTranspose2d_channels", lambda L: L.nn.ConvTranspose2d(3, 4, 3)(_t(L, 1, 4, 8, 8))),
    C("conv2d_stride_zero", lambda L: _Fn(L).conv2d(_t(L, 1, 3, 8, 8), _t(L, 4, 3, 3, 3), stride=0)),
    C("conv2d_dtype", lambda L: _Fn(L).conv2d(_t(L, 1, 3, 8, 8), _t(L, 4, 3, 3, 3, dtype="float64"))),
    # --- pooling
    C("max_pool2d_kernel_too_big", lambda L: _Fn(L).max_pool2d(_t(L, 1, 1, 4, 4), 5)),
    C("max_pool2d_padding", lambda L: _Fn(L).max_pool2d(_t(L, 1, 1, 4, 4), 2, padding=2)),
    C("avg_pool2d_kernel_zero", lambda L: _Fn(L).avg_pool2d(_t(L, 1, 1, 4, 4), 0)),
    C("max_pool2d_1d_input", lambda L: _Fn(L).max_pool2d(_t(L, 4), 2)),
    C("adaptive_avg_pool2d_size", lambda L: _Fn(L).adaptive_avg_pool2d(_t(L, 1, 1, 4, 4), (2, 2, 2))),
    C("MaxPool2d_stride_zero", lambda L: L.nn.MaxPool2d(2, stride=0)(_t(L, 1, 1, 4, 4))),
    C("avg_pool1d_padding", lambda L: _Fn(L).avg_pool1d(_t(L, 1, 1, 4), 2, padding=3)),
    C("AdaptiveMaxPool1d_rank", lambda L: L.nn.AdaptiveMaxPool1d(2)(_t(L, 1, 1, 4, 4))),
    C("max_pool1d_dilation", lambda L: _Fn(L).max_pool1d(_t(L, 1, 1, 8), 2, dilation=0)),
    # --- padding
    C("pad_odd_length", lambda L: _Fn(L).pad(_t(L, 1, 1, 4), (1,))),
    C("pad_too_long", lambda L: _Fn(L).pad(_t(L, 4), (1, 1, 1, 1))),
    C("pad_reflect_too_big", lambda L: _Fn(L).pad(_t(L, 1, 1, 4), (5, 5), mode="reflect")),
    C("pad_bad_mode", lambda L: _Fn(L).pad(_t(L, 1, 1, 4), (1, 1), mode="foo")),
    C("pad_negative_size", lambda L: _Fn(L).pad(_t(L, 1, 4), (-3, -3))),
    C("pad_reflect_value", lambda L: _Fn(L).pad(_t(L, 1, 1, 4), (1, 1), mode="reflect", value=1.0)),
    C("ReflectionPad2d_too_big", lambda L: L.nn.ReflectionPad2d(2)(_t(L, 1, 1, 2, 2))),
    # --- interpolation
    C("interpolate_both", lambda L: _Fn(L).interpolate(_t(L, 1, 1, 4), size=2, scale_factor=2)),
    C("interpolate_neither", lambda L: _Fn(L).interpolate(_t(L, 1, 1, 4))),
    C("interpolate_mode_rank", lambda L: _Fn(L).interpolate(_t(L, 1, 1, 4), size=8, mode="bilinear")),
    C("interpolate_bad_mode", lambda L: _Fn(L).interpolate(_t(L, 1, 1, 4), scale_factor=2, mode="foo")),
    C("interpolate_size_rank", lambda L: _Fn(L).interpolate(_t(L, 1, 1, 4, 4), size=(2, 2, 2))),
    C("interpolate_align_nearest", lambda L: _Fn(L).interpolate(_t(L, 1, 1, 4), scale_factor=2,
                                                                 align_corners=True)),
    C("grid_sample_grid_shape", lambda L: _Fn(L).grid_sample(_t(L, 1, 1, 4, 4), _t(L, 1, 3, 3, 3),
                                                             align_corners=False)),
    # --- losses
    C("cross_entropy_float_index_target", lambda L: _Fn(L).cross_entropy(_t(L, 3, 5), L.tensor([0.0, 1.0, 2.0]))),
    C("cross_entropy_target_range", lambda L: _Fn(L).cross_entropy(_t(L, 3, 5), L.tensor([0, 1, 7]))),
    C("cross_entropy_batch", lambda L: _Fn(L).cross_entropy(_t(L, 3, 5), L.tensor([0, 1]))),
    C("cross_entropy_3d_target", lambda L: _Fn(L).cross_entropy(_t(L, 2, 5, 4), L.zeros(2, dtype=L.int64))),
    C("cross_entropy_smoothing", lambda L: _Fn(L).cross_entropy(_t(L, 3, 5), L.tensor([0, 1, 2]),
                                                                label_smoothing=1.5)),
    C("mse_loss_shape", lambda L: _Fn(L).mse_loss(_t(L, 3), _t(L, 4))),
    C("l1_loss_reduction", lambda L: _Fn(L).l1_loss(_t(L, 3), _t(L, 3), reduction="avg")),
    C("nll_loss_negative_target", lambda L: _Fn(L).nll_loss(_t(L, 3, 5), L.tensor([0, -3, 1]))),
    C("bce_out_of_range", lambda L: _Fn(L).binary_cross_entropy(_t(L, 3) * 2, _t(L, 3))),
    C("bce_with_logits_shape", lambda L: _Fn(L).binary_cross_entropy_with_logits(_t(L, 4, 1), _t(L, 4))),
    C("kl_div_shape", lambda L: _Fn(L).kl_div(_t(L, 3), _t(L, 4))),
    C("margin_ranking_shape", lambda L: _Fn(L).margin_ranking_loss(_t(L, 3), _t(L, 4), _t(L, 3))),
    C("cosine_embedding_target", lambda L: _Fn(L).cosine_embedding_loss(_t(L, 3, 4), _t(L, 3, 4), _t(L, 2))),
    C("triplet_margin_shape", lambda L: _Fn(L).triplet_margin_loss(_t(L, 3, 4), _t(L, 3, 5), _t(L, 3, 4))),
    C("huber_delta", lambda L: _Fn(L).huber_loss(_t(L, 3), _t(L, 3), delta=-1.0)),
    C("gaussian_nll_negative_var", lambda L: _Fn(L).gaussian_nll_loss(_t(L, 3), _t(L, 3), -_t(L, 3))),
    C("gaussian_nll_var_shape", lambda L: _Fn(L).gaussian_nll_loss(_t(L, 3, 4), _t(L, 3, 4), _t(L, 2, 4))),
    C("CrossEntropyLoss_reduction", lambda L: L.nn.CrossEntropyLoss(reduction="foo")(_t(L, 3, 5),
                                                                                     L.tensor([0, 1, 2]))),
    C("NLLLoss_weight_size", lambda L: L.nn.NLLLoss(weight=_t(L, 4))(_t(L, 3, 5), L.tensor([0, 1, 2]))),
    C("multi_margin_p", lambda L: _Fn(L).multi_margin_loss(_t(L, 3, 5), L.tensor([0, 1, 2]), p=3)),
    C("poisson_nll_shape", lambda L: _Fn(L).poisson_nll_loss(_t(L, 3), _t(L, 4))),
    # --- normalization
    C("layer_norm_shape", lambda L: _Fn(L).layer_norm(_t(L, 2, 3), (4,))),
    C("batch_norm_running", lambda L: _Fn(L).batch_norm(_t(L, 2, 3), _t(L, 4), _t(L, 4))),
    C("BatchNorm1d_one_value", lambda L: L.nn.BatchNorm1d(3)(_t(L, 1, 3))),
    C("BatchNorm2d_rank", lambda L: L.nn.BatchNorm2d(3)(_t(L, 2, 3, 4))),
    C("BatchNorm1d_channels", lambda L: L.nn.BatchNorm1d(3)(_t(L, 2, 4))),
    C("group_norm_groups", lambda L: _Fn(L).group_norm(_t(L, 2, 6, 4), 4)),
    C("GroupNorm_ctor", lambda L: L.nn.GroupNorm(4, 6)),
    C("InstanceNorm1d_affine_channels", lambda L: L.nn.InstanceNorm1d(3, affine=True)(_t(L, 2, 4, 5))),
    C("rms_norm_shape", lambda L: _Fn(L).rms_norm(_t(L, 2, 3), (4,))),
    C("normalize_dim_range", lambda L: _Fn(L).normalize(_t(L, 2, 3), dim=3)),
    C("LayerNorm_forward", lambda L: L.nn.LayerNorm(4)(_t(L, 2, 3))),
    C("local_response_norm_rank", lambda L: _Fn(L).local_response_norm(_t(L, 3, 4), 2)),
    # --- attention and transformers
    C("sdpa_embed", lambda L: _Fn(L).scaled_dot_product_attention(_t(L, 2, 3, 4), _t(L, 2, 5, 6), _t(L, 2, 5, 4))),
    C("sdpa_causal_and_mask", lambda L: _Fn(L).scaled_dot_product_attention(
        _t(L, 2, 3, 4), _t(L, 2, 3, 4), _t(L, 2, 3, 4), attn_mask=L.ones(3, 3, dtype=L.bool), is_causal=True)),
    C("sdpa_mask_shape", lambda L: _Fn(L).scaled_dot_product_attention(
        _t(L, 2, 3, 4), _t(L, 2, 5, 4), _t(L, 2, 5, 4), attn_mask=_t(L, 3, 4))),
    C("MultiheadAttention_heads", lambda L: L.nn.MultiheadAttention(10, 3)),
    C("MultiheadAttention_embed", lambda L: _mha(L, (4, 2, 6), (4, 2, 6), (4, 2, 6))),
    C("MultiheadAttention_kv", _mha_kv_mismatch),
    C("MultiheadAttention_mask", _mha_mask),
    C("TransformerEncoderLayer_heads", lambda L: L.nn.TransformerEncoderLayer(10, 3)),
    C("TransformerEncoderLayer_activation", lambda L: L.nn.TransformerEncoderLayer(8, 2, activation="foo")),
    C("TransformerEncoderLayer_forward", lambda L: L.nn.TransformerEncoderLayer(8, 2, 16)(_t(L, 2, 3, 6))),
    C("Transformer_batch", _transformer_batch),
    C("Transformer_features", _transformer_features),
    # --- embedding, one_hot, dropout
    C("embedding_index_range", lambda L: _Fn(L).embedding(L.tensor([5]), _t(L, 3, 2))),
    C("embedding_float_index", lambda L: _Fn(L).embedding(L.tensor([0.5]), _t(L, 3, 2))),
    C("Embedding_padding_idx", lambda L: L.nn.Embedding(3, 2, padding_idx=5)),
    C("Embedding_negative_index", lambda L: L.nn.Embedding(3, 2)(L.tensor([-1]))),
    C("Embedding_from_pretrained_1d", lambda L: L.nn.Embedding.from_pretrained(_t(L, 3))),
    C("one_hot_too_big", lambda L: _Fn(L).one_hot(L.tensor([3]), 3)),
    C("one_hot_negative", lambda L: _Fn(L).one_hot(L.tensor([-1]))),
    C("one_hot_float", lambda L: _Fn(L).one_hot(L.tensor([1.0]))),
    C("dropout_p", lambda L: _Fn(L).dropout(_t(L, 3), p=1.5)),
    C("Dropout_negative", lambda L: L.nn.Dropout(-0.1)),
    C("dropout2d_p", lambda L: _Fn(L).dropout2d(_t(L, 1, 2, 3, 3), p=2.0)),
    # --- containers and module API
    C("Sequential_int", lambda L: L.nn.Sequential(1)),
    C("ModuleList_int", lambda L: L.nn.ModuleList([1])),
    C("ModuleDict_int", lambda L: L.nn.ModuleDict({"a": 1})),
    C("Sequential_index", lambda L: L.nn.Sequential(L.nn.ReLU())[5]),
    C("Unflatten_sizes", lambda L: L.nn.Unflatten(1, (2, 2))(_t(L, 2, 3))),
    C("register_buffer_dot", lambda L: L.nn.Module().register_buffer("a.b", L.zeros(1))),
    C("register_buffer_empty", lambda L: L.nn.Module().register_buffer("", L.zeros(1))),
    C("register_buffer_int", lambda L: L.nn.Module().register_buffer("x", 3)),
    C("register_buffer_existing", _register_buffer_existing),
    C("register_parameter_tensor", lambda L: L.nn.Module().register_parameter("w", L.zeros(3))),
    C("assign_tensor_to_parameter", _assign_tensor_to_parameter),
    C("add_module_dot", lambda L: L.nn.Module().add_module("a.b", L.nn.ReLU())),
    C("add_module_int", lambda L: L.nn.Module().add_module("x", 3)),
    C("load_state_dict_missing", _state_dict_case("missing")),
    C("load_state_dict_unexpected", _state_dict_case("unexpected")),
    C("load_state_dict_shape", _state_dict_case("shape")),
    C("load_state_dict_type", _state_dict_case("type")),
    C("load_state_dict_not_dict", _state_dict_case("not_a_dict")),
    C("load_state_dict_buffer_shape", _bn_state_dict_shape),
    C("load_state_dict_nested_missing", _nested_state_dict_missing),
    C("get_submodule_missing", lambda L: L.nn.Sequential(L.nn.ReLU()).get_submodule("1")),
    C("get_parameter_missing", lambda L: L.nn.Linear(2, 2).get_parameter("foo")),
    C("get_buffer_missing", lambda L: L.nn.BatchNorm1d(2).get_buffer("running_foo")),
    C("module_no_forward", _module_no_forward),
    C("train_not_bool", lambda L: L.nn.Linear(2, 2).train("yes")),
    C("init_kaiming_1d", lambda L: L.nn.init.kaiming_uniform_(L.zeros(3))),
    C("init_xavier_1d", lambda L: L.nn.init.xavier_uniform_(L.zeros(3))),
    C("init_calculate_gain", lambda L: L.nn.init.calculate_gain("foo")),
    C("init_orthogonal_1d", lambda L: L.nn.init.orthogonal_(L.zeros(3))),
    C("clip_grad_nonfinite", _clip_nonfinite),
    C("pack_padded_unsorted", _pack_unsorted),
    # --- recurrent layers
    C("RNN_input_size", lambda L: L.nn.RNN(3, 4)(_t(L, 5, 2, 6))),
    C("LSTM_h0_size", lambda L: L.nn.LSTM(3, 4)(_t(L, 5, 2, 3), (_t(L, 1, 2, 5), _t(L, 1, 2, 4)))),
    C("LSTM_c0_size", lambda L: L.nn.LSTM(3, 4)(_t(L, 5, 2, 3), (_t(L, 1, 2, 4), _t(L, 1, 3, 4)))),
    C("GRU_h0_layers", lambda L: L.nn.GRU(3, 4)(_t(L, 5, 2, 3), _t(L, 2, 2, 4))),
    C("RNN_nonlinearity", lambda L: L.nn.RNN(3, 4, nonlinearity="foo")),
    C("LSTM_dropout", lambda L: L.nn.LSTM(3, 4, dropout=1.5)),
    C("LSTM_proj_size", lambda L: L.nn.LSTM(3, 4, proj_size=4)),
    C("RNN_hidden_zero", lambda L: L.nn.RNN(3, 0)),
    C("RNN_4d_input", lambda L: L.nn.RNN(3, 4)(_t(L, 2, 3, 4, 5))),
    C("LSTMCell_input_size", lambda L: L.nn.LSTMCell(3, 4)(_t(L, 2, 5))),
    C("GRUCell_batch", lambda L: L.nn.GRUCell(3, 4)(_t(L, 2, 3), _t(L, 3, 4))),
    C("RNNCell_3d", lambda L: L.nn.RNNCell(3, 4)(_t(L, 2, 2, 3))),
    C("LSTM_dtype", lambda L: L.nn.LSTM(3, 4)(_t(L, 5, 2, 3, dtype="float64"))),
    C("GRU_unbatched_h0", lambda L: L.nn.GRU(3, 4)(_t(L, 5, 3), _t(L, 1, 2, 4))),
    # --- autograd
    C("backward_twice", _backward_twice),
    C("backward_non_scalar", _backward_non_scalar),
    C("backward_no_grad_fn", _backward_no_grad_fn),
    C("backward_grad_shape", _backward_wrong_grad_shape),
    C("requires_grad_int", lambda L: _t(L, 3, dtype="int64").requires_grad_()),
    C("tensor_int_requires_grad", lambda L: L.tensor([1, 2], requires_grad=True)),
    C("inplace_leaf", _inplace_leaf),
    C("inplace_leaf_view", _inplace_leaf_view),
    C("setitem_leaf", _setitem_leaf),
    # numtorch has no anomaly mode, so its hint differs from torch's; the rest is torch's message
    C("inplace_saved_output", _inplace_saved, "[numtorch.FloatTensor [3]], which is output 0 of Exp, is at "
                                              "version 1; expected version 0 instead."),
    C("inplace_saved_input", _inplace_saved_input, "[numtorch.FloatTensor [3]], which is output 0 of Mul, is at "
                                                   "version 1; expected version 0 instead."),
    C("grad_unused_input", _grad_unused),
    C("grad_not_requiring", _grad_not_requiring),
    C("grad_outputs_shape", _grad_wrong_shape_grad_outputs),
    C("assign_grad_shape", _assign_grad_wrong_shape),
    C("assign_grad_dtype", _assign_grad_wrong_dtype, "attempting to assign a gradient with dtype 'double' to a "
                                                     "tensor with grad_dtype 'Float'"),
    C("nonleaf_requires_grad_false", _nonleaf_requires_grad_false),
    C("function_wrong_grad_count", _custom_function_wrong_grads),
    # --- optimizers and schedulers
    C("SGD_lr", lambda L: L.optim.SGD(_optim_param(L), lr=-1)),
    C("SGD_momentum", lambda L: L.optim.SGD(_optim_param(L), lr=0.1, momentum=-1)),
    C("SGD_nesterov", lambda L: L.optim.SGD(_optim_param(L), lr=0.1, nesterov=True)),
    C("SGD_empty", lambda L: L.optim.SGD([], lr=0.1)),
    C("SGD_tensor_params", lambda L: L.optim.SGD(L.zeros(3), lr=0.1)),
    C("SGD_nonleaf", _optim_nonleaf),
    C("SGD_duplicate_groups", _optim_duplicate_groups),
    C("Adam_betas", lambda L: L.optim.Adam(_optim_param(L), betas=(1.0, 0.9))),
    C("Adam_eps", lambda L: L.optim.Adam(_optim_param(L), eps=-1)),
    C("Adam_weight_decay", lambda L: L.optim.Adam(_optim_param(L), weight_decay=-1)),
    C("AdamW_beta2", lambda L: L.optim.AdamW(_optim_param(L), betas=(0.9, -0.5))),
    C("RMSprop_alpha", lambda L: L.optim.RMSprop(_optim_param(L), alpha=-1)),
    C("Adagrad_lr_decay", lambda L: L.optim.Adagrad(_optim_param(L), lr_decay=-1)),
    C("add_param_group_overlap", _optim_add_group_overlap),
    C("optim_load_groups", _optim_load_groups),
    C("optim_load_sizes", _optim_load_sizes),
    C("StepLR_not_optimizer", lambda L: L.optim.lr_scheduler.StepLR(3, 1)),
    C("LambdaLR_count", _lambda_lr_count),
    C("OneCycleLR_no_steps", lambda L: _sched(L, "OneCycleLR", max_lr=0.1)),
    C("ReduceLROnPlateau_mode", lambda L: _sched(L, "ReduceLROnPlateau", mode="foo")),
    C("ReduceLROnPlateau_factor", lambda L: _sched(L, "ReduceLROnPlateau", factor=1.0)),
    C("CosineAnnealingWarmRestarts_T0", lambda L: _sched(L, "CosineAnnealingWarmRestarts", 0)),
    C("StepLR_resume_no_initial_lr", lambda L: _sched(L, "StepLR", 1, last_epoch=5)),
    # --- data
    C("DataLoader_batch_size_zero", lambda L: _loader(L, batch_size=0)),
    C("DataLoader_sampler_shuffle", lambda L: _loader(L, shuffle=True, sampler=[0, 1])),
    C("DataLoader_batch_sampler_conflict", lambda L: _loader(L, batch_sampler=[[0, 1]], batch_size=2)),
    C("DataLoader_workers_negative", lambda L: _loader(L, num_workers=-1)),
    C("DataLoader_timeout_negative", lambda L: _loader(L, timeout=-1)),
    C("DataLoader_prefetch_no_workers", lambda L: _loader(L, prefetch_factor=2)),
    C("DataLoader_persistent_no_workers", lambda L: _loader(L, persistent_workers=True)),
    C("TensorDataset_sizes", lambda L: L.utils.data.TensorDataset(_t(L, 3), _t(L, 4))),
    C("random_split_lengths", lambda L: L.utils.data.random_split(list(range(3)), [2, 2])),
    C("random_split_fractions", lambda L: L.utils.data.random_split(list(range(4)), [0.5, 0.6])),
    C("BatchSampler_drop_last", lambda L: L.utils.data.BatchSampler([0, 1], batch_size=2, drop_last="x")),
    C("RandomSampler_num_samples", lambda L: L.utils.data.RandomSampler([0, 1], num_samples=0)),
    C("ConcatDataset_empty", lambda L: L.utils.data.ConcatDataset([])),
    # --- serialization
    C("save_generator", _save_generator, "cannot pickle 'generator' object", "obj['g']"),
    C("save_missing_dir", _save_missing_dir),
    C("save_to_directory", _save_to_directory, "is a directory"),
    C("save_pickle_module", lambda L: L.save({"a": 1}, io.BytesIO(), pickle_protocol=99), "protocol", "99"),
    C("load_zip_not_checkpoint", _load_zip_not_checkpoint, "foo.txt"),
    C("load_corrupt_zip", lambda L: L.load(io.BytesIO(b"PK\x03\x04garbage")), "zip"),
    C("load_plain_pickle", _load_plain_pickle, "pickle"),
    C("load_missing_file", _load_missing_file),
]


def _raise(fn, L):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(BaseException) as info:
            fn(L)
    return info.value


def test_table_size_and_ids():
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids), "duplicate case ids"
    assert len(CASES) >= 150


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_call(case):
    t_err = _raise(case.fn, torch)
    n_err = _raise(case.fn, numtorch)
    t_msg, n_msg = str(t_err), str(n_err)
    assert type(n_err) is type(t_err), (type(n_err).__name__, n_msg, type(t_err).__name__, t_msg)
    if case.contains:
        for part in case.contains:
            assert part in n_msg, (part, n_msg, t_msg)
    else:
        assert n_msg.replace("numtorch", "torch") == t_msg
