"""Golden bakes: the curves of seven command lines (``tests/data/golden/cases.json``) stay
bit-identical while code moves between modules.

A change that is meant to alter curves rewrites the files with
``python tests/data/golden/make_golden.py [case ...]`` and says so in its commit.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)
CASES = make_golden.load_cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_bake_is_bit_identical(name):
    audio, args = CASES[name]
    if not Path(audio).is_file():
        pytest.fail(f"{audio} is missing: run `make examples`")
    want = np.load(GOLDEN / f"{name}.npz")
    got = make_golden.arrays(make_golden.bake_case(audio, args))
    assert tuple(want["names"]) == tuple(got["names"])
    assert float(want["fps"]) == float(got["fps"])
    assert got["face"].dtype == want["face"].dtype and got["face"].shape == want["face"].shape
    diff = np.abs(got["face"].astype(np.float64) - want["face"]).max()
    assert np.array_equal(got["face"], want["face"]), f"face curves moved by up to {diff:g}"
    assert ("visemes" in want) == ("visemes" in got)
    if "visemes" in want:
        assert np.array_equal(got["visemes"], want["visemes"])


def test_golden_cases_cover_the_issue_list():
    """Text and no text, an emotion mix, region mixing, a timeline, style options, loudness."""
    assert {"text", "notext", "emotion_mix", "regions", "timeline", "style_describe_vad",
            "loudness"} <= set(CASES)
