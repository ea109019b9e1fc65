"""``Summary`` protocol buffers for each kind of TensorBoard data, built from NumPy arrays.

Each function returns the proto that torch's ``torch.utils.tensorboard.summary`` function of the same name
returns, with the same tags, plugin metadata and values, so the TensorBoard plugins show them the same way:

* :func:`scalar`:  ``simple_value = float(x)`` (or a one-element ``TensorProto`` with ``new_style=True``);
* :func:`histogram`:  counts :math:`c_i = \\#\\{v : l_{i-1} < v \\le l_i\\}` over bucket limits :math:`l_i`, trimmed
  to the support of the data, plus ``min``, ``max``, ``num``, ``sum`` and ``sum_squares`` :math:`= \\sum v^2`;
* :func:`image`:  an ``(H, W, C)`` PNG, float pixels scaled by 255 and uint8 kept, clipped to ``[0, 255]``;
* :func:`text`:  a ``DT_STRING`` tensor for the text plugin, tagged ``<tag>/text_summary``;
* :func:`hparams`:  the hparams plugin's experiment, session-start and session-end summaries.

The protos are tensorboardX's copies of TensorBoard's (``tensorboardX.proto``). Images are encoded with a small
PNG writer of our own (zlib only), so neither Pillow nor torch is needed.
"""
import struct
import zlib

import numpy as np

from ..._tensor import Tensor
from ._tbx import tbx

__all__ = ["make_np", "scalar", "histogram", "histogram_raw", "make_histogram", "image", "make_image", "text",
           "hparams", "convert_to_HWC", "make_grid", "encode_png"]

Summary = tbx.summary_pb2.Summary
SummaryMetadata = tbx.summary_pb2.SummaryMetadata
HistogramProto = tbx.summary_pb2.HistogramProto
TensorProto = tbx.tensor_pb2.TensorProto
TensorShapeProto = tbx.tensor_shape_pb2.TensorShapeProto


def make_np(x):
    """``x`` as a NumPy array: numtorch tensors (detached), arrays as they are, and numbers as ``array([x])``."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, Tensor):
        return x.detach().numpy()
    if np.isscalar(x):
        return np.array([x])
    raise NotImplementedError(f"Got {type(x)}, but numpy array or numtorch tensor are expected.")


# ---------------------------------------------------------------------- scalars
def scalar(name, tensor, new_style=False, double_precision=False):
    """A summary holding one scalar, :math:`s = \\mathrm{float}(x)` for a one-element ``x``.

    Args:
        name: the tag.
        tensor: a one-element numtorch tensor, NumPy array or Python number.
        new_style: store a ``TensorProto`` (float32, or float64 with ``double_precision``) for the scalars
            plugin instead of the legacy ``simple_value`` field.
        double_precision: with ``new_style``, keep the value in float64.
    """
    arr = make_np(tensor).squeeze()
    if arr.ndim != 0:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). Was given size: {arr.size} and "
                             f"{arr.ndim} dimensions.")
    value = float(arr)
    if not new_style:
        return Summary(value=[Summary.Value(tag=name, simple_value=value)])
    if double_precision:
        proto = TensorProto(double_val=[value], dtype="DT_DOUBLE")
    else:
        proto = TensorProto(float_val=[value], dtype="DT_FLOAT")
    smd = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=name, tensor=proto, metadata=smd)])


# ---------------------------------------------------------------------- histograms
def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):
    """A histogram summary from precomputed statistics and buckets (``bucket_limits[i]`` is bucket i's right edge)."""
    hist = HistogramProto(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                          bucket_limit=list(bucket_limits), bucket=list(bucket_counts))
    return Summary(value=[Summary.Value(tag=name, histo=hist)])


def histogram(name, values, bins, max_bins=None):
    """A histogram summary of ``values`` (any shape, flattened), binned by ``np.histogram(values, bins)``."""
    values = make_np(values)
    return Summary(value=[Summary.Value(tag=name, histo=make_histogram(values.astype(float), bins, max_bins))])


def make_histogram(values, bins, max_bins=None):
    """The ``HistogramProto`` of ``values``: bucket counts trimmed to the data's support, with its statistics.

    TensorBoard stores only each bucket's right limit, so one empty bucket is kept left of the first non-empty
    one to carry the leftmost limit. With ``max_bins``, neighbouring buckets are merged ``len(counts) // max_bins``
    at a time (the counts padded with zeros to a multiple of that).
    """
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    n = len(counts)
    if max_bins is not None and n > max_bins:
        group = n // max_bins
        rest = n % group
        if rest != 0:
            counts = np.concatenate([counts, np.zeros(group - rest, counts.dtype)])
        counts = counts.reshape(-1, group).sum(axis=-1)
        merged = np.empty(counts.size + 1, limits.dtype)
        merged[:-1] = limits[:-1:group]
        merged[-1] = limits[-1]
        limits = merged
    # The support: from the first to the last bucket with a non-zero count.
    nonzero_so_far = np.cumsum(counts > 0)
    start, end = np.searchsorted(nonzero_so_far, [0, nonzero_so_far[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return HistogramProto(min=values.min(), max=values.max(), num=len(values), sum=values.sum(),
                          sum_squares=values.dot(values), bucket_limit=limits.tolist(), bucket=counts.tolist())


# ---------------------------------------------------------------------- images
def make_grid(I, ncols=8):
    """Tile an ``(N, C, H, W)`` batch (C = 1 or 3) into one ``(3, rows*H, min(N, ncols)*W)`` image, row by row."""
    if not isinstance(I, np.ndarray):
        raise AssertionError("plugin error, should pass numpy array here")
    if I.shape[1] == 1:
        I = np.concatenate([I, I, I], 1)
    if I.ndim != 4 or I.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, _, h, w = I.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((3, h * nrows, w * ncols), dtype=I.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h:(y + 1) * h, x * w:(x + 1) * w] = I[i]
    return canvas


def convert_to_HWC(tensor, input_format):
    """Rearrange an image array described by ``input_format`` (e.g. ``'CHW'``, ``'NHWC'``, ``'HW'``) to ``(H, W, C)``.

    A batch (``N`` in the format) is tiled with :func:`make_grid`; one channel or no channel axis becomes grey RGB.
    """
    if len(set(input_format)) != len(input_format):
        raise AssertionError(f"You can not use the same dimension shorthand twice. input_format: {input_format}")
    if len(tensor.shape) != len(input_format):
        raise AssertionError(f"size of input tensor and input format are different. tensor shape: {tensor.shape}, "
                             f"input_format: {input_format}")
    input_format = input_format.upper()
    if len(input_format) == 4:
        nchw = tensor.transpose([input_format.find(c) for c in "NCHW"])
        return make_grid(nchw).transpose(1, 2, 0)
    if len(input_format) == 3:
        hwc = tensor.transpose([input_format.find(c) for c in "HWC"])
        if hwc.shape[2] == 1:
            hwc = np.concatenate([hwc, hwc, hwc], 2)
        return hwc
    if len(input_format) == 2:
        hw = tensor.transpose([input_format.find(c) for c in "HW"])
        return np.stack([hw, hw, hw], 2)
    return tensor


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(hwc):
    """PNG bytes of a ``uint8`` ``(H, W, C)`` image with C = 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA)."""
    h, w, c = hwc.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    # Every scanline starts with filter byte 0 (no filter), then its pixels.
    rows = np.concatenate([np.zeros((h, 1), np.uint8), np.ascontiguousarray(hwc, np.uint8).reshape(h, w * c)], 1)
    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _png_chunk(b"IEND", b""))


def make_image(tensor):
    """The ``Summary.Image`` of a ``uint8`` ``(H, W, C)`` array: its size, channel count and PNG encoding."""
    height, width, channel = tensor.shape
    return Summary.Image(height=height, width=width, colorspace=channel, encoded_image_string=encode_png(tensor))


def image(tag, tensor, dataformats="NCHW"):
    """An image summary: ``(H, W, C)`` pixels :math:`\\mathrm{clip}(255 x, 0, 255)` for floats, ``x`` for uint8."""
    arr = convert_to_HWC(make_np(tensor), dataformats)
    scale = 1 if arr.dtype == np.uint8 else 255
    arr = (arr.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    return Summary(value=[Summary.Value(tag=tag, image=make_image(arr))])


# ---------------------------------------------------------------------- text
def text(tag, text):
    """A text summary: the string as a one-element ``DT_STRING`` tensor, tagged ``<tag>/text_summary``."""
    content = tbx.plugin_text_pb2.TextPluginData(version=0).SerializeToString()
    smd = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text", content=content))
    proto = TensorProto(dtype="DT_STRING", string_val=[text.encode("utf_8")],
                        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=smd, tensor=proto)])


# ---------------------------------------------------------------------- hyperparameters
_HPARAMS_PLUGIN = "hparams"
_HPARAMS_VERSION = 0


def _hparams_summary(tag, **content):
    data = tbx.plugin_hparams_pb2.HParamsPluginData(version=_HPARAMS_VERSION, **content).SerializeToString()
    smd = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=_HPARAMS_PLUGIN, content=data))
    return Summary(value=[Summary.Value(tag=tag, metadata=smd)])


def hparams(hparam_dict=None, metric_dict=None, hparam_domain_discrete=None):
    """The three hparams-plugin summaries ``(experiment, session_start_info, session_end_info)``.

    ``experiment`` names the hyperparameters (with their types and optional discrete domains) and the metrics;
    ``session_start_info`` holds this run's values; ``session_end_info`` marks the run successful.
    Values may be ``int``/``float`` (and ``bool``, which is an ``int``) as numbers, ``str``, a one-element
    numtorch tensor, or ``None`` (skipped).
    """
    from google.protobuf import struct_pb2
    api = tbx.api_pb2
    if not isinstance(hparam_dict, dict):
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    hparam_domain_discrete = hparam_domain_discrete or {}
    if not isinstance(hparam_domain_discrete, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in hparam_domain_discrete.items():
        if k not in hparam_dict or not isinstance(v, list) or not all(isinstance(d, type(hparam_dict[k])) for d in v):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same type as "
                            f"hparam_dict[{k}].")
    infos = []
    ssi = tbx.plugin_hparams_pb2.SessionStartInfo()
    for k, v in hparam_dict.items():
        if v is None:
            continue
        if isinstance(v, Tensor):
            v = float(make_np(v).reshape(-1)[0])
        # bool is an int, so (as in torch) True/False are stored as the numbers 1.0/0.0.
        if isinstance(v, (int, float)):
            field, kind, dtype = "number_value", "number_value", "DATA_TYPE_FLOAT64"
        elif isinstance(v, str):
            field, kind, dtype = "string_value", "string_value", "DATA_TYPE_STRING"
        else:
            raise ValueError("value should be one of int, float, str, bool, or numtorch.Tensor")
        setattr(ssi.hparams[k], field, v)
        domain = None
        if k in hparam_domain_discrete:
            domain = struct_pb2.ListValue(values=[struct_pb2.Value(**{kind: d}) for d in hparam_domain_discrete[k]])
        infos.append(api.HParamInfo(name=k, type=api.DataType.Value(dtype), domain_discrete=domain))
    metrics = [api.MetricInfo(name=api.MetricName(tag=k)) for k in metric_dict]
    exp = _hparams_summary("_hparams_/experiment", experiment=api.Experiment(hparam_infos=infos,
                                                                             metric_infos=metrics))
    start = _hparams_summary("_hparams_/session_start_info", session_start_info=ssi)
    end = _hparams_summary("_hparams_/session_end_info", session_end_info=tbx.plugin_hparams_pb2.SessionEndInfo(
        status=api.Status.Value("STATUS_SUCCESS")))
    return exp, start, end
