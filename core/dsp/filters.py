"""Border-aware 1-D filters and peak picking, bit for bit as ``scipy.ndimage`` /
``scipy.signal`` compute them for the arguments the bake uses: :func:`correlate1d`,
:func:`uniform_filter1d` and :func:`maximum_filter1d` (float64 line buffers, ``NI_ExtendLine``
borders in modes reflect / nearest / mirror / wrap / constant), the first-order
:func:`lfilter` (scipy's direct-form-II-transposed step, in order) and :func:`find_peaks`
(``height`` and/or ``distance``). Numpy only; re-exported by :mod:`talkrig.core.dsp`.
"""
from __future__ import annotations

import math

import numpy as np

_MODES = ("reflect", "nearest", "mirror", "wrap", "constant")


# --------------------------------------------------------------------------- borders

def _check_mode(mode: str) -> str:
    if mode == "grid-constant":
        return "constant"
    if mode == "grid-mirror":
        return "reflect"
    if mode == "grid-wrap":
        return "wrap"
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    return mode


def _extended(x: np.ndarray, before: int, after: int, mode: str, cval: float) -> np.ndarray:
    """``x`` [..., n] (float64) extended along its last axis like ``NI_ExtendLine``."""
    n = x.shape[-1]
    if before == 0 and after == 0:
        return x
    if mode == "constant":
        pad = [(0, 0)] * (x.ndim - 1) + [(before, after)]
        return np.pad(x, pad, mode="constant", constant_values=cval)
    i = np.arange(-before, n + after)
    if mode == "nearest" or (mode == "mirror" and n == 1):
        i = np.clip(i, 0, n - 1)
    elif mode == "reflect":             # d c b a | a b c d | d c b a, period 2n
        i = i % (2 * n)
        i = np.where(i >= n, 2 * n - 1 - i, i)
    elif mode == "mirror":              # c b | a b c d | c b, period 2n - 2
        p = 2 * n - 2
        i = i % p
        i = np.where(i >= n, p - i, i)
    else:                               # wrap
        i = i % n
    return x[..., i]


def _lines(x, axis: int):
    """float64 copy-free view of ``x`` with ``axis`` last, and that axis (normalised)."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"real input expected, got dtype {x.dtype}")
    axis = axis % x.ndim if x.ndim else 0
    return np.moveaxis(x.astype(np.float64, copy=False), axis, -1), axis


def _finish(out64: np.ndarray, axis: int, dtype) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(out64, -1, axis).astype(dtype, copy=False))


def _sizes(size: int, origin: int) -> tuple[int, int]:
    size = int(size)
    if size < 1:
        raise RuntimeError("incorrect filter size")
    size1 = size // 2
    if size1 + origin < 0 or size1 + origin >= size:
        raise ValueError("invalid origin")
    return size1 + origin, size - size1 - 1 - origin


# --------------------------------------------------------------------------- ndimage

def correlate1d(x, weights, axis: int = -1, mode: str = "reflect", cval: float = 0.0,
                origin: int = 0) -> np.ndarray:
    """``scipy.ndimage.correlate1d(x, weights, axis, mode=mode, cval=cval, origin=origin)``.

    Real input; the output has the input's dtype.
    """
    x = np.asarray(x)
    if x.ndim == 0:
        raise RuntimeError("input must be at least 1-D")
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.size < 1:
        raise RuntimeError("no filter weights given")
    mode = _check_mode(mode)
    xl, ax = _lines(x, axis)
    n = xl.shape[-1]
    fs = w.size
    s1 = fs // 2
    s2 = fs - s1 - 1
    before, after = _sizes(fs, origin)
    e = _extended(xl, before, after, mode, float(cval))
    symmetric = 0
    if fs & 1:
        symmetric = 1
        for i in range(1, s1 + 1):
            if abs(w[i + s1] - w[s1 - i]) > np.finfo(np.float64).eps:
                symmetric = 0
                break
        if symmetric == 0:
            symmetric = -1
            for i in range(1, s1 + 1):
                if abs(w[s1 + i] + w[s1 - i]) > np.finfo(np.float64).eps:
                    symmetric = 0
                    break

    def tap(j):                           # iline[j] for every output position
        return e[..., s1 + j:s1 + j + n]

    if symmetric:
        out = tap(0) * w[s1]
        tmp = np.empty_like(out)
        for j in range(-s1, 0):
            if symmetric > 0:
                np.add(tap(j), tap(-j), out=tmp)
                tmp *= w[s1 + j]
                out += tmp
            else:
                np.subtract(tap(j), tap(-j), out=tmp)
                tmp *= w[s1 + j]
                out += tmp
    else:
        out = tap(s2) * w[s1 + s2]
        for j in range(-s1, s2):
            out += tap(j) * w[s1 + j]
    return _finish(out, ax, x.dtype)


def _filter_setup(x, size, axis, mode, origin):
    """Common start of the 1-D filters: (x, mode, size, lines, axis, before, after), with
    scipy's checks (at least 1-D, a known border mode, normalised)."""
    x = np.asarray(x)
    if x.ndim == 0:
        raise RuntimeError("input must be at least 1-D")
    mode = _check_mode(mode)
    size = int(size)
    xl, ax = _lines(x, axis)
    before, after = _sizes(size, origin)
    return x, mode, size, xl, ax, before, after


def uniform_filter1d(x, size: int, axis: int = -1, mode: str = "reflect",
                     cval: float = 0.0, origin: int = 0) -> np.ndarray:
    """``scipy.ndimage.uniform_filter1d(x, size, axis, mode=mode, cval=cval, origin=origin)``.

    scipy keeps a running sum ``tmp += in[i + size] - in[i]`` (started by a sequential sum
    of the first window) and writes ``tmp / size``; ``np.cumsum`` adds in the same order.
    """
    x, mode, size, xl, ax, before, after = _filter_setup(x, size, axis, mode, origin)
    n = xl.shape[-1]
    if n == 0:
        return x.copy()
    e = _extended(xl, before, after, mode, float(cval))
    seq = np.empty(xl.shape[:-1] + (1 + size + n - 1,), np.float64)
    seq[..., 0] = 0.0
    seq[..., 1:size + 1] = e[..., :size]
    np.subtract(e[..., size:size + n - 1], e[..., :n - 1], out=seq[..., size + 1:])
    np.cumsum(seq, axis=-1, out=seq)
    out = seq[..., size:]
    out /= float(size)
    return _finish(out, ax, x.dtype)


def maximum_filter1d(x, size: int, axis: int = -1, mode: str = "reflect",
                     cval: float = 0.0, origin: int = 0) -> np.ndarray:
    """``scipy.ndimage.maximum_filter1d(x, size, axis, mode=mode, cval=cval, origin=origin)``
    for real, NaN-free input (a maximum is exact, so any evaluation order agrees)."""
    x, mode, size, xl, ax, before, after = _filter_setup(x, size, axis, mode, origin)
    if xl.shape[-1] == 0:
        return x.copy()
    e = _extended(xl, before, after, mode, float(cval))
    if size == 1:
        out = e
    else:
        out = np.lib.stride_tricks.sliding_window_view(e, size, axis=-1).max(axis=-1)
    return _finish(out, ax, x.dtype)


# --------------------------------------------------------------------------- signal

def lfilter(b, a, x, axis: int = -1, zi=None):
    """``scipy.signal.lfilter(b, a, x, axis, zi)`` for a first-order float64 filter.

    ``len(a) == 2`` and ``len(b) <= 2``. Each step is scipy's ``y = z + b0 x;
    z = x b1 - y a1`` (coefficients divided by ``a[0]`` first), in the same order.
    Returns ``y``, or ``(y, zf)`` when ``zi`` is given, like scipy.
    """
    b = np.atleast_1d(np.asarray(b, dtype=np.float64)).copy()
    a = np.atleast_1d(np.asarray(a, dtype=np.float64)).copy()
    if a.ndim != 1 or b.ndim != 1 or a.size != 2 or not 1 <= b.size <= 2:
        raise NotImplementedError("dsp.lfilter handles first-order filters "
                                  "(len(a) == 2, len(b) <= 2) only")
    x = np.asarray(x)
    if x.dtype.kind not in "biuf" or x.dtype == np.float32 or x.dtype.itemsize > 8:
        raise NotImplementedError(f"dsp.lfilter computes in float64, got dtype {x.dtype}")
    if a[0] == 0:
        raise ValueError("BUG: filter coefficient a[0] == 0 not supported yet")
    x = np.asarray(x, dtype=np.float64)
    ax = axis % x.ndim
    b = np.concatenate([b, np.zeros(2 - b.size)])
    a0 = a[0]
    b = b / a0
    a = a / a0
    b0, b1, a1 = float(b[0]), float(b[1]), float(a[1])
    xl = np.moveaxis(x, ax, -1)
    lines_shape = xl.shape[:-1]
    n = xl.shape[-1]
    xs = xl.reshape(int(np.prod(lines_shape, dtype=np.int64)), n)
    n_lines = xs.shape[0]
    if zi is None:
        z0 = np.zeros(n_lines)
    else:
        zi_arr = np.asarray(zi, dtype=np.float64)
        want = list(x.shape)
        want[ax] = 1
        if zi_arr.ndim != x.ndim:
            raise ValueError(f"zi must have {x.ndim} dimensions, got shape {zi_arr.shape}")
        z0 = np.moveaxis(np.broadcast_to(zi_arr, want), ax, -1).reshape(-1).copy()
    y = np.empty((n_lines, n))
    if n_lines <= 16:
        zf = np.empty(n_lines)
        for r in range(n_lines):
            z = float(z0[r])
            row = []
            append = row.append
            for xn in xs[r].tolist():
                yn = z + b0 * xn
                z = xn * b1 - yn * a1
                append(yn)
            y[r] = row
            zf[r] = z
    else:
        z = z0
        for k in range(n):
            xn = xs[:, k]
            yn = z + b0 * xn
            z = xn * b1 - yn * a1
            y[:, k] = yn
        zf = z
    y = np.moveaxis(y.reshape(lines_shape + (n,)), -1, ax)
    if zi is None:
        return y
    return y, np.moveaxis(zf.reshape(lines_shape + (1,)), -1, ax)


def find_peaks(x, height=None, distance=None):
    """``scipy.signal.find_peaks(x, height=height, distance=distance)`` (scalar ``height``
    = lower bound, or a ``(min, max)`` pair of scalars / None).

    Local maxima as scipy's ``_local_maxima_1d`` finds them (a plateau counts once, at its
    middle, rounded down; not at either end of ``x``), then the height test, then scipy's
    distance pruning (strongest first, in ``np.argsort`` order of the heights).
    """
    x = np.asarray(x, dtype=np.float64, order="C")
    if x.ndim != 1:
        raise ValueError("`x` must be a 1-D array")
    if distance is not None and distance < 1:
        raise ValueError("`distance` must be greater or equal to 1")
    n = x.size
    if n >= 3:
        change = np.flatnonzero(x[1:] != x[:-1]) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change - 1, [n - 1]])
        ok = (starts >= 1) & (ends <= n - 2)
        s, e = starts[ok], ends[ok]
        ok = (x[s - 1] < x[s]) & (x[e + 1] < x[s])
        peaks = ((s[ok] + e[ok]) // 2).astype(np.intp)
    else:
        peaks = np.zeros(0, np.intp)
    properties = {}
    if height is not None:
        heights = x[peaks]
        if isinstance(height, (tuple, list)) and len(height) == 2:
            hmin, hmax = height
        else:
            hmin, hmax = height, None
        keep = np.ones(heights.size, dtype=bool)
        if hmin is not None:
            keep &= (hmin <= heights)
        if hmax is not None:
            keep &= (heights <= hmax)
        peaks = peaks[keep]
        properties["peak_heights"] = heights[keep]
    if distance is not None:
        dist = int(math.ceil(distance))
        priority = np.ascontiguousarray(x[peaks])
        order = np.argsort(priority).tolist()
        pos = peaks.tolist()
        m = len(pos)
        keep = [True] * m
        for i in range(m - 1, -1, -1):
            j = order[i]
            if not keep[j]:
                continue
            k = j - 1
            while 0 <= k and pos[j] - pos[k] < dist:
                keep[k] = False
                k -= 1
            k = j + 1
            while k < m and pos[k] - pos[j] < dist:
                keep[k] = False
                k += 1
        keep = np.array(keep, dtype=bool)
        peaks = peaks[keep]
        properties = {key: arr[keep] for key, arr in properties.items()}
    return peaks, properties
