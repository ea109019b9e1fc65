"""Padding: ``pad`` with torch's constant, reflect, replicate and circular modes.

``pad = (left_last, right_last, left_2nd_last, right_2nd_last, ...)`` pads the last ``len(pad) // 2`` axes,
starting from the last. Along one padded axis of size ``S``, output position ``j`` reads the input at the
*virtual* coordinate ``q = j - left`` mapped back inside ``[0, S)``:

* constant: ``q`` itself when inside, otherwise ``value`` (negative pads crop);
* reflect: ``q < 0 -> -q``, ``q >= S -> 2 (S - 1) - q`` (mirror without repeating the edge);
* replicate: ``clip(q, 0, S - 1)``;
* circular: ``q mod S`` (negative pads crop first; the wrap then uses what is left).

So each non-constant mode is a gather along each padded axis, and its backward is the adjoint scatter-add:
the central block adds straight through, each border block adds into the positions it was read from (they
are distinct for reflect and circular; replicate sums its border into the edge element).
"""
import numbers

import numpy as np

from .._tensor import Tensor
from ..autograd.function import ArrayFunction

__all__ = ["pad"]
#: names also exported at numtorch's top level (torch.<name>), besides nn.functional
TOP_LEVEL = ["constant_pad_nd"]

_MODES = ("constant", "reflect", "replicate", "circular")


# ---------------------------------------------------------------------- constant
class ConstantPadFunction(ArrayFunction):
    """y = value everywhere, with x copied into the window ``left..left+S`` (cropped where pads are negative);
    dx = the same window of g."""
    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pads, value):
        nd = len(pads)
        lead = x.ndim - nd
        out_shape = x.shape[:lead] + tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[lead:], pads))
        y = np.full(out_shape, value, dtype=x.dtype)
        src, dst = [slice(None)] * lead, [slice(None)] * lead
        for s, (lo, hi) in zip(x.shape[lead:], pads):
            a, b = max(-lo, 0), s - max(-hi, 0)
            n = max(b - a, 0)
            src.append(slice(a, a + n))
            dst.append(slice(max(lo, 0), max(lo, 0) + n))
        y[tuple(dst)] = x[tuple(src)]
        ctx.src, ctx.dst, ctx.shape = tuple(src), tuple(dst), x.shape
        return y

    @staticmethod
    def backward(ctx, gy):
        gx = np.zeros(ctx.shape, dtype=gy.dtype)
        gx[ctx.src] = gy[ctx.dst]
        return gx, None, None


# ---------------------------------------------------------------------- reflect / replicate / circular
def _source_index(S, lo, hi, mode):
    """Input index read by every output position along one axis (the virtual coordinate folded back)."""
    q = np.arange(S + lo + hi) - lo
    if mode == "reflect":
        q = np.where(q < 0, -q, q)
        return np.where(q >= S, 2 * (S - 1) - q, q)
    if mode == "replicate":
        return np.clip(q, 0, S - 1)
    # circular: torch first crops the negative pads, then wraps around what is left
    start, kept = max(-lo, 0), S + min(lo, 0) + min(hi, 0)
    return start + np.mod(np.arange(S + lo + hi) - max(lo, 0), max(kept, 1))


def _gather_adjoint(g, idx, S, axis):
    """Adjoint of ``np.take(x, idx, axis)`` for the monotone-by-block indices of the padding modes."""
    out_shape = list(g.shape)
    out_shape[axis] = S
    gx = np.zeros(out_shape, dtype=g.dtype)

    def sl(a, b):
        s = [slice(None)] * g.ndim
        s[axis] = slice(a, b)
        return tuple(s)

    n = len(idx)
    j = 0
    while j < n:
        # a block of consecutive positions whose indices either step by +1 (a straight copy), step by -1
        # (a mirrored copy) or repeat (replicate's border): each block is added with one vectorised op
        k = j + 1
        step = None
        while k < n:
            dlt = idx[k] - idx[k - 1]
            if step is None and dlt in (-1, 0, 1):
                step = dlt
            elif dlt != step:
                break
            k += 1
        a, b = int(idx[j]), int(idx[k - 1])
        if step is None or step == 1:
            gx[sl(a, b + 1)] += g[sl(j, k)]
        elif step == -1:
            gx[sl(b, a + 1)] += np.flip(g[sl(j, k)], axis=axis)
        else:
            gx[sl(a, a + 1)] += g[sl(j, k)].sum(axis=axis, keepdims=True)
        j = k
    return gx


class IndexPadFunction(ArrayFunction):
    """y = x gathered along each padded axis at the folded coordinate;  dx = the adjoint scatter-add."""
    node_name = "ReflectionPad2DBackward0"

    @staticmethod
    def forward(ctx, x, pads, mode):
        nd = len(pads)
        lead = x.ndim - nd
        idxs = []
        y = x
        for ax in range(nd):
            lo, hi = pads[ax]
            idx = _source_index(x.shape[lead + ax], lo, hi, mode)
            idxs.append(idx)
            y = np.take(y, idx, axis=lead + ax)
        ctx.idxs, ctx.shape, ctx.lead = idxs, x.shape, lead
        return y

    @staticmethod
    def backward(ctx, gy):
        g = gy
        for ax in range(len(ctx.idxs) - 1, -1, -1):
            g = _gather_adjoint(g, ctx.idxs[ax], ctx.shape[ctx.lead + ax], ctx.lead + ax)
        return g, None, None


def _named(base, name):
    return type(base.__name__.replace("Function", "") + name, (base,), {"node_name": name})


_NODE = {(m, k): _named(IndexPadFunction, f"{'Reflection' if m == 'reflect' else 'Replication'}Pad{k}DBackward0")
         for m in ("reflect", "replicate") for k in (1, 2, 3)}
_CIRCULAR = _named(IndexPadFunction, "CopySlices")  # torch builds circular padding from slice copies


# ---------------------------------------------------------------------- public function
def _check_pad_arg(pad):
    if isinstance(pad, Tensor) or not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    out = []
    for i, p in enumerate(pad):
        if isinstance(p, Tensor) and p.numel() == 1 and p.dtype.is_floating_point is False:
            p = int(p.item())
        if isinstance(p, bool) or not isinstance(p, numbers.Integral):
            raise TypeError(f"pad(): argument 'pad' failed to unpack the object at pos 2 with error \"type must be "
                            f"tuple of ints,but got {type(p).__name__}\"")
        out.append(int(p))
    return out


def _sizes(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dimensions of ``input``.

    .. math::
        y[\\ldots, j] = x[\\ldots, \\phi(j - p_{left})],\\quad
        \\phi(q) = \\begin{cases} q & \\text{constant (else value)} \\\\ |q| \\text{ mirrored at } S - 1 &
        \\text{reflect} \\\\ \\mathrm{clip}(q, 0, S - 1) & \\text{replicate} \\\\ q \\bmod S & \\text{circular}
        \\end{cases}

    Args:
        input: the tensor to pad.
        pad: ``(left, right)`` for the last dimension, then ``(top, bottom)`` for the one before, and so on.
            Constant padding accepts negative values (cropping) and up to ``2 * input.dim()`` entries; the other
            modes pad the last 1, 2 or 3 dimensions of a (batched or unbatched) 1-D, 2-D or 3-D input.
        mode: ``'constant'`` | ``'reflect'`` | ``'replicate'`` | ``'circular'``. Default: ``'constant'``.
        value: fill value for ``'constant'`` padding. Default: 0.

    Shape:
        ``(*, S_1, ..., S_k) -> (*, S_1 + l_1 + r_1, ..., S_k + l_k + r_k)``.

    Example:
        >>> pad(numtorch.arange(4.).reshape(1, 1, 4), (2, 1), mode='reflect')   # [[[2, 1, 0, 1, 2, 3, 2]]]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    pad = _check_pad_arg(pad)
    x = input._data
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {x.ndim}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    nd = len(pad) // 2
    # pads per padded axis, first to last: pad lists the last axis first
    pads = tuple((pad[2 * (nd - 1 - a)], pad[2 * (nd - 1 - a) + 1]) for a in range(nd))
    if mode == "constant":
        for s, (lo, hi) in zip(x.shape[x.ndim - nd:], pads):
            if s + min(lo, 0) + min(hi, 0) < 0 or max(-lo, 0) > s:
                raise RuntimeError("narrow(): length must be non-negative.")
        v = 0 if value is None else value
        return ConstantPadFunction.apply(input, pads, v)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if not (1 <= nd <= 3 and x.ndim in (nd + 1, nd + 2)):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.")
    if x.dtype == np.bool_ and mode == "reflect":
        raise NotImplementedError(f"\"reflection_pad{nd}d\" not implemented for 'Bool'")
    S = x.shape[x.ndim - nd:]
    if mode == "circular":
        for s, (lo, hi) in zip(S, pads):
            if lo > s or hi > s:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if s + lo + hi < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        return _CIRCULAR.apply(input, pads, mode)
    if any(s == 0 for s in x.shape[x.ndim - nd - 1:]) or (x.ndim == nd + 2 and x.shape[1] == 0):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {_sizes(x.shape)}")
    out = tuple(s + lo + hi for s, (lo, hi) in zip(S, pads))
    if mode == "reflect":
        # torch checks the last axis first (argument #4), then #6, then #8
        for a in range(nd - 1, -1, -1):
            lo, hi = pads[a]
            if lo >= S[a] or hi >= S[a]:
                raise RuntimeError(f"Argument #{4 + 2 * (nd - 1 - a)}: Padding size should be less than the "
                                   f"corresponding input dimension, but got: padding ({lo}, {hi}) at dimension "
                                   f"{x.ndim - nd + a} of input {_sizes(x.shape)}")
    if any(o < 0 for o in out):
        shape = x.shape[:x.ndim - nd] + out
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {_sizes(shape)}")
    if all(o < 1 for o in out) or (nd == 1 and out[0] < 1):
        names = ("D", "H", "W")[3 - nd:]
        if nd == 1:
            raise RuntimeError(f"input (W: {S[0]}) is too small. Calculated output W: {out[0]}")
        raise RuntimeError(f"input ({', '.join(f'{n}: {s}' for n, s in zip(names, S))} ) is too small. Calculated "
                           f"output {' '.join(f'{n}: {o}' for n, o in zip(names, out))}")
    return _NODE[(mode, nd)].apply(input, pads, mode)


def constant_pad_nd(input, pad, value=0):
    """Constant padding (``torch.constant_pad_nd``): :func:`pad` with ``mode='constant'``.

    .. math::
        y[\\ldots, j] = x[\\ldots, j - p_{left}] \\text{ inside, } \\text{value} \\text{ outside}

    Example:
        >>> constant_pad_nd(numtorch.ones(2, 2), (1, 1), 0.5).shape   # (2, 4)
    """
    return _pad(input, pad, "constant", value)


_pad = pad  # the public function, for callers whose own argument is named ``pad``
