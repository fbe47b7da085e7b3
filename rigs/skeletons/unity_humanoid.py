"""Unity Humanoid: ``HumanBodyBones`` roles, a mapping onto any bone names (as Unity's Avatar).

Roles: Hips, Spine, Chest, UpperChest, Neck, Head, Jaw, LeftEye/RightEye, per side
Shoulder, UpperArm, LowerArm, Hand, fingers Thumb/Index/Middle/Ring/Little with Proximal,
Intermediate, Distal, legs UpperLeg, LowerLeg, Foot, Toes. Unity requires Hips, Spine, Head,
the arms from UpperArm and the legs; Chest, UpperChest, Neck, Shoulders, fingers are
optional. A rig whose bones carry the role names matches by name; any other rig gets a
mapping role -> bone (edited in the panel, saved as a preset). Rest: T-pose.
"""
from __future__ import annotations

from .family import BoneSpec, Family, sided

_FINGERS = {"thumb": "Thumb", "index": "Index", "middle": "Middle", "ring": "Ring", "pinky": "Little"}
_PHALANX = ("Proximal", "Intermediate", "Distal")


def _bones() -> tuple:
    b = [BoneSpec("Hips", None, "pelvis", "pelvis", "spine1"),
         BoneSpec("Spine", "Hips", "spine1", "spine1"),
         BoneSpec("Chest", "Spine", "spine2", "spine2"),
         BoneSpec("UpperChest", "Chest", "spine3", "spine3", "neck"),
         BoneSpec("Neck", "UpperChest", "neck", "neck"),
         BoneSpec("Head", "Neck", "head", "head", ("off", "head", (0.0, 0.18, 0.0))),
         BoneSpec("Jaw", "Head", "jaw", "jaw", ("off", "jaw", (0.0, -0.04, 0.07))),
         BoneSpec("LeftEye", "Head", "left_eye_smplhf", "left_eye_smplhf",
                  ("off", "left_eye_smplhf", (0.0, 0.0, 0.03))),
         BoneSpec("RightEye", "Head", "right_eye_smplhf", "right_eye_smplhf",
                  ("off", "right_eye_smplhf", (0.0, 0.0, 0.03)))]
    for side in ("left", "right"):
        S = lambda t: sided(t, side, "Left")                              # noqa: E731
        b += [BoneSpec(S("{S}Shoulder"), "UpperChest", f"{side}_collar", f"{side}_collar"),
              BoneSpec(S("{S}UpperArm"), S("{S}Shoulder"), f"{side}_shoulder", f"{side}_shoulder"),
              BoneSpec(S("{S}LowerArm"), S("{S}UpperArm"), f"{side}_elbow", f"{side}_elbow"),
              BoneSpec(S("{S}Hand"), S("{S}LowerArm"), f"{side}_wrist", f"{side}_wrist",
                       f"{side}_middle1")]
        for finger, word in _FINGERS.items():
            up = S("{S}Hand")
            for k, phalanx in enumerate(_PHALANX, 1):
                name = S(f"{{S}}{word}{phalanx}")
                tail = (f"{side}_{finger}{k + 1}" if k < 3
                        else ("lerp", f"{side}_{finger}2", f"{side}_{finger}3", 1.8))
                b.append(BoneSpec(name, up, f"{side}_{finger}{k}", f"{side}_{finger}{k}", tail))
                up = name
    for side in ("left", "right"):
        S = lambda t: sided(t, side, "Left")                              # noqa: E731
        b += [BoneSpec(S("{S}UpperLeg"), "Hips", f"{side}_hip", f"{side}_hip"),
              BoneSpec(S("{S}LowerLeg"), S("{S}UpperLeg"), f"{side}_knee", f"{side}_knee"),
              BoneSpec(S("{S}Foot"), S("{S}LowerLeg"), f"{side}_ankle", f"{side}_ankle"),
              BoneSpec(S("{S}Toes"), S("{S}Foot"), f"{side}_foot", f"{side}_foot",
                       ("off", f"{side}_foot", (0.0, 0.0, 0.07)))]
    return tuple(b)


FAMILY = Family(
    name="unity_humanoid", label="Unity Humanoid", bones=_bones(),
    required=("pelvis", "spine1", "head", "left_shoulder", "left_elbow", "left_wrist",
              "right_shoulder", "right_elbow", "right_wrist"))
