"""Write torchlike/autograd/_saved_names.py: the `_saved_<name>` attributes of torch's grad_fn
classes, and where each one lives in torchlike's nodes, read from the installed torch (the
oracle). Run `.venv/bin/python compat/gen_saved_names.py`; `--check` only says whether the file
is up to date; `-v` reports the samples and names left without a source.

NAMES: every class of torch._C._functions that saves something, with its names (a tensor's
marked "*": torch also exposes it as `_raw_saved_<name>`).
SOURCES: for each (torchlike op, grad_fn class) that a SAMPLE below produces, each name's source
in torchlike's node (torchlike/autograd/saved_values.py describes the specs), found by running
the sample under both libraries and keeping the first candidate source that gives torch's
value on every run of every sample: all float inputs requiring grad, then each alone (which
tells on which inputs' gradients a saved tensor depends: torch saves it only for those). Also
"#pack" / "#unpack": the order torch's saved_tensors_hooks see the tensors in.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import torchlike  # noqa: E402
from torchlike.autograd import saved_values  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "torchlike", "autograd", "_saved_names.py")

_rng = np.random.default_rng(0)


def _f(*shape, lo=-1.0, hi=1.0):
    return _rng.uniform(lo, hi, shape).astype(np.float32)


# inputs by name: distinct shapes where possible, so that sizes tell operands apart
INPUTS = {
    "a": _f(2, 3), "b": _f(2, 3), "p": _f(2, 3, lo=0.5, hi=2.0), "q": _f(2, 3, lo=0.5, hi=2.0),
    "c": _f(3, 4), "d": _f(2, 4), "m": _f(3, 3), "v": _f(3), "u": _f(4), "s": _f(2, 1),
    "bt1": _f(2, 2, 3), "bt2": _f(2, 3, 4), "bt3": _f(2, 2, 4), "w": _f(4, 3), "bl": _f(4),
    "img": _f(1, 2, 5, 5), "ker": _f(3, 2, 3, 3), "kb": _f(3), "seq": _f(2, 3, 5),
    "gw": _f(3), "gb": _f(3), "e": _f(5, 3), "k1": _f(3, 3, 2),
    "v3": _f(3), "bt4": _f(2, 3, 2), "src": _f(2, 2), "src1": _f(1, 3),
    "g4": _f(2, 4, 5), "gw4": _f(4), "gb4": _f(4),
    "r": _f(3, 3) + 3 * np.eye(3, dtype=np.float32),
    "idx": np.array([[0, 1, 0], [1, 0, 1]]), "i1": np.array([0, 2]), "tgt": np.array([0, 2]),
    "msk": np.array([[True, False, True], [False, True, False]]),
}

# Expressions over L (the library), F (L.nn.functional) and the inputs above; the node
# compared is the grad_fn of the result (its first element for tuples).
SAMPLES = """
a.sin()
a.cos()
a.tan()
a.exp()
a.exp2()
a.expm1()
p.log()
p.log2()
p.log10()
a.log1p()
p.sqrt()
p.rsqrt()
a.tanh()
a.sigmoid()
a.relu()
a.abs()
a.neg()
p.reciprocal()
a.asin()
a.acos()
a.atan()
a.sinh()
a.cosh()
a.asinh()
p.acosh()
a.atanh()
a.erf()
a.erfc()
a.erfinv()
a.sign()
a.floor()
a.ceil()
a.round()
a.trunc()
a.frac()
a.square()
a.lgamma()
p.digamma()
a.sinc()
a * b
a * 2.5
a / b
a / 2.5
a + b
a - b
L.add(a, b, alpha=2)
L.sub(a, b, alpha=3)
2.0 - a
a.pow(2)
a.pow(3.5)
p.pow(q)
L.pow(2.0, a)
L.atan2(a, b)
L.maximum(a, b)
L.minimum(a, b)
L.fmax(a, b)
L.fmin(a, b)
L.hypot(a, b)
L.remainder(a, 0.7)
L.fmod(a, 0.7)
L.lerp(a, b, 0.3)
L.lerp(a, b, p)
L.addcmul(a, b, p, value=0.5)
L.addcdiv(a, b, p, value=0.5)
L.xlogy(p, q)
L.copysign(a, b)
L.where(msk, a, b)
a.clamp(-0.5, 0.5)
a.clamp(min=-0.5)
a.clamp(b, q)
a.masked_fill(msk, 0.5)
a.sum()
a.sum(1)
a.sum(0, keepdim=True)
a.sum((0, 1))
a.mean()
a.mean(1)
a.mean(0, keepdim=True)
a.prod()
a.prod(1)
a.max()
a.min()
a.max(1)
a.min(0, keepdim=True)
a.amax(1)
a.amin(0)
a.var(1)
a.var()
a.std(1)
a.std(0, correction=0)
a.std(1, correction=0)
a.norm()
a.norm(dim=1)
L.linalg.vector_norm(a, 3.0, dim=1)
a.logsumexp(1)
a.cumsum(1)
a.cumprod(1)
a.softmax(1)
a.log_softmax(0)
L.cat([a, b], 1)
L.cat([a, d], 1)
L.stack([a, b], 0)
a.view(3, 2)
a.reshape(6)
a.t()
a.transpose(0, 1)
bt2.permute(2, 0, 1)
s.expand(2, 3)
s.squeeze(1)
a.unsqueeze(1)
a.flatten()
a.flip(1)
a.roll(2, 1)
a.repeat(2, 1)
a.narrow(1, 1, 2)
a.select(1, 2)
a[1]
a[:, 1:3]
a[0:1]
a[:, 2:]
bt2[:, :, 1:3]
bt2[1]
bt2[:, 2]
a[i1 - 1]
a[msk]
a.index_select(1, i1)
a.gather(1, idx)
a.split(1, 1)[1]
a.chunk(3, 1)[2]
a.unbind(1)[2]
a.diag()
m.diag()
m.tril()
m.triu(1)
m.trace()
a.clone()
a.double()
a.to(L.float64)
a.scatter(1, idx, b)
a.scatter_add(1, idx, b)
a.index_add(1, i1, src)
a.index_add(0, L.tensor([1]), src1, alpha=2.0)
a.index_fill(1, i1, 0.5)
a.masked_select(msk)
a.sort(1)[0]
a.topk(2, 1)[0]
a.kthvalue(2, 1)[0]
a.median()
a.cummax(1)[0]
c.unfold(1, 2, 3)
a.movedim(0, 1)
L.mm(a, c)
L.bmm(bt1, bt2)
L.matmul(a, c)
L.matmul(v, m)
L.mv(m, v)
L.dot(v, v3)
L.outer(v, u)
L.addmm(d, a, c)
L.addmm(d, a, c, beta=0.5, alpha=2)
L.addmv(v, m, v3, beta=0.5, alpha=2)
L.addbmm(m, bt4, bt1, beta=0.5, alpha=2)
L.baddbmm(bt3, bt1, bt2, beta=0.5, alpha=2)
L.addr(c, v, u, beta=0.5, alpha=2)
L.einsum("ij,jk->ik", a, c)
L.linalg.inv(r)
L.linalg.det(r)
L.logdet(r)
L.linalg.slogdet(r)[1]
L.linalg.solve(r, m)
L.linalg.cholesky(r @ r.t())
L.linalg.qr(r)[0]
L.linalg.eigh(r + r.t())[0]
L.linalg.svd(r)[1]
L.linalg.pinv(r)
L.linalg.matrix_exp(m)
L.linalg.cross(a, b)
L.kron(m, m)
F.linear(a, w)
F.linear(a, w, bl)
F.relu(a)
F.leaky_relu(a, 0.2)
F.elu(a)
F.selu(a)
F.celu(a)
F.gelu(a)
F.gelu(a, approximate="tanh")
F.silu(a)
F.mish(a)
F.softplus(a)
F.hardtanh(a)
F.relu6(a)
F.hardsigmoid(a)
F.hardswish(a)
F.logsigmoid(a)
F.softsign(a)
F.threshold(a, 0.1, 2.0)
F.glu(d)
F.prelu(a, gw)
F.softmax(a, 1)
F.log_softmax(a, 1)
F.layer_norm(a, (3,))
F.layer_norm(a, (3,), gw, gb)
F.group_norm(seq, 3, gw, gb)
F.group_norm(g4, 2, gw4, gb4)
F.batch_norm(a, None, None, gw, gb, True)
F.instance_norm(seq)
F.normalize(a)
F.embedding(i1, e)
F.conv1d(seq, k1)
F.conv2d(img, ker, kb)
F.conv2d(img, ker, kb, stride=2, padding=1)
F.conv2d(img, ker, None, stride=2, padding=1)
F.conv2d(img, ker, None, padding=2, dilation=2)
F.conv_transpose2d(img, ker.transpose(0, 1), None)
F.conv_transpose2d(img, ker.transpose(0, 1), None, stride=2, padding=1, output_padding=1)
F.max_pool2d(img, 2)
F.max_pool2d(img, 3, stride=1)
F.avg_pool2d(img, 2)
F.avg_pool2d(img, 3, stride=2)
F.adaptive_avg_pool2d(img, 1)
F.adaptive_max_pool2d(img, 2)
F.pad(a, (1, 1))
F.pad(a, (1, 1), mode="reflect")
F.interpolate(img, scale_factor=2)
F.interpolate(img, scale_factor=2, mode="bilinear")
F.mse_loss(a, b)
F.l1_loss(a, b)
F.smooth_l1_loss(a, b)
F.huber_loss(a, b)
F.binary_cross_entropy(a.sigmoid(), b.sigmoid())
F.binary_cross_entropy_with_logits(a, b.sigmoid())
F.nll_loss(a, tgt)
F.cross_entropy(a, tgt)
F.kl_div(a, b.softmax(1), reduction="batchmean")
F.cosine_similarity(a, b)
F.pairwise_distance(a, b)
L.cdist(a, b)
""".strip().splitlines()


# saved numbers that an op without such an argument always saves as this value
CONSTANTS = {"alpha", "beta"}


def _env(lib, grad):
    env = {"L": lib, "F": lib.nn.functional}
    for name, x in INPUTS.items():
        t = torch.from_numpy(x.copy()) if lib is torch else torchlike.tensor(x)
        if x.dtype.kind == "f" and name in grad:
            t.requires_grad_(True)
        env[name] = t
    return env


def _floats(expr) -> list:
    import re
    used = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", expr))
    return [n for n, x in INPUTS.items() if n in used and x.dtype.kind == "f"]


def _node(out):
    while isinstance(out, (tuple, list)):
        out = out[0]
    return out, out.grad_fn


def _saved(node) -> dict:
    return {a[len("_saved_"):]: getattr(node, a) for a in dir(node) if a.startswith("_saved_")}


def _same(want, got) -> bool:
    """Strictly the same value: types of numbers and containers; tensors' values and dtypes
    (not their grad_fn: where torchlike composes an op's operand otherwise, the source is still
    right)."""
    if isinstance(want, torch.Tensor):
        if not isinstance(got, torchlike.Tensor) or tuple(want.shape) != tuple(got.shape) \
                or str(want.dtype) != str(got.dtype) or want.requires_grad != got.requires_grad:
            return False
        return bool(np.allclose(want.detach().numpy(), np.asarray(got.detach()._data),
                                rtol=1e-5, atol=1e-6, equal_nan=True))
    if isinstance(want, torch.dtype):
        return isinstance(got, torchlike.dtype) and str(want) == str(got)
    if isinstance(want, (tuple, list)):
        return type(want) is type(got) and len(want) == len(got) and all(
            _same(w, g) for w, g in zip(want, got))
    if want is None or isinstance(want, (bool, int, float, str)):
        return type(want) is type(got) and want == got
    return False


def _run(expr, grad):
    """(torch node, torchlike node, torch env, torchlike env, torch result)."""
    te, le = _env(torch, grad), _env(torchlike, grad)
    t_out, t_node = _node(eval(expr, te))
    l_out, l_node = _node(eval(expr, le))
    return t_node, l_node, te, le, t_out


def _identity_ok(spec, want, t_env, l_env, l_node) -> bool:
    """A tensor torch saved that is one of the inputs: torchlike's operand must be that same
    input (torch returns the very object)."""
    for name, t in t_env.items():
        if t is want:
            return spec[0] == "arg" and l_node.inputs[spec[1]] is l_env[name]
    return spec[0] != "arg" or not any(l_node.inputs[spec[1]] is t for t in l_env.values())


def _evaluate(l_node, spec):
    try:
        if saved_values.is_tensor_spec(spec):
            return saved_values.saved_tensor(l_node, spec + ((),))
        v = saved_values._plain(l_node, spec)
        return _FAIL if v is saved_values._NO else v
    except Exception:
        return _FAIL


_FAIL = object()


def infer(expr, log) -> tuple | None:
    """((op, class), {name: spec}, pack order, unpack order) for one sample, or None."""
    floats = _floats(expr)
    t_node, l_node, te, le, t_out = _run(expr, floats)
    if t_node is None or l_node is None or not hasattr(l_node, "kernel"):
        log(f"{expr}: no op node")
        return None
    cls = type(t_node).__name__
    if type(l_node).__name__ != cls:
        log(f"{expr}: torchlike's node {type(l_node).__name__} != torch's {cls}")
        return None
    key = saved_values.key_of(l_node)
    want = _saved(t_node)
    is_tensor = {n: hasattr(t_node, "_raw_saved_" + n) for n in want}
    tensors, plain = saved_values.candidates(l_node)
    specs = {}
    for name, v in want.items():
        if isinstance(v, (list, tuple)) and v and isinstance(v[0], torch.Tensor):
            continue  # tensor lists: not mapped
        if is_tensor[name]:
            ok = [s for s in tensors if v is not None and _identity_ok(s, v, te, le, l_node)
                  and _same(v, _evaluate(l_node, s))]
            if v is None:
                ok = [("none",)]  # kept only if no input's gradient makes torch save it
        else:
            ok = [s for s in plain if _same(v, _evaluate(l_node, s))
                  and (s[0] != "const" or name in CONSTANTS)]
        if ok:
            specs[name] = ok
    # which operands' gradients need each tensor: run with each float input alone (torch
    # saves a tensor only where one of them requires grad)
    users = {name: set() for name in want if is_tensor[name]}
    for alone in floats:
        t1, l1, _, _, _ = _run(expr, [alone])
        if t1 is None or l1 is None or len(getattr(l1, "diff", ())) != 1:
            continue
        for name in users:
            if getattr(t1, "_saved_" + name) is not None:
                users[name].add(l1.diff[0])
    result = {}
    for name, ok in specs.items():
        if ok == [("none",)]:
            if not users[name]:
                result[name] = ok
        elif name in users:
            if users[name]:
                result[name] = [s + (tuple(sorted(users[name])),) for s in ok]
        else:
            result[name] = ok
    return key, result, _orders(expr, floats, t_node, want)


def _orders(expr, floats, t_node_plain, want):
    """The names in the order torch's hooks pack, then unpack, them."""
    packed, unpacked = [], []
    te = _env(torch, floats)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t) or len(packed) - 1,
                                                  lambda i: unpacked.append(i) or packed[i]):
        out, node = _node(eval(expr, te))
    ptr = {}
    for name in want:
        v = getattr(node, "_saved_" + name)
        if isinstance(v, torch.Tensor):
            ptr.setdefault((v.data_ptr(), tuple(v.shape), v.stride()), []).append(name)
    unpacked.clear()
    names = []
    for t in packed:
        hit = ptr.get((t.data_ptr(), tuple(t.shape), t.stride()))
        names.append(hit[0] if hit and len(hit) == 1 else None)
    mine = [n for n in names if n is not None]
    if len(set(mine)) != len(mine) or len(mine) != sum(len(v) for v in ptr.values()):
        return None, None
    if out.requires_grad:
        out.backward(torch.ones_like(out))
    order = [names[i] for i in unpacked if names[i] is not None]
    return tuple(mine), tuple(dict.fromkeys(order))


def build(verbose=False):
    log = print if verbose else (lambda *a: None)
    found: dict = {}
    for expr in SAMPLES:
        try:
            r = infer(expr, log)
        except Exception as e:  # a sample torchlike cannot run: its names stay unmapped
            log(f"{expr}: {type(e).__name__}: {e}")
            continue
        if r is None:
            continue
        key, specs, (pack, unpack) = r
        entry = found.setdefault(key, {"names": None, "order": (pack, unpack), "bad": set()})
        if entry["names"] is None:
            entry["names"] = specs
        else:  # keep the sources that fit every sample of this key
            names = entry["names"]
            for name in set(names) | set(specs):
                both = [s for s in names.get(name, []) if s in specs.get(name, [])]
                if both:
                    names[name] = both
                else:
                    names.pop(name, None)
                    entry["bad"].add(name)
        if entry["order"] != (pack, unpack):
            entry["order"] = (None, None)
    sources = {}
    for key, entry in sorted(found.items()):
        names = {n: s for n, s in sorted(entry["names"].items()) if n not in entry["bad"]}
        chosen = {n: _choose(n, s, names, log, key) for n, s in names.items()}
        chosen = {n: s for n, s in chosen.items() if s is not None}
        pack, unpack = entry["order"]
        if pack is not None and all(n in chosen for n in pack):
            chosen["#pack"], chosen["#unpack"] = pack, unpack
        sources[key] = chosen
        missing = [n for n in _names(key[1]) if n not in chosen]
        if missing:
            log(f"{key}: no source for {missing}")
    return sources


def _choose(name, specs, names, log, key):
    """The first surviving candidate; for an attribute of a saved tensor (`mat2_sym_strides`),
    one over that tensor's operand, transposed as it is."""
    owner = names.get(name.split("_sym_")[0].split("_scalar_type")[0], [None])[0]
    if owner is not None and owner[0] in ("arg", "argT") and owner is not specs[0] and \
            name != name.split("_sym_")[0]:
        same = [s for s in specs if len(s) > 1 and s[1] == owner[1]
                and s[0].endswith("T") == (owner[0] == "argT")]
        if same:
            return same[0]
    named = [s for s in specs if s[0] == "static" and s[1] == name]
    if named:
        return named[0]
    plain = [s for s in specs if not s[0].endswith("T")]  # a square operand: either way
    if plain and {s[:2] for s in specs} <= {(s[0] + "T",) + s[1:2] for s in plain} | {
            s[:2] for s in plain}:
        specs = plain
    if len({s[:2] for s in specs}) > 1:  # two sources agree on every sample: no guess
        log(f"{key}: {name} ambiguous among {specs}: left without a source")
        return None
    return specs[0]


def _names(cls) -> list:
    return [a[len("_saved_"):] for a in dir(getattr(torch._C._functions, cls, object))
            if a.startswith("_saved_")]


def _all_names() -> dict:
    out = {}
    for name in sorted(dir(torch._C._functions)):
        cls = getattr(torch._C._functions, name)
        if not isinstance(cls, type):
            continue
        attrs = set(dir(cls))
        words = [n + ("*" if "_raw_saved_" + n in attrs else "") for n in _names(name)]
        if words:
            out[name] = " ".join(words)
    return out


HEADER = '''"""torch {version}'s grad_fn saved values, and where torchlike's nodes hold them.

Generated by compat/gen_saved_names.py: do not edit. NAMES: class -> its `_saved_<name>` names
("*": a tensor, also `_raw_saved_<name>`). SOURCES: (op, class) -> {{name: source spec}} (specs:
torchlike/autograd/saved_values.py), "#pack"/"#unpack": torch's hook order.
"""
# flake8: noqa
'''


def render() -> str:
    lines = [HEADER.format(version=torch.__version__.split("+")[0]), "NAMES = {"]
    for cls, words in _all_names().items():
        lines.append(f"    {cls!r}: {words!r},")
    lines += ["}", "", "SOURCES = {"]
    for key, specs in build().items():
        one = f"    {key!r}: {specs!r},"
        if len(one) <= 100:
            lines.append(one)
            continue
        lines.append(f"    {key!r}: {{")
        for name, spec in specs.items():
            lines.append(f"        {name!r}: {spec!r},")
        lines.append("    },")
    lines += ["}", ""]
    return "\n".join(lines)


def main() -> None:
    if "-v" in sys.argv:
        build(verbose=True)
        return
    text = render()
    if "--check" in sys.argv:
        with open(OUT) as f:
            same = f.read() == text
        print("up to date" if same else "out of date: run compat/gen_saved_names.py")
        sys.exit(0 if same else 1)
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
