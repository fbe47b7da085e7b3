"""EmotionSpec parsing, regions, VAD -> mixture and the emotion layer."""
import numpy as np
import pytest

from talkrig.core.errors import EmotionSpecError
from talkrig.core.face.emotion import (EmotionSpec, MAX_INTENSITY, basic_emotion_weights,
                                       canonical_name, emotion_layer, parse_mixture,
                                       parse_region_mixtures, vad_to_mixture)
from talkrig.core.face.regions import REGIONS, RegionBalance, region_mask, region_names_for
from talkrig.rigs import facs
from talkrig.rigs.arkit import ARKIT_INDEX, ARKIT_NAMES


def test_regions_partition_the_52_channels():
    seen = [n for r in REGIONS.values() for n in r]
    assert sorted(seen) == sorted(ARKIT_NAMES)
    assert "tongueOut" in REGIONS["mouth"] and "jawOpen" in REGIONS["jaw"]
    assert "noseSneerLeft" in REGIONS["cheeks"] and "eyeSquintLeft" in REGIONS["eyes"]
    assert region_names_for("upper") == ("brows", "eyes", "cheeks")
    assert region_names_for("Nose") == ("cheeks",)
    assert region_mask("lower").sum() == len(REGIONS["mouth"]) + len(REGIONS["jaw"])


def test_unknown_region_lists_valid_names():
    with pytest.raises(EmotionSpecError, match="brows.*mouth"):
        region_names_for("elbow")


def test_parse_cli_mixture():
    assert parse_mixture("happiness=0.8,surprise=0.3") == {"happiness": 0.8, "surprise": 0.3}
    assert parse_mixture("Happy, nervous smile=0.5") == {"happiness": 1.0, "nervous_smile": 0.5}
    assert parse_mixture("AU12=0.4,r14=0.2") == {"AU12": 0.4, "AU14R": 0.2}


@pytest.mark.parametrize("text, message", [
    ("hapiness=0.8", "valid names: neutral, happiness"),
    ("happiness=lots", "not a number"),
    ("happiness=2", "1.5"),
    ("happiness=-0.1", "0 \\(off\\)"),
    ("AU99=1", "unknown emotion"),
])
def test_bad_mixtures_say_what_to_do(text, message):
    with pytest.raises(EmotionSpecError, match=message):
        parse_mixture(text)


def test_canonical_names():
    assert canonical_name("Surprised") == "surprise"
    assert canonical_name("nervous-smile") == "nervous_smile"
    assert canonical_name("AU12R") == canonical_name("R12") == "AU12R"


def test_region_override_parsing_and_errors():
    r = parse_region_mixtures("brows:anger=0.8;mouth:happiness")
    assert r == {"brows": {"anger": 0.8}, "mouth": {"happiness": 1.0}}
    with pytest.raises(EmotionSpecError, match="region:mixture"):
        parse_region_mixtures("brows=anger")
    with pytest.raises(EmotionSpecError, match="unknown face region"):
        parse_region_mixtures("knees:anger")


def test_emotion_on_brows_alone_leaves_mouth_untouched():
    n = 20
    spec = EmotionSpec(regions={"brows": {"anger": 1.0}})
    layer = emotion_layer(spec, fps=30, n_frames=n)
    brows, mouth = region_mask("brows"), region_mask("mouth") | region_mask("jaw")
    assert layer[:, brows].max() > 0.8
    assert not layer[:, ~brows].any()
    # a global smile plus brows-only anger: the mouth is the smile's, the brows the anger's
    mixed = emotion_layer(EmotionSpec({"happiness": 1.0}, regions={"brows": {"anger": 1.0}}),
                          fps=30, n_frames=n)
    happy = emotion_layer(EmotionSpec({"happiness": 1.0}), fps=30, n_frames=n)
    np.testing.assert_array_equal(mixed[:, mouth], happy[:, mouth])
    assert mixed[:, ARKIT_INDEX["browDownLeft"]].min() > 0.8
    assert happy[:, ARKIT_INDEX["browDownLeft"]].max() == 0


def test_intensity_scales_and_exaggerates():
    one = emotion_layer(EmotionSpec({"sadness": 1.0}), fps=30, n_frames=1)[0]
    half = emotion_layer(EmotionSpec({"sadness": 0.5}), fps=30, n_frames=1)[0]
    more = emotion_layer(EmotionSpec({"sadness": MAX_INTENSITY}), fps=30, n_frames=1)[0]
    np.testing.assert_allclose(half, one / 2, atol=1e-6)
    assert np.all(more >= one - 1e-6) and more.max() <= 1.0
    assert more[ARKIT_INDEX["browInnerUp"]] > one[ARKIT_INDEX["browInnerUp"]]


def test_neutral_and_none_give_zeros():
    assert not emotion_layer(None, fps=30, n_frames=5).any()
    assert not emotion_layer(EmotionSpec({"neutral": 1.0}), fps=30, n_frames=5).any()
    assert EmotionSpec().is_neutral() and not EmotionSpec({"fear": 0.2}).is_neutral()
    with pytest.raises(EmotionSpecError, match="EmotionSpec"):
        emotion_layer({"happiness": 1}, fps=30, n_frames=5)


def test_vad_to_mixture_picks_the_near_anchor():
    for name in ("happiness", "sadness", "anger", "fear", "surprise"):
        v, a, d = facs.vad_anchors([name])[0]
        mix = vad_to_mixture(v, a, d)
        assert max(mix, key=mix.get) == name, (name, mix)
        assert sum(mix.values()) == pytest.approx(1.0, abs=0.05)
    half = vad_to_mixture(*(0.5 * facs.vad_anchors(["happiness"])[0]))
    assert 0.4 < half["happiness"] < 0.6
    assert vad_to_mixture(0, 0, 0) == {}
    with pytest.raises(EmotionSpecError, match="\\[-1, 1\\]"):
        vad_to_mixture(2.0, 0, 0)


def test_vad_spec_adds_to_mixture():
    spec = EmotionSpec(vad=(0.8, 0.5, 0.4))
    layer = emotion_layer(spec, fps=30, n_frames=1)[0]
    assert layer[ARKIT_INDEX["mouthSmileLeft"]] > 0.5


def test_region_balance():
    b = RegionBalance.parse("upper=0.5,mouth=1.5", "lower=0.8")
    g = b.emotion_gains()
    assert g[ARKIT_INDEX["browInnerUp"]] == 0.5 and g[ARKIT_INDEX["mouthSmileLeft"]] == 1.5
    assert g[ARKIT_INDEX["jawOpen"]] == 1.0
    assert b.speech_gains()[ARKIT_INDEX["jawOpen"]] == 0.8
    assert RegionBalance.upper_lower(0.0, 1.0).emotion_gains()[ARKIT_INDEX["eyeWideLeft"]] == 0
    with pytest.raises(EmotionSpecError, match="0..2"):
        RegionBalance.parse("upper=3")
    with pytest.raises(EmotionSpecError, match="region=number"):
        RegionBalance.parse("upper")


def test_basic_emotion_weights_for_eyes_and_head():
    w = basic_emotion_weights(EmotionSpec({"amazement": 1.0, "anger": 0.5}), fps=30, n_frames=4)
    assert set(w) == {"surprise", "happiness", "anger"}
    assert w["anger"].shape == (4,) and w["anger"][0] == pytest.approx(0.5)
    assert w["surprise"][0] + w["happiness"][0] == pytest.approx(1.0)
