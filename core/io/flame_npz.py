"""FLAME parameter files (.npz), the layout EMOTE/EMAGE-style tools read.

Keys: ``expression`` float32 [n_frames, n_expression], ``jaw_pose``, ``neck_pose``,
``leye_pose``, ``reye_pose`` float32 [n_frames, 3] axis-angle (radians, FLAME frame),
``fps`` float64 scalar, ``model_sha256`` str (which model file the expression space belongs
to). Plain arrays only: ``np.load`` needs no ``allow_pickle``.

:func:`merge_into_beat2` puts the same performance into a BEAT2/SMPL-X motion dict:
``expressions`` [n_frames, 100] and the jaw and eye rotations in ``poses`` (joints 22, 23,
24 of SMPL-X's 55).
"""
from __future__ import annotations

import os

import numpy as np

from ..curves import FlameParams
from ..errors import CurveFormatError, ExportError

POSE_KEYS = ("jaw_pose", "neck_pose", "leye_pose", "reye_pose")
#: SMPL-X joint indices of the jaw and the eyes in a BEAT2 ``poses`` row (55 x 3 values).
SMPLX_JAW, SMPLX_LEFT_EYE, SMPLX_RIGHT_EYE = 22, 23, 24
BEAT2_N_EXPRESSION = 100


def flame_arrays(params: FlameParams) -> dict:
    """The npz arrays of ``params`` (see the module docstring)."""
    out = {"expression": np.asarray(params.expression, dtype=np.float32)}
    for key in POSE_KEYS:
        out[key] = np.asarray(getattr(params, key), dtype=np.float32)
    out["fps"] = np.asarray(float(params.fps), dtype=np.float64)
    out["model_sha256"] = np.asarray(str(params.model_sha256))
    return out


def write_flame_npz(path: str, params: FlameParams) -> str:
    """Write ``params`` to ``path`` (``.npz`` appended if missing); returns the path."""
    path = str(path)
    if not path.lower().endswith(".npz"):
        path += ".npz"
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez(fh, **flame_arrays(params))
    except OSError as exc:
        raise ExportError(f"cannot write {path} ({exc.strerror or exc}); choose a writable "
                          "output folder") from exc
    return path


def read_flame_npz(path: str) -> FlameParams:
    """Read a file written by :func:`write_flame_npz` (or any npz with the same keys)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("expression",) + POSE_KEYS + ("fps",) if k not in z.files]
            if missing:
                raise CurveFormatError(f"{path}: not a FLAME parameter file (missing "
                                       f"{', '.join(missing)})")
            arrays = {k: np.asarray(z[k]) for k in ("expression",) + POSE_KEYS}
            fps = float(z["fps"])
            sha = str(z["model_sha256"]) if "model_sha256" in z.files else ""
    except (OSError, ValueError, EOFError) as exc:
        raise CurveFormatError(f"{path}: cannot read this npz ({exc})") from exc
    return FlameParams(fps=fps, model_sha256=sha, **arrays)


def merge_into_beat2(motion: dict, params: FlameParams) -> dict:
    """A copy of a BEAT2-style motion dict with the FLAME face added.

    ``expressions`` becomes [n_frames, 100] (zero-padded or cut to 100: BEAT2 stores
    FLAME 2020's first 100 components); the jaw and eye axis-angles replace joints 22-24
    in ``poses`` [n_frames, 165]. The neck pose stays with the body (SMPL-X's head joint).
    """
    out = dict(motion)
    n = params.n_frames
    poses = np.array(out.get("poses", np.zeros((n, 165), np.float32)), dtype=np.float32)
    if poses.ndim != 2 or poses.shape[1] != 165 or poses.shape[0] != n:
        raise CurveFormatError(f"poses must have shape ({n}, 165), got {poses.shape}")
    for joint, key in ((SMPLX_JAW, "jaw_pose"), (SMPLX_LEFT_EYE, "leye_pose"),
                       (SMPLX_RIGHT_EYE, "reye_pose")):
        poses[:, 3 * joint:3 * joint + 3] = getattr(params, key)
    expr = np.zeros((n, BEAT2_N_EXPRESSION), np.float32)
    k = min(BEAT2_N_EXPRESSION, params.expression.shape[1])
    expr[:, :k] = params.expression[:, :k]
    out["poses"] = poses
    out["expressions"] = expr
    return out
