"""Mixamo rigs (``mixamorig:`` names): 65 bones with fingers, T-pose rest.

Hips, Spine, Spine1, Spine2, Neck, Head (+ HeadTop_End), per side Shoulder, Arm, ForeArm,
Hand, five fingers of three bones plus an end bone (``LeftHandIndex1`` .. ``LeftHandIndex4``),
UpLeg, Leg, Foot, ToeBase (+ Toe_End). Downloads name them ``mixamorig:Hips``; re-exports
sometimes ``mixamorig1:`` .. or no prefix. Fingers rest slightly curled.
"""
from __future__ import annotations

from .family import BoneSpec, Family, sided

PREFIX = "mixamorig:"
_FINGERS = {"index": "Index", "middle": "Middle", "ring": "Ring", "pinky": "Pinky", "thumb": "Thumb"}


def _bones() -> tuple:
    b = [BoneSpec("Hips", None, "pelvis", "pelvis", "spine1"),
         BoneSpec("Spine", "Hips", "spine1", "spine1"),
         BoneSpec("Spine1", "Spine", "spine2", "spine2"),
         BoneSpec("Spine2", "Spine1", "spine3", "spine3", "neck"),
         BoneSpec("Neck", "Spine2", "neck", "neck"),
         BoneSpec("Head", "Neck", "head", "head", ("off", "head", (0.0, 0.17, 0.0))),
         BoneSpec("HeadTop_End", "Head", None, ("off", "head", (0.0, 0.17, 0.0)),
                  ("off", "head", (0.0, 0.27, 0.0)))]
    for side in ("left", "right"):
        S = lambda t: sided(t, side, "Left")                              # noqa: E731
        b += [BoneSpec(S("{S}Shoulder"), "Spine2", f"{side}_collar", f"{side}_collar"),
              BoneSpec(S("{S}Arm"), S("{S}Shoulder"), f"{side}_shoulder", f"{side}_shoulder"),
              BoneSpec(S("{S}ForeArm"), S("{S}Arm"), f"{side}_elbow", f"{side}_elbow"),
              BoneSpec(S("{S}Hand"), S("{S}ForeArm"), f"{side}_wrist", f"{side}_wrist",
                       f"{side}_middle1")]
        for finger, word in _FINGERS.items():
            up = S("{S}Hand")
            for k in (1, 2, 3):
                name = S(f"{{S}}Hand{word}{k}")
                tail = (f"{side}_{finger}{k + 1}" if k < 3
                        else ("lerp", f"{side}_{finger}2", f"{side}_{finger}3", 1.8))
                b.append(BoneSpec(name, up, f"{side}_{finger}{k}", f"{side}_{finger}{k}", tail))
                up = name
            b.append(BoneSpec(S(f"{{S}}Hand{word}4"), up, None,
                              ("lerp", f"{side}_{finger}2", f"{side}_{finger}3", 1.8),
                              ("lerp", f"{side}_{finger}2", f"{side}_{finger}3", 2.4)))
    for side in ("left", "right"):
        S = lambda t: sided(t, side, "Left")                              # noqa: E731
        b += [BoneSpec(S("{S}UpLeg"), "Hips", f"{side}_hip", f"{side}_hip"),
              BoneSpec(S("{S}Leg"), S("{S}UpLeg"), f"{side}_knee", f"{side}_knee"),
              BoneSpec(S("{S}Foot"), S("{S}Leg"), f"{side}_ankle", f"{side}_ankle"),
              BoneSpec(S("{S}ToeBase"), S("{S}Foot"), f"{side}_foot", f"{side}_foot",
                       ("off", f"{side}_foot", (0.0, 0.0, 0.08))),
              BoneSpec(S("{S}Toe_End"), S("{S}ToeBase"), None, ("off", f"{side}_foot", (0.0, 0.0, 0.08)),
                       ("off", f"{side}_foot", (0.0, 0.0, 0.12)))]
    return tuple(BoneSpec(PREFIX + x.name, PREFIX + x.parent if x.parent else None, x.joint,
                          x.head, x.tail) for x in b)


FAMILY = Family(
    name="mixamo", label="Mixamo", bones=_bones(),
    required=("spine1", "spine2", "neck", "head", "left_shoulder", "left_elbow", "left_wrist",
              "right_shoulder", "right_elbow", "right_wrist"),
    prefixes=("mixamorig:", "mixamorig1:", "mixamorig2:", "mixamorig3:", "mixamorig_"),
    finger_curl_deg=8.0)
