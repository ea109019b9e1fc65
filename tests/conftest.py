import os
import sys

import pytest

# Built-in ops that return gradients of the wrong dtype fail loudly under test.
os.environ.setdefault("NUMTORCH_STRICT_GRAD_DTYPE", "1")
sys.path.insert(0, os.path.dirname(__file__))

try:
    import torch  # noqa: F401
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False


def pytest_collection_modifyitems(config, items):
    if HAVE_TORCH:
        return
    skip = pytest.mark.skip(reason="torch is not installed: the parity tests need torch==2.13.0 as the oracle "
                                   "(the README's test command installs it)")
    for item in items:
        if "torch" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed_and_defaults():
    import numtorch
    numtorch.manual_seed(0)
    yield
    numtorch.set_default_dtype(numtorch.float32)
    numtorch.autograd.grad_mode.GradMode.enabled = True
