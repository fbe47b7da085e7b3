"""Head and eye rotation channels on pose bones: bone matching, axis convention, read-back.

Channels (radians, ``rigs.arkit.HEAD_EYE_NAMES``, signs as in ``core/motion/head.py`` and
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

import numpy as np

from ..core.motion.head_axes import channel_matrices, matrices_to_channels  # noqa: F401
from ..core.motion.rotations import matrix_to_quaternion, quaternion_to_matrix
from ..rigs.bones import BONE_GROUPS, match_bones, normalise_bone_name  # noqa: F401


def matrices_to_quaternions(R) -> np.ndarray:
    """Rotation matrices [n, 3, 3] -> unit quaternions [n, 4] (w, x, y, z), sign-continuous
    from frame to frame (so Blender interpolates the short way)."""
    q = matrix_to_quaternion(R)
    flips = np.cumsum(np.r_[0, np.einsum("ij,ij->i", q[1:], q[:-1]) < 0.0]) % 2
    return np.where(flips[:, None] == 1, -q, q)


def quaternions_to_matrices(q) -> np.ndarray:
    return quaternion_to_matrix(q)

def find_armature(obj):
    """The armature deforming or parenting ``obj`` (a mesh), or None."""
    for mod in getattr(obj, "modifiers", ()):
        if mod.type == "ARMATURE" and mod.object is not None and mod.object.type == "ARMATURE":
            return mod.object
    parent = getattr(obj, "parent", None)
    return parent if parent is not None and parent.type == "ARMATURE" else None


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
