"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Both run through one fused :class:`AttentionFunction`. With ``q, k, v`` viewed as ``(batch..., T, d)`` stacks
(the batch being every leading dimension, heads included), its forward is three batched GEMMs around a
max-shifted softmax,

.. math::
    s = q k^T c + b, \\qquad p = \\mathrm{softmax}(s) = \\frac{e^{s - \\max s}}{\\sum e^{s - \\max s}}, \\qquad
    \\hat{p} = p \\odot m, \\qquad o = \\hat{p}\\, v

(``c`` the scale, ``b`` the additive mask, ``m`` the dropout mask scaled by ``1/(1-p_{drop})``), and its
backward is the analytic one, for the gradient ``g`` of ``o``:

.. math::
    dv = \\hat{p}^T g, \\qquad d\\hat{p} = g v^T, \\qquad dp = d\\hat{p} \\odot m, \\qquad
    ds = p \\odot \\big(dp - \\textstyle\\sum_j dp_j p_j\\big), \\qquad dq = ds\\, k\\, c, \\qquad dk = ds^T q\\, c.

A row whose every score is ``-inf`` (a fully masked query) gets all-zero weights, as torch's CPU attention
kernels give; multi-head attention with ``need_weights=True`` gives NaN there, as torch's plain-softmax path does.
No Python loop runs over batches or heads: ``np.matmul`` walks the stacks in BLAS.

For multi-head attention the function reads the heads straight out of the sequence-first projections
``(T, N, H * d)`` (or the packed ``(T, N, 3 * H * d)`` of self-attention, one GEMM against ``in_proj_weight``)
through strided views, and writes its output, and its gradients, back in that layout; no head is copied out.
"""
import math
import warnings

import numpy as np

from .._creation import zeros
from .._tensor import Tensor, _from_array
from ..autograd.function import ArrayFunction
from ..random import _gen
from ._util import broadcast_error, torch_type_name, unbroadcast
from .linear import linear
from .padding import pad
from .shape import cat, repeat_interleave

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]
#: names also exported at numtorch's top level (torch has none for attention)
TOP_LEVEL = []


# ---------------------------------------------------------------------- the fused kernel (arrays)
def _exp_rows_(s, zero_dead=True):
    """``s <- exp(s - max s)`` over the last axis, in place; returns ``1 / sum(exp(s - max s))`` per row.

    ``s * (returned)`` is the softmax. A row with no finite score (every key masked) gets the factor 0, so its
    weights are all zeros, with ``zero_dead`` (torch's SDPA kernels); without it the row is NaN (a plain softmax,
    as torch's ``need_weights=True`` attention path gives).
    """
    if s.shape[-1] == 0 or s.size == 0:
        return np.ones(s.shape[:-1] + (1,), s.dtype)
    m = s.max(axis=-1, keepdims=True)
    dead = m == -np.inf
    fix = zero_dead and dead.any()
    if fix:
        m[dead] = 0
    with np.errstate(invalid="ignore"):
        s -= m
    np.exp(s, out=s)
    z = s.sum(axis=-1, keepdims=True)
    if fix:
        z[dead] = 1  # the row is all zeros; any factor keeps it so
    with np.errstate(divide="ignore", invalid="ignore"):
        np.reciprocal(z, out=z)
    return z


def _causal_bias(L, S, dtype):
    """The additive upper-left causal mask: ``-inf`` where key ``j`` is after query ``i`` (``j > i``), else 0."""
    return np.triu(np.full((L, S), -np.inf, dtype=dtype), 1)


def _dropout_mask(shape, p, dtype):
    """Kept entries ``1 / (1 - p)``, dropped ones 0, drawn from numtorch's generator."""
    if p >= 1:
        return np.zeros(shape, dtype)
    keep = _gen(None).random(shape, dtype=np.float64 if dtype == np.float64 else np.float32) >= p
    m = keep.astype(dtype)
    m *= dtype.type(1.0) / dtype.type(1.0 - p)
    return m


def _heads(x, t, n, h, c=1, i=0):
    """The ``(N, H, T, d)`` view of block ``i`` of a sequence-first ``(T, N, c * H * d)`` array (no copy)."""
    d = x.shape[-1] // (c * h)
    return x.reshape(t, n, c, h, d)[:, :, i].transpose(1, 2, 0, 3)


class AttentionFunction(ArrayFunction):
    """o = softmax(q k^T c + b) v, with dropout on the weights; analytic backward (see the module docstring).

    ``forward(ctx, q, k, v, bias, scale, dropout_p, causal, need_weights, heads, groups)``:

    * ``heads is None``: ``q (..., L, E)``, ``k (..., S, E)``, ``v (..., S, Ev)`` whose batch dimensions
      broadcast; ``groups > 1`` repeats each key/value head for that many query heads (grouped-query attention).
    * ``heads = H``: multi-head layout. ``q`` is ``(L, N, E)``, ``k``/``v`` ``(S, N, E)``; ``k = v = None`` means
      ``q`` is the packed ``(L, N, 3E)`` projection, ``v = None`` that ``k`` is the packed ``(S, N, 2E)`` one.
      The output is ``(L, N, E)``.

    ``bias`` is an additive float mask broadcastable to the scores (a Tensor when it may need a gradient).
    With ``need_weights`` the (dropped-out) weights ``(..., L, S)`` are a second, differentiable output, and a
    fully masked row is NaN (a plain softmax) instead of zeros.
    """
    node_name = "UnsafeViewBackward0"
    materialize_grads = False

    @staticmethod
    def forward(ctx, q, k, v, bias, scale, dropout_p, causal, need_weights, heads, groups):
        dtype = q.dtype
        if heads is None:
            q4, k4, v4 = q, k, v
            if groups > 1:  # key/value head j serves query heads j*G .. j*G + G-1
                k4 = np.repeat(k, groups, axis=-3)
                v4 = np.repeat(v, groups, axis=-3)
        else:
            L, N = q.shape[:2]
            if k is None:
                q4, k4, v4 = (_heads(q, L, N, heads, 3, i) for i in range(3))
            elif v is None:
                S = k.shape[0]
                q4, k4, v4 = _heads(q, L, N, heads), _heads(k, S, N, heads, 2, 0), _heads(k, S, N, heads, 2, 1)
            else:
                S = k.shape[0]
                q4, k4, v4 = _heads(q, L, N, heads), _heads(k, S, N, heads), _heads(v, S, N, heads)
        qs = q4 * scale                                  # q c: scaling (L, E) is cheaper than (L, S)
        s = np.matmul(qs, k4.swapaxes(-1, -2))           # s = q k^T c
        if bias is not None:
            s += bias                                    # + b
        if causal:
            s += _causal_bias(s.shape[-2], s.shape[-1], dtype)
        zinv = _exp_rows_(s, zero_dead=not need_weights)  # s <- e = exp(s - max s), zinv = 1 / sum e
        # Inference only: o = (e v) / z scales the (L, Ev) output instead of normalising the (L, S) weights.
        late = not (need_weights or dropout_p > 0 or any(ctx.needs_input_grad))
        if late:
            pd = s
        else:
            p = s
            p *= zinv                                    # p = softmax(s), in place
            m = None
            if dropout_p > 0:
                m = _dropout_mask(p.shape, dropout_p, dtype)
                pd = p * m                               # p^ = p m
            else:
                pd = p
        if heads is None:
            out = np.matmul(pd, v4)                      # o = p^ v
            if late:
                out *= zinv
        else:
            L, N, H, d = q4.shape[2], q4.shape[0], heads, v4.shape[-1]
            out = np.empty((L, N, H, d), dtype)
            view = out.transpose(1, 2, 0, 3)
            np.matmul(pd, v4, out=view)
            if late:
                view *= zinv
            out = out.reshape(L, N, H * d)
        if late:
            return out
        ctx.save_for_backward(qs, k4, v4, p, m, pd)
        ctx.meta = (scale, heads, groups, None if bias is None else np.shape(bias),
                    (np.shape(q), np.shape(k), np.shape(v)))
        return (out, pd) if need_weights else out

    @staticmethod
    def backward(ctx, g, gw=None):
        qs, k4, v4, p, m, pd = ctx.saved_tensors
        scale, heads, groups, bias_shape, shapes = ctx.meta
        nq, nk, nv, nb = ctx.needs_input_grad[:4]
        if heads is None:
            out_shape = p.shape[:-1] + v4.shape[-1:]
            g4 = np.zeros(out_shape, p.dtype) if g is None else g
        else:
            L, N = shapes[0][:2]
            g4 = np.zeros((L, N, heads * v4.shape[-1]), p.dtype) if g is None else g
            g4 = _heads(g4, L, N, heads)
        dp = np.matmul(g4, v4.swapaxes(-1, -2))          # dp^ = g v^T
        if gw is not None:
            dp += gw                                     # the weights output's own gradient
        if m is not None:
            dp *= m                                      # dp = dp^ m
        dp -= np.vecdot(dp, p)[..., None]
        dp *= p                                          # ds = p (dp - sum(dp p))
        ds = dp
        if heads is None:
            gq = unbroadcast(np.matmul(ds, k4) * scale, shapes[0]) if nq else None          # dq = ds k c
            gk = gv = None
            if nk:
                gk = np.matmul(ds.swapaxes(-1, -2), qs)                                      # dk = ds^T (q c)
                gk = _ungroup(gk, groups, shapes[1])
            if nv:
                gv = _ungroup(np.matmul(pd.swapaxes(-1, -2), g4), groups, shapes[2])          # dv = p^T g
            gb = unbroadcast(ds, bias_shape) if nb else None
            return gq, gk, gv, gb, None, None, None, None, None, None
        # multi-head layout: write each gradient straight into its (T, N, c * E) block
        (L, N, _), kshape, vshape = shapes
        H = heads
        gb = unbroadcast(ds, bias_shape) if nb else None
        if kshape == ():  # packed q, k, v
            gqkv = np.empty(shapes[0], p.dtype) if nq else None
            if nq:
                _fill_grads(gqkv, L, N, H, 3, ds, k4, qs, pd, g4, scale, (True, True, True))
            return gqkv, None, None, gb, None, None, None, None, None, None
        S = kshape[0]
        gq = None
        if nq:
            gq = np.empty(shapes[0], p.dtype)
            np.matmul(ds, k4, out=_heads(gq, L, N, H))
            gq *= scale
        if vshape == ():  # packed k, v
            gkv = None
            if nk:
                gkv = np.empty(kshape, p.dtype)
                _fill_grads(gkv, S, N, H, 2, ds, k4, qs, pd, g4, scale, (False, True, True))
            return gq, gkv, None, gb, None, None, None, None, None, None
        gk = gv = None
        if nk:
            gk = np.empty(kshape, p.dtype)
            np.matmul(ds.swapaxes(-1, -2), qs, out=_heads(gk, S, N, H))
        if nv:
            gv = np.empty(vshape, p.dtype)
            np.matmul(pd.swapaxes(-1, -2), g4, out=_heads(gv, S, N, H))
        return gq, gk, gv, gb, None, None, None, None, None, None


def _fill_grads(buf, t, n, h, c, ds, k4, qs, pd, g4, scale, which):
    """Write dq, dk, dv (those in ``which``) into the packed ``(T, N, c * E)`` gradient ``buf``."""
    i = 0
    if which[0]:
        view = _heads(buf, t, n, h, c, i)
        np.matmul(ds, k4, out=view)
        view *= scale
        i += 1
    np.matmul(ds.swapaxes(-1, -2), qs, out=_heads(buf, t, n, h, c, i))
    np.matmul(pd.swapaxes(-1, -2), g4, out=_heads(buf, t, n, h, c, i + 1))


def _ungroup(g, groups, shape):
    """Sum a key/value gradient over the query heads that shared each head, then over broadcast batch dims."""
    if groups > 1:
        g = g.reshape(g.shape[:-3] + (g.shape[-3] // groups, groups) + g.shape[-2:]).sum(axis=-3)
    return unbroadcast(g, shape)


class _FlashNode(AttentionFunction):
    # torch's CPU flash kernel: 4-D inputs, E == Ev, no dropout, a mask that needs no gradient
    node_name = "ScaledDotProductFlashAttentionForCpuBackward0"


class _MmNode(AttentionFunction):
    # 2-D inputs: torch's math path ends in a plain matrix product
    node_name = "MmBackward0"


class EmptyAttentionFunction(ArrayFunction):
    """out = zeros(q.shape[:-1] + (Ev,)) when query, key or value has no elements;  dq, dk, dv = 0.

    torch returns these zeros before any shape, mask or causal check, as here.
    """
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, q, k, v):
        ctx.shapes = (q.shape, k.shape, v.shape)
        return np.zeros(q.shape[:-1] + v.shape[-1:], q.dtype)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.zeros(s, g.dtype) if need else None for s, need in zip(ctx.shapes, ctx.needs_input_grad))


# ---------------------------------------------------------------------- scaled_dot_product_attention
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
              "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _cpp(t):
    return _CPP_NAMES.get(t._data.dtype.name, t._data.dtype.name)


def _check_tensor_arg(x, name, pos, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _bool_to_bias(mask, dtype, true_means_keep):
    """An additive float mask from a bool one: 0 where attention is allowed, ``-inf`` where it is not."""
    bias = np.zeros(mask.shape, dtype)
    bias[~mask if true_means_keep else mask] = -np.inf
    return bias


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, scale=None,
                                 enable_gqa=False):
    """Scaled dot-product attention over the last two dimensions, batched over all leading ones.

    .. math::
        \\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}\\Big(\\frac{Q K^T}{\\sqrt{E}} + B\\Big) V

    Args:
        query: ``(N, ..., Hq, L, E)``.
        key: ``(N, ..., H, S, E)``.
        value: ``(N, ..., H, S, Ev)``.
        attn_mask: broadcastable to ``(N, ..., Hq, L, S)``; a bool mask keeps the positions that are ``True``
            (the others get ``-inf``), a float mask of the query's dtype is added to the scores.
        dropout_p: dropout probability on the attention weights (always applied when > 0, as in torch).
        is_causal: mask key ``j > i`` for query ``i`` (upper-left aligned); exclusive with ``attn_mask``.
        scale: (keyword-only) the factor on ``Q K^T``; default ``1 / sqrt(E)``.
        enable_gqa: (keyword-only) grouped-query attention: each key/value head serves ``Hq / H`` consecutive query heads.

    Shape:
        ``(N, ..., Hq, L, Ev)``. A query row whose keys are all masked out gives zeros.

    Example::

        >>> q = k = v = numtorch.randn(2, 8, 16, 32)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        numtorch.Size([2, 8, 16, 32])
    """
    op = "scaled_dot_product_attention"
    for i, (name, t) in enumerate((("query", query), ("key", key), ("value", value))):
        _check_tensor_arg(t, name, i + 1, op)
    if attn_mask is not None:
        _check_tensor_arg(attn_mask, "attn_mask", 4, op)
    q, k, v = query._data, key._data, value._data
    if q.dtype != k.dtype or q.dtype != v.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_cpp(query)} key.dtype: {_cpp(key)} and value.dtype: {_cpp(value)} instead.")
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead.")
    if q.dtype.kind != "f":
        raise RuntimeError(f"expected scalar type Float but found {torch_type_name(q.dtype)}")
    if attn_mask is not None:
        md = attn_mask._data.dtype
        if md != np.bool_ and md != q.dtype:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {_cpp(attn_mask)} and  query.dtype: {_cpp(query)} instead.")
    if q.size == 0 or k.size == 0 or v.size == 0:
        return EmptyAttentionFunction.apply(query, key, value)
    if attn_mask is not None:
        if is_causal and not _flash_eligible(q, k, v, attn_mask, dropout_p, enable_gqa):
            # torch's CPU flash kernel applies both; its math path refuses the combination
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
    if dropout_p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    groups = 1
    if enable_gqa:
        for t in (q, k, v):
            if t.ndim < 3:
                raise IndexError(f"Dimension out of range (expected to be in range of [{-t.ndim}, {t.ndim - 1}], "
                                 f"but got -3)")
        hq, hk, hv = q.shape[-3], k.shape[-3], v.shape[-3]
        if hq != hk or hq != hv:
            if hq % hk or hq % hv or hk != hv:
                if hq % hk or hq % hv:
                    raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
                # key and value heads differ: repeat each to the query's head count (no grouping trick)
                key = _repeat_heads(key, hq // hk)
                value = _repeat_heads(value, hq // hv)
                k, v = key._data, value._data
            else:
                groups = hq // hk
    batch = _sdpa_batch(q, k, v, groups)
    B = int(np.prod(batch, dtype=np.int64))
    L, E, S = q.shape[-2], q.shape[-1], k.shape[-2]
    if k.shape[-1] != E:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{B}, {E}] but got: "
                           f"[{B}, {k.shape[-1]}].")
    if v.shape[-2] != S:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{B}, {S}] but got: "
                           f"[{B}, {v.shape[-2]}].")
    bias = None
    mask_needs_grad = False
    if attn_mask is not None:
        m = attn_mask._data
        if m.ndim < 2:
            raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got -2)")
        scores = tuple(batch) + (L, S)
        try:
            full = np.broadcast_shapes(scores, m.shape)
        except ValueError:
            raise broadcast_error(scores, m.shape) from None
        if full != scores:
            raise RuntimeError(f"output with shape {list(scores)} doesn't match the broadcast shape {list(full)}")
        if m.dtype == np.bool_:
            bias = _bool_to_bias(m, q.dtype, true_means_keep=True)
        else:
            bias = attn_mask
            mask_needs_grad = attn_mask.requires_grad
    c = 1.0 / math.sqrt(E) if scale is None else float(scale)
    p = float(dropout_p)
    if q.ndim == 2:
        cls = _MmNode
    elif q.ndim == 4 and p <= 0 and v.shape[-1] == E and not mask_needs_grad:
        cls = _FlashNode
    else:
        cls = AttentionFunction
    return cls.apply(query, key, value, bias, c, p, bool(is_causal), False, None, groups)


def _flash_eligible(q, k, v, mask, dropout_p, enable_gqa):
    """Whether torch would run its CPU flash kernel (sdp_utils ``use_flash_attention_cpp``): 4-d inputs with one
    batch size, matching (or, with GQA, dividing) head counts, one head dimension, no dropout, and a mask that
    needs no gradient and is 2-d or 4-d with query/key lengths (or 1) in its last two dimensions."""
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4 or dropout_p > 0:
        return False
    if not (q.shape[0] == k.shape[0] == v.shape[0]) or not (q.shape[-1] == k.shape[-1] == v.shape[-1]):
        return False
    hq, hk, hv = q.shape[1], k.shape[1], v.shape[1]
    if not (hq == hk == hv or (enable_gqa and hk == hv and hq % hk == 0)):
        return False
    if mask is not None:
        m = mask._data
        if mask.requires_grad or m.ndim not in (2, 4) or m.shape[-2] not in (1, q.shape[2]) \
                or m.shape[-1] not in (1, k.shape[2]):
            return False
        if m.ndim == 4 and (m.shape[0] not in (1, q.shape[0]) or m.shape[1] not in (1, hq)):
            return False
    return True


def _repeat_heads(t, n):
    return t if n == 1 else repeat_interleave(t, n, dim=-3)


def _sdpa_batch(q, k, v, groups):
    """The broadcast batch shape (everything but the last two dimensions), with torch's error otherwise."""
    qb, kb, vb = q.shape[:-2], k.shape[:-2], v.shape[:-2]
    if groups > 1:
        kb = kb[:-1] + (kb[-1] * groups,)
        vb = vb[:-1] + (vb[-1] * groups,)
    try:
        return np.broadcast_shapes(qb, kb, vb)
    except ValueError:
        try:
            np.broadcast_shapes(qb, kb)
        except ValueError:
            raise broadcast_error(qb, kb) from None
        raise broadcast_error(np.broadcast_shapes(qb, kb), vb) from None


# ---------------------------------------------------------------------- multi-head attention
def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask becomes a float one (``True`` -> ``-inf``, ``False`` -> 0) of ``target_type``; float passes.

    Warns, as torch does, when ``mask`` and the other mask of the call have different dtypes.
    """
    if mask is None:
        return None
    md = mask.dtype
    is_float = mask.is_floating_point()
    if mask._data.dtype != np.bool_ and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and md != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for "
                      "both instead.", stacklevel=3)
    if not is_float:
        return _from_array(_bool_to_bias(mask._data, np.dtype(target_type.np), true_means_keep=False))
    return mask


def _none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the call is batched (3-D query) or not (2-D), with torch's AssertionErrors for bad ranks."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(f"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(f"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                                 f"but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(f"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.dim()}-D tensor instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                         "tensor")


def _pad_last(mask):
    """One more key position, unmasked (0), at the end of the last dimension."""
    return pad(mask, (0, 1))


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """The forward pass of :class:`~numtorch.nn.MultiheadAttention`, sequence-first.

    .. math::
        \\mathrm{MultiHead}(Q, K, V) = \\mathrm{Concat}(\\mathrm{head}_1, \\dots, \\mathrm{head}_h) W^O, \\quad
        \\mathrm{head}_i = \\mathrm{softmax}\\Big(\\frac{Q W_i^Q (K W_i^K)^T}{\\sqrt{d_k}} + M\\Big) V W_i^V

    Args:
        query: ``(L, N, E)`` or unbatched ``(L, E)``; key, value: ``(S, N, E_k)``, ``(S, N, E_v)``.
        embed_dim_to_check: ``E``; num_heads: ``h`` (``d_k = E / h``).
        in_proj_weight, in_proj_bias: the packed ``(3E, E)`` projection and its ``(3E,)`` bias.
        bias_k, bias_v: ``(1, 1, E)`` rows appended to the keys and values, or None.
        add_zero_attn: append a zero key and value.
        dropout_p: dropout on the attention weights when ``training``.
        out_proj_weight, out_proj_bias: ``W^O`` ``(E, E)`` and its bias.
        key_padding_mask: ``(N, S)``: bool (``True`` = padding, ignored) or float (added).
        need_weights: also return the attention weights ``(N, L, S)`` (averaged over heads when
            ``average_attn_weights``, else ``(N, h, L, S)``).
        attn_mask: ``(L, S)`` or ``(N h, L, S)``: bool (``True`` = not allowed) or float (added).
        use_separate_proj_weight: use ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` instead.
        static_k, static_v: ``(N h, S, d_k)`` keys/values used as they are.
        is_causal: a hint that ``attn_mask`` is the causal mask.

    Returns:
        ``(attn_output (L, N, E), attn_weights or None)``.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        same_qk, same_kv = query is key, key is value
        query = query.unsqueeze(1)
        key = query if same_qk else key.unsqueeze(1)
        value = key if same_kv else value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask),
                                       "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone drives the kernel
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    # masks: 2-D (L, S) -> (1, L, S); 3-D must be (N h, L, S)
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    plain = (not use_separate_proj_weight and bias_k is None and bias_v is None and not add_zero_attn
             and static_k is None and static_v is None)
    if plain:
        q, k, v = _packed_projections(query, key, value, in_proj_weight, in_proj_bias, embed_dim)
        heads = num_heads
    else:
        q, k, v = _general_projections(query, key, value, in_proj_weight, in_proj_bias, bias_k, bias_v,
                                       add_zero_attn, use_separate_proj_weight, q_proj_weight, k_proj_weight,
                                       v_proj_weight, static_k, static_v, bsz, num_heads, head_dim)
        heads = None
        if bias_k is not None:
            attn_mask = None if attn_mask is None else _pad_last(attn_mask)
            key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
        if add_zero_attn:
            attn_mask = None if attn_mask is None else _pad_last(attn_mask)
            key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    if heads is None:
        src_len = k.shape[2]
    elif k is not None:
        src_len = k.shape[0]
    bias = None
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        bias = key_padding_mask.view(bsz, 1, 1, src_len)
    if attn_mask is not None:
        am = attn_mask.view(1, 1, tgt_len, src_len) if attn_mask.shape[0] == 1 else \
            attn_mask.view(bsz, num_heads, tgt_len, src_len)
        bias = am if bias is None else am + bias
    if bias is not None and not bias.requires_grad:
        bias = bias._data
    if not training:
        dropout_p = 0.0
    scale = 1.0 / math.sqrt(head_dim)
    causal = bool(is_causal) and attn_mask is None and not need_weights
    res = AttentionFunction.apply(q, k, v, bias, scale, float(dropout_p), causal, bool(need_weights), heads, 1)
    if need_weights:
        out, weights = res
    else:
        out, weights = res, None
    if heads is None:  # (N, h, L, d) -> (L, N, E)
        out = out.permute(2, 0, 1, 3).reshape(tgt_len, bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    if weights is not None:
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
    if not is_batched:
        out = out.squeeze(1)
        if weights is not None:
            weights = weights.squeeze(0)
    return out, weights


def _packed_projections(query, key, value, w, b, E):
    """The in-projection as few GEMMs as the call allows; returns the kernel's (q, k, v) multi-head inputs."""
    if key is value:
        if query is key:  # self-attention: one GEMM against the packed (3E, E) weight
            return linear(query, w, b), None, None
        w_q, w_kv = w[:E], w[E:]
        b_q, b_kv = (None, None) if b is None else (b[:E], b[E:])
        return linear(query, w_q, b_q), linear(key, w_kv, b_kv), None
    w_q, w_k, w_v = w[:E], w[E:2 * E], w[2 * E:]
    b_q, b_k, b_v = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _general_projections(query, key, value, in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                         use_separate, q_w, k_w, v_w, static_k, static_v, bsz, H, d):
    """q, k, v as ``(N, h, T, d)`` Tensors, for the options the packed kernel layout does not cover."""
    E = query.shape[-1]
    if not use_separate:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        w_q, w_k, w_v = in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:]
    else:
        for name, t in (("q", q_w), ("k", k_w), ("v", v_w)):
            if t is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        w_q, w_k, w_v = q_w, k_w, v_w
        ek, ev = key.shape[-1], value.shape[-1]
        for what, wt, exp in (("query", w_q, (E, E)), ("key", w_k, (E, ek)), ("value", w_v, (E, ev))):
            if tuple(wt.shape) != exp:
                raise AssertionError(f"expecting {what} weights shape of {exp}, but got {wt.shape}")
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:]
    q = linear(query, w_q, b_q)
    k = linear(key, w_k, b_k)
    v = linear(value, w_v, b_v)
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")
    L = q.shape[0]
    q = q.view(L, bsz, H, d).permute(1, 2, 0, 3)
    if static_k is None:
        k = k.view(k.shape[0], bsz, H, d).permute(1, 2, 0, 3)
    else:
        _check_static(static_k, "static_k", bsz * H, d)
        k = static_k.view(bsz, H, static_k.shape[1], d)
    if static_v is None:
        v = v.view(v.shape[0], bsz, H, d).permute(1, 2, 0, 3)
    else:
        _check_static(static_v, "static_v", bsz * H, d)
        v = static_v.view(bsz, H, static_v.shape[1], d)
    if add_zero_attn:
        k = cat([k, zeros((bsz, H, 1, d), dtype=k.dtype)], dim=2)
        v = cat([v, zeros((bsz, H, 1, d), dtype=v.dtype)], dim=2)
    return q, k, v


def _check_static(t, name, bh, d):
    if t.size(0) != bh:
        raise AssertionError(f"expecting {name}.size(0) of {bh}, but got {t.size(0)}")
    if t.size(2) != d:
        raise AssertionError(f"expecting {name}.size(2) of {d}, but got {t.size(2)}")
