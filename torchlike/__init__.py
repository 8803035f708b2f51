"""torchlike: PyTorch's API on JAX/XLA. `import torchlike as torch`, or run an unmodified
script with `python -m torchlike script.py`."""
from __future__ import annotations

import jax as _jax

# torch's int64/float64 need JAX's 64-bit mode; float32 matmuls stay full precision as on CPU.
_jax.config.update("jax_enable_x64", True)
_jax.config.update("jax_default_matmul_precision", "highest")
try:  # torch's default device is the CPU: arrays go to a GPU only through .cuda() / .to()
    _jax.config.update("jax_default_device", _jax.devices("cpu")[0])
except RuntimeError:  # no CPU backend (JAX_PLATFORMS=cuda): jax's default device it is
    pass
from ._compile import reuse_mlir_contexts as _reuse_mlir_contexts  # noqa: E402
from ._compile_cache import install as _install_compile_cache  # noqa: E402

_install_compile_cache()
_reuse_mlir_contexts()

from ._dtype import bfloat16 as bfloat16  # noqa: E402
from ._dtype import bool as bool  # noqa: E402
from ._dtype import complex64 as complex64  # noqa: E402
from ._dtype import complex128 as complex128  # noqa: E402
from ._dtype import dtype as dtype  # noqa: E402
from ._dtype import float16 as float16  # noqa: E402
from ._dtype import float32 as float32  # noqa: E402
from ._dtype import float64 as float64  # noqa: E402
from ._dtype import get_default_dtype as get_default_dtype  # noqa: E402
from ._dtype import int8 as int8  # noqa: E402
from ._dtype import int16 as int16  # noqa: E402
from ._dtype import int32 as int32  # noqa: E402
from ._dtype import int64 as int64  # noqa: E402
from ._dtype import set_default_dtype as set_default_dtype  # noqa: E402
from ._dtype import uint8 as uint8  # noqa: E402
from ._device import device as device  # noqa: E402
from ._tensor import Size as Size  # noqa: E402
from ._tensor import Tensor as Tensor  # noqa: E402
from ._tensor import is_tensor as is_tensor  # noqa: E402
from ._tensor_str import set_printoptions as set_printoptions  # noqa: E402
from ._tensor_str import get_printoptions as get_printoptions  # noqa: E402
from ._random import Generator as Generator  # noqa: E402
from ._random import manual_seed as manual_seed  # noqa: E402
from ._random import seed as seed  # noqa: E402
from ._random import initial_seed as initial_seed  # noqa: E402
from ._random import get_rng_state as get_rng_state  # noqa: E402
from ._random import set_rng_state as set_rng_state  # noqa: E402
from ._random import default_generator as default_generator  # noqa: E402
from ._alias import install_alias as install_alias  # noqa: E402
from . import autograd as autograd  # noqa: E402
from .autograd import enable_grad as enable_grad  # noqa: E402
from .autograd import inference_mode as inference_mode  # noqa: E402
from .autograd import is_grad_enabled as is_grad_enabled  # noqa: E402
from .autograd import is_inference_mode_enabled as is_inference_mode_enabled  # noqa: E402
from .autograd import no_grad as no_grad  # noqa: E402
from .autograd import set_grad_enabled as set_grad_enabled  # noqa: E402
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled as is_anomaly_check_nan_enabled  # noqa: E402,E501
from .autograd.anomaly_mode import is_anomaly_enabled as is_anomaly_enabled  # noqa: E402
from .autograd.anomaly_mode import set_anomaly_enabled as set_anomaly_enabled  # noqa: E402
from ._creation import *  # noqa: E402,F401,F403  (creation ops: listed in _creation.__all__)
from . import ops as _ops  # noqa: E402
from ._api import *  # noqa: E402,F401,F403  (dtype helpers: listed in _api.__all__)
from .backends._precision import get_float32_matmul_precision as get_float32_matmul_precision  # noqa: E402,E501
from .backends._precision import set_float32_matmul_precision as set_float32_matmul_precision  # noqa: E402,E501
from ._legacy import *  # noqa: E402,F401,F403  (FloatTensor & co.)
from . import cuda as cuda  # noqa: E402
from . import random as random  # noqa: E402
from . import accelerator as accelerator  # noqa: E402
from . import nn as nn  # noqa: E402
from . import optim as optim  # noqa: E402
from . import utils as utils  # noqa: E402
from . import linalg as linalg  # noqa: E402
from . import fft as fft  # noqa: E402
from . import special as special  # noqa: E402
from . import serialization as serialization  # noqa: E402
from .serialization import save as save  # noqa: E402
from .serialization import load as load  # noqa: E402

float = float32
double = float64
half = float16
short = int16
int = int32
long = int64
cfloat = complex64
cdouble = complex128

# The op table is the list of public ops: torch.<name> for every registered function.
globals().update(_ops.FUNCTIONS)

from . import amp as amp  # noqa: E402  (last: it wraps the ops on autocast's lists)
from .amp import GradScaler as GradScaler  # noqa: E402
from .amp import autocast as autocast  # noqa: E402
from .amp._state import is_autocast_enabled as is_autocast_enabled  # noqa: E402
from .amp._state import set_autocast_enabled as set_autocast_enabled  # noqa: E402
from .amp._state import get_autocast_dtype as get_autocast_dtype  # noqa: E402
from .amp._state import set_autocast_dtype as set_autocast_dtype  # noqa: E402
from .amp._state import is_autocast_cache_enabled as is_autocast_cache_enabled  # noqa: E402
from .amp._state import set_autocast_cache_enabled as set_autocast_cache_enabled  # noqa: E402
from .amp._state import clear_autocast_cache as clear_autocast_cache  # noqa: E402
from .amp._state import autocast_increment_nesting as autocast_increment_nesting  # noqa: E402
from .amp._state import autocast_decrement_nesting as autocast_decrement_nesting  # noqa: E402
from .amp._state import is_autocast_cpu_enabled as is_autocast_cpu_enabled  # noqa: E402
from .amp._state import set_autocast_cpu_enabled as set_autocast_cpu_enabled  # noqa: E402
from .amp._state import get_autocast_cpu_dtype as get_autocast_cpu_dtype  # noqa: E402
from .amp._state import set_autocast_cpu_dtype as set_autocast_cpu_dtype  # noqa: E402
from .amp._state import get_autocast_gpu_dtype as get_autocast_gpu_dtype  # noqa: E402
from .amp._state import set_autocast_gpu_dtype as set_autocast_gpu_dtype  # noqa: E402
from .amp._state import is_autocast_ipu_enabled as is_autocast_ipu_enabled  # noqa: E402
from .amp._state import set_autocast_ipu_enabled as set_autocast_ipu_enabled  # noqa: E402
from .amp._state import get_autocast_ipu_dtype as get_autocast_ipu_dtype  # noqa: E402
from .amp._state import set_autocast_ipu_dtype as set_autocast_ipu_dtype  # noqa: E402
from .amp._state import is_autocast_xla_enabled as is_autocast_xla_enabled  # noqa: E402
from .amp._state import set_autocast_xla_enabled as set_autocast_xla_enabled  # noqa: E402
from .amp._state import get_autocast_xla_dtype as get_autocast_xla_dtype  # noqa: E402
from .amp._state import set_autocast_xla_dtype as set_autocast_xla_dtype  # noqa: E402
from .amp.grad_scaler import _amp_foreach_non_finite_check_and_unscale_ as \
    _amp_foreach_non_finite_check_and_unscale_  # noqa: E402
from .amp.grad_scaler import _amp_update_scale_ as _amp_update_scale_  # noqa: E402

__version__ = "2.13.0+torchlike"


def __getattr__(name: str):
    """torch.<name> that torchlike lacks: a placeholder or submodule as in torch (_errors)."""
    from ._errors import missing_attribute
    return missing_attribute("torch", name)
