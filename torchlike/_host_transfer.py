"""`to_device(a)`: a numpy array the caller owns as a jax array on the default CPU device.

jax.device_put takes ~20 us for a small array on this path (its Python layers: sharding
resolution, the argument checks of every kind of input it accepts); the call it ends in, one
C++ batched_device_put, takes ~3 us. The host path (ops/_registry.py `_cold_run`) moves every
result of a cold-shape op back this way, so the layers cost more than the op. The direct call is
jax's internal API: it is checked once against jax.device_put on a probe array, and where it is
missing or differs, to_device is jax.device_put.
"""
from __future__ import annotations

import jax
import numpy as np

_AVALS: dict = {}


def _direct():
    from jax._src import core
    from jax._src.lib import xla_client as xc
    device = jax.devices("cpu")[0]
    sharding = jax.sharding.SingleDeviceSharding(device)
    devices = [device]
    put, shaped = xc.batched_device_put, core.ShapedArray

    def to_device(a: np.ndarray):
        key = (a.shape, a.dtype)
        aval = _AVALS.get(key)
        if aval is None:
            if len(_AVALS) > 4096:
                _AVALS.clear()
            aval = _AVALS[key] = shaped(a.shape, a.dtype)
        return put(aval, sharding, [a], devices, False)  # uncommitted, as device_put's
    return to_device


def _choose():
    try:
        fn = _direct()
        probe = np.arange(6, dtype=np.float32).reshape(2, 3)
        got, want = fn(probe.copy()), jax.device_put(probe)
        if (type(got) is type(want) and got.shape == want.shape and got.dtype == want.dtype
                and got.sharding == want.sharding and got.committed == want.committed
                and (np.asarray(got) == probe).all()):
            return fn
    except Exception:  # another jax: its public call
        pass
    return jax.device_put


to_device = _choose()
