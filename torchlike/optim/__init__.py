"""torch.optim: optimizers (one jitted update per parameter group) and lr schedulers."""
from .._errors import missing as _missing
from . import lr_scheduler as lr_scheduler
from .adam import Adam as Adam
from .adam import AdamW as AdamW
from .optimizer import Optimizer as Optimizer
from .rmsprop import Adagrad as Adagrad
from .rmsprop import RMSprop as RMSprop
from .sgd import SGD as SGD


__getattr__ = _missing("torch.optim")  # names torchlike lacks: NotImplementedError
