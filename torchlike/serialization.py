"""torch.save / torch.load in torch's zip checkpoint format, interchangeable with real torch.

A checkpoint is a zip archive (entries stored, their data 64-byte aligned) holding
`<name>/data.pkl`, a protocol-2 pickle of the object, and `<name>/data/<key>`, the raw bytes of
each storage. A tensor pickles as `torch._utils._rebuild_tensor_v2(storage, offset, size,
stride, requires_grad, OrderedDict())`, its storage as the persistent id `('storage',
torch.FloatStorage, key, location, numel)`; tensors sharing a storage (views) name the same key,
and the storage is written once.

Writing: torch's globals (`torch._utils _rebuild_tensor_v2`, `torch FloatStorage`, `torch
float32`) need not exist in this interpreter, and the C pickler checks every global by
importing it. So `_Pickler` subclasses the pure-Python `pickle._Pickler`: `reducer_override`
gives tensors, Sizes and devices torch's reductions, and `save_global` writes torch's names
(a `_Global` placeholder, or a torchlike object under its `torch.` name) without importing.

Reading: `_Unpickler.find_class` maps torch's names to torchlike objects without importing
`torch` (no real torch, no import alias needed); with weights_only=True only torch's allowed
globals (and `add_safe_globals`) resolve. Tensors naming one storage become views of one base
(slices and `unfold`), so loaded views share memory as in torch.

Differences: no legacy (pre-zip) format; `mmap` reads the storages into memory all the same; a
view that is no strided window on its base (`view(dtype)`, a base restrided by `t_()`) is
saved as a contiguous copy.
"""
from __future__ import annotations

from ._errors import missing as _missing
import _compat_pickle
import contextlib
import io
import os
import pickle
import secrets
import struct
import sys
import weakref
import zipfile
from collections import Counter, OrderedDict
from codecs import encode as _encode
from typing import IO, Any, Callable

import jax
import numpy as np

from . import _device
from . import _dtype as D
from ._tensor import Size, Tensor, _Synced, _wrap
from .ops.layout import is_contiguous, strides_of
from . import _storage
from ._weights_only import _not_allowed, _user_globals, _weights_only_message
from ._weights_only import add_safe_globals as add_safe_globals
from ._weights_only import clear_safe_globals as clear_safe_globals
from ._weights_only import get_safe_globals as get_safe_globals
from ._weights_only import safe_globals as safe_globals

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals"]

_STORAGE_NAMES = {"float32": "FloatStorage", "float64": "DoubleStorage",
                  "float16": "HalfStorage", "bfloat16": "BFloat16Storage",
                  "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
                  "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
                  "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage"}
_DTYPE_OF_STORAGE = {v: D._BY_NAME[k] for k, v in _STORAGE_NAMES.items()}
_DTYPE_OF_STORAGE["UntypedStorage"] = D.uint8
_ALIGN = 64


# ---- writing ---------------------------------------------------------------------------------
class _Global:
    """A global written by name only: one of torch's, which need not exist here."""

    _interned: dict = {}

    def __new__(cls, module: str, name: str):
        key = (module, name)
        if key not in cls._interned:  # one object per name, so the pickle memo reuses it
            obj = cls._interned[key] = object.__new__(cls)
            obj.module, obj.name = key
        return cls._interned[key]

    def __call__(self, *args):  # pickle wants reductions' functions callable; never called
        raise TypeError(f"{self.module}.{self.name} is a name for pickling only")


class _Reduced(tuple):
    """Pickles as the reduction it is (the plain tensor inside a Parameter)."""


class _StorageRef:
    """A storage being saved: a base tensor whose row-major values are written once."""

    def __init__(self, key: str, base: Tensor):
        self.key, self.base = key, base


def _torch_name(obj) -> tuple[str, str] | None:
    """The (module, name) torch knows obj by, for torchlike objects and placeholders."""
    from .nn.modules._utils import _HookDict
    from .nn.parameter import Parameter
    if isinstance(obj, _Global):
        return obj.module, obj.name
    if isinstance(obj, D.dtype):
        return "torch", obj.name
    fixed = {Tensor: ("torch", "Tensor"), _Synced: ("torch", "Tensor"),
             Parameter: ("torch.nn.parameter", "Parameter"), Size: ("torch", "Size"),
             _device.device: ("torch", "device"), _HookDict: ("collections", "OrderedDict")}
    try:
        if obj in fixed:
            return fixed[obj]
    except TypeError:  # unhashable
        return None
    module = getattr(obj, "__module__", None) or ""
    if module == "torchlike" or module.startswith("torchlike."):
        return "torch" + module[len("torchlike"):], obj.__qualname__
    return None


class _Pickler(pickle._Pickler):
    """The pure-Python pickler writing torch's reductions and names (see module docstring)."""

    def __init__(self, file: IO[bytes], protocol: int):
        super().__init__(file, protocol)
        self.storages: dict[int, _StorageRef] = {}  # id(base) -> its storage

    def persistent_id(self, obj):
        if type(obj) is not _StorageRef:
            return None
        base = obj.base
        kind = _Global("torch", _STORAGE_NAMES[base.dtype.name])
        return ("storage", kind, obj.key, str(base.device), base.numel())

    def reducer_override(self, obj):
        from .nn.modules._utils import _HookDict
        from .nn.parameter import Parameter
        if isinstance(obj, Tensor):
            args = self._tensor_args(obj)
            if isinstance(obj, Parameter):
                data = _Reduced((_REBUILD_V2, args[:4] + (False, OrderedDict())))
                return _REBUILD_PARAMETER, (data, obj.requires_grad, OrderedDict())
            return _REBUILD_V2, args
        if type(obj) is _Reduced:
            return tuple(obj)
        if isinstance(obj, (_Global, D.dtype)):
            return "global"  # a str: pickle calls save_global, which writes torch's name
        if type(obj) is Size:
            return Size, (tuple(obj),)
        if type(obj) is _device.device:  # a fresh str, as torch's: the memo then matches
            kind = obj.type.encode().decode()
            return _device.device, (kind,) if obj.index is None else (kind, obj.index)
        if type(obj) is _HookDict:
            return OrderedDict, (), None, None, iter(obj.items())
        return NotImplemented

    def save_global(self, obj, name=None):
        target = _torch_name(obj)
        if target is None:
            return super().save_global(obj, name)
        self.write(pickle.GLOBAL + f"{target[0]}\n{target[1]}\n".encode("utf-8"))
        self.memoize(obj)

    def _tensor_args(self, t: Tensor) -> tuple:
        base, offset, stride = _layout(t)
        ref = self.storages.get(id(base))
        if ref is None:
            ref = self.storages[id(base)] = _StorageRef(str(len(self.storages)), base)
        return ref, offset, tuple(t.shape), stride, t.requires_grad, OrderedDict()


_REBUILD_V2 = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")


def _layout(t: Tensor) -> tuple[Tensor, int, tuple]:
    """(base, storage offset, strides): t's elements as a strided window on its base's
    row-major values; a contiguous copy of t as its own base when they are not one."""
    strides = tuple(strides_of(t))
    base = t._base
    if base is None:
        if is_contiguous(t.shape, strides):
            return t, 0, strides
    elif base.dtype is t.dtype and is_contiguous(base.shape, strides_of(base)) and t.numel():
        idx = np.asarray(_storage.index_map(t))
        offset = int(idx.flat[0])
        grid = offset + sum(np.arange(n).reshape([-1 if i == d else 1 for i in range(t.dim())])
                            * s for d, (n, s) in enumerate(zip(t.shape, strides)))
        if np.array_equal(idx, np.broadcast_to(grid, idx.shape)):
            return base, offset, strides
    copy = _wrap(t._data)  # same values, a storage of its own
    return copy, 0, tuple(strides_of(copy))


def _is_path(f) -> bool:
    return isinstance(f, (str, os.PathLike))


@contextlib.contextmanager
def _opened(f, mode: str):
    if _is_path(f):
        with open(f, mode) as fh:
            yield fh
    else:
        yield f


def _write_zip(fh: IO[bytes], name: str, records: list[tuple[str, Any]]) -> None:
    """A zip of stored entries whose data start at multiples of 64 bytes, as torch writes
    (the padding is an extra field "FB" of 'Z's, torch's own)."""
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
        for rec, data in records:
            info = zipfile.ZipInfo(f"{name}/{rec}")
            start = fh.tell() + 30 + len(info.filename.encode("utf-8")) + 4
            pad = -start % _ALIGN
            info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            zf.writestr(info, data)


def save(obj: object, f, pickle_module: Any = pickle, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """torch.save: obj to a path or binary file object, in torch's zip format."""
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("torch.save(..., _use_new_zipfile_serialization=False): "
                                  "torchlike writes only torch's zip format")
    if pickle_module is not pickle:
        raise NotImplementedError("torch.save(..., pickle_module=...): torchlike pickles "
                                  "with the standard pickle module only")
    buf = io.BytesIO()
    pickler = _Pickler(buf, pickle_protocol)
    pickler.dump(obj)
    records: list[tuple[str, Any]] = [("data.pkl", buf.getvalue()),
                                      (".format_version", b"1"),
                                      (".storage_alignment", str(_ALIGN).encode())]
    if not _disable_byteorder_record:
        records.append(("byteorder", sys.byteorder.encode()))
    for ref in pickler.storages.values():
        values = np.ascontiguousarray(np.asarray(ref.base._data)).reshape(-1)
        records.append((f"data/{ref.key}", memoryview(values.view(np.uint8))))
    records += [("version", b"3\n"),
                (".data/serialization_id", f"{secrets.randbits(128):040d}".encode())]
    name = os.path.splitext(os.path.basename(os.fspath(f)))[0] if _is_path(f) else "archive"
    with _opened(f, "wb") as fh:
        _write_zip(fh, name, records)


# ---- reading ---------------------------------------------------------------------------------
class _Storage:
    """A loaded storage: its values, the device they go to, and the tensors made from it,
    which are views of one base once a second tensor names it. map_location callables get
    it as torch's storage: `storage.cpu()`, `storage.cuda(i)` choose the device."""

    def __init__(self, values: np.ndarray, location: str):
        self.values, self.device = values, location
        self.first: tuple | None = None  # (tensor, offset, size, stride) of the first tensor
        self.flat: Tensor | None = None  # a 1-D view of the shared base, once there is one

    def cpu(self) -> "_Storage":
        return self.to("cpu")

    def cuda(self, device=None, non_blocking: bool = False) -> "_Storage":
        return self.to(_device.device("cuda", device or 0))

    def to(self, device, non_blocking: bool = False) -> "_Storage":
        self.device = str(_device.device(device))
        return self

    def _fresh(self, values: np.ndarray) -> Tensor:
        d = _device.device(self.device)
        if d.type == "cpu":
            return _wrap(_device.upload(np.array(values)))  # np.array: upload may keep it
        return _wrap(jax.device_put(values, _device.jax_device(d)))

    def _strided(self, offset: int, size: tuple, stride: tuple) -> np.ndarray:
        return np.lib.stride_tricks.as_strided(
            self.values[offset:], size, [s * self.values.itemsize for s in stride])

    def tensor(self, offset: int, size: tuple, stride: tuple) -> Tensor:
        n = int(np.prod(size, dtype=np.int64))
        if n == 0:
            return self._fresh(np.empty(size, self.values.dtype))
        if self.flat is None and self.first is None:
            t = self._fresh(self._strided(offset, size, stride))
            self.first = (t, offset, size, stride)
            return t
        if self.flat is None:  # a second tensor on this storage: both become views of a base
            t0, off0, size0, stride0 = self.first
            owner = t0 if t0._base is None else t0._base  # t0 may be a Parameter's alias
            if off0 == 0 and is_contiguous(size0, stride0) and t0.numel() == len(
                    self.values) and not owner.requires_grad:
                self.flat = t0.reshape(-1)
            elif owner is t0 and not t0._views:  # views of a base that needs no grad
                self.flat = self._fresh(self.values)
                _adopt(t0, _window(self.flat, off0, size0, stride0))
            else:  # t0 is already a Parameter's: this tensor gets a copy (no sharing)
                return self._fresh(self._strided(offset, size, stride))
        return _window(self.flat, offset, size, stride)


def _window(flat: Tensor, offset: int, size: tuple, stride: tuple) -> Tensor:
    """The view of 1-D `flat` reading elements offset + sum(i_k * stride_k) (as_strided):
    a slice, then one `unfold` per dimension, each cutting windows `stride_k` apart."""
    n = int(np.prod(size, dtype=np.int64))
    if is_contiguous(size, stride):
        return flat[offset:offset + n].view(size)
    core = [1 if st == 0 else sz for sz, st in zip(size, stride)]
    steps = [max(st, 1) for st in stride]
    extent = 1 + sum((c - 1) * s for c, s in zip(core, steps))
    v = flat[offset:offset + extent]
    for d, (c, s) in enumerate(zip(core, steps)):
        extent -= (c - 1) * s
        v = v.unfold(d, extent, s)
    v = v[..., 0]
    return v.expand(size) if tuple(core) != tuple(size) else v


def _adopt(t: Tensor, view: Tensor) -> None:
    """t (a loaded tensor with its own array) becomes `view` in place: a view of view's base,
    so tensors already handed to the unpickler share the storage too."""
    for slot in ("_data", "_base", "_view", "_idx", "_st", "_vc"):
        setattr(t, slot, getattr(view, slot))
    base = t._base
    base._views = [r for r in base._views if r() is not view] + [weakref.ref(t)]


def _rebuild_tensor(storage: _Storage, storage_offset: int, size, stride) -> Tensor:
    return storage.tensor(int(storage_offset), tuple(size), tuple(stride))


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None) -> Tensor:
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad)


def _with_state(t: Tensor, state) -> Tensor:
    """A tensor's saved Python attributes (torch pickles (dict, slots) or dict)."""
    state = state[0] if isinstance(state, tuple) else state
    t.__dict__.update(state or {})
    return t


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _with_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    return _with_state(func(*args), state)


def _torch_globals() -> dict[str, Any]:
    """torch's weights_only allowlist, as torchlike objects (also used without weights_only)."""
    import torchlike
    from .nn.parameter import Parameter
    rc: dict[str, Any] = {
        "collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
        "torch.nn.parameter.Parameter": Parameter, "torch.Size": Size,
        "torch.Tensor": Tensor, "torch.device": _device.device, "_codecs.encode": _encode,
        "builtins.bytearray": bytearray, "builtins.set": set, "builtins.complex": complex,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2}
    for f in (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_parameter,
              _rebuild_parameter_with_state):
        rc[f"torch._utils.{f.__name__}"] = f
    for d in D.ALL:
        rc[f"torch.{d.name}"] = d
    for name in [*_STORAGE_NAMES.values(), "UntypedStorage"]:
        rc[f"torch.{name}"] = name  # a storage class stands for its name
    rc["torch.storage.UntypedStorage"] = rc["torch.UntypedStorage"]
    for name in ("FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor",
                 "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"):
        cls = getattr(torchlike, name, None)
        if isinstance(cls, type):
            rc[f"torch.{name}"] = cls
    return rc


class _Unpickler(pickle.Unpickler):
    """Resolves torch's names to torchlike objects; weights_only: only allowed ones."""

    def __init__(self, file, weights_only: bool, persistent_load: Callable, **kwargs):
        super().__init__(file, **kwargs)
        self.weights_only, self.persistent_load = weights_only, persistent_load
        self.known = _torch_globals()

    def find_class(self, module: str, name: str):
        if (module, name) in _compat_pickle.NAME_MAPPING:  # protocol 2 writes py2 names
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        if full in self.known:
            return self.known[full]
        if self.weights_only:
            if module in ("sys", "os", "posix", "nt"):
                raise pickle.UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose "
                                             f"module {module} is blocked.")
            user = _user_globals()
            if full not in user:
                raise _not_allowed(full)
            return user[full]
        if module == "torch" and name.endswith("Storage"):
            return name
        if module == "torch" or module.startswith("torch."):
            module = "torchlike" + module[len("torch"):]
        return super().find_class(module, name)


def _default_location(location: str) -> str:
    d = _device.device(location)
    if d.type == "cuda" and not _device._gpus():
        raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                           "torch.cuda.is_available() is False. If you are running on a "
                           "CPU-only machine, please use torch.load with "
                           "map_location=torch.device('cpu') to map your storages to the CPU.")
    return str(d)


def _place(storage: _Storage, location: str, map_location) -> None:
    """Set storage.device as torch's map_location rules say."""
    if map_location is None:
        storage.device = _default_location(location)
    elif isinstance(map_location, (str, bytes, _device.device)):
        loc = map_location.decode() if isinstance(map_location, bytes) else map_location
        storage.device = str(_device.device(loc))
    elif isinstance(map_location, dict):
        storage.device = _default_location(str(map_location.get(location, location)))
    else:
        result = map_location(storage, location)
        if result is None:
            storage.device = _default_location(location)
        elif not isinstance(result, _Storage):
            raise NotImplementedError("torch.load: a map_location callable must return the "
                                      "storage it was given (or storage.cpu()/.cuda()), or None")


def _load_zip(zf: zipfile.ZipFile, map_location, weights_only: bool, kwargs: dict):
    pkl = next((n for n in zf.namelist() if n.endswith("/data.pkl") and n.count("/") == 1),
               None)
    if pkl is None:
        if any(n.endswith("/constants.pkl") for n in zf.namelist()):
            raise NotImplementedError("torch.load of a TorchScript archive (torch.jit.load) "
                                      "is not supported by torchlike")
        raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
    prefix = pkl[:-len("data.pkl")]
    big = f"{prefix}byteorder" in zf.namelist() and zf.read(f"{prefix}byteorder") == b"big"
    storages: dict[str, _Storage] = {}

    def persistent_load(pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError("unsupported persistent id encountered")
        _, kind, key, location, _numel = pid
        if key not in storages:
            if kind not in _DTYPE_OF_STORAGE:
                raise NotImplementedError(f"torch.load: torch.{kind} (a dtype torchlike "
                                          "lacks) is not supported")
            dt = _DTYPE_OF_STORAGE[kind].np
            values = np.frombuffer(zf.read(f"{prefix}data/{key}"),
                                   dt.newbyteorder(">") if big and dt.itemsize > 1 else dt)
            storage = storages[key] = _Storage(values.astype(dt, copy=False), location)
            _place(storage, location, map_location)
        return storages[key]

    kwargs.setdefault("encoding", "utf-8")
    with zf.open(pkl) as fh:
        return _Unpickler(io.BytesIO(fh.read()), weights_only, persistent_load, **kwargs).load()


def load(f, map_location=None, pickle_module: Any = None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args: Any) -> Any:
    """torch.load: an object saved by torch.save (torch's or torchlike's) from a path or
    binary file object. mmap=True is accepted; storages are still read into memory."""
    yes = ("1", "y", "yes", "true")  # torch's environment overrides
    if os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in yes:
        weights_only = True
    elif weights_only is None:
        weights_only = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() not in yes
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if mmap and not _is_path(f):
        raise ValueError("f must be a file path in order to use the mmap argument")
    with _opened(f, "rb") as fh:
        start = fh.tell()
        magic = fh.read(4)
        fh.seek(start)
        if magic != b"PK\x03\x04":
            raise RuntimeError("torch.load: not a zip checkpoint; torchlike reads only the zip "
                               "format torch.save has written since PyTorch 1.6 (the legacy "
                               "format is not supported)")
        with zipfile.ZipFile(fh) as zf:
            try:
                return _load_zip(zf, map_location, weights_only, dict(pickle_load_args))
            except pickle.UnpicklingError as e:
                if not weights_only:
                    raise
                raise pickle.UnpicklingError(_weights_only_message(str(e))) from None


__getattr__ = _missing("torch.serialization")  # names torchlike lacks: NotImplementedError
