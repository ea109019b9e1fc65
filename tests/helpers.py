"""The test harness: torch is the oracle, finite differences are the backstop.

* :func:`check_op` feeds the same seeded NumPy inputs to numtorch and torch, compares values, dtype and shape,
  then the gradient of every input after ``sum(out * w)`` with a fixed random ``w`` (a random weight catches
  transposition errors that ``.sum()`` hides), and finally runs a float64 central-difference gradcheck on
  numtorch alone.
* :func:`lib` and :func:`F` return the library (or its ``nn.functional``) that a tensor belongs to, so one
  lambda serves both sides: ``check_op([(3, 4)], lambda x: lib(x).exp(x))``.
* ``torch`` is ``None`` when torch is not installed; tests that use it carry ``@pytest.mark.torch`` and are
  skipped with a reason by ``conftest.py``.
"""
import numpy as np

import numtorch
import numtorch.nn.functional as nF
from numtorch.autograd.gradcheck import gradcheck

try:
    import torch
    import torch.nn.functional as tF
except ImportError:  # the parity tests are skipped; everything else still runs
    torch = None
    tF = None

__all__ = ["torch", "tF", "nF", "lib", "F", "check_op", "to_torch", "to_nt", "assert_close", "gradcheck",
           "TOL", "seeded", "dodge_kinks", "check_grads", "check_module", "copy_state"]

#: Default tolerances per dtype: (forward atol, forward rtol, grad atol, grad rtol). STYLE.md section 7.
TOL = {
    "float32": (1e-6, 1e-3, 1e-4, 1e-3),
    "float64": (1e-10, 1e-7, 1e-9, 1e-7),
    "float16": (1e-3, 1e-2, 1e-2, 1e-2),
}


def lib(x):
    """The library a tensor belongs to: ``torch`` or ``numtorch``."""
    if torch is not None and isinstance(x, torch.Tensor):
        return torch
    return numtorch


def F(x):
    """The ``nn.functional`` module matching ``x``'s library."""
    return tF if lib(x) is torch else nF


def seeded(seed=0):
    return np.random.default_rng(seed)


def to_torch(a, requires_grad=False):
    """A torch tensor holding a copy of a NumPy array (or numtorch tensor)."""
    if isinstance(a, numtorch.Tensor):
        a = a.detach().numpy()
    t = torch.from_numpy(np.array(a, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_nt(a, requires_grad=False):
    """A numtorch tensor holding a copy of a NumPy array (or torch tensor)."""
    if torch is not None and isinstance(a, torch.Tensor):
        a = a.detach().numpy()
    t = numtorch.from_numpy(np.array(a, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _np(x):
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, numtorch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def assert_close(ours, theirs, atol, rtol, what="output"):
    """Compare a numtorch result with torch's: same shape, same dtype, values within tolerance."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)), f"{what}: torch returned a sequence, numtorch {type(ours)}"
        assert len(ours) == len(theirs), f"{what}: {len(ours)} results, torch gives {len(theirs)}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            assert_close(o, t, atol, rtol, f"{what}[{i}]")
        return
    if torch is not None and isinstance(theirs, torch.Tensor):
        assert isinstance(ours, numtorch.Tensor), f"{what}: expected a Tensor, got {type(ours).__name__}"
        assert tuple(ours.shape) == tuple(theirs.shape), \
            f"{what}: shape {tuple(ours.shape)} != torch {tuple(theirs.shape)}"
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], \
            f"{what}: dtype {ours.dtype} != torch {theirs.dtype}"
        a, b = _np(ours), _np(theirs)
        if a.dtype.kind in "fc":
            np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), atol=atol, rtol=rtol,
                                       equal_nan=True, err_msg=what)
        else:
            np.testing.assert_array_equal(a, b, err_msg=what)
        return
    assert ours == theirs, f"{what}: {ours!r} != torch {theirs!r}"


def dodge_kinks(a, kinks=(0.0,), margin=1e-2):
    """Move values away from non-differentiable points (Chainer's dodge_nondifferentiable)."""
    a = np.array(a, copy=True)
    for k in kinks:
        close = np.abs(a - k) < margin
        a[close] = k + np.where(a[close] >= k, margin, -margin) * 2
    return a


def _float_outputs(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if hasattr(o, "dtype") and o.is_floating_point() and o.requires_grad]


def check_grads(nt_inputs, t_inputs, nt_out, t_out, atol, rtol, seed=1, what="grad"):
    """Backpropagate sum(out * w) on both sides with the same random w and compare every input gradient."""
    rng = np.random.default_rng(seed)
    n_outs, t_outs = _float_outputs(nt_out), _float_outputs(t_out)
    assert len(n_outs) == len(t_outs), "different number of differentiable outputs"
    if not t_outs:
        return
    ws = [rng.uniform(0.5, 1.5, tuple(o.shape)) * rng.choice([-1, 1], tuple(o.shape)) for o in t_outs]
    t_loss = sum((o * torch.from_numpy(np.asarray(w, dtype=_np(o).dtype))).sum() for o, w in zip(t_outs, ws))
    n_loss = sum((o * numtorch.from_numpy(np.asarray(w, dtype=_np(o).dtype))).sum() for o, w in zip(n_outs, ws))
    t_loss.backward()
    n_loss.backward()
    for i, (n, t) in enumerate(zip(nt_inputs, t_inputs)):
        if not (isinstance(t, torch.Tensor) and t.requires_grad):
            continue
        if t.grad is None:
            assert n.grad is None or not np.any(_np(n.grad)), f"{what}[{i}]: torch has no gradient"
            continue
        assert n.grad is not None, f"{what}[{i}]: numtorch computed no gradient, torch did"
        assert_close(n.grad, t.grad, atol, rtol, f"{what}[{i}]")


def check_op(shapes, torch_fn, our_fn=None, *, dtypes=("float32", "float64"), atol=None, rtol=None,
             grad_atol=None, grad_rtol=None, forward_only=False, low=-2.0, high=2.0, seed=0, kinks=None,
             grad_check=True, fast_gradcheck=None, requires_grad=None, inputs=None):
    """Compare an op in numtorch and torch on seeded random inputs, in every dtype of ``dtypes``.

    Args:
        shapes: one shape per tensor input.
        torch_fn, our_fn: the op in each library (``our_fn`` defaults to ``torch_fn``, which works when the
            lambda only uses Tensor methods or :func:`lib`/:func:`F`).
        inputs: optional explicit NumPy arrays instead of random ones (``shapes`` is then ignored).
        kinks: values to keep inputs away from (e.g. ``(0,)`` for relu) so gradients are well defined.
        requires_grad: per-input flags (default: floating inputs require grad).
        grad_check: also run a float64 finite-difference gradcheck on numtorch.
    """
    our_fn = our_fn or torch_fn
    for dtype in dtypes:
        rng = np.random.default_rng(seed)
        if inputs is not None:
            arrays = [np.asarray(a) for a in inputs]
            arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
        else:
            arrays = [rng.uniform(low, high, s).astype(dtype) for s in shapes]
        if kinks is not None:
            arrays = [dodge_kinks(a, kinks).astype(a.dtype) if a.dtype.kind == "f" else a for a in arrays]
        flags = requires_grad or [a.dtype.kind == "f" and not forward_only for a in arrays]
        fa, fr, ga, gr = TOL[dtype]
        fa, fr = atol if atol is not None else fa, rtol if rtol is not None else fr
        ga, gr = grad_atol if grad_atol is not None else ga, grad_rtol if grad_rtol is not None else gr
        if dtype == "float64":
            fa, fr = min(fa, TOL["float64"][0] * 1e3) if atol is None else fa, fr
        t_in = [to_torch(a, f) for a, f in zip(arrays, flags)]
        n_in = [to_nt(a, f) for a, f in zip(arrays, flags)]
        t_out = torch_fn(*t_in)
        n_out = our_fn(*n_in)
        assert_close(n_out, t_out, fa, fr, f"forward ({dtype})")
        if forward_only or not any(flags):
            continue
        check_grads(n_in, t_in, n_out, t_out, ga, gr, seed=seed + 1, what=f"grad ({dtype})")
        if grad_check and dtype == "float64":
            g_in = [to_nt(a, f) for a, f in zip(arrays, flags)]
            fast = fast_gradcheck if fast_gradcheck is not None else sum(a.size for a in arrays) > 400
            gradcheck(lambda *xs: our_fn(*xs), g_in, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=fast)


# ---------------------------------------------------------------------- modules
def copy_state(torch_module, our_module):
    """Load torch's state_dict into the numtorch module (through NumPy), strictly."""
    sd = {k: to_nt(v) for k, v in torch_module.state_dict().items()}
    our_module.load_state_dict(sd)


def _named_grads(module):
    return {n: p.grad for n, p in module.named_parameters()}


def check_module(torch_module, our_module, input_shapes=None, *, inputs=None, dtype="float32", call=None,
                 atol=None, rtol=None, grad_atol=None, grad_rtol=None, low=-2.0, high=2.0, seed=0,
                 train_steps=1, check_repr=True, check_eval=True, input_grad=True, int_inputs=None):
    """Compare a numtorch module with its torch twin, STYLE.md section 7.

    torch's state_dict is copied into ours; then, in training mode, outputs, every input gradient, every
    parameter gradient and every buffer (after ``train_steps`` forward passes) must match; the same outputs
    again in eval mode; state_dict keys in order; ``repr``; and our state_dict must load back into torch and
    give the same outputs there.

    Args:
        input_shapes: shapes of random float inputs (or give ``inputs`` as NumPy arrays).
        call: ``call(module, *inputs)`` when the module is not called as ``module(*inputs)``.
        int_inputs: indices of inputs that are integer (not differentiated).
    """
    import copy as _copy
    fa, fr, ga, gr = TOL[dtype]
    fa, fr = atol if atol is not None else fa, rtol if rtol is not None else fr
    ga, gr = grad_atol if grad_atol is not None else ga, grad_rtol if grad_rtol is not None else gr
    torch_module = torch_module.to(getattr(torch, dtype))
    our_module = our_module.to(getattr(numtorch, dtype))
    copy_state(torch_module, our_module)
    assert list(our_module.state_dict().keys()) == list(torch_module.state_dict().keys()), "state_dict keys"
    assert [n for n, _ in our_module.named_parameters()] == [n for n, _ in torch_module.named_parameters()]
    assert [n for n, _ in our_module.named_buffers()] == [n for n, _ in torch_module.named_buffers()]
    if check_repr:
        assert repr(our_module) == repr(torch_module).replace("torch.", "numtorch."), "repr"
    call = call or (lambda m, *xs: m(*xs))
    rng = np.random.default_rng(seed)
    if inputs is None:
        inputs = [rng.uniform(low, high, s).astype(dtype) for s in input_shapes]
    inputs = [np.asarray(a) for a in inputs]
    int_inputs = set(int_inputs or ())
    flags = [input_grad and a.dtype.kind == "f" and i not in int_inputs for i, a in enumerate(inputs)]

    def run(step):
        t_in = [to_torch(a, f) for a, f in zip(inputs, flags)]
        n_in = [to_nt(a, f) for a, f in zip(inputs, flags)]
        torch_module.zero_grad()
        our_module.zero_grad()
        t_out = call(torch_module, *t_in)
        n_out = call(our_module, *n_in)
        assert_close(n_out, t_out, fa, fr, f"forward (train, step {step}, {dtype})")
        if any(p.requires_grad for p in torch_module.parameters()) or any(flags):
            check_grads(n_in, t_in, n_out, t_out, ga, gr, seed=seed + step + 1, what=f"input grad ({dtype})")
            tg, ng = _named_grads(torch_module), _named_grads(our_module)
            for name, g in tg.items():
                if g is None:
                    assert ng[name] is None or not np.any(_np(ng[name])), f"param grad {name}: torch has none"
                else:
                    assert ng[name] is not None, f"param grad {name}: numtorch has none"
                    assert_close(ng[name], g, ga, gr, f"param grad {name} ({dtype})")
        for (name, b), (_, tb) in zip(our_module.named_buffers(), torch_module.named_buffers()):
            assert_close(b, tb, fa, fr, f"buffer {name} after step {step}")

    torch_module.train()
    our_module.train()
    for step in range(train_steps):
        run(step)
    if check_eval:
        torch_module.eval()
        our_module.eval()
        with torch.no_grad(), numtorch.no_grad():
            t_out = call(torch_module, *[to_torch(a) for a in inputs])
            n_out = call(our_module, *[to_nt(a) for a in inputs])
        assert_close(n_out, t_out, fa, fr, f"forward (eval, {dtype})")
        # Round trip: our state_dict loads into a fresh torch twin and gives the same outputs there.
        twin = _copy.deepcopy(torch_module)
        twin.load_state_dict({k: to_torch(v) for k, v in our_module.state_dict().items()})
        with torch.no_grad():
            back = call(twin, *[to_torch(a) for a in inputs])
        back = tuple(to_nt(b) for b in back) if isinstance(back, tuple) else to_nt(back)
        assert_close(back, t_out, fa, fr, "round trip into torch")
    return our_module
