"""Frame-rate speech features: loudness, F0 with voicing, onsets, phrase breaks.

Every per-frame array has ``n_frames_for(speech.duration, fps)`` entries and frame ``i``
is centred at ``t = i / fps`` (analysis windows are centred there, the signal is zero
padded at both ends).

- **loudness_db**: RMS level in dBFS over a window of ``max(1 / fps, 32 ms)``.
- **loudness**: ``loudness_db`` mapped to [0, 1] robustly: 1 at the loud reference
  ``max(95th percentile, max - 10 dB)``, 0 at a floor 20-50 dB below it that sits just
  above the quietest tenth of the file (the noise floor), so a noisy pause reads as 0.
- **f0** / **voicing**: YIN (de Cheveigne & Kawahara 2002) on 32 ms windows, lags for
  55-600 Hz, computed for blocks of frames at once with FFT cross-correlation; the first
  dip of the normalised difference below 0.15 (else the global minimum), refined by
  parabolic interpolation. ``voicing`` falls from 1 at a dip of 0.1 to 0 at 0.45 and is
  gated by loudness; ``f0`` is 0 where ``voicing < 0.5``.
- **onsets**: peaks of log-magnitude spectral flux (10 ms hop, 32 ms window) above a
  local mean plus a global threshold, at least 50 ms apart, in seconds (the centre of the
  first window that sees the change, so up to ~16 ms early; none in the first and last
  16 ms, where the window crosses the file's edge).
- **phrase_breaks**: interior pauses of at least 0.2 s (10 ms resolution, normalised
  loudness below 0.1), as ``(start, end)`` seconds; leading and trailing silence is not a
  break.

Everything is vectorised with numpy and scipy's pocketfft (through :mod:`talkrig.core.dsp`,
without importing scipy) in blocks, so an hour of audio takes seconds and memory stays
bounded.
"""
from __future__ import annotations

import numpy as np

from ..curves import Prosody, Speech, n_frames_for
from .. import dsp
from ..timebase import check_fps

F0_MIN_HZ = 55.0
F0_MAX_HZ = 600.0
YIN_WINDOW_S = 0.032
YIN_THRESHOLD = 0.15
RMS_MIN_WINDOW_S = 0.032
ONSET_HOP_S = 0.010
ONSET_WINDOW_S = 0.032
ONSET_MIN_GAP_S = 0.050
PAUSE_MIN_S = 0.2
PAUSE_LEVEL = 0.1
SILENT_DB = -100.0                 # a file whose loud reference is below this is silent
_BLOCK = 4096                      # analysis frames per vectorised block
_EPS = 1e-10


def analyze_prosody(speech: Speech, *, fps: float) -> Prosody:
    """Compute frame-rate prosody features of a decoded speech signal.

    Parameters
    ----------
    speech : Speech
        Mono float32 samples at ``speech.sr`` Hz.
    fps : float
        Animation frame rate; frame ``i`` is centred at ``i / fps`` seconds.

    Returns
    -------
    Prosody
        ``loudness`` float32 [n_frames] in [0, 1], ``loudness_db`` float32 [n_frames] dBFS,
        ``f0`` float32 [n_frames] Hz (0 unvoiced), ``voicing`` float32 [n_frames] in [0, 1],
        ``onsets`` float64 [n_onsets] s, ``phrase_breaks`` float64 [n_breaks, 2] s.
    """
    fps = check_fps(fps)
    x = np.asarray(speech.samples, dtype=np.float32)
    sr = int(speech.sr)
    n = n_frames_for(speech.duration, fps)
    centres = np.round(np.arange(n) * (sr / fps)).astype(np.int64)

    rms_win = int(round(max(1.0 / fps, RMS_MIN_WINDOW_S) * sr))
    db = _rms_db(x, centres, rms_win)
    lo, hi = _level_range(db)
    loud = np.clip((db - lo) / (hi - lo), 0.0, 1.0)
    if hi < SILENT_DB:                                   # digital silence: nothing is loud
        loud[:] = 0.0

    gate = np.clip((db - lo) / 6.0, 0.0, 1.0)
    dmin, tau = _yin(x, sr, centres, active=gate > 0)
    voicing = np.clip((0.45 - dmin) / 0.35, 0.0, 1.0) * gate
    f0 = np.where((voicing >= 0.5) & (tau > 0), sr / np.maximum(tau, _EPS), 0.0)

    hop = int(round(ONSET_HOP_S * sr))
    onsets = _onsets(x, sr, hop)
    fine_c = np.arange(0, len(x) + 1, hop, dtype=np.int64)
    fine = np.clip((_rms_db(x, fine_c, 2 * hop) - lo) / (hi - lo), 0.0, 1.0) * (hi >= SILENT_DB)
    breaks = _pauses(fine < PAUSE_LEVEL, hop / sr, PAUSE_MIN_S)
    return Prosody(fps=fps, loudness=loud.astype(np.float32), f0=f0.astype(np.float32),
                   voicing=voicing.astype(np.float32), onsets=onsets, phrase_breaks=breaks,
                   loudness_db=db.astype(np.float32))


def _rms_db(x: np.ndarray, centres: np.ndarray, win: int) -> np.ndarray:
    """RMS level in dBFS of ``win`` samples centred at each index (zero padded)."""
    out = np.empty(len(centres))
    block = max(1, (_BLOCK * 512) // win)                   # bounded temporary memory
    for s in range(0, len(centres), block):
        fr = _frames(x, centres[s:s + block] - win // 2, win)
        out[s:s + block] = np.einsum("ij,ij->i", fr, fr, dtype=np.float64)
    return 20.0 * np.log10(np.sqrt(out / win) + _EPS)


def _level_range(db: np.ndarray) -> tuple[float, float]:
    """Loud reference and floor (dB) for normalising loudness; see the module docstring."""
    hi = max(float(np.percentile(db, 95)), float(db.max()) - 10.0)
    lo = float(np.clip(np.percentile(db, 10) + 3.0, hi - 50.0, hi - 20.0))
    return lo, hi


def _frames(x: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Gather ``[len(starts), length]`` float32 windows; samples outside ``x`` read as 0.

    Indexing instead of padding keeps memory bounded: no padded copy of an hour of audio.
    """
    idx = starts[:, None] + np.arange(length)[None, :]
    if len(starts) and (starts.min() < 0 or starts.max() + length > len(x)):
        inside = (idx >= 0) & (idx < len(x))
        fr = x[np.clip(idx, 0, max(len(x) - 1, 0))] if len(x) else np.zeros(idx.shape, x.dtype)
        fr[~inside] = 0.0
        return fr
    return x[idx]


def _yin(x: np.ndarray, sr: int, centres: np.ndarray,
         active: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """YIN minimum of the normalised difference and the period (samples) per frame.

    Only frames where ``active`` is True are analysed (silent frames keep dmin 1, period 0).
    """
    fft = dsp

    w = int(round(YIN_WINDOW_S * sr))
    t_min = max(2, int(np.floor(sr / F0_MAX_HZ)))
    t_max = int(np.ceil(sr / F0_MIN_HZ))
    seg = w + t_max + 1
    nfft = fft.next_fast_len(seg, real=True)
    todo = np.arange(len(centres)) if active is None else np.flatnonzero(active)
    starts = centres[todo] - w // 2
    dmin = np.ones(len(centres))
    period = np.zeros(len(centres))
    taus = np.arange(t_max + 2)
    inv_tau = (1.0 / taus[1:]).astype(np.float32)
    for s in range(0, len(todo), _BLOCK):
        fr = _frames(x, starts[s:s + _BLOCK], seg)
        spec = fft.rfft(fr, nfft, axis=1)
        spec *= np.conj(fft.rfft(fr[:, :w], nfft, axis=1))
        d = fft.irfft(spec, nfft, axis=1)[:, :t_max + 2]   # cross-correlation r(tau)
        del spec
        c2 = np.zeros((len(fr), seg + 1), np.float32)
        np.cumsum(np.square(fr, out=fr), axis=1, out=c2[:, 1:])
        e0 = c2[:, w][:, None]
        # d(tau) = E[0:w] + E[tau:tau+w] - 2 r(tau), computed in place
        d *= -2.0
        d += c2[:, w:w + t_max + 2]
        d -= c2[:, :t_max + 2]
        d += e0
        np.maximum(d, 0.0, out=d)
        cum = np.cumsum(d[:, 1:], axis=1)
        cum *= inv_tau
        np.maximum(cum, _EPS, out=cum)
        cmnd = d
        cmnd[:, 1:] /= cum
        cmnd[:, 0] = 1.0
        cmnd[e0[:, 0] <= _EPS] = 1.0                       # silent frames: no period
        inner = cmnd[:, t_min:t_max + 1]
        local = (inner <= cmnd[:, t_min - 1:t_max]) & (inner <= cmnd[:, t_min + 1:t_max + 2])
        local &= inner < YIN_THRESHOLD
        best = np.where(local.any(axis=1), local.argmax(axis=1), inner.argmin(axis=1)) + t_min
        rows = np.arange(len(fr))
        y0, y1, y2 = cmnd[rows, best - 1], cmnd[rows, best], cmnd[rows, best + 1]
        den = y0 - 2.0 * y1 + y2
        shift = np.where(np.abs(den) > _EPS, 0.5 * (y0 - y2) / np.where(den == 0, 1, den), 0.0)
        dmin[todo[s:s + _BLOCK]] = y1
        period[todo[s:s + _BLOCK]] = best + np.clip(shift, -1.0, 1.0)
    return dmin, period


def _onsets(x: np.ndarray, sr: int, hop: int) -> np.ndarray:
    """Onset times (s) from peaks of positive log-magnitude spectral flux."""
    fft = dsp
    maximum_filter1d, uniform_filter1d = dsp.maximum_filter1d, dsp.uniform_filter1d

    w = int(round(ONSET_WINDOW_S * sr))
    n = len(x) // hop + 1
    starts = np.arange(n, dtype=np.int64) * hop - w // 2
    window = np.hanning(w).astype(np.float32)
    flux = np.zeros(n)
    prev = None
    for s in range(0, n, _BLOCK):
        fr = _frames(x, starts[s:s + _BLOCK], w) * window
        mag = np.log1p(100.0 * np.abs(fft.rfft(fr, axis=1)), dtype=np.float32)
        full = mag if prev is None else np.concatenate([prev, mag])
        diff = np.maximum(np.diff(full, axis=0), 0.0).sum(axis=1)
        flux[s + (1 if prev is None else 0):s + len(mag)] = diff
        prev = mag[-1:]
    if n < 3 or flux.max() <= _EPS:
        return np.zeros(0)
    local_mean = uniform_filter1d(flux, size=int(round(0.2 * sr / hop)) | 1, mode="nearest")
    span = int(round(ONSET_MIN_GAP_S * sr / hop))
    local_max = maximum_filter1d(flux, size=2 * span + 1, mode="constant")
    floor = np.median(flux) + 0.1 * (np.percentile(flux, 99.5) - np.median(flux))
    # Windows that cross the file's edges see the padding start or stop: not onsets.
    inside = (starts >= 0) & (starts + w <= len(x))
    peaks = np.flatnonzero((flux == local_max) & (flux > local_mean * 1.5) & (flux > floor) & inside)
    keep, last = [], -np.inf
    for p in peaks:                                       # plateaus: keep the first sample
        if p - last > span:
            keep.append(p)
            last = p
    return np.asarray(keep, dtype=np.float64) * hop / sr


def _pauses(silent: np.ndarray, step_s: float, min_s: float) -> np.ndarray:
    """Interior runs of ``silent`` at least ``min_s`` long, as ``[n, 2]`` (start, end) s."""
    edges = np.diff(np.concatenate([[0], silent.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    keep = ((ends - starts) * step_s >= min_s) & (starts > 0) & (ends < len(silent))
    out = np.stack([starts[keep], ends[keep]], axis=1).astype(np.float64) * step_s
    return out.reshape(-1, 2)
