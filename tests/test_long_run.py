"""Long runs: the seed's Tudui trained for 2,000 steps, and checkpoints that survive being killed mid-write.

* Memory stays flat: after a warm-up, resident memory (``/proc/self/statm`` now, ``ru_maxrss`` at its peak) grows
  by less than ``RSS_SLACK`` over the run; no numtorch Tensor or autograd node accumulates (gc counts); and the
  memory Python and NumPy hold (tracemalloc, over a window of the run) does not grow from step to step.
* The same seed gives bit-identical weights run to run: two fresh processes (different hash seeds) train the
  same model and every parameter, and the checkpoint file itself, agree byte for byte.
* An interrupted checkpoint write leaves the previous checkpoint intact: ``numtorch.save`` killed with SIGKILL
  halfway through a storage, or at random moments, and ``numtorch-train`` killed while writing its second
  epoch's checkpoint, which then resumes to the same weights as an uninterrupted run.

Each run is a subprocess (this file run as a script) with one BLAS thread, so the measurements see only the
training loop. ``NUMTORCH_LONG_RUN_STEPS`` sets the number of steps (default 2000).
"""
import gc
import json
import os
import resource
import signal
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest

pytestmark = pytest.mark.slow

STEPS = int(os.environ.get("NUMTORCH_LONG_RUN_STEPS", "2000"))
WARMUP = 50              # steps before the first measurement (allocator pools, BLAS buffers, first-call caches)
TRACED = 300             # steps of the window traced with tracemalloc (it slows each step down)
RSS_SLACK = 16 << 20     # bytes resident memory may grow after the warm-up (allocator arenas, not per step)
TRACED_SLACK = 64 << 10  # bytes live traced memory may grow over the second half of the traced window
HERE = os.path.abspath(__file__)
SRC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src")


def _env(**extra):
    """One BLAS thread (fast on small GEMMs, and the same summation order every run), numtorch from src/."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONHASHSEED", None)  # each process gets its own hash seed: determinism must not depend on it
    env.update(extra)
    return env


# ================================================================================ the training worker
def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _maxrss():
    """Peak resident memory: ``ru_maxrss`` (which, after fork and exec, starts at the parent's size) and
    ``VmHWM`` (this process's own high-water mark)."""
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return {"ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "VmHWM": hwm * 1024}


def _live_objects():
    """gc-tracked numtorch Tensors and autograd nodes, and all gc-tracked objects."""
    import numtorch as nt
    from numtorch.autograd.function import AccumulateGrad, Function
    gc.collect()
    objects = gc.get_objects()
    tensors = sum(isinstance(o, nt.Tensor) for o in objects)
    nodes = sum(isinstance(o, (Function, AccumulateGrad)) for o in objects)
    return {"tensors": tensors, "nodes": nodes, "objects": len(objects)}


def train_worker(steps, out_dir):
    """Train the seed's Tudui with SGD on batches of 4 images, measuring memory; save the final weights."""
    import numtorch as nt
    from numtorch.train import MODELS
    from numtorch.utils.data import DataLoader, TensorDataset

    nt.manual_seed(0)
    model = MODELS["tudui"][0](10, 3)  # the seed's network, as numtorch-train builds it
    opt = nt.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nt.nn.CrossEntropyLoss()
    data = TensorDataset(nt.randn(64, 3, 32, 32), nt.randint(0, 10, (64,)))
    loader = DataLoader(data, batch_size=4, shuffle=True, generator=nt.Generator().manual_seed(0))

    def batches():
        while True:
            yield from loader
    stream = batches()

    def step():
        x, y = next(stream)
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    initial_loss = step()
    for _ in range(WARMUP - 1):
        step()
    report = {"rss_start": _rss(), "maxrss_start": _maxrss(), "live_start": _live_objects()}
    # a traced window: live Python/NumPy memory must not grow from one half of it to the other
    tracemalloc.start()
    for _ in range(TRACED // 2):
        step()
    traced_mid = tracemalloc.get_traced_memory()[0]
    for _ in range(TRACED - TRACED // 2):
        step()
    report["traced_growth"] = tracemalloc.get_traced_memory()[0] - traced_mid
    tracemalloc.stop()
    # the rest of the run untraced (timed), writing a checkpoint every 500 steps as a training job does
    t0 = time.perf_counter()
    losses = []
    every = min(500, max((steps - TRACED) // 2, 1))
    for i in range(steps - TRACED):
        losses.append(step())
        if (i + 1) % every == 0:
            nt.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": i + 1},
                    os.path.join(out_dir, "checkpoint.pt"))
    report["step_seconds"] = (time.perf_counter() - t0) / max(steps - TRACED, 1)
    report.update(rss_end=_rss(), maxrss_end=_maxrss(), live_end=_live_objects(), steps=steps,
                  first_loss=initial_loss, last_loss=losses[-1], finite=bool(np.isfinite(losses).all()))
    nt.save(model.state_dict(), os.path.join(out_dir, "weights.pt"))
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f)


# ================================================================================ memory and determinism
def _start_training(out_dir, steps):
    out_dir.mkdir()
    return subprocess.Popen([sys.executable, HERE, "train", str(steps), str(out_dir)], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_long_training_run_is_flat_and_reproducible(tmp_path):
    import numtorch as nt
    assert STEPS > TRACED, f"NUMTORCH_LONG_RUN_STEPS must exceed the traced window of {TRACED} steps"
    runs = [tmp_path / "run1", tmp_path / "run2"]
    procs = [_start_training(d, STEPS) for d in runs]  # side by side: one core each
    for p in procs:
        out, err = p.communicate(timeout=900)
        assert p.returncode == 0, err[-2000:]
    reports = [json.loads((d / "report.json").read_text()) for d in runs]
    for r in reports:
        mib = 1 << 20
        peak0, peak1 = r["maxrss_start"], r["maxrss_end"]
        print(f"\n{r['steps']} Tudui steps (batch 4, SGD): {r['step_seconds'] * 1e3:.1f} ms/step; RSS "
              f"{r['rss_start'] / mib:.1f} -> {r['rss_end'] / mib:.1f} MiB, peak (VmHWM) {peak0['VmHWM'] / mib:.1f}"
              f" -> {peak1['VmHWM'] / mib:.1f} MiB, ru_maxrss {peak0['ru_maxrss'] / mib:.1f} -> "
              f"{peak1['ru_maxrss'] / mib:.1f} MiB; traced growth over {TRACED // 2} steps "
              f"{r['traced_growth'] / 1024:.1f} KiB; live {r['live_start']} -> {r['live_end']}; "
              f"loss {r['first_loss']:.3f} -> {r['last_loss']:.4f}")
        # (a) memory stays flat
        assert r["rss_end"] - r["rss_start"] < RSS_SLACK
        for key in ("VmHWM", "ru_maxrss"):
            assert peak1[key] - peak0[key] < RSS_SLACK, key
        assert r["traced_growth"] < TRACED_SLACK
        assert r["live_end"]["tensors"] == r["live_start"]["tensors"]  # no Tensor outlives its step
        assert r["live_end"]["nodes"] == r["live_start"]["nodes"] == 0  # no graph survives backward
        assert r["live_end"]["objects"] - r["live_start"]["objects"] < 500
        assert r["finite"] and r["last_loss"] < r["first_loss"]  # it did train
    # (b) the same seed gives the same weights, byte for byte
    w1, w2 = (nt.load(d / "weights.pt") for d in runs)
    assert list(w1) == list(w2) and len(w1) == 10
    for k in w1:
        assert w1[k].dtype == w2[k].dtype and w1[k].numpy().tobytes() == w2[k].numpy().tobytes(), k
    assert (runs[0] / "weights.pt").read_bytes() == (runs[1] / "weights.pt").read_bytes()
    assert (runs[0] / "checkpoint.pt").read_bytes() == (runs[1] / "checkpoint.pt").read_bytes()


# ================================================================================ interrupted checkpoint writes
_STALL_SAVE = r"""
import sys, time
import numtorch as nt
from numtorch import serialization
real = serialization._ZipWriter._write

def stalling(self, data):
    if len(data) > 1 << 20:  # the big storage: write half of it, make sure it is on disk, then hang
        real(self, data[:len(data) // 2])
        self.fh.flush()
        print("STALLED", self.pos, flush=True)
        time.sleep(600)
    real(self, data)

serialization._ZipWriter._write = stalling
nt.save({"w": nt.full((4_000_000,), 2.0), "version": 2}, sys.argv[1])
"""


def _leftovers(folder, keep):
    return sorted(f for f in os.listdir(folder) if f != keep)


def test_sigkill_mid_save_keeps_the_previous_checkpoint(tmp_path):
    import numtorch as nt
    path = tmp_path / "ckpt.pt"
    nt.save({"w": nt.ones(1000), "version": 1}, path)
    old = path.read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", _STALL_SAVE, str(path)], env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("STALLED"), (line, proc.stderr.read() if proc.poll() is not None else "")
        written = int(line.split()[1])
        (tmp,) = _leftovers(tmp_path, "ckpt.pt")  # the new checkpoint is being written beside the old one
        assert tmp.startswith(".ckpt.pt.") and tmp.endswith(".tmp")
        assert (tmp_path / tmp).stat().st_size == written > 8_000_000  # half the 16 MB storage is on disk
        assert path.read_bytes() == old
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    # the previous checkpoint is intact and loads unchanged
    assert path.read_bytes() == old
    back = nt.load(path)
    assert back["version"] == 1 and back["w"].numpy().tobytes() == nt.ones(1000).numpy().tobytes()
    # SIGKILL leaves the half-written temporary file (nothing can remove it); it is hidden, named for its
    # target, never read in its place, and does not stop the next save
    (tmp,) = _leftovers(tmp_path, "ckpt.pt")
    with pytest.raises(RuntimeError, match="truncated or corrupt"):
        nt.load(tmp_path / tmp)
    nt.save({"w": nt.zeros(3), "version": 3}, path)
    assert nt.load(path)["version"] == 3
    assert _leftovers(tmp_path, "ckpt.pt") == [tmp]


_SAVE_FOREVER = r"""
import sys
import numtorch as nt
i = 0
while True:
    i += 1
    nt.save({"i": i, "w": nt.full((1_000_000,), float(i))}, sys.argv[1])
    print(i, flush=True)
"""


@pytest.mark.parametrize("delay", [0.05, 0.23])
def test_sigkill_at_a_random_moment_leaves_a_whole_checkpoint(tmp_path, delay):
    """No hooks: a process saving in a loop is killed at some moment; the file is one whole checkpoint."""
    import numtorch as nt
    path = tmp_path / "loop.pt"
    proc = subprocess.Popen([sys.executable, "-c", _SAVE_FOREVER, str(path)], env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "1", proc.stderr.read() if proc.poll() is not None else ""
        time.sleep(delay)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    out = nt.load(path)
    assert out["i"] >= 1 and out["w"].shape == (1_000_000,)
    assert np.all(out["w"].numpy() == float(out["i"]))  # the values of that same save, every one of them
    assert len(_leftovers(tmp_path, "loop.pt")) <= 1  # at most the temporary file of the save that was cut


_STALL_TRAIN = r"""
import sys, time
from numtorch import serialization
from numtorch.train import main
real_archive, real_write = serialization._write_archive, serialization._ZipWriter._write
saves = []

def write_archive(fh, *args):
    saves.append(fh)
    return real_archive(fh, *args)

def write(self, data):
    if len(saves) == 2 and len(data) > 1 << 16:  # the second epoch's checkpoint, halfway through a storage
        real_write(self, data[:len(data) // 2])
        self.fh.flush()
        print("STALLED in checkpoint 2", flush=True)
        time.sleep(600)
    real_write(self, data)

serialization._write_archive = write_archive
serialization._ZipWriter._write = write
sys.exit(main(sys.argv[1:]))
"""


def test_numtorch_train_killed_while_checkpointing_resumes_exactly(tmp_path):
    """numtorch-train (Tudui on digits) is killed while writing epoch 2's checkpoint: epoch 1's checkpoint is
    intact, --resume finishes the run, and the weights equal those of a run that was never interrupted."""
    pytest.importorskip("sklearn", reason="the digits data ships with scikit-learn")
    import numtorch as nt

    def args(folder, epochs=3):
        return ["--model", "tudui", "--dataset", "digits", "--epochs", str(epochs), "--limit", "64",
                "--batch-size", "16", "--no-progress", "--no-graph", "--logdir", str(folder / "logs"),
                "--checkpoint", str(folder / "ck.pth")]
    killed, ref = tmp_path / "killed", tmp_path / "ref"
    killed.mkdir()
    ref.mkdir()
    reference = subprocess.Popen([sys.executable, "-m", "numtorch.train", *args(ref)], env=_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = subprocess.Popen([sys.executable, "-c", _STALL_TRAIN, *args(killed)], env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("STALLED"):
                break
        assert lines and lines[-1].startswith("STALLED"), ("".join(lines), proc.stderr.read())
        assert any(line.startswith("epoch 1/3") for line in lines)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    ck = nt.load(killed / "ck.pth")
    assert ck["epoch"] == 1 and ck["batch"] == 0 and len(ck["history"]) == 1
    (leftover,) = [f for f in _leftovers(killed, "ck.pth") if f != "logs"]
    assert leftover.startswith(".ck.pth.") and leftover.endswith(".tmp")

    resumed = subprocess.run([sys.executable, "-m", "numtorch.train", *args(killed), "--resume"], env=_env(),
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming from" in resumed.stdout and "epoch 3/3" in resumed.stdout
    out, err = reference.communicate(timeout=600)
    assert reference.returncode == 0, err[-2000:]
    a, b = nt.load(killed / "ck.pth"), nt.load(ref / "ck.pth")
    assert a["epoch"] == b["epoch"] == 3
    for k in b["model"]:
        assert a["model"][k].numpy().tobytes() == b["model"][k].numpy().tobytes(), k


if __name__ == "__main__":
    if sys.argv[1:2] == ["train"]:
        train_worker(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(f"usage: {sys.argv[0]} train STEPS OUT_DIR")
