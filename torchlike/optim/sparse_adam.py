"""SparseAdam: torch's constructor and checks. torchlike has no sparse tensors, so no
gradient is ever sparse: `step` raises torch's error for the dense gradients it meets."""
from __future__ import annotations

from .._tensor import Tensor
from ..autograd import grad_mode
from .optimizer import Optimizer, check_betas


class SparseAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 maximize=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)
        # parameters are always dense in torchlike; complex ones torch refuses too
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does "
                             "not support complex parameters")

    def step(self, closure=None):
        """Raises for any gradient: torch's SparseAdam takes sparse gradients only, and
        torchlike has none."""
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        if any(p._grad is not None for g in self.param_groups for p in g["params"]):
            raise RuntimeError("SparseAdam does not support dense gradients, please consider "
                               "Adam instead")
        return loss
