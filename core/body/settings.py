"""Body (gesture) settings: the ``body`` part of :class:`~talkrig.core.settings.BakeSettings`."""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import BodyOptionError
from ..settings_part import SettingsPart

HANDEDNESS = ("right", "left", "both")

#: Accepted range (inclusive) of every numeric field, with what the value means.
RANGES = {
    "gesture_amount": (0.0, 2.0, "0 = no gestures (idle and breathing only), 1 = normal, 2 = animated"),
    "energy": (0.0, 2.0, "speed and sharpness of strokes, 1 = normal"),
    "hand_height": (-1.0, 1.0, "-1 = hands low near the hips, 0 = normal, 1 = high, near the chest"),
}


@dataclass(frozen=True)
class BodySettings(SettingsPart):
    """How the body moves. ``enabled`` False (the default) bakes no body."""

    _what, _error = "body", BodyOptionError

    enabled: bool = False
    gesture_amount: float = 1.0
    energy: float = 1.0
    hand_height: float = 0.0
    handedness: str = "right"

    def __post_init__(self):
        if not isinstance(self.enabled, bool):
            raise BodyOptionError(f"body enabled must be True or False, got {self.enabled!r}")
        for name, (lo, hi, meaning) in RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise BodyOptionError(f"body {name} must be a number ({meaning}), got {value!r}")
            if not math.isfinite(value) or not lo <= value <= hi:
                raise BodyOptionError(f"body {name.replace('_', '-')}={value!r} is out of range; use "
                                      f"{lo:g} to {hi:g} ({meaning})")
            object.__setattr__(self, name, float(value))
        if self.handedness not in HANDEDNESS:
            raise BodyOptionError(f"unknown handedness {self.handedness!r}; use one of "
                                  f"{', '.join(HANDEDNESS)}")
