"""torch.nn.parallel.DistributedDataParallel over torchlike's one-process group.

Gradient all-reduce (the mean over the group) and the parameter broadcast at construction are
the identity over one process, so the wrapper runs the module and leaves its gradients as
they are; torch's construction checks and attributes are kept. A communication hook
(register_comm_hook) gets the gradients in torch's buckets and replaces them (_reducer.py).
"""
from __future__ import annotations

import inspect
import warnings
from contextlib import contextmanager
from typing import Any

from ... import Tensor
from ...autograd import Function
from ...autograd import is_grad_enabled
from ...distributed.distributed_c10d import _world
from ..modules.module import Module
from ._reducer import FIRST_BUCKET_BYTES, Reducer

_MB = 1024 * 1024


class _DDPSink(Function):
    """Passes the outputs through (cloned, as torch's) so that they carry torch's grad_fn
    _DDPSinkBackward where torch's reducer watches for unused parameters."""

    @staticmethod
    def forward(ctx, *inputs):
        ctx.set_materialize_grads(False)
        return tuple(t.clone() if isinstance(t, Tensor) else t for t in inputs)

    @staticmethod
    def backward(ctx, *grad_outputs):
        return grad_outputs


class DistributedDataParallel(Module):
    """Wraps `module` as `.module` (state_dict keys start with "module."); needs an
    initialized process group, as torch's."""

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool | None = None, init_sync: bool = True,
                 process_group: Any = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 delay_all_reduce_named_params: Any = None, param_to_hook_all_reduce: Any = None,
                 mixed_precision: Any = None, device_mesh: Any = None,
                 skip_all_reduce_unused_params: bool = False,
                 bucket_cap_mb_list: list[int] | None = None, batched_grad_copy: bool = False,
                 forward_sync_buffers: bool | None = None) -> None:
        super().__init__()
        if (delay_all_reduce_named_params is None) != (param_to_hook_all_reduce is None):
            raise ValueError("delay_all_reduce_named_params and param_to_hook_all_reduce "
                             "need to be set at the same time.")
        if device_mesh is not None:
            raise NotImplementedError("torch.nn.parallel.DistributedDataParallel(device_mesh=) "
                                      "is not implemented in torchlike")
        if mixed_precision is not None:
            raise NotImplementedError("torch.nn.parallel.DistributedDataParallel("
                                      "mixed_precision=) is not implemented in torchlike")
        self.process_group = _world() if process_group is None else process_group
        ignore = set(getattr(module, "_ddp_params_and_buffers_to_ignore", ()))
        for name, _ in delay_all_reduce_named_params or ():
            ignore.add(name)
        self.parameters_to_ignore = ignore
        params = [p for n, p in module.named_parameters() if n not in ignore]
        if not any(p.requires_grad for p in params) and not delay_all_reduce_named_params:
            raise RuntimeError("DistributedDataParallel is not needed when a module "
                               "doesn't have any parameter that requires a gradient.")
        if device_ids or output_device:
            devices = {p.device for p in params}
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                f"{device_ids}, output_device {output_device}, and module parameters {devices}.")
        self.device_ids = None
        self.output_device = None
        self.device_type = "cpu"
        self.dim = dim
        self.module = module
        self.device = params[0].device if params else None
        self.broadcast_buffers = True if broadcast_buffers is None else broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.gradient_as_bucket_view = gradient_as_bucket_view
        caps = tuple(int(mb * _MB) for mb in bucket_cap_mb_list or ())
        cap_mb = max(bucket_cap_mb_list) if caps else 25 if bucket_cap_mb is None else \
            bucket_cap_mb
        self.bucket_bytes_cap = int(cap_mb * _MB)
        self.static_graph = bool(static_graph)
        first = FIRST_BUCKET_BYTES if bucket_cap_mb is None and not caps else \
            self.bucket_bytes_cap
        self._comm_hooks: list = []
        self._reducer = Reducer([p for p in params if p.requires_grad], self.bucket_bytes_cap,
                                first, caps, find_unused_parameters, self.static_graph)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if is_grad_enabled():
            self._reducer.pre_forward()
        output = self.module(*inputs, **kwargs)
        self.require_forward_param_sync = is_grad_enabled() and self.require_backward_grad_sync
        if self.require_forward_param_sync:
            self._reducer.prepare_for_backward(_tensors(output))
        if not (self.find_unused_parameters and not self.static_graph):
            return output
        # torch's sink over the flattened outputs; tensors without a grad_fn stay as they are
        single = isinstance(output, Tensor)
        flat = [output] if single else list(output) if isinstance(output, (tuple, list)) \
            else None
        if flat is None or not any(isinstance(t, Tensor) for t in flat):
            return output
        passed = _DDPSink.apply(*flat)
        flat = [t if isinstance(t, Tensor) and t.grad_fn is None else p
                for t, p in zip(flat, passed)]
        return flat[0] if single else type(output)(flat)

    @contextmanager
    def no_sync(self):
        """Skip the gradient all-reduce inside the block (a no-op over one process)."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    @contextmanager
    def join(self, divide_by_initial_world_size: bool = True, enable: bool = True,
             throw_on_early_termination: bool = False):
        """Uneven inputs across processes: with one process there is nobody to wait for."""
        yield

    def _set_static_graph(self) -> None:
        self.static_graph = self._reducer.static_graph = True

    def register_comm_hook(self, state: Any, hook: Any) -> None:
        """hook(state, bucket) -> Future whose value replaces the bucket's gradients; it runs
        during backward, once per bucket, in bucket order."""
        _check_comm_hook(hook)
        if self._reducer.hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be "
                               "called once.")
        self._comm_hooks.append((hook, state))
        self._reducer.set_hook(hook, state)


def _check_comm_hook(hook: Any) -> None:
    """torch's checks of a hook's signature (annotations, when given, must be torch's)."""
    from ...distributed import GradBucket, is_nccl_available
    from ...futures import Future
    if not callable(hook):
        raise TypeError("Communication hook must be callable.")
    sig = inspect.signature(hook)
    if sig.parameters["bucket"].annotation not in (inspect.Parameter.empty, GradBucket):
        raise ValueError("Communication hook: bucket annotation should be dist.GradBucket.")
    if sig.return_annotation is not inspect.Signature.empty and \
            sig.return_annotation != Future[Tensor]:
        raise ValueError("Communication hook: return annotation should be "
                         "torch.futures.Future[torch.Tensor].")
    if hook.__name__ in ("bf16_compress_hook", "bf16_compress_wrapper_hook") and \
            not is_nccl_available():  # torchlike has no NCCL (nor XCCL)
        raise TypeError("BF16 all reduce communication hook required CUDA 11+ and NCCL 2.10+ "
                        "or XPU and XCCL")


def _tensors(output: Any) -> list:
    """The tensors in a forward's output (torch's _find_tensors)."""
    if isinstance(output, Tensor):
        return [output]
    if isinstance(output, (list, tuple)):
        return [t for o in output for t in _tensors(o)]
    if isinstance(output, dict):
        return [t for o in output.values() for t in _tensors(o)]
    return []


class DistributedDataParallelCPU(DistributedDataParallel):
    """Deprecated in torch: DistributedDataParallel with a FutureWarning."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn("`torch.nn.parallel.DistributedDataParallelCPU` is deprecated, please use "
                      "`torch.nn.parallel.DistributedDataParallel` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__(*args, **kwargs)
