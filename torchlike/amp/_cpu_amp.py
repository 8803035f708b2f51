"""torch.cpu.amp (and its autocast_mode, grad_scaler): the deprecated CPU forms of torch.amp's
autocast and GradScaler, with torch's FutureWarnings."""
from __future__ import annotations

from .. import _dtype as D
from .._errors import missing as _missing
from .autocast_mode import device_autocast
from .grad_scaler import device_grad_scaler

__all__ = ["autocast", "GradScaler"]

autocast = device_autocast("cpu", D.bfloat16, __name__)
GradScaler = device_grad_scaler("cpu", __name__)

__getattr__ = _missing("torch.cpu.amp")  # names torchlike lacks: NotImplementedError
