"""The 52 ARKit shape keys of the demo head, each moving its own anatomical region.

Every key is a function of the rest positions plus the mesh's side labels (upper or
lower lip/lid): keys that only use positions move coincident seam vertices together,
so they cannot open the lips; keys that open or close the mouth (jawOpen, mouthClose,
mouthLowerDown*, mouthUpperUp*, mouthFunnel) are side-aware on purpose.

Lid and eyeball keys rotate about the eyeball centre, the jaw rotates about a hinge in
front of the ear, so the full-weight poses are true rotations. Units: metres.
"""
from __future__ import annotations

import numpy as np

from .demo_head_geometry import (EYE_HALF_WIDTH, EYE_X, EYE_Z, JAW_HINGE, LID_RADIUS,
                        MOUTH_HALF_WIDTH, MOUTH_Z, PART_INDEX, _rot_yz, _smoothstep)

JAW_OPEN_RAD = 0.27          # full jawOpen: about 3 cm between the lips
CLOSE_LOWER_SHARE = 0.65     # mouthClose: the lower lip travels 65% of the way, the upper 35%
LOOK_RAD = 0.38              # eyeLook*: about 22 degrees


def _g(p, cx, cz, sx, sz):
    return np.exp(-0.5 * (((p[:, 0] - cx) / sx) ** 2 + ((p[:, 2] - cz) / sz) ** 2))


def _vec(w, d):
    return w[:, None] * np.asarray(d, dtype=np.float64)[None, :]


def _rot_z(p, center, angle):
    """Rotate about the vertical axis through ``center``; positive turns -Y towards +X."""
    d = p - center
    ca, sa = np.cos(angle), np.sin(angle)
    out = p.copy()
    out[:, 0] = center[0] + d[:, 0] * ca - d[:, 1] * sa
    out[:, 1] = center[1] + d[:, 0] * sa + d[:, 1] * ca
    return out


class _Ctx:
    """Masks shared by the keys."""

    def __init__(self, P, info):
        self.P = P
        parts = info["vertex_parts"]
        self.soft = np.isin(parts, [PART_INDEX[n] for n in ("skin", "lips", "brows", "mouth")])
        self.soft = self.soft.astype(np.float64)
        self.soft[info["rigid"]] = 0.0          # ears and neck never move
        side = info["side"]
        self.upper = 0.5 * (1.0 + side)
        self.lower = 0.5 * (1.0 - side)
        self.eye_side = info["eye_side"]
        x, y, z = P[:, 0], P[:, 1], P[:, 2]
        ids, r_m = info["grid_ids"], info["r_m"]
        seam = P[ids[r_m, info["mouth_span"]]]
        order = np.argsort(seam[:, 0])
        self.seam_x, self.seam_y = seam[order, 0], seam[order, 1]
        self.lower_seam = info["lower_ids"][info["mouth_span"]][order]
        self.dz = z - MOUTH_Z
        self.dy_in = np.maximum(0.0, y - np.interp(x, self.seam_x, self.seam_y))
        lateral = np.exp(-0.5 * (np.maximum(np.abs(x) - MOUTH_HALF_WIDTH, 0.0) / 0.008) ** 2)
        self.lip_close = (self.soft * lateral * np.exp(-0.5 * (self.dz / 0.009) ** 2)
                          * np.exp(-0.5 * (self.dy_in / 0.006) ** 2))
        lat_soft = np.exp(-0.5 * (np.maximum(np.abs(x) - 0.018, 0.0) / 0.010) ** 2)
        self.lipband = (self.soft * lat_soft * np.exp(-0.5 * (self.dz / 0.010) ** 2)
                        * np.exp(-0.5 * (self.dy_in / 0.008) ** 2))
        self.front = self.soft * (y < -0.02)
        self.info = info

    def sidew(self, sgn):
        return 1.0 / (1.0 + np.exp(-sgn * self.P[:, 0] / 0.005))


def _jaw_weight(c: _Ctx):
    P, info = c.P, c.info
    x, y, z = P[:, 0], P[:, 1], P[:, 2]
    yh, zh = JAW_HINGE
    t = np.clip((y + 0.09) / (yh + 0.09), 0.0, 1.0)
    z_b = MOUTH_Z + t * (zh - MOUTH_Z)
    w_g = _smoothstep((z_b - z) / 0.025 + 0.5)
    back = 1.0 - _smoothstep((y - (yh - 0.015)) / 0.035)
    lat = _smoothstep((np.abs(x) - MOUTH_HALF_WIDTH) / 0.012)
    w = c.soft * back * (lat * w_g + (1.0 - lat) * c.lower)
    mouth = info["vertex_parts"] == PART_INDEX["mouth"]
    w[mouth] = c.lower[mouth]
    w[info["teeth_lower"]] = 1.0
    w[info["tongue"]] = 1.0
    return w


def _lid_angles(c: _Ctx, sgn):
    """Per-vertex lid angles: vertex angle, upper/lower seam angle at its x, weights."""
    info, P = c.info, c.P
    k = 0 if sgn > 0 else 1
    center = info["eye_centers"][k]
    sp = info["eye_spans"][k]
    ids, r_e = info["grid_ids"], info["r_e"]
    up, lo = ids[r_e, sp], info["eye_lower"][sp]

    def ang(q):
        d = q - center
        return np.arctan2(d[..., 2], -d[..., 1])

    xs = P[up, 0]
    o = np.argsort(xs)
    a_up = np.interp(P[:, 0], xs[o], ang(P[up])[o])
    a_lo = np.interp(P[:, 0], xs[o], ang(P[lo])[o])
    d = P - center
    a = ang(P)
    r = np.linalg.norm(d, axis=1)
    near = c.soft * (d[:, 1] < 0.0) * np.exp(
        -0.5 * (np.maximum(np.abs(P[:, 0] * sgn - EYE_X) - 0.8 * EYE_HALF_WIDTH, 0.0) / 0.006) ** 2)
    near *= np.exp(-0.5 * (np.maximum(r - LID_RADIUS, 0.0) / 0.005) ** 2)
    upper = (c.eye_side > 0) | ((c.eye_side == 0) & (P[:, 2] > EYE_Z))
    w_up = near * upper * np.exp(-0.5 * (np.maximum(a - a_up, 0.0) / 0.55) ** 2)
    w_lo = near * ~upper * np.exp(-0.5 * (np.maximum(a_lo - a, 0.0) / 0.45) ** 2)
    return center, a_up, a_lo, w_up, w_lo


def _eye_keys(c: _Ctx, keys, sgn, side):
    P, info = c.P, c.info
    center, a_up, a_lo, w_up, w_lo = _lid_angles(c, sgn)
    a_close = a_lo + 0.25 * (a_up - a_lo)
    angle_blink = (a_close - a_up) * w_up + (a_close - a_lo) * w_lo
    keys["eyeBlink" + side] = _rot_yz(P, center, angle_blink) - P
    keys["eyeSquint" + side] = (_rot_yz(P, center, 0.45 * (a_close - a_lo) * w_lo + 0.12 * (a_close - a_up) * w_up) - P
                                + _vec(c.soft * _g(P, sgn * 0.034, EYE_Z - 0.020, 0.013, 0.008), (0, -0.001, 0.002)))
    keys["eyeWide" + side] = _rot_yz(P, center, 0.22 * w_up + -0.05 * w_lo) - P
    eye = np.zeros(len(P), dtype=bool)
    eye[info["eyes"][0 if sgn > 0 else 1]] = True
    ew = eye.astype(np.float64)
    keys["eyeLookUp" + side] = _rot_yz(P, center, LOOK_RAD * ew + 0.18 * w_up) - P
    keys["eyeLookDown" + side] = _rot_yz(P, center, -LOOK_RAD * ew - 0.22 * w_up - 0.08 * w_lo) - P
    keys["eyeLookOut" + side] = _rot_z(P, center, sgn * LOOK_RAD * 1.1 * ew) - P
    keys["eyeLookIn" + side] = _rot_z(P, center, -sgn * LOOK_RAD * 1.1 * ew) - P


def _mouth_side_keys(c: _Ctx, keys, sgn, side):
    P = c.P
    x = P[:, 0]
    corner = np.array([sgn * MOUTH_HALF_WIDTH, np.interp(sgn * MOUTH_HALF_WIDTH, c.seam_x, c.seam_y), MOUTH_Z])
    dist2 = np.sum((P - corner) ** 2, axis=1)
    wc = c.soft * np.exp(-0.5 * dist2 / 0.013 ** 2) * np.exp(-0.5 * (c.dy_in / 0.012) ** 2)
    wwide = c.soft * np.exp(-0.5 * dist2 / 0.017 ** 2) * np.exp(-0.5 * (c.dy_in / 0.012) ** 2)
    cheek = c.front * _g(P, sgn * 0.040, -0.030, 0.015, 0.016)
    keys["mouthSmile" + side] = _vec(wc, (sgn * 0.005, 0.004, 0.008)) + _vec(cheek, (sgn * 0.002, -0.002, 0.004))
    keys["mouthFrown" + side] = _vec(wc, (sgn * 0.001, 0.001, -0.007)) + _vec(cheek, (0, 0, -0.0015))
    keys["mouthDimple" + side] = _vec(wc, (sgn * 0.003, 0.005, 0.0008))
    keys["mouthStretch" + side] = _vec(wwide, (sgn * 0.007, 0.002, -0.003))
    sw = c.sidew(sgn)
    press = c.lipband * sw
    keys["mouthPress" + side] = np.stack([np.zeros_like(x), 0.001 * press, -0.35 * c.dz * press], 1)
    lat = np.exp(-0.5 * (x / 0.026) ** 4)
    low = c.soft * c.lower * sw * lat * np.exp(-0.5 * ((c.dz + 0.004) / 0.008) ** 2) * np.exp(-0.5 * (c.dy_in / 0.008) ** 2)
    upp = c.soft * c.upper * sw * lat * np.exp(-0.5 * ((c.dz - 0.005) / 0.008) ** 2) * np.exp(-0.5 * (c.dy_in / 0.008) ** 2)
    keys["mouthLowerDown" + side] = _vec(low, (0, -0.0015, -0.0065))
    keys["mouthUpperUp" + side] = _vec(upp, (0, -0.0015, 0.0055))
    keys["mouth" + side] = _vec(c.soft * _g(P, 0.0, MOUTH_Z, 0.030, 0.016), (sgn * 0.007, 0, 0))
    keys["cheekSquint" + side] = _vec(c.front * _g(P, sgn * 0.036, EYE_Z - 0.020, 0.014, 0.009), (0, -0.001, 0.004))
    keys["noseSneer" + side] = (_vec(c.front * _g(P, sgn * 0.011, -0.027, 0.007, 0.008), (0, 0.0005, 0.0035))
                                + _vec(c.front * _g(P, sgn * 0.008, EYE_Z - 0.008, 0.006, 0.009), (0, 0, 0.0015))
                                + _vec(c.front * _g(P, sgn * 0.014, EYE_Z + 0.020, 0.008, 0.008), (0, 0, -0.0015)))
    brow = c.front * _g(P, sgn * 0.030, EYE_Z + 0.021, 0.016, 0.010)
    keys["browDown" + side] = _vec(brow, (-sgn * 0.002, -0.001, -0.005))
    keys["browOuterUp" + side] = _vec(c.front * _g(P, sgn * 0.044, EYE_Z + 0.020, 0.012, 0.011), (0, 0, 0.006))


def build_shape_keys(P: np.ndarray, info: dict) -> dict:
    """All 52 ARKit keys as vertex offsets [shape=(V, 3)] in metres."""
    c = _Ctx(P, info)
    keys = {}
    x, y = P[:, 0], P[:, 1]
    w_jaw = _jaw_weight(c)
    hinge = np.array([0.0, *JAW_HINGE])
    jaw_open = _rot_yz(P, hinge, -JAW_OPEN_RAD * w_jaw) - P
    keys["jawOpen"] = jaw_open
    keys["jawForward"] = _vec(w_jaw, (0, -0.006, 0))
    # sideways jaw: a yaw about a pivot behind the jaw, so the chin travels about 6 mm
    pivot = np.array([0.0, JAW_HINGE[0] + 0.01, 0.0])
    keys["jawLeft"] = _rot_z(P, pivot, 0.055 * w_jaw) - P
    keys["jawRight"] = _rot_z(P, pivot, -0.055 * w_jaw) - P
    # mouthClose: lips meet against an open jaw; the upper lip follows the lower seam's
    # jawOpen offset at the same x, so each seam pair coincides at jawOpen = mouthClose.
    d_lo = np.stack([np.interp(x, c.seam_x, jaw_open[c.lower_seam, k]) for k in range(3)], 1)
    keys["mouthClose"] = (-CLOSE_LOWER_SHARE * jaw_open * (c.lip_close * c.lower)[:, None]
                          + (1.0 - CLOSE_LOWER_SHARE) * d_lo * (c.lip_close * c.upper)[:, None])
    centre = np.exp(-0.5 * (x / 0.014) ** 2)
    keys["mouthFunnel"] = (np.stack([-0.2 * x * c.lipband, -0.006 * c.lipband, np.zeros_like(x)], 1)
                           + _vec(c.lipband * centre * (0.003 * c.upper - 0.004 * c.lower), (0, 0, 1)))
    keys["mouthPucker"] = np.stack([-0.35 * x * c.lipband, -0.008 * c.lipband, np.zeros_like(x)], 1)
    lo_band = c.soft * c.lower * np.exp(-0.5 * ((c.dz + 0.004) / 0.006) ** 2) * np.exp(-0.5 * (c.dy_in / 0.006) ** 2)
    up_band = c.soft * c.upper * np.exp(-0.5 * ((c.dz - 0.004) / 0.006) ** 2) * np.exp(-0.5 * (c.dy_in / 0.006) ** 2)
    lat = np.exp(-0.5 * (np.maximum(np.abs(x) - 0.018, 0.0) / 0.008) ** 2)
    keys["mouthRollLower"] = np.stack([np.zeros_like(x), 0.005 * lo_band * lat,
                                       0.004 * lo_band * lat * _smoothstep(-c.dz / 0.004)], 1)
    keys["mouthRollUpper"] = np.stack([np.zeros_like(x), 0.005 * up_band * lat,
                                       -0.004 * up_band * lat * _smoothstep(c.dz / 0.004)], 1)
    keys["mouthShrugLower"] = _vec(c.soft * _g(P, 0.0, MOUTH_Z - 0.012, 0.020, 0.012), (0, -0.002, 0.004))
    keys["mouthShrugUpper"] = _vec(c.soft * _g(P, 0.0, MOUTH_Z + 0.006, 0.020, 0.008), (0, -0.001, 0.003))
    keys["browInnerUp"] = _vec(c.front * (_g(P, 0.016, EYE_Z + 0.022, 0.011, 0.012)
                                          + _g(P, -0.016, EYE_Z + 0.022, 0.011, 0.012)), (0, 0, 0.006))
    puff = c.front * (_g(P, 0.040, -0.040, 0.016, 0.018) + _g(P, -0.040, -0.040, 0.016, 0.018))
    keys["cheekPuff"] = np.stack([np.sign(x) * 0.006 * puff, -0.004 * puff, np.zeros_like(x)], 1)
    tongue = np.zeros(len(P), dtype=bool)
    tongue[info["tongue"]] = True
    ty = y[tongue]
    f = np.zeros(len(P))
    f[tongue] = (ty.max() - ty) / (ty.max() - ty.min())
    keys["tongueOut"] = np.stack([np.zeros_like(x), -(0.020 + 0.012 * f) * tongue,
                                  -0.004 * f * tongue], 1)
    for sgn, side in ((1.0, "Left"), (-1.0, "Right")):
        _eye_keys(c, keys, sgn, side)
        _mouth_side_keys(c, keys, sgn, side)
    return keys
