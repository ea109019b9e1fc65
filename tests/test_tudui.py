"""The seed's Tudui network end to end: same output, loss, gradients and weights after training as torch."""
import numpy as np
import pytest

import numtorch as nt
from helpers import assert_close, copy_state, to_nt, to_torch, torch

pytestmark = pytest.mark.torch


def tudui_sequential(lib):
    nn = lib.nn

    class Tudui(nn.Module):
        def __init__(self):
            super().__init__()
            self.model1 = nn.Sequential(
                nn.Conv2d(in_channels=3, out_channels=32, kernel_size=5, padding=2),
                nn.MaxPool2d(kernel_size=2),
                nn.Conv2d(in_channels=32, out_channels=32, kernel_size=5, padding=2),
                nn.MaxPool2d(kernel_size=2),
                nn.Conv2d(in_channels=32, out_channels=64, kernel_size=5, padding=2),
                nn.MaxPool2d(kernel_size=2),
                nn.Flatten(),
                nn.Linear(in_features=1024, out_features=64),
                nn.Linear(in_features=64, out_features=10))

        def forward(self, x):
            return self.model1(x)
    return Tudui()


def tudui_layers(lib):
    """The seed's own variant: the layers one by one, and model1 built again from new layers (forward uses
    model1, so the one-by-one layers are unused but still in state_dict, as in torch)."""
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
            self.model1 = nn.Sequential(
                nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2), nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1024, 64),
                nn.Linear(64, 10))

        def forward(self, x):
            return self.model1(x)
    return Tudui()


def test_seed_variant_state_dict_holds_both_sets():
    sd = tudui_layers(nt).state_dict()
    assert len(sd) == 20 and "conv1.weight" in sd and "model1.0.weight" in sd
    assert list(sd) == list(tudui_layers(torch).state_dict())


@pytest.mark.parametrize("make", [tudui_sequential, tudui_layers])
def test_tudui_matches_torch_through_training(make):
    torch.manual_seed(0)
    theirs, ours = make(torch), make(nt)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_state(theirs, ours)
    out = ours(nt.ones(64, 3, 32, 32))
    assert out.shape == nt.Size([64, 10])
    assert_close(out, theirs(torch.ones(64, 3, 32, 32)), 1e-5, 1e-4, "output on ones")

    rng = np.random.default_rng(0)
    t_opt = torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9)
    n_opt = nt.optim.SGD(ours.parameters(), lr=0.01, momentum=0.9)
    t_loss_fn, n_loss_fn = torch.nn.CrossEntropyLoss(), nt.nn.CrossEntropyLoss()
    for step in range(5):
        x = rng.standard_normal((16, 3, 32, 32)).astype(np.float32)
        y = rng.integers(0, 10, 16)
        t_out = theirs(to_torch(x))
        n_out = ours(to_nt(x))
        assert_close(n_out, t_out, 1e-5, 1e-4, f"output, step {step}")
        t_loss = t_loss_fn(t_out, to_torch(y))
        n_loss = n_loss_fn(n_out, to_nt(y))
        assert_close(n_loss, t_loss, 1e-6, 1e-5, f"loss, step {step}")
        t_opt.zero_grad()
        n_opt.zero_grad()
        t_loss.backward()
        n_loss.backward()
        for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            if tp.grad is None:  # the seed variant's unused one-by-one layers
                assert p.grad is None, name
                continue
            assert_close(p.grad, tp.grad, 1e-5, 1e-3, f"grad {name}, step {step}")
        t_opt.step()
        n_opt.step()
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.detach(), tp.detach(), 1e-5, 1e-4, f"weight {name} after 5 steps")
