"""The head/eye channel convention as rotation matrices.

Channels (radians, ``rigs.arkit.HEAD_EYE_NAMES``): ``yaw > 0`` turns the face (eye) to the
character's own left, ``pitch > 0`` looks up, ``roll > 0`` tilts the top of the head towards
the character's right shoulder. With the character facing -Y, +Z up and its left at +X
(Blender's front view), a channel triple is the world-space rotation
``R = Rz(yaw) @ Rx(-pitch) @ Ry(-roll)``. The Blender writer (``addon.bones``) and the body
(SMPL-X neck and head) both use this one definition.
"""
from __future__ import annotations

import numpy as np


def channel_matrices(yaw, pitch, roll) -> np.ndarray:
    """``Rz(yaw) @ Rx(-pitch) @ Ry(-roll)`` per frame [shape=(n, 3, 3)] (radians in)."""
    a, b, c = (np.asarray(v, dtype=np.float64) for v in (yaw, -np.asarray(pitch), -np.asarray(roll)))
    n = len(a)
    one, zero = np.ones(n), np.zeros(n)
    rz = np.stack([np.cos(a), -np.sin(a), zero, np.sin(a), np.cos(a), zero, zero, zero, one], 1)
    rx = np.stack([one, zero, zero, zero, np.cos(b), -np.sin(b), zero, np.sin(b), np.cos(b)], 1)
    ry = np.stack([np.cos(c), zero, np.sin(c), zero, one, zero, -np.sin(c), zero, np.cos(c)], 1)
    return rz.reshape(n, 3, 3) @ rx.reshape(n, 3, 3) @ ry.reshape(n, 3, 3)


def matrices_to_channels(R) -> tuple:
    """Inverse of :func:`channel_matrices`: (yaw, pitch, roll) arrays in radians."""
    R = np.asarray(R, dtype=np.float64)
    b = np.arcsin(np.clip(R[:, 2, 1], -1.0, 1.0))
    c = np.arctan2(-R[:, 2, 0], R[:, 2, 2])
    a = np.arctan2(-R[:, 0, 1], R[:, 1, 1])
    return a, -b, -c
