"""A checkpoint's tensors, rebuilt from its storages and checked as torch checks them.

Every tensor in a checkpoint is `_rebuild_tensor_v2(storage, offset, size, stride, ...)`, which
torch runs as `Tensor.set_(storage, offset, size, stride)`. `check_view` makes set_'s checks in
its order and wording (argument types, size/stride lengths, the offset, numel and storage-size
overflow, the storage's bounds), so a view that passes reads only its record; `Storage.tensor`
then builds it without as_strided: a dense copy, or a window (slices and `unfold`) on the
storage's flat base, which tensors sharing the storage share. `restore_location` is torch's
default_restore_location for a storage's device tag.

Differences: tensors torch can hold but torchlike cannot raise: a negative size in an empty
tensor, a stride of 2**59 or more on a size-1 dimension, storages on the meta device
(NotImplementedError), and views whose elements, materialized, pass DENSE_LIMIT (RuntimeError:
torchlike tensors are dense); a bare storage loads as `Storage` (dtype, size(), tolist()), not
torch's TypedStorage.
"""
from __future__ import annotations

import re
import weakref

import jax
import numpy as np

from . import _device
from . import _dtype as D
from ._checkpoint_archive import MEMORY
from ._tensor import Size, Tensor, _wrap
from .ops.layout import is_contiguous

_I64 = 2**63
_SET_FULL = "int storage_offset, tuple of ints size, tuple of ints stride = None)\n"
SET_OVERLOADS = ("but expected one of:\n * ()\n * (torch.Storage source)\n * (torch.Storage "
                 f"source, {_SET_FULL}{{}} * (Tensor source)\n * (Tensor source, {_SET_FULL}{{}}")


def set_mismatch(args: tuple) -> TypeError:
    """torch's error for set_() arguments that fit none of its forms."""
    got = ", ".join(type(a).__name__ for a in args)
    why = ""
    if len(args) == 3:  # torch marks each (offset, size, stride) that does not fit
        def mark(a, is_offset: bool) -> str:
            if isinstance(a, (tuple, list)):
                inner = ", ".join(type(v).__name__ for v in a) + ("," if len(a) == 1 else "")
                return f"!{type(a).__name__} of ({inner})!"
            ok = type(a) is int if is_offset else False
            return type(a).__name__ if ok else f"!{type(a).__name__}!"
        marks = ", ".join(mark(a, i == 0) for i, a in enumerate(args))
        why = ("      didn't match because some of the arguments have invalid types: "
               f"(!torch.storage.UntypedStorage!, {marks})\n")
    return TypeError("set_() received an invalid combination of arguments - got "
                     f"(torch.storage.UntypedStorage, {got}), " + SET_OVERLOADS.format(why, why))
DENSE_LIMIT = MEMORY  # bytes: torchlike tensors are dense, a larger view is refused


def int_list(x) -> bool:
    """torch's argument parser takes x for `tuple of ints` (its first item decides)."""
    return isinstance(x, (tuple, list)) and (not x or type(x[0]) is int)


def _unpack(what: str, values) -> tuple:
    """torch's unpacking of an int list: later items may be bools, all must fit an int64."""
    for i, v in enumerate(values):
        why = None if isinstance(v, int) else ("type must be tuple of ints,but got "
                                               + type(v).__name__)
        if why is None and not -_I64 <= v < _I64:
            why = "Overflow when unpacking long long"
        if why:
            raise TypeError(f"set_(): argument '{what}' failed to unpack the object at pos "
                            f"{i + 1} with error \"{why}\"")
    return tuple(int(v) for v in values)


def _listed(xs) -> str:
    return "[" + ", ".join(map(str, xs)) + "]"


def contiguous_strides(size: tuple) -> tuple:
    """torch's row-major strides (size-1 and empty dimensions count as 1), as int64."""
    out, step = [], 1
    for n in reversed(size):
        out.append(step)
        step = _wrap64(step * max(n, 1))
    return tuple(reversed(out))


def check_view(nbytes: int, itemsize: int, offset, size, stride) -> tuple[int, tuple, tuple]:
    """torch's checks in `Tensor.set_(storage, offset, size, stride)` for a storage of `nbytes`
    bytes, in torch's order and wording; the (offset, size, strides) of a view inside it."""
    if type(offset) is not int or not int_list(size) or not (stride is None or
                                                              int_list(stride)):
        raise set_mismatch((offset, size, stride))
    stride = None if stride is None else _unpack("stride", stride)  # torch's order: last first
    size = _unpack("size", size)
    if not -_I64 <= offset < _I64:
        raise ValueError("Overflow when unpacking long long")
    if -_I64 in size or -_I64 in (stride or ()):  # torch's marker of a symbolic integer
        raise RuntimeError("SymIntArrayRef expected to contain only concrete integers")
    stride = stride or contiguous_strides(size)  # () counts as None
    if len(stride) != len(size):
        raise RuntimeError(f"unequal size length ({len(size)}) and stride length "
                           f"({len(stride)})")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    # numel and the storage extent in uint64 arithmetic, overflow flagged as torch does
    numel, over = 1, False
    for n in size:
        numel *= n % 2**64
        over |= numel >= 2**64
        numel %= 2**64
    if over or numel >= _I64:
        raise RuntimeError("numel: integer multiplication overflow")
    if 0 not in size:
        extent, over = offset + 1, False
        for n, s in zip(size, stride):
            step = (s % 2**64) * ((n - 1) % 2**64)
            extent += step % 2**64
            over |= step >= 2**64 or extent >= 2**64
            extent %= 2**64
        extent *= itemsize
        if over or extent >= _I64:
            raise RuntimeError(f"Storage size calculation overflowed with sizes={_listed(size)}"
                               f" and strides={_listed(stride)}")
        if extent > nbytes:
            raise RuntimeError("Trying to resize storage that is not resizable")
    # torch's TensorImpl keeps no negative stride (only a size-1 or empty dimension can still
    # have one here): it takes the row-major one, computed from the next dimension's stride
    out = list(stride)
    for d in range(len(out) - 1, -1, -1):
        if out[d] < 0:
            out[d] = 1 if d == len(out) - 1 else _wrap64(max(size[d + 1], 1) * out[d + 1])
    return offset, size, tuple(out)


def _wrap64(v: int) -> int:
    v %= 2 * _I64
    return v - 2 * _I64 if v >= _I64 else v


def check_dense(size: tuple, stride: tuple, itemsize: int) -> None:
    """Refuse a view torch holds but torchlike's dense tensors cannot: a negative size, a
    stride past 2**59 (torchlike's index arithmetic is int64 bytes), or more bytes than
    DENSE_LIMIT (an empty tensor counts its other sizes: XLA sizes its layout by them)."""
    if any(n < 0 for n in size) or (0 not in size and max(map(abs, stride), default=0)
                                    >= 2**59):
        raise NotImplementedError(f"torch.load: a tensor of size {_listed(size)} with strides "
                                  f"{_listed(stride)}: negative sizes (torch allows them in an "
                                  "empty tensor) and strides of 2**59 or more (on a size-1 "
                                  "dimension) are not supported by torchlike")
    need = itemsize
    for n in size:
        need *= max(n, 1)
    if need > DENSE_LIMIT:
        raise RuntimeError(f"torch.load: a tensor of size {_listed(size)} with strides "
                           f"{_listed(stride)} needs {need} bytes once materialized "
                           "(torchlike tensors are dense), more than the "
                           f"{DENSE_LIMIT} bytes allowed")


def record_nbytes(nbytes, name: str) -> int:
    """The byte size torch asks its reader for record `name`, which takes a C size_t."""
    if not isinstance(nbytes, int) or not 0 <= nbytes < 2**64:
        raise TypeError("get_storage_from_record(): incompatible function arguments. The "
                        "following argument types are supported:\n    1. (self: torch._C."
                        "PyTorchFileReader, arg0: str, arg1: typing.SupportsInt | typing."
                        "SupportsIndex, arg2: object) -> torch.Tensor\n\nInvoked with: "
                        f"<torch.PyTorchFileReader object>, {name!r}, {nbytes!r}, "
                        "<class 'torch.storage.UntypedStorage'>")
    return int(nbytes)


_TO_CPU = ("If you are running on a CPU-only machine, please use torch.load with "
           "map_location=torch.device('cpu') to map your storages to the CPU.")


def restore_location(location) -> str:
    """torch's default_restore_location: the device a storage tagged `location` goes to,
    or torch's error for it."""
    from ._device import _gpus
    if location == "cpu":
        return "cpu"
    if not isinstance(location, str):
        raise TypeError(f"expected string or bytes-like object, got '{type(location).__name__}'")

    def tagged(backend: str) -> bool:
        return location == backend or re.match(f"{backend}(:|[0-9]+)", location) is not None

    if tagged("cuda") or tagged("xpu"):
        kind = location[:4] if tagged("cuda") else location[:3]
        m = re.fullmatch(rf"{kind}(?::(\d+))?", location)
        if m is None:
            raise RuntimeError(f"Invalid device string: '{location}'")
        gpus = _gpus() if kind == "cuda" else []
        if not gpus:
            raise RuntimeError(f"Attempting to deserialize object on a {kind.upper()} device but "
                               f"torch.{kind}.is_available() is False. {_TO_CPU}")
        index = int(m.group(1) or 0)
        if index >= len(gpus):
            raise RuntimeError(f"Attempting to deserialize object on CUDA device {index} but "
                               f"torch.cuda.device_count() is {len(gpus)}. Please use torch.load "
                               "with map_location to map your storages to an existing device.")
        return f"cuda:{index}"
    if location.startswith("mps"):
        raise RuntimeError("torch.UntypedStorage(): Storage device not recognized: mps")
    if location == "meta":
        raise NotImplementedError("torch.load: storages on the meta device are not supported "
                                  "by torchlike")
    for backend in ("privateuseone", "hpu"):
        if tagged(backend):
            raise RuntimeError(f"The {backend.upper()} device module is not registered. {_TO_CPU}")
    if tagged("mtia"):
        raise RuntimeError("Cannot execute getCurrentDevice() without MTIA backend.")
    raise RuntimeError("don't know how to restore data location of torch.storage.UntypedStorage "
                       f"(tagged with {location})")


# ---- rebuilding -----------------------------------------------------------------------------
class Storage:
    """A loaded storage: its values, the device they go to, and the tensors made from it,
    which are views of one base once a second tensor names it. map_location callables get
    it as torch's storage: `storage.cpu()`, `storage.cuda(i)` choose the device."""

    def __init__(self, values: np.ndarray, location: str, dtype: D.dtype):
        self.values, self.device, self.dtype = values, location, dtype
        self.first: tuple | None = None  # (tensor, offset, size, stride) of the first tensor
        self.flat: Tensor | None = None  # a 1-D view of the shared base, once there is one

    def place(self, location: str, map_location) -> None:
        """Choose the device as torch's map_location rules say."""
        if map_location is None:
            self.device = restore_location(location)
        elif isinstance(map_location, (str, bytes, _device.device)):
            loc = map_location.decode() if isinstance(map_location, bytes) else str(map_location)
            self.device = restore_location(loc)
        elif isinstance(map_location, dict):
            self.device = restore_location(map_location.get(location, location))
        else:
            result = map_location(self, location)
            if result is None:
                self.device = restore_location(location)
            elif not isinstance(result, Storage):
                raise NotImplementedError("torch.load: a map_location callable must return the "
                                          "storage it was given (or storage.cpu()/.cuda()), or "
                                          "None")

    def size(self) -> int:  # a bare storage a checkpoint returns: a little of torch's API
        return len(self.values)

    def tolist(self) -> list:
        return self.values.tolist()

    def cpu(self) -> Storage:
        return self.to("cpu")

    def cuda(self, device=None, non_blocking: bool = False) -> Storage:
        return self.to(_device.device("cuda", device or 0))

    def to(self, device, non_blocking: bool = False) -> Storage:
        self.device = str(_device.device(device))
        return self

    def _fresh(self, values: np.ndarray) -> Tensor:
        d = _device.device(self.device)
        if d.type == "cpu":
            return _wrap(_device.upload(np.array(values)))  # np.array: upload may keep it
        return _wrap(jax.device_put(values, _device.jax_device(d)))

    def tensor(self, offset, size, stride) -> Tensor:
        """torch's `_rebuild_tensor`: the view (offset, size, stride) of this storage, after
        torch's checks that it lies inside it."""
        offset, size, stride = check_view(self.values.nbytes, self.values.itemsize,
                                                 offset, size, stride)
        check_dense(size, stride, self.values.itemsize)
        n = int(np.prod(size, dtype=np.int64))
        if n == 0:
            t = self._fresh(np.empty(size, self.values.dtype))
            if stride != contiguous_strides(size):  # torch keeps an empty view's strides
                t._st = (t._data.shape, stride)
            return t
        if self.flat is None and self.first is None and stride == contiguous_strides(
                size):  # the usual case: one dense tensor, no view machinery
            t = self._fresh(self.values[offset:offset + n].reshape(size))
            self.first = (t, offset, size, stride)
            return t
        if self.flat is None and self.first is not None:  # a second tensor: views of one base
            t0, off0, size0, stride0 = self.first
            owner = t0 if t0._base is None else t0._base  # t0 may be a Parameter's alias
            if off0 == 0 and t0.numel() == len(self.values) and not owner.requires_grad:
                self.flat = t0.reshape(-1)
            elif owner is t0 and not t0._views:  # views of a base that needs no grad
                self.flat = self._fresh(self.values)
                _adopt(t0, _window(self.flat, off0, size0, stride0))
            else:  # t0 is already a Parameter's: this tensor gets a copy (no sharing)
                return _window(self._fresh(self.values), offset, size, stride)
        elif self.flat is None:
            self.flat = self._fresh(self.values)
        t = _window(self.flat, offset, size, stride)
        self.first = self.first or (t, offset, size, stride)
        return t


def _window(flat: Tensor, offset: int, size: tuple, stride: tuple) -> Tensor:
    """The view of 1-D `flat` reading elements offset + sum(i_k * stride_k) (as_strided, on a
    view check_view has bounded): a slice, then one `unfold` per dimension, each cutting
    windows `stride_k` apart; it reports torch's strides."""
    n = int(np.prod(size, dtype=np.int64))
    if is_contiguous(size, stride):
        v = flat[offset:offset + n].view(size)
    else:
        core = [1 if st <= 0 or sz == 1 else sz for sz, st in zip(size, stride)]
        steps = [st if c > 1 else 1 for c, st in zip(core, stride)]
        extent = 1 + sum((c - 1) * s for c, s in zip(core, steps))
        v = flat[offset:offset + extent]
        for d, (c, s) in enumerate(zip(core, steps)):
            extent -= (c - 1) * s
            v = v.unfold(d, extent, s)
        v = v[..., 0]
        v = v.expand(size) if tuple(core) != tuple(size) else v
    v._st = (v._data.shape, tuple(stride))
    return v


def _adopt(t: Tensor, view: Tensor) -> None:
    """t (a loaded tensor with its own array) becomes `view` in place: a view of view's base,
    so tensors already handed to the unpickler share the storage too."""
    for slot in ("_data", "_base", "_view", "_idx", "_st", "_vc"):
        setattr(t, slot, getattr(view, slot))
    base = t._base
    base._views = [r for r in base._views if r() is not view] + [weakref.ref(t)]


def _rebuild_tensor(storage: Storage, storage_offset, size, stride) -> Tensor:
    return storage.tensor(storage_offset, size, stride)


def _set_requires_grad(t: Tensor, requires_grad) -> None:
    """torch's `tensor.requires_grad = requires_grad` checks."""
    if type(requires_grad) is not bool:
        raise RuntimeError("requires_grad must be a bool")
    if requires_grad and t.dtype.kind not in "fc":
        raise RuntimeError("only Tensors of floating point and complex dtype can require "
                           "gradients")
    if requires_grad:
        t.requires_grad_(True)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None) -> Tensor:
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    _set_requires_grad(t, requires_grad)
    if metadata:  # torch's conj / neg bits
        if not isinstance(metadata, dict):
            raise AssertionError(f"expected dict, got {type(metadata).__name__}")
        if metadata.get("conj") and t.dtype.kind != "c":
            raise RuntimeError("isComplexType(typeMetaToScalarType(dtype())) INTERNAL ASSERT "
                               "FAILED: a conj bit on a tensor that is not complex")
        if metadata.get("conj") or metadata.get("neg"):
            raise NotImplementedError("torch.load: tensors with torch's lazy conj/neg bits are "
                                      "not supported by torchlike")
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise AttributeError(  # noqa: TRY004 - torch's: Parameter() calls data.detach()
            f"'{type(data).__name__}' object has no attribute 'detach'")
    if type(requires_grad) is not bool:
        raise TypeError("_make_subclass(): argument 'require_grad' (position 3) must be bool, "
                        f"not {type(requires_grad).__name__}")
    if requires_grad and data.dtype.kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
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


def _size(*args) -> Size:
    """torch.Size as a checkpoint calls it: an iterable of ints, checked as torch checks it."""
    if len(args) > 1:
        raise TypeError(f"tuple expected at most 1 argument, got {len(args)}")
    items = list(args[0]) if args else []
    for i, v in enumerate(items):
        if not hasattr(type(v), "__index__"):
            raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                            f"'{type(v).__name__}')")
    return Size([int(v) for v in items])


def build_tensor(t: Tensor, state) -> None:
    """A pickle's BUILD on a tensor: torch calls `t.set_(*state)` (a Parameter: its legacy
    __setstate__, whose 3-tuple form sets requires_grad). torchlike refuses what torch
    refuses; torch's re-pointing of the tensor it does not do."""
    from .nn.parameter import Parameter
    if type(t) is Parameter and len(state) not in (4, 5):
        requires_grad, _, _ = state
        _set_requires_grad(t, requires_grad)
        return
    args = tuple(state)
    fits = not args or (len(args) in (1, 3, 4) and isinstance(args[0], (Storage, Tensor)))
    if fits and len(args) >= 3:
        fits = type(args[1]) is int and int_list(args[2]) and (
            len(args) == 3 or args[3] is None or int_list(args[3]))
    if not fits:
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"set_() received an invalid combination of arguments - got ({got}), "
                        + SET_OVERLOADS.format("", ""))
    raise NotImplementedError("torch.load: a pickle that re-points a tensor (BUILD: torch's "
                              "legacy Tensor.set_ form) is not supported by torchlike")
