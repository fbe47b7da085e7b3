"""Takes: each bake is a new action named after its line, never overwriting anything.

A *take* is an action written by :func:`write_take` and marked with custom properties
(``talkrig_take`` = the line it was baked from, ``talkrig_object``, ``talkrig_mapping``,
``talkrig_keys_full`` / ``talkrig_keys_written``). Placement:

- ``"ACTIVE"``: the take becomes the active action; the keyframe writer moves the previous
  action to an NLA track (kept with a fake user), so nothing is lost. The user's own action
  keeps playing there, unmuted and held over the whole timeline like an active action: the
  active action is evaluated above the NLA stack and replaces only the channels it has, so
  every channel the take does not write (``MyCustomSmile``, a blink the take leaves out, a
  custom property) plays as before, and the take wins on the channels it writes. A previous
  *take* is muted instead (a take replaces a take as a whole). Exports of a take mute those
  tracks for the export (:func:`export_take`), so files hold the take alone.
- ``"NLA"``: the take goes on a new NLA track as a strip at its start frame (extrapolation
  off, so takes side by side do not cover each other); the active action stays as it was.

With ``set_fps`` the scene's frame range grows to cover the take; it never shrinks.

:func:`clear_take` removes one take (its strips, its empty tracks, the action, and the
companion head/eye bone action if the writer made one) and puts back the action it had
replaced; it refuses actions that are not takes, so the user's own actions are never touched.
Key reduction (``core.keyreduce``) thins the written F-curves in place (``foreach_set``),
checking Bezier curves by evaluating them and adding keys until every frame is within the
tolerance.
"""
from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass

import bpy
import numpy as np

from ..core.errors import RigMappingError, TalkrigError
from .keyframes import (INTERPOLATIONS, PREVIOUS_TRACK_PREFIX, action_fcurves,
                        write_face_curves)

TAKE_MARK = "talkrig_take"
TAKE_PREFIX = "talkrig_"
PLACEMENTS = ("ACTIVE", "NLA")
BEZIER_ROUNDS = 12


@dataclass(frozen=True)
class TakeResult:
    """What :func:`write_take` wrote."""

    action: object
    keys_full: int
    keys_written: int
    max_error: float

    @property
    def keys_saved(self) -> int:
        return self.keys_full - self.keys_written


def line_name(path_or_name: str) -> str:
    """A take's line: the audio file stem or the strip name, safe for an action name."""
    stem = os.path.splitext(os.path.basename(str(path_or_name)))[0] or "take"
    return re.sub(r"[^\w.-]+", "_", stem).strip("_") or "take"


def unique_take_name(line: str) -> str:
    """``talkrig_<line>``, or ``talkrig_<line>_2``, ``_3`` ... when taken."""
    base = TAKE_PREFIX + line
    name, i = base, 1
    while bpy.data.actions.get(name) is not None or bpy.data.actions.get(name + "_bones"):
        i += 1
        name = f"{base}_{i}"
    return name


def _rigs_of(obj) -> list:
    rigs = [obj.parent] if obj.parent is not None and obj.parent.type == "ARMATURE" else []
    rigs += [m.object for m in obj.modifiers
             if m.type == "ARMATURE" and m.object is not None and m.object not in rigs]
    return rigs


def _state(id_block) -> dict:
    ad = id_block.animation_data
    return {"id": id_block, "action": ad.action if ad else None,
            "slot": getattr(ad, "action_slot", None) if ad else None,
            "fake": ad.action.use_fake_user if ad and ad.action else None,
            "tracks": set(t.name for t in ad.nla_tracks) if ad else set()}


def is_take(action) -> bool:
    return action is not None and TAKE_MARK in action.keys()


# -- key reduction ---------------------------------------------------------------------------

def _read(fc) -> tuple:
    n = len(fc.keyframe_points)
    co = np.empty(2 * n, dtype=np.float32)
    fc.keyframe_points.foreach_get("co", co)
    return co[0::2].astype(np.float64), co[1::2].astype(np.float64)


def _rewrite(fc, frames, values, interp: int) -> None:
    pts = fc.keyframe_points
    pts.clear()
    pts.add(len(frames))
    co = np.empty(2 * len(frames), dtype=np.float32)
    co[0::2], co[1::2] = frames, values
    pts.foreach_set("co", co)
    pts.foreach_set("interpolation", np.full(len(frames), interp, dtype=np.int32))
    fc.update()


def _evaluate(fc, frames) -> np.ndarray:
    return np.fromiter((fc.evaluate(f) for f in frames), dtype=np.float64, count=len(frames))


def reduce_fcurve(fc, tolerance: float, interpolation: str) -> float:
    """Thin one every-frame F-curve to the keys needed within ``tolerance``; returns max error."""
    from ..core.keyreduce import linear_error, reduce_channel

    frames, values = _read(fc)
    if len(frames) < 3:
        return 0.0
    interp = INTERPOLATIONS[interpolation]
    keep = reduce_channel(values, tolerance)
    if len(keep) < len(frames):
        _rewrite(fc, frames[keep], values[keep], interp)
    if interpolation == "LINEAR":          # exact by construction: no need to evaluate
        return linear_error(values, keep)
    err = np.abs(_evaluate(fc, frames) - values)
    rounds = 0
    while err.max() > tolerance + 1e-6 and rounds < BEZIER_ROUNDS:   # Bezier overshoot
        keep = np.union1d(keep, np.flatnonzero(err > tolerance))
        _rewrite(fc, frames[keep], values[keep], interp)
        err = np.abs(_evaluate(fc, frames) - values)
        rounds += 1
    if err.max() > tolerance + 1e-6:                                  # give up: every frame
        _rewrite(fc, frames, values, interp)
        err[:] = 0.0
    return float(err.max())


# -- writing a take --------------------------------------------------------------------------

def _take_actions(action) -> list:
    """The take and its companion bone action (if any)."""
    out = [action]
    bones = bpy.data.actions.get(action.get("talkrig_bones_action", "") or "")
    if bones is not None:
        out.append(bones)
    return out


def reduce_take(action, fcurves, tolerance, interpolation) -> tuple:
    """Thin a take's keys (:func:`reduce_fcurve` on each of ``fcurves`` when ``tolerance``
    is not None) and record the key counts before and after on ``action``
    (``talkrig_keys_full`` / ``talkrig_keys_written``).

    Returns (keys before, keys after, largest error)."""
    full = sum(len(fc.keyframe_points) for fc in fcurves)
    max_error = 0.0
    if tolerance is not None:
        for fc in fcurves:
            max_error = max(max_error, reduce_fcurve(fc, float(tolerance), interpolation))
    written = sum(len(fc.keyframe_points) for fc in fcurves)
    action["talkrig_keys_full"], action["talkrig_keys_written"] = int(full), int(written)
    return full, written, max_error


def _move_to_nla(before: dict, take, frame_start: int) -> None:
    """Put ``take`` (now active on ``before['id']``) on a new NLA track; restore the old state."""
    ad = before["id"].animation_data
    slot = getattr(ad, "action_slot", None)
    ad.action = None
    for track in list(ad.nla_tracks):            # the writer's "previous" track goes away again
        if track.name not in before["tracks"] and track.name.startswith(PREVIOUS_TRACK_PREFIX):
            ad.nla_tracks.remove(track)
    if before["action"] is not None:
        ad.action = before["action"]
        before["action"].use_fake_user = before["fake"]
        if before["slot"] is not None:
            ad.action_slot = before["slot"]
    track = ad.nla_tracks.new()
    track.name = take.name
    strip = track.strips.new(take.name, int(frame_start), take)
    if slot is not None and hasattr(strip, "action_slot"):
        strip.action_slot = slot
    strip.extrapolation = "NOTHING"
    strip.blend_type = "REPLACE"


def _keep_playing(before: dict) -> None:
    """Unmute the NLA track the writer just moved the user's own (non-take) action to.

    The strip holds its first and last frames outside its range (``HOLD``), as an active
    action's F-curves do, so the channels look the same at every frame.
    """
    prev = before["action"]
    ad = before["id"].animation_data
    if prev is None or is_take(prev) or ad is None:
        return
    for track in ad.nla_tracks:
        if (track.name not in before["tracks"] and track.name == PREVIOUS_TRACK_PREFIX + prev.name
                and len(track.strips) and track.strips[0].action == prev):
            track.mute = False
            track.strips[0].extrapolation = "HOLD"
            track.strips[0].blend_type = "REPLACE"


def _previous_tracks(obj) -> list:
    """Unmuted '[talkrig] previous' NLA tracks of the face's shape keys (a rig's body
    action beneath the head/eye take is left playing, as before)."""
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    ad = key.animation_data if key is not None else None
    if ad is None:
        return []
    return [t for t in ad.nla_tracks if t.name.startswith(PREVIOUS_TRACK_PREFIX) and not t.mute]


@contextlib.contextmanager
def take_alone(obj):
    """Mute the user's animation kept playing under the take for a while (exports)."""
    tracks = _previous_tracks(obj)
    try:
        for t in tracks:
            t.mute = True
        yield
    finally:
        for t in tracks:
            t.mute = False


def write_take(obj, curves, *, mapping, line: str, frame_start: int = 1,
               interpolation: str = "LINEAR", placement: str = "ACTIVE", tolerance=None,
               set_fps: bool = True, visemes=None, drive: str = "auto") -> TakeResult:
    """Write ``curves`` onto ``obj`` as a new take (main thread; one call, keys in one go).

    Parameters
    ----------
    obj : bpy.types.Object
        Mesh with shape keys.
    curves : FaceCurves
        ``values`` [shape=(n_frames, n_channels)]; frame ``i`` lands on ``frame_start + i``.
    mapping : ShapeKeyMapping
        ARKit name -> shape key name.
    line : str
        The line's name (audio stem or strip name); the action is ``talkrig_<line>[_N]``.
    interpolation : {"LINEAR", "BEZIER"}
    placement : {"ACTIVE", "NLA"}
    tolerance : float or None
        None: a key on every frame; else reduce keys to within this max abs error.
    set_fps : bool
        Set the scene frame rate to the take's and extend the frame range to cover it
        (never shrinking it).
    visemes : VisemeTrack, optional
        The bake's viseme track; with ``drive`` it can drive the rig's viseme keys
        (``addon.viseme_keys``; the action records ``talkrig_drive``).
    drive : {"auto", "arkit", "visemes"}

    Returns
    -------
    TakeResult
    """
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, got {placement!r}")
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    if key is None:
        raise RigMappingError(f"'{getattr(obj, 'name', obj)}' has no shape keys: add ARKit shape "
                              "keys (jawOpen, mouthClose, ...) or use the demo head")
    ids = [key] + [r for r in _rigs_of(obj)]
    before = [_state(i) for i in ids]
    scene = bpy.context.scene
    frame_range = (scene.frame_start, scene.frame_end)
    name = unique_take_name(line)
    action = write_face_curves(obj, curves, mapping=mapping, action_name=name,
                               frame_start=int(frame_start), interpolation=interpolation,
                               set_fps=set_fps, visemes=visemes, drive=drive)
    action["talkrig_mapping"] = {k: str(v) for k, v in mapping.matched.items()}
    # the rig's own body action keeps playing: see _write_bone_rotations
    result = finish_take(obj, action, before, line=line, frame_start=frame_start,
                         tolerance=tolerance, interpolation=interpolation,
                         placement=placement, keep_playing=before[:1])
    if set_fps and frame_range[1] >= frame_range[0]:   # only ever extend the frame range
        scene.frame_start = min(frame_range[0], scene.frame_start)
        scene.frame_end = max(frame_range[1], scene.frame_end)
    return result


def finish_take(obj, action, before, *, line: str, frame_start, tolerance, interpolation,
                placement: str, keep_playing) -> TakeResult:
    """What every take does after its keys are written (face and FLAME takes alike): mark its
    actions as a take of ``obj``, thin the keys within ``tolerance``, count them, then place
    it: "NLA" moves the new actions onto tracks at ``frame_start``; "ACTIVE" keeps the user's
    actions recorded in ``keep_playing`` (states from ``_state``) playing under it."""
    actions = _take_actions(action)
    for act in actions:
        act[TAKE_MARK] = line
        act["talkrig_object"] = obj.name
        act.use_fake_user = True
    full, written, max_error = reduce_take(
        action, [fc for act in actions for fc in action_fcurves(act)], tolerance, interpolation)
    if before[0]["action"] is not None:
        action["talkrig_previous"] = before[0]["action"].name
    if placement == "NLA":
        for state in before:
            ad = state["id"].animation_data
            if ad is not None and ad.action in actions:
                _move_to_nla(state, ad.action, frame_start)
        action.pop("talkrig_previous", None)
    else:
        for state in keep_playing:
            _keep_playing(state)
    return TakeResult(action=action, keys_full=full, keys_written=written, max_error=max_error)


# -- listing and clearing --------------------------------------------------------------------

def object_takes(obj) -> list:
    """Takes of ``obj`` (shape-key actions only), oldest first by name order of creation."""
    if obj is None:
        return []
    return [a for a in bpy.data.actions
            if is_take(a) and a.get("talkrig_object") == obj.name and "talkrig_shape_action" not in a]


def playing_take(ad, is_kind=is_take):
    """The take animation data ``ad`` plays: its active action if ``is_kind`` says it is
    one, else the newest take on an unmuted NLA track."""
    if ad is None:
        return None
    if is_kind(ad.action):
        return ad.action
    for track in reversed(list(ad.nla_tracks)):
        for strip in track.strips:
            if is_kind(strip.action) and not track.mute:
                return strip.action
    return None


def active_take(obj):
    """The take ``obj``'s shape keys play as their active action, else the newest NLA take."""
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    return playing_take(key.animation_data if key is not None else None)


def _restore_previous(ad, take) -> None:
    """Put back the action ``take`` replaced (from its muted '[talkrig] previous' track)."""
    prev = take.get("talkrig_previous")
    if not prev:
        return
    for track in list(ad.nla_tracks):
        if track.name == PREVIOUS_TRACK_PREFIX + prev and track.strips:
            strip = track.strips[0]
            action, slot = strip.action, getattr(strip, "action_slot", None)
            ad.nla_tracks.remove(track)
            ad.action = action
            if slot is not None:
                ad.action_slot = slot
            return


def _forget(ad, actions) -> None:
    if ad is None:
        return
    for track in list(ad.nla_tracks):
        for strip in list(track.strips):
            if strip.action in actions:
                track.strips.remove(strip)
        if not len(track.strips) and (track.name in {a.name for a in actions}
                                      or track.name.startswith(PREVIOUS_TRACK_PREFIX)):
            ad.nla_tracks.remove(track)


def clear_take(obj, take=None) -> str:
    """Remove one talkrig take of ``obj`` (default: the active one); returns its name.

    Raises TalkrigError when there is no take or ``take`` is not a talkrig take.
    """
    if take is None:
        take = active_take(obj)
        if take is None:
            raise TalkrigError(f"'{obj.name}' plays no talkrig take: pick one in the Take list")
    if not is_take(take):
        raise TalkrigError(f"'{take.name}' is not a talkrig take; talkrig only clears its own takes")
    actions = _take_actions(take)
    ids = [obj.data.shape_keys] + _rigs_of(obj)
    for id_block in ids:
        ad = id_block.animation_data if id_block is not None else None
        if ad is None:
            continue
        if ad.action in actions:
            ad.action = None
            _restore_previous(ad, take)
        _forget(ad, actions)
    name = take.name
    for act in actions:
        bpy.data.actions.remove(act)
    return name


# -- export of a picked take ------------------------------------------------------------------

@contextlib.contextmanager
def playing(obj, take=None):
    """Make ``take`` (and its bone action) the active action(s) for a while; put back after."""
    if take is None:
        yield
        return
    if not is_take(take):
        from ..core.errors import ExportError

        raise ExportError(f"'{take.name}' is not a talkrig take: pick one of the face's takes")
    saved = []
    try:
        for id_block in [obj.data.shape_keys] + _rigs_of(obj):
            ad = id_block.animation_data if id_block is not None else None
            if ad is None:
                continue
            act = next((a for a in _take_actions(take) if ad.action == a or any(
                s.action == a for t in ad.nla_tracks for s in t.strips)), None)
            if act is None or ad.action == act:
                continue
            saved.append((ad, ad.action, getattr(ad, "action_slot", None)))
            slot = next((s.action_slot for t in ad.nla_tracks for s in t.strips
                         if s.action == act and hasattr(s, "action_slot")), None)
            ad.action = act
            if slot is not None:
                ad.action_slot = slot
        yield
    finally:
        for ad, action, slot in reversed(saved):
            ad.action = action
            if action is not None and slot is not None:
                ad.action_slot = slot


def export_take(obj, filepath: str, *, take=None, preset=None) -> str:
    """Export ``obj``'s take (``take``, else the active one) by the file's extension.

    Delegates to ``addon.export.export_take`` (FBX with an engine ``preset``, glb, Live Link
    Face CSV, JSON, npz); a take that sits on the NLA is made active for the export and put
    back. Returns the path written; ExportError otherwise.
    """
    from ..core.errors import ExportError
    from .export import TAKE_EXTS
    from .export import export_take as export_active

    path = os.path.abspath(filepath)
    ext = os.path.splitext(path)[1].lower()
    if ext not in TAKE_EXTS:
        raise ExportError(f"'{path}': choose a file ending in .fbx or .glb (mesh and take), "
                          ".csv (Live Link Face), .json or .npz (curves)")
    if obj is None:
        raise ExportError("select the face mesh to export")
    with playing(obj, take), take_alone(obj):
        return export_active(obj, path, preset=preset if ext == ".fbx" else None)
