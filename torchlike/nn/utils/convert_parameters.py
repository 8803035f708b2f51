"""parameters_to_vector / vector_to_parameters."""
from __future__ import annotations

from ..._tensor import Tensor
from ..modules._utils import _rebind


def parameters_to_vector(parameters) -> Tensor:
    """One flat vector of all parameters (differentiable: view + cat, as in torch)."""
    from ... import cat  # bound once the op table is loaded
    return cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Slice `vec` into the parameters' shapes and make those their data."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        _rebind(param, vec._data[pointer:pointer + n].reshape(tuple(param.shape)))
        pointer += n
