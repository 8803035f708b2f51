"""Generator state and manual_seed: torch's CPU generator, reproduced on the host.

torch draws from an mt19937 engine seeded with the low 32 bits of the seed; numpy's MT19937 bit
generator runs the same engine once given the same state. On it, the samplers torch programs
use most follow torch's CPU kernels draw for draw, so seeded programs print torch's numbers:
- uniform (rand, uniform_, nn.init's uniform/kaiming/xavier): 24 (float) or 53 (double) bits of
  one 32- or 64-bit draw, scaled in double;
- normal (randn, normal_): under 16 elements (or not contiguous) Box-Muller in double with the
  second value cached in the generator; from 16 elements torch's 16-wide Box-Muller over a
  buffer of uniforms, ending in an fma: for double with the C library's log/cos/sin, for float
  (and half, bfloat16) as the x86 AVX2 kernel computes it, which AVX512 CPUs run too: Cephes'
  log/sincos of avx_mathfun.h with gcc's fmas. torch built for other CPUs (arm64, x86 without
  AVX2) calls the C library's float log/cos/sin there instead: last bits differ from those;
- integers (randint, random_): a 32-bit draw (64-bit from 2**28 up) modulo the range;
- randperm: torch's swap loop over 32-bit draws;
- bernoulli (and so dropout's masks): a double uniform below p (for a tensor of p, one of
  p's precision).
The samplers that draw element by element (exponential, geometric, cauchy, log_normal, poisson,
gamma, dirichlet, binomial, multinomial) are in _random_sequential.
"""
from __future__ import annotations

import math
import os

import numpy as np

_DEFAULT_SEED = 67280421310721  # a new torch.Generator's seed
_U53 = np.uint64((1 << 53) - 1)
_U24 = np.uint64((1 << 24) - 1)
# torch's CPUGeneratorImplState (the legacy THGeneratorState, then the float normal cache)
_STATE = np.dtype([("seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"), ("next", "<u8"),
                   ("state", "<u8", 624), ("normal_x", "<f8"), ("normal_y", "<f8"),
                   ("normal_rho", "<f8"), ("normal_is_valid", "<i4"), ("pad", "<i4"),
                   ("float_normal", "<f4"), ("float_normal_valid", "u1"), ("pad2", "u1", 3)])


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
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):  # torch reads it as uint64, else int64
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & 0xFFFFFFFFFFFFFFFF
        self._bits = np.random.MT19937(0)
        self._bits.state = {"bit_generator": "MT19937",
                            "state": {"key": _mt_key(self._seed), "pos": 624}}
        self._normal = None  # Box-Muller's second value, cached as torch does
        return self

    def seed(self) -> int:
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """torch's CPUGeneratorImplState, byte for byte (5056 bytes): mt19937's seed, position
        and state, then the cached normal value."""
        from ._creation import tensor
        key, pos = self._bits.state["state"]["key"], int(self._bits.state["state"]["pos"])
        st = np.zeros((), _STATE)
        st["seed"], st["left"], st["seeded"], st["next"] = self._seed, 625 - pos, 1, pos % 624
        st["state"] = key
        if self._normal is not None:
            st["normal_y"], st["normal_is_valid"] = self._normal, 1
        return tensor(np.frombuffer(st.tobytes(), np.uint8).copy())

    def set_state(self, state) -> None:
        from ._tensor import Tensor
        if not isinstance(state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(state).__name__}")
        if state.dtype.name != "uint8":
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = np.asarray(state._data).tobytes()
        if len(raw) != _STATE.itemsize:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE.itemsize} "
                               f"but found the input RNG state size to be {len(raw)}")
        st = np.frombuffer(raw, _STATE)[0]
        if not (st["seeded"] and 0 < st["left"] <= 624 and int(st["next"]) & 0xFFFFFFFF <= 624):
            raise RuntimeError("Invalid mt19937 state")  # torch's engine check
        self._seed = int(st["seed"])
        self._bits.state = {"bit_generator": "MT19937", "state": {
            "key": st["state"].astype(np.uint32), "pos": 625 - int(st["left"])}}
        self._normal = float(st["normal_y"]) if st["normal_is_valid"] else None

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
            out[i] = z
        # the kernel is compiled with fma: z * std + mean rounds once
        return _fma64(out, float(std), float(mean)).astype(dtype).reshape(shape)

    def _normal_fill(self, n, dtype, mean, std) -> np.ndarray:
        double = dtype == np.float64
        full = n - n % 16
        # float and double draw a uniform per element first; half and bfloat16 per whole chunk
        data = self._unit(n if dtype in (np.float32, np.float64) else full, double)
        out = np.empty(n, dtype)
        out[:full] = _box_muller16(data[:full].reshape(-1, 16), double, mean, std).ravel()
        if n % 16:  # torch redraws the last 16 values
            out[n - 16:] = _box_muller16(self._unit(16, double).reshape(1, 16), double, mean, std)
        return out

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


def _box_muller16(data, double, mean, std):
    """torch's NormalFill16 on rows of 16 uniforms: pairs (j, j + 8) become two normal values."""
    if double:  # the scalar kernel: the C library's log/cos/sin, which math calls (numpy's
        # own log differs in the last bit now and then)
        radius = np.sqrt(-2.0 * _libm(math.log, 1.0 - data[:, :8]))
        theta = 2.0 * math.pi * data[:, 8:]
        return np.concatenate([_fma64(radius * _libm(math.cos, theta), std, mean),
                               _fma64(radius * _libm(math.sin, theta), std, mean)], axis=1)
    # float: the AVX2 kernel (AVX512 CPUs run it too) with avx_mathfun's log256_ps/sincos256_ps
    f = np.float32
    data = data.astype(f)
    radius = np.sqrt(f(-2) * _log256(f(1) - data[:, :8]))
    sin, cos = _sincos256(f(2 * math.pi) * data[:, 8:])
    mean, std = f(mean), f(std)
    return np.concatenate([_fma32(radius * cos, std, mean), _fma32(radius * sin, std, mean)],
                          axis=1)


def _libm(fn, x):
    """fn (one of math's, i.e. the C library's) on each element of a double array."""
    return np.fromiter(map(fn, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)


# avx_mathfun.h (Cephes' logf/sinf/cosf, 8 floats at a time) as torch's AVX2 kernel runs it:
# gcc contracts each product that feeds an addition into an fma, which _fma32 reproduces.
_SQRTHF = np.float32(0.707106781186547524)
_LOG_P = np.array([7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
                   1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
                   3.3333331174E-1], np.float32)
_LOG_Q1, _LOG_Q2 = np.float32(-2.12194440e-4), np.float32(0.693359375)
_DP = np.array([-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8], np.float32)
_SINCOF = np.array([-1.9515295891E-4, 8.3321608736E-3, -1.6666654611E-1], np.float32)
_COSCOF = np.array([2.443315711809948E-005, -1.388731625493765E-003, 4.166664568298827E-002],
                   np.float32)
_FOPI = np.float32(1.27323954473516)  # 4 / pi


def _log256(x):
    """log256_ps: log of positive floats."""
    f = np.float32
    bits = np.maximum(x, np.float32(2.0 ** -126)).view(np.uint32)  # denormals cut off
    e = ((bits >> 23).astype(np.int32) - 127).astype(f) + f(1)
    x = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(f)  # mantissa in [.5, 1)
    small = x < _SQRTHF  # then e -= 1, x = 2x - 1, else x = x - 1
    e = e - small.astype(f)
    x = (x - f(1)) + np.where(small, x, f(0))
    z = x * x
    y = np.full_like(x, _LOG_P[0])
    for p in _LOG_P[1:]:
        y = _fma32(y, x, p)
    y = _fma32(y * x, z, e * _LOG_Q1)
    y = y - z * f(0.5)
    return (x + y) + e * _LOG_Q2  # e * q2 is exact: no fma to mind


def _sincos256(x):
    """sincos256_ps: (sin, cos) of floats."""
    f = np.float32
    ax = np.abs(x)
    j = (ax * _FOPI).astype(np.int32)
    j = (j + 1) & ~1  # the octant, made even
    y = j.astype(f)
    for dp in _DP:  # x - j * pi / 4 in three steps
        ax = _fma32(y, dp, ax)
    z = ax * ax
    cos = _fma32(_fma32(np.full_like(z, _COSCOF[0]), z, _COSCOF[1]), z, _COSCOF[2])
    cos = _fma32(cos * z, z, -(z * f(0.5))) + f(1)
    sin = _fma32(_fma32(np.full_like(z, _SINCOF[0]), z, _SINCOF[1]), z, _SINCOF[2])
    sin = _fma32(sin * z, ax, ax)
    swap = (j & 2) != 0
    sin, cos = np.where(swap, cos, sin), np.where(swap, sin, cos)
    sin = np.where((x < 0) ^ ((j & 4) != 0), -sin, sin)
    cos = np.where((~(j - 2) & 4) != 0, -cos, cos)
    return sin, cos


def _two_sum(a, b):
    """a + b and its rounding error, exactly."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_odd(s, err):
    """s + err (s = its nearest double) rounded to odd: the neighbour with an odd last bit."""
    bits = s.view(np.int64)
    nudge = (err != 0) & ((bits & 1) == 0)
    return np.where(nudge, (bits + np.where((err > 0) == (s > 0), 1, -1)).view(np.float64), s)


def _fma32(a, b, c):
    """fmaf on float arrays: the product is exact in double and so is rounding the sum to float,
    but where the double sum is a midpoint of two floats (or below their normal range): there
    the sum is rounded to odd in double first."""
    p = a.astype(np.float64) * np.asarray(b, np.float64)
    c = np.broadcast_to(np.asarray(c, np.float64), p.shape)
    s = p + c
    hard = ((s.view(np.int64) & 0x1FFFFFFF) == 0x10000000) | (np.abs(s) < 2.0 ** -126)
    if hard.any():
        s[hard] = _round_odd(*_two_sum(p[hard], c[hard]))
    with np.errstate(over="ignore"):
        return s.astype(np.float32)


def _fma64(a, b, c):
    """fma on double arrays (Boldo and Melquiond's emulation: exact product and sums, the low
    part rounded to odd)."""
    if b == 1:
        return a + c
    split = 134217729.0 * a  # Veltkamp: a = ah + al with 26-bit halves (b is a number)
    ah = split - (split - a)
    al = a - ah
    bh = 134217729.0 * b - (134217729.0 * b - b)
    bl = b - bh
    uh = a * b
    ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl
    th, tl = _two_sum(np.float64(c), uh)
    out = th + _round_odd(*_two_sum(tl, ul))
    return np.where(np.isfinite(out), out, a * b + c)  # overflowing splits: plain a * b + c


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
