"""Tensor printing that matches PyTorch's ``repr(tensor)`` character for character.

The algorithm mirrors ``torch/_tensor_str.py`` (PyTorch 2.13) but works from a numpy
array of the tensor's values, so it only needs numpy, ml_dtypes and the stdlib.
"""

import contextlib
import dataclasses
import math

import numpy as np

try:
    import ml_dtypes
except ImportError:  # bfloat16 support is optional; float dtypes still print fine
    ml_dtypes = None

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "format_tensor"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set printing options; same semantics as ``torch.set_printoptions``."""
    # Like torch: an unknown profile is silently ignored, and explicit options
    # override the profile's values.
    for name, value in _PROFILES.get(profile, {}).items():
        setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    # torch always overwrites sci_mode, so omitting it resets it to automatic.
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """Return the current options as a dict accepted by ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


class printoptions(contextlib.ContextDecorator):
    """Context manager (or decorator) that temporarily changes the print options."""

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._saved = []  # a stack, so one instance may be entered re-entrantly

    def __enter__(self):
        self._saved.append(get_printoptions())
        set_printoptions(**self._kwargs)

    def __exit__(self, *exc_info):
        set_printoptions(**self._saved.pop())
        return False


# ---------------------------------------------------------------------------------
# Element formatting


class _Formatter:
    """Chooses one notation and column width for a set of values (torch's _Formatter).

    ``values`` is a flat array of python-ready numbers: float64 for floating dtypes
    (every narrower float converts to it exactly, which is what torch's ``.item()``
    yields too), int64 or bool otherwise.
    """

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        if not floating:
            for value in values.tolist():
                self.max_width = max(self.max_width, len(str(value)))
            return

        finite = values[np.isfinite(values) & (values != 0)]
        if finite.size == 0:
            # Only zeros / non-finite values: keep the defaults, even if sci_mode is forced.
            return

        magnitudes = np.abs(finite)
        lo, hi = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if PRINT_OPTS.sci_mode is None:
            with np.errstate(over="ignore"):  # e.g. 1e300 / 1e-300 is inf, as in torch
                self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        precision = PRINT_OPTS.precision
        for value in finite.tolist():
            if self.sci_mode:
                width = len(f"{value:.{precision}e}")
            elif self.int_mode:
                width = len(f"{value:.0f}") + 1  # room for the trailing "."
            else:
                width = len(f"{value:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def width(self):
        return self.max_width

    def format(self, value):
        """Format one python scalar, right-aligned to the common width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            # The "." marks integral values as floats; nan and inf need no marker.
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.max_width)


def _element_str(value, real_fmt, imag_fmt):
    """Format one element; complex values use one formatter per component."""
    if imag_fmt is None:
        return real_fmt.format(value)
    real = real_fmt.format(value.real)
    imag = (imag_fmt.format(value.imag) + "j").lstrip()
    # The imaginary part carries its own sign when negative (or -0.).
    if imag[0] in "+-":
        return real + imag
    return real + "+" + imag


# ---------------------------------------------------------------------------------
# Layout


def _summarized_data(arr):
    """The values that remain visible after summarization (torch's get_summarized_data)."""
    edge = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if not edge:
        # torch keeps a whole 1-D tensor here (its ``self[-0:]`` selects everything),
        # while higher-dimensional ones collapse to nothing.
        return arr if arr.ndim == 1 else arr[(slice(0, 0),) * arr.ndim]
    # Keeping edge items along every axis independently equals torch's recursion.
    for axis, size in enumerate(arr.shape):
        if size > 2 * edge:
            keep = np.r_[0:edge, size - edge:size]
            arr = np.take(arr, keep, axis=axis)
    return arr


def _vector_str(arr, indent, summarize, real_fmt, imag_fmt):
    # Each element takes its width plus ", "; complex adds the imaginary width and "j".
    element_length = real_fmt.width() + 2
    if imag_fmt is not None:
        element_length += imag_fmt.width() + 1
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    def fmt(values):
        return [_element_str(v, real_fmt, imag_fmt) for v in values.tolist()]

    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * edge:
        # " ..." is treated as an ordinary element when wrapping lines.
        data = fmt(arr[:edge]) + [" ..."] + fmt(arr[-edge:])
    else:
        data = fmt(arr)

    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(arr, indent, summarize, real_fmt, imag_fmt):
    if arr.ndim == 0:
        return _element_str(arr.item(), real_fmt, imag_fmt)
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, real_fmt, imag_fmt)

    size, edge = arr.shape[0], PRINT_OPTS.edgeitems

    def sub(rows):
        return [_nested_str(arr[i], indent + 1, summarize, real_fmt, imag_fmt) for i in rows]

    if summarize and size > 2 * edge:
        slices = sub(range(edge)) + ["..."] + sub(range(size - edge, size))
    else:
        slices = sub(range(size))
    # Blocks of a k-D tensor are separated by k-2 blank lines.
    separator = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(slices) + "]"


def _tensor_str(arr, indent, kind):
    """Body of a non-empty tensor; ``kind`` is "float", "complex" or "int"."""
    summarize = arr.size > PRINT_OPTS.threshold
    visible = _summarized_data(arr) if summarize else arr
    if kind == "complex":
        real_fmt = _Formatter(visible.real.reshape(-1), floating=True)
        imag_fmt = _Formatter(visible.imag.reshape(-1), floating=True)
    else:
        real_fmt = _Formatter(visible.reshape(-1), floating=kind == "float")
        imag_fmt = None
    return _nested_str(arr, indent, summarize, real_fmt, imag_fmt)


def _add_suffixes(text, suffixes, indent):
    """Append ``, suffix`` items, wrapping onto new lines past the line width."""
    parts = [text]
    # Kept exactly as torch computes it (it over-counts the last line by two).
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


# ---------------------------------------------------------------------------------
# Public entry point

_FLOAT_DTYPES = {
    "float16": np.float16,
    "bfloat16": ml_dtypes.bfloat16 if ml_dtypes is not None else None,
    "float32": np.float32,
    "float64": np.float64,
}
_COMPLEX_DTYPES = {"complex64": np.complex64, "complex128": np.complex128}


def _prepare(values, dtype_name):
    """Return (array of python-ready values, kind) for the given torch dtype name."""
    arr = np.asarray(values)
    if dtype_name in _FLOAT_DTYPES:
        # Round to the named dtype first (a no-op when it already matches), then widen
        # exactly to float64, just as torch's ``.item()`` hands python the stored value.
        if _FLOAT_DTYPES[dtype_name] is not None:
            arr = arr.astype(_FLOAT_DTYPES[dtype_name], copy=False)
        return arr.astype(np.float64), "float"
    if dtype_name in _COMPLEX_DTYPES:
        arr = arr.astype(_COMPLEX_DTYPES[dtype_name], copy=False)
        return arr.astype(np.complex128), "complex"
    if dtype_name == "bool":
        return arr.astype(np.bool_, copy=False), "int"
    return arr, "int"


def format_tensor(values, dtype_name, *, device="cpu", grad_fn_name=None,
                  requires_grad=False, default_dtype_name="float32", prefix="tensor(",
                  meta=False):
    """Return what ``repr(tensor)`` prints in PyTorch for a tensor holding ``values`` (for a
    meta tensor, ``meta=True``: ``values`` is its shape)."""
    indent = len(prefix)
    suffixes = []
    if device != "cpu":
        suffixes.append(f"device='{device}'")

    default_complex = "complex128" if default_dtype_name == "float64" else "complex64"
    dtype_suffix = f"dtype=torch.{dtype_name}"
    if meta:  # torch: the size, and the dtype unless it is the default float dtype
        suffixes.append(f"size={tuple(values)}")
        if dtype_name != default_dtype_name:
            suffixes.append(dtype_suffix)
        body = "..."
    else:
        arr, kind = _prepare(values, dtype_name)
        size_suffix = f"size={tuple(int(n) for n in arr.shape)}"
        if arr.size == 0:
            # Nothing to infer the dtype from, so only the default float dtype is implicit.
            body = "[]"
            if arr.ndim != 1:
                suffixes.append(size_suffix)
            if dtype_name != default_dtype_name:
                suffixes.append(dtype_suffix)
        else:
            if not PRINT_OPTS.edgeitems:
                suffixes.append(size_suffix)
            if dtype_name not in (default_dtype_name, default_complex, "int64", "bool"):
                suffixes.append(dtype_suffix)
            body = _tensor_str(arr, indent, kind)

    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
