"""torch.backends: the switches of torch's native backends. torchlike computes with XLA, so
they are kept and read back as torch keeps them (with torch's defaults) but select nothing."""
from .._errors import missing as _missing
from . import cuda as cuda
from . import cudnn as cudnn
from . import mkldnn as mkldnn
from . import mps as mps

__getattr__ = _missing("torch.backends")  # names torchlike lacks: NotImplementedError
