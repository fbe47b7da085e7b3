"""Arm posing: two-bone inverse kinematics from wrist targets, palm orientation, mirroring.

Everything is solved for the LEFT arm in the chest frame (spine3's frame; at rest it is
the world frame of the T-pose: Y up, +Z forward, +X the character's left). The right arm
is solved as a left arm in the mirror image (x -> -x) and its local rotations mirrored
back, so one set of authored gestures serves both hands.
"""
from __future__ import annotations

import numpy as np

from ...rigs.skeletons import smplx
from ..motion.rotations import axis_angle_to_matrix, axis_rotation, matrix_to_axis_angle

_P = smplx.REST_POSITIONS
_I = smplx.INDEX
COLLAR = _P[_I["left_collar"]]
SHOULDER = _P[_I["left_shoulder"]]
UPPER = float(np.linalg.norm(_P[_I["left_elbow"]] - SHOULDER))       # 0.255 m
FORE = float(np.linalg.norm(_P[_I["left_wrist"]] - _P[_I["left_elbow"]]))  # 0.25 m
MIN_FLEX = np.radians(12.0)          # the elbow never locks straight
MAX_FLEX = np.radians(145.0)
_MIRROR_AA = np.array([1.0, -1.0, -1.0])


def mirror_aa(aa: np.ndarray) -> np.ndarray:
    """Axis-angles [..., 3] of the mirror-image rotation (reflection x -> -x)."""
    return np.asarray(aa) * _MIRROR_AA


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _soft_clip(x: np.ndarray, lo: float, hi: float, knee: float) -> np.ndarray:
    """``x`` within [lo, hi] with a smooth (tanh) knee of width ``knee`` at each end, so a
    target moving past the arm's reach slows down instead of stopping dead."""
    a, b = lo + knee, hi - knee
    x = np.where(x > b, b + knee * np.tanh((x - b) / knee), x)
    return np.where(x < a, a - knee * np.tanh((a - x) / knee), x)


def shoulder_position(collar_aa: np.ndarray) -> np.ndarray:
    """Left shoulder positions [T, 3] in the chest frame for collar axis-angles [T, 3]."""
    return COLLAR + np.einsum("tij,j->ti", axis_angle_to_matrix(collar_aa), SHOULDER - COLLAR)


def solve_left_arm(target: np.ndarray, pole: np.ndarray, collar_aa: np.ndarray,
                   palm_up: np.ndarray, wrist_ext: np.ndarray):
    """Local rotations of the left collar's children from wrist targets (chest frame).

    Parameters
    ----------
    target : np.ndarray [shape=(T, 3)]
        Wrist position wanted, metres, chest frame (rest-pose coordinates).
    pole : np.ndarray [shape=(T, 3)]
        Direction the elbow should bend towards (from the shoulder), chest frame.
    collar_aa : np.ndarray [shape=(T, 3)]
        Collar local rotation (shrug), axis-angle.
    palm_up : np.ndarray [shape=(T,)]
        Forearm twist: -1 palm down, 0 palm facing the body's midline, 1 palm up.
    wrist_ext : np.ndarray [shape=(T,)]
        Wrist extension in radians (> 0 bends the back of the hand up).

    Returns
    -------
    shoulder, elbow, wrist : np.ndarray [shape=(T, 3)] local axis-angles.
    reach : np.ndarray [shape=(T, 3)] wrist position actually reached, chest frame.
    """
    s = shoulder_position(collar_aa)
    d_vec = target - s
    dist = np.linalg.norm(d_vec, axis=1)
    lo = np.sqrt(UPPER ** 2 + FORE ** 2 - 2 * UPPER * FORE * np.cos(np.pi - MAX_FLEX))
    hi = np.sqrt(UPPER ** 2 + FORE ** 2 - 2 * UPPER * FORE * np.cos(np.pi - MIN_FLEX))
    d = _soft_clip(dist, lo, hi, 0.07)
    u = _unit(d_vec)
    cos_a = np.clip((UPPER ** 2 + d ** 2 - FORE ** 2) / (2 * UPPER * d), -1.0, 1.0)
    v = _unit(pole - np.sum(pole * u, axis=1, keepdims=True) * u)
    x1 = cos_a[:, None] * u + np.sqrt(1 - cos_a ** 2)[:, None] * v        # upper arm direction
    elbow = s + UPPER * x1
    reach = s + d[:, None] * u
    f = _unit(reach - elbow)                                               # forearm direction
    cos_flex = np.clip(np.sum(x1 * f, axis=1), -1.0, 1.0)
    flex = np.arccos(cos_flex)
    n1 = _unit(np.cross(x1, f))                                            # flexion axis is -Y
    y1 = -n1
    z1 = np.cross(x1, y1)
    r_sh = np.stack([x1, y1, z1], axis=2)                                  # world(chest) rotation
    r_collar = axis_angle_to_matrix(collar_aa)
    shoulder = matrix_to_axis_angle(np.swapaxes(r_collar, 1, 2) @ r_sh)
    elbow_aa = np.zeros_like(target)
    elbow_aa[:, 1] = -flex
    # Palm: at zero twist the palm (-Y of the forearm frame) faces n1, which points at the
    # body's midline for a hand in front; twisting about the forearm (+X) by -90 deg * palm_up
    # turns it up, +90 deg down. Extension bends the hand about the forearm frame's Z.
    twist = axis_rotation(0, -0.5 * np.pi * np.clip(palm_up, -1.2, 1.2))
    wrist = matrix_to_axis_angle(twist @ axis_rotation(2, wrist_ext))
    return shoulder, elbow_aa, wrist, reach


def solve_arm(side: str, target, pole, collar_aa, palm_up, wrist_ext):
    """:func:`solve_left_arm` for either side, all inputs in the real chest frame (the right
    side is solved in the mirror image and mirrored back).

    Returns (collar, shoulder, elbow, wrist) local axis-angles [T, 3] each, and the reached
    wrist positions [T, 3] in the chest frame.
    """
    if side == "left":
        sh, el, wr, reach = solve_left_arm(target, pole, collar_aa, palm_up, wrist_ext)
        return collar_aa, sh, el, wr, reach
    m = np.array([-1.0, 1.0, 1.0])
    sh, el, wr, reach = solve_left_arm(target * m, pole * m, mirror_aa(collar_aa), palm_up,
                                       wrist_ext)
    return collar_aa, mirror_aa(sh), mirror_aa(el), mirror_aa(wr), reach * m
