"""The demo head's proportions and the small geometry helpers its builders share
(``demo_head``, ``demo_head_keys``, ``demo_head_parts``), in metres."""
from __future__ import annotations

import numpy as np

PART_NAMES = ("skin", "lips", "brows", "eye_white", "iris", "pupil", "teeth", "mouth", "tongue")
PART_INDEX = {n: i for i, n in enumerate(PART_NAMES)}

# Landmarks (metres). Head centre at the origin.
HEAD_RADII = (0.074, 0.098, 0.118)          # x, y, z semi-axes of the skull ellipsoid
MOUTH_Z = -0.062                             # lip seam height
MOUTH_HALF_WIDTH = 0.025                     # seam corners at |x| <= this
EYE_Z = 0.010
EYE_X = 0.033
EYE_RADIUS = 0.0120
LID_RADIUS = 0.0134                          # lids slide on this sphere around the eye centre
EYE_HALF_WIDTH = 0.0135                      # eye opening corners at |x - EYE_X| <= this
JAW_HINGE = (0.010, -0.012)                 # y, z of the jaw rotation axis (along X)


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _rot_yz(p, center, angle):
    """Rotate points about the X axis through ``center``; positive angle lifts the front."""
    d = p - center
    ca, sa = np.cos(angle), np.sin(angle)
    out = p.copy()
    # forward is -y: (f, z) with f = -dy rotates by +angle towards +z
    f = -d[:, 1]
    out[:, 1] = center[1] - (f * ca - d[:, 2] * sa)
    out[:, 2] = center[2] + (f * sa + d[:, 2] * ca)
    return out
