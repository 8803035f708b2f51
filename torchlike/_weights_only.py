"""torch.load's weights_only policy: the globals a user allows (add_safe_globals,
safe_globals), torch's wording when a checkpoint needs another, and the unpickler that enforces
it: like torch's, a small pickle machine that runs only the opcodes torch's checkpoints use and
builds only allowed globals, failing where torch's fails with the same exception types.
A torchlike class or function a user allows also admits torch's pickle name for it
(add_safe_globals([torch.nn.Linear]) admits `torch.nn.modules.linear.Linear`; _pickle_names)."""
from __future__ import annotations

import _compat_pickle
import contextlib
import pickle
import re
import sys
import warnings
from collections import Counter, OrderedDict
from pickle import UnpicklingError, decode_long
from struct import unpack
from typing import TYPE_CHECKING, Any

from ._pickle_names import torch_name

if TYPE_CHECKING:
    from collections.abc import Callable

_safe: list = []  # add_safe_globals entries


def _user_globals() -> dict[str, Any]:
    rc = {}
    for f in _safe:
        if isinstance(f, tuple):  # (global, "its.full.name")
            rc[f[1]] = f[0]
            continue
        full = f"{f.__module__}.{f.__qualname__}"
        rc[full] = f
        torch = torch_name(f)  # the checkpoint names it as torch does
        if torch is not None:
            rc[".".join(torch)] = f
        elif full.startswith("torchlike."):
            rc["torch" + full[len("torchlike"):]] = f
    return rc


def add_safe_globals(safe_globals: list) -> None:
    """Allow these globals when loading with weights_only=True."""
    _safe.extend(g for g in safe_globals if g not in _safe)


def get_safe_globals() -> list:
    return list(_safe)


def clear_safe_globals() -> None:
    _safe.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list):
    """Context manager: add_safe_globals for the duration of the block."""
    added = [g for g in safe_globals if g not in _safe]
    _safe.extend(added)
    try:
        yield
    finally:
        for g in added:
            if g in _safe:
                _safe.remove(g)


def _not_allowed(full: str) -> pickle.UnpicklingError:
    full = full.removeprefix("builtins.")
    return pickle.UnpicklingError(
        f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
        f"`torch.serialization.add_safe_globals([{full}])` or the "
        f"`torch.serialization.safe_globals([{full}])` context manager to allowlist this "
        "global if you trust this class/function.")


_UNSAFE = ("In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
           "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` "
           "set to `False` will likely succeed, but it can result in arbitrary code execution. "
           "Do it only if you got the file from a trusted source.")
_DOCS = ("\n\nCheck the documentation of torch.load to learn more about types accepted by "
         "default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _weights_only_message(message: str) -> str:
    """torch's wording around a weights_only refusal."""
    if "was not an allowed global by default" in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have two "
                "options, \033[1mdo those steps only if you trust the source of the "
                f"checkpoint\033[0m. \n\t(1) {_UNSAFE}\n\t(2) Alternatively, to load with "
                "`weights_only=True` please check the recommended steps in the following "
                "error message.\n\tWeightsUnpickler error: " + message + _DOCS)
    if re.search(r"(\S+) must be (\S+) to load", message):
        return f"Weights only load failed. {message}\n {_UNSAFE}\n"
    head = f"Weights only load failed. {_UNSAFE}\n"
    if not re.search(r"whose module (\S+) is blocked", message):
        head += ("Please file an issue with the following so that we can make `weights_only=True` "
                 "compatible with your use case: WeightsUnpickler error: ")
    return f"{head}\n\n{message}{_DOCS}"


# ---- the unpickler ---------------------------------------------------------------------------
_TENSOR_TYPES = ["BFloat16", "Bool", "Byte", "Char", "Double", "Float", "Half", "Int", "Long",
                 "Short"]
_STORAGE_TYPES = _TENSOR_TYPES + ["ComplexDouble", "ComplexFloat"]
_DTYPES = [
    "bfloat16", "bits16", "bits1x8", "bits2x4", "bits4x2", "bits8", "bool", "complex128",
    "complex32", "complex64", "float16", "float32", "float4_e2m1fn_x2", "float64",
    "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
    "qint32", "qint8", "quint2x4", "quint4x2", "quint8", "per_channel_affine",
    "per_channel_affine_float_qparams", "per_channel_symmetric", "per_tensor_affine",
    "per_tensor_symmetric", *(f"{k}int{n}" for k in ("", "u") for n in
                               (1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64))]
_REBUILDS = [
    "_rebuild_parameter", "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_tensor",
    "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_sparse_tensor",
    "_rebuild_meta_tensor_no_storage", "_rebuild_nested_tensor", "_rebuild_wrapper_subclass",
    "_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor"]
# torch.load(weights_only=True)'s allowlist, by name
TORCH_ALLOWED = frozenset(
    ["collections.OrderedDict", "collections.Counter", "torch.nn.parameter.Parameter",
     "torch.serialization._get_layout", "torch.Size", "torch.Tensor", "torch.device",
     "_codecs.encode", "builtins.bytearray", "builtins.set", "builtins.complex",
     "torch._tensor._rebuild_from_type_v2", "torch.storage.TypedStorage",
     "torch.storage.UntypedStorage"]
    + [f"torch.{d}" for d in _DTYPES] + [f"torch._utils.{f}" for f in _REBUILDS]
    + [f"torch.{m}{t}Tensor" for m in ("", "cuda.") for t in _TENSOR_TYPES]
    + [f"torch.{m}{t}Tensor" for m in ("sparse.", "cuda.sparse.") for t in _TENSOR_TYPES
       if t != "Bool"]
    + [f"torch.{m}{t}Storage" for m in ("", "cuda.") for t in _STORAGE_TYPES]
    + [f"torch.{t}Storage" for t in ("QInt32", "QInt8", "QUInt2x4", "QUInt4x2", "QUInt8")])
# torch._utils' py2 names: a part of _compat_pickle's tables, with the same targets
_MODULES = ("__builtin__", "copy_reg", "Queue", "repr", "_abcoll", "UserDict", "UserList",
            "UserString", "whichdb", "StringIO", "cStringIO")
_NAMES = (*(("__builtin__", n) for n in ("xrange", "reduce", "intern", "unichr", "unicode",
                                         "long", "basestring")),
          *(("itertools", n) for n in ("izip", "imap", "ifilter", "ifilterfalse",
                                       "izip_longest")),
          ("UserDict", "IterableUserDict"), ("UserList", "UserList"),
          ("UserString", "UserString"), ("exceptions", "StandardError"),
          ("UserDict", "UserDict"))
_NEEDS_IMPORT = {"``torch.nested`` and ``torch._dynamo``": (
    "torch.nested._internal.nested_tensor.NestedTensor",
    "torch.nested._internal.nested_tensor._rebuild_njt", "torch._dynamo.decorators._DimRange"),
    "``torch.distributed.tensor``": (
    "torch.distributed.device_mesh.DeviceMesh",
    "torch.distributed.tensor._dtensor_spec.DTensorSpec",
    "torch.distributed.tensor._dtensor_spec.TensorMeta", "torch.distributed.tensor.DTensor",
    "torch.distributed.tensor.placement_types.Partial",
    "torch.distributed.tensor.placement_types.Replicate",
    "torch.distributed.tensor.placement_types.Shard")}
_SETTABLE = "dict, collections.OrderedDict, collections.Counter"


def decode_ascii(s):
    """torch's _maybe_decode_ascii: bytes from a protocol-2 pickle as str."""
    return s.decode("ascii") if isinstance(s, bytes) else s


class WeightsUnpickler:
    """torch's weights_only unpickler. `allowed` maps torch's allowlisted names to torchlike
    objects (None: torchlike lacks it); `tensor_types` are (Tensor, Parameter, the function
    applying a BUILD's state to one of them); `persistent_load` resolves storage ids."""

    def __init__(self, file, allowed: dict[str, Any], tensor_types: tuple,
                 persistent_load: Callable, *, encoding: str = "bytes"):
        self.read, self.readline = file.read, file.readline
        self.allowed, self.persistent_load, self.encoding = allowed, persistent_load, encoding
        self.tensor, self.parameter, self.build_tensor = tensor_types
        self.memo: dict[int, Any] = {}
        known = [v for v in allowed.values() if v is not None] + list(_user_globals().values())
        self.known = {id(v) for v in known}

    def load(self):
        self.metastack: list = []
        self.stack: list = []
        while True:
            key = self.read(1)
            if not key:
                raise EOFError
            if key == pickle.STOP:
                return self.stack.pop()
            op = _OPS.get(key[0])
            if op is None:
                raise UnpicklingError(f"Unsupported operand {key[0]}")
            op(self)

    def _known(self, obj) -> bool:
        """obj is an allowed global (torch compares by equality; these compare by identity)."""
        return id(obj) in self.known

    def _pop_mark(self) -> list:
        items, self.stack = self.stack, self.metastack.pop()
        return items

    def _global(self):
        module = self.readline()[:-1].decode("utf-8")
        name = self.readline()[:-1].decode("utf-8")
        if (module, name) in _NAMES:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _MODULES:
            module = _compat_pickle.IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        if module in ("sys", "os", "posix", "nt"):
            raise UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose module "
                                  f"{module} is blocked.")
        if full in self.allowed:
            if self.allowed[full] is None:
                raise NotImplementedError(f"torch.load: {full} (allowed by torch's weights_only "
                                          "loader) is not supported by torchlike")
            self.stack.append(self.allowed[full])
        elif full in _user_globals():
            self.stack.append(_user_globals()[full])
        else:
            for what, names in _NEEDS_IMPORT.items():
                if full in names:
                    raise UnpicklingError(f"{what} must be imported to load "
                                          + ("DTensors" if "distributed" in what else
                                             "nested jagged tensors (NJTs)"))
            raise _not_allowed(full)

    def _newobj(self):
        args, cls = self.stack.pop(), self.stack.pop()
        if cls is self.parameter:
            self.stack.append(self.parameter(*args))
        elif self._known(cls):
            self.stack.append(cls.__new__(cls, *args))
        else:
            raise UnpicklingError("Can only create new object for nn.Parameter or classes "
                                  f"allowlisted via `add_safe_globals` but got {cls}")

    def _reduce(self):
        args, func = self.stack.pop(), self.stack[-1]
        if not self._known(func):
            extra = f" which belongs to {func.__self__}" if hasattr(func, "__self__") else ""
            raise UnpicklingError(f"Trying to call reduce for unrecognized function {func}{extra}")
        self.stack[-1] = func(*args)

    def _build(self):
        state, inst = self.stack.pop(), self.stack[-1]
        kind = type(inst)
        if kind is self.tensor or kind is self.parameter:
            self.build_tensor(inst, state)
            return
        if kind is OrderedDict:
            inst.__dict__.update(state)
            return
        if not self._known(kind):
            raise UnpicklingError("Can only build Tensor, Parameter, OrderedDict or types "
                                  f"allowlisted via `add_safe_globals`, but got {kind}")
        if hasattr(inst, "__setstate__"):
            inst.__setstate__(state)
            return
        slots = None
        if isinstance(state, tuple) and len(state) == 2:  # as pickle's load_build
            state, slots = state
        if state:
            inst.__dict__.update(state)
        for k, v in (slots or {}).items():
            setattr(inst, k, v)

    def _setitems(self, items: list, op: str):
        if type(self.stack[-1]) not in _DICTS:
            raise UnpicklingError(f"Can only {op} for {_SETTABLE}, but got "
                                  f"{type(self.stack[-1])}")
        for i in range(0, len(items), 2):
            self.stack[-1][items[i]] = items[i + 1]

    def _append(self, items: list, op: str):
        if type(self.stack[-1]) is not list:
            raise UnpicklingError(f"Can only {op} lists, but got {type(self.stack[-1])}")
        self.stack[-1].extend(items)

    def _short_binstring(self):
        data = self.read(self.read(1)[0])
        self.stack.append(data if self.encoding == "bytes" else
                          data.decode(self.encoding, "strict"))

    def _binpersid(self):
        pid = self.stack.pop()
        if type(pid) is not tuple and type(pid) is not int:
            raise UnpicklingError(f"persistent_load id must be tuple or int, but got {type(pid)}")
        if type(pid) is tuple and len(pid) > 0 and decode_ascii(pid[0]) != "storage":
            raise UnpicklingError("Only persistent_load of storage is allowed, but got "
                                  f"{type(pid[0])}")
        self.stack.append(self.persistent_load(pid))

    def _memo_index(self, op: int) -> int:
        return (self.read(1) if op in b"hq" else unpack("<I", self.read(4)))[0]

    def _proto(self):
        proto = self.read(1)[0]
        if proto != 2:
            warnings.warn(f"Detected pickle protocol {proto} in the checkpoint, which was not the "
                          "default pickle protocol used by `torch.load` (2). The weights_only "
                          "Unpickler might not support all instructions implemented by this "
                          "protocol, please file an issue for adding support if you encounter "
                          "this.", stacklevel=4)


_DICTS = (dict, OrderedDict, Counter)


def _tuple_top(n: int) -> Callable:
    def op(self):
        if n == 1:
            self.stack[-1] = (self.stack[-1],)
        else:
            self.stack[-n:] = [tuple(self.stack[-i] for i in range(n, 0, -1))]
    return op


def _push(make: Callable) -> Callable:
    return lambda self: self.stack.append(make(self))


def _mark(self):
    self.metastack.append(self.stack)
    self.stack = []


def _tuple(self):
    items = tuple(self._pop_mark())  # first: it swaps the stack
    self.stack.append(items)


def _setitem(self):
    v, k = self.stack.pop(), self.stack.pop()
    self._setitems([k, v], "SETITEM")


def _memo_get(op: int) -> Callable:
    return lambda self: self.stack.append(self.memo[self._memo_index(op)])


def _memo_put(op: int) -> Callable:
    def put(self):
        self.memo[self._memo_index(op)] = self.stack[-1]
    return put


def _binunicode(self):
    n = unpack("<I", self.read(4))[0]
    if n > sys.maxsize:
        raise UnpicklingError("String is too long")
    return str(self.read(n), "utf-8", "surrogatepass")


_OPS: dict[int, Callable] = {
    ord("c"): WeightsUnpickler._global, 0x81: WeightsUnpickler._newobj,
    ord("R"): WeightsUnpickler._reduce, ord("b"): WeightsUnpickler._build,
    ord("a"): lambda self: self._append([self.stack.pop()], "append to"),
    ord("e"): lambda self: self._append(self._pop_mark(), "extend"),
    ord("s"): _setitem, ord("u"): lambda self: self._setitems(self._pop_mark(), "SETITEMS"),
    ord("("): _mark, ord("t"): _tuple,
    0x85: _tuple_top(1), 0x86: _tuple_top(2), 0x87: _tuple_top(3),
    ord("N"): _push(lambda self: None), 0x89: _push(lambda self: False),
    0x88: _push(lambda self: True), ord(")"): _push(lambda self: ()),
    ord("]"): _push(lambda self: []), ord("}"): _push(lambda self: {}),
    0x8F: _push(lambda self: set()),
    ord("J"): _push(lambda self: unpack("<i", self.read(4))[0]),
    ord("K"): _push(lambda self: self.read(1)[0]),
    ord("M"): _push(lambda self: unpack("<H", self.read(2))[0]),
    ord("G"): _push(lambda self: unpack(">d", self.read(8))[0]),
    ord("X"): _push(_binunicode), ord("U"): WeightsUnpickler._short_binstring,
    ord("Q"): WeightsUnpickler._binpersid,
    ord("h"): _memo_get(ord("h")), ord("j"): _memo_get(ord("j")),
    ord("q"): _memo_put(ord("q")), ord("r"): _memo_put(ord("r")),
    0x8A: _push(lambda self: decode_long(self.read(self.read(1)[0]))),
    0x80: WeightsUnpickler._proto}
