"""Generic motion signals shared by the head, eyes and body: speaking activity from prosody,
AR(1) drifts, minimum-jerk steps between targets, Gaussian bumps, prosody resampled to a take.
"""
from __future__ import annotations

import numpy as np

from ..curves import Prosody
from ..dsp import lfilter, uniform_filter1d
from ..emotion.drive import _finite
from ..errors import CurveFormatError


def _fit(a, n_frames: int, what: str) -> np.ndarray:
    a = _finite(np.asarray(a, dtype=np.float64).reshape(-1))
    if abs(a.size - n_frames) > 2 or a.size == 0:
        raise CurveFormatError(f"prosody.{what} has {a.size} frames but n_frames={n_frames}: "
                               "compute prosody at the same fps and duration as the bake")
    if a.size >= n_frames:
        return a[:n_frames].copy()
    return np.pad(a, (0, n_frames - a.size), mode="edge")


def prosody_frames(prosody: Prosody, n_frames: int):
    """(loudness, f0 Hz, voicing), each float64 [n_frames], trimmed/padded by <= 2 frames."""
    return (_fit(prosody.loudness, n_frames, "loudness"), _fit(prosody.f0, n_frames, "f0"),
            _fit(prosody.voicing, n_frames, "voicing"))


def phrase_bounds(prosody: Prosody) -> tuple:
    """(phrase_ends, phrase_starts) in seconds: starts and ends of the phrase breaks."""
    br = np.asarray(prosody.phrase_breaks, dtype=np.float64).reshape(-1, 2)
    return br[:, 0], br[:, 1]


def speaking_activity(prosody: Prosody, *, fps: float, n_frames: int,
                      window_s: float = 3.0) -> np.ndarray:
    """How much the speaker is in a talking turn, float64 [n_frames] in [0, 1].

    Voiced or loud frames count as speech; a ``window_s`` moving average bridges the short
    pauses inside a turn, so a phrase break of under a second still counts as talking.
    """
    loud, _, voi = prosody_frames(prosody, n_frames)
    return activity_from_frames(loud, voi, fps=fps, window_s=window_s)


def activity_from_frames(loud: np.ndarray, voi: np.ndarray, *, fps: float,
                         window_s: float = 3.0) -> np.ndarray:
    """:func:`speaking_activity` from the loudness and voicing of :func:`prosody_frames`."""
    raw = np.maximum(voi > 0.5, loud > 0.08).astype(np.float64)
    win = max(1, int(round(window_s * fps)))
    return np.minimum(np.maximum(2.5 * uniform_filter1d(raw, win, mode="nearest"), 0.0), 1.0)


def min_jerk_steps(t: np.ndarray, starts: np.ndarray, values: np.ndarray,
                   durations: np.ndarray) -> np.ndarray:
    """Piecewise-constant targets joined by minimum-jerk transitions.

    Parameters
    ----------
    t : np.ndarray [shape=(n_frames,)]  sample times, seconds.
    starts : np.ndarray [shape=(n,)]  sorted times (s) at which each target's move begins.
    values : np.ndarray [shape=(n, ...)]  targets (any unit); before ``starts[0]`` the first.
    durations : np.ndarray [shape=(n,)]  move durations, seconds (> 0); each is cut to
        the gap before the next start, so the curve stays continuous.

    Returns
    -------
    np.ndarray [shape=(n_frames, ...)] float64.
    """
    values = np.asarray(values, dtype=np.float64)
    gaps = np.diff(starts)
    gaps = np.concatenate([gaps, [np.inf]]) if gaps.dtype == np.float64 else np.r_[gaps, np.inf]
    durations = np.minimum(durations, np.maximum(gaps, 1e-6))   # stay continuous
    i = np.minimum(np.maximum(np.searchsorted(starts, t, side="right") - 1, 0), len(starts) - 1)
    prev = values[np.maximum(i - 1, 0)]
    p = np.minimum(np.maximum((t - starts[i]) / np.maximum(durations[i], 1e-6), 0.0), 1.0)
    p = p * p * p * (10.0 - 15.0 * p + 6.0 * p * p)
    p = p.reshape(p.shape + (1,) * (values.ndim - 1))
    return prev + (values[i] - prev) * p


def ar1_noise(rng, n: int, *, fps: float, tau_s: float, std: float) -> np.ndarray:
    """Stationary AR(1) (Ornstein-Uhlenbeck) noise, float64 [n], time constant ``tau_s``."""
    a = float(np.exp(-1.0 / max(tau_s * fps, 1e-6)))
    e = rng.standard_normal(n) * std * np.sqrt(1.0 - a * a)
    return lfilter([1.0], [1.0, -a], e, zi=[rng.standard_normal() * std * a])[0]


def ar1_noises(rng, n: int, *, fps: float, tau_s: float, stds) -> np.ndarray:
    """Several :func:`ar1_noise` series in one filter call, float64 [n, len(stds)].

    Column ``i`` equals ``ar1_noise(rng, n, fps=fps, tau_s=tau_s, std=stds[i])`` called
    in turn (the same draws in the same order), so it can replace a stack of such calls.
    """
    if n == 0:
        return np.stack([ar1_noise(rng, 0, fps=fps, tau_s=tau_s, std=sd) for sd in stds], 1)
    a = float(np.exp(-1.0 / max(tau_s * fps, 1e-6)))
    std = np.asarray(stds, dtype=np.float64)
    z = rng.standard_normal((std.size, n + 1))      # per series: n innovations, then its start
    e = z[:, :n] * std[:, None] * np.sqrt(1.0 - a * a)
    return lfilter([1.0], [1.0, -a], e, axis=1, zi=(z[:, n] * std * a)[:, None])[0].T




def gaussian_bumps(t: np.ndarray, centres: np.ndarray, sigma: float) -> np.ndarray:
    """Sum of unit-height Gaussians (std ``sigma`` s) centred at ``centres`` [shape=(k,)]
    seconds, sampled at the evenly spaced times ``t`` [shape=(n,)] s; float64 [shape=(n,)].
    Only +-4 sigma around each centre is computed, so the cost is O(k), not O(n k)."""
    fps = 1.0 / max(t[1] - t[0], 1e-9) if t.size > 1 else 1.0
    k = int(np.ceil(4 * sigma * fps))
    idx = np.round(centres * fps).astype(np.int64)[:, None] + np.arange(-k, k + 1)
    ok = (idx >= 0) & (idx < t.size)
    at = idx[ok]
    vals = np.exp(-0.5 * ((t[at] - np.broadcast_to(centres[:, None], idx.shape)[ok]) / sigma) ** 2)
    # bincount adds the weights in order, like np.add.at on zeros (but faster); it gives
    # int64 when there is nothing to add.
    return np.bincount(at, weights=vals, minlength=t.size).astype(np.float64, copy=False)


