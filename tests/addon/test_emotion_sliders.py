"""Emotion sliders: static, animated (sampled over the take into a timeline), region mix,
description; a slider per emotion name of core.face.emotion."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from talkrig.addon.emotion_props import EMOTION_NAMES, emotion_spec_for_take
from talkrig.addon.keyframes import read_face_curves
from talkrig.core.face.emotion import valid_names

SMILE = 'key_blocks["mouthSmileLeft"].value'


def _bake(obj, wav, **kw):
    assert bpy.ops.talkrig.bake(filepath=str(wav), add_sound=False, **kw) == {"FINISHED"}
    return read_face_curves(obj)[SMILE][1]


@pytest.fixture
def neutral_smile(demo_head, speech_wav):
    values = _bake(demo_head, speech_wav)
    bpy.ops.talkrig.clear_take()
    return values


def test_one_slider_per_emotion_name():
    assert set(EMOTION_NAMES) == set(valid_names()) - {"neutral"}
    s = bpy.context.scene.talkrig.emotion
    for name in EMOTION_NAMES:
        assert s.bl_rna.properties[name].is_animatable


def test_keyed_happiness_raises_the_smile_in_the_second_half_only(demo_head, speech_wav,
                                                                  neutral_smile):
    scene = bpy.context.scene
    n = len(neutral_smile)
    mid, last = 1 + n // 2, n                     # take frames 1 .. n
    emotion = scene.talkrig.emotion
    emotion.happiness = 0.0
    emotion.keyframe_insert("happiness", frame=mid)
    emotion.happiness = 1.0
    emotion.keyframe_insert("happiness", frame=last)
    scene.frame_set(1)
    assert emotion.happiness == 0.0               # the F-curve drives the slider
    smile = _bake(demo_head, speech_wav)
    first = slice(0, mid - 1)
    np.testing.assert_allclose(smile[first], neutral_smile[first], atol=1e-4)
    assert smile[-1] > neutral_smile[-1] + 0.3
    rise = smile - neutral_smile
    q = (n - mid) // 4
    assert rise[mid + q] < rise[n - 1 - q] and rise[-1] > 0.3, "the smile grows with the slider"


def test_animated_sliders_become_a_timeline(demo_head):
    scene = bpy.context.scene
    emotion = scene.talkrig.emotion
    emotion.sadness = 0.2                        # static, not animated: still in the mix
    emotion.anger = 0.0
    emotion.keyframe_insert("anger", frame=11)
    emotion.anger = 0.9
    emotion.keyframe_insert("anger", frame=21)
    spec = emotion_spec_for_take(scene, description="", frame_start=11, fps=10.0, n_frames=30)
    tl = spec.timeline[0]
    w = tl.sample(fps=10.0, n_frames=30, names=("anger", "sadness"))
    np.testing.assert_allclose(w[:, 1], 0.2, atol=1e-6)
    np.testing.assert_allclose(w[[0, 10, 20], 0], [0.0, 0.9, 0.9], atol=1e-6)
    assert 0.2 < w[5, 0] < 0.7                   # Blender's Bezier ease between the keys
    assert len(tl.keys) < 30                     # samples thinned where the ramp is linear


def test_static_sliders_region_mix_and_description(demo_head, speech_wav, neutral_smile):
    s = bpy.context.scene.talkrig
    s.emotion.happiness = 1.0
    happy = _bake(demo_head, speech_wav)
    assert happy.mean() > neutral_smile.mean() + 0.3
    s.region.emotion_mouth = 0.0                 # no emotion on the mouth
    muted = _bake(demo_head, speech_wav)
    np.testing.assert_allclose(muted, neutral_smile, atol=1e-4)
    s.region.emotion_mouth = 1.0
    s.emotion.happiness = 0.0
    s.description = "smiling"
    described = _bake(demo_head, speech_wav)
    assert described.mean() > neutral_smile.mean() + 0.2


def test_bad_description_is_a_one_line_error(demo_head, speech_wav):
    s = bpy.context.scene.talkrig
    s.description = "qwxz blorp"
    with pytest.raises(RuntimeError, match="qwxz|description|known"):
        bpy.ops.talkrig.bake(filepath=str(speech_wav), add_sound=False)
    assert s.last_error and "\n" not in s.last_error
    assert not [a for a in bpy.data.actions if a.name.startswith("talkrig_")]


def test_the_child_process_bakes_the_same_animated_emotion(demo_head, speech_wav):
    """The emotion timeline, style and region mix travel to the bake process intact."""
    from talkrig.addon.bake_job import BakeJob, gather_request

    s = bpy.context.scene.talkrig
    s.emotion.surprise = 0.0
    s.emotion.keyframe_insert("surprise", frame=5)
    s.emotion.surprise = 1.2
    s.emotion.keyframe_insert("surprise", frame=40)
    s.region.emotion_brows, s.articulation, s.description = 1.5, 1.3, "slightly smiling"
    request = gather_request(bpy.context, filepath=str(speech_wav), seed=5)
    emotion = request.settings.emotion
    assert emotion.timelines and dict(emotion.emotion_strength)["brows"] == 1.5
    assert request.settings.face.articulation == pytest.approx(1.3)
    process = BakeJob(request).start()
    thread = BakeJob(request, mode="thread").start()
    assert process.wait(120) and thread.wait(120), (process.error, thread.error)
    assert process.state == thread.state == "done", (process.error, thread.error)
    np.testing.assert_array_equal(process.performance.face.values, thread.performance.face.values)


def test_animated_region_strength_follows_its_keys(demo_head, speech_wav, neutral_smile):
    """Happiness stays at 1; the mouth's emotion strength is keyed 0 -> 1 over the take."""
    s = bpy.context.scene.talkrig
    s.emotion.happiness = 1.0
    happy = _bake(demo_head, speech_wav)
    bpy.ops.talkrig.clear_take()
    n = len(neutral_smile)
    s.region.emotion_mouth = 0.0
    s.region.keyframe_insert("emotion_mouth", frame=1 + n // 2)
    s.region.emotion_mouth = 1.0
    s.region.keyframe_insert("emotion_mouth", frame=n)
    smile = _bake(demo_head, speech_wav)
    half = n // 2
    np.testing.assert_allclose(smile[:half - 1], neutral_smile[:half - 1], atol=1e-4)
    assert abs(smile[-1] - happy[-1]) < 0.05 and smile[-1] > neutral_smile[-1] + 0.3
    # brows keep the full happiness mix all along (only the mouth was keyed)
    brows = read_face_curves(demo_head)['key_blocks["cheekSquintLeft"].value'][1]
    assert brows[:half].mean() > 0.05


def test_valence_arousal_dominance_point(demo_head, speech_wav, neutral_smile):
    s = bpy.context.scene.talkrig
    s.use_vad, s.valence, s.arousal, s.dominance = True, 0.8, 0.5, 0.3
    spec = emotion_spec_for_take(bpy.context.scene, description="", frame_start=1, fps=30.0,
                                 n_frames=10)
    assert spec.vad == pytest.approx((0.8, 0.5, 0.3))
    assert _bake(demo_head, speech_wav).mean() > neutral_smile.mean() + 0.1
    s.use_vad = False
    assert emotion_spec_for_take(bpy.context.scene, description="", frame_start=1, fps=30.0,
                                 n_frames=10) is None


def test_keyed_valence_becomes_a_timeline(demo_head, speech_wav, neutral_smile):
    """Valence keyed from neutral (0) to pleasant (0.9): the smile rises in the second half."""
    s = bpy.context.scene.talkrig
    n = len(neutral_smile)
    s.use_vad = True
    s.valence = 0.0
    s.keyframe_insert("valence", frame=1 + n // 2)
    s.valence = 0.9
    s.keyframe_insert("valence", frame=n)
    spec = emotion_spec_for_take(bpy.context.scene, description="", frame_start=1, fps=30.0,
                                 n_frames=n)
    assert spec.vad is None and len(spec.timeline) == 1
    smile = _bake(demo_head, speech_wav)
    half = n // 2
    assert abs(smile[:half].mean() - neutral_smile[:half].mean()) < 0.02
    assert smile[-3:].mean() > neutral_smile[-3:].mean() + 0.1
