"""torch.amp: automatic mixed precision. autocast runs the ops on torch's CPU autocast lists
(_lists.py) in bfloat16/float16; GradScaler scales the loss and unscales gradients."""
from __future__ import annotations

from .._errors import missing as _missing
from . import autocast_mode as autocast_mode
from . import grad_scaler as grad_scaler
from .autocast_mode import _enter_autocast as _enter_autocast
from .autocast_mode import _exit_autocast as _exit_autocast
from .autocast_mode import autocast as autocast
from .autocast_mode import custom_bwd as custom_bwd
from .autocast_mode import custom_fwd as custom_fwd
from .autocast_mode import is_autocast_available as is_autocast_available
from .grad_scaler import GradScaler as GradScaler

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]

__getattr__ = _missing("torch.amp")  # names torchlike lacks: NotImplementedError
