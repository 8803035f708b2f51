"""torch's KL divergences between (low-rank) multivariate normals: LowRankMultivariateNormal
against itself and MultivariateNormal, either way round (registered with kl.register_kl)."""
from __future__ import annotations

import torchlike as torch

from ._multivariate import MultivariateNormal, _batch_mahalanobis
from .kl import _batch_trace_XXT, register_kl
from .lowrank_multivariate_normal import (LowRankMultivariateNormal, _batch_lowrank_logdet,
                                          _batch_lowrank_mahalanobis)

# (torch's messages, with the spaces of its source's line continuations)
_EVENT_SHAPES = " " * 26 + "different event shapes cannot be computed"


def _check_events(p, q, what: str) -> None:
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL-divergence between two {what} with{_EVENT_SHAPES}")


def _lowrank_logdet(d):
    return _batch_lowrank_logdet(d._unbroadcasted_cov_factor, d._unbroadcasted_cov_diag,
                                 d._capacitance_tril)


def _lowrank_terms(p, q):
    """log det(q's covariance), the Mahalanobis term of p's mean under q, and the factor A of
    q's precision D^-1 - A^T A (Woodbury)."""
    W, D = q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag
    mahalanobis = _batch_lowrank_mahalanobis(W, D, q.loc - p.loc, q._capacitance_tril)
    A = torch.linalg.solve_triangular(q._capacitance_tril, W.mT / D.unsqueeze(-2),
                                      upper=False)
    return _lowrank_logdet(q), mahalanobis, A


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrankmultivariatenormal_lowrankmultivariatenormal(p, q):
    _check_events(p, q, "Low Rank Multivariate Normals")
    logdet_q, term3, A = _lowrank_terms(p, q)
    term1 = logdet_q - _lowrank_logdet(p)
    # trace((D_q^-1 - A^T A) (D_p + W_p W_p^T))
    pW, pD, qD = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag, \
        q._unbroadcasted_cov_diag
    term21 = (pD / qD).sum(-1)
    term22 = _batch_trace_XXT(pW * qD.rsqrt().unsqueeze(-1))
    term23 = _batch_trace_XXT(A * pD.sqrt().unsqueeze(-2))
    term24 = _batch_trace_XXT(A.matmul(pW))
    term2 = term21 + term22 - term23 - term24
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_multivariatenormal_lowrankmultivariatenormal(p, q):
    _check_events(p, q, "(Low Rank) Multivariate Normals")
    Lp = p._unbroadcasted_scale_tril
    logdet_q, term3, A = _lowrank_terms(p, q)
    term1 = logdet_q - 2 * Lp.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    # trace((D_q^-1 - A^T A) L_p L_p^T)
    term21 = _batch_trace_XXT(Lp * q._unbroadcasted_cov_diag.rsqrt().unsqueeze(-1))
    term22 = _batch_trace_XXT(A.matmul(Lp))
    term2 = term21 - term22
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrankmultivariatenormal_multivariatenormal(p, q):
    _check_events(p, q, "(Low Rank) Multivariate Normals")
    Lq = q._unbroadcasted_scale_tril
    term1 = 2 * Lq.diagonal(dim1=-2, dim2=-1).log().sum(-1) - _lowrank_logdet(p)
    term3 = _batch_mahalanobis(Lq, q.loc - p.loc)
    # trace(L_q^-T L_q^-1 (W_p W_p^T + D_p)), each factor solved against L_q
    batch = torch.broadcast_shapes(Lq.shape[:-2], p._unbroadcasted_cov_factor.shape[:-2])
    n = p.event_shape[0]
    Lq = Lq.expand(batch + (n, n))
    pW = p._unbroadcasted_cov_factor.expand(batch + (n, p.cov_factor.size(-1)))
    pD = torch.diag_embed(p._unbroadcasted_cov_diag.sqrt()).expand(batch + (n, n))
    term21 = _batch_trace_XXT(torch.linalg.solve_triangular(Lq, pW, upper=False))
    term22 = _batch_trace_XXT(torch.linalg.solve_triangular(Lq, pD, upper=False))
    term2 = term21 + term22
    return 0.5 * (term1 + term2 + term3 - n)
