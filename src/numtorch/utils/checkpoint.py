"""``numtorch.utils.checkpoint``: torch's activation checkpointing API, so scripts that use it run unchanged.

torch's checkpointing saves memory by dropping a segment's activations in the forward pass and recomputing
them in backward, with the random state restored so that the numbers do not change. numtorch runs the segment
once and keeps its activations: the values and gradients are the ones torch computes, without the memory
saving.
"""
import warnings

__all__ = ["checkpoint", "checkpoint_sequential"]


def _check_use_reentrant(use_reentrant):
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                      "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default "
                      "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", stacklevel=3)


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, with the values and gradients torch's checkpointed call gives."""
    _check_use_reentrant(use_reentrant)
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (a Sequential or a list of modules) one after the other on ``input``."""
    _check_use_reentrant(use_reentrant)
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    for f in functions:
        input = f(input)
    return input
