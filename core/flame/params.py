"""FLAME parameters from a performance's face curves.

``flame_params`` turns ARKit weights into expression coefficients and a jaw rotation
through an :class:`~.fit.ArkitFlameFit` (linear in the weights: each frame's parameters
are the weighted sum of the per-shape parameters), the head rotation channels into the
neck pose and the eye rotation channels into the eye poses. ``flame_from_settings`` does
everything in one call: hash the model file, load the cached mapping or fit and cache it.

Conventions (radians, FLAME frame: Y up, face +Z, subject's left +X): HeadYaw > 0 turns
the face to the character's left (+Y rotation), HeadPitch > 0 lifts the chin (a -X
rotation), HeadRoll > 0 tilts the top of the head to the character's right (+Z
rotation); the eye channels follow the same rules. Rotations compose as
``Ry(yaw) @ Rx(-pitch) @ Rz(roll)``.
"""
from __future__ import annotations

import os
import time

import numpy as np

from ...rigs.arkit import ARKIT_NAMES
from ..curves import FaceCurves, FlameParams
from ..errors import FlameModelError
from ..motion.rotations import matrix_to_axis_angle
from .fit import (ArkitFlameFit, cache_path, default_cache_dir, demo_source_id, fit_mapping,
                  load_fit, save_fit)
from .model import file_sha256, load_flame_model
from .settings import FlameSettings

HEAD_CHANNELS = ("HeadYaw", "HeadPitch", "HeadRoll")
LEFT_EYE_CHANNELS = ("LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll")
RIGHT_EYE_CHANNELS = ("RightEyeYaw", "RightEyePitch", "RightEyeRoll")


def yaw_pitch_roll_to_axis_angle(ypr: np.ndarray) -> np.ndarray:
    """[n, 3] yaw, pitch, roll (radians, talkrig's head/eye conventions) -> FLAME
    axis-angle [n, 3]."""
    ypr = np.asarray(ypr, dtype=np.float64).reshape(-1, 3)
    y, p, r = ypr[:, 0], -ypr[:, 1], ypr[:, 2]
    cy, sy, cp, sp, cr, sr = np.cos(y), np.sin(y), np.cos(p), np.sin(p), np.cos(r), np.sin(r)
    n = len(ypr)
    Ry = np.zeros((n, 3, 3))
    Ry[:, 0, 0], Ry[:, 0, 2], Ry[:, 1, 1], Ry[:, 2, 0], Ry[:, 2, 2] = cy, sy, 1.0, -sy, cy
    Rx = np.zeros((n, 3, 3))
    Rx[:, 0, 0], Rx[:, 1, 1], Rx[:, 1, 2], Rx[:, 2, 1], Rx[:, 2, 2] = 1.0, cp, -sp, sp, cp
    Rz = np.zeros((n, 3, 3))
    Rz[:, 0, 0], Rz[:, 0, 1], Rz[:, 1, 0], Rz[:, 1, 1], Rz[:, 2, 2] = cr, -sr, sr, cr, 1.0
    return matrix_to_axis_angle(Ry @ Rx @ Rz)


def arkit_weights(face: FaceCurves) -> np.ndarray:
    """The 52 ARKit columns of ``face`` in Apple order [n_frames, 52] (absent ones 0)."""
    out = np.zeros((face.n_frames, len(ARKIT_NAMES)))
    index = {n: i for i, n in enumerate(face.names)}
    for j, name in enumerate(ARKIT_NAMES):
        if name in index:
            out[:, j] = face.values[:, index[name]]
    return out


def _channels(face: FaceCurves, names) -> "np.ndarray | None":
    if not all(n in face.names for n in names):
        return None
    return np.stack([face.values[:, face.names.index(n)] for n in names], 1).astype(np.float64)


def flame_params(face: FaceCurves, fit: ArkitFlameFit, n_expression: int = 0, *,
                 use_eye_channels: bool = True) -> FlameParams:
    """FLAME parameters for every frame of ``face``.

    Parameters
    ----------
    face : FaceCurves  ARKit weights (+ optional head/eye rotation channels, radians).
    fit : ArkitFlameFit  the mapping of the model (``fit_mapping`` / the cache).
    n_expression : int  coefficients to keep (0 = all the fit has; fewer keeps the first
        ones of the same least-squares fit, it does not refit).
    use_eye_channels : bool  eye poses from ``LeftEyeYaw`` ... when present (else from the
        eyeLook weights through the fit's eye rotations).

    Returns
    -------
    FlameParams  expression [n_frames, n_expression]; jaw, neck, eye poses [n_frames, 3].
    """
    k = fit.n_expression
    if n_expression < 0 or n_expression > k:
        raise FlameModelError(f"the FLAME mapping has {k} expression components, "
                              f"{n_expression} were asked; ask for at most {k} (0 = all)")
    n = n_expression or k
    W = arkit_weights(face)
    expr = W @ fit.expression[:, :n].astype(np.float64)
    jaw = W @ fit.jaw_pose.astype(np.float64)
    head = _channels(face, HEAD_CHANNELS)
    neck = np.zeros((face.n_frames, 3)) if head is None else yaw_pitch_roll_to_axis_angle(head)
    left, right = _channels(face, LEFT_EYE_CHANNELS), _channels(face, RIGHT_EYE_CHANNELS)
    if use_eye_channels and left is not None and right is not None:
        leye, reye = yaw_pitch_roll_to_axis_angle(left), yaw_pitch_roll_to_axis_angle(right)
    else:
        leye = W @ fit.leye_pose.astype(np.float64)
        reye = W @ fit.reye_pose.astype(np.float64)
    return FlameParams(fps=face.fps, expression=expr, jaw_pose=jaw, neck_pose=neck,
                       leye_pose=leye, reye_pose=reye, model_sha256=fit.model_sha256)


def _check_cache_dir(folder: str) -> None:
    probe = os.path.join(folder, f".write_test_{os.getpid()}")
    try:
        os.makedirs(folder, exist_ok=True)
        with open(probe, "wb"):
            pass
        os.remove(probe)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise FlameModelError(f"cannot write the FLAME mapping cache in {folder} ({why}); "
                              "choose a writable cache folder (flame cache_dir)") from exc


def mapping_for_settings(settings: FlameSettings) -> tuple:
    """The ARKit -> FLAME mapping of ``settings.model_path``: from the cache, or fitted
    (and cached). Returns (ArkitFlameFit, info dict)."""
    if not settings.enabled:
        raise FlameModelError("no FLAME model file given: set the flame model path "
                              "(--flame-model PATH)")
    path = os.path.expanduser(settings.model_path)
    if not os.path.isfile(path):
        raise FlameModelError(f"FLAME model file not found: {path}; download FLAME from "
                              "https://flame.is.tue.mpg.de and pass the path of its .pkl")
    t0 = time.perf_counter()
    sha = file_sha256(path)
    folder = os.path.expanduser(settings.cache_dir) or default_cache_dir()
    cpath = cache_path(folder, sha, demo_source_id(), settings.n_expression)
    fit = load_fit(cpath)
    cached = fit is not None and fit.model_sha256 == sha
    if not cached:
        _check_cache_dir(folder)
        model = load_flame_model(path, n_expression=settings.n_expression, sha256=sha)
        fit, _ = fit_mapping(model)
        save_fit(fit, cpath)
    return fit, {"cache_file": cpath, "cached": cached, "model_path": path,
                 "seconds": time.perf_counter() - t0}


def flame_from_settings(face: FaceCurves, settings: FlameSettings) -> tuple:
    """One call for the pipeline: (FlameParams, report dict).

    The report holds the mapping's per-shape fitting error (``rel_error``), the shapes the
    model cannot express, the registration numbers and whether the cache was used.
    """
    fit, info = mapping_for_settings(settings)
    params = flame_params(face, fit, settings.n_expression)
    report = fit.report()
    report.update(info)
    return params, report
