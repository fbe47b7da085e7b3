"""Numpy-only replacements for the scipy calls of the face/speech/audio bake path.

Importing ``scipy.signal`` costs most of a second (it pulls scipy.stats, interpolate,
optimize), ``scipy.ndimage`` and ``scipy.fft`` a few tenths more: far more than a short
bake. Each function here gives **bit for bit** the result of the scipy call it is named
after, for the arguments the bake uses, because it does the same floating-point
operations in the same order:

- :func:`correlate1d`, :func:`uniform_filter1d`, :func:`maximum_filter1d`:
  ``scipy.ndimage`` (line buffers in float64, the same border extension; correlate1d
  folds symmetric / antisymmetric weights like ``NI_Correlate1D``; the uniform filter
  keeps ``NI_UniformFilter1D``'s running sum, reproduced with a sequential ``cumsum``).
  Modes ``reflect``, ``nearest``, ``mirror``, ``wrap``, ``constant``.
- :func:`lfilter`: ``scipy.signal.lfilter`` for first-order filters (``len(a) == 2``,
  ``len(b) <= 2``), float64, with or without ``zi``: the direct-form-II-transposed update
  of scipy's ``_filt``, one time step after another.
- :func:`find_peaks`: ``scipy.signal.find_peaks`` with ``height`` and/or ``distance``.
- :func:`resample_poly`: ``scipy.signal.resample_poly`` with its default Kaiser (beta 5)
  window and zero padding: ``firwin`` built the same way, and the polyphase sums of
  ``upfirdn`` accumulated in scipy's order and precision (float32 for float32 input).
- :func:`rfft`, :func:`irfft`, :func:`next_fast_len`: ``scipy.fft``. numpy's FFT is not
  bit-identical to scipy's (numpy 1.26 has another pocketfft and no float32 transforms), so
  these call scipy's own compiled ``pypocketfft`` extension, loaded from its file without
  running the ``scipy.fft`` package (about 1-4 ms instead of 0.15 s). An import hook hands
  that same module object to scipy if ``scipy.fft`` is imported later (loading a pybind11
  module twice crashes CPython 3.11 at exit). Without the file, ``scipy.fft`` is imported.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import math
import os
import sys
from functools import lru_cache

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


@lru_cache(maxsize=32)
def _kaiser_lowpass(up: int, down: int) -> tuple[np.ndarray, int]:
    """``firwin(2 * half_len + 1, 1 / max(up, down), window=('kaiser', 5.0))`` (float64)
    as ``resample_poly`` designs it, and ``half_len``."""
    max_rate = max(up, down)
    f_c = 1.0 / max_rate
    half_len = 10 * max_rate
    numtaps = 2 * half_len + 1
    cutoff = np.atleast_1d(f_c) / float(1.0)
    bands = np.hstack(([0.0], cutoff)).reshape(-1, 2)
    alpha = 0.5 * (numtaps - 1)
    m = np.arange(0, numtaps) - alpha
    h = 0
    for left, right in bands:
        h += right * np.sinc(right * m)
        h -= left * np.sinc(left * m)
    h *= np.kaiser(numtaps, 5.0)
    c = np.cos(np.pi * m * 0.0)
    h /= np.sum(h * c)
    h.setflags(write=False)
    return h, half_len


def _output_len(len_h: int, in_len: int, up: int, down: int) -> int:
    """scipy.signal._upfirdn._output_len."""
    in_len_copy = in_len + (len_h + (-len_h % up)) // up - 1
    nt = in_len_copy * up
    need = nt // down
    if nt % down > 0:
        need += 1
    return need


def resample_poly(x, up: int, down: int, axis: int = 0) -> np.ndarray:
    """``scipy.signal.resample_poly(x, up, down, axis)`` (default window and padding) for
    real input; float32 input is filtered in float32, like scipy."""
    x = np.asarray(x)
    if up != int(up) or down != int(down):
        raise ValueError("up and down must be integers")
    up, down = int(up), int(down)
    if up < 1 or down < 1:
        raise ValueError("up and down must be >= 1")
    if x.dtype.kind not in "biuf":
        raise NotImplementedError(f"dsp.resample_poly handles real input, got {x.dtype}")
    g = math.gcd(up, down)
    up //= g
    down //= g
    if up == down == 1:
        return x.copy()
    ax = axis % x.ndim
    n_in = x.shape[ax]
    n_out = n_in * up
    n_out = n_out // down + bool(n_out % down)
    h64, half_len = _kaiser_lowpass(up, down)
    h_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    h = h64.astype(h_dtype)
    h *= up
    n_pre_pad = down - half_len % down
    n_post_pad = 0
    n_pre_remove = (half_len + n_pre_pad) // down
    while _output_len(len(h) + n_pre_pad + n_post_pad, n_in, up, down) < n_out + n_pre_remove:
        n_post_pad += 1
    out_t = np.result_type(h_dtype, x.dtype, np.float32)
    len_h = n_pre_pad + len(h) + n_post_pad
    hpp = (len_h + (-len_h % up)) // up                     # taps per phase
    hfull = np.zeros(hpp * up, out_t)
    hfull[n_pre_pad:n_pre_pad + len(h)] = h
    # h_trans_flip of upfirdn: row ``ph`` holds phase ph's taps, flipped
    hph = np.ascontiguousarray(hfull.reshape(-1, up).T[:, ::-1])
    xl = np.moveaxis(np.asarray(x, dtype=out_t), ax, -1)
    out_idx = np.arange(n_pre_remove, n_pre_remove + n_out, dtype=np.int64)
    xi = out_idx * down // up                               # last input sample used
    ph = out_idx * down % up
    # input index of tap k is xi - hpp + 1 + k; the padded x starts hpp - 1 zeros early
    n_pad_end = max(0, int(xi[-1]) + hpp - (hpp - 1 + n_in)) if n_out else 0
    xp = np.zeros(xl.shape[:-1] + (hpp - 1 + n_in + n_pad_end,), out_t)
    xp[..., hpp - 1:hpp - 1 + n_in] = xl
    acc = np.zeros(xl.shape[:-1] + (n_out,), out_t)
    tmp = np.empty_like(acc)
    if up <= 4:
        # outputs of one phase class read the input with a stride of ``down``
        for r in range(min(up, n_out)):
            sel = slice(r, None, up)
            i0 = int(xi[r])
            cnt = len(range(r, n_out, up))
            stop = i0 + (cnt - 1) * down + 1
            coef = hph[int(ph[r])]
            a_r, t_r = acc[..., sel], tmp[..., sel]
            for k in range(hpp):
                np.multiply(xp[..., i0 + k:stop + k:down], coef[k], out=t_r)
                a_r += t_r
            acc[..., sel] = a_r
    else:
        # output j = r + up * m reads input base[r] + m * down + k with phase ph[r]'s tap k:
        # one [m, r] grid per tap on a strided view of the input, taps added in upfirdn's
        # order (k = 0, 1, ...) so every sum rounds as scipy's does
        n_rows = -(-n_out // up)
        base = xi[:up] if n_out >= up else (np.arange(n_pre_remove, n_pre_remove + up) * down
                                            // up)
        phase = (np.arange(n_pre_remove, n_pre_remove + up) * down) % up
        width = int(base.max()) + hpp
        need = (n_rows - 1) * down + width
        if xp.shape[-1] < need:
            xp = np.concatenate([xp, np.zeros(xp.shape[:-1] + (need - xp.shape[-1],), out_t)],
                                axis=-1)
        xp = np.ascontiguousarray(xp)
        step = xp.strides[-1]
        grid = np.lib.stride_tricks.as_strided(
            xp, shape=xp.shape[:-1] + (n_rows, width), strides=xp.strides[:-1] + (down * step, step),
            writeable=False)
        coef = np.ascontiguousarray(hph[phase].T)           # [k, r]
        acc2 = np.zeros(xp.shape[:-1] + (n_rows, up), out_t)
        tmp2 = np.empty_like(acc2)
        for k in range(hpp):
            np.multiply(np.take(grid, base + k, axis=-1), coef[k], out=tmp2)
            acc2 += tmp2
        acc = acc2.reshape(xp.shape[:-1] + (n_rows * up,))[..., :n_out]
    return np.ascontiguousarray(np.moveaxis(acc, -1, ax))


# --------------------------------------------------------------------------- fft

_SCIPY_PFFT = "scipy.fft._pocketfft.pypocketfft"
_pfft = None


class _SharedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Gives a later ``import scipy.fft`` the pypocketfft module loaded here, instead of
    a second copy of the same extension (CPython 3.11 aborts at exit with two)."""

    def __init__(self, name: str, module):
        self.name, self.module = name, module

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, origin=self.module.__file__)

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        return None


def _load_pocketfft():
    """scipy's pypocketfft module, loaded without running ``scipy.fft``'s ``__init__``."""
    global _pfft
    if _pfft is not None:
        return _pfft
    mod = sys.modules.get(_SCIPY_PFFT)
    if mod is None:
        try:
            spec = importlib.machinery.PathFinder.find_spec("scipy")
            path = None
            for root in (spec.submodule_search_locations or []) if spec else []:
                for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                    cand = os.path.join(root, "fft", "_pocketfft", "pypocketfft" + suffix)
                    if os.path.isfile(cand):
                        path = cand
                        break
                if path:
                    break
            if path is None:
                raise ImportError("pypocketfft not found")
            fspec = importlib.util.spec_from_file_location(
                "_talkrig_pocketfft.pypocketfft", path)
            mod = importlib.util.module_from_spec(fspec)
            fspec.loader.exec_module(mod)
            # scipy.fft may have come in meanwhile (another thread): prefer its copy
            if _SCIPY_PFFT in sys.modules:
                mod = sys.modules[_SCIPY_PFFT]
            else:
                sys.meta_path.insert(0, _SharedModuleFinder(_SCIPY_PFFT, mod))
        except Exception:                                   # pragma: no cover
            import scipy.fft._pocketfft.pypocketfft as mod  # noqa: F811
    _pfft = mod
    return mod


def _asfarray(x) -> np.ndarray:
    """scipy.fft._pocketfft.helper._asfarray."""
    x = np.asarray(x)
    if x.dtype == np.float16:
        return np.asarray(x, np.float32)
    if x.dtype.kind not in "fc":
        return np.asarray(x, np.float64)
    dtype = x.dtype.newbyteorder("=")
    if not x.flags["ALIGNED"]:
        return np.array(x, dtype=dtype, copy=True)
    return np.asarray(x, dtype=dtype)


def _fix_shape_1d(x: np.ndarray, n: int, axis: int) -> np.ndarray:
    """scipy.fft._pocketfft.helper._fix_shape_1d."""
    if n < 1:
        raise ValueError(f"invalid number of data points ({n}) specified")
    index = [slice(None)] * x.ndim
    if x.shape[axis] >= n:
        index[axis] = slice(0, n)
        return x[tuple(index)]
    index[axis] = slice(0, x.shape[axis])
    s = list(x.shape)
    s[axis] = n
    z = np.zeros(s, x.dtype)
    z[tuple(index)] = x[tuple(index)]
    return z


def next_fast_len(target: int, real: bool = False) -> int:
    """``scipy.fft.next_fast_len(target, real)``."""
    return _load_pocketfft().good_size(int(target), bool(real))


def rfft(x, n=None, axis: int = -1) -> np.ndarray:
    """``scipy.fft.rfft(x, n, axis)`` (norm "backward", one worker)."""
    tmp = _asfarray(x)
    if not np.isrealobj(tmp):
        raise TypeError("x must be a real sequence")
    if n is not None:
        tmp = _fix_shape_1d(tmp, int(n), axis)
    elif tmp.shape[axis] < 1:
        raise ValueError(f"invalid number of data points ({tmp.shape[axis]}) specified")
    return _load_pocketfft().r2c(tmp, (axis,), True, 0, None, 1)


def irfft(x, n=None, axis: int = -1) -> np.ndarray:
    """``scipy.fft.irfft(x, n, axis)`` (norm "backward", one worker)."""
    tmp = _asfarray(x)
    if np.isrealobj(tmp):
        tmp = tmp + 0.j
    if n is None:
        n = (tmp.shape[axis] - 1) * 2
        if n < 1:
            raise ValueError(f"Invalid number of data points ({n}) specified")
    else:
        n = int(n)
        tmp = _fix_shape_1d(tmp, (n // 2) + 1, axis)
    return _load_pocketfft().c2r(tmp, (axis,), n, False, 2, None, 1)
