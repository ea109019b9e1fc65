"""``Optimizer``: the base of every optimizer, with torch's contract.

An optimizer holds ``param_groups`` (a list of dicts: ``'params'`` plus that group's options, defaults filled
in from ``defaults``) and ``state`` (a ``defaultdict(dict)`` keyed by the parameter tensor itself).
``state_dict()`` replaces every tensor key by its position, so the dict has exactly torch's layout::

    {'state': {0: {'step': tensor(3.), 'exp_avg': tensor(...), ...}, ...},
     'param_groups': [{'lr': 0.001, 'betas': (0.9, 0.999), ..., 'params': [0, 1]}]}

and a state dict written by torch (its tensors converted through NumPy) loads here and the other way round.

Updates in the optimizers built on this class run on the raw arrays (``p._data``, ``p.grad._data``) in place,
in the parameter's dtype, without recording autograd nodes, and bump each parameter's version counter once.
"""
import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain

import numpy as np

from .._dtype import get_default_dtype
from .._tensor import Tensor, _from_array
from ..autograd.grad_mode import enable_grad, set_grad_enabled

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook", "required"]

_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()

#: The devices torch lists when ``fused=True`` meets a parameter it cannot fuse (torch 2.13, CPU build).
_FUSED_DEVICES = ["mps", "cuda", "xpu", "hpu", "cpu", "mtia", "privateuseone"]
#: The devices torch accepts for ``capturable=True``; numtorch runs on the CPU only, which is not one of them.
_CAPTURABLE_DEVICES = ["cuda", "xpu", "hpu", "privateuseone", "xla"]


class _RequiredParameter:
    """Marks an optimizer default that every parameter group must give itself."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class _RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks_dict):
        self._hooks_dict = hooks_dict
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self):
        self._hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _register(hooks_dict, hook, prepend=False):
    handle = _RemovableHandle(hooks_dict)
    hooks_dict[handle.id] = hook
    if prepend:
        hooks_dict.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook):
    """Register ``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)`` before every optimizer step."""
    return _register(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Register ``hook(optimizer, args, kwargs)`` after every optimizer step."""
    return _register(_global_optimizer_post_hooks, hook)


def _typename(obj):
    """torch.typename: a tensor's type string, else ``module.qualname`` (bare for builtins)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def _with_step_hooks(step):
    """Wrap an optimizer class's ``step`` so the global and per-instance step hooks run around it."""
    if getattr(step, "_hooked", False):
        return step

    @functools.wraps(step)
    def hooked_step(*args, **kwargs):
        self = args[0]
        for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
        out = step(*args, **kwargs)
        for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    hooked_step._hooked = True
    return hooked_step


def _use_grad_for_differentiable(step):
    """Run a built-in ``step`` with gradient recording set to the optimizer's ``differentiable`` flag."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        with set_grad_enabled(bool(self.defaults.get("differentiable", False))):
            return step(self, *args, **kwargs)
    return wrapper


# ---------------------------------------------------------------------------------------------- shared helpers
def _scalar_np_dtype(is_fused=None):
    """dtype of a ``'step'`` counter: float32, or float64 when that is the default dtype (and not fused)."""
    if is_fused:
        return np.dtype(np.float32)
    return np.dtype(np.float64) if get_default_dtype().np == np.float64 else np.dtype(np.float32)


def _zero_step(is_fused=None):
    """A fresh 0-d ``'step'`` counter tensor, as torch creates it."""
    return _from_array(np.zeros((), dtype=_scalar_np_dtype(is_fused)))


def _step_from_number(value, is_fused=None):
    return _from_array(np.array(float(value), dtype=_scalar_np_dtype(is_fused)))


def _num(x):
    """A hyperparameter ready for scalar arithmetic: a float stays a float, a 1-element tensor becomes a 0-d
    array of its own dtype (so ``lr / bias_correction`` is computed in that dtype, as torch does)."""
    if isinstance(x, Tensor):
        return x._data.reshape(()) if x._data.size == 1 else x
    return x


_np_scalar = (np.ndarray, np.generic)     # a hyperparameter that came from a tensor (see _num)


def _pow(base, exp):
    """``base ** exp`` as torch evaluates it: Python's pow for a float, and for a tensor hyperparameter (a 0-d
    array) torch's CPU pow kernel, which squares/cubes by multiplication, takes square roots and reciprocals
    for 0.5/-0.5/-1, and otherwise calls the double-precision pow and rounds to the tensor's dtype."""
    if not isinstance(base, _np_scalar):
        return base ** exp
    b = base.dtype.type(base)
    one = base.dtype.type(1)
    if exp == 0:
        return one
    if exp == 1:
        return b
    if exp == 2:
        return b * b
    if exp == 3:
        return b * b * b
    if exp == -2:
        return one / (b * b)
    if exp == 0.5:
        return np.sqrt(b)
    if exp == -0.5:
        return one / np.sqrt(b)
    if exp == -1:
        return one / b
    return base.dtype.type(float(b) ** float(exp))


def _rdiv(num, den):
    """``num / den`` as torch evaluates it: a float divided by a tensor is ``reciprocal(tensor) * float``."""
    if isinstance(den, _np_scalar) and not isinstance(num, _np_scalar):
        return (1 / den) * num
    return num / den


def _check_one_element(value, what):
    if isinstance(value, Tensor) and value.numel() != 1:
        raise ValueError(f"Tensor {what} must be 1-element")


def _real(a):
    """The array the update works on: a complex array seen as real pairs (torch's ``view_as_real``), a 0-d
    array as a 1-element view (so NumPy ufuncs return arrays and accept ``out=``); always a view."""
    if a.dtype.kind == "c":
        return np.atleast_1d(a).view(a.real.dtype)
    if a.ndim == 0:
        return a.reshape(1)
    return a


def _unreal(a, like):
    """Undo :func:`_real` for a fresh array ``a`` computed from ``like``'s view."""
    if like.dtype.kind == "c":
        a = a.view(like.dtype)
    return a.reshape(like.shape)


def _lerp_(start, end, weight):
    """``start.lerp_(end, weight)`` in place with torch's two-sided formula.

    .. math:: \\text{start} + w(\\text{end} - \\text{start})\\ \\text{if}\\ |w| < 0.5,\\ \\text{else}\\
              \\text{end} - (\\text{end} - \\text{start})(1 - w)
    """
    w = start.dtype.type(weight)
    diff = np.subtract(end, start)
    if abs(w) < 0.5:
        diff *= w
        start += diff
    else:
        diff *= (1 - w)
        np.subtract(end, diff, out=start)
    return diff                     # a scratch array the caller may reuse


def _check_fused_param(p):
    if not p.is_floating_point():
        raise RuntimeError(f"`fused=True` requires all the params to be floating point Tensors of supported "
                           f"devices: {_FUSED_DEVICES} but {p.dtype} and cpu")


def _check_capturable(what="params and state_steps", xla=True):
    """torch's error for ``capturable=True`` on the CPU (the only device numtorch has)."""
    devices = _CAPTURABLE_DEVICES if xla else [d for d in _CAPTURABLE_DEVICES if d != "xla"]
    raise AssertionError(f"If capturable=True, {what} must be on supported devices: {devices}.")


def _check_fused_flags(defaults):
    """torch's constructor errors for ``fused=True`` combined with ``differentiable`` or ``foreach``."""
    if defaults.get("fused"):
        if defaults.get("differentiable"):
            raise RuntimeError("`fused` does not support `differentiable`")
        if defaults.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


class Optimizer:
    r"""Base class for all optimizers (torch.optim.Optimizer).

    .. math:: \theta_t = \text{update}(\theta_{t-1}, g_t, \text{state}_{t-1})

    Args:
        params (iterable): tensors, ``(name, tensor)`` pairs, or dicts defining parameter groups (``'params'``
            plus per-group options). Use an ordered collection: the order keys the state dict.
        defaults (dict): default values of the optimization options, used where a group gives none.

    Attributes:
        param_groups (list[dict]): the groups, each with ``'params'`` and every option.
        state (defaultdict): per-parameter state, keyed by the parameter tensor.
        defaults (dict): the defaults given.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _with_step_hooks(cls.__dict__["step"])

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                self.__dict__[name] = OrderedDict()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ------------------------------------------------------------------ parameter groups
    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``'params'`` and optional options) to ``param_groups``.

        Options the group does not give are taken from ``defaults``. Useful to unfreeze layers mid-training.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)

        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients and steps
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors: to ``None`` (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g._requires_grad = False
                if g._data.flags.writeable:
                    g._data.fill(0)
                    g._vc[0] += 1
                else:
                    g._data = np.zeros_like(g._data)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    @staticmethod
    def _closure_loss(closure):
        """The loss from ``closure()`` evaluated with gradient recording on (``None`` without a closure)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook):
        """Register ``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)`` before ``step``."""
        return _register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Register ``hook(optimizer, args, kwargs)`` after ``step``."""
        return _register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """Register ``hook(optimizer)`` called before ``state_dict()`` builds the dict."""
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """Register ``hook(optimizer, state_dict) -> state_dict or None`` called after ``state_dict()``."""
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """Register ``hook(optimizer, state_dict) -> state_dict or None`` called before loading."""
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """Register ``hook(optimizer)`` called after loading."""
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ state dict
    def state_dict(self):
        """The optimizer's state as ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        Parameters are replaced by their position across all groups; the per-parameter state tensors are the
        optimizer's own (not copies), as in torch.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index_of = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index_of.setdefault(id(p), i)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(index_of[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        """Cast a loaded state tensor like torch: to the parameter's dtype when the parameter is floating point,
        except ``'step'``, which keeps its dtype (becoming float32 when the group is fused or capturable)."""
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            target = np.dtype(np.float32) if (capturable or fused) else None
        else:
            target = param._data.dtype if param.is_floating_point() else None
        if target is None or value._data.dtype == target:
            return value
        return _from_array(value._data.astype(target))

    def load_state_dict(self, state_dict):
        """Load a state dict from :meth:`state_dict` (numtorch's, or torch's with tensors converted).

        Saved parameters are matched to this optimizer's by position; loaded state tensors are cast to each
        parameter's dtype (except ``'step'``). Raises ``ValueError`` when the group count or sizes differ.
        """
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, param_id, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, state_dict["param_groups"], key)
            if isinstance(value, dict):
                return {k: cast(param, v, param_id, key=k) for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                return type(value)(cast(param, v, param_id) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, k)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ------------------------------------------------------------------ helpers for subclasses
    def _setstate_steps(self):
        """After loading: turn a plain-number ``'step'`` into a 0-d tensor, as torch's ``__setstate__`` does
        (float32 in a fused group, else the default float dtype)."""
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and "step" in p_state and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = _step_from_number(p_state["step"], group.get("fused"))
