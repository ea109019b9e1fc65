"""The one place that imports tensorboardX, the optional extra that writes event files and ships the protos.

``tensorboardX/__init__.py`` imports its ``writer`` module, which tries ``import torch`` only to name a type in
its annotations. numtorch must never pull torch in, so while tensorboardX is first imported, ``torch`` is marked
unimportable (``sys.modules['torch'] = None`` makes ``import torch`` raise ``ImportError``, which tensorboardX
catches) unless the user has already imported torch themselves. Nothing else of tensorboardX needs torch for
what we use: the event-file writer, the record writer and the generated ``*_pb2`` modules.
"""
import importlib
import sys

__all__ = ["tbx", "MISSING_EXTRA"]

#: The message every missing-extra ImportError carries.
MISSING_EXTRA = ("numtorch.utils.tensorboard needs the tensorboardX package to write TensorBoard event files; "
                 "install the extra: pip install 'numtorch[tensorboard]'")

_MODULES = ("tensorboardX", "tensorboardX.event_file_writer", "tensorboardX.record_writer",
            "tensorboardX.proto.event_pb2", "tensorboardX.proto.summary_pb2", "tensorboardX.proto.tensor_pb2",
            "tensorboardX.proto.tensor_shape_pb2", "tensorboardX.proto.graph_pb2", "tensorboardX.proto.node_def_pb2",
            "tensorboardX.proto.attr_value_pb2", "tensorboardX.proto.versions_pb2", "tensorboardX.proto.api_pb2",
            "tensorboardX.proto.plugin_hparams_pb2", "tensorboardX.proto.plugin_text_pb2")


class _Namespace:
    """``tbx.event_pb2``, ``tbx.EventsWriter``, ...: the pieces of tensorboardX we use, by short name."""


def _load():
    block = "torch" not in sys.modules
    if block:
        sys.modules["torch"] = None  # makes ``import torch`` inside tensorboardX raise ImportError
    try:
        mods = {name: importlib.import_module(name) for name in _MODULES}
    except ImportError as e:
        raise ImportError(MISSING_EXTRA) from e
    finally:
        if block and "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]
    ns = _Namespace()
    for name, mod in mods.items():
        setattr(ns, name.rsplit(".", 1)[-1], mod)
    ns.EventsWriter = mods["tensorboardX.event_file_writer"].EventsWriter
    ns.RecordWriter = mods["tensorboardX.record_writer"].RecordWriter
    return ns


tbx = _load()
