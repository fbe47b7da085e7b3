"""One path from an emotion spec to per-frame drive curves, for face, eyes, head and body.

:class:`EmotionDrive` holds, per frame, the weight of every emotion the spec names (its
static mix, its VAD point as a mix, its timelines), plus ``valence``/``arousal`` when the
spec has a VAD point. Layers read the curve of a *modulator* (a basic emotion, or
``arousal``/``valence``/``concentration``) with :meth:`EmotionDrive.curve`: aliases add up,
compound emotions add their share of each basic one (:data:`COMPOUNDS`). Region overrides
are not part of the drive: eyes, head and body follow the whole face's emotion.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import EmotionSpecError

# Emotion names accepted in ``emotion_weights`` (lower-case, first name is canonical).
EMOTION_ALIASES = {
    "happiness": ("happiness", "happy", "joy"), "sadness": ("sadness", "sad"),
    "surprise": ("surprise", "surprised"), "fear": ("fear", "afraid", "anxiety", "fearful"),
    "anger": ("anger", "angry"), "disgust": ("disgust", "disgusted"),
    "contempt": ("contempt",), "concentration": ("concentration", "focus"),
    "arousal": ("arousal",), "valence": ("valence",),
}


# Compound emotions of rigs/data/emotions.json, as shares of the basic modulators above.
COMPOUNDS = {
    "grief": {"sadness": 1.0}, "pain": {"sadness": 0.5, "fear": 0.4, "anger": 0.3},
    "amazement": {"surprise": 1.0, "happiness": 0.3}, "awe": {"surprise": 0.7},
    "cheekiness": {"happiness": 0.8}, "nervous_smile": {"fear": 0.6, "happiness": 0.4},
    "worry": {"fear": 0.7, "sadness": 0.3}, "appalled": {"disgust": 0.7, "surprise": 0.5},
    "hatred": {"anger": 0.8, "disgust": 0.5}, "bittersweet": {"happiness": 0.5, "sadness": 0.5},
    "boredom": {"sadness": 0.3, "arousal": -0.6},
}


def emotion_curve(emotion_weights, name: str, n_frames: int) -> np.ndarray:
    """Per-frame weight of one modulator, float64 [n_frames].

    Aliases (``EMOTION_ALIASES``, case-insensitive) add up, compounds (``COMPOUNDS``) add
    their share; emotions are clipped to [0, 1], ``arousal``/``valence`` to [-1, 1]. A
    missing name or ``emotion_weights=None`` gives zeros; a scalar is held constant.
    Raises EmotionSpecError on a wrong length.
    """
    out = np.zeros(n_frames)
    if not emotion_weights:                 # the common neutral case: nothing to add up
        return out
    for key, arr in emotion_weights.items():
        k = str(key).lower().replace(" ", "_").replace("-", "_")
        share = 1.0 if k in EMOTION_ALIASES.get(name, (name,)) else \
            COMPOUNDS.get(k, {}).get(name, 0.0)
        if share == 0.0:
            continue
        a = np.asarray(arr, dtype=np.float64).reshape(-1)
        if a.size == 1:
            a = np.full(n_frames, float(a[0]))
        if a.size != n_frames:
            raise EmotionSpecError(
                f"emotion_weights[{key!r}] has {a.size} frames, expected {n_frames}: "
                "resample the emotion timeline to the bake's frames")
        out += share * a
    lo = -1.0 if name in ("arousal", "valence") else 0.0
    return np.clip(_finite(out), lo, 1.0)


def emotion_curves(emotion_weights, names, n_frames: int) -> dict:
    """:func:`emotion_curve` of each name, as a dict name -> float64 [n_frames].

    Without ``emotion_weights`` every curve is the same read-only array of zeros.
    """
    if not emotion_weights:
        zeros = np.zeros(n_frames)
        zeros.setflags(write=False)
        return dict.fromkeys(names, zeros)
    return {k: emotion_curve(emotion_weights, k, n_frames) for k in names}


def _finite(a: np.ndarray) -> np.ndarray:
    """``np.nan_to_num`` only where needed (it costs more than the check on short takes)."""
    return a if np.isfinite(a).all() else np.nan_to_num(a)


def emotion_weights_from_spec(spec, *, fps: float, n_frames: int) -> dict:
    """The ``emotion_weights`` input of the eye/head layers from an ``EmotionSpec``.

    Uses the global mix: static mixture + VAD point + timeline (one, or a tuple of
    timelines whose samples add up; anything with ``names`` and
    ``sample(fps=, n_frames=, names=)``). Region overrides are ignored: eyes and head follow
    the whole face's emotion. Returns dict of canonical name -> float64
    [shape=(n_frames,)], plus ``valence``/``arousal`` when the spec has a VAD point; None
    for a missing or neutral spec.
    """
    if spec is None or spec.is_neutral():
        return None
    from ..face.emotion import vad_to_mixture
    base = dict(spec.mixture)
    if spec.vad is not None:
        for n, w in vad_to_mixture(*spec.vad).items():
            base[n] = base.get(n, 0.0) + w
    out = {n: np.full(n_frames, float(w)) for n, w in base.items()}
    tls = spec.timeline if isinstance(spec.timeline, (tuple, list)) else (spec.timeline,)
    for tl in (x for x in tls if x is not None):
        names = tuple(tl.names)
        w = tl.sample(fps=fps, n_frames=n_frames, names=names)
        for j, n in enumerate(names):
            out[n] = out.get(n, 0.0) + w[:, j]
    if spec.vad is not None:
        out["valence"] = np.full(n_frames, spec.vad[0])
        out["arousal"] = np.full(n_frames, spec.vad[1])
    return out



@dataclass(frozen=True)
class EmotionDrive:
    """Per-frame emotion weights of one bake (``weights`` None when neutral).

    weights : dict of str -> float64 [shape=(n_frames,)] or None
        What :func:`emotion_weights_from_spec` gives: the spec's own emotion names.
    n_frames : int
    """

    weights: Optional[dict]
    n_frames: int

    @classmethod
    def from_spec(cls, spec, *, grid) -> "EmotionDrive":
        """The drive of an ``EmotionSpec`` (or None) on a :class:`~talkrig.core.timebase.FrameGrid`."""
        weights = emotion_weights_from_spec(spec, fps=grid.fps, n_frames=grid.n_frames) if spec else None
        return cls(weights, grid.n_frames)

    @property
    def neutral(self) -> bool:
        return not self.weights

    def curve(self, name: str) -> np.ndarray:
        """One modulator, float64 [n_frames] (emotions in [0, 1], arousal/valence in [-1, 1])."""
        return emotion_curve(self.weights, name, self.n_frames)

    def curves(self, names) -> dict:
        """:meth:`curve` of each name, as a dict."""
        return emotion_curves(self.weights, names, self.n_frames)
