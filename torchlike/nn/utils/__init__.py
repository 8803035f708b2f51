"""torch.nn.utils: gradient clipping and parameter/vector conversion."""
from ..._errors import missing as _missing
from . import clip_grad as clip_grad
from .clip_grad import clip_grad_norm as clip_grad_norm
from .clip_grad import clip_grad_norm_ as clip_grad_norm_
from .clip_grad import clip_grad_value_ as clip_grad_value_
from .clip_grad import clip_grads_with_norm_ as clip_grads_with_norm_
from .clip_grad import get_total_norm as get_total_norm
from .convert_parameters import parameters_to_vector as parameters_to_vector
from .convert_parameters import vector_to_parameters as vector_to_parameters


__getattr__ = _missing("torch.nn.utils")  # names torchlike lacks: NotImplementedError
