"""Live Link Face CSV: the layout Epic's iPhone app records and Unreal imports.

Layout: a header ``Timecode,BlendShapeCount,EyeBlinkLeft,...,TongueOut,HeadYaw,...,
RightEyeRoll`` (the 52 ARKit names with the first letter capitalised, in the app's order:
ARKit's blend-shape order, ``...,JawForward,JawRight,JawLeft,...,MouthRight,MouthLeft,...``,
then the 9 head/eye rotations in radians), then one row per frame with ``BlendShapeCount`` = 61.

Timecode ``HH:MM:SS:FF.mmm``
----------------------------
Frame ``i`` sits at ``t = i / fps`` seconds from ``00:00:00:00.000``. ``HH:MM:SS`` is the
whole second of ``t``; ``FF.mmm`` is the position inside that second counted in frames of the
*nominal* rate ``N = round(fps)`` (24, 25, 30, 60; 30 for 29.97, 24 for 23.976, 60 for
59.94), with ``.mmm`` the thousandths of a nominal frame, as Live Link Face writes sub-frames.
At integer rates ``.mmm`` is always ``.000``; at 29.97 fps frame 30 is at 1.001 s and reads
``00:00:01:00.030``. So ``t = HH*3600 + MM*60 + SS + FF.mmm / N`` exactly to 1/(1000 N) s.

Reading finds columns by name, so files in either left/right order read the same.
With ``fps`` given, rows are consecutive frames at that rate. Without it the
rate is recovered from the timecodes: ``N`` from where ``FF`` wraps to the next second, then
``fps = (rows - 1) / (t_last - t_first)``, snapped to a common rate (23.976, 29.97, 59.94,
24, 25, 30, 50, 60, ...) when within 0.05 %. A file that never crosses a second boundary
has no wrap: then ``fps`` must be passed.
"""
from __future__ import annotations

import csv
import io
import math

import numpy as np

from ...rigs.arkit import ARKIT_NAMES, FACE_CHANNELS, HEAD_EYE_NAMES
from ..curves import FaceCurves
from ..errors import CurveFormatError

BLENDSHAPE_COUNT = len(FACE_CHANNELS)            # 61, as Live Link Face writes it
#: ARKit names as the app writes them: first letter capitalised, ARKit's own blend-shape order,
#: in which JawRight precedes JawLeft and MouthRight precedes MouthLeft (unlike
#: ``ARKIT_NAMES``); readers that take columns by position rely on it.
_APP_SWAPS = {"jawLeft": "jawRight", "jawRight": "jawLeft",
              "mouthLeft": "mouthRight", "mouthRight": "mouthLeft"}
COLUMNS = tuple((lambda n: n[0].upper() + n[1:])(_APP_SWAPS.get(n, n))
                for n in ARKIT_NAMES) + HEAD_EYE_NAMES
_COLUMN_OF = {n: COLUMNS.index(n[0].upper() + n[1:]) for n in FACE_CHANNELS}
COMMON_RATES = (23.976023976023978, 24.0, 25.0, 29.97002997002997, 30.0, 47.952047952047955,
                48.0, 50.0, 59.94005994005994, 60.0, 72.0, 90.0, 100.0, 119.88011988011988, 120.0)


def nominal_rate(fps: float) -> int:
    """Timecode frames per second for ``fps`` (30 for 29.97, 24 for 23.976)."""
    return max(1, int(round(fps)))


def format_timecode(i: int, fps: float) -> str:
    """Timecode of frame ``i`` at ``fps``: ``HH:MM:SS:FF.mmm`` (see the module docstring)."""
    n = nominal_rate(fps)
    # Exact integer arithmetic in thousandths of a nominal frame avoids float drift.
    units = int(round(i * n * 1000 / fps))
    sec, sub = divmod(units, n * 1000)
    ff, mmm = divmod(sub, 1000)
    hh, rem = divmod(sec, 3600)
    mm, ss = divmod(rem, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}.{mmm:03d}"


def _parse_timecode(tc: str, row: int) -> tuple[int, float]:
    try:
        hh, mm, ss, ff = tc.strip().split(":")
        sec, frac = int(hh) * 3600 + int(mm) * 60 + int(ss), float(ff)
    except ValueError:
        raise CurveFormatError(f"row {row}: timecode {tc!r} is not HH:MM:SS:FF.mmm") from None
    if not math.isfinite(frac) or frac < 0:
        raise CurveFormatError(f"row {row}: timecode {tc!r} has an invalid frame field")
    return sec, frac


def write_csv(fh, curves: FaceCurves) -> None:
    """Write ``curves`` to a text file object in the Live Link Face layout.

    Channels missing from ``curves`` (e.g. the 9 rotations of a 52-channel set) are 0.
    """
    extra = [n for n in curves.names if n not in FACE_CHANNELS]
    if extra:
        raise CurveFormatError(
            f"a Live Link Face CSV holds only the 52 ARKit and 9 head/eye channels; "
            f"{', '.join(extra[:5])} have no column; write .json or .npz instead")
    table = np.zeros((curves.n_frames, BLENDSHAPE_COUNT), dtype=np.float32)
    for j, name in enumerate(curves.names):
        table[:, _COLUMN_OF[name]] = curves.values[:, j]
    fh.write(",".join(("Timecode", "BlendShapeCount") + COLUMNS) + "\n")
    for i, row in enumerate(table):
        fh.write(f"{format_timecode(i, curves.fps)},{BLENDSHAPE_COUNT},"
                 + ",".join(f"{v:.8g}" for v in row.tolist()) + "\n")


def read_csv(text: str, *, fps: float | None = None, source: str = "") -> FaceCurves:
    """Parse Live Link Face CSV text into 61-channel :class:`FaceCurves`.

    Parameters
    ----------
    text : str
        The whole file.
    fps : float, optional
        Frame rate; inferred from the timecodes when None (see the module docstring).
    source : str
        File name for error messages.

    Returns
    -------
    FaceCurves
        ``names == FACE_CHANNELS``, values float32 [shape=(n_rows, 61)].
    """
    where = f"'{source}'" if source else "CSV"
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r)]
    if not rows:
        raise CurveFormatError(f"{where} is empty; expected a Live Link Face header and rows")
    header = [h.strip() for h in rows[0]]
    if header[:2] != ["Timecode", "BlendShapeCount"]:
        raise CurveFormatError(f"{where} is not a Live Link Face CSV: the header must start "
                               f"with 'Timecode,BlendShapeCount', got {','.join(header[:2])!r}")
    lookup = {c.lower(): j for j, c in enumerate(FACE_CHANNELS)}     # by name, any order
    cols = []
    for name in header[2:]:
        if name.lower() not in lookup:
            raise CurveFormatError(f"{where}: unknown column {name!r}; expected ARKit names "
                                   "(EyeBlinkLeft ... TongueOut) and HeadYaw ... RightEyeRoll")
        cols.append(lookup[name.lower()])
    values = np.zeros((len(rows) - 1, BLENDSHAPE_COUNT), dtype=np.float32)
    stamps = []
    for i, r in enumerate(rows[1:]):
        if len(r) != len(header):
            raise CurveFormatError(f"{where} row {i + 2} has {len(r)} fields, the header has "
                                   f"{len(header)}; the file is cut or edited")
        stamps.append(_parse_timecode(r[0], i + 2))
        try:
            values[i, cols] = [float(c) for c in r[2:]]
        except ValueError:
            raise CurveFormatError(f"{where} row {i + 2} holds a value that is not a number") from None
    if not np.isfinite(values).all():
        raise CurveFormatError(f"{where} holds NaN or infinite values; repair the file")
    if len(values) == 0:
        raise CurveFormatError(f"{where} has a header but no frames")
    if fps is None:
        fps = _infer_fps(stamps, where)
    return FaceCurves(FACE_CHANNELS, float(fps), values)


def _infer_fps(stamps: list, where: str) -> float:
    sec = np.array([s for s, _ in stamps], dtype=np.int64)
    ff = np.array([f for _, f in stamps], dtype=np.float64)
    if len(stamps) < 2:
        raise CurveFormatError(f"{where} has one frame, so its frame rate is unknown; pass fps")
    step = np.diff(ff)[np.diff(sec) == 0]
    wraps = np.flatnonzero(np.diff(sec) == 1)
    if len(step) == 0 or len(wraps) == 0 or np.median(step) <= 0:
        raise CurveFormatError(f"{where}: cannot infer the frame rate from timecodes that do not "
                               "cross a second boundary; pass fps (e.g. --fps 30)")
    d = float(np.median(step))
    n = int(round(np.median(ff[wraps] + d - ff[wraps + 1])))
    if n < 1:
        raise CurveFormatError(f"{where}: timecodes are not increasing; cannot infer the frame rate")
    t = sec + ff / n
    span = t[-1] - t[0]
    if span <= 0:
        raise CurveFormatError(f"{where}: timecodes are not increasing; cannot infer the frame rate")
    est = (len(t) - 1) / span
    for rate in COMMON_RATES:
        if abs(est / rate - 1) < 5e-4:
            return rate
    return round(est, 3)
