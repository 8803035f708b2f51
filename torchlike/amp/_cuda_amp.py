"""torch.cuda.amp (and its autocast_mode, grad_scaler, common): the deprecated CUDA forms of
torch.amp's autocast, GradScaler, custom_fwd and custom_bwd, with torch's FutureWarnings."""
from __future__ import annotations

import functools
import warnings

from .._errors import missing as _missing
from .. import _dtype as D
from . import autocast_mode as _autocast_mode
from .autocast_mode import _amp_definitely_not_available as amp_definitely_not_available
from .autocast_mode import device_autocast
from .grad_scaler import OptState as OptState
from .grad_scaler import device_grad_scaler

__all__ = ["amp_definitely_not_available", "autocast", "custom_bwd", "custom_fwd", "GradScaler"]


autocast = device_autocast("cuda", D.float16, __name__)
GradScaler = device_grad_scaler("cuda", __name__)


def custom_fwd(fwd=None, *, cast_inputs=None):
    """Deprecated: torch.amp.custom_fwd(..., device_type="cuda")."""
    warnings.warn("`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_fwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return functools.partial(_autocast_mode.custom_fwd, device_type="cuda")(
        fwd=fwd, cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """Deprecated: torch.amp.custom_bwd(..., device_type="cuda")."""
    warnings.warn("`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_bwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return functools.partial(_autocast_mode.custom_bwd, device_type="cuda")(bwd)


__getattr__ = _missing("torch.cuda.amp")  # names torchlike lacks: NotImplementedError
