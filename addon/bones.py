"""Head and eye rotation channels on pose bones: bone matching, axis convention, read-back.

Channels (radians, ``rigs.arkit.HEAD_EYE_NAMES``, signs as in ``core/face/head.py`` and
``core/face/eyes.py``): ``yaw > 0`` turns the face (eye) to the character's own left,
``pitch > 0`` looks up, ``roll > 0`` tilts the top of the head towards the character's
right shoulder.

Axis convention: the character faces -Y with +Z up and its left at +X in world space
(Blender's front view; the demo head and FBX characters imported with default axes do).
A channel triple becomes the world-space rotation

    R = Rz(yaw) @ Rx(-pitch) @ Ry(-roll)

(yaw about the vertical, then pitch about the left-right axis, then roll about the
forward axis), which is turned into the bone's own rest frame,
``R_local = B^T R B`` with ``B`` the bone's rest orientation in world space
(armature object rotation times ``bone.matrix_local``). Any bone roll or rig orientation
therefore gives the same visible motion. Eye bones are children of the head in sane rigs,
so eye rotations are relative to the head, as the channels are. Keys go to
``rotation_quaternion`` (``rotation_euler`` with the bone's own order, or
``rotation_axis_angle``, when that is the bone's rotation mode).
"""
from __future__ import annotations

import re

import numpy as np

from ..rigs.arkit import HEAD_EYE_NAMES

# channel group -> (channel names, normalised bone names in order of preference)
BONE_GROUPS = {
    "head": (HEAD_EYE_NAMES[0:3], ("head", "defhead", "ccbasehead", "jbipchead", "bip01head",
                                   "headjnt", "headjoint")),
    "eye_left": (HEAD_EYE_NAMES[3:6], ("eyel", "lefteye", "eyeleft", "leye", "defeyel",
                                       "ccbaseleye", "jadjlfaceeye", "facialleye", "lefteyeball",
                                       "eyeballl", "eyeballleft")),
    "eye_right": (HEAD_EYE_NAMES[6:9], ("eyer", "righteye", "eyeright", "reye", "defeyer",
                                        "ccbasereye", "jadjrfaceeye", "facialreye", "righteyeball",
                                        "eyeballr", "eyeballright")),
}


def normalise_bone_name(name: str) -> str:
    """``mixamorig:LeftEye`` -> ``lefteye``; ``eye.L``/``eye_l``/``Eye-L`` -> ``eyel``."""
    name = name.rsplit(":", 1)[-1].rsplit("|", 1)[-1]
    return re.sub(r"[\s._\-]+", "", name).lower()


def match_bones(bone_names) -> dict:
    """Bones of a rig for the head and the eyes.

    Parameters
    ----------
    bone_names : iterable of str
        e.g. ``head``, ``Head``, ``mixamorig:Head``, ``eye.L``, ``LeftEye``, ``eye_l``.

    Returns
    -------
    dict ``{"head" | "eye_left" | "eye_right": bone name}`` for the groups found (exact
    match of the normalised name; the first preference wins, ties by name).
    """
    names = sorted(bone_names)
    found = {}
    for group, (_, wanted) in BONE_GROUPS.items():
        for w in wanted:
            hits = [n for n in names if normalise_bone_name(n) == w]
            if hits:
                found[group] = hits[0]
                break
    return found


def find_armature(obj):
    """The armature deforming or parenting ``obj`` (a mesh), or None."""
    for mod in getattr(obj, "modifiers", ()):
        if mod.type == "ARMATURE" and mod.object is not None and mod.object.type == "ARMATURE":
            return mod.object
    parent = getattr(obj, "parent", None)
    return parent if parent is not None and parent.type == "ARMATURE" else None


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


def matrices_to_quaternions(R) -> np.ndarray:
    """Rotation matrices [n, 3, 3] -> unit quaternions [n, 4] (w, x, y, z), sign-continuous."""
    R = np.asarray(R, dtype=np.float64)
    w = np.sqrt(np.clip(1.0 + R[:, 0, 0] + R[:, 1, 1] + R[:, 2, 2], 0.0, None)) / 2.0
    x = np.sqrt(np.clip(1.0 + R[:, 0, 0] - R[:, 1, 1] - R[:, 2, 2], 0.0, None)) / 2.0
    y = np.sqrt(np.clip(1.0 - R[:, 0, 0] + R[:, 1, 1] - R[:, 2, 2], 0.0, None)) / 2.0
    z = np.sqrt(np.clip(1.0 - R[:, 0, 0] - R[:, 1, 1] + R[:, 2, 2], 0.0, None)) / 2.0
    x = np.copysign(x, R[:, 2, 1] - R[:, 1, 2])
    y = np.copysign(y, R[:, 0, 2] - R[:, 2, 0])
    z = np.copysign(z, R[:, 1, 0] - R[:, 0, 1])
    q = np.stack([w, x, y, z], 1)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    for i in range(1, len(q)):                      # no sign flips between frames
        if np.dot(q[i], q[i - 1]) < 0.0:
            q[i] = -q[i]
    return q


def quaternions_to_matrices(q) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    return np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
                     2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                     2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
                    1).reshape(-1, 3, 3)


def rest_orientation(armature, bone_name: str) -> np.ndarray:
    """World-space rest orientation ``B`` [3, 3] (orthonormal) of a bone."""
    world = np.array(armature.matrix_world.to_3x3().normalized(), dtype=np.float64)
    local = np.array(armature.data.bones[bone_name].matrix_local.to_3x3().normalized(),
                     dtype=np.float64)
    return world @ local


def bone_rotation_keys(armature, bone_name: str, yaw, pitch, roll) -> tuple:
    """(data path, [values per index]) of the pose-bone rotation for these channels."""
    B = rest_orientation(armature, bone_name)
    local = B.T[None] @ channel_matrices(yaw, pitch, roll) @ B[None]
    pb = armature.pose.bones[bone_name]
    esc = bone_name.replace("\\", "\\\\").replace('"', '\\"')
    base = f'pose.bones["{esc}"].'
    mode = pb.rotation_mode
    if mode == "QUATERNION":
        q = matrices_to_quaternions(local)
        return base + "rotation_quaternion", [q[:, i] for i in range(4)]
    if mode == "AXIS_ANGLE":
        q = matrices_to_quaternions(local)
        half = np.arccos(np.clip(q[:, 0], -1.0, 1.0))
        s = np.sin(half)
        axis = np.where(s[:, None] > 1e-9, q[:, 1:] / np.where(s > 1e-9, s, 1.0)[:, None],
                        np.array([0.0, 1.0, 0.0]))
        return base + "rotation_axis_angle", [2 * half, axis[:, 0], axis[:, 1], axis[:, 2]]
    from mathutils import Matrix

    eulers, prev = [], None
    for m in local:
        e = Matrix(m.tolist()).to_euler(mode) if prev is None else Matrix(m.tolist()).to_euler(mode, prev)
        eulers.append(tuple(e))
        prev = e
    e = np.asarray(eulers, dtype=np.float64)
    return base + "rotation_euler", [e[:, i] for i in range(3)]


def bone_channels_from_fcurves(armature, bone_name: str, fcurves, frames) -> tuple:
    """Read (yaw, pitch, roll) back at ``frames`` from a bone's rotation F-curves."""
    pb = armature.pose.bones[bone_name]
    esc = bone_name.replace("\\", "\\\\").replace('"', '\\"')
    mode = pb.rotation_mode
    prop = {"QUATERNION": "rotation_quaternion",
            "AXIS_ANGLE": "rotation_axis_angle"}.get(mode, "rotation_euler")
    path = f'pose.bones["{esc}"].{prop}'
    size = 3 if prop == "rotation_euler" else 4
    default = {"rotation_quaternion": (1, 0, 0, 0), "rotation_axis_angle": (0, 0, 1, 0)}.get(prop, (0, 0, 0))
    by_index = {fc.array_index: fc for fc in fcurves if fc.data_path == path}
    if not by_index:
        return None
    vals = np.stack([np.array([by_index[i].evaluate(f) for f in frames]) if i in by_index
                     else np.full(len(frames), float(default[i])) for i in range(size)], 1)
    if prop == "rotation_quaternion":
        local = quaternions_to_matrices(vals)
    elif prop == "rotation_axis_angle":
        half = vals[:, 0] / 2
        axis = vals[:, 1:] / np.maximum(np.linalg.norm(vals[:, 1:], axis=1, keepdims=True), 1e-12)
        local = quaternions_to_matrices(np.column_stack([np.cos(half), axis * np.sin(half)[:, None]]))
    else:
        from mathutils import Euler
        local = np.array([np.array(Euler(v.tolist(), mode).to_matrix()) for v in vals])
    B = rest_orientation(armature, bone_name)
    return matrices_to_channels(B[None] @ local @ B.T[None])
