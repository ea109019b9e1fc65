"""The main job, numtorch-train: end to end, exact resume, Ctrl-C, and clear errors for bad input."""
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import numtorch as nt
from numtorch import train

pytest.importorskip("sklearn", reason="the digits data ships with scikit-learn")


def run(tmp_path, *args, expect=0):
    """Run the command in-process; return its exit status and what it printed."""
    argv = ["--no-progress", "--logdir", str(tmp_path / "logs"), "--checkpoint", str(tmp_path / "ck.pth"),
            *args]
    code = train.main(argv)
    assert code == expect, f"exit status {code}, expected {expect}"
    return code


def weights(path):
    return {k: v.numpy().copy() for k, v in nt.load(path)["model"].items()}


def test_end_to_end_small_subset(tmp_path, capsys):
    run(tmp_path, "--model", "mlp", "--epochs", "2", "--limit", "256", "--no-graph")
    out = capsys.readouterr().out
    assert "epoch 2/2" in out and "held-out accuracy" in out and "tensorboard --logdir" in out
    ck = nt.load(tmp_path / "ck.pth")
    assert ck["epoch"] == 2 and ck["model_name"] == "mlp" and len(ck["history"]) == 2
    assert os.listdir(tmp_path / "logs")


def test_resume_gives_identical_weights(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    common = ["--model", "lenet", "--limit", "192", "--batch-size", "32", "--no-graph"]
    run(a, *common, "--epochs", "2")
    run(b, *common, "--epochs", "1")
    run(b, *common, "--epochs", "2", "--resume")
    wa, wb = weights(a / "ck.pth"), weights(b / "ck.pth")
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)
    sa, sb = nt.load(a / "ck.pth")["optimizer"], nt.load(b / "ck.pth")["optimizer"]
    for i in sa["state"]:
        for key in sa["state"][i]:
            np.testing.assert_array_equal(sa["state"][i][key].numpy(), sb["state"][i][key].numpy())


@pytest.mark.parametrize("workers", [0, 2])
def test_ctrl_c_saves_and_resume_continues(tmp_path, workers):
    """Ctrl-C mid-epoch (SIGINT to the whole process group, as a terminal sends it, DataLoader workers
    included) saves a checkpoint and exits cleanly; --resume finishes with the same weights."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    args = [sys.executable, "-m", "numtorch.train", "--model", "mlp", "--epochs", "3", "--batch-size", "8",
            "--limit", "400", "--no-progress", "--no-graph", "--workers", str(workers), "--logdir",
            str(tmp_path / "logs"), "--checkpoint", str(tmp_path / "ck.pth")]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    # Interrupt as soon as the first epoch is reported: the second is then under way.
    assert "numtorch-train:" in proc.stdout.readline()
    assert "epoch 1/3" in proc.stdout.readline()
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert "interrupted: saved" in out and "Traceback" not in err
    ck = nt.load(tmp_path / "ck.pth")
    assert ck["epoch"] < 3
    done = subprocess.run(args + ["--resume"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    ref = tmp_path / "ref"
    ref.mkdir()
    subprocess.run(args[:-4] + ["--logdir", str(ref / "logs"), "--checkpoint", str(ref / "ck.pth")],
                   check=True, capture_output=True, env=env, timeout=300)
    wa, wb = weights(tmp_path / "ck.pth"), weights(ref / "ck.pth")
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)


def _ctrl_c_during_adam_update(monkeypatch, at_call, times=1):
    """Deliver Ctrl-C (``times`` SIGINTs) from inside the ``at_call``-th per-parameter Adam update, after that
    parameter has been updated and before the others are: the worst moment for a checkpoint."""
    from numtorch.optim import adam
    real = adam._adam_update
    calls = {"n": 0}

    def update(*a, **k):
        out = real(*a, **k)
        calls["n"] += 1
        if calls["n"] == at_call:
            for _ in range(times):
                os.kill(os.getpid(), signal.SIGINT)
        return out
    monkeypatch.setattr(adam, "_adam_update", update)


def test_ctrl_c_inside_an_optimizer_step_still_resumes_exactly(tmp_path, monkeypatch, capsys):
    """Ctrl-C is acted on between batches, never halfway through a step: the resumed run ends with the
    uninterrupted run's weights, bit for bit."""
    common = ["--model", "mlp", "--epochs", "2", "--batch-size", "16", "--limit", "160", "--no-graph"]
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    run(a, *common)
    # 10 batches per epoch, 6 parameters: update 6 * 12 + 2 is inside the second epoch's third step
    _ctrl_c_during_adam_update(monkeypatch, at_call=6 * 12 + 2)
    run(b, *common, expect=130)
    assert "interrupted: saved" in capsys.readouterr().out
    ck = nt.load(b / "ck.pth")
    assert (ck["epoch"], ck["batch"]) == (1, 3)
    monkeypatch.undo()
    run(b, *common, "--resume")
    wa, wb = weights(a / "ck.pth"), weights(b / "ck.pth")
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)


def test_second_ctrl_c_stops_without_saving(tmp_path, monkeypatch, capsys):
    common = ["--model", "mlp", "--epochs", "2", "--batch-size", "16", "--limit", "160", "--no-graph"]
    _ctrl_c_during_adam_update(monkeypatch, at_call=6 * 12 + 2, times=2)
    run(tmp_path, *common, expect=130)
    err = capsys.readouterr().err
    assert "interrupted again" in err and "Traceback" not in err
    assert nt.load(tmp_path / "ck.pth")["epoch"] == 1      # the first epoch's checkpoint, untouched


def test_unknown_model_is_a_clear_error(capsys):
    with pytest.raises(SystemExit) as e:
        train.main(["--model", "resnet152"])
    assert e.value.code == 2
    assert "invalid choice: 'resnet152'" in capsys.readouterr().err


def test_missing_cifar_data_dir(tmp_path, capsys):
    run(tmp_path, "--dataset", "cifar10", "--data-dir", str(tmp_path / "nowhere"), "--no-download", expect=2)
    err = capsys.readouterr().err
    assert "CIFAR-10 not found" in err and "Traceback" not in err


def test_corrupt_checkpoint(tmp_path, capsys):
    (tmp_path / "ck.pth").write_bytes(b"PK\x03\x04 this is not a checkpoint")
    run(tmp_path, "--model", "mlp", "--limit", "64", "--resume", expect=2)
    err = capsys.readouterr().err
    assert "cannot read checkpoint" in err and "Traceback" not in err


def test_checkpoint_from_another_model(tmp_path, capsys):
    run(tmp_path, "--model", "mlp", "--epochs", "1", "--limit", "64", "--no-graph")
    ck = nt.load(tmp_path / "ck.pth")
    ck["model_name"] = "lenet"  # pretend it was saved by the same name: the keys must still be checked
    nt.save(ck, tmp_path / "ck.pth")
    run(tmp_path, "--model", "lenet", "--epochs", "2", "--limit", "64", "--resume", expect=2)
    err = capsys.readouterr().err
    assert "does not fit model 'lenet'" in err
    assert "Missing key(s) in state_dict" in err and "features.0.weight" in err
    assert "Unexpected key(s)" in err and "net.1.weight" in err


def test_unwritable_logdir(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = train.main(["--no-progress", "--logdir", str(blocker / "logs"), "--checkpoint",
                       str(tmp_path / "ck.pth"), "--model", "mlp"])
    assert code == 2
    assert "log directory" in capsys.readouterr().err


def test_console_script_is_declared():
    import tomllib
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(here, "pyproject.toml"), "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    assert scripts["numtorch-train"] == "numtorch.train:main"


@pytest.mark.parametrize("dataset,folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_mnist_datasets_from_data_dir(tmp_path, capsys, dataset, folder):
    """The MNIST-format datasets train from --data-dir without downloading (tiny files in torchvision's layout)."""
    from test_mnist import idx_bytes, tiny_files
    raw = tmp_path / "data" / folder / "raw"
    raw.mkdir(parents=True)
    for name, array in tiny_files(n_train=40, n_test=12).items():
        (raw / name).write_bytes(idx_bytes(array))
    run(tmp_path, "--model", "tudui", "--dataset", dataset, "--data-dir", str(tmp_path / "data"), "--no-download",
        "--epochs", "1", "--batch-size", "16", "--no-graph")
    out = capsys.readouterr().out
    assert "(40 train / 12 test)" in out and "epoch 1/1" in out
    assert nt.load(tmp_path / "ck.pth")["dataset"] == dataset


def test_missing_mnist_data_dir(tmp_path, capsys):
    run(tmp_path, "--dataset", "mnist", "--data-dir", str(tmp_path / "nowhere"), "--no-download", expect=2)
    err = capsys.readouterr().err
    assert "MNIST not found under --data-dir" in err and "Traceback" not in err
