"""Unreal Engine 5 Mannequin (Manny/Quinn) skeleton: A-pose rest.

``root`` at the floor, ``pelvis``, ``spine_01`` .. ``spine_05``, ``neck_01``, ``neck_02``,
``head``, per side ``clavicle_l``, ``upperarm_l``, ``lowerarm_l``, ``hand_l``, twist and
corrective bones (``upperarm_twist_01_l`` ..; left to the rig), metacarpals, fingers
``index_01_l`` .. ``_03_l``, ``thumb_01_l`` .., legs ``thigh_l``, ``calf_l``, ``foot_l``,
``ball_l``, and the IK helpers (``ik_foot_root``, ``ik_hand_gun`` ..). The rest pose is an
A-pose: arms about 45 degrees below horizontal, elbows a little bent.

The SMPL-X spine's three joints land on ``spine_01``, ``spine_03`` and ``spine_05``; the
bones between them keep their rest rotation (the segment from each mapped bone to the next
follows the source).
"""
from __future__ import annotations

from .family import BoneSpec, Family, hand_bones, sided


def _bones() -> tuple:
    b = [BoneSpec("root", None, None, ("off", "pelvis", (0.0, -0.95, 0.0)),
                  ("off", "pelvis", (0.0, -0.95, -0.2))),
         BoneSpec("pelvis", "root", "pelvis", "pelvis", "spine1"),
         BoneSpec("spine_01", "pelvis", "spine1", ("lerp", "pelvis", "spine1", 0.6)),
         BoneSpec("spine_02", "spine_01", None, "spine1"),
         BoneSpec("spine_03", "spine_02", "spine2", "spine2"),
         BoneSpec("spine_04", "spine_03", None, ("lerp", "spine2", "spine3", 0.6)),
         BoneSpec("spine_05", "spine_04", "spine3", "spine3", "neck"),
         BoneSpec("neck_01", "spine_05", "neck", "neck"),
         BoneSpec("neck_02", "neck_01", None, ("lerp", "neck", "head", 0.5)),
         BoneSpec("head", "neck_02", "head", "head", ("off", "head", (0.0, 0.17, 0.0)))]
    for side in ("left", "right"):
        S = lambda t: sided(t, side, "l")                                 # noqa: E731
        b += [BoneSpec(S("clavicle_{S}"), "spine_05", f"{side}_collar", f"{side}_collar"),
              BoneSpec(S("upperarm_{S}"), S("clavicle_{S}"), f"{side}_shoulder", f"{side}_shoulder"),
              BoneSpec(S("lowerarm_{S}"), S("upperarm_{S}"), f"{side}_elbow", f"{side}_elbow"),
              BoneSpec(S("hand_{S}"), S("lowerarm_{S}"), f"{side}_wrist", f"{side}_wrist",
                       f"{side}_middle1"),
              BoneSpec(S("upperarm_twist_01_{S}"), S("upperarm_{S}"), None,
                       ("lerp", f"{side}_shoulder", f"{side}_elbow", 0.33), f"{side}_elbow"),
              BoneSpec(S("upperarm_twist_02_{S}"), S("upperarm_{S}"), None,
                       ("lerp", f"{side}_shoulder", f"{side}_elbow", 0.66), f"{side}_elbow"),
              BoneSpec(S("lowerarm_twist_01_{S}"), S("lowerarm_{S}"), None,
                       ("lerp", f"{side}_elbow", f"{side}_wrist", 0.5), f"{side}_wrist"),
              BoneSpec(S("lowerarm_twist_02_{S}"), S("lowerarm_{S}"), None,
                       ("lerp", f"{side}_elbow", f"{side}_wrist", 0.75), f"{side}_wrist")]
        b += hand_bones(side, "l", {f: f + "_0{k}_{S}" for f in ("index", "middle", "ring", "pinky")},
                        "thumb_0{k}_{S}", S("hand_{S}"), metacarpal="{f}_metacarpal_{S}")
    for side in ("left", "right"):
        S = lambda t: sided(t, side, "l")                                 # noqa: E731
        b += [BoneSpec(S("thigh_{S}"), "pelvis", f"{side}_hip", f"{side}_hip"),
              BoneSpec(S("calf_{S}"), S("thigh_{S}"), f"{side}_knee", f"{side}_knee"),
              BoneSpec(S("foot_{S}"), S("calf_{S}"), f"{side}_ankle", f"{side}_ankle"),
              BoneSpec(S("ball_{S}"), S("foot_{S}"), f"{side}_foot", f"{side}_foot",
                       ("off", f"{side}_foot", (0.0, 0.0, 0.08))),
              BoneSpec(S("thigh_twist_01_{S}"), S("thigh_{S}"), None,
                       ("lerp", f"{side}_hip", f"{side}_knee", 0.5), f"{side}_knee"),
              BoneSpec(S("calf_twist_01_{S}"), S("calf_{S}"), None,
                       ("lerp", f"{side}_knee", f"{side}_ankle", 0.5), f"{side}_ankle")]
    floor = ("off", "pelvis", (0.0, -0.95, 0.0))
    b += [BoneSpec("ik_foot_root", "root", None, floor, ("off", "pelvis", (0.0, -0.85, 0.0))),
          BoneSpec("ik_foot_l", "ik_foot_root", None, "left_ankle", "left_foot"),
          BoneSpec("ik_foot_r", "ik_foot_root", None, "right_ankle", "right_foot"),
          BoneSpec("ik_hand_root", "root", None, floor, ("off", "pelvis", (0.0, -0.85, 0.02))),
          BoneSpec("ik_hand_gun", "ik_hand_root", None, "right_wrist", "right_middle1"),
          BoneSpec("ik_hand_r", "ik_hand_gun", None, "right_wrist", "right_middle1"),
          BoneSpec("ik_hand_l", "ik_hand_gun", None, "left_wrist", "left_middle1")]
    return tuple(b)


FAMILY = Family(
    name="ue5", label="UE5 Mannequin", bones=_bones(),
    required=("spine1", "spine2", "spine3", "neck", "head", "left_shoulder", "left_elbow",
              "left_wrist", "right_shoulder", "right_elbow", "right_wrist"),
    prefixes=("SK_Mannequin|", "Armature|"),
    arm_down_deg=45.0, elbow_bend_deg=12.0, finger_curl_deg=10.0)
