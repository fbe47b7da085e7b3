"""Polyphase resampling: :func:`resample_poly` gives ``scipy.signal.resample_poly``'s
result bit for bit for real input with the default Kaiser (beta 5) window and zero padding,
building the ``firwin`` low-pass the same way (:func:`_kaiser_lowpass`, cached per ratio) and
accumulating ``upfirdn``'s polyphase sums in scipy's order and precision (float32 for float32
input). Numpy only; re-exported by :mod:`talkrig.core.dsp`.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


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
