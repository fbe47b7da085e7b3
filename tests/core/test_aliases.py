"""rigs.aliases: shape key names in the spellings people bring."""
from __future__ import annotations

import re

import pytest

from talkrig.rigs.aliases import ShapeKeyMapping, arkit_name_for, canonical, match_shape_keys
from talkrig.rigs.arkit import ARKIT_NAMES


def face_cap(n):
    return re.sub(r"(Left|Right)$", lambda m: "_" + m.group(1)[0], n)


def snake(n):
    return re.sub(r"([A-Z])", r"_\1", n).lower()


SPELLINGS = {
    "apple": lambda n: n,
    "face_cap": face_cap,
    "snake": snake,
    "upper_snake": lambda n: snake(n).upper(),
    "live_link": lambda n: n[0].upper() + n[1:],
    "arkit_prefix": lambda n: "ARKit_" + n,
    "bs_face_cap": lambda n: "bs_" + face_cap(n),
    "maya_blendshape": lambda n: "blendShape1." + n,
    "object_path": lambda n: "Face." + snake(n),
    "namespace": lambda n: "Mesh:" + n,
    "blender_side": lambda n: re.sub(r"(Left|Right)$", lambda m: "." + m.group(1)[0], n),
}


@pytest.mark.parametrize("style", sorted(SPELLINGS))
def test_every_spelling_matches_all_52(style):
    spell = SPELLINGS[style]
    names = ["Basis"] + [spell(n) for n in ARKIT_NAMES] + ["custom_corrective"]
    m = match_shape_keys(names)
    assert isinstance(m, ShapeKeyMapping)
    assert m.matched == {n: spell(n) for n in ARKIT_NAMES}
    assert m.missing == () and m.extra == ("custom_corrective",) and m.coverage == 1.0


@pytest.mark.parametrize("key,arkit", [
    ("browDown_L", "browDownLeft"),
    ("brow_down_left", "browDownLeft"),
    ("BROW_DOWN_LEFT", "browDownLeft"),
    ("BrowDownLeft", "browDownLeft"),
    ("L_browDown", "browDownLeft"),
    ("Eye_L_Look_Down", "eyeLookDownLeft"),
    ("eyeBlink_R", "eyeBlinkRight"),
    ("jawLeft", "jawLeft"),
    ("mouthLeft", "mouthLeft"),
    ("mouthRight", "mouthRight"),
    ("ARKit_jawOpen", "jawOpen"),
    ("arkit52.jaw_open", "jawOpen"),
    ("blendShape2.mouthSmile_L", "mouthSmileLeft"),
    ("jawOpen.001", "jawOpen"),
    ("jawDrop", "jawOpen"),
    ("mouthRollInLower", "mouthRollLower"),
    ("tongue_out", "tongueOut"),
])
def test_single_names(key, arkit):
    assert arkit_name_for(key)[0] == arkit


@pytest.mark.parametrize("key", ["Basis", "head_turn", "mouthSmile", "blink", "", "Key 1"])
def test_non_matches(key):
    assert arkit_name_for(key) == (None, 0)


def test_basis_is_ignored_not_extra():
    m = match_shape_keys(["Basis", "Basis.001", "jawOpen"])
    assert m.matched == {"jawOpen": "jawOpen"} and m.extra == ()
    assert len(m.missing) == 51 and m.missing[0] == "eyeBlinkLeft"


def test_ties_prefer_exact_then_canonical_then_order():
    m = match_shape_keys(["bs_jaw_open", "JawOpen", "jawOpen", "jaw_open"])
    assert m.matched["jawOpen"] == "jawOpen"
    assert m.extra == ("bs_jaw_open", "JawOpen", "jaw_open")
    m = match_shape_keys(["bs_jaw_open", "JAW_OPEN", "JawOpen"])
    assert m.matched["jawOpen"] == "JAW_OPEN" and m.extra == ("bs_jaw_open", "JawOpen")


def test_missing_in_arkit_order_and_key_for():
    m = match_shape_keys(["tongueOut", "eyeBlink_L"])
    assert m.key_for("eyeBlinkLeft") == "eyeBlink_L" and m.key_for("jawOpen") is None
    assert list(m.matched) == ["eyeBlinkLeft", "tongueOut"]
    assert m.missing == tuple(n for n in ARKIT_NAMES if n not in ("tongueOut", "eyeBlinkLeft"))


def test_canonical_forms():
    assert canonical("browDown_L") == canonical("BROW_DOWN_LEFT") == "browdownleft"
    assert canonical("Face|mouthClose") == "mouthclose"
