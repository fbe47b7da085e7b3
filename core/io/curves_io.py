"""Write and read face curves as JSON, Live Link Face CSV or npz, chosen by extension.

Formats
-------
``.json``
    ``{"fps": 30.0, "names": [...], "frames": [[v0, v1, ...], ...]}``: one row per frame in
    ``names`` order, values rounded to 6 decimals (weights in [0, 1], rotations in radians).
``.csv``
    Live Link Face layout (61 columns, timecodes ``HH:MM:SS:FF.mmm``), see
    :mod:`talkrig.core.io.livelink`; channels a curve set lacks are written as 0, and reading
    returns all 61 channels.
``.npz``
    ``names`` (unicode array), ``fps`` (float64 scalar), ``values`` (float32
    [n_frames, n_channels]); exact round trip. Loaded with ``allow_pickle=False``.

Files are written to a temporary name next to the target and renamed into place, so a
failed write never leaves a half file behind.
"""
from __future__ import annotations

import json
import os

import numpy as np

from ..curves import FaceCurves
from ..performance import Performance
from ..errors import CurveFormatError, ExportError
from .atomic import part_name
from .formats import CURVE_EXTS
from .livelink import read_csv, write_csv

EXTENSIONS = CURVE_EXTS


def _extension(path) -> str:
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in EXTENSIONS:
        raise CurveFormatError(
            f"unknown curve file extension {ext or '(none)'!r} in '{os.fspath(path)}'; "
            "use .json, .csv (Live Link Face) or .npz")
    return ext


def _as_curves(obj) -> FaceCurves:
    if isinstance(obj, Performance):
        return obj.face
    if isinstance(obj, FaceCurves):
        return obj
    raise CurveFormatError(f"expected FaceCurves or a Performance to write, got {type(obj).__name__}")


def write_curves(path, curves_or_performance) -> str:
    """Write face curves to ``path`` in the format its extension names.

    Parameters
    ----------
    path : str or os.PathLike
        Target file ending in .json, .csv or .npz (the folder must exist).
    curves_or_performance : FaceCurves or Performance
        What to write (a Performance's ``face``).

    Returns
    -------
    str
        The path written.

    Raises
    ------
    CurveFormatError
        Unknown extension, or channels the format cannot hold (CSV).
    ExportError
        The file could not be written.
    """
    path = os.fspath(path)
    ext = _extension(path)
    curves = _as_curves(curves_or_performance)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ExportError(f"cannot write '{path}': folder '{folder}' does not exist; create it first")
    fd, tmp = None, None
    try:
        # a temporary named with this process's id, so a later run can tell a killed
        # writer's leftover from a live one (core.io.atomic.remove_stale_parts)
        tmp = part_name(path)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        if ext == ".npz":
            with os.fdopen(fd, "wb") as fh:
                fd = None
                np.savez_compressed(fh, names=np.array(curves.names, dtype=str),
                                    fps=np.float64(curves.fps), values=curves.values,
                                    **_npz_extras(curves_or_performance))
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fd = None
                if ext == ".csv":
                    write_csv(fh, curves)
                else:
                    json.dump({"fps": curves.fps, "names": list(curves.names),
                               "frames": np.round(curves.values.astype(np.float64), 6).tolist()},
                              fh, separators=(",", ":"))
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise ExportError(f"cannot write '{path}': {exc.strerror or exc}; check the folder "
                          "permissions and free space") from None
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _npz_extras(obj) -> dict:
    """FLAME parameters and the BEAT2/EMAGE body keys a Performance adds to an .npz."""
    if not isinstance(obj, Performance):
        return {}
    extras = {}
    if obj.flame is not None:
        from .flame_npz import flame_arrays
        extras.update(flame_arrays(obj.flame))
    if obj.body is not None:
        from .beat2 import beat2_arrays
        extras.update(beat2_arrays(obj.body, face=obj.face, flame=obj.flame))
    extras.pop("fps", None)                    # the face's fps is written as it always was
    return extras



def read_curves(path, *, fps: float | None = None) -> FaceCurves:
    """Read face curves written by :func:`write_curves` (or Live Link Face) by extension.

    Parameters
    ----------
    path : str or os.PathLike
        A .json, .csv or .npz file.
    fps : float, optional
        Frame rate for CSV files, which store none (inferred from timecodes when None).
        For JSON/npz, which store it, a given ``fps`` must match (else CurveFormatError).

    Returns
    -------
    FaceCurves
        values float32 [shape=(n_frames, n_channels)].

    Raises
    ------
    CurveFormatError
        Missing file, unknown extension, or malformed content.
    """
    path = os.fspath(path)
    ext = _extension(path)
    if not os.path.isfile(path):
        raise CurveFormatError(f"curve file not found: '{path}'; check the path")
    if fps is not None and not (float(fps) > 0 and np.isfinite(fps)):
        raise CurveFormatError(f"fps must be a positive number, got {fps!r}")
    try:
        if ext == ".npz":
            curves = _read_npz(path)
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            if ext == ".csv":
                return read_csv(text, fps=fps, source=path)
            curves = _read_json(text, path)
    except UnicodeDecodeError:
        raise CurveFormatError(f"'{path}' is not a UTF-8 text file; is it really {ext}?") from None
    except OSError as exc:
        raise CurveFormatError(f"cannot read '{path}': {exc.strerror or exc}") from None
    if fps is not None and abs(float(fps) - curves.fps) > 1e-6 * curves.fps:
        raise CurveFormatError(f"'{path}' is stored at {curves.fps:g} fps, not {float(fps):g}; "
                               "leave fps unset or resample the curves")
    return curves


def _read_json(text: str, path: str) -> FaceCurves:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CurveFormatError(f"'{path}' is not valid JSON ({exc.msg} at line {exc.lineno}); "
                               "the file is cut or edited") from None
    if not isinstance(data, dict) or not {"fps", "names", "frames"} <= set(data):
        raise CurveFormatError(f"'{path}' must be a JSON object with keys fps, names and frames")
    names, frames = data["names"], data["frames"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise CurveFormatError(f"'{path}': names must be a list of strings")
    if not isinstance(frames, list) or any(not isinstance(r, list) or len(r) != len(names)
                                           for r in frames):
        raise CurveFormatError(f"'{path}': frames must be a list of rows of {len(names)} numbers")
    try:
        values = np.array(frames, dtype=np.float32).reshape(len(frames), len(names))
        fps = float(data["fps"])
    except (TypeError, ValueError):
        raise CurveFormatError(f"'{path}': fps and every frame value must be numbers") from None
    return _checked(names, fps, values, path)


def _read_npz(path: str) -> FaceCurves:
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = {"names", "fps", "values"} - set(z.files)
            if missing:
                raise CurveFormatError(f"'{path}' lacks array(s) {', '.join(sorted(missing))}; "
                                       "expected names, fps and values")
            names = [str(n) for n in z["names"].tolist()]
            fps = float(z["fps"])
            values = np.asarray(z["values"], dtype=np.float32)
    except CurveFormatError:
        raise
    except Exception as exc:                    # zipfile/pickle/format errors from numpy
        raise CurveFormatError(f"'{path}' is not a readable npz curve file ({exc})") from None
    if values.ndim != 2 or values.shape[1] != len(names):
        raise CurveFormatError(f"'{path}': values have shape {values.shape}, expected "
                               f"(n_frames, {len(names)})")
    return _checked(names, fps, values, path)


def _checked(names, fps, values, path) -> FaceCurves:
    if len(set(names)) != len(names):
        raise CurveFormatError(f"'{path}': channel names repeat; each channel must appear once")
    if not np.isfinite(values).all():
        raise CurveFormatError(f"'{path}' holds NaN or infinite values; repair the file")
    if not (fps > 0 and np.isfinite(fps)):
        raise CurveFormatError(f"'{path}': fps must be a positive number, got {fps!r}")
    return FaceCurves(tuple(names), fps, values)
