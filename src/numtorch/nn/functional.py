"""``numtorch.nn.functional``: the functional forms of every layer, under torch's names and signatures.

Each op family lives in ``numtorch/ops/<family>.py``; this module only gathers them.
"""
from ..ops.math import sigmoid, tanh  # noqa: F401
from ..ops.activation import *  # noqa: F401,F403
from ..ops.linear import *  # noqa: F401,F403
from ..ops.conv import *  # noqa: F401,F403
from ..ops.pooling import *  # noqa: F401,F403
from ..ops.padding import *  # noqa: F401,F403
from ..ops.sampling import *  # noqa: F401,F403
from ..ops.loss import *  # noqa: F401,F403
from ..ops.normalization import *  # noqa: F401,F403
from ..ops.attention import *  # noqa: F401,F403
