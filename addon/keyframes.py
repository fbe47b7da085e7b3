"""Write FaceCurves onto a mesh's shape keys as a new Action (fast, non-destructive).

Keys are written with ``keyframe_points.add`` + ``foreach_set`` (never one key per call:
bulk writing is about 300x faster). Blender 4.4+ (slotted actions, required in 5.0)
gets a slot for the shape-key datablock and its channelbag; Blender 4.2 LTS writes
``action.fcurves`` directly. The path is chosen by feature detection, not version numbers.

Non-destructive: each bake makes a NEW action. The action the shape keys had before is
kept (``use_fake_user``) and pushed onto a muted NLA track, so the user's animation stays
intact and reachable (the panel's takes, ``addon.takes.write_take``, unmute it when it is the
user's own action, so the channels the take does not write keep playing).

Head and eye rotation channels (``HeadYaw`` ... ``RightEyeRoll``, radians): when the mesh
has an armature (its parent or Armature modifier) with a head and/or eye bones
(``addon.bones.match_bones``: ``head``, ``Head``, ``mixamorig:Head``, ``eye.L``,
``LeftEye``, ``eye_l``, ...), they drive those pose bones' rotations (axis convention in
``addon/bones.py``) in a second new action on the armature object, named like the shape-key
take with ``_bones`` appended (``talkrig_take`` -> ``talkrig_take_bones``; a body action the rig had keeps playing
beneath it on an NLA track, see ``_write_bone_rotations``); the two actions
point at each other (``talkrig_bones_action`` / ``talkrig_shape_action``). All nine
channels are also written as animated custom properties on the shape-key datablock
(``key["HeadYaw"]``, same action and slot): the only carrier on rigs without such bones
(the fallback), and on every rig the raw values drivers and ``read_face_curves`` can read.
``rotations="properties"`` writes only the properties, ``"skip"`` leaves them out.

Viseme rigs (VRChat ``vrc.v_aa``, Oculus ``viseme_aa`` ...): given the bake's ``visemes``
track, ``drive`` ("auto" / "arkit" / "visemes", ``addon.viseme_keys``) decides whether its 15
curves go onto the rig's viseme keys instead of the ARKit mouth channels (same action).
"""
from __future__ import annotations

import bpy
import numpy as np

from ..core.curves import FaceCurves
from ..core.errors import RigMappingError
from ..core.timebase import check_fps
from ..rigs.arkit import ARKIT_NAMES, HEAD_EYE_NAMES
from ..rigs.visemes import VISEME_NAMES
from .fcurves import INTERPOLATIONS, write_channel as _write_channel  # noqa: F401

ARKIT_GROUP = "ARKit"
ROTATION_GROUP = "Head/Eyes"
PREVIOUS_TRACK_PREFIX = "[talkrig] previous: "


def slotted_actions() -> bool:
    """True on Blender 4.4+ where actions have slots (5.0: the only API)."""
    return "slots" in bpy.types.Action.bl_rna.properties


def shape_key_mapping(obj: bpy.types.Object):
    """Match the object's shape-key names to ARKit names (``rigs.aliases``)."""
    from ..rigs.aliases import match_shape_keys

    key = _shape_keys_or_raise(obj)
    return match_shape_keys([kb.name for kb in key.key_blocks[1:]])


def _shape_keys_or_raise(obj) -> bpy.types.Key:
    if obj is None or obj.type != "MESH":
        raise RigMappingError("select a mesh object with ARKit shape keys (none is active)"
                              if obj is None else
                              f"'{obj.name}' is a {obj.type.lower()}, not a mesh: select the face mesh")
    key = obj.data.shape_keys
    if key is None or len(key.key_blocks) < 2:
        raise RigMappingError(f"'{obj.name}' has no shape keys: add ARKit shape keys (jawOpen, "
                              "mouthClose, ...) or use the demo head")
    return key


def set_scene_fps(scene: bpy.types.Scene, fps: float) -> None:
    """Set ``scene.render.fps``/``fps_base`` so that fps / fps_base equals ``fps``.

    29.97 becomes fps=30, fps_base=30/29.97 (1.001001...); integer rates keep fps_base=1.
    """
    fps = check_fps(fps)
    whole = max(1, int(round(fps)))
    scene.render.fps = whole
    scene.render.fps_base = whole / float(fps)


def _push_previous_action(ad, *, mute: bool = True) -> None:
    """Keep the current action alive and reachable on an NLA track (muted by default)."""
    old = ad.action
    if old is None:
        return
    old.use_fake_user = True
    slot = getattr(ad, "action_slot", None)
    track = ad.nla_tracks.new()
    track.name = PREVIOUS_TRACK_PREFIX + old.name
    start = int(np.floor(old.frame_range[0]))
    strip = track.strips.new(old.name, start, old)
    if slot is not None and hasattr(strip, "action_slot"):
        strip.action_slot = slot
    track.mute = mute
    ad.action = None


def _new_fcurve_collection(key, ad, action, id_type: str = "KEY"):
    """Assign ``action`` to the ID's animation data; return (fcurves, new-kwargs)."""
    ad.action = action
    if slotted_actions():
        from bpy_extras import anim_utils

        if ad.action_slot is None:
            ad.action_slot = action.slots.new(id_type=id_type, name=key.name)
        ensure = getattr(anim_utils, "action_ensure_channelbag_for_slot", None)
        if ensure is not None:
            return ensure(action, ad.action_slot).fcurves, "group_name"
        return action.fcurves, "action_group"          # 4.4 legacy proxy for the first slot
    return action.fcurves, "action_group"


def write_face_curves(obj: bpy.types.Object, curves: FaceCurves, *, mapping=None,
                      action_name: str = "talkrig", frame_start: int = 1,
                      interpolation: str = "LINEAR", rotations: str = "auto",
                      set_fps: bool = False, visemes=None,
                      drive: str = "auto") -> bpy.types.Action:
    """Write ``curves`` onto ``obj``'s shape keys as a new action.

    Parameters
    ----------
    obj : bpy.types.Object
        A mesh with shape keys.
    curves : FaceCurves
        ``values`` [shape=(n_frames, n_channels)], weights in [0, 1] (rotations in radians).
        Frame ``i`` lands on Blender frame ``frame_start + i``.
    mapping : ShapeKeyMapping, optional
        ``matched`` ARKit name -> shape-key name (``rigs.aliases.match_shape_keys`` of the
        object's keys when None). Channels without a key are skipped.
    action_name : str
        Name of the new action (Blender adds ``.001`` when taken).
    frame_start : int
        Blender frame of the first curve frame.
    interpolation : {"LINEAR", "CONSTANT", "BEZIER"}
    rotations : {"auto", "properties", "skip"}
        Head/eye rotation channels on the rig's head/eye pose bones where it has them,
        plus custom properties on the shape-key datablock ("auto"); only as properties;
        or not at all.
    set_fps : bool
        Also set the scene frame rate to ``curves.fps`` and the frame range to the take.
    visemes : VisemeTrack, optional
        The bake's viseme track (``Performance.visemes``), values [shape=(n_frames, 15)].
    drive : {"auto", "arkit", "visemes"}
        Which keys the mouth drives (``addon.viseme_keys.plan_drive``): "visemes" writes the
        track onto the rig's viseme keys and leaves the ARKit mouth/jaw/tongue channels out;
        "auto" does so on rigs with viseme keys and (almost) no ARKit mouth keys.

    Returns
    -------
    bpy.types.Action
        The new action, assigned to ``obj.data.shape_keys``.

    Raises
    ------
    RigMappingError
        The object is not a mesh, has no shape keys, or none match an ARKit name (nor,
        when driving visemes, a viseme).
    """
    from .viseme_keys import mark_action, object_plan, write_viseme_channels

    key = _shape_keys_or_raise(obj)
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {sorted(INTERPOLATIONS)}, got {interpolation!r}")
    if rotations not in ("auto", "properties", "skip"):
        raise ValueError(f"rotations must be 'auto', 'properties' or 'skip', got {rotations!r}")
    if mapping is None:
        mapping = shape_key_mapping(obj)
    present = set(key.key_blocks.keys())
    pairs = [(arkit, mapping.matched[arkit]) for arkit in ARKIT_NAMES
             if arkit in mapping.matched and arkit in curves.names
             and mapping.matched[arkit] in present]
    plan = object_plan(obj, mapping.matched, drive=drive, have_track=visemes is not None)
    if plan.mode == "visemes":
        if len(visemes.values) != curves.n_frames:
            raise ValueError(f"the viseme track has {len(visemes.values)} frames, the face curves "
                             f"{curves.n_frames}: pass the visemes of the same bake")
        used = set(plan.visemes.values())
        pairs = [(a, k) for a, k in pairs if plan.keeps_arkit(a) and k not in used]
    elif not pairs:
        hint = (" (it has viseme keys: pass the bake's viseme track, with lip sync from Auto "
                "or Phonemes)" if plan.visemes or len(plan.missing) < len(VISEME_NAMES) else "")
        raise RigMappingError(f"none of '{obj.name}''s shape keys match an ARKit name "
                              "(jawOpen, mouthClose, eyeBlinkLeft, ...): rename them or pick "
                              f"another mesh{hint}")
    frames = frame_start + np.arange(curves.n_frames, dtype=np.float64)
    interp = INTERPOLATIONS[interpolation]
    ad = key.animation_data or key.animation_data_create()
    _push_previous_action(ad)
    action = bpy.data.actions.new(action_name)
    fcurves, group_kw = _new_fcurve_collection(key, ad, action)
    for arkit, key_name in pairs:
        path = f'key_blocks["{bpy.utils.escape_identifier(key_name)}"].value'
        _write_channel(fcurves, group_kw, path, ARKIT_GROUP, frames,
                       np.clip(curves.channel(arkit), 0.0, 1.0), interp)
    if plan.mode == "visemes":
        write_viseme_channels(fcurves, group_kw, visemes, plan, frames, interp)
    mark_action(action, plan, n_arkit=len(pairs))
    if rotations == "auto":
        _write_bone_rotations(obj, curves, action, frames, interp)
    if rotations != "skip":
        for name in HEAD_EYE_NAMES:
            if name in curves.names:
                key[name] = 0.0
                _write_channel(fcurves, group_kw, f'["{name}"]', ROTATION_GROUP, frames,
                               curves.channel(name), interp)
    action["talkrig_fps"] = float(curves.fps)
    action["talkrig_frame_start"] = int(frame_start)
    if set_fps:
        scene = bpy.context.scene
        set_scene_fps(scene, curves.fps)
        scene.frame_start = int(frame_start)
        scene.frame_end = int(frame_start + curves.n_frames - 1)
    return action


def _write_bone_rotations(obj, curves, shape_action, frames, interp) -> set:
    """Head/eye channels onto the rig's pose bones (new action); returns channels written."""
    from .bones import BONE_GROUPS, bone_rotation_keys, find_armature, match_bones

    rig = find_armature(obj)
    if rig is None:
        return set()
    bones = match_bones(rig.data.bones.keys())
    groups = [(g, bones[g], BONE_GROUPS[g][0]) for g in BONE_GROUPS
              if g in bones and all(c in curves.names for c in BONE_GROUPS[g][0])]
    if not groups:
        return set()
    ad = rig.animation_data or rig.animation_data_create()
    # A previous action that moves other bones too (a body take) keeps playing underneath
    # on an unmuted NLA track (the new take replaces only the head/eye channels); one that
    # only moved these bones (an earlier face take) is muted like the shape-key take.
    ours = tuple(f'pose.bones["{bpy.utils.escape_identifier(b)}"]' for _g, b, _c in groups)
    old = ad.action
    other = old is not None and any(
        not fc.data_path.startswith(ours)
        for fc in action_fcurves(old, getattr(ad, "action_slot", None)))
    _push_previous_action(ad, mute=not other)
    action = bpy.data.actions.new(f"{shape_action.name}_bones")
    fcurves, group_kw = _new_fcurve_collection(rig, ad, action, id_type="OBJECT")
    written = set()
    for _group, bone, chans in groups:
        path, values = bone_rotation_keys(rig, bone, *(curves.channel(c) for c in chans))
        for index, vals in enumerate(values):
            _write_channel(fcurves, group_kw, path, bone, frames, vals, interp, index=index)
        written.update(chans)
        action[f"talkrig_bone_{_group}"] = bone
    action["talkrig_fps"] = float(curves.fps)
    action["talkrig_shape_action"] = shape_action.name
    shape_action["talkrig_bones_action"] = action.name
    shape_action["talkrig_rig"] = rig.name
    return written


def bones_action(obj):
    """(armature, action) holding ``obj``'s current head/eye bone take, or (None, None)."""
    from .bones import find_armature

    rig = find_armature(obj)
    ad = rig.animation_data if rig is not None else None
    if ad is None or ad.action is None:
        return None, None
    key = obj.data.shape_keys if obj.type == "MESH" else None
    shape = key.animation_data.action if key is not None and key.animation_data else None
    if shape is not None and shape.get("talkrig_bones_action") not in (None, ad.action.name):
        return None, None                    # the rig plays another take than the face
    return rig, ad.action


def read_face_curves(obj: bpy.types.Object) -> dict:
    """Keyframes of ``obj``'s current shape-key action (its assigned slot).

    Returns a dict data path (``'key_blocks["jawOpen"].value'``, ``'["HeadYaw"]'``) ->
    (frames, values), float32 arrays [shape=(n_keys,)].
    """
    key = _shape_keys_or_raise(obj)
    ad = key.animation_data
    if ad is None or ad.action is None:
        return {}
    out = {}
    for fc in action_fcurves(ad.action, getattr(ad, "action_slot", None)):
        n = len(fc.keyframe_points)
        co = np.empty(2 * n, dtype=np.float32)
        fc.keyframe_points.foreach_get("co", co)
        out[fc.data_path] = (co[0::2].copy(), co[1::2].copy())
    return out


def action_fcurves(action, slot=None) -> list:
    """F-curves of ``action`` (for ``slot`` when slotted; every slot when None)."""
    if not slotted_actions():
        return list(action.fcurves)
    found = []
    for layer in action.layers:
        for strip in layer.strips:
            for bag in strip.channelbags:
                if slot is None or bag.slot == slot:
                    found += list(bag.fcurves)
    return found
