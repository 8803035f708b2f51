"""Indexing: __getitem__ / __setitem__ in torch's order of operations, select, narrow,
index_put (masked_*, take/put and nonzero are in masked.py).

torch applies the basic part of an index first (ints select, slices slice, None/True
unsqueeze) and then one advanced-indexing step on the result; numpy (and jax) treat ints
next to index arrays as advanced, which orders result dimensions differently. So an index
is parsed into a basic spec (run with lax dynamic slicing: ints and slice starts are kernel
arguments, so loops over `x[i]` reuse one kernel) plus the advanced part over full slices,
where numpy's placement rule and torch's agree.
"""
from __future__ import annotations

import builtins
import warnings

import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _device
from .. import _dtype as D
from .. import _storage
from ..autograd import grad_mode
from .._tensor import _SHORT, Tensor, _wrap, _wrap_dim
from ._bind import public
from ._registry import inplace, op, run


# ---- the index parser --------------------------------------------------------------------
class _Index:
    """A parsed index: basic spec + dynamic ints, advanced layout + index tensors."""

    __slots__ = ("spec", "dyn", "adv", "arrays", "names", "shape")

    def __init__(self):
        self.spec, self.dyn, self.adv, self.arrays, self.names = [], [], [], [], []
        self.shape = []  # shape after the basic part


def _as_tuple(index):
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and builtins.any(
            isinstance(i, (Tensor, list, tuple, slice, np.ndarray)) or i is None
            or i is Ellipsis for i in index):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated "
                      "and will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. "
                      "In pytorch 2.9 this will be interpreted as tensor index, x[torch.tensor("
                      "seq)], which will result either in an error or a different result",
                      UserWarning, stacklevel=4)
        return tuple(index)  # torch (like old numpy) reads such a list as a tuple
    return (index,)


def _int_like(i) -> bool:
    if isinstance(i, (bool, np.bool_)):
        return False
    if isinstance(i, (int, np.integer)):
        return True
    return isinstance(i, Tensor) and i.ndim == 0 and i.dtype.kind in "iu" and \
        i.dtype is not D.uint8


def _bool_scalar(i) -> bool:
    return isinstance(i, (bool, np.bool_)) or (
        isinstance(i, Tensor) and i.ndim == 0 and i.dtype in (D.bool, D.uint8))


def _consumes(i) -> int:
    if i is None or i is Ellipsis or _bool_scalar(i):
        return 0
    if isinstance(i, (list, np.ndarray, Tensor)) and not _int_like(i):
        t = _to_index_tensor(i)
        return t.ndim if t.dtype in (D.bool, D.uint8) else 1
    return 1


def _to_index_tensor(i) -> Tensor:
    if isinstance(i, Tensor):
        return i
    from .._creation import tensor
    return tensor(i)


def _oob(i, d, n):
    return IndexError(f"index {i} is out of bounds for dimension {d} with size {n}")


def parse(self, index) -> _Index:
    idx = _as_tuple(index)
    idx = tuple(_to_index_tensor(i) if isinstance(i, (list, np.ndarray)) else i for i in idx)
    ndim = self.ndim
    used = builtins.sum(_consumes(i) for i in idx)
    if ndim == 0 and used:
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if builtins.sum(1 for i in idx if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    p = _Index()
    src = 0  # dimension of self being consumed
    shape = tuple(self.shape)
    for i in idx:
        if i is Ellipsis:
            for _ in range(ndim - used):
                p.spec.append((":",))
                p.shape.append(shape[src])
                p.adv.append(None)
                src += 1
        elif i is None or _bool_scalar(i):
            p.spec.append(("n",))
            p.names.append("UnsqueezeBackward0")
            p.shape.append(1)
            if i is None:
                p.adv.append(None)
            else:  # True -> index [0] on the new dim, False -> an empty index
                keep = bool(i.item() if isinstance(i, Tensor) else i)
                p.adv.append(len(p.arrays))
                p.arrays.append(_wrap(jnp.zeros((1 if keep else 0,), jnp.int64)))
        elif _int_like(i):
            v, n = int(i), shape[src]
            if not -n <= v < n:
                raise _oob(v, src, n)
            p.spec.append(("i",))
            p.dyn.append(v % n)
            p.names.append("SelectBackward0")
            src += 1
        elif isinstance(i, slice):
            n = shape[src]
            if i.step is not None and int(i.step) == 0:
                raise ValueError("slice step cannot be zero")
            if i.step is not None and int(i.step) < 0:
                raise ValueError("step must be greater than zero")
            start, stop, step = slice(i.start, i.stop, i.step).indices(n)
            length = builtins.max(0, -(-(stop - start) // step))
            if (start, length, step) == (0, n, 1):
                p.spec.append((":",))
            else:
                p.spec.append(("s", length, step))
                p.dyn.append(start if length else 0)
                p.names.append("SliceBackward0")
            p.shape.append(length)
            p.adv.append(None)
            src += 1
        elif isinstance(i, Tensor):
            if i.dtype in (D.bool, D.uint8):
                if i.dtype is D.uint8:
                    warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use "
                                  "a dtype torch.bool instead.", UserWarning, stacklevel=3)
                k = i.ndim
                want = shape[src:src + k]
                if tuple(i.shape) != want:
                    dim = len(p.shape)
                    raise IndexError(f"The shape of the mask {list(i.shape)} at index {dim} "
                                     f"does not match the shape of the indexed tensor "
                                     f"{list(p.shape) + list(shape[src:])} at index {dim}")
                for nz in np.nonzero(np.asarray(i._data)):
                    p.spec.append((":",))
                    p.shape.append(shape[src])
                    p.adv.append(len(p.arrays))
                    p.arrays.append(_wrap(_device.as_array(nz.astype(np.int64))))
                    src += 1
            elif i.dtype.kind in "iu":
                n = shape[src]
                vals = np.asarray(i._data)
                if vals.size and (vals.max() >= n or vals.min() < -n):
                    raise _oob(int(vals.max() if vals.max() >= n else vals.min()), src, n)
                p.spec.append((":",))
                p.shape.append(n)
                p.adv.append(len(p.arrays))
                p.arrays.append(i)
                src += 1
            else:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices (got "
                             f"{type(i).__name__})")
    while src < ndim:  # trailing dimensions are full slices
        p.shape.append(shape[src])
        p.adv.append(None)
        src += 1
    return p


def _adv_shape(base: list, adv: list, arrays: list) -> tuple:
    """Shape of base[advanced index] under numpy's (= torch's, here) placement rule."""
    pos = [k for k, a in enumerate(adv) if a is not None]
    bshape = np.broadcast_shapes(*[tuple(arrays[adv[k]].shape) for k in pos])
    rest = [base[k] for k in range(len(base)) if adv[k] is None]
    adjacent = pos == list(range(pos[0], pos[-1] + 1))
    at = pos[0] if adjacent else 0
    return tuple(rest[:at]) + tuple(bshape) + tuple(rest[at:])


# ---- jax bodies ----------------------------------------------------------------------------
def _span(length, step):
    return (length - 1) * step + 1 if length else 0


def _take(a, dyn, spec, xp=jnp):
    """The basic part: select / slice / unsqueeze in order (dyn: ints and slice starts); in
    numpy with xp=np (starts clamped as lax's dynamic slices clamp them)."""
    if xp is not jnp:
        return a[_np_index(a, dyn, spec)]
    k, ax = 0, 0
    for item in spec:
        kind = item[0]
        if kind == "i":
            a = lax.dynamic_index_in_dim(a, dyn[k], ax, keepdims=False)
            k += 1
        elif kind == "s":
            length, step = item[1], item[2]
            a = lax.dynamic_slice_in_dim(a, dyn[k], _span(length, step), ax)
            if step > 1:
                a = lax.slice_in_dim(a, 0, None, step, ax)
            k += 1
            ax += 1
        elif kind == "n":
            a = jnp.expand_dims(a, ax)
            ax += 1
        else:
            ax += 1
    return a


def _np_index(a, dyn, spec) -> tuple:
    """The numpy index of the region _take(a, dyn, spec) reads."""
    index, k, ax = [], 0, 0  # ax: the axis of `a` the item reads
    for item in spec:
        kind = item[0]
        if kind == "n":
            index.append(None)
            continue
        if kind == "i":
            index.append(min(max(int(dyn[k]), 0), a.shape[ax] - 1))
            k += 1
        elif kind == "s":
            span = _span(item[1], item[2])
            start = min(max(int(dyn[k]), 0), a.shape[ax] - span)
            index.append(slice(start, start + span, item[2]))
            k += 1
        else:
            index.append(slice(None))
        ax += 1
    return tuple(index)


def _put(a, dyn, spec, new, ax=0):
    """Write `new` into the region of `a` that _take(a, dyn, spec) reads."""
    if not spec:
        return new
    item, rest = spec[0], spec[1:]
    kind = item[0]
    if kind == ":":
        return _put(a, dyn, rest, new, ax + 1)
    if kind == "n":
        return jnp.squeeze(_put(jnp.expand_dims(a, ax), dyn, rest, new, ax + 1), ax)
    i, dyn = dyn[0], dyn[1:]
    if kind == "i":
        sub = _put(lax.dynamic_index_in_dim(a, i, ax, keepdims=False), dyn, rest, new, ax)
        return lax.dynamic_update_index_in_dim(a, sub, i, ax)
    length, step = item[1], item[2]
    sub = lax.dynamic_slice_in_dim(a, i, _span(length, step), ax)
    if step > 1:
        inner = _put(lax.slice_in_dim(sub, 0, None, step, ax), dyn, rest, new, ax + 1)
        sub = sub.at[(slice(None),) * ax + (slice(None, None, step),)].set(inner)
    else:
        sub = _put(sub, dyn, rest, new, ax + 1)
    return lax.dynamic_update_slice_in_dim(a, sub, i, ax)


def _adv_tuple(adv, arrays):
    return tuple(slice(None) if p is None else arrays[p] for p in adv)


def _fit(v, shape, xp=jnp):
    """torch's value broadcast for setitem: drop leading size-1 dims, then expand."""
    while v.ndim > len(shape) and v.shape[0] == 1:
        v = v[0]
    return xp.broadcast_to(v, shape)


def _index_body(a, *rest, spec, ndyn, adv):
    out = _take(a, rest[:ndyn], spec)
    if adv is not None:
        out = out[_adv_tuple(adv, rest[ndyn:])]
    return out


def _set_body(a, v, *rest, spec, ndyn, adv, accumulate, name, xp=jnp):
    if xp is not jnp:
        return _set_np(a, v, rest[:ndyn], spec, adv)
    v = jnp.asarray(v).astype(a.dtype)
    dyn, arrays = rest[:ndyn], rest[ndyn:]
    view = _take(a, dyn, spec)
    if adv is None:
        new = _fit(v, view.shape)
    else:
        at = view.at[_adv_tuple(adv, arrays)]
        shape = view[_adv_tuple(adv, arrays)].shape
        new = at.add(_fit(v, shape)) if accumulate else at.set(_fit(v, shape))
    return _put(a, dyn, spec, new)


def _set_np(a, v, dyn, spec, adv):
    """A basic-index write in numpy: a copy of `a` with the region replaced."""
    v = np.asarray(v)
    if adv is not None or v.dtype.kind in "fc" and v.dtype.kind != a.dtype.kind:
        raise NotImplementedError  # advanced indices; float -> int and complex -> real casts
    out = np.array(a)
    index = _np_index(a, dyn, spec)
    out[index] = _fit(v.astype(a.dtype), out[index].shape, np)
    return out


def _named(statics, pattern):
    return dict(statics)["name"]


_basic = op("basic_index", _named, dtypes="same", saves=False, view=True, host=True)(
    lambda a, *dyn, spec, ndyn, adv, name, xp=jnp: _take(a, dyn, spec, xp))
_index = op("index", "IndexBackward0", dtypes="same", edges=(0,))(
    lambda a, *rest, spec, ndyn, adv: _index_body(a, *rest, spec=spec, ndyn=ndyn, adv=adv))
_setitem = op("setitem", _named, dtypes="same", promote=(), host=True)(_set_body)


def _run_basic(self, spec, dyn, name):
    statics = (("spec", tuple(spec)), ("ndyn", len(dyn)), ("adv", None), ("name", name))
    return run(_basic, (self, *dyn), statics)


def getitem(self, index):
    """Tensor.__getitem__."""
    if isinstance(index, slice):  # a lone slice is always a SliceBackward0 node in torch
        p = parse(self, index)
        if p.spec == [(":",)]:
            p.spec, p.dyn = [("s", self.shape[0], 1)], [0]
        return _run_basic(self, p.spec, p.dyn, "SliceBackward0")
    p = parse(self, index)
    if not p.arrays:
        return _run_basic(self, p.spec, p.dyn, p.names[-1] if p.names else "AliasBackward0")
    statics = (("spec", tuple(p.spec)), ("ndyn", len(p.dyn)), ("adv", tuple(p.adv)))
    return run(_index, (self, *p.dyn, *p.arrays), statics)


def _value_operand(self, value):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        return value.item() if isinstance(value, (np.number, np.bool_)) else value
    from .._creation import tensor
    return tensor(value, dtype=self.dtype)


def _check_fit(vshape, shape, what):
    """torch's checks that a setitem value fits (leading size-1 dims of the value dropped)."""
    vshape = list(vshape)
    while len(vshape) > len(shape) and vshape[0] == 1:
        vshape.pop(0)
    try:
        ok = np.broadcast_shapes(tuple(vshape), tuple(shape)) == tuple(shape)
    except ValueError:
        ok = False
    if ok:
        return
    if what == "copy":
        n = len(shape) - len(vshape)
        for k in range(len(shape) - 1, -1, -1):
            cur = vshape[k - n] if k >= n else 1
            if cur != 1 and cur != shape[k]:
                raise RuntimeError(f"The expanded size of the tensor ({shape[k]}) must match "
                                   f"the existing size ({cur}) at non-singleton dimension "
                                   f"{k}.  Target sizes: {list(shape)}.  Tensor sizes: "
                                   f"{vshape}")
    raise RuntimeError(f"shape mismatch: value tensor of shape {vshape} cannot be broadcast "
                       f"to indexing result of shape {list(shape)}")


def setitem(self, index, value):
    """Tensor.__setitem__: an in-place write; grad_fn as torch's copy_/fill_/index_put_."""
    if index is False or (isinstance(index, np.bool_) and not index):
        return  # torch: nothing to write
    p = parse(self, index)
    value = _value_operand(self, value)
    vshape = tuple(value.shape) if isinstance(value, Tensor) else ()
    trivial = builtins.all(s == (":",) for s in p.spec)
    if p.arrays:
        shape = _adv_shape(p.shape, p.adv, p.arrays)
        _check_fit(vshape, shape, "index_put")
        name = "IndexPutBackward0" if trivial else "CopySlices"
        adv = tuple(p.adv)
    else:
        _check_fit(vshape, p.shape, "copy")
        if not trivial:
            name = "CopySlices"
        elif vshape != tuple(p.shape) and len(vshape) == 0:
            name = "FillBackward3"
        else:
            name = "CopyBackwards"
        adv = None
    statics = (("spec", tuple(p.spec)), ("ndyn", len(p.dyn)), ("adv", adv),
               ("accumulate", False), ("name", name))
    # Outside autograd, a base whose array nothing else holds is updated in place by XLA
    # (donation) instead of copying the whole base for a small slice.
    donate = self._base is None and not (grad_mode._modes.grad and (
        self._rg or (isinstance(value, Tensor) and value._rg))) and _storage.owned(self)
    inplace(self, run(_setitem, (self, value, *p.dyn, *p.arrays), statics, donate=donate))


# ---- select / narrow / slice ---------------------------------------------------------------
def slice_dim(input, dim, start, stop, step=1):
    """input[..., start:stop:step] along `dim` (start/stop already in range): SliceBackward0."""
    length = builtins.max(0, -(-(stop - start) // step))
    spec = [(":",)] * dim + [("s", length, step)]
    return _run_basic(input, spec, [start if length else 0], "SliceBackward0")


@public()
def select(input, dim, index):
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return _run_basic(input, [(":",)] * d + [("i",)], [index % n], "SelectBackward0")


@public()
def narrow(input, dim, start, length):
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    start, length = int(start), int(length)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({n}).")
    return slice_dim(input, d, start, start + length)


# ---- index_put -----------------------------------------------------------------------------
def _index_put(input, indices, values, accumulate):
    if not isinstance(values, Tensor):
        raise TypeError("index_put(): argument 'values' (position 3) must be Tensor, not "
                        f"{type(values).__name__}")
    if values.dtype is not input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_SHORT[input.dtype.name]} for the destination and "
                           f"{_SHORT[values.dtype.name]} for the source.")
    idx = tuple(slice(None) if i is None else i for i in indices)
    p = parse(input, idx)
    if not p.arrays:
        from .._errors import NotImplementedOp
        raise NotImplementedOp("index_put with no index tensor is not implemented in torchlike")
    shape = _adv_shape(p.shape, p.adv, p.arrays)
    _check_fit(tuple(values.shape), shape, "index_put")
    statics = (("spec", tuple(p.spec)), ("ndyn", len(p.dyn)), ("adv", tuple(p.adv)),
               ("accumulate", bool(accumulate)), ("name", "IndexPutBackward0"))
    return run(_setitem, (input, values, *p.dyn, *p.arrays), statics)


@public()
def index_put(input, indices, values, accumulate=False):
    return _index_put(input, indices, values, accumulate)


@public()
def index_put_(input, indices, values, accumulate=False):
    return inplace(input, _index_put(input, indices, values, accumulate))
