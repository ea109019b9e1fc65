"""Elementwise arithmetic and matrix products, with their backward formulas.

Each op is one :class:`ArrayFunction`: ``forward`` computes on arrays and saves what ``backward`` needs;
``backward`` returns one gradient per input, summed back over broadcast dimensions with :func:`unbroadcast`.
Public functions take torch's names and signatures and are also installed as ``Tensor`` methods.
"""
import math as _pymath
import numbers

import numpy as np

from .._dtype import FROM_NUMPY, can_cast, get_default_dtype, result_type
from .._tensor import Tensor, _from_array, tensor_method
from ..autograd.function import ArrayFunction, commit_inplace
from ..autograd.grad_mode import GradMode
from . import _special
from ._util import broadcast_error, broadcast_shape, float_input as _float_input, out_arg as _out, promote_binary, \
    torch_type_name, unbroadcast

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "neg", "negative", "pow", "matmul", "mm", "bmm", "mv", "dot", "rsub", "tanh", "sigmoid",
           # unary math
           "abs", "absolute", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square",
           "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh",
           "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "sign", "sgn", "floor", "ceil", "round",
           "trunc", "fix", "frac", "nan_to_num", "erf", "erfc", "erfinv",
           # binary math
           "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "fmax", "fmin", "where", "masked_fill",
           "remainder", "fmod", "atan2", "arctan2", "lerp", "addcmul", "addcdiv", "hypot", "logaddexp", "xlogy",
           "float_power",
           # comparisons and logic
           "eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt", "greater", "ge", "greater_equal",
           "equal", "isclose", "allclose", "isnan", "isinf", "isposinf", "isneginf", "isfinite", "isreal",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_not"]

_ndarray = np.ndarray


def _shape(x):
    return x.shape if type(x) is _ndarray else ()


# ---------------------------------------------------------------------- binary arithmetic
class AddFunction(ArrayFunction):
    """out = a + b;  da = g, db = g (each summed over its broadcast dimensions)."""
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        try:
            return a + b
        except ValueError:
            raise broadcast_error(*ctx.shapes) from None

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        return (unbroadcast(g, sa) if na else None), (unbroadcast(g, sb) if nb else None)


class SubFunction(ArrayFunction):
    """out = a - b;  da = g, db = -g."""
    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        try:
            return a - b
        except ValueError:
            raise broadcast_error(*ctx.shapes) from None

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        return (unbroadcast(g, sa) if na else None), (-unbroadcast(g, sb) if nb else None)


class MulFunction(ArrayFunction):
    """out = a * b;  da = g * b, db = g * a."""
    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            return a * b
        except ValueError:
            raise broadcast_error(_shape(a), _shape(b)) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g * b, _shape(a)) if na else None), (unbroadcast(g * a, _shape(b)) if nb else None)


class DivFunction(ArrayFunction):
    """out = a / b;  da = g / b, db = -g * a / b^2."""
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                return a / b
        except ValueError:
            raise broadcast_error(_shape(a), _shape(b)) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = unbroadcast(g / b, _shape(a)) if na else None
            gb = unbroadcast(-g * a / (b * b), _shape(b)) if nb else None
        return ga, gb


class NegFunction(ArrayFunction):
    """out = -x;  dx = -g."""
    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


def _power(a, b):
    """a ** b with torch's special exponents: 0.5 is sqrt and -0.5 is 1 / sqrt for float32/64 (so -0.0 gives -0.0
    and -inf); integer powers with a negative exponent are 1 for a base 1, +-1 for -1 and 0 otherwise."""
    dt = np.result_type(a, b)
    if type(b) is not _ndarray and dt in (np.float32, np.float64):
        if b == 0.5:
            return np.sqrt(a)
        if b == -0.5:
            return 1 / np.sqrt(a)
    if dt.kind in "iu" and np.any(np.asarray(b) < 0):
        a, b = np.broadcast_arrays(a, b)
        neg = b < 0
        out = np.power(a, np.where(neg, 0, b))
        odd = (b % 2) != 0
        return np.where(neg, np.where(a == 1, 1, np.where(a == -1, np.where(odd, -1, 1), 0)), out).astype(dt)
    return np.power(a, b)


class PowFunction(ArrayFunction):
    """out = a ** b;  da = g * b * a^(b-1), db = g * a^b * log(a)."""
    node_name = "PowBackward0"  # tensor ** number

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            try:
                out = _power(a, b)
            except ValueError:
                raise broadcast_error(_shape(a), _shape(b)) from None
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if na:
                if type(b) is not _ndarray:
                    # Scalar exponent: torch gives 0 (not nan) where b == 0.
                    ga = g * (b * _power(a, b - 1)) if b != 0 else np.zeros_like(g)
                else:
                    ga = np.where(b == 0, 0, g * b * np.power(a, b - 1))
                ga = unbroadcast(ga.astype(g.dtype, copy=False), _shape(a))
            if nb:
                # torch masks the log where the result is 0 and the base is 0 (0 ** b for b >= 0).
                la = np.log(a) if type(a) is _ndarray else np.log(np.asarray(a, dtype=g.dtype))
                gb = np.where((a == 0) & (b >= 0), 0, g * out * la)
                gb = unbroadcast(gb.astype(g.dtype, copy=False), _shape(b))
        return ga, gb


class PowTensorFunction(PowFunction):
    """tensor ** tensor (same formulas as :class:`PowFunction`)."""
    node_name = "PowBackward1"


class PowScalarBaseFunction(PowFunction):
    """number ** tensor (same formulas as :class:`PowFunction`)."""
    node_name = "PowBackward2"


def _scalar_alpha(alpha, t):
    if isinstance(alpha, Tensor):
        alpha = alpha.item()
    if isinstance(alpha, float) and isinstance(t, Tensor) and t._data.dtype.kind in "iub":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    return alpha


@tensor_method()
def add(input, other, *, alpha=1, out=None):
    """out = input + alpha * other, broadcasting both."""
    a, b = promote_binary(input, other)
    if alpha != 1:
        alpha = _scalar_alpha(alpha, a)
        b = mul(b, alpha) if isinstance(b, Tensor) else b * alpha  # a number other stays a number
    return _out(AddFunction.apply(a, b), out)


@tensor_method("sub", "subtract")
def sub(input, other, *, alpha=1, out=None):
    """out = input - alpha * other, broadcasting both."""
    is_bool = [x._data.dtype == np.bool_ if isinstance(x, Tensor) else isinstance(x, bool) for x in (input, other)]
    if all(is_bool):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                               "`^` or `logical_xor()` operator instead.")
    if any(is_bool):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    a, b = promote_binary(input, other)
    if alpha != 1:
        alpha = _scalar_alpha(alpha, a)
        b = mul(b, alpha) if isinstance(b, Tensor) else b * alpha  # a number other stays a number
    return _out(SubFunction.apply(a, b), out)


subtract = sub


def rsub(input, other, *, alpha=1):
    """out = other - alpha * input."""
    return sub(other, input, alpha=alpha)


@tensor_method("mul", "multiply")
def mul(input, other, *, out=None):
    """out = input * other, broadcasting both."""
    a, b = promote_binary(input, other)
    return _out(MulFunction.apply(a, b), out)


multiply = mul


def _float_operands(a, b):
    # True division of integers gives the default float dtype, as in torch.
    a, b = promote_binary(a, b)
    for x in (a, b):
        if isinstance(x, Tensor) and x._data.dtype.kind in "iub":
            d = get_default_dtype()
            a = a.to(d) if isinstance(a, Tensor) else float(a)
            b = b.to(d) if isinstance(b, Tensor) else float(b)
            break
    return a, b


@tensor_method("div", "divide", "true_divide")
def div(input, other, *, rounding_mode=None, out=None):
    """out = input / other; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient (no gradient then)."""
    if rounding_mode is None:
        a, b = _float_operands(input, other)
        return _out(DivFunction.apply(a, b), out)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                         f"'{rounding_mode}'")
    return _out(_rounded_div(input, other, rounding_mode), out)


divide = true_divide = div


class RoundedDivFunction(ArrayFunction):
    """out = round(a / b) (trunc or floor): piecewise constant, so the gradient is zero.

    Floor division of floats is Python's (and torch's): ``(a - fmod(a, b)) / b`` adjusted to the floor, so
    ``inf // 2`` is nan and ``-1 // inf`` is -1, which ``floor(a / b)`` gets wrong.
    """
    node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, mode):
        ctx.shapes = (_shape(a), _shape(b))
        dt = np.result_type(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            try:
                if dt.kind in "iu":
                    if _divides_by_zero(np.asarray(a), np.asarray(b)):
                        raise RuntimeError("ZeroDivisionError")
                    if mode == "floor":
                        return np.floor_divide(a, b)
                    q = np.floor_divide(a, b)
                    r = np.remainder(a, b)
                    return q + ((r != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))
                if mode == "floor":
                    return np.floor_divide(a, b)
                return np.trunc(np.true_divide(a, b))
            except ValueError:
                raise broadcast_error(*ctx.shapes) from None

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad[:2]
        sa, sb = ctx.shapes
        return (np.zeros(sa, g.dtype) if na else None), (np.zeros(sb, g.dtype) if nb else None), None


class FloorDivideFunction(RoundedDivFunction):
    """out = floor(a / b); torch defines no derivative for floor_divide, so backward raises."""
    node_name = "NotImplemented"

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


def _rounded_div(input, other, mode, fn=RoundedDivFunction):
    a, b = promote_binary(input, other)
    if all(x._data.dtype == np.bool_ if isinstance(x, Tensor) else isinstance(x, bool) for x in (a, b)):
        raise NotImplementedError(f"\"div_{mode}_cpu\" not implemented for 'Bool'")
    return fn.apply(a, b, mode)


@tensor_method()
def floor_divide(input, other, *, out=None):
    """out = floor(input / other)."""
    return _out(_rounded_div(input, other, "floor", FloorDivideFunction), out)


@tensor_method("neg", "negative")
def neg(input, *, out=None):
    """out = -input."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return _out(NegFunction.apply(input), out)


negative = neg


@tensor_method()
def pow(input, exponent, *, out=None):
    """out = input ** exponent (either may be a Python number)."""
    a, b = promote_binary(input, exponent)
    is_bool = [t._data.dtype == np.bool_ if isinstance(t, Tensor) else isinstance(t, bool) for t in (a, b)]
    if all(is_bool) and isinstance(b, Tensor):  # a bool exponent tensor on a bool base (after broadcasting)
        broadcast_shape(_shape(a._data if isinstance(a, Tensor) else a), b._data.shape)
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if isinstance(a, Tensor) and a._data.dtype == np.bool_ and isinstance(b, bool):
        return _out(_from_array(a._data | (not b)), out)  # bool ** bool stays bool: x ** True = x, x ** False = True
    if isinstance(a, Tensor) and isinstance(b, numbers.Number) and not isinstance(b, bool):
        if a._data.dtype.kind in "iu" and b < 0 and isinstance(b, int):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
    if not isinstance(a, Tensor):
        return _out(PowScalarBaseFunction.apply(a, b), out)
    return _out((PowTensorFunction if isinstance(b, Tensor) else PowFunction).apply(a, b), out)


# ---------------------------------------------------------------------- in-place arithmetic
def inplace_binary(self, other, ufunc, out_of_place, **kwargs):
    """``self <op>= other``: a single NumPy call when nothing is recorded, else torch's in-place rebasing."""
    if not isinstance(self, Tensor):
        raise TypeError(f"expected a Tensor, got {type(self).__name__}")
    ot = isinstance(other, Tensor)
    if GradMode.enabled and (self._requires_grad or (ot and other._requires_grad)):
        return commit_inplace(self, out_of_place(self, other, **kwargs))
    arr = self._data
    o = other._data if ot else other
    if isinstance(o, np.generic):
        o = o.item()
    if not (ot and o.dtype == arr.dtype):
        rt = result_type(self, other if ot else o)
        if not can_cast(rt, FROM_NUMPY[arr.dtype]):
            raise RuntimeError(f"result type {torch_type_name(rt.np)} can't be cast to the desired output type "
                               f"{torch_type_name(arr.dtype)}")
    alpha = kwargs.get("alpha", 1)
    if alpha != 1:
        o = o * alpha
    if not arr.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    try:
        ufunc(arr, o, out=arr, casting="unsafe")
    except ValueError:
        try:
            shape = np.broadcast_shapes(arr.shape, np.shape(o))
        except ValueError:
            raise broadcast_error(arr.shape, np.shape(o)) from None
        raise RuntimeError(f"output with shape {list(arr.shape)} doesn't match the broadcast shape "
                           f"{list(shape)}") from None
    self._vc[0] += 1
    return self


@tensor_method()
def add_(self, other, *, alpha=1):
    """self += alpha * other, in place."""
    return inplace_binary(self, other, np.add, add, alpha=alpha)


@tensor_method("sub_", "subtract_")
def sub_(self, other, *, alpha=1):
    """self -= alpha * other, in place."""
    return inplace_binary(self, other, np.subtract, sub, alpha=alpha)


@tensor_method("mul_", "multiply_")
def mul_(self, other):
    """self *= other, in place."""
    return inplace_binary(self, other, np.multiply, mul)


@tensor_method("div_", "divide_", "true_divide_")
def div_(self, other, *, rounding_mode=None):
    """self /= other, in place."""
    if rounding_mode is not None:
        return commit_inplace(self, div(self, other, rounding_mode=rounding_mode)) if (
            GradMode.enabled and self._requires_grad) else _copy_result(self, div(self, other,
                                                                                  rounding_mode=rounding_mode))
    if self._data.dtype.kind in "iub":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{torch_type_name(self._data.dtype)}")
    return inplace_binary(self, other, np.true_divide, div)


@tensor_method()
def pow_(self, exponent):
    """self **= exponent, in place."""
    return inplace_binary(self, exponent, np.power, pow)


@tensor_method()
def neg_(self):
    """self = -self, in place."""
    return inplace_binary(self, -1, np.multiply, mul)


@tensor_method()
def floor_divide_(self, other):
    return _copy_result(self, floor_divide(self, other))


def _copy_result(self, result):
    if GradMode.enabled and (self._requires_grad or result._requires_grad):
        return commit_inplace(self, result)
    return commit_inplace(self, result.detach())


# ---------------------------------------------------------------------- matrix products
class MatmulFunction(ArrayFunction):
    """out = a @ b (NumPy matmul semantics: 1-D operands are promoted and the added dimension removed).

    da = g @ b^T, db = a^T @ g, each summed over broadcast batch dimensions.
    """
    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1 and b.ndim == 1:
            g2 = g.reshape(1, 1)
        elif a.ndim == 1:
            g2 = np.expand_dims(g, -2)
        elif b.ndim == 1:
            g2 = np.expand_dims(g, -1)
        else:
            g2 = g
        ga = gb = None
        if na:
            ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
            ga = unbroadcast(ga, a2.shape).reshape(a.shape)
        if nb:
            if a2.ndim > 2 and b2.ndim == 2:
                # Fold the batch into rows: one large GEMM instead of a batched one summed afterwards.
                k, rows = a2.shape[-1], _pymath.prod(a2.shape[:-1])  # rows, not -1: k may be 0
                gb = np.matmul(a2.reshape(rows, k).T, g2.reshape(rows, g2.shape[-1]))
            else:
                gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
                gb = unbroadcast(gb, b2.shape)
            gb = gb.reshape(b.shape)
        return ga, gb


class _BatchedMatmul(MatmulFunction):
    node_name = "BmmBackward0"


class _DotFunction(MatmulFunction):
    node_name = "DotBackward0"


class _MvFunction(MatmulFunction):
    node_name = "MvBackward0"


def _check_matmul(a, b, op):
    for name, x in (("input", a), ("other", b)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_c_type_name(a._data.dtype)} != {_c_type_name(b._data.dtype)}")
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a._data.ndim}D and {b._data.ndim}D")


@tensor_method()
def matmul(input, other, *, out=None):
    """Matrix product :math:`y_{ij} = \\sum_k a_{ik} b_{kj}`, with torch's rules for 1-D, 2-D and batched
    (broadcast) operands."""
    _check_matmul(input, other, "matmul")
    sa, sb = input._data.shape, other._data.shape
    if len(sa) == 1 and len(sb) == 1:
        if sa[0] != sb[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have "
                               f"the same number of elements, but got {sa[0]} and {sb[0]} elements respectively")
        return _out(_DotFunction.apply(input, other), out)
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        if len(sa) <= 2 and len(sb) <= 2:
            ra = f"{sa[0]}x{sa[1]}" if len(sa) == 2 else f"1x{sa[0]}"
            rb = f"{sb[0]}x{sb[1]}" if len(sb) == 2 else f"{sb[0]}x1"
            if len(sb) == 1:
                raise RuntimeError(f"size mismatch, got input ({sa[0]}), mat ({ra}), vec ({sb[0]})")
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({ra} and {rb})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(sb[:-2])) if len(sb) > 2 else 1}, {k_a}] but got: "
                           f"[{int(np.prod(sb[:-2])) if len(sb) > 2 else 1}, {k_b}].")
    if len(sa) > 2 or len(sb) > 2:
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2] if len(sb) > 1 else ())
        except ValueError:
            raise broadcast_error(sa[:-2], sb[:-2]) from None
        return _out(_BatchedMatmul.apply(input, other), out)
    if len(sb) == 1:
        return _out(_MvFunction.apply(input, other), out)
    return _out(MatmulFunction.apply(input, other), out)


@tensor_method()
def mm(input, mat2, *, out=None):
    """Product of two 2-D matrices: :math:`y_{ij} = \\sum_k a_{ik} b_{kj}`."""
    _check_matmul(input, mat2, "mm")
    if input._data.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    return matmul(input, mat2, out=out)


@tensor_method()
def bmm(input, mat2, *, out=None):
    """Batched product of (b, n, m) and (b, m, p) tensors: :math:`y_{bij} = \\sum_k a_{bik} c_{bkj}`."""
    _check_matmul(input, mat2, "bmm")
    if input._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    sa, sb = input._data.shape, mat2._data.shape
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] "
                           f"but got: [{sb[0]}, {sb[1]}].")
    return matmul(input, mat2, out=out)


@tensor_method()
def mv(input, vec, *, out=None):
    """Matrix-vector product: :math:`y_i = \\sum_k a_{ik} v_k`."""
    _check_matmul(input, vec, "mv")
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    return matmul(input, vec, out=out)


@tensor_method()
def dot(input, tensor, *, out=None):
    """Inner product of two 1-D tensors: :math:`y = \\sum_k a_k b_k`."""
    _check_matmul(input, tensor, "dot")
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors")
    return matmul(input, tensor, out=out)


# ---------------------------------------------------------------------- unary functions
class TanhFunction(ArrayFunction):
    """y = tanh(x);  dx = g * (1 - y^2)  (saves the output, which is cheaper than the input here)."""
    node_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 - y * y)


class SigmoidFunction(ArrayFunction):
    """y = 1 / (1 + exp(-x)), computed stably as 0.5 * tanh(0.5 x) + 0.5;  dx = g * y * (1 - y)."""
    node_name = "SigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        half = x.dtype.type(0.5)
        y = np.tanh(x * half)
        y *= half
        y += half
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * (1 - y)


@tensor_method()
def tanh(input, *, out=None):
    """Hyperbolic tangent, elementwise: :math:`y = (e^x - e^{-x}) / (e^x + e^{-x})`."""
    return _out(TanhFunction.apply(_float_input(input, "tanh")), out)


@tensor_method()
def sigmoid(input, *, out=None):
    """Logistic sigmoid, elementwise: :math:`y = 1 / (1 + e^{-x})`."""
    return _out(SigmoidFunction.apply(_float_input(input, "sigmoid")), out)


# ---------------------------------------------------------------------- elementwise math (unary)
# Float-valued functions promote integer and bool inputs to the default float dtype (``_float_input``); the
# rounding family and abs/sign keep integer dtypes, as torch does. Every forward ignores NumPy's
# floating-point warnings: torch returns nan/inf silently outside a function's domain.
_LN2 = _pymath.log(2.0)
_LN10 = _pymath.log(10.0)


def _not_implemented(op, x):
    """torch's NotImplementedError for a kernel that has no version for ``x``'s dtype."""
    return NotImplementedError(f"\"{op}\" not implemented for '{torch_type_name(x._data.dtype)}'")


def _check_input(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    return x


class AbsFunction(ArrayFunction):
    """y = |x|;  dx = g * sign(x)  (0 at x = 0 and at nan, as torch's sgn)."""
    node_name = "AbsBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        sign = np.sign(x) if x.dtype.kind != "f" else np.where(np.isnan(x), x.dtype.type(0), np.sign(x))
        return g * sign


class ExpFunction(ArrayFunction):
    """y = e^x;  dx = g * y."""
    node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class Exp2Function(ArrayFunction):
    """y = 2^x;  dx = g * y * ln 2."""
    node_name = "Exp2Backward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            y = np.exp2(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * _LN2


class Expm1Function(ArrayFunction):
    """y = e^x - 1 (accurate near 0);  dx = g * (y + 1)."""
    node_name = "Expm1Backward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            y = np.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y + 1)


class LogFunction(ArrayFunction):
    """y = ln x;  dx = g / x."""
    node_name = "LogBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / x


class Log2Function(ArrayFunction):
    """y = log2 x;  dx = g / (x ln 2)."""
    node_name = "Log2Backward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / (x * _LN2)


class Log10Function(ArrayFunction):
    """y = log10 x;  dx = g / (x ln 10)."""
    node_name = "Log10Backward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / (x * _LN10)


class Log1pFunction(ArrayFunction):
    """y = ln(1 + x) (accurate near 0);  dx = g / (1 + x)."""
    node_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / (x + 1)


class SqrtFunction(ArrayFunction):
    """y = sqrt(x);  dx = g / (2 y)."""
    node_name = "SqrtBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / (y * 2)


class RsqrtFunction(ArrayFunction):
    """y = 1 / sqrt(x);  dx = -g * y^3 / 2."""
    node_name = "RsqrtBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = 1 / np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        with np.errstate(over="ignore", invalid="ignore"):
            return g * (y * y * y) * -0.5


class ReciprocalFunction(ArrayFunction):
    """y = 1 / x;  dx = -g * y^2."""
    node_name = "ReciprocalBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            y = 1 / x
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        with np.errstate(over="ignore", invalid="ignore"):
            return -g * (y * y)


class SinFunction(ArrayFunction):
    """y = sin x;  dx = g * cos x."""
    node_name = "SinBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x)


class CosFunction(ArrayFunction):
    """y = cos x;  dx = -g * sin x."""
    node_name = "CosBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * np.sin(x)


class TanFunction(ArrayFunction):
    """y = tan x;  dx = g * (1 + y^2)."""
    node_name = "TanBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            y = np.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y * y + 1)


class AsinFunction(ArrayFunction):
    """y = asin x;  dx = g / sqrt(1 - x^2)."""
    node_name = "AsinBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / np.sqrt(1 - x * x)


class AcosFunction(ArrayFunction):
    """y = acos x;  dx = -g / sqrt(1 - x^2)."""
    node_name = "AcosBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arccos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return -g / np.sqrt(1 - x * x)


class AtanFunction(ArrayFunction):
    """y = atan x;  dx = g / (1 + x^2)."""
    node_name = "AtanBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * x + 1)


class SinhFunction(ArrayFunction):
    """y = sinh x;  dx = g * cosh x."""
    node_name = "SinhBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return np.sinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return g * np.cosh(x)


class CoshFunction(ArrayFunction):
    """y = cosh x;  dx = g * sinh x."""
    node_name = "CoshBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return np.cosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return g * np.sinh(x)


class AsinhFunction(ArrayFunction):
    """y = asinh x;  dx = g / sqrt(x^2 + 1)."""
    node_name = "AsinhBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return g / np.sqrt(x * x + 1)


class AcoshFunction(ArrayFunction):
    """y = acosh x;  dx = g / sqrt((x - 1)(x + 1))."""
    node_name = "AcoshBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arccosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / np.sqrt((x - 1) * (x + 1) + 0.0)  # + 0: at x = -1 the product is -0, torch's x^2 - 1 is +0


class AtanhFunction(ArrayFunction):
    """y = atanh x;  dx = g / (1 - x^2)."""
    node_name = "AtanhBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.arctanh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (1 - x * x)


class _StepFunction(ArrayFunction):
    """A piecewise-constant function of x: the gradient is zero wherever it is defined."""

    @staticmethod
    def backward(ctx, g):
        return np.zeros_like(g)


class SignFunction(_StepFunction):
    """y = sign(x) in {-1, 0, 1} (0 for nan, as torch);  dx = 0."""
    node_name = "SignBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype == np.bool_:
            return x.copy()
        if x.dtype.kind == "f":
            return np.where(np.isnan(x), x.dtype.type(0), np.sign(x))
        return np.sign(x)


class SgnFunction(SignFunction):
    """y = sgn(x), which is sign(x) for real tensors;  dx = 0."""
    node_name = "SgnBackward0"


class FloorFunction(_StepFunction):
    """y = floor(x);  dx = 0."""
    node_name = "FloorBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.floor(x) if x.dtype.kind == "f" else x.copy()


class CeilFunction(_StepFunction):
    """y = ceil(x);  dx = 0."""
    node_name = "CeilBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.ceil(x) if x.dtype.kind == "f" else x.copy()


class TruncFunction(_StepFunction):
    """y = trunc(x) (round toward zero);  dx = 0."""
    node_name = "TruncBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.trunc(x) if x.dtype.kind == "f" else x.copy()


class RoundFunction(_StepFunction):
    """y = round(x), halves to even;  dx = 0."""
    node_name = "RoundBackward0"

    @staticmethod
    def forward(ctx, x):
        return np.rint(x) if x.dtype.kind == "f" else x.copy()


class RoundDecimalsFunction(_StepFunction):
    """y = round(x * 10^d) / 10^d (for d < 0: round(x / 10^-d) * 10^-d), halves to even;  dx = 0."""
    node_name = "RoundBackward1"

    @staticmethod
    def forward(ctx, x, decimals):
        dt = x.dtype
        if dt == np.float16:  # torch scales half precision in float32 and rounds once
            x = x.astype(np.float32)
        if decimals > 0:
            scale = x.dtype.type(10.0 ** decimals)
            return (np.rint(x * scale) / scale).astype(dt, copy=False)
        scale = x.dtype.type(10.0 ** -decimals)
        return (np.rint(x / scale) * scale).astype(dt, copy=False)

    @staticmethod
    def backward(ctx, g):
        return np.zeros_like(g), None


class FracFunction(ArrayFunction):
    """y = x - trunc(x);  dx = g."""
    node_name = "FracBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            return x - np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return g


class NanToNumFunction(ArrayFunction):
    """y = x with nan, +inf, -inf replaced by given numbers;  dx = g where x is finite, else 0."""
    node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return np.nan_to_num(x, copy=True, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.isfinite(x), None, None, None


_TWO_OVER_SQRT_PI = 2.0 / _pymath.sqrt(_pymath.pi)
_SQRT_PI_OVER_TWO = _pymath.sqrt(_pymath.pi) / 2.0


class ErfFunction(ArrayFunction):
    """y = erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt;  dx = g * 2/sqrt(pi) * e^(-x^2)."""
    node_name = "ErfBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _special.erf(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (np.exp(-(x * x)) * _TWO_OVER_SQRT_PI)


class ErfcFunction(ArrayFunction):
    """y = erfc(x) = 1 - erf(x);  dx = -g * 2/sqrt(pi) * e^(-x^2)."""
    node_name = "ErfcBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _special.erfc(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (np.exp(-(x * x)) * -_TWO_OVER_SQRT_PI)


class ErfinvFunction(ArrayFunction):
    """y = erf^-1(x);  dx = g * sqrt(pi)/2 * e^(y^2)."""
    node_name = "ErfinvBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore", divide="ignore"):
            y = _special.erfinv(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        with np.errstate(over="ignore", invalid="ignore"):
            return g * (np.exp(y * y) * _SQRT_PI_OVER_TWO)


@tensor_method("abs", "absolute", "__abs__")
def abs(input, *, out=None):
    """Absolute value, elementwise: :math:`y = |x|` (integer dtypes are kept)."""
    _check_input(input, "abs")
    if input._data.dtype == np.bool_:
        raise _not_implemented("abs_cpu", input)
    return _out(AbsFunction.apply(input), out)


absolute = abs


@tensor_method()
def exp(input, *, out=None):
    """Exponential, elementwise: :math:`y = e^x`."""
    return _out(ExpFunction.apply(_float_input(input, "exp")), out)


@tensor_method()
def exp2(input, *, out=None):
    """Base-2 exponential, elementwise: :math:`y = 2^x`."""
    return _out(Exp2Function.apply(_float_input(input, "exp2")), out)


@tensor_method()
def expm1(input, *, out=None):
    """:math:`y = e^x - 1`, accurate for small x."""
    return _out(Expm1Function.apply(_float_input(input, "expm1")), out)


@tensor_method()
def log(input, *, out=None):
    """Natural logarithm, elementwise: :math:`y = \\ln x` (nan for x < 0, -inf at 0)."""
    return _out(LogFunction.apply(_float_input(input, "log")), out)


@tensor_method()
def log2(input, *, out=None):
    """Base-2 logarithm, elementwise: :math:`y = \\log_2 x`."""
    return _out(Log2Function.apply(_float_input(input, "log2")), out)


@tensor_method()
def log10(input, *, out=None):
    """Base-10 logarithm, elementwise: :math:`y = \\log_{10} x`."""
    return _out(Log10Function.apply(_float_input(input, "log10")), out)


@tensor_method()
def log1p(input, *, out=None):
    """:math:`y = \\ln(1 + x)`, accurate for small x."""
    return _out(Log1pFunction.apply(_float_input(input, "log1p")), out)


@tensor_method()
def sqrt(input, *, out=None):
    """Square root, elementwise: :math:`y = \\sqrt{x}`."""
    return _out(SqrtFunction.apply(_float_input(input, "sqrt")), out)


@tensor_method()
def rsqrt(input, *, out=None):
    """Reciprocal square root, elementwise: :math:`y = 1 / \\sqrt{x}`."""
    return _out(RsqrtFunction.apply(_float_input(input, "rsqrt")), out)


@tensor_method()
def square(input, *, out=None):
    """:math:`y = x^2` (computed as ``pow(x, 2)``, as torch; integer dtypes are kept, bool gives int64)."""
    return pow(_check_input(input, "square"), 2, out=out)


@tensor_method()
def reciprocal(input, *, out=None):
    """:math:`y = 1 / x`."""
    return _out(ReciprocalFunction.apply(_float_input(input, "reciprocal")), out)


@tensor_method()
def sin(input, *, out=None):
    """Sine, elementwise: :math:`y = \\sin x`."""
    return _out(SinFunction.apply(_float_input(input, "sin")), out)


@tensor_method()
def cos(input, *, out=None):
    """Cosine, elementwise: :math:`y = \\cos x`."""
    return _out(CosFunction.apply(_float_input(input, "cos")), out)


@tensor_method()
def tan(input, *, out=None):
    """Tangent, elementwise: :math:`y = \\tan x`."""
    return _out(TanFunction.apply(_float_input(input, "tan")), out)


@tensor_method("asin", "arcsin")
def asin(input, *, out=None):
    """Inverse sine, elementwise: :math:`y = \\sin^{-1} x` (nan outside [-1, 1])."""
    return _out(AsinFunction.apply(_float_input(input, "asin")), out)


@tensor_method("acos", "arccos")
def acos(input, *, out=None):
    """Inverse cosine, elementwise: :math:`y = \\cos^{-1} x` (nan outside [-1, 1])."""
    return _out(AcosFunction.apply(_float_input(input, "acos")), out)


@tensor_method("atan", "arctan")
def atan(input, *, out=None):
    """Inverse tangent, elementwise: :math:`y = \\tan^{-1} x`."""
    return _out(AtanFunction.apply(_float_input(input, "atan")), out)


@tensor_method()
def sinh(input, *, out=None):
    """Hyperbolic sine, elementwise: :math:`y = (e^x - e^{-x}) / 2`."""
    return _out(SinhFunction.apply(_float_input(input, "sinh")), out)


@tensor_method()
def cosh(input, *, out=None):
    """Hyperbolic cosine, elementwise: :math:`y = (e^x + e^{-x}) / 2`."""
    return _out(CoshFunction.apply(_float_input(input, "cosh")), out)


@tensor_method("asinh", "arcsinh")
def asinh(input, *, out=None):
    """Inverse hyperbolic sine: :math:`y = \\ln(x + \\sqrt{x^2 + 1})`."""
    return _out(AsinhFunction.apply(_float_input(input, "asinh")), out)


@tensor_method("acosh", "arccosh")
def acosh(input, *, out=None):
    """Inverse hyperbolic cosine: :math:`y = \\ln(x + \\sqrt{x^2 - 1})` (nan for x < 1)."""
    return _out(AcoshFunction.apply(_float_input(input, "acosh")), out)


@tensor_method("atanh", "arctanh")
def atanh(input, *, out=None):
    """Inverse hyperbolic tangent: :math:`y = \\frac12 \\ln\\frac{1 + x}{1 - x}` (nan outside [-1, 1])."""
    return _out(AtanhFunction.apply(_float_input(input, "atanh")), out)


arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


@tensor_method()
def erf(input, *, out=None):
    """Error function: :math:`y = \\frac{2}{\\sqrt\\pi} \\int_0^x e^{-t^2} dt`."""
    return _out(ErfFunction.apply(_float_input(input, "erf")), out)


@tensor_method()
def erfc(input, *, out=None):
    """Complementary error function: :math:`y = 1 - \\mathrm{erf}(x)`, accurate where erf(x) is near 1."""
    return _out(ErfcFunction.apply(_float_input(input, "erfc")), out)


@tensor_method()
def erfinv(input, *, out=None):
    """Inverse error function on (-1, 1): :math:`\\mathrm{erf}(y) = x` (+-inf at +-1, nan outside)."""
    return _out(ErfinvFunction.apply(_float_input(input, "erfinv")), out)


@tensor_method()
def sign(input, *, out=None):
    """:math:`y = \\mathrm{sign}(x) \\in \\{-1, 0, 1\\}` (0 for nan); the dtype is kept."""
    return _out(SignFunction.apply(_check_input(input, "sign")), out)


@tensor_method()
def sgn(input, *, out=None):
    """:math:`y = x / |x|` (0 at 0), which for real tensors is :func:`sign`."""
    return _out(SgnFunction.apply(_check_input(input, "sgn")), out)


def _rounding(fn, input, op, kernel, out):
    _check_input(input, op)
    if input._data.dtype == np.bool_:
        raise _not_implemented(kernel, input)
    return _out(fn.apply(input), out)


@tensor_method()
def floor(input, *, out=None):
    """Largest integer not greater than x: :math:`y = \\lfloor x \\rfloor` (integer dtypes unchanged)."""
    return _rounding(FloorFunction, input, "floor", "floor_vml_cpu", out)


@tensor_method()
def ceil(input, *, out=None):
    """Smallest integer not less than x: :math:`y = \\lceil x \\rceil` (integer dtypes unchanged)."""
    return _rounding(CeilFunction, input, "ceil", "ceil_vml_cpu", out)


@tensor_method("trunc", "fix")
def trunc(input, *, out=None):
    """Integer part of x, rounding toward zero: :math:`y = \\mathrm{sign}(x) \\lfloor |x| \\rfloor`."""
    return _rounding(TruncFunction, input, "trunc", "trunc_vml_cpu", out)


fix = trunc


@tensor_method()
def round(input, *, decimals=None, out=None):
    """Round to the nearest integer (halves to even), or to ``decimals`` digits:
    :math:`y = \\mathrm{rint}(x \\cdot 10^d) / 10^d`.

    As in torch, an integer tensor passes through ``round(x)`` but not ``round(x, decimals=...)``."""
    if decimals is not None and decimals == 0 and isinstance(input, Tensor) and input._data.dtype.kind in "iu":
        raise _not_implemented("round_vml_cpu", input)  # torch's round.decimals overload is floating-only
    if not decimals:
        return _rounding(RoundFunction, input, "round", "round_vml_cpu", out)
    _check_input(input, "round")
    if input._data.dtype.kind not in "f":
        raise _not_implemented("round_cpu", input)
    return _out(RoundDecimalsFunction.apply(input, int(decimals)), out)


@tensor_method()
def frac(input, *, out=None):
    """Fractional part: :math:`y = x - \\mathrm{trunc}(x)` (floating-point tensors only)."""
    _check_input(input, "frac")
    if input._data.dtype.kind != "f":
        raise _not_implemented("frac_cpu", input)
    return _out(FracFunction.apply(input), out)


@tensor_method()
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """Replace nan by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (defaults: 0 and the dtype's largest
    and lowest finite values): :math:`y = x` where x is finite."""
    _check_input(input, "nan_to_num")
    if input._data.dtype.kind != "f":
        return _out(_from_array(input._data.copy()), out)
    return _out(NanToNumFunction.apply(input, nan, posinf, neginf), out)


def _inplace_unary(name, fn):
    def method(self, *args, **kwargs):
        return _copy_result(self, fn(self, *args, **kwargs))
    method.__name__ = name
    method.__qualname__ = name
    method.__doc__ = f"In-place :func:`{fn.__name__}`: writes the result into ``self`` and returns it."
    return method


for _name, _fn in [("abs_", abs), ("absolute_", abs), ("exp_", exp), ("exp2_", exp2), ("expm1_", expm1),
                   ("log_", log), ("log2_", log2), ("log10_", log10), ("log1p_", log1p), ("sqrt_", sqrt),
                   ("rsqrt_", rsqrt), ("square_", square), ("reciprocal_", reciprocal), ("sin_", sin),
                   ("cos_", cos), ("tan_", tan), ("asin_", asin), ("arcsin_", asin), ("acos_", acos),
                   ("arccos_", acos), ("atan_", atan), ("arctan_", atan), ("sinh_", sinh), ("cosh_", cosh),
                   ("asinh_", asinh), ("arcsinh_", asinh), ("acosh_", acosh), ("arccosh_", acosh),
                   ("atanh_", atanh), ("arctanh_", atanh), ("sign_", sign), ("sgn_", sgn), ("floor_", floor),
                   ("ceil_", ceil), ("round_", round), ("trunc_", trunc), ("fix_", trunc), ("frac_", frac),
                   ("nan_to_num_", nan_to_num), ("erf_", erf), ("erfc_", erfc), ("erfinv_", erfinv)]:
    setattr(Tensor, _name, _inplace_unary(_name, _fn))


# ---------------------------------------------------------------------- elementwise math (binary)
def _check_other(x, op, arg="other", pos=2):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")
    return x


def _tensor_pair(input, other, op):
    """Both operands must be Tensors (torch's TypeError otherwise); returns them promoted to one dtype."""
    _check_input(input, op)
    _check_other(other, op)
    return promote_binary(input, other)


def _broadcasting(ufunc, a, b):
    """``ufunc(a, b)`` with torch's error for shapes that do not broadcast."""
    try:
        return ufunc(a, b)
    except ValueError:
        raise broadcast_error(_shape(a), _shape(b)) from None


def _to_default_float(a, b):
    """Integer/bool operands of a float-valued binary op compute in the default float dtype."""
    for x in (a, b):
        if isinstance(x, Tensor) and x._data.dtype.kind in "iub":
            d = get_default_dtype()
            return (a.to(d) if isinstance(a, Tensor) else float(a)), (b.to(d) if isinstance(b, Tensor) else float(b))
    return a, b


def _as_array(x, dtype):
    """A scalar operand as a 0-d array of ``dtype`` (so that masks and products keep the tensor's dtype)."""
    return x if type(x) is _ndarray else np.asarray(x, dtype=dtype)


class ClampFunction(ArrayFunction):
    """y = min(max(x, lo), hi) with number bounds (either may be None);  dx = g where lo <= x <= hi."""
    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        y = x
        if lo is not None:
            y = np.maximum(y, lo)
        if hi is not None:
            y = np.minimum(y, hi)
        return y if y is not x else x.copy()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        keep = None
        if lo is not None:
            keep = x >= lo
        if hi is not None:
            keep = (x <= hi) if keep is None else keep & (x <= hi)
        return g * keep, None, None


class ClampTensorFunction(ArrayFunction):
    """y = min(max(x, lo), hi) with tensor bounds (either may be None).

    With m = max(x, lo): dx = g where x >= lo and m <= hi; dlo = g where x < lo and m <= hi; dhi = g where
    m > hi. Each is summed over its broadcast dimensions.
    """
    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        m = x if lo is None else _broadcasting(np.maximum, x, lo)
        y = m if hi is None else _broadcasting(np.minimum, m, hi)
        return y if y is not x else x.copy()

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        nx, nlo, nhi = ctx.needs_input_grad
        m = x if lo is None else np.maximum(x, lo)
        below = m <= hi if hi is not None else None
        ge = x >= lo if lo is not None else None
        zero = g.dtype.type(0)
        gx = glo = ghi = None
        if nx:
            keep = ge if below is None else (below if ge is None else ge & below)
            gx = unbroadcast(np.where(keep, g, zero), x.shape)
        if nlo:
            take = ~ge if below is None else ~ge & below
            glo = unbroadcast(np.where(take, g, zero), lo.shape)
        if nhi:
            ghi = unbroadcast(np.where(below, zero, g), hi.shape)
        return gx, glo, ghi


class ClampMinTensorFunction(ClampTensorFunction):
    node_name = "ClampMinBackward1"


class ClampMaxTensorFunction(ClampTensorFunction):
    node_name = "ClampMaxBackward1"


class ClampMinFunction(ClampFunction):
    node_name = "ClampMinBackward0"


class ClampMaxFunction(ClampFunction):
    node_name = "ClampMaxBackward0"


def _clamp_bounds_error(op, input, lo, hi):
    got = ", ".join(type(a).__name__ for a in (input, lo, hi) if a is not None)
    return TypeError(f"{op}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     f" * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
                     f" * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)")


def _is_number(x):
    return isinstance(x, numbers.Number) and not isinstance(x, np.ndarray)


def _clamp(input, min, max, op, number_fn, tensor_fn):
    _check_input(input, op)
    if min is None and max is None:
        raise RuntimeError(f"torch.{op}: At least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    if all(isinstance(b, Tensor) for b in bounds):
        rt = result_type(input, *bounds)
        x = input if input.dtype is rt else input.to(rt)
        lo = min if min is None or min.dtype is rt else min.to(rt)
        hi = max if max is None or max.dtype is rt else max.to(rt)
        return tensor_fn.apply(x, lo, hi)
    if all(_is_number(b) and not isinstance(b, complex) for b in bounds):
        rt = result_type(input, *bounds)
        x = input if input.dtype is rt else input.to(rt)
        cast = (lambda v: v) if rt.is_floating_point else int
        return number_fn.apply(x, None if min is None else cast(min), None if max is None else cast(max))
    raise _clamp_bounds_error(op, input, min, max)


@tensor_method("clamp", "clip")
def clamp(input, min=None, max=None, *, out=None):
    """Clamp every element into [min, max]: :math:`y = \\min(\\max(x, \\text{min}), \\text{max})`.

    ``min`` and ``max`` are both numbers or both tensors (broadcast with ``input``); either may be None.
    The gradient flows to ``input`` where min <= x <= max, to a tensor ``min`` where x < min and to a tensor
    ``max`` where the result was cut to ``max``.
    """
    return _out(_clamp(input, min, max, "clamp", ClampFunction, ClampTensorFunction), out)


clip = clamp


@tensor_method()
def clamp_min(input, min, *, out=None):
    """:math:`y = \\max(x, \\text{min})` (``min`` a number or a tensor)."""
    if min is None:
        raise TypeError("clamp_min() received an invalid combination of arguments - got (Tensor, NoneType), but "
                        "expected one of:\n * (Tensor input, Tensor min, *, Tensor out = None)\n"
                        " * (Tensor input, Number min, *, Tensor out = None)")
    return _out(_clamp(input, min, None, "clamp_min", ClampMinFunction, ClampMinTensorFunction), out)


@tensor_method()
def clamp_max(input, max, *, out=None):
    """:math:`y = \\min(x, \\text{max})` (``max`` a number or a tensor)."""
    if max is None:
        raise TypeError("clamp_max() received an invalid combination of arguments - got (Tensor, NoneType), but "
                        "expected one of:\n * (Tensor input, Tensor max, *, Tensor out = None)\n"
                        " * (Tensor input, Number max, *, Tensor out = None)")
    return _out(_clamp(input, None, max, "clamp_max", ClampMaxFunction, ClampMaxTensorFunction), out)


class MaximumFunction(ArrayFunction):
    """y = max(a, b);  da = g where a > b, g/2 where a == b;  db = g where b > a, g/2 where a == b."""
    node_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _broadcasting(np.maximum, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        half = np.where(a == b, g * 0.5, g)
        zero = g.dtype.type(0)
        ga = unbroadcast(np.where(a < b, zero, half), a.shape) if na else None
        gb = unbroadcast(np.where(a > b, zero, half), b.shape) if nb else None
        return ga, gb


class MinimumFunction(ArrayFunction):
    """y = min(a, b);  da = g where a < b, g/2 where a == b;  db = g where b < a, g/2 where a == b."""
    node_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _broadcasting(np.minimum, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        half = np.where(a == b, g * 0.5, g)
        zero = g.dtype.type(0)
        ga = unbroadcast(np.where(a > b, zero, half), a.shape) if na else None
        gb = unbroadcast(np.where(a < b, zero, half), b.shape) if nb else None
        return ga, gb


class FmaxFunction(ArrayFunction):
    """y = max(a, b) ignoring nan;  da = g where a >= b or b is nan;  db = g elsewhere."""
    node_name = "FmaxBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _broadcasting(np.fmax, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        to_a = (a >= b) | np.isnan(b)
        zero = g.dtype.type(0)
        ga = unbroadcast(np.where(to_a, g, zero), a.shape) if na else None
        gb = unbroadcast(np.where(to_a, zero, g), b.shape) if nb else None
        return ga, gb


class FminFunction(ArrayFunction):
    """y = min(a, b) ignoring nan;  da = g where a <= b or b is nan;  db = g elsewhere."""
    node_name = "FminBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _broadcasting(np.fmin, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        to_a = (a <= b) | np.isnan(b)
        zero = g.dtype.type(0)
        ga = unbroadcast(np.where(to_a, g, zero), a.shape) if na else None
        gb = unbroadcast(np.where(to_a, zero, g), b.shape) if nb else None
        return ga, gb


@tensor_method()
def maximum(input, other, *, out=None):
    """Elementwise maximum, propagating nan: :math:`y = \\max(a, b)`; at ties each input gets half the gradient."""
    a, b = _tensor_pair(input, other, "maximum")
    return _out(MaximumFunction.apply(a, b), out)


@tensor_method()
def minimum(input, other, *, out=None):
    """Elementwise minimum, propagating nan: :math:`y = \\min(a, b)`; at ties each input gets half the gradient."""
    a, b = _tensor_pair(input, other, "minimum")
    return _out(MinimumFunction.apply(a, b), out)


@tensor_method()
def fmax(input, other, *, out=None):
    """Elementwise maximum that ignores nan (nan only where both are nan): :math:`y = \\max(a, b)`."""
    a, b = _tensor_pair(input, other, "fmax")
    return _out(FmaxFunction.apply(a, b), out)


@tensor_method()
def fmin(input, other, *, out=None):
    """Elementwise minimum that ignores nan (nan only where both are nan): :math:`y = \\min(a, b)`."""
    a, b = _tensor_pair(input, other, "fmin")
    return _out(FminFunction.apply(a, b), out)


class WhereFunction(ArrayFunction):
    """y = a where cond else b;  da = g where cond, db = g where not cond (each unbroadcast)."""
    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.shapes = (_shape(a), _shape(b))
        try:
            return np.where(cond, a, b)
        except ValueError:
            broadcast_shape(cond.shape, _shape(a), _shape(b))  # raises torch's message
            raise

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        zero = g.dtype.type(0)
        ga = unbroadcast(np.where(cond, g, zero), sa) if na else None
        gb = unbroadcast(np.where(cond, zero, g), sb) if nb else None
        return None, ga, gb


def _compatible(sa, sb):
    try:
        np.broadcast_shapes(sa, sb)
        return True
    except ValueError:
        return False


def _check_bool_condition(condition, op="where"):
    if not isinstance(condition, Tensor):
        raise TypeError(f"{op}(): argument 'condition' (position 1) must be Tensor, not "
                        f"{type(condition).__name__}")
    if condition._data.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{torch_type_name(condition._data.dtype)}")


_NO_ARG = object()


def where(condition, input=_NO_ARG, other=_NO_ARG, *, out=None):
    """Choose elementwise: :math:`y_i = \\text{input}_i` if :math:`\\text{condition}_i` else
    :math:`\\text{other}_i` (all three broadcast; ``input``/``other`` may be numbers).

    With only ``condition``, the indices of its nonzero elements as a tuple of tensors (``nonzero(as_tuple=True)``).
    """
    if input is _NO_ARG and other is _NO_ARG:
        return condition.nonzero(as_tuple=True)
    if input is _NO_ARG or other is _NO_ARG:
        raise TypeError("where() missing required argument 'other'" if other is _NO_ARG else
                        "where() missing required argument 'input'")
    _check_bool_condition(condition)
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        a, b = promote_binary(input, other)
    else:
        rt = result_type(input, other)
        a, b = (_from_array(np.asarray(input, dtype=rt.np)), _from_array(np.asarray(other, dtype=rt.np)))
    return _out(WhereFunction.apply(condition, a, b), out)


@tensor_method("where")
def _where_method(self, condition, other):
    """``self.where(condition, other)`` is ``where(condition, self, other)``."""
    return where(condition, self, other)


class MaskedFillFunction(ArrayFunction):
    """y = value where mask else x;  dx = g where not mask (summed to x's shape)."""
    node_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        ctx.shape = x.shape
        try:
            return np.where(mask, np.asarray(value, dtype=x.dtype), x)
        except ValueError:
            raise broadcast_error(mask.shape, x.shape) from None

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return unbroadcast(np.where(mask, g.dtype.type(0), g), ctx.shape), None, None


class MaskedFillTensorFunction(MaskedFillFunction):
    """y = value where mask else x, with a 0-d tensor value;  dx = g where not mask, dvalue = sum(g where mask)."""
    node_name = "MaskedFillBackward1"

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        nx, _, nv = ctx.needs_input_grad
        zero = g.dtype.type(0)
        gx = unbroadcast(np.where(mask, zero, g), ctx.shape) if nx else None
        gv = np.where(mask, g, zero).sum(dtype=g.dtype).reshape(()) if nv else None
        return gx, None, gv


def _masked_fill_args(input, mask, value):
    _check_input(input, "masked_fill")
    _check_other(mask, "masked_fill", "mask")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_c_type_name(mask._data.dtype)}")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
        return value
    if not _is_number(value):
        raise TypeError(f"masked_fill() received an invalid combination of arguments - got (Tensor, "
                        f"{type(value).__name__}), but expected one of:\n * (Tensor mask, Tensor value)\n"
                        f" * (Tensor mask, Number value)")
    return value


@tensor_method()
def masked_fill(input, mask, value):
    """:math:`y = \\text{value}` where ``mask`` else ``input`` (``mask`` a bool tensor broadcast with ``input``;
    ``value`` a number or a 0-d tensor, which then gets the sum of the gradient over the filled places)."""
    value = _masked_fill_args(input, mask, value)
    if isinstance(value, Tensor):
        return MaskedFillTensorFunction.apply(input, mask, value)
    return MaskedFillFunction.apply(input, mask, value)


@tensor_method()
def masked_fill_(self, mask, value):
    """In-place :func:`masked_fill`: ``mask`` must broadcast to ``self``'s shape."""
    value = _masked_fill_args(self, mask, value)
    if not (GradMode.enabled and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))):
        arr = self._data
        try:
            m = np.broadcast_to(mask._data, arr.shape)
        except ValueError:
            shape = broadcast_shape(arr.shape, mask._data.shape)
            raise RuntimeError(f"output with shape {list(arr.shape)} doesn't match the broadcast shape "
                               f"{list(shape)}") from None
        if not arr.flags.writeable:
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to "
                               "a single memory location. Please clone() the tensor before performing the "
                               "operation.")
        arr[m] = value._data if isinstance(value, Tensor) else value
        self._vc[0] += 1
        return self
    return commit_inplace(self, masked_fill(self, mask, value))


def _c_type_name(npdtype):
    """The C type name torch prints in some messages (``float``, ``double``, ``long int``, ...)."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}.get(np.dtype(npdtype).name, str(npdtype))


def _divides_by_zero(a, b):
    """Whether an elementwise a / b divides by a zero of b (an empty result divides nothing)."""
    if not np.any(b == 0):
        return False
    try:
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        return False  # the op itself reports the broadcast error
    return _pymath.prod(shape) > 0


def _check_int_divisor(a, b):
    """torch raises for integer division by zero instead of returning garbage (floats give inf/nan)."""
    arrs = [x._data if isinstance(x, Tensor) else np.asarray(x) for x in (a, b)]
    if all(x.dtype.kind in "iub" for x in arrs) and _divides_by_zero(*arrs):
        raise RuntimeError("ZeroDivisionError")


class RemainderFunction(ArrayFunction):
    """y = a - b * floor(a / b) (sign of b, Python's %);  da = g, db = -g * floor(a / b)."""
    node_name = "RemainderBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _broadcasting(np.remainder, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g, _shape(a)) if na else None
        gb = None
        if nb:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = unbroadcast(-g * np.floor_divide(a, b), _shape(b))  # Python's floor division, as torch's
        return ga, gb


class RemainderScalarFunction(RemainderFunction):
    node_name = "RemainderBackward0"


class FmodFunction(ArrayFunction):
    """y = a - b * trunc(a / b) (sign of a, C's fmod);  da = g, db = -g * trunc(a / b)."""
    node_name = "FmodBackward1"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _broadcasting(np.fmod, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g, _shape(a)) if na else None
        gb = None
        if nb:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = unbroadcast(-g * np.trunc(a / b), _shape(b))
        return ga, gb


class FmodScalarFunction(FmodFunction):
    node_name = "FmodBackward0"


@tensor_method()
def remainder(input, other, *, out=None):
    """Python-style modulus, with the sign of the divisor: :math:`y = a - b \\lfloor a / b \\rfloor`.

    ``input`` or ``other`` may be a number (not both).
    """
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"remainder() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__})")
    a, b = promote_binary(input, other)
    if isinstance(a, Tensor) and a._data.dtype == np.bool_:
        raise _not_implemented("remainder_cpu", a)
    _check_int_divisor(a, b)
    fn = RemainderFunction if isinstance(b, Tensor) else RemainderScalarFunction
    if not isinstance(a, Tensor):
        a = _from_array(np.asarray(a, dtype=b._data.dtype))
    return _out(fn.apply(a, b), out)


@tensor_method()
def fmod(input, other, *, out=None):
    """C-style remainder, with the sign of the dividend: :math:`y = a - b\\,\\mathrm{trunc}(a / b)`."""
    _check_input(input, "fmod")
    a, b = promote_binary(input, other)
    if a._data.dtype == np.bool_:
        raise _not_implemented("fmod_cpu", a)
    _check_int_divisor(a, b)
    return _out((FmodFunction if isinstance(b, Tensor) else FmodScalarFunction).apply(a, b), out)


class Atan2Function(ArrayFunction):
    """y = atan2(a, b), the angle of the point (b, a);  da = g b / (a^2 + b^2), db = -g a / (a^2 + b^2)."""
    node_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _broadcasting(np.arctan2, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = a * a + b * b
            ga = unbroadcast(g * b / r2, a.shape) if na else None
            gb = unbroadcast(-g * a / r2, b.shape) if nb else None
        return ga, gb


@tensor_method("atan2", "arctan2")
def atan2(input, other, *, out=None):
    """Quadrant-aware :math:`\\tan^{-1}(\\text{input} / \\text{other})`, in radians."""
    a, b = _to_default_float(*_tensor_pair(input, other, "atan2"))
    return _out(Atan2Function.apply(a, b), out)


arctan2 = atan2


class LerpFunction(ArrayFunction):
    """y = a + w (b - a) (computed as b - (b - a)(1 - w) when |w| >= 1/2, as torch);
    da = g (1 - w), db = g w, dw = g (b - a)."""
    node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        try:
            diff = b - a
            low = np.abs(w) < 0.5
            return np.where(low, a + w * diff, b - diff * (1 - w))
        except ValueError:
            raise broadcast_error(_shape(a), _shape(b)) from None

    @staticmethod
    def backward(ctx, g):
        a, b, w = ctx.saved_tensors
        na, nb, nw = ctx.needs_input_grad
        ga = unbroadcast(g * (1 - w), a.shape) if na else None
        gb = unbroadcast(g * w, b.shape) if nb else None
        gw = unbroadcast(g * (b - a), w.shape) if nw else None
        return ga, gb, gw


class LerpTensorFunction(LerpFunction):
    node_name = "LerpBackward1"


@tensor_method()
def lerp(input, end, weight, *, out=None):
    """Linear interpolation: :math:`y = \\text{input} + \\text{weight} (\\text{end} - \\text{input})`
    (``weight`` a number or a tensor; all tensors of one floating dtype)."""
    _check_input(input, "lerp")
    _check_other(end, "lerp", "end")
    dt = input._data.dtype
    if end._data.dtype != dt:
        raise RuntimeError(f"expected dtype {_c_type_name(dt)} for `end` but got dtype "
                           f"{_c_type_name(end._data.dtype)}")
    if isinstance(weight, Tensor):
        if weight._data.dtype != dt and weight._data.ndim == 0 and dt.kind == "f":
            # torch takes a 0-d weight of another dtype: the result promotes with it only when the inputs are 0-d
            rt = result_type(input, weight) if input._data.ndim == 0 and end._data.ndim == 0 else input.dtype
            input, end, weight = (t if t.dtype is rt else t.to(rt) for t in (input, end, weight))
            dt = input._data.dtype
        if weight._data.dtype != dt:
            raise RuntimeError(f"expected dtype {_c_type_name(dt)} for `weight` but got dtype "
                               f"{_c_type_name(weight._data.dtype)}")
        if dt.kind != "f":
            raise _not_implemented("lerp_kernel_tensor", input)
        return _out(LerpTensorFunction.apply(input, end, weight), out)
    if not _is_number(weight):
        raise TypeError(f"lerp(): argument 'weight' must be Number or Tensor, not {type(weight).__name__}")
    if dt.kind != "f":
        raise _not_implemented("lerp_kernel_scalar", input)
    return _out(LerpFunction.apply(input, end, np.asarray(weight, dtype=dt)), out)


class AddcmulFunction(ArrayFunction):
    """y = x + v t1 t2;  dx = g, dt1 = g v t2, dt2 = g v t1."""
    node_name = "AddcmulBackward0"

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.save_for_backward(x, t1, t2)
        ctx.value = value
        try:
            return x + value * (t1 * t2)
        except ValueError:
            raise broadcast_error(x.shape, np.broadcast_shapes(t1.shape, t2.shape)
                                  if _compatible(t1.shape, t2.shape) else t1.shape) from None

    @staticmethod
    def backward(ctx, g):
        x, t1, t2 = ctx.saved_tensors
        nx, n1, n2, _ = ctx.needs_input_grad
        gv = g * ctx.value if ctx.value != 1 else g
        return (unbroadcast(g, x.shape) if nx else None, unbroadcast(gv * t2, t1.shape) if n1 else None,
                unbroadcast(gv * t1, t2.shape) if n2 else None, None)


class AddcdivFunction(ArrayFunction):
    """y = x + v t1 / t2;  dx = g, dt1 = g v / t2, dt2 = -g v t1 / t2^2."""
    node_name = "AddcdivBackward0"

    @staticmethod
    def forward(ctx, x, t1, t2, value):
        ctx.save_for_backward(x, t1, t2)
        ctx.value = value
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                return x + value * (t1 / t2)
        except ValueError:
            raise broadcast_error(x.shape, np.broadcast_shapes(t1.shape, t2.shape)
                                  if _compatible(t1.shape, t2.shape) else t1.shape) from None

    @staticmethod
    def backward(ctx, g):
        x, t1, t2 = ctx.saved_tensors
        nx, n1, n2, _ = ctx.needs_input_grad
        gv = g * ctx.value if ctx.value != 1 else g
        with np.errstate(divide="ignore", invalid="ignore"):
            g1 = unbroadcast(gv / t2, t1.shape) if n1 else None
            g2 = unbroadcast(-gv * t1 / (t2 * t2), t2.shape) if n2 else None
        return unbroadcast(g, x.shape) if nx else None, g1, g2, None


def _addc_args(input, tensor1, tensor2, value, op):
    _check_input(input, op)
    _check_other(tensor1, op, "tensor1")
    _check_other(tensor2, op, "tensor2", 3)
    if isinstance(value, Tensor):
        value = value.item()
    rt = result_type(input, tensor1, tensor2)
    if rt.is_floating_point:
        value = float(value) if not isinstance(value, bool) else value
    elif isinstance(value, float) and rt._category:  # (bool tensors are refused by the kernel itself)
        if not _pymath.isfinite(value):
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        value = int(value)  # torch truncates a float value for integer tensors
    ts = [t if t.dtype is rt else t.to(rt) for t in (input, tensor1, tensor2)]
    return ts, value


@tensor_method()
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """:math:`y = \\text{input} + \\text{value} \\cdot \\text{tensor1} \\cdot \\text{tensor2}` (broadcast)."""
    (x, t1, t2), value = _addc_args(input, tensor1, tensor2, value, "addcmul")
    if x._data.dtype == np.bool_:
        raise _not_implemented("addcmul_cpu_out", x)
    return _out(AddcmulFunction.apply(x, t1, t2, value), out)


@tensor_method()
def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """:math:`y = \\text{input} + \\text{value} \\cdot \\text{tensor1} / \\text{tensor2}` (broadcast)."""
    _check_input(input, "addcdiv")
    if (isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor) and tensor1._data.dtype.kind in "iub"
            and tensor2._data.dtype.kind in "iub"):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release addcdiv will perform a "
            "true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + "
            "value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * "
            "tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    (x, t1, t2), value = _addc_args(input, tensor1, tensor2, value, "addcdiv")
    return _out(AddcdivFunction.apply(x, t1, t2, value), out)


class HypotFunction(ArrayFunction):
    """y = sqrt(a^2 + b^2);  da = g a / y, db = g b / y."""
    node_name = "HypotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        y = _broadcasting(np.hypot, a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            ga = unbroadcast(g * a / y, a.shape) if na else None
            gb = unbroadcast(g * b / y, b.shape) if nb else None
        return ga, gb


@tensor_method()
def hypot(input, other, *, out=None):
    """Length of the hypotenuse: :math:`y = \\sqrt{a^2 + b^2}` (floating-point tensors)."""
    a, b = _tensor_pair(input, other, "hypot")
    if a._data.dtype.kind != "f":
        raise _not_implemented("hypot_cpu", a)
    return _out(HypotFunction.apply(a, b), out)


class LogaddexpFunction(ArrayFunction):
    """y = log(e^a + e^b), computed as max(a, b) + log1p(e^-|a - b|);
    da = g / (1 + e^(b - a)), db = g / (1 + e^(a - b))."""
    node_name = "LogaddexpBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _broadcasting(np.logaddexp, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        with np.errstate(over="ignore", invalid="ignore"):
            ga = unbroadcast(g / (np.exp(b - a) + 1), a.shape) if na else None
            gb = unbroadcast(g / (np.exp(a - b) + 1), b.shape) if nb else None
        return ga, gb


@tensor_method()
def logaddexp(input, other, *, out=None):
    """:math:`y = \\log(e^a + e^b)`, computed without overflow (floating-point tensors)."""
    a, b = _tensor_pair(input, other, "logaddexp")
    if a._data.dtype.kind != "f":
        raise _not_implemented("logaddexp_cpu", a)
    return _out(LogaddexpFunction.apply(a, b), out)


class XlogyFunction(ArrayFunction):
    """y = x log(z), and 0 where x == 0 (unless z is nan);
    dx = g log(z) (0 where x == 0 and z <= 0), dz = g x / z."""
    node_name = "XlogyBackward0"

    @staticmethod
    def forward(ctx, x, z):
        z = _as_array(z, x.dtype)  # a number operand computes in the tensor's dtype
        ctx.save_for_backward(x, z)
        with np.errstate(divide="ignore", invalid="ignore"):
            try:
                y = x * np.log(z)
            except ValueError:
                raise broadcast_error(_shape(x), _shape(z)) from None
            return np.where((x == 0) & ~np.isnan(z), y.dtype.type(0), y)

    @staticmethod
    def backward(ctx, g):
        x, z = ctx.saved_tensors
        nx, nz = ctx.needs_input_grad
        gx = gz = None
        dt = g.dtype
        with np.errstate(divide="ignore", invalid="ignore"):
            if nx:
                zz = _as_array(z, dt)
                gl = np.where((g == 0) & ~np.isnan(zz), dt.type(0), g * np.log(zz))
                gx = unbroadcast(np.where((x == 0) & (zz <= 0), dt.type(0), gl), _shape(x))
            if nz:
                gz = unbroadcast(g * x / z, _shape(z))
        return gx, gz


class XlogyScalarSelfFunction(XlogyFunction):
    node_name = "XlogyBackward1"


class XlogyScalarOtherFunction(XlogyFunction):
    node_name = "XlogyBackward2"


@tensor_method()
def xlogy(input, other, *, out=None):
    """:math:`y = x \\log z`, defined as 0 where x == 0 (z not nan); either operand may be a number."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"xlogy() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{type(other).__name__})")
    a, b = _to_default_float(*promote_binary(input, other))
    if not isinstance(a, Tensor):
        return _out(XlogyScalarSelfFunction.apply(np.asarray(a, dtype=b._data.dtype), b), out)
    if not isinstance(b, Tensor):
        return _out(XlogyScalarOtherFunction.apply(a, b), out)
    return _out(XlogyFunction.apply(a, b), out)


@tensor_method()
def float_power(input, exponent, *, out=None):
    """:math:`y = x^p` computed in double precision (the result is always float64)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(f"float_power() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(exponent).__name__})")
    from .. import _dtype as D
    a = input.to(D.float64) if isinstance(input, Tensor) else float(input)
    b = exponent.to(D.float64) if isinstance(exponent, Tensor) else float(exponent)
    return pow(a, b, out=out)


@tensor_method()
def float_power_(self, exponent):
    """In-place :func:`float_power`: ``self`` must be float64."""
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {torch_type_name(self._data.dtype)} but the "
                           f"operation's result requires dtype Double")
    return _copy_result(self, float_power(self, exponent))


for _name, _fn in [("clamp_", clamp), ("clip_", clamp), ("clamp_min_", clamp_min), ("clamp_max_", clamp_max),
                   ("remainder_", remainder), ("fmod_", fmod), ("atan2_", atan2), ("arctan2_", atan2),
                   ("lerp_", lerp), ("addcmul_", addcmul), ("addcdiv_", addcdiv), ("hypot_", hypot),
                   ("xlogy_", xlogy), ("tanh_", tanh), ("sigmoid_", sigmoid)]:
    setattr(Tensor, _name, _inplace_unary(_name, _fn))


# ---------------------------------------------------------------------- comparisons and logic
# Results are bool tensors (or Python bools) and never carry a gradient, so no Function is recorded: the
# arrays are compared directly in the operands' common dtype.
def _common_arrays(input, other, op):
    """The raw operands of a comparison, cast to torch's common dtype (no autograd involved)."""
    _check_input(input, op)
    if isinstance(other, Tensor):
        a, b = input._data, other._data
        if a.dtype != b.dtype:
            rt = result_type(input, other).np
            a, b = a.astype(rt, copy=False), b.astype(rt, copy=False)
        return a, b
    if isinstance(other, np.generic):
        other = other.item()
    if isinstance(other, _ndarray):
        return _common_arrays(input, _from_array(other), op)
    if not _is_number(other):
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor or Number, not "
                        f"{type(other).__name__}")
    a = input._data
    rt = result_type(input, other)
    if rt.np != a.dtype:
        a = a.astype(rt.np)
    return a, other


def _compare(ufunc, input, other, op, out):
    a, b = _common_arrays(input, other, op)
    return _out(_from_array(_broadcasting(ufunc, a, b)), out)


@tensor_method("eq")
def eq(input, other, *, out=None):
    """Elementwise :math:`a = b`, as a bool tensor."""
    return _compare(np.equal, input, other, "eq", out)


@tensor_method("ne", "not_equal")
def ne(input, other, *, out=None):
    """Elementwise :math:`a \\ne b`, as a bool tensor."""
    return _compare(np.not_equal, input, other, "ne", out)


@tensor_method("lt", "less")
def lt(input, other, *, out=None):
    """Elementwise :math:`a < b`, as a bool tensor."""
    return _compare(np.less, input, other, "lt", out)


@tensor_method("le", "less_equal")
def le(input, other, *, out=None):
    """Elementwise :math:`a \\le b`, as a bool tensor."""
    return _compare(np.less_equal, input, other, "le", out)


@tensor_method("gt", "greater")
def gt(input, other, *, out=None):
    """Elementwise :math:`a > b`, as a bool tensor."""
    return _compare(np.greater, input, other, "gt", out)


@tensor_method("ge", "greater_equal")
def ge(input, other, *, out=None):
    """Elementwise :math:`a \\ge b`, as a bool tensor."""
    return _compare(np.greater_equal, input, other, "ge", out)


not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


@tensor_method()
def equal(input, other):
    """True when both tensors have the same shape and :math:`a_i = b_i` for every i (in their common dtype)."""
    _check_input(input, "equal")
    _check_other(other, "equal")
    if input._data.shape != other._data.shape:
        return False
    a, b = _common_arrays(input, other, "equal")
    return bool(np.array_equal(a, b))


def _close_arrays(input, other, op):
    _check_input(input, op)
    _check_other(other, op)
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"{torch_type_name(input._data.dtype)} did not match "
                           f"{torch_type_name(other._data.dtype)}")
    return input._data, other._data


@tensor_method()
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise :math:`|a - b| \\le \\text{atol} + \\text{rtol} \\cdot |b|` (infinities equal only to
    themselves; nan equal to nan only with ``equal_nan``), as a bool tensor."""
    a, b = _close_arrays(input, other, "isclose")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    if a.dtype.kind in "iub":
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        res = _broadcasting(np.equal, a, b) | (np.abs(a64 - b64) <= atol + rtol * np.abs(b64))
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            res = _broadcasting(lambda x, y: np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan), a, b)
    return _from_array(np.asarray(res))


@tensor_method()
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when :math:`|a_i - b_i| \\le \\text{atol} + \\text{rtol} \\cdot |b_i|` for every i (see :func:`isclose`)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def _float_test(input, op, fn, otherwise):
    _check_input(input, op)
    a = input._data
    if a.dtype.kind in "fc":
        return _from_array(fn(a))
    return _from_array(np.full(a.shape, otherwise))


@tensor_method()
def isnan(input):
    """Elementwise test for nan, :math:`y = (x \\ne x)`, as a bool tensor."""
    return _float_test(input, "isnan", np.isnan, False)


@tensor_method()
def isinf(input):
    """Elementwise test :math:`y = (|x| = \\infty)`, as a bool tensor."""
    return _float_test(input, "isinf", np.isinf, False)


@tensor_method()
def isposinf(input, *, out=None):
    """Elementwise test :math:`y = (x = +\\infty)`, as a bool tensor."""
    return _out(_float_test(input, "isposinf", np.isposinf, False), out)


@tensor_method()
def isneginf(input, *, out=None):
    """Elementwise test :math:`y = (x = -\\infty)`, as a bool tensor."""
    return _out(_float_test(input, "isneginf", np.isneginf, False), out)


@tensor_method()
def isfinite(input):
    """Elementwise test :math:`y = (|x| < \\infty)` (false for nan), as a bool tensor."""
    return _float_test(input, "isfinite", np.isfinite, True)


@tensor_method()
def isreal(input):
    """Elementwise test :math:`y = (\\mathrm{Im}\\, x = 0)`: true everywhere, numtorch tensors being real."""
    return _float_test(input, "isreal", lambda a: np.ones(a.shape, dtype=bool), True)


def _logical(ufunc, input, other, op, out):
    _check_input(input, op)
    _check_other(other, op)
    return _out(_from_array(_broadcasting(ufunc, input._data.astype(bool, copy=False),
                                          other._data.astype(bool, copy=False))), out)


@tensor_method()
def logical_and(input, other, *, out=None):
    """Elementwise :math:`a \\land b` of the truth values (nonzero is true), as a bool tensor."""
    return _logical(np.logical_and, input, other, "logical_and", out)


@tensor_method()
def logical_or(input, other, *, out=None):
    """Elementwise :math:`a \\lor b` of the truth values (nonzero is true), as a bool tensor."""
    return _logical(np.logical_or, input, other, "logical_or", out)


@tensor_method()
def logical_xor(input, other, *, out=None):
    """Elementwise :math:`a \\oplus b` of the truth values (nonzero is true), as a bool tensor."""
    return _logical(np.logical_xor, input, other, "logical_xor", out)


@tensor_method()
def logical_not(input, *, out=None):
    """Elementwise :math:`\\lnot a` (true where ``input`` is zero), as a bool tensor."""
    _check_input(input, "logical_not")
    return _out(_from_array(np.logical_not(input._data)), out)


def _bitwise(ufunc, input, other, op, out):
    """Bitwise ops work on integer and bool tensors only (torch's NotImplementedError otherwise)."""
    a, b = promote_binary(input, other)
    x = a if isinstance(a, Tensor) else b
    broadcast_shape(_shape(a._data if isinstance(a, Tensor) else a), _shape(b._data if isinstance(b, Tensor) else b))
    if x._data.dtype.kind not in "iub":  # (torch reports a broadcast error first)
        raise _not_implemented(op + "_cpu", x)
    aa = a._data if isinstance(a, Tensor) else a
    bb = b._data if isinstance(b, Tensor) else b
    return _out(_from_array(np.asarray(_broadcasting(ufunc, aa, bb))), out)


def _bitwise_operands(input, other, op):
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{op}() received an invalid combination of arguments - got ({type(input).__name__}, "
                        f"{type(other).__name__})")
    if not isinstance(other, Tensor) and not _is_number(other):
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor or Number, not "
                        f"{type(other).__name__}")


@tensor_method()
def bitwise_and(input, other, *, out=None):
    """Elementwise bitwise AND (logical AND for bool), :math:`a \\,\\&\\, b`."""
    _bitwise_operands(input, other, "bitwise_and")
    return _bitwise(np.bitwise_and, input, other, "bitwise_and", out)


@tensor_method()
def bitwise_or(input, other, *, out=None):
    """Elementwise bitwise OR (logical OR for bool), :math:`a \\mid b`."""
    _bitwise_operands(input, other, "bitwise_or")
    return _bitwise(np.bitwise_or, input, other, "bitwise_or", out)


@tensor_method()
def bitwise_xor(input, other, *, out=None):
    """Elementwise bitwise XOR (logical XOR for bool), :math:`a \\oplus b`."""
    _bitwise_operands(input, other, "bitwise_xor")
    return _bitwise(np.bitwise_xor, input, other, "bitwise_xor", out)


@tensor_method()
def bitwise_not(input, *, out=None):
    """Elementwise bitwise NOT (logical NOT for bool), :math:`\\lnot a`."""
    _check_input(input, "bitwise_not")
    if input._data.dtype.kind not in "iub":
        raise _not_implemented("bitwise_not_cpu", input)
    return _out(_from_array(np.invert(input._data)), out)


def _invert(self):
    if self._data.dtype.kind not in "iub":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


def _comparison_operator(fn):
    """A Python comparison operator: defers (NotImplemented) for operands that are not tensors or numbers."""
    def op(self, other):
        if not isinstance(other, (Tensor, numbers.Number, _ndarray, np.generic)):
            return NotImplemented
        return fn(self, other)
    op.__name__ = f"__{fn.__name__}__"
    return op


def _inplace_logic(name, fn):
    """``self.<op>_(other)``: the result cast back into ``self``'s dtype and memory."""
    def method(self, *args):
        return commit_inplace(self, fn(self, *args))
    method.__name__ = name
    method.__doc__ = f"In-place :func:`{fn.__name__}`, written into ``self`` in its dtype."
    return method


for _name, _fn in [("eq_", eq), ("ne_", ne), ("not_equal_", ne), ("lt_", lt), ("less_", lt), ("le_", le),
                   ("less_equal_", le), ("gt_", gt), ("greater_", gt), ("ge_", ge), ("greater_equal_", ge),
                   ("logical_and_", logical_and), ("logical_or_", logical_or), ("logical_xor_", logical_xor),
                   ("logical_not_", logical_not), ("bitwise_and_", bitwise_and), ("bitwise_or_", bitwise_or),
                   ("bitwise_xor_", bitwise_xor), ("bitwise_not_", bitwise_not)]:
    setattr(Tensor, _name, _inplace_logic(_name, _fn))


# ---------------------------------------------------------------------- Python operators
def _r(fn):
    def reflected(self, other):
        return fn(other, self)
    reflected.__name__ = "__r" + fn.__name__ + "__"
    return reflected


Tensor.__add__ = add
Tensor.__radd__ = _r(add)
Tensor.__iadd__ = add_
Tensor.__sub__ = sub
Tensor.__rsub__ = _r(sub)
Tensor.__isub__ = sub_
Tensor.__mul__ = mul
Tensor.__rmul__ = _r(mul)
Tensor.__imul__ = mul_
Tensor.__truediv__ = div
Tensor.__rtruediv__ = lambda self, other: mul(reciprocal(self), other)  # torch's: differentiated through 1/self
Tensor.__itruediv__ = div_
Tensor.__floordiv__ = floor_divide
Tensor.__rfloordiv__ = _r(floor_divide)
Tensor.__ifloordiv__ = floor_divide_
Tensor.__neg__ = neg
Tensor.__pos__ = lambda self: self
Tensor.__pow__ = pow
Tensor.__rpow__ = _r(pow)
Tensor.__ipow__ = pow_
Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = _r(matmul)
Tensor.__mod__ = remainder
Tensor.__rmod__ = _r(remainder)
Tensor.__imod__ = Tensor.remainder_
Tensor.__eq__ = _comparison_operator(eq)
Tensor.__ne__ = _comparison_operator(ne)
Tensor.__lt__ = _comparison_operator(lt)
Tensor.__le__ = _comparison_operator(le)
Tensor.__gt__ = _comparison_operator(gt)
Tensor.__ge__ = _comparison_operator(ge)
Tensor.__and__ = bitwise_and
Tensor.__rand__ = _r(bitwise_and)
Tensor.__iand__ = Tensor.bitwise_and_
Tensor.__or__ = bitwise_or
Tensor.__ror__ = _r(bitwise_or)
Tensor.__ior__ = Tensor.bitwise_or_
Tensor.__xor__ = bitwise_xor
Tensor.__rxor__ = _r(bitwise_xor)
Tensor.__ixor__ = Tensor.bitwise_xor_
Tensor.__invert__ = _invert
