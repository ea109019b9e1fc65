"""numtorch: PyTorch's tensors, autograd and ``torch.nn``, written in Python on NumPy.

``import numtorch as torch`` runs, trains and saves PyTorch models with nothing but NumPy installed.
"""
import warnings as _warnings

# NumPy reports floating-point overflow and invalid results (inf, nan) as RuntimeWarnings from the line that
# computed them; torch produces the same inf/nan silently. Silence exactly those, and only inside numtorch.
_warnings.filterwarnings("ignore", message=r"(overflow|invalid value|divide by zero|underflow) encountered",
                         category=RuntimeWarning, module=r"numtorch(\.|$)")

from . import _dtype  # noqa: E402
from ._device import device
from ._dtype import (bfloat16, bool, can_cast, cdouble, cfloat, complex64, complex128, double, dtype, finfo, float,
                     float16, float32, float64, get_default_dtype, half, iinfo, int, int8, int16, int32, int64,
                     long, promote_types, result_type, set_default_dtype, short, uint8)
from ._size import Size
from ._tensor import Tensor, is_tensor
from ._tensortype import *  # noqa: F401,F403  (legacy FloatTensor, LongTensor, ...)
from ._tensor_str import get_printoptions, set_printoptions
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                                 set_grad_enabled)
from . import autograd
from .random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from ._backend import get_num_threads, set_num_threads
from . import accelerator, backends  # noqa: F401
from ._creation import *  # noqa: F401,F403
from . import ops
from . import nn
from . import utils
from . import optim
from ._compile import compile  # noqa: A001  (torch.compile)
from . import testing  # noqa: F401
from . import amp  # noqa: F401
from .amp import autocast  # noqa: F401
from .serialization import save, load
from .ops.convert import *  # noqa: F401,F403
from .ops.math import *  # noqa: F401,F403
from .ops.reduce import *  # noqa: F401,F403
from .ops.shape import *  # noqa: F401,F403
from .ops.indexing import *  # noqa: F401,F403
from .ops import activation as _act, linear as _lin, conv as _conv, pooling as _pool, loss as _loss
from .ops import padding as _padding, sampling as _sampling, normalization as _norm, rnn as _rnn
from .ops import attention as _attn

# torch's top-level aliases of functional ops (torch.relu, torch.softmax, torch.conv2d, ...).
for _m in (_act, _lin, _conv, _pool, _loss, _padding, _sampling, _norm, _rnn, _attn):
    globals().update({_name: getattr(_m, _name) for _name in _m.TOP_LEVEL})
del _m

__version__ = "0.1.0"


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


def typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__name__


class _Cuda:
    """``numtorch.cuda``: numtorch has no GPU backend; these answer as torch does on a CPU-only machine."""

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def device_count():
        return 0

    @staticmethod
    def manual_seed(seed):
        pass

    @staticmethod
    def manual_seed_all(seed):
        pass

    @staticmethod
    def synchronize(device=None):
        pass

    @staticmethod
    def empty_cache():
        pass


cuda = _Cuda()
