"""``numtorch.optim``: optimizers and learning-rate schedulers with torch.optim's contract.

Every optimizer updates its parameters in place on their NumPy arrays, in the parameters' dtype, following
torch's single-tensor ("for-loop") formulas, and reads and writes torch's ``state_dict`` layout.
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
