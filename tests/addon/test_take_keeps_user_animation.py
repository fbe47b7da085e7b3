"""A take made with "Active Action" placement leaves the user's other animation playing and
never shrinks the scene's frame range (issue 14, point 2).

Blender evaluates the active action above the NLA stack and, in Replace mode, replaces only
the channels the action has; the user's action therefore moves to an unmuted NLA track under
the take, so every channel the take does not write keeps its keys. Runs on bpy 5.0 (slotted
actions) and 4.2 LTS (``make test-bpy42``).
"""
from __future__ import annotations

import bpy
import pytest

from talkrig.addon.keyframes import action_fcurves
from talkrig.addon.takes import active_take

CUSTOM = 'key_blocks["MyCustomSmile"].value'
JAW = 'key_blocks["jawOpen"].value'


def _key(kb, frames_values):
    for frame, value in frames_values:
        kb.value = value
        kb.keyframe_insert("value", frame=frame)


def _user_action(obj):
    """The user's own action: a custom shape key the take does not write, plus jawOpen."""
    obj.shape_key_add(name="MyCustomSmile", from_mix=False)
    key = obj.data.shape_keys
    _key(key.key_blocks["MyCustomSmile"], ((1, 0.0), (100, 1.0)))
    _key(key.key_blocks["jawOpen"], ((1, 0.3), (100, 0.3)))
    action = key.animation_data.action
    action.name = "my_animation"
    return action


def _fc(action, path):
    return next(fc for fc in action_fcurves(action) if fc.data_path == path)


def _value(obj, frame, name):
    bpy.context.scene.frame_set(frame)
    return obj.data.shape_keys.key_blocks[name].value


def test_user_channels_keep_playing_under_an_active_take(demo_head, speech_wav):
    scene = bpy.context.scene
    user = _user_action(demo_head)
    scene.frame_start, scene.frame_end = 1, 500
    assert scene.talkrig.placement == "ACTIVE"
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), add_sound=False) == {"FINISHED"}
    take = active_take(demo_head)
    ad = demo_head.data.shape_keys.animation_data
    assert ad.action == take and take != user
    # the scene range only grows: the 2-second take does not cut 1-500 down
    assert (scene.frame_start, scene.frame_end) == (1, 500)
    # the user's custom channel plays as before, inside and after the take
    for frame in (10, 50, 300):
        want = _fc(user, CUSTOM).evaluate(frame)
        assert _value(demo_head, frame, "MyCustomSmile") == pytest.approx(want, abs=1e-5), frame
    assert _value(demo_head, 50, "MyCustomSmile") > 0.4
    # the channels the take writes are the take's
    assert _value(demo_head, 20, "jawOpen") == pytest.approx(_fc(take, JAW).evaluate(20), abs=1e-5)
    # the user's action is kept, untouched, on one unmuted track
    tracks = [t for t in ad.nla_tracks if any(s.action == user for s in t.strips)]
    assert len(tracks) == 1 and not tracks[0].mute
    assert [tuple(p.co) for p in _fc(user, CUSTOM).keyframe_points] == [
        (1.0, 0.0), (100.0, pytest.approx(1.0))]


def test_a_second_take_mutes_the_first_but_not_the_user(demo_head, speech_wav):
    user = _user_action(demo_head)
    for _ in range(2):
        assert bpy.ops.talkrig.bake(filepath=str(speech_wav), add_sound=False) == {"FINISHED"}
    ad = demo_head.data.shape_keys.animation_data
    first = bpy.data.actions["talkrig_speech"]
    mute = {t.strips[0].action.name: t.mute for t in ad.nla_tracks}
    assert mute == {user.name: False, first.name: True}
    assert _value(demo_head, 50, "MyCustomSmile") == pytest.approx(
        _fc(user, CUSTOM).evaluate(50), abs=1e-5)
    # clearing both takes gives the user's action back as the active action, no tracks left
    assert bpy.ops.talkrig.clear_take() == {"FINISHED"}
    assert bpy.ops.talkrig.clear_take() == {"FINISHED"}
    assert ad.action == user and not len(ad.nla_tracks)
    assert _value(demo_head, 50, "jawOpen") == pytest.approx(0.3, abs=1e-5)


def test_a_longer_take_extends_the_frame_range(demo_head, speech_wav):
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 5, 20
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), frame_start=10,
                                add_sound=False) == {"FINISHED"}
    frames = [p.co[0] for p in _fc(active_take(demo_head), JAW).keyframe_points]
    assert frames[-1] > 20
    assert (scene.frame_start, scene.frame_end) == (5, int(frames[-1]))


def test_exported_take_holds_the_take_alone(demo_head, speech_wav, tmp_path):
    from talkrig.addon.takes import export_take
    from talkrig.core.io import read_curves

    _user_action(demo_head)
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), add_sound=False) == {"FINISHED"}
    ad = demo_head.data.shape_keys.animation_data
    path = export_take(demo_head, str(tmp_path / "take.json"))
    jaw = read_curves(path).channel("jawOpen")
    take = active_take(demo_head)
    want = [p.co[1] for p in _fc(take, JAW).keyframe_points]
    assert list(jaw) == pytest.approx(want, abs=2e-3)
    assert not any(t.mute for t in ad.nla_tracks)              # put back after the export
