"""Functional normalization: layer_norm, batch_norm (running statistics), group_norm,
rms_norm. One table op each; batch_norm's statistics update rides in the same kernel."""
from __future__ import annotations

import math

import numpy as np

from .._compile import jit
from .._tensor import _SHORT, Size
from ..autograd import grad_mode
from ..ops import nn as K
from ..ops._registry import run


def _normalized(name, input, normalized_shape):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(ns):]) != ns or input.ndim < len(ns):
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(str(n) for n in ns)}], but got input of size"
                           f"{list(input.shape)}")
    return ns


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    ns = _normalized("layer_norm", input, normalized_shape)
    return run(K.layer_norm_op, (input, weight, bias, eps), (("nd", len(ns)),))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    ns = _normalized("rms_norm", input, normalized_shape)
    if input.dtype.kind not in "fc":
        raise NotImplementedError(f'"rms_norm" not implemented for \'{_SHORT[input.dtype.name]}\'')
    # torch: its compute type's epsilon by default, rounded to the input's dtype
    eps = float(np.asarray(np.finfo(np.float32 if input.dtype.itemsize < 4 else input.dtype.np)
                           .eps if eps is None else eps, input.dtype.np))
    if grad_mode._modes.grad and (input.requires_grad or weight is not None
                                  and weight.requires_grad):
        # torch composes it (CompositeImplicitAutograd, in C++: AddBackward1 for the eps)
        from ..autograd.formulas import add_scalar
        x = input.float() if input.dtype.itemsize < 4 else input
        r = add_scalar(x.pow(2).mean([x.ndim - 1 - i for i in range(len(ns))], keepdim=True), eps)
        out = x.mul(r.rsqrt()).type_as(input)
        return out if weight is None else out.mul(weight)
    return run(K.rms_norm_op, (input, weight, eps), (("nd", len(ns)),))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    if input.shape[1] % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    return run(K.group_norm_op, (input, weight, bias, eps), (("groups", int(num_groups)),))


@jit
def _update_stats(rm, rv, mean, var, momentum):
    m = momentum.astype(rm.dtype)
    return m * mean.astype(rm.dtype) + (1 - m) * rm, m * var.astype(rv.dtype) + (1 - m) * rv


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """torch's batch_norm; in training the running statistics are updated in place."""
    if training:
        if math.prod(input.shape) // max(input.shape[1] if input.ndim > 1 else 1, 1) == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {Size(input.shape)}")
        if running_mean is None or running_var is None:
            return run(K.batch_norm_train_op, (input, weight, bias, eps))
        out, mean, var = run(K.batch_norm_stats_op, (input, weight, bias, eps))
        # The statistics are not operands of the recorded node (torch saves none of them), so
        # updating them in place never trips the saved-tensor version check.
        rm, rv = _update_stats(running_mean._data, running_var._data, mean._data, var._data,
                               momentum)
        running_mean._set_data(rm)
        running_var._set_data(rv)
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    return run(K.batch_norm_eval_op, (input, weight, bias, running_mean, running_var, eps))
