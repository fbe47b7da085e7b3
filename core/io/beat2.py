"""BEAT2 / EMAGE motion npz: SMPL-X body axis-angles next to FLAME expressions.

Layout (what EMAGE's loaders and the SMPL-X Blender add-on read): ``poses`` float32
[T, 165] (55 joints x axis-angle, SMPL-X order), ``trans`` float32 [T, 3] (metres, Y-up),
``betas`` float32 (300,), ``expressions`` float32 [T, 100] (FLAME), ``mocap_frame_rate``
(scalar; also as AMASS's ``mocap_framerate``), ``model`` ``'smplx2020'``, ``gender``
``'neutral'``. talkrig adds
``hand_convention`` (``'flat'``: finger rotations are relative to straight fingers, so load
with ``flat_hand_mean=True, use_pca=False``) and ``hand_convention_note`` saying so in words.
``trans`` is zero in upper-body mode (the pelvis stays still); ``betas`` are zero (the
mean shape); ``expressions`` are zero unless FLAME parameters were baked. The jaw and eye
joints come from the FLAME fit when there is one, else from the face curves (``jawOpen``
as up to 0.3 rad of jaw opening, the eye rotation channels); ``face_joints_source`` says
which.
"""
from __future__ import annotations

import numpy as np

from ..curves import SMPLX_N_JOINTS, BodyCurves
from ..errors import CurveFormatError

KEYS = ("poses", "trans", "betas", "expressions", "mocap_frame_rate", "model")
N_BETAS, N_EXPRESSIONS = 300, 100
HAND_NOTE = ("finger rotations in poses are relative to a flat hand (straight fingers): load "
             "with smplx flat_hand_mean=True, use_pca=False; a mean-hand loader would curl "
             "them twice")
_JAW, _LEYE, _REYE = 22, 23, 24


def beat2_arrays(body: BodyCurves, face=None, flame=None) -> dict:
    """The BEAT2-layout arrays of one take.

    Parameters
    ----------
    body : BodyCurves  55 SMPL-X joints.
    face : FaceCurves, optional  only checked for the same frame count.
    flame : FlameParams, optional
        Its expression fills ``expressions`` (first 100 coefficients, zero-padded) and its
        jaw and eye poses the SMPL-X jaw and eye joints.

    Returns
    -------
    dict of str -> np.ndarray, ready for ``np.savez``.
    """
    if tuple(body.rotations.shape[1:]) != (SMPLX_N_JOINTS, 3):
        raise CurveFormatError(f"BEAT2 poses need {SMPLX_N_JOINTS} SMPL-X joints, got "
                               f"{body.rotations.shape[1]}")
    n = body.n_frames
    for what, other in (("face", face), ("flame", flame)):
        if other is not None and other.n_frames != n:
            raise CurveFormatError(f"{what} has {other.n_frames} frames but the body {n}: bake "
                                   "them on the same frame grid")
    rot = np.array(body.rotations, dtype=np.float32)
    expr = np.zeros((n, N_EXPRESSIONS), np.float32)
    face_source = "none"
    if flame is None and face is not None:
        face_source = _face_into_joints(rot, face)
    if flame is not None:
        face_source = "flame"
        k = min(N_EXPRESSIONS, flame.expression.shape[1])
        expr[:, :k] = flame.expression[:, :k]
        rot[:, _JAW], rot[:, _LEYE], rot[:, _REYE] = flame.jaw_pose, flame.leye_pose, flame.reye_pose
    return {
        "poses": rot.reshape(n, SMPLX_N_JOINTS * 3),
        "trans": np.array(body.translation, dtype=np.float32),
        "betas": np.zeros(N_BETAS, np.float32),
        "expressions": expr,
        "mocap_frame_rate": np.array(body.fps, dtype=np.float64),
        "mocap_framerate": np.array(body.fps, dtype=np.float64),   # AMASS spelling, same value
        "model": np.array("smplx2020"),
        "gender": np.array("neutral"),
        "hand_convention": np.array(body.hand_convention),
        "hand_convention_note": np.array(HAND_NOTE),
        "face_joints_source": np.array(face_source),
    }


#: Jaw rotation (rad, about +X: chin down) at ARKit jawOpen = 1, when no FLAME fit is there.
JAW_OPEN_RAD = 0.3


def _face_into_joints(rot: np.ndarray, face) -> str:
    """Without FLAME parameters, give the SMPL-X jaw the face's ``jawOpen`` and the eye joints
    the face's eye rotations (same yaw/pitch/roll convention as the head), so a body-only
    reader still sees the mouth and eyes move. Returns what was used."""
    from ..motion.rotations import euler_to_matrix, matrix_to_axis_angle
    names = set(face.names)
    used = []
    if "jawOpen" in names:
        rot[:, _JAW] = 0.0
        rot[:, _JAW, 0] = JAW_OPEN_RAD * np.clip(face.channel("jawOpen"), 0.0, 1.0)
        used.append("jawOpen")
    for side, joint in (("Left", _LEYE), ("Right", _REYE)):
        keys = [f"{side}Eye{a}" for a in ("Yaw", "Pitch", "Roll")]
        if all(k in names for k in keys):
            y, p, r = (np.asarray(face.channel(k), np.float64) for k in keys)
            rot[:, joint] = matrix_to_axis_angle(euler_to_matrix(np.stack([y, -p, r], 1), "YXZ"))
            used.append(f"{side.lower()} eye")
    return "face curves: " + ", ".join(used) if used else "none"


def write_beat2(path, body: BodyCurves, face=None, flame=None) -> None:
    """Write :func:`beat2_arrays` to ``path`` (an ``.npz``)."""
    np.savez(path, **beat2_arrays(body, face=face, flame=flame))


def read_beat2(path) -> BodyCurves:
    """Read a BEAT2/EMAGE-layout npz (ours or BEAT2's own) back into BodyCurves.

    Files without ``hand_convention`` are taken as flat-hand (BEAT2's loaders use
    ``flat_hand_mean=True``).
    """
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CurveFormatError(f"{path}: not a readable npz file ({exc})") from None
    with data:
        rate = "mocap_frame_rate" if "mocap_frame_rate" in data.files else "mocap_framerate"
        missing = [k for k in ("poses", rate) if k not in data.files]
        if missing:
            raise CurveFormatError(f"{path}: not a BEAT2/EMAGE motion file (missing "
                                   f"{', '.join(missing)}; found {', '.join(data.files)})")
        poses = np.asarray(data["poses"], dtype=np.float32)
        if poses.ndim != 2 or poses.shape[1] != SMPLX_N_JOINTS * 3:
            raise CurveFormatError(f"{path}: poses must be [T, {SMPLX_N_JOINTS * 3}], got "
                                   f"{poses.shape}")
        n = poses.shape[0]
        trans = np.asarray(data["trans"], np.float32) if "trans" in data.files else \
            np.zeros((n, 3), np.float32)
        fps = float(np.asarray(data[rate]).reshape(-1)[0])
        hands = str(data["hand_convention"]) if "hand_convention" in data.files else "flat"
    from ...rigs.skeletons.smplx import JOINT_NAMES
    return BodyCurves(JOINT_NAMES, fps, poses.reshape(n, SMPLX_N_JOINTS, 3), trans,
                      hand_convention=hands)
