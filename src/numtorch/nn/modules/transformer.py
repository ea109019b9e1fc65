r"""Attention and Transformer layers: ``MultiheadAttention``, the encoder/decoder layers and stacks, ``Transformer``.

torch keeps ``MultiheadAttention`` in ``torch.nn.modules.activation``; numtorch defines it here (and
``activation.py`` re-exports it). Parameter names, their order, the reprs and the initialisation follow torch,
so torch checkpoints load unchanged.

A post-norm encoder layer ("Add & Norm", ``norm_first=False``) computes

.. math::
    x \leftarrow \mathrm{LayerNorm}_1\big(x + \mathrm{Dropout}(\mathrm{SelfAttn}(x))\big), \qquad
    x \leftarrow \mathrm{LayerNorm}_2\big(x + \mathrm{Dropout}(W_2\,\mathrm{Dropout}(\sigma(W_1 x + b_1)) + b_2)\big)

and a pre-norm one (``norm_first=True``) :math:`x \leftarrow x + \mathrm{SelfAttn}(\mathrm{LayerNorm}_1(x))`,
:math:`x \leftarrow x + \mathrm{FF}(\mathrm{LayerNorm}_2(x))`.
"""
import copy
import warnings

from ... import _creation
from ..._tensor import Tensor
from ...autograd.grad_mode import GradMode
from ...ops import attention as _attn
from .. import functional as F
from ..init import constant_, xavier_normal_, xavier_uniform_
from ..parameter import Parameter
from .activation import GELU, ReLU
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["MultiheadAttention", "Transformer", "TransformerEncoder", "TransformerDecoder",
           "TransformerEncoderLayer", "TransformerDecoderLayer"]


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear`` under the name torch gives ``MultiheadAttention.out_proj`` (it only matters to quantization)."""


class MultiheadAttention(Module):
    r"""Multi-head attention, as in "Attention Is All You Need".

    .. math::
        \mathrm{MultiHead}(Q, K, V) = \mathrm{Concat}(\mathrm{head}_1, \dots, \mathrm{head}_h) W^O, \quad
        \mathrm{head}_i = \mathrm{softmax}\Big(\frac{Q W_i^Q (K W_i^K)^T}{\sqrt{d_k}} + M\Big) V W_i^V

    with :math:`d_k = E / h`. Self-attention projects ``q, k, v`` with one GEMM against ``in_proj_weight``.

    Args:
        embed_dim: total model dimension ``E``.
        num_heads: number of heads ``h`` (``E`` must be divisible by it).
        dropout: dropout probability on the attention weights. Default: ``0.0``.
        bias: add biases to the input and output projections. Default: ``True``.
        add_bias_kv: learn a bias row appended to the keys and the values. Default: ``False``.
        add_zero_attn: append a row of zeros to the keys and the values. Default: ``False``.
        kdim, vdim: feature sizes of key and value (default ``E``); when they differ from ``E`` the projections
            are the separate ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``.
        batch_first: inputs and outputs are ``(N, L, E)`` instead of ``(L, N, E)``. Default: ``False``.

    Shape:
        query ``(L, N, E)`` (or ``(L, E)`` unbatched), key ``(S, N, kdim)``, value ``(S, N, vdim)`` ->
        output ``(L, N, E)`` and, with ``need_weights``, weights ``(N, L, S)`` (``(N, h, L, S)`` when
        ``average_attn_weights=False``).

    Attributes:
        in_proj_weight: ``(3E, E)``, xavier_uniform. in_proj_bias: ``(3E,)``, zeros.
        out_proj: ``Linear(E, E)`` with a zero bias. bias_k, bias_v: ``(1, 1, E)``, xavier_normal.

    Example::

        >>> mha = nn.MultiheadAttention(16, 4)
        >>> x = numtorch.randn(5, 2, 16)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        (numtorch.Size([5, 2, 16]), numtorch.Size([2, 5, 5]))
    """

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(_creation.empty((embed_dim, embed_dim), **factory))
            self.k_proj_weight = Parameter(_creation.empty((embed_dim, self.kdim), **factory))
            self.v_proj_weight = Parameter(_creation.empty((embed_dim, self.vdim), **factory))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(_creation.empty((3 * embed_dim, embed_dim), **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(_creation.empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = Parameter(_creation.empty((1, 1, embed_dim), **factory))
            self.bias_v = Parameter(_creation.empty((1, 1, embed_dim), **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            xavier_uniform_(self.in_proj_weight)
        else:
            xavier_uniform_(self.q_proj_weight)
            xavier_uniform_(self.k_proj_weight)
            xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            constant_(self.in_proj_bias, 0.0)
            constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            xavier_normal_(self.bias_v)

    def __setstate__(self, state):
        if "_qkv_same_embed_dim" not in state:
            state["_qkv_same_embed_dim"] = True
        super().__setstate__(state)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """Attend from ``query`` to ``key``/``value``; returns ``(attn_output, attn_weights or None)``.

        ``key_padding_mask`` ``(N, S)``: bool ``True`` marks padding to ignore (float masks are added);
        ``attn_mask`` ``(L, S)`` or ``(N * num_heads, L, S)``: bool ``True`` forbids a position (float is added).
        """
        is_batched = query.dim() == 3
        key_padding_mask = _attn._canonical_mask(key_padding_mask, "key_padding_mask",
                                                 _attn._none_or_dtype(attn_mask), "attn_mask", query.dtype)
        attn_mask = _attn._canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if self.batch_first and is_batched:
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        attn_output, attn_weights = _attn.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and is_batched:
            return attn_output.transpose(1, 0), attn_weights
        return attn_output, attn_weights

    def merge_masks(self, attn_mask, key_padding_mask, query):
        """Combine an ``(L, L)``/``(N h, L, L)`` attention mask and an ``(N, L)`` padding mask, as torch does.

        Returns ``(merged_mask, mask_type)``: type 1 for the padding mask alone, 2 when an attention mask is
        present (both are then broadcast to ``(N, h, L, L)`` and added).
        """
        mask_type = None
        merged = None
        if key_padding_mask is not None:
            mask_type = 1
            merged = key_padding_mask
        if attn_mask is not None:
            batch_size, seq_len, _ = query.shape
            mask_type = 2
            if attn_mask.dim() == 3:
                expanded = attn_mask.view(batch_size, -1, seq_len, seq_len)
            else:
                expanded = attn_mask.view(1, 1, seq_len, seq_len).expand(batch_size, self.num_heads, -1, -1)
            merged = expanded
            if key_padding_mask is not None:
                merged = expanded + key_padding_mask.view(batch_size, 1, 1, seq_len).expand(
                    -1, self.num_heads, -1, -1)
        return merged, mask_type


# ---------------------------------------------------------------------- helpers shared with torch's layout
def _generate_square_subsequent_mask(sz, device=None, dtype=None):
    """``(sz, sz)``: 0 on and below the diagonal, ``-inf`` above it (position ``i`` sees ``j <= i``)."""
    return _creation.full((sz, sz), float("-inf"), dtype=dtype, device=device).triu(diagonal=1)


def _get_seq_len(src, batch_first):
    if src.dim() == 2:
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask, is_causal=None, size=None):
    """``is_causal`` as given, or, when it is None, whether ``mask`` equals the square causal mask."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.size(-2)
        causal = _generate_square_subsequent_mask(sz, dtype=mask.dtype)
        if tuple(mask.shape) == tuple(causal.shape):
            make_causal = bool((mask == causal).all())
        else:
            make_causal = False
    return make_causal


def _get_clones(module, n):
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _get_activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


# ---------------------------------------------------------------------- layers
class TransformerEncoderLayer(Module):
    r"""One encoder block: self-attention and a feed-forward network, each with a residual connection.

    .. math::
        \text{post-norm: } x = \mathrm{LN}_1(x + \mathrm{SA}(x)),\ x = \mathrm{LN}_2(x + \mathrm{FF}(x)); \quad
        \text{pre-norm: } x = x + \mathrm{SA}(\mathrm{LN}_1(x)),\ x = x + \mathrm{FF}(\mathrm{LN}_2(x))

    with :math:`\mathrm{FF}(x) = W_2\,\mathrm{Dropout}(\sigma(W_1 x + b_1)) + b_2` and dropout after each block.

    Args:
        d_model: feature size. nhead: attention heads.
        dim_feedforward: hidden size of the feed-forward network. Default: 2048.
        dropout: dropout probability. Default: 0.1.
        activation: ``"relu"``, ``"gelu"``, or a callable (function or module). Default: ``F.relu``.
        layer_norm_eps: LayerNorm epsilon. Default: 1e-5.
        batch_first: ``(N, S, E)`` instead of ``(S, N, E)``. Default: ``False``.
        norm_first: pre-norm arrangement. Default: ``False`` (post-norm, "Add & Norm").
        bias: biases in the linear layers and the LayerNorms. Default: ``True``.

    Shape:
        ``(S, N, E)`` (or ``(N, S, E)``, or unbatched ``(S, E)``) -> same.

    Example::

        >>> layer = nn.TransformerEncoderLayer(d_model=512, nhead=8)
        >>> layer(numtorch.randn(10, 32, 512)).shape
        numtorch.Size([10, 32, 512])
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            **factory)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        if activation is F.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "activation"):
            self.activation = F.relu

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """Pass ``src`` through the layer; ``src_mask`` ``(S, S)``/``(N h, S, S)``, padding mask ``(N, S)``."""
        src_key_padding_mask = _attn._canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                                     _attn._none_or_dtype(src_mask), "src_mask", src.dtype)
        src_mask = _attn._canonical_mask(src_mask, "src_mask", None, "", src.dtype, check_other=False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal=is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal=is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    r"""One decoder block: masked self-attention, attention over the encoder's memory, and a feed-forward network.

    .. math::
        \text{post-norm: } x = \mathrm{LN}_1(x + \mathrm{SA}(x)),\ x = \mathrm{LN}_2(x + \mathrm{MHA}(x, m)),\
        x = \mathrm{LN}_3(x + \mathrm{FF}(x))

    (pre-norm: ``x = x + block(LN(x))`` for each block in turn).

    Args:
        d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
        batch_first=False, norm_first=False, bias=True: as :class:`TransformerEncoderLayer`.

    Shape:
        tgt ``(T, N, E)``, memory ``(S, N, E)`` -> ``(T, N, E)``.

    Example::

        >>> layer = nn.TransformerDecoderLayer(d_model=512, nhead=8)
        >>> layer(numtorch.randn(20, 32, 512), numtorch.randn(10, 32, 512)).shape
        numtorch.Size([20, 32, 512])
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                            **factory)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first,
                                                 bias=bias, **factory)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        if isinstance(activation, str):
            self.activation = _get_activation_fn(activation)
        else:
            self.activation = activation

    def __setstate__(self, state):
        if "activation" not in state:
            state["activation"] = F.relu
        super().__setstate__(state)

    def __deepcopy__(self, memo):
        new = super().__deepcopy__(memo)
        if "activation" not in self.__dict__:
            # As in torch, whose deepcopy runs the __setstate__ above: when the activation is a child module, the
            # copy gets a plain F.relu attribute that shadows it, so TransformerDecoder's clones of a layer built
            # with e.g. nn.GELU() compute ReLU. Kept so that torch-trained stacks give torch's numbers.
            new.__dict__["activation"] = F.relu
        return new

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        """Pass ``tgt`` (attending to itself and to ``memory``) through the layer."""
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, is_causal=is_causal,
                           need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


# ---------------------------------------------------------------------- stacks
class TransformerEncoder(Module):
    r"""A stack of ``num_layers`` deep copies of ``encoder_layer``, then an optional final norm.

    .. math:: x_{i+1} = \mathrm{layer}_i(x_i), \qquad y = \mathrm{norm}(x_{n})

    Args:
        encoder_layer: the layer to copy. num_layers: how many copies.
        norm: final layer normalization, or None.
        enable_nested_tensor: torch's nested-tensor inference path. numtorch has no nested tensors; it only
            reproduces that path's visible effect: in eval mode, without gradients, with a left-aligned
            ``src_key_padding_mask`` and no ``mask``, outputs at padded positions are zeros (before ``norm``).
        mask_check: check that the padding mask is left-aligned before taking that path. Default: ``True``.

    Shape:
        ``(S, N, E)`` (or ``(N, S, E)`` when the layer is batch-first) -> same.

    Example::

        >>> layer = nn.TransformerEncoderLayer(d_model=512, nhead=8)
        >>> enc = nn.TransformerEncoder(layer, num_layers=6)
        >>> enc(numtorch.randn(10, 32, 512)).shape
        numtorch.Size([10, 32, 512])
    """

    __constants__ = ["norm"]

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_not_sparsity_fast_path(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why_not}",
                          stacklevel=2)
            self.use_nested_tensor = False

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """Pass ``src`` through every layer (then the norm). ``is_causal=None`` detects a causal ``mask``."""
        src_key_padding_mask = _attn._canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                                     _attn._none_or_dtype(mask), "mask", src.dtype)
        mask = _attn._canonical_mask(mask, "mask", None, "", src.dtype, check_other=False)
        first = self.layers[0]
        keep = None
        if self._takes_nested_path(src, mask, src_key_padding_mask, first):
            keep = src_key_padding_mask == 0
        seq_len = _get_seq_len(src, first.self_attn.batch_first)
        is_causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        if keep is not None:  # torch's nested tensor comes back padded with zeros
            output = output * keep.unsqueeze(-1).to(output.dtype)
        if self.norm is not None:
            output = self.norm(output)
        return output

    def _takes_nested_path(self, src, mask, kpm, first):
        if not getattr(self, "use_nested_tensor", False) or first.training or src.dim() != 3 or kpm is None:
            return False
        if mask is not None:
            return False
        keep = (kpm == 0)._data
        if getattr(self, "mask_check", True):
            # left-aligned: every row keeps a prefix and pads the rest
            n_keep = keep.sum(axis=1)
            if not (keep == (_creation.arange(keep.shape[1])._data[None, :] < n_keep[:, None])).all():
                return False
        if GradMode.enabled:
            args = [src] + [p for p in (first.self_attn.in_proj_weight, first.self_attn.in_proj_bias,
                                        first.self_attn.out_proj.weight, first.self_attn.out_proj.bias,
                                        first.norm1.weight, first.norm1.bias, first.norm2.weight, first.norm2.bias,
                                        first.linear1.weight, first.linear1.bias, first.linear2.weight,
                                        first.linear2.bias)]
            if any(isinstance(a, Tensor) and a.requires_grad for a in args):
                return False
        return True


def _why_not_sparsity_fast_path(layer):
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    if layer.norm_first:
        return f"{name}.norm_first was True"
    if not layer.self_attn.batch_first:
        return f"{name}.self_attn.batch_first was not True(use batch_first for better inference performance)"
    if not layer.self_attn._qkv_same_embed_dim:
        return f"{name}.self_attn._qkv_same_embed_dim was not True"
    if layer.self_attn.in_proj_bias is None:
        return f"{name}.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return f"{name}.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
    if layer.self_attn.num_heads % 2 == 1:
        return f"{name}.self_attn.num_heads is odd"
    return ""


class TransformerDecoder(Module):
    r"""A stack of ``num_layers`` deep copies of ``decoder_layer``, then an optional final norm.

    .. math:: x_{i+1} = \mathrm{layer}_i(x_i, \mathrm{memory}), \qquad y = \mathrm{norm}(x_{n})

    Args:
        decoder_layer: the layer to copy. num_layers: how many copies. norm: final norm, or None.

    Shape:
        tgt ``(T, N, E)``, memory ``(S, N, E)`` -> ``(T, N, E)``.

    Example::

        >>> layer = nn.TransformerDecoderLayer(d_model=512, nhead=8)
        >>> dec = nn.TransformerDecoder(layer, num_layers=6)
        >>> dec(numtorch.randn(20, 32, 512), numtorch.randn(10, 32, 512)).shape
        numtorch.Size([20, 32, 512])
    """

    __constants__ = ["norm"]

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        """Pass ``tgt`` through every layer (then the norm). ``tgt_is_causal=None`` detects a causal mask."""
        output = tgt
        seq_len = _get_seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    r"""The encoder-decoder Transformer of "Attention Is All You Need".

    .. math::
        \mathrm{memory} = \mathrm{Encoder}(\mathrm{src}), \qquad
        y = \mathrm{Decoder}(\mathrm{tgt}, \mathrm{memory})

    Args:
        d_model: 512. nhead: 8. num_encoder_layers: 6. num_decoder_layers: 6. dim_feedforward: 2048.
        dropout: 0.1. activation: ``F.relu`` (or ``"gelu"``, or a callable).
        custom_encoder, custom_decoder: modules used instead of the default stacks.
        layer_norm_eps: 1e-5. batch_first: ``False``. norm_first: ``False``. bias: ``True``.

    Shape:
        src ``(S, N, E)``, tgt ``(T, N, E)`` -> ``(T, N, E)`` (batch first: ``(N, S, E)``, ``(N, T, E)``).

    Attributes:
        Every parameter with more than one dimension is re-initialised with xavier_uniform.

    Example::

        >>> model = nn.Transformer(nhead=16, num_encoder_layers=12)
        >>> out = model(numtorch.rand(10, 32, 512), numtorch.rand(20, 32, 512))
        >>> out.shape
        numtorch.Size([20, 32, 512])
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation=F.relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, **factory)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, **factory)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        """Encode ``src`` and decode ``tgt`` against it; the masks are passed to the matching attention."""
        is_batched = src.dim() == 3
        if not self.batch_first and src.size(1) != tgt.size(1) and is_batched:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if self.batch_first and src.size(0) != tgt.size(0) and is_batched:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.size(-1) != self.d_model or tgt.size(-1) != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        r"""The causal mask: ``(sz, sz)`` float, 0 on and below the diagonal and ``-inf`` above.

        .. math:: M_{ij} = 0 \text{ if } j \le i \text{ else } -\infty
        """
        return _generate_square_subsequent_mask(sz, dtype=dtype, device=device)

    def _reset_parameters(self):
        """xavier_uniform on every parameter with more than one dimension."""
        for p in self.parameters():
            if p.dim() > 1:
                xavier_uniform_(p)

