"""Arm IK, palm orientation and finger shapes of core.body, checked by forward kinematics."""
import numpy as np
import pytest

from talkrig.core.body import arms, hands
from talkrig.core.motion.rotations import forward_kinematics
from talkrig.rigs.skeletons import smplx

I = smplx.INDEX


def _pose(side, target, palm, collar=0.0):
    n = len(target)
    rot = np.zeros((n, 55, 3))
    c = np.zeros((n, 3))
    c[:, 2] = collar
    if side == "right":
        c = arms.mirror_aa(c)
    pole = np.tile([0.4 * (1 if side == "left" else -1), -1.0, -0.4], (n, 1))
    col, sh, el, wr, reach = arms.solve_arm(side, target, pole, c, np.full(n, palm), np.zeros(n))
    for name, v in (("collar", col), ("shoulder", sh), ("elbow", el), ("wrist", wr)):
        rot[:, I[f"{side}_{name}"]] = v
    pos, world = forward_kinematics(rot, smplx.PARENTS, smplx.REST_OFFSETS)
    return pos, world, reach


@pytest.mark.parametrize("side", ["left", "right"])
def test_ik_reaches_targets_in_front(side):
    """Targets between the soft reach limits (0.22-0.43 m from the shoulder) are met exactly."""
    sx = 1.0 if side == "left" else -1.0
    target = np.array([[0.15 * sx, 1.10, 0.25], [0.25 * sx, 1.30, 0.30], [0.05 * sx, 1.20, 0.20],
                       [0.28 * sx, 1.02, 0.12]])
    for collar in (0.0, 0.12):
        pos, _, reach = _pose(side, target, 0.0, collar)
        np.testing.assert_allclose(pos[:, I[side + "_wrist"]], target, atol=1e-6)
        np.testing.assert_allclose(reach, target, atol=1e-6)
    # the elbow bends one way only (flexion, never hyper-extension)
    pos, _, _ = _pose(side, target, 0.0)
    el = pos[:, I[side + "_elbow"]]
    assert (el[:, 1] < pos[:, I[side + "_shoulder"], 1]).all()          # elbows hang below
    assert (sx * el[:, 0] > 0.1).all()                                   # and stay on their side


def test_out_of_reach_target_stops_short_without_locking_the_elbow():
    pos, _, reach = _pose("left", np.array([[0.9, 1.4, 0.5]]), 0.0)
    sh = pos[0, I["left_shoulder"]]
    assert np.linalg.norm(reach[0] - sh) < arms.UPPER + arms.FORE
    np.testing.assert_allclose(pos[0, I["left_wrist"]], reach[0], atol=1e-6)


@pytest.mark.parametrize("side", ["left", "right"])
def test_palm_up_and_down(side):
    """palm_up 1 turns the palm to the sky, -1 to the floor, for a hand in front."""
    sx = 1.0 if side == "left" else -1.0
    target = np.array([[0.15 * sx, 1.10, 0.30]])
    for palm, sign in ((1.0, 1.0), (-1.0, -1.0)):
        _, world, _ = _pose(side, target, palm)
        normal = world[0, I[side + "_wrist"]] @ np.array([0.0, -1.0, 0.0])   # rest palm normal
        assert sign * normal[1] > 0.8, (side, palm, normal)
    _, world, _ = _pose(side, target, 0.0)
    normal = world[0, I[side + "_wrist"]] @ np.array([0.0, -1.0, 0.0])
    assert -sx * normal[0] > 0.7                                          # faces the midline


@pytest.mark.parametrize("side", ["left", "right"])
def test_fist_curls_towards_the_palm_and_point_keeps_the_index(side):
    w = np.zeros((2, len(hands.SHAPES)))
    w[0, hands.SHAPES.index("fist")] = 1.0
    w[1, hands.SHAPES.index("point")] = 1.0
    rot = np.zeros((2, 55, 3))
    rot[:, list(smplx.FINGERS[side])] = hands.finger_rotations(w, side)
    pos, _ = forward_kinematics(rot, smplx.PARENTS, smplx.REST_OFFSETS)
    rest = smplx.REST_POSITIONS
    for f in ("middle", "ring", "pinky"):
        j = I[f"{side}_{f}3"]
        assert pos[0, j, 1] < rest[j, 1] - 0.02                  # palm down: curls downwards
        assert abs(pos[0, j, 0]) < abs(rest[j, 0]) - 0.02        # and back towards the wrist
    j = I[f"{side}_index3"]
    np.testing.assert_allclose(pos[1, j], rest[j], atol=0.006)   # the pointing finger stays
    assert abs(pos[1, I[f"{side}_middle3"], 0]) < abs(rest[I[f"{side}_middle3"], 0]) - 0.02


def test_shapes_mirror():
    np.testing.assert_allclose(hands.RIGHT, hands.LEFT * [1, -1, -1])
    assert hands.finger_rotations(np.zeros((1, len(hands.SHAPES))), "left").shape == (1, 15, 3)
