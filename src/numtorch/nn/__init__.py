"""``numtorch.nn``: layers, containers, losses and their functional forms."""
from . import functional, init  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from .parameter import Buffer, Parameter, UninitializedParameter  # noqa: F401
from . import utils  # noqa: F401
