"""The body in headless Blender outputs (``talkrig bake --body -o take.fbx``, batch rows).

Which armature the body lands on:

1. ``--body-target rig.blend``: the armatures of that file (with the meshes they deform)
   are appended into the scene; the best-matching one takes the body. When it is the same
   file as ``--target``, the open scene is searched instead.
2. Else, with ``--target``: the armature that deforms or parents the face mesh, or the
   scene's only armature.
3. Else: talkrig's mannequin (SMPL-X proportions, the demo head on its neck).

A bake whose body has nowhere to go is an error, never a silent face-only file.
"""
from __future__ import annotations

import os

import bpy

from ..core.errors import RetargetError


def check_body_target(path: str) -> str:
    """Before a bake: the body target exists, Blender can read it, and it holds an armature
    whose bones match a skeleton family.

    Returns the absolute path; RetargetError (one line, with the best partial match) otherwise.
    """
    path = os.path.abspath(os.fspath(path))
    if not os.path.isfile(path):
        raise RetargetError(f"body target '{path}' does not exist: give a .blend with the "
                            "character's armature")
    from ..core.retarget import resolve_mapping

    if bpy.data.filepath and os.path.abspath(bpy.data.filepath) == path:
        skeletons = [a.bones.keys() for a in bpy.data.armatures]
    else:
        try:
            with bpy.data.libraries.load(path) as (data_from, data_to):
                data_to.armatures = list(data_from.armatures)
        except (OSError, RuntimeError, ValueError) as exc:
            raise RetargetError(f"body target '{path}' is not a .blend file Blender can read "
                                f"({' '.join(str(exc).split())[:160]})") from None
        skeletons = [a.bones.keys() for a in data_to.armatures if a is not None]
        for arm in data_to.armatures:                 # only looked at: leave nothing behind
            if arm is not None and arm.users == 0:
                bpy.data.armatures.remove(arm)
    if not skeletons:
        raise RetargetError(f"body target '{path}' holds no armature: give a .blend with the "
                            "character's skeleton (Mixamo, Rigify, UE5, Unity, VRM or SMPL-X)")
    errors = []
    for bones in skeletons:
        try:
            resolve_mapping(bones, armature=f"body target '{path}'")
            return path
        except RetargetError as exc:
            errors.append(str(exc))
    raise RetargetError(errors[0])


def _append_armatures(path: str) -> list:
    """Append every armature object of ``path`` and the objects parented to them."""
    with bpy.data.libraries.load(path) as (data_from, data_to):
        data_to.objects = list(data_from.objects)
    scene_coll = bpy.context.scene.collection
    rigs = [ob for ob in data_to.objects if ob is not None and ob.type == "ARMATURE"]
    keep = set(rigs) | {ob for ob in data_to.objects if ob is not None and ob.parent in rigs}
    for ob in data_to.objects:
        if ob in keep:
            scene_coll.objects.link(ob)
        elif ob is not None and ob.users == 0:
            bpy.data.objects.remove(ob)
    return rigs


def _best(rigs: list, where: str):
    """The armature whose bones match a skeleton family best (ties: first by name)."""
    from .body_rig import armature_match

    scored, errors = [], []
    for rig in sorted(rigs, key=lambda r: r.name):
        try:
            match = armature_match(rig)
        except RetargetError as exc:
            errors.append(str(exc))
            continue
        scored.append((-float(match.score), rig.name, rig))
    if scored:
        return min(scored)[2]
    if errors:
        raise RetargetError(errors[0])
    raise RetargetError(f"{where} holds no armature for the body")


def body_armature(face, *, target=None, body_target=None):
    """The armature the body is written onto (see the module docstring)."""
    from .body_rig import find_rig

    if body_target:
        path = os.path.abspath(body_target)
        if target and os.path.abspath(target) == path:
            rigs = [ob for ob in bpy.context.scene.objects if ob.type == "ARMATURE"]
        else:
            rigs = _append_armatures(path)
        return _best(rigs, f"body target '{path}'")
    own = find_rig(face)                     # a face skinned to the body, or a head-only rig
    rigs = [ob for ob in bpy.context.scene.objects if ob.type == "ARMATURE"]
    if own is not None and own not in rigs:
        rigs.append(own)
    if not rigs:
        raise RetargetError("the body has no armature to go on: the target .blend has no "
                            "character armature; give one with --body-target rig.blend")
    return _best(rigs, "the target .blend")


def mannequin_scene():
    """A fresh scene with talkrig's mannequin; returns (armature, face mesh)."""
    from .demo_body import _camera_and_light, create_mannequin

    bpy.ops.wm.read_factory_settings(use_empty=True)
    rig, _body, face = create_mannequin()
    _camera_and_light(rig)
    return rig, face


def write_body(rig, performance, *, frame_start: int = 1):
    """Write ``performance.body`` onto ``rig`` as a take; returns ``BodyTakeResult``."""
    from .body_keys import write_body_take

    return write_body_take(rig, performance.body, frame_start=frame_start, set_fps=False)
