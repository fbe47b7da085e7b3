"""Retargeting SMPL-X takes onto every family: world-space bone directions follow the source."""
from __future__ import annotations

import numpy as np
import pytest

from talkrig.core.errors import RetargetError
from talkrig.core.motion.rotations import quaternion_to_matrix
from talkrig.core.retarget import plan_retarget, resolve_mapping, retarget
from talkrig.core.retarget.measure import (angle_errors, direction_report, source_directions,
                                           take_fk, target_directions)
from talkrig.core.retarget.solve import UPPER, source_pose
from talkrig.rigs.skeletons import smplx
from talkrig.rigs.skeletons.match import FAMILIES

from retarget_rigs import family_skeleton, smooth_take

ROT, TRANS = smooth_take(60.0)


def _errors(plan, rot=ROT, trans=TRANS):
    take = retarget(plan, rot, trans)
    frames, heads = take_fk(plan, take)
    err = angle_errors(source_directions(plan, rot, trans), target_directions(plan, frames, heads))
    return take, err


@pytest.mark.parametrize("name", sorted(FAMILIES))
@pytest.mark.parametrize("mode", ["upper", "full"])
def test_directions_follow_source_on_every_family(name, mode):
    fam = FAMILIES[name]
    skel = family_skeleton(fam, seed=3)
    match = resolve_mapping(skel.names)
    assert match.family == name
    plan = plan_retarget(skel, match.matched, mode=mode)
    take, err = _errors(plan)
    want = {j for j in fam.mapping if j not in ("jaw", "left_eye_smplhf", "right_eye_smplhf")
            and (mode == "full" or j in UPPER)}
    assert set(take.bone_names) == {fam.mapping[j] for j in want}
    rep = direction_report(err, take.bone_names)
    assert err.shape == (1800, len(want))
    assert rep["median"] < 3.0 and rep["worst_bone_p95"] < 8.0, rep["per_bone"]
    # the take really moves: bones turn by tens of degrees over the minute
    q = take.quaternions
    assert np.degrees(2 * np.arccos(np.clip(np.abs(q[..., 0]), 0, 1))).max() > 20


def test_a_pose_target_stands_in_t_pose_at_zero_rotation():
    skel = family_skeleton(FAMILIES["ue5"], seed=5)
    plan = plan_retarget(skel, resolve_mapping(skel.names).matched)
    take = retarget(plan, np.zeros((2, 55, 3)))
    frames, heads = take_fk(plan, take)
    idx = skel.index
    upper_l = heads[0, idx["lowerarm_l"]] - heads[0, idx["upperarm_l"]]
    fore_r = heads[0, idx["hand_r"]] - heads[0, idx["lowerarm_r"]]
    pos = plan.basis @ np.array(smplx.REST_POSITIONS).T                  # source T-pose
    for got, (a, b) in ((upper_l, ("left_shoulder", "left_elbow")),
                        (fore_r, ("right_elbow", "right_wrist"))):
        want = pos[:, smplx.INDEX[b]] - pos[:, smplx.INDEX[a]]
        assert angle_errors(got / np.linalg.norm(got), want / np.linalg.norm(want)) < 0.01
    assert abs(upper_l[2]) < 0.01 and abs(fore_r[2]) < 0.01                 # arms horizontal
    rest_angle = skel.heads[idx["lowerarm_l"]] - skel.heads[idx["upperarm_l"]]
    assert np.degrees(np.arctan2(-rest_angle[2], rest_angle[0])) > 40             # it was an A-pose


def test_twist_follows_the_source_rotation():
    skel = family_skeleton(FAMILIES["mixamo"], seed=7)
    plan = plan_retarget(skel, resolve_mapping(skel.names).matched, mode="full")
    rot, trans = ROT[:300], TRANS[:300]
    take = retarget(plan, rot, trans)
    frames, _ = take_fk(plan, take)
    world, _ = source_pose(plan, rot, trans)
    zero, _ = take_fk(plan, retarget(plan, np.zeros((1, 55, 3))))
    for i, (k, j) in enumerate(zip(plan.bones, plan.joints)):
        delta = frames[:, k] @ zero[0, k].T                   # world rotation from T-pose
        diff = np.swapaxes(delta, -1, -2) @ world[:, j]
        ang = np.degrees(np.arccos(np.clip((np.trace(diff, axis1=-2, axis2=-1) - 1) / 2, -1, 1)))
        assert ang.max() < 0.05, skel.names[k]


@pytest.mark.parametrize("tails", ["sideways"])
def test_bones_whose_tails_point_elsewhere(tails):
    skel = family_skeleton(FAMILIES["ue5"], seed=11, tails=tails)
    plan = plan_retarget(skel, resolve_mapping(skel.names).matched)
    _take, err = _errors(plan, ROT[:600], TRANS[:600])
    assert np.percentile(err, 95) < 1.0


def test_missing_bones_fold_into_neighbours():
    fam = FAMILIES["unity_humanoid"]
    drop = ("UpperChest", "LeftShoulder", "RightShoulder", "Neck")
    skel = family_skeleton(fam, seed=13, drop=drop)
    match = resolve_mapping(skel.names)
    assert match.family == "unity_humanoid"
    assert {"spine3", "left_collar", "neck"} <= set(match.missing)
    plan = plan_retarget(skel, match.matched)
    # Chest spans spine2 -> head across the missing spine3 and neck
    i = list(plan.bone_names).index("Chest")
    assert smplx.JOINT_NAMES[plan.ends[i]] == "head"
    _take, err = _errors(plan, ROT[:900], TRANS[:900])
    assert np.median(err) < 3.0 and np.percentile(err, 95) < 8.0


def test_upper_body_keeps_the_pelvis_still_and_full_moves_it():
    skel = family_skeleton(FAMILIES["mixamo"], seed=2)
    mapping = resolve_mapping(skel.names).matched
    upper = retarget(plan_retarget(skel, mapping), ROT[:60], TRANS[:60])
    assert upper.location is None and "mixamorig:Hips" not in upper.bone_names
    assert not any("Leg" in b or "Foot" in b for b in upper.bone_names)
    plan = plan_retarget(skel, mapping, mode="full")
    full = retarget(plan, ROT[:60], TRANS[:60])
    assert full.root_bone == "mixamorig:Hips"
    _frames, heads = take_fk(plan, full)
    moved = heads[:, skel.index["mixamorig:Hips"]] - skel.heads[skel.index["mixamorig:Hips"]]
    want = (TRANS[:60] * plan.scale) @ plan.basis.T
    np.testing.assert_allclose(moved, want, atol=1e-5)
    assert 0.9 < plan.scale < 1.1                    # the family rigs share SMPL-X proportions


def test_quaternions_are_sign_continuous():
    skel = family_skeleton(FAMILIES["vrm"], seed=4)
    take = retarget(plan_retarget(skel, resolve_mapping(skel.names).matched), ROT, TRANS)
    q = take.quaternions.astype(np.float64)
    assert (np.sum(q[1:] * q[:-1], axis=-1) > 0).all()
    np.testing.assert_allclose(np.linalg.norm(q, axis=-1), 1.0, atol=1e-5)
    assert np.isfinite(quaternion_to_matrix(q)).all()


def test_source_rest_from_another_body_shape():
    skel = family_skeleton(FAMILIES["mixamo"], seed=6)
    joints = np.array(smplx.REST_POSITIONS) * 1.15 + np.random.default_rng(0).normal(0, 0.01, (55, 3))
    plan = plan_retarget(skel, resolve_mapping(skel.names).matched, source_joints=joints)
    _take, err = _errors(plan, ROT[:300], TRANS[:300])
    assert np.percentile(err, 95) < 1.0


def test_no_family_names_the_best_partial_match():
    names = ["root", "Bone", "mixamorig:Spine1", "mixamorig:Spine2", "mixamorig:LeftForeArm"]
    with pytest.raises(RetargetError, match="best partial match Mixamo: 3/52 joints matched, "
                                            "missing spine1, neck, head"):
        resolve_mapping(names, armature="'Armature'")


def test_no_bones_and_unmapped_arms_are_refused():
    with pytest.raises(RetargetError, match="has no bones"):
        resolve_mapping([], armature="'Empty'")
    skel = family_skeleton(FAMILIES["mixamo"], seed=1)
    mapping = dict(resolve_mapping(skel.names).matched)
    del mapping["left_elbow"]
    with pytest.raises(RetargetError, match=r"spine or arms unmapped \(left_elbow\)"):
        plan_retarget(skel, mapping)
    with pytest.raises(RetargetError, match="bones the armature lacks"):
        plan_retarget(skel, {**mapping, "left_elbow": "nope"})


@pytest.mark.parametrize("name", ["mixamo", "ue5"])
def test_armature_space_y_up_like_an_fbx_import(name):
    """FBX imports keep the file's Y-up inside the armature (bones lie along Y)."""
    from talkrig.core.retarget import make_skeleton

    skel = family_skeleton(FAMILIES[name], seed=21)
    r = np.array([[1.0, 0, 0], [0, 0, 1.0], [0, -1.0, 0]])     # Z-up -> Y-up, facing +Z
    rot = make_skeleton(skel.names, [skel.names[p] if p >= 0 else None for p in skel.parents],
                        r @ skel.rest, skel.heads @ r.T * 100.0, skel.tails @ r.T * 100.0)  # and cm
    plan = plan_retarget(rot, resolve_mapping(rot.names).matched, mode="full")
    np.testing.assert_allclose(plan.basis, np.eye(3), atol=1e-12)  # SMPL-X's own frame
    assert 90 < plan.scale < 110
    _take, err = _errors(plan, ROT[:300], TRANS[:300])
    assert np.percentile(err, 95) < 0.01
