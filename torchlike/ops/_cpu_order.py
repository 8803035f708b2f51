"""Which of several equal elements torch's CPU kernels pick: their algorithms replayed on the
host. The order of ties is an accident of the algorithm (libstdc++'s introsort, introselect
and heap-based partial_sort; TH's Sedgewick quickselect for kthvalue), so matching torch means
running the same steps. Rows whose answer does not depend on the algorithm (no ties where they
matter) take a numpy stable sort; only the others are replayed, in Python.

Each replay permutes `a`, a list of element ids (positions along the row), comparing them
through `lt(i, j)` on ids; the moves follow libstdc++ 13 (bits/stl_algo.h, stl_heap.h) step
by step, since a different but equally valid sequence would order ties differently.
"""
from __future__ import annotations

import numpy as np

_THRESHOLD = 16   # libstdc++'s _S_threshold


def _lg(n):
    return n.bit_length() - 1


# ---- heaps (stl_heap.h) --------------------------------------------------------------------
def _push_heap(a, first, hole, top, value, lt):
    parent = (hole - 1) // 2
    while hole > top and lt(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def _adjust_heap(a, first, hole, length, value, lt):
    top = second = hole
    while second < (length - 1) // 2:
        second = 2 * (second + 1)
        if lt(a[first + second], a[first + second - 1]):
            second -= 1
        a[first + hole] = a[first + second]
        hole = second
    if length & 1 == 0 and second == (length - 2) // 2:
        second = 2 * (second + 1)
        a[first + hole] = a[first + second - 1]
        hole = second - 1
    _push_heap(a, first, hole, top, value, lt)


def _make_heap(a, first, last, lt):
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(a, first, parent, length, a[first + parent], lt)
        if parent == 0:
            return
        parent -= 1


def _pop_heap(a, first, last, result, lt):
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value, lt)


def _heap_select(a, first, middle, last, lt):
    _make_heap(a, first, middle, lt)
    for i in range(middle, last):
        if lt(a[i], a[first]):
            _pop_heap(a, first, middle, i, lt)


def _sort_heap(a, first, last, lt):
    while last - first > 1:
        last -= 1
        _pop_heap(a, first, last, last, lt)


def partial_sort(a, first, middle, last, lt):
    """std::partial_sort."""
    _heap_select(a, first, middle, last, lt)
    _sort_heap(a, first, middle, lt)


# ---- introsort / introselect (stl_algo.h) --------------------------------------------------
def _move_median_to_first(a, result, i, j, k, lt):
    x, y, z = a[i], a[j], a[k]
    if lt(x, y):
        m = j if lt(y, z) else (k if lt(x, z) else i)
    elif lt(x, z):
        m = i
    elif lt(y, z):
        m = k
    else:
        m = j
    a[result], a[m] = a[m], a[result]


def _unguarded_partition(a, first, last, pivot, lt):
    p = a[pivot]
    while True:
        while lt(a[first], p):
            first += 1
        last -= 1
        while lt(p, a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


def _partition_pivot(a, first, last, lt):
    mid = first + (last - first) // 2
    _move_median_to_first(a, first, first + 1, mid, last - 1, lt)
    return _unguarded_partition(a, first + 1, last, first, lt)


def _linear_insert(a, last, lt, lo):
    # __unguarded_linear_insert; `lo` only guards comparators that are not strict weak orders
    val = a[last]
    nxt = last - 1
    while nxt >= lo and lt(val, a[nxt]):
        a[last] = a[nxt]
        last = nxt
        nxt -= 1
    a[last] = val


def _insertion_sort(a, first, last, lt):
    for i in range(first + 1, last):
        if lt(a[i], a[first]):
            val = a[i]
            a[first + 1:i + 1] = a[first:i]
            a[first] = val
        else:
            _linear_insert(a, i, lt, first)


def sort(a, first, last, lt):
    """std::sort."""
    if last - first < 2:
        return
    _introsort_loop(a, first, last, 2 * _lg(last - first), lt)
    if last - first > _THRESHOLD:
        _insertion_sort(a, first, first + _THRESHOLD, lt)
        for i in range(first + _THRESHOLD, last):
            _linear_insert(a, i, lt, first)
    else:
        _insertion_sort(a, first, last, lt)


def _introsort_loop(a, first, last, depth, lt):
    while last - first > _THRESHOLD:
        if depth == 0:
            partial_sort(a, first, last, last, lt)
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, lt)
        _introsort_loop(a, cut, last, depth, lt)
        last = cut


def nth_element(a, nth, lt):
    """std::nth_element over the whole list."""
    first, last = 0, len(a)
    if nth == last:
        return
    depth = 2 * _lg(last)
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, lt)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _partition_pivot(a, first, last, lt)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last, lt)


def quick_select(a, k, gt):
    """TH's quick_select_template (Sedgewick), as torch's kthvalue runs it."""
    lo, hi = 0, len(a) - 1
    while True:
        if hi <= lo:
            return
        if hi == lo + 1:
            if gt(a[lo], a[hi]):
                a[lo], a[hi] = a[hi], a[lo]
            return
        p = (lo + hi) >> 1
        a[p], a[lo + 1] = a[lo + 1], a[p]
        if gt(a[lo + 1], a[hi]):
            a[lo + 1], a[hi] = a[hi], a[lo + 1]
        if gt(a[lo], a[hi]):
            a[lo], a[hi] = a[hi], a[lo]
        if gt(a[lo + 1], a[lo]):
            a[lo + 1], a[lo] = a[lo], a[lo + 1]
        i, j, piv = lo + 1, hi, a[lo]
        while True:
            i += 1
            while gt(piv, a[i]):
                i += 1
            j -= 1
            while gt(a[j], piv):
                j -= 1
            if j < i:
                break
            a[i], a[j] = a[j], a[i]
        a[lo], a[j] = a[j], a[lo]
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


# ---- keys ----------------------------------------------------------------------------------
def ranks(x):
    """Dense ranks along the last axis of a 2-D array in torch's sort order: equal values (and
    -0.0, 0.0) share a rank, every NaN takes the top one. Also returns the stable order."""
    order = np.argsort(x, axis=-1, kind="stable")     # numpy also sorts NaN last
    s = np.take_along_axis(x, order, -1)
    new = s[:, 1:] != s[:, :-1]
    if x.dtype.kind == "f":
        new &= ~(np.isnan(s[:, 1:]) & np.isnan(s[:, :-1]))
    r = np.zeros(x.shape, np.int64)
    r[:, 1:] = np.cumsum(new, axis=-1)
    out = np.empty_like(r)
    np.put_along_axis(out, order, r, -1)
    return out, order


def replay(keys, rows, fn):
    """fn(ids, lt) on each of `rows` of the 2-D int `keys` (ids start as 0..n-1; lt compares
    keys), returning the permuted id lists."""
    out = {}
    n = keys.shape[-1]
    for r in rows:
        k = keys[r].tolist()
        a = list(range(n))
        fn(a, lambda i, j, k=k: k[i] < k[j])
        out[r] = a
    return out


def host(x):
    """A numpy copy of jax array x whose dtype numpy sorts natively (float16/bfloat16 exactly
    as float32)."""
    y = np.asarray(x)
    if y.dtype.kind not in "fiub" or (y.dtype.kind == "f" and y.itemsize < 4):
        y = y.astype(np.float32)
    return y


def along(x, dim, fn):
    """fn on the (rows, n) view of numpy x with `dim` last; its (rows, m) result put back."""
    y = np.moveaxis(x, dim, -1)
    lead = y.shape[:-1]
    out = fn(y.reshape((int(np.prod(lead)), y.shape[-1])))
    return np.moveaxis(out.reshape(lead + out.shape[-1:]), -1, dim)


def _tied(skeys, upto):
    """Rows whose keys, sorted, repeat among the first `upto` (a tie the algorithm decides)."""
    s = skeys[:, :upto]
    return np.flatnonzero(np.any(s[:, 1:] == s[:, :-1], axis=-1))


def _fill(idx, done, start=0):
    for r, a in done.items():
        idx[r] = a[start:start + idx.shape[-1]]
    return idx


def topk_indices(x, k, largest, sorted_):
    """torch's topk_impl_loop: std::partial_sort when k * 64 <= n, else std::nth_element at
    k - 1 then (sorted=True) std::sort of the first k - 1; NaN is the largest."""
    n = x.shape[-1]
    r, _ = ranks(x)
    key = -r if largest else r
    order = np.argsort(key, axis=-1, kind="stable")
    idx = order[:, :k].copy()
    if k == 0:
        return idx
    partial = k * 64 <= n
    if partial or sorted_:
        rows = _tied(np.take_along_axis(key, order, -1), k + 1)
    else:
        rows = range(x.shape[0])   # the unsorted order is the algorithm's, ties or not

    def fn(a, lt):
        if partial:
            partial_sort(a, 0, k, n, lt)
        else:
            nth_element(a, k - 1, lt)
            if sorted_:
                sort(a, 0, k - 1, lt)
    return _fill(idx, replay(key, rows, fn))


def kthvalue_indices(x, k):
    """torch's kthvalue: TH's quickselect for position k - 1 (NaN the largest)."""
    r, order = ranks(x)
    idx = order[:, k - 1:k].copy()
    chosen = np.take_along_axis(r, idx, -1)
    rows = np.flatnonzero(np.sum(r == chosen, axis=-1) > 1)
    return _fill(idx, replay(r, rows, lambda a, lt: quick_select(a, k - 1, lambda i, j: lt(j, i))),
                 k - 1)


def sort_indices(x, descending):
    """std::sort with torch's KeyValueComp (NaN the largest): sort(stable=False) on CPU for
    the dtypes x86-simd-sort does not take (float16, bfloat16, bool, 8/16-bit ints)."""
    r, _ = ranks(x)
    key = -r if descending else r
    order = np.argsort(key, axis=-1, kind="stable")
    rows = _tied(np.take_along_axis(key, order, -1), x.shape[-1])
    return _fill(order, replay(key, rows, lambda a, lt: sort(a, 0, len(a), lt)))


def mode_indices(x):
    """torch's mode_kernel_impl: std::sort by raw `<` (NaN compares false both ways, so NaNs
    land where the algorithm leaves them), then the last element of the first longest run of
    equal values."""
    n = x.shape[-1]
    _, order = ranks(x)
    idx = order[:, :1].copy()               # no repeats, no NaN: the smallest value
    s = np.take_along_axis(x, order, -1)
    rep = s[:, 1:] == s[:, :-1]
    if x.dtype.kind == "f":
        rep |= np.isnan(s[:, 1:])
    rows = np.flatnonzero(np.any(rep, axis=-1))
    vals = x if x.dtype.kind == "f" else x.astype(np.int64)
    for row in rows:
        v = vals[row].tolist()
        a = list(range(n))
        sort(a, 0, n, lambda i, j: v[i] < v[j])
        best, run = 0, 0
        for i in range(n):
            run += 1
            if i == n - 1 or v[a[i]] != v[a[i + 1]]:
                if run > best:
                    best, idx[row, 0] = run, a[i]
                run = 0
    return idx


def median_flat_index(x, ignore_nan):
    """The element torch's median()/nanmedian() (no dim) returns, as an index into the flat
    numpy x: std::nth_element at (n - 1) // 2 (over the non-NaN values for nanmedian); it
    matters only for the sign of a zero median."""
    x = x.reshape(1, -1)
    n = x.shape[-1]
    r, order = ranks(x)
    nan = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)
    if not ignore_nan and nan.any():
        return int(np.argmax(nan))
    nth = max((n - int(nan.sum()) - 1) // 2, 0)
    i = int(order[0, nth])
    if x.dtype.kind != "f" or x[0, i] != 0 or np.unique(np.signbit(x[x == 0])).size < 2:
        return i
    return replay(r, [0], lambda a, lt: nth_element(a, nth, lt))[0][nth]
