"""Emotion keys over time, with smooth onsets and offsets.

A key says: from ``time`` on, move to ``mixture`` over ``onset`` seconds; optionally, at
``end``, release it back to neutral over ``offset`` seconds (Ekman's onset-apex-offset);
a release is skipped when a later key has already taken over by then. Keys are applied in time order; a key that starts while an earlier transition is still under
way starts from wherever that transition has got to, so the weights never jump. Ramps follow
the minimum-jerk profile ``10 s^3 - 15 s^4 + 6 s^5`` (zero speed and acceleration at both
ends, the shape of natural reaching and facial movements), or ``smoothstep`` or ``linear``.
Before the first key every weight is 0 (neutral).

Files (see docs/EMOTION.md):

- JSON: ``{"keys": [{"time": 0.5, "emotion": "happiness=0.8", "onset": 0.4,
  "end": 2.0, "offset": 0.6}], "regions": {"brows": {"keys": [...]}}}`` (``emotion`` may
  also be a dict; a bare list of keys is accepted too).
- CSV: a header with ``time`` and either an ``emotion`` column (mixture string) or one
  column per emotion name; optional ``onset``, ``end``, ``offset``, ``shape``, ``region``.

:meth:`EmotionTimeline.from_samples` builds a timeline from sampled values (Blender's
animated sliders), joined linearly sample to sample.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import EmotionSpecError
from ..emotion.mixture import check_intensity, normalize_mixture, parse_mixture
from .regions import region_names_for

DEFAULT_ONSET_S = 0.5
SHAPES = ("minjerk", "smoothstep", "linear")


def ramp(s: np.ndarray, shape: str = "minjerk") -> np.ndarray:
    """Transition profile from 0 to 1 for progress ``s`` in [0, 1] (clipped)."""
    s = np.clip(s, 0.0, 1.0)
    if shape == "minjerk":
        return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)
    if shape == "smoothstep":
        return s * s * (3.0 - 2.0 * s)
    if shape == "linear":
        return s
    raise EmotionSpecError(f"unknown ramp shape {shape!r}; use one of {', '.join(SHAPES)}")


def _seconds(value, what: str, *, allow_none: bool = False) -> Optional[float]:
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_none:
            return None
        raise EmotionSpecError(f"{what} is missing; give a time in seconds")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise EmotionSpecError(f"{what} is {value!r}, not a number of seconds") from None
    if not np.isfinite(v) or v < 0:
        raise EmotionSpecError(f"{what} is {v}; times and durations must be >= 0 seconds")
    return v


@dataclass(frozen=True)
class EmotionKey:
    """One key: from ``time`` (s) move to ``mixture`` over ``onset`` s; optional release.

    Parameters
    ----------
    time : float
        Start of the transition, seconds.
    mixture : dict of str -> float
        Target mix (canonical names, intensities 0 .. 1.5).
    onset : float
        Transition duration in seconds (0 = as fast as the rate limit allows).
    end : float or None
        If given, the expression is released to neutral from ``end`` on.
    offset : float or None
        Release duration in seconds (default: ``onset``).
    shape : {"minjerk", "smoothstep", "linear"}
    """

    time: float
    mixture: dict
    onset: float = DEFAULT_ONSET_S
    end: Optional[float] = None
    offset: Optional[float] = None
    shape: str = "minjerk"

    def __post_init__(self):
        object.__setattr__(self, "time", _seconds(self.time, "key time"))
        object.__setattr__(self, "mixture", normalize_mixture(self.mixture))
        object.__setattr__(self, "onset", _seconds(self.onset, "onset"))
        object.__setattr__(self, "end", _seconds(self.end, "end", allow_none=True))
        object.__setattr__(self, "offset", _seconds(self.offset, "offset", allow_none=True))
        ramp(np.zeros(1), self.shape)
        if self.end is not None and self.end < self.time:
            raise EmotionSpecError(f"key at {self.time} s ends at {self.end} s, before it starts")


@dataclass(frozen=True)
class EmotionTimeline:
    """Emotion keys over time; :meth:`sample` gives per-frame mixture weights."""

    keys: tuple = field(default_factory=tuple)

    def __post_init__(self):
        keys = tuple(k if isinstance(k, EmotionKey) else EmotionKey(**k) for k in self.keys)
        object.__setattr__(self, "keys", tuple(sorted(keys, key=lambda k: k.time)))

    @property
    def names(self) -> tuple:
        """Every canonical name used by any key, sorted."""
        return tuple(sorted({n for k in self.keys for n in k.mixture}))

    @property
    def duration(self) -> float:
        """Time in seconds at which the last transition ends."""
        ends = [k.time + k.onset for k in self.keys]
        ends += [k.end + (k.onset if k.offset is None else k.offset)
                 for k in self.keys if k.end is not None]
        return max(ends, default=0.0)

    def _segments(self, names: tuple) -> list:
        index = {n: j for j, n in enumerate(names)}
        segs = []
        for order, k in enumerate(self.keys):
            target = np.zeros(len(names))
            for n, w in k.mixture.items():
                target[index[n]] = w
            segs.append((k.time, order, 0, k.onset, target, k.shape))
            superseded = order + 1 < len(self.keys) and self.keys[order + 1].time <= (k.end or 0)
            if k.end is not None and not superseded:   # a later key took over before the end
                off = k.onset if k.offset is None else k.offset
                segs.append((k.end, order, 1, off, np.zeros(len(names)), k.shape))
        segs.sort(key=lambda s: s[:3])
        return segs

    def sample(self, *, fps: float, n_frames: int, names=None) -> np.ndarray:
        """Per-frame mixture weights.

        Parameters
        ----------
        fps : float
        n_frames : int
        names : sequence of str, optional
            Columns to return (default :attr:`names`); must include every name the keys use.

        Returns
        -------
        np.ndarray [shape=(n_frames, len(names)), dtype=float64]
        """
        names = self.names if names is None else tuple(names)
        missing = set(self.names) - set(names)
        if missing:
            raise EmotionSpecError(f"sample(names=...) lacks {sorted(missing)} used by the keys")
        t = np.arange(int(n_frames), dtype=np.float64) / float(fps)
        out = np.zeros((len(t), len(names)))
        segs = self._segments(names)
        start = np.zeros(len(names))
        for i, (s0, _, _, dur, target, shape) in enumerate(segs):
            s1 = segs[i + 1][0] if i + 1 < len(segs) else np.inf
            a, b = np.searchsorted(t, [s0, s1], side="left")      # frames in [s0, s1)
            prog = (t[a:b] - s0) / dur if dur > 0 else np.ones(b - a)
            out[a:b] = start + (target - start) * ramp(prog, shape)[:, None]
            if np.isfinite(s1):
                p1 = (s1 - s0) / dur if dur > 0 else 1.0
                start = start + (target - start) * float(ramp(np.array([p1]), shape)[0])
        return out

    def scaled(self, factor: float) -> "EmotionTimeline":
        """The same timeline with every intensity times ``factor`` (capped at 1.5)."""
        factor = check_intensity("scale factor", factor, what="value")
        return EmotionTimeline(tuple(
            replace(k, mixture={n: min(1.5, w * factor) for n, w in k.mixture.items()})
            for k in self.keys))

    def merged(self, other: "EmotionTimeline") -> "EmotionTimeline":
        """Keys of both timelines in time order: ``other``'s keys take over from their times."""
        return EmotionTimeline(self.keys + tuple(other.keys))

    @classmethod
    def from_keys(cls, keys) -> "EmotionTimeline":
        """From dicts ``{"time", "emotion" or "mixture", "onset", "end", "offset", "shape"}``."""
        out = []
        for i, raw in enumerate(keys):
            if not isinstance(raw, dict):
                raise EmotionSpecError(f"timeline key {i} must be an object, got {raw!r}")
            k = {("mixture" if a == "emotion" else a): v for a, v in raw.items()}
            unknown = set(k) - {"time", "mixture", "onset", "end", "offset", "shape"}
            if unknown:
                raise EmotionSpecError(f"timeline key {i}: unknown fields {sorted(unknown)}; "
                                       "use time, emotion, onset, end, offset, shape")
            if "time" not in k or "mixture" not in k:
                raise EmotionSpecError(f"timeline key {i} needs 'time' and 'emotion'")
            k.setdefault("onset", DEFAULT_ONSET_S)
            k.setdefault("shape", "minjerk")
            out.append(EmotionKey(**k))
        return cls(tuple(out))

    @classmethod
    def from_samples(cls, times, mixtures, *, names=None) -> "EmotionTimeline":
        """From sampled values, joined linearly (e.g. Blender's animated emotion sliders).

        Parameters
        ----------
        times : array-like [shape=(n,)]
            Strictly increasing sample times in seconds.
        mixtures : sequence of n dicts / strings, or array [shape=(n, len(names))]
        names : sequence of str, required when ``mixtures`` is an array
        """
        times = np.asarray(times, dtype=np.float64).ravel()
        if times.size and (not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0)):
            raise EmotionSpecError("sample times must be finite and strictly increasing")
        if isinstance(mixtures, np.ndarray) or names is not None:
            arr = np.asarray(mixtures, dtype=np.float64)
            if names is None or arr.ndim != 2 or arr.shape != (times.size, len(names)):
                raise EmotionSpecError(f"an array of samples needs names and shape "
                                       f"({times.size}, len(names)), got {arr.shape}")
            mixtures = [dict(zip(names, row)) for row in arr]
        if len(mixtures) != times.size:
            raise EmotionSpecError(f"{times.size} times but {len(mixtures)} mixtures")
        if not times.size:
            return cls(())
        # the value at each sample time is that sample; a linear ramp leads to the next one
        keys = [EmotionKey(float(times[0]), mixtures[0], onset=0.0, shape="linear")]
        for i in range(times.size - 1):
            keys.append(EmotionKey(float(times[i]), mixtures[i + 1],
                                   onset=float(times[i + 1] - times[i]), shape="linear"))
        return cls(tuple(keys))


def read_emotion_timeline(path) -> tuple:
    """Read a JSON or CSV timeline file.

    Returns
    -------
    global_timeline : EmotionTimeline or None
    region_timelines : dict of str -> EmotionTimeline
    """
    path = Path(path)
    if not path.is_file():
        raise EmotionSpecError(f"emotion timeline {path} does not exist; give a .json or .csv file")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EmotionSpecError(f"cannot read emotion timeline {path}: {exc}") from None
    if suffix == ".json":
        return _from_json(text, path)
    if suffix == ".csv":
        return _from_csv(text, path)
    raise EmotionSpecError(f"emotion timeline {path}: unknown extension {suffix!r}; use .json or .csv")


def _from_json(text: str, path) -> tuple:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EmotionSpecError(f"emotion timeline {path} is not valid JSON: {exc}") from None
    if isinstance(data, list):
        data = {"keys": data}
    if not isinstance(data, dict):
        raise EmotionSpecError(f"emotion timeline {path}: expected an object with 'keys'")

    def keys_of(obj):
        return obj.get("keys", []) if isinstance(obj, dict) else obj

    glob = EmotionTimeline.from_keys(keys_of(data)) if data.get("keys") else None
    regions = {}
    for region, obj in (data.get("regions") or {}).items():
        region_names_for(region)
        regions[region] = EmotionTimeline.from_keys(keys_of(obj))
    if glob is None and not regions:
        raise EmotionSpecError(f"emotion timeline {path} holds no keys")
    return glob, regions


def _from_csv(text: str, path) -> tuple:
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        raise EmotionSpecError(f"emotion timeline {path} holds no rows (need a header and keys)")
    fields = {"time", "onset", "end", "offset", "shape", "region", "emotion"}
    header = [h.strip() for h in rows[0].keys() if h is not None]
    if "time" not in header:
        raise EmotionSpecError(f"emotion timeline {path}: the header needs a 'time' column")
    emotion_cols = [h for h in header if h not in fields]
    by_region: dict = {}
    for line, row in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        mix = parse_mixture(row.get("emotion", "")) if row.get("emotion") else {}
        for col in emotion_cols:
            if row.get(col):
                mix.update(parse_mixture(f"{col}={row[col]}"))
        key = {"time": row["time"], "mixture": mix, "shape": row.get("shape") or "minjerk",
               "onset": row.get("onset") or DEFAULT_ONSET_S,
               "end": row.get("end") or None, "offset": row.get("offset") or None}
        try:
            k = EmotionKey(**key)
        except EmotionSpecError as exc:
            raise EmotionSpecError(f"emotion timeline {path}, line {line}: {exc}") from None
        region = row.get("region") or ""
        if region:
            region_names_for(region)
        by_region.setdefault(region, []).append(k)
    glob = EmotionTimeline(tuple(by_region.pop("", ()))) if "" in by_region else None
    return glob, {r: EmotionTimeline(tuple(k)) for r, k in by_region.items()}


__all__ = ["EmotionKey", "EmotionTimeline", "read_emotion_timeline", "ramp", "SHAPES",
           "DEFAULT_ONSET_S"]
