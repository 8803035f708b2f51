"""torch.utils.tensorboard: TensorBoard event files. As in torch, needs the `tensorboard` package
(pip install torchlike[tensorboard]), whose protobufs and event file writer it uses."""
import re as _re

import tensorboard as _tensorboard


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in _re.findall(r"\d+", version.split("+")[0])[:3])


if _release(getattr(_tensorboard, "__version__", "0")) < (1, 15):
    raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above")

from tensorboard.summary.writer.record_writer import RecordWriter as RecordWriter  # noqa: E402

from .writer import FileWriter as FileWriter  # noqa: E402
from .writer import SummaryWriter as SummaryWriter  # noqa: E402

from ..._errors import missing as _missing  # noqa: E402

__all__ = ["FileWriter", "RecordWriter", "SummaryWriter"]
__getattr__ = _missing("torch.utils.tensorboard")  # names torchlike lacks: NotImplementedError
