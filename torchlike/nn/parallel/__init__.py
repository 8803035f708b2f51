"""torch.nn.parallel: DataParallel and DistributedDataParallel on one machine."""
from ..._errors import missing as _missing
from .data_parallel import DataParallel as DataParallel
from .data_parallel import data_parallel as data_parallel
from . import distributed as distributed
from .distributed import DistributedDataParallel as DistributedDataParallel
from .distributed import DistributedDataParallelCPU as DistributedDataParallelCPU

__getattr__ = _missing("torch.nn.parallel")  # names torchlike lacks: NotImplementedError
