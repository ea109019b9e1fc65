"""The model graph for TensorBoard, built from numtorch's own autograd graph and module hooks.

:func:`graph` runs the model once and returns a ``GraphDef`` that TensorBoard's graph plugin draws as torch's
``SummaryWriter.add_graph`` does: operations grouped by module scope, the parameters they read and each output's
shape. How it is found:

1. The inputs become fresh non-leaf tensors that require grad (a ``clone`` of a detached copy), and every
   floating-point parameter is made to require grad for the run, so every operation is recorded as a node of
   the autograd graph (``grad_fn``); the model runs in eval mode, as torch traces it, with grad enabled.
2. Forward hooks keep a stack of module calls. Each call gets torch's scope name: the root's class name, then
   ``ClassName[attribute]`` per level (``Tudui/Sequential[model1]/Conv2d[0]``), the attribute being the name the
   calling module knows the callee by (or, for a module reached through a ``ModuleList``/``ModuleDict``, its
   own attribute name there). Before a module runs, the nodes reachable from its arguments (positional and
   keyword) that nobody has claimed yet are given to the caller; after it runs, the unclaimed nodes reachable
   from its outputs are given to it. So every node belongs to the innermost module whose ``forward`` created it,
   and the order of the claims is the order of the forward pass.
3. The nodes reachable from the outputs are written in that order. Each input becomes
   ``input/<argument name>`` and each output ``output/output.<i>`` (op ``IO Node``); each parameter a
   ``prim::GetAttr`` node named by its place in the module tree (``Tudui/Sequential[model1]/Conv2d[0]/weight``);
   each operation a node ``<scope>/<op>`` whose op is torch's ATen name (``aten::_convolution``,
   ``aten::max_pool2d``, ``aten::flatten``, ``aten::linear``, ...), derived from the op's ``Function`` class (or
   its ``grad_fn`` name), with its inputs as edges (argument order; ``node:k`` for output ``k`` of a node with
   several) and ``_output_shapes``. After the run the model's training flags and its parameters'
   ``requires_grad`` are restored, module by module.

Where this differs from torch's graph (which comes from ``torch.jit.trace``):

* No ``prim::Constant``/``prim::ListConstruct`` nodes for non-tensor arguments (strides, paddings, ...), and no
  ``prim::TupleConstruct`` for tuple outputs: each output tensor gets its own ``output/output.<i>`` node.
* Node names are ``<scope>/<op>`` (``Tudui/Sequential[model1]/Conv2d[0]/_convolution``), numbered ``.1``,
  ``.2``, ... when an op repeats in a scope, instead of the tracer's value names (``.../Conv2d[0]/input.1``).
* A parameter is one node ``<module scope>/<name>`` with its shape, shared by all its uses, instead of one
  ``.../weight/weight.7`` ``prim::GetAttr`` node per use without a shape.
* Only tensors that take part in autograd appear: buffers (BatchNorm's running statistics), integer inputs
  (embedding indices) and work done under ``no_grad`` leave no nodes, and unused inputs are left out.
* Views and reshapes are the ops their autograd nodes record: ``view`` and ``reshape`` both show as
  ``aten::view``; a view made directly by ``nn.Flatten``/``nn.Unflatten`` shows as ``aten::flatten``/
  ``aten::unflatten``. Fused ops show under their own name (``F.linear`` is ``aten::linear``, never ``addmm``).
  A dropout module in eval mode (which hands back its input) still shows its op, through a pass-through node,
  as torch's does; a functional ``F.dropout(x, training=False)`` leaves none.
* An argument that ``forward`` reassigns keeps its name (torch's tracer numbers it: ``input/x.1``).
* Each module gets back its own training flag (torch sets the whole model to the root's flag).
* ``use_strict_trace`` is accepted and ignored; a custom ``autograd.Function`` shows as ``prim::PythonOp``.
"""
import inspect
import re

import numpy as np

from ..._tensor import Tensor
from ...autograd.function import ArrayFunction
from ...autograd.grad_mode import enable_grad
from ...nn.modules.module import Module
from ._tbx import tbx

__all__ = ["graph", "aten_op_name"]

GraphDef = tbx.graph_pb2.GraphDef
NodeDef = tbx.node_def_pb2.NodeDef
AttrValue = tbx.attr_value_pb2.AttrValue
TensorShapeProto = tbx.tensor_shape_pb2.TensorShapeProto
VersionDef = tbx.versions_pb2.VersionDef

# ---------------------------------------------------------------------- op names
#: ATen names of ops whose Function class name (or family, found along the MRO) does not spell them.
#: ``None`` means: the grad_fn name says it best (ops whose node name depends on the mode); a function of the
#: node picks the name from what the node stored.
_ATEN_BY_CLASS = {
    "ConvNdFunction": "aten::_convolution",
    "ConvTransposeNdFunction": "aten::_convolution",
    "LinearFunction": "aten::linear",
    "MaxPoolFunction": "aten::max_pool2d",
    "_MaxPool1dFunction": "aten::max_pool1d",
    "_MaxPool3dFunction": "aten::max_pool3d",
    "AvgPoolFunction": "aten::avg_pool2d",
    "_AvgPool1dFunction": "aten::avg_pool1d",
    "_AvgPool3dFunction": "aten::avg_pool3d",
    "AdaptiveAvgPoolFunction": "aten::adaptive_avg_pool2d",
    "_AdaptiveAvgPool1dFunction": "aten::adaptive_avg_pool1d",
    "_AdaptiveAvgPool3dFunction": "aten::adaptive_avg_pool3d",
    "_GlobalAvgPoolFunction": lambda node: f"aten::adaptive_avg_pool{3 if _output_ndim(node) == 5 else 2}d",
    "AdaptiveMaxPoolFunction": "aten::adaptive_max_pool2d",
    "_AdaptiveMaxPool1dFunction": "aten::adaptive_max_pool1d",
    "MaxUnpoolFunction": "aten::max_unpool2d",
    "_MaxUnpool1dFunction": "aten::max_unpool1d",
    "LpPoolFunction": "aten::lp_pool2d",
    "BatchNormFunction": "aten::batch_norm",
    "BatchNormEmptyFunction": "aten::batch_norm",
    "GroupNormFunction": "aten::group_norm",
    "GroupNormEmptyFunction": "aten::group_norm",
    "InstanceNormFunction": "aten::instance_norm",
    "InstanceNormUnbatchedFunction": "aten::instance_norm",
    "InstanceNormEvalFunction": "aten::instance_norm",
    "InstanceNormEvalUnbatchedFunction": "aten::instance_norm",
    "InstanceNormEmptyFunction": "aten::instance_norm",
    "WeightNormFunction": "aten::_weight_norm",
    "NormExceptDimFunction": "aten::norm_except_dim",
    "RMSNormFunction": "aten::rms_norm",
    "NormalizeFunction": "aten::normalize",
    "DropoutFunction": "aten::dropout",
    "AlphaDropoutFunction": "aten::alpha_dropout",
    "AttentionFunction": "aten::scaled_dot_product_attention",
    "MatmulFunction": "aten::matmul",
    "RoundedDivFunction": "aten::div",
    "PowTensorFunction": "aten::pow",
    "PowScalarBaseFunction": "aten::pow",
    "ClampTensorFunction": "aten::clamp",
    "ClampMinTensorFunction": "aten::clamp_min",
    "ClampMaxTensorFunction": "aten::clamp_max",
    "MaskedFillTensorFunction": "aten::masked_fill",
    "RemainderScalarFunction": "aten::remainder",
    "FmodScalarFunction": "aten::fmod",
    "LerpTensorFunction": "aten::lerp",
    "XlogyScalarSelfFunction": "aten::xlogy",
    "XlogyScalarOtherFunction": "aten::xlogy",
    "RoundDecimalsFunction": "aten::round",
    "GeluTanhFunction": "aten::gelu",
    "RreluNoiseFunction": "aten::rrelu",
    "RreluNoiseResultFunction": "aten::rrelu_",
    "LeakyReluResultFunction": "aten::leaky_relu_",
    "EluResultFunction": "aten::elu_",
    "CeluResultFunction": "aten::celu_",
    "ThresholdResultFunction": "aten::threshold_",
    "SumAllFunction": "aten::sum",
    "MeanAllFunction": "aten::mean",
    "MaxAllFunction": "aten::max",
    "MinAllFunction": "aten::min",
    "MaxDimFunction": "aten::max",
    "MinDimFunction": "aten::min",
    "MedianAllFunction": "aten::median",
    "MedianDimFunction": "aten::median",
    "NanmedianAllFunction": "aten::nanmedian",
    "NanmedianDimFunction": "aten::nanmedian",
    "ProdDimFunction": "aten::prod",
    "VectorNormFunction": "aten::linalg_vector_norm",
    "ViewFunction": "aten::view",
    "ReshapeCopyFunction": "aten::reshape",
    "ConjTransposeFunction": "aten::adjoint",
    "ScatterValueFunction": "aten::scatter",
    "IndexPutFunction": "aten::index_put_",
    "_SliceIndexFunction": "aten::slice",
    "_UnsqueezeIndexFunction": "aten::unsqueeze",
    "_AliasFunction": "aten::alias",
    "_SplitWithSizesFunction": "aten::split_with_sizes",
    "_DiagonalCopyFunction": "aten::diagonal_copy",
    "RepeatInterleaveTensorFunction": "aten::repeat_interleave",
    "CastFunction": "aten::to",
    "CopyFunction": "aten::copy_",
    "OverwriteFunction": "aten::fill_",
    "BceWithLogitsFunction": "aten::binary_cross_entropy_with_logits",
    "NllLossFunction": lambda node: "aten::cross_entropy_loss" if _nll_after_log_softmax(node) else "aten::nll_loss_nd",
    "SoftCrossEntropyFunction": "aten::cross_entropy_loss",
    "RNNStackFunction": lambda node: "aten::" + str(getattr(getattr(node, "cfg", None), "mode", "rnn")).lower(),
    "GridSampleFunction": "aten::grid_sampler",
    "ConstantPadFunction": "aten::pad",
    "IndexPadFunction": "aten::pad",
    "ResampleFunction": None,
}

#: Views made directly by these modules are shown as the module's op, as torch's tracer records it.
_VIEW_OPS_BY_MODULE = {"Flatten": "aten::flatten", "Unflatten": "aten::unflatten"}

#: Modules that may hand back their input itself (dropout in eval mode, a one-axis flatten). torch's tracer
#: still records their op, so a node is made for it: the module's output becomes a pass-through alias.
_PASS_THROUGH_OPS = {"Dropout": "aten::dropout", "Dropout1d": "aten::feature_dropout",
                     "Dropout2d": "aten::feature_dropout", "Dropout3d": "aten::feature_dropout",
                     "AlphaDropout": "aten::alpha_dropout", "FeatureAlphaDropout": "aten::feature_alpha_dropout",
                     "Flatten": "aten::flatten"}


class _PassThroughFunction(ArrayFunction):
    """y = x (the same memory);  dx = g. Stands for an op that returned its input, so the graph can show it."""
    node_name = "AliasBackward0"
    view_of_input = True

    @staticmethod
    def forward(ctx, x, op):
        ctx.traced_op = op
        return x

    @staticmethod
    def backward(ctx, g):
        return g, None


def _nll_after_log_softmax(node):
    meta = getattr(node, "meta", None)
    return bool(meta[4]) if isinstance(meta, tuple) and len(meta) > 4 else False


def _output_ndim(node):
    meta = getattr(node, "_out_meta", None)
    return len(meta[0][0]) if meta and meta[0] else 0


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])")


def _snake(name):
    """``'MaxPool2DWithIndices'`` -> ``'max_pool2d_with_indices'``, ``'Log1P'`` -> ``'log1p'``."""
    return _CAMEL.sub("_", name).lower()


def _from_grad_fn_name(node):
    return "aten::" + _snake(re.sub(r"Backward\d*(_\w+)?$", "", node.name()))


def aten_op_name(node, module=None):
    """The ATen op name (``'aten::_convolution'``) of an autograd node, as torch's tracer would record the op.

    ``module`` is the module whose ``forward`` made the node, if known (a view made by ``nn.Flatten`` is
    ``aten::flatten``). Ops that are not numtorch's own (a user's ``autograd.Function``) are ``prim::PythonOp``.
    """
    cls = type(node)
    if not issubclass(cls, ArrayFunction):
        return "prim::PythonOp"
    if cls is _PassThroughFunction:
        return node.traced_op
    if module is not None and type(module).__name__ in _VIEW_OPS_BY_MODULE and \
            any(k.__name__ in ("ViewFunction", "ReshapeCopyFunction") for k in cls.__mro__):
        return _VIEW_OPS_BY_MODULE[type(module).__name__]
    for klass in cls.__mro__:
        if klass is ArrayFunction:
            break
        if klass.__name__ in _ATEN_BY_CLASS:
            op = _ATEN_BY_CLASS[klass.__name__]
            if op is None:
                return _from_grad_fn_name(node)
            return op(node) if callable(op) else op
    for klass in cls.__mro__:
        if klass is ArrayFunction:
            break
        name = klass.__name__
        if not name.startswith("_") and name.endswith("Function") and len(name) > len("Function"):
            return "aten::" + _snake(name[:-len("Function")])
    return _from_grad_fn_name(node)


# ---------------------------------------------------------------------- helpers
def _tensors_in(obj):
    """Every Tensor in a (nested) tuple, list or dict, in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _tensors_in(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors_in(o)]
    return []


def _shape_proto(shape):
    if shape is None:
        return TensorShapeProto(unknown_rank=True)
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in shape])


def _node(name, op, inputs=(), shapes=None, attr=""):
    """A NodeDef as torch writes it: an ``attr`` string attribute and, when known, ``_output_shapes``."""
    attrs = {"attr": AttrValue(s=attr.encode("utf_8"))}
    if shapes is not None:
        attrs["_output_shapes"] = AttrValue(list=AttrValue.ListValue(shape=[_shape_proto(s) for s in shapes]))
    return NodeDef(name=name, op=op, input=list(inputs), attr=attrs)


def _run_metadata():
    """``RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(device='/device:CPU:0')]))``, serialized.

    tensorboardX ships no ``RunMetadata`` proto, so the three nested messages (each field 1, length-delimited)
    are encoded by hand; torch writes exactly these bytes.
    """
    def field1(payload):
        return b"\x0a" + _varint(len(payload)) + payload
    return field1(field1(field1(b"/device:CPU:0")))


def _varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _argument_names(model, n):
    """Names of the first ``n`` positional arguments of ``model.forward`` (``input.<i>`` where it has none)."""
    try:
        params = list(inspect.signature(model.forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    var = None
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            var = p.name
    out = []
    for i in range(n):
        if i < len(names):
            out.append(names[i])
        elif var is not None:
            out.append(f"{var}.{i - len(names)}")
        else:
            out.append(f"input.{i}")
    return out


def _parameter_names(model):
    """``id(param) -> (scope/name, param)``, the scope being the first path to its module in the module tree."""
    visited, params = set(), {}

    def visit(module, scope):
        if id(module) in visited:
            return
        visited.add(id(module))
        for pname, p in module._parameters.items():
            if p is not None and id(p) not in params:
                params[id(p)] = (scope + "/" + pname, p)
        for cname, child in module._modules.items():
            if child is not None:
                visit(child, f"{scope}/{type(child).__name__}[{cname}]")

    visit(model, type(model).__name__)
    return params


# ---------------------------------------------------------------------- the recording run
class _Recorder:
    """Module hooks that give every autograd node to the innermost module call that created it."""

    def __init__(self, model):
        self.claimed = {}  # id(node) -> (node, scope, module); holding the node keeps its id unique
        self.order = []    # the claimed nodes, inputs before the nodes that use them, in execution order
        self.stack = []    # (module, scope) of the calls in progress
        self.tree_names = {}
        for qualname, m in model.named_modules():
            self.tree_names.setdefault(id(m), qualname.rsplit(".", 1)[-1])

    def claim(self, tensors, scope, module):
        """Give ``scope`` every unclaimed node ``tensors`` depend on, appending them to ``order`` (post-order).

        Claims happen at module boundaries, in execution order, and a node's inputs were made before it, so
        ``order`` stays a topological order that follows the forward pass.
        """
        claimed, order = self.claimed, self.order
        for t in tensors:
            fn = t.grad_fn
            if fn is None or id(fn) in claimed:
                continue
            claimed[id(fn)] = (fn, scope, module)
            stack = [(fn, iter(fn.next_edges))]
            while stack:
                node, edges = stack[-1]
                for e in edges:
                    if type(e) is tuple and id(e[0]) not in claimed:
                        child = e[0]
                        claimed[id(child)] = (child, scope, module)
                        stack.append((child, iter(child.next_edges)))
                        break
                else:
                    stack.pop()
                    order.append(node)

    def scope_of_call(self, module):
        if not self.stack:
            return type(module).__name__
        caller, caller_scope = self.stack[-1]
        name = next((k for k, m in caller._modules.items() if m is module), None)
        if name is None:
            name = self.tree_names.get(id(module))
        part = type(module).__name__ if name is None else f"{type(module).__name__}[{name}]"
        return caller_scope + "/" + part

    def pre_hook(self, module, args, kwargs):
        if self.stack:
            caller, caller_scope = self.stack[-1]
            self.claim(_tensors_in((args, kwargs)), caller_scope, caller)
        self.stack.append((module, self.scope_of_call(module)))

    def hook(self, module, args, kwargs, output):
        if not (self.stack and self.stack[-1][0] is module):
            return None
        _, scope = self.stack.pop()
        op = _PASS_THROUGH_OPS.get(type(module).__name__)
        replaced = None
        if op is not None and isinstance(output, Tensor) and output._requires_grad and \
                any(output is a for a in _tensors_in((args, kwargs))):
            output = replaced = _PassThroughFunction.apply(output, op)
        self.claim(_tensors_in(output), scope, module)
        return replaced


def _prepare_inputs(args, names):
    """Fresh copies of the tensor inputs that require grad.

    Returns the new args and ``[(name, tensor, node)]``, ``node`` being the copy's ``grad_fn`` (``None`` for an
    integer tensor), taken now: an in-place op in ``forward`` moves the tensor's ``grad_fn`` on.
    """
    found = []

    def prep(obj, name):
        if isinstance(obj, np.ndarray):
            from ..._creation import from_numpy
            obj = from_numpy(obj)
        if isinstance(obj, Tensor):
            t = obj.detach()
            if t._data.dtype.kind in "fc":
                # A non-leaf (a clone), so that the model may still modify its input in place.
                t = t.requires_grad_(True).clone()
            found.append((name, t, t.grad_fn))
            return t
        if isinstance(obj, (tuple, list)):
            return type(obj)(prep(o, f"{name}.{i}") for i, o in enumerate(obj))
        if isinstance(obj, dict):
            return {k: prep(v, f"{name}.{k}") for k, v in obj.items()}
        return obj

    return tuple(prep(a, n) for a, n in zip(args, names)), found


def _run(model, args):
    """Run ``model(*args)`` once, recording module scopes; returns ``(output, recorder, inputs)``."""
    rec = _Recorder(model)
    modules = list(model.modules())
    training = [(m, m.training) for m in modules]
    frozen = [p for p in model.parameters() if not p.requires_grad and p._data.dtype.kind in "fc"]
    handles = []
    try:
        model.train(False)
        for p in frozen:
            p.requires_grad_(True)
        for m in modules:
            handles.append(m.register_forward_pre_hook(rec.pre_hook, prepend=True, with_kwargs=True))
            handles.append(m.register_forward_hook(rec.hook, with_kwargs=True))
        with enable_grad():
            args, inputs = _prepare_inputs(args, _argument_names(model, len(args)))
            for _, _, node in inputs:
                if node is not None:
                    rec.claimed[id(node)] = (node, "input", None)
            out = model(*args)
    finally:
        for h in handles:
            h.remove()
        for p in frozen:
            p.requires_grad_(False)
        for m, flag in training:
            m.training = flag
    root = type(model).__name__
    rec.claim(_tensors_in(out), root, model)  # anything a hook could not see (e.g. a replaced output)
    return out, rec, inputs


# ---------------------------------------------------------------------- the GraphDef
def _build(model, out, rec, inputs):
    root = type(model).__name__
    param_names = _parameter_names(model)
    input_of_node = {id(node): name for name, _, node in inputs if node is not None}
    input_of_leaf = {id(t): name for name, t, node in inputs if node is None}
    shape_of_input = {name: tuple(t._data.shape) for name, t, _ in inputs}
    outputs = _tensors_in(out)

    # The op nodes the outputs depend on, in the order the forward pass made them.
    seen = set()
    todo = [t.grad_fn for t in outputs if t.grad_fn is not None]
    while todo:
        fn = todo.pop()
        if id(fn) in seen or id(fn) in input_of_node:
            continue
        seen.add(id(fn))
        todo.extend(e[0] for e in fn.next_edges if type(e) is tuple)
    order = [fn for fn in rec.order if id(fn) in seen]

    taken = set()

    def unique(name):
        if name not in taken:
            taken.add(name)
            return name
        k = 1
        while f"{name}.{k}" in taken:
            k += 1
        taken.add(f"{name}.{k}")
        return f"{name}.{k}"

    nodes, names, used_inputs, leaf_nodes = [], {}, set(), {}

    def leaf_name(t, consumer_scope):
        """The node that stands for a leaf tensor: an input, a parameter or a captured constant."""
        if id(t) in input_of_leaf:
            used_inputs.add(input_of_leaf[id(t)])
            return "input/" + input_of_leaf[id(t)]
        if id(t) not in leaf_nodes:
            if id(t) in param_names:
                pname = param_names[id(t)][0]
                attr = "{ name :  " + pname.rsplit("/", 1)[-1] + " }"
                leaf_nodes[id(t)] = unique(pname)
                nodes.append(_node(leaf_nodes[id(t)], "prim::GetAttr", shapes=[t._data.shape], attr=attr))
            else:
                leaf_nodes[id(t)] = unique(consumer_scope + "/constant")
                nodes.append(_node(leaf_nodes[id(t)], "prim::Constant", shapes=[t._data.shape],
                                   attr="{ value : <Tensor> }"))
        return leaf_nodes[id(t)]

    def edge_name(e, consumer_scope):
        if type(e) is not tuple:
            return leaf_name(e, consumer_scope)
        node, k = e
        if id(node) in input_of_node:
            used_inputs.add(input_of_node[id(node)])
            return "input/" + input_of_node[id(node)]
        return names[id(node)] if k == 0 else f"{names[id(node)]}:{k}"

    for fn in order:
        _, scope, module = rec.claimed[id(fn)]
        op = aten_op_name(fn, module)
        short = type(fn).__name__ if op == "prim::PythonOp" else op.split("::", 1)[1]
        edges = [edge_name(e, scope) for e in fn.next_edges if e is not None]
        names[id(fn)] = unique(scope + "/" + short)
        meta = getattr(fn, "_out_meta", None) or ()
        attr = "{ name : " + type(fn).__name__ + " }" if op == "prim::PythonOp" else "{}"
        nodes.append(_node(names[id(fn)], op, edges, [m[0] if m else None for m in meta], attr))

    out_nodes = []
    for i, t in enumerate(outputs):
        if t.grad_fn is not None:
            src = [edge_name((t.grad_fn, t._output_nr), root)]
        elif id(t) in input_of_leaf or id(t) in param_names:
            src = [leaf_name(t, root)]
        else:
            src = []
        out_nodes.append(_node(f"output/output.{i + 1}", "IO Node", src, [t._data.shape]))

    in_nodes = [_node("input/" + name, "IO Node", shapes=[shape_of_input[name]])
                for name, _, _ in inputs if name in used_inputs]
    return in_nodes + out_nodes + nodes


def graph(model, args, verbose=False, use_strict_trace=True):
    """Run ``model`` once on ``args`` and return ``(GraphDef, RunMetadata bytes)`` describing its graph.

    Args:
        model: the ``numtorch.nn.Module`` to draw.
        args: its input: a tensor (or array), or a tuple/list of the forward's positional arguments.
        verbose: print one line per node.
        use_strict_trace: accepted for torch compatibility; ignored.
    """
    if not isinstance(model, Module):
        raise AttributeError(f"add_graph: '{type(model).__name__}' object is not a numtorch.nn.Module (it has no "
                             "attribute 'training')")
    if args is None:
        raise RuntimeError("add_graph: input_to_model is required: a tensor or a tuple of tensors to run the "
                           "model on once")
    if isinstance(args, (Tensor, np.ndarray, dict)):
        args = (args,)
    elif not isinstance(args, tuple):
        args = tuple(args)
    try:
        out, rec, inputs = _run(model, args)
    except Exception as e:
        print(e)
        print("Error occurs, No graph saved")
        raise
    nodes = _build(model, out, rec, inputs)
    if verbose:
        for n in nodes:
            shapes = [[d.size for d in s.dim] for s in n.attr["_output_shapes"].list.shape] \
                if "_output_shapes" in n.attr else []
            print(f"{n.name} = {n.op}({', '.join(n.input)})  {shapes}")
    return GraphDef(node=nodes, versions=VersionDef(producer=22)), _run_metadata()
