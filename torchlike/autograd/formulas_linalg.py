"""torch's backward formulas for matrix products (derivatives.yaml), in torchlike ops: mm,
addmm and F.linear's kernels, bmm, mv, dot, vdot, addmv, baddbmm, addbmm, addr and trace; and
for determinants and inverses (FunctionsManual.cpp's linalg_det_backward: det's gradient is a
linalg.solve against A's transpose, inv's two products with the saved inverse; singular
matrices, where torch's det backward switches to an SVD, keep the generic path).

torch conjugates the other factor for complex operands; these formulas are written for real
ones, and complex operands keep the generic path (the op's vjp as one node)."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._tensor import _wrap
from ..ops._registry import op, run
from ..ops.scatter import _index_fill
from .formulas import all_real, formula, forward, times

# torch's index_fill node with a tensor value has edges for self and value (not the index)
_index_fill_grad = op("index_fill_formula", "IndexFillBackward1", dtypes="same", promote=(),
                      edges=(0, 2))(_index_fill.body)


def _outer(g, vec):
    """torch's ger/outer: g reshaped to a column (a view), times vec."""
    return g.reshape(g.shape[0], 1) * vec


# ---- mm / addmm / F.linear ---------------------------------------------------------------
@formula("mm")
def _mm(g, xs, st, diff):
    a, b = xs
    return {0: g.mm(b.t()) if 0 in diff else None, 1: a.t().mm(g) if 1 in diff else None}


@formula("addmm")
def _addmm(g, xs, st, diff):
    c, a, b, beta, alpha = xs
    return {0: times(g, beta) if 0 in diff else None,
            1: times(g.mm(b.t()), alpha) if 1 in diff else None,
            2: times(a.t().mm(g), alpha) if 2 in diff else None}


# F.linear's kernels take the weight's own array where torch has its transpose wt (see
# ops/nn.py): wt.t() is then a TBackward0 node over wt with wt's values, and wt's gradient
# (torch's x.t() @ g) is g.t() @ x in the weight's layout; linear_weight_t passes it on as
# torch's t() would.
def _wt_t(wt):
    return run(_weight_t(), (wt,))


def _weight_t():
    from ..ops.nn import _weight_t as w
    return w


@formula("linear_addmm")
def _linear_addmm(g, xs, st, diff):
    c, x, wt = xs
    return {0: g if 0 in diff else None, 1: g.mm(_wt_t(wt)) if 1 in diff else None,
            2: g.t().mm(x) if 2 in diff else None}


@formula("linear_mm")
def _linear_mm(g, xs, st, diff):
    x, wt = xs
    return {0: g.mm(_wt_t(wt)) if 0 in diff else None, 1: g.t().mm(x) if 1 in diff else None}


@formula("linear_weight_t")
def _linear_weight_t(g, xs, st, diff):
    return {0: run(_weight_t(), (g,))}


# ---- batched and vector products -----------------------------------------------------------
@formula("bmm")
def _bmm(g, xs, st, diff):
    a, b = xs
    if not all_real(g, a, b):
        return None
    return {0: g.bmm(b.transpose(1, 2)) if 0 in diff else None,
            1: a.transpose(1, 2).bmm(g) if 1 in diff else None}


@formula("mv")
def _mv(g, xs, st, diff):
    m, v = xs
    if not all_real(g, m, v):
        return None
    return {0: _outer(g, v) if 0 in diff else None, 1: m.t().mv(g) if 1 in diff else None}


@formula("dot", "vdot")
def _dot(g, xs, st, diff):
    """torch: grad * other for self, grad * self for other (vdot conjugates grad and self,
    no-ops for real operands)."""
    a, b = xs
    if not all_real(g, a, b):
        return None
    return {0: g * b if 0 in diff else None, 1: g * a if 1 in diff else None}


@formula("addmv")
def _addmv(g, xs, st, diff):
    c, m, v, beta, alpha = xs
    if not all_real(g, m, v):
        return None
    return {0: times(g, beta) if 0 in diff else None,
            1: times(_outer(g, v), alpha) if 1 in diff else None,
            2: times(m.t().mv(g), alpha) if 2 in diff else None}


@formula("baddbmm")
def _baddbmm(g, xs, st, diff):
    c, a, b, beta, alpha = xs
    if not all_real(g, a, b):
        return None
    return {0: times(g, beta) if 0 in diff else None,
            1: times(g.bmm(b.transpose(1, 2)), alpha) if 1 in diff else None,
            2: times(a.transpose(1, 2).bmm(g), alpha) if 2 in diff else None}


@formula("addbmm")
def _addbmm(g, xs, st, diff):
    """torch: the gradient expanded over the batch, then baddbmm's formula."""
    c, a, b, beta, alpha = xs
    if not all_real(g, a, b):
        return None
    out = {0: times(g, beta) if 0 in diff else None}
    if 1 in diff or 2 in diff:
        ge = g.unsqueeze(0).expand(a.shape[0], a.shape[1], b.shape[2])
        if 1 in diff:
            out[1] = times(ge.bmm(b.transpose(1, 2)), alpha)
        if 2 in diff:
            out[2] = times(a.transpose(1, 2).bmm(ge), alpha)
    return out


@formula("addr")
def _addr(g, xs, st, diff):
    c, u, v, beta, alpha = xs
    if not all_real(g, u, v):
        return None
    return {0: times(g, beta) if 0 in diff else None,
            1: times(g.mv(v), alpha) if 1 in diff else None,
            2: times(g.t().mv(u), alpha) if 2 in diff else None}


@formula("trace")
def _trace(g, xs, st, diff):
    """torch's trace_backward: the gradient filled into zeros at the flat positions of the
    diagonal, viewed as the matrix."""
    n, m = xs[0].shape
    idx = _wrap(jnp.arange(0, n * m, m + 1, dtype=jnp.int64))
    flat = run(_index_fill_grad, (g.new_zeros((n * m,)), idx, g), (("dim", 0),))
    return {0: flat.view(n, m)}


# ---- determinants and inverses -------------------------------------------------------------
@formula("linalg_det")
def _det(g, xs, st, diff):
    """torch: solve(A^H, diag_embed((grad * det).unsqueeze(-1).expand(pivots' shape))^T)."""
    from ..linalg import solve
    a = xs[0]
    det = forward("linalg_det", xs, st)
    eps = float(np.finfo(np.dtype(str(a.dtype).replace("torch.", ""))).eps)
    if not all_real(g, a) or bool((det.detach().abs() < eps).any()):
        return None
    d = (g * det).unsqueeze(-1).expand(*a.shape[:-1]).diag_embed().mT
    return {0: solve(a.mT, d)}


@formula("linalg_inv_ex")
def _inv_ex(g, xs, st, diff):
    """torch: -(inverse^H @ (grad @ inverse^H))."""
    a = xs[0]
    if not all_real(g, a):
        return None
    inv = forward("linalg_inv_ex", xs, st)[0]
    return {0: -(inv.mT @ (g @ inv.mT))}
