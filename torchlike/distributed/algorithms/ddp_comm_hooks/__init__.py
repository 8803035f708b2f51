"""torch.distributed.algorithms.ddp_comm_hooks: the default hooks (allreduce, fp16 / bf16
compression); the others (PowerSGD, quantization, ...) are placeholders."""
from ...._errors import missing as _missing
from . import default_hooks as default_hooks
from . import default_hooks as default  # noqa: F401 - torch names it `default` too

__getattr__ = _missing("torch.distributed.algorithms.ddp_comm_hooks")
