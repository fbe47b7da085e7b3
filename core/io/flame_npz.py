"""FLAME parameter files (.npz), the layout EMOTE/EMAGE-style tools read.

Keys: ``expression`` float32 [n_frames, n_expression], ``jaw_pose``, ``neck_pose``,
``leye_pose``, ``reye_pose`` float32 [n_frames, 3] axis-angle (radians, FLAME frame),
``fps`` float64 scalar, ``model_sha256`` str (which model file the expression space belongs
to). Plain arrays only: ``np.load`` needs no ``allow_pickle``. With a body, the BEAT2
writer (``core/io/beat2.py``) puts the same expression and jaw/eye poses in its keys.
"""
from __future__ import annotations

import os

import numpy as np

from ..curves import FlameParams
from ..errors import CurveFormatError, ExportError

POSE_KEYS = ("jaw_pose", "neck_pose", "leye_pose", "reye_pose")


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
