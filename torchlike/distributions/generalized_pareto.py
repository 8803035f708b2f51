"""torch.distributions.generalized_pareto: the generalized Pareto distribution (TensorFlow
Probability's parametrization): Exponential at concentration 0, Pareto above, bounded below."""
from __future__ import annotations

import torchlike as torch
from torchlike._errors import missing

from . import constraints
from .distribution import Distribution, _broadcast_params

__getattr__ = missing("torch.distributions.generalized_pareto")

__all__ = ["GeneralizedPareto"]

_NAN, _INF = float("nan"), float("inf")


class GeneralizedPareto(Distribution):
    """Generalized Pareto distribution with `loc`, `scale` and `concentration`."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args: bool | None = None) -> None:
        self.loc, self.scale, self.concentration, batch_shape = _broadcast_params(
            loc, scale, concentration)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(GeneralizedPareto, batch_shape, _instance, "loc", "scale",
                                   "concentration")

    def _safe_concentration(self):
        """(concentration == 0, the concentration with those zeros replaced by 1). torch
        compares with a float32 zero: other dtypes raise its dtype mismatch error."""
        at_zero = torch.isclose(self.concentration, torch.tensor(0.0))
        return at_zero, torch.where(at_zero, torch.ones_like(self.concentration),
                                    self.concentration)

    def rsample(self, sample_shape=torch.Size()):
        shape = self._extended_shape(sample_shape)
        return self.icdf(torch.rand(shape, dtype=self.loc.dtype, device=self.loc.device))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        at_zero, k = self._safe_concentration()
        y = 1 / k + torch.ones_like(z)
        nonzero = torch.where(y == 0, y, y * torch.log1p(k * z))
        return -self.scale.log() - torch.where(at_zero, z, nonzero)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        at_zero, k = self._safe_concentration()
        return torch.where(at_zero, -z, -torch.log1p(k * z) / k)

    def log_cdf(self, value):
        return torch.log1p(-torch.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return torch.exp(self.log_cdf(value))

    def icdf(self, value):
        at_zero = torch.isclose(self.concentration, torch.zeros_like(self.concentration))
        k = torch.where(at_zero, torch.ones_like(self.concentration), self.concentration)
        log_u = torch.log1p(-value)
        return torch.where(at_zero, self.loc - self.scale * log_u,
                           self.loc + self.scale / k * torch.expm1(-k * log_u))

    @property
    def mean(self):
        valid = self.concentration < 1
        k = torch.where(valid, self.concentration, 0.5)
        return torch.where(valid, self.loc + self.scale / (1 - k), _NAN)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        k = torch.where(valid, self.concentration, 0.25)
        return torch.where(valid, self.scale ** 2 / ((1 - k) ** 2 * (1 - 2 * k)), _NAN)

    def entropy(self):
        return torch.broadcast_to(torch.log(self.scale) + self.concentration + 1,
                                  self._batch_shape)

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = torch.where(self.concentration < 0,
                            self.loc - self.scale / self.concentration, _INF)
        return constraints.interval(self.loc, upper)
