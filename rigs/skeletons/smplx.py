"""The SMPL-X joint hierarchy and talkrig's own adult T-pose rest positions.

Joint names, order and parents follow SMPL-X (55 joints: 22 body, jaw, two eyes, 15 per
hand). The rest positions are talkrig's own round-number adult proportions (no licensed
model file is read): Y-up, metres, the character faces +Z and its left is +X, arms
straight out sideways with the palms down, wrist-to-wrist span 1.36 m, pelvis 0.95 m
above the floor. Zero rotation on every joint is this T-pose (SMPL-X's zero pose), and
finger rotations of zero are straight fingers (SMPL-X ``flat_hand_mean=True``).
"""
from __future__ import annotations

import numpy as np

_HAND = ("index1", "index2", "index3", "middle1", "middle2", "middle3", "pinky1", "pinky2",
         "pinky3", "ring1", "ring2", "ring3", "thumb1", "thumb2", "thumb3")

#: The 55 SMPL-X joint names in SMPL-X order.
JOINT_NAMES = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar",
    "right_collar", "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "jaw", "left_eye_smplhf", "right_eye_smplhf",
) + tuple("left_" + n for n in _HAND) + tuple("right_" + n for n in _HAND)

#: Parent index of each joint (-1 for the root), SMPL-X's kinematic tree.
PARENTS = np.array([-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19,
                    15, 15, 15, 20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38,
                    21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53], dtype=np.int64)
PARENTS.setflags(write=False)

N_JOINTS = len(JOINT_NAMES)
INDEX = {n: i for i, n in enumerate(JOINT_NAMES)}

# Left-side and centre rest positions (metres); the right side mirrors x.
_PELVIS_Y = 0.95
_LEFT_BODY = {
    "pelvis": (0.0, 0.0, 0.0), "left_hip": (0.065, -0.09, -0.005),
    "spine1": (0.0, 0.11, -0.02), "left_knee": (0.10, -0.47, 0.0),
    "spine2": (0.0, 0.245, -0.005), "left_ankle": (0.09, -0.87, -0.04),
    "spine3": (0.0, 0.30, 0.01), "left_foot": (0.11, -0.925, 0.08),
    "neck": (0.0, 0.51, -0.02), "left_collar": (0.075, 0.42, -0.005),
    "head": (0.0, 0.60, 0.03), "left_shoulder": (0.175, 0.44, -0.02),
    "left_elbow": (0.43, 0.44, -0.02), "left_wrist": (0.68, 0.44, -0.02),
    "jaw": (0.0, 0.625, 0.055), "left_eye_smplhf": (0.032, 0.695, 0.09),
}
# Finger joints relative to the wrist of the left hand (palm down, fingers along +X,
# thumb towards the front, +Z).
_LEFT_FINGERS = {
    "index": ((0.088, -0.004, 0.024), 0.036, 0.022),
    "middle": ((0.093, -0.002, 0.004), 0.040, 0.025),
    "pinky": ((0.080, -0.010, -0.034), 0.027, 0.018),
    "ring": ((0.089, -0.006, -0.015), 0.037, 0.024),
}
_LEFT_THUMB = ((0.024, -0.014, 0.026), (0.020, -0.006, 0.020), (0.022, -0.002, 0.014))
#: Length (m) from each finger's last joint to its tip, for drawing and contact checks.
FINGER_TIP = {"index": 0.020, "middle": 0.022, "pinky": 0.017, "ring": 0.021, "thumb": 0.024}


def _rest_positions() -> np.ndarray:
    pos = np.zeros((N_JOINTS, 3))
    for name, p in _LEFT_BODY.items():
        pos[INDEX[name]] = p
        if name.startswith("left_"):
            pos[INDEX["right_" + name[5:]]] = (-p[0], p[1], p[2])
    for side, sx in (("left", 1.0), ("right", -1.0)):
        wrist = pos[INDEX[side + "_wrist"]]
        m = np.array([sx, 1.0, 1.0])
        for finger, (base, l1, l2) in _LEFT_FINGERS.items():
            p1 = wrist + m * base
            pos[INDEX[f"{side}_{finger}1"]] = p1
            pos[INDEX[f"{side}_{finger}2"]] = p1 + m * (l1, 0.0, 0.0)
            pos[INDEX[f"{side}_{finger}3"]] = p1 + m * (l1 + l2, 0.0, 0.0)
        p = wrist.copy()
        for k, step in enumerate(_LEFT_THUMB):
            p = p + m * step
            pos[INDEX[f"{side}_thumb{k + 1}"]] = p
    pos[:, 1] += _PELVIS_Y
    return pos


#: Rest (T-pose) world positions of the joints [shape=(55, 3)], metres, Y-up.
REST_POSITIONS = _rest_positions()
REST_POSITIONS.setflags(write=False)


def rest_offsets(positions: np.ndarray = REST_POSITIONS) -> np.ndarray:
    """Offsets of each joint from its parent [shape=(55, 3)] (the root's is its position)."""
    pos = np.asarray(positions, dtype=np.float64)
    off = pos.copy()
    off[1:] = pos[1:] - pos[PARENTS[1:]]
    return off


#: Rest offsets from each joint's parent [shape=(55, 3)], metres.
REST_OFFSETS = rest_offsets()
REST_OFFSETS.setflags(write=False)


def _idx(names) -> tuple:
    return tuple(INDEX[n] for n in names)


FINGERS = {side: _idx(f"{side}_{n}" for n in _HAND) for side in ("left", "right")}
#: The 30 finger joints (15 per hand), indices.
FINGER_JOINTS = FINGERS["left"] + FINGERS["right"]
ARMS = {side: _idx(f"{side}_{n}" for n in ("collar", "shoulder", "elbow", "wrist"))
        for side in ("left", "right")}
#: Collar, shoulder, elbow and wrist of both arms.
ARM_JOINTS = ARMS["left"] + ARMS["right"]
#: Spine, neck and head.
TORSO_JOINTS = _idx(("spine1", "spine2", "spine3", "neck", "head"))
#: The joints that move in upper-body mode (spine up, arms, wrists; not fingers, jaw, eyes).
UPPER_BODY = _idx(("spine1", "spine2", "spine3", "neck", "head", "left_collar", "right_collar",
                   "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
                   "left_wrist", "right_wrist"))
#: Upper body plus the fingers (all joints a gesture sets).
UPPER_BODY_AND_HANDS = UPPER_BODY + FINGER_JOINTS
LEG_JOINTS = _idx(("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
                   "right_ankle", "left_foot", "right_foot"))
FACE_JOINTS = _idx(("jaw", "left_eye_smplhf", "right_eye_smplhf"))


def mirror_name(name: str) -> str:
    """The joint on the other side (``left_elbow`` <-> ``right_elbow``); centre joints map to
    themselves."""
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


#: Index of the mirrored joint of each joint [shape=(55,)].
MIRROR = np.array([INDEX[mirror_name(n)] for n in JOINT_NAMES], dtype=np.int64)
MIRROR.setflags(write=False)
