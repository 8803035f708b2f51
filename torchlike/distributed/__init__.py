"""torch.distributed: process groups of this one process (world_size 1, rank 0, gloo).

Programs written for DDP run unchanged on one machine; a group of more than one process
raises NotImplementedError (torchlike cannot join other processes)."""
from .._errors import missing as _missing
from . import distributed_c10d as distributed_c10d
from .distributed_c10d import Backend as Backend
from .distributed_c10d import ReduceOp as ReduceOp
from .distributed_c10d import ProcessGroup as ProcessGroup
from .distributed_c10d import Work as Work
from .distributed_c10d import GroupMember as GroupMember
from .distributed_c10d import is_available as is_available
from .distributed_c10d import is_gloo_available as is_gloo_available
from .distributed_c10d import is_nccl_available as is_nccl_available
from .distributed_c10d import is_mpi_available as is_mpi_available
from .distributed_c10d import is_ucc_available as is_ucc_available
from .distributed_c10d import is_xccl_available as is_xccl_available
from .distributed_c10d import is_initialized as is_initialized
from .distributed_c10d import is_torchelastic_launched as is_torchelastic_launched
from .distributed_c10d import init_process_group as init_process_group
from .distributed_c10d import destroy_process_group as destroy_process_group
from .distributed_c10d import new_group as new_group
from .distributed_c10d import get_rank as get_rank
from .distributed_c10d import get_world_size as get_world_size
from .distributed_c10d import get_backend as get_backend
from .distributed_c10d import get_process_group_ranks as get_process_group_ranks
from .distributed_c10d import get_global_rank as get_global_rank
from .distributed_c10d import get_group_rank as get_group_rank
from .distributed_c10d import barrier as barrier
from .distributed_c10d import monitored_barrier as monitored_barrier
from .distributed_c10d import all_reduce as all_reduce
from .distributed_c10d import reduce as reduce
from .distributed_c10d import broadcast as broadcast
from .distributed_c10d import all_gather as all_gather
from .distributed_c10d import all_gather_into_tensor as all_gather_into_tensor
from .distributed_c10d import reduce_scatter_tensor as reduce_scatter_tensor
from .distributed_c10d import gather as gather
from .distributed_c10d import scatter as scatter
from .distributed_c10d import all_gather_object as all_gather_object
from .distributed_c10d import broadcast_object_list as broadcast_object_list
from .distributed_c10d import reduce_op as reduce_op
from .distributed_c10d import group as group

__getattr__ = _missing("torch.distributed")  # names torchlike lacks: NotImplementedError
