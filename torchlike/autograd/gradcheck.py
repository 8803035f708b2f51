"""torch.autograd.gradcheck / gradgradcheck: finite differences against backward's Jacobians.

Ported from torch/autograd/gradcheck.py, step for step, so that results, messages and warnings
are torch's: slow mode builds the numerical Jacobian by central differences (perturbing each
input element in place through `.data`) and the analytical one row by row with
autograd.grad, compares them with allclose; fast mode compares v^T J u for random u, v drawn
as torch draws them (torchlike's generator is torch's). Sparse and mkldnn branches are gone
(torchlike has neither). Not available: check_forward_ad, check_batched_grad and
check_batched_forward_grad (no forward-mode AD or vmap in torchlike): NotImplementedError.
"""
from __future__ import annotations

import functools
import warnings
from itertools import product

import torchlike as tl
from .._errors import missing as _missing

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "get_numerical_jacobian",
           "get_analytical_jacobian", "get_numerical_jacobian_wrt_specific_input"]


class GradcheckError(RuntimeError):
    """Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


def _is_tensor(x) -> bool:
    return isinstance(x, tl.Tensor)


def _is_float_or_complex_tensor(obj) -> bool:
    return _is_tensor(obj) and (obj.is_floating_point() or obj.is_complex())


def _as_tuple(x) -> tuple:
    if isinstance(x, tuple):
        return x
    return tuple(x) if isinstance(x, list) else (x,)


def _differentiable_outputs(x) -> tuple:
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _iter_tensors(x, only_requiring_grad: bool = False):
    if _is_tensor(x):
        if x.requires_grad or not only_requiring_grad:
            yield x
    elif isinstance(x, (list, tuple)):
        for elem in x:
            yield from _iter_tensors(elem, only_requiring_grad)


def _to_real_dtype(dtype):
    return {tl.complex128: tl.float64, tl.complex64: tl.float32}.get(dtype, dtype)


# ---- the numerical Jacobian: central differences --------------------------------------------

def _check_outputs_same_dtype_and_shape(output1, output2, eps, idx=None) -> None:
    on_index = f"on index {idx} " if idx is not None else ""
    if output1.shape != output2.shape:
        raise AssertionError(f"Expected `func` to return outputs with the same shape when inputs "
                             f"are perturbed {on_index}by {eps}, but got: shapes {output1.shape} "
                             f"and {output2.shape}.")
    if output1.dtype != output2.dtype:
        raise AssertionError(f"Expected `func` to return outputs with the same dtype when inputs "
                             f"are perturbed {on_index}by {eps}, but got: dtypes {output1.dtype} "
                             f"and {output2.dtype}.")


def _write(entry, value) -> None:
    """entry.copy_(value), entry a view of `input.data`, as torch does it. Two torchlike
    departures from torch's .data are undone here: such a write raises "a view of a leaf
    Variable that requires grad..." under grad mode (hence no_grad), and it bumps the input's
    version counter instead of .data's own (hence the version put back)."""
    vc = entry._vc
    version = vc[0]
    with tl.no_grad():
        entry.copy_(value)
    vc[0] = version


def _compute_numerical_gradient(fn, entry, v, norm_v, nbhd_checks_fn) -> tuple:
    """(fn(entry + v) - fn(entry - v)) / 2|v|, entry changed in place and restored."""
    orig = entry.clone()
    _write(entry, orig - v)
    outa = fn()
    _write(entry, orig + v)
    outb = fn()
    _write(entry, orig)

    def compute(a, b):
        nbhd_checks_fn(a, b)
        return ((b - a) / (2 * norm_v)).detach().reshape(-1)
    return tuple(compute(a, b) for a, b in zip(outa, outb))


def _compute_numerical_jvps_wrt_specific_input(jvp_fn, delta, input_is_complex) -> list:
    ds_dx_tup = jvp_fn(delta[0] if isinstance(delta, tuple) else delta)
    if not input_is_complex:
        return list(ds_dx_tup)
    ds_dy_tup = jvp_fn(delta[1] * 1j) if isinstance(delta, tuple) else jvp_fn(delta * 1j)
    return [ds_dx + ds_dy * 1j for ds_dx, ds_dy in zip(ds_dx_tup, ds_dy_tup)]  # conj. Wirtinger


def _with_prepare_inputs(fn, inputs):
    def wrapped_fn():
        return tuple(a.clone() for a in _as_tuple(fn(*_as_tuple(inputs))))
    return wrapped_fn


def _get_numerical_jvp_fn(wrapped_fn, input_to_perturb, eps, nbhd_checks_fn):
    def jvp_fn(delta):
        return _compute_numerical_gradient(wrapped_fn, input_to_perturb, delta, eps,
                                           nbhd_checks_fn)
    return jvp_fn


def get_numerical_jacobian_wrt_specific_input(fn, input_idx, inputs, outputs, eps, input=None,
                                              is_forward_ad=False) -> tuple:
    """One Jacobian per floating output, (input.numel(), output.numel()): row k is the
    central difference for element k of the input."""
    input = inputs[input_idx] if input is None else input
    if not input.requires_grad:
        raise AssertionError("Expected input to have requires_grad=True")
    x = input.data  # .data: perturbing it leaves the input's version counter alone
    cols = {}
    for d_idx, idx in enumerate(product(*[range(m) for m in x.size()])):
        nbhd_checks_fn = functools.partial(_check_outputs_same_dtype_and_shape, idx=idx,
                                           eps=eps)
        jvp_fn = _get_numerical_jvp_fn(_with_prepare_inputs(fn, inputs), x[idx], eps,
                                       nbhd_checks_fn)
        cols[d_idx] = _compute_numerical_jvps_wrt_specific_input(jvp_fn, eps, x.is_complex())
    dtype = input.dtype if input.dtype.is_complex else None
    jacobians = []
    for i, t in enumerate([t for t in outputs if _is_float_or_complex_tensor(t)]):
        dt = t.dtype if dtype is None else dtype
        # jacobian[k] = v[i]: torch's v indexes all outputs, floating or not, and broadcasts
        rows = [cols[k][i].to(dt).expand(t.numel()) for k in sorted(cols)]
        jacobians.append(tl.stack(rows) if rows else t.new_zeros((0, t.numel()), dtype=dt))
    return tuple(jacobians)


def _get_numerical_jacobian(fn, inputs, outputs=None, target=None, eps=1e-3,
                            is_forward_ad=False) -> list:
    if outputs is None:
        outputs = _as_tuple(fn(*_as_tuple(inputs)))
    if not is_forward_ad and any(o.is_complex() for o in outputs):
        raise ValueError("Expected output to be non-complex. get_numerical_jacobian no "
                         "longer supports functions that return complex outputs.")
    target = inputs if target is None else target
    inp_indices = [i for i, a in enumerate(target) if _is_tensor(a) and a.requires_grad]
    return [get_numerical_jacobian_wrt_specific_input(fn, i, inputs, outputs, eps, input=inp)
            for inp, i in zip(_iter_tensors(target, True), inp_indices)]


def get_numerical_jacobian(fn, inputs, target=None, eps=1e-3, grad_out=1.0):
    """Deprecated in torch: the numerical Jacobians of fn's first output."""
    warnings.warn(_deprecated("get_numerical_jacobian"), FutureWarning, stacklevel=2)
    if grad_out != 1.0:
        raise ValueError("Expected grad_out to be 1.0. get_numerical_jacobian no longer "
                         "supports values of grad_out != 1.0.")
    jacobians = _get_numerical_jacobian(lambda *inps: fn(inps), inputs, None, target, eps)
    return tuple(j[0] for j in jacobians)


def _deprecated(name: str) -> str:
    return (f"`{name}` was part of PyTorch's private API and not meant to be exposed. We are "
            "deprecating it and it will be removed in a future version of PyTorch. If you have "
            "a specific use for this or feature request for this to be a stable API, please "
            "file us an issue at https://github.com/pytorch/pytorch/issues/new")


# ---- the analytical Jacobian: one backward per output element -------------------------------

FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""


def _compute_analytical_jacobian_rows(vjp_fn, sample_output) -> list:
    """rows[i][j]: row j of the Jacobian of the i-th input (the vjp of basis vector j)."""
    rows: list = []
    n = sample_output.numel()
    for j in range(n):
        basis = tl.zeros(n, dtype=sample_output.dtype, device=sample_output.device)
        basis[j] = 1.0
        for i, d_x in enumerate(vjp_fn(basis.view(sample_output.shape))):
            if j == 0:
                rows.append([])
            rows[i].append(d_x.clone() if _is_tensor(d_x) else None)
    return rows


def _stack_and_check_tensors(rows, inputs, numel_outputs):
    """The rows as (input numel, output numel) Jacobians of the input's dtype, and whether
    their sizes and dtypes were the inputs'."""
    diff_inputs = list(_iter_tensors(inputs, True))
    correct_sizes = correct_types = True
    jacobians = []
    for inp in diff_inputs:
        jacobians.append(inp.new_zeros((inp.numel(), numel_outputs)))
    for i, tensor_list in enumerate(rows):
        inp, cols = diff_inputs[i], []
        for tensor in tensor_list:
            if tensor is not None and tensor.size() != inp.size():
                correct_sizes = False
            elif tensor is not None and tensor.dtype != inp.dtype:
                correct_types = False
            if tensor is None:
                cols.append(inp.new_zeros(inp.numel()))
                continue
            if inp.numel() != tensor.numel():
                raise AssertionError(f"Expected out_jacobian column to have {tensor.numel()} "
                                     f"elements, but got {inp.numel()}")
            cols.append(tensor.reshape(-1).to(inp.dtype))
        if cols:
            jacobians[i] = tl.stack(cols, 1)
    return tuple(jacobians), correct_sizes, correct_types


def _check_jacobians_equal(j1, j2, atol) -> bool:
    return all(a.numel() == 0 or not bool((a - b).abs().max() > atol) for a, b in zip(j1, j2))


def _analytical_jacobians(inputs, output, nondet_tol, fast_mode=False, v=None) -> tuple:
    """(jacobians, reentrant, types_ok, sizes_ok), all computed twice: backward must give the
    same values again (torch calls that "reentrant")."""
    diff_inputs = list(_iter_tensors(inputs, True))

    def vjp_fn(grad_output):
        return tl.autograd.grad(output, diff_inputs, grad_output, retain_graph=True,
                                allow_unused=True)
    if fast_mode:
        vjps1 = _get_analytical_vjps_wrt_specific_output(vjp_fn, output.clone(), v)
        vjps2 = _get_analytical_vjps_wrt_specific_output(vjp_fn, output.clone(), v)
    else:
        vjps1 = _compute_analytical_jacobian_rows(vjp_fn, output.clone())
        vjps2 = _compute_analytical_jacobian_rows(vjp_fn, output.clone())
    numel = output.numel() if not fast_mode else 1
    # torch unpacks (sizes, types) as (types_ok, sizes_ok): a wrong dtype reports "incorrect
    # size", a wrong size "dtype mismatch" (with check_grad_dtypes); kept for the same errors
    jacobians1, types_ok, sizes_ok = _stack_and_check_tensors(vjps1, inputs, numel)
    jacobians2, _, _ = _stack_and_check_tensors(vjps2, inputs, numel)
    return jacobians1, _check_jacobians_equal(jacobians1, jacobians2, nondet_tol), types_ok, \
        sizes_ok


def _check_analytical_jacobian_attributes(inputs, output, nondet_tol, check_grad_dtypes,
                                          fast_mode=False, v=None) -> tuple:
    jacobians, reentrant, types_ok, sizes_ok = _analytical_jacobians(inputs, output, nondet_tol,
                                                                     fast_mode, v)
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError("Backward is not reentrant, i.e., running backward with same input "
                             "and grad_output multiple times gives different values, although "
                             "analytical gradient matches numerical gradient.The tolerance for "
                             f"nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG)
    return jacobians


def get_analytical_jacobian(inputs, output, nondet_tol=0.0, grad_out=1.0):
    """Deprecated in torch: (jacobians, reentrant, sizes_ok, types_ok)."""
    warnings.warn(_deprecated("get_analytical_jacobian"), FutureWarning, stacklevel=2)
    if grad_out != 1.0:
        raise ValueError("Expected grad_out to be 1.0. get_analytical_jacobian no longer "
                         "supports values of grad_out != 1.0.")
    if output.is_complex():
        raise ValueError("Expected output to be non-complex. get_analytical_jacobian no "
                         "longer supports functions that return complex outputs.")
    jacobians, reentrant, types_ok, sizes_ok = _analytical_jacobians(inputs, output, nondet_tol)
    return jacobians, reentrant, sizes_ok, types_ok


def _get_analytical_vjps_wrt_specific_output(vjp_fn, sample_output, v) -> list:
    return [[g.clone() if _is_tensor(g) else None]
            for g in vjp_fn(v.reshape(sample_output.shape))]


# ---- the checks gradcheck runs ---------------------------------------------------------------

def _check_inputs(tupled_inputs) -> bool:
    any_input_requiring_grad = False
    for idx, inp in enumerate(tupled_inputs):
        if _is_tensor(inp) and inp.requires_grad:
            if not (inp.dtype == tl.float64 or inp.dtype == tl.complex128):
                warnings.warn(f"Input #{idx} requires gradient and is not a double precision "
                              "floating point or complex. This check will likely fail if all "
                              "the inputs are not of double precision floating point or "
                              "complex. ", stacklevel=3)
            if not all(st > 0 or sz <= 1 for st, sz in zip(inp.stride(), inp.size())):
                raise RuntimeError(f"The {idx}th input has a dimension with stride 0. gradcheck "
                                   "only supports inputs that are non-overlapping to be able to "
                                   "compute the numerical gradients correctly. You should call "
                                   ".contiguous on the input before passing it to gradcheck.")
            any_input_requiring_grad = True
    if not any_input_requiring_grad:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")
    return True


def _check_no_differentiable_outputs(func, inputs, func_out, eps) -> bool:
    for jacobians in _get_numerical_jacobian(func, inputs, func_out, eps=eps):
        for jacobian in jacobians:
            if tl.ne(jacobian, 0).sum() > 0:
                raise GradcheckError("Numerical gradient for function expected to be zero")
    return True


def _test_backward_mul_by_grad_output(outputs, inputs, masked) -> bool:
    diff_inputs = list(_iter_tensors(inputs, True))
    if not diff_inputs:
        raise GradcheckError("no Tensors requiring grad found in input")
    grads_input = tl.autograd.grad(outputs, diff_inputs, [tl.zeros_like(o) for o in outputs],
                                   allow_unused=True)
    for gi, di in zip(grads_input, diff_inputs):
        if gi is None:
            continue
        if masked:
            if not tl.allclose(gi, tl.zeros_like(gi)):
                raise GradcheckError("backward not multiplied by grad_output")
        elif not gi.eq(0).all():
            raise GradcheckError("backward not multiplied by grad_output")
        if gi.dtype != di.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi.device != di.device:
            raise GradcheckError("grad is incorrect device")
        if gi.size() != di.size():
            raise GradcheckError("grad is incorrect size")
    return True


@functools.cache
def _undefined_grad():
    """torch._C._functions.UndefinedGrad: passes its input on; its backward gives None."""
    from .function import Function

    class UndefinedGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return None
    return UndefinedGrad.apply


def _test_undefined_backward_mode(func, outputs, inputs) -> bool:
    diff_inputs = list(_iter_tensors(inputs, True))
    if not diff_inputs:
        raise GradcheckError("no Tensors requiring grad found in input")

    def warn_bc_breaking():
        warnings.warn("Backwards compatibility: New undefined gradient support checking feature "
                      "is enabled by default, but it may break existing callers of this "
                      "function. If this is true for you, you can call this function with "
                      '"check_undefined_grad=False" to disable the feature', stacklevel=2)

    def check_undefined_grad_support(output_to_check):
        grads_output = [tl.zeros_like(o) for o in output_to_check]
        try:
            grads_input = tl.autograd.grad(output_to_check, diff_inputs, grads_output,
                                           allow_unused=True)
        except RuntimeError as e:
            warn_bc_breaking()
            raise GradcheckError("Expected backward function to handle undefined output grads. "
                                 'Please look at "Notes about undefined output gradients" in '
                                 '"tools/autograd/derivatives.yaml"') from e
        for gi in grads_input:
            if gi is not None and not gi.eq(0).all():
                warn_bc_breaking()
                raise GradcheckError("Expected all input grads to be undefined or zero when all "
                                     "output grads are undefined or zero. Please look at \"Notes "
                                     'about undefined output gradients" in '
                                     '"tools/autograd/derivatives.yaml"')
        return True

    undefined = _undefined_grad()
    outputs_to_check = [[undefined(o) for o in _differentiable_outputs(func(*inputs))
                         if _is_tensor(o)]]
    if len(outputs_to_check[0]) > 1:  # undefined one at a time
        for undef_idx in range(len(outputs)):
            output_to_check = _differentiable_outputs(func(*inputs))
            outputs_to_check.append([undefined(o) if idx == undef_idx else o
                                     for idx, o in enumerate(output_to_check)])
    return all(check_undefined_grad_support(output) for output in outputs_to_check)


def _get_notallclose_msg(analytical, numerical, output_idx, input_idx, complex_indices,
                         test_imag=False) -> str:
    prefix = ""
    if complex_indices and output_idx in complex_indices:
        part = "imaginary" if test_imag else "real"
        prefix = f"While considering the {part} part of complex outputs only, "
    return (prefix + f"Jacobian mismatch for output {output_idx:d} with respect to input "
            f"{input_idx:d},\nnumerical:{numerical}\nanalytical:{analytical}\n")


def _gradcheck_real_imag(gradcheck_fn, func, func_out, tupled_inputs, outputs, eps, rtol, atol,
                         check_grad_dtypes, nondet_tol) -> None:
    """Complex outputs: check their real parts, then their imaginary parts, as functions."""
    if not any(o.is_complex() for o in _as_tuple(func_out)):
        gradcheck_fn(func, func_out, tupled_inputs, outputs, eps, rtol, atol, check_grad_dtypes,
                     nondet_tol)
        return
    complex_out_indices = [i for i, o in enumerate(outputs) if o.is_complex()]
    for part, test_imag in ((tl.imag, True), (tl.real, False)):
        def part_fn(*ins, part=part):
            return tuple(part(o) if o.is_complex() else o for o in _as_tuple(func(*ins)))
        part_out = part_fn(*tupled_inputs)
        gradcheck_fn(part_fn, part_out, tupled_inputs, _differentiable_outputs(part_out), eps,
                     rtol, atol, check_grad_dtypes, nondet_tol,
                     complex_indices=complex_out_indices, test_imag=test_imag)


def _allclose_with_type_promotion(a, b, rtol, atol) -> bool:
    promoted = tl.promote_types(a.dtype, b.dtype)
    return tl.allclose(a.to(dtype=promoted), b.to(dtype=promoted), rtol, atol)


def _slow_gradcheck(func, func_out, tupled_inputs, outputs, eps, rtol, atol, check_grad_dtypes,
                    nondet_tol, *, complex_indices=None, test_imag=False, masked=False) -> bool:
    func_out = _as_tuple(func_out)
    if not outputs:
        return _check_no_differentiable_outputs(func, tupled_inputs, func_out, eps=eps)
    numerical = list(zip(*_get_numerical_jacobian(func, tupled_inputs, func_out, eps=eps)))
    # torch pairs the floating outputs' Jacobians with all outputs here
    numerical = [nj for o, nj in zip(func_out, numerical) if o.requires_grad]
    for i, o in enumerate(outputs):
        analytical = _check_analytical_jacobian_attributes(tupled_inputs, o, nondet_tol,
                                                           check_grad_dtypes)
        for j, (a, n) in enumerate(zip(analytical, numerical[i])):
            if not _allclose_with_type_promotion(a, n.to(a.device), rtol, atol):
                raise GradcheckError(_get_notallclose_msg(a, n, i, j, complex_indices,
                                                          test_imag))
    return True


# ---- fast mode: v^T J u for random u, v -------------------------------------------------------

FAST_FAIL_SLOW_OK_MSG = """
Fast gradcheck failed but element-wise differences are small. This means that the
test might've passed in slow_mode!

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck:

If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `fast_mode=False` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_fast_mode=False`
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_fast_mode=False`
""".strip()


def _vec_from_tensor(x, generator, downcast_complex=False):
    dtype = _to_real_dtype(x.dtype) if downcast_complex else x.dtype
    vec = tl.rand(x.numel(), generator=generator).to(dtype=dtype, device=x.device)
    vec /= vec.norm()
    return vec


def _make_vectors(inp_tensors, outputs):
    g_cpu = tl.Generator()  # its own generator: the user's random state is left alone
    all_u = []
    for inp in inp_tensors:
        ur = _vec_from_tensor(inp, g_cpu, True)
        all_u.append((ur, _vec_from_tensor(inp, g_cpu, True)) if inp.is_complex() else ur)
    return [_vec_from_tensor(out, g_cpu) for out in outputs], all_u


def _adjusted_atol(atol, u, v) -> float:
    """atol scaled by v^T M u (M all ones): the elementwise tolerance, summed as v^T J u."""
    sum_v = 1.0 if v is None else v.sum()
    if isinstance(u, tuple):
        return atol * (float(u[0].sum()) + float(u[1].sum())) * float(sum_v)
    return atol * float(u.sum()) * float(sum_v)


def _get_numerical_jvp_wrt_specific_input(fn, input_idx, inputs, u, eps) -> list:
    input = inputs[input_idx]
    x = input.data
    nbhd_checks_fn = functools.partial(_check_outputs_same_dtype_and_shape, eps=eps)
    jvp_fn = _get_numerical_jvp_fn(_with_prepare_inputs(fn, inputs), x, eps, nbhd_checks_fn)
    u = (u[0].reshape(x.shape), u[1].reshape(x.shape)) if isinstance(u, tuple) else \
        u.reshape(x.shape)
    u = (eps * u[0], eps * u[1]) if isinstance(u, tuple) else eps * u
    return _compute_numerical_jvps_wrt_specific_input(jvp_fn, u, input.is_complex())


def _get_numerical_vJu(fn, inputs, inp_indices, func_out, all_u, all_v, eps) -> list:
    reduced = []
    for inp_idx, u in zip(inp_indices, all_u):
        all_Ju = _get_numerical_jvp_wrt_specific_input(fn, inp_idx, inputs, u, eps)
        filtered = [Ju for Ju, o in zip(all_Ju, _as_tuple(func_out))
                    if _is_float_or_complex_tensor(o)]
        reduced.append([(v * Ju).sum() for v, Ju in zip(all_v, filtered)])
    return reduced


def _check_no_differentiable_outputs_fast(func, all_inputs, inputs_indices, all_u, eps,
                                          nondet_tol) -> bool:
    for inp_idx, u in zip(inputs_indices, all_u):
        for jvp in _get_numerical_jvp_wrt_specific_input(func, inp_idx, all_inputs, u, eps):
            if jvp.numel() != 0 and (jvp - tl.zeros_like(jvp)).abs().max() > nondet_tol:
                raise GradcheckError("Numerical gradient for function expected to be zero")
    return True


def _get_analytical_vJu_backward_mode(inputs, outputs, nondet_tol, check_grad_dtypes, all_v,
                                      all_u) -> list:
    reduced = []
    for output, v in zip(outputs, all_v):
        all_vJ = _check_analytical_jacobian_attributes(inputs, output, nondet_tol,
                                                       check_grad_dtypes, fast_mode=True, v=v)
        scalars = []
        for vJ, u in zip(all_vJ, all_u):
            vJ = vJ.T.squeeze(0)
            if vJ.is_complex():  # C -> R
                tv = tl.view_as_real(vJ.resolve_conj())
                scalars.append(tv.select(-1, 0).dot(u[0]) + 1j * tv.select(-1, 1).dot(u[1]))
            else:
                scalars.append(vJ.dot(u))
        reduced.append(scalars)
    return reduced


def _run_slow_mode_and_get_error(func, tupled_inputs, outputs, input_idx, output_idx, rtol, atol,
                                 eps) -> str:
    slow_numerical = _get_numerical_jacobian(func, tupled_inputs, outputs,
                                             eps=eps)[input_idx][output_idx]
    slow_analytical = _check_analytical_jacobian_attributes(
        tupled_inputs, outputs[output_idx], float("inf"), False)[input_idx]
    slow_max_diff = (slow_numerical - slow_analytical).abs().max()
    msg = ("\nThe above quantities relating the numerical and analytical jacobians are computed "
           "\nin fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more "
           "background \nabout fast mode. Below, we recompute numerical and analytical jacobians "
           f"in slow mode:\n\nNumerical:\n {slow_numerical}\nAnalytical:\n{slow_analytical}\n\n"
           f"The max per-element difference (slow mode) is: {slow_max_diff}.\n")
    if tl.allclose(slow_analytical, slow_numerical, rtol, atol):
        msg += FAST_FAIL_SLOW_OK_MSG  # slow gradcheck would have passed
    return msg


def _fast_gradcheck(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes,
                    nondet_tol, *, complex_indices=None, test_imag=False, masked=False) -> bool:
    inp_idx = [i for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]
    all_v, all_u = _make_vectors([inputs[i] for i in inp_idx], outputs)
    numerical_vJu = _get_numerical_vJu(func, inputs, inp_idx, func_out, all_u, all_v, eps)
    if not outputs:
        _check_no_differentiable_outputs_fast(func, inputs, inp_idx, all_u, eps, nondet_tol)
    analytical_vJu = _get_analytical_vJu_backward_mode(inputs, outputs, nondet_tol,
                                                       check_grad_dtypes, all_v, all_u)
    for i, numerical_i in enumerate(numerical_vJu):
        for j, n in enumerate(numerical_i):
            a = analytical_vJu[j][i]
            updated_atol = _adjusted_atol(atol, all_u[i], all_v[j] if all_v else None)
            if not _allclose_with_type_promotion(a, n.to(a.device), rtol, updated_atol):
                jacobians_str = _run_slow_mode_and_get_error(func, inputs, outputs, i, j, rtol,
                                                             atol, eps)
                raise GradcheckError(_get_notallclose_msg(a, n, j, i, complex_indices,
                                                          test_imag) + jacobians_str)
    return True


# ---- the public checks -----------------------------------------------------------------------

def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check backward's gradients of `func` at `inputs` against finite differences."""
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad "
                             "to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to "
                             "be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires "
                             "check_forward_ad to be True")
    for flag in ("check_forward_ad", "check_batched_grad", "check_batched_forward_grad"):
        if locals()[flag]:
            raise NotImplementedError(f"torch.autograd.gradcheck({flag}=True) is not "
                                      "implemented in torchlike (no forward-mode AD or vmap)")
    try:
        return _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol,
                                 check_undefined_grad, check_grad_dtypes, fast_mode, masked)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
                      check_grad_dtypes, fast_mode, masked) -> bool:
    tupled_inputs = _as_tuple(inputs)
    _check_inputs(tupled_inputs)
    func_out = func(*tupled_inputs)
    outputs = _differentiable_outputs(func_out)
    gradcheck_fn = functools.partial(_fast_gradcheck if fast_mode else _slow_gradcheck,
                                     masked=masked)
    _gradcheck_real_imag(gradcheck_fn, func, func_out, tupled_inputs, outputs, eps, rtol, atol,
                         check_grad_dtypes, nondet_tol)
    _test_backward_mul_by_grad_output(outputs, tupled_inputs, masked)
    if check_undefined_grad:
        _test_undefined_backward_mode(func, outputs, tupled_inputs)
    return True


def _random_grad_output(x, noncontiguous: bool):
    """torch.testing.make_tensor(x.shape, low=-1, high=1, requires_grad=True) as gradgradcheck
    calls it: uniform_(-1, 1) from the global generator (torch's numbers)."""
    dtype = x.dtype if x.is_floating_point() or x.is_complex() else tl.float64
    shape = tuple(x.shape)
    noncontiguous = noncontiguous and x.numel() > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])
    result = tl.empty(shape, dtype=dtype, device=x.device)
    (tl.view_as_real(result) if dtype.is_complex else result).uniform_(-1, 1)
    if noncontiguous:
        result = result[..., 1::2]
    result.requires_grad = True
    return result


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """gradcheck of the gradients of `func` (autograd.grad with create_graph=True)."""
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev "
                             "to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to "
                             "be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to "
                             "be True")
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _differentiable_outputs(func(*tupled_inputs))
        tupled_grad_outputs = tuple(_random_grad_output(x, gen_non_contig_grad_outputs)
                                    for x in outputs)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    num_outputs = len(tupled_grad_outputs)
    # gradcheck detaches nothing here, but keep torch's bookkeeping of what required grad
    diff_input_args_indices = {i for i, x in enumerate(tupled_inputs)
                               if _is_tensor(x) and x.requires_grad}
    diff_grad_output_indices = {i for i, x in enumerate(tupled_grad_outputs) if x.requires_grad}

    def new_func(*args):
        input_args = tuple(x.requires_grad_() if i in diff_input_args_indices else x
                           for i, x in enumerate(args[:-num_outputs]))
        outputs = _differentiable_outputs(func(*input_args))
        grad_outputs = tuple(x.requires_grad_() if i in diff_grad_output_indices else x
                             for i, x in enumerate(args[-num_outputs:]))
        diff_input_args = tuple(x for i, x in enumerate(input_args)
                                if i in diff_input_args_indices)
        grad_inputs = tl.autograd.grad(outputs, diff_input_args, grad_outputs,
                                       create_graph=True, allow_unused=True)
        return tuple(g for g in grad_inputs if g is not None)

    return gradcheck(new_func, tupled_inputs + tupled_grad_outputs, eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     fast_mode=fast_mode, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev, masked=masked)


__getattr__ = _missing("torch.autograd.gradcheck")  # names torchlike lacks: NotImplementedError
