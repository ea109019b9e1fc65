"""numtorch.utils.tensorboard: SummaryWriter's event files read back with TensorBoard's own readers, compared with
what torch's SummaryWriter writes, and the model graph built from numtorch's autograd graph and module hooks.

The event files are read with the ``tensorboard`` package (a test-only dependency): ``EventAccumulator`` as the
TensorBoard server does, and the raw event loader for byte-level comparisons with torch.
"""
import glob
import io
import os
import re
import socket
import subprocess
import sys
import textwrap
import time
import zlib

import numpy as np
import pytest

import numtorch as nt
import numtorch.nn as nnt
from helpers import F, torch

try:
    import numtorch.utils.tensorboard as ntb
    from numtorch.utils.tensorboard import SummaryWriter
    from numtorch.utils.tensorboard._graph import aten_op_name, graph as nt_graph
except ImportError:  # the missing-extra test below still runs
    ntb = SummaryWriter = aten_op_name = nt_graph = None

try:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
except ImportError:
    EventAccumulator = LegacyEventFileLoader = None

needs_tb = pytest.mark.skipif(
    ntb is None or EventAccumulator is None,
    reason="needs tensorboardX (the 'tensorboard' extra: pip install 'numtorch[tensorboard]') to write event files "
           "and the tensorboard package (a test dependency) to read them back")


# ---------------------------------------------------------------------- helpers
def event_file(logdir):
    files = sorted(glob.glob(os.path.join(str(logdir), "events.out.tfevents.*")))
    assert len(files) == 1, files
    return files[0]


def raw_events(logdir):
    """Every Event in ``logdir``'s event file, as written (no data-compat conversion)."""
    return list(LegacyEventFileLoader(event_file(logdir)).Load())


def accumulate(logdir):
    ea = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    ea.Reload()
    return ea


def decode_png(data):
    """Pixels of a PNG, decoded independently of our encoder (Pillow when present, else a filter-aware zlib read)."""
    try:
        from PIL import Image
        return np.array(Image.open(io.BytesIO(data)))
    except ImportError:
        pass
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h = int.from_bytes(ihdr[:4], "big"), int.from_bytes(ihdr[4:8], "big")
    c = {0: 1, 2: 3, 4: 2, 6: 4}[ihdr[9]]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * c)
    assert (rows[:, 0] == 0).all(), "this fallback decodes unfiltered rows only"
    return rows[:, 1:].reshape(h, w, c)


def tudui(lib):
    nn = lib.nn

    class Tudui(nn.Module):
        def __init__(self):
            super().__init__()
            self.model1 = nn.Sequential(
                nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
                nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))

        def forward(self, x):
            return self.model1(x)
    return Tudui()


def tudui_layers(lib):
    """The seed's variant: each layer is an attribute of Tudui *and* an element of model1."""
    nn = lib.nn

    class Tudui(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 32, 5, padding=2)
            self.maxpool1 = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(32, 32, 5, padding=2)
            self.maxpool2 = nn.MaxPool2d(2)
            self.conv3 = nn.Conv2d(32, 64, 5, padding=2)
            self.maxpool3 = nn.MaxPool2d(2)
            self.flatten = nn.Flatten()
            self.linear1 = nn.Linear(1024, 64)
            self.linear2 = nn.Linear(64, 10)
            self.model1 = nn.Sequential(self.conv1, self.maxpool1, self.conv2, self.maxpool2, self.conv3,
                                        self.maxpool3, self.flatten, self.linear1, self.linear2)

        def forward(self, x):
            return self.model1(x)
    return Tudui()


def two_inputs(lib):
    """Ops in the root's own forward, a module called twice, a BatchNorm kept in eval mode, two outputs."""
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.bn = nn.BatchNorm1d(4)

        def forward(self, x, y):
            h = self.fc(x) * 2
            h = self.fc(h)
            return lib.relu(self.bn(h)) + y.view(2, 4), h.reshape(-1)
    return Net()


def containers(lib):
    """Modules reached through a ModuleList and a ModuleDict (never called themselves), a tensor passed by keyword."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x, scale=None):
            return self.fc(x).relu() * scale

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([Block(), Block()])
            self.heads = nn.ModuleDict({"out": nn.Linear(4, 3)})

        def forward(self, x):
            for layer in self.layers:
                x = layer(x, scale=x.sum())
            return self.heads["out"](x)
    return Net()


def nodes_by_name(gd):
    return {n.name: n for n in gd.node}


def shapes(node):
    return [[d.size for d in s.dim] for s in node.attr["_output_shapes"].list.shape]


TUDUI = "Tudui/Sequential[model1]"


@pytest.fixture(scope="module")
def tudui_run(tmp_path_factory):
    """The seed's Tudui graph on ones(64, 3, 32, 32), written once by SummaryWriter and read back."""
    if ntb is None or EventAccumulator is None:
        pytest.skip("needs tensorboardX and tensorboard")
    logdir = tmp_path_factory.mktemp("tudui")
    nt.manual_seed(0)
    model = tudui(nt)
    with SummaryWriter(str(logdir)) as w:
        w.add_graph(model, nt.ones(64, 3, 32, 32))
    return logdir, accumulate(logdir).Graph()


# ---------------------------------------------------------------------- scalars
@needs_tb
def test_add_scalar_values_and_steps_from_tensors_arrays_and_numbers(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("loss", nt.tensor(0.5), 0)
        w.add_scalar("loss", nt.tensor([0.25], dtype=nt.float64), 1)
        w.add_scalar("loss", np.float32(0.125), 2)
        w.add_scalar("loss", 0.0625, global_step=3, walltime=123.5)
        w.add_scalar("loss", nt.ones(1, 1, requires_grad=True) * 3, 4)  # a tensor in the graph is detached
        w.add_scalar("acc", 7, 10)
    ea = accumulate(tmp_path)
    assert ea.Tags()["scalars"] == ["loss", "acc"]
    loss = ea.Scalars("loss")
    assert [e.step for e in loss] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([e.value for e in loss], [0.5, 0.25, 0.125, 0.0625, 3.0])
    assert loss[3].wall_time == 123.5
    assert [(e.step, e.value) for e in ea.Scalars("acc")] == [(10, 7.0)]


@needs_tb
def test_add_scalar_new_style_and_double_precision(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("f", 1.0 / 3, 0, new_style=True)
        w.add_scalar("d", 1.0 / 3, 0, new_style=True, double_precision=True)
    ev = {e.summary.value[0].tag: e.summary.value[0] for e in raw_events(tmp_path) if e.HasField("summary")}
    assert ev["f"].metadata.plugin_data.plugin_name == "scalars"
    assert ev["f"].tensor.dtype == 1 and list(ev["f"].tensor.float_val) == [np.float32(1.0 / 3)]  # DT_FLOAT
    assert ev["d"].tensor.dtype == 2 and list(ev["d"].tensor.double_val) == [1.0 / 3]  # DT_DOUBLE
    ea = accumulate(tmp_path)
    assert ea.Tensors("d")[0].tensor_proto.double_val[0] == 1.0 / 3


@needs_tb
def test_add_scalars_writes_one_run_per_series(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        for step in range(3):
            w.add_scalars("train/loss", {"a": step, "b": nt.tensor(10.0 * step)}, step)
    for tag, scale in (("a", 1.0), ("b", 10.0)):
        run = tmp_path / f"train_loss_{tag}"
        ea = accumulate(run)
        assert ea.Tags()["scalars"] == ["train/loss"]
        assert [(e.step, e.value) for e in ea.Scalars("train/loss")] == [(s, scale * s) for s in range(3)]


# ---------------------------------------------------------------------- histograms
@needs_tb
def test_add_histogram_statistics_and_buckets(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.standard_normal((40, 25)).astype(np.float32)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_histogram("w", nt.from_numpy(values), 5)
        w.add_histogram("w_auto", values, 6, bins="auto")
        w.add_histogram("w_10", values, 7, bins=10, max_bins=3)
    ea = accumulate(tmp_path)
    flat = values.reshape(-1).astype(np.float64)
    for tag, step in (("w", 5), ("w_auto", 6), ("w_10", 7)):
        (h,) = ea.Histograms(tag)
        hv = h.histogram_value
        assert h.step == step
        assert (hv.min, hv.max, hv.num) == (flat.min(), flat.max(), flat.size)
        assert hv.sum == pytest.approx(flat.sum(), rel=1e-12, abs=1e-9)
        assert hv.sum_squares == pytest.approx(flat @ flat, rel=1e-12)
        assert sum(hv.bucket) == flat.size  # every value lands in one bucket
        assert list(hv.bucket_limit) == sorted(hv.bucket_limit)
        assert hv.bucket[0] == 0  # the empty left bucket that carries the leftmost limit
    # 'tensorflow' bins: limits are +-1e-12 * 1.1^k; the support's limits bracket the data
    hv = ea.Histograms("w")[0].histogram_value
    assert hv.bucket_limit[0] <= flat.min() and hv.bucket_limit[-1] >= flat.max()
    # bins=10 merged 3 at a time (padded to 12): 4 buckets before trimming
    counts, limits = np.histogram(flat, bins=10)
    hv = ea.Histograms("w_10")[0].histogram_value
    merged = np.concatenate([counts, [0, 0]]).reshape(4, 3).sum(1)
    assert list(hv.bucket)[1:] == merged[:len(hv.bucket) - 1].tolist()


@needs_tb
def test_add_histogram_raw(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_histogram_raw("raw", min=0.5, max=3.5, num=6, sum=12.0, sum_squares=30.5,
                            bucket_limits=[1.0, 2.0, 4.0], bucket_counts=[1, 2, 3], global_step=2)
    hv = accumulate(tmp_path).Histograms("raw")[0].histogram_value
    assert (hv.min, hv.max, hv.num, hv.sum, hv.sum_squares) == (0.5, 3.5, 6, 12.0, 30.5)
    assert list(hv.bucket_limit) == [1.0, 2.0, 4.0] and list(hv.bucket) == [1, 2, 3]


# ---------------------------------------------------------------------- images
@needs_tb
def test_add_image_formats_scaling_and_grid(tmp_path):
    rng = np.random.default_rng(1)
    chw = rng.random((3, 6, 9)).astype(np.float32)
    hw = rng.random((5, 7))
    batch = rng.random((10, 1, 4, 3)).astype(np.float32)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_image("chw", nt.from_numpy(chw), 1)
        w.add_image("hwc_u8", (chw.transpose(1, 2, 0) * 255).astype(np.uint8), 2, dataformats="HWC")
        w.add_image("hw", hw * 2 - 0.5, 3, dataformats="HW")  # out of [0, 1]: clipped
        w.add_images("batch", nt.from_numpy(batch), 4)
    ea = accumulate(tmp_path)
    want = {
        "chw": (chw.transpose(1, 2, 0) * 255).astype(np.uint8),
        "hwc_u8": (chw.transpose(1, 2, 0) * 255).astype(np.uint8),
        "hw": np.repeat(((hw * 2 - 0.5).astype(np.float32) * 255).clip(0, 255).astype(np.uint8)[..., None], 3, 2),
    }
    for tag, px in want.items():
        (ev,) = ea.Images(tag)
        assert (ev.height, ev.width) == px.shape[:2]
        np.testing.assert_array_equal(decode_png(ev.encoded_image_string), px)
    # 10 grey 4x3 images tiled 8 per row -> 2 rows: an 8x24 RGB grid, the empty slots black
    (ev,) = ea.Images("batch")
    grid = decode_png(ev.encoded_image_string)
    assert grid.shape == (8, 24, 3)
    tile = (batch * 255).astype(np.uint8)
    np.testing.assert_array_equal(grid[:4, 3:6, 0], tile[1, 0])
    np.testing.assert_array_equal(grid[4:, 3:6, 2], tile[9, 0])
    assert (grid[4:, 6:] == 0).all()


# ---------------------------------------------------------------------- text and hparams
@needs_tb
def test_add_text(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_text("notes", "lr **0.1**, ünïcode", 3)
    ea = accumulate(tmp_path)
    (ev,) = ea.Tensors("notes/text_summary")
    assert ev.step == 3
    assert ev.tensor_proto.string_val[0].decode("utf-8") == "lr **0.1**, ünïcode"
    assert ea.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"


@needs_tb
def test_add_hparams_subrun_with_experiment_session_and_metrics(tmp_path):
    from tensorboard.plugins.hparams import plugin_data_pb2
    with SummaryWriter(str(tmp_path)) as w:
        w.add_hparams({"lr": 0.1, "opt": "adam", "bn": True, "layers": 3, "skip": None, "wd": nt.tensor(0.5)},
                      {"hp/acc": 0.75, "hp/loss": nt.tensor(0.25)},
                      hparam_domain_discrete={"opt": ["adam", "sgd"]}, run_name="trial0", global_step=9)
    ea = accumulate(tmp_path / "trial0")
    content = ea.PluginTagToContent("hparams")
    data = {tag: plugin_data_pb2.HParamsPluginData.FromString(c) for tag, c in content.items()}
    exp = data["_hparams_/experiment"].experiment
    assert [h.name for h in exp.hparam_infos] == ["lr", "opt", "bn", "layers", "wd"]
    assert [m.name.tag for m in exp.metric_infos] == ["hp/acc", "hp/loss"]
    opt = next(h for h in exp.hparam_infos if h.name == "opt")
    assert [v.string_value for v in opt.domain_discrete.values] == ["adam", "sgd"]
    hp = data["_hparams_/session_start_info"].session_start_info.hparams
    assert hp["lr"].number_value == 0.1 and hp["opt"].string_value == "adam"
    assert hp["bn"].number_value == 1.0 and hp["layers"].number_value == 3.0 and hp["wd"].number_value == 0.5
    assert "skip" not in hp
    assert data["_hparams_/session_end_info"].session_end_info.status == 1  # STATUS_SUCCESS
    assert [(e.step, e.value) for e in ea.Scalars("hp/acc")] == [(9, 0.75)]
    assert [(e.step, e.value) for e in ea.Scalars("hp/loss")] == [(9, 0.25)]


# ---------------------------------------------------------------------- writer lifetime and layout
@needs_tb
def test_default_log_dir_and_event_file_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1", filename_suffix=".nt")
    w.close()
    host = re.escape(socket.gethostname())
    assert re.fullmatch(r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + host + r"_lr0\.1", w.get_logdir())
    name = os.path.basename(event_file(tmp_path / w.get_logdir()))
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\." + host + rf"\.{os.getpid()}\.\d+\.nt", name)
    with SummaryWriter(str(tmp_path / "given"), comment="_ignored") as given:
        assert given.get_logdir() == str(tmp_path / "given")


@needs_tb
def test_flush_max_queue_close_and_reuse(tmp_path):
    w = SummaryWriter(str(tmp_path), max_queue=3, flush_secs=3600)
    w.add_scalar("a", 1.0, 0)
    w.add_scalar("a", 2.0, 1)
    assert [e for e in raw_events(tmp_path) if e.HasField("summary")] == []  # still waiting in memory
    w.add_scalar("a", 3.0, 2)  # the third event fills the queue: all three are written
    assert len([e for e in raw_events(tmp_path) if e.HasField("summary")]) == 3
    w.add_scalar("a", 4.0, 3)
    w.flush()
    assert len([e for e in raw_events(tmp_path) if e.HasField("summary")]) == 4
    w.close()
    w.close()  # a second close does nothing
    w.add_scalar("a", 5.0, 4)  # after close, a new event file
    w.close()
    files = sorted(glob.glob(str(tmp_path / "events.out.tfevents.*")))
    assert len(files) == 2
    assert [(e.step, e.value) for e in accumulate(tmp_path).Scalars("a")] == [(i, i + 1.0) for i in range(5)]


@needs_tb
def test_flush_secs_writes_in_the_background(tmp_path):
    w = SummaryWriter(str(tmp_path), flush_secs=0.2)
    try:
        w.add_scalar("a", 1.0, 0)
        deadline = time.time() + 20
        while time.time() < deadline and not any(e.HasField("summary") for e in raw_events(tmp_path)):
            time.sleep(0.1)
        assert any(e.HasField("summary") for e in raw_events(tmp_path))
    finally:
        w.close()


@needs_tb
def test_context_manager_closes_and_purge_step_is_recorded(tmp_path):
    with SummaryWriter(str(tmp_path), purge_step=7) as w:
        w.add_scalar("a", 1.0, 7)
    assert w.all_writers is None and w.file_writer is None
    ev = raw_events(tmp_path)
    assert ev[0].file_version == "brain.Event:2"
    assert ev[1].step == 7 and ev[1].file_version == "brain.Event:2"
    assert ev[2].step == 7 and ev[2].session_log.status == 1  # SessionLog.START
    assert ev[3].summary.value[0].simple_value == 1.0


# ---------------------------------------------------------------------- errors (torch's classes and messages)
def _bad_calls(lib, w):
    return {
        "scalar of many": lambda: w.add_scalar("a", lib.ones(3)),
        "scalar list": lambda: w.add_scalar("a", [1.0, 2.0]),
        "hparams not dict": lambda: w.add_hparams([], {}),
        "hparams value": lambda: w.add_hparams({"a": [1]}, {}),
        "hparams domain": lambda: w.add_hparams({"a": 1.0}, {}, hparam_domain_discrete={"a": ["x"]}),
        "histogram empty": lambda: w.add_histogram("h", lib.ones(0)),
        "histogram raw": lambda: w.add_histogram_raw("h", 0, 1, 1, 1, 1, [1.0, 2.0], [1]),
        "image format": lambda: w.add_image("i", lib.ones(3, 4, 4), dataformats="HW"),
        "image format twice": lambda: w.add_image("i", lib.ones(3, 4, 4), dataformats="CCW"),
        "graph no input": lambda: w.add_graph(two_inputs(lib), None),
    }


@needs_tb
@pytest.mark.torch
def test_errors_match_torch(tmp_path, capsys):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    ours_w, theirs_w = SummaryWriter(str(tmp_path / "nt")), TorchWriter(str(tmp_path / "torch"))
    try:
        ours, theirs = _bad_calls(nt, ours_w), _bad_calls(torch, theirs_w)
        for key in ours:
            with pytest.raises(Exception) as want:
                theirs[key]()
            with pytest.raises(want.type) as got:
                ours[key]()
            assert type(got.value) is want.type, key
            if key != "graph no input":  # torch's message there is the tracer's ("example_kwarg_inputs ...")
                gist = " ".join(str(want.value).replace("torch.Tensor", "numtorch.Tensor").replace(
                    "torch tensor", "numtorch tensor").split())
                assert " ".join(str(got.value).split()) == gist, key
        assert "input_to_model" in str(got.value)
    finally:
        ours_w.close()
        theirs_w.close()


@needs_tb
def test_add_graph_errors(tmp_path, capsys):
    class Broken(nnt.Module):
        def forward(self, x):
            raise ValueError("boom in forward")

    with SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(ValueError, match="boom in forward"):
            w.add_graph(Broken(), nt.ones(2))
        assert "Error occurs, No graph saved" in capsys.readouterr().out
        with pytest.raises(AttributeError, match="not a numtorch.nn.Module"):
            w.add_graph(lambda x: x * 2, nt.ones(2))
        with pytest.raises(RuntimeError, match="input_to_model is required"):
            w.add_graph(Broken())
    assert not any(e.HasField("graph_def") for e in raw_events(tmp_path))


# ---------------------------------------------------------------------- the graph
@needs_tb
def test_tudui_graph_nodes_scopes_and_ops(tudui_run):
    _, gd = tudui_run
    nodes = nodes_by_name(gd)
    ops = [(n.name, n.op) for n in gd.node if n.op.startswith("aten::")]
    assert ops == [
        (f"{TUDUI}/Conv2d[0]/_convolution", "aten::_convolution"),
        (f"{TUDUI}/MaxPool2d[1]/max_pool2d", "aten::max_pool2d"),
        (f"{TUDUI}/Conv2d[2]/_convolution", "aten::_convolution"),
        (f"{TUDUI}/MaxPool2d[3]/max_pool2d", "aten::max_pool2d"),
        (f"{TUDUI}/Conv2d[4]/_convolution", "aten::_convolution"),
        (f"{TUDUI}/MaxPool2d[5]/max_pool2d", "aten::max_pool2d"),
        (f"{TUDUI}/Flatten[6]/flatten", "aten::flatten"),
        (f"{TUDUI}/Linear[7]/linear", "aten::linear"),
        (f"{TUDUI}/Linear[8]/linear", "aten::linear"),
    ]
    params = sorted(n.name for n in gd.node if n.op == "prim::GetAttr")
    assert params == sorted(f"{TUDUI}/{m}[{i}]/{p}" for m, i in (("Conv2d", 0), ("Conv2d", 2), ("Conv2d", 4),
                                                                  ("Linear", 7), ("Linear", 8))
                            for p in ("weight", "bias"))
    assert nodes["input/x"].op == "IO Node" and nodes["output/output.1"].op == "IO Node"
    assert len(gd.node) == 2 + 9 + 10  # input, output, ops, parameters: nothing else
    assert gd.versions.producer == 22


@needs_tb
def test_tudui_graph_edges(tudui_run):
    _, gd = tudui_run
    nodes = nodes_by_name(gd)
    prev = "input/x"
    for conv, pool in ((0, 1), (2, 3), (4, 5)):
        scope = f"{TUDUI}/Conv2d[{conv}]"
        # each conv takes the previous pool's output (the input for the first) and its own weight and bias
        assert list(nodes[f"{scope}/_convolution"].input) == [prev, f"{scope}/weight", f"{scope}/bias"]
        prev = f"{TUDUI}/MaxPool2d[{pool}]/max_pool2d"
        assert list(nodes[prev].input) == [f"{scope}/_convolution"]
    assert list(nodes[f"{TUDUI}/Flatten[6]/flatten"].input) == [prev]
    assert list(nodes[f"{TUDUI}/Linear[7]/linear"].input) == [
        f"{TUDUI}/Flatten[6]/flatten", f"{TUDUI}/Linear[7]/weight", f"{TUDUI}/Linear[7]/bias"]
    assert list(nodes[f"{TUDUI}/Linear[8]/linear"].input) == [
        f"{TUDUI}/Linear[7]/linear", f"{TUDUI}/Linear[8]/weight", f"{TUDUI}/Linear[8]/bias"]
    assert list(nodes["output/output.1"].input) == [f"{TUDUI}/Linear[8]/linear"]
    assert list(nodes["input/x"].input) == []
    # every edge names a node of the graph (TensorBoard drops edges to unknown nodes)
    for n in gd.node:
        for i in n.input:
            assert i.split(":")[0] in nodes, (n.name, i)


@needs_tb
def test_tudui_graph_output_shapes(tudui_run):
    _, gd = tudui_run
    nodes = nodes_by_name(gd)
    want = {
        "input/x": [64, 3, 32, 32],
        f"{TUDUI}/Conv2d[0]/_convolution": [64, 32, 32, 32],
        f"{TUDUI}/MaxPool2d[1]/max_pool2d": [64, 32, 16, 16],
        f"{TUDUI}/Conv2d[2]/_convolution": [64, 32, 16, 16],
        f"{TUDUI}/MaxPool2d[3]/max_pool2d": [64, 32, 8, 8],
        f"{TUDUI}/Conv2d[4]/_convolution": [64, 64, 8, 8],
        f"{TUDUI}/MaxPool2d[5]/max_pool2d": [64, 64, 4, 4],
        f"{TUDUI}/Flatten[6]/flatten": [64, 1024],
        f"{TUDUI}/Linear[7]/linear": [64, 64],
        f"{TUDUI}/Linear[8]/linear": [64, 10],
        "output/output.1": [64, 10],
        f"{TUDUI}/Conv2d[0]/weight": [32, 3, 5, 5],
        f"{TUDUI}/Linear[7]/bias": [64],
    }
    for name, shape in want.items():
        assert shapes(nodes[name]) == [shape], name


@needs_tb
def test_graph_event_and_run_metadata_as_torch_writes_them(tudui_run):
    logdir, _ = tudui_run
    ev = raw_events(logdir)
    kinds = [e.WhichOneof("what") for e in ev]
    assert kinds == ["file_version", "graph_def", "tagged_run_metadata"]
    assert ev[2].tagged_run_metadata.tag == "step1"
    from tensorboard.compat.proto.config_pb2 import RunMetadata
    rm = RunMetadata.FromString(ev[2].tagged_run_metadata.run_metadata)
    assert [d.device for d in rm.step_stats.dev_stats] == ["/device:CPU:0"]
    assert accumulate(logdir).Tags()["run_metadata"] == ["step1"]


def _op_structure(gd):
    """(scope, op, shapes, inputs) per op/IO node, with torch's helper nodes dropped and names made comparable.

    Inputs are named by what they are: ``input/<name>``, a parameter ``<module scope>/<param>``, or the index of
    the producing op among the ops; the tracer's value names and our ``<op>`` suffixes are both dropped.
    """
    keep = [n for n in gd.node if n.op.startswith("aten::")]
    index = {n.name: i for i, n in enumerate(keep)}
    kinds = {n.name: n.op for n in gd.node}

    def source(name):
        name = name.split(":")[0]
        if name in index:
            return index[name]
        if kinds.get(name) == "prim::GetAttr":  # torch's ".../Conv2d[0]/weight/weight.7" is our ".../weight"
            scope, leaf = name.rsplit("/", 1)
            return scope if scope.rsplit("/", 1)[-1] == leaf.split(".")[0] else name
        return name

    out = []
    for n in keep:
        ins = [source(i) for i in n.input if kinds.get(i.split(":")[0]) not in ("prim::Constant",
                                                                                 "prim::ListConstruct")]
        # torch's tracer numbers an argument that forward reassigns (input/x.1); we keep its name
        ins = [re.sub(r"^(input/\w+)\.\d+$", r"\1", i) if isinstance(i, str) else i for i in ins]
        out.append((n.name.rsplit("/", 1)[0], n.op, shapes(n), ins))
    return out


@pytest.mark.torch
@needs_tb
@pytest.mark.parametrize("make", [tudui, tudui_layers, two_inputs, containers],
                         ids=["tudui", "tudui_layers", "two_inputs", "containers"])
def test_graph_structure_matches_torch(make):
    """Same ops, in the same scopes, with the same output shapes and the same edges as torch's add_graph."""
    from torch.utils.tensorboard._pytorch_graph import graph as torch_graph
    if make is two_inputs:
        args_t, args_n = (torch.ones(2, 4), torch.ones(8)), (nt.ones(2, 4), nt.ones(8))
    elif make is containers:
        args_t, args_n = torch.ones(2, 4), nt.ones(2, 4)
    else:
        args_t, args_n = torch.ones(2, 3, 32, 32), nt.ones(2, 3, 32, 32)
    theirs = _op_structure(torch_graph(make(torch), args_t)[0])
    ours_gd = nt_graph(make(nt), args_n)[0]
    ours = _op_structure(ours_gd)
    # our reshape is the view its autograd node records; torch's batch_norm also reads the running statistics
    # (buffers), which autograd never sees
    theirs = [(s, "aten::view" if op == "aten::reshape" else op, sh,
               [i for i in ins if not (isinstance(i, str) and "/running_" in i)]) for s, op, sh, ins in theirs]
    assert ours == theirs
    nodes = nodes_by_name(ours_gd)
    io_theirs = sorted((re.sub(r"^(input/\w+)\.\d+$", r"\1", n.name), shapes(n))
                       for n in torch_graph(make(torch), args_t)[0].node if n.op == "IO Node")
    io_ours = sorted((n.name, shapes(n)) for n in ours_gd.node if n.op == "IO Node")
    if make is two_inputs:  # torch packs the two outputs into one TupleConstruct (and gives it shape [1])
        assert [n for n, _ in io_ours] == ["input/x", "input/y", "output/output.1", "output/output.2"]
        assert shapes(nodes["output/output.1"]) == [[2, 4]] and shapes(nodes["output/output.2"]) == [[8]]
        io_theirs = [x for x in io_theirs if x[0].startswith("input/")]
        io_ours = [x for x in io_ours if x[0].startswith("input/")]
    assert io_ours == io_theirs


@needs_tb
def test_tudui_layers_parameters_named_by_module_tree_ops_by_call(tmp_path):
    gd, _ = nt_graph(tudui_layers(nt), nt.ones(2, 3, 32, 32))
    nodes = nodes_by_name(gd)
    conv = nodes[f"{TUDUI}/Conv2d[0]/_convolution"]
    assert list(conv.input) == ["input/x", "Tudui/Conv2d[conv1]/weight", "Tudui/Conv2d[conv1]/bias"]
    assert list(nodes[f"{TUDUI}/Linear[8]/linear"].input)[1:] == ["Tudui/Linear[linear2]/weight",
                                                                    "Tudui/Linear[linear2]/bias"]


@needs_tb
def test_graph_of_a_two_input_model(capsys):
    model = two_inputs(nt)
    gd, _ = nt_graph(model, [nt.ones(2, 4), nt.ones(8)], verbose=True)
    nodes = nodes_by_name(gd)
    assert list(nodes["Net/Linear[fc]/linear"].input) == ["input/x", "Net/Linear[fc]/weight", "Net/Linear[fc]/bias"]
    assert nodes["Net/mul"].op == "aten::mul" and list(nodes["Net/mul"].input) == ["Net/Linear[fc]/linear"]
    # the same module called twice: one scope, the second op numbered, the parameters shared
    assert list(nodes["Net/Linear[fc]/linear.1"].input) == ["Net/mul", "Net/Linear[fc]/weight",
                                                            "Net/Linear[fc]/bias"]
    assert nodes["Net/BatchNorm1d[bn]/batch_norm"].op == "aten::batch_norm"
    assert list(nodes["Net/relu"].input) == ["Net/BatchNorm1d[bn]/batch_norm"]
    assert list(nodes["Net/view"].input) == ["input/y"]
    assert list(nodes["Net/add"].input) == ["Net/relu", "Net/view"]
    assert list(nodes["output/output.1"].input) == ["Net/add"]
    assert list(nodes["output/output.2"].input) == ["Net/view.1"]
    printed = capsys.readouterr().out
    assert "Net/add = aten::add(Net/relu, Net/view)" in printed


@needs_tb
def test_graph_multi_output_ops_unused_inputs_and_integer_inputs():
    class Net(nnt.Module):
        def __init__(self):
            super().__init__()
            self.emb = nnt.Embedding(10, 3)
            self.lstm = nnt.LSTM(3, 5, batch_first=True)

        def forward(self, idx, unused):
            out, (h, c) = self.lstm(self.emb(idx))
            a, b = out.split(2, dim=1)
            return a.sum() + b.mean(), h

    gd, _ = nt_graph(Net(), (nt.zeros(2, 4, dtype=nt.long), nt.ones(3)))
    nodes = nodes_by_name(gd)
    assert "input/unused" not in nodes and "input/idx" not in nodes  # unused; integer indices leave no edge
    lstm = nodes["Net/LSTM[lstm]/lstm"]
    assert lstm.op == "aten::lstm" and shapes(lstm) == [[2, 4, 5], [1, 2, 5], [1, 2, 5]]
    assert list(lstm.input) == ["Net/Embedding[emb]/embedding"] + [
        f"Net/LSTM[lstm]/{p}" for p in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
    assert shapes(nodes["Net/split"]) == [[2, 2, 5], [2, 2, 5]]
    assert list(nodes["Net/sum"].input) == ["Net/split"] and list(nodes["Net/mean"].input) == ["Net/split:1"]
    assert list(nodes["output/output.2"].input) == ["Net/LSTM[lstm]/lstm:1"]


@needs_tb
def test_add_graph_restores_the_model_and_runs_in_eval_mode():
    model = two_inputs(nt)
    model.train()
    model.fc.eval()  # a submodule's own mode survives (torch would reset it to the root's)
    model.fc.bias.requires_grad_(False)
    seen = []
    model.bn.register_forward_hook(lambda m, a, o: seen.append(m.training))
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    nt_graph(model, (nt.ones(2, 4), nt.ones(8)))
    assert seen == [False]  # traced in eval mode, as torch does
    assert model.training and not model.fc.training and model.bn.training
    assert model.fc.weight.requires_grad and not model.fc.bias.requires_grad
    assert all(p.grad is None for p in model.parameters())
    for k, v in model.state_dict().items():  # eval mode: the running statistics are untouched
        np.testing.assert_array_equal(v.detach().numpy(), before[k], err_msg=k)
    assert len(model._forward_hooks) == 0 and len(model._forward_pre_hooks) == 0
    assert len(model.bn._forward_hooks) == 1 and len(model.bn._forward_pre_hooks) == 0


@needs_tb
def test_graph_model_may_modify_its_input_in_place():
    class InPlace(nnt.Module):
        def __init__(self):
            super().__init__()
            self.fc = nnt.Linear(3, 2)

        def forward(self, x):
            x.mul_(2)
            return self.fc(x)

    x = nt.ones(4, 3)
    gd, _ = nt_graph(InPlace(), x)
    nodes = nodes_by_name(gd)
    assert nodes["InPlace/mul"].op == "aten::mul" and list(nodes["InPlace/mul"].input) == ["input/x"]
    assert list(nodes["InPlace/Linear[fc]/linear"].input)[0] == "InPlace/mul"


@needs_tb
def test_custom_function_and_captured_tensor():
    class Double(nt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    shift = nt.ones(3, requires_grad=True)

    class Net(nnt.Module):
        def forward(self, x):
            return Double.apply(x) + shift

    gd, _ = nt_graph(Net(), nt.ones(2, 3))
    nodes = nodes_by_name(gd)
    assert nodes["Net/Double"].op == "prim::PythonOp" and list(nodes["Net/Double"].input) == ["input/x"]
    assert list(nodes["Net/add"].input) == ["Net/Double", "Net/constant"]
    assert nodes["Net/constant"].op == "prim::Constant" and shapes(nodes["Net/constant"]) == [[3]]


_OPS = [
    (lambda L, x: L.relu(x), "aten::relu"),
    (lambda L, x: F(x).max_pool1d(x[0], 2), "aten::max_pool1d"),
    (lambda L, x: F(x).max_pool3d(x[None], 2), "aten::max_pool3d"),
    (lambda L, x: F(x).avg_pool2d(x, 2), "aten::avg_pool2d"),
    (lambda L, x: F(x).adaptive_avg_pool2d(x, 1), "aten::adaptive_avg_pool2d"),
    (lambda L, x: F(x).adaptive_max_pool2d(x, 2), "aten::adaptive_max_pool2d"),
    (lambda L, x: F(x).conv_transpose2d(x, L.ones(2, 1, 3, 3)), "aten::_convolution"),
    (lambda L, x: F(x).conv1d(x[0], L.ones(3, 4, 2)), "aten::_convolution"),
    (lambda L, x: F(x).log_softmax(x, 1), "aten::log_softmax"),
    (lambda L, x: F(x).gelu(x, approximate="tanh"), "aten::gelu"),
    (lambda L, x: F(x).leaky_relu(x, 0.1), "aten::leaky_relu"),
    (lambda L, x: F(x).embedding(L.zeros(3, dtype=L.long), x.reshape(8, 4)), "aten::embedding"),
    (lambda L, x: F(x).batch_norm(x, L.zeros(2), L.ones(2)), "aten::batch_norm"),
    (lambda L, x: F(x).group_norm(x, 1), "aten::group_norm"),
    (lambda L, x: F(x).layer_norm(x, (4,)), "aten::layer_norm"),
    (lambda L, x: F(x).interpolate(x, scale_factor=2), "aten::upsample_nearest2d"),
    (lambda L, x: F(x).interpolate(x, scale_factor=2, mode="bilinear"), "aten::upsample_bilinear2d"),
    (lambda L, x: F(x).pad(x, (1, 1)), "aten::pad"),
    (lambda L, x: F(x).mse_loss(x, L.zeros(1, 2, 4, 4)), "aten::mse_loss"),
    (lambda L, x: F(x).cross_entropy(x.reshape(8, 4), L.zeros(8, dtype=L.long)), "aten::cross_entropy_loss"),
    (lambda L, x: x.log1p(), "aten::log1p"),
    (lambda L, x: x.reshape(1, -1).t(), "aten::t"),
    (lambda L, x: x.permute(0, 2, 3, 1), "aten::permute"),
    (lambda L, x: L.cat([x, x], 1), "aten::cat"),
    (lambda L, x: x.sum(), "aten::sum"),
    (lambda L, x: x.mean(1), "aten::mean"),
    (lambda L, x: x.clamp(min=0), "aten::clamp"),
    (lambda L, x: x.clamp_min(0), "aten::clamp_min"),
    (lambda L, x: x.pow(2), "aten::pow"),
    (lambda L, x: x @ x.transpose(-1, -2), "aten::matmul"),
    (lambda L, x: L.sigmoid(x) * 3 - x / 2, "aten::sub"),
]


@needs_tb
@pytest.mark.parametrize("build, op", _OPS, ids=[op for _, op in _OPS])
def test_aten_op_names(build, op):
    x = nt.ones(1, 2, 4, 4, requires_grad=True)
    assert aten_op_name(build(nt, x).grad_fn) == op


class _Lambda:
    """A module running one lambda, to trace it."""

    def __init__(self, lib, fn):
        self.lib, self.fn = lib, fn

    def module(self):
        lib, fn = self.lib, self.fn

        class Op(lib.nn.Module):
            def forward(self, x):
                return fn(lib, x)
        return Op()


@pytest.mark.torch
@needs_tb
@pytest.mark.parametrize("name, args, shape", [
    ("Dropout", (0.5,), (2, 4)), ("Dropout1d", (), (2, 4, 3)), ("Dropout2d", (), (2, 4, 3, 3)),
    ("AlphaDropout", (), (2, 4)), ("FeatureAlphaDropout", (), (2, 4, 3, 3)), ("Identity", (), (2, 4)),
    ("Flatten", (0, 0), (2, 4)), ("Flatten", (), (2, 4, 3)), ("Unflatten", (1, (2, 2)), (2, 4)),
])
def test_modules_that_return_their_input_show_torchs_op(name, args, shape):
    """Dropout in eval mode returns its input itself, yet torch's graph shows its op: so does ours."""
    def make(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = getattr(lib.nn, name)(*args)

            def forward(self, x):
                return self.m(x * 2)
        return M()

    from torch.utils.tensorboard._pytorch_graph import graph as torch_graph
    theirs = torch_graph(make(torch), torch.ones(*shape))[0]
    ours = nt_graph(make(nt), nt.ones(*shape))[0]
    strip = lambda gd: [(n.name.rsplit("/", 1)[0], n.op, shapes(n)) for n in gd.node  # noqa: E731
                        if n.op.startswith("aten::")]
    assert strip(ours) == strip(theirs)
    out = nodes_by_name(ours)["output/output.1"]
    assert shapes(out) == shapes(nodes_by_name(theirs)["output/output.1"])


@pytest.mark.torch
@pytest.mark.parametrize("build, op", _OPS, ids=[op for _, op in _OPS])
def test_aten_op_names_are_what_torch_traces(build, op):
    """The expected names above are what torch's own add_graph records for the op that makes the output."""
    from torch.utils.tensorboard._pytorch_graph import graph as torch_graph
    gd, _ = torch_graph(_Lambda(torch, build).module(), torch.ones(1, 2, 4, 4))
    by_name = {n.name: n for n in gd.node}
    (out,) = [n for n in gd.node if n.name.startswith("output/")]
    assert by_name[out.input[0]].op == op


@needs_tb
def test_add_graph_through_summary_writer_accepts_arrays(tmp_path):
    class Small(nnt.Module):
        def __init__(self):
            super().__init__()
            self.fc = nnt.Linear(3, 2)

        def forward(self, x):
            return nt.tanh(self.fc(x))

    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(Small(), np.ones((4, 3), np.float32))
        w.add_scalar("a", 1.0, 0)
    ea = accumulate(tmp_path)
    nodes = nodes_by_name(ea.Graph())
    assert shapes(nodes["input/x"]) == [[4, 3]]
    assert list(nodes["Small/tanh"].input) == ["Small/Linear[fc]/linear"]


# ---------------------------------------------------------------------- parity of every summary with torch
def _write_all(Writer, lib, logdir, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    vals = rng.standard_normal(1000).astype(np.float32)
    img = rng.random((3, 8, 10)).astype(np.float32)
    imgs = rng.random((5, 3, 4, 6)).astype(np.float32)
    T = lambda a: lib.from_numpy(a.copy())  # noqa: E731
    w = Writer(logdir)
    w.add_scalar("s", T(np.array(1.5, np.float32)), 3, walltime=1.0)
    w.add_scalar("s2", 2.25, 4, walltime=1.0, new_style=True, double_precision=True)
    w.add_scalars("m", {"a": 1.0, "b": 2.0}, 5, walltime=1.0)
    w.add_histogram("h", T(vals), 1, walltime=1.0)
    w.add_histogram("h2", T(vals), 1, bins="auto", max_bins=7, walltime=1.0)
    w.add_image("i", T(img), 2, walltime=1.0)
    w.add_images("ii", T(imgs), 2, walltime=1.0)
    w.add_image("u8", (img * 255).astype(np.uint8).transpose(1, 2, 0), 2, walltime=1.0, dataformats="HWC")
    w.add_text("t", "hello **world**", 7, walltime=1.0)
    w.add_hparams({"lr": 0.1, "opt": "adam", "flag": True, "n": 3}, {"hp/acc": 0.9},
                  hparam_domain_discrete={"opt": ["adam", "sgd"]}, run_name="hp", global_step=1)
    w.close()


@pytest.mark.torch
@needs_tb
def test_every_summary_is_the_event_torch_writes(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    _write_all(SummaryWriter, nt, str(tmp_path / "nt"), 0)
    _write_all(TorchWriter, torch, str(tmp_path / "torch"), 0)
    runs = ["", "m_a", "m_b", "hp"]
    for run in runs:
        ours, theirs = raw_events(tmp_path / "nt" / run), raw_events(tmp_path / "torch" / run)
        assert len(ours) == len(theirs) > 1, run
        assert ours[0].file_version == theirs[0].file_version == "brain.Event:2"
        for a, b in zip(ours[1:], theirs[1:]):
            if run == "hp":  # the nested writer stamps the current time; everything else is identical
                a.ClearField("wall_time")
                b.ClearField("wall_time")
            if a.summary.value and a.summary.value[0].HasField("image"):
                ia, ib = a.summary.value[0].image, b.summary.value[0].image
                assert (ia.height, ia.width, ia.colorspace) == (ib.height, ib.width, ib.colorspace)
                # the same pixels (the PNG bytes differ: torch's Pillow picks per-row filters)
                np.testing.assert_array_equal(decode_png(ia.encoded_image_string),
                                              decode_png(ib.encoded_image_string))
                ia.ClearField("encoded_image_string")
                ib.ClearField("encoded_image_string")
            assert a == b, (run, a, b)


@pytest.mark.torch
@needs_tb
def test_run_metadata_bytes_are_torchs():
    from torch.utils.tensorboard._pytorch_graph import graph as torch_graph
    _, ours = nt_graph(nnt.Linear(2, 2), nt.ones(1, 2))
    _, theirs = torch_graph(torch.nn.Linear(2, 2), torch.ones(1, 2))
    assert ours == theirs.SerializeToString()


# ---------------------------------------------------------------------- figures
@needs_tb
def test_add_figure(tmp_path):
    matplotlib = pytest.importorskip("matplotlib", reason="add_figure renders with matplotlib (not installed)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(2, 1), dpi=50)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_figure("fig", fig, 0)
    (ev,) = accumulate(tmp_path).Images("fig")
    assert (ev.width, ev.height) == (100, 50)


# ---------------------------------------------------------------------- never torch; missing extra
def _run_python(code, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=300, env=env)


@needs_tb
def test_no_summary_imports_torch(tmp_path):
    """Writing every kind of summary and a graph, in a fresh interpreter, never imports torch."""
    code = f"""
        import sys
        import numpy as np
        import numtorch as nt
        import numtorch.nn as nn
        assert "numtorch.utils.tensorboard" not in sys.modules and "tensorboardX" not in sys.modules
        from numtorch.utils.tensorboard import SummaryWriter
        with SummaryWriter({str(tmp_path)!r}) as w:
            w.add_scalar("s", nt.tensor(1.0), 0)
            w.add_scalar("s", 1.0, 1, new_style=True)
            w.add_scalars("m", {{"a": nt.tensor(1.0)}}, 0)
            w.add_histogram("h", nt.randn(100), 0)
            w.add_histogram_raw("r", 0, 1, 2, 1, 1, [0.5, 1.0], [1, 1])
            w.add_image("i", nt.rand(3, 4, 4), 0)
            w.add_images("ii", nt.rand(2, 3, 4, 4), 0)
            w.add_text("t", "x", 0)
            w.add_hparams({{"lr": 0.1}}, {{"acc": nt.tensor(0.5)}}, run_name="hp")
            w.add_graph(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 1)), nt.ones(1, 1, 4, 4))
        bad = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
        print("TORCH" if bad else "CLEAN", bad[:5])
    """
    res = _run_python(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("CLEAN"), res.stdout
    assert os.path.isdir(tmp_path / "hp") and os.path.isdir(tmp_path / "m_a")


def test_missing_tensorboardx_names_the_extra():
    """Without tensorboardX, importing numtorch.utils.tensorboard raises ImportError naming the extra."""
    code = """
        import sys
        sys.modules["tensorboardX"] = None  # as if it were not installed
        import numtorch
        assert "numtorch.utils.tensorboard" not in sys.modules
        try:
            from numtorch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            print("IMPORTERROR:", e)
        else:
            print("imported")
    """
    res = _run_python(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("IMPORTERROR:"), res.stdout
    assert "pip install 'numtorch[tensorboard]'" in res.stdout
    assert "tensorboardX" in res.stdout


def test_import_numtorch_does_not_import_tensorboard():
    res = _run_python("""
        import sys, numtorch
        print(sorted(m for m in sys.modules if "tensorboard" in m.lower()))
    """)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
