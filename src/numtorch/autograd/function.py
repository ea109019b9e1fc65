"""``Function``: one differentiable operation, and the node autograd records for it.

This is torch's custom-op API. Subclass :class:`Function`, write ``forward(ctx, *args)`` and
``backward(ctx, *grad_outputs)`` as static methods, and call ``MyOp.apply(*args)``. ``ctx`` is the node that
ends up as the result's ``grad_fn``: ``ctx.save_for_backward(...)``, ``ctx.saved_tensors``,
``ctx.needs_input_grad``, ``ctx.mark_non_differentiable(...)``, ``ctx.mark_dirty(...)`` and
``ctx.set_materialize_grads(...)`` work as in torch.

A user's Function receives and returns Tensors. numtorch's built-in ops derive from :class:`ArrayFunction`,
whose ``forward`` and ``backward`` see the raw arrays instead (no wrapping cost per call), and whose
``backward`` must return one array (or ``None``) per input.
"""
import weakref

import numpy as np

from .._tensor import Tensor, _from_array
from .grad_mode import GradMode, no_grad

__all__ = ["Function", "ArrayFunction", "FunctionCtx", "once_differentiable", "commit_inplace"]

_ndarray = np.ndarray
_asarray = np.asarray
_object_new = object.__new__


class Function:
    """Base class of differentiable operations (torch.autograd.Function).

    Example::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y

        y = Exp.apply(x)
    """

    # Per-node state the engine reads. Everything an op stores on ``ctx`` itself lives in the instance dict.
    __slots__ = ("needs_input_grad", "next_edges", "_out_meta", "__dict__", "__weakref__")
    saved = ()
    _saved_versions = ()
    _freed = False
    _tensor_hooks = None
    _retained = None
    _pre_hooks = None
    _post_hooks = None
    materialize_grads = True
    _non_diff = None
    _dirty = None
    #: Name shown as ``grad_fn=<...>``; built-in ops set torch's (e.g. ``AddBackward0``).
    node_name = None

    def __init__(self, *args, **kwargs):
        # torch builds ctx objects itself; a user never instantiates a Function to call it.
        pass

    # ------------------------------------------------------------------ the API an op writes against
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    def save_for_backward(self, *values):
        """Keep tensors (or arrays, in an ArrayFunction) for backward; in-place changes to them are detected."""
        self.saved = values

    @property
    def saved_tensors(self):
        """What ``save_for_backward`` kept, after checking none of it was modified in place since."""
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors after "
                "they have already been freed). Saved intermediate values of the graph are freed when you call "
                ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved tensors after calling backward.")
        for vc, version, meta, source in self._saved_versions:
            if vc[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{_describe_meta(meta)}]{self._saved_origin(source)} is at version {vc[0]}; "
                    f"expected version "
                    f"{version} instead. Hint: the backtrace further above can point to the operation that "
                    "failed to compute its gradient. The variable in question was changed in there or "
                    "anywhere later. Good luck!")
        return self.saved

    saved_arrays = saved_tensors

    def _saved_origin(self, source):
        """torch's ``, which is output N of Op,`` for a saved value: this node's output ``source`` (an int), or
        the node that last wrote the saved input tensor ``source``; nothing for a leaf or a constant."""
        if type(source) is int:
            node, nr = self, source
        elif source.grad_fn is not None:
            node, nr = source.grad_fn, source._output_nr
        else:
            return ""
        name = node.name()
        return f", which is output {nr} of {name[:name.rfind('Backward')] if 'Backward' in name else name},"

    def mark_non_differentiable(self, *outputs):
        """Declare outputs (e.g. indices) that never receive a gradient."""
        self._non_diff = set(id(_raw(o)) for o in outputs)

    def mark_dirty(self, *tensors):
        """Declare inputs that ``forward`` modified in place."""
        self._dirty = set(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        """With ``False``, missing output gradients reach backward as ``None`` instead of zeros."""
        self.materialize_grads = bool(value)

    # ------------------------------------------------------------------ the node seen as grad_fn
    @classmethod
    def _node_name(cls):
        return cls.node_name or cls.__name__ + "Backward"

    def name(self):
        return self._node_name()

    def __repr__(self):
        return f"<{self._node_name()} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        """``((node, output_nr), ...)`` per input, as torch: leaves appear as ``AccumulateGrad`` nodes."""
        out = []
        for e in self.next_edges:
            if e is None:
                out.append((None, 0))
            elif type(e) is tuple:
                out.append(e)
            else:
                out.append((AccumulateGrad(e), 0))
        return tuple(out)

    @property
    def metadata(self):
        if "_metadata" not in self.__dict__:
            self.__dict__["_metadata"] = {}
        return self.__dict__["_metadata"]

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward."""
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(fn)
        from .._tensor import _RemovableHandle
        return _RemovableHandle(self._post_hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node's backward; it may return replacement gradients."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        from .._tensor import _RemovableHandle
        return _RemovableHandle(self._pre_hooks, fn)

    def _tensor_hooks_for(self, idx):
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        return self._tensor_hooks.setdefault(idx, [])

    def _retain_output(self, idx, tensor):
        if self._retained is None:
            self._retained = {}
        self._retained[idx] = weakref.ref(tensor)

    # ------------------------------------------------------------------ apply (tensors in, tensors out)
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and, when any input requires grad, record this op for backward."""
        if "setup_context" in cls.__dict__ or _has_own_setup_context(cls):
            ctx = cls.__new__(cls)
            ctx.saved = ()
            with no_grad():
                out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
        else:
            ctx = cls.__new__(cls)
            ctx.saved = ()
            record = GradMode.enabled and any(isinstance(a, Tensor) and a._requires_grad for a in args)
            ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad and record for a in args)
            with no_grad():
                out = cls.forward(ctx, *args, **kwargs)
            return _finish_tensor_apply(cls, ctx, args, out, record)
        record = GradMode.enabled and any(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad and record for a in args)
        return _finish_tensor_apply(cls, ctx, args, out, record)

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    def _call_backward(self, grads):
        """Engine entry: output-gradient arrays in, one input-gradient array (or None) per input out."""
        self.saved_tensors  # raises if freed or saved values were modified in place
        with no_grad():
            res = type(self).backward(self, *[None if g is None else _from_array(g) for g in grads])
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self.next_edges)
        if len(res) != n:
            if len(res) > n and all(r is None for r in res[n:]):
                res = res[:n]
            else:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                                   f"(expected {n}, got {len(res)})")
        return tuple(r._data if isinstance(r, Tensor) else r for r in res)

    def _release(self):
        """Free what backward needed (after a backward without ``retain_graph``)."""
        had = bool(self.saved)
        self.saved = ()
        if self._saved_versions:
            self._saved_versions = ()  # it names the saved input tensors: let them go too
        d = self.__dict__
        for k in [k for k, v in d.items() if isinstance(v, (_ndarray, Tensor))]:
            del d[k]
            had = True
        if had:
            self._freed = True


def _has_own_setup_context(cls):
    for klass in cls.__mro__:
        if klass is Function:
            return False
        if "setup_context" in klass.__dict__:
            return True
    return False


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


class FunctionCtx(Function):
    """The type of ``ctx`` objects, for annotations."""


class AccumulateGrad:
    """How a leaf appears in ``next_functions``: the node that accumulates into ``variable.grad``."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


def _edge(t):
    """Where a gradient for input ``t`` must go: the producing node and output index, or the leaf itself."""
    fn = t.grad_fn
    return t if fn is None else (fn, t._output_nr)


def _record_saved_versions(ctx, args, results):
    """Remember the version of every saved value that is an input's or output's memory."""
    rec = []
    for s in ctx.saved:
        # An output is named by its index (an input modified in place is one too): no reference back to ctx.
        for source, t in enumerate(results):
            if isinstance(t, Tensor) and (t is s or t._data is s):
                break
        else:
            for t in args:
                if isinstance(t, Tensor) and (t is s or t._data is s):
                    source = t
                    break
            else:
                continue
        rec.append((t._vc, t._vc[0], (t._data.dtype, t._data.shape), source))
    ctx._saved_versions = rec


def _describe(t):
    """torch's name for a tensor in error messages: ``numtorch.FloatTensor [3, 4]``."""
    a = t._data if isinstance(t, Tensor) else t
    return _describe_meta((a.dtype, a.shape))


def _describe_meta(meta):
    dtype, shape = meta
    names = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
             "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
             "uint8": "ByteTensor", "bool": "BoolTensor"}
    return f"numtorch.{names.get(dtype.name, dtype.name)} [{', '.join(map(str, shape))}]"


def _finish_tensor_apply(cls, ctx, args, out, record):
    is_tuple = isinstance(out, tuple)
    outs = out if is_tuple else (out,)
    if not record:
        return out
    ctx.next_edges = tuple(_edge(a) if isinstance(a, Tensor) and a._requires_grad else None for a in args)
    dirty = ctx._dirty or ()
    non_diff = ctx._non_diff or ()
    results = []
    meta = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            results.append(o)
            meta.append(None)
            continue
        if id(o) in dirty:
            t = o  # modified in place: its history is rebased onto this node
            if t.grad_fn is None and t._requires_grad:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        elif any(o is a for a in args):
            t = _from_array(o._data)  # an input returned as-is becomes a new alias with this node as history
            t._vc = o._vc
        else:
            t = o
        meta.append((t._data.shape, t._data.dtype))
        if t._data.dtype.kind in "fc" and id(o) not in non_diff and id(o._data) not in non_diff:
            t._requires_grad = True
            t.grad_fn = ctx
            t._output_nr = i
        results.append(t)
    ctx._out_meta = tuple(meta)
    _record_saved_versions(ctx, args, results)
    return tuple(results) if is_tuple else results[0]


class ArrayFunction(Function):
    """A Function whose ``forward`` and ``backward`` work on raw arrays; every built-in op derives from it.

    ``forward(ctx, *args)`` receives arrays where the caller passed Tensors (other arguments unchanged) and
    returns an array or a tuple of arrays. ``backward(ctx, *grads)`` receives one array per output and
    returns one array or ``None`` per input of ``forward``. Set ``view_of_input = True`` when the outputs
    are views of the first input's memory, so that they share its version counter.
    """

    view_of_input = False
    _builtin = True

    @classmethod
    def apply(cls, *args):
        ctx = _object_new(cls)
        arrays = []
        needs = []
        edges = []
        record = False
        grad_on = GradMode.enabled
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if grad_on and a._requires_grad:
                    record = True
                    needs.append(True)
                    fn = a.grad_fn
                    edges.append(a if fn is None else (fn, a._output_nr))
                    continue
            else:
                arrays.append(a)
            needs.append(False)
            edges.append(None)
        ctx.needs_input_grad = tuple(needs)
        out = cls.forward(ctx, *arrays)
        multi = type(out) is tuple
        results = tuple(_wrap_out(o) for o in out) if multi else (_wrap_out(out),)
        if cls.view_of_input:
            src = args[0]
            base = src if src._base is None else src._base
            for r in results:
                r._vc = src._vc
                r._base = base
        if not record:
            return results if multi else results[0]
        ctx.next_edges = tuple(edges)
        non_diff = ctx._non_diff
        meta = []
        for i, t in enumerate(results):
            d = t._data
            meta.append((d.shape, d.dtype))
            if d.dtype.kind in "fc" and (non_diff is None or id(d) not in non_diff):
                t._requires_grad = True
                t.grad_fn = ctx
                if i:
                    t._output_nr = i
        ctx._out_meta = tuple(meta)
        if ctx.saved:
            _record_saved_versions(ctx, args, results)
        return results if multi else results[0]

    def _call_backward(self, grads):
        if self._freed or self._saved_versions:
            self.saved_tensors  # raises if freed or saved values were modified in place
        res = type(self).backward(self, *grads)
        if type(res) is not tuple:
            res = (res,)
        if len(res) != len(self.next_edges):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {len(self.next_edges)}, got {len(res)})")
        return res


def _wrap_out(o):
    if type(o) is not _ndarray:
        o = _asarray(o)
    t = _object_new(Tensor)
    t._data = o
    t._requires_grad = False
    t.grad_fn = None
    t._vc = [0]
    return t


def once_differentiable(fn):
    """Accepted for compatibility: numtorch backward functions are always first-order only."""
    return fn


def commit_inplace(target, result):
    """Write ``result`` (computed out of place from ``target``) into ``target``'s memory, as an in-place op.

    Raises torch's errors for a leaf that requires grad, a dtype that cannot be cast back, a shape that would
    change, or memory that cannot be written. When ``result`` was recorded, ``target`` takes over its history.
    Returns ``target``.
    """
    arr = target._data
    res = result._data
    recording = result.grad_fn is not None
    if recording or (GradMode.enabled and target._requires_grad):
        if target.grad_fn is None and target._requires_grad and GradMode.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        base = target._base
        if recording and base is not None and base.grad_fn is None and base._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        if recording and base is not None and (base._requires_grad or target._requires_grad):
            raise RuntimeError(
                "numtorch: an in-place operation on a view of a tensor that requires grad is not supported; "
                "use the out-of-place form of the operation.")
    if res.shape != arr.shape:
        raise RuntimeError(f"output with shape {list(arr.shape)} doesn't match the broadcast shape "
                           f"{list(res.shape)}")
    if res.dtype != arr.dtype:
        from .._dtype import FROM_NUMPY, can_cast
        if not can_cast(FROM_NUMPY[res.dtype], FROM_NUMPY[arr.dtype]):
            raise RuntimeError(f"result type {_type_word(res.dtype)} can't be cast to the desired output "
                               f"type {_type_word(arr.dtype)}")
    if not arr.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    if recording:
        node = result.grad_fn
        # The node may have saved target's old values: give it a private copy before they are overwritten.
        if any(s is arr for s in node.saved):
            node.saved = tuple(s.copy() if s is arr else s for s in node.saved)
            node._saved_versions = [r for r in node._saved_versions if r[0] is not target._vc]
    np.copyto(arr, res, casting="unsafe")
    target._vc[0] += 1
    if recording:
        target.grad_fn = result.grad_fn
        target._output_nr = result._output_nr
        target._requires_grad = True
    return target


def _type_word(npdtype):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(npdtype.name, npdtype.name)
