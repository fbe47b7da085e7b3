"""Armature objects built from tables, and meshes skinned to them.

- :func:`build_armature`: a new armature object from ``{name: (head, tail, parent)}``
  (Blender frame), used for the SMPL-X body rig, the demo head's rig and the FLAME mesh's.
- :func:`skin_to`: parent a mesh to an armature with an Armature modifier and one vertex
  group per bone from per-vertex weights; pose bones rotate in quaternions.
"""
from __future__ import annotations

import bpy
import numpy as np


def build_armature(name: str, bones: dict, *, rolls=None, connect=(), collection=None,
                   location=(0.0, 0.0, 0.0)) -> bpy.types.Object:
    """A new armature object from ``bones`` = {name: (head, tail, parent)} (Blender frame).

    ``rolls`` maps bone name -> roll (radians); bones named in ``connect`` are connected to
    their parent. The armature is linked to ``collection`` (the scene's by default); the
    mode is left as it was (OBJECT).
    """
    data = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, data)
    (collection or bpy.context.scene.collection).objects.link(obj)
    obj.location = location
    view_layer = bpy.context.view_layer
    prev_active = view_layer.objects.active
    view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        eb = data.edit_bones
        for bone, (head, tail, _parent) in bones.items():
            b = eb.new(bone)
            b.head = tuple(float(x) for x in head)
            b.tail = tuple(float(x) for x in tail)
            b.roll = float((rolls or {}).get(bone, 0.0))
        for bone, (_h, _t, parent) in bones.items():
            if parent:
                eb[bone].parent = eb[parent]
                eb[bone].use_connect = bone in connect
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = prev_active if prev_active is not None else obj
    return obj


def skin_to(obj, rig, groups) -> None:
    """Skin mesh ``obj`` to armature ``rig``: ``groups`` yields (bone name, per-vertex
    weights); each weight above 0 goes into that bone's vertex group."""
    for pb in rig.pose.bones:
        pb.rotation_mode = "QUATERNION"
    for bone, weights in groups:
        group = obj.vertex_groups.new(name=bone)
        w = np.asarray(weights)
        for value in np.unique(w[w > 0]):
            group.add(np.flatnonzero(w == value).tolist(), float(value), "REPLACE")
    obj.parent = rig
    obj.modifiers.new("Armature", "ARMATURE").object = rig
