"""Body constraints: anatomical joint limits and hand/forearm-versus-body capsules.

The same definitions drive the generator (which keeps inside them) and the checks of the
tests and the bench (which count what still falls outside).
"""
from __future__ import annotations

import numpy as np

from ...rigs.skeletons import smplx

_I = smplx.INDEX

#: Largest local rotation (degrees, axis-angle magnitude from the T-pose) per joint.
LIMIT_DEG = np.full(smplx.N_JOINTS, 10.0)
for _names, _deg in (
        (("spine1", "spine2", "spine3"), 25.0), (("neck",), 40.0), (("head",), 45.0),
        (("left_collar", "right_collar"), 30.0), (("left_shoulder", "right_shoulder"), 150.0),
        (("left_elbow", "right_elbow"), 150.0), (("left_wrist", "right_wrist"), 110.0),
        (("jaw",), 30.0), (("left_eye_smplhf", "right_eye_smplhf"), 35.0)):
    for _n in _names:
        LIMIT_DEG[_I[_n]] = _deg
LIMIT_DEG[list(smplx.FINGER_JOINTS)] = 100.0
LIMIT_DEG[list(smplx.LEG_JOINTS) + [0]] = 0.5          # upper-body mode: pelvis and legs still
LIMIT_DEG.setflags(write=False)
#: Largest wrist jerk (m/s^3, third difference of position) a generated body may show.
JERK_MAX = 3000.0
#: Elbows bend one way: the flexion component (about -Y left, +Y right) may not go below this.
ELBOW_HYPEREXTENSION_DEG = 5.0


def clamp_limits(rot: np.ndarray) -> np.ndarray:
    """Scale each joint's axis-angle [T, J, 3] down to its limit (in place and returned)."""
    lim = np.radians(LIMIT_DEG)[None, :] * 0.995
    mag = np.linalg.norm(rot, axis=2)
    over = mag > lim
    if over.any():
        scale = np.where(over, lim / np.maximum(mag, 1e-12), 1.0)
        rot *= scale[..., None]
    return rot


def limit_violations(rot: np.ndarray) -> int:
    """Number of (frame, joint) pairs outside :data:`LIMIT_DEG` or hyper-extending an elbow."""
    mag = np.degrees(np.linalg.norm(np.asarray(rot, dtype=np.float64), axis=2))
    n = int((mag > LIMIT_DEG[None, :] + 1e-3).sum())
    flex_l = -np.degrees(rot[:, _I["left_elbow"], 1])
    flex_r = np.degrees(rot[:, _I["right_elbow"], 1])
    n += int((flex_l < -ELBOW_HYPEREXTENSION_DEG).sum() + (flex_r < -ELBOW_HYPEREXTENSION_DEG).sum())
    return n


# Body capsules, each a segment between two points given as (joint, offset in the rest
# frame) and a radius (m): torso, hips, neck, head.
CAPSULES = (
    ("torso", ("spine1", (0.0, -0.06, 0.0)), ("spine3", (0.0, 0.13, -0.03)), 0.125),
    ("hips", ("left_hip", (0.03, 0.0, 0.0)), ("right_hip", (-0.03, 0.0, 0.0)), 0.10),
    ("neck", ("neck", (0.0, -0.02, 0.0)), ("head", (0.0, 0.0, 0.0)), 0.06),
    ("head", ("head", (0.0, 0.07, 0.03)), ("head", (0.0, 0.11, 0.03)), 0.105),
)


def _capsule_ends(positions: np.ndarray, world_rot: np.ndarray = None):
    """Capsule end points [T, C, 2, 3] and radii [C] from FK output (joint positions
    [T, J, 3] and, optionally, world rotations [T, J, 3, 3] for the offsets)."""
    ends = []
    for _, (ja, oa), (jb, ob), _r in CAPSULES:
        pair = []
        for j, o in ((ja, oa), (jb, ob)):
            p = positions[:, _I[j]]
            if world_rot is not None:
                p = p + np.einsum("tab,b->ta", world_rot[:, _I[j]], o)
            else:
                p = p + np.asarray(o)
            pair.append(p)
        ends.append(np.stack(pair, axis=1))
    return np.stack(ends, axis=1), np.array([c[3] for c in CAPSULES])


def point_depths(points: np.ndarray, ends: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Penetration depth (m, > 0 inside) of points [T, P, 3] into capsules [T, C, 2, 3];
    the deepest capsule per point, [T, P]."""
    a, b = ends[:, None, :, 0], ends[:, None, :, 1]          # [T, 1, C, 3]
    ab = b - a
    ap = points[:, :, None, :] - a                            # [T, P, C, 3]
    t = np.clip(np.sum(ap * ab, -1) / np.maximum(np.sum(ab * ab, -1), 1e-12), 0.0, 1.0)
    d = np.linalg.norm(ap - t[..., None] * ab, axis=-1)
    return np.max(radii[None, None, :] - d, axis=2)


#: Joints whose positions stand for the hands, and the forearm samples between elbow and wrist.
HAND_POINTS = tuple(_I[f"{s}_{n}"] for s in ("left", "right")
                    for n in ("wrist", "index3", "middle3", "pinky3", "thumb3", "middle1"))
FOREARM_FRACTIONS = (0.35, 0.7)


def arm_points(positions: np.ndarray) -> np.ndarray:
    """Hand joints and forearm samples of both arms, [T, P, 3], from FK positions [T, J, 3]."""
    pts = [positions[:, list(HAND_POINTS)]]
    for s in ("left", "right"):
        e, w = positions[:, _I[s + "_elbow"]], positions[:, _I[s + "_wrist"]]
        pts.append(np.stack([e + f * (w - e) for f in FOREARM_FRACTIONS], axis=1))
    return np.concatenate(pts, axis=1)


#: Closest the two hands' points (wrist, knuckle, finger tips) may come, metres.
HAND_GAP = 0.02


def hand_gap(positions: np.ndarray) -> np.ndarray:
    """Smallest distance (m) between a left-hand and a right-hand point per frame, [T]."""
    hp = list(HAND_POINTS)
    left, right = positions[:, hp[:len(hp) // 2]], positions[:, hp[len(hp) // 2:]]
    return np.linalg.norm(left[:, :, None] - right[:, None], axis=-1).min(axis=(1, 2))


def penetration_depths(positions: np.ndarray, world_rot: np.ndarray = None) -> np.ndarray:
    """Deepest penetration of any hand or forearm point per frame, [T] metres (<= 0: none)."""
    ends, radii = _capsule_ends(positions, world_rot)
    return point_depths(arm_points(positions), ends, radii).max(axis=1)
