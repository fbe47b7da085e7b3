"""core.motion.rotations against scipy's Rotation (an independent implementation)."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from talkrig.core.motion import rotations as rt
from talkrig.rigs.skeletons import smplx


def _random_aa(n, seed=0, max_angle=np.pi):
    rng = np.random.default_rng(seed)
    axis = rng.standard_normal((n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    ang = rng.uniform(0, max_angle, n)
    ang[:3] = [0.0, 1e-7, np.pi - 1e-9]            # edge cases: identity, tiny, near 180
    return axis * ang[:, None]


def test_axis_angle_matrix_matches_scipy_and_round_trips():
    aa = _random_aa(500)
    m = rt.axis_angle_to_matrix(aa)
    np.testing.assert_allclose(m, Rotation.from_rotvec(aa).as_matrix(), atol=1e-10)
    back = rt.matrix_to_axis_angle(m)
    np.testing.assert_allclose(rt.axis_angle_to_matrix(back), m, atol=1e-8)
    ok = np.linalg.norm(aa, axis=1) < np.pi - 1e-3          # unique away from 180 degrees
    np.testing.assert_allclose(back[ok], aa[ok], atol=1e-8)


def test_quaternions_match_scipy():
    aa = _random_aa(300, seed=1)
    q = rt.axis_angle_to_quaternion(aa)
    ref = Rotation.from_rotvec(aa).as_quat()[:, [3, 0, 1, 2]]
    ref *= np.where(ref[:, :1] < 0, -1, 1)
    np.testing.assert_allclose(q * np.where(q[:, :1] < 0, -1, 1), ref, atol=1e-10)
    np.testing.assert_allclose(rt.matrix_to_quaternion(rt.quaternion_to_matrix(q)),
                               q * np.where(q[:, :1] < 0, -1, 1), atol=1e-8)
    np.testing.assert_allclose(rt.quaternion_to_axis_angle(q)[3:], aa[3:], atol=1e-8)
    a, b = q[:150], q[150:]
    prod = rt.quaternion_to_matrix(rt.quaternion_multiply(a, b))
    np.testing.assert_allclose(prod, rt.quaternion_to_matrix(a) @ rt.quaternion_to_matrix(b),
                               atol=1e-10)


@pytest.mark.parametrize("order", ["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"])
def test_euler_matches_scipy_intrinsic(order):
    rng = np.random.default_rng(2)
    ang = rng.uniform(-1.5, 1.5, (200, 3))
    m = rt.euler_to_matrix(ang, order)
    np.testing.assert_allclose(m, Rotation.from_euler(order, ang).as_matrix(), atol=1e-10)
    np.testing.assert_allclose(rt.matrix_to_euler(m, order), ang, atol=1e-8)


def test_euler_rejects_bad_order():
    with pytest.raises(ValueError):
        rt.euler_to_matrix(np.zeros(3), "XXY")


def test_forward_kinematics_rest_and_chain():
    t = 4
    pos, world = rt.forward_kinematics(np.zeros((t, 55, 3)), smplx.PARENTS, smplx.REST_OFFSETS)
    np.testing.assert_allclose(pos, np.broadcast_to(smplx.REST_POSITIONS, pos.shape), atol=1e-12)
    np.testing.assert_allclose(world, np.broadcast_to(np.eye(3), world.shape))
    # Bend the left elbow 90 degrees about -Y... the wrist swings forward (+Z) around it.
    rot = np.zeros((1, 55, 3))
    rot[0, smplx.INDEX["left_elbow"]] = [0.0, -np.pi / 2, 0.0]
    pos, _ = rt.forward_kinematics(rot, smplx.PARENTS, smplx.REST_OFFSETS,
                                   root_translation=np.array([[0.0, 0.0, 1.0]]))
    el, wr = pos[0, smplx.INDEX["left_elbow"]], pos[0, smplx.INDEX["left_wrist"]]
    forearm = smplx.REST_POSITIONS[smplx.INDEX["left_wrist"]] - smplx.REST_POSITIONS[smplx.INDEX["left_elbow"]]
    np.testing.assert_allclose(wr - el, [0.0, 0.0, np.linalg.norm(forearm)], atol=1e-9)
    assert el[2] == pytest.approx(smplx.REST_POSITIONS[smplx.INDEX["left_elbow"], 2] + 1.0)


def test_forward_kinematics_matches_naive_loop():
    rng = np.random.default_rng(3)
    rot = rng.normal(0, 0.4, (5, 55, 3))
    trans = rng.normal(0, 0.1, (5, 3))
    pos, world = rt.forward_kinematics(rot, smplx.PARENTS, smplx.REST_OFFSETS, trans)
    loc = Rotation.from_rotvec(rot.reshape(-1, 3)).as_matrix().reshape(5, 55, 3, 3)
    for f in range(5):
        w = [None] * 55
        p = [None] * 55
        for j, par in enumerate(smplx.PARENTS):
            if par < 0:
                w[j], p[j] = loc[f, j], smplx.REST_OFFSETS[j] + trans[f]
            else:
                w[j] = w[par] @ loc[f, j]
                p[j] = p[par] + w[par] @ smplx.REST_OFFSETS[j]
        np.testing.assert_allclose(pos[f], np.array(p), atol=1e-10)
        np.testing.assert_allclose(world[f], np.array(w), atol=1e-10)


def test_skeleton_data():
    assert len(smplx.JOINT_NAMES) == 55 == len(set(smplx.JOINT_NAMES))
    assert all(smplx.PARENTS[j] < j for j in range(1, 55)) and smplx.PARENTS[0] == -1
    span = (smplx.REST_POSITIONS[smplx.INDEX["left_wrist"]]
            - smplx.REST_POSITIONS[smplx.INDEX["right_wrist"]])
    assert span[0] == pytest.approx(1.36, abs=0.01)
    assert len(smplx.FINGER_JOINTS) == 30
    assert smplx.JOINT_NAMES[25] == "left_index1" and smplx.JOINT_NAMES[40] == "right_index1"
    # mirror symmetry of the rest pose
    mirrored = smplx.REST_POSITIONS[smplx.MIRROR] * [-1, 1, 1]
    np.testing.assert_allclose(mirrored, smplx.REST_POSITIONS, atol=1e-12)


def test_forward_kinematics_float32_close_to_float64():
    rot = np.random.default_rng(4).normal(0, 0.3, (7, 55, 3)).astype(np.float32)
    p64, w64 = rt.forward_kinematics(rot, smplx.PARENTS, smplx.REST_OFFSETS)
    p32, w32 = rt.forward_kinematics(rot, smplx.PARENTS, smplx.REST_OFFSETS, dtype=np.float32)
    assert p32.dtype == np.float32 and w32.dtype == np.float32
    np.testing.assert_allclose(p32, p64, atol=1e-5)
    np.testing.assert_allclose(w32, w64, atol=1e-5)
    with pytest.raises(ValueError):
        rt.forward_kinematics(rot, smplx.PARENTS[:20], smplx.REST_OFFSETS)
