"""Random sampling (normal, bernoulli, multinomial, poisson and the in-place samplers
uniform_/normal_/random_/bernoulli_/exponential_/geometric_/cauchy_/log_normal_) and the plain
in-place writes zero_/fill_/copy_.

Draws happen on the host (numpy, from torchlike._random's generator) and move to the device
in one transfer; torch's samplers are not reparameterized, so gradients through them are zero.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _bounds
from .. import _device
from .._meta import NO_DATA, Meta
from .. import _random_sequential as _seq
from .._random import rng
from .._tensor import _CTYPE, _SHORT, Tensor, _wrap
from ._bind import method_only, public
from ._registry import inplace, op, run


def _fill_host(self, draw) -> Tensor:
    """Write host samples (draw() makes them) into self in place (torch's in-place sampler
    semantics). The samples come in the order torch draws them: its storage order, for a
    tensor that is a view. A meta tensor draws nothing (torch's generator does not move)."""
    if self._data.__class__ is Meta:
        self._vc[0] += 1
        return self
    values = np.asarray(draw()).astype(self.dtype.np).reshape(self.shape)
    if self._base is not None and values.size > 1 and not self.is_contiguous():
        from .layout import strides_of
        offsets = sum(np.arange(n).reshape((-1,) + (1,) * (self.ndim - d - 1)) * st
                      for d, (n, st) in enumerate(zip(self.shape, strides_of(self))))
        placed = np.empty(values.size, values.dtype)
        placed[np.argsort(np.broadcast_to(offsets, self.shape).reshape(-1), kind="stable")] = \
            values.reshape(-1)
        values = placed.reshape(self.shape)
    return inplace(self, _wrap(_device.as_array(np.array(values))))


def _need_float(self, kernel):
    if self.dtype.kind not in "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_SHORT[self.dtype.name]}'")


def _shape(self):
    return tuple(self.shape)


# ---- in-place samplers -------------------------------------------------------------------
@method_only("uniform_")
def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    from_ = kw.pop("from", from_)
    _need_float(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={from_:g} > to={to:g}")
    return _fill_host(self, lambda: rng(generator).uniform(_shape(self), self.dtype.np, from_, to))


@method_only("normal_")
def normal_(self, mean=0.0, std=1.0, *, generator=None):
    _need_float(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    return _fill_host(self, lambda: rng(generator).normal(_shape(self), self.dtype.np, mean, std,
                                                          self.is_contiguous()))


_RANDOM_SIGS = ("*, torch.Generator generator = None",
                "int from, int to, *, torch.Generator generator = None",
                "int to, *, torch.Generator generator = None")
_UNSET = object()  # random_(from, None) differs from random_(to)


@method_only("random_")
def random_(self, from_=None, to=_UNSET, *, generator=None, **kw):
    from_ = kw.pop("from", from_)
    args = [a for a in (from_, to) if a is not None and a is not _UNSET]
    if any(not isinstance(a, (int, np.integer, Tensor)) or isinstance(a, (bool, np.bool_))
           for a in args):
        marked = "      didn't match because some of the arguments have invalid types: (" + \
            ", ".join(f"!{type(a).__name__}!" for a in args) + ")\n" if len(args) > 1 else ""
        raise _bounds.invalid_arguments("random_", args, {}, _RANDOM_SIGS, marked)
    if to is _UNSET:
        from_, to = (0, from_) if from_ is not None else (None, None)
    dt = self.dtype
    if from_ is None:  # random_(): [0, 2**digits] for floating dtypes, [0, max] for integers
        if dt.kind == "c":
            raise NotImplementedError(f"\"random_kernel_cpu\" not implemented for "
                                      f"'{_SHORT[dt.name]}'")
        lo, hi = _bounds.random_range(0, None, dt)
    else:
        lo, hi = _bounds.random_range(int(from_), None if to is None else int(to), dt)
    return _fill_host(self, lambda: rng(generator).integers(lo, hi, _shape(self)))


@method_only("bernoulli_")
def bernoulli_(self, p=0.5, *, generator=None):
    if isinstance(p, Tensor):
        probs = np.asarray(p._data)
        if (probs < 0).any() or (probs > 1).any():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")
        return _fill_host(self, lambda: rng(generator).bernoulli_probs(
            np.broadcast_to(probs, _shape(self))))
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return _fill_host(self, lambda: rng(generator).bernoulli(_shape(self), p))


def _continuous(self, name, spelled):
    if self.dtype.kind != "f":
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {spelled}")


@method_only("exponential_")
def exponential_(self, lambd=1.0, *, generator=None):
    _continuous(self, "Exponential", _SHORT.get(self.dtype.name, self.dtype.name))
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _fill_host(self, lambda: _seq.exponential(rng(generator), self.numel(), lambd))


@method_only("geometric_")
def geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return _fill_host(self, lambda: _seq.geometric(rng(generator), self.numel(), p))


@method_only("cauchy_")
def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    _continuous(self, "Cauchy", _CTYPE[self.dtype.name])
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    return _fill_host(self, lambda: _seq.cauchy(rng(generator), self.numel(), median, sigma))


@method_only("log_normal_")
def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    _need_float(self, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _fill_host(self, lambda: _seq.log_normal(rng(generator), self.numel(), mean, std))


# ---- zero_ / fill_ / copy_ -----------------------------------------------------------------
_zero = op("zero_", "ZeroBackward0", dtypes="same", saves=False)(jnp.zeros_like)
_fill = op("fill_", "FillBackward2", dtypes="same", saves=False)(
    lambda a, v: jnp.full_like(a, v))
_fill_t = op("fill_tensor", "FillBackward3", dtypes="same", promote=(), saves=False)(
    lambda a, v: jnp.broadcast_to(v.astype(a.dtype), a.shape))
_copy = op("copy_", "CopyBackwards", dtypes="same", promote=(), saves=False)(
    lambda a, s: jnp.broadcast_to(s.astype(a.dtype), a.shape))


@public("zero_")
def zero_(input):
    return inplace(input, run(_zero, (input,)))


@public("fill_")
def fill_(input, value):
    if not isinstance(value, Tensor) and input._data.__class__ is not Meta:
        value = _bounds.converted(value, input.dtype, input.numel())  # torch's overflow check
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        return inplace(input, run(_fill_t, (input, value)))
    return inplace(input, run(_fill, (input, value)))


@method_only("copy_")
def copy_(self, src, non_blocking=False):
    from .shape import broadcast_shape
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    if src._data.__class__ is Meta and self._data.__class__ is not Meta:
        raise NotImplementedError(NO_DATA)
    if self._data.__class__ is Meta and src._data.__class__ is not Meta:
        src = src.to("meta")  # copying into a meta tensor copies nothing
    shape = broadcast_shape(self.shape, src.shape)
    if shape != tuple(self.shape):
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    return inplace(self, run(_copy, (self, src)))


# ---- torch.bernoulli / multinomial -------------------------------------------------------
_bernoulli = op("bernoulli", "BernoulliBackward0", dtypes="same", saves=False, edges=(0,))(
    lambda p, drawn: lax.stop_gradient(drawn.astype(p.dtype)))


@public()
def bernoulli(input, p=None, *, generator=None, out=None):
    if p is not None:
        return bernoulli_(input.detach().clone(), p, generator=generator)
    if input.dtype.kind not in "f":
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                  f"'{_SHORT[input.dtype.name]}'")
    probs = np.asarray(input._data)
    if (probs < 0).any() or (probs > 1).any():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    drawn = rng(generator).bernoulli_probs(probs)
    return run(_bernoulli, (input, _wrap(_device.as_array(np.array(drawn)))))


@public()
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if input.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_SHORT[input.dtype.name]}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n = input.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    probs = np.asarray(input._data)
    rows = probs.reshape(-1, n)
    if replacement and num_samples > 1:  # the CPU kernel, row by row
        for row in rows:
            if not (row >= 0).all():  # (nan too)
                raise RuntimeError("invalid multinomial distribution (encountering probability "
                                   "entry < 0)")
            if not np.isfinite(row).all():
                raise RuntimeError("invalid multinomial distribution (encountering probability "
                                   "entry = infinity or NaN)")
            if not row.astype(np.float64).sum() > 0:
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        drawn = _seq.multinomial_with_replacement(rng(generator), probs, num_samples)
    else:
        # torch's fast path: argmax (one sample) or top-k of p / q, q ~ Exp(1) in p's dtype
        if not (np.isfinite(probs) & (probs >= 0)).all():
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (rows.sum(1) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        q = _seq.exponential(rng(generator), rows.size, 1.0).astype(rows.dtype).reshape(rows.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            keys = rows / q
        drawn = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    drawn = drawn.astype(np.int64)
    return _wrap(_device.as_array(np.array(drawn if input.ndim == 2 else drawn[0])))
