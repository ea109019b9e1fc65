"""The real TensorBoard server reads what numtorch's SummaryWriter wrote: runs, scalars, histograms and the model
graph, fetched through its HTTP API as the web page fetches them."""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

import numtorch as nt

pytestmark = pytest.mark.slow

pytest.importorskip("tensorboard", reason="the tensorboard package (a test dependency) is not installed: no server "
                                          "to read the event files back")
pytest.importorskip("tensorboardX", reason="tensorboardX (the 'tensorboard' extra) is not installed: "
                                           "pip install 'numtorch[tensorboard]'")

from numtorch.utils.tensorboard import SummaryWriter  # noqa: E402

TUDUI = "Tudui/Sequential[model1]"


def tudui():
    nn = nt.nn

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


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tensorboard_command():
    exe = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    if os.path.exists(exe):
        return [exe]
    found = shutil.which("tensorboard")
    return [found] if found else [sys.executable, "-m", "tensorboard.main"]


def _get(base, path, **query):
    url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Event files for two runs, and a TensorBoard server over them on 127.0.0.1 (always stopped afterwards)."""
    logdir = tmp_path_factory.mktemp("tb")
    nt.manual_seed(0)
    with SummaryWriter(str(logdir / "tudui")) as w:
        w.add_graph(tudui(), nt.ones(64, 3, 32, 32))
        for step in range(5):
            w.add_scalar("train/loss", nt.tensor(1.0 / (step + 1)), step)
        w.add_histogram("weights", np.arange(100, dtype=np.float32), 0)
    with SummaryWriter(str(logdir / "other")) as w:
        w.add_scalar("train/loss", 7.0, 3)

    port = _free_port()
    log = open(logdir / "server.log", "w+")
    proc = subprocess.Popen(_tensorboard_command() + ["--logdir", str(logdir), "--host", "127.0.0.1",
                                                      "--port", str(port), "--reload_interval", "1"],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"tensorboard exited with {proc.returncode}:\n{log.read()}")
            try:
                # up, and both runs loaded (the first reload happens in the background)
                if sorted(json.loads(_get(base, "/data/runs"))) == ["other", "tudui"]:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                log.seek(0)
                pytest.fail(f"tensorboard did not serve both runs within 120 s:\n{log.read()}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(20)
        log.close()


def test_runs_and_scalar_tags(server):
    assert sorted(json.loads(_get(server, "/data/runs"))) == ["other", "tudui"]
    tags = json.loads(_get(server, "/data/plugin/scalars/tags"))
    assert set(tags["tudui"]) == {"train/loss"} and set(tags["other"]) == {"train/loss"}


def test_scalars(server):
    rows = json.loads(_get(server, "/data/plugin/scalars/scalars", run="tudui", tag="train/loss"))
    assert [r[1] for r in rows] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([r[2] for r in rows], [1.0, 0.5, 1 / 3, 0.25, 0.2], rtol=1e-6)
    assert all(r[0] > 1e9 for r in rows)  # wall times, in seconds since the epoch
    assert json.loads(_get(server, "/data/plugin/scalars/scalars", run="other", tag="train/loss")) == \
        [[pytest.approx(rows[0][0], abs=3600), 3, 7.0]]


def test_histogram(server):
    rows = json.loads(_get(server, "/data/plugin/histograms/histograms", run="tudui", tag="weights"))
    (wall, step, buckets), = rows
    assert step == 0
    assert sum(b[2] for b in buckets) == pytest.approx(100)  # [left, right, count] per bucket
    assert buckets[0][0] <= 0 and buckets[-1][1] >= 99


def test_graph(server):
    from google.protobuf import text_format
    from tensorboard.compat.proto.graph_pb2 import GraphDef

    info = json.loads(_get(server, "/data/plugin/graphs/info"))
    assert info["tudui"]["run_graph"] is True and "step1" in info["tudui"]["tags"]
    assert not info.get("other", {}).get("run_graph", False)

    gd = text_format.Parse(_get(server, "/data/plugin/graphs/graph", run="tudui").decode("utf-8"), GraphDef())
    nodes = {n.name: n for n in gd.node}

    def shape(name):
        return [[d.size for d in s.dim] for s in nodes[name].attr["_output_shapes"].list.shape]

    ops = [(n.name.rsplit("/", 1)[0], n.op) for n in gd.node if n.op.startswith("aten::")]
    assert ops == [(f"{TUDUI}/Conv2d[0]", "aten::_convolution"), (f"{TUDUI}/MaxPool2d[1]", "aten::max_pool2d"),
                   (f"{TUDUI}/Conv2d[2]", "aten::_convolution"), (f"{TUDUI}/MaxPool2d[3]", "aten::max_pool2d"),
                   (f"{TUDUI}/Conv2d[4]", "aten::_convolution"), (f"{TUDUI}/MaxPool2d[5]", "aten::max_pool2d"),
                   (f"{TUDUI}/Flatten[6]", "aten::flatten"), (f"{TUDUI}/Linear[7]", "aten::linear"),
                   (f"{TUDUI}/Linear[8]", "aten::linear")]
    conv2 = nodes[f"{TUDUI}/Conv2d[2]/_convolution"]
    assert list(conv2.input) == [f"{TUDUI}/MaxPool2d[1]/max_pool2d", f"{TUDUI}/Conv2d[2]/weight",
                                 f"{TUDUI}/Conv2d[2]/bias"]
    assert nodes[f"{TUDUI}/Conv2d[2]/weight"].op == "prim::GetAttr"
    assert shape("input/x") == [[64, 3, 32, 32]]
    assert shape(f"{TUDUI}/Conv2d[0]/_convolution") == [[64, 32, 32, 32]]
    assert shape(f"{TUDUI}/Flatten[6]/flatten") == [[64, 1024]]
    assert shape("output/output.1") == [[64, 10]]
    assert list(nodes["output/output.1"].input) == [f"{TUDUI}/Linear[8]/linear"]
