"""Finite-difference gradient checking (torch.autograd.gradcheck).

For a function ``f`` of float64 tensors, the analytical vector-Jacobian product from ``backward`` is compared
with central differences ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``. With ``fast_mode=True`` every input
is perturbed along one random direction instead of along each coordinate (torch's fast mode, Chainer's
``check_backward``), which keeps the check cheap for large inputs.
"""
import numpy as np

from .._tensor import Tensor
from .grad_mode import no_grad

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised when the analytical and numerical gradients disagree."""


def _outputs(func, inputs):
    out = func(*inputs)
    if isinstance(out, Tensor):
        out = (out,)
    return [o for o in out if isinstance(o, Tensor) and o.is_floating_point()]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, fast_mode=False,
              seed=0):
    """Check ``func``'s gradients w.r.t. every input that requires grad; returns True or raises."""
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in diff:
        if inputs[i].dtype.name != "float64":
            raise GradcheckError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64")
    rng = np.random.default_rng(seed)
    outs = _outputs(func, inputs)
    # A fixed random weight per output turns the outputs into one scalar: L = sum_k <w_k, out_k>.
    weights = [rng.standard_normal(o.shape) for o in outs]

    def scalar(vals):
        with no_grad():
            res = _outputs(func, vals)
        return sum(float((r._data.astype(np.float64) * w).sum()) for r, w in zip(res, weights))

    for i in diff:
        inputs[i].grad = None
    loss = sum((o * Tensor(w, dtype="float64")).sum() for o, w in zip(outs, weights))
    grads = {}
    if loss.requires_grad:
        loss.backward()
    for i in diff:
        g = inputs[i].grad
        grads[i] = np.zeros(inputs[i].shape) if g is None else g._data.copy()
        inputs[i].grad = None

    for i in diff:
        x = inputs[i]._data
        analytic = grads[i]
        if fast_mode:
            direction = rng.standard_normal(x.shape)
            orig = x.copy()
            x[...] = orig + eps * direction
            fp = scalar(inputs)
            x[...] = orig - eps * direction
            fm = scalar(inputs)
            x[...] = orig
            numeric = (fp - fm) / (2 * eps)
            a = float((analytic * direction).sum())
            if not abs(a - numeric) <= atol + rtol * abs(numeric):
                return _fail(raise_exception, f"Jacobian mismatch for input {i} (fast mode): analytical "
                                              f"{a!r}, numerical {numeric!r}")
            continue
        numeric = np.zeros_like(analytic)
        flat = x.reshape(-1) if x.flags.c_contiguous else None
        if flat is None:
            raise GradcheckError(f"gradcheck: input {i} must be contiguous")
        for k in range(flat.size):
            v = flat[k]
            flat[k] = v + eps
            fp = scalar(inputs)
            flat[k] = v - eps
            fm = scalar(inputs)
            flat[k] = v
            numeric.reshape(-1)[k] = (fp - fm) / (2 * eps)
        bad = ~(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric))
        if bad.any():
            k = int(np.flatnonzero(bad.reshape(-1))[0])
            return _fail(raise_exception,
                         f"Jacobian mismatch for output 0 with respect to input {i},\n"
                         f"numerical:{numeric.reshape(-1)[k]!r}\nanalytical:{analytic.reshape(-1)[k]!r}\n"
                         f"(first of {int(bad.sum())} mismatching elements, flat index {k})")
    return True


def _fail(raise_exception, msg):
    if raise_exception:
        raise GradcheckError(msg)
    return False
