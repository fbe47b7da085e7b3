"""FBX and glb export of a face mesh with its shape-key animation.

Two exporter traps handled here (see docs/FIELD_NOTES.md):

- FBX drops shape-key-only animation unless BOTH ``bake_anim_use_nla_strips`` and
  ``bake_anim_use_all_actions`` are off, and it writes frame ``f`` at ``t = f / fps``, so
  a take keyed from frame 1 would start one frame late against its audio. During the
  export the keys are shifted so the take's first frame is frame 0 (``t = 0``), then put
  back; the scene frame range is set to the take and restored.
- glTF writes the first key at ``t = 1 / fps`` too unless ``export_anim_slide_to_zero``.
- The glTF exporter (Blender 5.0.1, io_scene_gltf2 v5.0.21) converts frames to seconds as
  ``frame / (fps * fps_base)``, which is only right for ``fps_base == 1``: a 29.97 fps scene
  (fps=30, fps_base=1.001) came out at 30.03 fps. For the export ``fps_base`` is set so
  that ``fps * fps_base`` equals the true rate, then restored.

Only the given object is exported (selection is set for the export and restored).
"""
from __future__ import annotations

import contextlib
import os

import bpy
import numpy as np

from ..core.errors import ExportError
from .keyframes import action_fcurves


def _take_fcurves(obj):
    key = obj.data.shape_keys if obj.type == "MESH" else None
    ad = key.animation_data if key is not None else None
    if ad is None or ad.action is None:
        raise ExportError(f"'{obj.name}' has no shape-key animation to export: bake first")
    return action_fcurves(ad.action, getattr(ad, "action_slot", None))


def take_frame_range(obj) -> tuple:
    """First and last keyed frame (ints) of the object's current shape-key action."""
    lo, hi = np.inf, -np.inf
    for fc in _take_fcurves(obj):
        if len(fc.keyframe_points):
            a, b = fc.range()
            lo, hi = min(lo, a), max(hi, b)
    if not np.isfinite(lo):
        raise ExportError(f"'{obj.name}''s shape-key action has no keyframes: bake first")
    return int(round(lo)), int(round(hi))


def _shift_keys(fcurves, offset: float) -> None:
    for fc in fcurves:
        pts = fc.keyframe_points
        n = len(pts)
        for attr in ("co", "handle_left", "handle_right"):
            buf = np.empty(2 * n, dtype=np.float32)
            pts.foreach_get(attr, buf)
            buf[0::2] += offset
            pts.foreach_set(attr, buf)
        fc.update()


@contextlib.contextmanager
def _export_state(obj, *, shift_to_zero: bool):
    """Select only ``obj``; optionally move its take to start at frame 0; restore after."""
    scene = bpy.context.scene
    view_layer = bpy.context.view_layer
    selected = [o for o in view_layer.objects if o.select_get()]
    active = view_layer.objects.active
    frame = (scene.frame_start, scene.frame_end, scene.frame_current)
    first, last = take_frame_range(obj)
    fcurves = _take_fcurves(obj)
    offset = -first if shift_to_zero else 0
    try:
        for o in selected:
            o.select_set(False)
        obj.select_set(True)
        view_layer.objects.active = obj
        if offset:
            _shift_keys(fcurves, offset)
        scene.frame_start, scene.frame_end = first + offset, last + offset
        yield
    finally:
        if offset:
            _shift_keys(fcurves, -offset)
        scene.frame_start, scene.frame_end = frame[0], frame[1]
        scene.frame_set(frame[2])
        obj.select_set(False)
        for o in selected:
            o.select_set(True)
        view_layer.objects.active = active


def _check_target(filepath: str, ext: str) -> str:
    filepath = os.path.abspath(filepath)
    if not filepath.lower().endswith(ext):
        raise ExportError(f"'{filepath}' should end in {ext}")
    folder = os.path.dirname(filepath)
    if not os.path.isdir(folder):
        raise ExportError(f"cannot write '{filepath}': folder '{folder}' does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise ExportError(f"cannot write '{filepath}': folder '{folder}' is not writable")
    return filepath


def export_fbx(obj: bpy.types.Object, filepath: str) -> str:
    """Export ``obj`` with its shape-key take to FBX; the first key lands at ``t = 0``.

    Returns the absolute path written. Raises ExportError on failure.
    """
    filepath = _check_target(filepath, ".fbx")
    with _export_state(obj, shift_to_zero=True):
        try:
            result = bpy.ops.export_scene.fbx(
                filepath=filepath, use_selection=True, object_types={"MESH", "ARMATURE", "EMPTY"},
                use_mesh_modifiers=False, add_leaf_bones=False, bake_anim=True,
                bake_anim_use_all_bones=False, bake_anim_use_nla_strips=False,
                bake_anim_use_all_actions=False, bake_anim_force_startend_keying=True,
                bake_anim_step=1.0, bake_anim_simplify_factor=0.0, axis_forward="-Z", axis_up="Y")
        except RuntimeError as exc:
            raise ExportError(f"FBX export to '{filepath}' failed: {exc}") from exc
    if "FINISHED" not in result or not os.path.isfile(filepath):
        raise ExportError(f"FBX export to '{filepath}' did not finish ({sorted(result)})")
    return filepath


@contextlib.contextmanager
def _gltf_fps_workaround(scene):
    render = scene.render
    base = render.fps_base
    try:
        if base != 1.0:
            render.fps_base = (render.fps / base) / render.fps
        yield
    finally:
        render.fps_base = base


def export_glb(obj: bpy.types.Object, filepath: str) -> str:
    """Export ``obj`` with its shape-key take to binary glTF; first key at ``t = 0``.

    Returns the absolute path written. Raises ExportError on failure.
    """
    filepath = _check_target(filepath, ".glb")
    with _export_state(obj, shift_to_zero=False), _gltf_fps_workaround(bpy.context.scene):
        try:
            result = bpy.ops.export_scene.gltf(
                filepath=filepath, export_format="GLB", use_selection=True, export_apply=False,
                export_morph=True, export_morph_normal=True, export_animations=True,
                export_anim_slide_to_zero=True, export_force_sampling=True,
                export_frame_range=True, export_animation_mode="ACTIVE_ACTIONS",
                export_materials="EXPORT", export_cameras=False, export_lights=False)
        except (RuntimeError, TypeError) as exc:
            raise ExportError(f"glTF export to '{filepath}' failed: {exc}") from exc
    if "FINISHED" not in result or not os.path.isfile(filepath):
        raise ExportError(f"glTF export to '{filepath}' did not finish ({sorted(result)})")
    return filepath
