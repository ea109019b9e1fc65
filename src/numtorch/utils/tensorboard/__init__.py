"""``numtorch.utils.tensorboard``: log scalars, histograms, images, text, hyperparameters and model graphs for
TensorBoard, as ``torch.utils.tensorboard`` does.

Import it explicitly (``from numtorch.utils.tensorboard import SummaryWriter``); ``import numtorch`` does not.
It needs the optional ``tensorboardX`` package, which writes the event files: ``pip install
'numtorch[tensorboard]'``. Without it, importing this package raises ``ImportError`` naming that extra.
torch is never imported. View the logs with ``tensorboard --logdir runs``.
"""
from ._tbx import tbx as _tbx
from .writer import FileWriter, SummaryWriter

#: tensorboardX's TFRecord writer, which frames every event (length, masked CRC32C, payload, CRC).
RecordWriter = _tbx.RecordWriter

__all__ = ["FileWriter", "RecordWriter", "SummaryWriter"]
