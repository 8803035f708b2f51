"""torch.nn.DataParallel as on a machine without GPUs: it calls the module it wraps."""
from __future__ import annotations

from typing import Any

from ..modules.module import Module


class DataParallel(Module):
    """Wraps `module` (kept as `.module`, so state_dict keys start with "module."); on CPU,
    as torch's, device_ids is [] and forward calls the module."""

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0) -> None:
        super().__init__()
        # torch returns here when no accelerator is found: no dim or output_device attribute
        self.module = module
        self.device_ids = []

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs: Any, device_ids: Any = None,
                  output_device: Any = None, dim: int = 0, module_kwargs: Any = None) -> Any:
    """torch's functional DataParallel, which needs an accelerator: its error on CPU."""
    raise RuntimeError("device type could not be determined")
