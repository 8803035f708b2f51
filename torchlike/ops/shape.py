"""View ops: view/reshape/flatten, transpose/permute/movedim, squeeze/unsqueeze, expand and
broadcasting, unbind/split/chunk/tensor_split, diagonal, unfold, clone. Every op whose torch
result is a view is registered with view=True; grad_fn names are torch's."""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from .. import _storage
from .._tensor import _SHORT, _TYPE_NAMES, Size, _wrap_dim
from ..autograd import grad_mode
from ._bind import method_only, public
from ._registry import op, resolve, run
from .layout import is_contiguous, plain, strides_of, view_op_strides, view_strides


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer_shape(shape, numel) -> tuple:
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if neg:
        if known == 0:
            if numel == 0:
                raise RuntimeError(f"cannot reshape tensor of 0 elements into shape "
                                   f"{list(shape)} because the unspecified dimension size -1 "
                                   "can be any value and is ambiguous")
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _meta_inplace(self, res, vop, statics):
    """In-place metadata ops (t_, squeeze_, ...): self takes the new shape, strides and grad_fn
    of `res` = vop(self); tensors sharing its storage keep their own geometry, as in torch."""
    if self._grad_fn is None and self._rg and grad_mode._modes.grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    old_shape, old_strides = tuple(self._data.shape), strides_of(self)
    if self._base is not None or self._views:
        # the way back to the old geometry, for the views made from self
        inv_op, inv_statics = (vop, statics) if vop in (_t, _transpose) else (
            _view, (("shape", old_shape),))
        _storage.restride(self, resolve(vop, (self,), statics)[0],
                          resolve(inv_op, (res,), inv_statics)[0])
    self._data = res._data
    self._st = (self._data.shape, tuple(view_op_strides(
        vop.name, dict(statics), old_shape, list(old_strides), tuple(res.shape))))
    self._vc[0] += 1
    if res._grad_fn is not None:
        self._grad_fn, self._output_nr, self._rg = res._grad_fn, res._output_nr, True
    return self


def _view_op(name, grad_fn, body, inplace_name=None, host=False):
    """A view op and (optionally) its in-place metadata twin (torch's ...Backward1 names);
    host: the body takes `xp` (jnp, or np to move the data on the host: _registry._cold_run)."""
    o = op(name, grad_fn, dtypes="same", saves=False, view=True, host=host)(body)
    io = None
    if inplace_name:
        io = op(name + "_", inplace_name, dtypes="same", saves=False, host=host)(body)
    return o, io


# ---- view / reshape ----------------------------------------------------------------------
_view, _ = _view_op("view", "ViewBackward0", lambda a, shape, xp=jnp: xp.reshape(a, shape),
                    host=True)


_view_bitcast = op("view_dtype", None, dtypes=lambda o, operands, statics: (None, statics[0][1]),
                   view="bitcast")(lambda a, dtype: lax.bitcast_convert_type(a, dtype.np))


def _resize_body(a, dtype):
    if dtype.itemsize < a.dtype.itemsize:  # bitcast adds a trailing dim of the size ratio
        out = lax.bitcast_convert_type(a, dtype.np)
        return out.reshape(a.shape[:-1] + (-1,))
    ratio = dtype.itemsize // a.dtype.itemsize
    return lax.bitcast_convert_type(a.reshape(a.shape[:-1] + (-1, ratio)), dtype.np)


def _resize_inverse(src, new, dtype):
    """New values of a view(dtype) between sizes, as the bits of its source's elements."""
    if new.dtype.itemsize < src.dtype.itemsize:
        ratio = src.dtype.itemsize // new.dtype.itemsize
        return lax.bitcast_convert_type(new.reshape(new.shape[:-1] + (-1, ratio)), src.dtype)
    return lax.bitcast_convert_type(new, src.dtype).reshape(src.shape)


_view_resize = op("view_dtype_resize", None, view=_resize_inverse,
                  dtypes=lambda o, operands, statics: (None, statics[0][1]))(_resize_body)


def _view_dtype(input, dtype):
    """view(dtype): reinterpret the bits (no gradient, as in torch); the result shares the
    storage (between element sizes, the last dimension is scaled)."""
    dt = D.to_dtype(dtype)
    src = input.dtype
    if dt.itemsize == src.itemsize:
        return run(_view_bitcast, (input,), (("dtype", dt),))
    what = f"to view {_SHORT[src.name]} as {_SHORT[dt.name]} (different element sizes)"
    if input.ndim == 0:
        raise RuntimeError(f"self.dim() cannot be 0 {what}")
    if input.stride(-1) != 1:
        raise RuntimeError(f"self.stride(-1) must be 1 {what}")
    if dt.itemsize > src.itemsize:
        ratio = dt.itemsize // src.itemsize
        if input.shape[-1] % ratio:
            raise RuntimeError(f"self.size(-1) must be divisible by {ratio} {what}, but got "
                               f"{input.shape[-1]}")
    return run(_view_resize, (input,), (("dtype", dt),))


_reshape_alias, _ = _view_op("reshape_alias", "ReshapeAliasBackward0",
                             lambda a, shape, xp=jnp: xp.reshape(a, shape), host=True)
_unsafe_view = op("unsafe_view", "UnsafeViewBackward0", dtypes="same", saves=False, host=True)(
    lambda a, shape, xp=jnp: a.reshape(shape))


def unsafe_view(input, shape: tuple):
    """at::_unsafe_view: a reshape recorded as UnsafeViewBackward0 (its result is no view)."""
    return run(_unsafe_view, (input,), (("shape", tuple(shape)),))


def _viewable(input, shape) -> bool:
    """Whether torch can view input as `shape` (its strides allow it): see layout.py."""
    if plain(input):
        return True
    return view_strides(input.shape, strides_of(input), shape) is not None


@method_only("view")
def view(input, *shape, dtype=None):
    if dtype is not None or (len(shape) == 1 and isinstance(shape[0], (D.dtype, type))):
        return _view_dtype(input, dtype if dtype is not None else shape[0])
    shape = _infer_shape(_shape_arg(shape), input.numel())
    if not _viewable(input, shape):
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return run(_view, (input,), (("shape", shape),))


@public()
def reshape(input, *shape):
    """As torch: a view of a contiguous input (ViewBackward0), an alias with new strides when
    they allow it (ReshapeAliasBackward0), else a copy (UnsafeViewBackward0, own storage)."""
    shape = _infer_shape(_shape_arg(shape), input.numel())
    if plain(input):
        return run(_view, (input,), (("shape", shape),))
    strides = strides_of(input)
    if is_contiguous(input.shape, strides):
        return run(_view, (input,), (("shape", shape),))
    if view_strides(input.shape, strides, shape) is not None:
        return run(_reshape_alias, (input,), (("shape", shape),))
    return unsafe_view(clone(input), shape)  # torch's copy: CloneBackward0, then the view


@method_only("view_as")
def view_as(input, other):
    return view(input, other.shape)


@method_only("reshape_as")
def reshape_as(input, other):
    return reshape(input, other.shape)


@public()
def flatten(input, start_dim=0, end_dim=-1):
    if input.ndim == 0:
        return reshape(input, 1)
    s, e = _wrap_dim(start_dim, input.ndim), _wrap_dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shp = tuple(input.shape)
    return reshape(input, shp[:s] + (math.prod(shp[s:e + 1]),) + shp[e + 1:])


@public()
def ravel(input):
    return view(contiguous(input), -1)


@public()
def unflatten(input, dim, sizes):
    d = _wrap_dim(dim, input.ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.shape[d]
    if -1 in sizes:
        sizes = _infer_shape(sizes, n)
    elif math.prod(sizes) != n:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({n}) in the input tensor")
    return view(input, tuple(input.shape[:d]) + sizes + tuple(input.shape[d + 1:]))


# ---- transpose / permute -----------------------------------------------------------------
_transpose, _transpose_ = _view_op("transpose", "TransposeBackward0",
                                   lambda a, d0, d1, xp=jnp: xp.swapaxes(a, d0, d1)
                                   if a.ndim else a,
                                   "TransposeBackward1", host=True)
_t, _t_ = _view_op("t", "TBackward0", lambda a, xp=jnp: a.T, "TBackward1", host=True)
_permute, _ = _view_op("permute", "PermuteBackward0",
                       lambda a, dims, xp=jnp: xp.transpose(a, dims), host=True)


def _transpose_args(input, dim0, dim1):
    n = input.ndim
    return (("d0", _wrap_dim(dim0, n)), ("d1", _wrap_dim(dim1, n)))


@public("transpose", "swapaxes", "swapdims")
def transpose(input, dim0, dim1):
    return run(_transpose, (input,), _transpose_args(input, dim0, dim1))


@method_only("transpose_", "swapaxes_", "swapdims_")
def transpose_(input, dim0, dim1):
    st = _transpose_args(input, dim0, dim1)
    return _meta_inplace(input, run(_transpose_, (input,), st), _transpose, st)


def _check_t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")


@public()
def t(input):
    _check_t(input)
    return run(_t, (input,))


@method_only("t_")
def t_(input):
    _check_t(input)
    return _meta_inplace(input, run(_t_, (input,)), _t, ())


@public()
def adjoint(input):
    if input.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.ndim}-D tensor.")
    out = transpose(input, -2, -1)
    return out.conj() if input.is_complex() else out


@public()
def permute(input, *dims):
    dims = _shape_arg(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {input.ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, input.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return run(_permute, (input,), (("dims", dims),))


@public("movedim", "moveaxis")
def movedim(input, source, destination):
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} "
                           "dims)")
    n = input.ndim
    src_w = [_wrap_dim(s, n) for s in src]
    dst_w = [_wrap_dim(d, n) for d in dst]
    for name, lst, w in (("source", src, src_w), ("destination", dst, dst_w)):
        if len(set(w)) != len(w):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({lst})")
    order = [i for i in range(n) if i not in src_w]
    for d, s in sorted(zip(dst_w, src_w)):
        order.insert(d, s)
    return permute(input, order)


def _T(self):
    if self.ndim == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases.", UserWarning, stacklevel=2)
    elif self.ndim != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or `x.permute(*torch."
                      "arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                      UserWarning, stacklevel=2)
    return permute(self, tuple(range(self.ndim - 1, -1, -1)))


def _mT(self):
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self.ndim}-D tensor.")
    return transpose(self, -2, -1)


# ---- squeeze / unsqueeze -----------------------------------------------------------------
_sq_all, _sq_all_ = _view_op("squeeze", "SqueezeBackward0", lambda a, xp=jnp: xp.squeeze(a),
                             "SqueezeBackward3", host=True)
_sq_dim, _sq_dim_ = _view_op("squeeze_dim", "SqueezeBackward1",
                             lambda a, dim, xp=jnp: xp.squeeze(a, dim), "SqueezeBackward4",
                             host=True)
_sq_dims, _sq_dims_ = _view_op("squeeze_dims", "SqueezeBackward2",
                               lambda a, dim, xp=jnp: xp.squeeze(a, dim), "SqueezeBackward5",
                               host=True)
_unsqueeze, _unsqueeze_ = _view_op("unsqueeze", "UnsqueezeBackward0",
                                   lambda a, dim, xp=jnp: xp.expand_dims(a, dim),
                                   "UnsqueezeBackward1", host=True)


def _squeeze_args(input, dim):
    """Which squeeze variant (0: all, 1: one dim, 2: dims) and its static arguments."""
    if dim is None:
        return 0, ()
    shape = input.shape
    if isinstance(dim, int):
        d = _wrap_dim(dim, input.ndim)
        keep = input.ndim == 0 or shape[d] != 1
        return 1, (("dim", () if keep else (d,)),)
    ds = tuple(_wrap_dim(d, input.ndim) for d in dim)
    return 2, (("dim", tuple(sorted({d for d in ds if input.ndim and shape[d] == 1}))),)


@public()
def squeeze(input, dim=None):
    i, st = _squeeze_args(input, dim)
    return run((_sq_all, _sq_dim, _sq_dims)[i], (input,), st)


@method_only("squeeze_")
def squeeze_(input, dim=None):
    i, st = _squeeze_args(input, dim)
    res = run((_sq_all_, _sq_dim_, _sq_dims_)[i], (input,), st)
    return _meta_inplace(input, res, (_sq_all, _sq_dim, _sq_dims)[i], st)


@public()
def unsqueeze(input, dim):
    return run(_unsqueeze, (input,), (("dim", _wrap_dim(dim, input.ndim + 1)),))


@method_only("unsqueeze_")
def unsqueeze_(input, dim):
    st = (("dim", _wrap_dim(dim, input.ndim + 1)),)
    return _meta_inplace(input, run(_unsqueeze_, (input,), st), _unsqueeze, st)


# ---- expand / broadcast ------------------------------------------------------------------
_expand, _ = _view_op("expand", "ExpandBackward0",
                      lambda a, shape, xp=jnp: xp.broadcast_to(a, shape), host=True)


def _expanded_shape(input, sizes) -> tuple:
    n = len(sizes) - input.ndim
    if n < 0:
        raise RuntimeError(f"expand({_TYPE_NAMES[input.dtype.name]}{{{list(input.shape)}}}, "
                           f"size={list(sizes)}): the number of sizes provided ({len(sizes)}) "
                           f"must be greater or equal to the number of dimensions in the tensor "
                           f"({input.ndim})")
    shape = [0] * len(sizes)
    for i in range(len(sizes) - 1, -1, -1):  # torch checks from the last dimension
        s, cur = sizes[i], input.shape[i - n] if i >= n else 1
        if s == -1:
            if i < n:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            s = cur
        elif cur != 1 and cur != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(input.shape)}")
        shape[i] = s
    return tuple(shape)


@method_only("expand")
def expand(input, *sizes):
    shape = _expanded_shape(input, _shape_arg(sizes))
    return run(_expand, (input,), (("shape", shape),))


@method_only("expand_as")
def expand_as(input, other):
    return expand(input, other.shape)


@public()
def broadcast_to(input, size):
    return expand(input, size)


def broadcast_shape(*shapes) -> tuple:
    """torch's broadcast of shapes, with its error wording."""
    out: list = []
    for s in shapes:
        s = tuple(s)
        if len(s) > len(out):
            out = [1] * (len(s) - len(out)) + out
        for i in range(1, len(s) + 1):
            a, b = out[-i], s[-i]
            if a != b and a != 1 and b != 1:
                raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                                   f"({b}) at non-singleton dimension {len(out) - i}")
            if a == 1:
                out[-i] = b
    return tuple(out)


@public(method=False)
def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shape(*[t.shape for t in tensors])
    return tuple(t if tuple(t.shape) == shape else expand(t, shape) for t in tensors)


@public(method=False)
def broadcast_shapes(*shapes):
    """torch._refs._broadcast_shapes: None skipped, an int a 1-d shape, torch's messages."""
    shapes = [(s,) if isinstance(s, int) else s for s in shapes if s is not None]
    for s in shapes:
        if not isinstance(s, Sequence):
            raise RuntimeError("Input shapes should be of type ints, a tuple of ints, or a list "
                               f"of ints, got {s}")
    common = [1] * max((len(s) for s in shapes), default=0)
    for i, s in enumerate(shapes):
        for d in range(-1, -1 - len(s), -1):
            if s[d] == common[d]:
                continue
            if common[d] == 1:
                if s[d] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[d] = s[d]
            if s[d] != 1 and common[d] != s[d]:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {s[d]} at {d}! "
                                   f"Mismatching argument at index {i} had {s}; but expected "
                                   f"shape should be broadcastable to {common}")
    return Size(common)


# ---- diagonal / unfold / clone -----------------------------------------------------------
_diagonal, _ = _view_op("diagonal", "DiagonalBackward0",
                        lambda a, offset, d1, d2: jnp.diagonal(a, offset, d1, d2))


@public()
def diagonal(input, offset=0, dim1=0, dim2=1):
    n = input.ndim
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return run(_diagonal, (input,), (("offset", int(offset)), ("d1", d1), ("d2", d2)))


def _unfold_body(a, dim, size, step):
    if a.ndim == 0:
        return jnp.reshape(a, (1,))
    n = (a.shape[dim] - size) // step + 1
    idx = jnp.arange(n)[:, None] * step + jnp.arange(size)[None, :]
    return jnp.moveaxis(jnp.take(a, idx, axis=dim), dim + 1, -1)


_unfold, _ = _view_op("unfold", "UnfoldBackward0", _unfold_body)


@method_only("unfold")
def unfold(input, dimension, size, step):
    d = _wrap_dim(dimension, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is "
                           f"{size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return run(_unfold, (input,), (("dim", d), ("size", size), ("step", step)))


_clone = op("clone", "CloneBackward0", dtypes="same", saves=False, host=True)(
    lambda a, xp=jnp: a)


@public()
def clone(input, *, memory_format=None):
    return run(_clone, (input,))


@method_only("contiguous")
def contiguous(input, memory_format=None):
    """input itself when its torch layout is contiguous, else a copy (CloneBackward0)."""
    if plain(input) or is_contiguous(input.shape, strides_of(input)):
        return input
    return clone(input)


# cat/stack live in combine.py, the split family in split.py; other modules import them
# from here too.
from .combine import cat as cat, stack as stack  # noqa: E402
from .split import chunk as chunk, split as split, unbind as unbind  # noqa: E402
