"""Complex numbers against torch: view_as_real / view_as_complex, real / imag, conj (torch's
conjugate bit), conj_physical, resolve_conj, angle, polar, complex; writes through these views
reach their source, as do writes through view(dtype) between element sizes."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import torchlike


def _z(L, requires_grad=False):
    z = np.array([[1 + 2j, 3 - 4j, -0.5j], [2.5, -1 + 1j, 0j]])
    return L.tensor(z, requires_grad=requires_grad)


def _desc(t):
    """What a user sees of a tensor: repr, dtype, shape, strides, grad_fn name."""
    fn = t.grad_fn
    return (repr(t.detach()) if t.requires_grad else repr(t), str(t.dtype), tuple(t.shape),
            t.stride(), None if fn is None else type(fn).__name__ if hasattr(
                fn, "__name__") is False else fn.name())


FORMS = {
    "view_as_real": lambda L, z: L.view_as_real(z),
    "view_as_real_of_transpose": lambda L, z: L.view_as_real(z.t()),
    "real": lambda L, z: z.real,
    "imag": lambda L, z: z.imag,
    "torch_real_imag": lambda L, z: L.real(z) * L.imag(z),
    "real_of_real": lambda L, z: L.real(z.abs()),
    "conj": lambda L, z: z.conj(),
    "conj_of_transpose": lambda L, z: z.t().conj(),
    "conj_physical": lambda L, z: z.conj_physical(),
    "torch_conj": lambda L, z: L.conj(z),
    "torch_conj_physical": lambda L, z: L.conj_physical(z),
    "torch_resolve_conj": lambda L, z: L.resolve_conj(z.conj()),
    "resolve_conj": lambda L, z: z.conj().resolve_conj(),
    "angle": lambda L, z: z.angle(),
    "angle_real": lambda L, z: L.angle(z.real - 1),
    "view_as_complex": lambda L, z: L.view_as_complex(L.view_as_real(z) * 2),
    "polar": lambda L, z: L.polar(z.abs(), z.angle()),
    "complex": lambda L, z: L.complex(z.real, z.imag * 3),
    "H": lambda L, z: z.H,
    "mH": lambda L, z: z.mH,
}


@pytest.mark.parametrize("form", list(FORMS))
def test_form(form):
    def run(L):
        z = _z(L, requires_grad=True)
        out = FORMS[form](L, z)
        got = [_desc(out)]
        if out.requires_grad:
            loss = (out.abs() ** 2).sum() if out.is_complex() else (out ** 2).sum()
            loss.backward()
            got.append(z.grad.resolve_conj().numpy())  # torch's grad may have the conj bit
        return got
    got, want = run(torchlike), run(torch)
    assert got[0] == want[0]
    assert len(got) == len(want)
    if len(want) > 1:
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-12)


def test_is_conj_bit():
    def run(L):
        z = _z(L)
        c = z.conj()
        return [c.is_conj(), c.conj().is_conj(), c[0].is_conj(), c.t().is_conj(),
                c.conj_physical().is_conj(), c.resolve_conj().is_conj(), z.is_conj(),
                z.real.conj() is not None, L.is_conj(c)]
    assert run(torchlike) == run(torch)


WRITES = {
    "conj_setitem": "c = z.conj(); c[0, 0] = 5 + 5j; obs += [z, c]",
    "real_setitem": "r = z.real; r[1] = 9; obs += [z]",
    "imag_mul_": "z.imag.mul_(2); obs += [z]",
    "real_slice_fill_": "z.real[:, 1:].fill_(-7); obs += [z]",
    "view_as_real_write": "v = L.view_as_real(z); v[0, 1, 1] = 7; v[1].zero_(); obs += [z, v]",
    "real_property_assign": "z.real = L.ones(2, 3, dtype=L.float64); obs += [z]",
    "imag_property_assign": "z.imag = L.arange(6.).reshape(2, 3).double(); obs += [z]",
    "base_write_seen_by_views": "r, c = z.real, z.conj(); z.mul_(2); obs += [r, c]",
    "view_as_complex_write": "f = L.arange(8.).reshape(2, 2, 2); w = L.view_as_complex(f); "
                             "w[1, 0] = 9 - 1j; obs += [f]",
    "conj_of_conj_write": "c = z.conj().conj(); c[1, 1] = 2j; obs += [z]",
    "version_counter": "r = z.real; v0 = z._version; r.add_(1); obs += [z._version - v0]",
    "conj_physical_": "r = z[0]; z.conj_physical_(); obs += [z, r, z.is_conj()]",
}


@pytest.mark.parametrize("case", list(WRITES))
def test_writes_through_views(case):
    def run(L):
        obs, z = [], _z(L)
        exec(WRITES[case], {"L": L, "z": z, "obs": obs})
        return [repr(o) for o in obs]
    assert run(torchlike) == run(torch)


ERRORS = {
    "imag_of_real": lambda L: L.ones(2).imag,
    "view_as_real_of_real": lambda L: L.view_as_real(L.ones(2)),
    "view_as_real_of_conj": lambda L: L.view_as_real(_z(L).conj()),
    "view_as_complex_last_dim": lambda L: L.view_as_complex(L.ones(3, 3)),
    "view_as_complex_stride": lambda L: L.view_as_complex(L.ones(2, 4)[:, ::2]),
    "view_as_complex_int": lambda L: L.view_as_complex(L.ones(3, 2, dtype=L.int64)),
    "numpy_of_conj": lambda L: _z(L).conj().numpy(),
    "complex_mixed_dtypes": lambda L: L.complex(L.ones(2), L.ones(2, dtype=L.float64)),
    "polar_int": lambda L: L.polar(L.ones(2, dtype=L.int64), L.ones(2, dtype=L.int64)),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors(case):
    def run(L):
        try:
            ERRORS[case](L)
        except Exception as e:  # noqa: BLE001 - the exception type is compared too
            return type(e).__name__, str(e).split("\n")[0]
        return None
    assert run(torchlike) == run(torch)


VIEW_DTYPE = {  # view(dtype) between element sizes shares the storage, both ways
    "narrower": "x = L.tensor([[1., 2.], [3., -4.]]); b = x.view(L.int16); b[0, 1] = 0; "
                "obs += [x, b.stride(), b.shape]",
    "wider": "x = L.tensor([[1., 2.], [3., -4.]]); y = x.view(L.float64); y[1] = 0.5; "
             "obs += [x, y.stride()]",
    "bytes_to_int": "u = L.zeros(2, 4, dtype=L.uint8); f = u.view(L.int32); f[1, 0] = -1; "
                    "obs += [u]",
    "slice_of_bytes": "x = L.tensor([[1., 2.], [3., -4.]]); s = x.view(L.uint8)[:, 2:6]; "
                      "s.fill_(255); obs += [x]",
    "base_write_seen": "x = L.zeros(4); b = x.view(L.uint8); x.fill_(1); obs += [b]",
    "last_stride": "x = L.ones(2, 2); obs += [x.t().view(L.int16)]",
    "divisible": "x = L.ones(2, 3); obs += [x.view(L.float64)]",
}


@pytest.mark.parametrize("case", list(VIEW_DTYPE))
def test_view_dtype_between_sizes(case):
    def run(L):
        obs = []
        try:
            exec(VIEW_DTYPE[case], {"L": L, "obs": obs})
        except RuntimeError as e:
            obs.append(str(e).split(" to view")[0])
        return [repr(o) for o in obs]
    assert run(torchlike) == run(torch)
