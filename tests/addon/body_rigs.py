"""Test rigs for the body: each family's armature built in bpy from the bone data, in its
real rest pose (UE5 A-pose, VRM/Mixamo T-pose, Rigify lowered arms), with seeded random
bone rolls so no test leans on tidy rest frames; Rigify also from its own metarig."""
from __future__ import annotations

import bpy
import numpy as np

from talkrig.addon.body_rig import build_armature
from talkrig.core.curves import BodyCurves
from talkrig.rigs.skeletons import family as fam_mod
from talkrig.rigs.skeletons import smplx

FPS = 30.0


def family_rig(family, *, seed=0, name=None, drop=()):
    bones = {}
    rb = fam_mod.rest_bones(family)
    for bone, (head, tail, parent) in rb.items():
        if bone in drop:
            continue
        while parent in drop:
            parent = rb[parent][2]
        bones[bone] = (head, tail, parent)
    rng = np.random.default_rng(seed)
    rolls = {b: float(rng.uniform(-np.pi, np.pi)) for b in bones}
    return build_armature(name or family.label.replace(" ", "_"), bones, rolls=rolls)


def rigify_available() -> str:
    import addon_utils

    try:
        addon_utils.enable("rigify", default_set=False)
    except Exception as exc:                                     # noqa: BLE001
        return f"Rigify cannot be enabled in this bpy: {exc}"
    return "" if hasattr(bpy.ops.object, "armature_human_metarig_add") else \
        "this bpy module does not carry Rigify"


def rigify_metarig():
    import addon_utils

    addon_utils.disable("rigify", default_set=False)   # factory resets drop its rig types
    addon_utils.enable("rigify", default_set=False)
    bpy.ops.object.armature_human_metarig_add()
    return bpy.context.active_object


def smooth_body(seconds=60.0, *, seed=1, amplitude=0.45) -> BodyCurves:
    n = int(round(seconds * FPS))
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FPS
    freq = rng.uniform(0.1, 0.9, size=(55, 3, 3))
    phase = rng.uniform(0, 2 * np.pi, size=(55, 3, 3))
    amp = rng.uniform(0.2, 1.0, size=(55, 1, 1)) * amplitude
    rot = amp[None, :, :, 0] * np.sin(2 * np.pi * freq[None] * t[:, None, None, None]
                                       + phase[None]).mean(axis=-1)
    trans = np.stack([0.05 * np.sin(0.7 * t), 0.02 * np.sin(1.3 * t), 0.04 * np.cos(0.5 * t)], 1)
    return BodyCurves(smplx.JOINT_NAMES, FPS, rot.astype(np.float32), trans.astype(np.float32))
