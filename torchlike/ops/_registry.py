"""THE TABLE: every torch op is one `Op` entry, and `run` is the one path every call takes.

An entry holds the op's jax body (pure, one to three lines of jnp/lax), the grad_fn name
PyTorch reports, and its dtype rule. `run` computes torch's result dtype, fetches a jitted
kernel cached by (op, operand kinds, static arguments, dtypes), calls it and, when autograd is
on, records a graph node. Python numbers are kernel *arguments*, never baked-in constants.
"""
from __future__ import annotations

import threading

import jax
import jax.numpy as jnp
import numpy as np
try:  # the class of concrete jax arrays (not tracers, not meta stand-ins)
    from jax._src.array import ArrayImpl as _ArrayImpl
except ImportError:  # another jax: no host path (see _cold_run)
    _ArrayImpl = None

from .. import _device
from .. import _dtype as D
from .. import _storage
from .._compile import jit
from .._meta import Meta, device_error, evaluate
from .._meta import kernel_twin as _meta_twin
from .._tensor import Tensor, _check_inplace, _differentiable_view, _wrap
from ..autograd import grad_mode
from ..autograd.graph import node_class
from ..autograd import saved_tensors as _saved_tensors
from ..autograd.saved_tensors import hooks_on as _hooks_on

OPS: dict[str, "Op"] = {}


class Op:
    """One table entry."""

    __slots__ = ("name", "body", "grad_fn", "rule", "promote", "nout", "saves", "edges", "view",
                 "opmath", "host", "elementwise")

    def __init__(self, name, body, grad_fn, rule, promote, nout, saves, edges, view=False,
                 opmath=False, host=False, elementwise=False):
        self.name = name
        self.body = body
        self.grad_fn = grad_fn    # str, callable(statics, pattern) -> str, or None
        self.rule = rule          # callable(op, operands, statics) -> (compute, result)
        self.promote = promote    # operand positions that take part in promotion (None: all)
        self.nout = nout
        self.saves = saves        # what torch saves for backward: True (the tensor operands),
        #                           callable(diff) -> the operand positions it saves,
        #                           "out" (the result), False (nothing): decides the "second
        #                           backward" and "modified by an inplace operation" errors
        self.edges = edges        # "tensors": one next_functions edge per tensor operand;
        #                           n: the first n operands all get one ((None, 0) if a number)
        #                           (i, j, ...): exactly the operands at those positions
        #                           (index, mask and target operands are not among them)
        #                           callable(pattern): one of the above per operand pattern
        self.view = view          # the result is a view of operand 0 in torch (shares storage)
        self.opmath = opmath      # Python numbers stay float32 for float16/bfloat16 tensors
        #                           (torch's kernel reads them at full float precision)
        self.host = host          # the body takes `xp=np` to run in numpy on the host, where
        #                           its result has the compiled kernel's bits (it moves data,
        #                           or is one correctly rounded IEEE operation): cold shapes
        #                           skip compiling (see _cold_run)
        self.elementwise = elementwise  # each element of the result is computed from the
        #                           same element of operand 0 (the others are numbers) the
        #                           same way whatever the shape: cold shapes run padded to a
        #                           bucket (see _cold_run)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def op(name: str, grad_fn=None, dtypes="promote", promote=None, nout=1, saves=True,
       edges="tensors", view=False, opmath=False, host=False, elementwise=False):
    """Register the decorated jax body as op `name`; returns the Op."""
    rule = _RULES[dtypes] if isinstance(dtypes, str) else dtypes

    def deco(body):
        entry = OPS[name] = Op(name, body, grad_fn, rule, promote, nout, saves, edges, view,
                               opmath, host, elementwise)
        return entry
    return deco


def in_float(body):
    """body computed in float32 for float16/bfloat16 operands, rounded once at the end (as
    torch's reduced-precision kernels do)."""
    def f(*xs):
        if xs[0].dtype in (jnp.float16, jnp.bfloat16):
            return body(*[x.astype(jnp.float32) for x in xs]).astype(xs[0].dtype)
        return body(*xs)
    return f


# ---- dtype rules -------------------------------------------------------------------------
def promoted(operands, positions=None) -> D.dtype:
    """torch.result_type over the operands (Tensors and Python numbers; None is skipped)."""
    if positions is None and len(operands) <= 2 and isinstance(operands[0], Tensor):
        # Fast path for the common cases: one tensor, two of one dtype, tensor with a number
        # of no higher category.
        da = operands[0]._data.dtype
        if len(operands) == 1:
            return D._BY_NP[da]
        b = operands[1]
        if isinstance(b, Tensor):
            if b._data.dtype == da:
                return D._BY_NP[da]
        elif (isinstance(b, float) and da.kind in "fc") or (
                isinstance(b, int) and da.kind in "fciu"):
            return D._BY_NP[da]
    dims, zero, scal = [], [], []
    for i, o in enumerate(operands):
        if positions is not None and i not in positions:
            continue
        if isinstance(o, Tensor):
            (dims if o._data.ndim else zero).append(o.dtype)
        elif o is not None:
            scal.append(D.scalar_dtype(o))
    return D.result_type_of(dims, zero, scal)


def _promote(op, operands, statics):
    r = promoted(operands, op.promote)
    return r, r


def _float(op, operands, statics):
    r = promoted(operands, op.promote)
    if r.kind in "biu":
        r = D.get_default_dtype()
    return r, r


def _compare(op, operands, statics):
    return promoted(operands, op.promote), D.bool


def _same(op, operands, statics):
    return None, next(o for o in operands if isinstance(o, Tensor)).dtype


def _to_bool(op, operands, statics):
    return None, D.bool


def _long(op, operands, statics):
    return None, D.int64


def _real(op, operands, statics):
    """A real result of operand 0's precision (abs, svdvals of a complex tensor)."""
    return None, operands[0].dtype.to_real()


_RULES = {"real": _real, "promote": _promote, "float": _float, "compare": _compare, "same": _same,
          "bool": _to_bool, "long": _long}


# ---- kernels -----------------------------------------------------------------------------
_KIND = {bool: "b", int: "i", float: "f", complex: "c", type(None): "n"}


class Kernel:
    """A compiled form of one op for one operand pattern, static arguments and dtypes."""

    __slots__ = ("op", "key", "pattern", "fn", "jit", "edge_pos", "_vjps", "_edge_idx",
                 "_donating", "scalar_pos", "node_cls", "tensor_pos", "float_pos", "int_pos",
                 "complex_pos", "tensor_edge_pos", "_saved", "number_pos", "cold", "host_fn",
                 "hot", "retired")

    def __init__(self, op, key, pattern, fn, host_fn=None):
        self.op, self.key, self.pattern, self.fn = op, key, pattern, fn
        # keep_unused: a kernel must refuse a meta operand (a ShapeDtypeStruct) even when it
        # reads only its shape (zeros_like), or it would compute a real result for it
        self.jit = jit(self._rearming(fn), keep_unused=True)
        e = op.edges
        if callable(e):
            e = e(pattern)
        if isinstance(e, tuple):
            self.edge_pos = tuple(i for i in e if i < len(pattern))
        else:
            n = e if isinstance(e, int) else 0
            self.edge_pos = tuple(i for i, ch in enumerate(pattern) if ch == "t" or i < n)
        self._vjps = {}
        self._edge_idx = {}
        self._saved = {}
        self._donating = None
        self.scalar_pos = tuple(i for i, ch in enumerate(pattern) if ch in "bif")
        self.tensor_edge_pos = tuple(i for i in self.edge_pos if pattern[i] == "t")
        self.tensor_pos, self.float_pos, self.int_pos, self.complex_pos = (
            tuple(i for i, ch in enumerate(pattern) if ch in kinds)
            for kinds in ("t", "f", "bi", "c"))
        self.number_pos = self.float_pos + self.int_pos
        # shapes met fewer than HOT_AFTER times run on the host or padded (see _cold_run)
        self.cold = {} if (host_fn is not None or op.elementwise and op.nout == 1 and
                           pattern[:1] == "t" and pattern.count("t") == 1) and _host_ok() \
            else None
        self.host_fn = host_fn
        self.hot = 0             # hot calls in a row (see _cold_run)
        self.retired = False
        g = op.grad_fn  # the grad_fn name depends only on what the key holds
        name = g if g is None or isinstance(g, str) else g(key[2], pattern)
        self.node_cls = None if name is None else node_class(name)

    def _rearming(self, fn):
        """fn, which JAX calls only to trace a new shape: a retired kernel meeting one looks
        for cold shapes again (see _cold_run)."""
        def traced(*xs):
            if self.retired:
                self.cold, self.retired = {}, False
            return fn(*xs)
        traced.__name__ = fn.__name__
        return traced

    def saved_pos(self, diff):
        """Positions of the tensor operands torch saves for backward (None: none, or only the
        result), for the operands at positions `diff` needing gradients."""
        r = self._saved.get(diff, False)
        if r is False:
            saves = self.op.saves
            if saves is True:
                r = self.tensor_pos
            elif callable(saves):
                r = tuple(i for i in saves(diff) if self.pattern[i] == "t")
            else:
                r = None
            self._saved[diff] = r
        return r

    def donating(self):
        """The kernel jitted to reuse operand 0's buffer for its result (in-place writes)."""
        if self._donating is None:
            self._donating = jit(self.fn, donate_argnums=0, keep_unused=True)
        return self._donating

    def edge_index(self, diff):
        """Indices into next_functions of the operands at positions `diff`."""
        r = self._edge_idx.get(diff)
        if r is None:
            r = self._edge_idx[diff] = tuple(self.edge_pos.index(d) for d in diff)
        return r

    def vjp_fn(self, diff):
        """Pure fn(args, cts) -> grads of the operands at positions `diff` (cts: float outs)."""
        fn, nout = self.fn, self.op.nout

        def vjp(args, cts):
            def f(*d):
                full = list(args)
                for i, v in zip(diff, d):
                    full[i] = v
                out = fn(*full)
                return _float_outputs(out) if nout != 1 else out
            # torch's complex gradients are the conjugates of jax's: conjugate on the way in
            # and out (a no-op for real dtypes), so chained kernels compose either way
            _, pullback = jax.vjp(f, *[args[i] for i in diff])
            cts = tuple(_conj(c) for c in cts)
            return tuple(_conj(g) for g in pullback(cts if nout != 1 else cts[0]))
        return vjp

    def vjp_jit(self, diff):
        j = self._vjps.get(diff)
        if j is None:
            j = self._vjps[diff] = jit(self.vjp_fn(diff))
        return j


def _conj(x):
    return jnp.conj(x) if jnp.iscomplexobj(x) else x


def _float_outputs(outs):
    return tuple(o for o in outs if jnp.issubdtype(o.dtype, jnp.inexact))


_kernels: dict = {}


def kernel(op: Op, pattern: str, statics: tuple, compute, result) -> Kernel:
    key = (op, pattern, statics, compute, result)  # the Op itself: names may repeat
    k = _kernels.get(key)
    if k is None:
        # complex arithmetic is not one IEEE operation (XLA contracts its products); moving
        # complex data is
        host = op.host and not (compute is not None and compute.is_complex)
        k = _kernels[key] = Kernel(op, key, pattern, _build(op, pattern, statics, compute, result),
                                   _build(op, pattern, statics, compute, result, np) if host
                                   else None)
    return k


def _build(op, pattern, statics, compute, result, xp=jnp):
    """The pure function for a kernel: cast operands as torch would, run the body, cast back;
    with xp=np, the same in numpy (the host path)."""
    kw = dict(statics)
    if xp is np:
        kw["xp"] = np
    body = op.body
    casts = []
    for i, ch in enumerate(pattern):
        if ch == "t":
            if compute is not None and (op.promote is None or i in op.promote):
                casts.append((i, compute.np))
        elif ch != "n":
            # Python numbers: to the computation dtype (torch's wrapped-number rule).
            target = compute if compute is not None else _SCALAR_DEFAULT[ch]()
            if op.opmath and target in (D.float16, D.bfloat16):
                target = D.float32
            casts.append((i, target.np))
    out_np = result.np if (result is not None and op.nout == 1) else None

    def fn(*xs):
        if casts:
            xs = list(xs)
            for i, dt in casts:
                xs[i] = xp.asarray(xs[i], dtype=dt)
        out = body(*xs, **kw)
        if out_np is not None and out.dtype != out_np:
            out = out.astype(out_np)
        return out
    fn.__name__ = op.name
    return fn


_SCALAR_DEFAULT = {"b": lambda: D.bool, "i": lambda: D.int64, "f": D.get_default_dtype,
                   "c": lambda: D.complex128}


# ---- the one path ------------------------------------------------------------------------
class _Autocast(threading.local):
    """torchlike.amp's hook, per thread: while CPU autocast is on in a thread, `cast(op,
    operands)` gives the operands of a table op on autocast's lists cast as torch would
    (torchlike.amp._lists); None otherwise, which is all run() checks."""

    cast = None


autocast = _Autocast()


def run(op: Op, operands: tuple, statics: tuple = (), donate: bool = False):
    """Run `op` on operands (Tensors, Python numbers, None) with hashable static arguments.
    donate: operand 0's array may be consumed (the caller owns it and overwrites it next)."""
    if autocast.cast is not None:
        operands = autocast.cast(op, operands)
    k, operands = resolve(op, operands, statics)
    return execute(op, k, operands, donate)


def resolve(op: Op, operands: tuple, statics: tuple = ()):
    """The kernel for these operands (torch's dtype rule, then the cache), and the operands
    with numpy scalars made Python numbers."""
    try:
        pattern = "".join(["t" if isinstance(o, Tensor) else _KIND[type(o)] for o in operands])
    except KeyError:  # numpy scalars: torch takes them as Python numbers
        operands = tuple([D.as_number(o) if isinstance(o, np.generic) else o for o in operands])
        pattern = "".join(["t" if isinstance(o, Tensor) else _KIND[type(o)] for o in operands])
    compute, result = op.rule(op, operands, statics)
    k = _kernels.get((op, pattern, statics, compute, result))
    if k is None:
        k = kernel(op, pattern, statics, compute, result)
    return k, operands


def binary(op: Op, cache: dict, a, b, kinds: str):
    """run(op, (a, b)) for the common operands, with the kernel looked up by dtypes alone: a
    tensor `a` and a tensor or Python int/float `b`, of dtype kinds in `kinds`. None for any
    other operands (the caller takes its checked path)."""
    c = b.__class__
    d = a._data.dtype
    if d.kind not in kinds:
        return None
    if c is int or c is float:
        key = (d, c, D._default[0])
    elif c is Tensor:
        e = b._data.dtype
        if e.kind not in kinds:
            return None
        key = (d, D._default[0]) if d == e else (d, e, a._data.ndim, b._data.ndim,
                                                  D._default[0])
    else:
        return None
    k = cache.get(key)
    if k is None:
        k = cache[key] = resolve(op, (a, b))[0]
    # execute(), specialised: one output, no view, operand b a tensor or a number
    x = a._data
    if c is Tensor:
        y = arg = b._data
    else:
        arg = b
        y = _SCALARS.get((c, b))
        if y is None:
            y = _device_scalar(b)
    try:
        if k.cold is None or (out := _cold_run(k, (x, y))) is None:
            out = k.jit(x, y)
    except (ValueError, TypeError) as e:
        out = _refused(op, k, (a, b), (x, y), e)
        k = _meta_twin(k)
    res = _wrap(out)
    if op.grad_fn is not None and grad_mode._modes.grad and (a._rg or c is Tensor and b._rg):
        operands = (a, b)
        diff = tuple([i for i in k.tensor_edge_pos if operands[i]._rg])
        if diff:
            _record(op, k, operands, [x, arg], diff, (res,))
    return res


def execute(op: Op, k: Kernel, operands: tuple, donate: bool = False):
    """Call kernel `k` of `op` on the operands; link views; record the graph node."""
    args = [o._data if isinstance(o, Tensor) else o for o in operands]
    call = args
    if k.scalar_pos:
        call = args.copy()
        for i in k.scalar_pos:
            v = call[i]
            a = _SCALARS.get((type(v), v))
            call[i] = a if a is not None else _device_scalar(v)
    try:
        if k.cold is not None and (out := _cold_run(k, call)) is not None:
            pass
        elif donate:
            out = k.donating()(*call)
        else:
            out = k.jit(*call)
    except (ValueError, TypeError) as e:
        out = _refused(op, k, operands, call, e)
        k = _meta_twin(k)
    if op.nout == 1:
        res = _wrap(out)
        outs = (res,)
    else:
        outs = res = tuple([_wrap(o) for o in out])
    if op.view:
        # the view keeps the op's other arguments, not the base's array of the moment (that
        # would keep it alive and stop writes from updating the base's buffer in place)
        rest = (None, *args[1:])
        for j, t in enumerate(outs):
            _storage.link(operands[0], t, (k, rest, j))
    if op.grad_fn is not None and grad_mode._modes.grad:
        # only operands with an edge get gradients (not index, mask or target operands)
        diff = tuple([i for i in k.tensor_edge_pos if operands[i]._rg])
        if diff:
            _record(op, k, operands, args, diff, outs)
    return res


# ---- cold shapes: on the host, or padded to a bucket --------------------------------------
# XLA compiles a program per (op, shape): ~20-40 ms, where running one takes ~5-10 us. A shape a
# kernel has met fewer than HOT_AFTER times does not compile a program of its own:
# - ops whose body moves data or is one correctly rounded IEEE operation (Op.host) run their body
#   in numpy, which gives the compiled kernel's bits, in ~10-25 us (the copy back to XLA is
#   _device.upload's, ~3 us);
# - elementwise ops (Op.elementwise) run their compiled kernel on the operand's elements padded
#   with zeros to the next power of two, and the result is cut back: one program per bucket,
#   not per shape; XLA computes each element the same way whatever the array's size
#   (tests/test_cold_paths.py checks this bit for bit against the exact-shape kernel, for every
#   such op). Row-wise padding (F.linear's rows, softmax's or layer_norm's rows) is not exact:
#   XLA picks its dot and reduction strategies by size, so some lengths give other bits.
# Shapes met a few dozen times (a test, a generation loop whose length grows, the first
# iterations of training) never compile; a training loop compiles once its shapes have repeated.
# CPU only (the arrays are read in place; on an accelerator the copies would cross the bus). The
# one difference: subnormal results, which numpy keeps (as torch does) and XLA's CPU runtime
# flushes to zero.
HOT_AFTER = 64
RETIRE_AFTER = 256  # hot calls in a row after which a kernel no longer checks (~0.4 us a call)
_HOST_OK: list = []


def _host_ok() -> bool:
    if not _HOST_OK:
        _HOST_OK.append(_ArrayImpl is not None and jax.default_backend() == "cpu")
    return _HOST_OK[0]


def _cold_run(k: Kernel, args):
    """The kernel's result for a cold shape (see above), or None: a shape met HOT_AFTER times
    (the compiled kernel runs), or operands that are not CPU arrays (meta tensors)."""
    sig = []
    for a in args:
        c = a.__class__
        if c is _ArrayImpl:
            sig.append(a.shape)
        elif c is not float and c is not int and c is not bool and a is not None:
            return None
    sig = tuple(sig)
    cold = k.cold
    n = cold.get(sig, 0)
    if n >= HOT_AFTER:
        k.hot += 1
        if k.hot >= RETIRE_AFTER:  # only hot shapes for a while: stop looking (a new shape
            k.cold, k.retired = None, True  # compiles, and the kernel looks again)
        return None
    k.hot = 0
    if len(cold) > 4096:  # a kernel meeting endless new shapes: forget the old ones
        cold.clear()
    cold[sig] = n + 1
    try:
        if k.host_fn is None:
            return _padded_run(k, args)
        with np.errstate(all="ignore"):  # (inf, nan and overflow as the compiled kernel's)
            out = k.host_fn(*[np.asarray(a) if a.__class__ is _ArrayImpl else a
                              for a in args])
    except Exception:  # what numpy refuses (0-d axes jax takes): the compiled kernel decides
        cold[sig] = HOT_AFTER
        return None
    if k.op.nout == 1:
        return _device.upload(np.array(out))  # a copy of its own (upload may keep it)
    return tuple([_device.upload(np.array(o)) for o in out])


def _padded_run(k: Kernel, args):
    """The kernel on operand 0's elements padded with zeros to a power of two, the result cut
    back to the operand's shape; None for an empty operand."""
    x = args[0]
    n = x.size
    if n == 0:
        return None
    size = 1 << (n - 1).bit_length()
    padded = np.zeros(size, x.dtype)
    padded[:n] = np.asarray(x).reshape(-1)
    out = np.asarray(k.jit(_device.upload(padded), *args[1:]))[:n]
    return _device.upload(np.array(out.reshape(x.shape)))


_SCALARS: dict = {}


def _device_scalar(v):
    """A Python number as a cached 0-d device array: jax converts a Python scalar argument on
    every call (~1 us). Only values with one representation are cached (not nan, not +-0.0);
    kernels cast numbers to the computation dtype either way."""
    a = _SCALARS.get((type(v), v))
    if a is None:
        if type(v) is float and (v != v or v == 0.0):
            return v
        if len(_SCALARS) > 4096:
            _SCALARS.clear()
        a = _SCALARS[(type(v), v)] = jnp.asarray(v)
    return a


def _refused(op, k, operands, call, e):
    """The kernel refused its arguments. A meta operand (a jax.ShapeDtypeStruct, which no
    jitted kernel takes) makes that the meta device's path: the results' shapes and dtypes
    from jax.eval_shape of the same kernel. Otherwise: torch's error."""
    if any(isinstance(o, Tensor) and o._data.__class__ is Meta for o in operands):
        mixed = device_error(operands, k.tensor_edge_pos or k.tensor_pos)
        if mixed is not None:
            raise mixed from None
        try:
            return evaluate(k.jit, call)
        except (ValueError, TypeError) as again:
            e = again
    raise _translate(op, operands, e) from None


def _translate(op, operands, e) -> Exception:
    """jax's shape errors, reworded as torch's (RuntimeError naming sizes and dimension)."""
    shapes = [o._data.shape for o in operands if isinstance(o, Tensor)]
    if "broadcast" in str(e) and len(shapes) >= 2:
        for a, b in [(shapes[i], shapes[j]) for i in range(len(shapes))
                     for j in range(i + 1, len(shapes))]:
            for d in range(1, min(len(a), len(b)) + 1):
                if a[-d] != b[-d] and a[-d] != 1 and b[-d] != 1:
                    return RuntimeError(f"The size of tensor a ({a[-d]}) must match the size "
                                        f"of tensor b ({b[-d]}) at non-singleton dimension "
                                        f"{max(len(a), len(b)) - d}")
    dtypes = [str(o.dtype) for o in operands if isinstance(o, Tensor)]
    return RuntimeError(f"{op.name}(): {e} (input shapes {shapes}, dtypes {dtypes})")


_NO_EDGE = (None, 0)


def _record(op, k, operands, args, diff, outs):
    edges = []
    for i in k.edge_pos:
        o = operands[i]
        if isinstance(o, Tensor) and o._rg:
            fn = o._grad_fn
            edges.append((fn, o._output_nr) if fn is not None else o._edge())
        else:
            edges.append(_NO_EDGE)
    if len(outs) == 1:
        t = outs[0]
        d = t._data
        dt = d.dtype
        node = k.node_cls(k, args, operands, diff, tuple(edges), ((d.shape, dt),))
        if dt.kind in "fcV":  # floating / complex (bfloat16 shows as 'V')
            t._grad_fn = node
            t._output_nr = 0
            t._rg = True
    else:
        meta = tuple([(t._data.shape, t._data.dtype) for t in outs])
        node = k.node_cls(k, args, operands, diff, tuple(edges), meta)
        for j, (t, (_, dt)) in enumerate(zip(outs, meta)):
            if dt.kind in "fcV":
                t._grad_fn = node
                t._output_nr = j
                t._rg = True
    saved = k._saved.get(diff, False)
    if saved is False:
        saved = k.saved_pos(diff)
    if saved:
        node.saved_versions = tuple([(o._vc, o._vc[0], o) for o in [operands[i] for i in saved]])
    elif saved is not None:
        node.saved_versions = ()
    elif op.saves == "out":
        node.saved_versions = ((outs[0]._vc, outs[0]._vc[0], None),)
    if _hooks_on:  # a saved_tensors_hooks context is active (some thread)
        _saved_tensors.pack(node, operands, outs)


def inplace(self, result, c_name: bool = False) -> "Tensor":
    """Write a functional result back into `self`, as torch's in-place variants do (`c_name`:
    a failed cast names self's type as C++ does)."""
    _check_inplace(self, result, c_name)
    if grad_mode._modes.grad and (result._rg or (self._base is not None and self._base._rg)) \
            and _differentiable_view(self):
        return _inplace_on_view(self, result)
    data = result._data
    if data.dtype != self._data.dtype:
        data = data.astype(self._data.dtype) if data.__class__ is not Meta else \
            Meta(data.shape, self._data.dtype)
    self._set_data(data)
    node = result._grad_fn
    if node is not None:
        self._grad_fn, self._output_nr, self._rg = node, result._output_nr, True
        _own_write(node, self._vc)
        if self._views:
            _rebase_views(self)
    return self


def _own_write(node, vc) -> None:
    """The node of a write holds the written tensor's value from before it (arrays are
    immutable), like torch's saved copy of an in-place op's original input: later writes
    don't invalidate it."""
    if node is not None and node.saved_versions:
        node.saved_versions = tuple([e for e in node.saved_versions if e[0] is not vc])


# torch rebases the base's history when a view of it is written under autograd: the base's
# grad_fn becomes CopySlices (new values scattered at the view's positions), and the view's
# AsStridedBackward0 (its elements read back from the new base).
_copy_slices = op("copy_slices", "CopySlices", dtypes="same", promote=(), saves=False)(
    lambda base, vals, idx: base.reshape(-1).at[idx.reshape(-1)].set(
        vals.reshape(-1).astype(base.dtype)).reshape(base.shape))
_as_strided = op("as_strided_view", "AsStridedBackward0", dtypes="same", saves=False)(
    lambda base, idx: base.reshape(-1)[idx])


def _no_component(v) -> None:
    if _storage.anchor(v) is not None:
        raise NotImplementedError("torchlike: an in-place op under autograd on a tensor that has "
                                  "a live view through real/imag/view_as_real/view_as_complex/"
                                  "conj/view(dtype) is not supported")


def _inplace_on_view(view, result) -> "Tensor":
    _no_component(view)
    base = view._base
    idx = _index_map(view)
    if result._data.dtype != view._data.dtype:
        result = result.to(view.dtype)
    _own_write(result._grad_fn, view._vc)
    new_base = run(_copy_slices, (base, result, idx))
    base._set_data(new_base._data)
    base._grad_fn, base._output_nr, base._rg = new_base._grad_fn, 0, True
    _rebase_views(base)
    return view


def _index_map(v) -> Tensor:
    """v's flat positions in its base, as a tensor (a meta one for a meta base: no values)."""
    if v._base._data.__class__ is Meta:
        return _wrap(Meta(v._data.shape, np.dtype(np.int64)))
    return _wrap(_storage.index_map(v))


def _rebase_views(base) -> None:
    """After base's history changed, its live views read their elements from the new base
    (torch regenerates their grad_fn as AsStridedBackward0)."""
    for r in base._views:
        v = r()
        if v is not None and _differentiable_view(v):
            _no_component(v)
            fresh = run(_as_strided, (base, _index_map(v)))
            v._grad_fn, v._output_nr, v._rg = fresh._grad_fn, 0, True


# ---- create_graph: a node's vjp as a recorded op, so gradients can be differentiated ------
_vjp_ops: dict = {}


def _no_cast(op, operands, statics):
    return None, None


def vjp_op(node, grads) -> list:
    """Gradients of one node's operands, computed as an op that autograd records."""
    k, diff = node.kernel, node.diff
    o = _vjp_ops.get((k, diff))
    if o is None:
        n, f = len(k.pattern), k.vjp_fn(diff)

        def body(*xs):
            return tuple(f(list(xs[:n]), list(xs[n:])))
        o = _vjp_ops[(k, diff)] = Op(k.op.name + "_vjp", body, type(node).__name__, _no_cast,
                                     None, -1, True, "tensors")  # nout -1: returns a tuple
    cts = [g if g is not None else _wrap(jnp.zeros(shape, dt))
           for g, (shape, dt) in zip(grads, node.out_meta)
           if jnp.issubdtype(dt, jnp.inexact)]
    if node.inputs is None:  # released: the operands' values never reach a hollow node's
        #                      gradients
        inputs = [_wrap(a) if isinstance(a, jax.Array) else a for a in node.live_args()]
    else:
        inputs = node.operands()
    return list(run(o, tuple(inputs) + tuple(cts)))
