"""Emotion timelines: ramps, releases, files, samples, and no pops in the layer."""
import json

import numpy as np
import pytest

from talkrig.core.errors import EmotionSpecError
from talkrig.core.face.emotion import EmotionSpec, emotion_layer
from talkrig.core.face.timeline import EmotionTimeline, read_emotion_timeline, ramp
from talkrig.rigs.arkit import ARKIT_INDEX

FPS = 30.0


def test_minimum_jerk_ramp_profile():
    s = np.linspace(0, 1, 101)
    r = ramp(s)
    assert r[0] == 0 and r[-1] == 1 and np.all(np.diff(r) >= 0)
    assert r[50] == pytest.approx(0.5)
    v = np.gradient(r, s)
    assert v[0] < 0.01 and v[-1] < 0.01 and v.max() == pytest.approx(1.875, rel=0.01)
    with pytest.raises(EmotionSpecError, match="minjerk"):
        ramp(s, "bouncy")


def test_key_onset_hold_and_release():
    tl = EmotionTimeline.from_keys([
        {"time": 0.5, "emotion": "happiness=1", "onset": 0.4, "end": 2.0, "offset": 0.6}])
    w = tl.sample(fps=FPS, n_frames=100)[:, 0]
    t = np.arange(100) / FPS
    assert np.all(w[t < 0.5] == 0)
    assert w[(t >= 0.9) & (t < 2.0)] == pytest.approx(1.0)
    assert 0 < w[np.searchsorted(t, 0.7)] < 1
    assert np.all(w[t >= 2.6] == 0)
    assert tl.duration == pytest.approx(2.6)


def test_new_key_starts_from_the_running_transition():
    tl = EmotionTimeline.from_keys([
        {"time": 0.0, "emotion": {"happiness": 1.0}, "onset": 1.0, "end": 1.2},
        {"time": 0.5, "emotion": {"sadness": 1.0}, "onset": 0.5}])
    names = tl.names
    w = tl.sample(fps=FPS, n_frames=60)
    assert names == ("happiness", "sadness")
    assert np.abs(np.diff(w, axis=0)).max() < 0.2          # continuous, no jump at 0.5 s
    assert w[-1, 1] == pytest.approx(1.0) and w[-1, 0] == 0  # superseded release is skipped


@pytest.mark.parametrize("max_rate", [2.0, 4.0])
def test_layer_never_steps_above_the_limit(max_rate):
    """Instantaneous keys (onset 0) and exaggerated mixes still give no pops."""
    tl = EmotionTimeline.from_keys([
        {"time": 0.2, "emotion": "surprise=1.5,fear=1.0", "onset": 0.0},
        {"time": 0.5, "emotion": "anger=1.5", "onset": 0.0},
        {"time": 0.6, "emotion": "happiness=1.5", "onset": 0.05, "end": 0.8, "offset": 0.0}])
    layer = emotion_layer(EmotionSpec(timeline=tl), fps=FPS, n_frames=60, max_rate=max_rate)
    steps = np.abs(np.diff(layer.astype(np.float64), axis=0))
    assert steps.max() <= max_rate / FPS + 1e-6
    assert layer[:, ARKIT_INDEX["browDownLeft"]].max() > 0.8    # anger still arrives


def test_default_onsets_are_within_the_limit_without_clamping():
    tl = EmotionTimeline.from_keys([{"time": 0.1, "emotion": "happiness=1"}])
    raw = tl.sample(fps=FPS, n_frames=40)
    assert np.abs(np.diff(raw, axis=0)).max() < 4.0 / FPS


def test_from_samples_is_linear_between_samples():
    tl = EmotionTimeline.from_samples([0.0, 1.0, 2.0],
                                      np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]),
                                      names=["happiness", "sadness"])
    w = tl.sample(fps=10, n_frames=25)
    np.testing.assert_allclose(w[5], [0.5, 0.5])
    np.testing.assert_allclose(w[15], [0.75, 0.25])
    np.testing.assert_allclose(w[24], [0.5, 0.5])
    dicts = EmotionTimeline.from_samples([0, 1], [{"fear": 0.2}, "fear=0.4"])
    assert dicts.sample(fps=2, n_frames=2)[1, 0] == pytest.approx(0.3)
    with pytest.raises(EmotionSpecError, match="increasing"):
        EmotionTimeline.from_samples([0, 0], [{}, {}])
    with pytest.raises(EmotionSpecError, match="2 times but 1"):
        EmotionTimeline.from_samples([0, 1], [{}])


def test_scaled_and_merged():
    tl = EmotionTimeline.from_keys([{"time": 0, "emotion": "anger=0.8", "onset": 0}])
    assert tl.scaled(0.5).keys[0].mixture == {"anger": 0.4}
    assert tl.scaled(1.5).keys[0].mixture["anger"] == pytest.approx(1.2)
    m = tl.merged(EmotionTimeline.from_keys([{"time": 1, "emotion": "joy", "onset": 0}]))
    assert m.names == ("anger", "happiness")
    assert m.sample(fps=2, n_frames=3)[2].tolist() == [0.0, 1.0]


def test_json_file_with_regions(tmp_path):
    p = tmp_path / "take.json"
    p.write_text(json.dumps({
        "keys": [{"time": 0.0, "emotion": "happiness=0.8", "onset": 0.3}],
        "regions": {"brows": [{"time": 1.0, "emotion": {"anger": 1.0}, "onset": 0.2}]}}))
    glob, regions = read_emotion_timeline(p)
    assert glob.names == ("happiness",) and set(regions) == {"brows"}
    spec = EmotionSpec(timeline=glob, regions=regions)
    layer = emotion_layer(spec, fps=FPS, n_frames=60)
    assert layer[-1, ARKIT_INDEX["mouthSmileLeft"]] > 0.6
    assert layer[-1, ARKIT_INDEX["browDownLeft"]] > 0.8
    assert layer[20, ARKIT_INDEX["browDownLeft"]] == 0


def test_csv_wide_and_string_forms(tmp_path):
    p = tmp_path / "take.csv"
    p.write_text("time,onset,happiness,surprise,region\n0,0.2,0.5,,\n1.0,0.5,,0.9,\n"
                 "0.5,0.1,,,mouth\n")
    glob, regions = read_emotion_timeline(p)
    assert [k.mixture for k in glob.keys] == [{"happiness": 0.5}, {"surprise": 0.9}]
    assert regions["mouth"].keys[0].time == 0.5
    q = tmp_path / "take2.csv"
    q.write_text('time,emotion,end\n0.0,"fear=0.5,sadness=0.2",1.0\n')
    glob2, _ = read_emotion_timeline(q)
    assert glob2.keys[0].mixture == {"fear": 0.5, "sadness": 0.2} and glob2.keys[0].end == 1.0


@pytest.mark.parametrize("content, suffix, message", [
    ('{"keys": [{"time": 0}]}', ".json", "needs 'time' and 'emotion'"),
    ('{"keys": [{"time": -1, "emotion": "joy"}]}', ".json", ">= 0"),
    ('{"keys": [{"time": 0, "emotion": "joy", "speed": 2}]}', ".json", "unknown fields"),
    ('{"keys": [{"time": 2, "emotion": "joy", "end": 1}]}', ".json", "before it starts"),
    ("{not json", ".json", "not valid JSON"),
    ("time,glee\n0,1\n", ".csv", "unknown emotion 'glee'"),
    ("onset,joy\n0,1\n", ".csv", "'time' column"),
    ("time,joy\n0,1\n", ".txt", "use .json or .csv"),
])
def test_bad_timeline_files(tmp_path, content, suffix, message):
    p = tmp_path / f"bad{suffix}"
    p.write_text(content)
    with pytest.raises(EmotionSpecError, match=message):
        read_emotion_timeline(p)


def test_missing_file():
    with pytest.raises(EmotionSpecError, match="does not exist"):
        read_emotion_timeline("/nonexistent/take.json")
