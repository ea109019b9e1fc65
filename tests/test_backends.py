"""``numtorch.backends`` and ``numtorch.accelerator`` answer as torch does on a CPU-only machine, so the
PyTorch tutorials' device-selection lines and the usual backend switches run unchanged."""
import pytest

import numtorch
from helpers import torch


def test_tutorial_device_selection_gives_cpu():
    device = ("cuda" if numtorch.cuda.is_available() else "mps" if numtorch.backends.mps.is_available()
              else "cpu")
    assert device == "cpu"
    device = (numtorch.accelerator.current_accelerator().type if numtorch.accelerator.is_available()
              else "cpu")
    assert device == "cpu"
    assert numtorch.nn.Linear(2, 2).to(device)(numtorch.ones(1, 2, device=device)).shape == (1, 2)


def test_backend_switches_are_accepted():
    import numtorch.backends.cudnn as cudnn
    cudnn.benchmark = True
    cudnn.deterministic = True
    numtorch.backends.cuda.matmul.allow_tf32 = True
    try:
        assert numtorch.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = False
        cudnn.deterministic = False
        numtorch.backends.cuda.matmul.allow_tf32 = False


@pytest.mark.torch
@pytest.mark.parametrize("query", [
    lambda L: L.backends.mps.is_available(), lambda L: L.backends.mps.is_built(),
    lambda L: L.backends.cudnn.is_available(), lambda L: L.backends.cudnn.enabled,
    lambda L: L.backends.cudnn.benchmark, lambda L: L.backends.cudnn.deterministic,
    lambda L: L.backends.cuda.is_built(), lambda L: L.backends.cuda.matmul.allow_tf32,
    lambda L: L.accelerator.is_available(), lambda L: L.accelerator.current_accelerator(),
    lambda L: L.accelerator.device_count(), lambda L: L.cuda.is_available(), lambda L: L.cuda.device_count(),
])
def test_answers_match_cpu_only_torch(query):
    if torch.cuda.is_available():
        pytest.skip("the oracle is a CPU-only torch build")
    assert query(numtorch) == query(torch)
