"""Text description -> mixture + region overrides (core.face.describe)."""
import warnings

import numpy as np
import pytest

from talkrig.core.errors import EmotionSpecError
from talkrig.core.face.describe import UnknownWordsWarning, describe, known_terms
from talkrig.core.face.emotion import emotion_layer
from talkrig.core.face.regions import region_mask
from talkrig.rigs.arkit import ARKIT_INDEX


def test_nervous_half_smiling_brows_raised():
    with warnings.catch_warnings():
        warnings.simplefilter("error")                       # nothing unknown: no warning
        d = describe("nervous, half-smiling, brows raised")
    assert d.unknown == ()
    assert [t for t, _ in d.terms] == ["nervous", "smiling", "brows raised"]
    assert dict(d.terms)["smiling"] == 0.5                   # "half-" halves the smile
    assert d.mixture["worry"] == pytest.approx(0.7)
    assert d.mixture["AU12"] == pytest.approx(0.4)
    assert d.regions == {"brows": {"AU1": 0.8, "AU2": 0.8}}
    layer = emotion_layer(d.spec(), fps=30, n_frames=1)[0]
    assert layer[ARKIT_INDEX["browOuterUpLeft"]] == pytest.approx(0.8)
    assert layer[ARKIT_INDEX["browDownLeft"]] == 0            # the brows override wins
    assert layer[ARKIT_INDEX["mouthSmileLeft"]] > 0.3


def test_unknown_words_are_reported_and_warned():
    with pytest.warns(UnknownWordsWarning, match="glorbly"):
        d = describe("glorbly smirking, wide-eyed")
    assert d.unknown == ("glorbly",)
    assert d.mixture == {"AU12R": 0.7, "AU14R": 0.5}
    assert d.regions == {"eyes": {"AU5": 0.9}}
    quiet = describe("glorbly smirking", warn=False)
    assert quiet.unknown == ("glorbly",)


def test_modifiers_multiply_and_cap():
    assert describe("slightly sad").mixture == {"sadness": pytest.approx(0.32)}
    assert describe("very happy").mixture == {"happiness": pytest.approx(1.04)}
    assert describe("extremely furious").mixture["anger"] == 1.5     # capped at 1.5
    assert describe("a bit surprised").mixture == {"surprise": pytest.approx(0.32)}


def test_negation_drops_the_next_term():
    d = describe("very happy but not smiling")
    assert d.negated == ("smiling",) and "AU12" not in d.mixture
    assert d.mixture["happiness"] == pytest.approx(1.04)
    d2 = describe("smiling, not smiling")
    assert "AU12" not in d2.mixture
    d3 = describe("she doesn't look angry, a bit surprised")
    assert "anger" not in d3.mixture and d3.negated == ("angry",)


def test_region_words_touch_only_their_region():
    d = describe("furrowed")
    layer = emotion_layer(d.spec(), fps=30, n_frames=1)[0]
    assert layer[region_mask("brows")].max() > 0.7
    assert not layer[~region_mask("brows")].any()


def test_nothing_known_is_an_error():
    with pytest.raises(EmotionSpecError, match="no emotion words recognised.*xyz"):
        describe("xyz qq")
    with pytest.raises(EmotionSpecError, match="empty"):
        describe("   ")


def test_lexicon_covers_the_brief():
    terms = set(known_terms())
    for word in ("nervous", "smiling", "brows raised", "furrowed", "smirk", "teary"):
        assert word in terms


def test_spec_from_cli_options(tmp_path):
    from talkrig.core.face.describe import spec_from_options
    from talkrig.core.face.timeline import EmotionTimeline
    assert spec_from_options() is None
    p = tmp_path / "keys.json"
    p.write_text('{"keys": [{"time": 0.0, "emotion": "sadness=0.5", "onset": 0}]}')
    auto = EmotionTimeline.from_samples([0.0, 1.0], [{"fear": 0.2}, {"fear": 0.2}])
    with pytest.warns(UnknownWordsWarning):
        spec = spec_from_options(emotion="happiness=0.8,surprise=0.3",
                                 regions="brows:anger=0.8", timeline_path=p,
                                 description="slightly worried, glorbly", auto=auto)
    assert spec.mixture == {"worry": pytest.approx(0.32), "happiness": 0.8, "surprise": 0.3}
    assert spec.regions == {"brows": {"anger": 0.8}}
    assert len(spec.timeline) == 2
    layer = emotion_layer(spec, fps=30, n_frames=3)
    assert layer[1, ARKIT_INDEX["browDownLeft"]] == pytest.approx(0.68, abs=1e-5)
    from talkrig.core.face.emotion import mixture_weights
    names, w = mixture_weights(spec.mixture, spec.timeline, fps=30, n_frames=2)
    assert w[1, names.index("sadness")] == pytest.approx(0.5)
    assert w[1, names.index("fear")] == pytest.approx(0.2)
    with pytest.raises(EmotionSpecError, match="does not exist"):
        spec_from_options(timeline_path=tmp_path / "missing.json")
