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


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type=None) -> Generator:
    """Restore the CPU generator's state on exit: random draws inside leave no trace outside.
    torchlike has no accelerator generators, so naming devices fails as torch's CPU build."""
    if device_type == "meta":
        yield
        return
    if device_type not in (None, "cuda"):
        from ._errors import NotImplementedOp
        raise NotImplementedOp(f"torch.random.fork_rng(device_type={device_type!r}) is not "
                               "implemented in torchlike")
    if not enabled:
        yield
        return
    if devices:
        raise AssertionError("Torch not compiled with CUDA enabled")
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
