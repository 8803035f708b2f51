"""What torch's module classes read from a whole-module pickle that torchlike's keep elsewhere.

torch.save(model) pickles each module's `__dict__`, and torch's class gets it back as its own
`__dict__` on load; the attribute sets of torchlike's modules match torch's, except where
torchlike computes a value on demand that torch stores. torchlike's torch.save adds those
(torch_state) so real torch's forward finds them. Loading torch's pickles in torchlike needs
nothing: the extra attributes torch stores sit unused in the instance (`_flat_weights` under
torchlike's property of that name).
"""
from __future__ import annotations

from typing import Any


def _conv(m) -> dict[str, Any]:
    """torch's _ConvNd: the padding F.pad takes for non-zero padding modes."""
    if isinstance(m.padding, str):
        pads = [0, 0] * len(m.kernel_size)
        if m.padding == "same":
            for i, (d, k) in enumerate(zip(m.dilation, m.kernel_size)):
                total = d * (k - 1)
                j = len(m.kernel_size) - 1 - i
                pads[2 * j], pads[2 * j + 1] = total // 2, total - total // 2
        return {"_reversed_padding_repeated_twice": pads}
    return {"_reversed_padding_repeated_twice": tuple(p for p in reversed(m.padding)
                                                      for _ in range(2))}


def _rnn(m) -> dict[str, Any]:
    """torch's RNNBase: its weights in flat order (torch drops the weak references itself)."""
    return {"_flat_weights": [getattr(m, n, None) for n in m._flat_weights_names]}


def _relu6(m) -> dict[str, Any]:
    """torch's ReLU6 is a Hardtanh(0, 6)."""
    return {"min_val": 0.0, "max_val": 6.0}


def _adapters() -> list[tuple[type, Any]]:
    from .nn.modules.activation import ReLU6
    from .nn.modules.conv import _ConvNd
    from .nn.modules.rnn import RNNBase
    return [(_ConvNd, _conv), (RNNBase, _rnn), (ReLU6, _relu6)]


_table: list = []


def torch_state(module) -> dict[str, Any]:
    """The attributes torch's class for this torchlike module stores and torchlike's lacks."""
    if not _table:
        _table.extend(_adapters())
    extra: dict[str, Any] = {}
    for cls, adapt in _table:
        if isinstance(module, cls):
            extra.update({k: v for k, v in adapt(module).items() if k not in vars(module)})
    return extra
