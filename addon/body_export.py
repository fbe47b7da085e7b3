"""Export a body take with its face: FBX (engine presets), glb, BVH.

One file carries the armature's skeleton animation and, when a face mesh is given, its
shape-key take (and the face rig's head/eye action): what the engines import as one
character. The objects exported are the armature, the meshes it deforms, the face mesh and
its own armature.

The exporter traps of ``addon/export.py`` apply (FBX and glTF write frame ``f`` at
``t = f / fps``; FBX drops shape-key animation unless NLA/all-actions baking is off), so
for FBX the takes are moved to start at frame 0 for the export (active actions' keys and
NLA strips shifted, then put back): the first key is at ``t = 0``, which an importer puts on
frame 1. glTF uses ``export_anim_slide_to_zero``; takes that play from NLA strips (a body
under a face head/eye action) are sampled from the scene. BVH (Blender's own exporter) has
the armature alone, frames counted from the take's first frame.

FBX presets are ``addon.export.FBX_PRESETS`` (``default``, ``unreal``, ``unity``).
"""
from __future__ import annotations

import os

import bpy
import numpy as np

from ..core.errors import ExportError
from .export import FBX_PRESETS, _check_target, _gltf_fps_workaround, export_scope
from .keyframes import action_fcurves

BODY_EXTS = (".fbx", ".glb", ".bvh")


def _objects(rig, face):
    objs = [rig] + sorted((o for o in bpy.data.objects if o.type == "MESH" and any(
        m.type == "ARMATURE" and m.object == rig for m in o.modifiers)), key=lambda o: o.name)
    if face is not None:
        from .body_rig import find_rig

        for o in (face, find_rig(face)):
            if o is not None and o not in objs:
                objs.append(o)
    return objs


def _anim_ids(objs) -> list:
    ids = []
    for o in objs:
        ids.append(o)
        key = o.data.shape_keys if o.type == "MESH" else None
        if key is not None:
            ids.append(key)
    return [i for i in ids if i.animation_data is not None]


def take_range(objs) -> tuple:
    """First and last frame played by the exported objects (active actions and unmuted strips)."""
    lo, hi = np.inf, -np.inf
    for id_block in _anim_ids(objs):
        ad = id_block.animation_data
        if ad.action is not None:
            for fc in action_fcurves(ad.action, getattr(ad, "action_slot", None)):
                if len(fc.keyframe_points):
                    a, b = fc.range()
                    lo, hi = min(lo, a), max(hi, b)
        for track in ad.nla_tracks:
            if not track.mute:
                for strip in track.strips:
                    lo, hi = min(lo, strip.frame_start), max(hi, strip.frame_end)
    if not np.isfinite(lo):
        raise ExportError("nothing to export: the armature plays no take; bake the body first")
    return int(round(lo)), int(round(hi))


def _uses_nla(objs) -> bool:
    return any(not t.mute and len(t.strips) for i in _anim_ids(objs) for t in i.animation_data.nla_tracks)


def _move_strips(objs, offset) -> None:
    for id_block in _anim_ids(objs):
        for track in id_block.animation_data.nla_tracks:
            for strip in track.strips:
                strip.frame_start_ui += offset


def _export_state(objs, *, shift_to_zero: bool):
    """:func:`.export.export_scope` for a body take: its keys and NLA strips move together."""
    first, last = take_range(objs)
    fcurves = [fc for i in _anim_ids(objs) if i.animation_data.action is not None
               for fc in action_fcurves(i.animation_data.action,
                                        getattr(i.animation_data, "action_slot", None))]
    return export_scope(objs, fcurves, first, last, shift_to_zero=shift_to_zero,
                        also_shift=lambda offset: _move_strips(objs, offset))


def export_body(rig, filepath: str, *, face=None, preset: str = "default") -> str:
    """Export ``rig``'s body take (with ``face``'s take when given) by the file's extension.

    Parameters
    ----------
    rig : bpy.types.Object
        The armature with a body take (or a mesh it deforms).
    filepath : str
        ``.fbx``, ``.glb`` or ``.bvh``; the folder must exist.
    face : bpy.types.Object, optional
        The face mesh whose shape-key take goes into the same file (FBX, glb).
    preset : {"default", "unreal", "unity"}
        FBX exporter settings.

    Returns the absolute path written; ExportError otherwise.
    """
    from .body_rig import find_rig

    rig = find_rig(rig)
    if rig is None:
        raise ExportError("select the character's armature to export its body take")
    path = os.path.abspath(bpy.path.abspath(filepath) if str(filepath).startswith("//") else filepath)
    ext = os.path.splitext(path)[1].lower()
    if ext not in BODY_EXTS:
        raise ExportError(f"cannot export a body take to '{filepath}': use one of {', '.join(BODY_EXTS)}")
    path = _check_target(path, ext)
    objs = _objects(rig, face)
    try:
        if ext == ".fbx":
            if preset not in FBX_PRESETS:
                raise ExportError(f"unknown FBX preset {preset!r}; use one of {', '.join(FBX_PRESETS)}")
            with _export_state(objs, shift_to_zero=True):
                result = bpy.ops.export_scene.fbx(filepath=path, **FBX_PRESETS[preset])
        elif ext == ".glb":
            mode = "SCENE" if _uses_nla(objs) else "ACTIVE_ACTIONS"
            with _export_state(objs, shift_to_zero=False), _gltf_fps_workaround(bpy.context.scene):
                result = bpy.ops.export_scene.gltf(
                    filepath=path, export_format="GLB", use_selection=True, export_apply=False,
                    export_morph=True, export_morph_normal=True, export_animations=True,
                    export_anim_slide_to_zero=True, export_force_sampling=True,
                    export_frame_range=True, export_animation_mode=mode,
                    export_materials="EXPORT", export_cameras=False, export_lights=False,
                    export_skins=True, export_leaf_bone=False)
        else:
            result = _export_bvh(rig, path)
    except (RuntimeError, TypeError) as exc:
        raise ExportError(f"export to '{path}' failed: {exc}") from exc
    if "FINISHED" not in result or not os.path.isfile(path):
        raise ExportError(f"export to '{path}' did not finish ({sorted(result)})")
    return path


def _export_bvh(rig, path):
    if not _has_bvh():
        _enable_bvh()
    if not _has_bvh():
        raise ExportError("Blender's BVH exporter (io_anim_bvh) is not available in this Blender")
    with _export_state([rig], shift_to_zero=False) as (first, last):
        bpy.context.view_layer.objects.active = rig
        return bpy.ops.export_anim.bvh(filepath=path, frame_start=first, frame_end=last,
                                       rotate_mode="NATIVE", root_transform_only=False)


def _has_bvh() -> bool:
    try:
        bpy.ops.export_anim.bvh.get_rna_type()
    except (AttributeError, KeyError):
        return False
    return True


def _enable_bvh() -> None:
    import addon_utils

    try:
        addon_utils.enable("io_anim_bvh", default_set=False)
    except Exception:                                         # noqa: BLE001  (reported by caller)
        pass
