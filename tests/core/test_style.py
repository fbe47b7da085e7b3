"""core.style: defaults, validation messages, copies."""
from __future__ import annotations

import dataclasses

import pytest

from talkrig.core.errors import StyleError, TalkrigError
from talkrig.core.style import Style, as_style


def test_defaults_match_the_plan():
    s = Style()
    assert (s.articulation, s.loudness_scale, s.lead_ms, s.blink_rate, s.head_amount,
            s.gaze_amount) == (1.0, 1.0, 0.0, 1.0, 1.0, 1.0)
    assert s.eyes and s.blinks and s.head and s.mode == "auto"


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Style().articulation = 2.0


@pytest.mark.parametrize("field,value,pattern", [
    ("articulation", 2.5, r"articulation=2.5 is out of range; use a value from 0 to 2"),
    ("loudness_scale", -0.1, r"loudness_scale=-0.1 is out of range"),
    ("lead_ms", 500, r"lead_ms=500 is out of range; use a value from -200 to 200"),
    ("blink_rate", float("nan"), r"blink_rate=nan is out of range"),
    ("head_amount", "lots", r"head_amount must be a number"),
    ("gaze_amount", True, r"gaze_amount must be a number"),
    ("eyes", 1, r"eyes must be True or False"),
    ("mode", "visemes", r"mode 'visemes' is unknown; use one of auto, loudness, phonemes"),
])
def test_invalid_values(field, value, pattern):
    with pytest.raises(StyleError, match=pattern):
        Style(**{field: value})
    assert issubclass(StyleError, TalkrigError)


def test_ints_become_floats_and_bounds_are_inclusive():
    s = Style(articulation=2, lead_ms=-200)
    assert isinstance(s.articulation, float) and s.articulation == 2.0 and s.lead_ms == -200.0


def test_replace_and_dicts():
    s = Style().replace(articulation=0.5, mode="loudness")
    assert s.articulation == 0.5 and s.mode == "loudness"
    assert Style.from_dict(s.to_dict()) == s
    with pytest.raises(StyleError, match="unknown style setting.*wobble"):
        Style().replace(wobble=1)
    with pytest.raises(StyleError, match="articulation=9"):
        Style().replace(articulation=9)


def test_as_style():
    assert as_style(None) == Style()
    assert as_style({"head": False}).head is False
    with pytest.raises(StyleError, match="style must be a Style, a dict"):
        as_style(3)
