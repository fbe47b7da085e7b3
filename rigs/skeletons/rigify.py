"""Rigify: the deform bones (``DEF-``) of a generated rig, and the human metarig.

A generated rig's deform bones: ``DEF-spine`` (hips to the lower back) .. ``DEF-spine.006``
(head), ``DEF-shoulder.L``, ``DEF-upper_arm.L`` + ``.001`` (twist half), ``DEF-forearm.L``
+ ``.001``, ``DEF-hand.L``, ``DEF-palm.01.L`` .. ``.04``, fingers ``DEF-f_index.01.L`` ..
``.03``, ``DEF-thumb.01.L`` .., legs ``DEF-thigh.L`` (+ ``.001``), ``DEF-shin.L`` (+
``.001``), ``DEF-foot.L``, ``DEF-toe.L``. The human metarig has the same names without
``DEF-`` and without the ``.001`` halves. Rigify's rest pose has the arms lowered about 30
degrees and the fingers a little curled.

In a live generated rig the ``DEF-`` bones copy the control rig through constraints, so keys
written on them show only where those constraints are off (rigs prepared for game export);
the matcher reports constrained bones. Keying Rigify's FK controls is not covered here.
"""
from __future__ import annotations

from .family import BoneSpec, Family, sided


def _bones(deform: bool = True) -> tuple:
    p = "DEF-" if deform else ""
    b = [BoneSpec(p + "spine", None, "pelvis", "pelvis", "spine1"),
         BoneSpec(p + "spine.001", p + "spine", "spine1", "spine1"),
         BoneSpec(p + "spine.002", p + "spine.001", "spine2", "spine2"),
         BoneSpec(p + "spine.003", p + "spine.002", "spine3", "spine3", "neck"),
         BoneSpec(p + "spine.004", p + "spine.003", "neck", "neck"),
         BoneSpec(p + "spine.005", p + "spine.004", None, ("lerp", "neck", "head", 0.5)),
         BoneSpec(p + "spine.006", p + "spine.005", "head", "head", ("off", "head", (0.0, 0.2, 0.0)))]
    for side in ("left", "right"):
        S = lambda t: p + sided(t, side, "L")                             # noqa: E731
        arm = [BoneSpec(S("shoulder.{S}"), p + "spine.003", f"{side}_collar", f"{side}_collar",
                        f"{side}_shoulder"),
               BoneSpec(S("upper_arm.{S}"), S("shoulder.{S}"), f"{side}_shoulder", f"{side}_shoulder",
                        f"{side}_elbow")]
        up = S("upper_arm.{S}")
        if deform:
            arm.append(BoneSpec(S("upper_arm.{S}.001"), up, None,
                                ("lerp", f"{side}_shoulder", f"{side}_elbow", 0.5), f"{side}_elbow"))
            up = S("upper_arm.{S}.001")
        arm.append(BoneSpec(S("forearm.{S}"), up, f"{side}_elbow", f"{side}_elbow", f"{side}_wrist"))
        up = S("forearm.{S}")
        if deform:
            arm.append(BoneSpec(S("forearm.{S}.001"), up, None,
                                ("lerp", f"{side}_elbow", f"{side}_wrist", 0.5), f"{side}_wrist"))
            up = S("forearm.{S}.001")
        arm.append(BoneSpec(S("hand.{S}"), up, f"{side}_wrist", f"{side}_wrist",
                            ("lerp", f"{side}_wrist", f"{side}_middle1", 0.5)))
        b += arm
        for n, finger in enumerate(("index", "middle", "ring", "pinky")):
            palm = S(f"palm.0{n + 1}.{{S}}")
            b.append(BoneSpec(palm, S("hand.{S}"), None,
                              ("lerp", f"{side}_wrist", f"{side}_{finger}1", 0.3), f"{side}_{finger}1"))
            up = palm
            for k in (1, 2, 3):
                name = S(f"f_{finger}.0{k}.{{S}}")
                tail = (f"{side}_{finger}{k + 1}" if k < 3
                        else ("lerp", f"{side}_{finger}2", f"{side}_{finger}3", 1.8))
                b.append(BoneSpec(name, up, f"{side}_{finger}{k}", f"{side}_{finger}{k}", tail))
                up = name
        up = S("palm.01.{S}")
        for k in (1, 2, 3):
            name = S(f"thumb.0{k}.{{S}}")
            tail = (f"{side}_thumb{k + 1}" if k < 3 else ("lerp", f"{side}_thumb2", f"{side}_thumb3", 1.8))
            b.append(BoneSpec(name, up, f"{side}_thumb{k}", f"{side}_thumb{k}", tail))
            up = name
    for side in ("left", "right"):
        S = lambda t: p + sided(t, side, "L")                             # noqa: E731
        leg = [BoneSpec(S("thigh.{S}"), p + "spine", f"{side}_hip", f"{side}_hip", f"{side}_knee")]
        up = S("thigh.{S}")
        if deform:
            leg.append(BoneSpec(S("thigh.{S}.001"), up, None,
                                ("lerp", f"{side}_hip", f"{side}_knee", 0.5), f"{side}_knee"))
            up = S("thigh.{S}.001")
        leg += [BoneSpec(S("shin.{S}"), up, f"{side}_knee", f"{side}_knee", f"{side}_ankle"),
                BoneSpec(S("foot.{S}"), S("shin.{S}"), f"{side}_ankle", f"{side}_ankle", f"{side}_foot"),
                BoneSpec(S("toe.{S}"), S("foot.{S}"), f"{side}_foot", f"{side}_foot",
                         ("off", f"{side}_foot", (0.0, 0.0, 0.07)))]
        b += leg
    return tuple(b)


_REQUIRED = ("spine1", "spine2", "neck", "head", "left_shoulder", "left_elbow", "left_wrist",
             "right_shoulder", "right_elbow", "right_wrist")

FAMILY = Family(name="rigify", label="Rigify (DEF bones)", bones=_bones(True), required=_REQUIRED,
                prefixes=(), arm_down_deg=30.0, elbow_bend_deg=8.0, finger_curl_deg=10.0)
METARIG = Family(name="rigify_metarig", label="Rigify metarig", bones=_bones(False),
                 required=_REQUIRED, arm_down_deg=30.0, elbow_bend_deg=8.0, finger_curl_deg=10.0)
