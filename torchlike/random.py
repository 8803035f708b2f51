"""torch.random: the CPU generator's functions (the same objects as torch.*'s) and fork_rng."""
from __future__ import annotations

import contextlib
from collections.abc import Generator

from ._errors import missing as _missing
from ._random import default_generator as default_generator
from ._random import get_rng_state as get_rng_state
from ._random import initial_seed as initial_seed
from ._random import manual_seed as manual_seed
from ._random import seed as seed
from ._random import set_rng_state as set_rng_state


def __getattr__(name: str):
    if name == "thread_safe_generator":  # defined in torchlike/__init__ after this module loads
        import torchlike
        return torchlike.thread_safe_generator
    return _missing("torch.random")(name)


# the device types torch names, and what its CPU build raises reading the generator of those
# with a module (torch.cuda, ...): fork_rng given devices
_TYPES = ("cpu cuda ipu xpu mkldnn opengl opencl ideep hip ve fpga maia xla lazy vulkan mps meta "
          "hpu mtia privateuseone").split()
_NO_DEVICE = {
    "cuda": lambda: AssertionError("Torch not compiled with CUDA enabled"),
    "xpu": lambda: AssertionError("Torch not compiled with XPU enabled"),
    "mps": lambda: RuntimeError("Cannot execute getDefaultGenerator() without MPS backend."),
    "cpu": lambda: AttributeError("module 'torch.cpu' has no attribute 'get_rng_state'"),
    "mtia": lambda: AssertionError(
        "Torch not compiled with MTIA enabled. Ensure you have `import mtia.host_runtime."
        "torch_mtia.dynamic_library` in your python src file and include `//mtia/host_runtime/"
        "torch_mtia:torch_mtia` as your target dependency!")}


def _device_type(device_type) -> str:
    """torch.get_device_module's checks: a device type torch knows, with a module of its own."""
    from ._device import device
    name = device_type.type if isinstance(device_type, device) else str(device_type)
    name = name.split(":")[0]
    if name not in _TYPES:
        device(name)  # torch's error for a device type it does not know
    if name not in _NO_DEVICE:
        raise RuntimeError(f"Device '{name}' does not have a corresponding module registered "
                           f"as 'torch.{name}'.")
    return name


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type=None) -> Generator:
    """Restore the CPU generator's state on exit: random draws inside leave no trace outside.
    torchlike has no accelerator generators: naming devices fails as in torch's CPU build."""
    if device_type == "meta":
        yield
        return
    name = _device_type(device_type or "cuda")  # no accelerator: torch's default
    if not enabled:
        yield
        return
    if devices is None:  # every device of the type: none but the CPU itself
        devices = [0] if name == "cpu" else []
    devices = list(devices)
    if devices:
        raise _NO_DEVICE[name]()
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
