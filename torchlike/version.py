"""torch.version: torchlike's version in torch's form. torchlike is built against no CUDA or
ROCm (JAX brings its own), so those say None as in torch's CPU build."""
from . import __version__ as __version__
from ._errors import missing as _missing

__all__ = ["__version__", "cuda", "debug", "git_version", "hip", "rocm", "xpu"]
debug = False
cuda = None
hip = None
rocm = None
xpu = None
git_version = "Unknown"

__getattr__ = _missing("torch.version")  # names torchlike lacks: NotImplementedError
