"""Motion statistics of body curves, comparable with FIELD_NOTES' real-gesture figures.

Positions come from forward kinematics on talkrig's T-pose skeleton with the root's
orientation ignored (as the reference figures were measured). Used by the tests and by
``python -m bench --only body``.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import argrelextrema

from ...rigs.skeletons import smplx
from ..curves import BodyCurves
from ..motion.rotations import axis_angle_to_quaternion, forward_kinematics
from . import constraints

_I = smplx.INDEX
WRISTS = (_I["left_wrist"], _I["right_wrist"])
#: Joints whose positions beat consistency averages over (spine1 is fixed by the still pelvis).
BC_JOINTS = tuple(j for j in smplx.UPPER_BODY if j != _I["spine1"])
#: Real conversational gesture (FIELD_NOTES, BEAT2 speaker, 30 fps).
REFERENCE = {"bc": 0.40, "angular_speed": 37.0, "angular_speed_p95": 130.0, "wrist_speed": 0.54,
             "wrist_speed_p95": 1.44, "wrist_height_range": 0.67, "wrist_jerk": 54.0,
             "still_share": 0.001}


def positions(body: BodyCurves, *, dtype=np.float32):
    """World joint positions [T, 55, 3] and rotations [T, 55, 3, 3], root orientation and
    translation ignored."""
    rot = np.array(body.rotations, dtype=np.float32)
    rot[:, 0] = 0.0
    return forward_kinematics(rot, smplx.PARENTS, smplx.REST_OFFSETS, dtype=dtype)


def angular_speed(rotations: np.ndarray, fps: float, joints=smplx.UPPER_BODY) -> np.ndarray:
    """Angular speed (deg/s) of each joint's local rotation between frames, [T-1, len(joints)]."""
    q = axis_angle_to_quaternion(np.asarray(rotations, dtype=np.float64)[:, list(joints)])
    dot = np.abs(np.sum(q[1:] * q[:-1], axis=-1))
    return np.degrees(2.0 * np.arccos(np.clip(dot, -1.0, 1.0))) * fps


def beat_consistency(pos: np.ndarray, fps: float, onsets, *, joints=BC_JOINTS, order: int = 7,
                     threshold: float = 0.3, sigma: float = 0.3, trim_s: float = 2.0) -> float:
    """Beat consistency as EMAGE computes it (FIELD_NOTES, "SMPL-X").

    Per joint, motion beats are local minima (``argrelextrema(order=7)``) of speed divided
    by its mean, kept where that exceeds ``threshold``; the score is the mean over audio
    onsets (the first and last ``trim_s`` dropped) of ``exp(-d^2 / (2 sigma^2))``, d the
    distance (s) to the nearest motion beat; averaged over ``joints``.
    """
    on = np.asarray(onsets, dtype=np.float64).reshape(-1)
    dur = (pos.shape[0] - 1) / fps
    on = on[(on >= trim_s) & (on <= dur - trim_s)]
    if on.size == 0:
        return float("nan")
    scores = []
    for j in joints:
        vel = np.linalg.norm(np.diff(pos[:, j].astype(np.float64), axis=0), axis=1)
        mean = vel.mean()
        if mean <= 1e-12:
            scores.append(0.0)
            continue
        vel = vel / mean
        m = argrelextrema(vel, np.less, order=order)[0]
        m = m[vel[m] > threshold]
        if m.size == 0:
            scores.append(0.0)
            continue
        beats = m / fps
        d = np.min(np.abs(on[:, None] - beats[None, :]), axis=1)
        scores.append(float(np.mean(np.exp(-d * d / (2 * sigma * sigma)))))
    return float(np.mean(scores))


def _mean(a) -> float:
    return float(np.mean(a)) if np.size(a) else 0.0


def _pct(a, q: float) -> float:
    return float(np.percentile(a, q)) if np.size(a) else 0.0


def motion_stats(body: BodyCurves, *, onsets=None, pos=None) -> dict:
    """The bench's numbers for one take (keys as in :data:`REFERENCE`, plus checks).

    Returns dict with: ``angular_speed`` (mean deg/s over upper-body joints and frames),
    ``angular_speed_p95``, ``wrist_speed`` (m/s, both wrists), ``wrist_speed_p95``,
    ``wrist_height_range`` (m, highest minus lowest wrist over the take),
    ``wrist_height_range_each`` (m, mean of the two wrists' own ranges), ``wrist_jerk``
    (median m/s^3 of the third difference), ``still_share`` (both wrists < 0.02 m/s),
    ``diversity`` (m, mean distance of upper-body and hand joints from their clip mean),
    ``wrist_height``, ``wrist_forward``, ``wrist_width`` (means, m), ``limit_violations``,
    ``penetrations`` (frames deeper than 1 cm), ``max_penetration`` (m), ``hand_gap_min``
    (m, closest the two hands come), ``root_drift``
    (m and rad, max over the take), and ``bc`` when ``onsets`` are given.
    """
    fps = body.fps
    if pos is None:
        pos, world = positions(body)
    else:
        world = None
    wr = pos[:, list(WRISTS)].astype(np.float64)                       # [T, 2, 3]
    sp = np.linalg.norm(np.diff(wr, axis=0), axis=2) * fps
    jerk = np.linalg.norm(np.diff(wr, n=3, axis=0), axis=2) * fps ** 3
    ang = angular_speed(body.rotations, fps)
    joints = list(smplx.UPPER_BODY[1:]) + list(smplx.FINGER_JOINTS)
    pj = pos[:, joints].astype(np.float64)
    depth = constraints.penetration_depths(pos, world)
    root = np.asarray(body.translation, dtype=np.float64)
    out = {
        "angular_speed": _mean(ang), "angular_speed_p95": _pct(ang, 95),
        "wrist_speed": _mean(sp), "wrist_speed_p95": _pct(sp, 95),
        "wrist_height_range": float(wr[:, :, 1].max() - wr[:, :, 1].min()),
        "wrist_height_range_each": float(np.mean(np.ptp(wr[:, :, 1], axis=0))),
        "wrist_jerk": _pct(jerk, 50),
        "still_share": _mean(np.all(sp < 0.02, axis=1)),
        "diversity": float(np.mean(np.linalg.norm(pj - pj.mean(axis=0), axis=2))),
        "wrist_height": float(wr[:, :, 1].mean()),
        "wrist_forward": float(wr[:, :, 2].mean()),
        "wrist_width": float(np.mean(np.abs(wr[:, 0, 0] - wr[:, 1, 0]))),
        "limit_violations": constraints.limit_violations(np.asarray(body.rotations)),
        "penetrations": int((depth > 0.01).sum()), "max_penetration": float(max(depth.max(), 0.0)),
        "hand_gap_min": float(constraints.hand_gap(pos).min()),
        "root_drift": float(max(np.abs(root - root[:1]).max(initial=0.0),
                                np.abs(np.asarray(body.rotations)[:, 0]).max(initial=0.0))),
    }
    if onsets is not None:
        out["bc"] = beat_consistency(pos, fps, onsets)
    return out


def speed_histogram_distance(speeds: np.ndarray, mean: float, p95: float, bins: int = 40) -> float:
    """Total-variation distance (0..1) between a speed sample and the gamma distribution
    with the reference ``mean`` and 95th percentile (the only figures FIELD_NOTES gives)."""
    from scipy.optimize import brentq
    from scipy.stats import gamma
    k = brentq(lambda a: gamma.ppf(0.95, a, scale=mean / a) - p95, 0.05, 50.0)
    edges = np.linspace(0.0, 2.5 * p95, bins + 1)
    ref = np.diff(gamma.cdf(edges, k, scale=mean / k))
    ref[-1] += 1.0 - ref.sum()
    h, _ = np.histogram(np.clip(speeds, 0, edges[-1] - 1e-9), edges)
    h = h / max(h.sum(), 1)
    return float(0.5 * np.abs(h - ref).sum())
