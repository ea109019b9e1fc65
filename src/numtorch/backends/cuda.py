"""``numtorch.backends.cuda``: CUDA's switches, accepted (scripts set them) and without effect."""
import types

#: ``torch.backends.cuda.matmul.allow_tf32`` and friends
matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                               allow_bf16_reduced_precision_reduction=True)


def is_built():
    """False: numtorch has no CUDA backend."""
    return False
