"""One frozen settings object for a bake: what the CLI, each batch row and the panel build.

:class:`BakeSettings` nests one part per topic:

``face``      the mouth: driver mode, articulation, loudness scale, lead (:class:`FaceSettings`)
``eyes_head`` blinks, gaze and head motion amounts and switches (:class:`EyesHeadSettings`)
``emotion``   mixture, per-region mixes, timeline, VAD point, description, automatic
              track, per-region strengths (:class:`EmotionSettings`)
``body``      gestures (:class:`~talkrig.core.body.settings.BodySettings`)
``flame``     FLAME parameters (:class:`~talkrig.core.flame.settings.FlameSettings`)
``output``    how Blender outputs are written (:class:`OutputSettings`)

``to_dict`` / ``from_dict`` give a JSON-friendly nested dict. :func:`settings_from_options`
turns flat user options (the CLI's long option names, ``-`` or ``_``; a manifest row's
columns) into settings: one table (:data:`OPTIONS`), so a manifest column and its CLI option
take the same values and fail with the same message.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Callable, Mapping, Optional

from .body.settings import BodySettings
from .errors import EmotionSpecError, StyleError, TalkrigError
from .settings_part import SettingsPart
from .flame.settings import FlameSettings
from .style import MODES, Style
from .timebase import check_fps

MAX_DURATION_S = 4 * 3600.0
FBX_PRESETS = ("default", "unreal", "unity")
DRIVES = ("auto", "arkit", "visemes")
TRUE_WORDS = ("1", "true", "yes", "y", "x", "on")
FALSE_WORDS = ("0", "false", "no", "n", "off", "")


def _fields(obj) -> dict:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


@dataclass(frozen=True)
class FaceSettings(SettingsPart):
    """The mouth (see :class:`~talkrig.core.style.Style` for ranges)."""

    _what = "face"

    mode: str = "auto"
    articulation: float = 1.0
    loudness_scale: float = 1.0
    lead_ms: float = 0.0

    def __post_init__(self):
        checked = Style(**_fields(self))            # one validation, Style's messages
        for name in ("articulation", "loudness_scale", "lead_ms"):
            object.__setattr__(self, name, getattr(checked, name))


@dataclass(frozen=True)
class EyesHeadSettings(SettingsPart):
    """Blinks, gaze and head motion (see :class:`~talkrig.core.style.Style` for ranges)."""

    _what = "eyes and head"

    blink_rate: float = 1.0
    head_amount: float = 1.0
    gaze_amount: float = 1.0
    eyes: bool = True
    blinks: bool = True
    head: bool = True

    def __post_init__(self):
        checked = Style(**_fields(self))
        for name in ("blink_rate", "head_amount", "gaze_amount"):
            object.__setattr__(self, name, getattr(checked, name))


def _pairs(mapping) -> tuple:
    return tuple((str(k), float(v)) for k, v in dict(mapping).items())


@dataclass(frozen=True)
class EmotionSettings(SettingsPart):
    """Every emotion control, as values (not yet per-frame curves).

    mixture : ((name, intensity), ...)  static global mix, e.g. (("happiness", 0.8),)
    regions : ((region, ((name, intensity), ...)), ...)  per-region static mixes
    timeline_file : str  path of an emotion timeline (.json / .csv), '' for none
    timelines : tuple of EmotionTimeline  keys given directly (the panel's animated sliders)
    region_timelines : ((region, EmotionTimeline), ...)  per-region keys given directly
    vad : (valence, arousal, dominance) or None, each -1 .. 1
    describe : str  emotion from words ("nervous, half-smiling")
    auto : float  amount of the automatic emotion track, 0 (off) .. 1.5
    emotion_strength, speech_strength : ((region, gain), ...)  per-region strengths, 0 .. 2
    """

    _what, _error = "emotion", EmotionSpecError

    mixture: tuple = ()
    regions: tuple = ()
    timeline_file: str = ""
    timelines: tuple = ()
    region_timelines: tuple = ()
    vad: Optional[tuple] = None
    describe: str = ""
    auto: float = 0.0
    emotion_strength: tuple = ()
    speech_strength: tuple = ()

    def __post_init__(self):
        from .face.emotion import normalize_mixture, vad_to_mixture
        from .face.regions import RegionBalance
        from .face.timeline import EmotionTimeline
        set_ = lambda k, v: object.__setattr__(self, k, v)       # noqa: E731
        set_("mixture", _pairs(normalize_mixture(dict(self.mixture))))
        set_("regions", tuple((str(r), _pairs(normalize_mixture(dict(m))))
                              for r, m in dict(self.regions).items()))
        if not isinstance(self.timeline_file, str) or not isinstance(self.describe, str):
            raise EmotionSpecError("emotion timeline_file and describe must be strings")
        tls = tuple(t if isinstance(t, EmotionTimeline) else EmotionTimeline.from_keys(t)
                    for t in self.timelines)
        set_("timelines", tls)
        set_("region_timelines", tuple(
            (str(r), t if isinstance(t, EmotionTimeline) else EmotionTimeline.from_keys(t))
            for r, t in dict(self.region_timelines).items()))
        if self.vad is not None:
            vad = tuple(float(x) for x in self.vad)
            if len(vad) != 3:
                raise EmotionSpecError(f"vad needs three numbers 'valence,arousal,dominance' "
                                       f"(each -1..1), got {self.vad!r}")
            vad_to_mixture(*vad)                                 # range check
            set_("vad", vad)
        set_("auto", Style(auto_emotion=self.auto).auto_emotion)
        set_("emotion_strength", _pairs(self.emotion_strength))
        set_("speech_strength", _pairs(self.speech_strength))
        RegionBalance(emotion=dict(self.emotion_strength), speech=dict(self.speech_strength))

    def to_dict(self) -> dict:
        def keys(tl):
            return [{"time": k.time, "mixture": dict(k.mixture), "onset": k.onset, "end": k.end,
                     "offset": k.offset, "shape": k.shape} for k in tl.keys]
        return {"mixture": dict(self.mixture), "regions": {r: dict(m) for r, m in self.regions},
                "timeline_file": self.timeline_file,
                "timelines": [keys(t) for t in self.timelines],
                "region_timelines": {r: keys(t) for r, t in self.region_timelines},
                "vad": list(self.vad) if self.vad is not None else None,
                "describe": self.describe, "auto": self.auto,
                "emotion_strength": dict(self.emotion_strength),
                "speech_strength": dict(self.speech_strength)}


    def resolve(self):
        """``(EmotionSpec or None, RegionBalance or None)`` for the face, eyes, head and body.

        The order is that of the command line: description, then the static mix (added,
        capped at the intensity limit), the timeline file, keys given directly, the region
        mixes (which win over the description's region words and the file's region keys),
        then the VAD point. The automatic track is added later, from the speech.
        """
        import dataclasses

        from .face.describe import spec_from_options
        from .face.emotion import EmotionSpec
        from .face.regions import RegionBalance
        spec = spec_from_options(mixture=dict(self.mixture),
                                 region_mixtures={r: dict(m) for r, m in self.regions},
                                 timeline_path=self.timeline_file or None,
                                 description=self.describe, timelines=self.timelines,
                                 region_timelines=dict(self.region_timelines))
        if self.vad is not None:
            spec = dataclasses.replace(spec or EmotionSpec(), vad=self.vad)
        balance = None
        if self.emotion_strength or self.speech_strength:
            balance = RegionBalance(emotion=dict(self.emotion_strength),
                                    speech=dict(self.speech_strength))
        return spec, balance


@dataclass(frozen=True)
class OutputSettings(SettingsPart):
    """How Blender outputs (.blend, .fbx, .glb, .mp4) are made.

    target : str  a .blend holding the rig to animate ('' = the generated demo head)
    body_target : str  a .blend whose armature takes the body ('' = the target's own
        armature, or talkrig's mannequin without a target)
    drive : str  which shape keys the mouth drives: auto, arkit or visemes
    fbx_preset : str  default, unreal or unity
    pack_sound : bool  pack the speech into saved .blend files (so they survive a move)
    """

    _what = "output"

    target: str = ""
    body_target: str = ""
    drive: str = "auto"
    fbx_preset: str = "default"
    pack_sound: bool = True

    def __post_init__(self):
        if self.drive not in DRIVES:
            raise StyleError(f"unknown drive {self.drive!r}; use one of {', '.join(DRIVES)}")
        if self.fbx_preset not in FBX_PRESETS:
            raise StyleError(f"unknown FBX preset {self.fbx_preset!r}; use one of "
                             f"{', '.join(FBX_PRESETS)}")
        if not isinstance(self.target, str) or not isinstance(self.body_target, str) \
                or not isinstance(self.pack_sound, bool):
            raise StyleError("output target must be a path string and pack_sound True or False")


_PARTS = {"face": FaceSettings, "eyes_head": EyesHeadSettings, "emotion": EmotionSettings,
          "body": BodySettings, "flame": FlameSettings, "output": OutputSettings}


@dataclass(frozen=True)
class BakeSettings(SettingsPart):
    """Everything a bake is asked to do, except the audio and its transcript.

    Parameters
    ----------
    fps : float  frame rate of every curve, 1 to 240.
    seed : int  seed of every random choice (same inputs + seed = same curves).
    max_duration_s : float  longest accepted audio, seconds.
    face, eyes_head, emotion, body, flame, output : the parts (module docstring).
    """

    fps: float = 30.0
    seed: int = 0
    max_duration_s: float = MAX_DURATION_S
    face: FaceSettings = field(default_factory=FaceSettings)
    eyes_head: EyesHeadSettings = field(default_factory=EyesHeadSettings)
    emotion: EmotionSettings = field(default_factory=EmotionSettings)
    body: BodySettings = field(default_factory=BodySettings)
    flame: FlameSettings = field(default_factory=FlameSettings)
    output: OutputSettings = field(default_factory=OutputSettings)

    def __post_init__(self):
        object.__setattr__(self, "fps", check_fps(self.fps))
        object.__setattr__(self, "seed", check_seed(self.seed))
        d = self.max_duration_s
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not (math.isfinite(d) and d > 0):
            raise StyleError(f"max duration must be a positive number of seconds, got {d!r}")
        object.__setattr__(self, "max_duration_s", float(d))
        for name, cls in _PARTS.items():
            value = getattr(self, name)
            if not isinstance(value, cls):
                object.__setattr__(self, name, cls.from_dict(value))

    @property
    def style(self) -> Style:
        """The face, eyes/head parts and the automatic-emotion amount as one :class:`Style`
        (what the face layers read)."""
        return Style(**_fields(self.face), **_fields(self.eyes_head), auto_emotion=self.emotion.auto)

    def to_dict(self) -> dict:
        """Nested plain dict (JSON-friendly)."""
        out = {"fps": self.fps, "seed": self.seed, "max_duration_s": self.max_duration_s}
        for name in _PARTS:
            out[name] = getattr(self, name).to_dict()
        return out

    @classmethod
    def from_style(cls, style=None, **top) -> "BakeSettings":
        """Settings from a :class:`Style` (or dict of its fields) plus top-level fields."""
        from .style import as_style
        s = _fields(as_style(style))
        auto = s.pop("auto_emotion")
        face = {k: s.pop(k) for k in ("mode", "articulation", "loudness_scale", "lead_ms")}
        emotion = top.pop("emotion", EmotionSettings())
        if auto:
            emotion = replace(emotion, auto=auto)
        return cls(face=FaceSettings(**face), eyes_head=EyesHeadSettings(**s), emotion=emotion, **top)


def check_seed(seed) -> int:
    """Validate a seed (a non-negative integer)."""
    import numpy as np
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise StyleError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


# -- flat user options: CLI long options and manifest columns --------------------------------

def _number(option: str, value, error=StyleError) -> float:
    if isinstance(value, bool):
        raise error(f"{option} must be a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise error(f"{option} must be a number, got {value!r}") from None
    if not math.isfinite(out):
        raise error(f"{option} must be a finite number, got {value!r}")
    return out


def _integer(option: str, value) -> int:
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            raise StyleError(f"{option} must be a whole number, got {value!r}")
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _flag(option: str, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise StyleError(f"{option} must be yes or no (1/0, true/false), got {value!r}")


def _vad(option: str, value) -> tuple:
    if isinstance(value, (tuple, list)):
        parts = list(value)
    else:
        parts = [p for p in str(value).split(",")]
    try:
        out = tuple(float(v) for v in parts)
    except (TypeError, ValueError):
        out = ()
    if len(out) != 3:
        raise EmotionSpecError(f"{option} needs three numbers 'valence,arousal,dominance' "
                               f"(each -1..1), got {value!r}")
    return out


def _mixture(option: str, value) -> tuple:
    from .face.emotion import parse_mixture
    return _pairs(value if isinstance(value, Mapping) else parse_mixture(str(value)))


def _regions(option: str, value) -> tuple:
    from .face.emotion import parse_region_mixtures
    if isinstance(value, Mapping):
        return tuple((r, _pairs(m)) for r, m in value.items())
    return tuple((r, _pairs(m)) for r, m in parse_region_mixtures(str(value)).items())


def _strengths(layer: str):
    def parse(option: str, value) -> tuple:
        from .face.regions import RegionBalance
        if isinstance(value, Mapping):
            return _pairs(value)
        balance = RegionBalance.parse(**{layer: str(value)})
        return _pairs(getattr(balance, layer))
    return parse


def _text(option: str, value) -> str:
    return "" if value is None else str(value).strip()


def _choice(choices):
    def parse(option: str, value) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise StyleError(f"unknown {option} {value!r}; use one of {', '.join(choices)}")
        return text
    return parse


def _nonneg_int(option: str, value) -> int:
    out = _integer(option, value)
    if isinstance(out, bool) or not isinstance(out, int) or out < 0:
        raise StyleError(f"{option} must be a whole number >= 0, got {value!r}")
    return out


#: option name (CLI ``--long-name`` with ``_``; manifest column) -> (part, field, parse[, negate])
OPTIONS: dict = {
    "fps": ("", "fps", lambda o, v: _number(o, v)),
    "seed": ("", "seed", _integer),
    "max_duration": ("", "max_duration_s", lambda o, v: _number(o, v)),
    "mode": ("face", "mode", _choice(MODES)),
    "articulation": ("face", "articulation", lambda o, v: _number(o, v)),
    "loudness_scale": ("face", "loudness_scale", lambda o, v: _number(o, v)),
    "lead_ms": ("face", "lead_ms", lambda o, v: _number(o, v)),
    "blink_rate": ("eyes_head", "blink_rate", lambda o, v: _number(o, v)),
    "head_amount": ("eyes_head", "head_amount", lambda o, v: _number(o, v)),
    "gaze_amount": ("eyes_head", "gaze_amount", lambda o, v: _number(o, v)),
    "no_eyes": ("eyes_head", "eyes", _flag, True),
    "no_blinks": ("eyes_head", "blinks", _flag, True),
    "no_head": ("eyes_head", "head", _flag, True),
    "emotion": ("emotion", "mixture", _mixture),
    "emotion_regions": ("emotion", "regions", _regions),
    "emotion_timeline": ("emotion", "timeline_file", _text),
    "vad": ("emotion", "vad", _vad),
    "describe": ("emotion", "describe", _text),
    "auto_emotion": ("emotion", "auto", lambda o, v: _number(o, v)),
    "emotion_strength": ("emotion", "emotion_strength", _strengths("emotion")),
    "speech_strength": ("emotion", "speech_strength", _strengths("speech")),
    "body": ("body", "enabled", _flag),
    "no_body": ("body", "enabled", _flag, True),
    "gesture_amount": ("body", "gesture_amount", lambda o, v: _number(o, v)),
    "energy": ("body", "energy", lambda o, v: _number(o, v)),
    "hand_height": ("body", "hand_height", lambda o, v: _number(o, v)),
    "handedness": ("body", "handedness", _text),
    "flame_model": ("flame", "model_path", _text),
    "flame_expressions": ("flame", "n_expression", _nonneg_int),
    "target": ("output", "target", _text),
    "body_target": ("output", "body_target", _text),
    "drive": ("output", "drive", _choice(DRIVES)),
    "fbx_preset": ("output", "fbx_preset", _choice(FBX_PRESETS)),
    "pack_sound": ("output", "pack_sound", _flag),
    "no_pack_sound": ("output", "pack_sound", _flag, True),
}


def option_key(name: str) -> str:
    """``--emotion-regions`` / ``emotion-regions`` / ``emotion_regions`` -> ``emotion_regions``."""
    return name.strip().lstrip("-").replace("-", "_").lower()


def settings_from_options(options: Mapping, *, base: Optional[BakeSettings] = None,
                          resolve_path: Optional[Callable[[str], str]] = None) -> BakeSettings:
    """Settings from flat user options (CLI values or manifest cells); unset ones keep ``base``.

    Empty strings and None mean "not given". ``resolve_path`` maps path-valued options
    (timeline, target, FLAME model) to absolute paths (a manifest's folder). Every error is
    a :class:`TalkrigError` naming the option as the user wrote it (``--emotion-regions``).
    """
    base = base or BakeSettings()
    top: dict = {}
    parts = {name: {} for name in _PARTS}
    for raw, value in options.items():
        key = option_key(raw)
        if key not in OPTIONS:
            raise StyleError(f"unknown option {raw!r}; known: "
                             f"{', '.join(k.replace('_', '-') for k in OPTIONS)}")
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        part, name, parse, *negate = OPTIONS[key]
        label = "--" + key.replace("_", "-")
        parsed = parse(label, value)
        if negate:
            if not parsed:
                continue                      # --no-x given as false: nothing to change
            parsed = False
        if resolve_path and name in ("timeline_file", "target", "body_target", "model_path") \
                and parsed:
            parsed = resolve_path(parsed)
        (top if not part else parts[part])[name] = parsed
    try:
        changed = {n: replace(getattr(base, n), **kw) for n, kw in parts.items() if kw}
        return replace(base, **top, **changed)
    except TalkrigError:
        raise
    except (TypeError, ValueError) as exc:
        raise StyleError(f"bad option value: {exc}") from None
