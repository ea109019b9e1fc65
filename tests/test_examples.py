"""The examples run, and print what the same code prints in torch.

``examples/*.py`` are the seed's torch code with only the import changed, so each is also run with the import
changed back (``numtorch`` -> ``torch``) and the two printouts must be equal, ``numtorch.Size`` read as
``torch.Size``. Each runs in a fresh process in a temporary directory (``examples/tudui.py`` writes
``./logs_seq``).
"""
import glob
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXAMPLES = os.path.join(ROOT, "examples")


def _run(source, cwd):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    script = os.path.join(cwd, "example.py")
    with open(script, "w") as f:
        f.write(source)
    proc = subprocess.run([sys.executable, script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _as_torch(source):
    return source.replace("numtorch", "torch")


def test_tudui_example_prints_the_model_and_shape_and_writes_the_graph(tmp_path):
    pytest.importorskip("tensorboardX", reason="the example's SummaryWriter needs the tensorboard extra")
    with open(os.path.join(EXAMPLES, "tudui.py")) as f:
        source = f.read()
    out = _run(source, str(tmp_path))
    assert out.rstrip().endswith("numtorch.Size([64, 10])")
    assert out.startswith("Tudui(\n  (conv1): Conv2d(3, 32, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))")
    events = glob.glob(str(tmp_path / "logs_seq" / "events.out.tfevents.*"))
    assert len(events) == 1 and os.path.getsize(events[0]) > 0


@pytest.mark.torch
@pytest.mark.parametrize("name", ["tudui.py", "seed_layers.py"])
def test_example_prints_what_torch_prints(name, tmp_path):
    if name == "tudui.py":
        pytest.importorskip("tensorboard", reason="torch's SummaryWriter needs the tensorboard package")
    with open(os.path.join(EXAMPLES, name)) as f:
        source = f.read()
    (tmp_path / "nt").mkdir()
    (tmp_path / "torch").mkdir()
    ours = _run(source, str(tmp_path / "nt"))
    theirs = _run(_as_torch(source), str(tmp_path / "torch"))
    assert ours.replace("numtorch.", "torch.") == theirs
