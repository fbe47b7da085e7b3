"""Compose: emotion over speech without breaking it (closures, vowels, smiles), per emotion."""
import numpy as np
import pytest

from talkrig.core.curves import FaceCurves, PhoneTrack
from talkrig.core.errors import CurveFormatError, EmotionSpecError
from talkrig.core.face.coarticulation import speech_layer
from talkrig.core.face.compose import compose, lip_gap, speech_closures
from talkrig.core.face.emotion import EmotionSpec, emotion_layer
from talkrig.core.face.regions import RegionBalance
from talkrig.rigs import facs
from talkrig.rigs.arkit import ARKIT_INDEX, FACE_CHANNELS, HEAD_EYE_NAMES
from talkrig.rigs.demo_head import build_demo_head, lip_aperture

FPS = 30.0
PHONES = ["sil", "M", "AA", "M", "AA", "P", "AA", "B", "IY", "M", "UW", "sil"]
DUR = [0.3, 0.09, 0.18, 0.08, 0.2, 0.1, 0.16, 0.09, 0.15, 0.08, 0.2, 0.3]
EMOTIONS = [n for n in facs.emotion_names() if n != "neutral"]


@pytest.fixture(scope="module")
def take():
    """Speech layer of 'mama pa bee moo' from the coarticulation model, with marked frames."""
    ends = np.cumsum(DUR)
    starts = ends - np.array(DUR)
    track = PhoneTrack(tuple(PHONES), starts, ends, tuple("w" for _ in PHONES), source="test")
    n = int(ends[-1] * FPS) + 1
    speech = speech_layer(track, None, fps=FPS, n_frames=n).astype(np.float64)
    t = np.arange(n) / FPS
    idx = np.minimum(np.searchsorted(ends, t, side="right"), len(PHONES) - 1)
    phone = np.array(PHONES)[idx]
    centre = np.abs(t - 0.5 * (starts[idx] + ends[idx])) <= 0.5 * (ends[idx] - starts[idx]) - 0.02
    closure = np.isin(phone, ["M", "P", "B"]) & centre
    vowel = (phone == "AA") & centre
    assert closure.sum() >= 6 and vowel.sum() >= 6
    return speech, closure, vowel


@pytest.fixture(scope="module")
def head():
    return build_demo_head()


def test_output_channels_and_range(take):
    speech, _, _ = take
    fc = compose(speech, fps=FPS, emotion=EmotionSpec({"surprise": 1.5, "happiness": 1.5}))
    assert isinstance(fc, FaceCurves) and fc.names == FACE_CHANNELS
    assert fc.values.shape == (len(speech), 61)
    assert fc.values[:, :52].min() >= 0 and fc.values[:, :52].max() <= 1


def test_no_emotion_keeps_the_speech_layer(take):
    speech, _, _ = take
    fc = compose(speech, fps=FPS)
    np.testing.assert_allclose(fc.values[:, :52], speech, atol=1e-6)


def test_inferred_closures_cover_the_marked_ones(take):
    speech, closure, vowel = take
    c = speech_closures(speech, fps=FPS)
    assert np.all(c[closure] == 1) and np.all(c[vowel] == 0)
    assert c[:2].sum() == 0          # rest, far from speech, is no closure


@pytest.mark.parametrize("intensity", [1.0, 1.5])
@pytest.mark.parametrize("name", EMOTIONS)
def test_every_emotion_keeps_closures_and_vowels(take, head, name, intensity):
    speech, closure, vowel = take
    for closures in (None, closure.astype(float)):          # inferred and explicit marks
        out = compose(speech, fps=FPS, emotion=EmotionSpec({name: intensity}),
                      closures=closures).values[:, :52].astype(np.float64)
        # p/b/m: lips meet - the gap and the measured aperture stay the speech layer's
        assert np.all(lip_gap(out)[closure] <= lip_gap(speech)[closure] + 0.01), name
        ap_out = lip_aperture(head, out)[closure]
        ap_sp = lip_aperture(head, speech)[closure]
        assert np.all(ap_out <= ap_sp + 0.0005), (name, ap_out.max(), ap_sp.max())
        jaw, close = ARKIT_INDEX["jawOpen"], ARKIT_INDEX["mouthClose"]
        np.testing.assert_allclose((out[:, jaw] - out[:, close])[closure],
                                   (speech[:, jaw] - speech[:, close])[closure], atol=0.01)
        for ch in ("mouthUpperUpLeft", "mouthLowerDownRight", "mouthFunnel"):
            assert np.all(out[closure, ARKIT_INDEX[ch]] <= speech[closure, ARKIT_INDEX[ch]] + 0.01)
        # open vowels stay open: the jaw is never below speech, the gap hardly shrinks
        assert np.all(out[vowel, jaw] >= speech[vowel, jaw] - 1e-6)
        assert np.all(lip_gap(out)[vowel] >= 0.95 * lip_gap(speech)[vowel]), name
        assert np.all(lip_aperture(head, out)[vowel] >= 0.9 * lip_aperture(head, speech)[vowel])


def test_smile_widens_the_closed_mouth_without_parting(take, head):
    speech, closure, _ = take
    out = compose(speech, fps=FPS, emotion=EmotionSpec({"happiness": 1.0}),
                  closures=closure.astype(float)).values[:, :52].astype(np.float64)
    # in "moo" the m already rounds for the u (anticipation): rounding wins there
    unrounded = closure & (speech[:, ARKIT_INDEX["mouthPucker"]] < 0.1)
    assert unrounded.sum() >= 5
    assert out[unrounded, ARKIT_INDEX["mouthSmileLeft"]].min() > 0.6
    assert out[closure, ARKIT_INDEX["mouthSmileLeft"]].min() > 0.2
    assert lip_aperture(head, out)[closure].max() <= lip_aperture(head, speech)[closure].max() + 0.0005


def test_emotion_opens_the_mouth_at_rest_but_less_while_talking(take):
    speech, _, vowel = take
    speech = np.concatenate([np.zeros((30, 52)), speech])           # 1 s of rest before
    vowel = np.concatenate([np.zeros(30, bool), vowel])
    emo = emotion_layer(EmotionSpec({"surprise": 1.0}), fps=FPS, n_frames=len(speech))
    out = compose(speech, fps=FPS, emotion=emo).values
    jaw = ARKIT_INDEX["jawOpen"]
    assert out[:20, jaw] == pytest.approx(emo[0, jaw], abs=1e-6)       # rest: full jaw drop
    assert np.all(out[vowel, jaw] <= speech[vowel, jaw] + emo[0, jaw])


def test_rounding_beats_spreading():
    n = 10
    speech = np.zeros((n, 52))
    speech[:, ARKIT_INDEX["jawOpen"]] = 0.15
    speech[5:, ARKIT_INDEX["mouthPucker"]] = 0.6
    out = compose(speech, fps=FPS, emotion=EmotionSpec({"happiness": 1.0})).values
    smile = out[:, ARKIT_INDEX["mouthSmileLeft"]]
    assert smile[7] < 0.5 * smile[2]
    assert out[7, ARKIT_INDEX["mouthPucker"]] == pytest.approx(0.6)


def test_region_balance_upper_lower(take):
    speech, _, _ = take
    spec = EmotionSpec({"surprise": 1.0})
    off_upper = compose(speech, fps=FPS, emotion=spec,
                        region_balance=RegionBalance.upper_lower(0.0, 1.0)).values
    assert off_upper[:, ARKIT_INDEX["browInnerUp"]].max() == 0
    no_speech = compose(speech, fps=FPS,
                        region_balance=RegionBalance(speech={"lower": 0.0})).values
    assert no_speech[:, :52].max() == 0


def test_eyes_and_head_layers(take):
    speech, _, _ = take
    n = len(speech)
    layers = {name: np.full(n, 0.1, np.float32) for name in HEAD_EYE_NAMES}
    layers["eyeBlinkLeft"] = np.zeros(n, np.float32)
    layers["eyeBlinkLeft"][10] = 1.0
    fc = compose(speech, fps=FPS, emotion=EmotionSpec({"surprise": 1.0}), eyes=layers, head=layers)
    assert fc.channel("HeadYaw")[0] == pytest.approx(0.1)
    assert fc.channel("RightEyePitch")[0] == pytest.approx(0.1)
    assert fc.channel("eyeBlinkLeft")[10] == 1.0
    assert fc.channel("eyeWideLeft")[10] == 0.0 and fc.channel("eyeWideLeft")[20] > 0.3
    arr = compose(speech, fps=FPS, eyes=np.zeros((n, 58)), head=np.ones((n, 3)))
    assert arr.channel("HeadPitch")[5] == 1.0


def test_bad_layers_are_reported(take):
    speech, _, _ = take
    with pytest.raises(CurveFormatError, match="shape \\(n_frames, 52\\)"):
        compose(speech[:, :40], fps=FPS)
    with pytest.raises(CurveFormatError, match="frames"):
        compose(speech, fps=FPS, emotion=np.zeros((3, 52)))
    with pytest.raises(CurveFormatError, match="NaN"):
        compose(np.full_like(speech, np.nan), fps=FPS)
    with pytest.raises(EmotionSpecError, match="EmotionSpec"):
        compose(speech, fps=FPS, emotion="happiness")
    with pytest.raises(CurveFormatError, match="shape"):
        compose(speech, fps=FPS, head=np.zeros((len(speech), 4)))


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0])
def test_gating_adds_no_pops(fps):
    """Emotion gated by closures/openness never steps much more than the speech itself."""
    ends = np.cumsum(DUR)
    track = PhoneTrack(tuple(PHONES), ends - np.array(DUR), ends, tuple("w" for _ in PHONES))
    speech = speech_layer(track, None, fps=fps, n_frames=int(ends[-1] * fps) + 1).astype(float)
    base = np.abs(np.diff(speech, axis=0)).max(axis=0)
    for name in EMOTIONS:
        out = compose(speech, fps=fps, emotion=EmotionSpec({name: 1.5})).values[:, :52]
        steps = np.abs(np.diff(out.astype(float), axis=0)).max(axis=0)
        assert (steps - base).max() <= 0.35, name
