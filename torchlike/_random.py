"""Generator state and manual_seed. Draws happen on the host (numpy), then move to the device:
no compile per shape. Streams differ from torch's mt19937 (matching them is a later goal)."""
from __future__ import annotations

import numpy as np


class Generator:
    """torch.Generator: a seeded host random stream."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721  # torch's default_generator initial seed
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed & 0xFFFFFFFFFFFFFFFF)
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy) & 0x7FFFFFFFFFFFFFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        from ._creation import tensor
        import pickle
        data = np.frombuffer(pickle.dumps(self._rng.bit_generator.state), np.uint8)
        return tensor(data.copy())

    def set_state(self, state) -> None:
        import pickle
        self._rng.bit_generator.state = pickle.loads(np.asarray(state).tobytes())


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


def rng(generator: Generator | None = None) -> np.random.Generator:
    return (generator or default_generator)._rng
