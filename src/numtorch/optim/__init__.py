"""``numtorch.optim``: optimizers and learning-rate schedulers with torch.optim's contract.

Every optimizer updates its parameters in place on their NumPy arrays, in the parameters' dtype, following
torch's single-tensor ("for-loop") formulas, and reads and writes torch's ``state_dict`` layout.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer", "RAdam", "RMSprop", "SGD",
           "lr_scheduler"]
