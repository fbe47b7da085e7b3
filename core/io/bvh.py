"""BVH of the body on talkrig's SMPL-X-proportioned skeleton (metres, Y-up, faces +Z).

Joints keep SMPL-X names and parents; offsets are :mod:`talkrig.rigs.skeletons.smplx`'s
rest pose (a T-pose whose every joint frame is aligned with the world, so a BVH channel
rotation equals the SMPL-X local rotation). The root has six channels (position, then
``Zrotation Xrotation Yrotation``), every other joint three; angles in degrees with
``R = Rz @ Rx @ Ry``. Leaf joints end in an ``End Site`` (finger tips, feet, jaw, eyes).
The ROOT OFFSET is zero and the root's position channels are absolute (rest pelvis
height plus ``BodyCurves.translation``), as in most mocap files.
Blender: File > Import > Motion Capture (.bvh) with Forward -Z, Up Y (its defaults).
"""
from __future__ import annotations

import re

import numpy as np

from ...rigs.skeletons import smplx
from ..curves import BodyCurves
from ..errors import CurveFormatError
from ..motion.rotations import axis_angle_to_matrix, axis_rotation, matrix_to_axis_angle, \
    matrix_to_euler

ORDER = "ZXY"
_CH = {"X": "Xrotation", "Y": "Yrotation", "Z": "Zrotation"}
_CHILDREN = {j: [c for c in range(smplx.N_JOINTS) if smplx.PARENTS[c] == j]
             for j in range(smplx.N_JOINTS)}


def _end_site(j: int) -> tuple:
    name = smplx.JOINT_NAMES[j]
    sx = 1.0 if name.startswith("left_") else -1.0
    for finger, length in smplx.FINGER_TIP.items():
        if name.endswith(finger + "3"):
            d = smplx.REST_POSITIONS[j] - smplx.REST_POSITIONS[smplx.PARENTS[j]]
            return tuple(d / np.linalg.norm(d) * length)
    if name.endswith("_foot"):
        return (0.0, 0.0, 0.06)
    if name == "jaw":
        return (0.0, -0.03, 0.06)
    if name.endswith("_eye_smplhf"):
        return (0.0, 0.0, 0.02)
    return (0.01 * sx, 0.0, 0.0)


def hierarchy_order() -> list:
    """Joint indices in the BVH's depth-first order (the order of the motion channels)."""
    out = []

    def walk(j):
        out.append(j)
        for c in _CHILDREN[j]:
            walk(c)
    walk(0)
    return out


def write_bvh(path, body: BodyCurves) -> None:
    """Write the body as BVH to ``path`` (see module docstring)."""
    if tuple(body.joint_names) != smplx.JOINT_NAMES:
        raise CurveFormatError("write_bvh needs body curves on the 55 SMPL-X joints")
    off = smplx.REST_OFFSETS
    lines = ["HIERARCHY"]
    chans = " ".join(_CH[c] for c in ORDER)

    def block(j, depth):
        pad = "  " * depth
        name = smplx.JOINT_NAMES[j]
        o = off[j] if j else np.zeros(3)
        lines.append(f"{pad}{'ROOT' if j == 0 else 'JOINT'} {name}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {o[0]:.6f} {o[1]:.6f} {o[2]:.6f}")
        lines.append(f"{pad}  CHANNELS {6 if j == 0 else 3} "
                     f"{'Xposition Yposition Zposition ' if j == 0 else ''}{chans}")
        if not _CHILDREN[j]:
            e = _end_site(j)
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {e[0]:.6f} "
                          f"{e[1]:.6f} {e[2]:.6f}", f"{pad}  }}"])
        for c in _CHILDREN[j]:
            block(c, depth + 1)
        lines.append(f"{pad}}}")
    block(0, 0)
    order = hierarchy_order()
    eul = np.degrees(matrix_to_euler(axis_angle_to_matrix(
        np.asarray(body.rotations, np.float64)[:, order]), ORDER))        # [T, J, 3]
    root = np.asarray(body.translation, np.float64) + smplx.REST_POSITIONS[0]
    motion = np.concatenate([root, eul.reshape(body.n_frames, -1)], axis=1)
    lines += ["MOTION", f"Frames: {body.n_frames}", f"Frame Time: {1.0 / body.fps:.8f}"]
    body_txt = "\n".join(" ".join(f"{v:.5f}" for v in row) for row in motion)
    with open(path, "w", encoding="ascii", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n" + body_txt + "\n")


_TOKEN = re.compile(r"\S+")


def read_bvh(path) -> BodyCurves:
    """Read a BVH written by :func:`write_bvh` (SMPL-X joint names, any channel order per
    joint) back into BodyCurves; root translation relative to the rest root position."""
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError as exc:
        raise CurveFormatError(f"{path}: cannot read ({exc})") from None
    head, sep, motion = text.partition("MOTION")
    if not sep:
        raise CurveFormatError(f"{path}: not a BVH file (no MOTION section)")
    toks = _TOKEN.findall(head)
    joints, channels = [], []
    i = 0
    while i < len(toks):
        if toks[i] in ("ROOT", "JOINT"):
            joints.append(toks[i + 1])
        elif toks[i] == "CHANNELS":
            k = int(toks[i + 1])
            channels.append(toks[i + 2:i + 2 + k])
            i += 1 + k
        i += 1
    unknown = sorted(set(joints) - set(smplx.JOINT_NAMES))
    if unknown or len(joints) != len(channels):
        raise CurveFormatError(f"{path}: not a talkrig SMPL-X BVH (unknown joints "
                               f"{', '.join(unknown[:5]) or 'none'})")
    m = re.search(r"Frames:\s*(\d+)\s*Frame Time:\s*([0-9.eE+-]+)", motion)
    if not m:
        raise CurveFormatError(f"{path}: BVH MOTION section without Frames/Frame Time")
    n, dt = int(m.group(1)), float(m.group(2))
    vals = np.array(motion[m.end():].split(), dtype=np.float64)
    width = sum(len(c) for c in channels)
    if vals.size != n * width:
        raise CurveFormatError(f"{path}: expected {n} frames x {width} values, got {vals.size}")
    vals = vals.reshape(n, width)
    rot = np.zeros((n, smplx.N_JOINTS, 3))
    trans = np.zeros((n, 3))
    col = 0
    for name, ch in zip(joints, channels):
        j = smplx.INDEX[name]
        r = np.broadcast_to(np.eye(3), (n, 3, 3))
        for c in ch:
            v = vals[:, col]
            col += 1
            if c.endswith("position"):
                trans[:, "XYZ".index(c[0])] = v
            else:
                r = r @ axis_rotation("XYZ".index(c[0]), np.radians(v))
        rot[:, j] = matrix_to_axis_angle(r)
    fps = 1.0 / dt
    fps = round(fps, 3) if abs(round(fps, 3) - fps) < 1e-3 else fps       # 0.03333333 -> 30
    return BodyCurves(smplx.JOINT_NAMES, fps, rot, trans - smplx.REST_POSITIONS[0])
