"""Module backward hooks, as torch.utils.hooks.BackwardHook: identity autograd Functions
(BackwardHookFunctionBackward in the graph) around a module's tensor inputs and outputs capture
grad_output, run the backward pre-hooks, then call hook(module, grad_input, grad_output). The
deprecated non-full hooks hang on the output's grad_fn, with torch's FutureWarnings."""
from __future__ import annotations

import warnings
import weakref

from ..._tensor import Tensor, _wrap
from ...autograd import grad_mode
from ...autograd.function import Function


class BackwardHookFunction(Function):
    """Returns its tensors unchanged; those that do not require grad stay non-differentiable."""

    @staticmethod
    def forward(ctx, *args):
        outs = tuple(_wrap(a._data) for a in args)
        ctx.mark_non_differentiable(*[o for a, o in zip(args, outs) if not a.requires_grad])
        return outs

    @staticmethod
    def backward(ctx, *grads):
        return grads


class _WrappedHook:
    """hook(module, *args) for a graph node's hook, holding the module weakly (torch's)."""

    def __init__(self, hook, module=None):
        self.hook = hook
        self.module = None if module is None else weakref.ref(module)

    def __call__(self, *args):
        if self.module is None:
            return self.hook(*args)
        module = self.module()
        if module is None:
            raise RuntimeError("You are trying to call the hook of a dead Module!")
        return self.hook(module, *args)


class BackwardHook:
    """One forward call's full backward hooks and backward pre-hooks."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module, self.user_hooks, self.user_pre_hooks = module, user_hooks, user_pre_hooks
        self.grad_outputs = None
        self.n_outputs = self.n_inputs = -1
        self.output_tensors_index = self.input_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size):
        res = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    def _set_user_hook(self, grad_fn):
        def hook(grad_input, _):
            if self.grad_outputs is None:  # reached the inputs without passing the outputs
                return None
            res = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
            for user_hook in self.user_hooks:
                out = user_hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(res)}")
                res = out
            self.grad_outputs = None
            return tuple(res[i] for i in self.input_tensors_index)
        grad_fn.register_hook(hook)

    def _apply_on_tensors(self, fn, args):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not (any(args[i].requires_grad for i in idx) and grad_mode.is_grad_enabled()):
            return args, None
        new = BackwardHookFunction.apply(*[args[i] for i in idx])
        fn(next(t.grad_fn for t in new if t.grad_fn is not None))
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return tuple(out), idx

    def setup_input_hook(self, args):
        res, self.input_tensors_index = self._apply_on_tensors(self._set_user_hook, args)
        self.n_inputs = len(args)
        return res

    def _output_hook(self, _, grad_output):
        self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output,
                                                 self.n_outputs)
        expected = len(self.grad_outputs)
        for pre_hook in self.user_pre_hooks:
            new = pre_hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != expected:
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(new)}, but expected {expected}")
            self.grad_outputs = new
        local = self.grad_outputs
        if self.input_tensors_index is None:  # no input requires grad: fire at the outputs
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=5)
            grad_inputs = (None,) * self.n_inputs
            for user_hook in self.user_hooks:
                res = user_hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and
                                            all(el is None for el in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_tensors_index)

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        res, self.output_tensors_index = self._apply_on_tensors(
            lambda grad_fn: grad_fn.register_hook(self._output_hook), outs)
        self.n_outputs = len(outs)
        return res[0] if single else res


# F.linear's addmm / mm nodes take the weight where torch has weight.t() (ops/nn.py), so their
# last gradient has the weight's shape: the hook sees it transposed, as torch's node gives it.
_WEIGHT_T_KERNELS = ("linear_addmm", "linear_mm")


def _t_last(grads):
    if grads and grads[-1] is not None:
        grads = (*grads[:-1], grads[-1].t())
    return grads


def _nonfull_hook(hook, module, grad_fn):
    """A deprecated module backward hook as a hook of the output's grad_fn (tuples, as torch's)."""
    wrapped = _WrappedHook(hook, module)
    kernel = getattr(grad_fn, "kernel", None)
    if getattr(getattr(kernel, "op", None), "name", None) not in _WEIGHT_T_KERNELS:
        return lambda grad_inputs, grad_outputs: wrapped(tuple(grad_inputs), tuple(grad_outputs))

    def weight_t_hook(grad_inputs, grad_outputs):
        res = wrapped(_t_last(tuple(grad_inputs)), tuple(grad_outputs))
        return None if res is None else _t_last(tuple(res))
    return weight_t_hook


def setup_nonfull_hooks(module, hooks, args, result) -> None:
    var = result
    while not isinstance(var, Tensor):
        if isinstance(var, dict):
            var = next(v for v in var.values() if isinstance(v, Tensor))
        else:
            var = var[0]
    grad_fn = var.grad_fn
    if grad_fn is None:
        return
    for hook in hooks:
        grad_fn.register_hook(_nonfull_hook(hook, module, grad_fn))
    _maybe_warn_non_full_backward_hook(args, result, grad_fn)


_MISSING = ("in future versions. This hook will be missing some of the grad_{}. Please use "
            "register_full_backward_hook to get the documented behavior.")


def _maybe_warn_non_full_backward_hook(inputs, result, grad_fn) -> None:
    """torch's FutureWarnings for a deprecated backward hook whose grads will be incomplete."""
    def warn(msg):
        warnings.warn(msg, FutureWarning, stacklevel=4)

    if isinstance(result, Tensor):
        result = (result,)
    elif not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
        warn("Using non-full backward hooks on a Module that does not return a single Tensor or "
             "a tuple of Tensors is deprecated and will be removed " + _MISSING.format("output"))
        return
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    elif not (isinstance(inputs, tuple) and all(isinstance(i, Tensor) for i in inputs)):
        warn("Using non-full backward hooks on a Module that does not take as input a single "
             "Tensor or a tuple of Tensors is deprecated and will be removed " +
             _MISSING.format("input"))
        return
    out_grad_fn = {r.grad_fn for r in result if r.grad_fn is not None}
    if not out_grad_fn or (len(out_grad_fn) == 1 and grad_fn not in out_grad_fn):
        warn("Using a non-full backward hook when outputs are nested in python data structure "
             "is deprecated and will be removed in future versions. This hook will be missing "
             "some grad_output.")
    elif len(out_grad_fn) > 1:
        warn("Using a non-full backward hook when outputs are generated by different autograd "
             "Nodes is deprecated and will be removed in future versions. This hook will be "
             "missing some grad_output. Please use register_full_backward_hook to get the "
             "documented behavior.")
    else:
        inputs_grad_fn = {i.grad_fn for i in inputs if i.grad_fn is not None}
        if inputs_grad_fn != {n[0] for n in grad_fn.next_functions}:
            warn("Using a non-full backward hook when the forward contains multiple autograd "
                 "Nodes is deprecated and will be removed in future versions. This hook will be "
                 "missing some grad_input. Please use register_full_backward_hook to get the "
                 "documented behavior.")
