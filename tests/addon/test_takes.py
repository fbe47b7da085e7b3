"""Takes: one new action per bake, named after the line; NLA or active; clear only ours."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from talkrig.addon.keyframes import action_fcurves
from talkrig.addon.takes import active_take, is_take, object_takes

JAW = 'key_blocks["jawOpen"].value'
SMILE = 'key_blocks["mouthSmileLeft"].value'


def _user_keys(obj):
    key = obj.data.shape_keys
    kb = key.key_blocks["mouthSmileLeft"]
    for frame, value in ((1, 0.0), (20, 0.8)):
        kb.value = value
        kb.keyframe_insert("value", frame=frame)
    action = key.animation_data.action
    action.name = "my_smile"
    return action


def _keys(action, path):
    fc = [f for f in action_fcurves(action) if f.data_path == path][0]
    return [tuple(p.co) for p in fc.keyframe_points]


def _add_strip(scene, wav, name, frame):
    ed = scene.sequence_editor or scene.sequence_editor_create()
    strips = ed.strips if hasattr(ed, "strips") else ed.sequences
    return strips.new_sound(name, str(wav), 2, frame)


@pytest.mark.skipif(not bpy.app.build_options.audaspace,
                    reason=f"bpy {bpy.app.version_string} is built without Audaspace: no sound strips")
def test_bake_from_a_sound_strip_lands_at_its_start_frame(demo_head, speech_wav):
    scene = bpy.context.scene
    strip = _add_strip(scene, speech_wav, "Line 12", 40)
    s = scene.talkrig
    s.source, s.strip = "STRIP", strip.name
    assert bpy.ops.talkrig.bake() == {"FINISHED"}
    take = active_take(demo_head)
    assert take.name == "talkrig_Line_12" and take["talkrig_take"] == "Line_12"
    frames = [f for f, _ in _keys(take, JAW)]
    assert frames[0] == 40.0 and np.all(np.diff(frames) == 1)
    ed = scene.sequence_editor                       # no second copy of the sound was added
    strips = ed.strips_all if hasattr(ed, "strips_all") else ed.sequences_all
    assert [x.name for x in strips] == ["Line 12"]
    assert s.last_error == "" and "from frame 40" in s.last_result


def test_two_takes_side_by_side_on_the_nla_and_user_keys_kept(demo_head, speech_wav):
    user = _user_keys(demo_head)
    before = _keys(user, SMILE)
    s = bpy.context.scene.talkrig
    s.placement = "NLA"
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), frame_start=1, add_sound=False) == {"FINISHED"}
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), frame_start=200, add_sound=False) == {"FINISHED"}
    ad = demo_head.data.shape_keys.animation_data
    assert ad.action == user and _keys(user, SMILE) == before        # still active, untouched
    takes = object_takes(demo_head)
    assert [t.name for t in takes] == ["talkrig_speech", "talkrig_speech_2"]
    strips = {t.name: [(st.action.name, st.frame_start) for st in t.strips] for t in ad.nla_tracks}
    assert strips == {"talkrig_speech": [("talkrig_speech", 1.0)],
                      "talkrig_speech_2": [("talkrig_speech_2", 200.0)]}
    assert _keys(takes[0], JAW)[0][0] == 1.0 and _keys(takes[1], JAW)[0][0] == 200.0
    assert all(st.extrapolation == "NOTHING" for t in ad.nla_tracks for st in t.strips)
    # the NLA plays each take at its own frames
    bpy.context.scene.frame_set(200 + 10)
    expected = _keys(takes[1], JAW)[10][1]
    # (the user's active action only animates mouthSmileLeft, so jawOpen comes from the NLA)
    assert demo_head.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(expected, abs=1e-5)


def test_active_placement_keeps_previous_takes_and_clear_restores(demo_head, speech_wav):
    user = _user_keys(demo_head)
    before = _keys(user, SMILE)
    for _ in range(2):
        assert bpy.ops.talkrig.bake(filepath=str(speech_wav), add_sound=False) == {"FINISHED"}
    ad = demo_head.data.shape_keys.animation_data
    first, second = bpy.data.actions["talkrig_speech"], bpy.data.actions["talkrig_speech_2"]
    assert ad.action == second and first.use_fake_user and user.use_fake_user
    # Clear Take (default: the active take) puts the take it replaced back
    assert bpy.ops.talkrig.clear_take() == {"FINISHED"}
    assert "talkrig_speech_2" not in bpy.data.actions and ad.action == first
    assert bpy.ops.talkrig.clear_take() == {"FINISHED"}
    assert ad.action == user and _keys(user, SMILE) == before
    assert not [a for a in bpy.data.actions if is_take(a)]
    assert not len(ad.nla_tracks)
    # the user's own action is never cleared
    bpy.context.scene.talkrig.take = "my_smile"
    with pytest.raises(RuntimeError, match="not a talkrig take"):
        bpy.ops.talkrig.clear_take()
    assert bpy.data.actions.get("my_smile") is user and ad.action == user


def test_clear_a_picked_nla_take_leaves_the_other(demo_head, speech_wav):
    s = bpy.context.scene.talkrig
    s.placement = "NLA"
    bpy.ops.talkrig.bake(filepath=str(speech_wav), add_sound=False)
    bpy.ops.talkrig.bake(filepath=str(speech_wav), frame_start=100, add_sound=False)
    assert bpy.ops.talkrig.clear_take(take="talkrig_speech") == {"FINISHED"}
    ad = demo_head.data.shape_keys.animation_data
    assert [t.name for t in ad.nla_tracks] == ["talkrig_speech_2"]
    assert [t.name for t in object_takes(demo_head)] == ["talkrig_speech_2"]
    assert "talkrig_speech_bones" not in bpy.data.actions      # its bone action went with it


def test_export_a_picked_nla_take_to_csv(demo_head, speech_wav, tmp_path):
    from talkrig.core.io import read_curves

    s = bpy.context.scene.talkrig
    s.placement = "NLA"
    bpy.ops.talkrig.bake(filepath=str(speech_wav), frame_start=5, add_sound=False)
    s.take = "talkrig_speech"
    out = tmp_path / "take.csv"
    assert bpy.ops.talkrig.export(filepath=str(out)) == {"FINISHED"}
    curves = read_curves(str(out))
    jaw = [v for _, v in _keys(bpy.data.actions["talkrig_speech"], JAW)]
    np.testing.assert_allclose(curves.channel("jawOpen"), jaw, atol=2e-3)
    assert demo_head.data.shape_keys.animation_data.action is None      # put back
