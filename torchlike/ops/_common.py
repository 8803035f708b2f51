"""Helpers shared by op families: dim normalization, torch's return_types."""
from __future__ import annotations

from .._tensor import _wrap_dim


def dims(dim, ndim: int):
    """Normalize a dim argument (int, sequence, None) to a sorted tuple of non-negative ints."""
    if dim is None:
        return None
    if isinstance(dim, int):
        return (_wrap_dim(dim, ndim),)
    out = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return out


# the overloads of a binary op that takes a Number on either side (xlogy, special.xlog1py)
BINARY_OVERLOADS = ("Tensor input, Tensor other, *, Tensor out = None",
                    "Number self, Tensor other, *, Tensor out = None",
                    "Tensor input, Number other, *, Tensor out = None")


def invalid_arguments(name: str, args, *overloads: str) -> TypeError:
    """torch's TypeError for arguments that fit none of an op's overloads, as its argument
    parser words it: `args` what was passed (a string, or values whose types are listed),
    `overloads` the signatures."""
    got = args if isinstance(args, str) else ", ".join(type(a).__name__ for a in args)
    lines = "".join(f" * ({o})\n" for o in overloads)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{lines}")


def _make_return_type(name: str, fields: tuple[str, ...]):
    def __new__(cls, *values):
        return tuple.__new__(cls, values)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"

    attrs = {"__new__": __new__, "__repr__": __repr__, "__slots__": (), "_fields": fields}
    for i, f in enumerate(fields):
        attrs[f] = property(lambda self, i=i: self[i])
    return type(name, (tuple,), attrs)


_return_types: dict = {}


def return_type(name: str, fields=("values", "indices")):
    """torch.return_types.<name>: a tuple with named fields and torch's repr."""
    t = _return_types.get(name)
    if t is None:
        t = _return_types[name] = _make_return_type(name, tuple(fields))
    return t
