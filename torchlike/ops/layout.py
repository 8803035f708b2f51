"""torch's memory layout (sizes and strides) of a tensor, derived from the chain of view ops
that made it (torchlike._storage records it): a fresh tensor is contiguous, and each view op
maps its input's strides as torch's does. jax arrays have no strides; this only decides what
torch would do: whether reshape can view or must copy, whether contiguous() copies."""
from __future__ import annotations


def contiguous_strides(shape) -> tuple:
    out, acc = [], 1
    for s in reversed(tuple(shape)):
        out.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(out))


def is_contiguous(shape, strides) -> bool:
    """torch's rule: size-1 dimensions are ignored, empty tensors are contiguous."""
    if 0 in tuple(shape):
        return True
    expected = 1
    for size, stride in zip(reversed(tuple(shape)), reversed(tuple(strides))):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def view_strides(old_shape, old_strides, new_shape):
    """torch's computeStride: strides for viewing (old_shape, old_strides) as new_shape, or
    None when the view is impossible (a dimension spans two non-contiguous chunks)."""
    old_shape, old_strides, new_shape = tuple(old_shape), tuple(old_strides), tuple(new_shape)
    numel = 1
    for s in old_shape:
        numel *= s
    if numel == 0:
        return old_strides if old_shape == new_shape else contiguous_strides(new_shape)
    if not old_shape:
        return contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = old_strides[-1]
    tensor_numel, view_numel = 1, 1
    for d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[d]
        if d == 0 or (old_shape[d - 1] != 1 and
                      old_strides[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base = old_strides[d - 1]
                tensor_numel, view_numel = 1, 1
    if view_d != -1:
        return None
    return tuple(new_strides)


def strides_of(t) -> tuple:
    """t's strides as torch would have them. `_st` caches (shape, strides): a view's geometry is
    fixed when it is made; a base's is contiguous unless t_/transpose_/... changed it."""
    st = t._st
    if st is not None and st[0] == t._data.shape:
        return st[1]
    if t._base is None:
        return contiguous_strides(t._data.shape)
    if t._view is None:
        return strides_of(t._base)
    if isinstance(t._view[0], str):  # ("alias", tensor)
        return strides_of(t._view[1])
    src, kernel, _args, _j = t._view
    old = strides_of(src)
    out = view_op_strides(kernel.op.name, dict(kernel.key[2]), tuple(src._data.shape), list(old),
               tuple(t._data.shape))
    out = contiguous_strides(t._data.shape) if out is None else tuple(out)
    t._st = (t._data.shape, out)
    return out


def plain(t) -> bool:
    """t owns its storage and is laid out contiguously (torch's fresh tensor)."""
    return t._base is None and t._st is None


def view_op_strides(name, st, shape, strides, new_shape):
    """Strides after the view op `name` (None: unknown op or a copy: contiguous)."""
    if name in ("view", "reshape_alias"):
        return view_strides(shape, strides, new_shape)
    if name == "transpose":
        if strides:  # a 0-d tensor's transpose is itself
            strides[st["d0"]], strides[st["d1"]] = strides[st["d1"]], strides[st["d0"]]
        return strides
    if name == "t":
        return strides[::-1]
    if name == "conj":
        return strides
    if name == "view_as_real":  # in units of the real parts
        return [s * 2 for s in strides] + [1]
    if name == "view_as_complex":
        return [s // 2 for s in strides[:-1]]
    if name == "view_dtype_resize":  # the last stride stays 1
        old, new = shape[-1], new_shape[-1]
        return [s * new // old for s in strides[:-1]] + [1]
    if name == "permute":
        return [strides[d] for d in st["dims"]]
    if name in ("squeeze", "squeeze_dim", "squeeze_dims"):
        drop = set(st.get("dim", ())) if name != "squeeze" else \
            {d for d, s in enumerate(shape) if s == 1}
        return [s for d, s in enumerate(strides) if d not in drop]
    if name == "unsqueeze":
        d = st["dim"]
        strides.insert(d, strides[d] * shape[d] if d < len(shape) else 1)
        return strides
    if name == "expand":
        n = len(new_shape) - len(shape)
        return [0] * n + [0 if shape[i] == 1 and new_shape[i + n] != 1 else s
                          for i, s in enumerate(strides)]
    if name == "basic_index":
        return _basic(st["spec"], shape, strides)
    if name == "view_dtype":
        return strides
    if name == "unbind":
        return [s for d, s in enumerate(strides) if d != st["dim"]]
    if name in ("split", "split_with_sizes"):
        return strides
    if name == "diagonal":
        d1, d2 = st["d1"], st["d2"]
        return [s for d, s in enumerate(strides) if d not in (d1, d2)] + [strides[d1] +
                                                                         strides[d2]]
    if name == "unfold":
        if not shape:
            return [1]
        d = st["dim"]
        out = list(strides)
        out[d] = strides[d] * st["step"]
        return out + [strides[d]]
    return None


def _basic(spec, shape, strides):
    out, ax = [], 0
    for item in spec:
        kind = item[0]
        if kind == "i":
            ax += 1
        elif kind == "s":
            out.append(strides[ax] * item[2])
            ax += 1
        elif kind == "n":
            out.append(strides[ax] * shape[ax] if ax < len(shape) else 1)
        else:
            out.append(strides[ax])
            ax += 1
    return out + list(strides[ax:])
