"""torch's CPU samplers that draw one value at a time, element after element, from the generator:
exponential_, geometric_, cauchy_, log_normal_, poisson, _standard_gamma, _sample_dirichlet,
binomial and multinomial with replacement. Each follows torch's kernel (ATen's
DistributionsHelper.h / TransformationHelper.h transformations, Distributions.h's gamma and
binomial samplers, the CPU multinomial kernel) draw for draw, so seeded programs print torch's
numbers.

Those kernels compute in double with the C library's math functions (Python's `math` calls the
same ones; numpy's own log/exp differ in the last bit now and then), so the element loops run in
Python. Rejection samplers draw a varying number of values per element: `_Draws` fetches raw
32-bit words in blocks and, when done, leaves the generator exactly as far on as torch's would be.
"""
from __future__ import annotations

import math

import numpy as np

from ._random import _fma64, _libm

_U53 = (1 << 53) - 1


class _Draws:
    """Sequential draws from a torchlike Generator, as torch's CPU generator makes them."""

    def __init__(self, gen, hint: int):
        self.gen = gen
        self.start = gen._bits.state
        self.words: list[int] = []
        self.pos = 0
        self.block = max(64, hint)

    def _u32(self) -> int:
        if self.pos == len(self.words):
            self.words += self.gen._bits.random_raw(self.block).tolist()
            self.block *= 2
        self.pos += 1
        return self.words[self.pos - 1]

    def uniform(self) -> float:
        """uniform_real_distribution<double>(0, 1): 53 bits of one 64-bit draw."""
        hi = self._u32()
        return ((((hi << 32) | self._u32()) & _U53) * 2.0 ** -53)

    def normal(self) -> float:
        """normal_distribution<double>(0, 1): Box-Muller, the second value cached in the
        generator (the cache torch's normal_ and randn share)."""
        gen = self.gen
        if gen._normal is not None:
            z, gen._normal = gen._normal, None
            return z
        u1, u2 = self.uniform(), self.uniform()
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        gen._normal = r * math.sin(theta)
        return r * math.cos(theta)

    def close(self) -> None:
        """Leave the generator where torch's would be: just past the words used."""
        self.gen._bits.state = self.start
        if self.pos:
            self.gen._bits.random_raw(self.pos)


def _each(gen, n: int, per_element: int, sample) -> np.ndarray:
    draws = _Draws(gen, n * per_element + 16)
    try:
        return np.fromiter((sample(draws) for _ in range(n)), np.float64, n)
    finally:
        draws.close()


def exponential(gen, n: int, lambd: float) -> np.ndarray:
    return _each(gen, n, 2, lambda d: -1.0 / lambd * math.log1p(-d.uniform()))


def geometric(gen, n: int, p: float) -> np.ndarray:
    denom = math.log1p(-p)
    return _each(gen, n, 2, lambda d: math.ceil(math.log(d.uniform()) / denom))


# torch's kernel files under native/cpu are compiled with fma: `a * b + c` becomes fma(a, b, c)
def cauchy(gen, n: int, median: float, sigma: float) -> np.ndarray:
    tans = _each(gen, n, 2, lambda d: math.tan(math.pi * (d.uniform() - 0.5)))
    return _fma64(tans, float(sigma), median)


def log_normal(gen, n: int, mean: float, std: float) -> np.ndarray:
    return _libm(math.exp, _fma64(_each(gen, n, 2, lambda d: d.normal()), float(std), mean))


# ---- samplers with a parameter per element -------------------------------------------------
def _per_element(gen, params: list[np.ndarray], per_element: int, sample) -> np.ndarray:
    """sample(draws, *values) over the elements of the (equal-shaped) params, in order."""
    flat = [p.reshape(-1).tolist() for p in params]
    n = len(flat[0]) if flat else 0
    draws = _Draws(gen, n * per_element + 16)
    try:
        return np.fromiter((sample(draws, *vals) for vals in zip(*flat)), np.float64, n)
    finally:
        draws.close()


def _poisson_one(d: _Draws, lam: float) -> float:
    """sample_poisson: Hoermann's transformed rejection from 10 up, else multiplying uniforms."""
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = d.uniform() - 0.5
            v = d.uniform()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - math.lgamma(k + 1.0)):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= d.uniform()
        if prod <= enlam:
            return x
        x += 1


def poisson(gen, rates: np.ndarray) -> np.ndarray:
    return _per_element(gen, [rates.astype(np.float64)], 2, _poisson_one).reshape(rates.shape)


_THIRD32 = float(np.float32(1.0) / np.float32(3.0))  # the kernel's 1.0f / 3.0f
_C32 = float(np.float32(0.0331))


def _gamma_one(d: _Draws, alpha, single: bool) -> float:
    """sample_gamma (Marsaglia and Tsang, small alpha boosted) with torch's arithmetic: alpha's
    own type (float32 when `single`) where the kernel uses scalar_t, double elsewhere."""
    f = np.float32 if single else float
    alpha = f(alpha)
    scale = 1.0
    if alpha < 1:
        if alpha == 0:
            return 0.0
        scale *= (1.0 - d.uniform()) ** float(f(1.0) / alpha)
        alpha = f(alpha + f(1.0))
    dd = float(f(alpha - f(_THIRD32)))
    c = 1.0 / math.sqrt(9.0 * dd)
    while True:
        while True:
            x = d.normal()
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1.0 - d.uniform()
        xx = x * x
        if u < 1.0 - _C32 * xx * xx or math.log(u) < 0.5 * xx + dd * (1.0 - v + math.log(v)):
            return float(f(scale * dd * v))


def standard_gamma(gen, alpha: np.ndarray) -> np.ndarray:
    """_standard_gamma: a Gamma(alpha, 1) sample per element, at least the dtype's smallest
    normal number."""
    single = alpha.dtype != np.float64
    out = _per_element(gen, [alpha], 4, lambda d, a: _gamma_one(d, a, single))
    tiny = np.finfo(np.float32 if single else np.float64).tiny
    return np.maximum(out.astype(alpha.dtype), tiny).reshape(alpha.shape)


def sample_dirichlet(gen, alpha: np.ndarray) -> np.ndarray:
    """_sample_dirichlet: double gammas, normalised along the last dimension, clamped into
    [smallest normal, the largest value below 1] of alpha's dtype."""
    gammas = _per_element(gen, [alpha], 4, lambda d, a: _gamma_one(d, a, False))
    gammas = np.maximum(gammas, np.finfo(np.float64).tiny).reshape(alpha.shape)
    out = (gammas / _row_sums(gammas.reshape(-1, gammas.shape[-1])).reshape(
        gammas.shape[:-1] + (1,))).astype(alpha.dtype)
    one = alpha.dtype.type(1)
    return np.clip(out, np.finfo(alpha.dtype).tiny, np.nextafter(one, alpha.dtype.type(0)))


def _row_sums(x: np.ndarray) -> np.ndarray:
    """torch's CPU sum over the last dimension of a contiguous double matrix, in its order:
    4-lane vectors (the AVX2 kernel, which AVX512 CPUs run too) summed into 4 interleaved
    partial sums (cascaded in levels over long rows), the tail, then the lanes; rows shorter
    than a vector: 4 interleaved scalar partial sums."""
    rows, k = x.shape
    if k >= 4:
        nvec = k // 4
        lanes = _interleaved_sum([x[:, 4 * i:4 * i + 4] for i in range(nvec)])
        total = np.zeros(rows)
        for j in range(4 * nvec, k):
            total = total + x[:, j]
        for j in range(4):
            total = total + lanes[:, j]
        return total
    return _interleaved_sum([x[:, j] for j in range(k)]) if k else np.zeros(rows)


def _interleaved_sum(items: list) -> np.ndarray:
    """row_sum: items i go to partial sum i % 4 (multi_row_sum's cascade over whole groups of
    4), the leftover items to the first, then the four added in order."""
    groups = len(items) // 4
    parts = [np.zeros_like(items[0]) for _ in range(4)]
    if groups:
        power = max(4, math.ceil(math.log2(groups)) // 4 if groups > 1 else 0)
        step, mask = 1 << power, (1 << power) - 1
        levels = [[np.zeros_like(items[0]) for _ in range(4)] for _ in range(4)]
        i = 0
        while i < groups:
            if i + step > groups:  # the rest straight into the first level
                for g in range(i, groups):
                    for k in range(4):
                        levels[0][k] = levels[0][k] + items[4 * g + k]
                break
            for g in range(i, i + step):
                for k in range(4):
                    levels[0][k] = levels[0][k] + items[4 * g + k]
            i += step
            for j in range(1, 4):
                for k in range(4):
                    levels[j][k] = levels[j][k] + levels[j - 1][k]
                    levels[j - 1][k] = np.zeros_like(items[0])
                if i & (mask << (j * power)):
                    break
        parts = levels[0]
        for j in range(1, 4):
            parts = [p + q for p, q in zip(parts, levels[j])]
    for i in range(4 * groups, len(items)):
        parts[0] = parts[0] + items[i]
    return parts[0] + parts[1] + parts[2] + parts[3]


_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
         0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
         0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k: float) -> float:
    if k < len(_TAIL):
        return _TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _binomial_inversion(d: _Draws, count, prob, f) -> float:
    geom_sum, num_geom = 0.0, f(0)
    logprob = float(f(math.log1p(-float(prob))))  # log1p of scalar_t
    while True:
        geom_sum += math.ceil(math.log(d.uniform()) / logprob)
        if geom_sum > count:
            return num_geom
        num_geom = f(num_geom + f(1))


def _btrs(d: _Draws, count, prob, f) -> float:
    """Hoermann's BTRS as torch's kernel runs it (scalar_t = f for count, prob and k)."""
    one = f(1)
    stddev = float(np.sqrt(f(f(count * prob) * f(one - prob))))  # sqrt of scalar_t
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * float(prob)
    c = float(count * prob) + 0.5
    v_r = 0.92 - 4.2 / b
    r = float(f(prob / f(one - prob)))
    alpha = (2.83 + 5.1 / b) * stddev
    m = float(math.floor(f(f(count + one) * prob)))
    cnt = float(count)
    while True:
        u = d.uniform() - 0.5
        v = d.uniform()
        us = 0.5 - abs(u)
        k = f(math.floor((2 * a / us + b) * u + c))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        kk = float(k)
        bound = ((m + 0.5) * math.log((m + 1) / (r * (cnt - m + 1)))
                 + (cnt + 1) * math.log((cnt - m + 1) / float(count - k + one))
                 + (kk + 0.5) * math.log(r * float(count - k + one) / float(k + one))
                 + _stirling_tail(m) + _stirling_tail(cnt - m)
                 - _stirling_tail(kk) - _stirling_tail(cnt - kk))
        if v <= bound:
            return k


def _binomial_one(d: _Draws, count, prob, f) -> float:
    count, prob = f(count), f(prob)
    if count <= 0 or prob <= 0:
        return 0.0
    if prob >= 1:
        return float(count)
    if prob <= 0.5:
        if count * prob >= 10:
            return float(_btrs(d, count, prob, f))
        return float(_binomial_inversion(d, count, prob, f))
    if prob > 0.5:
        q = f(f(1) - prob)
        if count * q >= 10:
            return float(count - _btrs(d, count, q, f))
        return float(count - _binomial_inversion(d, count, q, f))
    return math.nan


def binomial(gen, count: np.ndarray, prob: np.ndarray) -> np.ndarray:
    f = np.float32 if count.dtype != np.float64 else float
    count, prob = np.broadcast_arrays(count, prob)
    out = _per_element(gen, [count, prob], 4, lambda d, n, p: _binomial_one(d, n, p, f))
    return out.reshape(count.shape)


def multinomial_with_replacement(gen, probs: np.ndarray, n_sample: int) -> np.ndarray:
    """The CPU kernel: per row, the cumulative sums in the row's type (float for half and
    bfloat16) divided by the total, the last set to 1, then one double uniform per sample and
    the first slot whose cumulative value reaches it."""
    acc = np.float64 if probs.dtype == np.float64 else np.float32
    rows = probs.astype(acc).reshape(-1, probs.shape[-1])
    out = np.empty((rows.shape[0], n_sample), np.int64)
    draws = _Draws(gen, 2 * rows.shape[0] * n_sample + 16)
    try:
        for i, row in enumerate(rows):
            cum = np.cumsum(row, dtype=acc)
            cum = cum / cum[-1]
            cum[-1] = 1
            u = np.fromiter((draws.uniform() for _ in range(n_sample)), np.float64, n_sample)
            out[i] = np.searchsorted(cum.astype(np.float64), u, side="left")
    finally:
        draws.close()
    return out
