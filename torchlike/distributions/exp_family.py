"""torch.distributions.ExponentialFamily: entropy (and, in kl.py, KL divergence) from the log
normalizer's gradient (a Bregman divergence)."""
from __future__ import annotations

import torchlike as torch
from torchlike._errors import missing

from .distribution import Distribution

__getattr__ = missing("torch.distributions.exp_family")

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base of distributions with density exp(<t(x), theta> - F(theta) + k(x)): subclasses give
    `_natural_params` (theta), `_log_normalizer` (F) and `_mean_carrier_measure` (E[k(x)])."""

    @property
    def _natural_params(self) -> tuple:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        raise NotImplementedError

    def entropy(self):
        """H = F(theta) - <theta, grad F(theta)> - E[k(x)]."""
        result = -self._mean_carrier_measure
        params = [p.detach().requires_grad_() for p in self._natural_params]
        log_norm = self._log_normalizer(*params)
        grads = torch.autograd.grad(log_norm.sum(), params, create_graph=True)
        result += log_norm
        for param, grad in zip(params, grads):
            result -= (param * grad).reshape(self._batch_shape + (-1,)).sum(-1)
        return result
