"""Export of a take: FBX (default, Unreal and Unity presets), glb, Live Link Face CSV, JSON.

A take is the face mesh's shape-key action plus, on rigs with head/eye bones, the
armature's ``<take>_bones`` action (``addon/keyframes.py``); both are exported together
(the armature is selected with the mesh). ``export_take`` picks the format by extension.

Exporter traps handled here (see docs/FIELD_NOTES.md):

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

Only the given object (and its armature) is exported; selection is set for the export
and restored, so are the scene frame range and the keys.

FBX presets (``FBX_PRESETS``; every preset keeps ``bake_anim_use_nla_strips=False`` and
``bake_anim_use_all_actions=False`` so shape-key animation survives, samples every frame
with ``bake_anim_step=1`` and ``bake_anim_simplify_factor=0`` so engines get the exact
curves, forces start/end keys, does not apply modifiers (that would drop the shape keys;
the Armature modifier is exported as a skin), and gets the +1 frame compensation):

- ``default``: Blender's axes (``axis_forward=-Z``, ``axis_up=Y``), scale as Blender
  writes it by default (``FBX_SCALE_NONE``), no leaf bones, every bone.
- ``unreal``: same axes (Unreal's importer converts -Z forward / Y up with "Convert
  Scene"); ``FBX_SCALE_NONE`` + ``apply_unit_scale``: the file is in centimetres
  (UnitScaleFactor 1) and the top nodes carry Lcl Scaling 100, Blender's usual output for
  Unreal, so a 0.25 m head is 25 cm there; ``mesh_smooth_type=FACE`` (Unreal warns
  about missing smoothing groups otherwise); ``add_leaf_bones=False`` (no ``_end`` bones
  in the skeleton); ``use_armature_deform_only=True`` (control bones stay out); bone
  axes Y/X (Blender's own); a key on every bone each frame (``bake_anim_use_all_bones``).
- ``unity``: same axes (Unity's importer rotates them, or bakes them with "Bake Axis
  Conversion"); ``FBX_SCALE_UNITS``: the file is in metres (UnitScaleFactor 100, Unity
  shows "1m (File)") and every node keeps scale 1; ``bake_space_transform=False``
  (Blender marks it experimental; it breaks armature animation); ``mesh_smooth_type=FACE``
  (Unity computes blend-shape normals from smoothing groups); ``add_leaf_bones=False``,
  ``use_armature_deform_only=True``, every bone keyed.

The unit and scale facts above are checked on the written files (tests/addon/test_export.py);
how each engine then imports them is from the engines' documentation, not tested here.
"""
from __future__ import annotations

import contextlib
import os

import bpy
import numpy as np

from ..core.io.formats import CURVE_EXTS
from ..core.errors import ExportError
from .keyframes import action_fcurves, bones_action

_FBX_COMMON = dict(
    use_selection=True, object_types={"MESH", "ARMATURE", "EMPTY"}, use_mesh_modifiers=False,
    bake_anim=True, bake_anim_use_nla_strips=False, bake_anim_use_all_actions=False,
    bake_anim_force_startend_keying=True, bake_anim_step=1.0, bake_anim_simplify_factor=0.0,
    add_leaf_bones=False, axis_forward="-Z", axis_up="Y", primary_bone_axis="Y",
    secondary_bone_axis="X", global_scale=1.0, apply_unit_scale=True, bake_space_transform=False)
FBX_PRESETS = {
    "default": dict(_FBX_COMMON, apply_scale_options="FBX_SCALE_NONE", bake_anim_use_all_bones=False,
                    use_armature_deform_only=False),
    "unreal": dict(_FBX_COMMON, apply_scale_options="FBX_SCALE_NONE", mesh_smooth_type="FACE",
                   use_armature_deform_only=True, bake_anim_use_all_bones=True,
                   armature_nodetype="NULL"),
    "unity": dict(_FBX_COMMON, apply_scale_options="FBX_SCALE_UNITS", mesh_smooth_type="FACE",
                  use_armature_deform_only=True, bake_anim_use_all_bones=True),
}
#: What a take exports to from the panel: the Blender formats that hold a take, then the
#: curve files (the output-format registry, ``core.io.formats``).
TAKE_EXTS = (".fbx", ".glb") + CURVE_EXTS


def face_mesh(obj):
    """``obj``, or for an armature its first child mesh with shape keys (by name)."""
    if obj is not None and obj.type == "ARMATURE":
        meshes = sorted((c for c in obj.children if c.type == "MESH" and c.data.shape_keys is not None),
                        key=lambda c: c.name)
        return meshes[0] if meshes else obj
    return obj


def _take_fcurves(obj):
    """F-curves of the take: the shape-key action's and the rig's bone action's."""
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    ad = key.animation_data if key is not None else None
    if ad is None or ad.action is None:
        name = obj.name if obj is not None else "(nothing)"
        raise ExportError(f"'{name}' has no shape-key animation to export: bake first")
    fcurves = action_fcurves(ad.action, getattr(ad, "action_slot", None))
    rig, bact = bones_action(obj)
    if bact is not None:
        fcurves += action_fcurves(bact, getattr(rig.animation_data, "action_slot", None))
    return fcurves


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
def export_scope(objs, fcurves, first: float, last: float, *, shift_to_zero: bool,
                 also_shift=None):
    """Select only ``objs`` (the first active), set the scene's frame range to the take's
    (``first``..``last``), optionally moving the take's keys (``fcurves``, and whatever
    ``also_shift(offset)`` moves) to start at frame 0; yields the exported range; restores
    the selection, active object, frame range, current frame and every moved key after."""
    scene = bpy.context.scene
    view_layer = bpy.context.view_layer
    selected = [o for o in view_layer.objects if o.select_get()]
    active = view_layer.objects.active
    frame = (scene.frame_start, scene.frame_end, scene.frame_current)
    offset = -first if shift_to_zero else 0
    try:
        for o in selected:
            o.select_set(False)
        for o in objs:
            o.select_set(True)
        view_layer.objects.active = objs[0]
        if offset:
            _shift_keys(fcurves, offset)
            if also_shift is not None:
                also_shift(offset)
        scene.frame_start, scene.frame_end = first + offset, last + offset
        yield first + offset, last + offset
    finally:
        if offset:
            if also_shift is not None:
                also_shift(-offset)
            _shift_keys(fcurves, -offset)
        scene.frame_start, scene.frame_end = frame[0], frame[1]
        scene.frame_set(frame[2])
        for o in objs:
            o.select_set(False)
        for o in selected:
            o.select_set(True)
        view_layer.objects.active = active


def _export_state(obj, *, shift_to_zero: bool):
    """:func:`export_scope` for a face take: ``obj`` and the rig its bones take is on."""
    rig, _ = bones_action(obj)
    first, last = take_frame_range(obj)
    return export_scope([obj] + ([rig] if rig is not None else []), _take_fcurves(obj),
                        first, last, shift_to_zero=shift_to_zero)


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


def export_fbx(obj: bpy.types.Object, filepath: str, *, preset: str = "default") -> str:
    """Export ``obj`` (and its armature) with the take to FBX; first key at ``t = 0``.

    Parameters
    ----------
    obj : bpy.types.Object
        The face mesh with a baked take.
    filepath : str
        Target ``.fbx`` (its folder must exist).
    preset : {"default", "unreal", "unity"}
        Exporter settings (``FBX_PRESETS``, documented in the module docstring).

    Returns the absolute path written. Raises ExportError on failure.
    """
    if preset not in FBX_PRESETS:
        raise ExportError(f"unknown FBX preset {preset!r}; use one of {', '.join(FBX_PRESETS)}")
    filepath = _check_target(filepath, ".fbx")
    with _export_state(obj, shift_to_zero=True):
        try:
            result = bpy.ops.export_scene.fbx(filepath=filepath, **FBX_PRESETS[preset])
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
    """Export ``obj`` (and its armature, as a skin) with the take to binary glTF; first
    key at ``t = 0``. Shape keys become morph targets (``weights`` channel), head/eye bones
    joints with rotation channels, merged into one animation.

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
                export_materials="EXPORT", export_cameras=False, export_lights=False,
                export_skins=True, export_leaf_bone=False)
        except (RuntimeError, TypeError) as exc:
            raise ExportError(f"glTF export to '{filepath}' failed: {exc}") from exc
    if "FINISHED" not in result or not os.path.isfile(filepath):
        raise ExportError(f"glTF export to '{filepath}' did not finish ({sorted(result)})")
    return filepath


def take_curves(obj: bpy.types.Object):
    """The take on ``obj`` read back as ``FaceCurves`` (52 ARKit + 9 rotation channels).

    Weights come from the shape-key F-curves (through the object's ARKit name mapping),
    rotations from the head/eye bones (inverse of the writer's axis convention) or the
    custom-property fallback; channels the take lacks are 0. Frames: every frame of the
    take's range; fps from the take (``talkrig_fps``) or the scene.
    """
    from ..core.curves import FaceCurves
    from ..rigs.arkit import ARKIT_NAMES, FACE_CHANNELS, HEAD_EYE_NAMES
    from .bones import BONE_GROUPS, bone_channels_from_fcurves, match_bones
    from .keyframes import shape_key_mapping

    first, last = take_frame_range(obj)
    frames = np.arange(first, last + 1, dtype=np.float64)
    key = obj.data.shape_keys
    action = key.animation_data.action
    slot = getattr(key.animation_data, "action_slot", None)
    by_path = {fc.data_path: fc for fc in action_fcurves(action, slot)}
    values = np.zeros((len(frames), len(FACE_CHANNELS)), dtype=np.float32)
    matched = shape_key_mapping(obj).matched
    for i, name in enumerate(ARKIT_NAMES):
        if name in matched:
            fc = by_path.get(f'key_blocks["{bpy.utils.escape_identifier(matched[name])}"].value')
            if fc is not None:
                values[:, i] = [fc.evaluate(f) for f in frames]
    for name in HEAD_EYE_NAMES:
        fc = by_path.get(f'["{name}"]')
        if fc is not None:
            values[:, FACE_CHANNELS.index(name)] = [fc.evaluate(f) for f in frames]
    rig, bact = bones_action(obj)
    if bact is not None:
        fcs = action_fcurves(bact, getattr(rig.animation_data, "action_slot", None))
        bones = match_bones(rig.data.bones.keys())
        for group, (chans, _) in BONE_GROUPS.items():
            bone = bact.get(f"talkrig_bone_{group}") or bones.get(group)
            got = bone_channels_from_fcurves(rig, bone, fcs, frames) if bone in rig.pose.bones else None
            if got is not None:
                for name, col in zip(chans, got):
                    values[:, FACE_CHANNELS.index(name)] = col
    scene = bpy.context.scene
    fps = float(action.get("talkrig_fps") or scene.render.fps / scene.render.fps_base)
    return FaceCurves(FACE_CHANNELS, fps, values)


def export_take(obj: bpy.types.Object, filepath: str, *, preset: str | None = None) -> str:
    """Export the take on ``obj`` in the format its extension names.

    ``.fbx`` (``preset``: "default", "unreal" or "unity"), ``.glb``, ``.csv`` (Live Link
    Face), ``.json`` or ``.npz`` (``core.io.write_curves`` of :func:`take_curves`); a take
    that drives viseme keys also writes its viseme curves beside a .csv/.json
    (:func:`viseme_sidecar`).
    ``obj`` may be the face mesh or its armature.
    Returns the absolute path written. Raises ExportError (unknown extension, no take,
    folder missing, preset given for a format without presets).
    """
    obj = face_mesh(obj)
    path = os.path.abspath(bpy.path.abspath(filepath) if filepath.startswith("//") else filepath)
    ext = os.path.splitext(path)[1].lower()
    if ext not in TAKE_EXTS:
        raise ExportError(f"cannot export a take to '{filepath}': use one of {', '.join(TAKE_EXTS)}")
    if ext == ".fbx":
        return export_fbx(obj, path, preset=preset or "default")
    if preset not in (None, "", "default"):
        raise ExportError(f"FBX preset {preset!r} given for '{filepath}': presets are for .fbx only")
    if ext == ".glb":
        return export_glb(obj, path)
    path = _check_target(path, ext)
    from ..core.io import write_curves

    if obj is None or obj.type != "MESH":
        raise ExportError("select the face mesh that holds the take")
    _take_fcurves(obj)                       # raises 'bake first' when there is no take
    try:
        written = str(write_curves(path, take_curves(obj)))
        track = take_visemes(obj)
        if track is not None and ext in (".csv", ".json"):
            from ..core.io import write_visemes
            write_visemes(viseme_sidecar(path), track)
        return written
    except OSError as exc:
        raise ExportError(f"writing '{path}' failed: {exc}") from exc


def viseme_sidecar(path: str) -> str:
    """Where the viseme curves of a viseme-driven take go next to a .csv/.json export."""
    stem, ext = os.path.splitext(path)
    return f"{stem}_visemes{ext}"


def take_visemes(obj: bpy.types.Object):
    """The viseme curves of a take that drives viseme shape keys, as a ``VisemeTrack``
    (missing visemes are 0), or None for an ARKit take."""
    from ..core.curves import VisemeTrack
    from ..rigs.visemes import VISEME_NAMES
    from .viseme_keys import action_drive

    key = obj.data.shape_keys
    action = key.animation_data.action
    mode, keys, _ = action_drive(action)
    if mode != "visemes":
        return None
    first, last = take_frame_range(obj)
    frames = np.arange(first, last + 1, dtype=np.float64)
    slot = getattr(key.animation_data, "action_slot", None)
    by_path = {fc.data_path: fc for fc in action_fcurves(action, slot)}
    values = np.zeros((len(frames), len(VISEME_NAMES)), dtype=np.float32)
    for j, name in enumerate(VISEME_NAMES):
        fc = by_path.get(f'key_blocks["{bpy.utils.escape_identifier(keys.get(name, ""))}"].value')
        if name in keys and fc is not None:
            values[:, j] = [fc.evaluate(f) for f in frames]
    scene = bpy.context.scene
    fps = float(action.get("talkrig_fps") or scene.render.fps / scene.render.fps_base)
    return VisemeTrack(VISEME_NAMES, fps, values)
