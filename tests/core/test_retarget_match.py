"""Recognising rig families by bone names; mapping presets; SMPL-X model files."""
from __future__ import annotations

import numpy as np
import pytest

from talkrig.core.errors import RetargetError
from talkrig.core.retarget import load_preset, resolve_mapping, save_preset
from talkrig.core.retarget.model import MIN_VERTICES, load_model, model_joints
from talkrig.rigs.skeletons import smplx, vrm
from talkrig.rigs.skeletons.match import FAMILIES, match_mapping, match_skeleton
from smplx_model_data import write_model  # tests/: shared with the Blender tier


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_each_family_recognises_its_own_bones(name):
    fam = FAMILIES[name]
    best = match_skeleton(fam.bone_names)[0]
    assert best.family == name and best.score == 1.0
    assert best.matched == {j: fam.mapping[j] for j in smplx.JOINT_NAMES if j in fam.mapping}
    assert set(best.extra) == set(fam.bone_names) - set(fam.mapping.values())


def test_mixamo_spellings():
    names = [n.replace("mixamorig:", "mixamorig1:") for n in FAMILIES["mixamo"].bone_names]
    assert match_skeleton(names)[0].family == "mixamo"
    bare = [n.replace("mixamorig:", "") for n in FAMILIES["mixamo"].bone_names]
    m = match_skeleton(bare)[0]
    assert m.family == "mixamo" and m.matched["left_elbow"] == "LeftForeArm"


def test_partial_rig_reports_missing_and_extra():
    names = [n for n in FAMILIES["ue5"].bone_names if not n.startswith(("thigh", "calf", "index"))]
    names.append("weapon_r")
    m = match_skeleton(names)[0]
    assert m.family == "ue5" and 0.5 < m.score < 1.0
    assert "left_hip" in m.missing and "left_index1" in m.missing
    assert not m.missing_required and "weapon_r" in m.extra


def test_mapping_onto_any_names_like_unity_and_vrm():
    fam = FAMILIES["vrm"]
    names = [f"J_Bip_{i}" for i in range(len(fam.bones))]       # VRoid-like, unrelated names
    roles = {b.joint: n for b, n in zip(fam.bones, names)}
    assert match_skeleton(names)[0].score < 0.5
    m = resolve_mapping(names, mapping=roles, family="vrm")
    assert m.family == "vrm" and m.matched["left_wrist"] == roles["left_wrist"]


def test_vrm_addon_data_is_read_when_present():
    class Node:
        def __init__(self, name):
            self.node = type("N", (), {"bone_name": name})()

    bones = type("HB", (), {"hips": Node("J_Hips"), "leftHand": Node("J_L_Hand"),
                            "leftUpperArm": Node("")})()
    data = type("A", (), {})()
    data.vrm_addon_extension = type("E", (), {"vrm1": type("V", (), {
        "humanoid": type("H", (), {"human_bones": bones})()})()})()
    assert vrm.roles_from_addon_data(data) == {"pelvis": "J_Hips", "left_wrist": "J_L_Hand"}
    assert vrm.roles_from_addon_data(object()) == {}


def test_presets_round_trip(tmp_path):
    fam = FAMILIES["ue5"]
    path = save_preset(tmp_path / "my_rig.json", "my rig", fam.mapping, "ue5")
    family, mapping = load_preset(path)
    assert family == "ue5" and mapping == fam.mapping
    assert match_mapping(fam.bone_names, mapping, family).score == 1.0
    (tmp_path / "bad.json").write_text('{"mapping": {"elbow": "x"}}')
    with pytest.raises(RetargetError, match="not a talkrig body mapping preset"):
        load_preset(tmp_path / "bad.json")


def test_model_file_joints(tmp_path):
    joints = write_model(tmp_path / "SMPLX_NEUTRAL.npz")
    np.testing.assert_allclose(model_joints(tmp_path / "SMPLX_NEUTRAL.npz"), joints, atol=1e-9)


@pytest.mark.parametrize("defect, message", [
    ("small", r"v_template has shape \(100, 3\)"),
    ("smpl", "kinematic tree is not SMPL-X's"),
    ("missing", "missing J_regressor"),
    ("text", "cannot read it as .npz"),
])
def test_model_file_of_the_wrong_layout(tmp_path, defect, message):
    path = tmp_path / "model.npz"
    if defect == "small":
        write_model(path, n_vertices=100)
    elif defect == "smpl":
        write_model(path, parents=np.where(np.arange(55) == 22, 12, smplx.PARENTS))
    elif defect == "missing":
        np.savez(path, v_template=np.zeros((MIN_VERTICES, 3)))
    else:
        path.write_text("not a model")
    with pytest.raises(RetargetError, match=message):
        load_model(path)
    with pytest.raises(RetargetError, match="SMPL-X model file"):
        model_joints(tmp_path / "absent.npz")
