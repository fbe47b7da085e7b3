"""The body's BVH imports into Blender with the same joint rotations and positions."""
import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from talkrig.core.curves import BodyCurves  # noqa: E402
from talkrig.core.io.bvh import write_bvh  # noqa: E402
from talkrig.core.motion.rotations import forward_kinematics  # noqa: E402
from talkrig.rigs.skeletons import smplx  # noqa: E402


def _kabsch(a, b):
    """Rotation R with R @ a_i ~= b_i (both centred)."""
    a = a - a.mean(0)
    b = b - b.mean(0)
    u, _, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1, 1, d]) @ vt


def test_bvh_imports_into_blender_with_the_same_rotations(tmp_path):
    rng = np.random.default_rng(5)
    n = 4
    rot = rng.normal(0, 0.35, (n, 55, 3))
    trans = rng.normal(0, 0.05, (n, 3))
    body = BodyCurves(smplx.JOINT_NAMES, 30.0, rot, trans)
    path = tmp_path / "take.bvh"
    write_bvh(path, body)
    bpy.ops.import_anim.bvh(filepath=str(path), axis_forward="-Z", axis_up="Y",
                            global_scale=1.0, rotate_mode="NATIVE", use_fps_scale=False,
                            update_scene_fps=False, update_scene_duration=True)
    arm = next(o for o in bpy.context.scene.objects if o.type == "ARMATURE")
    bones = arm.data.bones
    assert {b.name for b in bones} == set(smplx.JOINT_NAMES)
    names = list(smplx.JOINT_NAMES)
    mw = np.array(arm.matrix_world)
    heads_rest = np.array([(mw @ np.r_[np.array(bones[nm].head_local), 1.0])[:3] for nm in names])
    # ROOT OFFSET is 0 and the root's position channels are absolute, so the rest armature
    # stands with its pelvis at the origin and the animated one where the curves put it.
    rest = smplx.REST_POSITIONS - smplx.REST_POSITIONS[0]
    conv = _kabsch(rest, heads_rest)                             # talkrig Y-up -> Blender
    np.testing.assert_allclose(heads_rest, rest @ conv.T, atol=1e-4)
    np.testing.assert_allclose(conv @ [0, 1, 0], [0, 0, 1], atol=1e-6)   # Y-up becomes Z-up
    pos, world = forward_kinematics(body.rotations, smplx.PARENTS, smplx.REST_OFFSETS,
                                    body.translation)
    start = int(round(arm.animation_data.action.frame_range[0]))
    for f in range(n):
        bpy.context.scene.frame_set(start + f)
        for j, nm in enumerate(names):
            pb = arm.pose.bones[nm]
            r_pose = mw[:3, :3] @ np.array(pb.matrix)[:3, :3]
            r_rest = mw[:3, :3] @ np.array(bones[nm].matrix_local)[:3, :3]
            got = r_pose @ np.linalg.inv(r_rest)                 # world rotation of the joint
            np.testing.assert_allclose(got, conv @ world[f, j] @ conv.T, atol=2e-4,
                                       err_msg=f"frame {f} joint {nm}")
            head = (mw @ np.r_[np.array(pb.head), 1.0])[:3]
            np.testing.assert_allclose(head, conv @ pos[f, j], atol=2e-4,
                                       err_msg=f"frame {f} joint {nm}")
