"""Every layer class, one file per family as in torch: ``numtorch.nn.modules.<family>``."""
from .module import (Module, register_module_forward_hook, register_module_forward_pre_hook,  # noqa: F401
                     register_module_full_backward_hook, register_module_full_backward_pre_hook)
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .flatten import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .positional import *  # noqa: F401,F403

import types as _types

# Export the layer classes, not the family submodules (nn.utils must stay the nn.utils package).
__all__ = [_n for _n, _v in list(globals().items()) if not _n.startswith("_") and not isinstance(_v, _types.ModuleType)]
