"""CTCLoss (torch.nn.modules.loss.CTCLoss in torch): the module around F.ctc_loss."""
from __future__ import annotations

from .._functional_ctc import ctc_loss
from .loss import _Loss


class CTCLoss(_Loss):
    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)
