"""Elementwise arithmetic and matrix products, with their backward formulas.

Each op is one :class:`ArrayFunction`: ``forward`` computes on arrays and saves what ``backward`` needs;
``backward`` returns one gradient per input, summed back over broadcast dimensions with :func:`unbroadcast`.
Public functions take torch's names and signatures and are also installed as ``Tensor`` methods.
"""
import numbers

import numpy as np

from .._dtype import FROM_NUMPY, can_cast, get_default_dtype, result_type
from .._tensor import Tensor, tensor_method
from ..autograd.function import ArrayFunction, commit_inplace
from ..autograd.grad_mode import GradMode
from ._util import broadcast_error, float_input as _float_input, out_arg as _out, promote_binary, torch_type_name, \
    unbroadcast

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "neg", "negative", "pow", "matmul", "mm", "bmm", "mv", "dot", "rsub", "tanh", "sigmoid"]

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


class PowFunction(ArrayFunction):
    """out = a ** b;  da = g * b * a^(b-1), db = g * a^b * log(a)."""
    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            try:
                out = np.power(a, b)
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
                    ga = g * (b * np.power(a, b - 1)) if b != 0 else np.zeros_like(g)
                else:
                    ga = np.where(b == 0, 0, g * b * np.power(a, b - 1))
                ga = unbroadcast(ga.astype(g.dtype, copy=False), _shape(a))
            if nb:
                # torch masks the log where the result is 0 and the base is 0 (0 ** b for b >= 0).
                la = np.log(a) if type(a) is _ndarray else np.log(np.asarray(a, dtype=g.dtype))
                gb = np.where((a == 0) & (b >= 0), 0, g * out * la)
                gb = unbroadcast(gb.astype(g.dtype, copy=False), _shape(b))
        return ga, gb


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
        b = mul(b, _scalar_alpha(alpha, a))
    return _out(AddFunction.apply(a, b), out)


@tensor_method("sub", "subtract")
def sub(input, other, *, alpha=1, out=None):
    """out = input - alpha * other, broadcasting both."""
    if (isinstance(input, Tensor) and isinstance(other, Tensor) and input._data.dtype == np.bool_
            and other._data.dtype == np.bool_):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                               "`^` or `logical_xor()` operator instead.")
    a, b = promote_binary(input, other)
    if alpha != 1:
        b = mul(b, _scalar_alpha(alpha, a))
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
    """out = round(a / b) (trunc or floor): piecewise constant, so the gradient is zero."""
    node_name = "DivBackward1"

    @staticmethod
    def forward(ctx, a, b, mode):
        ctx.shapes = (_shape(a), _shape(b))
        dt = np.result_type(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            if dt.kind in "iu":
                if np.any(np.asarray(b) == 0):
                    raise RuntimeError("ZeroDivisionError")
                if mode == "floor":
                    return np.floor_divide(a, b)
                q = np.floor_divide(a, b)
                r = np.remainder(a, b)
                return q + ((r != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))
            q = np.true_divide(a, b)
            return np.floor(q) if mode == "floor" else np.trunc(q)

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        return (np.zeros(sa, g.dtype) if na else None), (np.zeros(sb, g.dtype) if nb else None), None


def _rounded_div(input, other, mode):
    a, b = promote_binary(input, other)
    return RoundedDivFunction.apply(a, b, mode)


@tensor_method()
def floor_divide(input, other, *, out=None):
    """out = floor(input / other)."""
    return _out(_rounded_div(input, other, "floor"), out)


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
    if isinstance(a, Tensor) and isinstance(b, numbers.Number) and not isinstance(b, bool):
        if a._data.dtype.kind in "iu" and b < 0 and isinstance(b, int):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _out(PowFunction.apply(a, b), out)


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
                k = a2.shape[-1]
                gb = np.matmul(a2.reshape(-1, k).T, g2.reshape(-1, g2.shape[-1]))
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
                           f"{a.dtype.name.replace('float32', 'float').replace('float64', 'double')} != "
                           f"{b.dtype.name.replace('float32', 'float').replace('float64', 'double')}")
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a._data.ndim}D and {b._data.ndim}D")


@tensor_method()
def matmul(input, other, *, out=None):
    """Matrix product with torch's rules for 1-D, 2-D and batched (broadcast) operands."""
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
    """Product of two 2-D matrices."""
    _check_matmul(input, mat2, "mm")
    if input._data.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    return matmul(input, mat2, out=out)


@tensor_method()
def bmm(input, mat2, *, out=None):
    """Batched product of (b, n, m) and (b, m, p) tensors."""
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
    """Matrix-vector product."""
    _check_matmul(input, vec, "mv")
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    return matmul(input, vec, out=out)


@tensor_method()
def dot(input, tensor, *, out=None):
    """Inner product of two 1-D tensors."""
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
    """Hyperbolic tangent, elementwise."""
    return _out(TanhFunction.apply(_float_input(input, "tanh")), out)


@tensor_method()
def sigmoid(input, *, out=None):
    """Logistic sigmoid 1 / (1 + exp(-x)), elementwise."""
    return _out(SigmoidFunction.apply(_float_input(input, "sigmoid")), out)


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
Tensor.__rtruediv__ = _r(div)
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
