"""Write and read viseme tracks (15 Oculus/Meta visemes per frame) as JSON or CSV.

Game engines and avatar tools (VRChat ``vrc.v_*``, Meta's OVRLipSync) drive mouths from
viseme weights rather than ARKit shapes, so a bake can hand them the track directly.

``.json``
    ``{"fps": 30.0, "names": ["sil", "PP", ...], "frames": [[...], ...]}`` (the same layout
    as curve JSON), values rounded to 6 decimals.
``.csv``
    Header ``time,sil,PP,FF,...``; one row per frame, ``time`` = ``i / fps`` in seconds
    (9 decimals, so 29.97 fps timing survives); reading recovers fps from the times.
"""
from __future__ import annotations

import csv
import io
import json
import os

import numpy as np

from ..curves import VisemeTrack
from ..performance import Performance
from ..errors import CurveFormatError, ExportError

VISEME_EXTENSIONS = (".json", ".csv")


def _ext(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext not in VISEME_EXTENSIONS:
        raise CurveFormatError(f"unknown viseme file extension {ext or '(none)'!r} in '{path}'; "
                               "use .json or .csv")
    return ext


def write_visemes(path, track_or_performance) -> str:
    """Write a viseme track to ``path`` (.json or .csv).

    Parameters
    ----------
    path : str or os.PathLike
        Target file; the folder must exist.
    track_or_performance : VisemeTrack or Performance
        The track (``values`` [shape=(n_frames, n_visemes)] in [0, 1]) or a Performance
        that holds one.

    Returns
    -------
    str
        The path written.
    """
    path = os.fspath(path)
    ext = _ext(path)
    track = track_or_performance
    if isinstance(track, Performance):
        track = track.visemes
        if track is None:
            raise CurveFormatError("this performance has no viseme track (the loudness driver "
                                   "makes none); bake with phoneme timing to get visemes")
    if not isinstance(track, VisemeTrack):
        raise CurveFormatError(f"expected a VisemeTrack or Performance, got {type(track).__name__}")
    values = np.asarray(track.values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(track.names):
        raise CurveFormatError(f"viseme values have shape {values.shape}, expected "
                               f"(n_frames, {len(track.names)})")
    if ext == ".json":
        text = json.dumps({"fps": float(track.fps), "names": list(track.names),
                           "frames": np.round(values, 6).tolist()}, separators=(",", ":"))
    else:
        buf = io.StringIO()
        buf.write(",".join(("time",) + tuple(track.names)) + "\n")
        for i, row in enumerate(values.tolist()):
            buf.write(f"{i / track.fps:.9f}," + ",".join(f"{v:.6g}" for v in row) + "\n")
        text = buf.getvalue()
    try:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except OSError as exc:
        raise ExportError(f"cannot write '{path}': {exc.strerror or exc}; check the folder") from None
    return path


def read_visemes(path) -> VisemeTrack:
    """Read a viseme track written by :func:`write_visemes`.

    Returns
    -------
    VisemeTrack
        values float32 [shape=(n_frames, n_visemes)].
    """
    path = os.fspath(path)
    ext = _ext(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise CurveFormatError(f"viseme file not found: '{path}'; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CurveFormatError(f"cannot read '{path}' as text ({exc})") from None
    try:
        if ext == ".json":
            data = json.loads(text)
            names, fps = tuple(data["names"]), float(data["fps"])
            values = np.array(data["frames"], dtype=np.float32).reshape(-1, len(names))
        else:
            rows = [r for r in csv.reader(io.StringIO(text)) if r]
            if rows[0][0] != "time":
                raise CurveFormatError(f"'{path}': the header must start with 'time'")
            names = tuple(rows[0][1:])
            table = np.array([[float(c) for c in r] for r in rows[1:]], dtype=np.float64)
            table = table.reshape(-1, len(names) + 1)
            steps = np.diff(table[:, 0])
            if len(steps) == 0 or np.any(steps <= 0):
                raise CurveFormatError(f"'{path}': need two or more rows with increasing times")
            fps = float((len(table) - 1) / (table[-1, 0] - table[0, 0]))
            values = table[:, 1:].astype(np.float32)
    except CurveFormatError:
        raise
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise CurveFormatError(f"'{path}' is not a viseme {ext[1:]} file ({type(exc).__name__}: "
                               f"{exc}); expected the layout write_visemes produces") from None
    if not (np.isfinite(values).all() and fps > 0 and np.isfinite(fps)):
        raise CurveFormatError(f"'{path}' holds NaN/infinite values or a bad frame rate")
    return VisemeTrack(names=names, fps=fps, values=values)
