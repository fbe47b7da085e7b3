"""Blinks and gaze: determinism, human statistics, ARKit/rotation consistency, lids."""
import os
import sys

import numpy as np
import pytest

from talkrig.core.curves import Prosody
from talkrig.core.errors import CurveFormatError, EmotionSpecError
from talkrig.core.face.eyes import (GAZE_CHANNELS, LID_DOWN_GAIN, LOOK_RANGE_DEG, WIDE_UP_GAIN,
                                    _gaze_fixations, blink_layer, combine_lids, gaze_channels,
                                    gaze_layer, performance_layers)
from talkrig.core.emotion.drive import emotion_curve
from talkrig.core.motion.signals import speaking_activity
from talkrig.rigs.arkit import ARKIT_NAMES, HEAD_EYE_NAMES

sys.path.insert(0, os.path.dirname(__file__))
from prosody_data import FPS, N, SILENT, TALK, synthetic_prosody  # noqa: E402,F401


def test_blinks_deterministic_per_seed():
    a, ea = blink_layer(TALK, fps=FPS, n_frames=N, seed=3)
    b, eb = blink_layer(TALK, fps=FPS, n_frames=N, seed=3)
    c, _ = blink_layer(TALK, fps=FPS, n_frames=N, seed=4)
    assert a.dtype == np.float32 and a.shape == (N, 2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ea.start_s, eb.start_s)
    assert not np.array_equal(a, c)


def test_blink_rate_talking_and_rest():
    talk = [len(blink_layer(TALK, fps=FPS, n_frames=N, seed=s)[1]) for s in range(8)]
    rest = [len(blink_layer(SILENT, fps=FPS, n_frames=N, seed=s)[1]) for s in range(8)]
    assert 20.0 <= np.mean(talk) <= 32.0           # per minute (60 s take)
    assert 12.0 <= np.mean(rest) <= 22.0
    assert np.mean(rest) < np.mean(talk) - 3.0
    assert len(blink_layer(TALK, fps=FPS, n_frames=N, seed=0, rate=0.0)[1]) == 0
    assert np.mean([len(blink_layer(TALK, fps=FPS, n_frames=N, seed=s, rate=2.0)[1])
                    for s in range(4)]) > 1.5 * np.mean(talk)


def test_blink_shape_close_faster_than_open_and_fully_closed():
    p60 = synthetic_prosody(60.0, 60.0, seed=1)
    curves, ev = blink_layer(p60, fps=60.0, n_frames=p60.loudness.size, seed=2)
    assert np.all((ev.close_s >= 0.06) & (ev.close_s <= 0.14))
    assert np.all((ev.open_s >= 0.10) & (ev.open_s <= 0.30))
    assert ev.close_s.mean() < 0.75 * ev.open_s.mean()
    frames = np.round(ev.closed_s * 60.0).astype(int)
    np.testing.assert_allclose(curves[frames, 0], ev.amplitude, atol=1e-5)
    # Measured on the curve itself: frames rising to the peak vs falling back.
    gap = np.diff(ev.start_s) > 0.6
    single = ~ev.double & np.r_[gap, True] & np.r_[True, gap]
    rise, fall = [], []
    for f in frames[single]:
        seg = curves[max(f - 20, 0):f + 25, 0] > 0.05
        rise.append(seg[:21].sum()), fall.append(seg[21:].sum())
    assert np.mean(rise) < np.mean(fall)
    assert np.all((curves >= 0) & (curves <= 1))


def test_blinks_cluster_at_phrase_boundaries():
    ends = TALK.phrase_breaks[:, 0]
    t = np.arange(N) / FPS
    near_t = (np.abs(t[:, None] - (ends + 0.15)[None, :]) < 0.4).any(axis=1).mean()
    hits = total = 0
    for s in range(10):
        ev = blink_layer(TALK, fps=FPS, n_frames=N, seed=s)[1]
        c = ev.closed_s[~ev.double]
        hits += (np.abs(c[:, None] - (ends + 0.15)[None, :]) < 0.4).any(axis=1).sum()
        total += c.size
    assert hits / total > 1.5 * near_t


def test_emotion_modulates_blink_rate():
    def count(w):
        return np.mean([len(blink_layer(TALK, fps=FPS, n_frames=N, seed=s,
                                         emotion_weights=w)[1]) for s in range(6)])
    base, ones = count(None), np.ones(N)
    assert count({"fear": ones}) > 1.3 * base
    assert count({"Anger": ones}) < 0.8 * base
    step = np.zeros(N)
    step[N // 2:] = 1.0                                  # surprise appears at 30 s
    def near_30s(w):
        evs = [blink_layer(TALK, fps=FPS, n_frames=N, seed=s, emotion_weights=w)[1]
               for s in range(40)]
        return sum(((e.start_s > 30.0) & (e.start_s < 31.0)).sum() for e in evs)
    assert near_30s({"surprise": step}) < 0.3 * near_30s(None)


def test_bad_inputs_raise():
    with pytest.raises(EmotionSpecError):
        blink_layer(TALK, fps=FPS, n_frames=N, seed=0, emotion_weights={"fear": np.ones(10)})
    with pytest.raises(CurveFormatError):
        gaze_layer(TALK, fps=FPS, n_frames=N + 50, seed=0)
    assert emotion_curve({"joy": np.full(N, 2.0)}, "happiness", N).max() == 1.0


def test_gaze_deterministic_and_consistent_with_rotations():
    g = gaze_layer(TALK, fps=FPS, n_frames=N, seed=5)
    g2 = gaze_layer(TALK, fps=FPS, n_frames=N, seed=5)
    g3 = gaze_layer(TALK, fps=FPS, n_frames=N, seed=6)
    for k in g:
        assert g[k].dtype == np.float32 and g[k].shape == (N,)
        np.testing.assert_array_equal(g[k], g2[k])
    assert not np.array_equal(g["LeftEyeYaw"], g3["LeftEyeYaw"])
    yl, yr = np.degrees(g["LeftEyeYaw"]), np.degrees(g["RightEyeYaw"])
    p = np.degrees(g["LeftEyePitch"])
    h = LOOK_RANGE_DEG["horizontal"]
    close = lambda a, b: np.testing.assert_allclose(a, b, atol=1e-4)      # noqa: E731
    close(g["eyeLookOutLeft"] - g["eyeLookInLeft"], np.clip(yl / h, -1, 1))
    close(g["eyeLookInRight"] - g["eyeLookOutRight"], np.clip(yr / h, -1, 1))
    close(g["eyeLookUpLeft"] - g["eyeLookDownLeft"],
          np.where(p > 0, p / LOOK_RANGE_DEG["up"], p / LOOK_RANGE_DEG["down"]))
    np.testing.assert_array_equal(g["LeftEyePitch"], g["RightEyePitch"])
    assert np.all(yr > yl)                               # both eyes turned in (vergence)
    assert (yl > 3).any() and (yl < -3).any() and (p > 3).any() and (p < -3).any()
    for k in GAZE_CHANNELS:
        assert (g[k] >= 0).all() and (g[k] <= 1).all()


def test_in_out_mirrored_and_lids_follow_gaze():
    yaw = np.array([15.0, -15.0, 0.0, 0.0])
    pitch = np.array([0.0, 0.0, -15.0, 12.5])
    c = gaze_channels(yaw, yaw, pitch)
    # Looking to the character's left: left eye looks out, right eye looks in.
    assert c["eyeLookOutLeft"][0] == pytest.approx(0.5)
    assert c["eyeLookInRight"][0] == pytest.approx(0.5)
    assert c["eyeLookInLeft"][0] == 0 and c["eyeLookOutRight"][0] == 0
    assert c["eyeLookInLeft"][1] == pytest.approx(0.5)
    assert c["eyeLookOutRight"][1] == pytest.approx(0.5)
    assert c["eyeBlinkLeft"][2] == pytest.approx(LID_DOWN_GAIN * 0.5)
    assert c["eyeWideRight"][3] == pytest.approx(WIDE_UP_GAIN * 0.5)
    assert c["eyeBlinkLeft"][3] == 0 and c["eyeWideLeft"][2] == 0
    assert c["LeftEyeYaw"][0] == pytest.approx(np.radians(15.0))
    # Blinks override the lids and are never cancelled by gaze.
    blinks = np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 0.5], [1.0, 0.0]], np.float32)
    m = combine_lids(blinks, c)
    assert m["eyeBlinkLeft"][2] == pytest.approx(1.0) and m["eyeBlinkLeft"][3] == pytest.approx(1.0)
    assert m["eyeBlinkRight"][2] > c["eyeBlinkRight"][2] and m["eyeWideLeft"][3] == 0
    g = gaze_layer(TALK, fps=FPS, n_frames=N, seed=1)
    down = g["eyeLookDownLeft"] > 0.2
    assert down.any() and np.all(g["eyeBlinkLeft"][down] > 0.08)
    assert np.corrcoef(g["eyeLookDownLeft"], g["eyeBlinkLeft"])[0, 1] > 0.99


def test_saccades_are_fast_but_bounded_and_gaze_bouts_follow_speech():
    fps = 120.0
    p = synthetic_prosody(30.0, fps, seed=2)
    n = p.loudness.size
    g = gaze_layer(p, fps=fps, n_frames=n, seed=0)
    v = np.hypot(np.diff(np.degrees(g["LeftEyeYaw"])), np.diff(np.degrees(g["LeftEyePitch"]))) * fps
    assert v.max() < 900.0 and (v > 150.0).sum() > 5     # deg/s: saccades, main sequence
    assert np.median(v) < 30.0                            # mostly fixating

    def at_share(pr):
        n = pr.loudness.size
        act = speaking_activity(pr, fps=FPS, n_frames=n)
        names = ("happiness", "sadness", "surprise", "fear", "anger", "disgust")
        zeros = {k: np.zeros(n) for k in names}
        st, _, at = _gaze_fixations(np.random.default_rng(0), pr, act, zeros, fps=FPS, n_frames=n)
        d = np.diff(np.r_[st, (n - 1) / FPS])
        return (d * at).sum() / d.sum()
    assert at_share(TALK) < 0.55 < 0.65 < at_share(SILENT)
    assert gaze_layer(TALK, fps=FPS, n_frames=N, seed=0, amount=0.0)["eyeLookOutLeft"].max() == 0


def test_sadness_lowers_gaze():
    w = {"sadness": np.ones(N)}
    sad = gaze_layer(TALK, fps=FPS, n_frames=N, seed=0, emotion_weights=w)
    neutral = gaze_layer(TALK, fps=FPS, n_frames=N, seed=0)
    assert sad["LeftEyePitch"].mean() < neutral["LeftEyePitch"].mean() - np.radians(3.0)


class _Style:
    blink_rate, gaze_amount, head_amount = 1.0, 1.0, 1.0
    eyes, blinks, head = True, True, True


def test_performance_layers_switches():
    full = performance_layers(TALK, fps=FPS, n_frames=N, seed=0, style=None)
    assert set(HEAD_EYE_NAMES) <= set(full) and set(full) <= set(ARKIT_NAMES + HEAD_EYE_NAMES)
    assert all(v.shape == (N,) and v.dtype == np.float32 for v in full.values())
    blinks, _ = blink_layer(TALK, fps=FPS, n_frames=N, seed=0)
    assert np.all(full["eyeBlinkLeft"] >= blinks[:, 0] - 1e-6)
    off = _Style()
    off.eyes, off.blinks, off.head = False, False, False
    none = performance_layers(TALK, fps=FPS, n_frames=N, seed=0, style=off)
    assert set(none) == set(HEAD_EYE_NAMES) and all(not v.any() for v in none.values())
    only_blinks = _Style()
    only_blinks.eyes, only_blinks.head = False, False
    ob = performance_layers(TALK, fps=FPS, n_frames=N, seed=0, style=only_blinks)
    assert set(ob) == set(HEAD_EYE_NAMES) | {"eyeBlinkLeft", "eyeBlinkRight"}
    np.testing.assert_array_equal(ob["eyeBlinkLeft"], blinks[:, 0])


def test_real_style_and_compose_wiring():
    from talkrig.core.face.compose import compose
    from talkrig.core.face.eyes import layers_for_compose
    from talkrig.core.style import Style
    layers = performance_layers(TALK, fps=FPS, n_frames=N, seed=0, style=Style(head_amount=0.5))
    eyes, head = layers_for_compose(layers, n_frames=N)
    assert eyes.shape == (N, 58) and head.shape == (N, 3)
    face = compose(np.zeros((N, 52), np.float32), fps=FPS, eyes=eyes, head=head)
    np.testing.assert_allclose(face.channel("eyeBlinkLeft"), layers["eyeBlinkLeft"], atol=1e-6)
    for name in HEAD_EYE_NAMES:
        np.testing.assert_allclose(face.channel(name), layers[name], atol=1e-7)
    closed = layers["eyeBlinkLeft"] > 0.99
    assert closed.any() and np.all(face.channel("eyeWideLeft")[closed] < 0.01)
    off = performance_layers(TALK, fps=FPS, n_frames=N, seed=0,
                             style=Style(eyes=False, blinks=False))
    assert set(off) == set(HEAD_EYE_NAMES)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_tiny_takes(n):
    z = np.zeros(n, np.float32)
    p = Prosody(FPS, z, z, z, np.zeros(0), np.zeros((0, 2)))
    d = performance_layers(p, fps=FPS, n_frames=n, seed=0)
    assert all(v.shape == (n,) and np.isfinite(v).all() for v in d.values())
