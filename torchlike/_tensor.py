"""The Tensor facade: a jax array plus torch's autograd metadata.

Op methods (`x.add`, `x + y`, `x.sum`, ...) are bound from the op table in `ops/__init__.py`;
this file holds what every tensor has: metadata, conversions, printing, backward.
"""
from __future__ import annotations

import weakref

import jax
import numpy as np

from . import _dtype as D
from . import _device
from . import _storage
from . import _meta
from . import _pinned
from . import _tensor_str
from .autograd import engine as _engine
from .autograd import grad_mode
from .autograd.graph import AccumulateGrad


class Tensor:
    """torch.Tensor."""

    __slots__ = ("_data", "_rg", "_grad_fn", "_output_nr", "_grad", "_accum", "_hooks",
                 "_retains_grad", "_vc", "_base", "_view", "_views", "_idx", "_st", "__dict__",
                 "__weakref__")
    __array_priority__ = 1000  # numpy defers `ndarray op Tensor` to us

    def __new__(cls, *args, **kwargs):
        # Legacy constructor: torch.Tensor(2, 3) / torch.Tensor([1, 2]) -> float32 (default).
        from ._creation import _legacy_new
        return _legacy_new(cls, args, kwargs)

    @property
    def name(self):
        """The legacy name only `autograd.Variable(..., name=)` gives; None otherwise."""
        return self.__dict__.get("_legacy_name")

    def __getattr__(self, name: str):
        # Only reached when normal lookup fails: a torch.Tensor attribute torchlike lacks.
        if name.startswith("_"):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        from ._errors import NotImplementedOp
        raise NotImplementedOp(f"torch.Tensor.{name} is not implemented in torchlike")

    # ---- metadata -------------------------------------------------------------------------
    @property
    def shape(self) -> "Size":
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self) -> D.dtype:
        return D._BY_NP[self._data.dtype]

    @property
    def device(self) -> _device.device:
        return _device.of_array(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_meta(self) -> bool:
        return self._data.__class__ is _Meta

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    def is_contiguous(self, memory_format=None) -> bool:
        """As torch would answer, from the chain of views that made this tensor."""
        from .ops import layout
        return layout.is_contiguous(self._data.shape, layout.strides_of(self))

    def stride(self, dim: int | None = None):
        """torch's strides for this tensor (jax arrays have none; derived from its views)."""
        from .ops import layout
        strides = layout.strides_of(self)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim, "stride")]

    @property
    def _version(self) -> int:
        return self._vc[0]

    # ---- autograd metadata ----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._grad_fn is not None:
            if value:
                return
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        if value and self.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self._grad_fn is None and self.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
                "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
                "for more informations.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.dtype != self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if value._data.shape != self._data.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    @property
    def data(self) -> "Tensor":
        out = _wrap(self._data)
        _storage.link(self, out, share_version=False)  # .data has its own version counter
        return out

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data
        self._st = None
        if self._views:
            _storage.refresh(self)

    def _edge(self):
        """This tensor's (node, output_nr) for the next_functions of a node that uses it."""
        if self._grad_fn is not None:
            return self._grad_fn, self._output_nr
        acc = self._accum
        if acc is None:
            acc = self._accum = AccumulateGrad(self)
        return acc, 0

    def detach(self) -> "Tensor":
        out = _wrap(self._data)
        _storage.link(self, out)
        return out

    def _is_view(self) -> bool:
        return self._base is not None

    def detach_(self) -> "Tensor":
        self._grad_fn, self._rg, self._output_nr = None, False, 0
        return self

    def retain_grad(self) -> None:
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)

        def store(grads):
            t = ref()
            if t is not None and t._grad_fn is not None:
                g = grads[t._output_nr]
                if g is not None:
                    t._grad = g.detach() if t._grad is None else _wrap(t._grad._data + g._data)
        self._grad_fn.register_prehook(store)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """hook(grad) -> new grad or None, called when the gradient for this tensor is ready."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            from .autograd.graph import _Handle
            return _Handle(self._hooks, hook)
        nr = self._output_nr

        def pre(grads):
            if grads[nr] is None:
                return None
            new = hook(grads[nr])
            if new is None:
                return None
            grads = list(grads)
            grads[nr] = new
            return grads
        return self._grad_fn.register_prehook(pre)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        if self._data.__class__ is _Meta:
            return _meta.backward(self, gradient, retain_graph)
        if inputs is None and (gradient is None or isinstance(gradient, Tensor)):
            _engine.run_backward([self], [gradient], retain_graph, create_graph)
        else:
            from .autograd import backward
            backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ---- writes ---------------------------------------------------------------------------
    def _set_data(self, data) -> None:
        """Replace the values in place: bump the version, update tensors sharing storage."""
        if self._base is None and self._views is None:
            self._data = data
            self._vc[0] += 1
        elif data.__class__ is _Meta:  # a meta storage has no values to update
            self._vc[0] += 1
        else:
            _storage.write(self, data)

    # ---- conversions ----------------------------------------------------------------------
    def numpy(self, force: bool = False) -> np.ndarray:
        if self._data.__class__ is _Meta:
            raise _meta.no_values(TypeError)
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self._data.dtype.kind == "c" and self.is_conj():
            raise RuntimeError("Can't call numpy() on Tensor that has conjugate bit set. Use "
                               "tensor.resolve_conj().numpy() instead.")
        # torch's array shares the tensor's memory: for a CPU tensor the storage becomes a
        # numpy array (the tensor's own, or a strided window on its base's)
        if self.device.type == "cpu":
            host = _storage.host_array(self)
            if host is not None:
                return host
        return np.array(self._data)

    def __array__(self, dtype=None, copy=None):
        if self._data.__class__ is _Meta:
            raise _meta.no_values(TypeError)
        a = np.asarray(self._data)
        return a if dtype is None else a.astype(dtype)

    def item(self):
        if self._data.__class__ is _Meta:
            raise _meta.no_values(RuntimeError)
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return np.asarray(self._data).reshape(()).item()

    def tolist(self):
        if self._data.__class__ is _Meta:
            raise _meta.no_values(NotImplementedError)
        return np.asarray(self._data).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "biu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.__class__ is _Meta:
            raise _meta.no_values(RuntimeError)
        a = np.asarray(self._data)
        if a.size != 1:
            raise RuntimeError("Boolean value of Tensor with "
                               f"{'no values' if a.size == 0 else 'more than one value'} is "
                               "ambiguous")
        return bool(a)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __reversed__(self):
        return self.flip(0)

    def __format__(self, spec: str) -> str:
        # torch: a plain 0-d tensor formats as its number (f"{loss}" prints 17.0), anything
        # else (a Parameter, a subclass, more dimensions) as object.__format__ does
        if self._data.ndim == 0 and type(self) is Tensor and self._data.__class__ is not _Meta:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self, *, tensor_contents=None) -> str:
        fn = self._grad_fn
        meta = self._data.__class__ is _Meta
        return _tensor_str.format_tensor(
            self._data.shape if meta else np.asarray(self._data), self.dtype.name,
            device=str(self.device), grad_fn_name=None if fn is None else type(fn).__name__,
            requires_grad=self._rg, default_dtype_name=D.get_default_dtype().name,
            prefix=_prefix(self), meta=meta)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        if self._data.__class__ is _Meta:
            return (_meta.rebuild, (self._data.shape, self.dtype.name, self._rg))
        return (_rebuild, (np.asarray(self._data), self._rg))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        data = self._data
        if _storage.host_of(self) is not None:  # numpy's memory: the copy gets its own
            data = _device.upload(np.array(data))
        out = _init(_new(type(self)), data)  # subclasses (Parameter) keep their type
        out.__dict__.update({k: v for k, v in self.__dict__.items()
                             if not k.startswith(("_host", "_hidx"))})
        out._rg = self._rg
        if self._grad is not None:
            out._grad = _wrap(self._grad._data)
        memo[id(self)] = out
        return out

    # ---- dtype / device movement ----------------------------------------------------------
    def to(self, *args, **kwargs) -> "Tensor":
        if self._data.__class__ is _Meta or _meta.named(args, kwargs):
            return _meta.to(self, args, kwargs)
        from .ops.conversion import to
        return to(self, *args, **kwargs)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            return _TYPE_NAMES[self.dtype.name]
        if isinstance(dtype, str):
            dtype = {v: D._BY_NAME[k] for k, v in _TYPE_NAMES.items()}[dtype]
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False) -> "Tensor":
        return self.to("cuda" if device is None else _device.device(device))

    def pin_memory(self, device=None) -> "Tensor":
        return _pinned.pin_memory(self, device)

    def is_pinned(self, device=None) -> bool:
        return _pinned.is_pinned(self, device)

    def float(self) -> "Tensor":
        return self.to(D.float32)

    def double(self) -> "Tensor":
        return self.to(D.float64)

    def half(self) -> "Tensor":
        return self.to(D.float16)

    def bfloat16(self) -> "Tensor":
        return self.to(D.bfloat16)

    def long(self) -> "Tensor":
        return self.to(D.int64)

    def int(self) -> "Tensor":
        return self.to(D.int32)

    def short(self) -> "Tensor":
        return self.to(D.int16)

    def char(self) -> "Tensor":
        return self.to(D.int8)

    def byte(self) -> "Tensor":
        return self.to(D.uint8)

    def bool(self) -> "Tensor":
        return self.to(D.bool)

    def cfloat(self) -> "Tensor":
        return self.to(D.complex64)

    def cdouble(self) -> "Tensor":
        return self.to(D.complex128)

    # ---- new_* ----------------------------------------------------------------------------
    # new_*: self's dtype and device unless given
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> "Tensor":
        from ._creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> "Tensor":
        from ._creation import _new_filled
        return _new_filled("new_zeros", size, 0, dtype or self.dtype, device or self.device,
                           requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> "Tensor":
        from ._creation import _new_filled
        return _new_filled("new_ones", size, 1, dtype or self.dtype, device or self.device,
                           requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> "Tensor":
        from ._creation import _new_filled
        return _new_filled("new_empty", size, 0, dtype or self.dtype, device or self.device,
                           requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None,
                 requires_grad=False) -> "Tensor":
        from ._creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)


_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
               "float16": "torch.HalfTensor", "bfloat16": "torch.BFloat16Tensor",
               "int64": "torch.LongTensor", "int32": "torch.IntTensor",
               "int16": "torch.ShortTensor", "int8": "torch.CharTensor",
               "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor",
               "complex64": "torch.ComplexFloatTensor", "complex128": "torch.ComplexDoubleTensor"}


def _prefix(t: Tensor) -> str:
    return getattr(type(t), "_repr_prefix", "tensor(")


class Size(tuple):
    """torch.Size."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


def _init(t: Tensor, data) -> Tensor:
    """Fill a new Tensor (or subclass instance) as a fresh leaf over a jax array."""
    t._data = data
    t._rg = False
    t._grad_fn = None
    t._output_nr = 0
    t._grad = None
    t._accum = None
    t._hooks = None
    t._retains_grad = False
    t._vc = [0]
    t._base = t._view = t._views = t._idx = t._st = None
    return t


_new = object.__new__


def _wrap(data) -> Tensor:
    """A fresh leaf Tensor over a jax array (the hot-path constructor; same as _init)."""
    t = _new(Tensor)
    t._data = data
    t._rg = False
    t._grad_fn = None
    t._output_nr = 0
    t._grad = t._accum = t._hooks = t._base = t._view = t._views = t._idx = t._st = None
    t._retains_grad = False
    t._vc = [0]
    return t


def _rebuild(values, requires_grad):
    return _wrap(_device.as_array(np.array(values))).requires_grad_(requires_grad)


def _differentiable_view(t: Tensor) -> bool:
    """A view made by a view op (not .data / detach(), which are outside autograd)."""
    return t._base is not None and t._view is not None and t._view[0] != "alias"


def _check_inplace(self: Tensor, result: Tensor, c_name: bool = False) -> None:
    if grad_mode._modes.grad:
        if self._grad_fn is None and self._rg:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        base = self._base
        if base is not None and base._grad_fn is None and base._rg and _differentiable_view(
                self):
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
    check_cast(result.dtype, self.dtype, c_name)
    if result._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                           f"broadcast shape {list(result._data.shape)}")


# torch's C++ type names (as its kernels' dtype checks print them).
_CTYPE = {"float32": "float", "float64": "double", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
          "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
          "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
# clamp with Number bounds checks the cast to its output in a kernel of its own, which names
# the output type as C++ does ("long int")
CLAMPS = frozenset({"clamp", "clip", "clamp_min", "clamp_max"})


def cast_named_in_c(name: str, args, kwargs) -> bool:
    return name.rstrip("_") in CLAMPS and not any(
        isinstance(a, Tensor) for a in (*args, *kwargs.values()))


def check_cast(src, dst, c_name: bool = False) -> None:
    """torch's error for writing a `src` result into a `dst` tensor (in place or out=) where
    its category (bool < integer < float < complex) is lower."""
    if D._CATEGORY[src.kind] > D._CATEGORY[dst.kind]:
        raise RuntimeError(f"result type {_SHORT[src.name]} can't be cast to the desired output "
                           f"type {(_CTYPE if c_name else _SHORT)[dst.name]}")


# torch's ScalarType names, used in its error messages.
_SHORT = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
          "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
          "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _wrap_dim(dim: int, ndim: int, opname: str = "") -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


jax.tree_util.register_pytree_node(
    Tensor, lambda t: ((t._data,), None), lambda aux, ch: _wrap(ch[0]))


_Meta = _meta.Meta  # a meta tensor's _data
_get_data = Tensor._data.__get__
_set_data = Tensor._data.__set__


class _Synced(Tensor):
    """A Tensor reading numpy memory XLA holds a copy of (an unaligned or strided array given
    to from_numpy; a view of a tensor whose storage is a numpy array): each use compares its
    values with that memory and re-reads it if numpy wrote there (_storage.synced)."""

    __slots__ = ()

    @property
    def _data(self):
        return _storage.synced(self, _get_data(self))

    @_data.setter
    def _data(self, value):
        _set_data(self, value)


_Synced.__name__ = _Synced.__qualname__ = "Tensor"
