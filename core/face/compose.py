"""Compose the speech, emotion, eye and head layers into one set of face curves.

Emotion is layered over speech without breaking it (content/emotion disentanglement):

- **Closures win.** On lip-closure frames (p, b, m) the emotion may not open the lips: its
  ``jawOpen`` and its lip-parting channels (``mouthUpperUp*``, ``mouthLowerDown*``,
  ``mouthStretch*``, ``mouthFunnel``) are faded out by the closure weight ``c``; ``mouthClose``
  comes from speech alone, so the ``jawOpen`` / ``mouthClose`` relation that seals the lips is
  the speech layer's own. A smile (``mouthSmile*``) still widens the closed mouth.
- **Open vowels win.** Emotion channels that narrow or seal the lips (``mouthPress*``,
  ``mouthRoll*``, ``mouthPucker``, ``mouthShrug*``) fade out as the speech jaw opens
  (openness ``o = clip(jawOpen_speech / 0.25, 0, 1)``); the jaw is never closed below speech.
- **Rounding wins over spreading.** Smile, dimple and stretch from emotion are reduced by up
  to 70 % while speech rounds the lips (``mouthPucker``/``mouthFunnel``), so "oo" stays round.
- **Jaw while talking.** The emotion's jaw drop adds fully in silence and at
  :data:`JAW_TALK_SHARE` while the speech layer is active, on top of the speech jaw.
- Other channels add: ``speech * speech_gain + emotion * emotion_gain`` (per region,
  :class:`~core.face.regions.RegionBalance`), then the eye layer adds blinks and gaze; a
  blink closes over a surprised ``eyeWide``. Everything is clipped to [0, 1].
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ...rigs.arkit import ARKIT_INDEX, ARKIT_NAMES, FACE_CHANNELS, HEAD_EYE_NAMES, N_ARKIT
from ..curves import FaceCurves
from ..dsp import maximum_filter1d
from ..errors import CurveFormatError, EmotionSpecError
from .emotion import EmotionSpec, emotion_layer
from .regions import RegionBalance
from ..timebase import check_fps

OPEN_REF = 0.25          # speech jawOpen at which a vowel counts as fully open
GAP_CLOSED = 0.04        # lip gap (jawOpen units) under which speech lips count as sealed
SPEECH_ACTIVE = 0.08     # speech mouth activity that counts as talking
JAW_TALK_SHARE = 0.4     # share of the emotion's jaw drop kept while talking
ROUND_SUPPRESS = 0.7     # largest reduction of emotion spreading by speech rounding
GATE_PAD_S = 0.05        # gates (closure, openness, rounding) are widened and softened by this


def _idx(*prefixes) -> np.ndarray:
    return np.array([i for i, n in enumerate(ARKIT_NAMES) if n.startswith(prefixes)], dtype=int)


PARTING = _idx("mouthUpperUp", "mouthLowerDown", "mouthStretch", "mouthFunnel")
SEALING = _idx("mouthPress", "mouthRoll", "mouthPucker", "mouthShrug")
SPREADING = _idx("mouthSmile", "mouthDimple", "mouthStretch")
MOUTH_JAW = _idx("mouth", "jaw", "tongue")
J_OPEN, M_CLOSE = ARKIT_INDEX["jawOpen"], ARKIT_INDEX["mouthClose"]
BLINK = _idx("eyeBlink")
WIDE = _idx("eyeWide")


def lip_gap(values: np.ndarray) -> np.ndarray:
    """Approximate inner-lip opening of ARKit weights, in jawOpen units.

    ``jawOpen - mouthClose + 0.5 * mean(mouthUpperUp) + 0.5 * mean(mouthLowerDown)
    + 0.3 * mouthFunnel + 0.1 * mean(mouthStretch)``, floored at 0.

    values : [shape=(n_frames, >=52)]; returns [shape=(n_frames,)].
    """
    v = np.asarray(values, dtype=np.float64)

    def mean(*names):
        return v[:, [ARKIT_INDEX[n] for n in names]].mean(axis=1)

    gap = (v[:, J_OPEN] - v[:, M_CLOSE]
           + 0.5 * mean("mouthUpperUpLeft", "mouthUpperUpRight")
           + 0.5 * mean("mouthLowerDownLeft", "mouthLowerDownRight")
           + 0.3 * v[:, ARKIT_INDEX["mouthFunnel"]]
           + 0.1 * mean("mouthStretchLeft", "mouthStretchRight"))
    return np.maximum(gap, 0.0)


def _soften(mask: np.ndarray, fps: float) -> np.ndarray:
    """Widen a [0, 1] gate by GATE_PAD_S each side (running max), then box-smooth it over
    the same width: the gate's peaks keep their value and its edges ramp over a few frames,
    so an emotion channel it scales never steps by more than 1/(2k+1) of its value."""
    if mask.size == 0:
        return mask
    return _soften_rows(mask[None], fps)[0]


def _soften_rows(masks: np.ndarray, fps: float) -> np.ndarray:
    """:func:`_soften` of every row of ``masks`` [shape=(r, n_frames), n_frames >= 1]."""
    k = max(1, int(round(GATE_PAD_S * fps)))
    wide = maximum_filter1d(masks, 2 * k + 1, axis=1, mode="nearest")   # edge-padded max
    padded = np.concatenate([np.repeat(wide[:, :1], k, axis=1), wide,
                             np.repeat(wide[:, -1:], k, axis=1)], axis=1)
    box = np.ones(2 * k + 1) / (2 * k + 1)
    return np.stack([np.convolve(row, box, mode="valid") for row in padded])


def _unit(x: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
    """``np.clip(x, 0, 1)`` for float arrays, without the wrapper's overhead."""
    return np.minimum(np.maximum(x, 0.0), 1.0, out=out)


def speech_closures(speech: np.ndarray, *, fps: float) -> np.ndarray:
    """Closure weight per frame inferred from a speech layer, in [0, 1] [shape=(n_frames,)].

    A frame is a closure when the speech lips are sealed (``lip_gap <= GAP_CLOSED``) while
    speech is active within 0.15 s (so the mouth at rest is not a closure: emotion may open
    it in silence).
    """
    s = np.asarray(speech, dtype=np.float64)
    sealed = lip_gap(s) <= GAP_CLOSED
    activity = s[:, MOUTH_JAW].sum(axis=1)
    k = max(1, int(round(0.15 * fps)))
    near = maximum_filter1d(activity, 2 * k + 1, mode="constant")     # zero-padded running max
    return (sealed & (near > SPEECH_ACTIVE)).astype(np.float64)


def _layer(x, n: int, what: str, width: int, names: tuple) -> Optional[np.ndarray]:
    """Accept an array [n, width] or FaceCurves holding some of ``names``; [n, len(names)]."""
    if x is None:
        return None
    if isinstance(x, (FaceCurves, dict)):
        get = x.channel if isinstance(x, FaceCurves) else x.__getitem__
        have = x.names if isinstance(x, FaceCurves) else tuple(x)
        rows = x.n_frames if isinstance(x, FaceCurves) else (
            len(next(iter(x.values()))) if x else n)
        out = np.zeros((rows, len(names)))
        for j, name in enumerate(names):
            if name in have:
                col = np.asarray(get(name), dtype=np.float64).ravel()
                if col.shape[0] != rows:
                    raise CurveFormatError(f"{what} layer: channel {name} has {col.shape[0]} "
                                           f"frames, others {rows}")
                out[:, j] = col
    else:
        out = np.asarray(x, dtype=np.float64)
        if out.ndim != 2 or out.shape[1] != width:
            raise CurveFormatError(f"{what} layer must have shape (n_frames, {width}), got {out.shape}")
        if len(names) > width:      # channels the array lacks are 0
            out = np.concatenate([out, np.zeros((out.shape[0], len(names) - width))], axis=1)
    if out.shape[0] != n:
        raise CurveFormatError(f"{what} layer has {out.shape[0]} frames, the speech layer {n}; "
                               "compute every layer with the same n_frames")
    if not np.isfinite(out).all():
        raise CurveFormatError(f"{what} layer holds NaN or infinite values")
    return out


def compose(speech_layer: np.ndarray, *, fps: float, emotion=None, eyes=None, head=None,
            region_balance: Optional[RegionBalance] = None,
            closures: Optional[np.ndarray] = None) -> FaceCurves:
    """Combine the layers into ARKit-52 + 9 rotation channels.

    Parameters
    ----------
    speech_layer : np.ndarray [shape=(n_frames, 52)]
        Lips, jaw and tongue from ``core.face.coarticulation`` (or the loudness layer).
    fps : float
    emotion : np.ndarray [shape=(n_frames, 52)] or EmotionSpec or None
        The region-resolved emotion layer (``emotion_layer``), or a spec to compute it.
    eyes : np.ndarray [shape=(n_frames, 52) or (n_frames, 58)], FaceCurves, dict or None
        Blink and gaze weights, optionally followed by the 6 eye rotations (radians); a dict
        name -> [n_frames] (``core.face.eyes.performance_layers``) or FaceCurves is read by
        channel name (missing channels are 0).
    head : np.ndarray [shape=(n_frames, 3)], FaceCurves, dict or None
        HeadYaw, HeadPitch, HeadRoll in radians (the same dict as ``eyes`` works).
    region_balance : RegionBalance or None
        Per-region emotion and speech strengths (default 1 everywhere).
    closures : np.ndarray [shape=(n_frames,)] or None
        Lip-closure weight in [0, 1] (1 on p/b/m frames); None infers it from the speech
        layer (:func:`speech_closures`). Either way it is widened and softened slightly
        (``GATE_PAD_S``), like the openness, rounding and talking gates, so gating never pops.

    Returns
    -------
    FaceCurves
        ``names == FACE_CHANNELS`` (52 ARKit weights in [0, 1], then 9 rotations).
    """
    fps = check_fps(fps)
    s = np.asarray(speech_layer, dtype=np.float64)
    if s.ndim != 2 or s.shape[1] != N_ARKIT:
        raise CurveFormatError(f"speech layer must have shape (n_frames, 52), got {s.shape}")
    if not np.isfinite(s).all():
        raise CurveFormatError("speech layer holds NaN or infinite values")
    n = s.shape[0]
    if isinstance(emotion, EmotionSpec):
        emotion = emotion_layer(emotion, fps=fps, n_frames=n)
    elif emotion is not None and not isinstance(emotion, np.ndarray):
        raise EmotionSpecError(f"emotion must be an emotion layer array or an EmotionSpec, "
                               f"got {type(emotion).__name__}")
    e = _layer(emotion, n, "emotion", N_ARKIT, ARKIT_NAMES)
    e = np.zeros_like(s) if e is None else e
    eye_width = N_ARKIT
    if isinstance(eyes, np.ndarray) and eyes.ndim == 2 and eyes.shape[1] == N_ARKIT + 6:
        eye_width = N_ARKIT + 6
    eye = _layer(eyes, n, "eyes", eye_width, FACE_CHANNELS[:N_ARKIT] + HEAD_EYE_NAMES[3:])
    hd = _layer(head, n, "head", 3, HEAD_EYE_NAMES[:3])
    balance = region_balance or RegionBalance()
    # Gains of 1 (no region balance) leave the layers as they are: skip the products.
    if balance.speech:
        s = s * balance.speech_gains()
    e = e * balance.emotion_gains() if balance.emotion else e.copy()

    if closures is not None:
        c = _unit(np.asarray(closures, dtype=np.float64).ravel())
        if c.shape[0] != n:
            raise CurveFormatError(f"closures has {c.shape[0]} frames, the speech layer {n}")
    if e.any():                     # the gates only scale emotion: zeros stay zeros
        if closures is None:
            c = speech_closures(s, fps=fps)
        # Gates: closure, openness, rounding, talking; each widened and softened.
        gates = np.empty((4, n))
        gates[0] = c
        gates[1] = _unit(s[:, J_OPEN] / OPEN_REF)
        gates[2] = _unit(s[:, [ARKIT_INDEX["mouthPucker"], ARKIT_INDEX["mouthFunnel"]]]
                         .max(axis=1) / 0.4)
        gates[3] = _unit(s[:, MOUTH_JAW].sum(axis=1) / SPEECH_ACTIVE)
        if n:
            gates = _soften_rows(gates, fps)
        c, openness, rounding, talking = gates[:, :, None]
        e[:, PARTING] *= 1.0 - c
        e[:, SEALING] *= 1.0 - openness
        e[:, SPREADING] *= 1.0 - ROUND_SUPPRESS * rounding
        e[:, J_OPEN] *= ((1.0 - c) * (1.0 - (1.0 - JAW_TALK_SHARE) * talking))[:, 0]
    e[:, M_CLOSE] = 0.0
    face = s + e
    if eye is not None:
        face += eye[:, :N_ARKIT]
        blink = _unit(face[:, BLINK])
        face[:, WIDE] *= 1.0 - blink
    out = np.zeros((n, len(FACE_CHANNELS)), dtype=np.float32)
    _unit(face, out=out[:, :N_ARKIT])
    if hd is not None:
        out[:, N_ARKIT:N_ARKIT + 3] = hd
    if eye is not None:
        out[:, N_ARKIT + 3:] = eye[:, N_ARKIT:]
    return FaceCurves(FACE_CHANNELS, fps, out)


__all__ = ["compose", "lip_gap", "speech_closures", "OPEN_REF", "JAW_TALK_SHARE"]
