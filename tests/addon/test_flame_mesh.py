"""The FLAME mesh in Blender: built from a model file, keyed from FlameParams, and equal to
the numpy FLAME forward model on the evaluated mesh."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from flame_data import flame_raw, random_basis, write_npz  # noqa: E402

from talkrig.core.curves import FlameParams  # noqa: E402
from talkrig.core.flame.lbs import forward  # noqa: E402
from talkrig.core.flame.model import load_flame_model  # noqa: E402

K = 6


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = write_npz(tmp_path_factory.mktemp("flamemesh") / "m.npz",
                     flame_raw(random_basis(K, seed=2, scale=3e-3)))
    return load_flame_model(str(path))


def _evaluated(obj) -> np.ndarray:
    dg = bpy.context.evaluated_depsgraph_get()
    ev = obj.evaluated_get(dg)
    me = ev.to_mesh()
    co = np.empty(len(me.vertices) * 3, dtype=np.float32)
    me.vertices.foreach_get("co", co)
    ev.to_mesh_clear()
    return co.reshape(-1, 3).astype(np.float64)


def test_build_and_key_matches_the_flame_forward_model(model):
    from talkrig.addon.flame_mesh import FLAME_TO_BLENDER, create_flame_object, find_flame_mesh
    from talkrig.addon.flame_mesh import write_flame_params

    obj = create_flame_object(model, name="FLAMEtest")
    assert len(obj.data.vertices) == 5023 and len(obj.data.polygons) == 9976
    names = [kb.name for kb in obj.data.shape_keys.key_blocks]
    assert names == (["Basis"] + [f"Exp{k:03d}" for k in range(K)]
                     + [f"Pose{p}" for p in range(1, 37)])
    rig = find_flame_mesh(obj)
    assert rig.exp_keys[0] == "Exp000" and rig.armature is not None and len(rig.pose_keys) == 36
    assert dict(rig.bones) == {"neck_pose": "neck", "jaw_pose": "jaw", "leye_pose": "left_eye",
                               "reye_pose": "right_eye"}
    np.testing.assert_allclose(_evaluated(obj), model.v_template @ FLAME_TO_BLENDER.T, atol=1e-6)

    n = 4
    rng = np.random.default_rng(0)
    expr = rng.normal(0, 1.0, (n, K))
    jaw = np.zeros((n, 3))
    jaw[:, 0] = np.linspace(0.0, 0.3, n)                    # opening
    jaw[:, 1] = 0.05
    neck = np.zeros((n, 3))
    neck[:, 1] = np.linspace(0.0, 0.4, n)                   # turning left
    eye = np.tile([-0.2, 0.3, 0.0], (n, 1))
    params = FlameParams(fps=25.0, expression=expr, jaw_pose=jaw, neck_pose=neck,
                         leye_pose=eye, reye_pose=eye * [1, -1, 1])
    shape_action, bone_action = write_flame_params(obj, params, frame_start=1)
    assert shape_action is not None and bone_action is not None
    assert bpy.context.scene.render.fps == 25
    for i in range(n):
        bpy.context.scene.frame_set(1 + i)
        pose = np.stack([np.zeros(3), neck[i], jaw[i], eye[i], eye[i] * [1, -1, 1]])
        want = forward(model, expr[i], pose, rest_joints=True) @ FLAME_TO_BLENDER.T
        got = _evaluated(obj)
        assert np.abs(got - want).max() < 2e-5, (i, np.abs(got - want).max())


def test_flame_addon_naming_is_recognised():
    from talkrig.addon.flame_mesh import find_flame_mesh

    me = bpy.data.meshes.new("addonFLAME")
    me.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("FLAME-generic", me)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for prefix, count in (("Shape", 3), ("Exp", 4), ("Pose", 2)):
        for k in range(1, count + 1):
            obj.shape_key_add(name=f"{prefix}{k}")
    rig = find_flame_mesh(obj)
    assert rig.exp_keys == ("Exp1", "Exp2", "Exp3", "Exp4") and rig.armature is None
    assert rig.pose_keys == ((0, "Pose1"), (1, "Pose2"))
    plain = bpy.data.objects.new("plain", bpy.data.meshes.new("plain"))
    assert find_flame_mesh(plain) is None
