"""``numtorch.nn``: layers, containers, losses and their functional forms."""
from . import functional, init  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from .parameter import Buffer, Parameter  # noqa: F401
import importlib as _importlib
# `from .modules import *` re-exports nn.modules.utils as `utils`, which `from . import utils` would then keep:
# import the nn.utils package itself.
utils = _importlib.import_module(__name__ + ".utils")
