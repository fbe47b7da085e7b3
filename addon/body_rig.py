"""Armatures for the body: reading a rig's skeleton, recognising it, building SMPL-X rigs.

- :func:`armature_skeleton`: a Blender armature's rest as a ``core.retarget.TargetSkeleton``
  (``bone.matrix_local``, heads, tails; armature space).
- :func:`armature_match`: which family the rig is and its bone mapping (the VRM add-on's
  humanoid data when the armature carries it, else the best family by bone names; an
  explicit mapping wins); ``RetargetError`` for no armature / no family / unmapped arms.
- :func:`build_armature` (from :mod:`.armature`): an armature from a
  ``{name: (head, tail, parent)}`` table.
- :func:`build_smplx_armature`: an SMPL-X-named armature (55 bones, joints as heads) from
  talkrig's own T-pose proportions, or from the user's SMPL-X model file
  (``J_regressor @ v_template``, numpy only; ``core.retarget.model``).
"""
from __future__ import annotations

import numpy as np

from ..core.errors import RetargetError
from ..core.retarget import TargetSkeleton, make_skeleton, resolve_mapping
from ..core.retarget.solve import CHAIN, _leaf_dir
from ..rigs.skeletons import smplx
from ..rigs.skeletons.family import to_blender
from .armature import build_armature

LEAF_LENGTH = {"head": 0.2, "jaw": 0.06, "left_eye_smplhf": 0.03, "right_eye_smplhf": 0.03,
               "left_foot": 0.08, "right_foot": 0.08}


def find_rig(obj):
    """The armature of ``obj``: itself, its armature parent, or its Armature modifier's."""
    if obj is None:
        return None
    if obj.type == "ARMATURE":
        return obj
    if obj.parent is not None and obj.parent.type == "ARMATURE":
        return obj.parent
    for mod in getattr(obj, "modifiers", ()):
        if mod.type == "ARMATURE" and mod.object is not None:
            return mod.object
    return None


def require_rig(obj):
    rig = find_rig(obj)
    if rig is None:
        what = "nothing is selected" if obj is None else f"'{obj.name}' is a {obj.type.lower()}"
        raise RetargetError(f"the body needs an armature, but {what} with no armature: pick the "
                            "character's armature as the body target, or build the SMPL-X rig")
    return rig


def armature_skeleton(rig) -> TargetSkeleton:
    """The rest skeleton of armature object ``rig`` (armature space, metres of the armature)."""
    bones = rig.data.bones
    n = len(bones)
    if n == 0:
        raise RetargetError(f"armature '{rig.name}' has no bones: give it a skeleton")
    mats = np.empty(n * 16, dtype=np.float32)
    bones.foreach_get("matrix_local", mats)
    mats = mats.reshape(n, 4, 4).transpose(0, 2, 1).astype(np.float64)    # column-major
    heads = np.empty(n * 3, dtype=np.float32)
    tails = np.empty(n * 3, dtype=np.float32)
    bones.foreach_get("head_local", heads)
    bones.foreach_get("tail_local", tails)
    rest = mats[:, :3, :3]
    rest = rest / np.linalg.norm(rest, axis=1, keepdims=True)
    return make_skeleton([b.name for b in bones], [b.parent.name if b.parent else None for b in bones],
                         rest, heads.reshape(n, 3), tails.reshape(n, 3))


def armature_match(rig, *, mapping=None, family=None):
    """The rig's :class:`~talkrig.rigs.skeletons.match.SkeletonMatch` (see module docstring)."""
    rig = require_rig(rig)
    names = rig.data.bones.keys()
    if not mapping:
        from ..rigs.skeletons.vrm import roles_from_addon_data

        roles = roles_from_addon_data(rig.data)
        if roles:
            mapping, family = roles, family or "vrm"
    return resolve_mapping(names, mapping=mapping, family=family, armature=f"armature '{rig.name}'")


def constrained_bones(rig, bone_names) -> list:
    """Mapped bones whose enabled constraints override keys (e.g. a live Rigify rig's DEF-)."""
    out = []
    for name in bone_names:
        pb = rig.pose.bones.get(name)
        if pb is not None and any(c.enabled and c.influence > 0 and c.type in
                                  ("COPY_TRANSFORMS", "COPY_ROTATION", "CHILD_OF", "DAMPED_TRACK",
                                   "IK", "TRACK_TO", "STRETCH_TO") for c in pb.constraints):
            out.append(name)
    return out


def smplx_bones(joints=None) -> dict:
    """{joint: (head, tail, parent)} for an SMPL-X armature (Blender frame, Z-up, metres).

    ``joints`` [shape=(55, 3)] are SMPL-X rest joints (Y-up); talkrig's T-pose by default.
    """
    pos = np.asarray(smplx.REST_POSITIONS if joints is None else joints, dtype=np.float64)
    out = {}
    for i, name in enumerate(smplx.JOINT_NAMES):
        head = pos[i]
        if name in CHAIN:
            tail = pos[smplx.INDEX[CHAIN[name]]]
        else:
            d = _leaf_dir(name, pos)
            length = LEAF_LENGTH.get(name)
            if length is None:                       # finger tips, continue the last phalanx
                finger = name.split("_", 1)[1].rstrip("123")
                length = smplx.FINGER_TIP.get(finger, 0.02)
            tail = head + d * length
        if np.linalg.norm(tail - head) < 1e-4:
            tail = head + np.array([0.0, 0.05, 0.0])
        parent = int(smplx.PARENTS[i])
        out[name] = (to_blender(head), to_blender(tail),
                     smplx.JOINT_NAMES[parent] if parent >= 0 else None)
    return out


def build_smplx_armature(name: str = "SMPLX_Body", *, model_path=None, collection=None):
    """An SMPL-X-named armature from talkrig's proportions or an SMPL-X model file.

    ``model_path``: the user's ``SMPLX_*.npz`` (``RetargetError`` when its layout is not
    SMPL-X's). The object records ``talkrig_smplx_source`` ("talkrig" or the file path).
    """
    joints = None
    if model_path:
        from ..core.retarget.model import model_joints

        joints = model_joints(model_path)
    rig = build_armature(name, smplx_bones(joints), collection=collection)
    rig["talkrig_smplx_source"] = str(model_path) if model_path else "talkrig"
    return rig


def skeleton_joints(rig):
    """SMPL-X rest joints [shape=(55, 3)] (Y-up) of an SMPL-X armature built here, else None."""
    if rig.get("talkrig_smplx_source") is None:
        return None
    bones = rig.data.bones
    if not all(n in bones for n in smplx.JOINT_NAMES):
        return None
    heads = np.array([bones[n].head_local for n in smplx.JOINT_NAMES], dtype=np.float64)
    return np.stack([heads[:, 0], heads[:, 2], -heads[:, 1]], axis=1)
