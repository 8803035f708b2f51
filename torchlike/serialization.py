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
A whole module (`torch.save(model)`) pickles as torch's would: each class and function under
the name torch pickles it by (`torch.nn.modules.activation MultiheadAttention`,
`torch._C._nn gelu`; _pickle_names, from tables generated from torch), with or without the
`torch` alias, and each module's state with what torch's class stores and torchlike's computes
(_module_state), so real torch loads it and runs it.

Reading treats the file as untrusted, as torch does, and fails where torch fails with torch's
exception: the archive's records are found by torch's reader's rules (_checkpoint_archive), the
records read in torch's order, the pickle run by torch's weights_only unpickler
(_weights_only.WeightsUnpickler; with weights_only=False, `_Unpickler.find_class` maps torch's
names to torchlike objects, torch's classes' pickle names included, never importing `torch`),
and each tensor checked against its storage before it is built (_checkpoint_tensors). Tensors
naming one storage become views of one base (slices and `unfold`), so loaded views share memory
as in torch.

Differences: legacy (pre-zip) checkpoints load only when they hold no storage
(NotImplementedError at the first); `mmap` maps the file but copies the storages out; a view
that is no strided window on its base (`view(dtype)`, a base restrided by `t_()`) is saved as a
contiguous copy; see _checkpoint_archive and _checkpoint_tensors for damaged files.
"""
from __future__ import annotations

import _compat_pickle
import contextlib
import io
import mmap as _mmap
import os
import pickle
import secrets
import struct
import sys
import types
import warnings
import zipfile
from codecs import encode as _encode
from collections import Counter, OrderedDict
from typing import IO, TYPE_CHECKING, Any, ClassVar

import numpy as np

from . import _device, _storage
from . import _dtype as D
from ._checkpoint_archive import Archive
from ._checkpoint_tensors import (
    Storage,
    _rebuild_from_type_v2,
    _rebuild_parameter,
    _rebuild_parameter_with_state,
    _rebuild_tensor,
    _rebuild_tensor_v2,
    _size,
    build_tensor,
    record_nbytes,
)
from ._errors import missing as _missing
from ._module_state import torch_state
from ._pickle_names import torch_name, torchlike_object
from ._tensor import Size, Tensor, _Synced, _wrap
from ._weights_only import (
    _UNSAFE,
    TORCH_ALLOWED,
    WeightsUnpickler,
    _weights_only_message,
    decode_ascii,
)
from ._weights_only import add_safe_globals as add_safe_globals
from ._weights_only import clear_safe_globals as clear_safe_globals
from ._weights_only import get_safe_globals as get_safe_globals
from ._weights_only import safe_globals as safe_globals
from .ops.layout import is_contiguous, strides_of

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["add_safe_globals", "clear_safe_globals", "get_safe_globals", "load",
           "safe_globals", "save"]

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

    _interned: ClassVar[dict] = {}

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
    found = torch_name(obj)
    if found is not None:
        return found
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
        from .nn.modules.module import Module
        from .nn.parameter import Parameter
        if isinstance(obj, Tensor):
            args = self._tensor_args(obj)
            if isinstance(obj, Parameter):
                data = _Reduced((_REBUILD_V2, args[:4] + (False, OrderedDict())))
                return _REBUILD_PARAMETER, (data, obj.requires_grad, OrderedDict())
            return _REBUILD_V2, args
        if type(obj) is _Reduced:
            return tuple(obj)
        if isinstance(obj, (_Global, D.dtype)) or (
                type(obj) is types.FunctionType and _torch_name(obj) is not None):
            return "global"  # a str: pickle calls save_global, which writes torch's name
        if type(obj) is Size:
            return Size, (tuple(obj),)
        if type(obj) is _device.device:  # a fresh str, as torch's: the memo then matches
            kind = obj.type.encode().decode()
            return _device.device, (kind,) if obj.index is None else (kind, obj.index)
        if type(obj) is _HookDict:
            return OrderedDict, (), None, None, iter(obj.items())
        if isinstance(obj, Module):
            return self._module(obj)
        return NotImplemented

    def _module(self, obj):
        """A module's own reduction, with what torch's class expects in its state added."""
        extra = torch_state(obj)
        if not extra:
            return NotImplemented
        func, args, state, *rest = obj.__reduce_ex__(self.proto)
        return (func, args, {**state, **extra}, *rest)

    def save_global(self, obj, name=None):
        target = _torch_name(obj)
        if target is None:
            return super().save_global(obj, name)
        self.write(pickle.GLOBAL + f"{target[0]}\n{target[1]}\n".encode())
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
class StorageType:
    """torch.serialization.StorageType: a storage class a checkpoint names (torch.FloatStorage),
    standing for its dtype."""

    def __init__(self, name: str):
        self.name = name

    @property
    def dtype(self) -> D.dtype:
        if self.name not in _DTYPE_OF_STORAGE:
            raise NotImplementedError(f"torch.load: torch.{self.name} (a dtype torchlike lacks) "
                                      "is not supported")
        return _DTYPE_OF_STORAGE[self.name]

    def __str__(self) -> str:
        return f"StorageType(dtype={self.dtype})"


def _torch_globals() -> dict[str, Any]:
    """torch's names for torchlike objects (weights_only takes those torch allows)."""
    import torchlike

    from .nn.parameter import Parameter
    rc: dict[str, Any] = {
        "collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
        "torch.nn.parameter.Parameter": Parameter, "torch.Size": _size,
        "torch.Tensor": Tensor, "torch.device": _device.device, "_codecs.encode": _encode,
        "builtins.bytearray": bytearray, "builtins.set": set, "builtins.complex": complex,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2}
    for f in (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_parameter,
              _rebuild_parameter_with_state):
        rc[f"torch._utils.{f.__name__}"] = f
    for d in D.ALL:
        rc[f"torch.{d.name}"] = d
    for name in [*_STORAGE_NAMES.values(), "UntypedStorage"]:
        rc[f"torch.{name}"] = rc[f"torch.cuda.{name}"] = StorageType(name)
    rc["torch.storage.UntypedStorage"] = rc["torch.UntypedStorage"]
    for name in ("FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor",
                 "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"):
        cls = getattr(torchlike, name, None)
        if isinstance(cls, type):
            rc[f"torch.{name}"] = cls
    return rc


class _Unpickler(pickle.Unpickler):
    """weights_only=False: resolves torch's names to torchlike objects, others by import."""

    def __init__(self, file, persistent_load: Callable, **kwargs):
        super().__init__(file, **kwargs)
        self.persistent_load = persistent_load
        self.known = _torch_globals()

    def find_class(self, module: str, name: str):
        if (module, name) in _compat_pickle.NAME_MAPPING:  # protocol 2 writes py2 names
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        if full in self.known:
            return self.known[full]
        found = torchlike_object(module, name)
        if found is not None:
            return found
        if module == "torch" and name.endswith("Storage"):
            return StorageType(name)
        if module == "torch" or module.startswith("torch."):
            module = "torchlike" + module[len("torch"):]
        return super().find_class(module, name)


def _unpickler(file, weights_only: bool, persistent_load: Callable, kwargs: dict):
    if not weights_only:
        return _Unpickler(file, persistent_load, **kwargs)
    from .nn.parameter import Parameter
    known = _torch_globals()
    allowed = {name: known.get(name) for name in TORCH_ALLOWED}
    return WeightsUnpickler(file, allowed, (Tensor, Parameter, build_tensor), persistent_load,
                            **kwargs)


def _load_zip(archive: Archive, map_location, weights_only: bool, kwargs: dict):
    """torch's `_load`: the records it reads, in its order, then the pickle."""
    if archive.has(".format_version"):
        archive.record(".format_version")
    order = b"little"
    if archive.has("byteorder"):
        order = bytes(archive.record("byteorder"))
        if order not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + order.decode())
    if archive.has(".storage_alignment"):
        int(bytes(archive.record(".storage_alignment")))
    storages: dict[Any, Storage] = {}

    def persistent_load(saved_id):  # torch's checks, in its order
        if not isinstance(saved_id, tuple):
            raise AssertionError(  # noqa: TRY004 - torch's exception
                f"saved_id must be a tuple, got {type(saved_id).__name__}")
        typename = decode_ascii(saved_id[0])
        if typename != "storage":
            raise AssertionError("Unknown typename for persistent_load, expected 'storage' but "
                                 f"got '{typename}'")
        kind, key, location, numel = saved_id[1:]
        dt = kind.dtype
        if key in storages:
            return storages[key]
        nbytes = numel * dt.itemsize
        location = decode_ascii(location)
        record_nbytes(nbytes, f"data/{key}")
        record = archive.record(f"data/{key}")
        if len(record) != nbytes:
            raise RuntimeError(f"record size ({len(record)} bytes) does not match expected size "
                               f"({nbytes} bytes = {nbytes} elements * 1 bytes/element) for "
                               "dtype Byte")
        big = order == b"big" and dt.itemsize > 1 and dt.np.kind != "b"
        values = np.frombuffer(record, dt.np.newbyteorder(">") if big else dt.np)
        storage = Storage(values.astype(dt.np, copy=False), "cpu", dt)
        storage.place(location, map_location)
        if nbytes:  # torch caches only storages with memory
            storages[key] = storage
        return storage

    kwargs.setdefault("encoding", "utf-8")
    pkl = bytes(archive.record("data.pkl"))
    result = _unpickler(io.BytesIO(pkl), weights_only, persistent_load, kwargs).load()
    archive.serialization_id.decode("utf-8")  # torch logs it as a str, decoding it strictly
    return result


_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _no_persistent_id(weights_only: bool) -> Callable:
    """What each library's unpickler does with a persistent id when given no function."""
    message = ("unsupported persistent id encountered" if weights_only else "A load persistent "
               "id instruction was encountered, but no persistent_load function was specified.")

    def refuse(pid):
        raise pickle.UnpicklingError(message)
    return refuse


def _load_legacy(stream, weights_only: bool, kwargs: dict):
    """A file that is no zip: torch reads it in its legacy format, a pickled magic number,
    protocol version and system info, then the object. torchlike follows it up to the first
    storage, where it stops (NotImplementedError); garbage fails on the way as in torch."""
    kwargs.setdefault("encoding", "utf-8")

    def next_pickle(persistent_load=None):
        return _unpickler(stream, weights_only, persistent_load or _no_persistent_id(
            weights_only), kwargs).load()

    if next_pickle() != _LEGACY_MAGIC:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = next_pickle()
    if version != 1001:
        raise RuntimeError(f"Invalid protocol version: {version}")
    next_pickle()  # system info
    result = next_pickle(_legacy_persistent_load)
    for key in next_pickle():  # the keys of storages, and none was read
        raise AssertionError(f"storage key {key!r} not found in deserialized_objects")
    return result


def _legacy_persistent_load(saved_id):
    if not isinstance(saved_id, tuple):
        raise AssertionError(  # noqa: TRY004 - torch's exception
            f"saved_id must be a tuple, got {type(saved_id).__name__}")
    typename = decode_ascii(saved_id[0])
    if typename == "module":
        return saved_id[1]
    if typename == "storage":
        raise NotImplementedError("torch.load: this is torch's legacy (pre-1.6) checkpoint "
                                  "format, whose storages torchlike does not read; re-save it "
                                  "with torch.save")
    raise RuntimeError(f"Unknown saved id type: {saved_id[0]}")


def _contents(fh):
    """The bytes of the checkpoint from the file's position: a map of the file when it is
    one (storages are copied out of it), else its remaining bytes."""
    try:
        start, size = fh.tell(), os.fstat(fh.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        return fh.read()
    if start or not size:
        return fh.read()
    return _mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_READ)


def load(f, map_location=None, pickle_module: Any = None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args: Any) -> Any:
    """torch.load: an object saved by torch.save (torch's or torchlike's) from a path or
    binary file object, checked as torch checks it. mmap=True is accepted; storages are
    still read into memory."""
    yes = ("1", "y", "yes", "true")  # torch's environment overrides
    if os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in yes:
        weights_only = True
    elif weights_only is None:
        weights_only = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() not in yes
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    with _opened(f, "rb") as fh:
        data = _contents(fh)
        try:
            if data[:4] != b"PK\x03\x04":
                if mmap:
                    name = f"{f}, " if isinstance(f, str) else ""
                    raise RuntimeError("mmap can only be used with files saved with `torch.save("
                                       f"{name}_use_new_zipfile_serialization=True), please "
                                       "torch.save your checkpoint with this option in order "
                                       "to use mmap.")
                return _load_legacy(io.BytesIO(data), weights_only, dict(pickle_load_args))
            archive = Archive(data)
            if "constants.pkl" in archive.names():
                _torchscript(weights_only)
            if mmap and not _is_path(f):
                raise ValueError("f must be a file path in order to use the mmap argument")
            return _load_zip(archive, map_location, weights_only, dict(pickle_load_args))
        except pickle.UnpicklingError as e:
            if not weights_only:
                raise
            raise pickle.UnpicklingError(_weights_only_message(str(e))) from None


def _torchscript(weights_only: bool) -> None:
    warnings.warn("'torch.load' received a zip file that looks like a TorchScript archive "
                  "dispatching to 'torch.jit.load' (call 'torch.jit.load' directly to silence "
                  "this warning)", UserWarning, stacklevel=3)
    if weights_only:
        raise RuntimeError("Cannot use ``weights_only=True`` with TorchScript archives passed "
                           f"to ``torch.load``. {_UNSAFE}")
    raise NotImplementedError("torch.load of a TorchScript archive (torch.jit.load) is not "
                              "supported by torchlike")


__getattr__ = _missing("torch.serialization")  # names torchlike lacks: NotImplementedError
