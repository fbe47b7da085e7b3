"""Body takes on every family's armature, measured on Blender's own evaluated pose."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from body_rigs import family_rig, rigify_available, rigify_metarig, smooth_body
from talkrig.addon.body_keys import (active_body_take, body_takes, clear_body_take,
                                     evaluated_pose, write_body_take)
from talkrig.addon.body_rig import (armature_match, armature_skeleton, build_smplx_armature,
                                    skeleton_joints)
from talkrig.addon.keyframes import action_fcurves
from talkrig.core.errors import RetargetError, TalkrigError
from talkrig.core.retarget import plan_retarget
from talkrig.core.retarget.measure import angle_errors, direction_report, source_directions
from talkrig.rigs.skeletons import smplx
from talkrig.rigs.skeletons.match import FAMILIES

BODY = smooth_body(60.0)


def _measure(rig, res, body, mode, frames=None):
    """Direction errors (deg) [frames, keyed bones] from Blender's evaluated pose."""
    skel = armature_skeleton(rig)
    plan = plan_retarget(skel, res.match.matched, mode=mode)
    assert plan.bone_names == res.bones
    n = body.n_frames
    pick = np.arange(n) if frames is None else np.asarray(frames)
    names = list(skel.names)
    rot, heads = evaluated_pose(rig, 1 + pick, names)
    got = np.empty((len(pick), len(plan.bones), 3))
    for i, (k, c) in enumerate(zip(plan.bones, plan.target_ends)):
        if c >= 0:
            d = heads[:, c] - heads[:, k]
        else:
            d = rot[:, k] @ (skel.rest[k].T @ (skel.tails[k] - skel.heads[k]))
        got[:, i] = d / np.linalg.norm(d, axis=-1, keepdims=True)
    want = source_directions(plan, body.rotations[pick], body.translation[pick])
    return angle_errors(got, want), plan


@pytest.mark.parametrize("name", ["mixamo", "ue5", "unity_humanoid", "vrm", "rigify", "smplx"])
def test_sixty_second_take_on_each_family(name):
    rig = family_rig(FAMILIES[name], seed=5)
    res = write_body_take(rig, BODY, line="speech")
    assert res.match.family == name
    err, plan = _measure(rig, res, BODY, "upper")
    rep = direction_report(err, res.bones)
    print(f"{name}: {len(res.bones)} bones, median {rep['median']:.4f} p95 {rep['p95']:.4f} "
          f"worst-bone p95 {rep['worst_bone_p95']:.4f} deg")
    assert rep["median"] < 3.0 and rep["worst_bone_p95"] < 8.0, rep["per_bone"]
    fcs = action_fcurves(res.action)
    assert {fc.data_path.split('"')[1] for fc in fcs} == set(res.bones)
    assert all(len(fc.keyframe_points) == BODY.n_frames for fc in fcs)
    assert min(fc.range()[0] for fc in fcs) == 1.0


def test_full_body_on_a_rotated_scaled_ue5_import():
    rig = family_rig(FAMILIES["ue5"], seed=9)
    rig.rotation_euler = (np.pi / 2, 0, 0)             # FBX imports: Y-up armature space
    rig.scale = (0.01, 0.01, 0.01)
    body = smooth_body(4.0, seed=3)
    res = write_body_take(rig, body, mode="full", line="full")
    assert res.match.family == "ue5" and "thigh_l" in res.bones and "pelvis" in res.bones
    err, _plan = _measure(rig, res, body, "full")
    assert np.median(err) < 3.0 and np.percentile(err, 95) < 8.0
    paths = {fc.data_path for fc in action_fcurves(res.action)}
    assert 'pose.bones["pelvis"].location' in paths


@pytest.mark.skipif(bool(rigify_available()), reason=rigify_available() or "")
def test_rigify_metarig_and_generated_deform_bones():
    meta = rigify_metarig()
    body = smooth_body(6.0, seed=4)
    res = write_body_take(meta, body, line="meta")
    assert res.match.family == "rigify_metarig" and not res.constrained
    err, _ = _measure(meta, res, body, "upper")
    assert np.median(err) < 3.0 and np.percentile(err, 95) < 8.0
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).with_name("rigify_generated.py")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=600, cwd=script.parent)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line is not None, proc.stderr[-3000:]
    got = json.loads(line[7:])
    assert got["family"] == "rigify" and "DEF-upper_arm.L" in got["bones"]
    assert set(got["constrained"]) == set(got["bones"]) - {"DEF-shoulder.L", "DEF-shoulder.R"}
    print(f"generated Rigify DEF bones: median {got['median']:.4f} p95 {got['p95']:.4f} deg")
    assert got["median"] < 3.0 and got["p95"] < 8.0


def test_smplx_armature_from_a_model_file(tmp_path):
    from smplx_model_data import write_model

    joints = write_model(tmp_path / "SMPLX_NEUTRAL.npz")
    rig = build_smplx_armature("Mine", model_path=tmp_path / "SMPLX_NEUTRAL.npz")
    np.testing.assert_allclose(skeleton_joints(rig), joints, atol=1e-5)
    assert armature_match(rig).family == "smplx"
    body = smooth_body(3.0, seed=8)
    res = write_body_take(rig, body, source_joints=skeleton_joints(rig))
    err, _ = _measure(rig, res, body, "upper")
    assert np.percentile(err, 95) < 8.0
    bad = tmp_path / "SMPL_NEUTRAL.npz"
    np.savez(bad, v_template=np.zeros((6890, 3)))
    with pytest.raises(RetargetError, match="not an SMPL-X model file"):
        build_smplx_armature("Bad", model_path=bad)


def test_matrix_local_is_read_as_blender_has_it():
    rig = family_rig(FAMILIES["vrm"], seed=2)
    skel = armature_skeleton(rig)
    for i, name in enumerate(skel.names):
        m = np.array(rig.data.bones[name].matrix_local)
        np.testing.assert_allclose(skel.rest[i], m[:3, :3], atol=1e-5)
        np.testing.assert_allclose(skel.heads[i], m[:3, 3], atol=1e-5)


def test_takes_never_overwrite_and_sit_side_by_side():
    rig = family_rig(FAMILIES["mixamo"], seed=1)
    pb = rig.pose.bones["mixamorig:LeftArm"]
    pb.rotation_mode = "YZX"                             # an Euler bone gets Euler keys
    pb.rotation_euler = (0.3, 0, 0)
    pb.keyframe_insert("rotation_euler", frame=1)
    mine = rig.animation_data.action
    mine.name = "my_wave"
    body = smooth_body(2.0, seed=2)
    first = write_body_take(rig, body, line="a")
    assert rig.animation_data.action == first.action and first.action["talkrig_previous"] == "my_wave"
    assert mine.use_fake_user and any(t.mute and t.strips[0].action == mine
                                      for t in rig.animation_data.nla_tracks)
    paths = {fc.data_path for fc in action_fcurves(first.action)}
    assert 'pose.bones["mixamorig:LeftArm"].rotation_euler' in paths
    err, _ = _measure(rig, first, body, "upper")
    assert np.percentile(err, 95) < 0.01
    second = write_body_take(rig, body, line="a", placement="NLA", frame_start=100)
    assert second.action.name == "talkrig_a_body_2" and rig.animation_data.action == first.action
    strip = next(s for t in rig.animation_data.nla_tracks for s in t.strips if s.action == second.action)
    assert strip.frame_start == 100
    assert body_takes(rig) == [first.action, second.action]
    reduced = write_body_take(rig, body, line="r", tolerance=1e-3, placement="NLA")
    assert reduced.keys_written < reduced.keys_full and reduced.max_error <= 1e-3 + 1e-6
    first_name = first.action.name
    assert clear_body_take(rig) == first_name
    assert rig.animation_data.action == mine
    with pytest.raises(TalkrigError, match="not a talkrig body take"):
        clear_body_take(rig, mine)
    assert active_body_take(rig) in (second.action, reduced.action)


def test_face_head_action_stays_on_top():
    rig = family_rig(FAMILIES["mixamo"], seed=1)
    face_bones = bpy.data.actions.new("talkrig_line_bones")
    face_bones["talkrig_shape_action"] = "talkrig_line"
    rig.animation_data_create().action = face_bones
    res = write_body_take(rig, smooth_body(1.0), line="line")
    assert rig.animation_data.action == face_bones
    assert any(s.action == res.action and not t.mute
               for t in rig.animation_data.nla_tracks for s in t.strips)


def test_bad_targets_get_one_clear_message():
    mesh = bpy.data.objects.new("Cube", bpy.data.meshes.new("Cube"))
    bpy.context.scene.collection.objects.link(mesh)
    with pytest.raises(RetargetError, match="'Cube' is a mesh with no armature"):
        write_body_take(mesh, BODY)
    from talkrig.addon.body_rig import build_armature
    odd = build_armature("Odd", {"Bone": ((0, 0, 0), (0, 0, 1), None),
                                 "mixamorig:Spine1": ((0, 0, 1), (0, 0, 2), "Bone")})
    with pytest.raises(RetargetError, match="matches no known skeleton.*best partial match"):
        write_body_take(odd, BODY)
    rig = family_rig(FAMILIES["vrm"], seed=1)
    mapping = dict(armature_match(rig).matched)
    mapping.pop("right_elbow")
    with pytest.raises(RetargetError, match="spine or arms unmapped"):
        write_body_take(rig, BODY, mapping=mapping)
    assert smplx.N_JOINTS == 55
