"""``numtorch.compile``: torch's compiler entry point, accepted so that torch 2.x scripts run unchanged.

numtorch has no compiler: a function comes back as it is, and a module comes back wrapped in an
:class:`OptimizedModule` that calls it directly. The wrapper mirrors torch's in what a script can observe:
the original module is ``_orig_mod`` (so ``state_dict`` keys read ``_orig_mod.weight``, as torch writes them
for a compiled model), and attributes, ``train``/``eval`` and parameters are the original module's.
"""
import functools

from .nn.modules.module import Module

__all__ = ["compile", "OptimizedModule"]


class OptimizedModule(Module):
    """A compiled module, as torch wraps one; here it calls ``_orig_mod`` directly."""

    def __init__(self, mod):
        super().__init__()
        self._orig_mod = mod

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name):
        if name == "_orig_mod":
            return self._modules["_orig_mod"]
        return getattr(self._orig_mod, name)


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False, **kwargs):
    """Return ``model`` ready to call, as ``torch.compile`` does (here without compiling anything).

    ``numtorch.compile(fn)`` is ``fn``; ``numtorch.compile(module)`` an :class:`OptimizedModule` around it;
    with no model, a decorator. The options are accepted and have no effect.
    """
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                 options=options, disable=disable, **kwargs)
    if isinstance(model, Module):
        return OptimizedModule(model)
    if not callable(model):
        raise RuntimeError(f"compile(): model must be a Module or a callable, got {type(model).__name__}")
    return model
