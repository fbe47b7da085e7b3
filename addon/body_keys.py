"""Write a body take (``BodyCurves``) onto an armature, as a take beside the face take.

The SMPL-X rotations are retargeted (``core.retarget``) onto the rig's mapped bones and
written as a NEW action on the armature object with ``keyframe_points.add`` +
``foreach_set`` (``addon.keyframes._write_channel``): ``rotation_quaternion`` (or the
bone's Euler / axis-angle mode) of every keyed bone on every frame, and the root bone's
``location`` in full-body mode. Same guarantees as the face (``addon.takes``):

- nothing the user made is overwritten: the previous action goes to a muted NLA track
  (kept with a fake user) when the take becomes active; with ``placement="NLA"`` the take
  is a strip on its own track and the active action stays;
- an armature that plays a face take's head/eye action keeps playing it: the body take goes
  on an NLA track beneath (the face's head/eye keys replace only those bones);
- takes side by side: each bake is ``talkrig_<line>_body[_N]``; :func:`clear_body_take`
  removes one and puts back what it replaced; it refuses actions that are not body takes;
- reduced keys on request (``tolerance``, ``addon.takes.reduce_fcurve``);
- one undo step: the operator calls :func:`write_body_take` once.
"""
from __future__ import annotations

from dataclasses import dataclass

import bpy
import numpy as np

from ..core.errors import RetargetError, TalkrigError
from ..core.motion.rotations import matrix_to_euler, quaternion_to_axis_angle, quaternion_to_matrix
from ..core.retarget import plan_retarget, retarget
from .keyframes import (INTERPOLATIONS, _new_fcurve_collection, _push_previous_action,
                        _write_channel, action_fcurves, set_scene_fps)
from .takes import (TAKE_MARK, _move_to_nla, _restore_previous, _state, playing_take,
                    reduce_take, unique_take_name)

BODY_MARK = "talkrig_body"
GROUP = "Body"


@dataclass(frozen=True)
class BodyTakeResult:
    """What :func:`write_body_take` wrote."""

    action: object
    match: object                # rigs.skeletons.match.SkeletonMatch
    bones: tuple                 # keyed bone names
    keys_full: int
    keys_written: int
    max_error: float
    constrained: tuple           # keyed bones whose constraints override the keys


def _channels(pb, quats) -> tuple:
    """(data path suffix, values [shape=(T, C)]) for a pose bone's rotation mode."""
    mode = pb.rotation_mode
    if mode == "QUATERNION":
        return "rotation_quaternion", quats
    if mode == "AXIS_ANGLE":
        aa = quaternion_to_axis_angle(quats)
        angle = np.linalg.norm(aa, axis=-1, keepdims=True)
        axis = np.where(angle > 1e-9, aa / np.maximum(angle, 1e-12), [0.0, 1.0, 0.0])
        return "rotation_axis_angle", np.concatenate([angle, axis], axis=-1)
    # Blender's Euler mode "YXZ" is Rz @ Rx @ Ry: order "ZXY" in core.motion, whose angle k
    # is about axis order[k]; rotation_euler holds the angles by axis (x, y, z).
    order = mode[::-1]
    ang = matrix_to_euler(quaternion_to_matrix(quats), order)
    eul = np.empty_like(ang)
    for k, axis in enumerate(order):
        eul[:, "XYZ".index(axis)] = ang[:, k]
    return "rotation_euler", np.unwrap(eul, axis=0)


def write_body_take(rig, body, *, mapping=None, family=None, mode: str = "upper",
                    line: str = "body", frame_start: int = 1, interpolation: str = "LINEAR",
                    placement: str = "ACTIVE", tolerance=None, set_fps: bool = True,
                    source_joints=None) -> BodyTakeResult:
    """Retarget ``body`` onto ``rig`` and write it as a new take (main thread, one call).

    Parameters
    ----------
    rig : bpy.types.Object
        The target armature (or a mesh deformed by one).
    body : BodyCurves
        ``rotations`` [shape=(T, 55, 3)] axis-angle, ``translation`` [shape=(T, 3)], ``fps``.
        Frame ``i`` lands on Blender frame ``frame_start + i``.
    mapping : dict, optional
        SMPL-X joint -> bone (panel rows, a preset); automatic family match when None.
    family : str, optional
        Force a family for the automatic match.
    mode : {"upper", "full"}
        Upper body (pelvis still, legs untouched) or the whole body with root motion.
    line : str
        The take's line; the action is ``talkrig_<line>_body[_N]``.
    interpolation : {"LINEAR", "BEZIER"}
    placement : {"ACTIVE", "NLA"}
    tolerance : float or None
        Reduce keys to within this max abs error per channel (quaternion units / metres).
    source_joints : np.ndarray [shape=(55, 3)], optional
        The source body's rest joints (an SMPL-X model file's), talkrig's by default.

    Raises
    ------
    RetargetError
        No armature, no family matched, spine or arms unmapped.
    """
    from .body_rig import armature_match, armature_skeleton, constrained_bones, require_rig

    if placement not in ("ACTIVE", "NLA"):
        raise ValueError(f"placement must be 'ACTIVE' or 'NLA', got {placement!r}")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {sorted(INTERPOLATIONS)}, got {interpolation!r}")
    rig = require_rig(rig)
    match = armature_match(rig, mapping=mapping, family=family)
    plan = plan_retarget(armature_skeleton(rig), match.matched, mode=mode, source_joints=source_joints)
    take = retarget(plan, body.rotations, body.translation if mode == "full" else None, fps=body.fps)
    n = len(take.quaternions)
    frames = frame_start + np.arange(n, dtype=np.float64)
    interp = INTERPOLATIONS[interpolation]
    scene = bpy.context.scene
    frame_range = (scene.frame_start, scene.frame_end)

    ad = rig.animation_data or rig.animation_data_create()
    before = _state(rig)
    face_on_top = ad.action is not None and "talkrig_shape_action" in ad.action.keys()
    to_nla = placement == "NLA" or face_on_top
    if not to_nla:
        _push_previous_action(ad)
    action = bpy.data.actions.new(unique_take_name(f"{line}_body"))
    fcurves, group_kw = _new_fcurve_collection(rig, ad, action, id_type="OBJECT")
    quats = take.quaternions.astype(np.float64)
    for i, bone in enumerate(take.bone_names):
        pb = rig.pose.bones[bone]
        prop, values = _channels(pb, quats[:, i])
        path = f'pose.bones["{bpy.utils.escape_identifier(bone)}"].{prop}'
        for c in range(values.shape[1]):
            _write_channel(fcurves, group_kw, path, GROUP, frames, values[:, c], interp, index=c)
    if take.location is not None:
        path = f'pose.bones["{bpy.utils.escape_identifier(take.root_bone)}"].location'
        for c in range(3):
            _write_channel(fcurves, group_kw, path, GROUP, frames, take.location[:, c], interp, index=c)

    action[TAKE_MARK] = line
    action[BODY_MARK] = 1
    action["talkrig_object"] = rig.name
    action["talkrig_family"] = match.family
    action["talkrig_mode"] = mode
    action["talkrig_mapping"] = {j: str(b) for j, b in match.matched.items()}
    action["talkrig_fps"] = float(body.fps)
    action["talkrig_frame_start"] = int(frame_start)
    action.use_fake_user = True
    full, written, max_error = reduce_take(action, action_fcurves(action), tolerance,
                                           interpolation)
    if to_nla:
        _move_to_nla(before, action, frame_start)
    elif before["action"] is not None:
        action["talkrig_previous"] = before["action"].name
    if set_fps:
        set_scene_fps(scene, body.fps)
        end = int(frame_start + n - 1)
        if to_nla and frame_range[1] >= frame_range[0]:
            scene.frame_start = min(frame_range[0], int(frame_start))
            scene.frame_end = max(frame_range[1], end)
        else:
            scene.frame_start, scene.frame_end = int(frame_start), end
    return BodyTakeResult(action=action, match=match, bones=take.bone_names, keys_full=int(full),
                          keys_written=int(written), max_error=float(max_error),
                          constrained=tuple(constrained_bones(rig, take.bone_names)))


def is_body_take(action) -> bool:
    return action is not None and BODY_MARK in action.keys() and TAKE_MARK in action.keys()


def body_takes(rig) -> list:
    """Body takes written onto ``rig``, in creation (name) order."""
    return [a for a in bpy.data.actions if is_body_take(a) and a.get("talkrig_object") == rig.name]


def active_body_take(rig):
    """The body take ``rig`` plays: its active action, else the newest unmuted NLA take."""
    return playing_take(rig.animation_data, is_body_take)


def clear_body_take(rig, take=None) -> str:
    """Remove one body take of ``rig`` (default: the one it plays); returns its name."""
    if take is None:
        take = active_body_take(rig)
        if take is None:
            raise TalkrigError(f"'{rig.name}' plays no talkrig body take")
    if not is_body_take(take):
        raise TalkrigError(f"'{take.name}' is not a talkrig body take; talkrig only clears its own takes")
    ad = rig.animation_data
    if ad is not None:
        if ad.action == take:
            ad.action = None
            _restore_previous(ad, take)
        for track in list(ad.nla_tracks):
            for strip in list(track.strips):
                if strip.action == take:
                    track.strips.remove(strip)
            if not len(track.strips) and track.name == take.name:
                ad.nla_tracks.remove(track)
    name = take.name
    bpy.data.actions.remove(take)
    return name


def evaluated_pose(rig, frames, bone_names) -> tuple:
    """Armature-space frames [shape=(F, B, 3, 3)] and heads [shape=(F, B, 3)] of bones as
    Blender evaluates them (constraints, NLA and all) at each of ``frames``."""
    scene = bpy.context.scene
    keep = scene.frame_current
    out_r = np.empty((len(frames), len(bone_names), 3, 3))
    out_h = np.empty((len(frames), len(bone_names), 3))
    pbs = [rig.pose.bones[b] for b in bone_names]
    try:
        for f, frame in enumerate(frames):
            scene.frame_set(int(frame))
            for b, pb in enumerate(pbs):
                m = np.array(pb.matrix, dtype=np.float64)
                out_r[f, b] = m[:3, :3] / np.linalg.norm(m[:3, :3], axis=0, keepdims=True)
                out_h[f, b] = m[:3, 3]
    finally:
        scene.frame_set(keep)
    return out_r, out_h


def check_body(body) -> None:
    """RetargetError unless ``body`` looks like SMPL-X body curves."""
    rot = getattr(body, "rotations", None)
    if rot is None or np.asarray(rot).ndim != 3 or np.asarray(rot).shape[1:] != (55, 3):
        raise RetargetError("the body curves must hold SMPL-X rotations of shape (frames, 55, 3)")
