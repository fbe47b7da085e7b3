"""Drive viseme shape keys (VRChat ``vrc.v_aa``, Oculus ``viseme_aa``, bare ``aa``, Ready Player
Me ``viseme_O``) with the bake's 15-viseme track, instead of or beside the ARKit channels.

Which keys a take drives is the *drive* (``DRIVES``):

- ``"arkit"``: the ARKit-52 channels through ``rigs.aliases`` (the writer's classic path).
- ``"visemes"``: the :class:`~talkrig.core.curves.VisemeTrack`'s 15 curves go onto the keys
  ``rigs.visemes.match_viseme_keys`` finds; ARKit channels of the mouth, jaw and tongue are
  left out (they would move the mouth a second time), every other ARKit channel the rig has
  (blinks, eye looks, brows, cheeks: what blinks, gaze and emotion drive) is still written,
  and so are the head/eye rotations.
- ``"auto"`` (default): visemes when the rig has at least :data:`MIN_VISEME_KEYS` viseme keys
  and fewer than :data:`MIN_ARKIT_SPEECH` ARKit mouth/jaw/tongue channels (too few to speak
  with), else ARKit. A rig with both sets (a Ready Player Me avatar) gets ARKit by default.

:func:`plan_drive` decides (pure: key names in, :class:`DrivePlan` out) and the keyframe writer
(``addon.keyframes.write_face_curves``) writes with :func:`write_viseme_channels`: same action,
same ``keyframe_points.add`` + ``foreach_set``, same frame start and non-destructive take. The
action records what ran: ``talkrig_drive`` ("arkit" / "visemes") and, for visemes,
``talkrig_viseme_keys`` (viseme -> key name) and ``talkrig_viseme_missing``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.errors import RigMappingError
from ..rigs.visemes import VISEME_NAMES, match_viseme_keys

DRIVES = ("auto", "arkit", "visemes")
#: auto: a rig needs this many viseme keys to be driven by visemes ...
MIN_VISEME_KEYS = 5
#: ... and fewer ARKit mouth/jaw/tongue channels than this (else ARKit drives it).
MIN_ARKIT_SPEECH = 5
SPEECH_PREFIXES = ("jaw", "mouth", "tongue")
VISEME_GROUP = "Visemes"


def is_speech_channel(arkit_name: str) -> bool:
    """True for the ARKit channels the speech layer moves (``jaw*``, ``mouth*``, ``tongueOut``)."""
    return arkit_name.startswith(SPEECH_PREFIXES)


@dataclass(frozen=True)
class DrivePlan:
    """What a take drives on one rig (see the module docstring).

    Attributes
    ----------
    mode : {"arkit", "visemes"}
        The drive that runs.
    requested : {"auto", "arkit", "visemes"}
    visemes : dict
        viseme -> shape-key name written (empty in ARKit mode).
    missing : tuple of str
        Visemes without a key (all 15 when the rig has none).
    name_set : str
        Rig naming the keys follow (``'vrchat'``, ``'oculus'`` ...; '' when unknown).
    n_arkit_speech : int
        ARKit mouth/jaw/tongue channels the rig has.
    """

    mode: str
    requested: str = "auto"
    visemes: dict = field(default_factory=dict)
    missing: tuple = VISEME_NAMES
    name_set: str = ""
    n_arkit_speech: int = 0

    def keeps_arkit(self, arkit_name: str) -> bool:
        """Whether the ARKit channel is written under this plan."""
        return self.mode == "arkit" or not is_speech_channel(arkit_name)

    def describe(self) -> str:
        """One line: ``visemes drive 15/15 viseme keys (vrchat names)`` or ``ARKit drive``."""
        if self.mode == "arkit":
            return "ARKit drive"
        text = f"visemes drive {len(self.visemes)}/15 viseme keys ({self.name_set or 'mixed'} names)"
        if self.missing:
            text += f", missing {', '.join(self.missing)}"
        return text


def check_drive(drive: str) -> str:
    """Validate a drive name (case-insensitive; empty = auto); returns it lower-case.

    Raises RigMappingError for another name.
    """
    value = str(drive or "auto").strip().lower()
    if value not in DRIVES:
        raise RigMappingError(f"drive must be one of {', '.join(DRIVES)}, got {drive!r}")
    return value


def plan_drive(key_names, arkit_matched, *, drive: str = "auto",
               have_track: bool = True, object_name: str = "the face") -> DrivePlan:
    """Decide between ARKit and viseme keys for one rig.

    Parameters
    ----------
    key_names : iterable of str
        The rig's shape-key names (without ``Basis``).
    arkit_matched : dict or iterable of str
        The ARKit channels that have a key (a mapping's ``matched``, or its names).
    drive : {"auto", "arkit", "visemes"}
    have_track : bool
        Whether the bake made a viseme track (not in the loudness driver); ``auto`` then
        falls back to ARKit.

    Raises
    ------
    RigMappingError
        ``"visemes"`` was asked for and the rig has no viseme keys, or there is no track.
    """
    drive = check_drive(drive)
    match = match_viseme_keys(list(key_names))
    n_speech = sum(is_speech_channel(a) for a in arkit_matched)
    base = dict(requested=drive, missing=match.missing, name_set=match.name_set,
                n_arkit_speech=n_speech)
    if drive == "visemes":
        if not match.matched:
            raise RigMappingError(f"'{object_name}' has no viseme shape keys (vrc.v_aa, viseme_aa, "
                                  "aa, ...): set Mouth Shapes (--drive) to ARKit or Auto, or "
                                  "pick the avatar's face")
        if not have_track:
            raise RigMappingError("this bake has no viseme track (lip sync from Loudness makes "
                                  "none): set Lip Sync From (--mode) to Auto or Phonemes to "
                                  "animate viseme keys")
        return DrivePlan(mode="visemes", visemes=dict(match.matched), **base)
    if (drive == "auto" and have_track and len(match.matched) >= MIN_VISEME_KEYS
            and n_speech < MIN_ARKIT_SPEECH):
        return DrivePlan(mode="visemes", visemes=dict(match.matched), **base)
    return DrivePlan(mode="arkit", **base)


def object_plan(obj, arkit_matched, *, drive: str = "auto", have_track: bool = True) -> DrivePlan:
    """:func:`plan_drive` for a mesh object's shape keys."""
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    names = key.key_blocks.keys()[1:] if key is not None else []
    return plan_drive(names, arkit_matched, drive=drive, have_track=have_track,
                      object_name=getattr(obj, "name", "the face"))


def write_viseme_channels(fcurves, group_kw: str, track, plan: DrivePlan, frames,
                          interp: int) -> int:
    """Write the track's curves onto the plan's viseme keys; returns the F-curves written.

    Parameters
    ----------
    track : VisemeTrack
        ``values`` float32 [shape=(n_frames, 15)] in [0, 1], columns named by ``track.names``.
    frames : np.ndarray [shape=(n_frames,)]
        Blender frame of every row (``frame_start + i``).
    """
    import bpy

    from .fcurves import write_channel as _write_channel

    values = np.asarray(track.values, dtype=np.float32)
    if values.shape[0] != len(frames):
        raise ValueError(f"the viseme track has {values.shape[0]} frames, the face curves "
                         f"{len(frames)}: pass the visemes of the same bake")
    names = tuple(track.names)
    written = 0
    for viseme, key_name in plan.visemes.items():
        if viseme not in names:
            continue
        path = f'key_blocks["{bpy.utils.escape_identifier(key_name)}"].value'
        _write_channel(fcurves, group_kw, path, VISEME_GROUP, frames,
                       np.clip(values[:, names.index(viseme)], 0.0, 1.0), interp)
        written += 1
    return written


def mark_action(action, plan: DrivePlan, *, n_arkit: int) -> None:
    """Record on the take what it drives (read by the panel, the summary and headless)."""
    action["talkrig_drive"] = plan.mode
    action["talkrig_arkit_keys"] = int(n_arkit)
    if plan.mode == "visemes":
        action["talkrig_viseme_keys"] = {k: str(v) for k, v in plan.visemes.items()}
        action["talkrig_viseme_missing"] = ",".join(plan.missing)


def action_drive(action) -> tuple:
    """(mode, viseme -> key dict, missing tuple) recorded on a take by :func:`mark_action`."""
    if action is None:
        return "arkit", {}, ()
    keys = action.get("talkrig_viseme_keys")
    missing = action.get("talkrig_viseme_missing") or ""
    return (str(action.get("talkrig_drive", "arkit")),
            {str(k): str(v) for k, v in keys.items()} if keys is not None else {},
            tuple(m for m in missing.split(",") if m))
