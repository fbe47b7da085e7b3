"""Finger poses: relaxed, open, point, fist and pinch hand shapes on the 15 joints per hand.

Shapes are authored for the left hand of the T-pose (palm down, fingers along +X, thumb
towards +Z) as curl angles per finger joint; the right hand mirrors them. Rotations are
local axis-angles relative to a flat hand (SMPL-X ``flat_hand_mean=True``), so blending
shape weights gives in-between hands.
"""
from __future__ import annotations

import numpy as np

from ...rigs.skeletons import smplx

#: Hand shapes, in the order of the weight columns :func:`finger_rotations` takes.
SHAPES = ("relaxed", "open", "point", "fist", "pinch")

# Curl (flexion) of joints 1, 2, 3 in degrees, and spread (+ towards the thumb side).
_CURL = {
    #            index           middle          pinky           ring            thumb
    "relaxed": ((14, 22, 12, 2), (18, 26, 14, 0), (28, 32, 16, -4), (24, 29, 15, -2), (8, 14, 10, 6)),
    "open": ((2, 4, 2, 7), (2, 4, 2, 1), (3, 4, 2, -9), (2, 4, 2, -4), (-4, 0, 4, 20)),
    "point": ((2, 3, 2, 2), (80, 95, 50, 0), (85, 90, 50, -2), (82, 92, 50, -1), (32, 38, 22, -6)),
    "fist": ((78, 95, 55, 0), (82, 96, 55, 0), (85, 90, 50, -2), (83, 93, 52, -1), (35, 45, 28, -10)),
    "pinch": ((38, 42, 20, 2), (40, 48, 24, 0), (50, 55, 28, -3), (45, 52, 26, -2), (28, 24, 18, 10)),
}
_FINGER_ORDER = ("index", "middle", "pinky", "ring", "thumb")    # SMPL-X order per hand


def _axis(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def _left_shape(name: str) -> np.ndarray:
    """Axis-angles [15, 3] of one shape on the left hand."""
    rest = smplx.REST_POSITIONS
    out = np.zeros((15, 3))
    palm = np.array([0.0, -1.0, 0.0])
    for f, finger in enumerate(_FINGER_ORDER):
        c1, c2, c3, spread = _CURL[name][f]
        a = rest[smplx.INDEX[f"left_{finger}1"]]
        b = rest[smplx.INDEX[f"left_{finger}2"]]
        flex = _axis(np.cross(_axis(b - a), palm))                 # curls towards the palm
        for k, deg in enumerate((c1, c2, c3)):
            out[3 * f + k] = np.radians(deg) * flex
        # spread: the first joint turns about the palm normal (towards the thumb side, +Z)
        out[3 * f] += np.radians(spread) * np.array([0.0, -1.0, 0.0])
    return out


#: Left-hand shape rotations [n_shapes, 15, 3] and the mirrored right-hand ones.
LEFT = np.stack([_left_shape(n) for n in SHAPES])
RIGHT = LEFT * np.array([1.0, -1.0, -1.0])
LEFT.setflags(write=False)
RIGHT.setflags(write=False)


def finger_rotations(weights: np.ndarray, side: str) -> np.ndarray:
    """Finger joint rotations of one hand from per-frame shape weights.

    Parameters
    ----------
    weights : np.ndarray [shape=(T, len(SHAPES))]
        Non-negative weights per shape; each row is normalised to sum 1 (an all-zero row
        gives the relaxed hand).
    side : {"left", "right"}

    Returns
    -------
    np.ndarray [shape=(T, 15, 3)] float64 axis-angles in SMPL-X hand order.
    """
    w = np.maximum(np.asarray(weights, dtype=np.float64), 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total > 1e-9, w / np.maximum(total, 1e-9), np.eye(len(SHAPES))[0])
    table = (LEFT if side == "left" else RIGHT).reshape(len(SHAPES), 45)
    return (w @ table).reshape(-1, 15, 3)


def shape_vector(**weights) -> np.ndarray:
    """A weight row from shape names, e.g. ``shape_vector(open=0.7, relaxed=0.3)``."""
    v = np.zeros(len(SHAPES))
    for k, x in weights.items():
        v[SHAPES.index(k)] = x
    return v
