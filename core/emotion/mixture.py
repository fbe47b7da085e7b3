"""Emotion mixtures: names (emotions, compounds, aliases, FACS units) -> intensities.

A mixture maps canonical names to intensities in 0 .. :data:`MAX_INTENSITY`, e.g.
``{"happiness": 0.8, "surprise": 0.3}``; the CLI form is ``"happiness=0.8,surprise=0.3"``
and per-region mixes read ``"brows:anger=0.8;mouth:happiness"``. Names come from
``rigs/data/emotions.json`` and ``rigs/data/facs.json``.
"""
from __future__ import annotations

import re

import numpy as np

from ...rigs import facs
from ..errors import EmotionSpecError
from ..face.regions import region_names_for

MAX_INTENSITY = 1.5          # documented exaggeration range: 0 .. 1.5
_AU_NAME = re.compile(r"^(?:AU)?([LR])?(\d{1,2})([LR])?$", re.IGNORECASE)


def valid_names() -> tuple:
    """Canonical emotion names a mixture accepts (FACS units ``AU<n>[L|R]`` come on top)."""
    return facs.emotion_names()


def canonical_name(name: str) -> str:
    """Canonical form of an emotion or action-unit name.

    ``"Happy"`` -> ``"happiness"``, ``"nervous smile"`` -> ``"nervous_smile"``,
    ``"au12"``/``"12"`` -> ``"AU12"``, ``"R12"``/``"AU12R"`` -> ``"AU12R"``.
    Raises :class:`EmotionSpecError` that lists the valid names.
    """
    raw = str(name).strip()
    key = raw.lower().replace("-", "_")
    key = re.sub(r"\s+", "_", key)
    aliases = facs.emotion_aliases()
    key = aliases.get(key, aliases.get(key.replace("_", " "), key))
    if key in facs.emotion_table()["emotions"]:
        return key
    m = _AU_NAME.match(raw.replace(" ", ""))
    if m and (m.group(1) is None or m.group(3) is None):
        au = int(m.group(2))
        if au in facs.action_units():
            side = (m.group(1) or m.group(3) or "").upper()
            return f"AU{au}{side}"
    raise EmotionSpecError(
        f"unknown emotion {raw!r}; valid names: {', '.join(valid_names())} "
        f"(aliases: {', '.join(sorted(aliases))}), or a FACS action unit such as AU12 or AU12R "
        f"(known units: {', '.join(str(a) for a in facs.action_units())})")


def check_intensity(name: str, value, *, what: str = "intensity") -> float:
    """Validate one intensity (0 .. :data:`MAX_INTENSITY`) and return it as float."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise EmotionSpecError(f"{what} of {name!r} is {value!r}, not a number; "
                               "write e.g. 'happiness=0.8'") from None
    if not np.isfinite(v) or v < 0.0 or v > MAX_INTENSITY:
        raise EmotionSpecError(f"{what} of {name!r} is {v:g}; use 0 (off) .. 1 (full) .. "
                               f"{MAX_INTENSITY:g} (exaggerated)")
    return v


def normalize_mixture(mixture) -> dict:
    """Canonical, validated copy of a mixture (dict name -> intensity, or a CLI string)."""
    if mixture is None:
        return {}
    if isinstance(mixture, str):
        return parse_mixture(mixture)
    if not hasattr(mixture, "items"):
        raise EmotionSpecError(f"an emotion mixture must be a dict or a string like "
                               f"'happiness=0.8,surprise=0.3', got {type(mixture).__name__}")
    out: dict = {}
    for name, value in mixture.items():
        key = canonical_name(name)
        out[key] = out.get(key, 0.0) + check_intensity(name, value)
        check_intensity(name, out[key], what="summed intensity")
    return out


def parse_mixture(text: str) -> dict:
    """Parse the CLI form ``"happiness=0.8,surprise=0.3"`` (a bare name means 1.0).

    Returns
    -------
    dict of str -> float
        Canonical name -> intensity in [0, 1.5].
    """
    out: dict = {}
    for item in filter(None, (p.strip() for p in str(text).split(","))):
        name, _, value = item.partition("=")
        key = canonical_name(name)
        out[key] = out.get(key, 0.0) + check_intensity(name.strip(), value.strip() or 1.0)
    return out


def parse_region_mixtures(text: str) -> dict:
    """Parse ``"brows:anger=0.8;mouth:happiness=0.5"`` into region -> mixture.

    Region names may be groups (``upper``, ``lower``) or aliases (``nose``, ``lips``).
    """
    out: dict = {}
    for part in filter(None, (p.strip() for p in str(text).split(";"))):
        region, sep, mix = part.partition(":")
        if not sep:
            raise EmotionSpecError(f"region override {part!r} needs the form region:mixture, "
                                   "e.g. 'brows:anger=0.8;mouth:happiness=0.5'")
        region_names_for(region)
        out[region.strip()] = parse_mixture(mix)
    return out


