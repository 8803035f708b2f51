"""torch.autograd: backward, grad, grad modes, Function, and the vjp cache's controls."""
from __future__ import annotations

from .._errors import missing as _missing
from .. import _tensor as _T  # a module reference: _tensor imports autograd in turn
from .engine import run_backward as _run_backward
from .anomaly_mode import detect_anomaly as detect_anomaly
from .anomaly_mode import set_detect_anomaly as set_detect_anomaly
from .function import Function as Function
from .function import FunctionCtx as FunctionCtx
from .function import once_differentiable as once_differentiable
from .fused import cache_info as cache_info
from .fused import clear_cache as clear_cache
from .fused import set_cache_size as set_cache_size
from .grad_mode import enable_grad as enable_grad
from .grad_mode import inference_mode as inference_mode
from .grad_mode import is_grad_enabled as is_grad_enabled
from .grad_mode import is_inference_mode_enabled as is_inference_mode_enabled
from .grad_mode import no_grad as no_grad
from .grad_mode import set_grad_enabled as set_grad_enabled
from .graph import Node as Node
from . import graph as graph
from . import function as function
from . import anomaly_mode as anomaly_mode
from .variable import Variable as Variable
from . import variable as variable
from .gradcheck import gradcheck as gradcheck  # the function shadows its module, as in torch
from .gradcheck import gradgradcheck as gradgradcheck


def _seq(x):
    if x is None:
        return None
    return [x] if isinstance(x, (_T.Tensor, graph.GradientEdge)) else list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None) -> None:
    """Accumulate gradients of `tensors` into the leaves' `.grad`."""
    tensors = _seq(tensors)
    grads = _seq(grad_tensors) or [None] * len(tensors)
    if inputs is not None:
        inputs = _seq(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    _run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return the gradients of `outputs` with respect to `inputs` (no .grad is touched)."""
    import jax.numpy as jnp
    outputs, inputs = _seq(outputs), _seq(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grads = _seq(grad_outputs) or [None] * len(outputs)
    res = _run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                        accumulate=False)
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, r in enumerate(res):
        if r is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is "
                                   "the desired behavior.")
            if materialize_grads:
                res[i] = _T._wrap(jnp.zeros_like(inputs[i]._data))
    return tuple(res)


__getattr__ = _missing("torch.autograd")  # names torchlike lacks: NotImplementedError
