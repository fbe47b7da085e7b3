"""Face regions: which ARKit channels belong where, and how strongly emotion and speech act there.

Each of the 52 ARKit channels belongs to exactly one region:

========  ==============================================================================
region    channels
========  ==============================================================================
brows     browDownLeft/Right, browInnerUp, browOuterUpLeft/Right
eyes      eyeBlink*, eyeSquint*, eyeWide*, eyeLook* (upper lids, lid tension, gaze)
cheeks    cheekPuff, cheekSquintLeft/Right, noseSneerLeft/Right (cheeks and nose)
mouth     mouth* (23 lip channels) and tongueOut
jaw       jawOpen, jawForward, jawLeft, jawRight
========  ==============================================================================

Groups name several regions at once, like Audio2Face's upper/lower face strength:
``upper`` = brows + eyes + cheeks, ``lower`` = mouth + jaw, ``all`` = every region.

A :class:`RegionBalance` holds, per region, the strength of the emotion layer (0 switches
emotion off there, up to 2 exaggerates it) and the strength of the speech layer (0 .. 2).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...rigs.arkit import ARKIT_NAMES, N_ARKIT
from ..errors import EmotionSpecError


def _region_of(name: str) -> str:
    if name.startswith("brow"):
        return "brows"
    if name.startswith("eye"):
        return "eyes"
    if name.startswith(("cheek", "nose")):
        return "cheeks"
    if name.startswith("jaw"):
        return "jaw"
    return "mouth"          # mouth* and tongueOut


REGION_NAMES = ("brows", "eyes", "cheeks", "mouth", "jaw")
REGIONS = {r: tuple(n for n in ARKIT_NAMES if _region_of(n) == r) for r in REGION_NAMES}
CHANNEL_REGION = tuple(_region_of(n) for n in ARKIT_NAMES)
REGION_GROUPS = {
    "upper": ("brows", "eyes", "cheeks"),
    "lower": ("mouth", "jaw"),
    "all": REGION_NAMES,
}
REGION_ALIASES = {
    "brow": "brows", "eyebrows": "brows", "forehead": "brows",
    "eye": "eyes", "lids": "eyes", "upper_lids": "eyes", "eyelids": "eyes",
    "cheek": "cheeks", "nose": "cheeks", "cheeks_nose": "cheeks",
    "lips": "mouth", "lip": "mouth", "chin": "jaw",
    "upper_face": "upper", "lower_face": "lower", "face": "all",
}
MAX_STRENGTH = 2.0


def region_names_for(name: str) -> tuple:
    """Regions a region, group or alias name stands for.

    ``"brows"`` -> ``("brows",)``, ``"upper"`` -> ``("brows", "eyes", "cheeks")``.
    Raises :class:`EmotionSpecError` listing the valid names for anything else.
    """
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    key = REGION_ALIASES.get(key, key)
    if key in REGIONS:
        return (key,)
    if key in REGION_GROUPS:
        return REGION_GROUPS[key]
    valid = ", ".join(REGION_NAMES + tuple(REGION_GROUPS) + tuple(sorted(REGION_ALIASES)))
    raise EmotionSpecError(f"unknown face region {name!r}; use one of: {valid}")


def region_mask(region: str) -> np.ndarray:
    """Boolean mask of the channels of a region or group [shape=(52,)]."""
    regions = set(region_names_for(region))
    return np.array([r in regions for r in CHANNEL_REGION], dtype=bool)


def _parse_gain(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise EmotionSpecError(f"{what}: {text!r} is not a number; write e.g. 'upper=0.8'") from None
    if not np.isfinite(value) or not 0.0 <= value <= MAX_STRENGTH:
        raise EmotionSpecError(f"{what}: {value} is outside 0..{MAX_STRENGTH:g}; "
                               "0 switches a layer off in a region, 1 is normal, 2 doubles it")
    return value


@dataclass(frozen=True)
class RegionBalance:
    """Per-region strength of the emotion and of the speech layer.

    Parameters
    ----------
    emotion : dict of str -> float
        Region (or group/alias) -> emotion strength in [0, 2]; missing regions get 1.
        Later entries win, so ``{"all": 0.5, "brows": 1.0}`` halves all but the brows.
    speech : dict of str -> float
        Region -> speech strength in [0, 2]; missing regions get 1.
    """

    emotion: dict = field(default_factory=dict)
    speech: dict = field(default_factory=dict)

    def __post_init__(self):
        for what, table in (("emotion strength", self.emotion), ("speech strength", self.speech)):
            if not isinstance(table, dict):
                raise EmotionSpecError(f"{what} must be a dict region -> number, got {table!r}")
            for key, value in table.items():
                region_names_for(key)
                _parse_gain(str(value), f"{what} of {key!r}")

    @classmethod
    def upper_lower(cls, upper: float = 1.0, lower: float = 1.0, *,
                    speech_upper: float = 1.0, speech_lower: float = 1.0) -> "RegionBalance":
        """Audio2Face-style upper/lower face strengths for emotion and speech."""
        return cls(emotion={"upper": upper, "lower": lower},
                   speech={"upper": speech_upper, "lower": speech_lower})

    @classmethod
    def parse(cls, emotion: str = "", speech: str = "") -> "RegionBalance":
        """Parse CLI strings such as ``"upper=1.2,mouth=0.5"`` for each layer."""
        def table(text: str, what: str) -> dict:
            out = {}
            for item in filter(None, (p.strip() for p in (text or "").split(","))):
                if "=" not in item:
                    raise EmotionSpecError(f"{what}: {item!r} needs the form region=number, "
                                           "e.g. 'upper=0.8,mouth=0.5'")
                key, value = (s.strip() for s in item.split("=", 1))
                region_names_for(key)
                out[key] = _parse_gain(value, f"{what} of {key!r}")
            return out
        return cls(emotion=table(emotion, "emotion strength"), speech=table(speech, "speech strength"))

    @staticmethod
    def _gains(table: dict) -> np.ndarray:
        gains = np.ones(N_ARKIT)
        for key, value in table.items():
            gains[region_mask(key)] = float(value)
        return gains

    def emotion_gains(self) -> np.ndarray:
        """Per-channel emotion strength [shape=(52,)]."""
        return self._gains(self.emotion)

    def speech_gains(self) -> np.ndarray:
        """Per-channel speech strength [shape=(52,)]."""
        return self._gains(self.speech)


def apply_region_mix(region_layers: dict, *, n_frames: int) -> np.ndarray:
    """Assemble one [n_frames, 52] layer from per-region layers.

    Parameters
    ----------
    region_layers : dict of str -> np.ndarray [shape=(n_frames, 52)]
        For each region name (not group), the layer computed from that region's mixture;
        only the region's own channels are taken from it.
    n_frames : int

    Returns
    -------
    np.ndarray [shape=(n_frames, 52), dtype=float32]
        Channels of regions absent from ``region_layers`` stay 0.
    """
    out = np.zeros((n_frames, N_ARKIT), dtype=np.float32)
    for region, layer in region_layers.items():
        mask = region_mask(region)
        out[:, mask] = np.asarray(layer, dtype=np.float32)[:, mask]
    return out


__all__ = ["REGION_NAMES", "REGIONS", "REGION_GROUPS", "REGION_ALIASES", "CHANNEL_REGION",
           "region_names_for", "region_mask", "RegionBalance", "apply_region_mix"]
