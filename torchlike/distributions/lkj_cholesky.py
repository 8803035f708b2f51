"""torch.distributions.lkj_cholesky: the LKJ distribution over lower Cholesky factors of
correlation matrices (as NumPyro's); samples by the onion method of Lewandowski, Kurowicka and
Joe (2009), vectorized over rows."""
from __future__ import annotations

import math

import torchlike as torch
from torchlike._errors import missing

from . import constraints
from ._gamma import Beta
from .distribution import Distribution
from .utils import broadcast_all

__getattr__ = missing("torch.distributions.lkj_cholesky")

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJ distribution of the Cholesky factor L of a `dim` x `dim` correlation matrix
    M = L L^T, with density proportional to det(M) ** (concentration - 1)."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args: bool | None = None) -> None:
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        # row i's squared norm below the diagonal: Beta(i / 2, eta + (dim - 2 - i) / 2) for
        # i >= 1 (row 0 draws one too, unused)
        offset = torch.arange(dim - 1, dtype=self.concentration.dtype,
                              device=self.concentration.device)
        offset = torch.cat([offset.new_zeros((1,)), offset])
        marginal = self.concentration + 0.5 * (dim - 2)
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.size(), torch.Size((dim, dim)), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = torch.Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        return self._finish_expand(new, batch_shape)

    def sample(self, sample_shape=torch.Size()):
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        u = torch.randn(self._extended_shape(sample_shape), dtype=y.dtype,
                        device=y.device).tril(-1)
        u = u / u.norm(dim=-1, keepdim=True)  # directions on the hypersphere
        u[..., 0, :].fill_(0.0)  # row 0 has no entries below the diagonal (its 0 / 0)
        w = torch.sqrt(y) * u
        diag = torch.clamp(1 - torch.sum(w ** 2, dim=-1), min=torch.finfo(w.dtype).tiny)
        w += torch.diag_embed(diag.sqrt())
        return w

    def log_prob(self, value):
        # density of L: prod_i L_ii ** (2 (eta - 1) + dim - i) over i = 2..dim (the factor
        # det(M) ** (eta - 1) times the Jacobian of L -> L L^T), over its normalizer
        if self._validate_args:
            self._validate_sample(value)
        diag = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = torch.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = torch.sum(order * diag.log(), dim=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        log_norm = (0.5 * dm1 * math.log(math.pi) + torch.mvlgamma(alpha - 0.5, dm1)
                    - torch.lgamma(alpha) * dm1)
        return unnormalized - log_norm
