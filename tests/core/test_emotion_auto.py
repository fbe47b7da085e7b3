"""Automatic emotion track from prosody (arousal) and wording (valence)."""
import numpy as np
import pytest

from talkrig.core.curves import PhoneTrack, Prosody
from talkrig.core.errors import EmotionSpecError
from talkrig.core.face.auto_emotion import (arousal_track, auto_emotion, valence_track,
                                            word_valences)
from talkrig.core.face.emotion import EmotionSpec, emotion_layer
from talkrig.core.face.timeline import EmotionTimeline

FPS = 30.0


def synthetic_prosody(seconds=6.0, *, semitone_swing=1.0, level_db=-20.0, onsets_per_s=4.0,
                      seed=0):
    """Voiced speech-like prosody: f0 around 120 Hz swinging by +-semitone_swing."""
    n = int(seconds * FPS) + 1
    t = np.arange(n) / FPS
    rng = np.random.default_rng(seed)
    f0 = 120.0 * 2 ** ((semitone_swing * np.sin(2 * np.pi * 1.3 * t)
                        + 0.2 * rng.standard_normal(n)) / 12)
    db = level_db + 2 * np.sin(2 * np.pi * 0.7 * t)
    return Prosody(fps=FPS, loudness=np.clip((db + 60) / 60, 0, 1).astype(np.float32),
                   f0=f0.astype(np.float32), voicing=np.ones(n, np.float32),
                   onsets=np.arange(0.1, seconds, 1.0 / onsets_per_s),
                   phrase_breaks=np.zeros((0, 2)), loudness_db=db.astype(np.float32))


def test_word_valences_with_negation_and_boosters():
    v = word_valences("i love this".split())
    assert v[1] > 2.5 and v[0] == 0 and v[2] == 0
    neg = word_valences("i do not love this".split())
    assert neg[3] == pytest.approx(-0.74 * v[1])
    boosted = word_valences("very good".split())
    assert boosted[1] > word_valences(["good"])[0]


def test_valence_follows_the_words_in_time():
    t = np.linspace(0, 10, 21)
    words = ["wonderful", "day", "terrible", "night"]
    val = valence_track(t, words, np.array([1.0, 1.5, 8.0, 8.5]))
    assert val[2] > 0.3 and val[16] < -0.3 and np.all(np.abs(val) <= 1)


def test_arousal_rises_with_pitch_swing_and_loudness():
    calm = synthetic_prosody(semitone_swing=1.0, onsets_per_s=4.0)
    lively = synthetic_prosody(semitone_swing=8.0, onsets_per_s=7.0)
    t = np.arange(1.0, 5.0, 0.5)
    a_calm, _ = arousal_track(calm, t)
    a_live, _ = arousal_track(lively, t)
    assert a_live.mean() > a_calm.mean() + 0.3
    assert a_live.mean() > 0.3 and np.all(np.abs(a_live) <= 1)
    silent = Prosody(fps=FPS, loudness=np.zeros(100, np.float32), f0=np.zeros(100, np.float32),
                     voicing=np.zeros(100, np.float32), onsets=np.zeros(0),
                     phrase_breaks=np.zeros((0, 2)))
    assert not arousal_track(silent, t)[0].any()


def test_auto_emotion_returns_a_usable_timeline():
    pros = synthetic_prosody(semitone_swing=2.0)
    happy, t, vad = auto_emotion(pros, text="what a wonderful, lovely, happy day", return_vad=True)
    sad = auto_emotion(pros, text="this is a terrible, sad, awful loss")
    assert isinstance(happy, EmotionTimeline) and vad.shape == (len(t), 3)
    n = len(pros.loudness)
    w_happy = happy.sample(fps=FPS, n_frames=n, names=happy.names)
    assert happy.names and "happiness" in happy.names
    assert w_happy[:, happy.names.index("happiness")].max() > 0.2
    assert "sadness" in sad.names
    # accept, scale or override: the user keeps control
    layer = emotion_layer(EmotionSpec(timeline=happy.scaled(0.5)), fps=FPS, n_frames=n)
    assert layer.shape == (n, 52) and layer.max() > 0
    again = auto_emotion(pros, text="what a wonderful, lovely, happy day")
    assert again == happy                                     # deterministic


def test_word_times_from_the_phone_track():
    pros = synthetic_prosody(seconds=8.0, semitone_swing=2.0)
    track = PhoneTrack(("sil", "L", "AH", "V", "sil", "HH", "EY", "T", "sil"),
                       np.array([0, .5, .6, .7, .8, 6.5, 6.6, 6.7, 6.8]),
                       np.array([.5, .6, .7, .8, 6.5, 6.6, 6.7, 6.8, 8.0]),
                       ("", "love", "love", "love", "", "hate", "hate", "hate", ""))
    _, t, vad = auto_emotion(pros, phones=track, return_vad=True)
    assert vad[np.searchsorted(t, 0.5), 0] > 0.3
    assert vad[np.searchsorted(t, 7.0), 0] < -0.3


def test_bad_arguments():
    pros = synthetic_prosody()
    with pytest.raises(EmotionSpecError, match="amount"):
        auto_emotion(pros, amount=3)
    with pytest.raises(EmotionSpecError, match="Prosody"):
        auto_emotion(np.zeros(10))
    with pytest.raises(EmotionSpecError, match="positive"):
        auto_emotion(pros, hop_s=0)
