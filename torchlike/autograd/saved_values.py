"""grad_fn._saved_<name> / _raw_saved_<name>: what torch's nodes save, read off torchlike's.

torch's node classes each expose the values their backward formula saved: tensors (`_saved_self`,
`_saved_result`), sizes, dims, numbers. Which names a class has, and where each one lives in a
torchlike node (an operand, the result, a static argument, an operand's sizes...), is a table
generated from real torch by compat/gen_saved_names.py (_saved_names.py): SOURCES[(op, class)]
maps a name to a source spec:

  ("arg", i, users) / ("argT", i, users)  tensor operand i (transposed: the weight that F.linear's
                                           kernels take where torch saves weight.t())
  ("out", j, users)                        the result j
  ("num", i)                               Python-number operand i
  ("static", key, form)                    static argument `key` (form "tuple1": an int as (int,))
  ("sizes", i) / ("strides", i)            operand i's sizes / strides, as a tuple
  ("dtype", i)                             operand i's dtype

`users` lists the operand positions whose gradient needs the tensor: torch saves it only when one
of them requires grad (else the attribute is None). A name the class has but whose source is not
known for this op raises NotImplementedError; a name the class lacks, AttributeError (as torch).
torch keeps the raw value of a negative dim (-1 reads 18446744073709551615); torchlike's kernels
see normalized dims, so these read as the normalized dim.
"""
from __future__ import annotations

import math

import jax.numpy as jnp

from .. import _dtype as D

_table: dict = {}


def _load() -> dict:
    if not _table:
        from ._saved_names import NAMES, SOURCES
        _table["names"], _table["sources"] = NAMES, SOURCES
    return _table


def names_of(cls_name: str) -> list:
    """[(name, is_tensor), ...]: the saved names torch's class `cls_name` exposes."""
    entry = _load()["names"].get(cls_name)
    if entry is None:
        return []
    return [(w.rstrip("*"), w.endswith("*")) for w in entry.split()]


def attach(cls) -> None:
    """Give node class `cls` torch's `_saved_<name>` (and, for tensors, `_raw_saved_<name>`)
    attributes: properties, so that dir() lists them and other names stay AttributeErrors."""
    for name, is_tensor in names_of(cls.__name__):
        setattr(cls, "_saved_" + name, property(lambda self, n=name: value(self, n)))
        if is_tensor:
            setattr(cls, "_raw_saved_" + name, property(lambda self, n=name: raw(self, n)))


def source(node, name: str):
    """The source spec of `name` on `node`; NotImplementedError where it is not known."""
    spec = _load()["sources"].get(key_of(node), {}).get(name)
    if spec is None:
        raise NotImplementedError(
            f"torchlike: {type(node).__name__}._saved_{name} is not implemented (torchlike does "
            f"not know where its op '{node.kernel.op.name}' keeps this saved value)")
    return spec


def pack_order(node) -> tuple:
    """The names of the tensors torch saves for `node`, in the order it packs them (those its
    diff needs); None where the table does not know the op."""
    entry = _load()["sources"].get(key_of(node))
    if entry is None or "#pack" not in entry:
        return None
    return tuple(n for n in entry["#pack"] if is_saved(node, entry[n]))


def unpack_order(node) -> tuple:
    return _load()["sources"].get(key_of(node), {}).get("#unpack", ())


def is_tensor_spec(spec) -> bool:
    return spec[0] in ("arg", "argT", "out", "numT")


def is_saved(node, spec) -> bool:
    """Whether torch saved this tensor: some operand among its users needs a gradient."""
    users = spec[2]
    return any(i in users for i in node.diff)


def value(node, name: str):
    """node._saved_<name>, as torch gives it."""
    raw_entries = getattr(node, "_raw", None)
    st = raw_entries.get(name) if raw_entries else None
    if st is not None and st._unpack is not None:
        return st.unpack()
    spec = source(node, name)
    if not is_tensor_spec(spec):
        v = _plain(node, spec, name)
        if v is _NO:
            raise NotImplementedError(f"torchlike: {type(node).__name__}._saved_{name} for "
                                      "these arguments is not implemented")
        return v
    if not is_saved(node, spec):
        return None
    return saved_tensor(node, spec)


def raw(node, name: str):
    """node._raw_saved_<name>: the same SavedTensor object on every access."""
    from .saved_tensors import SavedTensor
    entries = getattr(node, "_raw", None)
    if entries is None:
        entries = node._raw = {}
    st = entries.get(name)
    if st is None:
        spec = source(node, name)
        st = entries[name] = SavedTensor(node, name, spec)
    return st


def saved_tensor(node, spec):
    """The saved tensor itself: the operand Tensor (the very object torch returns for an input)
    or a fresh tensor of the result, whose grad_fn is the node."""
    from .._tensor import _wrap
    from .graph import _FREED
    if node._freed or node._hollow or node.inputs is None:
        raise RuntimeError(_FREED)
    kind, i = spec[0], spec[1]
    if kind == "numT":  # a Python number: torch saved it as a wrapped 0-d tensor
        v = node.args[i]
        return _wrap(jnp.asarray(v, _WRAPPED[type(v)]))
    _check_version(node, None if kind == "out" else node.inputs[i])
    if kind == "arg":
        return node.inputs[i]
    if kind == "argT":
        return node.inputs[i].t()
    out = _outputs(node)[i]
    t = _wrap(out)
    if out.dtype.kind in "fcV":  # an integer result (indices) has no grad_fn
        t._grad_fn, t._output_nr, t._rg = node, i, True
    return t


_WRAPPED = {bool: jnp.bool_, int: jnp.int64, float: jnp.float64, complex: jnp.complex128}


def _outputs(node) -> tuple:
    """The node's results, computed again from its operands (the kernel is deterministic)."""
    out = node.kernel.jit(*node.args)
    return (out,) if node.kernel.op.nout == 1 else tuple(out)


def _check_version(node, t) -> None:
    """torch's error for a saved tensor changed in place since it was saved."""
    from .graph import _modified
    for vc, version, owner in node.saved_versions or ():
        if owner is t and vc[0] != version:
            raise RuntimeError(_modified(node, vc[0], version, owner))


_REDUCTION = {"none": 0, "mean": 1, "sum": 2}  # torch's at::Reduction enum


def _plain(node, spec, name=""):
    """A saved size, dim or number."""
    kind, args = spec[0], node.args
    if kind in _FROM_ARGS and (args is None or kind.startswith("strides") and not node.inputs):
        raise NotImplementedError(
            f"torchlike: {type(node).__name__}._saved_{name} after backward (torch keeps it; "
            "torchlike frees the operands it is read from)")
    if kind == "num":
        v = args[spec[1]]
        return float(v) if spec[2] == "float" and v is not None else v
    if kind == "static":
        v, form = dict(node.kernel.key[2])[spec[1]], spec[2]
        if form == "tuple1":
            return (v,)
        if form == "tuple":
            return tuple(v)
        if form == "first":
            return v[0] if isinstance(v, tuple) and len(v) == 1 else _NO
        if form == "reduction":
            return _REDUCTION.get(v, _NO)
        return v
    if kind == "const":
        return spec[1]
    if kind == "none":
        return None
    if kind in ("sizes", "sizesT"):
        shape = tuple(args[spec[1]].shape)
        return shape if kind == "sizes" else shape[::-1]
    if kind == "numel":
        return math.prod(args[spec[1]].shape)
    if kind == "dtype":
        return D.from_np(args[spec[1]].dtype)
    if kind in ("strides", "stridesT"):
        strides = tuple(node.inputs[spec[1]].stride())
        return strides if kind == "strides" else strides[::-1]
    if kind == "basic":
        return _basic_index(node, spec[1])
    raise AssertionError(spec)


_NO = object()  # a form that does not apply to the value
_FROM_ARGS = ("num", "sizes", "sizesT", "numel", "dtype", "strides", "stridesT", "basic")


def _basic_index(node, what):
    """select's / slice's dim and slice's end, from basic_index's spec of one index entry
    (operand 1 is the start or the index)."""
    entries = [e for e in dict(node.kernel.key[2])["spec"] if e != (":",)]
    if len(entries) != 1:
        return _NO
    spec = dict(node.kernel.key[2])["spec"]
    dim = spec.index(entries[0])
    if what == "dim":
        return dim
    if entries[0][0] != "s":
        return _NO
    _, n, step = entries[0]
    return node.args[1] + n * step


def candidates(node) -> tuple:
    """Every source spec that could describe a saved value of `node`, most specific first
    (compat/gen_saved_names.py keeps the first that gives torch's value on every sample):
    (tensor specs, other specs)."""
    k = node.kernel
    tensors = [("arg", i) for i in k.tensor_pos]
    tensors += [("out", j) for j in range(len(node.out_meta))]
    tensors += [("argT", i) for i in k.tensor_pos if node.args[i].ndim == 2]
    tensors += [("numT", i) for i, ch in enumerate(k.pattern) if ch in "bifc"]
    forms = ("", "tuple1", "tuple", "first", "reduction")
    statics = [("static", key, form) for key, _ in k.key[2] for form in forms]
    numbers = [i for i, ch in enumerate(k.pattern) if ch in "bifcn"]
    plain = [("num", i, form) for form in ("", "float") for i in numbers] + statics
    plain += [(kind, i) for kind in ("sizes", "numel", "strides", "sizesT", "stridesT", "dtype")
              for i in k.tensor_pos]
    if k.op.name == "basic_index":
        plain += [("basic", "dim"), ("basic", "end")]
    plain += [("none",), ("const", 1)]
    return tensors, plain


def key_of(node) -> tuple:
    """SOURCES's key: the op, the class, and which operands are tensors ("t") or not ("s")."""
    pattern = "".join(["t" if ch == "t" else "s" for ch in node.kernel.pattern])
    return (node.kernel.op.name, type(node).__name__, pattern)
