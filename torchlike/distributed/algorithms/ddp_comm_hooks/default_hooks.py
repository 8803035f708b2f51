"""DDP communication hooks: average a bucket by all_reduce, optionally through float16 or
bfloat16 (the gradients then carry that precision's rounding, as in torch).

The hooks' annotations are the objects themselves (no `from __future__ import annotations`):
register_comm_hook compares them with GradBucket and Future[Tensor], as torch does."""
from typing import Any, Callable

import torchlike as tl
from ... import distributed_c10d as dist
from ..._grad_bucket import GradBucket
from ....futures import Future

__all__ = ["allreduce_hook", "fp16_compress_hook", "bf16_compress_hook",
           "fp16_compress_wrapper", "bf16_compress_wrapper"]

Hook = Callable[[Any, GradBucket], Future]


def _group(process_group: Any) -> Any:
    return process_group if process_group is not None else dist.group.WORLD


def allreduce_hook(process_group: dist.ProcessGroup,
                   bucket: GradBucket) -> Future[tl.Tensor]:
    """The mean of the bucket over the group: what DDP does without a hook."""
    group = _group(process_group)
    tensor = bucket.buffer()
    tensor.div_(group.size())
    work = dist.all_reduce(tensor, group=group, async_op=True)
    return work.get_future().then(lambda fut: fut.value()[0])


def _compress_hook(dtype: Any, process_group: Any, bucket: Any) -> Future:
    """all_reduce the bucket cast to `dtype` and divided by the group's size; the result is
    copied back into the bucket (its own dtype)."""
    group = _group(process_group)
    buffer = bucket[0] if isinstance(bucket, tuple) else bucket.buffer()
    compressed = buffer.to(dtype).div_(group.size())

    def decompress(fut: Any) -> Any:
        value = fut if isinstance(fut, tl.Tensor) else fut.value()[0]
        buffer.copy_(value)
        return buffer
    return dist.all_reduce(compressed, group=group, async_op=True).get_future().then(decompress)


def fp16_compress_hook(process_group: dist.ProcessGroup,
                       bucket: GradBucket) -> Future[tl.Tensor]:
    return _compress_hook(tl.float16, process_group, bucket)


def bf16_compress_hook(process_group: dist.ProcessGroup,
                       bucket: GradBucket) -> Future[tl.Tensor]:
    return _compress_hook(tl.bfloat16, process_group, bucket)


def _compress_wrapper(dtype: Any, hook: Hook) -> Hook:
    def wrapper_hook(hook_state: Any, bucket: GradBucket) -> Future[tl.Tensor]:
        bucket.set_buffer(bucket.buffer().to(dtype))
        fut = hook(hook_state, bucket)

        def decompress(fut: Any) -> Any:
            out = bucket.buffer()
            out.copy_(fut.value())
            return out
        return fut.then(decompress)
    return wrapper_hook


def fp16_compress_wrapper(hook: Hook) -> Hook:
    """hook run on the bucket cast to float16, its result cast back."""
    wrapped = _compress_wrapper(tl.float16, hook)
    wrapped.__name__ = wrapped.__qualname__ = "fp16_compress_wrapper_hook"
    return wrapped


def bf16_compress_wrapper(hook: Hook) -> Hook:
    """hook run on the bucket cast to bfloat16, its result cast back."""
    wrapped = _compress_wrapper(tl.bfloat16, hook)
    wrapped.__name__ = wrapped.__qualname__ = "bf16_compress_wrapper_hook"
    return wrapped
