"""Head motion: determinism, human ranges, speech/emotion shaping, smoothness, switches."""
import os
import sys

import numpy as np
import pytest

from talkrig.core.curves import Prosody
from talkrig.core.face.eyes import performance_layers
from talkrig.core.motion.head import HEAD_JERK_MAX, HEAD_STD_RANGE_DEG, head_motion
from talkrig.core.motion.signals import min_jerk_steps

sys.path.insert(0, os.path.dirname(__file__))
from prosody_data import FPS, N, SILENT, TALK, synthetic_prosody  # noqa: E402,F401


def std_deg(h):
    return np.degrees(np.asarray(h, dtype=np.float64)).std(axis=0)


def test_deterministic_per_seed():
    a = head_motion(TALK, fps=FPS, n_frames=N, seed=1)
    assert a.shape == (N, 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, head_motion(TALK, fps=FPS, n_frames=N, seed=1))
    assert not np.array_equal(a, head_motion(TALK, fps=FPS, n_frames=N, seed=2))


def test_std_within_documented_human_range_and_scales_with_amount():
    stds = np.array([std_deg(head_motion(TALK, fps=FPS, n_frames=N, seed=s)) for s in range(6)])
    mean = stds.mean(axis=0)
    for j, axis in enumerate(("yaw", "pitch", "roll")):
        lo, hi = HEAD_STD_RANGE_DEG[axis]
        assert lo <= mean[j] <= hi, (axis, mean[j])
    big = np.mean([std_deg(head_motion(TALK, fps=FPS, n_frames=N, seed=s, amount=2.0))
                   for s in range(6)], axis=0)
    small = np.mean([std_deg(head_motion(TALK, fps=FPS, n_frames=N, seed=s, amount=0.5))
                     for s in range(6)], axis=0)
    assert np.all(big > 1.6 * mean) and np.all(small < 0.6 * mean)
    assert not head_motion(TALK, fps=FPS, n_frames=N, seed=0, amount=0.0).any()
    wild = head_motion(TALK, fps=FPS, n_frames=N, seed=0, amount=10.0)
    assert np.abs(np.degrees(wild)).max() < 40.0                      # soft limits hold


def test_silence_is_nearly_still():
    talk = np.mean([std_deg(head_motion(TALK, fps=FPS, n_frames=N, seed=s)) for s in range(4)], 0)
    rest = np.mean([std_deg(head_motion(SILENT, fps=FPS, n_frames=N, seed=s)) for s in range(4)], 0)
    assert np.all(rest < 0.6 * talk)
    # No fast moves without speech: angular speed stays low.
    h = np.degrees(head_motion(SILENT, fps=FPS, n_frames=N, seed=0))
    assert np.abs(np.diff(h, axis=0)).max() * FPS < 10.0          # deg/s


def test_nods_follow_stressed_syllables():
    h = np.degrees(head_motion(TALK, fps=FPS, n_frames=N, seed=0, amount=1.0))
    vel = np.gradient(h[:, 1]) * FPS                                 # pitch speed, deg/s
    loud = TALK.loudness
    fr = np.round(TALK.onsets * FPS).astype(int)
    strong = fr[loud[np.minimum(fr + 3, N - 1)] > 0.9]
    win = np.arange(-15, 16)
    trig = vel[np.clip(strong[:, None] + win, 0, N - 1)].mean(axis=0)
    rnd = np.random.default_rng(0).integers(15, N - 16, 400)
    base = vel[rnd[:, None] + win].mean(axis=0)
    # Head dips after a stressed onset: the downward speed peaks within 0-300 ms.
    assert trig[15:25].min() < base[15:25].min() - 1.0
    assert -1 <= np.argmin(trig) - 15 <= 9


def test_emotion_shapes_posture_and_liveliness():
    ones = np.ones(N)

    def run(w):
        return np.degrees(head_motion(TALK, fps=FPS, n_frames=N, seed=3, emotion_weights=w))
    neutral, sad, surprise = run(None), run({"sadness": ones}), run({"surprise": ones})
    assert sad[:, 1].mean() < neutral[:, 1].mean() - 4.0
    assert surprise[:, 1].mean() > neutral[:, 1].mean() + 3.0
    hp = lambda h: h - np.apply_along_axis(np.convolve, 0, h, np.ones(61) / 61, "same")
    assert hp(sad)[60:-60].std() < 0.7 * hp(neutral)[60:-60].std()
    assert hp(run({"happiness": ones}))[60:-60].std() > hp(neutral)[60:-60].std()
    assert run({"anger": ones})[:, 1].mean() < neutral[:, 1].mean() - 2.0


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0])
def test_smooth_bounded_jerk(fps):
    p = synthetic_prosody(60.0, fps, seed=4)
    n = p.loudness.size
    h = head_motion(p, fps=fps, n_frames=n, seed=0, emotion_weights={"anger": np.ones(n)})
    jerk = np.abs(np.diff(h.astype(np.float64), 3, axis=0)) * fps ** 3       # rad/s^3
    assert jerk.max() < HEAD_JERK_MAX             # documented bound (docs/EYES_HEAD.md)
    noise = np.random.default_rng(0).normal(0, h.std(), h.shape)
    assert jerk.max() < 0.05 * np.abs(np.diff(noise, 3, axis=0)).max() * fps ** 3


def test_min_jerk_steps_continuous():
    t = np.arange(0, 3, 1 / 60)
    y = min_jerk_steps(t, np.array([0.0, 1.0, 1.1]), np.array([0.0, 1.0, -1.0]), np.full(3, 0.5))
    assert y[0] == 0 and y[-1] == pytest.approx(-1.0)
    assert np.abs(np.diff(y)).max() < 0.5          # a restart from the old target jumps ~0.9


def test_performance_layers_head_switch_and_eye_head_coordination():
    from talkrig.core.face.eyes import gaze_angles

    class Off:
        head = False

    class EyesOff:
        eyes = False
    d = performance_layers(TALK, fps=FPS, n_frames=N, seed=0, style=Off())
    assert not d["HeadYaw"].any() and not d["HeadPitch"].any() and not d["HeadRoll"].any()
    own = head_motion(TALK, fps=FPS, n_frames=N, seed=0)
    d = performance_layers(TALK, fps=FPS, n_frames=N, seed=0, style=EyesOff())
    np.testing.assert_array_equal(d["HeadPitch"], own[:, 1])
    # With gaze on, the head joins large gaze shifts (same direction), small ones are eyes only.
    full = performance_layers(TALK, fps=FPS, n_frames=N, seed=0, style=None)
    follow = np.degrees(full["HeadYaw"] - own[:, 0])
    g = gaze_angles(TALK, fps=FPS, n_frames=N, seed=0)[:, 0]
    assert np.corrcoef(follow, g)[0, 1] > 0.6
    big = np.abs(g) > 14.0
    assert big.any() and np.mean(np.sign(follow[big]) == np.sign(g[big])) > 0.9
    assert np.abs(follow[np.abs(g) < 5.0]).mean() < 0.5 * np.abs(follow[big]).mean()


def test_emotion_names_compounds_and_spec():
    from talkrig.core.face.emotion import EmotionSpec
    from talkrig.core.emotion.drive import emotion_curve, emotion_weights_from_spec
    ones = np.ones(N)
    assert emotion_curve({"Sad": ones}, "sadness", N).min() == 1.0
    assert emotion_curve({"grief": 0.5 * ones}, "sadness", N).max() == pytest.approx(0.5)
    assert emotion_curve({"boredom": ones}, "arousal", N).max() == pytest.approx(-0.6)
    assert emotion_weights_from_spec(None, fps=FPS, n_frames=N) is None
    w = emotion_weights_from_spec(EmotionSpec.parse("sadness=0.8"), fps=FPS, n_frames=N)
    np.testing.assert_allclose(w["sadness"], 0.8)
    sad = head_motion(TALK, fps=FPS, n_frames=N, seed=0, emotion_weights=w)
    assert sad[:, 1].mean() < head_motion(TALK, fps=FPS, n_frames=N, seed=0)[:, 1].mean()


def test_nods_without_onsets_use_loudness_rises():
    bare = Prosody(FPS, TALK.loudness, TALK.f0, TALK.voicing, np.zeros(0), TALK.phrase_breaks)
    vel = np.gradient(np.degrees(head_motion(bare, fps=FPS, n_frames=N, seed=0))[:, 1]) * FPS
    fr = np.round(TALK.onsets * FPS).astype(int)
    strong = fr[TALK.loudness[np.minimum(fr + 3, N - 1)] > 0.9]
    win = np.arange(-15, 16)
    trig = vel[np.clip(strong[:, None] + win, 0, N - 1)].mean(axis=0)
    base = vel[np.random.default_rng(0).integers(15, N - 16, 400)[:, None] + win].mean(axis=0)
    assert trig[15:25].min() < base[15:25].min() - 1.0


def test_emotion_weights_from_spec_timelines():
    from talkrig.core.face.emotion import EmotionSpec
    from talkrig.core.emotion.drive import emotion_weights_from_spec
    from talkrig.core.face.timeline import EmotionTimeline
    tl = EmotionTimeline.from_keys([{"time": 10.0, "mixture": {"surprise": 1.0}, "onset": 0.5}])
    w = emotion_weights_from_spec(EmotionSpec(mixture={"sadness": 0.5}, timeline=tl),
                                  fps=FPS, n_frames=N)
    assert w["surprise"][: int(9.9 * FPS)].max() == 0.0 and w["surprise"][-1] == pytest.approx(1.0)
    np.testing.assert_allclose(w["sadness"], 0.5)

    class Pair:           # a spec-like object holding two timelines (e.g. user + automatic)
        mixture, vad, timeline = {}, (0.2, 0.6, 0.0), (tl, tl)

        def is_neutral(self):
            return False
    w2 = emotion_weights_from_spec(Pair(), fps=FPS, n_frames=N)
    assert w2["surprise"][-1] - w2["surprise"][0] == pytest.approx(2.0)    # VAD adds a constant
    assert w2["arousal"][0] == pytest.approx(0.6)
