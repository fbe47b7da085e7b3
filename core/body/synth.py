"""From planned sub-movements to joint rotations: arms, hands, spine, breathing, head.

Every function here works on whole curves at once (numpy over frames).
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d

from ...rigs.skeletons import smplx
from ..motion.rotations import euler_to_matrix, forward_kinematics, matrix_to_axis_angle
from . import constraints
from .arms import mirror_aa, solve_arm
from .hands import finger_rotations
from .plan import N_CH

_I = smplx.INDEX
_MX = np.array([-1.0, 1.0, 1.0])
#: Peak wrist-target jerk one sub-movement may have, m/s^3 (the sum of overlapping moves
#: stays within about twice this; constraints.JERK_MAX is what the tests hold).
MOVE_JERK = 1200.0


def submovements(moves: list, start_row: np.ndarray, n_frames: int, fps: float, *,
                 loop: float = 0.3, loop_axis=(0.35, 0.25, 1.0)) -> np.ndarray:
    """Sum of minimum-jerk sub-movements, float64 [n_frames, N_CH].

    Each move ``(arrival, duration, row)`` adds ``row - previous row`` along a minimum-jerk
    step that starts at ``arrival - duration``; overlapping moves blend, and the curve
    always ends on the last row. The wrist path of each move bows sideways by ``loop``
    times its length (at most 4 cm) as ``sin(pi p)``, always turning the same way about
    ``loop_axis``: back-and-forth strokes become flat loops, so the hand turns round at
    the end of a stroke instead of stopping dead.
    """
    out = np.zeros((n_frames, N_CH))
    step = np.zeros((n_frames + 1, N_CH))
    prev = np.asarray(start_row, dtype=np.float64)
    axis = np.asarray(loop_axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    for t_arr, dur, row in moves:
        delta = row - prev
        prev = row
        # a minimum-jerk step of length D over T peaks at 60 D / T^3: keep it under the bound
        dur = max(dur, (60.0 * float(np.sqrt(delta[:3] @ delta[:3])) / MOVE_JERK) ** (1.0 / 3.0))
        t0 = t_arr - dur
        i0 = max(int(np.ceil(t0 * fps)), 0)
        i1 = min(int(np.floor(t_arr * fps)), n_frames - 1)
        if i1 >= i0:
            p = (np.arange(i0, i1 + 1) / fps - t0) / dur
            s = p * p * p * (10.0 - 15.0 * p + 6.0 * p * p)
            out[i0:i1 + 1] += s[:, None] * delta
            d3 = delta[:3]
            side = np.array([axis[1] * d3[2] - axis[2] * d3[1], axis[2] * d3[0] - axis[0] * d3[2],
                             axis[0] * d3[1] - axis[1] * d3[0]])
            norm = float(np.sqrt(side @ side))
            if norm > 1e-6 and loop > 0:
                bow = min(loop * float(np.sqrt(d3 @ d3)), 0.04) / norm * side
                out[i0:i1 + 1, :3] += np.sin(np.pi * p)[:, None] * bow
        step[max(i1 + 1, 0)] += delta
    return out + start_row + np.cumsum(step, axis=0)[:n_frames]


def smooth_noise(rng, n: int, k: int, *, fps: float, sigma_s: float, std) -> np.ndarray:
    """Gaussian-smoothed white noise [n, k] with per-column ``std`` (low jerk, no loops)."""
    pad = int(4 * sigma_s * fps) + 1
    z = gaussian_filter1d(rng.standard_normal((n + 2 * pad, k)), sigma_s * fps, axis=0)
    z = z[pad:pad + n]
    return z / max(float(z.std()), 1e-9) * np.asarray(std, dtype=np.float64)


def pole_vector(pole: np.ndarray) -> np.ndarray:
    """Elbow direction (left-arm convention) from the 0..1 ``pole`` channel, [T, 3]."""
    return np.stack([0.05 + 0.6 * pole, -np.ones_like(pole), -0.4 + 0.1 * pole], axis=1)


# Sub-skeleton for arm checks: spine3 as root, collars, arms and four fingers per side.
_ARM_SUB = [_I["spine3"]] + [_I[f"{s}_{n}"] for s in ("left", "right") for n in (
    "collar", "shoulder", "elbow", "wrist", "index1", "index2", "index3", "middle1", "middle2",
    "middle3", "pinky1", "pinky2", "pinky3", "thumb1", "thumb2", "thumb3")]
_SUB_INDEX = {j: k for k, j in enumerate(_ARM_SUB)}
_SUB_PARENTS = np.array([-1] + [_SUB_INDEX[int(smplx.PARENTS[j])] for j in _ARM_SUB[1:]])
_SUB_OFFSETS = smplx.REST_OFFSETS[_ARM_SUB].copy()
_SUB_OFFSETS[0] = smplx.REST_POSITIONS[_I["spine3"]]


_HAND_SUB = [_SUB_INDEX[j] for j in constraints.HAND_POINTS]
_ELBOW_WRIST_SUB = {s: (_SUB_INDEX[_I[s + "_elbow"]], _SUB_INDEX[_I[s + "_wrist"]])
                    for s in ("left", "right")}
_REST_CAPSULES = constraints._capsule_ends(smplx.REST_POSITIONS[None].astype(np.float32))


def arm_depths(rot: np.ndarray) -> dict:
    """Deepest hand/forearm penetration per frame (m) of each arm, side -> [T], and the
    closest approach of the two hands (``"hands"``), in the chest frame (spine at rest),
    with the fingers as posed in ``rot``."""
    sub, _ = forward_kinematics(rot[:, _ARM_SUB], _SUB_PARENTS, _SUB_OFFSETS, dtype=np.float32)
    ends, radii = _REST_CAPSULES
    half = len(_HAND_SUB) // 2
    out = {}
    for k, side in enumerate(("left", "right")):
        e, w = (sub[:, i] for i in _ELBOW_WRIST_SUB[side])
        pts = np.concatenate([sub[:, _HAND_SUB[k * half:(k + 1) * half]]] +
                             [(e + f * (w - e))[:, None] for f in constraints.FOREARM_FRACTIONS], 1)
        out[side] = constraints.point_depths(pts, ends, radii).max(axis=1)
    left, right = sub[:, _HAND_SUB[:half]], sub[:, _HAND_SUB[half:]]
    out["hands"] = np.linalg.norm(left[:, :, None] - right[:, None], axis=-1).min(axis=(1, 2))
    return out


def pose_arms(rot: np.ndarray, chans: dict, *, fps: float = 30.0, margin: float = 0.03) -> dict:
    """Solve both arms from their target channels into ``rot`` [T, 55, 3] (in place).

    ``chans`` maps side -> [T, N_CH] (left-hand convention). Where a hand or forearm would
    come within ``margin`` (m) of the body, that arm's target is pushed forward and a little
    up (smoothly over about 0.3 s) and solved again; where the hands would come closer than
    ``constraints.HAND_GAP + margin``, both move apart sideways. Later passes re-solve only
    the frames a correction touched. Returns the reached wrist positions per side (chest
    frame).
    """
    n = rot.shape[0]
    reach = {s: np.zeros((n, 3)) for s in chans}
    push = {s: np.zeros(n) for s in chans}
    apart = np.zeros(n)
    w = max(2, int(round(0.15 * fps)))
    smooth = lambda v: gaussian_filter1d(maximum_filter1d(np.maximum(v, 0.0) * 1.3, 2 * w + 1),  # noqa: E731
                                         w / 3)
    frames = np.arange(n)
    for _ in range(6):
        for side, c in chans.items():
            m = _MX if side == "right" else np.ones(3)
            p, cf = push[side][frames], c[frames]
            zero = np.zeros_like(p)
            tgt = (cf[:, 0:3] + np.stack([apart[frames], zero, zero], axis=1)) * m \
                + np.stack([zero, 0.3 * p, p], axis=1)
            collar = np.zeros_like(tgt)
            collar[:, 2] = cf[:, 6]
            if side == "right":
                collar = mirror_aa(collar)
            col, sh, el, wr, reach[side][frames] = solve_arm(
                side, tgt, pole_vector(cf[:, 5]) * m, collar, cf[:, 3], cf[:, 4])
            for name, v in (("collar", col), ("shoulder", sh), ("elbow", el), ("wrist", wr)):
                rot[frames, _I[f"{side}_{name}"]] = v
        depth = arm_depths(rot[frames])
        gap = np.zeros(n)
        gap[frames] = constraints.HAND_GAP + margin - depth.pop("hands")   # hands keep apart
        need = {}
        for s, d in depth.items():
            need[s] = np.full(n, -1.0)
            need[s][frames] = d + margin
        if not any((v > 0).any() for v in need.values()) and not (gap > 0).any():
            break
        touched = np.zeros(n, dtype=bool)
        for s, v in need.items():
            if (v > 0).any():
                corr = smooth(v)
                push[s] += corr
                touched |= corr > 0
        if (gap > 0).any():
            corr = smooth(0.8 * gap)
            apart += corr
            touched |= corr > 0
        frames = np.flatnonzero(touched)
    return reach


def head_rotations(head, n_frames: int, share_neck: float = 0.4):
    """Neck and head axis-angles [T, 3] each from HeadYaw/Pitch/Roll [T, 3] (radians).

    Yaw turns the face to the character's left (about +Y), pitch > 0 lifts the chin
    (about -X), roll > 0 tilts towards the right shoulder (about +Z). The one rotation is
    split between neck and head along the same axis, so together they equal it exactly.
    """
    if head is None:
        z = np.zeros((n_frames, 3))
        return z, z.copy()
    h = np.asarray(head, dtype=np.float64).reshape(n_frames, 3)
    aa = matrix_to_axis_angle(euler_to_matrix(np.stack([h[:, 0], -h[:, 1], h[:, 2]], 1), "YXZ"))
    return share_neck * aa, (1.0 - share_neck) * aa


def breathing(n_frames: int, fps: float, breaks: np.ndarray, active: np.ndarray, rng) -> np.ndarray:
    """Breath curve in [0, 1], float64 [n_frames]: an inhale ending each phrase break
    longer than 0.25 s, and a 12-18/min cycle where the speaker is not talking."""
    t = np.arange(n_frames) / fps
    b = np.zeros(n_frames)
    for a, e in np.asarray(breaks, dtype=np.float64).reshape(-1, 2):
        if e - a < 0.25:
            continue
        peak = e - 0.05
        width = min(0.6, 0.5 * (e - a) + 0.1)
        x = (t - peak) / width
        b += np.where(x < 0, np.exp(-0.5 * (x * 1.6) ** 2), np.exp(-0.5 * (x / 1.8) ** 2))
    rate = rng.uniform(12.0, 18.0) / 60.0
    phase = 2 * np.pi * np.cumsum(rate * (1.0 + smooth_noise(rng, n_frames, 1, fps=fps,
                                                           sigma_s=2.0, std=0.12)[:, 0])) / fps
    rest_cycle = 0.5 - 0.5 * np.cos(phase)
    b = np.maximum(b * (0.4 + 0.6 * active), (1.0 - active) * rest_cycle)
    return np.clip(b, 0.0, 1.0)


def spine_rotations(n_frames: int, fps: float, rng, *, breath: np.ndarray, lean: np.ndarray,
                    twist: np.ndarray, side_lean: np.ndarray) -> np.ndarray:
    """spine1, spine2, spine3 axis-angles [T, 3, 3] from breathing (extension), forward lean,
    twist (to the character's left > 0) and side lean (to its left > 0), radians; weight
    shifts every few seconds are added as minimum-jerk steps."""
    t = np.arange(n_frames) / fps
    starts = np.cumsum(rng.uniform(4.0, 11.0, int(n_frames / fps / 4.0) + 2)) - 3.0
    vals = rng.uniform(-1.0, 1.0, (starts.size, 3)) * [0.02, 0.025, 0.012]
    idx = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, starts.size - 1)
    p = np.clip((t - starts[idx]) / 1.6, 0.0, 1.0)
    p = p * p * p * (10 - 15 * p + 6 * p * p)
    shift = vals[np.maximum(idx - 1, 0)] + (vals[idx] - vals[np.maximum(idx - 1, 0)]) * p[:, None]
    fwd = lean + shift[:, 2] - 0.03 * breath
    yaw = twist + shift[:, 1]
    roll = side_lean + shift[:, 0]
    euler = np.stack([fwd, yaw, -roll], axis=1)            # about +X (forward), +Y, -Z
    share = np.array([0.3, 0.35, 0.35])
    aa = matrix_to_axis_angle(euler_to_matrix(euler, "XYZ"))
    return aa[:, None, :] * share[None, :, None]


def fingers(chans: dict, rng, fps: float) -> dict:
    """Finger rotations per side [T, 15, 3] from the hand-shape weight channels."""
    out = {}
    for side, c in chans.items():
        w = np.maximum(c[:, 7:], 0.0)
        w = w + np.abs(smooth_noise(rng, w.shape[0], w.shape[1], fps=fps, sigma_s=0.4,
                                    std=0.06))
        out[side] = finger_rotations(w, side)
    return out
