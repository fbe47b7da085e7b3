"""VRM 1.0 humanoid: the spec's human bones (``humanoid.md``), a mapping onto any bone names.

Roles: hips, spine, chest, upperChest, neck, head, jaw, leftEye/rightEye, per side
shoulder, upperArm, lowerArm, hand, thumbMetacarpal/Proximal/Distal, index, middle, ring,
little with Proximal/Intermediate/Distal, upperLeg, lowerLeg, foot, toes. Required: hips,
spine, head, upper/lower arm, hand, upper/lower leg, foot. VRM 1.0 models rest in a T-pose
(``tpose.md``: arms along the X axis, palms down, facing +Z in glTF).

With the VRM add-on for Blender, the armature carries the mapping itself
(``armature.data.vrm_addon_extension.vrm1.humanoid.human_bones.<role>.node.bone_name``);
:func:`roles_from_addon_data` reads it from any such object.
"""
from __future__ import annotations

from .family import BoneSpec, Family, sided

_FINGERS = {"index": "Index", "middle": "Middle", "ring": "Ring", "pinky": "Little"}
_PHALANX = ("Proximal", "Intermediate", "Distal")
_THUMB = ("Metacarpal", "Proximal", "Distal")


def _bones() -> tuple:
    b = [BoneSpec("hips", None, "pelvis", "pelvis", "spine1"),
         BoneSpec("spine", "hips", "spine1", "spine1"),
         BoneSpec("chest", "spine", "spine2", "spine2"),
         BoneSpec("upperChest", "chest", "spine3", "spine3", "neck"),
         BoneSpec("neck", "upperChest", "neck", "neck"),
         BoneSpec("head", "neck", "head", "head", ("off", "head", (0.0, 0.18, 0.0))),
         BoneSpec("jaw", "head", "jaw", "jaw", ("off", "jaw", (0.0, -0.04, 0.07))),
         BoneSpec("leftEye", "head", "left_eye_smplhf", "left_eye_smplhf",
                  ("off", "left_eye_smplhf", (0.0, 0.0, 0.03))),
         BoneSpec("rightEye", "head", "right_eye_smplhf", "right_eye_smplhf",
                  ("off", "right_eye_smplhf", (0.0, 0.0, 0.03)))]
    for side in ("left", "right"):
        S = lambda t: sided(t, side, "left")                              # noqa: E731
        b += [BoneSpec(S("{S}Shoulder"), "upperChest", f"{side}_collar", f"{side}_collar"),
              BoneSpec(S("{S}UpperArm"), S("{S}Shoulder"), f"{side}_shoulder", f"{side}_shoulder"),
              BoneSpec(S("{S}LowerArm"), S("{S}UpperArm"), f"{side}_elbow", f"{side}_elbow"),
              BoneSpec(S("{S}Hand"), S("{S}LowerArm"), f"{side}_wrist", f"{side}_wrist",
                       f"{side}_middle1")]
        up = S("{S}Hand")
        for k, part in enumerate(_THUMB, 1):
            name = S(f"{{S}}Thumb{part}")
            tail = f"{side}_thumb{k + 1}" if k < 3 else ("lerp", f"{side}_thumb2", f"{side}_thumb3", 1.8)
            b.append(BoneSpec(name, up, f"{side}_thumb{k}", f"{side}_thumb{k}", tail))
            up = name
        for finger, word in _FINGERS.items():
            up = S("{S}Hand")
            for k, phalanx in enumerate(_PHALANX, 1):
                name = S(f"{{S}}{word}{phalanx}")
                tail = (f"{side}_{finger}{k + 1}" if k < 3
                        else ("lerp", f"{side}_{finger}2", f"{side}_{finger}3", 1.8))
                b.append(BoneSpec(name, up, f"{side}_{finger}{k}", f"{side}_{finger}{k}", tail))
                up = name
    for side in ("left", "right"):
        S = lambda t: sided(t, side, "left")                              # noqa: E731
        b += [BoneSpec(S("{S}UpperLeg"), "hips", f"{side}_hip", f"{side}_hip"),
              BoneSpec(S("{S}LowerLeg"), S("{S}UpperLeg"), f"{side}_knee", f"{side}_knee"),
              BoneSpec(S("{S}Foot"), S("{S}LowerLeg"), f"{side}_ankle", f"{side}_ankle"),
              BoneSpec(S("{S}Toes"), S("{S}Foot"), f"{side}_foot", f"{side}_foot",
                       ("off", f"{side}_foot", (0.0, 0.0, 0.07)))]
    return tuple(b)


FAMILY = Family(
    name="vrm", label="VRM 1.0 humanoid", bones=_bones(),
    required=("pelvis", "spine1", "head", "left_shoulder", "left_elbow", "left_wrist",
              "right_shoulder", "right_elbow", "right_wrist"))

#: VRM role -> SMPL-X joint.
ROLE_JOINTS = {b.name: b.joint for b in FAMILY.bones}


def roles_from_addon_data(armature_data) -> dict:
    """SMPL-X joint -> bone name from the VRM add-on's humanoid data on ``armature_data``.

    ``armature_data`` is a Blender armature (``obj.data``) or anything with the same
    attributes; returns {} when it carries no VRM 1.0 humanoid mapping.
    """
    ext = getattr(armature_data, "vrm_addon_extension", None)
    humanoid = getattr(getattr(ext, "vrm1", None), "humanoid", None)
    bones = getattr(humanoid, "human_bones", None)
    if bones is None:
        return {}
    out = {}
    for role, joint in ROLE_JOINTS.items():
        entry = getattr(bones, role, None)
        name = getattr(getattr(entry, "node", None), "bone_name", "") if entry is not None else ""
        if name:
            out[joint] = str(name)
    return out
