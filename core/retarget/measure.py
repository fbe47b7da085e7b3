"""How closely a retargeted take follows its source: world-space bone direction errors.

For each keyed bone, the direction of its segment (head -> head of the segment's end bone,
or head -> tail for a leaf) in the target's posed armature space is compared with the same
stretch of the source (SMPL-X joints in the plan's armature-space basis). The target side is
computed here by plain forward kinematics of the local rotations (``skeleton.pose_fk``) or
read from Blender's evaluated pose, never from the solver's intermediate frames.
"""
from __future__ import annotations

import numpy as np

from ..motion.rotations import quaternion_to_matrix
from .skeleton import pose_fk
from .solve import RetargetPlan, _leaf_dir, source_pose


def source_directions(plan: RetargetPlan, rotations, translation=None) -> np.ndarray:
    """Unit segment directions of the source [shape=(T, K, 3)], armature space."""
    world, joints = source_pose(plan, rotations, translation)
    out = np.empty((len(world), len(plan.bones), 3))
    from ...rigs.skeletons import smplx
    for i, (j, e) in enumerate(zip(plan.joints, plan.ends)):
        if e >= 0:
            d = joints[:, e] - joints[:, j]
        else:
            leaf = plan.basis @ _leaf_dir(smplx.JOINT_NAMES[j], plan.source_joints)
            d = world[:, j] @ leaf
        out[:, i] = d / np.linalg.norm(d, axis=-1, keepdims=True)
    return out


def target_directions(plan: RetargetPlan, frames, heads) -> np.ndarray:
    """Unit segment directions of the target [shape=(T, K, 3)] from posed bone frames
    [shape=(T, N, 3, 3)] and heads [shape=(T, N, 3)] (armature space)."""
    out = np.empty((len(frames), len(plan.bones), 3))
    tgt = plan.target
    for i, (k, c) in enumerate(zip(plan.bones, plan.target_ends)):
        if c >= 0:
            d = heads[:, c] - heads[:, k]
        else:
            tail_local = tgt.rest[k].T @ (tgt.tails[k] - tgt.heads[k])
            d = frames[:, k] @ tail_local
        out[:, i] = d / np.linalg.norm(d, axis=-1, keepdims=True)
    return out


def take_fk(plan: RetargetPlan, take):
    """Posed frames and heads of every target bone for a :class:`TargetTake`."""
    tgt = plan.target
    n_t = len(take.quaternions)
    local = np.broadcast_to(np.eye(3), (n_t, len(tgt.names), 3, 3)).copy()
    local[:, plan.bones] = quaternion_to_matrix(np.asarray(take.quaternions, dtype=np.float64))
    root = plan.root if take.location is not None else None
    return pose_fk(tgt, local, take.location, root)


def angle_errors(a, b) -> np.ndarray:
    """Angles in degrees between unit vectors ``a`` and ``b`` [..., 3]."""
    cos = np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def direction_report(errors_deg, bone_names) -> dict:
    """Median and 95th percentile error per bone and overall, degrees."""
    err = np.asarray(errors_deg)
    per = {b: (float(np.median(err[:, i])), float(np.percentile(err[:, i], 95)))
           for i, b in enumerate(bone_names)}
    return {"median": float(np.median(err)), "p95": float(np.percentile(err, 95)),
            "worst_bone_median": max((v[0] for v in per.values()), default=0.0),
            "worst_bone_p95": max((v[1] for v in per.values()), default=0.0), "per_bone": per}
