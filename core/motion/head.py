"""Head rotation during speech: the one owner of the head (:func:`head_motion`, :class:`HeadMotion`).

The face's Live Link head channels and the body's SMPL-X neck and head joints both come
from here, so a take never has two heads.

Head motion is the sum of (1) nods and tilts on stressed syllables (onsets weighted by
loudness and F0 peaks), (2) a slow pitch that follows F0, (3) posture changes at phrase
starts, (4) slow drift, (5) breathing (a slight lift on each inhale at phrase breaks, a
15/min cycle at rest), shifted and scaled by emotion, then softly limited and smoothed.

Sign conventions (radians, our project contract; Live Link Face names and order):
HeadYaw > 0 turns the face to the character's own left, HeadPitch > 0 lifts the chin
(looks up), HeadRoll > 0 tilts the top of the head towards the character's right shoulder.
Unreal's Live Link Face stream stores angle / 180 deg (range -1..1), not radians: convert
when writing that format.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..curves import Prosody
from ..dsp import find_peaks, maximum_filter1d, uniform_filter1d
from ..emotion.drive import emotion_curves
from .signals import (activity_from_frames, ar1_noise, ar1_noises, min_jerk_steps,
                              phrase_bounds, prosody_frames)
from ..face.kernels import fft_convolve_full, gaussian_filter1d, seeded_rng

# Target speaking ranges at amount=1, neutral emotion (std over a talking take, degrees).
HEAD_STD_RANGE_DEG = {"yaw": (1.5, 6.0), "pitch": (1.0, 5.0), "roll": (0.7, 4.0)}
HEAD_LIMIT_DEG = np.array([40.0, 30.0, 25.0])      # soft limits, yaw/pitch/roll
HEAD_JERK_MAX = 400.0                              # rad/s^3, bound the tests check
_SIDES = np.array([-1.0, 1.0])


def _median(x: np.ndarray):
    """``np.median`` of a non-empty 1-D float64 array without NaN, with numpy's arithmetic
    (the middle value, or the mean of the two middle values)."""
    x = np.sort(x)
    h = x.size // 2
    return x[h] if x.size % 2 else (x[h - 1] + x[h]) / 2


def _std(x: np.ndarray):
    """``np.std`` (ddof 0) of a non-empty contiguous 1-D float64 array, with numpy's arithmetic."""
    d = x - x.sum() / x.size
    return np.sqrt((d * d).sum() / x.size)


def _quantile_half(x: np.ndarray):
    """``np.quantile(x, 0.5)`` (method ``'linear'``) of a non-empty 1-D float64 array without
    NaN, with numpy's interpolation arithmetic."""
    x = np.sort(x)
    n = x.size
    if n == 1:
        return x[0]
    lo, hi = x[(n - 1) // 2], x[(n - 1) // 2 + 1]
    return lo + (hi - lo) * 0.0 if n % 2 else hi - (hi - lo) * 0.5


def _f0_contour(f0: np.ndarray, voi: np.ndarray, fps: float) -> np.ndarray:
    """Speaker-normalised log-F0 (z-score over voiced frames), bridged over unvoiced
    gaps and low-passed to ~1.5 Hz, float64 [n_frames]; zeros if nothing is voiced."""
    v = (f0 > 40.0) & (voi > 0.3)
    if v.sum() < 3:
        return np.zeros(f0.size)
    lf = np.log(np.where(v, f0, 1.0))
    mu, sd = _median(lf[v]), max(_std(lf[v]), 0.05)
    idx = np.flatnonzero(v)
    z = np.interp(np.arange(f0.size), idx, (lf[idx] - mu) / sd)
    return gaussian_filter1d(z, 0.1 * fps, mode="nearest")


def _accents(prosody: Prosody, loud, f0z, *, fps: float, n_frames: int):
    """Stressed-syllable candidates: (frame index, strength in [0, 1]).

    Onsets from the prosody (or loudness rises when it has none) are weighted by the peak
    loudness in the next 150 ms times an F0-peak bonus; the weaker half is dropped, and of
    accents closer than 0.3 s only the strongest stays.
    """
    on = np.asarray(prosody.onsets, dtype=np.float64).reshape(-1)
    if on.size:
        fr = np.round(on * fps).astype(np.int64)
    else:
        rise = np.diff(gaussian_filter1d(loud, 0.03 * fps), prepend=loud[0])
        fr, _ = find_peaks(rise, height=0.2 / fps, distance=max(1, int(0.2 * fps)))
    fr = fr[(fr >= 0) & (fr < n_frames)]
    if fr.size == 0:
        return fr, np.zeros(0)
    w = max(1, int(0.15 * fps))
    peak = loud[np.minimum(fr[:, None] + np.arange(w), n_frames - 1)].max(axis=1)
    s = peak * (1.0 + 0.6 * np.minimum(np.maximum(f0z[fr], 0.0), 2.0))
    # Stressed syllables: the stronger half, and the strongest within +-0.3 s (<= ~2/s).
    per_frame = np.zeros(n_frames)
    np.maximum.at(per_frame, fr, s)
    local = maximum_filter1d(per_frame, 2 * int(0.3 * fps) + 1, mode="constant")
    keep = (s >= _quantile_half(s)) & (s >= local[fr]) & \
        np.concatenate([[True], np.diff(fr) > 0])
    fr, s = fr[keep], s[keep]
    return fr, np.minimum(np.maximum(s / max(s.max(), 1e-9), 0.0), 1.0)


def _smoothed(curve: np.ndarray, size: int) -> np.ndarray:
    """``uniform_filter1d(curve, size, mode="nearest")``; an all-zero curve (no such
    emotion) is returned as it is, which is what the filter gives for it."""
    return uniform_filter1d(curve, size, mode="nearest") if curve.any() else curve


@lru_cache(maxsize=32)
def _kernel(fps: float, peak_s: float) -> np.ndarray:
    """Smooth one-sided bump (tau/peak)^2 exp(2 (1 - tau/peak)), value 1 at ``peak_s``
    (cached, read-only)."""
    tau = np.arange(int(np.ceil(6 * peak_s * fps)) + 1) / fps / peak_s
    kernel = tau * tau * np.exp(2.0 * (1.0 - tau))
    kernel.setflags(write=False)
    return kernel


def head_motion(prosody: Prosody, *, fps: float, n_frames: int, seed: int = 0,
                amount: float = 1.0, emotion_weights=None,
                activity: np.ndarray = None) -> np.ndarray:
    """Seeded head rotation that follows speech.

    Parameters
    ----------
    prosody : Prosody  frame features (loudness, f0, voicing, onsets, phrase_breaks).
    fps : float  frames per second.  n_frames : int  output length.  seed : int.
    amount : float  scales all motion (0 = still head, 2 = twice as lively).
    emotion_weights : dict of str -> np.ndarray [shape=(n_frames,)] or None
        sadness lowers the head and damps motion, surprise lifts it, anger tucks the chin
        and sharpens nods, happiness livens motion and tilts, disgust turns away.
    activity : np.ndarray [shape=(n_frames,)], optional
        :func:`speaking_activity` of this prosody when the caller already has it.

    Returns
    -------
    np.ndarray [shape=(n_frames, 3), dtype=float32]
        HeadYaw, HeadPitch, HeadRoll in radians (signs in the module docstring). At
        amount=1 and neutral emotion the std over a talking take lies in
        ``HEAD_STD_RANGE_DEG``.
    """
    amount = max(float(amount), 0.0)
    if amount == 0.0 or n_frames == 0:
        return np.zeros((n_frames, 3), np.float32)
    rng = seeded_rng(seed, 0x4EAD)
    t = np.arange(n_frames) / fps
    loud, f0, voi = prosody_frames(prosody, n_frames)
    act = activity_from_frames(loud, voi, fps=fps) if activity is None else activity
    speech = gaussian_filter1d(np.maximum(voi, (loud > 0.08).astype(float)), 0.15 * fps)
    em = {k: _smoothed(v, max(1, int(0.4 * fps))) for k, v in emotion_curves(
        emotion_weights, ("happiness", "sadness", "surprise", "fear", "anger", "disgust",
                          "contempt", "arousal"), n_frames).items()}
    f0z = _f0_contour(f0, voi, fps)
    out = np.zeros((n_frames, 3))                               # degrees
    # (1) nods and tilts on stressed syllables; anger sharpens the kernel.
    fr, s = _accents(prosody, loud, f0z, fps=fps, n_frames=n_frames)
    if fr.size:
        lead = int(round(0.05 * fps))                           # head leads the syllable
        imp = np.zeros((n_frames, 3))
        nod = np.where(rng.random(fr.size) < 0.75, -1.0, 0.6)   # mostly down-nods
        amp = np.stack([rng.normal(0.0, 1.3, fr.size), nod * (1.5 + 2.5 * s),
                        rng.normal(0.0, 0.7, fr.size)], axis=1) * (0.4 + 0.6 * s[:, None])
        np.add.at(imp, np.maximum(fr - lead, 0), amp)
        soft = fft_convolve_full(imp, _kernel(fps, 0.18))[:n_frames]
        if em["anger"].any():
            ang = em["anger"][:, None]
            sharp = fft_convolve_full(imp, _kernel(fps, 0.13))[:n_frames]
            out += (1.0 - ang) * soft + ang * sharp
        else:                       # the same sum: 1 * soft + 0 * sharp, added to zeros
            out += soft
    # (2) pitch follows the F0 contour while voiced.
    out[:, 1] += 1.6 * f0z * speech
    # (3) posture changes at phrase starts (and at t = 0), ~0.8 s min-jerk moves.
    _, starts = phrase_bounds(prosody)
    ps = np.concatenate([[0.0], np.sort(starts[(starts > 0) & (starts < t[-1])]) - 0.2])
    post = rng.normal(0.0, 1.0, (ps.size, 3)) * np.array([3.4, 1.8, 1.3])
    out += min_jerk_steps(t, ps, post, np.full(ps.size, 0.8))
    out *= (0.35 + 0.65 * act)[:, None]
    # (4) slow drift, at half size in silence.
    out += ar1_noises(rng, n_frames, fps=fps, tau_s=4.0, stds=(1.3, 0.8, 0.5)) \
        * (0.5 + 0.5 * act)[:, None]
    if emotion_weights:             # without emotion the factor is exp(0) = 1 everywhere
        out *= np.exp(-0.9 * em["sadness"] + 0.4 * em["happiness"] + 0.3 * em["anger"]
                      + 0.2 * em["surprise"] + 0.25 * em["arousal"])[:, None]
    # (5) breathing: ~15/min cycle at rest, an inhale lift in each phrase break.
    rate = 0.25 * (1.0 + 0.15 * ar1_noise(rng, n_frames, fps=fps, tau_s=8.0, std=1.0))
    phase = 2.0 * np.pi * np.cumsum(rate) / fps + rng.uniform(0, 2 * np.pi)
    out[:, 1] += 0.35 * np.sin(phase) * (1.0 - act)
    br = np.asarray(prosody.phrase_breaks, dtype=np.float64).reshape(-1, 2)
    if br.size:
        edges = np.r_[-1.0, np.sort(np.r_[br[:, 0], br[:, 1]])]
        inhale = min_jerk_steps(t, edges, np.r_[0.0, np.tile([1.0, 0.0], br.shape[0])],
                                np.full(edges.size, 0.35))
        out[:, 1] += 0.7 * inhale * act
    # Emotion postures (degrees); signs of side turns and tilts are seeded per take.
    side = _SIDES[rng.integers(0, 2, 2)]       # as rng.choice([-1.0, 1.0], 2), same draws
    out[:, 1] += (-9.0 * em["sadness"] + 6.0 * em["surprise"] - 4.0 * em["anger"]
                  - 2.0 * em["fear"] + 1.5 * em["happiness"] + 2.0 * em["disgust"])
    out[:, 0] += side[0] * (4.0 * em["disgust"] + 3.0 * em["contempt"])
    out[:, 2] += side[1] * (2.0 * em["happiness"] + 3.0 * em["contempt"])
    out = HEAD_LIMIT_DEG * np.tanh(out * amount / HEAD_LIMIT_DEG)
    out = gaussian_filter1d(out, 0.04 * fps, axis=0, mode="nearest")   # bounds jerk
    return np.radians(out).astype(np.float32)


@dataclass(frozen=True)
class HeadMotion:
    """Head rotation of one take: yaw, pitch, roll in radians per frame (signs above).

    rotations : float32 [shape=(n_frames, 3)]  HeadYaw, HeadPitch, HeadRoll.
    """

    fps: float
    rotations: np.ndarray

    CHANNELS = ("HeadYaw", "HeadPitch", "HeadRoll")

    @classmethod
    def from_face(cls, face) -> "HeadMotion":
        """The head channels a :class:`~talkrig.core.curves.FaceCurves` carries."""
        return cls(face.fps, np.stack([face.channel(n) for n in cls.CHANNELS], axis=1))

    def matrices(self) -> np.ndarray:
        """World-space rotation per frame [n_frames, 3, 3] (``core.motion.head_axes``)."""
        from .head_axes import channel_matrices
        return channel_matrices(*np.asarray(self.rotations, np.float64).T)
