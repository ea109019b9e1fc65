"""The backward engine: walks the recorded graph from the outputs back to the leaves.

1. Count, for every node reachable from the roots, how many consumer edges point at it.
2. Start from the roots' nodes; a node runs once all of its consumers have delivered their gradients
   (its count reaches zero), so each node runs exactly once, after everything that uses its outputs.
   Gradients arriving at the same output are summed.
3. Leaf gradients are summed per leaf and, at the very end, passed through the leaf's hooks and accumulated
   into ``leaf.grad``.

Everything is a loop over explicit stacks and dicts: a chain of any length backpropagates without recursion.
Unless ``retain_graph`` is set, each node frees its saved arrays as soon as it has run.
"""
import os

import numpy as np

from .._tensor import Tensor, _from_array
from .grad_mode import no_grad

__all__ = ["backward", "grad"]

_ndarray = np.ndarray

# Tests set NUMTORCH_STRICT_GRAD_DTYPE=1: a built-in op returning a gradient of the wrong dtype is a bug to
# catch (it doubles memory traffic), not something to cast quietly.
_STRICT_DTYPE = os.environ.get("NUMTORCH_STRICT_GRAD_DTYPE", "") not in ("", "0")


def _as_grad_array(g, t, i, what="grad_output"):
    if isinstance(g, Tensor):
        arr = g._data
    else:
        arr = np.asarray(g, dtype=t._data.dtype)
    if arr.shape != t._data.shape:
        raise RuntimeError(f"Mismatch in shape: {what}[{i}] has a shape of numtorch.Size({list(arr.shape)}) "
                           f"and output[{i}] has a shape of numtorch.Size({list(t._data.shape)}).")
    if arr.dtype != t._data.dtype:
        if arr.dtype.kind not in "fc":
            raise RuntimeError(f"For complex Tensors, both grad_output and output are required to have the "
                               f"same dtype. Mismatch in dtype: {what}[{i}] has a dtype of {g.dtype} and "
                               f"output[{i}] has a dtype of {t.dtype}.")
        arr = arr.astype(t._data.dtype)
    return arr


def _root_grads(tensors, grad_tensors, what="grad_tensors"):
    grads = []
    for i, t in enumerate(tensors):
        g = None if grad_tensors is None else grad_tensors[i]
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t._data.dtype.kind not in "fc":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{t.dtype}")
            grads.append(np.ones(t._data.shape, dtype=t._data.dtype))
        else:
            grads.append(_as_grad_array(g, t, i))
    return grads


def _check_roots(tensors):
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected a Tensor as output {i}, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` (weighted by ``grad_tensors``) into the leaves' ``.grad``."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    if grad_tensors is not None and len(grad_tensors) != len(tensors):
        raise RuntimeError(f"got {len(grad_tensors)} tensors and {len(tensors)} gradients")
    if create_graph:
        raise NotImplementedError("numtorch: create_graph=True (higher-order gradients) is not supported; "
                                  "backward computes first-order gradients only")
    _check_roots(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_grads(tensors, grad_tensors)
    protected = {id(g) for g, given in zip(roots, grad_tensors or [None] * len(roots)) if given is not None}
    only = None
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        only = set(id(t) for t in inputs)
    _run(tensors, roots, retain_graph, accumulate=True, only=only, protected=protected)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching any ``.grad``."""
    outputs = _as_tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if create_graph:
        raise NotImplementedError("numtorch: create_graph=True (higher-order gradients) is not supported; "
                                  "autograd.grad computes first-order gradients only")
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected a Tensor as input {i}, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    _check_roots(outputs)
    if grad_outputs is not None and len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(grad_outputs)} and "
                           f"{len(outputs)}")
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_grads(outputs, grad_outputs, "grad_outputs")
    capture = {}
    for i, t in enumerate(inputs):
        key = t if t.grad_fn is None else (t.grad_fn, t._output_nr)
        capture.setdefault(key, []).append(i)
    results = [None] * len(inputs)
    _run(outputs, roots, retain_graph, accumulate=False, capture=capture, results=results)
    out = []
    for i, r in enumerate(results):
        if r is None:
            if materialize_grads:
                r = np.zeros_like(inputs[i]._data)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in "
                                   "the graph. Set allow_unused=True if this is the desired behavior.")
        out.append(None if r is None else _from_array(r))
    return tuple(out)


def _run(tensors, root_grads, retain_graph, accumulate, only=None, capture=None, results=None,
         protected=()):
    # 1. dependency counts
    deps = {}
    stack = []
    for t in tensors:
        fn = t.grad_fn
        if fn is not None and fn not in deps:
            deps[fn] = 0
            stack.append(fn)
    while stack:
        fn = stack.pop()
        for e in fn.next_edges:
            if type(e) is tuple:
                nxt = e[0]
                c = deps.get(nxt)
                if c is None:
                    deps[nxt] = 1
                    stack.append(nxt)
                else:
                    deps[nxt] = c + 1

    # 2. seed the roots
    buffers = {}
    leaf_grads = {}
    for t, g in zip(tensors, root_grads):
        fn = t.grad_fn
        if fn is None:
            prev = leaf_grads.get(t)
            leaf_grads[t] = g if prev is None else prev + g
        else:
            buf = buffers.get(fn)
            if buf is None:
                buf = buffers[fn] = [None] * len(fn._out_meta)
            idx = t._output_nr
            buf[idx] = g if buf[idx] is None else buf[idx] + g
    ready = []
    for t in tensors:
        fn = t.grad_fn
        if fn is not None and deps[fn] == 0 and fn not in ready:
            ready.append(fn)

    # 3. run nodes in dependency order
    strict = _STRICT_DTYPE
    while ready:
        fn = ready.pop()
        grads = buffers.pop(fn, None)
        in_grads = _run_node(fn, grads, capture, results)
        if not retain_graph:
            fn._release()
        for e, g in zip(fn.next_edges, in_grads):
            if e is None:
                continue
            if type(e) is tuple:
                nxt, idx = e
                if g is not None:
                    shape, dtype = nxt._out_meta[idx]
                    if type(g) is not _ndarray or g.shape != shape or g.dtype != dtype:
                        g = _fix_grad(fn, g, shape, dtype, strict)
                    buf = buffers.get(nxt)
                    if buf is None:
                        buf = buffers[nxt] = [None] * len(nxt._out_meta)
                    prev = buf[idx]
                    buf[idx] = g if prev is None else prev + g
                c = deps[nxt] - 1
                deps[nxt] = c
                if c == 0:
                    ready.append(nxt)
            elif g is not None:
                if type(g) is not _ndarray or g.shape != e._data.shape or g.dtype != e._data.dtype:
                    g = _fix_grad(fn, g, e._data.shape, e._data.dtype, strict)
                prev = leaf_grads.get(e)
                leaf_grads[e] = g if prev is None else prev + g

    # 4. leaves: hooks, then accumulate (or capture for autograd.grad)
    claimed = set(protected)
    for leaf, g in leaf_grads.items():
        if leaf._hooks:
            g = _call_hooks(leaf._hooks, g)
        if capture is not None:
            for i in capture.get(leaf, ()):
                results[i] = g
            continue
        if not accumulate or (only is not None and id(leaf) not in only):
            continue
        old = leaf._grad
        if old is None:
            # Keep the array only if nothing else can see it; otherwise give the leaf its own copy.
            if g.base is not None or id(g) in claimed or not g.flags.writeable:
                g = g.copy()
            claimed.add(id(g))
            leaf._grad = _from_array(g)
        else:
            od = old._data
            if od.shape == g.shape and od.flags.writeable:
                od += g
                old._vc[0] += 1
            else:
                leaf._grad = _from_array(od + g)


def _fix_grad(fn, g, shape, dtype, strict):
    g = np.asarray(g)
    if g.shape != shape:
        raise RuntimeError(f"Function {fn.name()} returned an invalid gradient - got {list(g.shape)} but "
                           f"expected shape compatible with {list(shape)}")
    if g.dtype != dtype:
        if strict and getattr(fn, "_builtin", False):
            raise RuntimeError(f"Function {fn.name()} returned a gradient of dtype {g.dtype}, expected {dtype}")
        g = g.astype(dtype)
    return g


def _call_hooks(hooks, g):
    with no_grad():
        for hook in list(hooks):
            r = hook(_from_array(g))
            if r is not None:
                if not isinstance(r, Tensor):
                    raise TypeError(f"hook returned an object of type {type(r).__name__}, expected a Tensor "
                                    "or None")
                if r._data.shape != g.shape:
                    raise RuntimeError(f"hook 'hook' has changed the size of value: expected "
                                       f"{list(g.shape)}, got {list(r._data.shape)}")
                g = r._data
    return g


def _run_node(fn, grads, capture, results):
    n_out = len(fn._out_meta)
    if grads is None:
        return (None,) * len(fn.next_edges)
    if fn._tensor_hooks:
        for idx, hooks in fn._tensor_hooks.items():
            if hooks and grads[idx] is not None:
                grads[idx] = _call_hooks(hooks, grads[idx])
    if fn._retained:
        for idx, ref in fn._retained.items():
            t = ref()
            if t is not None and grads[idx] is not None:
                t._grad = _from_array(grads[idx].copy() if t._grad is None else t._grad._data + grads[idx])
    if capture is not None:
        for idx in range(n_out):
            for i in capture.get((fn, idx), ()):
                results[i] = grads[idx]
    if fn._pre_hooks:
        with no_grad():
            for hook in fn._pre_hooks:
                r = hook(tuple(None if g is None else _from_array(g) for g in grads))
                if r is not None:
                    grads = [None if x is None else x._data for x in r]
    if all(g is None for g in grads):
        return (None,) * len(fn.next_edges)
    if n_out > 1 and fn.materialize_grads:
        for i, g in enumerate(grads):
            if g is None and fn._out_meta[i] is not None:
                shape, dtype = fn._out_meta[i]
                grads[i] = np.zeros(shape, dtype=dtype)
    res = fn._call_backward(grads)
    if fn._post_hooks:
        with no_grad():
            for hook in fn._post_hooks:
                r = hook(tuple(None if g is None else _from_array(g) for g in res),
                         tuple(None if g is None else _from_array(g) for g in grads))
                if r is not None:
                    res = tuple(None if x is None else x._data for x in r)
    return res
