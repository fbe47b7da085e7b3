"""Retargeting SMPL-X body takes onto other skeletons (numpy only; no Blender).

- :mod:`.skeleton`: a target armature as arrays (rest frames, heads, tails), pose FK.
- :mod:`.mapping`: picking the family / checking a mapping, mapping presets.
- :mod:`.solve`: the rest-offset, direction-matching retarget (``plan_retarget``, ``retarget``).
- :mod:`.measure`: world-space direction errors of a take against its source.
- :mod:`.model`: joints of a user's SMPL-X model file (``J_regressor @ v_template``).
"""
from .mapping import check_mapping, load_preset, resolve_mapping, save_preset
from .skeleton import TargetSkeleton, bone_frame, make_skeleton, pose_fk
from .solve import RetargetPlan, TargetTake, plan_retarget, retarget

__all__ = ["TargetSkeleton", "RetargetPlan", "TargetTake", "bone_frame", "check_mapping",
           "load_preset", "make_skeleton", "plan_retarget", "pose_fk", "resolve_mapping",
           "retarget", "save_preset"]
