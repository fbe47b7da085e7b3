"""Head and eye bones: the demo rig, the bone matcher, the axis convention on the evaluated
mesh, other rigs' bone orientations, and the custom-property fallback."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from talkrig.core.curves import FaceCurves
from talkrig.rigs.arkit import FACE_CHANNELS, HEAD_EYE_NAMES

N = 12


def _curves(**rot) -> FaceCurves:
    """Zero weights; rotation channels ramp linearly to the given radians at the last frame."""
    values = np.zeros((N, len(FACE_CHANNELS)), np.float32)
    for name, rad in rot.items():
        values[:, FACE_CHANNELS.index(name)] = np.linspace(0.0, rad, N)
    return FaceCurves(FACE_CHANNELS, 30.0, values)


def _evaluated(obj, frame):
    bpy.context.scene.frame_set(frame)
    dg = bpy.context.evaluated_depsgraph_get()
    ev = obj.evaluated_get(dg)
    mesh = ev.to_mesh()
    co = np.empty(3 * len(mesh.vertices), np.float64)
    mesh.vertices.foreach_get("co", co)
    ev.to_mesh_clear()
    return co.reshape(-1, 3) @ np.array(obj.matrix_world.to_3x3()).T + np.array(obj.matrix_world.translation)


def test_bone_matcher_knows_common_names():
    from talkrig.addon.bones import match_bones

    assert match_bones(["root", "neck", "head", "eye.L", "eye.R"]) == {
        "head": "head", "eye_left": "eye.L", "eye_right": "eye.R"}
    assert match_bones(["mixamorig:Hips", "mixamorig:Head", "mixamorig:LeftEye",
                        "mixamorig:RightEye", "mixamorig:HeadTop_End"]) == {
        "head": "mixamorig:Head", "eye_left": "mixamorig:LeftEye", "eye_right": "mixamorig:RightEye"}
    assert match_bones(["Head", "eye_l", "eye_r"])["eye_left"] == "eye_l"
    assert match_bones(["Spine", "Hand.L"]) == {}


def test_demo_rig_is_skinned(demo_head):
    rig = demo_head.parent
    assert rig is not None and rig.type == "ARMATURE"
    assert [b.name for b in rig.data.bones] == ["root", "neck", "head", "eye.L", "eye.R"]
    assert rig.data.bones["eye.L"].head_local.x > 0                    # subject's left
    assert any(m.type == "ARMATURE" and m.object == rig for m in demo_head.modifiers)
    assert {g.name for g in demo_head.vertex_groups} == {"head", "neck", "eye.L", "eye.R"}
    rest = _evaluated(demo_head, 1)
    V = np.array([v.co for v in demo_head.data.vertices])
    np.testing.assert_allclose(rest, V, atol=1e-6)                     # rest pose = mesh


@pytest.mark.parametrize("channel, check", [
    ("HeadYaw", lambda d, nose: d[nose, 0].mean() > 0.01),           # face turns to its left (+X)
    ("HeadPitch", lambda d, nose: d[nose, 2].mean() > 0.01),         # chin up: nose rises
    ("HeadRoll", lambda d, top: None),                                 # checked below
])
def test_head_channels_turn_the_head_the_documented_way(demo_head, channel, check):
    from talkrig.addon.keyframes import write_face_curves

    write_face_curves(demo_head, _curves(**{channel: 0.3}), action_name="take")
    rest, turned = _evaluated(demo_head, 1), _evaluated(demo_head, N)
    d = turned - rest
    nose = np.argsort(rest[:, 1])[:20]                                 # most forward (-Y) points
    top = np.argsort(-rest[:, 2])[:20]
    if channel == "HeadRoll":
        assert d[top, 0].mean() < -0.01                                 # top to the right shoulder
    else:
        assert check(d, nose)
    neck_bottom = rest[:, 2] < -0.215
    assert np.abs(d[neck_bottom]).max() < 1e-3                         # the neck base stays


def test_eye_channels_turn_only_the_eyeballs(demo_head):
    from talkrig.addon.keyframes import write_face_curves

    write_face_curves(demo_head, _curves(LeftEyeYaw=0.3, RightEyePitch=0.3), action_name="take")
    rest, turned = _evaluated(demo_head, 1), _evaluated(demo_head, N)
    mats = [m.name for m in demo_head.data.materials]
    vpart = np.zeros(len(rest), int)
    for poly in demo_head.data.polygons:
        vpart[list(poly.vertices)] = poly.material_index
    pupil = np.array([mats[i] == "talkrig_pupil" for i in vpart])
    left, right = pupil & (rest[:, 0] > 0), pupil & (rest[:, 0] < 0)
    d = turned - rest
    assert d[left, 0].mean() > 0.002                  # left eye looks to its left (+X)
    assert abs(d[left, 2].mean()) < 1e-3
    assert d[right, 2].mean() > 0.002                 # right eye looks up
    skin = np.array([mats[i] == "talkrig_skin" for i in vpart])
    assert np.abs(d[skin]).max() < 1e-6               # nothing else moves


def test_bone_take_beside_the_shape_take_and_read_back(demo_head):
    from talkrig.addon.bones import bone_channels_from_fcurves
    from talkrig.addon.keyframes import action_fcurves, bones_action, read_face_curves, write_face_curves

    rng = np.random.default_rng(3)
    values = rng.random((N, len(FACE_CHANNELS))).astype(np.float32)
    values[:, 52:] = (values[:, 52:] - 0.5) * 0.8
    action = write_face_curves(demo_head, FaceCurves(FACE_CHANNELS, 30.0, values), action_name="take")
    rig, bact = bones_action(demo_head)
    assert bact.name == "take_bones" and action["talkrig_bones_action"] == "take_bones"
    props = read_face_curves(demo_head)                  # the raw values stay readable too
    for i, name in enumerate(HEAD_EYE_NAMES):
        np.testing.assert_allclose(props[f'["{name}"]'][1], values[:, 52 + i], atol=1e-6)
    fcs = action_fcurves(bact, getattr(rig.animation_data, "action_slot", None))
    assert len(fcs) == 12 and all(len(fc.keyframe_points) == N for fc in fcs)
    frames = 1.0 + np.arange(N)
    for bone, cols in (("head", slice(52, 55)), ("eye.L", slice(55, 58)), ("eye.R", slice(58, 61))):
        got = np.stack(bone_channels_from_fcurves(rig, bone, fcs, frames), 1)
        np.testing.assert_allclose(got, values[:, cols], atol=1e-5)
    # a second take keeps the first one on a muted NLA track of the rig
    write_face_curves(demo_head, FaceCurves(FACE_CHANNELS, 30.0, values), action_name="take2")
    assert rig.animation_data.action.name == "take2_bones"
    assert [t.mute for t in rig.animation_data.nla_tracks] == [True]
    assert bpy.data.actions["take_bones"].use_fake_user


@pytest.mark.parametrize("mode", ["QUATERNION", "XYZ", "YXZ", "AXIS_ANGLE"])
def test_other_rigs_same_motion_whatever_the_bone_frame(factory_scene, mode):
    """A Mixamo-like rig: object rotated 90 deg (Y-up import), bones with roll, any
    rotation mode: the head bone's world rotation follows the channels exactly."""
    from talkrig.addon.bones import channel_matrices
    from talkrig.addon.keyframes import action_fcurves, write_face_curves

    mesh = bpy.data.meshes.new("Face")
    mesh.from_pydata([(0, 0, 0), (0.01, 0, 0), (0, 0, 0.01)], [], [(0, 1, 2)])
    face = bpy.data.objects.new("Face", mesh)
    arm = bpy.data.objects.new("Armature", bpy.data.armatures.new("Armature"))
    for o in (face, arm):
        bpy.context.scene.collection.objects.link(o)
    arm.rotation_euler = (np.pi / 2, 0, 0)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    eb = arm.data.edit_bones.new("mixamorig:Head")
    eb.head, eb.tail, eb.roll = (0, 0, 0), (0, 0.2, 0.05), 0.7
    bpy.ops.object.mode_set(mode="OBJECT")
    arm.pose.bones[0].rotation_mode = mode
    face.parent = arm
    face.shape_key_add(name="Basis")
    face.shape_key_add(name="jawOpen")
    bpy.context.view_layer.update()
    curves = _curves(HeadYaw=0.4, HeadPitch=-0.2, HeadRoll=0.1)
    write_face_curves(face, curves, action_name="take")
    key = face.data.shape_keys
    assert {"HeadYaw", "LeftEyeYaw"} <= set(key.keys())         # eyes: no bones, properties
    bact = arm.animation_data.action
    assert {fc.data_path.split(".")[-1] for fc in action_fcurves(bact)} == {
        {"QUATERNION": "rotation_quaternion", "AXIS_ANGLE": "rotation_axis_angle"}.get(mode, "rotation_euler")}
    bpy.context.scene.frame_set(N)
    pb = arm.pose.bones[0]
    world_pose = np.array((arm.matrix_world @ pb.matrix).to_3x3().normalized())
    world_rest = np.array((arm.matrix_world @ pb.bone.matrix_local).to_3x3().normalized())
    expected = channel_matrices([0.4], [-0.2], [0.1])[0]
    np.testing.assert_allclose(world_pose @ world_rest.T, expected, atol=1e-5)


def test_rig_without_bones_keeps_the_property_fallback(factory_scene):
    from talkrig.addon.demo_head import create_demo_head
    from talkrig.addon.keyframes import read_face_curves, write_face_curves

    obj = create_demo_head(armature=False)
    assert obj.parent is None
    write_face_curves(obj, _curves(HeadYaw=0.3), action_name="take")
    got = read_face_curves(obj)
    assert set(f'["{n}"]' for n in HEAD_EYE_NAMES) <= set(got)
    assert got['["HeadYaw"]'][1][-1] == pytest.approx(0.3)


def test_a_body_action_keeps_playing_under_the_face_take(demo_head):
    """The rig's earlier action that moves other bones (here the neck, as a body take
    would) stays on an unmuted NLA track; an earlier face-only take is muted."""
    from talkrig.addon.keyframes import write_face_curves

    rig = demo_head.parent
    neck = rig.pose.bones["neck"]
    for frame, angle in ((1, 0.0), (N, 0.3)):
        neck.rotation_quaternion = (np.cos(angle / 2), np.sin(angle / 2), 0.0, 0.0)
        neck.keyframe_insert("rotation_quaternion", frame=frame)
    body = rig.animation_data.action
    write_face_curves(demo_head, _curves(HeadYaw=0.3), action_name="take")
    tracks = list(rig.animation_data.nla_tracks)
    assert [(t.strips[0].action, t.mute) for t in tracks] == [(body, False)]
    bpy.context.scene.frame_set(N)
    assert neck.matrix_basis.to_quaternion().angle == pytest.approx(0.3, abs=1e-4)  # body plays
    assert rig.pose.bones["head"].matrix_basis.to_quaternion().angle == pytest.approx(0.3, abs=1e-4)
    write_face_curves(demo_head, _curves(HeadYaw=0.1), action_name="take2")
    assert [t.mute for t in rig.animation_data.nla_tracks] == [False, True]    # take muted
