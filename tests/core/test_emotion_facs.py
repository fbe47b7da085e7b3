"""FACS table, emotion prototypes, VAD anchors, shipped lexicons (rigs/facs.py + data)."""
import json

import numpy as np
import pytest

from talkrig.rigs import facs
from talkrig.rigs.arkit import ARKIT_INDEX, ARKIT_NAMES
from talkrig.core.face.emotion import canonical_name, emotion_layer, EmotionSpec
from talkrig.core.face.regions import region_names_for

# Defining action units of the seven basic emotions (EMFACS), as the brief and the data say.
DEFINING_AUS = {
    "happiness": (6, 12), "sadness": (1, 4, 15), "surprise": (1, 2, 5, 26),
    "fear": (1, 2, 4, 5, 7, 20, 26), "disgust": (9, 15, 16), "anger": (4, 5, 7, 23),
    "contempt": ("R12", "R14"),
}


def primary_channels(aus):
    """Channels the units drive with weight >= 0.5 (their own channels, not side effects)."""
    out = set()
    for token in aus:
        au, side, _ = facs.parse_au_token(str(token))
        out |= {ARKIT_NAMES[i] for i in np.flatnonzero(facs.au_vector(au, side) >= 0.5)}
    return out


def test_every_au_maps_to_arkit_names():
    for au, entry in facs.facs_table()["action_units"].items():
        assert entry["arkit"], au
        assert set(entry["arkit"]) <= set(ARKIT_NAMES), au
        assert all(0 < w <= 1 for w in entry["arkit"].values())


def test_brief_au_mapping():
    v = lambda au: {ARKIT_NAMES[i] for i in np.flatnonzero(facs.au_vector(au) >= 0.5)}
    assert v(1) == {"browInnerUp"}
    assert v(2) == {"browOuterUpLeft", "browOuterUpRight"}
    assert v(4) == {"browDownLeft", "browDownRight"}
    assert v(5) == {"eyeWideLeft", "eyeWideRight"}
    assert v(6) == {"cheekSquintLeft", "cheekSquintRight"}
    assert v(7) == {"eyeSquintLeft", "eyeSquintRight"}
    assert v(9) == {"noseSneerLeft", "noseSneerRight"}
    assert v(10) == {"mouthUpperUpLeft", "mouthUpperUpRight"}
    assert v(12) == {"mouthSmileLeft", "mouthSmileRight"}
    assert v(14) == {"mouthDimpleLeft", "mouthDimpleRight"}
    assert v(15) == {"mouthFrownLeft", "mouthFrownRight"}
    assert v(17) == {"mouthShrugLower"}
    assert v(20) == {"mouthStretchLeft", "mouthStretchRight"}
    assert v(24) == {"mouthPressLeft", "mouthPressRight"}
    assert v(43) == {"eyeBlinkLeft", "eyeBlinkRight"}


def test_unilateral_and_intensity_letters():
    au, side, level = facs.parse_au_token("R12A")
    assert (au, side, level) == (12, "R", facs.facs_table()["intensity_letters"]["A"])
    r = facs.au_vector(12, "R")
    assert r[ARKIT_INDEX["mouthSmileRight"]] == 1.0 and r[ARKIT_INDEX["mouthSmileLeft"]] == 0.0
    c = facs.au_vector(1, "L")          # a centre channel gets the unilateral share
    assert c[ARKIT_INDEX["browInnerUp"]] == facs.facs_table()["unilateral_center_share"]
    v = facs.facs_code_vector("5B")
    assert v[ARKIT_INDEX["eyeWideLeft"]] == facs.facs_table()["intensity_letters"]["B"]


@pytest.mark.parametrize("bad", ["12Z", "AU99", "smile", "R"])
def test_bad_facs_tokens(bad):
    with pytest.raises(ValueError):
        facs.parse_au_token(bad)


def test_contempt_is_one_sided():
    v = facs.emotion_vector("contempt")
    assert v[ARKIT_INDEX["mouthSmileRight"]] > 0 and v[ARKIT_INDEX["mouthSmileLeft"]] == 0
    assert v[ARKIT_INDEX["mouthDimpleRight"]] > 0 and v[ARKIT_INDEX["mouthDimpleLeft"]] == 0


def test_catalogue_and_vad_anchors():
    names = facs.emotion_names()
    assert facs.basic_emotion_names() == ("neutral", "happiness", "sadness", "surprise", "fear",
                                          "disgust", "anger", "contempt")
    for compound in ("pain", "grief", "amazement", "cheekiness", "nervous_smile"):
        assert compound in names
        assert facs.emotion_table()["emotions"][compound]["source"]
    vad = facs.vad_anchors()
    assert vad.shape == (len(names), 3) and np.all(np.abs(vad) <= 1)
    a = dict(zip(names, vad))
    assert a["happiness"][0] > 0.5 and a["sadness"][0] < -0.5 and a["anger"][1] > 0.3
    assert np.all(a["neutral"] == 0)
    assert not facs.emotion_vector("neutral").any()
    for n in names[1:]:
        assert facs.emotion_vector(n).max() > 0.3, n


def test_every_alias_and_lexicon_entry_resolves():
    for alias in facs.emotion_aliases():
        canonical_name(alias)
    lex = facs.describe_lexicon()
    for word, entry in lex["terms"].items():
        for name in entry.get("mix", {}):
            canonical_name(name)
        for region, mix in entry.get("regions", {}).items():
            region_names_for(region)
            for name in mix:
                canonical_name(name)
    assert set(lex["modifiers"]).isdisjoint(lex["stopwords"])


def test_vader_lexicon_shipped_with_notice():
    lex = facs.sentiment_lexicon()
    assert len(lex) > 7000
    assert lex["love"] > 2.5 and lex["hate"] < -2.0 and -4 <= min(lex.values())
    notice = (facs.DATA_DIR / "lexicon_sentiment_vader_LICENSE.txt").read_text()
    assert "MIT" in notice and "Hutto" in notice


def dominance_row(name):
    """(share of the layer mass on the defining AU channels, min defining, max other)."""
    layer = emotion_layer(EmotionSpec({name: 1.0}), fps=30, n_frames=1)[0].astype(float)
    mask = np.array([n in primary_channels(DEFINING_AUS[name]) for n in ARKIT_NAMES])
    return layer[mask].sum() / layer.sum(), layer[mask].min(), layer[~mask].max(initial=0.0)


@pytest.mark.parametrize("name", sorted(DEFINING_AUS))
def test_defining_au_channels_dominate(name):
    share, lo, hi = dominance_row(name)
    assert share >= 0.8, (name, share)
    assert lo > hi, (name, lo, hi)
