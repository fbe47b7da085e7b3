"""How a performance is played: articulation, timing lead, eyes and head amounts.

:class:`Style` is a frozen, validated dataclass shared by every face stage. Out-of-range
values raise :class:`~talkrig.core.errors.StyleError` with the accepted range, so a typo in
a CLI flag or an add-on preset fails at once instead of producing odd curves.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from .errors import StyleError

MODES = ("auto", "loudness", "phonemes")

#: Accepted range (inclusive) of every numeric field, with what the value means.
RANGES = {
    "articulation": (0.0, 2.0, "0 = mumbled, 1 = normal, 2 = over-articulated"),
    "loudness_scale": (0.0, 2.0, "0 = lip scale ignores loudness, 1 = normal"),
    "lead_ms": (-200.0, 200.0, "milliseconds; positive = mouth moves earlier than the sound"),
    "blink_rate": (0.0, 4.0, "multiplier of the natural blink rate (about 17-26 per minute)"),
    "head_amount": (0.0, 3.0, "multiplier of head motion; 0 = still head"),
    "gaze_amount": (0.0, 3.0, "multiplier of gaze shifts; 0 = fixed gaze"),
    "auto_emotion": (0.0, 1.5, "amount of the automatic emotion track (prosody + wording); 0 = off"),
}
_FLAGS = ("eyes", "blinks", "head")


@dataclass(frozen=True)
class Style:
    """Performance style settings.

    Parameters
    ----------
    articulation : float
        Mouth shape strength, 0 (mumbled) .. 1 (normal) .. 2 (over-articulated).
    loudness_scale : float
        How much loudness scales lip movement, 0 (ignored) .. 2.
    lead_ms : float
        Milliseconds the mouth moves ahead of the audio (positive = earlier), -200 .. 200.
    blink_rate : float
        Multiplier of the natural blink rate, 0 .. 4.
    head_amount, gaze_amount : float
        Multipliers of head motion and gaze shifts, 0 .. 3.
    eyes, blinks, head : bool
        Turn the eye (gaze), blink and head layers on or off.
    auto_emotion : float
        Amount of the automatic emotion track suggested from prosody and wording, 0 (off) .. 1.5.
    mode : str
        Speech driver: ``"loudness"`` (audio level only, also for non-speech sounds),
        ``"phonemes"`` (phoneme timing) or ``"auto"`` (phonemes when available).
    """

    articulation: float = 1.0
    loudness_scale: float = 1.0
    lead_ms: float = 0.0
    blink_rate: float = 1.0
    head_amount: float = 1.0
    gaze_amount: float = 1.0
    eyes: bool = True
    blinks: bool = True
    head: bool = True
    auto_emotion: float = 0.0
    mode: str = "auto"

    def __post_init__(self):
        for name, (lo, hi, meaning) in RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise StyleError(f"style {name} must be a number ({meaning}), got {value!r}")
            if not math.isfinite(value) or not lo <= value <= hi:
                raise StyleError(
                    f"style {name}={value!r} is out of range; use a value from {lo:g} to {hi:g} "
                    f"({meaning})")
            object.__setattr__(self, name, float(value))
        for name in _FLAGS:
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise StyleError(f"style {name} must be True or False, got {value!r}")
        if self.mode not in MODES:
            raise StyleError(f"style mode {self.mode!r} is unknown; use one of {', '.join(MODES)}")

    def replace(self, **changes) -> "Style":
        """A copy with some fields changed (validated again)."""
        known = {f.name for f in fields(self)}
        bad = sorted(set(changes) - known)
        if bad:
            raise StyleError(f"unknown style setting(s) {', '.join(bad)}; "
                             f"known: {', '.join(sorted(known))}")
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, data: dict) -> "Style":
        """Build a Style from a plain dict (e.g. a preset file), rejecting unknown keys."""
        if not isinstance(data, dict):
            raise StyleError(f"a style must be a mapping of settings, got {type(data).__name__}")
        return cls().replace(**data)

    def to_dict(self) -> dict:
        """The settings as a plain dict (JSON-friendly)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def as_style(style) -> Style:
    """Accept ``None`` (defaults), a :class:`Style` or a dict of settings."""
    if style is None:
        return Style()
    if isinstance(style, Style):
        return style
    if isinstance(style, dict):
        return Style.from_dict(style)
    raise StyleError(f"style must be a Style, a dict of settings or None, got {type(style).__name__}")
