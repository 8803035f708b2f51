"""Storage sharing on immutable jax arrays: views, aliases and in-place writes.

A view (the result of an op registered with view=True, or `.data` / `detach()`) keeps `_base`
(the tensor owning the storage) and `_view` = (parent, kernel, args, output index), the op that
made it; `.data` / `detach()` of a view are ("alias", that view), and of a base None. Nothing
is copied when a view is made. When a write happens:
- on a base: its array is replaced and each live view re-runs its view kernels on it;
- on a view: the view's flat positions in the base are found once by running the view chain
  on an index array (`arange(base.numel())` shaped like the base) and cached; the new values
  are scattered into the base with `.at[positions].set` (donating the base's buffer when
  nothing else holds it, so XLA updates it in place), then every live view is refreshed.
Views share the base's version counter (`_version`), except `.data`, which has its own.
"""
from __future__ import annotations

import sys
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from ._compile import jit
from ._device import upload

_gather = jit(lambda base, idx: base.reshape(-1)[idx])


def _scatter_body(base, idx, vals):
    return base.reshape(-1).at[idx.reshape(-1)].set(
        vals.reshape(-1).astype(base.dtype)).reshape(base.shape)


_scatter = jit(_scatter_body)
# When nothing but the base holds its array, the write donates it: XLA updates the buffer in
# place instead of copying the whole base for a small slice.
_scatter_donated = jit(_scatter_body, donate_argnums=0)


def owned(t) -> bool:
    """True when nothing but tensor t refers to its array: no alias, autograd node or cache
    can see a donated buffer disappear (and its memory is not a numpy array's)."""
    return sys.getrefcount(t._data) <= 2 and host_of(t) is None  # (t's slot, the argument)


# ---- memory shared with numpy (torch.from_numpy, Tensor.numpy) -----------------------------
def _c_order(a: np.ndarray) -> np.ndarray:
    """`a` in C order, keeping its shape (np.ascontiguousarray makes a 0-d array 1-d)."""
    return a if a.flags.c_contiguous else np.array(a, order="C")


def share_host(t, host: np.ndarray) -> None:
    """Base tensor t's storage becomes the numpy array `host`, as torch's from_numpy/numpy()
    share memory: on the CPU, t's array is `host`'s memory when it is contiguous and 64-byte
    aligned (numpy writes show in t), and every in-place write to t (or its views) is copied
    into `host` for as long as `host` is alive (t's array holds the memory, not the `host`
    object). Tensors that read a copy of `host` (t when XLA could not use its memory, and t's
    views) re-read `host` when used, if small (see `_Synced`)."""
    t._data = data = upload(_c_order(host))
    t.__dict__["_host"] = weakref.ref(host)
    if t._views is None:
        t._views = []  # writes to t now take write(), which keeps `host` in step
    if data.unsafe_buffer_pointer() != host.ctypes.data or not host.flags.c_contiguous:
        t.__dict__["_host_keep"] = host  # XLA holds a copy: the memory is only host's
        track(t)
    for r in t._views:
        v = r()
        if v is not None:
            track(v)


# ---- tensors that re-read numpy memory -----------------------------------------------------
# XLA cannot see numpy writing into memory it holds a copy of (an unaligned or strided array
# given to from_numpy; a view of a tensor whose storage is a numpy array). Such tensors, when
# small, change class to _Synced, whose `_data` compares the tensor's values with the memory
# on each use and re-reads it when numpy changed it. Larger ones keep the copy (documented).
SYNC_LIMIT = 1 << 16  # bytes: re-reading costs a compare of this much memory per use


def synced(t, arr):
    """The value of _Synced tensor t, whose array is `arr`: re-read from numpy memory if numpy
    changed it."""
    from ._tensor import Tensor, _get_data
    base = t if t._base is None else t._base
    host = host_of(base)
    if host is None or base._st is not base.__dict__.get("_host_st") or \
            host.shape != _get_data(base).shape:
        t.__class__ = Tensor  # the array is gone (or t_() reshaped the storage)
        return arr
    now = host if t is base else host.reshape(-1)[t.__dict__["_hidx"]]
    if now.tobytes() != np.asarray(arr).tobytes():
        arr = upload(_c_order(now))
        t._data = arr
    return arr


def track(t) -> None:
    """t (a base sharing numpy memory it holds a copy of, or a view of a base sharing numpy
    memory) re-reads that memory when used, if small."""
    from ._tensor import Tensor, _Synced
    if type(t) is not Tensor or t.element_size() * t.numel() > SYNC_LIMIT:
        return  # subclasses (Parameter) keep their class
    if t._base is not None:
        if anchor(t) is not None or (t._view is not None and t._view[0] != "alias" and
                                     t._view[1].op.view == "bitcast"):
            return
        t.__dict__["_hidx"] = np.asarray(index_map(t))  # flat: a 0-d base has one element
    t.__class__ = _Synced


def host_array(t):
    """The numpy array sharing t's memory (Tensor.numpy()), made for t's base when it has none;
    None when t's elements are no strided window on a plain base."""
    from .ops.layout import strides_of
    base = t if t._base is None else t._base
    host = host_of(base)
    if host is None or host.shape != base._data.shape:
        if base._st is not None:
            return None
        host = aligned_empty(base._data.shape, base._data.dtype)
        host[...] = np.asarray(base._data)
        share_host(base, host)
    if t is base or t._view is None:
        return host
    if t.dtype is not base.dtype or not host.flags.c_contiguous or anchor(t) is not None:
        return None
    idx = np.asarray(index_map(t))
    flat, strides = host.reshape(-1), strides_of(t)
    start = int(idx.flat[0]) if idx.size else 0
    if idx.size and start + sum((n - 1) * s for n, s in zip(idx.shape, strides)) >= flat.size:
        return None
    span = np.lib.stride_tricks.as_strided
    places = span(np.arange(flat.size)[start:], idx.shape, [s * 8 for s in strides])
    if not np.array_equal(places, idx):
        return None
    return span(flat[start:], idx.shape, [s * flat.itemsize for s in strides])


def host_of(t):
    """The live numpy array sharing t's storage, or None."""
    if t._views is None:
        return None
    ref = t.__dict__.get("_host")
    host = ref() if ref is not None else None
    if ref is not None and host is None:
        del t.__dict__["_host"]  # nobody holds the array any more: stop writing to it
    return host


def aligned_empty(shape, dtype) -> np.ndarray:
    """An uninitialised numpy array whose memory XLA's CPU client can use without a copy."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(n + 64, np.uint8)
    start = (-raw.ctypes.data) % 64
    return raw[start:start + n].view(dtype).reshape(shape)


def _assign(base, data) -> None:
    """base (owning the storage) takes the array `data`; a numpy array sharing the storage
    gets the values too."""
    host = host_of(base)
    if host is not None:
        if host.shape == data.shape and host.dtype == data.dtype:
            np.copyto(host, np.asarray(data))
            data = upload(host.view())
        else:
            del base.__dict__["_host"]
            base.__dict__.pop("_host_keep", None)
    base._data = data

_EXPANDED = ("unsupported operation: more than one element of the written-to tensor refers to "
             "a single memory location. Please clone() the tensor before performing the "
             "operation.")


def link(base_src, view, node_info=None, share_version: bool = True) -> None:
    """Make `view` a view of `base_src` (itself possibly a view). node_info: (kernel, args, j)
    of the op that made it, or None for an identity alias."""
    base = base_src._base if base_src._base is not None else base_src
    view._base = base
    if node_info is not None:
        view._view = (base_src, *node_info)
    else:  # an alias: the same elements as base_src (which may itself be a view)
        view._view = None if base_src._base is None else ("alias", base_src)
    if share_version:
        view._vc = base._vc
    views = base._views
    if views is None:
        views = base._views = []
    elif len(views) >= 32:
        views[:] = [r for r in views if r() is not None]
    views.append(weakref.ref(view))
    if "_host" in base.__dict__:
        track(view)


def component(t) -> bool:
    """t is a view whose elements are not elements of its source (view_as_real, conj, a
    view(dtype) to another size: the op's `view` is the inverse that turns new values of t
    into new values of the source). Views made from t are positioned within t."""
    v = t._view
    return v is not None and v[0] != "alias" and callable(v[1].op.view)


def anchor(t):
    """The component view whose elements index_map(t) counts (t itself or the nearest one
    it was made from), or None when they are its base's."""
    while t._base is not None and t._view is not None:
        if t._view[0] == "alias":
            t = t._view[1]
        elif component(t):
            return t
        else:
            t = t._view[0]
    return None


def index_map(t):
    """Flat positions of each of t's elements in its base (in its anchor when it has one;
    cached on t)."""
    if t._idx is not None:
        return t._idx
    base = t._base
    if t._view is None:
        idx = jnp.arange(base._data.size, dtype=jnp.int64).reshape(base._data.shape)
    elif t._view[0] == "alias":
        idx = index_map(t._view[1])
    else:
        src, kernel, args, j = t._view
        src_idx = index_map(src) if src._base is not None and not component(src) else \
            jnp.arange(src._data.size, dtype=jnp.int64).reshape(src._data.shape)
        if kernel.op.view == "bitcast":  # view(dtype): the same elements, other bits' meaning
            idx = src_idx
        else:
            out = kernel.op.body(src_idx, *args[1:], **dict(kernel.key[2]))
            idx = out[j] if isinstance(out, (tuple, list)) else out
    t._idx = idx
    return idx


def _overlapping(t) -> bool:
    """torch refuses writes to a tensor whose own elements share memory (a stride of 0 on a
    dimension longer than 1: expand; overlapping unfold windows are not detected)."""
    from .ops.layout import strides_of
    return any(st == 0 and n > 1 for st, n in zip(strides_of(t), t._data.shape))


def write(t, data) -> None:
    """Replace t's values in place, keeping its base and every other view in sync."""
    base = t._base
    if base is None:
        _assign(t, data)
        t._vc[0] += 1
        if t._views:
            refresh(t)
        return
    _put(t, data)
    t._vc[0] += 1  # shared with the base, except for .data (its own counter, as in torch)
    refresh(base)


def _put(t, data) -> None:
    """t's new values into the storage (t a view or alias; its views are not refreshed)."""
    base = t._base
    if base is None:
        _assign(t, data)
    elif t._view is None:  # identity alias (.data, detach)
        _assign(base, data)
    elif component(t):  # through the op's inverse, into the source
        src, kernel, _args, _j = t._view
        _put(src, kernel.op.view(src._data, data, **dict(kernel.key[2])))
    else:
        if _overlapping(t):
            raise RuntimeError(_EXPANDED)
        top = anchor(t)
        if top is not None:  # positions within a component view it was made from
            _put(top, _scatter(top._data, index_map(t), data))
            return
        if data.dtype != base._data.dtype:  # written through view(dtype): the same bits
            data = jax.lax.bitcast_convert_type(data, base._data.dtype)
        scatter = _scatter_donated if owned(base) else _scatter
        _assign(base, scatter(base._data, index_map(t), data))


def refresh(base) -> None:
    """Re-read every live view of `base` from its (new) array."""
    live, fresh = [], {}
    for r in base._views:
        v = r()
        if v is not None:
            live.append(r)
            v._data = _recompute(v, base, fresh)
    base._views = live


def _recompute(v, base, fresh: dict):
    """v's values from the base's current array, by re-running its chain of view kernels
    (slices and reshapes: cheaper than a gather by flat positions)."""
    if v is base:
        return base._data
    got = fresh.get(id(v))
    if got is None:
        if v._view is None:
            got = base._data
        elif v._view[0] == "alias":
            got = _recompute(v._view[1], base, fresh)
        else:
            src, kernel, args, j = v._view
            out = kernel.jit(_recompute(src, base, fresh), *args[1:])
            got = out[j] if isinstance(out, (tuple, list)) else out
        fresh[id(v)] = got
    return got


def restride(t, kernel, inverse) -> None:
    """t's own shape and strides change in place by view kernel `kernel` (t_, transpose_,
    squeeze_, unsqueeze_; `inverse` undoes it). Everything else sharing the storage keeps its
    geometry, as in torch: what was made from t now reads through a hidden tensor `old` with
    t's previous geometry (a view of t through `inverse` when t is the base; else t's previous
    place in the view tree, of which t becomes a view through `kernel`)."""
    from ._tensor import _differentiable_view, _wrap
    old = _wrap(t._data)
    old._vc, old._st = t._vc, t._st
    if t._base is None:
        base = old._base = t
        old._view = (t, inverse, (None,), 0)
        for r in t._views:  # t's array changes layout: every view's flat positions change
            v = r()
            if v is not None:
                v._idx = None
    else:
        base = old._base = t._base
        old._view, old._idx = t._view, t._idx
        if _differentiable_view(t):
            t._view = (old, kernel, (None,), 0)
        else:  # .data / detach() stay outside autograd: an alias of the reshaped old
            mid = _wrap(t._data)
            mid._vc, mid._base, mid._view = t._vc, base, (old, kernel, (None,), 0)
            t._view = ("alias", mid)
        t._idx = None
    for r in base._views:
        v = r()
        if v is None or v is t:
            continue
        vw = v._view
        if vw is None:  # an identity alias of the base
            if base is t:
                v._view = ("alias", old)
        elif vw[1] is t if isinstance(vw[0], str) else vw[0] is t:
            v._view = ("alias", old) if isinstance(vw[0], str) else (old, *vw[1:])
