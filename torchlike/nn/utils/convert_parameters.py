"""parameters_to_vector / vector_to_parameters."""
from __future__ import annotations

from ... import _storage
from ..._tensor import Tensor, _wrap
from ...autograd import grad_mode


def parameters_to_vector(parameters) -> Tensor:
    """One flat vector of all parameters (differentiable: view + cat, as in torch)."""
    from ... import cat  # bound once the op table is loaded
    return cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Slice `vec` into the parameters' shapes; each parameter's data becomes its slice of
    `vec`'s storage (torch's `param.data = vec[...].view_as(param).data`): writes to either
    show in the other, while each keeps its own version counter and stays a leaf."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        with grad_mode.no_grad():
            piece = vec[pointer:pointer + n].view_as(param)
        _share_storage(param, piece)
        pointer += n


def _share_storage(t: Tensor, src: Tensor) -> None:
    """`t.data = src.data` as torch does it: t aliases src's storage (its version counter
    stays its own); views made from t before keep t's old storage, with t's counter."""
    if t._rg and src.dtype.kind not in "fc":
        raise RuntimeError("data set to a tensor that requires gradients must be floating "
                           "point or complex dtype")
    if t._base is not None:  # t leaves the storage it viewed
        views = t._base._views
        if views:
            views[:] = [r for r in views if r() is not t]
    elif t._views:  # t owned a storage: its views keep it, under a hidden owner
        old = _wrap(t._data)
        old._vc, old._views = t._vc, t._views
        for key in ("_host", "_host_keep"):
            if key in t.__dict__:
                old.__dict__[key] = t.__dict__.pop(key)
        for r in old._views:
            v = r()
            if v is not None:
                v._base = old
                if v._view is not None and v._view[0] is t:
                    v._view = (old, *v._view[1:])
    t._base = t._view = t._views = t._idx = t._st = None
    t._data = src._data
    _storage.link(src, t, share_version=False)
