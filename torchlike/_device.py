"""torch.device <-> jax devices; the default device factories use (`with torch.device(...)`,
torch.set_default_device)."""
from __future__ import annotations

import threading

import jax
import numpy as np

from ._compile import jit


class device:
    """torch.device('cpu'), device('cuda', 0), device('cuda:0')."""

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int):
            type, index = "cuda", type
        elif ":" in type:
            type, idx = type.split(":", 1)
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta", "mps", "xla"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, "
                "fpga, maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type "
                f"at start of device string: {type}")
        self.type, self.index = type, index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __enter__(self):
        # torch's device context: factories given no device= make their tensors here
        _defaults.stack.append(self)
        _defaults.refresh()
        return self

    def __exit__(self, *exc_info) -> None:
        _defaults.stack.pop()
        _defaults.refresh()


class _Defaults(threading.local):
    """Per thread, as in torch: the `with device(...)` blocks (innermost last), the device
    set_default_device chose, and what factories read: None for the CPU."""

    def __init__(self) -> None:
        self.stack: list = []
        self.chosen = None
        self.factory = None

    def current(self) -> device:
        return self.stack[-1] if self.stack else self.chosen or CPU

    def refresh(self) -> None:
        d = self.current()
        self.factory = None if d.type == "cpu" else d


_defaults = _Defaults()


def get_default_device() -> device:
    """torch.get_default_device."""
    d = _defaults.current()
    return device("cuda", 0) if d.type == "cuda" and d.index is None else d


def set_default_device(d) -> None:
    """torch.set_default_device (None: back to the CPU); a `with device(...)` block wins."""
    _defaults.chosen = None if d is None else device(d)
    _defaults.refresh()


def _gpus() -> list:
    try:
        return jax.devices("gpu")
    except RuntimeError:
        return []


def jax_device(d: device):
    """The jax device a torch device names (cuda -> the JAX GPU backend)."""
    if d.type == "cuda":
        gpus = _gpus()
        if not gpus:
            raise RuntimeError("Found no NVIDIA driver on your system. Please check that you have "
                               "an NVIDIA GPU and installed a driver from "
                               "http://www.nvidia.com/Download/index.aspx")
        return gpus[d.index or 0]
    return jax.devices("cpu")[0]


def of_array(arr) -> device:
    """The torch device an array lives on."""
    try:
        dev = next(iter(arr.devices()))
    except (AttributeError, StopIteration, NotImplementedError):
        return META if isinstance(arr, jax.ShapeDtypeStruct) else CPU
    if dev.platform == "gpu" or dev.platform == "cuda":
        return device("cuda", dev.id)
    return CPU


CPU = device("cpu")
META = device("meta")


def _make_upload(native: bool = True):
    """numpy -> a jax array on the CPU device: jax's C++ batched transfer (~2.5 us) when this
    jax has it, else a jitted identity (~4 us); jnp.asarray and device_put take ~11-19 us.
    Callers pass arrays they own (fresh copies): the result may share their memory."""
    ident = jit(lambda a: a)
    if not native:
        return ident
    try:
        from jax._src.core import ShapedArray
        from jax._src.lib import xla_client

        cpu = jax.devices("cpu")[0]
        sharding, devices, avals = jax.sharding.SingleDeviceSharding(cpu), [cpu], {}
        put = xla_client.batched_device_put

        def upload(values):
            key = (values.shape, values.dtype)
            aval = avals.get(key)
            if aval is None:
                if len(avals) > 4096:
                    avals.clear()
                aval = avals[key] = ShapedArray(values.shape, values.dtype)
            return put(aval, sharding, [values], devices, False)
        upload(np.zeros((1,), np.float32)).block_until_ready()  # fails here, not later
        return upload
    except Exception:  # noqa: BLE001 - an internal API: any failure means "not available"
        return ident


upload = _make_upload()


_ON_CPU: list = []


def as_array(values: np.ndarray):
    """A numpy array the caller owns as a jax array where jnp.asarray would place it (JAX's
    default device), by `upload` when that is the CPU: jnp.asarray compiles a program per
    shape and dtype there (~15-20 ms each, for every new mask, index or fill)."""
    if not _ON_CPU:
        _ON_CPU.append(jax.default_backend() == "cpu")
    return upload(values) if _ON_CPU[0] else jax.numpy.asarray(values)
