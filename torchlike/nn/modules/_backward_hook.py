"""Module full backward hooks: identity autograd Functions around a module's tensor inputs and
outputs capture grad_output, then call hook(module, grad_input, grad_output)."""
from __future__ import annotations

from ..._tensor import Tensor, _wrap
from ...autograd.function import Function


class _Identity(Function):
    """Returns copies of its tensors; its backward hands the gradients to `on_grads`."""

    @staticmethod
    def forward(ctx, on_grads, *tensors):
        ctx.on_grads = on_grads
        return tuple(_wrap(t._data) for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.on_grads(grads))


class BackwardHook:
    """One forward call's hook state."""

    def __init__(self, module, hooks):
        self.module, self.hooks = module, hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.has_inputs = False

    def setup_input(self, args):
        self.n_inputs = sum(isinstance(a, Tensor) for a in args)
        pos = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not pos:
            return args
        self.has_inputs = True
        self.input_pos = [sum(isinstance(a, Tensor) for a in args[:i]) for i in pos]
        new = _Identity.apply(self._on_input_grads, *[args[i] for i in pos])
        args = list(args)
        for i, t in zip(pos, new):
            args[i] = t
        return tuple(args)

    def setup_output(self, result):
        single = isinstance(result, Tensor)
        outs = (result,) if single else result
        if not isinstance(outs, tuple):
            return result
        pos = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not pos:
            return result
        new = _Identity.apply(self._on_output_grads, *[outs[i] for i in pos])
        outs = list(outs)
        for i, t in zip(pos, new):
            outs[i] = t
        return outs[0] if single else tuple(outs)

    def _run_hooks(self, grad_input):
        for hook in self.hooks:
            res = hook(self.module, grad_input, self.grad_outputs)
            if res is not None:
                grad_input = tuple(res)
        return grad_input

    def _on_output_grads(self, grads):
        self.grad_outputs = tuple(grads)
        if not self.has_inputs:
            self._run_hooks((None,) * self.n_inputs)
        return grads

    def _on_input_grads(self, grads):
        full = [None] * self.n_inputs
        for p, g in zip(self.input_pos, grads):
            full[p] = g
        full = self._run_hooks(tuple(full))
        return [full[p] for p in self.input_pos]
