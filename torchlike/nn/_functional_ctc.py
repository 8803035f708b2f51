"""ctc_loss: torch's CPU kernel as one table op (CtcLossBackward0), the alpha recursion a
lax.scan over time in log space, with torch's gradient formula (a custom vjp: beta recursion,
then exp(log_probs) - exp(log(alpha*beta) + nll - log_probs), which is the gradient for
log_softmax outputs), and at::ctc_loss's argument checks and reductions around it."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype as D
from .._tensor import Tensor, _SHORT, _wrap
from ..ops import compare as _C
from ..ops import pointwise as _P
from ..ops import shape as _S
from ..ops._bind import public
from ..ops._registry import op, run

_NEG = -jnp.inf
_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _lse(*xs):
    """log(sum(exp(x))) of a few arrays as torch's kernel adds them: shifted by their max,
    which is taken as 0 where every term is -inf."""
    m = xs[0]
    for x in xs[1:]:
        m = jnp.maximum(m, x)
    m = jnp.where(m == _NEG, 0, m)
    total = jnp.exp(xs[0] - m)
    for x in xs[1:]:
        total = total + jnp.exp(x - m)
    return jnp.log(total) + m


def _shift(a, k, fill=_NEG):
    """a[:, s - k] (k > 0) or a[:, s + |k|] (k < 0), `fill` where that is outside."""
    pad = jnp.full((a.shape[0], abs(k)), fill, a.dtype)
    if k > 0:
        return jnp.concatenate([pad, a], axis=1)[:, :a.shape[1]]
    return jnp.concatenate([a, pad], axis=1)[:, -k:]


def _states(targets, blank):
    """The extended label sequence (blank, l1, blank, l2, ..., blank) per sample, and where a
    state may be reached from two states back (its label differs from that one's)."""
    n, s = targets.shape
    idx = np.arange(2 * s + 1)
    labels = targets[:, np.maximum(idx - 1, 0) // 2] if s else jnp.zeros((n, 1), jnp.int64)
    ext = jnp.where(idx % 2 == 0, blank, labels)
    skip = (idx >= 2) & (ext != jnp.roll(ext, 2, axis=1))
    return ext, skip


def _alphas(lp, ext, skip, in_len, tg_len):
    """log alpha for every time step (T, N, 2S+1), each sample's frozen after its last step."""
    emit = jnp.take_along_axis(jnp.moveaxis(lp, 0, 1), ext[:, None, :], axis=2)  # (N, T, L)
    emit = jnp.moveaxis(emit, 1, 0)
    s = np.arange(ext.shape[1])
    a0 = jnp.where((s == 0) & (in_len[:, None] > 0), emit[0],
                   jnp.where((s == 1) & (tg_len[:, None] > 0), emit[0], _NEG))

    def step(alpha, xs):
        e, t = xs
        la3 = jnp.where(skip, _shift(alpha, 2), _NEG)
        new = _lse(alpha, _shift(alpha, 1), la3) + e
        new = jnp.where(t < in_len[:, None], new, alpha)
        return new, new
    _, rest = lax.scan(step, a0, (emit[1:], jnp.arange(1, lp.shape[0])))
    return jnp.concatenate([a0[None], rest], axis=0), emit


def _nll(alpha_last, in_len, tg_len):
    n = alpha_last.shape[0]
    rows = jnp.arange(n)
    l1 = alpha_last[rows, 2 * tg_len]
    l2 = alpha_last[rows, jnp.maximum(2 * tg_len - 1, 0)]
    ll = jnp.where(tg_len == 0, alpha_last[:, 0], _lse(l1, l2))
    # no time steps: only the empty target is possible, with probability 1
    ll = jnp.where(in_len == 0, jnp.where(tg_len == 0, 0.0, _NEG).astype(ll.dtype), ll)
    return -ll


@functools.partial(jax.custom_vjp, nondiff_argnums=(4, 5))
def _ctc(lp, targets, in_len, tg_len, blank, zero_infinity):
    ext, skip = _states(targets, blank)
    alphas, _ = _alphas(lp, ext, skip, in_len, tg_len)
    return _nll(alphas[-1], in_len, tg_len)


def _ctc_fwd(lp, targets, in_len, tg_len, blank, zero_infinity):
    ext, skip = _states(targets, blank)
    alphas, emit = _alphas(lp, ext, skip, in_len, tg_len)
    nll = _nll(alphas[-1], in_len, tg_len)
    return nll, (lp, ext, skip, in_len, tg_len, alphas, emit, nll)


def _ctc_bwd(blank, zero_infinity, res, g):
    lp, ext, skip, in_len, tg_len, alphas, emit, nll = res
    t_all, n, c = lp.shape
    s = np.arange(ext.shape[1])
    last = 2 * tg_len[:, None]
    valid = s <= last
    skip_back = _shift(skip, -2, False)  # state s+2 may skip to s
    labels = ext[:, :, None] == jnp.arange(c)  # (N, L, C): each state's label
    end = in_len[:, None] - 1

    def step(beta_next, xs):
        e, t, alpha = xs
        lb3 = jnp.where(skip_back, _shift(beta_next, -2), _NEG)
        rec = _lse(beta_next, _shift(beta_next, -1), lb3) + e
        init = jnp.where((s == last) | ((s == last - 1) & (last > 0)), e, _NEG)
        beta = jnp.where(t == end, init, jnp.where(t < end, rec, _NEG))
        beta = jnp.where(valid, beta, _NEG)
        # log of sum(alpha * beta) over the states of each label, added state by state from
        # the last as torch's kernel does (the gradient's rounding follows it)
        ab = alpha + beta

        def add(j, lab):
            i = ext.shape[1] - 1 - j
            x = lax.dynamic_index_in_dim(ab, i, 1)  # (N, 1)
            hit = lax.dynamic_index_in_dim(labels, i, 1, keepdims=False)  # (N, C)
            m = jnp.maximum(lab, x)
            new = jnp.where(lab == _NEG, x, jnp.log(jnp.exp(lab - m) + jnp.exp(x - m)) + m)
            return jnp.where(hit, new, lab)
        lab = lax.fori_loop(0, ext.shape[1], add, jnp.full((n, c), _NEG, lp.dtype))
        return beta, lab
    beta_end = jnp.full((n, ext.shape[1]), _NEG, lp.dtype)
    _, labs = lax.scan(step, beta_end, (emit, jnp.arange(t_all), alphas), reverse=True)
    grad = (jnp.exp(lp) - jnp.exp(labs + nll[:, None] - lp)) * g[:, None]
    keep = jnp.arange(t_all)[:, None] < in_len[None, :]
    if zero_infinity:
        keep = keep & (nll != jnp.inf)[None, :]
    grad = jnp.where(keep[:, :, None], grad, 0)
    return grad, None, None, None


_ctc.defvjp(_ctc_fwd, _ctc_bwd)

ctc_op = op("ctc_loss", "CtcLossBackward0", dtypes="same", edges=(0,))(
    lambda lp, targets, in_len, tg_len, blank, zero_infinity: _ctc(
        lp, targets, in_len, tg_len, blank, zero_infinity))


# ---- argument checks, unbatched input, reductions ---------------------------------------
def _lengths(x, name):
    if isinstance(x, Tensor):
        if x.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        return [int(v) for v in np.asarray(x._data).reshape(-1)]
    return [int(v) for v in x]


def _checked(log_probs, targets, in_len, tg_len, blank):
    """torch's checks (ctc_loss_allocate_outputs); the targets as a padded (N, S) tensor."""
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    n, c = log_probs.shape[1], log_probs.shape[2]
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    if len(in_len) != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(tg_len) != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    if targets.ndim not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.ndim}-dimensional "
                           f"tensor for argument #2 'targets'{where}")
    for v in tg_len:
        if v < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got "
                               f"value {v}{where}")
    longest = max(tg_len, default=0)
    if targets.ndim == 1:
        if targets.shape[0] != sum(tg_len):
            raise RuntimeError(f"Expected tensor to have size {sum(tg_len)} at dimension 0, but "
                               f"got size {targets.shape[0]} for argument #2 'targets'{where}")
    elif targets.shape[1] < longest:
        raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension 1, "
                           f"but got size {targets.shape[1]} for argument #2 'targets'{where}")
    for v in in_len:
        if v < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got "
                               f"value {v}{where}")
        if v > log_probs.shape[0]:
            raise RuntimeError(f"Expected input_lengths to have value at most "
                               f"{log_probs.shape[0]}, but got value {v}{where}")
    # on the host (the lengths already are): the targets as rows padded with 0
    tg = np.asarray(targets._data).astype(np.int64)
    if targets.ndim == 1:
        starts = np.concatenate([[0], np.cumsum(tg_len)[:-1]]).astype(np.int64)
        pos = starts[:, None] + np.arange(longest)
        inside = np.arange(longest) < np.asarray(tg_len)[:, None]
        tg = np.where(inside, tg[np.where(inside, pos, 0)] if tg.size else 0, 0)
    return _wrap(jnp.asarray(tg[:, :longest]))


@public("ctc_loss", method=False)
def torch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
                   zero_infinity=False):
    """torch.ctc_loss: lengths as two integer tensors or two sequences of ints; reduction as
    at::Reduction (0 none, 1 mean, 2 sum; torch's binding defaults to 0 whatever its schema
    says)."""
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor) or any(
            isinstance(x, (int, float)) for x in (input_lengths, target_lengths)):
        raise TypeError("ctc_loss(): input_lengths and target_lengths must both be tensors or "
                        "both be tuples of ints")
    in_len = _lengths(input_lengths, "input_lengths")
    tg_len = _lengths(target_lengths, "target_lengths")
    if log_probs.dtype.kind != "f" or log_probs.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for "
                                  f"'{_SHORT[log_probs.dtype.name]}'")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else _S.unsqueeze(log_probs, 1)
    tg = _checked(lp, targets, in_len, tg_len, int(blank))
    res = run(ctc_op, (lp, tg, _wrap(jnp.asarray(np.asarray(in_len, np.int64))),
                       _wrap(jnp.asarray(np.asarray(tg_len, np.int64)))),
              (("blank", int(blank)), ("zero_infinity", bool(zero_infinity))))
    if zero_infinity:
        zero = _wrap(jnp.asarray(np.zeros((), res._data.dtype)))
        res = _C.where(_C.eq(res, float("inf")), zero, res)
    if reduction == 1:
        lengths = _wrap(jnp.asarray(np.maximum(np.asarray(tg_len, res._data.dtype), 1)))
        return _P.div(res, lengths).mean()
    if reduction == 2:
        return res.sum()
    return res if batched else _S.squeeze(res, 0)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return torch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                          _REDUCTIONS[reduction], zero_infinity)
