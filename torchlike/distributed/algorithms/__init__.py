"""torch.distributed.algorithms: DDP communication hooks (ddp_comm_hooks)."""
from ..._errors import missing as _missing

__getattr__ = _missing("torch.distributed.algorithms")  # names torchlike lacks: placeholders
