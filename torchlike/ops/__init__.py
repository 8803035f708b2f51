"""The op table, split by family; importing this package binds every op to torch and Tensor."""
from __future__ import annotations

from .._tensor import Tensor
from . import conversion, indexing, linalg, pointwise, products, reduction, shape  # noqa: F401
from . import compare, scan, sorting, spectral, stats, unary  # noqa: F401  (more op families)
from . import combine, decomp, masked, matfn, random, scatter, split  # noqa: F401
from . import random_parametric  # noqa: F401  (normal(mean, std), poisson, gamma, ...)
from . import triangular  # noqa: F401  (triangular_solve, cholesky_solve, cholesky_inverse)
from . import nn as nn_ops  # noqa: F401  (nn kernels; torch.softmax, torch.log_softmax)
from . import rnn as rnn_ops  # noqa: F401  (unsafe_chunk / unsafe_split; the oneDNN LSTM layer)
from . import extra, extra_composite  # noqa: F401  (more pointwise math; torch's composites)
from . import cplx  # noqa: F401  (view_as_real, real/imag, conj, angle, polar, complex)
from ._bind import FUNCTIONS as FUNCTIONS
from ._bind import METHODS
from ._registry import OPS as OPS
from ._registry import binary

_p = pointwise


def _swap(fn):
    return lambda self, other: fn(other, self)


def _cmp(fn):
    o, cache = fn.op, {}
    kinds = "biufc" if o.name in ("eq", "ne") else "biuf"  # ordered comparisons: no complex

    def method(self, other):
        r = binary(o, cache, self, other, kinds)
        if r is not None:
            return r
        if not isinstance(other, (Tensor, *compare._NUM)):
            return NotImplemented
        return fn(self, other)
    return method


def _invert(self):
    if self.dtype.kind in "fc":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return _p.bitwise_not(self)


def _arith(fn, o):
    """The operator form of add/sub/mul/div: the common operands (non-bool tensors, Python
    ints and floats) go straight to the op; everything else takes the checked function."""
    cache = {}

    def method(self, other):
        r = binary(o, cache, self, other, "iufc")
        return fn(self, other) if r is None else r
    method.__name__ = fn.__name__
    return method


def _iop(name):
    def method(self, other):
        return getattr(self, name)(other)
    return method


DUNDERS = {
    "__add__": _arith(_p.add, _p._add), "__radd__": _arith(_p.add, _p._add),
    "__sub__": _arith(_p.sub, _p._sub), "__rsub__": _p.rsub,
    "__mul__": _arith(_p.mul, _p._mul), "__rmul__": _arith(_p.mul, _p._mul),
    "__truediv__": _arith(_p.div, _p._div),
    "__rtruediv__": _p._rtruediv, "__floordiv__": _p.floor_divide,
    "__rfloordiv__": _swap(_p.floor_divide), "__mod__": _p.remainder,
    "__rmod__": _swap(_p.remainder), "__pow__": _p.pow, "__rpow__": _swap(_p.pow),
    "__matmul__": linalg.matmul, "__rmatmul__": _swap(linalg.matmul),
    "__and__": _p.bitwise_and, "__rand__": _p.bitwise_and, "__or__": _p.bitwise_or,
    "__ror__": _p.bitwise_or, "__xor__": _p.bitwise_xor, "__rxor__": _p.bitwise_xor,
    "__lshift__": _p.bitwise_left_shift, "__rshift__": _p.bitwise_right_shift,
    "__rlshift__": _swap(_p.bitwise_left_shift), "__rrshift__": _swap(_p.bitwise_right_shift),
    "__neg__": _p.neg, "__abs__": _p.abs, "__invert__": _invert, "__pos__": _p.positive,
    "__eq__": _cmp(_p.eq), "__ne__": _cmp(_p.ne), "__lt__": _cmp(_p.lt), "__le__": _cmp(_p.le),
    "__gt__": _cmp(_p.gt), "__ge__": _cmp(_p.ge),
    "__getitem__": indexing.getitem, "__setitem__": indexing.setitem,
    "__iadd__": _iop("add_"), "__isub__": _iop("sub_"), "__imul__": _iop("mul_"),
    "__itruediv__": _iop("div_"), "__ifloordiv__": _iop("floor_divide_"),
    "__imod__": _iop("remainder_"), "__ipow__": _iop("pow_"), "__iand__": _iop("bitwise_and_"),
    "__ior__": _iop("bitwise_or_"), "__ixor__": _iop("bitwise_xor_"),
    "__ilshift__": _iop("bitwise_left_shift_"), "__irshift__": _iop("bitwise_right_shift_"),
}


def _bind() -> None:
    for name, fn in {**METHODS, **DUNDERS}.items():
        setattr(Tensor, name, fn)
    Tensor.T = property(shape._T)
    Tensor.mT = property(shape._mT)
    Tensor.H = property(lambda self: shape._T(self).conj() if self.is_complex() else
                        shape._T(self))
    Tensor.mH = property(shape.adjoint)
    Tensor.real = cplx.component_property("real")
    Tensor.imag = cplx.component_property("imag")


_bind()
