"""The bake operator: same curves as a direct core call, non-destructive, 29.97 fps timing."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from talkrig.addon.keyframes import read_face_curves
from talkrig.rigs.arkit import ARKIT_NAMES, HEAD_EYE_NAMES


def _path(name):
    return f'key_blocks["{name}"].value'


@pytest.fixture(scope="module")
def direct_bake(speech_wav):
    from talkrig.core.pipeline import bake
    from talkrig.core.settings import BakeSettings

    return {fps: bake(str(speech_wav), BakeSettings(fps=fps, seed=3)) for fps in (30.0, 29.97)}


def test_operator_matches_direct_pipeline_call(demo_head, speech_wav, direct_bake):
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), seed=3) == {"FINISHED"}
    face = direct_bake[30.0].face
    got = read_face_curves(demo_head)
    assert len([p for p in got if p.startswith("key_blocks")]) == 52
    for name in ARKIT_NAMES:
        frames, values = got[_path(name)]
        assert len(frames) == face.n_frames
        np.testing.assert_array_equal(frames, 1 + np.arange(face.n_frames))
        np.testing.assert_allclose(values, np.clip(face.channel(name), 0, 1), atol=1e-6)
    for name in HEAD_EYE_NAMES:
        np.testing.assert_allclose(got[f'["{name}"]'][1], face.channel(name), atol=1e-6)
    # the evaluated shape key follows the curve (frame 1 + i holds curve frame i)
    i = int(np.argmax(face.channel("jawOpen")))
    scene.frame_set(1 + i)
    assert demo_head.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(
        float(face.channel("jawOpen")[i]), abs=1e-5)
    assert face.channel("jawOpen").max() > 0.05, "the speech should open the jaw"
    # the frame range only grows (a factory scene's 1-250 covers this short take)
    assert scene.frame_start == 1 and scene.frame_end == max(250, face.n_frames)


def test_pre_existing_animation_is_kept(demo_head, speech_wav):
    key = demo_head.data.shape_keys
    kb = key.key_blocks["mouthSmileLeft"]
    for frame, value in ((1, 0.0), (20, 0.8)):
        kb.value = value
        kb.keyframe_insert("value", frame=frame)
    user_action = key.animation_data.action
    user_name = user_action.name
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav)) == {"FINISHED"}
    ad = key.animation_data
    assert ad.action is not None and ad.action.name != user_name
    assert bpy.data.actions.get(user_name) is user_action and user_action.use_fake_user
    tracks = [t for t in ad.nla_tracks if any(s.action == user_action for s in t.strips)]
    assert len(tracks) == 1 and not tracks[0].mute       # it keeps playing under the take
    # the user's keys are untouched
    from talkrig.addon.keyframes import action_fcurves

    fcs = [fc for fc in action_fcurves(user_action) if fc.data_path == _path("mouthSmileLeft")]
    assert [tuple(p.co) for p in fcs[0].keyframe_points] == [(1.0, 0.0), (20.0, pytest.approx(0.8))]
    # a second bake makes another new action and keeps the first bake too
    first_bake = ad.action
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav)) == {"FINISHED"}
    assert ad.action not in (first_bake, user_action)
    assert first_bake.name in bpy.data.actions and first_bake.use_fake_user
    assert len(ad.nla_tracks) == 2


def test_29_97_fps_timing(demo_head, speech_wav, direct_bake):
    scene = bpy.context.scene
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), fps=29.97, frame_start=10) == {"FINISHED"}
    face = direct_bake[29.97].face
    assert scene.render.fps == 30
    assert scene.render.fps / scene.render.fps_base == pytest.approx(29.97, abs=1e-6)
    frames, values = read_face_curves(demo_head)[_path("jawOpen")]
    np.testing.assert_array_equal(frames, 10 + np.arange(face.n_frames))
    np.testing.assert_allclose(values, face.channel("jawOpen"), atol=1e-6)
    # last key's time in the scene = its time in the curves (i / fps)
    last_t = (frames[-1] - 10) * scene.render.fps_base / scene.render.fps
    assert last_t == pytest.approx(face.times[-1], abs=1e-6)


def test_bake_errors_are_reported_not_raised(demo_head, tmp_path):
    with pytest.raises(RuntimeError, match="not|no|exist|find"):
        # bpy.ops turns an operator's ERROR report + CANCELLED into RuntimeError
        bpy.ops.talkrig.bake(filepath=str(tmp_path / "missing.wav"))
    plain = bpy.data.meshes.new("plain")
    plain.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    ob = bpy.data.objects.new("plain", plain)
    bpy.context.scene.collection.objects.link(ob)
    bpy.context.view_layer.objects.active = ob
    with pytest.raises(RuntimeError, match="shape keys"):
        bpy.ops.talkrig.bake(filepath=str(tmp_path / "missing.wav"))


def test_partial_rig_with_face_cap_names(speech_wav, direct_bake):
    """Only the keys the rig has get curves; Face Cap style names are matched."""
    names = ("jawOpen", "mouthClose", "eyeBlink_L", "mouthSmile_R", "myCustomKey")
    mesh = bpy.data.meshes.new("partial")
    mesh.from_pydata([(0, 0, 0), (0.1, 0, 0), (0, 0, 0.1), (0.1, 0, 0.1)], [], [(0, 1, 3, 2)])
    ob = bpy.data.objects.new("partial", mesh)
    bpy.context.scene.collection.objects.link(ob)
    ob.shape_key_add(name="Basis")
    for n in names:
        ob.shape_key_add(name=n, from_mix=False)
    bpy.context.view_layer.objects.active = ob
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    assert bpy.ops.talkrig.bake(filepath=str(speech_wav), seed=3, add_sound=False) == {"FINISHED"}
    got = read_face_curves(ob)
    shape_paths = sorted(p for p in got if p.startswith("key_blocks"))
    assert shape_paths == sorted(_path(n) for n in names[:4])
    face = direct_bake[30.0].face
    np.testing.assert_allclose(got[_path("eyeBlink_L")][1], face.channel("eyeBlinkLeft"), atol=1e-6)
    np.testing.assert_allclose(got[_path("mouthSmile_R")][1], face.channel("mouthSmileRight"), atol=1e-6)
    ed = scene.sequence_editor                   # Blender 4.2 calls `strips` `sequences`
    assert ed is None or len(ed.strips if hasattr(ed, "strips") else ed.sequences) == 0
