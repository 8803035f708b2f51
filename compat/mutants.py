"""Planted bugs: does the suite catch them?

    python compat/mutants.py            # every mutant
    python compat/mutants.py NAME ...   # only these
    python compat/mutants.py --list

Each mutant is a small, plausible bug (a dropped argument, a wrong constant, an off-by-one)
written into a copy of the repository; the test files named with it then run against that
copy. A mutant the tests pass is reported SURVIVED: a bug a user could meet that nothing
compares with torch. Run it after touching an area, and add a mutant with every kind of bug
a test was written to catch. Exit status 1 when a mutant survives or no longer applies.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name: (file, text, replacement, test files)
MUTANTS = {
    "padded_run_cuts_the_wrong_end": (
        "torchlike/ops/_registry.py",
        "    out = np.asarray(k.jit(_device.upload(padded), *args[1:]))[:n]",
        "    out = np.asarray(k.jit(_device.upload(padded), *args[1:]))[size - n:]",
        ["tests/test_cold_paths.py"]),
    "formula_reads_written_operand": (
        "torchlike/autograd/graph.py",
        "            if t is not None and t._data is not a:",
        "            if False:",
        ["compat/test_double_backward.py"]),
    "leaves_accumulate_last": (
        "torchlike/autograd/engine.py",
        "        for node in _torch_schedule(order):",
        "        for node in order:",
        ["compat/test_autograd.py"]),
    "multinomial_draws_before_normalising": (
        "torchlike/_random_sequential.py",
        "            cum = cum / cum[-1]\n",
        "",
        ["compat/test_creation.py"]),
    "gamma_third_in_double": (
        "torchlike/_random_sequential.py",
        "_THIRD32 = float(np.float32(1.0) / np.float32(3.0))",
        "_THIRD32 = 1.0 / 3.0",
        ["compat/test_creation.py"]),
    "double_backward_cos_sign": (
        "torchlike/autograd/formulas.py",
        "return {0: g * -xs[0].sin()}",
        "return {0: g * xs[0].sin()}",
        ["compat/test_double_backward.py"]),
    "double_backward_mean_divides_once_too_few": (
        "torchlike/autograd/formulas.py",
        "        n *= shape[i] if shape else 1",
        "        n = shape[i] if shape else 1",
        ["compat/test_double_backward.py"]),
    "smooth_l1_ignores_beta": (
        "torchlike/nn/_functional_loss.py",
        "jnp.where(a < beta, 0.5 * d * d / safe, a - 0.5 * beta)",
        "jnp.where(a < 1.0, 0.5 * d * d, a - 0.5)",
        ["compat/test_nn.py", "compat/test_nn_modules.py"]),
    "kl_div_log_target_not_exponentiated": (
        "torchlike/nn/_functional_loss.py",
        "loss = jnp.exp(t) * (t - x) if log_target",
        "loss = t * (t - x) if log_target",
        ["compat/test_nn.py", "compat/test_nn_modules.py"]),
    "bce_logits_ignores_pos_weight": (
        "torchlike/nn/_functional_loss.py",
        "ls = ls * ((pw - 1) * t + 1)",
        "ls = ls",
        ["compat/test_nn.py", "compat/test_nn_modules.py"]),
    "conv3d_ignores_dilation": (
        "torchlike/nn/_functional_conv.py",
        "    return _conv(3, input, weight, bias, stride, padding, dilation, groups)",
        "    return _conv(3, input, weight, bias, stride, padding, 1, groups)",
        ["compat/test_nn.py", "compat/test_nn_modules.py"]),
    "channel_dropout_drops_elements": (
        "torchlike/nn/functional.py",
        "out = _dropout(x, p, training, inplace, tuple(x.shape[:2]) + (1,) * (x.ndim - 2))",
        "out = _dropout(x, p, training, inplace, tuple(x.shape))",
        ["compat/test_nn.py", "compat/test_nn_modules.py"]),
    "batch_norm_momentum_swapped": (
        "torchlike/nn/_functional_norm.py",
        "return m * mean.astype(rm.dtype) + (1 - m) * rm, m * var.astype(rv.dtype) + (1 - m) * rv",
        "return (1 - m) * mean.astype(rm.dtype) + m * rm, m * var.astype(rv.dtype) + (1 - m) * rv",
        ["compat/test_nn.py", "compat/test_nn_modules.py"]),
    "adam_without_bias_correction": (
        "torchlike/optim/adam.py",
        "step_size = lr / (1 - beta1 ** step)",
        "step_size = lr",
        ["compat/test_examples.py", "compat/test_nn.py"]),
    "sgd_ignores_dampening": (
        "torchlike/optim/sgd.py",
        "b * momentum.astype(dt) + (1 - dampening).astype(dt) * g",
        "b * momentum.astype(dt) + g",
        ["compat/test_nn.py"]),
    "sgd_without_nesterov": (
        "torchlike/optim/sgd.py",
        "g = g + momentum.astype(dt) * b if nesterov else b",
        "g = b",
        ["compat/test_nn.py"]),
    "clip_grad_norm_inf_is_a_sum": (
        "torchlike/nn/utils/clip_grad.py",
        "        return jnp.max(a)\n",
        "        return jnp.sum(a)\n",
        ["compat/test_nn.py", "compat/test_init_clip_schedulers_data.py"]),
    "clip_grad_norm_scales_up": (
        "torchlike/nn/utils/clip_grad.py",
        "coef = jnp.minimum(max_norm / (total + 1e-6), 1.0)",
        "coef = (max_norm / (total + 1e-6))",
        ["compat/test_nn.py", "compat/test_init_clip_schedulers_data.py"]),
    "step_lr_off_by_one": (
        "torchlike/optim/lr_scheduler.py",
        "base * self.gamma ** (self.last_epoch // self.step_size)",
        "base * self.gamma ** ((self.last_epoch + 1) // self.step_size)",
        ["compat/test_nn.py", "compat/test_init_clip_schedulers_data.py"]),
    "concat_dataset_boundary": (
        "torchlike/utils/data/dataset.py",
        "i = bisect.bisect_right(self.cumulative_sizes, idx)",
        "i = bisect.bisect_left(self.cumulative_sizes, idx)",
        ["compat/test_init_clip_schedulers_data.py", "compat/test_samplers.py"]),
    "nadam_ignores_momentum_decay": (
        "torchlike/optim/nadam.py",
        "mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))",
        "mu = beta1 * (1.0 - 0.5 * 0.96 ** step)",
        ["compat/test_optim_trajectories.py"]),
    "radam_rectifies_too_early": (
        "torchlike/optim/radam.py",
        "jnp.where(rho_t > 5.0, rectified,",
        "jnp.where(rho_t > 4.0, rectified,",
        ["compat/test_optim_trajectories.py"]),
    "lbfgs_history_one_longer": (
        "torchlike/optim/lbfgs.py",
        "if len(old_dirs) == history_size:",
        "if len(old_dirs) == history_size + 1:",
        ["compat/test_optim_trajectories.py"]),
    "swa_average_off_by_one": (
        "torchlike/optim/swa_utils.py",
        "return averaged_param + (current_param - averaged_param) / (num_averaged + 1)",
        "return averaged_param + (current_param - averaged_param) / (num_averaged + 2)",
        ["compat/test_lr_schedulers.py"]),
    "pad_packed_ignores_padding_value": (
        "torchlike/nn/utils/rnn.py",
        "output = full((steps, batch, *data.shape[1:]), padding_value, dtype=data.dtype,",
        "output = full((steps, batch, *data.shape[1:]), 0.0, dtype=data.dtype,",
        ["compat/test_nn_rnn_packed.py"]),
    "l1_prune_keeps_smallest": (
        "torchlike/nn/utils/prune.py",
        "tl.abs(t).view(-1), k=k, largest=False).indices)",
        "tl.abs(t).view(-1), k=k, largest=True).indices)",
        ["compat/test_nn_utils_prune.py", "compat/test_nn_utils_parametrize.py"]),
    "complex_number_is_complex64_under_float64": (
        "torchlike/_dtype.py",
        "return complex128 if get_default_dtype() is float64 else complex64",
        "return complex64",
        ["compat/test_dtypes.py"]),
}


def _copy_tree(dst: str) -> None:
    shutil.copytree(ROOT, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "__pycache__", "*.egg-info", ".pytest_cache", ".verified.json*"))


def _run_tests(copy: str, tests: list) -> tuple:
    env = dict(os.environ, PYTHONPATH=copy)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-o", "addopts=",
                           "-p", "no:cacheprovider", *tests], cwd=copy, env=env,
                          capture_output=True, text=True)
    return proc.returncode, proc.stdout


def main(argv: list) -> int:
    if "--list" in argv:
        print("\n".join(MUTANTS))
        return 0
    unknown = [a for a in argv if a not in MUTANTS]
    if unknown:
        print(f"unknown mutants: {', '.join(unknown)}", file=sys.stderr)
        return 2
    names = argv or list(MUTANTS)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="torchlike-mutants-") as copy:
        _copy_tree(copy)
        check = subprocess.run(
            [sys.executable, "-c", "import torchlike; print(torchlike.__file__)"], cwd=copy,
            env=dict(os.environ, PYTHONPATH=copy), capture_output=True, text=True).stdout.strip()
        assert check.startswith(copy), f"the copy's torchlike is not the one imported: {check}"
        for name in names:
            path, text, replacement, tests = MUTANTS[name]
            target = os.path.join(copy, path)
            with open(target) as f:
                source = f.read()
            tests = [t for t in tests if os.path.exists(os.path.join(copy, t))]
            if source.count(text) != 1 or not tests:
                print(f"STALE     {name}: the text to replace is not in {path} exactly once, "
                      "or its test files are gone")
                bad += 1
                continue
            with open(target, "w") as f:
                f.write(source.replace(text, replacement))
            start = time.perf_counter()
            try:
                rc, out = _run_tests(copy, tests)
            finally:
                with open(target, "w") as f:
                    f.write(source)
            took = time.perf_counter() - start
            if rc == 0:
                bad += 1
                print(f"SURVIVED  {name} ({took:.0f} s): {' '.join(tests)} pass with it")
            else:
                failed = [ln for ln in out.splitlines() if ln.startswith(("FAILED", "ERROR"))]
                print(f"caught    {name} ({took:.0f} s): {failed[0] if failed else f'rc {rc}'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
