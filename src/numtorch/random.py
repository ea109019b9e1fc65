"""Random-number generation: ``Generator``, ``manual_seed`` and the default generator.

numtorch draws from NumPy's PCG64 generator. The same seed always gives the same numbers in numtorch, but
not the numbers torch's Mersenne-Twister draws: tests that compare with torch copy weights across instead.
"""
import json

import numpy as np

from ._device import check_device

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator", "fork_rng"]

_DEFAULT_SEED = 67280421310721  # torch's default seed, so that an unseeded run is repeatable as in torch


class Generator:
    """A source of random numbers (torch.Generator): ``Generator().manual_seed(0)``."""

    def __init__(self, device="cpu"):
        check_device(device, "generator")
        self._seed = _DEFAULT_SEED
        self.np = np.random.Generator(np.random.PCG64(self._seed))

    @property
    def device(self):
        from ._device import CPU
        return CPU

    def manual_seed(self, seed):
        """Reset the generator to the stream of ``seed`` and return it."""
        seed = int(seed)
        if seed < -0x8000_0000_0000_0000 or seed > 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError(f"Overflow when unpacking long long: seed {seed} is out of range")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self.np = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        """Seed from the operating system's entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The full generator state as a uint8 tensor (save it to resume the same stream later)."""
        from ._tensor import _from_array
        blob = json.dumps({"seed": self._seed, "state": self.np.bit_generator.state}).encode()
        return _from_array(np.frombuffer(blob, dtype=np.uint8).copy())

    def set_state(self, new_state):
        """Restore a state returned by :meth:`get_state`."""
        from ._tensor import Tensor
        arr = new_state._data if isinstance(new_state, Tensor) else np.asarray(new_state)
        if arr.dtype != np.uint8 or arr.ndim != 1:
            raise RuntimeError(f"expected a 1-D uint8 tensor as the RNG state, got {arr.dtype} with shape "
                               f"{list(arr.shape)}")
        try:
            st = json.loads(arr.tobytes().decode())
            bg = np.random.PCG64()
            bg.state = st["state"]
        except (ValueError, KeyError, TypeError) as e:
            raise RuntimeError(f"invalid RNG state: {e}") from None
        self._seed = st["seed"]
        self.np = np.random.Generator(bg)
        return self

    def __getstate__(self):
        return {"seed": self._seed, "state": self.np.bit_generator.state}

    def __setstate__(self, st):
        self._seed = st["seed"]
        bg = np.random.PCG64()
        bg.state = st["state"]
        self.np = np.random.Generator(bg)


default_generator = Generator()


def _gen(generator):
    """The NumPy generator behind ``generator`` (or the default one)."""
    return (generator or default_generator).np


def manual_seed(seed):
    """Seed the default generator; returns it, as torch does."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


class fork_rng:
    """Context manager that restores the default generator's state on exit."""

    def __init__(self, devices=None, enabled=True, **kwargs):
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            self._state = get_rng_state()

    def __exit__(self, *exc):
        if self.enabled:
            set_rng_state(self._state)
        return False
