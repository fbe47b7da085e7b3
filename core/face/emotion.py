"""Emotion specification and the emotion layer on ARKit-52.

An emotion *mixture* maps names to intensities, e.g. ``{"happiness": 0.8, "surprise": 0.3}``.
Names are the emotions of ``rigs/data/emotions.json`` (8 basic ones, compounds such as
``pain`` or ``nervous_smile``, aliases such as ``happy``) or FACS action units (``AU12``,
``AU12R`` for the subject's right side only). Intensity 1 is the full prototype; values up to
:data:`MAX_INTENSITY` (1.5) exaggerate it. Each emotion is a fixed ARKit vector (its FACS code
through ``rigs/data/facs.json``); a mixture is the weighted sum of those vectors, clipped to
[0, 1] per channel.

An :class:`EmotionSpec` combines a static mixture, a valence/arousal/dominance point, a
timeline of keys, and per-region overrides (``brows`` angry while the ``mouth`` smiles).
:func:`emotion_layer` turns it into per-frame ARKit weights, each channel taken from the mix of
the region it belongs to (``core.face.regions``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

import numpy as np

from ...rigs import facs
from ...rigs.arkit import N_ARKIT
from ..errors import EmotionSpecError
from ..emotion.mixture import (MAX_INTENSITY, canonical_name, check_intensity,  # noqa: F401
                               normalize_mixture, parse_mixture, parse_region_mixtures,
                               valid_names)
from .regions import REGION_NAMES, apply_region_mix, region_names_for
from ..timebase import check_fps

DEFAULT_MAX_RATE = 4.0       # weight units per second: no frame-to-frame step above rate / fps
VAD_KAPPA = 10.0             # sharpness of the angular softmax in vad_to_mixture


def name_vector(name: str) -> np.ndarray:
    """ARKit weights [shape=(52,)] of one canonical name at intensity 1 (unclipped)."""
    if name.startswith("AU"):
        side = name[-1] if name[-1] in "LR" else None
        return facs.au_vector(int(name[2:].rstrip("LR")), side)
    return facs.emotion_vector(name)


@lru_cache(maxsize=None)
def _basic_anchors() -> tuple:
    names = tuple(n for n in facs.basic_emotion_names() if n != "neutral")
    anchors = facs.vad_anchors(names)
    return names, anchors, np.linalg.norm(anchors, axis=1)


def vad_to_mixture(v: float, a: float, d: float = 0.0, *, kappa: float = VAD_KAPPA,
                   min_share: float = 0.05) -> dict:
    """Basic-emotion mixture for a valence/arousal/dominance point.

    Method (angular softmax with radial intensity): the point ``p = (v, a, d)`` is compared
    with the anchors of the seven non-neutral basic emotions by cosine similarity;
    ``w_i = softmax(kappa * cos(p, anchor_i))``; shares below ``min_share`` are dropped and the
    rest renormalised. The intensity is ``|p|`` divided by the share-weighted anchor length
    (so a point halfway to the happiness anchor gives happiness ~0.5), capped at 1.5.
    The origin (neutral) gives an empty mixture.

    Parameters
    ----------
    v, a, d : float
        Valence, arousal, dominance, each in [-1, 1].

    Returns
    -------
    dict of str -> float
    """
    p = np.array([v, a, d], dtype=np.float64)
    if not np.all(np.isfinite(p)) or np.any(np.abs(p) > 1.0):
        raise EmotionSpecError(f"VAD point ({v}, {a}, {d}) must have 3 finite values in [-1, 1]")
    norm = float(np.linalg.norm(p))
    if norm < 1e-6:
        return {}
    names, anchors, lengths = _basic_anchors()
    cos = anchors @ p / (lengths * norm)
    w = np.exp(kappa * (cos - cos.max()))
    w /= w.sum()
    w[w < min_share] = 0.0
    w /= w.sum()
    intensity = min(MAX_INTENSITY, norm / float(w @ lengths))
    return {n: float(round(intensity * s, 6)) for n, s in zip(names, w) if s > 0}


@dataclass(frozen=True)
class EmotionSpec:
    """What emotion to show, where and when.

    The global mix at time ``t`` is ``mixture + vad_to_mixture(*vad) + timeline(t)``.
    A region listed in ``regions`` uses its own mix instead (a static mixture or a
    timeline); everything else follows the global mix.

    Parameters
    ----------
    mixture : dict of str -> float
        Static mix, name -> intensity in [0, 1.5] (also accepts the CLI string form).
    regions : dict of str -> (dict or EmotionTimeline)
        Region / group / alias -> its own mix, e.g. ``{"brows": {"anger": 1.0}}``.
    vad : tuple of 3 float or None
        Valence, arousal, dominance in [-1, 1], turned into a mix by :func:`vad_to_mixture`.
    timeline : EmotionTimeline, tuple of EmotionTimeline, or None
        Keys over time (``core.face.timeline``), added to the static mix; several timelines
        (e.g. the automatic track and the user's keys) add up.
    """

    mixture: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)
    vad: Optional[tuple] = None
    timeline: Optional[object] = None

    def __post_init__(self):
        from .timeline import EmotionTimeline
        object.__setattr__(self, "mixture", normalize_mixture(self.mixture))
        regions = {}
        for region, mix in (self.regions or {}).items():
            region_names_for(region)
            regions[region] = mix if isinstance(mix, EmotionTimeline) else normalize_mixture(mix)
        object.__setattr__(self, "regions", regions)
        if self.vad is not None:
            if len(tuple(self.vad)) != 3:
                raise EmotionSpecError(f"vad must be (valence, arousal, dominance), got {self.vad!r}")
            vad_to_mixture(*self.vad)       # validates the range
            object.__setattr__(self, "vad", tuple(float(x) for x in self.vad))
        if isinstance(self.timeline, (list, tuple)):
            object.__setattr__(self, "timeline", tuple(self.timeline) or None)
        parts = self.timeline if isinstance(self.timeline, tuple) else (self.timeline,)
        if self.timeline is not None and not all(isinstance(t, EmotionTimeline) for t in parts):
            raise EmotionSpecError("timeline must be an EmotionTimeline (read_emotion_timeline(path) "
                                   "or EmotionTimeline.from_samples(times, mixtures)) or a tuple of them")

    @classmethod
    def parse(cls, text: str = "", *, regions: str = "") -> "EmotionSpec":
        """From CLI strings: ``--emotion happiness=0.8`` and ``--emotion-regions brows:anger``."""
        return cls(mixture=parse_mixture(text or ""), regions=parse_region_mixtures(regions or ""))

    def is_neutral(self) -> bool:
        """True when nothing would move (all intensities zero, no VAD, timeline or regions)."""
        regions_move = any(not isinstance(m, dict) or any(m.values())
                           for m in self.regions.values())
        return (not any(self.mixture.values()) and self.vad is None
                and self.timeline is None and not regions_move)


def mixture_weights(mixture: dict, timeline, *, fps: float, n_frames: int) -> tuple:
    """Per-frame weights of a static mixture plus an optional timeline.

    Returns
    -------
    names : tuple of str
    weights : np.ndarray [shape=(n_frames, len(names)), dtype=float64]
    """
    parts = () if timeline is None else timeline if isinstance(timeline, tuple) else (timeline,)
    names = sorted(set(mixture).union(*(t.names for t in parts)))
    w = np.zeros((n_frames, len(names)))
    for j, n in enumerate(names):
        w[:, j] = mixture.get(n, 0.0)
    for part in parts:
        w += part.sample(fps=fps, n_frames=n_frames, names=names)
    return tuple(names), w


def mixture_to_arkit(names, weights: np.ndarray) -> np.ndarray:
    """ARKit layer of per-frame mixture weights: ``clip(weights @ vectors, 0, 1)``.

    Parameters
    ----------
    names : sequence of str (canonical)
    weights : np.ndarray [shape=(n_frames, len(names))]

    Returns
    -------
    np.ndarray [shape=(n_frames, 52), dtype=float64]
    """
    if not len(names):
        return np.zeros((weights.shape[0], N_ARKIT))
    vectors = np.stack([name_vector(n) for n in names])
    return np.clip(weights @ vectors, 0.0, 1.0)


def rate_limit(values: np.ndarray, *, max_step: float) -> np.ndarray:
    """Slew-rate limiter along axis 0: no frame-to-frame change above ``max_step``.

    values : [shape=(n_frames, n_channels)]; returns a new float64 array of the same shape.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.shape[0] < 2 or np.all(np.abs(np.diff(x, axis=0)) <= max_step + 1e-12):
        return x.copy()
    y = x.copy()
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] + np.clip(x[i] - y[i - 1], -max_step, max_step)
    return y


def basic_shares(name: str) -> dict:
    """How one canonical name splits into the basic emotions (shares sum to 1, or {}).

    Basic emotions are themselves; a compound with a ``mix`` splits like its mix (recursively);
    a compound defined by FACS only splits like :func:`vad_to_mixture` of its VAD anchor;
    action units and neutral give {}.
    """
    table = facs.emotion_table()["emotions"]
    if name not in table or name == "neutral":
        return {}
    if name in facs.basic_emotion_names():
        return {name: 1.0}
    out: dict = {}
    if table[name].get("mix"):
        for part, w in table[name]["mix"].items():
            for b, share in basic_shares(part).items():
                out[b] = out.get(b, 0.0) + float(w) * share
    else:
        out = vad_to_mixture(*table[name]["vad"])
    total = sum(out.values())
    return {b: w / total for b, w in out.items()} if total > 0 else {}


def basic_emotion_weights(spec: Optional[EmotionSpec], *, fps: float, n_frames: int) -> dict:
    """Per-frame weight of each basic emotion in the global mix (for eyes and head layers).

    Returns
    -------
    dict of str -> np.ndarray [shape=(n_frames,), dtype=float64]
        Basic emotion name -> weight (0 .. 1.5); region overrides are not included.
    """
    if spec is None:
        return {}
    base = dict(spec.mixture)
    if spec.vad is not None:
        for n, w in vad_to_mixture(*spec.vad).items():
            base[n] = base.get(n, 0.0) + w
    names, w = mixture_weights(base, spec.timeline, fps=fps, n_frames=int(n_frames))
    out: dict = {}
    for j, name in enumerate(names):
        for b, share in basic_shares(name).items():
            out[b] = out.get(b, 0.0) + share * w[:, j]
    return {b: np.clip(v, 0.0, MAX_INTENSITY) for b, v in out.items()}


def emotion_layer(spec: Optional[EmotionSpec], *, fps: float, n_frames: int,
                  max_rate: float = DEFAULT_MAX_RATE) -> np.ndarray:
    """The emotion layer: per-frame ARKit weights, each channel from its region's mix.

    Parameters
    ----------
    spec : EmotionSpec or None
        None (or a neutral spec) gives zeros.
    fps : float
        Frames per second; frame ``i`` sits at ``t = i / fps``.
    n_frames : int
    max_rate : float
        Largest change of any channel, in weight units per second; frame-to-frame steps
        never exceed ``max_rate / fps`` (no pops, even for instantaneous keys).

    Returns
    -------
    np.ndarray [shape=(n_frames, 52), dtype=float32]
        Weights in [0, 1]; region-resolved, before the speech/emotion balance of compose.
    """
    fps = check_fps(fps)
    n_frames = int(n_frames)
    if n_frames < 0:
        raise EmotionSpecError(f"n_frames must be >= 0, got {n_frames}")
    if spec is None:
        return np.zeros((n_frames, N_ARKIT), dtype=np.float32)
    if not isinstance(spec, EmotionSpec):
        raise EmotionSpecError(f"emotion must be an EmotionSpec, got {type(spec).__name__}; "
                               "build one with EmotionSpec.parse('happiness=0.8')")
    base = dict(spec.mixture)
    if spec.vad is not None:
        for n, w in vad_to_mixture(*spec.vad).items():
            base[n] = base.get(n, 0.0) + w
    names, w = mixture_weights(base, spec.timeline, fps=fps, n_frames=n_frames)
    global_layer = mixture_to_arkit(names, w)
    region_layers = {r: global_layer for r in REGION_NAMES}
    for region, mix in spec.regions.items():
        if isinstance(mix, dict):
            names_r, w_r = mixture_weights(mix, None, fps=fps, n_frames=n_frames)
        else:
            names_r, w_r = mixture_weights({}, mix, fps=fps, n_frames=n_frames)
        layer = mixture_to_arkit(names_r, w_r)
        for r in region_names_for(region):
            region_layers[r] = layer
    out = apply_region_mix(region_layers, n_frames=n_frames)
    return rate_limit(out, max_step=float(max_rate) / fps).astype(np.float32)


__all__ = ["MAX_INTENSITY", "DEFAULT_MAX_RATE", "EmotionSpec", "valid_names", "canonical_name",
           "name_vector", "parse_mixture", "parse_region_mixtures", "normalize_mixture",
           "vad_to_mixture", "mixture_weights", "basic_shares", "basic_emotion_weights", "mixture_to_arkit", "rate_limit", "emotion_layer"]
