"""Generator state and manual_seed: torch's CPU generator, reproduced on the host.

torch draws from an mt19937 engine seeded with the low 32 bits of the seed; numpy's MT19937 bit
generator runs the same engine once given the same state. On it, the samplers torch programs
use most follow torch's CPU kernels draw for draw, so seeded programs print torch's numbers:
- uniform (rand, uniform_, nn.init's uniform/kaiming/xavier): 24 (float) or 53 (double) bits of
  one 32- or 64-bit draw, scaled in double;
- normal (randn, normal_): under 16 elements (or not contiguous) Box-Muller in double with the
  second value cached in the generator; from 16 elements torch's 16-wide Box-Muller over a
  buffer of uniforms (there torch calls the C library's float log/sin/cos, which numpy does not
  reproduce bit for bit: about a third of float32 values differ in the last bit);
- integers (randint, random_): a 32-bit draw (64-bit from 2**28 up) modulo the range;
- randperm: torch's swap loop over 32-bit draws;
- bernoulli (and so dropout's masks): a double uniform below p (for a tensor of p, one of
  p's precision).
Other distributions (exponential, cauchy, multinomial, ...) come from a numpy Generator
seeded with the same seed: their values differ from torch's.
"""
from __future__ import annotations

import math
import os
import pickle

import numpy as np

_DEFAULT_SEED = 67280421310721  # a new torch.Generator's seed
_U53 = np.uint64((1 << 53) - 1)
_U24 = np.uint64((1 << 24) - 1)


def _mt_key(seed: int) -> np.ndarray:
    """mt19937's initial state for a 32-bit seed (init_genrand)."""
    key = np.empty(624, np.uint32)
    x = key[0] = seed & 0xFFFFFFFF
    for j in range(1, 624):
        x = (1812433253 * (x ^ (x >> 30)) + j) & 0xFFFFFFFF
        key[j] = x
    return key


class Generator:
    """torch.Generator (CPU)."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed) & 0xFFFFFFFFFFFFFFFF
        self._bits = np.random.MT19937(0)
        self._bits.state = {"bit_generator": "MT19937",
                            "state": {"key": _mt_key(self._seed), "pos": 624}}
        self._normal = None  # Box-Muller's second value, cached as torch does
        self.aux = np.random.default_rng(self._seed)  # the distributions torch's can't match
        return self

    def seed(self) -> int:
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        from ._creation import tensor
        state = (self._seed, self._bits.state, self._normal, self.aux.bit_generator.state)
        return tensor(np.frombuffer(pickle.dumps(state), np.uint8).copy())

    def set_state(self, state) -> None:
        self._seed, bits, self._normal, aux = pickle.loads(np.asarray(state).tobytes())
        self._bits.state = bits
        self.aux.bit_generator.state = aux

    # ---- torch's draws ---------------------------------------------------------------------
    def _u32(self, n: int) -> np.ndarray:
        return self._bits.random_raw(n)

    def _u64(self, n: int) -> np.ndarray:
        r = self._bits.random_raw(2 * n).reshape(n, 2)
        return (r[:, 0] << np.uint64(32)) | r[:, 1]

    def _unit(self, n: int, double: bool) -> np.ndarray:
        """torch's uniform_real_distribution(0, 1) draws, as float64 values."""
        if double:
            return (self._u64(n) & _U53).astype(np.float64) * 2.0 ** -53
        return (self._u32(n) & _U24).astype(np.float64) * 2.0 ** -24

    def uniform(self, shape, dtype, low=0.0, high=1.0) -> np.ndarray:
        """uniform_(low, high) of a tensor of numpy dtype `dtype` (rand: 0, 1)."""
        dtype = np.dtype(dtype)
        n = math.prod(shape)
        if dtype == np.float64:
            vals = self._unit(n, True) * (high - low) + low
        else:  # float's opmath: float bounds and span, the rest in double
            lo, hi = np.float32(low), np.float32(high)
            vals = self._unit(n, False) * float(hi - lo) + float(lo)
        out = vals.astype(dtype)
        out[out == np.asarray(high).astype(dtype)] = np.asarray(low).astype(dtype)
        return out.reshape(shape)

    def normal(self, shape, dtype, mean=0.0, std=1.0, contiguous=True) -> np.ndarray:
        """normal_(mean, std) of a tensor of numpy dtype `dtype` (randn: 0, 1)."""
        dtype = np.dtype(dtype)
        n = math.prod(shape)
        if n >= 16 and contiguous:
            return self._normal_fill(n, dtype, mean, std).reshape(shape)
        out = np.empty(n, np.float64)
        for i in range(n):
            if self._normal is not None:
                z, self._normal = self._normal, None
            else:
                u1, u2 = self._unit(2, True)
                r = math.sqrt(-2.0 * math.log1p(-u2))
                theta = 2.0 * math.pi * u1
                self._normal = r * math.sin(theta)
                z = r * math.cos(theta)
            out[i] = z * std + mean
        return out.astype(dtype).reshape(shape)

    def _normal_fill(self, n, dtype, mean, std) -> np.ndarray:
        double = dtype == np.float64
        op = np.float64 if double else np.float32  # torch's opmath type
        # float and double draw a uniform per element first; half and bfloat16 per whole chunk
        data = self._unit(n if dtype in (np.float32, np.float64) else n - n % 16, double)
        data = np.concatenate([data, np.zeros(n - len(data))]).astype(op)
        for i in range(0, n - 15, 16):
            data[i:i + 16] = _box_muller16(data[i:i + 16], op, mean, std)
        if n % 16:  # torch redraws the last 16 values
            data[n - 16:] = _box_muller16(self._unit(16, double).astype(op), op, mean, std)
        return data.astype(dtype)

    def bernoulli(self, shape, p) -> np.ndarray:
        """bernoulli_(p) for a number p (dropout's mask too): a double uniform below p."""
        return self._unit(math.prod(shape), True).reshape(shape) < p

    def bernoulli_probs(self, probs: np.ndarray) -> np.ndarray:
        """bernoulli(probs) / bernoulli_(probs tensor): a uniform of p's precision (double for
        float64 p, else float) below each p."""
        double = probs.dtype == np.float64
        u = self._unit(probs.size, double).reshape(probs.shape)
        return u < (probs if double else probs.astype(np.float32))

    def integers(self, low: int, high: int, shape) -> np.ndarray:
        """random_(low, high) / randint draws as int64: a draw modulo the range."""
        n, span = math.prod(shape), high - low
        draws = self._u64(n) if span >= 1 << 28 else self._u32(n)
        return ((draws % np.uint64(span)).astype(np.int64) + low).reshape(shape)

    def int64(self) -> int:
        """torch.empty((), dtype=torch.int64).random_().item()."""
        return int(self._u64(1)[0] % np.uint64(1 << 63))

    def permutation(self, n: int) -> np.ndarray:
        """randperm(n): torch's swap loop."""
        perm = list(range(n))
        draws = self._u32(max(n - 1, 0)).tolist()
        for i in range(n - 1):
            z = draws[i] % (n - i) + i
            perm[i], perm[z] = perm[z], perm[i]
        return np.asarray(perm, np.int64)


def _box_muller16(data, op, mean, std):
    """torch's NormalFill16 on 16 uniforms: pairs (j, j + 8) become two normal values."""
    u1, u2 = op(1) - data[:8], data[8:]
    if op is np.float64:
        radius = np.sqrt(-2.0 * np.log(u1))
        theta = 2.0 * math.pi * u2
        return np.concatenate([radius * np.cos(theta) * std + mean,
                               radius * np.sin(theta) * std + mean])
    f = np.float32  # float math, each step rounded to float (log/sin/cos: correctly rounded)
    radius = np.sqrt(f(-2) * np.log(u1.astype(np.float64)).astype(f))
    theta = (2.0 * math.pi * u2.astype(np.float64)).astype(f).astype(np.float64)
    a = radius * np.cos(theta).astype(f)
    b = radius * np.sin(theta).astype(f)
    return np.concatenate([(a.astype(np.float64) * f(std) + f(mean)).astype(f),
                           (b.astype(np.float64) * f(std) + f(mean)).astype(f)])


default_generator = Generator()
default_generator.seed()  # as torch: each process starts from a nondeterministic seed


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


def rng(generator: Generator | None = None) -> Generator:
    return generator or default_generator
